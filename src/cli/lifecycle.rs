//! `skiff start|stop|pause|resume|reboot|terminate|protect`: lifecycle from the
//! command line. Never prompts (fits cron); exit codes: 0 done, 1 something
//! failed or was refused, 3 every call worked but some node was still not in
//! its target state when the timeout passed.

use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::args::{ProtectArgs, RunOptions, TerminateArgs};
use crate::cloud::actions::{Actions, Done, Gate};
use crate::cloud::execute::{ExecOptions, Progress, Report, execute};
use crate::cloud::inventory::{Inventory, Wanted, fetch_all};
use crate::cloud::{CloudError, Session};
use crate::config::{Config, Dirs};
use crate::lifecycle::{PlanOptions, Target, Verb, confirmation_matches, plan, resolve};
use crate::store::paused as state;

/// Everything a lifecycle command needs.
pub struct Context {
    pub session: Session,
    pub config: Config,
    pub dirs: Dirs,
    pub read_only: bool,
}

const EXIT_FAILED: u8 = 1;
const EXIT_LATE: u8 = 3;

impl Context {
    async fn inventory(&self, quiet: bool) -> (Inventory, Vec<CloudError>) {
        let wanted = Wanted {
            instances: true,
            clusters: true,
            buckets: false,
        };
        let opts = super::inventory_options(&self.config);
        let (inv, errors) = fetch_all(&self.session, wanted, &opts, chrono::Utc::now()).await;
        if !quiet {
            for e in &errors {
                eprintln!("skiff: warning: could not list {e}");
            }
        }
        (inv, errors)
    }

    fn plan_options(&self) -> PlanOptions {
        PlanOptions {
            emr_pause_core_count: self.config.emr.pause_core_count,
        }
    }

    fn exec_options(&self, run: &RunOptions) -> ExecOptions {
        ExecOptions {
            wait: run.wait,
            timeout: Duration::from_secs(
                run.timeout
                    .unwrap_or(self.config.lifecycle.wait_timeout_secs),
            ),
            poll: Duration::from_secs(self.config.lifecycle.poll_interval_secs.max(1)),
        }
    }
}

fn print_progress(p: Progress) {
    match p {
        Progress::Step(s) => {
            let mark = if s.ok { "✓" } else { "✗" };
            println!("  {mark} {} ({}) {}: {}", s.name, s.id, s.action, s.detail);
        }
        Progress::Waiting { ids, state } => {
            println!(
                "  … waiting for {} node{} to be {state}",
                ids.len(),
                if ids.len() == 1 { "" } else { "s" }
            );
        }
    }
}

fn print_report_tail(r: &Report) {
    for a in &r.already {
        println!("  · {a}");
    }
    for s in &r.skipped {
        println!("  ✗ {s}");
    }
    for (id, name, state) in &r.late {
        let seen = state.map_or_else(|| "unknown".to_string(), |s| s.to_string());
        println!("  ✗ {name} ({id}) is late: still {seen} when the timeout passed");
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
    let (inv, list_errors) = ctx.inventory(run.json).await;
    let actions = Actions::new(
        ctx.session.clone(),
        Gate {
            read_only: ctx.read_only,
            dry_run: run.dry_run,
        },
    );
    let mut outcomes = Vec::new();
    for query in targets {
        let outcome = run_one(ctx, &inv, &actions, verb, query, run, confirm).await;
        if let Outcome::Error(e) = &outcome {
            let hint = if list_errors.is_empty() {
                String::new()
            } else {
                " (some regions or services could not be listed)".into()
            };
            eprintln!("skiff: {e}{hint}");
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
        let doc = json!({ "ok": !failed && !late, "verb": verb, "read_only": ctx.read_only, "results": results });
        println!("{}", serde_json::to_string_pretty(&doc)?);
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
    inv: &Inventory,
    actions: &Actions,
    verb: Verb,
    query: &str,
    run: &RunOptions,
    confirm: Option<&str>,
) -> Outcome {
    let target = match resolve(inv, query) {
        Ok(t) => t,
        Err(e) => return Outcome::Error(e.to_string()),
    };
    let saved = match &target {
        Target::Emr { id, .. } => match state::load_paused(&ctx.dirs.state, id) {
            Ok(saved) => saved,
            Err(e) => {
                return Outcome::Error(format!(
                    "cannot read the saved counts of {id} in {}: {e}",
                    ctx.dirs.state.display()
                ));
            }
        },
        _ => None,
    };
    let plan = match plan(inv, &target, verb, &ctx.plan_options(), saved.as_ref()) {
        Ok(p) => p,
        Err(refusal) => return Outcome::Error(refusal.to_string()),
    };
    if verb == Verb::Terminate && !confirmation_matches(inv, &target, confirm.unwrap_or_default()) {
        return Outcome::Error(format!(
            "--confirm `{}` is not the name or id of {}; nothing was terminated",
            confirm.unwrap_or_default(),
            plan.target
        ));
    }
    if !run.json {
        let mode = if run.dry_run { " (dry run)" } else { "" };
        println!("{} {}{mode}", capitalised(verb), plan.target);
        if run.dry_run {
            for line in plan.describe() {
                println!("  plan: {line}");
            }
        }
    }
    let progress: &(dyn Fn(Progress) + Send + Sync) =
        if run.json { &|_| {} } else { &print_progress };
    let mut report = execute(
        actions,
        &plan,
        &ctx.exec_options(run),
        &ctx.dirs.state,
        progress,
    )
    .await;
    if !run.json {
        print_report_tail(&report);
        if plan.is_noop() {
            println!("  nothing to do");
        }
    }
    let commands = &ctx.config.spark.post_start_commands;
    let starting = matches!(verb, Verb::Start | Verb::Resume);
    if matches!(target, Target::Spark { .. })
        && starting
        && !commands.is_empty()
        && report.ok()
        && !run.dry_run
    {
        post_start(ctx, inv, &target, query, run.json, &mut report).await;
    }
    Outcome::Report(report)
}

/// Runs the configured post-start commands on a Spark master; each becomes a
/// step (its output is also kept in the state directory, at the returned path).
/// Shared by the CLI and the TUI.
pub async fn post_start_steps(
    session: &crate::cloud::Session,
    config: &Config,
    dirs: &Dirs,
    inv: &Inventory,
    target: &Target,
    label: &str,
) -> (
    Vec<crate::cloud::execute::StepResult>,
    Option<std::path::PathBuf>,
) {
    use crate::cloud::execute::StepResult;
    let step = |ok: bool, action: String, detail: String| StepResult {
        id: label.to_string(),
        name: "master".into(),
        action,
        ok,
        detail,
        state: None,
    };
    let tt = match super::tunnel::tunnel_target(inv, target, label, config) {
        Ok((tt, _)) => tt,
        Err(e) => return (vec![step(false, "post-start".into(), e)], None),
    };
    let settings = crate::tunnel::TunnelSettings::from_config(config, dirs, false);
    let wait = Duration::from_secs(config.spark.post_start_wait_secs);
    let log_dir = dirs.state.join("post-start");
    match crate::tunnel::remote::run_commands(
        session,
        &tt,
        &settings,
        &config.spark.post_start_commands,
        wait,
        &log_dir,
    )
    .await
    {
        Ok((results, log)) => {
            let steps = results
                .into_iter()
                .map(|r| {
                    let first = r.output.lines().next().unwrap_or("").to_string();
                    let code = r.exit_code.map_or("signal".into(), |c| c.to_string());
                    step(
                        r.ok,
                        format!("post-start: {}", r.command),
                        format!("exit {code} {first}"),
                    )
                })
                .collect();
            (steps, Some(log))
        }
        Err(e) => (vec![step(false, "post-start".into(), e)], None),
    }
}

async fn post_start(
    ctx: &Context,
    inv: &Inventory,
    target: &Target,
    label: &str,
    quiet: bool,
    report: &mut Report,
) {
    let (steps, log) =
        post_start_steps(&ctx.session, &ctx.config, &ctx.dirs, inv, target, label).await;
    if !quiet {
        for s in &steps {
            let mark = if s.ok { "✓" } else { "✗" };
            match s.action.strip_prefix("post-start: ") {
                Some(cmd) => println!("  {mark} master$ {cmd}: {}", s.detail),
                None => println!("  {mark} post-start commands: {}", s.detail),
            }
        }
        if let Some(log) = &log {
            println!("  output kept in {}", log.display());
        }
    }
    report.steps.extend(steps);
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
    let (inv, _) = ctx.inventory(false).await;
    let target = resolve(&inv, &args.target)?;
    let actions = Actions::new(
        ctx.session.clone(),
        Gate {
            read_only: ctx.read_only,
            dry_run: false,
        },
    );
    let on = args.switch == super::args::Switch::On;
    let mut calls: Vec<(String, Result<Done, CloudError>)> = Vec::new();
    match &target {
        Target::Instance { id } => {
            let region = inv
                .instance(id)
                .map(|i| i.region.clone())
                .unwrap_or_default();
            calls.push((
                id.clone(),
                actions.set_instance_protection(&region, id, on).await,
            ));
        }
        Target::Spark { region, name } => {
            let nodes: Vec<String> = inv
                .spark_clusters
                .iter()
                .filter(|c| &c.region == region && &c.name == name)
                .flat_map(|c| c.master.iter().chain(&c.workers).cloned())
                .collect();
            for id in nodes {
                let r = actions.set_instance_protection(region, &id, on).await;
                calls.push((id, r));
            }
        }
        Target::Emr { region, id } => {
            calls.push((id.clone(), actions.set_emr_protection(region, id, on).await))
        }
    }
    let mut failed = false;
    for (id, result) in calls {
        match result {
            Ok(_) => println!(
                "  ✓ {id}: termination protection {}",
                if on { "on" } else { "off" }
            ),
            Err(e) => {
                failed = true;
                eprintln!("skiff: {id}: {}", e.message);
            }
        }
    }
    Ok(if failed {
        ExitCode::from(EXIT_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// The EMR cluster `query` names for relaunch: by id, else by name among
/// clusters, the most recently created terminated one first.
fn emr_for_relaunch<'a>(
    inv: &'a Inventory,
    query: &str,
    listed_days: u32,
) -> anyhow::Result<&'a crate::model::EmrCluster> {
    if let Some(c) = inv.emr_clusters.iter().find(|c| c.id == query) {
        return Ok(c);
    }
    let mut named: Vec<&crate::model::EmrCluster> = inv
        .emr_clusters
        .iter()
        .filter(|c| c.name == query)
        .collect();
    named.sort_by_key(|c| (c.state.is_active(), std::cmp::Reverse(c.created)));
    named.first().copied().ok_or_else(|| {
        anyhow::anyhow!(
            "no EMR cluster is called `{query}` (terminated clusters are listed for inventory.emr_terminated_days = {listed_days} days)"
        )
    })
}

/// Creates a terminated EMR cluster again from what AWS still knows of it.
pub async fn relaunch(ctx: &Context, args: &super::args::RelaunchArgs) -> anyhow::Result<ExitCode> {
    let (inv, _) = ctx.inventory(args.json).await;
    let source = emr_for_relaunch(&inv, &args.target, ctx.config.inventory.emr_terminated_days)?;
    if source.state.is_active() {
        anyhow::bail!(
            "EMR cluster {} ({}) is {}: relaunch re-creates a terminated cluster; this one still runs",
            source.name,
            source.id,
            source.state.as_str()
        );
    }
    let blueprint = crate::cloud::emr::blueprint(&ctx.session, &source.region, &source.id).await?;
    let actions = Actions::new(
        ctx.session.clone(),
        Gate {
            read_only: ctx.read_only,
            dry_run: args.dry_run,
        },
    );
    if !args.json {
        println!(
            "Relaunch EMR cluster {} ({}){}",
            blueprint.name,
            blueprint.source_id,
            if args.dry_run { " (dry run)" } else { "" }
        );
        println!(
            "  release {}, applications {}",
            blueprint.release.as_deref().unwrap_or("?"),
            blueprint.applications.join(", ")
        );
        for g in &blueprint.groups {
            println!(
                "  {} group: {} × {} ({})",
                g.role, g.count, g.instance_type, g.market
            );
        }
        for b in &blueprint.bootstrap_actions {
            println!(
                "  bootstrap action {}: {} {}",
                b.name,
                b.path,
                b.args.join(" ")
            );
        }
    }
    let new_id = actions.relaunch_emr(&blueprint).await?;
    if args.json {
        println!(
            "{}",
            serde_json::to_string_pretty(
                &json!({ "blueprint": blueprint, "new_cluster_id": new_id, "dry_run": args.dry_run })
            )?
        );
    } else if let Some(id) = &new_id {
        println!("  ✓ created {id}");
    } else {
        println!("  nothing created (dry run)");
    }
    Ok(ExitCode::SUCCESS)
}

/// Parses `90m`, `2h`, `3600s` or `off` into an EMR idle timeout.
pub fn parse_idle(text: &str) -> Result<Option<Duration>, String> {
    if matches!(text, "off" | "none" | "0") {
        return Ok(None);
    }
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration ({e}); try 90m, 2h or off"))?;
    if d < Duration::from_secs(60) || d > Duration::from_secs(7 * 24 * 3600) {
        return Err(format!(
            "`{text}`: EMR accepts an idle timeout from 1 minute to 7 days"
        ));
    }
    Ok(Some(d))
}

pub async fn idle_timeout(
    ctx: &Context,
    args: &super::args::IdleTimeoutArgs,
) -> anyhow::Result<ExitCode> {
    let idle = parse_idle(&args.idle).map_err(anyhow::Error::msg)?;
    let (inv, _) = ctx.inventory(false).await;
    let Target::Emr { region, id } = resolve(&inv, &args.target)? else {
        anyhow::bail!(
            "`{}` is not an EMR cluster: the idle timeout is an EMR setting",
            args.target
        );
    };
    let actions = Actions::new(
        ctx.session.clone(),
        Gate {
            read_only: ctx.read_only,
            dry_run: false,
        },
    );
    actions
        .set_idle_timeout(&region, &id, idle)
        .await
        .map_err(|e| anyhow::anyhow!("{}", e.message))?;
    match idle {
        Some(d) => println!(
            "  ✓ {id} terminates itself after {} idle",
            humantime::format_duration(d)
        ),
        None => println!("  ✓ {id} no longer terminates itself when idle"),
    }
    Ok(ExitCode::SUCCESS)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn idle_timeouts_parse_within_emr_limits() {
        assert_eq!(parse_idle("off"), Ok(None));
        assert_eq!(parse_idle("90m"), Ok(Some(Duration::from_secs(5400))));
        assert_eq!(parse_idle("2h"), Ok(Some(Duration::from_secs(7200))));
        assert!(
            parse_idle("30s")
                .expect_err("too short")
                .contains("1 minute to 7 days")
        );
        assert!(
            parse_idle("8days")
                .expect_err("too long")
                .contains("1 minute to 7 days")
        );
        assert!(
            parse_idle("soon")
                .expect_err("nonsense")
                .contains("is not a duration")
        );
    }
}
