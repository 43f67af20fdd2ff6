//! The ledger on disk: `ledger.json` in the state directory. Every change
//! is made under an exclusive lock on `ledger.lock`, to the file as it is
//! then (so a TUI and a CLI running at once add to each other's evidence
//! rather than overwriting it), and written atomically. A file that cannot
//! be read is kept aside (`ledger.json.damaged`), never overwritten.

use std::io;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};

use super::ledger::{Book, Did, Kind, Sighting, Window};

const FILE: &str = "ledger.json";
const LOCK: &str = "ledger.lock";

#[derive(Debug, Clone, Default)]
pub struct Ledger {
    dir: Option<PathBuf>,
    book: Book,
}

fn read(path: &Path) -> io::Result<Option<Book>> {
    match std::fs::read(path) {
        Ok(bytes) => serde_json::from_slice(&bytes)
            .map(Some)
            .map_err(|e| io::Error::new(io::ErrorKind::InvalidData, e)),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(e),
    }
}

impl Ledger {
    /// A ledger kept in memory only (tests, screenshots, demos).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// The ledger in `state_dir`. A damaged file is moved aside (with a
    /// warning in the log and the returned note) and a new one begun.
    pub fn open(state_dir: &Path) -> io::Result<(Self, Option<String>)> {
        let path = state_dir.join(FILE);
        let (book, note) = match read(&path) {
            Ok(b) => (b.unwrap_or_default(), None),
            Err(e) if e.kind() == io::ErrorKind::InvalidData => {
                let aside = crate::store::notices::set_aside(
                    &path,
                    &e.to_string(),
                    "the cost ledger",
                    "today's and this month's costs restart from now",
                );
                let Some(aside) = aside else {
                    return Err(e);
                };
                let note = format!(
                    "the cost ledger {} could not be read ({e}); it was kept as {} and a new one begun",
                    path.display(),
                    aside.display()
                );
                (Book::default(), Some(note))
            }
            Err(e) => return Err(e),
        };
        Ok((
            Self {
                dir: Some(state_dir.to_path_buf()),
                book,
            },
            note,
        ))
    }

    pub fn book(&self) -> &Book {
        &self.book
    }

    /// Applies `change` to the ledger as it is on disk now (under the lock),
    /// forgets last month's ended resources, and writes it back.
    pub fn update(&mut self, now: DateTime<Utc>, change: impl FnOnce(&mut Book)) -> io::Result<()> {
        let Some(dir) = &self.dir else {
            change(&mut self.book);
            self.book.prune(Window::month(now).from);
            return Ok(());
        };
        std::fs::create_dir_all(dir)?;
        let lock = std::fs::OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join(LOCK))?;
        lock.lock()?;
        let path = dir.join(FILE);
        let mut book = match read(&path) {
            Ok(b) => b.unwrap_or_default(),
            // Damaged since it was opened: keep what this process knows.
            Err(e) if e.kind() == io::ErrorKind::InvalidData => self.book.clone(),
            Err(e) => return Err(e),
        };
        change(&mut book);
        book.prune(Window::month(now).from);
        let written = crate::store::write_json(&path, &book);
        self.book = book;
        drop(lock);
        written
    }

    /// Records a listing made at `at` (see [`Book::observe`]).
    pub fn observe(
        &mut self,
        sightings: &[Sighting],
        listed: &[(Kind, String)],
        at: DateTime<Utc>,
    ) -> io::Result<()> {
        self.update(at, |b| b.observe(sightings, listed, at))
    }

    /// Records what skiff did, each change at its time (see [`Book::did`]).
    pub fn did(&mut self, changes: &[(String, Did, DateTime<Utc>)]) -> io::Result<()> {
        let Some(latest) = changes.iter().map(|(_, _, at)| *at).max() else {
            return Ok(());
        };
        self.update(latest, |b| {
            for (key, what, at) in changes {
                b.did(key, *what, *at);
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::ledger::Evidence;
    use crate::cost::money::{Amount, Money};

    fn sighting(key: &str, count: u32) -> Sighting {
        Sighting {
            key: key.into(),
            kind: Kind::Instance,
            name: key.into(),
            region: "us-east-1".into(),
            cluster: None,
            emr_cluster: None,
            tags: Default::default(),
            state: if count > 0 { "running" } else { "stopped" }.into(),
            count,
            unit: Amount::known(Money::new(1, 0)),
            source: "test".into(),
            storage: Amount::zero(),
            exists: true,
            started: None,
            stopped: None,
        }
    }

    #[test]
    fn two_writers_add_to_each_other_and_a_damaged_file_is_kept() {
        let dir = tempfile::tempdir().expect("dir");
        let t0: DateTime<Utc> = "2026-12-01T10:00:00Z".parse().expect("t");
        let (mut tui, _) = Ledger::open(dir.path()).expect("open");
        let (mut cli, _) = Ledger::open(dir.path()).expect("open");
        tui.observe(&[sighting("i-a", 1)], &[], t0).expect("a");
        cli.observe(&[sighting("i-b", 1)], &[], t0).expect("b");
        assert_eq!(cli.book().resources.len(), 2, "the CLI kept the TUI's");
        tui.did(&[(
            "i-b".into(),
            Did::Count(0),
            t0 + chrono::Duration::minutes(5),
        )])
        .expect("did");
        let (reopened, note) = Ledger::open(dir.path()).expect("reopen");
        assert_eq!(note, None);
        assert_eq!(reopened.book(), tui.book());
        let b = &reopened.book().resources["i-b"];
        assert_eq!(b.runs[0].end.map(|e| e.by), Some(Evidence::Skiff));

        std::fs::write(dir.path().join(FILE), "{damaged").expect("damage");
        let (fresh, note) = Ledger::open(dir.path()).expect("open damaged");
        assert!(fresh.book().resources.is_empty());
        assert!(note.expect("a note").contains("ledger.json.damaged"));
        assert_eq!(
            std::fs::read_to_string(dir.path().join("ledger.json.damaged")).expect("kept"),
            "{damaged"
        );
    }
}
