//! How skiff reaches AWS: the HTTP client (a corporate CA bundle, proxies
//! from the environment) and what is retried where the SDK stops.
//!
//! Retry policy, in one place:
//! - every call: throttling, 5xx, resets and timeouts, by the SDK's standard
//!   classifiers, with jittered exponential backoff;
//! - reads (listings, describes, heads, gets): `read_attempts` tries, and an
//!   answer cut half-way through its body is tried again too (the SDK hands
//!   such a `ResponseError` back without retrying it);
//! - idempotent writes (UploadPart: the same part again replaces it): as
//!   reads;
//! - other writes: `max_attempts` tries, never for a cut answer: the call may have
//!   taken effect, so the caller checks what is true instead (a lost
//!   StartInstances answer: describe; a lost CompleteMultipartUpload
//!   answer: HeadObject);
//! - streamed bodies (GetObject): resumed by the transfer engine from the
//!   byte where they broke.

use std::path::Path;

use aws_smithy_runtime_api::client::interceptors::context::InterceptorContext;
use aws_smithy_runtime_api::client::retries::classifiers::{ClassifyRetry, RetryAction};

/// Every client's retry partition: the SDK's standard strategy keeps a
/// process-wide retry quota (500 tokens, 5 per retry) that an outage drains,
/// after which calls are retried fewer times than `read_attempts` says,
/// or not at all, until successes refill it — a TUI left open through a
/// Wi-Fi drop then fails at the first cut answer. skiff is one user's
/// client, and every call has its own bounded attempts with backoff, so the
/// quota is unlimited.
pub(super) fn retry_partition() -> aws_smithy_runtime::client::retries::RetryPartition {
    use aws_smithy_runtime::client::retries::{RetryPartition, TokenBucket};
    static PARTITION: std::sync::OnceLock<RetryPartition> = std::sync::OnceLock::new();
    PARTITION
        .get_or_init(|| {
            RetryPartition::custom("skiff")
                .token_bucket(TokenBucket::unlimited())
                .build()
        })
        .clone()
}

/// Retries a read whose answer broke off after its headers ("end of file
/// before message length reached"): the SDK's own classifiers leave those
/// alone, since for a write the call may have been carried out.
#[derive(Debug, Default)]
pub(super) struct CutAnswers;

impl ClassifyRetry for CutAnswers {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(e)) if e.is_response_error() => RetryAction::transient_error(),
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "skiff: a read's cut answer"
    }
}

/// Never retries a connection the TLS handshake refused (an unknown
/// issuer, an expired or mismatched certificate): the answer would be the
/// same on every try, and the SDK counts it as a transient I/O error.
#[derive(Debug, Default)]
pub(super) struct RefusedCertificates;

impl ClassifyRetry for RefusedCertificates {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(e)) if e.as_connector_error().is_some_and(|c| is_tls_refusal(c)) => {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "skiff: a refused certificate"
    }
}

/// Never retries a connection that cannot be made at all: refused (nothing
/// listens there), a name that does not resolve, no route to the host.
/// Each try would say the same at once, and the backoff between them made
/// an offline machine wait 15 to 25 s for its first word; a background
/// refresh tries again later instead. Resets, timeouts and cut answers
/// are retried as before.
#[derive(Debug, Default)]
pub(super) struct Unreachable;

impl ClassifyRetry for Unreachable {
    fn classify_retry(&self, ctx: &InterceptorContext) -> RetryAction {
        match ctx.output_or_error() {
            Some(Err(e))
                if e.as_connector_error()
                    .is_some_and(|c| unreachable(c).is_some()) =>
            {
                RetryAction::RetryForbidden
            }
            _ => RetryAction::NoActionIndicated,
        }
    }

    fn name(&self) -> &'static str {
        "skiff: an endpoint that cannot be reached"
    }
}

/// Why a connection could not be made at all, where it could not.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NoConnection {
    /// The host answered that nothing listens on the port.
    Refused,
    /// The host's name does not resolve (offline, or a typo).
    NoName,
    /// No route to the network or the host.
    NoRoute,
}

impl NoConnection {
    pub fn words(self) -> &'static str {
        match self {
            Self::Refused => "nothing listens at the endpoint (connection refused)",
            Self::NoName => "no network: the endpoint's name does not resolve",
            Self::NoRoute => "no network: no route to the endpoint",
        }
    }
}

/// [`NoConnection`] from an error's chain, if that is what it is.
pub fn unreachable(err: &(dyn std::error::Error + 'static)) -> Option<NoConnection> {
    use std::io::ErrorKind;
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if let Some(io) = e.downcast_ref::<std::io::Error>() {
            match io.kind() {
                ErrorKind::ConnectionRefused => return Some(NoConnection::Refused),
                ErrorKind::NetworkUnreachable | ErrorKind::HostUnreachable => {
                    return Some(NoConnection::NoRoute);
                }
                _ => {}
            }
        }
        // The resolver's failure has no kind of its own: its words do.
        let text = e.to_string();
        if text.contains("failed to lookup address") || text.contains("dns error") {
            return Some(NoConnection::NoName);
        }
        cur = e.source();
    }
    None
}

/// Whether a TLS handshake error is somewhere in `err`'s chain (inside an
/// I/O error, where rustls puts it).
pub fn is_tls_refusal(err: &(dyn std::error::Error + 'static)) -> bool {
    let mut cur: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = cur {
        if e.downcast_ref::<rustls::Error>().is_some() {
            return true;
        }
        if let Some(inner) = e
            .downcast_ref::<std::io::Error>()
            .and_then(std::io::Error::get_ref)
            && is_tls_refusal(inner)
        {
            return true;
        }
        cur = e.source();
    }
    false
}

/// An HTTP client that trusts the certificates of `AWS_CA_BUNDLE` (and only
/// those, as the AWS CLI does) and goes through the proxies that
/// `HTTPS_PROXY`, `HTTP_PROXY` and `NO_PROXY` name. None when the variable is
/// unset: the SDK's default client then trusts the system's roots (and
/// reads the same proxy variables).
pub(super) fn client_from_env()
-> Result<Option<aws_smithy_runtime_api::client::http::SharedHttpClient>, String> {
    match std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty()) {
        Some(path) => client_trusting(Path::new(&path)).map(Some),
        None => Ok(None),
    }
}

fn client_trusting(
    bundle: &Path,
) -> Result<aws_smithy_runtime_api::client::http::SharedHttpClient, String> {
    use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
    let certs = bundle_certificates(bundle)?;
    let mut store = TrustStore::empty().with_native_roots(false);
    for pem in certs {
        store.add_pem_certificate(pem);
    }
    let context = TlsContext::builder()
        .with_trust_store(store)
        .build()
        .map_err(|e| format!("AWS_CA_BUNDLE={}: {e}", bundle.display()))?;
    Ok(
        aws_smithy_http_client::Builder::new().build_with_connector_fn(
            move |settings, components| {
                let mut conn = aws_smithy_http_client::ConnectorBuilder::default()
                    .tls_provider(tls::Provider::Rustls(
                        tls::rustls_provider::CryptoMode::AwsLc,
                    ))
                    .tls_context(context.clone());
                conn.set_connector_settings(settings.cloned());
                if let Some(c) = components {
                    conn.set_sleep_impl(c.sleep_impl());
                }
                conn.set_proxy_config(Some(aws_smithy_http_client::proxy::ProxyConfig::from_env()));
                conn.build()
            },
        ),
    )
}

/// The certificates of a PEM bundle that a TLS client can use as roots, each
/// as its own PEM document. The HTTP client panics on one it cannot parse,
/// so each is tried here first and left out (with a note in the log) if it
/// does not parse; a bundle with none is an error.
pub fn bundle_certificates(path: &Path) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine;
    use rustls::pki_types::CertificateDer;
    use rustls::pki_types::pem::PemObject;
    let what = || format!("AWS_CA_BUNDLE={}", path.display());
    let bytes = std::fs::read(path).map_err(|e| format!("{}: cannot read it: {e}", what()))?;
    let mut out = Vec::new();
    let mut skipped = 0usize;
    for der in CertificateDer::pem_slice_iter(&bytes) {
        let Ok(der) = der else {
            skipped += 1;
            continue;
        };
        let mut probe = rustls::RootCertStore::empty();
        if probe.add(der.clone()).is_err() {
            skipped += 1;
            continue;
        }
        let b64 = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let mut pem = String::from("-----BEGIN CERTIFICATE-----\n");
        for line in b64.as_bytes().chunks(64) {
            pem.push_str(&String::from_utf8_lossy(line));
            pem.push('\n');
        }
        pem.push_str("-----END CERTIFICATE-----\n");
        out.push(pem.into_bytes());
    }
    if skipped > 0 {
        tracing::warn!("{}: {skipped} certificates could not be used", what());
    }
    if out.is_empty() {
        return Err(format!(
            "{}: no certificate in it (expected PEM: -----BEGIN CERTIFICATE-----)",
            what()
        ));
    }
    Ok(out)
}

/// The body of a plain GET of `url` (http or https, proxies and
/// AWS_CA_BUNDLE as for AWS), within `timeout`: how skiff asks a
/// what-is-my-address service for the caller's public address.
pub async fn get_text(url: &str, timeout: std::time::Duration) -> Result<String, String> {
    use aws_smithy_http_client::tls;
    use aws_smithy_runtime_api::client::http::HttpConnector;
    use aws_smithy_runtime_api::client::orchestrator::HttpRequest;
    use aws_smithy_types::body::SdkBody;
    use http_body_util::BodyExt;
    let mut builder = aws_smithy_http_client::ConnectorBuilder::default().tls_provider(
        tls::Provider::Rustls(tls::rustls_provider::CryptoMode::AwsLc),
    );
    if let Some(bundle) = std::env::var_os("AWS_CA_BUNDLE").filter(|v| !v.is_empty()) {
        let mut store = tls::TrustStore::empty().with_native_roots(false);
        for pem in bundle_certificates(Path::new(&bundle))? {
            store.add_pem_certificate(pem);
        }
        let context = tls::TlsContext::builder()
            .with_trust_store(store)
            .build()
            .map_err(|e| e.to_string())?;
        builder = builder.tls_context(context);
    }
    builder.set_proxy_config(Some(aws_smithy_http_client::proxy::ProxyConfig::from_env()));
    let connector = builder.build();
    let mut request = HttpRequest::new(SdkBody::empty());
    *request.uri_mut() = url
        .try_into()
        .map_err(|e| format!("{url} is not a URL: {e}"))?;
    let asked = async {
        let response = connector
            .call(request)
            .await
            .map_err(|e| format!("{url}: {e}"))?;
        let status = response.status().as_u16();
        let body = response
            .into_body()
            .collect()
            .await
            .map_err(|e| format!("{url}: {e}"))?
            .to_bytes();
        if status != 200 {
            return Err(format!("{url} answered HTTP {status}"));
        }
        Ok(String::from_utf8_lossy(&body).into_owned())
    };
    tokio::time::timeout(timeout, asked)
        .await
        .map_err(|_| format!("{url} did not answer within {} s", timeout.as_secs()))?
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bundle_without_certificates_is_refused_in_words() {
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let empty = dir.path().join("empty.pem");
        std::fs::write(&empty, "not a certificate\n").unwrap_or_else(|e| panic!("{e}"));
        let err = bundle_certificates(&empty).expect_err("no certificates");
        assert!(err.contains("no certificate in it"), "{err}");
        let err = bundle_certificates(&dir.path().join("missing.pem")).expect_err("missing");
        assert!(err.contains("cannot read it"), "{err}");
    }

    #[test]
    fn the_system_bundle_parses_and_a_broken_certificate_is_left_out() {
        let system = Path::new("/etc/ssl/certs/ca-certificates.crt");
        let Ok(text) = std::fs::read_to_string(system) else {
            panic!(
                "the tests need Debian's ca-certificates bundle at {}",
                system.display()
            );
        };
        let good = bundle_certificates(system).unwrap_or_else(|e| panic!("{e}"));
        assert!(good.len() > 50, "{} certificates", good.len());
        // A certificate whose body is not DER is dropped, the rest kept.
        let dir = tempfile::tempdir().unwrap_or_else(|e| panic!("{e}"));
        let mixed = dir.path().join("mixed.pem");
        let broken = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
        std::fs::write(&mixed, format!("{broken}{text}")).unwrap_or_else(|e| panic!("{e}"));
        let kept = bundle_certificates(&mixed).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(kept.len(), good.len());
    }
}
