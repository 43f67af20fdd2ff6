//! S3 writes: making buckets, deleting objects, and the calls of an upload
//! (PutObject, the multipart upload's create, part, complete and abort).
//! Request bodies are covered by a CRC32 checksum, so the payload is not
//! signed as well (a second hash of every byte only costs CPU).

use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::{
    BucketLocationConstraint, ChecksumAlgorithm, CompletedMultipartUpload, CompletedPart,
    CreateBucketConfiguration, Delete, ObjectIdentifier,
};
use bytes::Bytes;

use super::{Actions, Done};
use crate::cloud::CloudError;
use crate::cloud::s3::{S3Bucket, unquote};

/// What DeleteObjects did.
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

    /// PutObject of `body`.
    pub async fn put_object(
        &self,
        bucket: &S3Bucket,
        key: &str,
        body: Bytes,
    ) -> Result<(), CloudError> {
        self.check_upload(bucket, key)?;
        bucket
            .writer
            .put_object()
            .bucket(&bucket.name)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(body))
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| bucket.err(&format!("PutObject {}", bucket.uri(key)), &e))?;
        Ok(())
    }

    /// CreateMultipartUpload: the new upload's id.
    pub async fn create_multipart_upload(
        &self,
        bucket: &S3Bucket,
        key: &str,
    ) -> Result<String, CloudError> {
        self.check_upload(bucket, key)?;
        let out = bucket
            .writer
            .create_multipart_upload()
            .bucket(&bucket.name)
            .key(key)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .send()
            .await
            .map_err(|e| bucket.err(&format!("CreateMultipartUpload {}", bucket.uri(key)), &e))?;
        Ok(out.upload_id().unwrap_or_default().to_string())
    }

    /// UploadPart `number` of `upload_id`: the part's ETag (unquoted).
    pub async fn upload_part(
        &self,
        bucket: &S3Bucket,
        key: &str,
        upload_id: &str,
        number: i32,
        body: Bytes,
    ) -> Result<String, CloudError> {
        self.check_upload(bucket, key)?;
        let out = bucket
            .writer
            .upload_part()
            .bucket(&bucket.name)
            .key(key)
            .upload_id(upload_id)
            .part_number(number)
            .checksum_algorithm(ChecksumAlgorithm::Crc32)
            .body(ByteStream::from(body))
            .customize()
            .disable_payload_signing()
            .send()
            .await
            .map_err(|e| bucket.err(&format!("UploadPart {number} of {}", bucket.uri(key)), &e))?;
        Ok(unquote(out.e_tag()))
    }

    /// CompleteMultipartUpload with `parts` (number, unquoted ETag), in order.
    pub async fn complete_multipart_upload(
        &self,
        bucket: &S3Bucket,
        key: &str,
        upload_id: &str,
        parts: &[(i32, String)],
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
