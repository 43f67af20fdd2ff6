//! A sandbox that is running: recorded in the state directory while it
//! runs, so a second `skiff sandbox` (the TUI in one terminal, `--no-tui`
//! in another) joins it instead of starting an emulator of its own — the
//! CLI and the TUI then see one world — and so the exports it prints
//! point the CLI at that world's state (its recorded SSH host keys).

use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// What a second sandbox needs to join the first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Running {
    pub pid: u32,
    /// moto's endpoint (http://127.0.0.1:PORT).
    pub endpoint: String,
    /// The local SSH server's directory and the key its hosts take.
    pub ssh_dir: Option<PathBuf>,
    pub key: Option<PathBuf>,
}

fn path(state: &Path) -> PathBuf {
    state.join("sandbox.json")
}

impl Running {
    /// The sandbox recorded in `state`, if it still answers.
    pub fn find(state: &Path) -> Option<Self> {
        let text = std::fs::read_to_string(path(state)).ok()?;
        let r: Self = serde_json::from_str(&text).ok()?;
        r.answers().then_some(r)
    }

    /// Whether its emulator still takes connections (on this machine only).
    fn answers(&self) -> bool {
        let Some(addr) = self
            .endpoint
            .strip_prefix("http://")
            .and_then(|a| a.trim_end_matches('/').parse::<SocketAddr>().ok())
        else {
            return false;
        };
        addr.ip().is_loopback()
            && TcpStream::connect_timeout(&addr, Duration::from_millis(500)).is_ok()
    }

    /// Records this sandbox until the returned guard is dropped.
    pub fn record(self, state: &Path) -> std::io::Result<Recorded> {
        std::fs::create_dir_all(state)?;
        crate::store::write_json(&path(state), &self)?;
        Ok(Recorded(path(state)))
    }

    /// The shell lines that point `skiff` (and the AWS CLI) at it; `home`:
    /// the SKIFF_HOME it keeps its state in, if one was set.
    pub fn exports(&self, home: Option<&Path>) -> Vec<String> {
        let (id, secret) = super::SANDBOX_KEYS;
        let mut out = vec![
            format!("export AWS_ENDPOINT_URL={}", self.endpoint),
            format!("export AWS_ACCESS_KEY_ID={id} AWS_SECRET_ACCESS_KEY={secret}"),
            "export AWS_EC2_METADATA_DISABLED=true".to_string(),
        ];
        if let Some(home) = home {
            out.push(format!("export SKIFF_HOME={}", home.display()));
        }
        if let Some(dir) = &self.ssh_dir {
            out.push(format!("export SKIFF_SSH_DIR={}", dir.display()));
        }
        out
    }
}

/// Removes the record when the sandbox stops.
pub struct Recorded(PathBuf);

impl Drop for Recorded {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_record_is_found_while_its_emulator_answers_and_not_after() {
        let dir = tempfile::tempdir().expect("dir");
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let r = Running {
            pid: std::process::id(),
            endpoint: format!("http://127.0.0.1:{port}"),
            ssh_dir: None,
            key: None,
        };
        let guard = r.clone().record(dir.path()).expect("record");
        assert_eq!(Running::find(dir.path()), Some(r.clone()));
        drop(listener);
        assert_eq!(Running::find(dir.path()), None, "no longer answers");
        drop(guard);
        assert!(!path(dir.path()).exists(), "removed when it stops");
        let home = Path::new("/tmp/h");
        assert!(
            r.exports(Some(home))
                .contains(&"export SKIFF_HOME=/tmp/h".to_string())
        );
    }
}
