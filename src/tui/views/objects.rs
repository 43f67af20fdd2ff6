//! The Objects view: a bucket as a file browser (listings paged lazily, so
//! a prefix with 100,000 objects opens at once); download and upload keys
//! (the transfers themselves are the Transfers view's), copying a URI, and
//! deleting objects after a popup that names them.

use std::any::Any;
use std::path::PathBuf;

use ratatui::text::Line;

use super::buckets;
use crate::cloud::CloudError;
use crate::config::Action;
use crate::model::ObjectEntry;
use crate::ops::transfer::copy::CopyRequest;
use crate::ops::transfer::plan::{self, S3Uri};
use crate::render::{self, Column, RowKey};
use crate::tui::ctx::{Ctx, Event, Mode};
use crate::tui::folder;
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::pane::Pane;
use crate::tui::popups::ask::Ask;
use crate::tui::popups::picker::FilePicker;
use crate::tui::view::{About, Details, View};
use crate::tui::world::World;

pub const ID: ViewId = ViewId("objects");
pub const DELETE: Mode = Mode("delete");

/// Keys per listing page.
const PAGE: i32 = 1000;
/// Fetch the next page when the selection comes this close to the end.
const PREFETCH: usize = 200;

const HINTS: &[(Action, &str)] = &[
    (Action::Details, "open"),
    (Action::Back, "up"),
    (Action::Download, "download"),
    (Action::Upload, "upload"),
    (Action::DeleteObjects, "remove"),
    (Action::CopyUrl, "copy URI"),
    (Action::Mark, "mark"),
    (Action::Filter, "filter"),
];

/// The bucket being browsed.
#[derive(Debug, Clone, Default)]
pub struct Browser {
    pub bucket: String,
    pub prefix: String,
    pub entries: Vec<ObjectEntry>,
    pub next_token: Option<String>,
    pub loading: bool,
    /// Why the last page could not be listed (the folder is not empty: it
    /// is unknown).
    pub error: Option<String>,
    /// Answers for an older bucket, prefix or session are dropped.
    pub generation: u64,
}

/// Answers to what this view started (public so a benchmark can feed it
/// pages through the real message path).
pub enum Answer {
    Page {
        generation: u64,
        result: Result<(Vec<ObjectEntry>, Option<String>), CloudError>,
    },
    Deleted {
        bucket: String,
        result: Result<crate::cloud::actions::Deleted, String>,
    },
}

#[derive(Default)]
pub struct Objects {
    pane: Pane,
    pub browser: Browser,
    /// Bumped when the entries change.
    version: u64,
    /// `:du`: a folder's keys and bytes, counted in the background.
    tally: Option<std::sync::Arc<crate::tui::folder::Tally>>,
}

impl Objects {
    /// The breadcrumb: `s3://bucket/prefix/`.
    pub fn breadcrumb(&self) -> String {
        format!("s3://{}/{}", self.browser.bucket, self.browser.prefix)
    }

    /// Opens `bucket` at `prefix`.
    fn browse(&mut self, bucket: &str, prefix: &str, cx: &mut Ctx<'_>) {
        // Marks name whole keys: they stay while the user moves about the
        // bucket (a download or delete takes them all), not into another.
        if bucket != self.browser.bucket {
            self.pane.table.marked.clear();
        }
        self.browser = Browser {
            bucket: bucket.into(),
            prefix: prefix.into(),
            generation: self.browser.generation + 1,
            ..Browser::default()
        };
        self.version += 1;
        let table = &mut self.pane.table;
        table.filter.clear();
        table.reset_selection();
        cx.switch(ID);
        self.fetch_page(cx);
    }

    /// Lists the folder being browsed again (after a change), keeping the
    /// filter, the marks and the selected key.
    fn reload(&mut self, cx: &mut Ctx<'_>) {
        let b = &mut self.browser;
        b.generation += 1;
        b.entries.clear();
        b.next_token = None;
        self.version += 1;
        self.fetch_page(cx);
    }

    /// Forgets the bucket (another session): a page still on its way is
    /// dropped when it arrives.
    fn forget(&mut self) {
        let generation = self.browser.generation + 1;
        self.browser = Browser {
            generation,
            ..Browser::default()
        };
        self.version += 1;
    }

    fn fetch_page(&mut self, cx: &mut Ctx<'_>) {
        let Some(session) = cx.world.session.clone() else {
            return;
        };
        let b = &mut self.browser;
        b.loading = true;
        b.error = None;
        let (bucket, prefix, token, generation) = (
            b.bucket.clone(),
            b.prefix.clone(),
            b.next_token.take(),
            b.generation,
        );
        cx.spawn(ID, async move {
            let result = match session.bucket(&bucket).await {
                Ok(b) => b.list_page(&prefix, token, PAGE).await,
                Err(e) => Err(e),
            };
            Answer::Page { generation, result }
        });
    }

    fn on_page(
        &mut self,
        generation: u64,
        result: Result<(Vec<ObjectEntry>, Option<String>), CloudError>,
        cx: &mut Ctx<'_>,
    ) {
        if generation != self.browser.generation {
            return;
        }
        self.browser.loading = false;
        self.version += 1;
        match result {
            Ok((entries, next)) => {
                self.browser.entries.extend(entries);
                self.browser.next_token = next;
            }
            Err(e) => {
                self.browser.error = Some(e.to_string());
                cx.error(e.to_string());
            }
        }
    }

    /// Esc: up one level (the folder left stays selected), or back to the
    /// Buckets view.
    fn leave(&mut self, cx: &mut Ctx<'_>) {
        let prefix = self.browser.prefix.trim_end_matches('/');
        if prefix.is_empty() {
            return cx.switch(buckets::ID);
        }
        let parent = prefix
            .rfind('/')
            .map_or(String::new(), |i| prefix[..=i].to_string());
        let (bucket, left) = (self.browser.bucket.clone(), self.browser.prefix.clone());
        self.browse(&bucket, &parent, cx);
        self.pane.table.select_key_when_listed(RowKey::Folder(left));
    }

    /// Downloads the marked rows (or the one under the cursor) into the
    /// download folder: objects together, each folder as a folder of its name.
    fn download(&mut self, cx: &mut Ctx<'_>) {
        let chosen = self.pane.table.chosen();
        let dir =
            PathBuf::from(shellexpand::tilde(&cx.world.config.transfer.download_dir).as_ref());
        let bucket = self.browser.bucket.clone();
        let mut objects = Vec::new();
        let mut folders = Vec::new();
        for key in chosen {
            match key {
                RowKey::Object(k) => objects.push(format!("s3://{bucket}/{k}")),
                RowKey::Folder(k) => folders.push(k),
                _ => {}
            }
        }
        if !objects.is_empty() {
            cx.emit(Event::StartTransfer(CopyRequest {
                sources: objects,
                dest: format!("{}/", dir.display()),
                recursive: false,
                skip_identical: false,
            }));
        }
        for key in folders {
            let name = key
                .trim_end_matches('/')
                .rsplit('/')
                .next()
                .unwrap_or(&key)
                .to_string();
            let dest = match plan::local_path(&dir, "", &name) {
                Ok(p) => p.display().to_string(),
                Err(e) => {
                    cx.warn(e);
                    continue;
                }
            };
            cx.emit(Event::StartTransfer(CopyRequest {
                sources: vec![format!("s3://{bucket}/{key}")],
                dest,
                recursive: true,
                skip_identical: false,
            }));
        }
        self.pane.table.marked.clear();
    }

    /// `:upload PATH`: a file or folder into the prefix being browsed.
    fn upload_path(&mut self, path: &str, cx: &mut Ctx<'_>) {
        if self.browser.bucket.is_empty() {
            return cx.warn("open a bucket first (Buckets view, enter), then :upload PATH");
        }
        let to = S3Uri {
            bucket: self.browser.bucket.clone(),
            key: self.browser.prefix.clone(),
        };
        let path = PathBuf::from(shellexpand::tilde(path).as_ref());
        if !path.exists() {
            return cx.warn(format!("{}: no such file or folder", path.display()));
        }
        upload_into(&path, &to, cx);
    }

    /// `:du`: counts this folder in the background (again: stops it).
    fn du(&mut self, cx: &mut Ctx<'_>) {
        if let Some(t) = self.tally.as_ref().filter(|t| t.running()) {
            t.stop.store(true, std::sync::atomic::Ordering::SeqCst);
            return cx.info("stopped counting");
        }
        if self.browser.bucket.is_empty() {
            return cx.warn("open a bucket first (Buckets view, enter), then :du");
        }
        let Some(session) = cx.world.session.clone() else {
            return cx.warn("not connected yet");
        };
        self.tally = Some(folder::count(
            session,
            self.browser.bucket.clone(),
            self.browser.prefix.clone(),
        ));
    }

    fn on_sync(&mut self, answer: folder::SyncAnswer, cx: &mut Ctx<'_>) {
        match answer {
            folder::SyncAnswer::Planned(plan) => match *plan {
                Ok(plan) => folder::ask(ID, plan, cx),
                Err(why) => cx.error(why),
            },
            folder::SyncAnswer::Done {
                sent,
                deleted,
                failed,
            } => {
                if failed.is_empty() {
                    cx.info(format!("synced: {sent} sent, {deleted} deleted"));
                } else {
                    cx.error(format!(
                        "synced {sent}, deleted {deleted}; failed: {}",
                        failed.join("; ")
                    ));
                }
                // What was counted is not what is there now.
                self.tally = None;
                self.reload(cx);
            }
        }
    }

    /// `U` in a bucket: the local file picker, starting in
    /// transfer.upload_dir (listed off the UI thread).
    fn open_picker(&mut self, cx: &mut Ctx<'_>) {
        if let Some(why) = cx.refusal("s3", "upload") {
            return cx.warn(why);
        }
        let start =
            PathBuf::from(shellexpand::tilde(&cx.world.config.transfer.upload_dir).as_ref());
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        let dest = self.breadcrumb();
        let mut picker = FilePicker::new(start.clone(), dest, |cx, (paths, to)| {
            for path in paths {
                upload_into(&path, &to, cx);
            }
        });
        let step = picker.go(start, None);
        picker.carry_out(step, cx);
        cx.open(picker);
    }

    /// The delete key in a bucket: asks, naming the objects (folders are
    /// refused: open them and mark what should go).
    fn ask_delete(&mut self, cx: &mut Ctx<'_>) {
        let rows = self.pane.table.chosen();
        if rows.is_empty() {
            return;
        }
        if rows.iter().any(|k| matches!(k, RowKey::Folder(_))) {
            return cx.warn(
                "folders are not deleted whole: open the folder and mark its objects (space)",
            );
        }
        if let Some(why) = cx.refusal("s3", "delete objects") {
            return cx.warn(why);
        }
        let keys: Vec<String> = rows
            .iter()
            .filter_map(|k| k.object_key().map(str::to_string))
            .collect();
        cx.open(delete_question(self.browser.bucket.clone(), keys));
    }

    fn copy_uri(&self, cx: &mut Ctx<'_>) {
        let Some(key) = self
            .pane
            .table
            .selected()
            .and_then(|r| r.key.object_key().map(str::to_string))
        else {
            return;
        };
        let uri = format!("s3://{}/{key}", self.browser.bucket);
        crate::tui::clipboard::copy(&uri);
        cx.info(format!(
            "copied {uri} (Spark: {})",
            uri.replacen("s3://", "s3a://", 1)
        ));
    }
}

/// Uploads `path` into the prefix `to`: a file by its name, a folder as a
/// folder of its name (`d` into `p/` gives `p/d/…`), spelled as the copy
/// `skiff cp d s3://b/p/d/ --recursive` would be.
fn upload_into(path: &std::path::Path, to: &S3Uri, cx: &mut Ctx<'_>) {
    let mut prefix = to.key.clone();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    let name = path
        .file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
    let folder = path.is_dir();
    let dest = if folder {
        format!("s3://{}/{prefix}{name}/", to.bucket)
    } else {
        format!("s3://{}/{prefix}", to.bucket)
    };
    cx.emit(Event::StartTransfer(CopyRequest {
        sources: vec![path.display().to_string()],
        dest,
        recursive: folder,
        skip_identical: false,
    }));
}

/// The user said yes to deleting `keys`: deleted in the background, the
/// folder listed again when done.
fn delete(bucket: String, keys: Vec<String>, cx: &mut Ctx<'_>) {
    let Some(actions) = cx.actions() else {
        return cx.warn("not connected yet");
    };
    cx.spawn(ID, async move {
        let result = crate::ops::objects::delete_keys(&actions, &bucket, &keys)
            .await
            .map_err(|e| e.to_string());
        Answer::Deleted { bucket, result }
    });
}

/// Delete these objects? (`y` deletes them in the background.)
pub fn delete_question(bucket: String, keys: Vec<String>) -> Ask {
    let body = delete_lines(&bucket, &keys)
        .into_iter()
        .map(Line::from)
        .collect();
    Ask::new(DELETE, "Delete objects", body, move |cx, ()| {
        delete(bucket, keys, cx);
    })
    .answers("delete", "keep them")
    .declined("nothing was deleted")
}

/// The lines of the delete question: every key, up to a point.
pub fn delete_lines(bucket: &str, keys: &[String]) -> Vec<String> {
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

const ABOUT: About = About {
    id: ID,
    title: "Objects",
    commands: &["objects"],
    command_args: &[
        ("upload", "PATH (into the bucket folder open)"),
        ("du", "(this folder's keys and bytes, counted; again: stop)"),
        (
            "sync",
            "up|down PATH [--delete] (this folder and PATH, as skiff sync)",
        ),
    ],
    binding: None,
    under: Some(buckets::ID),
    hints: HINTS,
    help: &[
        "A bucket opened from Buckets: enter opens a folder, esc goes up; D downloads the selection, U uploads (a file browser), c copies the s3:// URI, delete removes the marked objects after naming them.",
    ],
};

impl View for Objects {
    fn about(&self) -> &'static About {
        &ABOUT
    }

    fn columns(&self) -> &'static [Column] {
        render::objects::COLUMNS
    }

    fn pane(&self) -> &Pane {
        &self.pane
    }

    fn pane_mut(&mut self) -> &mut Pane {
        &mut self.pane
    }

    fn sync(&mut self, _world: &World, width: u16) {
        let b = &self.browser;
        self.pane
            .table
            .refresh(self.version, render::objects::COLUMNS, width, || {
                b.entries
                    .iter()
                    .map(|e| render::objects::row(e, &b.prefix))
                    .collect()
            });
    }

    fn on_action(&mut self, action: Action, cx: &mut Ctx<'_>) -> bool {
        let table = &self.pane.table;
        match action {
            Action::Details => {
                let Some(RowKey::Folder(prefix)) = table.selected().map(|r| r.key.clone()) else {
                    return false;
                };
                let bucket = self.browser.bucket.clone();
                self.browse(&bucket, &prefix, cx);
            }
            // Esc: the filter first, then up a folder (marks kept); at the
            // bucket's top the marks, then back to the buckets.
            Action::Back
                if table.filter.is_empty()
                    && (table.marked.is_empty() || !self.browser.prefix.is_empty()) =>
            {
                self.leave(cx)
            }
            Action::Refresh => {
                self.reload(cx);
                cx.change(|world, _| world.refresh());
            }
            Action::Mark => {
                self.pane.table.toggle_mark();
                self.pane.table.move_by(1);
            }
            Action::DeleteObjects => self.ask_delete(cx),
            Action::Download => self.download(cx),
            Action::Upload => self.open_picker(cx),
            Action::CopyUrl => self.copy_uri(cx),
            _ => return false,
        }
        true
    }

    fn on_command(&mut self, word: &str, args: &str, cx: &mut Ctx<'_>) -> bool {
        match word {
            "du" => {
                self.du(cx);
                return true;
            }
            "sync" => {
                if self.browser.bucket.is_empty() {
                    cx.warn("open a bucket first (Buckets view, enter), then :sync up|down PATH");
                } else {
                    match folder::parse(args, &self.browser.bucket, &self.browser.prefix) {
                        Ok(req) => folder::plan(ID, req, cx),
                        Err(why) => cx.warn(why),
                    }
                }
                return true;
            }
            "upload" | "put" => {}
            _ => return false,
        }
        match upload_arg(args) {
            Ok(path) => self.upload_path(&path, cx),
            Err(why) => cx.warn(why),
        }
        true
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>, cx: &mut Ctx<'_>) {
        let msg = match msg.downcast::<folder::SyncAnswer>() {
            Ok(sync) => return self.on_sync(*sync, cx),
            Err(other) => other,
        };
        let Ok(answer) = msg.downcast::<Answer>() else {
            return;
        };
        match *answer {
            Answer::Page { generation, result } => self.on_page(generation, result, cx),
            Answer::Deleted { bucket, result } => {
                match result {
                    Ok(d) if d.refused.is_empty() => cx.info(format!(
                        "deleted {} object{} from s3://{bucket}",
                        d.deleted,
                        if d.deleted == 1 { "" } else { "s" }
                    )),
                    Ok(d) => cx.error(format!(
                        "deleted {}; refused: {}",
                        d.deleted,
                        d.refused.join("; ")
                    )),
                    Err(why) => cx.error(why),
                }
                self.pane.table.marked.clear();
                self.reload(cx);
            }
        }
    }

    fn on_event(&mut self, event: &Event, cx: &mut Ctx<'_>) {
        match event {
            Event::Browse { bucket, prefix } => self.browse(bucket, prefix, cx),
            Event::TransferFinished { dest } => {
                // New objects in the folder being browsed: list it again,
                // keeping the filter and the selection.
                let browsed = format!("s3://{}/", self.browser.bucket);
                if cx.view == ID && dest.starts_with(&browsed) {
                    self.reload(cx);
                }
            }
            Event::SessionChanged => {
                self.forget();
                if cx.view == ID {
                    cx.switch(buckets::ID);
                }
            }
            _ => {}
        }
    }

    fn on_tick(&mut self, cx: &mut Ctx<'_>) {
        // The next page when the selection nears the end.
        let b = &self.browser;
        if cx.view != ID || b.loading || b.next_token.is_none() {
            return;
        }
        let at = self.pane.table.cursor().unwrap_or(0);
        if at + PREFETCH >= b.entries.len() {
            self.fetch_page(cx);
        }
    }

    fn busy(&self) -> bool {
        self.browser.loading || self.tally.as_ref().is_some_and(|t| t.running())
    }

    fn count(&self, _world: &World) -> Option<usize> {
        None
    }

    fn status(&self, _world: &World) -> Option<String> {
        let more = if self.browser.next_token.is_some() {
            " (more…)"
        } else {
            ""
        };
        let marked = match self.pane.table.marked.len() {
            0 => String::new(),
            n => format!(" · {n} marked"),
        };
        let tally = match &self.tally {
            Some(t) if t.bucket == self.browser.bucket && t.prefix == self.browser.prefix => {
                format!(" · {}", t.words())
            }
            _ => String::new(),
        };
        Some(format!("{}{more}{marked}{tally}", self.breadcrumb()))
    }

    fn empty_text(&self, _world: &World) -> String {
        let b = &self.browser;
        if b.bucket.is_empty() {
            " No bucket open: choose one in Buckets and press enter.".to_string()
        } else if b.loading {
            " Loading…".to_string()
        } else if let Some(e) = &b.error {
            format!(
                " {} could not be listed: {e} (r tries again; esc goes up)",
                self.breadcrumb()
            )
        } else {
            format!(
                " {} is empty. U uploads into it; esc goes up.",
                self.breadcrumb()
            )
        }
    }

    fn details(&self, _world: &World) -> Option<Details> {
        let key = self.pane.table.selected()?.key.object_key()?.to_string();
        let e = self.browser.entries.iter().find(|e| e.key == key)?;
        let uri = format!("s3://{}/{}", self.browser.bucket, e.key);
        let lines = vec![
            ("Key".to_string(), e.key.clone()),
            (
                "Size".to_string(),
                format!("{} ({} bytes)", bytesize::ByteSize(e.size), e.size),
            ),
            (
                "Modified".to_string(),
                e.last_modified
                    .map_or("-".into(), render::format::timestamp),
            ),
            (
                "Storage class".to_string(),
                e.storage_class.clone().unwrap_or_else(|| "-".into()),
            ),
            ("URI".to_string(), uri.clone()),
            (
                "Spark (s3a)".to_string(),
                uri.replacen("s3://", "s3a://", 1),
            ),
        ];
        Some((format!("Object {}", e.key), lines))
    }
}
/// `:upload`'s one path: as typed, or in shell quotes (a path with spaces
/// or quotes of its own).
fn upload_arg(args: &str) -> Result<String, String> {
    let args = args.trim();
    if args.is_empty() {
        return Err(":upload needs a path, e.g. :upload ~/data/run-42".into());
    }
    if !args.contains(['"', '\'', '\\']) {
        return Ok(args.to_string());
    }
    match shlex::split(args).as_deref() {
        Some([one]) => Ok(one.clone()),
        Some([]) => Err(":upload needs a path, e.g. :upload ~/data/run-42".into()),
        Some(_) => Err(":upload takes one path: quote it whole (\"/data/my file.csv\")".into()),
        None => Err(format!(":upload {args}: a quote is not closed")),
    }
}

#[cfg(test)]
mod upload_arg_tests {
    use super::upload_arg;

    #[test]
    fn a_quoted_path_is_the_path_inside_the_quotes() {
        assert_eq!(
            upload_arg(r#" "/path/with space (1).csv" "#),
            Ok("/path/with space (1).csv".into())
        );
        assert_eq!(
            upload_arg("/plain/with space.csv"),
            Ok("/plain/with space.csv".into())
        );
        assert_eq!(upload_arg(r"/it\'s.csv"), Ok("/it's.csv".into()));
        assert!(upload_arg(r#""/open"#).is_err());
        assert!(upload_arg(r#""/a" "/b""#).is_err());
    }
}
