//! A line to type: the command to run on every node. Enter sends it (an
//! empty one is refused, losing nothing); esc closes.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::{Boxed, Page, Scroll, hint};
use crate::config::Action;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::theme::Theme;

pub struct Prompt {
    mode: Mode,
    page: Page,
    /// What is written before the text ("$ ").
    label: String,
    text: String,
    /// Said when enter is pressed with nothing typed.
    empty: String,
    then: Option<Then<String>>,
}

impl Prompt {
    pub fn new(
        mode: Mode,
        title: impl Into<String>,
        body: Vec<Line<'static>>,
        then: impl FnOnce(&mut Ctx<'_>, String) + 'static,
    ) -> Self {
        Self {
            mode,
            page: Page::new(title, body),
            label: "> ".into(),
            text: String::new(),
            empty: "type something first (esc closes)".into(),
            then: Some(Box::new(then)),
        }
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = label.into();
        self
    }

    pub fn when_empty(mut self, text: impl Into<String>) -> Self {
        self.empty = text.into();
        self
    }

    fn footer(&self, theme: &Theme) -> Vec<Line<'static>> {
        vec![
            Line::from(""),
            Line::from(vec![
                Span::styled(self.label.clone(), theme.label()),
                Span::styled(format!("{}▏", self.text), theme.input()),
            ]),
            Line::from(""),
            hint(theme, &[("enter", "run"), ("esc", "close")]),
        ]
    }
}

impl Popup for Prompt {
    fn mode(&self) -> Mode {
        self.mode
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        self.page.boxed(self.footer(theme))
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.page.scroll)
    }

    fn on_key(&mut self, key: KeyEvent, _action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        match key.code {
            KeyCode::Esc => Reply::Close,
            KeyCode::Enter if self.text.trim().is_empty() => Reply::Warn(self.empty.clone()),
            KeyCode::Enter => {
                if let Some(then) = self.then.take() {
                    then(cx, self.text.trim().to_string());
                }
                Reply::Close
            }
            KeyCode::Backspace => {
                self.text.pop();
                Reply::Keep
            }
            KeyCode::Char(c)
                if !key.modifiers.contains(KeyModifiers::CONTROL) && self.text.len() < 500 =>
            {
                self.text.push(c);
                Reply::Keep
            }
            _ => {
                self.page.scroll.on_key(key);
                Reply::Keep
            }
        }
    }

    fn typed(&self) -> Option<&str> {
        Some(&self.text)
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
