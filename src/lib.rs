//! skiff: a keyboard-first terminal UI and CLI for a data scientist's own AWS
//! R&D cloud. See ARCHITECTURE.md for the module map.

/// `skiff --version`: the version, the commit and the day of the build.
pub const VERSION: &str = concat!(
    env!("CARGO_PKG_VERSION"),
    " (",
    env!("SKIFF_COMMIT"),
    ", built ",
    env!("SKIFF_BUILD_DATE"),
    ")"
);

pub mod checksum;
pub mod cli;
pub mod clock;
pub mod cloud;
pub mod config;
pub mod cost;
pub mod creds;
pub mod guard;
pub mod launch;
pub mod lifecycle;
pub mod model;
pub mod ops;
pub mod render;
pub mod sandbox;
pub mod spark;
pub mod store;
pub mod tui;
