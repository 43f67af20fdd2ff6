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

/// How close spending is to a budget.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum BudgetLevel {
    /// Under the warning threshold, or no budget set.
    Fine,
    /// At or over `warn_percent` of the budget.
    Warning,
    /// Over the budget.
    Over,
}

/// The level of `spent` against `budget` (a budget of 0 or less is none).
pub fn budget_level(spent: f64, budget: f64, warn_percent: u32) -> BudgetLevel {
    if budget <= 0.0 {
        BudgetLevel::Fine
    } else if spent > budget {
        BudgetLevel::Over
    } else if spent >= budget * f64::from(warn_percent) / 100.0 {
        BudgetLevel::Warning
    } else {
        BudgetLevel::Fine
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budget_levels_at_the_edges() {
        let cases = [
            (0.0, 10.0, BudgetLevel::Fine),
            (7.99, 10.0, BudgetLevel::Fine),
            (8.0, 10.0, BudgetLevel::Warning),
            (10.0, 10.0, BudgetLevel::Warning),
            (10.01, 10.0, BudgetLevel::Over),
            (1e9, 0.0, BudgetLevel::Fine),
        ];
        for (spent, budget, want) in cases {
            assert_eq!(budget_level(spent, budget, 80), want, "{spent} of {budget}");
        }
    }
}
