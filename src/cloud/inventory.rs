//! The inventory: everything that costs money or holds data, fetched as
//! independent slices (one per region and service) so that one failing slice
//! never hides the others.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use futures::future::join_all;

use super::{CloudError, Session, ec2, emr, s3};
use crate::model::{Bucket, EmrCluster, Instance, Inventory};
use crate::spark::ClusterTags;

/// A service skiff lists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Service {
    Ec2,
    Emr,
    S3,
}

impl Service {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ec2 => "ec2",
            Self::Emr => "emr",
            Self::S3 => "s3",
        }
    }
}

/// One unit of fetching: a service in a region (S3 buckets are global: `None`).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct SliceKey {
    pub service: Service,
    pub region: Option<String>,
}

impl SliceKey {
    pub fn label(&self) -> String {
        match &self.region {
            Some(r) => format!("{} {r}", self.service.as_str()),
            None => self.service.as_str().to_string(),
        }
    }
}

/// What one slice returned.
#[derive(Debug, Clone, PartialEq)]
pub enum SliceData {
    Instances(Vec<Instance>),
    Emr(Vec<EmrCluster>),
    Buckets(Vec<Bucket>),
}

impl SliceData {
    /// How many things it holds.
    pub fn len(&self) -> usize {
        match self {
            Self::Instances(l) => l.len(),
            Self::Emr(l) => l.len(),
            Self::Buckets(l) => l.len(),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Which services to fetch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Wanted {
    pub instances: bool,
    pub clusters: bool,
    pub buckets: bool,
}

impl Wanted {
    pub const ALL: Self = Self {
        instances: true,
        clusters: true,
        buckets: true,
    };
}

/// Settings that shape what is fetched and how it is grouped.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InventoryOptions {
    pub emr_terminated_days: u32,
    pub cluster_tags: ClusterTags,
}

/// The slices to fetch for `session`'s regions. Spark clusters are grouped
/// from instances, so clusters need the EC2 slices too; instances need the
/// EMR slices to name their EMR cluster.
pub fn slice_keys(session: &Session, wanted: Wanted) -> Vec<SliceKey> {
    let mut keys = Vec::new();
    for region in &session.regions {
        if wanted.instances || wanted.clusters {
            keys.push(SliceKey {
                service: Service::Ec2,
                region: Some(region.clone()),
            });
        }
        // EMR clusters for the Clusters view, and to name the cluster each
        // EMR node of the Instances view belongs to.
        if wanted.clusters || wanted.instances {
            keys.push(SliceKey {
                service: Service::Emr,
                region: Some(region.clone()),
            });
        }
    }
    if wanted.buckets {
        keys.push(SliceKey {
            service: Service::S3,
            region: None,
        });
    }
    keys
}

/// Fetches one slice.
pub async fn fetch_slice(
    session: &Session,
    key: &SliceKey,
    opts: &InventoryOptions,
    now: DateTime<Utc>,
) -> Result<SliceData, CloudError> {
    fetch_slice_paged(session, key, opts, now, &mut |_| {}).await
}

/// [`fetch_slice`], handing what each page of a long listing holds to
/// `on_page` as it arrives (instances without their volumes yet), so a big
/// account's first rows show while the rest is on its way.
pub async fn fetch_slice_paged(
    session: &Session,
    key: &SliceKey,
    opts: &InventoryOptions,
    now: DateTime<Utc>,
    on_page: &mut (dyn FnMut(SliceData) + Send),
) -> Result<SliceData, CloudError> {
    let region = key
        .region
        .as_deref()
        .unwrap_or_else(|| session.home_region());
    match key.service {
        Service::Ec2 => ec2::list_instances_paged(session, region, &mut |page| {
            on_page(SliceData::Instances(page));
        })
        .await
        .map(SliceData::Instances),
        Service::Emr => emr::list_clusters(session, region, opts.emr_terminated_days, now)
            .await
            .map(SliceData::Emr),
        Service::S3 => s3::list_buckets(session).await.map(SliceData::Buckets),
    }
}

/// Fetches every slice concurrently; failures are returned beside the data.
pub async fn fetch_all(
    session: &Session,
    wanted: Wanted,
    opts: &InventoryOptions,
    now: DateTime<Utc>,
) -> (Inventory, Vec<CloudError>) {
    let keys = slice_keys(session, wanted);
    let results = join_all(keys.iter().map(|k| fetch_slice(session, k, opts, now))).await;
    let mut slices = BTreeMap::new();
    let mut errors = Vec::new();
    for (key, result) in keys.into_iter().zip(results) {
        match result {
            Ok(data) => {
                slices.insert(key, data);
            }
            Err(e) => errors.push(e),
        }
    }
    (assemble(slices.values(), &opts.cluster_tags), errors)
}

/// The inventory made of the slices (or pages) fetched so far.
pub fn assemble<'a>(
    slices: impl IntoIterator<Item = &'a SliceData>,
    tags: &ClusterTags,
) -> Inventory {
    let (mut instances, mut emr, mut buckets) = (Vec::new(), Vec::new(), Vec::new());
    for data in slices {
        match data {
            SliceData::Instances(list) => instances.extend(list.iter().cloned()),
            SliceData::Emr(list) => emr.extend(list.iter().cloned()),
            SliceData::Buckets(list) => buckets.extend(list.iter().cloned()),
        }
    }
    Inventory::new(instances, emr, buckets, tags)
}
