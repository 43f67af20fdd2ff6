//! STS calls made before a session exists: exchanging a keyring profile's
//! long-term keys and an MFA code for session credentials.

use std::time::{Duration, SystemTime};

use aws_credential_types::Credentials;

use super::CloudError;

/// STS GetSessionToken with `long_term` keys and an MFA `code` for the
/// device `serial`: credentials valid for `duration`.
pub async fn mfa_session_token(
    long_term: Credentials,
    region: &str,
    endpoint_url: Option<&str>,
    serial: &str,
    code: &str,
    duration: Duration,
) -> Result<Credentials, CloudError> {
    let mut conf = aws_sdk_sts::config::Builder::new()
        .behavior_version(aws_config::BehaviorVersion::latest())
        .region(aws_config::Region::new(region.to_string()))
        .credentials_provider(long_term)
        .interceptor(super::reads::ReadsOnly);
    if let Some(url) = endpoint_url {
        conf = conf.endpoint_url(url);
    }
    let out = aws_sdk_sts::Client::from_conf(conf.build())
        .get_session_token()
        .serial_number(serial)
        .token_code(code)
        .duration_seconds(i32::try_from(duration.as_secs()).unwrap_or(i32::MAX))
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("sts", region, &e))?;
    let c = out
        .credentials()
        .ok_or_else(|| CloudError::new("sts", region, "GetSessionToken returned no credentials"))?;
    let expiry = SystemTime::UNIX_EPOCH
        + Duration::from_secs(u64::try_from(c.expiration().secs()).unwrap_or(0));
    Ok(Credentials::new(
        c.access_key_id(),
        c.secret_access_key(),
        Some(c.session_token().to_string()),
        Some(expiry),
        "skiff-keyring-mfa",
    ))
}
