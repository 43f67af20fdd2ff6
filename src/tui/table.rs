//! The state every page's table has: filter, sort, marks, the selection
//! (kept by row key, so a refresh or a re-sort never moves it), the scroll
//! offset, and the rows as shown — filtered and sorted once, recomputed only
//! when the page's data, the filter, the sort or the visible columns change.

use std::collections::BTreeSet;

use crate::render::{self, Column, Row, RowKey};

/// What the cached rows were made from.
#[derive(Debug, Clone, PartialEq, Eq)]
struct CacheKey {
    version: u64,
    filter: String,
    sort: Option<(usize, bool)>,
    visible: Vec<usize>,
}

#[derive(Debug, Clone, Default)]
pub struct Table {
    pub filter: String,
    /// Column index and descending flag.
    pub sort: Option<(usize, bool)>,
    pub marked: BTreeSet<RowKey>,
    /// The row the user chose, by key.
    selected: Option<RowKey>,
    /// Its index among the shown rows.
    cursor: usize,
    /// The first row on screen.
    offset: usize,
    /// Rows that fit on screen (set by the layout pass).
    height: usize,
    /// The user moved the selection; until then it stays on the first row
    /// while data arrives.
    moved: bool,
    /// Every row, as made from the page's data, and the version it is of.
    source: Vec<Row>,
    source_version: Option<u64>,
    /// Each row's filter text for the visible columns, made when a filter
    /// is typed (and kept while only the filter changes).
    lowered: Vec<String>,
    lowered_for: Option<Vec<usize>>,
    /// The shown rows: indices into `source`, filtered and sorted.
    shown: Vec<usize>,
    key: Option<CacheKey>,
    /// Times the rows were made from the data (the benchmark and tests read it).
    pub rebuilds: u64,
    /// Times they were filtered and sorted again.
    pub reorders: u64,
}

impl Table {
    pub fn sorted_by(column: Option<usize>) -> Self {
        Self {
            sort: column.map(|c| (c, false)),
            ..Self::default()
        }
    }

    /// Brings the shown rows up to date: `source` is called only when the
    /// data changed (a new `version`); filtering (over the visible columns)
    /// and sorting run only when the filter, the sort or the visible
    /// columns changed, on text and sort keys made once per row. Then the
    /// selection is found again by key.
    pub fn refresh(
        &mut self,
        version: u64,
        columns: &[Column],
        width: u16,
        source: impl FnOnce() -> Vec<Row>,
    ) {
        let visible = render::visible_columns(columns, width);
        if self.source_version != Some(version) {
            self.source = source();
            self.source_version = Some(version);
            self.lowered_for = None;
            self.key = None;
            self.rebuilds += 1;
        }
        let key = CacheKey {
            version,
            filter: self.filter.clone(),
            sort: self.sort,
            visible,
        };
        if self.key.as_ref() == Some(&key) {
            return;
        }
        let mut shown: Vec<usize> = (0..self.source.len()).collect();
        if !self.filter.is_empty() {
            if self.lowered_for.as_ref() != Some(&key.visible) {
                self.lowered = self
                    .source
                    .iter()
                    .map(|r| render::filter_text(r, &key.visible))
                    .collect();
                self.lowered_for = Some(key.visible.clone());
            }
            shown.retain(|&i| render::filter_keeps(&self.filter, &self.lowered[i]));
        }
        if let Some((col, desc)) = self.sort {
            let mut keyed: Vec<(render::SortKey, usize)> = shown
                .iter()
                .map(|&i| (render::SortKey::of(self.source[i].cells.get(col)), i))
                .collect();
            keyed.sort_by(|a, b| {
                let ord = a.0.cmp(&b.0);
                if desc { ord.reverse() } else { ord }
            });
            shown = keyed.into_iter().map(|(_, i)| i).collect();
        }
        self.shown = shown;
        self.key = Some(key);
        self.reorders += 1;
        self.reselect();
    }

    /// Forget the cached rows (the next refresh makes them again).
    pub fn invalidate(&mut self) {
        self.key = None;
        self.source_version = None;
    }

    fn reselect(&mut self) {
        if self.shown.is_empty() {
            self.cursor = 0;
            self.offset = 0;
            return;
        }
        let last = self.shown.len() - 1;
        let found = self
            .selected
            .as_ref()
            .filter(|_| self.moved)
            .and_then(|k| self.shown.iter().position(|&i| &self.source[i].key == k));
        // The chosen row went away (filtered out, terminated): stay near it.
        self.cursor = found.unwrap_or(if self.moved { self.cursor.min(last) } else { 0 });
        self.selected = Some(self.source[self.shown[self.cursor]].key.clone());
        self.clamp_offset();
    }

    /// The rows as shown: filtered and sorted.
    pub fn rows(&self) -> Vec<&Row> {
        self.shown.iter().map(|&i| &self.source[i]).collect()
    }

    /// How many rows are shown.
    pub fn len(&self) -> usize {
        self.shown.len()
    }

    pub fn is_empty(&self) -> bool {
        self.shown.is_empty()
    }

    /// The shown rows from `start`, at most `n` of them (what is on screen).
    pub fn window(&self, start: usize, n: usize) -> Vec<&Row> {
        self.shown
            .iter()
            .skip(start)
            .take(n)
            .map(|&i| &self.source[i])
            .collect()
    }

    /// Rows before the filter.
    pub fn total(&self) -> usize {
        self.source.len()
    }

    pub fn selected(&self) -> Option<&Row> {
        self.shown.get(self.cursor).map(|&i| &self.source[i])
    }

    pub fn cursor(&self) -> Option<usize> {
        (!self.shown.is_empty()).then_some(self.cursor)
    }

    /// The first row on screen.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// Rows that fit on screen; the offset follows so the selection stays
    /// visible and no blank space is left below rows that exist (a table
    /// made taller after a small terminal shows its first rows again).
    pub fn set_height(&mut self, height: usize) {
        self.height = height.max(1);
        self.clamp_offset();
    }

    pub fn height(&self) -> usize {
        self.height
    }

    fn clamp_offset(&mut self) {
        let h = self.height.max(1);
        let len = self.shown.len();
        if self.cursor < self.offset {
            self.offset = self.cursor;
        }
        if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(len.saturating_sub(h));
    }

    /// Moves the selection by `delta` rows (clamped to the ends).
    pub fn move_by(&mut self, delta: isize) {
        if self.shown.is_empty() {
            return;
        }
        let last = self.shown.len() - 1;
        let next = if delta < 0 {
            self.cursor.saturating_sub(delta.unsigned_abs())
        } else {
            self.cursor.saturating_add(delta.unsigned_abs()).min(last)
        };
        self.select_index(next);
    }

    pub fn select_index(&mut self, index: usize) {
        if let Some(&i) = self.shown.get(index) {
            self.cursor = index;
            self.selected = Some(self.source[i].key.clone());
            self.moved = true;
            self.clamp_offset();
        }
    }

    /// Scrolls the view by `delta` rows without moving past the ends; the
    /// selection comes along when it would leave the screen.
    pub fn scroll_by(&mut self, delta: isize) {
        let max = self.shown.len().saturating_sub(self.height.max(1));
        self.offset = if delta < 0 {
            self.offset.saturating_sub(delta.unsigned_abs())
        } else {
            self.offset.saturating_add(delta.unsigned_abs()).min(max)
        };
        let h = self.height.max(1);
        let inside = self.cursor.clamp(self.offset, self.offset + h - 1);
        if inside != self.cursor && !self.shown.is_empty() {
            self.cursor = inside.min(self.shown.len() - 1);
            self.selected = Some(self.source[self.shown[self.cursor]].key.clone());
            self.moved = true;
        }
    }

    /// Selects the row with `key` once it is listed (a folder just left,
    /// when its parent's listing arrives).
    pub fn select_key_when_listed(&mut self, key: RowKey) {
        self.selected = Some(key);
        self.moved = true;
        self.cursor = 0;
        self.invalidate();
    }

    /// Forget the user's choice: the selection goes back to the first row.
    pub fn reset_selection(&mut self) {
        self.moved = false;
        self.cursor = 0;
        self.offset = 0;
        self.selected = None;
    }

    /// Marks or unmarks the selected row.
    pub fn toggle_mark(&mut self) {
        if let Some(key) = self.selected().map(|r| r.key.clone())
            && !self.marked.remove(&key)
        {
            self.marked.insert(key);
        }
    }

    /// The marked rows, else the selected one.
    pub fn chosen(&self) -> Vec<RowKey> {
        if self.marked.is_empty() {
            self.selected()
                .map(|r| vec![r.key.clone()])
                .unwrap_or_default()
        } else {
            self.marked.iter().cloned().collect()
        }
    }

    /// The next sort: the next visible column (hidden ones would sort with
    /// nothing on screen to show it), then none.
    pub fn next_sort(&mut self, columns: &[Column], width: u16) {
        let visible = render::visible_columns(columns, width);
        self.sort = match self.sort {
            None => visible.first().map(|&c| (c, false)),
            Some((c, _)) => visible.iter().find(|&&v| v > c).map(|&v| (v, false)),
        };
    }

    pub fn reverse_sort(&mut self) {
        self.sort = Some(match self.sort {
            Some((c, desc)) => (c, !desc),
            None => (0, true),
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::render::{Cell, Tone};

    const COLS: &[Column] = &[
        Column {
            title: "NAME",
            width: 10,
            priority: 0,
        },
        Column {
            title: "SIZE",
            width: 6,
            priority: 1,
        },
        Column {
            title: "WHERE",
            width: 30,
            priority: 9,
        },
    ];

    fn rows(n: usize) -> Vec<Row> {
        (0..n)
            .map(|i| Row {
                key: RowKey::Group(format!("r{i:03}")),
                cells: vec![
                    Cell::text(format!("r{i:03}")),
                    Cell::number(format!("{}", n - i), (n - i) as i64),
                    Cell::text("x"),
                ],
                tone: Tone::Normal,
            })
            .collect()
    }

    #[test]
    fn rows_are_rebuilt_only_when_what_they_depend_on_changes() {
        let mut t = Table::sorted_by(Some(0));
        for _ in 0..3 {
            t.refresh(1, COLS, 80, || rows(10));
        }
        assert_eq!(
            (t.rebuilds, t.reorders),
            (1, 1),
            "same data, filter, sort and width"
        );
        t.filter = "r00".into();
        t.refresh(1, COLS, 80, || panic!("a new filter needs no new rows"));
        assert_eq!((t.rebuilds, t.reorders, t.len(), t.total()), (1, 2, 10, 10));
        t.refresh(2, COLS, 80, || rows(20));
        assert_eq!((t.rebuilds, t.reorders, t.len()), (2, 3, 10));
        t.refresh(2, COLS, 20, || panic!("other columns need no new rows"));
        assert_eq!(
            t.reorders, 4,
            "other visible columns: the filter may match otherwise"
        );
    }

    #[test]
    fn the_selection_follows_its_row_through_a_resort() {
        let mut t = Table::sorted_by(Some(0));
        t.set_height(5);
        t.refresh(1, COLS, 80, || rows(10));
        t.move_by(3);
        assert_eq!(
            t.selected().map(|r| r.cells[0].text.clone()).as_deref(),
            Some("r003")
        );
        t.sort = Some((1, false)); // by size: reversed order
        t.refresh(1, COLS, 80, || rows(10));
        assert_eq!(
            t.selected().map(|r| r.cells[0].text.clone()).as_deref(),
            Some("r003")
        );
        assert_eq!(t.cursor(), Some(6));
    }

    #[test]
    fn growing_the_table_after_a_small_terminal_shows_the_first_rows_again() {
        let mut t = Table::sorted_by(Some(0));
        t.set_height(2);
        t.refresh(1, COLS, 80, || rows(10));
        t.move_by(9);
        assert_eq!(t.offset(), 8);
        t.move_by(-9);
        t.set_height(2);
        assert_eq!(t.offset(), 0);
        t.move_by(5);
        t.set_height(20);
        assert_eq!(t.offset(), 0, "everything fits: nothing is scrolled away");
    }

    #[test]
    fn sorting_cycles_the_visible_columns_only() {
        let mut t = Table::sorted_by(None);
        t.next_sort(COLS, 20); // WHERE (30 wide) does not fit
        assert_eq!(t.sort, Some((0, false)));
        t.next_sort(COLS, 20);
        assert_eq!(t.sort, Some((1, false)));
        t.next_sort(COLS, 20);
        assert_eq!(t.sort, None);
    }

    #[test]
    fn marks_are_chosen_over_the_selection() {
        let mut t = Table::sorted_by(Some(0));
        t.refresh(1, COLS, 80, || rows(3));
        assert_eq!(t.chosen(), vec![RowKey::Group("r000".into())]);
        t.toggle_mark();
        t.move_by(2);
        t.toggle_mark();
        assert_eq!(t.chosen().len(), 2);
        t.marked.clear();
        assert_eq!(t.chosen(), vec![RowKey::Group("r002".into())]);
    }
}
