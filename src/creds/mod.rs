//! Long-term AWS keys kept in the operating system's keyring (aws-vault
//! style), in an explicitly chosen store: the Secret Service when one is
//! reachable, else the Linux kernel keyring (which does not survive a reboot).
//! Every keyring call runs off the async runtime and times out rather than
//! hanging on a locked keyring. Secrets are never printed, logged or
//! serialised: `StoredKey`'s Debug redacts them.

pub mod provider;

use std::collections::BTreeMap;
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use keyring_core::api::CredentialStore;
use serde::{Deserialize, Serialize};

/// The keyring service name skiff's entries live under.
const SERVICE: &str = "skiff-aws";

/// Which store holds the keys.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum StoreKind {
    SecretService,
    Keyutils,
}

impl StoreKind {
    pub fn label(self) -> &'static str {
        match self {
            Self::SecretService => "Secret Service",
            Self::Keyutils => "Linux kernel keyring",
        }
    }
}

/// A long-term key pair, and the MFA device to use with it.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct StoredKey {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub mfa_serial: Option<String>,
}

impl fmt::Debug for StoredKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("StoredKey")
            .field("access_key_id", &self.access_key_id)
            .field("secret_access_key", &"** redacted **")
            .field("mfa_serial", &self.mfa_serial)
            .finish()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum CredsError {
    #[error(
        "the keyring did not answer within {0} s (is it locked? unlock it, or choose another store with [credentials] store)"
    )]
    Timeout(u64),
    #[error("no Secret Service is reachable ({0})")]
    NoSecretService(String),
    #[error("the {store} refused: {why}")]
    Store { store: &'static str, why: String },
    #[error("{0}")]
    Other(String),
}

/// An opened keyring store.
#[derive(Clone)]
pub struct Keyring {
    store: Arc<CredentialStore>,
    pub kind: StoreKind,
    timeout: Duration,
    /// Profiles and key ids (no secrets), for `creds ls`.
    index: PathBuf,
}

impl fmt::Debug for Keyring {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keyring").field("kind", &self.kind).finish()
    }
}

/// Runs a blocking keyring call on the blocking pool, with a time limit.
async fn blocking<T: Send + 'static>(
    timeout: Duration,
    f: impl FnOnce() -> Result<T, CredsError> + Send + 'static,
) -> Result<T, CredsError> {
    match tokio::time::timeout(timeout, tokio::task::spawn_blocking(f)).await {
        Ok(Ok(result)) => result,
        Ok(Err(join)) => Err(CredsError::Other(format!("keyring task failed: {join}"))),
        Err(_) => Err(CredsError::Timeout(timeout.as_secs())),
    }
}

fn store_err(kind: StoreKind) -> impl Fn(keyring_core::Error) -> CredsError {
    move |e| {
        let mut why = e.to_string();
        if kind == StoreKind::Keyutils && matches!(e, keyring_core::Error::NoStorageAccess(_)) {
            why.push_str(": this session has no kernel keyring of its own (start skiff under `keyctl session -`, or use the Secret Service)");
        }
        CredsError::Store {
            store: kind.label(),
            why,
        }
    }
}

fn open_kind(kind: StoreKind) -> Result<Arc<CredentialStore>, CredsError> {
    match kind {
        StoreKind::Keyutils => {
            let s: Arc<CredentialStore> =
                linux_keyutils_keyring_store::Store::new().map_err(store_err(kind))?;
            Ok(s)
        }
        StoreKind::SecretService => {
            let s: Arc<CredentialStore> = zbus_secret_service_keyring_store::Store::new()
                .map_err(|e| CredsError::NoSecretService(e.to_string()))?;
            // Reaching the service is only proven by asking it something.
            match s
                .build(SERVICE, "skiff-probe", None)
                .and_then(|e| e.get_password())
            {
                Ok(_) | Err(keyring_core::Error::NoEntry) => Ok(s),
                Err(e) => Err(CredsError::NoSecretService(e.to_string())),
            }
        }
    }
}

impl Keyring {
    /// Opens the store named by `choice` (`auto`, `secret-service`,
    /// `keyutils`). With `auto` and no Secret Service, the kernel keyring is
    /// used and the returned warning says it does not survive a reboot.
    pub async fn open(
        choice: &str,
        timeout: Duration,
        state_dir: &Path,
    ) -> Result<(Self, Option<String>), CredsError> {
        let index = state_dir.join("keyring-profiles.json");
        let make = |store, kind| Self {
            store,
            kind,
            timeout,
            index: index.clone(),
        };
        match choice {
            "keyutils" => Ok((
                make(
                    blocking(timeout, || open_kind(StoreKind::Keyutils)).await?,
                    StoreKind::Keyutils,
                ),
                None,
            )),
            "secret-service" => Ok((
                make(
                    blocking(timeout, || open_kind(StoreKind::SecretService)).await?,
                    StoreKind::SecretService,
                ),
                None,
            )),
            "auto" => match blocking(timeout, || open_kind(StoreKind::SecretService)).await {
                Ok(s) => Ok((make(s, StoreKind::SecretService), None)),
                Err(why) => {
                    let s = blocking(timeout, || open_kind(StoreKind::Keyutils)).await?;
                    let warning = format!(
                        "{why} — using the Linux kernel keyring instead, which does not survive a reboot (set [credentials] store to choose)"
                    );
                    Ok((make(s, StoreKind::Keyutils), Some(warning)))
                }
            },
            other => Err(CredsError::Other(format!(
                "[credentials] store = \"{other}\": use auto, secret-service or keyutils"
            ))),
        }
    }

    fn user(profile: &str) -> String {
        format!("profile:{profile}")
    }

    pub async fn put(&self, profile: &str, key: &StoredKey) -> Result<(), CredsError> {
        let (store, kind, user) = (self.store.clone(), self.kind, Self::user(profile));
        let json = serde_json::to_string(key).map_err(|e| CredsError::Other(e.to_string()))?;
        blocking(self.timeout, move || {
            store
                .build(SERVICE, &user, None)
                .and_then(|e| e.set_password(&json))
                .map_err(store_err(kind))
        })
        .await?;
        self.update_index(|index| {
            index.insert(
                profile.to_string(),
                IndexEntry {
                    access_key_id: key.access_key_id.clone(),
                    mfa_serial: key.mfa_serial.clone(),
                    store: self.kind,
                },
            );
        })
    }

    pub async fn get(&self, profile: &str) -> Result<Option<StoredKey>, CredsError> {
        let (store, kind, user) = (self.store.clone(), self.kind, Self::user(profile));
        let text = blocking(self.timeout, move || {
            match store
                .build(SERVICE, &user, None)
                .and_then(|e| e.get_password())
            {
                Ok(t) => Ok(Some(t)),
                Err(keyring_core::Error::NoEntry) => Ok(None),
                Err(e) => Err(store_err(kind)(e)),
            }
        })
        .await?;
        match text {
            // The entry's text is never part of the error: it holds the secret.
            Some(t) => serde_json::from_str(&t).map(Some).map_err(|_| {
                CredsError::Other(format!(
                    "the keyring entry of {profile} is not skiff's format"
                ))
            }),
            None => Ok(None),
        }
    }

    /// Removes a profile's key; false if there was none.
    pub async fn delete(&self, profile: &str) -> Result<bool, CredsError> {
        let (store, kind, user) = (self.store.clone(), self.kind, Self::user(profile));
        let removed = blocking(self.timeout, move || {
            match store
                .build(SERVICE, &user, None)
                .and_then(|e| e.delete_credential())
            {
                Ok(()) => Ok(true),
                Err(keyring_core::Error::NoEntry) => Ok(false),
                Err(e) => Err(store_err(kind)(e)),
            }
        })
        .await?;
        self.update_index(|index| {
            index.remove(profile);
        })?;
        Ok(removed)
    }

    /// Profiles skiff stored (from its index; secrets are not read).
    pub fn profiles(&self) -> BTreeMap<String, IndexEntry> {
        read_index(&self.index)
    }

    fn update_index(
        &self,
        f: impl FnOnce(&mut BTreeMap<String, IndexEntry>),
    ) -> Result<(), CredsError> {
        let mut index = read_index(&self.index);
        f(&mut index);
        crate::store::write_json(&self.index, &index)
            .map_err(|e| CredsError::Other(format!("{}: {e}", self.index.display())))
    }
}

/// What skiff remembers of a stored profile (never the secret).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IndexEntry {
    pub access_key_id: String,
    pub mfa_serial: Option<String>,
    pub store: StoreKind,
}

/// Profile names in skiff's keyring index, without opening the keyring.
pub fn read_index(path: &Path) -> BTreeMap<String, IndexEntry> {
    let Ok(bytes) = std::fs::read(path) else {
        return BTreeMap::new();
    };
    match serde_json::from_slice(&bytes) {
        Ok(index) => index,
        Err(e) => {
            crate::store::notices::set_aside(
                path,
                &e.to_string(),
                "the list of profiles whose keys skiff keeps in the keyring",
                "those keys are still in the keyring, but skiff lists none until they are stored again (skiff creds add)",
            );
            BTreeMap::new()
        }
    }
}

/// Profile names from `~/.aws/config` and `~/.aws/credentials` (or the
/// AWS_CONFIG_FILE / AWS_SHARED_CREDENTIALS_FILE they point to).
pub fn config_profiles() -> Vec<String> {
    let home = directories::BaseDirs::new()
        .map(|b| b.home_dir().to_path_buf())
        .unwrap_or_default();
    let config =
        std::env::var_os("AWS_CONFIG_FILE").map_or_else(|| home.join(".aws/config"), PathBuf::from);
    let creds = std::env::var_os("AWS_SHARED_CREDENTIALS_FILE")
        .map_or_else(|| home.join(".aws/credentials"), PathBuf::from);
    profiles_in(&config, &creds)
}

/// Profile names in an AWS config file and a credentials file.
pub fn profiles_in(config: &Path, credentials: &Path) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for (path, in_config) in [(config, true), (credentials, false)] {
        let Ok(text) = std::fs::read_to_string(path) else {
            continue;
        };
        for line in text.lines() {
            let Some(section) = line
                .trim()
                .strip_prefix('[')
                .and_then(|l| l.strip_suffix(']'))
            else {
                continue;
            };
            if in_config && section.starts_with("sso-session") {
                continue;
            }
            let name = if in_config {
                section.strip_prefix("profile ").unwrap_or(section)
            } else {
                section
            }
            .trim();
            if !out.iter().any(|p| p == name) {
                out.push(name.to_string());
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_keyring_call_that_hangs_times_out() {
        let started = std::time::Instant::now();
        let r: Result<(), CredsError> = blocking(Duration::from_millis(200), || {
            std::thread::sleep(Duration::from_secs(2));
            Ok(())
        })
        .await;
        assert!(matches!(r, Err(CredsError::Timeout(_))), "{r:?}");
        assert!(
            r.expect_err("timeout")
                .to_string()
                .contains("is it locked?")
        );
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "did not wait for the hung call"
        );
    }

    #[test]
    fn debug_never_shows_the_secret() {
        let k = StoredKey {
            access_key_id: "AKIAEXAMPLE".into(),
            secret_access_key: "very-secret".into(),
            mfa_serial: None,
        };
        let text = format!("{k:?}");
        assert!(
            text.contains("AKIAEXAMPLE") && !text.contains("very-secret"),
            "{text}"
        );
    }

    #[test]
    fn profiles_are_read_from_config_and_credentials_files() {
        let dir = tempfile::tempdir().expect("dir");
        let cfg = dir.path().join("config");
        std::fs::write(
            &cfg,
            "[default]\nregion = eu-west-1\n[profile research]\n[sso-session corp]\n",
        )
        .expect("config");
        let creds = dir.path().join("credentials");
        std::fs::write(&creds, "[default]\n[lab]\n").expect("creds");
        assert_eq!(profiles_in(&cfg, &creds), ["default", "research", "lab"]);
        assert!(profiles_in(&dir.path().join("none"), &dir.path().join("none")).is_empty());
    }
}
