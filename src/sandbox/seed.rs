//! Seeding an emulator with the sandbox's world (`world`): the regions'
//! key pairs and security groups, every machine (stopped where the world
//! says so), the EMR cluster and the buckets — through the writes of
//! `cloud::actions`, behind a gate that allows them only for an emulator on
//! this machine.

use std::collections::BTreeMap;

use super::world::{self, MACHINES};
use crate::cloud::actions::seed::{SeedEmr, SeedInstance};
use crate::cloud::{CloudError, Session};
use crate::model::InstanceState;

/// What the seed created, for tests to compare against.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Seeded {
    /// Name tag → (instance id, region), for every instance launched directly.
    pub instances: BTreeMap<String, (String, String)>,
    pub emr_cluster_id: String,
    pub emr_cluster_name: String,
    /// EC2 nodes EMR is asked to run (moto launches them as instances).
    pub emr_node_count: usize,
    /// Bucket name → region.
    pub buckets: BTreeMap<String, String>,
    /// Spark cluster name → (convention, node count).
    pub spark_clusters: BTreeMap<String, (String, usize)>,
}

/// Creates the sample R&D account in the emulator `session` talks to.
pub async fn seed_sample_account(session: &Session) -> Result<Seeded, CloudError> {
    let actions = super::seeder(session)?;
    let mut seeded = Seeded::default();
    for (region, groups) in world::SECURITY_GROUPS {
        actions.seed_region(region, world::KEY_NAME, groups).await?;
        let mut stop = Vec::new();
        for m in MACHINES.iter().filter(|m| m.region == *region) {
            let spec = SeedInstance {
                name: m.name,
                instance_type: m.instance_type,
                tags: m.tags,
                security_groups: m.security_groups,
                volume_gib: m.volume_gib,
                hibernation: m.hibernation,
                key_name: world::KEY_NAME,
                image: world::IMAGE,
                subnet: None,
            };
            let id = actions.seed_instance(region, &spec).await?;
            if m.state == InstanceState::Stopped {
                stop.push(id.clone());
            }
            seeded
                .instances
                .insert(m.name.to_string(), (id, region.to_string()));
        }
        actions.seed_stop(region, &stop).await?;
    }
    let ours: Vec<String> = seeded
        .instances
        .values()
        .map(|(id, _)| id.clone())
        .collect();
    let emr = SeedEmr {
        name: world::EMR_NAME,
        region: world::EMR_REGION,
        release: world::EMR_RELEASE,
        applications: world::EMR_APPLICATIONS,
        groups: world::EMR_GROUPS,
        tags: world::EMR_TAGS,
        key_name: world::KEY_NAME,
    };
    seeded.emr_cluster_id = actions.seed_emr(&emr, &ours).await?;
    seeded.emr_cluster_name = world::EMR_NAME.to_string();
    seeded.emr_node_count = world::EMR_GROUPS.iter().map(|g| g.2 as usize).sum();
    for b in world::BUCKETS {
        actions.seed_bucket(b.name, b.region, b.objects).await?;
        seeded
            .buckets
            .insert(b.name.to_string(), b.region.to_string());
    }
    for (name, convention, nodes) in world::SPARK_CLUSTERS {
        seeded
            .spark_clusters
            .insert(name.to_string(), (convention.to_string(), *nodes));
    }
    Ok(seeded)
}
