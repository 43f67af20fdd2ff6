//! How ssh reaches a node: straight to its address (`ssh`), through
//! Session Manager (`ssh-over-ssm`: OpenSSH with `skiff ssm-proxy` as its
//! ProxyCommand, so host keys, scp, tunnels and exit codes stay OpenSSH's),
//! or through a bastion (`jump:HOST`: `ssh -W` on the bastion as the
//! ProxyCommand, the bastion's own host key checked in skiff's known_hosts).
//! `ssm` goes further: tunnels and interactive shells go straight over
//! Session Manager (`skiff ssm-forward`, `skiff ssm-shell`), so a node
//! needs no SSH server for them; commands and copies still need one and go
//! as `ssh-over-ssm`.
//!
//! Chosen by the instance's `skiff:reach` tag, else `[ssh] reach` in the
//! config, else: a node with no public address whose Session Manager agent
//! is online goes over Session Manager.

use std::path::Path;

use crate::cloud::Session;

/// The value of the `skiff:reach` tag or `[ssh] reach`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    Ssh,
    /// Tunnels and shells straight over Session Manager.
    Ssm,
    SshOverSsm,
    /// `HOST`, `USER@HOST` or `USER@HOST:PORT` of a bastion.
    Jump(String),
}

impl Reach {
    pub fn parse(text: &str) -> Result<Reach, String> {
        match text.trim() {
            "ssh" => Ok(Reach::Ssh),
            "ssm" => Ok(Reach::Ssm),
            "ssh-over-ssm" => Ok(Reach::SshOverSsm),
            t => match t.strip_prefix("jump:") {
                Some(h) if !h.trim().is_empty() => Ok(Reach::Jump(h.trim().to_string())),
                _ => Err(format!(
                    "`{text}` is not a way to reach a node: ssh, ssm, ssh-over-ssm or jump:HOST"
                )),
            },
        }
    }

    pub fn label(&self) -> String {
        match self {
            Reach::Ssh => "ssh".into(),
            Reach::Ssm => "Session Manager (tunnels and shells without ssh)".into(),
            Reach::SshOverSsm => "ssh over Session Manager".into(),
            Reach::Jump(h) => format!("ssh through {h}"),
        }
    }
}

/// How an ssh process gets to the node.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Route {
    /// Straight to the address.
    #[default]
    Direct,
    /// Through Session Manager: `skiff ssm-proxy INSTANCE PORT`.
    Ssm {
        region: String,
        instance: String,
        /// What the proxy needs to reach the same account.
        profile: Option<String>,
        endpoint_url: Option<String>,
        /// Credentials only an emulator on this machine gets this way.
        emulator_keys: bool,
        /// The skiff program that runs `ssm-proxy`.
        exe: String,
        /// Tunnels and shells without ssh (`ssm-forward`, `ssm-shell`).
        native: bool,
    },
    /// Through a bastion: `ssh -W HOST:PORT` there.
    Jump {
        user: String,
        host: String,
        port: u16,
        /// The name its host key is kept under.
        alias: String,
    },
}

/// The program to run as the Session Manager proxy: `SKIFF_EXE`, else this
/// program (tests that run the TUI in their own process name the binary).
pub fn skiff_exe() -> String {
    std::env::var("SKIFF_EXE")
        .ok()
        .filter(|s| !s.is_empty())
        .or_else(|| {
            std::env::current_exe()
                .ok()
                .map(|p| p.display().to_string())
        })
        .unwrap_or_else(|| "skiff".to_string())
}

/// How skiff reaches `instance`, in words, before asking AWS anything:
/// the `skiff:reach` tag, else `config_reach`, else by its addresses.
pub fn described(instance: &crate::model::Instance, config_reach: &str) -> String {
    let (text, whence) = match instance.tags.get("skiff:reach") {
        Some(t) => (t.as_str(), " (its skiff:reach tag)"),
        None if !config_reach.trim().is_empty() => (config_reach, " ([ssh] reach)"),
        None => ("", ""),
    };
    if !text.is_empty() {
        return match Reach::parse(text) {
            Ok(r) => format!("{}{whence}", r.label()),
            Err(e) => e,
        };
    }
    if instance.tags.contains_key("skiff:ssh-host") {
        "ssh to its skiff:ssh-host".to_string()
    } else if instance.public_ip.is_some() || instance.public_dns.is_some() {
        "ssh to its public address".to_string()
    } else {
        "ssh over Session Manager when its agent is online (no public address), else ssh to its private address".to_string()
    }
}

/// The Session Manager route for `instance` in `session`'s account.
pub fn over_ssm(
    session: &Session,
    region: &str,
    instance: &str,
    exe: String,
    native: bool,
) -> Route {
    Route::Ssm {
        exe,
        native,
        region: region.to_string(),
        instance: instance.to_string(),
        profile: Some(session.profile.clone()).filter(|p| p != "default"),
        endpoint_url: session.endpoint_url.clone(),
        emulator_keys: session.is_local_emulator(),
    }
}

/// The ssh options of `route` (none for a direct one). `key` and
/// `known_hosts` are the ones the bastion is reached with.
pub fn options(
    route: &Route,
    port: u16,
    host: &str,
    key: &Path,
    known_hosts: &Path,
) -> Vec<String> {
    let command = match route {
        Route::Direct => return Vec::new(),
        Route::Ssm { instance, .. } => {
            let tail = [instance.clone(), port.to_string()];
            join(&route.skiff_words("ssm-proxy", &tail).unwrap_or_default())
        }
        Route::Jump {
            user,
            host: bastion,
            port: bastion_port,
            alias,
        } => {
            let mut words: Vec<String> = vec!["ssh".into()];
            words.extend(super::spec::login_options(alias, key, known_hosts));
            words.extend([
                "-p".into(),
                bastion_port.to_string(),
                "-W".into(),
                format!("{}:{port}", bracket(host)),
                format!("{user}@{bastion}"),
            ]);
            join(&words)
        }
    };
    vec!["-o".into(), format!("ProxyCommand={command}")]
}

impl Route {
    /// The command line of the skiff subcommand `verb` (`ssm-proxy`,
    /// `ssm-forward`, `ssm-shell`) reaching this route's account and
    /// region, `tail` after; None off Session Manager.
    pub fn skiff_words(&self, verb: &str, tail: &[String]) -> Option<Vec<String>> {
        let Route::Ssm {
            region,
            profile,
            endpoint_url,
            emulator_keys,
            exe,
            ..
        } = self
        else {
            return None;
        };
        let mut words: Vec<String> = Vec::new();
        if *emulator_keys {
            // A local emulator checks no signature; these keys reach
            // nothing else.
            words.extend([
                "env".into(),
                "AWS_ACCESS_KEY_ID=skiff-emulator".into(),
                "AWS_SECRET_ACCESS_KEY=skiff-emulator".into(),
            ]);
        }
        words.push(exe.clone());
        words.extend([verb.into(), "--region".into(), region.clone()]);
        if let Some(p) = profile {
            words.extend(["--profile".into(), p.clone()]);
        }
        if let Some(e) = endpoint_url {
            words.extend(["--endpoint-url".into(), e.clone()]);
        }
        words.extend(tail.iter().cloned());
        Some(words)
    }

    /// Tunnels and shells go without ssh.
    pub fn is_native(&self) -> bool {
        matches!(self, Route::Ssm { native: true, .. })
    }

    /// The route ssh takes: a native one becomes ssh over Session Manager
    /// (commands and copies need an SSH server).
    pub fn for_ssh(self) -> Route {
        match self {
            Route::Ssm {
                region,
                instance,
                profile,
                endpoint_url,
                emulator_keys,
                exe,
                ..
            } => Route::Ssm {
                region,
                instance,
                profile,
                endpoint_url,
                emulator_keys,
                exe,
                native: false,
            },
            other => other,
        }
    }

    /// How the route is said after an address: "" for a direct one.
    pub fn says(&self) -> String {
        match self {
            Route::Direct => String::new(),
            Route::Ssm { native: true, .. } => {
                ", straight over Session Manager (no ssh)".to_string()
            }
            Route::Ssm { .. } => ", over Session Manager".to_string(),
            Route::Jump {
                user, host, port, ..
            } => format!(", through the bastion {user}@{host}:{port}"),
        }
    }
}

/// `[v6]` for an IPv6 address in `HOST:PORT`.
fn bracket(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_string()
    }
}

/// One shell command line; ssh runs a ProxyCommand with the user's shell
/// (itself putting `exec` before it). `%` is ssh's escape character there.
fn join(words: &[String]) -> String {
    let line =
        shlex::try_join(words.iter().map(String::as_str)).unwrap_or_else(|_| words.join(" "));
    line.replace('%', "%%")
}

/// A bastion named `[USER@]HOST[:PORT]`.
pub fn parse_bastion(text: &str, default_user: &str) -> Result<(String, String, u16), String> {
    let (user, rest) = match text.split_once('@') {
        Some((u, r)) if !u.is_empty() => (u.to_string(), r),
        Some(_) => return Err(format!("`{text}`: empty user before @")),
        None => (default_user.to_string(), text),
    };
    let (host, port) = super::spec::parse_host(rest)?;
    Ok((user, host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reach_values_are_read_and_bad_ones_named() {
        assert_eq!(Reach::parse("ssh"), Ok(Reach::Ssh));
        assert_eq!(Reach::parse("ssh-over-ssm"), Ok(Reach::SshOverSsm));
        assert_eq!(Reach::parse(" ssm "), Ok(Reach::Ssm));
        assert_eq!(
            Reach::parse("jump:ec2-user@bastion:2222"),
            Ok(Reach::Jump("ec2-user@bastion:2222".into()))
        );
        assert!(Reach::parse("jump:").unwrap_err().contains("jump:HOST"));
        assert!(Reach::parse("telnet").is_err());
    }

    #[test]
    fn a_bastion_is_user_host_and_port() {
        assert_eq!(
            parse_bastion("admin@10.0.0.1:2222", "ec2-user"),
            Ok(("admin".into(), "10.0.0.1".into(), 2222))
        );
        assert_eq!(
            parse_bastion("bastion", "ec2-user"),
            Ok(("ec2-user".into(), "bastion".into(), 22))
        );
        assert!(parse_bastion("@h", "u").is_err());
    }

    #[test]
    fn the_ssm_proxy_command_is_one_quoted_line() {
        let route = Route::Ssm {
            region: "us-east-1".into(),
            instance: "i-0abc".into(),
            profile: Some("my lab".into()),
            endpoint_url: None,
            emulator_keys: false,
            exe: "/opt/my skiff/skiff".into(),
            native: false,
        };
        let opts = options(&route, 22, "i-0abc", Path::new("/k"), Path::new("/kh"));
        assert_eq!(opts[0], "-o");
        let cmd = opts[1].strip_prefix("ProxyCommand=").unwrap();
        let words = shlex::split(cmd).unwrap();
        assert_eq!(words[0], "/opt/my skiff/skiff");
        assert_eq!(
            words[1..],
            [
                "ssm-proxy",
                "--region",
                "us-east-1",
                "--profile",
                "my lab",
                "i-0abc",
                "22"
            ]
        );
    }

    #[test]
    fn a_native_route_runs_skiff_for_tunnels_and_ssh_over_ssm_for_commands() {
        let route = Route::Ssm {
            region: "eu-west-1".into(),
            instance: "i-0abc".into(),
            profile: None,
            endpoint_url: Some("http://127.0.0.1:5000".into()),
            emulator_keys: true,
            exe: "skiff".into(),
            native: true,
        };
        assert!(route.is_native());
        let words = route
            .skiff_words("ssm-forward", &["i-0abc".into(), "8000:8000".into()])
            .unwrap();
        assert_eq!(words[0], "env");
        assert_eq!(
            words[3..],
            [
                "skiff",
                "ssm-forward",
                "--region",
                "eu-west-1",
                "--endpoint-url",
                "http://127.0.0.1:5000",
                "i-0abc",
                "8000:8000"
            ]
        );
        assert!(route.says().contains("no ssh"));
        let ssh = route.for_ssh();
        assert!(!ssh.is_native());
        assert!(matches!(&ssh, Route::Ssm { instance, .. } if instance == "i-0abc"));
        assert!(Route::Direct.skiff_words("ssm-shell", &[]).is_none());
    }

    #[test]
    fn a_jump_goes_through_the_bastion_with_its_own_host_key() {
        let route = Route::Jump {
            user: "admin".into(),
            host: "127.0.0.1".into(),
            port: 2200,
            alias: "bastion-1".into(),
        };
        let opts = options(&route, 22, "10.0.0.5", Path::new("/k"), Path::new("/kh"));
        let cmd = opts[1].strip_prefix("ProxyCommand=").unwrap();
        let words = shlex::split(cmd).unwrap();
        assert!(words.contains(&"HostKeyAlias=bastion-1".to_string()));
        assert!(words.contains(&"StrictHostKeyChecking=yes".to_string()));
        assert!(words.contains(&"UserKnownHostsFile=/kh".to_string()));
        assert_eq!(
            words[words.len() - 3..],
            ["-W", "10.0.0.5:22", "admin@127.0.0.1"]
        );
        assert!(options(&Route::Direct, 22, "h", Path::new("/k"), Path::new("/kh")).is_empty());
    }
}
