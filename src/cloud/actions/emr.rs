//! EMR writes: resizing instance groups, terminating, termination
//! protection, the idle timeout, and relaunching a terminated cluster.

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{Actions, Done};
use crate::cloud::CloudError;

impl Actions {
    fn emr_err<E>(&self, region: &str, e: &SdkError<E, HttpResponse>) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        CloudError::from_sdk("emr", region, e)
    }

    /// Sets an instance group's requested count.
    pub async fn resize_group(
        &self,
        region: &str,
        cluster_id: &str,
        group_id: &str,
        count: i32,
    ) -> Result<Done, CloudError> {
        self.gate.check(
            "emr",
            region,
            &format!("resize {group_id} of {cluster_id} to {count}"),
        )?;
        if self.gate.dry_run {
            return Ok(Done::NotSent);
        }
        self.session
            .emr_writer(region)
            .modify_instance_groups()
            .cluster_id(cluster_id)
            .instance_groups(
                aws_sdk_emr::types::InstanceGroupModifyConfig::builder()
                    .instance_group_id(group_id)
                    .instance_count(count)
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.emr_err(region, &e))?;
        Ok(Done::Sent)
    }

    pub async fn terminate_emr(&self, region: &str, cluster_id: &str) -> Result<Done, CloudError> {
        self.gate
            .check("emr", region, &format!("terminate {cluster_id}"))?;
        if self.gate.dry_run {
            return Ok(Done::NotSent);
        }
        self.session
            .emr_writer(region)
            .terminate_job_flows()
            .job_flow_ids(cluster_id)
            .send()
            .await
            .map_err(|e| self.emr_err(region, &e))?;
        Ok(Done::Sent)
    }

    pub async fn set_emr_protection(
        &self,
        region: &str,
        cluster_id: &str,
        on: bool,
    ) -> Result<Done, CloudError> {
        let what = if on { "turn on" } else { "turn off" };
        self.gate.check(
            "emr",
            region,
            &format!("{what} termination protection of {cluster_id}"),
        )?;
        if self.gate.dry_run {
            return Ok(Done::NotSent);
        }
        self.session
            .emr_writer(region)
            .set_termination_protection()
            .job_flow_ids(cluster_id)
            .termination_protected(on)
            .send()
            .await
            .map_err(|e| self.emr_err(region, &e))?;
        Ok(Done::Sent)
    }

    /// Sets (or, with `None`, removes) the idle time after which EMR
    /// terminates the cluster by itself.
    pub async fn set_idle_timeout(
        &self,
        region: &str,
        cluster_id: &str,
        idle: Option<std::time::Duration>,
    ) -> Result<Done, CloudError> {
        let what = match idle {
            Some(d) => format!(
                "set the idle timeout of {cluster_id} to {}",
                humantime::format_duration(d)
            ),
            None => format!("remove the idle timeout of {cluster_id}"),
        };
        self.gate.check("emr", region, &what)?;
        if self.gate.dry_run {
            return Ok(Done::NotSent);
        }
        let client = self.session.emr_writer(region);
        match idle {
            Some(d) => {
                let secs = i64::try_from(d.as_secs()).unwrap_or(i64::MAX);
                client
                    .put_auto_termination_policy()
                    .cluster_id(cluster_id)
                    .auto_termination_policy(
                        aws_sdk_emr::types::AutoTerminationPolicy::builder()
                            .idle_timeout(secs)
                            .build(),
                    )
                    .send()
                    .await
                    .map_err(|e| self.emr_err(region, &e))?;
            }
            None => {
                client
                    .remove_auto_termination_policy()
                    .cluster_id(cluster_id)
                    .send()
                    .await
                    .map_err(|e| self.emr_err(region, &e))?;
            }
        }
        Ok(Done::Sent)
    }

    /// Creates a cluster like the one `bp` was read from; returns the new id.
    pub async fn relaunch_emr(
        &self,
        bp: &crate::model::EmrBlueprint,
    ) -> Result<Option<String>, CloudError> {
        use aws_sdk_emr::types as emr;
        let region = bp.region.as_str();
        self.gate.check(
            "emr",
            region,
            &format!("relaunch {} as a new cluster", bp.source_id),
        )?;
        if self.gate.dry_run {
            return Ok(None);
        }
        let out = self
            .session
            .emr_writer(region)
            .run_job_flow()
            .name(&bp.name)
            .set_release_label(bp.release.clone())
            .set_applications(Some(
                bp.applications
                    .iter()
                    .map(|a| emr::Application::builder().name(a).build())
                    .collect(),
            ))
            .instances(instances_to_sdk(bp))
            .set_service_role(bp.service_role.clone())
            .set_job_flow_role(bp.instance_profile.clone())
            .set_log_uri(bp.log_uri.clone())
            .set_custom_ami_id(bp.custom_ami_id.clone())
            .set_ebs_root_volume_size(bp.ebs_root_volume_gib)
            .set_security_configuration(bp.security_configuration.clone())
            .set_auto_scaling_role(bp.autoscaling_role.clone())
            .visible_to_all_users(bp.visible_to_all_users)
            .set_configurations(
                (!bp.configurations.is_empty())
                    .then(|| bp.configurations.iter().map(configuration_to_sdk).collect()),
            )
            .set_bootstrap_actions(Some(bootstrap_actions_to_sdk(bp)))
            .set_tags(Some(
                bp.tags
                    .iter()
                    .map(|(k, v)| emr::Tag::builder().key(k).value(v).build())
                    .collect(),
            ))
            .send()
            .await
            .map_err(|e| self.emr_err(region, &e))?;
        Ok(out.job_flow_id().map(str::to_string))
    }
}

/// The instances of a cluster like the one `bp` was read from: its groups,
/// key, subnet and security groups; kept alive without steps.
fn instances_to_sdk(bp: &crate::model::EmrBlueprint) -> aws_sdk_emr::types::JobFlowInstancesConfig {
    use aws_sdk_emr::types as emr;
    let groups = bp
        .groups
        .iter()
        .map(|g| {
            emr::InstanceGroupConfig::builder()
                .instance_role(emr::InstanceRoleType::from(g.role.as_str()))
                .instance_type(&g.instance_type)
                .instance_count(g.count)
                .market(emr::MarketType::from(g.market.as_str()))
                .set_bid_price(g.bid_price.clone())
                .build()
        })
        .collect();
    emr::JobFlowInstancesConfig::builder()
        .set_instance_groups(Some(groups))
        .keep_job_flow_alive_when_no_steps(true)
        .termination_protected(bp.termination_protected)
        .set_ec2_key_name(bp.key_name.clone())
        .set_ec2_subnet_id(bp.subnet_id.clone())
        .set_emr_managed_master_security_group(bp.master_security_group.clone())
        .set_emr_managed_slave_security_group(bp.worker_security_group.clone())
        .build()
}

fn bootstrap_actions_to_sdk(
    bp: &crate::model::EmrBlueprint,
) -> Vec<aws_sdk_emr::types::BootstrapActionConfig> {
    use aws_sdk_emr::types as emr;
    bp.bootstrap_actions
        .iter()
        .map(|b| {
            let script = emr::ScriptBootstrapActionConfig::builder()
                .path(&b.path)
                .set_args(Some(b.args.clone()))
                .build();
            emr::BootstrapActionConfig::builder()
                .name(&b.name)
                .script_bootstrap_action(script)
                .build()
        })
        .collect()
}

fn configuration_to_sdk(c: &crate::model::EmrConfiguration) -> aws_sdk_emr::types::Configuration {
    aws_sdk_emr::types::Configuration::builder()
        .classification(&c.classification)
        .set_properties(
            (!c.properties.is_empty()).then(|| c.properties.clone().into_iter().collect()),
        )
        .set_configurations(
            (!c.configurations.is_empty())
                .then(|| c.configurations.iter().map(configuration_to_sdk).collect()),
        )
        .build()
}
