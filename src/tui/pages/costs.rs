//! The Costs page: what each resource, cluster or tag value costs, or S3
//! storage per bucket, with today's burn by the hour above.

use super::Source;
use crate::config::Action;
use crate::render::costs::Breakdown;
use crate::render::{self, Column, Row};
use crate::tui::table::Table;

pub struct CostsPage {
    pub table: Table,
    pub breakdown: Breakdown,
}

impl CostsPage {
    pub fn columns(&self) -> &'static [Column] {
        if self.breakdown == Breakdown::Storage {
            render::costs::STORAGE_COLUMNS
        } else {
            render::costs::COLUMNS
        }
    }

    /// The next breakdown; the rows are made again for it.
    pub fn next_breakdown(&mut self) {
        self.breakdown = self.breakdown.next();
        self.table.invalidate();
        self.table.reset_selection();
    }
}

pub const HINTS: &[(Action, &str)] = &[
    (Action::Breakdown, "group by"),
    (Action::Details, "details"),
    (Action::Stop, "stop"),
    (Action::SortNext, "sort"),
    (Action::Help, "help"),
];

pub fn rows(src: &Source<'_>, breakdown: Breakdown) -> Vec<Row> {
    if breakdown == Breakdown::Storage {
        return render::costs::storage_rows(src.storage);
    }
    let Some(report) = src.costs else {
        return Vec::new();
    };
    render::costs::rows(report, breakdown, src.tag_key, src.remind_after_secs)
}
