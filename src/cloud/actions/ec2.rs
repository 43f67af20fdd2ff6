//! EC2 writes: start, stop (or hibernate), reboot, terminate, termination
//! protection; and the reads that lifecycle work needs beside them.

use std::collections::HashMap;

use aws_sdk_ec2::types as ec2;

use super::{Actions, Done};
use crate::cloud::CloudError;
use crate::cloud::ec2::state_from_sdk;
use crate::model::InstanceState;

impl Actions {
    pub async fn start_instance(&self, region: &str, id: &str) -> Result<Done, CloudError> {
        self.gate.check("ec2", region, &format!("start {id}"))?;
        let r = self
            .session
            .ec2_writer(region)
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
            .ec2_writer(region)
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
            .ec2_writer(region)
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
            .ec2_writer(region)
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
            .ec2_writer(region)
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
}
