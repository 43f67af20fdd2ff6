//! skiff's own known_hosts: host keys recorded under the instance id (the
//! HostKeyAlias), so a new public IP after a restart is the same host, and a
//! different key is refused. New keys are recorded only when the user agrees.

use std::path::Path;
use std::process::Stdio;

use tokio::process::Command;

use super::route::Route;
use super::spec::Endpoint;

/// What skiff's known_hosts holds: empty when there is none yet. A file
/// skiff cannot read as host keys (cut short, garbage, empty: skiff never
/// writes an empty one) is kept aside and announced — every host's key is
/// then shown again before skiff trusts it — rather than half-trusted.
fn recorded(known_hosts: &Path) -> String {
    let bytes = match std::fs::read(known_hosts) {
        Ok(bytes) => bytes,
        Err(_) => return String::new(),
    };
    let why = match String::from_utf8(bytes) {
        Ok(text) => match text.lines().position(|l| !valid_line(l)) {
            _ if text.trim().is_empty() => "empty".to_string(),
            None => return text,
            Some(n) => format!("line {} is not a host key", n + 1),
        },
        Err(_) => "not text".to_string(),
    };
    crate::store::notices::set_aside(
        known_hosts,
        &why,
        "skiff's record of host keys",
        "the keys your instances showed before are forgotten, and each host's key will be shown again for you to accept before skiff connects",
    );
    String::new()
}

/// A known_hosts line (`[@marker] HOSTS TYPE BASE64 [comment]`), a comment
/// or a blank: the key must decode and name its own type, so a line cut
/// short is caught.
fn valid_line(line: &str) -> bool {
    use base64::Engine;
    let line = line.trim();
    if line.is_empty() || line.starts_with('#') {
        return true;
    }
    let mut fields = line.split_whitespace().skip_while(|f| f.starts_with('@'));
    let (Some(_hosts), Some(kind), Some(key)) = (fields.next(), fields.next(), fields.next())
    else {
        return false;
    };
    let Ok(blob) = base64::engine::general_purpose::STANDARD.decode(key) else {
        return false;
    };
    // The blob starts with its type as an SSH string: a u32 length, then it.
    let named = blob
        .get(..4)
        .map(|n| u32::from_be_bytes([n[0], n[1], n[2], n[3]]) as usize)
        .and_then(|n| blob.get(4..4 + n));
    named == Some(kind.as_bytes()) && blob.len() > 4 + kind.len()
}

/// Whether a key is recorded for `alias`.
pub fn is_known(known_hosts: &Path, alias: &str) -> bool {
    recorded(known_hosts)
        .lines()
        .filter_map(|l| l.split_whitespace().find(|f| !f.starts_with('@')))
        .any(|hosts| hosts.split(',').any(|h| h == alias))
}

/// Whether one of `scanned` (lines from [`scan`], `ALIAS TYPE KEY`) is the
/// key recorded for its alias: the host still shows the key it had.
pub fn matches(known_hosts: &Path, scanned: &[String]) -> bool {
    let text = recorded(known_hosts);
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

/// The host keys on `e`'s way, as known_hosts lines: straight with
/// `ssh-keyscan`; through a proxy (Session Manager, a bastion), where
/// ssh-keyscan cannot go, by letting ssh itself record the key the host
/// shows into an empty file (`accept-new`, no authentication offered, so
/// nothing runs there). A bastion not yet known is scanned first and its
/// lines come first.
pub async fn scan_endpoint(e: &Endpoint, known_hosts: &Path) -> Result<Vec<String>, String> {
    match &e.route {
        Route::Direct => scan(&e.host, e.port, &e.host_key_alias).await,
        Route::Ssm { .. } => scan_through(e, known_hosts, Vec::new()).await,
        Route::Jump {
            host, port, alias, ..
        } => {
            let bastion = if is_known(known_hosts, alias) {
                Vec::new()
            } else {
                scan(host, *port, alias).await?
            };
            scan_through(e, known_hosts, bastion).await
        }
    }
}

/// ssh options that record the host key a host shows into an empty file
/// and offer no way to log in (nothing runs there).
const NO_LOGIN: [&str; 11] = [
    "BatchMode=yes",
    "ConnectTimeout=15",
    "StrictHostKeyChecking=accept-new",
    "GlobalKnownHostsFile=/dev/null",
    "HashKnownHosts=no",
    "UpdateHostKeys=no",
    "PubkeyAuthentication=no",
    "PasswordAuthentication=no",
    "KbdInteractiveAuthentication=no",
    "GSSAPIAuthentication=no",
    "HostbasedAuthentication=no",
];

async fn scan_through(
    e: &Endpoint,
    known_hosts: &Path,
    bastion: Vec<String>,
) -> Result<Vec<String>, String> {
    let dir =
        tempfile::tempdir().map_err(|err| format!("cannot make a temporary folder: {err}"))?;
    // The bastion is checked against what is recorded plus what was just
    // scanned of it (the caller decides whether to keep that).
    let proxy_known = dir.path().join("proxy_known_hosts");
    let mut text = recorded(known_hosts);
    for l in &bastion {
        text.push_str(l);
        text.push('\n');
    }
    std::fs::write(&proxy_known, text)
        .map_err(|err| format!("cannot write {}: {err}", proxy_known.display()))?;
    let seen = dir.path().join("seen");
    let mut args = NO_LOGIN
        .iter()
        .flat_map(|o| ["-o".to_string(), (*o).to_string()])
        .collect::<Vec<_>>();
    args.extend([
        "-o".into(),
        format!("UserKnownHostsFile={}", seen.display()),
        "-o".into(),
        format!("HostKeyAlias={}", e.host_key_alias),
    ]);
    args.extend(super::route::options(
        &e.route,
        e.port,
        &e.host,
        &e.key,
        &proxy_known,
    ));
    args.extend([
        "-p".into(),
        e.port.to_string(),
        format!("{}@{}", e.user, e.host),
        "true".into(),
    ]);
    let out = Command::new("ssh")
        .args(&args)
        .stdin(Stdio::null())
        .output()
        .await
        .map_err(|err| format!("cannot run ssh (is the OpenSSH client installed?): {err}"))?;
    let lines: Vec<String> = std::fs::read_to_string(&seen)
        .unwrap_or_default()
        .lines()
        .filter(|l| l.split_whitespace().count() >= 3)
        .map(str::to_string)
        .collect();
    if lines.is_empty() {
        let why = String::from_utf8_lossy(&out.stderr);
        let why: Vec<&str> = why
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .collect();
        let why = if why.is_empty() {
            "no answer".to_string()
        } else {
            why.join("; ")
        };
        return Err(format!("{} sent no host key ({why})", e.host));
    }
    Ok(bastion.into_iter().chain(lines).collect())
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

/// Records `lines` (from [`scan`]) in skiff's known_hosts: the file is
/// replaced whole (atomic rename), so a reader never sees half a line.
pub fn accept(known_hosts: &Path, lines: &[String]) -> std::io::Result<()> {
    if let Some(dir) = known_hosts.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let mut text = match std::fs::read_to_string(known_hosts) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e),
    };
    if !text.is_empty() && !text.ends_with('\n') {
        text.push('\n');
    }
    for l in lines {
        text.push_str(l);
        text.push('\n');
    }
    crate::store::write_atomic(known_hosts, text.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A known_hosts line for `alias` with an ed25519 key made of `seed`.
    fn line(alias: &str, seed: u8) -> String {
        use base64::Engine;
        let mut blob = Vec::new();
        for part in [b"ssh-ed25519".as_slice(), &[seed; 32]] {
            blob.extend((part.len() as u32).to_be_bytes());
            blob.extend(part);
        }
        let key = base64::engine::general_purpose::STANDARD.encode(blob);
        format!("{alias} ssh-ed25519 {key}")
    }

    #[test]
    fn known_hosts_are_matched_by_alias() {
        let dir = tempfile::tempdir().expect("dir");
        let kh = dir.path().join("known_hosts");
        assert!(!is_known(&kh, "i-1"));
        accept(&kh, &[line("i-1", 1)]).expect("accept");
        assert!(is_known(&kh, "i-1"));
        assert!(!is_known(&kh, "i-12"));
        assert!(matches(&kh, &[line("i-1", 1)]));
        assert!(!matches(&kh, &[line("i-1", 2)]), "a changed key");
        assert!(!matches(&kh, &[line("i-2", 1)]), "another host");
        assert!(kh.exists() && crate::store::notices::drain_under(dir.path()).is_empty());
    }

    /// Damaged three ways (cut in half, garbage, empty): no key is trusted
    /// from it, the bytes are kept aside and the user is told once.
    #[test]
    fn a_damaged_known_hosts_is_kept_aside_and_named_once() {
        let good = format!("{}\n{}\n", line("i-1", 1), line("i-2", 2));
        for (how, bytes) in [
            // Half-way falls on the end of the first line: cut inside the
            // second, as a full disk does.
            (
                "cut in half",
                good.as_bytes()[..good.len() / 2 + 20].to_vec(),
            ),
            ("garbage", b"\x00\xffnot keys".to_vec()),
            ("empty", Vec::new()),
        ] {
            let dir = tempfile::tempdir().expect("dir");
            let kh = dir.path().join("known_hosts");
            std::fs::write(&kh, &bytes).unwrap();
            assert!(!is_known(&kh, "i-1"), "{how}");
            assert!(!matches(&kh, &[line("i-1", 1)]), "{how}");
            let said = crate::store::notices::drain_under(dir.path());
            assert_eq!(said.len(), 1, "{how}: {said:?}");
            assert!(
                said[0].contains("host keys") && said[0].contains("known_hosts.damaged"),
                "{how}: {said:?}"
            );
            let kept = std::fs::read(dir.path().join("known_hosts.damaged")).expect("kept");
            assert_eq!(kept, bytes, "{how}");
            accept(&kh, &[line("i-1", 1)]).expect("a new record");
            assert!(is_known(&kh, "i-1"), "{how}: a new record is read");
        }
    }
}
