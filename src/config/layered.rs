//! Layered TOML: a user's partial file merged over embedded defaults.
//!
//! The user's document is parsed with spans, the defaults are merged in only
//! where the user said nothing, and the result is deserialized in one pass, so
//! an error (unknown key, bad value) points at the line of the user's file.

use std::fmt;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use toml::de::{DeTable, DeValue};

/// A configuration (or theme) file that could not be used.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct ConfigError {
    pub path: PathBuf,
    /// 1-based line, when the error can be placed.
    pub line: Option<usize>,
    /// The key the error is about, when it can be named.
    pub key: Option<String>,
    pub message: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.path.display())?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        if let Some(key) = &self.key {
            write!(f, ": key `{key}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

/// Tables whose entries are each one value: a user's `[recipes.gpu]`
/// replaces the built-in one whole (a field left out stays out).
const WHOLE_ENTRIES: &[&str] = &["recipes"];

/// Deep-merges `defaults` into `user`: keys the user set win, tables merge,
/// everything else (arrays included) is replaced as a whole.
fn merge_defaults<'i>(user: &mut DeTable<'i>, defaults: DeTable<'i>) {
    merge_in(user, defaults, true);
}

fn merge_in<'i>(user: &mut DeTable<'i>, defaults: DeTable<'i>, descend: bool) {
    for (key, default_value) in defaults {
        let whole = WHOLE_ENTRIES.contains(&key.get_ref().as_ref());
        match user.get_mut(key.get_ref().as_ref()) {
            None => {
                user.insert(key, default_value);
            }
            Some(user_value) if descend => {
                if let (DeValue::Table(user_table), DeValue::Table(default_table)) =
                    (user_value.get_mut(), default_value.into_inner())
                {
                    merge_in(user_table, default_table, !whole);
                }
            }
            Some(_) => {}
        }
    }
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.get(..offset.min(text.len()))
        .map_or(1, |before| before.matches('\n').count() + 1)
}

/// The key named on the line an error points at (`key = value`), or the text
/// under the span when it is itself a key.
fn key_at(text: &str, span: &std::ops::Range<usize>) -> Option<String> {
    let start = text[..span.start.min(text.len())]
        .rfind('\n')
        .map_or(0, |i| i + 1);
    let end = text[start..].find('\n').map_or(text.len(), |i| start + i);
    let line = &text[start..end];
    if let Some((key, _)) = line.split_once('=') {
        let key = key.trim().trim_matches('"');
        if !key.is_empty() && !key.starts_with('[') {
            return Some(key.to_string());
        }
    }
    let under = text.get(span.clone())?.trim().trim_matches('"');
    (!under.is_empty() && !under.contains('\n')).then(|| under.to_string())
}

/// Parses `user_text` (from `path`) merged over `defaults_text`.
///
/// `defaults_text` must itself be a complete, valid document (tested for every
/// embedded default); errors always refer to the user's file.
pub fn parse_layered<T: DeserializeOwned>(
    defaults_text: &str,
    user: Option<(&Path, &str)>,
) -> Result<T, ConfigError> {
    let embedded = |e: toml::de::Error| ConfigError {
        path: PathBuf::from("<built-in defaults>"),
        line: None,
        key: None,
        message: e.message().to_string(),
    };
    let defaults = DeTable::parse(defaults_text).map_err(embedded)?;
    let Some((path, text)) = user else {
        return T::deserialize(toml::de::Deserializer::from(defaults)).map_err(embedded);
    };
    let located = |e: toml::de::Error| {
        let span = e.span();
        ConfigError {
            path: path.to_path_buf(),
            line: span.as_ref().map(|s| line_of(text, s.start)),
            key: span.as_ref().and_then(|s| key_at(text, s)),
            message: e.message().trim().to_string(),
        }
    };
    let mut merged = DeTable::parse(text).map_err(located)?;
    merge_defaults(merged.get_mut(), defaults.into_inner());
    T::deserialize(toml::de::Deserializer::from(merged)).map_err(located)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct Doc {
        a: A,
        list: Vec<u32>,
    }
    #[derive(Debug, Deserialize, PartialEq)]
    #[serde(deny_unknown_fields)]
    struct A {
        x: u32,
        y: String,
    }

    const DEFAULTS: &str = "list = [1, 2]\n[a]\nx = 1\ny = \"d\"\n";

    fn parse(user: &str) -> Result<Doc, ConfigError> {
        parse_layered(DEFAULTS, Some((Path::new("/tmp/c.toml"), user)))
    }

    #[test]
    fn user_keys_win_and_missing_keys_come_from_defaults() {
        let doc = parse("[a]\nx = 5\n").expect("valid");
        assert_eq!(
            doc.a,
            A {
                x: 5,
                y: "d".into()
            }
        );
        assert_eq!(doc.list, vec![1, 2]);
        let doc = parse("list = [9]\n").expect("valid");
        assert_eq!(doc.list, vec![9], "arrays are replaced, not appended");
    }

    #[test]
    fn no_user_file_gives_defaults() {
        let doc: Doc = parse_layered(DEFAULTS, None).expect("defaults");
        assert_eq!(doc.a.x, 1);
    }

    #[test]
    fn unknown_key_names_file_line_and_key() {
        let err = parse("# comment\n[a]\nx = 2\nzz = 3\n").expect_err("unknown key");
        assert_eq!(err.path, Path::new("/tmp/c.toml"));
        assert_eq!(err.line, Some(4));
        assert_eq!(err.key.as_deref(), Some("zz"));
        assert!(err.message.contains("unknown field"), "{}", err.message);
        assert!(err.to_string().starts_with("/tmp/c.toml:4: key `zz`: "));
    }

    #[test]
    fn bad_value_names_its_key() {
        let err = parse("[a]\n\nx = \"five\"\n").expect_err("bad type");
        assert_eq!(err.line, Some(3));
        assert_eq!(err.key.as_deref(), Some("x"));
    }

    #[test]
    fn syntax_error_has_a_line() {
        let err = parse("[a]\nx = = 1\n").expect_err("syntax");
        assert_eq!(err.line, Some(2));
    }
}
