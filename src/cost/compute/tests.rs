//! Tests of the parent module (kept apart so the module stays readable).
use super::*;
use crate::cost::ledger::Book;
use crate::cost::money::show;
use crate::sandbox::world as demo;

fn m(s: &str) -> Money {
    Money::parse(s).expect(s)
}

/// The figures of one instance seen once at `now` (a fresh ledger).
fn cost_of(i: &Instance, prices: &Prices, now: DateTime<Utc>) -> InstanceCost {
    let mut book = Book::default();
    book.observe(&[instance_sighting(i, prices)], &[], now);
    resource_cost(&i.id, &book.resources[&i.id], now)
}

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
    assert_eq!(c[0].monthly.value(), Some(per_gb * 100));
    assert_eq!(
        c[0].hourly.value(),
        Some((per_gb * 100).div_round(Decimal::from(730)))
    );
    let c = storage_costs(&[size(Some(0), "us-east-1")], &prices);
    assert_eq!(
        (c[0].monthly.value(), c[0].hourly.value()),
        (Some(Money::ZERO), Some(Money::ZERO))
    );
    let c = storage_costs(&[size(None, "us-east-1")], &prices);
    assert!(!c[0].monthly.is_complete(), "no size is unknown, never $0");
    assert!(c[0].monthly.unknown[0].contains("BucketSizeBytes"));
    let c = storage_costs(&[size(Some(1 << 30), "xx-nowhere-1")], &prices);
    assert!(!c[0].monthly.is_complete());
    // Every region of the table prices S3 Standard now.
    for region in [
        "eu-west-1",
        "eu-central-1",
        "ap-southeast-2",
        "ca-central-1",
    ] {
        assert!(prices.s3_standard_gb_month(region).is_ok(), "{region}");
    }
}

#[test]
fn windows_at_month_and_year_ends() {
    let t = |y, mo, d, h| Utc.with_ymd_and_hms(y, mo, d, h, 0, 0).single().expect("t");
    let dec = Window::month(t(2026, 12, 31, 23));
    assert_eq!((dec.from, dec.to), (t(2026, 12, 1, 0), t(2027, 1, 1, 0)));
    let feb = Window::month(t(2028, 2, 29, 12));
    assert_eq!((feb.to - feb.from).num_days(), 29);
    assert_eq!(Window::day(t(2026, 12, 31, 23)).to, t(2027, 1, 1, 0));
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
    let c = cost_of(ds, &prices, now);
    // t3.medium 0.0416 + 20 GiB gp3 × 0.08 / 730 + IPv4 0.005
    let ebs = (m("0.08") * 20).div_round(Decimal::from(730));
    assert_eq!(c.hourly.value(), Some(m("0.0416") + ebs + m("0.005")));
    assert_eq!(c.stop_saves_hourly.value(), Some(m("0.0466")));
    let ms = (now - start).num_milliseconds();
    assert_eq!(
        c.since_start.expect("running").value(),
        Some(m("0.0466").over_ms(ms) + ebs.over_ms(ms))
    );
    assert_eq!(c.today, c.month_to_date, "launched today");
    assert_eq!(c.price_source, "embedded (derived)");
    assert_eq!(c.running_secs, Some((now - start).num_seconds()));
}

#[test]
fn a_stopped_instance_keeps_paying_for_its_volumes_only() {
    let prices = Prices::embedded();
    let inv = demo::inventory();
    let mut gpu = inv
        .instances
        .iter()
        .find(|i| i.display_name() == "gpu-scratch")
        .expect("gpu")
        .clone();
    let now = demo::now();
    // Its volumes exist at least since it was last launched.
    gpu.launch_time = Some(now - Duration::hours(2));
    let c = cost_of(&gpu, &prices, now);
    let ebs = (m("0.08") * 200).div_round(Decimal::from(730));
    assert_eq!(c.hourly.value(), Some(ebs));
    assert_eq!(c.stop_saves_hourly.known, Money::ZERO);
    assert!(c.since_start.is_none());
    assert_eq!(c.today.value(), Some(ebs.over_ms(2 * 3_600_000)));
}

#[test]
fn unknown_prices_make_amounts_incomplete_not_zero() {
    let prices = Prices::embedded();
    let mut i = demo::inventory().instances[0].clone();
    i.instance_type = "m4.large".into();
    let now = demo::now();
    i.launch_time = Some(now - Duration::hours(1));
    let c = cost_of(&i, &prices, now);
    assert_eq!(c.hourly.value(), None);
    assert!(
        c.hourly.unknown[0].contains("no price for m4.large"),
        "{:?}",
        c.hourly.unknown
    );
    assert!(
        c.hourly.known > Money::ZERO,
        "the known parts (EBS, IPv4) still add up"
    );
    assert!(show(&c.hourly).starts_with('≥'));
    assert!(!c.today.is_complete());
    let totals = totals(&[c], now);
    assert!(!totals.burn_rate.is_complete());
    assert!(!totals.projected_month.is_complete());
    // A stopped instance whose compute price is unknown costs a known amount now.
    i.state = InstanceState::Stopped;
    i.public_ip = None;
    assert!(cost_of(&i, &prices, now).hourly.is_complete());
}

#[test]
fn emr_nodes_are_billed_in_their_groups_by_running_count() {
    let prices = Prices::embedded();
    let mut inv = demo::inventory();
    let cluster = inv.emr_clusters[0].clone();
    let mut node = inv.instances[1].clone();
    node.tags.insert(EMR_NODE_TAG.into(), cluster.id.clone());
    inv.instances = vec![node.clone()];
    let seen = sightings(&inv, &prices);
    let n = seen.iter().find(|s| s.key == node.id).expect("node");
    assert_eq!(
        n.unit.value(),
        Some(prices.ipv4_hourly()),
        "compute is in the group"
    );
    assert_eq!(n.emr_cluster.as_deref(), Some(cluster.id.as_str()));
    let core = seen
        .iter()
        .find(|s| s.key.ends_with("ig-DEMOCORE"))
        .expect("core group");
    // CORE: 2 × (m5.xlarge 0.192 + EMR fee 0.048)
    assert_eq!(core.count, 2);
    assert_eq!(core.unit.value(), Some(m("0.24")));
    let task = seen
        .iter()
        .find(|s| s.key.ends_with("ig-DEMOTASK"))
        .expect("task group");
    assert!(!task.unit.is_complete(), "spot without a spot price");
    let spot = prices.clone().with_spot(
        [(
            (
                "us-east-1".to_string(),
                "us-east-1a".to_string(),
                "m5.large".to_string(),
            ),
            m("0.035"),
        )]
        .into(),
    );
    let (unit, _) = group_unit(&cluster, "m5.large", "SPOT", &spot);
    assert_eq!(unit.value(), Some(m("0.035") + m("0.024")));

    // Pausing the TASK group (running 0) takes its rate off at once.
    let now = demo::now();
    let mut book = Book::default();
    book.observe(&sightings(&inv, &spot), &[], now);
    let before = crate::cost::report(&book, None, now);
    inv.emr_clusters[0].instance_groups[2].running = 0;
    book.observe(&sightings(&inv, &spot), &[], now + Duration::seconds(5));
    let after = crate::cost::report(&book, None, now + Duration::seconds(5));
    let dropped = before.totals.burn_rate.known - after.totals.burn_rate.known;
    assert_eq!(dropped, (m("0.035") + m("0.024")) * 2);
    assert!(after.totals.today.known >= before.totals.today.known);
}

#[test]
fn projection_adds_the_burn_for_the_rest_of_the_month() {
    let prices = Prices::embedded();
    let inv = demo::inventory();
    let now = demo::now();
    let c = cost_of(&inv.instances[0], &prices, now);
    let tot = totals(std::slice::from_ref(&c), now);
    let left = (Window::month(now).to - now).num_milliseconds();
    let want = c.month_to_date.known + c.hourly.known.over_ms(left);
    assert_eq!(tot.projected_month.value(), Some(want));
}
