//! What a tunnel is and how it is doing, as plain values: what the views
//! render, apart from the supervisor that produces them.

use std::time::Instant;

/// The instance a tunnel reaches (an instance, a Spark master, an EMR master).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TunnelTarget {
    /// What the user asked for, for display (`rnd`, `ds-workbench`).
    pub label: String,
    pub instance_id: String,
    pub region: String,
    /// EMR masters log in as `hadoop`.
    pub emr: bool,
}

/// Where a tunnel is in its life.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TunnelState {
    Connecting,
    Up,
    Retrying {
        attempt: u32,
        next_try_in_secs: u64,
        last_error: String,
    },
    TargetStopped {
        state: String,
    },
    Failed {
        why: String,
    },
    Closed,
}

impl TunnelState {
    pub fn label(&self) -> String {
        match self {
            Self::Connecting => "connecting".into(),
            Self::Up => "up".into(),
            Self::Retrying {
                attempt,
                next_try_in_secs,
                ..
            } => format!("retrying #{attempt} in {next_try_in_secs}s"),
            Self::TargetStopped { state } => format!("target {state}"),
            Self::Failed { .. } => "failed".into(),
            Self::Closed => "closed".into(),
        }
    }
}

/// One forward as it is now.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct ForwardStatus {
    pub name: String,
    pub remote: u16,
    /// The local port in use (may differ from the one asked for).
    pub local: u16,
    pub asked_local: u16,
    pub url: String,
    /// Answered the last HTTP probe.
    pub http_ok: bool,
}

/// Everything a view needs to show a tunnel.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct TunnelStatus {
    pub target: TunnelTarget,
    pub host: String,
    pub user: String,
    pub state: TunnelState,
    pub forwards: Vec<ForwardStatus>,
    /// Reconnections so far.
    pub restarts: u32,
    pub ssh_pid: Option<u32>,
    /// A host key recorded with the user's agreement, to show them.
    pub accepted_fingerprint: Option<String>,
    #[serde(skip)]
    pub up_since: Option<Instant>,
    /// Was up at least once (so the next time up is a reconnection).
    #[serde(skip)]
    pub was_up: bool,
    #[serde(skip)]
    pub created: Instant,
}
