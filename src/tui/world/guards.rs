//! skiff's guards (idle alarms, schedules), listed beside the inventory every
//! few minutes — or at once after one was set — for the GUARD column and the
//! details.

use std::time::{Duration, Instant};

use super::World;
use crate::cloud::CloudError;
use crate::ops::guard::{self as ops, GuardInfo};
use crate::tui::msg::Msg;

/// Guards change only when someone sets them: a few minutes is fresh enough.
const GUARDS_EVERY: Duration = Duration::from_secs(5 * 60);

impl World {
    /// Lists the guards in the background when due (or `now`).
    pub fn fetch_guards(&mut self, now: bool) {
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

    pub(super) fn on_guards(&mut self, result: Result<Vec<GuardInfo>, CloudError>) {
        match result {
            Ok(guards) => {
                self.guard_rules = ops::rules_by_instance(&guards);
                self.guards = guards;
                self.touch();
            }
            // Guards are extra: the rows stay as they are.
            Err(e) => tracing::warn!("guards not listed: {e}"),
        }
    }

    /// The guards of these instances, each once.
    pub fn guards_of<'a>(&'a self, ids: &[&String]) -> Vec<&'a GuardInfo> {
        let mut out: Vec<&GuardInfo> = self
            .guards
            .iter()
            .filter(|g| g.instance_ids.iter().any(|i| ids.contains(&i)))
            .collect();
        out.dedup_by(|a, b| a.rule == b.rule && a.name == b.name);
        out
    }
}
