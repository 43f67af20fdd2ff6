//! skiff's SSH security group: port 22 open to the launching machine's
//! public address only (/32), made or widened to a new address only when
//! the launch goes ahead, reused by the next launch in that VPC.

use std::time::Duration;

use serde::Serialize;

use super::Plan;
use crate::cloud;
use crate::ops::connect::Context;

/// skiff's SSH security group in a VPC: port 22 open to one address.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SshGroup {
    pub name: String,
    pub vpc: String,
    /// Its id when it exists.
    pub id: Option<String>,
    /// This machine's public address, /32.
    pub cidr: String,
    /// The rule for `cidr` is still to be added.
    pub needs_rule: bool,
    /// Addresses the group already lets in besides this one (earlier
    /// launches from elsewhere), shown so stale ones can be revoked.
    pub others: Vec<String>,
}

/// The name of skiff's SSH group (one per VPC).
pub const SSH_GROUP: &str = "skiff-ssh";

/// This machine's public address, as an AWS security group sees it: asked
/// of `SKIFF_MY_IP_URL` when set, else of checkip.amazonaws.com; an
/// emulator on this machine is reached from 127.0.0.1 (nothing is asked).
pub async fn my_address(ctx: &Context) -> Result<std::net::IpAddr, String> {
    let url = match std::env::var("SKIFF_MY_IP_URL") {
        Ok(u) if !u.is_empty() => u,
        _ if ctx.session.is_local_emulator() => return Ok([127, 0, 0, 1].into()),
        _ => "https://checkip.amazonaws.com/".to_string(),
    };
    let text = cloud::get_text(&url, Duration::from_secs(5)).await?;
    text.trim()
        .parse()
        .map_err(|_| format!("{url} answered {:?}, not an address", text.trim()))
}

/// The SSH group a launch with no security group gets (None, with a note,
/// when there is no VPC or no address to let in).
pub(super) async fn ssh_group(
    ctx: &Context,
    region: &str,
    subnet: Option<&str>,
    notes: &mut Vec<String>,
) -> Result<Option<SshGroup>, String> {
    let Some(vpc) = cloud::launch::vpc_for(&ctx.session, region, subnet)
        .await
        .map_err(|e| e.to_string())?
    else {
        notes.push(
            "no default VPC here: give --subnet or --security-group for SSH to reach it".into(),
        );
        return Ok(None);
    };
    let address = match my_address(ctx).await {
        Ok(a) => a,
        Err(e) => {
            notes.push(format!(
                "no SSH rule: this machine's public address is unknown ({e}); give --security-group"
            ));
            return Ok(None);
        }
    };
    let cidr = match address {
        std::net::IpAddr::V4(a) => format!("{a}/32"),
        std::net::IpAddr::V6(a) => format!("{a}/128"),
    };
    let existing = cloud::launch::ssh_group(&ctx.session, region, &vpc, SSH_GROUP)
        .await
        .map_err(|e| e.to_string())?;
    Ok(Some(SshGroup {
        name: SSH_GROUP.into(),
        vpc,
        needs_rule: existing
            .as_ref()
            .is_none_or(|(_, cidrs)| !cidrs.contains(&cidr)),
        others: existing
            .as_ref()
            .map(|(_, cidrs)| cidrs.iter().filter(|c| **c != cidr).cloned().collect())
            .unwrap_or_default(),
        id: existing.map(|(id, _)| id),
        cidr,
    }))
}

/// skiff's SSH group made, or its rule added, as the plan said (nothing
/// when dry-running: the launch is rehearsed without it). Its id.
pub(super) async fn open_ssh(
    ctx: &Context,
    plan: &Plan,
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<Option<String>, String> {
    let Some(g) = &plan.ssh_group else {
        return Ok(None);
    };
    if ctx.gate.dry_run() {
        return Ok(g.id.clone());
    }
    let actions = ctx.actions();
    // As it is now: another launch (a cluster's master) may have made it.
    let now = cloud::launch::ssh_group(&ctx.session, &plan.region, &g.vpc, &g.name)
        .await
        .map_err(|e| e.to_string())?;
    let (id, has_rule) = match now {
        Some((id, cidrs)) => {
            let has = cidrs.contains(&g.cidr);
            (id, has)
        }
        None => {
            let id = actions
                .create_security_group(
                    &plan.region,
                    &g.vpc,
                    &g.name,
                    "skiff: SSH from the machines that launched these, one address each",
                )
                .await
                .map_err(|e| e.to_string())?
                .ok_or("the security group was not created")?;
            say(format!("created the security group {} ({id})", g.name));
            (id, false)
        }
    };
    if !has_rule {
        actions
            .allow_ssh(&plan.region, &id, &g.cidr)
            .await
            .map_err(|e| e.to_string())?;
        say(format!("{id} lets {} reach port 22", g.cidr));
    }
    Ok(Some(id))
}
