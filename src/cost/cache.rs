//! Prices fetched with the AWS Pricing API (`skiff prices refresh`), kept in
//! the cache directory; they take precedence over the embedded table. Also
//! the reading of one GetProducts price-list entry (pure, tested here).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The EBS volume types skiff prices.
pub const EBS_VOLUME_TYPES: [&str; 5] = ["gp2", "gp3", "io1", "st1", "sc1"];

/// What `skiff prices refresh` stored.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PriceCache {
    /// When each region was last fetched.
    pub fetched: BTreeMap<String, DateTime<Utc>>,
    /// Region → instance type → Linux on-demand $/hour.
    pub ec2: BTreeMap<String, BTreeMap<String, f64>>,
    /// Region → volume type → $/GB-month.
    pub ebs: BTreeMap<String, BTreeMap<String, f64>>,
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
    pub fn set_region(
        &mut self,
        region: &str,
        at: DateTime<Utc>,
        ec2: BTreeMap<String, f64>,
        ebs: BTreeMap<String, f64>,
    ) {
        self.fetched.insert(region.to_string(), at);
        self.ec2.insert(region.to_string(), ec2);
        self.ebs.insert(region.to_string(), ebs);
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
#[derive(Debug, Clone, PartialEq)]
pub enum Product {
    Instance {
        region: String,
        instance_type: String,
        usd_per_hour: f64,
    },
    Volume {
        region: String,
        volume_type: String,
        usd_per_gb_month: f64,
    },
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
    let attr = |k: &str| attrs.get(k).and_then(Value::as_str).unwrap_or_default();
    let region = attr("regionCode");
    if region.is_empty() {
        return Err("no regionCode attribute".into());
    }
    // The one on-demand term, its one price dimension.
    let terms = v
        .pointer("/terms/OnDemand")
        .and_then(Value::as_object)
        .ok_or("no terms.OnDemand")?;
    let mut prices = terms.values().filter_map(|t| {
        t.get("priceDimensions")?
            .as_object()?
            .values()
            .find_map(|d| {
                let unit = d.get("unit")?.as_str()?.to_string();
                let usd = d
                    .pointer("/pricePerUnit/USD")?
                    .as_str()?
                    .parse::<f64>()
                    .ok()?;
                Some((unit, usd))
            })
    });
    let Some((unit, usd)) = prices.next() else {
        return Err("no on-demand USD price".into());
    };
    if !usd.is_finite() || usd <= 0.0 {
        return Ok(None);
    }
    let family = v
        .pointer("/product/productFamily")
        .and_then(Value::as_str)
        .unwrap_or_default();
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
        "Storage" if unit == "GB-Mo" => {
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
                usd_per_hour: 0.096
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
                usd_per_gb_month: 0.088
            }))
        );
        assert_eq!(parse_product(&doc("standard")), Ok(None));
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
            BTreeMap::new(),
            BTreeMap::new(),
        );
        assert!(c.is_stale(&regions, now, 7), "eu-west-1 never fetched");
        c.set_region(
            "eu-west-1",
            now - chrono::Duration::days(8),
            BTreeMap::new(),
            BTreeMap::new(),
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
            BTreeMap::from([("m5.large".to_string(), 0.1)]),
            BTreeMap::from([("gp3".to_string(), 0.08)]),
        );
        c.save(&dir).unwrap();
        assert_eq!(PriceCache::load(&dir), Ok(Some(c)));
        std::fs::write(PriceCache::path(&dir), "{broken").unwrap();
        assert!(PriceCache::load(&dir).is_err());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
