//! Transfers in the TUI. It never overwrites a local file without asking: a
//! download that meets one asks (overwrite, keep both, skip; or the same
//! for all), drawn as a popup; each answer does what it says, checked on
//! disk. Marked objects go down together. Quitting while an upload runs
//! asks, and what it leaves is aborted on S3.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent};
use skiff::tui::app::App;
use skiff::tui::msg::Msg;
use tokio::sync::mpsc::UnboundedReceiver;

const README: usize = 900;

async fn until(
    app: &mut App,
    rx: &mut UnboundedReceiver<Msg>,
    what: &str,
    done: impl Fn(&App) -> bool,
) {
    common::pump_until(app, rx, 20, what, done).await;
}

fn select(app: &mut App, text: &str) {
    app.on_key(KeyEvent::from(KeyCode::Char('/')));
    for c in text.chars() {
        app.on_key(KeyEvent::from(KeyCode::Char(c)));
    }
    app.on_key(KeyEvent::from(KeyCode::Enter));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_download_that_meets_a_local_file_asks_and_does_what_was_answered() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let downloads = home.path().join("downloads");
    std::fs::create_dir_all(&downloads).unwrap();
    let mine = downloads.join("README.md");
    std::fs::write(&mine, "my own edits").unwrap();
    let mut config = skiff::config::Config::defaults();
    config.transfer.download_dir = downloads.display().to_string();
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), home.path(), config);
    until(&mut app, &mut rx, "connect", |a| {
        a.world.session.is_some() && !a.busy()
    })
    .await;
    app.browse("rnd-datasets", "");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    select(&mut app, "README");

    // Keep both: the download gets a new name, the local file is untouched.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    for (w, h) in [(80, 24), (120, 40)] {
        let text = skiff::tui::ui::buffer_text(
            &skiff::tui::screens::render(&mut app, w, h).expect("render"),
        );
        assert!(
            text.contains("README.md exists already") && text.contains("k keep both"),
            "{w}x{h}:\n{text}"
        );
    }
    app.on_key(KeyEvent::from(KeyCode::Char('k')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own edits");
    assert_eq!(
        std::fs::read(downloads.join("README (1).md"))
            .unwrap()
            .len(),
        README
    );

    // Skip: nothing is written.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Char('s')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own edits");
    assert!(!downloads.join("README (2).md").exists());

    // Esc: the download is cancelled before anything is written.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Esc));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read_to_string(&mine).unwrap(), "my own edits");

    // Overwrite, when that is the answer.
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    app.on_key(KeyEvent::from(KeyCode::Char('o')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    assert_eq!(std::fs::read(&mine).unwrap().len(), README);

    // A folder with two files already here: one answer for all of them.
    let local = downloads.join("processed");
    std::fs::create_dir_all(&local).unwrap();
    for f in ["features.parquet", "labels.parquet"] {
        std::fs::write(local.join(f), "local").unwrap();
    }
    app.on_key(KeyEvent::from(KeyCode::Esc)); // clear the filter
    select(&mut app, "processed");
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    until(&mut app, &mut rx, "the question", |a| {
        a.mode() == skiff::tui::popups::overwrite::OVERWRITE
    })
    .await;
    let q = app
        .popup::<skiff::tui::popups::overwrite::OverwritePopup>()
        .map(|p| &p.question)
        .expect("question");
    assert_eq!(q.clashes.len(), 2);
    assert!(
        q.lines()
            .iter()
            .any(|l| l.contains("1 other existing file")),
        "{:?}",
        q.lines()
    );
    app.on_key(KeyEvent::from(KeyCode::Char('S')));
    assert_eq!(
        app.mode(),
        skiff::tui::ctx::Mode::NORMAL,
        "one answer for all"
    );
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    for f in ["features.parquet", "labels.parquet"] {
        assert_eq!(
            std::fs::read_to_string(local.join(f)).unwrap(),
            "local",
            "{f} kept"
        );
    }
}

/// Marked objects go down together, into the download folder under their
/// own names, byte for byte what the AWS CLI fetches of them.
#[tokio::test(flavor = "multi_thread")]
async fn marked_objects_download_together() {
    let sb = common::seeded().await;
    let home = tempfile::tempdir().expect("home");
    let downloads = home.path().join("downloads");
    let mut config = skiff::config::Config::defaults();
    config.transfer.download_dir = downloads.display().to_string();
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), home.path(), config);
    until(&mut app, &mut rx, "connect", |a| {
        a.world.session.is_some() && !a.busy()
    })
    .await;
    app.browse("rnd-datasets", "processed/");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    app.on_key(KeyEvent::from(KeyCode::Char(' ')));
    app.on_key(KeyEvent::from(KeyCode::Char(' ')));
    // Away to Transfers and back to Buckets: the folder, marks and all.
    app.on_key(KeyEvent::from(KeyCode::Char('6')));
    app.on_key(KeyEvent::from(KeyCode::Char('3')));
    let objects = skiff::tui::views::objects::ID;
    assert_eq!(app.view(), objects);
    assert_eq!(app.table().marked.len(), 2);
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 80, 24).expect("render"),
    );
    assert!(
        text.contains("processed/") && text.contains("2 marked"),
        "{text}"
    );
    app.on_key(KeyEvent::from(KeyCode::Char('D')));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    let notes: Vec<String> = app.notes.iter().map(|n| n.text.clone()).collect();
    let notes = notes.join(" | ");
    assert!(!notes.contains("one s3:// source"), "{notes}");
    // A download takes the marks; esc goes up a folder keeping new ones,
    // at the top it clears them, then goes back to the buckets.
    assert!(app.table().marked.is_empty());
    app.on_key(KeyEvent::from(KeyCode::Char(' ')));
    app.on_key(KeyEvent::from(KeyCode::Esc));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    assert_eq!((app.view(), app.table().marked.len()), (objects, 1));
    app.on_key(KeyEvent::from(KeyCode::Esc));
    assert_eq!((app.view(), app.table().marked.len()), (objects, 0));
    app.on_key(KeyEvent::from(KeyCode::Esc));
    assert_eq!(app.view(), skiff::tui::views::buckets::ID);
    let theirs = tempfile::tempdir().expect("theirs");
    for (name, size) in [("features.parquet", 96_000), ("labels.parquet", 8_000)] {
        let mine =
            std::fs::read(downloads.join(name)).unwrap_or_else(|e| panic!("{name}: {e} ({notes})"));
        assert_eq!(mine.len(), size, "{name}");
        let their = theirs.path().join(name);
        let (ok, _, err) = common::aws(
            &sb.moto.endpoint(),
            "us-east-1",
            &[
                "s3",
                "cp",
                &format!("s3://rnd-datasets/processed/{name}"),
                &their.display().to_string(),
            ],
        );
        assert!(ok, "{err}");
        assert_eq!(mine, std::fs::read(&their).unwrap(), "{name}");
    }
}

fn open_uploads(endpoint: &str) -> usize {
    let (ok, out, err) = common::aws(
        endpoint,
        "us-east-1",
        &[
            "s3api",
            "list-multipart-uploads",
            "--bucket",
            "rnd-datasets",
        ],
    );
    assert!(ok, "{err}");
    if out.trim().is_empty() {
        return 0;
    }
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    v["Uploads"].as_array().map_or(0, Vec::len)
}

/// `q` (or ctrl-c) while an upload runs asks first, naming it; ctrl-c in
/// the filter prompt cancels the prompt; quitting aborts the unfinished
/// multipart upload, so nothing is left on S3 to cost (the AWS CLI lists
/// none).
#[tokio::test(flavor = "multi_thread")]
async fn quitting_during_an_upload_asks_and_leaves_nothing_on_s3() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let big = home.path().join("big.bin");
    std::fs::File::create(&big)
        .unwrap()
        .set_len(2 << 30)
        .unwrap();
    let mut config = skiff::config::Config::defaults();
    config.transfer.part_size = bytesize::ByteSize::mib(5);
    config.transfer.concurrency = 2;
    let (mut app, mut rx) = common::tui_app(&e, home.path(), config);
    until(&mut app, &mut rx, "connect", |a| {
        a.world.session.is_some() && !a.busy()
    })
    .await;
    app.browse("rnd-datasets", "");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    app.run_command(&format!("upload {}", big.display()));
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while open_uploads(&e) == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the upload never began"
        );
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(200), rx.recv()).await {
            app.on_msg(m);
        }
    }
    assert!(!app.live().is_empty());

    // ctrl-c in the filter prompt cancels the prompt, nothing more.
    let ctrl_c = KeyEvent::new(KeyCode::Char('c'), crossterm::event::KeyModifiers::CONTROL);
    app.on_key(KeyEvent::from(KeyCode::Char('/')));
    app.on_key(KeyEvent::from(KeyCode::Char('x')));
    app.on_key(ctrl_c);
    assert!(app.input.is_none() && !app.quit);

    // q asks, naming the upload; n keeps working.
    app.on_key(KeyEvent::from(KeyCode::Char('q')));
    assert_eq!(app.mode(), skiff::tui::app::QUIT);
    assert!(!app.quit);
    let text = skiff::tui::ui::buffer_text(
        &skiff::tui::screens::render(&mut app, 80, 24).expect("render"),
    );
    assert!(
        text.contains("big.bin") && text.contains("y quit"),
        "{text}"
    );
    app.on_key(KeyEvent::from(KeyCode::Char('n')));
    assert!(!app.quit && app.mode() == skiff::tui::ctx::Mode::NORMAL);

    // ctrl-c asks the same; y quits, and what was left is aborted.
    app.on_key(ctrl_c);
    assert_eq!(app.mode(), skiff::tui::app::QUIT);
    app.on_key(KeyEvent::from(KeyCode::Char('y')));
    assert!(app.quit);
    // What the run loop does once it ends: the upload stops and is aborted.
    app.shut_down().await;
    assert_eq!(open_uploads(&e), 0, "an unfinished upload was left on S3");
}

fn screen(app: &mut App) -> String {
    skiff::tui::ui::buffer_text(&skiff::tui::screens::render(app, 160, 40).expect("render"))
}

/// `:du` counts a folder in the background (the AWS CLI's totals), and
/// `:sync up PATH` shows its plan, asks, and sends what it said.
#[tokio::test(flavor = "multi_thread")]
async fn a_folder_is_counted_and_synced_from_the_tui() {
    let sb = common::seeded().await;
    let e = sb.moto.endpoint();
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = common::tui_app(&e, home.path(), skiff::config::Config::defaults());
    until(&mut app, &mut rx, "connect", |a| {
        a.world.session.is_some() && !a.busy()
    })
    .await;
    app.browse("rnd-datasets", "");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);

    let (ok, theirs, err) = common::aws(
        &e,
        "us-east-1",
        &[
            "s3",
            "ls",
            "s3://rnd-datasets/",
            "--recursive",
            "--summarize",
        ],
    );
    assert!(ok, "{err}");
    let total = |key: &str| -> u64 {
        theirs
            .lines()
            .find_map(|l| l.trim().strip_prefix(key))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("{key} in {theirs}"))
    };
    let (objects, bytes) = (total("Total Objects:"), total("Total Size:"));
    app.run_command("du");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    let text = screen(&mut app);
    let words = format!(
        "Σ {} objects · {}",
        skiff::render::format::thousands(objects as usize),
        bytesize::ByteSize(bytes)
    );
    assert!(text.contains(&words), "{words} in:\n{text}");
    assert!(!text.contains("counting"), "{text}");

    let dir = tempfile::tempdir().unwrap();
    for f in ["one.csv", "two.csv", "sub dir/three.csv"] {
        let p = dir.path().join(f);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, f).unwrap();
    }
    app.browse("rnd-datasets", "incoming/");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    app.run_command(&format!("sync up '{}'", dir.path().display()));
    until(&mut app, &mut rx, "the plan", |a| {
        a.mode() == skiff::tui::folder::SYNC
    })
    .await;
    let text = screen(&mut app);
    assert!(text.contains("3 to upload"), "{text}");
    assert!(
        common::aws(
            &e,
            "us-east-1",
            &["s3", "ls", "s3://rnd-datasets/incoming/"]
        )
        .1
        .is_empty(),
        "nothing is sent before the answer"
    );
    app.on_key(KeyEvent::from(KeyCode::Char('y')));
    let listed = || {
        common::aws(
            &e,
            "us-east-1",
            &["s3", "ls", "s3://rnd-datasets/incoming/", "--recursive"],
        )
        .1
    };
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while listed().lines().count() < 3 {
        assert!(
            std::time::Instant::now() < deadline,
            "not synced: {}",
            listed()
        );
        common::settle(&mut app, &mut rx, Duration::from_secs(1)).await;
    }
    assert!(
        listed().contains("incoming/sub dir/three.csv"),
        "{}",
        listed()
    );
}
