//! What the Costs view needs beside the inventory, fetched in the
//! background after each full refresh: spot prices of spot instances, S3
//! bucket sizes (CloudWatch, at most hourly), Cost Explorer's month to date
//! (opt-in, cached 12 h), and the automatic price refresh (opt-in).

use std::time::{Duration, Instant};

use super::app::{App, Level, Msg};
use crate::cloud::CloudError;
use crate::cloud::billing::{self, Billed};
use crate::model::BucketSize;
use crate::ops::prices::Refreshed;

/// Spot prices move slowly; sizes are published daily.
const SPOT_EVERY: Duration = Duration::from_secs(10 * 60);
const STORAGE_EVERY: Duration = Duration::from_secs(60 * 60);

#[derive(Debug)]
pub enum Extra {
    Spot(crate::cost::prices::SpotPrices),
    Sizes(Vec<Result<BucketSize, CloudError>>),
    Billed(Result<Billed, CloudError>),
    Prices(Option<(Vec<Refreshed>, Result<std::path::PathBuf, String>)>),
}

fn due(at: Option<Instant>, every: Duration) -> bool {
    at.is_none_or(|t| t.elapsed() >= every)
}

impl App {
    /// Starts whichever extra fetch is due (after a full inventory).
    pub(super) fn fetch_extras(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        self.fetch_guards(false);
        let (generation, now) = (self.generation, self.clock.now());
        if !self.prices_checked {
            self.prices_checked = true;
            let (s, cache, days) = (
                session.clone(),
                self.dirs.cache.clone(),
                self.config.costs.prices_max_age_days,
            );
            if days > 0 {
                self.spawn(async move {
                    let extra = Extra::Prices(
                        crate::ops::prices::refresh_if_stale(&s, &cache, days, now).await,
                    );
                    Msg::Extra { generation, extra }
                });
            }
        }
        let spot_groups = self.inventory.emr_clusters.iter().any(|c| {
            c.instance_groups
                .iter()
                .any(|g| g.market.eq_ignore_ascii_case("SPOT"))
        });
        if (spot_groups || self.inventory.instances.iter().any(|i| i.spot))
            && due(self.spot_at, SPOT_EVERY)
        {
            self.spot_at = Some(Instant::now());
            let (s, inv) = (session.clone(), self.inventory.clone());
            self.spawn(async move {
                let extra = Extra::Spot(crate::cloud::ec2::spot_prices_for(&s, &inv).await);
                Msg::Extra { generation, extra }
            });
        }
        if self.config.costs.bucket_storage
            && !self.inventory.buckets.is_empty()
            && due(self.storage_at, STORAGE_EVERY)
        {
            self.storage_at = Some(Instant::now());
            let (s, buckets) = (session.clone(), self.inventory.buckets.clone());
            self.spawn(async move {
                let extra = Extra::Sizes(billing::bucket_sizes(&s, &buckets, now).await);
                Msg::Extra { generation, extra }
            });
        }
        if self.config.costs.cost_explorer && !self.billed_asked {
            self.billed_asked = true;
            let cache = self.dirs.cache.clone();
            self.spawn(async move {
                let extra =
                    Extra::Billed(crate::ops::billing::billed_cached(&session, &cache, now).await);
                Msg::Extra { generation, extra }
            });
        }
    }

    pub(super) fn on_extra(&mut self, extra: Extra) {
        match extra {
            Extra::Spot(spot) => {
                self.spot = spot;
                self.reload_prices();
            }
            Extra::Sizes(sizes) => {
                let mut errors = Vec::new();
                self.bucket_sizes = sizes
                    .into_iter()
                    .filter_map(|r| r.map_err(|e| errors.push(e)).ok())
                    .collect();
                if let Some(e) = errors.first() {
                    self.notify(
                        Level::Warning,
                        format!("S3 storage: {} bucket size(s) unknown: {e}", errors.len()),
                    );
                }
                self.storage = crate::cost::storage_costs(&self.bucket_sizes, &self.prices);
            }
            Extra::Billed(result) => {
                if let Err(e) = &result {
                    self.notify(Level::Warning, format!("Cost Explorer: {e}"));
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
                for o in &outcomes {
                    if let Err(e) = &o.result {
                        self.notify(Level::Warning, format!("price refresh: {e}"));
                    }
                }
                match saved {
                    Ok(_) => self.notify(
                        Level::Info,
                        format!(
                            "prices refreshed from the Pricing API: {}",
                            fetched.join(", ")
                        ),
                    ),
                    Err(e) => self.notify(Level::Warning, format!("price refresh: {e}")),
                }
                self.reload_prices();
            }
        }
    }

    /// Prices from the table and cache, with the known spot prices; costs
    /// recomputed with them.
    fn reload_prices(&mut self) {
        self.prices = crate::cost::Prices::load(&self.dirs.cache).with_spot(self.spot.clone());
        self.storage = crate::cost::storage_costs(&self.bucket_sizes, &self.prices);
        self.observe_again();
        self.recompute_costs();
    }
}
