//! Every call that changes something in AWS, behind one gate.
//!
//! The SDK clients are private to `cloud`, and every mutating call lives in
//! this module as a method of [`Actions`], which cannot be built without a
//! [`Gate`]: so a write that skips the gate cannot be written outside
//! `cloud`, and inside it a test (`tests/layering.rs`) finds every mutating
//! SDK operation here and nowhere else. Each method asks the gate first: in
//! read-only mode nothing is sent, in dry-run mode EC2 calls go out with
//! `DryRun` (calls of services without one are not sent at all). Reads used
//! by lifecycle work (states, protection flags) live here too, beside the
//! writes they serve.

mod connect;
mod ec2;
mod emr;
mod guards;
mod launch;
mod leftovers;
mod s3;
pub mod seed;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::{CloudError, Session};

pub use launch::{Ran, RunRequest};
pub use s3::{Deleted, PutAnswer};

/// Whether skiff may change anything, and whether changes are only
/// rehearsed. Built only where a session is connected (`ops::connect`),
/// from the flags and the config; there is no default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Gate {
    read_only: bool,
    dry_run: bool,
}

/// What a mutating call did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Done {
    /// The call was made.
    Sent,
    /// Dry run: AWS confirmed the call would succeed (EC2 DryRun).
    WouldSucceed,
    /// Dry run of a service without DryRun: nothing was sent.
    NotSent,
}

impl Gate {
    /// Only `ops::connect` builds gates (tests/layering.rs checks it).
    pub(crate) fn new(read_only: bool, dry_run: bool) -> Self {
        Self { read_only, dry_run }
    }

    pub fn read_only(&self) -> bool {
        self.read_only
    }

    pub fn dry_run(&self) -> bool {
        self.dry_run
    }

    /// Why `what` would be refused, before anything is tried (so a command
    /// on many nodes says it once).
    pub fn refusal(&self, service: &'static str, region: &str, what: &str) -> Option<CloudError> {
        self.check(service, region, what).err()
    }

    /// The one check every mutating call makes.
    fn check(&self, service: &'static str, region: &str, what: &str) -> Result<(), CloudError> {
        if self.read_only {
            return Err(CloudError {
                service,
                region: region.to_string(),
                code: Some("ReadOnly".into()),
                message: format!(
                    "read-only mode: skiff did not {what} (started with --read-only or read_only = true in the config)"
                ),
            });
        }
        Ok(())
    }
}

/// Words a user can act on for the EC2 errors lifecycle calls meet.
fn explain(code: &str, message: &str) -> String {
    let hint = match code {
        "IncorrectInstanceState" => {
            "the instance is in a state that does not allow this right now; run the command again once it has settled"
        }
        "UnsupportedHibernationConfiguration" => {
            "EC2 cannot hibernate this instance (hibernation was not configured at launch, or its type or AMI does not support it); stop it instead"
        }
        "InsufficientInstanceCapacity" => {
            "AWS has no spare capacity of this instance type in its availability zone right now; try again in a few minutes, or change the instance type"
        }
        "UnauthorizedOperation" | "AccessDenied" | "AccessDeniedException" => {
            "your IAM policy does not allow this call"
        }
        "OperationNotPermitted" => "AWS refused: termination or stop protection may be on",
        "InvalidInstanceID.NotFound" => {
            "no such instance (terminated and gone, or in another region)"
        }
        "ValidationException" => "EMR refused the request",
        _ => "",
    };
    if hint.is_empty() {
        format!("{code}: {message}")
    } else {
        format!("{hint} ({code}: {message})")
    }
}

/// The AWS calls of lifecycle work, each behind the gate.
#[derive(Debug, Clone)]
pub struct Actions {
    session: Session,
    gate: Gate,
}

impl Actions {
    pub fn new(session: Session, gate: Gate) -> Self {
        Self { session, gate }
    }

    pub fn gate(&self) -> Gate {
        self.gate
    }

    pub fn session(&self) -> &Session {
        &self.session
    }

    fn ec2_err<E>(&self, region: &str, e: &SdkError<E, HttpResponse>) -> CloudError
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut err = CloudError::from_sdk("ec2", region, e);
        if let SdkError::ServiceError(ctx) = e {
            err.message = explain(
                ctx.err().code().unwrap_or("Error"),
                ctx.err().message().unwrap_or(""),
            );
        }
        err
    }

    /// Maps the outcome of an EC2 call sent with DryRun when dry-running.
    fn ec2_done<T, E>(
        &self,
        region: &str,
        result: Result<T, SdkError<E, HttpResponse>>,
    ) -> Result<Done, CloudError>
    where
        E: ProvideErrorMetadata + std::error::Error + 'static,
    {
        match result {
            Ok(_) => Ok(Done::Sent),
            Err(SdkError::ServiceError(ctx))
                if self.gate.dry_run && ctx.err().code() == Some("DryRunOperation") =>
            {
                Ok(Done::WouldSucceed)
            }
            Err(e) => Err(self.ec2_err(region, &e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_only_gate_refuses_with_the_reason() {
        let gate = Gate::new(true, false);
        let err = gate
            .check("ec2", "us-east-1", "stop i-1")
            .expect_err("read-only");
        assert_eq!(err.code.as_deref(), Some("ReadOnly"));
        assert!(
            err.message
                .starts_with("read-only mode: skiff did not stop i-1"),
            "{}",
            err.message
        );
        assert!(
            Gate::new(false, false)
                .check("ec2", "us-east-1", "stop i-1")
                .is_ok()
        );
    }

    #[test]
    fn known_error_codes_get_words_and_keep_the_code() {
        let text = explain(
            "InsufficientInstanceCapacity",
            "We currently do not have sufficient m5.xlarge capacity",
        );
        assert!(text.starts_with("AWS has no spare capacity"), "{text}");
        assert!(
            text.contains("InsufficientInstanceCapacity: We currently"),
            "{text}"
        );
        assert_eq!(explain("Weird", "thing"), "Weird: thing");
    }
}

/// Read clients refuse writes (`cloud::reads`): tried here, where writes
/// may be written.
#[cfg(test)]
mod read_clients {
    use crate::cloud::{Session, SessionOptions};

    /// A session towards a port where nothing listens: whatever is sent
    /// fails to connect, so a refusal by the interceptor tells itself apart.
    async fn session() -> Session {
        let opts = SessionOptions {
            regions: vec!["us-east-1".into()],
            endpoint_url: Some("http://127.0.0.1:9".into()),
            static_credentials: Some(("id".into(), "secret".into())),
            max_attempts: 1,
            read_attempts: 1,
            ..SessionOptions::default()
        };
        Session::connect(&opts).await.expect("session")
    }

    #[tokio::test]
    async fn a_read_client_refuses_a_write_before_sending_it() {
        let s = session().await;
        let err = s
            .ec2("us-east-1")
            .stop_instances()
            .instance_ids("i-1")
            .send()
            .await
            .expect_err("refused");
        let said = format!("{err:?}");
        assert!(
            said.contains("StopInstances") && said.contains("is not a read"),
            "{said}"
        );
        let err = s
            .s3("us-east-1")
            .put_object()
            .bucket("b")
            .key("k")
            .send()
            .await
            .expect_err("refused");
        assert!(format!("{err:?}").contains("is not a read"));
        // A read goes out (and finds nothing listening).
        let err = s
            .ec2("us-east-1")
            .describe_instances()
            .send()
            .await
            .expect_err("nothing listens");
        assert!(!format!("{err:?}").contains("is not a read"));
    }
}
