//! Popups: each module is one kind of dialog (the [`Popup`] trait in
//! `ctx`), opened by a view with a closure for its answer. What they share
//! lives here: a box centred on the screen whose body scrolls while its
//! answer lines stay in sight at the bottom, and the hint line.
//!
//! [`Popup`]: super::ctx::Popup

pub mod ask;
pub mod choose;
pub mod confirm;
pub mod guard;
pub mod launch;
pub mod mfa;
pub mod overwrite;
pub mod picker;
pub mod prompt;
pub mod text;
pub mod tunnel;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::theme::Theme;
use crate::config::Action;

/// A rectangle of at most `w`×`h` centred in `area`, never larger than it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// How many rows `lines` take when wrapped at `width` — as the paragraph
/// that draws them wraps (by words), so scrolling reaches the last line.
pub fn wrapped_rows(lines: &[Line<'_>], width: u16) -> u16 {
    if lines.is_empty() {
        return 0;
    }
    let rows = Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.max(1));
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// A popup drawn as a box: its title, a body that scrolls, the answer
/// lines kept in sight below it, and where the body is scrolled to.
pub struct Boxed {
    pub title: String,
    pub body: Vec<Line<'static>>,
    pub footer: Vec<Line<'static>>,
    pub scroll: Scroll,
}

/// What a question or prompt shows above its answer lines: a title, a
/// body and where the body is scrolled to (the answer lines are each
/// popup's own).
pub struct Page {
    pub title: String,
    pub body: Vec<Line<'static>>,
    pub scroll: Scroll,
}

impl Page {
    pub fn new(title: impl Into<String>, body: Vec<Line<'static>>) -> Self {
        Self {
            title: title.into(),
            body,
            scroll: Scroll::default(),
        }
    }

    /// The box, with `footer` as its answer lines.
    pub fn boxed(&self, footer: Vec<Line<'static>>) -> Option<Boxed> {
        Some(Boxed {
            title: self.title.clone(),
            body: self.body.clone(),
            footer,
            scroll: self.scroll,
        })
    }
}

/// Where a popup's parts go: the box, its scrolling body and its pinned
/// answer lines, and how far the body scrolls.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BoxLayout {
    pub rect: Rect,
    pub body: Rect,
    pub footer: Rect,
    /// Rows of the body beyond what it shows.
    pub max_scroll: u16,
}

/// The box a popup of `body` and `footer` lines gets in `area`: up to 100
/// wide, as tall as its lines (a line of the screen left above and below);
/// the footer is always inside it, the body gets what is left.
pub fn box_layout(area: Rect, body: &[Line<'_>], footer: &[Line<'_>]) -> BoxLayout {
    let width = area.width.saturating_sub(4).clamp(area.width.min(20), 100);
    let inner = width.saturating_sub(2);
    let body_rows = wrapped_rows(body, inner);
    let footer_rows = wrapped_rows(footer, inner);
    let wanted = body_rows.saturating_add(footer_rows).saturating_add(2);
    let rect = centered(
        area,
        width,
        wanted.min(area.height.saturating_sub(2).max(3)),
    );
    let inside = Rect::new(
        rect.x.saturating_add(1),
        rect.y.saturating_add(1),
        rect.width.saturating_sub(2),
        rect.height.saturating_sub(2),
    );
    let footer_h = footer_rows.min(inside.height);
    let body_h = inside.height - footer_h;
    BoxLayout {
        rect,
        body: Rect::new(inside.x, inside.y, inside.width, body_h),
        footer: Rect::new(inside.x, inside.y + body_h, inside.width, footer_h),
        max_scroll: body_rows.saturating_sub(body_h),
    }
}

/// A body's scroll position, kept within what the last layout allows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Scroll {
    pub offset: u16,
    max: u16,
}

impl Default for Scroll {
    fn default() -> Self {
        Self {
            offset: 0,
            max: u16::MAX,
        }
    }
}

impl Scroll {
    /// Opens scrolled to the end.
    pub fn at_end() -> Self {
        Self {
            offset: u16::MAX,
            max: u16::MAX,
        }
    }

    pub fn by(&mut self, delta: isize) {
        let now = isize::try_from(self.offset.min(self.max)).unwrap_or(0);
        let next = (now + delta).clamp(0, isize::try_from(self.max).unwrap_or(0));
        self.offset = u16::try_from(next).unwrap_or(0);
    }

    pub fn fit(&mut self, max: u16) {
        self.max = max;
        self.offset = self.offset.min(max);
    }

    /// Moves for a scrolling action (true if it was one).
    pub fn on_action(&mut self, action: Option<Action>) -> bool {
        match action {
            Some(Action::Up) => self.by(-1),
            Some(Action::Down) => self.by(1),
            Some(Action::PageUp) => self.by(-10),
            Some(Action::PageDown) => self.by(10),
            Some(Action::Top) => self.offset = 0,
            Some(Action::Bottom) => self.offset = u16::MAX,
            _ => return false,
        }
        true
    }

    /// Moves for the keys that scroll even while text is typed: the arrows
    /// and the page keys (true if it was one).
    pub fn on_key(&mut self, key: KeyEvent) -> bool {
        let action = match key.code {
            KeyCode::Up => Action::Up,
            KeyCode::Down => Action::Down,
            KeyCode::PageUp => Action::PageUp,
            KeyCode::PageDown => Action::PageDown,
            _ => return false,
        };
        self.on_action(Some(action))
    }
}

/// Draws a bordered popup with `title`: `body` from `scroll` on, `footer`
/// (the answer lines) always in sight below it, and where the scroll is
/// when the body does not fit.
pub fn draw_box(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    body: Vec<Line<'static>>,
    footer: Vec<Line<'static>>,
    scroll: Scroll,
) {
    let body = clean_lines(body);
    let l = box_layout(area, &body, &footer);
    let offset = scroll.offset.min(l.max_scroll);
    let more = if l.max_scroll > 0 {
        format!(" {offset}/{} ", l.max_scroll)
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(
            format!(
                " {} ",
                crate::render::ellipsize(
                    &crate::render::text::clean(title),
                    usize::from(l.rect.width.saturating_sub(4))
                )
            ),
            theme.title(),
        ))
        .title_bottom(Line::from(Span::styled(more, theme.dim())).right_aligned());
    frame.render_widget(Clear, l.rect);
    frame.render_widget(block.style(theme.base()), l.rect);
    frame.render_widget(
        Paragraph::new(body)
            .style(theme.base())
            .wrap(Wrap { trim: false })
            .scroll((offset, 0)),
        l.body,
    );
    frame.render_widget(
        Paragraph::new(footer)
            .style(theme.base())
            .wrap(Wrap { trim: false }),
        l.footer,
    );
}

/// `key` followed by what it does, for the hint lines of popups.
pub fn hint(theme: &Theme, keys: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}

/// `lines` with every span's text cleaned for the terminal (see
/// [`crate::render::text`]), styles kept.
pub fn clean_lines(lines: Vec<Line<'static>>) -> Vec<Line<'static>> {
    lines
        .into_iter()
        .map(|mut line| {
            for span in &mut line.spans {
                if let std::borrow::Cow::Owned(c) = crate::render::text::clean(&span.content) {
                    span.content = c.into();
                }
            }
            line
        })
        .collect()
}

/// Plain lines of text as lines to draw.
pub fn lines(text: &[String]) -> Vec<Line<'static>> {
    text.iter().map(|l| Line::from(l.clone())).collect()
}
