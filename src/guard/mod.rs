//! Guards: what stops idle or forgotten machines while skiff is closed —
//! CloudWatch alarms with the EC2 stop action, EventBridge Scheduler
//! schedules that call EC2 directly, and the IAM role the scheduler needs.
//! Pure: names, rules, cron expressions, policy documents. The calls are in
//! `cloud` (reads) and `cloud::actions` (writes, behind the gate).

pub mod schedule;

use std::time::Duration;

use serde::Serialize;

pub use schedule::{At, Days};

/// Where skiff keeps its schedules.
pub const SCHEDULE_GROUP: &str = "skiff";
/// The role EventBridge Scheduler assumes to start and stop instances.
pub const ROLE_NAME: &str = "skiff-scheduler";
/// The role's one inline policy.
pub const ROLE_POLICY: &str = "skiff-start-stop-guarded-instances";
/// Every alarm skiff makes starts with this.
pub const ALARM_PREFIX: &str = "skiff-idle-";
/// Minutes between the master's and the workers' runs of a cluster.
pub const WORKERS_AFTER_MINUTES: u32 = 5;
/// The threshold an idle guard uses unless told otherwise (% CPU).
pub const DEFAULT_CPU_BELOW: f64 = 5.0;

/// A name AWS accepts for a schedule: letters, digits, `-`, `_`, `.`.
fn safe(text: &str) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.') {
                c
            } else {
                '-'
            }
        })
        .collect()
}

/// The idle alarm of one instance of `target`.
pub fn alarm_name(target: &str, instance_id: &str) -> String {
    format!("{ALARM_PREFIX}{target}-{instance_id}")
}

/// The target and instance an alarm skiff made is for.
pub fn alarm_target(name: &str) -> Option<(&str, &str)> {
    let rest = name.strip_prefix(ALARM_PREFIX)?;
    let (target, id) = rest.rsplit_once("-i-")?;
    Some((target, &name[name.len() - id.len() - 2..]))
}

/// What a schedule does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Start,
    Stop,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
        }
    }

    /// The EC2 API the universal target calls.
    pub fn target_arn(self) -> &'static str {
        match self {
            Self::Start => "arn:aws:scheduler:::aws-sdk:ec2:startInstances",
            Self::Stop => "arn:aws:scheduler:::aws-sdk:ec2:stopInstances",
        }
    }
}

/// Which nodes of a target a schedule moves.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Part {
    /// A lone instance, or every node at once.
    All,
    Master,
    Workers,
}

/// One schedule skiff makes: its action and part of a target.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ScheduleKey {
    pub target: String,
    pub action: Action,
    pub part: Part,
}

impl ScheduleKey {
    /// Its name in skiff's schedule group (at most 64 characters).
    pub fn name(&self) -> String {
        let part = match self.part {
            Part::All => "",
            Part::Master => "-master",
            Part::Workers => "-workers",
        };
        let head = format!("skiff-{}-", self.action.as_str());
        let room = 64 - head.len() - part.len();
        let target: String = safe(&self.target).chars().take(room).collect();
        format!("{head}{target}{part}")
    }

    /// The key of a schedule skiff named (None for others).
    pub fn parse(name: &str) -> Option<Self> {
        let rest = name.strip_prefix("skiff-")?;
        let (action, rest) = if let Some(r) = rest.strip_prefix("start-") {
            (Action::Start, r)
        } else {
            (Action::Stop, rest.strip_prefix("stop-")?)
        };
        let (target, part) = if let Some(t) = rest.strip_suffix("-master") {
            (t, Part::Master)
        } else if let Some(t) = rest.strip_suffix("-workers") {
            (t, Part::Workers)
        } else {
            (rest, Part::All)
        };
        (!target.is_empty()).then(|| Self {
            target: target.to_string(),
            action,
            part,
        })
    }
}

/// One run of a schedule: which instances, when, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedSchedule {
    pub key: ScheduleKey,
    pub at: At,
    pub instance_ids: Vec<String>,
    /// Stop with hibernation (`--pause`).
    pub hibernate: bool,
}

impl PlannedSchedule {
    /// The input of the universal target: the EC2 call's parameters.
    pub fn input(&self) -> String {
        let mut v = serde_json::json!({ "InstanceIds": self.instance_ids });
        if self.key.action == Action::Stop && self.hibernate {
            v["Hibernate"] = serde_json::json!(true);
        }
        v.to_string()
    }
}

/// What to schedule for a target of one instance, or of a master and its
/// workers: a start runs the master first and the workers
/// [`WORKERS_AFTER_MINUTES`] later, a stop the workers first and the master
/// after them.
pub fn plan_schedules(
    target: &str,
    master: &[String],
    workers: &[String],
    start: Option<At>,
    stop: Option<At>,
    hibernate: bool,
) -> Vec<PlannedSchedule> {
    let mut out = Vec::new();
    let key = |action, part| ScheduleKey {
        target: target.to_string(),
        action,
        part,
    };
    let lone = workers.is_empty() || master.is_empty();
    let all: Vec<String> = master.iter().chain(workers).cloned().collect();
    for (action, at) in [(Action::Start, start), (Action::Stop, stop)] {
        let Some(at) = at else { continue };
        if lone {
            out.push(PlannedSchedule {
                key: key(action, Part::All),
                at,
                instance_ids: all.clone(),
                hibernate,
            });
            continue;
        }
        let later = at.plus_minutes(WORKERS_AFTER_MINUTES);
        let (first, second) = match action {
            Action::Start => ((Part::Master, master), (Part::Workers, workers)),
            Action::Stop => ((Part::Workers, workers), (Part::Master, master)),
        };
        out.push(PlannedSchedule {
            key: key(action, first.0),
            at,
            instance_ids: first.1.to_vec(),
            hibernate,
        });
        out.push(PlannedSchedule {
            key: key(action, second.0),
            at: later,
            instance_ids: second.1.to_vec(),
            hibernate,
        });
    }
    out
}

/// An idle rule: stop when the CPU stays under `cpu_below` % for `after`
/// — and, with `net_below`, the network too (bytes in + out per 5-minute
/// period), so a notebook that moves data is not stopped under its user.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct IdleRule {
    pub after: Duration,
    pub cpu_below: f64,
    pub net_below: Option<u64>,
    /// Terminate instead of stop: AWS cannot stop a one-time spot machine.
    pub terminate: bool,
}

/// The network under which a launched machine counts as idle: 5 MB in and
/// out per 5 minutes (about 17 kB/s).
pub const DEFAULT_NET_BELOW: u64 = 5_000_000;

/// The metric-math expression of an idle rule with a network threshold:
/// 1 in a period where both stay low.
pub fn idle_expression(cpu_below: f64, net_below: u64) -> String {
    format!("IF(cpu < {cpu_below} AND (netin + netout) < {net_below}, 1, 0)")
}

/// The thresholds an [`idle_expression`] holds.
pub fn parse_idle_expression(expression: &str) -> Option<(f64, u64)> {
    let rest = expression.strip_prefix("IF(cpu < ")?;
    let (cpu, rest) = rest.split_once(" AND (netin + netout) < ")?;
    let net = rest.strip_suffix(", 1, 0)")?;
    Some((cpu.trim().parse().ok()?, net.trim().parse().ok()?))
}

/// EC2's basic monitoring sends CPU every 5 minutes: the alarm's period.
pub const IDLE_PERIOD_SECS: u64 = 300;

impl IdleRule {
    /// A rule CloudWatch can carry out: at least one 5-minute period, at
    /// most a day, rounded up to whole periods; a threshold in (0, 100).
    pub fn new(after: Duration, cpu_below: f64) -> Result<Self, String> {
        if !(cpu_below > 0.0 && cpu_below < 100.0) {
            return Err(format!(
                "--cpu-below {cpu_below} is not a percentage between 0 and 100"
            ));
        }
        let secs = after.as_secs();
        if secs < IDLE_PERIOD_SECS {
            return Err(format!(
                "--after {} is too short: EC2 reports CPU every 5 minutes, so an idle guard needs at least 5m",
                humantime::format_duration(after)
            ));
        }
        if secs > 24 * 3600 {
            return Err(format!(
                "--after {} is too long: a CloudWatch alarm looks back at most 24h",
                humantime::format_duration(after)
            ));
        }
        let periods = secs.div_ceil(IDLE_PERIOD_SECS);
        Ok(Self {
            after: Duration::from_secs(periods * IDLE_PERIOD_SECS),
            cpu_below,
            net_below: None,
            terminate: false,
        })
    }

    /// The same rule, terminating instead of stopping (or not).
    pub fn terminating(mut self, on: bool) -> Self {
        self.terminate = on;
        self
    }

    /// The same rule, idle only while the network also stays under
    /// `bytes` per period (None: CPU alone).
    pub fn with_network(mut self, bytes: Option<u64>) -> Self {
        self.net_below = bytes.filter(|b| *b > 0);
        self
    }

    pub fn evaluation_periods(&self) -> i32 {
        i32::try_from(self.after.as_secs() / IDLE_PERIOD_SECS).unwrap_or(i32::MAX)
    }

    /// "idle 45m" (and the threshold when it is not the default).
    pub fn label(&self) -> String {
        let d = humantime::format_duration(self.after)
            .to_string()
            .replace(' ', "");
        let cpu = if (self.cpu_below - DEFAULT_CPU_BELOW).abs() < f64::EPSILON {
            format!("idle {d}")
        } else {
            format!("idle {d} <{}%", self.cpu_below)
        };
        let rule = match self.net_below {
            Some(b) => format!("{cpu} +net<{}", bytesize::ByteSize(b).display().si()),
            None => cpu,
        };
        if self.terminate {
            format!("{rule} → terminate")
        } else {
            rule
        }
    }
}

/// The EC2 stop action CloudWatch alarms can take (they cannot hibernate).
pub fn stop_action(region: &str) -> String {
    format!("arn:aws:automate:{region}:ec2:stop")
}

/// The EC2 terminate action (for spot machines, which cannot be stopped).
pub fn terminate_action(region: &str) -> String {
    format!("arn:aws:automate:{region}:ec2:terminate")
}

/// The trust policy of [`ROLE_NAME`]: EventBridge Scheduler of this
/// account may assume it.
pub fn trust_policy(account: &str) -> String {
    serde_json::to_string_pretty(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": [{
            "Effect": "Allow",
            "Principal": { "Service": "scheduler.amazonaws.com" },
            "Action": "sts:AssumeRole",
            "Condition": { "StringEquals": { "aws:SourceAccount": account } }
        }]
    }))
    .unwrap_or_default()
}

/// The permission policy of [`ROLE_NAME`]: start and stop exactly these
/// instances, (region, id) each, and nothing else.
pub fn permission_policy(account: &str, instances: &[(String, String)]) -> String {
    permission_policy_with(account, instances, &[])
}

/// [`permission_policy`], and terminate exactly `terminating` (machines
/// whose deadline terminates them).
pub fn permission_policy_with(
    account: &str,
    instances: &[(String, String)],
    terminating: &[(String, String)],
) -> String {
    let arns = |list: &[(String, String)]| {
        let mut arns: Vec<String> = list
            .iter()
            .map(|(region, id)| format!("arn:aws:ec2:{region}:{account}:instance/{id}"))
            .collect();
        arns.sort();
        arns.dedup();
        arns
    };
    let mut statements = vec![serde_json::json!({
        "Effect": "Allow",
        "Action": ["ec2:StartInstances", "ec2:StopInstances"],
        "Resource": arns(instances)
    })];
    if !terminating.is_empty() {
        statements.push(serde_json::json!({
            "Effect": "Allow",
            "Action": ["ec2:TerminateInstances"],
            "Resource": arns(terminating)
        }));
    }
    serde_json::to_string_pretty(&serde_json::json!({
        "Version": "2012-10-17",
        "Statement": statements
    }))
    .unwrap_or_default()
}

#[cfg(test)]
mod tests;
