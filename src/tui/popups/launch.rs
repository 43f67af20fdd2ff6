//! The launch dialog (`L`): a recipe (←/→ among the config's), the name,
//! how many, the idle guard, the deadline and — for a Spark cluster — its
//! workers, checked as they are typed, with what the recipe launches beside
//! them. Enter hands the settled launch to the opener, which looks up the
//! plan ($/hour now) and asks.

use std::any::Any;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::text::{Line, Span};

use super::{Boxed, Scroll, hint};
use crate::config::{Action, Recipe};
use crate::launch::{Overrides, Spec, settle};
use crate::tui::ctx::{Ctx, Mode, Popup, Reply, Then};
use crate::tui::theme::Theme;

pub const LAUNCH: Mode = Mode("launch");

const LABELS: [&str; 6] = ["recipe", "name", "count", "idle", "deadline", "workers"];

/// What the dialog asks for: machines, or (workers > 0) a Spark cluster
/// named `spec.name` with a master and that many workers from the recipe.
#[derive(Debug, Clone, PartialEq)]
pub struct LaunchAsk {
    pub spec: Spec,
    pub workers: i32,
}

pub struct LaunchDialog {
    /// The config's recipes, by name.
    pub recipes: Vec<(String, Recipe)>,
    pub recipe: usize,
    /// Name, count, idle, deadline, workers.
    pub fields: [String; 5],
    pub focus: usize,
    /// The name was typed (else it follows the recipe).
    named: bool,
    then: Option<Then<LaunchAsk>>,
    scroll: Scroll,
}

impl LaunchDialog {
    pub fn new(
        recipes: Vec<(String, Recipe)>,
        then: impl FnOnce(&mut Ctx<'_>, LaunchAsk) + 'static,
    ) -> Self {
        let mut d = Self {
            recipes,
            recipe: 0,
            fields: Default::default(),
            focus: 0,
            named: false,
            then: Some(Box::new(then)),
            scroll: Scroll::default(),
        };
        d.follow_recipe();
        d
    }

    /// The fields a recipe fills in (what was typed in the name stays).
    fn follow_recipe(&mut self) {
        let Some((name, r)) = self.recipes.get(self.recipe) else {
            return;
        };
        if !self.named {
            self.fields[0] = name.clone();
        }
        self.fields[1] = r.count.unwrap_or(1).to_string();
        self.fields[2] = r.idle.clone().unwrap_or_else(|| "1h".into());
        self.fields[3] = r.deadline.clone().unwrap_or_default();
        if self.fields[4].is_empty() {
            self.fields[4] = "0".into();
        }
    }

    /// The workers asked for (0: machines, not a cluster).
    fn workers(&self) -> Result<i32, String> {
        match self.fields[4].trim() {
            "" => Ok(0),
            t => t
                .parse::<i32>()
                .ok()
                .filter(|n| (0..=100).contains(n))
                .ok_or_else(|| format!("workers: `{t}` is not 0 to 100")),
        }
    }

    /// The launch as typed so far, or what is wrong with it.
    pub fn spec(&self) -> Result<Spec, String> {
        let (rname, recipe) = self
            .recipes
            .get(self.recipe)
            .ok_or("no recipes in the config: add [recipes.NAME] (see `skiff recipes`)")?;
        let name = self.fields[0].trim();
        if name.is_empty() {
            return Err("name: type the machine's Name tag".into());
        }
        let count = self.fields[1]
            .trim()
            .parse::<i32>()
            .map_err(|_| format!("count: `{}` is not a number", self.fields[1].trim()))?;
        let deadline = self.fields[3].trim();
        settle(
            name,
            Some((rname, recipe)),
            Overrides {
                count: Some(count),
                idle: Some(self.fields[2].trim().to_string()),
                deadline: (!deadline.is_empty()).then(|| deadline.to_string()),
                ..Overrides::default()
            },
        )
    }

    fn submit(&mut self, cx: &mut Ctx<'_>) -> Reply {
        match self.spec().and_then(|spec| Ok((spec, self.workers()?))) {
            Ok((spec, workers)) => {
                if let Some(then) = self.then.take() {
                    then(cx, LaunchAsk { spec, workers });
                }
                Reply::Close
            }
            Err(e) => Reply::Warn(e),
        }
    }

    fn key(&mut self, key: KeyEvent, cx: &mut Ctx<'_>) -> Reply {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let n = self.recipes.len().max(1);
        match key.code {
            KeyCode::Esc => return Reply::Close,
            KeyCode::Enter => return self.submit(cx),
            KeyCode::Up | KeyCode::BackTab => {
                self.focus = (self.focus + LABELS.len() - 1) % LABELS.len()
            }
            KeyCode::Down | KeyCode::Tab => self.focus = (self.focus + 1) % LABELS.len(),
            KeyCode::Left if self.focus == 0 => {
                self.recipe = (self.recipe + n - 1) % n;
                self.follow_recipe();
            }
            KeyCode::Right | KeyCode::Char(' ') if self.focus == 0 => {
                self.recipe = (self.recipe + 1) % n;
                self.follow_recipe();
            }
            KeyCode::Backspace if self.focus > 0 => {
                self.fields[self.focus - 1].pop();
                self.named |= self.focus == 1;
            }
            KeyCode::Char(c)
                if self.focus > 0 && !ctrl && self.fields[self.focus - 1].len() < 60 =>
            {
                self.fields[self.focus - 1].push(c);
                self.named |= self.focus == 1;
            }
            KeyCode::PageUp | KeyCode::PageDown => {
                self.scroll.on_key(key);
            }
            _ => {}
        }
        Reply::Keep
    }

    /// What the fields add up to, or what is wrong with them.
    fn verdict(&self, theme: &Theme) -> Line<'static> {
        let duration = |d: Option<std::time::Duration>| {
            d.map_or_else(
                || "off".into(),
                |d| humantime::format_duration(d).to_string(),
            )
        };
        match self.spec().and_then(|s| Ok((s, self.workers()?))) {
            Ok((s, w)) if w > 0 => Line::from(Span::styled(
                format!(
                    "  ✓ Spark cluster {}: a master (on demand) and {w} workers, idle guard {}",
                    s.name,
                    duration(s.idle),
                ),
                theme.info(),
            )),
            Ok((s, _)) => Line::from(Span::styled(
                format!(
                    "  ✓ {} × {}, idle guard {}, {}",
                    s.count,
                    s.name,
                    duration(s.idle),
                    s.deadline.map_or_else(
                        || "no deadline".into(),
                        |d| format!(
                            "{} after {}",
                            s.then.as_str(),
                            humantime::format_duration(d)
                        )
                    )
                ),
                theme.info(),
            )),
            Err(e) => Line::from(Span::styled(format!("  ✗ {e}"), theme.error())),
        }
    }

    pub fn lines(&self, theme: &Theme) -> Vec<Line<'static>> {
        let mut lines = Vec::new();
        for (n, label) in LABELS.iter().enumerate() {
            let focus = n == self.focus;
            let value = if n == 0 {
                let name = self
                    .recipes
                    .get(self.recipe)
                    .map_or("(none)", |(r, _)| r.as_str());
                format!(
                    "‹ {name} ›  ({} of {})",
                    self.recipe + 1,
                    self.recipes.len()
                )
            } else if focus {
                format!("{}▏", self.fields[n - 1])
            } else {
                self.fields[n - 1].clone()
            };
            lines.push(Line::from(vec![
                Span::styled(if focus { "› " } else { "  " }, theme.key()),
                Span::styled(format!("{label:<10}"), theme.label()),
                Span::styled(value, if focus { theme.input() } else { theme.base() }),
            ]));
        }
        lines.push(Line::from(""));
        if let Some((_, r)) = self.recipes.get(self.recipe) {
            let from = r
                .ami
                .clone()
                .or_else(|| r.template.as_ref().map(|t| format!("template {t}")))
                .unwrap_or_else(|| "?".into());
            lines.push(Line::from(Span::styled(
                format!(
                    "  {} from {from}{}",
                    if r.types.is_empty() {
                        "the template's type".into()
                    } else {
                        r.types.join(", ")
                    },
                    r.spot
                        .as_ref()
                        .map_or_else(String::new, |s| format!(", spot {s}"))
                ),
                theme.dim(),
            )));
        }
        lines.push(self.verdict(theme));
        lines.push(Line::from(Span::styled(
            "  enter looks up the plan and its $/hour now, then asks",
            theme.dim(),
        )));
        lines
    }
}

impl Popup for LaunchDialog {
    fn mode(&self) -> Mode {
        LAUNCH
    }

    fn boxed(&self, theme: &Theme) -> Option<Boxed> {
        Some(Boxed {
            title: "Launch".to_string(),
            body: self.lines(theme),
            footer: vec![
                Line::from(""),
                hint(
                    theme,
                    &[
                        ("←→", "recipe"),
                        ("↑↓", "field"),
                        ("enter", "plan"),
                        ("esc", "close"),
                    ],
                ),
            ],
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
