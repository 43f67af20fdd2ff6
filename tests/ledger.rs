//! Property tests of the cost ledger: random sequences of starts, stops and
//! terminations (by skiff or by someone else), refreshes (some missed, some
//! answered late), skiff restarts and clock advances, with API answers that
//! lie the ways AWS and the emulator do (LaunchTime kept across a stop or
//! reset, a missing StateTransitionReason, transitions seen late). After
//! every step:
//! - the ledger's structural invariants hold (no overlap, order);
//! - today and the month never decrease (within the same day and month);
//! - skiff never bills more than AWS did: all time, its figure is at most
//!   the true runs billed (60 s minimum each) plus the off-periods no
//!   listing could have shown (stopped and started again between two
//!   listings);
//! - today is at most the sum over runs of max(60 s, run length) × rate;
//! - the report's totals equal an independent recomputation from the
//!   ledger's intervals (exact integer arithmetic, here).

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code

use chrono::{DateTime, Duration, TimeZone, Utc};
use proptest::prelude::*;
use rust_decimal::Decimal;

use skiff::cost::ledger::{Book, Bound, Did, Evidence, Kind, Sighting, Span, Window};
use skiff::cost::{Amount, Money, report};

/// Rates in micro-dollars per hour (exact in both arithmetics).
const RATES: [i64; 4] = [41_600, 192_000, 3_600_000, 7];
const STORAGE: [i64; 3] = [0, 21_918, 1_000];

#[derive(Debug, Clone)]
enum Step {
    Advance(i64),
    Start {
        i: usize,
        skiff: bool,
    },
    Stop {
        i: usize,
        skiff: bool,
    },
    Terminate {
        i: usize,
        skiff: bool,
    },
    Refresh {
        no_reason: bool,
    },
    /// The answer to a listing made `back` snapshots ago arrives now.
    LateAnswer {
        back: usize,
    },
    Restart,
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        4 => prop_oneof![1i64..=90, 60i64..=7_200].prop_map(Step::Advance),
        2 => (0usize..3, any::<bool>()).prop_map(|(i, skiff)| Step::Start { i, skiff }),
        2 => (0usize..3, any::<bool>()).prop_map(|(i, skiff)| Step::Stop { i, skiff }),
        1 => (0usize..3, any::<bool>()).prop_map(|(i, skiff)| Step::Terminate { i, skiff }),
        3 => any::<bool>().prop_map(|no_reason| Step::Refresh { no_reason }),
        1 => (1usize..4).prop_map(|back| Step::LateAnswer { back }),
        1 => Just(Step::Restart),
    ]
}

/// What really happened to one instance.
#[derive(Debug, Clone)]
struct Truth {
    rate: i64,
    storage: i64,
    launched: DateTime<Utc>,
    last_start: DateTime<Utc>,
    last_stop: Option<DateTime<Utc>>,
    /// Runs as AWS bills them.
    runs: Vec<(DateTime<Utc>, Option<DateTime<Utc>>)>,
    terminated: Option<DateTime<Utc>>,
    /// Stopped by someone else since the last listing: not seen yet.
    unseen_stop: Option<DateTime<Utc>>,
    /// Off-periods no listing showed (the bound allows them).
    hidden: Vec<(DateTime<Utc>, DateTime<Utc>)>,
}

impl Truth {
    fn running(&self) -> bool {
        self.runs.last().is_some_and(|r| r.1.is_none())
    }
}

#[derive(Debug, Clone)]
struct Snapshot {
    at: DateTime<Utc>,
    sightings: Vec<Sighting>,
}

struct World {
    now: DateTime<Utc>,
    kept_launch_time: bool,
    truth: Vec<Truth>,
    book: Book,
    snapshots: Vec<Snapshot>,
}

fn usd_per_hour(micro: i64) -> Amount {
    Amount::known(Money::new(micro, 6))
}

impl World {
    fn key(i: usize) -> String {
        format!("i-{i}")
    }

    fn sightings(&self, no_reason: bool) -> Vec<Sighting> {
        self.truth
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let running = t.running();
                let launch = if self.kept_launch_time {
                    t.launched
                } else {
                    t.last_start
                };
                let stopped = if running || no_reason {
                    None
                } else {
                    t.terminated.or(t.last_stop)
                };
                Sighting {
                    key: Self::key(n),
                    kind: Kind::Instance,
                    name: Self::key(n),
                    region: "us-east-1".into(),
                    cluster: None,
                    emr_cluster: None,
                    tags: Default::default(),
                    state: if t.terminated.is_some() {
                        "terminated"
                    } else if running {
                        "running"
                    } else {
                        "stopped"
                    }
                    .into(),
                    count: u32::from(running),
                    unit: usd_per_hour(t.rate),
                    source: "test".into(),
                    storage: usd_per_hour(t.storage),
                    exists: t.terminated.is_none(),
                    started: Some(Bound::new(launch, Evidence::LaunchTime)),
                    stopped: stopped.map(|at| Bound::new(at, Evidence::Reason)),
                }
            })
            .collect()
    }

    fn listed() -> Vec<(Kind, String)> {
        vec![(Kind::Instance, "us-east-1".to_string())]
    }

    /// A change while a stop was not seen yet: that off-period is hidden.
    fn hide_unseen(t: &mut Truth, now: DateTime<Utc>) {
        if let Some(from) = t.unseen_stop.take() {
            t.hidden.push((from, now));
        }
    }

    /// Every event happens at its own time: the clock moves a millisecond
    /// after each (as it does between any two calls).
    fn apply(&mut self, s: &Step) {
        self.happen(s);
        self.now += Duration::milliseconds(1);
    }

    fn happen(&mut self, s: &Step) {
        let now = self.now;
        match *s {
            Step::Advance(secs) => self.now += Duration::seconds(secs),
            Step::Start { i, skiff } => {
                let i = i % self.truth.len();
                let t = &mut self.truth[i];
                if t.terminated.is_some() || t.running() {
                    return;
                }
                Self::hide_unseen(t, now);
                t.runs.push((now, None));
                t.last_start = now;
                if skiff {
                    self.book.did(&Self::key(i), Did::Count(1), now);
                }
            }
            Step::Stop { i, skiff } => {
                let i = i % self.truth.len();
                let t = &mut self.truth[i];
                if t.terminated.is_some() {
                    return;
                }
                if skiff {
                    Self::hide_unseen(t, now);
                }
                if t.running() {
                    if let Some(r) = t.runs.last_mut() {
                        r.1 = Some(now);
                    }
                    t.last_stop = Some(now);
                    if !skiff {
                        t.unseen_stop = Some(now);
                    }
                }
                if skiff {
                    self.book.did(&Self::key(i), Did::Count(0), now);
                }
            }
            Step::Terminate { i, skiff } => {
                let i = i % self.truth.len();
                let t = &mut self.truth[i];
                if t.terminated.is_some() {
                    return;
                }
                // The API tells the time of the last transition only: a
                // stop not seen before the termination is hidden behind it.
                Self::hide_unseen(t, now);
                if let Some(r) = t.runs.last_mut().filter(|r| r.1.is_none()) {
                    r.1 = Some(now);
                }
                t.terminated = Some(now);
                if skiff {
                    self.book.did(&Self::key(i), Did::Terminated, now);
                }
            }
            Step::Refresh { no_reason } => {
                if self.snapshots.is_empty() && self.kept_launch_time {
                    // A first sighting has only LaunchTime to go by, and the
                    // emulator's is the first launch: the off-periods before
                    // it cannot be known.
                    for t in &mut self.truth {
                        let gaps: Vec<_> = t
                            .runs
                            .windows(2)
                            .filter_map(|w| Some((w[0].1?, w[1].0)))
                            .collect();
                        t.hidden.extend(gaps);
                    }
                }
                let sightings = self.sightings(no_reason);
                self.book.observe(&sightings, &Self::listed(), now);
                for t in &mut self.truth {
                    t.unseen_stop = None;
                }
                self.snapshots.push(Snapshot { at: now, sightings });
            }
            Step::LateAnswer { back } => {
                if let Some(snap) = self
                    .snapshots
                    .len()
                    .checked_sub(back)
                    .and_then(|n| self.snapshots.get(n))
                    .cloned()
                {
                    self.book.observe(&snap.sightings, &Self::listed(), snap.at);
                }
            }
            Step::Restart => {
                let text = serde_json::to_string(&self.book).expect("save");
                self.book = serde_json::from_str(&text).expect("load");
            }
        }
    }

    /// What AWS billed, all time: each run max(60 s, length), the volumes
    /// while the instance existed; plus the hidden off-periods at the run rate.
    fn bound_all(&self) -> Decimal {
        let mut sum = Decimal::ZERO;
        for t in &self.truth {
            for (start, end) in &t.runs {
                let ms = (end.unwrap_or(self.now) - *start)
                    .num_milliseconds()
                    .max(60_000);
                sum += Decimal::from(ms) * Decimal::from(t.rate);
            }
            for (from, to) in &t.hidden {
                sum += Decimal::from((*to - *from).num_milliseconds()) * Decimal::from(t.rate);
            }
            let end = t.terminated.unwrap_or(self.now);
            sum += Decimal::from((end - t.launched).num_milliseconds()) * Decimal::from(t.storage);
        }
        sum / Decimal::from(3_600_000_000_000i64)
    }
}

/// The cost of `spans` inside `w`, recomputed from the intervals alone, in
/// micro-dollar-milliseconds per hour (exact).
fn recompute(spans: &[Span], w: &Window, minimum: bool) -> (i128, usize) {
    let overlap = |a: DateTime<Utc>, b: DateTime<Utc>| -> i128 {
        let (s, e) = (a.max(w.from), b.min(w.to));
        if e > s {
            i128::from((e - s).num_milliseconds())
        } else {
            0
        }
    };
    let micro =
        |m: &Amount, count: u32| -> i128 { i128::from(m.known.micros()) * i128::from(count) };
    let (mut sum, mut pieces) = (0i128, 0usize);
    for span in spans {
        let end = span.end.map_or(span.seen, |b| b.at).max(span.start.at);
        let mut floor = span.start.at;
        if minimum {
            let first = &span.segments[0];
            floor = span.start.at + Duration::seconds(60);
            sum += overlap(span.start.at, floor) * micro(&first.unit, first.count);
            pieces += 1;
        }
        for (n, seg) in span.segments.iter().enumerate() {
            let to = span.segments.get(n + 1).map_or(end, |s| s.from);
            sum += overlap(seg.from.max(floor), to) * micro(&seg.unit, seg.count);
            pieces += 1;
        }
    }
    (sum, pieces)
}

fn to_units(m: Money) -> Decimal {
    m.decimal() * Decimal::from(3_600_000_000_000i64)
}

fn check(
    world: &World,
    last: &mut Option<(Window, Money, Window, Money)>,
) -> Result<(), TestCaseError> {
    world.book.check().map_err(TestCaseError::fail)?;
    let r = report(&world.book, None, world.now);
    let (day, month) = (Window::day(world.now), Window::month(world.now));
    let today = r.totals.today.known;
    let mtd = r.totals.month_to_date.known;
    if let Some((d, t, m, mm)) = last {
        if *d == day {
            prop_assert!(today >= *t, "today went down: {t} → {today}");
        }
        if *m == month {
            prop_assert!(mtd >= *mm, "the month went down: {mm} → {mtd}");
        }
    }
    *last = Some((day, today, month, mtd));

    // Never more than AWS billed (all time), and today within the runs.
    let all: Money = world
        .book
        .resources
        .values()
        .map(|res| res.cost(&Window::all()).known)
        .sum();
    let bound = world.bound_all();
    prop_assert!(
        all.decimal() <= bound + Decimal::new(1, 9),
        "skiff {all} > AWS {bound}"
    );
    prop_assert!(today.decimal() <= bound + Decimal::new(1, 9));

    // The totals against a recomputation from the intervals.
    for (w, total) in [(day, today), (month, mtd)] {
        let (mut sum, mut pieces) = (0i128, 0usize);
        for res in world.book.resources.values() {
            for (spans, minimum) in [(&res.runs, true), (&res.storage, false)] {
                let (s, p) = recompute(spans, &w, minimum);
                sum += s;
                pieces += p;
            }
        }
        let diff = (to_units(total) - Decimal::from_i128_with_scale(sum, 0)).abs();
        // Each piece is rounded to a pico-dollar once: 3.6 units at most.
        let slack = Decimal::from(u64::try_from(pieces).unwrap_or(0) + 1) * Decimal::new(36, 1);
        prop_assert!(
            diff <= slack,
            "report {total} vs intervals {sum} (±{slack})"
        );
    }
    Ok(())
}

fn start_time() -> DateTime<Utc> {
    // Close to the end of a day and of a month: sequences cross both.
    Utc.with_ymd_and_hms(2026, 11, 30, 21, 30, 0)
        .single()
        .expect("t")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, ..ProptestConfig::default() })]

    #[test]
    fn figures_never_fall_never_exceed_what_ran_and_add_up(
        kept_launch_time in any::<bool>(),
        instances in prop::collection::vec((0usize..RATES.len(), 0usize..STORAGE.len()), 1..=3),
        steps in prop::collection::vec(step(), 1..60),
    ) {
        let t0 = start_time();
        let truth: Vec<Truth> = instances
            .iter()
            .map(|&(r, s)| Truth {
                rate: RATES[r],
                storage: STORAGE[s],
                launched: t0,
                last_start: t0,
                last_stop: None,
                runs: vec![(t0, None)],
                terminated: None,
                unseen_stop: None,
                hidden: Vec::new(),
            })
            .collect();
        let mut world = World {
            now: t0,
            kept_launch_time,
            truth,
            book: Book::default(),
            snapshots: Vec::new(),
        };
        let mut last = None;
        for s in &steps {
            world.apply(s);
            check(&world, &mut last)?;
        }
    }
}

/// The sequence the issue reports, by hand: stop and start under the
/// emulator's kept LaunchTime, then a terminate, never counts twice and
/// never goes down.
#[test]
fn the_reported_double_count_and_drops_do_not_happen() {
    let t0 = start_time();
    let mut world = World {
        now: t0,
        kept_launch_time: true,
        truth: vec![
            Truth {
                rate: 192_000,
                storage: 0,
                launched: t0,
                last_start: t0,
                last_stop: None,
                runs: vec![(t0, None)],
                terminated: None,
                unseen_stop: None,
                hidden: Vec::new(),
            };
            2
        ],
        book: Book::default(),
        snapshots: Vec::new(),
    };
    let mut last = None;
    for s in [
        Step::Refresh { no_reason: false },
        Step::Advance(300),
        Step::Refresh { no_reason: false },
        Step::Stop { i: 0, skiff: true },
        Step::Refresh { no_reason: false },
        Step::Advance(260),
        Step::Start { i: 0, skiff: true },
        Step::Refresh { no_reason: false },
        Step::Advance(300),
        Step::Refresh { no_reason: false },
        Step::Terminate { i: 1, skiff: true },
        Step::Refresh { no_reason: false },
    ] {
        world.apply(&s);
        check(&world, &mut last).expect("invariants");
    }
    // i-0 ran 300 s, was stopped 260 s, ran 300 s: billed its two runs
    // exactly (skiff's own stop and start bound them).
    let r = report(&world.book, None, world.now);
    let billed = |t: &Truth| -> Money {
        t.runs
            .iter()
            .map(|(s, e)| {
                let ms = (e.unwrap_or(world.now) - *s).num_milliseconds();
                Money::new(t.rate, 6).over_ms(ms.max(60_000))
            })
            .sum()
    };
    let i0 = r.item("i-0").expect("i-0");
    assert_eq!(world.truth[0].runs.len(), 2);
    let want = billed(&world.truth[0]);
    let seen_late = Money::new(192_000, 6).over_ms(2);
    assert!(
        i0.today.known <= want && want - i0.today.known <= seen_late,
        "{i0:?} vs {want}"
    );
    // i-1, terminated, still counts its run today.
    let i1 = r.item("i-1").expect("i-1");
    assert_eq!(i1.state, "terminated");
    assert_eq!(i1.today.known, billed(&world.truth[1]));
}
