//! The AWS Pricing API (GetProducts): current Linux on-demand instance rates
//! and EBS volume prices of a region, for `skiff prices refresh`.

use std::collections::BTreeMap;

use aws_sdk_pricing::types::{Filter, FilterType};

use super::CloudError;
use crate::cost::cache::{Product, parse_product};

/// What one region's fetch found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RegionPrices {
    /// Instance type → $/hour.
    pub ec2: BTreeMap<String, f64>,
    /// Volume type → $/GB-month.
    pub ebs: BTreeMap<String, f64>,
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

/// All pages of AmazonEC2 products matching `filters`, read into `out`.
async fn products(
    client: &aws_sdk_pricing::Client,
    region: &str,
    filters: Vec<Filter>,
    out: &mut RegionPrices,
) -> Result<(), CloudError> {
    let mut pages = client
        .get_products()
        .service_code("AmazonEC2")
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
                Ok(Some(Product::Instance {
                    instance_type,
                    usd_per_hour,
                    ..
                })) => {
                    out.ec2.insert(instance_type, usd_per_hour);
                }
                Ok(Some(Product::Volume {
                    volume_type,
                    usd_per_gb_month,
                    ..
                })) => {
                    out.ebs.insert(volume_type, usd_per_gb_month);
                }
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

/// Current instance and EBS prices of `region`.
async fn fetch_region(
    client: &aws_sdk_pricing::Client,
    region: &str,
) -> Result<RegionPrices, CloudError> {
    let mut out = RegionPrices::default();
    products(client, region, instance_filters(region)?, &mut out).await?;
    products(client, region, volume_filters(region)?, &mut out).await?;
    Ok(out)
}

/// Current instance and EBS prices of each of `regions`, in order.
pub async fn fetch_regions(
    session: &super::Session,
    regions: &[String],
) -> Vec<Result<RegionPrices, CloudError>> {
    let client = session.pricing();
    futures::future::join_all(regions.iter().map(|r| fetch_region(&client, r))).await
}
