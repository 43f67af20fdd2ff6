//! Cost arithmetic (pure): per second with AWS's 60 s minimum per run;
//! compute and the EMR fee while running; EBS all the time; a public IPv4
//! address while the instance holds one. Today is the UTC day, the month the
//! UTC calendar month.

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use serde::Serialize;

use super::prices::{PriceSource, Prices};
use crate::model::{Instance, InstanceState};

/// AWS bills at least this much of every run (Linux, per-second billing).
pub const MINIMUM_BILLED_SECS: i64 = 60;

/// The tag EMR puts on its nodes (their EMR fee is added).
pub use crate::model::EMR_CLUSTER_TAG as EMR_NODE_TAG;

/// A period of running, from a start to a stop (None: still running).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Run {
    pub start: DateTime<Utc>,
    pub end: Option<DateTime<Utc>>,
}

/// A window of time, [from, to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    /// The UTC day `now` is in.
    pub fn day(now: DateTime<Utc>) -> Self {
        let from = Utc
            .with_ymd_and_hms(now.year(), now.month(), now.day(), 0, 0, 0)
            .single()
            .unwrap_or(now);
        Self {
            from,
            to: from + Duration::days(1),
        }
    }

    /// The UTC calendar month `now` is in.
    pub fn month(now: DateTime<Utc>) -> Self {
        let from = Utc
            .with_ymd_and_hms(now.year(), now.month(), 1, 0, 0, 0)
            .single()
            .unwrap_or(now);
        let (y, m) = if now.month() == 12 {
            (now.year() + 1, 1)
        } else {
            (now.year(), now.month() + 1)
        };
        let to = Utc
            .with_ymd_and_hms(y, m, 1, 0, 0, 0)
            .single()
            .unwrap_or(now);
        Self { from, to }
    }

    fn overlap_secs(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> f64 {
        let s = start.max(self.from);
        let e = end.min(self.to);
        if e <= s {
            0.0
        } else {
            (e - s).num_milliseconds() as f64 / 1000.0
        }
    }
}

/// Seconds of `run` billed inside `window`. A run is billed at least 60 s
/// from its start, even if it is stopped sooner or has only just begun.
pub fn billed_secs(run: &Run, window: &Window, now: DateTime<Utc>) -> f64 {
    let end = run.end.unwrap_or(now).max(run.start);
    let billed_end = end.max(run.start + Duration::seconds(MINIMUM_BILLED_SECS));
    window.overlap_secs(run.start, billed_end)
}

/// An amount that may be unknown, with the reasons.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Amount {
    /// The sum of the known parts.
    pub known_usd: f64,
    /// Why some part is unknown (empty: the amount is complete).
    pub unknown: Vec<String>,
}

impl Amount {
    fn zero() -> Self {
        Self {
            known_usd: 0.0,
            unknown: Vec::new(),
        }
    }

    fn add(&mut self, part: Result<f64, String>, times: f64) {
        if times == 0.0 {
            return;
        }
        match part {
            Ok(v) => self.known_usd += v * times,
            Err(why) => {
                if !self.unknown.contains(&why) {
                    self.unknown.push(why);
                }
            }
        }
    }

    pub fn is_complete(&self) -> bool {
        self.unknown.is_empty()
    }

    /// The amount, or None when part of it is unknown.
    pub fn value(&self) -> Option<f64> {
        self.is_complete().then_some(self.known_usd)
    }

    fn merge(&mut self, other: &Self) {
        self.known_usd += other.known_usd;
        for u in &other.unknown {
            if !self.unknown.contains(u) {
                self.unknown.push(u.clone());
            }
        }
    }
}

/// The hourly rates that apply to one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    pub compute: Result<f64, String>,
    pub compute_source: Option<PriceSource>,
    /// Zero for instances that are not EMR nodes.
    pub emr_fee: Result<f64, String>,
    /// EBS of all attached volumes, per hour.
    pub ebs: Result<f64, String>,
    /// A public IPv4 address, per hour (zero without one).
    pub ipv4: f64,
}

pub fn is_emr_node(i: &Instance) -> bool {
    i.tags.contains_key(EMR_NODE_TAG)
}

/// The rates of `i` from `prices`.
pub fn rates(i: &Instance, prices: &Prices) -> Rates {
    let compute = prices.instance_rate(&i.region, i.az.as_deref(), &i.instance_type, i.spot);
    let emr_fee = if is_emr_node(i) {
        prices.emr_fee(&i.region, &i.instance_type)
    } else {
        Ok(0.0)
    };
    let mut ebs_month = Ok(0.0);
    for v in &i.volumes {
        let kind = v.volume_type.as_deref().unwrap_or("gp2");
        ebs_month = match (ebs_month, prices.ebs_gb_month(&i.region, kind)) {
            (Ok(sum), Ok(p)) => Ok(sum + p * f64::from(v.size_gib)),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    Rates {
        compute_source: compute.as_ref().ok().map(|r| r.source),
        compute: compute.map(|r| r.usd_per_hour),
        emr_fee,
        ebs: ebs_month.map(|m| m / prices.hours_per_month()),
        ipv4: if i.public_ip.is_some() {
            prices.ipv4_hourly()
        } else {
            0.0
        },
    }
}

/// What one instance costs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceCost {
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub state: InstanceState,
    pub region: String,
    /// The Spark cluster, or the EMR cluster id for EMR nodes.
    pub cluster: Option<String>,
    #[serde(skip)]
    pub tags: BTreeMap<String, String>,
    /// What it costs per hour right now.
    pub hourly: Amount,
    /// What stopping it would save per hour (compute, EMR fee, IPv4).
    pub stop_saves_hourly: Amount,
    /// Since its current run began (running instances only).
    pub since_start: Option<Amount>,
    pub today: Amount,
    pub month_to_date: Amount,
    pub price_source: String,
    /// How long it has been running (running instances only), in seconds.
    pub running_secs: Option<i64>,
}

/// Everything needed to cost one instance.
pub struct CostInput<'a> {
    pub instance: &'a Instance,
    /// Its runs, oldest first (from the journal and its LaunchTime).
    pub runs: &'a [Run],
    /// Since when it (and its volumes) existed, as far as skiff knows.
    pub exists_since: DateTime<Utc>,
}

pub(crate) fn run_cost(runs: &[Run], window: &Window, now: DateTime<Utc>, rates: &Rates) -> Amount {
    let mut a = Amount::zero();
    let secs: f64 = runs.iter().map(|r| billed_secs(r, window, now)).sum();
    let hours = secs / 3600.0;
    a.add(rates.compute.clone(), hours);
    a.add(rates.emr_fee.clone(), hours);
    a.add(Ok(rates.ipv4), hours);
    a
}

pub(crate) fn storage_cost(
    exists_since: DateTime<Utc>,
    window: &Window,
    now: DateTime<Utc>,
    rates: &Rates,
) -> Amount {
    let mut a = Amount::zero();
    let hours = window.overlap_secs(exists_since, now) / 3600.0;
    a.add(rates.ebs.clone(), hours);
    a
}

/// What a bucket's Standard storage costs: per month at its last reported
/// size, and per hour of that.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StorageCost {
    pub bucket: String,
    pub region: String,
    pub bytes: Option<u64>,
    pub at: Option<DateTime<Utc>>,
    pub monthly: Amount,
    pub hourly: Amount,
}

/// Bytes in the GB that S3 bills by (2^30).
const S3_GB: f64 = 1_073_741_824.0;

/// S3 Standard storage cost of each bucket (CloudWatch size × the region's
/// $/GB-month). A bucket without a reported size is unknown, not free.
pub fn storage_costs(sizes: &[crate::model::BucketSize], prices: &Prices) -> Vec<StorageCost> {
    sizes
        .iter()
        .map(|s| {
            let amount = |usd: f64| Amount {
                known_usd: usd,
                unknown: Vec::new(),
            };
            let unknown = |why: String| Amount {
                known_usd: 0.0,
                unknown: vec![why],
            };
            #[allow(clippy::cast_precision_loss)] // bytes well below 2^53
            let (monthly, hourly) = match (s.bytes, prices.s3_standard_gb_month(&s.region)) {
                (Some(0), _) => (amount(0.0), amount(0.0)),
                (Some(bytes), Ok(rate)) => {
                    let month = bytes as f64 / S3_GB * rate;
                    (amount(month), amount(month / prices.hours_per_month()))
                }
                (Some(_), Err(why)) => (unknown(why.clone()), unknown(why)),
                (None, _) => {
                    let why = format!(
                        "no BucketSizeBytes for {} in CloudWatch yet (S3 reports sizes once a day)",
                        s.bucket
                    );
                    (unknown(why.clone()), unknown(why))
                }
            };
            StorageCost {
                bucket: s.bucket.clone(),
                region: s.region.clone(),
                bytes: s.bytes,
                at: s.at,
                monthly,
                hourly,
            }
        })
        .collect()
}

/// The cost of one instance at `now`.
pub fn instance_cost(input: &CostInput<'_>, prices: &Prices, now: DateTime<Utc>) -> InstanceCost {
    let i = input.instance;
    let rates = rates(i, prices);
    let running = i.state == InstanceState::Running;
    let mut hourly = Amount::zero();
    let mut stop_saves = Amount::zero();
    if running {
        for part in [rates.compute.clone(), rates.emr_fee.clone(), Ok(rates.ipv4)] {
            hourly.add(part.clone(), 1.0);
            stop_saves.add(part, 1.0);
        }
    } else if i.state != InstanceState::Terminated {
        // An Elastic IP stays attached (and billed) while stopped.
        hourly.add(Ok(rates.ipv4), 1.0);
    }
    if i.state != InstanceState::Terminated {
        hourly.add(rates.ebs.clone(), 1.0);
    }
    let current = input.runs.last().filter(|r| running && r.end.is_none());
    let since_start = current.map(|run| {
        let window = Window {
            from: run.start,
            to: DateTime::<Utc>::MAX_UTC,
        };
        let mut a = run_cost(std::slice::from_ref(run), &window, now, &rates);
        a.merge(&storage_cost(run.start, &window, now, &rates));
        a
    });
    let period = |window: Window| {
        let mut a = run_cost(input.runs, &window, now, &rates);
        a.merge(&storage_cost(input.exists_since, &window, now, &rates));
        a
    };
    let source = match (running, rates.compute_source) {
        (_, Some(s)) => s.label().to_string(),
        (true, None) => "unknown".to_string(),
        (false, None) => "unknown (not running)".to_string(),
    };
    InstanceCost {
        id: i.id.clone(),
        name: i.display_name().to_string(),
        kind: "instance",
        state: i.state,
        region: i.region.clone(),
        cluster: i
            .cluster
            .clone()
            .or_else(|| i.tags.get(EMR_NODE_TAG).cloned()),
        tags: i.tags.clone(),
        hourly,
        stop_saves_hourly: stop_saves,
        since_start,
        today: period(Window::day(now)),
        month_to_date: period(Window::month(now)),
        price_source: source,
        running_secs: current.map(|r| (now - r.start).num_seconds()),
    }
}

/// The account as a whole.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Totals {
    pub burn_rate: Amount,
    pub today: Amount,
    pub month_to_date: Amount,
    /// Month to date plus the current burn for the hours left in the month.
    pub projected_month: Amount,
}

pub fn totals(items: &[InstanceCost], now: DateTime<Utc>) -> Totals {
    let mut burn = Amount::zero();
    let mut today = Amount::zero();
    let mut month = Amount::zero();
    for item in items {
        burn.merge(&item.hourly);
        today.merge(&item.today);
        month.merge(&item.month_to_date);
    }
    let hours_left = (Window::month(now).to - now).num_milliseconds() as f64 / 3_600_000.0;
    let mut projected = month.clone();
    projected.known_usd += burn.known_usd * hours_left;
    projected.unknown.extend(
        burn.unknown
            .iter()
            .filter(|u| !month.unknown.contains(u))
            .cloned(),
    );
    Totals {
        burn_rate: burn,
        today,
        month_to_date: month,
        projected_month: projected,
    }
}

/// A group of items (by cluster or by tag value) with their sums.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub key: String,
    pub hourly: Amount,
    pub since_start: Amount,
    pub today: Amount,
    pub month_to_date: Amount,
    pub members: Vec<String>,
}

/// Sums items by a key (cluster name, tag value); items without one group
/// under `(none)`.
pub fn group_by(
    items: &[InstanceCost],
    key: impl Fn(&InstanceCost) -> Option<String>,
) -> Vec<Group> {
    let mut groups: BTreeMap<String, Group> = BTreeMap::new();
    for item in items {
        let k = key(item).unwrap_or_else(|| "(none)".to_string());
        let g = groups.entry(k.clone()).or_insert_with(|| Group {
            key: k,
            hourly: Amount::zero(),
            since_start: Amount::zero(),
            today: Amount::zero(),
            month_to_date: Amount::zero(),
            members: Vec::new(),
        });
        g.hourly.merge(&item.hourly);
        if let Some(s) = &item.since_start {
            g.since_start.merge(s);
        }
        g.today.merge(&item.today);
        g.month_to_date.merge(&item.month_to_date);
        g.members.push(item.id.clone());
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    out.sort_by(|a, b| {
        b.hourly
            .known_usd
            .total_cmp(&a.hourly.known_usd)
            .then(a.key.cmp(&b.key))
    });
    out
}

/// Formats dollars for a table: `$0.0416`, `$1.23`, `$1,234`.
pub fn usd(v: f64) -> String {
    if v.abs() < 1.0 && v != 0.0 {
        format!("${v:.4}")
    } else if v.abs() < 1000.0 {
        format!("${v:.2}")
    } else {
        let whole = v.round() as i64;
        let digits = whole.abs().to_string();
        let mut out = String::new();
        for (n, c) in digits.chars().enumerate() {
            if n > 0 && (digits.len() - n).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        format!("{}${out}", if whole < 0 { "-" } else { "" })
    }
}

/// An amount for display: `$1.23`, `≥ $1.23` when part is unknown, `?` when nothing is known.
pub fn show(a: &Amount) -> String {
    match (a.is_complete(), a.known_usd) {
        (true, v) => usd(v),
        (false, v) if v > 0.0 => format!("≥{}", usd(v)),
        (false, _) => "?".to_string(),
    }
}

#[cfg(test)]
mod tests;
