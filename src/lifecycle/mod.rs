//! Lifecycle of instances, Spark clusters and EMR clusters: resolving a
//! user's TARGET and planning a verb on it (pure logic, no I/O).

pub mod plan;
pub mod relaunch;
pub mod target;

pub use plan::{
    Ec2Op, NodeAction, PausedCounts, Plan, PlanOptions, Refusal, Verb, Work, confirmation_matches,
    plan,
};
pub use target::{ResolveError, Target, resolve};
