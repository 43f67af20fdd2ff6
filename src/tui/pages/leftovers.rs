//! The Leftovers page: what costs money while nothing runs, listed in the
//! background when the view is first opened (and on refresh), each removed
//! after its id is typed.

use super::super::app::{App, Level, Msg, ViewKind};
use super::super::popups::Popup;
use crate::config::Action;
use crate::cost::show;
use crate::ops::leftovers::Found;
use crate::render::{self, RowKey};
use crate::tui::table::Table;

pub const HINTS: &[(Action, &str)] = &[
    (Action::Remove, "remove"),
    (Action::Details, "details"),
    (Action::Refresh, "look again"),
    (Action::Filter, "filter"),
    (Action::Help, "help"),
];

#[derive(Default)]
pub struct LeftoversPage {
    pub table: Table,
    pub found: Option<Found>,
    /// A listing was asked for (it takes a while: every region and bucket).
    pub loading: bool,
    generation: u64,
    version: u64,
}

impl LeftoversPage {
    pub fn refresh(&mut self, width: u16) {
        let found = &self.found;
        self.table
            .refresh(self.version, render::leftovers::COLUMNS, width, || {
                found
                    .iter()
                    .flat_map(|f| f.items.iter().map(render::leftovers::row))
                    .collect()
            });
    }

    pub fn len(&self) -> usize {
        self.found.as_ref().map_or(0, |f| f.items.len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// A listing was asked for, or is in.
    pub fn asked(&self) -> bool {
        self.loading || self.found.is_some()
    }

    pub fn empty_text(&self) -> String {
        if self.loading {
            " Looking at every region and bucket for what costs money while idle…".into()
        } else if self.found.is_some() {
            " Nothing costs money while idle: no loose volumes, snapshots, addresses, unfinished uploads, stopped or idle instances.".into()
        } else {
            " Not looked yet: press r.".into()
        }
    }

    /// The title line's total.
    pub fn total(&self) -> Option<String> {
        let f = self.found.as_ref()?;
        Some(format!(
            "{}/month{}",
            show(&f.monthly),
            if f.monthly.is_complete() {
                ""
            } else {
                " at least"
            }
        ))
    }
}

impl App {
    /// Lists the leftovers in the background.
    pub fn load_leftovers(&mut self) {
        let Some(ctx) = self.context() else {
            self.notify(Level::Warning, "not connected yet");
            return;
        };
        let page = &mut self.pages.leftovers;
        page.loading = true;
        page.generation += 1;
        let generation = page.generation;
        self.spawn(async move {
            let found = crate::ops::leftovers::find(&ctx).await;
            Msg::Leftovers {
                generation,
                found: Box::new(found),
            }
        });
    }

    pub(in crate::tui) fn on_leftovers(&mut self, generation: u64, found: Found) {
        let page = &mut self.pages.leftovers;
        if generation != page.generation {
            return;
        }
        page.loading = false;
        page.version += 1;
        for e in &found.errors {
            self.notify(Level::Warning, format!("leftovers: not looked at: {e}"));
        }
        let total = crate::cost::show(&found.monthly);
        let n = found.items.len();
        self.pages.leftovers.found = Some(found);
        if self.view == ViewKind::Leftovers {
            self.notify(
                Level::Info,
                format!(
                    "{n} leftover{} costing {total}/month",
                    if n == 1 { "" } else { "s" }
                ),
            );
        }
    }

    pub(in crate::tui) fn on_leftovers_action(&mut self, action: Action) -> bool {
        match action {
            Action::Refresh => {
                self.load_leftovers();
                true
            }
            Action::Remove | Action::DeleteObjects => {
                self.ask_remove_leftover();
                true
            }
            // Lifecycle keys mean nothing here.
            Action::Start
            | Action::Stop
            | Action::Pause
            | Action::Resume
            | Action::Reboot
            | Action::Terminate
            | Action::Mark
            | Action::Guard => {
                self.notify(
                    Level::Info,
                    "in Leftovers, delete removes the selected one; stop or guard instances from the Instances view",
                );
                true
            }
            _ => false,
        }
    }

    fn ask_remove_leftover(&mut self) {
        if self.read_only {
            self.notify(
                Level::Warning,
                "read-only mode: nothing can be removed (started with --read-only or read_only = true)",
            );
            return;
        }
        let Some(RowKey::Leftover(id)) = self.selected_row().map(|r| r.key.clone()) else {
            self.notify(Level::Warning, "nothing selected");
            return;
        };
        let Some(item) = self
            .pages
            .leftovers
            .found
            .as_ref()
            .and_then(|f| f.items.iter().find(|i| i.id == id))
        else {
            return;
        };
        let Some(verb) = item.kind.removal() else {
            self.notify(Level::Info, item.detail.clone());
            return;
        };
        let lines = vec![
            format!(
                "{verb} {} {} ({}): {}",
                render::leftovers::kind_label(item.kind),
                item.id,
                item.region,
                item.detail
            ),
            format!(
                "It costs {}/month. This cannot be undone.",
                show(&item.monthly)
            ),
            "Type its id to confirm:".to_string(),
        ];
        self.open(Popup::RemoveLeftover {
            id: item.id.clone(),
            lines,
            typed: String::new(),
        });
    }

    /// Removes `id` (its id was typed) in the background.
    pub(in crate::tui) fn remove_leftover(&mut self, id: String) {
        let (Some(ctx), Some(found)) = (self.context(), self.pages.leftovers.found.clone()) else {
            return;
        };
        self.notify(Level::Info, format!("removing {id}…"));
        self.spawn(async move {
            Msg::LeftoverRemoved(crate::ops::leftovers::remove(&ctx, &found, &id).await)
        });
    }
}
