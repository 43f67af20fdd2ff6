//! `skiff creds add|ls|rm`: long-term keys in the OS keyring. Secrets are read
//! without echo (or from stdin with --stdin) and never printed.

use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

use serde_json::json;

use super::args::CredsCommand;
use crate::config::{Config, Dirs};
use crate::creds::{Keyring, StoredKey, config_profiles};

async fn open(config: &Config, dirs: &Dirs) -> anyhow::Result<Keyring> {
    let (keyring, warning) = Keyring::open(
        &config.credentials.store,
        Duration::from_secs(config.credentials.timeout_secs.max(1)),
        &dirs.state,
    )
    .await?;
    if let Some(w) = warning {
        err!("skiff: warning: {w}");
    }
    Ok(keyring)
}

fn valid_key_id(id: &str) -> bool {
    (16..=128).contains(&id.len()) && id.chars().all(|c| c.is_ascii_alphanumeric())
}

pub async fn run(config: &Config, dirs: &Dirs, cmd: &CredsCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        CredsCommand::Add {
            profile,
            stdin,
            mfa_serial,
        } => add(config, dirs, profile, *stdin, mfa_serial.clone()).await,
        CredsCommand::Ls { json } => {
            ls(dirs, *json)?;
            Ok(ExitCode::SUCCESS)
        }
        CredsCommand::Rm { profile } => rm(config, dirs, profile).await,
    }
}

/// `skiff creds add`: the key asked for (or read from stdin), checked,
/// stored in the keyring.
async fn add(
    config: &Config,
    dirs: &Dirs,
    profile: &str,
    stdin: bool,
    mfa_serial: Option<String>,
) -> anyhow::Result<ExitCode> {
    let (id, secret) = read_key(profile, stdin)?;
    if !valid_key_id(&id) {
        anyhow::bail!("`{id}` is not an access key id (16 to 128 letters and digits, like AKIA…)");
    }
    if secret.is_empty() {
        anyhow::bail!("the secret access key is empty; nothing was stored");
    }
    let keyring = open(config, dirs).await?;
    keyring
        .put(
            profile,
            &StoredKey {
                access_key_id: id.clone(),
                secret_access_key: secret,
                mfa_serial,
            },
        )
        .await?;
    out!(
        "stored the key {id} of profile {profile} in the {}",
        keyring.kind.label()
    );
    if config_profiles().iter().any(|p| p == profile) {
        out!("note: ~/.aws/config (or credentials) also defines `{profile}`; that one wins");
    }
    Ok(ExitCode::SUCCESS)
}

/// The key id and secret: two lines from stdin with --stdin, else asked on
/// the terminal (the secret without echo).
fn read_key(profile: &str, stdin: bool) -> anyhow::Result<(String, String)> {
    if stdin {
        let mut lines = std::io::stdin().lock().lines();
        let id = lines.next().transpose()?.unwrap_or_default();
        let secret = lines.next().transpose()?.unwrap_or_default();
        return Ok((id.trim().to_string(), secret.trim().to_string()));
    }
    if !std::io::stdin().is_terminal() {
        anyhow::bail!(
            "no terminal to ask on: pipe the key id and secret (one per line) with --stdin"
        );
    }
    eprint!("Access key id for {profile}: ");
    let mut id = String::new();
    std::io::stdin().read_line(&mut id)?;
    let secret = rpassword::prompt_password("Secret access key (not shown): ")?;
    Ok((id.trim().to_string(), secret.trim().to_string()))
}

/// `skiff creds ls`: the profiles in the keyring (never a secret).
fn ls(dirs: &Dirs, json: bool) -> anyhow::Result<()> {
    let index = crate::creds::read_index(&dirs.state.join("keyring-profiles.json"));
    let shadowed = config_profiles();
    if json {
        let list: Vec<_> = index
            .iter()
            .map(|(p, e)| json!({ "profile": p, "access_key_id": e.access_key_id, "mfa_serial": e.mfa_serial, "store": e.store, "shadowed_by_aws_config": shadowed.contains(p) }))
            .collect();
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({ "profiles": list }))?
        );
    } else if index.is_empty() {
        out!("no profiles in the keyring (skiff creds add PROFILE)");
    } else {
        for (p, e) in &index {
            let mfa = e
                .mfa_serial
                .as_deref()
                .map(|s| format!("  mfa {s}"))
                .unwrap_or_default();
            let note = if shadowed.contains(p) {
                "  (~/.aws/config defines it too, and wins)"
            } else {
                ""
            };
            out!(
                "{p:<20} {}  {}{mfa}{note}",
                e.access_key_id,
                e.store.label()
            );
        }
    }
    Ok(())
}

/// `skiff creds rm`: fails where the keyring has no key for `profile`.
async fn rm(config: &Config, dirs: &Dirs, profile: &str) -> anyhow::Result<ExitCode> {
    let keyring = open(config, dirs).await?;
    if keyring.delete(profile).await? {
        out!(
            "removed the key of {profile} from the {}",
            keyring.kind.label()
        );
        Ok(ExitCode::SUCCESS)
    } else {
        err!(
            "skiff: no key for {profile} in the {}",
            keyring.kind.label()
        );
        Ok(ExitCode::FAILURE)
    }
}
