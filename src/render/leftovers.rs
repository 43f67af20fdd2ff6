//! The Leftovers view: one row per thing that costs money while nothing
//! runs, with what it costs a month and why it is listed.

use super::instances::money_cell;
use super::{Cell, Column, Row, RowKey, Tone};
use crate::cost::leftovers::{Kind, Leftover};

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "KIND", width: 16, priority: 1 },
    Column { title: "ID", width: 22, priority: 0 },
    Column { title: "REGION", width: 10, priority: 4 },
    Column { title: "$/MONTH", width: 9, priority: 0 },
    Column { title: "WHY", width: 50, priority: 2 },
];

pub fn kind_label(kind: Kind) -> &'static str {
    match kind {
        Kind::Volume => "volume",
        Kind::Snapshot => "snapshot",
        Kind::Address => "elastic ip",
        Kind::MultipartUpload => "upload",
        Kind::Image => "image",
        Kind::StoppedInstance => "stopped instance",
        Kind::IdleInstance => "idle instance",
    }
}

pub fn row(l: &Leftover) -> Row {
    let mut money = money_cell(Some(&l.monthly));
    if l.at_most {
        money.text = format!("≤{}", money.text);
    }
    Row {
        key: RowKey::Leftover(l.id.clone()),
        cells: vec![
            Cell::text(kind_label(l.kind)),
            Cell::text(&l.id),
            Cell::text(&l.region),
            money,
            Cell::text(&l.detail),
        ],
        tone: match l.kind {
            Kind::IdleInstance => Tone::Running,
            Kind::StoppedInstance => Tone::Stopped,
            _ => Tone::Normal,
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{Amount, Money};

    #[test]
    fn a_leftover_row_says_what_it_costs_and_marks_upper_bounds() {
        let l = Leftover {
            kind: Kind::Snapshot,
            id: "snap-1".into(),
            region: "us-east-1".into(),
            monthly: Amount::known(Money::parse("0.4").expect("n")),
            at_most: true,
            detail: "snapshot of a 8 GiB volume".into(),
            object: None,
        };
        let r = row(&l);
        assert_eq!(r.cells.len(), COLUMNS.len());
        assert_eq!(r.cells[3].text, "≤$0.4000");
        assert_eq!(r.key, RowKey::Leftover("snap-1".into()));
        let unknown = Leftover {
            monthly: Amount::unknown("no price"),
            at_most: false,
            ..l
        };
        assert_eq!(row(&unknown).cells[3].text, "?");
    }
}
