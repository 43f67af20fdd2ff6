//! Launch writes: RunInstances (with DryRun when dry-running) tagged from
//! the first second, and the deadline — a one-time EventBridge Scheduler
//! schedule that deletes itself after it ran.

use aws_sdk_ec2::types as ec2;
use aws_sdk_scheduler::types::{
    ActionAfterCompletion, FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target,
};
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{Actions, Done};
use crate::cloud::CloudError;
use crate::guard::SCHEDULE_GROUP;

/// One RunInstances call.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct RunRequest {
    pub image_id: Option<String>,
    /// (id, version) of a launch template.
    pub template: Option<(String, String)>,
    pub instance_type: Option<String>,
    pub count: i32,
    pub subnet: Option<String>,
    pub key: Option<String>,
    /// Ids (`sg-…`) or names.
    pub security_groups: Vec<String>,
    /// (root device, GB) to size the root disk.
    pub disk: Option<(String, i32)>,
    pub spot: bool,
    pub tags: Vec<(String, String)>,
}

/// What a RunInstances did: the instances, or (dry run) nothing; a
/// refusal's code is kept so the caller can try the next capacity.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ran {
    pub done: Done,
    pub instance_ids: Vec<String>,
}

/// The root disk at `device`, `gb` GB of gp3, gone with the machine.
fn root_disk(device: &str, gb: i32) -> ec2::BlockDeviceMapping {
    ec2::BlockDeviceMapping::builder()
        .device_name(device)
        .ebs(
            ec2::EbsBlockDevice::builder()
                .volume_size(gb)
                .volume_type(ec2::VolumeType::Gp3)
                .delete_on_termination(true)
                .build(),
        )
        .build()
}

/// One-time spot capacity, terminated when AWS takes it back.
fn spot_market() -> ec2::InstanceMarketOptionsRequest {
    ec2::InstanceMarketOptionsRequest::builder()
        .market_type(ec2::MarketType::Spot)
        .spot_options(
            ec2::SpotMarketOptions::builder()
                .spot_instance_type(ec2::SpotInstanceType::OneTime)
                .instance_interruption_behavior(ec2::InstanceInterruptionBehavior::Terminate)
                .build(),
        )
        .build()
}

/// A token unique to one RunInstances call (EC2 keeps it for idempotency).
fn client_token() -> String {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!(
        "skiff-{}-{nanos}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    )
}

impl Actions {
    /// Launches `r` in `region`, its instances and volumes tagged at once.
    pub async fn run_instances(&self, region: &str, r: &RunRequest) -> Result<Ran, CloudError> {
        let what = format!(
            "launch {} × {}",
            r.count,
            r.instance_type.as_deref().unwrap_or("the template's type")
        );
        self.gate.check("ec2", region, &what)?;
        let tags: Vec<ec2::Tag> = r
            .tags
            .iter()
            .map(|(k, v)| ec2::Tag::builder().key(k).value(v).build())
            .collect();
        let spec = |kind| {
            ec2::TagSpecification::builder()
                .resource_type(kind)
                .set_tags(Some(tags.clone()))
                .build()
        };
        let (ids, names): (Vec<String>, Vec<String>) = r
            .security_groups
            .iter()
            .cloned()
            .partition(|g| g.starts_with("sg-"));
        let mut req = self
            .session
            .ec2_writer(region)
            .run_instances()
            .dry_run(self.gate.dry_run())
            // The same token on every retry of this call: a retry after a
            // lost answer cannot launch the machines twice.
            .client_token(client_token())
            .min_count(r.count)
            .max_count(r.count)
            .set_image_id(r.image_id.clone())
            .set_instance_type(r.instance_type.as_deref().map(ec2::InstanceType::from))
            .set_subnet_id(r.subnet.clone())
            .set_key_name(r.key.clone())
            .set_security_group_ids((!ids.is_empty()).then_some(ids))
            .set_security_groups((!names.is_empty()).then_some(names))
            .tag_specifications(spec(ec2::ResourceType::Instance))
            .tag_specifications(spec(ec2::ResourceType::Volume));
        if let Some((id, version)) = &r.template {
            req = req.launch_template(
                ec2::LaunchTemplateSpecification::builder()
                    .launch_template_id(id)
                    .version(version)
                    .build(),
            );
        }
        if let Some((device, gb)) = &r.disk {
            req = req.block_device_mappings(root_disk(device, *gb));
        }
        if r.spot {
            req = req.instance_market_options(spot_market());
        }
        match req.send().await {
            Ok(out) => Ok(Ran {
                done: Done::Sent,
                instance_ids: out
                    .instances()
                    .iter()
                    .filter_map(|i| i.instance_id().map(str::to_string))
                    .collect(),
            }),
            Err(SdkError::ServiceError(ctx))
                if self.gate.dry_run() && ctx.err().code() == Some("DryRunOperation") =>
            {
                Ok(Ran {
                    done: Done::WouldSucceed,
                    instance_ids: Vec::new(),
                })
            }
            Err(e) => Err(self.ec2_err(region, &e)),
        }
    }

    /// A security group `name` in `vpc` (its id; None when dry-running).
    pub async fn create_security_group(
        &self,
        region: &str,
        vpc: &str,
        name: &str,
        description: &str,
    ) -> Result<Option<String>, CloudError> {
        if !self.may("ec2", region, &format!("create the security group {name}"))? {
            return Ok(None);
        }
        let out = self
            .session
            .ec2_writer(region)
            .create_security_group()
            .group_name(name)
            .description(description)
            .vpc_id(vpc)
            .tag_specifications(
                ec2::TagSpecification::builder()
                    .resource_type(ec2::ResourceType::SecurityGroup)
                    .tags(ec2::Tag::builder().key("Name").value(name).build())
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.ec2_err(region, &e))?;
        Ok(out.group_id().map(str::to_string))
    }

    /// Lets `cidr` (one address, /32) reach port 22 through group `id`.
    pub async fn allow_ssh(&self, region: &str, id: &str, cidr: &str) -> Result<Done, CloudError> {
        if !self.may("ec2", region, &format!("open port 22 of {id} to {cidr}"))? {
            return Ok(Done::NotSent);
        }
        self.session
            .ec2_writer(region)
            .authorize_security_group_ingress()
            .group_id(id)
            .ip_permissions(
                ec2::IpPermission::builder()
                    .ip_protocol("tcp")
                    .from_port(22)
                    .to_port(22)
                    .ip_ranges(
                        ec2::IpRange::builder()
                            .cidr_ip(cidr)
                            .description("skiff: SSH from the launching machine")
                            .build(),
                    )
                    .build(),
            )
            .send()
            .await
            .map_err(|e| self.ec2_err(region, &e))?;
        Ok(Done::Sent)
    }

    /// The deadline of `ids`: at `expression` (`at(…)`, UTC) EventBridge
    /// Scheduler calls `target_arn` (stop or terminate) on them with
    /// `role_arn`, then deletes the schedule.
    pub async fn put_deadline(
        &self,
        region: &str,
        name: &str,
        expression: &str,
        target_arn: &str,
        ids: &[String],
        role_arn: &str,
    ) -> Result<Done, CloudError> {
        if !self.may("scheduler", region, &format!("create the schedule {name}"))? {
            return Ok(Done::NotSent);
        }
        let bad = |e: aws_smithy_types::error::operation::BuildError| {
            CloudError::new("scheduler", region, format!("schedule {name}: {e}"))
        };
        let target = Target::builder()
            .arn(target_arn)
            .role_arn(role_arn)
            .input(serde_json::json!({ "InstanceIds": ids }).to_string())
            .build()
            .map_err(bad)?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(bad)?;
        self.session
            .scheduler_writer(region)
            .create_schedule()
            .group_name(SCHEDULE_GROUP)
            .name(name)
            .description(format!(
                "skiff deadline: {} {} at {expression} (UTC)",
                if target_arn.ends_with("terminateInstances") {
                    "terminates"
                } else {
                    "stops"
                },
                ids.join(", ")
            ))
            .schedule_expression(expression)
            .schedule_expression_timezone("UTC")
            .state(ScheduleState::Enabled)
            .action_after_completion(ActionAfterCompletion::Delete)
            .target(target)
            .flexible_time_window(window)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("scheduler", region, &e))?;
        Ok(Done::Sent)
    }
}
