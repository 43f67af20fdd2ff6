//! S3 in the TUI: a bucket as a file browser (listings paged lazily, so a
//! prefix with 100,000 objects opens at once), the download and upload keys
//! (transfers themselves are in `transfers`), and deleting objects.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use super::app::{App, Level, Msg, ViewKind};
use crate::model::ObjectEntry;
use crate::ops::transfer::copy::CopyRequest;
use crate::ops::transfer::plan::{self, S3Uri};
use crate::render::{Row, RowKey};

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

    /// Lists the folder being browsed again (after a change), keeping the
    /// filter, the marks and the selected key.
    pub fn reload_objects(&mut self) {
        let b = &mut self.browser;
        b.generation += 1;
        b.entries.clear();
        b.next_token = None;
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
            let result = match session.bucket(&bucket).await {
                Ok(b) => b.list_page(&prefix, token, PAGE).await,
                Err(e) => Err(e),
            };
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
        if let RowKey::Folder(prefix) = row.key {
            let bucket = self.browser.bucket.clone();
            self.browse(&bucket, &prefix);
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

    /// Download of the selected object or folder into the download
    /// directory: a folder lands in a folder of its name there.
    pub fn download_selected(&mut self) {
        let Some(row) = self.selected_row() else {
            return;
        };
        let (key, folder) = match row.key {
            RowKey::Object(k) => (k, false),
            RowKey::Folder(k) => (k, true),
            _ => return,
        };
        let dir = PathBuf::from(shellexpand_home(&self.config.transfer.download_dir));
        let name = key
            .trim_end_matches('/')
            .rsplit('/')
            .next()
            .unwrap_or(&key)
            .to_string();
        let dest = if folder {
            match plan::local_path(&dir, "", &name) {
                Ok(p) => p.display().to_string(),
                Err(e) => return self.notify(Level::Warning, e),
            }
        } else {
            format!("{}/", dir.display())
        };
        self.start_transfer(CopyRequest {
            sources: vec![format!("s3://{}/{key}", self.browser.bucket)],
            dest,
            recursive: folder,
            skip_identical: false,
        });
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
}

pub(super) fn shellexpand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), directories::BaseDirs::new()) {
        (Some(rest), Some(b)) => b.home_dir().join(rest).display().to_string(),
        _ => path.to_string(),
    }
}

/// For tests: waits until no transfer runs.
pub async fn settle(
    app: &mut App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>,
    limit: Duration,
) -> bool {
    let deadline = Instant::now() + limit;
    while app.transfers_busy() || app.browser.loading {
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
        let marked: Vec<RowKey> = self
            .views_for(ViewKind::Objects)
            .marked
            .iter()
            .cloned()
            .collect();
        let rows: Vec<RowKey> = if marked.is_empty() {
            self.selected_row().map(|r| vec![r.key]).unwrap_or_default()
        } else {
            marked
        };
        if rows.is_empty() {
            return;
        }
        let keys: Vec<String> = rows
            .iter()
            .filter_map(|k| k.object_key().map(str::to_string))
            .collect();
        if rows.iter().any(|k| matches!(k, RowKey::Folder(_))) {
            return self.notify(
                Level::Warning,
                "folders are not deleted whole: open the folder and mark its objects (space)",
            );
        }
        if let Some(e) = self.gate().refusal("s3", "", "delete objects") {
            return self.notify(Level::Warning, e.message);
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
        let Some(actions) = self.actions() else {
            return;
        };
        self.views_for(ViewKind::Objects).marked.clear();
        let Some(tx) = self.sender() else { return };
        tokio::spawn(async move {
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
            let _ = tx.send(Msg::Outcome(result));
        });
    }
}
