//! Carrying out a lifecycle plan: phase by phase, every node on its own (so
//! one failing node never blocks the others), waiting where the plan says,
//! reporting progress as it goes.

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use futures::future::join_all;
use serde::Serialize;

use crate::cloud::CloudError;
use crate::cloud::actions::{Actions, Done};
use crate::cost::Did;
use crate::lifecycle::plan::{GroupResize, Phase};
use crate::lifecycle::{Ec2Op, NodeAction, PausedCounts, Plan, Verb, Work};
use crate::model::InstanceState;
use crate::store::paused as state;

/// How to carry out a plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ExecOptions {
    /// Wait for the last phase too (the CLI's --wait); earlier phases that
    /// the plan orders always wait.
    pub wait: bool,
    /// How long waiting may take in all.
    pub timeout: Duration,
    /// Time between two state polls.
    pub poll: Duration,
}

/// What happened to one node or one step.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StepResult {
    /// Instance id, or instance group / cluster id for EMR work.
    pub id: String,
    pub name: String,
    /// What was done: start, stop, hibernate, resize, terminate, …
    pub action: String,
    pub ok: bool,
    /// What happened, in words (the error when `ok` is false).
    pub detail: String,
    /// The state reached, when it was waited for.
    pub state: Option<InstanceState>,
}

impl StepResult {
    fn failed(id: &str, name: &str, action: &str, detail: String) -> Self {
        Self {
            id: id.to_string(),
            name: name.to_string(),
            action: action.to_string(),
            ok: false,
            detail,
            state: None,
        }
    }
}

/// Progress, as it happens (the TUI shows it on the rows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Progress {
    /// A call was made (or failed) for this node.
    Step(StepResult),
    /// Waiting for these instances to reach `state`.
    Waiting {
        ids: Vec<String>,
        state: InstanceState,
    },
    /// While waiting, a node was seen in a new state (pending, stopping, …).
    Seen {
        id: String,
        name: String,
        state: InstanceState,
    },
}

/// The outcome of a plan.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Report {
    pub verb: Verb,
    pub target: String,
    pub dry_run: bool,
    pub steps: Vec<StepResult>,
    /// Nodes that did not reach their target state in time: (id, name, state seen).
    pub late: Vec<(String, String, Option<InstanceState>)>,
    /// Things that were already as wanted.
    pub already: Vec<String>,
    /// Phases not run because an earlier one failed (e.g. workers when the master did not start).
    pub skipped: Vec<String>,
    /// The ids of the nodes `skipped` names.
    #[serde(skip)]
    pub skipped_ids: Vec<String>,
    /// Files with the output of commands run on the way (post-start).
    pub logs: Vec<std::path::PathBuf>,
}

impl Report {
    pub fn ok(&self) -> bool {
        self.steps.iter().all(|s| s.ok) && self.late.is_empty() && self.skipped.is_empty()
    }
}

fn node_result(a: &NodeAction, outcome: Result<Done, CloudError>) -> StepResult {
    let op = match a.op {
        Ec2Op::Start => "start",
        Ec2Op::Stop => "stop",
        Ec2Op::Hibernate => "hibernate",
        Ec2Op::Reboot => "reboot",
        Ec2Op::Terminate => "terminate",
    };
    let (ok, detail) = match outcome {
        Ok(Done::Sent) => (true, a.op.progressive().to_string()),
        Ok(Done::WouldSucceed) => (true, "would succeed (dry run)".to_string()),
        Ok(Done::NotSent) => (true, "not sent (dry run)".to_string()),
        Err(e) => (false, e.message),
    };
    StepResult {
        id: a.id.clone(),
        name: a.name.clone(),
        action: op.to_string(),
        ok,
        detail,
        state: None,
    }
}

/// A change skiff made, for the cost ledger: what, and when.
type Change = (String, Did, DateTime<Utc>);

/// What a sent call tells the ledger: a stop or terminate counts from when
/// it was sent, a start from when AWS said yes (never a second too many).
fn change(key: &str, what: Did, sent: DateTime<Utc>, answered: DateTime<Utc>) -> Change {
    let at = match what {
        Did::Count(n) if n > 0 => answered,
        _ => sent,
    };
    (key.to_string(), what, at)
}

async fn run_node(actions: &Actions, a: &NodeAction) -> (StepResult, Option<Change>) {
    let sent = crate::clock::now();
    let outcome = match a.op {
        Ec2Op::Start => actions.start_instance(&a.region, &a.id).await,
        Ec2Op::Stop => actions.stop_instance(&a.region, &a.id, false).await,
        Ec2Op::Hibernate => actions.stop_instance(&a.region, &a.id, true).await,
        Ec2Op::Reboot => actions.reboot_instance(&a.region, &a.id).await,
        Ec2Op::Terminate => actions.terminate_instance(&a.region, &a.id).await,
    };
    // No answer came (the connection broke after the call went out): what
    // AWS now says of the instance decides, not a blind second call.
    let mut answer_lost = None;
    let outcome = match outcome {
        Err(e) if e.code.is_none() && !actions.gate().dry_run() => {
            match actions
                .instance_states(&a.region, std::slice::from_ref(&a.id))
                .await
            {
                Ok(states) if states.get(&a.id).is_some_and(|s| a.op.underway(*s)) => {
                    answer_lost = states.get(&a.id).copied();
                    Ok(Done::Sent)
                }
                _ => Err(e),
            }
        }
        other => other,
    };
    let what = match a.op {
        Ec2Op::Start => Some(Did::Count(1)),
        Ec2Op::Stop | Ec2Op::Hibernate => Some(Did::Count(0)),
        Ec2Op::Terminate => Some(Did::Terminated),
        Ec2Op::Reboot => None,
    };
    let made = match (&outcome, what) {
        (Ok(Done::Sent), Some(what)) => Some(change(&a.id, what, sent, crate::clock::now())),
        _ => None,
    };
    let mut result = node_result(a, outcome);
    if let Some(state) = answer_lost {
        result.detail = format!(
            "{} (AWS's answer was lost; the instance is {})",
            result.detail,
            state.as_str()
        );
    }
    (result, made)
}

/// Tells the cost ledger in `state_dir` what was done (a ledger that cannot
/// be written is logged: the action itself succeeded).
fn record(state_dir: &Path, changes: &[Change]) {
    if changes.is_empty() {
        return;
    }
    let written = crate::cost::Ledger::open(state_dir).and_then(|(mut l, _)| l.did(changes));
    if let Err(e) = written {
        tracing::warn!(
            "cannot record in the cost ledger in {}: {e}",
            state_dir.display()
        );
    }
}

/// Polls until every node reached its op's target state, or the deadline.
/// Returns the nodes still late, with the state last seen.
async fn wait_for(
    actions: &Actions,
    nodes: &[&NodeAction],
    deadline: Instant,
    poll: Duration,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Vec<(String, String, Option<InstanceState>)> {
    let mut pending: Vec<&NodeAction> = nodes.to_vec();
    let mut seen: std::collections::HashMap<String, InstanceState> = Default::default();
    if let Some(first) = pending.first() {
        progress(Progress::Waiting {
            ids: pending.iter().map(|a| a.id.clone()).collect(),
            state: first.op.target_state(),
        });
    }
    loop {
        let mut regions: Vec<&str> = pending.iter().map(|a| a.region.as_str()).collect();
        regions.sort_unstable();
        regions.dedup();
        for region in regions {
            let ids: Vec<String> = pending
                .iter()
                .filter(|a| a.region == region)
                .map(|a| a.id.clone())
                .collect();
            // A failed poll is not fatal: the next one may work.
            if let Ok(states) = actions.instance_states(region, &ids).await {
                for (id, state) in states {
                    if seen.insert(id.clone(), state) != Some(state) {
                        let name = pending
                            .iter()
                            .find(|a| a.id == id)
                            .map_or_else(String::new, |a| a.name.clone());
                        progress(Progress::Seen { id, name, state });
                    }
                }
            }
        }
        pending.retain(|a| seen.get(&a.id) != Some(&a.op.target_state()));
        if pending.is_empty() || Instant::now() >= deadline {
            return pending
                .iter()
                .map(|a| (a.id.clone(), a.name.clone(), seen.get(&a.id).copied()))
                .collect();
        }
        tokio::time::sleep(poll.min(deadline.saturating_duration_since(Instant::now()))).await;
    }
}

/// Carries out `plan`. EMR pause counts are saved in `state_dir` before any
/// group is resized, and forgotten after a complete resume.
pub async fn execute(
    actions: &Actions,
    plan: &Plan,
    opts: &ExecOptions,
    state_dir: &Path,
    progress: &(dyn Fn(Progress) + Send + Sync),
) -> Report {
    let dry_run = actions.gate().dry_run();
    let mut report = Report {
        verb: plan.verb,
        target: plan.target.clone(),
        dry_run,
        steps: Vec::new(),
        late: Vec::new(),
        already: plan.already.clone(),
        skipped: Vec::new(),
        skipped_ids: Vec::new(),
        logs: Vec::new(),
    };
    let run = Run {
        actions,
        opts,
        state_dir,
        progress,
        deadline: Instant::now() + opts.timeout,
        dry_run,
    };
    match &plan.work {
        Work::Ec2 { phases } => run.phases(plan.verb, phases, &mut report).await,
        Work::EmrResize {
            cluster_id,
            region,
            resizes,
            remember,
            forget,
        } => {
            if let Some(counts) = remember.as_ref()
                && let Some(failed) = run.save_counts(counts, cluster_id, &plan.target)
            {
                report.steps.push(failed);
                return report;
            }
            for r in resizes {
                let step = run.resize(region, cluster_id, r).await;
                progress(Progress::Step(step.clone()));
                report.steps.push(step);
            }
            if *forget
                && report.ok()
                && let Some(failed) = run.forget_counts(cluster_id, &plan.target)
            {
                report.steps.push(failed);
            }
        }
        Work::EmrTerminate { cluster_id, region } => {
            if plan.already.is_empty() {
                let step = run.terminate_cluster(region, cluster_id).await;
                progress(Progress::Step(step.clone()));
                report.steps.push(step);
            }
        }
    }
    report
}

/// What carrying out one plan needs throughout.
struct Run<'a> {
    actions: &'a Actions,
    opts: &'a ExecOptions,
    state_dir: &'a Path,
    progress: &'a (dyn Fn(Progress) + Send + Sync),
    /// When waiting stops, for all phases together.
    deadline: Instant,
    dry_run: bool,
}

impl Run<'_> {
    /// EC2 work, phase after phase; a phase the plan orders waited for is
    /// waited for before the next begins.
    async fn phases(&self, verb: Verb, phases: &[Phase], report: &mut Report) {
        let active: Vec<&Phase> = phases.iter().filter(|p| !p.actions.is_empty()).collect();
        for (n, phase) in active.iter().enumerate() {
            let results = self.phase(phase).await;
            let succeeded: Vec<&NodeAction> = phase
                .actions
                .iter()
                .zip(&results)
                .filter(|(_, r)| r.ok)
                .map(|(a, _)| a)
                .collect();
            let failed = results.iter().any(|r| !r.ok);
            report.steps.extend(results);
            let last = n + 1 == active.len();
            let must_wait = (phase.wait_before_next && !last) || (last && self.opts.wait);
            if must_wait && !self.dry_run && !succeeded.is_empty() {
                self.wait(&succeeded, report).await;
            }
            // Workers need a running master: a start stops at a failed
            // master. A stop goes on, so one stuck node never keeps the
            // rest running (and paying).
            let starting = matches!(verb, Verb::Start | Verb::Resume);
            if starting && !last && (failed || !report.late.is_empty()) {
                skip(report, &active[n + 1..], phase.label);
                break;
            }
        }
    }

    /// Every node of `phase` at once, each on its own; what was done goes to
    /// the cost ledger, and each result to `progress`.
    async fn phase(&self, phase: &Phase) -> Vec<StepResult> {
        let (results, changes): (Vec<_>, Vec<_>) =
            join_all(phase.actions.iter().map(|a| run_node(self.actions, a)))
                .await
                .into_iter()
                .unzip();
        record(
            self.state_dir,
            &changes.into_iter().flatten().collect::<Vec<_>>(),
        );
        for r in &results {
            (self.progress)(Progress::Step(r.clone()));
        }
        results
    }

    /// Waits for the nodes that `succeeded` to reach their target states:
    /// the steps of those that did say so, the others are late.
    async fn wait(&self, succeeded: &[&NodeAction], report: &mut Report) {
        let late = wait_for(
            self.actions,
            succeeded,
            self.deadline,
            self.opts.poll,
            self.progress,
        )
        .await;
        for step in report
            .steps
            .iter_mut()
            .filter(|s| succeeded.iter().any(|a| a.id == s.id))
        {
            if !late.iter().any(|(id, _, _)| id == &step.id) {
                step.state = succeeded
                    .iter()
                    .find(|a| a.id == step.id)
                    .map(|a| a.op.target_state());
            }
        }
        report.late.extend(late);
    }

    /// Saves the counts a pause will restore; the failure to, if any (then
    /// nothing may be resized: a resume would not know the counts).
    fn save_counts(
        &self,
        counts: &PausedCounts,
        cluster_id: &str,
        target: &str,
    ) -> Option<StepResult> {
        if self.dry_run || self.actions.gate().read_only() {
            return None;
        }
        let e = state::save_paused(self.state_dir, counts).err()?;
        let why = format!(
            "cannot save the current counts in {}, so nothing was resized: {e}",
            self.state_dir.display()
        );
        Some(StepResult::failed(cluster_id, target, "save counts", why))
    }

    /// Forgets the counts a complete resume restored; the failure to, if any.
    fn forget_counts(&self, cluster_id: &str, target: &str) -> Option<StepResult> {
        if self.dry_run {
            return None;
        }
        let e = state::forget_paused(self.state_dir, cluster_id).err()?;
        let why = format!("resumed, but the saved counts could not be removed: {e}");
        Some(StepResult::failed(cluster_id, target, "forget counts", why))
    }

    /// Resizes one EMR instance group, telling the cost ledger.
    async fn resize(&self, region: &str, cluster_id: &str, r: &GroupResize) -> StepResult {
        let sent = crate::clock::now();
        let outcome = self
            .actions
            .resize_group(region, cluster_id, &r.group_id, r.to)
            .await;
        if let Ok(Done::Sent) = outcome {
            let what = Did::Count(u32::try_from(r.to).unwrap_or(0));
            let key = format!("{cluster_id}/{}", r.group_id);
            record(
                self.state_dir,
                &[change(&key, what, sent, crate::clock::now())],
            );
        }
        let (ok, detail) = match outcome {
            Ok(Done::Sent) => (true, format!("{} → {} instances", r.from, r.to)),
            Ok(_) => (
                true,
                format!("{} → {} instances (dry run: not sent)", r.from, r.to),
            ),
            Err(e) => (false, e.message),
        };
        StepResult {
            id: r.group_id.clone(),
            name: r.role.clone(),
            action: "resize".into(),
            ok,
            detail,
            state: None,
        }
    }

    /// Terminates an EMR cluster, telling the cost ledger.
    async fn terminate_cluster(&self, region: &str, cluster_id: &str) -> StepResult {
        let sent = crate::clock::now();
        let outcome = self.actions.terminate_emr(region, cluster_id).await;
        if let Ok(Done::Sent) = outcome {
            // Every instance group of the cluster stops billing.
            record(
                self.state_dir,
                &[change(cluster_id, Did::Count(0), sent, crate::clock::now())],
            );
        }
        let (ok, detail) = match outcome {
            Ok(Done::Sent) => (true, "terminating".to_string()),
            Ok(_) => (true, "not sent (dry run)".to_string()),
            Err(e) => (false, e.message),
        };
        StepResult {
            id: cluster_id.to_string(),
            name: "EMR cluster".into(),
            action: "terminate".into(),
            ok,
            detail,
            state: None,
        }
    }
}

/// Reports the nodes of the phases `later` as not started: the phase
/// `label` before them did not start.
fn skip(report: &mut Report, later: &[&Phase], label: &str) {
    for phase in later {
        for a in &phase.actions {
            report.skipped.push(format!(
                "{} ({}) was not started: the {label} did not start",
                a.name, a.id
            ));
            report.skipped_ids.push(a.id.clone());
        }
    }
}
