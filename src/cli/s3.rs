//! `skiff cp`, `skiff rm`, `skiff ls s3://…` and `skiff mb`: S3 from the
//! command line, over the operations both faces share.
//! A progress bar on a terminal, quiet otherwise; a failed file is named with
//! its reason and makes the exit code non-zero.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use serde_json::json;

use super::args::{CpArgs, MbArgs, RmArgs};
use crate::cloud::Session;
use crate::config::Config;
use crate::ops::connect::Context;
use crate::ops::objects::{self, RemoveRequest};
use crate::ops::transfer::copy::{self, CopyRequest, Direction, FileResult};
use crate::ops::transfer::expand::Skipped;
use crate::ops::transfer::plan::S3Uri;
use crate::ops::transfer::{Progress, TransferOptions};

fn options(config: &Config, args: &CpArgs) -> TransferOptions {
    transfer_options(config, args.concurrency, args.part_size)
}

/// The config's transfer settings, with the flags' where given.
pub(super) fn transfer_options(
    config: &Config,
    concurrency: Option<usize>,
    part_size: Option<bytesize::ByteSize>,
) -> TransferOptions {
    TransferOptions {
        multipart_threshold: config.transfer.multipart_threshold.as_u64(),
        part_size: part_size.map_or(config.transfer.part_size.as_u64(), |b| b.as_u64()),
        concurrency: concurrency.unwrap_or(config.transfer.concurrency).max(1),
    }
}

pub(super) fn progress_bar(
    progress: &Arc<Progress>,
    json: bool,
) -> Option<tokio::task::JoinHandle<()>> {
    if json || !std::io::stderr().is_terminal() {
        return None;
    }
    let progress = progress.clone();
    Some(tokio::spawn(async move {
        let bar = indicatif::ProgressBar::new(0);
        bar.set_style(
            // The bar takes what the terminal's width leaves (never wraps).
            indicatif::ProgressStyle::with_template("{wide_bar} {bytes}/{total_bytes} {msg}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar()),
        );
        let started = std::time::Instant::now();
        loop {
            bar.set_length(progress.total.load(Ordering::SeqCst));
            let moved = progress.done.load(Ordering::SeqCst);
            bar.set_position(moved + progress.resumed.load(Ordering::SeqCst));
            bar.set_message(rate_words(
                moved,
                started.elapsed(),
                bar.length().unwrap_or(0).saturating_sub(bar.position()),
            ));
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }))
}

/// The rate and time left, once there is something to measure them by
/// (not "0 B/s eta 0s" before the first byte).
fn rate_words(moved: u64, elapsed: Duration, left: u64) -> String {
    let secs = elapsed.as_secs_f64();
    if moved == 0 || secs < 0.5 {
        return "starting…".into();
    }
    let rate = moved as f64 / secs;
    let eta = Duration::from_secs_f64(left as f64 / rate);
    format!(
        "{}/s, {} left",
        indicatif::BinaryBytes(rate as u64),
        indicatif::HumanDuration(eta)
    )
}

/// `skiff cp`: the same plan and the same run as the TUI's transfers.
pub async fn cp(ctx: &Context, args: &CpArgs) -> anyhow::Result<ExitCode> {
    let (dst, srcs) = args
        .paths
        .split_last()
        .ok_or_else(|| anyhow::anyhow!("cp needs SRC... DST"))?;
    let req = CopyRequest {
        sources: srcs.to_vec(),
        dest: dst.clone(),
        recursive: args.recursive,
        skip_identical: args.skip_identical,
    };
    let plan = copy::plan(&ctx.session, &req)
        .await
        .map_err(anyhow::Error::msg)?;
    if plan.direction == Direction::Upload
        && !plan.items.is_empty()
        && let Some(e) = ctx.gate.refusal(
            "s3",
            &plan.bucket.region,
            &format!("upload to s3://{}", plan.bucket.name),
        )
    {
        anyhow::bail!(e.message);
    }
    let opts = options(&ctx.config, args);
    let progress = Arc::new(Progress::default());
    let bar = progress_bar(&progress, args.json);
    let shutdown_progress = progress.clone();
    // Ctrl-C: stop sending parts; the journal keeps what was sent so the next
    // run resumes (a discarded upload is aborted by `skiff` in the TUI).
    tokio::spawn(async move {
        super::wait_for_shutdown().await;
        shutdown_progress.cancel();
    });
    let journal_dir = ctx.dirs.state.join("uploads");
    let results = copy::run(
        &ctx.actions(),
        &plan,
        &opts,
        &journal_dir,
        args.skip_identical,
        &progress,
    )
    .await;
    if let Some(bar) = bar {
        bar.abort();
        err!();
    }
    report(&results, &plan.skipped, &progress, args.json)
}

fn report(
    results: &[FileResult],
    skipped: &[Skipped],
    progress: &Progress,
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut failed: Vec<(&String, &String)> = results
        .iter()
        .filter_map(|r| match r {
            FileResult::Failed { what, why } => Some((what, why)),
            _ => None,
        })
        .collect();
    failed.extend(skipped.iter().map(|s| (&s.what, &s.why)));
    if json {
        let files: Vec<serde_json::Value> = results
            .iter()
            .map(|r| match r {
                FileResult::Up(u) => json!({ "direction": "upload", "key": u.key, "size": u.size, "sent": u.sent, "resumed": u.resumed, "parts": u.parts, "etag": u.etag, "skipped": u.skipped }),
                FileResult::Down { key, path, size } => json!({ "direction": "download", "key": key, "path": path, "size": size }),
                FileResult::Failed { what, why } => json!({ "failed": what, "why": why }),
            })
            .collect();
        let skipped: Vec<serde_json::Value> = skipped
            .iter()
            .map(|s| json!({ "skipped": s.what, "why": s.why }))
            .collect();
        let doc = json!({
            "ok": failed.is_empty(),
            "skipped": skipped,
            "bytes_total": progress.total.load(Ordering::SeqCst),
            "bytes_sent": progress.done.load(Ordering::SeqCst),
            "bytes_resumed": progress.resumed.load(Ordering::SeqCst),
            "files": files,
        });
        out!("{}", serde_json::to_string_pretty(&doc)?);
    } else {
        for r in results {
            match r {
                FileResult::Up(u) if u.skipped => out!("skipped {} (identical on S3)", u.key),
                FileResult::Up(u) => {
                    let resumed = if u.resumed > 0 {
                        format!(", resumed {} already sent", bytesize::ByteSize(u.resumed))
                    } else {
                        String::new()
                    };
                    out!(
                        "uploaded {} ({}{resumed})",
                        u.key,
                        bytesize::ByteSize(u.size)
                    );
                }
                FileResult::Down { path, size, .. } => out!(
                    "downloaded {} ({})",
                    path.display(),
                    bytesize::ByteSize(*size)
                ),
                FileResult::Failed { .. } => {}
            }
        }
    }
    for (what, why) in &failed {
        err!("skiff: {what}: {why}");
    }
    Ok(if failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

/// `skiff ls s3://bucket/prefix/`: folders and objects one level down.
pub async fn ls(session: &Session, uri: &S3Uri, json: bool) -> anyhow::Result<ExitCode> {
    let bucket = session
        .bucket(&uri.bucket)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let prefix = if uri.key.is_empty() || uri.key.ends_with('/') {
        uri.key.clone()
    } else {
        format!("{}/", uri.key)
    };
    let level = bucket
        .list_level(&prefix)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    let class = |c: &Option<String>| c.clone().unwrap_or_else(|| "STANDARD".to_string());
    if json {
        let objs: Vec<serde_json::Value> = level
            .objects
            .iter()
            .map(|o| json!({ "key": o.key, "size": o.size, "last_modified": o.last_modified, "storage_class": class(&o.storage_class) }))
            .collect();
        out!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "bucket": uri.bucket, "prefix": prefix, "folders": level.folders, "objects": objs })
            )?
        );
    } else {
        for f in &level.folders {
            out!(
                "{:>12}  {:16}  {}",
                "DIR",
                "",
                f.strip_prefix(&prefix).unwrap_or(f)
            );
        }
        for o in &level.objects {
            let when = o
                .last_modified
                .map_or_else(|| "-".into(), crate::render::format::timestamp);
            out!(
                "{:>12}  {when:16}  {}  {}",
                bytesize::ByteSize(o.size).to_string(),
                o.key.strip_prefix(&prefix).unwrap_or(&o.key),
                class(&o.storage_class)
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// A size as the AWS CLI writes it with --human-readable.
pub fn human_size(bytes: u64) -> String {
    const SUFFIXES: [&str; 6] = ["KiB", "MiB", "GiB", "TiB", "PiB", "EiB"];
    match bytes {
        1 => return "1 Byte".to_string(),
        b if b < 1024 => return format!("{b} Bytes"),
        _ => {}
    }
    let value = bytes as f64;
    let mut unit = 1024f64;
    for suffix in SUFFIXES {
        if (value / unit).round() < 1024.0 || suffix == "EiB" {
            return format!("{:.1} {suffix}", value / unit);
        }
        unit *= 1024.0;
    }
    format!("{bytes} Bytes")
}

/// `skiff ls s3://b/p --recursive [--human-readable] [--summarize]`: every
/// object below the prefix, page by page (memory holds one page), as the
/// AWS CLI prints them (or one JSON document, streamed).
pub async fn ls_tree(
    session: &Session,
    uri: &S3Uri,
    args: &super::args::LsArgs,
) -> anyhow::Result<ExitCode> {
    let bucket = session
        .bucket(&uri.bucket)
        .await
        .map_err(|e| anyhow::anyhow!(e.message))?;
    // Without --recursive, one level (the folder's own objects).
    let prefix = if args.recursive || uri.key.is_empty() || uri.key.ends_with('/') {
        uri.key.clone()
    } else {
        format!("{}/", uri.key)
    };
    let size = |b: u64| {
        if args.human_readable {
            human_size(b)
        } else {
            b.to_string()
        }
    };
    if args.json {
        out!(
            "{{\"bucket\": {}, \"prefix\": {}, \"objects\": [",
            json!(uri.bucket),
            json!(prefix)
        );
    }
    let (mut count, mut total, mut token) = (0u64, 0u64, None);
    loop {
        let (entries, next) = bucket
            .list_tree_page(&prefix, token)
            .await
            .map_err(|e| anyhow::anyhow!(e.message))?;
        for o in entries {
            let name = if args.recursive {
                o.key.as_str()
            } else if o.key[prefix.len().min(o.key.len())..].contains('/') {
                continue;
            } else {
                o.key.strip_prefix(&prefix).unwrap_or(&o.key)
            };
            if args.json {
                let sep = if count == 0 { " " } else { "," };
                out!(
                    "{sep}{}",
                    json!({ "key": o.key, "size": o.size, "last_modified": o.last_modified })
                );
            } else {
                let when = o.last_modified.map_or_else(
                    || "-".repeat(19),
                    |t| {
                        t.with_timezone(&chrono::Local)
                            .format("%Y-%m-%d %H:%M:%S")
                            .to_string()
                    },
                );
                out!("{when} {:>10} {name}", size(o.size));
            }
            count += 1;
            total += o.size;
        }
        match next {
            Some(t) => token = Some(t),
            None => break,
        }
    }
    if args.json {
        out!("], \"total_objects\": {count}, \"total_size\": {total}}}");
    } else if args.summarize {
        out!("\nTotal Objects: {count}");
        out!("   Total Size: {}", size(total));
    }
    Ok(ExitCode::SUCCESS)
}

/// `skiff rm`: one object, or every object below a prefix with
/// `--recursive`; `--dry-run` lists them and deletes nothing.
pub async fn rm(ctx: &Context, args: &RmArgs) -> anyhow::Result<ExitCode> {
    let uri = S3Uri::parse(&args.uri)
        .ok_or_else(|| anyhow::anyhow!("`{}`: give s3://bucket/key", args.uri))?;
    let req = RemoveRequest {
        uri,
        recursive: args.recursive,
        confirm: args.confirm.clone(),
    };
    let removal = objects::plan_remove(&ctx.session, &req)
        .await
        .map_err(anyhow::Error::msg)?;
    let ctx = ctx.dry_run(args.dry_run);
    let outcome = objects::remove(&ctx.actions(), &removal).await;
    let bucket = &removal.bucket;
    match outcome {
        Ok(done) => {
            if args.json {
                let doc = json!({
                    "ok": done.refused.is_empty(),
                    "dry_run": done.dry_run,
                    "bucket": bucket.name,
                    "keys": removal.keys,
                    "deleted": done.deleted,
                    "refused": done.refused,
                });
                out!("{}", serde_json::to_string_pretty(&doc)?);
            } else {
                let word = if done.dry_run {
                    "(dry run) delete"
                } else {
                    "delete"
                };
                for k in &removal.keys {
                    out!("{word}: {}", bucket.uri(k));
                }
                if removal.keys.is_empty() {
                    out!("nothing below {} to delete", req.uri);
                }
                for r in &done.refused {
                    err!("skiff: refused: {r}");
                }
            }
            Ok(if done.refused.is_empty() {
                ExitCode::SUCCESS
            } else {
                ExitCode::FAILURE
            })
        }
        Err(e) => anyhow::bail!(e.message),
    }
}

/// `skiff mb s3://name`: the name is checked before any call.
pub async fn mb(ctx: &Context, args: &MbArgs) -> anyhow::Result<ExitCode> {
    let uri = S3Uri::parse(&args.bucket)
        .ok_or_else(|| anyhow::anyhow!("`{}`: give the bucket as s3://name", args.bucket))?;
    let (_, region) = objects::make_bucket(&ctx.actions(), &uri.bucket)
        .await
        .map_err(anyhow::Error::msg)?;
    out!("made s3://{} in {region}", uri.bucket);
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_rate_is_said_once_there_is_one() {
        assert_eq!(rate_words(0, Duration::from_secs(3), 100), "starting…");
        let said = rate_words(2 << 20, Duration::from_secs(2), 4 << 20);
        assert!(said.starts_with("1.00 MiB/s, 4 seconds left"), "{said}");
    }

    #[test]
    fn sizes_read_as_the_aws_cli_writes_them() {
        assert_eq!(human_size(0), "0 Bytes");
        assert_eq!(human_size(1), "1 Byte");
        assert_eq!(human_size(1023), "1023 Bytes");
        assert_eq!(human_size(1024), "1.0 KiB");
        assert_eq!(human_size(1536), "1.5 KiB");
        assert_eq!(human_size(1024 * 1024 - 1), "1.0 MiB");
        assert_eq!(human_size(5 << 30), "5.0 GiB");
    }
}
