//! Uploads: one PutObject up to the multipart threshold, else parts read
//! from disk into pooled buffers and sent in parallel, resumable through a
//! journal in the state directory.
//!
//! What arrived is what left, checked without hashing every byte twice:
//! each part's CRC64NVME is computed while the part is read and sent with
//! it; S3 checks it against what it received and answers with it. Where the
//! server takes a full-object CRC64NVME (S3 says so when the upload is
//! created), the parts' CRCs combine into the file's, which S3 checks at
//! completion and HeadObject shows. Where a server does not answer with the
//! CRC it checked, the part's MD5 is computed too, and the object's ETag is
//! compared with the file's — decided by what the server answers, part by
//! part, never by a guess.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU8, AtomicU64, Ordering};

use futures::stream::{self, StreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use super::{Progress, TransferError, TransferOptions, Uploaded, head, local, md5s_of, plan};
use crate::checksum::{crc64, crc64_of_pieces};
use crate::cloud::actions::Actions;
use crate::cloud::s3::S3Bucket;

/// One part an earlier or this run sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
struct SentPart {
    etag: String,
    crc64: u64,
    /// Hex MD5, where it was computed (the server did not confirm the CRC).
    md5: Option<String>,
    /// The server answered with the part's CRC: it checked it.
    checked: bool,
}

/// The resume journal of one multipart upload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Journal {
    /// 2: parts with CRCs (journals of older versions start over).
    #[serde(default)]
    version: u32,
    bucket: String,
    key: String,
    upload_id: String,
    part_size: u64,
    /// The server keeps a full-object CRC64NVME for this upload.
    #[serde(default)]
    full_object: bool,
    parts: BTreeMap<i32, SentPart>,
}

const JOURNAL_VERSION: u32 = 2;

fn journal_path(
    dir: &Path,
    bucket: &str,
    key: &str,
    file: &Path,
    size: u64,
    mtime: u64,
) -> PathBuf {
    let id = hex::encode(plan::md5(
        format!("{bucket}\n{key}\n{}\n{size}\n{mtime}", file.display()).as_bytes(),
    ));
    dir.join(format!("{id}.json"))
}

fn write_journal(path: &Path, j: &Journal) -> std::io::Result<()> {
    crate::store::write_json(path, j)
}

/// The journal of an interrupted upload; none when there is none, when an
/// older version wrote it (it starts over, by design), or when it cannot be
/// read (kept aside and said: the parts already sent are sent again).
fn read_journal(path: &Path) -> Journal {
    let Ok(bytes) = std::fs::read(path) else {
        return Journal::default();
    };
    match serde_json::from_slice::<Journal>(&bytes) {
        Ok(j) if j.version == JOURNAL_VERSION => j,
        Ok(_) => Journal::default(),
        Err(e) => {
            crate::store::notices::set_aside(
                path,
                &e.to_string(),
                "the resume journal of an upload",
                "that upload starts over (its parts are sent again)",
            );
            Journal::default()
        }
    }
}

/// Part buffers handed back after each request, so an upload holds at most
/// `concurrency` of them (memory stays at concurrency × part size) and no
/// page is allocated and zeroed twice.
#[derive(Debug, Clone)]
struct BufferPool {
    free: Arc<std::sync::Mutex<Vec<Vec<u8>>>>,
    keep: usize,
}

impl BufferPool {
    fn new(keep: usize) -> Self {
        Self {
            free: Arc::default(),
            keep,
        }
    }

    fn take(&self) -> Vec<u8> {
        self.free
            .lock()
            .ok()
            .and_then(|mut f| f.pop())
            .unwrap_or_default()
    }

    /// A request body that returns its buffer here when the SDK drops it.
    fn body(&self, buf: Vec<u8>) -> bytes::Bytes {
        bytes::Bytes::from_owner(Pooled {
            buf,
            pool: self.clone(),
        })
    }
}

struct Pooled {
    buf: Vec<u8>,
    pool: BufferPool,
}

impl AsRef<[u8]> for Pooled {
    fn as_ref(&self) -> &[u8] {
        &self.buf
    }
}

impl Drop for Pooled {
    fn drop(&mut self) {
        if let Ok(mut free) = self.pool.free.lock()
            && free.len() < self.pool.keep
        {
            free.push(std::mem::take(&mut self.buf));
        }
    }
}

/// What was read of a part, with its checksums.
pub(super) struct ReadPart {
    pub(super) buf: Vec<u8>,
    pub(super) crc64: u64,
    pub(super) md5: Option<[u8; 16]>,
}

/// Reads `len` bytes at `offset` into `buf` (a positioned read on the
/// blocking pool: no seek, no intermediate copy) and checksums them while
/// they are hot in the cache: CRC64NVME always, MD5 when `with_md5`.
pub(super) async fn read_part(
    path: &Path,
    offset: u64,
    len: u64,
    mut buf: Vec<u8>,
    with_md5: bool,
) -> Result<ReadPart, TransferError> {
    use std::os::unix::fs::FileExt;
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let f = std::fs::File::open(&owned)?;
        // A reused buffer of the same length is not zeroed again.
        buf.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
        f.read_exact_at(&mut buf, offset)?;
        let crc = crc64(&buf);
        let md5 = with_md5.then(|| plan::md5(&buf));
        Ok(ReadPart {
            buf,
            crc64: crc,
            md5,
        })
    })
    .await
    .map_err(|e| TransferError::Refused(format!("reading {}: {e}", path.display())))?
    .map_err(local(path))
}

/// Whether the server confirms part CRCs: not known yet, yes, no.
const UNKNOWN: u8 = 0;
const CONFIRMS: u8 = 1;
const SILENT: u8 = 2;

/// Uploads `file` to `bucket`/`key`. Parts already sent by an interrupted
/// run (per the journal in `journal_dir`) are not sent again. On cancel the
/// multipart upload is aborted, leaving nothing behind on S3.
pub async fn upload_file(
    actions: &Actions,
    bucket: &S3Bucket,
    file: &Path,
    key: &str,
    opts: &TransferOptions,
    journal_dir: &Path,
    progress: &Arc<Progress>,
) -> Result<Uploaded, TransferError> {
    let (size, mtime) = size_and_mtime(file).await?;
    progress.total.fetch_add(size, Ordering::SeqCst);
    if size <= opts.multipart_threshold {
        return put_whole(actions, bucket, file, key, size, progress).await;
    }
    let jpath = journal_path(journal_dir, &bucket.name, key, file, size, mtime);
    let (journal, began) = resume_or_begin(actions, bucket, key, size, opts, &jpath).await?;
    let upload = Multipart {
        actions,
        bucket,
        key,
        file,
        uri: bucket.uri(key),
        upload_id: journal.upload_id.clone(),
        layout: plan::parts(size, journal.part_size),
        full_object: journal.full_object,
        jpath,
    };
    let resumed = upload.resumed(&journal);
    progress.resumed.fetch_add(resumed, Ordering::SeqCst);
    let journal = Mutex::new(journal);
    let sent = upload.send_parts(&journal, opts, progress).await?;
    let j = journal.into_inner();
    let (whole_crc, etag) = upload.sums(&j);
    let check = upload.check(&j, whole_crc, etag.as_deref())?;
    upload.complete(&j, whole_crc, size, check).await?;
    let _ = std::fs::remove_file(&upload.jpath);
    if let Some(began) = began {
        abort_orphans(actions, bucket, key, &upload.upload_id, began).await;
    }
    verify(bucket, key, size, check).await?;
    Ok(Uploaded {
        key: key.into(),
        size,
        sent,
        resumed,
        parts: j.parts.len(),
        etag: etag
            .unwrap_or_else(|| format!("crc64nvme:{}", crate::checksum::crc64_header(whole_crc))),
        skipped: false,
    })
}

/// The size of `file`, a regular file, and when it was last modified
/// (seconds since the epoch; 0 where unknown): with its path they name the
/// resume journal.
async fn size_and_mtime(file: &Path) -> Result<(u64, u64), TransferError> {
    let meta = tokio::fs::metadata(file).await.map_err(local(file))?;
    if !meta.is_file() {
        return Err(TransferError::Refused(format!(
            "{} is not a file",
            file.display()
        )));
    }
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    Ok((meta.len(), mtime))
}

/// A file up to the multipart threshold, in one PutObject.
async fn put_whole(
    actions: &Actions,
    bucket: &S3Bucket,
    file: &Path,
    key: &str,
    size: u64,
    progress: &Progress,
) -> Result<Uploaded, TransferError> {
    let uri = bucket.uri(key);
    if progress.is_cancelled() {
        return Err(TransferError::Cancelled(uri));
    }
    // Small: the MD5 is cheap, and the ETag check works on any server.
    // The answer itself is the check (one request a file): S3 confirms
    // the CRC it verified, and the ETag is the MD5 of what it stored.
    let part = read_part(file, 0, size, Vec::new(), true).await?;
    let digest = part.md5.unwrap_or_default();
    let answer = actions
        .put_object(bucket, key, part.buf.into(), part.crc64)
        .await?;
    progress.done.fetch_add(size, Ordering::SeqCst);
    let etag = plan::etag(&[digest], false);
    if answer.crc_confirmed {
        // S3 verified the CRC of what it received.
    } else if answer.etag_is_md5 && !answer.etag.is_empty() {
        if answer.etag != etag {
            return Err(TransferError::Verification {
                uri,
                why: format!("ETag {} on S3, {etag} computed from the file", answer.etag),
            });
        }
    } else {
        // The answer says nothing of the bytes: ask for the object.
        verify(
            bucket,
            key,
            size,
            Check::Single {
                etag: &etag,
                crc: part.crc64,
            },
        )
        .await?;
    }
    Ok(Uploaded {
        key: key.into(),
        size,
        sent: size,
        resumed: 0,
        parts: 1,
        etag,
        skipped: false,
    })
}

/// The journal of the multipart upload to resume, or of one begun now (with
/// when it began: an answer to CreateMultipartUpload that was lost, and
/// asked again, leaves an upload begun after it that nobody will finish).
async fn resume_or_begin(
    actions: &Actions,
    bucket: &S3Bucket,
    key: &str,
    size: u64,
    opts: &TransferOptions,
    jpath: &Path,
) -> Result<(Journal, Option<chrono::DateTime<chrono::Utc>>), TransferError> {
    let journal = read_journal(jpath);
    // A journaled upload is resumed only if S3 still has it (it may have been
    // aborted or expired). Its journaled parts are trusted: each was written
    // only after S3 acknowledged that part, and the final check against the
    // whole file catches anything amiss.
    if !journal.upload_id.is_empty() {
        match bucket.has_upload(key, &journal.upload_id).await {
            Ok(true) => return Ok((journal, None)),
            Ok(false) => {}
            Err(e) => {
                tracing::warn!("cannot resume {}: {e}; starting over", bucket.uri(key));
            }
        }
    }
    let began = chrono::Utc::now();
    let (upload_id, full_object) = actions.create_multipart_upload(bucket, key, true).await?;
    let journal = Journal {
        version: JOURNAL_VERSION,
        bucket: bucket.name.clone(),
        key: key.into(),
        upload_id,
        part_size: plan::part_size(size, opts.part_size),
        full_object,
        parts: BTreeMap::new(),
    };
    write_journal(jpath, &journal).map_err(local(jpath))?;
    Ok((journal, Some(began)))
}

/// A multipart upload under way: where it goes, the file it reads in parts
/// (`layout`: offset and length of each), and the journal each part the
/// server acknowledged is written to.
struct Multipart<'a> {
    actions: &'a Actions,
    bucket: &'a S3Bucket,
    key: &'a str,
    file: &'a Path,
    uri: String,
    upload_id: String,
    layout: Vec<(u64, u64)>,
    /// The server keeps a full-object CRC64NVME for this upload.
    full_object: bool,
    jpath: PathBuf,
}

impl Multipart<'_> {
    /// The length of part `n` (from 1), if the file has such a part.
    fn len_of(&self, n: i32) -> Option<u64> {
        self.layout
            .get(usize::try_from(n - 1).ok()?)
            .map(|(_, len)| *len)
    }

    /// The bytes an earlier run sent.
    fn resumed(&self, journal: &Journal) -> u64 {
        journal.parts.keys().filter_map(|n| self.len_of(*n)).sum()
    }

    /// Sends the parts the journal does not have, `opts.concurrency` at a
    /// time, and answers how many bytes went. On cancel the upload is
    /// aborted; on a failure it is kept, to be resumed by the next run.
    async fn send_parts(
        &self,
        journal: &Mutex<Journal>,
        opts: &TransferOptions,
        progress: &Progress,
    ) -> Result<u64, TransferError> {
        let todo: Vec<(i32, u64, u64)> = {
            let j = journal.lock().await;
            self.layout
                .iter()
                .enumerate()
                .map(|(i, (off, len))| (i32::try_from(i + 1).unwrap_or(i32::MAX), *off, *len))
                .filter(|(n, _, _)| !j.parts.contains_key(n))
                .collect()
        };
        // A server that answered CreateMultipartUpload with a full-object
        // CRC64NVME (S3 does) will show the object's, computed from what it
        // stored: the parts' CRCs are enough. Otherwise, until the server shows
        // it checks part CRCs (S3 answers with each part's), MD5s are computed
        // as well, so a server that says nothing is checked by the ETag. (One
        // that promised a CRC and then shows none is checked by re-reading the
        // file: see `verify`.)
        let server = AtomicU8::new(if self.full_object { CONFIRMS } else { UNKNOWN });
        let sent = AtomicU64::new(0);
        let pool = BufferPool::new(opts.concurrency.max(1));
        let part = |(n, off, len)| Part {
            n,
            off,
            len,
            journal,
            server: &server,
            sent: &sent,
            pool: &pool,
            progress,
        };
        // Every part's future runs to its end (a part not yet begun ends at
        // once when cancelled): none is still on the wire when the upload
        // is aborted, where a late part could race the abort.
        // After a part fails, the parts not yet begun are skipped (None).
        let failed = std::sync::atomic::AtomicBool::new(false);
        let results: Vec<Option<Result<(), TransferError>>> = stream::iter(todo)
            .map(|p| {
                let (failed, part) = (&failed, part(p));
                async move {
                    if failed.load(Ordering::SeqCst) {
                        return None;
                    }
                    let r = self.send_part(part).await;
                    if r.is_err() {
                        failed.store(true, Ordering::SeqCst);
                    }
                    Some(r)
                }
            })
            .buffer_unordered(opts.concurrency.max(1))
            .collect()
            .await;
        let cancelled = progress.is_cancelled();
        let first_error = results.into_iter().flatten().find_map(Result::err);
        match first_error {
            None => Ok(sent.load(Ordering::SeqCst)),
            Some(_) if cancelled => {
                // Discarded by the user: abort, so no parts stay (and cost) on S3.
                self.abort().await;
                let _ = std::fs::remove_file(&self.jpath);
                Err(TransferError::Cancelled(self.uri.clone()))
            }
            Some(e) => {
                // Kept for the next run: the parts S3 has are not sent again.
                let kept = journal.lock().await.parts.len();
                Err(TransferError::Refused(format!(
                    "{e} — run the same copy again to resume ({kept} of {} parts are on S3)",
                    self.layout.len()
                )))
            }
        }
    }

    /// Aborts the upload and checks that S3 no longer lists it, asking
    /// again (a few times) where it still does.
    async fn abort(&self) {
        for _ in 0..3 {
            if let Err(e) = self
                .actions
                .abort_multipart_upload(self.bucket, self.key, &self.upload_id)
                .await
            {
                tracing::warn!("{}: abort: {e}", self.uri);
            }
            match self.bucket.has_upload(self.key, &self.upload_id).await {
                Ok(false) => return,
                Ok(true) => tokio::time::sleep(std::time::Duration::from_millis(200)).await,
                Err(e) => {
                    tracing::warn!("{}: cannot check the abort: {e}", self.uri);
                    return;
                }
            }
        }
        tracing::warn!(
            "{}: the upload {} is still listed after 3 aborts",
            self.uri,
            self.upload_id
        );
    }

    /// Reads and sends one part, and journals it once the server has it.
    async fn send_part(&self, p: Part<'_>) -> Result<(), TransferError> {
        if p.progress.is_cancelled() {
            return Err(TransferError::Cancelled(self.uri.clone()));
        }
        let with_md5 = p.server.load(Ordering::SeqCst) != CONFIRMS;
        let part = read_part(self.file, p.off, p.len, p.pool.take(), with_md5).await?;
        let (crc, md5) = (part.crc64, part.md5.map(hex::encode));
        let (etag, checked) = self
            .actions
            .upload_part(
                self.bucket,
                self.key,
                &self.upload_id,
                p.n,
                p.pool.body(part.buf),
                crc,
            )
            .await?;
        let _ = p.server.compare_exchange(
            UNKNOWN,
            if checked { CONFIRMS } else { SILENT },
            Ordering::SeqCst,
            Ordering::SeqCst,
        );
        if !checked && md5.is_none() && !self.full_object {
            return Err(TransferError::Verification {
                uri: self.uri.clone(),
                why: format!("the server did not confirm part {}'s checksum", p.n),
            });
        }
        p.progress.done.fetch_add(p.len, Ordering::SeqCst);
        p.sent.fetch_add(p.len, Ordering::SeqCst);
        let mut j = p.journal.lock().await;
        j.parts.insert(
            p.n,
            SentPart {
                etag,
                crc64: crc,
                md5,
                checked,
            },
        );
        write_journal(&self.jpath, &j).map_err(local(&self.jpath))
    }

    /// What the parts add up to: the file's CRC64NVME, and its ETag where
    /// every part's MD5 is known.
    fn sums(&self, j: &Journal) -> (u64, Option<String>) {
        let pieces = j
            .parts
            .iter()
            .filter_map(|(n, p)| Some((p.crc64, self.len_of(*n)?)))
            .collect::<Vec<_>>();
        let md5s: Option<Vec<[u8; 16]>> = j
            .parts
            .values()
            .map(|p| {
                let mut d = [0u8; 16];
                hex::decode_to_slice(p.md5.as_ref()?, &mut d).ok()?;
                Some(d)
            })
            .collect();
        (
            crc64_of_pieces(pieces),
            md5s.as_ref().map(|d| plan::etag(d, true)),
        )
    }

    /// How the finished object is checked: by its ETag where every part's
    /// MD5 is known, else by the full-object CRC, else by the server having
    /// checked every part; refused where none of these holds.
    fn check<'s>(
        &'s self,
        j: &Journal,
        whole_crc: u64,
        etag: Option<&'s str>,
    ) -> Result<Check<'s>, TransferError> {
        let all_checked = j.parts.values().all(|p| p.checked);
        if let Some(etag) = etag {
            Ok(Check::ETag(etag))
        } else if j.full_object {
            Ok(Check::Crc64 {
                crc: whole_crc,
                file: self.file,
                layout: &self.layout,
                parts_checked: all_checked,
            })
        } else if all_checked {
            Ok(Check::PartsChecked)
        } else {
            Err(TransferError::Verification {
                uri: self.uri.clone(),
                why: "some parts were neither checked by the server nor hashed".into(),
            })
        }
    }

    /// Completes the upload from the journaled parts.
    async fn complete(
        &self,
        j: &Journal,
        whole_crc: u64,
        size: u64,
        check: Check<'_>,
    ) -> Result<(), TransferError> {
        let completed: Vec<(i32, String)> =
            j.parts.iter().map(|(n, p)| (*n, p.etag.clone())).collect();
        if let Err(e) = self
            .actions
            .complete_multipart_upload(
                self.bucket,
                self.key,
                &self.upload_id,
                &completed,
                j.full_object.then_some(whole_crc),
            )
            .await
        {
            // Its answer may have been lost after S3 did it (asked again, S3
            // then says NoSuchUpload): the object decides, not the error.
            if verify(self.bucket, self.key, size, check).await.is_err() {
                return Err(e.into());
            }
            tracing::info!("{}: completed, though its answer was lost ({e})", self.uri);
        }
        Ok(())
    }
}

/// One part to send, with what the parts sent at the same time share.
struct Part<'a> {
    n: i32,
    off: u64,
    len: u64,
    journal: &'a Mutex<Journal>,
    /// Whether the server confirms part CRCs (UNKNOWN, CONFIRMS, SILENT).
    server: &'a AtomicU8,
    sent: &'a AtomicU64,
    pool: &'a BufferPool,
    progress: &'a Progress,
}

/// Aborts the uploads of `key` begun since `began` other than `ours`: made
/// by a CreateMultipartUpload whose answer was lost and which was asked
/// again, they would hold parts (and cost) until someone aborted them. A
/// minute's slack covers clocks that disagree.
async fn abort_orphans(
    actions: &Actions,
    bucket: &S3Bucket,
    key: &str,
    ours: &str,
    began: chrono::DateTime<chrono::Utc>,
) {
    let since = began - chrono::Duration::seconds(60);
    let Ok(uploads) = bucket.uploads(key).await else {
        return;
    };
    for (id, initiated) in uploads {
        if id != ours && initiated.is_some_and(|t| t >= since) {
            match actions.abort_multipart_upload(bucket, key, &id).await {
                Ok(()) => tracing::info!(
                    "{}: aborted an upload a lost answer left: {id}",
                    bucket.uri(key)
                ),
                Err(e) => tracing::warn!("{}: cannot abort upload {id}: {e}", bucket.uri(key)),
            }
        }
    }
}

/// How an upload is checked at the end, besides its size.
#[derive(Debug, Clone, Copy)]
enum Check<'a> {
    /// The object's ETag equals the one computed from the file.
    ETag(&'a str),
    /// An object sent in one request: its CRC64NVME, where the server shows
    /// one, equals `crc`; else its ETag, where that is an MD5, equals `etag`.
    Single { etag: &'a str, crc: u64 },
    /// The object's full-object CRC64NVME equals the file's `crc` (S3
    /// checked it when the upload completed). A server that shows none
    /// after promising one is checked by the ETag of the file's parts
    /// (`layout`) read again, or, where its ETag is not an MD5, by the
    /// parts' CRCs it confirmed (`parts_checked`).
    Crc64 {
        crc: u64,
        file: &'a Path,
        layout: &'a [(u64, u64)],
        parts_checked: bool,
    },
    /// Every part's CRC was checked by the server as it arrived.
    PartsChecked,
}

/// The object must have the local file's size, and pass `check`.
async fn verify(
    bucket: &S3Bucket,
    key: &str,
    size: u64,
    check: Check<'_>,
) -> Result<(), TransferError> {
    let uri = bucket.uri(key);
    let h = head(bucket, key).await?;
    if h.size != size {
        return Err(TransferError::Verification {
            uri,
            why: format!("{} bytes on S3, {size} on disk", h.size),
        });
    }
    match check {
        Check::Single { etag, crc } => match h.crc64 {
            Some(c) if c == crc => Ok(()),
            Some(c) => Err(TransferError::Verification {
                uri,
                why: format!(
                    "CRC64NVME {} on S3, {} computed from the file",
                    crate::checksum::crc64_header(c),
                    crate::checksum::crc64_header(crc)
                ),
            }),
            None if !h.etag_is_md5 => Err(TransferError::Verification {
                uri,
                why: "the server shows neither a checksum nor an ETag to compare with".into(),
            }),
            None if h.etag != etag => Err(TransferError::Verification {
                uri,
                why: format!("ETag {} on S3, {etag} computed from the file", h.etag),
            }),
            None => Ok(()),
        },
        Check::ETag(etag) if h.etag != etag => Err(TransferError::Verification {
            uri,
            why: format!("ETag {} on S3, {etag} computed from the file", h.etag),
        }),
        Check::Crc64 { crc, .. } if h.crc64.is_some_and(|c| c != crc) => {
            Err(TransferError::Verification {
                uri,
                why: format!(
                    "CRC64NVME {} on S3, {} computed from the file",
                    crate::checksum::crc64_header(h.crc64.unwrap_or_default()),
                    crate::checksum::crc64_header(crc)
                ),
            })
        }
        Check::Crc64 {
            file,
            layout,
            parts_checked,
            ..
        } if h.crc64.is_none() => {
            if h.etag_is_md5 {
                tracing::debug!("{uri}: no CRC64NVME shown; checking the ETag from the file");
                let etag = plan::etag(&md5s_of(file, layout.to_vec()).await?, true);
                if h.etag != etag {
                    return Err(TransferError::Verification {
                        uri,
                        why: format!("ETag {} on S3, {etag} computed from the file", h.etag),
                    });
                }
                Ok(())
            } else if parts_checked {
                Ok(())
            } else {
                Err(TransferError::Verification {
                    uri,
                    why: "the server shows neither a checksum nor an ETag to compare with".into(),
                })
            }
        }
        _ => Ok(()),
    }
}
