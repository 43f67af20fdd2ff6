//! The local file browser that picks what to upload (`U` in a bucket).

use std::path::PathBuf;

use super::app::{App, Level};
use crate::ops::transfer::plan::{self, S3Uri};

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
        let start = PathBuf::from(super::s3::shellexpand_home(
            &self.config.transfer.upload_dir,
        ));
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
                    self.upload_into(&path, &to);
                }
            }
            _ => {}
        }
    }
}
