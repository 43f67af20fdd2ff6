//! EC2 Instance Connect: where no key file is found for an instance's key
//! pair (or `[ssh] use_instance_connect = true`), a one-time key pair is
//! made in a private directory of the state dir, its public half pushed
//! with SendSSHPublicKey (valid 60 s, through the gate), and the connection
//! made with it. The directory goes when the connection no longer needs it.

use std::path::Path;
use std::sync::Arc;

use crate::cloud::actions::{Actions, Done};
use crate::model::Instance;

/// How skiff reaches an instance: a key file, or a one-time key pushed
/// with EC2 Instance Connect (its directory lives as long as this value).
#[derive(Debug, Clone)]
pub enum KeyMethod {
    File,
    /// No key: straight over Session Manager, no ssh login.
    None,
    InstanceConnect(Arc<tempfile::TempDir>),
}

impl PartialEq for KeyMethod {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::File, Self::File) | (Self::None, Self::None) => true,
            (Self::InstanceConnect(a), Self::InstanceConnect(b)) => Arc::ptr_eq(a, b),
            _ => false,
        }
    }
}

impl Eq for KeyMethod {}

impl KeyMethod {
    /// Which method, in words ("the key file ~/.ssh/x.pem", …).
    pub fn describe(&self, key: &Path) -> String {
        match self {
            Self::File => format!("the key file {}", key.display()),
            Self::None => "no ssh key".to_string(),
            Self::InstanceConnect(_) => {
                "a one-time key pushed with EC2 Instance Connect (valid 60 s)".to_string()
            }
        }
    }
}

/// Whether, and through which gate, one-time keys may be pushed.
#[derive(Debug, Clone, Default)]
pub struct InstanceConnect {
    /// Always push one, even where a key file exists.
    pub always: bool,
    /// The writes to push with (None: never push; a missing key file is an
    /// error then).
    pub actions: Option<Actions>,
}

impl PartialEq for InstanceConnect {
    fn eq(&self, other: &Self) -> bool {
        self.always == other.always && self.actions.is_some() == other.actions.is_some()
    }
}

impl Eq for InstanceConnect {}

/// Makes a one-time ed25519 key pair under `state_dir` and pushes its public
/// half for `user` on `instance`; the private key's path and its directory.
pub async fn push_one_time_key(
    actions: &Actions,
    instance: &Instance,
    user: &str,
    state_dir: &Path,
) -> Result<(std::path::PathBuf, KeyMethod), String> {
    let parent = state_dir.join("instance-connect");
    std::fs::create_dir_all(&parent)
        .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
    // A private directory (0700) for a private key (0600, by ssh-keygen).
    let dir = tempfile::Builder::new()
        .prefix("key-")
        .tempdir_in(&parent)
        .map_err(|e| format!("cannot create a key directory in {}: {e}", parent.display()))?;
    let key = dir.path().join("id_ed25519");
    let out = tokio::process::Command::new("ssh-keygen")
        .args([
            "-q",
            "-t",
            "ed25519",
            "-N",
            "",
            "-C",
            "skiff-one-time",
            "-f",
        ])
        .arg(&key)
        .stdin(std::process::Stdio::null())
        .output()
        .await
        .map_err(|e| format!("cannot run ssh-keygen (is the OpenSSH client installed?): {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "ssh-keygen could not make a one-time key: {}",
            String::from_utf8_lossy(&out.stderr).trim()
        ));
    }
    let public = std::fs::read_to_string(key.with_extension("pub"))
        .map_err(|e| format!("cannot read the one-time public key: {e}"))?;
    match actions
        .send_ssh_public_key(
            &instance.region,
            &instance.id,
            user,
            public.trim(),
            instance.az.as_deref(),
        )
        .await
        .map_err(|e| e.message)?
    {
        Done::Sent => Ok((key, KeyMethod::InstanceConnect(Arc::new(dir)))),
        _ => Err(format!(
            "dry run: no one-time key was pushed to {}",
            instance.id
        )),
    }
}
