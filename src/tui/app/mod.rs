//! The app is a router: the shared world, the registered views (one on
//! screen), the popup stack, the footer's input line and notifications.
//! Keys go to the top popup, else the input line, else the view on screen,
//! else what every view shares (moving, filtering, switching, quitting);
//! messages from background work go to the world, the view or the popup
//! that asked. Handlers never await: they queue effects, applied here.

use std::any::Any;
use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use tokio::sync::mpsc::UnboundedSender;

use super::ctx::{Ctx, Effect, Event, Mode, Popup, Reply, ShellHandOver};
use super::input::{InputKind, InputLine};
use super::layout::{self, Layout};
use super::msg::{Msg, ViewId};
use super::notify::{Level, Notes, Notification, Notifications};
use super::popups::ask::Ask;
use super::popups::mfa::MfaPopup;
use super::popups::text::{DETAILS, HELP, MESSAGES, TextPopup};
use super::theme::Theme;
use super::view::View;
use super::world::World;
use crate::config::{Action, Config, Dirs, KeyName, KeySpec, StartView};
use crate::ops::connect::Connection;
use crate::render::Row;

mod input;

/// The question asked before quitting stops live work.
pub const QUIT: Mode = Mode("quit");

/// The completion list as drawn: every candidate, wrapped to the width.
pub fn completion_text(candidates: &[String]) -> String {
    format!(" {}", candidates.join("  "))
}

/// How long quitting waits for live work to clean up (an abort sent over
/// a slow link).
const SHUTDOWN_WAIT: std::time::Duration = std::time::Duration::from_secs(20);

/// Two clicks on the same spot within this make a double click.
const DOUBLE_CLICK: std::time::Duration = std::time::Duration::from_millis(400);

pub struct App {
    pub world: World,
    pub theme: Theme,
    views: Vec<Box<dyn View>>,
    current: usize,
    /// The popup stack: the last one is on top.
    pub popups: Vec<Box<dyn Popup>>,
    /// The footer's filter or command line, while one is being typed.
    pub input: Option<InputLine>,
    pub notes: Notifications,
    pub spinner: usize,
    /// Where things are on screen, from the last layout pass.
    pub layout: Layout,
    pub quit: bool,
    /// A shell ready to be given the terminal (the run loop does it).
    handover: Option<ShellHandOver>,
    /// The last click: when, where (for double clicks).
    last_click: Option<(Instant, u16, u16)>,
    /// Effects queued by handlers, applied in order.
    fx: Vec<Effect>,
    /// The view last on screen under each tab that was left.
    last_in_tab: Vec<(ViewId, ViewId)>,
}

impl App {
    /// An app over `views` (the registry's, or others in tests).
    pub fn with_views(world: World, theme: Theme, views: Vec<Box<dyn View>>) -> Self {
        let start = match world.config.general.start_view {
            StartView::Instances => "instances",
            StartView::Clusters => "clusters",
            StartView::Buckets => "buckets",
        };
        let current = views.iter().position(|v| v.id().0 == start).unwrap_or(0);
        Self {
            world,
            theme,
            views,
            current,
            popups: Vec::new(),
            input: None,
            notes: Notifications::default(),
            spinner: 0,
            layout: layout::compute(120, 40, 1, 0),
            quit: false,
            handover: None,
            last_click: None,
            fx: Vec::new(),
            last_in_tab: Vec::new(),
        }
    }

    pub fn new(
        config: Config,
        dirs: Dirs,
        theme: Theme,
        connection: Connection,
        read_only_flag: bool,
        tx: Option<UnboundedSender<Msg>>,
    ) -> Self {
        let mut notes = Notes::default();
        let world = World::new(config, dirs, connection, read_only_flag, tx, &mut notes);
        let mut app = Self::with_views(world, theme, super::views::all());
        app.say(notes);
        app
    }

    /// An app showing a fixed world (snapshot tests, screenshots).
    pub fn fixed(world: World, theme: Theme) -> Self {
        let mut app = Self::with_views(world, theme, super::views::all());
        app.sync();
        app
    }

    // ---- what is on screen ---------------------------------------------------

    pub fn view(&self) -> ViewId {
        self.views[self.current].id()
    }

    pub fn current(&self) -> &dyn View {
        self.views[self.current].as_ref()
    }

    pub fn views(&self) -> &[Box<dyn View>] {
        &self.views
    }

    /// The view registered as `id`.
    pub fn find(&self, id: ViewId) -> Option<&dyn View> {
        self.views.iter().find(|v| v.id() == id).map(AsRef::as_ref)
    }

    /// The registered view of type `T` (tests read a view's own state).
    pub fn view_of<T: View>(&self) -> Option<&T> {
        self.views.iter().find_map(|v| {
            let any: &dyn Any = v.as_ref();
            any.downcast_ref()
        })
    }

    /// The views with a tab, in order.
    pub fn tabs(&self) -> Vec<&dyn View> {
        self.views
            .iter()
            .filter(|v| v.binding().is_some())
            .map(AsRef::as_ref)
            .collect()
    }

    /// The tab the view on screen belongs to.
    pub fn tab(&self) -> ViewId {
        self.current().under().unwrap_or_else(|| self.view())
    }

    /// What has the keyboard.
    pub fn mode(&self) -> Mode {
        if let Some(p) = self.popups.last() {
            return p.mode();
        }
        match &self.input {
            Some(i) if i.kind == InputKind::Filter => Mode::FILTER,
            Some(_) => Mode::COMMAND,
            None => Mode::NORMAL,
        }
    }

    /// The top popup, if it is a `T`.
    pub fn popup<T: Any>(&self) -> Option<&T> {
        self.popups.last()?.as_any().downcast_ref()
    }

    /// The first popup on the stack that is a `T`.
    pub fn find_popup<T: Any>(&self) -> Option<&T> {
        self.popups
            .iter()
            .rev()
            .find_map(|p| p.as_any().downcast_ref())
    }

    /// What is being typed: in the popup on top, else in the input line.
    pub fn input_text(&self) -> &str {
        match self.popups.last() {
            Some(p) => p.typed().unwrap_or(""),
            None => self.input.as_ref().map_or("", |i| i.text.as_str()),
        }
    }

    pub fn completions(&self) -> &[String] {
        self.input
            .as_ref()
            .map_or(&[], |i| i.completions.as_slice())
    }

    pub fn busy(&self) -> bool {
        self.world.busy()
    }

    /// Something moves that wants frequent redraws.
    pub fn animating(&self) -> bool {
        self.busy() || self.views.iter().any(|v| v.busy())
    }

    /// The view on screen's table.
    pub fn table(&self) -> &super::table::Table {
        &self.current().pane().table
    }

    /// The view on screen's rows as shown (filtered and sorted).
    pub fn rows(&self) -> Vec<&Row> {
        self.current().pane().table.rows()
    }

    pub fn selected_row(&self) -> Option<&Row> {
        self.current().pane().table.selected()
    }

    pub fn columns(&self) -> &'static [crate::render::Column] {
        self.current().columns()
    }

    /// The selected row's details.
    pub fn selected_details(&self) -> Option<crate::tui::view::Details> {
        self.current().details(&self.world)
    }

    // ---- notifications ---------------------------------------------------

    pub fn notify(&mut self, level: Level, text: impl Into<String>) {
        let text = text.into();
        tracing::info!(?level, "{text}");
        let when = self.world.clock.now();
        self.notes.push(level, text, when);
    }

    fn say(&mut self, mut notes: Notes) {
        for (level, text) in notes.drain() {
            self.notify(level, text);
        }
    }

    /// The notification to show now, if a recent one is still on screen.
    pub fn current_notification(&self) -> Option<&Notification> {
        self.notes.current()
    }

    // ---- effects -----------------------------------------------------------

    /// Runs `f` on the view at `index` with a context, then applies what it
    /// asked for.
    fn with_view<R>(
        &mut self,
        index: usize,
        f: impl FnOnce(&mut dyn View, &mut Ctx<'_>) -> R,
    ) -> R {
        let view_id = self.view();
        let asking = !self.popups.is_empty();
        let mut cx = Ctx::new(&self.world, &self.theme, view_id, asking, &mut self.fx);
        f(self.views[index].as_mut(), &mut cx)
    }

    fn index_of(&self, id: ViewId) -> Option<usize> {
        self.views.iter().position(|v| v.id() == id)
    }

    /// Applies queued effects (and those they queue), in order.
    fn apply(&mut self) {
        // A handler that keeps asking for more is cut off rather than
        // freezing the loop.
        for _ in 0..64 {
            if self.fx.is_empty() {
                return;
            }
            for effect in std::mem::take(&mut self.fx) {
                self.apply_one(effect);
            }
        }
        tracing::warn!("effects kept coming; {} dropped", self.fx.len());
        self.fx.clear();
    }

    fn apply_one(&mut self, effect: Effect) {
        match effect {
            Effect::Say(level, text) => self.notify(level, text),
            Effect::Open(popup) => {
                self.input = None;
                self.popups.push(popup);
            }
            Effect::Switch(id) => self.switch_to(id),
            Effect::Emit(event) => {
                for i in 0..self.views.len() {
                    self.with_view(i, |v, cx| v.on_event(&event, cx));
                }
            }
            Effect::Tell(id, msg) => self.deliver(id, msg),
            Effect::World(change) => {
                let mut notes = Notes::default();
                change(&mut self.world, &mut notes);
                self.say(notes);
            }
            Effect::HandOver(shell) => self.handover = Some(*shell),
            Effect::Quit => self.quit = true,
        }
    }

    fn deliver(&mut self, id: ViewId, msg: Box<dyn Any + Send>) {
        match self.index_of(id) {
            Some(i) => self.with_view(i, |v, cx| v.on_msg(msg, cx)),
            None => tracing::debug!("a message for an unknown view {id} was dropped"),
        }
    }

    // ---- views ---------------------------------------------------------------

    pub fn switch_to(&mut self, id: ViewId) {
        // Back to a tab from another: where the user was under it (the
        // folder being browsed, not the bucket list).
        let (from, from_tab) = (self.view(), self.tab());
        let id = match self.last_in_tab.iter().find(|(tab, _)| *tab == id) {
            Some((_, shown)) if from_tab != id => *shown,
            _ => id,
        };
        let Some(index) = self.index_of(id) else {
            return;
        };
        self.last_in_tab.retain(|(tab, _)| *tab != from_tab);
        self.last_in_tab.push((from_tab, from));
        self.current = index;
        self.input = None;
        self.with_view(index, |v, cx| v.on_enter(cx));
        let body = self.layout.body;
        self.views[index].layout(body, &self.world);
        self.sync();
    }

    /// Brings the view on screen up to date with the data (cheap when
    /// nothing changed): called after every key, message and tick.
    pub fn sync(&mut self) {
        let width = self.layout.body.width;
        self.views[self.current].sync(&self.world, width);
    }

    /// Lays the app out for a `width`×`height` screen before a frame: the
    /// view lays out its body (and rebuilds its rows if the width changed
    /// which columns fit), popups fit themselves.
    pub fn lay_out(&mut self, width: u16, height: u16) {
        let note = self.current_notification().map(|n| n.text.clone());
        let footer = layout::footer_height(self.input.is_some(), note.as_deref(), width, height);
        let completions = match self.completions() {
            [] => 0,
            c => super::popups::wrapped_rows(&[Line::from(completion_text(c))], width),
        };
        self.layout = layout::compute(width, height, footer, completions);
        self.layout.tab_hits = self.tabs_line(width).1;
        let body = self.layout.body;
        self.views[self.current].layout(body, &self.world);
        self.sync();
        let area = Rect::new(0, 0, width, height);
        for p in &mut self.popups {
            p.layout(area, &self.theme);
        }
    }

    // ---- background work -------------------------------------------------

    /// Connects (at start, and after a profile or region switch).
    pub fn connect(&mut self) {
        self.world.connect();
    }

    pub fn refresh(&mut self) {
        self.world.refresh();
    }

    pub fn on_msg(&mut self, msg: Msg) {
        let mut notes = Notes::default();
        let rest = self.world.on_msg(msg, &mut notes);
        self.say(notes);
        match rest {
            None => {}
            Some(Msg::MfaPrompt { serial, reply }) => {
                self.input = None;
                self.popups.push(Box::new(MfaPopup::new(serial, reply)));
            }
            Some(Msg::View(id, msg)) => self.deliver(id, msg),
            Some(Msg::Popup(mut msg)) => {
                for p in self.popups.iter_mut().rev() {
                    match p.on_msg(msg) {
                        None => break,
                        Some(back) => msg = back,
                    }
                }
            }
            Some(other) => tracing::debug!("dropped an answer: {other:?}"),
        }
        self.apply();
        self.sync();
    }

    /// Called on every tick: the spinner, the world, each view.
    pub fn on_tick(&mut self) {
        self.spinner = self.spinner.wrapping_add(1);
        let mut notes = Notes::default();
        self.world.on_tick(&mut notes);
        self.say(notes);
        for i in 0..self.views.len() {
            self.with_view(i, |v, cx| v.on_tick(cx));
        }
        self.apply();
        self.sync();
    }

    /// Applies an event as if a view had said it (tests, the sandbox).
    pub fn emit(&mut self, event: Event) {
        self.fx.push(Effect::Emit(event));
        self.apply();
        self.sync();
    }

    /// Browses `bucket` at `prefix` (the Objects view).
    pub fn browse(&mut self, bucket: &str, prefix: &str) {
        self.emit(Event::Browse {
            bucket: bucket.to_string(),
            prefix: prefix.to_string(),
        });
    }

    /// A shell waits for the terminal.
    pub fn shell_waiting(&self) -> bool {
        self.handover.is_some()
    }

    /// The shell the run loop should hand the terminal to, if one is ready.
    pub fn take_shell(&mut self) -> Option<ShellHandOver> {
        self.handover.take()
    }

    /// The shell ended (`code`: its exit code, or why it could not run).
    pub fn shell_ended(&mut self, label: &str, code: Result<Option<i32>, String>) {
        match code {
            Ok(Some(0)) => self.notify(Level::Info, format!("the shell on {label} ended")),
            Ok(Some(c)) => self.notify(
                Level::Warning,
                format!("the shell on {label} ended with exit code {c}"),
            ),
            Ok(None) => self.notify(Level::Warning, format!("the shell on {label} was killed")),
            Err(e) => self.notify(Level::Error, format!("cannot run ssh: {e}")),
        }
        self.world.touch();
    }

    /// Work that quitting would stop, in words (a transfer, a tunnel).
    pub fn live(&self) -> Vec<String> {
        self.views.iter().flat_map(|v| v.live()).collect()
    }

    /// Quits at once when nothing would be lost; else asks first, naming
    /// what would stop and what becomes of it.
    pub fn ask_quit(&mut self) {
        let live = self.live();
        if live.is_empty() {
            self.quit = true;
            return;
        }
        if self.mode() == QUIT {
            return;
        }
        let mut body = vec![Line::from("Quitting stops:")];
        body.extend(live.iter().map(|w| Line::from(format!("  • {w}"))));
        body.push(Line::from(""));
        body.push(Line::from(
            "Unfinished uploads are aborted on S3 (nothing is left there to cost), unfinished downloads leave no file, tunnels close.",
        ));
        self.open(
            Ask::new(QUIT, "Quit skiff?", body, |cx, ()| cx.quit())
                .answers("quit and stop them", "keep working"),
        );
    }

    /// Stops what the views run (tunnels, transfers) and waits, up to a
    /// bound, for them to clean up: no ssh process outlives skiff, and an
    /// upload cut short is aborted on S3.
    pub async fn shut_down(&mut self) {
        let mut stopping = Vec::new();
        for v in &mut self.views {
            stopping.extend(v.shutdown());
        }
        let all = futures::future::join_all(stopping);
        if tokio::time::timeout(SHUTDOWN_WAIT, all).await.is_err() {
            tracing::warn!("work still stopping after {SHUTDOWN_WAIT:?}: left as it was");
        }
    }

    // ---- keys ----------------------------------------------------------------

    pub fn on_key(&mut self, key: KeyEvent) {
        self.handle_key(key);
        self.apply();
        self.sync();
    }

    fn handle_key(&mut self, key: KeyEvent) {
        let spec = key_spec(&key);
        let action = spec.and_then(|s| self.world.config.keys.action_for(&s));
        // Esc followed at once by a character (a burst over SSH, a paste)
        // reaches us as Alt and that character: unless a binding claims
        // Alt-char, it is the two keys it was.
        if let (KeyCode::Char(c), true, None) =
            (key.code, key.modifiers.contains(KeyModifiers::ALT), action)
        {
            self.handle_key(KeyEvent::from(KeyCode::Esc));
            self.apply();
            self.handle_key(KeyEvent::new(
                KeyCode::Char(c),
                key.modifiers - KeyModifiers::ALT,
            ));
            return;
        }
        // A ctrl- quit key cancels what is being typed (as esc does), and
        // quits from anywhere else (asking first when work would stop).
        if action == Some(Action::Quit) && spec.is_some_and(|s| s.ctrl) {
            if self.mode() == QUIT {
                // Asked twice: quit.
                self.popups.pop();
                self.quit = true;
                return;
            }
            if self.input.is_some() || self.popups.last().is_some_and(|p| p.takes_text()) {
                return self.handle_key(KeyEvent::from(KeyCode::Esc));
            }
            return self.ask_quit();
        }
        if !self.popups.is_empty() {
            return self.popup_key(key, action);
        }
        if self.input.is_some() {
            return self.input_key(key);
        }
        match (action, spec) {
            (Some(action), _) => self.on_action(action),
            (None, Some(spec)) => self.on_bound_key(&spec),
            _ => {}
        }
    }

    fn popup_key(&mut self, key: KeyEvent, action: Option<Action>) {
        let view_id = self.view();
        let reply = {
            let Some(top) = self.popups.last_mut() else {
                return;
            };
            let mut cx = Ctx::new(&self.world, &self.theme, view_id, true, &mut self.fx);
            top.on_key(key, action, &mut cx)
        };
        match reply {
            Reply::Keep => {}
            Reply::Warn(text) => self.notify(Level::Warning, text),
            Reply::Close => drop(self.popups.pop()),
            Reply::Closed(level, text) => {
                self.popups.pop();
                self.notify(level, text);
            }
            Reply::Quit => {
                self.popups.pop();
                self.ask_quit();
            }
        }
    }

    /// A key no action claims: a view's own key (its tab).
    fn on_bound_key(&mut self, spec: &KeySpec) {
        let keys = &self.world.config.keys;
        let hit = self.views.iter().find_map(|v| {
            let b = v.binding()?;
            keys.bound(&b).contains(spec).then(|| v.id())
        });
        if let Some(id) = hit {
            self.switch_to(id);
        }
    }

    /// An action in Normal mode: the view on screen first, then what every
    /// view shares.
    pub fn on_action(&mut self, action: Action) {
        if self.with_view(self.current, |v, cx| v.on_action(action, cx)) {
            return;
        }
        let rows = isize::try_from(self.current().pane().table.height().max(1)).unwrap_or(1);
        match action {
            Action::Quit => self.ask_quit(),
            Action::Help => {
                let lines = super::help::lines(&self.theme, &self.world, &self.views);
                self.open(TextPopup::new(HELP, "Help — esc closes", lines));
            }
            Action::Messages => self.open_messages(),
            Action::Command => self.input = Some(InputLine::command("")),
            Action::Filter => {
                let filter = self.current().pane().table.filter.clone();
                self.input = Some(InputLine::filter(filter));
            }
            Action::Back => self.back(),
            Action::Refresh => {
                self.refresh();
                self.notify(Level::Info, "refreshing…");
            }
            Action::Details => self.open_details(),
            Action::Up => self.table_mut().move_by(-1),
            Action::Down => self.table_mut().move_by(1),
            Action::PageUp => self.table_mut().move_by(-rows),
            Action::PageDown => self.table_mut().move_by(rows),
            Action::Top => self.table_mut().move_by(isize::MIN / 2),
            Action::Bottom => self.table_mut().move_by(isize::MAX / 2),
            Action::SortNext | Action::SortReverse => self.sort(action),
            Action::NextView | Action::PreviousView => self.next_tab(action == Action::NextView),
            Action::PickProfile | Action::PickRegion => {
                let word = if action == Action::PickProfile {
                    "profile "
                } else {
                    "region "
                };
                let mut line = InputLine::command(word);
                line.completions = self.complete(word).1;
                self.input = Some(line);
            }
            other => self.elsewhere(other),
        }
    }

    /// A key this view does not use: which views do.
    fn elsewhere(&mut self, action: Action) {
        let key = self
            .world
            .config
            .keys
            .keys_for(action)
            .first()
            .map_or_else(String::new, ToString::to_string);
        let there: Vec<&str> = self
            .views
            .iter()
            .filter(|v| v.hints().iter().any(|(a, _)| *a == action))
            .map(|v| v.title())
            .collect();
        let what = action.description();
        let text = if there.is_empty() {
            format!("{key} ({what}) does nothing in {}", self.current().title())
        } else {
            format!("{key} ({what}) works in {}", there.join(", "))
        };
        self.notify(Level::Info, text);
    }

    fn table_mut(&mut self) -> &mut super::table::Table {
        &mut self.views[self.current].pane_mut().table
    }

    /// Raises `popup` on top.
    pub fn open(&mut self, popup: impl Popup + 'static) {
        self.input = None;
        self.popups.push(Box::new(popup));
    }

    /// Esc: clears the filter, then the marks, then the footer's note.
    fn back(&mut self) {
        let table = self.table_mut();
        if !table.filter.is_empty() {
            table.filter.clear();
        } else if !table.marked.is_empty() {
            table.marked.clear();
        }
        self.notes.dismiss();
    }

    fn next_tab(&mut self, forward: bool) {
        let tabs: Vec<ViewId> = self.tabs().iter().map(|v| v.id()).collect();
        let n = tabs.len().max(1);
        let i = tabs.iter().position(|t| *t == self.tab()).unwrap_or(0);
        let next = if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        };
        if let Some(id) = tabs.get(next) {
            self.switch_to(*id);
        }
    }

    fn sort(&mut self, action: Action) {
        let (columns, width) = (self.columns(), self.layout.body.width);
        let table = self.table_mut();
        if action == Action::SortNext {
            table.next_sort(columns, width);
        } else {
            table.reverse_sort();
        }
        let said = match table.sort {
            Some((c, desc)) => format!(
                "sorted by {} {}",
                columns[c].title,
                if desc { "descending" } else { "ascending" }
            ),
            None => "in listing order".to_string(),
        };
        self.notify(Level::Info, said);
    }

    fn open_messages(&mut self) {
        let t = &self.theme;
        let mut lines: Vec<Line<'static>> = self
            .notes
            .iter()
            .map(|n| {
                Line::from(vec![
                    Span::styled(format!("{} ", n.when.format("%H:%M:%S")), t.dim()),
                    Span::styled(
                        format!("{}{}", n.text, n.repeats_suffix()),
                        t.level(n.level),
                    ),
                ])
            })
            .collect();
        if lines.is_empty() {
            lines.push(Line::from(Span::styled("Nothing was said yet.", t.dim())));
        }
        let title = format!("Messages ({}) — esc closes", self.notes.len());
        self.open(TextPopup::new(MESSAGES, title, lines).at_end());
    }

    /// Enter on a row: its details (every field and tag).
    fn open_details(&mut self) {
        let Some((title, fields)) = self.selected_details() else {
            return;
        };
        let width = fields
            .iter()
            .map(|(l, _)| l.chars().count())
            .max()
            .unwrap_or(0)
            .min(24);
        let t = &self.theme;
        let lines: Vec<Line<'static>> = fields
            .into_iter()
            .map(|(label, value)| {
                if label.is_empty() {
                    Line::from(Span::styled(value, t.title()))
                } else {
                    Line::from(vec![
                        Span::styled(format!("{label:<width$} "), t.label()),
                        Span::raw(value),
                    ])
                }
            })
            .collect();
        self.open(TextPopup::new(DETAILS, title, lines));
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
