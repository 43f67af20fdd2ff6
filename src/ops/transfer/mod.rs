//! Moving data between the disk and S3: multipart uploads with parallel
//! parts streamed from disk, resumable through a journal in the state
//! directory, checked against the local file at the end; downloads through a
//! temporary file with parallel ranged reads.

pub mod copy;
mod download;
pub mod expand;
pub mod plan;

pub use download::download_object;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::sync::Mutex;

use crate::cloud::CloudError;
use crate::cloud::actions::Actions;
use crate::cloud::s3::S3Bucket;

/// Runs `f` on every item of a folder transfer, given with its size: small
/// items (up to the multipart threshold, one request each) up to
/// `concurrency` at a time, large ones one after another since each is
/// already sent in parallel parts. Either way at most `concurrency` bodies of
/// at most a part size are in memory. Results keep the items' order within
/// each group, small ones first.
pub async fn by_size<I, T, Fut>(
    items: Vec<(I, u64)>,
    opts: &TransferOptions,
    f: impl Fn(I) -> Fut,
) -> Vec<T>
where
    Fut: std::future::Future<Output = T>,
{
    let (small, large): (Vec<_>, Vec<_>) = items
        .into_iter()
        .partition(|(_, size)| *size <= opts.multipart_threshold);
    let mut out: Vec<T> = stream::iter(small)
        .map(|(item, _)| f(item))
        .buffered(opts.concurrency.max(1))
        .collect()
        .await;
    for (item, _) in large {
        out.push(f(item).await);
    }
    out
}

/// How to transfer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TransferOptions {
    /// Files larger than this go in parts.
    pub multipart_threshold: u64,
    /// Wanted part size (grown when a file would need more than 10,000 parts).
    pub part_size: u64,
    /// Parts (or ranges) in flight at once.
    pub concurrency: usize,
}

impl Default for TransferOptions {
    fn default() -> Self {
        Self {
            multipart_threshold: 8 * plan::MIB,
            part_size: 8 * plan::MIB,
            concurrency: 8,
        }
    }
}

/// Progress as values: bytes in total, moved in this run, and skipped
/// because an earlier run had already sent them.
#[derive(Debug, Default)]
pub struct Progress {
    pub total: AtomicU64,
    pub done: AtomicU64,
    pub resumed: AtomicU64,
    pub cancelled: AtomicBool,
}

impl Progress {
    pub fn cancel(&self) {
        self.cancelled.store(true, Ordering::SeqCst);
    }
    fn is_cancelled(&self) -> bool {
        self.cancelled.load(Ordering::SeqCst)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum TransferError {
    #[error("{path}: {error}")]
    Local {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Cloud(#[from] CloudError),
    #[error("cancelled: {0}")]
    Cancelled(String),
    #[error("{0}")]
    Refused(String),
    #[error("verification failed for {uri}: {why}")]
    Verification { uri: String, why: String },
}

fn local(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |error| TransferError::Local {
        path: path.to_path_buf(),
        error,
    }
}

/// What an upload did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Uploaded {
    pub key: String,
    pub size: u64,
    /// Bytes sent in this run.
    pub sent: u64,
    /// Bytes an earlier, interrupted run had already sent.
    pub resumed: u64,
    pub parts: usize,
    pub etag: String,
    /// Skipped: the same object was already there.
    pub skipped: bool,
}

/// The resume journal of one multipart upload.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Journal {
    bucket: String,
    key: String,
    upload_id: String,
    part_size: u64,
    /// Part number → (ETag, MD5 hex of the part).
    parts: BTreeMap<i32, (String, String)>,
}

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

/// Reads `len` bytes at `offset` into `buf` (a positioned read on the
/// blocking pool: no seek, no intermediate copy) and digests them while they
/// are hot in the cache.
async fn read_part(
    path: &Path,
    offset: u64,
    len: u64,
    mut buf: Vec<u8>,
) -> Result<(Vec<u8>, [u8; 16]), TransferError> {
    use std::os::unix::fs::FileExt;
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let f = std::fs::File::open(&owned)?;
        // A reused buffer of the same length is not zeroed again.
        buf.resize(usize::try_from(len).unwrap_or(usize::MAX), 0);
        f.read_exact_at(&mut buf, offset)?;
        let digest = plan::md5(&buf);
        Ok((buf, digest))
    })
    .await
    .map_err(|e| TransferError::Refused(format!("reading {}: {e}", path.display())))?
    .map_err(local(path))
}

/// Whether `key` already holds exactly this file (size and ETag).
pub async fn same_object(
    bucket: &S3Bucket,
    key: &str,
    file: &Path,
    opts: &TransferOptions,
) -> bool {
    let Ok(Some(head)) = bucket.head(key).await else {
        return false;
    };
    let Ok(meta) = tokio::fs::metadata(file).await else {
        return false;
    };
    if head.size != meta.len() {
        return false;
    }
    let remote = head.etag;
    let size = meta.len();
    let Some((_, count)) = remote.split_once('-') else {
        // A single PUT: the ETag is the file's MD5.
        return match read_part(file, 0, size, Vec::new()).await {
            Ok((_, digest)) => plan::etag(&[digest], false) == remote,
            Err(_) => false,
        };
    };
    // Multipart: the part size is not stored; try skiff's, then the
    // smallest whole-MiB size that gives the same number of parts.
    let n: u64 = count.parse().unwrap_or(1).max(1);
    let mut candidates = vec![
        plan::part_size(size, opts.part_size),
        size.div_ceil(n).div_ceil(plan::MIB) * plan::MIB,
    ];
    candidates.dedup();
    for part in candidates {
        if plan::parts(size, part).len() as u64 != n {
            continue;
        }
        let (mut digests, mut buf) = (Vec::new(), Vec::new());
        for (offset, len) in plan::parts(size, part) {
            match read_part(file, offset, len, buf).await {
                Ok((b, digest)) => (buf, _) = (b, digests.push(digest)),
                Err(_) => return false,
            }
        }
        if plan::etag(&digests, true) == remote {
            return true;
        }
    }
    false
}

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
    let meta = tokio::fs::metadata(file).await.map_err(local(file))?;
    if !meta.is_file() {
        return Err(TransferError::Refused(format!(
            "{} is not a file",
            file.display()
        )));
    }
    let size = meta.len();
    let mtime = meta
        .modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_secs());
    progress.total.fetch_add(size, Ordering::SeqCst);
    let uri = bucket.uri(key);
    if size <= opts.multipart_threshold {
        if progress.is_cancelled() {
            return Err(TransferError::Cancelled(uri));
        }
        let (bytes, digest) = read_part(file, 0, size, Vec::new()).await?;
        actions.put_object(bucket, key, bytes.into()).await?;
        progress.done.fetch_add(size, Ordering::SeqCst);
        let etag = plan::etag(&[digest], false);
        verify(bucket, key, size, &etag).await?;
        return Ok(Uploaded {
            key: key.into(),
            size,
            sent: size,
            resumed: 0,
            parts: 1,
            etag,
            skipped: false,
        });
    }

    let jpath = journal_path(journal_dir, &bucket.name, key, file, size, mtime);
    let mut journal: Journal = std::fs::read(&jpath)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or_default();
    // A journaled upload is resumed only if S3 still has it (it may have been
    // aborted or expired). Its journaled parts are trusted: each was written
    // only after S3 acknowledged that part, and the final ETag check against
    // the whole file catches anything amiss. ListParts would say the same,
    // but emulators answer it in ways the SDK cannot read.
    if !journal.upload_id.is_empty() {
        match bucket.has_upload(key, &journal.upload_id).await {
            Ok(true) => {}
            Ok(false) => journal = Journal::default(),
            Err(e) => {
                tracing::warn!("cannot resume {uri}: {e}; starting over");
                journal = Journal::default();
            }
        }
    }
    // When this run began its upload: an answer to CreateMultipartUpload
    // that was lost (and asked again) leaves an upload begun after it that
    // nobody will finish.
    let mut began = None;
    if journal.upload_id.is_empty() {
        began = Some(chrono::Utc::now());
        let upload_id = actions.create_multipart_upload(bucket, key).await?;
        journal = Journal {
            bucket: bucket.name.clone(),
            key: key.into(),
            upload_id,
            part_size: plan::part_size(size, opts.part_size),
            parts: BTreeMap::new(),
        };
        write_journal(&jpath, &journal).map_err(local(&jpath))?;
    }
    let layout = plan::parts(size, journal.part_size);
    let resumed: u64 = journal
        .parts
        .keys()
        .filter_map(|n| {
            layout
                .get(usize::try_from(*n - 1).ok()?)
                .map(|(_, len)| *len)
        })
        .sum();
    progress.resumed.fetch_add(resumed, Ordering::SeqCst);
    let upload_id = journal.upload_id.clone();
    let todo: Vec<(i32, u64, u64)> = layout
        .iter()
        .enumerate()
        .map(|(i, (off, len))| (i32::try_from(i + 1).unwrap_or(i32::MAX), *off, *len))
        .filter(|(n, _, _)| !journal.parts.contains_key(n))
        .collect();
    let journal = Arc::new(Mutex::new(journal));
    let sent = Arc::new(AtomicU64::new(0));
    let pool = BufferPool::new(opts.concurrency.max(1));
    let result: Result<Vec<()>, TransferError> = stream::iter(todo)
        .map(|(n, off, len)| {
            let (journal, sent, upload_id, jpath) = (
                journal.clone(),
                sent.clone(),
                upload_id.clone(),
                jpath.clone(),
            );
            let (uri, pool) = (uri.clone(), pool.clone());
            async move {
                if progress.is_cancelled() {
                    return Err(TransferError::Cancelled(uri));
                }
                let (bytes, digest) = read_part(file, off, len, pool.take()).await?;
                let digest = hex::encode(digest);
                let etag = actions
                    .upload_part(bucket, key, &upload_id, n, pool.body(bytes))
                    .await?;
                progress.done.fetch_add(len, Ordering::SeqCst);
                sent.fetch_add(len, Ordering::SeqCst);
                let mut j = journal.lock().await;
                j.parts.insert(n, (etag, digest));
                write_journal(&jpath, &j).map_err(local(&jpath))?;
                Ok(())
            }
        })
        .buffer_unordered(opts.concurrency.max(1))
        .try_collect()
        .await;
    if let Err(e) = result {
        if matches!(e, TransferError::Cancelled(_)) {
            // Discarded by the user: abort, so no parts stay (and cost) on S3.
            let _ = actions
                .abort_multipart_upload(bucket, key, &upload_id)
                .await;
            let _ = std::fs::remove_file(&jpath);
        }
        return Err(e);
    }
    let j = journal.lock().await.clone();
    let completed: Vec<(i32, String)> = j
        .parts
        .iter()
        .map(|(n, (etag, _))| (*n, etag.clone()))
        .collect();
    let digests: Vec<[u8; 16]> = j
        .parts
        .values()
        .map(|(_, md5)| {
            let mut d = [0u8; 16];
            let _ = hex::decode_to_slice(md5, &mut d);
            d
        })
        .collect();
    let etag = plan::etag(&digests, true);
    if let Err(e) = actions
        .complete_multipart_upload(bucket, key, &upload_id, &completed)
        .await
    {
        // Its answer may have been lost after S3 did it (asked again, S3
        // then says NoSuchUpload): the object decides, not the error.
        match bucket.head(key).await {
            Ok(Some(h)) if h.size == size && h.etag == etag => {
                tracing::info!("{uri}: completed, though its answer was lost ({e})");
            }
            _ => return Err(e.into()),
        }
    }
    let _ = std::fs::remove_file(&jpath);
    if let Some(began) = began {
        abort_orphans(actions, bucket, key, &upload_id, began).await;
    }
    verify(bucket, key, size, &etag).await?;
    Ok(Uploaded {
        key: key.into(),
        size,
        sent: sent.load(Ordering::SeqCst),
        resumed,
        parts: j.parts.len(),
        etag,
        skipped: false,
    })
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

/// An object's size and ETag (HeadObject); a missing object is an error.
async fn head(bucket: &S3Bucket, key: &str) -> Result<(u64, String), TransferError> {
    match bucket.head(key).await? {
        Some(h) => Ok((h.size, h.etag)),
        None => Err(TransferError::Refused(format!(
            "{}: no such object",
            bucket.uri(key)
        ))),
    }
}

/// The object must have the local file's size and ETag.
async fn verify(bucket: &S3Bucket, key: &str, size: u64, etag: &str) -> Result<(), TransferError> {
    let uri = bucket.uri(key);
    let (remote_size, remote) = head(bucket, key).await?;
    if remote_size != size {
        return Err(TransferError::Verification {
            uri,
            why: format!("{remote_size} bytes on S3, {size} on disk"),
        });
    }
    if remote != etag {
        return Err(TransferError::Verification {
            uri,
            why: format!("ETag {remote} on S3, {etag} computed from the file"),
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn small_items_run_together_within_the_limit_and_large_ones_alone() {
        let opts = TransferOptions {
            concurrency: 3,
            ..TransferOptions::default()
        };
        let big = opts.multipart_threshold + 1;
        let items: Vec<(u32, u64)> = vec![
            (1, 10),
            (2, big),
            (3, 10),
            (4, 10),
            (5, big),
            (6, 10),
            (7, 10),
        ];
        let running = Arc::new(AtomicU64::new(0));
        let peak = Arc::new(Mutex::new((0u64, 0u64))); // (small peak, large peak)
        let out = by_size(items, &opts, |n| {
            let (running, peak) = (running.clone(), peak.clone());
            async move {
                let now = running.fetch_add(1, Ordering::SeqCst) + 1;
                {
                    let mut p = peak.lock().await;
                    if n == 2 || n == 5 {
                        p.1 = p.1.max(now);
                    } else {
                        p.0 = p.0.max(now);
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                running.fetch_sub(1, Ordering::SeqCst);
                n
            }
        })
        .await;
        assert_eq!(
            out,
            vec![1, 3, 4, 6, 7, 2, 5],
            "small ones first, each group in order"
        );
        let (small_peak, large_peak) = *peak.lock().await;
        assert_eq!(small_peak, 3, "small items overlap up to the limit");
        assert_eq!(large_peak, 1, "a large item runs alone");
    }
}
