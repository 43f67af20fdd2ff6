//! Costs: prices, the journal of state changes, and the arithmetic that
//! turns them into burn rate, cost since start, today and this month.

pub mod compute;
pub mod journal;
pub mod prices;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use compute::{Amount, Group, InstanceCost, Totals, group_by, show, usd};
pub use journal::Journal;
pub use prices::Prices;

use crate::model::Instance;

/// Every instance's cost, and the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub at: DateTime<Utc>,
    pub items: Vec<InstanceCost>,
    pub totals: Totals,
}

impl CostReport {
    pub fn item(&self, id: &str) -> Option<&InstanceCost> {
        self.items.iter().find(|c| c.id == id)
    }
}

/// Costs every instance at `now`.
pub fn report(
    instances: &[Instance],
    journal: &Journal,
    prices: &Prices,
    now: DateTime<Utc>,
) -> CostReport {
    let items: Vec<InstanceCost> = instances
        .iter()
        .map(|i| {
            let runs = journal.runs(i, now);
            let input = compute::CostInput {
                instance: i,
                runs: &runs,
                exists_since: journal.exists_since(i, now),
            };
            compute::instance_cost(&input, prices, now)
        })
        .collect();
    let totals = compute::totals(&items, now);
    CostReport {
        at: now,
        items,
        totals,
    }
}
