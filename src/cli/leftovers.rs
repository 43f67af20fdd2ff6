//! `skiff leftovers [rm ID --confirm ID]`: what costs money while nothing
//! runs, and removing one.

use std::process::ExitCode;

use anyhow::bail;

use super::args::{LeftoversArgs, LeftoversCommand};
use crate::cost::show;
use crate::ops::connect::Context;
use crate::ops::leftovers;

pub async fn run(ctx: &Context, a: &LeftoversArgs) -> anyhow::Result<ExitCode> {
    let found = leftovers::find(ctx).await;
    if let Some(LeftoversCommand::Rm { id, confirm }) = &a.command {
        if confirm != id {
            bail!("--confirm {confirm} is not {id}: nothing was removed");
        }
        let done = leftovers::remove(ctx, &found, id)
            .await
            .map_err(anyhow::Error::msg)?;
        if a.json {
            out!("{}", serde_json::json!({ "removed": id, "outcome": done }));
        } else {
            out!("  ✓ {done}");
        }
        return Ok(ExitCode::SUCCESS);
    }
    for e in &found.errors {
        eprintln!("skiff: not looked at: {e}");
    }
    if a.json {
        out!("{}", serde_json::to_string_pretty(&found.json())?);
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
                i.detail
            );
        }
        out!(
            "In all: {}/month{}. Remove one: skiff leftovers rm ID --confirm ID",
            show(&found.monthly),
            if found.monthly.is_complete() {
                ""
            } else {
                " at least (some prices are unknown)"
            }
        );
    }
    Ok(if found.errors.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}
