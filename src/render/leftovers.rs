//! The Leftovers view: one row per thing that costs money while nothing
//! runs, with what it costs a month and why it is listed.

use super::instances::money_cell;
use super::{Cell, Column, Row, RowKey, Tone};
use crate::cost::leftovers::{Kind, Leftover, Why};
use crate::cost::{Amount, show};

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "KIND", width: 16, priority: 1 },
    Column { title: "ID", width: 22, priority: 0 },
    Column { title: "REGION", width: 10, priority: 4 },
    Column { title: "$/MONTH", width: 9, priority: 0 },
    Column { title: "WHY", width: 24, priority: 2 },
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

/// Why it is listed, in words (with the command that ends it, where one
/// does).
pub fn why(why: &Why) -> String {
    match why {
        Why::Volume {
            gib,
            volume_type,
            name,
        } => format!(
            "{gib} GiB {volume_type} attached to nothing{}",
            name.as_ref().map(|n| format!(" ({n})")).unwrap_or_default()
        ),
        Why::Image {
            name,
            snapshots,
            gib,
        } => format!(
            "image {name} and its {snapshots} snapshot{} ({gib} GiB at most)",
            if *snapshots == 1 { "" } else { "s" }
        ),
        Why::Snapshot { gib, description } => format!(
            "snapshot of a {gib} GiB volume (at most that much stored){}",
            if description.is_empty() {
                String::new()
            } else {
                format!(": {description}")
            }
        ),
        Why::Address { public_ip } => format!("Elastic IP {public_ip} associated with nothing"),
        Why::IdleInstance {
            name,
            instance_type,
            peak_cpu,
        } => format!(
            "{name} ({instance_type}) runs with its CPU never above {peak_cpu:.1}% in the last 24 h: stop it (skiff stop {name}) or guard it (skiff guard idle {name} --after 1h)"
        ),
        Why::StoppedInstance { name, gib } => format!(
            "{name} is stopped; its {gib} GiB of disks are still billed (terminate it if it is not needed: skiff terminate {name} --confirm {name})"
        ),
        Why::Upload {
            bucket,
            key,
            initiated,
            stored,
        } => format!(
            "unfinished upload of s3://{bucket}/{key} begun{}{}",
            initiated
                .map(|t| format!(" on {}", super::format::date(t)))
                .unwrap_or_default(),
            stored
                .map(|n| format!(
                    ", {} of parts stored",
                    bytesize::ByteSize(n).display().iec()
                ))
                .unwrap_or_default()
        ),
    }
}

/// What removing one did: `deleted volume vol-1: saves $8.00/month`.
pub fn removed(kind: Kind, id: &str, monthly: &Amount, sent: bool) -> String {
    let past = match kind.removal() {
        Some("delete") => "deleted",
        Some("release") => "released",
        _ => "aborted",
    };
    if sent {
        format!(
            "{past} {} {id}: saves {}/month",
            kind.as_str().replace('_', " "),
            show(monthly)
        )
    } else {
        format!("dry run: {id} would be {past}")
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
            Cell::text(why(&l.why)),
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
            why: Why::Snapshot {
                gib: 8,
                description: String::new(),
            },
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
