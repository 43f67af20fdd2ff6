//! What a view or a popup gets when it handles a key or a message: the
//! shared world to read, the theme, and ways to act — start background
//! work, raise a popup, say something, tell the other views what happened,
//! ask the world for a change. Requests are queued as effects and carried
//! out by the loop once the handler returns, so a handler never holds the
//! app and never awaits the network.

use std::any::Any;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;

use super::msg::{Msg, ViewId};
use super::notify::{Level, Notes, Say};
use super::popups::{Boxed, Scroll, box_layout, draw_box};
use super::theme::Theme;
use super::world::World;
use crate::cloud::actions::{Actions, Gate};
use crate::config::{Action, Keymap};
use crate::ops::connect::Context;
use crate::ops::transfer::copy::CopyRequest;
use crate::ops::tunnel::TunnelTarget;
use crate::ops::tunnel::spec::Forward;

/// What has the keyboard: the top popup's mode, else the input line's, else
/// `NORMAL`. Each popup module names its own.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mode(pub &'static str);

impl Mode {
    pub const NORMAL: Self = Self("normal");
    pub const FILTER: Self = Self("filter");
    pub const COMMAND: Self = Self("command");
}

/// Something that happened that any view may care about (each view is told
/// every event; most ignore most).
#[derive(Debug, Clone)]
pub enum Event {
    /// Copy files or objects (a download or an upload).
    StartTransfer(CopyRequest),
    /// A copy into `dest` finished: a listing of it is out of date.
    TransferFinished { dest: String },
    /// Open a supervised tunnel.
    OpenTunnel {
        target: TunnelTarget,
        forwards: Vec<Forward>,
        /// Record the host key if the host is new.
        accept: bool,
    },
    /// Browse `bucket` at `prefix`.
    Browse { bucket: String, prefix: String },
    /// A lifecycle verb started on the marked rows: marks are spent.
    LifecycleStarted,
    /// Another profile or region: what was listed for the old one is gone.
    SessionChanged,
}

/// A shell ready to be given the terminal (the run loop does it).
#[derive(Debug)]
pub struct ShellHandOver {
    pub label: String,
    /// The program (ssh, or skiff's own Session Manager shell) and its
    /// arguments.
    pub program: String,
    pub args: Vec<String>,
    /// How it connects, in words.
    pub method: String,
    /// Keeps a one-time key (if any) until ssh exits.
    pub ready: crate::ops::shell::Ready,
}

/// A change to the shared world, run by the loop with the world borrowed.
pub type WorldChange = Box<dyn FnOnce(&mut World, &mut Notes)>;

/// What a handler asked for, carried out by the loop in order.
pub enum Effect {
    Say(Level, String),
    Open(Box<dyn Popup>),
    Switch(ViewId),
    Emit(Event),
    /// A message for one view, delivered at once (a popup's answer).
    Tell(ViewId, Box<dyn Any + Send>),
    World(WorldChange),
    HandOver(Box<ShellHandOver>),
    Quit,
}

/// A popup's answer to whoever opened it: a closure run with a context.
pub type Then<T> = Box<dyn FnOnce(&mut Ctx<'_>, T)>;

pub struct Ctx<'a> {
    pub world: &'a World,
    pub theme: &'a Theme,
    /// The view the user is on.
    pub view: ViewId,
    /// A popup is open (a new question should wait its turn).
    pub asking: bool,
    fx: &'a mut Vec<Effect>,
}

impl<'a> Ctx<'a> {
    pub fn new(
        world: &'a World,
        theme: &'a Theme,
        view: ViewId,
        asking: bool,
        fx: &'a mut Vec<Effect>,
    ) -> Self {
        Self {
            world,
            theme,
            view,
            asking,
            fx,
        }
    }

    /// Raises `popup` on top of the others.
    pub fn open(&mut self, popup: impl Popup + 'static) {
        self.fx.push(Effect::Open(Box::new(popup)));
    }

    pub fn switch(&mut self, view: ViewId) {
        self.fx.push(Effect::Switch(view));
    }

    /// Tells every view that `event` happened.
    pub fn emit(&mut self, event: Event) {
        self.fx.push(Effect::Emit(event));
    }

    /// Hands `msg` to `view` (its own message type) once this handler is done.
    pub fn tell<M: Any + Send>(&mut self, view: ViewId, msg: M) {
        self.fx.push(Effect::Tell(view, Box::new(msg)));
    }

    /// Asks the world for a change (a refresh, a lifecycle run).
    pub fn change(&mut self, f: impl FnOnce(&mut World, &mut Notes) + 'static) {
        self.fx.push(Effect::World(Box::new(f)));
    }

    pub fn hand_over(&mut self, shell: ShellHandOver) {
        self.fx.push(Effect::HandOver(Box::new(shell)));
    }

    pub fn quit(&mut self) {
        self.fx.push(Effect::Quit);
    }

    /// Runs `fut` in the background; its output comes back to `view` as a
    /// message of its own type.
    pub fn spawn<M, F>(&self, view: ViewId, fut: F)
    where
        M: Any + Send,
        F: std::future::Future<Output = M> + Send + 'static,
    {
        self.spawn_msg(async move { Msg::View(view, Box::new(fut.await)) });
    }

    /// Runs `fut` in the background; its output comes back to the popups
    /// (the one that asked takes it).
    pub fn spawn_for_popup<M, F>(&self, fut: F)
    where
        M: Any + Send,
        F: std::future::Future<Output = M> + Send + 'static,
    {
        self.spawn_msg(async move { Msg::Popup(Box::new(fut.await)) });
    }

    fn spawn_msg(&self, fut: impl std::future::Future<Output = Msg> + Send + 'static) {
        if let Some(tx) = self.world.sender() {
            tokio::spawn(async move {
                let _ = tx.send(fut.await);
            });
        }
    }

    pub fn keys(&self) -> &Keymap {
        &self.world.config.keys
    }

    /// The first key bound to `action`, as the footer writes it.
    pub fn key(&self, action: Action) -> String {
        self.keys()
            .keys_for(action)
            .first()
            .map_or_else(|| format!(":{action:?}"), ToString::to_string)
    }

    pub fn gate(&self) -> Option<Gate> {
        self.world.gate()
    }

    /// Why the gate refuses `what` (None: it may go ahead, or nothing is
    /// connected yet and the caller says so).
    pub fn refusal(&self, service: &'static str, what: &str) -> Option<String> {
        self.gate()
            .and_then(|g| g.refusal(service, "", what))
            .map(|e| e.message)
    }

    pub fn context(&self) -> Option<Context> {
        self.world.context()
    }

    pub fn actions(&self) -> Option<Actions> {
        self.world.actions()
    }
}

impl Say for Ctx<'_> {
    fn say(&mut self, level: Level, text: impl Into<String>) {
        self.fx.push(Effect::Say(level, text.into()));
    }
}

/// What a key in a popup decided.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reply {
    /// Handled; the popup stays.
    Keep,
    /// The popup closes.
    Close,
    /// The popup closes, with a word to the user.
    Closed(Level, String),
    /// The popup stays, with a word to the user (bad input loses nothing).
    Warn(String),
    Quit,
}

/// A dialog on the popup stack: the top one gets the keys and draws itself
/// over the view.
pub trait Popup {
    /// What has the keyboard while this popup is on top.
    fn mode(&self) -> Mode;

    /// A key, with the action the keymap gives it.
    fn on_key(&mut self, key: KeyEvent, action: Option<Action>, cx: &mut Ctx<'_>) -> Reply;

    /// An answer from background work: taken if it is this popup's (None),
    /// else handed back for the next one.
    fn on_msg(&mut self, msg: Box<dyn Any + Send>) -> Option<Box<dyn Any + Send>> {
        Some(msg)
    }

    /// The box it is drawn as (most popups): its title, body and answer
    /// lines. A popup drawn otherwise (the file picker) says None and
    /// draws itself.
    fn boxed(&self, _theme: &Theme) -> Option<Boxed> {
        None
    }

    /// Where its box's body is scrolled to.
    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        None
    }

    /// Scrolls by `delta` lines (the mouse wheel).
    fn scroll(&mut self, delta: isize) {
        if let Some(s) = self.scroll_state() {
            s.by(delta);
        }
    }

    /// Fits the popup to `area` before drawing (scroll limits, windows):
    /// the one place a popup's state follows the screen.
    fn layout(&mut self, area: Rect, theme: &Theme) {
        if let Some(b) = self.boxed(theme) {
            let max = box_layout(area, &b.body, &b.footer).max_scroll;
            if let Some(s) = self.scroll_state() {
                s.fit(max);
            }
        }
    }

    fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        if let Some(b) = self.boxed(theme) {
            draw_box(frame, area, theme, &b.title, b.body, b.footer, b.scroll);
        }
    }

    /// What is being typed in it (an MFA code, a name to confirm).
    fn typed(&self) -> Option<&str> {
        None
    }

    /// Whether it takes typed text (a prompt, a form): ctrl-c then
    /// cancels it, as esc does, instead of quitting.
    fn takes_text(&self) -> bool {
        false
    }

    /// For tests and the app to look at a popup of a known kind.
    fn as_any(&self) -> &dyn Any;
}
