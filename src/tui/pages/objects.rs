//! The Objects page: a bucket as a file browser (listings paged lazily, so a
//! prefix with 100,000 objects opens at once); download and upload keys
//! (the transfers themselves are the Transfers page's), copying a URI, and
//! deleting objects after a popup that names them.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::ViewKind;
use crate::config::Action;
use crate::model::ObjectEntry;
use crate::ops::transfer::copy::CopyRequest;
use crate::ops::transfer::plan::{self, S3Uri};
use crate::render::{self, RowKey};
use crate::tui::app::{App, Level, Msg};
use crate::tui::popups::Popup;
use crate::tui::table::Table;

/// Keys per listing page.
const PAGE: i32 = 1000;
/// Fetch the next page when the selection comes this close to the end.
const PREFETCH: usize = 200;

pub const HINTS: &[(Action, &str)] = &[
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

#[derive(Default)]
pub struct ObjectsPage {
    pub table: Table,
    pub browser: Browser,
    /// Bumped when the entries change.
    version: u64,
}

impl ObjectsPage {
    pub fn refresh(&mut self, width: u16) {
        let b = &self.browser;
        self.table
            .refresh(self.version, render::objects::COLUMNS, width, || {
                b.entries
                    .iter()
                    .map(|e| render::objects::row(e, &b.prefix))
                    .collect()
            });
    }

    /// Forgets the bucket (another session): a page still on its way is
    /// dropped when it arrives.
    pub fn forget(&mut self) {
        let generation = self.browser.generation + 1;
        self.browser = Browser {
            generation,
            ..Browser::default()
        };
        self.version += 1;
    }

    /// The breadcrumb: `s3://bucket/prefix/`.
    pub fn breadcrumb(&self) -> String {
        format!("s3://{}/{}", self.browser.bucket, self.browser.prefix)
    }
}

impl App {
    /// Opens `bucket` at `prefix` in the Objects view; the selection lands
    /// on `select` (the folder just left) when it is listed.
    pub fn browse(&mut self, bucket: &str, prefix: &str) {
        let page = &mut self.pages.objects;
        page.browser = Browser {
            bucket: bucket.into(),
            prefix: prefix.into(),
            generation: page.browser.generation + 1,
            ..Browser::default()
        };
        page.version += 1;
        page.table.filter.clear();
        page.table.marked.clear();
        page.table.reset_selection();
        self.switch_view(ViewKind::Objects);
        self.fetch_page();
    }

    /// Lists the folder being browsed again (after a change), keeping the
    /// filter, the marks and the selected key.
    pub fn reload_objects(&mut self) {
        let page = &mut self.pages.objects;
        page.browser.generation += 1;
        page.browser.entries.clear();
        page.browser.next_token = None;
        page.version += 1;
        self.fetch_page();
    }

    fn fetch_page(&mut self) {
        let Some(session) = self.session.clone() else {
            return;
        };
        let b = &mut self.pages.objects.browser;
        b.loading = true;
        b.error = None;
        let (bucket, prefix, token, generation) = (
            b.bucket.clone(),
            b.prefix.clone(),
            b.next_token.take(),
            b.generation,
        );
        self.spawn(async move {
            let result = match session.bucket(&bucket).await {
                Ok(b) => b.list_page(&prefix, token, PAGE).await,
                Err(e) => Err(e),
            };
            Msg::Objects { generation, result }
        });
    }

    pub fn on_objects(
        &mut self,
        generation: u64,
        result: Result<(Vec<ObjectEntry>, Option<String>), crate::cloud::CloudError>,
    ) {
        let page = &mut self.pages.objects;
        if generation != page.browser.generation {
            return;
        }
        page.browser.loading = false;
        page.version += 1;
        match result {
            Ok((entries, next)) => {
                page.browser.entries.extend(entries);
                page.browser.next_token = next;
            }
            Err(e) => {
                page.browser.error = Some(e.to_string());
                self.notify(Level::Error, e.to_string());
            }
        }
    }

    /// Called on every tick: the next page when the selection nears the end.
    pub fn prefetch_objects(&mut self) {
        let page = &self.pages.objects;
        if self.view != ViewKind::Objects
            || page.browser.loading
            || page.browser.next_token.is_none()
        {
            return;
        }
        let at = page.table.cursor().unwrap_or(0);
        if at + PREFETCH >= page.browser.entries.len() {
            self.fetch_page();
        }
    }

    /// Esc in the Objects view: up one level (the folder left stays
    /// selected), or back to the Buckets view.
    pub fn leave_objects(&mut self) {
        let b = &self.pages.objects.browser;
        let prefix = b.prefix.trim_end_matches('/');
        if prefix.is_empty() {
            self.switch_view(ViewKind::Buckets);
            return;
        }
        let parent = prefix
            .rfind('/')
            .map_or(String::new(), |i| prefix[..=i].to_string());
        let (bucket, left) = (b.bucket.clone(), b.prefix.clone());
        self.browse(&bucket, &parent);
        self.pages
            .objects
            .table
            .select_key_when_listed(RowKey::Folder(left));
    }

    /// Keys of the Objects page (true if handled).
    pub(crate) fn on_objects_action(&mut self, action: Action) -> bool {
        let selected = self.pages.objects.table.selected().map(|r| r.key.clone());
        match action {
            Action::Details => {
                if let Some(RowKey::Folder(prefix)) = selected {
                    let bucket = self.pages.objects.browser.bucket.clone();
                    self.browse(&bucket, &prefix);
                    return true;
                }
                false
            }
            Action::Back
                if self.pages.objects.table.filter.is_empty()
                    && self.pages.objects.table.marked.is_empty() =>
            {
                self.leave_objects();
                true
            }
            Action::Refresh => {
                self.reload_objects();
                self.refresh();
                true
            }
            Action::DeleteObjects => {
                self.ask_delete_objects();
                true
            }
            Action::Download => {
                self.download_selected();
                true
            }
            Action::Upload => {
                self.open_file_picker();
                true
            }
            Action::CopyUrl => {
                if let Some(key) = selected.as_ref().and_then(|k| k.object_key()) {
                    let uri = format!("s3://{}/{key}", self.pages.objects.browser.bucket);
                    super::tunnels::copy_osc52(&uri);
                    self.notify(
                        Level::Info,
                        format!(
                            "copied {uri} (Spark: {})",
                            uri.replacen("s3://", "s3a://", 1)
                        ),
                    );
                }
                true
            }
            _ => false,
        }
    }

    /// Download of the selected object or folder into the download
    /// directory: a folder lands in a folder of its name there.
    /// Downloads the marked rows (or the one under the cursor): the objects
    /// together into the download folder, each folder as a folder of its name.
    pub fn download_selected(&mut self) {
        let chosen = self.pages.objects.table.chosen();
        let dir = PathBuf::from(shellexpand_home(&self.config.transfer.download_dir));
        let bucket = self.pages.objects.browser.bucket.clone();
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
            self.start_transfer(CopyRequest {
                sources: objects,
                dest: format!("{}/", dir.display()),
                recursive: false,
                skip_identical: false,
            });
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
                    self.notify(Level::Warning, e);
                    continue;
                }
            };
            self.start_transfer(CopyRequest {
                sources: vec![format!("s3://{bucket}/{key}")],
                dest,
                recursive: true,
                skip_identical: false,
            });
        }
        self.pages.objects.table.marked.clear();
        self.touch();
    }

    /// `:upload PATH`: a file or folder into the prefix being browsed.
    pub fn upload_path(&mut self, path: &str) {
        let b = &self.pages.objects.browser;
        if self.view != ViewKind::Objects && b.bucket.is_empty() {
            return self.notify(
                Level::Warning,
                "open a bucket first (Buckets view, enter), then :upload PATH",
            );
        }
        let to = S3Uri {
            bucket: b.bucket.clone(),
            key: b.prefix.clone(),
        };
        let path = PathBuf::from(shellexpand_home(path));
        if !path.exists() {
            return self.notify(
                Level::Warning,
                format!("{}: no such file or folder", path.display()),
            );
        }
        self.upload_into(&path, &to);
    }

    /// Uploads `path` into the prefix `to`: a file by its name, a folder as
    /// a folder of its name (`d` into `p/` gives `p/d/…`), spelled as the
    /// copy `skiff cp d s3://b/p/d/ --recursive` would be.
    pub fn upload_into(&mut self, path: &std::path::Path, to: &S3Uri) {
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
        self.start_transfer(CopyRequest {
            sources: vec![path.display().to_string()],
            dest,
            recursive: folder,
            skip_identical: false,
        });
    }

    /// `U` in a bucket: the local file picker, starting in
    /// transfer.upload_dir (listed off the UI thread).
    pub fn open_file_picker(&mut self) {
        if let Some(e) = self.gate().refusal("s3", "", "upload") {
            return self.notify(Level::Warning, e.message);
        }
        let start = PathBuf::from(shellexpand_home(&self.config.transfer.upload_dir));
        let start = std::fs::canonicalize(&start).unwrap_or(start);
        let b = &self.pages.objects.browser;
        let dest = format!("s3://{}/{}", b.bucket, b.prefix);
        let mut picker = crate::tui::popups::picker::FilePicker::new(start.clone(), dest);
        let listing = picker.go(start, None);
        self.open(Popup::FilePicker(picker));
        self.on_reply(listing);
    }

    /// The delete key in a bucket: asks, naming the objects (folders are
    /// refused: open them and mark what should go).
    pub fn ask_delete_objects(&mut self) {
        let rows = self.pages.objects.table.chosen();
        if rows.is_empty() {
            return;
        }
        if rows.iter().any(|k| matches!(k, RowKey::Folder(_))) {
            return self.notify(
                Level::Warning,
                "folders are not deleted whole: open the folder and mark its objects (space)",
            );
        }
        if let Some(e) = self.gate().refusal("s3", "", "delete objects") {
            return self.notify(Level::Warning, e.message);
        }
        let keys: Vec<String> = rows
            .iter()
            .filter_map(|k| k.object_key().map(str::to_string))
            .collect();
        let bucket = self.pages.objects.browser.bucket.clone();
        self.open(Popup::Delete { bucket, keys });
    }

    /// The user said yes to deleting `keys`: deleted in the background, the
    /// folder listed again when done.
    pub fn delete_objects(&mut self, bucket: String, keys: Vec<String>) {
        let Some(actions) = self.actions() else {
            return;
        };
        self.pages.objects.table.marked.clear();
        self.spawn(async move {
            let result = match crate::ops::objects::delete_keys(&actions, &bucket, &keys).await {
                Ok(d) if d.refused.is_empty() => Ok(format!(
                    "deleted {} object{} from s3://{bucket}",
                    d.deleted,
                    if d.deleted == 1 { "" } else { "s" }
                )),
                Ok(d) => Err(format!(
                    "deleted {}; refused: {}",
                    d.deleted,
                    d.refused.join("; ")
                )),
                Err(e) => Err(e.to_string()),
            };
            Msg::Deleted(result)
        });
    }
}

pub(crate) fn shellexpand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest).display().to_string(),
        _ => path.to_string(),
    }
}

/// For tests: waits until no transfer runs and no listing is on its way.
pub async fn settle(
    app: &mut App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while app.transfers_busy() || app.pages.objects.browser.loading {
        if Instant::now() > deadline {
            return false;
        }
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            app.on_msg(m);
        }
    }
    true
}
