//! Which skiff processes hold tunnels (one JSON file per process in the
//! state directory), so `skiff down` can close the tunnels `skiff up` opened.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Holder {
    pub pid: u32,
    pub target: String,
    pub instance_id: String,
    pub urls: Vec<String>,
    pub started: chrono::DateTime<chrono::Utc>,
}

fn dir(state_dir: &Path) -> PathBuf {
    state_dir.join("tunnels")
}

/// Registers this process as holding tunnels to `holder.instance_id`.
pub fn register(state_dir: &Path, holder: &Holder) -> std::io::Result<PathBuf> {
    let path = dir(state_dir).join(format!("{}.json", holder.pid));
    crate::store::write_json(&path, holder)?;
    Ok(path)
}

fn alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

/// Live holders (files of processes that are gone are removed).
pub fn holders(state_dir: &Path) -> Vec<Holder> {
    let Ok(entries) = std::fs::read_dir(dir(state_dir)) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for e in entries.flatten() {
        let path = e.path();
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let Ok(bytes) = std::fs::read(&path) else {
            continue;
        };
        match serde_json::from_slice::<Holder>(&bytes) {
            Ok(h) if alive(h.pid) => out.push(h),
            // Its process is gone: so is the tunnel.
            Ok(_) => {
                let _ = std::fs::remove_file(&path);
            }
            Err(e) => {
                crate::store::notices::set_aside(
                    &path,
                    &e.to_string(),
                    "a record of a running `skiff tunnel`",
                    "`skiff down` cannot close that tunnel (end its process by hand)",
                );
            }
        }
    }
    out
}
