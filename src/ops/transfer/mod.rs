//! Moving data between the disk and S3: multipart uploads with parallel
//! parts streamed from disk, resumable through a journal in the state
//! directory, checked against the local file at the end; downloads through a
//! temporary file with parallel ranged reads.

pub mod copy;
mod download;
pub mod expand;
pub mod plan;
pub mod sync;
mod upload;

pub use download::download_object;
pub use upload::upload_file;

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use futures::stream::{self, StreamExt};
use serde::Serialize;

use crate::cloud::CloudError;
use crate::cloud::s3::{ObjectHead, S3Bucket};
use upload::read_part;

/// Small files in flight at most, however small: each is a connection.
const MAX_SMALL_IN_FLIGHT: usize = 64;

/// Runs `f` on every item of a folder transfer, given with its size: small
/// items (up to the multipart threshold, one request each) together, large
/// ones one after another since each is already sent in parallel parts.
/// Small items are latency-bound (a request each), so as many run at once as
/// fit in the memory that `concurrency` parts would take — `concurrency` of
/// the largest, up to 64 of tiny ones — never fewer than `concurrency`.
/// Results keep the items' order within each group, small ones first.
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
    let in_flight = small_in_flight(small.iter().map(|(_, size)| *size).max(), opts);
    let mut out: Vec<T> = stream::iter(small)
        .map(|(item, _)| f(item))
        .buffered(in_flight)
        .collect()
        .await;
    for (item, _) in large {
        out.push(f(item).await);
    }
    out
}

/// How many small items (the largest `largest` bytes) run at once: as many
/// as fit in `concurrency` × part size, between `concurrency` and 64.
fn small_in_flight(largest: Option<u64>, opts: &TransferOptions) -> usize {
    let floor = opts.concurrency.max(1);
    let budget = floor as u64 * opts.part_size;
    let fit = budget / largest.unwrap_or(1).max(1);
    usize::try_from(fit)
        .unwrap_or(usize::MAX)
        .clamp(floor, MAX_SMALL_IN_FLIGHT.max(floor))
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
    // A full-object CRC: one cheap pass over the file, part by part.
    if let Some(crc) = head.crc64 {
        let mut pieces = Vec::new();
        let mut buf = Vec::new();
        for (offset, len) in plan::parts(size, plan::part_size(size, opts.part_size)) {
            match read_part(file, offset, len, buf, false).await {
                Ok(p) => {
                    pieces.push((p.crc64, len));
                    buf = p.buf;
                }
                Err(_) => return false,
            }
        }
        return crate::checksum::crc64_of_pieces(pieces) == crc;
    }
    let Some((_, count)) = remote.split_once('-') else {
        // A single PUT: the ETag is the file's MD5.
        return match read_part(file, 0, size, Vec::new(), true).await {
            Ok(p) => plan::etag(&[p.md5.unwrap_or_default()], false) == remote,
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
            match read_part(file, offset, len, buf, true).await {
                Ok(p) => {
                    digests.push(p.md5.unwrap_or_default());
                    buf = p.buf;
                }
                Err(_) => return false,
            }
        }
        if plan::etag(&digests, true) == remote {
            return true;
        }
    }
    false
}

/// The MD5 of each of `pieces` of the file at `path` (read from disk).
pub(super) async fn md5s_of(
    path: &Path,
    pieces: Vec<(u64, u64)>,
) -> Result<Vec<[u8; 16]>, TransferError> {
    use std::io::{Read, Seek, SeekFrom};
    let owned = path.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let mut file = std::fs::File::open(&owned)?;
        let mut buf = vec![0u8; 1 << 20];
        let mut out = Vec::with_capacity(pieces.len());
        for (off, len) in pieces {
            file.seek(SeekFrom::Start(off))?;
            let mut left = len;
            let mut md5 = <md5::Md5 as md5::Digest>::new();
            while left > 0 {
                let want = usize::try_from(left.min(buf.len() as u64)).unwrap_or(buf.len());
                file.read_exact(&mut buf[..want])?;
                md5::Digest::update(&mut md5, &buf[..want]);
                left -= want as u64;
            }
            out.push(md5::Digest::finalize(md5).into());
        }
        Ok(out)
    })
    .await
    .map_err(|e| TransferError::Refused(format!("reading {}: {e}", path.display())))?
    .map_err(local(path))
}

/// An object's HeadObject; a missing object is an error.
async fn head(bucket: &S3Bucket, key: &str) -> Result<ObjectHead, TransferError> {
    bucket
        .head(key)
        .await?
        .ok_or_else(|| TransferError::Refused(format!("{}: no such object", bucket.uri(key))))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use tokio::sync::Mutex;

    #[tokio::test]
    async fn small_items_run_together_within_the_limit_and_large_ones_alone() {
        let opts = TransferOptions {
            concurrency: 3,
            ..TransferOptions::default()
        };
        let big = opts.multipart_threshold + 1;
        // Small items as large as a part: only `concurrency` fit in memory.
        let small = opts.multipart_threshold;
        let items: Vec<(u32, u64)> = vec![
            (1, small),
            (2, big),
            (3, small),
            (4, 10),
            (5, big),
            (6, small),
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

    #[test]
    fn tiny_files_run_many_at_once_and_part_sized_ones_only_as_many_as_parts() {
        let opts = TransferOptions::default();
        assert_eq!(small_in_flight(Some(64 * 1024), &opts), MAX_SMALL_IN_FLIGHT);
        assert_eq!(
            small_in_flight(Some(opts.part_size), &opts),
            opts.concurrency
        );
        assert_eq!(small_in_flight(Some(2 * plan::MIB), &opts), 32);
        assert_eq!(small_in_flight(None, &opts), MAX_SMALL_IN_FLIGHT);
        let wide = TransferOptions {
            concurrency: 100,
            ..opts
        };
        assert_eq!(
            small_in_flight(Some(1), &wide),
            100,
            "never below concurrency"
        );
        let zero = TransferOptions {
            concurrency: 0,
            ..opts
        };
        assert_eq!(small_in_flight(Some(opts.part_size), &zero), 1);
    }
}
