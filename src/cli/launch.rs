//! `skiff launch`, `skiff recipes` and `skiff cluster …`: the plan first
//! (what, where, the image, $/hour on demand and spot now, the guard and
//! the deadline), a question on a terminal or --yes, then the launch with
//! each capacity fallback said, and the closing line.

use std::process::ExitCode;

use anyhow::{Context as _, bail};
use serde_json::json;

use super::args::{
    ClusterCommand, ClusterCreateArgs, ClusterDeleteArgs, ClusterResizeArgs, LaunchArgs,
    LaunchFrom, RecipesArgs,
};
use crate::config::Recipe;
use crate::launch::{self as pure, Overrides, Source, Spot, Then};
use crate::model::InstanceState;
use crate::ops::connect::Context;
use crate::ops::launch::{self, Launched, Plan};

/// Progress lines on stderr (stdout keeps the result, or the JSON).
fn say(line: String) {
    err!("  {line}");
}

/// The recipe `from` names, or (with no other source) the one named `name`.
fn recipe<'a>(
    ctx: &'a Context,
    name: &'a str,
    from: &LaunchFrom,
) -> anyhow::Result<Option<(&'a str, &'a Recipe)>> {
    let sourced = from.template.is_some() || from.ami.is_some() || from.like.is_some();
    match &from.recipe {
        Some(r) => match ctx.config.recipes.get_key_value(r) {
            Some((k, v)) => Ok(Some((k.as_str(), v))),
            None => bail!(
                "no recipe {r} in the config (there are: {})",
                ctx.config
                    .recipes
                    .keys()
                    .cloned()
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        },
        None if !sourced => Ok(ctx
            .config
            .recipes
            .get_key_value(name)
            .map(|(k, v)| (k.as_str(), v))),
        None => Ok(None),
    }
}

fn overrides(from: &LaunchFrom) -> anyhow::Result<Overrides> {
    let source = match (&from.template, &from.ami, &from.like) {
        (Some(t), _, _) => Some(Source::template(t)),
        (_, Some(a), _) => Some(Source::Ami(a.clone())),
        (_, _, Some(l)) => Some(Source::Like(l.clone())),
        _ => None,
    };
    Ok(Overrides {
        source,
        types: from.types.clone(),
        subnets: from.subnets.clone(),
        key: from.key.clone(),
        security_groups: from.security_groups.clone(),
        disk_gb: from.disk,
        spot: from
            .spot
            .as_deref()
            .map(Spot::parse)
            .transpose()
            .map_err(anyhow::Error::msg)?,
        idle: from.idle.clone(),
        ..Overrides::default()
    })
}

/// Asks `question` unless --yes; without a terminal nothing is asked and
/// nothing happens.
fn consent(yes: bool, question: &str, what: &str) -> anyhow::Result<()> {
    if yes {
        return Ok(());
    }
    if !std::io::IsTerminal::is_terminal(&std::io::stdin()) {
        bail!("nothing {what}: there is no terminal to ask on (add --yes)");
    }
    if super::guard::ask(question)? {
        Ok(())
    } else {
        bail!("nothing {what}")
    }
}

/// Waits until `ids` run, each change said.
async fn running(ctx: &Context, region: &str, ids: &[String]) -> anyhow::Result<()> {
    launch::wait_state(ctx, region, ids, InstanceState::Running, &say)
        .await
        .map_err(anyhow::Error::msg)
}

/// Shows a plan's `lines` (not with --json), then asks `question` unless
/// rehearsing: the context to go ahead with (a dry run's, with --dry-run).
fn agreed(
    ctx: &Context,
    lines: &[String],
    run: &super::args::RunOptions,
    yes: bool,
    question: &str,
) -> anyhow::Result<Context> {
    if !run.json {
        for line in lines {
            out!("{line}");
        }
    }
    if !run.dry_run {
        consent(yes, question, "was made")?;
    }
    Ok(ctx.dry_run(run.dry_run))
}

/// The recipe that `spec` is, to save.
fn recipe_of(spec: &pure::Spec) -> anyhow::Result<Recipe> {
    let (ami, template) = match &spec.source {
        Source::Ami(a) => (Some(a.clone()), None),
        Source::Template { name, version } => (
            None,
            Some(
                version
                    .as_ref()
                    .map_or_else(|| name.clone(), |v| format!("{name}:{v}")),
            ),
        ),
        Source::Like(_) => bail!("a recipe cannot be --like an instance: give --ami or --template"),
    };
    let dur = |d: Option<std::time::Duration>| {
        Some(d.map_or_else(
            || "off".to_string(),
            |d| humantime::format_duration(d).to_string(),
        ))
    };
    Ok(Recipe {
        types: spec.types.clone(),
        ami,
        template,
        count: (spec.count != 1).then_some(spec.count),
        disk_gb: spec.disk_gb,
        spot: match spec.spot {
            Spot::No => None,
            Spot::Yes => Some("yes".into()),
            Spot::Prefer => Some("prefer".into()),
        },
        key: spec.key.clone(),
        subnets: spec.subnets.clone(),
        security_groups: spec.security_groups.clone(),
        idle: dur(spec.idle),
        deadline: spec.deadline.and_then(|d| dur(Some(d))),
        then: (spec.then == Then::Terminate).then(|| "terminate".into()),
        tunnels: spec.tunnels.clone(),
        post_start_commands: spec.post_start_commands.clone(),
    })
}

/// Writes `recipe` as [recipes.NAME] in the user's config file.
fn save_recipe(name: &str, recipe: &Recipe) -> anyhow::Result<std::path::PathBuf> {
    let path = super::config_path();
    let text = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("reading {}", path.display())),
    };
    let edited =
        crate::config::recipes::with_recipe(&text, name, recipe).map_err(anyhow::Error::msg)?;
    crate::config::Config::from_user_text(&path, &edited)
        .map_err(|e| anyhow::anyhow!("the edited config would not load ({e}); nothing written"))?;
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
    }
    crate::store::write_atomic(&path, edited.as_bytes())
        .with_context(|| format!("writing {}", path.display()))?;
    Ok(path)
}

/// Read-only refuses at once, before anything is looked up or sent.
fn writable(ctx: &Context, what: &str) -> anyhow::Result<()> {
    match ctx.gate.refusal("ec2", ctx.session.home_region(), what) {
        Some(e) => bail!("{}", e.message),
        None => Ok(()),
    }
}

pub async fn launch(ctx: &Context, a: &LaunchArgs) -> anyhow::Result<ExitCode> {
    writable(ctx, &format!("launch {}", a.name))?;
    let recipe = recipe(ctx, &a.name, &a.from)?;
    let mut o = overrides(&a.from)?;
    o.count = a.count;
    o.deadline = a.deadline.clone();
    o.then = a
        .then
        .as_deref()
        .map(Then::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    o.tunnels = a.tunnels.clone();
    let spec = pure::settle(&a.name, recipe, o).map_err(anyhow::Error::msg)?;
    if let Some(name) = &a.save_recipe {
        let path = save_recipe(name, &recipe_of(&spec)?)?;
        err!("saved the recipe {name} in {}", path.display());
    }
    let plan = launch::plan(ctx, spec).await.map_err(anyhow::Error::msg)?;
    let run_ctx = agreed(ctx, &plan.lines(), &a.run, a.yes, "Launch?")?;
    let launched = launch::launch(&run_ctx, &plan, !a.run.dry_run, &say)
        .await
        .map_err(anyhow::Error::msg)?;
    finish(ctx, a, &plan, &launched).await
}

async fn finish(
    ctx: &Context,
    a: &LaunchArgs,
    plan: &Plan,
    l: &Launched,
) -> anyhow::Result<ExitCode> {
    if !l.dry_run && a.run.wait {
        running(ctx, &l.region, &l.instance_ids).await?;
        launch::wait_ssh(ctx, &l.region, &l.instance_ids, &say)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    if a.run.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"plan": plan, "usd_per_hour": plan.hourly(), "launched": l})
            )?
        );
        return Ok(ExitCode::SUCCESS);
    }
    out!("{}", summary(plan, l));
    if !l.dry_run && !plan.spec.tunnels.is_empty() && a.run.wait {
        // As `skiff up`: the tunnels held open until Ctrl-C (a machine
        // just launched shows a new host key: its fingerprint is printed).
        let up = super::args::UpArgs {
            tunnel: super::args::TunnelArgs {
                target: l.instance_ids.first().cloned().unwrap_or_default(),
                presets: plan.spec.tunnels.clone(),
                ports: Vec::new(),
                open: false,
                accept_new_host_key: true,
            },
            timeout: a.run.timeout,
        };
        return super::tunnel::up(ctx, &up).await;
    }
    if !l.dry_run && !plan.spec.tunnels.is_empty() {
        out!(
            "tunnels: skiff tunnel {} {}",
            l.instance_ids.first().map_or("", String::as_str),
            plan.spec
                .tunnels
                .iter()
                .map(|t| format!("--preset {t}"))
                .collect::<Vec<_>>()
                .join(" ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// The closing line: what runs where, at what price, guarded how.
fn summary(plan: &Plan, l: &Launched) -> String {
    if l.dry_run {
        return format!(
            "(dry run) AWS says launching {} × {} would succeed; nothing was launched",
            plan.spec.count, plan.spec.name
        );
    }
    let mut parts = vec![format!(
        "{}: {} {} {} ({})",
        plan.spec.name,
        l.instance_ids.len(),
        l.instance_type.as_deref().unwrap_or("machine"),
        if l.spot { "spot" } else { "on demand" },
        l.instance_ids.join(", ")
    )];
    let price = plan
        .prices
        .iter()
        .find(|p| Some(&p.instance_type) == l.instance_type.as_ref())
        .and_then(|p| {
            if l.spot {
                p.spot.or(p.on_demand)
            } else {
                p.on_demand
            }
        })
        .and_then(|p| Some(p + plan.extras_hourly?));
    if let Some(p) = price {
        parts.push(format!(
            "{}/h",
            p.times(rust_decimal::Decimal::from(l.instance_ids.len()))
        ));
    }
    if let Some(i) = &plan.idle {
        parts.push(format!("guard: {i}"));
    }
    if let Some((_, at)) = &l.deadline {
        parts.push(format!(
            "{} at {}",
            if plan.spec.then == Then::Terminate {
                "terminates"
            } else {
                "stops"
            },
            at.format("%H:%M UTC")
        ));
    }
    format!("launched {}", parts.join(" · "))
}

pub async fn recipes(ctx: &Context, a: &RecipesArgs) -> anyhow::Result<ExitCode> {
    let region = ctx.session.home_region().to_string();
    let mut rows = Vec::new();
    for (name, r) in &ctx.config.recipes {
        let prices = launch::prices(ctx, &region, &r.types).await;
        rows.push((name.clone(), r.clone(), prices));
    }
    if a.json {
        let doc: Vec<_> = rows
            .iter()
            .map(|(n, r, p)| json!({"name": n, "recipe": r, "prices": p, "region": region}))
            .collect();
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({"recipes": doc}))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    out!("Recipes (prices now in {region}; `skiff launch NAME`):");
    for (name, r, prices) in rows {
        let from = r
            .ami
            .clone()
            .or_else(|| r.template.as_ref().map(|t| format!("template {t}")))
            .unwrap_or_else(|| "?".into());
        let first = prices.first();
        let price =
            |m: Option<crate::cost::Money>| m.map_or_else(|| "?".into(), |m| format!("{m}/h"));
        out!(
            "  {name:<12} {:<28} {:<16} on demand {:<10} spot {:<10} idle {}{}",
            r.types.join(","),
            from,
            price(first.and_then(|p| p.on_demand)),
            price(first.and_then(|p| p.spot)),
            r.idle.as_deref().unwrap_or("1h"),
            r.deadline
                .as_ref()
                .map_or_else(String::new, |d| format!(" · for {d}"))
        );
    }
    Ok(ExitCode::SUCCESS)
}

pub async fn cluster(ctx: &Context, c: &ClusterCommand) -> anyhow::Result<ExitCode> {
    let (verb, name) = match c {
        ClusterCommand::Create(a) => ("create", &a.name),
        ClusterCommand::Grow(a) => ("grow", &a.name),
        ClusterCommand::Shrink(a) => ("shrink", &a.name),
        ClusterCommand::Delete(a) => ("delete", &a.name),
    };
    writable(ctx, &format!("{verb} the cluster {name}"))?;
    match c {
        ClusterCommand::Create(a) => create(ctx, a).await,
        ClusterCommand::Grow(a) => grow(ctx, a).await,
        ClusterCommand::Shrink(a) => shrink(ctx, a).await,
        ClusterCommand::Delete(a) => delete(ctx, a).await,
    }
}

async fn create(ctx: &Context, a: &ClusterCreateArgs) -> anyhow::Result<ExitCode> {
    let recipe = recipe(ctx, &a.name, &a.from)?;
    let mut o = overrides(&a.from)?;
    o.deadline = a.deadline.clone();
    o.then = a
        .then
        .as_deref()
        .map(Then::parse)
        .transpose()
        .map_err(anyhow::Error::msg)?;
    let spec = pure::settle(&a.name, recipe, o).map_err(anyhow::Error::msg)?;
    let (inv, _) = ctx.inventory().await;
    let new = crate::ops::cluster::NewCluster {
        name: a.name.clone(),
        workers: a.workers,
        master_type: a.master_type.clone(),
        worker_type: a.worker_type.clone(),
        spot_workers: a.spot_workers,
        base: spec,
    };
    let plan = crate::ops::cluster::plan_create(ctx, &inv, &new)
        .await
        .map_err(anyhow::Error::msg)?;
    let run_ctx = agreed(
        ctx,
        &plan.lines(),
        &a.run,
        a.yes,
        &format!("Create the cluster {}?", a.name),
    )?;
    let made = crate::ops::cluster::create(&run_ctx, &plan, true, &say)
        .await
        .map_err(anyhow::Error::msg)?;
    let ids: Vec<String> = made
        .master
        .instance_ids
        .iter()
        .chain(made.workers.iter().flat_map(|w| &w.instance_ids))
        .cloned()
        .collect();
    if a.run.wait && !made.master.dry_run {
        running(ctx, &plan.master.region, &ids).await?;
        post_start(ctx, &plan.master.region, &a.name).await;
    }
    if a.run.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({"plan": plan, "created": made}))?
        );
    } else if made.master.dry_run {
        out!(
            "(dry run) AWS says creating {} would succeed; nothing was launched",
            a.name
        );
    } else {
        out!(
            "created {}: master {} and {} workers ({}); every verb works on it: skiff start|stop|pause|tunnel {}",
            a.name,
            made.master.instance_ids.join(", "),
            made.workers.as_ref().map_or(0, |w| w.instance_ids.len()),
            made.workers
                .as_ref()
                .map_or_else(String::new, |w| w.instance_ids.join(", ")),
            a.name
        );
    }
    Ok(ExitCode::SUCCESS)
}

/// `[spark] post_start_commands` on the new cluster's master, each said.
async fn post_start(ctx: &Context, region: &str, name: &str) {
    if ctx.config.spark.post_start_commands.is_empty() {
        return;
    }
    let (inv, _) = ctx.inventory().await;
    let target = crate::lifecycle::Target::Spark {
        region: region.to_string(),
        name: name.to_string(),
    };
    let (steps, log) = crate::ops::lifecycle::post_start_steps(ctx, &inv, &target, name).await;
    for s in steps {
        say(format!(
            "{} {}: {}",
            if s.ok { "✓" } else { "✗" },
            s.action,
            s.detail
        ));
    }
    if let Some(log) = log {
        say(format!("output kept in {}", log.display()));
    }
}

async fn grow(ctx: &Context, a: &ClusterResizeArgs) -> anyhow::Result<ExitCode> {
    let (inv, _) = ctx.inventory().await;
    let plan = crate::ops::cluster::plan_grow(ctx, &inv, &a.name, a.count)
        .await
        .map_err(anyhow::Error::msg)?;
    let run_ctx = agreed(
        ctx,
        &plan.lines(),
        &a.run,
        a.yes,
        &format!("Add {} workers to {}?", a.count, a.name),
    )?;
    let l = launch::launch(&run_ctx, &plan, false, &say)
        .await
        .map_err(anyhow::Error::msg)?;
    if a.run.wait && !l.dry_run {
        running(ctx, &l.region, &l.instance_ids).await?;
    }
    if a.run.json {
        out!(
            "{}",
            serde_json::to_string_pretty(
                &json!({"plan": plan, "usd_per_hour": plan.hourly(), "launched": l})
            )?
        );
    } else {
        out!(
            "{}",
            summary(&plan, &l).replacen("launched", &format!("grew {}:", a.name), 1)
        );
    }
    Ok(ExitCode::SUCCESS)
}

async fn shrink(ctx: &Context, a: &ClusterResizeArgs) -> anyhow::Result<ExitCode> {
    let (inv, _) = ctx.inventory().await;
    let victims =
        crate::ops::cluster::shrink_victims(&inv, &a.name, a.count).map_err(anyhow::Error::msg)?;
    let region = inv
        .spark_clusters
        .iter()
        .find(|c| c.name == a.name)
        .map(|c| c.region.clone())
        .unwrap_or_default();
    let saves: rust_decimal::Decimal = victims
        .iter()
        .filter_map(|id| inv.instance(id))
        .filter_map(|i| {
            crate::cost::Prices::load(&ctx.dirs.cache)
                .on_demand(&i.region, &i.instance_type)
                .ok()
                .map(|r| r.usd_per_hour.decimal())
        })
        .sum();
    let spot = victims
        .iter()
        .filter_map(|id| inv.instance(id))
        .any(|i| i.spot);
    let what = format!(
        "shrink {}: terminate the newest {} worker(s) {} (saves about ${saves:.4}/h{})",
        a.name,
        victims.len(),
        victims.join(", "),
        if spot {
            " at on-demand prices; spot costs less"
        } else {
            ""
        }
    );
    if a.run.json {
        err!("{what}");
    } else {
        out!("{what}");
    }
    if a.run.dry_run {
        if let Some(e) = ctx
            .gate
            .refusal("ec2", &region, &format!("shrink {}", a.name))
        {
            bail!("{}", e.message);
        }
        if a.run.json {
            out!(
                "{}",
                serde_json::to_string_pretty(
                    &json!({"dry_run": true, "would_terminate": victims})
                )?
            );
        } else {
            out!("(dry run) nothing was terminated");
        }
        return Ok(ExitCode::SUCCESS);
    }
    consent(a.yes, "Terminate them?", "was terminated")?;
    let done = crate::ops::cluster::terminate_nodes(ctx, &region, &a.name, &victims)
        .await
        .map_err(anyhow::Error::msg)?;
    if a.run.wait {
        launch::wait_state(ctx, &region, &done, InstanceState::Terminated, &say)
            .await
            .map_err(anyhow::Error::msg)?;
    }
    if a.run.json {
        out!(
            "{}",
            serde_json::to_string_pretty(&json!({"terminated": done}))?
        );
    } else {
        out!("shrank {}: terminated {}", a.name, done.join(", "));
    }
    Ok(ExitCode::SUCCESS)
}

async fn delete(ctx: &Context, a: &ClusterDeleteArgs) -> anyhow::Result<ExitCode> {
    if a.confirm != a.name {
        bail!(
            "nothing was deleted: --confirm {} does not match {}",
            a.confirm,
            a.name
        );
    }
    let (inv, _) = ctx.inventory().await;
    if a.run.dry_run {
        let nodes = crate::ops::cluster::nodes(&inv, &a.name).map_err(anyhow::Error::msg)?;
        if a.run.json {
            out!(
                "{}",
                serde_json::to_string_pretty(&json!({"dry_run": true, "would_terminate": nodes}))?
            );
        } else {
            out!(
                "(dry run) would terminate every node of {}: {}",
                a.name,
                nodes.join(", ")
            );
        }
        return Ok(ExitCode::SUCCESS);
    }
    let deleted = crate::ops::cluster::delete(ctx, &inv, &a.name, &say)
        .await
        .map_err(anyhow::Error::msg)?;
    if a.run.json {
        out!("{}", serde_json::to_string_pretty(&deleted)?);
        return Ok(ExitCode::SUCCESS);
    }
    out!(
        "deleted {}: terminated {}{}",
        a.name,
        deleted.terminated.join(", "),
        if deleted.guards_removed.is_empty() {
            String::new()
        } else {
            format!("; removed {}", deleted.guards_removed.join(", "))
        }
    );
    if deleted.leftovers.is_empty() {
        out!("nothing of it is left that costs money");
    } else {
        out!("still costs money (skiff leftovers removes them):");
        for l in &deleted.leftovers {
            out!("  {l}");
        }
    }
    Ok(ExitCode::SUCCESS)
}
