//! Popups of text that scroll: help, details, the notification history,
//! what a command said on every node.

use std::any::Any;

use crossterm::event::KeyEvent;
use ratatui::text::Line;

use super::{Boxed, Scroll};
use crate::config::Action;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply};
use crate::tui::theme::Theme;

pub const HELP: Mode = Mode("help");
pub const DETAILS: Mode = Mode("details");
pub const MESSAGES: Mode = Mode("messages");

pub struct TextPopup {
    mode: Mode,
    pub title: String,
    pub lines: Vec<Line<'static>>,
    pub scroll: Scroll,
}

impl TextPopup {
    pub fn new(mode: Mode, title: impl Into<String>, lines: Vec<Line<'static>>) -> Self {
        Self {
            mode,
            title: title.into(),
            lines,
            scroll: Scroll::default(),
        }
    }

    /// Opens scrolled to the end (the newest notifications are last).
    pub fn at_end(mut self) -> Self {
        self.scroll = Scroll::at_end();
        self
    }
}

impl Popup for TextPopup {
    fn mode(&self) -> Mode {
        self.mode
    }

    fn boxed(&self, _theme: &Theme) -> Option<Boxed> {
        Some(Boxed {
            title: self.title.clone(),
            body: self.lines.clone(),
            footer: Vec::new(),
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn on_key(&mut self, _key: KeyEvent, action: Option<Action>, _cx: &mut Ctx<'_>) -> Reply {
        match action {
            Some(Action::Back | Action::Help | Action::Details | Action::Messages) => Reply::Close,
            Some(Action::Quit) => Reply::Quit,
            other => {
                self.scroll.on_action(other);
                Reply::Keep
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
