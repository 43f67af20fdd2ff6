//! Lifecycle from the TUI: action keys on the selected or marked rows,
//! confirmation dialogs, and transitions shown on the rows while they run.
//! The work itself runs in a spawned task; progress comes back as messages.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::app::{App, Level, Msg, ViewKind};
use super::popups::Popup;
use super::popups::confirm::{ConfirmPopup, Pending};
use crate::config::Action;
use crate::lifecycle::{Target, Verb};
use crate::model::InstanceState;
use crate::ops::execute::{Progress, Report};
use crate::ops::lifecycle as ops;
use crate::render::RowKey;

/// A node on its way to a new state, as shown in its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// "stopping", "starting", … or the failure.
    pub label: String,
    pub target: Option<InstanceState>,
    pub since: Instant,
    pub failed: bool,
}

/// How long a failed transition stays visible on its row.
const FAILED_VISIBLE: Duration = Duration::from_secs(60);

fn verb_for(action: Action) -> Option<Verb> {
    Some(match action {
        Action::Start => Verb::Start,
        Action::Stop => Verb::Stop,
        Action::Pause => Verb::Pause,
        Action::Resume => Verb::Resume,
        Action::Reboot => Verb::Reboot,
        Action::Terminate => Verb::Terminate,
        _ => return None,
    })
}

impl App {
    /// Handles a lifecycle key (true if `action` was one).
    pub fn on_lifecycle_key(&mut self, action: Action) -> bool {
        if action == Action::Mark {
            self.toggle_mark();
            return true;
        }
        let Some(verb) = verb_for(action) else {
            return false;
        };
        if self.read_only {
            self.notify(Level::Warning, format!("read-only mode: {verb} is disabled (started with --read-only or read_only = true)"));
            return true;
        }
        if !matches!(
            self.view,
            ViewKind::Instances | ViewKind::Clusters | ViewKind::Costs
        ) {
            self.notify(
                Level::Warning,
                "only instances and clusters have a lifecycle: open the Instances or Clusters view",
            );
            return true;
        }
        let keys: Vec<RowKey> = self.table().chosen();
        let targets: Vec<Target> = keys.iter().filter_map(|k| k.target().cloned()).collect();
        if targets.is_empty() {
            self.notify(Level::Warning, "nothing selected");
            return true;
        }
        // Starting a terminated EMR cluster means creating it again.
        if matches!(verb, Verb::Start | Verb::Resume)
            && let [Target::Emr { region, id }] = targets.as_slice()
            && self
                .inventory
                .emr_clusters
                .iter()
                .any(|c| &c.id == id && !c.state.is_active())
        {
            self.prepare_relaunch(region.clone(), id.clone());
            return true;
        }
        if verb == Verb::Terminate && targets.len() > 1 {
            self.notify(
                Level::Warning,
                "terminate one thing at a time: unmark all but one (each needs its name typed)",
            );
            return true;
        }
        self.prepare(verb, targets);
        true
    }

    fn toggle_mark(&mut self) {
        if matches!(
            self.view,
            ViewKind::Buckets | ViewKind::Tunnels | ViewKind::Transfers | ViewKind::Leftovers
        ) {
            return;
        }
        self.pages.table_mut(self.view).toggle_mark();
        self.move_selection(1);
        self.touch();
    }

    /// Plans the verb on every target and asks, runs, or explains.
    pub fn prepare(&mut self, verb: Verb, targets: Vec<Target>) {
        let Some(ctx) = self.context() else {
            return self.notify(Level::Warning, "not connected yet");
        };
        let mut plans = Vec::new();
        let mut refusals = Vec::new();
        for target in &targets {
            match ops::plan_for(&ctx, &self.inventory, target, verb) {
                Ok(p) => plans.push(p),
                Err(r) => refusals.push(r),
            }
        }
        if let Some(r) = refusals.first() {
            // A pause that cannot be a pause: offer the stop it suggests.
            if refusals.len() == 1 && plans.is_empty() && r.suggestion == Some(Verb::Stop) {
                let reason = r
                    .message
                    .trim_end_matches(" (use `stop` instead)")
                    .to_string();
                self.prepare(Verb::Stop, targets);
                if let Some(Popup::Confirm(c)) = self.popups.last_mut() {
                    c.pending
                        .lines
                        .insert(0, format!("{reason} — stop instead?"));
                }
                return;
            }
            let more = if refusals.len() > 1 {
                format!(" (and {} more refused)", refusals.len() - 1)
            } else {
                String::new()
            };
            self.notify(Level::Warning, format!("{r}{more}"));
            return;
        }
        if plans.iter().all(crate::lifecycle::Plan::is_noop) {
            let notes: Vec<String> = plans.iter().flat_map(|p| p.already.clone()).collect();
            self.notify(Level::Info, format!("nothing to do: {}", notes.join("; ")));
            return;
        }
        let mut lines: Vec<String> = Vec::new();
        for p in &plans {
            lines.push(format!("{} {}", capitalised(verb), p.target));
            lines.extend(p.describe().into_iter().map(|l| format!("  {l}")));
        }
        let change = ops::hourly_change(&self.inventory, &plans, &self.prices, self.costs.as_ref());
        lines.push(String::new());
        lines.push(ops::hourly_line(verb, &plans, &change));
        // Every verb asks: start and resume too, saying what they add.
        self.open(Popup::Confirm(ConfirmPopup::new(Pending {
            verb,
            targets,
            plans,
            lines,
            relaunch: None,
            typed: String::new(),
        })));
    }

    /// The user said yes (or typed the name): run it.
    pub(super) fn confirmed(&mut self, pending: Pending) {
        if let Some(bp) = pending.relaunch {
            self.run_relaunch(*bp);
            return;
        }
        if pending.verb == Verb::Terminate {
            let checked = match (pending.targets.as_slice(), pending.plans.as_slice()) {
                ([target], [plan]) => {
                    ops::check_confirmation(&self.inventory, target, plan, &pending.typed)
                }
                _ => Err("terminate one thing at a time".to_string()),
            };
            if let Err(e) = checked {
                self.notify(Level::Warning, e);
                return;
            }
        }
        self.run_pending(pending);
    }

    fn run_pending(&mut self, pending: Pending) {
        let Some(ctx) = self.context() else {
            self.notify(Level::Warning, "not connected yet");
            return;
        };
        for view in [ViewKind::Instances, ViewKind::Clusters, ViewKind::Costs] {
            self.pages.table_mut(view).marked.clear();
        }
        let opts = ops::exec_options(&ctx, true, None);
        for (plan, target) in pending.plans.into_iter().zip(pending.targets) {
            // Show the transition at once, before the first answer.
            for a in plan.actions() {
                self.transitions.insert(
                    a.id.clone(),
                    Transition {
                        label: a.op.progressive().into(),
                        target: Some(a.op.target_state()),
                        since: Instant::now(),
                        failed: false,
                    },
                );
            }
            let (ctx, inv) = (ctx.clone(), self.inventory.clone());
            let Some(tx) = self.sender() else { return };
            tokio::spawn(async move {
                let progress_tx = tx.clone();
                let progress = move |p: Progress| {
                    let _ = progress_tx.send(Msg::LifecycleProgress(p));
                };
                let report = ops::run(&ctx, &inv, &target, &plan, &opts, &progress).await;
                let _ = tx.send(Msg::LifecycleDone(Arc::new(report)));
            });
        }
        self.touch();
        self.notify(
            Level::Info,
            format!("{}: started", capitalised(pending.verb)),
        );
    }

    /// Reads a terminated EMR cluster's configuration in the background; the
    /// answer (`Msg::RelaunchPlan`) opens the confirmation.
    fn prepare_relaunch(&mut self, region: String, id: String) {
        let Some(session) = self.session.clone() else {
            self.notify(Level::Warning, "not connected yet");
            return;
        };
        self.notify(
            Level::Info,
            format!("reading {id}'s configuration to relaunch it…"),
        );
        self.spawn(async move {
            Msg::RelaunchPlan(
                crate::cloud::emr::blueprint(&session, &region, &id)
                    .await
                    .map(Box::new)
                    .map_err(|e| format!("cannot relaunch {id}: {e}")),
            )
        });
    }

    /// The configuration arrived: ask, showing what will be created and
    /// what it will cost per hour.
    pub fn on_relaunch_plan(&mut self, result: Result<Box<crate::model::EmrBlueprint>, String>) {
        let bp = match result {
            Ok(bp) => bp,
            Err(e) => {
                self.notify(Level::Error, e);
                return;
            }
        };
        let mut lines = vec![
            format!(
                "Relaunch EMR cluster {} ({}) as a new cluster in {}",
                bp.name, bp.source_id, bp.region
            ),
            format!(
                "  release {}, applications {}",
                bp.release.as_deref().unwrap_or("?"),
                bp.applications.join(", ")
            ),
        ];
        let (each, hourly) = ops::relaunch_hourly(&bp, &self.prices);
        let mut groups: Vec<(&crate::model::EmrGroupSpec, &crate::cost::Amount)> =
            bp.groups.iter().zip(&each).collect();
        groups.sort_by_key(|(g, _)| match g.role.as_str() {
            "MASTER" => 0,
            "CORE" => 1,
            _ => 2,
        });
        for (g, rate) in groups {
            lines.push(format!(
                "  {} {} × {} ({}) {}/h each",
                g.role,
                g.count,
                g.instance_type,
                g.market.to_lowercase(),
                crate::cost::show(rate)
            ));
        }
        for b in &bp.bootstrap_actions {
            lines.push(format!("  bootstrap {}: {}", b.name, b.path));
        }
        lines.push(String::new());
        lines.push(format!(
            "Costs {}/h once running (instances + EMR fee, EBS not counted)",
            crate::cost::show(&hourly)
        ));
        self.open(Popup::Confirm(ConfirmPopup::new(Pending {
            verb: Verb::Start,
            targets: Vec::new(),
            plans: Vec::new(),
            lines,
            relaunch: Some(bp),
            typed: String::new(),
        })));
    }

    fn run_relaunch(&mut self, bp: crate::model::EmrBlueprint) {
        let Some(actions) = self.actions() else {
            self.notify(Level::Warning, "not connected yet");
            return;
        };
        self.notify(Level::Info, format!("relaunching {}…", bp.name));
        self.spawn(async move {
            Msg::Outcome(match actions.relaunch_emr(&bp).await {
                Ok(Some(id)) => Ok(format!(
                    "relaunched {} as {id}: EMR takes several minutes to start it",
                    bp.name
                )),
                Ok(None) => Ok(format!("{}: nothing created", bp.name)),
                Err(e) => Err(format!("cannot relaunch {}: {e}", bp.name)),
            })
        });
    }

    pub fn on_lifecycle_progress(&mut self, p: Progress) {
        // The row says what AWS says while it waits: pending, then running.
        if let Progress::Seen { id, state, .. } = &p
            && let Some(t) = self.transitions.get_mut(id)
            && !t.failed
        {
            t.label = state.as_str().to_string();
            self.version += 1;
            self.touch();
        }
        if let Progress::Step(step) = p {
            if !step.ok {
                self.notify(
                    Level::Error,
                    format!(
                        "{} ({}) {}: {}",
                        step.name, step.id, step.action, step.detail
                    ),
                );
            }
            if !step.ok
                && let Some(t) = self.transitions.get_mut(&step.id)
            {
                t.label = format!("{} failed", step.action);
                t.failed = true;
                self.version += 1;
                t.since = Instant::now();
            }
        }
    }

    pub fn on_lifecycle_done(&mut self, report: &Report) {
        let failed: Vec<String> = report
            .steps
            .iter()
            .filter(|s| !s.ok)
            .map(|s| s.name.clone())
            .collect();
        let mut text = if failed.is_empty() && report.late.is_empty() && report.skipped.is_empty() {
            format!("{} {}: done", report.verb, report.target)
        } else {
            format!(
                "{} {}: {} failed",
                report.verb,
                report.target,
                failed.join(", ")
            )
        };
        if !report.late.is_empty() {
            text.push_str(&format!(
                "; {} still not there after the timeout",
                report.late.len()
            ));
        }
        if !report.skipped.is_empty() {
            text.push_str(&format!("; {}", report.skipped.join("; ")));
        }
        let level = if report.ok() {
            Level::Info
        } else {
            Level::Error
        };
        self.notify(level, text);
        // What is done, was never started, or is late shows its real state
        // from the next listing; only failures keep their mark a while.
        for step in report.steps.iter().filter(|s| s.ok) {
            self.transitions.remove(&step.id);
        }
        for id in report
            .skipped_ids
            .iter()
            .chain(report.late.iter().map(|(id, _, _)| id))
        {
            self.transitions.remove(id);
        }
        self.refresh();
    }

    /// Drops transitions whose node reached its target, and old failures.
    pub fn settle_transitions(&mut self) {
        let before = self.transitions.len();
        let states: HashMap<&str, InstanceState> = self
            .inventory
            .instances
            .iter()
            .map(|i| (i.id.as_str(), i.state))
            .collect();
        self.transitions.retain(|id, t| {
            if t.failed {
                return t.since.elapsed() < FAILED_VISIBLE;
            }
            t.target
                .is_none_or(|target| states.get(id.as_str()) != Some(&target))
        });
        // Rows show transitions with their elapsed seconds: keep them fresh.
        if before > 0 {
            self.touch();
        }
    }
}

fn capitalised(verb: Verb) -> String {
    let s = verb.as_str();
    s[..1].to_uppercase() + &s[1..]
}
