//! Rows of the views as the user sees them: every row of a view, filtered
//! and sorted, the selection kept by id, and the detail lines of the
//! selected item.

use std::time::Instant;

use super::app::{App, ViewKind};
use crate::lifecycle::Target;
use crate::render::{self, Row, RowKey};

impl App {
    // ---- rows -------------------------------------------------------------

    /// Every row of a view, before filter and sort.
    pub fn all_rows(&self, view: ViewKind) -> Vec<Row> {
        let now = self.clock.now();
        let inv = &self.inventory;
        match view {
            ViewKind::Instances => inv
                .instances
                .iter()
                .map(|i| {
                    let cost = self.costs.as_ref().and_then(|c| c.item(&i.id));
                    render::instances::row(i, now, cost, self.remind_after_secs())
                })
                .collect(),
            ViewKind::Clusters => {
                let costs = self.costs.as_ref();
                let mut rows: Vec<Row> = inv
                    .spark_clusters
                    .iter()
                    .map(|c| render::clusters::spark_row(c, &inv.instances, costs))
                    .collect();
                rows.extend(
                    inv.emr_clusters
                        .iter()
                        .map(|c| render::clusters::emr_row(c, costs)),
                );
                rows
            }
            ViewKind::Buckets => inv.buckets.iter().map(render::buckets::row).collect(),
            ViewKind::Objects => self.object_rows(),
            ViewKind::Transfers => self
                .transfers
                .iter()
                .map(super::transfers::transfer_row)
                .collect(),
            ViewKind::Tunnels => {
                let now = Instant::now();
                self.tunnels
                    .list
                    .iter()
                    .map(|t| render::tunnels::row(&t.id, &t.tunnel.current(), now))
                    .collect()
            }
            ViewKind::Costs if self.breakdown == render::costs::Breakdown::Storage => {
                render::costs::storage_rows(&self.storage)
            }
            ViewKind::Costs => match &self.costs {
                Some(report) => {
                    let names = inv
                        .emr_clusters
                        .iter()
                        .map(|c| (c.id.clone(), c.name.clone()))
                        .collect();
                    render::costs::rows(
                        report,
                        self.breakdown,
                        &self.config.costs.tag_key,
                        &names,
                        self.remind_after_secs(),
                    )
                }
                None => Vec::new(),
            },
        }
    }

    /// Rows of a view as shown: with transitions in progress overlaid.
    pub(super) fn shown_rows(&self, view: ViewKind) -> Vec<Row> {
        let mut rows = self.all_rows(view);
        self.overlay_transitions(view, &mut rows);
        rows
    }

    /// The rows of the current view, filtered and sorted as the user asked.
    /// The current view's columns (the Costs view's storage breakdown has
    /// its own).
    pub fn columns(&self) -> &'static [render::Column] {
        if self.view == ViewKind::Costs && self.breakdown == render::costs::Breakdown::Storage {
            render::costs::STORAGE_COLUMNS
        } else {
            self.view.columns()
        }
    }

    pub fn rows(&self) -> Vec<Row> {
        let state = self.view_state();
        let visible = render::visible_columns(self.columns(), self.table_width);
        let mut rows: Vec<Row> = self
            .shown_rows(self.view)
            .into_iter()
            .filter(|r| render::filter_accepts(&state.filter, r, &visible))
            .collect();
        if let Some((col, desc)) = state.sort {
            render::sort_rows(&mut rows, col, desc);
        }
        rows
    }

    /// Re-finds the selected row by id after the rows changed.
    pub fn sync_selection(&mut self, rows: &[Row]) {
        let state = self.view_state_mut();
        let index = state.selection_in(rows);
        state.table.select(index);
        state.selected = index.and_then(|i| rows.get(i)).map(|r| r.key.clone());
    }

    pub(super) fn move_selection(&mut self, delta: isize) {
        let rows = self.rows();
        self.sync_selection(&rows);
        if rows.is_empty() {
            return;
        }
        let state = self.view_state_mut();
        let current = state.table.selected().unwrap_or(0);
        let last = rows.len() - 1;
        let next = if delta < 0 {
            current.saturating_sub(delta.unsigned_abs())
        } else {
            current.saturating_add(delta.unsigned_abs()).min(last)
        };
        state.table.select(Some(next));
        state.selected = rows.get(next).map(|r| r.key.clone());
        state.moved = true;
    }

    pub fn selected_row(&self) -> Option<Row> {
        let mut rows = self.rows();
        let index = self.view_state().selection_in(&rows)?;
        Some(rows.swap_remove(index))
    }

    /// Detail lines of the selected item, with the popup's title.
    pub fn selected_details(&self) -> Option<(String, Vec<render::details::Line>)> {
        let row = self.selected_row()?;
        let inv = &self.inventory;
        match &row.key {
            RowKey::Resource(Target::Instance { id }) => {
                let i = inv.instance(id)?;
                Some((
                    format!("{} ({})", i.display_name(), i.id),
                    render::details::instance(i, self.clock.now()),
                ))
            }
            RowKey::Resource(Target::Spark { region, name }) => {
                let c = inv.spark_cluster(region, name)?;
                Some((
                    format!("Spark cluster {}", c.name),
                    render::details::spark(c, &inv.instances),
                ))
            }
            RowKey::Resource(Target::Emr { id, .. }) => {
                let c = inv.emr_cluster(id)?;
                Some((
                    format!("EMR cluster {} ({})", c.name, c.id),
                    render::details::emr(c),
                ))
            }
            RowKey::Bucket(name) => {
                let b = inv.buckets.iter().find(|b| &b.name == name)?;
                Some((format!("Bucket {}", b.name), render::details::bucket(b)))
            }
            RowKey::Object(key) | RowKey::Folder(key) => {
                let e = self.browser.entries.iter().find(|e| &e.key == key)?;
                let uri = format!("s3://{}/{}", self.browser.bucket, e.key);
                let lines = vec![
                    ("Key".to_string(), e.key.clone()),
                    (
                        "Size".to_string(),
                        format!("{} ({} bytes)", bytesize::ByteSize(e.size), e.size),
                    ),
                    (
                        "Modified".to_string(),
                        e.last_modified
                            .map_or("-".into(), render::format::timestamp),
                    ),
                    (
                        "Storage class".to_string(),
                        e.storage_class.clone().unwrap_or_else(|| "-".into()),
                    ),
                    ("URI".to_string(), uri.clone()),
                    (
                        "Spark (s3a)".to_string(),
                        uri.replacen("s3://", "s3a://", 1),
                    ),
                ];
                Some((format!("Object {}", e.key), lines))
            }
            RowKey::Transfer(n) => {
                let t = self.transfers.iter().find(|t| t.id == *n)?;
                use super::transfers::JobState;
                let state = match &t.state {
                    JobState::Planning => "planning".to_string(),
                    JobState::Asking => "waiting for an answer".to_string(),
                    JobState::Running => "running".to_string(),
                    JobState::Done(w) => w.clone(),
                    JobState::Failed(w) => format!("failed: {w}"),
                    JobState::Cancelled => "cancelled".into(),
                };
                Some((
                    "Transfer".to_string(),
                    vec![
                        ("What".to_string(), t.label()),
                        ("State".to_string(), state),
                    ],
                ))
            }
            RowKey::Tunnel(id) => {
                let t = self.tunnels.get(id)?.tunnel.current();
                Some((
                    format!("Tunnel to {}", t.target.label),
                    render::tunnels::details(&t),
                ))
            }
            RowKey::Group(_) | RowKey::Storage(_) => None,
        }
    }
}
