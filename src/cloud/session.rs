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
    pub max_attempts: u32,
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
            .retry_config(RetryConfig::standard().with_max_attempts(opts.max_attempts.max(1)));
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
            let chain = aws_config::meta::credentials::CredentialsProviderChain::first_try(
                "standard",
                standard.build().await,
            )
            .or_else(fallback.name, fallback.provider.clone());
            loader = loader.credentials_provider(chain);
        }
        let sdk = loader.load().await;
        // An MFA code is asked for now, outside any AWS call, whose time
        // limits would cut the question short; the session credentials are
        // then cached in the provider.
        if fallback.as_ref().is_some_and(|f| f.resolve_at_connect)
            && let Some(provider) = sdk.credentials_provider()
        {
            use aws_credential_types::provider::ProvideCredentials;
            if let Err(e) = provider.provide_credentials().await {
                tracing::debug!("credentials not resolved at connect: {e}");
            }
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
        let conf = aws_sdk_ec2::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_ec2::Client::from_conf(conf)
    }

    pub(in crate::cloud) fn emr(&self, region: &str) -> aws_sdk_emr::Client {
        let conf = aws_sdk_emr::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_emr::Client::from_conf(conf)
    }

    /// An S3 client; path-style addressing when the endpoint is overridden,
    /// since local emulators do not serve bucket subdomains.
    pub(in crate::cloud) fn s3(&self, region: &str) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .force_path_style(self.endpoint_url.is_some())
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    /// The Pricing API; it answers in us-east-1 only (for every region's
    /// prices). `AWS_ENDPOINT_URL_PRICING` points it elsewhere.
    pub(in crate::cloud) fn pricing(&self) -> aws_sdk_pricing::Client {
        let mut conf =
            aws_sdk_pricing::config::Builder::from(&self.sdk).region(Region::new("us-east-1"));
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
        let conf = aws_sdk_cloudwatch::config::Builder::from(&self.sdk)
            .region(Region::new(region.to_string()))
            .build();
        aws_sdk_cloudwatch::Client::from_conf(conf)
    }

    /// Cost Explorer (us-east-1, for the whole account).
    pub(in crate::cloud) fn cost_explorer(&self) -> aws_sdk_costexplorer::Client {
        let conf = aws_sdk_costexplorer::config::Builder::from(&self.sdk)
            .region(Region::new("us-east-1"))
            .build();
        aws_sdk_costexplorer::Client::from_conf(conf)
    }

    pub(in crate::cloud) fn sts(&self) -> aws_sdk_sts::Client {
        let conf = aws_sdk_sts::config::Builder::from(&self.sdk)
            .region(Region::new(self.home_region().to_string()))
            .build();
        aws_sdk_sts::Client::from_conf(conf)
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
