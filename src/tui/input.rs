//! The footer's input line: a filter (applied as it is typed) or a `:`
//! command (completed with tab).

/// What the line is for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InputKind {
    Filter,
    Command,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputLine {
    pub kind: InputKind,
    pub text: String,
    /// Candidates shown above the footer after tab.
    pub completions: Vec<String>,
}

impl InputLine {
    pub fn filter(text: String) -> Self {
        Self {
            kind: InputKind::Filter,
            text,
            completions: Vec::new(),
        }
    }

    pub fn command(text: impl Into<String>) -> Self {
        Self {
            kind: InputKind::Command,
            text: text.into(),
            completions: Vec::new(),
        }
    }
}
