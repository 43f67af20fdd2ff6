//! S3 transfers against moto: byte-identical round trips (read back with a
//! plain GetObject, since moto never verifies checksums), cancel, a resumed
//! kill -9, and bad input.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use common::Sdk;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use assert_cmd::Command;
use futures::StreamExt;
use serde_json::Value;
use skiff::ops::transfer::plan::MIB;
use skiff::ops::transfer::{
    Progress, TransferError, TransferOptions, download_object, upload_file,
};

/// Deterministic pseudo-random bytes (a simple LCG: content, not security).
fn data(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed
        .wrapping_mul(6364136223846793005)
        .wrapping_add(1442695040888963407);
    (0..len)
        .map(|_| {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 33) as u8
        })
        .collect()
}

async fn read_back(s3: &aws_sdk_s3::Client, bucket: &str, key: &str) -> Vec<u8> {
    let out = s3
        .get_object()
        .bucket(bucket)
        .key(key)
        .send()
        .await
        .expect("get");
    out.body
        .collect()
        .await
        .expect("body")
        .into_bytes()
        .to_vec()
}

fn opts() -> TransferOptions {
    TransferOptions {
        multipart_threshold: 8 * MIB,
        part_size: 5 * MIB,
        concurrency: 4,
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn round_trips_are_byte_identical_at_the_part_edges() {
    let (_moto, session) = common::empty().await;
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("data")
        .send()
        .await
        .expect("bucket");
    let dir = tempfile::tempdir().expect("dir");
    let five = usize::try_from(5 * MIB).expect("size");
    for (n, len) in [
        0,
        1,
        five - 1,
        five,
        17 * usize::try_from(MIB).expect("size"),
    ]
    .into_iter()
    .enumerate()
    {
        let bytes = data(len, n as u64);
        let file = dir.path().join(format!("f{n}"));
        std::fs::write(&file, &bytes).expect("write");
        let key = format!("edge/{len}.bin");
        let progress = Arc::new(Progress::default());
        let bucket = session.bucket("data").await.expect("bucket");
        let actions = skiff::sandbox::seeder(&session).expect("a local emulator");
        let up = upload_file(
            &actions,
            &bucket,
            &file,
            &key,
            &opts(),
            &dir.path().join("journal"),
            &progress,
        )
        .await
        .expect("upload");
        assert_eq!(up.size, len as u64);
        assert_eq!(
            up.parts,
            if len > usize::try_from(8 * MIB).expect("size") {
                4
            } else {
                1
            },
            "{len}: 17 MiB in 5 MiB parts"
        );
        assert_eq!(
            read_back(&s3, "data", &key).await,
            bytes,
            "{len} bytes read back"
        );
        let back = dir.path().join(format!("back{n}"));
        // With the size a listing gives (one GET for small objects) and
        // without (HeadObject first), in turn.
        let size = download_object(
            &bucket,
            &key,
            &back,
            (n % 2 == 0).then_some(len as u64),
            &opts(),
            &Arc::new(Progress::default()),
        )
        .await
        .expect("download");
        assert_eq!(size, len as u64);
        assert_eq!(
            std::fs::read(&back).expect("read"),
            bytes,
            "{len} bytes downloaded"
        );
    }
}

fn skiff(endpoint: &str, home: &Path) -> Command {
    let mut cmd = Command::cargo_bin("skiff").expect("binary");
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .args(["--region", "us-east-1"]);
    cmd
}

fn tree(root: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("dir").flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.push((
                    p.strip_prefix(root).expect("rel").to_path_buf(),
                    std::fs::read(&p).expect("read"),
                ));
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread")]
async fn a_folder_tree_with_spaces_and_non_ascii_names_round_trips() {
    let (moto, session) = common::empty().await;
    session
        .s3_client("us-east-1")
        .create_bucket()
        .bucket("data")
        .send()
        .await
        .expect("bucket");
    let home = tempfile::tempdir().expect("home");
    let src = home.path().join("dataset");
    for (rel, len) in [
        ("a.csv", 10),
        ("sub dir/b c.txt", 2000),
        (
            "sub dir/deeper/ünïcødé 数据.bin",
            9 * usize::try_from(MIB).expect("size"),
        ),
        ("empty.txt", 0),
    ] {
        let p = src.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(&p, data(len, rel.len() as u64)).expect("write");
    }
    let up = skiff(&moto.endpoint(), home.path())
        .args(["cp", "-r"])
        .arg(&src)
        // As with `aws s3 cp`, a folder's files go under the prefix given.
        .args(["s3://data/in/dataset/", "--part-size", "5MiB"])
        .output()
        .expect("cp up");
    assert!(
        up.status.success(),
        "{}",
        String::from_utf8_lossy(&up.stderr)
    );
    let listed = skiff(&moto.endpoint(), home.path())
        .args(["ls", "s3://data/in/dataset/sub dir/", "--json"])
        .output()
        .expect("ls");
    let doc: Value = serde_json::from_slice(&listed.stdout).expect("json");
    assert_eq!(doc["folders"][0], "in/dataset/sub dir/deeper/");
    assert_eq!(doc["objects"][0]["key"], "in/dataset/sub dir/b c.txt");

    let dst = home.path().join("back");
    let down = skiff(&moto.endpoint(), home.path())
        .args(["cp", "-r", "s3://data/in/dataset/"])
        .arg(&dst)
        .output()
        .expect("cp down");
    assert!(
        down.status.success(),
        "{}",
        String::from_utf8_lossy(&down.stderr)
    );
    assert_eq!(tree(&dst), tree(&src));

    // Again with --skip-identical: nothing is sent.
    let again = skiff(&moto.endpoint(), home.path())
        .args(["cp", "-r"])
        .arg(&src)
        .args([
            "s3://data/in/dataset/",
            "--part-size",
            "5MiB",
            "--skip-identical",
            "--json",
        ])
        .output()
        .expect("again");
    let doc: Value = serde_json::from_slice(&again.stdout).expect("json");
    assert_eq!(doc["bytes_sent"], 0, "{doc}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_cancelled_upload_leaves_no_multipart_upload_behind() {
    let (_moto, session) = common::empty().await;
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("data")
        .send()
        .await
        .expect("bucket");
    let dir = tempfile::tempdir().expect("dir");
    let file = dir.path().join("big");
    std::fs::write(&file, data(60 * usize::try_from(MIB).expect("size"), 7)).expect("write");
    let progress = Arc::new(Progress::default());
    let opts = TransferOptions {
        multipart_threshold: 8 * MIB,
        part_size: 5 * MIB,
        concurrency: 1,
    };
    let task = {
        let (session, file, progress, journal) = (
            session.clone(),
            file.clone(),
            progress.clone(),
            dir.path().join("journal"),
        );
        tokio::spawn(async move {
            let bucket = session.bucket("data").await.expect("bucket");
            let actions = skiff::sandbox::seeder(&session).expect("a local emulator");
            upload_file(&actions, &bucket, &file, "big", &opts, &journal, &progress).await
        })
    };
    let deadline = Instant::now() + Duration::from_secs(30);
    while progress.done.load(std::sync::atomic::Ordering::SeqCst) < 5 * MIB {
        assert!(Instant::now() < deadline, "no part was sent");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    progress.cancel();
    let result = task.await.expect("join");
    assert!(
        matches!(result, Err(TransferError::Cancelled(_))),
        "{result:?}"
    );
    let uploads = s3
        .list_multipart_uploads()
        .bucket("data")
        .send()
        .await
        .expect("list");
    assert!(
        uploads.uploads().is_empty(),
        "aborted: {:?}",
        uploads.uploads()
    );
    assert!(
        std::fs::read_dir(dir.path().join("journal"))
            .map(|d| d.count())
            .unwrap_or(0)
            == 0,
        "journal removed"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn an_upload_killed_mid_way_resumes_and_ends_byte_identical() {
    let (moto, session) = common::empty().await;
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("data")
        .send()
        .await
        .expect("bucket");
    let home = tempfile::tempdir().expect("home");
    let file = home.path().join("big.bin");
    let bytes = data(60 * usize::try_from(MIB).expect("size"), 11);
    std::fs::write(&file, &bytes).expect("write");
    let journal_dir = home.path().join("state/uploads");

    let mut child = std::process::Command::new(assert_cmd::cargo::cargo_bin("skiff"))
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(&moto.endpoint(), home.path()))
        .args(["--region", "us-east-1", "cp"])
        .arg(&file)
        .args([
            "s3://data/big.bin",
            "--part-size",
            "5MiB",
            "--concurrency",
            "1",
        ])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("cp");
    // Kill -9 once the journal records at least two parts.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let parts = std::fs::read_dir(&journal_dir)
            .ok()
            .and_then(|mut d| {
                d.find_map(|e| {
                    e.ok()
                        .filter(|e| e.path().extension().is_some_and(|x| x == "json"))
                })
            })
            .and_then(|e| std::fs::read(e.path()).ok())
            .and_then(|b| serde_json::from_slice::<Value>(&b).ok())
            .map_or(0, |j| j["parts"].as_object().map_or(0, |p| p.len()));
        if parts >= 2 {
            break;
        }
        assert!(
            child.try_wait().expect("wait").is_none(),
            "the upload finished before it could be killed"
        );
        assert!(Instant::now() < deadline, "no parts journaled");
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().expect("kill -9");
    let _ = child.wait();

    let out = skiff(&moto.endpoint(), home.path())
        .arg("cp")
        .arg(&file)
        .args(["s3://data/big.bin", "--part-size", "5MiB", "--json"])
        .output()
        .expect("resume");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let doc: Value = serde_json::from_slice(&out.stdout).expect("json");
    let sent = doc["bytes_sent"].as_u64().expect("sent");
    let resumed = doc["bytes_resumed"].as_u64().expect("resumed");
    assert!(resumed >= 10 * MIB, "{doc}");
    assert!(
        sent < bytes.len() as u64,
        "sent {sent} of {}: fewer bytes than a fresh upload",
        bytes.len()
    );
    assert_eq!(sent + resumed, bytes.len() as u64);
    assert_eq!(read_back(&s3, "data", "big.bin").await, bytes);
    assert!(
        s3.list_multipart_uploads()
            .bucket("data")
            .send()
            .await
            .expect("list")
            .uploads()
            .is_empty()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bad_input_gives_a_clear_message_and_exit_code() {
    let (moto, session) = common::empty().await;
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("data")
        .send()
        .await
        .expect("bucket");
    s3.put_object()
        .bucket("data")
        .key("evil/../../escaped.txt")
        .body(b"x".to_vec().into())
        .send()
        .await
        .expect("evil key");
    s3.put_object()
        .bucket("data")
        .key("evil/fine.txt")
        .body(b"ok".to_vec().into())
        .send()
        .await
        .expect("fine key");
    let home = tempfile::tempdir().expect("home");
    let e = moto.endpoint();
    let fail = |args: &[&str]| {
        let out = skiff(&e, home.path()).args(args).output().expect("run");
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        String::from_utf8_lossy(&out.stderr).into_owned()
    };
    let err = fail(&["cp", "/nonexistent/data.csv", "s3://data/x"]);
    assert!(
        err.contains("/nonexistent/data.csv: No such file or directory"),
        "{err}"
    );
    let local = home.path().join("f.txt");
    std::fs::write(&local, "hi").expect("write");
    let local = local.display().to_string();
    let err = fail(&["cp", &local, "s3://no-such-bucket/x"]);
    assert!(err.contains("NoSuchBucket"), "{err}");
    let err = fail(&["mb", "s3://Not_Valid"]);
    assert!(
        err.contains("is not a valid bucket name: use only lowercase"),
        "{err}"
    );
    let err = fail(&["cp", &local, "s3://x/y"]);
    assert!(err.contains("3 to 63 characters"), "{err}");
    // A bucket that exists already is not "made" again (us-east-1 answers
    // CreateBucket of one's own bucket with 200).
    let err = fail(&["mb", "s3://data"]);
    assert!(err.contains("s3://data exists already"), "{err}");
    let err = fail(&["--read-only", "mb", "s3://made-in-read-only"]);
    assert!(err.contains("read-only mode"), "{err}");
    // Outside us-east-1 the region goes in as the location constraint.
    let made = Command::cargo_bin("skiff")
        .expect("binary")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(&e, home.path()))
        .args(["--region", "eu-west-1", "mb", "s3://made-in-ireland"])
        .output()
        .expect("run");
    assert!(
        made.status.success(),
        "{}",
        String::from_utf8_lossy(&made.stderr)
    );
    let loc = s3
        .get_bucket_location()
        .bucket("made-in-ireland")
        .send()
        .await
        .expect("location");
    assert_eq!(
        loc.location_constraint().map(|c| c.as_str().to_string()),
        Some("eu-west-1".to_string())
    );
    assert!(
        s3.head_bucket()
            .bucket("made-in-read-only")
            .send()
            .await
            .is_err(),
        "read-only made nothing"
    );
    let out_dir = home.path().join("out");
    let err = fail(&[
        "cp",
        "-r",
        "s3://data/evil/",
        &out_dir.display().to_string(),
    ]);
    assert!(
        err.contains("refusing key `evil/../../escaped.txt`: it would be written outside"),
        "{err}"
    );
    assert!(
        out_dir.join("fine.txt").is_file(),
        "the safe key still arrives"
    );
    assert!(
        !home.path().join("escaped.txt").exists()
            && !out_dir.parent().expect("p").join("escaped.txt").exists()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_tui_browses_a_bucket_lazily_and_transfers_both_ways() {
    use crossterm::event::{KeyCode, KeyEvent};
    use skiff::tui::app::App;
    let sb = common::seeded().await;
    let s3 = sb.session.s3_client("us-east-1");
    // A folder with more keys than one page (1,000).
    let puts = (0..2500).map(|n| {
        let s3 = s3.clone();
        async move {
            s3.put_object()
                .bucket("rnd-datasets")
                .key(format!("many/obj-{n:05}.txt"))
                .body(b"x".to_vec().into())
                .send()
                .await
                .expect("put")
        }
    });
    futures::stream::iter(puts)
        .buffer_unordered(32)
        .collect::<Vec<_>>()
        .await;
    let home = tempfile::tempdir().expect("home");
    let mut config = skiff::config::Config::defaults();
    config.transfer.download_dir = home.path().join("downloads").display().to_string();
    config.transfer.upload_dir = home.path().join("up").display().to_string();
    let (mut app, mut rx) = common::tui_app(&sb.moto.endpoint(), home.path(), config);
    common::pump_until(&mut app, &mut rx, 20, "inventory", |app| {
        !app.world.inventory.buckets.is_empty() && !app.busy()
    })
    .await;
    let key = |app: &mut App, code: KeyCode| app.on_key(KeyEvent::from(code));
    let typed = |app: &mut App, text: &str| {
        text.chars()
            .for_each(|c| app.on_key(KeyEvent::from(KeyCode::Char(c))))
    };
    typed(&mut app, "3/datasets");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Enter); // open the bucket
    assert_eq!(app.view(), skiff::tui::views::objects::ID);
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    let names: Vec<String> = app.rows().iter().map(|r| r.cells[0].text.clone()).collect();
    assert!(
        names.contains(&"raw/".to_string())
            && names.contains(&"many/".to_string())
            && names.contains(&"README.md".to_string()),
        "{names:?}"
    );

    // Into many/: the first page shows at once; scrolling to the end loads the rest.
    typed(&mut app, "/many");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Esc); // clears the filter
    let many = app
        .rows()
        .iter()
        .position(|r| r.key == skiff::render::RowKey::Folder("many/".into()))
        .expect("many/");
    for _ in 0..many {
        key(&mut app, KeyCode::Down);
    }
    key(&mut app, KeyCode::Enter);
    assert_eq!(
        app.view_of::<skiff::tui::views::objects::Objects>()
            .expect("objects")
            .breadcrumb(),
        "s3://rnd-datasets/many/"
    );
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    assert_eq!(
        app.view_of::<skiff::tui::views::objects::Objects>()
            .expect("objects")
            .browser
            .entries
            .len(),
        1000,
        "one page first"
    );
    for _ in 0..3 {
        key(&mut app, KeyCode::End);
        app.on_tick();
        assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    }
    assert_eq!(
        app.view_of::<skiff::tui::views::objects::Objects>()
            .expect("objects")
            .browser
            .entries
            .len(),
        2500,
        "all pages after scrolling"
    );

    // Upload a folder here, then download one of its files.
    let src = home.path().join("up/run 42");
    std::fs::create_dir_all(&src).expect("dir");
    std::fs::write(src.join("result.csv"), "a,b\n1,2\n").expect("file");
    std::fs::write(home.path().join("up/other.txt"), "not chosen").expect("file");
    key(&mut app, KeyCode::Char('U'));
    assert_eq!(app.mode(), skiff::tui::popups::picker::PICKER);
    // The folder is listed off the UI thread.
    common::pump_until(&mut app, &mut rx, 10, "the folder listed", |a| {
        a.find_popup::<skiff::tui::popups::picker::FilePicker>()
            .is_some_and(|p| !p.loading)
    })
    .await;
    let picker = app
        .find_popup::<skiff::tui::popups::picker::FilePicker>()
        .expect("picker");
    assert_eq!(picker.dest, "s3://rnd-datasets/many/");
    assert_eq!(
        (picker.entries[0].name.as_str(), picker.entries[0].folder),
        ("run 42", true),
        "folders first"
    );
    key(&mut app, KeyCode::Char(' ')); // choose `run 42`
    key(&mut app, KeyCode::Char('u'));
    assert_eq!(app.mode(), skiff::tui::ctx::Mode::NORMAL);
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    let body = s3
        .get_object()
        .bucket("rnd-datasets")
        .key("many/run 42/result.csv")
        .send()
        .await
        .expect("uploaded");
    assert_eq!(
        body.body
            .collect()
            .await
            .expect("body")
            .into_bytes()
            .as_ref(),
        b"a,b\n1,2\n"
    );

    key(&mut app, KeyCode::Esc); // up to the bucket root
    assert_eq!(
        app.view_of::<skiff::tui::views::objects::Objects>()
            .expect("objects")
            .breadcrumb(),
        "s3://rnd-datasets/"
    );
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    typed(&mut app, "/README");
    key(&mut app, KeyCode::Enter);
    key(&mut app, KeyCode::Char('D'));
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(20)).await);
    let got = std::fs::read(home.path().join("downloads/README.md")).expect("downloaded");
    assert_eq!(got.len(), 900);

    typed(&mut app, "6");
    assert_eq!(app.view(), skiff::tui::views::transfers::ID);
    let rows = app.rows();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.cells[1].text.ends_with("100%")),
        "{:?}",
        rows.iter()
            .map(|r| r.cells[1].text.clone())
            .collect::<Vec<_>>()
    );
    // x on a finished transfer says why nothing happens.
    key(&mut app, KeyCode::Char('x'));
    let said = app.notes.last().map(|n| n.text.clone()).unwrap_or_default();
    assert!(said.contains("nothing to cancel"), "{said}");
    // Back to the Buckets tab: where the user was in it (the bucket); esc
    // clears the filter, then goes up to the bucket list.
    key(&mut app, KeyCode::Char('3'));
    assert_eq!(app.view(), skiff::tui::views::objects::ID);
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.view(), skiff::tui::views::buckets::ID);
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_objects_in_the_tui_names_them_first() {
    use crossterm::event::{KeyCode, KeyEvent};
    use skiff::tui::app::App;
    let sb = common::seeded().await;
    let s3 = sb.session.s3_client("us-east-1");
    let home = tempfile::tempdir().expect("home");
    let (mut app, mut rx) = common::tui_app(
        &sb.moto.endpoint(),
        home.path(),
        skiff::config::Config::defaults(),
    );
    common::pump_until(&mut app, &mut rx, 20, "connect", |app| {
        app.world.session.is_some() && !app.busy()
    })
    .await;
    app.browse("rnd-datasets", "processed/");
    assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
    let key = |app: &mut App, code: KeyCode| app.on_key(KeyEvent::from(code));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Char(' '));
    key(&mut app, KeyCode::Delete);
    assert_eq!(app.mode(), skiff::tui::views::objects::DELETE);
    let lines = app
        .popup::<skiff::tui::popups::ask::Ask>()
        .expect("no delete question")
        .text();
    assert_eq!(lines[0], "Delete 2 objects from s3://rnd-datasets/ ?");
    assert!(
        lines.contains(&"  processed/features.parquet".to_string())
            && lines.contains(&"  processed/labels.parquet".to_string()),
        "{lines:?}"
    );
    key(&mut app, KeyCode::Char('n'));
    assert!(
        s3.head_object()
            .bucket("rnd-datasets")
            .key("processed/labels.parquet")
            .send()
            .await
            .is_ok(),
        "n keeps them"
    );

    app.world.set_read_only_flag(true);
    key(&mut app, KeyCode::Delete);
    assert_eq!(
        app.mode(),
        skiff::tui::ctx::Mode::NORMAL,
        "read-only refuses before asking"
    );
    app.world.set_read_only_flag(false);

    key(&mut app, KeyCode::Delete);
    key(&mut app, KeyCode::Char('y'));
    let deadline = Instant::now() + Duration::from_secs(10);
    while s3
        .head_object()
        .bucket("rnd-datasets")
        .key("processed/labels.parquet")
        .send()
        .await
        .is_ok()
    {
        assert!(Instant::now() < deadline, "not deleted");
        if let Ok(Some(m)) = tokio::time::timeout(Duration::from_millis(100), rx.recv()).await {
            app.on_msg(m);
        }
    }
    assert!(
        s3.head_object()
            .bucket("rnd-datasets")
            .key("README.md")
            .send()
            .await
            .is_ok(),
        "only what was named"
    );
    // The listing follows: the deleted object is gone from it at once.
    common::pump_until(&mut app, &mut rx, 10, "the folder listed again", |a| {
        let b = &a
            .view_of::<skiff::tui::views::objects::Objects>()
            .expect("objects")
            .browser;
        !b.loading
            && !b
                .entries
                .iter()
                .any(|e| e.key == "processed/labels.parquet")
    })
    .await;
}

/// Whether a character may never reach the terminal as it is.
fn raw(c: char) -> bool {
    (c.is_control() && c != '\n')
        || matches!(c as u32, 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2069 | 0xFEFF)
}

/// Keys and tags written by someone else: a folder with an ESC sequence,
/// C0 and C1 controls and a `+` in its keys lists whole (encoding-type=url),
/// nothing raw reaches the terminal, the odd key downloads under its own
/// name and deletes; tags with C1 controls and DEL print escaped in ls and
/// cost.
#[tokio::test(flavor = "multi_thread")]
async fn keys_and_tags_with_control_characters_list_print_safely_and_work() {
    let (moto, session) = common::empty().await;
    let e = moto.endpoint();
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("odd")
        .send()
        .await
        .expect("bucket");
    let keys = [
        "data/ok.csv",
        "data/esc-\u{1b}[31mred.csv",
        "data/c1-\u{9b}2J.csv",
        "data/ctl-\u{1}x.csv",
        "data/plus+and space.csv",
    ];
    for k in keys {
        s3.put_object()
            .bucket("odd")
            .key(k)
            .body(k.as_bytes().to_vec().into())
            .send()
            .await
            .unwrap_or_else(|err| panic!("{k:?}: {err:?}"));
    }
    let home = tempfile::tempdir().expect("home");
    let out = skiff(&e, home.path())
        .args(["ls", "s3://odd/data/"])
        .output()
        .expect("ls");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{text}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.chars().any(raw), "{text:?}");
    for shown in [
        "ok.csv",
        "esc-\\u001b[31mred.csv",
        "c1-\\u009b2J.csv",
        "ctl-\\u0001x.csv",
        "plus+and space.csv",
    ] {
        assert!(text.contains(shown), "{shown} in {text}");
    }
    // The TUI's bucket browser lists the same folder, cleaned as it draws.
    {
        let tui_home = tempfile::tempdir().expect("tui home");
        let (mut app, mut rx) =
            common::tui_app(&e, tui_home.path(), skiff::config::Config::defaults());
        common::pump_until(&mut app, &mut rx, 30, "connect", |a| {
            a.world.session.is_some() && !a.busy()
        })
        .await;
        app.browse("odd", "data/");
        assert!(common::settle(&mut app, &mut rx, Duration::from_secs(10)).await);
        assert_eq!(app.rows().len(), keys.len(), "every key listed");
        let text = skiff::tui::ui::buffer_text(
            &skiff::tui::screens::render(&mut app, 120, 40).expect("render"),
        );
        assert!(!text.chars().any(raw), "{text:?}");
        assert!(text.contains("esc-\\u{1b}[31mred.csv"), "{text}");
    }
    // The odd key downloads under its own name, byte for byte.
    let dir = home.path().join("down");
    std::fs::create_dir_all(&dir).unwrap();
    let odd = "data/esc-\u{1b}[31mred.csv";
    let out = skiff(&e, home.path())
        .args([
            "cp",
            &format!("s3://odd/{odd}"),
            &format!("{}/", dir.display()),
        ])
        .output()
        .expect("cp");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!String::from_utf8_lossy(&out.stdout).chars().any(raw));
    assert_eq!(
        std::fs::read(dir.join("esc-\u{1b}[31mred.csv")).expect("downloaded"),
        odd.as_bytes()
    );
    // And deletes.
    let out = skiff(&e, home.path())
        .args(["rm", &format!("s3://odd/{odd}")])
        .output()
        .expect("rm");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        s3.head_object()
            .bucket("odd")
            .key(odd)
            .send()
            .await
            .is_err()
    );

    // Tags with C1 controls and DEL.
    let evil = "ev\u{9b}2J\u{9d}0;pwned\u{9c}il\u{7f}";
    session
        .ec2_client("us-east-1")
        .run_instances()
        .image_id("ami-1e749f67")
        .min_count(1)
        .max_count(1)
        .instance_type(aws_sdk_ec2::types::InstanceType::T3Micro)
        .tag_specifications(
            aws_sdk_ec2::types::TagSpecification::builder()
                .resource_type(aws_sdk_ec2::types::ResourceType::Instance)
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Name")
                        .value(evil)
                        .build(),
                )
                .tags(
                    aws_sdk_ec2::types::Tag::builder()
                        .key("Project")
                        .value(evil)
                        .build(),
                )
                .build(),
        )
        .send()
        .await
        .expect("instance");
    for args in [
        vec!["ls"],
        vec!["ls", "instances"],
        vec!["cost"],
        vec!["cost", "--by", "tag:Project"],
    ] {
        let out = skiff(&e, home.path()).args(&args).output().expect("run");
        let text = String::from_utf8_lossy(&out.stdout).into_owned();
        assert!(!text.chars().any(raw), "{args:?}: {text:?}");
        assert!(text.contains("ev\\u009b2J"), "{args:?}: {text}");
    }
    // JSON keeps the exact value (escaped as JSON).
    let out = skiff(&e, home.path())
        .args(["ls", "instances", "--json"])
        .output()
        .expect("json");
    assert!(!String::from_utf8_lossy(&out.stdout).chars().any(raw));
    let doc: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(
        doc.to_string()
            .contains(&serde_json::to_string(evil).unwrap()[1..10]),
        "{doc}"
    );
}
