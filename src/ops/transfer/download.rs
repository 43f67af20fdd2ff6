//! Downloads: through a temporary file renamed when complete, in parallel
//! ranges, each resumed from the byte where its body broke.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering;

use futures::stream::{self, StreamExt, TryStreamExt};
use md5::{Digest, Md5};

use super::{Progress, TransferError, TransferOptions, head, local, plan};
use crate::cloud::s3::S3Bucket;

/// Bytes of a download gathered before one write to disk.
const WRITE_BATCH: usize = 4 << 20;

/// Writes `chunks` back to back at `offset` (blocking pool); returns the
/// offset after them.
async fn write_chunks(
    file: &Arc<std::fs::File>,
    path: &Path,
    offset: u64,
    chunks: Vec<bytes::Bytes>,
) -> Result<u64, TransferError> {
    use std::os::unix::fs::FileExt;
    let file = file.clone();
    tokio::task::spawn_blocking(move || {
        let mut at = offset;
        for c in &chunks {
            file.write_all_at(c, at)?;
            at += c.len() as u64;
        }
        Ok(at)
    })
    .await
    .map_err(|e| TransferError::Refused(format!("writing {}: {e}", path.display())))?
    .map_err(local(path))
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

impl Range<'_> {
    /// Streams the range to disk a few MiB at a time (never held whole in
    /// memory), digesting it into `md5` as it comes. A broken body is
    /// resumed from the first byte not yet received, with backoff, up to
    /// [`BODY_TRIES`] tries; a changed object is an error, not a mix.
    async fn fetch(
        &self,
        bucket: &S3Bucket,
        key: &str,
        mut md5: Option<&mut Md5>,
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
            let broke = match bucket.get(key, range, Some(self.etag)).await {
                Ok(mut body) => {
                    let (reached, broke) = self
                        .stream(&mut body, at, md5.as_deref_mut(), progress)
                        .await?;
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
        mut md5: Option<&mut Md5>,
        progress: &Progress,
    ) -> Result<(u64, Option<String>), TransferError> {
        let (mut batch, mut batched) = (Vec::new(), 0usize);
        loop {
            let (chunk, broke) = match body.next_chunk().await {
                Ok(c) => (c, None),
                Err(e) => (None, Some(e.message)),
            };
            let done = chunk.is_none();
            if let Some(c) = chunk {
                if let Some(h) = md5.as_deref_mut() {
                    h.update(&c);
                }
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

/// Downloads `bucket`/`key` to `dest` through a temporary file renamed when
/// complete; large objects in parallel ranges.
pub async fn download_object(
    bucket: &S3Bucket,
    key: &str,
    dest: &Path,
    opts: &TransferOptions,
    progress: &Arc<Progress>,
) -> Result<u64, TransferError> {
    let uri = bucket.uri(key);
    let (size, etag) = head(bucket, key).await?;
    progress.total.fetch_add(size, Ordering::SeqCst);
    if let Some(dir) = dest.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(local(dir))?;
    }
    let tmp = dest.with_file_name(format!(
        ".{}.skiff-part",
        dest.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    let file = std::fs::File::create(&tmp)
        .and_then(|f| f.set_len(size).map(|()| f))
        .map_err(local(&tmp))?;
    let file = Arc::new(file);
    let ranges = plan::parts(size, plan::part_size(size, opts.part_size));
    // A single-part object's ETag is its MD5: check it. (A multipart ETag
    // depends on part sizes we cannot know, so there is nothing to compare.)
    let check_md5 = ranges.len() <= 1 && !etag.contains('-');
    // One range covering the object: a plain GET (no Range header).
    let whole = ranges.len() == 1;
    let fetched: Result<Vec<Option<[u8; 16]>>, TransferError> = stream::iter(ranges)
        .map(|(off, len)| {
            let range = Range {
                file: file.clone(),
                tmp: &tmp,
                etag: &etag,
                off,
                len,
                whole,
            };
            async move {
                if progress.is_cancelled() {
                    return Err(TransferError::Cancelled(bucket.uri(key)));
                }
                let mut md5 = check_md5.then(Md5::new);
                range.fetch(bucket, key, md5.as_mut(), progress).await?;
                Ok(md5.map(|h| h.finalize().into()))
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .try_collect()
        .await;
    drop(file);
    let digests: Vec<[u8; 16]> = match fetched {
        Ok(d) => d.into_iter().flatten().collect(),
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    if check_md5 {
        let got = plan::etag(&digests, false);
        if got != etag {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(TransferError::Verification {
                uri,
                why: format!("downloaded MD5 {got}, ETag {etag}"),
            });
        }
    }
    tokio::fs::rename(&tmp, dest).await.map_err(local(dest))?;
    Ok(size)
}
