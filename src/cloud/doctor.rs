//! Read-only probes for `skiff doctor`: a region's round trip and the
//! server's clock (its answer's `Date` header), the key pairs whose files
//! skiff would look for, and what IAM's policy simulator says the caller
//! may do — where the caller may ask it.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeDeserializationInterceptorContextRef;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

use super::{CloudError, Session};

/// What probing one region saw.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionProbe {
    pub region: String,
    /// How long EC2 DescribeAvailabilityZones took, when EC2 answered
    /// (also with an error of its own, such as access denied).
    pub rtt: Option<Duration>,
    /// Why nothing answered (None when EC2 answered).
    pub unreachable: Option<String>,
    /// The service's own error, when it answered with one.
    pub refused: Option<String>,
    /// The server's clock minus this machine's, in seconds (its `Date`).
    pub skew_secs: Option<i64>,
}

/// Notes the `Date` header of an answer and when it arrived.
#[derive(Debug, Clone, Default)]
struct DateSeen(Arc<Mutex<Option<(String, SystemTime)>>>);

impl Intercept for DateSeen {
    fn name(&self) -> &'static str {
        "DateSeen"
    }

    fn read_before_deserialization(
        &self,
        context: &BeforeDeserializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        _cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let arrived = SystemTime::now();
        if let Some(date) = context.response().headers().get("date")
            && let Ok(mut seen) = self.0.lock()
        {
            *seen = Some((date.to_string(), arrived));
        }
        Ok(())
    }
}

/// Server time (an HTTP date) minus `local`, in whole seconds.
pub fn skew_of(http_date: &str, local: SystemTime) -> Option<i64> {
    let server = aws_smithy_types::DateTime::from_str(
        http_date.trim(),
        aws_smithy_types::date_time::Format::HttpDate,
    )
    .ok()?;
    let local = local.duration_since(SystemTime::UNIX_EPOCH).ok()?;
    let local = i64::try_from(local.as_secs()).ok()?;
    Some(server.secs() - local)
}

/// Asks EC2 in `region` for its availability zones, timed; notes the
/// clock of the answer.
pub async fn probe_region(session: &Session, region: &str) -> RegionProbe {
    let seen = DateSeen::default();
    let started = Instant::now();
    let result = session
        .ec2(region)
        .describe_availability_zones()
        .customize()
        .interceptor(seen.clone())
        .send()
        .await;
    let elapsed = started.elapsed();
    let skew_secs = seen
        .0
        .lock()
        .ok()
        .and_then(|s| s.clone())
        .and_then(|(date, at)| skew_of(&date, at));
    let mut probe = RegionProbe {
        region: region.to_string(),
        rtt: Some(elapsed),
        unreachable: None,
        refused: None,
        skew_secs,
    };
    if let Err(e) = result {
        let words = CloudError::from_sdk("ec2", region, &e).to_string();
        if matches!(e, SdkError::ServiceError(_)) {
            probe.refused = Some(words);
        } else {
            probe.rtt = None;
            probe.unreachable = Some(words);
        }
    }
    probe
}

/// The names of the key pairs in `region` (EC2 DescribeKeyPairs): skiff
/// looks for `~/.ssh/NAME.pem` or `~/.ssh/NAME` for instances using them.
pub async fn key_pair_names(session: &Session, region: &str) -> Result<Vec<String>, CloudError> {
    let out = session
        .ec2(region)
        .describe_key_pairs()
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("ec2", region, &e))?;
    Ok(out
        .key_pairs
        .unwrap_or_default()
        .into_iter()
        .filter_map(|k| k.key_name)
        .collect())
}

/// The actions skiff's commands use, asked of the policy simulator.
pub const ACTIONS: &[&str] = &[
    "sts:GetCallerIdentity",
    "ec2:DescribeInstances",
    "ec2:DescribeRegions",
    "ec2:StartInstances",
    "ec2:StopInstances",
    "ec2:RunInstances",
    "ec2:TerminateInstances",
    "ec2:CreateTags",
    "elasticmapreduce:ListClusters",
    "elasticmapreduce:DescribeCluster",
    "s3:ListAllMyBuckets",
    "s3:ListBucket",
    "s3:GetObject",
    "s3:PutObject",
    "cloudwatch:PutMetricAlarm",
    "scheduler:CreateSchedule",
    "pricing:GetProducts",
    "ec2-instance-connect:SendSSHPublicKey",
    "ssm:StartSession",
];

/// What the policy simulator said.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Permissions {
    /// Every action in [`ACTIONS`] is allowed.
    Allowed(usize),
    /// These are not.
    Denied(Vec<String>),
    /// The simulator could not be asked (why): nothing is guessed.
    NotChecked(String),
}

/// The principal to simulate for a caller: a user as it is, an assumed
/// role as its role (None for the root user and federated callers).
pub fn policy_source(caller_arn: &str) -> Option<String> {
    let mut parts = caller_arn.splitn(6, ':');
    let (arn, partition, service, _, account, resource) = (
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
        parts.next()?,
    );
    if arn != "arn" {
        return None;
    }
    match service {
        "iam" if resource.starts_with("user/") || resource.starts_with("role/") => {
            Some(caller_arn.to_string())
        }
        "sts" => {
            let role = resource.strip_prefix("assumed-role/")?.split('/').next()?;
            Some(format!("arn:{partition}:iam::{account}:role/{role}"))
        }
        _ => None,
    }
}

/// Asks IAM's policy simulator whether the caller may do [`ACTIONS`].
pub async fn simulate(session: &Session, caller_arn: &str) -> Permissions {
    let Some(source) = policy_source(caller_arn) else {
        return Permissions::NotChecked(format!(
            "the policy simulator simulates users and roles, not {caller_arn}"
        ));
    };
    let answer = session
        .iam_simulator()
        .simulate_principal_policy()
        .policy_source_arn(&source)
        .set_action_names(Some(ACTIONS.iter().map(|a| (*a).to_string()).collect()))
        .send()
        .await;
    match answer {
        Ok(out) => {
            let results = out.evaluation_results();
            if results.is_empty() {
                return Permissions::NotChecked("the policy simulator answered nothing".into());
            }
            let denied: Vec<String> = results
                .iter()
                .filter(|r| {
                    *r.eval_decision() != aws_sdk_iam::types::PolicyEvaluationDecisionType::Allowed
                })
                .map(|r| r.eval_action_name().to_string())
                .collect();
            if denied.is_empty() {
                Permissions::Allowed(results.len())
            } else {
                Permissions::Denied(denied)
            }
        }
        Err(e) => Permissions::NotChecked(format!(
            "iam:SimulatePrincipalPolicy could not be used: {}",
            CloudError::from_sdk("iam", "", &e)
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn callers_become_the_principal_to_simulate() {
        assert_eq!(
            policy_source("arn:aws:iam::123456789012:user/ana").as_deref(),
            Some("arn:aws:iam::123456789012:user/ana")
        );
        assert_eq!(
            policy_source("arn:aws:sts::123456789012:assumed-role/Lab/ana@x").as_deref(),
            Some("arn:aws:iam::123456789012:role/Lab")
        );
        assert_eq!(policy_source("arn:aws:iam::123456789012:root"), None);
        assert_eq!(
            policy_source("arn:aws:sts::123456789012:federated-user/ana"),
            None
        );
    }

    #[test]
    fn skew_is_the_server_minus_this_machine() {
        let local = SystemTime::UNIX_EPOCH + Duration::from_secs(784_111_777);
        assert_eq!(skew_of("Sun, 06 Nov 1994 08:49:37 GMT", local), Some(0));
        let behind = local - Duration::from_secs(600);
        assert_eq!(skew_of("Sun, 06 Nov 1994 08:49:37 GMT", behind), Some(600));
        assert_eq!(skew_of("yesterday", local), None);
    }
}
