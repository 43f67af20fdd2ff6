//! Costs in the world: each listed slice into the ledger (through the same
//! operations as `skiff cost`), the figures recomputed from it, and what
//! they need beside the inventory, fetched after each full listing: spot
//! prices, S3 bucket sizes (at most hourly), Cost Explorer's month to date
//! (opt-in, cached 12 h), and the automatic price refresh (opt-in).

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::World;
use crate::cloud::inventory::SliceKey;
use crate::ops::costs as ops;
use crate::tui::msg::{Extra, Msg};
use crate::tui::notify::Notes;
use crate::tui::notify::Say;

/// Spot prices move slowly; sizes are published daily.
const SPOT_EVERY: Duration = Duration::from_secs(10 * 60);
const STORAGE_EVERY: Duration = Duration::from_secs(60 * 60);

fn due(at: Option<Instant>, every: Duration) -> bool {
    at.is_none_or(|t| t.elapsed() >= every)
}

impl World {
    /// Puts what one slice shows into the cost ledger, as seen at `at`
    /// (the other slices were seen at their own times).
    pub(super) fn observe_slice(&mut self, key: &SliceKey, at: DateTime<Utc>, notes: &mut Notes) {
        let Some(listed) = ops::listed_slices([key]).pop() else {
            return;
        };
        let result =
            ops::observe_slice(&mut self.ledger, &self.inventory, &self.prices, &listed, at);
        if let Err(e) = result
            && !self.ledger_warned
        {
            self.ledger_warned = true;
            notes.warn(format!(
                "cannot write the cost ledger in {}: {e} (costs are kept for this session only)",
                self.dirs.state.display()
            ));
        }
    }

    /// Every slice again, at the time it was seen: prices learned since
    /// (spot) fill in what was unknown.
    fn observe_again(&mut self, notes: &mut Notes) {
        let seen: Vec<_> = self
            .slice_times
            .iter()
            .map(|(k, at)| (k.clone(), *at))
            .collect();
        for (key, at) in seen {
            self.observe_slice(&key, at, notes);
        }
    }

    /// The figures of the session's regions from the ledger; instances
    /// running past the reminder are named once.
    pub fn recompute_costs(&mut self, notes: &mut Notes) {
        // The old figures go first: two reports of 10,000 items at once
        // would double the memory at its peak.
        self.costs = None;
        let now = self.clock.now();
        let regions = self.session.as_ref().map(|s| s.regions.clone());
        let report = crate::cost::report(self.ledger.book(), regions.as_deref(), now);
        if let Some(limit) = self.remind_after_secs() {
            let hours = self.config.reminders.running_hours;
            for c in report
                .items
                .iter()
                .filter(|c| c.running_secs.is_some_and(|s| s > limit))
            {
                if self.reminded.insert(c.id.clone()) {
                    notes.warn(format!(
                        "{} has run over {hours} h: stopping it saves {}/h",
                        c.name,
                        crate::cost::show(&c.stop_saves_hourly)
                    ));
                }
            }
        }
        self.costs = Some(report);
        self.costs_at = Some(Instant::now());
        self.touch();
    }

    /// Starts whichever extra fetch is due (after a full inventory).
    pub(super) fn fetch_extras(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        self.fetch_guards(false);
        let (generation, now) = (self.generation, self.clock.now());
        let extra = move |e: Extra| Msg::Extra {
            generation,
            extra: e,
        };
        let days = self.config.costs.prices_max_age_days;
        if !self.prices_checked && days > 0 {
            self.prices_checked = true;
            let (s, cache) = (session.clone(), self.dirs.cache.clone());
            self.spawn(async move {
                extra(Extra::Prices(
                    crate::ops::prices::refresh_if_stale(&s, &cache, days, now).await,
                ))
            });
        }
        if ops::has_spot(&self.inventory) && due(self.spot_at, SPOT_EVERY) {
            self.spot_at = Some(Instant::now());
            let (s, inv) = (session.clone(), self.inventory.clone());
            self.spawn(async move { extra(Extra::Spot(ops::spot_prices(&s, &inv).await)) });
        }
        if self.config.costs.bucket_storage
            && !self.inventory.buckets.is_empty()
            && due(self.storage_at, STORAGE_EVERY)
        {
            self.storage_at = Some(Instant::now());
            let (s, buckets) = (session.clone(), self.inventory.buckets.clone());
            self.spawn(
                async move { extra(Extra::Sizes(ops::bucket_sizes(&s, &buckets, now).await)) },
            );
        }
        if self.config.costs.cost_explorer && !self.billed_asked {
            self.billed_asked = true;
            let cache = self.dirs.cache.clone();
            self.spawn(async move {
                extra(Extra::Billed(
                    crate::ops::billing::billed_cached(&session, &cache, now).await,
                ))
            });
        }
    }

    pub(super) fn on_extra(&mut self, extra: Extra, notes: &mut Notes) {
        match extra {
            Extra::Spot(spot) => {
                self.spot = spot;
                self.reload_prices(notes);
            }
            Extra::Sizes(sizes) => {
                let mut errors = Vec::new();
                self.bucket_sizes = sizes
                    .into_iter()
                    .filter_map(|r| r.map_err(|e| errors.push(e)).ok())
                    .collect();
                if let Some(e) = errors.first() {
                    notes.warn(format!(
                        "S3 storage: {} bucket size(s) unknown: {e}",
                        errors.len()
                    ));
                }
                self.storage = crate::cost::storage_costs(&self.bucket_sizes, &self.prices);
            }
            Extra::Billed(result) => {
                if let Err(e) = &result {
                    notes.warn(format!("Cost Explorer: {e}"));
                }
                self.billed = Some(result.map_err(|e| e.to_string()));
            }
            Extra::Prices(None) => {}
            Extra::Prices(Some((outcomes, saved))) => {
                let fetched: Vec<&str> = outcomes
                    .iter()
                    .filter(|o| o.result.is_ok())
                    .map(|o| o.region.as_str())
                    .collect();
                for e in outcomes.iter().filter_map(|o| o.result.as_ref().err()) {
                    notes.warn(format!("price refresh: {e}"));
                }
                match saved {
                    Ok(_) => notes.info(format!(
                        "prices refreshed from the Pricing API: {}",
                        fetched.join(", ")
                    )),
                    Err(e) => notes.warn(format!("price refresh: {e}")),
                }
                self.reload_prices(notes);
            }
        }
    }

    /// Prices from the table and cache, with the known spot prices; costs
    /// recomputed with them.
    fn reload_prices(&mut self, notes: &mut Notes) {
        self.prices = crate::cost::Prices::load(&self.dirs.cache).with_spot(self.spot.clone());
        self.storage = crate::cost::storage_costs(&self.bucket_sizes, &self.prices);
        self.observe_again(notes);
        self.recompute_costs(notes);
    }
}
