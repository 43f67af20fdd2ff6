//! `skiff cp`, `skiff ls s3://…` and `skiff mb`: S3 from the command line.
//! A progress bar on a terminal, quiet otherwise; a failed file is named with
//! its reason and makes the exit code non-zero.

use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::args::{CpArgs, MbArgs};
use crate::cloud::Session;
use crate::config::{Config, Dirs};
use crate::transfer::plan::{self, S3Uri};
use crate::transfer::{
    Progress, TransferOptions, Uploaded, download_object, same_object, upload_file,
};

/// An S3 client for `bucket`'s own region (S3 does not redirect the SDK).
pub async fn client_for_bucket(session: &Session, bucket: &str) -> aws_sdk_s3::Client {
    let home = session.s3(session.home_region());
    let region = match home.get_bucket_location().bucket(bucket).send().await {
        Ok(out) => match out.location_constraint().map(|c| c.as_str().to_string()) {
            None => "us-east-1".to_string(),
            Some(r) if r.is_empty() => "us-east-1".to_string(),
            Some(r) if r == "EU" => "eu-west-1".to_string(),
            Some(r) => r,
        },
        Err(_) => return home,
    };
    session.s3(&region)
}

fn options(config: &Config, args: &CpArgs) -> TransferOptions {
    TransferOptions {
        multipart_threshold: config.transfer.multipart_threshold.as_u64(),
        part_size: args
            .part_size
            .map_or(config.transfer.part_size.as_u64(), |b| b.as_u64()),
        concurrency: args
            .concurrency
            .unwrap_or(config.transfer.concurrency)
            .max(1),
    }
}

/// Every file below `root` (folders walked depth-first, sorted).
pub fn walk(root: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut entries: Vec<PathBuf> = std::fs::read_dir(&dir)?
            .map(|e| e.map(|e| e.path()))
            .collect::<Result<_, _>>()?;
        entries.sort();
        for p in entries {
            if p.is_dir() {
                stack.push(p);
            } else if p.is_file() {
                out.push(p);
            }
        }
    }
    out.sort();
    Ok(out)
}

fn progress_bar(progress: &Arc<Progress>, json: bool) -> Option<tokio::task::JoinHandle<()>> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let progress = progress.clone();
    Some(tokio::spawn(async move {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{bar:40} {bytes}/{total_bytes} {binary_bytes_per_sec} eta {eta}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        loop {
            bar.set_length(progress.total.load(Ordering::SeqCst));
            bar.set_position(
                progress.done.load(Ordering::SeqCst) + progress.resumed.load(Ordering::SeqCst),
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }))
}

/// What `cp` did to one file.
enum FileResult {
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

pub async fn cp(
    session: &Session,
    config: &Config,
    dirs: &Dirs,
    args: &CpArgs,
) -> anyhow::Result<ExitCode> {
    let (dst, srcs) = args
        .paths
        .split_last()
        .ok_or_else(|| anyhow::anyhow!("cp needs SRC... DST"))?;
    let dst_s3 = S3Uri::parse(dst);
    let src_s3: Vec<Option<S3Uri>> = srcs.iter().map(|s| S3Uri::parse(s)).collect();
    let opts = options(config, args);
    let progress = Arc::new(Progress::default());
    let bar = progress_bar(&progress, args.json);
    let shutdown_progress = progress.clone();
    // Ctrl-C: stop sending parts; the journal keeps what was sent so the next
    // run resumes (a discarded upload is aborted by `skiff` in the TUI).
    tokio::spawn(async move {
        super::wait_for_shutdown().await;
        shutdown_progress.cancel();
    });
    let mut results = Vec::new();
    match (&dst_s3, src_s3.iter().all(Option::is_none)) {
        (Some(to), true) => {
            plan::check_bucket_name(&to.bucket).map_err(anyhow::Error::msg)?;
            let s3 = client_for_bucket(session, &to.bucket).await;
            let journal_dir = dirs.state.join("uploads");
            for src in srcs {
                let path = Path::new(src);
                let meta = match std::fs::metadata(path) {
                    Ok(m) => m,
                    Err(e) => {
                        results.push(FileResult::Failed {
                            what: src.clone(),
                            why: e.to_string(),
                        });
                        continue;
                    }
                };
                let files: Vec<(PathBuf, String)> = if meta.is_dir() {
                    if !args.recursive {
                        results.push(FileResult::Failed {
                            what: src.clone(),
                            why: "is a folder: use --recursive".into(),
                        });
                        continue;
                    }
                    let base = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let prefix = if to.key.is_empty() || to.key.ends_with('/') {
                        format!("{}{base}", to.key)
                    } else {
                        to.key.clone()
                    };
                    match walk(path) {
                        Ok(list) => list
                            .into_iter()
                            .filter_map(|f| plan::key_for(&prefix, path, &f).map(|k| (f, k)))
                            .collect(),
                        Err(e) => {
                            results.push(FileResult::Failed {
                                what: src.clone(),
                                why: e.to_string(),
                            });
                            continue;
                        }
                    }
                } else {
                    let name = path
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned())
                        .unwrap_or_default();
                    let key = if to.is_prefix() || srcs.len() > 1 {
                        format!("{}{name}", to.key)
                    } else {
                        to.key.clone()
                    };
                    vec![(path.to_path_buf(), key)]
                };
                let one = |(file, key): (PathBuf, String)| {
                    let (s3, opts, journal_dir, progress) = (&s3, &opts, &journal_dir, &progress);
                    async move {
                        if args.skip_identical
                            && same_object(s3, &to.bucket, &key, &file, opts).await
                        {
                            let size = std::fs::metadata(&file).map_or(0, |m| m.len());
                            return FileResult::Up(Uploaded {
                                key,
                                size,
                                sent: 0,
                                resumed: 0,
                                parts: 0,
                                etag: String::new(),
                                skipped: true,
                            });
                        }
                        match upload_file(s3, &file, &to.bucket, &key, opts, journal_dir, progress)
                            .await
                        {
                            Ok(u) => FileResult::Up(u),
                            Err(e) => FileResult::Failed {
                                what: file.display().to_string(),
                                why: e.to_string(),
                            },
                        }
                    }
                };
                let sized = crate::transfer::with_sizes(files);
                results.extend(crate::transfer::by_size(sized, &opts, one).await);
            }
        }
        (None, _) if srcs.len() == 1 && src_s3[0].is_some() => {
            let Some(from) = &src_s3[0] else {
                unreachable!()
            };
            let s3 = client_for_bucket(session, &from.bucket).await;
            let dest = PathBuf::from(dst);
            if args.recursive || from.is_prefix() {
                let prefix = if from.key.is_empty() || from.key.ends_with('/') {
                    from.key.clone()
                } else {
                    format!("{}/", from.key)
                };
                let keys = crate::cloud::s3::list_all(&s3, &from.bucket, &prefix)
                    .await
                    .map_err(|e| anyhow::anyhow!("s3://{}/{prefix}: {}", from.bucket, e.message))?;
                let one = |key: String| {
                    let (s3, opts, progress, dest, prefix) =
                        (&s3, &opts, &progress, &dest, &prefix);
                    async move {
                        match plan::local_path(dest, prefix, &key) {
                            Ok(path) => {
                                match download_object(s3, &from.bucket, &key, &path, opts, progress)
                                    .await
                                {
                                    Ok(size) => FileResult::Down { key, path, size },
                                    Err(e) => FileResult::Failed {
                                        what: format!("s3://{}/{key}", from.bucket),
                                        why: e.to_string(),
                                    },
                                }
                            }
                            Err(why) => FileResult::Failed {
                                what: format!("s3://{}/{key}", from.bucket),
                                why,
                            },
                        }
                    }
                };
                results.extend(crate::transfer::by_size(keys, &opts, one).await);
            } else {
                let path = if dest.is_dir() || dst.ends_with('/') {
                    match plan::local_path(
                        &dest,
                        "",
                        from.key.rsplit('/').next().unwrap_or(&from.key),
                    ) {
                        Ok(p) => p,
                        Err(why) => anyhow::bail!(why),
                    }
                } else {
                    dest
                };
                match download_object(&s3, &from.bucket, &from.key, &path, &opts, &progress).await {
                    Ok(size) => results.push(FileResult::Down {
                        key: from.key.clone(),
                        path,
                        size,
                    }),
                    Err(e) => results.push(FileResult::Failed {
                        what: from.to_string(),
                        why: e.to_string(),
                    }),
                }
            }
        }
        _ => anyhow::bail!(
            "exactly one side of cp must be s3://bucket/key-or-prefix (S3 to S3 and local to local are not copies skiff makes)"
        ),
    }
    if let Some(bar) = bar {
        bar.abort();
        eprintln!();
    }
    report(&results, &progress, args.json)
}

fn report(results: &[FileResult], progress: &Progress, json: bool) -> anyhow::Result<ExitCode> {
    let failed: Vec<(&String, &String)> = results
        .iter()
        .filter_map(|r| match r {
            FileResult::Failed { what, why } => Some((what, why)),
            _ => None,
        })
        .collect();
    if json {
        let files: Vec<serde_json::Value> = results
            .iter()
            .map(|r| match r {
                FileResult::Up(u) => json!({ "direction": "upload", "key": u.key, "size": u.size, "sent": u.sent, "resumed": u.resumed, "parts": u.parts, "etag": u.etag, "skipped": u.skipped }),
                FileResult::Down { key, path, size } => json!({ "direction": "download", "key": key, "path": path, "size": size }),
                FileResult::Failed { what, why } => json!({ "failed": what, "why": why }),
            })
            .collect();
        let doc = json!({
            "ok": failed.is_empty(),
            "bytes_total": progress.total.load(Ordering::SeqCst),
            "bytes_sent": progress.done.load(Ordering::SeqCst),
            "bytes_resumed": progress.resumed.load(Ordering::SeqCst),
            "files": files,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        for r in results {
            match r {
                FileResult::Up(u) if u.skipped => println!("skipped {} (identical on S3)", u.key),
                FileResult::Up(u) => {
                    let resumed = if u.resumed > 0 {
                        format!(", resumed {} already sent", bytesize::ByteSize(u.resumed))
                    } else {
                        String::new()
                    };
                    println!(
                        "uploaded {} ({}{resumed})",
                        u.key,
                        bytesize::ByteSize(u.size)
                    );
                }
                FileResult::Down { path, size, .. } => println!(
                    "downloaded {} ({})",
                    path.display(),
                    bytesize::ByteSize(*size)
                ),
                FileResult::Failed { .. } => {}
            }
        }
    }
    for (what, why) in &failed {
        eprintln!("skiff: {what}: {why}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `skiff ls s3://bucket/prefix/`: folders and objects one level down.
pub async fn ls(session: &Session, uri: &S3Uri, json: bool) -> anyhow::Result<ExitCode> {
    let s3 = client_for_bucket(session, &uri.bucket).await;
    let prefix = if uri.key.is_empty() || uri.key.ends_with('/') {
        uri.key.clone()
    } else {
        format!("{}/", uri.key)
    };
    let mut pages = s3
        .list_objects_v2()
        .bucket(&uri.bucket)
        .prefix(&prefix)
        .delimiter("/")
        .into_paginator()
        .send();
    let mut folders = Vec::new();
    let mut objects = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| {
            let err = crate::cloud::CloudError::from_sdk("s3", "", &e);
            anyhow::anyhow!("s3://{}/{prefix}: {}", uri.bucket, err.message)
        })?;
        folders.extend(
            page.common_prefixes()
                .iter()
                .filter_map(|p| p.prefix().map(str::to_string)),
        );
        for o in page.contents() {
            objects.push((
                o.key().unwrap_or_default().to_string(),
                o.size().unwrap_or_default(),
                o.last_modified().and_then(crate::cloud::ec2::to_utc),
                o.storage_class()
                    .map_or_else(|| "STANDARD".to_string(), |c| c.as_str().to_string()),
            ));
        }
    }
    if json {
        let objs: Vec<serde_json::Value> = objects
            .iter()
            .map(|(k, s, m, c)| json!({ "key": k, "size": s, "last_modified": m, "storage_class": c }))
            .collect();
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "bucket": uri.bucket, "prefix": prefix, "folders": folders, "objects": objs })
            )?
        );
    } else {
        for f in &folders {
            println!(
                "{:>12}  {:16}  {}",
                "DIR",
                "",
                f.strip_prefix(&prefix).unwrap_or(f)
            );
        }
        for (k, s, m, c) in &objects {
            let when = m.map_or_else(|| "-".into(), crate::render::format::timestamp);
            println!(
                "{:>12}  {when:16}  {}  {c}",
                bytesize::ByteSize(u64::try_from(*s).unwrap_or(0)).to_string(),
                k.strip_prefix(&prefix).unwrap_or(k)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `skiff mb s3://name`: the name is checked before any call.
pub async fn mb(session: &Session, read_only: bool, args: &MbArgs) -> anyhow::Result<ExitCode> {
    let uri = S3Uri::parse(&args.bucket)
        .ok_or_else(|| anyhow::anyhow!("`{}`: give the bucket as s3://name", args.bucket))?;
    plan::check_bucket_name(&uri.bucket).map_err(anyhow::Error::msg)?;
    let region = session.home_region().to_string();
    let actions = crate::cloud::actions::Actions::new(
        session.clone(),
        crate::cloud::actions::Gate {
            read_only,
            dry_run: false,
        },
    );
    actions
        .create_bucket(&uri.bucket, &region)
        .await
        .map_err(|e| anyhow::anyhow!("s3://{}: {}", uri.bucket, e.message))?;
    println!("made s3://{} in {region}", uri.bucket);
    Ok(ExitCode::SUCCESS)
}
