//! What costs money while nothing runs, and what each costs a month: the
//! pure half of `skiff leftovers` (the listing is in `cloud::leftovers`,
//! the gathering in `ops::leftovers`).

use serde::Serialize;

use super::money::{Amount, Money};
use super::prices::Prices;

/// What kind of leftover.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Volume,
    Snapshot,
    Address,
    MultipartUpload,
    Image,
    StoppedInstance,
    IdleInstance,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Volume => "volume",
            Self::Snapshot => "snapshot",
            Self::Address => "address",
            Self::MultipartUpload => "multipart_upload",
            Self::Image => "image",
            Self::StoppedInstance => "stopped_instance",
            Self::IdleInstance => "idle_instance",
        }
    }

    /// How `skiff leftovers rm` removes one, if it can.
    pub fn removal(self) -> Option<&'static str> {
        match self {
            Self::Volume | Self::Snapshot => Some("delete"),
            Self::Address => Some("release"),
            Self::MultipartUpload => Some("abort"),
            Self::Image | Self::StoppedInstance | Self::IdleInstance => None,
        }
    }
}

/// One leftover: what, where, what it costs a month and why it is listed.
#[derive(Debug, Clone, PartialEq)]
pub struct Leftover {
    pub kind: Kind,
    pub id: String,
    pub region: String,
    pub monthly: Amount,
    /// The monthly figure is an upper bound (snapshots are incremental).
    pub at_most: bool,
    /// Why it is listed (the faces put it in words).
    pub why: Why,
}

/// What makes something a leftover, as values.
#[derive(Debug, Clone, PartialEq)]
pub enum Why {
    /// A volume attached to nothing.
    Volume {
        gib: i64,
        volume_type: String,
        name: Option<String>,
    },
    /// An image of the account's, and the snapshots behind it.
    Image {
        name: String,
        snapshots: usize,
        gib: i64,
    },
    /// A snapshot no image uses, of a volume of `gib`.
    Snapshot { gib: i64, description: String },
    /// An Elastic IP associated with nothing.
    Address { public_ip: String },
    /// A running instance whose CPU stayed under `peak_cpu` for a day.
    IdleInstance {
        name: String,
        instance_type: String,
        peak_cpu: f64,
    },
    /// A stopped instance whose disks are still billed.
    StoppedInstance { name: String, gib: i64 },
    /// A multipart upload never completed.
    Upload {
        bucket: String,
        key: String,
        initiated: Option<chrono::DateTime<chrono::Utc>>,
        stored: Option<u64>,
    },
}

/// Hours in a month, as the price table counts them.
fn per_month(prices: &Prices, hourly: Money) -> Money {
    hourly.times(prices.hours_per_month())
}

/// An unattached volume: its size at its type's price.
pub fn volume_monthly(prices: &Prices, region: &str, gib: i64, volume_type: &str) -> Amount {
    Amount::of(
        prices
            .ebs_gb_month(region, volume_type)
            .map(|p| p.times(gib.into())),
    )
}

/// Snapshots, by the size of their volumes (an upper bound).
pub fn snapshot_monthly(prices: &Prices, region: &str, gib: i64) -> Amount {
    Amount::of(
        prices
            .snapshot_gb_month(region)
            .map(|p| p.times(gib.into())),
    )
}

/// An Elastic IP: public IPv4 addresses are billed by the hour.
pub fn address_monthly(prices: &Prices) -> Amount {
    Amount::known(per_month(prices, prices.ipv4_hourly()))
}

/// Parts of an unfinished upload, stored at S3 Standard's price (GB =
/// 2^30 bytes); unknown when their size could not be read.
pub fn upload_monthly(prices: &Prices, region: &str, stored: Option<u64>) -> Amount {
    match stored {
        Some(bytes) => Amount::of(prices.s3_standard_gb_month(region).map(|p| {
            p.times(rust_decimal::Decimal::from(bytes))
                .div_round(rust_decimal::Decimal::from(1u64 << 30))
        })),
        None => Amount::unknown("the size of its parts could not be read"),
    }
}

/// An instance's hourly rate over a month.
pub fn running_monthly(prices: &Prices, region: &str, instance_type: &str) -> Amount {
    Amount::of(
        prices
            .on_demand(region, instance_type)
            .map(|r| per_month(prices, r.usd_per_hour)),
    )
}

/// Idle: the highest CPU of every hour of the last day under 2 %, with at
/// least a day's worth of hours known.
pub const IDLE_CPU_MAX: f64 = 2.0;

pub fn is_idle(hourly_peaks: &[f64]) -> bool {
    hourly_peaks.len() >= 20 && hourly_peaks.iter().all(|p| *p < IDLE_CPU_MAX)
}

/// The sum; unknown parts make it a lower bound.
pub fn total(items: &[Leftover]) -> Amount {
    let mut a = Amount::zero();
    for i in items {
        a.merge(&i.monthly);
    }
    a
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).unwrap_or_else(|| panic!("{s}"))
    }

    #[test]
    fn what_the_usual_leftovers_cost_a_month() {
        let p = Prices::embedded();
        assert_eq!(
            volume_monthly(&p, "us-east-1", 100, "gp3").value(),
            Some(m("8.00"))
        );
        assert_eq!(address_monthly(&p).value(), Some(m("3.65")));
        assert_eq!(
            snapshot_monthly(&p, "us-east-1", 8).value(),
            Some(m("0.40"))
        );
        // 1 GiB of parts in S3 Standard (us-east-1: $0.023/GB-month).
        assert_eq!(
            upload_monthly(&p, "us-east-1", Some(1 << 30)).value(),
            Some(m("0.023"))
        );
        let unknown = upload_monthly(&p, "us-east-1", None);
        assert!(
            !unknown.is_complete() && unknown.known.is_zero(),
            "unknown, never $0"
        );
        assert!(!volume_monthly(&p, "mars-1", 10, "gp3").is_complete());
    }

    #[test]
    fn idle_needs_a_days_worth_of_low_peaks() {
        assert!(is_idle(&[0.5; 24]));
        assert!(!is_idle(&[0.5; 5]), "too little data says nothing");
        let mut busy = [0.5; 24];
        busy[7] = 40.0;
        assert!(!is_idle(&busy));
    }

    #[test]
    fn unknown_parts_make_the_total_a_lower_bound() {
        let p = Prices::embedded();
        let item = |monthly| Leftover {
            kind: Kind::Volume,
            id: "vol-1".into(),
            region: "us-east-1".into(),
            monthly,
            at_most: false,
            why: Why::Address {
                public_ip: "203.0.113.9".into(),
            },
        };
        let t = total(&[
            item(address_monthly(&p)),
            item(upload_monthly(&p, "us-east-1", None)),
        ]);
        assert_eq!(t.known, m("3.65"));
        assert!(!t.is_complete());
    }
}
