//! A bucket folder's own commands: `:du` (its total keys and bytes,
//! counted in the background page by page, shown in the status line,
//! `:du` again stops it) and `:sync up|down PATH [--delete]` (the same
//! plan and run as `skiff sync`, the plan shown and asked about first).

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use ratatui::text::Line;

use crate::cloud::Session;
use crate::ops::transfer::sync::{self, SyncPlan, SyncRequest};
use crate::ops::transfer::{Progress, TransferOptions};
use crate::tui::ctx::{Ctx, Mode};
use crate::tui::msg::ViewId;
use crate::tui::notify::Say;
use crate::tui::popups::ask::Ask;

pub const SYNC: Mode = Mode("sync");

/// A folder's keys and bytes, as far as they are counted.
#[derive(Debug, Default)]
pub struct Tally {
    pub bucket: String,
    pub prefix: String,
    pub objects: AtomicU64,
    pub bytes: AtomicU64,
    pub done: AtomicBool,
    pub stop: AtomicBool,
    pub error: std::sync::Mutex<Option<String>>,
}

impl Tally {
    pub fn running(&self) -> bool {
        !self.done.load(Ordering::SeqCst)
    }

    /// "Σ 12,345 objects · 3.2 GiB (counting…)".
    pub fn words(&self) -> String {
        let n = self.objects.load(Ordering::SeqCst);
        let b = self.bytes.load(Ordering::SeqCst);
        let state = if let Some(e) = self.error.lock().ok().and_then(|e| e.clone()) {
            format!(" (stopped: {e})")
        } else if self.stop.load(Ordering::SeqCst) {
            " (stopped: so far)".to_string()
        } else if self.running() {
            " (counting… :du stops)".to_string()
        } else {
            String::new()
        };
        format!(
            "Σ {} object{} · {}{state}",
            crate::render::format::thousands(usize::try_from(n).unwrap_or(usize::MAX)),
            if n == 1 { "" } else { "s" },
            bytesize::ByteSize(b)
        )
    }
}

/// Starts counting `bucket`/`prefix` in the background.
pub fn count(session: Arc<Session>, bucket: String, prefix: String) -> Arc<Tally> {
    let tally = Arc::new(Tally {
        bucket: bucket.clone(),
        prefix: prefix.clone(),
        ..Tally::default()
    });
    let t = tally.clone();
    tokio::spawn(async move {
        let outcome = tally_all(&session, &bucket, &prefix, &t).await;
        if let Err(e) = outcome
            && let Ok(mut slot) = t.error.lock()
        {
            *slot = Some(e);
        }
        t.done.store(true, Ordering::SeqCst);
    });
    tally
}

async fn tally_all(session: &Session, bucket: &str, prefix: &str, t: &Tally) -> Result<(), String> {
    let bucket = session.bucket(bucket).await.map_err(|e| e.message)?;
    let mut token = None;
    loop {
        if t.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        let (page, next) = bucket
            .list_tree_page(prefix, token)
            .await
            .map_err(|e| e.message)?;
        t.objects.fetch_add(page.len() as u64, Ordering::SeqCst);
        t.bytes
            .fetch_add(page.iter().map(|o| o.size).sum(), Ordering::SeqCst);
        match next {
            Some(n) => token = Some(n),
            None => return Ok(()),
        }
    }
}

/// What `:sync` answers the view.
pub enum SyncAnswer {
    Planned(Box<Result<SyncPlan, String>>),
    Done {
        sent: usize,
        deleted: usize,
        failed: Vec<String>,
    },
}

/// `:sync up|down PATH [--delete]` in `s3://bucket/prefix`: the request.
pub fn parse(args: &str, bucket: &str, prefix: &str) -> Result<SyncRequest, String> {
    let words = shlex::split(args).ok_or("unbalanced quotes")?;
    let delete = words.iter().any(|w| w == "--delete");
    let rest: Vec<&String> = words.iter().filter(|w| *w != "--delete").collect();
    let usage = ":sync up PATH (this folder gets PATH's files) or :sync down PATH (PATH gets this folder's), then --delete to remove what the source lacks";
    let (way, path) = match rest.as_slice() {
        [way, path] => (way.as_str(), shellexpand::tilde(path.as_str()).into_owned()),
        _ => return Err(usage.to_string()),
    };
    let here = format!("s3://{bucket}/{prefix}");
    let (src, dst) = match way {
        "up" => (path, here),
        "down" => (here, path),
        _ => return Err(usage.to_string()),
    };
    Ok(SyncRequest {
        src,
        dst,
        delete,
        compare: Default::default(),
        filters: Vec::new(),
    })
}

/// Plans `req` in the background; the plan comes back to `view`.
pub fn plan(view: ViewId, req: SyncRequest, cx: &mut Ctx<'_>) {
    let Some(session) = cx.world.session.clone() else {
        return cx.warn("not connected yet");
    };
    cx.info(format!("comparing {} with {}…", req.src, req.dst));
    cx.spawn(view, async move {
        SyncAnswer::Planned(Box::new(sync::plan(&session, &req).await))
    });
}

/// The plan, asked about (nothing to do: said).
pub fn ask(view: ViewId, plan: SyncPlan, cx: &mut Ctx<'_>) {
    if plan.send.is_empty() && plan.delete.is_empty() {
        return cx.info(format!("in sync: {}", plan.summary()));
    }
    if let Some(b) = plan.written_bucket()
        && let Some(why) = cx.refusal("s3", &format!("sync to s3://{}", b.name))
    {
        return cx.warn(why);
    }
    let mut body = vec![Line::from(plan.summary()), Line::from("")];
    for i in plan.send.iter().take(8) {
        body.push(Line::from(format!("send   {}", plan.src.show(&i.rel))));
    }
    for rel in plan.delete.iter().take(8) {
        body.push(Line::from(format!("delete {}", plan.dst.show(rel))));
    }
    if plan.send.len() > 8 || plan.delete.len() > 8 {
        body.push(Line::from("…"));
    }
    let ask = Ask::new(SYNC, "Sync", body, move |cx, ()| run(view, plan, cx))
        .answers("sync", "leave it")
        .declined("nothing was synced");
    cx.open(ask);
}

fn run(view: ViewId, plan: SyncPlan, cx: &mut Ctx<'_>) {
    let Some(actions) = cx.actions() else {
        return cx.warn("not connected yet");
    };
    let opts = TransferOptions {
        multipart_threshold: cx.world.config.transfer.multipart_threshold.as_u64(),
        part_size: cx.world.config.transfer.part_size.as_u64(),
        concurrency: cx.world.config.transfer.concurrency.max(1),
    };
    let journal = cx.world.dirs.state.join("uploads");
    cx.info(format!("syncing: {}", plan.summary()));
    cx.spawn(view, async move {
        let progress = Arc::new(Progress::default());
        let outcomes = sync::run(&actions, &plan, &opts, &journal, &progress, &|_| {}).await;
        let failed: Vec<String> = outcomes
            .iter()
            .filter_map(|o| o.error.as_ref().map(|e| format!("{}: {e}", o.from)))
            .collect();
        let ok = |delete: bool| {
            outcomes
                .iter()
                .filter(|o| (o.verb == "delete") == delete && o.error.is_none())
                .count()
        };
        SyncAnswer::Done {
            sent: ok(false),
            deleted: ok(true),
            failed,
        }
    });
}
