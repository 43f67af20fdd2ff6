//! A launch end to end for both faces: the plan (the image and its name,
//! an alias's public parameter, where, $/hour on demand and spot now, the
//! guard and the deadline it will get) before anything is made; then
//! RunInstances tried type by type and zone by zone on capacity errors,
//! tagged from the first second; the idle alarm and the deadline; waiting
//! until the machines run.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use serde::Serialize;

use super::connect::Context;
use crate::cloud::actions::{Done, RunRequest};
use crate::cloud::launch::{Image, Like, Template};
use crate::cloud::{self, CloudError};
use crate::cost::Money;
use crate::guard::{self, IdleRule};
use crate::launch::{self as pure, Source, Spec};
use crate::model::InstanceState;

mod guards;
mod ssh;

pub use guards::{DeadlineSet, deadline_action, set_deadline};

pub use ssh::{SSH_GROUP, SshGroup, my_address};

/// What one instance type costs now in the launch's region.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TypePrice {
    pub instance_type: String,
    pub on_demand: Option<Money>,
    /// The cheapest zone's spot price now (DescribeSpotPriceHistory).
    pub spot: Option<Money>,
}

/// Everything decided before anything is made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Plan {
    pub spec: Spec,
    pub region: String,
    /// The image launched (None: the template's own, not looked up).
    pub image: Option<Image>,
    /// `ALIAS → PARAMETER`, when an alias was resolved.
    pub alias: Option<String>,
    pub template: Option<Template>,
    pub like: Option<Like>,
    /// (subnet, zone) in the order tried.
    pub subnets: Vec<(String, String)>,
    /// The root disk each machine gets: GB and volume type, when known.
    pub disk: Option<(i32, String)>,
    /// What each machine costs per hour beside its compute: its disk and
    /// its public IPv4 address, as `skiff cost` bills them (None: a price
    /// is unknown).
    pub extras_hourly: Option<Money>,
    pub prices: Vec<TypePrice>,
    pub launched_by: String,
    /// The idle guard in words (None: `--idle off`).
    pub idle: Option<String>,
    /// When the deadline would run if launched now.
    pub deadline: Option<DateTime<Utc>>,
    /// skiff's scheduler role does not exist yet: the deadline needs it.
    pub needs_role: bool,
    /// The security group skiff uses (or makes) to let this machine in on
    /// port 22, when none was given.
    pub ssh_group: Option<SshGroup>,
    /// What the user should know (a stand-in image, an unwatched GPU).
    pub notes: Vec<String>,
}

impl Plan {
    /// The machines' name: the cluster's for a node, else the launch's.
    pub fn target(&self) -> &str {
        self.spec
            .member
            .as_ref()
            .map_or(self.spec.name.as_str(), |m| m.cluster.as_str())
    }

    /// The $/hour of the first choice (per machine × count), on demand or
    /// spot as asked.
    pub fn hourly(&self) -> Option<Money> {
        Some(self.compute_hourly()? + self.extras_hourly?.times(self.count()))
    }

    /// The compute part alone, for every machine.
    pub fn compute_hourly(&self) -> Option<Money> {
        let first = self.prices.first()?;
        let one = match self.spec.spot {
            pure::Spot::No => first.on_demand?,
            _ => first.spot.or(first.on_demand)?,
        };
        Some(one.times(self.count()))
    }

    fn count(&self) -> rust_decimal::Decimal {
        rust_decimal::Decimal::from(self.spec.count)
    }

    /// Where the machine comes from, and what each type costs now.
    fn source_lines(&self) -> Vec<String> {
        let mut out = Vec::new();
        match (&self.image, &self.template, &self.like) {
            (_, Some(t), _) => out.push(format!(
                "  from:     launch template {} ({}) version {}",
                t.name, t.id, t.version
            )),
            (_, _, Some(l)) => out.push(format!("  like:     {}", l.id)),
            _ => {}
        }
        if let Some(i) = &self.image {
            out.push(format!(
                "  image:    {} {} ({})",
                i.id, i.name, i.architecture
            ));
        }
        if let Some(a) = &self.alias {
            out.push(format!("  alias:    {a}"));
        }
        let price = |m: Option<Money>| m.map_or_else(|| "unknown".into(), |m| format!("{m}/h"));
        for (n, p) in self.prices.iter().enumerate() {
            out.push(format!(
                "  {} {}: on demand {}, spot now {}",
                if n == 0 { "type:    " } else { "  then:  " },
                p.instance_type,
                price(p.on_demand),
                price(p.spot)
            ));
        }
        out
    }

    /// The SSH rule the plan makes or uses.
    fn ssh_line(&self) -> Option<String> {
        let g = self.ssh_group.as_ref()?;
        let state = match (&g.id, g.needs_rule) {
            (None, _) => format!("new in {}", g.vpc),
            (Some(id), true) => format!("{id}, adds the rule"),
            (Some(id), false) => format!("{id}, has the rule"),
        };
        Some(format!(
            "  ssh:      security group {} ({state}): tcp 22 from {}{}",
            g.name,
            g.cidr,
            if g.others.is_empty() {
                " only".to_string()
            } else {
                format!(
                    "; it also lets in {} (earlier launches: revoke stale ones)",
                    g.others.join(", ")
                )
            }
        ))
    }

    /// The plan in lines, as both faces show it.
    pub fn lines(&self) -> Vec<String> {
        let s = &self.spec;
        let mut out = vec![format!(
            "launch {} × {} in {}{}",
            s.count,
            s.name,
            self.region,
            s.recipe
                .as_ref()
                .map_or_else(String::new, |r| format!(" (recipe {r})"))
        )];
        out.extend(self.source_lines());
        out.push(format!(
            "  market:   {}",
            match s.spot {
                pure::Spot::No => "on demand",
                pure::Spot::Yes => "spot only",
                pure::Spot::Prefer => "spot, else on demand",
            }
        ));
        if !self.subnets.is_empty() {
            let where_: Vec<String> = self
                .subnets
                .iter()
                .map(|(s, z)| format!("{s} ({z})"))
                .collect();
            out.push(format!("  subnets:  {}", where_.join(", ")));
        }
        out.extend(self.ssh_line());
        if let Some((gb, kind)) = &self.disk {
            out.push(format!("  disk:     {gb} GB {kind}"));
        }
        out.push(format!(
            "  guard:    {}",
            self.idle.as_deref().unwrap_or("none (--idle off)")
        ));
        if let Some(at) = self.deadline {
            out.push(format!(
                "  deadline: {} at {} (EventBridge Scheduler, runs with the laptop closed){}",
                s.then.as_str(),
                at.format("%Y-%m-%d %H:%M UTC"),
                if self.needs_role {
                    "; creates skiff's role skiff-scheduler, allowed only the machines skiff schedules"
                } else {
                    ""
                }
            ));
        }
        match (self.hourly(), self.compute_hourly()) {
            (Some(h), _) => out.push(format!(
                "  costs:    {h}/h while running (compute, disk and public address)"
            )),
            (None, Some(c)) => out.push(format!(
                "  costs:    {c}/h while running for compute; the disk's price is unknown"
            )),
            (None, None) => out.push("  costs:    unknown (no price for the type)".into()),
        }
        out.push(format!(
            "  tags:     Name={}, {}={}",
            s.name,
            pure::LAUNCHED_BY_TAG,
            self.launched_by
        ));
        out.extend(self.notes.iter().map(|n| format!("  note:     {n}")));
        out
    }
}

/// The image behind `source` (an id or an alias), with the alias's words.
async fn resolve_ami(
    ctx: &Context,
    region: &str,
    text: &str,
    notes: &mut Vec<String>,
) -> Result<(Image, Option<String>), String> {
    let (id, alias) = if text.starts_with("ami-") {
        (text.to_string(), None)
    } else {
        let Some(param) = pure::alias_parameter(text) else {
            let known: Vec<&str> = pure::ALIASES.iter().map(|(a, _)| *a).collect();
            return Err(format!(
                "`{text}` is neither an AMI id (ami-…) nor an alias ({})",
                known.join(", ")
            ));
        };
        let found = cloud::launch::parameter(&ctx.session, region, param)
            .await
            .map_err(|e| e.to_string())?;
        match found {
            Some(id) => (id, Some(format!("{text} → {param}"))),
            // The emulator publishes Amazon Linux's parameters only.
            None if ctx.session.is_local_emulator() => {
                let stand_in = pure::alias_parameter("al2023").unwrap_or_default();
                let id = cloud::launch::parameter(&ctx.session, region, stand_in)
                    .await
                    .map_err(|e| e.to_string())?
                    .ok_or_else(|| format!("the emulator has no public parameter {param}"))?;
                notes.push(format!(
                    "the emulator has no {param}: al2023's image stands in for {text}"
                ));
                (id, Some(format!("{text} → {stand_in} (stand-in)")))
            }
            None => {
                return Err(format!(
                    "AWS publishes no parameter {param} for {text} in {region}"
                ));
            }
        }
    };
    let image = cloud::launch::image(&ctx.session, region, &id)
        .await
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("no image {id} in {region} (or it is not shared with you)"))?;
    Ok((image, alias))
}

/// Where a launch's machine comes from, looked up.
struct Resolved {
    image: Option<Image>,
    alias: Option<String>,
    template: Option<Template>,
    like: Option<Like>,
}

/// Looks up `spec`'s source; a template's or an instance's type becomes
/// the spec's when none was given.
async fn resolve(
    ctx: &Context,
    region: &str,
    spec: &mut Spec,
    notes: &mut Vec<String>,
) -> Result<Resolved, String> {
    let region = region.to_string();
    let (mut image, mut alias, mut template, mut like) = (None, None, None, None);
    match &spec.source {
        Source::Ami(text) => {
            let (i, a) = resolve_ami(ctx, &region, text, notes).await?;
            image = Some(i);
            alias = a;
        }
        Source::Template { name, version } => {
            let t = cloud::launch::template(&ctx.session, &region, name, version.as_deref())
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no launch template {name} in {region}"))?;
            if spec.types.is_empty()
                && let Some(ty) = &t.instance_type
            {
                spec.types = vec![ty.clone()];
            }
            template = Some(t);
        }
        Source::Like(what) => {
            let l = cloud::launch::like(&ctx.session, &region, what)
                .await
                .map_err(|e| e.to_string())?
                .ok_or_else(|| format!("no instance {what} in {region} to launch like"))?;
            if spec.types.is_empty() {
                spec.types = vec![l.instance_type.clone()];
            }
            image = cloud::launch::image(&ctx.session, &region, &l.image_id)
                .await
                .map_err(|e| e.to_string())?;
            like = Some(l);
        }
    }
    Ok(Resolved {
        image,
        alias,
        template,
        like,
    })
}

/// The plan of `spec`: everything looked up, nothing made.
pub async fn plan(ctx: &Context, mut spec: Spec) -> Result<Plan, String> {
    let region = ctx.session.home_region().to_string();
    let mut notes = Vec::new();
    let Resolved {
        image,
        alias,
        template,
        like,
    } = resolve(ctx, &region, &mut spec, &mut notes).await?;
    let (subnets, public) = cloud::launch::subnet_zones(&ctx.session, &region, &spec.subnets)
        .await
        .map_err(|e| e.to_string())?;
    let disk = spec
        .disk_gb
        .map(|gb| (gb, "gp3".to_string()))
        .or_else(|| like.as_ref().and_then(|l| l.root_disk.clone()))
        .or_else(|| image.as_ref().and_then(|i| i.root_disk.clone()));
    let extras_hourly = extras(ctx, &region, disk.as_ref(), public);
    let ssh_group = if spec.security_groups.is_empty() && template.is_none() && like.is_none() {
        ssh::ssh_group(
            ctx,
            &region,
            spec.subnets.first().map(String::as_str),
            &mut notes,
        )
        .await?
    } else {
        None
    };
    let prices = prices(ctx, &region, &spec.types).await;
    if spec.types.iter().any(|t| is_gpu(t)) && spec.idle.is_some() {
        notes.push(
            "the idle guard watches CPU and network: GPU utilisation needs the CloudWatch agent's nvidia metrics, which skiff does not assume"
                .into(),
        );
    }
    let launched_by = cloud::launch::caller_arn(&ctx.session)
        .await
        .map_err(|e| e.to_string())?;
    let needs_role = spec.deadline.is_some()
        && cloud::guards::scheduler_role(&ctx.session)
            .await
            .map_err(|e| e.to_string())?
            .is_none();
    let idle = match spec.idle {
        Some(d) => Some(
            idle_rule(d)?
                .terminating(spec.spot == pure::Spot::Yes)
                .label(),
        ),
        None => None,
    };
    if spec.spot != pure::Spot::No && (spec.idle.is_some() || spec.deadline.is_some()) {
        notes.push(
            "AWS cannot stop a one-time spot machine: its idle guard and deadline terminate it (its disk goes with it)"
                .into(),
        );
    }
    Ok(Plan {
        deadline: spec
            .deadline
            .map(|d| pure::deadline_expression(Utc::now(), d).0),
        spec,
        region,
        image,
        alias,
        template,
        like,
        subnets,
        disk,
        extras_hourly,
        prices,
        launched_by,
        idle,
        needs_role,
        ssh_group,
        notes,
    })
}

/// A machine's disk and public address per hour, priced as `skiff cost`
/// prices them (None: the disk's price is unknown).
fn extras(
    ctx: &Context,
    region: &str,
    disk: Option<&(i32, String)>,
    public: bool,
) -> Option<Money> {
    let table = crate::cost::prices::Prices::load(&ctx.dirs.cache);
    let disk = match disk {
        Some((gb, kind)) => table
            .ebs_gb_month(region, kind)
            .ok()?
            .times(rust_decimal::Decimal::from(*gb))
            .div_round(table.hours_per_month()),
        None => Money::ZERO,
    };
    let ipv4 = if public {
        table.ipv4_hourly()
    } else {
        Money::ZERO
    };
    Some(disk + ipv4)
}

fn is_gpu(instance_type: &str) -> bool {
    let family = instance_type.split('.').next().unwrap_or_default();
    ["g", "p"].iter().any(|p| {
        family
            .strip_prefix(p)
            .is_some_and(|rest| rest.starts_with(|c: char| c.is_ascii_digit()))
    })
}

/// A launched machine's idle rule: CPU low for `after` (an alarm on the
/// instance's own metric, which AWS documents for its EC2 actions; CPU
/// and network together are `skiff guard idle --net-below`).
pub(super) fn idle_rule(after: Duration) -> Result<IdleRule, String> {
    IdleRule::new(after, guard::DEFAULT_CPU_BELOW)
}

/// On-demand and spot prices of `types` in `region` now.
pub async fn prices(ctx: &Context, region: &str, types: &[String]) -> Vec<TypePrice> {
    let table = crate::cost::prices::Prices::load(&ctx.dirs.cache);
    let spot = cloud::ec2::spot_prices_in(&ctx.session, region, types).await;
    types
        .iter()
        .map(|t| TypePrice {
            instance_type: t.clone(),
            on_demand: table.on_demand(region, t).ok().map(|r| r.usd_per_hour),
            spot: spot
                .iter()
                .filter(|((r, _, ty), _)| r == region && ty == t)
                .map(|(_, p)| *p)
                .min(),
        })
        .collect()
}

/// What a launch made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Launched {
    pub name: String,
    pub region: String,
    pub instance_ids: Vec<String>,
    pub instance_type: Option<String>,
    pub spot: bool,
    pub subnet: Option<String>,
    /// Each capacity refusal met on the way, in words.
    pub fallbacks: Vec<String>,
    pub alarms: Vec<String>,
    /// The deadline's schedule and when it runs.
    pub deadline: Option<(String, DateTime<Utc>)>,
    pub role_created: bool,
    pub dry_run: bool,
}

/// The RunInstances request of one attempt.
fn request(
    plan: &Plan,
    attempt: &pure::Attempt,
    tags: &[(String, String)],
    ssh: Option<&String>,
) -> RunRequest {
    let s = &plan.spec;
    let like = plan.like.as_ref();
    let groups = match (s.security_groups.is_empty(), like, ssh) {
        (false, _, _) => s.security_groups.clone(),
        (true, Some(l), _) => l.security_group_ids.clone(),
        (true, None, Some(g)) => vec![g.clone()],
        (true, None, None) => Vec::new(),
    };
    let disk_gb = s
        .disk_gb
        .or_else(|| like.and_then(|l| l.root_disk.as_ref().map(|d| d.0)));
    RunRequest {
        image_id: plan
            .template
            .is_none()
            .then(|| plan.image.as_ref().map(|i| i.id.clone()))
            .flatten(),
        template: plan
            .template
            .as_ref()
            .map(|t| (t.id.clone(), t.version.clone())),
        instance_type: attempt.instance_type.clone(),
        count: s.count,
        subnet: attempt
            .subnet
            .clone()
            .or_else(|| like.and_then(|l| l.subnet_id.clone())),
        key: s
            .key
            .clone()
            .or_else(|| like.and_then(|l| l.key_name.clone())),
        security_groups: groups,
        disk: disk_gb
            .zip(plan.image.as_ref().and_then(|i| i.root_device.clone()))
            .map(|(gb, dev)| (dev, gb)),
        spot: attempt.spot,
        tags: tags.to_vec(),
    }
}

/// Tries the plan's capacity in order; each refusal is said through `say`.
async fn run(
    ctx: &Context,
    plan: &Plan,
    ssh: Option<&String>,
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<Launched, String> {
    let cluster_tags = (
        ctx.config.spark.cluster_tag.as_str(),
        ctx.config.spark.role_tag.as_str(),
    );
    let tags = pure::tags(&plan.spec, &plan.launched_by, cluster_tags);
    let actions = ctx.actions();
    let mut fallbacks = Vec::new();
    let attempts = pure::attempts(&plan.spec);
    for (n, attempt) in attempts.iter().enumerate() {
        let what = describe(attempt);
        match actions
            .run_instances(&plan.region, &request(plan, attempt, &tags, ssh))
            .await
        {
            Ok(ran) => {
                return Ok(Launched {
                    name: plan.spec.name.clone(),
                    region: plan.region.clone(),
                    instance_ids: ran.instance_ids,
                    instance_type: attempt.instance_type.clone(),
                    spot: attempt.spot,
                    subnet: attempt.subnet.clone(),
                    fallbacks,
                    alarms: Vec::new(),
                    deadline: None,
                    role_created: false,
                    dry_run: ran.done != Done::Sent,
                });
            }
            Err(e) if e.code.as_deref().is_some_and(pure::is_capacity_error) => {
                let next = attempts.get(n + 1).map(describe);
                let line = format!(
                    "no capacity for {what} ({}){}",
                    e.code.as_deref().unwrap_or_default(),
                    next.map_or_else(String::new, |w| format!(": trying {w}"))
                );
                say(line.clone());
                fallbacks.push(line);
            }
            Err(e) => return Err(e.to_string()),
        }
    }
    Err(format!(
        "nothing launched: AWS has no capacity for any choice ({})",
        attempts.iter().map(describe).collect::<Vec<_>>().join("; ")
    ))
}

fn describe(a: &pure::Attempt) -> String {
    format!(
        "{}{}{}",
        a.instance_type.as_deref().unwrap_or("the template's type"),
        if a.spot { " spot" } else { " on demand" },
        a.subnet
            .as_ref()
            .map_or_else(String::new, |s| format!(" in {s}"))
    )
}

/// Launches `plan`: the machines, then their idle alarms and deadline.
/// `create_role`: the user agreed to skiff's scheduler role (the plan said
/// it is needed).
pub async fn launch(
    ctx: &Context,
    plan: &Plan,
    create_role: bool,
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<Launched, String> {
    if let Some(e) = ctx
        .gate
        .refusal("ec2", &plan.region, &format!("launch {}", plan.spec.name))
    {
        return Err(e.message);
    }
    let ssh = ssh::open_ssh(ctx, plan, say).await?;
    let mut launched = run(ctx, plan, ssh.as_ref(), say).await?;
    if launched.dry_run {
        return Ok(launched);
    }
    say(format!(
        "launched {} ({})",
        launched.instance_ids.join(", "),
        describe(&pure::Attempt {
            instance_type: launched.instance_type.clone(),
            subnet: launched.subnet.clone(),
            spot: launched.spot,
        })
    ));
    // The machines run from here on: whatever fails next says so.
    let ids = launched.instance_ids.join(", ");
    let running = |e: String| {
        format!(
            "launched {} ({ids}), but {e}: they are running — `skiff guard ls` shows what guards them, `skiff terminate {}` ends them",
            plan.spec.name, plan.spec.name
        )
    };
    guards::set_idle(ctx, plan, &mut launched)
        .await
        .map_err(running)?;
    if let Some(after) = plan.spec.deadline {
        let d = set_deadline(
            ctx,
            &plan.region,
            plan.target(),
            after,
            deadline_action(plan.spec.then, launched.spot, say),
            &launched.instance_ids,
            create_role,
        )
        .await
        .map_err(running)?;
        launched.role_created = d.role_created;
        launched.deadline = Some((d.name, d.at));
    }
    Ok(launched)
}

/// Waits until every instance of `ids` is in `want` (or the lifecycle
/// timeout passed), saying each change of the states seen.
pub async fn wait_state(
    ctx: &Context,
    region: &str,
    ids: &[String],
    want: InstanceState,
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<(), String> {
    let timeout = Duration::from_secs(ctx.config.lifecycle.wait_timeout_secs);
    let poll = Duration::from_secs(ctx.config.lifecycle.poll_interval_secs.max(1));
    let deadline = Instant::now() + timeout;
    let actions = ctx.actions();
    let mut last: Option<String> = None;
    loop {
        let states = actions
            .instance_states(region, ids)
            .await
            .map_err(|e: CloudError| e.to_string())?;
        let line: Vec<String> = ids
            .iter()
            .map(|id| format!("{id} {}", states.get(id).map_or("unknown", |s| s.as_str())))
            .collect();
        let line = line.join(", ");
        if last.as_ref() != Some(&line) {
            say(line.clone());
            last = Some(line.clone());
        }
        // A terminated instance may already be gone from the answer.
        let there = |id: &String| match states.get(id) {
            Some(s) => *s == want,
            None => want == InstanceState::Terminated,
        };
        if ids.iter().all(there) {
            return Ok(());
        }
        if Instant::now() >= deadline {
            return Err(format!(
                "not {} after {} s: {line}",
                want.as_str(),
                timeout.as_secs()
            ));
        }
        tokio::time::sleep(poll).await;
    }
}

/// Waits until SSH answers on every machine of `ids` (its public address,
/// else its private one), or the lifecycle timeout. Never for an emulator
/// on this machine: its machines' addresses are made up, and nothing but
/// loopback is contacted for it.
pub async fn wait_ssh(
    ctx: &Context,
    region: &str,
    ids: &[String],
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<(), String> {
    if ctx.session.is_local_emulator() {
        say("SSH not waited for: the emulator's machines have made-up addresses".into());
        return Ok(());
    }
    let deadline = Instant::now() + Duration::from_secs(ctx.config.lifecycle.wait_timeout_secs);
    let poll = Duration::from_secs(ctx.config.lifecycle.poll_interval_secs.max(1));
    for id in ids {
        loop {
            let host = cloud::ec2::describe_instance(&ctx.session, region, id)
                .await
                .map_err(|e| e.to_string())?
                .and_then(|i| i.public_ip.or(i.private_ip));
            if let Some(host) = &host
                && crate::ops::tunnel::probe::tcp_host(host, 22).await
            {
                say(format!("{id}: SSH answers on {host}:22"));
                break;
            }
            if Instant::now() >= deadline {
                return Err(format!(
                    "{id} runs, but SSH did not answer within {} s (its security group, or sshd still starting)",
                    ctx.config.lifecycle.wait_timeout_secs
                ));
            }
            tokio::time::sleep(poll).await;
        }
    }
    Ok(())
}
