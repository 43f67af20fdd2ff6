//! Connecting: the user's choices (flags, or the TUI's pickers) and the
//! config become session options, the keyring behind the standard chain, and
//! the one [`Gate`] that decides read-only and dry-run for every write.

use std::sync::Arc;
use std::time::Duration;

use crate::cloud::actions::{Actions, Gate};
use crate::cloud::inventory::{self, InventoryOptions, Wanted};
use crate::cloud::{CloudError, Fallback, Session, SessionOptions, profile_name};
use crate::config::{Config, Dirs};
use crate::creds::provider::{KeyringProvider, KeyringSettings, MfaPrompt};
use crate::model::Inventory;
use crate::spark::ClusterTags;

/// What the user chose beside the config file (the CLI's global flags).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Choices {
    pub profile: Option<String>,
    pub regions: Vec<String>,
    pub all_regions: bool,
    pub endpoint_url: Option<String>,
    /// `--read-only`: holds whatever profile is picked.
    pub read_only: bool,
}

/// Session options: choices win over the config file, which wins over
/// defaults.
pub fn session_options(choices: &Choices, config: &Config) -> SessionOptions {
    let non_empty = |s: &str| (!s.is_empty()).then(|| s.to_string());
    SessionOptions {
        profile: choices
            .profile
            .clone()
            .or_else(|| non_empty(&config.aws.profile)),
        regions: if choices.regions.is_empty() {
            config.aws.regions.clone()
        } else {
            choices.regions.clone()
        },
        all_regions: choices.all_regions,
        endpoint_url: choices
            .endpoint_url
            .clone()
            .filter(|u| !u.is_empty())
            .or_else(|| non_empty(&config.aws.endpoint_url)),
        connect_timeout: Duration::from_secs(config.aws.connect_timeout_secs),
        attempt_timeout: Duration::from_secs(config.aws.attempt_timeout_secs),
        operation_timeout: Duration::from_secs(config.aws.operation_timeout_secs),
        max_attempts: config.aws.max_attempts,
        read_attempts: config.aws.read_attempts,
        initial_backoff: Some(Duration::from_millis(config.aws.retry_backoff_ms)),
        static_credentials: None,
    }
}

/// Read-only: the flag, else the profile's setting, else the general one.
pub fn read_only(flag: bool, config: &Config, profile: &str) -> bool {
    flag || config.read_only_for(profile)
}

/// The gate for a session of `profile`: read-only as the flag and the
/// config say; changes are made, not rehearsed.
pub fn gate_for(read_only_flag: bool, config: &Config, profile: &str) -> Gate {
    Gate::new(read_only(read_only_flag, config, profile), false)
}

/// The gate that seeds a sandbox: writes allowed, but only into an
/// emulator on this machine (None for any other endpoint).
pub fn seed_gate(session: &Session) -> Option<Gate> {
    session.is_local_emulator().then(|| Gate::new(false, false))
}

pub fn inventory_options(config: &Config) -> InventoryOptions {
    InventoryOptions {
        emr_terminated_days: config.inventory.emr_terminated_days,
        cluster_tags: ClusterTags {
            cluster: config.spark.cluster_tag.clone(),
            role: config.spark.role_tag.clone(),
        },
    }
}

/// Everything needed to connect, and to connect again after the user picks
/// another profile or region.
#[derive(Debug, Clone, Default)]
pub struct Connection {
    pub opts: SessionOptions,
    /// Where skiff's keyring keys are: asked after the standard chain.
    pub keyring: Option<KeyringSettings>,
}

impl Connection {
    /// `opts` with the keyring behind the standard chain; `prompt` asks for
    /// MFA codes (on the terminal, or in a dialog).
    pub fn new(
        opts: SessionOptions,
        config: &Config,
        dirs: &Dirs,
        prompt: Option<MfaPrompt>,
    ) -> Self {
        let keyring = KeyringSettings {
            store: config.credentials.store.clone(),
            timeout: Duration::from_secs(config.credentials.timeout_secs.max(1)),
            state_dir: dirs.state.clone(),
            endpoint_url: opts.endpoint_url.clone(),
            region: opts
                .regions
                .first()
                .cloned()
                .unwrap_or_else(|| crate::cloud::FALLBACK_REGION.to_string()),
            mfa_prompt: prompt,
        };
        Self {
            opts,
            keyring: Some(keyring),
        }
    }

    /// Fixed options (the sandbox, tests): no keyring.
    pub fn plain(opts: SessionOptions) -> Self {
        Self {
            opts,
            keyring: None,
        }
    }

    pub async fn connect(&self) -> Result<Session, CloudError> {
        let fallback = self.keyring.as_ref().map(|k| Fallback {
            name: "skiff keyring",
            provider: aws_credential_types::provider::SharedCredentialsProvider::new(
                KeyringProvider::new(&profile_name(&self.opts), k.clone()),
            ),
            resolve_at_connect: k.mfa_prompt.is_some(),
        });
        Session::connect_with(&self.opts, fallback).await
    }
}

/// Everything an operation needs: the session, the config, the directories
/// and the gate.
#[derive(Debug, Clone)]
pub struct Context {
    pub session: Session,
    pub config: Arc<Config>,
    pub dirs: Dirs,
    pub gate: Gate,
}

impl Context {
    /// Connects `connection` with read-only decided from `read_only_flag`
    /// and the config for the session's profile.
    pub async fn connect(
        connection: &Connection,
        config: Config,
        dirs: Dirs,
        read_only_flag: bool,
        dry_run: bool,
    ) -> Result<Self, CloudError> {
        let session = connection.connect().await?;
        let ro = read_only(read_only_flag, &config, &session.profile);
        Ok(Self {
            session,
            config: Arc::new(config),
            dirs,
            gate: Gate::new(ro, dry_run),
        })
    }

    /// A context for a session already connected (the TUI's, the sandbox's).
    pub fn for_session(session: Session, config: Config, dirs: Dirs, read_only_flag: bool) -> Self {
        let gate = gate_for(read_only_flag, &config, &session.profile);
        Self {
            session,
            config: Arc::new(config),
            dirs,
            gate,
        }
    }

    /// The writes, behind this context's gate.
    pub fn actions(&self) -> Actions {
        Actions::new(self.session.clone(), self.gate)
    }

    /// The same context rehearsing (`--dry-run`) or not.
    pub fn dry_run(&self, on: bool) -> Self {
        Self {
            gate: Gate::new(self.gate.read_only(), on),
            ..self.clone()
        }
    }

    pub fn inventory_options(&self) -> InventoryOptions {
        inventory_options(&self.config)
    }

    /// Instances and clusters of the session's regions (buckets left out);
    /// what could not be listed comes back beside it. What was seen goes
    /// into the cost ledger (evidence of what ran when).
    pub async fn inventory(&self) -> (Inventory, Vec<CloudError>) {
        let wanted = Wanted {
            instances: true,
            clusters: true,
            buckets: false,
        };
        let at = crate::clock::now();
        let (inv, errors) =
            inventory::fetch_all(&self.session, wanted, &self.inventory_options(), at).await;
        let listed = super::costs::listed(&self.session.regions, wanted, &errors);
        let prices = crate::cost::Prices::load(&self.dirs.cache);
        let (mut ledger, _) = super::costs::open_ledger(&self.dirs);
        if let Err(e) = super::costs::observe(&mut ledger, &inv, &prices, &listed, at, &self.dirs) {
            tracing::warn!("{e}");
        }
        (inv, errors)
    }
}
