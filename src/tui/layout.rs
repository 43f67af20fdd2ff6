//! Where the app's own parts go on a screen of a given size — header, tabs,
//! the view's body, completions, the footer — computed once before each
//! frame and kept (the mouse knows what was clicked); the view lays out its
//! body itself. Drawing then only reads it.

use ratatui::layout::{Constraint, Layout as Split, Rect};

use super::msg::ViewId;

#[derive(Debug, Clone, Default)]
pub struct Layout {
    pub width: u16,
    pub height: u16,
    pub header: Rect,
    pub tabs: Rect,
    /// Command completions, above the footer.
    pub completions: Option<Rect>,
    /// What the view on screen gets.
    pub body: Rect,
    pub footer: Rect,
    /// Each tab's columns on the tabs line, for clicks.
    pub tab_hits: Vec<(u16, u16, ViewId)>,
}

/// The footer's height: one line, or up to three for a notification too
/// long for one (so the remedy at its end is not cut off).
pub fn footer_height(typing: bool, note: Option<&str>, width: u16, height: u16) -> u16 {
    if typing || height < 10 {
        return 1;
    }
    let Some(text) = note else {
        return 1;
    };
    let len = text.chars().count() + 8;
    let lines = len.div_ceil(usize::from(width.max(1)));
    u16::try_from(lines.clamp(1, 3)).unwrap_or(1)
}

/// The areas of a `width`×`height` screen.
/// `completions`: the rows the completion list takes (0: none); it gets
/// them while the body keeps at least two.
pub fn compute(width: u16, height: u16, footer: u16, completions: u16) -> Layout {
    let area = Rect::new(0, 0, width, height);
    let [header, tabs, body, footer] = Split::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(footer.min(height.saturating_sub(2)).max(1)),
    ])
    .areas(area);
    let rows = completions.min(body.height.saturating_sub(2));
    let (body, completions) = if rows > 0 {
        let [rest, c] = Split::vertical([Constraint::Min(0), Constraint::Length(rows)]).areas(body);
        (rest, Some(c))
    } else {
        (body, None)
    };
    Layout {
        width,
        height,
        header,
        tabs,
        completions,
        body,
        footer,
        tab_hits: Vec::new(),
    }
}
