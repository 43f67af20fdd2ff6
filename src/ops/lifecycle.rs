//! A lifecycle verb end to end, the same for both faces: plan it (refusals
//! in words, said once for the whole target), check what AWS must confirm
//! first (termination protection), execute it node by node, wait, and run a
//! Spark cluster's post-start commands.

use std::time::Duration;

use super::connect::Context;
use super::execute::{ExecOptions, Progress, Report, StepResult, execute};
use crate::cloud::CloudError;
use crate::cloud::actions::Done;
use crate::lifecycle::relaunch::RelaunchPlan;
use crate::lifecycle::{Ec2Op, Plan, PlanOptions, Target, Verb, Work, confirmation_matches, plan};
use crate::model::Inventory;
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

/// Why a verb is not done (the plan's reasons, or what stopped planning).
pub use crate::lifecycle::Refusal as Refused;

fn refused(message: impl Into<String>) -> Refused {
    Refused::said(message)
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
    let plan = plan(inv, target, verb, &opts, saved.as_ref())?;
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
    let plan = plan_for(ctx, inv, target, verb).map_err(|r| r.to_string())?;
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
            dry_run: ctx.gate.dry_run(),
            steps: vec![refused],
            late: Vec::new(),
            already: plan.already.clone(),
            skipped: Vec::new(),
            skipped_ids: Vec::new(),
            logs: Vec::new(),
        };
    }
    let mut report = execute(&actions, plan, opts, &ctx.dirs.state, progress).await;
    if plan.verb == Verb::Terminate && report.ok() && !ctx.gate.dry_run() {
        let step = forget_guards(ctx, plan).await;
        if let Some(step) = step {
            progress(Progress::Step(step.clone()));
            report.steps.push(step);
        }
    }
    let starting = matches!(plan.verb, Verb::Start | Verb::Resume);
    if matches!(target, Target::Spark { .. })
        && starting
        && !ctx.config.spark.post_start_commands.is_empty()
        && report.ok()
        && !ctx.gate.dry_run()
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

/// After a terminate: skiff's guards of the terminated nodes go with them
/// (a step saying which; one that cannot be removed is said, not fatal).
async fn forget_guards(ctx: &Context, plan: &Plan) -> Option<StepResult> {
    let gone: Vec<String> = plan
        .actions()
        .into_iter()
        .filter(|a| a.op == Ec2Op::Terminate)
        .map(|a| a.id.clone())
        .collect();
    let first = gone.first()?.clone();
    let detail = match super::guard::forget(ctx, &gone).await {
        Ok(names) if names.is_empty() => return None,
        Ok(names) => format!("removed skiff's guards of it: {}", names.join(", ")),
        Err(e) => format!(
            "its guards were not removed ({e}): skiff guard off {} removes them",
            plan.target
        ),
    };
    Some(StepResult {
        id: first,
        name: plan.target.clone(),
        action: "guards".into(),
        ok: true,
        detail,
        state: None,
    })
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
    let settings = super::tunnel::TunnelSettings::from_config(&ctx.config, &ctx.dirs, false)
        .with_instance_connect(ctx.actions());
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

/// What a plan changes per hour: what it adds (start, resume: compute and
/// EMR fee of the nodes it starts, or of the EMR nodes it brings back) or
/// saves (stop, pause: what the nodes it stops run up; terminate: all they
/// cost; an EMR pause: the nodes it removes).
pub fn hourly_change(
    inv: &Inventory,
    plans: &[Plan],
    prices: &crate::cost::Prices,
    costs: Option<&crate::cost::CostReport>,
) -> crate::cost::Amount {
    use crate::cost::Amount;
    let mut total = Amount::zero();
    let unknown = |what: &str| Err(format!("no cost known for {what}"));
    for p in plans {
        match &p.work {
            Work::EmrResize {
                resizes,
                cluster_id,
                ..
            } => {
                let cluster = inv.emr_cluster(cluster_id);
                for r in resizes {
                    let n = i64::from((r.from - r.to).abs());
                    let key = format!("{cluster_id}/{}", r.group_id);
                    let group = cluster.and_then(|c| {
                        let g = c.instance_groups.iter().find(|g| g.id == r.group_id)?;
                        Some((c, g))
                    });
                    // The rate the ledger saw (spot included), else the table's.
                    let seen = costs
                        .and_then(|c| c.item(&key))
                        .map(|i| i.unit_hourly.clone())
                        .filter(|u| u.is_complete());
                    match (seen, group) {
                        (Some(unit), _) => total.merge(&unit.times(n)),
                        (None, Some((c, g))) => {
                            let (unit, _) = crate::cost::compute::group_unit(
                                c,
                                &g.instance_type,
                                &g.market,
                                prices,
                            );
                            total.merge(&unit.times(n));
                        }
                        (None, None) => total.add(unknown(&r.group_id)),
                    }
                }
            }
            Work::EmrTerminate { cluster_id, .. } => match costs {
                Some(c) if c.emr_items(cluster_id).next().is_some() => {
                    for item in c.emr_items(cluster_id) {
                        total.merge(&item.hourly);
                    }
                }
                _ => total.add(unknown(cluster_id)),
            },
            Work::Ec2 { .. } => {
                for a in p.actions() {
                    let starting = matches!(a.op, Ec2Op::Start);
                    match (
                        starting,
                        inv.instance(&a.id),
                        costs.and_then(|c| c.item(&a.id)),
                    ) {
                        (true, Some(i), _) => {
                            let r = crate::cost::compute::rates(i, prices);
                            total.add(r.compute);
                            total.add(r.emr_fee);
                        }
                        (false, _, Some(c)) => total.merge(if p.verb == Verb::Terminate {
                            &c.hourly
                        } else {
                            &c.stop_saves_hourly
                        }),
                        _ => total.add(unknown(&a.id)),
                    }
                }
            }
        }
    }
    total
}

/// What relaunching a terminated EMR cluster would create, read from AWS
/// and priced.
pub async fn relaunch_plan(
    ctx: &Context,
    region: &str,
    id: &str,
) -> Result<RelaunchPlan, crate::cloud::CloudError> {
    let blueprint = crate::cloud::emr::blueprint(&ctx.session, region, id).await?;
    let prices = crate::cost::Prices::load(&ctx.dirs.cache);
    Ok(RelaunchPlan::new(blueprint, &prices))
}

/// Creates the cluster again (None: dry run, nothing created).
pub async fn relaunch(
    ctx: &Context,
    plan: &RelaunchPlan,
) -> Result<Option<String>, crate::cloud::CloudError> {
    ctx.actions().relaunch_emr(&plan.blueprint).await
}

/// The line a confirmation (or the CLI's summary) says about the money.
pub fn hourly_line(verb: Verb, plans: &[Plan], change: &crate::cost::Amount) -> String {
    let amount = crate::cost::show(change);
    let emr = plans
        .iter()
        .any(|p| matches!(p.work, Work::EmrResize { .. }));
    match verb {
        Verb::Start | Verb::Resume if emr => format!(
            "Adds {amount}/hour once running (instances and EMR fees of the nodes brought back)."
        ),
        Verb::Start | Verb::Resume => {
            let started = plans
                .iter()
                .map(|p| match &p.work {
                    Work::Ec2 { phases } => phases.iter().map(|ph| ph.actions.len()).sum(),
                    _ => 0,
                })
                .sum::<usize>();
            let ipv4 = crate::cost::Prices::embedded().ipv4_hourly();
            let addresses = match started {
                0 | 1 => format!("a public IPv4 address adds {ipv4}/hour"),
                n => format!(
                    "public IPv4 addresses add up to {}/hour for {n} instances ({ipv4} each)",
                    ipv4.times(rust_decimal::Decimal::from(n))
                ),
            };
            format!(
                "Adds {amount}/hour once running (the instance rates; {addresses}; EBS is billed either way)."
            )
        }
        Verb::Reboot => "Costs the same per hour: a reboot keeps the instance running.".into(),
        Verb::Terminate => format!(
            "Saves {amount}/hour. Volumes without DeleteOnTermination are kept (and billed)."
        ),
        _ if emr => {
            format!("Saves {amount}/hour (instances and EMR fees of the removed nodes).")
        }
        _ => format!(
            "Saves {amount}/hour. EBS volumes (and Elastic IPs) keep costing while stopped."
        ),
    }
}

/// [`hourly_change`] with the prices and costs as they are now (the price
/// table and cache, the cost ledger).
pub fn hourly_change_now(ctx: &Context, inv: &Inventory, plans: &[Plan]) -> crate::cost::Amount {
    let prices = crate::cost::Prices::load(&ctx.dirs.cache);
    let (ledger, _) = super::costs::open_ledger(&ctx.dirs);
    let costs = crate::cost::report(ledger.book(), None, crate::clock::now());
    hourly_change(inv, plans, &prices, Some(&costs))
}

/// The last line of a lifecycle command: what reached which state, how
/// long it took, and what it saves or adds per hour.
pub fn summary(
    plan: &Plan,
    report: &Report,
    took: Duration,
    change: &crate::cost::Amount,
) -> String {
    let secs = took.as_secs();
    let money = crate::cost::show(change);
    let per_hour = match plan.verb {
        Verb::Start | Verb::Resume => format!("adds {money}/hour"),
        Verb::Reboot => "costs the same per hour".to_string(),
        _ => format!("saves {money}/hour"),
    };
    let capital = |s: &str| s[..1].to_uppercase() + &s[1..];
    let nodes = |n: usize| format!("{n} node{}", if n == 1 { "" } else { "s" });
    let work: Vec<&StepResult> = report
        .steps
        .iter()
        .filter(|s| !s.action.starts_with("post-start"))
        .collect();
    let failed: Vec<&&StepResult> = work.iter().filter(|s| !s.ok).collect();
    if plan.is_noop() {
        return format!("{}: nothing to do", plan.target);
    }
    if !failed.is_empty() || !report.late.is_empty() || !report.skipped.is_empty() {
        let mut parts = Vec::new();
        let done = work.len() - failed.len() - report.late.len().min(work.len() - failed.len());
        parts.push(format!("{done} of {} done", nodes(work.len())));
        if !failed.is_empty() {
            let names: Vec<&str> = failed.iter().map(|s| s.name.as_str()).collect();
            parts.push(format!("failed: {}", names.join(", ")));
        }
        if !report.late.is_empty() {
            parts.push(format!("{} late", nodes(report.late.len())));
        }
        if !report.skipped.is_empty() {
            parts.push(format!("{} not tried", report.skipped.len()));
        }
        return format!(
            "{} {}: {} after {secs} s; running it again finishes the job",
            capital(plan.verb.as_str()),
            plan.target,
            parts.join(", ")
        );
    }
    let reached: Vec<&&StepResult> = work.iter().filter(|s| s.state.is_some()).collect();
    match (&plan.work, reached.first().and_then(|s| s.state)) {
        (Work::Ec2 { .. }, Some(state)) => format!(
            "{} {}: {} of {} {state} in {secs} s; {per_hour}",
            capital(plan.verb.participle()),
            plan.target,
            reached.len(),
            nodes(work.len()),
        ),
        (Work::Ec2 { .. }, None) => format!(
            "{} {}: {} {} (not waited for: --wait waits); {per_hour} once done",
            capital(plan.verb.as_str()),
            plan.target,
            nodes(work.len()),
            plan.actions()
                .first()
                .map_or("changing", |a| a.op.progressive())
        ),
        _ => format!(
            "{} {}: {} asked of EMR in {secs} s; {per_hour} once EMR has done it",
            capital(plan.verb.participle()),
            plan.target,
            work.len()
        ),
    }
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
    fn starting_several_instances_counts_an_address_for_each() {
        let inv = crate::sandbox::world::inventory();
        let opts = crate::lifecycle::PlanOptions {
            emr_pause_core_count: 1,
        };
        let legacy = inv
            .spark_clusters
            .iter()
            .find(|c| c.name == "legacy")
            .expect("legacy");
        let target = Target::Spark {
            region: legacy.region.clone(),
            name: legacy.name.clone(),
        };
        let plan = crate::lifecycle::plan(&inv, &target, Verb::Start, &opts, None).expect("plan");
        let n = legacy.node_count();
        assert!(n > 1);
        let line = hourly_line(Verb::Start, &[plan], &crate::cost::Amount::zero());
        assert!(
            line.contains(&format!("for {n} instances ($0.0050 each)")),
            "{line}"
        );
    }

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
