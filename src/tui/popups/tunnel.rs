//! The tunnel dialog: which presets and ports to forward from a target, and
//! who it will log in as, where, with which key (read from AWS as the
//! dialog opens, so a problem shows before enter).

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::text::{Line, Span};

use super::{Boxed, Scroll, hint};
use crate::config::Action;
use crate::ops::tunnel::spec;
use crate::ops::tunnel::{Preview, TunnelTarget};
use crate::tui::ctx::{Ctx, Event, Mode, Popup, Reply};
use crate::tui::theme::Theme;

pub const TUNNEL: Mode = Mode("tunnel");

/// Who the dialog's target logs in as, where, with which key (read from AWS
/// while the dialog is open).
pub struct TunnelPreview {
    pub instance_id: String,
    pub result: Result<Preview, String>,
}

#[derive(Debug, Clone)]
pub struct TunnelDialog {
    pub target: TunnelTarget,
    /// Preset name, remote port, chosen.
    pub presets: Vec<(String, u16, bool)>,
    pub cursor: usize,
    /// Free-form `REMOTE[:LOCAL]` ports, space separated.
    pub extra: String,
    pub accept_new_host_key: bool,
    /// The configured presets, to turn names into forwards.
    pub all_presets: std::collections::BTreeMap<String, u16>,
    /// User, address and key (None while they are being read).
    pub preview: Option<Result<Preview, String>>,
    pub scroll: Scroll,
}

impl TunnelDialog {
    fn key(&mut self, key: KeyEvent, cx: &mut Ctx<'_>) -> Reply {
        match key.code {
            KeyCode::Esc => return Reply::Close,
            KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Down => {
                self.cursor = (self.cursor + 1).min(self.presets.len().saturating_sub(1))
            }
            KeyCode::Char(' ') if self.extra.is_empty() || self.extra.ends_with(' ') => {
                if let Some(p) = self.presets.get_mut(self.cursor) {
                    p.2 = !p.2;
                }
            }
            KeyCode::Char('a') => self.accept_new_host_key = !self.accept_new_host_key,
            KeyCode::Char(c) if c.is_ascii_digit() || c == ':' || c == ' ' => self.extra.push(c),
            KeyCode::Backspace => {
                self.extra.pop();
            }
            KeyCode::Enter => return self.submit(cx),
            _ => {}
        }
        Reply::Keep
    }

    fn submit(&self, cx: &mut Ctx<'_>) -> Reply {
        let mut forwards = Vec::new();
        for (name, _, _) in self.presets.iter().filter(|p| p.2) {
            match spec::preset_forward(&self.all_presets, name) {
                Ok(f) => forwards.push(f),
                Err(e) => return Reply::Warn(e),
            }
        }
        for p in self.extra.split_whitespace() {
            match spec::parse_port(p) {
                Ok(f) => forwards.push(f),
                Err(e) => return Reply::Warn(e),
            }
        }
        if forwards.is_empty() {
            return Reply::Warn("nothing to forward: choose a preset or type a port".into());
        }
        cx.emit(Event::OpenTunnel {
            target: self.target.clone(),
            forwards,
            accept: self.accept_new_host_key,
        });
        Reply::Close
    }

    fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines: Vec<Line<'static>> = vec![Line::from(format!(
            "Forward ports of {} ({}) to localhost:",
            self.target.label, self.target.instance_id
        ))];
        for (n, (name, port, on)) in self.presets.iter().enumerate() {
            let mark = if *on { "[x]" } else { "[ ]" };
            let style = if n == self.cursor {
                theme.selected()
            } else {
                theme.base()
            };
            lines.push(Line::from(Span::styled(
                format!(" {mark} {name:<16} {port}"),
                style,
            )));
        }
        lines.push(Line::from(vec![
            Span::styled("More ports (REMOTE[:LOCAL] …): ", theme.label()),
            Span::styled(format!("{}▏", self.extra), theme.input()),
        ]));
        let accept = if self.accept_new_host_key {
            "[x]"
        } else {
            "[ ]"
        };
        lines.push(Line::from(format!(
            " {accept} accept the host key if the host is new (a)"
        )));
        lines.push(Line::from(""));
        match &self.preview {
            None => lines.push(Line::from(Span::styled(
                "reading the instance's address, user and key from AWS…",
                theme.dim(),
            ))),
            Some(Ok(p)) if p.native => {
                lines.push(Line::from(vec![
                    Span::styled("via ", theme.label()),
                    Span::raw(format!(
                        "Session Manager to {}, straight: no ssh login, no key, no host key",
                        p.host
                    )),
                ]));
            }
            Some(Ok(p)) => {
                lines.push(Line::from(vec![
                    Span::styled("as ", theme.label()),
                    Span::raw(format!("{}@{}:{}{}", p.user, p.host, p.port, p.route)),
                ]));
                lines.push(Line::from(vec![
                    Span::styled("key ", theme.label()),
                    Span::raw(p.key.clone()),
                ]));
                if !p.known {
                    lines.push(Line::from(Span::styled(
                        "its host key is not recorded yet: a asks to accept it",
                        theme.warning(),
                    )));
                }
            }
            Some(Err(why)) => lines.push(Line::from(Span::styled(why.clone(), theme.warning()))),
        }
        lines
    }
}

impl Popup for TunnelDialog {
    fn mode(&self) -> Mode {
        TUNNEL
    }

    fn on_key(&mut self, key: KeyEvent, _action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        self.key(key, cx)
    }

    fn on_msg(&mut self, msg: Box<dyn Any + Send>) -> Option<Box<dyn Any + Send>> {
        match msg.downcast::<TunnelPreview>() {
            Ok(p) if p.instance_id == self.target.instance_id => {
                self.preview = Some(p.result);
                None
            }
            Ok(p) => Some(p),
            Err(other) => Some(other),
        }
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        let footer = vec![
            Line::from(""),
            hint(
                theme,
                &[
                    ("↑↓", "move"),
                    ("space", "choose"),
                    ("digits", "add ports"),
                    ("enter", "open"),
                    ("esc", "cancel"),
                ],
            ),
        ];
        Some(Boxed {
            title: "Tunnel".into(),
            body: self.lines(theme),
            footer,
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
