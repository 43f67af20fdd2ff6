//! `skiff cp` against `aws s3 cp` itself, on the same moto: for every
//! spelling of a copy (files and folders, up and down, with and without
//! trailing slashes, names with spaces and beyond ASCII), both tools must
//! produce the same keys, the same local tree, and agree on success. Also:
//! a folder that links to its parent is copied once, the loop named, exit 1;
//! `skiff rm` with and without --recursive.

#![allow(clippy::expect_used, clippy::unwrap_used)]

mod common;

use std::collections::BTreeMap;
use std::path::Path;

use common::Sdk;

/// Runs a command in `dir`; (succeeded, stderr).
fn run_in(mut cmd: std::process::Command, dir: &Path) -> (bool, String) {
    let out = cmd
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn aws_cp(endpoint: &str, dir: &Path, args: &[String]) -> (bool, String) {
    let mut all = vec![
        "--endpoint-url",
        endpoint,
        "--region",
        "us-east-1",
        "s3",
        "cp",
    ];
    all.extend(args.iter().map(String::as_str));
    let (ok, _, stderr) = common::aws_in(dir, &all);
    (ok, stderr)
}

fn skiff_cp(endpoint: &str, home: &Path, dir: &Path, args: &[String]) -> (bool, String) {
    let mut cmd = std::process::Command::new(assert_cmd::cargo::cargo_bin("skiff"));
    cmd.env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .envs(common::cli_env(endpoint, home))
        .args(["--region", "us-east-1", "cp"])
        .args(args);
    run_in(cmd, dir)
}

async fn keys(s3: &aws_sdk_s3::Client, bucket: &str) -> Vec<String> {
    let out = s3
        .list_objects_v2()
        .bucket(bucket)
        .send()
        .await
        .expect("list");
    let mut keys: Vec<String> = out
        .contents()
        .iter()
        .filter_map(|o| o.key().map(str::to_string))
        .collect();
    keys.sort();
    keys
}

async fn empty(s3: &aws_sdk_s3::Client, bucket: &str) {
    for k in keys(s3, bucket).await {
        s3.delete_object()
            .bucket(bucket)
            .key(k)
            .send()
            .await
            .expect("delete");
    }
}

/// Every file below `root`: relative path → bytes.
fn files(root: &Path) -> BTreeMap<String, Vec<u8>> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            (
                e.path().strip_prefix(root).unwrap().display().to_string(),
                std::fs::read(e.path()).unwrap(),
            )
        })
        .collect()
}

fn local_tree(root: &Path) {
    for (rel, body) in [
        ("d/a.txt", "a"),
        ("d/sub dir/é 1.txt", "é"),
        ("d/ünï/数据.bin", "数据"),
        ("f.txt", "f"),
    ] {
        let p = root.join(rel);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }
}

fn spell(args: &[&str], bucket: &str) -> Vec<String> {
    args.iter().map(|a| a.replace("BKT", bucket)).collect()
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_make_the_keys_aws_s3_cp_makes_for_every_spelling() {
    let (moto, session) = common::empty().await;
    let e = moto.endpoint();
    let s3 = session.s3_client("us-east-1");
    for b in ["cmp-aws", "cmp-skiff"] {
        s3.create_bucket().bucket(b).send().await.expect("bucket");
    }
    let home = tempfile::tempdir().expect("home");
    let work = home.path().join("work");
    local_tree(&work);
    let cases: &[&[&str]] = &[
        &["d", "s3://BKT/p/", "--recursive"],
        &["d", "s3://BKT/p", "--recursive"],
        &["d/", "s3://BKT/p", "--recursive"],
        &["d/", "s3://BKT/p/", "--recursive"],
        &["d", "s3://BKT", "--recursive"],
        &["d", "s3://BKT/", "--recursive"],
        &["d/sub dir", "s3://BKT/deep/er/", "--recursive"],
        &["f.txt", "s3://BKT"],
        &["f.txt", "s3://BKT/"],
        &["f.txt", "s3://BKT/p"],
        &["f.txt", "s3://BKT/p/"],
        &["d/sub dir/é 1.txt", "s3://BKT/x/"],
        &["d/ünï/数据.bin", "s3://BKT/x y/z"],
        // Both refuse these, and make nothing.
        &["f.txt", "s3://BKT/p/", "--recursive"],
        &["d", "s3://BKT/p/"],
        &["missing.txt", "s3://BKT/p/"],
    ];
    for case in cases {
        let (aws_ok, aws_err) = aws_cp(&e, &work, &spell(case, "cmp-aws"));
        let (skiff_ok, skiff_err) = skiff_cp(&e, home.path(), &work, &spell(case, "cmp-skiff"));
        let (want, got) = (keys(&s3, "cmp-aws").await, keys(&s3, "cmp-skiff").await);
        assert_eq!(
            got, want,
            "cp {case:?}: skiff made other keys than the AWS CLI\naws: {aws_err}\nskiff: {skiff_err}"
        );
        assert_eq!(
            skiff_ok, aws_ok,
            "cp {case:?}: aws {aws_ok} ({aws_err}), skiff {skiff_ok} ({skiff_err})"
        );
        empty(&s3, "cmp-aws").await;
        empty(&s3, "cmp-skiff").await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_make_the_tree_aws_s3_cp_makes_for_every_spelling() {
    let (moto, session) = common::empty().await;
    let e = moto.endpoint();
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("cmp-down")
        .send()
        .await
        .expect("bucket");
    for (key, body) in [
        ("p/a.txt", "a"),
        ("p/sub dir/é 1.txt", "é"),
        ("p/ünï/数据.bin", "数据"),
        ("p/marker/", ""),
        ("pa/x.txt", "x"),
        ("top.txt", "t"),
    ] {
        s3.put_object()
            .bucket("cmp-down")
            .key(key)
            .body(body.as_bytes().to_vec().into())
            .send()
            .await
            .expect("put");
    }
    let home = tempfile::tempdir().expect("home");
    let cases: &[&[&str]] = &[
        &["s3://cmp-down/p/", "dl", "--recursive"],
        &["s3://cmp-down/p", "dl", "--recursive"],
        &["s3://cmp-down/p", "dl/", "--recursive"],
        &["s3://cmp-down/p/", ".", "--recursive"],
        &["s3://cmp-down", "x", "--recursive"],
        &["s3://cmp-down/", "x", "--recursive"],
        &["s3://cmp-down/p/sub dir", "dl", "--recursive"],
        &["s3://cmp-down/p/a.txt", "."],
        &["s3://cmp-down/p/a.txt", "newname"],
        &["s3://cmp-down/p/a.txt", "newdir/"],
        &["s3://cmp-down/p/a.txt", "existing"],
        &["s3://cmp-down/p/sub dir/é 1.txt", "."],
        &["s3://cmp-down/top.txt", "existing/"],
        // Both refuse these, and write nothing.
        &["s3://cmp-down/p/", "."],
        &["s3://cmp-down/p", "."],
        &["s3://cmp-down/nope.txt", "."],
    ];
    for (n, case) in cases.iter().enumerate() {
        let args = spell(case, "");
        let (a, s) = (
            home.path().join(format!("aws{n}")),
            home.path().join(format!("skiff{n}")),
        );
        for d in [&a, &s] {
            std::fs::create_dir_all(d.join("existing")).unwrap();
        }
        let (aws_ok, aws_err) = aws_cp(&e, &a, &args);
        let (skiff_ok, skiff_err) = skiff_cp(&e, home.path(), &s, &args);
        assert_eq!(
            files(&s),
            files(&a),
            "cp {case:?}: skiff wrote another tree than the AWS CLI\naws: {aws_err}\nskiff: {skiff_err}"
        );
        assert_eq!(
            skiff_ok, aws_ok,
            "cp {case:?}: aws {aws_ok} ({aws_err}), skiff {skiff_ok} ({skiff_err})"
        );
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_link_to_a_parent_folder_is_uploaded_once_named_and_fails_the_exit_code() {
    let (moto, session) = common::empty().await;
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("loops")
        .send()
        .await
        .expect("bucket");
    let home = tempfile::tempdir().expect("home");
    let d = home.path().join("d");
    std::fs::create_dir_all(d.join("sub")).unwrap();
    std::fs::write(d.join("sub/f.txt"), "f").unwrap();
    std::os::unix::fs::symlink(&d, d.join("sub/up")).unwrap();
    let run = common::run_skiff(
        &moto.endpoint(),
        home.path(),
        &[
            "--region",
            "us-east-1",
            "cp",
            "-r",
            d.to_str().unwrap(),
            "s3://loops/p/",
        ],
    );
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert!(
        run.stderr.contains("sub/up") && run.stderr.contains("loop"),
        "{}",
        run.stderr
    );
    assert_eq!(keys(&s3, "loops").await, ["p/sub/f.txt"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn rm_deletes_an_object_or_a_prefix_and_refuses_a_whole_bucket_unconfirmed() {
    let (moto, session) = common::empty().await;
    let e = moto.endpoint();
    let s3 = session.s3_client("us-east-1");
    s3.create_bucket()
        .bucket("to-rm")
        .send()
        .await
        .expect("bucket");
    for key in [
        "raw/a.csv",
        "raw/b c.csv",
        "raw/sub/d.csv",
        "rawx/e.csv",
        "keep.txt",
    ] {
        s3.put_object()
            .bucket("to-rm")
            .key(key)
            .body(b"x".to_vec().into())
            .send()
            .await
            .expect("put");
    }
    let home = tempfile::tempdir().expect("home");
    let rm = |args: &[&str]| {
        let mut all = vec!["--region", "us-east-1", "rm"];
        all.extend(args);
        common::run_skiff(&e, home.path(), &all)
    };
    // A dry run lists and deletes nothing.
    let run = rm(&["s3://to-rm/raw", "--recursive", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .contains("(dry run) delete: s3://to-rm/raw/sub/d.csv"),
        "{}",
        run.stdout
    );
    assert_eq!(keys(&s3, "to-rm").await.len(), 5);
    // One key.
    let run = rm(&["s3://to-rm/raw/b c.csv"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        !keys(&s3, "to-rm")
            .await
            .contains(&"raw/b c.csv".to_string())
    );
    // A missing key, and a folder without --recursive: said, nothing deleted.
    let run = rm(&["s3://to-rm/raw/zzz.csv"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("no such object"), "{}", run.stderr);
    let run = rm(&["s3://to-rm/raw"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("add --recursive"), "{}", run.stderr);
    // A prefix: everything below raw/ (not rawx/).
    let run = rm(&["s3://to-rm/raw/", "--recursive", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc: serde_json::Value = serde_json::from_str(&run.stdout).expect("json");
    assert_eq!(doc["deleted"], 2, "{doc}");
    assert_eq!(keys(&s3, "to-rm").await, ["keep.txt", "rawx/e.csv"]);
    // The whole bucket: refused unless its name is typed again.
    let run = rm(&["s3://to-rm", "--recursive"]);
    assert_eq!(run.code, 1);
    assert!(run.stderr.contains("--confirm to-rm"), "{}", run.stderr);
    assert_eq!(keys(&s3, "to-rm").await.len(), 2);
    let run = rm(&["s3://to-rm", "--recursive", "--confirm", "to-rm"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(keys(&s3, "to-rm").await.is_empty());
}
