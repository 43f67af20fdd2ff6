//! Lifecycle plans: for a verb and a target, which calls in which order (pure).
//!
//! Plans are idempotent: what is already in the wanted state becomes a note
//! ("already running"), so running the same command again finishes a job that
//! failed half-way. What cannot be done is refused with the reason and, where
//! there is one, the verb to use instead.

mod emr;

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

use super::target::Target;
use crate::model::Inventory;
use crate::model::{Instance, InstanceState};
use emr::emr_plan;

/// What the user asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Verb {
    Start,
    Stop,
    Pause,
    Resume,
    Reboot,
    Terminate,
}

impl Verb {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Start => "start",
            Self::Stop => "stop",
            Self::Pause => "pause",
            Self::Resume => "resume",
            Self::Reboot => "reboot",
            Self::Terminate => "terminate",
        }
    }
}

impl Verb {
    /// The verb done: `stopped`, `started`, …
    pub fn participle(self) -> &'static str {
        match self {
            Self::Start => "started",
            Self::Stop => "stopped",
            Self::Pause => "paused",
            Self::Resume => "resumed",
            Self::Reboot => "rebooted",
            Self::Terminate => "terminated",
        }
    }
}

impl fmt::Display for Verb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One EC2 call on one instance.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Ec2Op {
    Start,
    Stop,
    Hibernate,
    Reboot,
    Terminate,
}

impl Ec2Op {
    /// The state the instance ends in (a reboot ends running).
    pub fn target_state(self) -> InstanceState {
        match self {
            Self::Start | Self::Reboot => InstanceState::Running,
            Self::Stop | Self::Hibernate => InstanceState::Stopped,
            Self::Terminate => InstanceState::Terminated,
        }
    }

    /// Whether an instance seen in `state` shows this call took effect (a
    /// reboot leaves no trace).
    pub fn underway(self, state: InstanceState) -> bool {
        use InstanceState as S;
        match self {
            Self::Start => matches!(state, S::Pending | S::Running),
            Self::Stop | Self::Hibernate => matches!(state, S::Stopping | S::Stopped),
            Self::Terminate => matches!(state, S::ShuttingDown | S::Terminated),
            Self::Reboot => false,
        }
    }

    pub fn progressive(self) -> &'static str {
        match self {
            Self::Start => "starting",
            Self::Stop => "stopping",
            Self::Hibernate => "hibernating",
            Self::Reboot => "rebooting",
            Self::Terminate => "terminating",
        }
    }
}

/// An EC2 call planned for one node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NodeAction {
    pub id: String,
    pub name: String,
    pub region: String,
    pub op: Ec2Op,
}

/// Nodes acted on together; with `wait_before_next`, the next phase starts
/// only once every node here reached its target state.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Phase {
    pub label: &'static str,
    pub actions: Vec<NodeAction>,
    pub wait_before_next: bool,
}

/// A change of one EMR instance group's requested count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GroupResize {
    pub group_id: String,
    pub role: String,
    pub from: i32,
    pub to: i32,
}

/// Instance-group counts saved when skiff paused an EMR cluster.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PausedCounts {
    pub cluster_id: String,
    /// Instance group id → requested count before the pause.
    pub groups: BTreeMap<String, i32>,
}

/// The calls a plan makes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Work {
    Ec2 {
        phases: Vec<Phase>,
    },
    EmrResize {
        cluster_id: String,
        region: String,
        resizes: Vec<GroupResize>,
        /// Counts to save before resizing (pause), if any.
        remember: Option<PausedCounts>,
        /// Delete the saved counts once done (resume).
        forget: bool,
    },
    EmrTerminate {
        cluster_id: String,
        region: String,
    },
}

/// What a verb will do to a target.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Plan {
    pub verb: Verb,
    pub target: String,
    pub work: Work,
    /// Nodes or groups already as wanted: nothing to do for them.
    pub already: Vec<String>,
}

impl Plan {
    /// True when there is nothing left to do.
    pub fn is_noop(&self) -> bool {
        match &self.work {
            Work::Ec2 { phases } => phases.iter().all(|p| p.actions.is_empty()),
            Work::EmrResize { resizes, .. } => resizes.is_empty(),
            Work::EmrTerminate { .. } => false,
        }
    }

    /// Every EC2 action, in order.
    pub fn actions(&self) -> Vec<&NodeAction> {
        match &self.work {
            Work::Ec2 { phases } => phases.iter().flat_map(|p| &p.actions).collect(),
            _ => vec![],
        }
    }

    /// One line per step, for `--dry-run` and confirmations.
    pub fn describe(&self) -> Vec<String> {
        let mut out = Vec::new();
        match &self.work {
            Work::Ec2 { phases } => {
                for (n, phase) in phases.iter().filter(|p| !p.actions.is_empty()).enumerate() {
                    let names: Vec<String> = phase
                        .actions
                        .iter()
                        .map(|a| format!("{} ({})", a.name, a.id))
                        .collect();
                    let op = phase.actions[0].op;
                    let wait = if phase.wait_before_next {
                        ", then wait until it is done"
                    } else {
                        ""
                    };
                    out.push(format!(
                        "{}. {} {}: {}{wait}",
                        n + 1,
                        op.progressive(),
                        phase.label,
                        names.join(", ")
                    ));
                }
            }
            Work::EmrResize {
                resizes,
                remember,
                forget,
                ..
            } => {
                for r in resizes {
                    out.push(format!(
                        "resize {} group {} from {} to {} instances",
                        r.role, r.group_id, r.from, r.to
                    ));
                }
                if remember.is_some() {
                    out.push("save the previous counts so that resume restores them".into());
                }
                if *forget {
                    out.push("forget the saved counts".into());
                }
            }
            Work::EmrTerminate { cluster_id, .. } => {
                out.push(format!("terminate EMR cluster {cluster_id}"))
            }
        }
        out.extend(self.already.iter().map(|a| format!("nothing to do: {a}")));
        out
    }
}

/// Why a verb cannot be applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub reason: Reason,
    /// A verb that would do what the user probably wants.
    pub suggestion: Option<Verb>,
}

/// The reason, where it names a way forward as values (each face says how
/// to take it: a command, or a key).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reason {
    Said(String),
    /// `verb` on a node of an EMR cluster: the cluster's verb instead.
    EmrNode {
        /// The node and its cluster, in words.
        who: String,
        cluster: String,
        verb: Verb,
    },
}

impl Refusal {
    /// A reason in words, with no verb to suggest.
    pub fn said(reason: impl Into<String>) -> Self {
        refuse(reason)
    }

    /// In words; `how(verb, cluster)` says how to apply a verb to a cluster
    /// in the face that speaks (`skiff pause analytics`, or a key).
    pub fn words(&self, how: &dyn Fn(Verb, &str) -> String) -> String {
        let said = match &self.reason {
            Reason::Said(text) => text.clone(),
            Reason::EmrNode { who, cluster, verb } => match verb {
                Verb::Terminate => format!(
                    "{who}: EMR would replace it or the cluster would fail; terminate the cluster instead ({})",
                    how(Verb::Terminate, cluster)
                ),
                Verb::Reboot => format!(
                    "{who}: EMR watches its nodes and replaces unhealthy ones itself; a reboot from outside can fail running steps and HDFS, so skiff does not offer it (pause and resume the cluster, {}, to shrink and grow it)",
                    how(Verb::Pause, cluster)
                ),
                _ => format!(
                    "{who}: stopping one node breaks HDFS and the cluster; pause the cluster instead ({})",
                    how(Verb::Pause, cluster)
                ),
            },
        };
        match self.suggestion {
            Some(v) => format!("{said} (use `{v}` instead)"),
            None => said,
        }
    }
}

/// How the command line applies `verb` to `cluster`.
pub fn command_for(verb: Verb, cluster: &str) -> String {
    match verb {
        Verb::Terminate => format!("`skiff terminate {cluster} --confirm {cluster}`"),
        v => format!("`skiff {v} {cluster}`"),
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.words(&command_for))
    }
}

impl std::error::Error for Refusal {}

fn refuse(reason: impl Into<String>) -> Refusal {
    Refusal {
        reason: Reason::Said(reason.into()),
        suggestion: None,
    }
}

/// Settings that shape plans.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOptions {
    /// CORE instances an EMR cluster keeps while paused.
    pub emr_pause_core_count: i32,
}

/// Plans `verb` on `target`. `saved` holds counts saved by an earlier pause
/// of that EMR cluster, if any.
pub fn plan(
    inv: &Inventory,
    target: &Target,
    verb: Verb,
    opts: &PlanOptions,
    saved: Option<&PausedCounts>,
) -> Result<Plan, Refusal> {
    let label = target.describe(inv);
    match target {
        Target::Instance { id } => {
            let instance = inv
                .instance(id)
                .ok_or_else(|| refuse(format!("{label} is no longer listed")))?;
            emr_node_refusal(inv, instance, verb)?;
            let (action, already) = node_step(instance, verb)?;
            let phases = vec![Phase {
                label: "instance",
                actions: action.into_iter().collect(),
                wait_before_next: false,
            }];
            Ok(Plan {
                verb,
                target: label,
                work: Work::Ec2 { phases },
                already: already.into_iter().collect(),
            })
        }
        Target::Spark { region, name } => {
            let cluster = inv
                .spark_clusters
                .iter()
                .find(|c| &c.region == region && &c.name == name)
                .ok_or_else(|| refuse(format!("{label} is no longer listed")))?;
            let master = cluster.master.as_deref().and_then(|id| inv.instance(id));
            let workers: Vec<&Instance> = cluster
                .workers
                .iter()
                .filter_map(|id| inv.instance(id))
                .collect();
            spark_plan(label, verb, master, &workers)
        }
        Target::Emr { id, .. } => {
            let cluster = inv
                .emr_clusters
                .iter()
                .find(|c| &c.id == id)
                .ok_or_else(|| refuse(format!("{label} is no longer listed")))?;
            emr_plan(label, cluster, verb, opts, saved)
        }
    }
}

/// An EMR node is part of its cluster: EMR runs it, HDFS keeps blocks on
/// it, and stopping or terminating it alone breaks the cluster. Such verbs
/// are refused with the cluster's name and the verb that acts on the whole.
fn emr_node_refusal(inv: &Inventory, i: &Instance, verb: Verb) -> Result<(), Refusal> {
    let Some(cluster_id) = i.emr_cluster() else {
        return Ok(());
    };
    let name = inv
        .emr_cluster(cluster_id)
        .map_or(cluster_id, |c| c.name.as_str());
    let node = match &i.name {
        Some(n) => format!("{n} ({})", i.id),
        None => i.id.clone(),
    };
    let who = format!(
        "{node} is a{} node of EMR cluster {name} ({cluster_id})",
        i.emr_role().map(|r| format!(" {r}")).unwrap_or_default()
    );
    if matches!(verb, Verb::Start | Verb::Resume) {
        return Ok(());
    }
    Err(Refusal {
        reason: Reason::EmrNode {
            who,
            cluster: name.to_string(),
            verb,
        },
        suggestion: None,
    })
}

/// The EC2 call for one node, or a note that it is already as wanted.
fn node_step(i: &Instance, verb: Verb) -> Result<(Option<NodeAction>, Option<String>), Refusal> {
    use InstanceState::*;
    let who = format!("{} ({})", i.display_name(), i.id);
    let act = |op| {
        Ok((
            Some(NodeAction {
                id: i.id.clone(),
                name: i.display_name().to_string(),
                region: i.region.clone(),
                op,
            }),
            None,
        ))
    };
    let already = |what: &str| Ok((None, Some(format!("{who} is already {what}"))));
    if matches!(i.state, Terminated | ShuttingDown) {
        return match verb {
            Verb::Terminate => already("terminated"),
            _ => Err(refuse(format!(
                "{who} is terminated (gone for good); it cannot be {}",
                verb.participle()
            ))),
        };
    }
    match (verb, i.state) {
        (Verb::Start | Verb::Resume, Running) => already("running"),
        (Verb::Start | Verb::Resume, Pending) => already("starting"),
        (Verb::Start | Verb::Resume, Stopped) => act(Ec2Op::Start),
        (Verb::Start | Verb::Resume, _) => Err(refuse(format!(
            "{who} is {}; start it again once it has stopped",
            i.state
        ))),
        (Verb::Pause, _) if !i.hibernation_configured => Err(Refusal {
            reason: Reason::Said(format!(
                "{who} cannot be paused: it was launched without hibernation configured (EC2 only hibernates \
                 instances launched with it); stopping keeps its disks but loses what is in memory"
            )),
            suggestion: Some(Verb::Stop),
        }),
        (Verb::Stop | Verb::Pause, Stopped) => already("stopped"),
        (Verb::Stop | Verb::Pause, Stopping) => already("stopping"),
        (Verb::Stop, _) => act(Ec2Op::Stop),
        (Verb::Pause, Pending) => Err(refuse(format!(
            "{who} is still starting; pause it once it runs"
        ))),
        (Verb::Pause, _) => act(Ec2Op::Hibernate),
        (Verb::Reboot, Running) => act(Ec2Op::Reboot),
        (Verb::Reboot, _) => Err(refuse(format!(
            "{who} is {}: only a running instance can be rebooted",
            i.state
        ))),
        (Verb::Terminate, _) => act(Ec2Op::Terminate),
    }
}

fn spark_plan(
    label: String,
    verb: Verb,
    master: Option<&Instance>,
    workers: &[&Instance],
) -> Result<Plan, Refusal> {
    if verb == Verb::Pause {
        all_hibernate(&label, master, workers)?;
    }
    let mut already = Vec::new();
    let mut step = |nodes: &[&Instance]| -> Result<Vec<NodeAction>, Refusal> {
        let mut actions = Vec::new();
        for node in nodes {
            let (action, note) = node_step(node, verb)?;
            actions.extend(action);
            already.extend(note);
        }
        Ok(actions)
    };
    let master_nodes: Vec<&Instance> = master.into_iter().collect();
    let phases = match verb {
        // The master first, running before any worker starts (workers look
        // for it at boot).
        Verb::Start | Verb::Resume => {
            let m = step(&master_nodes)?;
            let w = step(workers)?;
            waited_then(("master", m), ("workers", w))
        }
        // Workers first, the master last, so no worker is left without one.
        Verb::Stop | Verb::Pause | Verb::Terminate => {
            let w = step(workers)?;
            let m = step(&master_nodes)?;
            waited_then(("workers", w), ("master", m))
        }
        Verb::Reboot => {
            let mut all = step(&master_nodes)?;
            all.extend(step(workers)?);
            vec![Phase {
                label: "nodes",
                actions: all,
                wait_before_next: false,
            }]
        }
    };
    Ok(Plan {
        verb,
        target: label,
        work: Work::Ec2 { phases },
        already,
    })
}

/// A Spark cluster is paused whole or not at all: refused, naming the
/// nodes launched without hibernation configured, if any is.
fn all_hibernate(
    label: &str,
    master: Option<&Instance>,
    workers: &[&Instance],
) -> Result<(), Refusal> {
    let cannot: Vec<&str> = master
        .into_iter()
        .chain(workers.iter().copied())
        .filter(|i| !i.hibernation_configured)
        .map(Instance::display_name)
        .collect();
    if cannot.is_empty() {
        return Ok(());
    }
    Err(Refusal {
        reason: Reason::Said(format!(
            "{label} cannot be paused: {} {} launched without hibernation configured",
            cannot.join(", "),
            if cannot.len() == 1 { "was" } else { "were" }
        )),
        suggestion: Some(Verb::Stop),
    })
}

/// Two phases (a label and its actions each), the first waited for before
/// the second begins.
fn waited_then(
    (first, actions): (&'static str, Vec<NodeAction>),
    (then, then_actions): (&'static str, Vec<NodeAction>),
) -> Vec<Phase> {
    vec![
        Phase {
            label: first,
            actions,
            wait_before_next: true,
        },
        Phase {
            label: then,
            actions: then_actions,
            wait_before_next: false,
        },
    ]
}

/// Whether what the user typed to confirm a terminate names the target: its
/// name, or its id.
pub fn confirmation_matches(inv: &Inventory, target: &Target, typed: &str) -> bool {
    let typed = typed.trim();
    if typed.is_empty() {
        return false;
    }
    match target {
        Target::Instance { id } => {
            typed == id || inv.instance(id).and_then(|i| i.name.as_deref()) == Some(typed)
        }
        Target::Spark { name, .. } => typed == name,
        Target::Emr { id, .. } => {
            typed == id
                || inv
                    .emr_clusters
                    .iter()
                    .any(|c| &c.id == id && c.name == typed)
        }
    }
}

#[cfg(test)]
mod tests;
