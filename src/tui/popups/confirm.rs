//! A question about something that changes the cloud: what will be done
//! (and what it saves or adds per hour), answered with y — or, for what
//! cannot be undone, with a name or id typed out.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::{Boxed, Scroll, hint, lines};
use crate::config::Action;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::notify::Level;
use crate::tui::theme::Theme;

pub const CONFIRM: Mode = Mode("confirm");
pub const TYPE_CONFIRM: Mode = Mode("type-confirm");

/// A name or id to type before the answer counts.
struct Typed {
    text: String,
    /// What it asks for ("Type the name to confirm: ").
    prompt: String,
    /// The exact text wanted; None: the opener checks what was typed.
    expect: Option<String>,
}

pub struct Confirm {
    title: String,
    body: Vec<String>,
    /// The word on the confirm key ("stop", "relaunch").
    word: String,
    cancelled: String,
    typed: Option<Typed>,
    then: Option<Then<String>>,
    scroll: Scroll,
}

impl Confirm {
    /// `y` (or enter) runs `then` with nothing typed.
    pub fn new(
        word: impl Into<String>,
        body: Vec<String>,
        then: impl FnOnce(&mut Ctx<'_>, String) + 'static,
    ) -> Self {
        let word = word.into();
        Self {
            title: format!("{word} — are you sure?"),
            body,
            word,
            cancelled: "cancelled: nothing was changed".into(),
            typed: None,
            then: Some(Box::new(then)),
            scroll: Scroll::default(),
        }
    }

    /// The answer is typed (enter sends it): `expect` is checked here, or
    /// by `then` when None.
    pub fn typed(
        mut self,
        title: impl Into<String>,
        prompt: impl Into<String>,
        expect: Option<String>,
    ) -> Self {
        self.title = title.into();
        self.typed = Some(Typed {
            text: String::new(),
            prompt: prompt.into(),
            expect,
        });
        self
    }

    /// What is said when it is cancelled.
    pub fn cancelled(mut self, text: impl Into<String>) -> Self {
        self.cancelled = text.into();
        self
    }

    /// The word on the confirm key ("stop", "relaunch").
    pub fn word(&self) -> &str {
        &self.word
    }

    /// The question's text.
    pub fn text(&self) -> &[String] {
        &self.body
    }

    /// Puts `line` first (why this question is asked instead of another).
    pub fn preface(&mut self, line: String) {
        self.body.insert(0, line);
    }

    fn footer(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut out = vec![Line::from("")];
        match &self.typed {
            Some(t) => {
                out.push(Line::from(vec![
                    Span::styled(t.prompt.clone(), theme.warning()),
                    Span::styled(format!("{}▏", t.text), theme.input()),
                ]));
                out.push(hint(theme, &[("enter", &self.word), ("esc", "cancel")]));
            }
            None => out.push(hint(theme, &[("y", &self.word), ("n", "cancel")])),
        }
        out
    }

    fn answer(&mut self, cx: &mut Ctx<'_>, text: String) -> Reply {
        if let Some(then) = self.then.take() {
            then(cx, text);
        }
        Reply::Close
    }

    fn on_typed_key(&mut self, key: KeyEvent, cx: &mut Ctx<'_>) -> Reply {
        let Some(t) = self.typed.as_mut() else {
            return Reply::Keep;
        };
        match key.code {
            KeyCode::Enter => match &t.expect {
                Some(want) if t.text.trim() != want => Reply::Warn(format!(
                    "`{}` is not {want}: type it exactly (esc cancels)",
                    t.text
                )),
                _ => {
                    let text = t.text.clone();
                    self.answer(cx, text)
                }
            },
            KeyCode::Esc => Reply::Closed(Level::Info, self.cancelled.clone()),
            KeyCode::Backspace => {
                t.text.pop();
                Reply::Keep
            }
            KeyCode::Char(c)
                if !key.modifiers.contains(KeyModifiers::CONTROL) && t.text.len() < 200 =>
            {
                t.text.push(c);
                Reply::Keep
            }
            _ => {
                self.scroll.on_key(key);
                Reply::Keep
            }
        }
    }
}

impl Popup for Confirm {
    fn mode(&self) -> Mode {
        if self.typed.is_some() {
            TYPE_CONFIRM
        } else {
            CONFIRM
        }
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        Some(Boxed {
            title: self.title.clone(),
            body: lines(&self.body),
            footer: self.footer(theme),
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        if self.typed.is_some() {
            return self.on_typed_key(key, cx);
        }
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => self.answer(cx, String::new()),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                Reply::Closed(Level::Info, self.cancelled.clone())
            }
            _ => {
                self.scroll.on_action(action);
                Reply::Keep
            }
        }
    }

    fn typed(&self) -> Option<&str> {
        self.typed.as_ref().map(|t| t.text.as_str())
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
