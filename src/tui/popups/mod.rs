//! Popups: a stack of one enum. The top one gets the keys and draws itself;
//! what it decides comes back as a [`Reply`] the app carries out. Nothing
//! can be half-open: a popup's state lives in its variant.

pub mod confirm;
pub mod guard;
pub mod picker;
pub mod prompts;
pub mod text;
pub mod tunnel;

use std::path::PathBuf;

use crossterm::event::KeyEvent;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};

use super::app::{Level, Mode};
use super::theme::Theme;
use crate::config::Action;
use crate::ops::transfer::plan::S3Uri;
use crate::ops::tunnel::TunnelTarget;
use crate::ops::tunnel::spec::Forward;
use confirm::{ConfirmPopup, Pending};
use picker::FilePicker;
use prompts::OverwriteQuestion;
use text::TextPopup;
use tunnel::TunnelDialog;

pub enum Popup {
    Help(TextPopup),
    Details(TextPopup),
    Messages(TextPopup),
    /// A lifecycle action (or a relaunch) waiting for yes, or for the
    /// target's name to be typed.
    Confirm(ConfirmPopup),
    Tunnel(TunnelDialog),
    /// Accept the host key of a host seen for the first time?
    HostKey {
        tunnel: String,
        why: String,
    },
    /// Delete these objects?
    Delete {
        bucket: String,
        keys: Vec<String>,
    },
    FilePicker(FilePicker),
    /// The keyring profile's MFA device wants a code.
    Mfa {
        serial: String,
        reply: Option<tokio::sync::oneshot::Sender<String>>,
        code: String,
    },
    /// A download meets local files: overwrite, keep both or skip?
    Overwrite(OverwriteQuestion),
    /// The guards of an instance or a cluster.
    Guard(Box<guard::GuardDialog>),
    /// A schedule needs skiff's IAM role: these policies, create it?
    RoleQuestion(Box<crate::tui::guards::RoleQuestion>),
    /// Remove a leftover: its id must be typed.
    RemoveLeftover {
        id: String,
        lines: Vec<String>,
        typed: String,
    },
    /// A shell's host is seen for the first time: accept its key?
    ShellHostKey {
        node: crate::ops::tunnel::TunnelTarget,
        why: String,
    },
    /// The command to run on every node of a cluster.
    RunCommand {
        nodes: Vec<crate::ops::tunnel::TunnelTarget>,
        command: String,
    },
}

/// What a key in a popup decided.
pub enum Reply {
    /// Handled; the popup stays.
    Keep,
    /// The popup closes, nothing else happens.
    Close,
    /// The popup closes, with a word to the user.
    Closed(Level, String),
    /// The popup stays, with a word to the user (bad input loses nothing).
    Warn(String),
    Quit,
    /// Run this lifecycle action (yes was said, or the name typed).
    Run(Pending),
    OpenTunnel {
        target: TunnelTarget,
        forwards: Vec<Forward>,
        accept: bool,
    },
    AcceptHostKey(String),
    Delete {
        bucket: String,
        keys: Vec<String>,
    },
    Upload {
        paths: Vec<PathBuf>,
        to: S3Uri,
    },
    /// The picker wants this folder listed (it stays open meanwhile).
    ListDir {
        dir: PathBuf,
        generation: u64,
    },
    Overwrite(OverwriteQuestion),
    /// Set or clear guards (a schedule may come back asking for the role).
    Guard(Box<crate::tui::guards::GuardRequest>),
    /// The same, skiff's role created first (its policies were shown).
    GuardWithRole(Box<crate::tui::guards::GuardRequest>),
    /// The leftover's id was typed: remove it.
    RemoveLeftover(String),
    /// Open a shell on this node, recording its host key.
    ShellAccepting(crate::ops::tunnel::TunnelTarget),
    /// Run this command on these nodes.
    RunOnNodes(Vec<crate::ops::tunnel::TunnelTarget>, String),
}

impl Popup {
    /// The mode the app is in while this popup is on top.
    pub fn mode(&self) -> Mode {
        match self {
            Self::Help(_) => Mode::Help,
            Self::Details(_) => Mode::Details,
            Self::Messages(_) => Mode::Messages,
            Self::Confirm(c) if c.typed.is_some() => Mode::TypeConfirm,
            Self::Confirm(_) => Mode::Confirm,
            Self::Tunnel(_) => Mode::TunnelDialog,
            Self::HostKey { .. } => Mode::HostKey,
            Self::Delete { .. } => Mode::ConfirmDelete,
            Self::FilePicker(_) => Mode::FilePicker,
            Self::Mfa { .. } => Mode::MfaCode,
            Self::Overwrite(_) => Mode::Overwrite,
            Self::Guard(_) => Mode::GuardDialog,
            Self::RoleQuestion(_) => Mode::RoleQuestion,
            Self::RemoveLeftover { .. } => Mode::RemoveLeftover,
            Self::ShellHostKey { .. } => Mode::ShellHostKey,
            Self::RunCommand { .. } => Mode::RunCommand,
        }
    }

    /// A key, with the action the keymap gives it.
    pub fn on_key(&mut self, key: KeyEvent, action: Option<Action>) -> Reply {
        match self {
            Self::Help(t) | Self::Details(t) | Self::Messages(t) => t.on_key(key, action),
            Self::Confirm(c) => c.on_key(key, action),
            Self::Tunnel(d) => d.on_key(key),
            Self::HostKey { tunnel, .. } => prompts::host_key_key(tunnel, key),
            Self::Delete { bucket, keys } => prompts::delete_key(bucket, keys, key),
            Self::FilePicker(p) => p.on_key(key, action),
            Self::Mfa { reply, code, .. } => prompts::mfa_key(reply, code, key),
            Self::Overwrite(q) => q.on_key(key),
            Self::Guard(d) => d.on_key(key),
            Self::RoleQuestion(q) => prompts::role_key(q, key),
            Self::RemoveLeftover { id, typed, .. } => prompts::remove_key(id, typed, key),
            Self::ShellHostKey { node, .. } => prompts::shell_host_key(node, key),
            Self::RunCommand { nodes, command } => prompts::run_command_key(nodes, command, key),
        }
    }

    /// Scrolls by `delta` lines (the mouse wheel).
    pub fn scroll(&mut self, delta: isize) {
        match self {
            Self::Help(t) | Self::Details(t) | Self::Messages(t) => t.scroll_by(delta),
            Self::Confirm(c) => c.text.scroll_by(delta),
            Self::FilePicker(p) => p.move_by(delta),
            _ => {}
        }
    }

    /// Fits the popup to `area` before drawing (scroll limits, the
    /// picker's window): the one place a popup's state follows the screen.
    pub fn layout(&mut self, area: Rect, theme: &Theme) {
        match self {
            Self::Help(t) | Self::Details(t) | Self::Messages(t) => t.layout(area),
            Self::Confirm(c) => c.layout(area, theme),
            Self::FilePicker(p) => p.layout(area),
            _ => {}
        }
    }

    pub fn draw(&self, frame: &mut Frame, area: Rect, theme: &Theme) {
        match self {
            Self::Help(t) | Self::Details(t) | Self::Messages(t) => t.draw(frame, area, theme),
            Self::Confirm(c) => c.draw(frame, area, theme),
            Self::Tunnel(d) => d.draw(frame, area, theme),
            Self::HostKey { why, .. } => prompts::draw_host_key(frame, area, theme, why),
            Self::Delete { bucket, keys } => prompts::draw_delete(frame, area, theme, bucket, keys),
            Self::FilePicker(p) => p.draw(frame, area, theme),
            Self::Mfa { serial, code, .. } => prompts::draw_mfa(frame, area, theme, serial, code),
            Self::Overwrite(q) => q.draw(frame, area, theme),
            Self::Guard(d) => d.draw(frame, area, theme),
            Self::RoleQuestion(q) => prompts::draw_role(frame, area, theme, q),
            Self::RemoveLeftover { lines, typed, .. } => {
                prompts::draw_remove(frame, area, theme, lines, typed);
            }
            Self::ShellHostKey { why, .. } => prompts::draw_host_key(frame, area, theme, why),
            Self::RunCommand { nodes, command } => {
                prompts::draw_run_command(frame, area, theme, nodes, command);
            }
        }
    }
}

/// A rectangle of at most `w`×`h` centred in `area`, never larger than it.
pub fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// The box a popup of `rows` wrapped lines gets in `area`: up to 100 wide,
/// as tall as its lines (leaving a line of the screen above and below).
pub fn box_for(area: Rect, lines: &[Line<'_>]) -> (Rect, u16) {
    let width = area.width.saturating_sub(4).clamp(area.width.min(20), 100);
    let rows = wrapped_rows(lines, width.saturating_sub(2));
    let wanted = rows.saturating_add(2);
    let rect = centered(
        area,
        width,
        wanted.min(area.height.saturating_sub(2).max(3)),
    );
    (rect, rows)
}

/// How many rows `lines` take when wrapped at `width` — as the paragraph
/// that draws them wraps (by words), so scrolling reaches the last line.
pub fn wrapped_rows(lines: &[Line<'_>], width: u16) -> u16 {
    let rows = Paragraph::new(lines.to_vec())
        .wrap(Wrap { trim: false })
        .line_count(width.max(1));
    u16::try_from(rows).unwrap_or(u16::MAX)
}

/// Draws a bordered popup with `title`, `lines` from `scroll` on, and where
/// the scroll is when not everything fits.
pub fn draw_box(
    frame: &mut Frame,
    area: Rect,
    theme: &Theme,
    title: &str,
    lines: Vec<Line<'static>>,
    scroll: u16,
) {
    let (rect, rows) = box_for(area, &lines);
    let max = rows.saturating_sub(rect.height.saturating_sub(2));
    let scroll = scroll.min(max);
    let more = if max > 0 {
        format!(" {scroll}/{max} ")
    } else {
        String::new()
    };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(theme.border())
        .title(Span::styled(format!(" {title} "), theme.title()))
        .title_bottom(Line::from(Span::styled(more, theme.dim())).right_aligned());
    frame.render_widget(Clear, rect);
    frame.render_widget(
        Paragraph::new(lines)
            .block(block)
            .style(theme.base())
            .wrap(Wrap { trim: false })
            .scroll((scroll, 0)),
        rect,
    );
}

/// `key` followed by what it does, for the hint lines of popups.
pub fn hint(theme: &Theme, keys: &[(&str, &str)]) -> Line<'static> {
    let mut spans = Vec::new();
    for (k, what) in keys {
        spans.push(Span::styled(k.to_string(), theme.key()));
        spans.push(Span::raw(format!(" {what}  ")));
    }
    Line::from(spans)
}
