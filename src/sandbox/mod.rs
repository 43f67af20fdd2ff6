//! The local AWS sandbox: a moto server on loopback seeded with a sample R&D
//! account. Shared by `skiff sandbox` and the integration tests.

pub mod hosts;
mod moto;
pub mod sshd;

use std::time::Duration;

pub use crate::cloud::actions::seed::Seeded;
use crate::cloud::actions::{Actions, Gate};
use crate::cloud::{CloudError, Session, SessionOptions};
pub use moto::{MotoError, MotoServer, find_moto_server};

/// The regions the sandbox seeds and lists.
pub const SANDBOX_REGIONS: [&str; 2] = ["us-east-1", "eu-west-1"];
/// Dummy keys: moto needs signed requests but checks nothing.
pub const SANDBOX_KEYS: (&str, &str) = ("skiff-sandbox", "skiff-sandbox-secret");

/// Session options for a local emulator at `endpoint`.
pub fn sandbox_options(endpoint: &str) -> SessionOptions {
    SessionOptions {
        profile: Some("sandbox".to_string()),
        regions: SANDBOX_REGIONS.iter().map(|r| r.to_string()).collect(),
        all_regions: false,
        endpoint_url: Some(endpoint.to_string()),
        connect_timeout: Duration::from_secs(2),
        // moto loads a service's backend on its first request: seconds on
        // its own, far more when parallel tests share two cores. A refused
        // connection still fails at once.
        attempt_timeout: Duration::from_secs(30),
        operation_timeout: Duration::from_secs(60),
        max_attempts: 1,
        read_attempts: 1,
        initial_backoff: None,
        static_credentials: Some((SANDBOX_KEYS.0.to_string(), SANDBOX_KEYS.1.to_string())),
    }
}

/// Creates the sample R&D account in the emulator `session` talks to
/// (through a gate of its own: the sandbox's UI may be read-only, its seed
/// is not).
pub async fn seed_sample_account(session: &Session) -> Result<Seeded, CloudError> {
    Actions::new(session.clone(), Gate::default())
        .seed_sample_account()
        .await
}
