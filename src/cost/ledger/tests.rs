//! The ledger's rules, case by case (the property tests in tests/ledger.rs
//! try random sequences).
use super::*;
use chrono::TimeZone;

use crate::cost::money::Money;

fn t(h: u32, m: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 12, 1, h, m, s)
        .single()
        .expect("t")
}

fn dollars(s: &str) -> Money {
    Money::parse(s).expect(s)
}

/// An instance at $3.60/hour ($0.001 a second), no storage cost.
fn seen(count: u32, started: Option<DateTime<Utc>>, stopped: Option<DateTime<Utc>>) -> Sighting {
    Sighting {
        key: "i-1".into(),
        kind: Kind::Instance,
        name: "box".into(),
        region: "us-east-1".into(),
        cluster: None,
        emr_cluster: None,
        tags: Default::default(),
        state: if count > 0 { "running" } else { "stopped" }.into(),
        count,
        unit: Amount::known(dollars("3.6")),
        source: "test".into(),
        storage: Amount::zero(),
        exists: true,
        started: started.map(|t| Bound::new(t, Evidence::LaunchTime)),
        stopped: stopped.map(|t| Bound::new(t, Evidence::Reason)),
    }
}

fn day() -> Window {
    Window {
        from: t(0, 0, 0),
        to: t(0, 0, 0) + Duration::days(1),
    }
}

/// Seconds billed today, at $0.001 a second.
fn secs_today(b: &Book) -> Money {
    b.resources["i-1"]
        .cost(&day())
        .known
        .times(rust_decimal::Decimal::from(1000))
}

fn n(s: i64) -> Money {
    Money::new(s, 0)
}

#[test]
fn a_run_bills_at_least_a_minute_and_then_by_the_second() {
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 0, 0));
    assert_eq!(
        secs_today(&b),
        n(60),
        "a run that just began owes its minute"
    );
    b.observe(
        &[seen(0, Some(t(9, 0, 0)), Some(t(9, 0, 10)))],
        &[],
        t(9, 0, 30),
    );
    assert_eq!(secs_today(&b), n(60), "stopped after 10 s: still 60 s");
    b.observe(&[seen(1, Some(t(9, 5, 0)), None)], &[], t(9, 5, 0));
    b.observe(&[seen(1, Some(t(9, 5, 0)), None)], &[], t(9, 6, 1));
    assert_eq!(secs_today(&b), n(60 + 61), "each start has its own minimum");
    b.check().expect("invariants");
}

#[test]
fn a_kept_launch_time_never_counts_the_stopped_time_again() {
    // The emulator keeps LaunchTime across stop and start (AWS resets it).
    let launched = t(8, 0, 0);
    let mut b = Book::default();
    b.observe(&[seen(1, Some(launched), None)], &[], t(9, 0, 0));
    b.did("i-1", Did::Count(0), t(9, 0, 0));
    b.observe(
        &[seen(0, Some(launched), Some(t(9, 0, 0)))],
        &[],
        t(9, 10, 0),
    );
    b.did("i-1", Did::Count(1), t(10, 0, 0));
    b.observe(&[seen(1, Some(launched), None)], &[], t(10, 30, 0));
    let r = &b.resources["i-1"];
    assert_eq!(r.runs.len(), 2);
    assert_eq!(r.runs[1].start, Bound::new(t(10, 0, 0), Evidence::Skiff));
    assert_eq!(secs_today(&b), n(3600 + 1800));
    // Seen running again with the old LaunchTime and no action of skiff's:
    // the run starts when it was first seen, not at LaunchTime.
    b.observe(&[seen(0, Some(launched), None)], &[], t(11, 0, 0));
    b.observe(&[seen(1, Some(launched), None)], &[], t(11, 5, 0));
    let r = &b.resources["i-1"];
    assert_eq!(r.runs[2].start, Bound::new(t(11, 5, 0), Evidence::Seen));
    b.check().expect("invariants");
}

#[test]
fn a_stop_seen_late_ends_when_the_api_says_or_when_last_seen() {
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 30, 0));
    b.observe(
        &[seen(0, Some(t(9, 0, 0)), Some(t(9, 40, 0)))],
        &[],
        t(10, 0, 0),
    );
    assert_eq!(secs_today(&b), n(40 * 60), "StateTransitionReason");
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 30, 0));
    b.observe(&[seen(0, Some(t(9, 0, 0)), None)], &[], t(10, 0, 0));
    assert_eq!(
        secs_today(&b),
        n(30 * 60),
        "no reason given: when last seen"
    );
}

#[test]
fn an_unseen_stop_and_start_with_a_new_launch_time_is_two_runs() {
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 30, 0));
    b.observe(&[seen(1, Some(t(10, 0, 0)), None)], &[], t(10, 15, 0));
    let r = &b.resources["i-1"];
    assert_eq!(r.runs.len(), 2);
    assert_eq!(secs_today(&b), n(30 * 60 + 15 * 60));
    b.check().expect("invariants");
}

#[test]
fn terminated_and_vanished_resources_keep_what_they_cost() {
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(10, 0, 0));
    let before = secs_today(&b);
    let mut gone = seen(0, Some(t(9, 0, 0)), Some(t(10, 0, 5)));
    gone.exists = false;
    gone.state = "terminated".into();
    b.observe(&[gone], &[], t(10, 1, 0));
    assert_eq!(secs_today(&b), before + n(5));
    assert!(b.resources["i-1"].gone);
    assert_eq!(b.resources["i-1"].hourly(), Amount::zero());
    // Another instance that a complete listing no longer has.
    let mut other = seen(1, Some(t(9, 0, 0)), None);
    other.key = "i-2".into();
    b.observe(&[other], &[], t(10, 0, 0));
    let listed = [(Kind::Instance, "us-east-1".to_string())];
    b.observe(&[], &listed, t(10, 5, 0));
    let r = &b.resources["i-2"];
    assert!(r.gone);
    assert_eq!(r.runs[0].extent(), t(10, 0, 0));
    // Pruned only once the month is over.
    b.prune(t(0, 0, 0));
    assert_eq!(b.resources.len(), 2);
    b.prune(
        Utc.with_ymd_and_hms(2027, 1, 1, 0, 0, 0)
            .single()
            .expect("t"),
    );
    assert!(b.resources.is_empty());
}

#[test]
fn a_rate_change_applies_from_when_it_was_seen_and_never_takes_back() {
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 0, 0));
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 10, 0));
    let at_910 = secs_today(&b);
    // Half the price from some time in (9:10, 9:20]: the gap at the lower.
    let mut cheaper = seen(1, Some(t(9, 0, 0)), None);
    cheaper.unit = Amount::known(dollars("1.8"));
    b.observe(std::slice::from_ref(&cheaper), &[], t(9, 20, 0));
    assert_eq!(secs_today(&b), at_910 + n(300));
    assert!(secs_today(&b) >= at_910);
    // Dearer again: the gap at the old (lower) price.
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 30, 0));
    assert_eq!(secs_today(&b), at_910 + n(300) + n(300));
    b.check().expect("invariants");
}

#[test]
fn older_news_is_ignored_and_a_learned_price_fills_in() {
    let mut b = Book::default();
    let mut unknown = seen(1, Some(t(9, 0, 0)), None);
    unknown.unit = Amount::unknown("no spot price yet");
    b.observe(std::slice::from_ref(&unknown), &[], t(9, 30, 0));
    assert!(!b.resources["i-1"].cost(&day()).is_complete());
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 45, 0));
    assert_eq!(
        secs_today(&b),
        n(45 * 60),
        "the whole run at the price learned"
    );
    assert!(b.resources["i-1"].cost(&day()).is_complete());
    // A listing made before the last one, arriving after it.
    b.observe(
        &[seen(0, Some(t(9, 0, 0)), Some(t(9, 1, 0)))],
        &[],
        t(9, 40, 0),
    );
    assert!(b.resources["i-1"].open_run().is_some());
    assert_eq!(secs_today(&b), n(45 * 60));
}

#[test]
fn the_minimum_of_a_run_that_crosses_midnight_is_split_there() {
    let mut b = Book::default();
    let late = t(23, 59, 30);
    b.observe(&[seen(1, Some(late), None)], &[], t(23, 59, 50));
    let tomorrow = Window {
        from: day().to,
        to: day().to + Duration::days(1),
    };
    let kms = |b: &Book, w: &Window| {
        b.resources["i-1"]
            .cost(w)
            .known
            .times(rust_decimal::Decimal::from(1000))
    };
    assert_eq!(kms(&b, &day()), n(30), "its first minute, up to midnight");
    assert_eq!(kms(&b, &tomorrow), n(30), "the rest of it");
    b.observe(
        &[seen(1, Some(late), None)],
        &[],
        day().to + Duration::seconds(40),
    );
    assert_eq!(kms(&b, &day()), n(30), "yesterday is unchanged");
    assert_eq!(kms(&b, &tomorrow), n(40));
}

#[test]
fn a_cheaper_rate_inside_the_first_minute_takes_nothing_back() {
    let mut b = Book::default();
    b.observe(&[seen(1, Some(t(9, 0, 0)), None)], &[], t(9, 0, 10));
    let before = secs_today(&b);
    let mut cheaper = seen(1, Some(t(9, 0, 0)), None);
    cheaper.unit = Amount::known(dollars("0.36"));
    b.observe(&[cheaper], &[], t(9, 0, 30));
    assert_eq!(
        secs_today(&b),
        before,
        "the first minute is billed at its first rate"
    );
}

#[test]
fn skiff_s_own_actions_bound_runs_exactly() {
    let mut b = Book::default();
    b.observe(&[seen(0, Some(t(8, 0, 0)), None)], &[], t(9, 0, 0));
    b.did("i-1", Did::Count(1), t(9, 0, 3));
    b.did("i-1", Did::Count(0), t(9, 30, 3));
    assert_eq!(secs_today(&b), n(30 * 60));
    b.did("i-1", Did::Terminated, t(9, 40, 0));
    assert!(b.resources["i-1"].gone);
    // Unknown resources: nothing to record.
    b.did("i-404", Did::Count(1), t(9, 0, 0));
    assert!(!b.resources.contains_key("i-404"));
    b.check().expect("invariants");
}

#[test]
fn a_start_by_skiff_takes_the_rate_it_is_first_seen_running_at() {
    // Stopped, it had no public address: the rate known then lacks IPv4.
    let mut b = Book::default();
    b.observe(&[seen(0, Some(t(8, 0, 0)), None)], &[], t(9, 0, 0));
    b.did("i-1", Did::Count(1), t(9, 0, 10));
    let before = secs_today(&b);
    let mut with_ip = seen(1, Some(t(8, 0, 0)), None);
    with_ip.unit = Amount::known(dollars("7.2"));
    b.observe(&[with_ip], &[], t(9, 0, 20));
    // The whole run, its first minute included, at the rate seen running.
    assert_eq!(secs_today(&b), n(120));
    assert!(secs_today(&b) >= before);
    b.check().expect("invariants");
}
