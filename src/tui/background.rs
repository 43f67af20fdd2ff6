//! Background work and its answers: connecting, the inventory slices (one
//! task each, so a slow or failing region never holds the others up), the
//! costs recomputed from them, and every message routed where it belongs.

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};

use super::app::{App, Level, Msg};
use super::popups::Popup;
use crate::cloud::inventory::{self, Wanted};
use crate::model::Inventory;

impl App {
    /// Connects a new session (at start, and after a profile or region
    /// switch).
    pub fn connect(&mut self) {
        self.generation += 1;
        self.session = None;
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

    /// Fetches every slice not already in flight.
    pub fn refresh(&mut self) {
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
        let secs = self.config.general.refresh_interval_secs;
        self.next_refresh = (secs > 0).then(|| Instant::now() + Duration::from_secs(secs));
    }

    /// Drops everything from the old session and starts over: nothing old
    /// and new is ever mixed on screen, and answers still on their way for
    /// the old one (slices, a bucket's pages) are dropped when they arrive.
    pub(super) fn switch_session(&mut self, what: String) {
        self.slices.clear();
        self.partial.clear();
        self.slice_times.clear();
        self.inventory = Inventory::default();
        self.costs = None;
        self.last_refresh = None;
        self.pages.objects.forget();
        if self.view == super::app::ViewKind::Objects {
            self.view = super::app::ViewKind::Buckets;
        }
        self.touch();
        self.notify(Level::Info, format!("switching to {what}"));
        self.connect();
    }

    /// Puts what one slice shows into the cost ledger, as seen at `at`
    /// (the other slices were seen at their own times).
    pub(super) fn observe_slice(&mut self, key: &inventory::SliceKey, at: DateTime<Utc>) {
        let Some((kind, region)) = crate::ops::costs::listed_slices([key]).pop() else {
            return;
        };
        let seen: Vec<_> = crate::cost::compute::sightings(&self.inventory, &self.prices)
            .into_iter()
            .filter(|s| s.kind == kind && s.region == region)
            .collect();
        let listed = [(kind, region)];
        if let Err(e) = self.ledger.observe(&seen, &listed, at)
            && !self.ledger_warned
        {
            self.ledger_warned = true;
            let text = format!(
                "cannot write the cost ledger in {}: {e} (costs are kept for this session only)",
                self.dirs.state.display()
            );
            self.notify(Level::Warning, text);
        }
    }

    /// Every slice again, at the time it was seen: prices learned since
    /// (spot) fill in what was unknown.
    pub(super) fn observe_again(&mut self) {
        let seen: Vec<_> = self
            .slice_times
            .iter()
            .map(|(k, at)| (k.clone(), *at))
            .collect();
        for (key, at) in seen {
            self.observe_slice(&key, at);
        }
    }

    /// The figures of the session's regions from the ledger.
    pub fn recompute_costs(&mut self) {
        // The old figures go first: two reports of 10,000 items at once
        // would double the memory at its peak.
        self.costs = None;
        let now = self.clock.now();
        let regions = self.session.as_ref().map(|s| s.regions.clone());
        let report = crate::cost::report(self.ledger.book(), regions.as_deref(), now);
        if let Some(limit) = self.remind_after_secs() {
            let overdue: Vec<(String, String, String)> = report
                .items
                .iter()
                .filter(|c| {
                    c.running_secs.is_some_and(|s| s > limit) && !self.reminded.contains(&c.id)
                })
                .map(|c| {
                    (
                        c.id.clone(),
                        c.name.clone(),
                        crate::cost::show(&c.stop_saves_hourly),
                    )
                })
                .collect();
            for (id, name, saves) in overdue {
                let hours = self.config.reminders.running_hours;
                self.notify(
                    Level::Warning,
                    format!("{name} has run over {hours} h: stopping it saves {saves}/h"),
                );
                self.reminded.insert(id);
            }
        }
        self.costs = Some(report);
        self.costs_at = Some(Instant::now());
        self.touch();
    }

    pub fn on_msg(&mut self, msg: Msg) {
        self.route(msg);
        self.sync();
    }

    fn route(&mut self, msg: Msg) {
        match msg {
            Msg::Connected { generation, result } if generation == self.generation => {
                self.connecting = false;
                match result {
                    Ok(session) => {
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
                        self.notify(Level::Error, format!("cannot connect: {e}"));
                        self.schedule_next_refresh();
                    }
                }
            }
            Msg::Account { generation, result } if generation == self.generation => match result {
                Ok(account) => self.account = Some(account),
                Err(e) => self.notify(Level::Warning, format!("account id unknown: {e}")),
            },
            Msg::Slice {
                generation,
                key,
                at,
                result,
            } if generation == self.generation => self.on_slice(key, at, result),
            Msg::SlicePage {
                generation,
                key,
                page,
            } if generation == self.generation => self.on_slice_page(key, page),
            Msg::RelaunchPlan(result) => self.on_relaunch_plan(result),
            Msg::Guards { generation, result } if generation == self.generation => {
                self.on_guards(result);
            }
            Msg::GuardDone(result) => self.on_guard_done(result),
            Msg::ShellReady { node, result } => self.on_shell_ready(node, *result),
            Msg::RunDone { command, results } => self.on_run_done(&command, &results),
            Msg::GuardNeedsRole(q) => self.open(Popup::RoleQuestion(q)),
            Msg::Leftovers { generation, found } => self.on_leftovers(generation, *found),
            Msg::LeftoverRemoved(result) => {
                match result {
                    Ok(what) => self.notify(Level::Info, what),
                    Err(why) => self.notify(Level::Error, why),
                }
                self.load_leftovers();
            }
            Msg::MfaPrompt { serial, reply } => self.open(Popup::Mfa {
                serial,
                reply: Some(reply),
                code: String::new(),
            }),
            Msg::Extra { generation, extra } if generation == self.generation => {
                self.on_extra(extra);
                self.touch();
            }
            Msg::LifecycleProgress(p) => self.on_lifecycle_progress(p),
            Msg::Objects { generation, result } => self.on_objects(generation, result),
            Msg::TransferPlanned { id, result } => self.on_transfer_planned(id, result),
            Msg::TransferDone { id, result } => self.on_transfer_done(id, result),
            Msg::Deleted(result) => {
                match result {
                    Ok(what) => self.notify(Level::Info, what),
                    Err(why) => self.notify(Level::Error, why),
                }
                self.reload_objects();
            }
            Msg::Outcome(Ok(what)) => {
                self.notify(Level::Info, what);
                self.refresh();
            }
            Msg::Outcome(Err(why)) => self.notify(Level::Error, why),
            Msg::LifecycleDone(report) => self.on_lifecycle_done(&report),
            Msg::DirListed { generation, result } => {
                for p in &mut self.popups {
                    if let Popup::FilePicker(f) = p {
                        f.listed(generation, result);
                        break;
                    }
                }
            }
            Msg::TunnelPreview {
                instance_id,
                result,
            } => {
                if let Some(Popup::Tunnel(d)) = self.popups.last_mut()
                    && d.target.instance_id == instance_id
                {
                    d.preview = Some(result);
                }
            }
            stale => tracing::debug!("dropped a stale answer: {stale:?}"),
        }
    }

    /// A page of a slice on its way: shown only where the slice has no
    /// data yet (a refresh keeps the last full listing until the new one is
    /// in, rather than showing a shrunk one).
    fn on_slice_page(&mut self, key: inventory::SliceKey, page: inventory::SliceData) {
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
        let mut parts: Vec<&inventory::SliceData> = self.slices.values().collect();
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
        let n: usize = self
            .partial
            .values()
            .flatten()
            .map(inventory::SliceData::len)
            .sum();
        (n > 0).then_some(n)
    }

    fn on_slice(
        &mut self,
        key: inventory::SliceKey,
        at: DateTime<Utc>,
        result: Result<inventory::SliceData, crate::cloud::CloudError>,
    ) {
        self.loading.remove(&key);
        self.partial.remove(&key);
        match result {
            Ok(data) => {
                self.slices.insert(key.clone(), data);
                self.slice_times.insert(key.clone(), at);
                self.assemble();
                self.settle_transitions();
                self.observe_slice(&key, at);
                self.recompute_costs();
            }
            // The slice's previous data stays on screen.
            Err(e) => self.notify(Level::Error, e.to_string()),
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
    }
}
