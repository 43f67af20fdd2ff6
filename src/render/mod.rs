//! Pure renderers: a resource's columns and its row, from a domain value.
//!
//! No terminal types here: a row is text cells with sort values and a tone
//! (what the state means), which the TUI maps to theme colours and the CLI
//! prints as a plain table. Each renderer is table-tested on its own.

pub mod buckets;
pub mod clusters;
pub mod costs;
pub mod details;
pub mod format;
pub mod instances;
pub mod leftovers;
pub mod lifecycle;
pub mod objects;
pub mod text;
pub mod transfers;
pub mod tunnels;

use std::cmp::Ordering;

use crate::lifecycle::Target;

/// A column of a resource table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Column {
    pub title: &'static str,
    /// Width the column wants; it may be given more.
    pub width: u16,
    /// Lower is more important: narrow terminals drop the highest first.
    pub priority: u8,
}

/// What a row's state means, for colouring.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tone {
    Normal,
    Running,
    Stopped,
    Transitioning,
    Terminated,
}

/// One cell: the text shown, and what it sorts by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub text: String,
    /// Numeric sort value (sizes, durations, counts); text sorts otherwise.
    pub number: Option<i64>,
}

impl Cell {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            number: None,
        }
    }

    pub fn number(text: impl Into<String>, number: i64) -> Self {
        Self {
            text: text.into(),
            number: Some(number),
        }
    }

    /// An optional value: "-" when absent.
    pub fn opt(value: Option<&str>) -> Self {
        Self::text(value.unwrap_or("-"))
    }

    /// Orders two cells: numbers numerically, text case-insensitively.
    pub fn compare(&self, other: &Self) -> Ordering {
        match (self.number, other.number) {
            (Some(a), Some(b)) => a.cmp(&b),
            (Some(_), None) => Ordering::Less,
            (None, Some(_)) => Ordering::Greater,
            (None, None) => self.text.to_lowercase().cmp(&other.text.to_lowercase()),
        }
    }
}

/// What a row stands for: a typed key, never a string parsed back. Rows of
/// instances and clusters carry the lifecycle target itself.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum RowKey {
    /// An instance, a Spark cluster or an EMR cluster.
    Resource(Target),
    Bucket(String),
    /// An object of the bucket being browsed, by its full key.
    Object(String),
    /// A folder (common prefix) of the bucket being browsed, ending in `/`.
    Folder(String),
    /// A group of the Costs view (by cluster or tag).
    Group(String),
    /// A bucket's line in the Costs view's storage breakdown.
    Storage(String),
    /// A tunnel of the Tunnels view.
    Tunnel(String),
    /// A transfer of the Transfers view.
    Transfer(u32),
    /// A leftover of the Leftovers view, by its id.
    Leftover(String),
}

impl RowKey {
    pub fn instance(id: &str) -> Self {
        Self::Resource(Target::Instance { id: id.to_string() })
    }

    /// The lifecycle target the row stands for, if any.
    pub fn target(&self) -> Option<&Target> {
        match self {
            Self::Resource(t) => Some(t),
            _ => None,
        }
    }

    /// The instance id of an instance row.
    pub fn instance_id(&self) -> Option<&str> {
        match self {
            Self::Resource(Target::Instance { id }) => Some(id),
            _ => None,
        }
    }

    /// The key of an object or folder row.
    pub fn object_key(&self) -> Option<&str> {
        match self {
            Self::Object(k) | Self::Folder(k) => Some(k),
            _ => None,
        }
    }
}

/// A rendered row: a stable key (for keeping the selection across
/// refreshes), the cells in column order, and its tone.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Row {
    pub key: RowKey,
    pub cells: Vec<Cell>,
    pub tone: Tone,
}

impl Row {
    /// Case-insensitive match of `needle` (already lower-case) in one of the
    /// given columns' cells.
    pub fn matches(&self, needle_lower: &str, columns: &[usize]) -> bool {
        columns
            .iter()
            .filter_map(|&i| self.cells.get(i))
            .any(|c| c.text.to_lowercase().contains(needle_lower))
    }
}

/// A user's filter: case-insensitive substring over the cells of the columns
/// on screen (hidden columns and tags never match, so what matched is
/// visible); a leading `!` keeps the rows that do not match instead.
pub fn filter_accepts(filter: &str, row: &Row, columns: &[usize]) -> bool {
    let (invert, needle) = match filter.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, filter),
    };
    if needle.is_empty() {
        return true;
    }
    row.matches(&needle.to_lowercase(), columns) != invert
}

/// What a cell sorts by, computed once per row: numbers before text, text
/// without case (the order of [`Cell::compare`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum SortKey {
    Number(i64),
    Text(String),
    Missing,
}

impl SortKey {
    pub fn of(cell: Option<&Cell>) -> Self {
        match cell {
            Some(Cell {
                number: Some(n), ..
            }) => Self::Number(*n),
            Some(c) => Self::Text(c.text.to_lowercase()),
            None => Self::Missing,
        }
    }
}

/// The text a filter looks in: the cells of `columns`, lower-cased, with a
/// separator no typed filter holds (so a match never spans two cells).
pub fn filter_text(row: &Row, columns: &[usize]) -> String {
    let mut out = String::new();
    for &i in columns {
        if let Some(c) = row.cells.get(i) {
            out.push_str(&c.text.to_lowercase());
            out.push('\u{1f}');
        }
    }
    out
}

/// Whether `filter` keeps a row whose [`filter_text`] is `text`.
pub fn filter_keeps(filter: &str, text: &str) -> bool {
    let (invert, needle) = match filter.strip_prefix('!') {
        Some(rest) => (true, rest),
        None => (false, filter),
    };
    needle.is_empty() || text.contains(&needle.to_lowercase()) != invert
}

/// Sorts rows by a column; ties keep the renderer's order (stable sort).
pub fn sort_rows(rows: &mut [Row], column: usize, descending: bool) {
    rows.sort_by(|a, b| {
        let ord = match (a.cells.get(column), b.cells.get(column)) {
            (Some(x), Some(y)) => x.compare(y),
            _ => Ordering::Equal,
        };
        if descending { ord.reverse() } else { ord }
    });
}

/// Which columns fit in `width` (one space between columns), dropping the
/// least important first: once a column does not fit, no less important one
/// is shown either, so what a user sees never skips a priority. The result
/// keeps the columns' original order.
pub fn visible_columns(columns: &[Column], width: u16) -> Vec<usize> {
    let mut order: Vec<usize> = (0..columns.len()).collect();
    order.sort_by_key(|&i| (columns[i].priority, i));
    let mut chosen = Vec::new();
    let mut used: u32 = 0;
    for i in order {
        let need = u32::from(columns[i].width) + u32::from(!chosen.is_empty());
        if used + need > u32::from(width) && !chosen.is_empty() {
            break;
        }
        used += need;
        chosen.push(i);
    }
    chosen.sort_unstable();
    chosen
}

/// The width each visible column gets: every column chosen by
/// [`visible_columns`] at least its own width, and the room left over given
/// to the columns whose cells are wider than that (in order of importance,
/// each up to its widest cell), so wide terminals show what narrow ones cut.
pub fn fit_columns(columns: &[Column], width: u16, rows: &[&Row]) -> Vec<(usize, u16)> {
    let visible = visible_columns(columns, width);
    let mut fitted: Vec<(usize, u16)> = visible.iter().map(|&i| (i, columns[i].width)).collect();
    let used: u32 = fitted.iter().map(|(_, w)| u32::from(*w)).sum::<u32>()
        + u32::try_from(fitted.len().saturating_sub(1)).unwrap_or(0);
    let mut spare = u32::from(width).saturating_sub(used);
    let widest = |i: usize| -> u16 {
        let cells = rows
            .iter()
            .filter_map(|r| r.cells.get(i))
            .map(|c| text::width(&c.text));
        let title = columns[i].title.chars().count() + 1;
        u16::try_from(cells.chain([title]).max().unwrap_or(0)).unwrap_or(u16::MAX)
    };
    let mut order: Vec<usize> = (0..fitted.len()).collect();
    order.sort_by_key(|&n| (columns[fitted[n].0].priority, fitted[n].0));
    for n in order {
        if spare == 0 {
            break;
        }
        let (i, w) = fitted[n];
        let want = u32::from(widest(i).saturating_sub(w));
        let give = want.min(spare);
        fitted[n].1 = w.saturating_add(u16::try_from(give).unwrap_or(u16::MAX));
        spare -= give;
    }
    fitted
}

/// `text` cut to `width` terminal columns (wide characters take two), the
/// cut marked with `…`.
pub fn ellipsize(text: &str, width: usize) -> String {
    use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};
    if UnicodeWidthStr::width(text) <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let mut out = String::new();
    let mut used = 0;
    for c in text.chars() {
        let w = UnicodeWidthChar::width(c).unwrap_or(0);
        if used + w > width - 1 {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    out
}

/// `text` cut to `width` characters from the left (for paths, whose end
/// matters most), the cut marked with `…`.
pub fn ellipsize_left(text: &str, width: usize) -> String {
    let n = text.chars().count();
    if n <= width {
        return text.to_string();
    }
    if width == 0 {
        return String::new();
    }
    let tail: String = text.chars().skip(n - (width - 1)).collect();
    format!("…{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(cells: &[&str]) -> Row {
        Row {
            key: RowKey::Group(cells.join("|")),
            cells: cells.iter().map(|c| Cell::text(*c)).collect(),
            tone: Tone::Normal,
        }
    }

    #[test]
    fn filter_is_case_insensitive_and_bang_inverts() {
        let r = row(&["rnd-master", "m5.xlarge", "running"]);
        for (filter, want) in [
            ("", true),
            ("RND", true),
            ("xlarge", true),
            ("stopped", false),
            ("!stopped", true),
            ("!rnd", false),
            ("!", true),
        ] {
            assert_eq!(
                filter_accepts(filter, &r, &[0, 1, 2]),
                want,
                "filter {filter:?}"
            );
        }
        assert!(
            !filter_accepts("xlarge", &r, &[0, 2]),
            "a hidden column never matches"
        );
    }

    #[test]
    fn numbers_sort_numerically_and_text_ignores_case() {
        let mut rows = vec![
            Row {
                key: RowKey::Group("a".into()),
                cells: vec![Cell::number("10 GiB", 10)],
                tone: Tone::Normal,
            },
            Row {
                key: RowKey::Group("b".into()),
                cells: vec![Cell::number("9 GiB", 9)],
                tone: Tone::Normal,
            },
            Row {
                key: RowKey::Group("c".into()),
                cells: vec![Cell::text("-")],
                tone: Tone::Normal,
            },
        ];
        sort_rows(&mut rows, 0, false);
        let ids: Vec<RowKey> = rows.iter().map(|r| r.key.clone()).collect();
        let group = |s: &str| RowKey::Group(s.into());
        assert_eq!(ids, [group("b"), group("a"), group("c")]);
        sort_rows(&mut rows, 0, true);
        assert_eq!(rows[0].key, group("c"));
        let mut rows = vec![row(&["beta"]), row(&["Alpha"]), row(&["alpha2"])];
        sort_rows(&mut rows, 0, false);
        assert_eq!(rows[0].cells[0].text, "Alpha");
    }

    #[test]
    fn narrow_widths_drop_low_priority_columns_first() {
        let col = |title, width, priority| Column {
            title,
            width,
            priority,
        };
        let cols = [
            col("NAME", 10, 0),
            col("EXTRA", 10, 5),
            col("STATE", 8, 1),
            col("TINY", 1, 6),
        ];
        assert_eq!(visible_columns(&cols, 100), vec![0, 1, 2, 3]);
        assert_eq!(
            visible_columns(&cols, 20),
            vec![0, 2],
            "TINY would fit, but EXTRA, more important, did not"
        );
        assert_eq!(
            visible_columns(&cols, 5),
            vec![0],
            "the first column always shows"
        );
    }

    #[test]
    fn wide_terminals_give_spare_room_to_the_columns_that_need_it() {
        let cols = [
            Column {
                title: "NAME",
                width: 8,
                priority: 0,
            },
            Column {
                title: "DNS",
                width: 10,
                priority: 2,
            },
            Column {
                title: "STATE",
                width: 7,
                priority: 1,
            },
        ];
        let r = |a: &str, b: &str, c: &str| Row {
            key: RowKey::Group(a.into()),
            cells: vec![Cell::text(a), Cell::text(b), Cell::text(c)],
            tone: Tone::Normal,
        };
        let row = r("rnd", "ec2-54-1-2-3.compute-1.amazonaws.com", "running");
        let rows = [&row];
        // Narrow: declared widths only, the least important dropped first.
        assert_eq!(fit_columns(&cols, 17, &rows), vec![(0, 8), (2, 7)]);
        // Wide: the DNS column grows to its content, nothing else needs room.
        let wide = fit_columns(&cols, 120, &rows);
        assert_eq!(wide, vec![(0, 8), (1, 36), (2, 7)]);
        // In between: what is spare, and no more.
        let mid = fit_columns(&cols, 40, &rows);
        let total: u16 = mid.iter().map(|(_, w)| w).sum::<u16>() + 2;
        assert_eq!(total, 40, "{mid:?}");
    }

    #[test]
    fn cut_text_is_marked() {
        assert_eq!(ellipsize("i-0123456789abcdef0", 10), "i-0123456…");
        assert_eq!(ellipsize("short", 10), "short");
        assert_eq!(ellipsize("ab", 1), "…");
        assert_eq!(
            ellipsize_left("s3://rnd-datasets/raw/2026/", 12),
            "…s/raw/2026/"
        );
        assert_eq!(ellipsize_left("s3://b/", 12), "s3://b/");
    }
}
