//! Benchmark (not a test): how long a key takes, from the key event to the
//! frame drawn on a test terminal, with 10,000 instances and a bucket of
//! 2,000 objects (fixed data, no network); and the resident memory at the
//! end. `cargo run --release --example bench_tui [INSTANCES] [OBJECTS]`.
//!
//! Keys: typing a filter, moving (down, page down, end, home), sorting
//! (next column, reverse), clearing the filter, on the Instances page and in
//! the bucket.

#![allow(clippy::expect_used, clippy::unwrap_used)]

use std::time::{Duration, Instant};

use crossterm::event::{KeyCode, KeyEvent};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use skiff::model::{Instance, InstanceState, Inventory, ObjectEntry};
use skiff::tui::app::App;
use skiff::tui::msg::Msg;

fn inventory(n: usize) -> Inventory {
    let base = skiff::sandbox::world::inventory().instances;
    let states = [InstanceState::Running, InstanceState::Stopped];
    let instances: Vec<Instance> = (0..n)
        .map(|i| {
            let mut x = base[i % base.len()].clone();
            x.id = format!("i-{i:017x}");
            x.name = Some(format!(
                "node-{:05}-{}",
                i,
                ["rnd", "etl", "gpu", "lab"][i % 4]
            ));
            x.tags.insert("Name".into(), x.name.clone().unwrap());
            x.state = states[i % 2];
            x
        })
        .collect();
    let demo = skiff::sandbox::world::inventory();
    Inventory::new(
        instances,
        demo.emr_clusters,
        demo.buckets,
        &skiff::spark::ClusterTags::default(),
    )
}

fn vm_hwm_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1).map(str::to_string))
        })
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

fn keys() -> Vec<KeyCode> {
    let mut k = vec![KeyCode::Char('/')];
    k.extend("node-0".chars().map(KeyCode::Char));
    k.push(KeyCode::Enter);
    k.extend([KeyCode::Down; 20]);
    k.extend([
        KeyCode::PageDown,
        KeyCode::PageDown,
        KeyCode::End,
        KeyCode::Home,
    ]);
    k.extend([KeyCode::Char('s'), KeyCode::Char('s'), KeyCode::Char('S')]);
    k.push(KeyCode::Esc);
    k.extend([KeyCode::Down; 20]);
    k.extend([
        KeyCode::PageDown,
        KeyCode::End,
        KeyCode::Char('s'),
        KeyCode::Char('S'),
    ]);
    k
}

/// Each key, then a frame (the layout pass and the draw): the time of each.
fn press(app: &mut App, terminal: &mut Terminal<TestBackend>, keys: &[KeyCode]) -> Vec<Duration> {
    keys.iter()
        .map(|&code| {
            let t = Instant::now();
            app.on_key(KeyEvent::from(code));
            app.lay_out(120, 40);
            terminal
                .draw(|f| skiff::tui::draw::draw(f, app))
                .expect("draw");
            t.elapsed()
        })
        .collect()
}

fn report(what: &str, mut times: Vec<Duration>) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    let median = times[times.len() / 2];
    let p95 = times[times.len() * 95 / 100];
    println!(
        "{what}: {} keys, median {:.2} ms, p95 {:.2} ms, max {:.2} ms per key (key to frame)",
        times.len(),
        ms(median),
        ms(p95),
        ms(*times.last().unwrap())
    );
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let mut args = std::env::args().skip(1);
    let n: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(10_000);
    let objects: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let session = skiff::tui::screens::demo_session().await.expect("session");
    let started = Instant::now();
    let world = skiff::tui::world::World::fixed(
        skiff::config::Config::defaults(),
        inventory(n),
        session,
        "123456789012",
        skiff::sandbox::world::now(),
        skiff::sandbox::world::prices(),
    );
    let mut app = App::fixed(world, skiff::tui::theme::Theme::dark());
    let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
    app.switch_to(skiff::tui::views::instances::ID);
    app.lay_out(120, 40);
    terminal
        .draw(|f| skiff::tui::draw::draw(f, &app))
        .expect("draw");
    println!(
        "{n} instances: first frame {:.0} ms after start",
        started.elapsed().as_secs_f64() * 1000.0
    );
    report(
        &format!("Instances, {n} rows"),
        press(&mut app, &mut terminal, &keys()),
    );
    let t = Instant::now();
    app.world.recompute_costs(&mut Default::default());
    println!(
        "costs of {n} instances recomputed (once a second, on the tick) in {:.1} ms",
        t.elapsed().as_secs_f64() * 1000.0
    );

    app.browse("rnd-datasets", "raw/");
    let objects_view = skiff::tui::views::objects::ID;
    let generation = app
        .view_of::<skiff::tui::views::objects::Objects>()
        .expect("objects")
        .browser
        .generation;
    let entries: Vec<ObjectEntry> = (0..objects)
        .map(|i| ObjectEntry {
            key: format!("raw/node-{i:05}.parquet"),
            folder: false,
            size: 1_000 * i as u64,
            last_modified: Some(skiff::sandbox::world::now()),
            storage_class: Some("STANDARD".into()),
        })
        .collect();
    app.on_msg(Msg::View(
        objects_view,
        Box::new(skiff::tui::views::objects::Answer::Page {
            generation,
            result: Ok((entries, None)),
        }),
    ));
    report(
        &format!("Objects, {objects} rows"),
        press(&mut app, &mut terminal, &keys()),
    );
    println!("peak resident memory: {} MiB", vm_hwm_kib() / 1024);
}
