//! Everything listed, in one value: what the planner, the renderers and both
//! faces look things up in.

use super::{Bucket, EmrCluster, Instance, SparkCluster};
use crate::spark::{ClusterTags, group_spark_clusters};

/// Everything listed, with Spark clusters grouped from the instances.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Inventory {
    pub instances: Vec<Instance>,
    pub spark_clusters: Vec<SparkCluster>,
    pub emr_clusters: Vec<EmrCluster>,
    pub buckets: Vec<Bucket>,
}

impl Inventory {
    /// Puts listed parts together, groups Spark clusters by convention, and
    /// names each EMR node's cluster (by the tag EMR puts on it).
    pub fn new(
        mut instances: Vec<Instance>,
        emr_clusters: Vec<EmrCluster>,
        buckets: Vec<Bucket>,
        tags: &ClusterTags,
    ) -> Self {
        let spark_clusters = group_spark_clusters(&mut instances, tags);
        for i in &mut instances {
            if let Some(id) = i.emr_cluster() {
                let name = emr_clusters
                    .iter()
                    .find(|c| c.id == id)
                    .map_or_else(|| id.to_string(), |c| c.name.clone());
                i.cluster = Some(name);
            }
        }
        Self {
            instances,
            spark_clusters,
            emr_clusters,
            buckets,
        }
    }

    pub fn instance(&self, id: &str) -> Option<&Instance> {
        self.instances.iter().find(|i| i.id == id)
    }

    pub fn emr_cluster(&self, id: &str) -> Option<&EmrCluster> {
        self.emr_clusters.iter().find(|c| c.id == id)
    }

    pub fn spark_cluster(&self, region: &str, name: &str) -> Option<&SparkCluster> {
        self.spark_clusters
            .iter()
            .find(|c| c.region == region && c.name == name)
    }
}
