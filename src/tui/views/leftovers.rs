//! The Leftovers view: what costs money while nothing runs, listed in the
//! background when the view is first opened (and on refresh), each removed
//! after its id is typed.

use std::any::Any;

use crate::config::{Action, Binding};
use crate::cost::show;
use crate::ops::leftovers::Found;
use crate::render::{self, Column, RowKey};
use crate::tui::ctx::Ctx;
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::pane::Pane;
use crate::tui::popups::confirm::Confirm;
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("leftovers");

const HINTS: &[(Action, &str)] = &[
    (Action::Remove, "remove"),
    (Action::Details, "details"),
    (Action::Refresh, "look again"),
    (Action::Filter, "filter"),
    (Action::Help, "help"),
];

enum Answer {
    Found {
        generation: u64,
        found: Box<Found>,
    },
    Removed {
        id: String,
        result: Result<crate::ops::leftovers::Removed, crate::ops::leftovers::RemoveError>,
    },
}

#[derive(Default)]
pub struct Leftovers {
    pane: Pane,
    pub found: Option<Found>,
    /// A listing was asked for (it takes a while: every region and bucket).
    pub loading: bool,
    generation: u64,
    version: u64,
}

impl Leftovers {
    /// Lists the leftovers in the background.
    fn load(&mut self, cx: &mut Ctx<'_>) {
        let Some(ctx) = cx.context() else {
            return cx.warn("not connected yet");
        };
        self.loading = true;
        self.generation += 1;
        let generation = self.generation;
        cx.spawn(ID, async move {
            let found = crate::ops::leftovers::find(&ctx).await;
            Answer::Found {
                generation,
                found: Box::new(found),
            }
        });
    }

    fn on_found(&mut self, generation: u64, found: Found, cx: &mut Ctx<'_>) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        self.version += 1;
        for e in &found.errors {
            cx.warn(format!("leftovers: not looked at: {e}"));
        }
        let total = show(&found.monthly);
        let n = found.items.len();
        self.found = Some(found);
        if cx.view == ID {
            cx.info(format!(
                "{n} leftover{} costing {total}/month",
                if n == 1 { "" } else { "s" }
            ));
        }
    }

    fn ask_remove(&mut self, cx: &mut Ctx<'_>) {
        if cx.world.read_only() {
            return cx.warn(
                "read-only mode: nothing can be removed (started with --read-only or read_only = true)",
            );
        }
        let Some(RowKey::Leftover(id)) = self.pane.table.selected().map(|r| r.key.clone()) else {
            return cx.warn("nothing selected");
        };
        let Some(found) = self.found.clone() else {
            return;
        };
        let Some(item) = found.items.iter().find(|i| i.id == id) else {
            return;
        };
        let Some(verb) = item.kind.removal() else {
            return cx.info(render::leftovers::why(&item.why));
        };
        let lines = vec![
            format!(
                "{verb} {} {} ({}): {}",
                render::leftovers::kind_label(item.kind),
                item.id,
                item.region,
                render::leftovers::why(&item.why)
            ),
            format!(
                "It costs {}/month. This cannot be undone.",
                show(&item.monthly)
            ),
        ];
        cx.open(remove_question(id, lines, found));
    }
}

/// Remove the leftover `id`? Its id must be typed; `found` is what it
/// was found in (removal needs its details).
pub fn remove_question(id: String, lines: Vec<String>, found: Found) -> Confirm {
    let expect = id.clone();
    Confirm::new("remove", lines, move |cx, _| remove(id, found, cx))
        .typed(
            "Remove a leftover",
            "Type its id to confirm: ",
            Some(expect),
        )
        .cancelled("nothing was removed")
}

/// Removes `id` (its id was typed) in the background.
fn remove(id: String, found: Found, cx: &mut Ctx<'_>) {
    let Some(ctx) = cx.context() else {
        return cx.warn("not connected yet");
    };
    cx.info(format!("removing {id}…"));
    cx.spawn(ID, async move {
        let result = crate::ops::leftovers::remove(&ctx, &found, &id).await;
        Answer::Removed { id, result }
    });
}

const ABOUT: About = About {
    id: ID,
    title: "Leftovers",
    commands: &["leftovers", "leftover"],
    command_args: &[],
    binding: Some(Binding {
        name: "leftovers",
        keys: &["7"],
        help: "Leftovers view: what costs money while nothing runs (volumes, snapshots, addresses, uploads)",
    }),
    under: None,
    hints: HINTS,
    help: &[
        "What costs money while nothing runs: unattached volumes, own snapshots and images, unused Elastic IPs, unfinished multipart uploads, stopped and idle instances, priced per month. delete removes the selected one once its id is typed.",
    ],
};

impl View for Leftovers {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::leftovers::COLUMNS
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, _world: &World, width: u16) {
        let found = &self.found;
        self.pane
            .table
            .refresh(self.version, render::leftovers::COLUMNS, width, || {
                found
                    .iter()
                    .flat_map(|f| f.items.iter().map(render::leftovers::row))
                    .collect()
            });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        match action {
            Action::Refresh => self.load(cx),
            Action::Remove | Action::DeleteObjects => self.ask_remove(cx),
            // Lifecycle keys mean nothing here.
            Action::Start
            | Action::Stop
            | Action::Pause
            | Action::Resume
            | Action::Reboot
            | Action::Terminate
            | Action::Mark
            | Action::Guard => cx.info(
                "in Leftovers, delete removes the selected one; stop or guard instances from the Instances view",
            ),
            _ => return false,
        }
        true
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        let Ok(answer) = msg.downcast::<Answer>() else {
            return;
        };
        match *answer {
            Answer::Found { generation, found } => self.on_found(generation, *found, cx),
            Answer::Removed { id, result } => {
                match result {
                    Ok(r) => cx.info(render::leftovers::removed(
                        r.kind,
                        &r.id,
                        &r.monthly,
                        r.done == crate::cloud::actions::Done::Sent,
                    )),
                    Err(why) => cx.error(format!("{id}: {why}")),
                }
                self.load(cx);
            }
        }
    }

    fn on_enter(&mut self, cx: &mut Ctx<'_>) {
        if !self.loading && self.found.is_none() {
            self.load(cx);
        }
    }

    fn count(&self, _world: &World) -> Option<usize> {
        self.found.as_ref().map(|f| f.items.len())
    }

    fn empty_text(&self, _world: &World) -> String {
        if self.loading {
            " Looking at every region and bucket for what costs money while idle…".into()
        } else if self.found.is_some() {
            " Nothing costs money while idle: no loose volumes, snapshots, addresses, unfinished uploads, stopped or idle instances.".into()
        } else {
            " Not looked yet: press r.".into()
        }
    }

    fn draw(&self, frame: &mut ratatui::Frame, world: &World, theme: &crate::tui::theme::Theme) {
        self.pane
            .draw(frame, self.columns(), theme, &self.empty_text(world));
    }

    fn details(&self, _world: &World) -> Option<Details> {
        let Some(RowKey::Leftover(id)) = self.pane.table.selected().map(|r| &r.key) else {
            return None;
        };
        let l = self.found.as_ref()?.items.iter().find(|l| &l.id == id)?;
        let lines = vec![
            (
                "Kind".to_string(),
                render::leftovers::kind_label(l.kind).to_string(),
            ),
            ("Id".to_string(), l.id.clone()),
            ("Region".to_string(), l.region.clone()),
            (
                "Per month".to_string(),
                format!(
                    "{}{}",
                    show(&l.monthly),
                    if l.at_most { " at most" } else { "" }
                ),
            ),
            ("Why".to_string(), render::leftovers::why(&l.why)),
            (
                "Remove".to_string(),
                l.kind.removal().map_or_else(
                    || "not from here (see why)".to_string(),
                    |v| format!("{v}: press delete, then type the id"),
                ),
            ),
        ];
        Some((format!("Leftover {}", l.id), lines))
    }
}
