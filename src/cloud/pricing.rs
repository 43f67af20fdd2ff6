//! The AWS Pricing API (GetProducts): current Linux on-demand instance
//! rates, EBS volume prices, EMR fees and S3 Standard storage of a region,
//! for `skiff prices refresh`.

use aws_sdk_pricing::types::{Filter, FilterType};

use super::CloudError;
use crate::cost::cache::{RegionTable, parse_product};

/// What one region's fetch found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionPrices {
    pub table: RegionTable,
    /// Price-list entries read, and those that could not be read.
    pub entries: usize,
    pub unreadable: usize,
}

fn term(field: &str, value: &str) -> Result<Filter, CloudError> {
    Filter::builder()
        .r#type(FilterType::TermMatch)
        .field(field)
        .value(value)
        .build()
        .map_err(|e| CloudError::new("pricing", "", format!("filter {field}: {e}")))
}

/// The filters that select exactly one SKU per instance type: Linux without
/// pre-installed software, shared tenancy, no licence, capacity actually
/// used (not reservations), in `region`.
pub fn instance_filters(region: &str) -> Result<Vec<Filter>, CloudError> {
    [
        ("regionCode", region),
        ("productFamily", "Compute Instance"),
        ("operatingSystem", "Linux"),
        ("tenancy", "Shared"),
        ("preInstalledSw", "NA"),
        ("capacitystatus", "Used"),
        ("licenseModel", "No License required"),
    ]
    .into_iter()
    .map(|(f, v)| term(f, v))
    .collect()
}

/// EBS volumes (product family Storage) in `region`.
pub fn volume_filters(region: &str) -> Result<Vec<Filter>, CloudError> {
    [("regionCode", region), ("productFamily", "Storage")]
        .into_iter()
        .map(|(f, v)| term(f, v))
        .collect()
}

/// The EMR fee of every instance type (ElasticMapReduce, software EMR).
pub fn emr_filters(region: &str) -> Result<Vec<Filter>, CloudError> {
    [
        ("regionCode", region),
        ("productFamily", "Elastic Map Reduce Instance"),
        ("softwareType", "EMR"),
    ]
    .into_iter()
    .map(|(f, v)| term(f, v))
    .collect()
}

/// S3 Standard storage (AmazonS3, General Purpose, Standard).
pub fn s3_filters(region: &str) -> Result<Vec<Filter>, CloudError> {
    [
        ("regionCode", region),
        ("productFamily", "Storage"),
        ("storageClass", "General Purpose"),
        ("volumeType", "Standard"),
    ]
    .into_iter()
    .map(|(f, v)| term(f, v))
    .collect()
}

/// All pages of `service` products matching `filters`, read into `out`.
async fn products(
    client: &aws_sdk_pricing::Client,
    region: &str,
    service: &str,
    filters: Vec<Filter>,
    out: &mut RegionPrices,
) -> Result<(), CloudError> {
    let mut pages = client
        .get_products()
        .service_code(service)
        .set_filters(Some(filters))
        .format_version("aws_v1")
        .max_results(100)
        .into_paginator()
        .send();
    while let Some(page) = pages
        .try_next()
        .await
        .map_err(|e| CloudError::from_sdk("pricing", region, &e))?
    {
        for doc in page.price_list() {
            out.entries += 1;
            match parse_product(doc) {
                Ok(Some(p)) => out.table.add(p),
                Ok(None) => {}
                Err(e) => {
                    out.unreadable += 1;
                    tracing::warn!("pricing: unreadable price-list entry: {e}");
                }
            }
        }
    }
    Ok(())
}

/// Current instance, EBS, EMR and S3 prices of `region`.
async fn fetch_region(
    client: &aws_sdk_pricing::Client,
    region: &str,
) -> Result<RegionPrices, CloudError> {
    let mut out = RegionPrices::default();
    products(
        client,
        region,
        "AmazonEC2",
        instance_filters(region)?,
        &mut out,
    )
    .await?;
    products(
        client,
        region,
        "AmazonEC2",
        volume_filters(region)?,
        &mut out,
    )
    .await?;
    products(
        client,
        region,
        "ElasticMapReduce",
        emr_filters(region)?,
        &mut out,
    )
    .await?;
    products(client, region, "AmazonS3", s3_filters(region)?, &mut out).await?;
    Ok(out)
}

/// Current prices of each of `regions`, in order.
pub async fn fetch_regions(
    session: &super::Session,
    regions: &[String],
) -> Vec<Result<RegionPrices, CloudError>> {
    let client = session.pricing();
    futures::future::join_all(regions.iter().map(|r| fetch_region(&client, r))).await
}
