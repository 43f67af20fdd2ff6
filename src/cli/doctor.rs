//! `skiff doctor`: one table of checks of this machine's setup — config,
//! credentials, regions, clock, ssh, keys, keyring, tunnel ports and
//! permissions — each held (✓), failed (✗, with the fix in one line) or not
//! checked (–). Exit 0 when none failed, 1 otherwise.
//!
//! It runs when the config file is broken (it says so) and finishes within
//! a few seconds when AWS does not answer: its own calls have short time
//! limits and no retries, and the checks run side by side.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use serde::Serialize;

use super::args::GlobalArgs;
use crate::cloud::doctor::{self as probes, Permissions, RegionProbe};
use crate::cloud::{CloudError, OFFLINE, Session, SessionOptions, profile_name};
use crate::config::{Config, Dirs, LoadError};
use crate::ops::connect::{Connection, session_options};

/// Skew from which the clock is reported (AWS refuses requests signed
/// more than 5 minutes off).
const MAX_SKEW_SECS: i64 = 60;

/// How long one of doctor's AWS calls may take (an emulator's first
/// answer in a region can take seconds).
const CALL_LIMIT: Duration = Duration::from_secs(4);

/// How long all of doctor's AWS calls may take together: the permissions,
/// asked after the identity, get what is left.
const CLOUD_LIMIT: Duration = Duration::from_millis(4500);

/// One line of the table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    /// true: holds; false: fails; None: not checked.
    pub ok: Option<bool>,
    pub detail: String,
    /// What to do about a failure (empty otherwise).
    pub fix: String,
}

impl Check {
    fn pass(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: Some(true),
            detail: detail.into(),
            fix: String::new(),
        }
    }

    fn fail(name: impl Into<String>, detail: impl Into<String>, fix: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: Some(false),
            detail: detail.into(),
            fix: fix.into(),
        }
    }

    fn skip(name: impl Into<String>, detail: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ok: None,
            detail: detail.into(),
            fix: String::new(),
        }
    }
}

/// `skiff doctor [--json]`.
pub async fn run(global: &GlobalArgs, dirs: &Dirs, json: bool) -> anyhow::Result<ExitCode> {
    let checks = all_checks(global, dirs).await;
    if json {
        out!("{}", serde_json::to_string_pretty(&checks)?);
    } else {
        out_part!("{}", table(&checks));
    }
    Ok(exit_code(&checks))
}

/// 0 when no check failed, 1 otherwise.
pub fn exit_code(checks: &[Check]) -> ExitCode {
    if checks.iter().any(|c| c.ok == Some(false)) {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// Every check, in the table's order.
pub async fn all_checks(global: &GlobalArgs, dirs: &Dirs) -> Vec<Check> {
    let (config, config_check) = load_config(global, dirs);
    let opts = doctor_options(global, &config);
    let (cloud, keyring, tools) = tokio::join!(
        cloud_checks(&opts, &config, dirs),
        keyring_check(&config, dirs),
        ssh_tools(),
    );
    let mut checks = vec![config_check, cloud.credentials];
    checks.extend(cloud.regions);
    checks.push(cloud.clock);
    checks.extend(tools);
    checks.extend(key_checks(&config, dirs, &cloud.key_pairs));
    checks.push(keyring);
    checks.extend(tunnel_checks(&config));
    checks.push(cloud.permissions);
    checks
}

/// The config file, read tolerantly: when it is broken, the built-in
/// defaults stand in for the other checks and the line says why.
fn load_config(global: &GlobalArgs, dirs: &Dirs) -> (Config, Check) {
    let declared = crate::tui::key_names();
    match Config::load_with(global.config.as_deref(), dirs, &declared) {
        Ok((config, Some(path))) => (
            config,
            Check::pass("config", format!("{} parses", path.display())),
        ),
        Ok((config, None)) => (
            config,
            Check::pass(
                "config",
                format!(
                    "no file at {}: the built-in defaults",
                    dirs.config.join("config.toml").display()
                ),
            ),
        ),
        Err(e) => {
            let fix = match &e {
                LoadError::Invalid(ce) => {
                    let at = ce.line.map(|l| format!(" line {l}")).unwrap_or_default();
                    match &ce.key {
                        Some(key) => format!(
                            "edit {}{at}: remove or correct `{key}` (config/default.toml lists every key)",
                            ce.path.display()
                        ),
                        None => format!("edit {}{at}", ce.path.display()),
                    }
                }
                LoadError::Read { path, .. } => format!(
                    "create {}, or point --config / SKIFF_CONFIG at a file that exists",
                    path.display()
                ),
            };
            (
                Config::defaults(),
                Check::fail("config", e.to_string(), fix),
            )
        }
    }
}

/// The session options of every other command, with short time limits
/// and no retries: a dead endpoint is reported within seconds, a slow one
/// within [`CLOUD_LIMIT`] and a little more.
fn doctor_options(global: &GlobalArgs, config: &Config) -> SessionOptions {
    let mut opts = session_options(&super::choices(global), config);
    opts.all_regions = false;
    opts.connect_timeout = Duration::from_millis(1500);
    opts.attempt_timeout = CALL_LIMIT;
    opts.operation_timeout = CALL_LIMIT;
    opts.max_attempts = 1;
    opts.read_attempts = 1;
    opts
}

/// What the checks that ask AWS found.
struct CloudChecks {
    credentials: Check,
    regions: Vec<Check>,
    clock: Check,
    permissions: Check,
    /// Key pair names in the regions (their files are checked with the keys).
    key_pairs: Vec<String>,
}

async fn cloud_checks(opts: &SessionOptions, config: &Config, dirs: &Dirs) -> CloudChecks {
    let profile = profile_name(opts);
    let session = match Connection::new(opts.clone(), config, dirs, None)
        .connect()
        .await
    {
        Ok(s) => s,
        Err(e) => {
            let not = |name: &str| Check::skip(name, "not checked: no session");
            return CloudChecks {
                credentials: Check::fail(
                    "credentials",
                    e.to_string(),
                    credentials_fix(&e, &profile),
                ),
                regions: vec![not("regions")],
                clock: not("clock"),
                permissions: not("permissions"),
                key_pairs: Vec::new(),
            };
        }
    };
    let probes = futures::future::join_all(
        session
            .regions
            .iter()
            .map(|r| probes::probe_region(&session, r)),
    );
    let pairs = futures::future::join_all(
        session
            .regions
            .iter()
            .map(|r| probes::key_pair_names(&session, r)),
    );
    let (identity_and_permissions, probes, pairs) =
        tokio::join!(identity(&session, &profile), probes, pairs);
    let (credentials, permissions) = identity_and_permissions;
    let mut key_pairs: Vec<String> = pairs.into_iter().flatten().flatten().collect();
    key_pairs.sort();
    key_pairs.dedup();
    CloudChecks {
        credentials,
        clock: clock_check(&probes),
        regions: probes
            .iter()
            .map(|p| region_check(p, session.endpoint_url.as_deref()))
            .collect(),
        permissions,
        key_pairs,
    }
}

/// Who the credentials are (STS), then what they may do (IAM's simulator).
async fn identity(session: &Session, profile: &str) -> (Check, Check) {
    let started = std::time::Instant::now();
    match session.caller_identity().await {
        Ok((account, arn)) => {
            // The SDK's chain takes the environment's keys before any profile.
            let from = if std::env::var_os("AWS_ACCESS_KEY_ID").is_some_and(|v| !v.is_empty()) {
                "environment variables AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY"
            } else {
                "the profile's chain (~/.aws/config, ~/.aws/credentials, SSO)"
            };
            let source = format!(
                " (from {from}{})",
                expires(session.credentials_expiry().await)
            );
            let credentials = Check::pass(
                "credentials",
                format!("profile {profile}{source}: account {account}, {arn}"),
            );
            let left = CLOUD_LIMIT.saturating_sub(started.elapsed());
            let permissions =
                match tokio::time::timeout(left, probes::simulate(session, &arn)).await {
                    Ok(p) => permissions_check(p),
                    Err(_) => Check::skip(
                        "permissions",
                        "not checked: IAM's policy simulator did not answer in time",
                    ),
                };
            (credentials, permissions)
        }
        Err(e) => (
            Check::fail(
                "credentials",
                format!("profile {profile}: {e}"),
                credentials_fix(&e, profile),
            ),
            Check::skip("permissions", "not checked: no caller identity"),
        ),
    }
}

/// ", expire in 53 min" (SSO and session credentials), or nothing.
fn expires(at: Option<std::time::SystemTime>) -> String {
    let Some(at) = at else {
        return String::new();
    };
    match at.duration_since(std::time::SystemTime::now()) {
        Ok(left) => format!(", expire in {} min", left.as_secs() / 60),
        Err(_) => ", expired".to_string(),
    }
}

fn credentials_fix(e: &CloudError, profile: &str) -> String {
    if let Some(fix) = crate::cloud::sign_in_fix(e.code.as_deref(), profile) {
        return fix;
    }
    if e.code.as_deref() == Some(OFFLINE) {
        return "AWS did not answer: see the region lines (network, proxy, --endpoint-url)".into();
    }
    format!(
        "give profile {profile} credentials: `aws configure --profile {profile}`, `aws sso login --profile {profile}`, or `skiff creds add {profile}`"
    )
}

fn region_check(p: &RegionProbe, endpoint: Option<&str>) -> Check {
    let name = format!("region {}", p.region);
    let via = endpoint.map(|u| format!(" via {u}")).unwrap_or_default();
    match (&p.rtt, &p.unreachable) {
        (Some(rtt), _) => {
            let answered = p
                .refused
                .as_ref()
                .map(|r| format!(" (EC2 answered with an error: {r})"))
                .unwrap_or_default();
            Check::pass(
                name,
                format!("reachable{via} in {} ms{answered}", rtt.as_millis()),
            )
        }
        (None, why) => {
            let fix = match endpoint {
                Some(u) => format!(
                    "start what should answer at {u}, or drop the override (--endpoint-url, AWS_ENDPOINT_URL, [aws] endpoint_url)"
                ),
                None => "check the network and proxy (HTTPS_PROXY), and the region's name ([aws] regions, --region)".into(),
            };
            Check::fail(
                name,
                format!(
                    "not reachable{via}: {}",
                    why.as_deref().unwrap_or("no answer")
                ),
                fix,
            )
        }
    }
}

/// The clock, from the first region that answered with a `Date`.
fn clock_check(probes: &[RegionProbe]) -> Check {
    let Some(skew) = probes.iter().find_map(|p| p.skew_secs) else {
        return Check::skip("clock", "not checked: no answer with a Date from AWS");
    };
    let side = if skew > 0 { "behind" } else { "ahead of" };
    if skew.abs() < MAX_SKEW_SECS {
        Check::pass("clock", format!("within {} s of AWS's", skew.abs()))
    } else {
        Check::fail(
            "clock",
            format!(
                "this machine's clock is {} s {side} AWS's (skew {skew:+} s); AWS refuses requests more than 5 minutes off",
                skew.abs()
            ),
            "sync the clock: sudo timedatectl set-ntp true (or start chrony/ntpd)",
        )
    }
}

fn permissions_check(p: Permissions) -> Check {
    match p {
        Permissions::Allowed(n) => Check::pass(
            "permissions",
            format!("the {n} actions skiff uses are allowed (IAM policy simulator)"),
        ),
        Permissions::Denied(actions) => Check::fail(
            "permissions",
            format!("denied: {}", actions.join(", ")),
            format!(
                "ask the account's admin to allow {} (or use --read-only to look without changing)",
                actions.join(", ")
            ),
        ),
        Permissions::NotChecked(why) => Check::skip("permissions", format!("not checked: {why}")),
    }
}

/// Where `name` is on PATH.
fn on_path(name: &str) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| {
            std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
        })
}

/// `ssh -V`'s first line (OpenSSH says it on standard error).
async fn ssh_version(ssh: &Path) -> Option<String> {
    let run = tokio::process::Command::new(ssh)
        .arg("-V")
        .stdin(std::process::Stdio::null())
        .kill_on_drop(true)
        .output();
    let out = tokio::time::timeout(Duration::from_secs(2), run)
        .await
        .ok()?
        .ok()?;
    let text =
        String::from_utf8_lossy(&out.stderr).into_owned() + &String::from_utf8_lossy(&out.stdout);
    text.lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .map(str::to_string)
}

/// ssh, ssh-keyscan and scp: present, and ssh's version.
async fn ssh_tools() -> Vec<Check> {
    let fix = "install OpenSSH's client (Debian/Ubuntu: sudo apt-get install openssh-client)";
    let mut checks = Vec::new();
    for tool in ["ssh", "ssh-keyscan", "scp"] {
        let check = match on_path(tool) {
            Some(path) if tool == "ssh" => {
                let version = ssh_version(&path)
                    .await
                    .unwrap_or_else(|| "version unknown".into());
                Check::pass(tool, format!("{} ({version})", path.display()))
            }
            Some(path) => Check::pass(tool, path.display().to_string()),
            None => Check::fail(tool, "not found on PATH", fix),
        };
        checks.push(check);
    }
    checks
}

/// `~/` at the start of a path, as ssh reads it.
fn expand_home(path: &Path) -> PathBuf {
    match (
        path.strip_prefix("~"),
        directories::BaseDirs::new().map(|b| b.home_dir().to_path_buf()),
    ) {
        (Ok(rest), Some(home)) => home.join(rest),
        _ => path.to_path_buf(),
    }
}

/// The key files skiff would use: the configured one, and for each key
/// pair of the account the file skiff finds for it in ~/.ssh.
fn key_checks(config: &Config, dirs: &Dirs, key_pairs: &[String]) -> Vec<Check> {
    let settings = crate::ops::tunnel::TunnelSettings::from_config(config, dirs, false);
    let mut checks = Vec::new();
    if let Some(key) = settings.key.as_deref().map(expand_home) {
        checks.push(key_check(&key, true));
    }
    for name in key_pairs {
        let candidates =
            crate::ops::tunnel::spec::key_candidates(&settings.ssh_dir, Some(name), None);
        if let Some(found) = candidates.iter().find(|p| p.exists()) {
            checks.push(key_check(found, false));
        }
    }
    if checks.is_empty() {
        checks.push(Check::skip(
            "keys",
            format!(
                "no key file to check: none configured ([tunnel] key) and none in {} for the account's key pairs",
                settings.ssh_dir.display()
            ),
        ));
    }
    checks
}

fn key_check(path: &Path, configured: bool) -> Check {
    use std::os::unix::fs::PermissionsExt;
    let name = format!("key {}", path.display());
    match std::fs::metadata(path) {
        Err(e) => Check::fail(
            name,
            format!("cannot be read: {e}"),
            if configured {
                format!(
                    "put the key at {}, or correct [tunnel] key in the config",
                    path.display()
                )
            } else {
                format!("check {}", path.display())
            },
        ),
        Ok(m) => {
            let mode = m.permissions().mode() & 0o777;
            if mode & 0o077 == 0 {
                Check::pass(name, format!("mode {mode:04o}"))
            } else {
                Check::fail(
                    name,
                    format!("mode {mode:04o}: others can read it, so ssh refuses it"),
                    format!("chmod 600 {}", path.display()),
                )
            }
        }
    }
}

/// The keyring store: reachable, and which one. Opening it reads nothing
/// and writes nothing (the Secret Service is asked for an entry that does
/// not exist).
async fn keyring_check(config: &Config, dirs: &Dirs) -> Check {
    let timeout = Duration::from_secs(config.credentials.timeout_secs.clamp(1, 3));
    let opened = crate::creds::Keyring::open(&config.credentials.store, timeout, &dirs.state).await;
    match opened {
        Ok((keyring, warning)) => {
            let note = if warning.is_some() {
                " (no Secret Service: keys kept there do not survive a reboot)"
            } else {
                ""
            };
            Check::pass(
                "keyring",
                format!(
                    "{}{note}, store = \"{}\"",
                    keyring.kind.label(),
                    config.credentials.store
                ),
            )
        }
        Err(e) => {
            let stored = crate::creds::read_index(&dirs.state.join("keyring-profiles.json"));
            if stored.is_empty() {
                Check::skip(
                    "keyring",
                    format!("not reachable ({e}); only keys kept with `skiff creds add` need it"),
                )
            } else {
                Check::fail(
                    "keyring",
                    format!("not reachable: {e}"),
                    "unlock the keyring, or set [credentials] store (auto, secret-service, keyutils)",
                )
            }
        }
    }
}

/// Each tunnel preset's local port: 1024 or above, and free on 127.0.0.1.
fn tunnel_checks(config: &Config) -> Vec<Check> {
    let presets = &config.tunnel.presets;
    presets
        .keys()
        .map(|name| {
            let check_name = format!("tunnel {name}");
            let forward = match crate::ops::tunnel::spec::preset_forward(presets, name) {
                Ok(f) => f,
                Err(e) => return Check::fail(check_name, e, "correct [tunnel] presets"),
            };
            let port = forward.local;
            if port < 1024 {
                return Check::fail(
                    check_name,
                    format!("local port {port} is below 1024"),
                    "choose a port of 1024 or above in [tunnel] presets",
                );
            }
            match std::net::TcpListener::bind(("127.0.0.1", port)) {
                Ok(_) => Check::pass(check_name, format!("local port {port} is free")),
                Err(e) => Check::fail(
                    check_name,
                    format!("local port {port} cannot be bound on 127.0.0.1: {e}"),
                    format!(
                        "free it (`ss -ltnp 'sport = :{port}'` shows what holds it; a skiff tunnel already open is fine), or change [tunnel] presets"
                    ),
                ),
            }
        })
        .collect()
}

/// The table: a mark, the check, what was found; the fix on the line below.
pub fn table(checks: &[Check]) -> String {
    let width = checks
        .iter()
        .map(|c| c.name.chars().count())
        .max()
        .unwrap_or(0);
    let mut out = String::new();
    for c in checks {
        let mark = match c.ok {
            Some(true) => "✓",
            Some(false) => "✗",
            None => "–",
        };
        out.push_str(&format!("{mark} {:<width$}  {}\n", c.name, c.detail));
        if !c.fix.is_empty() {
            out.push_str(&format!("  {:<width$}  fix: {}\n", "", c.fix));
        }
    }
    let failed = checks.iter().filter(|c| c.ok == Some(false)).count();
    if failed == 0 {
        out.push_str("all checks hold\n");
    } else {
        out.push_str(&format!(
            "{failed} check{} failed\n",
            if failed == 1 { "" } else { "s" }
        ));
    }
    out
}
