//! Transfers in the TUI: each is a copy of the operations layer (the same
//! plan and run as `skiff cp`), planned and run in the background with its
//! progress as values, shown in the Transfers view. A download that meets a
//! local file asks first: overwrite, keep both, or skip (for one, or all).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::app::{App, Level, Mode, Msg, ViewKind};
use crate::ops::transfer::copy::{self, CopyPlan, CopyRequest, Direction, FileResult};
use crate::ops::transfer::expand::free_name;
use crate::ops::transfer::{Progress, TransferOptions};
use crate::render::{Cell, Row, Tone};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Listing or walking folders: which files, which keys.
    Planning,
    /// Waiting for the answer to the overwrite question.
    Asking,
    Running,
    Done(String),
    Failed(String),
    Cancelled,
}

pub struct Transfer {
    pub id: u32,
    pub request: CopyRequest,
    pub progress: Arc<Progress>,
    pub state: JobState,
    pub started: Instant,
    pub finished: Option<Instant>,
    /// Files in the plan, once planned.
    pub files: Option<usize>,
}

impl Transfer {
    pub fn label(&self) -> String {
        format!(
            "{} → {}",
            self.request.sources.join(", "),
            self.request.dest
        )
    }
}

/// What to do with a download whose local file exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    Overwrite,
    KeepBoth,
    Skip,
}

/// The question asked while a download's plan waits.
#[derive(Debug, Clone)]
pub struct OverwriteQuestion {
    pub transfer: u32,
    pub plan: CopyPlan,
    /// Items whose local file exists, in order, and the answers so far.
    pub clashes: Vec<usize>,
    pub answers: Vec<Clash>,
}

impl OverwriteQuestion {
    /// The local file asked about now.
    pub fn current(&self) -> Option<&PathBuf> {
        let n = *self.clashes.get(self.answers.len())?;
        Some(&self.plan.items[n].local)
    }

    pub fn lines(&self) -> Vec<String> {
        let Some(path) = self.current() else {
            return Vec::new();
        };
        let left = self.clashes.len() - self.answers.len();
        let mut lines = vec![
            format!("{} exists already.", path.display()),
            String::new(),
            "o overwrite it   k keep both (the download gets a new name)   s skip it".to_string(),
        ];
        if left > 1 {
            lines.push(format!(
                "O K S: the same for this and the {} other existing file{}",
                left - 1,
                if left == 2 { "" } else { "s" }
            ));
        }
        lines.push("esc: cancel the download (nothing is written)".to_string());
        lines
    }
}

/// A text bar for a table cell: `████░░░░ 45%`.
pub fn bar(done: u64, total: u64, width: usize) -> String {
    let ratio = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let filled = (ratio * width as f64).round() as usize;
    format!(
        "{}{} {:>3.0}%",
        "█".repeat(filled),
        "░".repeat(width - filled),
        ratio * 100.0
    )
}

pub fn transfer_row(t: &Transfer) -> Row {
    let total = t.progress.total.load(Ordering::SeqCst);
    let done = t.progress.done.load(Ordering::SeqCst) + t.progress.resumed.load(Ordering::SeqCst);
    let elapsed = t
        .finished
        .unwrap_or_else(Instant::now)
        .saturating_duration_since(t.started)
        .as_secs_f64()
        .max(0.001);
    let rate = t.progress.done.load(Ordering::SeqCst) as f64 / elapsed;
    let eta = if rate > 0.0 && t.state == JobState::Running {
        format!("{:.0}s", total.saturating_sub(done) as f64 / rate)
    } else {
        "-".into()
    };
    let (state, tone) = match &t.state {
        JobState::Planning => ("planning".to_string(), Tone::Transitioning),
        JobState::Asking => ("waiting for an answer".to_string(), Tone::Transitioning),
        JobState::Running => ("running".to_string(), Tone::Transitioning),
        JobState::Done(what) => (what.clone(), Tone::Running),
        JobState::Failed(why) => (format!("failed: {why}"), Tone::Terminated),
        JobState::Cancelled => ("cancelled".into(), Tone::Stopped),
    };
    Row {
        key: crate::render::RowKey::Transfer(t.id),
        cells: vec![
            Cell::text(t.label()),
            Cell::text(bar(done, total, 10)),
            Cell::number(
                format!(
                    "{} / {}",
                    bytesize::ByteSize(done),
                    bytesize::ByteSize(total)
                ),
                i64::try_from(done).unwrap_or(0),
            ),
            Cell::number(
                format!("{}/s", bytesize::ByteSize(rate as u64)),
                rate as i64,
            ),
            Cell::text(eta),
            Cell::text(state),
        ],
        tone,
    }
}

#[rustfmt::skip]
pub const TRANSFER_COLUMNS: &[crate::render::Column] = &[
    crate::render::Column { title: "TRANSFER", width: 34, priority: 0 },
    crate::render::Column { title: "PROGRESS", width: 15, priority: 1 },
    crate::render::Column { title: "BYTES", width: 21, priority: 2 },
    crate::render::Column { title: "RATE", width: 11, priority: 3 },
    crate::render::Column { title: "ETA", width: 5, priority: 4 },
    crate::render::Column { title: "STATE", width: 20, priority: 1 },
];

fn plural(n: usize, word: &str) -> String {
    format!("{n} {word}{}", if n == 1 { "" } else { "s" })
}

impl App {
    fn transfer_options(&self) -> TransferOptions {
        let t = &self.config.transfer;
        TransferOptions {
            multipart_threshold: t.multipart_threshold.as_u64(),
            part_size: t.part_size.as_u64(),
            concurrency: t.concurrency.max(1),
        }
    }

    /// Starts a copy: planned in the background, then run (after the
    /// overwrite question, for a download that meets local files).
    pub fn start_transfer(&mut self, request: CopyRequest) {
        let Some(session) = self.session.clone() else {
            return self.notify(Level::Warning, "not connected yet");
        };
        let uploading = request.sources.iter().all(|s| !s.starts_with("s3://"));
        if uploading
            && let Some(e) = self
                .gate()
                .refusal("s3", "", &format!("upload to {}", request.dest))
        {
            return self.notify(Level::Warning, e.message);
        }
        self.transfer_seq += 1;
        let id = self.transfer_seq;
        let req = request.clone();
        self.spawn(async move {
            Msg::TransferPlanned {
                id,
                result: copy::plan(&session, &req).await.map(Box::new),
            }
        });
        self.transfers.push(Transfer {
            id,
            request,
            progress: Arc::new(Progress::default()),
            state: JobState::Planning,
            started: Instant::now(),
            finished: None,
            files: None,
        });
        self.notify(Level::Info, "transfer started (Transfers view: 6)");
    }

    pub fn on_transfer_planned(&mut self, id: u32, result: Result<Box<CopyPlan>, String>) {
        let plan = match result {
            Ok(p) => *p,
            Err(why) => return self.on_transfer_done(id, Err(why)),
        };
        let clashes = plan.existing();
        if clashes.is_empty() {
            return self.run_transfer(id, plan);
        }
        if let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) {
            t.state = JobState::Asking;
        }
        self.overwrite = Some(OverwriteQuestion {
            transfer: id,
            plan,
            clashes,
            answers: Vec::new(),
        });
        self.mode = Mode::Overwrite;
    }

    /// A key in the overwrite question.
    pub fn on_overwrite_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::KeyCode;
        let Some(q) = self.overwrite.as_mut() else {
            self.mode = Mode::Normal;
            return;
        };
        let (clash, all) = match key.code {
            KeyCode::Char('o') => (Clash::Overwrite, false),
            KeyCode::Char('k') => (Clash::KeepBoth, false),
            KeyCode::Char('s') => (Clash::Skip, false),
            KeyCode::Char('O') => (Clash::Overwrite, true),
            KeyCode::Char('K') => (Clash::KeepBoth, true),
            KeyCode::Char('S') => (Clash::Skip, true),
            KeyCode::Esc => {
                let id = q.transfer;
                self.overwrite = None;
                self.mode = Mode::Normal;
                return self.on_transfer_done(id, Err("cancelled: nothing was written".into()));
            }
            _ => return,
        };
        let left = q.clashes.len() - q.answers.len();
        q.answers
            .extend(std::iter::repeat_n(clash, if all { left } else { 1 }));
        if q.answers.len() < q.clashes.len() {
            return;
        }
        let Some(q) = self.overwrite.take() else {
            return;
        };
        self.mode = Mode::Normal;
        let mut plan = q.plan;
        let mut drop = Vec::new();
        for (n, answer) in q.clashes.iter().zip(&q.answers) {
            match answer {
                Clash::Overwrite => {}
                Clash::Skip => drop.push(*n),
                Clash::KeepBoth => {
                    let taken: Vec<PathBuf> = plan.items.iter().map(|i| i.local.clone()).collect();
                    let item = &mut plan.items[*n];
                    item.local =
                        free_name(&item.local, |p| p.exists() || taken.iter().any(|t| t == p));
                }
            }
        }
        let mut n = 0;
        plan.items.retain(|_| {
            n += 1;
            !drop.contains(&(n - 1))
        });
        self.run_transfer(q.transfer, plan);
    }

    fn run_transfer(&mut self, id: u32, plan: CopyPlan) {
        let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) else {
            return;
        };
        t.state = JobState::Running;
        t.files = Some(plan.items.len());
        let progress = t.progress.clone();
        let Some(actions) = self.actions() else {
            return self.on_transfer_done(id, Err("not connected".into()));
        };
        let opts = self.transfer_options();
        let journal = self.dirs.state.join("uploads");
        self.spawn(async move {
            let results = copy::run(&actions, &plan, &opts, &journal, false, &progress).await;
            let failed: Vec<String> = results
                .iter()
                .filter_map(|r| match r {
                    FileResult::Failed { what, why } => Some(format!("{what}: {why}")),
                    _ => None,
                })
                .chain(
                    plan.skipped
                        .iter()
                        .map(|s| format!("{} skipped: {}", s.what, s.why)),
                )
                .collect();
            let moved = results
                .iter()
                .filter(|r| !matches!(r, FileResult::Failed { .. }))
                .count();
            let verb = match plan.direction {
                Direction::Upload => "uploaded",
                Direction::Download => "downloaded",
            };
            let result = match failed.first() {
                None => Ok(format!("{verb} {}", plural(moved, "file"))),
                Some(first) if failed.len() == 1 => Err(first.clone()),
                Some(first) => Err(format!("{first} (and {} more)", failed.len() - 1)),
            };
            Msg::TransferDone { id, result }
        });
    }

    pub fn on_transfer_done(&mut self, id: u32, result: Result<String, String>) {
        let Some(t) = self.transfers.iter_mut().find(|t| t.id == id) else {
            return;
        };
        t.finished = Some(Instant::now());
        t.state = match result {
            Ok(what) => JobState::Done(what),
            Err(_) if t.progress.cancelled.load(Ordering::SeqCst) => JobState::Cancelled,
            Err(why) => JobState::Failed(why),
        };
        let label = t.label();
        match &t.state {
            JobState::Failed(why) => {
                let why = why.clone();
                self.notify(Level::Error, format!("{label}: {why}"));
            }
            JobState::Done(_) => {
                let into_browsed = t
                    .request
                    .dest
                    .starts_with(&format!("s3://{}/", self.browser.bucket));
                self.notify(Level::Info, format!("{label}: done"));
                // New objects in the bucket being browsed: list it again,
                // keeping the filter and the selection.
                if self.view == ViewKind::Objects && into_browsed {
                    self.reload_objects();
                }
            }
            _ => {}
        }
    }

    pub fn cancel_transfer(&mut self, id: u32) {
        if let Some(t) = self
            .transfers
            .iter()
            .find(|t| t.id == id && t.state == JobState::Running)
        {
            t.progress.cancel();
            self.notify(
                Level::Info,
                "cancelling: an unfinished multipart upload is aborted on S3",
            );
        }
    }

    pub fn retry_transfer(&mut self, id: u32) {
        if let Some(t) = self
            .transfers
            .iter()
            .find(|t| t.id == id && matches!(t.state, JobState::Failed(_) | JobState::Cancelled))
        {
            let request = t.request.clone();
            self.start_transfer(request);
        }
    }

    /// Any transfer not finished yet.
    pub fn transfers_busy(&self) -> bool {
        self.transfers.iter().any(|t| {
            matches!(
                t.state,
                JobState::Planning | JobState::Running | JobState::Asking
            )
        })
    }
}
