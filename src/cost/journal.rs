//! The journal of instance state changes skiff observed or made, in the
//! state directory (`journal.jsonl`, one JSON line per change). EC2 resets
//! LaunchTime at every start, so this is how skiff knows the runs of today and
//! of this month.

use std::collections::HashMap;
use std::io::{self, BufRead, Write};
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::compute::Run;
use crate::model::{Instance, InstanceState};

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Entry {
    at: DateTime<Utc>,
    id: String,
    state: InstanceState,
    /// "observed" (seen in a listing) or "skiff" (a change skiff made).
    source: String,
}

/// State changes per instance, oldest first.
#[derive(Debug, Clone, Default)]
pub struct Journal {
    path: Option<PathBuf>,
    changes: HashMap<String, Vec<(DateTime<Utc>, InstanceState)>>,
}

impl Journal {
    /// A journal that is not written anywhere (tests, screenshots).
    pub fn in_memory() -> Self {
        Self::default()
    }

    /// Reads the journal in `state_dir` (a missing file is an empty journal;
    /// an unreadable line is skipped, not fatal).
    pub fn open(state_dir: &Path) -> io::Result<Self> {
        let path = state_dir.join("journal.jsonl");
        let mut journal = Self {
            path: Some(path.clone()),
            changes: HashMap::new(),
        };
        match std::fs::File::open(&path) {
            Ok(file) => {
                for line in io::BufReader::new(file).lines() {
                    if let Ok(entry) = serde_json::from_str::<Entry>(&line?) {
                        journal
                            .changes
                            .entry(entry.id)
                            .or_default()
                            .push((entry.at, entry.state));
                    }
                }
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        for list in journal.changes.values_mut() {
            list.sort_by_key(|(at, _)| *at);
        }
        Ok(journal)
    }

    fn last_state(&self, id: &str) -> Option<InstanceState> {
        self.changes.get(id).and_then(|l| l.last()).map(|(_, s)| *s)
    }

    fn append(&mut self, entries: &[Entry]) -> io::Result<()> {
        for e in entries {
            self.changes
                .entry(e.id.clone())
                .or_default()
                .push((e.at, e.state));
        }
        let Some(path) = &self.path else {
            return Ok(());
        };
        if entries.is_empty() {
            return Ok(());
        }
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        let mut file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        let mut text = String::new();
        for e in entries {
            text.push_str(&serde_json::to_string(e).map_err(io::Error::other)?);
            text.push('\n');
        }
        file.write_all(text.as_bytes())
    }

    /// Records every instance whose state differs from the last one written.
    /// A running instance seen for the first time is recorded as running since
    /// its LaunchTime. Returns how many changes were written.
    pub fn observe(&mut self, instances: &[Instance], now: DateTime<Utc>) -> io::Result<usize> {
        let mut entries = Vec::new();
        for i in instances {
            if self.last_state(&i.id) == Some(i.state) {
                continue;
            }
            let at = match (self.last_state(&i.id), i.state, i.launch_time) {
                (
                    None
                    | Some(InstanceState::Stopped | InstanceState::Stopping | InstanceState::Pending),
                    InstanceState::Running,
                    Some(t),
                ) if t <= now => t,
                _ => now,
            };
            entries.push(Entry {
                at,
                id: i.id.clone(),
                state: i.state,
                source: "observed".into(),
            });
        }
        let n = entries.len();
        self.append(&entries)?;
        Ok(n)
    }

    /// Records a change skiff made itself.
    pub fn record(&mut self, id: &str, state: InstanceState, at: DateTime<Utc>) -> io::Result<()> {
        self.append(&[Entry {
            at,
            id: id.to_string(),
            state,
            source: "skiff".into(),
        }])
    }

    /// The runs of `i`: from the journal, and its current run from LaunchTime.
    pub fn runs(&self, i: &Instance, now: DateTime<Utc>) -> Vec<Run> {
        let mut runs = Vec::new();
        let mut open: Option<DateTime<Utc>> = None;
        for &(at, state) in self.changes.get(&i.id).map_or(&[][..], Vec::as_slice) {
            match (state, open) {
                (InstanceState::Running, None) => open = Some(at),
                (InstanceState::Running, Some(_)) => {}
                (_, Some(start)) => {
                    runs.push(Run {
                        start,
                        end: Some(at),
                    });
                    open = None;
                }
                (_, None) => {}
            }
        }
        if i.state == InstanceState::Running {
            // LaunchTime is the start of the current run; a journaled run
            // that began earlier stopped (unseen) before it.
            let start = i.launch_time.or(open).unwrap_or(now);
            if let Some(prev) = open.filter(|&o| o < start) {
                runs.push(Run {
                    start: prev,
                    end: Some(start),
                });
            }
            runs.push(Run { start, end: None });
        } else if let Some(start) = open {
            // Seen running last time, not now: it stopped since.
            runs.push(Run {
                start,
                end: Some(now),
            });
        }
        runs
    }

    /// Since when the instance (and its volumes) existed, as far as known.
    pub fn exists_since(&self, i: &Instance, now: DateTime<Utc>) -> DateTime<Utc> {
        let first = self
            .changes
            .get(&i.id)
            .and_then(|l| l.first())
            .map(|(at, _)| *at);
        [first, i.launch_time]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(now)
            .min(now)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::demo;
    use chrono::Duration;

    #[test]
    fn observations_become_runs_and_survive_a_restart() {
        let dir = tempfile::tempdir().expect("dir");
        let now = demo::now();
        let mut i = demo::inventory().instances[0].clone();
        let launched = i.launch_time.expect("launch");
        let mut j = Journal::open(dir.path()).expect("open");
        assert_eq!(
            j.observe(std::slice::from_ref(&i), now).expect("observe"),
            1
        );
        assert_eq!(
            j.observe(std::slice::from_ref(&i), now).expect("observe"),
            0,
            "no change, nothing written"
        );

        // Stopped an hour later, started again (LaunchTime reset) later still.
        i.state = InstanceState::Stopped;
        j.observe(std::slice::from_ref(&i), now + Duration::hours(1))
            .expect("observe");
        i.state = InstanceState::Running;
        i.launch_time = Some(now + Duration::hours(2));
        j.observe(std::slice::from_ref(&i), now + Duration::hours(3))
            .expect("observe");

        let reopened = Journal::open(dir.path()).expect("reopen");
        let runs = reopened.runs(&i, now + Duration::hours(3));
        assert_eq!(
            runs,
            vec![
                Run {
                    start: launched,
                    end: Some(now + Duration::hours(1))
                },
                Run {
                    start: now + Duration::hours(2),
                    end: None
                },
            ]
        );
        assert_eq!(reopened.exists_since(&i, now), launched);
    }

    #[test]
    fn a_running_instance_never_journaled_runs_since_launch() {
        let i = demo::inventory().instances[0].clone();
        let runs = Journal::in_memory().runs(&i, demo::now());
        assert_eq!(
            runs,
            vec![Run {
                start: i.launch_time.expect("launch"),
                end: None
            }]
        );
        let mut stopped = i.clone();
        stopped.state = InstanceState::Stopped;
        assert!(Journal::in_memory().runs(&stopped, demo::now()).is_empty());
    }
}
