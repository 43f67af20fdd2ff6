//! Lifecycle from the TUI: action keys on the selected or marked rows,
//! confirmation dialogs, and transitions shown on the rows while they run.
//! The work itself runs in a spawned task; progress comes back as messages.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::app::{App, Level, Mode, Msg, ViewKind};
use crate::config::Action;
use crate::lifecycle::{Plan, Target, Verb, Work};
use crate::model::InstanceState;
use crate::ops::execute::{Progress, Report};
use crate::ops::lifecycle as ops;
use crate::render::{Cell, Row, RowKey, Tone};

/// An action waiting for the user's yes (or typed name).
#[derive(Debug, Clone)]
pub struct Pending {
    pub verb: Verb,
    pub targets: Vec<Target>,
    pub plans: Vec<Plan>,
    /// What the dialog says.
    pub lines: Vec<String>,
    /// A terminated EMR cluster to create again (start on such a cluster).
    pub relaunch: Option<Box<crate::model::EmrBlueprint>>,
}

impl Pending {
    /// The word on the confirm key.
    pub fn word(&self) -> String {
        if self.relaunch.is_some() {
            "relaunch".into()
        } else {
            self.verb.to_string()
        }
    }
}

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
        if self.view == ViewKind::Buckets {
            self.notify(
                Level::Warning,
                "buckets have no lifecycle: open the Instances or Clusters view",
            );
            return true;
        }
        let keys: Vec<RowKey> = if self.view_state().marked.is_empty() {
            self.selected_row().map(|r| vec![r.key]).unwrap_or_default()
        } else {
            self.view_state().marked.iter().cloned().collect()
        };
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
        if self.view == ViewKind::Buckets {
            return;
        }
        if let Some(row) = self.selected_row() {
            let marked = &mut self.views_mut().marked;
            if !marked.remove(&row.key) {
                marked.insert(row.key);
            }
        }
        self.on_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Down,
        ));
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
                if let Some(p) = &mut self.pending {
                    p.lines.insert(0, format!("{reason} — stop instead?"));
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
        if plans.iter().all(Plan::is_noop) {
            let notes: Vec<String> = plans.iter().flat_map(|p| p.already.clone()).collect();
            self.notify(Level::Info, format!("nothing to do: {}", notes.join("; ")));
            return;
        }
        let mut lines: Vec<String> = Vec::new();
        for p in &plans {
            lines.push(format!("{} {}", capitalised(verb), p.target));
            lines.extend(p.describe().into_iter().map(|l| format!("  {l}")));
        }
        lines.push(String::new());
        lines.push(self.savings_line(verb, &plans));
        let pending = Pending {
            verb,
            targets,
            plans,
            lines,
            relaunch: None,
        };
        match verb {
            Verb::Start | Verb::Resume => self.run_pending(pending),
            Verb::Terminate => {
                self.pending = Some(pending);
                self.input.clear();
                self.mode = Mode::TypeConfirm;
            }
            Verb::Stop | Verb::Pause | Verb::Reboot => {
                self.pending = Some(pending);
                self.mode = Mode::Confirm;
            }
        }
    }

    /// The user said yes (or typed the name): run it.
    pub fn confirm_pending(&mut self) {
        let Some(pending) = self.pending.take() else {
            self.mode = Mode::Normal;
            return;
        };
        self.mode = Mode::Normal;
        if let Some(bp) = pending.relaunch {
            self.run_relaunch(*bp);
            return;
        }
        if pending.verb == Verb::Terminate {
            let typed = std::mem::take(&mut self.input);
            let checked = match (pending.targets.as_slice(), pending.plans.as_slice()) {
                ([target], [plan]) => {
                    ops::check_confirmation(&self.inventory, target, plan, &typed)
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

    pub fn cancel_pending(&mut self) {
        if self.pending.take().is_some() {
            self.notify(Level::Info, "cancelled: nothing was changed");
        }
        self.input.clear();
        self.mode = Mode::Normal;
    }

    fn run_pending(&mut self, pending: Pending) {
        let Some(ctx) = self.context() else {
            self.notify(Level::Warning, "not connected yet");
            return;
        };
        for v in self.views.iter_mut() {
            v.marked.clear();
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
        let mut hourly = crate::cost::Amount::default();
        let mut groups: Vec<&crate::model::EmrGroupSpec> = bp.groups.iter().collect();
        groups.sort_by_key(|g| match g.role.as_str() {
            "MASTER" => 0,
            "CORE" => 1,
            _ => 2,
        });
        for g in groups {
            let rate = if g.market.eq_ignore_ascii_case("spot") {
                Err(format!(
                    "{} group is spot: its price is set by the market",
                    g.role
                ))
            } else {
                self.prices
                    .on_demand(&bp.region, &g.instance_type)
                    .map(|r| r.usd_per_hour)
                    .and_then(|r| Ok(r + self.prices.emr_fee(&bp.region, &g.instance_type)?))
            };
            let each = rate
                .as_ref()
                .map_or("?".to_string(), |r| crate::cost::usd(*r));
            lines.push(format!(
                "  {} {} × {} ({}) {each}/h each",
                g.role,
                g.count,
                g.instance_type,
                g.market.to_lowercase()
            ));
            match rate {
                Ok(r) => hourly.known_usd += r * f64::from(g.count),
                Err(why) => hourly.unknown.push(why),
            }
        }
        for b in &bp.bootstrap_actions {
            lines.push(format!("  bootstrap {}: {}", b.name, b.path));
        }
        lines.push(String::new());
        lines.push(format!(
            "Costs {}/h once running (instances + EMR fee, EBS not counted)",
            crate::cost::show(&hourly)
        ));
        self.pending = Some(Pending {
            verb: Verb::Start,
            targets: Vec::new(),
            plans: Vec::new(),
            lines,
            relaunch: Some(bp),
        });
        self.mode = Mode::Confirm;
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
        for step in report.steps.iter().filter(|s| s.ok) {
            self.transitions.remove(&step.id);
        }
        self.refresh();
    }

    /// Drops transitions whose node reached its target, and old failures.
    pub fn settle_transitions(&mut self) {
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
    }

    /// Rewrites the STATE cell of rows with a node in transition.
    pub fn overlay_transitions(&self, view: ViewKind, rows: &mut [Row]) {
        if self.transitions.is_empty() {
            return;
        }
        let state_col = view.columns().iter().position(|c| c.title == "STATE");
        let Some(col) = state_col else { return };
        for row in rows {
            let t = match row.key.target() {
                Some(Target::Instance { id }) => self.transitions.get(id),
                Some(Target::Spark { region, name }) => self.cluster_transition(region, name),
                _ => None,
            };
            if let Some(t) = t {
                let secs = t.since.elapsed().as_secs();
                let text = if t.failed {
                    format!("✗ {}", t.label)
                } else {
                    format!("{}… {secs}s", t.label)
                };
                row.cells[col] = Cell::text(text);
                row.tone = if t.failed {
                    Tone::Terminated
                } else {
                    Tone::Transitioning
                };
            }
        }
    }

    pub(super) fn cluster_transition(&self, region: &str, name: &str) -> Option<&Transition> {
        let c = self.inventory.spark_cluster(region, name)?;
        c.master
            .iter()
            .chain(&c.workers)
            .filter_map(|id| self.transitions.get(id))
            .min_by_key(|t| t.since)
    }
}

fn capitalised(verb: Verb) -> String {
    let s = verb.as_str();
    s[..1].to_uppercase() + &s[1..]
}

impl App {
    /// What the planned work saves per hour, from the current costs: the
    /// compute (and EMR fee and IPv4) of the nodes it stops; for an EMR
    /// pause, the instances it removes.
    fn savings_line(&self, verb: Verb, plans: &[Plan]) -> String {
        use crate::cost::{Amount, show};
        if !matches!(verb, Verb::Stop | Verb::Pause | Verb::Terminate) {
            return String::new();
        }
        let mut saves = Amount {
            known_usd: 0.0,
            unknown: Vec::new(),
        };
        for p in plans {
            match &p.work {
                Work::EmrResize {
                    region,
                    resizes,
                    cluster_id,
                    ..
                } => {
                    let cluster = self
                        .inventory
                        .emr_clusters
                        .iter()
                        .find(|c| &c.id == cluster_id);
                    for r in resizes {
                        let ty = cluster
                            .and_then(|c| c.instance_groups.iter().find(|g| g.id == r.group_id))
                            .map(|g| g.instance_type.clone())
                            .unwrap_or_default();
                        let removed = f64::from((r.from - r.to).max(0));
                        match (
                            self.prices.on_demand(region, &ty),
                            self.prices.emr_fee(region, &ty),
                        ) {
                            (Ok(rate), Ok(fee)) => {
                                saves.known_usd += removed * (rate.usd_per_hour + fee)
                            }
                            (Err(e), _) | (_, Err(e)) => saves.unknown.push(e),
                        }
                    }
                }
                _ => {
                    for a in p.actions() {
                        match self.costs.as_ref().and_then(|c| c.item(&a.id)) {
                            Some(c) if verb == Verb::Terminate => {
                                saves.known_usd += c.hourly.known_usd;
                                saves.unknown.extend(c.hourly.unknown.iter().cloned());
                            }
                            Some(c) => {
                                saves.known_usd += c.stop_saves_hourly.known_usd;
                                saves
                                    .unknown
                                    .extend(c.stop_saves_hourly.unknown.iter().cloned());
                            }
                            None => saves.unknown.push(format!("no cost known for {}", a.id)),
                        }
                    }
                }
            }
        }
        let amount = show(&saves);
        match verb {
            Verb::Terminate => format!(
                "Saves {amount}/hour. Volumes without DeleteOnTermination are kept (and billed)."
            ),
            _ if plans
                .iter()
                .any(|p| matches!(p.work, Work::EmrResize { .. })) =>
            {
                format!("Saves {amount}/hour (instances and EMR fees of the removed nodes).")
            }
            _ => format!(
                "Saves {amount}/hour. EBS volumes (and Elastic IPs) keep costing while stopped."
            ),
        }
    }
}
