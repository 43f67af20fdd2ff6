//! The Buckets page: the account's buckets; enter opens one as a browser.

use super::Source;
use crate::config::Action;
use crate::render::{self, Row};

pub const HINTS: &[(Action, &str)] = &[
    (Action::Details, "open"),
    (Action::Filter, "filter"),
    (Action::Refresh, "refresh"),
    (Action::Help, "help"),
];

pub fn rows(src: &Source<'_>) -> Vec<Row> {
    src.inventory
        .buckets
        .iter()
        .map(render::buckets::row)
        .collect()
}
