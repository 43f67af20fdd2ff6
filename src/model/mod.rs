//! Plain domain types for what skiff shows: instances, clusters and buckets.
//!
//! These are converted from SDK types at the edge (`cloud::*`) and are what the
//! TUI, the CLI and the pure logic work with. They serialize to the `--json`
//! shapes documented in the README.

mod inventory;

pub use inventory::Inventory;

use std::collections::BTreeMap;
use std::fmt;

use chrono::{DateTime, Utc};
use serde::Serialize;

/// The lifecycle state of an EC2 instance, as EC2 reports it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "kebab-case")]
pub enum InstanceState {
    Pending,
    Running,
    Stopping,
    Stopped,
    ShuttingDown,
    Terminated,
    Unknown,
}

impl InstanceState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Running => "running",
            Self::Stopping => "stopping",
            Self::Stopped => "stopped",
            Self::ShuttingDown => "shutting-down",
            Self::Terminated => "terminated",
            Self::Unknown => "unknown",
        }
    }

    /// True while EC2 is moving the instance between two stable states.
    pub fn is_transitioning(self) -> bool {
        matches!(self, Self::Pending | Self::Stopping | Self::ShuttingDown)
    }
}

impl fmt::Display for InstanceState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An EBS volume attached to an instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub id: String,
    pub device: Option<String>,
    pub size_gib: i32,
    pub volume_type: Option<String>,
}

/// The tag EMR puts on every EC2 instance of a cluster: the cluster's id.
pub const EMR_CLUSTER_TAG: &str = "aws:elasticmapreduce:job-flow-id";
/// The tag EMR puts on every EC2 instance of a cluster: MASTER, CORE or TASK.
pub const EMR_ROLE_TAG: &str = "aws:elasticmapreduce:instance-group-role";

/// An EC2 instance, with what a user needs to recognise, reach and price it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Instance {
    pub id: String,
    pub name: Option<String>,
    #[serde(rename = "type")]
    pub instance_type: String,
    pub state: InstanceState,
    pub region: String,
    pub az: Option<String>,
    pub public_ip: Option<String>,
    pub public_dns: Option<String>,
    pub private_ip: Option<String>,
    pub key_name: Option<String>,
    pub launch_time: Option<DateTime<Utc>>,
    /// When it last stopped or was terminated, from StateTransitionReason
    /// ("User initiated (2026-12-01 10:00:00 GMT)"); None when not given.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state_changed: Option<DateTime<Utc>>,
    pub spot: bool,
    pub hibernation_configured: bool,
    pub image_id: Option<String>,
    pub security_groups: Vec<String>,
    pub volumes: Vec<Volume>,
    pub tags: BTreeMap<String, String>,
    /// The cluster this instance is a node of: a Spark cluster (filled in by
    /// grouping) or an EMR cluster (by name, from the tag EMR puts on it).
    pub cluster: Option<String>,
}

impl Instance {
    /// The Name tag, or the id when there is none: what a user calls it.
    pub fn display_name(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }

    /// How long the instance has been running since its last start.
    ///
    /// EC2 resets LaunchTime at every start, so this is "since start", and it is
    /// only meaningful while the instance runs.
    pub fn uptime(&self, now: DateTime<Utc>) -> Option<chrono::Duration> {
        if self.state != InstanceState::Running {
            return None;
        }
        self.launch_time.map(|t| now.signed_duration_since(t))
    }

    /// The EMR cluster this instance is a node of, if any.
    pub fn emr_cluster(&self) -> Option<&str> {
        self.tags.get(EMR_CLUSTER_TAG).map(String::as_str)
    }

    /// MASTER, CORE or TASK, for an EMR node.
    pub fn emr_role(&self) -> Option<&str> {
        self.tags.get(EMR_ROLE_TAG).map(String::as_str)
    }

    pub fn total_volume_gib(&self) -> i64 {
        self.volumes.iter().map(|v| i64::from(v.size_gib)).sum()
    }
}

/// How a group of EC2 instances was recognised as a Spark cluster.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SparkConvention {
    /// `flintrock-name` / `flintrock-role` tags.
    Flintrock,
    /// spark-ec2 security groups `<name>-master` / `<name>-slaves`.
    SparkEc2,
    /// The configurable tag pair (default `skiff:cluster` / `skiff:role`).
    Tags,
}

impl SparkConvention {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Flintrock => "flintrock",
            Self::SparkEc2 => "spark-ec2",
            Self::Tags => "tags",
        }
    }
}

/// The state of a cluster as a whole, derived from its nodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ClusterState {
    Running,
    Stopped,
    PartlyRunning,
    Transitioning,
    Terminated,
    /// EMR states are kept as EMR names them (STARTING, WAITING, ...).
    #[serde(untagged)]
    Emr(EmrState),
}

impl ClusterState {
    pub fn label(&self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Stopped => "stopped",
            Self::PartlyRunning => "partly running",
            Self::Transitioning => "transitioning",
            Self::Terminated => "terminated",
            Self::Emr(s) => s.as_str(),
        }
    }
}

impl fmt::Display for ClusterState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.label())
    }
}

/// A Spark cluster made of plain EC2 nodes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SparkCluster {
    pub name: String,
    pub region: String,
    pub convention: SparkConvention,
    /// Instance id of the master, if one was found.
    pub master: Option<String>,
    pub workers: Vec<String>,
    pub state: ClusterState,
}

impl SparkCluster {
    pub fn node_count(&self) -> usize {
        self.workers.len() + usize::from(self.master.is_some())
    }
}

/// EMR cluster states, as EMR names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum EmrState {
    Starting,
    Bootstrapping,
    Running,
    Waiting,
    Terminating,
    Terminated,
    TerminatedWithErrors,
    Unknown,
}

impl EmrState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Starting => "STARTING",
            Self::Bootstrapping => "BOOTSTRAPPING",
            Self::Running => "RUNNING",
            Self::Waiting => "WAITING",
            Self::Terminating => "TERMINATING",
            Self::Terminated => "TERMINATED",
            Self::TerminatedWithErrors => "TERMINATED_WITH_ERRORS",
            Self::Unknown => "UNKNOWN",
        }
    }

    pub fn is_active(self) -> bool {
        !matches!(
            self,
            Self::Terminating | Self::Terminated | Self::TerminatedWithErrors
        )
    }
}

/// One instance group of an EMR cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmrInstanceGroup {
    pub id: String,
    /// MASTER, CORE or TASK.
    pub role: String,
    pub instance_type: String,
    pub requested: i32,
    pub running: i32,
    /// ON_DEMAND or SPOT.
    pub market: String,
}

/// An EMR cluster.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmrCluster {
    pub id: String,
    pub name: String,
    pub state: EmrState,
    pub region: String,
    pub release: Option<String>,
    pub applications: Vec<String>,
    pub master_public_dns: Option<String>,
    pub instance_groups: Vec<EmrInstanceGroup>,
    pub created: Option<DateTime<Utc>>,
    /// When its nodes were up (Timeline.ReadyDateTime).
    pub ready: Option<DateTime<Utc>>,
    /// When it ended (Timeline.EndDateTime).
    pub ended: Option<DateTime<Utc>>,
    /// Where its nodes run (Ec2InstanceAttributes), for spot prices.
    pub availability_zone: Option<String>,
    pub termination_protected: bool,
    pub tags: BTreeMap<String, String>,
}

impl EmrCluster {
    pub fn node_count(&self) -> i64 {
        self.instance_groups
            .iter()
            .map(|g| i64::from(g.running))
            .sum()
    }
}

/// An S3 bucket.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Bucket {
    pub name: String,
    /// None when the region could not be read (e.g. AccessDenied on GetBucketLocation).
    pub region: Option<String>,
    pub created: Option<DateTime<Utc>>,
}

/// One bucket's Standard-storage size as CloudWatch last reported it
/// (BucketSizeBytes, published by S3 once a day).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BucketSize {
    pub bucket: String,
    pub region: String,
    /// None when CloudWatch has no datapoint in the last three days (a new
    /// or empty bucket).
    pub bytes: Option<u64>,
    /// The day the figure is for.
    pub at: Option<DateTime<Utc>>,
}

/// Everything needed to create an EMR cluster again like one that ran:
/// rebuilt from DescribeCluster, ListInstanceGroups and ListBootstrapActions.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct EmrBlueprint {
    /// The cluster it was read from.
    pub source_id: String,
    pub name: String,
    pub region: String,
    pub release: Option<String>,
    pub applications: Vec<String>,
    pub service_role: Option<String>,
    /// The EC2 instance profile (RunJobFlow's JobFlowRole).
    pub instance_profile: Option<String>,
    pub log_uri: Option<String>,
    pub key_name: Option<String>,
    pub subnet_id: Option<String>,
    pub master_security_group: Option<String>,
    pub worker_security_group: Option<String>,
    pub groups: Vec<EmrGroupSpec>,
    pub bootstrap_actions: Vec<EmrBootstrapAction>,
    pub configurations: Vec<EmrConfiguration>,
    pub tags: BTreeMap<String, String>,
    pub termination_protected: bool,
    pub visible_to_all_users: bool,
    pub custom_ami_id: Option<String>,
    pub ebs_root_volume_gib: Option<i32>,
    pub security_configuration: Option<String>,
    pub autoscaling_role: Option<String>,
}

/// One instance group to create.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmrGroupSpec {
    pub role: String,
    pub instance_type: String,
    pub count: i32,
    pub market: String,
    pub bid_price: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmrBootstrapAction {
    pub name: String,
    pub path: String,
    pub args: Vec<String>,
}

/// An EMR configuration classification (e.g. spark-defaults), possibly nested.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EmrConfiguration {
    pub classification: String,
    pub properties: BTreeMap<String, String>,
    pub configurations: Vec<EmrConfiguration>,
}

/// An S3 object or folder (common prefix) in a listing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ObjectEntry {
    /// The full key (for a folder: the prefix, ending in `/`).
    pub key: String,
    pub folder: bool,
    pub size: u64,
    pub last_modified: Option<DateTime<Utc>>,
    pub storage_class: Option<String>,
}
