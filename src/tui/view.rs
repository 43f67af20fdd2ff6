//! What a view is: one module that owns its state (a table on screen and
//! whatever only it shows), answers its keys, `:` commands and background
//! messages, draws itself, and says what its footer, tab and help show. The
//! app only routes to the view on screen; views know the world through
//! their context, never the app.
//!
//! To add one: write the module, implement [`View`], and add its line to
//! the registry in `views/mod.rs`.

use std::any::Any;

use ratatui::Frame;
use ratatui::layout::Rect;

use super::ctx::{Ctx, Event};
use super::msg::ViewId;
use super::pane::Pane;
use super::theme::Theme;
use super::world::World;
use crate::config::{Action, Binding};
use crate::render::Column;

/// A view's detail popup: its title and labelled lines.
pub type Details = (String, Vec<crate::render::details::Line>);

/// Work that quitting would stop, and how to stop it cleanly.
pub type Shutdown = std::pin::Pin<Box<dyn std::future::Future<Output = ()> + Send>>;

/// What the app needs to know of a view before it runs: a table of
/// declarations, one per view.
#[derive(Debug, Clone, Copy)]
pub struct About {
    /// The name it is registered under (its `[keys]` name too).
    pub id: ViewId,
    /// The tab's title.
    pub title: &'static str,
    /// The `:` command words that open it; the first is the one shown.
    pub commands: &'static [&'static str],
    /// Words it takes with arguments after `:`, and what they take.
    pub command_args: &'static [(&'static str, &'static str)],
    /// The key that opens it (None: it has no tab of its own).
    pub binding: Option<Binding>,
    /// The tab it belongs to when it has none of its own (a bucket being
    /// browsed is under Buckets).
    pub under: Option<ViewId>,
    /// Keys worth naming in the footer, with what they do here.
    pub hints: &'static [(Action, &'static str)],
    /// What the help screen says about this view.
    pub help: &'static [&'static str],
}

pub trait View: Any {
    /// Its declarations.
    fn about(&self) -> &'static About;

    fn id(&self) -> ViewId {
        self.about().id
    }

    fn title(&self) -> &'static str {
        self.about().title
    }

    fn commands(&self) -> &'static [&'static str] {
        self.about().commands
    }

    fn binding(&self) -> Option<Binding> {
        self.about().binding
    }

    fn under(&self) -> Option<ViewId> {
        self.about().under
    }

    fn hints(&self) -> &'static [(Action, &'static str)] {
        self.about().hints
    }

    fn help(&self) -> &'static [&'static str] {
        self.about().help
    }

    fn command_args(&self) -> &'static [(&'static str, &'static str)] {
        self.about().command_args
    }

    fn columns(&self) -> &'static [Column];

    fn pane(&self) -> &Pane;

    fn pane_mut(&mut self) -> &mut Pane;

    /// Brings the rows up to date with the world and the view's own data
    /// (cheap when nothing changed): called after every key, message and tick.
    fn sync(&mut self, world: &World, width: u16);

    /// A key's action; true if the view handled it (else the app's shared
    /// behaviour runs: moving, filtering, quitting…).
    fn on_action(&mut self, _action: Action, _cx: &mut Ctx<'_>) -> bool {
        false
    }

    /// `:word args` for a word this view claims beyond [`View::commands`]
    /// (`:upload PATH`); true if handled.
    fn on_command(&mut self, _word: &str, _args: &str, _cx: &mut Ctx<'_>) -> bool {
        false
    }

    /// An answer to background work this view started.
    fn on_msg(&mut self, _msg: Box<dyn Any + Send>, _cx: &mut Ctx<'_>) {}

    /// Something happened elsewhere.
    fn on_event(&mut self, _event: &Event, _cx: &mut Ctx<'_>) {}

    /// The user switched to it.
    fn on_enter(&mut self, _cx: &mut Ctx<'_>) {}

    /// Called on every tick (about 8 times a second).
    fn on_tick(&mut self, _cx: &mut Ctx<'_>) {}

    /// Something moves on it that wants frequent redraws.
    fn busy(&self) -> bool {
        false
    }

    /// How many rows its tab counts before its rows are made (None: no
    /// count).
    fn count(&self, _world: &World) -> Option<usize> {
        Some(self.pane().table.total())
    }

    /// What it says beside the tabs (a path, a breakdown).
    fn status(&self, _world: &World) -> Option<String> {
        None
    }

    /// Why there are no rows.
    fn empty_text(&self, world: &World) -> String {
        let regions = world
            .session
            .as_ref()
            .map_or_else(String::new, |s| s.regions.join(", "));
        format!(" No {} in {regions}.", self.title().to_lowercase())
    }

    /// Lays itself out in `body` before a frame.
    fn layout(&mut self, body: Rect, _world: &World) {
        self.pane_mut().place(body);
    }

    /// Draws itself in the area it was laid out in.
    fn draw(&self, frame: &mut Frame, world: &World, theme: &Theme) {
        let table = &self.pane().table;
        let empty = if !table.filter.is_empty() && table.total() > 0 {
            format!(
                " No {} match the filter `{}` (esc clears it).",
                self.title().to_lowercase(),
                table.filter
            )
        } else if world.busy() {
            " Loading…".to_string()
        } else {
            self.empty_text(world)
        };
        self.pane().draw(frame, self.columns(), theme, &empty);
    }

    /// The selected row's details.
    fn details(&self, _world: &World) -> Option<Details> {
        None
    }

    /// Work running here that quitting would stop, one line each.
    fn live(&self) -> Vec<String> {
        Vec::new()
    }

    /// Stops what it runs (on quit); each future finishes the cleanup.
    fn shutdown(&mut self) -> Vec<Shutdown> {
        Vec::new()
    }
}
