//! Choose one of a few: which of a tunnel's URLs to copy or open, which
//! value of an instance to copy. A digit picks at once; ↑/↓ (j/k) and
//! enter pick the highlighted one; esc chooses nothing.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::{Boxed, Scroll, hint};
use crate::config::Action;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::theme::Theme;

pub const CHOOSE: Mode = Mode("choose");

pub struct Choose {
    title: String,
    /// What each choice says, and the value it stands for.
    choices: Vec<(String, String)>,
    at: usize,
    then: Option<Then<String>>,
    scroll: Scroll,
}

impl Choose {
    /// `choices`: (what the line says, the value chosen).
    pub fn new(
        title: impl Into<String>,
        choices: Vec<(String, String)>,
        then: impl FnOnce(&mut Ctx<'_>, String) + 'static,
    ) -> Self {
        Self {
            title: title.into(),
            choices,
            at: 0,
            then: Some(Box::new(then)),
            scroll: Scroll::default(),
        }
    }

    /// The value of the highlighted choice.
    pub fn highlighted(&self) -> Option<&str> {
        self.choices.get(self.at).map(|(_, v)| v.as_str())
    }

    fn pick(&mut self, n: usize, cx: &mut Ctx<'_>) -> Reply {
        let Some((_, value)) = self.choices.get(n) else {
            return Reply::Warn(format!("there are {} choices", self.choices.len()));
        };
        if let Some(then) = self.then.take() {
            then(cx, value.clone());
        }
        Reply::Close
    }
}

impl Popup for Choose {
    fn mode(&self) -> Mode {
        CHOOSE
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        let body = self
            .choices
            .iter()
            .enumerate()
            .map(|(i, (label, _))| {
                let text = format!("{} {label}", i + 1);
                if i == self.at {
                    Line::from(Span::styled(format!("▶ {text}"), theme.selected()))
                } else {
                    Line::from(format!("  {text}"))
                }
            })
            .collect();
        Some(Boxed {
            title: self.title.clone(),
            body,
            footer: vec![
                Line::from(""),
                hint(
                    theme,
                    &[("1-9", "pick"), ("enter", "this one"), ("esc", "none")],
                ),
            ],
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        match key.code {
            KeyCode::Esc => Reply::Close,
            KeyCode::Enter => self.pick(self.at, cx),
            KeyCode::Char(c @ '1'..='9') => self.pick(c as usize - '1' as usize, cx),
            KeyCode::Down | KeyCode::Char('j') => {
                self.at = (self.at + 1).min(self.choices.len().saturating_sub(1));
                Reply::Keep
            }
            KeyCode::Up | KeyCode::Char('k') => {
                self.at = self.at.saturating_sub(1);
                Reply::Keep
            }
            _ => {
                self.scroll.on_action(action);
                Reply::Keep
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
