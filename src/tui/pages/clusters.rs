//! The Clusters page: Spark clusters made of EC2 nodes beside EMR clusters.

use super::Source;
use crate::config::Action;
use crate::render::{self, Row};

pub const HINTS: &[(Action, &str)] = &[
    (Action::Details, "details"),
    (Action::Start, "start"),
    (Action::Stop, "stop"),
    (Action::Pause, "pause"),
    (Action::Resume, "resume"),
    (Action::Tunnel, "tunnel"),
    (Action::Filter, "filter"),
    (Action::Help, "help"),
];

pub fn rows(src: &Source<'_>) -> Vec<Row> {
    let inv = src.inventory;
    let mut rows: Vec<Row> = inv
        .spark_clusters
        .iter()
        .map(|c| {
            let guard = src.guard_of(c.master.iter().chain(&c.workers));
            render::clusters::spark_row(c, &inv.instances, src.costs, &guard)
        })
        .collect();
    rows.extend(
        inv.emr_clusters
            .iter()
            .map(|c| render::clusters::emr_row(c, src.costs, "")),
    );
    rows
}
