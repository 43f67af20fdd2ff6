//! Short questions: a host key seen for the first time, deleting objects,
//! an MFA code, and what to do when a download meets local files.

use std::path::PathBuf;

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

use super::{Level, Reply, draw_box, hint};
use crate::ops::transfer::copy::CopyPlan;
use crate::tui::theme::Theme;

pub fn host_key_key(tunnel: &str, key: KeyEvent) -> Reply {
    match key.code {
        KeyCode::Char('y' | 'Y') => Reply::AcceptHostKey(tunnel.to_string()),
        KeyCode::Char('n' | 'N') | KeyCode::Esc => Reply::Closed(
            Level::Info,
            "host key not accepted: the tunnel stays failed".into(),
        ),
        _ => Reply::Keep,
    }
}

pub fn draw_host_key(frame: &mut Frame, area: Rect, theme: &Theme, why: &str) {
    let lines = vec![
        Line::from(why.to_string()),
        Line::from(""),
        hint(theme, &[("y", "accept and connect"), ("n", "leave it")]),
    ];
    draw_box(frame, area, theme, "New host key", lines, 0);
}

pub fn delete_key(bucket: &str, keys: &[String], key: KeyEvent) -> Reply {
    match key.code {
        KeyCode::Char('y' | 'Y') => Reply::Delete {
            bucket: bucket.to_string(),
            keys: keys.to_vec(),
        },
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => {
            Reply::Closed(Level::Info, "nothing was deleted".into())
        }
        _ => Reply::Keep,
    }
}

/// The lines of the delete question: every key, up to a point.
pub fn delete_lines(bucket: &str, keys: &[String]) -> Vec<String> {
    let mut lines = vec![format!(
        "Delete {} object{} from s3://{bucket}/ ?",
        keys.len(),
        if keys.len() == 1 { "" } else { "s" }
    )];
    lines.extend(keys.iter().take(12).map(|k| format!("  {k}")));
    if keys.len() > 12 {
        lines.push(format!("  … and {} more", keys.len() - 12));
    }
    lines.push("This cannot be undone (unless the bucket keeps versions).".into());
    lines
}

pub fn draw_delete(frame: &mut Frame, area: Rect, theme: &Theme, bucket: &str, keys: &[String]) {
    let mut lines: Vec<Line<'static>> = delete_lines(bucket, keys)
        .into_iter()
        .map(Line::from)
        .collect();
    lines.push(Line::from(""));
    lines.push(hint(theme, &[("y", "delete"), ("n", "keep them")]));
    draw_box(frame, area, theme, "Delete objects", lines, 0);
}

pub fn mfa_key(
    reply: &mut Option<tokio::sync::oneshot::Sender<String>>,
    code: &mut String,
    key: KeyEvent,
) -> Reply {
    match key.code {
        KeyCode::Enter => {
            if let Some(r) = reply.take() {
                let _ = r.send(std::mem::take(code));
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
            code.pop();
            Reply::Keep
        }
        KeyCode::Char(c) if c.is_ascii_digit() && code.len() < 8 => {
            code.push(c);
            Reply::Keep
        }
        _ => Reply::Keep,
    }
}

pub fn draw_mfa(frame: &mut Frame, area: Rect, theme: &Theme, serial: &str, code: &str) {
    let lines = vec![
        Line::from(format!("The profile's keys need a code from {serial}.")),
        Line::from(""),
        Line::from(vec![
            Span::styled("Code: ", theme.label()),
            Span::styled(format!("{code}▏"), theme.input()),
        ]),
        Line::from(""),
        hint(theme, &[("enter", "send"), ("esc", "cancel")]),
    ];
    draw_box(frame, area, theme, "MFA code", lines, 0);
}

/// What to do with a download whose local file exists.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clash {
    Overwrite,
    KeepBoth,
    Skip,
}

/// The question asked while a download's plan waits.
#[derive(Debug, Clone)]
pub struct OverwriteQuestion {
    pub transfer: u32,
    pub plan: CopyPlan,
    /// Items whose local file exists, in order, and the answers so far.
    pub clashes: Vec<usize>,
    pub answers: Vec<Clash>,
    /// Esc: nothing is written.
    pub cancelled: bool,
}

impl OverwriteQuestion {
    pub fn new(transfer: u32, plan: CopyPlan, clashes: Vec<usize>) -> Self {
        Self {
            transfer,
            plan,
            clashes,
            answers: Vec::new(),
            cancelled: false,
        }
    }

    /// The local file asked about now.
    pub fn current(&self) -> Option<&PathBuf> {
        let n = *self.clashes.get(self.answers.len())?;
        Some(&self.plan.items[n].local)
    }

    pub fn left(&self) -> usize {
        self.clashes.len() - self.answers.len()
    }

    pub fn lines(&self) -> Vec<String> {
        let Some(path) = self.current() else {
            return Vec::new();
        };
        let left = self.left();
        let mut lines = vec![
            format!("{} exists already.", path.display()),
            String::new(),
            "o overwrite it   k keep both (the download gets a new name)   s skip it".to_string(),
        ];
        if left > 1 {
            lines.push(format!(
                "O K S: the same for this and the {} other existing file{}",
                left - 1,
                if left == 2 { "" } else { "s" }
            ));
        }
        lines.push("esc: cancel the download (nothing is written)".to_string());
        lines
    }

    pub fn on_key(&mut self, key: KeyEvent) -> Reply {
        let (clash, all) = match key.code {
            KeyCode::Char('o') => (Clash::Overwrite, false),
            KeyCode::Char('k') => (Clash::KeepBoth, false),
            KeyCode::Char('s') => (Clash::Skip, false),
            KeyCode::Char('O') => (Clash::Overwrite, true),
            KeyCode::Char('K') => (Clash::KeepBoth, true),
            KeyCode::Char('S') => (Clash::Skip, true),
            KeyCode::Esc => {
                self.cancelled = true;
                return Reply::Overwrite(self.clone());
            }
            _ => return Reply::Keep,
        };
        let n = if all { self.left() } else { 1 };
        self.answers.extend(std::iter::repeat_n(clash, n));
        if self.answers.len() < self.clashes.len() {
            return Reply::Keep;
        }
        Reply::Overwrite(self.clone())
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        let left = self.left();
        let lines: Vec<Line<'static>> = self.lines().into_iter().map(Line::from).collect();
        let title = format!(
            "Download: {left} local file{} exist{}",
            if left == 1 { "" } else { "s" },
            if left == 1 { "s" } else { "" }
        );
        draw_box(frame, area, theme, &title, lines, 0);
    }
}

/// Create skiff's scheduler role? `y` creates it and sets the schedule.
pub fn role_key(q: &crate::tui::guards::RoleQuestion, key: KeyEvent) -> Reply {
    match key.code {
        KeyCode::Char('y' | 'Y') => Reply::GuardWithRole(Box::new(q.request.clone())),
        KeyCode::Char('n' | 'N' | 'q') | KeyCode::Esc => Reply::Closed(
            Level::Info,
            "nothing was scheduled: the role was not created".into(),
        ),
        _ => Reply::Keep,
    }
}

pub fn draw_role(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    q: &crate::tui::guards::RoleQuestion,
) {
    let mut lines = vec![
        Line::from(format!(
            "EventBridge Scheduler needs an IAM role to start and stop instances. skiff would create {} with:",
            crate::guard::ROLE_NAME
        )),
        Line::from(""),
        Line::from(Span::styled(
            "Trust policy (who may use it):",
            theme.label(),
        )),
    ];
    lines.extend(q.docs.trust.lines().map(|l| Line::from(l.to_string())));
    lines.push(Line::from(Span::styled(
        "Permission policy (what it may do):",
        theme.label(),
    )));
    lines.extend(q.docs.permission.lines().map(|l| Line::from(l.to_string())));
    lines.push(Line::from(""));
    lines.push(hint(
        theme,
        &[("y", "create it and schedule"), ("n", "leave it")],
    ));
    draw_box(frame, area, theme, "Create the scheduler role?", lines, 0);
}

/// Removing a leftover: the id typed letter by letter, enter checks it.
pub fn remove_key(id: &str, typed: &mut String, key: KeyEvent) -> Reply {
    match key.code {
        KeyCode::Esc => Reply::Closed(Level::Info, "nothing was removed".into()),
        KeyCode::Enter if typed.trim() == id => Reply::RemoveLeftover(id.to_string()),
        KeyCode::Enter => Reply::Warn(format!(
            "`{typed}` is not {id}: type the id exactly (esc cancels)"
        )),
        KeyCode::Backspace => {
            typed.pop();
            Reply::Keep
        }
        KeyCode::Char(c) if typed.len() < 200 => {
            typed.push(c);
            Reply::Keep
        }
        _ => Reply::Keep,
    }
}

pub fn draw_remove(frame: &mut Frame, area: Rect, theme: &Theme, lines: &[String], typed: &str) {
    let mut out: Vec<Line<'static>> = lines.iter().map(|l| Line::from(l.clone())).collect();
    out.push(Line::from(Span::styled(format!("{typed}▏"), theme.input())));
    out.push(Line::from(""));
    out.push(hint(theme, &[("enter", "remove"), ("esc", "keep it")]));
    draw_box(frame, area, theme, "Remove a leftover", out, 0);
}

/// A shell's host seen for the first time: `y` records its key and opens
/// the shell.
pub fn shell_host_key(node: &crate::ops::tunnel::TunnelTarget, key: KeyEvent) -> Reply {
    match key.code {
        KeyCode::Char('y' | 'Y') => Reply::ShellAccepting(node.clone()),
        KeyCode::Char('n' | 'N') | KeyCode::Esc => {
            Reply::Closed(Level::Info, "host key not accepted: no shell".into())
        }
        _ => Reply::Keep,
    }
}

/// The command line for every node: typed, enter runs it.
pub fn run_command_key(
    nodes: &[crate::ops::tunnel::TunnelTarget],
    command: &mut String,
    key: KeyEvent,
) -> Reply {
    match key.code {
        KeyCode::Esc => Reply::Close,
        KeyCode::Enter if command.trim().is_empty() => {
            Reply::Warn("type a command first (esc closes)".into())
        }
        KeyCode::Enter => Reply::RunOnNodes(nodes.to_vec(), command.trim().to_string()),
        KeyCode::Backspace => {
            command.pop();
            Reply::Keep
        }
        KeyCode::Char(c) if command.len() < 500 => {
            command.push(c);
            Reply::Keep
        }
        _ => Reply::Keep,
    }
}

pub fn draw_run_command(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    nodes: &[crate::ops::tunnel::TunnelTarget],
    command: &str,
) {
    let names: Vec<&str> = nodes.iter().map(|n| n.label.as_str()).collect();
    let lines = vec![
        Line::from(format!(
            "Run on {} node{} at once: {}",
            nodes.len(),
            if nodes.len() == 1 { "" } else { "s" },
            names.join(", ")
        )),
        Line::from(""),
        Line::from(vec![
            Span::styled("$ ", theme.label()),
            Span::styled(format!("{command}▏"), theme.input()),
        ]),
        Line::from(""),
        hint(theme, &[("enter", "run"), ("esc", "close")]),
    ];
    draw_box(frame, area, theme, "Command on every node", lines, 0);
}
