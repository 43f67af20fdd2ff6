//! The TUI against AWS's real timing, through the fault fixture in front of
//! moto: a big account's first page on screen while the rest is on its way,
//! a start shown as pending then running with its elapsed time, and keys
//! answered while every listing is slow.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::time::{Duration, Instant};

use common::Sdk;
use common::faults::FaultProxy;
use crossterm::event::{Event, KeyCode, KeyEvent, KeyModifiers};
use futures::StreamExt;
use serde_json::json;
use skiff::cloud::inventory::{Service, SliceKey};
use skiff::tui::app::App;
use skiff::tui::msg::Msg;
use skiff::tui::screens::render;
use skiff::tui::ui::buffer_text;

fn screen(app: &mut App, w: u16, h: u16) -> String {
    buffer_text(&render(app, w, h).expect("render"))
}

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
}

fn ec2_us_east_1() -> SliceKey {
    SliceKey {
        service: Service::Ec2,
        region: Some("us-east-1".into()),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_big_account_shows_its_first_page_while_the_rest_is_coming() {
    let (moto, session) = common::empty().await;
    let ec2 = session.ec2_client("us-east-1");
    for _ in 0..4 {
        ec2.run_instances()
            .image_id("ami-1e749f67")
            .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
            .min_count(500)
            .max_count(500)
            .send()
            .await
            .expect("run 500 instances");
    }
    // Pages of 500, as AWS serves them; volumes slow to list, so the slice
    // takes seconds to complete after its first page. moto lists 2,000
    // instances in one slow answer, which the proxy then pages: it is asked
    // once here, so what the TUI meets is the paging, not moto's own time.
    let proxy = FaultProxy::start(
        &moto.endpoint(),
        json!({"page_size": 500, "page_cache_s": 300, "op_delay_ms": {"DescribeVolumes": 1500}}),
    );
    let warm = Sdk::ec2_client(&session, "us-east-1")
        .describe_instances()
        .max_results(500)
        .customize()
        .config_override(aws_sdk_ec2::config::Config::builder().endpoint_url(proxy.endpoint()))
        .send()
        .await
        .expect("warm the proxy's pages");
    assert_eq!(
        warm.reservations()
            .iter()
            .map(|r| r.instances().len())
            .sum::<usize>(),
        500
    );
    let home = tempfile::tempdir().expect("home");
    let asked = Instant::now();
    let (mut app, mut rx) = common::tui_app(
        &proxy.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    common::pump_until(&mut app, &mut rx, 90, "the first page", |a| {
        !a.world.inventory.instances.is_empty()
    })
    .await;
    let first = asked.elapsed();
    let shown = app.world.inventory.instances.len();
    assert!(
        shown < 2000 && app.world.loading.contains(&ec2_us_east_1()),
        "rows came before the slice was complete ({shown} of 2,000)"
    );
    let text = screen(&mut app, 100, 30);
    assert!(
        text.contains(&format!(
            "loading {} of …",
            skiff::render::format::thousands(shown)
        )),
        "the header counts the rows in so far:\n{text}"
    );
    assert!(text.contains("i-"), "the rows are on screen:\n{text}");
    common::pump_until(&mut app, &mut rx, 120, "the whole account", |a| {
        a.world.inventory.instances.len() == 2000 && !a.busy()
    })
    .await;
    let all = asked.elapsed();
    let text = screen(&mut app, 100, 30);
    assert!(!text.contains("loading"), "{text}");
    eprintln!(
        "2,000 instances in pages of 500: first page on screen after {:.1} s, all after {:.1} s",
        first.as_secs_f64(),
        all.as_secs_f64()
    );
    assert!(proxy.stats()["pages"]["DescribeInstances"].as_u64() >= Some(4));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_start_shows_pending_then_running_with_its_elapsed_time() {
    let sb = common::seeded().await;
    let proxy = FaultProxy::start(&sb.moto.endpoint(), json!({"hold_pending_s": 4}));
    let home = tempfile::tempdir().expect("home");
    let mut config = skiff::config::Config::defaults();
    config.lifecycle.poll_interval_secs = 1;
    let (mut app, mut rx) = common::tui_app(&proxy.endpoint(), home.path(), config);
    common::pump_until(&mut app, &mut rx, 60, "the inventory", |a| {
        !a.busy() && !a.world.inventory.instances.is_empty()
    })
    .await;
    typed(&mut app, "/gpu-scratch");
    app.on_key(KeyEvent::from(KeyCode::Enter));
    typed(&mut app, "u");
    assert_eq!(
        app.mode(),
        skiff::tui::popups::confirm::CONFIRM,
        "start asks first"
    );
    typed(&mut app, "y");
    let state_cell = |app: &mut App| {
        // As the loop's tick does: transitions count their seconds.
        app.on_tick();
        let text = screen(app, 120, 20);
        text.lines()
            .find(|l| l.contains("gpu-scratch") && l.contains("i-"))
            .unwrap_or_default()
            .to_string()
    };
    common::pump_until(&mut app, &mut rx, 30, "AWS saying pending", |a| {
        a.world.transitions.values().any(|t| t.label == "pending")
    })
    .await;
    // Let a second or two pass: the row counts them.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let row = state_cell(&mut app);
    assert!(
        row.contains("pending… 1s") || row.contains("pending… 2s") || row.contains("pending… 3s"),
        "the row says pending with the seconds since the start: {row}"
    );
    common::pump_until(&mut app, &mut rx, 30, "the start to finish", |a| {
        a.world.transitions.is_empty()
    })
    .await;
    common::pump_until(&mut app, &mut rx, 30, "the row to say running", |a| {
        a.world
            .inventory
            .instances
            .iter()
            .any(|i| i.display_name() == "gpu-scratch" && i.state.as_str() == "running")
    })
    .await;
    let row = state_cell(&mut app);
    assert!(row.contains("running"), "{row}");
    assert!(
        proxy.stats()["faults"]["hold_pending"].as_u64() > Some(0),
        "AWS's timing was in play"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn keys_are_answered_while_every_listing_is_slow() {
    let sb = common::seeded().await;
    // Every answer takes 8 s.
    let proxy = FaultProxy::start(&sb.moto.endpoint(), json!({"delay_ms": 8000}));
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = common::tui_app(
        &proxy.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    // The connection is made; the slices are on their way, slowly.
    common::pump_until(&mut app, &mut rx, 30, "the slices to be asked for", |a| {
        !a.world.loading.is_empty()
    })
    .await;
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(80, 24)).expect("terminal");
    let mut keys: Vec<std::io::Result<Event>> = ":clusters"
        .chars()
        .map(|c| Ok(Event::Key(KeyEvent::from(KeyCode::Char(c)))))
        .collect();
    keys.push(Ok(Event::Key(KeyEvent::from(KeyCode::Enter))));
    keys.push(Ok(Event::Key(KeyEvent::from(KeyCode::Char('?')))));
    keys.push(Ok(Event::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    ))));
    let stream = futures::stream::iter(keys).chain(futures::stream::pending());
    skiff::tui::run_loop(
        &mut app,
        &mut terminal,
        Box::pin(stream),
        &mut rx,
        std::future::pending(),
    )
    .await
    .expect("loop");
    assert_eq!(
        app.view(),
        skiff::tui::views::clusters::ID,
        "the command was carried out"
    );
    assert!(!app.popups.is_empty(), "the help opened");
    assert!(
        !app.world.loading.is_empty(),
        "and all of it before any slow answer came back"
    );
    let text = buffer_text(terminal.backend().buffer());
    assert!(
        text.contains("loading"),
        "the header says it is loading:\n{text}"
    );
    // Nothing stale slipped in: drain what is left without a panic.
    while let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(50), rx.recv()).await {
        if !matches!(m, Msg::Slice { .. }) {
            app.on_msg(m);
        }
    }
}

/// Feeds the app what has arrived and lets its clock tick, until `done`.
async fn tick_until(
    app: &mut App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<Msg>,
    secs: u64,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    let deadline = Instant::now() + Duration::from_secs(secs);
    while !done(app) {
        assert!(Instant::now() < deadline, "{what} (waited {secs} s)");
        while let Ok(m) = rx.try_recv() {
            app.on_msg(m);
        }
        app.on_tick();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The endpoint goes away: the header says OFFLINE once, what was listed
/// stays; it comes back on the same address: the lists return by
/// themselves, without a key.
#[tokio::test(flavor = "multi_thread")]
async fn offline_keeps_what_was_listed_and_recovers_by_itself() {
    let sb = common::seeded().await;
    let port = sb.moto.port();
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = common::tui_app(
        &sb.moto.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    tick_until(&mut app, &mut rx, 60, "the inventory", |a| {
        !a.busy() && !a.world.inventory.instances.is_empty()
    })
    .await;
    let listed = app.world.inventory.instances.len();
    let common::Sandbox { mut moto, .. } = sb;
    moto.stop();
    app.refresh();
    tick_until(&mut app, &mut rx, 10, "offline", |a| {
        a.world.offline.is_some()
    })
    .await;
    let text = screen(&mut app, 80, 24);
    assert!(text.contains("OFFLINE"), "{text}");
    assert_eq!(
        app.world.inventory.instances.len(),
        listed,
        "what was listed stays"
    );
    let said = app
        .notes
        .iter()
        .filter(|n| n.text.starts_with("offline:"))
        .count();
    assert_eq!(said, 1, "said once, not per slice");

    let moto = tokio::task::spawn_blocking(move || skiff::sandbox::MotoServer::start_on(port))
        .await
        .expect("task")
        .expect("moto again on the same port");
    let session =
        skiff::cloud::Session::connect(&skiff::sandbox::sandbox_options(&moto.endpoint()))
            .await
            .expect("session");
    skiff::sandbox::seed_sample_account(&session)
        .await
        .expect("seed");
    tick_until(&mut app, &mut rx, 30, "back online without a key", |a| {
        a.world.offline.is_none() && !a.busy() && !a.world.inventory.instances.is_empty()
    })
    .await;
    assert!(!screen(&mut app, 80, 24).contains("OFFLINE"));
}

/// A damaged cost ledger: the TUI says so once, naming where it was kept.
#[tokio::test(flavor = "multi_thread")]
async fn a_damaged_ledger_is_named_once_in_the_tui() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let state = home.path().join("s");
    std::fs::create_dir_all(&state).unwrap();
    std::fs::write(state.join("ledger.json"), "{\"resources\": {").unwrap();
    let (mut app, mut rx) = common::tui_app(
        &sb.moto.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    tick_until(&mut app, &mut rx, 60, "the inventory", |a| {
        !a.busy() && !a.world.inventory.instances.is_empty()
    })
    .await;
    let said: Vec<String> = app
        .notes
        .iter()
        .filter(|n| n.text.contains("ledger.json.damaged"))
        .map(|n| n.text.clone())
        .collect();
    assert_eq!(said.len(), 1, "{said:?}");
    assert!(said[0].contains("costs restart from now"), "{said:?}");
    assert_eq!(
        std::fs::read_to_string(state.join("ledger.json.damaged")).unwrap(),
        "{\"resources\": {"
    );
}
