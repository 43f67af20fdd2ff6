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
/// `live`: the instances whose uptime and cost a live line shows (`up`).
async fn hold(ctx: &Context, tunnel: Tunnel, open: bool, live: Option<Vec<String>>) -> bool {
    let mut rx = tunnel.status.clone();
    let mut printed = Printed {
        tty: std::io::stdout().is_terminal(),
        open,
        ..Printed::default()
    };
    let shutdown = super::wait_for_shutdown();
    tokio::pin!(shutdown);
    let mut tick = tokio::time::interval(Duration::from_secs(10));
    let mut registered = register(ctx, &tunnel.current());
    let ok = loop {
        let s = rx.borrow_and_update().clone();
        if let Some(why) = printed.status(&s) {
            err!("skiff: {why}");
            break false;
        }
        // The record says the ports in use (a taken one moves), for `down`.
        if s.state == TunnelState::Up {
            registered = register(ctx, &s).or(registered);
        }
        tokio::select! {
            changed = rx.changed() => if changed.is_err() { break printed.ever_up },
            _ = &mut shutdown => break true,
            _ = tick.tick() => {
                if let (Some(ids), true) = (&live, printed.tty) {
                    let line = live_line(ctx, ids).await;
                    printed.live(&line);
                }
            }
        }
    };
    tunnel.close().await;
    if let Some(path) = registered {
        let _ = std::fs::remove_file(path);
    }
    printed.end_live();
    out!("tunnels closed");
    ok
}

/// Records this process as the holder of the tunnel, so `skiff down` can
/// close it; the record's file, to remove at the end.
fn register(ctx: &Context, s: &TunnelStatus) -> Option<std::path::PathBuf> {
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
    /// A live line is on screen, without its newline.
    live_shown: bool,
}

impl Printed {
    /// Shows `line` as the live line, in place of the one before.
    fn live(&mut self, line: &str) {
        use std::io::Write;
        let mut out = std::io::stdout();
        let _ = crossterm::execute!(
            out,
            crossterm::cursor::MoveToColumn(0),
            crossterm::terminal::Clear(crossterm::terminal::ClearType::CurrentLine)
        );
        let _ = write!(out, "  {line}");
        let _ = out.flush();
        self.live_shown = true;
    }

    /// Takes the live line off the screen before other lines are printed
    /// (they never land on it); it comes back at the next tick.
    fn end_live(&mut self) {
        if self.live_shown {
            let _ = crossterm::execute!(
                std::io::stdout(),
                crossterm::cursor::MoveToColumn(0),
                crossterm::terminal::Clear(crossterm::terminal::ClearType::CurrentLine)
            );
            self.live_shown = false;
        }
    }

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
            self.end_live();
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
            self.end_live();
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
                    err!("skiff: {e}");
                }
            }
        }
    }
}

/// The live line of `up`: how long the target has run (the ledger's
/// start of its run, not a LaunchTime an emulator keeps across a stop), what
/// that run cost so far, and its rate — all of its nodes.
async fn live_line(ctx: &Context, ids: &[String]) -> String {
    // Listing records the sighting in the ledger; the figures come from it.
    let _ = inventory(ctx).await;
    let (ledger, _) = crate::ops::costs::open_ledger(&ctx.dirs);
    let report = crate::cost::report(ledger.book(), None, crate::clock::now());
    let items: Vec<_> = ids.iter().filter_map(|id| report.item(id)).collect();
    live_words(&items)
}

fn live_words(items: &[&crate::cost::InstanceCost]) -> String {
    use crate::cost::{Amount, show};
    if items.is_empty() {
        return "cost unknown".into();
    }
    let mut so_far = Amount::zero();
    let mut hourly = Amount::zero();
    for i in items {
        if let Some(a) = &i.since_start {
            so_far.merge(a);
        }
        hourly.merge(&i.hourly);
    }
    let nodes = if items.len() > 1 {
        format!(" ({} nodes)", items.len())
    } else {
        String::new()
    };
    match items.iter().filter_map(|i| i.running_secs).max() {
        Some(secs) => format!(
            "up {} · {} so far, {}/h{nodes}",
            crate::render::format::duration(chrono::Duration::seconds(secs)),
            show(&so_far),
            show(&hourly)
        ),
        None => format!("not running, {}/h{nodes}", show(&hourly)),
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
            err!(
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
    let ids = node_ids(&inv, &target);
    let t = Tunnel::open(
        ctx.session.clone(),
        tt,
        forwards,
        settings(ctx, args.tunnel.accept_new_host_key),
    );
    Ok(if hold(ctx, t, args.tunnel.open, Some(ids)).await {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
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
        .filter_map(|i| i.uptime(crate::clock::now()))
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn the_live_line_counts_every_node_of_a_cluster() {
        let inv = demo::inventory();
        let prices = crate::cost::Prices::embedded();
        let now = demo::now();
        // Seen stopped, then started: the emulator keeps the old LaunchTime
        // (2h30m ago) across the stop, as it does.
        let mut stopped = inv.clone();
        for i in &mut stopped.instances {
            if i.cluster.as_deref() == Some("rnd") {
                i.state = crate::model::InstanceState::Stopped;
            }
        }
        let mut book = crate::cost::ledger::Book::default();
        let off = crate::cost::compute::sightings(&stopped, &prices);
        book.observe(&off, &[], now - chrono::Duration::minutes(5));
        let seen = crate::cost::compute::sightings(&inv, &prices);
        book.observe(&seen, &[], now - chrono::Duration::minutes(4));
        book.observe(&seen, &[], now);
        let report = crate::cost::report(&book, None, now);
        let rnd = inv
            .spark_clusters
            .iter()
            .find(|c| c.name == "rnd")
            .expect("rnd");
        let target = Target::Spark {
            region: rnd.region.clone(),
            name: rnd.name.clone(),
        };
        let ids = node_ids(&inv, &target);
        let items: Vec<_> = ids.iter().filter_map(|id| report.item(id)).collect();
        assert_eq!(items.len(), 4);
        let mut hourly = crate::cost::Amount::zero();
        for i in &items {
            hourly.merge(&i.hourly);
        }
        let line = live_words(&items);
        assert!(
            line.contains(&format!("{}/h (4 nodes)", crate::cost::show(&hourly))),
            "{line}"
        );
        // The run the ledger saw (since it was seen off), not the
        // emulator's LaunchTime.
        assert!(
            line.starts_with("up 5m") || line.starts_with("up 4m"),
            "{line}"
        );
    }
}
