//! S3 reads: the account's buckets with their regions, a bucket reached in
//! its own region ([`S3Bucket`]), listings, object heads and bodies. Writes
//! to a bucket are [`super::actions::Actions`]' (behind the gate).

use bytes::Bytes;
use chrono::{DateTime, Utc};
use futures::stream::{self, StreamExt};

use super::ec2::to_utc;
use super::session::Use;
use super::{CloudError, Session};
use crate::model::{Bucket, ObjectEntry};

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
                let region = bucket_location(&client, &name).await.ok();
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
    for b in &buckets {
        if let Some(r) = &b.region {
            session.remember_bucket_region(&b.name, r);
        }
    }
    buckets.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(buckets)
}

async fn bucket_location(client: &aws_sdk_s3::Client, name: &str) -> Result<String, CloudError> {
    let out = client
        .get_bucket_location()
        .bucket(name)
        .send()
        .await
        .map_err(|e| CloudError::from_sdk(SERVICE, name, &e))?;
    // S3's oldest conventions: empty means us-east-1, "EU" means eu-west-1.
    Ok(match out.location_constraint().map(|c| c.as_str()) {
        None | Some("") => "us-east-1".to_string(),
        Some("EU") => "eu-west-1".to_string(),
        Some(other) => other.to_string(),
    })
}

impl Session {
    fn remember_bucket_region(&self, bucket: &str, region: &str) {
        if let Ok(mut known) = self.bucket_regions.lock() {
            known.insert(bucket.to_string(), region.to_string());
        }
    }

    /// `name` in `region`, when the region is known already (no call).
    pub fn bucket_in(&self, name: &str, region: &str) -> S3Bucket {
        self.remember_bucket_region(name, region);
        S3Bucket {
            name: name.to_string(),
            region: region.to_string(),
            client: self.s3(region),
            writer: self.s3_for(region, Use::Write),
            parts: self.s3_for(region, Use::Repeatable),
        }
    }

    /// Whether bucket `name` exists: the region it is in, when it does and
    /// this account may reach it (HeadBucket).
    pub async fn bucket_exists(&self, name: &str) -> Result<Option<String>, CloudError> {
        let home = self.s3(self.home_region());
        match home.head_bucket().bucket(name).send().await {
            Ok(out) => Ok(Some(
                out.bucket_region()
                    .unwrap_or(self.home_region())
                    .to_string(),
            )),
            Err(e) => {
                let err = CloudError::from_sdk(SERVICE, name, &e);
                match e.raw_response().map(|r| r.status().as_u16()) {
                    Some(404) => Ok(None),
                    Some(403) => Err(CloudError {
                        message: format!(
                            "s3://{name} belongs to another account (bucket names are global): choose another name"
                        ),
                        ..err
                    }),
                    // Moved: it exists, in the region the answer names.
                    Some(301) => Ok(Some(String::new())),
                    _ => Err(err),
                }
            }
        }
    }

    /// `name` reached in its own region. The region is looked up once per
    /// session (GetBucketLocation, else the region HeadBucket names); when
    /// neither answers, the error says why.
    pub async fn bucket(&self, name: &str) -> Result<S3Bucket, CloudError> {
        let known = self
            .bucket_regions
            .lock()
            .ok()
            .and_then(|m| m.get(name).cloned());
        let region = match known {
            Some(r) => r,
            None => {
                let home = self.s3(self.home_region());
                let region = match bucket_location(&home, name).await {
                    Ok(r) => r,
                    Err(location) => match home.head_bucket().bucket(name).send().await {
                        Ok(out) if out.bucket_region().is_some() => {
                            out.bucket_region().unwrap_or_default().to_string()
                        }
                        Ok(_) => self.home_region().to_string(),
                        Err(e) => {
                            let head = CloudError::from_sdk(SERVICE, name, &e);
                            let mut err = location;
                            if err.code.is_none() {
                                err.code = head.code;
                            }
                            err.message = format!(
                                "cannot find the region of s3://{name}: {} (HeadBucket: {})",
                                err.message, head.message
                            );
                            return Err(err);
                        }
                    },
                };
                self.remember_bucket_region(name, &region);
                region
            }
        };
        Ok(S3Bucket {
            name: name.to_string(),
            client: self.s3(&region),
            writer: self.s3_for(&region, Use::Write),
            parts: self.s3_for(&region, Use::Repeatable),
            region,
        })
    }
}

/// A bucket, reached in its own region.
#[derive(Debug, Clone)]
pub struct S3Bucket {
    pub name: String,
    pub region: String,
    /// Reads: retried more, cut answers too.
    pub(super) client: aws_sdk_s3::Client,
    /// Writes (see `network`).
    pub(super) writer: aws_sdk_s3::Client,
    /// Writes that may be repeated as they are: parts of uploads.
    pub(super) parts: aws_sdk_s3::Client,
}

/// What HeadObject says about an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectHead {
    pub size: u64,
    /// Without the quotes.
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
    /// The whole object's CRC64NVME, where the server keeps one.
    pub crc64: Option<u64>,
    /// The ETag is an MD5 of the bytes (of the parts' MD5s when it ends in
    /// `-N`): not so under KMS or customer-key encryption.
    pub etag_is_md5: bool,
}

/// One level of a listing: the folders (common prefixes) and the objects.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Level {
    pub folders: Vec<String>,
    pub objects: Vec<ObjectEntry>,
}

/// An object's body as it arrives.
pub struct ObjectBody {
    stream: aws_sdk_s3::primitives::ByteStream,
    uri: String,
    /// What the answer's headers say (`size` is the length of this answer:
    /// the range asked for, or the whole object).
    pub head: ObjectHead,
}

impl ObjectBody {
    /// The next chunk, or None at the end.
    pub async fn next_chunk(&mut self) -> Result<Option<Bytes>, CloudError> {
        self.stream.try_next().await.map_err(|e| {
            CloudError::new(
                SERVICE,
                "",
                format!("reading {}: {}", self.uri, root_cause(&e)),
            )
        })
    }
}

/// An [`ObjectHead`] from the headers of a HeadObject or GetObject answer
/// (the two outputs share these fields but no type).
/// Whether an answer's ETag is the MD5 of the bytes: S3 documents the ETag
/// of an object encrypted with a KMS key or a key of the customer's as not.
pub fn etag_is_md5(
    sse: Option<&aws_sdk_s3::types::ServerSideEncryption>,
    sse_customer_algorithm: Option<&str>,
) -> bool {
    use aws_sdk_s3::types::ServerSideEncryption::{AwsKms, AwsKmsDsse};
    sse_customer_algorithm.is_none() && !matches!(sse, Some(AwsKms | AwsKmsDsse))
}

macro_rules! object_head {
    ($out:expr) => {{
        let out = &$out;
        ObjectHead {
            size: out
                .content_length()
                .and_then(|l| u64::try_from(l).ok())
                .unwrap_or(0),
            etag: unquote(out.e_tag()),
            last_modified: out.last_modified().and_then(to_utc),
            // Only a full-object CRC describes the bytes as a whole (a
            // composite one, "…-N", is a CRC of the parts' CRCs).
            crc64: out
                .checksum_crc64_nvme()
                .filter(|_| {
                    out.checksum_type()
                        .is_none_or(|t| *t == aws_sdk_s3::types::ChecksumType::FullObject)
                })
                .and_then(crate::checksum::parse_crc64_header),
            etag_is_md5: etag_is_md5(out.server_side_encryption(), out.sse_customer_algorithm()),
        }
    }};
}

fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut cur = err;
    let mut text = cur.to_string();
    while let Some(next) = cur.source() {
        cur = next;
        text = cur.to_string();
    }
    text
}

/// A key from a listing asked with `encoding-type=url`: S3 writes a space
/// as `+` and everything else unsafe as `%XX` (a `+` of the key itself as
/// `%2B`). Listings ask for it because XML 1.0 cannot carry some
/// characters a key may hold (ESC, most C0 controls): without it one such
/// key fails a whole folder.
/// (Decoded only where the answer says it was encoded: a server that
/// ignores the parameter sends keys as they are.)
pub(super) fn url_key(encoded: &str) -> String {
    let spaced = encoded.replace('+', " ");
    percent_encoding::percent_decode_str(&spaced)
        .decode_utf8_lossy()
        .into_owned()
}

/// A listed key as it is: decoded when the answer says it is URL-encoded.
pub(super) fn listed_key(key: &str, encoding: Option<&aws_sdk_s3::types::EncodingType>) -> String {
    match encoding {
        Some(aws_sdk_s3::types::EncodingType::Url) => url_key(key),
        _ => key.to_string(),
    }
}

fn entry(
    o: &aws_sdk_s3::types::Object,
    encoding: Option<&aws_sdk_s3::types::EncodingType>,
) -> ObjectEntry {
    ObjectEntry {
        key: listed_key(o.key().unwrap_or_default(), encoding),
        folder: false,
        size: o.size().and_then(|s| u64::try_from(s).ok()).unwrap_or(0),
        last_modified: o.last_modified().and_then(to_utc),
        storage_class: o.storage_class().map(|c| c.as_str().to_string()),
    }
}

pub(super) fn unquote(etag: Option<&str>) -> String {
    etag.unwrap_or_default().trim_matches('"').to_string()
}

impl S3Bucket {
    pub fn uri(&self, key: &str) -> String {
        format!("s3://{}/{key}", self.name)
    }

    pub(super) fn err<E>(
        &self,
        what: &str,
        e: &aws_smithy_runtime_api::client::result::SdkError<
            E,
            aws_smithy_runtime_api::client::orchestrator::HttpResponse,
        >,
    ) -> CloudError
    where
        E: aws_smithy_types::error::metadata::ProvideErrorMetadata + std::error::Error + 'static,
    {
        let mut err = CloudError::from_sdk(SERVICE, &self.region, e);
        err.message = format!("{what}: {}", err.message);
        err
    }

    /// HeadObject; None when there is no such object.
    pub async fn head(&self, key: &str) -> Result<Option<ObjectHead>, CloudError> {
        match self
            .client
            .head_object()
            .bucket(&self.name)
            .key(key)
            .checksum_mode(aws_sdk_s3::types::ChecksumMode::Enabled)
            .send()
            .await
        {
            Ok(out) => Ok(Some(object_head!(out))),
            Err(e) => {
                let err = self.err(&format!("HeadObject {}", self.uri(key)), &e);
                let missing = matches!(err.code.as_deref(), Some("NotFound" | "NoSuchKey" | "404"))
                    || e.raw_response().is_some_and(|r| r.status().as_u16() == 404);
                if missing { Ok(None) } else { Err(err) }
            }
        }
    }

    /// The size of part `number` of a multipart object, asked of the server
    /// (HeadObject with partNumber); None when the object was not uploaded
    /// in parts or the server does not say. (No If-Match: moto compares it
    /// with the part's ETag. A layout of a newer version is harmless: the
    /// download's own requests ask for its version and fail.)
    pub async fn part_length(&self, key: &str, number: i32) -> Result<Option<u64>, CloudError> {
        let out = self
            .client
            .head_object()
            .bucket(&self.name)
            .key(key)
            .part_number(number)
            .send()
            .await
            .map_err(|e| self.err(&format!("HeadObject {} part {number}", self.uri(key)), &e))?;
        // A server that ignores partNumber answers for the whole object,
        // without a parts count.
        Ok(out
            .parts_count()
            .and(out.content_length())
            .and_then(|l| u64::try_from(l).ok()))
    }

    /// GetObject of the whole object, or of `len` bytes at `offset`; with
    /// `etag`, only while the object still has that ETag (else the error's
    /// code is `PreconditionFailed`): pieces of two versions are never mixed.
    pub async fn get(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
        etag: Option<&str>,
    ) -> Result<ObjectBody, CloudError> {
        let uri = self.uri(key);
        let out = self
            .client
            .get_object()
            .bucket(&self.name)
            .key(key)
            .set_range(range.map(|(off, len)| format!("bytes={off}-{}", off + len - 1)))
            .set_if_match(etag.map(|e| format!("\"{e}\"")))
            .send()
            .await
            .map_err(|e| self.err(&format!("GetObject {uri}"), &e))?;
        let head = object_head!(out);
        Ok(ObjectBody {
            stream: out.body,
            uri,
            head,
        })
    }

    /// One page of a listing below `prefix`: folders and objects, and the
    /// token of the next page if there is one.
    pub async fn list_page(
        &self,
        prefix: &str,
        token: Option<String>,
        max_keys: i32,
    ) -> Result<(Vec<ObjectEntry>, Option<String>), CloudError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .delimiter("/")
            .max_keys(max_keys)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| self.err(&format!("ListObjectsV2 {}", self.uri(prefix)), &e))?;
        let mut entries: Vec<ObjectEntry> = out
            .common_prefixes()
            .iter()
            .filter_map(|p| p.prefix())
            .map(|p| ObjectEntry {
                key: listed_key(p, out.encoding_type()),
                folder: true,
                size: 0,
                last_modified: None,
                storage_class: None,
            })
            .collect();
        entries.extend(
            out.contents()
                .iter()
                .map(|o| entry(o, out.encoding_type()))
                .filter(|e| e.key != prefix),
        );
        let next = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok((entries, next))
    }

    /// One page of every object below `prefix` (no delimiter: the whole
    /// tree, in key order), and the token of the next page if there is one.
    pub async fn list_tree_page(
        &self,
        prefix: &str,
        token: Option<String>,
    ) -> Result<(Vec<ObjectEntry>, Option<String>), CloudError> {
        let out = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .set_continuation_token(token)
            .send()
            .await
            .map_err(|e| self.err(&format!("ListObjectsV2 {}", self.uri(prefix)), &e))?;
        let entries = out
            .contents()
            .iter()
            .map(|o| entry(o, out.encoding_type()))
            .collect();
        let next = if out.is_truncated() == Some(true) {
            out.next_continuation_token().map(str::to_string)
        } else {
            None
        };
        Ok((entries, next))
    }

    /// One level below `prefix` (every page): folders and objects.
    pub async fn list_level(&self, prefix: &str) -> Result<Level, CloudError> {
        let mut level = Level::default();
        let mut token = None;
        loop {
            let (entries, next) = self.list_page(prefix, token, 1000).await?;
            for e in entries {
                if e.folder {
                    level.folders.push(e.key);
                } else {
                    level.objects.push(e);
                }
            }
            match next {
                Some(t) => token = Some(t),
                None => return Ok(level),
            }
        }
    }

    /// Every object below `prefix` (every page, no delimiter).
    pub async fn list_all(&self, prefix: &str) -> Result<Vec<ObjectEntry>, CloudError> {
        let mut pages = self
            .client
            .list_objects_v2()
            .bucket(&self.name)
            .prefix(prefix)
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .into_paginator()
            .send();
        let mut out = Vec::new();
        while let Some(page) = pages.next().await {
            let page =
                page.map_err(|e| self.err(&format!("ListObjectsV2 {}", self.uri(prefix)), &e))?;
            out.extend(
                page.contents()
                    .iter()
                    .map(|o| entry(o, page.encoding_type())),
            );
        }
        Ok(out)
    }

    /// Whether S3 still has the multipart upload `upload_id` of `key`.
    pub async fn has_upload(&self, key: &str, upload_id: &str) -> Result<bool, CloudError> {
        Ok(self
            .uploads(key)
            .await?
            .iter()
            .any(|(id, _)| id == upload_id))
    }

    /// The unfinished multipart uploads of exactly `key`: id and when each
    /// was begun.
    pub async fn uploads(
        &self,
        key: &str,
    ) -> Result<Vec<(String, Option<DateTime<Utc>>)>, CloudError> {
        let out = self
            .client
            .list_multipart_uploads()
            .bucket(&self.name)
            .prefix(key)
            .encoding_type(aws_sdk_s3::types::EncodingType::Url)
            .send()
            .await
            .map_err(|e| self.err(&format!("ListMultipartUploads {}", self.uri(key)), &e))?;
        Ok(out
            .uploads()
            .iter()
            .filter(|u| {
                u.key()
                    .map(|k| listed_key(k, out.encoding_type()))
                    .as_deref()
                    == Some(key)
            })
            .filter_map(|u| Some((u.upload_id()?.to_string(), u.initiated().and_then(to_utc))))
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_s3::types::ServerSideEncryption;

    #[test]
    fn only_kms_and_customer_keys_make_an_etag_not_an_md5() {
        assert!(etag_is_md5(None, None));
        assert!(etag_is_md5(Some(&ServerSideEncryption::Aes256), None));
        assert!(!etag_is_md5(Some(&ServerSideEncryption::AwsKms), None));
        assert!(!etag_is_md5(Some(&ServerSideEncryption::AwsKmsDsse), None));
        assert!(!etag_is_md5(None, Some("AES256")));
    }
}
