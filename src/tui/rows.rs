//! The detail lines of the selected row, for the details popup.

use super::app::App;
use crate::lifecycle::Target;
use crate::render::{self, RowKey};

impl App {
    /// Detail lines of the selected item, with the popup's title.
    pub fn selected_details(&self) -> Option<(String, Vec<render::details::Line>)> {
        let row = self.selected_row()?;
        let inv = &self.inventory;
        match &row.key {
            RowKey::Resource(Target::Instance { id }) => {
                let i = inv.instance(id)?;
                Some((
                    format!("{} ({})", i.display_name(), i.id),
                    render::details::instance(i, self.clock.now()),
                ))
            }
            RowKey::Resource(Target::Spark { region, name }) => {
                let c = inv.spark_cluster(region, name)?;
                Some((
                    format!("Spark cluster {}", c.name),
                    render::details::spark(c, &inv.instances),
                ))
            }
            RowKey::Resource(Target::Emr { id, .. }) => {
                let c = inv.emr_cluster(id)?;
                Some((
                    format!("EMR cluster {} ({})", c.name, c.id),
                    render::details::emr(c),
                ))
            }
            RowKey::Bucket(name) => {
                let b = inv.buckets.iter().find(|b| &b.name == name)?;
                Some((format!("Bucket {}", b.name), render::details::bucket(b)))
            }
            RowKey::Object(key) | RowKey::Folder(key) => {
                let browser = &self.pages.objects.browser;
                let e = browser.entries.iter().find(|e| &e.key == key)?;
                let uri = format!("s3://{}/{}", browser.bucket, e.key);
                let lines = vec![
                    ("Key".to_string(), e.key.clone()),
                    (
                        "Size".to_string(),
                        format!("{} ({} bytes)", bytesize::ByteSize(e.size), e.size),
                    ),
                    (
                        "Modified".to_string(),
                        e.last_modified
                            .map_or("-".into(), render::format::timestamp),
                    ),
                    (
                        "Storage class".to_string(),
                        e.storage_class.clone().unwrap_or_else(|| "-".into()),
                    ),
                    ("URI".to_string(), uri.clone()),
                    (
                        "Spark (s3a)".to_string(),
                        uri.replacen("s3://", "s3a://", 1),
                    ),
                ];
                Some((format!("Object {}", e.key), lines))
            }
            RowKey::Transfer(n) => {
                let t = self.pages.transfers.get(*n)?;
                Some((
                    "Transfer".to_string(),
                    render::transfers::details(&t.view()),
                ))
            }
            RowKey::Tunnel(id) => {
                let t = self.pages.tunnels.get(id)?.tunnel.current();
                Some((
                    format!("Tunnel to {}", t.target.label),
                    render::tunnels::details(&t),
                ))
            }
            RowKey::Group(_) | RowKey::Storage(_) => None,
        }
    }
}
