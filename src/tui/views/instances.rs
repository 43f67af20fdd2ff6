//! The Instances view: every EC2 instance of the session's regions, with
//! the lifecycle keys, tunnels, guards and shells on the selected or marked
//! rows.

use crate::config::{Action, Binding};
use crate::render::{self, Column, Row};
use crate::tui::msg::ViewId;
use crate::tui::resource::view::{Kind, Resources};
use crate::tui::view::About;
use crate::tui::world::World;

pub const ID: ViewId = ViewId("instances");

pub type Instances = Resources<InstanceRows>;

pub struct InstanceRows;

impl Kind for InstanceRows {
    const ABOUT: &'static About = &About {
        id: ID,
        title: "Instances",
        commands: &["instances", "instance", "i", "ec2"],
        command_args: &[],
        binding: Some(Binding {
            name: "instances",
            keys: &["1"],
            help: "Instances view",
        }),
        under: None,
        hints: &[
            (Action::Details, "details"),
            (Action::Start, "start"),
            (Action::Stop, "stop"),
            (Action::Pause, "pause"),
            (Action::Tunnel, "tunnel"),
            (Action::Mark, "mark"),
            (Action::Filter, "filter"),
            (Action::Help, "help"),
        ],
        help: &[
            "Every EC2 instance of the regions in use. Lifecycle keys act on the selected row, or on every row marked with space; each asks first, saying what it saves or adds per hour.",
        ],
    };
    const COLUMNS: &'static [Column] = render::instances::COLUMNS;
    const LABEL_CELL: usize = 0;

    fn rows(world: &World) -> Vec<Row> {
        let (now, remind) = (world.clock.now(), world.remind_after_secs());
        world
            .inventory
            .instances
            .iter()
            .map(|i| {
                let cost = world.costs.as_ref().and_then(|c| c.item(&i.id));
                let guard = crate::tui::resource::rows::guard_cell(world, [&i.id]);
                render::instances::row(i, now, cost, remind, &guard)
            })
            .collect()
    }

    fn count(world: &World) -> usize {
        world.inventory.instances.len()
    }
}
