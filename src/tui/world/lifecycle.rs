//! Lifecycle runs in the world: a confirmed verb runs in the background
//! (the same operation as `skiff stop` and the others), its nodes shown in
//! transition on every row that holds them until AWS says they got there.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use super::World;
use super::transition::Transition;
use crate::lifecycle::{Plan, Target, Verb};
use crate::model::InstanceState;
use crate::ops::execute::{Progress, Report};
use crate::ops::lifecycle as ops;
use crate::tui::msg::Msg;
use crate::tui::notify::Notes;
use crate::tui::notify::Say;

/// How long a failed transition stays visible on its row.
const FAILED_VISIBLE: Duration = Duration::from_secs(60);

impl World {
    /// Runs `verb`'s plans (one per target) in the background; their nodes
    /// show their transition at once, before the first answer.
    pub fn run_lifecycle(&mut self, verb: Verb, plans: Vec<(Plan, Target)>, notes: &mut Notes) {
        let (Some(ctx), Some(tx)) = (self.context(), self.sender()) else {
            return notes.warn("not connected yet");
        };
        let opts = ops::exec_options(&ctx, true, None);
        for (plan, target) in plans {
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
            let (ctx, inv, tx) = (ctx.clone(), self.inventory.clone(), tx.clone());
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
        notes.info(format!("{}: started", capitalised(verb)));
    }

    pub(super) fn on_lifecycle_progress(&mut self, p: Progress, notes: &mut Notes) {
        // The row says what AWS says while it waits: pending, then running.
        if let Progress::Seen { id, state, .. } = &p
            && let Some(t) = self.transitions.get_mut(id)
            && !t.failed
        {
            t.label = state.as_str().to_string();
            self.touch();
        }
        if let Progress::Step(step) = p
            && !step.ok
        {
            notes.error(format!(
                "{} ({}) {}: {}",
                step.name, step.id, step.action, step.detail
            ));
            if let Some(t) = self.transitions.get_mut(&step.id) {
                t.label = format!("{} failed", step.action);
                t.failed = true;
                t.since = Instant::now();
            }
            self.touch();
        }
    }

    pub(super) fn on_lifecycle_done(&mut self, report: &Report, notes: &mut Notes) {
        let text = report_line(report);
        notes.say(
            if report.ok() {
                crate::tui::notify::Level::Info
            } else {
                crate::tui::notify::Level::Error
            },
            text,
        );
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
        if self.transitions.is_empty() {
            return;
        }
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
        self.touch();
    }
}

pub fn capitalised(verb: Verb) -> String {
    let s = verb.as_str();
    s[..1].to_uppercase() + &s[1..]
}

/// What a finished run says in the footer.
fn report_line(report: &Report) -> String {
    let failed: Vec<&str> = report
        .steps
        .iter()
        .filter(|s| !s.ok)
        .map(|s| s.name.as_str())
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
    text
}
