//! Themes: TOML files of named styles, with semantic accessors for views.
//!
//! Built-in themes (`themes/*.toml`, embedded) are complete. A user theme
//! (`NAME.toml` in the config directory's `themes/`) lists only what it
//! changes, over the built-in named by its `extends` key (default `dark`).

use std::path::Path;

use ratatui::style::{Color, Modifier, Style};
use serde::Deserialize;

use crate::config::{ConfigError, parse_layered};
use crate::render::Tone;

pub const BUILTIN: [(&str, &str); 3] = [
    ("dark", include_str!("../../themes/dark.toml")),
    ("light", include_str!("../../themes/light.toml")),
    ("mono", include_str!("../../themes/mono.toml")),
];

/// One style as written in a theme file.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct StyleSpec {
    pub fg: Option<Color>,
    pub bg: Option<Color>,
    pub bold: bool,
    pub dim: bool,
    pub italic: bool,
    pub underlined: bool,
    pub reversed: bool,
}

impl StyleSpec {
    pub fn style(self) -> Style {
        let mut s = Style::default();
        if let Some(fg) = self.fg {
            s = s.fg(fg);
        }
        if let Some(bg) = self.bg {
            s = s.bg(bg);
        }
        for (on, m) in [
            (self.bold, Modifier::BOLD),
            (self.dim, Modifier::DIM),
            (self.italic, Modifier::ITALIC),
            (self.underlined, Modifier::UNDERLINED),
            (self.reversed, Modifier::REVERSED),
        ] {
            if on {
                s = s.add_modifier(m);
            }
        }
        s
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Theme {
    pub name: String,
    #[serde(default)]
    extends: Option<String>,
    base: StyleSpec,
    header: StyleSpec,
    header_label: StyleSpec,
    tab: StyleSpec,
    tab_active: StyleSpec,
    column_header: StyleSpec,
    selected: StyleSpec,
    border: StyleSpec,
    title: StyleSpec,
    running: StyleSpec,
    stopped: StyleSpec,
    transitioning: StyleSpec,
    terminated: StyleSpec,
    dim: StyleSpec,
    key: StyleSpec,
    info: StyleSpec,
    warning: StyleSpec,
    error: StyleSpec,
    input: StyleSpec,
    label: StyleSpec,
}

#[derive(Debug, Deserialize)]
struct Extends {
    extends: Option<String>,
}

impl Theme {
    fn builtin_text(name: &str) -> Option<&'static str> {
        BUILTIN.iter().find(|(n, _)| *n == name).map(|(_, t)| *t)
    }

    /// The default theme; the embedded files are tested to parse.
    pub fn dark() -> Self {
        #[allow(clippy::expect_used)]
        Self::builtin("dark").expect("embedded dark theme is valid")
    }

    pub fn builtin(name: &str) -> Option<Self> {
        parse_layered(Self::builtin_text(name)?, None).ok()
    }

    /// Loads a theme by name: a user file `themes_dir/NAME.toml` first, then a
    /// built-in. Errors name the file, line and key.
    pub fn load(name: &str, themes_dir: &Path) -> Result<Self, ConfigError> {
        let path = themes_dir.join(format!("{name}.toml"));
        if let Ok(text) = std::fs::read_to_string(&path) {
            let base = toml::from_str::<Extends>(&text)
                .ok()
                .and_then(|e| e.extends)
                .unwrap_or_else(|| "dark".to_string());
            let Some(base_text) = Self::builtin_text(&base) else {
                return Err(ConfigError {
                    path,
                    line: None,
                    key: Some("extends".into()),
                    message: format!("no built-in theme `{base}` (built-in: dark, light, mono)"),
                });
            };
            let mut theme: Self = parse_layered(base_text, Some((&path, &text)))?;
            theme.name = name.to_string();
            return Ok(theme);
        }
        Self::builtin(name).ok_or_else(|| ConfigError {
            path,
            line: None,
            key: None,
            message: format!(
                "no theme `{name}`: built-in themes are {}",
                Self::names(themes_dir).join(", ")
            ),
        })
    }

    /// Built-in and user theme names, for completion and messages.
    pub fn names(themes_dir: &Path) -> Vec<String> {
        let mut names: Vec<String> = BUILTIN.iter().map(|(n, _)| n.to_string()).collect();
        if let Ok(entries) = std::fs::read_dir(themes_dir) {
            for entry in entries.flatten() {
                let path = entry.path();
                if path.extension().is_some_and(|e| e == "toml")
                    && let Some(stem) = path.file_stem().and_then(|s| s.to_str())
                    && !names.iter().any(|n| n == stem)
                {
                    names.push(stem.to_string());
                }
            }
        }
        names
    }

    pub fn base(&self) -> Style {
        self.base.style()
    }
    pub fn header(&self) -> Style {
        self.header.style()
    }
    pub fn header_label(&self) -> Style {
        self.header_label.style()
    }
    pub fn tab(&self, active: bool) -> Style {
        if active {
            self.tab_active.style()
        } else {
            self.tab.style()
        }
    }
    pub fn column_header(&self) -> Style {
        self.column_header.style()
    }
    pub fn selected(&self) -> Style {
        self.selected.style()
    }
    pub fn border(&self) -> Style {
        self.border.style()
    }
    pub fn title(&self) -> Style {
        self.title.style()
    }
    pub fn dim(&self) -> Style {
        self.dim.style()
    }
    pub fn key(&self) -> Style {
        self.key.style()
    }
    pub fn info(&self) -> Style {
        self.info.style()
    }
    pub fn warning(&self) -> Style {
        self.warning.style()
    }
    pub fn error(&self) -> Style {
        self.error.style()
    }
    /// The style of a notification of this level.
    pub fn level(&self, level: super::notify::Level) -> Style {
        use super::notify::Level;
        match level {
            Level::Info => self.info(),
            Level::Warning => self.warning(),
            Level::Error => self.error(),
        }
    }
    pub fn input(&self) -> Style {
        self.input.style()
    }
    pub fn label(&self) -> Style {
        self.label.style()
    }
    /// The colour of a row whose state means `tone`.
    pub fn tone(&self, tone: Tone) -> Style {
        match tone {
            Tone::Normal => Style::default(),
            Tone::Running => self.running.style(),
            Tone::Stopped => self.stopped.style(),
            Tone::Transitioning => self.transitioning.style(),
            Tone::Terminated => self.terminated.style(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_builtin_theme_parses_on_its_own() {
        for (name, _) in BUILTIN {
            let theme = Theme::builtin(name).unwrap_or_else(|| panic!("theme {name}"));
            assert_eq!(theme.name, name);
        }
    }

    #[test]
    fn mono_uses_no_colour() {
        let mono = Theme::builtin("mono").expect("mono");
        for s in [
            mono.header(),
            mono.selected(),
            mono.error(),
            mono.tone(Tone::Running),
        ] {
            assert!(matches!(s.fg, None | Some(Color::Reset)), "{s:?}");
            assert!(matches!(s.bg, None | Some(Color::Reset)), "{s:?}");
        }
    }

    #[test]
    fn user_theme_overrides_over_its_base_and_errors_are_located() {
        let dir = tempfile::tempdir().expect("tempdir");
        std::fs::write(
            dir.path().join("mine.toml"),
            "extends = \"light\"\n[selected]\nbg = \"red\"\n",
        )
        .expect("write");
        let mine = Theme::load("mine", dir.path()).expect("mine");
        assert_eq!(mine.selected().bg, Some(Color::Red));
        assert_eq!(
            mine.header(),
            Theme::builtin("light").expect("light").header()
        );
        std::fs::write(
            dir.path().join("bad.toml"),
            "[selected]\nbg = \"nocolour\"\n",
        )
        .expect("write");
        let err = Theme::load("bad", dir.path()).expect_err("bad colour");
        assert_eq!(err.line, Some(2));
        assert_eq!(err.key.as_deref(), Some("bg"));
        assert!(Theme::load("absent", dir.path()).is_err());
        assert!(Theme::names(dir.path()).contains(&"mine".to_string()));
    }
}
