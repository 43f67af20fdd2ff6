//! skiff's configuration: the embedded `config/default.toml` merged with the
//! user's file, validated in one pass.
//!
//! Where the user's file is: `--config PATH`, else `SKIFF_CONFIG`, else
//! `config.toml` in the XDG config directory (via `directories`).

mod keys;
mod layered;
pub mod recipes;

use std::path::{Path, PathBuf};

use serde::Deserialize;

pub use keys::{Action, Binding, KeyName, KeySpec, Keymap};
pub use layered::{ConfigError, parse_layered};

/// The configuration shipped with skiff; every key is present and commented.
pub const DEFAULT_CONFIG: &str = include_str!("../../config/default.toml");

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub general: General,
    pub aws: Aws,
    pub inventory: Inventory,
    pub spark: Spark,
    pub lifecycle: Lifecycle,
    pub emr: Emr,
    pub costs: Costs,
    pub budget: Budget,
    pub reminders: Reminders,
    pub transfer: Transfer,
    pub credentials: Credentials,
    pub tunnel: Tunnel,
    pub ssh: Ssh,
    pub profiles: std::collections::BTreeMap<String, ProfileSettings>,
    pub recipes: std::collections::BTreeMap<String, Recipe>,
    pub keys: Keymap,
}

/// A launch recipe (`[recipes.NAME]`): what `skiff launch NAME` makes.
/// Every field may be left out; the command line's flags win over it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Deserialize, serde::Serialize)]
#[serde(deny_unknown_fields)]
pub struct Recipe {
    /// Instance types in order of preference.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub types: Vec<String>,
    /// An AMI id or alias (al2023, ubuntu-24.04, dlami-gpu, …).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ami: Option<String>,
    /// A launch template, `NAME[:VERSION]`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub template: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<i32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub disk_gb: Option<i32>,
    /// yes, no or prefer.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spot: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub subnets: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub security_groups: Vec<String>,
    /// The idle alarm (`1h`), or `off`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idle: Option<String>,
    /// Stop (or terminate) after this long (`4h`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deadline: Option<String>,
    /// stop or terminate, at the deadline.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub then: Option<String>,
    /// Tunnel presets opened after `--wait`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tunnels: Vec<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub post_start_commands: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Lifecycle {
    pub wait_timeout_secs: u64,
    pub poll_interval_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Emr {
    pub pause_core_count: i32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    pub store: String,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Transfer {
    pub multipart_threshold: bytesize::ByteSize,
    pub part_size: bytesize::ByteSize,
    pub concurrency: usize,
    pub download_dir: String,
    pub upload_dir: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Tunnel {
    pub user: String,
    pub key: String,
    pub presets: std::collections::BTreeMap<String, u16>,
    pub instance_presets: Vec<String>,
    pub spark_presets: Vec<String>,
    pub emr_presets: Vec<String>,
    pub retry_max_secs: u64,
    pub probe_interval_secs: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Ssh {
    pub use_instance_connect: bool,
    pub parallel: usize,
    /// `ssh`, `ssh-over-ssm`, `jump:HOST`; empty: decided per node.
    pub reach: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Costs {
    pub tag_key: String,
    pub prices_max_age_days: u32,
    pub bucket_storage: bool,
    pub cost_explorer: bool,
}

#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Budget {
    pub daily_usd: crate::cost::Money,
    pub monthly_usd: crate::cost::Money,
    pub warn_percent: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reminders {
    pub running_hours: u32,
}

/// Settings of one AWS profile that override the general ones.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProfileSettings {
    pub read_only: Option<bool>,
    /// `[ssh] reach` for this profile's nodes.
    pub reach: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct General {
    pub refresh_interval_secs: u64,
    pub theme: String,
    pub start_view: StartView,
    pub read_only: bool,
    pub mouse: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StartView {
    Instances,
    Clusters,
    Buckets,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Aws {
    pub profile: String,
    pub regions: Vec<String>,
    pub endpoint_url: String,
    pub connect_timeout_secs: u64,
    pub attempt_timeout_secs: u64,
    pub operation_timeout_secs: u64,
    pub max_attempts: u32,
    pub read_attempts: u32,
    pub retry_backoff_ms: u64,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inventory {
    pub emr_terminated_days: u32,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spark {
    pub cluster_tag: String,
    pub role_tag: String,
    pub post_start_commands: Vec<String>,
    pub post_start_wait_secs: u64,
}

/// skiff's directories: configuration, state (logs, journals) and cache.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dirs {
    pub config: PathBuf,
    pub state: PathBuf,
    pub cache: PathBuf,
}

impl Dirs {
    /// The XDG directories, or `SKIFF_HOME`/{config,state,cache} when that is
    /// set (tests and the sandbox use it to stay out of the user's home).
    pub fn discover() -> Self {
        if let Some(home) = std::env::var_os("SKIFF_HOME") {
            let home = PathBuf::from(home);
            return Self {
                config: home.join("config"),
                state: home.join("state"),
                cache: home.join("cache"),
            };
        }
        match directories::ProjectDirs::from("", "", "skiff") {
            Some(p) => Self {
                config: p.config_dir().to_path_buf(),
                state: p
                    .state_dir()
                    .unwrap_or_else(|| p.data_local_dir())
                    .to_path_buf(),
                cache: p.cache_dir().to_path_buf(),
            },
            None => {
                let base = std::env::temp_dir().join("skiff");
                Self {
                    config: base.join("config"),
                    state: base.join("state"),
                    cache: base.join("cache"),
                }
            }
        }
    }

    pub fn user_themes(&self) -> PathBuf {
        self.config.join("themes")
    }
}

/// Failure to load the configuration.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    // The cause is in the message, not a `source`: an error chain printed
    // in full would say it twice.
    #[error("cannot read config file {path}: {error}")]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    #[error(transparent)]
    Invalid(#[from] ConfigError),
}

impl Config {
    /// Whether `profile` runs read-only: its own setting, else the general one.
    pub fn read_only_for(&self, profile: &str) -> bool {
        self.profiles
            .get(profile)
            .and_then(|p| p.read_only)
            .unwrap_or(self.general.read_only)
    }

    /// The built-in defaults alone.
    pub fn defaults() -> Self {
        // The embedded file is tested to parse; failing here is a build defect.
        #[allow(clippy::expect_used)]
        parse_layered(DEFAULT_CONFIG, None).expect("embedded default config is valid")
    }

    /// Every name in `[keys]` is an action or one of `declared`.
    fn check_key_names(
        &self,
        path: &Path,
        text: &str,
        declared: &[&str],
    ) -> Result<(), ConfigError> {
        let Some(name) = self.keys.unknown(declared).first().map(|n| n.to_string()) else {
            return Ok(());
        };
        let line = text
            .lines()
            .position(|l| {
                let key = l.split('=').next().unwrap_or("").trim().trim_matches('"');
                key == name
            })
            .map(|n| n + 1);
        Err(ConfigError {
            path: path.to_path_buf(),
            line,
            key: Some(name.clone()),
            message: format!(
                "`{name}` is not a key action (see the [keys] table of the default config)"
            ),
        })
    }

    /// Parses a user's file text over the defaults.
    pub fn from_user_text(path: &Path, text: &str) -> Result<Self, ConfigError> {
        Self::from_user_text_with(path, text, &[])
    }

    /// [`Config::from_user_text`], where `[keys]` may also name `declared`.
    pub fn from_user_text_with(
        path: &Path,
        text: &str,
        declared: &[&str],
    ) -> Result<Self, ConfigError> {
        let config: Self = parse_layered(DEFAULT_CONFIG, Some((path, text)))?;
        config.check_key_names(path, text, declared)?;
        Ok(config)
    }

    /// Loads the configuration. An explicitly named file (flag or
    /// `SKIFF_CONFIG`) must exist; the default location may be absent.
    pub fn load(
        explicit: Option<&Path>,
        dirs: &Dirs,
    ) -> Result<(Self, Option<PathBuf>), LoadError> {
        Self::load_with(explicit, dirs, &[])
    }

    /// [`Config::load`], where `[keys]` may also name the bindings the
    /// TUI declares (`declared`); any other name is an error at its line.
    pub fn load_with(
        explicit: Option<&Path>,
        dirs: &Dirs,
        declared: &[&str],
    ) -> Result<(Self, Option<PathBuf>), LoadError> {
        let (path, required) = match explicit {
            Some(p) => (p.to_path_buf(), true),
            None => (dirs.config.join("config.toml"), false),
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok((
                Self::from_user_text_with(&path, &text, declared)?,
                Some(path),
            )),
            Err(e) if !required && e.kind() == std::io::ErrorKind::NotFound => {
                Ok((Self::defaults(), None))
            }
            Err(error) => Err(LoadError::Read { path, error }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_defaults_parse_and_have_sane_values() {
        let c = Config::defaults();
        assert_eq!(c.general.theme, "dark");
        assert_eq!(c.spark.cluster_tag, "skiff:cluster");
        assert!(c.aws.max_attempts >= 1);
        assert_eq!(
            c.keys.action_for(&"q".parse().expect("key")),
            Some(Action::Quit)
        );
    }

    #[test]
    fn user_file_overrides_only_what_it_names() {
        let c = Config::from_user_text(
            Path::new("u.toml"),
            "[general]\ntheme = \"mono\"\n[keys]\nquit = [\"x\"]\n",
        )
        .expect("valid");
        assert_eq!(c.general.theme, "mono");
        assert_eq!(c.general.refresh_interval_secs, 60);
        assert_eq!(c.keys.label(Action::Quit), "x");
        assert_eq!(c.keys.label(Action::Help), "?");
    }

    #[test]
    fn read_only_per_profile_overrides_the_general_setting() {
        let c = Config::from_user_text(
            Path::new("u.toml"),
            "[general]\nread_only = true\n[profiles.lab]\nread_only = false\n[profiles.prod]\n",
        )
        .expect("valid");
        assert!(c.read_only_for("default"));
        assert!(!c.read_only_for("lab"));
        assert!(
            c.read_only_for("prod"),
            "a profile without the key inherits"
        );
        assert!(!Config::defaults().read_only_for("any"));
        let err = Config::from_user_text(Path::new("u.toml"), "[profiles.x]\nreadonly = true\n")
            .expect_err("typo");
        assert_eq!((err.line, err.key.as_deref()), (Some(2), Some("readonly")));
    }

    #[test]
    fn bad_values_are_located() {
        let cases = [
            ("[general]\nstart_view = \"nope\"\n", 2, "start_view"),
            ("[keys]\nquit = [\"enterr\"]\n", 2, "quit"),
            ("[keys]\nfly = [\"x\"]\n", 2, "fly"),
            ("[aws]\nmax_attempts = -1\n", 2, "max_attempts"),
            ("[nope]\n", 1, "nope"),
        ];
        for (text, line, key) in cases {
            let err = Config::from_user_text(Path::new("u.toml"), text).expect_err(text);
            assert_eq!(err.line, Some(line), "{text}: {err}");
            assert_eq!(err.key.as_deref(), Some(key), "{text}: {err}");
        }
    }

    #[test]
    fn missing_explicit_file_is_an_error_but_missing_default_is_not() {
        let dir = std::env::temp_dir().join(format!("skiff-cfg-test-{}", std::process::id()));
        let dirs = Dirs {
            config: dir.join("config"),
            state: dir.join("state"),
            cache: dir.join("cache"),
        };
        let (c, used) = Config::load(None, &dirs).expect("defaults");
        assert_eq!(used, None);
        assert_eq!(c, Config::defaults());
        let err = Config::load(Some(&dir.join("absent.toml")), &dirs).expect_err("absent");
        assert!(err.to_string().contains("absent.toml"), "{err}");
    }
}
