//! Prices fetched with the AWS Pricing API (`skiff prices refresh`), kept in
//! the cache directory; they take precedence over the embedded table. Also
//! the reading of one GetProducts price-list entry (pure, tested here).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::money::Money;

/// The EBS volume types skiff prices.
pub const EBS_VOLUME_TYPES: [&str; 5] = ["gp2", "gp3", "io1", "st1", "sc1"];

/// One region's prices as the Pricing API gave them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegionTable {
    /// Instance type → Linux on-demand $/hour.
    pub ec2: BTreeMap<String, Money>,
    /// Volume type → $/GB-month.
    pub ebs: BTreeMap<String, Money>,
    /// Instance type → EMR fee $/hour.
    pub emr_fee: BTreeMap<String, Money>,
    /// S3 Standard, first tier, $/GB-month.
    pub s3_standard: Option<Money>,
}

/// What `skiff prices refresh` stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceCache {
    /// When each region was last fetched.
    pub fetched: BTreeMap<String, DateTime<Utc>>,
    /// Region → instance type → Linux on-demand $/hour.
    pub ec2: BTreeMap<String, BTreeMap<String, Money>>,
    /// Region → volume type → $/GB-month.
    pub ebs: BTreeMap<String, BTreeMap<String, Money>>,
    /// Region → instance type → EMR fee $/hour.
    #[serde(default)]
    pub emr_fee: BTreeMap<String, BTreeMap<String, Money>>,
    /// Region → S3 Standard $/GB-month (first 50 TB).
    #[serde(default)]
    pub s3_standard: BTreeMap<String, Money>,
}

impl PriceCache {
    pub fn path(cache_dir: &Path) -> PathBuf {
        cache_dir.join("prices.json")
    }

    /// The cache, `None` when there is none yet; a damaged file is an error
    /// naming it (the caller then falls back to the embedded table).
    pub fn load(cache_dir: &Path) -> Result<Option<Self>, String> {
        let path = Self::path(cache_dir);
        match std::fs::read(&path) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map(Some)
                .map_err(|e| format!("{}: {e} (run `skiff prices refresh`)", path.display())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes the cache atomically.
    pub fn save(&self, cache_dir: &Path) -> std::io::Result<PathBuf> {
        let path = Self::path(cache_dir);
        crate::store::write_json(&path, self)?;
        Ok(path)
    }

    /// Replaces one region's prices with a fresh fetch.
    pub fn set_region(&mut self, region: &str, at: DateTime<Utc>, table: &RegionTable) {
        let r = region.to_string();
        self.fetched.insert(r.clone(), at);
        self.ec2.insert(r.clone(), table.ec2.clone());
        self.ebs.insert(r.clone(), table.ebs.clone());
        self.emr_fee.insert(r.clone(), table.emr_fee.clone());
        match table.s3_standard {
            Some(p) => self.s3_standard.insert(r, p),
            None => self.s3_standard.remove(&r),
        };
    }

    /// Whether any of `regions` was never fetched or was fetched more than
    /// `max_age_days` ago.
    pub fn is_stale(&self, regions: &[String], now: DateTime<Utc>, max_age_days: u32) -> bool {
        regions.iter().any(|r| {
            self.fetched.get(r).is_none_or(|at| {
                now.signed_duration_since(*at) > chrono::Duration::days(i64::from(max_age_days))
            })
        })
    }
}

/// One priced product from a GetProducts page.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Product {
    Instance {
        region: String,
        instance_type: String,
        usd_per_hour: Money,
    },
    Volume {
        region: String,
        volume_type: String,
        usd_per_gb_month: Money,
    },
    /// ElasticMapReduce, software EMR: the fee on top of the EC2 rate.
    EmrFee {
        region: String,
        instance_type: String,
        usd_per_hour: Money,
    },
    /// AmazonS3 General Purpose (Standard) storage, the tier from 0 GB.
    S3Standard {
        region: String,
        usd_per_gb_month: Money,
    },
}

impl RegionTable {
    /// Files a product under its kind.
    pub fn add(&mut self, p: Product) {
        match p {
            Product::Instance {
                instance_type,
                usd_per_hour,
                ..
            } => {
                self.ec2.insert(instance_type, usd_per_hour);
            }
            Product::Volume {
                volume_type,
                usd_per_gb_month,
                ..
            } => {
                self.ebs.insert(volume_type, usd_per_gb_month);
            }
            Product::EmrFee {
                instance_type,
                usd_per_hour,
                ..
            } => {
                self.emr_fee.insert(instance_type, usd_per_hour);
            }
            Product::S3Standard {
                usd_per_gb_month, ..
            } => self.s3_standard = Some(usd_per_gb_month),
        }
    }
}

/// Reads one entry of GetProducts' `PriceList` (a JSON document in a
/// string). `Ok(None)` for a product skiff does not price (another product
/// family, a free SKU); `Err` when the document is not what the Pricing API
/// sends.
pub fn parse_product(doc: &str) -> Result<Option<Product>, String> {
    let v: Value = serde_json::from_str(doc).map_err(|e| format!("not JSON: {e}"))?;
    let attrs = v
        .pointer("/product/attributes")
        .ok_or("no product.attributes")?;
    if attribute(attrs, "regionCode").is_empty() {
        return Err("no regionCode attribute".into());
    }
    let (unit, usd) = on_demand_price(&v)?;
    if usd <= Money::ZERO {
        return Ok(None);
    }
    let family = v
        .pointer("/product/productFamily")
        .and_then(Value::as_str)
        .unwrap_or_default();
    product(family, &unit, usd, attrs)
}

/// An attribute of a product, empty where it has none.
fn attribute<'a>(attrs: &'a Value, k: &str) -> &'a str {
    attrs.get(k).and_then(Value::as_str).unwrap_or_default()
}

/// The one on-demand term's unit and USD price (for tiered prices, the
/// tier that begins at 0).
fn on_demand_price(v: &Value) -> Result<(String, Money), String> {
    let terms = v
        .pointer("/terms/OnDemand")
        .and_then(Value::as_object)
        .ok_or("no terms.OnDemand")?;
    let mut prices = terms.values().filter_map(|t| {
        let dims = t.get("priceDimensions")?.as_object()?;
        let first_tier = dims.values().find(|d| {
            d.get("beginRange")
                .and_then(Value::as_str)
                .is_none_or(|b| b == "0")
        })?;
        let unit = first_tier.get("unit")?.as_str()?.to_string();
        let usd = Money::parse(first_tier.pointer("/pricePerUnit/USD")?.as_str()?)?;
        Some((unit, usd))
    });
    prices
        .next()
        .ok_or_else(|| "no on-demand USD price".to_string())
}

/// What a product of `family` priced `usd` per `unit` is to skiff, by its
/// attributes; None for one skiff does not price.
fn product(family: &str, unit: &str, usd: Money, attrs: &Value) -> Result<Option<Product>, String> {
    let attr = |k: &str| attribute(attrs, k);
    let region = attr("regionCode");
    let service = attr("servicecode");
    match family {
        "Compute Instance" if unit == "Hrs" => {
            let instance_type = attr("instanceType");
            if instance_type.is_empty() {
                return Err("no instanceType attribute".into());
            }
            Ok(Some(Product::Instance {
                region: region.to_string(),
                instance_type: instance_type.to_string(),
                usd_per_hour: usd,
            }))
        }
        "Elastic Map Reduce Instance" if unit == "Hrs" && attr("softwareType") == "EMR" => {
            let instance_type = attr("instanceType");
            if instance_type.is_empty() {
                return Err("no instanceType attribute".into());
            }
            Ok(Some(Product::EmrFee {
                region: region.to_string(),
                instance_type: instance_type.to_string(),
                usd_per_hour: usd,
            }))
        }
        "Storage"
            if service == "AmazonS3"
                && unit == "GB-Mo"
                && attr("storageClass") == "General Purpose"
                && attr("volumeType") == "Standard"
                && attr("usagetype").ends_with("TimedStorage-ByteHrs") =>
        {
            Ok(Some(Product::S3Standard {
                region: region.to_string(),
                usd_per_gb_month: usd,
            }))
        }
        "Storage" if unit == "GB-Mo" && service != "AmazonS3" => {
            let volume_type = attr("volumeApiName");
            if !EBS_VOLUME_TYPES.contains(&volume_type) {
                return Ok(None);
            }
            Ok(Some(Product::Volume {
                region: region.to_string(),
                volume_type: volume_type.to_string(),
                usd_per_gb_month: usd,
            }))
        }
        _ => Ok(None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn instance_doc(ty: &str, usd: &str) -> String {
        serde_json::json!({
            "product": {
                "productFamily": "Compute Instance",
                "sku": "ABC",
                "attributes": {
                    "instanceType": ty, "regionCode": "us-east-1",
                    "operatingSystem": "Linux", "tenancy": "Shared",
                    "preInstalledSw": "NA", "capacitystatus": "Used"
                }
            },
            "serviceCode": "AmazonEC2",
            "terms": {"OnDemand": {"ABC.JRTCKXETXF": {
                "priceDimensions": {"ABC.JRTCKXETXF.6YS6EN2CT7": {
                    "unit": "Hrs", "pricePerUnit": {"USD": usd}
                }},
                "sku": "ABC"
            }}}
        })
        .to_string()
    }

    #[test]
    fn reads_an_instance_price() {
        assert_eq!(
            parse_product(&instance_doc("m5.large", "0.0960000000")),
            Ok(Some(Product::Instance {
                region: "us-east-1".into(),
                instance_type: "m5.large".into(),
                usd_per_hour: Money::new(96, 3)
            }))
        );
    }

    #[test]
    fn free_skus_are_skipped_and_bad_documents_are_errors() {
        assert_eq!(
            parse_product(&instance_doc("m5.large", "0.0000000000")),
            Ok(None)
        );
        assert!(parse_product("{").is_err());
        assert!(parse_product(r#"{"product":{"attributes":{}}}"#).is_err());
        let no_terms = r#"{"product":{"productFamily":"Compute Instance","attributes":{"regionCode":"us-east-1","instanceType":"m5.large"}}}"#;
        assert!(parse_product(no_terms).is_err());
    }

    #[test]
    fn reads_a_volume_price_and_skips_other_volumes() {
        let doc = |api: &str| {
            serde_json::json!({
                "product": {"productFamily": "Storage", "attributes": {
                    "regionCode": "eu-west-1", "volumeApiName": api}},
                "terms": {"OnDemand": {"X": {"priceDimensions": {"Y": {
                    "unit": "GB-Mo", "pricePerUnit": {"USD": "0.0880000000"}}}}}}
            })
            .to_string()
        };
        assert_eq!(
            parse_product(&doc("gp3")),
            Ok(Some(Product::Volume {
                region: "eu-west-1".into(),
                volume_type: "gp3".into(),
                usd_per_gb_month: Money::new(88, 3)
            }))
        );
        assert_eq!(parse_product(&doc("standard")), Ok(None));
    }

    #[test]
    fn reads_the_emr_fee_and_the_first_s3_tier() {
        let emr = serde_json::json!({
            "product": {"productFamily": "Elastic Map Reduce Instance", "sku": "E1",
                "attributes": {"servicecode": "ElasticMapReduce", "regionCode": "eu-west-1",
                    "softwareType": "EMR", "instanceType": "m5.xlarge",
                    "usagetype": "EU-BoxUsage:m5.xlarge"}},
            "terms": {"OnDemand": {"E1.JRTCKXETXF": {"priceDimensions": {"E1.JRTCKXETXF.6YS6EN2CT7": {
                "unit": "Hrs", "pricePerUnit": {"USD": "0.0480000000"}}}}}}
        });
        assert_eq!(
            parse_product(&emr.to_string()),
            Ok(Some(Product::EmrFee {
                region: "eu-west-1".into(),
                instance_type: "m5.xlarge".into(),
                usd_per_hour: Money::new(48, 3)
            }))
        );
        let mut hunk = emr.clone();
        hunk["product"]["attributes"]["softwareType"] = "Hunk".into();
        assert_eq!(
            parse_product(&hunk.to_string()),
            Ok(None),
            "other EMR software"
        );
        let s3 = serde_json::json!({
            "product": {"productFamily": "Storage", "sku": "S1",
                "attributes": {"servicecode": "AmazonS3", "regionCode": "eu-central-1",
                    "storageClass": "General Purpose", "volumeType": "Standard",
                    "usagetype": "EUC1-TimedStorage-ByteHrs"}},
            "terms": {"OnDemand": {"S1.JRTCKXETXF": {"priceDimensions": {
                "S1.JRTCKXETXF.D42MF2PVJS": {"unit": "GB-Mo", "beginRange": "51200",
                    "endRange": "512000", "pricePerUnit": {"USD": "0.0235000000"}},
                "S1.JRTCKXETXF.PGHJ3S3EYE": {"unit": "GB-Mo", "beginRange": "0",
                    "endRange": "51200", "pricePerUnit": {"USD": "0.0245000000"}},
                "S1.JRTCKXETXF.PXJDJ3YRG3": {"unit": "GB-Mo", "beginRange": "512000",
                    "endRange": "Inf", "pricePerUnit": {"USD": "0.0225000000"}}}}}}
        });
        assert_eq!(
            parse_product(&s3.to_string()),
            Ok(Some(Product::S3Standard {
                region: "eu-central-1".into(),
                usd_per_gb_month: Money::new(245, 4)
            }))
        );
    }

    #[test]
    fn a_cache_written_before_emr_and_s3_prices_still_loads() {
        let old = r#"{"fetched":{"us-east-1":"2026-11-21T10:00:00Z"},
            "ec2":{"us-east-1":{"m5.large":0.1234}},"ebs":{"us-east-1":{"gp3":0.08}}}"#;
        let c: PriceCache = serde_json::from_str(old).expect("old cache");
        assert_eq!(c.ec2["us-east-1"]["m5.large"], Money::new(1234, 4));
        assert!(c.emr_fee.is_empty() && c.s3_standard.is_empty());
    }

    #[test]
    fn staleness_is_per_region() {
        let now: DateTime<Utc> = "2026-11-21T10:00:00Z".parse().unwrap();
        let mut c = PriceCache::default();
        let regions = vec!["us-east-1".to_string(), "eu-west-1".to_string()];
        assert!(c.is_stale(&regions, now, 7));
        c.set_region(
            "us-east-1",
            now - chrono::Duration::days(2),
            &RegionTable::default(),
        );
        assert!(c.is_stale(&regions, now, 7), "eu-west-1 never fetched");
        c.set_region(
            "eu-west-1",
            now - chrono::Duration::days(8),
            &RegionTable::default(),
        );
        assert!(c.is_stale(&regions, now, 7));
        assert!(!c.is_stale(&regions[..1], now, 7));
        assert!(!c.is_stale(&regions, now, 8));
    }

    #[test]
    fn save_and_load_round_trip() {
        let dir = std::env::temp_dir().join(format!("skiff-price-cache-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        assert_eq!(PriceCache::load(&dir), Ok(None));
        let mut c = PriceCache::default();
        c.set_region(
            "us-east-1",
            Utc::now(),
            &RegionTable {
                ec2: BTreeMap::from([("m5.large".to_string(), Money::new(1, 1))]),
                ebs: BTreeMap::from([("gp3".to_string(), Money::new(8, 2))]),
                emr_fee: BTreeMap::from([("m5.xlarge".to_string(), Money::new(48, 3))]),
                s3_standard: Some(Money::new(23, 3)),
            },
        );
        c.save(&dir).unwrap();
        assert_eq!(PriceCache::load(&dir), Ok(Some(c)));
        std::fs::write(PriceCache::path(&dir), "{broken").unwrap();
        assert!(PriceCache::load(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
