//! Costs: prices, the ledger of billed intervals, and the arithmetic that
//! turns them into burn rate, cost since start, today and this month.

pub mod cache;
pub mod compute;
pub mod ledger;
pub mod ledger_file;
pub mod leftovers;
pub mod money;
pub mod prices;

use chrono::{DateTime, Utc};
use serde::Serialize;

pub use compute::{Group, InstanceCost, StorageCost, Totals, group_by, storage_costs};
pub use ledger::{Book, Did, Kind, Window};
pub use ledger_file::Ledger;
pub use money::{Amount, Money, show, usd};
pub use prices::Prices;

use crate::model::Inventory;

/// Every resource's cost, and the totals.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CostReport {
    pub at: DateTime<Utc>,
    /// The latest evidence the figures rest on (the last listing or action).
    pub as_of: Option<DateTime<Utc>>,
    pub items: Vec<InstanceCost>,
    pub totals: Totals,
    /// The average burn ($/hour) of each UTC hour of today, over the part
    /// of it that has passed (up to `as_of`); the last is the hour in
    /// progress.
    pub burn_by_hour: Vec<Money>,
    /// Id → its place in `items` (rows look costs up by id).
    #[serde(skip)]
    index: std::collections::HashMap<String, usize>,
}

impl CostReport {
    pub fn item(&self, id: &str) -> Option<&InstanceCost> {
        self.items.get(*self.index.get(id)?)
    }

    /// The items of an EMR cluster: its groups and its nodes.
    pub fn emr_items<'a>(&'a self, cluster_id: &'a str) -> impl Iterator<Item = &'a InstanceCost> {
        self.items
            .iter()
            .filter(move |i| i.emr_cluster.as_deref() == Some(cluster_id))
    }
}

/// The figures of every resource in `book` (of `regions`, when given) at
/// `now`: what still runs, and what ran or was terminated this month.
pub fn report(book: &Book, regions: Option<&[String]>, now: DateTime<Utc>) -> CostReport {
    let in_scope = |r: &ledger::Resource| regions.is_none_or(|rs| rs.contains(&r.region));
    let items: Vec<InstanceCost> = book
        .resources
        .iter()
        .filter(|(_, r)| in_scope(r))
        .map(|(k, r)| compute::resource_cost(k, r, now))
        .collect();
    let as_of = book
        .resources
        .values()
        .filter(|r| in_scope(r))
        .filter_map(|r| r.last_seen)
        .max()
        .map(|t| t.min(now));
    let day = Window::day(now);
    let until = as_of.unwrap_or(now).max(day.from);
    let hours = usize::try_from((until - day.from).num_hours()).unwrap_or(0) + 1;
    let mut spent = vec![Money::ZERO; hours];
    for r in book.resources.values().filter(|r| in_scope(r)) {
        r.add_by_hour(day.from, until, &mut spent);
    }
    let burn_by_hour = spent
        .into_iter()
        .enumerate()
        .map(|(h, spent)| {
            let from = day.from + chrono::Duration::hours(i64::try_from(h).unwrap_or(0));
            let to = (from + chrono::Duration::hours(1)).min(until);
            let elapsed_ms = (to - from).num_milliseconds();
            if elapsed_ms <= 0 {
                Money::ZERO
            } else {
                spent
                    .times(rust_decimal::Decimal::from(3_600_000))
                    .div_round(rust_decimal::Decimal::from(elapsed_ms))
            }
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
        as_of,
        items,
        totals,
        burn_by_hour,
        index,
    }
}

/// The report of one listing seen at `now` with nothing before it (what a
/// fresh ledger knows): for `skiff ls`, demos and tests.
pub fn report_now(inv: &Inventory, prices: &Prices, now: DateTime<Utc>) -> CostReport {
    let mut book = Book::default();
    book.observe(&compute::sightings(inv, prices), &[], now);
    report(&book, None, now)
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
pub fn budget_level(spent: Money, budget: Money, warn_percent: u32) -> BudgetLevel {
    if budget <= Money::ZERO {
        BudgetLevel::Fine
    } else if spent > budget {
        BudgetLevel::Over
    } else if spent.decimal() * rust_decimal::Decimal::from(100)
        >= budget.decimal() * rust_decimal::Decimal::from(warn_percent)
    {
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
        let inv = crate::sandbox::world::inventory();
        let r = report_now(&inv, &Prices::embedded(), crate::sandbox::world::now());
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
        // 09:00-10:00: what runs now ran the whole hour (nightly-driver,
        // pending, launched at 09:59), volumes counted from what is known.
        let running: Money = r
            .items
            .iter()
            .filter(|i| i.is_running())
            .map(|i| i.stop_saves_hourly.known)
            .sum();
        assert!(running <= r.burn_by_hour[9], "{:?}", r.burn_by_hour);
        assert!(r.burn_by_hour[9] <= r.totals.burn_rate.known);
    }

    #[test]
    fn the_hour_in_progress_is_averaged_over_the_time_that_passed() {
        let inv = crate::sandbox::world::inventory();
        let prices = Prices::embedded();
        let now = crate::sandbox::world::now() + chrono::Duration::minutes(30);
        let mut book = Book::default();
        let seen = compute::sightings(&inv, &prices);
        book.observe(&seen, &[], now - chrono::Duration::hours(1));
        book.observe(&seen, &[], now);
        let r = report(&book, None, now);
        // 10:00-10:30 of hour 10: everything running burns its full rate.
        let burn = r.totals.burn_rate.known;
        let last = *r.burn_by_hour.last().expect("hours");
        assert!(burn - last <= Money::new(1, 9), "{last} vs {burn}");
    }

    #[test]
    fn budget_levels_at_the_edges() {
        let m = |s: &str| Money::parse(s).expect(s);
        let cases = [
            ("0", "10", BudgetLevel::Fine),
            ("7.99", "10", BudgetLevel::Fine),
            ("8", "10", BudgetLevel::Warning),
            ("10", "10", BudgetLevel::Warning),
            ("10.01", "10", BudgetLevel::Over),
            ("1000000000", "0", BudgetLevel::Fine),
        ];
        for (spent, budget, want) in cases {
            assert_eq!(
                budget_level(m(spent), m(budget), 80),
                want,
                "{spent} of {budget}"
            );
        }
    }
}
