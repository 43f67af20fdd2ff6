//! The Costs view: what each resource, cluster or tag value costs.

use super::instances::money_cell;
use super::{Cell, Column, Row, Tone, format};
use crate::cost::{CostReport, Group, group_by, show};

/// How the Costs view groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Breakdown {
    #[default]
    Resource,
    Cluster,
    Tag,
    /// S3 Standard storage per bucket.
    Storage,
}

impl Breakdown {
    pub fn next(self) -> Self {
        match self {
            Self::Resource => Self::Cluster,
            Self::Cluster => Self::Tag,
            Self::Tag => Self::Storage,
            Self::Storage => Self::Resource,
        }
    }

    pub fn label(self, tag_key: &str) -> String {
        match self {
            Self::Resource => "by resource".into(),
            Self::Cluster => "by cluster".into(),
            Self::Tag => format!("by tag {tag_key}"),
            Self::Storage => "S3 storage".into(),
        }
    }
}

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "NAME", width: 18, priority: 0 },
    Column { title: "STATE", width: 10, priority: 3 },
    Column { title: "$/H", width: 8, priority: 1 },
    Column { title: "SINCE START", width: 11, priority: 4 },
    Column { title: "TODAY", width: 8, priority: 2 },
    Column { title: "MONTH", width: 9, priority: 2 },
    Column { title: "NOTE", width: 30, priority: 5 },
];

#[rustfmt::skip]
pub const STORAGE_COLUMNS: &[Column] = &[
    Column { title: "BUCKET", width: 18, priority: 0 },
    Column { title: "SIZE", width: 10, priority: 1 },
    Column { title: "$/H", width: 8, priority: 3 },
    Column { title: "$/MONTH", width: 9, priority: 1 },
    Column { title: "REGION", width: 14, priority: 4 },
    Column { title: "NOTE", width: 30, priority: 5 },
];

/// Rows of the Costs view's S3 storage breakdown (`STORAGE_COLUMNS`): the
/// bucket, its size, $/hour, the month at that size, its region, and where
/// the figures come from.
pub fn storage_rows(storage: &[crate::cost::StorageCost]) -> Vec<Row> {
    storage
        .iter()
        .map(|s| {
            let size = s.bytes.map_or_else(
                || Cell::text("?"),
                |b| {
                    Cell::number(
                        bytesize::ByteSize(b).to_string(),
                        i64::try_from(b).unwrap_or(i64::MAX),
                    )
                },
            );
            let note = match (s.monthly.unknown.first(), s.at) {
                (Some(why), _) => why.clone(),
                (None, Some(at)) => {
                    format!("{} BucketSizeBytes of {}", s.region, at.format("%Y-%m-%d"))
                }
                (None, None) => s.region.clone(),
            };
            Row {
                key: super::RowKey::Storage(s.bucket.clone()),
                cells: vec![
                    Cell::text(&s.bucket),
                    size,
                    money_cell(Some(&s.hourly)),
                    money_cell(Some(&s.monthly)),
                    Cell::text(&s.region),
                    Cell::text(note),
                ],
                tone: Tone::Normal,
            }
        })
        .collect()
}

/// The tone of a cost item: running, stopped, or gone (terminated ones stay
/// until the month is over: what they cost this month is still spent).
fn item_tone(i: &crate::cost::InstanceCost) -> Tone {
    if i.is_gone() {
        Tone::Terminated
    } else if i.is_running() {
        Tone::Running
    } else {
        Tone::Stopped
    }
}

/// Rows of the Costs view. `remind_after_secs` flags long runs with what
/// stopping would save.
pub fn rows(
    report: &CostReport,
    by: Breakdown,
    tag_key: &str,
    remind_after_secs: Option<i64>,
) -> Vec<Row> {
    match by {
        Breakdown::Resource => report
            .items
            .iter()
            .map(|i| item_row(i, remind_after_secs))
            .collect(),
        // Storage rows come from `storage_rows`: buckets are not in a report.
        Breakdown::Storage => Vec::new(),
        Breakdown::Cluster | Breakdown::Tag => {
            let groups = if by == Breakdown::Cluster {
                group_by(&report.items, |i| {
                    let emr = i.emr_cluster.is_some();
                    i.cluster
                        .clone()
                        .map(|c| if emr { format!("{c} (EMR)") } else { c })
                })
            } else {
                group_by(&report.items, |i| i.tags.get(tag_key).cloned())
            };
            groups.iter().map(group_row).collect()
        }
    }
}

/// One resource's row; one running longer than `remind_after_secs` says
/// what stopping it would save.
fn item_row(i: &crate::cost::InstanceCost, remind_after_secs: Option<i64>) -> Row {
    let overdue = matches!((i.running_secs, remind_after_secs), (Some(s), Some(l)) if s > l);
    let note = if overdue {
        format!(
            "running {}: stop saves {}/h",
            format::duration(chrono::Duration::seconds(i.running_secs.unwrap_or(0))),
            show(&i.stop_saves_hourly)
        )
    } else if !i.hourly.unknown.is_empty() {
        i.hourly.unknown[0].clone()
    } else if matches!(i.state.as_str(), "stopped" | "stopping") {
        // Its $/h is what it costs while stopped, not a price.
        "while stopped: EBS and EIPs".into()
    } else {
        i.price_source.clone()
    };
    Row {
        key: super::RowKey::instance(&i.id),
        cells: vec![
            Cell::text(&i.name),
            Cell::text(&i.state),
            money_cell(Some(&i.hourly)),
            money_cell(i.since_start.as_ref()),
            money_cell(Some(&i.today)),
            money_cell(Some(&i.month_to_date)),
            Cell::text(note),
        ],
        tone: if overdue {
            Tone::Transitioning
        } else {
            item_tone(i)
        },
    }
}

/// One cluster's or tag value's row: its nodes and what they cost together.
fn group_row(g: &Group) -> Row {
    Row {
        key: super::RowKey::Group(g.key.clone()),
        cells: vec![
            Cell::text(&g.key),
            Cell::number(
                format!("{} node{}", g.nodes, if g.nodes == 1 { "" } else { "s" }),
                i64::try_from(g.nodes).unwrap_or(0),
            ),
            money_cell(Some(&g.hourly)),
            money_cell(Some(&g.since_start)),
            money_cell(Some(&g.today)),
            money_cell(Some(&g.month_to_date)),
            Cell::text(if g.hourly.is_complete() {
                String::new()
            } else {
                g.hourly.unknown[0].clone()
            }),
        ],
        tone: Tone::Normal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cost::{Prices, report_now};
    use crate::sandbox::world as demo;

    #[test]
    fn breakdowns_group_and_flag_long_runs() {
        let inv = demo::inventory();
        let r = report_now(&inv, &Prices::embedded(), demo::now());
        let by_resource = rows(&r, Breakdown::Resource, "Project", Some(4 * 3600));
        let etl = by_resource
            .iter()
            .find(|row| row.cells[0].text == "eu-etl")
            .expect("eu-etl");
        assert!(
            etl.cells[6]
                .text
                .starts_with("running 8h 00m: stop saves $0.0962/h"),
            "{}",
            etl.cells[6].text
        );
        let by_tag = rows(&r, Breakdown::Tag, "Project", None);
        let keys: Vec<&str> = by_tag
            .iter()
            .map(|row| row.cells[0].text.as_str())
            .collect();
        assert!(
            keys.contains(&"research") && keys.contains(&"etl"),
            "{keys:?}"
        );
        let by_cluster = rows(&r, Breakdown::Cluster, "Project", None);
        let rnd = by_cluster
            .iter()
            .find(|row| row.cells[0].text == "rnd")
            .expect("rnd");
        assert_eq!(rnd.cells[1].text, "4 nodes");
        assert_eq!(Breakdown::Tag.next(), Breakdown::Storage);
        assert_eq!(Breakdown::Storage.next(), Breakdown::Resource);
    }

    #[test]
    fn storage_rows_show_size_month_and_why_unknown() {
        let sizes = [
            crate::model::BucketSize {
                bucket: "data".into(),
                region: "us-east-1".into(),
                bytes: Some(10 << 30),
                at: "2026-11-20T00:00:00Z".parse().ok(),
            },
            crate::model::BucketSize {
                bucket: "new".into(),
                region: "us-east-1".into(),
                bytes: None,
                at: None,
            },
        ];
        let rows = storage_rows(&crate::cost::storage_costs(&sizes, &Prices::embedded()));
        assert_eq!(rows[0].cells[1].text, "10.0 GiB");
        assert_eq!(rows[0].cells[3].text, "$0.2300");
        assert!(rows[0].cells[5].text.contains("2026-11-20"));
        assert_eq!(rows[1].cells[3].text, "?");
        assert!(rows[1].cells[5].text.contains("BucketSizeBytes"));
        assert!(rows.iter().all(|r| r.cells.len() == STORAGE_COLUMNS.len()));
    }
}
