//! A copy as one job for both faces: what the user asked (sources, a
//! destination, `--recursive`) becomes a [`CopyPlan`] by the rules of
//! [`super::expand`], which then runs with progress, cancel and a result
//! per file.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Serialize;

use super::expand::{self, CopyItem, Skipped};
use super::plan::{self, S3Uri};
use super::{
    Progress, TransferOptions, Uploaded, by_size, download_object, same_object, upload_file,
};
use crate::cloud::Session;
use crate::cloud::actions::Actions;
use crate::cloud::s3::S3Bucket;

/// What the user asked to copy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyRequest {
    /// Local paths, or one `s3://` URI.
    pub sources: Vec<String>,
    pub dest: String,
    pub recursive: bool,
    /// Skip files already on S3 with the same size and ETag (uploads).
    pub skip_identical: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Direction {
    Upload,
    Download,
}

/// Every file a copy moves, checked before anything moves.
#[derive(Debug, Clone)]
pub struct CopyPlan {
    pub direction: Direction,
    pub bucket: S3Bucket,
    pub items: Vec<CopyItem>,
    /// Sources left out, with why.
    pub skipped: Vec<Skipped>,
}

impl CopyPlan {
    pub fn bytes(&self) -> u64 {
        self.items.iter().map(|i| i.size).sum()
    }

    /// Downloads whose local file exists already (the TUI asks about them).
    pub fn existing(&self) -> Vec<usize> {
        if self.direction != Direction::Download {
            return Vec::new();
        }
        (0..self.items.len())
            .filter(|&n| self.items[n].local.exists())
            .collect()
    }
}

/// What the copy did to one file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileResult {
    Up(Uploaded),
    Down {
        key: String,
        path: PathBuf,
        size: u64,
    },
    Failed {
        what: String,
        why: String,
    },
}

/// Expands `req` into a plan: which bucket, which files and keys. An upload
/// walks the local folders (off the async threads); a download lists the
/// prefix. Fails as a whole only when nothing can be planned.
pub async fn plan(session: &Session, req: &CopyRequest) -> Result<CopyPlan, String> {
    let dst_s3 = S3Uri::parse(&req.dest);
    let src_s3: Vec<Option<S3Uri>> = req.sources.iter().map(|s| S3Uri::parse(s)).collect();
    match (&dst_s3, src_s3.as_slice()) {
        (Some(to), srcs) if srcs.iter().all(Option::is_none) => {
            plan::check_bucket_name(&to.bucket)?;
            let bucket = session.bucket(&to.bucket).await.map_err(|e| e.message)?;
            let (sources, to2, recursive) = (req.sources.clone(), to.clone(), req.recursive);
            let (items, skipped) = tokio::task::spawn_blocking(move || {
                expand::upload_items(&sources, &to2, recursive)
            })
            .await
            .map_err(|e| format!("walking the folders failed: {e}"))?;
            Ok(CopyPlan {
                direction: Direction::Upload,
                bucket,
                items,
                skipped,
            })
        }
        (None, [Some(from)]) if req.recursive => {
            let bucket = session.bucket(&from.bucket).await.map_err(|e| e.message)?;
            let prefix = expand::download_prefix(from);
            let objects = bucket
                .list_all(&prefix)
                .await
                .map_err(|e| format!("{}: {}", bucket.uri(&prefix), e.message))?;
            let (items, skipped) = expand::download_items(from, Path::new(&req.dest), &objects);
            Ok(CopyPlan {
                direction: Direction::Download,
                bucket,
                items,
                skipped,
            })
        }
        (None, srcs) if !srcs.is_empty() && srcs.iter().all(Option::is_some) => {
            let froms: Vec<&S3Uri> = srcs.iter().flatten().collect();
            plan_objects(session, &froms, req).await
        }
        (None, [_, _, ..]) if src_s3.iter().any(Option::is_some) => {
            Err("a download's sources are all s3:// objects (local files cannot be mixed in)".into())
        }
        _ => Err(
            "exactly one side of cp must be s3://bucket/key-or-prefix (S3 to S3 and local to local are not copies skiff makes)"
                .into(),
        ),
    }
}

/// Objects named one by one (no `--recursive`), all of one bucket: one
/// into a file or a folder, several into a folder, each under its own name.
async fn plan_objects(
    session: &Session,
    froms: &[&S3Uri],
    req: &CopyRequest,
) -> Result<CopyPlan, String> {
    let first = froms[0];
    if let Some(other) = froms.iter().find(|f| f.bucket != first.bucket) {
        return Err(format!(
            "the objects of one download are in one bucket ({} and {} are not)",
            first.bucket, other.bucket
        ));
    }
    if froms.len() > 1 && !(req.dest.ends_with('/') || Path::new(&req.dest).is_dir()) {
        return Err(format!(
            "{} objects go into a folder: end the destination with / ({}/)",
            froms.len(),
            req.dest
        ));
    }
    if req.recursive {
        return Err("--recursive copies everything below one prefix: give one s3:// source".into());
    }
    let bucket = session.bucket(&first.bucket).await.map_err(|e| e.message)?;
    let mut items: Vec<CopyItem> = Vec::new();
    let mut skipped = Vec::new();
    for from in froms {
        let local = expand::download_path(from, &req.dest)?;
        if items.iter().any(|i| i.local == local) {
            skipped.push(Skipped {
                what: from.to_string(),
                why: format!(
                    "another object of this download goes to {}",
                    local.display()
                ),
            });
            continue;
        }
        let size = match bucket.head(&from.key).await.map_err(|e| e.message)? {
            Some(h) => h.size,
            None => return Err(missing(&bucket, from).await),
        };
        items.push(CopyItem {
            local,
            key: from.key.clone(),
            size,
        });
    }
    Ok(CopyPlan {
        direction: Direction::Download,
        bucket,
        items,
        skipped,
    })
}

/// Why `from` has no object: a folder spelled without --recursive says so.
async fn missing(bucket: &S3Bucket, from: &S3Uri) -> String {
    let below = bucket
        .list_page(&format!("{}/", from.key), None, 1)
        .await
        .map(|(e, _)| !e.is_empty())
        .unwrap_or(false);
    if below {
        format!("{from} is a folder: add --recursive to copy everything below it")
    } else {
        format!("{from}: no such object")
    }
}

/// Runs `plan`: small files several at a time, large ones in parallel parts
/// (memory stays within concurrency × part size). Uploads resume from the
/// journal in `journal_dir`; every upload is checked against its file.
pub async fn run(
    actions: &Actions,
    plan: &CopyPlan,
    opts: &TransferOptions,
    journal_dir: &Path,
    skip_identical: bool,
    progress: &Arc<Progress>,
) -> Vec<FileResult> {
    let bucket = &plan.bucket;
    let sized: Vec<(&CopyItem, u64)> = plan.items.iter().map(|i| (i, i.size)).collect();
    match plan.direction {
        Direction::Upload => {
            by_size(sized, opts, |item: &CopyItem| async move {
                if skip_identical && same_object(bucket, &item.key, &item.local, opts).await {
                    return FileResult::Up(Uploaded {
                        key: item.key.clone(),
                        size: item.size,
                        sent: 0,
                        resumed: 0,
                        parts: 0,
                        etag: String::new(),
                        skipped: true,
                    });
                }
                match upload_file(
                    actions,
                    bucket,
                    &item.local,
                    &item.key,
                    opts,
                    journal_dir,
                    progress,
                )
                .await
                {
                    Ok(u) => FileResult::Up(u),
                    Err(e) => FileResult::Failed {
                        what: item.local.display().to_string(),
                        why: e.to_string(),
                    },
                }
            })
            .await
        }
        Direction::Download => {
            by_size(sized, opts, |item: &CopyItem| async move {
                match download_object(
                    bucket,
                    &item.key,
                    &item.local,
                    Some(item.size),
                    opts,
                    progress,
                )
                .await
                {
                    Ok(size) => FileResult::Down {
                        key: item.key.clone(),
                        path: item.local.clone(),
                        size,
                    },
                    Err(e) => FileResult::Failed {
                        what: bucket.uri(&item.key),
                        why: e.to_string(),
                    },
                }
            })
            .await
        }
    }
}
