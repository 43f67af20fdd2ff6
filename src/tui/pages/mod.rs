//! The views as pages. Each page owns its table state (selection, filter,
//! sort, scroll, marks, cached rows) and what only it shows (the bucket
//! being browsed, the transfers, the tunnels, the cost breakdown); its module
//! says which columns it has, how its rows are made from the app's data
//! (through the pure renderers), what its keys do and which keys its footer
//! names. The app only routes to the current page.

pub mod buckets;
pub mod clusters;
pub mod costs;
pub mod instances;
pub mod leftovers;
pub mod objects;
pub mod transfers;
pub mod tunnels;

use std::collections::HashMap;

use chrono::{DateTime, Utc};

use super::lifecycle::Transition;
use super::table::Table;
use crate::config::Action;
use crate::cost::{CostReport, StorageCost};
use crate::model::Inventory;
use crate::render::{self, Cell, Column, Row, Tone};

/// The views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum ViewKind {
    Instances,
    Clusters,
    Buckets,
    Costs,
    Tunnels,
    Transfers,
    Leftovers,
    /// A bucket opened as a file browser (reached from Buckets, not a tab).
    Objects,
}

impl ViewKind {
    /// The views with a tab (and a number key), in order.
    pub const ALL: [Self; 7] = [
        Self::Instances,
        Self::Clusters,
        Self::Buckets,
        Self::Costs,
        Self::Tunnels,
        Self::Transfers,
        Self::Leftovers,
    ];

    pub fn title(self) -> &'static str {
        match self {
            Self::Instances => "Instances",
            Self::Clusters => "Clusters",
            Self::Buckets => "Buckets",
            Self::Costs => "Costs",
            Self::Tunnels => "Tunnels",
            Self::Transfers => "Transfers",
            Self::Leftovers => "Leftovers",
            Self::Objects => "Objects",
        }
    }

    pub fn index(self) -> usize {
        match self {
            Self::Instances => 0,
            Self::Clusters => 1,
            Self::Buckets => 2,
            Self::Costs => 3,
            Self::Tunnels => 4,
            Self::Transfers => 5,
            Self::Leftovers => 6,
            Self::Objects => 7,
        }
    }

    /// The view's tab (a bucket being browsed belongs to Buckets).
    pub fn tab(self) -> Self {
        if self == Self::Objects {
            Self::Buckets
        } else {
            self
        }
    }
}

/// What rows are made from (borrowed from the app for one refresh).
pub struct Source<'a> {
    pub inventory: &'a Inventory,
    pub costs: Option<&'a CostReport>,
    pub storage: &'a [StorageCost],
    pub transitions: &'a HashMap<String, Transition>,
    pub now: DateTime<Utc>,
    pub remind_after_secs: Option<i64>,
    pub tag_key: &'a str,
    /// Instance id → what guards it ("idle 45m · stop 20:00 mon-fri").
    pub guards: &'a HashMap<String, String>,
}

impl Source<'_> {
    /// The GUARD cell of these instances: every guard of any of them, once.
    pub fn guard_of<'a>(&self, ids: impl IntoIterator<Item = &'a String>) -> String {
        crate::ops::guard::cell_of(self.guards, ids)
    }
}

/// Every page.
pub struct Pages {
    pub instances: Table,
    pub clusters: Table,
    pub buckets: Table,
    pub objects: objects::ObjectsPage,
    pub costs: costs::CostsPage,
    pub tunnels: tunnels::TunnelsPage,
    pub transfers: transfers::TransfersPage,
    pub leftovers: leftovers::LeftoversPage,
}

impl Default for Pages {
    fn default() -> Self {
        // Sorted by name until the user picks another column; a bucket keeps
        // S3's order (folders first, then keys).
        let by_name =
            |cols: &[Column]| Table::sorted_by(cols.iter().position(|c| c.title == "NAME"));
        Self {
            instances: by_name(render::instances::COLUMNS),
            clusters: by_name(render::clusters::COLUMNS),
            buckets: by_name(render::buckets::COLUMNS),
            objects: objects::ObjectsPage::default(),
            costs: costs::CostsPage {
                table: by_name(render::costs::COLUMNS),
                breakdown: render::costs::Breakdown::default(),
            },
            tunnels: tunnels::TunnelsPage::default(),
            transfers: transfers::TransfersPage::default(),
            leftovers: leftovers::LeftoversPage::default(),
        }
    }
}

impl Pages {
    pub fn table(&self, view: ViewKind) -> &Table {
        match view {
            ViewKind::Instances => &self.instances,
            ViewKind::Clusters => &self.clusters,
            ViewKind::Buckets => &self.buckets,
            ViewKind::Objects => &self.objects.table,
            ViewKind::Costs => &self.costs.table,
            ViewKind::Tunnels => &self.tunnels.table,
            ViewKind::Transfers => &self.transfers.table,
            ViewKind::Leftovers => &self.leftovers.table,
        }
    }

    pub fn table_mut(&mut self, view: ViewKind) -> &mut Table {
        match view {
            ViewKind::Instances => &mut self.instances,
            ViewKind::Clusters => &mut self.clusters,
            ViewKind::Buckets => &mut self.buckets,
            ViewKind::Objects => &mut self.objects.table,
            ViewKind::Costs => &mut self.costs.table,
            ViewKind::Tunnels => &mut self.tunnels.table,
            ViewKind::Transfers => &mut self.transfers.table,
            ViewKind::Leftovers => &mut self.leftovers.table,
        }
    }

    pub fn columns(&self, view: ViewKind) -> &'static [Column] {
        match view {
            ViewKind::Instances => render::instances::COLUMNS,
            ViewKind::Clusters => render::clusters::COLUMNS,
            ViewKind::Buckets => render::buckets::COLUMNS,
            ViewKind::Objects => render::objects::COLUMNS,
            ViewKind::Costs => self.costs.columns(),
            ViewKind::Tunnels => render::tunnels::COLUMNS,
            ViewKind::Transfers => render::transfers::COLUMNS,
            ViewKind::Leftovers => render::leftovers::COLUMNS,
        }
    }

    /// Brings `view`'s rows up to date (cheap when nothing changed).
    pub fn refresh(&mut self, view: ViewKind, version: u64, width: u16, src: &Source<'_>) {
        let columns = self.columns(view);
        match view {
            ViewKind::Instances => self.instances.refresh(version, columns, width, || {
                let mut rows = instances::rows(src);
                overlay_transitions(columns, &mut rows, src);
                rows
            }),
            ViewKind::Clusters => self.clusters.refresh(version, columns, width, || {
                let mut rows = clusters::rows(src);
                overlay_transitions(columns, &mut rows, src);
                rows
            }),
            ViewKind::Buckets => self
                .buckets
                .refresh(version, columns, width, || buckets::rows(src)),
            ViewKind::Costs => {
                let breakdown = self.costs.breakdown;
                self.costs.table.refresh(version, columns, width, || {
                    let mut rows = costs::rows(src, breakdown);
                    overlay_transitions(columns, &mut rows, src);
                    rows
                })
            }
            ViewKind::Objects => self.objects.refresh(width),
            ViewKind::Tunnels => self.tunnels.refresh(width),
            ViewKind::Transfers => self.transfers.refresh(width),
            ViewKind::Leftovers => self.leftovers.refresh(width),
        }
    }

    /// Keys worth naming in the footer of `view`, with what they do there.
    pub fn hints(&self, view: ViewKind) -> Vec<(Action, &'static str)> {
        match view {
            ViewKind::Instances => instances::HINTS.to_vec(),
            ViewKind::Clusters => clusters::HINTS.to_vec(),
            ViewKind::Buckets => buckets::HINTS.to_vec(),
            ViewKind::Objects => objects::HINTS.to_vec(),
            ViewKind::Costs => costs::HINTS.to_vec(),
            ViewKind::Tunnels => tunnels::HINTS.to_vec(),
            ViewKind::Transfers => transfers::HINTS.to_vec(),
            ViewKind::Leftovers => leftovers::HINTS.to_vec(),
        }
    }
}

/// Rewrites the STATE cell of rows with a node in transition.
fn overlay_transitions(columns: &[Column], rows: &mut [Row], src: &Source<'_>) {
    if src.transitions.is_empty() {
        return;
    }
    let Some(col) = columns.iter().position(|c| c.title == "STATE") else {
        return;
    };
    for row in rows {
        let t = match row.key.target() {
            Some(crate::lifecycle::Target::Instance { id }) => src.transitions.get(id),
            Some(crate::lifecycle::Target::Spark { region, name }) => {
                src.inventory.spark_cluster(region, name).and_then(|c| {
                    c.master
                        .iter()
                        .chain(&c.workers)
                        .filter_map(|id| src.transitions.get(id))
                        .min_by_key(|t| t.since)
                })
            }
            _ => None,
        };
        if let Some(t) = t {
            let secs = t.since.elapsed().as_secs();
            let text = if t.failed {
                format!("✗ {}", t.label)
            } else {
                format!("{}… {secs}s", t.label)
            };
            row.cells[col] = Cell::text(text);
            row.tone = if t.failed {
                Tone::Terminated
            } else {
                Tone::Transitioning
            };
        }
    }
}
