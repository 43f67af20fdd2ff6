//! `skiff sync SRC DST`: a local folder, an S3 prefix or two of them made
//! alike by the AWS CLI's rules ([`rules`]). One listing per side, compared
//! in memory: no request per unchanged file. Uploads, downloads and copies
//! go through the same engine and the same gate as `cp`; a download keeps
//! `cp`'s safety (no key lands outside the folder; a temporary file renamed
//! into place) and takes the object's time, so the next sync finds it
//! unchanged.

pub mod rules;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::{DateTime, Utc};

use super::expand::{self, Skipped};
use super::plan::{self, S3Uri};
use super::{Progress, TransferOptions, by_size, download_object, upload_file};
use crate::cloud::Session;
use crate::cloud::actions::Actions;
use crate::cloud::s3::S3Bucket;
use rules::{Compare, Filter, Stat, Way};

/// What the user asked.
#[derive(Debug, Clone)]
pub struct SyncRequest {
    pub src: String,
    pub dst: String,
    pub delete: bool,
    pub compare: Compare,
    pub filters: Vec<Filter>,
}

/// One side: a local folder or an S3 prefix (ending in `/`, or empty).
#[derive(Debug, Clone)]
pub enum Root {
    Local(PathBuf),
    S3 { bucket: S3Bucket, prefix: String },
}

impl Root {
    /// How a path below this root is written (`dir/a.csv`, `s3://b/p/a.csv`).
    pub fn show(&self, rel: &str) -> String {
        match self {
            Root::Local(dir) => dir.join(rel).display().to_string(),
            Root::S3 { bucket, prefix } => bucket.uri(&format!("{prefix}{rel}")),
        }
    }
}

/// A file that goes, and how it is on the source side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub rel: String,
    pub stat: Stat,
}

/// What a sync will do, shown before it does it.
#[derive(Debug, Clone)]
pub struct SyncPlan {
    pub way: Way,
    pub src: Root,
    pub dst: Root,
    pub send: Vec<Item>,
    /// Destination paths that go (with `--delete`).
    pub delete: Vec<String>,
    pub unchanged: usize,
    /// Left out, with why (names that cannot be files, unreadable files).
    pub skipped: Vec<Skipped>,
}

impl SyncPlan {
    pub fn bytes(&self) -> u64 {
        self.send.iter().map(|i| i.stat.size).sum()
    }

    /// "12 to send (3.1 MiB), 3 to delete, 4,988 unchanged".
    pub fn summary(&self) -> String {
        format!(
            "{} to {} ({}), {} to delete, {} unchanged",
            self.send.len(),
            match self.way {
                Way::Upload => "upload",
                Way::Download => "download",
                Way::Copy => "copy",
            },
            bytesize::ByteSize(self.bytes()),
            self.delete.len(),
            self.unchanged
        )
    }

    /// The destination bucket, when S3 is written to.
    pub fn written_bucket(&self) -> Option<&S3Bucket> {
        match (&self.dst, self.send.is_empty() && self.delete.is_empty()) {
            (Root::S3 { bucket, .. }, false) => Some(bucket),
            _ => None,
        }
    }
}

fn s3_root(uri: &S3Uri) -> String {
    if uri.key.is_empty() || uri.key.ends_with('/') {
        uri.key.clone()
    } else {
        format!("{}/", uri.key)
    }
}

async fn root_of(session: &Session, text: &str) -> Result<Root, String> {
    match S3Uri::parse(text) {
        Some(uri) => {
            plan::check_bucket_name(&uri.bucket)?;
            let bucket = session.bucket(&uri.bucket).await.map_err(|e| e.message)?;
            Ok(Root::S3 {
                bucket,
                prefix: s3_root(&uri),
            })
        }
        None if text.starts_with("s3:") => Err(format!("`{text}`: give s3://bucket/prefix/")),
        None => Ok(Root::Local(PathBuf::from(text))),
    }
}

type Listing = (BTreeMap<String, Stat>, Vec<Skipped>);

/// Every file below `root` that the filters leave in, by path below it.
async fn list(root: &Root, filters: &[Filter], is_source: bool) -> Result<Listing, String> {
    let (mut all, skipped) = match root {
        Root::Local(dir) if !dir.exists() && !is_source => (BTreeMap::new(), Vec::new()),
        Root::Local(dir) if !dir.is_dir() => {
            return Err(format!("{} is not a folder", dir.display()));
        }
        Root::Local(dir) => {
            let dir = dir.clone();
            tokio::task::spawn_blocking(move || {
                if is_source {
                    list_local(&dir)
                } else {
                    list_destination(&dir)
                }
            })
            .await
            .map_err(|e| format!("walking the folder failed: {e}"))?
        }
        Root::S3 { bucket, prefix } => list_s3(bucket, prefix).await?,
    };
    all.retain(|rel, _| rules::included(rel, filters));
    Ok((all, skipped))
}

fn list_local(dir: &Path) -> Listing {
    let root = dir.display().to_string();
    let anywhere = S3Uri {
        bucket: String::new(),
        key: String::new(),
    };
    let (items, mut skipped) = expand::upload_items(&[root], &anywhere, true);
    let mut out = BTreeMap::new();
    for item in items {
        match std::fs::metadata(&item.local).and_then(|m| m.modified()) {
            Ok(t) => {
                out.insert(
                    item.key,
                    Stat {
                        size: item.size,
                        modified: DateTime::<Utc>::from(t),
                    },
                );
            }
            Err(e) => skipped.push(Skipped {
                what: item.local.display().to_string(),
                why: e.to_string(),
            }),
        }
    }
    (out, skipped)
}

/// The destination folder's files, links not followed: a link (to a file
/// or a folder) is the user's and is left alone, so nothing below it is
/// listed, compared or deleted.
fn list_destination(dir: &Path) -> Listing {
    let mut out = BTreeMap::new();
    let mut skipped = Vec::new();
    for entry in walkdir::WalkDir::new(dir).follow_links(false) {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let what = e.path().unwrap_or(dir).display().to_string();
                skipped.push(Skipped {
                    what,
                    why: e.to_string(),
                });
                continue;
            }
        };
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(dir) else {
            continue;
        };
        let rel = expand::slash_path(rel);
        match entry.metadata().map(|m| (m.len(), m.modified())) {
            Ok((size, Ok(t))) => {
                out.insert(
                    rel,
                    Stat {
                        size,
                        modified: DateTime::<Utc>::from(t),
                    },
                );
            }
            Ok((_, Err(e))) => skipped.push(Skipped {
                what: entry.path().display().to_string(),
                why: e.to_string(),
            }),
            Err(e) => skipped.push(Skipped {
                what: entry.path().display().to_string(),
                why: e.to_string(),
            }),
        }
    }
    (out, skipped)
}

/// Why `rel` below `dir` may not be written or deleted: a part of its path
/// (or the file itself) is a link, which could lead out of the folder.
pub fn through_link(dir: &Path, rel: &str) -> Option<String> {
    let mut at = dir.to_path_buf();
    for part in rel.split('/') {
        at.push(part);
        match std::fs::symlink_metadata(&at) {
            Ok(m) if m.file_type().is_symlink() => {
                return Some(format!(
                    "{} is a link: skiff does not write or delete through links",
                    at.display()
                ));
            }
            Ok(_) => {}
            Err(_) => return None,
        }
    }
    None
}

/// A key part that cannot stand as a file name: `a//b`, `a/./b`, `a/../b`.
fn is_file_name(rel: &str) -> bool {
    rel.split('/')
        .all(|p| !p.is_empty() && p != "." && p != "..")
}

/// Source paths that could not be read (`skipped`), below `root`: their
/// counterparts on the other side are not deleted. `None` when a skip
/// cannot be placed, which holds back every deletion.
fn unread(root: &Root, skipped: &[Skipped]) -> Option<Vec<String>> {
    let Root::Local(dir) = root else {
        return Some(Vec::new());
    };
    let base = dir.display().to_string();
    skipped
        .iter()
        .map(|s| {
            s.what
                .strip_prefix(&base)
                .map(|r| r.trim_start_matches('/').to_string())
                .filter(|r| !r.is_empty())
        })
        .collect()
}

async fn list_s3(bucket: &S3Bucket, prefix: &str) -> Result<Listing, String> {
    let objects = bucket
        .list_all(prefix)
        .await
        .map_err(|e| format!("{}: {}", bucket.uri(prefix), e.message))?;
    let mut out = BTreeMap::new();
    for o in objects {
        let Some(rel) = o.key.strip_prefix(prefix) else {
            continue;
        };
        // Folder markers are not files.
        if rel.is_empty() || rel.ends_with('/') {
            continue;
        }
        out.insert(
            rel.to_string(),
            Stat {
                size: o.size,
                modified: o.last_modified.unwrap_or_default(),
            },
        );
    }
    Ok((out, Vec::new()))
}

/// A key that cannot be a file name as it stands (`a//b`) would come back
/// under another name and go back and forth on every run: left alone.
fn leave_odd_keys(
    way: Way,
    (src, from): (&Root, &mut BTreeMap<String, Stat>),
    (dst, to): (&Root, &mut BTreeMap<String, Stat>),
    skipped: &mut Vec<Skipped>,
) {
    let (keys, root) = match way {
        Way::Copy => return,
        Way::Upload => (to, dst),
        Way::Download => (from, src),
    };
    keys.retain(|rel, _| {
        let keep = is_file_name(rel);
        if !keep {
            skipped.push(Skipped {
                what: root.show(rel),
                why: "is not a file name as it stands (`//`, `.` or `..` in it): left alone"
                    .to_string(),
            });
        }
        keep
    });
}

/// Lists both sides and compares them.
pub async fn plan(session: &Session, req: &SyncRequest) -> Result<SyncPlan, String> {
    let src = root_of(session, &req.src).await?;
    let dst = root_of(session, &req.dst).await?;
    let way = match (&src, &dst) {
        (Root::Local(_), Root::S3 { .. }) => Way::Upload,
        (Root::S3 { .. }, Root::Local(_)) => Way::Download,
        (Root::S3 { .. }, Root::S3 { .. }) => Way::Copy,
        (Root::Local(_), Root::Local(_)) => {
            return Err(
                "one side must be s3://bucket/prefix/ (skiff syncs with S3, not two local folders)"
                    .to_string(),
            );
        }
    };
    let ((mut from, mut skipped), (mut to, more)) = tokio::try_join!(
        list(&src, &req.filters, true),
        list(&dst, &req.filters, false)
    )?;
    let unread = unread(&src, &skipped);
    skipped.extend(more);
    leave_odd_keys(way, (&src, &mut from), (&dst, &mut to), &mut skipped);
    let mut decision = rules::decide(way, &from, &to, req.compare, req.delete);
    // What the source could not read is not deleted on the other side.
    decision.delete.retain(|rel| match &unread {
        Some(parts) => !parts
            .iter()
            .any(|p| rel == p || rel.starts_with(&format!("{p}/"))),
        None => false,
    });
    if let Root::Local(dir) = &dst {
        // Nothing is written outside the folder: no `../`, no links.
        decision.send.retain(|rel| {
            match plan::local_path(dir, "", rel).map(|_| through_link(dir, rel)) {
                Ok(None) => true,
                Ok(Some(why)) | Err(why) => {
                    skipped.push(Skipped {
                        what: src.show(rel),
                        why,
                    });
                    false
                }
            }
        });
        decision
            .delete
            .retain(|rel| through_link(dir, rel).is_none());
    }
    let send = decision
        .send
        .into_iter()
        .map(|rel| Item {
            stat: from[&rel],
            rel,
        })
        .collect();
    Ok(SyncPlan {
        way,
        src,
        dst,
        send,
        delete: decision.delete,
        unchanged: decision.unchanged,
        skipped,
    })
}

/// What happened to one path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outcome {
    /// "upload", "download", "copy" or "delete".
    pub verb: &'static str,
    pub from: String,
    pub to: String,
    pub size: u64,
    pub error: Option<String>,
}

/// Sends what `plan` says, then deletes what it says; `each` hears every
/// outcome as it happens.
pub async fn run(
    actions: &Actions,
    plan: &SyncPlan,
    opts: &TransferOptions,
    journal_dir: &Path,
    progress: &Arc<Progress>,
    each: &(dyn Fn(&Outcome) + Sync),
) -> Vec<Outcome> {
    let sized: Vec<(&Item, u64)> = plan.send.iter().map(|i| (i, i.stat.size)).collect();
    let mut out = by_size(sized, opts, |item: &Item| async move {
        let o = send_one(actions, plan, item, opts, journal_dir, progress).await;
        each(&o);
        o
    })
    .await;
    if !plan.delete.is_empty() && !progress.cancelled.load(std::sync::atomic::Ordering::SeqCst) {
        for o in delete(actions, plan).await {
            each(&o);
            out.push(o);
        }
    }
    out
}

async fn send_one(
    actions: &Actions,
    plan: &SyncPlan,
    item: &Item,
    opts: &TransferOptions,
    journal_dir: &Path,
    progress: &Arc<Progress>,
) -> Outcome {
    let (from, to) = (plan.src.show(&item.rel), plan.dst.show(&item.rel));
    let done = match (&plan.src, &plan.dst) {
        (Root::Local(dir), Root::S3 { bucket, prefix }) => upload_file(
            actions,
            bucket,
            &dir.join(&item.rel),
            &format!("{prefix}{}", item.rel),
            opts,
            journal_dir,
            progress,
        )
        .await
        .map(|_| ())
        .map_err(|e| e.to_string()),
        (Root::S3 { bucket, prefix }, Root::Local(dir)) => {
            download(bucket, prefix, dir, item, opts, progress).await
        }
        (
            Root::S3 {
                bucket: a,
                prefix: p,
            },
            Root::S3 {
                bucket: b,
                prefix: q,
            },
        ) => {
            let (from, to) = (format!("{p}{}", item.rel), format!("{q}{}", item.rel));
            copy(actions, (a, &from), (b, &to), item.stat.size, opts).await
        }
        (Root::Local(_), Root::Local(_)) => Err("two local folders".to_string()),
    };
    Outcome {
        verb: match plan.way {
            Way::Upload => "upload",
            Way::Download => "download",
            Way::Copy => "copy",
        },
        from,
        to,
        size: item.stat.size,
        error: done.err(),
    }
}

/// A copy inside S3: one CopyObject up to the multipart threshold (as the
/// AWS CLI does; CopyObject stops at 5 GiB), else parts copied with
/// UploadPartCopy, `concurrency` at a time; a failed part aborts the upload
/// (no parts left to pay for).
async fn copy(
    actions: &Actions,
    (from, from_key): (&S3Bucket, &str),
    (to, to_key): (&S3Bucket, &str),
    size: u64,
    opts: &TransferOptions,
) -> Result<(), String> {
    use futures::stream::{self, StreamExt, TryStreamExt};
    if size <= opts.multipart_threshold {
        return actions
            .copy_object(from, from_key, to, to_key)
            .await
            .map_err(|e| e.message);
    }
    // UploadPartCopy takes at most 5 GiB a part.
    let part = plan::part_size(size, opts.part_size).min(5 << 30);
    let (upload, _) = actions
        .create_multipart_upload(to, to_key, false)
        .await
        .map_err(|e| e.message)?;
    let copied: Result<Vec<(i32, String)>, _> =
        stream::iter(plan::parts(size, part).into_iter().enumerate())
            .map(|(i, (off, len))| {
                let number = i32::try_from(i + 1).unwrap_or(i32::MAX);
                let upload = &upload;
                async move {
                    actions
                        .upload_part_copy(
                            (from, from_key),
                            (to, to_key),
                            upload,
                            number,
                            (off, off + len - 1),
                        )
                        .await
                        .map(|etag| (number, etag))
                }
            })
            .buffered(opts.concurrency.max(1))
            .try_collect()
            .await;
    let done = match copied {
        Ok(parts) => {
            actions
                .complete_multipart_upload(to, to_key, &upload, &parts, None)
                .await
        }
        Err(e) => Err(e),
    };
    if let Err(e) = done {
        let _ = actions.abort_multipart_upload(to, to_key, &upload).await;
        return Err(e.message);
    }
    Ok(())
}

/// A download into the folder, taking the object's time.
async fn download(
    bucket: &S3Bucket,
    prefix: &str,
    dir: &Path,
    item: &Item,
    opts: &TransferOptions,
    progress: &Arc<Progress>,
) -> Result<(), String> {
    let path = plan::local_path(dir, "", &item.rel)?;
    if let Some(why) = through_link(dir, &item.rel) {
        return Err(why);
    }
    let key = format!("{prefix}{}", item.rel);
    download_object(bucket, &key, &path, Some(item.stat.size), opts, progress)
        .await
        .map_err(|e| e.to_string())?;
    let when = std::time::SystemTime::from(item.stat.modified);
    std::fs::File::options()
        .write(true)
        .open(&path)
        .and_then(|f| f.set_modified(when))
        .map_err(|e| format!("{}: cannot set its time: {e}", path.display()))
}

async fn delete(actions: &Actions, plan: &SyncPlan) -> Vec<Outcome> {
    let outcome = |rel: &String, error: Option<String>| Outcome {
        verb: "delete",
        from: plan.dst.show(rel),
        to: String::new(),
        size: 0,
        error,
    };
    match &plan.dst {
        Root::Local(dir) => plan
            .delete
            .iter()
            .map(|rel| {
                let error = plan::local_path(dir, "", rel)
                    .and_then(|p| match through_link(dir, rel) {
                        Some(why) => Err(why),
                        None => std::fs::remove_file(&p).map_err(|e| e.to_string()),
                    })
                    .err();
                outcome(rel, error)
            })
            .collect(),
        Root::S3 { bucket, prefix } => {
            let keys: Vec<String> = plan.delete.iter().map(|r| format!("{prefix}{r}")).collect();
            match actions.delete_objects(bucket, &keys).await {
                Ok(done) => {
                    let refused: BTreeMap<&str, &str> = done
                        .refused
                        .iter()
                        .filter_map(|r| r.split_once(": "))
                        .collect();
                    plan.delete
                        .iter()
                        .zip(&keys)
                        .map(|(rel, key)| {
                            outcome(rel, refused.get(key.as_str()).map(|w| (*w).to_string()))
                        })
                        .collect()
                }
                Err(e) => plan
                    .delete
                    .iter()
                    .map(|rel| outcome(rel, Some(e.message.clone())))
                    .collect(),
            }
        }
    }
}
