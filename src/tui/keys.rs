//! Keys: where each key goes (the top popup, the input line, the global
//! actions, the current page), the `:` commands, and terminal key events in
//! the keymap's terms — including Esc and a character that arrive together
//! and reach us as one Alt key.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Level, ViewKind};
use super::command::{self, Command};
use super::input::{InputKind, InputLine};
use super::popups::text::TextPopup;
use super::popups::{Popup, Reply};
use super::theme::Theme;
use crate::config::{Action, KeyName, KeySpec};
use crate::render::RowKey;

impl App {
    pub fn on_key(&mut self, key: KeyEvent) {
        self.handle_key(key);
        self.sync();
    }

    fn handle_key(&mut self, key: KeyEvent) {
        let spec = key_spec(&key);
        let action = spec.and_then(|s| self.config.keys.action_for(&s));
        // Esc followed at once by a character (a burst over SSH, a paste)
        // reaches us as Alt and that character: unless a binding claims
        // Alt-char, it is the two keys it was.
        if let (KeyCode::Char(c), true, None) =
            (key.code, key.modifiers.contains(KeyModifiers::ALT), action)
        {
            self.handle_key(KeyEvent::from(KeyCode::Esc));
            self.handle_key(KeyEvent::new(
                KeyCode::Char(c),
                key.modifiers - KeyModifiers::ALT,
            ));
            return;
        }
        // A ctrl- quit key works everywhere, even while typing.
        if action == Some(Action::Quit) && spec.is_some_and(|s| s.ctrl) {
            self.quit = true;
            return;
        }
        if let Some(top) = self.popups.last_mut() {
            let reply = top.on_key(key, action);
            return self.on_reply(reply);
        }
        if self.input.is_some() {
            return self.on_input_key(key);
        }
        if let Some(action) = action {
            self.on_action(action);
        }
    }

    /// Carries out what a popup decided.
    pub(super) fn on_reply(&mut self, reply: Reply) {
        let close = !matches!(reply, Reply::Keep | Reply::Warn(_) | Reply::ListDir { .. });
        let popped = if close { self.popups.pop() } else { None };
        drop(popped);
        match reply {
            Reply::Keep | Reply::Close => {}
            Reply::Closed(level, text) => self.notify(level, text),
            Reply::Warn(text) => self.notify(Level::Warning, text),
            Reply::Quit => self.quit = true,
            Reply::Run(pending) => self.confirmed(pending),
            Reply::OpenTunnel {
                target,
                forwards,
                accept,
            } => self.start_tunnel(target, forwards, accept),
            Reply::AcceptHostKey(id) => self.accept_host_key(&id),
            Reply::Delete { bucket, keys } => self.delete_objects(bucket, keys),
            Reply::Upload { paths, to } => {
                for path in paths {
                    self.upload_into(&path, &to);
                }
            }
            Reply::ListDir { dir, generation } => self.spawn(async move {
                let result =
                    tokio::task::spawn_blocking(move || super::popups::picker::list_dir(&dir))
                        .await
                        .unwrap_or_else(|e| Err(format!("listing failed: {e}")));
                super::app::Msg::DirListed { generation, result }
            }),
            Reply::Overwrite(q) => self.on_overwrite_answered(q),
            Reply::Guard(request) => self.run_guard(*request, false),
            Reply::GuardWithRole(request) => self.run_guard(*request, true),
            Reply::ShellAccepting(node) => self.shell_on(node, true),
            Reply::RunOnNodes(nodes, command) => self.run_on_nodes(nodes, command),
            Reply::RemoveLeftover(id) => self.remove_leftover(id),
        }
    }

    /// An action in Normal mode: the current page first, then lifecycle,
    /// then what every page shares.
    pub(super) fn on_action(&mut self, action: Action) {
        let handled = match self.view {
            ViewKind::Objects => self.on_objects_action(action),
            ViewKind::Transfers => self.on_transfers_action(action),
            ViewKind::Tunnels => self.on_tunnels_action(action),
            ViewKind::Leftovers => self.on_leftovers_action(action),
            ViewKind::Buckets if action == Action::Details => {
                if let Some(RowKey::Bucket(name)) = self.selected_row().map(|r| r.key.clone()) {
                    self.browse(&name, "");
                }
                true
            }
            _ => false,
        };
        if handled || self.on_lifecycle_key(action) {
            return;
        }
        let rows = isize::try_from(self.layout.table_rows.max(1)).unwrap_or(1);
        match action {
            Action::Quit => self.quit = true,
            Action::Help => {
                let lines = super::ui::help_lines(self);
                self.open(Popup::Help(TextPopup::new("Help — esc closes", lines)));
            }
            Action::Messages => self.open_messages(),
            Action::Command => self.input = Some(InputLine::command("")),
            Action::Filter => {
                self.input = Some(InputLine::filter(self.table().filter.clone()));
            }
            Action::Back => {
                let table = self.pages.table_mut(self.view);
                if !table.filter.is_empty() {
                    table.filter.clear();
                } else if !table.marked.is_empty() {
                    table.marked.clear();
                    self.touch();
                }
                self.notes.dismiss();
            }
            Action::Refresh => {
                self.refresh();
                self.notify(Level::Info, "refreshing…");
            }
            Action::Details => self.open_details(),
            Action::Up => self.move_selection(-1),
            Action::Down => self.move_selection(1),
            Action::PageUp => self.move_selection(-rows),
            Action::PageDown => self.move_selection(rows),
            Action::Top => self.move_selection(isize::MIN / 2),
            Action::Bottom => self.move_selection(isize::MAX / 2),
            Action::SortNext | Action::SortReverse => self.sort(action),
            Action::NextView | Action::PreviousView => {
                let n = ViewKind::ALL.len();
                let i = self.view.tab().index();
                let next = if action == Action::NextView {
                    (i + 1) % n
                } else {
                    (i + n - 1) % n
                };
                self.switch_view(ViewKind::ALL[next]);
            }
            Action::Instances => self.switch_view(ViewKind::Instances),
            Action::Clusters => self.switch_view(ViewKind::Clusters),
            Action::Buckets => self.switch_view(ViewKind::Buckets),
            Action::Costs => self.switch_view(ViewKind::Costs),
            Action::Tunnels => self.switch_view(ViewKind::Tunnels),
            Action::Transfers => self.switch_view(ViewKind::Transfers),
            Action::Leftovers => self.switch_view(ViewKind::Leftovers),
            Action::Guard => self.open_guard_dialog(),
            Action::Shell => self.open_shell(),
            Action::RunOnNodes => self.ask_run_on_nodes(),
            Action::Remove => self.notify(
                Level::Info,
                "open the Leftovers view (7): delete removes what is selected there",
            ),
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
            Action::Tunnel => self.open_tunnel_dialog(),
            Action::Breakdown => {
                self.pages.costs.next_breakdown();
                if self.view != ViewKind::Costs {
                    self.switch_view(ViewKind::Costs);
                }
            }
            Action::Download | Action::Upload | Action::DeleteObjects => self.notify(
                Level::Info,
                "open a bucket first (Buckets view, enter): these keys work inside it",
            ),
            Action::OpenUrl | Action::CopyUrl | Action::RestartTunnel => {}
            Action::Mark
            | Action::Start
            | Action::Stop
            | Action::Pause
            | Action::Resume
            | Action::Reboot
            | Action::Terminate => {}
        }
    }

    pub(super) fn move_selection(&mut self, delta: isize) {
        self.pages.table_mut(self.view).move_by(delta);
    }

    fn sort(&mut self, action: Action) {
        let (columns, width) = (self.columns(), self.layout.table_width);
        let table = self.pages.table_mut(self.view);
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
        use ratatui::text::{Line, Span};
        let t = &self.theme;
        let mut lines: Vec<Line<'static>> = self
            .notes
            .iter()
            .map(|n| {
                let style = t.level(n.level);
                let repeats = n.repeats_suffix();
                Line::from(vec![
                    Span::styled(format!("{} ", n.when.format("%H:%M:%S")), t.dim()),
                    Span::styled(format!("{}{repeats}", n.text), style),
                ])
            })
            .collect();
        if lines.is_empty() {
            lines.push(Line::from(Span::styled("Nothing was said yet.", t.dim())));
        }
        let title = format!("Messages ({}) — esc closes", self.notes.len());
        self.open(Popup::Messages(TextPopup::new(title, lines).at_end()));
    }

    /// Enter on a row: its details (every field and tag).
    pub(super) fn open_details(&mut self) {
        use ratatui::text::{Line, Span};
        let Some((title, fields)) = self.selected_details() else {
            return;
        };
        let label_width = fields
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
                        Span::styled(format!("{label:<label_width$} "), t.label()),
                        Span::raw(value),
                    ])
                }
            })
            .collect();
        self.open(Popup::Details(TextPopup::new(title, lines)));
    }

    fn complete(&self, line: &str) -> (Option<String>, Vec<String>) {
        let regions = self
            .session
            .as_ref()
            .map(|s| s.regions.clone())
            .unwrap_or_default();
        let themes = Theme::names(&self.dirs.user_themes());
        command::complete(line, &regions, &themes, &self.profiles())
    }

    fn on_input_key(&mut self, key: KeyEvent) {
        let Some(line) = self.input.as_mut() else {
            return;
        };
        let kind = line.kind;
        match key.code {
            KeyCode::Esc => {
                if kind == InputKind::Filter {
                    self.pages.table_mut(self.view).filter.clear();
                }
                self.input = None;
            }
            KeyCode::Enter => {
                let text = std::mem::take(&mut line.text);
                self.input = None;
                if kind == InputKind::Command {
                    self.run_command(&text);
                }
            }
            KeyCode::Backspace => {
                line.text.pop();
                line.completions.clear();
            }
            KeyCode::Tab if kind == InputKind::Command => {
                let text = line.text.clone();
                let (completed, candidates) = self.complete(&text);
                if let Some(line) = self.input.as_mut() {
                    if let Some(c) = completed {
                        line.text = c;
                    }
                    line.completions = candidates;
                }
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                line.text.push(c);
                line.completions.clear();
            }
            _ => {}
        }
        if kind == InputKind::Filter
            && let Some(text) = self.input.as_ref().map(|l| l.text.clone())
        {
            self.pages.table_mut(self.view).filter = text;
        }
    }

    pub fn run_command(&mut self, line: &str) {
        match command::parse(line) {
            Err(e) => self.notify(Level::Warning, e),
            Ok(Command::Quit) => self.quit = true,
            Ok(Command::Help) => self.on_action(Action::Help),
            Ok(Command::Messages) => self.open_messages(),
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

    /// `:mb NAME`: checked before any call, refused in read-only mode.
    fn make_bucket(&mut self, name: String) {
        if let Err(e) = crate::ops::transfer::plan::check_bucket_name(&name) {
            return self.notify(Level::Warning, e);
        }
        let Some(actions) = self.actions() else {
            return;
        };
        self.spawn(async move {
            super::app::Msg::Outcome(
                crate::ops::objects::make_bucket(&actions, &name)
                    .await
                    .map(|(_, region)| format!("made s3://{name} in {region}")),
            )
        });
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
