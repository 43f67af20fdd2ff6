//! Running commands on a host over SSH (the Spark master's post-start
//! commands), with the same user, key and strict host-key checking as tunnels.

use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use tokio::process::Command;

use super::{Attempt, TunnelSettings, TunnelTarget, hostkeys, resolve};
use crate::cloud::Session;

/// One command's outcome.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct CommandResult {
    pub command: String,
    pub ok: bool,
    pub exit_code: Option<i32>,
    pub output: String,
}

/// Runs `commands` in order on `target`, waiting up to `wait` for SSH to
/// answer (a freshly started instance needs a moment). The output of each is
/// also written to `log_dir`; returns the results and the log file.
pub async fn run_commands(
    session: &Session,
    target: &TunnelTarget,
    settings: &TunnelSettings,
    commands: &[String],
    wait: Duration,
    log_dir: &std::path::Path,
) -> Result<(Vec<CommandResult>, PathBuf), String> {
    let deadline = Instant::now() + wait;
    let endpoint = loop {
        match resolve(session, target, settings).await {
            Ok((e, _)) if super::probe::tcp_host(&e.host, e.port).await => break e,
            Ok(_) | Err(Attempt::Transient(_)) | Err(Attempt::Stopped(_))
                if Instant::now() < deadline =>
            {
                tokio::time::sleep(Duration::from_secs(2)).await;
            }
            Ok(e) => {
                return Err(format!(
                    "SSH on {}:{} did not answer within {} s",
                    e.0.host,
                    e.0.port,
                    wait.as_secs()
                ));
            }
            Err(Attempt::Transient(why)) => return Err(why),
            Err(Attempt::Stopped(state)) => return Err(format!("{} is {state}", target.label)),
            Err(Attempt::Fatal(why) | Attempt::NoKey { why, .. }) => return Err(why),
        }
    };
    if !hostkeys::is_known(&settings.known_hosts, &endpoint.host_key_alias) {
        return Err(format!(
            "the host key of {} is not recorded yet: open a tunnel to it once (skiff tunnel {} --accept-new-host-key) and check its fingerprint",
            target.label, target.label
        ));
    }
    std::fs::create_dir_all(log_dir)
        .map_err(|e| format!("cannot create {}: {e}", log_dir.display()))?;
    let log = log_dir.join(format!(
        "{}-{}.log",
        target.label,
        chrono::Utc::now().format("%Y%m%dT%H%M%SZ")
    ));
    let mut text = String::new();
    let mut results = Vec::new();
    for command in commands {
        let args = super::spec::shell_args(
            &endpoint,
            &settings.known_hosts,
            std::slice::from_ref(command),
        );
        let out = Command::new("ssh")
            .args(&args)
            .stdin(Stdio::null())
            .output()
            .await
            .map_err(|e| format!("cannot run ssh: {e}"))?;
        let output = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        text.push_str(&format!(
            "$ {command}\n{output}[exit {}]\n",
            out.status.code().map_or("signal".into(), |c| c.to_string())
        ));
        results.push(CommandResult {
            command: command.clone(),
            ok: out.status.success(),
            exit_code: out.status.code(),
            output,
        });
    }
    crate::store::write_atomic(&log, text.as_bytes())
        .map_err(|e| format!("cannot write {}: {e}", log.display()))?;
    Ok((results, log))
}
