//! The mouse: a click on a tab opens it, on a row selects it; a double
//! click opens the row (details, a bucket, a folder); the wheel scrolls the
//! table or the popup on top. `general.mouse = false` leaves the mouse to
//! the terminal (text selection).

use std::time::{Duration, Instant};

use crossterm::event::{MouseButton, MouseEvent, MouseEventKind};

use super::app::App;
use crate::config::Action;

/// Two clicks on the same spot within this make a double click.
const DOUBLE_CLICK: Duration = Duration::from_millis(400);

impl App {
    pub fn on_mouse(&mut self, m: MouseEvent) {
        self.handle_mouse(m);
        self.sync();
    }

    fn handle_mouse(&mut self, m: MouseEvent) {
        let (x, y) = (m.column, m.row);
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let delta = if m.kind == MouseEventKind::ScrollUp {
                    -3
                } else {
                    3
                };
                if let Some(top) = self.popups.last_mut() {
                    top.scroll(delta);
                } else {
                    self.pages.table_mut(self.view).scroll_by(delta);
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let double = self
                    .last_click
                    .is_some_and(|(at, cx, cy)| at.elapsed() < DOUBLE_CLICK && cx == x && cy == y);
                self.last_click = Some((Instant::now(), x, y));
                if !self.popups.is_empty() {
                    return;
                }
                let l = &self.layout;
                if y == l.tabs.y {
                    if let Some(&(_, _, view)) = l
                        .tab_hits
                        .iter()
                        .find(|(x0, x1, _)| (*x0..*x1).contains(&x))
                    {
                        self.switch_view(view);
                    }
                    return;
                }
                // The table's first data row is below its column header.
                let top = l.table.y + 1;
                if y < top || y >= l.table.y + l.table.height || x >= l.table.x + l.table.width {
                    return;
                }
                let table = self.pages.table_mut(self.view);
                let index = table.offset() + usize::from(y - top);
                if index >= table.rows().len() {
                    return;
                }
                table.select_index(index);
                if double {
                    self.last_click = None;
                    self.on_action(Action::Details);
                }
            }
            _ => {}
        }
    }
}
