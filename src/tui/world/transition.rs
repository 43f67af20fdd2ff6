//! A node on its way to a new state: what its row says meanwhile.

use std::time::Instant;

use crate::model::InstanceState;

/// A node on its way to a new state, as shown in its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Transition {
    /// "stopping", "starting", … or the failure.
    pub label: String,
    pub target: Option<InstanceState>,
    pub since: Instant,
    pub failed: bool,
}
