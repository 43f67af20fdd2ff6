//! Lifecycle keys on the selected or marked rows: every verb asks first,
//! saying what it saves or adds per hour (terminate wants the name typed);
//! start on a terminated EMR cluster offers to relaunch it.

use super::answer::ResourceMsg;
use crate::config::Action;
use crate::lifecycle::relaunch::RelaunchPlan;
use crate::lifecycle::{Target, Verb};
use crate::ops::lifecycle as ops;
use crate::tui::ctx::Ctx;
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::popups::confirm::Confirm;
use crate::tui::table::Table;
use crate::tui::world::lifecycle::capitalised;

/// The key action of a verb (to name its key).
fn action_for(verb: Verb) -> Action {
    match verb {
        Verb::Start => Action::Start,
        Verb::Stop => Action::Stop,
        Verb::Pause => Action::Pause,
        Verb::Resume => Action::Resume,
        Verb::Reboot => Action::Reboot,
        Verb::Terminate => Action::Terminate,
    }
}

fn verb_for(action: Action) -> Option<Verb> {
    Some(match action {
        Action::Start => Verb::Start,
        Action::Stop => Verb::Stop,
        Action::Pause => Verb::Pause,
        Action::Resume => Verb::Resume,
        Action::Reboot => Verb::Reboot,
        Action::Terminate => Verb::Terminate,
        _ => return None,
    })
}

/// A lifecycle key (true if `action` was one).
pub fn on_action(action: Action, view: ViewId, table: &Table, cx: &mut Ctx<'_>) -> bool {
    let Some(verb) = verb_for(action) else {
        return false;
    };
    if cx.world.read_only() {
        cx.warn(format!(
            "read-only mode: {verb} is disabled (started with --read-only or read_only = true)"
        ));
        return true;
    }
    let targets: Vec<Target> = table
        .chosen()
        .iter()
        .filter_map(|k| k.target().cloned())
        .collect();
    if targets.is_empty() {
        cx.warn("nothing selected");
        return true;
    }
    // Starting a terminated EMR cluster means creating it again.
    if matches!(verb, Verb::Start | Verb::Resume)
        && let [Target::Emr { region, id }] = targets.as_slice()
        && cx
            .world
            .inventory
            .emr_clusters
            .iter()
            .any(|c| &c.id == id && !c.state.is_active())
    {
        prepare_relaunch(view, region.clone(), id.clone(), cx);
        return true;
    }
    if verb == Verb::Terminate && targets.len() > 1 {
        cx.warn("terminate one thing at a time: unmark all but one (each needs its name typed)");
        return true;
    }
    ask(verb, targets, cx);
    true
}

/// A refusal in the TUI's words: a verb on a cluster is its key there.
fn words(r: &crate::lifecycle::Refusal, cx: &Ctx<'_>) -> String {
    r.words(&|verb, _cluster| format!("{} on it in the Clusters view", cx.key(action_for(verb))))
}

/// Plans the verb on every target and asks, or explains why not.
pub fn ask(verb: Verb, targets: Vec<Target>, cx: &mut Ctx<'_>) {
    if let Some(question) = question(verb, targets, cx) {
        cx.open(question);
    }
}

/// The question for `verb` on `targets`, or None when there is nothing to
/// ask (refused, nothing to do: said instead).
fn question(verb: Verb, targets: Vec<Target>, cx: &mut Ctx<'_>) -> Option<Confirm> {
    let Some(ctx) = cx.context() else {
        cx.warn("not connected yet");
        return None;
    };
    let world = cx.world;
    let mut plans = Vec::new();
    let mut refusals = Vec::new();
    for target in &targets {
        match ops::plan_for(&ctx, &world.inventory, target, verb) {
            Ok(p) => plans.push(p),
            Err(r) => refusals.push(r),
        }
    }
    if let Some(r) = refusals.first() {
        // A pause that cannot be a pause: offer the stop it suggests.
        if refusals.len() == 1 && plans.is_empty() && r.suggestion == Some(Verb::Stop) {
            let why = crate::lifecycle::Refusal {
                suggestion: None,
                ..r.clone()
            };
            let why = words(&why, cx);
            let mut stop = question(Verb::Stop, targets, cx)?;
            stop.preface(format!("{why} — stop instead?"));
            return Some(stop);
        }
        let more = if refusals.len() > 1 {
            format!(" (and {} more refused)", refusals.len() - 1)
        } else {
            String::new()
        };
        let said = words(r, cx);
        cx.warn(format!("{said}{more}"));
        return None;
    }
    if plans.iter().all(crate::lifecycle::Plan::is_noop) {
        let notes: Vec<String> = plans.iter().flat_map(|p| p.already.clone()).collect();
        cx.info(format!("nothing to do: {}", notes.join("; ")));
        return None;
    }
    let mut lines: Vec<String> = Vec::new();
    for p in &plans {
        lines.push(format!("{} {}", capitalised(verb), p.target));
        lines.extend(p.describe().into_iter().map(|l| format!("  {l}")));
    }
    let change = ops::hourly_change(
        &world.inventory,
        &plans,
        &world.prices,
        world.costs.as_ref(),
    );
    lines.push(String::new());
    lines.push(ops::hourly_line(verb, &plans, &change));
    let inventory = world.inventory.clone();
    let pairs: Vec<_> = plans.into_iter().zip(targets).collect();
    // Every verb asks: start and resume too, saying what they add.
    let confirm = Confirm::new(verb.to_string(), lines, move |cx, typed| {
        run(verb, pairs, &inventory, &typed, cx);
    });
    Some(if verb == Verb::Terminate {
        confirm.typed(
            "Terminate — this cannot be undone",
            "Type the name to confirm: ",
            None,
        )
    } else {
        confirm
    })
}

/// The user said yes (or typed the name): run it.
fn run(
    verb: Verb,
    pairs: Vec<(crate::lifecycle::Plan, Target)>,
    inventory: &crate::model::Inventory,
    typed: &str,
    cx: &mut Ctx<'_>,
) {
    if verb == Verb::Terminate {
        let checked = match pairs.as_slice() {
            [(plan, target)] => ops::check_confirmation(inventory, target, plan, typed),
            _ => Err("terminate one thing at a time".to_string()),
        };
        if let Err(e) = checked {
            return cx.warn(e);
        }
    }
    cx.emit(crate::tui::ctx::Event::LifecycleStarted);
    cx.change(move |world, notes| world.run_lifecycle(verb, pairs, notes));
}

/// Reads a terminated EMR cluster's configuration in the background; the
/// answer opens the question.
fn prepare_relaunch(view: ViewId, region: String, id: String, cx: &mut Ctx<'_>) {
    let Some(ctx) = cx.context() else {
        return cx.warn("not connected yet");
    };
    cx.info(format!("reading {id}'s configuration to relaunch it…"));
    cx.spawn(view, async move {
        ResourceMsg::Relaunch(
            ops::relaunch_plan(&ctx, &region, &id)
                .await
                .map(Box::new)
                .map_err(|e| format!("cannot relaunch {id}: {e}")),
        )
    });
}

/// The configuration arrived: ask, showing what will be created and what
/// it will cost per hour.
pub fn on_relaunch_plan(result: Result<Box<RelaunchPlan>, String>, cx: &mut Ctx<'_>) {
    let plan = match result {
        Ok(plan) => plan,
        Err(e) => return cx.error(e),
    };
    let lines = crate::render::lifecycle::relaunch_lines(&plan, false);
    cx.open(Confirm::new("relaunch", lines, move |cx, _| {
        let Some(ctx) = cx.context() else {
            return cx.warn("not connected yet");
        };
        let view = cx.view;
        cx.info(format!("relaunching {}…", plan.blueprint.name));
        cx.spawn(view, async move {
            ResourceMsg::Relaunched {
                name: plan.blueprint.name.clone(),
                result: ops::relaunch(&ctx, &plan).await,
            }
        });
    }));
}

/// The relaunch went out (or not).
pub fn on_relaunched(
    name: &str,
    result: Result<Option<String>, crate::cloud::CloudError>,
    cx: &mut Ctx<'_>,
) {
    match result {
        Ok(Some(id)) => {
            cx.info(format!(
                "relaunched {name} as {id}: EMR takes several minutes to start it"
            ));
            cx.change(|world, _| world.refresh());
        }
        Ok(None) => cx.info(format!("{name}: nothing created")),
        Err(e) => cx.error(format!("cannot relaunch {name}: {e}")),
    }
}
