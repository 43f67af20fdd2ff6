//! What background tasks send back to the loop: answers about the shared
//! world (the session, the inventory, costs, guards, lifecycle progress),
//! and answers addressed to one view or to the popup that asked. Each is
//! tagged with what asked for it (a session generation, a view, a popup's
//! own generation), so a stale answer is dropped where it arrives.

use std::any::Any;
use std::sync::Arc;

use chrono::{DateTime, Utc};

use crate::cloud::billing::Billed;
use crate::cloud::inventory::{SliceData, SliceKey};
use crate::cloud::{CloudError, Session};
use crate::model::BucketSize;
use crate::ops::prices::Refreshed;

/// A view, by the name it is registered under (`instances`, `objects`…).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ViewId(pub &'static str);

impl std::fmt::Display for ViewId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

/// What the Costs figures need beside the inventory, fetched after each
/// full listing.
#[derive(Debug)]
pub enum Extra {
    Spot(crate::cost::prices::SpotPrices),
    Sizes(Vec<Result<BucketSize, CloudError>>),
    Billed(Result<Billed, CloudError>),
    Prices(Option<(Vec<Refreshed>, Result<std::path::PathBuf, String>)>),
}

/// A message from a background task.
pub enum Msg {
    Connected {
        generation: u64,
        result: Result<Arc<Session>, CloudError>,
    },
    Account {
        generation: u64,
        result: Result<String, CloudError>,
    },
    Slice {
        generation: u64,
        key: SliceKey,
        /// When it was asked for.
        at: DateTime<Utc>,
        result: Result<SliceData, CloudError>,
    },
    /// A page of a slice still being listed (shown until the slice is in,
    /// where nothing of it was shown before).
    SlicePage {
        generation: u64,
        key: SliceKey,
        page: SliceData,
    },
    /// Prices, sizes or the bill fetched beside the inventory.
    Extra {
        generation: u64,
        extra: Extra,
    },
    /// skiff's guards, listed beside the inventory.
    Guards {
        generation: u64,
        result: Result<Vec<crate::ops::guard::GuardInfo>, CloudError>,
    },
    /// A lifecycle step happened (not tied to a generation: the change is real).
    LifecycleProgress(crate::ops::execute::Progress),
    LifecycleDone(Arc<crate::ops::execute::Report>),
    /// The credentials provider needs an MFA code for this device serial;
    /// the code (or nothing, on cancel) goes back through `reply`.
    MfaPrompt {
        serial: String,
        reply: tokio::sync::oneshot::Sender<String>,
    },
    /// An answer for one view (its own message type, which it downcasts).
    View(ViewId, Box<dyn Any + Send>),
    /// An answer for the popup that asked (each popup knows its own type
    /// and generation; the others let it pass).
    Popup(Box<dyn Any + Send>),
}

impl std::fmt::Debug for Msg {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let name = match self {
            Self::Connected { .. } => "Connected",
            Self::Account { .. } => "Account",
            Self::Slice { .. } => "Slice",
            Self::SlicePage { .. } => "SlicePage",
            Self::Extra { .. } => "Extra",
            Self::Guards { .. } => "Guards",
            Self::LifecycleProgress(_) => "LifecycleProgress",
            Self::LifecycleDone(_) => "LifecycleDone",
            Self::MfaPrompt { .. } => "MfaPrompt",
            Self::View(id, _) => return write!(f, "View({id})"),
            Self::Popup(_) => "Popup",
        };
        f.write_str(name)
    }
}
