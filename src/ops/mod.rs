//! The operations both faces use: what a user asks for, end to end, with
//! one set of rules. Connecting (config and flags into a session and a gate),
//! resolving a TARGET, running a lifecycle verb (plan, execute, wait,
//! post-start), copying files and folders, deleting objects, tunnels and
//! opening their URLs, keeping prices and the bill current.
//!
//! Nothing here knows the terminal or clap: the CLI prints what comes back,
//! the TUI turns it into messages.

pub mod billing;
pub mod cluster;
pub mod connect;
pub mod costs;
pub mod execute;
pub mod guard;
pub mod launch;
pub mod leftovers;
pub mod lifecycle;
pub mod objects;
pub mod prices;
pub mod shell;
pub mod target;
pub mod transfer;
pub mod tunnel;
