//! Cost Explorer's month to date, kept for 12 hours in the cache directory
//! (each request costs money, and the figure lags a day anyway).

use std::path::Path;

use chrono::{DateTime, Utc};

use crate::cloud::billing::{Billed, month_start, month_to_date};
use crate::cloud::{CloudError, Session};

const FILE: &str = "cost-explorer.json";

/// The month to date from the 12-hour cache, else from Cost Explorer (and
/// cached).
pub async fn billed_cached(
    session: &Session,
    cache_dir: &Path,
    now: DateTime<Utc>,
) -> Result<Billed, CloudError> {
    if let Some(b) = cached(cache_dir, now) {
        return Ok(b);
    }
    let b = month_to_date(session, now).await?;
    if let Err(e) = save(&b, cache_dir) {
        tracing::warn!("cannot cache the Cost Explorer figure: {e}");
    }
    Ok(b)
}

/// The cached figure, if it is for this month and younger than 12 hours.
pub fn cached(cache_dir: &Path, now: DateTime<Utc>) -> Option<Billed> {
    let b: Billed = serde_json::from_slice(&std::fs::read(cache_dir.join(FILE)).ok()?).ok()?;
    let fresh = now.signed_duration_since(b.fetched_at)
        < chrono::Duration::hours(Billed::MAX_AGE_HOURS)
        && b.month_start == month_start(now);
    fresh.then_some(b)
}

pub fn save(b: &Billed, cache_dir: &Path) -> std::io::Result<()> {
    crate::store::write_json(&cache_dir.join(FILE), b)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cloud::billing::Billed;

    #[test]
    fn the_cache_is_reused_for_twelve_hours_within_the_month() {
        let dir = std::env::temp_dir().join(format!("skiff-ce-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let at: DateTime<Utc> = "2026-11-30T20:00:00Z".parse().unwrap();
        assert_eq!(cached(&dir, at), None);
        let b = Billed {
            month_start: month_start(at),
            usd: crate::cost::Money::new(125, 1),
            estimated: true,
            fetched_at: at,
        };
        save(&b, &dir).unwrap();
        assert_eq!(
            cached(&dir, at + chrono::Duration::minutes(3 * 60 + 59)),
            Some(b.clone()),
            "still November"
        );
        assert_eq!(
            cached(&dir, at + chrono::Duration::hours(4)),
            None,
            "December"
        );
        let mid: DateTime<Utc> = "2026-11-10T08:00:00Z".parse().unwrap();
        let b = Billed {
            fetched_at: mid,
            ..b
        };
        save(&b, &dir).unwrap();
        assert_eq!(
            cached(&dir, mid + chrono::Duration::hours(11)),
            Some(b.clone())
        );
        assert_eq!(cached(&dir, mid + chrono::Duration::hours(12)), None);
        let _ = std::fs::remove_dir_all(&dir);
    }
}
