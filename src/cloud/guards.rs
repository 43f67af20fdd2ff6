//! Reads of the guards skiff made: its CloudWatch idle alarms, its
//! EventBridge Scheduler schedules, and the IAM role the schedules use.

use aws_smithy_types::error::metadata::ProvideErrorMetadata;
use serde::Serialize;

use super::{CloudError, Session};
use crate::guard::{ALARM_PREFIX, ROLE_NAME, ROLE_POLICY, SCHEDULE_GROUP};

/// One idle alarm skiff made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdleAlarm {
    pub name: String,
    pub region: String,
    pub instance_id: String,
    /// CPU % under which the instance counts as idle.
    pub threshold: f64,
    /// Seconds the CPU must stay under it.
    pub after_secs: u64,
    /// The network threshold (bytes in + out per period) of a metric-math
    /// alarm; None for CPU alone.
    pub net_below: Option<u64>,
    /// OK, ALARM or INSUFFICIENT_DATA.
    pub state: String,
    /// What the alarm does (the EC2 stop action).
    pub actions: Vec<String>,
}

/// One schedule in skiff's group.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Schedule {
    pub name: String,
    pub region: String,
    pub expression: String,
    pub timezone: String,
    /// ENABLED or DISABLED.
    pub state: String,
    /// The API the universal target calls.
    pub target_arn: String,
    /// The call's parameters (JSON: InstanceIds, Hibernate).
    pub input: String,
    pub role_arn: String,
}

impl Schedule {
    /// The instances its input names.
    pub fn instance_ids(&self) -> Vec<String> {
        serde_json::from_str::<serde_json::Value>(&self.input)
            .ok()
            .and_then(|v| {
                v["InstanceIds"].as_array().map(|a| {
                    a.iter()
                        .filter_map(|i| i.as_str().map(str::to_string))
                        .collect()
                })
            })
            .unwrap_or_default()
    }

    /// Whether it stops with hibernation.
    pub fn hibernates(&self) -> bool {
        serde_json::from_str::<serde_json::Value>(&self.input)
            .is_ok_and(|v| v["Hibernate"] == serde_json::json!(true))
    }
}

/// skiff's idle alarms in `region`.
pub async fn idle_alarms(session: &Session, region: &str) -> Result<Vec<IdleAlarm>, CloudError> {
    let client = session.cloudwatch(region);
    let mut pages = client
        .describe_alarms()
        .alarm_name_prefix(ALARM_PREFIX)
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| session.page_error("cloudwatch", region, &e))?;
        out.extend(page.metric_alarms().iter().map(|a| idle_alarm(a, region)));
    }
    Ok(out)
}

/// One alarm skiff made, CPU alone or CPU and network (metric math: the
/// instance and period are on its CPU query, the thresholds in its
/// expression).
fn idle_alarm(a: &aws_sdk_cloudwatch::types::MetricAlarm, region: &str) -> IdleAlarm {
    let cpu_query = a
        .metrics()
        .iter()
        .find(|q| q.id() == Some("cpu"))
        .and_then(|q| q.metric_stat());
    let expression = a
        .metrics()
        .iter()
        .find_map(|q| q.expression())
        .and_then(crate::guard::parse_idle_expression);
    let dimensions = match cpu_query.and_then(|s| s.metric()) {
        Some(m) => m.dimensions(),
        None => a.dimensions(),
    };
    let instance_id = dimensions
        .iter()
        .find(|d| d.name() == Some("InstanceId"))
        .and_then(|d| d.value())
        .unwrap_or_default()
        .to_string();
    let period = cpu_query
        .and_then(|s| s.period())
        .or(a.period())
        .unwrap_or(0);
    let period = u64::try_from(period).unwrap_or(0);
    let periods = u64::try_from(a.evaluation_periods().unwrap_or(0)).unwrap_or(0);
    IdleAlarm {
        name: a.alarm_name().unwrap_or_default().to_string(),
        region: region.to_string(),
        instance_id,
        threshold: expression.map_or_else(|| a.threshold().unwrap_or(0.0), |(cpu, _)| cpu),
        after_secs: period * periods,
        net_below: expression.map(|(_, net)| net),
        state: a
            .state_value()
            .map(|s| s.as_str().to_string())
            .unwrap_or_default(),
        actions: a.alarm_actions().to_vec(),
    }
}

/// The schedules in skiff's group in `region` (none when the group does
/// not exist yet).
pub async fn schedules(session: &Session, region: &str) -> Result<Vec<Schedule>, CloudError> {
    let client = session.scheduler(region);
    let mut names = Vec::new();
    let mut pages = client
        .list_schedules()
        .group_name(SCHEDULE_GROUP)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        match page {
            Ok(p) => names.extend(
                p.schedules()
                    .iter()
                    .filter_map(|s| s.name().map(str::to_string)),
            ),
            Err(e) if e.code() == Some("ResourceNotFoundException") => return Ok(Vec::new()),
            Err(e) => return Err(session.page_error("scheduler", region, &e)),
        }
    }
    let mut out = Vec::new();
    for name in names {
        let s = client
            .get_schedule()
            .group_name(SCHEDULE_GROUP)
            .name(&name)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("scheduler", region, &e))?;
        let target = s.target();
        out.push(Schedule {
            name,
            region: region.to_string(),
            expression: s.schedule_expression().unwrap_or_default().to_string(),
            timezone: s
                .schedule_expression_timezone()
                .unwrap_or("UTC")
                .to_string(),
            state: s
                .state()
                .map(|st| st.as_str().to_string())
                .unwrap_or_default(),
            target_arn: target.map(|t| t.arn().to_string()).unwrap_or_default(),
            input: target
                .and_then(|t| t.input())
                .unwrap_or_default()
                .to_string(),
            role_arn: target.map(|t| t.role_arn().to_string()).unwrap_or_default(),
        });
    }
    out.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(out)
}

/// Whether the schedule group `name` exists in `region`.
pub async fn schedule_group_exists(
    session: &Session,
    region: &str,
    name: &str,
) -> Result<bool, CloudError> {
    match session
        .scheduler(region)
        .get_schedule_group()
        .name(name)
        .send()
        .await
    {
        Ok(_) => Ok(true),
        Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(false),
        Err(e) => Err(CloudError::from_sdk("scheduler", region, &e)),
    }
}

/// skiff's scheduler role: its ARN and its permission policy, if it exists.
pub async fn scheduler_role(
    session: &Session,
) -> Result<Option<(String, Option<String>)>, CloudError> {
    let iam = session.iam();
    let role = match iam.get_role().role_name(ROLE_NAME).send().await {
        Ok(r) => r,
        Err(e) if e.code() == Some("NoSuchEntity") => return Ok(None),
        Err(e) => return Err(CloudError::from_sdk("iam", "", &e)),
    };
    let arn = role.role().map(|r| r.arn().to_string()).unwrap_or_default();
    let policy = match iam
        .get_role_policy()
        .role_name(ROLE_NAME)
        .policy_name(ROLE_POLICY)
        .send()
        .await
    {
        Ok(p) => Some(decode_policy(p.policy_document())),
        Err(e) if e.code() == Some("NoSuchEntity") => None,
        Err(e) => return Err(CloudError::from_sdk("iam", "", &e)),
    };
    Ok(Some((arn, policy)))
}

/// IAM returns policy documents URL-encoded (RFC 3986).
fn decode_policy(doc: &str) -> String {
    percent_encoding::percent_decode_str(doc)
        .decode_utf8()
        .map_or_else(|_| doc.to_string(), |d| d.into_owned())
}
