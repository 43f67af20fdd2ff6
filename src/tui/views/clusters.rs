//! The Clusters view: Spark clusters made of EC2 nodes beside EMR
//! clusters, with the same keys as Instances acting on whole clusters
//! (master first on start, workers first on stop).

use std::any::Any;

use crate::config::{Action, Binding};
use crate::render::{self, Column, Row};
use crate::tui::ctx::{Ctx, Event};
use crate::tui::msg::ViewId;
use crate::tui::pane::Pane;
use crate::tui::resource::{self, On};
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("clusters");

const HINTS: &[(Action, &str)] = &[
    (Action::Details, "details"),
    (Action::Start, "start"),
    (Action::Stop, "stop"),
    (Action::Pause, "pause"),
    (Action::Resume, "resume"),
    (Action::Tunnel, "tunnel"),
    (Action::Filter, "filter"),
    (Action::Help, "help"),
];

pub struct Clusters {
    pane: Pane,
}

impl Default for Clusters {
    fn default() -> Self {
        Self {
            pane: Pane::sorted_by_name(render::clusters::COLUMNS),
        }
    }
}

fn rows(world: &World) -> Vec<Row> {
    let inv = &world.inventory;
    let costs = world.costs.as_ref();
    let mut rows: Vec<Row> = inv
        .spark_clusters
        .iter()
        .map(|c| {
            let guard = resource::rows::guard_cell(world, c.master.iter().chain(&c.workers));
            render::clusters::spark_row(c, &inv.instances, costs, &guard)
        })
        .collect();
    rows.extend(
        inv.emr_clusters
            .iter()
            .map(|c| render::clusters::emr_row(c, costs, "")),
    );
    rows
}

const ABOUT: About = About {
    id: ID,
    title: "Clusters",
    commands: &["clusters", "cluster", "c", "emr"],
    command_args: &[],
    binding: Some(Binding {
        name: "clusters",
        keys: &["2"],
        help: "Clusters view (Spark on EC2 and EMR)",
    }),
    under: None,
    hints: HINTS,
    help: &[
        "Spark clusters made of EC2 nodes (flintrock tags, spark-ec2 security groups, skiff:cluster tags) and EMR clusters. Start runs the master first, stop the workers first; pause on EMR scales it to the minimum and resume restores it.",
    ],
};

impl View for Clusters {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::clusters::COLUMNS
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, world: &World, width: u16) {
        let columns = self.columns();
        self.pane.table.refresh(world.version, columns, width, || {
            let mut rows = rows(world);
            resource::rows::overlay_transitions(columns, &mut rows, world);
            rows
        });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        let on = On {
            view: ID,
            table: &mut self.pane.table,
            label_cell: 1,
        };
        resource::on_action(action, on, cx)
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        resource::on_msg(msg, ID, cx);
    }

    fn on_event(&mut self, event: &Event, _cx: &mut Ctx<'_>) {
        if matches!(event, Event::LifecycleStarted) {
            self.pane.table.marked.clear();
        }
    }

    fn count(&self, world: &World) -> Option<usize> {
        Some(world.inventory.spark_clusters.len() + world.inventory.emr_clusters.len())
    }

    fn details(&self, world: &World) -> Option<Details> {
        resource::details::details(world, &self.pane.table.selected()?.key)
    }
}
