//! Errors from AWS calls, turned into sentences a user can act on.

use std::error::Error as StdError;

use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
use aws_smithy_runtime_api::client::result::SdkError;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

/// The code of a call that took longer than its time limit.
pub const SLOW: &str = "Slow";
/// The code of an error that says the endpoint cannot be reached at all
/// (no network, nothing listening): the TUI shows it as offline.
pub const OFFLINE: &str = "Offline";
/// The code of an error that says the SSO login has expired: the faces say
/// the command that renews it, once, with the profile.
pub const SSO_EXPIRED: &str = "SsoExpired";
/// The code of an error that says the service refused credentials that
/// have expired (session credentials past their 12 hours, a role's past
/// its hour): said once, with the fix, and tried again with new ones.
pub const CREDS_EXPIRED: &str = "CredentialsExpired";

/// The codes services answer expired credentials with: S3 and STS
/// `ExpiredToken`, JSON services `ExpiredTokenException`, EC2
/// `RequestExpired` (which also means a clock far off).
const EXPIRED_CODES: [&str; 3] = ["ExpiredToken", "ExpiredTokenException", "RequestExpired"];

/// What to tell the user when signing in is what failed (an error whose
/// code is [`SSO_EXPIRED`] or [`CREDS_EXPIRED`]): the fix, for `profile`.
/// Each face adds what happens next.
pub fn sign_in_fix(code: Option<&str>, profile: &str) -> Option<String> {
    match code? {
        SSO_EXPIRED => Some(format!(
            "the SSO login of profile {profile} has expired: run `aws sso login --profile {profile}`"
        )),
        CREDS_EXPIRED => Some(format!(
            "the session credentials of profile {profile} have expired (or this machine's clock is off): \
             get new ones — `aws sso login --profile {profile}`, a fresh session in ~/.aws/credentials, \
             or, for a key skiff keeps, the MFA code skiff asks for"
        )),
        _ => None,
    }
}

/// A failed AWS call: which service and region, and what went wrong in words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{service}{}{region}: {message}", if region.is_empty() { "" } else { " " })]
pub struct CloudError {
    pub service: &'static str,
    pub region: String,
    /// The AWS error code when the service answered (AccessDenied, …).
    pub code: Option<String>,
    pub message: String,
}

impl CloudError {
    pub fn new(service: &'static str, region: &str, message: impl Into<String>) -> Self {
        Self {
            service,
            region: region.to_string(),
            code: None,
            message: message.into(),
        }
    }

    /// A page of a listing that did not come in time, said as such.
    pub fn slow_page(service: &'static str, region: &str, secs: u64) -> Self {
        Self {
            service,
            region: region.to_string(),
            code: Some(SLOW.into()),
            message: format!("AWS is answering slowly (no page for {secs} s)"),
        }
    }

    /// Describes any SDK error for a user.
    pub fn from_sdk<E>(service: &'static str, region: &str, err: &SdkError<E, HttpResponse>) -> Self
    where
        E: ProvideErrorMetadata + StdError + 'static,
    {
        let (code, message) = describe(err);
        Self {
            service,
            region: region.to_string(),
            code,
            message,
        }
    }
}

/// The innermost cause of an error chain, which is where the words that help
/// (connection refused, dns error) usually are.
fn root_cause(err: &(dyn StdError + 'static)) -> String {
    let mut cur = err;
    while let Some(next) = cur.source() {
        cur = next;
    }
    cur.to_string()
}

/// The credentials error in a chain, if resolving credentials is what failed.
fn credentials_failure(err: &(dyn StdError + 'static)) -> Option<String> {
    let mut cur: Option<&(dyn StdError + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<aws_credential_types::provider::error::CredentialsError>()
            .is_some()
        {
            return Some(root_cause(e));
        }
        cur = e.source();
    }
    None
}

/// Resolving credentials failed (`why`, the provider's last word): an
/// expired SSO login, or none found anywhere.
fn no_credentials(why: &str) -> (Option<String>, String) {
    if why.contains("SSO") && (why.contains("expired") || why.contains("invalid")) {
        return (
            Some(SSO_EXPIRED.into()),
            format!("the SSO login has expired ({why}): run `aws sso login`"),
        );
    }
    (
        Some("NoCredentials".into()),
        format!(
            "no usable AWS credentials (looked in the environment, the profile's \
             ~/.aws/config and ~/.aws/credentials entries, SSO, credential_process and \
             instance metadata; last answer: {why}). Set AWS_PROFILE or --profile, or run \
             `aws configure`"
        ),
    )
}

/// The service answered with an error (HTTP `status`): its code and words;
/// expired credentials under one code, whichever way the service says it.
fn refusal(e: &impl ProvideErrorMetadata, status: u16) -> (Option<String>, String) {
    if let Some(c) = e.code().filter(|c| EXPIRED_CODES.contains(c)) {
        return (
            Some(CREDS_EXPIRED.into()),
            format!(
                "the credentials have expired ({c}: {})",
                e.message().unwrap_or("no message")
            ),
        );
    }
    let message = match (e.code(), e.message()) {
        (Some(c), Some(m)) => format!("{c}: {m}"),
        (Some(c), None) => c.to_string(),
        (None, Some(m)) => m.to_string(),
        (None, None) => format!("the service answered HTTP {status} without saying why"),
    };
    (e.code().map(str::to_string), message)
}

fn describe<E>(err: &SdkError<E, HttpResponse>) -> (Option<String>, String)
where
    E: ProvideErrorMetadata + StdError + 'static,
{
    if let Some(why) = credentials_failure(err) {
        return no_credentials(&why);
    }
    match err {
        SdkError::ServiceError(ctx) => refusal(ctx.err(), ctx.raw().status().as_u16()),
        // The connection was made (a connect that times out is a dispatch
        // failure): AWS, or the network on the way, is slow.
        SdkError::TimeoutError(_) => (
            Some(SLOW.into()),
            "AWS is answering slowly (no answer within the time limit)".to_string(),
        ),
        SdkError::DispatchFailure(f) => {
            let why = f.as_connector_error().map_or_else(
                || "request could not be sent".to_string(),
                |c| root_cause(c),
            );
            if f.as_connector_error()
                .is_some_and(|c| super::network::is_tls_refusal(c))
            {
                return (
                    Some("Certificate".into()),
                    format!(
                        "the endpoint's certificate was refused: {why} (behind a proxy that \
                         inspects TLS, point AWS_CA_BUNDLE at its CA bundle)"
                    ),
                );
            }
            if let Some(no) = f
                .as_connector_error()
                .and_then(|c| super::network::unreachable(c))
            {
                return (Some(OFFLINE.into()), no.words().to_string());
            }
            let kind = match f.as_connector_error() {
                Some(c) if c.is_timeout() => "connection timed out",
                Some(c) if c.is_io() => "cannot connect",
                _ => "request failed",
            };
            (None, format!("{kind}: {why}"))
        }
        SdkError::ResponseError(_) => (None, format!("unreadable response: {}", root_cause(err))),
        SdkError::ConstructionFailure(_) => (
            None,
            format!("request could not be built: {}", root_cause(err)),
        ),
        _ => (None, root_cause(err)),
    }
}
