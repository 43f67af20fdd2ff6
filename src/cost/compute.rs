//! From listings to the ledger and from the ledger to figures (pure): the
//! rates of each instance and EMR instance group, what a listing says about
//! each ([`sightings`]), and what a resource costs per hour, since its start,
//! today (UTC) and this month (UTC).

use std::collections::BTreeMap;

use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use rust_decimal::Decimal;
use serde::Serialize;

use super::ledger::{Bound, Evidence, Kind, Resource, Sighting, Window};
use super::money::{Amount, Money};
use super::prices::{PriceSource, Prices};
use crate::model::{EmrCluster, EmrState, Instance, InstanceState, Inventory};

/// The tag EMR puts on its nodes.
pub use crate::model::EMR_CLUSTER_TAG as EMR_NODE_TAG;

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
}

/// The hourly rates that apply to one instance.
#[derive(Debug, Clone, PartialEq)]
pub struct Rates {
    pub compute: Result<Money, String>,
    pub compute_source: Option<PriceSource>,
    /// Zero for instances that are not EMR nodes.
    pub emr_fee: Result<Money, String>,
    /// EBS of all attached volumes, per hour.
    pub ebs: Result<Money, String>,
    /// A public IPv4 address, per hour (zero without one).
    pub ipv4: Money,
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
        Ok(Money::ZERO)
    };
    let mut ebs_month = Ok(Money::ZERO);
    for v in &i.volumes {
        let kind = v.volume_type.as_deref().unwrap_or("gp2");
        ebs_month = match (ebs_month, prices.ebs_gb_month(&i.region, kind)) {
            (Ok(sum), Ok(p)) => Ok(sum + p.times(Decimal::from(v.size_gib))),
            (Err(e), _) | (_, Err(e)) => Err(e),
        };
    }
    Rates {
        compute_source: compute.as_ref().ok().map(|r| r.source),
        compute: compute.map(|r| r.usd_per_hour),
        emr_fee,
        ebs: ebs_month.map(|m| m.div_round(prices.hours_per_month())),
        ipv4: if i.public_ip.is_some() {
            prices.ipv4_hourly()
        } else {
            Money::ZERO
        },
    }
}

/// What one running instance adds per hour: compute, the EMR fee, IPv4.
pub fn run_rate(r: &Rates) -> Amount {
    let mut a = Amount::known(r.ipv4);
    a.add(r.compute.clone());
    a.add(r.emr_fee.clone());
    a
}

/// What a listing says about each instance and EMR instance group. An EMR
/// node's compute and EMR fee are billed in its group (so that pausing a
/// group changes $/hour at once); the node itself carries its IPv4 and EBS.
pub fn sightings(inv: &Inventory, prices: &Prices) -> Vec<Sighting> {
    let mut out: Vec<Sighting> = inv
        .instances
        .iter()
        .map(|i| instance_sighting(i, prices))
        .collect();
    for c in &inv.emr_clusters {
        out.extend(group_sightings(c, prices));
    }
    out
}

fn instance_sighting(i: &Instance, prices: &Prices) -> Sighting {
    let r = rates(i, prices);
    let emr = i.emr_cluster().map(str::to_string);
    let (unit, source) = if emr.is_some() {
        (
            Amount::known(r.ipv4),
            "in its EMR instance group".to_string(),
        )
    } else {
        let source = match (r.compute_source, i.state) {
            (Some(s), _) => s.label().to_string(),
            (None, InstanceState::Running) => "unknown".to_string(),
            (None, _) => "unknown (not running)".to_string(),
        };
        (run_rate(&r), source)
    };
    let mut storage = Amount::of(r.ebs.clone());
    // An Elastic IP stays attached (and billed) while stopped.
    if i.state != InstanceState::Running {
        storage.add(Ok(r.ipv4));
    }
    Sighting {
        key: i.id.clone(),
        kind: Kind::Instance,
        name: i.display_name().to_string(),
        region: i.region.clone(),
        cluster: i.cluster.clone(),
        emr_cluster: emr,
        tags: std::sync::Arc::new(i.tags.clone()),
        state: i.state.as_str().to_string(),
        count: u32::from(i.state == InstanceState::Running),
        unit,
        source,
        storage,
        exists: i.state != InstanceState::Terminated,
        started: i.launch_time.map(|t| Bound::new(t, Evidence::LaunchTime)),
        stopped: i.state_changed.map(|t| Bound::new(t, Evidence::Reason)),
    }
}

/// The hourly rate of one node of an EMR group: EC2 (spot where the group
/// is) plus the EMR fee.
pub fn group_unit(c: &EmrCluster, ty: &str, market: &str, prices: &Prices) -> (Amount, String) {
    let spot = market.eq_ignore_ascii_case("SPOT");
    let ec2 = prices.instance_rate(&c.region, c.availability_zone.as_deref(), ty, spot);
    let source = ec2
        .as_ref()
        .map_or("unknown", |r| r.source.label())
        .to_string();
    let mut a = Amount::zero();
    a.add(ec2.map(|r| r.usd_per_hour));
    a.add(prices.emr_fee(&c.region, ty));
    (a, format!("{source} + EMR fee"))
}

fn group_sightings<'a>(
    c: &'a EmrCluster,
    prices: &'a Prices,
) -> impl Iterator<Item = Sighting> + 'a {
    let ended = matches!(
        c.state,
        EmrState::Terminated | EmrState::TerminatedWithErrors
    );
    c.instance_groups.iter().map(move |g| {
        let (unit, source) = group_unit(c, &g.instance_type, &g.market, prices);
        let running = if ended {
            0
        } else {
            u32::try_from(g.running).unwrap_or(0)
        };
        Sighting {
            key: format!("{}/{}", c.id, g.id),
            kind: Kind::EmrGroup,
            name: format!("{} {} {}", c.name, g.role, g.instance_type),
            region: c.region.clone(),
            cluster: Some(c.name.clone()),
            emr_cluster: Some(c.id.clone()),
            tags: std::sync::Arc::new(c.tags.clone()),
            state: if ended {
                "terminated".to_string()
            } else {
                format!("{running} running")
            },
            count: running,
            unit,
            source,
            storage: Amount::zero(),
            exists: !ended,
            started: c
                .ready
                .or(c.created)
                .map(|t| Bound::new(t, Evidence::Timeline)),
            stopped: c.ended.map(|t| Bound::new(t, Evidence::Timeline)),
        }
    })
}

/// What one resource costs, as reported.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct InstanceCost {
    /// The instance id, or `cluster-id/group-id` for an EMR instance group.
    pub id: String,
    pub name: String,
    pub kind: &'static str,
    pub state: String,
    pub region: String,
    /// The Spark or EMR cluster's name.
    pub cluster: Option<String>,
    /// The EMR cluster id (EMR nodes and groups).
    pub emr_cluster: Option<String>,
    #[serde(skip)]
    pub tags: super::ledger::Tags,
    /// What it costs per hour now.
    pub hourly: Amount,
    /// What stopping it would save per hour (what runs).
    pub stop_saves_hourly: Amount,
    /// The hourly rate of one running unit (an instance; a node of a group).
    pub unit_hourly: Amount,
    /// Since its current run began (while it runs).
    pub since_start: Option<Amount>,
    pub today: Amount,
    pub month_to_date: Amount,
    pub price_source: String,
    /// How long the current run has been seen running, in seconds.
    pub running_secs: Option<i64>,
}

impl InstanceCost {
    /// Whether it is billed as running now.
    pub fn is_running(&self) -> bool {
        self.running_secs.is_some()
    }

    /// Terminated, or gone from the listings (kept until the month ends).
    pub fn is_gone(&self) -> bool {
        matches!(self.state.as_str(), "terminated" | "gone")
    }
}

/// The figures of one ledger resource at `now`.
pub fn resource_cost(key: &str, r: &Resource, now: DateTime<Utc>) -> InstanceCost {
    let run = r.open_run();
    let since_start = run.map(|span| {
        let w = Window {
            from: span.start.at,
            to: DateTime::<Utc>::MAX_UTC,
        };
        let mut a = span.cost(&w, true);
        for s in &r.storage {
            a.merge(&s.cost(&w, false));
        }
        a
    });
    InstanceCost {
        id: key.to_string(),
        name: r.name.clone(),
        kind: r.kind.as_str(),
        state: r.state.clone(),
        region: r.region.clone(),
        cluster: r.cluster.clone(),
        emr_cluster: r.emr_cluster.clone(),
        tags: r.tags.clone(),
        hourly: r.hourly(),
        stop_saves_hourly: r.run_rate(),
        unit_hourly: r.unit.clone(),
        since_start,
        today: r.cost(&Window::day(now)),
        month_to_date: r.cost(&Window::month(now)),
        price_source: r.source.clone(),
        running_secs: run.map(|s| (s.extent() - s.start.at).num_seconds()),
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
    let burn: Amount = items.iter().map(|i| i.hourly.clone()).sum();
    let today: Amount = items.iter().map(|i| i.today.clone()).sum();
    let month: Amount = items.iter().map(|i| i.month_to_date.clone()).sum();
    let left_ms = (Window::month(now).to - now).num_milliseconds();
    let mut projected = month.clone();
    projected.merge(&burn.over_ms(left_ms));
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
    /// How many of the members are instances (an EMR cluster's groups are
    /// members too).
    pub nodes: usize,
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
            nodes: 0,
        });
        g.hourly.merge(&item.hourly);
        if let Some(s) = &item.since_start {
            g.since_start.merge(s);
        }
        g.today.merge(&item.today);
        g.month_to_date.merge(&item.month_to_date);
        g.members.push(item.id.clone());
        g.nodes += usize::from(item.kind == "instance");
    }
    let mut out: Vec<Group> = groups.into_values().collect();
    out.sort_by(|a, b| b.hourly.known.cmp(&a.hourly.known).then(a.key.cmp(&b.key)));
    out
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
const S3_GB: i64 = 1_073_741_824;

/// S3 Standard storage cost of each bucket (CloudWatch size × the region's
/// $/GB-month). A bucket without a reported size is unknown, not free.
pub fn storage_costs(sizes: &[crate::model::BucketSize], prices: &Prices) -> Vec<StorageCost> {
    sizes
        .iter()
        .map(|s| {
            let (monthly, hourly) = match (s.bytes, prices.s3_standard_gb_month(&s.region)) {
                (Some(0), _) => (Amount::zero(), Amount::zero()),
                (Some(bytes), Ok(rate)) => {
                    let gb = Decimal::from(bytes) / Decimal::from(S3_GB);
                    let month = rate.times(gb);
                    (
                        Amount::known(month),
                        Amount::known(month.div_round(prices.hours_per_month())),
                    )
                }
                (Some(_), Err(why)) => (Amount::unknown(why.clone()), Amount::unknown(why)),
                (None, _) => {
                    let why = format!(
                        "no BucketSizeBytes for {} in CloudWatch yet (S3 reports sizes once a day)",
                        s.bucket
                    );
                    (Amount::unknown(why.clone()), Amount::unknown(why))
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

#[cfg(test)]
mod tests;
