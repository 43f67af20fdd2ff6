//! Moving data between the disk and S3: multipart uploads with parallel
//! parts streamed from disk, resumable through a journal in the state
//! directory, checked against the local file at the end; downloads through a
//! temporary file with parallel ranged reads.

pub mod plan;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use aws_sdk_s3::Client;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart};
use futures::stream::{self, StreamExt, TryStreamExt};
use serde::{Deserialize, Serialize};
use tokio::io::{AsyncReadExt, AsyncSeekExt, AsyncWriteExt};
use tokio::sync::Mutex;

use crate::cloud::CloudError;

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
    #[error("{path}: {source}")]
    Local {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{0}")]
    Cloud(#[from] CloudError),
    #[error("cancelled: {0}")]
    Cancelled(String),
    #[error("{0}")]
    Refused(String),
    #[error("verification failed for {uri}: {why}")]
    Verification { uri: String, why: String },
}

fn local(path: &Path) -> impl FnOnce(std::io::Error) -> TransferError + '_ {
    move |source| TransferError::Local {
        path: path.to_path_buf(),
        source,
    }
}

fn s3err<E>(
    what: &str,
    e: &aws_smithy_runtime_api::client::result::SdkError<
        E,
        aws_smithy_runtime_api::client::orchestrator::HttpResponse,
    >,
) -> TransferError
where
    E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
{
    let mut err = CloudError::from_sdk("s3", "", e);
    err.message = format!("{what}: {}", err.message);
    TransferError::Cloud(err)
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
    if let Some(d) = path.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec(j).map_err(std::io::Error::other)?)?;
    std::fs::rename(tmp, path)
}

async fn read_part(path: &Path, offset: u64, len: u64) -> Result<Vec<u8>, TransferError> {
    let mut f = tokio::fs::File::open(path).await.map_err(local(path))?;
    f.seek(std::io::SeekFrom::Start(offset))
        .await
        .map_err(local(path))?;
    let mut buf = vec![0; usize::try_from(len).unwrap_or(usize::MAX)];
    f.read_exact(&mut buf).await.map_err(local(path))?;
    Ok(buf)
}

fn unquote(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_string()
}

/// Whether `key` already holds exactly this file (size and ETag).
pub async fn same_object(
    s3: &Client,
    bucket: &str,
    key: &str,
    file: &Path,
    opts: &TransferOptions,
) -> bool {
    let Ok(head) = s3.head_object().bucket(bucket).key(key).send().await else {
        return false;
    };
    let Ok(meta) = tokio::fs::metadata(file).await else {
        return false;
    };
    if head.content_length().and_then(|l| u64::try_from(l).ok()) != Some(meta.len()) {
        return false;
    }
    let remote = unquote(head.e_tag());
    let size = meta.len();
    let Some((_, count)) = remote.split_once('-') else {
        // A single PUT: the ETag is the file's MD5.
        return match read_part(file, 0, size).await {
            Ok(bytes) => plan::etag(&[plan::md5(&bytes)], false) == remote,
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
        let mut digests = Vec::new();
        for (offset, len) in plan::parts(size, part) {
            match read_part(file, offset, len).await {
                Ok(bytes) => digests.push(plan::md5(&bytes)),
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
    s3: &Client,
    file: &Path,
    bucket: &str,
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
    let uri = format!("s3://{bucket}/{key}");
    if size <= opts.multipart_threshold {
        if progress.is_cancelled() {
            return Err(TransferError::Cancelled(uri));
        }
        let bytes = read_part(file, 0, size).await?;
        let digest = plan::md5(&bytes);
        s3.put_object()
            .bucket(bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(bytes))
            .send()
            .await
            .map_err(|e| s3err(&format!("PutObject {uri}"), &e))?;
        progress.done.fetch_add(size, Ordering::SeqCst);
        let etag = plan::etag(&[digest], false);
        verify(s3, bucket, key, size, &etag).await?;
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

    let jpath = journal_path(journal_dir, bucket, key, file, size, mtime);
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
        let still_there = s3
            .list_multipart_uploads()
            .bucket(bucket)
            .prefix(key)
            .send()
            .await
            .map(|out| {
                out.uploads().iter().any(|u| {
                    u.upload_id() == Some(journal.upload_id.as_str()) && u.key() == Some(key)
                })
            });
        match still_there {
            Ok(true) => {}
            Ok(false) => journal = Journal::default(),
            Err(e) => {
                tracing::warn!(
                    "cannot resume {uri}: ListMultipartUploads failed ({}); starting over",
                    CloudError::from_sdk("s3", "", &e)
                );
                journal = Journal::default();
            }
        }
    }
    if journal.upload_id.is_empty() {
        let created = s3
            .create_multipart_upload()
            .bucket(bucket)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| s3err(&format!("CreateMultipartUpload {uri}"), &e))?;
        journal = Journal {
            bucket: bucket.into(),
            key: key.into(),
            upload_id: created.upload_id().unwrap_or_default().to_string(),
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
    let result: Result<Vec<()>, TransferError> = stream::iter(todo)
        .map(|(n, off, len)| {
            let (journal, sent, upload_id, jpath) = (
                journal.clone(),
                sent.clone(),
                upload_id.clone(),
                jpath.clone(),
            );
            let uri = uri.clone();
            async move {
                if progress.is_cancelled() {
                    return Err(TransferError::Cancelled(uri));
                }
                let bytes = read_part(file, off, len).await?;
                let digest = hex::encode(plan::md5(&bytes));
                let out = s3
                    .upload_part()
                    .bucket(bucket)
                    .key(key)
                    .upload_id(&upload_id)
                    .part_number(n)
                    .checksum_algorithm(ChecksumAlgorithm::Crc32)
                    .body(ByteStream::from(bytes))
                    .send()
                    .await
                    .map_err(|e| s3err(&format!("UploadPart {n} of {uri}"), &e))?;
                progress.done.fetch_add(len, Ordering::SeqCst);
                sent.fetch_add(len, Ordering::SeqCst);
                let mut j = journal.lock().await;
                j.parts.insert(n, (unquote(out.e_tag()), digest));
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
            let _ = s3
                .abort_multipart_upload()
                .bucket(bucket)
                .key(key)
                .upload_id(&upload_id)
                .send()
                .await;
            let _ = std::fs::remove_file(&jpath);
        }
        return Err(e);
    }
    let j = journal.lock().await.clone();
    let completed: Vec<CompletedPart> = j
        .parts
        .iter()
        .map(|(n, (etag, _))| {
            CompletedPart::builder()
                .part_number(*n)
                .e_tag(format!("\"{etag}\""))
                .build()
        })
        .collect();
    s3.complete_multipart_upload()
        .bucket(bucket)
        .key(key)
        .upload_id(&upload_id)
        .multipart_upload(
            CompletedMultipartUpload::builder()
                .set_parts(Some(completed))
                .build(),
        )
        .send()
        .await
        .map_err(|e| s3err(&format!("CompleteMultipartUpload {uri}"), &e))?;
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
    let _ = std::fs::remove_file(&jpath);
    verify(s3, bucket, key, size, &etag).await?;
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

/// An object's size and ETag (HeadObject).
async fn head(s3: &Client, bucket: &str, key: &str) -> Result<(u64, String), TransferError> {
    let out = s3
        .head_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .map_err(|e| s3err(&format!("HeadObject s3://{bucket}/{key}"), &e))?;
    let size = out
        .content_length()
        .and_then(|l| u64::try_from(l).ok())
        .unwrap_or(0);
    Ok((size, unquote(out.e_tag())))
}

/// The object must have the local file's size and ETag.
async fn verify(
    s3: &Client,
    bucket: &str,
    key: &str,
    size: u64,
    etag: &str,
) -> Result<(), TransferError> {
    let uri = format!("s3://{bucket}/{key}");
    let (remote_size, remote) = head(s3, bucket, key).await?;
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

/// Downloads `bucket`/`key` to `dest` through a temporary file renamed when
/// complete; large objects in parallel ranges.
pub async fn download_object(
    s3: &Client,
    bucket: &str,
    key: &str,
    dest: &Path,
    opts: &TransferOptions,
    progress: &Arc<Progress>,
) -> Result<u64, TransferError> {
    let uri = format!("s3://{bucket}/{key}");
    let (size, etag) = head(s3, bucket, key).await?;
    progress.total.fetch_add(size, Ordering::SeqCst);
    if let Some(dir) = dest.parent() {
        tokio::fs::create_dir_all(dir).await.map_err(local(dir))?;
    }
    let tmp = dest.with_file_name(format!(
        ".{}.skiff-part",
        dest.file_name()
            .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
    ));
    {
        let f = tokio::fs::File::create(&tmp).await.map_err(local(&tmp))?;
        f.set_len(size).await.map_err(local(&tmp))?;
    }
    let ranges = plan::parts(size, plan::part_size(size, opts.part_size));
    let digests: Result<Vec<[u8; 16]>, TransferError> = stream::iter(ranges)
        .map(|(off, len)| {
            let (tmp, uri) = (tmp.clone(), uri.clone());
            async move {
                if progress.is_cancelled() {
                    return Err(TransferError::Cancelled(uri));
                }
                let out = s3
                    .get_object()
                    .bucket(bucket)
                    .key(key)
                    .range(format!("bytes={off}-{}", off + len - 1))
                    .send()
                    .await
                    .map_err(|e| s3err(&format!("GetObject {uri}"), &e))?;
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| TransferError::Refused(format!("reading {uri}: {e}")))?
                    .into_bytes();
                let mut f = tokio::fs::OpenOptions::new()
                    .write(true)
                    .open(&tmp)
                    .await
                    .map_err(local(&tmp))?;
                f.seek(std::io::SeekFrom::Start(off))
                    .await
                    .map_err(local(&tmp))?;
                f.write_all(&bytes).await.map_err(local(&tmp))?;
                progress.done.fetch_add(len, Ordering::SeqCst);
                Ok(plan::md5(&bytes))
            }
        })
        .buffered(opts.concurrency.max(1))
        .try_collect()
        .await;
    let digests = match digests {
        Ok(d) => d,
        Err(e) => {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(e);
        }
    };
    // A single-part object's ETag is its MD5: check it.
    if !etag.contains('-') && digests.len() <= 1 {
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
