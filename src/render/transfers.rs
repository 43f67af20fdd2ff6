//! The Transfers view: one row per copy, with its progress as values.

use super::{Cell, Column, Row, RowKey, Tone};

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "TRANSFER", width: 34, priority: 0 },
    Column { title: "PROGRESS", width: 15, priority: 1 },
    Column { title: "BYTES", width: 21, priority: 2 },
    Column { title: "RATE", width: 11, priority: 3 },
    Column { title: "ETA", width: 5, priority: 4 },
    Column { title: "STATE", width: 20, priority: 1 },
];

/// Where a transfer is in its life.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobState {
    /// Listing or walking folders: which files, which keys.
    Planning,
    /// Waiting for the answer to the overwrite question.
    Asking,
    Running,
    Done(String),
    Failed(String),
    Cancelled,
}

impl JobState {
    pub fn label(&self) -> String {
        match self {
            Self::Planning => "planning".into(),
            Self::Asking => "waiting for an answer".into(),
            Self::Running => "running".into(),
            Self::Done(what) => what.clone(),
            Self::Failed(why) => format!("failed: {why}"),
            Self::Cancelled => "cancelled".into(),
        }
    }

    pub fn is_active(&self) -> bool {
        matches!(self, Self::Planning | Self::Asking | Self::Running)
    }
}

/// A transfer as the view shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct TransferView {
    pub id: u32,
    pub label: String,
    pub total: u64,
    /// Bytes there, including what an earlier run had sent.
    pub done: u64,
    /// Bytes moved in this run.
    pub moved: u64,
    pub elapsed_secs: f64,
    pub state: JobState,
    pub files: Option<usize>,
}

impl TransferView {
    pub fn rate(&self) -> f64 {
        self.moved as f64 / self.elapsed_secs.max(0.001)
    }
}

/// A text bar for a table cell: `████░░░░ 45%`.
pub fn bar(done: u64, total: u64, width: usize) -> String {
    let ratio = if total == 0 {
        1.0
    } else {
        (done as f64 / total as f64).clamp(0.0, 1.0)
    };
    let filled = (ratio * width as f64).round() as usize;
    format!(
        "{}{} {:>3.0}%",
        "█".repeat(filled),
        "░".repeat(width - filled),
        ratio * 100.0
    )
}

/// The PROGRESS cell: a bar, except where nothing is known to measure (a
/// transfer that failed or was cancelled before it had a size).
fn progress(t: &TransferView) -> String {
    match &t.state {
        JobState::Failed(_) | JobState::Cancelled | JobState::Planning | JobState::Asking
            if t.total == 0 =>
        {
            "-".into()
        }
        _ => bar(t.done, t.total, 10),
    }
}

pub fn row(t: &TransferView) -> Row {
    let rate = t.rate();
    let eta = if rate > 0.0 && t.state == JobState::Running {
        format!("{:.0}s", t.total.saturating_sub(t.done) as f64 / rate)
    } else {
        "-".into()
    };
    let tone = match &t.state {
        JobState::Planning | JobState::Asking | JobState::Running => Tone::Transitioning,
        JobState::Done(_) => Tone::Running,
        JobState::Failed(_) => Tone::Terminated,
        JobState::Cancelled => Tone::Stopped,
    };
    Row {
        key: RowKey::Transfer(t.id),
        cells: vec![
            Cell::text(&t.label),
            Cell::text(progress(t)),
            Cell::number(
                format!(
                    "{} / {}",
                    bytesize::ByteSize(t.done),
                    bytesize::ByteSize(t.total)
                ),
                i64::try_from(t.done).unwrap_or(0),
            ),
            Cell::number(
                format!("{}/s", bytesize::ByteSize(rate as u64)),
                rate as i64,
            ),
            Cell::text(eta),
            Cell::text(t.state.label()),
        ],
        tone,
    }
}

/// Detail lines of a transfer: what, where, how much, how long.
pub fn details(t: &TransferView) -> Vec<(String, String)> {
    let secs = t.elapsed_secs.round() as i64;
    vec![
        ("What".into(), t.label.clone()),
        ("State".into(), t.state.label()),
        (
            "Files".into(),
            t.files.map_or_else(|| "-".into(), |n| n.to_string()),
        ),
        (
            "Size".into(),
            format!("{} ({} bytes)", bytesize::ByteSize(t.total), t.total),
        ),
        (
            "Done".into(),
            format!(
                "{} ({})",
                bytesize::ByteSize(t.done),
                bar(t.done, t.total, 10)
            ),
        ),
        (
            "Duration".into(),
            super::format::duration(chrono::Duration::seconds(secs)),
        ),
        (
            "Rate".into(),
            format!("{}/s", bytesize::ByteSize(t.rate() as u64)),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transfer_row_and_its_details() {
        let t = TransferView {
            id: 3,
            label: "run-42 → s3://b/runs/run-42/".into(),
            total: 200,
            done: 100,
            moved: 100,
            elapsed_secs: 2.0,
            state: JobState::Running,
            files: Some(4),
        };
        let r = row(&t);
        assert_eq!(r.key, RowKey::Transfer(3));
        assert!(r.cells[1].text.ends_with(" 50%"), "{}", r.cells[1].text);
        assert_eq!(r.cells[4].text, "2s");
        let d = details(&t);
        assert!(d.contains(&("Files".into(), "4".into())));
        assert!(d.iter().any(|(k, v)| k == "Duration" && v == "2s"), "{d:?}");
        assert!(
            d.iter()
                .any(|(k, v)| k == "Size" && v.contains("200 bytes")),
            "{d:?}"
        );
    }

    fn view(state: JobState, done: u64, total: u64) -> TransferView {
        TransferView {
            id: 1,
            label: "a → b".into(),
            total,
            done,
            moved: done,
            elapsed_secs: 1.0,
            state,
            files: None,
        }
    }

    #[test]
    fn a_transfer_that_failed_before_it_had_a_size_shows_no_full_bar() {
        let failed = row(&view(JobState::Failed("no such object".into()), 0, 0));
        assert_eq!(failed.cells[1].text, "-");
        let half = row(&view(JobState::Failed("cut".into()), 50, 100));
        assert!(
            half.cells[1].text.ends_with("50%"),
            "{}",
            half.cells[1].text
        );
        let empty_done = row(&view(JobState::Done("1 file".into()), 0, 0));
        assert!(empty_done.cells[1].text.ends_with("100%"));
    }
}
