//! Spark clusters from nothing, for both faces: created (a master on
//! demand, workers spot or not), grown by workers like the existing ones,
//! shrunk by the newest workers, deleted with skiff's guards of it and a
//! list of what still costs money afterwards. Every node carries the
//! cluster tags, so every other verb works on the cluster at once.

use serde::Serialize;

use super::connect::Context;
use super::launch::{self, Launched, Plan};
use crate::launch::{self as pure, Membership, Source, Spec, Spot, Then};
use crate::model::{InstanceState, Inventory, SparkCluster, SparkConvention};

/// The Name tag of a cluster's master and of its workers.
pub fn node_name(cluster: &str, role: &str) -> String {
    format!("{cluster}-{role}")
}

/// The plans of a new cluster: its master, then its workers.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CreatePlan {
    pub master: Plan,
    pub workers: Option<Plan>,
    /// The cluster's deadline (every node), and what it does.
    #[serde(skip)]
    pub deadline: Option<(std::time::Duration, crate::launch::Then)>,
}

impl CreatePlan {
    pub fn lines(&self) -> Vec<String> {
        let mut out = self.master.lines();
        if let Some(w) = &self.workers {
            out.extend(w.lines());
        }
        let total: Option<crate::cost::Money> = match (
            &self.master.hourly(),
            self.workers.as_ref().map(Plan::hourly),
        ) {
            (Some(m), Some(Some(w))) => Some(*m + w),
            (Some(m), None) => Some(*m),
            _ => None,
        };
        if let Some(t) = total {
            out.push(format!("the cluster costs {t}/h while running"));
        }
        if let Some((after, then)) = self.deadline {
            out.push(format!(
                "deadline: every node {} after {} (EventBridge Scheduler, laptop closed or not)",
                match then {
                    crate::launch::Then::Stop => "stopped",
                    crate::launch::Then::Terminate => "terminated",
                },
                humantime::format_duration(after)
            ));
        }
        out
    }
}

/// What a new cluster is made of: `base` (a recipe and flags) for the
/// master (on demand) and `workers` workers.
#[derive(Debug, Clone, PartialEq)]
pub struct NewCluster {
    pub name: String,
    pub workers: i32,
    pub master_type: Option<String>,
    pub worker_type: Option<String>,
    pub spot_workers: bool,
    pub base: Spec,
}

fn node_spec(
    base: &Spec,
    cluster: &str,
    role: &str,
    ty: Option<&String>,
    count: i32,
    spot: Spot,
) -> Spec {
    let mut s = base.clone();
    s.name = node_name(cluster, role);
    if let Some(t) = ty {
        s.types = vec![t.clone()];
    }
    s.count = count;
    s.spot = spot;
    // A deadline is the cluster's: set once over every node (create).
    s.deadline = None;
    s.member = Some(Membership {
        cluster: cluster.to_string(),
        role: role.to_string(),
    });
    s
}

/// The plans of a new cluster (nothing made). Refused when a cluster of
/// that name exists.
pub async fn plan_create(
    ctx: &Context,
    inv: &Inventory,
    c: &NewCluster,
) -> Result<CreatePlan, String> {
    if let Some(existing) = inv.spark_clusters.iter().find(|s| s.name == c.name) {
        return Err(format!(
            "a Spark cluster named {} exists ({} nodes, {}): grow it with skiff cluster grow {} N",
            c.name,
            existing.node_count(),
            existing.region,
            c.name
        ));
    }
    if !(0..=100).contains(&c.workers) {
        return Err(format!("--workers is 0 to 100, not {}", c.workers));
    }
    let master = node_spec(
        &c.base,
        &c.name,
        "master",
        c.master_type.as_ref(),
        1,
        Spot::No,
    );
    let master = launch::plan(ctx, master).await?;
    let workers = if c.workers > 0 {
        let spot = if c.spot_workers {
            Spot::Yes
        } else {
            c.base.spot
        };
        let w = node_spec(
            &c.base,
            &c.name,
            "worker",
            c.worker_type.as_ref(),
            c.workers,
            spot,
        );
        Some(launch::plan(ctx, w).await?)
    } else {
        None
    };
    Ok(CreatePlan {
        master,
        workers,
        deadline: c.base.deadline.map(|d| (d, c.base.then)),
    })
}

/// What a create made.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Created {
    pub master: Launched,
    pub workers: Option<Launched>,
}

/// Makes the cluster: the master first, then the workers.
pub async fn create(
    ctx: &Context,
    plan: &CreatePlan,
    create_role: bool,
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<Created, String> {
    let master = launch::launch(ctx, &plan.master, create_role, say).await?;
    let mut workers = match &plan.workers {
        Some(w) => Some(
            launch::launch(ctx, w, create_role, say)
                .await
                .map_err(|e| {
                    format!(
                        "the master {} was launched, but not the workers: {e}",
                        master.instance_ids.join(", ")
                    )
                })?,
        ),
        None => None,
    };
    if let Some((after, then)) = plan.deadline
        && !master.dry_run
    {
        // One schedule over every node; spot workers, which AWS cannot
        // stop, get their own that terminates them.
        let spot = workers.as_ref().filter(|w| w.spot && then == Then::Stop);
        let mut groups: Vec<(Vec<String>, Then)> = vec![(master.instance_ids.clone(), then)];
        match (&workers, spot) {
            (Some(w), Some(_)) => groups.push((
                w.instance_ids.clone(),
                launch::deadline_action(then, true, say),
            )),
            (Some(w), None) => groups[0].0.extend(w.instance_ids.iter().cloned()),
            (None, _) => {}
        }
        for (ids, then) in groups {
            let d = launch::set_deadline(
                ctx,
                &plan.master.region,
                plan.master.target(),
                after,
                then,
                &ids,
                create_role,
            )
            .await
            .map_err(|e| format!("the cluster {} runs, but {e}", plan.master.target()))?;
            if let Some(w) = workers.as_mut() {
                w.deadline = Some((d.name.clone(), d.at));
            }
            say(format!(
                "deadline {}: {} {} at {}",
                d.name,
                then.as_str(),
                ids.join(", "),
                d.at.format("%H:%M UTC")
            ));
        }
    }
    Ok(Created { master, workers })
}

/// A cluster skiff can resize: one of its own convention (tags).
fn own<'a>(inv: &'a Inventory, name: &str) -> Result<&'a SparkCluster, String> {
    let c = inv
        .spark_clusters
        .iter()
        .find(|c| c.name == name)
        .ok_or_else(|| format!("no Spark cluster named {name}"))?;
    if c.convention != SparkConvention::Tags {
        return Err(format!(
            "{name} is a {:?} cluster: skiff grows and shrinks only clusters marked with its tags",
            c.convention
        ));
    }
    Ok(c)
}

/// Every live node of the Spark cluster `name` skiff made, master first.
pub fn nodes(inv: &Inventory, name: &str) -> Result<Vec<String>, String> {
    let c = own(inv, name)?;
    let mut ids: Vec<String> = c.master.iter().cloned().collect();
    ids.extend(workers_newest_first(inv, c).iter().map(|i| i.id.clone()));
    Ok(ids)
}

/// Live workers of `c`, newest first.
fn workers_newest_first<'a>(
    inv: &'a Inventory,
    c: &SparkCluster,
) -> Vec<&'a crate::model::Instance> {
    let mut w: Vec<_> = c
        .workers
        .iter()
        .filter_map(|id| inv.instance(id))
        .filter(|i| {
            !matches!(
                i.state,
                InstanceState::Terminated | InstanceState::ShuttingDown
            )
        })
        .collect();
    w.sort_by(|a, b| b.launch_time.cmp(&a.launch_time).then(b.id.cmp(&a.id)));
    w
}

/// The plan of `n` more workers like the newest one (or the master, in a
/// cluster without workers).
pub async fn plan_grow(ctx: &Context, inv: &Inventory, name: &str, n: i32) -> Result<Plan, String> {
    let c = own(inv, name)?;
    if !(1..=100).contains(&n) {
        return Err(format!("grow by 1 to 100 workers, not {n}"));
    }
    let model = workers_newest_first(inv, c)
        .first()
        .map(|i| i.id.clone())
        .or_else(|| c.master.clone())
        .ok_or_else(|| format!("{name} has no node to copy"))?;
    let spot = inv.instance(&model).is_some_and(|i| i.spot);
    let spec = Spec {
        name: node_name(name, "worker"),
        source: Source::Like(model),
        types: Vec::new(),
        count: n,
        subnets: Vec::new(),
        key: None,
        security_groups: Vec::new(),
        disk_gb: None,
        spot: if spot { Spot::Yes } else { Spot::No },
        idle: Some(pure::DEFAULT_IDLE),
        deadline: None,
        then: pure::Then::Stop,
        tunnels: Vec::new(),
        post_start_commands: Vec::new(),
        recipe: None,
        member: Some(Membership {
            cluster: name.to_string(),
            role: "worker".into(),
        }),
    };
    launch::plan(ctx, spec).await
}

/// The workers a shrink by `n` terminates: the newest.
pub fn shrink_victims(inv: &Inventory, name: &str, n: i32) -> Result<Vec<String>, String> {
    let c = own(inv, name)?;
    let workers = workers_newest_first(inv, c);
    let n = usize::try_from(n).unwrap_or(0);
    if n == 0 || n > workers.len() {
        return Err(format!(
            "{name} has {} workers: shrink by 1 to {}",
            workers.len(),
            workers.len()
        ));
    }
    Ok(workers.iter().take(n).map(|i| i.id.clone()).collect())
}

/// Terminates `ids` of cluster `name` (protected ones are refused before
/// any is touched) and removes their idle alarms.
pub async fn terminate_nodes(
    ctx: &Context,
    region: &str,
    name: &str,
    ids: &[String],
) -> Result<Vec<String>, String> {
    if let Some(e) = ctx
        .gate
        .refusal("ec2", region, &format!("terminate nodes of {name}"))
    {
        return Err(e.message);
    }
    let actions = ctx.actions();
    for id in ids {
        if actions
            .instance_protected(region, id)
            .await
            .map_err(|e| e.to_string())?
        {
            return Err(format!(
                "{id} has termination protection: nothing was terminated (skiff protect {id} off first)"
            ));
        }
    }
    let mut done = Vec::new();
    for id in ids {
        actions
            .terminate_instance(region, id)
            .await
            .map_err(|e| e.to_string())?;
        done.push(id.clone());
    }
    let alarms: Vec<String> = ids
        .iter()
        .map(|id| crate::guard::alarm_name(name, id))
        .collect();
    actions
        .delete_alarms(region, &alarms)
        .await
        .map_err(|e| e.to_string())?;
    Ok(done)
}

/// What a delete did and what still costs money.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Deleted {
    pub terminated: Vec<String>,
    pub guards_removed: Vec<String>,
    /// Volumes and addresses of the cluster's nodes left behind.
    pub leftovers: Vec<String>,
}

/// Terminates every node of `name`, removes skiff's guards of it, and
/// lists what of it still costs money once the nodes are gone.
pub async fn delete(
    ctx: &Context,
    inv: &Inventory,
    name: &str,
    say: &(dyn Fn(String) + Send + Sync),
) -> Result<Deleted, String> {
    let c = own(inv, name)?;
    let region = c.region.clone();
    let ids: Vec<String> = c.master.iter().chain(&c.workers).cloned().collect();
    let terminated = terminate_nodes(ctx, &region, name, &ids).await?;
    say(format!("terminating {}", terminated.join(", ")));
    let mut guards_removed = Vec::new();
    let actions = ctx.actions();
    for g in super::guard::list(ctx).await.map_err(|e| e.to_string())? {
        if g.target == name && g.kind != "idle" {
            actions
                .delete_schedule(&g.region, &g.name)
                .await
                .map_err(|e| e.to_string())?;
            guards_removed.push(g.name);
        }
    }
    launch::wait_state(ctx, &region, &terminated, InstanceState::Terminated, say).await?;
    let found = super::leftovers::find(ctx).await;
    let prefix = format!("{name}-");
    let leftovers = found
        .items
        .iter()
        .filter(|l| match &l.why {
            crate::cost::leftovers::Why::Volume { name: Some(n), .. } => n.starts_with(&prefix),
            _ => false,
        })
        .map(|l| {
            let monthly = l
                .monthly
                .value()
                .map_or_else(|| "?".into(), |m| m.to_string());
            format!("{} {} ({monthly}/month)", l.kind.as_str(), l.id)
        })
        .collect();
    Ok(Deleted {
        terminated,
        guards_removed,
        leftovers,
    })
}
