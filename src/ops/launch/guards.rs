//! A launch's guards: the idle alarm on each machine (terminating spot
//! ones, which AWS cannot stop) and the one-time deadline over them.

use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{Launched, Plan, idle_rule};
use crate::guard;
use crate::launch::{self as pure, Then};
use crate::ops::connect::Context;

/// What a deadline does: `then`, except that a one-time spot machine
/// cannot be stopped, only terminated (said).
pub fn deadline_action(then: Then, spot: bool, say: &(dyn Fn(String) + Send + Sync)) -> Then {
    if spot && then == Then::Stop {
        say("spot machines cannot be stopped: the deadline terminates them".into());
        return Then::Terminate;
    }
    then
}

/// The idle alarm on each launched machine (terminating spot ones, which
/// AWS cannot stop).
pub(super) async fn set_idle(
    ctx: &Context,
    plan: &Plan,
    launched: &mut Launched,
) -> Result<(), String> {
    let Some(after) = plan.spec.idle else {
        return Ok(());
    };
    let rule = idle_rule(after)?.terminating(launched.spot);
    let target = plan.target();
    let actions = ctx.actions();
    for id in &launched.instance_ids {
        let name = guard::alarm_name(target, id);
        let description = format!(
            "skiff guard: {} {id} ({target}) when its CPU stays under {}% for {}",
            if rule.terminate {
                "terminates"
            } else {
                "stops"
            },
            rule.cpu_below,
            humantime::format_duration(rule.after)
        );
        actions
            .put_idle_alarm(&plan.region, &name, id, &rule, &description)
            .await
            .map_err(|e| format!("no idle alarm: {e}"))?;
        launched.alarms.push(name);
    }
    Ok(())
}

/// A deadline that was set.
pub struct DeadlineSet {
    pub name: String,
    pub at: DateTime<Utc>,
    pub role_created: bool,
}

/// The deadline over `ids` of `target`: `after` from now, EventBridge
/// Scheduler calls `then` on them once and deletes the schedule. skiff's
/// role is made only if `create_role`.
pub async fn set_deadline(
    ctx: &Context,
    region: &str,
    target: &str,
    after: Duration,
    then: Then,
    ids: &[String],
    create_role: bool,
) -> Result<DeadlineSet, String> {
    let actions = ctx.actions();
    let (at, expression) = pure::deadline_expression(Utc::now(), after);
    let pairs: Vec<(String, String)> = ids
        .iter()
        .map(|id| (region.to_string(), id.clone()))
        .collect();
    let ending = if then == Then::Terminate {
        pairs.clone()
    } else {
        Vec::new()
    };
    let (role, role_created) =
        match crate::ops::guard::own_role(ctx, &actions, &pairs, &ending, create_role).await {
            Ok(r) => r,
            Err(crate::ops::guard::ScheduleRefusal::NeedsRole(_)) => {
                return Err(format!(
                    "no deadline: skiff's role {} is needed (launch with --yes to make it)",
                    guard::ROLE_NAME
                ));
            }
            Err(crate::ops::guard::ScheduleRefusal::Failed(why)) => {
                return Err(format!("no deadline: {why}"));
            }
        };
    actions
        .ensure_schedule_group(region)
        .await
        .map_err(|e| format!("no deadline: {e}"))?;
    let name = pure::deadline_name(target, ids.first().map_or("", String::as_str));
    actions
        .put_deadline(region, &name, &expression, then.target_arn(), ids, &role)
        .await
        .map_err(|e| format!("no deadline: {e}"))?;
    Ok(DeadlineSet {
        name,
        at,
        role_created,
    })
}
