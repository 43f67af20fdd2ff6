//! The Buckets view: one row per S3 bucket.

use super::{Cell, Column, Row, Tone, format};
use crate::model::Bucket;

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "NAME", width: 30, priority: 0 },
    Column { title: "REGION", width: 14, priority: 1 },
    Column { title: "CREATED", width: 16, priority: 2 },
];

pub fn row(b: &Bucket) -> Row {
    Row {
        key: super::RowKey::Bucket(b.name.clone()),
        cells: vec![
            Cell::text(&b.name),
            Cell::text(b.region.as_deref().unwrap_or("unknown")),
            match b.created {
                Some(t) => Cell::number(format::timestamp(t), t.timestamp()),
                None => Cell::text("-"),
            },
        ],
        tone: Tone::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn bucket_row_shows_region_or_unknown() {
        let mut b = demo::inventory().buckets[0].clone();
        let r = row(&b);
        assert_eq!(r.cells[0].text, b.name);
        assert_ne!(r.cells[1].text, "unknown");
        b.region = None;
        assert_eq!(row(&b).cells[1].text, "unknown");
    }
}
