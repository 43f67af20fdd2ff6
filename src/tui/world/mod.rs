//! The shared world every view reads: the session, what was listed, costs,
//! guards and nodes in transition — and the background work that keeps it
//! current. Views never change it directly: they ask through their context
//! (a refresh, a lifecycle run), and the loop applies the request here.
//! What the world has to say comes back as notes for the footer.

mod costs;
mod guards;
pub mod lifecycle;
mod listing;
pub mod transition;

use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::msg::Msg;
use super::notify::Notes;
use crate::cloud::Session;
use crate::cloud::actions::{Actions, Gate};
use crate::cloud::inventory::{InventoryOptions, SliceData, SliceKey};
use crate::config::{Config, Dirs};
use crate::model::Inventory;
use crate::ops::connect::{Connection, Context};
use crate::tui::notify::Say;
use transition::Transition;

/// Where "now" comes from: the system, or a fixed instant for snapshots.
#[derive(Debug, Clone, Copy)]
pub enum Clock {
    System,
    Fixed(DateTime<Utc>),
}

impl Clock {
    pub fn now(self) -> DateTime<Utc> {
        match self {
            Self::System => Utc::now(),
            Self::Fixed(t) => t,
        }
    }
}

pub struct World {
    pub config: Config,
    pub dirs: Dirs,
    pub(super) connection: Connection,
    inventory_opts: InventoryOptions,
    pub session: Option<Arc<Session>>,
    pub account: Option<String>,
    /// Bumped with every new session: answers for an older one are dropped.
    pub generation: u64,
    slices: BTreeMap<SliceKey, SliceData>,
    pub inventory: Inventory,
    pub loading: BTreeSet<SliceKey>,
    /// Pages of slices still being listed for the first time, shown until
    /// the whole slice is in.
    partial: BTreeMap<SliceKey, Vec<SliceData>>,
    pub connecting: bool,
    pub last_refresh: Option<DateTime<Utc>>,
    next_refresh: Option<Instant>,
    /// The endpoint cannot be reached (no network, nothing listening):
    /// why, said once; what was listed stays, and listing is tried again
    /// every few seconds until it answers.
    pub offline: Option<String>,
    /// The credentials were refused as expired (said once, until a
    /// listing succeeds).
    signed_out: bool,
    /// Connect anew at the next refresh: a new session reads the
    /// credentials again (a renewed SSO login, a new session in
    /// ~/.aws/credentials, the MFA question for a key skiff keeps).
    reconnect: bool,
    /// --read-only was given (it holds whatever profile is picked).
    read_only_flag: bool,
    /// The gate of the session's profile (read-only as the flag and the
    /// config say for it); every write from the TUI goes through it.
    gate: Option<Gate>,
    /// Instance id → its transition in progress (or recent failure).
    pub transitions: HashMap<String, Transition>,
    pub prices: crate::cost::Prices,
    /// The cost ledger (shared with the CLI through the state directory).
    pub ledger: crate::cost::Ledger,
    /// When each slice was asked for (what it shows was seen then).
    slice_times: BTreeMap<SliceKey, DateTime<Utc>>,
    ledger_warned: bool,
    pub costs: Option<crate::cost::CostReport>,
    costs_at: Option<Instant>,
    /// Bumped whenever something rows are made from changes.
    pub version: u64,
    spot: crate::cost::prices::SpotPrices,
    spot_at: Option<Instant>,
    /// S3 storage per bucket, and when the sizes were asked for.
    pub storage: Vec<crate::cost::StorageCost>,
    bucket_sizes: Vec<crate::model::BucketSize>,
    storage_at: Option<Instant>,
    /// Cost Explorer's month to date (None: off, or not asked yet).
    pub billed: Option<Result<crate::cloud::billing::Billed, String>>,
    billed_asked: bool,
    prices_checked: bool,
    /// Instances already reminded about (once per run of skiff).
    reminded: HashSet<String>,
    /// When the app started, until the first complete inventory is logged.
    started: Option<Instant>,
    /// The guards skiff made, fetched beside the inventory; and per
    /// instance id, the rules that guard it.
    pub guards: Vec<crate::ops::guard::GuardInfo>,
    pub guard_rules: crate::ops::guard::RulesByInstance,
    guards_at: Option<Instant>,
    /// The zone guard schedules are written in by default (fixed in demos).
    pub local_zone: chrono_tz::Tz,
    pub clock: Clock,
    tx: Option<UnboundedSender<Msg>>,
}

impl World {
    pub fn new(
        config: Config,
        dirs: Dirs,
        connection: Connection,
        read_only_flag: bool,
        tx: Option<UnboundedSender<Msg>>,
        notes: &mut Notes,
    ) -> Self {
        let prices = crate::cost::Prices::load(&dirs.cache);
        let (ledger, ledger_note) = crate::ops::costs::open_ledger(&dirs);
        if let Some(note) = ledger_note {
            notes.warn(note);
        }
        Self {
            inventory_opts: crate::ops::connect::inventory_options(&config),
            config,
            dirs,
            connection,
            session: None,
            account: None,
            generation: 0,
            slices: BTreeMap::new(),
            inventory: Inventory::default(),
            loading: BTreeSet::new(),
            partial: BTreeMap::new(),
            connecting: false,
            last_refresh: None,
            next_refresh: None,
            offline: None,
            signed_out: false,
            reconnect: false,
            read_only_flag,
            gate: None,
            transitions: HashMap::new(),
            prices,
            ledger,
            slice_times: BTreeMap::new(),
            ledger_warned: false,
            costs: None,
            costs_at: None,
            version: 0,
            spot: BTreeMap::new(),
            spot_at: None,
            storage: Vec::new(),
            bucket_sizes: Vec::new(),
            storage_at: None,
            billed: None,
            billed_asked: false,
            prices_checked: false,
            reminded: HashSet::new(),
            started: Some(Instant::now()),
            guards: Vec::new(),
            guard_rules: HashMap::new(),
            guards_at: None,
            local_zone: crate::guard::schedule::local_zone(),
            clock: Clock::System,
            tx,
        }
    }

    /// A fixed world (snapshot tests, screenshots): `session` is shown as
    /// connected, `inventory` as listed at `now`, priced with `prices`, and
    /// nothing is written to disk.
    pub fn fixed(
        config: Config,
        inventory: Inventory,
        session: Session,
        account: &str,
        now: DateTime<Utc>,
        prices: crate::cost::Prices,
    ) -> Self {
        let dirs = Dirs {
            config: "~/.config/skiff".into(),
            state: "~/.local/state/skiff".into(),
            cache: "~/.cache/skiff".into(),
        };
        let mut notes = Notes::default();
        let mut world = Self::new(config, dirs, Connection::default(), false, None, &mut notes);
        world.gate = Some(crate::ops::connect::gate_for(
            false,
            &world.config,
            &session.profile,
        ));
        world.inventory = inventory;
        world.session = Some(Arc::new(session));
        world.account = Some(account.to_string());
        world.clock = Clock::Fixed(now);
        world.local_zone = chrono_tz::Tz::UTC;
        world.last_refresh = Some(now);
        world.prices = prices;
        world.ledger = crate::cost::Ledger::in_memory();
        let seen = crate::cost::compute::sightings(&world.inventory, &world.prices);
        let _ = world.ledger.observe(&seen, &[], now);
        world.recompute_costs(&mut notes);
        world
    }

    /// Where background work sends its answers (a fixed world has none
    /// until it is given one).
    pub fn set_sender(&mut self, tx: UnboundedSender<Msg>) {
        self.tx = Some(tx);
    }

    /// The gate every write goes through: None until a session is connected
    /// (nothing can be written before).
    pub fn gate(&self) -> Option<Gate> {
        self.gate
    }

    /// Read-only from now on, whatever the profile says (tests).
    pub fn force_read_only(&mut self) {
        self.set_read_only_flag(true);
    }

    /// The --read-only flag, as if given (or not) at start; the gate follows.
    pub fn set_read_only_flag(&mut self, on: bool) {
        self.read_only_flag = on;
        if let Some(session) = &self.session {
            self.gate = Some(crate::ops::connect::gate_for(
                on,
                &self.config,
                &session.profile,
            ));
        }
    }

    /// Read-only for the session's profile (or, before it is connected,
    /// because of the flag).
    pub fn read_only(&self) -> bool {
        self.gate.map_or(self.read_only_flag, |g| g.read_only())
    }

    /// The writes, behind the gate (None until connected).
    pub fn actions(&self) -> Option<Actions> {
        Some(Actions::new((**self.session.as_ref()?).clone(), self.gate?))
    }

    /// What an operation needs (None until connected).
    pub fn context(&self) -> Option<Context> {
        Some(Context {
            session: (**self.session.as_ref()?).clone(),
            config: Arc::new(self.config.clone()),
            dirs: self.dirs.clone(),
            gate: self.gate?,
        })
    }

    pub fn busy(&self) -> bool {
        self.connecting || !self.loading.is_empty()
    }

    /// Seconds of running after which an instance is flagged (None: never).
    pub fn remind_after_secs(&self) -> Option<i64> {
        let hours = self.config.reminders.running_hours;
        (hours > 0).then(|| i64::from(hours) * 3600)
    }

    /// Something rows are made from changed.
    pub fn touch(&mut self) {
        self.version += 1;
    }

    pub(crate) fn sender(&self) -> Option<UnboundedSender<Msg>> {
        self.tx.clone()
    }

    fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = Msg> + Send + 'static,
    {
        if let Some(tx) = self.tx.clone() {
            tokio::spawn(async move {
                let _ = tx.send(fut.await);
            });
        }
    }

    /// Called on every tick: transitions, live costs, the background refresh.
    pub fn on_tick(&mut self, notes: &mut Notes) {
        // Files that hold history and could not be read: said once.
        for notice in crate::store::notices::drain_under(&self.dirs.state) {
            notes.warn(notice);
        }
        self.settle_transitions();
        // Costs change with what is seen (each listing) and with the UTC
        // day; a minute is soon enough for the day to roll over.
        if self
            .costs_at
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
            && !self.inventory.instances.is_empty()
        {
            self.recompute_costs(notes);
        }
        if let Some(at) = self.next_refresh
            && Instant::now() >= at
            && !self.busy()
        {
            self.refresh();
        }
    }

    /// Routes a message about the world (false: it is not one, or it is
    /// stale and was dropped).
    pub fn on_msg(&mut self, msg: Msg, notes: &mut Notes) -> Option<Msg> {
        let current = self.generation;
        match msg {
            Msg::Connected { generation, result } if generation == current => {
                self.on_connected(result, notes);
            }
            Msg::Account { generation, result } if generation == current => match result {
                Ok(account) => self.account = Some(account),
                // The listings say these once, with the fix.
                Err(e)
                    if matches!(
                        e.code.as_deref(),
                        Some(
                            crate::cloud::OFFLINE
                                | crate::cloud::SSO_EXPIRED
                                | crate::cloud::CREDS_EXPIRED
                        )
                    ) =>
                {
                    tracing::debug!("account id unknown: {e}")
                }
                Err(e) => notes.warn(format!("account id unknown: {e}")),
            },
            Msg::Slice {
                generation,
                key,
                at,
                result,
            } if generation == current => self.on_slice(key, at, result, notes),
            Msg::SlicePage {
                generation,
                key,
                page,
            } if generation == current => self.on_slice_page(key, page),
            Msg::Guards { generation, result } if generation == current => {
                self.on_guards(result);
            }
            Msg::Extra { generation, extra } if generation == current => {
                self.on_extra(extra, notes);
                self.touch();
            }
            Msg::LifecycleProgress(p) => self.on_lifecycle_progress(p, notes),
            Msg::LifecycleDone(report) => self.on_lifecycle_done(&report, notes),
            Msg::Connected { .. }
            | Msg::Account { .. }
            | Msg::Slice { .. }
            | Msg::SlicePage { .. }
            | Msg::Guards { .. }
            | Msg::Extra { .. } => tracing::debug!("dropped a stale answer: {msg:?}"),
            other => return Some(other),
        }
        None
    }
}
