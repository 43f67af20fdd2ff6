//! Every call that changes something in AWS, behind one gate.
//!
//! [`Actions`] can only be built with a [`Gate`], and each mutating method
//! asks the gate first: in read-only mode nothing is sent, in dry-run mode EC2
//! calls go out with `DryRun` (and EMR calls, which have no dry run, are not
//! sent at all). Reads used by lifecycle work (states, protection flags) live
//! here too, beside the writes they serve.

use std::collections::HashMap;

use aws_sdk_ec2::types as ec2;
use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::ec2::state_from_sdk;
use super::{CloudError, Session};
use crate::model::InstanceState;

/// Whether skiff may change anything, and whether changes are only rehearsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Gate {
    pub read_only: bool,
    pub dry_run: bool,
}

/// What a mutating call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The call was made.
    Sent,
    /// Dry run: AWS confirmed the call would succeed (EC2 DryRun).
    WouldSucceed,
    /// Dry run of a service without DryRun: nothing was sent.
    NotSent,
}

impl Gate {
    /// The one check every mutating call makes.
    fn check(&self, service: &'static str, region: &str, what: &str) -> Result<(), CloudError> {
        if self.read_only {
            return Err(CloudError {
                service,
                region: region.to_string(),
                code: Some("ReadOnly".into()),
                message: format!(
                    "read-only mode: skiff did not {what} (started with --read-only or read_only = true in the config)"
                ),
            });
        }
        Ok(())
    }
}

/// Words a user can act on for the EC2 errors lifecycle calls meet.
fn explain(code: &str, message: &str) -> String {
    let hint = match code {
        "IncorrectInstanceState" => {
            "the instance is in a state that does not allow this right now; run the command again once it has settled"
        }
        "UnsupportedHibernationConfiguration" => {
            "EC2 cannot hibernate this instance (hibernation was not configured at launch, or its type or AMI does not support it); stop it instead"
        }
        "InsufficientInstanceCapacity" => {
            "AWS has no spare capacity of this instance type in its availability zone right now; try again in a few minutes, or change the instance type"
        }
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
            "your IAM policy does not allow this call"
        }
        "OperationNotPermitted" => "AWS refused: termination or stop protection may be on",
        "InvalidInstanceID.NotFound" => {
            "no such instance (terminated and gone, or in another region)"
        }
        "ValidationException" => "EMR refused the request",
        _ => "",
    };
    if hint.is_empty() {
        format!("{code}: {message}")
    } else {
        format!("{hint} ({code}: {message})")
    }
}

/// The AWS calls of lifecycle work, each behind the gate.
#[derive(Debug, Clone)]
pub struct Actions {
    session: Session,
    gate: Gate,
}

impl Actions {
    pub fn new(session: Session, gate: Gate) -> Self {
        Self { session, gate }
    }

    pub fn gate(&self) -> Gate {
        self.gate
    }

    fn ec2_err<E>(&self, region: &str, e: &SdkError<E, HttpResponse>) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut err = CloudError::from_sdk("ec2", region, e);
        if let SdkError::ServiceError(ctx) = e {
            err.message = explain(
                ctx.err().code().unwrap_or("Error"),
                ctx.err().message().unwrap_or(""),
            );
        }
        err
    }

    /// Maps the outcome of an EC2 call sent with DryRun when dry-running.
    fn ec2_done<T, E>(
        &self,
        region: &str,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) -> Result<Done, CloudError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match result {
            Ok(_) => Ok(Done::Sent),
            Err(SdkError::ServiceError(ctx))
                if self.gate.dry_run && ctx.err().code() == Some("DryRunOperation") =>
            {
                Ok(Done::WouldSucceed)
            }
            Err(e) => Err(self.ec2_err(region, &e)),
        }
    }

    pub async fn start_instance(&self, region: &str, id: &str) -> Result<Done, CloudError> {
        self.gate.check("ec2", region, &format!("start {id}"))?;
        let r = self
            .session
            .ec2(region)
            .start_instances()
            .instance_ids(id)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    /// Stops, or hibernates with `hibernate`.
    pub async fn stop_instance(
        &self,
        region: &str,
        id: &str,
        hibernate: bool,
    ) -> Result<Done, CloudError> {
        let what = if hibernate { "hibernate" } else { "stop" };
        self.gate.check("ec2", region, &format!("{what} {id}"))?;
        let r = self
            .session
            .ec2(region)
            .stop_instances()
            .instance_ids(id)
            .hibernate(hibernate)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    pub async fn reboot_instance(&self, region: &str, id: &str) -> Result<Done, CloudError> {
        self.gate.check("ec2", region, &format!("reboot {id}"))?;
        let r = self
            .session
            .ec2(region)
            .reboot_instances()
            .instance_ids(id)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    /// Terminates, after checking API termination protection: skiff refuses
    /// itself rather than relying on AWS's error.
    pub async fn terminate_instance(&self, region: &str, id: &str) -> Result<Done, CloudError> {
        self.gate.check("ec2", region, &format!("terminate {id}"))?;
        if self.instance_protected(region, id).await? {
            return Err(CloudError {
                service: "ec2",
                region: region.to_string(),
                code: Some("TerminationProtected".into()),
                message: format!(
                    "{id} has termination protection on; turn it off first (`skiff protect {id} off`)"
                ),
            });
        }
        let r = self
            .session
            .ec2(region)
            .terminate_instances()
            .instance_ids(id)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    /// Whether API termination protection is on (a read: never gated).
    pub async fn instance_protected(&self, region: &str, id: &str) -> Result<bool, CloudError> {
        let out = self
            .session
            .ec2(region)
            .describe_instance_attribute()
            .instance_id(id)
            .attribute(ec2::InstanceAttributeName::DisableApiTermination)
            .send()
            .await
            .map_err(|e| self.ec2_err(region, &e))?;
        Ok(out
            .disable_api_termination()
            .and_then(|a| a.value())
            .unwrap_or(false))
    }

    pub async fn set_instance_protection(
        &self,
        region: &str,
        id: &str,
        on: bool,
    ) -> Result<Done, CloudError> {
        let what = if on { "turn on" } else { "turn off" };
        self.gate.check(
            "ec2",
            region,
            &format!("{what} termination protection of {id}"),
        )?;
        let r = self
            .session
            .ec2(region)
            .modify_instance_attribute()
            .instance_id(id)
            .disable_api_termination(ec2::AttributeBooleanValue::builder().value(on).build())
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    /// Current states of `ids` (a read, for waiting). Missing ids are absent.
    pub async fn instance_states(
        &self,
        region: &str,
        ids: &[String],
    ) -> Result<HashMap<String, InstanceState>, CloudError> {
        let mut states = HashMap::new();
        let mut pages = self
            .session
            .ec2(region)
            .describe_instances()
            .set_instance_ids(Some(ids.to_vec()))
            .into_paginator()
            .send();
        while let Some(page) = pages.next().await {
            let page = page.map_err(|e| self.ec2_err(region, &e))?;
            for r in page.reservations() {
                for i in r.instances() {
                    if let Some(id) = i.instance_id() {
                        states.insert(
                            id.to_string(),
                            state_from_sdk(i.state().and_then(|s| s.name())),
                        );
                    }
                }
            }
        }
        Ok(states)
    }

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
            .emr(region)
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
            .emr(region)
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
            .emr(region)
            .set_termination_protection()
            .job_flow_ids(cluster_id)
            .termination_protected(on)
            .send()
            .await
            .map_err(|e| self.emr_err(region, &e))?;
        Ok(Done::Sent)
    }
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

impl Actions {
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
        let instances = emr::JobFlowInstancesConfig::builder()
            .set_instance_groups(Some(groups))
            .keep_job_flow_alive_when_no_steps(true)
            .termination_protected(bp.termination_protected)
            .set_ec2_key_name(bp.key_name.clone())
            .set_ec2_subnet_id(bp.subnet_id.clone())
            .set_emr_managed_master_security_group(bp.master_security_group.clone())
            .set_emr_managed_slave_security_group(bp.worker_security_group.clone())
            .build();
        let out = self
            .session
            .emr(region)
            .run_job_flow()
            .name(&bp.name)
            .set_release_label(bp.release.clone())
            .set_applications(Some(
                bp.applications
                    .iter()
                    .map(|a| emr::Application::builder().name(a).build())
                    .collect(),
            ))
            .instances(instances)
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
            .set_bootstrap_actions(Some(
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
                    .collect(),
            ))
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

    /// Makes bucket `name` in `region` (outside us-east-1 S3 wants the region
    /// as a location constraint).
    pub async fn create_bucket(&self, name: &str, region: &str) -> Result<(), CloudError> {
        self.gate
            .check("s3", region, &format!("create s3://{name}"))?;
        if self.gate.dry_run {
            return Ok(());
        }
        let mut req = self.session.s3(region).create_bucket().bucket(name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                aws_sdk_s3::types::CreateBucketConfiguration::builder()
                    .location_constraint(aws_sdk_s3::types::BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| CloudError::from_sdk("s3", region, &e))?;
        Ok(())
    }

    /// Deletes `keys` from `bucket` (in batches of 1,000); returns how many
    /// were deleted and the keys S3 refused, with why.
    pub async fn delete_objects(
        &self,
        client: &aws_sdk_s3::Client,
        bucket: &str,
        keys: &[String],
    ) -> Result<(usize, Vec<String>), CloudError> {
        use aws_sdk_s3::types::{Delete, ObjectIdentifier};
        self.gate.check(
            "s3",
            bucket,
            &format!("delete {} object(s) from s3://{bucket}", keys.len()),
        )?;
        if self.gate.dry_run {
            return Ok((0, Vec::new()));
        }
        let (mut deleted, mut refused) = (0, Vec::new());
        for chunk in keys.chunks(1000) {
            let ids: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(false)
                .build()
                .map_err(|e| CloudError::new("s3", bucket, format!("bad delete request: {e}")))?;
            let out = client
                .delete_objects()
                .bucket(bucket)
                .delete(delete)
                .send()
                .await
                .map_err(|e| CloudError::from_sdk("s3", bucket, &e))?;
            deleted += out.deleted().len();
            refused.extend(out.errors().iter().map(|e| {
                format!(
                    "{}: {}",
                    e.key().unwrap_or("?"),
                    e.message().unwrap_or("refused")
                )
            }));
        }
        Ok((deleted, refused))
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
        let client = self.session.emr(region);
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
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_gate_refuses_with_the_reason() {
        let gate = Gate {
            read_only: true,
            dry_run: false,
        };
        let err = gate
            .check("ec2", "us-east-1", "stop i-1")
            .expect_err("read-only");
        assert_eq!(err.code.as_deref(), Some("ReadOnly"));
        assert!(
            err.message
                .starts_with("read-only mode: skiff did not stop i-1"),
            "{}",
            err.message
        );
        assert!(
            Gate::default()
                .check("ec2", "us-east-1", "stop i-1")
                .is_ok()
        );
    }

    #[test]
    fn known_error_codes_get_words_and_keep_the_code() {
        let text = explain(
            "InsufficientInstanceCapacity",
            "We currently do not have sufficient m5.xlarge capacity",
        );
        assert!(text.starts_with("AWS has no spare capacity"), "{text}");
        assert!(
            text.contains("InsufficientInstanceCapacity: We currently"),
            "{text}"
        );
        assert_eq!(explain("Weird", "thing"), "Weird: thing");
    }
}
