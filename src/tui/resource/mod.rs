//! What every view of instances and clusters shares: the lifecycle keys on
//! the selected or marked rows (each asks first), tunnels, guards, shells
//! and commands on the selected row, their answers, the rows' transitions
//! and details. A view of resources hands these keys and messages here.

pub mod answer;
mod copy;
pub mod details;
pub mod guard;
pub mod launch;
mod lifecycle;
pub mod rows;
pub mod shell;
mod target;
mod tunnel;
pub mod view;

use std::any::Any;

use super::ctx::Ctx;
use super::msg::ViewId;
use super::table::Table;
use crate::config::Action;

pub use details::details;
pub use guard::{ROLE_QUESTION, role_question};
pub use rows::{guard_cell, overlay_transitions};
pub use shell::{RUN_COMMAND, SHELL_HOST_KEY, host_key_question};

/// Where the keys act: the view, its table, and which of its rows' cells
/// names the row (a cluster's name is its second column).
pub struct On<'a> {
    pub view: ViewId,
    pub table: &'a mut Table,
    pub label_cell: usize,
}

/// A key of a resource view; true if it was one of these.
pub fn on_action(action: Action, on: On<'_>, cx: &mut Ctx<'_>) -> bool {
    match action {
        Action::Mark => {
            on.table.toggle_mark();
            on.table.move_by(1);
        }
        Action::Tunnel => tunnel::open_dialog(on.table, on.label_cell, cx),
        Action::Guard => guard::open_dialog(on.view, on.table, cx),
        Action::Shell => shell::open(on.view, on.table, cx),
        Action::RunOnNodes => shell::ask_command(on.view, on.table, cx),
        Action::CopyUrl => copy::choose(on.table, cx),
        Action::Launch => launch::open_dialog(on.view, cx),
        Action::Grow => launch::grow(on.view, on.table, cx),
        Action::Shrink => launch::shrink(on.view, on.table, cx),
        _ => return lifecycle::on_action(action, on.view, on.table, cx),
    }
    true
}

/// An answer for a resource view (handed back if it is not one of these).
pub fn on_msg(
    msg: Box<dyn Any + Send>,
    view: ViewId,
    cx: &mut Ctx<'_>,
) -> Option<Box<dyn Any + Send>> {
    match msg.downcast::<answer::ResourceMsg>() {
        Ok(m) => {
            match *m {
                answer::ResourceMsg::Relaunch(r) => lifecycle::on_relaunch_plan(r, cx),
                answer::ResourceMsg::Relaunched { name, result } => {
                    lifecycle::on_relaunched(&name, result, cx);
                }
                answer::ResourceMsg::Guard(a) => guard::on_answer(a, view, cx),
                answer::ResourceMsg::ShellReady { node, result } => {
                    shell::on_ready(node, *result, view, cx);
                }
                answer::ResourceMsg::LaunchPlan(p) => launch::on_plan(p, false, cx),
                answer::ResourceMsg::GrowPlan(p) => launch::on_plan(p, true, cx),
                answer::ResourceMsg::Launched(l) => launch::on_launched(l, cx),
                answer::ResourceMsg::ClusterPlan(p) => launch::on_cluster_plan(p, cx),
                answer::ResourceMsg::Created(c) => launch::on_created(c, cx),
                answer::ResourceMsg::Shrunk { name, result } => {
                    launch::on_shrunk(&name, result, cx);
                }
                answer::ResourceMsg::RunDone {
                    command,
                    nodes,
                    results,
                } => {
                    shell::on_run_done(view, &command, nodes, &results, cx);
                }
            }
            None
        }
        Err(other) => Some(other),
    }
}

/// A lifecycle verb started on the marked rows: their marks are spent.
pub fn on_event(event: &super::ctx::Event, pane: &mut super::pane::Pane) {
    if matches!(event, super::ctx::Event::LifecycleStarted) {
        pane.table.marked.clear();
    }
}
