//! The AWS session: profile, regions, endpoint, credentials, timeouts, retries.
//!
//! Credentials come only from aws-config's standard chain (environment,
//! `~/.aws/config` profiles with SSO and `credential_process`, IMDS), except
//! for the sandbox and tests, which pass fixed dummy keys explicitly.

use std::time::Duration;

use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_config::{BehaviorVersion, Region, SdkConfig};
use aws_credential_types::Credentials;
use aws_credential_types::provider::ProvideCredentials;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use super::CloudError;

/// Everything needed to build a session, from flags and config.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SessionOptions {
    /// None: AWS_PROFILE, then "default".
    pub profile: Option<String>,
    /// Empty: the profile's region, or us-east-1.
    pub regions: Vec<String>,
    /// Replace `regions` with every region enabled for the account.
    pub all_regions: bool,
    pub endpoint_url: Option<String>,
    pub connect_timeout: Duration,
    pub attempt_timeout: Duration,
    pub operation_timeout: Duration,
    /// Attempts per call that changes something (1 = no retries).
    pub max_attempts: u32,
    /// Attempts per read (listings, describes, downloads): safe to repeat,
    /// so also repeated when an answer was cut half-way.
    pub read_attempts: u32,
    /// The first retry's backoff (None: the SDK's, a second); tests shorten it.
    pub initial_backoff: Option<Duration>,
    /// Fixed credentials (sandbox and tests only): (access key id, secret).
    pub static_credentials: Option<(String, String)>,
}

/// A credentials provider asked after the standard chain (skiff's keyring),
/// given by the layer above, which knows where keys are kept.
#[derive(Debug, Clone)]
pub struct Fallback {
    pub name: &'static str,
    pub provider: aws_credential_types::provider::SharedCredentialsProvider,
    /// Resolve credentials once while connecting, outside any call's time
    /// limits (an MFA code is asked for then).
    pub resolve_at_connect: bool,
}

/// The region used when neither flags, config nor the profile name one.
pub const FALLBACK_REGION: &str = "us-east-1";

/// A configured connection to one AWS account.
///
/// The SDK clients it makes are visible inside `cloud` only: everything
/// above reads through `cloud`'s functions and writes through
/// [`super::actions::Actions`], which asks the gate first.
#[derive(Debug, Clone)]
pub struct Session {
    sdk: SdkConfig,
    /// What to show as the profile in the header.
    pub profile: String,
    pub regions: Vec<String>,
    pub endpoint_url: Option<String>,
    /// Bucket → region, looked up once per session (S3 does not redirect
    /// the SDK to a bucket's region).
    pub(super) bucket_regions: Arc<Mutex<HashMap<String, String>>>,
    read_retries: RetryConfig,
    write_retries: RetryConfig,
    /// How long one call (one page) may take, retries included.
    pub(in crate::cloud) operation_timeout: Duration,
}

/// The profile `opts` names: the option, else AWS_PROFILE, else `default`.
pub fn profile_name(opts: &SessionOptions) -> String {
    opts.profile
        .clone()
        .or_else(|| std::env::var("AWS_PROFILE").ok().filter(|p| !p.is_empty()))
        .unwrap_or_else(|| "default".to_string())
}

/// True for an endpoint on this machine (`127.0.0.1`, `[::1]`, `localhost`):
/// the sandbox's emulator, or a test's.
pub fn is_loopback_url(url: &str) -> bool {
    let rest = url.split_once("://").map_or(url, |(_, r)| r);
    let authority = rest.split(['/', '?']).next().unwrap_or("");
    let authority = authority.rsplit_once('@').map_or(authority, |(_, h)| h);
    let host = if let Some(v6) = authority.strip_prefix('[') {
        v6.split(']').next().unwrap_or("")
    } else {
        authority.split(':').next().unwrap_or("")
    };
    is_loopback_host(host)
}

/// True for a host name or address that is this machine.
pub fn is_loopback_host(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

/// What a client is for: reads are retried more, and also when an answer
/// was cut (see `network`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(in crate::cloud) enum Use {
    Read,
    Write,
    /// Writes that may be repeated as they are (UploadPart: the same part
    /// again replaces it): a reader's retries, without its refusal of
    /// writes.
    Repeatable,
}

/// A service's config builder from the session, for `region`, with the
/// retries of reads or of writes.
macro_rules! conf {
    ($session:expr, $sdk:ident, $region:expr, Read) => {
        $sdk::config::Builder::from(&$session.sdk)
            .region(Region::new($region.to_string()))
            .retry_partition(super::network::retry_partition())
            .retry_config($session.read_retries.clone())
            .retry_classifier(super::network::CutAnswers)
            .retry_classifier(super::network::RefusedCertificates)
            .retry_classifier(super::network::Unreachable)
            .interceptor(super::reads::ReadsOnly)
    };
    ($session:expr, $sdk:ident, $region:expr, Sessions) => {
        $sdk::config::Builder::from(&$session.sdk)
            .region(Region::new($region.to_string()))
            .retry_partition(super::network::retry_partition())
            .retry_config($session.read_retries.clone())
            .retry_classifier(super::network::RefusedCertificates)
            .retry_classifier(super::network::Unreachable)
            .interceptor(super::reads::ReadsAnd(super::reads::SESSION_CALLS))
    };
    ($session:expr, $sdk:ident, $region:expr, Repeatable) => {
        $sdk::config::Builder::from(&$session.sdk)
            .region(Region::new($region.to_string()))
            .retry_partition(super::network::retry_partition())
            .retry_config($session.read_retries.clone())
            .retry_classifier(super::network::CutAnswers)
            .retry_classifier(super::network::RefusedCertificates)
            .retry_classifier(super::network::Unreachable)
    };
    ($session:expr, $sdk:ident, $region:expr, Write) => {
        $sdk::config::Builder::from(&$session.sdk)
            .region(Region::new($region.to_string()))
            .retry_partition(super::network::retry_partition())
            .retry_config($session.write_retries.clone())
            .retry_classifier(super::network::RefusedCertificates)
            .retry_classifier(super::network::Unreachable)
    };
}

fn retries(opts: &SessionOptions, attempts: u32) -> RetryConfig {
    let c = RetryConfig::standard().with_max_attempts(attempts.max(1));
    match opts.initial_backoff {
        Some(d) => c.with_initial_backoff(d),
        None => c,
    }
}

fn write_retries(opts: &SessionOptions) -> RetryConfig {
    retries(opts, opts.max_attempts)
}

fn read_retries(opts: &SessionOptions) -> RetryConfig {
    retries(opts, opts.read_attempts.max(opts.max_attempts))
}

/// The standard chain, then skiff's keyring whenever the chain produced no
/// credentials — also when it stopped at an error (instance metadata that
/// answers 403 in a container ends the SDK's own chain there).
#[derive(Debug)]
struct ThenKeyring {
    standard: aws_config::default_provider::credentials::DefaultCredentialsChain,
    fallback: Fallback,
}

impl aws_credential_types::provider::ProvideCredentials for ThenKeyring {
    fn provide_credentials<'a>(
        &'a self,
    ) -> aws_credential_types::provider::future::ProvideCredentials<'a>
    where
        Self: 'a,
    {
        use aws_credential_types::provider::error::CredentialsError;
        aws_credential_types::provider::future::ProvideCredentials::new(async move {
            let first = match self.standard.provide_credentials().await {
                Ok(c) => return Ok(c),
                Err(e) => e,
            };
            match self.fallback.provider.provide_credentials().await {
                Ok(c) => {
                    tracing::debug!(
                        "credentials from {} (the standard chain said: {first})",
                        self.fallback.name
                    );
                    Ok(c)
                }
                // Nothing kept there either: what the standard chain said is
                // the useful answer.
                Err(CredentialsError::CredentialsNotLoaded(_)) => Err(first),
                Err(e) => Err(e),
            }
        })
    }
}

impl Session {
    /// Loads credentials and settings and resolves the region list.
    ///
    /// With `all_regions`, this asks EC2 (DescribeRegions) which regions the
    /// account has enabled, so it can fail like any AWS call.
    pub async fn connect(opts: &SessionOptions) -> Result<Self, CloudError> {
        Self::connect_with(opts, None).await
    }

    /// [`Session::connect`], with `fallback` asked after the standard chain.
    pub async fn connect_with(
        opts: &SessionOptions,
        fallback: Option<Fallback>,
    ) -> Result<Self, CloudError> {
        let mut loader = aws_config::defaults(BehaviorVersion::latest())
            .timeout_config(
                TimeoutConfig::builder()
                    .connect_timeout(opts.connect_timeout)
                    .operation_attempt_timeout(opts.attempt_timeout)
                    .operation_timeout(opts.operation_timeout)
                    .build(),
            )
            .retry_config(write_retries(opts));
        if let Some(client) =
            super::network::client_from_env().map_err(|why| CloudError::new("aws", "", why))?
        {
            loader = loader.http_client(client);
        }
        if let Some(profile) = &opts.profile {
            loader = loader.profile_name(profile);
        }
        if let Some(first) = opts.regions.first() {
            loader = loader.region(Region::new(first.clone()));
        }
        if let Some(url) = &opts.endpoint_url {
            loader = loader.endpoint_url(url);
        }
        if let Some((id, secret)) = &opts.static_credentials {
            loader = loader.credentials_provider(Credentials::from_keys(id, secret, None));
        } else if let Some(fallback) = &fallback {
            // The standard chain first: a profile in ~/.aws/config wins.
            let mut standard =
                aws_config::default_provider::credentials::DefaultCredentialsChain::builder();
            if let Some(p) = &opts.profile {
                standard = standard.profile_name(p);
            }
            if let Some(first) = opts.regions.first() {
                standard = standard.region(Region::new(first.clone()));
            }
            loader = loader.credentials_provider(ThenKeyring {
                standard: standard.build().await,
                fallback: fallback.clone(),
            });
        }
        let sdk = loader.load().await;
        // An MFA code is asked for now, outside any AWS call, whose time
        // limits would cut the question short; the session credentials are
        // then cached in the provider.
        if fallback.as_ref().is_some_and(|f| f.resolve_at_connect)
            && let Some(provider) = sdk.credentials_provider()
            && let Err(e) = provider.provide_credentials().await
        {
            tracing::debug!("credentials not resolved at connect: {e}");
        }
        let profile = profile_name(opts);
        let home_region = sdk
            .region()
            .map_or_else(|| FALLBACK_REGION.to_string(), |r| r.to_string());
        let mut session = Self {
            sdk,
            profile,
            regions: if opts.regions.is_empty() {
                vec![home_region]
            } else {
                dedup_keep_order(&opts.regions)
            },
            endpoint_url: opts.endpoint_url.clone(),
            bucket_regions: Arc::default(),
            read_retries: read_retries(opts),
            write_retries: write_retries(opts),
            operation_timeout: opts.operation_timeout,
        };
        if opts.all_regions {
            session.regions = session.enabled_regions().await?;
        }
        Ok(session)
    }

    /// The endpoint is an emulator on this machine (the sandbox, the tests):
    /// whatever addresses its instances claim, they are not on the network.
    pub fn is_local_emulator(&self) -> bool {
        self.endpoint_url.as_deref().is_some_and(is_loopback_url)
    }

    /// The first region: where global calls (STS, S3 ListBuckets) go.
    pub fn home_region(&self) -> &str {
        self.regions.first().map_or(FALLBACK_REGION, String::as_str)
    }

    pub(in crate::cloud) fn ec2(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::from_conf(conf!(self, aws_sdk_ec2, region, Read).build())
    }

    /// EC2 for calls that change something (see `network` for why writes
    /// are retried differently).
    pub(in crate::cloud) fn ec2_writer(&self, region: &str) -> aws_sdk_ec2::Client {
        aws_sdk_ec2::Client::from_conf(conf!(self, aws_sdk_ec2, region, Write).build())
    }

    pub(in crate::cloud) fn emr(&self, region: &str) -> aws_sdk_emr::Client {
        aws_sdk_emr::Client::from_conf(conf!(self, aws_sdk_emr, region, Read).build())
    }

    pub(in crate::cloud) fn emr_writer(&self, region: &str) -> aws_sdk_emr::Client {
        aws_sdk_emr::Client::from_conf(conf!(self, aws_sdk_emr, region, Write).build())
    }

    /// An S3 client; path-style addressing when the endpoint is overridden,
    /// since local emulators do not serve bucket subdomains.
    pub(in crate::cloud) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        self.s3_for(region, Use::Read)
    }

    pub(in crate::cloud) fn s3_for(&self, region: &str, use_: Use) -> aws_sdk_s3::Client {
        let conf = match use_ {
            Use::Read => conf!(self, aws_sdk_s3, region, Read),
            Use::Write => conf!(self, aws_sdk_s3, region, Write),
            Use::Repeatable => conf!(self, aws_sdk_s3, region, Repeatable),
        };
        aws_sdk_s3::Client::from_conf(conf.force_path_style(self.endpoint_url.is_some()).build())
    }

    /// The Pricing API; it answers in us-east-1 only (for every region's
    /// prices). `AWS_ENDPOINT_URL_PRICING` points it elsewhere.
    pub(in crate::cloud) fn pricing(&self) -> aws_sdk_pricing::Client {
        let mut conf = conf!(self, aws_sdk_pricing, "us-east-1", Read);
        // The SDK's own order (service endpoint over the global one) also when
        // skiff was given the global endpoint explicitly: emulators such as
        // moto have no Pricing API, so it may live elsewhere.
        if let Some(url) = std::env::var("AWS_ENDPOINT_URL_PRICING")
            .ok()
            .filter(|u| !u.is_empty())
        {
            conf = conf.endpoint_url(url);
        }
        aws_sdk_pricing::Client::from_conf(conf.build())
    }

    pub(in crate::cloud) fn cloudwatch(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::from_conf(conf!(self, aws_sdk_cloudwatch, region, Read).build())
    }

    pub(in crate::cloud) fn cloudwatch_writer(&self, region: &str) -> aws_sdk_cloudwatch::Client {
        aws_sdk_cloudwatch::Client::from_conf(
            conf!(self, aws_sdk_cloudwatch, region, Write).build(),
        )
    }

    /// EventBridge Scheduler (guard schedules).
    pub(in crate::cloud) fn scheduler(&self, region: &str) -> aws_sdk_scheduler::Client {
        aws_sdk_scheduler::Client::from_conf(conf!(self, aws_sdk_scheduler, region, Read).build())
    }

    pub(in crate::cloud) fn scheduler_writer(&self, region: &str) -> aws_sdk_scheduler::Client {
        aws_sdk_scheduler::Client::from_conf(conf!(self, aws_sdk_scheduler, region, Write).build())
    }

    /// Systems Manager (the public parameters that name current AMIs).
    pub(in crate::cloud) fn ssm(&self, region: &str) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::from_conf(conf!(self, aws_sdk_ssm, region, Read).build())
    }

    /// Session Manager's session calls (and reads): they change nothing
    /// in AWS, so no gate stands before them.
    pub(in crate::cloud) fn ssm_sessions(&self, region: &str) -> aws_sdk_ssm::Client {
        aws_sdk_ssm::Client::from_conf(conf!(self, aws_sdk_ssm, region, Sessions).build())
    }

    /// EC2 Instance Connect (one-time SSH keys).
    pub(in crate::cloud) fn instance_connect_writer(
        &self,
        region: &str,
    ) -> aws_sdk_ec2instanceconnect::Client {
        aws_sdk_ec2instanceconnect::Client::from_conf(
            conf!(self, aws_sdk_ec2instanceconnect, region, Write).build(),
        )
    }

    /// IAM (global; its endpoint is in us-east-1).
    pub(in crate::cloud) fn iam(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::from_conf(conf!(self, aws_sdk_iam, "us-east-1", Read).build())
    }

    pub(in crate::cloud) fn iam_writer(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::from_conf(conf!(self, aws_sdk_iam, "us-east-1", Write).build())
    }

    /// IAM's policy simulator (reads, and SimulatePrincipalPolicy, which
    /// changes nothing though its name is no read verb).
    pub(in crate::cloud) fn iam_simulator(&self) -> aws_sdk_iam::Client {
        aws_sdk_iam::Client::from_conf(
            conf!(self, aws_sdk_iam, "us-east-1", Repeatable)
                .interceptor(super::reads::ReadsAnd(super::reads::SIMULATION_CALLS))
                .build(),
        )
    }

    /// Cost Explorer (us-east-1, for the whole account).
    pub(in crate::cloud) fn cost_explorer(&self) -> aws_sdk_costexplorer::Client {
        aws_sdk_costexplorer::Client::from_conf(
            conf!(self, aws_sdk_costexplorer, "us-east-1", Read).build(),
        )
    }

    pub(in crate::cloud) fn sts(&self) -> aws_sdk_sts::Client {
        let region = self.home_region().to_string();
        aws_sdk_sts::Client::from_conf(conf!(self, aws_sdk_sts, region, Read).build())
    }

    /// A listing page's error in words: one that did not come within the
    /// time limit says so (the endpoint answered, slowly).
    pub(in crate::cloud) fn page_error<E>(
        &self,
        service: &'static str,
        region: &str,
        e: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> CloudError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let err = CloudError::from_sdk(service, region, e);
        if err.code.as_deref() == Some(super::error::SLOW) {
            CloudError::slow_page(service, region, self.operation_timeout.as_secs())
        } else {
            err
        }
    }

    /// The account id of the credentials in use (STS GetCallerIdentity).
    pub async fn account_id(&self) -> Result<String, CloudError> {
        let out = self
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("sts", self.home_region(), &e))?;
        out.account.ok_or_else(|| {
            CloudError::new("sts", self.home_region(), "no account id in the answer")
        })
    }

    /// When the credentials in use expire (SSO, assumed roles, session
    /// tokens); `None` for keys that do not, or none at all.
    pub async fn credentials_expiry(&self) -> Option<std::time::SystemTime> {
        use aws_credential_types::provider::ProvideCredentials;
        self.sdk
            .credentials_provider()?
            .provide_credentials()
            .await
            .ok()?
            .expiry()
    }

    /// The account id and ARN of the credentials in use (STS
    /// GetCallerIdentity).
    pub async fn caller_identity(&self) -> Result<(String, String), CloudError> {
        let region = self.home_region();
        let out = self
            .sts()
            .get_caller_identity()
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("sts", region, &e))?;
        match (out.account, out.arn) {
            (Some(account), Some(arn)) => Ok((account, arn)),
            _ => Err(CloudError::new(
                "sts",
                region,
                "no account id or ARN in the answer",
            )),
        }
    }

    /// Regions enabled for this account (EC2 DescribeRegions), sorted.
    pub async fn enabled_regions(&self) -> Result<Vec<String>, CloudError> {
        let region = self.home_region().to_string();
        let out = self
            .ec2(&region)
            .describe_regions()
            .send()
            .await
            .map_err(|e| CloudError::from_sdk("ec2", &region, &e))?;
        let mut names: Vec<String> = out
            .regions
            .unwrap_or_default()
            .into_iter()
            .filter_map(|r| r.region_name)
            .collect();
        names.sort();
        if names.is_empty() {
            return Err(CloudError::new(
                "ec2",
                &region,
                "DescribeRegions returned no regions",
            ));
        }
        Ok(names)
    }
}

fn dedup_keep_order(items: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(items.len());
    for item in items {
        if !out.contains(item) {
            out.push(item.clone());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_endpoints_are_told_apart_from_the_network() {
        for url in [
            "http://127.0.0.1:5000",
            "http://localhost:4566/",
            "http://[::1]:9000",
            "http://127.0.0.2",
        ] {
            assert!(is_loopback_url(url), "{url}");
        }
        for url in [
            "https://ec2.us-east-1.amazonaws.com",
            "http://10.0.0.1:5000",
            "http://54.1.2.3",
            "http://127.0.0.1.evil.example:80",
        ] {
            assert!(!is_loopback_url(url), "{url}");
        }
    }

    #[test]
    fn repeated_regions_are_listed_once_in_the_order_given() {
        let got = dedup_keep_order(&["eu-west-1".into(), "us-east-1".into(), "eu-west-1".into()]);
        assert_eq!(got, vec!["eu-west-1", "us-east-1"]);
    }
}
