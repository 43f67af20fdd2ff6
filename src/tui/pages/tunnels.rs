//! The Tunnels page: the TUI's own tunnels (an owned registry, closed on
//! quit), what its keys do (open, copy, reconnect, close), and asking about
//! the host key of a host seen for the first time.

use std::collections::HashSet;
use std::io::Write;
use std::time::Instant;

use base64::Engine;

use super::ViewKind;
use crate::config::Action;
use crate::ops::tunnel::spec::Forward;
use crate::ops::tunnel::{Tunnel, TunnelSettings, TunnelState, TunnelTarget};
use crate::render::{self, RowKey};
use crate::tui::app::{App, Level};
use crate::tui::popups::Popup;
use crate::tui::table::Table;

pub const HINTS: &[(Action, &str)] = &[
    (Action::OpenUrl, "open"),
    (Action::CopyUrl, "copy URL"),
    (Action::RestartTunnel, "reconnect"),
    (Action::Stop, "close"),
    (Action::Details, "details"),
    (Action::Help, "help"),
];

/// A tunnel owned by the TUI.
pub struct OwnedTunnel {
    /// Row id in the Tunnels view.
    pub id: String,
    pub tunnel: Tunnel,
    pub forwards: Vec<Forward>,
}

#[derive(Default)]
pub struct TunnelsPage {
    pub table: Table,
    pub list: Vec<OwnedTunnel>,
    next: u32,
    /// Tunnels already asked about their host key.
    prompted: HashSet<String>,
    version: u64,
}

impl TunnelsPage {
    pub fn refresh(&mut self, width: u16) {
        let now = Instant::now();
        let list = &self.list;
        self.table
            .refresh(self.version, render::tunnels::COLUMNS, width, || {
                list.iter()
                    .map(|t| render::tunnels::row(&t.id, &t.tunnel.current(), now))
                    .collect()
            });
    }

    /// Called on every tick: states and ages move.
    pub fn tick(&mut self) {
        if !self.list.is_empty() {
            self.version += 1;
        }
    }

    pub fn get(&self, id: &str) -> Option<&OwnedTunnel> {
        self.list.iter().find(|t| t.id == id)
    }

    fn remove(&mut self, id: &str) -> Option<OwnedTunnel> {
        self.version += 1;
        let pos = self.list.iter().position(|t| t.id == id)?;
        Some(self.list.remove(pos))
    }
}

impl App {
    pub fn start_tunnel(&mut self, target: TunnelTarget, forwards: Vec<Forward>, accept: bool) {
        let Some(session) = self.session.clone() else {
            return self.notify(Level::Warning, "not connected yet");
        };
        let actions = crate::cloud::actions::Actions::new((*session).clone(), self.gate());
        let settings = TunnelSettings::from_config(&self.config, &self.dirs, accept)
            .with_instance_connect(actions);
        let page = &mut self.pages.tunnels;
        page.next += 1;
        page.version += 1;
        let id = format!("{}#{}", target.instance_id, page.next);
        let label = target.label.clone();
        let tunnel = Tunnel::open((*session).clone(), target, forwards.clone(), settings);
        page.list.push(OwnedTunnel {
            id,
            tunnel,
            forwards,
        });
        self.notify(
            Level::Info,
            format!("tunnel to {label}: connecting (Tunnels view: 5)"),
        );
    }

    /// Called on every tick: asks about unknown host keys (unless a popup
    /// is open: the question waits its turn).
    pub fn watch_tunnels(&mut self) {
        if !self.popups.is_empty() {
            return;
        }
        let page = &self.pages.tunnels;
        let ask = page
            .list
            .iter()
            .find_map(|t| match t.tunnel.current().state {
                TunnelState::Failed { why }
                    if why.contains("seen for the first time")
                        && !page.prompted.contains(&t.id) =>
                {
                    Some((t.id.clone(), why))
                }
                _ => None,
            });
        if let Some((tunnel, why)) = ask {
            self.pages.tunnels.prompted.insert(tunnel.clone());
            self.open(Popup::HostKey { tunnel, why });
        }
    }

    /// The user accepted the host key: connect again, recording it.
    pub fn accept_host_key(&mut self, id: &str) {
        if let Some(old) = self.pages.tunnels.remove(id) {
            let target = old.tunnel.current().target;
            tokio::spawn(old.tunnel.close());
            self.start_tunnel(target, old.forwards, true);
        }
    }

    /// Keys of the Tunnels page (true if handled).
    pub(crate) fn on_tunnels_action(&mut self, action: Action) -> bool {
        if !matches!(
            action,
            Action::OpenUrl | Action::CopyUrl | Action::RestartTunnel | Action::Stop
        ) {
            return false;
        }
        let Some(RowKey::Tunnel(id)) = self.pages.tunnels.table.selected().map(|r| r.key.clone())
        else {
            self.notify(Level::Warning, "no tunnel selected");
            return true;
        };
        let Some(t) = self.pages.tunnels.get(&id) else {
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
                if let Some(owned) = self.pages.tunnels.remove(&id) {
                    tokio::spawn(owned.tunnel.close());
                    self.notify(Level::Info, "tunnel closed");
                }
            }
        }
        true
    }

    /// Closes every tunnel (on quit): no ssh process outlives skiff.
    pub async fn close_tunnels(&mut self) {
        for t in self.pages.tunnels.list.drain(..) {
            t.tunnel.close().await;
        }
    }

    /// `t` on a row: the tunnel dialog for its instance or cluster master,
    /// with who it will log in as, where and with which key read from AWS
    /// meanwhile.
    pub fn open_tunnel_dialog(&mut self) {
        let Some(row) = self.selected_row().cloned() else {
            return;
        };
        let Some(target) = row.key.target().cloned() else {
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
        let (tt, defaults) = match crate::ops::tunnel::target::tunnel_target(
            &self.inventory,
            &target,
            &label,
            &self.config,
        ) {
            Ok(found) => found,
            Err(e) => return self.notify(Level::Warning, e),
        };
        let presets = self
            .config
            .tunnel
            .presets
            .iter()
            .map(|(name, port)| (name.clone(), *port, defaults.contains(name)))
            .collect();
        if let Some(session) = self.session.clone() {
            // The preview pushes nothing; it says where a one-time key would be.
            let actions = crate::cloud::actions::Actions::new((*session).clone(), self.gate());
            let settings = TunnelSettings::from_config(&self.config, &self.dirs, false)
                .with_instance_connect(actions);
            let t = tt.clone();
            self.spawn(async move {
                crate::tui::app::Msg::TunnelPreview {
                    instance_id: t.instance_id.clone(),
                    result: crate::ops::tunnel::preview(&session, &t, &settings).await,
                }
            });
        }
        self.open(Popup::Tunnel(crate::tui::popups::tunnel::TunnelDialog {
            target: tt,
            presets,
            cursor: 0,
            extra: String::new(),
            accept_new_host_key: false,
            all_presets: self.config.tunnel.presets.clone(),
            preview: None,
        }));
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
