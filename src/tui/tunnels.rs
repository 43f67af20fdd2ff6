//! Tunnels in the TUI: the dialog that picks presets and ports, the owned
//! registry of running tunnels shown in the Tunnels view, and the prompt to
//! accept a host seen for the first time. Quitting closes them all.

use std::collections::HashSet;
use std::io::Write;

use base64::Engine;
use crossterm::event::{KeyCode, KeyEvent};

use super::app::{App, Level, Mode, ViewKind};
use crate::ops::tunnel::spec::{self, Forward};
use crate::ops::tunnel::{Tunnel, TunnelSettings, TunnelState, TunnelTarget};

/// A tunnel owned by the TUI.
pub struct OwnedTunnel {
    /// Row id in the Tunnels view.
    pub id: String,
    pub tunnel: Tunnel,
    pub forwards: Vec<Forward>,
}

/// The dialog that picks what to forward.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelDialog {
    pub target: TunnelTarget,
    /// Preset name, remote port, chosen.
    pub presets: Vec<(String, u16, bool)>,
    pub cursor: usize,
    /// Free-form `REMOTE[:LOCAL]` ports, space separated.
    pub extra: String,
    pub accept_new_host_key: bool,
}

/// The registry of the TUI's tunnels.
#[derive(Default)]
pub struct Tunnels {
    pub list: Vec<OwnedTunnel>,
    next: u32,
    /// Tunnels already asked about their host key.
    prompted: HashSet<String>,
}

impl Tunnels {
    pub fn get(&self, id: &str) -> Option<&OwnedTunnel> {
        self.list.iter().find(|t| t.id == id)
    }
}

impl App {
    /// `t` on a row: opens the dialog for its instance or cluster master.
    pub fn open_tunnel_dialog(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let target = row.key.target().cloned();
        let Some(target) = target else {
            self.notify(
                Level::Warning,
                "tunnels go to instances and cluster masters: select one in Instances or Clusters",
            );
            return;
        };
        let label = row
            .cells
            .get(if self.view == ViewKind::Clusters {
                1
            } else {
                0
            })
            .map_or_else(|| target.to_string(), |c| c.text.clone());
        match crate::ops::tunnel::target::tunnel_target(
            &self.inventory,
            &target,
            &label,
            &self.config,
        ) {
            Ok((tt, defaults)) => {
                let presets = self
                    .config
                    .tunnel
                    .presets
                    .iter()
                    .map(|(name, port)| (name.clone(), *port, defaults.contains(name)))
                    .collect();
                self.tunnel_dialog = Some(TunnelDialog {
                    target: tt,
                    presets,
                    cursor: 0,
                    extra: String::new(),
                    accept_new_host_key: false,
                });
                self.mode = Mode::TunnelDialog;
            }
            Err(e) => self.notify(Level::Warning, e),
        }
    }

    pub fn on_tunnel_dialog_key(&mut self, key: KeyEvent) {
        let Some(d) = &mut self.tunnel_dialog else {
            self.mode = Mode::Normal;
            return;
        };
        match key.code {
            KeyCode::Esc => {
                self.tunnel_dialog = None;
                self.mode = Mode::Normal;
            }
            KeyCode::Up => d.cursor = d.cursor.saturating_sub(1),
            KeyCode::Down => d.cursor = (d.cursor + 1).min(d.presets.len().saturating_sub(1)),
            KeyCode::Char(' ') if d.extra.is_empty() || d.extra.ends_with(' ') => {
                if let Some(p) = d.presets.get_mut(d.cursor) {
                    p.2 = !p.2;
                }
            }
            KeyCode::Char('a') => d.accept_new_host_key = !d.accept_new_host_key,
            KeyCode::Char(c) if c.is_ascii_digit() || c == ':' || c == ' ' => d.extra.push(c),
            KeyCode::Backspace => {
                d.extra.pop();
            }
            KeyCode::Enter => {
                let d = d.clone();
                self.tunnel_dialog = None;
                self.mode = Mode::Normal;
                let mut forwards = Vec::new();
                for (name, _, _) in d.presets.iter().filter(|p| p.2) {
                    match spec::preset_forward(&self.config.tunnel.presets, name) {
                        Ok(f) => forwards.push(f),
                        Err(e) => return self.notify(Level::Warning, e),
                    }
                }
                for p in d.extra.split_whitespace() {
                    match spec::parse_port(p) {
                        Ok(f) => forwards.push(f),
                        Err(e) => return self.notify(Level::Warning, e),
                    }
                }
                if forwards.is_empty() {
                    return self.notify(
                        Level::Warning,
                        "nothing to forward: choose a preset or type a port",
                    );
                }
                self.start_tunnel(d.target, forwards, d.accept_new_host_key);
            }
            _ => {}
        }
    }

    pub fn start_tunnel(&mut self, target: TunnelTarget, forwards: Vec<Forward>, accept: bool) {
        let Some(session) = self.session.clone() else {
            return self.notify(Level::Warning, "not connected yet");
        };
        let settings = TunnelSettings::from_config(&self.config, &self.dirs, accept);
        self.tunnels.next += 1;
        let id = format!("{}#{}", target.instance_id, self.tunnels.next);
        let label = target.label.clone();
        let tunnel = Tunnel::open((*session).clone(), target, forwards.clone(), settings);
        self.tunnels.list.push(OwnedTunnel {
            id,
            tunnel,
            forwards,
        });
        self.notify(
            Level::Info,
            format!("tunnel to {label}: connecting (Tunnels view: 5)"),
        );
    }

    /// Called on every tick: asks about unknown host keys.
    pub fn watch_tunnels(&mut self) {
        if matches!(
            self.mode,
            Mode::HostKey | Mode::TunnelDialog | Mode::Confirm | Mode::TypeConfirm
        ) {
            return;
        }
        let ask = self.tunnels.list.iter().find_map(|t| {
            let s = t.tunnel.current();
            match s.state {
                TunnelState::Failed { why }
                    if why.contains("seen for the first time")
                        && !self.tunnels.prompted.contains(&t.id) =>
                {
                    Some((t.id.clone(), why))
                }
                _ => None,
            }
        });
        if let Some((id, why)) = ask {
            self.tunnels.prompted.insert(id.clone());
            self.hostkey_prompt = Some((id, why));
            self.mode = Mode::HostKey;
        }
    }

    /// The user's answer to the host key question.
    pub fn on_hostkey_key(&mut self, key: KeyEvent) {
        let answer = match key.code {
            KeyCode::Char('y') | KeyCode::Char('Y') => true,
            KeyCode::Char('n') | KeyCode::Char('N') | KeyCode::Esc => false,
            _ => return,
        };
        self.mode = Mode::Normal;
        let Some((id, _)) = self.hostkey_prompt.take() else {
            return;
        };
        if !answer {
            return self.notify(
                Level::Info,
                "host key not accepted: the tunnel stays failed",
            );
        }
        if let Some(pos) = self.tunnels.list.iter().position(|t| t.id == id) {
            let old = self.tunnels.list.remove(pos);
            let target = old.tunnel.current().target;
            tokio::spawn(old.tunnel.close());
            self.start_tunnel(target, old.forwards, true);
        }
    }

    fn selected_tunnel(&self) -> Option<&OwnedTunnel> {
        if self.view != ViewKind::Tunnels {
            return None;
        }
        let row = self.selected_row()?;
        match &row.key {
            crate::render::RowKey::Tunnel(id) => self.tunnels.get(id),
            _ => None,
        }
    }

    /// Tunnels-view keys: open, copy, restart, close.
    pub fn on_tunnel_action(&mut self, action: crate::config::Action) -> bool {
        use crate::config::Action;
        match action {
            Action::Tunnel => {
                self.open_tunnel_dialog();
                true
            }
            Action::OpenUrl | Action::CopyUrl | Action::RestartTunnel | Action::Stop
                if self.view == ViewKind::Tunnels =>
            {
                let Some(t) = self.selected_tunnel() else {
                    self.notify(Level::Warning, "no tunnel selected");
                    return true;
                };
                let url = t
                    .tunnel
                    .current()
                    .forwards
                    .first()
                    .map(|f| f.url.clone())
                    .unwrap_or_default();
                match action {
                    Action::OpenUrl => match crate::ops::tunnel::target::open_browser(&url) {
                        Ok(()) => self.notify(Level::Info, format!("opened {url}")),
                        Err(e) => self.notify(Level::Warning, e),
                    },
                    Action::CopyUrl => {
                        copy_osc52(&url);
                        self.notify(Level::Info, format!("copied {url}"));
                    }
                    Action::RestartTunnel => {
                        t.tunnel.restart();
                        self.notify(Level::Info, "reconnecting");
                    }
                    _ => {
                        let id = t.id.clone();
                        if let Some(pos) = self.tunnels.list.iter().position(|t| t.id == id) {
                            let owned = self.tunnels.list.remove(pos);
                            tokio::spawn(owned.tunnel.close());
                            self.notify(Level::Info, "tunnel closed");
                        }
                    }
                }
                true
            }
            _ => false,
        }
    }

    /// Closes every tunnel (on quit): no ssh process outlives skiff.
    pub async fn close_tunnels(&mut self) {
        for t in self.tunnels.list.drain(..) {
            t.tunnel.close().await;
        }
    }
}

/// Copies `text` to the clipboard of the terminal (OSC 52): works over SSH
/// and in a Chromebook's terminal.
pub fn copy_osc52(text: &str) {
    let encoded = base64::engine::general_purpose::STANDARD.encode(text);
    let mut out = std::io::stdout();
    let _ = write!(out, "\x1b]52;c;{encoded}\x07");
    let _ = out.flush();
}
