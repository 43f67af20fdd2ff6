//! A yes-or-no question: accept a host key seen for the first time, delete
//! these objects, create skiff's scheduler role, quit while work is live.
//! `y` answers yes (the opener's closure runs), `n` or esc no; a long
//! question scrolls while its answer line stays in sight.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::Line;

use super::{Boxed, Page, Scroll, hint};
use crate::config::Action;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::notify::Level;
use crate::tui::theme::Theme;

pub struct Ask {
    mode: Mode,
    page: Page,
    /// What yes and no do, for the hint line.
    yes: String,
    no: String,
    /// Said when the answer is no.
    declined: String,
    then: Option<Then<()>>,
    /// What no does besides closing.
    otherwise: Option<Then<()>>,
}

impl Ask {
    pub fn new(
        mode: Mode,
        title: impl Into<String>,
        body: Vec<Line<'static>>,
        then: impl FnOnce(&mut Ctx<'_>, ()) + 'static,
    ) -> Self {
        Self {
            mode,
            page: Page::new(title, body),
            yes: "yes".into(),
            no: "no".into(),
            declined: String::new(),
            then: Some(Box::new(then)),
            otherwise: None,
        }
    }

    /// What the hint line says `y` and `n` do.
    pub fn answers(mut self, yes: impl Into<String>, no: impl Into<String>) -> Self {
        self.yes = yes.into();
        self.no = no.into();
        self
    }

    /// What is said when the answer is no.
    pub fn declined(mut self, text: impl Into<String>) -> Self {
        self.declined = text.into();
        self
    }

    /// What a no does besides closing (the opener asked again, say).
    pub fn or_else(mut self, f: impl FnOnce(&mut Ctx<'_>) + 'static) -> Self {
        self.otherwise = Some(Box::new(move |cx, ()| f(cx)));
        self
    }

    /// The question's text, as shown.
    pub fn text(&self) -> Vec<String> {
        self.page.body.iter().map(ToString::to_string).collect()
    }

    fn footer(&self, theme: &Theme) -> Vec<Line<'static>> {
        vec![
            Line::from(""),
            hint(theme, &[("y", &self.yes), ("n", &self.no)]),
        ]
    }
}

impl Popup for Ask {
    fn mode(&self) -> Mode {
        self.mode
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        self.page.boxed(self.footer(theme))
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.page.scroll)
    }

    fn on_key(&mut self, key: KeyEvent, action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        match key.code {
            KeyCode::Char('y' | 'Y') => {
                if let Some(then) = self.then.take() {
                    then(cx, ());
                }
                Reply::Close
            }
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
                if let Some(otherwise) = self.otherwise.take() {
                    otherwise(cx, ());
                }
                if self.declined.is_empty() {
                    Reply::Close
                } else {
                    Reply::Closed(Level::Info, self.declined.clone())
                }
            }
            _ => {
                self.page.scroll.on_action(action);
                Reply::Keep
            }
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
