//! Popups of text that scroll: help, details, the notification history.

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

use super::{Reply, box_for, draw_box};
use crate::config::Action;
use crate::tui::theme::Theme;

pub struct TextPopup {
    pub title: String,
    pub lines: Vec<Line<'static>>,
    pub scroll: u16,
    /// How far it can scroll at the size last laid out.
    max: u16,
}

impl TextPopup {
    pub fn new(title: impl Into<String>, lines: Vec<Line<'static>>) -> Self {
        Self {
            title: title.into(),
            lines,
            scroll: 0,
            max: u16::MAX,
        }
    }

    /// Opens scrolled to the end (the newest notifications are last).
    pub fn at_end(mut self) -> Self {
        self.scroll = u16::MAX;
        self
    }

    pub fn on_key(&mut self, _key: KeyEvent, action: Option<Action>) -> Reply {
        match action {
            Some(Action::Back | Action::Help | Action::Details | Action::Messages) => {
                return Reply::Close;
            }
            Some(Action::Quit) => return Reply::Quit,
            Some(Action::Up) => self.scroll_by(-1),
            Some(Action::Down) => self.scroll_by(1),
            Some(Action::PageUp) => self.scroll_by(-10),
            Some(Action::PageDown) => self.scroll_by(10),
            Some(Action::Top) => self.scroll = 0,
            Some(Action::Bottom) => self.scroll = u16::MAX,
            _ => {}
        }
        Reply::Keep
    }

    pub fn scroll_by(&mut self, delta: isize) {
        let now = isize::try_from(self.scroll.min(self.max)).unwrap_or(0);
        let next = (now + delta).clamp(0, isize::try_from(self.max).unwrap_or(0));
        self.scroll = u16::try_from(next).unwrap_or(0);
    }

    pub fn layout(&mut self, area: Rect) {
        let (rect, rows) = box_for(area, &self.lines);
        self.max = rows.saturating_sub(rect.height.saturating_sub(2));
        self.scroll = self.scroll.min(self.max);
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        draw_box(
            frame,
            area,
            theme,
            &self.title,
            self.lines.clone(),
            self.scroll,
        );
    }
}
