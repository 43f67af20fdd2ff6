//! Keeping prices current: the Pricing API's answers into the price cache,
//! on demand (`skiff prices refresh`) or when the cache is too old.

use crate::cloud::pricing::{RegionPrices, fetch_regions};
use crate::cloud::{CloudError, Session};
use crate::cost::cache::PriceCache;

/// What refreshing one region did.
#[derive(Debug, Clone, PartialEq)]
pub struct Refreshed {
    pub region: String,
    pub result: Result<RegionPrices, CloudError>,
}

/// Fetches `regions` into the price cache in `cache_dir`, keeping the other
/// regions already there. A region that fails or comes back empty keeps its
/// old prices. Returns each region's outcome and where the cache is.
pub async fn refresh_cache(
    session: &Session,
    cache_dir: &std::path::Path,
    regions: &[String],
    now: chrono::DateTime<chrono::Utc>,
) -> (Vec<Refreshed>, Result<std::path::PathBuf, String>) {
    let mut cache = match PriceCache::load(cache_dir) {
        Ok(c) => c.unwrap_or_default(),
        Err(e) => {
            tracing::warn!("starting a new price cache: {e}");
            PriceCache::default()
        }
    };
    let fetched = fetch_regions(session, regions).await;
    let mut outcomes = Vec::new();
    for (region, result) in regions.iter().zip(fetched) {
        let result = result.and_then(|p| {
            if p.table.ec2.is_empty() {
                Err(CloudError::new(
                    "pricing",
                    region,
                    format!(
                        "the Pricing API has no Linux on-demand instance prices for {region} \
                         ({} entries read); the cache keeps what it had",
                        p.entries
                    ),
                ))
            } else {
                Ok(p)
            }
        });
        if let Ok(p) = &result {
            cache.set_region(region, now, &p.table);
        }
        outcomes.push(Refreshed {
            region: region.clone(),
            result,
        });
    }
    let saved = if outcomes.iter().any(|o| o.result.is_ok()) {
        cache.save(cache_dir).map_err(|e| {
            format!(
                "cannot write {}: {e}",
                PriceCache::path(cache_dir).display()
            )
        })
    } else {
        Err("nothing fetched; the price cache is unchanged".to_string())
    };
    (outcomes, saved)
}

/// `refresh_cache` when automatic refresh is on (`max_age_days` > 0) and
/// the cache is older than that or lacks one of the session's regions.
pub async fn refresh_if_stale(
    session: &Session,
    cache_dir: &std::path::Path,
    max_age_days: u32,
    now: chrono::DateTime<chrono::Utc>,
) -> Option<(Vec<Refreshed>, Result<std::path::PathBuf, String>)> {
    if max_age_days == 0 {
        return None;
    }
    let cache = PriceCache::load(cache_dir)
        .ok()
        .flatten()
        .unwrap_or_default();
    if !cache.is_stale(&session.regions, now, max_age_days) {
        return None;
    }
    Some(refresh_cache(session, cache_dir, &session.regions, now).await)
}
