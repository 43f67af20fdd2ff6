//! The Tunnels view: one row per tunnel (a host and all its forwards).

use std::time::Instant;

use super::{Cell, Column, Row, Tone, format};
use crate::ops::tunnel::status::{TunnelState, TunnelStatus};

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "TARGET", width: 14, priority: 0 },
    Column { title: "STATE", width: 16, priority: 1 },
    Column { title: "PORTS", width: 24, priority: 2 },
    Column { title: "URL", width: 24, priority: 2 },
    Column { title: "HOST", width: 22, priority: 4 },
    Column { title: "AGE", width: 7, priority: 3 },
    Column { title: "RESTARTS", width: 8, priority: 5 },
];

fn tone(state: &TunnelState) -> Tone {
    match state {
        TunnelState::Up => Tone::Running,
        TunnelState::Connecting | TunnelState::Retrying { .. } => Tone::Transitioning,
        TunnelState::TargetStopped { .. } => Tone::Stopped,
        TunnelState::Failed { .. } | TunnelState::Closed => Tone::Terminated,
    }
}

/// `id` names the row (several tunnels may reach one instance).
pub fn row(id: &str, s: &TunnelStatus, now: Instant) -> Row {
    let ports: Vec<String> = s
        .forwards
        .iter()
        .map(|f| {
            let moved = if f.local != f.asked_local { "*" } else { "" };
            let ok = if s.state == TunnelState::Up && !f.http_ok {
                "?"
            } else {
                ""
            };
            format!("{}{moved}→{}{ok}", f.local, f.remote)
        })
        .collect();
    let age = now.saturating_duration_since(s.created);
    Row {
        key: super::RowKey::Tunnel(id.to_string()),
        cells: vec![
            Cell::text(&s.target.label),
            Cell::text(s.state.label()),
            Cell::text(ports.join(" ")),
            Cell::opt(s.forwards.first().map(|f| f.url.as_str())),
            Cell::text(if s.host.is_empty() {
                "…".to_string()
            } else {
                format!("{}@{}", s.user, s.host)
            }),
            Cell::number(
                format::duration(chrono::Duration::from_std(age).unwrap_or_default()),
                i64::try_from(age.as_secs()).unwrap_or(0),
            ),
            Cell::number(s.restarts.to_string(), i64::from(s.restarts)),
        ],
        tone: tone(&s.state),
    }
}

/// Detail lines of a tunnel.
pub fn details(s: &TunnelStatus) -> Vec<(String, String)> {
    let mut out = vec![
        (
            "Target".to_string(),
            format!("{} ({})", s.target.label, s.target.instance_id),
        ),
        ("Host".to_string(), format!("{}@{}", s.user, s.host)),
        ("State".to_string(), s.state.label()),
    ];
    match &s.state {
        TunnelState::Failed { why } => out.push(("Why".into(), why.clone())),
        TunnelState::Retrying { last_error, .. } => {
            out.push(("Last error".into(), last_error.clone()))
        }
        _ => {}
    }
    out.push((String::new(), "Forwards".into()));
    for f in &s.forwards {
        let moved = if f.local != f.asked_local {
            format!(" ({} was taken)", f.asked_local)
        } else {
            String::new()
        };
        let health = if f.http_ok {
            "answers HTTP"
        } else {
            "no HTTP answer yet"
        };
        out.push((
            f.name.clone(),
            format!("{}{moved} → remote {} · {health}", f.url, f.remote),
        ));
    }
    out.push(("Restarts".into(), s.restarts.to_string()));
    if let Some(pid) = s.ssh_pid {
        out.push(("ssh pid".into(), pid.to_string()));
    }
    out
}
