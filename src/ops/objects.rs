//! Objects and buckets beyond copies: removing objects (`skiff rm` and the
//! TUI's delete key) and making buckets, through the gate like every write.

use crate::cloud::actions::{Actions, Deleted, Done};
use crate::cloud::s3::S3Bucket;
use crate::cloud::{CloudError, Session};
use crate::ops::transfer::expand::download_prefix;
use crate::ops::transfer::plan::{S3Uri, check_bucket_name};

/// What `skiff rm` was asked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoveRequest {
    pub uri: S3Uri,
    /// Everything below the prefix (`uri` with a slash added).
    pub recursive: bool,
    /// The bucket's name, typed again: needed to empty a whole bucket.
    pub confirm: Option<String>,
}

/// The keys a removal deletes, found before anything is deleted.
#[derive(Debug, Clone)]
pub struct Removal {
    pub bucket: S3Bucket,
    pub keys: Vec<String>,
}

/// Finds what `req` deletes: one object (which must exist), or every object
/// below a prefix. A whole bucket is refused unless its name is confirmed.
pub async fn plan_remove(session: &Session, req: &RemoveRequest) -> Result<Removal, String> {
    check_bucket_name(&req.uri.bucket)?;
    let bucket = session
        .bucket(&req.uri.bucket)
        .await
        .map_err(|e| e.message)?;
    if req.recursive {
        let prefix = download_prefix(&req.uri);
        if prefix.is_empty() && req.confirm.as_deref() != Some(bucket.name.as_str()) {
            return Err(format!(
                "refusing to delete every object in s3://{0}: name a prefix (s3://{0}/raw/), or confirm the whole bucket with --confirm {0}",
                bucket.name
            ));
        }
        let keys: Vec<String> = bucket
            .list_all(&prefix)
            .await
            .map_err(|e| e.message)?
            .into_iter()
            .map(|o| o.key)
            .collect();
        return Ok(Removal { bucket, keys });
    }
    if req.uri.key.is_empty() {
        return Err(format!(
            "{} names a bucket, not an object: give a key, or a prefix with --recursive",
            req.uri
        ));
    }
    match bucket.head(&req.uri.key).await.map_err(|e| e.message)? {
        Some(_) => Ok(Removal {
            keys: vec![req.uri.key.clone()],
            bucket,
        }),
        None => {
            let below = bucket
                .list_page(&download_prefix(&req.uri), None, 1)
                .await
                .map(|(e, _)| !e.is_empty())
                .unwrap_or(false);
            Err(if below {
                format!(
                    "{} is a folder: add --recursive to delete everything below it (nothing was deleted)",
                    req.uri
                )
            } else {
                format!("{}: no such object (nothing was deleted)", req.uri)
            })
        }
    }
}

/// Deletes what `removal` found (a dry run sends nothing).
pub async fn remove(actions: &Actions, removal: &Removal) -> Result<Deleted, CloudError> {
    if removal.keys.is_empty() {
        return Ok(Deleted {
            dry_run: actions.gate().dry_run(),
            ..Deleted::default()
        });
    }
    actions.delete_objects(&removal.bucket, &removal.keys).await
}

/// Deletes `keys` from `bucket` (the TUI's delete key).
pub async fn delete_keys(
    actions: &Actions,
    bucket: &str,
    keys: &[String],
) -> Result<Deleted, CloudError> {
    let bucket = actions.session().bucket(bucket).await?;
    actions.delete_objects(&bucket, keys).await
}

/// Makes bucket `name` in the session's first region; the name is checked
/// before any call. Returns the region.
pub async fn make_bucket(actions: &Actions, name: &str) -> Result<(Done, String), String> {
    check_bucket_name(name)?;
    let region = actions.session().home_region().to_string();
    // S3 answers CreateBucket of one's own bucket in us-east-1 with 200:
    // ask first, so an existing bucket is never said to be made.
    match actions.session().bucket_exists(name).await {
        Ok(Some(there)) => {
            let there = if there.is_empty() {
                String::new()
            } else {
                format!(" (in {there})")
            };
            return Err(format!(
                "s3://{name} exists already{there}: nothing was made"
            ));
        }
        Ok(None) => {}
        Err(e) => return Err(e.message),
    }
    let done = actions
        .create_bucket(name, &region)
        .await
        .map_err(|e| format!("s3://{name}: {}", e.message))?;
    Ok((done, region))
}
