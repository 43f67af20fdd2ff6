//! Guards and leftovers from the TUI, against moto, checked with the AWS
//! CLI: the guard dialog sets an idle guard and a schedule (asking for the
//! role after showing its policies) and clears them; the GUARD column and
//! the details show them; the Leftovers view lists a loose volume and
//! removes it once its id is typed; read-only refuses both.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::{Sdk, aws, aws_json, pump_until};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use skiff::tui::app::App;
use skiff::tui::screens::render;
use skiff::tui::ui::buffer_text;

fn typed(app: &mut App, text: &str) {
    for c in text.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
}

fn key(app: &mut App, code: KeyCode) {
    app.on_key(KeyEvent::from(code));
}

fn alarm_count(e: &str) -> usize {
    aws_json(e, "us-east-1", &["cloudwatch", "describe-alarms"])["MetricAlarms"]
        .as_array()
        .map_or(0, Vec::len)
}

fn schedule_names(e: &str) -> Vec<String> {
    let (ok, out, _) = aws(
        e,
        "us-east-1",
        &["scheduler", "list-schedules", "--group-name", "skiff"],
    );
    if !ok {
        return Vec::new();
    }
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["Schedules"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["Name"].as_str().unwrap().to_string())
        .collect()
}

async fn connected(
    e: &str,
    home: &std::path::Path,
) -> (
    App,
    tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
) {
    let (mut app, mut rx) = common::tui_app(e, home, skiff::config::Config::defaults());
    pump_until(&mut app, &mut rx, 60, "the inventory", |a| {
        !a.busy() && !a.world.inventory.instances.is_empty()
    })
    .await;
    (app, rx)
}

#[tokio::test(flavor = "multi_thread")]
async fn the_guard_dialog_sets_and_clears_guards_and_the_column_shows_them() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = connected(&e, home.path()).await;
    key(&mut app, KeyCode::Char('2'));
    typed(&mut app, "/rnd");
    key(&mut app, KeyCode::Enter);

    // Idle: 30m in the first field, then enter.
    typed(&mut app, "a");
    assert_eq!(app.mode(), skiff::tui::popups::guard::GUARD);
    for _ in 0..8 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "30m");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.mode(),
        skiff::tui::ctx::Mode::NORMAL,
        "the dialog closed to do it"
    );
    pump_until(
        &mut app,
        &mut rx,
        30,
        "the alarms and the guard list",
        |a| a.world.guards.len() == 4,
    )
    .await;
    assert_eq!(alarm_count(&e), 4, "one alarm per node");
    let text = buffer_text(&render(&mut app, 200, 20).expect("render"));
    let row = text
        .lines()
        .find(|l| l.contains("rnd-master"))
        .unwrap_or_default();
    assert!(row.contains("idle 30m"), "the GUARD column: {row}\n{text}");

    // A schedule: the dialog starts from the idle time set (not the
    // default); a stop time typed, then enter; skiff's role does not
    // exist, so its policies are shown first.
    typed(&mut app, "a");
    let dialog = |a: &App| {
        a.popup::<skiff::tui::popups::guard::GuardDialog>()
            .map(|d| d.fields.clone())
            .expect("the dialog")
    };
    assert_eq!(dialog(&app)[0], "30m");
    key(&mut app, KeyCode::Down);
    for _ in 0..20 {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, "daily 18:45");
    key(&mut app, KeyCode::Enter);
    pump_until(&mut app, &mut rx, 30, "the role question", |a| {
        a.mode() == skiff::tui::resource::guard::ROLE_QUESTION
    })
    .await;
    // No to the role: the dialog comes back with what was typed.
    typed(&mut app, "n");
    assert_eq!(app.mode(), skiff::tui::popups::guard::GUARD);
    assert_eq!(dialog(&app)[1], "daily 18:45");
    key(&mut app, KeyCode::Enter);
    pump_until(&mut app, &mut rx, 30, "the role question", |a| {
        a.mode() == skiff::tui::resource::guard::ROLE_QUESTION
    })
    .await;
    assert!(schedule_names(&e).is_empty(), "nothing before the answer");
    let text = buffer_text(&render(&mut app, 120, 60).expect("render"));
    assert!(
        text.contains("scheduler.amazonaws.com") && text.contains("ec2:StopInstances"),
        "{text}"
    );
    typed(&mut app, "y");
    pump_until(&mut app, &mut rx, 30, "the schedules", |a| {
        a.world
            .guards
            .iter()
            .filter(|g| g.kind == "schedule")
            .count()
            == 2
    })
    .await;
    let mut names = schedule_names(&e);
    names.sort();
    assert_eq!(names, ["skiff-stop-rnd-master", "skiff-stop-rnd-workers"]);
    key(&mut app, KeyCode::Enter);
    let details = buffer_text(&render(&mut app, 120, 60).expect("render"));
    assert!(details.contains("stop 18:45 daily (workers)"), "{details}");
    key(&mut app, KeyCode::Esc);
    typed(&mut app, "a");
    assert_eq!(dialog(&app)[1], "daily 18:45", "the schedule set");
    key(&mut app, KeyCode::Esc);

    // Clear: ctrl-d asks, y removes everything (and the role with it).
    typed(&mut app, "a");
    app.on_key(KeyEvent::new(KeyCode::Char('d'), KeyModifiers::CONTROL));
    typed(&mut app, "y");
    pump_until(&mut app, &mut rx, 30, "the guards gone", |a| {
        a.world.guards.is_empty()
    })
    .await;
    assert_eq!(alarm_count(&e), 0);
    assert!(schedule_names(&e).is_empty());
    assert!(
        !aws(
            &e,
            "us-east-1",
            &["iam", "get-role", "--role-name", "skiff-scheduler"]
        )
        .0
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_leftovers_view_removes_a_volume_once_its_id_is_typed() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let vol = sb
        .session
        .ec2_client("us-east-1")
        .create_volume()
        .availability_zone("us-east-1a")
        .size(100)
        .volume_type(aws_sdk_ec2::types::VolumeType::Gp3)
        .send()
        .await
        .expect("volume")
        .volume_id()
        .unwrap()
        .to_string();
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = connected(&e, home.path()).await;
    key(&mut app, KeyCode::Char('7'));
    assert_eq!(app.view(), skiff::tui::views::leftovers::ID);
    pump_until(&mut app, &mut rx, 60, "the leftovers", |a| {
        a.view_of::<skiff::tui::views::leftovers::Leftovers>()
            .expect("leftovers")
            .found
            .is_some()
    })
    .await;
    typed(&mut app, &format!("/{vol}"));
    key(&mut app, KeyCode::Enter);
    let text = buffer_text(&render(&mut app, 120, 30).expect("render"));
    assert!(text.contains(&vol) && text.contains("$8.00"), "{text}");
    // At 80 columns the row still says what it is and why it is listed.
    let text = buffer_text(&render(&mut app, 80, 24).expect("render"));
    let row = text
        .lines()
        .find(|l| l.starts_with("volume"))
        .unwrap_or_default();
    assert!(
        row.contains(&vol) && row.contains("attached"),
        "{row}\n{text}"
    );
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.mode(), skiff::tui::popups::confirm::TYPE_CONFIRM);
    typed(&mut app, "vol-nope");
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.mode(),
        skiff::tui::popups::confirm::TYPE_CONFIRM,
        "a wrong id removes nothing"
    );
    for _ in 0.."vol-nope".len() {
        key(&mut app, KeyCode::Backspace);
    }
    typed(&mut app, &vol);
    key(&mut app, KeyCode::Enter);
    pump_until(
        &mut app,
        &mut rx,
        60,
        "the volume gone from the list",
        |a| {
            a.view_of::<skiff::tui::views::leftovers::Leftovers>()
                .expect("leftovers")
                .found
                .as_ref()
                .is_some_and(|f| f.items.iter().all(|i| i.id != vol))
                && !a
                    .view_of::<skiff::tui::views::leftovers::Leftovers>()
                    .expect("leftovers")
                    .loading
        },
    )
    .await;
    let vols = aws_json(&e, "us-east-1", &["ec2", "describe-volumes"]);
    assert!(!vols.to_string().contains(&vol), "deleted in AWS");
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_refuses_guards_and_removals_in_the_tui() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = connected(&e, home.path()).await;
    app.world.set_read_only_flag(true);
    let recorder = common::Recorder::start(&e);
    typed(&mut app, "a");
    assert_eq!(
        app.mode(),
        skiff::tui::ctx::Mode::NORMAL,
        "no dialog in read-only mode"
    );
    assert!(
        app.current_notification()
            .is_some_and(|n| n.text.contains("read-only"))
    );
    key(&mut app, KeyCode::Char('7'));
    pump_until(&mut app, &mut rx, 60, "the leftovers", |a| {
        a.view_of::<skiff::tui::views::leftovers::Leftovers>()
            .expect("leftovers")
            .found
            .is_some()
    })
    .await;
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert!(
        recorder.mutations().is_empty(),
        "{:?}",
        recorder.mutations()
    );
}
