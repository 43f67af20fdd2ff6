//! `skiff guard idle|schedule|ls|off`: what stops idle or forgotten
//! machines while skiff is closed, set up in AWS itself.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::args::{GuardCommand, GuardIdleArgs, GuardOffArgs, GuardScheduleArgs};
use crate::cost::{Prices, show};
use crate::guard::{At, IdleRule, ROLE_NAME, schedule};
use crate::lifecycle::Target;
use crate::ops::connect::Context;
use crate::ops::guard::{self as ops, Guarded, RoleChoice, ScheduleRefusal, ScheduleSet, Which};
use crate::ops::target;

pub async fn run(ctx: &Context, cmd: &GuardCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        GuardCommand::Idle(a) => idle(&ctx.dry_run(a.dry_run), a).await,
        GuardCommand::Schedule(a) => schedule(&ctx.dry_run(a.dry_run), a).await,
        GuardCommand::Ls { json } => ls(ctx, *json).await,
        GuardCommand::Off(a) => off(&ctx.dry_run(a.dry_run), a).await,
    }
}

/// The target, resolved, and what guards would act on.
async fn resolve(ctx: &Context, query: &str) -> anyhow::Result<(Target, Result<Guarded, String>)> {
    let (inv, _) = ctx.inventory().await;
    let t = target::find(ctx, &inv, query)
        .await
        .map_err(anyhow::Error::msg)?;
    let prices = Prices::load(&ctx.dirs.cache);
    let g = ops::guarded(&inv, &t, &prices);
    Ok((t, g))
}

fn nodes(g: &Guarded) -> String {
    let n = g.instance_ids().len();
    if g.workers.is_empty() {
        format!("instance {} ({})", g.name, g.region)
    } else {
        format!("Spark cluster {} ({}), {n} nodes", g.name, g.region)
    }
}

async fn idle(ctx: &Context, a: &GuardIdleArgs) -> anyhow::Result<ExitCode> {
    let after = humantime::parse_duration(&a.after)
        .map_err(|e| anyhow::anyhow!("--after {:?}: {e} (write e.g. 45m or 2h)", a.after))?;
    let (t, g) = resolve(ctx, &a.target).await?;
    if let Target::Emr { region, id } = &t {
        if !a.terminate {
            bail!("{}", g.err().unwrap_or_default());
        }
        // EMR's own idle timeout: it terminates, as --terminate says.
        let done = ctx
            .actions()
            .set_idle_timeout(region, id, Some(after))
            .await
            .map_err(|e| anyhow::anyhow!("{}", e.message))?;
        let dry = !matches!(done, crate::cloud::actions::Done::Sent);
        if a.json {
            out!(
                "{}",
                json!({"target": id, "emr_idle_timeout_secs": after.as_secs(), "dry_run": dry})
            );
        } else {
            out!(
                "{}EMR cluster {id} terminates itself after {} idle (EMR's auto-termination; a terminated cluster can be relaunched with skiff relaunch)",
                if dry { "(dry run) " } else { "" },
                humantime::format_duration(after)
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    if a.terminate {
        bail!(
            "--terminate is for EMR clusters; an instance or a Spark cluster is stopped when idle (leave --terminate out)"
        );
    }
    let g = g.map_err(anyhow::Error::msg)?;
    let rule = IdleRule::new(after, a.cpu_below)
        .map_err(anyhow::Error::msg)?
        .with_network(a.net_below.map(|b| b.as_u64()));
    let set = ops::set_idle(ctx, &g, &rule)
        .await
        .map_err(anyhow::Error::msg)?;
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"idle": set, "protects_usd_per_hour": g.hourly.value().map(|m| m.to_f64())})
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "{}Idle guard on {}: a node whose CPU stays under {}% for {} is stopped",
        if set.dry_run {
            "(dry run: nothing made) "
        } else {
            ""
        },
        nodes(&g),
        rule.cpu_below,
        humantime::format_duration(rule.after)
    );
    if rule.after != after {
        out!("  (rounded up to whole 5-minute periods: EC2 reports CPU every 5 minutes)");
    }
    for (name, id) in &set.alarms {
        out!("  ✓ {name} watches {id}");
    }
    out!(
        "  CloudWatch alarms can stop an instance, not hibernate it. While stopped, a node costs nothing but its disks; running, {} costs {}/h.",
        g.name,
        show(&g.hourly)
    );
    Ok(ExitCode::SUCCESS)
}

/// Asks on the terminal; never when standard input is not one.
pub(super) fn ask(question: &str) -> anyhow::Result<bool> {
    if !std::io::stdin().is_terminal() {
        return Ok(false);
    }
    super::write_out(format_args!("{question} [y/N] "));
    let mut line = String::new();
    std::io::stdin()
        .read_line(&mut line)
        .context("reading the answer")?;
    Ok(matches!(line.trim(), "y" | "Y" | "yes"))
}

async fn schedule(ctx: &Context, a: &GuardScheduleArgs) -> anyhow::Result<ExitCode> {
    let parse = |flag: &str, v: &Option<String>| -> anyhow::Result<Option<At>> {
        v.as_deref()
            .map(|t| At::parse(t).map_err(|e| anyhow::anyhow!("--{flag}: {e}")))
            .transpose()
    };
    let (stop, start) = (parse("stop", &a.stop)?, parse("start", &a.start)?);
    let tz = match &a.tz {
        Some(z) => schedule::zone(z).map_err(anyhow::Error::msg)?,
        None => schedule::local_zone(),
    };
    let (_, g) = resolve(ctx, &a.target).await?;
    let g = g.map_err(anyhow::Error::msg)?;
    let set = set_with_consent(ctx, a, &g, (start, stop), tz).await?;
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"schedule": set, "protects_usd_per_hour": g.hourly.value().map(|m| m.to_f64())})
            )?
        );
    } else {
        print_schedules(&g, &set, tz);
    }
    Ok(ExitCode::SUCCESS)
}

/// Sets the schedules (`start`, `stop`) of `g`; where skiff's role is
/// needed and missing, its policies are shown and it is made only with the
/// user's consent (--yes or a yes on the terminal).
async fn set_with_consent(
    ctx: &Context,
    a: &GuardScheduleArgs,
    g: &Guarded,
    (start, stop): (Option<At>, Option<At>),
    tz: chrono_tz::Tz,
) -> anyhow::Result<ScheduleSet> {
    let mut role = match &a.role_arn {
        Some(arn) => RoleChoice::Given(arn.clone()),
        None => RoleChoice::Own { create: false },
    };
    loop {
        match ops::set_schedule(ctx, g, start, stop, tz, a.pause, &role).await {
            Ok(set) => return Ok(set),
            Err(ScheduleRefusal::Failed(why)) => bail!("{why}"),
            Err(ScheduleRefusal::NeedsRole(docs)) => {
                // Shown before anything is created, whatever the answer.
                err!(
                    "EventBridge Scheduler needs an IAM role to start and stop instances. skiff would create {ROLE_NAME} with\n\ntrust policy (who may use it):\n{}\n\npermission policy (what it may do):\n{}\n",
                    docs.trust,
                    docs.permission
                );
                if ctx.gate.dry_run() {
                    err!("(dry run: the role is not created)");
                    role = RoleChoice::Given(format!("(the role {ROLE_NAME})"));
                    continue;
                }
                if a.yes || ask(&format!("Create the role {ROLE_NAME}?"))? {
                    role = RoleChoice::Own { create: true };
                    continue;
                }
                bail!(
                    "nothing was scheduled: the role {ROLE_NAME} is needed (run again with --yes to create it with the policies above, or give --role-arn ARN)"
                );
            }
        }
    }
}

/// The schedules set, each with its next run in `tz`, and what they save.
fn print_schedules(g: &Guarded, set: &ScheduleSet, tz: chrono_tz::Tz) {
    out!(
        "{}Schedules for {} ({}):",
        if set.dry_run {
            "(dry run: nothing made) "
        } else {
            ""
        },
        nodes(g),
        set.timezone
    );
    for s in &set.schedules {
        let next = s
            .next_run
            .map(|t| {
                format!(
                    "next {}",
                    t.with_timezone(&tz).format("%a %Y-%m-%d %H:%M %Z")
                )
            })
            .unwrap_or_default();
        out!("  ✓ {:<28} {:<36} {next}", s.name, s.rule);
    }
    out!(
        "  through the role {}{}; while stopped {} saves {}/h",
        set.role_arn,
        if set.role_created {
            " (created now)"
        } else {
            ""
        },
        g.name,
        show(&g.hourly)
    );
}

async fn ls(ctx: &Context, json: bool) -> anyhow::Result<ExitCode> {
    let guards = ops::list(ctx).await?;
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({ "guards": guards }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    if guards.is_empty() {
        out!(
            "No guards. Set one: skiff guard idle TARGET --after 45m, skiff guard schedule TARGET --stop \"mon-fri 20:00\""
        );
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "{:<16} {:<9} {:<34} {:<6} {:<18} {:<24} REGION",
        "TARGET",
        "KIND",
        "RULE",
        "NODES",
        "STATE",
        "NEXT RUN"
    );
    // One line per rule: a cluster's idle alarms (one per node) together.
    let mut lines: Vec<(&ops::GuardInfo, usize, Vec<&str>)> = Vec::new();
    for g in &guards {
        match lines.iter_mut().find(|(l, _, _)| {
            l.kind == g.kind
                && l.target == g.target
                && l.region == g.region
                && l.rule == g.rule
                && g.kind == "idle"
        }) {
            Some((_, nodes, states)) => {
                *nodes += g.instance_ids.len();
                if !states.contains(&g.state.as_str()) {
                    states.push(&g.state);
                }
            }
            None => lines.push((g, g.instance_ids.len(), vec![g.state.as_str()])),
        }
    }
    for (g, nodes, states) in lines {
        let next = match (&g.next_run, &g.timezone) {
            (Some(t), Some(z)) => schedule::zone(z).map_or_else(
                |_| t.format("%Y-%m-%d %H:%M UTC").to_string(),
                |tz| t.with_timezone(&tz).format("%a %d %b %H:%M %Z").to_string(),
            ),
            _ => "-".into(),
        };
        out!(
            "{:<16} {:<9} {:<34} {:<6} {:<18} {:<24} {}",
            g.target,
            g.kind,
            g.rule,
            nodes,
            states.join(","),
            next,
            g.region
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn off(ctx: &Context, a: &GuardOffArgs) -> anyhow::Result<ExitCode> {
    let which = Which {
        idle: a.idle || !a.schedule,
        schedule: a.schedule || !a.idle,
    };
    let (_, g) = resolve(ctx, &a.target).await?;
    let g = g.map_err(anyhow::Error::msg)?;
    let removed = ops::off(ctx, &g, which).await.map_err(anyhow::Error::msg)?;
    if a.json {
        out!("{}", serde_json::to_string_pretty(&removed)?);
        return Ok(ExitCode::SUCCESS);
    }
    if removed.alarms.is_empty() && removed.schedules.is_empty() {
        out!("{} has no guards of skiff's to remove", g.name);
        return Ok(ExitCode::SUCCESS);
    }
    let prefix = if removed.dry_run {
        "would remove"
    } else {
        "removed"
    };
    for n in removed.alarms.iter().chain(&removed.schedules) {
        out!("  ✓ {prefix} {n}");
    }
    if removed.role_deleted {
        out!("  ✓ removed the role {ROLE_NAME}: no schedule uses it any more");
    }
    Ok(ExitCode::SUCCESS)
}
