//! What storage and billing services report: S3 bucket sizes from CloudWatch
//! (BucketSizeBytes, which S3 publishes once a day) and the month-to-date
//! bill from Cost Explorer (opt-in: each request costs $0.01).

use aws_sdk_cloudwatch::types::{Dimension, Statistic};
use aws_smithy_types::DateTime as SmithyTime;
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

use super::{CloudError, Session};
use crate::model::BucketSize;

fn to_chrono(t: &SmithyTime) -> Option<DateTime<Utc>> {
    DateTime::from_timestamp(t.secs(), t.subsec_nanos())
}

/// BucketSizeBytes (StandardStorage) of `bucket` in `region`: the latest
/// daily average of the last three days.
pub async fn bucket_size(
    session: &Session,
    bucket: &str,
    region: &str,
    now: DateTime<Utc>,
) -> Result<BucketSize, CloudError> {
    let dim = |name: &str, value: &str| Dimension::builder().name(name).value(value).build();
    let out = session
        .cloudwatch(region)
        .get_metric_statistics()
        .namespace("AWS/S3")
        .metric_name("BucketSizeBytes")
        .dimensions(dim("BucketName", bucket))
        .dimensions(dim("StorageType", "StandardStorage"))
        .start_time(SmithyTime::from_secs(
            (now - chrono::Duration::days(3)).timestamp(),
        ))
        .end_time(SmithyTime::from_secs(now.timestamp() + 1))
        .period(86_400)
        .statistics(Statistic::Average)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("cloudwatch", region, &e))?;
    let latest = out
        .datapoints()
        .iter()
        .filter_map(|d| Some((d.timestamp().and_then(to_chrono)?, d.average()?)))
        .max_by_key(|(at, _)| *at);
    Ok(BucketSize {
        bucket: bucket.to_string(),
        region: region.to_string(),
        // Bytes are whole; the average of one daily figure is that figure.
        #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        bytes: latest.map(|(_, avg)| avg.max(0.0).round() as u64),
        at: latest.map(|(at, _)| at),
    })
}

/// Sizes of `buckets` (at most eight CloudWatch calls at once); a bucket
/// whose region is unknown is asked in the home region.
pub async fn bucket_sizes(
    session: &Session,
    buckets: &[crate::model::Bucket],
    now: DateTime<Utc>,
) -> Vec<Result<BucketSize, CloudError>> {
    use futures::StreamExt;
    let asks: Vec<(String, String)> = buckets
        .iter()
        .map(|b| {
            let region = b
                .region
                .clone()
                .unwrap_or_else(|| session.home_region().to_string());
            (b.name.clone(), region)
        })
        .collect();
    futures::stream::iter(asks)
        .map(|(name, region)| async move { bucket_size(session, &name, &region, now).await })
        .buffered(8)
        .collect()
        .await
}

/// The month to date from the 12-hour cache, else from Cost Explorer (and
/// cached).
pub async fn billed_cached(
    session: &Session,
    cache_dir: &std::path::Path,
    now: DateTime<Utc>,
) -> Result<Billed, CloudError> {
    if let Some(b) = Billed::cached(cache_dir, now) {
        return Ok(b);
    }
    let b = month_to_date(session, now).await?;
    if let Err(e) = b.save(cache_dir) {
        tracing::warn!("cannot cache the Cost Explorer figure: {e}");
    }
    Ok(b)
}

/// The billed month to date, as Cost Explorer reports it (delayed by up to
/// a day, and estimated until the month closes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Billed {
    pub month_start: NaiveDate,
    pub usd: f64,
    pub estimated: bool,
    pub fetched_at: DateTime<Utc>,
}

impl Billed {
    const FILE: &'static str = "cost-explorer.json";
    /// How long a fetched figure is reused.
    pub const MAX_AGE_HOURS: i64 = 12;

    /// The cached figure, if it is for this month and younger than 12 hours.
    pub fn cached(cache_dir: &std::path::Path, now: DateTime<Utc>) -> Option<Self> {
        let b: Self =
            serde_json::from_slice(&std::fs::read(cache_dir.join(Self::FILE)).ok()?).ok()?;
        let fresh = now.signed_duration_since(b.fetched_at)
            < chrono::Duration::hours(Self::MAX_AGE_HOURS)
            && b.month_start == month_start(now);
        fresh.then_some(b)
    }

    pub fn save(&self, cache_dir: &std::path::Path) -> std::io::Result<()> {
        crate::store::write_json(&cache_dir.join(Self::FILE), self)
    }
}

/// The first day of `now`'s month.
pub fn month_start(now: DateTime<Utc>) -> NaiveDate {
    now.date_naive()
        .with_day(1)
        .unwrap_or_else(|| now.date_naive())
}

/// GetCostAndUsage (UnblendedCost, monthly) from the 1st of this month to
/// tomorrow (the end date is exclusive, so today is included).
pub async fn month_to_date(session: &Session, now: DateTime<Utc>) -> Result<Billed, CloudError> {
    use aws_sdk_costexplorer::types::{DateInterval, Granularity};
    let start = month_start(now);
    let end = now.date_naive() + chrono::Duration::days(1);
    let period = DateInterval::builder()
        .start(start.format("%Y-%m-%d").to_string())
        .end(end.format("%Y-%m-%d").to_string())
        .build()
        .map_err(|e| CloudError::new("ce", "", e.to_string()))?;
    let out = session
        .cost_explorer()
        .get_cost_and_usage()
        .time_period(period)
        .granularity(Granularity::Monthly)
        .metrics("UnblendedCost")
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ce", "us-east-1", &e))?;
    let mut usd = 0.0;
    let mut estimated = false;
    for r in out.results_by_time() {
        estimated |= r.estimated();
        if let Some(m) = r.total().and_then(|t| t.get("UnblendedCost")) {
            usd += m
                .amount()
                .and_then(|a| a.parse::<f64>().ok())
                .unwrap_or(0.0);
        }
    }
    Ok(Billed {
        month_start: start,
        usd,
        estimated,
        fetched_at: now,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_cache_is_reused_for_twelve_hours_within_the_month() {
        let dir = std::env::temp_dir().join(format!("skiff-ce-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let at: DateTime<Utc> = "2026-11-30T20:00:00Z".parse().unwrap();
        assert_eq!(Billed::cached(&dir, at), None);
        let b = Billed {
            month_start: month_start(at),
            usd: 12.5,
            estimated: true,
            fetched_at: at,
        };
        b.save(&dir).unwrap();
        assert_eq!(
            Billed::cached(&dir, at + chrono::Duration::minutes(3 * 60 + 59)),
            Some(b.clone()),
            "still November"
        );
        assert_eq!(
            Billed::cached(&dir, at + chrono::Duration::hours(4)),
            None,
            "December"
        );
        let mid: DateTime<Utc> = "2026-11-10T08:00:00Z".parse().unwrap();
        let b = Billed {
            fetched_at: mid,
            ..b
        };
        b.save(&dir).unwrap();
        assert_eq!(
            Billed::cached(&dir, mid + chrono::Duration::hours(11)),
            Some(b.clone())
        );
        assert_eq!(
            Billed::cached(&dir, mid + chrono::Duration::hours(12)),
            None
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
