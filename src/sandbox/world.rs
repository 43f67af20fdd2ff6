//! The sandbox's world, described once: the machines, the EMR cluster and
//! the buckets of a sample R&D account. The seed creates it in an emulator
//! (`sandbox::seed`), and the fixed demo built from it (stable ids, a fixed
//! clock) feeds the snapshot tests and the screenshots. Nothing here runs on
//! a user's account.
//!
//! us-east-1: the data-science workbench (JupyterHub + RStudio), a
//! flintrock-style Spark cluster `rnd` (master + 3 workers), a stopped
//! spark-ec2-style cluster `legacy`, a stopped GPU box, an EMR cluster with
//! Spark, JupyterHub and Livy, and two buckets; eu-west-1: an ETL instance, a
//! cluster tagged with skiff's own tags (`nightly`) and a notebooks bucket.

use std::collections::BTreeMap;

use chrono::{DateTime, TimeZone, Utc};

use crate::model::{
    Bucket, EmrCluster, EmrInstanceGroup, EmrState, Instance, InstanceState, Inventory, Volume,
};
use crate::spark::{ClusterTags, group_spark_clusters};

/// The key pair every machine is launched with.
pub const KEY_NAME: &str = "rnd-key";
/// The image every machine is launched from (one of moto's).
pub const IMAGE: &str = "ami-1e749f67";

/// One EC2 instance of the world.
pub struct Machine {
    pub name: &'static str,
    pub instance_type: &'static str,
    pub region: &'static str,
    /// Its state: stopped ones are stopped after the seed; a pending one is
    /// seeded running (the demo shows it on its way).
    pub state: InstanceState,
    pub tags: &'static [(&'static str, &'static str)],
    pub security_groups: &'static [&'static str],
    pub volume_gib: i32,
    pub hibernation: bool,
    /// When the demo says it started (UTC, on the demo's day).
    pub started: Option<(u32, u32)>,
}

const RESEARCH: &[(&str, &str)] = &[("Project", "research")];
const RND_MASTER: &[(&str, &str)] = &[
    ("Project", "research"),
    ("flintrock-name", "rnd"),
    ("flintrock-role", "master"),
];
const RND_WORKER: &[(&str, &str)] = &[
    ("Project", "research"),
    ("flintrock-name", "rnd"),
    ("flintrock-role", "slave"),
];
const ARCHIVE: &[(&str, &str)] = &[("Project", "archive")];
const NIGHTLY_MASTER: &[(&str, &str)] = &[
    ("Project", "etl"),
    ("skiff:cluster", "nightly"),
    ("skiff:role", "master"),
];
const NIGHTLY_WORKER: &[(&str, &str)] = &[
    ("Project", "etl"),
    ("skiff:cluster", "nightly"),
    ("skiff:role", "worker"),
];

const fn machine(
    name: &'static str,
    instance_type: &'static str,
    region: &'static str,
    state: InstanceState,
    tags: &'static [(&'static str, &'static str)],
    volume_gib: i32,
    started: Option<(u32, u32)>,
) -> Machine {
    Machine {
        name,
        instance_type,
        region,
        state,
        tags,
        security_groups: &[],
        volume_gib,
        hibernation: false,
        started,
    }
}

/// Every machine, in launch order (their demo ids follow it).
pub const MACHINES: &[Machine] = &[
    Machine {
        security_groups: &["datascience"],
        hibernation: true,
        ..machine(
            "ds-workbench",
            "t3.medium",
            "us-east-1",
            InstanceState::Running,
            RESEARCH,
            20,
            Some((7, 45)),
        )
    },
    Machine {
        hibernation: true,
        ..machine(
            "rnd-master",
            "m5.xlarge",
            "us-east-1",
            InstanceState::Running,
            RND_MASTER,
            50,
            Some((7, 30)),
        )
    },
    Machine {
        hibernation: true,
        ..machine(
            "rnd-slave-1",
            "m5.xlarge",
            "us-east-1",
            InstanceState::Running,
            RND_WORKER,
            100,
            Some((7, 32)),
        )
    },
    Machine {
        hibernation: true,
        ..machine(
            "rnd-slave-2",
            "m5.xlarge",
            "us-east-1",
            InstanceState::Running,
            RND_WORKER,
            100,
            Some((7, 32)),
        )
    },
    Machine {
        hibernation: true,
        ..machine(
            "rnd-slave-3",
            "m5.xlarge",
            "us-east-1",
            InstanceState::Running,
            RND_WORKER,
            100,
            Some((7, 32)),
        )
    },
    Machine {
        security_groups: &["legacy-master"],
        ..machine(
            "legacy-master",
            "m4.large",
            "us-east-1",
            InstanceState::Stopped,
            ARCHIVE,
            30,
            None,
        )
    },
    Machine {
        security_groups: &["legacy-slaves"],
        ..machine(
            "legacy-slave-1",
            "m4.large",
            "us-east-1",
            InstanceState::Stopped,
            ARCHIVE,
            30,
            None,
        )
    },
    Machine {
        security_groups: &["legacy-slaves"],
        ..machine(
            "legacy-slave-2",
            "m4.large",
            "us-east-1",
            InstanceState::Stopped,
            ARCHIVE,
            30,
            None,
        )
    },
    machine(
        "gpu-scratch",
        "g4dn.xlarge",
        "us-east-1",
        InstanceState::Stopped,
        &[("Project", "vision")],
        200,
        None,
    ),
    machine(
        "eu-etl",
        "t3.large",
        "eu-west-1",
        InstanceState::Running,
        &[("Project", "etl")],
        40,
        Some((2, 0)),
    ),
    machine(
        "nightly-driver",
        "r5.large",
        "eu-west-1",
        InstanceState::Pending,
        NIGHTLY_MASTER,
        40,
        Some((9, 59)),
    ),
    machine(
        "nightly-worker-1",
        "r5.large",
        "eu-west-1",
        InstanceState::Stopped,
        NIGHTLY_WORKER,
        40,
        None,
    ),
];

/// The security groups each region has (spark-ec2's convention names them).
pub const SECURITY_GROUPS: &[(&str, &[&str])] = &[
    (
        "us-east-1",
        &["datascience", "legacy-master", "legacy-slaves"],
    ),
    ("eu-west-1", &[]),
];

/// The Spark clusters the machines make, by the convention that groups them.
pub const SPARK_CLUSTERS: &[(&str, &str, usize)] = &[
    ("rnd", "flintrock", 4),
    ("legacy", "spark-ec2", 3),
    ("nightly", "tags", 2),
];

/// The EMR cluster: name, region, release, applications.
pub const EMR_NAME: &str = "analytics";
pub const EMR_REGION: &str = "us-east-1";
pub const EMR_RELEASE: &str = "emr-7.1.0";
pub const EMR_APPLICATIONS: &[&str] = &["Hadoop", "JupyterHub", "Livy", "Spark"];
pub const EMR_TAGS: &[(&str, &str)] = &[("Project", "research")];
/// Its instance groups: role, type, count, market.
pub const EMR_GROUPS: &[(&str, &str, i32, &str)] = &[
    ("MASTER", "m5.xlarge", 1, "ON_DEMAND"),
    ("CORE", "m5.xlarge", 2, "ON_DEMAND"),
    ("TASK", "m5.large", 2, "SPOT"),
];

/// One bucket: name, region, the day of March it was made, its objects
/// (key, size).
pub struct BucketSpec {
    pub name: &'static str,
    pub region: &'static str,
    pub created_day: u32,
    pub objects: &'static [(&'static str, usize)],
}

pub const BUCKETS: &[BucketSpec] = &[
    BucketSpec {
        name: "rnd-datasets",
        region: "us-east-1",
        created_day: 2,
        objects: &[
            ("raw/2026/11/events-0001.csv", 48_000),
            ("raw/2026/11/events-0002.csv", 51_200),
            ("raw/clients/acme/orders.csv", 12_000),
            ("processed/features.parquet", 96_000),
            ("processed/labels.parquet", 8_000),
            ("models/xgb/v3/model.bin", 64_000),
            ("README.md", 900),
        ],
    },
    BucketSpec {
        name: "rnd-emr-logs",
        region: "us-east-1",
        created_day: 9,
        objects: &[("logs/j-analytics/steps/s-1/stderr.gz", 2_000)],
    },
    BucketSpec {
        name: "rnd-notebooks-eu",
        region: "eu-west-1",
        created_day: 16,
        objects: &[
            ("notebooks/exploration.ipynb", 20_000),
            ("notebooks/sparklyr-demo.Rmd", 6_000),
        ],
    },
];

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

/// The `n`-th machine (from 1) as the demo shows it, with fixed ids.
fn demo_instance(n: u32, m: &Machine) -> Instance {
    let running = m.state == InstanceState::Running;
    let mut tags: BTreeMap<String, String> = m
        .tags
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    tags.insert("Name".into(), m.name.into());
    Instance {
        id: format!("i-0d3m0{:012x}", 0xa11ce0 + n),
        name: Some(m.name.into()),
        instance_type: m.instance_type.into(),
        state: m.state,
        region: m.region.into(),
        az: Some(format!("{}a", m.region)),
        public_ip: running.then(|| format!("54.210.{}.{}", 10 + n, 20 + n)),
        public_dns: running
            .then(|| format!("ec2-54-210-{}-{}.compute-1.amazonaws.com", 10 + n, 20 + n)),
        private_ip: Some(format!("172.31.{}.{}", 16 + n, 40 + n)),
        key_name: Some(KEY_NAME.into()),
        launch_time: m.started.and_then(|(h, min)| at(h, min)),
        state_changed: None,
        spot: false,
        hibernation_configured: m.hibernation,
        image_id: Some(IMAGE.into()),
        security_groups: m.security_groups.iter().map(|g| g.to_string()).collect(),
        volumes: vec![Volume {
            id: format!("vol-0d3m0{:012x}", 0xb10c0 + n),
            device: Some("/dev/sda1".into()),
            size_gib: m.volume_gib,
            volume_type: Some("gp3".into()),
        }],
        tags,
        cluster: None,
    }
}

fn demo_emr() -> EmrCluster {
    let groups = EMR_GROUPS
        .iter()
        .zip(["ig-DEMOMASTER", "ig-DEMOCORE", "ig-DEMOTASK"])
        .map(|(&(role, ty, n, market), id)| EmrInstanceGroup {
            id: id.into(),
            role: role.into(),
            instance_type: ty.into(),
            requested: n,
            running: n,
            market: market.into(),
        })
        .collect();
    EmrCluster {
        id: "j-2DEMO0ANALYTICS".into(),
        name: EMR_NAME.into(),
        state: EmrState::Waiting,
        region: EMR_REGION.into(),
        release: Some(EMR_RELEASE.into()),
        applications: EMR_APPLICATIONS.iter().map(|a| a.to_string()).collect(),
        master_public_dns: Some("ec2-54-210-99-1.compute-1.amazonaws.com".into()),
        instance_groups: groups,
        created: at(6, 50),
        ready: at(6, 58),
        ended: None,
        availability_zone: Some("us-east-1a".into()),
        termination_protected: true,
        tags: EMR_TAGS
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect(),
    }
}

/// The world as a fixed inventory (stable ids and times), grouped like a
/// real one.
pub fn inventory() -> Inventory {
    let mut instances: Vec<Instance> = (1u32..)
        .zip(MACHINES)
        .map(|(n, m)| demo_instance(n, m))
        .collect();
    let spark_clusters = group_spark_clusters(&mut instances, &ClusterTags::default());
    let buckets = BUCKETS
        .iter()
        .map(|b| Bucket {
            name: b.name.into(),
            region: Some(b.region.into()),
            created: Utc
                .with_ymd_and_hms(2026, 3, b.created_day, 12, 0, 0)
                .single(),
        })
        .collect();
    Inventory {
        instances,
        spark_clusters,
        emr_clusters: vec![demo_emr()],
        buckets,
    }
}
