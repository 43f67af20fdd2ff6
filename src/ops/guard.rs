//! Guards end to end, for both faces: idle alarms and schedules set on a
//! target (an instance or every node of a Spark cluster), listed across the
//! session's regions, and removed — with the IAM role the schedules need
//! made (after its policies were shown) or kept in step, and removed when
//! nothing uses it. Every write goes through `cloud::actions`.

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::connect::Context;
use crate::cloud::CloudError;
use crate::cloud::actions::{Actions, Done};
use crate::cloud::guards::{self, IdleAlarm, Schedule};
use crate::cost::{Amount, Prices};
use crate::guard::{
    self, At, IdleRule, Part, PlannedSchedule, ROLE_NAME, ScheduleKey, trust_policy,
};
use crate::lifecycle::Target;
use crate::model::{InstanceState, Inventory};

/// What a guard acts on: a lone instance, or a Spark cluster's master and
/// workers.
#[derive(Debug, Clone, PartialEq)]
pub struct Guarded {
    /// The name guards are made under (the Name tag, the cluster's name).
    pub name: String,
    pub region: String,
    pub master: Vec<String>,
    pub workers: Vec<String>,
    /// Nodes launched without hibernation (a `--pause` schedule refuses).
    pub cannot_hibernate: Vec<String>,
    /// What the target costs per hour while it runs: what a guard saves
    /// for every hour it keeps it stopped.
    pub hourly: Amount,
}

impl Guarded {
    pub fn instance_ids(&self) -> Vec<String> {
        self.master.iter().chain(&self.workers).cloned().collect()
    }
}

/// The nodes `target` stands for, or why guards cannot be set on it.
pub fn guarded(inv: &Inventory, target: &Target, prices: &Prices) -> Result<Guarded, String> {
    let (name, region, master, workers) = match target {
        Target::Instance { id } => {
            let i = inv
                .instance(id)
                .ok_or_else(|| format!("{id} is not listed"))?;
            if let Some(cluster) = i.emr_cluster() {
                return Err(format!(
                    "{} is a node of the EMR cluster {cluster}: EMR manages its nodes, so guard the cluster instead (skiff guard idle {cluster} --terminate …)",
                    i.display_name()
                ));
            }
            if i.state == InstanceState::Terminated {
                return Err(format!("{} is terminated", i.display_name()));
            }
            (
                i.display_name().to_string(),
                i.region.clone(),
                vec![id.clone()],
                Vec::new(),
            )
        }
        Target::Spark { region, name } => {
            let c = inv
                .spark_cluster(region, name)
                .ok_or_else(|| format!("Spark cluster {name} is not listed"))?;
            (
                name.clone(),
                region.clone(),
                c.master.iter().cloned().collect(),
                c.workers.clone(),
            )
        }
        Target::Emr { id, .. } => {
            let name = inv.emr_cluster(id).map_or(id.as_str(), |c| c.name.as_str());
            return Err(format!(
                "{name} is an EMR cluster: EMR clusters cannot be stopped, so an alarm or a schedule cannot stop them. \
                 What EMR can do is terminate it when idle: skiff guard idle {name} --after DURATION --terminate \
                 (or pause it from a cron job: skiff pause {name})"
            ));
        }
    };
    let mut hourly = Amount::zero();
    let mut cannot_hibernate = Vec::new();
    for id in master.iter().chain(&workers) {
        let Some(i) = inv.instance(id) else { continue };
        hourly.add(
            prices
                .on_demand(&i.region, &i.instance_type)
                .map(|r| r.usd_per_hour),
        );
        if !i.hibernation_configured {
            cannot_hibernate.push(i.display_name().to_string());
        }
    }
    Ok(Guarded {
        name,
        region,
        master,
        workers,
        cannot_hibernate,
        hourly,
    })
}

/// What an idle guard made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdleSet {
    pub target: String,
    pub region: String,
    /// Alarm name and the instance it watches.
    pub alarms: Vec<(String, String)>,
    pub rule: String,
    pub dry_run: bool,
}

/// An idle alarm on every node of `g`.
pub async fn set_idle(ctx: &Context, g: &Guarded, rule: &IdleRule) -> Result<IdleSet, String> {
    // Refused once for the whole target, not once per node.
    if let Some(e) = ctx
        .gate
        .refusal("cloudwatch", &g.region, &format!("guard {}", g.name))
    {
        return Err(e.message);
    }
    let actions = ctx.actions();
    let mut alarms = Vec::new();
    let mut dry_run = false;
    for id in g.instance_ids() {
        let name = guard::alarm_name(&g.name, &id);
        let description = format!(
            "skiff guard: stops {id} ({}) when its CPU stays under {}% for {}",
            g.name,
            rule.cpu_below,
            humantime::format_duration(rule.after)
        );
        match actions
            .put_idle_alarm(&g.region, &name, &id, rule, &description)
            .await
            .map_err(|e| e.to_string())?
        {
            Done::Sent => {}
            _ => dry_run = true,
        }
        alarms.push((name, id));
    }
    Ok(IdleSet {
        target: g.name.clone(),
        region: g.region.clone(),
        alarms,
        rule: rule.label(),
        dry_run,
    })
}

/// The role the schedules need: one given, or skiff's own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RoleChoice {
    /// `--role-arn`: used as it is.
    Given(String),
    /// skiff's role: created when missing only if `create` (the user saw
    /// the policies and agreed), its policy kept to the guarded instances.
    Own { create: bool },
}

/// The policies skiff's role would get, to show before creating it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RoleDocuments {
    pub trust: String,
    pub permission: String,
}

/// Why a schedule was not set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ScheduleRefusal {
    /// skiff's role does not exist: these are its policies; ask, then call
    /// again with `RoleChoice::Own { create: true }`.
    NeedsRole(RoleDocuments),
    Failed(String),
}

/// What a schedule guard made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ScheduleSet {
    pub target: String,
    pub region: String,
    pub timezone: String,
    /// Name, cron expression, instance ids, next run.
    pub schedules: Vec<SetSchedule>,
    pub role_arn: String,
    pub role_created: bool,
    pub dry_run: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SetSchedule {
    pub name: String,
    pub rule: String,
    pub expression: String,
    pub instance_ids: Vec<String>,
    pub next_run: Option<DateTime<Utc>>,
}

/// The instances (region, id) a role policy of skiff's allows in regions
/// other than `listed`: schedules there are not listed by this session, so
/// they are kept.
fn outside(policy: Option<&str>, listed: &[String]) -> Vec<(String, String)> {
    let Some(doc) = policy.and_then(|p| serde_json::from_str::<serde_json::Value>(p).ok()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    for st in doc["Statement"].as_array().into_iter().flatten() {
        let resources = match &st["Resource"] {
            serde_json::Value::String(s) => vec![s.clone()],
            serde_json::Value::Array(a) => a
                .iter()
                .filter_map(|v| v.as_str().map(str::to_string))
                .collect(),
            _ => Vec::new(),
        };
        for arn in resources {
            // arn:aws:ec2:REGION:ACCOUNT:instance/ID
            let f: Vec<&str> = arn.splitn(6, ':').collect();
            if let [_, _, "ec2", region, _, res] = f.as_slice()
                && let Some(id) = res.strip_prefix("instance/")
                && !listed.iter().any(|r| r == region)
            {
                out.push((region.to_string(), id.to_string()));
            }
        }
    }
    out
}

/// Every instance skiff's schedules name in the session's regions, plus
/// `more`, as (region, id): what the role's policy must allow; and those a
/// deadline terminates, plus `terminating`.
async fn scheduled_instances(
    ctx: &Context,
    more: &[(String, String)],
    terminating: &[(String, String)],
) -> Result<Scheduled, String> {
    let mut all: Vec<(String, String)> = more.to_vec();
    let mut ended: Vec<(String, String)> = terminating.to_vec();
    for region in &ctx.session.regions {
        for s in guards::schedules(&ctx.session, region)
            .await
            .map_err(|e| e.to_string())?
        {
            let ids = s
                .instance_ids()
                .into_iter()
                .map(|id| (s.region.clone(), id));
            if s.target_arn.ends_with("terminateInstances") {
                ended.extend(ids);
            } else {
                all.extend(ids);
            }
        }
    }
    for list in [&mut all, &mut ended] {
        list.sort();
        list.dedup();
    }
    Ok(Scheduled {
        all,
        terminating: ended,
    })
}

/// What skiff's role must be allowed to do.
struct Scheduled {
    all: Vec<(String, String)>,
    terminating: Vec<(String, String)>,
}

impl Scheduled {
    fn is_empty(&self) -> bool {
        self.all.is_empty() && self.terminating.is_empty()
    }

    fn policy(&self, account: &str) -> String {
        guard::permission_policy_with(account, &self.all, &self.terminating)
    }
}

/// Schedules that start and stop `g` (see [`guard::plan_schedules`] for
/// the order of a cluster's nodes) in time zone `tz`.
pub async fn set_schedule(
    ctx: &Context,
    g: &Guarded,
    start: Option<At>,
    stop: Option<At>,
    tz: chrono_tz::Tz,
    pause: bool,
    role: &RoleChoice,
) -> Result<ScheduleSet, ScheduleRefusal> {
    let fail = |e: String| ScheduleRefusal::Failed(e);
    cannot_schedule(ctx, g, start.is_some(), stop.is_some(), pause).map_err(fail)?;
    let planned = guard::plan_schedules(&g.name, &g.master, &g.workers, start, stop, pause);
    let actions = ctx.actions();
    let (role_arn, role_created) = match role {
        RoleChoice::Given(arn) => (arn.clone(), false),
        RoleChoice::Own { create } => {
            let ids: Vec<(String, String)> = g
                .instance_ids()
                .into_iter()
                .map(|id| (g.region.clone(), id))
                .collect();
            own_role(ctx, &actions, &ids, &[], *create).await?
        }
    };
    let dry_run = matches!(
        actions
            .ensure_schedule_group(&g.region)
            .await
            .map_err(|e| fail(e.to_string()))?,
        Done::NotSent
    );
    let now = Utc::now();
    let mut set = Vec::new();
    for p in &planned {
        let description = describe(p, &g.name);
        actions
            .put_schedule(&g.region, p, tz.name(), &role_arn, &description)
            .await
            .map_err(|e| fail(e.to_string()))?;
        set.push(SetSchedule {
            name: p.key.name(),
            rule: rule_label(p),
            expression: p.at.cron(),
            instance_ids: p.instance_ids.clone(),
            next_run: p.at.next_after(now, tz),
        });
    }
    Ok(ScheduleSet {
        target: g.name.clone(),
        region: g.region.clone(),
        timezone: tz.name().to_string(),
        schedules: set,
        role_arn,
        role_created,
        dry_run,
    })
}

/// Why `g` cannot be scheduled as asked, if it cannot: no time given, a
/// pause of nodes that cannot hibernate, or the gate's refusal.
fn cannot_schedule(
    ctx: &Context,
    g: &Guarded,
    start: bool,
    stop: bool,
    pause: bool,
) -> Result<(), String> {
    if !start && !stop {
        return Err("say when: --stop \"DAYS HH:MM\", --start \"DAYS HH:MM\" or both".into());
    }
    if pause && stop && !g.cannot_hibernate.is_empty() {
        return Err(format!(
            "--pause hibernates, and {} {} not launched with hibernation: schedule a stop instead (without --pause)",
            g.cannot_hibernate.join(", "),
            if g.cannot_hibernate.len() == 1 {
                "was"
            } else {
                "were"
            }
        ));
    }
    match ctx
        .gate
        .refusal("scheduler", &g.region, &format!("schedule {}", g.name))
    {
        Some(e) => Err(e.message),
        None => Ok(()),
    }
}

/// skiff's own scheduler role, its policy kept to every instance a schedule
/// names (`g`'s included): updated where the role exists, made where it
/// does not and `create` says the user consented, else the documents the
/// user is asked to consent to. Its ARN, and whether it was made now.
/// skiff's scheduler role, made when missing only if `create`, with a
/// policy that covers `ids` (and `terminating`, for a deadline that
/// terminates) beside every instance already scheduled.
pub async fn own_role(
    ctx: &Context,
    actions: &Actions,
    ids: &[(String, String)],
    terminating: &[(String, String)],
    create: bool,
) -> Result<(String, bool), ScheduleRefusal> {
    let fail = |e: String| ScheduleRefusal::Failed(e);
    let account = ctx
        .session
        .account_id()
        .await
        .map_err(|e| fail(e.to_string()))?;
    let existing = guards::scheduler_role(&ctx.session)
        .await
        .map_err(|e| fail(e.to_string()))?;
    let mut wanted = ids.to_vec();
    if let Some((_, policy)) = &existing {
        wanted.extend(outside(policy.as_deref(), &ctx.session.regions));
    }
    let scheduled = scheduled_instances(ctx, &wanted, terminating)
        .await
        .map_err(fail)?;
    let permission = scheduled.policy(&account);
    let (arn, created) = match existing {
        Some((arn, _)) => (arn, false),
        None if !create => {
            return Err(ScheduleRefusal::NeedsRole(RoleDocuments {
                trust: trust_policy(&account),
                permission,
            }));
        }
        None => {
            let arn = actions
                .create_scheduler_role(&trust_policy(&account))
                .await
                .map_err(|e| fail(e.to_string()))?
                .unwrap_or_else(|| format!("arn:aws:iam::{account}:role/{ROLE_NAME}"));
            (arn, true)
        }
    };
    actions
        .put_scheduler_policy(&permission)
        .await
        .map_err(|e| fail(e.to_string()))?;
    Ok((arn, created))
}

fn rule_label(p: &PlannedSchedule) -> String {
    let verb = match (p.key.action, p.hibernate) {
        (guard::Action::Stop, true) => "pause",
        (a, _) => a.as_str(),
    };
    let part = match p.key.part {
        Part::All => "",
        Part::Master => " (master)",
        Part::Workers => " (workers)",
    };
    format!("{verb} {}{part}", p.at)
}

fn describe(p: &PlannedSchedule, target: &str) -> String {
    format!("skiff guard: {} of {target}", rule_label(p))
}

/// One guard as `guard ls` and the TUI show it.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GuardInfo {
    /// `idle` or `schedule`.
    pub kind: &'static str,
    /// The alarm's or the schedule's name.
    pub name: String,
    pub target: String,
    pub region: String,
    pub instance_ids: Vec<String>,
    /// "idle 45m", "stop 20:00 mon-fri (workers)".
    pub rule: String,
    /// The alarm's state, or the schedule's (ENABLED, DISABLED).
    pub state: String,
    pub timezone: Option<String>,
    pub next_run: Option<DateTime<Utc>>,
    /// What it is set to, as values (the TUI's dialog starts from them).
    #[serde(skip)]
    pub setting: Option<Setting>,
}

/// A guard's setting as values.
#[derive(Debug, Clone, PartialEq)]
pub enum Setting {
    Idle(IdleRule),
    Schedule(PlannedSchedule),
}

fn from_alarm(a: &IdleAlarm) -> GuardInfo {
    let target = guard::alarm_target(&a.name)
        .map_or("?", |(t, _)| t)
        .to_string();
    let idle = IdleRule::new(std::time::Duration::from_secs(a.after_secs), a.threshold)
        .ok()
        .map(|r| {
            r.with_network(a.net_below)
                .terminating(a.actions.iter().any(|x| x.ends_with(":ec2:terminate")))
        });
    let rule = idle
        .as_ref()
        .map_or_else(|| format!("idle {} s", a.after_secs), IdleRule::label);
    GuardInfo {
        kind: "idle",
        name: a.name.clone(),
        target,
        region: a.region.clone(),
        instance_ids: vec![a.instance_id.clone()],
        rule,
        state: a.state.clone(),
        timezone: None,
        next_run: None,
        setting: idle.map(Setting::Idle),
    }
}

/// A launch's deadline (`skiff-until-NAME`, a one-time `at()` schedule).
fn from_deadline(s: &Schedule) -> Option<GuardInfo> {
    let target = crate::launch::deadline_target(&s.name)?;
    let at = crate::launch::deadline_of(&s.expression);
    let verb = if s.target_arn.ends_with("terminateInstances") {
        "terminate"
    } else {
        "stop"
    };
    Some(GuardInfo {
        kind: "deadline",
        name: s.name.clone(),
        target: target.to_string(),
        region: s.region.clone(),
        instance_ids: s.instance_ids(),
        rule: at.map_or_else(
            || format!("{verb} {}", s.expression),
            |t| format!("{verb} at {}", t.format("%m-%d %H:%M UTC")),
        ),
        state: s.state.clone(),
        timezone: Some("UTC".into()),
        next_run: at,
        setting: None,
    })
}

fn from_schedule(s: &Schedule, now: DateTime<Utc>) -> Option<GuardInfo> {
    if let Some(deadline) = from_deadline(s) {
        return Some(deadline);
    }
    let key = ScheduleKey::parse(&s.name)?;
    let at = At::from_cron(&s.expression);
    let tz = guard::schedule::zone(&s.timezone).ok();
    let planned = at.map(|at| PlannedSchedule {
        key: key.clone(),
        at,
        instance_ids: s.instance_ids(),
        hibernate: s.hibernates(),
    });
    Some(GuardInfo {
        kind: "schedule",
        name: s.name.clone(),
        target: key.target.clone(),
        region: s.region.clone(),
        instance_ids: s.instance_ids(),
        rule: planned
            .as_ref()
            .map_or_else(|| s.expression.clone(), rule_label),
        state: s.state.clone(),
        timezone: Some(s.timezone.clone()),
        next_run: at.zip(tz).and_then(|(at, tz)| at.next_after(now, tz)),
        setting: planned.map(Setting::Schedule),
    })
}

/// Removes skiff's guards that watch only instances in `gone` (just
/// terminated): their idle alarms and schedules, deadlines included. The
/// names removed. A schedule that also names live instances is kept.
pub async fn forget(ctx: &Context, gone: &[String]) -> Result<Vec<String>, String> {
    let actions = ctx.actions();
    let mut removed = Vec::new();
    for g in list(ctx).await.map_err(|e| e.to_string())? {
        if g.instance_ids.is_empty() || !g.instance_ids.iter().all(|id| gone.contains(id)) {
            continue;
        }
        let done = if g.kind == "idle" {
            actions
                .delete_alarms(&g.region, std::slice::from_ref(&g.name))
                .await
        } else {
            actions.delete_schedule(&g.region, &g.name).await
        };
        done.map_err(|e| e.to_string())?;
        removed.push(g.name);
    }
    Ok(removed)
}

/// Every guard skiff made in the session's regions.
pub async fn list(ctx: &Context) -> Result<Vec<GuardInfo>, CloudError> {
    list_in(&ctx.session, Utc::now()).await
}

/// [`list`] for a session (the TUI fetches it beside the inventory).
pub async fn list_in(
    session: &crate::cloud::Session,
    now: DateTime<Utc>,
) -> Result<Vec<GuardInfo>, CloudError> {
    let mut out = Vec::new();
    for region in &session.regions {
        let (alarms, schedules) = futures::try_join!(
            guards::idle_alarms(session, region),
            guards::schedules(session, region)
        )?;
        out.extend(alarms.iter().map(from_alarm));
        out.extend(schedules.iter().filter_map(|s| from_schedule(s, now)));
    }
    out.sort_by(|a, b| (&a.target, a.kind, &a.name).cmp(&(&b.target, b.kind, &b.name)));
    Ok(out)
}

/// Which guards `off` removes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Which {
    pub idle: bool,
    pub schedule: bool,
}

/// What `off` removed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Removed {
    pub target: String,
    pub alarms: Vec<String>,
    pub schedules: Vec<String>,
    /// skiff's role was deleted: no schedule uses it any more.
    pub role_deleted: bool,
    pub dry_run: bool,
}

/// Removes `g`'s guards (`which`); the role too when no schedule is left.
pub async fn off(ctx: &Context, g: &Guarded, which: Which) -> Result<Removed, String> {
    if let Some(e) = ctx.gate.refusal(
        "cloudwatch",
        &g.region,
        &format!("remove the guards of {}", g.name),
    ) {
        return Err(e.message);
    }
    let all = list(ctx).await.map_err(|e| e.to_string())?;
    let mine: Vec<&GuardInfo> = all
        .iter()
        .filter(|i| i.region == g.region && i.target == g.name)
        .collect();
    let actions = ctx.actions();
    let mut removed = Removed {
        target: g.name.clone(),
        alarms: Vec::new(),
        schedules: Vec::new(),
        role_deleted: false,
        dry_run: ctx.gate.dry_run(),
    };
    if which.idle {
        let names: Vec<String> = mine
            .iter()
            .filter(|i| i.kind == "idle")
            .map(|i| i.name.clone())
            .collect();
        actions
            .delete_alarms(&g.region, &names)
            .await
            .map_err(|e| e.to_string())?;
        removed.alarms = names;
    }
    if which.schedule {
        for i in mine
            .iter()
            .filter(|i| i.kind == "schedule" || i.kind == "deadline")
        {
            actions
                .delete_schedule(&g.region, &i.name)
                .await
                .map_err(|e| e.to_string())?;
            removed.schedules.push(i.name.clone());
        }
        // skiff's role follows what is left: deleted with the last
        // schedule, else narrowed to the instances still scheduled (those of
        // regions this session does not list are kept as they were).
        if !removed.schedules.is_empty()
            && !ctx.gate.dry_run()
            && let Some((_, policy)) = guards::scheduler_role(&ctx.session)
                .await
                .map_err(|e| e.to_string())?
        {
            let elsewhere = outside(policy.as_deref(), &ctx.session.regions);
            let left = scheduled_instances(ctx, &elsewhere, &[]).await?;
            if left.is_empty() {
                actions
                    .delete_scheduler_role()
                    .await
                    .map_err(|e| e.to_string())?;
                removed.role_deleted = true;
            } else {
                let account = ctx.session.account_id().await.map_err(|e| e.to_string())?;
                actions
                    .put_scheduler_policy(&left.policy(&account))
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
    }
    Ok(removed)
}

/// Each instance's guards as short rules (`idle 45m`, `stop 20:00
/// mon-fri`), each once: what the GUARD column shows.
pub type RulesByInstance = std::collections::HashMap<String, Vec<String>>;

pub fn rules_by_instance(guards: &[GuardInfo]) -> RulesByInstance {
    let mut map = RulesByInstance::new();
    for g in guards {
        let short = g
            .rule
            .trim_end_matches(" (master)")
            .trim_end_matches(" (workers)")
            .to_string();
        for id in &g.instance_ids {
            let rules = map.entry(id.clone()).or_default();
            if !rules.contains(&short) {
                rules.push(short.clone());
            }
        }
    }
    map
}

/// The rules of a row of these instances (one, or a cluster's nodes):
/// every rule of any of them, once.
pub fn rules_of<'a, 'b>(
    rules: &'a RulesByInstance,
    ids: impl IntoIterator<Item = &'b String>,
) -> Vec<&'a str> {
    let mut out: Vec<&str> = Vec::new();
    for r in ids.into_iter().filter_map(|id| rules.get(id)).flatten() {
        if !out.contains(&r.as_str()) {
            out.push(r);
        }
    }
    out
}
