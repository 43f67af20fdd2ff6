//! Shells and commands from the TUI: `!` opens a shell on the selected
//! instance or cluster master (the connection is made ready in the
//! background; then the terminal is handed to ssh and taken back when it
//! exits, the TUI as it was), `e` runs a command on every node of the
//! selected cluster and shows what each node said.

use std::sync::Arc;

use super::app::{App, Level, Msg, ViewKind};
use super::popups::Popup;
use super::popups::text::TextPopup;
use crate::ops::shell::{self, NodeRun, NotReady, Part, Ready};
use crate::ops::tunnel::{TunnelSettings, TunnelTarget};

/// A shell the run loop hands the terminal to.
#[derive(Debug)]
pub struct ShellHandOver {
    pub label: String,
    /// The ssh arguments.
    pub args: Vec<String>,
    /// How it connects, in words.
    pub method: String,
    /// Keeps a one-time key (if any) until ssh exits.
    pub ready: Ready,
}

impl App {
    fn shell_settings(&self, accept: bool) -> Option<TunnelSettings> {
        let session = self.session.as_ref()?;
        let actions = crate::cloud::actions::Actions::new((**session).clone(), self.gate());
        Some(
            TunnelSettings::from_config(&self.config, &self.dirs, accept)
                .with_instance_connect(actions),
        )
    }

    /// The nodes of the selected row (`part` of them).
    fn selected_nodes(&mut self, part: Part) -> Option<Vec<TunnelTarget>> {
        if !matches!(self.view, ViewKind::Instances | ViewKind::Clusters) {
            self.notify(
                Level::Info,
                "shells and commands go to instances and clusters: open the Instances or Clusters view",
            );
            return None;
        }
        let target = self.selected_row().and_then(|r| r.key.target().cloned())?;
        match shell::nodes(&self.inventory, &target, part) {
            Ok(n) => Some(n),
            Err(e) => {
                self.notify(Level::Warning, e);
                None
            }
        }
    }

    /// `!`: a shell on the selected instance, or a cluster's master.
    pub fn open_shell(&mut self) {
        let Some(node) = self
            .selected_nodes(Part::All)
            .and_then(|n| n.into_iter().next())
        else {
            return;
        };
        self.shell_on(node, false);
    }

    /// Makes the connection to `node` ready in the background.
    pub(super) fn shell_on(&mut self, node: TunnelTarget, accept: bool) {
        let (Some(session), Some(settings)) = (self.session.clone(), self.shell_settings(accept))
        else {
            return self.notify(Level::Warning, "not connected yet");
        };
        self.notify(Level::Info, format!("connecting to {}…", node.label));
        self.spawn(async move {
            let result = shell::ready(&session, &node, &settings).await;
            Msg::ShellReady {
                node,
                result: Box::new(result),
            }
        });
    }

    pub(super) fn on_shell_ready(&mut self, node: TunnelTarget, result: Result<Ready, NotReady>) {
        match result {
            Ok(ready) => {
                let settings = TunnelSettings::from_config(&self.config, &self.dirs, false);
                let args = crate::ops::tunnel::spec::shell_args(
                    &ready.endpoint,
                    &settings.known_hosts,
                    &[],
                );
                self.pending_shell = Some(ShellHandOver {
                    label: node.label.clone(),
                    method: ready.method(),
                    args,
                    ready,
                });
            }
            Err(NotReady::UnknownHostKey(why)) => self.open(Popup::ShellHostKey { node, why }),
            Err(NotReady::Other(why)) => self.notify(Level::Error, why),
        }
    }

    /// A shell waits for the terminal.
    pub fn shell_waiting(&self) -> bool {
        self.pending_shell.is_some()
    }

    /// The shell the run loop should hand the terminal to, if one is ready.
    pub fn take_shell(&mut self) -> Option<ShellHandOver> {
        self.pending_shell.take()
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
        self.touch();
    }

    /// `e`: asks for a command to run on every node of the selected row.
    pub fn ask_run_on_nodes(&mut self) {
        let Some(nodes) = self.selected_nodes(Part::All) else {
            return;
        };
        self.open(Popup::RunCommand {
            nodes,
            command: String::new(),
        });
    }

    pub(super) fn run_on_nodes(&mut self, nodes: Vec<TunnelTarget>, command: String) {
        let (Some(session), Some(settings)) = (self.session.clone(), self.shell_settings(false))
        else {
            return self.notify(Level::Warning, "not connected yet");
        };
        let parallel = self.config.ssh.parallel;
        self.notify(
            Level::Info,
            format!("running `{command}` on {} node(s)…", nodes.len()),
        );
        self.spawn(async move {
            let words = vec![command.clone()];
            let quiet = |_: &str, _: &str| {};
            let results =
                shell::run_on_nodes(&session, &nodes, &settings, &words, parallel, &quiet).await;
            Msg::RunDone {
                command,
                results: Arc::new(results),
            }
        });
    }

    pub(super) fn on_run_done(&mut self, command: &str, results: &[NodeRun]) {
        let good = results.iter().filter(|r| r.ok).count();
        let mut lines = vec![
            format!("{good} of {} nodes succeeded: {command}", results.len()),
            String::new(),
        ];
        for r in results {
            let secs = r.millis as f64 / 1000.0;
            lines.push(match (&r.error, r.exit_code) {
                (Some(e), _) => format!("✗ {} — not run: {e}", r.node),
                (None, Some(0)) => format!("✓ {} — exit 0 in {secs:.1} s", r.node),
                (None, Some(c)) => format!("✗ {} — exit {c} in {secs:.1} s", r.node),
                (None, None) => format!("✗ {} — killed after {secs:.1} s", r.node),
            });
            lines.extend(r.tail.iter().map(|l| format!("    {l}")));
        }
        let level = if good == results.len() {
            Level::Info
        } else {
            Level::Warning
        };
        self.notify(
            level,
            format!("{command}: {good} of {} nodes succeeded", results.len()),
        );
        let lines = lines.into_iter().map(ratatui::text::Line::from).collect();
        self.open(Popup::Details(TextPopup::new(
            "On every node — esc closes",
            lines,
        )));
    }
}
