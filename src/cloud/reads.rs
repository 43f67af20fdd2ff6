//! Read clients send only reads: every SDK client made for reading carries
//! this interceptor, which refuses — before anything is serialized or sent
//! — an operation whose name is not a read verb. Writes have their own
//! clients, reached only through `cloud::actions` and its gate.

use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::interceptors::Intercept;
use aws_smithy_runtime_api::client::interceptors::context::BeforeSerializationInterceptorContextRef;
use aws_smithy_runtime_api::client::orchestrator::Metadata;
use aws_smithy_runtime_api::client::runtime_components::RuntimeComponents;
use aws_smithy_types::config_bag::ConfigBag;

/// How the names of operations that only read begin (an allow-list: a verb
/// not here is a write until shown otherwise).
pub const READ_VERBS: &[&str] = &["Describe", "List", "Get", "Head", "Lookup", "Search"];

/// Whether `operation` (an SDK operation name, `DescribeInstances`) reads.
pub fn is_read(operation: &str) -> bool {
    READ_VERBS.iter().any(|v| {
        operation.strip_prefix(v).is_some_and(|rest| {
            rest.starts_with(|c: char| c.is_ascii_uppercase()) || rest.is_empty()
        })
    })
}

#[derive(Debug)]
pub(super) struct ReadsOnly;

impl Intercept for ReadsOnly {
    fn name(&self) -> &'static str {
        "ReadsOnly"
    }

    // Before serialization, the operation's own config (its name) is in
    // the bag; nothing has been sent.
    fn read_before_serialization(
        &self,
        _context: &BeforeSerializationInterceptorContextRef<'_>,
        _runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        let Some(meta) = cfg.load::<Metadata>() else {
            return Err("an operation without a name was refused by a read client".into());
        };
        if is_read(meta.name()) {
            return Ok(());
        }
        Err(format!(
            "{} ({}) is not a read: a read client sends only reads (writes go through cloud::actions and its gate)",
            meta.name(),
            meta.service()
        )
        .into())
    }
}

/// Session Manager's session calls: they open, resume and end a session
/// to a node and change nothing in AWS (Session Manager records them in its
/// history), so read-only does not stop them.
pub const SESSION_CALLS: &[&str] = &["StartSession", "ResumeSession", "TerminateSession"];

/// IAM's policy simulator: it answers what a principal may do and changes
/// nothing, though its name is no read verb.
pub const SIMULATION_CALLS: &[&str] = &["SimulatePrincipalPolicy"];

/// Like [`ReadsOnly`], also letting through the operations named (calls
/// that change nothing in AWS though their names are no read verbs:
/// [`SESSION_CALLS`], [`SIMULATION_CALLS`]).
#[derive(Debug)]
pub(super) struct ReadsAnd(pub &'static [&'static str]);

impl Intercept for ReadsAnd {
    fn name(&self) -> &'static str {
        "ReadsAnd"
    }

    fn read_before_serialization(
        &self,
        context: &BeforeSerializationInterceptorContextRef<'_>,
        runtime_components: &RuntimeComponents,
        cfg: &mut ConfigBag,
    ) -> Result<(), BoxError> {
        if cfg
            .load::<Metadata>()
            .is_some_and(|m| self.0.contains(&m.name()))
        {
            return Ok(());
        }
        ReadsOnly.read_before_serialization(context, runtime_components, cfg)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_verbs_are_told_from_writes_by_the_whole_word() {
        for read in [
            "DescribeInstances",
            "ListObjectsV2",
            "GetObject",
            "HeadObject",
            "GetCallerIdentity",
            "DescribeSpotPriceHistory",
        ] {
            assert!(is_read(read), "{read}");
        }
        for write in [
            "RunInstances",
            "PutObject",
            "CreateTags",
            "DeleteObjects",
            "StartInstances",
            "Getaway",
            "Listen",
            "AuthorizeSecurityGroupIngress",
            "ImportKeyPair",
            "AddTags",
        ] {
            assert!(!is_read(write), "{write}");
        }
    }
}
