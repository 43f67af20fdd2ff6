//! `skiff tunnel`, `skiff up` and `skiff down`: tunnels from the command
//! line, and the morning and evening routines built on them.

use std::io::IsTerminal;
use std::process::ExitCode;
use std::time::{Duration, Instant};

use super::args::{DownArgs, RunOptions, TunnelArgs, UpArgs};
use crate::lifecycle::{Target, Verb};
use crate::model::Inventory;
use crate::ops::connect::Context;
use crate::ops::target::find;
use crate::ops::tunnel::registry::{self, Holder};
use crate::ops::tunnel::spec::{self, Forward};
use crate::ops::tunnel::target::{node_ids, open_browser, tunnel_target};
use crate::ops::tunnel::{Tunnel, TunnelSettings, TunnelState, TunnelStatus};

/// The forwards asked for: presets and ports, or the target's defaults.
pub fn forwards(
    config: &crate::config::Config,
    args: &TunnelArgs,
    defaults: &[String],
) -> Result<Vec<Forward>, String> {
    let names: Vec<String> = if args.presets.is_empty() && args.ports.is_empty() {
        defaults.to_vec()
    } else {
        args.presets.clone()
    };
    let mut out = Vec::new();
    for n in &names {
        out.push(spec::preset_forward(&config.tunnel.presets, n)?);
    }
    for p in &args.ports {
        out.push(spec::parse_port(p)?);
    }
    if out.is_empty() {
        return Err("no ports to forward: give --preset NAME or --port REMOTE[:LOCAL]".into());
    }
    Ok(out)
}

pub fn settings(ctx: &Context, accept_new_host_key: bool) -> TunnelSettings {
    TunnelSettings::from_config(&ctx.config, &ctx.dirs, accept_new_host_key)
        .with_instance_connect(ctx.actions())
}

async fn inventory(ctx: &Context) -> Inventory {
    ctx.inventory().await.0
}

/// Follows a tunnel until Ctrl-C/SIGTERM, printing what changes. Returns
/// false if it failed before it was ever up.
async fn hold(ctx: &Context, tunnel: Tunnel, open: bool, live: Option<(String, Instant)>) -> bool {
    let mut rx = tunnel.status.clone();
    let mut printed = Printed {
        tty: std::io::stdout().is_terminal(),
        open,
        ..Printed::default()
    };
    let shutdown = super::wait_for_shutdown();
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    let registered = register(ctx, &tunnel);
    let ok = loop {
        let s = rx.borrow_and_update().clone();
        if let Some(why) = printed.status(&s) {
            eprintln!("skiff: {why}");
            break false;
        }
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { break printed.ever_up },
            _ = &mut shutdown => break true,
            _ = tick.tick() => {
                if let (Some((id, since)), true) = (&live, printed.tty) {
                    let cost = live_cost(ctx, id).await;
                    out_part!("\r  up {} · {cost}   ", crate::render::format::duration(chrono::Duration::from_std(since.elapsed()).unwrap_or_default()));
                    use std::io::Write;
                    let _ = std::io::stdout().flush();
                }
            }
        }
    };
    tunnel.close().await;
    if let Some(path) = registered {
        let _ = std::fs::remove_file(path);
    }
    if printed.tty {
        out!();
    }
    out!("tunnels closed");
    ok
}

/// Records this process as the holder of the tunnel, so `skiff down` can
/// close it; the record's file, to remove at the end.
fn register(ctx: &Context, tunnel: &Tunnel) -> Option<std::path::PathBuf> {
    let s = tunnel.current();
    registry::register(
        &ctx.dirs.state,
        &Holder {
            pid: std::process::id(),
            target: s.target.label.clone(),
            instance_id: s.target.instance_id.clone(),
            urls: s.forwards.iter().map(|f| f.url.clone()).collect(),
            started: chrono::Utc::now(),
        },
    )
    .ok()
}

/// What `hold` has printed of a tunnel, so that each change is printed once.
#[derive(Debug, Default)]
struct Printed {
    tty: bool,
    /// Open the first URL in the browser.
    open: bool,
    /// The states printed, one after the other (and "accepted" once the
    /// host key was).
    states: String,
    /// The local ports whose URLs were printed while up.
    announced: Vec<u16>,
    ever_up: bool,
    opened: bool,
}

impl Printed {
    /// Prints what changed in `s`; why it failed, if it did before it was
    /// ever up.
    fn status(&mut self, s: &TunnelStatus) -> Option<String> {
        if let Some(fp) = &s.accepted_fingerprint
            && !self.states.contains("accepted")
        {
            out!("accepted the host key of {}: {fp}", s.host);
            self.states.push_str("accepted");
        }
        let label = match &s.state {
            TunnelState::Retrying {
                attempt,
                next_try_in_secs,
                last_error,
            } => {
                format!(
                    "retrying (attempt {attempt}, next try in {next_try_in_secs}s): {last_error}"
                )
            }
            TunnelState::Failed { why } => format!("failed: {why}"),
            other => other.label(),
        };
        if !self.states.ends_with(&label) {
            if self.tty {
                out!();
            }
            out!("{} → {}@{}: {label}", s.target.label, s.user, s.host);
            self.states.push_str(&label);
        }
        if s.state == TunnelState::Up {
            self.ever_up = true;
            self.urls(s);
        } else {
            self.announced.clear();
        }
        match &s.state {
            TunnelState::Failed { why } if !self.ever_up => Some(why.clone()),
            _ => None,
        }
    }

    /// Prints the URL of each forward that answers and was not printed yet
    /// (opening the first in the browser, if asked).
    fn urls(&mut self, s: &TunnelStatus) {
        let fresh: Vec<_> = s
            .forwards
            .iter()
            .filter(|f| f.http_ok && !self.announced.contains(&f.local))
            .collect();
        for f in fresh {
            let moved = if f.local != f.asked_local {
                format!(" ({} was taken)", f.asked_local)
            } else {
                String::new()
            };
            out!("  {:<15} {}{moved}", f.name, f.url);
            self.announced.push(f.local);
            if self.open && !self.opened {
                self.opened = true;
                if let Err(e) = open_browser(&f.url) {
                    eprintln!("skiff: {e}");
                }
            }
        }
    }
}

/// Cost so far of the target's current run, for the live line.
async fn live_cost(ctx: &Context, instance_id: &str) -> String {
    // Listing records the sighting in the ledger; the figures come from it.
    let _ = inventory(ctx).await;
    let (ledger, _) = crate::ops::costs::open_ledger(&ctx.dirs);
    let report = crate::cost::report(ledger.book(), None, chrono::Utc::now());
    match report.item(instance_id) {
        Some(c) => match &c.since_start {
            Some(a) => format!(
                "{} so far, {}/h",
                crate::cost::show(a),
                crate::cost::show(&c.hourly)
            ),
            None => format!("not running, {}/h", crate::cost::show(&c.hourly)),
        },
        None => "cost unknown".into(),
    }
}

pub async fn tunnel(ctx: &Context, args: &TunnelArgs) -> anyhow::Result<ExitCode> {
    let inv = inventory(ctx).await;
    let target = find(ctx, &inv, &args.target)
        .await
        .map_err(anyhow::Error::msg)?;
    let (tt, defaults) =
        tunnel_target(&inv, &target, &args.target, &ctx.config).map_err(anyhow::Error::msg)?;
    let forwards = forwards(&ctx.config, args, &defaults).map_err(anyhow::Error::msg)?;
    let t = Tunnel::open(
        ctx.session.clone(),
        tt,
        forwards,
        settings(ctx, args.accept_new_host_key),
    );
    Ok(if hold(ctx, t, args.open, None).await {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

fn wait_options(timeout: Option<u64>) -> RunOptions {
    RunOptions {
        wait: true,
        timeout,
        dry_run: false,
        json: false,
    }
}

pub async fn up(ctx: &Context, args: &UpArgs) -> anyhow::Result<ExitCode> {
    let inv = inventory(ctx).await;
    let target = find(ctx, &inv, &args.tunnel.target)
        .await
        .map_err(anyhow::Error::msg)?;
    let verb = match target {
        Target::Emr { .. }
            if crate::store::paused::load_paused(&ctx.dirs.state, &target.to_string())
                .ok()
                .flatten()
                .is_some() =>
        {
            Some(Verb::Resume)
        }
        Target::Emr { .. } => None,
        _ => Some(Verb::Start),
    };
    if let Some(verb) = verb {
        let code = super::lifecycle::run_verb(
            ctx,
            verb,
            std::slice::from_ref(&args.tunnel.target),
            &wait_options(args.timeout),
            None,
        )
        .await?;
        if code != ExitCode::SUCCESS {
            eprintln!(
                "skiff: {} did not reach its running state; not opening tunnels",
                args.tunnel.target
            );
            return Ok(code);
        }
    }
    // Listed again: a start gives new addresses.
    let inv = inventory(ctx).await;
    let (tt, defaults) = tunnel_target(&inv, &target, &args.tunnel.target, &ctx.config)
        .map_err(anyhow::Error::msg)?;
    let forwards = forwards(&ctx.config, &args.tunnel, &defaults).map_err(anyhow::Error::msg)?;
    let id = tt.instance_id.clone();
    let started = inv
        .instance(&id)
        .and_then(|i| i.launch_time)
        .and_then(|t| (chrono::Utc::now() - t).to_std().ok())
        .map_or_else(Instant::now, |age| {
            Instant::now().checked_sub(age).unwrap_or_else(Instant::now)
        });
    let t = Tunnel::open(
        ctx.session.clone(),
        tt,
        forwards,
        settings(ctx, args.tunnel.accept_new_host_key),
    );
    Ok(
        if hold(ctx, t, args.tunnel.open, Some((id, started))).await {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        },
    )
}

pub async fn down(ctx: &Context, args: &DownArgs) -> anyhow::Result<ExitCode> {
    let inv = inventory(ctx).await;
    let target = find(ctx, &inv, &args.target)
        .await
        .map_err(anyhow::Error::msg)?;
    let ids = node_ids(&inv, &target);
    // Close the tunnels skiff holds to it (SIGTERM: they close cleanly).
    for h in registry::holders(&ctx.dirs.state)
        .into_iter()
        .filter(|h| ids.contains(&h.instance_id))
    {
        let _ = std::process::Command::new("kill")
            .args(["-TERM", &h.pid.to_string()])
            .status();
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::path::Path::new(&format!("/proc/{}", h.pid)).exists()
            && Instant::now() < deadline
        {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        out!(
            "closed the tunnels of process {} ({})",
            h.pid,
            h.urls.join(", ")
        );
    }
    let ran = ids
        .iter()
        .filter_map(|id| inv.instance(id))
        .filter_map(|i| i.uptime(chrono::Utc::now()))
        .max();
    let verb = if args.pause { Verb::Pause } else { Verb::Stop };
    let code = super::lifecycle::run_verb(
        ctx,
        verb,
        std::slice::from_ref(&args.target),
        &wait_options(args.timeout),
        None,
    )
    .await?;
    if let Some(d) = ran {
        out!(
            "{} ran for {} this session",
            args.target,
            crate::render::format::duration(d)
        );
    }
    Ok(code)
}
