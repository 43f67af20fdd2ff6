//! The Instances view: one row per EC2 instance.

use chrono::{DateTime, Utc};

use super::{Cell, Column, Row, Tone, format};
use crate::cost::{InstanceCost, show};
use crate::model::{Instance, InstanceState};

/// A money cell: sorts by the known amount; `-` when there is none.
pub fn money_cell(a: Option<&crate::cost::Amount>) -> Cell {
    match a {
        Some(a) => Cell::number(show(a), a.known.micros()),
        None => Cell::text("-"),
    }
}

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "NAME", width: 16, priority: 0 },
    Column { title: "ID", width: 19, priority: 4 },
    Column { title: "TYPE", width: 11, priority: 2 },
    Column { title: "STATE", width: 13, priority: 1 },
    Column { title: "REGION", width: 10, priority: 5 },
    Column { title: "AZ", width: 11, priority: 7 },
    Column { title: "PUBLIC IP", width: 15, priority: 3 },
    Column { title: "PRIVATE IP", width: 15, priority: 8 },
    Column { title: "UPTIME", width: 8, priority: 2 },
    Column { title: "CLUSTER", width: 10, priority: 3 },
    Column { title: "MARKET", width: 6, priority: 9 },
    Column { title: "KEY", width: 10, priority: 10 },
    Column { title: "$/H", width: 8, priority: 2 },
    Column { title: "SINCE START", width: 11, priority: 6 },
    Column { title: "GUARD", width: 14, priority: 4 },
];

/// The GUARD cell: what stops it while skiff is closed ("idle 45m · stop
/// 20:00 mon-fri"); empty text for none.
pub fn guard_cell(guard: &str) -> Cell {
    Cell::text(if guard.is_empty() { "-" } else { guard })
}

pub fn tone(state: InstanceState) -> Tone {
    match state {
        InstanceState::Running => Tone::Running,
        InstanceState::Stopped => Tone::Stopped,
        InstanceState::Terminated | InstanceState::ShuttingDown => Tone::Terminated,
        InstanceState::Pending | InstanceState::Stopping => Tone::Transitioning,
        InstanceState::Unknown => Tone::Normal,
    }
}

/// `cost` adds the $/H and SINCE START cells; `remind_after_secs` marks an
/// instance running longer than that with `!` on its uptime; `guard` is
/// what guards it (see [`guard_cell`]).
pub fn row(
    i: &Instance,
    now: DateTime<Utc>,
    cost: Option<&InstanceCost>,
    remind_after_secs: Option<i64>,
    guard: &str,
) -> Row {
    let uptime = i.uptime(now);
    let overdue =
        matches!((uptime, remind_after_secs), (Some(d), Some(limit)) if d.num_seconds() > limit);
    Row {
        key: super::RowKey::instance(&i.id),
        cells: vec![
            Cell::text(i.display_name()),
            Cell::text(&i.id),
            Cell::text(&i.instance_type),
            Cell::text(i.state.as_str()),
            Cell::text(&i.region),
            Cell::opt(i.az.as_deref()),
            Cell::opt(i.public_ip.as_deref()),
            Cell::opt(i.private_ip.as_deref()),
            match uptime {
                Some(d) if overdue => {
                    Cell::number(format!("{}!", format::duration(d)), d.num_seconds())
                }
                Some(d) => Cell::number(format::duration(d), d.num_seconds()),
                None => Cell::text("-"),
            },
            Cell::opt(i.cluster.as_deref()),
            Cell::text(if i.spot { "spot" } else { "od" }),
            Cell::opt(i.key_name.as_deref()),
            // An EMR node's compute and EMR fee are billed in its group
            // (the Clusters and Costs views show them).
            match cost {
                Some(c) if c.emr_cluster.is_some() => {
                    Cell::number("in EMR", c.hourly.known.micros())
                }
                _ => money_cell(cost.map(|c| &c.hourly)),
            },
            match cost {
                Some(c) if c.emr_cluster.is_some() => Cell::text("-"),
                _ => money_cell(cost.and_then(|c| c.since_start.as_ref())),
            },
            guard_cell(guard),
        ],
        tone: tone(i.state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn row_shows_name_state_and_uptime_since_last_start() {
        let now = demo::now();
        let inv = demo::inventory();
        let master = inv
            .instances
            .iter()
            .find(|i| i.name.as_deref() == Some("rnd-master"))
            .expect("demo master");
        let r = row(master, now, None, None, "");
        assert_eq!(r.cells.len(), COLUMNS.len());
        let text: Vec<&str> = r.cells.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(text[0], "rnd-master");
        assert_eq!(text[3], "running");
        assert_eq!(text[8], "2h 30m");
        assert_eq!(text[9], "rnd");
        assert_eq!(r.tone, Tone::Running);
        let stopped = inv
            .instances
            .iter()
            .find(|i| i.state == InstanceState::Stopped)
            .expect("a stopped one");
        let r = row(stopped, now, None, None, "");
        assert_eq!(r.cells[8].text, "-", "no uptime while stopped");
        assert_eq!(r.cells[6].text, "-", "no public IP while stopped");
        assert_eq!(r.tone, Tone::Stopped);
    }

    #[test]
    fn unnamed_instance_shows_its_id() {
        let mut i = demo::inventory().instances[0].clone();
        i.name = None;
        assert_eq!(row(&i, demo::now(), None, None, "").cells[0].text, i.id);
    }
}

#[cfg(test)]
mod cost_tests {
    use super::*;
    use crate::cost::{Prices, report_now};
    use crate::sandbox::world as demo;

    #[test]
    fn cost_cells_and_reminders() {
        let inv = demo::inventory();
        let costs = report_now(&inv, &Prices::embedded(), demo::now());
        let ds = inv
            .instances
            .iter()
            .find(|i| i.display_name() == "ds-workbench")
            .expect("ds");
        let r = row(ds, demo::now(), costs.item(&ds.id), Some(3600), "");
        assert_eq!(r.cells[12].text, "$0.0488", "t3.medium + 20 GiB gp3 + IPv4");
        assert!(r.cells[13].text.starts_with('$'));
        assert_eq!(
            r.cells[8].text, "2h 15m!",
            "running longer than the reminder"
        );
        assert_eq!(
            row(ds, demo::now(), None, Some(86_400), "").cells[8].text,
            "2h 15m"
        );
    }
}
