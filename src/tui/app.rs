//! The TUI's state and its reactions to keys and messages.
//!
//! Key handlers never await the network: they spawn the call, and the answer
//! comes back as a [`Msg`] tagged with the session generation that asked, so
//! an answer from before a region or profile switch is dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::theme::Theme;
use crate::cloud::actions::{Actions, Gate};
use crate::cloud::inventory::{self, InventoryOptions, SliceData, SliceKey, Wanted};
use crate::cloud::{CloudError, Session};
use crate::config::{Config, Dirs, StartView};
use crate::model::Inventory;
use crate::ops::connect::{Connection, Context};
use crate::render::{self, Row, RowKey};

/// The views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViewKind {
    Instances,
    Clusters,
    Buckets,
    Costs,
    Tunnels,
    Transfers,
    /// A bucket opened as a file browser (reached from Buckets, not a tab).
    Objects,
}

impl ViewKind {
    /// The views with a tab (and a number key), in order.
    pub const ALL: [Self; 6] = [
        Self::Instances,
        Self::Clusters,
        Self::Buckets,
        Self::Costs,
        Self::Tunnels,
        Self::Transfers,
    ];
    /// Every view, for per-view state.
    pub const COUNT: usize = 7;
    pub const EVERY: [Self; Self::COUNT] = [
        Self::Instances,
        Self::Clusters,
        Self::Buckets,
        Self::Costs,
        Self::Tunnels,
        Self::Transfers,
        Self::Objects,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Instances => "Instances",
            Self::Clusters => "Clusters",
            Self::Buckets => "Buckets",
            Self::Costs => "Costs",
            Self::Tunnels => "Tunnels",
            Self::Transfers => "Transfers",
            Self::Objects => "Objects",
        }
    }

    pub fn index(self) -> usize {
        match self {
            Self::Instances => 0,
            Self::Clusters => 1,
            Self::Buckets => 2,
            Self::Costs => 3,
            Self::Tunnels => 4,
            Self::Transfers => 5,
            Self::Objects => 6,
        }
    }

    pub fn columns(self) -> &'static [render::Column] {
        match self {
            Self::Instances => render::instances::COLUMNS,
            Self::Clusters => render::clusters::COLUMNS,
            Self::Buckets => render::buckets::COLUMNS,
            Self::Costs => render::costs::COLUMNS,
            Self::Tunnels => render::tunnels::COLUMNS,
            Self::Transfers => super::transfers::TRANSFER_COLUMNS,
            Self::Objects => render::objects::COLUMNS,
        }
    }
}

/// What has the keyboard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    Help,
    Details,
    /// A yes/no question about a pending lifecycle action.
    Confirm,
    /// Terminate: the target's name must be typed.
    TypeConfirm,
    /// Choosing presets and ports for a tunnel.
    TunnelDialog,
    /// Accept the host key of a host seen for the first time?
    HostKey,
    /// Delete the named objects?
    ConfirmDelete,
    /// Picking local files and folders to upload.
    FilePicker,
    /// The keyring profile's MFA device wants a code.
    MfaCode,
    /// A download meets local files: overwrite, keep both or skip?
    Overwrite,
}

/// How serious a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub level: Level,
    pub text: String,
    pub at: Instant,
    /// How many times this same text arrived in a row.
    pub repeats: u32,
}

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

/// A message from a background task.
#[derive(Debug)]
pub enum Msg {
    Connected {
        generation: u64,
        result: Result<Arc<Session>, CloudError>,
    },
    Account {
        generation: u64,
        result: Result<String, CloudError>,
    },
    Slice {
        generation: u64,
        key: SliceKey,
        result: Result<SliceData, CloudError>,
    },
    /// A lifecycle step happened (not tied to a generation: the change is real).
    LifecycleProgress(crate::ops::execute::Progress),
    LifecycleDone(Arc<crate::ops::execute::Report>),
    /// A page of a bucket listing.
    Objects {
        generation: u64,
        result: Result<(Vec<crate::model::ObjectEntry>, Option<String>), CloudError>,
    },
    /// A transfer's plan: which files and keys (or why there is none).
    TransferPlanned {
        id: u32,
        result: Result<Box<crate::ops::transfer::copy::CopyPlan>, String>,
    },
    TransferDone {
        id: u32,
        result: Result<String, String>,
    },
    /// A one-off action finished (e.g. a bucket was made): tell the user.
    Outcome(Result<String, String>),
    /// The credentials provider needs an MFA code for this device serial;
    /// the code (or nothing, on cancel) goes back through `reply`.
    MfaPrompt {
        serial: String,
        reply: tokio::sync::oneshot::Sender<String>,
    },
    /// A terminated EMR cluster's configuration, read to relaunch it.
    RelaunchPlan(Result<Box<crate::model::EmrBlueprint>, String>),
    /// Prices, sizes or the bill fetched beside the inventory.
    Extra {
        generation: u64,
        extra: super::costs::Extra,
    },
}

/// Selection, sort and filter of one view.
#[derive(Debug, Clone, Default)]
pub struct ViewState {
    pub table: ratatui::widgets::TableState,
    /// The selected row's key, so a refresh does not move the selection.
    pub selected: Option<RowKey>,
    /// The user moved the selection; until then it stays on the first row
    /// while data arrives.
    pub moved: bool,
    /// Rows marked with the mark key: actions apply to all of them.
    pub marked: BTreeSet<RowKey>,
    /// Column index and descending flag.
    pub sort: Option<(usize, bool)>,
    pub filter: String,
}

impl ViewState {
    /// Which of `rows` is selected: the row the user chose (found by id, so a
    /// refresh or re-sort does not move it), else the first row.
    pub(super) fn selection_in(&self, rows: &[Row]) -> Option<usize> {
        if rows.is_empty() {
            return None;
        }
        if !self.moved {
            return Some(0);
        }
        let by_id = self
            .selected
            .as_ref()
            .and_then(|key| rows.iter().position(|r| &r.key == key));
        // The chosen row went away (filtered out, terminated): stay near it.
        Some(by_id.unwrap_or_else(|| self.table.selected().unwrap_or(0).min(rows.len() - 1)))
    }
}

const NOTIFICATION_SECS: u64 = 8;
const ERROR_NOTIFICATION_SECS: u64 = 20;

pub struct App {
    pub config: Config,
    pub dirs: Dirs,
    pub theme: Theme,
    pub(super) connection: Connection,
    pub(super) inventory_opts: InventoryOptions,
    pub session: Option<Arc<Session>>,
    pub account: Option<String>,
    pub(super) generation: u64,
    pub(super) slices: BTreeMap<SliceKey, SliceData>,
    pub inventory: Inventory,
    pub loading: BTreeSet<SliceKey>,
    pub connecting: bool,
    pub last_refresh: Option<DateTime<Utc>>,
    pub(super) next_refresh: Option<Instant>,
    pub view: ViewKind,
    pub views: [ViewState; ViewKind::COUNT],
    pub browser: super::s3::Browser,
    pub transfers: Vec<super::transfers::Transfer>,
    pub transfer_seq: u32,
    pub tunnels: super::tunnels::Tunnels,
    pub tunnel_dialog: Option<super::tunnels::TunnelDialog>,
    /// (tunnel row id, the refusal with the fingerprint) to ask about.
    pub hostkey_prompt: Option<(String, String)>,
    /// (bucket, keys) waiting for the user's yes.
    pub pending_delete: Option<(String, Vec<String>)>,
    pub file_picker: Option<super::picker::FilePicker>,
    /// The overwrite question of a download that meets local files.
    pub overwrite: Option<super::transfers::OverwriteQuestion>,
    pub mode: Mode,
    pub input: String,
    pub completions: Vec<String>,
    pub scroll: u16,
    pub notifications: Vec<Notification>,
    pub spinner: usize,
    pub clock: Clock,
    /// Rows that fit in the table body, set while drawing (for paging).
    pub page_rows: usize,
    /// Width of the table, set while drawing: it decides the visible columns.
    pub table_width: u16,
    pub(super) tx: Option<UnboundedSender<Msg>>,
    pub quit: bool,
    /// Read-only mode: lifecycle keys explain instead of acting.
    pub read_only: bool,
    /// --read-only was given (it holds whatever profile is picked).
    pub read_only_flag: bool,
    /// A lifecycle action waiting for confirmation.
    pub pending: Option<super::lifecycle::Pending>,
    /// Instance id → its transition in progress (or recent failure).
    pub transitions: std::collections::HashMap<String, super::lifecycle::Transition>,
    pub prices: crate::cost::Prices,
    pub journal: crate::cost::Journal,
    pub costs: Option<crate::cost::CostReport>,
    pub(super) costs_at: Option<Instant>,
    /// The Costs view's grouping.
    pub breakdown: render::costs::Breakdown,
    /// Current spot prices of the spot instances seen (applied to `prices`).
    pub(super) spot: std::collections::BTreeMap<(String, String, String), f64>,
    pub(super) spot_at: Option<Instant>,
    /// S3 storage per bucket, and when the sizes were asked for.
    pub storage: Vec<crate::cost::StorageCost>,
    pub(super) bucket_sizes: Vec<crate::model::BucketSize>,
    pub(super) storage_at: Option<Instant>,
    /// Cost Explorer's month to date (None: off, or not asked yet).
    pub billed: Option<Result<crate::cloud::billing::Billed, String>>,
    pub(super) billed_asked: bool,
    /// The automatic price refresh ran (or was not needed) this session.
    pub(super) prices_checked: bool,
    /// An MFA code being asked for: the device serial and where the code goes.
    pub mfa_prompt: Option<(String, tokio::sync::oneshot::Sender<String>)>,
    /// Instances already reminded about (once per run of skiff).
    pub(super) reminded: std::collections::HashSet<String>,
    /// When the app started, until the first complete inventory is logged.
    pub(super) started: Option<Instant>,
}

impl App {
    pub fn new(
        config: Config,
        dirs: Dirs,
        theme: Theme,
        connection: Connection,
        tx: Option<UnboundedSender<Msg>>,
    ) -> Self {
        let view = match config.general.start_view {
            StartView::Instances => ViewKind::Instances,
            StartView::Clusters => ViewKind::Clusters,
            StartView::Buckets => ViewKind::Buckets,
        };
        let prices = crate::cost::Prices::load(&dirs.cache);
        let (journal, journal_error) = match crate::cost::Journal::open(&dirs.state) {
            Ok(j) => (j, None),
            Err(e) => (crate::cost::Journal::in_memory(), Some(e)),
        };
        let mut app = Self {
            inventory_opts: crate::ops::connect::inventory_options(&config),
            config,
            dirs,
            theme,
            connection,
            session: None,
            account: None,
            generation: 0,
            slices: BTreeMap::new(),
            inventory: Inventory::default(),
            loading: BTreeSet::new(),
            connecting: false,
            last_refresh: None,
            next_refresh: None,
            view,
            // Sorted by name until the user picks another column.
            // Sorted by name until the user picks another column; a bucket
            // keeps S3's order (folders first, then keys).
            views: std::array::from_fn(|i| ViewState {
                sort: Some(ViewKind::EVERY[i])
                    .filter(|v| *v != ViewKind::Objects)
                    .and_then(|v| v.columns().iter().position(|c| c.title == "NAME"))
                    .map(|col| (col, false)),
                ..ViewState::default()
            }),
            mode: Mode::Normal,
            input: String::new(),
            completions: Vec::new(),
            scroll: 0,
            notifications: Vec::new(),
            spinner: 0,
            clock: Clock::System,
            page_rows: 10,
            table_width: 120,
            tx,
            quit: false,
            read_only: false,
            read_only_flag: false,
            pending: None,
            transitions: Default::default(),
            started: Some(Instant::now()),
            prices,
            journal,
            costs: None,
            costs_at: None,
            breakdown: render::costs::Breakdown::default(),
            spot: Default::default(),
            spot_at: None,
            storage: Vec::new(),
            bucket_sizes: Vec::new(),
            storage_at: None,
            billed: None,
            billed_asked: false,
            prices_checked: false,
            mfa_prompt: None,
            reminded: Default::default(),
            tunnels: Default::default(),
            browser: Default::default(),
            transfers: Vec::new(),
            transfer_seq: 0,
            tunnel_dialog: None,
            hostkey_prompt: None,
            pending_delete: None,
            file_picker: None,
            overwrite: None,
        };
        if let Some(e) = journal_error {
            app.notify(
                Level::Warning,
                format!(
                    "cannot read the cost journal in {}: {e}",
                    app.dirs.state.display()
                ),
            );
        }
        app
    }

    /// An app showing a fixed inventory (snapshot tests, screenshots).
    pub fn with_inventory(
        config: Config,
        theme: Theme,
        inventory: Inventory,
        session: Session,
        account: &str,
        now: DateTime<Utc>,
    ) -> Self {
        // Fixed directories too, so nothing on screen depends on the machine.
        let dirs = Dirs {
            config: "~/.config/skiff".into(),
            state: "~/.local/state/skiff".into(),
            cache: "~/.cache/skiff".into(),
        };
        let mut app = Self::new(
            config,
            dirs,
            theme,
            Connection::plain(Default::default()),
            None,
        );
        app.inventory = inventory;
        app.session = Some(Arc::new(session));
        app.account = Some(account.to_string());
        app.clock = Clock::Fixed(now);
        app.last_refresh = Some(now);
        app.journal = crate::cost::Journal::in_memory();
        app.recompute_costs();
        app
    }

    pub fn busy(&self) -> bool {
        self.connecting || !self.loading.is_empty()
    }

    /// The gate every write from the TUI goes through: read-only as the flag
    /// and the config say for the current profile.
    pub fn gate(&self) -> Gate {
        Gate::new(self.read_only, false)
    }

    /// The writes, behind the gate (None until connected).
    pub fn actions(&self) -> Option<Actions> {
        Some(Actions::new(
            (**self.session.as_ref()?).clone(),
            self.gate(),
        ))
    }

    /// What an operation needs (None until connected).
    pub fn context(&self) -> Option<Context> {
        Some(Context {
            session: (**self.session.as_ref()?).clone(),
            config: Arc::new(self.config.clone()),
            dirs: self.dirs.clone(),
            gate: self.gate(),
        })
    }

    pub fn view_state(&self) -> &ViewState {
        &self.views[self.view.index()]
    }

    pub(super) fn sender(&self) -> Option<UnboundedSender<Msg>> {
        self.tx.clone()
    }

    pub(super) fn views_mut(&mut self) -> &mut ViewState {
        self.view_state_mut()
    }

    pub(super) fn view_state_mut(&mut self) -> &mut ViewState {
        &mut self.views[self.view.index()]
    }

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(?level, "{text}");
        if let Some(last) = self.notifications.last_mut()
            && last.text == text
        {
            last.repeats += 1;
            last.at = Instant::now();
            return;
        }
        self.notifications.push(Notification {
            level,
            text,
            at: Instant::now(),
            repeats: 1,
        });
        if self.notifications.len() > 50 {
            self.notifications.remove(0);
        }
    }

    /// The notification to show now, if a recent one is still on screen.
    pub fn current_notification(&self) -> Option<&Notification> {
        let n = self.notifications.last()?;
        let secs = if n.level == Level::Error {
            ERROR_NOTIFICATION_SECS
        } else {
            NOTIFICATION_SECS
        };
        (n.at.elapsed() < Duration::from_secs(secs)).then_some(n)
    }

    /// Seconds of running after which an instance is flagged (None: never).
    pub fn remind_after_secs(&self) -> Option<i64> {
        let hours = self.config.reminders.running_hours;
        (hours > 0).then(|| i64::from(hours) * 3600)
    }

    /// Recomputes every cost from the inventory, journal and prices.
    pub fn recompute_costs(&mut self) {
        let now = self.clock.now();
        let report =
            crate::cost::report(&self.inventory.instances, &self.journal, &self.prices, now);
        if let Some(limit) = self.remind_after_secs() {
            let overdue: Vec<(String, String, String)> = report
                .items
                .iter()
                .filter(|c| {
                    c.running_secs.is_some_and(|s| s > limit) && !self.reminded.contains(&c.id)
                })
                .map(|c| {
                    (
                        c.id.clone(),
                        c.name.clone(),
                        crate::cost::show(&c.stop_saves_hourly),
                    )
                })
                .collect();
            for (id, name, saves) in overdue {
                let hours = self.config.reminders.running_hours;
                self.notify(
                    Level::Warning,
                    format!("{name} has run over {hours} h: stopping it saves {saves}/h"),
                );
                self.reminded.insert(id);
            }
        }
        self.costs = Some(report);
        self.costs_at = Some(Instant::now());
    }

    // ---- background work --------------------------------------------------

    pub(super) fn spawn<F>(&self, fut: F)
    where
        F: std::future::Future<Output = Msg> + Send + 'static,
    {
        if let Some(tx) = self.tx.clone() {
            tokio::spawn(async move {
                let _ = tx.send(fut.await);
            });
        }
    }

    /// Connects a new session (at start, and after a region switch).
    pub fn connect(&mut self) {
        self.generation += 1;
        self.session = None;
        self.connecting = true;
        self.loading.clear();
        let generation = self.generation;
        let connection = self.connection.clone();
        self.spawn(async move {
            let result = connection.connect().await.map(Arc::new);
            Msg::Connected { generation, result }
        });
    }

    /// Fetches every slice not already in flight.
    pub fn refresh(&mut self) {
        let Some(session) = self.session.clone() else {
            if !self.connecting {
                self.connect();
            }
            return;
        };
        self.schedule_next_refresh();
        let now = self.clock.now();
        for key in inventory::slice_keys(&session, Wanted::ALL) {
            if !self.loading.insert(key.clone()) {
                continue;
            }
            let (session, opts, generation) = (
                session.clone(),
                self.inventory_opts.clone(),
                self.generation,
            );
            self.spawn(async move {
                let result = inventory::fetch_slice(&session, &key, &opts, now).await;
                Msg::Slice {
                    generation,
                    key,
                    result,
                }
            });
        }
    }

    pub(super) fn schedule_next_refresh(&mut self) {
        let secs = self.config.general.refresh_interval_secs;
        self.next_refresh = (secs > 0).then(|| Instant::now() + Duration::from_secs(secs));
    }

    pub fn on_msg(&mut self, msg: Msg) {
        match msg {
            Msg::Connected { generation, result } if generation == self.generation => {
                self.connecting = false;
                match result {
                    Ok(session) => {
                        self.session = Some(session.clone());
                        let generation = self.generation;
                        self.spawn(async move {
                            Msg::Account {
                                generation,
                                result: session.account_id().await,
                            }
                        });
                        self.refresh();
                    }
                    Err(e) => {
                        self.notify(Level::Error, format!("cannot connect: {e}"));
                        self.schedule_next_refresh();
                    }
                }
            }
            Msg::Account { generation, result } if generation == self.generation => match result {
                Ok(account) => self.account = Some(account),
                Err(e) => self.notify(Level::Warning, format!("account id unknown: {e}")),
            },
            Msg::Slice {
                generation,
                key,
                result,
            } if generation == self.generation => {
                self.loading.remove(&key);
                match result {
                    Ok(data) => {
                        let is_ec2 = key.service == crate::cloud::inventory::Service::Ec2;
                        self.slices.insert(key, data);
                        self.inventory =
                            inventory::assemble(&self.slices, &self.inventory_opts.cluster_tags);
                        self.settle_transitions();
                        if is_ec2
                            && let Err(e) = self
                                .journal
                                .observe(&self.inventory.instances, self.clock.now())
                        {
                            self.notify(
                                Level::Warning,
                                format!(
                                    "cannot write the cost journal in {}: {e}",
                                    self.dirs.state.display()
                                ),
                            );
                        }
                        self.recompute_costs();
                    }
                    // The slice's previous data stays on screen.
                    Err(e) => self.notify(Level::Error, e.to_string()),
                }
                if self.loading.is_empty() {
                    self.last_refresh = Some(self.clock.now());
                    if let Some(started) = self.started.take() {
                        tracing::info!(
                            "first full inventory after {} ms: {} instances, {} clusters, {} buckets",
                            started.elapsed().as_millis(),
                            self.inventory.instances.len(),
                            self.inventory.spark_clusters.len() + self.inventory.emr_clusters.len(),
                            self.inventory.buckets.len()
                        );
                    }
                    self.fetch_extras();
                }
            }
            Msg::RelaunchPlan(result) => self.on_relaunch_plan(result),
            Msg::MfaPrompt { serial, reply } => {
                self.mfa_prompt = Some((serial, reply));
                self.input.clear();
                self.mode = Mode::MfaCode;
            }
            Msg::Extra { generation, extra } if generation == self.generation => {
                self.on_extra(extra);
            }
            Msg::LifecycleProgress(p) => self.on_lifecycle_progress(p),
            Msg::Objects { generation, result } => self.on_objects(generation, result),
            Msg::TransferPlanned { id, result } => self.on_transfer_planned(id, result),
            Msg::TransferDone { id, result } => self.on_transfer_done(id, result),
            Msg::Outcome(Ok(what)) => {
                self.notify(Level::Info, what);
                self.refresh();
            }
            Msg::Outcome(Err(why)) => self.notify(Level::Error, why),
            Msg::LifecycleDone(report) => self.on_lifecycle_done(&report),
            stale => tracing::debug!("dropped a stale answer: {stale:?}"),
        }
    }

    /// Called on every tick: spinner and background refresh.
    pub fn on_tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
        self.settle_transitions();
        self.watch_tunnels();
        self.prefetch_objects();
        // Costs tick live: today's figure grows every second.
        if self
            .costs_at
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(1))
            && !self.inventory.instances.is_empty()
        {
            self.recompute_costs();
        }
        if let Some(at) = self.next_refresh
            && Instant::now() >= at
            && !self.busy()
        {
            self.refresh();
        }
    }
}
