//! The keyring profile's MFA device wants a code: typed here, sent back to
//! the credentials provider waiting for it (esc sends nothing).

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::{Boxed, Scroll, hint};
use crate::config::Action;
use crate::tui::ctx::{Ctx, Mode, Popup, Reply};
use crate::tui::notify::Level;
use crate::tui::theme::Theme;

pub const MFA: Mode = Mode("mfa");

pub struct MfaPopup {
    serial: String,
    reply: Option<tokio::sync::oneshot::Sender<String>>,
    code: String,
    scroll: Scroll,
}

impl MfaPopup {
    pub fn new(serial: String, reply: tokio::sync::oneshot::Sender<String>) -> Self {
        Self {
            serial,
            reply: Some(reply),
            code: String::new(),
            scroll: Scroll::default(),
        }
    }
}

impl Popup for MfaPopup {
    fn mode(&self) -> Mode {
        MFA
    }

    fn on_key(&mut self, key: KeyEvent, _action: Option<Action>, _cx: &mut Ctx<'_>) -> Reply {
        match key.code {
            KeyCode::Enter => {
                if let Some(r) = self.reply.take() {
                    let _ = r.send(std::mem::take(&mut self.code));
                }
                Reply::Close
            }
            // Dropping the reply tells the provider no code was given.
            KeyCode::Esc => Reply::Closed(
                Level::Warning,
                "no MFA code given: calls with this profile fail until you switch profile (ctrl-p)"
                    .into(),
            ),
            KeyCode::Backspace => {
                self.code.pop();
                Reply::Keep
            }
            KeyCode::Char(c) if c.is_ascii_digit() && self.code.len() < 8 => {
                self.code.push(c);
                Reply::Keep
            }
            _ => Reply::Keep,
        }
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        let body = vec![Line::from(format!(
            "The profile's keys need a code from {}.",
            self.serial
        ))];
        let footer = vec![
            Line::from(""),
            Line::from(vec![
                Span::styled("Code: ", theme.label()),
                Span::styled(format!("{}▏", self.code), theme.input()),
            ]),
            Line::from(""),
            hint(theme, &[("enter", "send"), ("esc", "cancel")]),
        ];
        Some(Boxed {
            title: "MFA code".into(),
            body,
            footer,
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn typed(&self) -> Option<&str> {
        Some(&self.code)
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
