//! Guard writes: CloudWatch idle alarms with the EC2 stop action,
//! EventBridge Scheduler schedules (and skiff's group), the IAM role they
//! assume — each behind the gate (none of these services has a dry run, so
//! a dry run sends nothing).

use aws_sdk_scheduler::types::{FlexibleTimeWindow, FlexibleTimeWindowMode, ScheduleState, Target};
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{Actions, Done};
use crate::cloud::CloudError;
use crate::guard::{
    IDLE_PERIOD_SECS, IdleRule, PlannedSchedule, ROLE_NAME, ROLE_POLICY, SCHEDULE_GROUP,
    stop_action,
};

/// The metric math of an idle rule with a network threshold: CPU average,
/// network in and out summed per period, and the expression that is 1
/// where both stay low (the one series the alarm watches).
fn idle_queries(
    instance_id: &str,
    cpu_below: f64,
    net_below: u64,
) -> Vec<aws_sdk_cloudwatch::types::MetricDataQuery> {
    use aws_sdk_cloudwatch::types::{Dimension, Metric, MetricDataQuery, MetricStat};
    let period = i32::try_from(IDLE_PERIOD_SECS).unwrap_or(300);
    let stat = |id: &str, metric: &str, stat: &str| {
        MetricDataQuery::builder()
            .id(id)
            .metric_stat(
                MetricStat::builder()
                    .metric(
                        Metric::builder()
                            .namespace("AWS/EC2")
                            .metric_name(metric)
                            .dimensions(
                                Dimension::builder()
                                    .name("InstanceId")
                                    .value(instance_id)
                                    .build(),
                            )
                            .build(),
                    )
                    .period(period)
                    .stat(stat)
                    .build(),
            )
            .return_data(false)
            .build()
    };
    vec![
        stat("cpu", "CPUUtilization", "Average"),
        stat("netin", "NetworkIn", "Sum"),
        stat("netout", "NetworkOut", "Sum"),
        MetricDataQuery::builder()
            .id("idle")
            .expression(crate::guard::idle_expression(cpu_below, net_below))
            .label("idle (CPU and network low)")
            .return_data(true)
            .build(),
    ]
}

impl Actions {
    /// Checks the gate for `what`; Ok(false) when dry-running (nothing is
    /// to be sent).
    pub(super) fn may(
        &self,
        service: &'static str,
        region: &str,
        what: &str,
    ) -> Result<bool, CloudError> {
        self.gate.check(service, region, what)?;
        Ok(!self.gate.dry_run)
    }

    /// The idle alarm of one instance: CPU under the rule's threshold for
    /// its whole duration stops the instance.
    pub async fn put_idle_alarm(
        &self,
        region: &str,
        name: &str,
        instance_id: &str,
        rule: &IdleRule,
        description: &str,
    ) -> Result<Done, CloudError> {
        use aws_sdk_cloudwatch::types::{ComparisonOperator, Dimension, Statistic};
        if !self.may("cloudwatch", region, &format!("create the alarm {name}"))? {
            return Ok(Done::NotSent);
        }
        let base = self
            .session
            .cloudwatch_writer(region)
            .put_metric_alarm()
            .alarm_name(name)
            .alarm_description(description)
            .evaluation_periods(rule.evaluation_periods())
            .datapoints_to_alarm(rule.evaluation_periods())
            // A stopped instance sends nothing: that is not idleness.
            .treat_missing_data("missing")
            .alarm_actions(if rule.terminate {
                crate::guard::terminate_action(region)
            } else {
                stop_action(region)
            })
            .actions_enabled(true);
        let req = match rule.net_below {
            Some(bytes) => {
                let mut req = base
                    .threshold(1.0)
                    .comparison_operator(ComparisonOperator::GreaterThanOrEqualToThreshold);
                for q in idle_queries(instance_id, rule.cpu_below, bytes) {
                    req = req.metrics(q);
                }
                req
            }
            None => base
                .namespace("AWS/EC2")
                .metric_name("CPUUtilization")
                .dimensions(
                    Dimension::builder()
                        .name("InstanceId")
                        .value(instance_id)
                        .build(),
                )
                .statistic(Statistic::Average)
                .period(i32::try_from(IDLE_PERIOD_SECS).unwrap_or(300))
                .threshold(rule.cpu_below)
                .comparison_operator(ComparisonOperator::LessThanThreshold),
        };
        req.send()
            .await
            .map_err(|e| CloudError::from_sdk("cloudwatch", region, &e))?;
        Ok(Done::Sent)
    }

    pub async fn delete_alarms(&self, region: &str, names: &[String]) -> Result<Done, CloudError> {
        if names.is_empty() {
            return Ok(Done::Sent);
        }
        if !self.may(
            "cloudwatch",
            region,
            &format!("delete the alarms {}", names.join(", ")),
        )? {
            return Ok(Done::NotSent);
        }
        self.session
            .cloudwatch_writer(region)
            .delete_alarms()
            .set_alarm_names(Some(names.to_vec()))
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("cloudwatch", region, &e))?;
        Ok(Done::Sent)
    }

    /// skiff's schedule group in `region`, made only if it is not there:
    /// CreateScheduleGroup on a group that exists is refused by AWS
    /// (ConflictException) and replaces it, schedules and all, in the
    /// emulator, so it is asked for first (a read, allowed read-only too).
    pub async fn ensure_schedule_group(&self, region: &str) -> Result<Done, CloudError> {
        if crate::cloud::guards::schedule_group_exists(&self.session, region, SCHEDULE_GROUP)
            .await?
        {
            return Ok(Done::Sent);
        }
        if !self.may(
            "scheduler",
            region,
            &format!("create the schedule group {SCHEDULE_GROUP}"),
        )? {
            return Ok(Done::NotSent);
        }
        match self
            .session
            .scheduler_writer(region)
            .create_schedule_group()
            .name(SCHEDULE_GROUP)
            .send()
            .await
        {
            Ok(_) => Ok(Done::Sent),
            Err(e) if e.code() == Some("ConflictException") => Ok(Done::Sent),
            Err(e) => Err(CloudError::from_sdk("scheduler", region, &e)),
        }
    }

    /// Creates the schedule, or replaces one of the same name.
    pub async fn put_schedule(
        &self,
        region: &str,
        planned: &PlannedSchedule,
        timezone: &str,
        role_arn: &str,
        description: &str,
    ) -> Result<Done, CloudError> {
        let name = planned.key.name();
        if !self.may("scheduler", region, &format!("create the schedule {name}"))? {
            return Ok(Done::NotSent);
        }
        let bad = |e: aws_smithy_types::error::operation::BuildError| {
            CloudError::new("scheduler", region, format!("schedule {name}: {e}"))
        };
        let target = Target::builder()
            .arn(planned.key.action.target_arn())
            .role_arn(role_arn)
            .input(planned.input())
            .build()
            .map_err(bad)?;
        let window = FlexibleTimeWindow::builder()
            .mode(FlexibleTimeWindowMode::Off)
            .build()
            .map_err(bad)?;
        let client = self.session.scheduler_writer(region);
        let created = client
            .create_schedule()
            .group_name(SCHEDULE_GROUP)
            .name(&name)
            .description(description)
            .schedule_expression(planned.at.cron())
            .schedule_expression_timezone(timezone)
            .state(ScheduleState::Enabled)
            .target(target.clone())
            .flexible_time_window(window.clone())
            .send()
            .await;
        match created {
            Ok(_) => Ok(Done::Sent),
            Err(e) if e.code() == Some("ConflictException") => {
                client
                    .update_schedule()
                    .group_name(SCHEDULE_GROUP)
                    .name(&name)
                    .description(description)
                    .schedule_expression(planned.at.cron())
                    .schedule_expression_timezone(timezone)
                    .state(ScheduleState::Enabled)
                    .target(target)
                    .flexible_time_window(window)
                    .send()
                    .await
                    .map_err(|e| CloudError::from_sdk("scheduler", region, &e))?;
                Ok(Done::Sent)
            }
            Err(e) => Err(CloudError::from_sdk("scheduler", region, &e)),
        }
    }

    pub async fn delete_schedule(&self, region: &str, name: &str) -> Result<Done, CloudError> {
        if !self.may("scheduler", region, &format!("delete the schedule {name}"))? {
            return Ok(Done::NotSent);
        }
        match self
            .session
            .scheduler_writer(region)
            .delete_schedule()
            .group_name(SCHEDULE_GROUP)
            .name(name)
            .send()
            .await
        {
            Ok(_) => Ok(Done::Sent),
            Err(e) if e.code() == Some("ResourceNotFoundException") => Ok(Done::Sent),
            Err(e) => Err(CloudError::from_sdk("scheduler", region, &e)),
        }
    }

    /// Creates skiff's scheduler role with `trust`; its ARN.
    pub async fn create_scheduler_role(&self, trust: &str) -> Result<Option<String>, CloudError> {
        if !self.may("iam", "", &format!("create the IAM role {ROLE_NAME}"))? {
            return Ok(None);
        }
        let out = self
            .session
            .iam_writer()
            .create_role()
            .role_name(ROLE_NAME)
            .description("Lets EventBridge Scheduler start and stop the instances skiff guards")
            .assume_role_policy_document(trust)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("iam", "", &e))?;
        Ok(out.role().map(|r| r.arn().to_string()))
    }

    /// Sets the role's one inline policy to `policy`.
    pub async fn put_scheduler_policy(&self, policy: &str) -> Result<Done, CloudError> {
        if !self.may(
            "iam",
            "",
            &format!("set the policy of the IAM role {ROLE_NAME}"),
        )? {
            return Ok(Done::NotSent);
        }
        self.session
            .iam_writer()
            .put_role_policy()
            .role_name(ROLE_NAME)
            .policy_name(ROLE_POLICY)
            .policy_document(policy)
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("iam", "", &e))?;
        Ok(Done::Sent)
    }

    /// Deletes the role (its inline policy first).
    pub async fn delete_scheduler_role(&self) -> Result<Done, CloudError> {
        if !self.may("iam", "", &format!("delete the IAM role {ROLE_NAME}"))? {
            return Ok(Done::NotSent);
        }
        let iam = self.session.iam_writer();
        match iam
            .delete_role_policy()
            .role_name(ROLE_NAME)
            .policy_name(ROLE_POLICY)
            .send()
            .await
        {
            Ok(_) => {}
            Err(e) if e.code() == Some("NoSuchEntity") => {}
            Err(e) => return Err(CloudError::from_sdk("iam", "", &e)),
        }
        match iam.delete_role().role_name(ROLE_NAME).send().await {
            Ok(_) => Ok(Done::Sent),
            Err(e) if e.code() == Some("NoSuchEntity") => Ok(Done::Sent),
            Err(e) => Err(CloudError::from_sdk("iam", "", &e)),
        }
    }
}
