//! What the work started by the resource keys answers, addressed to the
//! view that asked.

/// Answers to the work these keys start, addressed to the view that asked.
pub enum ResourceMsg {
    Relaunch(Result<Box<crate::lifecycle::relaunch::RelaunchPlan>, String>),
    Relaunched {
        name: String,
        result: Result<Option<String>, crate::cloud::CloudError>,
    },
    Guard(super::guard::GuardAnswer),
    ShellReady {
        node: crate::ops::tunnel::TunnelTarget,
        result: Box<Result<crate::ops::shell::Ready, crate::ops::shell::NotReady>>,
    },
    LaunchPlan(Result<Box<crate::ops::launch::Plan>, String>),
    GrowPlan(Result<Box<crate::ops::launch::Plan>, String>),
    Launched(Result<Box<crate::ops::launch::Launched>, String>),
    ClusterPlan(Result<Box<crate::ops::cluster::CreatePlan>, String>),
    Created(Result<Box<crate::ops::cluster::Created>, String>),
    Shrunk {
        name: String,
        result: Result<Vec<String>, String>,
    },
    RunDone {
        command: String,
        nodes: Vec<crate::ops::tunnel::TunnelTarget>,
        results: Vec<crate::ops::shell::NodeRun>,
    },
}
