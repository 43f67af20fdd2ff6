//! The Instances view: every EC2 instance of the session's regions, with
//! the lifecycle keys, tunnels, guards and shells on the selected or marked
//! rows.

use std::any::Any;

use crate::config::{Action, Binding};
use crate::render::{self, Column};
use crate::tui::ctx::Ctx;
use crate::tui::msg::ViewId;
use crate::tui::pane::Pane;
use crate::tui::resource::{self, On};
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("instances");

const HINTS: &[(Action, &str)] = &[
    (Action::Details, "details"),
    (Action::Start, "start"),
    (Action::Stop, "stop"),
    (Action::Pause, "pause"),
    (Action::Tunnel, "tunnel"),
    (Action::Mark, "mark"),
    (Action::Filter, "filter"),
    (Action::Help, "help"),
];

pub struct Instances {
    pane: Pane,
}

impl Default for Instances {
    fn default() -> Self {
        Self {
            pane: Pane::sorted_by_name(render::instances::COLUMNS),
        }
    }
}

const ABOUT: About = About {
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
    hints: HINTS,
    help: &[
        "Every EC2 instance of the regions in use. Lifecycle keys act on the selected row, or on every row marked with space; each asks first, saying what it saves or adds per hour.",
    ],
};

impl View for Instances {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::instances::COLUMNS
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
            let now = world.clock.now();
            let remind = world.remind_after_secs();
            let mut rows: Vec<_> = world
                .inventory
                .instances
                .iter()
                .map(|i| {
                    let cost = world.costs.as_ref().and_then(|c| c.item(&i.id));
                    let guard = resource::rows::guard_cell(world, [&i.id]);
                    render::instances::row(i, now, cost, remind, &guard)
                })
                .collect();
            resource::rows::overlay_transitions(columns, &mut rows, world);
            rows
        });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        let on = On {
            view: ID,
            table: &mut self.pane.table,
            label_cell: 0,
        };
        resource::on_action(action, on, cx)
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        resource::on_msg(msg, ID, cx);
    }

    fn on_event(&mut self, event: &crate::tui::ctx::Event, _cx: &mut Ctx<'_>) {
        if matches!(event, crate::tui::ctx::Event::LifecycleStarted) {
            self.pane.table.marked.clear();
        }
    }

    fn count(&self, world: &World) -> Option<usize> {
        Some(world.inventory.instances.len())
    }

    fn details(&self, world: &World) -> Option<Details> {
        resource::details::details(world, &self.pane.table.selected()?.key)
    }
}
