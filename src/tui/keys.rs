//! Keys: what each key does in each mode, the `:` commands, and the
//! translation of terminal key events into the keymap's terms.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::app::{App, Level, Mode, Msg, ViewKind, ViewState};
use super::command::{self, Command};
use super::theme::Theme;
use crate::config::{Action, KeyName, KeySpec};
use crate::model::Inventory;
use crate::render::RowKey;

impl App {
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

    pub(super) fn on_action(&mut self, action: Action) {
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
    pub(super) fn on_s3_action(&mut self, action: Action) -> bool {
        match (self.view, action) {
            (ViewKind::Buckets, Action::Details) => {
                if let Some(RowKey::Bucket(name)) = self.selected_row().map(|r| r.key) {
                    self.browse(&name, "");
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
                if let Some(key) = self
                    .selected_row()
                    .and_then(|r| r.key.object_key().map(str::to_string))
                {
                    let uri = format!("s3://{}/{key}", self.browser.bucket);
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
                if let Some(RowKey::Transfer(id)) = self.selected_row().map(|r| r.key) {
                    self.cancel_transfer(id);
                }
                true
            }
            (ViewKind::Transfers, Action::RestartTunnel) => {
                if let Some(RowKey::Transfer(id)) = self.selected_row().map(|r| r.key) {
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

    pub(super) fn on_input_key(&mut self, key: KeyEvent) {
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

    pub(super) fn after_input_change(&mut self) {
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
    pub(super) fn make_bucket(&mut self, name: String) {
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
    pub(super) fn switch_session(&mut self, what: String) {
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
