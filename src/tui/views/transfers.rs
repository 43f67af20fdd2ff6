//! The Transfers view and its jobs: each transfer is a copy of the
//! operations layer (the same plan and run as `skiff cp`), planned and run
//! in the background with its progress as values. A download that meets a
//! local file asks first (the overwrite popup).

use std::any::Any;
use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Instant;

use ratatui::Frame;
use ratatui::layout::{Constraint, Layout as Split, Rect};

use crate::config::{Action, Binding};
use crate::ops::transfer::copy::{self, CopyPlan, CopyRequest, Direction, FileResult};
use crate::ops::transfer::expand::free_name;
use crate::ops::transfer::{Progress, TransferOptions};
use crate::render::transfers::{JobState, TransferView};
use crate::render::{self, Column, RowKey};
use crate::tui::ctx::{Ctx, Event};
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::pane::Pane;
use crate::tui::popups::overwrite::{Clash, OverwritePopup, OverwriteQuestion};
use crate::tui::theme::Theme;
use crate::tui::view::{About, Details, Shutdown, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("transfers");

const BINDING: Binding = Binding {
    name: "transfers",
    keys: &["6"],
    help: "Transfers view: progress, x cancels, R retries",
};

const HINTS: &[(Action, &str)] = &[
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
    /// True once its background work has ended (an upload cut short has
    /// been aborted on S3 by then).
    ended: tokio::sync::watch::Receiver<bool>,
    end: Option<tokio::sync::watch::Sender<bool>>,
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

/// What a transfer's background work answers.
enum Answer {
    Planned {
        id: u32,
        result: Result<Box<CopyPlan>, String>,
    },
    Done {
        id: u32,
        outcome: Outcome,
    },
    /// The overwrite question was answered.
    Answered {
        id: u32,
        question: OverwriteQuestion,
    },
}

/// How a transfer ended.
enum Outcome {
    Moved { direction: Direction, files: usize },
    Failed(Vec<String>),
}

#[derive(Default)]
pub struct Transfers {
    pane: Pane,
    pub list: Vec<Transfer>,
    seq: u32,
    /// Bumped whenever a transfer's state or progress may have changed.
    version: u64,
    gauge: Option<Rect>,
}

impl Transfers {
    fn get(&self, id: u32) -> Option<&Transfer> {
        self.list.iter().find(|t| t.id == id)
    }

    fn get_mut(&mut self, id: u32) -> Option<&mut Transfer> {
        self.version += 1;
        self.list.iter_mut().find(|t| t.id == id)
    }

    /// The bytes of the transfers that did not fail and were not
    /// cancelled: (done, total), for the gauge (bytes that will never move
    /// are not waited for).
    pub fn totals(&self) -> (u64, u64) {
        self.list
            .iter()
            .filter(|x| !matches!(x.state, JobState::Failed(_) | JobState::Cancelled))
            .fold((0, 0), |(d, t), x| {
                let v = x.view();
                (d + v.done, t + v.total)
            })
    }

    /// Transfers the gauge leaves out.
    fn left_out(&self) -> usize {
        self.list
            .iter()
            .filter(|x| matches!(x.state, JobState::Failed(_) | JobState::Cancelled))
            .count()
    }

    /// Starts a copy: planned in the background, then run (after the
    /// overwrite question, for a download that meets local files).
    fn start(&mut self, request: CopyRequest, cx: &mut Ctx<'_>) {
        let Some(session) = cx.world.session.clone() else {
            return cx.warn("not connected yet");
        };
        let uploading = request.sources.iter().all(|s| !s.starts_with("s3://"));
        if uploading && let Some(why) = cx.refusal("s3", &format!("upload to {}", request.dest)) {
            return cx.warn(why);
        }
        self.seq += 1;
        self.version += 1;
        let id = self.seq;
        let req = request.clone();
        let (end, ended) = tokio::sync::watch::channel(false);
        self.list.push(Transfer {
            id,
            request,
            progress: Arc::new(Progress::default()),
            state: JobState::Planning,
            started: Instant::now(),
            finished: None,
            files: None,
            ended,
            end: Some(end),
        });
        cx.spawn(ID, async move {
            Answer::Planned {
                id,
                result: copy::plan(&session, &req).await.map(Box::new),
            }
        });
        let key = cx.keys().bound(&BINDING).first().map(ToString::to_string);
        cx.info(match key {
            Some(k) => format!("transfer started (Transfers view: {k})"),
            None => "transfer started (Transfers view: :transfers)".to_string(),
        });
    }

    fn on_planned(&mut self, id: u32, result: Result<Box<CopyPlan>, String>, cx: &mut Ctx<'_>) {
        let plan = match result {
            Ok(p) => *p,
            Err(why) => return self.finish(id, Outcome::Failed(vec![why]), cx),
        };
        let clashes = plan.existing();
        if clashes.is_empty() {
            return self.run(id, plan, cx);
        }
        if let Some(t) = self.get_mut(id) {
            t.state = JobState::Asking;
        }
        let question = OverwriteQuestion::new(plan, clashes);
        cx.open(OverwritePopup::new(question, move |cx, question| {
            cx.tell(ID, Answer::Answered { id, question });
        }));
    }

    /// The overwrite question was answered for every clash (or cancelled).
    fn on_answered(&mut self, id: u32, q: OverwriteQuestion, cx: &mut Ctx<'_>) {
        if q.cancelled {
            let why = "cancelled: nothing was written".to_string();
            return self.finish(id, Outcome::Failed(vec![why]), cx);
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
        self.run(id, plan, cx);
    }

    fn run(&mut self, id: u32, plan: CopyPlan, cx: &mut Ctx<'_>) {
        let Some(actions) = cx.actions() else {
            return self.finish(id, Outcome::Failed(vec!["not connected".into()]), cx);
        };
        let t = &cx.world.config.transfer;
        let opts = TransferOptions {
            multipart_threshold: t.multipart_threshold.as_u64(),
            part_size: t.part_size.as_u64(),
            concurrency: t.concurrency.max(1),
        };
        let journal = cx.world.dirs.state.join("uploads");
        let Some(t) = self.get_mut(id) else {
            return;
        };
        t.state = JobState::Running;
        t.files = Some(plan.items.len());
        let progress = t.progress.clone();
        let end = t.end.take();
        cx.spawn(ID, async move {
            let results = copy::run(&actions, &plan, &opts, &journal, false, &progress).await;
            if let Some(end) = end {
                let _ = end.send(true);
            }
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
            let outcome = if failed.is_empty() {
                Outcome::Moved {
                    direction: plan.direction,
                    files: results.len(),
                }
            } else {
                Outcome::Failed(failed)
            };
            Answer::Done { id, outcome }
        });
    }

    fn finish(&mut self, id: u32, outcome: Outcome, cx: &mut Ctx<'_>) {
        let Some(t) = self.get_mut(id) else {
            return;
        };
        t.finished = Some(Instant::now());
        t.state = match &outcome {
            Outcome::Moved { direction, files } => {
                let verb = match direction {
                    Direction::Upload => "uploaded",
                    Direction::Download => "downloaded",
                };
                JobState::Done(format!(
                    "{verb} {files} file{}",
                    if *files == 1 { "" } else { "s" }
                ))
            }
            Outcome::Failed(_) if t.progress.cancelled.load(Ordering::SeqCst) => {
                JobState::Cancelled
            }
            Outcome::Failed(why) => JobState::Failed(match why.as_slice() {
                [one] => one.clone(),
                [first, rest @ ..] => format!("{first} (and {} more)", rest.len()),
                [] => "failed".to_string(),
            }),
        };
        let (label, dest) = (t.label(), t.request.dest.clone());
        match t.state.clone() {
            JobState::Failed(why) => cx.error(format!("{label}: {why}")),
            JobState::Done(_) => {
                cx.info(format!("{label}: done"));
                cx.emit(Event::TransferFinished { dest });
            }
            _ => {}
        }
    }
}

const ABOUT: About = About {
    id: ID,
    title: "Transfers",
    commands: &["transfers", "transfer"],
    command_args: &[],
    binding: Some(BINDING),
    under: None,
    hints: HINTS,
    help: &[
        "Downloads and uploads started in a bucket, with their progress; x cancels one (an unfinished multipart upload is aborted on S3), R retries a failed one.",
    ],
};

impl View for Transfers {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::transfers::COLUMNS
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, _world: &World, width: u16) {
        let list = &self.list;
        self.pane
            .table
            .refresh(self.version, render::transfers::COLUMNS, width, || {
                list.iter()
                    .map(|t| render::transfers::row(&t.view()))
                    .collect()
            });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        if !matches!(action, Action::Stop | Action::RestartTunnel) {
            return false;
        }
        let Some(RowKey::Transfer(id)) = self.pane.table.selected().map(|r| r.key.clone()) else {
            return true;
        };
        let Some(t) = self.get(id) else {
            return true;
        };
        match action {
            Action::Stop if t.state.is_active() => {
                t.progress.cancel();
                cx.info("cancelling: an unfinished multipart upload is aborted on S3");
            }
            Action::Stop => cx.info(format!(
                "nothing to cancel: this transfer is {} ({} retries a failed or cancelled one)",
                t.state.label(),
                cx.key(Action::RestartTunnel)
            )),
            Action::RestartTunnel
                if matches!(t.state, JobState::Failed(_) | JobState::Cancelled) =>
            {
                let request = t.request.clone();
                self.start(request, cx);
            }
            _ => {}
        }
        true
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        let Ok(answer) = msg.downcast::<Answer>() else {
            return;
        };
        match *answer {
            Answer::Planned { id, result } => self.on_planned(id, result, cx),
            Answer::Answered { id, question } => self.on_answered(id, question, cx),
            Answer::Done { id, outcome } => self.finish(id, outcome, cx),
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Ctx<'_>) {
        if let Event::StartTransfer(request) = event {
            self.start(request.clone(), cx);
        }
    }

    fn on_tick(&mut self, _cx: &mut Ctx<'_>) {
        // Progress moves while something runs.
        if self.busy() {
            self.version += 1;
        }
    }

    fn busy(&self) -> bool {
        self.list.iter().any(|t| t.state.is_active())
    }

    fn count(&self, _world: &World) -> Option<usize> {
        Some(self.list.len())
    }

    fn empty_text(&self, _world: &World) -> String {
        " No transfers yet: open a bucket (3, enter), then D downloads, U uploads.".to_string()
    }

    fn layout(&mut self, body: Rect, _world: &World) {
        if !self.list.is_empty() && body.height > 2 {
            let [rest, gauge] =
                Split::vertical([Constraint::Min(0), Constraint::Length(1)]).areas(body);
            self.gauge = Some(gauge);
            self.pane.place(rest);
        } else {
            self.gauge = None;
            self.pane.place(body);
        }
    }

    fn draw(&self, frame: &mut Frame, world: &World, theme: &Theme) {
        if let Some(area) = self.gauge {
            let (done, total) = self.totals();
            let ratio = if total == 0 {
                1.0
            } else {
                (done as f64 / total as f64).clamp(0.0, 1.0)
            };
            let gauge = ratatui::widgets::Gauge::default()
                .gauge_style(theme.info())
                .ratio(ratio)
                .label(format!(
                    "all transfers: {} of {}{}",
                    bytesize::ByteSize(done),
                    bytesize::ByteSize(total),
                    match self.left_out() {
                        0 => String::new(),
                        n => format!(" ({n} failed or cancelled not counted)"),
                    }
                ));
            frame.render_widget(gauge, area);
        }
        self.pane
            .draw(frame, self.columns(), theme, &self.empty_text(world));
    }

    fn details(&self, _world: &World) -> Option<Details> {
        let Some(RowKey::Transfer(n)) = self.pane.table.selected().map(|r| &r.key) else {
            return None;
        };
        let t = self.get(*n)?;
        Some((
            "Transfer".to_string(),
            render::transfers::details(&t.view()),
        ))
    }

    fn live(&self) -> Vec<String> {
        self.list
            .iter()
            .filter(|t| t.state.is_active())
            .map(|t| t.label())
            .collect()
    }

    fn shutdown(&mut self) -> Vec<Shutdown> {
        let mut stopping = Vec::new();
        for t in self.list.iter_mut().filter(|t| t.state.is_active()) {
            t.progress.cancel();
            // Not yet running (planning, asking): nothing to wait for.
            t.end = None;
            let mut ended = t.ended.clone();
            stopping.push(Box::pin(async move {
                let _ = ended.wait_for(|done| *done).await;
            }) as Shutdown);
        }
        stopping
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn transfer(id: u32, state: JobState, done: u64, total: u64) -> Transfer {
        let progress = Arc::new(Progress::default());
        progress.done.store(done, Ordering::SeqCst);
        progress.total.store(total, Ordering::SeqCst);
        let (end, ended) = tokio::sync::watch::channel(false);
        Transfer {
            id,
            request: CopyRequest {
                sources: vec!["a".into()],
                dest: "s3://b/".into(),
                recursive: false,
                skip_identical: false,
            },
            progress,
            state,
            started: Instant::now(),
            finished: None,
            files: None,
            ended,
            end: Some(end),
        }
    }

    #[test]
    fn cancelled_and_failed_bytes_leave_the_gauge() {
        let mut v = Transfers::default();
        v.list.push(transfer(1, JobState::Cancelled, 800, 1000));
        v.list
            .push(transfer(2, JobState::Failed("cut".into()), 5, 10));
        v.list.push(transfer(3, JobState::Running, 1, 4));
        v.list
            .push(transfer(4, JobState::Done("1 file".into()), 2, 2));
        assert_eq!(v.totals(), (3, 6));
        assert_eq!(v.left_out(), 2);
    }
}
