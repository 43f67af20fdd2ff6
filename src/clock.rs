//! skiff's "now" for what it records and reports about time spent (the cost
//! ledger, the changes it sends): the system clock, moved by
//! `SKIFF_CLOCK_OFFSET` seconds when that is set. The end-to-end ledger
//! test moves skiff a minute ahead instead of sleeping a minute; everyone
//! else leaves it unset.

use std::sync::OnceLock;

use chrono::{DateTime, Duration, Utc};

fn offset() -> Duration {
    static OFFSET: OnceLock<Duration> = OnceLock::new();
    *OFFSET.get_or_init(|| {
        std::env::var("SKIFF_CLOCK_OFFSET")
            .ok()
            .and_then(|s| s.trim().parse::<i64>().ok())
            .map_or_else(Duration::zero, Duration::seconds)
    })
}

/// Now, as skiff counts it.
pub fn now() -> DateTime<Utc> {
    Utc::now() + offset()
}
