//! The bucket browser: folders first, then objects, named relative to the
//! prefix being browsed.

use super::{Cell, Column, Row, Tone, format};
use crate::model::ObjectEntry;

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "NAME", width: 36, priority: 0 },
    Column { title: "SIZE", width: 10, priority: 1 },
    Column { title: "MODIFIED", width: 16, priority: 2 },
    Column { title: "CLASS", width: 12, priority: 3 },
];

pub fn row(e: &ObjectEntry, prefix: &str) -> Row {
    let name = e.key.strip_prefix(prefix).unwrap_or(&e.key);
    Row {
        key: if e.folder {
            super::RowKey::Folder(e.key.clone())
        } else {
            super::RowKey::Object(e.key.clone())
        },
        cells: vec![
            // Folders sort before files by name: a leading space-free marker
            // is not needed, the renderer lists them first.
            Cell::text(name),
            if e.folder {
                Cell::number("DIR", -1)
            } else {
                Cell::number(
                    bytesize::ByteSize(e.size).to_string(),
                    i64::try_from(e.size).unwrap_or(i64::MAX),
                )
            },
            match e.last_modified {
                Some(t) => Cell::number(format::timestamp(t), t.timestamp()),
                None => Cell::text("-"),
            },
            Cell::opt(e.storage_class.as_deref()),
        ],
        tone: if e.folder {
            Tone::Running
        } else {
            Tone::Normal
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_relative_and_folders_say_so() {
        let f = ObjectEntry {
            key: "raw/2026/".into(),
            folder: true,
            size: 0,
            last_modified: None,
            storage_class: None,
        };
        let r = row(&f, "raw/");
        assert_eq!(
            (r.cells[0].text.as_str(), r.cells[1].text.as_str()),
            ("2026/", "DIR")
        );
        let o = ObjectEntry {
            key: "raw/a.csv".into(),
            folder: false,
            size: 2048,
            last_modified: None,
            storage_class: Some("STANDARD".into()),
        };
        let r = row(&o, "raw/");
        assert_eq!(r.cells[0].text, "a.csv");
        assert_eq!(r.cells[1].number, Some(2048));
    }
}
