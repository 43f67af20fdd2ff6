//! Writes that open a way in: EC2 Instance Connect's SendSSHPublicKey (a
//! public key the instance accepts for 60 s), behind the gate like every
//! other change.

use super::{Actions, Done};
use crate::cloud::CloudError;

impl Actions {
    /// Pushes `public_key` (OpenSSH format) for `os_user` on `instance_id`;
    /// valid for 60 seconds.
    pub async fn send_ssh_public_key(
        &self,
        region: &str,
        instance_id: &str,
        os_user: &str,
        public_key: &str,
        availability_zone: Option<&str>,
    ) -> Result<Done, CloudError> {
        self.gate.check(
            "ec2-instance-connect",
            region,
            &format!("push a one-time SSH key to {instance_id}"),
        )?;
        if self.gate.dry_run {
            return Ok(Done::NotSent);
        }
        let out = self
            .session
            .instance_connect_writer(region)
            .send_ssh_public_key()
            .instance_id(instance_id)
            .instance_os_user(os_user)
            .ssh_public_key(public_key)
            .set_availability_zone(availability_zone.map(str::to_string))
            .send()
            .await
            .map_err(|e| {
                let mut err = CloudError::from_sdk("ec2-instance-connect", region, &e);
                err.message = format!(
                    "EC2 Instance Connect refused the one-time key for {instance_id}: {} (it needs ec2-instance-connect:SendSSHPublicKey, and the instance must run the Instance Connect agent, as Amazon Linux and Ubuntu AMIs do)",
                    err.message
                );
                err
            })?;
        if !out.success() {
            return Err(CloudError::new(
                "ec2-instance-connect",
                region,
                format!("EC2 Instance Connect did not accept the key for {instance_id}"),
            ));
        }
        Ok(Done::Sent)
    }
}
