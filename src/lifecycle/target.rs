//! Resolving what a user typed (instance id, Name tag, Spark cluster name,
//! EMR cluster id or name) to exactly one thing, or saying why not (pure).

use std::fmt;

use crate::model::Inventory;
use crate::model::{EmrState, InstanceState};

/// One resource a lifecycle verb can act on.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Target {
    Instance { id: String },
    Spark { region: String, name: String },
    Emr { region: String, id: String },
}

impl Target {
    /// How the target is shown to a user.
    pub fn describe(&self, inv: &Inventory) -> String {
        match self {
            Self::Instance { id } => match inv.instance(id) {
                Some(i) if i.name.is_some() => format!("instance {} ({id})", i.display_name()),
                _ => format!("instance {id}"),
            },
            Self::Spark { region, name } => format!("Spark cluster {name} ({region})"),
            Self::Emr { id, .. } => match inv.emr_clusters.iter().find(|c| &c.id == id) {
                Some(c) => format!("EMR cluster {} ({id})", c.name),
                None => format!("EMR cluster {id}"),
            },
        }
    }
}

/// Why a TARGET does not name exactly one thing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResolveError {
    #[error("`{query}` matches {} things: {}; use an instance or cluster id", candidates.len(), candidates.join(", "))]
    Ambiguous {
        query: String,
        candidates: Vec<String>,
    },
    #[error("nothing is called `{query}`{}", suggestion_text(suggestions))]
    Unknown {
        query: String,
        suggestions: Vec<String>,
    },
    /// Only terminated things carry the name: they are reached by id.
    #[error("`{query}` names only terminated things ({}); give the id to act on one", terminated.join(", "))]
    Terminated {
        query: String,
        terminated: Vec<String>,
    },
}

fn suggestion_text(suggestions: &[String]) -> String {
    match suggestions {
        [] => String::new(),
        [one] => format!("; did you mean `{one}`?"),
        many => format!("; did you mean one of: {}?", many.join(", ")),
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Instance { id } => f.write_str(id),
            Self::Spark { name, .. } => f.write_str(name),
            Self::Emr { id, .. } => f.write_str(id),
        }
    }
}

/// Finds the one thing `query` names. Terminated instances and EMR clusters
/// only match by id, so yesterday's terminated node never makes today's name
/// ambiguous.
pub fn resolve(inv: &Inventory, query: &str) -> Result<Target, ResolveError> {
    let mut found: Vec<(Target, String)> = Vec::new();
    for i in &inv.instances {
        let alive = i.state != InstanceState::Terminated;
        if i.id == query || (alive && i.name.as_deref() == Some(query)) {
            found.push((
                Target::Instance { id: i.id.clone() },
                format!("instance {} ({}, {})", i.display_name(), i.id, i.region),
            ));
        }
    }
    for c in &inv.spark_clusters {
        if c.name == query {
            found.push((
                Target::Spark {
                    region: c.region.clone(),
                    name: c.name.clone(),
                },
                format!("Spark cluster {} ({})", c.name, c.region),
            ));
        }
    }
    for c in &inv.emr_clusters {
        let alive = !matches!(
            c.state,
            EmrState::Terminated | EmrState::TerminatedWithErrors
        );
        if c.id == query || (alive && c.name == query) {
            found.push((
                Target::Emr {
                    region: c.region.clone(),
                    id: c.id.clone(),
                },
                format!("EMR cluster {} ({}, {})", c.name, c.id, c.region),
            ));
        }
    }
    // An exact id wins over names: ids are unique, names are not.
    if let Some(pos) = found.iter().position(|(t, _)| match t {
        Target::Instance { id } | Target::Emr { id, .. } => id == query,
        Target::Spark { .. } => false,
    }) {
        return Ok(found.swap_remove(pos).0);
    }
    match found.len() {
        1 => Ok(found.remove(0).0),
        0 => {
            let terminated = terminated_named(inv, query);
            if terminated.is_empty() {
                Err(ResolveError::Unknown {
                    query: query.to_string(),
                    suggestions: suggestions(inv, query),
                })
            } else {
                Err(ResolveError::Terminated {
                    query: query.to_string(),
                    terminated,
                })
            }
        }
        _ => Err(ResolveError::Ambiguous {
            query: query.to_string(),
            candidates: found.into_iter().map(|(_, d)| d).collect(),
        }),
    }
}

/// Terminated instances and EMR clusters called `query`, described.
fn terminated_named(inv: &Inventory, query: &str) -> Vec<String> {
    let mut out: Vec<String> = inv
        .instances
        .iter()
        .filter(|i| i.state == InstanceState::Terminated && i.name.as_deref() == Some(query))
        .map(|i| format!("instance {}, terminated", i.id))
        .collect();
    out.extend(
        inv.emr_clusters
            .iter()
            .filter(|c| !c.state.is_active() && c.name == query)
            .map(|c| format!("EMR cluster {}, {}", c.id, c.state.as_str())),
    );
    out
}

/// Up to three known names close to `query` (of things a name can reach:
/// not the terminated ones, which only their id reaches).
fn suggestions(inv: &Inventory, query: &str) -> Vec<String> {
    let mut names: Vec<&str> = Vec::new();
    names.extend(
        inv.instances
            .iter()
            .filter(|i| i.state != InstanceState::Terminated)
            .filter_map(|i| i.name.as_deref()),
    );
    names.extend(inv.instances.iter().map(|i| i.id.as_str()));
    names.extend(inv.spark_clusters.iter().map(|c| c.name.as_str()));
    names.extend(
        inv.emr_clusters
            .iter()
            .filter(|c| c.state.is_active())
            .map(|c| c.name.as_str()),
    );
    names.extend(inv.emr_clusters.iter().map(|c| c.id.as_str()));
    names.sort_unstable();
    names.dedup();
    let query_lower = query.to_lowercase();
    let mut scored: Vec<(f64, &str)> = names
        .into_iter()
        .map(|n| (strsim::jaro_winkler(&query_lower, &n.to_lowercase()), n))
        .filter(|(score, _)| *score >= 0.8)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(b.1)));
    scored
        .into_iter()
        .take(3)
        .map(|(_, n)| n.to_string())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sandbox::world as demo;

    #[test]
    fn ids_names_and_cluster_names_resolve() {
        let inv = demo::inventory();
        let ds = inv
            .instances
            .iter()
            .find(|i| i.name.as_deref() == Some("ds-workbench"))
            .expect("ds");
        assert_eq!(
            resolve(&inv, "ds-workbench"),
            Ok(Target::Instance { id: ds.id.clone() })
        );
        assert_eq!(
            resolve(&inv, &ds.id),
            Ok(Target::Instance { id: ds.id.clone() })
        );
        assert_eq!(
            resolve(&inv, "rnd"),
            Ok(Target::Spark {
                region: "us-east-1".into(),
                name: "rnd".into()
            })
        );
        let emr = Target::Emr {
            region: "us-east-1".into(),
            id: "j-2DEMO0ANALYTICS".into(),
        };
        assert_eq!(resolve(&inv, "analytics"), Ok(emr.clone()));
        assert_eq!(resolve(&inv, "j-2DEMO0ANALYTICS"), Ok(emr));
    }

    #[test]
    fn a_name_shared_by_two_things_is_ambiguous_and_lists_them() {
        let mut inv = demo::inventory();
        let mut twin = inv.instances[0].clone();
        twin.id = "i-twin".into();
        twin.name = Some("rnd".into());
        inv.instances.push(twin);
        let err = resolve(&inv, "rnd").expect_err("ambiguous");
        let ResolveError::Ambiguous { candidates, .. } = &err else {
            panic!("{err}")
        };
        assert_eq!(candidates.len(), 2, "{candidates:?}");
        assert!(
            err.to_string().contains("Spark cluster rnd (us-east-1)"),
            "{err}"
        );
        assert!(err.to_string().contains("i-twin"), "{err}");
        // The id still picks one.
        assert_eq!(
            resolve(&inv, "i-twin"),
            Ok(Target::Instance {
                id: "i-twin".into()
            })
        );
    }

    #[test]
    fn terminated_things_match_only_by_id() {
        let mut inv = demo::inventory();
        let mut dead = inv.instances[0].clone();
        dead.id = "i-dead".into();
        dead.state = InstanceState::Terminated;
        let name = dead.name.clone().expect("name");
        inv.instances.push(dead);
        assert_eq!(
            resolve(&inv, &name),
            Ok(Target::Instance {
                id: inv.instances[0].id.clone()
            })
        );
        assert_eq!(
            resolve(&inv, "i-dead"),
            Ok(Target::Instance {
                id: "i-dead".into()
            })
        );
    }

    #[test]
    fn unknown_targets_suggest_close_names() {
        let inv = demo::inventory();
        let err = resolve(&inv, "rnd-mastr").expect_err("unknown");
        assert!(
            err.to_string()
                .starts_with("nothing is called `rnd-mastr`; did you mean"),
            "{err}"
        );
        assert!(err.to_string().contains("rnd-master"), "{err}");
        let err = resolve(&inv, "zzzzzz").expect_err("unknown");
        assert_eq!(err.to_string(), "nothing is called `zzzzzz`");
    }

    #[test]
    fn a_name_only_terminated_things_carry_says_so_and_suggests_no_dead_name() {
        let mut inv = demo::inventory();
        for c in &mut inv.emr_clusters {
            c.state = EmrState::Terminated;
        }
        let name = inv.emr_clusters[0].name.clone();
        let err = resolve(&inv, &name).expect_err("terminated");
        let text = err.to_string();
        assert!(text.contains("names only terminated things"), "{text}");
        assert!(text.contains(&inv.emr_clusters[0].id), "{text}");
        assert!(
            !suggestions(&inv, &name).contains(&name),
            "no dead suggestion"
        );
    }
}
