//! skiff's own known_hosts: host keys recorded under the instance id (the
//! HostKeyAlias), so a new public IP after a restart is the same host, and a
//! different key is refused. New keys are recorded only when the user agrees.

use std::io::Write;
use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

/// Whether a key is recorded for `alias`.
pub fn is_known(known_hosts: &Path, alias: &str) -> bool {
    std::fs::read_to_string(known_hosts)
        .map(|text| {
            text.lines()
                .filter_map(|l| l.split_whitespace().next())
                .any(|hosts| hosts.split(',').any(|h| h == alias))
        })
        .unwrap_or(false)
}

/// Whether one of `scanned` (lines from [`scan`], `ALIAS TYPE KEY`) is the
/// key recorded for its alias: the host still shows the key it had.
pub fn matches(known_hosts: &Path, scanned: &[String]) -> bool {
    let Ok(text) = std::fs::read_to_string(known_hosts) else {
        return false;
    };
    let recorded: Vec<(&str, &str, &str)> = text
        .lines()
        .filter_map(|l| {
            let mut f = l.split_whitespace();
            Some((f.next()?, f.next()?, f.next()?))
        })
        .collect();
    scanned.iter().any(|s| {
        let mut f = s.split_whitespace();
        let (Some(alias), Some(kind), Some(key)) = (f.next(), f.next(), f.next()) else {
            return false;
        };
        recorded
            .iter()
            .any(|(hosts, k, v)| hosts.split(',').any(|h| h == alias) && *k == kind && *v == key)
    })
}

/// The host's public keys (`ssh-keyscan`), as known_hosts lines for `alias`.
pub async fn scan(host: &str, port: u16, alias: &str) -> Result<Vec<String>, String> {
    let out = Command::new("ssh-keyscan")
        .args([
            "-T",
            "5",
            "-p",
            &port.to_string(),
            "-t",
            "ed25519,ecdsa,rsa",
            host,
        ])
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run ssh-keyscan (is the OpenSSH client installed?): {e}"))?;
    let lines: Vec<String> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| !l.starts_with('#') && l.split_whitespace().count() >= 3)
        .map(|l| {
            let mut parts = l.split_whitespace();
            let _host = parts.next();
            format!("{alias} {}", parts.collect::<Vec<_>>().join(" "))
        })
        .collect();
    if lines.is_empty() {
        return Err(format!(
            "{host}:{port} sent no host key (is SSH listening there?)"
        ));
    }
    Ok(lines)
}

/// SHA256 fingerprints of known_hosts lines (`ssh-keygen -lf -`).
pub async fn fingerprints(lines: &[String]) -> Result<Vec<String>, String> {
    let mut child = Command::new("ssh-keygen")
        .args(["-l", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot run ssh-keygen: {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        use tokio::io::AsyncWriteExt;
        stdin
            .write_all(lines.join("\n").as_bytes())
            .await
            .map_err(|e| e.to_string())?;
        stdin.write_all(b"\n").await.map_err(|e| e.to_string())?;
    }
    let out = child.wait_with_output().await.map_err(|e| e.to_string())?;
    // "256 SHA256:abc… i-1 (ED25519)"
    Ok(String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| {
            let fields: Vec<&str> = l.split_whitespace().collect();
            Some(format!("{} {}", fields.get(1)?, fields.last()?))
        })
        .collect())
}

/// Records `lines` (from [`scan`]) in skiff's known_hosts.
pub fn accept(known_hosts: &Path, lines: &[String]) -> std::io::Result<()> {
    if let Some(dir) = known_hosts.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(known_hosts)?;
    for l in lines {
        writeln!(f, "{l}")?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_hosts_are_matched_by_alias() {
        let dir = tempfile::tempdir().expect("dir");
        let kh = dir.path().join("known_hosts");
        assert!(!is_known(&kh, "i-1"));
        accept(&kh, &["i-1 ssh-ed25519 AAAA".to_string()]).expect("accept");
        assert!(is_known(&kh, "i-1"));
        assert!(!is_known(&kh, "i-12"));
        assert!(matches(&kh, &["i-1 ssh-ed25519 AAAA".to_string()]));
        assert!(
            !matches(&kh, &["i-1 ssh-ed25519 BBBB".to_string()]),
            "a changed key"
        );
        assert!(
            !matches(&kh, &["i-2 ssh-ed25519 AAAA".to_string()]),
            "another host"
        );
    }
}
