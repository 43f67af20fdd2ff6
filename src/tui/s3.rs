//! S3 in the TUI: a bucket as a file browser (listings paged lazily, so a
//! prefix with 100,000 objects opens at once), and transfers that run in the
//! background with their progress as values, shown in the Transfers view.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use super::app::{App, Level, Msg, ViewKind};
use crate::model::ObjectEntry;
use crate::render::{Cell, Row, Tone};
use crate::transfer::plan::{self, S3Uri};
use crate::transfer::{Progress, TransferOptions};

/// Keys per listing page.
const PAGE: i32 = 1000;
/// Fetch the next page when the selection comes this close to the end.
const PREFETCH: usize = 200;

/// The bucket being browsed.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub bucket: String,
    pub prefix: String,
    pub entries: Vec<ObjectEntry>,
    pub next_token: Option<String>,
    pub loading: bool,
    /// Answers for an older bucket/prefix are dropped.
    pub generation: u64,
}

/// What a transfer moves.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Job {
    Upload { path: PathBuf, to: S3Uri },
    Download { from: S3Uri, to: PathBuf },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    Running,
    Done(String),
    Failed(String),
    Cancelled,
}

pub struct Transfer {
    pub id: u32,
    pub job: Job,
    pub progress: Arc<Progress>,
    pub state: JobState,
    pub started: Instant,
    pub finished: Option<Instant>,
}

impl Transfer {
    pub fn label(&self) -> String {
        match &self.job {
            Job::Upload { path, to } => format!("{} → {to}", path.display()),
            Job::Download { from, to } => format!("{from} → {}", to.display()),
        }
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
        JobState::Running => ("running".to_string(), Tone::Transitioning),
        JobState::Done(what) => (what.clone(), Tone::Running),
        JobState::Failed(why) => (format!("failed: {why}"), Tone::Terminated),
        JobState::Cancelled => ("cancelled".into(), Tone::Stopped),
    };
    Row {
        id: t.id.to_string(),
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

impl App {
    /// Opens `bucket` at `prefix` in the Objects view.
    pub fn browse(&mut self, bucket: &str, prefix: &str) {
        let generation = self.browser.generation + 1;
        self.browser = Browser {
            bucket: bucket.into(),
            prefix: prefix.into(),
            generation,
            ..Browser::default()
        };
        self.views_for(ViewKind::Objects).filter.clear();
        self.views_for(ViewKind::Objects).moved = false;
        self.switch_view(ViewKind::Objects);
        self.fetch_page();
    }

    fn fetch_page(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        let b = &mut self.browser;
        b.loading = true;
        let (bucket, prefix, token, generation) = (
            b.bucket.clone(),
            b.prefix.clone(),
            b.next_token.take(),
            b.generation,
        );
        let Some(tx) = self.sender() else { return };
        tokio::spawn(async move {
            let client = crate::cli::s3::client_for_bucket(&session, &bucket).await;
            let result = crate::cloud::s3::list_page(&client, &bucket, &prefix, token, PAGE).await;
            let _ = tx.send(Msg::Objects { generation, result });
        });
    }

    pub fn on_objects(
        &mut self,
        generation: u64,
        result: Result<(Vec<ObjectEntry>, Option<String>), crate::cloud::CloudError>,
    ) {
        if generation != self.browser.generation {
            return;
        }
        self.browser.loading = false;
        match result {
            Ok((entries, next)) => {
                self.browser.entries.extend(entries);
                self.browser.next_token = next;
            }
            Err(e) => self.notify(Level::Error, e.to_string()),
        }
    }

    /// Called on every tick: the next page when the selection nears the end.
    pub fn prefetch_objects(&mut self) {
        if self.view != ViewKind::Objects
            || self.browser.loading
            || self.browser.next_token.is_none()
        {
            return;
        }
        let selected = self
            .views_for(ViewKind::Objects)
            .table
            .selected()
            .unwrap_or(0);
        if selected + PREFETCH >= self.browser.entries.len() {
            self.fetch_page();
        }
    }

    pub fn object_rows(&self) -> Vec<Row> {
        self.browser
            .entries
            .iter()
            .map(|e| crate::render::objects::row(e, &self.browser.prefix))
            .collect()
    }

    /// Enter in the Objects view: into a folder (true), or not handled.
    pub fn enter_object(&mut self) -> bool {
        let Some(row) = self.selected_row() else {
            return false;
        };
        if row.id.ends_with('/') {
            let bucket = self.browser.bucket.clone();
            self.browse(&bucket, &row.id);
            return true;
        }
        false
    }

    /// Esc in the Objects view: up one level, or back to the Buckets view.
    pub fn leave_objects(&mut self) {
        let prefix = self.browser.prefix.trim_end_matches('/');
        if prefix.is_empty() {
            self.switch_view(ViewKind::Buckets);
            return;
        }
        let parent = prefix
            .rfind('/')
            .map_or(String::new(), |i| prefix[..=i].to_string());
        let bucket = self.browser.bucket.clone();
        self.browse(&bucket, &parent);
    }

    /// The breadcrumb of the Objects view.
    pub fn breadcrumb(&self) -> String {
        format!("s3://{}/{}", self.browser.bucket, self.browser.prefix)
    }

    fn transfer_options(&self) -> TransferOptions {
        let t = &self.config.transfer;
        TransferOptions {
            multipart_threshold: t.multipart_threshold.as_u64(),
            part_size: t.part_size.as_u64(),
            concurrency: t.concurrency.max(1),
        }
    }

    /// Starts a transfer in the background.
    pub fn start_transfer(&mut self, job: Job) {
        let Some(session) = self.session.clone() else {
            return self.notify(Level::Warning, "not connected yet");
        };
        let Some(tx) = self.sender() else { return };
        self.transfer_seq += 1;
        let id = self.transfer_seq;
        let progress = Arc::new(Progress::default());
        let opts = self.transfer_options();
        let journal = self.dirs.state.join("uploads");
        let (job2, progress2) = (job.clone(), progress.clone());
        tokio::spawn(async move {
            let result = run_job(&session, &job2, &opts, &journal, &progress2).await;
            let _ = tx.send(Msg::TransferDone { id, result });
        });
        self.transfers.push(Transfer {
            id,
            job,
            progress,
            state: JobState::Running,
            started: Instant::now(),
            finished: None,
        });
        self.notify(Level::Info, "transfer started (Transfers view: 6)");
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
                self.notify(Level::Info, format!("{label}: done"));
                // Show the new objects if the browser is on that prefix.
                if self.view == ViewKind::Objects {
                    let (b, p) = (self.browser.bucket.clone(), self.browser.prefix.clone());
                    self.browse(&b, &p);
                }
            }
            _ => {}
        }
    }

    /// Download of the selected object or folder into the download directory.
    pub fn download_selected(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let dir = PathBuf::from(&self.config.transfer.download_dir);
        let from = S3Uri {
            bucket: self.browser.bucket.clone(),
            key: row.id.clone(),
        };
        let name = row
            .id
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(&row.id)
            .to_string();
        match plan::local_path(&dir, "", &name) {
            Ok(to) => self.start_transfer(Job::Download { from, to }),
            Err(e) => self.notify(Level::Warning, e),
        }
    }

    /// `:upload PATH`: a file or folder into the prefix being browsed.
    pub fn upload_path(&mut self, path: &str) {
        if self.view != ViewKind::Objects && self.browser.bucket.is_empty() {
            return self.notify(
                Level::Warning,
                "open a bucket first (Buckets view, enter), then :upload PATH",
            );
        }
        let path = PathBuf::from(shellexpand_home(path));
        if !path.exists() {
            return self.notify(
                Level::Warning,
                format!("{}: no such file or folder", path.display()),
            );
        }
        let to = S3Uri {
            bucket: self.browser.bucket.clone(),
            key: self.browser.prefix.clone(),
        };
        self.start_transfer(Job::Upload { path, to });
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
            let job = t.job.clone();
            self.start_transfer(job);
        }
    }
}

fn shellexpand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest).display().to_string(),
        _ => path.to_string(),
    }
}

/// Runs one job: a file or a folder, up or down.
async fn run_job(
    session: &crate::cloud::Session,
    job: &Job,
    opts: &TransferOptions,
    journal: &std::path::Path,
    progress: &Arc<Progress>,
) -> Result<String, String> {
    match job {
        Job::Upload { path, to } => {
            let s3 = crate::cli::s3::client_for_bucket(session, &to.bucket).await;
            let base = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let files: Vec<(PathBuf, String)> = if path.is_dir() {
                let prefix = format!("{}{base}", to.key);
                crate::cli::s3::walk(path)
                    .map_err(|e| e.to_string())?
                    .into_iter()
                    .filter_map(|f| plan::key_for(&prefix, path, &f).map(|k| (f, k)))
                    .collect()
            } else {
                vec![(path.clone(), format!("{}{base}", to.key))]
            };
            let n = files.len();
            let sized = crate::transfer::with_sizes(files);
            let results = crate::transfer::by_size(sized, opts, |(file, key)| {
                let s3 = &s3;
                async move {
                    crate::transfer::upload_file(
                        s3, &file, &to.bucket, &key, opts, journal, progress,
                    )
                    .await
                }
            })
            .await;
            if let Some(e) = results.into_iter().find_map(Result::err) {
                return Err(e.to_string());
            }
            Ok(format!(
                "uploaded {n} file{}",
                if n == 1 { "" } else { "s" }
            ))
        }
        Job::Download { from, to } => {
            let s3 = crate::cli::s3::client_for_bucket(session, &from.bucket).await;
            if from.key.ends_with('/') {
                let keys = crate::cloud::s3::list_all(&s3, &from.bucket, &from.key)
                    .await
                    .map_err(|e| e.to_string())?;
                let n = keys.len();
                // Every destination is checked before anything is written.
                let planned = keys
                    .into_iter()
                    .map(|(key, size)| Ok(((plan::local_path(to, &from.key, &key)?, key), size)))
                    .collect::<Result<Vec<_>, String>>()?;
                let results = crate::transfer::by_size(planned, opts, |(dest, key)| {
                    let s3 = &s3;
                    async move {
                        crate::transfer::download_object(
                            s3,
                            &from.bucket,
                            &key,
                            &dest,
                            opts,
                            progress,
                        )
                        .await
                    }
                })
                .await;
                if let Some(e) = results.into_iter().find_map(Result::err) {
                    return Err(e.to_string());
                }
                Ok(format!(
                    "downloaded {n} file{}",
                    if n == 1 { "" } else { "s" }
                ))
            } else {
                crate::transfer::download_object(&s3, &from.bucket, &from.key, to, opts, progress)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok("downloaded".into())
            }
        }
    }
}

/// For tests: waits until no transfer runs.
pub async fn settle(
    app: &mut App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while app.transfers.iter().any(|t| t.state == JobState::Running) || app.browser.loading {
        if Instant::now() > deadline {
            return false;
        }
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            app.on_msg(m);
        }
    }
    true
}

impl App {
    /// Delete key in a bucket: asks, naming the objects (folders are refused:
    /// open them and mark what should go).
    pub fn ask_delete_objects(&mut self) {
        let marked: Vec<String> = self
            .views_for(ViewKind::Objects)
            .marked
            .iter()
            .cloned()
            .collect();
        let keys: Vec<String> = if marked.is_empty() {
            self.selected_row().map(|r| vec![r.id]).unwrap_or_default()
        } else {
            marked
        };
        if keys.is_empty() {
            return;
        }
        if keys.iter().any(|k| k.ends_with('/')) {
            return self.notify(
                Level::Warning,
                "folders are not deleted whole: open the folder and mark its objects (space)",
            );
        }
        if self.read_only {
            return self.notify(Level::Warning, "read-only mode: deleting is disabled");
        }
        self.pending_delete = Some((self.browser.bucket.clone(), keys));
        self.mode = super::app::Mode::ConfirmDelete;
    }

    /// The lines of the delete confirmation: every key, up to a point.
    pub fn delete_lines(&self) -> Vec<String> {
        let Some((bucket, keys)) = &self.pending_delete else {
            return Vec::new();
        };
        let mut lines = vec![format!(
            "Delete {} object{} from s3://{bucket}/ ?",
            keys.len(),
            if keys.len() == 1 { "" } else { "s" }
        )];
        lines.extend(keys.iter().take(12).map(|k| format!("  {k}")));
        if keys.len() > 12 {
            lines.push(format!("  … and {} more", keys.len() - 12));
        }
        lines.push("This cannot be undone (unless the bucket keeps versions).".into());
        lines
    }

    pub fn confirm_delete(&mut self, yes: bool) {
        self.mode = super::app::Mode::Normal;
        let Some((bucket, keys)) = self.pending_delete.take() else {
            return;
        };
        if !yes {
            return self.notify(Level::Info, "nothing was deleted");
        }
        let Some(session) = self.session.clone() else {
            return;
        };
        let actions = crate::cloud::actions::Actions::new(
            (*session).clone(),
            crate::cloud::actions::Gate {
                read_only: self.read_only,
                dry_run: false,
            },
        );
        self.views_for(ViewKind::Objects).marked.clear();
        let Some(tx) = self.sender() else { return };
        tokio::spawn(async move {
            let client = crate::cli::s3::client_for_bucket(&session, &bucket).await;
            let result = match actions.delete_objects(&client, &bucket, &keys).await {
                Ok((n, refused)) if refused.is_empty() => Ok(format!(
                    "deleted {n} object{} from s3://{bucket}",
                    if n == 1 { "" } else { "s" }
                )),
                Ok((n, refused)) => Err(format!("deleted {n}; refused: {}", refused.join("; "))),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Msg::Outcome(result));
        });
    }
}

/// The local file browser that picks what to upload.
#[derive(Debug, Clone, Default)]
pub struct FilePicker {
    pub dir: PathBuf,
    /// (name, is a folder), folders first.
    pub entries: Vec<(String, bool)>,
    pub cursor: usize,
    pub chosen: std::collections::BTreeSet<PathBuf>,
    /// Where the upload goes; `e` edits it.
    pub dest: String,
    pub editing_dest: bool,
    pub error: Option<String>,
}

impl FilePicker {
    pub fn open(dir: PathBuf, dest: String) -> Self {
        let mut p = Self {
            dir,
            dest,
            ..Self::default()
        };
        p.load();
        p
    }

    fn load(&mut self) {
        self.cursor = 0;
        match std::fs::read_dir(&self.dir) {
            Ok(rd) => {
                let mut entries: Vec<(String, bool)> = rd
                    .flatten()
                    .map(|e| {
                        (
                            e.file_name().to_string_lossy().into_owned(),
                            e.path().is_dir(),
                        )
                    })
                    .filter(|(n, _)| !n.starts_with('.'))
                    .collect();
                entries.sort_by(|a, b| {
                    b.1.cmp(&a.1)
                        .then(a.0.to_lowercase().cmp(&b.0.to_lowercase()))
                });
                self.entries = entries;
                self.error = None;
            }
            Err(e) => {
                self.entries.clear();
                self.error = Some(format!("{}: {e}", self.dir.display()));
            }
        }
    }

    pub fn current(&self) -> Option<PathBuf> {
        self.entries.get(self.cursor).map(|(n, _)| self.dir.join(n))
    }

    /// Lines for the popup.
    pub fn lines(&self) -> Vec<String> {
        let mut out = vec![format!("{}/", self.dir.display())];
        if let Some(e) = &self.error {
            out.push(format!("  {e}"));
        }
        for (n, (name, folder)) in self.entries.iter().enumerate() {
            let mark = if self.chosen.contains(&self.dir.join(name)) {
                "[x]"
            } else {
                "[ ]"
            };
            let cursor = if n == self.cursor { "›" } else { " " };
            out.push(format!(
                "{cursor}{mark} {name}{}",
                if *folder { "/" } else { "" }
            ));
        }
        out
    }
}

impl App {
    /// `U` in a bucket: the local file browser, starting in transfer.upload_dir.
    pub fn open_file_picker(&mut self) {
        let start = PathBuf::from(shellexpand_home(&self.config.transfer.upload_dir));
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        let dest = format!("s3://{}/{}", self.browser.bucket, self.browser.prefix);
        self.file_picker = Some(FilePicker::open(start, dest));
        self.mode = super::app::Mode::FilePicker;
    }

    pub fn on_file_picker_key(&mut self, key: crossterm::event::KeyEvent) {
        use crossterm::event::KeyCode;
        let Some(p) = &mut self.file_picker else {
            return;
        };
        if p.editing_dest {
            match key.code {
                KeyCode::Enter | KeyCode::Esc => p.editing_dest = false,
                KeyCode::Backspace => {
                    p.dest.pop();
                }
                KeyCode::Char(c) => p.dest.push(c),
                _ => {}
            }
            return;
        }
        match key.code {
            KeyCode::Esc => {
                self.file_picker = None;
                self.mode = super::app::Mode::Normal;
            }
            KeyCode::Up | KeyCode::Char('k') => p.cursor = p.cursor.saturating_sub(1),
            KeyCode::Down | KeyCode::Char('j') => {
                p.cursor = (p.cursor + 1).min(p.entries.len().saturating_sub(1))
            }
            KeyCode::Left | KeyCode::Backspace => {
                if let Some(parent) = p.dir.parent() {
                    p.dir = parent.to_path_buf();
                    p.load();
                }
            }
            KeyCode::Right | KeyCode::Enter => {
                if let Some((name, true)) = p.entries.get(p.cursor).cloned() {
                    p.dir = p.dir.join(name);
                    p.load();
                }
            }
            KeyCode::Char(' ') => {
                if let Some(path) = p.current() {
                    if !p.chosen.remove(&path) {
                        p.chosen.insert(path);
                    }
                    p.cursor = (p.cursor + 1).min(p.entries.len().saturating_sub(1));
                }
            }
            KeyCode::Char('e') => p.editing_dest = true,
            KeyCode::Char('u') => {
                let p = self.file_picker.take().unwrap_or_default();
                self.mode = super::app::Mode::Normal;
                let Some(to) = S3Uri::parse(&p.dest) else {
                    return self.notify(
                        Level::Warning,
                        format!("`{}` is not s3://bucket/prefix/", p.dest),
                    );
                };
                if let Err(e) = plan::check_bucket_name(&to.bucket) {
                    return self.notify(Level::Warning, e);
                }
                let mut to = to;
                if !to.key.is_empty() && !to.key.ends_with('/') {
                    to.key.push('/');
                }
                let chosen: Vec<PathBuf> = if p.chosen.is_empty() {
                    p.current().into_iter().collect()
                } else {
                    p.chosen.into_iter().collect()
                };
                for path in chosen {
                    self.start_transfer(Job::Upload {
                        path,
                        to: to.clone(),
                    });
                }
            }
            _ => {}
        }
    }
}
