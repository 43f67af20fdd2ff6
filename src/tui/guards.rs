//! Guards from the TUI: listed beside the inventory (the GUARD column and
//! the details), set and cleared from the guard dialog through the same
//! operations as `skiff guard`, the IAM role created only after its
//! policies were shown and agreed to.

use std::time::{Duration, Instant};

use super::app::{App, Level, Msg, ViewKind};
use super::popups::Popup;
use super::popups::guard::GuardDialog;
use crate::guard::{At, IdleRule};
use crate::ops::guard::{self as ops, Guarded, RoleChoice, RoleDocuments, ScheduleRefusal, Which};

/// Guards change only when someone sets them: a few minutes is fresh enough.
const GUARDS_EVERY: Duration = Duration::from_secs(5 * 60);

/// What the dialog asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardWhat {
    Idle(IdleRule),
    Schedule {
        start: Option<At>,
        stop: Option<At>,
        tz: chrono_tz::Tz,
        pause: bool,
    },
    Clear,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GuardRequest {
    pub guarded: Guarded,
    pub what: GuardWhat,
}

/// A schedule waits for skiff's role: its policies, shown before it is made.
#[derive(Debug, Clone, PartialEq)]
pub struct RoleQuestion {
    pub request: GuardRequest,
    pub docs: RoleDocuments,
}

impl App {
    /// Lists the guards in the background when due (or `now`).
    pub(super) fn fetch_guards(&mut self, now: bool) {
        let Some(session) = self.session.clone() else {
            return;
        };
        if !now && self.guards_at.is_some_and(|t| t.elapsed() < GUARDS_EVERY) {
            return;
        }
        self.guards_at = Some(Instant::now());
        let (generation, at) = (self.generation, self.clock.now());
        self.spawn(async move {
            let result = ops::list_in(&session, at).await;
            Msg::Guards { generation, result }
        });
    }

    pub(super) fn on_guards(&mut self, result: Result<Vec<ops::GuardInfo>, String>) {
        match result {
            Ok(guards) => {
                self.guard_text = ops::text_by_instance(&guards);
                self.guards = guards;
                self.touch();
            }
            // Guards are extra: the rows stay as they are.
            Err(e) => tracing::warn!("guards not listed: {e}"),
        }
    }

    /// The guards of the selected instance or Spark cluster, in a dialog.
    pub fn open_guard_dialog(&mut self) {
        if !matches!(self.view, ViewKind::Instances | ViewKind::Clusters) {
            self.notify(
                Level::Info,
                "guards are set on instances and clusters: open the Instances or Clusters view",
            );
            return;
        }
        if self.read_only {
            self.notify(
                Level::Warning,
                "read-only mode: guards cannot be set (started with --read-only or read_only = true)",
            );
            return;
        }
        let Some(target) = self.selected_row().and_then(|r| r.key.target().cloned()) else {
            self.notify(Level::Warning, "nothing selected");
            return;
        };
        let guarded = match ops::guarded(&self.inventory, &target, &self.prices) {
            Ok(g) => g,
            Err(why) => return self.notify(Level::Warning, why),
        };
        let ids = guarded.instance_ids();
        let mut current: Vec<String> = Vec::new();
        for g in self
            .guards
            .iter()
            .filter(|g| g.instance_ids.iter().any(|i| ids.contains(i)))
        {
            let line = match &g.next_run {
                Some(t) => format!("{} (next {})", g.rule, crate::render::format::timestamp(*t)),
                None => g.rule.clone(),
            };
            if !current.contains(&line) {
                current.push(line);
            }
        }
        let tz = self.local_zone;
        self.open(Popup::Guard(Box::new(GuardDialog::new(
            guarded, current, tz,
        ))));
    }

    /// Carries out what the dialog asked, in the background; `create_role`:
    /// the user agreed to skiff's role after seeing its policies.
    pub(super) fn run_guard(&mut self, request: GuardRequest, create_role: bool) {
        let Some(ctx) = self.context() else {
            return self.notify(Level::Warning, "not connected yet");
        };
        self.notify(
            Level::Info,
            format!("setting up the guards of {}…", request.guarded.name),
        );
        self.spawn(async move {
            let g = &request.guarded;
            let done = match &request.what {
                GuardWhat::Idle(rule) => ops::set_idle(&ctx, g, rule).await.map(|s| {
                    format!(
                        "{}: {} on {} node{} (CloudWatch alarms; they stop, they cannot hibernate)",
                        s.target,
                        s.rule,
                        s.alarms.len(),
                        if s.alarms.len() == 1 { "" } else { "s" }
                    )
                }),
                GuardWhat::Clear => ops::off(
                    &ctx,
                    g,
                    Which {
                        idle: true,
                        schedule: true,
                    },
                )
                .await
                .map(|r| {
                    format!(
                        "{}: removed {} alarm(s) and {} schedule(s){}",
                        r.target,
                        r.alarms.len(),
                        r.schedules.len(),
                        if r.role_deleted {
                            " and skiff's scheduler role"
                        } else {
                            ""
                        }
                    )
                }),
                GuardWhat::Schedule {
                    start,
                    stop,
                    tz,
                    pause,
                } => {
                    let role = RoleChoice::Own {
                        create: create_role,
                    };
                    match ops::set_schedule(&ctx, g, *start, *stop, *tz, *pause, &role).await {
                        Ok(s) => Ok(format!(
                            "{}: {} ({})",
                            s.target,
                            s.schedules
                                .iter()
                                .map(|x| x.rule.clone())
                                .collect::<Vec<_>>()
                                .join(", "),
                            s.timezone
                        )),
                        Err(ScheduleRefusal::NeedsRole(docs)) => {
                            return Msg::GuardNeedsRole(Box::new(RoleQuestion {
                                request: request.clone(),
                                docs,
                            }));
                        }
                        Err(ScheduleRefusal::Failed(why)) => Err(why),
                    }
                }
            };
            Msg::GuardDone(done)
        });
    }

    pub(super) fn on_guard_done(&mut self, result: Result<String, String>) {
        match result {
            Ok(what) => self.notify(Level::Info, what),
            Err(why) => self.notify(Level::Error, why),
        }
        self.fetch_guards(true);
    }
}
