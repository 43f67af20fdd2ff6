//! Reads of what costs money while nothing runs: unattached volumes, the
//! account's snapshots and images, Elastic IPs not associated, unfinished
//! multipart uploads, and the CPU of running instances.

use chrono::{DateTime, Utc};

use super::ec2::to_utc;
use super::{CloudError, Session};

const EC2: &str = "ec2";

/// An EBS volume attached to nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct LooseVolume {
    pub id: String,
    pub size_gib: i64,
    pub volume_type: String,
    pub created: Option<DateTime<Utc>>,
    pub name: Option<String>,
}

/// A snapshot the account owns.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnSnapshot {
    pub id: String,
    /// The size of the volume it was taken from: an upper bound of what is
    /// stored (snapshots are incremental).
    pub volume_size_gib: i64,
    pub description: String,
    pub started: Option<DateTime<Utc>>,
}

/// An image (AMI) the account owns, with the snapshots behind it.
#[derive(Debug, Clone, PartialEq)]
pub struct OwnImage {
    pub id: String,
    pub name: String,
    pub snapshot_ids: Vec<String>,
}

/// An Elastic IP associated with nothing.
#[derive(Debug, Clone, PartialEq)]
pub struct LooseAddress {
    pub allocation_id: String,
    pub public_ip: String,
}

/// A multipart upload begun and neither completed nor aborted.
#[derive(Debug, Clone, PartialEq)]
pub struct OpenUpload {
    pub bucket: String,
    pub region: String,
    pub key: String,
    pub upload_id: String,
    pub initiated: Option<DateTime<Utc>>,
    /// Bytes of the parts stored so far (None: could not be read).
    pub stored: Option<u64>,
}

fn name_tag(tags: &[aws_sdk_ec2::types::Tag]) -> Option<String> {
    tags.iter()
        .find(|t| t.key() == Some("Name"))
        .and_then(|t| t.value())
        .map(str::to_string)
}

pub async fn loose_volumes(
    session: &Session,
    region: &str,
) -> Result<Vec<LooseVolume>, CloudError> {
    let mut pages = session
        .ec2(region)
        .describe_volumes()
        .filters(
            aws_sdk_ec2::types::Filter::builder()
                .name("status")
                .values("available")
                .build(),
        )
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| session.page_error(EC2, region, &e))?;
        for v in page.volumes() {
            if !v.attachments().is_empty() {
                continue;
            }
            out.push(LooseVolume {
                id: v.volume_id().unwrap_or_default().to_string(),
                size_gib: i64::from(v.size().unwrap_or(0)),
                volume_type: v
                    .volume_type()
                    .map_or_else(|| "gp2".into(), |t| t.as_str().to_string()),
                created: v.create_time().and_then(to_utc),
                name: name_tag(v.tags()),
            });
        }
    }
    Ok(out)
}

/// The snapshots `account` owns (moto also answers OwnerIds=self with its
/// built-in images' snapshots, so the owner is compared too).
pub async fn own_snapshots(
    session: &Session,
    region: &str,
    account: &str,
) -> Result<Vec<OwnSnapshot>, CloudError> {
    let mut pages = session
        .ec2(region)
        .describe_snapshots()
        .owner_ids("self")
        .into_paginator()
        .send();
    let mut out = Vec::new();
    while let Some(page) = pages.next().await {
        let page = page.map_err(|e| session.page_error(EC2, region, &e))?;
        for s in page.snapshots() {
            if s.owner_id() != Some(account) {
                continue;
            }
            out.push(OwnSnapshot {
                id: s.snapshot_id().unwrap_or_default().to_string(),
                volume_size_gib: i64::from(s.volume_size().unwrap_or(0)),
                description: s.description().unwrap_or_default().to_string(),
                started: s.start_time().and_then(to_utc),
            });
        }
    }
    Ok(out)
}

pub async fn own_images(
    session: &Session,
    region: &str,
    account: &str,
) -> Result<Vec<OwnImage>, CloudError> {
    let out = session
        .ec2(region)
        .describe_images()
        .owners("self")
        .send()
        .await
        .map_err(|e| session.page_error(EC2, region, &e))?;
    Ok(out
        .images()
        .iter()
        .filter(|i| i.owner_id() == Some(account))
        .map(|i| OwnImage {
            id: i.image_id().unwrap_or_default().to_string(),
            name: i.name().unwrap_or_default().to_string(),
            snapshot_ids: i
                .block_device_mappings()
                .iter()
                .filter_map(|m| m.ebs().and_then(|e| e.snapshot_id()).map(str::to_string))
                .collect(),
        })
        .collect())
}

pub async fn loose_addresses(
    session: &Session,
    region: &str,
) -> Result<Vec<LooseAddress>, CloudError> {
    let out = session
        .ec2(region)
        .describe_addresses()
        .send()
        .await
        .map_err(|e| session.page_error(EC2, region, &e))?;
    Ok(out
        .addresses()
        .iter()
        // The emulator writes empty elements where AWS leaves them out.
        .filter(|a| {
            a.association_id().is_none_or(str::is_empty)
                && a.instance_id().is_none_or(str::is_empty)
        })
        .map(|a| LooseAddress {
            allocation_id: a
                .allocation_id()
                .or(a.public_ip())
                .unwrap_or_default()
                .to_string(),
            public_ip: a.public_ip().unwrap_or_default().to_string(),
        })
        .collect())
}

/// The unfinished multipart uploads of `bucket` (in its `region`), with
/// the bytes their parts hold where S3 says.
pub async fn open_uploads(
    session: &Session,
    bucket: &str,
    region: &str,
) -> Result<Vec<OpenUpload>, CloudError> {
    let b = session.bucket_in(bucket, region);
    let out = b
        .client
        .list_multipart_uploads()
        .bucket(bucket)
        .encoding_type(aws_sdk_s3::types::EncodingType::Url)
        .send()
        .await
        .map_err(|e| b.err(&format!("ListMultipartUploads s3://{bucket}"), &e))?;
    let mut uploads = Vec::new();
    for u in out.uploads() {
        let (Some(key), Some(id)) = (
            u.key()
                .map(|k| super::s3::listed_key(k, out.encoding_type())),
            u.upload_id(),
        ) else {
            continue;
        };
        let key = key.as_str();
        // Some servers answer ListParts in a form the SDK cannot read: the
        // size is then unknown, never 0.
        let stored = b
            .client
            .list_parts()
            .bucket(bucket)
            .key(key)
            .upload_id(id)
            .send()
            .await
            .ok()
            .map(|p| {
                p.parts()
                    .iter()
                    .map(|part| u64::try_from(part.size().unwrap_or(0)).unwrap_or(0))
                    .sum()
            });
        uploads.push(OpenUpload {
            bucket: bucket.to_string(),
            region: region.to_string(),
            key: key.to_string(),
            upload_id: id.to_string(),
            initiated: u.initiated().and_then(to_utc),
            stored,
        });
    }
    Ok(uploads)
}

/// The highest CPU % of `instance_id` in each hour of the last day (empty:
/// CloudWatch has no data).
pub async fn cpu_peaks(
    session: &Session,
    region: &str,
    instance_id: &str,
    now: DateTime<Utc>,
) -> Result<Vec<f64>, CloudError> {
    let to = aws_smithy_types::DateTime::from_secs(now.timestamp());
    let from =
        aws_smithy_types::DateTime::from_secs((now - chrono::Duration::hours(24)).timestamp());
    let out = session
        .cloudwatch(region)
        .get_metric_statistics()
        .namespace("AWS/EC2")
        .metric_name("CPUUtilization")
        .dimensions(
            aws_sdk_cloudwatch::types::Dimension::builder()
                .name("InstanceId")
                .value(instance_id)
                .build(),
        )
        .start_time(from)
        .end_time(to)
        .period(3600)
        .statistics(aws_sdk_cloudwatch::types::Statistic::Maximum)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk("cloudwatch", region, &e))?;
    Ok(out
        .datapoints()
        .iter()
        .filter_map(|d| d.maximum())
        .collect())
}
