//! Rows of instances and clusters as the world shows them: the pure
//! renderers' rows, with the GUARD cell from the guards listed and the
//! STATE cell of nodes in transition rewritten.

use crate::lifecycle::Target;
use crate::render::{Cell, Column, Row, Tone};
use crate::tui::world::World;

/// The GUARD cell of these instances: every guard of any of them, once.
pub fn guard_cell<'a>(world: &World, ids: impl IntoIterator<Item = &'a String>) -> String {
    crate::render::format::guard_cell(&crate::ops::guard::rules_of(&world.guard_rules, ids))
}

/// Rewrites the STATE cell of rows with a node in transition.
pub fn overlay_transitions(columns: &[Column], rows: &mut [Row], world: &World) {
    if world.transitions.is_empty() {
        return;
    }
    let Some(col) = columns.iter().position(|c| c.title == "STATE") else {
        return;
    };
    for row in rows {
        let t = match row.key.target() {
            Some(Target::Instance { id }) => world.transitions.get(id),
            Some(Target::Spark { region, name }) => {
                world.inventory.spark_cluster(region, name).and_then(|c| {
                    c.master
                        .iter()
                        .chain(&c.workers)
                        .filter_map(|id| world.transitions.get(id))
                        .min_by_key(|t| t.since)
                })
            }
            _ => None,
        };
        if let Some(t) = t {
            let secs = t.since.elapsed().as_secs();
            let text = if t.failed {
                format!("✗ {}", t.label)
            } else {
                format!("{}… {secs}s", t.label)
            };
            row.cells[col] = Cell::text(text);
            row.tone = if t.failed {
                Tone::Terminated
            } else {
                Tone::Transitioning
            };
        }
    }
}
