//! The local AWS sandbox: a moto server on loopback seeded with a sample R&D
//! account. Shared by `skiff sandbox` and the integration tests.

mod moto;
mod seed;

pub use moto::{MotoError, MotoServer, find_moto_server};
pub use seed::{SANDBOX_KEYS, SANDBOX_REGIONS, Seeded, sandbox_options, seed_sample_account};
