//! `skiff leftovers` and the Leftovers view: what still costs money when
//! nothing runs, gathered across the session's regions and every bucket,
//! priced a month at a time, and removed one at a time through the gate.

use chrono::Utc;
use futures::future::join_all;

use super::connect::Context;
use crate::cloud::actions::Done;
use crate::cloud::leftovers as cloud;
use crate::cloud::{CloudError, Session};
use crate::cost::leftovers::{self as price, Kind, Leftover, Why};
use crate::cost::{Amount, Prices};
use crate::model::{InstanceState, Inventory};

/// Everything found, and what could not be looked at.
#[derive(Debug, Clone, PartialEq)]
pub struct Found {
    pub items: Vec<Leftover>,
    pub monthly: Amount,
    pub errors: Vec<String>,
}

/// Everything of one region: volumes, snapshots, images, addresses, the
/// stopped instances' disks and the idle running ones.
async fn region(
    session: &Session,
    region: &str,
    account: &str,
    inv: &Inventory,
    prices: &Prices,
) -> (Vec<Leftover>, Vec<String>) {
    let mut errors = Vec::new();
    let (volumes, snapshots, images, addresses) = futures::join!(
        cloud::loose_volumes(session, region),
        cloud::own_snapshots(session, region, account),
        cloud::own_images(session, region, account),
        cloud::loose_addresses(session, region),
    );
    let volumes = listed(volumes, &mut errors);
    let images = listed(images, &mut errors);
    let snapshots = listed(snapshots, &mut errors);
    let addresses = listed(addresses, &mut errors);
    let mut out: Vec<Leftover> = volumes
        .into_iter()
        .map(|v| loose_volume(region, prices, v))
        .collect();
    out.extend(images_and_snapshots(region, prices, &images, &snapshots));
    out.extend(
        addresses
            .into_iter()
            .map(|a| loose_address(region, prices, a)),
    );
    let (idle, peak_errors) = idle_instances(session, region, inv, prices).await;
    out.extend(idle);
    errors.extend(peak_errors);
    out.extend(stopped_instances(region, inv, prices));
    (out, errors)
}

/// What was listed; nothing where the listing failed, which `errors` notes.
fn listed<T>(list: Result<Vec<T>, CloudError>, errors: &mut Vec<String>) -> Vec<T> {
    list.unwrap_or_else(|e| {
        errors.push(e.to_string());
        Vec::new()
    })
}

fn loose_volume(region: &str, prices: &Prices, v: cloud::LooseVolume) -> Leftover {
    Leftover {
        kind: Kind::Volume,
        id: v.id.clone(),
        region: region.to_string(),
        monthly: price::volume_monthly(prices, region, v.size_gib, &v.volume_type),
        at_most: false,
        why: Why::Volume {
            gib: v.size_gib,
            volume_type: v.volume_type,
            name: v.name,
        },
    }
}

/// The images, and the snapshots no image stands on: a snapshot behind an
/// image is counted with its image, once.
fn images_and_snapshots(
    region: &str,
    prices: &Prices,
    images: &[cloud::OwnImage],
    snapshots: &[cloud::OwnSnapshot],
) -> Vec<Leftover> {
    let mut out = Vec::new();
    for img in images {
        let gib: i64 = snapshots
            .iter()
            .filter(|s| img.snapshot_ids.contains(&s.id))
            .map(|s| s.volume_size_gib)
            .sum();
        out.push(Leftover {
            kind: Kind::Image,
            id: img.id.clone(),
            region: region.to_string(),
            monthly: price::snapshot_monthly(prices, region, gib),
            at_most: true,
            why: Why::Image {
                name: img.name.clone(),
                snapshots: img.snapshot_ids.len(),
                gib,
            },
        });
    }
    for s in snapshots
        .iter()
        .filter(|s| !images.iter().any(|i| i.snapshot_ids.contains(&s.id)))
    {
        out.push(Leftover {
            kind: Kind::Snapshot,
            id: s.id.clone(),
            region: region.to_string(),
            monthly: price::snapshot_monthly(prices, region, s.volume_size_gib),
            at_most: true,
            why: Why::Snapshot {
                gib: s.volume_size_gib,
                description: s.description.clone(),
            },
        });
    }
    out
}

fn loose_address(region: &str, prices: &Prices, a: cloud::LooseAddress) -> Leftover {
    Leftover {
        kind: Kind::Address,
        id: a.allocation_id.clone(),
        region: region.to_string(),
        monthly: price::address_monthly(prices),
        at_most: false,
        why: Why::Address {
            public_ip: a.public_ip,
        },
    }
}

/// The running instances of `region` (EMR's nodes left to their cluster)
/// that idled for a day, by their CPU peaks; the peaks that could not be
/// read, as errors.
async fn idle_instances(
    session: &Session,
    region: &str,
    inv: &Inventory,
    prices: &Prices,
) -> (Vec<Leftover>, Vec<String>) {
    let (mut out, mut errors) = (Vec::new(), Vec::new());
    let now = Utc::now();
    let running: Vec<_> = inv
        .instances
        .iter()
        .filter(|i| {
            i.region == region && i.state == InstanceState::Running && i.emr_cluster().is_none()
        })
        .collect();
    let peaks = join_all(
        running
            .iter()
            .map(|i| cloud::cpu_peaks(session, region, &i.id, now)),
    )
    .await;
    for (i, peaks) in running.iter().zip(peaks) {
        match peaks {
            Ok(p) if price::is_idle(&p) => out.push(Leftover {
                kind: Kind::IdleInstance,
                id: i.id.clone(),
                region: region.to_string(),
                monthly: price::running_monthly(prices, region, &i.instance_type),
                at_most: false,
                why: Why::IdleInstance {
                    name: i.display_name().to_string(),
                    instance_type: i.instance_type.clone(),
                    peak_cpu: p.iter().copied().fold(0.0, f64::max),
                },
            }),
            Ok(_) => {}
            Err(e) => errors.push(e.to_string()),
        }
    }
    (out, errors)
}

/// The stopped instances of `region` with disks: what the disks cost.
fn stopped_instances(region: &str, inv: &Inventory, prices: &Prices) -> Vec<Leftover> {
    inv.instances
        .iter()
        .filter(|i| {
            i.region == region && i.state == InstanceState::Stopped && !i.volumes.is_empty()
        })
        .map(|i| {
            let mut monthly = Amount::zero();
            for v in &i.volumes {
                monthly.merge(&price::volume_monthly(
                    prices,
                    region,
                    v.size_gib.into(),
                    v.volume_type.as_deref().unwrap_or("gp2"),
                ));
            }
            Leftover {
                kind: Kind::StoppedInstance,
                id: i.id.clone(),
                region: region.to_string(),
                monthly,
                at_most: false,
                why: Why::StoppedInstance {
                    name: i.display_name().to_string(),
                    gib: i.total_volume_gib(),
                },
            }
        })
        .collect()
}

/// Every leftover of the session's regions and of every bucket.
pub async fn find(ctx: &Context) -> Found {
    let session = &ctx.session;
    let prices = Prices::load(&ctx.dirs.cache);
    let (inv, inv_errors) = ctx.inventory().await;
    let mut errors: Vec<String> = inv_errors.iter().map(ToString::to_string).collect();
    let account = match session.account_id().await {
        Ok(a) => a,
        Err(e) => {
            errors.push(format!("{e} (snapshots and images need the account id)"));
            String::new()
        }
    };
    let regions = join_all(
        session
            .regions
            .iter()
            .map(|r| region(session, r, &account, &inv, &prices)),
    )
    .await;
    let mut items = Vec::new();
    for (found, errs) in regions {
        items.extend(found);
        errors.extend(errs);
    }
    match crate::cloud::s3::list_buckets(session).await {
        Ok(buckets) => {
            let buckets: Vec<(String, String)> = buckets
                .into_iter()
                .map(|b| {
                    let r = b
                        .region
                        .unwrap_or_else(|| session.home_region().to_string());
                    (b.name, r)
                })
                .collect();
            let uploads = join_all(
                buckets
                    .iter()
                    .map(|(name, region)| cloud::open_uploads(session, name, region)),
            )
            .await;
            for ((_, bucket_region), ups) in buckets.iter().zip(uploads) {
                match ups {
                    Ok(ups) => items.extend(ups.into_iter().map(|u| Leftover {
                        kind: Kind::MultipartUpload,
                        id: u.upload_id.clone(),
                        region: bucket_region.clone(),
                        monthly: price::upload_monthly(&prices, bucket_region, u.stored),
                        at_most: false,
                        why: Why::Upload {
                            bucket: u.bucket,
                            key: u.key,
                            initiated: u.initiated,
                            stored: u.stored,
                        },
                    })),
                    Err(e) => errors.push(e.to_string()),
                }
            }
        }
        Err(e) => errors.push(e.to_string()),
    }
    items.sort_by(|a, b| {
        b.monthly
            .known
            .cmp(&a.monthly.known)
            .then(a.kind.cmp(&b.kind))
            .then(a.id.cmp(&b.id))
    });
    let monthly = price::total(&items);
    Found {
        items,
        monthly,
        errors,
    }
}

/// What removing a leftover did.
#[derive(Debug, Clone, PartialEq)]
pub struct Removed {
    pub kind: Kind,
    pub id: String,
    /// What it cost a month (saved from now on).
    pub monthly: Amount,
    /// Sent, or only rehearsed.
    pub done: Done,
}

/// Why a leftover was not removed.
#[derive(Debug, thiserror::Error)]
pub enum RemoveError {
    #[error("{0} is not among the leftovers (run skiff leftovers to see them)")]
    NotFound(String),
    #[error("{id} is a {}: skiff leftovers does not remove those", kind.as_str().replace('_', " "))]
    NotRemovable { id: String, kind: Kind },
    #[error(transparent)]
    Cloud(#[from] CloudError),
}

/// Removes the leftover `id` (as listed now): deletes a volume or a
/// snapshot, releases an address, aborts an upload.
pub async fn remove(ctx: &Context, found: &Found, id: &str) -> Result<Removed, RemoveError> {
    let item = found
        .items
        .iter()
        .find(|i| i.id == id)
        .ok_or_else(|| RemoveError::NotFound(id.to_string()))?;
    let refused = || RemoveError::NotRemovable {
        id: id.to_string(),
        kind: item.kind,
    };
    let actions = ctx.actions();
    let done = match (&item.kind, &item.why) {
        (Kind::Volume, _) => actions.delete_volume(&item.region, id).await?,
        (Kind::Snapshot, _) => actions.delete_snapshot(&item.region, id).await?,
        (Kind::Address, _) => actions.release_address(&item.region, id).await?,
        (Kind::MultipartUpload, Why::Upload { bucket, key, .. }) => {
            let b = ctx.session.bucket_in(bucket, &item.region);
            actions.abort_multipart_upload(&b, key, id).await?;
            Done::Sent
        }
        _ => return Err(refused()),
    };
    Ok(Removed {
        kind: item.kind,
        id: id.to_string(),
        monthly: item.monthly.clone(),
        done,
    })
}
