//! A download meets local files of the same names: overwrite, keep both or
//! skip each (or all the rest alike); esc cancels the download, writing
//! nothing. The answers go back to whoever asked.

use std::any::Any;
use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};

use super::{Boxed, Scroll, lines};
use crate::config::Action;
use crate::ops::transfer::copy::CopyPlan;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::theme::Theme;

pub const OVERWRITE: Mode = Mode("overwrite");

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
    pub plan: CopyPlan,
    /// Items whose local file exists, in order, and the answers so far.
    pub clashes: Vec<usize>,
    pub answers: Vec<Clash>,
    /// Esc: nothing is written.
    pub cancelled: bool,
}

impl OverwriteQuestion {
    pub fn new(plan: CopyPlan, clashes: Vec<usize>) -> Self {
        Self {
            plan,
            clashes,
            answers: Vec::new(),
            cancelled: false,
        }
    }

    /// The local file asked about now.
    pub fn current(&self) -> Option<&PathBuf> {
        let n = *self.clashes.get(self.answers.len())?;
        Some(&self.plan.items[n].local)
    }

    pub fn left(&self) -> usize {
        self.clashes.len() - self.answers.len()
    }

    pub fn lines(&self) -> Vec<String> {
        let Some(path) = self.current() else {
            return Vec::new();
        };
        let left = self.left();
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

    /// Takes one key's answer; true when every clash is answered (or the
    /// download was cancelled).
    pub fn answer(&mut self, key: KeyEvent) -> bool {
        let (clash, all) = match key.code {
            KeyCode::Char('o') => (Clash::Overwrite, false),
            KeyCode::Char('k') => (Clash::KeepBoth, false),
            KeyCode::Char('s') => (Clash::Skip, false),
            KeyCode::Char('O') => (Clash::Overwrite, true),
            KeyCode::Char('K') => (Clash::KeepBoth, true),
            KeyCode::Char('S') => (Clash::Skip, true),
            KeyCode::Esc => {
                self.cancelled = true;
                return true;
            }
            _ => return false,
        };
        let n = if all { self.left() } else { 1 };
        self.answers.extend(std::iter::repeat_n(clash, n));
        self.answers.len() >= self.clashes.len()
    }
}

pub struct OverwritePopup {
    pub question: OverwriteQuestion,
    then: Option<Then<OverwriteQuestion>>,
    scroll: Scroll,
}

impl OverwritePopup {
    pub fn new(
        question: OverwriteQuestion,
        then: impl FnOnce(&mut Ctx<'_>, OverwriteQuestion) + 'static,
    ) -> Self {
        Self {
            question,
            then: Some(Box::new(then)),
            scroll: Scroll::default(),
        }
    }
}

impl Popup for OverwritePopup {
    fn mode(&self) -> Mode {
        OVERWRITE
    }

    fn on_key(&mut self, key: KeyEvent, _action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        if !self.question.answer(key) {
            return Reply::Keep;
        }
        if let Some(then) = self.then.take() {
            then(cx, self.question.clone());
        }
        Reply::Close
    }

    fn boxed(&self, _theme: &Theme) -> Option<Boxed> {
        let left = self.question.left();
        let title = format!(
            "Download: {left} local file{} exist{}",
            if left == 1 { "" } else { "s" },
            if left == 1 { "s" } else { "" }
        );
        Some(Boxed {
            title,
            body: lines(&self.question.lines()),
            footer: Vec::new(),
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
