//! The lifecycle question: what will be done (and what it saves or adds per
//! hour), answered with y, or — to terminate — with the target's name typed.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::text::TextPopup;
use super::{Level, Reply, draw_box};
use crate::config::Action;
use crate::lifecycle::{Plan, Target, Verb};
use crate::tui::theme::Theme;

/// An action waiting for the user's yes (or typed name).
#[derive(Debug, Clone)]
pub struct Pending {
    pub verb: Verb,
    pub targets: Vec<Target>,
    pub plans: Vec<Plan>,
    /// What the dialog says.
    pub lines: Vec<String>,
    /// A terminated EMR cluster to create again (start on such a cluster).
    pub relaunch: Option<Box<crate::model::EmrBlueprint>>,
    /// The name typed to confirm a terminate.
    pub typed: String,
}

impl Pending {
    /// The word on the confirm key.
    pub fn word(&self) -> String {
        if self.relaunch.is_some() {
            "relaunch".into()
        } else {
            self.verb.to_string()
        }
    }
}

pub struct ConfirmPopup {
    pub pending: Pending,
    /// Terminate: what has been typed so far.
    pub typed: Option<String>,
    pub text: TextPopup,
}

impl ConfirmPopup {
    pub fn new(pending: Pending) -> Self {
        let typed =
            (pending.verb == Verb::Terminate && pending.relaunch.is_none()).then(String::new);
        Self {
            text: TextPopup::new("", Vec::new()),
            pending,
            typed,
        }
    }

    fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines: Vec<Line<'static>> = self
            .pending
            .lines
            .iter()
            .map(|l| Line::from(l.clone()))
            .collect();
        lines.push(Line::from(""));
        match &self.typed {
            Some(typed) => {
                lines.push(Line::from(vec![
                    Span::styled("Type the name to confirm: ", theme.warning()),
                    Span::styled(format!("{typed}▏"), theme.input()),
                ]));
                lines.push(super::hint(
                    theme,
                    &[("enter", "terminate"), ("esc", "cancel")],
                ));
            }
            None => lines.push(super::hint(
                theme,
                &[("y", &self.pending.word()), ("n", "cancel")],
            )),
        }
        lines
    }

    fn title(&self) -> String {
        if self.typed.is_some() {
            "Terminate — this cannot be undone".to_string()
        } else {
            format!("{} — are you sure?", self.pending.word())
        }
    }

    pub fn on_key(&mut self, key: KeyEvent, action: Option<Action>) -> Reply {
        let cancelled = || Reply::Closed(Level::Info, "cancelled: nothing was changed".into());
        if let Some(typed) = &mut self.typed {
            return match key.code {
                KeyCode::Enter => {
                    let mut p = self.pending.clone();
                    p.typed = typed.clone();
                    Reply::Run(p)
                }
                KeyCode::Esc => cancelled(),
                KeyCode::Backspace => {
                    typed.pop();
                    Reply::Keep
                }
                KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                    typed.push(c);
                    Reply::Keep
                }
                _ => Reply::Keep,
            };
        }
        match key.code {
            KeyCode::Char('y' | 'Y') | KeyCode::Enter => Reply::Run(self.pending.clone()),
            KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => cancelled(),
            _ => {
                match action {
                    Some(Action::Up) => self.text.scroll_by(-1),
                    Some(Action::Down) => self.text.scroll_by(1),
                    Some(Action::Bottom) => self.text.scroll_by(isize::MAX / 2),
                    Some(Action::Top) => self.text.scroll = 0,
                    _ => {}
                }
                Reply::Keep
            }
        }
    }

    pub fn layout(&mut self, area: Rect, theme: &Theme) {
        self.text.lines = self.lines(theme);
        self.text.layout(area);
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        draw_box(
            frame,
            area,
            theme,
            &self.title(),
            self.lines(theme),
            self.text.scroll,
        );
    }
}
