//! Launching machines (pure): what a launch asks for (`Spec`), from a
//! recipe and the command line's words; AMI aliases and the public
//! parameters that name them; the order capacity is tried in (types ×
//! subnets); the errors that mean "try the next"; the tags every launched
//! machine carries; the deadline as an EventBridge Scheduler `at()`.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;

use crate::config::Recipe;

/// The tag that names the recipe a machine was launched from.
pub const RECIPE_TAG: &str = "skiff:recipe";
/// The tag that names who launched a machine (the caller's ARN).
pub const LAUNCHED_BY_TAG: &str = "skiff:launched-by";
/// Every deadline schedule's name starts with this (in skiff's group).
pub const DEADLINE_PREFIX: &str = "skiff-until-";

/// AMI aliases and the public SSM parameters that hold their current id
/// (x86_64), as AWS publishes them.
pub const ALIASES: &[(&str, &str)] = &[
    (
        "al2023",
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64",
    ),
    (
        "al2023-arm64",
        "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-arm64",
    ),
    (
        "ubuntu-24.04",
        "/aws/service/canonical/ubuntu/server/24.04/stable/current/amd64/hvm/ebs-gp3/ami-id",
    ),
    (
        "ubuntu-22.04",
        "/aws/service/canonical/ubuntu/server/22.04/stable/current/amd64/hvm/ebs-gp2/ami-id",
    ),
    (
        "dlami-gpu",
        "/aws/service/deeplearning/ami/x86_64/base-oss-nvidia-driver-gpu-ubuntu-22.04/latest/ami-id",
    ),
];

/// The public parameter of an alias (None: not an alias).
pub fn alias_parameter(alias: &str) -> Option<&'static str> {
    ALIASES
        .iter()
        .find(|(a, _)| a.eq_ignore_ascii_case(alias))
        .map(|(_, p)| *p)
}

/// Where the machine's image and settings come from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case", tag = "kind", content = "value")]
pub enum Source {
    /// An AMI id (`ami-…`) or an alias ([`ALIASES`]).
    Ami(String),
    /// A launch template by name or id, with a version (None: its default).
    Template {
        name: String,
        version: Option<String>,
    },
    /// The AMI, type, subnet, key and groups of an existing instance.
    Like(String),
}

impl Source {
    /// `LT[:VERSION]` as typed.
    pub fn template(text: &str) -> Self {
        match text.rsplit_once(':') {
            Some((name, version)) if !name.is_empty() && !version.is_empty() => Self::Template {
                name: name.to_string(),
                version: Some(version.to_string()),
            },
            _ => Self::Template {
                name: text.to_string(),
                version: None,
            },
        }
    }
}

/// Whether to ask for spot capacity.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Spot {
    /// On demand.
    #[default]
    No,
    /// Spot only: no spot capacity is an error.
    Yes,
    /// Spot, falling back to on demand when there is none.
    Prefer,
}

impl Spot {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "" | "no" | "false" | "off" => Ok(Self::No),
            "yes" | "true" | "on" => Ok(Self::Yes),
            "prefer" => Ok(Self::Prefer),
            other => Err(format!(
                "spot is yes, no or prefer (spot, falling back to on demand), not `{other}`"
            )),
        }
    }
}

/// What the deadline does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum Then {
    #[default]
    Stop,
    Terminate,
}

impl Then {
    pub fn parse(text: &str) -> Result<Self, String> {
        match text.to_ascii_lowercase().as_str() {
            "" | "stop" => Ok(Self::Stop),
            "terminate" => Ok(Self::Terminate),
            other => Err(format!("--then is stop or terminate, not `{other}`")),
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Stop => "stop",
            Self::Terminate => "terminate",
        }
    }

    /// The EC2 API the scheduler's universal target calls.
    pub fn target_arn(self) -> &'static str {
        match self {
            Self::Stop => "arn:aws:scheduler:::aws-sdk:ec2:stopInstances",
            Self::Terminate => "arn:aws:scheduler:::aws-sdk:ec2:terminateInstances",
        }
    }
}

/// The node of a Spark cluster a launch makes (None: a lone machine).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Membership {
    pub cluster: String,
    /// `master` or `worker`.
    pub role: String,
}

/// Everything a launch asks for, settled from a recipe and the flags.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Spec {
    /// The Name tag.
    pub name: String,
    pub source: Source,
    /// Instance types, in order of preference (empty: the template's or
    /// the `--like` instance's).
    pub types: Vec<String>,
    pub count: i32,
    pub subnets: Vec<String>,
    pub key: Option<String>,
    pub security_groups: Vec<String>,
    pub disk_gb: Option<i32>,
    pub spot: Spot,
    /// The idle alarm (None: `off`).
    #[serde(with = "humantime_opt")]
    pub idle: Option<Duration>,
    /// Stop or terminate after this long (None: no deadline).
    #[serde(with = "humantime_opt")]
    pub deadline: Option<Duration>,
    pub then: Then,
    pub tunnels: Vec<String>,
    pub post_start_commands: Vec<String>,
    pub recipe: Option<String>,
    pub member: Option<Membership>,
}

/// The idle rule a launched machine gets unless told otherwise.
pub const DEFAULT_IDLE: Duration = Duration::from_secs(3600);

mod humantime_opt {
    use std::time::Duration;

    pub fn serialize<S: serde::Serializer>(d: &Option<Duration>, s: S) -> Result<S::Ok, S::Error> {
        match d {
            Some(d) => s.serialize_str(&humantime::format_duration(*d).to_string()),
            None => s.serialize_none(),
        }
    }
}

/// A duration as typed (`4h`, `90m`), or `off` (None).
pub fn duration_or_off(text: &str, what: &str) -> Result<Option<Duration>, String> {
    let t = text.trim();
    if t.eq_ignore_ascii_case("off") || t.eq_ignore_ascii_case("none") {
        return Ok(None);
    }
    let d = humantime::parse_duration(t)
        .map_err(|e| format!("{what}: `{t}` is not a duration like 1h or 90m, or off ({e})"))?;
    if d < Duration::from_secs(60) {
        return Err(format!("{what}: {t} is under a minute"));
    }
    Ok(Some(d))
}

/// What the command line gives beside a recipe; each overrides the
/// recipe's value when set.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Overrides {
    pub source: Option<Source>,
    pub types: Vec<String>,
    pub count: Option<i32>,
    pub subnets: Vec<String>,
    pub key: Option<String>,
    pub security_groups: Vec<String>,
    pub disk_gb: Option<i32>,
    pub spot: Option<Spot>,
    pub idle: Option<String>,
    pub deadline: Option<String>,
    pub then: Option<Then>,
    pub tunnels: Vec<String>,
}

/// The spec of a launch named `name`, from `recipe` (its name and value,
/// if any) with `o` over it.
pub fn settle(name: &str, recipe: Option<(&str, &Recipe)>, o: Overrides) -> Result<Spec, String> {
    let r = recipe.map(|(_, r)| r.clone()).unwrap_or_default();
    let source = match o.source {
        Some(s) => s,
        None => match (&r.ami, &r.template) {
            (Some(_), Some(_)) => {
                return Err("a recipe names an ami or a template, not both".into());
            }
            (Some(a), None) => Source::Ami(a.clone()),
            (None, Some(t)) => Source::template(t),
            (None, None) => {
                return Err(
                    "nothing to launch from: give --recipe, --template, --ami with --type, or --like (or name a recipe: `skiff recipes` lists them)"
                        .into(),
                );
            }
        },
    };
    let types = if o.types.is_empty() { r.types } else { o.types };
    if matches!(source, Source::Ami(_)) && types.is_empty() {
        return Err("--ami needs --type (one or more, in order of preference)".into());
    }
    let count = o.count.or(r.count).unwrap_or(1);
    if !(1..=100).contains(&count) {
        return Err(format!("--count is 1 to 100, not {count}"));
    }
    let idle = match o.idle.or(r.idle) {
        Some(text) => duration_or_off(&text, "idle")?,
        None => Some(DEFAULT_IDLE),
    };
    let deadline = match o.deadline.or(r.deadline) {
        Some(text) => duration_or_off(&text, "deadline")?,
        None => None,
    };
    let then = match o.then {
        Some(t) => t,
        None => Then::parse(r.then.as_deref().unwrap_or(""))?,
    };
    let spot = match o.spot {
        Some(s) => s,
        None => Spot::parse(r.spot.as_deref().unwrap_or(""))?,
    };
    let disk_gb = o.disk_gb.or(r.disk_gb);
    if let Some(gb) = disk_gb
        && !(8..=16_384).contains(&gb)
    {
        return Err(format!("--disk is 8 to 16384 GB, not {gb}"));
    }
    let pick =
        |given: Vec<String>, recipe: Vec<String>| if given.is_empty() { recipe } else { given };
    Ok(Spec {
        name: name.to_string(),
        source,
        types,
        count,
        subnets: pick(o.subnets, r.subnets),
        key: o.key.or(r.key),
        security_groups: pick(o.security_groups, r.security_groups),
        disk_gb,
        spot,
        idle,
        deadline,
        then,
        tunnels: pick(o.tunnels, r.tunnels),
        post_start_commands: r.post_start_commands,
        recipe: recipe.map(|(n, _)| n.to_string()),
        member: None,
    })
}

/// One try at capacity: a type (None: the template's), a subnet (None:
/// the default), spot or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Attempt {
    pub instance_type: Option<String>,
    pub subnet: Option<String>,
    pub spot: bool,
}

/// The tries in order: each type in each subnet (so the zones are tried
/// before a less wanted type), spot first; with `Spot::Prefer` the same
/// again on demand.
pub fn attempts(spec: &Spec) -> Vec<Attempt> {
    let types: Vec<Option<String>> = if spec.types.is_empty() {
        vec![None]
    } else {
        spec.types.iter().cloned().map(Some).collect()
    };
    let subnets: Vec<Option<String>> = if spec.subnets.is_empty() {
        vec![None]
    } else {
        spec.subnets.iter().cloned().map(Some).collect()
    };
    let markets: &[bool] = match spec.spot {
        Spot::No => &[false],
        Spot::Yes => &[true],
        Spot::Prefer => &[true, false],
    };
    let mut out = Vec::new();
    for &spot in markets {
        for t in &types {
            for s in &subnets {
                out.push(Attempt {
                    instance_type: t.clone(),
                    subnet: s.clone(),
                    spot,
                });
            }
        }
    }
    out
}

/// Whether an error code means "no capacity of this kind here now": the
/// next attempt may succeed.
pub fn is_capacity_error(code: &str) -> bool {
    matches!(
        code,
        "InsufficientInstanceCapacity"
            | "SpotMaxPriceTooLow"
            | "MaxSpotInstanceCountExceeded"
            | "InsufficientCapacity"
            | "Unsupported"
    )
}

/// The tags of every launched machine and its volumes.
pub fn tags(spec: &Spec, launched_by: &str, cluster_tags: (&str, &str)) -> Vec<(String, String)> {
    let mut out = vec![
        ("Name".to_string(), spec.name.clone()),
        (LAUNCHED_BY_TAG.to_string(), launched_by.to_string()),
    ];
    if let Some(r) = &spec.recipe {
        out.push((RECIPE_TAG.to_string(), r.clone()));
    }
    if let Some(m) = &spec.member {
        out.push((cluster_tags.0.to_string(), m.cluster.clone()));
        out.push((cluster_tags.1.to_string(), m.role.clone()));
    }
    out
}

/// The deadline's schedule name for the machines of `target` whose first
/// is `first_id` (unique: a second launch of the same name has its own).
pub fn deadline_name(target: &str, first_id: &str) -> String {
    let room = 64 - DEADLINE_PREFIX.len() - first_id.len() - 1;
    let safe: String = target
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .take(room)
        .collect();
    format!("{DEADLINE_PREFIX}{safe}-{first_id}")
}

/// The target a deadline's schedule name is for.
pub fn deadline_target(name: &str) -> Option<&str> {
    let rest = name.strip_prefix(DEADLINE_PREFIX)?;
    Some(rest.rsplit_once("-i-").map_or(rest, |(t, _)| t))
}

/// The one-time schedule expression for `now + after` (UTC, whole seconds).
pub fn deadline_expression(now: DateTime<Utc>, after: Duration) -> (DateTime<Utc>, String) {
    let at =
        now + chrono::Duration::seconds(i64::try_from(after.as_secs()).unwrap_or(i64::MAX / 2));
    (at, format!("at({})", at.format("%Y-%m-%dT%H:%M:%S")))
}

/// When an `at()` expression runs (UTC), if it is one.
pub fn deadline_of(expression: &str) -> Option<DateTime<Utc>> {
    let inner = expression.strip_prefix("at(")?.strip_suffix(')')?;
    chrono::NaiveDateTime::parse_from_str(inner, "%Y-%m-%dT%H:%M:%S")
        .ok()
        .map(|t| t.and_utc())
}

#[cfg(test)]
mod tests;
