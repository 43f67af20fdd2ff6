//! `L` (the launch dialog, then the plan with its $/hour, then launching)
//! and, in the Clusters view, `+` (a worker like the others) and `-` (the
//! newest worker terminated): each asks first, each runs in the background
//! and answers the view that asked.

use ratatui::text::Line;

use super::answer::ResourceMsg;
use super::target::selected_target;
use crate::lifecycle::Target;
use crate::ops::launch::{Launched, Plan};
use crate::tui::ctx::{Ctx, Mode};
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::popups::ask::Ask;
use crate::tui::popups::launch::LaunchDialog;
use crate::tui::table::Table;

pub const LAUNCH_QUESTION: Mode = Mode("launch-question");

/// `L`: the launch dialog over the config's recipes.
pub fn open_dialog(view: ViewId, cx: &mut Ctx<'_>) {
    if let Some(why) = cx.refusal("ec2", "launch machines") {
        return cx.warn(why);
    }
    let recipes: Vec<_> = cx
        .world
        .config
        .recipes
        .iter()
        .map(|(n, r)| (n.clone(), r.clone()))
        .collect();
    if recipes.is_empty() {
        return cx.warn("no recipes in the config: add [recipes.NAME] (see `skiff recipes`)");
    }
    cx.open(LaunchDialog::new(recipes, move |cx, ask| {
        let Some(ctx) = cx.context() else {
            return cx.warn("not connected yet");
        };
        cx.info(format!("looking up the plan of {}…", ask.spec.name));
        if ask.workers > 0 {
            let inv = cx.world.inventory.clone();
            let new = crate::ops::cluster::NewCluster {
                name: ask.spec.name.clone(),
                workers: ask.workers,
                master_type: None,
                worker_type: None,
                spot_workers: false,
                base: ask.spec,
            };
            return cx.spawn(view, async move {
                let plan = crate::ops::cluster::plan_create(&ctx, &inv, &new).await;
                ResourceMsg::ClusterPlan(plan.map(Box::new))
            });
        }
        cx.spawn(view, async move {
            ResourceMsg::LaunchPlan(crate::ops::launch::plan(&ctx, ask.spec).await.map(Box::new))
        });
    }));
}

/// The plan arrived: shown whole, with its $/hour; yes launches it.
pub fn on_plan(result: Result<Box<Plan>, String>, grow: bool, cx: &mut Ctx<'_>) {
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => return cx.error(e),
    };
    let mut body: Vec<Line<'static>> = plan.lines().into_iter().map(Line::from).collect();
    if grow && let Some(h) = plan.hourly() {
        body.push(Line::from(""));
        body.push(Line::from(format!(
            "the cluster's cost goes up by {h}/h while it runs"
        )));
    }
    let title = if grow {
        format!("Grow {}?", plan.target())
    } else {
        format!("Launch {}?", plan.spec.name)
    };
    let view = cx.view;
    cx.open(
        Ask::new(LAUNCH_QUESTION, title, body, move |cx, ()| {
            let Some(ctx) = cx.context() else {
                return cx.warn("not connected yet");
            };
            cx.info(format!("launching {}…", plan.spec.name));
            cx.spawn(view, async move {
                let result = crate::ops::launch::launch(&ctx, &plan, true, &|_| {}).await;
                ResourceMsg::Launched(result.map(Box::new))
            });
        })
        .answers("launch", "cancel")
        .declined("nothing was launched"),
    );
}

/// A new cluster's plans arrived: shown whole, with what it costs; yes
/// creates it (the master first).
pub fn on_cluster_plan(
    result: Result<Box<crate::ops::cluster::CreatePlan>, String>,
    cx: &mut Ctx<'_>,
) {
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => return cx.error(e),
    };
    let name = plan.master.target().to_string();
    let body: Vec<Line<'static>> = plan.lines().into_iter().map(Line::from).collect();
    let view = cx.view;
    cx.open(
        Ask::new(
            LAUNCH_QUESTION,
            format!("Create the cluster {name}?"),
            body,
            move |cx, ()| {
                let Some(ctx) = cx.context() else {
                    return cx.warn("not connected yet");
                };
                cx.info(format!("creating {name}…"));
                cx.spawn(view, async move {
                    let result = crate::ops::cluster::create(&ctx, &plan, true, &|_| {}).await;
                    ResourceMsg::Created(result.map(Box::new))
                });
            },
        )
        .answers("create", "cancel")
        .declined("nothing was launched"),
    );
}

/// A cluster was created (or not).
pub fn on_created(result: Result<Box<crate::ops::cluster::Created>, String>, cx: &mut Ctx<'_>) {
    match result {
        Ok(c) => {
            let workers = c.workers.as_ref().map_or(0, |w| w.instance_ids.len());
            cx.info(format!(
                "created {}: master {} and {workers} workers",
                c.master.name.trim_end_matches("-master"),
                c.master.instance_ids.join(", ")
            ));
            cx.change(|world, _| world.refresh());
        }
        Err(e) => {
            cx.error(format!("cluster: {e}"));
            cx.change(|world, _| world.refresh());
        }
    }
}

/// The launch went out (or not): its closing words; the lists refresh.
pub fn on_launched(result: Result<Box<Launched>, String>, cx: &mut Ctx<'_>) {
    let l = match result {
        Ok(l) => l,
        Err(e) => {
            // Machines may run even so (the error says which): list them.
            cx.error(format!("launch: {e}"));
            return cx.change(|world, _| world.refresh());
        }
    };
    for f in &l.fallbacks {
        cx.warn(f.clone());
    }
    let deadline = l.deadline.as_ref().map_or_else(String::new, |(_, at)| {
        format!(" · deadline {}", at.format("%H:%M UTC"))
    });
    cx.info(format!(
        "launched {}: {} {} {}{}{deadline}",
        l.name,
        l.instance_ids.join(", "),
        l.instance_type.as_deref().unwrap_or(""),
        if l.spot { "spot" } else { "on demand" },
        if l.alarms.is_empty() {
            ""
        } else {
            " · idle guard"
        },
    ));
    cx.change(|world, _| world.refresh());
}

/// The selected row's Spark cluster, or a word about why not.
fn selected_cluster(table: &Table, cx: &mut Ctx<'_>) -> Option<String> {
    match selected_target(table, cx)? {
        Target::Spark { name, .. } => Some(name),
        Target::Emr { .. } => {
            cx.warn("+ and - grow and shrink Spark clusters made of EC2 nodes; EMR resizes its own instance groups (p pauses, P resumes)");
            None
        }
        Target::Instance { .. } => {
            cx.warn("+ and - grow and shrink Spark clusters: select one in Clusters");
            None
        }
    }
}

/// `+`: a worker like the others, planned in the background.
pub fn grow(view: ViewId, table: &Table, cx: &mut Ctx<'_>) {
    let Some(name) = selected_cluster(table, cx) else {
        return;
    };
    if let Some(why) = cx.refusal("ec2", &format!("grow {name}")) {
        return cx.warn(why);
    }
    let Some(ctx) = cx.context() else {
        return cx.warn("not connected yet");
    };
    let inv = cx.world.inventory.clone();
    cx.spawn(view, async move {
        let plan = crate::ops::cluster::plan_grow(&ctx, &inv, &name, 1).await;
        ResourceMsg::GrowPlan(plan.map(Box::new))
    });
}

/// `-`: the newest worker, terminated once the user agrees.
pub fn shrink(view: ViewId, table: &Table, cx: &mut Ctx<'_>) {
    let Some(name) = selected_cluster(table, cx) else {
        return;
    };
    if let Some(why) = cx.refusal("ec2", &format!("shrink {name}")) {
        return cx.warn(why);
    }
    let inv = &cx.world.inventory;
    let victims = match crate::ops::cluster::shrink_victims(inv, &name, 1) {
        Ok(v) => v,
        Err(e) => return cx.warn(e),
    };
    let region = inv
        .spark_clusters
        .iter()
        .find(|c| c.name == name)
        .map(|c| c.region.clone())
        .unwrap_or_default();
    let saves = victims
        .iter()
        .filter_map(|id| inv.instance(id))
        .filter_map(|i| {
            crate::cost::Prices::load(&cx.world.dirs.cache)
                .on_demand(&i.region, &i.instance_type)
                .ok()
        })
        .map(|r| r.usd_per_hour.to_string())
        .next()
        .unwrap_or_else(|| "an unknown amount".into());
    let body = vec![Line::from(format!(
        "Terminate the newest worker of {name}, {}? The cluster then costs {saves}/h less while it runs. This cannot be undone.",
        victims.join(", ")
    ))];
    cx.open(
        Ask::new(
            LAUNCH_QUESTION,
            format!("Shrink {name}?"),
            body,
            move |cx, ()| {
                let Some(ctx) = cx.context() else {
                    return cx.warn("not connected yet");
                };
                cx.spawn(view, async move {
                    let result =
                        crate::ops::cluster::terminate_nodes(&ctx, &region, &name, &victims).await;
                    ResourceMsg::Shrunk { name, result }
                });
            },
        )
        .answers("terminate", "keep")
        .declined("nothing was terminated"),
    );
}

pub fn on_shrunk(name: &str, result: Result<Vec<String>, String>, cx: &mut Ctx<'_>) {
    match result {
        Ok(ids) => {
            cx.info(format!("{name}: terminating {}", ids.join(", ")));
            cx.change(|world, _| world.refresh());
        }
        Err(e) => cx.error(format!("cannot shrink {name}: {e}")),
    }
}
