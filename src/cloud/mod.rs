//! Everything that talks to AWS. Knows nothing of the terminal: it returns the
//! plain domain types of [`crate::model`] and [`CloudError`]s in words.

mod error;
mod network;
pub mod reads;
mod session;

pub mod actions;
pub mod billing;
pub mod doctor;
pub mod ec2;
pub mod emr;
pub mod guards;
pub mod inventory;
pub mod launch;
pub mod leftovers;
pub mod pricing;
pub mod s3;
pub mod ssm;
pub mod sts;

pub use error::{CREDS_EXPIRED, CloudError, OFFLINE, SSO_EXPIRED, sign_in_fix};
pub use network::get_text;
pub use session::{
    FALLBACK_REGION, Fallback, Session, SessionOptions, is_loopback_host, is_loopback_url,
    profile_name,
};
