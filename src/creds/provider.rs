//! A credentials provider for profiles whose keys skiff keeps in the keyring,
//! placed after aws-config's standard chain (so a profile in ~/.aws/config
//! wins). With an MFA device, the long-term keys are exchanged for STS
//! session credentials, held in memory only.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;
use aws_credential_types::provider::error::CredentialsError;
use aws_credential_types::provider::{self, ProvideCredentials, future};

use super::{Keyring, read_index};

/// Asks the user for an MFA code for a device serial (None: not given, or
/// cannot ask). Asynchronous, so the TUI can ask in a dialog while the
/// terminal keeps drawing.
pub type MfaPrompt =
    Arc<dyn Fn(String) -> futures::future::BoxFuture<'static, Option<String>> + Send + Sync>;

/// Where the keyring is and how to reach STS for MFA.
#[derive(Clone)]
pub struct KeyringSettings {
    /// `auto`, `secret-service` or `keyutils`.
    pub store: String,
    pub timeout: Duration,
    pub state_dir: PathBuf,
    pub endpoint_url: Option<String>,
    pub region: String,
    pub mfa_prompt: Option<MfaPrompt>,
}

impl fmt::Debug for KeyringSettings {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("KeyringSettings")
            .field("store", &self.store)
            .field("state_dir", &self.state_dir)
            .finish()
    }
}

impl PartialEq for KeyringSettings {
    fn eq(&self, other: &Self) -> bool {
        self.store == other.store
            && self.timeout == other.timeout
            && self.state_dir == other.state_dir
            && self.endpoint_url == other.endpoint_url
    }
}

impl Eq for KeyringSettings {}

#[derive(Debug)]
pub struct KeyringProvider {
    profile: String,
    settings: KeyringSettings,
    session: tokio::sync::Mutex<Option<Credentials>>,
    /// The user declined to give a code: do not ask again on every call.
    declined: std::sync::atomic::AtomicBool,
}

impl KeyringProvider {
    pub fn new(profile: &str, settings: KeyringSettings) -> Self {
        Self {
            profile: profile.to_string(),
            settings,
            session: tokio::sync::Mutex::new(None),
            declined: std::sync::atomic::AtomicBool::new(false),
        }
    }

    async fn load(&self) -> provider::Result {
        let profile = &self.profile;
        // Without an entry in skiff's index there is nothing to read: do not
        // touch the keyring at all (no D-Bus probing, no prompts).
        if !read_index(&self.settings.state_dir.join("keyring-profiles.json")).contains_key(profile)
        {
            return Err(CredentialsError::not_loaded(format!(
                "skiff keeps no key for profile `{profile}` (skiff creds add {profile})"
            )));
        }
        let (keyring, _) = Keyring::open(
            &self.settings.store,
            self.settings.timeout,
            &self.settings.state_dir,
        )
        .await
        .map_err(|e| CredentialsError::provider_error(e.to_string()))?;
        let key = keyring
            .get(profile)
            .await
            .map_err(|e| CredentialsError::provider_error(e.to_string()))?
            .ok_or_else(|| CredentialsError::not_loaded(format!("the {} has no key for profile `{profile}` (it may have been cleared by a reboot)", keyring.kind.label())))?;
        let long_term = Credentials::new(
            &key.access_key_id,
            &key.secret_access_key,
            None,
            None,
            "skiff-keyring",
        );
        let Some(serial) = key.mfa_serial.clone() else {
            return Ok(long_term);
        };
        let mut cached = self.session.lock().await;
        if let Some(c) = cached.as_ref()
            && c.expiry()
                .is_some_and(|t| t > SystemTime::now() + Duration::from_secs(300))
        {
            return Ok(c.clone());
        }
        let prompt = self.settings.mfa_prompt.as_ref().ok_or_else(|| {
            CredentialsError::provider_error(format!(
                "profile `{profile}` needs an MFA code for {serial}: run skiff from a terminal"
            ))
        })?;
        let declined = || {
            CredentialsError::provider_error(format!(
                "no MFA code given for {serial} (profile `{profile}`); switch profile or restart skiff to be asked again"
            ))
        };
        if self.declined.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(declined());
        }
        let Some(code) = prompt(serial.clone())
            .await
            .filter(|c| !c.trim().is_empty())
        else {
            self.declined
                .store(true, std::sync::atomic::Ordering::SeqCst);
            return Err(declined());
        };
        let session = crate::cloud::sts::mfa_session_token(
            long_term,
            &self.settings.region,
            self.settings.endpoint_url.as_deref(),
            &serial,
            code.trim(),
            Duration::from_secs(12 * 3600),
        )
        .await
        .map_err(|e| CredentialsError::provider_error(e.to_string()))?;
        *cached = Some(session.clone());
        Ok(session)
    }
}

impl ProvideCredentials for KeyringProvider {
    fn provide_credentials<'a>(&'a self) -> future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        future::ProvideCredentials::new(self.load())
    }
}
