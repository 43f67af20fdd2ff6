//! The detail lines of the selected row, for the details popup.

use super::app::App;
use crate::lifecycle::Target;
use crate::render::{self, RowKey};

impl App {
    /// A "Guards" line (one per guard) for these instances' details.
    fn guard_lines<'a>(
        &self,
        ids: impl IntoIterator<Item = &'a String>,
    ) -> Vec<render::details::Line> {
        let ids: Vec<&String> = ids.into_iter().collect();
        let mut out: Vec<render::details::Line> = self
            .guards
            .iter()
            .filter(|g| g.instance_ids.iter().any(|i| ids.contains(&i)))
            .map(|g| {
                let next = g
                    .next_run
                    .map(|t| format!(", next {}", render::format::timestamp(t)))
                    .unwrap_or_default();
                (
                    "Guard".to_string(),
                    format!("{} [{}]{next} — {}", g.rule, g.state, g.name),
                )
            })
            .collect();
        out.dedup();
        if out.is_empty() {
            out.push((
                "Guard".to_string(),
                "none: press a to stop it when idle or on a schedule".to_string(),
            ));
        }
        out
    }

    /// Detail lines of the selected item, with the popup's title.
    pub fn selected_details(&self) -> Option<(String, Vec<render::details::Line>)> {
        let row = self.selected_row()?;
        let inv = &self.inventory;
        match &row.key {
            RowKey::Resource(Target::Instance { id }) => {
                let i = inv.instance(id)?;
                let mut lines = render::details::instance(i, self.clock.now());
                lines.extend(self.guard_lines([&i.id]));
                Some((format!("{} ({})", i.display_name(), i.id), lines))
            }
            RowKey::Resource(Target::Spark { region, name }) => {
                let c = inv.spark_cluster(region, name)?;
                let mut lines = render::details::spark(c, &inv.instances);
                lines.extend(self.guard_lines(c.master.iter().chain(&c.workers)));
                Some((format!("Spark cluster {}", c.name), lines))
            }
            RowKey::Leftover(id) => {
                let l = self
                    .pages
                    .leftovers
                    .found
                    .as_ref()?
                    .items
                    .iter()
                    .find(|l| &l.id == id)?;
                let lines = vec![
                    (
                        "Kind".to_string(),
                        render::leftovers::kind_label(l.kind).to_string(),
                    ),
                    ("Id".to_string(), l.id.clone()),
                    ("Region".to_string(), l.region.clone()),
                    (
                        "Per month".to_string(),
                        format!(
                            "{}{}",
                            crate::cost::show(&l.monthly),
                            if l.at_most { " at most" } else { "" }
                        ),
                    ),
                    ("Why".to_string(), l.detail.clone()),
                    (
                        "Remove".to_string(),
                        l.kind.removal().map_or_else(
                            || "not from here (see why)".to_string(),
                            |v| format!("{v}: press delete, then type the id"),
                        ),
                    ),
                ];
                Some((format!("Leftover {}", l.id), lines))
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
