//! The Transfers page and its jobs: each transfer is a copy of the
//! operations layer (the same plan and run as `skiff cp`), planned and run
//! in the background with its progress as values. A download that meets a
//! local file asks first (the overwrite popup).

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use super::ViewKind;
use crate::config::Action;
use crate::ops::transfer::copy::{self, CopyPlan, CopyRequest, Direction, FileResult};
use crate::ops::transfer::expand::free_name;
use crate::ops::transfer::{Progress, TransferOptions};
use crate::render::transfers::{JobState, TransferView};
use crate::render::{self, RowKey};
use crate::tui::app::{App, Level, Msg};
use crate::tui::popups::Popup;
use crate::tui::popups::prompts::{Clash, OverwriteQuestion};
use crate::tui::table::Table;

pub const HINTS: &[(Action, &str)] = &[
    (Action::Details, "details"),
    (Action::Stop, "cancel"),
    (Action::RestartTunnel, "retry"),
    (Action::Help, "help"),
];

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

    pub fn view(&self) -> TransferView {
        let p = &self.progress;
        let moved = p.done.load(Ordering::SeqCst);
        TransferView {
            id: self.id,
            label: self.label(),
            total: p.total.load(Ordering::SeqCst),
            done: moved + p.resumed.load(Ordering::SeqCst),
            moved,
            elapsed_secs: self
                .finished
                .unwrap_or_else(Instant::now)
                .saturating_duration_since(self.started)
                .as_secs_f64(),
            state: self.state.clone(),
            files: self.files,
        }
    }
}

#[derive(Default)]
pub struct TransfersPage {
    pub table: Table,
    pub list: Vec<Transfer>,
    seq: u32,
    /// Bumped whenever a transfer's state or progress may have changed.
    version: u64,
}

impl TransfersPage {
    pub fn refresh(&mut self, width: u16) {
        let list = &self.list;
        self.table
            .refresh(self.version, render::transfers::COLUMNS, width, || {
                list.iter()
                    .map(|t| render::transfers::row(&t.view()))
                    .collect()
            });
    }

    /// Called on every tick: progress moves while something runs.
    pub fn tick(&mut self) {
        if self.busy() {
            self.version += 1;
        }
    }

    pub fn busy(&self) -> bool {
        self.list.iter().any(|t| t.state.is_active())
    }

    pub fn get(&self, id: u32) -> Option<&Transfer> {
        self.list.iter().find(|t| t.id == id)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Transfer> {
        self.version += 1;
        self.list.iter_mut().find(|t| t.id == id)
    }

    /// All bytes of all transfers: (done, total), for the gauge.
    pub fn totals(&self) -> (u64, u64) {
        self.list.iter().fold((0, 0), |(d, t), x| {
            let v = x.view();
            (d + v.done, t + v.total)
        })
    }
}

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
        let page = &mut self.pages.transfers;
        page.seq += 1;
        page.version += 1;
        let id = page.seq;
        let req = request.clone();
        page.list.push(Transfer {
            id,
            request,
            progress: Arc::new(Progress::default()),
            state: JobState::Planning,
            started: Instant::now(),
            finished: None,
            files: None,
        });
        self.spawn(async move {
            Msg::TransferPlanned {
                id,
                result: copy::plan(&session, &req).await.map(Box::new),
            }
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
        if let Some(t) = self.pages.transfers.get_mut(id) {
            t.state = JobState::Asking;
        }
        self.open(Popup::Overwrite(OverwriteQuestion::new(id, plan, clashes)));
    }

    /// The overwrite question was answered for every clash (or cancelled).
    pub fn on_overwrite_answered(&mut self, q: OverwriteQuestion) {
        if q.cancelled {
            return self.on_transfer_done(q.transfer, Err("cancelled: nothing was written".into()));
        }
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
        let Some(actions) = self.actions() else {
            return self.on_transfer_done(id, Err("not connected".into()));
        };
        let Some(t) = self.pages.transfers.get_mut(id) else {
            return;
        };
        t.state = JobState::Running;
        t.files = Some(plan.items.len());
        let progress = t.progress.clone();
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
        let Some(t) = self.pages.transfers.get_mut(id) else {
            return;
        };
        t.finished = Some(Instant::now());
        t.state = match result {
            Ok(what) => JobState::Done(what),
            Err(_) if t.progress.cancelled.load(Ordering::SeqCst) => JobState::Cancelled,
            Err(why) => JobState::Failed(why),
        };
        let label = t.label();
        let into = t.request.dest.clone();
        match t.state.clone() {
            JobState::Failed(why) => self.notify(Level::Error, format!("{label}: {why}")),
            JobState::Done(_) => {
                self.notify(Level::Info, format!("{label}: done"));
                // New objects in the bucket being browsed: list it again,
                // keeping the filter and the selection.
                let browsed = format!("s3://{}/", self.pages.objects.browser.bucket);
                if self.view == ViewKind::Objects && into.starts_with(&browsed) {
                    self.reload_objects();
                }
            }
            _ => {}
        }
    }

    /// Keys of the Transfers page (true if handled).
    pub(crate) fn on_transfers_action(&mut self, action: Action) -> bool {
        let Some(RowKey::Transfer(id)) =
            self.pages.transfers.table.selected().map(|r| r.key.clone())
        else {
            return matches!(action, Action::Stop | Action::RestartTunnel);
        };
        match action {
            Action::Stop => {
                if let Some(t) = self.pages.transfers.get(id)
                    && t.state == JobState::Running
                {
                    t.progress.cancel();
                    self.notify(
                        Level::Info,
                        "cancelling: an unfinished multipart upload is aborted on S3",
                    );
                }
                true
            }
            Action::RestartTunnel => {
                if let Some(t) = self.pages.transfers.get(id)
                    && matches!(t.state, JobState::Failed(_) | JobState::Cancelled)
                {
                    let request = t.request.clone();
                    self.start_transfer(request);
                }
                true
            }
            _ => false,
        }
    }

    /// Any transfer not finished yet.
    pub fn transfers_busy(&self) -> bool {
        self.pages.transfers.busy()
    }
}
