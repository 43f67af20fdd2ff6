//! SSH tunnels that stay up: a supervised OpenSSH client per host, with every
//! forward of that host in one process, bound to 127.0.0.1 only, probed for
//! health, reconnected with jittered backoff after re-reading the host's
//! address from AWS. A session against an emulator on this machine never
//! dials an address that is not on this machine.

mod connection;
pub mod hostkeys;
pub mod instance_connect;
pub mod native;
pub mod probe;
pub mod registry;
pub mod remote;
pub mod route;
pub mod spec;
pub mod status;
pub mod target;

pub use status::{ForwardStatus, TunnelState, TunnelStatus, TunnelTarget};

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use backon::BackoffBuilder;
use tokio::sync::watch;

use crate::cloud::Session;
use crate::model::{Instance, InstanceState};
use connection::connect_once;
pub use instance_connect::{InstanceConnect, KeyMethod};
use spec::{Endpoint, Forward, TunnelProblem};

/// Settings that do not change between attempts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TunnelSettings {
    pub user: Option<String>,
    pub key: Option<PathBuf>,
    pub ssh_dir: PathBuf,
    pub known_hosts: PathBuf,
    pub accept_new_host_key: bool,
    pub retry_max: Duration,
    pub probe_interval: Duration,
    /// One-time keys with EC2 Instance Connect (where no key file is found,
    /// or always).
    pub instance_connect: InstanceConnect,
    /// `[ssh] reach`: how nodes without a `skiff:reach` tag are reached.
    pub reach: Option<String>,
    /// `[profiles.NAME] reach`, which wins for that profile.
    pub profile_reach: std::collections::BTreeMap<String, String>,
    /// The skiff program ssh runs as its Session Manager proxy (None:
    /// `SKIFF_EXE`, else this program).
    pub proxy_exe: Option<String>,
}

impl TunnelSettings {
    /// From the config: `[tunnel]` user and key, `~/.ssh` (or `SKIFF_SSH_DIR`),
    /// and skiff's known_hosts in the state directory.
    pub fn from_config(
        config: &crate::config::Config,
        dirs: &crate::config::Dirs,
        accept_new_host_key: bool,
    ) -> Self {
        let t = &config.tunnel;
        let home = directories::BaseDirs::new()
            .map(|b| b.home_dir().to_path_buf())
            .unwrap_or_default();
        Self {
            user: (!t.user.is_empty()).then(|| t.user.clone()),
            key: (!t.key.is_empty()).then(|| t.key.clone().into()),
            ssh_dir: std::env::var_os("SKIFF_SSH_DIR")
                .map_or_else(|| home.join(".ssh"), Into::into),
            known_hosts: dirs.state.join("known_hosts"),
            accept_new_host_key,
            retry_max: Duration::from_secs(t.retry_max_secs.max(1)),
            probe_interval: Duration::from_secs(t.probe_interval_secs.max(1)),
            instance_connect: InstanceConnect {
                always: config.ssh.use_instance_connect,
                actions: None,
            },
            reach: Some(config.ssh.reach.trim().to_string()).filter(|r| !r.is_empty()),
            profile_reach: config
                .profiles
                .iter()
                .filter_map(|(p, s)| Some((p.clone(), s.reach.clone()?)))
                .collect(),
            proxy_exe: None,
        }
    }

    /// The same settings, pushing one-time keys through `actions` (the gate
    /// decides) where needed.
    pub fn with_instance_connect(mut self, actions: crate::cloud::actions::Actions) -> Self {
        self.instance_connect.actions = Some(actions);
        self
    }
}

/// A running tunnel: its status, and how to stop or restart it.
#[derive(Debug)]
pub struct Tunnel {
    pub status: watch::Receiver<TunnelStatus>,
    control: watch::Sender<Control>,
    task: tokio::task::JoinHandle<()>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Control {
    Run,
    Restart(u32),
    Stop,
}

impl Tunnel {
    /// Starts supervising a tunnel to `target` with `forwards`.
    pub fn open(
        session: Session,
        target: TunnelTarget,
        forwards: Vec<Forward>,
        settings: TunnelSettings,
    ) -> Self {
        let status = TunnelStatus {
            host: String::new(),
            user: String::new(),
            state: TunnelState::Connecting,
            forwards: forwards
                .iter()
                .map(|f| ForwardStatus {
                    name: f.name.clone(),
                    remote: f.remote,
                    local: f.local,
                    asked_local: f.local,
                    url: format!("http://localhost:{}/", f.local),
                    http_ok: false,
                })
                .collect(),
            restarts: 0,
            ssh_pid: None,
            accepted_fingerprint: None,
            up_since: None,
            was_up: false,
            created: Instant::now(),
            target,
        };
        let (status_tx, status_rx) = watch::channel(status);
        let (control_tx, control_rx) = watch::channel(Control::Run);
        let task = tokio::spawn(supervise(session, settings, status_tx, control_rx));
        Self {
            status: status_rx,
            control: control_tx,
            task,
        }
    }

    /// Drops the connection and connects again now.
    pub fn restart(&self) {
        self.control.send_modify(|c| {
            *c = match *c {
                Control::Restart(n) => Control::Restart(n + 1),
                _ => Control::Restart(1),
            }
        });
    }

    /// Stops the ssh process and waits for the supervisor to end.
    pub async fn close(self) {
        let _ = self.control.send(Control::Stop);
        let _ = self.task.await;
    }

    pub fn current(&self) -> TunnelStatus {
        self.status.borrow().clone()
    }
}

/// Who a tunnel to a target logs in as, where, with which key — what the
/// TUI's dialog shows before anything connects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    pub user: String,
    pub host: String,
    pub port: u16,
    /// The key file, or how the key will be had (EC2 Instance Connect).
    pub key: String,
    /// The host key is recorded in skiff's known_hosts already.
    pub known: bool,
    /// How the address is reached, after it ("", ", over Session
    /// Manager", …).
    pub route: String,
    /// Straight over Session Manager: no ssh login, key or host key.
    pub native: bool,
}

/// Resolves `target` as a connection would (reading the instance from AWS),
/// without connecting: the user, address and key, or why there are none.
pub async fn preview(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
) -> Result<Preview, String> {
    // A preview pushes nothing: what a connection would push is said.
    let would_push = settings.instance_connect.actions.is_some();
    let mut dry = settings.clone();
    dry.instance_connect.actions = None;
    match resolve(session, target, &dry).await {
        Ok((e, _)) if would_push && settings.instance_connect.always => Ok(Preview {
            known: hostkeys::is_known(&settings.known_hosts, &e.host_key_alias),
            route: e.route.says(),
            native: e.route.is_native(),
            user: e.user,
            host: e.host,
            port: e.port,
            key: "a one-time key pushed with EC2 Instance Connect".into(),
        }),
        Ok((e, _)) => Ok(Preview {
            known: hostkeys::is_known(&settings.known_hosts, &e.host_key_alias),
            route: e.route.says(),
            native: e.route.is_native(),
            key: e.method.describe(&e.key),
            user: e.user,
            host: e.host,
            port: e.port,
        }),
        Err(Attempt::NoKey { located, why }) => match located {
            Some((user, host, port)) if would_push => Ok(Preview {
                known: hostkeys::is_known(&settings.known_hosts, &target.instance_id),
                user,
                host,
                port,
                key: "no key file: a one-time key pushed with EC2 Instance Connect".into(),
                route: String::new(),
                native: false,
            }),
            _ => Err(why),
        },
        Err(Attempt::Fatal(why) | Attempt::Transient(why)) => Err(why),
        Err(Attempt::Stopped(state)) => Err(not_running(&target.label, state, "u on its row")),
    }
}

/// Why a node that is not running cannot be reached, and what to do: start
/// it (`how`), or nothing at all once it is terminated (it is gone).
pub(crate) fn not_running(label: &str, state: InstanceState, how: &str) -> String {
    match state {
        InstanceState::Terminated | InstanceState::ShuttingDown => format!(
            "{label} is {state}: it is gone for good (its disks with it) and cannot be reached or started again"
        ),
        _ => format!("{label} is {state}: start it first ({how})"),
    }
}

/// A problem from resolving or connecting: worth a retry, or not.
pub(crate) enum Attempt {
    Transient(String),
    Fatal(String),
    /// No key file, and no one-time key may be pushed: fatal; the user,
    /// host and port it would have used, for a preview.
    NoKey {
        located: Option<(String, String, u16)>,
        why: String,
    },
    Stopped(InstanceState),
}

/// The endpoint of the target as AWS sees it now.
pub(crate) async fn resolve(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
) -> Result<(Endpoint, Instance), Attempt> {
    let instance =
        crate::cloud::ec2::describe_instance(session, &target.region, &target.instance_id)
            .await
            .map_err(|e| Attempt::Transient(e.to_string()))?
            .ok_or_else(|| Attempt::Fatal(format!("{} no longer exists", target.instance_id)))?;
    if instance.state != InstanceState::Running {
        return Err(Attempt::Stopped(instance.state));
    }
    let (host, port, route) = way(session, target, settings, &instance).await?;
    let local_only = match &route {
        route::Route::Ssm { .. } => None,
        route::Route::Jump { host: bastion, .. } => Some(vec![bastion.as_str(), host.as_str()]),
        route::Route::Direct => Some(vec![host.as_str()]),
    };
    if session.is_local_emulator()
        && let Some(off) = local_only
            .into_iter()
            .flatten()
            .find(|h| !crate::cloud::is_loopback_host(h))
    {
        return Err(Attempt::Fatal(off_machine(&target.label, off)));
    }
    let user = login_user(session, target, settings, &instance).await;
    let (key, method) = match key_for(settings, &instance, &user, &host, port).await {
        // Tunnels and shells straight over Session Manager log in with
        // no key; commands and copies say what is missing when they need one.
        Err(Attempt::NoKey { .. }) if route.is_native() => (PathBuf::new(), KeyMethod::None),
        found => found?,
    };
    let route = match route {
        route::Route::Jump {
            host: bastion,
            port: bport,
            alias,
            user: buser,
        } => route::Route::Jump {
            user: if buser.is_empty() {
                user.clone()
            } else {
                buser
            },
            host: bastion,
            port: bport,
            alias,
        },
        other => other,
    };
    Ok((
        Endpoint {
            host,
            port,
            user,
            key,
            host_key_alias: target.instance_id.clone(),
            method,
            route,
        },
        instance,
    ))
}

/// How to reach the node: the `skiff:reach` tag, else `[ssh] reach`, else
/// Session Manager for a node with no public address whose agent is
/// online, else straight to its address. Host, port and route.
async fn way(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
    instance: &Instance,
) -> Result<(String, u16, route::Route), Attempt> {
    use route::{Reach, Route};
    match choose_reach(session, target, settings, instance).await? {
        Reach::Ssh => {
            let (host, port) = address(instance)?;
            Ok((host, port, Route::Direct))
        }
        reach @ (Reach::Ssm | Reach::SshOverSsm) => Ok((
            target.instance_id.clone(),
            22,
            route::over_ssm(
                session,
                &target.region,
                &target.instance_id,
                settings.proxy_exe.clone().unwrap_or_else(route::skiff_exe),
                reach == Reach::Ssm,
            ),
        )),
        Reach::Jump(bastion) => jump(instance, &bastion),
    }
}

/// The tag, the profile's or general `reach`, else Session Manager for a
/// node with no public address whose agent is online, else ssh.
async fn choose_reach(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
    instance: &Instance,
) -> Result<route::Reach, Attempt> {
    use route::Reach;
    let configured = settings
        .profile_reach
        .get(&session.profile)
        .or(settings.reach.as_ref());
    if let Some(text) = instance.tags.get("skiff:reach").or(configured) {
        return Reach::parse(text).map_err(|e| Attempt::Fatal(format!("{}: {e}", target.label)));
    }
    let private = instance.public_ip.is_none()
        && instance.public_dns.is_none()
        && !instance.tags.contains_key("skiff:ssh-host");
    if !private {
        return Ok(Reach::Ssh);
    }
    let agents = crate::cloud::ssm::agents(
        session,
        &target.region,
        std::slice::from_ref(&target.instance_id),
    )
    .await
    .unwrap_or_default();
    Ok(
        if agents.get(&target.instance_id).copied().unwrap_or(false) {
            Reach::SshOverSsm
        } else {
            Reach::Ssh
        },
    )
}

/// Through `bastion` (`[USER@]HOST[:PORT]`), which dials the node's own
/// (private) address, or its `skiff:ssh-host`.
fn jump(instance: &Instance, bastion: &str) -> Result<(String, u16, route::Route), Attempt> {
    let (user, host, port) = route::parse_bastion(bastion, "").map_err(Attempt::Fatal)?;
    let (node, node_port) = match instance.tags.get("skiff:ssh-host") {
        Some(h) => spec::parse_host(h).map_err(Attempt::Fatal)?,
        None => (
            instance
                .private_ip
                .clone()
                .or_else(|| instance.public_ip.clone())
                .ok_or_else(|| Attempt::Transient("the instance has no address yet".into()))?,
            22,
        ),
    };
    Ok((
        node,
        node_port,
        route::Route::Jump {
            alias: format!("bastion-{host}-{port}"),
            user,
            host,
            port,
        },
    ))
}

/// Where to dial: the `skiff:ssh-host` tag, else the instance's public DNS
/// name, public or private address, on port 22.
fn address(instance: &Instance) -> Result<(String, u16), Attempt> {
    match instance.tags.get("skiff:ssh-host") {
        Some(h) => spec::parse_host(h).map_err(Attempt::Fatal),
        None => {
            let addr = instance
                .public_dns
                .clone()
                .or_else(|| instance.public_ip.clone())
                .or_else(|| instance.private_ip.clone());
            Ok((
                addr.ok_or_else(|| Attempt::Transient("the instance has no address yet".into()))?,
                22,
            ))
        }
    }
}

/// Whom to log in as: the instance's `skiff:ssh-user` tag, the configured
/// user, EMR's, or the one its image's name suggests.
async fn login_user(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
    instance: &Instance,
) -> String {
    let image = match (
        &settings.user,
        instance.tags.get("skiff:ssh-user"),
        &instance.image_id,
    ) {
        (None, None, Some(image)) if !target.emr => {
            crate::cloud::ec2::image_name(session, &target.region, image).await
        }
        _ => None,
    };
    spec::choose_user(
        instance.tags.get("skiff:ssh-user").map(String::as_str),
        settings.user.as_deref(),
        target.emr,
        image.as_deref(),
    )
}

/// The key to log in with: a key file found (its mode checked), unless
/// one-time keys are always wanted; else a one-time key pushed with EC2
/// Instance Connect where one may be pushed; else why there is none (with
/// `user`, `host` and `port`, for a preview).
async fn key_for(
    settings: &TunnelSettings,
    instance: &Instance,
    user: &str,
    host: &str,
    port: u16,
) -> Result<(PathBuf, KeyMethod), Attempt> {
    let candidates = spec::key_candidates(
        &settings.ssh_dir,
        instance.key_name.as_deref(),
        settings.key.as_deref(),
    );
    let found = candidates.iter().find(|p| p.is_file()).cloned();
    let ic = &settings.instance_connect;
    match (found, &ic.actions) {
        (Some(key), _) if !ic.always => {
            check_key_mode(&key).map_err(|p| Attempt::Fatal(p.to_string()))?;
            Ok((key, KeyMethod::File))
        }
        (_, Some(actions)) => {
            let state = settings
                .known_hosts
                .parent()
                .unwrap_or_else(|| Path::new("."));
            instance_connect::push_one_time_key(actions, instance, user, state)
                .await
                .map_err(Attempt::Fatal)
        }
        (Some(key), None) => {
            check_key_mode(&key).map_err(|p| Attempt::Fatal(p.to_string()))?;
            Ok((key, KeyMethod::File))
        }
        (None, None) => Err(Attempt::NoKey {
            located: Some((user.to_string(), host.to_string(), port)),
            why: TunnelProblem::KeyMissing {
                tried: candidates.iter().map(|p| p.display().to_string()).collect(),
            }
            .to_string(),
        }),
    }
}

/// Why skiff does not dial `host` for a session against a local emulator:
/// the emulator's instances claim made-up public addresses, and dialling
/// them would send traffic off this machine to whoever owns them.
pub fn off_machine(label: &str, host: &str) -> String {
    format!(
        "{label} is an emulated instance with the made-up address {host}: skiff does not dial addresses off this machine for a local emulator. `skiff sandbox` points its sample instances at an SSH server on this machine when OpenSSH's server is installed (Debian: apt-get install openssh-server); or tag the instance skiff:ssh-host=127.0.0.1:PORT"
    )
}

#[cfg(unix)]
fn check_key_mode(key: &Path) -> Result<(), TunnelProblem> {
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(key)
        .map(|m| m.permissions().mode() & 0o777)
        .unwrap_or(0o600);
    if mode & 0o077 != 0 {
        return Err(TunnelProblem::KeyTooOpen {
            path: key.display().to_string(),
            mode,
        });
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_key_mode(_key: &Path) -> Result<(), TunnelProblem> {
    Ok(())
}

/// Waits for `d`, or returns early when the control says stop or restart.
async fn pause(control: &mut watch::Receiver<Control>, d: Duration) -> Control {
    let current = *control.borrow();
    tokio::select! {
        _ = tokio::time::sleep(d) => current,
        changed = control.changed() => match changed {
            Ok(()) => *control.borrow_and_update(),
            Err(_) => Control::Stop,
        },
    }
}

fn new_backoff(max: Duration) -> backon::ExponentialBackoff {
    backon::ExponentialBuilder::default()
        .with_min_delay(Duration::from_millis(500))
        .with_max_delay(max)
        .with_jitter()
        .without_max_times()
        .build()
}

/// The waits between failed attempts: jittered, growing to `max`, counted.
struct Retries {
    max: Duration,
    backoff: backon::ExponentialBackoff,
    attempt: u32,
}

impl Retries {
    fn new(max: Duration) -> Self {
        Self {
            max,
            backoff: new_backoff(max),
            attempt: 0,
        }
    }

    /// From the shortest wait again.
    fn reset(&mut self) {
        *self = Self::new(self.max);
    }

    /// The next wait, and the state that says it and why.
    fn next(&mut self, last_error: String) -> (Duration, TunnelState) {
        self.attempt += 1;
        let d = self.backoff.next().unwrap_or(self.max);
        (
            d,
            TunnelState::Retrying {
                attempt: self.attempt,
                next_try_in_secs: d.as_secs().max(1),
                last_error,
            },
        )
    }
}

async fn supervise(
    session: Session,
    settings: TunnelSettings,
    status: watch::Sender<TunnelStatus>,
    mut control: watch::Receiver<Control>,
) {
    let target = status.borrow().target.clone();
    let mut retries = Retries::new(settings.retry_max);
    loop {
        if *control.borrow() == Control::Stop {
            break;
        }
        let reconnecting = status.borrow().was_up;
        let outcome = connect_once(
            &session,
            &target,
            &settings,
            &status,
            &mut control,
            reconnecting,
        )
        .await;
        let (wait, state) = match outcome {
            Ok(Control::Stop) => break,
            Ok(_) => {
                // Restarted by the user: connect again at once.
                retries.reset();
                continue;
            }
            Err(Attempt::Fatal(why) | Attempt::NoKey { why, .. }) => {
                status.send_modify(|s| s.state = TunnelState::Failed { why });
                // Nothing will change by itself: wait for restart or stop.
                if until_told(&mut control).await == Control::Stop {
                    return finish(&status);
                }
                continue;
            }
            Err(Attempt::Stopped(state)) => {
                // No busy loop: look again in a while.
                (
                    Duration::from_secs(15),
                    TunnelState::TargetStopped {
                        state: state.to_string(),
                    },
                )
            }
            Err(Attempt::Transient(last_error)) => {
                // A drop after being up starts the backoff afresh.
                if status.borrow().up_since.is_some() {
                    retries.reset();
                }
                retries.next(last_error)
            }
        };
        status.send_modify(|s| {
            s.state = state;
            s.ssh_pid = None;
            s.up_since = None;
        });
        if pause(&mut control, wait).await == Control::Stop {
            break;
        }
    }
    finish(&status);
}

/// Waits until the control says restart or stop, and answers which.
async fn until_told(control: &mut watch::Receiver<Control>) -> Control {
    loop {
        match pause(control, Duration::from_secs(3600)).await {
            Control::Run => {}
            told => return told,
        }
    }
}

fn finish(status: &watch::Sender<TunnelStatus>) {
    status.send_modify(|s| {
        s.state = TunnelState::Closed;
        s.ssh_pid = None;
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_terminated_node_is_never_told_to_be_started() {
        let gone = not_running("old-box", InstanceState::Terminated, "u on its row");
        assert!(gone.contains("gone for good"), "{gone}");
        assert!(!gone.contains("start it first"), "{gone}");
        let stopped = not_running("box", InstanceState::Stopped, "u on its row");
        assert_eq!(stopped, "box is stopped: start it first (u on its row)");
    }
}
