//! Files that hold history and could not be read: each is kept aside
//! (never overwritten, never deleted) and the user is told once, in the
//! face they use — the CLI on standard error when a command ends, the TUI
//! as a notification. Caches are rebuilt without a word and never come
//! here.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// What was announced, with the file it is about.
static NOTICES: Mutex<Vec<(PathBuf, String)>> = Mutex::new(Vec::new());

/// Tells the user `text` about `file` (once: the faces drain what was said).
pub fn announce(file: &Path, text: String) {
    tracing::warn!("{text}");
    if let Ok(mut n) = NOTICES.lock()
        && !n.iter().any(|(_, t)| *t == text)
    {
        n.push((file.to_path_buf(), text));
    }
}

/// What was announced since the last drain.
pub fn drain() -> Vec<String> {
    drain_where(|_| true)
}

/// What was announced about files below `dir` (a TUI's state directory:
/// not another's, where several run in one process, as tests do).
pub fn drain_under(dir: &Path) -> Vec<String> {
    drain_where(|file| file.starts_with(dir))
}

fn drain_where(mine: impl Fn(&Path) -> bool) -> Vec<String> {
    let Ok(mut n) = NOTICES.lock() else {
        return Vec::new();
    };
    let (taken, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut *n)
        .into_iter()
        .partition(|(file, _)| mine(file));
    *n = kept;
    taken.into_iter().map(|(_, text)| text).collect()
}

/// Moves the unreadable `path` aside (`NAME.damaged`, or `NAME.damaged.N`
/// when that is taken) and announces it: `what` the file held, `meaning`
/// what its loss means for the user. The place it was kept, if it could be
/// moved.
pub fn set_aside(path: &Path, why: &str, what: &str, meaning: &str) -> Option<PathBuf> {
    let name = path.file_name()?.to_string_lossy().into_owned();
    let aside = (0..)
        .map(|n| {
            let suffix = if n == 0 {
                ".damaged".to_string()
            } else {
                format!(".damaged.{n}")
            };
            path.with_file_name(format!("{name}{suffix}"))
        })
        .find(|p| !p.exists())?;
    match std::fs::rename(path, &aside) {
        Ok(()) => {
            announce(
                path,
                format!(
                    "{what} {} could not be read ({why}): {meaning}; the unreadable file is kept as {}",
                    path.display(),
                    aside.display()
                ),
            );
            Some(aside)
        }
        Err(e) => {
            announce(
                path,
                format!(
                    "{what} {} could not be read ({why}) nor moved aside ({e}): {meaning}",
                    path.display()
                ),
            );
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_damaged_file_is_kept_aside_never_over_another_and_said_once() {
        let dir = tempfile::tempdir().expect("dir");
        let f = dir.path().join("h.json");
        std::fs::write(&f, "{cut").unwrap();
        std::fs::write(dir.path().join("h.json.damaged"), "older").unwrap();
        let aside = set_aside(&f, "bad JSON", "the history", "it starts over").expect("moved");
        assert_eq!(aside, dir.path().join("h.json.damaged.1"));
        assert_eq!(std::fs::read_to_string(&aside).unwrap(), "{cut");
        assert_eq!(
            std::fs::read_to_string(dir.path().join("h.json.damaged")).unwrap(),
            "older"
        );
        // (Other tests may announce and drain meanwhile: only this file's
        // notice is looked for.)
        let mine = |said: &[String]| {
            said.iter()
                .filter(|n| n.contains(&dir.path().display().to_string()))
                .count()
        };
        let said = drain_under(dir.path());
        assert_eq!(mine(&said), 1, "{said:?}");
        assert!(
            said.iter()
                .any(|n| n.contains("h.json.damaged.1") && n.contains("it starts over"))
        );
        assert_eq!(mine(&drain_under(dir.path())), 0, "said once");
    }
}
