//! The details of an instance, a Spark cluster or an EMR cluster row: every
//! field and tag, and the guards that act on it.

use crate::lifecycle::Target;
use crate::render::{self, RowKey};
use crate::tui::view::Details;
use crate::tui::world::World;

/// A "Guard" line (one per guard) for these instances' details.
fn guard_lines(world: &World, ids: &[&String]) -> Vec<render::details::Line> {
    let mut out: Vec<render::details::Line> = world
        .guards_of(ids)
        .into_iter()
        .map(|g| {
            let next = g
                .next_run
                .map(|t| format!(", next {}", render::format::timestamp(t)))
                .unwrap_or_default();
            (
                "Guard".to_string(),
                format!("{} [{}]{next} — {}", g.rule, g.state, g.name),
            )
        })
        .collect();
    out.dedup();
    if out.is_empty() {
        let key = world
            .config
            .keys
            .keys_for(crate::config::Action::Guard)
            .first()
            .map_or_else(|| "the guard key".to_string(), ToString::to_string);
        out.push((
            "Guard".to_string(),
            format!("none: press {key} to stop it when idle or on a schedule"),
        ));
    }
    out
}

/// Detail lines of a resource row, with the popup's title.
pub fn details(world: &World, key: &RowKey) -> Option<Details> {
    let inv = &world.inventory;
    match key.target()? {
        Target::Instance { id } => {
            let i = inv.instance(id)?;
            let mut lines = render::details::instance(i, world.clock.now());
            lines.push((
                "Reached by".to_string(),
                crate::ops::tunnel::route::described(i, &world.config.ssh.reach),
            ));
            lines.extend(guard_lines(world, &[&i.id]));
            Some((format!("{} ({})", i.display_name(), i.id), lines))
        }
        Target::Spark { region, name } => {
            let c = inv.spark_cluster(region, name)?;
            let mut lines = render::details::spark(c, &inv.instances);
            let ids: Vec<&String> = c.master.iter().chain(&c.workers).collect();
            lines.extend(guard_lines(world, &ids));
            Some((format!("Spark cluster {}", c.name), lines))
        }
        Target::Emr { id, .. } => {
            let c = inv.emr_cluster(id)?;
            Some((
                format!("EMR cluster {} ({})", c.name, c.id),
                render::details::emr(c),
            ))
        }
    }
}
