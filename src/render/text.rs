//! Text on its way to a terminal. Tag values, names and object keys are
//! written by other people; a control character in one (ESC, the C1 CSI
//! and OSC, DEL) could move the cursor, retitle the window or write the
//! clipboard, and a bidirectional override could make a name read as
//! another. Every string a face shows goes through [`clean`]: such
//! characters are shown as escapes (`\u{1b}`, `\u{202e}`, `\n`), so they
//! are visible and harmless. What is shown is never what is used: keys
//! and values are copied, downloaded, deleted and confirmed exactly.

use std::borrow::Cow;

use unicode_width::UnicodeWidthStr;

/// Whether `c` would be escaped: Rust's own rule for debug output (the
/// control characters C0, DEL and C1, format characters such as the
/// bidirectional overrides and zero-width spaces, unassigned and private
/// code points, separators other than the space).
fn unsafe_char(c: char, first: bool) -> bool {
    // Printable ASCII, the bulk of every table: safe, and decided at once
    // (this runs for every character drawn).
    if (' '..='~').contains(&c) {
        return false;
    }
    if first {
        return c.escape_debug().next() == Some('\\');
    }
    // After a base character a combining mark belongs to it (é as e and
    // U+0301): std escapes those only at the start of a string.
    let mut buf = [0u8; 8];
    buf[0] = b'a';
    let len = 1 + c.encode_utf8(&mut buf[1..]).len();
    std::str::from_utf8(&buf[..len]).is_ok_and(|s| s.escape_debug().nth(1) == Some('\\'))
}

/// `text` as it may be shown: unchanged when it is safe (no copy), else
/// with every unsafe character written as its escape.
pub fn clean(text: &str) -> Cow<'_, str> {
    let mut first = true;
    let needs = text.chars().any(|c| {
        let bad = unsafe_char(c, first);
        first = false;
        bad
    });
    if !needs {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    let mut first = true;
    for c in text.chars() {
        if unsafe_char(c, first) {
            out.extend(c.escape_debug());
        } else {
            out.push(c);
        }
        first = false;
    }
    Cow::Owned(out)
}

/// What the CLI writes (tables, messages, JSON alike), made safe for a
/// terminal: every unsafe character but the newline written as a JSON
/// escape (`\u009b`, surrogate pairs beyond the first plane). Inside a
/// JSON string that is the same string to any parser, so `--json` stays
/// exact; in text it is visible.
pub fn clean_output(text: &str) -> Cow<'_, str> {
    let bad = |c: char| c != '\n' && unsafe_char(c, false);
    if !text.chars().any(bad) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if bad(c) {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// [`clean`] for text of several lines: each line cleaned, the newlines
/// kept as the layout's own.
pub fn clean_lines(text: &str) -> String {
    text.split('\n')
        .map(|l| clean(l).into_owned())
        .collect::<Vec<_>>()
        .join("\n")
}

/// The columns `text` takes on a terminal once cleaned (wide characters
/// take two, combining marks none).
pub fn width(text: &str) -> usize {
    UnicodeWidthStr::width(clean(text).as_ref())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn harmful(c: char) -> bool {
        c.is_control()
            || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF | 0x061C)
    }

    #[test]
    fn controls_and_overrides_are_shown_as_escapes() {
        assert_eq!(clean("rnd-master"), Cow::Borrowed("rnd-master"));
        assert_eq!(clean("a\u{9b}2Jb"), "a\\u{9b}2Jb");
        assert_eq!(clean("\u{1b}]52;c;aGk=\u{7}"), "\\u{1b}]52;c;aGk=\\u{7}");
        assert_eq!(clean("x\u{7f}"), "x\\u{7f}");
        assert_eq!(clean("exe.\u{202e}gpj"), "exe.\\u{202e}gpj");
        assert_eq!(clean("two\nlines"), "two\\nlines");
        assert_eq!(clean_lines("two\nlines\u{1b}"), "two\nlines\\u{1b}");
        // Printable text of any script, and its combining marks, stay.
        assert_eq!(clean("café 数据 e\u{301}"), "café 数据 e\u{301}");
        assert_eq!(clean("C:\\path \"q\" 'a'"), "C:\\path \"q\" 'a'");
        assert_eq!(width("数据"), 4);
    }

    #[test]
    fn output_escapes_keep_json_exact() {
        let v = serde_json::json!({ "name": "a\u{9b}2J\u{7f}\u{202e}\u{e0001}b" });
        let text = serde_json::to_string_pretty(&v).expect("json");
        let out = clean_output(&text);
        assert!(!out.chars().any(|c| c != '\n' && harmful(c)), "{out}");
        let back: serde_json::Value = serde_json::from_str(&out).expect("still json");
        assert_eq!(back, v);
        assert_eq!(clean_output("two\nlines"), "two\nlines");
    }

    proptest! {
        #[test]
        fn output_of_any_json_string_parses_back_the_same(s in any::<String>()) {
            let v = serde_json::Value::String(s);
            let text = serde_json::to_string(&v).expect("json");
            let out = clean_output(&text);
            prop_assert!(!out.chars().any(|c| c != '\n' && harmful(c)));
            let back: serde_json::Value = serde_json::from_str(&out).expect("json");
            prop_assert_eq!(back, v);
        }

        #[test]
        fn cleaned_text_holds_no_control_or_format_character(s in any::<String>()) {
            let out = clean(&s);
            prop_assert!(!out.chars().any(harmful), "{:?} -> {:?}", s, out);
            // What was safe is left as it was.
            if !s.chars().any(harmful) && !s.chars().any(|c| c.escape_debug().count() > 1 && !matches!(c, '\\' | '\'' | '"')) {
                prop_assert_eq!(out.as_ref(), s.as_str());
            }
            // The width the layout measures is the width of what is drawn.
            prop_assert_eq!(width(&s), UnicodeWidthStr::width(out.as_ref()));
        }

        #[test]
        fn escape_sequences_never_survive(body in "[\\x1b\\x9b\\x9d\\x07\\x7f a-z0-9;\\[\\]]{0,40}") {
            let out = clean(&body);
            prop_assert!(!out.chars().any(|c| c.is_control()), "{:?}", out);
        }
    }
}
