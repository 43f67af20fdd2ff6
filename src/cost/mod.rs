//! Costs: prices, the journal of state changes, and the arithmetic that
//! turns them into burn rate, cost since start, today and this month.

pub mod cache;
pub mod compute;
pub mod journal;
pub mod prices;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use compute::{
    Amount, Group, InstanceCost, StorageCost, Totals, group_by, show, storage_costs, usd,
};
pub use journal::Journal;
pub use prices::Prices;

use crate::model::Instance;

/// Every instance's cost, and the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub at: DateTime<Utc>,
    pub items: Vec<InstanceCost>,
    pub totals: Totals,
    /// The average burn ($/hour, known parts) of each UTC hour of today so
    /// far; the last entry is the hour in progress.
    pub burn_by_hour: Vec<f64>,
    /// Instance id → its place in `items` (rows look costs up by id).
    #[serde(skip)]
    index: std::collections::HashMap<String, usize>,
}

impl CostReport {
    pub fn item(&self, id: &str) -> Option<&InstanceCost> {
        self.items.get(*self.index.get(id)?)
    }
}

/// Costs every instance at `now`.
pub fn report(
    instances: &[Instance],
    journal: &Journal,
    prices: &Prices,
    now: DateTime<Utc>,
) -> CostReport {
    let day = compute::Window::day(now);
    let hours = usize::try_from((now - day.from).num_hours()).unwrap_or(0) + 1;
    let mut burn_by_hour = vec![0.0; hours];
    let items: Vec<InstanceCost> = instances
        .iter()
        .map(|i| {
            let runs = journal.runs(i, now);
            let since = journal.exists_since(i, now);
            let rates = compute::rates(i, prices);
            for (h, burn) in burn_by_hour.iter_mut().enumerate() {
                let from = day.from + chrono::Duration::hours(i64::try_from(h).unwrap_or(0));
                let to = (from + chrono::Duration::hours(1)).min(now);
                let w = compute::Window { from, to };
                let spent = compute::run_cost(&runs, &w, now, &rates).known_usd
                    + compute::storage_cost(since, &w, now, &rates).known_usd;
                let elapsed_h = (to - from).num_seconds().max(1) as f64 / 3600.0;
                *burn += spent / elapsed_h;
            }
            let input = compute::CostInput {
                instance: i,
                runs: &runs,
                exists_since: since,
            };
            compute::instance_cost(&input, prices, now)
        })
        .collect();
    let totals = compute::totals(&items, now);
    let index = items
        .iter()
        .enumerate()
        .map(|(n, c)| (c.id.clone(), n))
        .collect();
    CostReport {
        at: now,
        items,
        totals,
        burn_by_hour,
        index,
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
    fn burn_by_hour_follows_the_runs() {
        let inv = crate::demo::inventory();
        let r = report(
            &inv.instances,
            &Journal::in_memory(),
            &Prices::embedded(),
            crate::demo::now(),
        );
        // 10:00 UTC: hours 0..=10.
        assert_eq!(r.burn_by_hour.len(), 11);
        // eu-etl started at 02:00, the rnd cluster near 07:30: later hours burn more.
        assert!(
            r.burn_by_hour[1] < r.burn_by_hour[3],
            "{:?}",
            r.burn_by_hour
        );
        assert!(
            r.burn_by_hour[3] < r.burn_by_hour[9],
            "{:?}",
            r.burn_by_hour
        );
        // 09:00-10:00, every running instance ran the whole hour: their rates.
        // (Stopped ones have no journal here, so their past is unknown.)
        let running: f64 = r
            .items
            .iter()
            .filter(|i| i.state == crate::model::InstanceState::Running)
            .map(|i| i.hourly.known_usd)
            .sum();
        assert!(
            (r.burn_by_hour[9] - running).abs() < 1e-3,
            "{:?} vs {running}",
            r.burn_by_hour
        );
    }

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
