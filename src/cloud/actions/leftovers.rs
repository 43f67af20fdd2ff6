//! Removing what costs money while nothing runs: a volume, a snapshot, an
//! Elastic IP. (Unfinished uploads are aborted with
//! `abort_multipart_upload`.) Each behind the gate; EC2's DryRun rehearses.

use super::{Actions, Done};
use crate::cloud::CloudError;

impl Actions {
    pub async fn delete_volume(&self, region: &str, id: &str) -> Result<Done, CloudError> {
        self.gate
            .check("ec2", region, &format!("delete the volume {id}"))?;
        let r = self
            .session
            .ec2_writer(region)
            .delete_volume()
            .volume_id(id)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    pub async fn delete_snapshot(&self, region: &str, id: &str) -> Result<Done, CloudError> {
        self.gate
            .check("ec2", region, &format!("delete the snapshot {id}"))?;
        let r = self
            .session
            .ec2_writer(region)
            .delete_snapshot()
            .snapshot_id(id)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }

    /// Releases an Elastic IP (by allocation id).
    pub async fn release_address(
        &self,
        region: &str,
        allocation_id: &str,
    ) -> Result<Done, CloudError> {
        self.gate.check(
            "ec2",
            region,
            &format!("release the address {allocation_id}"),
        )?;
        let r = self
            .session
            .ec2_writer(region)
            .release_address()
            .allocation_id(allocation_id)
            .dry_run(self.gate.dry_run)
            .send()
            .await;
        self.ec2_done(region, r)
    }
}
