//! Connecting and listing: one task per inventory slice (service ×
//! region), so a slow or failing region never holds the others up; pages of
//! a long first listing are shown as they arrive.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::World;
use crate::cloud::inventory::{self, SliceData, SliceKey, Wanted};
use crate::cloud::{CloudError, Session};
use crate::tui::notify::Say;

/// How soon listing is tried again while the endpoint cannot be reached.
const OFFLINE_RETRY: Duration = Duration::from_secs(5);
use crate::model::Inventory;
use crate::tui::msg::Msg;
use crate::tui::notify::Notes;

impl World {
    /// Connects a new session (at start, and after a profile or region
    /// switch).
    pub fn connect(&mut self) {
        self.generation += 1;
        self.session = None;
        self.gate = None;
        self.connecting = true;
        self.loading.clear();
        self.partial.clear();
        let generation = self.generation;
        let connection = self.connection.clone();
        self.spawn(async move {
            let result = connection.connect().await.map(Arc::new);
            Msg::Connected { generation, result }
        });
    }

    pub(super) fn on_connected(
        &mut self,
        result: Result<Arc<Session>, CloudError>,
        notes: &mut Notes,
    ) {
        self.connecting = false;
        match result {
            Ok(session) => {
                self.gate = Some(crate::ops::connect::gate_for(
                    self.read_only_flag,
                    &self.config,
                    &session.profile,
                ));
                self.session = Some(session.clone());
                let generation = self.generation;
                self.spawn(async move {
                    Msg::Account {
                        generation,
                        result: session.account_id().await,
                    }
                });
                self.refresh();
            }
            Err(e) => {
                notes.error(format!("cannot connect: {e}"));
                self.schedule_next_refresh();
            }
        }
    }

    /// Fetches every slice not already in flight.
    pub fn refresh(&mut self) {
        if std::mem::take(&mut self.reconnect) && !self.connecting {
            self.connect();
            return;
        }
        let Some(session) = self.session.clone() else {
            if !self.connecting {
                self.connect();
            }
            return;
        };
        self.schedule_next_refresh();
        let now = self.clock.now();
        for key in inventory::slice_keys(&session, Wanted::ALL) {
            if !self.loading.insert(key.clone()) {
                continue;
            }
            let (session, opts, generation) = (
                session.clone(),
                self.inventory_opts.clone(),
                self.generation,
            );
            // Pages go to the screen as they arrive, so a big account shows
            // its first rows long before the last page is in.
            let pages = self.sender();
            let page_key = key.clone();
            self.spawn(async move {
                let mut on_page = |page| {
                    if let Some(tx) = &pages {
                        let _ = tx.send(Msg::SlicePage {
                            generation,
                            key: page_key.clone(),
                            page,
                        });
                    }
                };
                let result =
                    inventory::fetch_slice_paged(&session, &key, &opts, now, &mut on_page).await;
                Msg::Slice {
                    at: now,
                    generation,
                    key,
                    result,
                }
            });
        }
    }

    pub(super) fn schedule_next_refresh(&mut self) {
        if self.offline.is_some() || self.signed_out {
            self.next_refresh = Some(Instant::now() + OFFLINE_RETRY);
            return;
        }
        let secs = self.config.general.refresh_interval_secs;
        self.next_refresh = (secs > 0).then(|| Instant::now() + Duration::from_secs(secs));
    }

    /// Another profile or regions: `apply` changes what to connect with,
    /// then everything from the old session is dropped and it starts over,
    /// so nothing old and new is ever mixed on screen; answers still on
    /// their way for the old one are dropped when they arrive.
    pub fn switch_session(
        &mut self,
        apply: impl FnOnce(&mut crate::cloud::SessionOptions),
        read_only_flag: Option<bool>,
    ) {
        apply(&mut self.connection.opts);
        if let Some(flag) = read_only_flag {
            self.read_only_flag = flag;
        }
        self.slices.clear();
        self.partial.clear();
        self.slice_times.clear();
        self.inventory = Inventory::default();
        self.costs = None;
        self.last_refresh = None;
        self.touch();
        self.connect();
    }

    /// A page of a slice on its way: shown only where the slice has no
    /// data yet (a refresh keeps the last full listing until the new one is
    /// in, rather than showing a shrunk one).
    pub(super) fn on_slice_page(&mut self, key: SliceKey, page: SliceData) {
        if self.slices.contains_key(&key) || !self.loading.contains(&key) {
            return;
        }
        self.partial.entry(key).or_default().push(page);
        self.assemble();
        self.touch();
    }

    /// The inventory from the slices in, and the pages of those still
    /// coming for the first time.
    fn assemble(&mut self) {
        let mut parts: Vec<&SliceData> = self.slices.values().collect();
        for (key, pages) in &self.partial {
            if !self.slices.contains_key(key) {
                parts.extend(pages);
            }
        }
        self.inventory = inventory::assemble(parts, &self.inventory_opts.cluster_tags);
    }

    /// How many rows of slices still being listed for the first time are
    /// on screen (the header says "loading N of …").
    pub fn rows_arriving(&self) -> Option<usize> {
        let n: usize = self.partial.values().flatten().map(SliceData::len).sum();
        (n > 0).then_some(n)
    }

    pub(super) fn on_slice(
        &mut self,
        key: SliceKey,
        at: DateTime<Utc>,
        result: Result<SliceData, CloudError>,
        notes: &mut Notes,
    ) {
        self.loading.remove(&key);
        self.partial.remove(&key);
        match result {
            Ok(data) => {
                if std::mem::take(&mut self.signed_out) {
                    notes.info("signed in again");
                }
                if self.offline.take().is_some() {
                    notes.info("back online");
                }
                self.slices.insert(key.clone(), data);
                self.slice_times.insert(key.clone(), at);
                self.assemble();
                self.settle_transitions();
                self.observe_slice(&key, at, notes);
                self.recompute_costs(notes);
            }
            // The slice's previous data stays on screen; offline is said
            // once (not by every slice) and tried again soon.
            Err(e) if e.code.as_deref() == Some(crate::cloud::OFFLINE) => {
                if self.offline.is_none() {
                    notes.error(format!(
                        "offline: {} — what was listed stays; trying again every {} s",
                        e.message,
                        OFFLINE_RETRY.as_secs()
                    ));
                }
                self.offline = Some(e.message);
                self.next_refresh = Some(Instant::now() + OFFLINE_RETRY);
            }
            // One message naming the fix, not one per region and service;
            // a new session is tried soon, so new credentials are picked
            // up without a key.
            Err(e)
                if matches!(
                    e.code.as_deref(),
                    Some(crate::cloud::SSO_EXPIRED | crate::cloud::CREDS_EXPIRED)
                ) =>
            {
                if !self.signed_out {
                    let profile = self
                        .session
                        .as_ref()
                        .map_or_else(String::new, |s| s.profile.clone());
                    let fix =
                        crate::cloud::sign_in_fix(e.code.as_deref(), &profile).unwrap_or(e.message);
                    notes.error(format!(
                        "{fix}; skiff tries again every {} s",
                        OFFLINE_RETRY.as_secs()
                    ));
                }
                self.signed_out = true;
                self.reconnect = true;
                self.next_refresh = Some(Instant::now() + OFFLINE_RETRY);
            }
            Err(e) => notes.error(e.to_string()),
        }
        if self.loading.is_empty() {
            self.last_refresh = Some(self.clock.now());
            if let Some(started) = self.started.take() {
                tracing::info!(
                    "first full inventory after {} ms: {} instances, {} clusters, {} buckets",
                    started.elapsed().as_millis(),
                    self.inventory.instances.len(),
                    self.inventory.spark_clusters.len() + self.inventory.emr_clusters.len(),
                    self.inventory.buckets.len()
                );
            }
            self.fetch_extras();
        }
        self.touch();
    }
}
