//! The Clusters view: Spark clusters made of EC2 nodes beside EMR
//! clusters, with the same keys as Instances acting on whole clusters
//! (master first on start, workers first on stop).

use crate::config::{Action, Binding};
use crate::render::{self, Column, Row};
use crate::tui::msg::ViewId;
use crate::tui::resource::view::{Kind, Resources};
use crate::tui::view::About;
use crate::tui::world::World;

pub const ID: ViewId = ViewId("clusters");

pub type Clusters = Resources<ClusterRows>;

pub struct ClusterRows;

impl Kind for ClusterRows {
    const ABOUT: &'static About = &About {
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
        hints: &[
            (Action::Details, "details"),
            (Action::Start, "start"),
            (Action::Stop, "stop"),
            (Action::Pause, "pause"),
            (Action::Resume, "resume"),
            (Action::Tunnel, "tunnel"),
            (Action::Filter, "filter"),
            (Action::Help, "help"),
        ],
        help: &[
            "Spark clusters made of EC2 nodes (flintrock tags, spark-ec2 security groups, skiff:cluster tags) and EMR clusters. Start runs the master first, stop the workers first; pause on EMR scales it to the minimum and resume restores it.",
        ],
    };
    const COLUMNS: &'static [Column] = render::clusters::COLUMNS;
    const LABEL_CELL: usize = 1;

    fn rows(world: &World) -> Vec<Row> {
        let inv = &world.inventory;
        let costs = world.costs.as_ref();
        let mut rows: Vec<Row> = inv
            .spark_clusters
            .iter()
            .map(|c| {
                let ids = c.master.iter().chain(&c.workers);
                let guard = crate::tui::resource::rows::guard_cell(world, ids);
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

    fn count(world: &World) -> usize {
        world.inventory.spark_clusters.len() + world.inventory.emr_clusters.len()
    }
}
