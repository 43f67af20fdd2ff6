//! Read-only changes nothing, from either face, by every path that writes:
//! moto's own request log (its recorder) must show no mutating request
//! after each of them. And the gate holds below the faces: a copy run with a
//! read-only gate sends nothing even when nothing above checked first.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::sync::Arc;
use std::time::Duration;

use common::{Recorder, run_skiff};
use crossterm::event::{KeyCode, KeyEvent};
use skiff::ops::transfer::copy::{self, CopyRequest, FileResult};
use skiff::ops::transfer::{Progress, TransferOptions};
use skiff::tui::app::App;

fn no_mutations(recorder: &Recorder, what: &str) {
    let m = recorder.mutations();
    assert!(
        m.is_empty(),
        "{what}: mutating requests reached moto: {:?}",
        m.iter().map(|r| &r.operation).collect::<Vec<_>>()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_cli_in_read_only_mode_sends_no_mutating_request() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("data.csv");
    std::fs::write(&file, "a,b\n").unwrap();
    let folder = home.path().join("run");
    std::fs::create_dir_all(&folder).unwrap();
    std::fs::write(folder.join("x.txt"), "x").unwrap();
    // A terminated EMR cluster to try relaunching.
    for args in [
        vec!["protect", "analytics", "off"],
        vec!["terminate", "analytics", "--confirm", "analytics"],
    ] {
        let mut all = vec!["--region", "us-east-1"];
        all.extend(args);
        let run = run_skiff(&e, home.path(), &all);
        assert_eq!(run.code, 0, "{}", run.stderr);
    }
    let recorder = Recorder::start(&e);
    let (f, d) = (file.to_str().unwrap(), folder.to_str().unwrap());
    let emr = sb.seeded.emr_cluster_id.as_str();
    let writes: Vec<Vec<&str>> = vec![
        vec!["start", "legacy"],
        vec!["stop", "rnd", "ds-workbench"],
        vec!["pause", "ds-workbench"],
        vec!["resume", "legacy"],
        vec!["reboot", "rnd"],
        vec!["terminate", "gpu-scratch", "--confirm", "gpu-scratch"],
        vec!["protect", "rnd", "on"],
        vec!["relaunch", "analytics"],
        vec!["idle-timeout", emr, "2h"],
        vec!["cp", f, "s3://rnd-datasets/up/"],
        vec!["cp", "-r", d, "s3://rnd-datasets/up/run/"],
        vec!["rm", "s3://rnd-datasets/README.md"],
        vec!["rm", "s3://rnd-datasets/raw/", "--recursive"],
        vec!["mb", "s3://made-while-read-only"],
    ];
    for args in writes {
        let mut all = vec!["--read-only", "--region", "us-east-1"];
        all.extend(&args);
        let run = run_skiff(&e, home.path(), &all);
        assert_eq!(run.code, 1, "{args:?} in read-only mode: {}", run.stdout);
        assert!(
            format!("{}{}", run.stdout, run.stderr).contains("read-only mode"),
            "{args:?}: {}{}",
            run.stdout,
            run.stderr
        );
        no_mutations(&recorder, &args.join(" "));
    }
    // Reading still works: a download.
    let out = home.path().join("down");
    let run = run_skiff(
        &e,
        home.path(),
        &[
            "--read-only",
            "cp",
            "s3://rnd-datasets/README.md",
            &format!("{}/", out.display()),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(out.join("README.md").is_file());
    no_mutations(&recorder, "a download");
}

async fn settle(
    app: &mut App,
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<skiff::tui::msg::Msg>,
) {
    let deadline = std::time::Instant::now() + Duration::from_millis(1500);
    while std::time::Instant::now() < deadline {
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            app.on_msg(m);
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tui_in_read_only_mode_sends_no_mutating_request() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let up = home.path().join("up");
    std::fs::create_dir_all(up.join("folder")).unwrap();
    std::fs::write(up.join("a.txt"), "a").unwrap();
    std::fs::write(up.join("folder/b.txt"), "b").unwrap();
    let mut config = skiff::config::Config::defaults();
    config.transfer.upload_dir = up.display().to_string();
    let (mut app, mut rx) = common::tui_app(&e, home.path(), config);
    app.world.force_read_only();
    common::pump_until(&mut app, &mut rx, 20, "inventory", |app| {
        !app.world.inventory.instances.is_empty() && !app.busy()
    })
    .await;
    let recorder = Recorder::start(&e);
    let key = |app: &mut App, c: KeyCode| app.on_key(KeyEvent::from(c));
    let typed = |app: &mut App, text: &str| {
        for c in text.chars() {
            app.on_key(KeyEvent::from(KeyCode::Char(c)));
        }
    };
    // Lifecycle keys on instances and clusters, with y for any question.
    for (view, keys) in [('1', "uxpPBT"), ('2', "uxpPBT")] {
        key(&mut app, KeyCode::Char(view));
        for k in keys.chars() {
            key(&mut app, KeyCode::Char(k));
            key(&mut app, KeyCode::Char('y'));
            key(&mut app, KeyCode::Esc);
        }
        settle(&mut app, &mut rx).await;
        no_mutations(&recorder, &format!("lifecycle keys in view {view}"));
    }
    // In a bucket: U with the file picker, :upload, delete, :mb.
    app.browse("rnd-datasets", "");
    settle(&mut app, &mut rx).await;
    assert_eq!(app.view(), skiff::tui::views::objects::ID);
    key(&mut app, KeyCode::Char('U'));
    if app.mode() == skiff::tui::popups::picker::PICKER {
        key(&mut app, KeyCode::Char(' '));
        key(&mut app, KeyCode::Char(' '));
        key(&mut app, KeyCode::Char('u'));
    }
    settle(&mut app, &mut rx).await;
    no_mutations(&recorder, "U in the file picker");
    typed(&mut app, ":");
    typed(&mut app, &format!("upload {}", up.join("folder").display()));
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &mut rx).await;
    no_mutations(&recorder, ":upload");
    key(&mut app, KeyCode::Delete);
    key(&mut app, KeyCode::Char('y'));
    settle(&mut app, &mut rx).await;
    no_mutations(&recorder, "delete");
    typed(&mut app, ":mb made-in-the-tui");
    key(&mut app, KeyCode::Enter);
    settle(&mut app, &mut rx).await;
    no_mutations(&recorder, ":mb");
    let said: Vec<&str> = app.notes.iter().map(|n| n.text.as_str()).collect();
    assert!(
        said.iter().any(|t| t.contains("read-only mode")),
        "read-only was said: {said:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_copy_run_behind_a_read_only_gate_sends_nothing() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let dir = home.path().join("d");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("small.txt"), "s").unwrap();
    std::fs::write(dir.join("big.bin"), vec![7u8; 12 << 20]).unwrap();
    let recorder = Recorder::start(&sb.moto.endpoint());
    let req = CopyRequest {
        sources: vec![dir.display().to_string()],
        dest: "s3://rnd-datasets/gate/".into(),
        recursive: true,
        skip_identical: false,
    };
    let plan = copy::plan(&sb.session, &req).await.expect("plan");
    assert_eq!(plan.items.len(), 2);
    let home = tempfile::tempdir().expect("home");
    let dirs = skiff::config::Dirs {
        config: home.path().join("c"),
        state: home.path().join("s"),
        cache: home.path().join("k"),
    };
    let read_only = skiff::ops::connect::Context::for_session(
        sb.session.clone(),
        skiff::config::Config::defaults(),
        dirs,
        true,
    )
    .actions();
    let opts = TransferOptions {
        multipart_threshold: 8 << 20,
        part_size: 5 << 20,
        concurrency: 2,
    };
    let results = copy::run(
        &read_only,
        &plan,
        &opts,
        &home.path().join("journal"),
        false,
        &Arc::new(Progress::default()),
    )
    .await;
    assert_eq!(results.len(), 2);
    for r in &results {
        let FileResult::Failed { why, .. } = r else {
            panic!("sent despite read-only: {r:?}")
        };
        assert!(why.contains("read-only mode"), "{why}");
    }
    no_mutations(&recorder, "a copy behind a read-only gate");
}
