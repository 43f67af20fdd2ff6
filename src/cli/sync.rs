//! `skiff sync SRC DST`: the plan first (one listing per side), then what
//! it sends and deletes, line by line as the AWS CLI prints them.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::Arc;

use serde_json::json;

use super::args::SyncArgs;
use crate::ops::connect::Context;
use crate::ops::transfer::Progress;
use crate::ops::transfer::sync::rules::{Compare, Filter};
use crate::ops::transfer::sync::{self, Outcome, SyncPlan, SyncRequest};

/// Deletions that go without a question on a terminal; more are asked
/// about first.
const HANDFUL: usize = 5;

fn request(a: &SyncArgs) -> anyhow::Result<SyncRequest> {
    // The order on the command line decides; a caller that did not fill
    // it (none should) gets excludes, then includes.
    let order: Vec<(bool, String)> = if a.filters.is_empty() {
        a.exclude
            .iter()
            .map(|p| (false, p.clone()))
            .chain(a.include.iter().map(|p| (true, p.clone())))
            .collect()
    } else {
        a.filters.clone()
    };
    let filters = order
        .iter()
        .map(|(include, p)| {
            if *include {
                Filter::include(p)
            } else {
                Filter::exclude(p)
            }
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(anyhow::Error::msg)?;
    Ok(SyncRequest {
        src: a.src.clone(),
        dst: a.dst.clone(),
        delete: a.delete,
        compare: Compare {
            size_only: a.size_only,
            exact_timestamps: a.exact_timestamps,
        },
        filters,
    })
}

fn line(o: &Outcome, dry: bool) -> String {
    let dry = if dry { "(dryrun) " } else { "" };
    if o.verb == "delete" {
        format!("{dry}delete: {}", o.from)
    } else {
        format!("{dry}{}: {} to {}", o.verb, o.from, o.to)
    }
}

/// The plan as outcomes not yet tried (for --dry-run).
fn planned(plan: &SyncPlan) -> Vec<Outcome> {
    let verb = match plan.way {
        sync::rules::Way::Upload => "upload",
        sync::rules::Way::Download => "download",
        sync::rules::Way::Copy => "copy",
    };
    plan.send
        .iter()
        .map(|i| Outcome {
            verb,
            from: plan.src.show(&i.rel),
            to: plan.dst.show(&i.rel),
            size: i.stat.size,
            error: None,
        })
        .chain(plan.delete.iter().map(|rel| Outcome {
            verb: "delete",
            from: plan.dst.show(rel),
            to: String::new(),
            size: 0,
            error: None,
        }))
        .collect()
}

fn document(plan: &SyncPlan, outcomes: &[Outcome], dry_run: bool) -> serde_json::Value {
    let list: Vec<serde_json::Value> = outcomes
        .iter()
        .map(|o| json!({ "action": o.verb, "from": o.from, "to": o.to, "size": o.size, "error": o.error }))
        .collect();
    let skipped: Vec<serde_json::Value> = plan
        .skipped
        .iter()
        .map(|s| json!({ "skipped": s.what, "why": s.why }))
        .collect();
    json!({
        "direction": plan.way,
        "dry_run": dry_run,
        "to_send": plan.send.len(),
        "bytes_to_send": plan.bytes(),
        "to_delete": plan.delete.len(),
        "unchanged": plan.unchanged,
        "ok": outcomes.iter().all(|o| o.error.is_none()),
        "actions": list,
        "skipped": skipped,
    })
}

/// Whether the deletions may go: --yes; a few on a terminal; more on a
/// terminal when the user says so; never without a terminal.
fn may_delete(plan: &SyncPlan, a: &SyncArgs) -> anyhow::Result<()> {
    let n = plan.delete.len();
    if n == 0 || a.yes {
        return Ok(());
    }
    let terminal = std::io::stdin().is_terminal() && std::io::stderr().is_terminal();
    if !terminal {
        anyhow::bail!(
            "this sync would delete {n} file(s) from {} ({}): add --yes to let it, or --dry-run to list them; nothing was sent or deleted",
            a.dst,
            plan.summary()
        );
    }
    if n <= HANDFUL {
        return Ok(());
    }
    err!("skiff: {}", plan.summary());
    for rel in plan.delete.iter().take(20) {
        err!("  delete: {}", plan.dst.show(rel));
    }
    if n > 20 {
        err!("  … and {} more", n - 20);
    }
    if super::guard::ask(&format!("Delete these {n} files?"))? {
        Ok(())
    } else {
        anyhow::bail!("nothing was sent or deleted")
    }
}

pub async fn sync(ctx: &Context, a: &SyncArgs) -> anyhow::Result<ExitCode> {
    let req = request(a)?;
    let plan = sync::plan(&ctx.session, &req)
        .await
        .map_err(anyhow::Error::msg)?;
    if a.dry_run {
        let outcomes = planned(&plan);
        if a.json {
            out!(
                "{}",
                serde_json::to_string_pretty(&document(&plan, &outcomes, true))?
            );
        } else {
            for o in &outcomes {
                out!("{}", line(o, true));
            }
            err!("skiff: {} (dry run: nothing changed)", plan.summary());
        }
        return Ok(ExitCode::SUCCESS);
    }
    if let Some(bucket) = plan.written_bucket()
        && let Some(e) = ctx.gate.refusal(
            "s3",
            &bucket.region,
            &format!("sync to s3://{}", bucket.name),
        )
    {
        anyhow::bail!("{} ({})", e.message, plan.summary());
    }
    may_delete(&plan, a)?;
    let opts = super::s3::transfer_options(&ctx.config, a.concurrency, a.part_size);
    let progress = Arc::new(Progress::default());
    let bar = super::s3::progress_bar(&progress, a.json);
    let stop = progress.clone();
    tokio::spawn(async move {
        super::wait_for_shutdown().await;
        stop.cancel();
    });
    let json = a.json;
    let each = move |o: &Outcome| {
        if json {
            return;
        }
        match &o.error {
            None => out!("{}", line(o, false)),
            Some(why) => err!("skiff: {} failed: {why}", line(o, false)),
        }
    };
    let outcomes = sync::run(
        &ctx.actions(),
        &plan,
        &opts,
        &ctx.dirs.state.join("uploads"),
        &progress,
        &each,
    )
    .await;
    if let Some(bar) = bar {
        bar.abort();
        err!();
    }
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&document(&plan, &outcomes, false))?
        );
    }
    for s in &plan.skipped {
        err!("skiff: skipped {}: {}", s.what, s.why);
    }
    Ok(if outcomes.iter().any(|o| o.error.is_some()) {
        ExitCode::FAILURE
    } else if !plan.skipped.is_empty() {
        ExitCode::from(2)
    } else {
        ExitCode::SUCCESS
    })
}
