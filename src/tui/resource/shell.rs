//! Shells and commands: `!` opens a shell on the selected instance or
//! cluster master (the connection is made ready in the background, then the
//! terminal is handed to ssh and taken back when it exits), `e` runs a
//! command on every node of the selected row and shows what each said.

use ratatui::text::Line;

use super::answer::ResourceMsg;
use crate::ops::shell::{self, NodeRun, NotReady, Part, Ready};
use crate::ops::tunnel::{TunnelSettings, TunnelTarget};
use crate::tui::ctx::{Ctx, Mode, ShellHandOver};
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::popups::ask::Ask;
use crate::tui::popups::prompt::Prompt;
use crate::tui::popups::text::{DETAILS, TextPopup};
use crate::tui::table::Table;

pub const SHELL_HOST_KEY: Mode = Mode("shell-host-key");
pub const RUN_COMMAND: Mode = Mode("run-command");
pub const NEW_HOST_KEYS: Mode = Mode("new-host-keys");

fn settings(cx: &Ctx<'_>, accept: bool) -> Option<TunnelSettings> {
    let actions = cx.actions()?;
    let w = cx.world;
    Some(TunnelSettings::from_config(&w.config, &w.dirs, accept).with_instance_connect(actions))
}

/// The nodes of the selected row.
fn nodes(table: &Table, cx: &mut Ctx<'_>) -> Option<Vec<TunnelTarget>> {
    let target = super::target::selected_target(table, cx)?;
    match shell::nodes(&cx.world.inventory, &target, Part::All) {
        Ok(n) => Some(n),
        Err(e) => {
            cx.warn(e);
            None
        }
    }
}

/// `!`: a shell on the selected instance, or a cluster's master.
pub fn open(view: ViewId, table: &Table, cx: &mut Ctx<'_>) {
    if let Some(node) = nodes(table, cx).and_then(|n| n.into_iter().next()) {
        connect(view, node, false, cx);
    }
}

/// Makes the connection to `node` ready in the background.
fn connect(view: ViewId, node: TunnelTarget, accept: bool, cx: &mut Ctx<'_>) {
    let (Some(session), Some(settings)) = (cx.world.session.clone(), settings(cx, accept)) else {
        return cx.warn("not connected yet");
    };
    cx.info(format!("connecting to {}…", node.label));
    cx.spawn(view, async move {
        let result = shell::ready_shell(&session, &node, &settings).await;
        ResourceMsg::ShellReady {
            node,
            result: Box::new(result),
        }
    });
}

pub fn on_ready(
    node: TunnelTarget,
    result: Result<Ready, NotReady>,
    view: ViewId,
    cx: &mut Ctx<'_>,
) {
    match result {
        Ok(ready) => {
            let w = cx.world;
            let known = TunnelSettings::from_config(&w.config, &w.dirs, false).known_hosts;
            let (program, args) = crate::ops::tunnel::spec::interactive(&ready.endpoint, &known);
            cx.hand_over(ShellHandOver {
                label: node.label.clone(),
                method: ready.method(),
                program,
                args,
                ready,
            });
        }
        Err(NotReady::UnknownHostKey(why)) => cx.open(host_key_question(view, node, why)),
        Err(NotReady::Other(why)) => cx.error(why),
    }
}

/// A shell's host is seen for the first time: `y` records its key and
/// opens the shell.
pub fn host_key_question(view: ViewId, node: TunnelTarget, why: String) -> Ask {
    Ask::new(
        SHELL_HOST_KEY,
        "New host key",
        vec![Line::from(why)],
        move |cx, ()| connect(view, node, true, cx),
    )
    .answers("accept and connect", "leave it")
    .declined("host key not accepted: no shell")
}

/// `e`: asks for a command to run on every node of the selected row.
pub fn ask_command(view: ViewId, table: &Table, cx: &mut Ctx<'_>) {
    let Some(nodes) = nodes(table, cx) else {
        return;
    };
    let names: Vec<&str> = nodes.iter().map(|n| n.label.as_str()).collect();
    let body = vec![Line::from(format!(
        "Run on {} node{} at once: {}",
        nodes.len(),
        if nodes.len() == 1 { "" } else { "s" },
        names.join(", ")
    ))];
    cx.open(
        Prompt::new(
            RUN_COMMAND,
            "Command on every node",
            body,
            move |cx, command| {
                run(view, nodes, command, false, cx);
            },
        )
        .label("$ ")
        .when_empty("type a command first (esc closes)"),
    );
}

/// Runs `command` on `nodes`; `accept`: record host keys seen for the
/// first time (the user said yes to them).
fn run(view: ViewId, nodes: Vec<TunnelTarget>, command: String, accept: bool, cx: &mut Ctx<'_>) {
    let (Some(session), Some(settings)) = (cx.world.session.clone(), settings(cx, accept)) else {
        return cx.warn("not connected yet");
    };
    let parallel = cx.world.config.ssh.parallel;
    cx.info(format!("running `{command}` on {} node(s)…", nodes.len()));
    cx.spawn(view, async move {
        let words = vec![command.clone()];
        let quiet = |_: &str, _: &str| {};
        let results =
            shell::run_on_nodes(&session, &nodes, &settings, &words, parallel, &quiet).await;
        ResourceMsg::RunDone {
            command,
            nodes,
            results,
        }
    });
}

pub fn on_run_done(
    view: ViewId,
    command: &str,
    nodes: Vec<TunnelTarget>,
    results: &[NodeRun],
    cx: &mut Ctx<'_>,
) {
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
    let summary = format!("{command}: {good} of {} nodes succeeded", results.len());
    if good == results.len() {
        cx.info(summary);
    } else {
        cx.warn(summary);
    }
    cx.open(TextPopup::new(
        DETAILS,
        "On every node — esc closes",
        lines.into_iter().map(Line::from).collect(),
    ));
    // Nodes not run on because their host keys are new: offer to accept
    // them (as the CLI's --accept-new-host-key does) and run there. Asked
    // on top of the results, which stay beneath it.
    let new: Vec<(TunnelTarget, String)> = results
        .iter()
        .filter(|r| r.new_host_key)
        .filter_map(|r| {
            let node = nodes.iter().find(|n| n.instance_id == r.instance_id)?;
            Some((node.clone(), r.error.clone().unwrap_or_default()))
        })
        .collect();
    if !new.is_empty() {
        cx.open(new_keys_question(view, command.to_string(), new));
    }
}

/// Host keys seen for the first time on some nodes of `e`: `y` records
/// them and runs the command there.
fn new_keys_question(view: ViewId, command: String, new: Vec<(TunnelTarget, String)>) -> Ask {
    let mut body = vec![
        Line::from(format!(
            "{} node{} did not run `{command}`: {} host key{} seen for the first time.",
            new.len(),
            if new.len() == 1 { "" } else { "s" },
            if new.len() == 1 { "its" } else { "their" },
            if new.len() == 1 { " is" } else { "s are" },
        )),
        Line::from(""),
    ];
    body.extend(new.iter().map(|(_, why)| Line::from(format!("• {why}"))));
    let nodes: Vec<TunnelTarget> = new.into_iter().map(|(n, _)| n).collect();
    Ask::new(NEW_HOST_KEYS, "New host keys", body, move |cx, ()| {
        run(view, nodes, command, true, cx)
    })
    .answers("accept them and run there", "leave them")
    .declined("host keys not accepted: nothing more was run")
}
