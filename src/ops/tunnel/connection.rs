//! One connection of a supervised tunnel: resolve the host, make sure its
//! host key is known, spawn ssh with every forward on free local ports, wait
//! until the forwards answer, then watch them until ssh dies or the tunnel
//! is told to stop or restart.

use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::io::AsyncReadExt;
use tokio::process::{Child, Command};
use tokio::sync::watch;

use super::spec::{self, Endpoint, FatalKind, SshExit, TunnelProblem};
use super::{
    Attempt, Control, TunnelSettings, TunnelState, TunnelStatus, TunnelTarget, hostkeys, pause,
    probe, resolve,
};
use crate::cloud::Session;
use crate::model::Instance;

/// One connection: resolve, check keys, spawn ssh, wait until the forwards
/// answer, then watch it until it dies or is told to stop or restart.
pub(super) async fn connect_once(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
    status: &watch::Sender<TunnelStatus>,
    control: &mut watch::Receiver<Control>,
    reconnecting: bool,
) -> Result<Control, Attempt> {
    let (endpoint, instance) = resolve(session, target, settings).await?;
    status.send_modify(|s| {
        s.host = format!("{}:{}", endpoint.host, endpoint.port);
        s.user = endpoint.user.clone();
        if !reconnecting {
            s.state = TunnelState::Connecting;
        }
    });
    let bastion_unknown = matches!(&endpoint.route, super::route::Route::Jump { alias, .. }
        if !hostkeys::is_known(&settings.known_hosts, alias));
    // Straight over Session Manager there is no ssh, hence no host key.
    let native = endpoint.route.is_native();
    if !native
        && (bastion_unknown || !hostkeys::is_known(&settings.known_hosts, &endpoint.host_key_alias))
    {
        let prints = accept_host_key(&endpoint, settings).await?;
        status.send_modify(|s| s.accepted_fingerprint = Some(prints));
    }
    let pairs = local_ports(status);
    let (program, args) = spec::tunnel_command(&endpoint, &pairs, &settings.known_hosts);
    let child = Command::new(&program)
        .args(&args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .map_err(|e| {
            Attempt::Fatal(if native {
                format!("cannot run {program}: {e}")
            } else {
                format!("cannot run ssh (is the OpenSSH client installed?): {e}")
            })
        })?;
    status.send_modify(|s| s.ssh_pid = child.id());
    let mut ssh = Ssh {
        child,
        pairs,
        endpoint,
        instance,
    };
    if let Some(told) = ssh.until_open(control).await? {
        return Ok(told);
    }
    status.send_modify(|s| {
        s.state = TunnelState::Up;
        s.up_since = Some(Instant::now());
        if s.was_up {
            s.restarts += 1;
        }
        s.was_up = true;
    });
    ssh.watch(status, control, settings.probe_interval).await
}

/// Scans the host key of a host not in skiff's known_hosts, and records it
/// where new keys may be accepted; its fingerprints, to show.
async fn accept_host_key(
    endpoint: &Endpoint,
    settings: &TunnelSettings,
) -> Result<String, Attempt> {
    let lines = hostkeys::scan_endpoint(endpoint, &settings.known_hosts)
        .await
        .map_err(Attempt::Transient)?;
    let prints = hostkeys::fingerprints(&lines)
        .await
        .map_err(Attempt::Fatal)?
        .join(", ");
    if !settings.accept_new_host_key {
        return Err(Attempt::Fatal(
            TunnelProblem::HostKeyUnknown {
                host: endpoint.host.clone(),
                fingerprint: prints,
            }
            .to_string(),
        ));
    }
    hostkeys::accept(&settings.known_hosts, &lines)
        .map_err(|e| Attempt::Fatal(format!("cannot record the host key: {e}")))?;
    Ok(prints)
}

/// Local ports: keep the ones in use; move a taken one to the next free.
/// Each forward that has one, as (local, remote).
fn local_ports(status: &watch::Sender<TunnelStatus>) -> Vec<(u16, u16)> {
    let mut taken = Vec::new();
    let mut pairs = Vec::new();
    status.send_modify(|s| {
        for f in &mut s.forwards {
            let port = if probe::port_is_free(f.local) {
                Some(f.local)
            } else {
                spec::first_free_port(f.asked_local, &taken, probe::port_is_free)
            };
            if let Some(p) = port {
                f.local = p;
                f.url = format!("http://localhost:{p}/");
                taken.push(p);
                pairs.push((p, f.remote));
            }
        }
    });
    pairs
}

/// A running ssh client, the forwards it holds (local, remote), and whom it
/// connected to (for saying why it ended).
struct Ssh {
    child: Child,
    pairs: Vec<(u16, u16)>,
    endpoint: Endpoint,
    instance: Instance,
}

impl Ssh {
    /// Up when every forward accepts TCP connections (None), or fail when
    /// ssh exits; what the control said, if it said stop or restart first.
    async fn until_open(
        &mut self,
        control: &mut watch::Receiver<Control>,
    ) -> Result<Option<Control>, Attempt> {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(self.exited().await);
            }
            let mut all = true;
            for (local, _) in &self.pairs {
                all &= probe::tcp(*local).await;
            }
            if all {
                return Ok(None);
            }
            if Instant::now() > deadline {
                let _ = self.child.kill().await;
                return Err(Attempt::Transient(
                    "the forwards did not open within 20 s".into(),
                ));
            }
            match pause(control, Duration::from_millis(200)).await {
                Control::Stop => {
                    let _ = self.child.kill().await;
                    return Ok(Some(Control::Stop));
                }
                Control::Restart(_) => {
                    let _ = self.child.kill().await;
                    return Ok(Some(Control::Restart(0)));
                }
                Control::Run => {}
            }
        }
    }

    /// Probes the forwards every `interval` into `status` until ssh exits
    /// (why, as a problem) or the control says stop or restart.
    async fn watch(
        &mut self,
        status: &watch::Sender<TunnelStatus>,
        control: &mut watch::Receiver<Control>,
        interval: Duration,
    ) -> Result<Control, Attempt> {
        loop {
            // Health: TCP first, then HTTP, for each forward.
            let mut results = Vec::new();
            for (local, _) in &self.pairs {
                results.push(probe::tcp(*local).await && probe::http(*local).await);
            }
            status.send_modify(|s| {
                for (f, ok) in s.forwards.iter_mut().zip(&results) {
                    f.http_ok = *ok;
                }
            });
            if let Ok(Some(_)) = self.child.try_wait() {
                return Err(self.exited().await);
            }
            let told = match pause(control, interval).await {
                Control::Run => continue,
                Control::Stop => Control::Stop,
                Control::Restart(_) => Control::Restart(0),
            };
            let _ = self.child.kill().await;
            let _ = self.child.wait().await;
            return Ok(told);
        }
    }

    /// Why ssh exited, from what it wrote.
    async fn exited(&mut self) -> Attempt {
        let mut text = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            let _ =
                tokio::time::timeout(Duration::from_secs(2), err.read_to_string(&mut text)).await;
        }
        exit_problem(text, &self.endpoint, &self.instance)
    }
}

fn exit_problem(stderr: String, e: &Endpoint, instance: &Instance) -> Attempt {
    match spec::classify_stderr(&stderr) {
        SshExit::Fatal(FatalKind::AuthRefused) => Attempt::Fatal(
            TunnelProblem::AuthRefused {
                host: e.host.clone(),
                user: e.user.clone(),
                key: e.key.display().to_string(),
            }
            .to_string(),
        ),
        SshExit::Fatal(FatalKind::HostKeyChanged) => Attempt::Fatal(
            TunnelProblem::HostKeyChanged {
                host: e.host.clone(),
                alias: e.host_key_alias.clone(),
                known_hosts: String::from("skiff's known_hosts"),
            }
            .to_string(),
        ),
        SshExit::Fatal(FatalKind::HostKeyUnknown) => {
            Attempt::Fatal(format!("{}: host key not accepted: {stderr}", e.host))
        }
        SshExit::Fatal(FatalKind::KeyTooOpen) => Attempt::Fatal(
            TunnelProblem::KeyTooOpen {
                path: e.key.display().to_string(),
                mode: 0o644,
            }
            .to_string(),
        ),
        SshExit::Transient(line)
            if line.contains("Connection refused")
                || line.contains("timed out")
                || line.contains("No route") =>
        {
            Attempt::Transient(
                TunnelProblem::Unreachable {
                    host: e.host.clone(),
                    port: e.port,
                    why: line,
                    groups: if instance.security_groups.is_empty() {
                        "none listed".into()
                    } else {
                        instance.security_groups.join(", ")
                    },
                }
                .to_string(),
            )
        }
        SshExit::Transient(line) => Attempt::Transient(line),
    }
}
