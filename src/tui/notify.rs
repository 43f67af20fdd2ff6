//! Notifications: the latest one in the footer for a while, every one kept
//! (the last 200) for the history popup (`:messages`), so one that scrolled
//! away can be read again.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// How serious a notification is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Info,
    Warning,
    Error,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notification {
    pub level: Level,
    pub text: String,
    pub at: Instant,
    /// When, in words for the history (wall clock, UTC).
    pub when: chrono::DateTime<chrono::Utc>,
    /// How many times this same text arrived in a row.
    pub repeats: u32,
}

impl Notification {
    /// ` (×3)` when the same text arrived three times in a row.
    pub fn repeats_suffix(&self) -> String {
        if self.repeats > 1 {
            format!(" (×{})", self.repeats)
        } else {
            String::new()
        }
    }
}

const SHOWN_SECS: u64 = 8;
const ERROR_SHOWN_SECS: u64 = 20;
const KEPT: usize = 200;

#[derive(Debug, Default)]
pub struct Notifications {
    list: VecDeque<Notification>,
}

impl Notifications {
    pub fn push(&mut self, level: Level, text: String, when: chrono::DateTime<chrono::Utc>) {
        if let Some(last) = self.list.back_mut()
            && last.text == text
        {
            last.repeats += 1;
            last.at = Instant::now();
            last.when = when;
            return;
        }
        self.list.push_back(Notification {
            level,
            text,
            at: Instant::now(),
            when,
            repeats: 1,
        });
        while self.list.len() > KEPT {
            self.list.pop_front();
        }
    }

    /// The notification to show now, if a recent one is still on screen.
    pub fn current(&self) -> Option<&Notification> {
        let n = self.list.back()?;
        let secs = if n.level == Level::Error {
            ERROR_SHOWN_SECS
        } else {
            SHOWN_SECS
        };
        (n.at.elapsed() < Duration::from_secs(secs)).then_some(n)
    }

    /// Takes the current one off the footer (it stays in the history).
    pub fn dismiss(&mut self) {
        if let Some(n) = self.list.back_mut() {
            n.at = Instant::now() - Duration::from_secs(ERROR_SHOWN_SECS + 1);
        }
    }

    pub fn iter(&self) -> impl Iterator<Item = &Notification> {
        self.list.iter()
    }

    pub fn last(&self) -> Option<&Notification> {
        self.list.back()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

/// What a piece of work had to say, collected while it ran and shown
/// afterwards (in order) by the loop.
#[derive(Debug, Default)]
pub struct Notes(Vec<(Level, String)>);

/// Saying something to the user, the one way for whatever collects it (a
/// handler's context, a piece of work's notes).
pub trait Say {
    fn say(&mut self, level: Level, text: impl Into<String>);

    fn info(&mut self, text: impl Into<String>) {
        self.say(Level::Info, text);
    }

    fn warn(&mut self, text: impl Into<String>) {
        self.say(Level::Warning, text);
    }

    fn error(&mut self, text: impl Into<String>) {
        self.say(Level::Error, text);
    }
}

impl Say for Notes {
    fn say(&mut self, level: Level, text: impl Into<String>) {
        self.0.push((level, text.into()));
    }
}

impl Notes {
    pub fn drain(&mut self) -> std::vec::Drain<'_, (Level, String)> {
        self.0.drain(..)
    }
}
