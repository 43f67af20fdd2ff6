//! The local AWS sandbox: a moto server on loopback seeded with a sample R&D
//! account. Shared by `skiff sandbox` and the integration tests.

pub mod hosts;
mod moto;
pub mod reach;
mod running;
mod seed;
pub mod sshd;
pub mod world;

use std::time::Duration;

use crate::cloud::actions::Actions;
use crate::cloud::{CloudError, Session, SessionOptions};
pub use moto::{MotoError, MotoServer, MotoZygote, find_moto_server};
pub use running::{Recorded, Running};
pub use seed::{Seeded, seed_sample_account};

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

/// The writes that seed an emulator on this machine (through a gate of
/// their own: the sandbox's UI may be read-only, its seed is not).
pub fn seeder(session: &Session) -> Result<Actions, CloudError> {
    let gate = crate::ops::connect::seed_gate(session).ok_or_else(|| {
        CloudError::new(
            "seed",
            session.home_region(),
            "only an emulator on this machine is seeded",
        )
    })?;
    Ok(Actions::new(session.clone(), gate))
}
