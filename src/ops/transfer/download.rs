//! Downloads: through a temporary file renamed when complete, in parallel
//! ranges, each resumed from the byte where its body broke.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::stream::{self, StreamExt, TryStreamExt};
use md5::{Digest, Md5};

/// The checksums of a range, kept as its bytes arrive (only those there is
/// something to compare with).
#[derive(Default)]
struct Hashes {
    md5: Option<Md5>,
    crc64: Option<crc_fast::Digest>,
}

impl Hashes {
    fn wanted(md5: bool, crc64: bool) -> Self {
        Self {
            md5: md5.then(Md5::new),
            crc64: crc64.then(|| crc_fast::Digest::new(crc_fast::CrcAlgorithm::Crc64Nvme)),
        }
    }

    fn update(&mut self, bytes: &[u8]) {
        if let Some(h) = self.md5.as_mut() {
            h.update(bytes);
        }
        if let Some(c) = self.crc64.as_mut() {
            c.update(bytes);
        }
    }
}

use super::{Progress, TransferError, TransferOptions, head, local, md5s_of, plan};
use crate::cloud::s3::{ObjectBody, ObjectHead, S3Bucket};

/// Bytes of a download gathered before one write to disk. Measured with
/// `scripts/bench-s3` (1 GiB, 8 ranges at once): 512 KiB batches cost 0.84 s
/// of CPU per GiB; 4 MiB ones 2.2 s — a long write holds the file's lock
/// while the other ranges' writers spin on it, and the batch has left the
/// CPU's cache by the time it is copied into the page cache.
const WRITE_BATCH: usize = 512 << 10;

/// Writes `chunks` back to back at `offset` with as few calls as the
/// kernel allows (one `pwritev` per batch, the chunks not copied again);
/// answers the offset after them.
async fn write_chunks(
    file: &Arc<std::fs::File>,
    path: &Path,
    offset: u64,
    chunks: Vec<bytes::Bytes>,
) -> Result<u64, TransferError> {
    let file = file.clone();
    tokio::task::spawn_blocking(move || write_vectored_at(&file, &chunks, offset))
        .await
        .map_err(|e| TransferError::Refused(format!("writing {}: {e}", path.display())))?
        .map_err(local(path))
}

fn write_vectored_at(
    file: &std::fs::File,
    chunks: &[bytes::Bytes],
    offset: u64,
) -> std::io::Result<u64> {
    use std::io::IoSlice;
    // At most IOV_MAX (1024) slices per call on Linux.
    const MAX_SLICES: usize = 1024;
    let (mut first, mut skip, mut at) = (0usize, 0usize, offset);
    while first < chunks.len() {
        let slices: Vec<IoSlice<'_>> = chunks[first..]
            .iter()
            .take(MAX_SLICES)
            .enumerate()
            .map(|(i, c)| IoSlice::new(if i == 0 { &c[skip..] } else { c }))
            .collect();
        let mut n = match rustix::io::pwritev(file, &slices, at) {
            Ok(0) => return Err(std::io::ErrorKind::WriteZero.into()),
            Ok(n) => n,
            Err(e) if e == rustix::io::Errno::INTR => continue,
            Err(e) => return Err(e.into()),
        };
        at += n as u64;
        // Past the slices written whole; into the one written in part.
        while n > 0 {
            let left = chunks[first].len() - skip;
            if n >= left {
                (n, first, skip) = (n - left, first + 1, 0);
            } else {
                (skip, n) = (skip + n, 0);
            }
        }
        while first < chunks.len() && chunks[first].len() == skip {
            (first, skip) = (first + 1, 0);
        }
    }
    Ok(at)
}

/// Tries per download range: a body that breaks off is asked for again from
/// the byte where it stopped (S3 and the network cut long answers now and
/// then; the SDK retries only until the headers are in).
const BODY_TRIES: u32 = 5;

/// One range of a download, written at its offset in the temporary file.
struct Range<'a> {
    file: Arc<std::fs::File>,
    tmp: &'a Path,
    /// The object's ETag when the download began: every request asks for
    /// that version only.
    etag: &'a str,
    off: u64,
    len: u64,
    /// The range is the whole object (a plain GET, no Range header).
    whole: bool,
}

/// Where a range's first answer comes from.
enum Opening {
    /// A GET for the range, asking for the version in `Range::etag`.
    Ask,
    /// The answer to a plain GET already made.
    Answered(Box<crate::cloud::s3::ObjectBody>),
}

impl Range<'_> {
    /// Fetches the range, unless the transfer was cancelled, and answers
    /// its sums (those `hashes` keeps).
    async fn sums(
        self,
        bucket: &S3Bucket,
        key: &str,
        opening: Opening,
        mut hashes: Hashes,
        progress: &Progress,
    ) -> Result<Sums, TransferError> {
        if progress.is_cancelled() {
            return Err(TransferError::Cancelled(bucket.uri(key)));
        }
        self.fetch(bucket, key, opening, &mut hashes, progress)
            .await?;
        Ok((
            self.off,
            self.len,
            hashes.md5.map(|h| h.finalize().into()),
            hashes.crc64.map(|c| c.finalize()),
        ))
    }

    /// Streams the range to disk a few MiB at a time (never held whole in
    /// memory), digesting it into `md5` as it comes. A broken body is
    /// resumed from the first byte not yet received, with backoff, up to
    /// [`BODY_TRIES`] tries; a changed object is an error, not a mix.
    async fn fetch(
        &self,
        bucket: &S3Bucket,
        key: &str,
        mut opening: Opening,
        hashes: &mut Hashes,
        progress: &Progress,
    ) -> Result<(), TransferError> {
        use backon::BackoffBuilder;
        let uri = bucket.uri(key);
        let end = self.off + self.len;
        let mut at = self.off;
        let mut tries = 0u32;
        let mut delays = backon::ExponentialBuilder::default()
            .with_min_delay(std::time::Duration::from_millis(200))
            .with_max_delay(std::time::Duration::from_secs(5))
            .with_jitter()
            .without_max_times()
            .build();
        loop {
            tries += 1;
            let range = (!(self.whole && at == self.off)).then_some((at, end - at));
            let answer = match std::mem::replace(&mut opening, Opening::Ask) {
                Opening::Answered(body) => Ok(*body),
                Opening::Ask => bucket.get(key, range, Some(self.etag)).await,
            };
            let broke = match answer {
                Ok(mut body) => {
                    let (reached, broke) = self.stream(&mut body, at, hashes, progress).await?;
                    at = reached;
                    broke
                }
                Err(e) if e.code.as_deref() == Some("PreconditionFailed") => {
                    return Err(TransferError::Refused(format!(
                        "{uri} changed while it was being downloaded (its ETag is no longer {}); nothing was kept",
                        self.etag
                    )));
                }
                Err(e) => Some(e.message),
            };
            match broke {
                None if at == end => return Ok(()),
                // Every byte came and then the body failed: the SDK's own
                // check of the answer's checksum. Asking again for nothing
                // would not help.
                Some(why) if at == end => {
                    return Err(TransferError::Verification { uri, why });
                }
                None => {
                    return Err(TransferError::Refused(format!(
                        "reading {uri}: the server sent {} of {} bytes at offset {}",
                        at - self.off,
                        self.len,
                        self.off
                    )));
                }
                Some(why) if tries >= BODY_TRIES || progress.is_cancelled() => {
                    return Err(TransferError::Refused(format!(
                        "reading {uri}: connection lost after {} of {} ({why}; {tries} tries)",
                        bytesize::ByteSize(at - self.off).display().iec(),
                        bytesize::ByteSize(self.len).display().iec(),
                    )));
                }
                Some(why) => {
                    tracing::debug!("{uri}: resuming at byte {at} after: {why}");
                    let pause = delays.next().unwrap_or_default();
                    tokio::time::sleep(pause).await;
                }
            }
        }
    }

    /// Writes what `body` sends from `at` on; returns how far it got, and
    /// why it stopped early (None: the body ended).
    async fn stream(
        &self,
        body: &mut crate::cloud::s3::ObjectBody,
        mut at: u64,
        hashes: &mut Hashes,
        progress: &Progress,
    ) -> Result<(u64, Option<String>), TransferError> {
        // The chunks (tens of KiB each, as the socket gives them) are
        // gathered and written with one call per few MiB: one write and one
        // hand-off to the blocking pool per batch, not per chunk.
        let (mut batch, mut batched) = (Vec::new(), 0usize);
        loop {
            let (chunk, broke) = match body.next_chunk().await {
                Ok(c) => (c, None),
                Err(e) => (None, Some(e.message)),
            };
            let done = chunk.is_none();
            if let Some(c) = chunk {
                hashes.update(&c);
                batched += c.len();
                batch.push(c);
            }
            // What arrived before a break is good: it is kept.
            if batched >= WRITE_BATCH || (done && batched > 0) {
                let next =
                    write_chunks(&self.file, self.tmp, at, std::mem::take(&mut batch)).await?;
                progress.done.fetch_add(next - at, Ordering::SeqCst);
                (at, batched) = (next, 0);
            }
            if done {
                return Ok((at, broke));
            }
        }
    }
}

/// A range's offset, length, and the MD5 and CRC64NVME of what arrived
/// (those asked for).
type Sums = (u64, u64, Option<[u8; 16]>, Option<u64>);

/// What a download's bytes are checked against.
enum Check {
    /// The object's full-object CRC64NVME (the ranges' CRCs combined).
    Crc64(u64),
    /// The ETag: the MD5 of the bytes, or for a multipart object the MD5 of
    /// its parts' MD5s. `parts` is the uploader's layout, `assumed` when it
    /// was inferred from the first part's size (parts of equal size, as
    /// every common client makes them).
    Etag {
        parts: Vec<(u64, u64)>,
        multipart: bool,
        assumed: bool,
    },
    /// Nothing the server says describes the bytes (a KMS-encrypted object
    /// without a CRC, a server that will not tell a multipart layout).
    Nothing,
}

impl Check {
    fn describe(&self) -> String {
        match self {
            Check::Crc64(c) => format!("CRC64NVME {}", crate::checksum::crc64_header(*c)),
            Check::Etag {
                parts,
                multipart,
                assumed,
            } => format!(
                "the ETag ({} part(s){}{})",
                parts.len(),
                if *multipart { ", multipart" } else { "" },
                if *assumed { ", layout assumed" } else { "" }
            ),
            Check::Nothing => "nothing".into(),
        }
    }
}

/// How to check `object` (a multipart one's layout asked of the server).
async fn check_for(bucket: &S3Bucket, key: &str, object: &ObjectHead) -> Check {
    if let Some(crc) = object.crc64 {
        return Check::Crc64(crc);
    }
    if !object.etag_is_md5 {
        return Check::Nothing;
    }
    let Some((_, n)) = object.etag.rsplit_once('-') else {
        return Check::Etag {
            parts: vec![(0, object.size)],
            multipart: false,
            assumed: false,
        };
    };
    let Ok(n) = n.parse::<usize>() else {
        return Check::Nothing;
    };
    match bucket.part_length(key, 1).await {
        Ok(Some(first)) if first > 0 && plan::parts(object.size, first).len() == n => Check::Etag {
            parts: plan::parts(object.size, first),
            multipart: true,
            assumed: n > 1,
        },
        Ok(_) => Check::Nothing,
        Err(e) => {
            tracing::debug!("{}: no part layout: {e}", bucket.uri(key));
            Check::Nothing
        }
    }
}

/// The exact layout of a multipart object: every part's size asked of the
/// server (used only when the assumed layout did not match).
async fn asked_layout(
    bucket: &S3Bucket,
    key: &str,
    n: usize,
    size: u64,
) -> Option<Vec<(u64, u64)>> {
    let numbers = 1..=i32::try_from(n).ok()?;
    let lengths: Vec<Option<u64>> = stream::iter(numbers)
        .map(|i| async move { bucket.part_length(key, i).await.ok().flatten() })
        .buffered(8)
        .collect()
        .await;
    let mut out = Vec::with_capacity(n);
    let mut at = 0;
    for len in lengths {
        let len = len?;
        out.push((at, len));
        at += len;
    }
    (at == size).then_some(out)
}

/// Downloads `bucket`/`key` to `dest` through a temporary file renamed when
/// complete; large objects in parallel ranges, checked against what the
/// server says of the object (see [`Check`]). `listed` is the size a
/// listing gave, if any: an object it says fits one request is fetched with
/// one GET whose answer also says what HeadObject would (one round trip per
/// small file instead of two).
pub async fn download_object(
    bucket: &S3Bucket,
    key: &str,
    dest: &Path,
    listed: Option<u64>,
    opts: &TransferOptions,
    progress: &Arc<Progress>,
) -> Result<u64, TransferError> {
    let uri = bucket.uri(key);
    let (object, first) = open_object(bucket, key, listed, opts).await?;
    let (size, etag) = (object.size, object.etag.clone());
    let check = check_for(bucket, key, &object).await;
    tracing::debug!("{uri}: checked against {}", check.describe());
    progress.total.fetch_add(size, Ordering::SeqCst);
    let (tmp, file) = temporary_file(dest, size).await?;
    let file = Arc::new(file);
    // Ranges follow a multipart object's own parts where they are known
    // (their MD5s are then taken as the bytes arrive); else our part size.
    let ranges = match (&check, &first) {
        (Check::Etag { parts, .. }, None) if parts.len() > 1 => parts.clone(),
        _ => plan::parts(size, plan::part_size(size, opts.part_size)),
    };
    let crc_wanted = matches!(check, Check::Crc64(_));
    let md5_wanted = matches!(&check, Check::Etag { parts, .. } if *parts == ranges);
    // One range covering the object: a plain GET (no Range header).
    let whole = ranges.len() == 1;
    // (An object grown since it was listed is fetched in ranges instead.)
    let mut first = first.filter(|_| whole);
    let fetched: Result<Vec<Sums>, TransferError> = stream::iter(ranges)
        .map(|(off, len)| {
            let range = Range {
                file: file.clone(),
                tmp: &tmp,
                etag: &etag,
                off,
                len,
                whole,
            };
            let opening = first.take().map_or(Opening::Ask, Opening::Answered);
            let hashes = Hashes::wanted(md5_wanted, crc_wanted);
            range.sums(bucket, key, opening, hashes, progress)
        })
        .buffer_unordered(opts.concurrency.max(1))
        .try_collect()
        .await;
    drop(file);
    let verified = match fetched {
        Ok(mut sums) => {
            sums.sort_by_key(|(off, ..)| *off);
            verify(bucket, key, &tmp, &object, check, &sums).await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = verified {
        let _ = tokio::fs::remove_file(&tmp).await;
        return Err(e);
    }
    tokio::fs::rename(&tmp, dest).await.map_err(local(dest))?;
    Ok(size)
}

/// What the object is: by HeadObject, or, where a listing says it fits one
/// request, by a plain GET, whose answer is then the first range's.
async fn open_object(
    bucket: &S3Bucket,
    key: &str,
    listed: Option<u64>,
    opts: &TransferOptions,
) -> Result<(ObjectHead, Option<Box<ObjectBody>>), TransferError> {
    match listed {
        Some(size) if size <= opts.part_size => {
            let body = bucket.get(key, None, None).await.map_err(|e| {
                if e.code.as_deref() == Some("NoSuchKey") {
                    TransferError::Refused(format!("{}: no such object", bucket.uri(key)))
                } else {
                    e.into()
                }
            })?;
            Ok((body.head.clone(), Some(Box::new(body))))
        }
        _ => Ok((head(bucket, key).await?, None)),
    }
}

/// The temporary file beside `dest` (its directory made if need be) that
/// the download is written to, `size` bytes long.
async fn temporary_file(dest: &Path, size: u64) -> Result<(PathBuf, std::fs::File), TransferError> {
    if let Some(dir) = dest.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(local(dir))?;
    }
    let tmp = dest.with_file_name(format!(
        ".{}.skiff-part",
        dest.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let file = std::fs::File::create(&tmp)
        .and_then(|f| reserve(&f, size).map(|()| f))
        .map_err(local(&tmp))?;
    Ok((tmp, file))
}

/// Makes `file` `size` bytes long (sparse). Reserving its blocks up front
/// with fallocate was tried and dropped: on ext4 the buffered writes into
/// the reserved (unwritten) extents cost more CPU and wall time than the
/// delayed allocation they replace (figures in the README's benchmark).
fn reserve(file: &std::fs::File, size: u64) -> std::io::Result<()> {
    file.set_len(size)
}

/// Compares what arrived (in `tmp`, with the ranges' sums) with `check`.
async fn verify(
    bucket: &S3Bucket,
    key: &str,
    tmp: &Path,
    object: &ObjectHead,
    check: Check,
    sums: &[Sums],
) -> Result<(), TransferError> {
    let uri = bucket.uri(key);
    let failed = |why: String| TransferError::Verification {
        uri: uri.clone(),
        why,
    };
    match check {
        Check::Nothing => Ok(()),
        Check::Crc64(want) => {
            let got = crate::checksum::crc64_of_pieces(
                sums.iter()
                    .filter_map(|(_, len, _, crc)| Some(((*crc)?, *len))),
            );
            if got == want {
                return Ok(());
            }
            Err(failed(format!(
                "downloaded CRC64NVME {}, the object's {}",
                crate::checksum::crc64_header(got),
                crate::checksum::crc64_header(want)
            )))
        }
        Check::Etag {
            parts,
            multipart,
            assumed,
        } => {
            let streamed: Vec<[u8; 16]> = sums.iter().filter_map(|(_, _, m, _)| *m).collect();
            let digests = if streamed.len() == parts.len() {
                streamed
            } else {
                md5s_of(tmp, parts.clone()).await?
            };
            let mut got = plan::etag(&digests, multipart);
            if got != object.etag && assumed {
                // Parts of unequal sizes: ask each one's and hash again.
                let asked = asked_layout(bucket, key, parts.len(), object.size).await;
                if let Some(exact) = asked.filter(|exact| *exact != parts) {
                    got = plan::etag(&md5s_of(tmp, exact).await?, true);
                }
            }
            if got == object.etag {
                return Ok(());
            }
            Err(failed(format!(
                "downloaded MD5 {got}, ETag {}",
                object.etag
            )))
        }
    }
}

#[cfg(test)]
mod write_tests {
    use super::write_vectored_at;
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        /// Chunks written with pwritev land back to back at the offset,
        /// byte for byte, whatever their sizes and count (over IOV_MAX too).
        #[test]
        fn chunks_land_back_to_back(
            sizes in proptest::collection::vec(0usize..3000, 0..1500),
            offset in 0u64..5000,
        ) {
            let chunks: Vec<bytes::Bytes> = sizes
                .iter()
                .enumerate()
                .map(|(i, n)| bytes::Bytes::from(vec![(i % 251) as u8; *n]))
                .collect();
            let file = tempfile::tempfile().expect("temp file");
            let end = write_vectored_at(&file, &chunks, offset).expect("written");
            let all: Vec<u8> = chunks.iter().flat_map(|c| c.iter().copied()).collect();
            prop_assert_eq!(end, offset + all.len() as u64);
            let mut back = vec![0u8; all.len()];
            std::os::unix::fs::FileExt::read_exact_at(&file, &mut back, offset).expect("read");
            prop_assert_eq!(back, all);
        }
    }
}
