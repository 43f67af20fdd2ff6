//! EMR: active clusters, and those terminated within the last days, with their
//! instance groups.

use std::collections::BTreeMap;

use aws_sdk_emr::types as emr;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt, TryStreamExt};

use super::ec2::to_utc;
use super::{CloudError, Session};
use crate::model::{EmrCluster, EmrInstanceGroup, EmrState};

const SERVICE: &str = "emr";
/// Describe calls in flight at once per region.
const DESCRIBE_CONCURRENCY: usize = 8;

const ACTIVE: [emr::ClusterState; 5] = [
    emr::ClusterState::Starting,
    emr::ClusterState::Bootstrapping,
    emr::ClusterState::Running,
    emr::ClusterState::Waiting,
    emr::ClusterState::Terminating,
];

/// Active EMR clusters of `region`, plus those terminated within
/// `terminated_days` of `now`, each described in full.
pub async fn list_clusters(
    session: &Session,
    region: &str,
    terminated_days: u32,
    now: DateTime<Utc>,
) -> Result<Vec<EmrCluster>, CloudError> {
    let client = session.emr(region);
    let mut ids: Vec<String> = Vec::new();
    let mut pages = client
        .list_clusters()
        .set_cluster_states(Some(ACTIVE.to_vec()))
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CloudError::from_sdk(SERVICE, region, &e))?;
        ids.extend(
            page.clusters()
                .iter()
                .filter_map(|c| c.id().map(str::to_string)),
        );
    }
    if terminated_days > 0 {
        let since = now - chrono::Duration::days(i64::from(terminated_days));
        let mut pages = client
            .list_clusters()
            .cluster_states(emr::ClusterState::Terminated)
            .cluster_states(emr::ClusterState::TerminatedWithErrors)
            .created_after(aws_smithy_types::DateTime::from_secs(since.timestamp()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| CloudError::from_sdk(SERVICE, region, &e))?;
            ids.extend(
                page.clusters()
                    .iter()
                    .filter_map(|c| c.id().map(str::to_string)),
            );
        }
    }
    ids.sort();
    ids.dedup();
    let mut clusters: Vec<EmrCluster> = stream::iter(ids)
        .map(|id| describe(&client, region, id))
        .buffer_unordered(DESCRIBE_CONCURRENCY)
        .try_collect()
        .await?;
    // A cluster belongs to the region in its ARN. AWS never lists another
    // region's cluster, but emulators that ignore the region do; without this
    // the same cluster would appear once per region listed.
    clusters.retain(|c| c.region == region);
    clusters.sort_by(|a, b| a.name.cmp(&b.name).then(a.id.cmp(&b.id)));
    Ok(clusters)
}

async fn describe(
    client: &aws_sdk_emr::Client,
    region: &str,
    id: String,
) -> Result<EmrCluster, CloudError> {
    let (described, groups) = futures::try_join!(
        async {
            let sent = client.describe_cluster().cluster_id(&id).send().await;
            sent.map_err(|e| CloudError::from_sdk(SERVICE, region, &e))
        },
        async {
            let mut groups = Vec::new();
            let mut pages = client
                .list_instance_groups()
                .cluster_id(&id)
                .into_paginator()
                .send();
            while let Some(page) = pages.next().await {
                let page = page.map_err(|e| CloudError::from_sdk(SERVICE, region, &e))?;
                groups.extend(page.instance_groups.unwrap_or_default());
            }
            Ok(groups)
        }
    )?;
    let c = described.cluster.ok_or_else(|| {
        CloudError::new(
            SERVICE,
            region,
            format!("DescribeCluster {id}: no cluster in the answer"),
        )
    })?;
    Ok(cluster_from_sdk(c, id, region, groups))
}

fn state_from_sdk(s: Option<&emr::ClusterState>) -> EmrState {
    match s {
        Some(emr::ClusterState::Starting) => EmrState::Starting,
        Some(emr::ClusterState::Bootstrapping) => EmrState::Bootstrapping,
        Some(emr::ClusterState::Running) => EmrState::Running,
        Some(emr::ClusterState::Waiting) => EmrState::Waiting,
        Some(emr::ClusterState::Terminating) => EmrState::Terminating,
        Some(emr::ClusterState::Terminated) => EmrState::Terminated,
        Some(emr::ClusterState::TerminatedWithErrors) => EmrState::TerminatedWithErrors,
        _ => EmrState::Unknown,
    }
}

/// The region field of an ARN (`arn:aws:elasticmapreduce:REGION:ACCOUNT:…`).
fn arn_region(arn: &str) -> Option<&str> {
    arn.split(':').nth(3).filter(|r| !r.is_empty())
}

fn cluster_from_sdk(
    c: emr::Cluster,
    id: String,
    region: &str,
    groups: Vec<emr::InstanceGroup>,
) -> EmrCluster {
    let region = c.cluster_arn().and_then(arn_region).unwrap_or(region);
    let status = c.status();
    let timeline = status.and_then(|s| s.timeline());
    let mut applications: Vec<String> = c
        .applications()
        .iter()
        .filter_map(|a| a.name().map(str::to_string))
        .collect();
    applications.sort();
    EmrCluster {
        name: c.name().unwrap_or_default().to_string(),
        state: state_from_sdk(status.and_then(|s| s.state())),
        region: region.to_string(),
        release: c.release_label().map(str::to_string),
        applications,
        master_public_dns: c
            .master_public_dns_name()
            .filter(|d| !d.is_empty())
            .map(str::to_string),
        instance_groups: groups_from_sdk(groups),
        created: timeline
            .and_then(|t| t.creation_date_time())
            .and_then(to_utc),
        ready: timeline.and_then(|t| t.ready_date_time()).and_then(to_utc),
        ended: timeline.and_then(|t| t.end_date_time()).and_then(to_utc),
        availability_zone: c
            .ec2_instance_attributes()
            .and_then(|a| a.ec2_availability_zone())
            .filter(|z| !z.is_empty())
            .map(str::to_string),
        termination_protected: c.termination_protected().unwrap_or(false),
        tags: tags_from_sdk(c.tags()),
        id,
    }
}

/// A cluster's instance groups: the master's first, then core, then task
/// groups (by id within a role).
fn groups_from_sdk(groups: Vec<emr::InstanceGroup>) -> Vec<EmrInstanceGroup> {
    let mut instance_groups: Vec<EmrInstanceGroup> = groups
        .into_iter()
        .map(|g| EmrInstanceGroup {
            id: g.id().unwrap_or_default().to_string(),
            role: g
                .instance_group_type()
                .map_or_else(String::new, |t| t.as_str().to_string()),
            instance_type: g.instance_type().unwrap_or_default().to_string(),
            requested: g.requested_instance_count().unwrap_or_default(),
            running: g.running_instance_count().unwrap_or_default(),
            market: g
                .market()
                .map_or_else(String::new, |m| m.as_str().to_string()),
        })
        .collect();
    let role_rank = |r: &str| match r {
        "MASTER" => 0,
        "CORE" => 1,
        _ => 2,
    };
    instance_groups.sort_by(|a, b| {
        role_rank(&a.role)
            .cmp(&role_rank(&b.role))
            .then(a.id.cmp(&b.id))
    });
    instance_groups
}

/// A cluster's tags, as key and value (a tag without a key is left out).
fn tags_from_sdk(tags: &[emr::Tag]) -> BTreeMap<String, String> {
    tags.iter()
        .filter_map(|t| {
            Some((
                t.key()?.to_string(),
                t.value().unwrap_or_default().to_string(),
            ))
        })
        .collect()
}

fn configuration_from_sdk(c: &emr::Configuration) -> crate::model::EmrConfiguration {
    crate::model::EmrConfiguration {
        classification: c.classification().unwrap_or_default().to_string(),
        properties: c
            .properties()
            .map(|p| p.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default(),
        configurations: c
            .configurations()
            .iter()
            .map(configuration_from_sdk)
            .collect(),
    }
}

/// Reads what is needed to create `cluster_id` again.
pub async fn blueprint(
    session: &Session,
    region: &str,
    cluster_id: &str,
) -> Result<crate::model::EmrBlueprint, CloudError> {
    use crate::model::EmrBlueprint;
    let client = session.emr(region);
    let err = |e: &dyn std::fmt::Display| CloudError::new(SERVICE, region, e.to_string());
    let described = client
        .describe_cluster()
        .cluster_id(cluster_id)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk(SERVICE, region, &e))?;
    let c = described
        .cluster
        .ok_or_else(|| err(&format!("DescribeCluster {cluster_id}: no cluster")))?;
    let groups = group_specs(&client, region, cluster_id).await?;
    let bootstrap_actions = bootstrap_actions(&client, region, cluster_id).await?;
    let attrs = c.ec2_instance_attributes();
    let text = |s: Option<&str>| s.filter(|s| !s.is_empty()).map(str::to_string);
    Ok(EmrBlueprint {
        source_id: cluster_id.to_string(),
        name: c.name().unwrap_or_default().to_string(),
        region: c
            .cluster_arn()
            .and_then(arn_region)
            .unwrap_or(region)
            .to_string(),
        release: text(c.release_label()),
        applications: c
            .applications()
            .iter()
            .filter_map(|a| a.name().map(str::to_string))
            .collect(),
        service_role: text(c.service_role()),
        instance_profile: text(attrs.and_then(|a| a.iam_instance_profile())),
        log_uri: text(c.log_uri()),
        key_name: text(attrs.and_then(|a| a.ec2_key_name())),
        subnet_id: text(attrs.and_then(|a| a.ec2_subnet_id())),
        master_security_group: text(attrs.and_then(|a| a.emr_managed_master_security_group())),
        worker_security_group: text(attrs.and_then(|a| a.emr_managed_slave_security_group())),
        groups,
        bootstrap_actions,
        configurations: c
            .configurations()
            .iter()
            .map(configuration_from_sdk)
            .collect(),
        tags: tags_from_sdk(c.tags()),
        termination_protected: c.termination_protected().unwrap_or(false),
        visible_to_all_users: c.visible_to_all_users().unwrap_or(true),
        custom_ami_id: text(c.custom_ami_id()),
        ebs_root_volume_gib: c.ebs_root_volume_size(),
        security_configuration: text(c.security_configuration()),
        autoscaling_role: text(c.auto_scaling_role()),
    })
}

/// The instance groups of `cluster_id` as a new cluster asks for them.
async fn group_specs(
    client: &aws_sdk_emr::Client,
    region: &str,
    cluster_id: &str,
) -> Result<Vec<crate::model::EmrGroupSpec>, CloudError> {
    let mut groups = Vec::new();
    let mut pages = client
        .list_instance_groups()
        .cluster_id(cluster_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CloudError::from_sdk(SERVICE, region, &e))?;
        for g in page.instance_groups() {
            groups.push(crate::model::EmrGroupSpec {
                role: g
                    .instance_group_type()
                    .map_or_else(String::new, |t| t.as_str().to_string()),
                instance_type: g.instance_type().unwrap_or_default().to_string(),
                count: g.requested_instance_count().unwrap_or_default(),
                market: g
                    .market()
                    .map_or_else(|| "ON_DEMAND".to_string(), |m| m.as_str().to_string()),
                bid_price: g.bid_price().map(str::to_string),
            });
        }
    }
    Ok(groups)
}

/// The bootstrap actions of `cluster_id`.
async fn bootstrap_actions(
    client: &aws_sdk_emr::Client,
    region: &str,
    cluster_id: &str,
) -> Result<Vec<crate::model::EmrBootstrapAction>, CloudError> {
    let mut actions = Vec::new();
    let mut pages = client
        .list_bootstrap_actions()
        .cluster_id(cluster_id)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CloudError::from_sdk(SERVICE, region, &e))?;
        for b in page.bootstrap_actions() {
            actions.push(crate::model::EmrBootstrapAction {
                name: b.name().unwrap_or_default().to_string(),
                path: b.script_path().unwrap_or_default().to_string(),
                args: b.args().to_vec(),
            });
        }
    }
    Ok(actions)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn arn_region_is_the_fourth_field() {
        assert_eq!(
            arn_region("arn:aws:elasticmapreduce:eu-west-1:123456789012:cluster/j-1"),
            Some("eu-west-1")
        );
        assert_eq!(
            arn_region("arn:aws:elasticmapreduce::123:cluster/j-1"),
            None
        );
        assert_eq!(arn_region("nonsense"), None);
    }
}
