//! Recognising Spark clusters among plain EC2 instances (pure logic).
//!
//! Three conventions are understood, in this order of precedence:
//! 1. the configurable tag pair (default `skiff:cluster` / `skiff:role`) — the
//!    user's explicit word wins;
//! 2. flintrock tags `flintrock-name` / `flintrock-role` (`master` | `slave`);
//! 3. spark-ec2 security groups `<name>-master` / `<name>-slaves`.

use std::collections::BTreeMap;

use crate::model::{ClusterState, Instance, InstanceState, SparkCluster, SparkConvention};

/// The tag pair that marks a node of a user-tagged cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClusterTags {
    pub cluster: String,
    pub role: String,
}

impl Default for ClusterTags {
    fn default() -> Self {
        Self {
            cluster: "skiff:cluster".into(),
            role: "skiff:role".into(),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Role {
    Master,
    Worker,
}

/// Which cluster (if any) an instance belongs to, and in what role. An EMR
/// node is EMR's, whatever its security groups are called (EMR's own
/// `ElasticMapReduce-master` would otherwise read as a spark-ec2 master).
fn membership(instance: &Instance, tags: &ClusterTags) -> Option<(String, SparkConvention, Role)> {
    if instance.emr_cluster().is_some() {
        return None;
    }
    let role_of = |value: Option<&String>| match value {
        Some(v) if v.eq_ignore_ascii_case("master") => Role::Master,
        _ => Role::Worker,
    };
    if let Some(name) = instance.tags.get(&tags.cluster).filter(|n| !n.is_empty()) {
        let role = role_of(instance.tags.get(&tags.role));
        return Some((name.clone(), SparkConvention::Tags, role));
    }
    if let Some(name) = instance
        .tags
        .get("flintrock-name")
        .filter(|n| !n.is_empty())
    {
        let role = role_of(instance.tags.get("flintrock-role"));
        return Some((name.clone(), SparkConvention::Flintrock, role));
    }
    for group in &instance.security_groups {
        if let Some(name) = group.strip_suffix("-master").filter(|n| !n.is_empty()) {
            return Some((name.to_string(), SparkConvention::SparkEc2, Role::Master));
        }
        if let Some(name) = group.strip_suffix("-slaves").filter(|n| !n.is_empty()) {
            return Some((name.to_string(), SparkConvention::SparkEc2, Role::Worker));
        }
    }
    None
}

/// The state of a cluster as a whole, from the states of its nodes.
pub fn aggregate_state(states: &[InstanceState]) -> ClusterState {
    if states.is_empty() {
        return ClusterState::Terminated;
    }
    if states.iter().any(|s| s.is_transitioning()) {
        return ClusterState::Transitioning;
    }
    let running = states
        .iter()
        .filter(|s| **s == InstanceState::Running)
        .count();
    let stopped = states
        .iter()
        .filter(|s| **s == InstanceState::Stopped)
        .count();
    if running == states.len() {
        ClusterState::Running
    } else if stopped == states.len() {
        ClusterState::Stopped
    } else if running > 0 {
        ClusterState::PartlyRunning
    } else if stopped > 0 {
        ClusterState::Stopped
    } else {
        ClusterState::Terminated
    }
}

/// Groups instances into Spark clusters and marks each member's `cluster` field.
///
/// Terminated instances are never members. Clusters are keyed by region and
/// name, so two regions may each have an `rnd`. If a cluster has more than one
/// master node (a broken launch), the lowest instance id is the master and the
/// others are listed with the workers so that nothing is hidden.
pub fn group_spark_clusters(instances: &mut [Instance], tags: &ClusterTags) -> Vec<SparkCluster> {
    struct Draft {
        convention: SparkConvention,
        masters: Vec<String>,
        workers: Vec<String>,
        states: Vec<InstanceState>,
    }
    let mut drafts: BTreeMap<(String, String), Draft> = BTreeMap::new();
    for instance in instances.iter_mut() {
        instance.cluster = None;
        if instance.state == InstanceState::Terminated {
            continue;
        }
        let Some((name, convention, role)) = membership(instance, tags) else {
            continue;
        };
        instance.cluster = Some(name.clone());
        let draft = drafts
            .entry((instance.region.clone(), name))
            .or_insert_with(|| Draft {
                convention,
                masters: Vec::new(),
                workers: Vec::new(),
                states: Vec::new(),
            });
        match role {
            Role::Master => draft.masters.push(instance.id.clone()),
            Role::Worker => draft.workers.push(instance.id.clone()),
        }
        draft.states.push(instance.state);
    }
    drafts
        .into_iter()
        .map(|((region, name), mut d)| {
            d.masters.sort();
            d.workers.sort();
            let mut masters = d.masters.into_iter();
            let master = masters.next();
            let mut workers: Vec<String> = masters.collect();
            workers.extend(d.workers);
            SparkCluster {
                name,
                region,
                convention: d.convention,
                master,
                workers,
                state: aggregate_state(&d.states),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(id: &str, state: InstanceState, tags: &[(&str, &str)], groups: &[&str]) -> Instance {
        Instance {
            id: id.into(),
            name: None,
            instance_type: "m5.large".into(),
            state,
            region: "us-east-1".into(),
            az: None,
            public_ip: None,
            public_dns: None,
            private_ip: None,
            key_name: None,
            launch_time: None,
            state_changed: None,
            spot: false,
            hibernation_configured: false,
            image_id: None,
            security_groups: groups.iter().map(|g| g.to_string()).collect(),
            volumes: vec![],
            tags: tags
                .iter()
                .map(|(k, v)| (k.to_string(), v.to_string()))
                .collect(),
            cluster: None,
        }
    }

    use InstanceState::*;

    #[test]
    fn flintrock_tags_group_master_and_slaves() {
        let mut nodes = vec![
            node(
                "i-1",
                Running,
                &[("flintrock-name", "rnd"), ("flintrock-role", "master")],
                &[],
            ),
            node(
                "i-2",
                Running,
                &[("flintrock-name", "rnd"), ("flintrock-role", "slave")],
                &[],
            ),
            node(
                "i-3",
                Running,
                &[("flintrock-name", "rnd"), ("flintrock-role", "slave")],
                &[],
            ),
            node("i-4", Running, &[], &[]),
        ];
        let clusters = group_spark_clusters(&mut nodes, &ClusterTags::default());
        assert_eq!(clusters.len(), 1);
        let c = &clusters[0];
        assert_eq!(c.name, "rnd");
        assert_eq!(c.convention, SparkConvention::Flintrock);
        assert_eq!(c.master.as_deref(), Some("i-1"));
        assert_eq!(c.workers, vec!["i-2", "i-3"]);
        assert_eq!(c.state, ClusterState::Running);
        assert_eq!(nodes[1].cluster.as_deref(), Some("rnd"));
        assert_eq!(nodes[3].cluster, None);
    }

    #[test]
    fn spark_ec2_security_groups_group_nodes() {
        let mut nodes = vec![
            node("i-1", Stopped, &[], &["default", "legacy-master"]),
            node("i-2", Stopped, &[], &["legacy-slaves"]),
            node("i-3", Stopped, &[], &["-master"]),
        ];
        let clusters = group_spark_clusters(&mut nodes, &ClusterTags::default());
        assert_eq!(clusters.len(), 1, "a bare '-master' group names no cluster");
        assert_eq!(clusters[0].name, "legacy");
        assert_eq!(clusters[0].convention, SparkConvention::SparkEc2);
        assert_eq!(clusters[0].master.as_deref(), Some("i-1"));
        assert_eq!(clusters[0].state, ClusterState::Stopped);
    }

    #[test]
    fn configured_tags_win_over_other_conventions() {
        let tags = ClusterTags {
            cluster: "team:cluster".into(),
            role: "team:role".into(),
        };
        let mut nodes = vec![
            node(
                "i-1",
                Running,
                &[
                    ("team:cluster", "mine"),
                    ("team:role", "Master"),
                    ("flintrock-name", "theirs"),
                ],
                &["old-master"],
            ),
            node("i-2", Running, &[("team:cluster", "mine")], &[]),
        ];
        let clusters = group_spark_clusters(&mut nodes, &tags);
        assert_eq!(clusters.len(), 1);
        assert_eq!(clusters[0].name, "mine");
        assert_eq!(clusters[0].convention, SparkConvention::Tags);
        assert_eq!(clusters[0].master.as_deref(), Some("i-1"));
        assert_eq!(clusters[0].workers, vec!["i-2"]);
    }

    #[test]
    fn same_name_in_two_regions_is_two_clusters_and_terminated_nodes_are_left_out() {
        let mut a = node(
            "i-1",
            Running,
            &[("flintrock-name", "rnd"), ("flintrock-role", "master")],
            &[],
        );
        let mut b = a.clone();
        b.id = "i-2".into();
        b.region = "eu-west-1".into();
        a.region = "us-east-1".into();
        let dead = node("i-3", Terminated, &[("flintrock-name", "rnd")], &[]);
        let mut nodes = vec![a, b, dead];
        let clusters = group_spark_clusters(&mut nodes, &ClusterTags::default());
        assert_eq!(clusters.len(), 2);
        assert!(clusters.iter().all(|c| c.node_count() == 1));
        assert_eq!(nodes[2].cluster, None);
    }

    #[test]
    fn two_masters_keep_both_nodes_visible() {
        let mut nodes = vec![
            node(
                "i-b",
                Running,
                &[("flintrock-name", "x"), ("flintrock-role", "master")],
                &[],
            ),
            node(
                "i-a",
                Running,
                &[("flintrock-name", "x"), ("flintrock-role", "master")],
                &[],
            ),
        ];
        let clusters = group_spark_clusters(&mut nodes, &ClusterTags::default());
        assert_eq!(clusters[0].master.as_deref(), Some("i-a"));
        assert_eq!(clusters[0].workers, vec!["i-b"]);
    }

    #[test]
    fn aggregate_state_table() {
        let cases: &[(&[InstanceState], ClusterState)] = &[
            (&[Running, Running], ClusterState::Running),
            (&[Stopped, Stopped], ClusterState::Stopped),
            (&[Running, Stopped], ClusterState::PartlyRunning),
            (&[Running, Pending], ClusterState::Transitioning),
            (&[Stopped, Stopping], ClusterState::Transitioning),
            (&[Stopped, Terminated], ClusterState::Stopped),
            (&[Terminated], ClusterState::Terminated),
            (&[], ClusterState::Terminated),
        ];
        for (states, want) in cases {
            assert_eq!(aggregate_state(states), *want, "states {states:?}");
        }
    }
}
