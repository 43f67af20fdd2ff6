//! The TUI's state and its reactions to keys and messages.
//!
//! Key handlers never await the network: they spawn the call, and the answer
//! comes back as a [`Msg`] tagged with the session generation that asked, so
//! an answer from before a region or profile switch is dropped.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::UnboundedSender;

use super::command::{self, Command};
use super::theme::Theme;
use crate::cloud::actions::{Actions, Gate};
use crate::cloud::inventory::{self, InventoryOptions, SliceData, SliceKey, Wanted};
use crate::cloud::{CloudError, Session};
use crate::config::{Action, Config, Dirs, KeyName, KeySpec, StartView};
use crate::model::Inventory;
use crate::ops::connect::{Connection, Context};
use crate::render::{self, Row};

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
    /// The selected row's id, so a refresh does not move the selection.
    pub selected_id: Option<String>,
    /// The user moved the selection; until then it stays on the first row
    /// while data arrives.
    pub moved: bool,
    /// Row ids marked with the mark key: actions apply to all of them.
    pub marked: BTreeSet<String>,
    /// Column index and descending flag.
    pub sort: Option<(usize, bool)>,
    pub filter: String,
}

impl ViewState {
    /// Which of `rows` is selected: the row the user chose (found by id, so a
    /// refresh or re-sort does not move it), else the first row.
    fn selection_in(&self, rows: &[Row]) -> Option<usize> {
        if rows.is_empty() {
            return None;
        }
        if !self.moved {
            return Some(0);
        }
        let by_id = self
            .selected_id
            .as_ref()
            .and_then(|id| rows.iter().position(|r| &r.id == id));
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
    connection: Connection,
    inventory_opts: InventoryOptions,
    pub session: Option<Arc<Session>>,
    pub account: Option<String>,
    pub(super) generation: u64,
    slices: BTreeMap<SliceKey, SliceData>,
    pub inventory: Inventory,
    pub loading: BTreeSet<SliceKey>,
    pub connecting: bool,
    pub last_refresh: Option<DateTime<Utc>>,
    next_refresh: Option<Instant>,
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
    tx: Option<UnboundedSender<Msg>>,
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
    costs_at: Option<Instant>,
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
    reminded: std::collections::HashSet<String>,
    /// When the app started, until the first complete inventory is logged.
    started: Option<Instant>,
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

    fn view_state_mut(&mut self) -> &mut ViewState {
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

    // ---- rows -------------------------------------------------------------

    /// Every row of a view, before filter and sort.
    pub fn all_rows(&self, view: ViewKind) -> Vec<Row> {
        let now = self.clock.now();
        let inv = &self.inventory;
        match view {
            ViewKind::Instances => inv
                .instances
                .iter()
                .map(|i| {
                    let cost = self.costs.as_ref().and_then(|c| c.item(&i.id));
                    render::instances::row(i, now, cost, self.remind_after_secs())
                })
                .collect(),
            ViewKind::Clusters => {
                let costs = self.costs.as_ref();
                let mut rows: Vec<Row> = inv
                    .spark_clusters
                    .iter()
                    .map(|c| render::clusters::spark_row(c, &inv.instances, costs))
                    .collect();
                rows.extend(
                    inv.emr_clusters
                        .iter()
                        .map(|c| render::clusters::emr_row(c, costs)),
                );
                rows
            }
            ViewKind::Buckets => inv.buckets.iter().map(render::buckets::row).collect(),
            ViewKind::Objects => self.object_rows(),
            ViewKind::Transfers => self
                .transfers
                .iter()
                .map(super::transfers::transfer_row)
                .collect(),
            ViewKind::Tunnels => {
                let now = Instant::now();
                self.tunnels
                    .list
                    .iter()
                    .map(|t| render::tunnels::row(&t.id, &t.tunnel.current(), now))
                    .collect()
            }
            ViewKind::Costs if self.breakdown == render::costs::Breakdown::Storage => {
                render::costs::storage_rows(&self.storage)
            }
            ViewKind::Costs => match &self.costs {
                Some(report) => {
                    let names = inv
                        .emr_clusters
                        .iter()
                        .map(|c| (c.id.clone(), c.name.clone()))
                        .collect();
                    render::costs::rows(
                        report,
                        self.breakdown,
                        &self.config.costs.tag_key,
                        &names,
                        self.remind_after_secs(),
                    )
                }
                None => Vec::new(),
            },
        }
    }

    /// Rows of a view as shown: with transitions in progress overlaid.
    fn shown_rows(&self, view: ViewKind) -> Vec<Row> {
        let mut rows = self.all_rows(view);
        self.overlay_transitions(view, &mut rows);
        rows
    }

    /// The rows of the current view, filtered and sorted as the user asked.
    /// The current view's columns (the Costs view's storage breakdown has
    /// its own).
    pub fn columns(&self) -> &'static [render::Column] {
        if self.view == ViewKind::Costs && self.breakdown == render::costs::Breakdown::Storage {
            render::costs::STORAGE_COLUMNS
        } else {
            self.view.columns()
        }
    }

    pub fn rows(&self) -> Vec<Row> {
        let state = self.view_state();
        let visible = render::visible_columns(self.columns(), self.table_width);
        let mut rows: Vec<Row> = self
            .shown_rows(self.view)
            .into_iter()
            .filter(|r| render::filter_accepts(&state.filter, r, &visible))
            .collect();
        if let Some((col, desc)) = state.sort {
            render::sort_rows(&mut rows, col, desc);
        }
        rows
    }

    /// Re-finds the selected row by id after the rows changed.
    pub fn sync_selection(&mut self, rows: &[Row]) {
        let state = self.view_state_mut();
        let index = state.selection_in(rows);
        state.table.select(index);
        state.selected_id = index.and_then(|i| rows.get(i)).map(|r| r.id.clone());
    }

    fn move_selection(&mut self, delta: isize) {
        let rows = self.rows();
        self.sync_selection(&rows);
        if rows.is_empty() {
            return;
        }
        let state = self.view_state_mut();
        let current = state.table.selected().unwrap_or(0);
        let last = rows.len() - 1;
        let next = if delta < 0 {
            current.saturating_sub(delta.unsigned_abs())
        } else {
            current.saturating_add(delta.unsigned_abs()).min(last)
        };
        state.table.select(Some(next));
        state.selected_id = rows.get(next).map(|r| r.id.clone());
        state.moved = true;
    }

    pub fn selected_row(&self) -> Option<Row> {
        let mut rows = self.rows();
        let index = self.view_state().selection_in(&rows)?;
        Some(rows.swap_remove(index))
    }

    /// Detail lines of the selected item, with the popup's title.
    pub fn selected_details(&self) -> Option<(String, Vec<render::details::Line>)> {
        let row = self.selected_row()?;
        let inv = &self.inventory;
        match self.view {
            ViewKind::Instances => {
                let i = inv.instances.iter().find(|i| i.id == row.id)?;
                Some((
                    format!("{} ({})", i.display_name(), i.id),
                    render::details::instance(i, self.clock.now()),
                ))
            }
            ViewKind::Clusters => {
                if let Some(c) = inv
                    .spark_clusters
                    .iter()
                    .find(|c| render::clusters::spark_row_id(c) == row.id)
                {
                    return Some((
                        format!("Spark cluster {}", c.name),
                        render::details::spark(c, &inv.instances),
                    ));
                }
                let c = inv
                    .emr_clusters
                    .iter()
                    .find(|c| format!("emr:{}", c.id) == row.id)?;
                Some((
                    format!("EMR cluster {} ({})", c.name, c.id),
                    render::details::emr(c),
                ))
            }
            ViewKind::Buckets => {
                let b = inv.buckets.iter().find(|b| b.name == row.id)?;
                Some((format!("Bucket {}", b.name), render::details::bucket(b)))
            }
            ViewKind::Objects => {
                let e = self.browser.entries.iter().find(|e| e.key == row.id)?;
                let uri = format!("s3://{}/{}", self.browser.bucket, e.key);
                let lines = vec![
                    ("Key".to_string(), e.key.clone()),
                    (
                        "Size".to_string(),
                        format!("{} ({} bytes)", bytesize::ByteSize(e.size), e.size),
                    ),
                    (
                        "Modified".to_string(),
                        e.last_modified
                            .map_or("-".into(), render::format::timestamp),
                    ),
                    (
                        "Storage class".to_string(),
                        e.storage_class.clone().unwrap_or_else(|| "-".into()),
                    ),
                    ("URI".to_string(), uri.clone()),
                    (
                        "Spark (s3a)".to_string(),
                        uri.replacen("s3://", "s3a://", 1),
                    ),
                ];
                Some((format!("Object {}", e.key), lines))
            }
            ViewKind::Transfers => {
                let t = self.transfers.iter().find(|t| t.id.to_string() == row.id)?;
                use super::transfers::JobState;
                let state = match &t.state {
                    JobState::Planning => "planning".to_string(),
                    JobState::Asking => "waiting for an answer".to_string(),
                    JobState::Running => "running".to_string(),
                    JobState::Done(w) => w.clone(),
                    JobState::Failed(w) => format!("failed: {w}"),
                    JobState::Cancelled => "cancelled".into(),
                };
                Some((
                    "Transfer".to_string(),
                    vec![
                        ("What".to_string(), t.label()),
                        ("State".to_string(), state),
                    ],
                ))
            }
            ViewKind::Tunnels => {
                let t = self.tunnels.get(&row.id)?.tunnel.current();
                Some((
                    format!("Tunnel to {}", t.target.label),
                    render::tunnels::details(&t),
                ))
            }
            ViewKind::Costs => {
                let i = inv.instances.iter().find(|i| i.id == row.id)?;
                Some((
                    format!("{} ({})", i.display_name(), i.id),
                    render::details::instance(i, self.clock.now()),
                ))
            }
        }
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

    fn schedule_next_refresh(&mut self) {
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

    // ---- keys -------------------------------------------------------------

    pub fn on_key(&mut self, key: KeyEvent) {
        let spec = key_spec(&key);
        let action = spec.and_then(|s| self.config.keys.action_for(&s));
        // A ctrl- quit key works everywhere, even while typing.
        if action == Some(Action::Quit) && spec.is_some_and(|s| s.ctrl) {
            self.quit = true;
            return;
        }
        match self.mode {
            Mode::Filter | Mode::Command => self.on_input_key(key),
            Mode::Confirm => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') | KeyCode::Enter => self.confirm_pending(),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                    self.cancel_pending()
                }
                _ => {}
            },
            Mode::MfaCode => match key.code {
                KeyCode::Enter => {
                    if let Some((_, reply)) = self.mfa_prompt.take() {
                        let _ = reply.send(std::mem::take(&mut self.input));
                    }
                    self.mode = Mode::Normal;
                }
                KeyCode::Esc => {
                    // Dropping the reply tells the provider no code was given.
                    self.mfa_prompt = None;
                    self.input.clear();
                    self.mode = Mode::Normal;
                    self.notify(Level::Warning, "no MFA code given: calls with this profile fail until you switch profile (ctrl-p)");
                }
                KeyCode::Backspace => {
                    self.input.pop();
                }
                KeyCode::Char(c) if c.is_ascii_digit() && self.input.len() < 8 => {
                    self.input.push(c)
                }
                _ => {}
            },
            Mode::TunnelDialog => self.on_tunnel_dialog_key(key),
            Mode::HostKey => self.on_hostkey_key(key),
            Mode::FilePicker => self.on_file_picker_key(key),
            Mode::Overwrite => self.on_overwrite_key(key),
            Mode::ConfirmDelete => match key.code {
                KeyCode::Char('y') | KeyCode::Char('Y') => self.confirm_delete(true),
                KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc | KeyCode::Char('q') => {
                    self.confirm_delete(false)
                }
                _ => {}
            },
            Mode::TypeConfirm => match key.code {
                KeyCode::Enter => self.confirm_pending(),
                KeyCode::Esc => self.cancel_pending(),
                KeyCode::Backspace => {
                    self.input.pop();
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    self.input.push(c)
                }
                _ => {}
            },
            Mode::Help | Mode::Details => match action {
                Some(Action::Back | Action::Help | Action::Details) => {
                    self.mode = Mode::Normal;
                }
                Some(Action::Quit) => self.quit = true,
                Some(Action::Up) => self.scroll = self.scroll.saturating_sub(1),
                Some(Action::Down) => self.scroll = self.scroll.saturating_add(1),
                Some(Action::PageUp) => self.scroll = self.scroll.saturating_sub(10),
                Some(Action::PageDown) => self.scroll = self.scroll.saturating_add(10),
                Some(Action::Top) => self.scroll = 0,
                _ => {}
            },
            Mode::Normal => {
                if let Some(action) = action {
                    self.on_action(action);
                }
            }
        }
    }

    fn on_action(&mut self, action: Action) {
        if self.on_s3_action(action)
            || self.on_tunnel_action(action)
            || self.on_lifecycle_key(action)
        {
            return;
        }
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                self.mode = Mode::Help;
                self.scroll = 0;
            }
            Action::Command => {
                self.mode = Mode::Command;
                self.input.clear();
                self.completions.clear();
            }
            Action::Filter => {
                self.mode = Mode::Filter;
                self.input = self.view_state().filter.clone();
            }
            Action::Back => {
                if !self.view_state().filter.is_empty() {
                    self.view_state_mut().filter.clear();
                }
            }
            Action::Refresh => {
                self.refresh();
                self.notify(Level::Info, "refreshing…");
            }
            Action::Details => {
                if self.selected_details().is_some() {
                    self.mode = Mode::Details;
                    self.scroll = 0;
                }
            }
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => {
                self.move_selection(-isize::try_from(self.page_rows.max(1)).unwrap_or(1))
            }
            Action::PageDown => {
                self.move_selection(isize::try_from(self.page_rows.max(1)).unwrap_or(1))
            }
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::SortNext => {
                let n = self.columns().len();
                let state = self.view_state_mut();
                state.sort = match state.sort {
                    None => Some((0, false)),
                    Some((c, _)) if c + 1 < n => Some((c + 1, false)),
                    Some(_) => None,
                };
            }
            Action::SortReverse => {
                let state = self.view_state_mut();
                state.sort = Some(match state.sort {
                    Some((c, desc)) => (c, !desc),
                    None => (0, true),
                });
            }
            Action::NextView => {
                self.switch_view(ViewKind::ALL[(self.view.index() + 1) % ViewKind::ALL.len()])
            }
            Action::PreviousView => {
                let n = ViewKind::ALL.len();
                self.switch_view(ViewKind::ALL[(self.view.index() + n - 1) % n]);
            }
            Action::Costs => self.switch_view(ViewKind::Costs),
            Action::Tunnels => self.switch_view(ViewKind::Tunnels),
            Action::Transfers => self.switch_view(ViewKind::Transfers),
            Action::PickProfile | Action::PickRegion => {
                let word = if action == Action::PickProfile {
                    "profile "
                } else {
                    "region "
                };
                self.mode = Mode::Command;
                self.input = word.to_string();
                let regions = self
                    .session
                    .as_ref()
                    .map(|s| s.regions.clone())
                    .unwrap_or_default();
                let themes = Theme::names(&self.dirs.user_themes());
                let profiles = self.profiles();
                self.completions = command::complete(&self.input, &regions, &themes, &profiles).1;
            }
            Action::Download | Action::Upload | Action::DeleteObjects => {}
            Action::Tunnel | Action::OpenUrl | Action::CopyUrl | Action::RestartTunnel => {}
            Action::Breakdown => {
                self.breakdown = self.breakdown.next();
                if self.view != ViewKind::Costs {
                    self.switch_view(ViewKind::Costs);
                }
            }
            Action::Instances => self.switch_view(ViewKind::Instances),
            Action::Clusters => self.switch_view(ViewKind::Clusters),
            Action::Buckets => self.switch_view(ViewKind::Buckets),
            Action::Mark
            | Action::Start
            | Action::Stop
            | Action::Pause
            | Action::Resume
            | Action::Reboot
            | Action::Terminate => {}
        }
    }

    /// Profiles to pick from: ~/.aws/config and credentials, and the keyring.
    pub fn profiles(&self) -> Vec<String> {
        let mut names = crate::creds::config_profiles();
        for p in
            crate::creds::read_index(&self.dirs.state.join("keyring-profiles.json")).into_keys()
        {
            if !names.contains(&p) {
                names.push(p);
            }
        }
        names
    }

    /// The state of any view (not only the current one).
    pub(super) fn views_for(&mut self, view: ViewKind) -> &mut ViewState {
        &mut self.views[view.index()]
    }

    /// S3 keys: Enter and Esc in the browser, download, upload, copy URI,
    /// cancel and retry of transfers. True if handled.
    fn on_s3_action(&mut self, action: Action) -> bool {
        match (self.view, action) {
            (ViewKind::Buckets, Action::Details) => {
                if let Some(row) = self.selected_row() {
                    self.browse(&row.id, "");
                }
                true
            }
            (ViewKind::Objects, Action::Details) => self.enter_object(),
            (ViewKind::Objects, Action::Back) if self.view_state().filter.is_empty() => {
                self.leave_objects();
                true
            }
            (ViewKind::Objects, Action::DeleteObjects) => {
                self.ask_delete_objects();
                true
            }
            (ViewKind::Objects, Action::Download) => {
                self.download_selected();
                true
            }
            (ViewKind::Objects, Action::Upload) => {
                self.open_file_picker();
                true
            }
            (ViewKind::Buckets, Action::Upload) => {
                self.notify(
                    Level::Info,
                    "open a bucket first (enter), then U picks files to upload into it",
                );
                true
            }
            (ViewKind::Objects, Action::CopyUrl) => {
                if let Some(row) = self.selected_row() {
                    let uri = format!("s3://{}/{}", self.browser.bucket, row.id);
                    super::tunnels::copy_osc52(&uri);
                    self.notify(
                        Level::Info,
                        format!(
                            "copied {uri} (Spark: {})",
                            uri.replacen("s3://", "s3a://", 1)
                        ),
                    );
                }
                true
            }
            (ViewKind::Transfers, Action::Stop) => {
                if let Some(id) = self.selected_row().and_then(|r| r.id.parse().ok()) {
                    self.cancel_transfer(id);
                }
                true
            }
            (ViewKind::Transfers, Action::RestartTunnel) => {
                if let Some(id) = self.selected_row().and_then(|r| r.id.parse().ok()) {
                    self.retry_transfer(id);
                }
                true
            }
            _ => false,
        }
    }

    pub(super) fn switch_view(&mut self, view: ViewKind) {
        self.view = view;
        self.mode = Mode::Normal;
    }

    fn on_input_key(&mut self, key: KeyEvent) {
        match key.code {
            KeyCode::Esc => {
                if self.mode == Mode::Filter {
                    self.view_state_mut().filter.clear();
                }
                self.mode = Mode::Normal;
                self.completions.clear();
            }
            KeyCode::Enter => {
                let line = std::mem::take(&mut self.input);
                self.completions.clear();
                if self.mode == Mode::Command {
                    self.mode = Mode::Normal;
                    self.run_command(&line);
                } else {
                    self.mode = Mode::Normal;
                }
            }
            KeyCode::Backspace => {
                self.input.pop();
                self.after_input_change();
            }
            KeyCode::Tab if self.mode == Mode::Command => {
                let regions = self
                    .session
                    .as_ref()
                    .map(|s| s.regions.clone())
                    .unwrap_or_default();
                let themes = Theme::names(&self.dirs.user_themes());
                let profiles = self.profiles();
                let (completed, candidates) =
                    command::complete(&self.input, &regions, &themes, &profiles);
                if let Some(line) = completed {
                    self.input = line;
                }
                self.completions = candidates;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.input.push(c);
                self.after_input_change();
            }
            _ => {}
        }
    }

    fn after_input_change(&mut self) {
        if self.mode == Mode::Filter {
            let filter = self.input.clone();
            self.view_state_mut().filter = filter;
        } else {
            self.completions.clear();
        }
    }

    pub fn run_command(&mut self, line: &str) {
        match command::parse(line) {
            Err(e) => self.notify(Level::Warning, e),
            Ok(Command::Quit) => self.quit = true,
            Ok(Command::Help) => {
                self.mode = Mode::Help;
                self.scroll = 0;
            }
            Ok(Command::Refresh) => self.refresh(),
            Ok(Command::View(v)) => self.switch_view(v),
            Ok(Command::Theme(name)) => match Theme::load(&name, &self.dirs.user_themes()) {
                Ok(theme) => {
                    self.theme = theme;
                    self.notify(Level::Info, format!("theme {name}"));
                }
                Err(e) => self.notify(Level::Error, e.to_string()),
            },
            Ok(Command::Regions(names)) => {
                self.connection.opts.regions = names.clone();
                self.connection.opts.all_regions = false;
                self.switch_session(format!("regions: {}", names.join(", ")));
            }
            Ok(Command::AllRegions) => {
                self.connection.opts.all_regions = true;
                self.switch_session("all enabled regions".to_string());
            }
            Ok(Command::Upload(path)) => self.upload_path(&path),
            Ok(Command::MakeBucket(name)) => self.make_bucket(name),
            Ok(Command::Profile(name)) => {
                if !self.profiles().contains(&name) {
                    return self.notify(
                        Level::Warning,
                        format!(
                            "no profile `{name}` in ~/.aws/config or the keyring (tab lists them)"
                        ),
                    );
                }
                self.read_only =
                    crate::ops::connect::read_only(self.read_only_flag, &self.config, &name);
                self.connection.opts.profile = Some(name.clone());
                self.account = None;
                self.switch_session(format!("profile {name}"));
            }
        }
    }

    /// `:mb NAME`: checked before any call, refused in read-only mode.
    fn make_bucket(&mut self, name: String) {
        if let Err(e) = crate::ops::transfer::plan::check_bucket_name(&name) {
            return self.notify(Level::Warning, e);
        }
        let Some(actions) = self.actions() else {
            return;
        };
        self.spawn(async move {
            Msg::Outcome(
                crate::ops::objects::make_bucket(&actions, &name)
                    .await
                    .map(|(_, region)| format!("made s3://{name} in {region}")),
            )
        });
    }

    /// Drops everything from the old session and starts over: nothing old
    /// and new is ever mixed on screen.
    fn switch_session(&mut self, what: String) {
        self.slices.clear();
        self.inventory = Inventory::default();
        self.last_refresh = None;
        self.notify(Level::Info, format!("switching to {what}"));
        self.connect();
    }
}

/// A terminal key event in the keymap's terms.
pub fn key_spec(key: &KeyEvent) -> Option<KeySpec> {
    let name = match key.code {
        KeyCode::Char(c) => KeyName::Char(c),
        KeyCode::Enter => KeyName::Enter,
        KeyCode::Esc => KeyName::Esc,
        KeyCode::Tab => KeyName::Tab,
        KeyCode::BackTab => KeyName::BackTab,
        KeyCode::Backspace => KeyName::Backspace,
        KeyCode::Delete => KeyName::Delete,
        KeyCode::Up => KeyName::Up,
        KeyCode::Down => KeyName::Down,
        KeyCode::Left => KeyName::Left,
        KeyCode::Right => KeyName::Right,
        KeyCode::PageUp => KeyName::PageUp,
        KeyCode::PageDown => KeyName::PageDown,
        KeyCode::Home => KeyName::Home,
        KeyCode::End => KeyName::End,
        KeyCode::F(n) => KeyName::F(n),
        _ => return None,
    };
    Some(KeySpec {
        key: name,
        ctrl: key.modifiers.contains(KeyModifiers::CONTROL),
        alt: key.modifiers.contains(KeyModifiers::ALT),
    })
}
