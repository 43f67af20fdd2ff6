//! S3 writes: making buckets, deleting objects, and the calls of an upload
//! (PutObject, the multipart upload's create, part, complete and abort).
//! Every body carries the CRC64NVME the transfer engine computed while it
//! read the file (`x-amz-checksum-crc64nvme`), which S3 checks against what
//! it received; the SDK then computes no checksum of its own, and the
//! payload is not signed as well (a second hash of every byte only costs
//! CPU).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm, ChecksumType, CompletedMultipartUpload,
    CompletedPart, CreateBucketConfiguration, Delete, ObjectIdentifier,
};
use bytes::Bytes;

use super::{Actions, Done};
use crate::cloud::CloudError;
use crate::cloud::s3::{S3Bucket, unquote};

/// What DeleteObjects did.
/// What a PutObject answer says of the bytes the server stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PutAnswer {
    /// Unquoted; empty when the server gave none.
    pub etag: String,
    /// The server answered with the CRC64NVME that was sent: it checked it.
    pub crc_confirmed: bool,
    /// The ETag is the MD5 of the bytes (not so under KMS or a customer key).
    pub etag_is_md5: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Deleted {
    pub deleted: usize,
    /// Keys S3 refused, with why.
    pub refused: Vec<String>,
    /// Dry run: nothing was sent.
    pub dry_run: bool,
}

impl Actions {
    /// Makes bucket `name` in `region` (outside us-east-1 S3 wants the region
    /// as a location constraint).
    pub async fn create_bucket(&self, name: &str, region: &str) -> Result<Done, CloudError> {
        self.gate
            .check("s3", region, &format!("create s3://{name}"))?;
        if self.gate.dry_run {
            return Ok(Done::NotSent);
        }
        let mut req = self
            .session
            .s3_for(region, crate::cloud::session::Use::Write)
            .create_bucket()
            .bucket(name);
        if region != "us-east-1" {
            req = req.create_bucket_configuration(
                CreateBucketConfiguration::builder()
                    .location_constraint(BucketLocationConstraint::from(region))
                    .build(),
            );
        }
        req.send()
            .await
            .map_err(|e| CloudError::from_sdk("s3", region, &e))?;
        Ok(Done::Sent)
    }

    /// Deletes `keys` from `bucket` (in batches of 1,000).
    pub async fn delete_objects(
        &self,
        bucket: &S3Bucket,
        keys: &[String],
    ) -> Result<Deleted, CloudError> {
        self.gate.check(
            "s3",
            &bucket.region,
            &format!("delete {} object(s) from s3://{}", keys.len(), bucket.name),
        )?;
        if self.gate.dry_run {
            return Ok(Deleted {
                dry_run: true,
                ..Deleted::default()
            });
        }
        let mut done = Deleted::default();
        // A key XML 1.0 cannot carry (ESC, most C0 controls) cannot be
        // named in DeleteObjects' body: such keys go one by one, in the
        // request's path.
        let (odd, keys): (Vec<&String>, Vec<&String>) =
            keys.iter().partition(|k| !xml_can_carry(k));
        for key in odd {
            match bucket
                .writer
                .delete_object()
                .bucket(&bucket.name)
                .key(key.as_str())
                .send()
                .await
            {
                Ok(_) => done.deleted += 1,
                Err(e) => done.refused.push(format!(
                    "{key}: {}",
                    bucket
                        .err(&format!("DeleteObject {}", bucket.uri(key)), &e)
                        .message
                )),
            }
        }
        let keys: Vec<String> = keys.into_iter().cloned().collect();
        for chunk in keys.chunks(1000) {
            let ids: Vec<ObjectIdentifier> = chunk
                .iter()
                .filter_map(|k| ObjectIdentifier::builder().key(k).build().ok())
                .collect();
            let delete = Delete::builder()
                .set_objects(Some(ids))
                .quiet(false)
                .build()
                .map_err(|e| {
                    CloudError::new("s3", &bucket.region, format!("bad delete request: {e}"))
                })?;
            let out = bucket
                .writer
                .delete_objects()
                .bucket(&bucket.name)
                .delete(delete)
                .send()
                .await
                .map_err(|e| bucket.err(&format!("DeleteObjects s3://{}", bucket.name), &e))?;
            done.deleted += out.deleted().len();
            done.refused.extend(out.errors().iter().map(|e| {
                format!(
                    "{}: {}",
                    e.key().unwrap_or("?"),
                    e.message().unwrap_or("refused")
                )
            }));
        }
        Ok(done)
    }

    /// Copies `from`'s `from_key` to `to`'s `to_key`, inside S3 (CopyObject:
    /// up to 5 GiB; larger objects would need a multipart copy).
    pub async fn copy_object(
        &self,
        from: &S3Bucket,
        from_key: &str,
        to: &S3Bucket,
        to_key: &str,
    ) -> Result<(), CloudError> {
        self.gate.check(
            "s3",
            &to.region,
            &format!("copy {} to {}", from.uri(from_key), to.uri(to_key)),
        )?;
        if self.gate.dry_run {
            return Err(CloudError {
                service: "s3",
                region: to.region.clone(),
                code: Some("DryRun".into()),
                message: format!("dry run: skiff did not copy to {}", to.uri(to_key)),
            });
        }
        to.writer
            .copy_object()
            .bucket(&to.name)
            .key(to_key)
            .copy_source(copy_source(from, from_key))
            .send()
            .await
            .map_err(|e| to.err(&format!("CopyObject {}", to.uri(to_key)), &e))?;
        Ok(())
    }

    /// UploadPartCopy: part `number` of `upload_id` is bytes `first..=last`
    /// of `from_key`, copied inside S3; the part's ETag (unquoted).
    pub async fn upload_part_copy(
        &self,
        (from, from_key): (&S3Bucket, &str),
        (to, to_key): (&S3Bucket, &str),
        upload_id: &str,
        number: i32,
        (first, last): (u64, u64),
    ) -> Result<String, CloudError> {
        self.check_upload(to, to_key)?;
        // Idempotent (the same part again replaces it): the reads' attempts.
        let out = to
            .parts
            .upload_part_copy()
            .bucket(&to.name)
            .key(to_key)
            .upload_id(upload_id)
            .part_number(number)
            .copy_source(copy_source(from, from_key))
            .copy_source_range(format!("bytes={first}-{last}"))
            .send()
            .await
            .map_err(|e| {
                to.err(
                    &format!("UploadPartCopy {number} of {}", to.uri(to_key)),
                    &e,
                )
            })?;
        Ok(unquote(out.copy_part_result().and_then(|r| r.e_tag())))
    }

    fn check_upload(&self, bucket: &S3Bucket, key: &str) -> Result<(), CloudError> {
        self.gate
            .check("s3", &bucket.region, &format!("upload {}", bucket.uri(key)))?;
        if self.gate.dry_run {
            return Err(CloudError {
                service: "s3",
                region: bucket.region.clone(),
                code: Some("DryRun".into()),
                message: format!("dry run: skiff did not upload {}", bucket.uri(key)),
            });
        }
        Ok(())
    }

    /// PutObject of `body`, whose CRC64NVME is `crc64`: what the answer says
    /// of the stored bytes.
    pub async fn put_object(
        &self,
        bucket: &S3Bucket,
        key: &str,
        body: Bytes,
        crc64: u64,
    ) -> Result<PutAnswer, CloudError> {
        self.check_upload(bucket, key)?;
        let sent = crate::checksum::crc64_header(crc64);
        let out = bucket
            .writer
            .put_object()
            .bucket(&bucket.name)
            .key(key)
            .checksum_crc64_nvme(&sent)
            .body(ByteStream::from(body))
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| bucket.err(&format!("PutObject {}", bucket.uri(key)), &e))?;
        Ok(PutAnswer {
            etag: unquote(out.e_tag()),
            crc_confirmed: out.checksum_crc64_nvme() == Some(sent.as_str()),
            etag_is_md5: crate::cloud::s3::etag_is_md5(
                out.server_side_encryption(),
                out.sse_customer_algorithm(),
            ),
        })
    }

    /// CreateMultipartUpload: the new upload's id, and whether the server
    /// took on the full-object CRC64NVME asked for when `full_object_crc`
    /// (S3 says so in its answer; a server that does not is checked another
    /// way). A copy made of parts asks for none: S3 keeps each copied
    /// part's own checksum.
    pub async fn create_multipart_upload(
        &self,
        bucket: &S3Bucket,
        key: &str,
        full_object_crc: bool,
    ) -> Result<(String, bool), CloudError> {
        self.check_upload(bucket, key)?;
        let out = bucket
            .writer
            .create_multipart_upload()
            .bucket(&bucket.name)
            .key(key)
            .set_checksum_algorithm(full_object_crc.then_some(ChecksumAlgorithm::Crc64Nvme))
            .set_checksum_type(full_object_crc.then_some(ChecksumType::FullObject))
            .send()
            .await
            .map_err(|e| bucket.err(&format!("CreateMultipartUpload {}", bucket.uri(key)), &e))?;
        let full_object = out.checksum_algorithm() == Some(&ChecksumAlgorithm::Crc64Nvme)
            && out.checksum_type() == Some(&ChecksumType::FullObject);
        Ok((out.upload_id().unwrap_or_default().to_string(), full_object))
    }

    /// UploadPart `number` of `upload_id`, whose CRC64NVME is `crc64`: the
    /// part's ETag (unquoted), and whether the server answered with the same
    /// CRC (it computed it from what it received, and they agree).
    pub async fn upload_part(
        &self,
        bucket: &S3Bucket,
        key: &str,
        upload_id: &str,
        number: i32,
        body: Bytes,
        crc64: u64,
    ) -> Result<(String, bool), CloudError> {
        self.check_upload(bucket, key)?;
        let sent = crate::checksum::crc64_header(crc64);
        // An idempotent write (the same part again replaces it), so it gets
        // the reads' attempts, cut answers included: one part throttled
        // three times in a row must not fail a 64 GiB upload.
        let out = bucket
            .parts
            .upload_part()
            .bucket(&bucket.name)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .checksum_crc64_nvme(&sent)
            .body(ByteStream::from(body))
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| bucket.err(&format!("UploadPart {number} of {}", bucket.uri(key)), &e))?;
        Ok((
            unquote(out.e_tag()),
            out.checksum_crc64_nvme() == Some(sent.as_str()),
        ))
    }

    /// CompleteMultipartUpload with `parts` (number, unquoted ETag), in
    /// order; with `full_crc64`, the whole object's CRC64NVME, which S3
    /// checks against what it assembled.
    pub async fn complete_multipart_upload(
        &self,
        bucket: &S3Bucket,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
        full_crc64: Option<u64>,
    ) -> Result<(), CloudError> {
        self.check_upload(bucket, key)?;
        let completed: Vec<CompletedPart> = parts
            .iter()
            .map(|(n, etag)| {
                CompletedPart::builder()
                    .part_number(*n)
                    .e_tag(format!("\"{etag}\""))
                    .build()
            })
            .collect();
        bucket
            .writer
            .complete_multipart_upload()
            .bucket(&bucket.name)
            .key(key)
            .upload_id(upload_id)
            .multipart_upload(
                CompletedMultipartUpload::builder()
                    .set_parts(Some(completed))
                    .build(),
            )
            .set_checksum_crc64_nvme(full_crc64.map(crate::checksum::crc64_header))
            .set_checksum_type(full_crc64.map(|_| ChecksumType::FullObject))
            .send()
            .await
            .map_err(|e| bucket.err(&format!("CompleteMultipartUpload {}", bucket.uri(key)), &e))?;
        Ok(())
    }

    /// AbortMultipartUpload: S3 drops the parts (and stops charging for them).
    pub async fn abort_multipart_upload(
        &self,
        bucket: &S3Bucket,
        key: &str,
        upload_id: &str,
    ) -> Result<(), CloudError> {
        self.gate.check(
            "s3",
            &bucket.region,
            &format!("abort the upload of {}", bucket.uri(key)),
        )?;
        bucket
            .writer
            .abort_multipart_upload()
            .bucket(&bucket.name)
            .key(key)
            .upload_id(upload_id)
            .send()
            .await
            .map_err(|e| bucket.err(&format!("AbortMultipartUpload {}", bucket.uri(key)), &e))?;
        Ok(())
    }
}

/// A copy's source, `bucket/key`, URL-encoded (slashes kept).
fn copy_source(from: &S3Bucket, key: &str) -> String {
    const KEEP: &percent_encoding::AsciiSet = &percent_encoding::NON_ALPHANUMERIC
        .remove(b'/')
        .remove(b'-')
        .remove(b'_')
        .remove(b'.')
        .remove(b'~');
    format!(
        "{}/{}",
        from.name,
        percent_encoding::utf8_percent_encode(key, KEEP)
    )
}

/// Whether every character of `text` may appear in an XML 1.0 document.
fn xml_can_carry(text: &str) -> bool {
    text.chars().all(|c| {
        matches!(c, '\u{9}' | '\u{a}' | '\u{d}' | '\u{20}'..='\u{d7ff}' | '\u{e000}'..='\u{fffd}')
            || c >= '\u{10000}'
    })
}
