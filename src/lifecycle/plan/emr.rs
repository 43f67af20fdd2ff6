//! EMR clusters' plans: a cluster runs until it is terminated, so pause and
//! resume resize its groups (the counts a pause replaces are saved, for the
//! resume), and terminate ends the whole cluster.

use std::collections::BTreeMap;

use super::{GroupResize, PausedCounts, Plan, PlanOptions, Reason, Refusal, Verb, Work, refuse};
use crate::model::{EmrCluster, EmrInstanceGroup, EmrState};

pub(super) fn emr_plan(
    label: String,
    c: &EmrCluster,
    verb: Verb,
    opts: &PlanOptions,
    saved: Option<&PausedCounts>,
) -> Result<Plan, Refusal> {
    let ended = matches!(
        c.state,
        EmrState::Terminated | EmrState::TerminatedWithErrors | EmrState::Terminating
    );
    if ended && verb != Verb::Terminate {
        return Err(refuse(format!(
            "{label} is {}; a terminated EMR cluster can only be relaunched",
            c.state.as_str()
        )));
    }
    let resize = |(resizes, already): (Vec<GroupResize>, Vec<String>), remember, forget| Plan {
        verb,
        target: label.clone(),
        work: Work::EmrResize {
            cluster_id: c.id.clone(),
            region: c.region.clone(),
            resizes,
            remember,
            forget,
        },
        already,
    };
    match verb {
        Verb::Start | Verb::Stop | Verb::Reboot => Err(Refusal {
            reason: Reason::Said(format!(
                "EMR clusters cannot be stopped, started or rebooted: {label} runs until it is terminated. \
                 `pause` scales its TASK groups to 0 and CORE to {}, and `resume` scales them back",
                opts.emr_pause_core_count
            )),
            suggestion: (verb == Verb::Stop).then_some(Verb::Pause),
        }),
        Verb::Terminate => terminate(label, c, ended),
        Verb::Pause => {
            if !matches!(c.state, EmrState::Running | EmrState::Waiting) {
                return Err(refuse(format!(
                    "{label} is {}; pause it once it is WAITING or RUNNING",
                    c.state.as_str()
                )));
            }
            let changes = resizes_to(c, |g| match g.role.as_str() {
                "TASK" => Some(0),
                "CORE" => Some(g.requested.min(opts.emr_pause_core_count)),
                _ => None,
            });
            let remember = counts_to_save(c, saved, &changes.0);
            Ok(resize(changes, remember, false))
        }
        Verb::Resume => {
            let Some(saved) = saved else {
                return Err(refuse(format!(
                    "skiff has no saved instance counts for {label}: it was not paused by skiff, or was resumed already"
                )));
            };
            let changes = resizes_to(c, |g| saved.groups.get(&g.id).copied());
            Ok(resize(changes, None, true))
        }
    }
}

/// Terminating the cluster: already done where it `ended`; refused while
/// termination protection is on.
fn terminate(label: String, c: &EmrCluster, ended: bool) -> Result<Plan, Refusal> {
    let already = if ended {
        vec![format!("{label} is already {}", c.state.as_str())]
    } else if c.termination_protected {
        return Err(refuse(format!(
            "{label} has termination protection on; turn it off first (`skiff protect {} off`)",
            c.id
        )));
    } else {
        vec![]
    };
    Ok(Plan {
        verb: Verb::Terminate,
        target: label,
        work: Work::EmrTerminate {
            cluster_id: c.id.clone(),
            region: c.region.clone(),
        },
        already,
    })
}

/// The groups `to` gives a count for: a resize for each not at it yet, a
/// note for each already there.
fn resizes_to(
    c: &EmrCluster,
    to: impl Fn(&EmrInstanceGroup) -> Option<i32>,
) -> (Vec<GroupResize>, Vec<String>) {
    let mut resizes = Vec::new();
    let mut already = Vec::new();
    for g in &c.instance_groups {
        let Some(to) = to(g) else {
            continue;
        };
        if g.requested == to {
            already.push(format!("{} group {} is already at {to}", g.role, g.id));
        } else {
            resizes.push(GroupResize {
                group_id: g.id.clone(),
                role: g.role.clone(),
                from: g.requested,
                to,
            });
        }
    }
    (resizes, already)
}

/// The counts a pause saves before `resizes`, if it resizes anything: a
/// second pause must not overwrite the counts saved by the first.
fn counts_to_save(
    c: &EmrCluster,
    saved: Option<&PausedCounts>,
    resizes: &[GroupResize],
) -> Option<PausedCounts> {
    let mut counts = saved.cloned().unwrap_or_else(|| PausedCounts {
        cluster_id: c.id.clone(),
        groups: BTreeMap::new(),
    });
    for r in resizes {
        counts.groups.entry(r.group_id.clone()).or_insert(r.from);
    }
    (!resizes.is_empty()).then_some(counts)
}
