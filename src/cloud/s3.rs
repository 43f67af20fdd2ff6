//! S3: the account's buckets with their regions.

use futures::stream::{self, StreamExt};

use super::ec2::to_utc;
use super::{CloudError, Session};
use crate::model::Bucket;

const SERVICE: &str = "s3";
/// GetBucketLocation calls in flight at once.
const LOCATION_CONCURRENCY: usize = 16;

/// Every bucket of the account (all pages). A bucket whose region cannot be
/// read keeps `region: None` rather than failing the whole list.
pub async fn list_buckets(session: &Session) -> Result<Vec<Bucket>, CloudError> {
    let region = session.home_region().to_string();
    let client = session.s3(&region);
    let mut raw = Vec::new();
    let mut pages = client.list_buckets().into_paginator().send();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CloudError::from_sdk(SERVICE, "global", &e))?;
        raw.extend(page.buckets.unwrap_or_default());
    }
    let mut buckets: Vec<Bucket> = stream::iter(raw)
        .map(|b| {
            let client = client.clone();
            async move {
                let name = b.name().unwrap_or_default().to_string();
                let region = bucket_region(&client, &name).await;
                Bucket {
                    created: b.creation_date().and_then(to_utc),
                    region,
                    name,
                }
            }
        })
        .buffer_unordered(LOCATION_CONCURRENCY)
        .collect()
        .await;
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(buckets)
}

async fn bucket_region(client: &aws_sdk_s3::Client, name: &str) -> Option<String> {
    let out = client
        .get_bucket_location()
        .bucket(name)
        .send()
        .await
        .ok()?;
    // S3's oldest conventions: empty means us-east-1, "EU" means eu-west-1.
    Some(match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_string(),
    })
}

/// Every object below `prefix` (all pages, no delimiter) with its size;
/// folder markers (keys ending in `/`) left out. For folder downloads.
pub async fn list_all(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
) -> Result<Vec<(String, u64)>, CloudError> {
    let mut pages = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .into_paginator()
        .send();
    let mut keys = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| CloudError::from_sdk(SERVICE, bucket, &e))?;
        keys.extend(page.contents().iter().filter_map(|o| {
            let size = o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0);
            o.key()
                .filter(|k| !k.ends_with('/'))
                .map(|k| (k.to_string(), size))
        }));
    }
    Ok(keys)
}

/// One page of a listing below `prefix`: folders and objects, and the token
/// of the next page if there is one.
pub async fn list_page(
    client: &aws_sdk_s3::Client,
    bucket: &str,
    prefix: &str,
    token: Option<String>,
    max_keys: i32,
) -> Result<(Vec<crate::model::ObjectEntry>, Option<String>), CloudError> {
    let out = client
        .list_objects_v2()
        .bucket(bucket)
        .prefix(prefix)
        .delimiter("/")
        .max_keys(max_keys)
        .set_continuation_token(token)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk(SERVICE, bucket, &e))?;
    let mut entries: Vec<crate::model::ObjectEntry> = out
        .common_prefixes()
        .iter()
        .filter_map(|p| p.prefix())
        .map(|p| crate::model::ObjectEntry {
            key: p.to_string(),
            folder: true,
            size: 0,
            last_modified: None,
            storage_class: None,
        })
        .collect();
    entries.extend(
        out.contents()
            .iter()
            .filter(|o| o.key() != Some(prefix))
            .map(|o| crate::model::ObjectEntry {
                key: o.key().unwrap_or_default().to_string(),
                folder: false,
                size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
                last_modified: o.last_modified().and_then(to_utc),
                storage_class: o.storage_class().map(|c| c.as_str().to_string()),
            }),
    );
    let next = if out.is_truncated() == Some(true) {
        out.next_continuation_token().map(str::to_string)
    } else {
        None
    };
    Ok((entries, next))
}
