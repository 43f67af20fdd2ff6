//! The Instances page: every EC2 instance of the session's regions.

use super::Source;
use crate::config::Action;
use crate::render::{self, Row};

pub const HINTS: &[(Action, &str)] = &[
    (Action::Details, "details"),
    (Action::Start, "start"),
    (Action::Stop, "stop"),
    (Action::Pause, "pause"),
    (Action::Tunnel, "tunnel"),
    (Action::Mark, "mark"),
    (Action::Filter, "filter"),
    (Action::Help, "help"),
];

pub fn rows(src: &Source<'_>) -> Vec<Row> {
    src.inventory
        .instances
        .iter()
        .map(|i| {
            let cost = src.costs.and_then(|c| c.item(&i.id));
            let guard = src.guard_of([&i.id]);
            render::instances::row(i, src.now, cost, src.remind_after_secs, &guard)
        })
        .collect()
}
