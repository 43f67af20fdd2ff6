//! A view's table on screen: its state, the rectangle it was laid out in
//! (kept for clicks and paging), and how it is drawn — fitted columns, the
//! sort mark, marks and the selection, or the view's word for why it is
//! empty.

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};
use ratatui::widgets::{Paragraph, Row as TableRow, Table as Grid, Wrap};

use super::table::Table;
use super::theme::Theme;
use crate::render::{self, Column, ellipsize};

#[derive(Debug, Clone, Default)]
pub struct Pane {
    pub table: Table,
    /// Where the table (its column header included) was laid out.
    pub area: Rect,
}

impl Pane {
    pub fn sorted_by_name(columns: &[Column]) -> Self {
        Self {
            table: Table::sorted_by(columns.iter().position(|c| c.title == "NAME")),
            area: Rect::default(),
        }
    }

    /// Lays the table out in `area`: it learns how many rows it shows.
    pub fn place(&mut self, area: Rect) {
        self.area = area;
        self.table
            .set_height(usize::from(area.height.saturating_sub(1)).max(1));
    }

    /// The shown row at screen line `y`, if any (for clicks).
    pub fn row_at(&self, x: u16, y: u16) -> Option<usize> {
        let top = self.area.y + 1;
        if y < top || y >= self.area.y + self.area.height || x >= self.area.x + self.area.width {
            return None;
        }
        let index = self.table.offset() + usize::from(y - top);
        (index < self.table.len()).then_some(index)
    }

    /// Draws the table; `empty` says why there are no rows.
    pub fn draw(&self, frame: &mut Frame, columns: &[Column], theme: &Theme, empty: &str) {
        let area = self.area;
        if area.height == 0 {
            return;
        }
        let table = &self.table;
        let (start, height) = (table.offset(), usize::from(area.height.saturating_sub(1)));
        let shown = table.window(start, height);
        let fitted = render::fit_columns(columns, area.width, &shown);
        let header = TableRow::new(fitted.iter().map(|&(i, _)| {
            let mut title = columns[i].title.to_string();
            if let Some((col, desc)) = table.sort
                && col == i
            {
                title.push(if desc { '↓' } else { '↑' });
            }
            title
        }))
        .style(theme.column_header());
        let widths: Vec<Constraint> = fitted.iter().map(|&(_, w)| Constraint::Length(w)).collect();
        if table.is_empty() {
            let [head, rest] =
                Split::vertical([Constraint::Length(1), Constraint::Min(0)]).areas(area);
            frame.render_widget(
                Grid::new(Vec::<TableRow>::new(), widths).header(header),
                head,
            );
            frame.render_widget(
                Paragraph::new(render::text::clean_lines(empty))
                    .style(theme.dim())
                    .wrap(Wrap { trim: true }),
                rest,
            );
            return;
        }
        let cursor = table.cursor();
        let body: Vec<TableRow> = shown
            .iter()
            .enumerate()
            .map(|(n, r)| {
                let marked = table.marked.contains(&r.key);
                let cells = fitted.iter().enumerate().map(|(k, &(i, w))| {
                    // Shown cleaned; the row's key keeps the exact value.
                    let text = r.cells.get(i).map_or(std::borrow::Cow::Borrowed(""), |c| {
                        render::text::clean(&c.text)
                    });
                    let text = if k == 0 && marked {
                        format!("● {text}")
                    } else {
                        text.to_string()
                    };
                    ellipsize(&text, usize::from(w))
                });
                let style = if cursor == Some(start + n) {
                    theme.tone(r.tone).patch(theme.selected())
                } else {
                    theme.tone(r.tone)
                };
                TableRow::new(cells).style(style)
            })
            .collect();
        frame.render_widget(
            Grid::new(body, widths).header(header).column_spacing(1),
            area,
        );
    }
}
