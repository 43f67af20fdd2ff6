//! The Instances view: one row per EC2 instance.

use chrono::{DateTime, Utc};

use super::{Cell, Column, Row, Tone, format};
use crate::model::{Instance, InstanceState};

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
];

pub fn tone(state: InstanceState) -> Tone {
    match state {
        InstanceState::Running => Tone::Running,
        InstanceState::Stopped => Tone::Stopped,
        InstanceState::Terminated | InstanceState::ShuttingDown => Tone::Terminated,
        InstanceState::Pending | InstanceState::Stopping => Tone::Transitioning,
        InstanceState::Unknown => Tone::Normal,
    }
}

pub fn row(i: &Instance, now: DateTime<Utc>) -> Row {
    let uptime = i.uptime(now);
    Row {
        id: i.id.clone(),
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
                Some(d) => Cell::number(format::duration(d), d.num_seconds()),
                None => Cell::text("-"),
            },
            Cell::opt(i.cluster.as_deref()),
            Cell::text(if i.spot { "spot" } else { "od" }),
            Cell::opt(i.key_name.as_deref()),
        ],
        tone: tone(i.state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;

    #[test]
    fn row_shows_name_state_and_uptime_since_last_start() {
        let now = demo::now();
        let inv = demo::inventory();
        let master = inv
            .instances
            .iter()
            .find(|i| i.name.as_deref() == Some("rnd-master"))
            .expect("demo master");
        let r = row(master, now);
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
        let r = row(stopped, now);
        assert_eq!(r.cells[8].text, "-", "no uptime while stopped");
        assert_eq!(r.cells[6].text, "-", "no public IP while stopped");
        assert_eq!(r.tone, Tone::Stopped);
    }

    #[test]
    fn unnamed_instance_shows_its_id() {
        let mut i = demo::inventory().instances[0].clone();
        i.name = None;
        assert_eq!(row(&i, demo::now()).cells[0].text, i.id);
    }
}
