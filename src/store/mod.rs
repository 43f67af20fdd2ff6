//! Files skiff keeps in its state and cache directories, and the one way
//! they are written: [`write_atomic`]. A reader (another skiff, or this one
//! after a crash) sees either the old file or the new one, never half of
//! either, and two writers never trip over each other's temporary file.

pub mod notices;
pub mod paused;

use std::io::{self, Write};
use std::path::Path;

/// Replaces `path` with `bytes`: written to a temporary file with a unique
/// name in the same directory, flushed to disk, renamed over `path`, and the
/// directory entry flushed too. Creates the directory if needed. The file is
/// readable by its owner only (state and caches are nobody else's business).
pub fn write_atomic(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => Path::new("."),
    };
    std::fs::create_dir_all(dir)?;
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let mut tmp = tempfile::Builder::new()
        .prefix(&format!(".{name}."))
        .suffix(".tmp")
        .tempfile_in(dir)?;
    tmp.write_all(bytes)?;
    tmp.as_file().sync_all()?;
    tmp.persist(path).map_err(|e| e.error)?;
    // The rename is durable only once the directory is on disk too.
    #[cfg(unix)]
    if let Ok(d) = std::fs::File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

/// [`write_atomic`] of `value` as JSON (pretty-printed: these files are
/// small and people read them).
pub fn write_json<T: serde::Serialize + ?Sized>(path: &Path, value: &T) -> io::Result<()> {
    let bytes = serde_json::to_vec_pretty(value).map_err(io::Error::other)?;
    write_atomic(path, &bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    /// Two writers replace the same file over and over while a reader reads
    /// it: every write succeeds, every read is one whole document, and no
    /// temporary file is left behind.
    #[test]
    fn two_concurrent_writers_and_a_reader_never_see_half_a_file() {
        let dir = tempfile::tempdir().expect("dir");
        let path = Arc::new(dir.path().join("state.json"));
        let done = Arc::new(AtomicBool::new(false));
        let writer = |who: char| {
            let path = path.clone();
            std::thread::spawn(move || {
                for n in 0..150 {
                    // Big enough that a write takes more than one syscall.
                    let doc = serde_json::json!({ "who": who.to_string(), "n": n, "pad": who.to_string().repeat(64 * 1024) });
                    write_json(&path, &doc).map_err(|e| format!("{who} write {n}: {e}"))?;
                }
                Ok::<(), String>(())
            })
        };
        let reader = {
            let (path, done) = (path.clone(), done.clone());
            std::thread::spawn(move || {
                let mut reads = 0;
                while !done.load(Ordering::SeqCst) {
                    match std::fs::read(&*path) {
                        Ok(bytes) => {
                            let v: serde_json::Value = serde_json::from_slice(&bytes)
                                .map_err(|e| format!("half a file ({} bytes): {e}", bytes.len()))?;
                            let who = v["who"].as_str().unwrap_or_default().to_string();
                            if v["pad"].as_str().map(str::len) != Some(64 * 1024) || who.is_empty()
                            {
                                return Err(format!("a mixed file: {who}"));
                            }
                            reads += 1;
                        }
                        Err(e) if e.kind() == io::ErrorKind::NotFound => {}
                        Err(e) => return Err(e.to_string()),
                    }
                }
                Ok(reads)
            })
        };
        let (a, b) = (writer('a'), writer('b'));
        let results = [a.join().expect("a"), b.join().expect("b")];
        done.store(true, Ordering::SeqCst);
        let reads = reader.join().expect("reader");
        for r in results {
            assert_eq!(r, Ok(()));
        }
        assert!(reads.is_ok(), "{reads:?}");
        let left: Vec<String> = std::fs::read_dir(dir.path())
            .expect("list")
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .collect();
        assert_eq!(left, vec!["state.json".to_string()], "temporary files left");
    }

    #[test]
    fn the_file_is_the_owners_only_and_its_directory_is_made() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("dir");
        let path = dir.path().join("a/b/c.json");
        write_json(&path, &serde_json::json!({"x": 1})).expect("write");
        let mode = std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        assert!(
            std::fs::read_to_string(&path)
                .expect("read")
                .contains("\"x\": 1")
        );
    }
}
