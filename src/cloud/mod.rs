//! Everything that talks to AWS. Knows nothing of the terminal: it returns the
//! plain domain types of [`crate::model`] and [`CloudError`]s in words.

mod error;
mod session;

pub mod actions;
pub mod billing;
pub mod ec2;
pub mod emr;
pub mod execute;
pub mod inventory;
pub mod pricing;
pub mod s3;

pub use error::CloudError;
pub use session::{FALLBACK_REGION, Session, SessionOptions};
