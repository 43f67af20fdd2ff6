//! `skiff leftovers [rm ID --confirm ID]`: what costs money while nothing
//! runs, and removing one.

use std::process::ExitCode;

use anyhow::bail;

use super::args::{LeftoversArgs, LeftoversCommand};
use crate::cost::leftovers::Kind;
use crate::cost::show;
use crate::ops::connect::Context;
use crate::ops::leftovers::{self, Found};
use serde::Serialize;

pub async fn run(ctx: &Context, a: &LeftoversArgs) -> anyhow::Result<ExitCode> {
    let found = leftovers::find(ctx).await;
    if let Some(LeftoversCommand::Rm { id, confirm }) = &a.command {
        if confirm != id {
            bail!("--confirm {confirm} is not {id}: nothing was removed");
        }
        let r = leftovers::remove(ctx, &found, id).await?;
        let sent = r.done == crate::cloud::actions::Done::Sent;
        let done = crate::render::leftovers::removed(r.kind, &r.id, &r.monthly, sent);
        if a.json {
            out!("{}", serde_json::json!({ "removed": id, "outcome": done }));
        } else {
            out!("  ✓ {done}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    for e in &found.errors {
        err!("skiff: not looked at: {e}");
    }
    if a.json {
        out!("{}", serde_json::to_string_pretty(&json(&found))?);
    } else if found.items.is_empty() {
        out!(
            "Nothing costs money while idle: no loose volumes, snapshots, addresses, unfinished uploads, stopped or idle instances."
        );
    } else {
        out!(
            "{:<17} {:<42} {:<14} {:>11}  WHY",
            "KIND",
            "ID",
            "REGION",
            "$/MONTH"
        );
        for i in &found.items {
            let cost = format!("{}{}", if i.at_most { "≤" } else { "" }, show(&i.monthly));
            out!(
                "{:<17} {:<42} {:<14} {:>11}  {}",
                i.kind.as_str(),
                i.id,
                i.region,
                cost,
                crate::render::leftovers::why(&i.why)
            );
        }
        out!(
            "In all: {}/month{}. Remove one: skiff leftovers rm ID --confirm ID",
            show(&found.monthly),
            if found.monthly.is_complete() {
                ""
            } else {
                " (a lower bound: some prices are unknown)"
            }
        );
    }
    Ok(if found.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// One leftover as JSON shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Row {
    pub kind: Kind,
    pub id: String,
    pub region: String,
    /// None when a price is unknown.
    pub monthly_usd: Option<f64>,
    pub detail: String,
}

/// The document `skiff leftovers --json` prints.
fn json(found: &Found) -> serde_json::Value {
    let rows: Vec<Row> = found
        .items
        .iter()
        .map(|i| Row {
            kind: i.kind,
            id: i.id.clone(),
            region: i.region.clone(),
            monthly_usd: i.monthly.value().map(|m| m.to_f64()),
            detail: crate::render::leftovers::why(&i.why),
        })
        .collect();
    serde_json::json!({
        "leftovers": rows,
        "monthly_usd": found.monthly.known.to_f64(),
        "complete": found.monthly.is_complete(),
    })
}
