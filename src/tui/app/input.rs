//! The app's input line and `:` commands, the tabs, and the mouse: what the
//! footer's line does as it is typed (a filter applied at once, a command
//! completed with tab and run with enter), what the tabs line shows, and
//! what clicks and the wheel do.

use std::time::Instant;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEvent, MouseEventKind};

use ratatui::text::Line;

use super::{App, DOUBLE_CLICK};
use crate::config::Action;
use crate::tui::command::{self, Command, Words};
use crate::tui::ctx::{Effect, Event};
use crate::tui::input::InputKind;
use crate::tui::msg::ViewId;
use crate::tui::notify::Level;
use crate::tui::theme::Theme;

impl App {
    /// The tabs as the tabs line shows them.
    pub fn tab_list(&self) -> Vec<crate::tui::ui::Tab> {
        let current = self.tab();
        self.tabs()
            .into_iter()
            .enumerate()
            .map(|(n, v)| {
                let is_current = v.id() == current;
                let table = &v.pane().table;
                // Made rows count what a filter leaves; a view not shown yet
                // counts what it will show.
                let count = if v.id() == self.view() || table.total() > 0 {
                    (v.count(&self.world).is_some()).then(|| {
                        if !table.filter.is_empty() && table.len() != table.total() {
                            format!("{}/{}", table.len(), table.total())
                        } else {
                            table.total().to_string()
                        }
                    })
                } else {
                    v.count(&self.world).map(|n| n.to_string())
                };
                let key = v
                    .binding()
                    .and_then(|b| {
                        self.world
                            .config
                            .keys
                            .bound(&b)
                            .first()
                            .map(ToString::to_string)
                    })
                    .unwrap_or_else(|| (n + 1).to_string());
                crate::tui::ui::Tab {
                    id: v.id(),
                    key,
                    title: v.title(),
                    count,
                    current: is_current,
                }
            })
            .collect()
    }

    /// The tabs line and where each tab is.
    pub fn tabs_line(&self, width: u16) -> (Line<'static>, Vec<(u16, u16, ViewId)>) {
        // A path (the bucket browsed) reads as a title, other words as a
        // warning that the rows are not all there is.
        let style = if self.current().under().is_some() {
            self.theme.title()
        } else {
            self.theme.warning()
        };
        let status = self.status();
        crate::tui::ui::tabs_line(&self.theme, &self.tab_list(), (&status, style), width)
    }

    /// What the view on screen says beside the tabs: its own word (a path,
    /// the breakdown), the filter, the sort when its column is hidden.
    pub fn status(&self) -> String {
        let view = self.current();
        let table = &view.pane().table;
        let mut parts: Vec<String> = view.status(&self.world).into_iter().collect();
        if !table.filter.is_empty() && self.input.is_none() {
            parts.push(format!("filter:{}", table.filter));
        }
        if let Some((col, desc)) = table.sort {
            let columns = view.columns();
            let visible = crate::render::visible_columns(columns, self.layout.body.width);
            if !visible.contains(&col)
                && let Some(c) = columns.get(col)
            {
                parts.push(format!(
                    "sorted by {}{}",
                    c.title,
                    if desc { '↓' } else { '↑' }
                ));
            }
        }
        parts.join(" · ")
    }

    // ---- the input line and commands -------------------------------------------

    /// What the views answer to after `:`.
    pub fn words(&self) -> Words {
        Words {
            views: self.views.iter().map(|v| (v.id(), v.commands())).collect(),
            with_args: self
                .views
                .iter()
                .flat_map(|v| v.command_args().iter().map(|(w, a)| (v.id(), *w, *a)))
                .collect(),
        }
    }

    pub(super) fn complete(&self, line: &str) -> (Option<String>, Vec<String>) {
        let regions = self
            .world
            .session
            .as_ref()
            .map(|s| s.regions.clone())
            .unwrap_or_default();
        let themes = Theme::names(&self.world.dirs.user_themes());
        command::complete(line, &self.words(), &regions, &themes, &self.profiles())
    }

    pub(super) fn input_key(&mut self, key: KeyEvent) {
        let Some(line) = self.input.as_mut() else {
            return;
        };
        let kind = line.kind;
        match key.code {
            KeyCode::Esc => {
                if kind == InputKind::Filter {
                    self.table_mut().filter.clear();
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
            self.table_mut().filter = text;
        }
    }

    pub fn run_command(&mut self, line: &str) {
        match command::parse(line, &self.words()) {
            Err(e) => self.notify(Level::Warning, e),
            Ok(Command::Quit) => self.ask_quit(),
            Ok(Command::ForceQuit) => self.quit = true,
            Ok(Command::Help) => self.on_action(Action::Help),
            Ok(Command::Messages) => self.open_messages(),
            Ok(Command::Refresh) => self.refresh(),
            Ok(Command::View(v)) => self.switch_to(v),
            Ok(Command::ForView { view, word, args }) => {
                if let Some(i) = self.index_of(view) {
                    self.with_view(i, |v, cx| v.on_command(&word, &args, cx));
                }
            }
            Ok(Command::Theme(name)) => match Theme::load(&name, &self.world.dirs.user_themes()) {
                Ok(theme) => {
                    self.theme = theme;
                    self.notify(Level::Info, format!("theme {name}"));
                }
                Err(e) => self.notify(Level::Error, e.to_string()),
            },
            Ok(Command::Regions(names)) => {
                let said = format!("regions: {}", names.join(", "));
                self.switch_session(said, move |o| {
                    o.regions = names;
                    o.all_regions = false;
                });
            }
            Ok(Command::AllRegions) => {
                self.switch_session("all enabled regions".into(), |o| o.all_regions = true);
            }
            Ok(Command::Profile(name)) => {
                if !self.profiles().contains(&name) {
                    return self.notify(
                        Level::Warning,
                        format!(
                            "no profile `{name}` in ~/.aws/config or the keyring (tab lists them)"
                        ),
                    );
                }
                self.world.account = None;
                let said = format!("profile {name}");
                self.switch_session(said, move |o| o.profile = Some(name));
            }
        }
    }

    /// Drops everything of the old session and connects the new one.
    fn switch_session(
        &mut self,
        what: String,
        apply: impl FnOnce(&mut crate::cloud::SessionOptions),
    ) {
        self.notify(Level::Info, format!("switching to {what}"));
        self.world.switch_session(apply, None);
        self.fx.push(Effect::Emit(Event::SessionChanged));
    }

    /// Profiles to pick from: ~/.aws/config and credentials, and the keyring.
    pub fn profiles(&self) -> Vec<String> {
        let mut names = crate::creds::config_profiles();
        let index = self.world.dirs.state.join("keyring-profiles.json");
        for p in crate::creds::read_index(&index).into_keys() {
            if !names.contains(&p) {
                names.push(p);
            }
        }
        names
    }

    // ---- the mouse -------------------------------------------------------------

    /// A click on a tab opens it, on a row selects it; a double click opens
    /// the row; the wheel scrolls the table or the popup on top.
    pub fn on_mouse(&mut self, m: MouseEvent) {
        self.handle_mouse(m);
        self.apply();
        self.sync();
    }

    fn handle_mouse(&mut self, m: MouseEvent) {
        let (x, y) = (m.column, m.row);
        match m.kind {
            MouseEventKind::ScrollUp | MouseEventKind::ScrollDown => {
                let delta = if m.kind == MouseEventKind::ScrollUp {
                    -3
                } else {
                    3
                };
                match self.popups.last_mut() {
                    Some(top) => top.scroll(delta),
                    None => self.table_mut().scroll_by(delta),
                }
            }
            MouseEventKind::Down(MouseButton::Left) => {
                let double = self
                    .last_click
                    .is_some_and(|(at, cx, cy)| at.elapsed() < DOUBLE_CLICK && cx == x && cy == y);
                self.last_click = Some((Instant::now(), x, y));
                if !self.popups.is_empty() {
                    return;
                }
                if y == self.layout.tabs.y {
                    let hit = self
                        .layout
                        .tab_hits
                        .iter()
                        .find(|(x0, x1, _)| (*x0..*x1).contains(&x));
                    if let Some(&(_, _, id)) = hit {
                        self.switch_to(id);
                    }
                    return;
                }
                let Some(index) = self.current().pane().row_at(x, y) else {
                    return;
                };
                self.table_mut().select_index(index);
                if double {
                    self.last_click = None;
                    self.on_action(Action::Details);
                }
            }
            _ => {}
        }
    }
}
