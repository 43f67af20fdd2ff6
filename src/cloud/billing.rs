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

/// The billed month to date, as Cost Explorer reports it (delayed by up to
/// a day, and estimated until the month closes).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Billed {
    pub month_start: NaiveDate,
    pub usd: crate::cost::Money,
    pub estimated: bool,
    pub fetched_at: DateTime<Utc>,
}

impl Billed {
    /// How long a fetched figure is reused.
    pub const MAX_AGE_HOURS: i64 = 12;
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
    let mut usd = crate::cost::Money::ZERO;
    let mut estimated = false;
    for r in out.results_by_time() {
        estimated |= r.estimated();
        if let Some(m) = r.total().and_then(|t| t.get("UnblendedCost")) {
            usd += m
                .amount()
                .and_then(crate::cost::Money::parse)
                .unwrap_or_default();
        }
    }
    Ok(Billed {
        month_start: start,
        usd,
        estimated,
        fetched_at: now,
    })
}
