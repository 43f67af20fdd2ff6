//! The Tunnels view: the TUI's own tunnels (an owned registry, closed on
//! quit), what its keys do (open, copy, reconnect, close), and asking about
//! the host key of a host seen for the first time.

use std::collections::HashSet;
use std::time::Instant;

use ratatui::text::Line;

use crate::config::{Action, Binding};
use crate::ops::tunnel::spec::Forward;
use crate::ops::tunnel::{Tunnel, TunnelSettings, TunnelState, TunnelTarget};
use crate::render::{self, Column, RowKey};
use crate::tui::ctx::{Ctx, Event, Mode};
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::pane::Pane;
use crate::tui::popups::ask::Ask;
use crate::tui::popups::choose::Choose;
use crate::tui::view::{About, Details, Shutdown, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("tunnels");
pub const HOST_KEY: Mode = Mode("host-key");

const BINDING: Binding = Binding {
    name: "tunnels",
    keys: &["5"],
    help: "Tunnels view",
};

const HINTS: &[(Action, &str)] = &[
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
    /// Its instance was listed not running, and the tunnel was told to
    /// look again (once per stop).
    seen_down: bool,
}

/// The answer to the host-key question.
struct Accept(String);

#[derive(Default)]
pub struct Tunnels {
    pane: Pane,
    pub list: Vec<OwnedTunnel>,
    next: u32,
    /// Tunnels already asked about their host key.
    prompted: HashSet<String>,
    version: u64,
}

impl Tunnels {
    fn get(&self, id: &str) -> Option<&OwnedTunnel> {
        self.list.iter().find(|t| t.id == id)
    }

    fn remove(&mut self, id: &str) -> Option<OwnedTunnel> {
        self.version += 1;
        let pos = self.list.iter().position(|t| t.id == id)?;
        Some(self.list.remove(pos))
    }

    fn open(
        &mut self,
        target: TunnelTarget,
        forwards: Vec<Forward>,
        accept: bool,
        cx: &mut Ctx<'_>,
    ) {
        let (Some(session), Some(actions)) = (cx.world.session.clone(), cx.actions()) else {
            return cx.warn("not connected yet");
        };
        let w = cx.world;
        let settings =
            TunnelSettings::from_config(&w.config, &w.dirs, accept).with_instance_connect(actions);
        self.next += 1;
        self.version += 1;
        let id = format!("{}#{}", target.instance_id, self.next);
        let label = target.label.clone();
        let tunnel = Tunnel::open((*session).clone(), target, forwards.clone(), settings);
        self.list.push(OwnedTunnel {
            id,
            tunnel,
            forwards,
            seen_down: false,
        });
        let key = cx.keys().bound(&BINDING).first().map(ToString::to_string);
        cx.info(format!(
            "tunnel to {label}: connecting (Tunnels view: {})",
            key.unwrap_or_else(|| ":tunnels".into())
        ));
    }

    /// A tunnel whose instance the listing shows stopped (by `skiff down`
    /// in another terminal, a schedule, the console) looks again at once,
    /// so it says the target stopped instead of "up" over a connection
    /// that no longer leads anywhere.
    fn follow_instances(&mut self, world: &World) {
        for t in &mut self.list {
            let s = t.tunnel.current();
            let running = world
                .inventory
                .instance(&s.target.instance_id)
                .map(|i| i.state == crate::model::InstanceState::Running);
            match running {
                Some(false)
                    if !t.seen_down
                        && matches!(s.state, TunnelState::Up | TunnelState::Connecting) =>
                {
                    t.seen_down = true;
                    t.tunnel.restart();
                }
                Some(true) => t.seen_down = false,
                _ => {}
            }
        }
    }

    /// Asks about an unknown host key (unless a popup is open: the
    /// question waits its turn).
    fn watch(&mut self, cx: &mut Ctx<'_>) {
        if cx.asking {
            return;
        }
        let ask = self
            .list
            .iter()
            .find_map(|t| match t.tunnel.current().state {
                TunnelState::Failed { why }
                    if why.contains("seen for the first time")
                        && !self.prompted.contains(&t.id) =>
                {
                    Some((t.id.clone(), why))
                }
                _ => None,
            });
        if let Some((tunnel, why)) = ask {
            self.prompted.insert(tunnel.clone());
            cx.open(host_key_question(tunnel, why));
        }
    }

    /// The user accepted the host key: connect again, recording it.
    fn accept(&mut self, id: &str, cx: &mut Ctx<'_>) {
        if let Some(old) = self.remove(id) {
            let target = old.tunnel.current().target;
            tokio::spawn(old.tunnel.close());
            self.open(target, old.forwards, true, cx);
        }
    }
}

/// Accept the host key of a tunnel's host seen for the first time?
pub fn host_key_question(tunnel: String, why: String) -> Ask {
    Ask::new(
        HOST_KEY,
        "New host key",
        vec![Line::from(why)],
        move |cx, ()| {
            cx.tell(ID, Accept(tunnel));
        },
    )
    .answers("accept and connect", "leave it")
    .declined("host key not accepted: the tunnel stays failed")
}

const ABOUT: About = About {
    id: ID,
    title: "Tunnels",
    commands: &["tunnels", "tunnel"],
    command_args: &[],
    binding: Some(BINDING),
    under: None,
    hints: HINTS,
    help: &[
        "SSH tunnels opened with t on an instance or cluster, supervised (reconnected with backoff, the address read again from AWS) and closed when skiff quits.",
    ],
};

impl View for Tunnels {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::tunnels::COLUMNS
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, _world: &World, width: u16) {
        let now = Instant::now();
        let list = &self.list;
        self.pane
            .table
            .refresh(self.version, render::tunnels::COLUMNS, width, || {
                list.iter()
                    .map(|t| render::tunnels::row(&t.id, &t.tunnel.current(), now))
                    .collect()
            });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        if !matches!(
            action,
            Action::OpenUrl | Action::CopyUrl | Action::RestartTunnel | Action::Stop
        ) {
            return false;
        }
        let Some(RowKey::Tunnel(id)) = self.pane.table.selected().map(|r| r.key.clone()) else {
            cx.warn("no tunnel selected");
            return true;
        };
        let Some(t) = self.get(&id) else {
            return true;
        };
        let status = t.tunnel.current();
        let urls: Vec<(String, String)> = status
            .forwards
            .iter()
            .map(|f| (format!("{} {}", f.name, f.url), f.url.clone()))
            .collect();
        match action {
            Action::OpenUrl | Action::CopyUrl => {
                let open = action == Action::OpenUrl;
                let act = move |cx: &mut Ctx<'_>, url: String| {
                    if open {
                        match crate::ops::tunnel::target::open_browser(&url) {
                            Ok(()) => cx.info(format!("opened {url}")),
                            Err(e) => cx.warn(e),
                        }
                    } else {
                        crate::tui::clipboard::copy(&url);
                        cx.info(format!("copied {url}"));
                    }
                };
                match urls.as_slice() {
                    [] => cx.warn("this tunnel forwards no port"),
                    [(_, url)] => act(cx, url.clone()),
                    _ => {
                        let title = if open {
                            "Open which URL?"
                        } else {
                            "Copy which URL?"
                        };
                        cx.open(Choose::new(title, urls, act));
                    }
                }
            }
            Action::RestartTunnel => {
                t.tunnel.restart();
                cx.info("reconnecting");
            }
            _ => {
                if let Some(owned) = self.remove(&id) {
                    tokio::spawn(owned.tunnel.close());
                    cx.info("tunnel closed");
                }
            }
        }
        true
    }

    fn on_msg(&mut self, msg: Box<dyn std::any::Any + Send>, cx: &mut Ctx<'_>) {
        if let Ok(accept) = msg.downcast::<Accept>() {
            self.accept(&accept.0, cx);
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Ctx<'_>) {
        if let Event::OpenTunnel {
            target,
            forwards,
            accept,
        } = event
        {
            self.open(target.clone(), forwards.clone(), *accept, cx);
        }
    }

    fn on_tick(&mut self, cx: &mut Ctx<'_>) {
        // States and ages move.
        if !self.list.is_empty() {
            self.version += 1;
            self.follow_instances(cx.world);
            self.watch(cx);
        }
    }

    fn count(&self, _world: &World) -> Option<usize> {
        Some(self.list.len())
    }

    /// What the marks in PORTS mean, when one shows.
    fn status(&self, _world: &World) -> Option<String> {
        let all: Vec<_> = self.list.iter().map(|t| t.tunnel.current()).collect();
        let moved = all
            .iter()
            .flat_map(|s| &s.forwards)
            .any(|f| f.local != f.asked_local);
        let silent = all
            .iter()
            .any(|s| s.state == TunnelState::Up && s.forwards.iter().any(|f| !f.http_ok));
        let mut said = Vec::new();
        if moved {
            said.push("* another local port than asked (it was taken)");
        }
        if silent {
            said.push("? no HTTP answer yet");
        }
        (!said.is_empty()).then(|| said.join(" · "))
    }

    fn empty_text(&self, _world: &World) -> String {
        " No tunnels: select an instance or cluster and press t.".to_string()
    }

    fn details(&self, _world: &World) -> Option<Details> {
        let Some(RowKey::Tunnel(id)) = self.pane.table.selected().map(|r| &r.key) else {
            return None;
        };
        let t = self.get(id)?.tunnel.current();
        Some((
            format!("Tunnel to {}", t.target.label),
            render::tunnels::details(&t),
        ))
    }

    fn live(&self) -> Vec<String> {
        self.list
            .iter()
            .map(|t| format!("the tunnel to {}", t.tunnel.current().target.label))
            .collect()
    }

    fn shutdown(&mut self) -> Vec<Shutdown> {
        self.list
            .drain(..)
            .map(|t| Box::pin(t.tunnel.close()) as Shutdown)
            .collect()
    }
}
