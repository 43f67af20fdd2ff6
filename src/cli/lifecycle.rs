//! `skiff start|stop|pause|resume|reboot|terminate|protect|relaunch|idle-timeout`:
//! lifecycle from the command line, over the operations layer. Never
//! prompts (fits cron); exit codes: 0 done, 1 something failed or was
//! refused, 3 every call worked but some node was still not in its target
//! state when the timeout passed.

use std::process::ExitCode;

use serde_json::json;

use super::args::{ProtectArgs, RunOptions, TerminateArgs};
use crate::lifecycle::{Target, Verb};
use crate::ops::connect::Context;
use crate::ops::execute::{Progress, Report};
use crate::ops::{lifecycle as ops, target};

const EXIT_FAILED: u8 = 1;
const EXIT_LATE: u8 = 3;

fn print_progress(p: Progress) {
    match p {
        Progress::Step(s) => {
            let mark = if s.ok { "✓" } else { "✗" };
            match s.action.strip_prefix("post-start: ") {
                Some(cmd) => out!("  {mark} master$ {cmd}: {}", s.detail),
                None if s.action == "post-start" => {
                    out!("  {mark} post-start commands: {}", s.detail)
                }
                None => out!("  {mark} {} ({}) {}: {}", s.name, s.id, s.action, s.detail),
            }
        }
        Progress::Waiting { ids, state } => {
            out!(
                "  … waiting for {} node{} to be {state}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            );
        }
        Progress::Seen { id, name, state } => out!("  · {name} ({id}) is {state}"),
    }
}

fn print_report_tail(r: &Report) {
    for a in &r.already {
        out!("  · {a}");
    }
    for s in &r.skipped {
        out!("  ✗ {s}");
    }
    for (id, name, state) in &r.late {
        let seen = state.map_or_else(|| "unknown".to_string(), |s| s.to_string());
        out!("  ✗ {name} ({id}) is late: still {seen} when the timeout passed");
    }
    for log in &r.logs {
        out!("  output kept in {}", log.display());
    }
}

/// What one target came to.
enum Outcome {
    Report(Report),
    Error(String),
}

/// Resolves, plans and runs `verb` on each target in turn.
pub async fn run_verb(
    ctx: &Context,
    verb: Verb,
    targets: &[String],
    run: &RunOptions,
    confirm: Option<&str>,
) -> anyhow::Result<ExitCode> {
    let ctx = ctx.dry_run(run.dry_run);
    let (inv, list_errors) = ctx.inventory().await;
    if !run.json {
        for e in &list_errors {
            err!("skiff: warning: could not list {e}");
        }
    }
    let mut outcomes = Vec::new();
    for query in targets {
        let outcome = run_one(&ctx, &inv, verb, query, run, confirm).await;
        if let Outcome::Error(e) = &outcome {
            let hint = if list_errors.is_empty() {
                String::new()
            } else {
                " (some regions or services could not be listed)".into()
            };
            err!("skiff: {e}{hint}");
        }
        outcomes.push(outcome);
    }
    let failed = outcomes.iter().any(|o| match o {
        Outcome::Error(_) => true,
        Outcome::Report(r) => r.steps.iter().any(|s| !s.ok) || !r.skipped.is_empty(),
    });
    let late = outcomes
        .iter()
        .any(|o| matches!(o, Outcome::Report(r) if !r.late.is_empty()));
    if run.json {
        let results: Vec<serde_json::Value> = outcomes
            .iter()
            .map(|o| match o {
                Outcome::Report(r) => serde_json::to_value(r).unwrap_or_default(),
                Outcome::Error(e) => json!({ "error": e }),
            })
            .collect();
        let doc = json!({ "ok": !failed && !late, "verb": verb, "read_only": ctx.gate.read_only(), "results": results });
        out!("{}", serde_json::to_string_pretty(&doc)?);
    }
    Ok(if failed {
        ExitCode::from(EXIT_FAILED)
    } else if late {
        ExitCode::from(EXIT_LATE)
    } else {
        ExitCode::SUCCESS
    })
}

async fn run_one(
    ctx: &Context,
    inv: &crate::model::Inventory,
    verb: Verb,
    query: &str,
    run: &RunOptions,
    confirm: Option<&str>,
) -> Outcome {
    let target = match target::find(ctx, inv, query).await {
        Ok(t) => t,
        Err(e) => return Outcome::Error(e),
    };
    let plan = match ops::prepare(ctx, inv, &target, verb, confirm) {
        Ok(p) => p,
        Err(e) => return Outcome::Error(e),
    };
    let change = ops::hourly_change_now(ctx, inv, std::slice::from_ref(&plan));
    if !run.json {
        let mode = if run.dry_run { " (dry run)" } else { "" };
        out!("{} {}{mode}", capitalised(verb), plan.target);
        if run.dry_run {
            for line in plan.describe() {
                out!("  plan: {line}");
            }
        }
        // What it will cost, said before it runs.
        if matches!(verb, Verb::Start | Verb::Resume) && !plan.is_noop() {
            out!(
                "  {}",
                ops::hourly_line(verb, std::slice::from_ref(&plan), &change)
            );
        }
    }
    let progress: &(dyn Fn(Progress) + Send + Sync) =
        if run.json { &|_| {} } else { &print_progress };
    let opts = ops::exec_options(ctx, run.wait, run.timeout);
    let started = std::time::Instant::now();
    let report = ops::run(ctx, inv, &target, &plan, &opts, progress).await;
    if !run.json {
        print_report_tail(&report);
        if !run.dry_run {
            out!(
                "{}",
                ops::summary(&plan, &report, started.elapsed(), &change)
            );
        } else if plan.is_noop() {
            out!("  nothing to do");
        }
    }
    Outcome::Report(report)
}

fn capitalised(verb: Verb) -> String {
    let s = verb.as_str();
    s[..1].to_uppercase() + &s[1..]
}

pub async fn terminate(ctx: &Context, args: &TerminateArgs) -> anyhow::Result<ExitCode> {
    run_verb(
        ctx,
        Verb::Terminate,
        std::slice::from_ref(&args.target),
        &args.run,
        Some(&args.confirm),
    )
    .await
}

/// Turns termination protection on or off for an instance, every node of a
/// Spark cluster, or an EMR cluster.
pub async fn protect(ctx: &Context, args: &ProtectArgs) -> anyhow::Result<ExitCode> {
    let (inv, _) = ctx.inventory().await;
    let target = target::find(ctx, &inv, &args.target)
        .await
        .map_err(anyhow::Error::msg)?;
    let on = args.switch == super::args::Switch::On;
    let word = if on { "on" } else { "off" };
    if let Some(e) = ctx.gate.refusal(
        "ec2",
        "",
        &format!(
            "turn termination protection of {} {word}",
            target.describe(&inv)
        ),
    ) {
        anyhow::bail!(e.message);
    }
    let mut failed = false;
    for (id, result) in ops::protect(ctx, &inv, &target, on).await {
        match result {
            Ok(_) => out!("  ✓ {id}: termination protection {word}"),
            Err(e) => {
                failed = true;
                err!("skiff: {id}: {}", e.message);
            }
        }
    }
    Ok(if failed {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// Creates a terminated EMR cluster again from what AWS still knows of it.
pub async fn relaunch(ctx: &Context, args: &super::args::RelaunchArgs) -> anyhow::Result<ExitCode> {
    let ctx = ctx.dry_run(args.dry_run);
    let (inv, _) = ctx.inventory().await;
    let source = crate::lifecycle::relaunch::relaunch_source(
        &inv,
        &args.target,
        ctx.config.inventory.emr_terminated_days,
    )
    .map_err(anyhow::Error::msg)?;
    let plan = ops::relaunch_plan(&ctx, &source.region, &source.id).await?;
    if !args.json {
        for line in crate::render::lifecycle::relaunch_lines(&plan, args.dry_run) {
            out!("{line}");
        }
    }
    let new_id = ops::relaunch(&ctx, &plan).await?;
    let blueprint = &plan.blueprint;
    if args.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "blueprint": blueprint, "new_cluster_id": new_id, "dry_run": args.dry_run })
            )?
        );
    } else if let Some(id) = &new_id {
        out!("  ✓ created {id}");
    } else {
        out!("  nothing created (dry run)");
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn idle_timeout(
    ctx: &Context,
    args: &super::args::IdleTimeoutArgs,
) -> anyhow::Result<ExitCode> {
    let idle = ops::parse_idle(&args.idle).map_err(anyhow::Error::msg)?;
    let (inv, _) = ctx.inventory().await;
    let Target::Emr { region, id } = target::find(ctx, &inv, &args.target)
        .await
        .map_err(anyhow::Error::msg)?
    else {
        anyhow::bail!(
            "`{}` is not an EMR cluster: the idle timeout is an EMR setting",
            args.target
        );
    };
    ctx.actions()
        .set_idle_timeout(&region, &id, idle)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match idle {
        Some(d) => out!(
            "  ✓ {id} terminates itself after {} idle",
            humantime::format_duration(d)
        ),
        None => out!("  ✓ {id} no longer terminates itself when idle"),
    }
    Ok(ExitCode::SUCCESS)
}
