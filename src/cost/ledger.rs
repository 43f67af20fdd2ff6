//! The ledger: for every resource, the intervals in which it was billed,
//! each bound with the evidence for it. Its invariants are kept here and
//! only here:
//!
//! - A resource's spans never overlap: a span never starts before the end
//!   of an earlier one, nor before a time the resource was seen off (a
//!   LaunchTime that the emulator kept across a stop is clamped).
//! - Only seconds with evidence are counted: a span reaches as far as the
//!   resource was last seen on (or skiff itself turned it on or off, or an
//!   API said when it stopped) — never to "now" on the assumption that it
//!   still runs. So a figure never has to be taken back: nothing recorded
//!   is ever shortened, a changed rate applies from the time it was seen,
//!   and over a gap between two sightings with different rates the lower
//!   one is billed.
//! - A run bills its first 60 seconds in full (AWS's per-second minimum,
//!   per start), at its first rate, wherever they fall.
//! - A terminated resource keeps its spans (and its place in "today" and
//!   "month") until the month is over.
//!
//! [`Book::check`] verifies the structural ones; the property tests in
//! `tests/ledger.rs` the rest.

use std::collections::BTreeMap;

use chrono::{DateTime, Duration, Utc};
use serde::{Deserialize, Serialize};

use super::money::{Amount, Money};

/// A resource's tags, shared between the ledger and the figures made from it.
pub type Tags = std::sync::Arc<BTreeMap<String, String>>;

/// AWS bills at least this much of every run (Linux, per-second billing).
pub const MINIMUM_BILLED_SECS: i64 = 60;

/// How far AWS's clock may be ahead of this machine's before a LaunchTime
/// later than the last sighting is taken for an unseen stop and start.
const CLOCK_SKEW_SECS: i64 = 30;

/// Why skiff believes a bound.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Evidence {
    /// Seen in a listing at that time.
    Seen,
    /// skiff made the change itself then.
    Skiff,
    /// The instance's LaunchTime.
    LaunchTime,
    /// The time in its StateTransitionReason.
    Reason,
    /// An EMR cluster's timeline (ready or end).
    Timeline,
}

/// A point in time and the evidence for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Bound {
    pub at: DateTime<Utc>,
    pub by: Evidence,
}

impl Bound {
    pub fn new(at: DateTime<Utc>, by: Evidence) -> Self {
        Self { at, by }
    }
}

/// From `from` on (to the next segment or the end of the span), `count`
/// units at `unit` per hour each.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Segment {
    pub from: DateTime<Utc>,
    pub count: u32,
    pub unit: Amount,
    /// The rate was guessed when skiff started it (the last one known, from
    /// before it ran): the first sighting of it running may raise it (a
    /// public IPv4 address it got at start).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub provisional: bool,
}

impl Segment {
    pub fn rate(&self) -> Amount {
        self.unit.times(i64::from(self.count))
    }
}

/// One interval of being billed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Span {
    pub start: Bound,
    /// The latest time it was known to be on (≥ start).
    pub seen: DateTime<Utc>,
    /// None while it is on.
    pub end: Option<Bound>,
    /// The first starts at `start`; each starts no earlier than the one before.
    pub segments: Vec<Segment>,
}

/// A window of time, [from, to).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    pub from: DateTime<Utc>,
    pub to: DateTime<Utc>,
}

impl Window {
    pub fn all() -> Self {
        Self {
            from: DateTime::<Utc>::MIN_UTC,
            to: DateTime::<Utc>::MAX_UTC,
        }
    }

    pub fn contains(&self, t: DateTime<Utc>) -> bool {
        self.from <= t && t < self.to
    }

    /// Milliseconds of [start, end) inside the window.
    pub fn overlap_ms(&self, start: DateTime<Utc>, end: DateTime<Utc>) -> i64 {
        let s = start.max(self.from);
        let e = end.min(self.to);
        if e <= s {
            0
        } else {
            (e - s).num_milliseconds()
        }
    }
}

impl Span {
    /// How far it reaches: its end, or the last time it was seen on.
    pub fn extent(&self) -> DateTime<Utc> {
        self.end.map_or(self.seen, |b| b.at).max(self.start.at)
    }

    pub fn is_open(&self) -> bool {
        self.end.is_none()
    }

    fn rate(&self) -> Amount {
        self.segments.last().map(Segment::rate).unwrap_or_default()
    }
    /// Its billed pieces, each [from, to) at a rate: with `minimum` (a
    /// run), its first 60 seconds whatever happens in them, at its first
    /// rate — AWS's per-start minimum — then second by second.
    fn for_each_piece(
        &self,
        minimum: bool,
        mut f: impl FnMut(DateTime<Utc>, DateTime<Utc>, &Amount),
    ) {
        let extent = self.extent();
        let mut floor = self.start.at;
        if minimum && let Some(first) = self.segments.first() {
            floor = self.start.at + Duration::seconds(MINIMUM_BILLED_SECS);
            f(self.start.at, floor, &first.rate());
        }
        for (n, seg) in self.segments.iter().enumerate() {
            let to = self.segments.get(n + 1).map_or(extent, |s| s.from);
            let from = seg.from.max(floor);
            if to > from {
                f(from, to, &seg.rate());
            }
        }
    }

    /// What it costs inside `w` (see [`Span::for_each_piece`]).
    pub fn cost(&self, w: &Window, minimum: bool) -> Amount {
        let mut a = Amount::zero();
        self.for_each_piece(minimum, |from, to, rate| {
            a.merge(&rate.over_ms(w.overlap_ms(from, to)));
        });
        a
    }

    /// Adds its known cost in each hour of `hours` (hour 0 from `from`, up
    /// to `until`) to `out`: one pass, however many hours.
    fn add_by_hour(
        &self,
        minimum: bool,
        from: DateTime<Utc>,
        until: DateTime<Utc>,
        out: &mut [Money],
    ) {
        let hour = Duration::hours(1);
        self.for_each_piece(minimum, |s, e, rate| {
            let (s, e) = (s.max(from), e.min(until));
            if e <= s || rate.known.is_zero() {
                return;
            }
            let first = usize::try_from((s - from).num_hours()).unwrap_or(0);
            for (h, slot) in out.iter_mut().enumerate().skip(first) {
                let start = from + hour * i32::try_from(h).unwrap_or(i32::MAX);
                if start >= e {
                    break;
                }
                let w = Window {
                    from: start,
                    to: start + hour,
                };
                *slot += rate.known.over_ms(w.overlap_ms(s, e));
            }
        });
    }
}

/// What a resource is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Kind {
    /// An EC2 instance (for an EMR node: its IPv4 and EBS; compute and the
    /// EMR fee are billed in its instance group).
    Instance,
    /// An EMR instance group: its running count × (EC2 rate + EMR fee).
    EmrGroup,
}

impl Kind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instance => "instance",
            Self::EmrGroup => "emr-group",
        }
    }
}

/// What one listing said about one resource.
#[derive(Debug, Clone, PartialEq)]
pub struct Sighting {
    pub key: String,
    pub kind: Kind,
    pub name: String,
    pub region: String,
    pub cluster: Option<String>,
    /// The EMR cluster id, for EMR nodes and groups.
    pub emr_cluster: Option<String>,
    pub tags: Tags,
    pub state: String,
    /// Units billed as running now (an instance: 1 or 0; a group: its
    /// running nodes).
    pub count: u32,
    /// The hourly rate of one running unit.
    pub unit: Amount,
    /// Where `unit` came from (embedded, pricing API, spot, …).
    pub source: String,
    /// The hourly rate while it exists (an instance's EBS).
    pub storage: Amount,
    /// False once it is terminated: nothing opens again.
    pub exists: bool,
    /// When the current run started, as the API says (LaunchTime).
    pub started: Option<Bound>,
    /// When it last stopped, as the API says (StateTransitionReason).
    pub stopped: Option<Bound>,
}

/// What skiff itself did to a resource.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Did {
    /// Started, stopped or resized to this many running units.
    Count(u32),
    Terminated,
}

/// Everything the ledger knows of one resource.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Resource {
    pub kind: Kind,
    pub name: String,
    pub region: String,
    pub cluster: Option<String>,
    #[serde(default)]
    pub emr_cluster: Option<String>,
    #[serde(default)]
    pub tags: Tags,
    pub state: String,
    /// Runs (billed with the 60 s minimum each).
    pub runs: Vec<Span>,
    /// Existence (EBS), billed per second.
    pub storage: Vec<Span>,
    pub unit: Amount,
    #[serde(default)]
    pub source: String,
    pub count: u32,
    pub storage_rate: Amount,
    pub last_seen: Option<DateTime<Utc>>,
    /// When skiff last changed it: a listing stamped no later than that is
    /// older news.
    #[serde(default)]
    pub last_did: Option<DateTime<Utc>>,
    /// The latest time it was known not to run.
    pub off: Option<DateTime<Utc>>,
    /// Terminated or no longer listed: nothing opens again.
    pub gone: bool,
}

impl Resource {
    fn new(s: &Sighting) -> Self {
        Self {
            kind: s.kind,
            name: s.name.clone(),
            region: s.region.clone(),
            cluster: s.cluster.clone(),
            emr_cluster: s.emr_cluster.clone(),
            tags: s.tags.clone(),
            state: s.state.clone(),
            runs: Vec::new(),
            storage: Vec::new(),
            unit: s.unit.clone(),
            source: s.source.clone(),
            count: 0,
            storage_rate: Amount::zero(),
            last_seen: None,
            last_did: None,
            off: None,
            gone: false,
        }
    }

    pub fn open_run(&self) -> Option<&Span> {
        self.runs.last().filter(|r| r.is_open())
    }

    /// The latest time anything about it is known.
    pub fn latest(&self) -> Option<DateTime<Utc>> {
        let spans = self.runs.iter().chain(&self.storage).map(Span::extent);
        spans.chain(self.last_seen).max()
    }

    /// What it costs inside `w`: runs with their minimum, storage per second.
    pub fn cost(&self, w: &Window) -> Amount {
        let mut a = Amount::zero();
        for s in &self.runs {
            a.merge(&s.cost(w, true));
        }
        for s in &self.storage {
            a.merge(&s.cost(w, false));
        }
        a
    }

    /// Adds its known cost in each hour from `from` (up to `until`) to `out`.
    pub fn add_by_hour(&self, from: DateTime<Utc>, until: DateTime<Utc>, out: &mut [Money]) {
        for s in &self.runs {
            s.add_by_hour(true, from, until, out);
        }
        for s in &self.storage {
            s.add_by_hour(false, from, until, out);
        }
    }

    /// What it costs per hour now: its running units and its storage.
    pub fn hourly(&self) -> Amount {
        let mut a = self.run_rate();
        if !self.gone && self.storage.last().is_some_and(Span::is_open) {
            a.merge(&self.storage_rate);
        }
        a
    }

    /// The hourly rate of what runs (what stopping saves).
    pub fn run_rate(&self) -> Amount {
        self.open_run().map(Span::rate).unwrap_or_default()
    }
}

/// The first bound that is inside [floor, at], else `at` seen.
fn start_bound(floor: Option<DateTime<Utc>>, hint: Option<Bound>, at: DateTime<Utc>) -> Bound {
    match hint {
        Some(b) if b.at <= at && floor.is_none_or(|f| b.at > f) => b,
        _ => Bound::new(at.max(floor.unwrap_or(at)), Evidence::Seen),
    }
}

/// Opens a span: never before the end of the one before it, nor `off`.
fn open(spans: &mut Vec<Span>, off: Option<DateTime<Utc>>, start: Bound, seg: Segment) {
    let floor = spans.last().map(Span::extent).into_iter().chain(off).max();
    let start = match floor {
        Some(f) if start.at < f => Bound::new(f, start.by),
        _ => start,
    };
    spans.push(Span {
        start,
        seen: start.at,
        end: None,
        segments: vec![Segment {
            from: start.at,
            ..seg
        }],
    });
}

/// Extends an open span to `at` with the count and unit rate seen then.
fn extend(span: &mut Span, at: DateTime<Utc>, count: u32, unit: &Amount) {
    if at < span.seen {
        return;
    }
    let Some(last) = span.segments.last_mut() else {
        return;
    };
    if last.provisional && last.count == count {
        last.provisional = false;
        if unit.known >= last.unit.known {
            last.unit = unit.clone();
            span.seen = at;
            return;
        }
    }
    if last.count == count && &last.unit == unit {
        span.seen = at;
        return;
    }
    // A price that was unknown and is known now: learned, not changed.
    if last.count == count
        && !last.unit.is_complete()
        && unit.is_complete()
        && unit.known >= last.unit.known
    {
        last.unit = unit.clone();
        span.seen = at;
        return;
    }
    let next = Segment {
        from: at,
        count,
        unit: unit.clone(),
        provisional: false,
    };
    if next.rate().known < last.rate().known {
        // The change happened somewhere in (seen, at]: bill the lower rate.
        span.segments.push(Segment {
            from: span.seen,
            ..next
        });
    } else {
        span.segments.push(next);
    }
    span.seen = at;
}

/// Closes an open span at the best evidence no earlier than it was last seen.
fn close(span: &mut Span, end: Bound) {
    if span.is_open() {
        let end = if end.at < span.seen {
            Bound::new(span.seen, Evidence::Seen)
        } else {
            end
        };
        span.end = Some(end);
    }
}

/// The best end: `hint` if it lies within [seen, at], else when last seen.
fn end_bound(span: &Span, hint: Option<Bound>, at: DateTime<Utc>) -> Bound {
    match hint {
        Some(b) if b.at >= span.seen && b.at <= at => b,
        _ => Bound::new(span.seen, Evidence::Seen),
    }
}

/// Every resource skiff has seen this month, by key.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Book {
    pub resources: BTreeMap<String, Resource>,
}

impl Book {
    /// Applies one listing made at `at`. `listed` names the (kind, region)
    /// pairs the listing covered completely: a resource of those that is
    /// not in it is gone. Older news than a resource already has is
    /// ignored.
    pub fn observe(
        &mut self,
        sightings: &[Sighting],
        listed: &[(Kind, String)],
        at: DateTime<Utc>,
    ) {
        let mut present = std::collections::HashSet::new();
        for s in sightings {
            present.insert(s.key.as_str());
            let r = self
                .resources
                .entry(s.key.clone())
                .or_insert_with(|| Resource::new(s));
            apply(r, s, at);
        }
        for (key, r) in &mut self.resources {
            if !r.gone
                && !present.contains(key.as_str())
                && listed
                    .iter()
                    .any(|(k, reg)| *k == r.kind && *reg == r.region)
                && r.last_seen.is_none_or(|t| t <= at)
                && r.last_did.is_none_or(|t| t < at)
            {
                vanish(r, at);
            }
        }
    }

    /// Records what skiff did at `at` (a start: when the call returned; a
    /// stop or terminate: when it was sent). `key` is a resource, or an EMR
    /// cluster id for all of its instance groups.
    pub fn did(&mut self, key: &str, what: Did, at: DateTime<Utc>) {
        if let Some(r) = self.resources.get_mut(key) {
            did(r, what, at);
            return;
        }
        for r in self
            .resources
            .values_mut()
            .filter(|r| r.kind == Kind::EmrGroup && r.emr_cluster.as_deref() == Some(key))
        {
            did(r, what, at);
        }
    }

    /// Forgets what ended before `month_start` (last month's terminated).
    pub fn prune(&mut self, month_start: DateTime<Utc>) {
        self.resources
            .retain(|_, r| !r.gone || r.latest().is_some_and(|t| t >= month_start));
        for r in self.resources.values_mut() {
            for spans in [&mut r.runs, &mut r.storage] {
                spans.retain(|s| s.is_open() || s.extent() >= month_start);
            }
        }
    }

    /// The structural invariants; Err names the first broken one.
    pub fn check(&self) -> Result<(), String> {
        for (key, r) in &self.resources {
            for (track, spans) in [("run", &r.runs), ("storage", &r.storage)] {
                let mut prev_end: Option<DateTime<Utc>> = None;
                for (n, s) in spans.iter().enumerate() {
                    if s.is_open() && n + 1 != spans.len() {
                        return Err(format!("{key}: {track} {n} is open but not the last"));
                    }
                    if s.seen < s.start.at || s.extent() < s.seen {
                        return Err(format!("{key}: {track} {n} ends before it starts"));
                    }
                    if prev_end.is_some_and(|e| s.start.at < e) {
                        return Err(format!("{key}: {track} {n} overlaps the one before"));
                    }
                    let Some(first) = s.segments.first() else {
                        return Err(format!("{key}: {track} {n} has no rate"));
                    };
                    if first.from != s.start.at
                        || s.segments.windows(2).any(|w| w[1].from < w[0].from)
                        || s.segments.last().is_some_and(|g| g.from > s.extent())
                    {
                        return Err(format!("{key}: {track} {n} has segments out of order"));
                    }
                    prev_end = Some(s.extent());
                }
            }
        }
        Ok(())
    }
}

fn did(r: &mut Resource, what: Did, at: DateTime<Utc>) {
    if r.gone || r.last_seen.is_some_and(|t| t > at) {
        return;
    }
    match what {
        Did::Count(n) if n > 0 => {
            let unit = r.unit.clone();
            match r.runs.last_mut().filter(|s| s.is_open()) {
                Some(span) => extend(span, at, n, &unit),
                None => open(
                    &mut r.runs,
                    r.off,
                    Bound::new(at, Evidence::Skiff),
                    Segment {
                        from: at,
                        count: n,
                        unit,
                        provisional: true,
                    },
                ),
            }
            r.state = match r.kind {
                Kind::Instance => "running".into(),
                Kind::EmrGroup => format!("{n} running"),
            };
        }
        Did::Count(_) => {
            if let Some(span) = r.runs.last_mut() {
                close(span, Bound::new(at, Evidence::Skiff));
            }
            r.off = r.off.max(Some(at));
            r.state = match r.kind {
                Kind::Instance => "stopped".into(),
                Kind::EmrGroup => "0 running".into(),
            };
        }
        Did::Terminated => {
            for spans in [&mut r.runs, &mut r.storage] {
                if let Some(span) = spans.last_mut() {
                    close(span, Bound::new(at, Evidence::Skiff));
                }
            }
            r.off = r.off.max(Some(at));
            r.gone = true;
            r.state = "terminated".into();
        }
    }
    r.count = match what {
        Did::Count(n) => n,
        Did::Terminated => 0,
    };
    r.last_seen = r.last_seen.max(Some(at));
    r.last_did = r.last_did.max(Some(at));
}

fn apply(r: &mut Resource, s: &Sighting, at: DateTime<Utc>) {
    if r.last_seen.is_some_and(|t| t > at) || r.last_did.is_some_and(|t| t >= at) {
        return;
    }
    r.name.clone_from(&s.name);
    r.cluster.clone_from(&s.cluster);
    r.emr_cluster.clone_from(&s.emr_cluster);
    if r.tags != s.tags {
        r.tags = s.tags.clone();
    }
    r.state.clone_from(&s.state);
    // A price that cannot be looked up now does not erase one known before.
    if s.unit.is_complete() || !r.unit.is_complete() {
        r.unit = s.unit.clone();
        r.source.clone_from(&s.source);
    }
    let unit = r.unit.clone();
    apply_storage(r, s, at);
    apply_runs(r, s, at, &unit);
    r.count = if r.gone { 0 } else { s.count };
    r.last_seen = Some(at);
}

/// What a sighting says of the resource's existence (what its storage is
/// billed for): it exists while listed, and is gone when not.
fn apply_storage(r: &mut Resource, s: &Sighting, at: DateTime<Utc>) {
    match &s.storage {
        rate if s.exists && s.kind == Kind::EmrGroup => {
            r.gone = false;
            r.storage_rate = rate.clone();
        }
        rate if s.exists => {
            // Listed and not terminated: it exists (again, if a listing
            // had missed it).
            r.gone = false;
            match r.storage.last_mut().filter(|x| x.is_open()) {
                Some(span) => extend(span, at, 1, rate),
                None => {
                    let floor = r.storage.last().map(Span::extent);
                    // LaunchTime bounds existence only the first time.
                    let hint = if r.storage.is_empty() {
                        s.started
                    } else {
                        None
                    };
                    let start = start_bound(floor, hint, at);
                    let seg = Segment {
                        from: start.at,
                        count: 1,
                        unit: rate.clone(),
                        provisional: false,
                    };
                    open(&mut r.storage, None, start, seg);
                    if let Some(span) = r.storage.last_mut() {
                        extend(span, at, 1, rate);
                    }
                }
            }
            r.storage_rate = rate.clone();
        }
        _ => {
            if let Some(span) = r.storage.last_mut().filter(|x| x.is_open()) {
                let end = end_bound(span, s.stopped, at);
                close(span, end);
            }
            r.gone = true;
        }
    }
}

/// What a sighting says of the resource's runs (what its `unit` price is
/// billed for): a run goes on, begins (again, after a restart between two
/// sightings), or has ended.
fn apply_runs(r: &mut Resource, s: &Sighting, at: DateTime<Utc>, unit: &Amount) {
    if s.count > 0 && !r.gone {
        let restarted = |span: &Span| {
            s.started.is_some_and(|b| {
                b.at > span.seen + Duration::seconds(CLOCK_SKEW_SECS) && b.at <= at
            })
        };
        match r.runs.last_mut().filter(|x| x.is_open()) {
            // Stopped and started again between two sightings (AWS moved
            // LaunchTime): the old run ended when last seen.
            Some(span) if restarted(span) => {
                let seen = span.seen;
                close(span, Bound::new(seen, Evidence::Seen));
                open_run(r, s, at, unit);
            }
            Some(span) => extend(span, at, s.count, unit),
            // Seen off at this very time (by a listing stamped the same, or
            // skiff's own stop): a second answer cannot start a new run then.
            None if r.off.is_some_and(|off| off >= at) => {}
            None => open_run(r, s, at, unit),
        }
    } else {
        if let Some(span) = r.runs.last_mut().filter(|x| x.is_open()) {
            let end = end_bound(span, s.stopped, at);
            close(span, end);
        }
        r.off = r.off.max(Some(at));
    }
}

fn open_run(r: &mut Resource, s: &Sighting, at: DateTime<Utc>, unit: &Amount) {
    let floor = r
        .runs
        .last()
        .map(Span::extent)
        .into_iter()
        .chain(r.off)
        .max();
    let start = start_bound(floor, s.started, at);
    let seg = Segment {
        from: start.at,
        count: s.count,
        unit: unit.clone(),
        provisional: false,
    };
    open(&mut r.runs, r.off, start, seg);
    if let Some(span) = r.runs.last_mut() {
        extend(span, at, s.count, unit);
    }
}

/// Not in a listing that covered it: it ended when last seen.
fn vanish(r: &mut Resource, at: DateTime<Utc>) {
    for spans in [&mut r.runs, &mut r.storage] {
        if let Some(span) = spans.last_mut().filter(|x| x.is_open()) {
            let seen = span.seen;
            close(span, Bound::new(seen, Evidence::Seen));
        }
    }
    r.gone = true;
    r.count = 0;
    r.state = "gone".into();
    r.last_seen = Some(at);
}

#[cfg(test)]
mod tests;
