//! A shell on any node, a command on every node of a cluster, and copies to
//! and from nodes — the system OpenSSH client with the tunnels' rules for
//! user, key (a file, or a one-time key through EC2 Instance Connect),
//! address and host keys. One set of rules for `skiff ssh|run|put|get` and
//! the TUI's `!` and `e` keys.

use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Instant;

use serde::Serialize;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStderr, ChildStdout, Command};

use super::tunnel::spec::{self, Endpoint, FatalKind, Side, SshExit, TunnelProblem};
use super::tunnel::{Attempt, TunnelSettings, TunnelTarget, hostkeys, resolve};
use crate::cloud::Session;
use crate::lifecycle::Target;
use crate::model::Inventory;

/// Which nodes of a cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Part {
    #[default]
    All,
    Master,
    Workers,
}

/// The nodes of `target` (`part` of them), each as a target to connect to,
/// named as the user knows it: an instance itself; a Spark cluster's master
/// and workers; an EMR cluster's nodes (as `hadoop`).
pub fn nodes(inv: &Inventory, target: &Target, part: Part) -> Result<Vec<TunnelTarget>, String> {
    let node = |id: &str, emr: bool| -> Option<TunnelTarget> {
        let i = inv.instance(id)?;
        Some(TunnelTarget {
            label: i.display_name().to_string(),
            instance_id: i.id.clone(),
            region: i.region.clone(),
            emr,
        })
    };
    let out: Vec<TunnelTarget> = match target {
        Target::Instance { id } => {
            let emr = inv.instance(id).is_some_and(|i| i.emr_cluster().is_some());
            node(id, emr).into_iter().collect()
        }
        Target::Spark { region, name } => {
            let c = inv
                .spark_cluster(region, name)
                .ok_or_else(|| format!("Spark cluster {name} is not listed"))?;
            let master = c.master.iter().filter(|_| part != Part::Workers);
            let workers = c.workers.iter().filter(|_| part != Part::Master);
            master
                .chain(workers)
                .filter_map(|id| node(id, false))
                .collect()
        }
        Target::Emr { id, .. } => {
            let mut members: Vec<_> = inv
                .instances
                .iter()
                .filter(|i| i.emr_cluster() == Some(id.as_str()))
                .filter(|i| match part {
                    Part::All => true,
                    Part::Master => i.emr_role() == Some("MASTER"),
                    Part::Workers => i.emr_role() != Some("MASTER"),
                })
                .collect();
            // The master first: it is the node a shell goes to.
            members.sort_by_key(|i| i.emr_role() != Some("MASTER"));
            members
                .into_iter()
                .filter_map(|i| node(&i.id, true))
                .collect()
        }
    };
    if out.is_empty() {
        return Err(match part {
            Part::Workers => "it has no worker nodes listed".to_string(),
            _ => "no node of it is listed (is it running?)".to_string(),
        });
    }
    Ok(out)
}

/// The one node `--node NAME|ID` names among `nodes`, or the first (an
/// instance, a cluster's master).
pub fn pick(nodes: Vec<TunnelTarget>, wanted: Option<&str>) -> Result<TunnelTarget, String> {
    match wanted {
        None => nodes
            .into_iter()
            .next()
            .ok_or_else(|| "no node to connect to".to_string()),
        Some(w) => {
            let names: Vec<String> = nodes.iter().map(|n| n.label.clone()).collect();
            nodes
                .into_iter()
                .find(|n| n.label == w || n.instance_id == w)
                .ok_or_else(|| format!("no node {w} here (nodes: {})", names.join(", ")))
        }
    }
}

/// A connection ready to be made: where, as whom, with which key; the host
/// key checked against skiff's known_hosts.
#[derive(Debug, Clone)]
pub struct Ready {
    pub target: TunnelTarget,
    pub endpoint: Endpoint,
    /// The fingerprint of a host key recorded just now (accepted).
    pub accepted: Option<String>,
}

impl Ready {
    /// "as ec2-user@1.2.3.4 with the key file ~/.ssh/x.pem".
    pub fn method(&self) -> String {
        if self.endpoint.route.is_native() {
            return format!(
                "{} straight over Session Manager (no ssh login, no key)",
                self.endpoint.host
            );
        }
        format!(
            "{}@{}:{} with {}{}",
            self.endpoint.user,
            self.endpoint.host,
            self.endpoint.port,
            self.endpoint.method.describe(&self.endpoint.key),
            self.endpoint.route.says()
        )
    }
}

/// Why a node cannot be reached, in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotReady {
    /// The host key is not recorded: it can be accepted (its fingerprint).
    #[error("{0}")]
    UnknownHostKey(String),
    #[error("{0}")]
    Other(String),
}

/// Resolves `target` (address, user, key; a one-time key pushed where
/// needed) and checks its host key: recorded keys must match what the host
/// shows now (a changed key is refused before anything is sent); an unknown
/// one is recorded only with `settings.accept_new_host_key`.
pub async fn ready(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
) -> Result<Ready, NotReady> {
    let (mut endpoint, _) = resolve(session, target, settings)
        .await
        .map_err(|a| NotReady::Other(attempt_words(target, a)))?;
    // Commands and copies need ssh: a node reached straight over Session
    // Manager is logged in to over Session Manager, with a key.
    endpoint.route = std::mem::take(&mut endpoint.route).for_ssh();
    if endpoint.method == super::tunnel::KeyMethod::None {
        return Err(NotReady::Other(format!(
            "{}: commands and copies log in with ssh (over Session Manager), and no key file for its key pair is in {}: put it there, or set `key` in the config's [ssh] section",
            target.label,
            settings.ssh_dir.display()
        )));
    }
    check_host_key(target, endpoint, settings).await
}

/// Like [`ready`], for an interactive shell: a node reached straight over
/// Session Manager needs no ssh login, no key and no host key (the shell
/// is the agent's, opened by AWS's authentication).
pub async fn ready_shell(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
) -> Result<Ready, NotReady> {
    let (endpoint, _) = resolve(session, target, settings)
        .await
        .map_err(|a| NotReady::Other(attempt_words(target, a)))?;
    if endpoint.route.is_native() {
        return Ok(Ready {
            target: target.clone(),
            endpoint,
            accepted: None,
        });
    }
    ready(session, target, settings).await
}

/// The host key `endpoint` shows now, checked against skiff's known_hosts.
async fn check_host_key(
    target: &TunnelTarget,
    endpoint: Endpoint,
    settings: &TunnelSettings,
) -> Result<Ready, NotReady> {
    let over_ssm = matches!(endpoint.route, super::tunnel::route::Route::Ssm { .. });
    let scanned = hostkeys::scan_endpoint(&endpoint, &settings.known_hosts)
        .await
        .map_err(|why| {
            if over_ssm {
                return NotReady::Other(format!(
                    "{}: no SSH server answered on port {} over Session Manager — commands and copies need one there (tunnels and shells reached with skiff:reach=ssm do not): {why}",
                    target.label, endpoint.port
                ));
            }
            NotReady::Other(format!(
                "{}: {why}",
                TunnelProblem::Unreachable {
                    host: endpoint.host.clone(),
                    port: endpoint.port,
                    why: "no SSH answer".into(),
                    groups: "its security groups".into(),
                }
            ))
        })?;
    let alias = &endpoint.host_key_alias;
    let mut accepted = None;
    if hostkeys::is_known(&settings.known_hosts, alias) {
        if !hostkeys::matches(&settings.known_hosts, &scanned) {
            return Err(NotReady::Other(
                TunnelProblem::HostKeyChanged {
                    host: endpoint.host.clone(),
                    alias: alias.clone(),
                    known_hosts: settings.known_hosts.display().to_string(),
                }
                .to_string(),
            ));
        }
    } else {
        let prints = hostkeys::fingerprints(&scanned)
            .await
            .map_err(NotReady::Other)?
            .join(", ");
        if !settings.accept_new_host_key {
            return Err(NotReady::UnknownHostKey(
                TunnelProblem::HostKeyUnknown {
                    host: format!("{} ({})", target.label, endpoint.host),
                    fingerprint: prints,
                }
                .to_string(),
            ));
        }
        hostkeys::accept(&settings.known_hosts, &scanned)
            .map_err(|e| NotReady::Other(format!("cannot record the host key: {e}")))?;
        accepted = Some(prints);
    }
    Ok(Ready {
        target: target.clone(),
        endpoint,
        accepted,
    })
}

fn attempt_words(target: &TunnelTarget, a: Attempt) -> String {
    match a {
        Attempt::Stopped(state) => super::tunnel::not_running(
            &target.label,
            state,
            &format!("skiff start {}, or u on its row", target.label),
        ),
        Attempt::Transient(why) | Attempt::Fatal(why) | Attempt::NoKey { why, .. } => {
            format!("{}: {why}", target.label)
        }
    }
}

/// What an ssh or scp exit means, in words, from its stderr.
pub fn exit_words(ready: &Ready, settings: &TunnelSettings, stderr: &str) -> String {
    let e = &ready.endpoint;
    match spec::classify_stderr(stderr) {
        SshExit::Fatal(FatalKind::AuthRefused) => TunnelProblem::AuthRefused {
            host: e.host.clone(),
            user: e.user.clone(),
            key: e.key.display().to_string(),
        }
        .to_string(),
        SshExit::Fatal(FatalKind::HostKeyChanged) => TunnelProblem::HostKeyChanged {
            host: e.host.clone(),
            alias: e.host_key_alias.clone(),
            known_hosts: settings.known_hosts.display().to_string(),
        }
        .to_string(),
        SshExit::Fatal(FatalKind::HostKeyUnknown) => {
            format!("{}: host key not accepted", e.host)
        }
        SshExit::Fatal(FatalKind::KeyTooOpen) => format!(
            "the key file {} can be read by others: chmod 600 it",
            e.key.display()
        ),
        SshExit::Transient(line) => line,
    }
}

/// The result of a command on one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeRun {
    pub node: String,
    pub instance_id: String,
    /// The command's exit code (None: it could not be run; see `error`).
    pub exit_code: Option<i32>,
    pub ok: bool,
    pub millis: u64,
    /// Why the node could not be reached (in words), if it could not.
    pub error: Option<String>,
    /// It was not run because its host key was seen for the first time
    /// (it can be accepted, and the command run again there).
    #[serde(skip)]
    pub new_host_key: bool,
    /// The last lines it printed (stdout and stderr), for the TUI.
    #[serde(skip)]
    pub tail: Vec<String>,
}

/// Lines kept per node for the TUI's results.
const TAIL: usize = 20;

/// Runs `command` on every node at once (at most `parallel` together),
/// handing each output line to `on_line` with its node's name as it comes.
pub async fn run_on_nodes(
    session: &Session,
    nodes: &[TunnelTarget],
    settings: &TunnelSettings,
    command: &[String],
    parallel: usize,
    on_line: &(dyn Fn(&str, &str) + Send + Sync),
) -> Vec<NodeRun> {
    // Futures made up front and bounded by a semaphore (a stream of them
    // trips the compiler's Send check inside spawned tasks).
    let slots = tokio::sync::Semaphore::new(parallel.max(1));
    let runs: Vec<_> = nodes
        .iter()
        .map(|n| {
            let slots = &slots;
            async move {
                let _slot = slots.acquire().await;
                run_on_node(session, n, settings, command, on_line).await
            }
        })
        .collect();
    futures::future::join_all(runs).await
}

async fn run_on_node(
    session: &Session,
    node: &TunnelTarget,
    settings: &TunnelSettings,
    command: &[String],
    on_line: &(dyn Fn(&str, &str) + Send + Sync),
) -> NodeRun {
    let started = Instant::now();
    let mut result = NodeRun {
        node: node.label.clone(),
        instance_id: node.instance_id.clone(),
        exit_code: None,
        ok: false,
        millis: 0,
        error: None,
        new_host_key: false,
        tail: Vec::new(),
    };
    let ready = match ready(session, node, settings).await {
        Ok(r) => r,
        Err(e) => {
            result.new_host_key = matches!(e, NotReady::UnknownHostKey(_));
            result.error = Some(e.to_string());
            return result;
        }
    };
    let args = spec::shell_args(&ready.endpoint, &settings.known_hosts, command);
    let child = Command::new("ssh")
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) => {
            result.error = Some(format!(
                "cannot run ssh (is the OpenSSH client installed?): {e}"
            ));
            return result;
        }
    };
    let (Some(out), Some(err)) = (child.stdout.take(), child.stderr.take()) else {
        result.error = Some("ssh gave no output pipes".into());
        return result;
    };
    let (printed, status) = follow(&mut child, out, err, &node.label, on_line).await;
    result.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    result.tail = printed.tail;
    match status {
        // 255: ssh's own failure (connecting, authenticating), not the command's.
        Ok(s) if s.code() == Some(255) => {
            result.error = Some(exit_words(&ready, settings, &printed.stderr));
        }
        Ok(s) => {
            result.exit_code = s.code();
            result.ok = s.success();
        }
        Err(e) => result.error = Some(format!("ssh failed: {e}")),
    }
    result
}

/// What a command printed: its last lines (stdout and stderr together), and
/// all of stderr (where ssh itself says why it failed).
struct Printed {
    tail: Vec<String>,
    stderr: String,
}

/// Hands every line that `out` and `err` give to `on_line`, as `label`'s,
/// while `child` runs; what it printed, and how it ended.
async fn follow(
    child: &mut Child,
    out: ChildStdout,
    err: ChildStderr,
    label: &str,
    on_line: &(dyn Fn(&str, &str) + Send + Sync),
) -> (Printed, std::io::Result<ExitStatus>) {
    let tail = std::sync::Mutex::new(std::collections::VecDeque::new());
    let stderr_text = std::sync::Mutex::new(String::new());
    let keep = |line: &str| {
        if let Ok(mut t) = tail.lock() {
            t.push_back(line.to_string());
            if t.len() > TAIL {
                t.pop_front();
            }
        }
    };
    let read_out = async {
        let mut lines = BufReader::new(out).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            on_line(label, &line);
            keep(&line);
        }
    };
    let read_err = async {
        let mut lines = BufReader::new(err).lines();
        while let Ok(Some(line)) = lines.next_line().await {
            on_line(label, &line);
            keep(&line);
            if let Ok(mut s) = stderr_text.lock() {
                s.push_str(&line);
                s.push('\n');
            }
        }
    };
    let (_, _, status) = tokio::join!(read_out, read_err, child.wait());
    let printed = Printed {
        tail: tail.into_inner().map(Vec::from).unwrap_or_default(),
        stderr: stderr_text.into_inner().unwrap_or_default(),
    };
    (printed, status)
}

/// The result of a copy to or from one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeCopy {
    pub node: String,
    pub instance_id: String,
    pub ok: bool,
    pub bytes: u64,
    pub millis: u64,
    pub error: Option<String>,
}

/// `{node}` in a remote path: the node's name (copies to one machine
/// serving several nodes stay apart).
pub fn remote_for(remote: &str, node: &TunnelTarget) -> String {
    remote.replace("{node}", &node.label)
}

/// Copies `local` to `remote` on every node (at most `parallel` at once).
pub async fn put(
    session: &Session,
    nodes: &[TunnelTarget],
    settings: &TunnelSettings,
    local: &Path,
    remote: &str,
    parallel: usize,
) -> Vec<NodeCopy> {
    let bytes = std::fs::metadata(local).map(|m| m.len()).unwrap_or(0);
    let slots = tokio::sync::Semaphore::new(parallel.max(1));
    let copies: Vec<_> = nodes
        .iter()
        .map(|n| {
            let slots = &slots;
            async move {
                let _slot = slots.acquire().await;
                let remote = remote_for(remote, n);
                copy(
                    session,
                    n,
                    settings,
                    Side::Local(local),
                    Side::Remote(&remote),
                    bytes,
                )
                .await
            }
        })
        .collect();
    futures::future::join_all(copies).await
}

/// Copies `remote` on one node to `local`.
pub async fn get(
    session: &Session,
    node: &TunnelTarget,
    settings: &TunnelSettings,
    remote: &str,
    local: &Path,
) -> NodeCopy {
    let mut r = copy(
        session,
        node,
        settings,
        Side::Remote(remote),
        Side::Local(local),
        0,
    )
    .await;
    if r.ok {
        r.bytes = std::fs::metadata(local).map(|m| m.len()).unwrap_or(0);
    }
    r
}

async fn copy(
    session: &Session,
    node: &TunnelTarget,
    settings: &TunnelSettings,
    from: Side<'_>,
    to: Side<'_>,
    bytes: u64,
) -> NodeCopy {
    let started = Instant::now();
    let mut r = NodeCopy {
        node: node.label.clone(),
        instance_id: node.instance_id.clone(),
        ok: false,
        bytes,
        millis: 0,
        error: None,
    };
    let ready = match ready(session, node, settings).await {
        Ok(x) => x,
        Err(e) => {
            r.error = Some(e.to_string());
            return r;
        }
    };
    let args = spec::scp_args(&ready.endpoint, &settings.known_hosts, from, to);
    let out = Command::new("scp")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .await;
    r.millis = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
    match out {
        Ok(o) if o.status.success() => r.ok = true,
        Ok(o) => {
            let text = String::from_utf8_lossy(&o.stderr).into_owned();
            r.error = Some(
                if text.contains("No such file")
                    || text.contains("Permission denied") && !text.contains("publickey")
                {
                    text.lines()
                        .last()
                        .unwrap_or("scp failed")
                        .trim()
                        .to_string()
                } else {
                    exit_words(&ready, settings, &text)
                },
            );
        }
        Err(e) => {
            r.error = Some(format!(
                "cannot run scp (is the OpenSSH client installed?): {e}"
            ))
        }
    }
    r
}
