//! The guard dialog: what guards an instance or a Spark cluster now, what
//! it costs per hour while it runs, and fields to stop it when idle or to
//! start and stop it on a schedule — or to remove its guards. Input is
//! checked here; nothing is lost on a bad value.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::{Boxed, Scroll, hint};
use crate::config::Action;
use crate::cost::show;
use crate::guard::{self as guard_names, At, DEFAULT_CPU_BELOW, IdleRule, Part, schedule};
use crate::ops::guard::{Guarded, Setting};
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::theme::Theme;

pub const GUARD: Mode = Mode("guard");

/// What the dialog asks for.
#[derive(Debug, Clone, PartialEq)]
pub enum GuardWhat {
    Idle(IdleRule),
    Schedule(Times),
    Clear,
}

/// When a schedule starts and stops its target, in which zone, and whether
/// a stop pauses (hibernates).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Times {
    pub start: Option<At>,
    pub stop: Option<At>,
    pub tz: chrono_tz::Tz,
    pub pause: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GuardRequest {
    pub guarded: Guarded,
    pub what: GuardWhat,
}

const LABELS: [&str; 5] = [
    "after",
    "stop at",
    "start at",
    "time zone",
    "pause (hibernate)",
];

pub struct GuardDialog {
    pub guarded: Guarded,
    /// The guards it has now, one line each.
    pub current: Vec<String>,
    /// Idle duration, stop, start, time zone.
    pub fields: [String; 4],
    pub pause: bool,
    pub focus: usize,
    /// "Remove all guards?" is being asked.
    pub confirm_clear: bool,
    then: Option<Then<GuardRequest>>,
    scroll: Scroll,
}

impl GuardDialog {
    /// `tz`: the zone schedules are written in unless changed (the machine's).
    pub fn new(
        guarded: Guarded,
        current: Vec<String>,
        tz: chrono_tz::Tz,
        then: impl FnOnce(&mut Ctx<'_>, GuardRequest) + 'static,
    ) -> Self {
        Self {
            guarded,
            current,
            fields: [
                "45m".into(),
                "mon-fri 20:00".into(),
                String::new(),
                tz.name().to_string(),
            ],
            pause: false,
            focus: 0,
            confirm_clear: false,
            then: Some(Box::new(then)),
            scroll: Scroll::default(),
        }
    }

    /// Starts from what the target is guarded with now: its idle time,
    /// its stop and start times (the cluster's own, before the offsets
    /// between master and workers), its zone and whether it pauses.
    pub fn starting_from(mut self, settings: &[Setting], zone: Option<&str>) -> Self {
        for setting in settings {
            match setting {
                Setting::Idle(rule) => self.fields[0] = duration_text(rule.after),
                Setting::Schedule(p) => {
                    let first = match p.key.action {
                        guard_names::Action::Stop => p.key.part != Part::Master,
                        guard_names::Action::Start => p.key.part != Part::Workers,
                    };
                    let field = match p.key.action {
                        guard_names::Action::Stop => 1,
                        guard_names::Action::Start => 2,
                    };
                    if first {
                        self.fields[field] = at_text(&p.at);
                    }
                    self.pause |= p.hibernate;
                }
            }
        }
        if let Some(zone) = zone {
            self.fields[3] = zone.to_string();
        }
        self
    }

    /// Starts from a request the user made (asked again after a question
    /// was declined: nothing typed is lost).
    pub fn with_request(mut self, what: &GuardWhat) -> Self {
        match what {
            GuardWhat::Idle(rule) => self.fields[0] = duration_text(rule.after),
            GuardWhat::Schedule(t) => {
                self.fields[1] = t.stop.as_ref().map(at_text).unwrap_or_default();
                self.fields[2] = t.start.as_ref().map(at_text).unwrap_or_default();
                self.fields[3] = t.tz.name().to_string();
                self.pause = t.pause;
                self.focus = 1;
            }
            GuardWhat::Clear => {}
        }
        self
    }

    fn request(&mut self, what: GuardWhat, cx: &mut Ctx<'_>) -> Reply {
        let request = GuardRequest {
            guarded: self.guarded.clone(),
            what,
        };
        if let Some(then) = self.then.take() {
            then(cx, request);
        }
        Reply::Close
    }

    fn submit(&mut self, cx: &mut Ctx<'_>) -> Reply {
        if self.focus == 0 {
            let after = match humantime::parse_duration(self.fields[0].trim()) {
                Ok(d) => d,
                Err(e) => {
                    return Reply::Warn(format!(
                        "idle for {:?}: {e} (e.g. 45m, 2h)",
                        self.fields[0]
                    ));
                }
            };
            return match IdleRule::new(after, DEFAULT_CPU_BELOW) {
                Ok(rule) => self.request(GuardWhat::Idle(rule), cx),
                Err(e) => Reply::Warn(e),
            };
        }
        let at = |text: &str, what: &str| -> Result<Option<At>, String> {
            let t = text.trim();
            if t.is_empty() {
                return Ok(None);
            }
            At::parse(t).map(Some).map_err(|e| format!("{what}: {e}"))
        };
        let (stop, start) = match (
            at(&self.fields[1], "stop at"),
            at(&self.fields[2], "start at"),
        ) {
            (Ok(s), Ok(t)) => (s, t),
            (Err(e), _) | (_, Err(e)) => return Reply::Warn(e),
        };
        if stop.is_none() && start.is_none() {
            return Reply::Warn("fill in stop at, start at, or both (e.g. mon-fri 20:00)".into());
        }
        let tz = match schedule::zone(self.fields[3].trim()) {
            Ok(tz) => tz,
            Err(e) => return Reply::Warn(e),
        };
        let pause = self.pause;
        self.request(
            GuardWhat::Schedule(Times {
                start,
                stop,
                tz,
                pause,
            }),
            cx,
        )
    }

    fn key(&mut self, key: KeyEvent, cx: &mut Ctx<'_>) -> Reply {
        if self.confirm_clear {
            return match key.code {
                KeyCode::Char('y' | 'Y') => self.request(GuardWhat::Clear, cx),
                KeyCode::Char('n' | 'N') | KeyCode::Esc => {
                    self.confirm_clear = false;
                    Reply::Keep
                }
                _ => Reply::Keep,
            };
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        match key.code {
            KeyCode::Esc => Reply::Close,
            KeyCode::Char('d') if ctrl => {
                if self.current.is_empty() {
                    Reply::Warn(format!("{} has no guards to remove", self.guarded.name))
                } else {
                    self.confirm_clear = true;
                    Reply::Keep
                }
            }
            KeyCode::Up | KeyCode::BackTab => {
                self.focus = (self.focus + LABELS.len() - 1) % LABELS.len();
                Reply::Keep
            }
            KeyCode::Down | KeyCode::Tab => {
                self.focus = (self.focus + 1) % LABELS.len();
                Reply::Keep
            }
            KeyCode::Enter => self.submit(cx),
            KeyCode::Char(' ') if self.focus == 4 => {
                self.pause = !self.pause;
                Reply::Keep
            }
            KeyCode::Backspace if self.focus < 4 => {
                self.fields[self.focus].pop();
                Reply::Keep
            }
            KeyCode::Char(c) if self.focus < 4 && !ctrl && self.fields[self.focus].len() < 40 => {
                self.fields[self.focus].push(c);
                Reply::Keep
            }
            KeyCode::PageUp | KeyCode::PageDown => {
                self.scroll.on_key(key);
                Reply::Keep
            }
            _ => Reply::Keep,
        }
    }

    pub fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let g = &self.guarded;
        let what = if g.workers.is_empty() {
            format!("{} ({})", g.name, g.region)
        } else {
            format!(
                "Spark cluster {} ({}, {} nodes)",
                g.name,
                g.region,
                g.instance_ids().len()
            )
        };
        let mut lines = vec![
            Line::from(format!(
                "{what} costs {}/h while it runs: every hour a guard keeps it stopped saves that.",
                show(&g.hourly)
            )),
            Line::from(""),
        ];
        if self.current.is_empty() {
            lines.push(Line::from(Span::styled("No guards yet.", theme.dim())));
        } else {
            lines.push(Line::from(Span::styled("Guards now:", theme.label())));
            lines.extend(self.current.iter().map(|c| Line::from(format!("  {c}"))));
        }
        lines.push(Line::from(""));
        if self.confirm_clear {
            lines.push(Line::from(format!(
                "Remove every guard of {} (its alarms and schedules)?",
                g.name
            )));
            return lines;
        }
        for (n, label) in LABELS.iter().enumerate() {
            if n == 0 {
                lines.push(Line::from(Span::styled("Stop when idle", theme.title())));
            }
            if n == 1 {
                lines.push(Line::from(Span::styled("Schedule", theme.title())));
            }
            let focus = n == self.focus;
            let value = if n == 4 {
                if self.pause {
                    "[x] hibernate at stop".to_string()
                } else {
                    "[ ] stop".to_string()
                }
            } else if focus {
                format!("{}▏", self.fields[n])
            } else {
                self.fields[n].clone()
            };
            lines.push(Line::from(vec![
                Span::styled(if focus { "› " } else { "  " }, theme.key()),
                Span::styled(format!("{label:<19}"), theme.label()),
                Span::styled(value, if focus { theme.input() } else { theme.base() }),
            ]));
            if n == 0 {
                lines.push(Line::from(Span::styled(
                    "                     CPU under 5% that long stops a node (not hibernate)",
                    theme.dim(),
                )));
            }
            if n == 4 {
                lines.push(Line::from(Span::styled(
                    "                     days: mon-fri, daily, sat,sun; master first on start",
                    theme.dim(),
                )));
            }
        }
        lines
    }

    fn footer(&self, theme: &Theme) -> Vec<Line<'static>> {
        let keys: &[(&str, &str)] = if self.confirm_clear {
            &[("y", "remove them"), ("n", "keep them")]
        } else {
            &[
                ("↑↓", "field"),
                ("enter", "set"),
                ("space", "pause"),
                ("ctrl-d", "remove all"),
                ("esc", "close"),
            ]
        };
        vec![Line::from(""), hint(theme, keys)]
    }
}

/// A time as the field takes it: "mon-fri 20:00".
fn at_text(at: &At) -> String {
    format!("{} {:02}:{:02}", at.days, at.hour, at.minute)
}

/// A duration as the field takes it: "30m", "1h30m".
fn duration_text(d: std::time::Duration) -> String {
    humantime::format_duration(d).to_string().replace(' ', "")
}

impl Popup for GuardDialog {
    fn mode(&self) -> Mode {
        GUARD
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        Some(Boxed {
            title: "Guards — work while skiff is closed".to_string(),
            body: self.lines(theme),
            footer: self.footer(theme),
            scroll: self.scroll,
        })
    }

    fn scroll_state(&mut self) -> Option<&mut Scroll> {
        Some(&mut self.scroll)
    }

    fn on_key(&mut self, key: KeyEvent, _action: Option<Action>, cx: &mut Ctx<'_>) -> Reply {
        self.key(key, cx)
    }

    fn takes_text(&self) -> bool {
        true
    }

    fn as_any(&self) -> &dyn Any {
        self
    }
}
