//! Guards from the TUI: the dialog for the selected instance or Spark
//! cluster, its requests run through the same operations as `skiff guard`,
//! and skiff's IAM role created only after its policies were shown and
//! agreed to. The outcomes come back as values and are put in words here.

use ratatui::text::{Line, Span};

use super::answer::ResourceMsg;
use crate::ops::guard::{
    self as ops, IdleSet, Removed, RoleChoice, RoleDocuments, ScheduleRefusal, ScheduleSet, Which,
};
use crate::tui::ctx::Ctx;
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::popups::ask::Ask;
use crate::tui::popups::guard::{GuardDialog, GuardRequest, GuardWhat};
use crate::tui::table::Table;

pub const ROLE_QUESTION: crate::tui::ctx::Mode = crate::tui::ctx::Mode("role-question");

/// What came of a guard request.
pub enum GuardAnswer {
    Idle(Result<IdleSet, String>),
    Cleared(Result<Removed, String>),
    Scheduled(Result<ScheduleSet, String>),
    /// A schedule needs skiff's role: its policies, to ask first.
    NeedsRole {
        request: Box<GuardRequest>,
        docs: RoleDocuments,
    },
}

/// The guards of the selected instance or Spark cluster, in a dialog.
pub fn open_dialog(view: ViewId, table: &Table, cx: &mut Ctx<'_>) {
    if cx.world.read_only() {
        return cx.warn(
            "read-only mode: guards cannot be set (started with --read-only or read_only = true)",
        );
    }
    let Some(target) = super::target::selected_target(table, cx) else {
        return;
    };
    let world = cx.world;
    let guarded = match ops::guarded(&world.inventory, &target, &world.prices) {
        Ok(g) => g,
        Err(why) => return cx.warn(why),
    };
    let dialog = dialog(view, guarded, cx);
    cx.open(dialog);
}

/// The dialog for `guarded`, starting from the guards it has now.
fn dialog(view: ViewId, guarded: ops::Guarded, cx: &Ctx<'_>) -> GuardDialog {
    let world = cx.world;
    let ids = guarded.instance_ids();
    let ids: Vec<&String> = ids.iter().collect();
    let mut current: Vec<String> = Vec::new();
    let mut settings = Vec::new();
    let mut zone = None;
    for g in world.guards_of(&ids) {
        let line = match &g.next_run {
            Some(t) => format!("{} (next {})", g.rule, crate::render::format::timestamp(*t)),
            None => g.rule.clone(),
        };
        if !current.contains(&line) {
            current.push(line);
        }
        settings.extend(g.setting.clone());
        zone = zone.or(g.timezone.clone());
    }
    GuardDialog::new(guarded, current, world.local_zone, move |cx, request| {
        run(view, request, false, cx)
    })
    .starting_from(&settings, zone.as_deref())
}

/// Carries out what the dialog asked, in the background; `create_role`:
/// the user agreed to skiff's role after seeing its policies.
fn run(view: ViewId, request: GuardRequest, create_role: bool, cx: &mut Ctx<'_>) {
    let Some(ctx) = cx.context() else {
        return cx.warn("not connected yet");
    };
    cx.info(format!(
        "setting up the guards of {}…",
        request.guarded.name
    ));
    cx.spawn(view, async move {
        let g = &request.guarded;
        let answer = match &request.what {
            GuardWhat::Idle(rule) => GuardAnswer::Idle(ops::set_idle(&ctx, g, rule).await),
            GuardWhat::Clear => {
                let which = Which {
                    idle: true,
                    schedule: true,
                };
                GuardAnswer::Cleared(ops::off(&ctx, g, which).await)
            }
            GuardWhat::Schedule(t) => {
                let role = RoleChoice::Own {
                    create: create_role,
                };
                match ops::set_schedule(&ctx, g, t.start, t.stop, t.tz, t.pause, &role).await {
                    Ok(s) => GuardAnswer::Scheduled(Ok(s)),
                    Err(ScheduleRefusal::NeedsRole(docs)) => GuardAnswer::NeedsRole {
                        request: Box::new(request.clone()),
                        docs,
                    },
                    Err(ScheduleRefusal::Failed(why)) => GuardAnswer::Scheduled(Err(why)),
                }
            }
        };
        ResourceMsg::Guard(answer)
    });
}

pub fn on_answer(answer: GuardAnswer, view: ViewId, cx: &mut Ctx<'_>) {
    let said = match answer {
        GuardAnswer::NeedsRole { request, docs } => {
            return cx.open(role_question(view, *request, &docs, cx.theme));
        }
        GuardAnswer::Idle(r) => r.map(|s| {
            format!(
                "{}: {} on {} node{} (CloudWatch alarms; they stop, they cannot hibernate)",
                s.target,
                s.rule,
                s.alarms.len(),
                if s.alarms.len() == 1 { "" } else { "s" }
            )
        }),
        GuardAnswer::Cleared(r) => r.map(|r| {
            format!(
                "{}: removed {} alarm(s) and {} schedule(s){}",
                r.target,
                r.alarms.len(),
                r.schedules.len(),
                if r.role_deleted {
                    " and skiff's scheduler role"
                } else {
                    ""
                }
            )
        }),
        GuardAnswer::Scheduled(r) => r.map(|s| {
            let rules: Vec<&str> = s.schedules.iter().map(|x| x.rule.as_str()).collect();
            format!("{}: {} ({})", s.target, rules.join(", "), s.timezone)
        }),
    };
    match said {
        Ok(what) => cx.info(what),
        Err(why) => cx.error(why),
    }
    cx.change(|world, _| world.fetch_guards(true));
}

/// A schedule waits for skiff's role: its policies, shown before it is
/// made; `y` creates it and sets the schedule.
pub fn role_question(
    view: ViewId,
    request: GuardRequest,
    docs: &RoleDocuments,
    theme: &crate::tui::theme::Theme,
) -> Ask {
    let mut body = vec![
        Line::from(format!(
            "EventBridge Scheduler needs an IAM role to start and stop instances. skiff would create {} with:",
            crate::guard::ROLE_NAME
        )),
        Line::from(""),
        Line::from(Span::styled(
            "Trust policy (who may use it):",
            theme.label(),
        )),
    ];
    body.extend(docs.trust.lines().map(|l| Line::from(l.to_string())));
    body.push(Line::from(Span::styled(
        "Permission policy (what it may do):",
        theme.label(),
    )));
    body.extend(docs.permission.lines().map(|l| Line::from(l.to_string())));
    let again = request.clone();
    Ask::new(
        ROLE_QUESTION,
        "Create the scheduler role?",
        body,
        move |cx, ()| run(view, request, true, cx),
    )
    .answers("create it and schedule", "leave it")
    .declined("nothing was scheduled: the role was not created (your times are kept)")
    .or_else(move |cx| {
        let d = dialog(view, again.guarded.clone(), cx).with_request(&again.what);
        cx.open(d);
    })
}
