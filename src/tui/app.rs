//! The app: the shared data (session, inventory, costs), the pages, the
//! popup stack and the footer's input line — and the router between them.
//! Keys go to the top popup, else the input line, else global actions, else
//! the current page; messages from background tasks (tagged with the session
//! generation that asked, so a stale answer is dropped) go where they
//! belong. Key handlers never await the network: they spawn, and the answer
//! comes back as a [`Msg`].

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc::UnboundedSender;

use super::input::InputLine;
use super::layout::Layout;
use super::lifecycle::Transition;
use super::popups::Popup;
use super::popups::confirm::Pending;
use super::theme::Theme;
use crate::cloud::actions::{Actions, Gate};
use crate::cloud::inventory::{InventoryOptions, SliceData, SliceKey};
use crate::cloud::{CloudError, Session};
use crate::config::{Config, Dirs, StartView};
use crate::model::Inventory;
use crate::ops::connect::{Connection, Context};
use crate::render::Row;

pub use super::notify::{Level, Notification};
pub use super::pages::{Pages, ViewKind};
pub use super::table::Table;

/// What has the keyboard, derived from the popup on top and the input line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Normal,
    Filter,
    Command,
    Help,
    Details,
    Messages,
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
    /// Setting or clearing the guards of an instance or cluster.
    GuardDialog,
    /// Create skiff's IAM role for the scheduler?
    RoleQuestion,
    /// Remove a leftover: its id must be typed.
    RemoveLeftover,
    /// A shell's host is seen for the first time: accept its key?
    ShellHostKey,
    /// The command to run on every node.
    RunCommand,
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
        /// When it was asked for.
        at: DateTime<Utc>,
        result: Result<SliceData, CloudError>,
    },
    /// A page of a slice still being listed (shown until the slice is in,
    /// where nothing of it was shown before).
    SlicePage {
        generation: u64,
        key: SliceKey,
        page: SliceData,
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
    /// Objects were deleted (or not): the folder is listed again.
    Deleted(Result<String, String>),
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
    /// A folder of the upload picker, listed off the UI thread.
    DirListed {
        generation: u64,
        result: Result<Vec<super::popups::picker::Entry>, String>,
    },
    /// skiff's guards, listed beside the inventory.
    Guards {
        generation: u64,
        result: Result<Vec<crate::ops::guard::GuardInfo>, String>,
    },
    /// A guard was set or cleared (or not, and why).
    GuardDone(Result<String, String>),
    /// A schedule needs skiff's IAM role: its policies, to ask first.
    GuardNeedsRole(Box<super::guards::RoleQuestion>),
    /// A shell's connection is ready (or why not).
    ShellReady {
        node: crate::ops::tunnel::TunnelTarget,
        result: Box<Result<crate::ops::shell::Ready, crate::ops::shell::NotReady>>,
    },
    /// A command ran on every node.
    RunDone {
        command: String,
        results: Arc<Vec<crate::ops::shell::NodeRun>>,
    },
    /// What costs money while nothing runs.
    Leftovers {
        generation: u64,
        found: Box<crate::ops::leftovers::Found>,
    },
    /// A leftover was removed (or not, and why).
    LeftoverRemoved(Result<String, String>),
    /// Who a tunnel dialog's target logs in as, where, with which key.
    TunnelPreview {
        instance_id: String,
        result: Result<crate::ops::tunnel::Preview, String>,
    },
}

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
    /// Pages of slices still being listed for the first time, shown until
    /// the whole slice is in.
    pub(super) partial: BTreeMap<SliceKey, Vec<SliceData>>,
    pub connecting: bool,
    pub last_refresh: Option<DateTime<Utc>>,
    pub(super) next_refresh: Option<Instant>,
    pub view: ViewKind,
    pub pages: Pages,
    /// The popup stack: the last one is on top.
    pub popups: Vec<Popup>,
    /// The footer's filter or command line, while one is being typed.
    pub input: Option<InputLine>,
    pub notes: super::notify::Notifications,
    pub spinner: usize,
    pub clock: Clock,
    /// Where things are on screen, from the last layout pass.
    pub layout: Layout,
    pub(super) tx: Option<UnboundedSender<Msg>>,
    pub quit: bool,
    /// Read-only mode: lifecycle keys explain instead of acting.
    pub read_only: bool,
    /// --read-only was given (it holds whatever profile is picked).
    pub read_only_flag: bool,
    /// Instance id → its transition in progress (or recent failure).
    pub transitions: HashMap<String, Transition>,
    pub prices: crate::cost::Prices,
    /// The cost ledger (shared with the CLI through the state directory).
    pub ledger: crate::cost::Ledger,
    /// When each slice was asked for (what it shows was seen then).
    pub(super) slice_times: BTreeMap<SliceKey, DateTime<Utc>>,
    /// A ledger write failed this session (said once).
    pub(super) ledger_warned: bool,
    pub costs: Option<crate::cost::CostReport>,
    pub(super) costs_at: Option<Instant>,
    /// Bumped whenever the data rows are made from changes.
    pub(super) version: u64,
    /// Current spot prices of the spot instances seen (applied to `prices`).
    pub(super) spot: crate::cost::prices::SpotPrices,
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
    /// Instances already reminded about (once per run of skiff).
    pub(super) reminded: std::collections::HashSet<String>,
    /// When the app started, until the first complete inventory is logged.
    pub(super) started: Option<Instant>,
    /// The last click: when, where (for double clicks).
    pub(super) last_click: Option<(Instant, u16, u16)>,
    /// The guards skiff made (alarms, schedules), fetched beside the
    /// inventory; and per instance id, what its GUARD cell says.
    pub guards: Vec<crate::ops::guard::GuardInfo>,
    pub(super) guard_text: HashMap<String, String>,
    pub(super) guards_at: Option<Instant>,
    /// The zone guard schedules are written in by default (fixed in demos).
    pub local_zone: chrono_tz::Tz,
    /// A shell ready to be given the terminal (the run loop does it).
    pub(super) pending_shell: Option<super::shell::ShellHandOver>,
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
        let (ledger, ledger_note) = crate::ops::costs::open_ledger(&dirs);
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
            partial: BTreeMap::new(),
            connecting: false,
            last_refresh: None,
            next_refresh: None,
            view,
            pages: Pages::default(),
            popups: Vec::new(),
            input: None,
            notes: Default::default(),
            spinner: 0,
            clock: Clock::System,
            layout: Layout::default(),
            tx,
            quit: false,
            read_only: false,
            read_only_flag: false,
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
            reminded: Default::default(),
            started: Some(Instant::now()),
            last_click: None,
            guards: Vec::new(),
            guard_text: HashMap::new(),
            guards_at: None,
            local_zone: crate::guard::schedule::local_zone(),
            pending_shell: None,
        };
        if let Some(note) = ledger_note {
            app.notify(Level::Warning, note);
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
        let mut app = Self::new(config, dirs, theme, Connection::default(), None);
        app.inventory = inventory;
        app.session = Some(Arc::new(session));
        app.account = Some(account.to_string());
        app.clock = Clock::Fixed(now);
        app.local_zone = chrono_tz::Tz::UTC;
        app.last_refresh = Some(now);
        app.prices = crate::demo::prices();
        app.ledger = crate::cost::Ledger::in_memory();
        let seen = crate::cost::compute::sightings(&app.inventory, &app.prices);
        let _ = app.ledger.observe(&seen, &[], now);
        app.recompute_costs();
        app.sync();
        app
    }

    /// What has the keyboard.
    pub fn mode(&self) -> Mode {
        if let Some(p) = self.popups.last() {
            return p.mode();
        }
        match &self.input {
            Some(i) if i.kind == super::input::InputKind::Filter => Mode::Filter,
            Some(_) => Mode::Command,
            None => Mode::Normal,
        }
    }

    /// What is being typed: in the popup on top (an MFA code, a name to
    /// confirm), else in the input line ("" when nothing is).
    pub fn input_text(&self) -> &str {
        match self.popups.last() {
            Some(Popup::Mfa { code, .. }) => code,
            Some(Popup::Confirm(c)) => c.typed.as_deref().unwrap_or(""),
            _ => self.input.as_ref().map_or("", |i| i.text.as_str()),
        }
    }

    pub fn completions(&self) -> &[String] {
        self.input
            .as_ref()
            .map_or(&[], |i| i.completions.as_slice())
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

    // ---- popups -----------------------------------------------------------

    pub fn open(&mut self, popup: Popup) {
        self.input = None;
        self.popups.push(popup);
    }

    /// The lifecycle action the top popup asks about.
    pub fn pending(&self) -> Option<&Pending> {
        match self.popups.last()? {
            Popup::Confirm(c) => Some(&c.pending),
            _ => None,
        }
    }

    pub fn file_picker(&self) -> Option<&super::popups::picker::FilePicker> {
        self.popups.iter().rev().find_map(|p| match p {
            Popup::FilePicker(f) => Some(f),
            _ => None,
        })
    }

    pub fn tunnel_dialog(&self) -> Option<&super::popups::tunnel::TunnelDialog> {
        match self.popups.last()? {
            Popup::Tunnel(d) => Some(d),
            _ => None,
        }
    }

    pub fn overwrite(&self) -> Option<&super::popups::prompts::OverwriteQuestion> {
        match self.popups.last()? {
            Popup::Overwrite(q) => Some(q),
            _ => None,
        }
    }

    // ---- rows -------------------------------------------------------------

    /// The current page's table.
    pub fn table(&self) -> &Table {
        self.pages.table(self.view)
    }

    /// The current page's rows as shown (filtered and sorted).
    pub fn rows(&self) -> Vec<&Row> {
        self.table().rows()
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.table().selected()
    }

    pub fn columns(&self) -> &'static [crate::render::Column] {
        self.pages.columns(self.view)
    }

    /// Brings the current page's rows up to date with the data (cheap when
    /// nothing changed): called after every key, message and tick.
    pub fn sync(&mut self) {
        let src = super::pages::Source {
            inventory: &self.inventory,
            costs: self.costs.as_ref(),
            storage: &self.storage,
            transitions: &self.transitions,
            now: self.clock.now(),
            remind_after_secs: self.remind_after_secs(),
            tag_key: &self.config.costs.tag_key,
            guards: &self.guard_text,
        };
        let width = self.layout.table_width;
        self.pages.refresh(self.view, self.version, width, &src);
    }

    /// Something rows are made from changed.
    pub(super) fn touch(&mut self) {
        self.version += 1;
    }

    pub fn switch_view(&mut self, view: ViewKind) {
        self.view = view;
        if view == ViewKind::Leftovers && !self.pages.leftovers.asked() {
            self.load_leftovers();
        }
        self.input = None;
        self.sync();
        let h = self.layout.table_rows;
        self.pages.table_mut(view).set_height(h);
    }

    /// Seconds of running after which an instance is flagged (None: never).
    pub fn remind_after_secs(&self) -> Option<i64> {
        let hours = self.config.reminders.running_hours;
        (hours > 0).then(|| i64::from(hours) * 3600)
    }

    // ---- notifications ------------------------------------------------------

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(?level, "{text}");
        let when = self.clock.now();
        self.notes.push(level, text, when);
    }

    /// The notification to show now, if a recent one is still on screen.
    pub fn current_notification(&self) -> Option<&Notification> {
        self.notes.current()
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

    pub(super) fn sender(&self) -> Option<UnboundedSender<Msg>> {
        self.tx.clone()
    }

    /// Called on every tick: spinner, transitions, tunnels, paging, live
    /// costs, the background refresh.
    pub fn on_tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
        self.settle_transitions();
        self.watch_tunnels();
        self.prefetch_objects();
        self.pages.transfers.tick();
        self.pages.tunnels.tick();
        // Costs change with what is seen (each listing) and with the UTC
        // day; a minute is soon enough for the day to roll over.
        if self
            .costs_at
            .is_none_or(|t| t.elapsed() >= Duration::from_secs(60))
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
        self.sync();
    }
}
