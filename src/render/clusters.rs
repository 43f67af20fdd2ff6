//! The Clusters view: Spark clusters on EC2 and EMR clusters side by side.

use super::instances::money_cell;
use super::{Cell, Column, Row, RowKey, Tone};
use crate::cost::{Amount, CostReport, InstanceCost};
use crate::lifecycle::Target;
use crate::model::{ClusterState, EmrCluster, EmrState, Instance, SparkCluster};

/// The summed $/hour and since-start of the given items.
fn sums<'a>(items: impl Iterator<Item = &'a InstanceCost>) -> (Option<Amount>, Option<Amount>) {
    let items: Vec<&InstanceCost> = items.collect();
    // Nothing known: say nothing rather than $0.
    if items.is_empty() {
        return (None, None);
    }
    let hourly = items.iter().map(|c| c.hourly.clone()).sum();
    let since = items.iter().filter_map(|c| c.since_start.clone()).sum();
    (Some(hourly), Some(since))
}

fn node_costs(costs: Option<&CostReport>, ids: &[&str]) -> (Option<Amount>, Option<Amount>) {
    match costs {
        Some(c) => sums(ids.iter().filter_map(|id| c.item(id))),
        None => (None, None),
    }
}

#[rustfmt::skip]
pub const COLUMNS: &[Column] = &[
    Column { title: "KIND", width: 5, priority: 1 },
    Column { title: "NAME", width: 14, priority: 0 },
    Column { title: "ID", width: 15, priority: 4 },
    Column { title: "STATE", width: 14, priority: 1 },
    Column { title: "REGION", width: 10, priority: 5 },
    Column { title: "NODES", width: 5, priority: 2 },
    Column { title: "MASTER", width: 22, priority: 3 },
    Column { title: "DETAIL", width: 22, priority: 6 },
    Column { title: "$/H", width: 8, priority: 2 },
    Column { title: "SINCE START", width: 11, priority: 7 },
    Column { title: "GUARD", width: 14, priority: 4 },
];

fn spark_tone(state: ClusterState) -> Tone {
    match state {
        ClusterState::Running => Tone::Running,
        ClusterState::Stopped => Tone::Stopped,
        ClusterState::Terminated => Tone::Terminated,
        _ => Tone::Transitioning,
    }
}

fn emr_tone(state: EmrState) -> Tone {
    match state {
        EmrState::Running | EmrState::Waiting => Tone::Running,
        EmrState::Starting | EmrState::Bootstrapping | EmrState::Terminating => Tone::Transitioning,
        EmrState::Terminated | EmrState::TerminatedWithErrors => Tone::Terminated,
        EmrState::Unknown => Tone::Normal,
    }
}

/// The row key of a Spark cluster (names are unique per region only).
pub fn spark_row_key(c: &SparkCluster) -> RowKey {
    RowKey::Resource(Target::Spark {
        region: c.region.clone(),
        name: c.name.clone(),
    })
}

/// `master` is the master's name (or id), looked up among `instances`; the
/// cost cells sum the nodes.
pub fn spark_row(
    c: &SparkCluster,
    instances: &[Instance],
    costs: Option<&CostReport>,
    guard: &str,
) -> Row {
    let ids: Vec<&str> = c
        .master
        .iter()
        .chain(&c.workers)
        .map(String::as_str)
        .collect();
    let (hourly, since) = node_costs(costs, &ids);
    let master = c.master.as_deref().map(|id| {
        instances
            .iter()
            .find(|i| i.id == id)
            .map_or(id, Instance::display_name)
    });
    Row {
        key: spark_row_key(c),
        cells: vec![
            Cell::text("spark"),
            Cell::text(&c.name),
            Cell::text("-"),
            Cell::text(c.state.label()),
            Cell::text(&c.region),
            Cell::number(
                c.node_count().to_string(),
                i64::try_from(c.node_count()).unwrap_or(i64::MAX),
            ),
            Cell::opt(master),
            Cell::text(c.convention.as_str()),
            money_cell(hourly.as_ref()),
            money_cell(since.as_ref()),
            super::instances::guard_cell(guard),
        ],
        tone: spark_tone(c.state),
    }
}

/// The cost cells sum the cluster's instance groups (running count × EC2
/// rate and EMR fee) and what its nodes cost themselves (IPv4, EBS).
pub fn emr_row(c: &EmrCluster, costs: Option<&CostReport>, guard: &str) -> Row {
    let (hourly, since) = match costs {
        Some(r) => sums(r.emr_items(&c.id)),
        None => (None, None),
    };
    let detail = match &c.release {
        Some(r) => format!("{r} {}", c.applications.join(",")),
        None => c.applications.join(","),
    };
    Row {
        key: RowKey::Resource(Target::Emr {
            region: c.region.clone(),
            id: c.id.clone(),
        }),
        cells: vec![
            Cell::text("emr"),
            Cell::text(&c.name),
            Cell::text(&c.id),
            Cell::text(c.state.as_str()),
            Cell::text(&c.region),
            Cell::number(c.node_count().to_string(), c.node_count()),
            Cell::opt(c.master_public_dns.as_deref()),
            Cell::text(detail),
            money_cell(hourly.as_ref()),
            money_cell(since.as_ref()),
            super::instances::guard_cell(guard),
        ],
        tone: emr_tone(c.state),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn spark_row_names_master_and_counts_nodes() {
        let inv = demo::inventory();
        let rnd = inv
            .spark_clusters
            .iter()
            .find(|c| c.name == "rnd")
            .expect("rnd");
        let r = spark_row(rnd, &inv.instances, None, "");
        let text: Vec<&str> = r.cells.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(
            text,
            [
                "spark",
                "rnd",
                "-",
                "running",
                "us-east-1",
                "4",
                "rnd-master",
                "flintrock",
                "-",
                "-",
                "-"
            ]
        );
        assert_eq!(r.tone, Tone::Running);
    }

    #[test]
    fn emr_row_shows_state_release_and_running_nodes() {
        let inv = demo::inventory();
        let r = emr_row(&inv.emr_clusters[0], None, "");
        assert_eq!(r.cells[0].text, "emr");
        assert_eq!(r.cells[3].text, "WAITING");
        assert_eq!(r.cells[5].number, Some(5));
        assert!(
            r.cells[7].text.starts_with("emr-7.1.0 "),
            "{}",
            r.cells[7].text
        );
        assert_eq!(r.tone, Tone::Running);
    }

    /// Regression: once the inventory named each EMR node's cluster (for the
    /// CLUSTER column), the EMR row matched no cost item and showed `-`.
    #[test]
    fn emr_row_sums_its_groups_and_nodes() {
        use crate::cost::{Prices, report_now};
        use crate::model::{EMR_CLUSTER_TAG, Inventory};
        let demo = demo::inventory();
        let emr = demo.emr_clusters.clone();
        let mut node = demo.instances[0].clone();
        node.tags.insert(EMR_CLUSTER_TAG.into(), emr[0].id.clone());
        let inv = Inventory::new(vec![node], emr, vec![], &Default::default());
        assert_eq!(inv.instances[0].cluster.as_deref(), Some("analytics"));
        let costs = report_now(&inv, &Prices::embedded(), demo::now());
        let r = emr_row(&inv.emr_clusters[0], Some(&costs), "");
        // MASTER 1 + CORE 2 m5.xlarge at 0.192 + 0.048; TASK spot unknown;
        // the node's IPv4 0.005 and EBS.
        assert!(
            r.cells[8].text.starts_with("≥$0.7"),
            "{:?}",
            r.cells[8].text
        );
    }
}
