//! `skiff ssh`, `skiff run`, `skiff put`, `skiff get`: a shell or a command
//! on a node, a command on every node, copies — with the tunnels' rules
//! for user, key, address and host keys.

use std::io::IsTerminal;
use std::process::ExitCode;

use anyhow::bail;

use super::args::{GetArgs, NodeChoice, PutArgs, RunArgs, SshArgs};
use crate::ops::connect::Context;
use crate::ops::shell::{self, NotReady, Part};
use crate::ops::target;
use crate::ops::tunnel::{TunnelSettings, TunnelTarget, native};

async fn nodes_of(ctx: &Context, query: &str, part: Part) -> anyhow::Result<Vec<TunnelTarget>> {
    let (inv, _) = ctx.inventory().await;
    let t = target::find(ctx, &inv, query)
        .await
        .map_err(anyhow::Error::msg)?;
    shell::nodes(&inv, &t, part).map_err(|e| anyhow::anyhow!("{query}: {e}"))
}

fn settings(ctx: &Context, accept: bool) -> TunnelSettings {
    super::tunnel::settings(ctx, accept)
}

fn part(nodes: &NodeChoice) -> Part {
    match (nodes.workers, nodes.master) {
        (true, _) => Part::Workers,
        (_, true) => Part::Master,
        _ => Part::All,
    }
}

async fn ready(
    ctx: &Context,
    node: &TunnelTarget,
    settings: &TunnelSettings,
    interactive: bool,
) -> anyhow::Result<shell::Ready> {
    let ready = if interactive {
        shell::ready_shell(&ctx.session, node, settings).await
    } else {
        shell::ready(&ctx.session, node, settings).await
    };
    match ready {
        Ok(r) => {
            if let Some(print) = &r.accepted {
                err!("skiff: recorded the host key of {}: {print}", node.label);
            }
            Ok(r)
        }
        Err(NotReady::UnknownHostKey(why) | NotReady::Other(why)) => bail!("{why}"),
    }
}

pub async fn ssh(ctx: &Context, a: &SshArgs) -> anyhow::Result<ExitCode> {
    let nodes = nodes_of(ctx, &a.target, Part::All).await?;
    let node = shell::pick(nodes, a.node.as_deref()).map_err(anyhow::Error::msg)?;
    if a.command.is_empty() && !std::io::stdin().is_terminal() {
        bail!(
            "an interactive shell needs a terminal: give a command after -- (skiff ssh {} -- uptime)",
            a.target
        );
    }
    let settings = settings(ctx, a.accept_new_host_key);
    let r = ready(ctx, &node, &settings, a.command.is_empty()).await?;
    err!("skiff: {} as {}", node.label, r.method());
    let (program, args) = if a.command.is_empty() {
        crate::ops::tunnel::spec::interactive(&r.endpoint, &settings.known_hosts)
    } else {
        let args =
            crate::ops::tunnel::spec::shell_args(&r.endpoint, &settings.known_hosts, &a.command);
        ("ssh".to_string(), args)
    };
    // The terminal is the shell's until it exits; the one-time key (if
    // any) lives until then too.
    let status = tokio::process::Command::new(&program)
        .args(&args)
        .status()
        .await
        .map_err(|e| {
            anyhow::anyhow!("cannot run {program} (is the OpenSSH client installed?): {e}")
        })?;
    drop(r);
    let code = status.code().unwrap_or(1);
    Ok(ExitCode::from(u8::try_from(code).unwrap_or(1)))
}

pub async fn run(ctx: &Context, a: &RunArgs) -> anyhow::Result<ExitCode> {
    let nodes = nodes_of(ctx, &a.target, part(&a.nodes)).await?;
    let settings = settings(ctx, a.accept_new_host_key);
    let width = nodes.iter().map(|n| n.label.len()).max().unwrap_or(0);
    let json = a.json;
    let on_line = move |node: &str, line: &str| {
        if json {
            err!("[{node:<width$}] {line}");
        } else {
            out!("[{node:<width$}] {line}");
        }
    };
    let results = shell::run_on_nodes(
        &ctx.session,
        &nodes,
        &settings,
        &a.command,
        ctx.config.ssh.parallel,
        &on_line,
    )
    .await;
    let ok = results.iter().all(|r| r.ok);
    if a.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &serde_json::json!({ "command": a.command, "nodes": results, "ok": ok })
            )?
        );
    } else {
        out!("");
        for r in &results {
            let secs = r.millis as f64 / 1000.0;
            match (&r.error, r.exit_code) {
                (Some(e), _) => out!("  ✗ {:<width$}  not run: {e}", r.node),
                (None, Some(0)) => out!("  ✓ {:<width$}  exit 0 in {secs:.1} s", r.node),
                (None, Some(c)) => out!("  ✗ {:<width$}  exit {c} in {secs:.1} s", r.node),
                (None, None) => out!(
                    "  ✗ {:<width$}  killed by a signal after {secs:.1} s",
                    r.node
                ),
            }
        }
        let good = results.iter().filter(|r| r.ok).count();
        out!("{good} of {} nodes succeeded", results.len());
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn put(ctx: &Context, a: &PutArgs) -> anyhow::Result<ExitCode> {
    let meta =
        std::fs::metadata(&a.local).map_err(|e| anyhow::anyhow!("{}: {e}", a.local.display()))?;
    if !meta.is_file() {
        bail!("{} is not a file", a.local.display());
    }
    let nodes = nodes_of(ctx, &a.target, part(&a.nodes)).await?;
    let settings = settings(ctx, a.accept_new_host_key);
    if std::io::stderr().is_terminal() && !a.json {
        err!(
            "copying {} ({}) to {} node{}…",
            a.local.display(),
            bytesize::ByteSize(meta.len()).display().iec(),
            nodes.len(),
            if nodes.len() == 1 { "" } else { "s" }
        );
    }
    let results = shell::put(
        &ctx.session,
        &nodes,
        &settings,
        &a.local,
        &a.remote,
        ctx.config.ssh.parallel,
    )
    .await;
    report_copies(&results, a.json)
}

fn report_copies(results: &[shell::NodeCopy], json: bool) -> anyhow::Result<ExitCode> {
    let ok = results.iter().all(|r| r.ok);
    if json {
        out!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({ "nodes": results, "ok": ok }))?
        );
    } else {
        for r in results {
            let secs = r.millis as f64 / 1000.0;
            match &r.error {
                None => out!(
                    "  ✓ {}  {} in {secs:.1} s",
                    r.node,
                    bytesize::ByteSize(r.bytes).display().iec()
                ),
                Some(e) => out!("  ✗ {}  {e}", r.node),
            }
        }
    }
    Ok(if ok {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}

pub async fn get(ctx: &Context, a: &GetArgs) -> anyhow::Result<ExitCode> {
    let nodes = nodes_of(ctx, &a.target, Part::All).await?;
    let node = shell::pick(nodes, a.node.as_deref()).map_err(anyhow::Error::msg)?;
    let local = if a.local.is_dir() {
        let name = a
            .remote
            .rsplit('/')
            .next()
            .filter(|n| !n.is_empty())
            .unwrap_or("download");
        a.local.join(name)
    } else {
        a.local.clone()
    };
    let settings = settings(ctx, a.accept_new_host_key);
    let r = shell::get(&ctx.session, &node, &settings, &a.remote, &local).await;
    report_copies(&[r], false)
}

/// `skiff ssm-proxy INSTANCE PORT`: standard input and output carried to
/// the port over Session Manager until either side ends.
pub async fn ssm_proxy(ctx: &Context, a: &super::args::SsmProxyArgs) -> anyhow::Result<ExitCode> {
    let target = crate::cloud::ssm::PortTarget {
        region: ctx.session.home_region().to_string(),
        instance: a.instance.clone(),
        port: a.port,
    };
    said("ssm-proxy", native::proxy(&ctx.session, &target).await)
}

/// `skiff ssm-forward INSTANCE LOCAL:REMOTE...`: local ports carried to
/// the instance's over Session Manager until stopped.
pub async fn ssm_forward(
    ctx: &Context,
    a: &super::args::SsmForwardArgs,
) -> anyhow::Result<ExitCode> {
    let region = ctx.session.home_region().to_string();
    for (local, remote) in &a.forwards {
        err!(
            "skiff: 127.0.0.1:{local} → {}:{remote} over Session Manager",
            a.instance
        );
    }
    said(
        "ssm-forward",
        native::forward(&ctx.session, &region, &a.instance, &a.forwards).await,
    )
}

/// `skiff ssm-shell INSTANCE`: the agent's shell, on this terminal.
pub async fn ssm_shell(ctx: &Context, a: &super::args::SsmShellArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.session.home_region().to_string();
    said(
        "ssm-shell",
        native::shell(&ctx.session, &region, &a.instance).await,
    )
}

fn said(verb: &str, outcome: Result<(), String>) -> anyhow::Result<ExitCode> {
    match outcome {
        Ok(()) => Ok(ExitCode::SUCCESS),
        Err(e) => {
            err!("skiff {verb}: {e}");
            Ok(ExitCode::FAILURE)
        }
    }
}
