//! The instance counts of EMR clusters skiff paused (so resume can restore
//! them), one file per cluster in the state directory.

use std::io;
use std::path::{Path, PathBuf};

use crate::lifecycle::PausedCounts;

fn paused_path(state_dir: &Path, cluster_id: &str) -> PathBuf {
    // Cluster ids are `j-` plus letters and digits; anything else is replaced
    // so an id can never name a path outside the directory.
    let safe: String = cluster_id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect();
    state_dir.join("emr-paused").join(format!("{safe}.json"))
}

/// The counts saved when skiff paused `cluster_id`, if any.
pub fn load_paused(state_dir: &Path, cluster_id: &str) -> io::Result<Option<PausedCounts>> {
    let path = paused_path(state_dir, cluster_id);
    match std::fs::read_to_string(&path) {
        Ok(text) => match serde_json::from_str(&text) {
            Ok(counts) => Ok(Some(counts)),
            // Unreadable: kept aside and said; resume then has no counts.
            Err(e) => {
                super::notices::set_aside(
                    &path,
                    &e.to_string(),
                    &format!("the node counts saved when EMR cluster {cluster_id} was paused"),
                    "skiff no longer knows how many nodes to bring back on resume (resize its groups by hand)",
                );
                Ok(None)
            }
        },
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

/// Saves counts atomically, so a crash never leaves half a file where
/// resume would look.
pub fn save_paused(state_dir: &Path, counts: &PausedCounts) -> io::Result<()> {
    super::write_json(&paused_path(state_dir, &counts.cluster_id), counts)
}

pub fn forget_paused(state_dir: &Path, cluster_id: &str) -> io::Result<()> {
    match std::fs::remove_file(paused_path(state_dir, cluster_id)) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paused_counts_round_trip_and_ids_cannot_escape() {
        let dir = tempfile::tempdir().expect("dir");
        assert_eq!(load_paused(dir.path(), "j-1").expect("read"), None);
        let counts = PausedCounts {
            cluster_id: "j-1".into(),
            groups: [("ig-1".to_string(), 3)].into(),
        };
        save_paused(dir.path(), &counts).expect("save");
        assert_eq!(load_paused(dir.path(), "j-1").expect("read"), Some(counts));
        forget_paused(dir.path(), "j-1").expect("forget");
        forget_paused(dir.path(), "j-1").expect("forgetting twice is fine");
        assert_eq!(load_paused(dir.path(), "j-1").expect("read"), None);
        assert!(paused_path(dir.path(), "../../etc/x").starts_with(dir.path().join("emr-paused")));
    }
}
