//! A lifecycle verb end to end, the same for both faces: plan it (refusals
//! in words, said once for the whole target), check what AWS must confirm
//! first (termination protection), execute it node by node, wait, and run a
//! Spark cluster's post-start commands.

use std::time::Duration;

use super::connect::Context;
use super::execute::{ExecOptions, Progress, Report, StepResult, execute};
use crate::cloud::CloudError;
use crate::cloud::actions::Done;
use crate::lifecycle::{Ec2Op, Plan, PlanOptions, Target, Verb, Work, confirmation_matches, plan};
use crate::model::{EmrCluster, Inventory};
use crate::store::paused;

/// How to carry out a verb, from the config and the command's flags.
pub fn exec_options(ctx: &Context, wait: bool, timeout_secs: Option<u64>) -> ExecOptions {
    let l = &ctx.config.lifecycle;
    ExecOptions {
        wait,
        timeout: Duration::from_secs(timeout_secs.unwrap_or(l.wait_timeout_secs)),
        poll: Duration::from_secs(l.poll_interval_secs.max(1)),
    }
}

/// Why a verb is not done, in words; with the verb that would do what the
/// user probably wants, where there is one (pause → stop).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refused {
    pub message: String,
    pub suggestion: Option<Verb>,
}

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

fn refused(message: impl Into<String>) -> Refused {
    Refused {
        message: message.into(),
        suggestion: None,
    }
}

/// Plans `verb` on `target`, or says why not: the plan's own refusals, and
/// the gate's (read-only), once for the whole target.
pub fn plan_for(
    ctx: &Context,
    inv: &Inventory,
    target: &Target,
    verb: Verb,
) -> Result<Plan, Refused> {
    let saved = match target {
        Target::Emr { id, .. } => paused::load_paused(&ctx.dirs.state, id).map_err(|e| {
            refused(format!(
                "cannot read the saved counts of {id} in {}: {e}",
                ctx.dirs.state.display()
            ))
        })?,
        _ => None,
    };
    let opts = PlanOptions {
        emr_pause_core_count: ctx.config.emr.pause_core_count,
    };
    let plan = plan(inv, target, verb, &opts, saved.as_ref()).map_err(|r| Refused {
        message: r.to_string(),
        suggestion: r.suggestion,
    })?;
    if !plan.is_noop() {
        let (service, region) = match &plan.work {
            Work::Ec2 { phases } => (
                "ec2",
                phases
                    .iter()
                    .flat_map(|p| &p.actions)
                    .next()
                    .map_or(String::new(), |a| a.region.clone()),
            ),
            Work::EmrResize { region, .. } | Work::EmrTerminate { region, .. } => {
                ("emr", region.clone())
            }
        };
        if let Some(e) = ctx
            .gate
            .refusal(service, &region, &format!("{verb} {}", plan.target))
        {
            return Err(refused(e.message));
        }
    }
    Ok(plan)
}

/// A terminate goes ahead only when the typed confirmation names the target.
pub fn check_confirmation(
    inv: &Inventory,
    target: &Target,
    plan: &Plan,
    typed: &str,
) -> Result<(), String> {
    if plan.verb != Verb::Terminate || confirmation_matches(inv, target, typed) {
        return Ok(());
    }
    Err(format!(
        "`{typed}` is not the name or id of {}; nothing was terminated",
        plan.target
    ))
}

/// [`plan_for`] and, for a terminate, [`check_confirmation`] of `confirm`.
pub fn prepare(
    ctx: &Context,
    inv: &Inventory,
    target: &Target,
    verb: Verb,
    confirm: Option<&str>,
) -> Result<Plan, String> {
    let plan = plan_for(ctx, inv, target, verb).map_err(|r| r.message)?;
    check_confirmation(inv, target, &plan, confirm.unwrap_or_default())?;
    Ok(plan)
}

/// Carries out a prepared plan: protection checked first (a terminate
/// refused for one protected node terminates none), then the calls, the
/// waits, and a started Spark cluster's post-start commands.
pub async fn run(
    ctx: &Context,
    inv: &Inventory,
    target: &Target,
    plan: &Plan,
    opts: &ExecOptions,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Report {
    let actions = ctx.actions();
    if let Some(refused) = protected_nodes(ctx, target, plan).await {
        progress(Progress::Step(refused.clone()));
        return Report {
            verb: plan.verb,
            target: plan.target.clone(),
            dry_run: ctx.gate.dry_run,
            steps: vec![refused],
            late: Vec::new(),
            already: plan.already.clone(),
            skipped: Vec::new(),
            logs: Vec::new(),
        };
    }
    let mut report = execute(&actions, plan, opts, &ctx.dirs.state, progress).await;
    let starting = matches!(plan.verb, Verb::Start | Verb::Resume);
    if matches!(target, Target::Spark { .. })
        && starting
        && !ctx.config.spark.post_start_commands.is_empty()
        && report.ok()
        && !ctx.gate.dry_run
    {
        let (steps, log) = post_start_steps(ctx, inv, target, &target.to_string()).await;
        for s in &steps {
            progress(Progress::Step(s.clone()));
        }
        if let Some(log) = log {
            report.logs.push(log);
        }
        report.steps.extend(steps);
    }
    report
}

/// For a terminate of EC2 nodes: the one refusal naming every node with
/// termination protection on (None when none has it, or it cannot be read:
/// then each call says so).
async fn protected_nodes(ctx: &Context, target: &Target, plan: &Plan) -> Option<StepResult> {
    let nodes: Vec<_> = plan
        .actions()
        .into_iter()
        .filter(|a| a.op == Ec2Op::Terminate)
        .collect();
    if nodes.is_empty() {
        return None;
    }
    let actions = ctx.actions();
    let mut protected = Vec::new();
    for a in &nodes {
        if actions.instance_protected(&a.region, &a.id).await.ok()? {
            protected.push(format!("{} ({})", a.name, a.id));
        }
    }
    if protected.is_empty() {
        return None;
    }
    let first = nodes[0];
    Some(StepResult {
        id: first.id.clone(),
        name: plan.target.clone(),
        action: "terminate".into(),
        ok: false,
        detail: format!(
            "nothing was terminated: {} {} termination protection on; turn it off first (`skiff protect {} off`)",
            protected.join(", "),
            if protected.len() == 1 { "has" } else { "have" },
            target
        ),
        state: None,
    })
}

/// Runs the configured post-start commands on a Spark master; each becomes
/// a step (the output is also kept in the state directory, at the returned
/// path).
pub async fn post_start_steps(
    ctx: &Context,
    inv: &Inventory,
    target: &Target,
    label: &str,
) -> (Vec<StepResult>, Option<std::path::PathBuf>) {
    let step = |ok: bool, action: String, detail: String| StepResult {
        id: label.to_string(),
        name: "master".into(),
        action,
        ok,
        detail,
        state: None,
    };
    let tt = match super::tunnel::target::tunnel_target(inv, target, label, &ctx.config) {
        Ok((tt, _)) => tt,
        Err(e) => return (vec![step(false, "post-start".into(), e)], None),
    };
    let settings = super::tunnel::TunnelSettings::from_config(&ctx.config, &ctx.dirs, false);
    let wait = Duration::from_secs(ctx.config.spark.post_start_wait_secs);
    let log_dir = ctx.dirs.state.join("post-start");
    match super::tunnel::remote::run_commands(
        &ctx.session,
        &tt,
        &settings,
        &ctx.config.spark.post_start_commands,
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

/// Turns termination protection on or off for an instance, every node of a
/// Spark cluster, or an EMR cluster: each id with what its call did.
pub async fn protect(
    ctx: &Context,
    inv: &Inventory,
    target: &Target,
    on: bool,
) -> Vec<(String, Result<Done, CloudError>)> {
    let actions = ctx.actions();
    let mut calls = Vec::new();
    match target {
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
                .spark_cluster(region, name)
                .map(|c| c.master.iter().chain(&c.workers).cloned().collect())
                .unwrap_or_default();
            for id in nodes {
                let r = actions.set_instance_protection(region, &id, on).await;
                calls.push((id, r));
            }
        }
        Target::Emr { region, id } => {
            calls.push((id.clone(), actions.set_emr_protection(region, id, on).await))
        }
    }
    calls
}

/// The EMR cluster `query` names for relaunch: by id, else by name, the
/// most recently created terminated one first. Refuses one that still runs.
pub fn relaunch_source<'a>(
    inv: &'a Inventory,
    query: &str,
    listed_days: u32,
) -> Result<&'a EmrCluster, String> {
    let source = match inv.emr_cluster(query) {
        Some(c) => c,
        None => {
            let mut named: Vec<&EmrCluster> = inv
                .emr_clusters
                .iter()
                .filter(|c| c.name == query)
                .collect();
            named.sort_by_key(|c| (c.state.is_active(), std::cmp::Reverse(c.created)));
            named.first().copied().ok_or_else(|| {
                format!(
                    "no EMR cluster is called `{query}` (terminated clusters are listed for inventory.emr_terminated_days = {listed_days} days)"
                )
            })?
        }
    };
    if source.state.is_active() {
        return Err(format!(
            "EMR cluster {} ({}) is {}: relaunch re-creates a terminated cluster; this one still runs",
            source.name,
            source.id,
            source.state.as_str()
        ));
    }
    Ok(source)
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
