//! Resolving a TARGET the user typed against what the session lists — and,
//! when nothing there is called that, against the account's other enabled
//! regions, so the answer says where it is.

use futures::stream::{self, StreamExt};

use super::connect::Context;
use crate::cloud::inventory::{self, Service, SliceKey};
use crate::lifecycle::{ResolveError, Target, resolve};
use crate::model::Inventory;

/// Regions listed at once while looking elsewhere.
const REGIONS_AT_ONCE: usize = 8;

/// The one thing `query` names in `inv`; when it names nothing, the other
/// enabled regions are asked, and the error says which region has it.
pub async fn find(ctx: &Context, inv: &Inventory, query: &str) -> Result<Target, String> {
    match resolve(inv, query) {
        Ok(t) => Ok(t),
        Err(ResolveError::Unknown { .. }) => {
            let here = resolve(inv, query)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            match elsewhere(ctx, query).await {
                Some((region, what)) => Err(format!(
                    "{query} is in {region}, which this session does not list ({what}): add --region {region}"
                )),
                None => Err(here),
            }
        }
        Err(e) => Err(e.to_string()),
    }
}

/// The first other enabled region in which `query` names something, and
/// what it names there.
async fn elsewhere(ctx: &Context, query: &str) -> Option<(String, String)> {
    let session = &ctx.session;
    let regions = session.enabled_regions().await.ok()?;
    let opts = ctx.inventory_options();
    let now = chrono::Utc::now();
    let others: Vec<String> = regions
        .into_iter()
        .filter(|r| !session.regions.contains(r))
        .collect();
    let mut found: Vec<(String, String)> = stream::iter(others)
        .map(|region| {
            let opts = opts.clone();
            async move {
                let mut slices = std::collections::BTreeMap::new();
                for service in [Service::Ec2, Service::Emr] {
                    let key = SliceKey {
                        service,
                        region: Some(region.clone()),
                    };
                    if let Ok(data) = inventory::fetch_slice(session, &key, &opts, now).await {
                        slices.insert(key, data);
                    }
                }
                let inv = inventory::assemble(slices.values(), &opts.cluster_tags);
                resolve(&inv, query)
                    .ok()
                    .map(|t| (region, t.describe(&inv)))
            }
        })
        .buffer_unordered(REGIONS_AT_ONCE)
        .filter_map(|x| async move { x })
        .collect()
        .await;
    found.sort();
    found.into_iter().next()
}
