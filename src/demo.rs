//! Deterministic demo data: the sandbox's world with fixed ids and a fixed
//! clock, for snapshot tests and screenshots (moto's ids are random).

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::model::Inventory;
use crate::model::{
    Bucket, EmrCluster, EmrInstanceGroup, EmrState, Instance, InstanceState, Volume,
};
use crate::spark::{ClusterTags, group_spark_clusters};

/// The demo's "now": 2026-11-21 10:00 UTC.
pub fn now() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 21, 10, 0, 0)
        .single()
        .unwrap_or_default()
}

/// The demo's prices: the embedded table and the spot price of the EMR
/// cluster's TASK group (m5.large in us-east-1a).
pub fn prices() -> crate::cost::Prices {
    crate::cost::Prices::embedded().with_spot(
        [(
            (
                "us-east-1".to_string(),
                "us-east-1a".to_string(),
                "m5.large".to_string(),
            ),
            crate::cost::Money::new(352, 4),
        )]
        .into(),
    )
}

fn at(hour: u32, minute: u32) -> Option<DateTime<Utc>> {
    Utc.with_ymd_and_hms(2026, 11, 21, hour, minute, 0).single()
}

struct Spec {
    n: u32,
    name: &'static str,
    ty: &'static str,
    state: InstanceState,
    region: &'static str,
    tags: &'static [(&'static str, &'static str)],
    groups: &'static [&'static str],
    gib: i32,
    started: Option<(u32, u32)>,
}

fn instance(s: &Spec) -> Instance {
    let id = format!("i-0d3m0{:012x}", 0xa11ce0 + s.n);
    let running = s.state == InstanceState::Running;
    let mut tags: BTreeMap<String, String> = s
        .tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tags.insert("Name".into(), s.name.into());
    Instance {
        name: Some(s.name.into()),
        instance_type: s.ty.into(),
        state: s.state,
        region: s.region.into(),
        az: Some(format!("{}a", s.region)),
        public_ip: running.then(|| format!("54.210.{}.{}", 10 + s.n, 20 + s.n)),
        public_dns: running.then(|| {
            format!(
                "ec2-54-210-{}-{}.compute-1.amazonaws.com",
                10 + s.n,
                20 + s.n
            )
        }),
        private_ip: Some(format!("172.31.{}.{}", 16 + s.n, 40 + s.n)),
        key_name: Some("rnd-key".into()),
        launch_time: s.started.and_then(|(h, m)| at(h, m)),
        state_changed: None,
        spot: false,
        hibernation_configured: s.tags.iter().any(|(k, _)| *k == "flintrock-name")
            || s.name == "ds-workbench",
        image_id: Some("ami-1e749f67".into()),
        security_groups: s.groups.iter().map(|g| g.to_string()).collect(),
        volumes: vec![Volume {
            id: format!("vol-0d3m0{:012x}", 0xb10c0 + s.n),
            device: Some("/dev/sda1".into()),
            size_gib: s.gib,
            volume_type: Some("gp3".into()),
        }],
        tags,
        cluster: None,
        id,
    }
}

/// The demo inventory, grouped like a real one.
pub fn inventory() -> Inventory {
    use InstanceState::*;
    const R: &[(&str, &str)] = &[("Project", "research")];
    const FM: &[(&str, &str)] = &[
        ("Project", "research"),
        ("flintrock-name", "rnd"),
        ("flintrock-role", "master"),
    ];
    const FS: &[(&str, &str)] = &[
        ("Project", "research"),
        ("flintrock-name", "rnd"),
        ("flintrock-role", "slave"),
    ];
    const A: &[(&str, &str)] = &[("Project", "archive")];
    const NM: &[(&str, &str)] = &[
        ("Project", "etl"),
        ("skiff:cluster", "nightly"),
        ("skiff:role", "master"),
    ];
    const NW: &[(&str, &str)] = &[
        ("Project", "etl"),
        ("skiff:cluster", "nightly"),
        ("skiff:role", "worker"),
    ];
    let specs = [
        Spec {
            n: 1,
            name: "ds-workbench",
            ty: "t3.medium",
            state: Running,
            region: "us-east-1",
            tags: R,
            groups: &["datascience"],
            gib: 20,
            started: Some((7, 45)),
        },
        Spec {
            n: 2,
            name: "rnd-master",
            ty: "m5.xlarge",
            state: Running,
            region: "us-east-1",
            tags: FM,
            groups: &[],
            gib: 50,
            started: Some((7, 30)),
        },
        Spec {
            n: 3,
            name: "rnd-slave-1",
            ty: "m5.xlarge",
            state: Running,
            region: "us-east-1",
            tags: FS,
            groups: &[],
            gib: 100,
            started: Some((7, 32)),
        },
        Spec {
            n: 4,
            name: "rnd-slave-2",
            ty: "m5.xlarge",
            state: Running,
            region: "us-east-1",
            tags: FS,
            groups: &[],
            gib: 100,
            started: Some((7, 32)),
        },
        Spec {
            n: 5,
            name: "rnd-slave-3",
            ty: "m5.xlarge",
            state: Running,
            region: "us-east-1",
            tags: FS,
            groups: &[],
            gib: 100,
            started: Some((7, 32)),
        },
        Spec {
            n: 6,
            name: "legacy-master",
            ty: "m4.large",
            state: Stopped,
            region: "us-east-1",
            tags: A,
            groups: &["legacy-master"],
            gib: 30,
            started: None,
        },
        Spec {
            n: 7,
            name: "legacy-slave-1",
            ty: "m4.large",
            state: Stopped,
            region: "us-east-1",
            tags: A,
            groups: &["legacy-slaves"],
            gib: 30,
            started: None,
        },
        Spec {
            n: 8,
            name: "legacy-slave-2",
            ty: "m4.large",
            state: Stopped,
            region: "us-east-1",
            tags: A,
            groups: &["legacy-slaves"],
            gib: 30,
            started: None,
        },
        Spec {
            n: 9,
            name: "gpu-scratch",
            ty: "g4dn.xlarge",
            state: Stopped,
            region: "us-east-1",
            tags: &[("Project", "vision")],
            groups: &[],
            gib: 200,
            started: None,
        },
        Spec {
            n: 10,
            name: "eu-etl",
            ty: "t3.large",
            state: Running,
            region: "eu-west-1",
            tags: &[("Project", "etl")],
            groups: &[],
            gib: 40,
            started: Some((2, 0)),
        },
        Spec {
            n: 11,
            name: "nightly-driver",
            ty: "r5.large",
            state: Pending,
            region: "eu-west-1",
            tags: NM,
            groups: &[],
            gib: 40,
            started: Some((9, 59)),
        },
        Spec {
            n: 12,
            name: "nightly-worker-1",
            ty: "r5.large",
            state: Stopped,
            region: "eu-west-1",
            tags: NW,
            groups: &[],
            gib: 40,
            started: None,
        },
    ];
    let mut instances: Vec<Instance> = specs.iter().map(instance).collect();
    let spark_clusters = group_spark_clusters(&mut instances, &ClusterTags::default());
    let group = |id: &str, role: &str, ty: &str, n: i32, market: &str| EmrInstanceGroup {
        id: id.into(),
        role: role.into(),
        instance_type: ty.into(),
        requested: n,
        running: n,
        market: market.into(),
    };
    let emr_clusters = vec![EmrCluster {
        id: "j-2DEMO0ANALYTICS".into(),
        name: "analytics".into(),
        state: EmrState::Waiting,
        region: "us-east-1".into(),
        release: Some("emr-7.1.0".into()),
        applications: vec![
            "Hadoop".into(),
            "JupyterHub".into(),
            "Livy".into(),
            "Spark".into(),
        ],
        master_public_dns: Some("ec2-54-210-99-1.compute-1.amazonaws.com".into()),
        instance_groups: vec![
            group("ig-DEMOMASTER", "MASTER", "m5.xlarge", 1, "ON_DEMAND"),
            group("ig-DEMOCORE", "CORE", "m5.xlarge", 2, "ON_DEMAND"),
            group("ig-DEMOTASK", "TASK", "m5.large", 2, "SPOT"),
        ],
        created: at(6, 50),
        ready: at(6, 58),
        ended: None,
        availability_zone: Some("us-east-1a".into()),
        termination_protected: true,
        tags: [("Project".to_string(), "research".to_string())].into(),
    }];
    let bucket = |name: &str, region: &str, day: u32| Bucket {
        name: name.into(),
        region: Some(region.into()),
        created: Utc.with_ymd_and_hms(2026, 3, day, 12, 0, 0).single(),
    };
    Inventory {
        instances,
        spark_clusters,
        emr_clusters,
        buckets: vec![
            bucket("rnd-datasets", "us-east-1", 2),
            bucket("rnd-emr-logs", "us-east-1", 9),
            bucket("rnd-notebooks-eu", "eu-west-1", 16),
        ],
    }
}
