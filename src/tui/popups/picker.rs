//! The upload file picker (`U` in a bucket): a local folder listed off the
//! UI thread, scrolled to keep the cursor on screen, with sizes; space
//! chooses files and folders, `/` goes to a typed path, `e` edits the
//! destination, `u` uploads.

use std::any::Any;
use std::path::{Path, PathBuf};

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{centered, hint};
use crate::config::Action;
use crate::ops::transfer::plan::{self, S3Uri};
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::theme::Theme;

pub const PICKER: Mode = Mode("picker");

/// What a key in the picker leads to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Step {
    Keep,
    Close,
    Warn(String),
    /// This folder is to be listed (the picker stays open meanwhile).
    List {
        dir: PathBuf,
        generation: u64,
    },
    /// Upload these files and folders into `to`.
    Upload {
        paths: Vec<PathBuf>,
        to: S3Uri,
    },
}

/// A folder's listing, for the picker that asked.
struct Listed {
    generation: u64,
    result: Result<Vec<Entry>, String>,
}

/// One entry of a listed folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub name: String,
    pub folder: bool,
    /// Files only.
    pub size: Option<u64>,
}

/// Lists `dir` (hidden entries left out), folders first, then by name.
/// Blocking: the app runs it off the UI thread.
pub fn list_dir(dir: &Path) -> Result<Vec<Entry>, String> {
    let rd = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    let mut entries: Vec<Entry> = rd
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                return None;
            }
            let meta = std::fs::metadata(e.path()).ok();
            let folder = meta.as_ref().is_some_and(std::fs::Metadata::is_dir);
            Some(Entry {
                name,
                folder,
                size: meta.filter(|m| m.is_file()).map(|m| m.len()),
            })
        })
        .collect();
    entries.sort_by(|a, b| {
        b.folder
            .cmp(&a.folder)
            .then(a.name.to_lowercase().cmp(&b.name.to_lowercase()))
    });
    Ok(entries)
}

/// What the text line at the bottom is being used for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Editing {
    Nothing,
    Destination,
    Path,
}

pub struct FilePicker {
    pub dir: PathBuf,
    pub entries: Vec<Entry>,
    pub cursor: usize,
    offset: usize,
    height: usize,
    pub chosen: std::collections::BTreeSet<PathBuf>,
    /// Where the upload goes; `e` edits it.
    pub dest: String,
    editing: Editing,
    /// The path being typed after `/`.
    typed: String,
    pub error: Option<String>,
    /// A listing is on its way.
    pub loading: bool,
    /// Answers for an older folder are dropped.
    pub generation: u64,
    /// The entry to put the cursor on when the listing arrives (the folder
    /// just left, going up).
    select: Option<String>,
    then: Option<Then<(Vec<PathBuf>, S3Uri)>>,
}

impl FilePicker {
    /// A picker for `dir`; the listing is asked for with [`Self::go`].
    /// `then` gets what was chosen and where it goes.
    pub fn new(
        dir: PathBuf,
        dest: String,
        then: impl FnOnce(&mut Ctx<'_>, (Vec<PathBuf>, S3Uri)) + 'static,
    ) -> Self {
        Self {
            dir,
            entries: Vec::new(),
            cursor: 0,
            offset: 0,
            height: 10,
            chosen: Default::default(),
            dest,
            editing: Editing::Nothing,
            typed: String::new(),
            error: None,
            loading: false,
            generation: 0,
            select: None,
            then: Some(Box::new(then)),
        }
    }

    /// Lists `dir` off the UI thread; the listing comes back to the popups.
    pub fn list(cx: &Ctx<'_>, dir: PathBuf, generation: u64) {
        cx.spawn_for_popup(async move {
            let result = tokio::task::spawn_blocking(move || list_dir(&dir))
                .await
                .unwrap_or_else(|e| Err(format!("listing failed: {e}")));
            Listed { generation, result }
        });
    }

    /// Goes to `dir` (its listing is asked for), selecting `select` when it
    /// is listed.
    pub fn go(&mut self, dir: PathBuf, select: Option<String>) -> Step {
        self.dir = dir;
        self.select = select;
        self.loading = true;
        self.generation += 1;
        Step::List {
            dir: self.dir.clone(),
            generation: self.generation,
        }
    }

    /// A listing arrived.
    pub fn listed(&mut self, generation: u64, result: Result<Vec<Entry>, String>) {
        if generation != self.generation {
            return;
        }
        self.loading = false;
        match result {
            Ok(entries) => {
                self.cursor = self
                    .select
                    .take()
                    .and_then(|s| entries.iter().position(|e| e.name == s))
                    .unwrap_or(0);
                self.entries = entries;
                self.error = None;
            }
            Err(e) => {
                self.entries.clear();
                self.cursor = 0;
                self.error = Some(e);
            }
        }
        self.offset = 0;
        self.clamp();
    }

    pub fn current(&self) -> Option<PathBuf> {
        self.entries
            .get(self.cursor)
            .map(|e| self.dir.join(&e.name))
    }

    pub fn move_by(&mut self, delta: isize) {
        let last = self.entries.len().saturating_sub(1);
        self.cursor = if delta < 0 {
            self.cursor.saturating_sub(delta.unsigned_abs())
        } else {
            self.cursor.saturating_add(delta.unsigned_abs()).min(last)
        };
        self.clamp();
    }

    fn clamp(&mut self) {
        let h = self.height.max(1);
        if self.cursor < self.offset {
            self.offset = self.cursor;
        }
        if self.cursor >= self.offset + h {
            self.offset = self.cursor + 1 - h;
        }
        self.offset = self.offset.min(self.entries.len().saturating_sub(h));
    }

    /// The listing gets what the popup has left after its other lines.
    pub fn fit(&mut self, area: Rect) {
        let rect = Self::rect(area);
        // Borders, the folder line, a blank, the destination and the hints.
        self.height = usize::from(rect.height.saturating_sub(6)).max(1);
        self.clamp();
    }

    fn rect(area: Rect) -> Rect {
        let width = area.width.saturating_sub(4).clamp(area.width.min(20), 100);
        centered(area, width, area.height.saturating_sub(2).max(3))
    }

    fn shown_dir(&self) -> String {
        let d = self.dir.display().to_string();
        if d.ends_with('/') { d } else { format!("{d}/") }
    }

    pub fn step(&mut self, key: KeyEvent, action: Option<Action>) -> Step {
        if self.editing != Editing::Nothing {
            return self.edit(key);
        }
        match key.code {
            KeyCode::Esc => return Step::Close,
            KeyCode::Left | KeyCode::Backspace => {
                if let Some(parent) = self.dir.parent().map(Path::to_path_buf) {
                    let left = self
                        .dir
                        .file_name()
                        .map(|n| n.to_string_lossy().into_owned());
                    return self.go(parent, left);
                }
            }
            KeyCode::Right | KeyCode::Enter => {
                if let Some(e) = self.entries.get(self.cursor).filter(|e| e.folder) {
                    let dir = self.dir.join(&e.name);
                    return self.go(dir, None);
                }
            }
            KeyCode::Char(' ') => {
                if let Some(path) = self.current() {
                    if !self.chosen.remove(&path) {
                        self.chosen.insert(path);
                    }
                    self.move_by(1);
                }
            }
            KeyCode::Char('e') => self.editing = Editing::Destination,
            KeyCode::Char('/') | KeyCode::Char('~') => {
                self.editing = Editing::Path;
                self.typed = if key.code == KeyCode::Char('~') {
                    "~/".into()
                } else {
                    "/".into()
                };
            }
            KeyCode::Char('u') => return self.submit(),
            _ => match action {
                Some(Action::Up) => self.move_by(-1),
                Some(Action::Down) => self.move_by(1),
                Some(Action::PageUp) => self.move_by(-(self.height.max(1) as isize)),
                Some(Action::PageDown) => self.move_by(self.height.max(1) as isize),
                Some(Action::Top) => self.move_by(isize::MIN / 2),
                Some(Action::Bottom) => self.move_by(isize::MAX / 2),
                _ => {}
            },
        }
        Step::Keep
    }

    /// A key while the bottom line is edited: the destination, or a path to
    /// go to (Enter goes there).
    fn edit(&mut self, key: KeyEvent) -> Step {
        let text = match self.editing {
            Editing::Destination => &mut self.dest,
            _ => &mut self.typed,
        };
        match key.code {
            KeyCode::Esc => self.editing = Editing::Nothing,
            KeyCode::Enter if self.editing == Editing::Path => {
                self.editing = Editing::Nothing;
                return self.go_to_typed();
            }
            KeyCode::Enter => self.editing = Editing::Nothing,
            KeyCode::Backspace => {
                text.pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => text.push(c),
            _ => {}
        }
        Step::Keep
    }

    /// Goes to the path typed (relative to the folder shown, `~` expanded):
    /// into a folder, or to a file's folder with the file chosen.
    fn go_to_typed(&mut self) -> Step {
        let path = PathBuf::from(shellexpand::tilde(&std::mem::take(&mut self.typed)).into_owned());
        let path = if path.is_relative() {
            self.dir.join(path)
        } else {
            path
        };
        // "/" opens the prompt with a slash in it: a full path
        // typed after it ("//tmp/a") is shown and sent as "/tmp/a".
        let path: PathBuf = path.components().collect();
        if path.is_dir() {
            return self.go(path, None);
        }
        if path.is_file() {
            let parent = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
            self.chosen.insert(path);
            return self.go(parent, name);
        }
        Step::Warn(format!("{}: no such file or folder", path.display()))
    }

    fn submit(&self) -> Step {
        let Some(mut to) = S3Uri::parse(&self.dest) else {
            return Step::Warn(format!("`{}` is not s3://bucket/prefix/", self.dest));
        };
        if let Err(e) = plan::check_bucket_name(&to.bucket) {
            return Step::Warn(e);
        }
        if !to.key.is_empty() && !to.key.ends_with('/') {
            to.key.push('/');
        }
        let paths: Vec<PathBuf> = if self.chosen.is_empty() {
            self.current().into_iter().collect()
        } else {
            self.chosen.iter().cloned().collect()
        };
        if paths.is_empty() {
            return Step::Warn("nothing chosen: space chooses files and folders".into());
        }
        Step::Upload { paths, to }
    }

    /// Carries out a step: a listing is asked for, an upload handed over.
    pub fn carry_out(&mut self, step: Step, cx: &mut Ctx<'_>) -> Reply {
        match step {
            Step::Keep => Reply::Keep,
            Step::Close => Reply::Close,
            Step::Warn(w) => Reply::Warn(w),
            Step::List { dir, generation } => {
                Self::list(cx, dir, generation);
                Reply::Keep
            }
            Step::Upload { paths, to } => {
                if let Some(then) = self.then.take() {
                    then(cx, (paths, to));
                }
                Reply::Close
            }
        }
    }

    fn draw_picker(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        use ratatui::widgets::{Block, Borders, Clear, Paragraph};
        let rect = Self::rect(area);
        let inner = usize::from(rect.width.saturating_sub(2));
        let mut lines = self.listing(inner, theme);
        // The rest of the popup stays put below the listing.
        while lines.len() < self.height + 1 {
            lines.push(Line::from(""));
        }
        lines.push(Line::from(""));
        let (label, text, style) = match self.editing {
            Editing::Path => ("go to ", format!("{}▏", self.typed), theme.input()),
            Editing::Destination => ("to ", format!("{}▏", self.dest), theme.input()),
            Editing::Nothing => ("to ", self.dest.clone(), theme.label()),
        };
        lines.push(Line::from(vec![
            Span::raw(label),
            Span::styled(
                crate::render::ellipsize_left(&text, inner.saturating_sub(6)),
                style,
            ),
        ]));
        lines.push(hint(
            theme,
            &[
                ("space", "choose"),
                ("enter", "open"),
                ("←", "up"),
                ("/", "go to"),
                ("e", "dest"),
                ("u", "upload"),
                ("esc", "cancel"),
            ],
        ));
        let pos = if self.entries.len() > self.height {
            format!(" {}/{} ", self.cursor + 1, self.entries.len())
        } else {
            String::new()
        };
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(theme.border())
            .title(Span::styled(
                format!(" Upload ({} chosen) ", self.chosen.len()),
                theme.title(),
            ))
            .title_bottom(Line::from(Span::styled(pos, theme.dim())).right_aligned());
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(super::clean_lines(lines))
                .block(block)
                .style(theme.base()),
            rect,
        );
    }

    /// The folder's line, then what it holds (or why nothing shows), the
    /// entries on screen one a line, `inner` columns wide.
    fn listing(&self, inner: usize, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines: Vec<Line<'static>> = vec![Line::from(Span::styled(
            crate::render::ellipsize_left(&self.shown_dir(), inner),
            theme.title(),
        ))];
        if let Some(e) = &self.error {
            lines.push(Line::from(Span::styled(format!("  {e}"), theme.error())));
        } else if self.loading && self.entries.is_empty() {
            lines.push(Line::from(Span::styled("  reading…", theme.dim())));
        } else if self.entries.is_empty() {
            lines.push(Line::from(Span::styled("  (empty)", theme.dim())));
        }
        let end = (self.offset + self.height).min(self.entries.len());
        for (n, e) in self.entries[self.offset.min(end)..end].iter().enumerate() {
            lines.push(self.entry_line(n + self.offset, e, inner, theme));
        }
        lines
    }

    /// Entry `n`: the cursor, whether it is chosen, its name and size.
    fn entry_line(&self, n: usize, e: &Entry, inner: usize, theme: &Theme) -> Line<'static> {
        let mark = if self.chosen.contains(&self.dir.join(&e.name)) {
            "[x]"
        } else {
            "[ ]"
        };
        let size = e
            .size
            .map_or_else(String::new, |s| bytesize::ByteSize(s).to_string());
        let name = format!("{}{}", e.name, if e.folder { "/" } else { "" });
        let room = inner.saturating_sub(6 + 11);
        let text = format!(
            "{}{mark} {:<room$} {size:>10}",
            if n == self.cursor { "›" } else { " " },
            crate::render::ellipsize(&name, room),
        );
        let style = if n == self.cursor {
            theme.selected()
        } else {
            theme.base()
        };
        Line::from(Span::styled(text, style))
    }
}

impl Popup for FilePicker {
    fn mode(&self) -> Mode {
        PICKER
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        let step = self.step(key, action);
        self.carry_out(step, cx)
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>) -> Option<Box<dyn Any + Send>> {
        match msg.downcast::<Listed>() {
            Ok(l) => {
                self.listed(l.generation, l.result);
                None
            }
            Err(other) => Some(other),
        }
    }

    fn scroll(&mut self, delta: isize) {
        self.move_by(delta);
    }

    fn layout(&mut self, area: Rect, _theme: &Theme) {
        self.fit(area);
    }

    fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        self.draw_picker(frame, area, theme);
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn picker(n: usize) -> FilePicker {
        let mut p = FilePicker::new("/data".into(), "s3://b/p/".into(), |_, _| {});
        let entries = (0..n)
            .map(|i| Entry {
                name: format!("f{i:02}"),
                folder: i < 3,
                size: (i >= 3).then_some(1000),
            })
            .collect();
        p.generation = 1;
        p.listed(1, Ok(entries));
        p
    }

    #[test]
    fn the_cursor_stays_on_screen_in_a_long_folder() {
        let mut p = picker(23);
        p.fit(Rect::new(0, 0, 80, 24));
        assert_eq!(p.height, 16);
        for _ in 0..22 {
            p.move_by(1);
        }
        assert_eq!((p.cursor, p.offset), (22, 7));
        p.step(KeyEvent::from(KeyCode::Home), Some(Action::Top));
        assert_eq!((p.cursor, p.offset), (0, 0));
        p.step(KeyEvent::from(KeyCode::End), Some(Action::Bottom));
        assert_eq!(p.cursor, 22, "End goes to the last entry");
    }

    #[test]
    fn going_up_selects_the_folder_just_left_and_the_root_shows_one_slash() {
        let mut p = picker(3);
        p.dir = "/data/run".into();
        let Step::List { dir, generation } = p.step(KeyEvent::from(KeyCode::Left), None) else {
            panic!("a listing is asked for")
        };
        assert_eq!(dir, PathBuf::from("/data"));
        let listing = vec![
            Entry {
                name: "a".into(),
                folder: true,
                size: None,
            },
            Entry {
                name: "run".into(),
                folder: true,
                size: None,
            },
        ];
        p.listed(generation - 1, Ok(Vec::new()));
        assert!(p.loading, "a stale listing is dropped");
        p.listed(generation, Ok(listing));
        assert_eq!(p.current(), Some(PathBuf::from("/data/run")));
        p.dir = "/".into();
        assert_eq!(p.shown_dir(), "/");
    }

    #[test]
    fn a_bad_destination_is_said_and_loses_nothing() {
        let mut p = picker(5);
        p.dest = "s3://Bad_Name/".into();
        p.step(KeyEvent::from(KeyCode::Char(' ')), None);
        assert!(matches!(
            p.step(KeyEvent::from(KeyCode::Char('u')), None),
            Step::Warn(_)
        ));
        assert_eq!(p.chosen.len(), 1, "the choice is kept");
    }

    #[test]
    fn a_full_path_typed_after_the_slash_key_is_chosen_without_a_double_slash() {
        let dir = tempfile::tempdir().expect("dir");
        let file = dir.path().join("data.csv");
        std::fs::write(&file, "a,b\n").expect("write");
        let mut p = picker(3);
        p.step(KeyEvent::from(KeyCode::Char('/')), None);
        assert_eq!(p.typed, "/", "the prompt opens with a slash");
        for c in file.display().to_string().chars() {
            p.step(KeyEvent::from(KeyCode::Char(c)), None);
        }
        assert!(p.typed.starts_with("//"), "{}", p.typed);
        p.step(KeyEvent::from(KeyCode::Enter), None);
        // (Paths compare by components, so compare what is shown.)
        let shown: Vec<String> = p.chosen.iter().map(|c| c.display().to_string()).collect();
        assert_eq!(shown, vec![file.display().to_string()]);
    }
}
