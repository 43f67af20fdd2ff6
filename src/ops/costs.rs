//! What both faces show about money: a listing goes into the cost ledger
//! (with the prices of the moment, spot included) and the figures come out
//! of the ledger — the same function for `skiff cost`, `skiff ls`, the
//! lifecycle questions and summaries, and every TUI view.

use chrono::{DateTime, Utc};

use crate::cloud::inventory::{Service, SliceKey, Wanted};
use crate::cloud::{CloudError, Session};
use crate::config::Dirs;
use crate::cost::compute::sightings;
use crate::cost::{CostReport, Kind, Ledger, Prices};
use crate::model::Inventory;

/// The (kind, region) pairs a listing covered completely: what it does not
/// show there is gone. A region whose listing failed is not among them.
pub fn listed(regions: &[String], wanted: Wanted, errors: &[CloudError]) -> Vec<(Kind, String)> {
    let mut out = Vec::new();
    for r in regions {
        let failed = |service: &str| {
            errors
                .iter()
                .any(|e| e.service == service && &e.region == r)
        };
        if wanted.instances && !failed("ec2") {
            out.push((Kind::Instance, r.clone()));
        }
        if wanted.clusters && !failed("emr") {
            out.push((Kind::EmrGroup, r.clone()));
        }
    }
    out
}

/// The same for the slices the TUI holds.
pub fn listed_slices<'a>(keys: impl IntoIterator<Item = &'a SliceKey>) -> Vec<(Kind, String)> {
    keys.into_iter()
        .filter_map(|k| {
            let kind = match k.service {
                Service::Ec2 => Kind::Instance,
                Service::Emr => Kind::EmrGroup,
                Service::S3 => return None,
            };
            Some((kind, k.region.clone()?))
        })
        .collect()
}

/// The ledger in the state directory; one that cannot be opened is kept in
/// memory for this run, with the reason.
pub fn open_ledger(dirs: &Dirs) -> (Ledger, Option<String>) {
    match Ledger::open(&dirs.state) {
        // A damaged ledger was set aside and announced (store::notices).
        Ok((ledger, _announced)) => (ledger, None),
        Err(e) => (
            Ledger::in_memory(),
            Some(format!(
                "cannot read the cost ledger in {}: {e}; costs of earlier runs are not known",
                dirs.state.display()
            )),
        ),
    }
}

/// Records a listing made at `at` with `prices`. Err: the ledger could not
/// be written (the figures of this run still hold).
pub fn observe(
    ledger: &mut Ledger,
    inv: &Inventory,
    prices: &Prices,
    listed: &[(Kind, String)],
    at: DateTime<Utc>,
    dirs: &Dirs,
) -> Result<(), String> {
    ledger
        .observe(&sightings(inv, prices), listed, at)
        .map_err(|e| {
            format!(
                "cannot write the cost ledger in {}: {e}",
                dirs.state.display()
            )
        })
}

/// Records one slice's listing (`listed`: its kind and region) made at
/// `at`: only what that slice shows is taken as seen then.
pub fn observe_slice(
    ledger: &mut Ledger,
    inv: &Inventory,
    prices: &Prices,
    listed: &(Kind, String),
    at: DateTime<Utc>,
) -> std::io::Result<()> {
    let (kind, region) = listed;
    let seen: Vec<_> = sightings(inv, prices)
        .into_iter()
        .filter(|s| &s.kind == kind && &s.region == region)
        .collect();
    ledger.observe(&seen, std::slice::from_ref(listed), at)
}

/// Anything in `inv` priced at the spot market (instances, EMR groups).
pub fn has_spot(inv: &Inventory) -> bool {
    inv.instances.iter().any(|i| i.spot)
        || inv.emr_clusters.iter().any(|c| {
            c.instance_groups
                .iter()
                .any(|g| g.market.eq_ignore_ascii_case("SPOT"))
        })
}

/// Current spot prices of what `inv` runs at the spot market.
pub async fn spot_prices(session: &Session, inv: &Inventory) -> crate::cost::prices::SpotPrices {
    crate::cloud::ec2::spot_prices_for(session, inv).await
}

/// What each bucket stores (CloudWatch's daily figures).
pub async fn bucket_sizes(
    session: &Session,
    buckets: &[crate::model::Bucket],
    now: DateTime<Utc>,
) -> Vec<Result<crate::model::BucketSize, CloudError>> {
    crate::cloud::billing::bucket_sizes(session, buckets, now).await
}

/// Prices as they are now: the table, the Pricing API cache, and the spot
/// prices of the spot instances and EMR spot groups in `inv`.
pub async fn prices_now(session: &Session, dirs: &Dirs, inv: &Inventory) -> Prices {
    Prices::load(&dirs.cache).with_spot(spot_prices(session, inv).await)
}

/// A listing made at `at` into the ledger, and the figures of the session's
/// regions. The warnings say what could not be kept.
pub async fn report_listing(
    session: &Session,
    dirs: &Dirs,
    inv: &Inventory,
    listed: &[(Kind, String)],
    at: DateTime<Utc>,
) -> (CostReport, Prices, Vec<String>) {
    let prices = prices_now(session, dirs, inv).await;
    let (mut ledger, note) = open_ledger(dirs);
    let mut warnings: Vec<String> = note.into_iter().collect();
    if let Err(e) = observe(&mut ledger, inv, &prices, listed, at, dirs) {
        warnings.push(e);
    }
    let report = crate::cost::report(ledger.book(), Some(&session.regions), at);
    (report, prices, warnings)
}
