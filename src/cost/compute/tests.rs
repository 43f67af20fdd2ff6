//! Tests of the parent module (kept apart so the module stays readable).
use super::*;
use crate::demo;

#[test]
fn storage_is_size_times_the_regions_price_and_unknown_without_a_size() {
    let prices = Prices::embedded();
    let size = |bytes: Option<u64>, region: &str| crate::model::BucketSize {
        bucket: "b".into(),
        region: region.into(),
        bytes,
        at: None,
    };
    let per_gb = prices.s3_standard_gb_month("us-east-1").expect("s3 price");
    let c = storage_costs(&[size(Some(100 * (1 << 30)), "us-east-1")], &prices);
    assert!((c[0].monthly.known_usd - 100.0 * per_gb).abs() < 1e-9);
    assert!((c[0].hourly.known_usd - 100.0 * per_gb / 730.0).abs() < 1e-9);
    assert!(c[0].monthly.is_complete());
    let c = storage_costs(&[size(Some(0), "us-east-1")], &prices);
    assert_eq!(
        (c[0].monthly.value(), c[0].hourly.value()),
        (Some(0.0), Some(0.0))
    );
    let c = storage_costs(&[size(None, "us-east-1")], &prices);
    assert!(!c[0].monthly.is_complete(), "no size is unknown, never $0");
    assert!(c[0].monthly.unknown[0].contains("BucketSizeBytes"));
    let c = storage_costs(&[size(Some(1 << 30), "xx-nowhere-1")], &prices);
    assert!(!c[0].monthly.is_complete());
}

fn t(d: u32, h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, d, h, m, s)
        .single()
        .expect("time")
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-9
}

#[test]
fn billing_edges() {
    let day = Window::day(t(21, 10, 0, 0));
    let now = t(21, 12, 0, 0);
    let cases: &[(&str, Run, f64)] = &[
        (
            "a 10 s run is billed 60 s",
            Run {
                start: t(21, 9, 0, 0),
                end: Some(t(21, 9, 0, 10)),
            },
            60.0,
        ),
        (
            "a 61 s run is billed 61 s",
            Run {
                start: t(21, 9, 0, 0),
                end: Some(t(21, 9, 1, 1)),
            },
            61.0,
        ),
        (
            "a run that just began owes its minute",
            Run {
                start: t(21, 11, 59, 50),
                end: None,
            },
            60.0,
        ),
        (
            "a run still going counts to now",
            Run {
                start: t(21, 11, 0, 0),
                end: None,
            },
            3600.0,
        ),
        (
            "across UTC midnight only today's part counts",
            Run {
                start: t(20, 23, 0, 0),
                end: Some(t(21, 1, 0, 0)),
            },
            3600.0,
        ),
        (
            "yesterday's run costs nothing today",
            Run {
                start: t(20, 8, 0, 0),
                end: Some(t(20, 9, 0, 0)),
            },
            0.0,
        ),
        (
            "a minimum that spills past midnight is cut there",
            Run {
                start: t(20, 23, 59, 30),
                end: Some(t(20, 23, 59, 40)),
            },
            30.0,
        ),
    ];
    for (what, run, want) in cases {
        assert!(
            close(billed_secs(run, &day, now), *want),
            "{what}: {}",
            billed_secs(run, &day, now)
        );
    }
    // Stop and start inside a day: two runs, each with its own minimum.
    let runs = [
        Run {
            start: t(21, 8, 0, 0),
            end: Some(t(21, 8, 0, 5)),
        },
        Run {
            start: t(21, 9, 0, 0),
            end: Some(t(21, 9, 30, 0)),
        },
    ];
    let total: f64 = runs.iter().map(|r| billed_secs(r, &day, now)).sum();
    assert!(close(total, 60.0 + 1800.0));
}

#[test]
fn windows_at_month_and_year_ends() {
    let m = Window::month(
        Utc.with_ymd_and_hms(2026, 12, 31, 23, 59, 59)
            .single()
            .expect("t"),
    );
    assert_eq!(
        m.from,
        Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0)
            .single()
            .expect("t")
    );
    assert_eq!(
        m.to,
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
            .single()
            .expect("t")
    );
    let feb = Window::month(
        Utc.with_ymd_and_hms(2028, 2, 29, 12, 0, 0)
            .single()
            .expect("t"),
    );
    assert_eq!((feb.to - feb.from).num_days(), 29);
    let run = Run {
        start: Utc
            .with_ymd_and_hms(2026, 11, 30, 23, 0, 0)
            .single()
            .expect("t"),
        end: None,
    };
    let now = Utc
        .with_ymd_and_hms(2026, 12, 1, 1, 0, 0)
        .single()
        .expect("t");
    assert!(
        close(billed_secs(&run, &Window::month(now), now), 3600.0),
        "only December's hour counts in December"
    );
}

#[test]
fn a_running_instance_costs_compute_ebs_and_ipv4() {
    let prices = Prices::embedded();
    let inv = demo::inventory();
    let ds = inv
        .instances
        .iter()
        .find(|i| i.display_name() == "ds-workbench")
        .expect("ds");
    let now = demo::now();
    let start = ds.launch_time.expect("launched");
    let runs = [Run { start, end: None }];
    let c = instance_cost(
        &CostInput {
            instance: ds,
            runs: &runs,
            exists_since: start,
        },
        &prices,
        now,
    );
    // t3.medium 0.0416 + 20 GiB gp3 × 0.08 / 730 + IPv4 0.005
    let want = 0.0416 + 20.0 * 0.08 / 730.0 + 0.005;
    assert!(
        close(c.hourly.value().expect("known"), want),
        "{:?}",
        c.hourly
    );
    assert!(close(
        c.stop_saves_hourly.value().expect("known"),
        0.0416 + 0.005
    ));
    let hours = (now - start).num_seconds() as f64 / 3600.0;
    assert!(close(
        c.since_start.expect("running").value().expect("known"),
        want * hours
    ));
    assert_eq!(c.price_source, "embedded (derived)");
}

#[test]
fn a_stopped_instance_keeps_paying_for_its_volumes_only() {
    let prices = Prices::embedded();
    let inv = demo::inventory();
    let gpu = inv
        .instances
        .iter()
        .find(|i| i.display_name() == "gpu-scratch")
        .expect("gpu");
    let now = demo::now();
    let since = now - Duration::hours(2);
    let c = instance_cost(
        &CostInput {
            instance: gpu,
            runs: &[],
            exists_since: since,
        },
        &prices,
        now,
    );
    let ebs = 200.0 * 0.08 / 730.0;
    assert!(close(c.hourly.value().expect("known"), ebs));
    assert!(close(c.stop_saves_hourly.known_usd, 0.0));
    assert!(c.since_start.is_none());
    assert!(close(c.today.value().expect("known"), ebs * 2.0));
}

#[test]
fn unknown_prices_make_amounts_incomplete_not_zero() {
    let prices = Prices::embedded();
    let mut i = demo::inventory().instances[0].clone();
    i.instance_type = "m4.large".into();
    let now = demo::now();
    let start = now - Duration::hours(1);
    let runs = [Run { start, end: None }];
    let c = instance_cost(
        &CostInput {
            instance: &i,
            runs: &runs,
            exists_since: start,
        },
        &prices,
        now,
    );
    assert_eq!(c.hourly.value(), None);
    assert!(
        c.hourly.unknown[0].contains("no price for m4.large"),
        "{:?}",
        c.hourly.unknown
    );
    assert!(
        c.hourly.known_usd > 0.0,
        "the known parts (EBS, IPv4) still add up"
    );
    assert!(show(&c.hourly).starts_with('≥'));
    let totals = totals(&[c], now);
    assert!(!totals.burn_rate.is_complete());
    assert!(!totals.projected_month.is_complete());
    // A stopped instance whose compute price is unknown is still complete.
    i.state = InstanceState::Stopped;
    i.public_ip = None;
    let c = instance_cost(
        &CostInput {
            instance: &i,
            runs: &[],
            exists_since: start,
        },
        &prices,
        now,
    );
    assert!(c.hourly.is_complete());
}

#[test]
fn emr_nodes_pay_the_emr_fee() {
    let prices = Prices::embedded();
    let mut i = demo::inventory().instances[1].clone();
    i.tags.insert(EMR_NODE_TAG.into(), "j-1".into());
    let r = rates(&i, &prices);
    assert!(close(r.emr_fee.expect("fee"), 0.048), "m5.xlarge");
    assert_eq!(
        instance_cost(
            &CostInput {
                instance: &i,
                runs: &[],
                exists_since: demo::now()
            },
            &prices,
            demo::now()
        )
        .cluster
        .as_deref(),
        Some("rnd")
    );
}

#[test]
fn projection_adds_the_burn_for_the_rest_of_the_month() {
    let prices = Prices::embedded();
    let inv = demo::inventory();
    let ds = inv
        .instances
        .iter()
        .find(|i| i.display_name() == "ds-workbench")
        .expect("ds");
    let now = demo::now();
    let runs = [Run {
        start: ds.launch_time.expect("launch"),
        end: None,
    }];
    let c = instance_cost(
        &CostInput {
            instance: ds,
            runs: &runs,
            exists_since: ds.launch_time.expect("launch"),
        },
        &prices,
        now,
    );
    let tot = totals(std::slice::from_ref(&c), now);
    let hours_left = (Window::month(now).to - now).num_seconds() as f64 / 3600.0;
    let want = c.month_to_date.known_usd + c.hourly.known_usd * hours_left;
    assert!(close(tot.projected_month.value().expect("known"), want));
}

#[test]
fn money_formats() {
    assert_eq!(usd(0.0416), "$0.0416");
    assert_eq!(usd(12.3456), "$12.35");
    assert_eq!(usd(1234.5), "$1,235");
    assert_eq!(usd(0.0), "$0.00");
}
