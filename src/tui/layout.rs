//! Where everything goes on a screen of a given size: computed once before
//! each frame (and kept, so the mouse knows what was clicked and paging
//! knows how many rows a page is); drawing then only reads it.

use ratatui::layout::{Constraint, Layout as Split, Rect};

use super::app::{App, ViewKind};

#[derive(Debug, Clone)]
pub struct Layout {
    pub width: u16,
    pub height: u16,
    pub header: Rect,
    pub tabs: Rect,
    /// Command completions, above the footer.
    pub completions: Option<Rect>,
    /// The Costs view's burn chart.
    pub chart: Option<Rect>,
    /// The Transfers view's gauge of all bytes.
    pub gauge: Option<Rect>,
    /// The table, its column header included.
    pub table: Rect,
    pub footer: Rect,
    pub table_width: u16,
    /// Data rows that fit below the column header.
    pub table_rows: usize,
    /// Each tab's columns on the tabs line, for clicks.
    pub tab_hits: Vec<(u16, u16, ViewKind)>,
}

impl Default for Layout {
    fn default() -> Self {
        compute_areas(120, 40, 1, false, false, false)
    }
}

/// The footer's height: one line, or up to three for a notification too
/// long for one (so the remedy at its end is not cut off).
fn footer_height(app: &App, width: u16, height: u16) -> u16 {
    if app.input.is_some() || height < 10 {
        return 1;
    }
    let Some(n) = app.current_notification() else {
        return 1;
    };
    let len = n.text.chars().count() + 8;
    let lines = len.div_ceil(usize::from(width.max(1)));
    u16::try_from(lines.clamp(1, 3)).unwrap_or(1)
}

fn compute_areas(
    width: u16,
    height: u16,
    footer: u16,
    completions: bool,
    chart: bool,
    gauge: bool,
) -> Layout {
    let area = Rect::new(0, 0, width, height);
    let [header, tabs, body, footer] = Split::vertical([
        Constraint::Length(1),
        Constraint::Length(1),
        Constraint::Min(0),
        Constraint::Length(footer.min(height.saturating_sub(2)).max(1)),
    ])
    .areas(area);
    let mut body = body;
    let take_bottom = |on: bool, h: u16, body: &mut Rect| -> Option<Rect> {
        if !on || body.height <= h + 1 {
            return None;
        }
        let [rest, bottom] =
            Split::vertical([Constraint::Min(0), Constraint::Length(h)]).areas(*body);
        *body = rest;
        Some(bottom)
    };
    let completions = take_bottom(completions, 1, &mut body);
    let gauge = take_bottom(gauge, 1, &mut body);
    let chart = if chart && body.height > 8 {
        let [chart, rest] =
            Split::vertical([Constraint::Length(3), Constraint::Min(0)]).areas(body);
        body = rest;
        Some(chart)
    } else {
        None
    };
    Layout {
        width,
        height,
        header,
        tabs,
        completions,
        chart,
        gauge,
        table: body,
        footer,
        table_width: body.width,
        table_rows: usize::from(body.height.saturating_sub(1)).max(1),
        tab_hits: Vec::new(),
    }
}

/// The layout of `app` on a `width`×`height` screen.
pub fn compute(app: &App, width: u16, height: u16) -> Layout {
    let completions = !app.completions().is_empty();
    let chart = app.view == ViewKind::Costs
        && app
            .costs
            .as_ref()
            .is_some_and(|r| !r.burn_by_hour.is_empty());
    let gauge = app.view == ViewKind::Transfers && !app.pages.transfers.list.is_empty();
    let mut layout = compute_areas(
        width,
        height,
        footer_height(app, width, height),
        completions,
        chart,
        gauge,
    );
    layout.tab_hits = super::ui::tabs_line(app, width).1;
    layout
}

impl App {
    /// Lays the app out for a `width`×`height` screen before a frame: the
    /// current page learns how many rows it shows (and rebuilds its rows if
    /// the width changed which columns fit), popups fit themselves.
    pub fn lay_out(&mut self, width: u16, height: u16) {
        self.layout = compute(self, width, height);
        let rows = self.layout.table_rows;
        self.pages.table_mut(self.view).set_height(rows);
        self.sync();
        let area = Rect::new(0, 0, width, height);
        for p in &mut self.popups {
            p.layout(area, &self.theme);
        }
    }
}
