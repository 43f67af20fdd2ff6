//! Session Manager, spoken natively (no `session-manager-plugin`): the
//! API calls that open, resume and end a session, which nodes' agents are
//! online, and the data channel ([`channel`]) with its frames ([`frame`]).
//!
//! A session changes nothing in AWS (Session Manager only records it), so
//! read-only does not stop one; the calls go through a client that sends
//! reads and exactly these session calls (`cloud::reads::SESSION_CALLS`).

pub mod channel;
pub mod frame;

use std::collections::HashMap;

use aws_sdk_ssm::error::ProvideErrorMetadata;

pub use channel::{Counts, End, Kind, Opened};

use super::{CloudError, Session};

/// What a port session needs: the node and its port.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PortTarget {
    pub region: String,
    pub instance: String,
    pub port: u16,
}

/// The document of a port session. `AWS-StartSSHSession` (any
/// `portNumber`) gives a plain stream; `AWS-StartPortForwardingSession`
/// makes agents from 3.0.196 multiplex connections with smux for clients
/// as new as skiff says it is, which skiff does not speak yet.
const PORT_DOCUMENT: &str = "AWS-StartSSHSession";

/// Opens a session to `target`'s port.
pub async fn start_port(session: &Session, target: &PortTarget) -> Result<Opened, String> {
    let out = session
        .ssm_sessions(&target.region)
        .start_session()
        .target(&target.instance)
        .document_name(PORT_DOCUMENT)
        .parameters("portNumber", vec![target.port.to_string()])
        .reason("skiff")
        .send()
        .await
        .map_err(|e| start_error(&e, &target.region, &target.instance))?;
    opened(out.session_id(), out.stream_url(), out.token_value())
}

/// Opens a shell session on `instance`.
pub async fn start_shell(
    session: &Session,
    region: &str,
    instance: &str,
) -> Result<Opened, String> {
    let out = session
        .ssm_sessions(region)
        .start_session()
        .target(instance)
        .reason("skiff")
        .send()
        .await
        .map_err(|e| start_error(&e, region, instance))?;
    opened(out.session_id(), out.stream_url(), out.token_value())
}

/// A new address and token for a session whose WebSocket broke.
pub async fn resume(session: &Session, region: &str, id: &str) -> Result<Opened, String> {
    let out = session
        .ssm_sessions(region)
        .resume_session()
        .session_id(id)
        .send()
        .await
        .map_err(|e| {
            format!(
                "cannot resume the session {id}: {}",
                CloudError::from_sdk("ssm", region, &e)
            )
        })?;
    opened(out.session_id(), out.stream_url(), out.token_value())
}

/// Ends a session (best effort: the agent ends it too when the channel
/// closes).
pub async fn terminate(session: &Session, region: &str, id: &str) {
    if let Err(e) = session
        .ssm_sessions(region)
        .terminate_session()
        .session_id(id)
        .send()
        .await
    {
        tracing::info!(
            "TerminateSession {id}: {}",
            CloudError::from_sdk("ssm", region, &e)
        );
    }
}

fn opened(id: Option<&str>, url: Option<&str>, token: Option<&str>) -> Result<Opened, String> {
    match (id, url, token) {
        (Some(id), Some(url), Some(token)) => Ok(Opened {
            session_id: id.to_string(),
            stream_url: url.to_string(),
            token: token.to_string(),
        }),
        _ => Err("Session Manager answered without a session id, stream URL or token".to_string()),
    }
}

/// What to do when StartSession is refused, in words a user can act on.
fn start_error<E>(
    e: &aws_sdk_ssm::error::SdkError<E, aws_smithy_runtime_api::http::Response>,
    region: &str,
    instance: &str,
) -> String
where
    E: ProvideErrorMetadata + std::error::Error + Send + Sync + 'static,
{
    match e.code() {
        Some("TargetNotConnected") => format!(
            "{instance}'s Session Manager agent is not online: the agent must run on it (preinstalled on Amazon Linux and Ubuntu AMIs) and the instance needs an instance profile with the AmazonSSMManagedInstanceCore policy, and a way out to the ssm, ssmmessages and ec2messages endpoints"
        ),
        Some("AccessDeniedException") => format!(
            "you may not open Session Manager sessions on {instance}: your IAM user or role needs ssm:StartSession on the instance and on the document AWS-StartSSHSession (and ssm:ResumeSession, ssm:TerminateSession on your own sessions) — {}",
            e.message().unwrap_or_default()
        ),
        Some("InvalidDocument") => format!(
            "Session Manager in {region} does not know the document it was asked for: {}",
            e.message().unwrap_or_default()
        ),
        _ => CloudError::from_sdk("ssm", region, e).to_string(),
    }
}

/// Whether each of `instances`' agent answers Session Manager
/// (DescribeInstanceInformation `PingStatus` "Online"). Instances without
/// an agent are absent.
pub async fn agents(
    session: &Session,
    region: &str,
    instances: &[String],
) -> Result<HashMap<String, bool>, CloudError> {
    let mut found = HashMap::new();
    if instances.is_empty() {
        return Ok(found);
    }
    let filter = aws_sdk_ssm::types::InstanceInformationStringFilter::builder()
        .key("InstanceIds")
        .set_values(Some(instances.to_vec()))
        .build()
        .map_err(|e| CloudError::new("ssm", region, e.to_string()))?;
    let mut pages = session
        .ssm(region)
        .describe_instance_information()
        .filters(filter)
        .into_paginator()
        .send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CloudError::from_sdk("ssm", region, &e))?;
        for info in page.instance_information_list() {
            if let Some(id) = info.instance_id() {
                let online = info.ping_status().is_some_and(|p| p.as_str() == "Online");
                found.insert(id.to_string(), online);
            }
        }
    }
    Ok(found)
}
