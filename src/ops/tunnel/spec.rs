//! What a tunnel is, and how to reach its host (pure logic): presets and
//! `REMOTE[:LOCAL]` ports, the SSH user, key and address of an instance, the
//! ssh command line, and what ssh's complaints mean.

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};

/// One forwarded port.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct Forward {
    /// The preset's name, or `port N` for a free-form port.
    pub name: String,
    pub remote: u16,
    /// The local port asked for (the next free one is used if it is taken).
    pub local: u16,
}

/// Parses `REMOTE[:LOCAL]` (`8888`, `8888:18888`).
pub fn parse_port(text: &str) -> Result<Forward, String> {
    let bad = || format!("`{text}` is not REMOTE[:LOCAL] (e.g. 8888 or 8888:18888)");
    let (remote, local) = match text.split_once(':') {
        Some((r, l)) => (
            r.parse::<u16>().map_err(|_| bad())?,
            l.parse::<u16>().map_err(|_| bad())?,
        ),
        None => {
            let r = text.parse::<u16>().map_err(|_| bad())?;
            (r, r)
        }
    };
    if remote == 0 || local == 0 {
        return Err(bad());
    }
    Ok(Forward {
        name: format!("port {remote}"),
        remote,
        local,
    })
}

/// The forward of a named preset. Local ports below 1024 are moved up
/// (a Chromebook's browser only reaches the Linux container on ports ≥ 1024,
/// and binding them needs no privileges).
pub fn preset_forward(presets: &BTreeMap<String, u16>, name: &str) -> Result<Forward, String> {
    let remote = *presets.get(name).ok_or_else(|| {
        format!(
            "no preset `{name}` (presets: {})",
            presets.keys().cloned().collect::<Vec<_>>().join(", ")
        )
    })?;
    let local = if remote < 1024 {
        remote.saturating_add(10000)
    } else {
        remote
    };
    Ok(Forward {
        name: name.to_string(),
        remote,
        local,
    })
}

/// Where to connect: address, port, user and key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub host: String,
    pub port: u16,
    pub user: String,
    pub key: PathBuf,
    /// Name the host key is stored under: the instance id, so a new public
    /// IP after a restart is still recognised as the same host.
    pub host_key_alias: String,
    /// A key file, or a one-time key pushed with EC2 Instance Connect.
    pub method: super::KeyMethod,
    /// Straight, over Session Manager, or through a bastion.
    pub route: super::route::Route,
}

/// `HOST` or `HOST:PORT` (the `skiff:ssh-host` tag's value).
pub fn parse_host(text: &str) -> Result<(String, u16), String> {
    match text.rsplit_once(':') {
        Some((h, p)) if !h.is_empty() => Ok((
            h.to_string(),
            p.parse().map_err(|_| format!("`{text}`: bad port"))?,
        )),
        Some(_) => Err(format!("`{text}` is not HOST or HOST:PORT")),
        None if !text.is_empty() => Ok((text.to_string(), 22)),
        None => Err("empty host".to_string()),
    }
}

/// The login user for an AMI name (the common distribution conventions).
pub fn user_for_image(image_name: &str) -> Option<&'static str> {
    let n = image_name.to_lowercase();
    let table: [(&str, &str); 9] = [
        ("ubuntu", "ubuntu"),
        ("debian", "admin"),
        ("amzn", "ec2-user"),
        ("al2023", "ec2-user"),
        ("amazon", "ec2-user"),
        ("rhel", "ec2-user"),
        ("centos", "centos"),
        ("fedora", "fedora"),
        ("bitnami", "bitnami"),
    ];
    table
        .iter()
        .find(|(needle, _)| n.contains(needle))
        .map(|(_, user)| *user)
}

/// The SSH user: the `skiff:ssh-user` tag, else the configured user, else
/// `hadoop` on EMR, else from the AMI name, else `ec2-user`.
pub fn choose_user(
    tag: Option<&str>,
    configured: Option<&str>,
    emr: bool,
    image_name: Option<&str>,
) -> String {
    tag.or(configured)
        .map(str::to_string)
        .or_else(|| emr.then(|| "hadoop".to_string()))
        .or_else(|| image_name.and_then(user_for_image).map(str::to_string))
        .unwrap_or_else(|| "ec2-user".to_string())
}

/// Where skiff looks for the key of `key_name`, in order.
pub fn key_candidates(
    ssh_dir: &Path,
    key_name: Option<&str>,
    configured: Option<&Path>,
) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = configured.map(Path::to_path_buf).into_iter().collect();
    if let Some(name) = key_name {
        out.push(ssh_dir.join(format!("{name}.pem")));
        out.push(ssh_dir.join(name));
    }
    out
}

/// A problem the user can act on, in words that say what to do.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TunnelProblem {
    #[error("no key file found (tried {}); put the key there, or set `key` for this host in the config", tried.join(", "))]
    KeyMissing { tried: Vec<String> },
    #[error(
        "the key file {path} can be read by others (mode {mode:o}); ssh refuses it: run `chmod 600 {path}`"
    )]
    KeyTooOpen { path: String, mode: u32 },
    #[error(
        "the host key of {host} changed since it was recorded — this could be a new instance, or someone in between. \
         Check the fingerprint in the instance's console output (EC2 → Get system log), then remove the old entry \
         with `ssh-keygen -R {alias} -f {known_hosts}`"
    )]
    HostKeyChanged {
        host: String,
        alias: String,
        known_hosts: String,
    },
    #[error(
        "{host} is seen for the first time; its host key fingerprint is {fingerprint}. Accept it with --accept-new-host-key (or in the TUI) if it is right"
    )]
    HostKeyUnknown { host: String, fingerprint: String },
    #[error(
        "cannot reach {host} on port {port} ({why}); check that its security groups ({groups}) allow SSH from your address"
    )]
    Unreachable {
        host: String,
        port: u16,
        why: String,
        groups: String,
    },
    #[error(
        "{host} refused the login as `{user}` with the key {key}; check the user (tag skiff:ssh-user) and that the key belongs to the instance"
    )]
    AuthRefused {
        host: String,
        user: String,
        key: String,
    },
}

/// What an ssh exit means, from its stderr.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SshExit {
    /// Worth retrying (network, the host restarting).
    Transient(String),
    /// The user must act; retrying will not help.
    Fatal(FatalKind),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FatalKind {
    AuthRefused,
    HostKeyChanged,
    HostKeyUnknown,
    KeyTooOpen,
}

/// Classifies ssh's stderr. Unreachable hosts are transient: the instance
/// may be booting, or the laptop waking up.
pub fn classify_stderr(stderr: &str) -> SshExit {
    if stderr.contains("REMOTE HOST IDENTIFICATION HAS CHANGED")
        || stderr.contains("Host key for") && stderr.contains("has changed")
    {
        return SshExit::Fatal(FatalKind::HostKeyChanged);
    }
    if stderr.contains("UNPROTECTED PRIVATE KEY FILE") {
        return SshExit::Fatal(FatalKind::KeyTooOpen);
    }
    if stderr.contains("No ED25519 host key is known")
        || stderr.contains("host key is known for")
        || stderr.contains("Host key verification failed")
    {
        return SshExit::Fatal(FatalKind::HostKeyUnknown);
    }
    if stderr.contains("Permission denied (") {
        return SshExit::Fatal(FatalKind::AuthRefused);
    }
    let line = stderr
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty() && !l.starts_with("Warning: Permanently added"))
        .unwrap_or("ssh exited")
        .trim()
        .to_string();
    SshExit::Transient(line)
}

/// The options every connection skiff makes shares (tunnels, shells,
/// commands, copies), and why:
/// - `BatchMode=yes`: never a password or passphrase prompt (passphrases
///   come from ssh-agent), so nothing hangs behind the TUI or in cron;
/// - `StrictHostKeyChecking=yes` against skiff's own known_hosts
///   (`UserKnownHostsFile`, the global file off) under `HostKeyAlias` = the
///   instance id: a new public IP after a start is the same host, a new key
///   is refused; new hosts are recorded only when the user accepts them;
/// - `IdentitiesOnly=yes` with `-i`: only the instance's key is offered
///   (an agent full of keys would exhaust the server's tries);
/// - `ServerAliveInterval=10`/`CountMax=3`: a dead link is noticed in 30 s;
/// - `ConnectTimeout=10`: an unreachable host fails instead of hanging.
fn shared_options(e: &Endpoint, known_hosts: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-o".into(),
        "ServerAliveInterval=10".into(),
        "-o".into(),
        "ServerAliveCountMax=3".into(),
    ];
    args.extend(login_options(&e.host_key_alias, &e.key, known_hosts));
    args.extend(super::route::options(
        &e.route,
        e.port,
        &e.host,
        &e.key,
        known_hosts,
    ));
    args
}

/// How skiff logs in to any host (a node, a bastion): no prompt, a
/// bounded connect, the host key strictly checked in skiff's known_hosts
/// under `alias`, and the one key.
pub(super) fn login_options(alias: &str, key: &Path, known_hosts: &Path) -> Vec<String> {
    vec![
        "-o".into(),
        "BatchMode=yes".into(),
        "-o".into(),
        "ConnectTimeout=10".into(),
        "-o".into(),
        "StrictHostKeyChecking=yes".into(),
        "-o".into(),
        format!("UserKnownHostsFile={}", known_hosts.display()),
        "-o".into(),
        "GlobalKnownHostsFile=/dev/null".into(),
        "-o".into(),
        format!("HostKeyAlias={alias}"),
        "-o".into(),
        "IdentitiesOnly=yes".into(),
        "-i".into(),
        key.display().to_string(),
    ]
}

/// The ssh arguments of a tunnel: one process, no command (`-N -T`), every
/// forward bound to 127.0.0.1, failing fast if a forward cannot be set up
/// (`ExitOnForwardFailure`), with the [`shared_options`].
pub fn ssh_args(e: &Endpoint, forwards: &[(u16, u16)], known_hosts: &Path) -> Vec<String> {
    let mut args: Vec<String> = vec![
        "-N".into(),
        "-T".into(),
        "-o".into(),
        "ExitOnForwardFailure=yes".into(),
    ];
    args.extend(shared_options(e, known_hosts));
    args.extend(["-p".into(), e.port.to_string()]);
    for (local, remote) in forwards {
        args.push("-L".into());
        args.push(format!("127.0.0.1:{local}:127.0.0.1:{remote}"));
    }
    args.push(format!("{}@{}", e.user, e.host));
    args
}

/// The ssh arguments of a shell (`-t`: a terminal for an interactive one)
/// or of `command` (no terminal: its output is read, its exit code kept).
pub fn shell_args(e: &Endpoint, known_hosts: &Path, command: &[String]) -> Vec<String> {
    let mut args = shared_options(e, known_hosts);
    args.extend(["-p".into(), e.port.to_string()]);
    if command.is_empty() {
        args.push("-t".into());
    } else {
        args.push("-T".into());
    }
    args.push(format!("{}@{}", e.user, e.host));
    if let Some(c) = remote_command(command) {
        args.push("--".into());
        args.push(c);
    }
    args
}

/// The program and arguments of a tunnel holding `forwards` (local,
/// remote): ssh ([`ssh_args`]), or `skiff ssm-forward` for a node reached
/// straight over Session Manager.
pub fn tunnel_command(
    e: &Endpoint,
    forwards: &[(u16, u16)],
    known_hosts: &Path,
) -> (String, Vec<String>) {
    if let super::route::Route::Ssm {
        instance,
        native: true,
        ..
    } = &e.route
    {
        let tail: Vec<String> = std::iter::once(instance.clone())
            .chain(forwards.iter().map(|(l, r)| format!("{l}:{r}")))
            .collect();
        if let Some(mut words) = e.route.skiff_words("ssm-forward", &tail) {
            let program = words.remove(0);
            return (program, words);
        }
    }
    ("ssh".to_string(), ssh_args(e, forwards, known_hosts))
}

/// The program and arguments of an interactive shell on `e`: ssh, or
/// `skiff ssm-shell` for a node reached straight over Session Manager.
pub fn interactive(e: &Endpoint, known_hosts: &Path) -> (String, Vec<String>) {
    let native = match &e.route {
        super::route::Route::Ssm {
            instance,
            native: true,
            ..
        } => e
            .route
            .skiff_words("ssm-shell", std::slice::from_ref(instance)),
        _ => None,
    };
    match native {
        Some(mut words) if !words.is_empty() => {
            let program = words.remove(0);
            (program, words)
        }
        _ => ("ssh".to_string(), shell_args(e, known_hosts, &[])),
    }
}

/// The command line the remote shell runs: one word as it is (`"ls | wc"`
/// keeps its pipe), several quoted one by one (ssh would join them with
/// spaces, and `sh -c 'exit 3'` would lose its quotes).
pub fn remote_command(words: &[String]) -> Option<String> {
    match words {
        [] => None,
        [one] => Some(one.clone()),
        many => Some(
            shlex::try_join(many.iter().map(String::as_str)).unwrap_or_else(|_| many.join(" ")),
        ),
    }
}

/// The scp arguments (SFTP underneath) copying `from` to `to`, each a local
/// path or `REMOTE` on the host (written `user@host:REMOTE` here).
pub fn scp_args(e: &Endpoint, known_hosts: &Path, from: Side<'_>, to: Side<'_>) -> Vec<String> {
    let mut args = shared_options(e, known_hosts);
    args.extend(["-P".into(), e.port.to_string(), "-q".into(), "-p".into()]);
    let side = |s: Side<'_>| match s {
        Side::Local(p) => p.display().to_string(),
        Side::Remote(r) => format!("{}@{}:{r}", e.user, scp_host(&e.host)),
    };
    args.push(side(from));
    args.push(side(to));
    args
}

/// One end of a copy.
#[derive(Debug, Clone, Copy)]
pub enum Side<'a> {
    Local(&'a Path),
    Remote(&'a str),
}

/// An IPv6 address in brackets, as scp wants it.
fn scp_host(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// The first port from `wanted` up that `is_free` says is free.
pub fn first_free_port(wanted: u16, taken: &[u16], is_free: impl Fn(u16) -> bool) -> Option<u16> {
    (wanted..=u16::MAX).find(|p| !taken.contains(p) && is_free(*p))
}

impl fmt::Display for Forward {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({} → {})", self.name, self.local, self.remote)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_parse() {
        assert_eq!(
            parse_port("8888"),
            Ok(Forward {
                name: "port 8888".into(),
                remote: 8888,
                local: 8888
            })
        );
        assert_eq!(
            parse_port("8888:18888").map(|f| (f.remote, f.local)),
            Ok((8888, 18888))
        );
        for bad in ["", "x", "0", "8888:", "70000", "1:2:3"] {
            assert!(parse_port(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn presets_move_privileged_local_ports_up() {
        let presets: BTreeMap<String, u16> =
            [("rstudio".to_string(), 8787), ("web".to_string(), 80)].into();
        assert_eq!(
            preset_forward(&presets, "rstudio").map(|f| f.local),
            Ok(8787)
        );
        assert_eq!(preset_forward(&presets, "web").map(|f| f.local), Ok(10080));
        assert!(
            preset_forward(&presets, "nope")
                .expect_err("unknown")
                .contains("presets: rstudio, web")
        );
    }

    #[test]
    fn user_discovery_order() {
        assert_eq!(
            choose_user(Some("me"), Some("cfg"), true, Some("ubuntu-jammy")),
            "me"
        );
        assert_eq!(choose_user(None, Some("cfg"), true, None), "cfg");
        assert_eq!(choose_user(None, None, true, Some("ubuntu")), "hadoop");
        assert_eq!(
            choose_user(
                None,
                None,
                false,
                Some("ubuntu/images/hvm-ssd/ubuntu-jammy-22.04")
            ),
            "ubuntu"
        );
        assert_eq!(
            choose_user(None, None, false, Some("debian-12-amd64")),
            "admin"
        );
        assert_eq!(
            choose_user(None, None, false, Some("al2023-ami-2023")),
            "ec2-user"
        );
        assert_eq!(choose_user(None, None, false, None), "ec2-user");
    }

    #[test]
    fn hosts_and_keys() {
        assert_eq!(parse_host("10.0.0.5"), Ok(("10.0.0.5".into(), 22)));
        assert_eq!(
            parse_host("bastion.example:2222"),
            Ok(("bastion.example".into(), 2222))
        );
        assert!(parse_host(":22").is_err());
        let c = key_candidates(Path::new("/home/u/.ssh"), Some("rnd-key"), None);
        assert_eq!(
            c,
            [
                PathBuf::from("/home/u/.ssh/rnd-key.pem"),
                PathBuf::from("/home/u/.ssh/rnd-key")
            ]
        );
    }

    #[test]
    fn ssh_stderr_is_understood() {
        assert_eq!(
            classify_stderr("user@h: Permission denied (publickey)."),
            SshExit::Fatal(FatalKind::AuthRefused)
        );
        assert_eq!(
            classify_stderr("@@@@\n@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @\n"),
            SshExit::Fatal(FatalKind::HostKeyChanged)
        );
        assert_eq!(
            classify_stderr(
                "No ED25519 host key is known for i-1 and you have requested strict checking.\nHost key verification failed."
            ),
            SshExit::Fatal(FatalKind::HostKeyUnknown)
        );
        assert_eq!(
            classify_stderr("WARNING: UNPROTECTED PRIVATE KEY FILE!"),
            SshExit::Fatal(FatalKind::KeyTooOpen)
        );
        assert_eq!(
            classify_stderr("ssh: connect to host 127.0.0.1 port 2222: Connection refused\n"),
            SshExit::Transient(
                "ssh: connect to host 127.0.0.1 port 2222: Connection refused".into()
            )
        );
    }

    #[test]
    fn ssh_command_binds_loopback_only_and_checks_host_keys() {
        let e = Endpoint {
            host: "1.2.3.4".into(),
            port: 22,
            user: "ubuntu".into(),
            key: "/k.pem".into(),
            host_key_alias: "i-1".into(),
            method: crate::ops::tunnel::KeyMethod::File,
            route: Default::default(),
        };
        let args = ssh_args(
            &e,
            &[(8787, 8787), (18000, 8000)],
            Path::new("/s/known_hosts"),
        );
        assert!(args.contains(&"127.0.0.1:8787:127.0.0.1:8787".to_string()));
        assert!(args.contains(&"127.0.0.1:18000:127.0.0.1:8000".to_string()));
        for opt in [
            "ExitOnForwardFailure=yes",
            "BatchMode=yes",
            "StrictHostKeyChecking=yes",
            "HostKeyAlias=i-1",
            "UserKnownHostsFile=/s/known_hosts",
        ] {
            assert!(args.contains(&opt.to_string()), "{opt}");
        }
        assert_eq!(args.last().map(String::as_str), Some("ubuntu@1.2.3.4"));
        assert_eq!(first_free_port(8000, &[8001], |p| p != 8000), Some(8002));
    }
}

#[cfg(test)]
mod command_tests {
    use super::remote_command;

    #[test]
    fn words_reach_the_remote_shell_as_typed() {
        let w = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(remote_command(&[]), None);
        assert_eq!(
            remote_command(&w(&["ls -l | wc -l"])).as_deref(),
            Some("ls -l | wc -l")
        );
        assert_eq!(
            remote_command(&w(&["sh", "-c", "exit 3"])).as_deref(),
            Some("sh -c 'exit 3'")
        );
        assert_eq!(
            remote_command(&w(&["echo", "hello"])).as_deref(),
            Some("echo hello")
        );
    }
}
