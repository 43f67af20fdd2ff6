//! `skiff sync` against the AWS CLI as the oracle, on the same moto: for the
//! same trees and the same flags, both send the same files and end with the
//! same keys (and local files), in all three directions; read-only sends
//! nothing; `--delete` without `--yes` and without a terminal refuses. And
//! `skiff ls --recursive --summarize` prints what `aws s3 ls` prints.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

mod common;

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, SystemTime};

use common::{Recorder, aws, run_skiff};

const R: &str = "us-east-1";

/// A whole second a day ago, plus `secs`.
fn past(secs: u64) -> SystemTime {
    let now = SystemTime::now()
        .duration_since(SystemTime::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    SystemTime::UNIX_EPOCH + Duration::from_secs(now - 86_400 + secs)
}

fn write(root: &Path, rel: &str, body: &str, when: SystemTime) {
    let p = root.join(rel);
    std::fs::create_dir_all(p.parent().unwrap()).unwrap();
    std::fs::write(&p, body).unwrap();
    touch(root, rel, when);
}

fn touch(root: &Path, rel: &str, when: SystemTime) {
    std::fs::File::options()
        .write(true)
        .open(root.join(rel))
        .unwrap()
        .set_modified(when)
        .unwrap();
}

/// The same tree in each of `roots`.
fn tree(roots: &[&Path]) {
    for r in roots {
        for (rel, body) in [
            ("a.txt", "alpha"),
            ("dir one/b.csv", "1,2,3"),
            ("données/ç.bin", "binary-ish"),
            ("keep/d.log", "log line"),
            ("tmp/x.tmp", "scratch"),
            ("tmp/deep/y.csv", "9,9"),
            ("z.csv", "last"),
        ] {
            write(r, rel, body, past(0));
        }
    }
}

/// The paths an AWS-CLI-style output says were sent or deleted, without
/// the roots: `upload: L to s3://b/K`, `download: s3://b/K to L`,
/// `copy: s3://a/K to s3://b/K`, `delete: X`.
fn acted(stdout: &str, root: &str) -> BTreeSet<String> {
    stdout
        .lines()
        .filter_map(|l| {
            let (verb, rest) = l.split_once(": ")?;
            let verb = verb.rsplit(' ').next()?; // "(dryrun) upload"
            let target = match verb {
                "delete" => rest,
                _ => rest.rsplit_once(" to ")?.1,
            };
            let rel = target.split_once(root).map(|(_, r)| r)?;
            Some(format!("{verb} {}", rel.trim_start_matches('/')))
        })
        .collect()
}

fn keys(moto: &str, bucket: &str) -> BTreeSet<String> {
    let (ok, out, err) = aws(
        moto,
        R,
        &[
            "s3api",
            "list-objects-v2",
            "--bucket",
            bucket,
            "--query",
            "Contents[].Key",
        ],
    );
    assert!(ok, "{err}");
    serde_json::from_str::<Option<Vec<String>>>(&out)
        .unwrap()
        .unwrap_or_default()
        .into_iter()
        .collect()
}

fn files(root: &Path) -> BTreeSet<String> {
    walkdir::WalkDir::new(root)
        .into_iter()
        .filter_map(Result::ok)
        .filter(|e| e.file_type().is_file())
        .map(|e| {
            e.path()
                .strip_prefix(root)
                .unwrap()
                .to_string_lossy()
                .into_owned()
        })
        .collect()
}

struct Pair<'a> {
    moto: &'a str,
    home: &'a Path,
}

impl Pair<'_> {
    /// `aws s3 sync` and `skiff sync` with the same flags; what each did.
    fn both(
        &self,
        (aws_src, aws_dst): (&str, &str),
        (my_src, my_dst): (&str, &str),
        flags: &[&str],
        root: (&str, &str),
    ) -> (BTreeSet<String>, BTreeSet<String>) {
        let mut a = vec!["s3", "sync", aws_src, aws_dst, "--no-progress"];
        a.extend(flags);
        let (ok, out, err) = aws(self.moto, R, &a);
        assert!(ok, "aws {a:?}: {err}");
        let mut s = vec!["--region", R, "sync", my_src, my_dst, "--yes"];
        s.extend(flags);
        let mine = run_skiff(self.moto, self.home, &s);
        assert_eq!(mine.code, 0, "skiff {s:?}: {}", mine.stderr);
        (acted(&out, root.0), acted(&mine.stdout, root.1))
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn uploads_send_and_delete_what_the_aws_cli_does() {
    let (moto, _s) = common::empty().await;
    let m = moto.endpoint();
    for b in ["oracle", "mine"] {
        assert!(aws(&m, R, &["s3", "mb", &format!("s3://{b}")]).0);
    }
    let dir = tempfile::tempdir().unwrap();
    let (theirs, ours) = (dir.path().join("theirs"), dir.path().join("ours"));
    tree(&[&theirs, &ours]);
    let home = tempfile::tempdir().unwrap();
    let pair = Pair {
        moto: &m,
        home: home.path(),
    };
    let (t, o) = (theirs.to_str().unwrap(), ours.to_str().unwrap());
    let run = |flags: &[&str]| {
        pair.both(
            (t, "s3://oracle/data/"),
            (o, "s3://mine/data/"),
            flags,
            ("s3://oracle/data", "s3://mine/data"),
        )
    };
    let check = |what: &str, flags: &[&str]| {
        let (aws_did, skiff_did) = run(flags);
        assert_eq!(skiff_did, aws_did, "{what}: what each sent");
        assert_eq!(keys(&m, "mine"), keys(&m, "oracle"), "{what}: the keys");
        aws_did
    };
    let first = check("first sync", &[]);
    assert_eq!(first.len(), 7, "{first:?}");
    assert!(check("nothing changed", &[]).is_empty());

    // New, changed size, newer only (same size), older only, gone.
    for r in [&theirs, &ours] {
        write(r, "new/n.txt", "new", past(10));
        write(r, "a.txt", "alpha, longer", past(10));
        touch(r, "z.csv", SystemTime::now() + Duration::from_secs(3600));
        touch(r, "keep/d.log", past(0) - Duration::from_secs(3600));
        std::fs::remove_file(r.join("dir one/b.csv")).unwrap();
    }
    let changed = check("changes, no --delete", &[]);
    assert_eq!(changed.len(), 3, "{changed:?}");
    let deleted = check("--delete", &["--delete"]);
    // A file dated in the future stays newer than what S3 holds: it goes
    // every time, with both.
    assert_eq!(
        deleted,
        BTreeSet::from([
            "delete dir one/b.csv".to_string(),
            "upload z.csv".to_string()
        ])
    );

    // --size-only: a newer file of the same size stays.
    for r in [&theirs, &ours] {
        touch(r, "a.txt", SystemTime::now() + Duration::from_secs(7200));
    }
    assert!(check("--size-only", &["--size-only"]).is_empty());

    // Filters, in several orders, with --delete: what they leave out is
    // neither sent nor deleted.
    for r in [&theirs, &ours] {
        write(r, "tmp/x.tmp", "scratch, again", past(20));
        write(r, "fresh.csv", "1", past(20));
        write(r, "fresh.txt", "1", past(20));
        std::fs::remove_file(r.join("z.csv")).unwrap();
    }
    check("exclude tmp", &["--delete", "--exclude", "tmp/*"]);
    check(
        "only csv",
        &["--delete", "--exclude", "*", "--include", "*.csv"],
    );
    check(
        "include then exclude",
        &["--include", "*.txt", "--exclude", "*"],
    );
    check("everything", &["--delete"]);
}

#[tokio::test(flavor = "multi_thread")]
async fn downloads_and_copies_match_the_aws_cli() {
    let (moto, _s) = common::empty().await;
    let m = moto.endpoint();
    for b in ["src", "copy-theirs", "copy-ours"] {
        assert!(aws(&m, R, &["s3", "mb", &format!("s3://{b}")]).0);
    }
    let dir = tempfile::tempdir().unwrap();
    let seed = dir.path().join("seed");
    tree(&[&seed]);
    assert!(
        aws(
            &m,
            R,
            &["s3", "sync", seed.to_str().unwrap(), "s3://src/p/"]
        )
        .0
    );
    let (theirs, ours) = (dir.path().join("theirs"), dir.path().join("ours"));
    let home = tempfile::tempdir().unwrap();
    let pair = Pair {
        moto: &m,
        home: home.path(),
    };
    let (t, o) = (theirs.to_str().unwrap(), ours.to_str().unwrap());
    let down = |what: &str, flags: &[&str]| {
        // The AWS CLI writes local paths relative to where it runs: the
        // folder's own name marks where the path below it starts.
        let (aws_did, skiff_did) = pair.both(
            ("s3://src/p/", t),
            ("s3://src/p/", o),
            flags,
            ("/theirs", "/ours"),
        );
        assert_eq!(skiff_did, aws_did, "{what}: what each fetched");
        assert_eq!(files(&ours), files(&theirs), "{what}: the files");
        aws_did
    };
    assert_eq!(down("first", &[]).len(), 7);
    assert!(
        down("again", &[]).is_empty(),
        "a downloaded file takes the object's time"
    );
    for r in [&theirs, &ours] {
        // Newer locally (goes again, as the AWS CLI does), older locally
        // (stays, unless --exact-timestamps), a local extra, a local loss.
        touch(r, "a.txt", SystemTime::now() + Duration::from_secs(3600));
        touch(r, "z.csv", past(0) - Duration::from_secs(86_400));
        write(r, "local-only.txt", "mine", past(5));
        std::fs::remove_file(r.join("keep/d.log")).unwrap();
    }
    assert_eq!(down("changes", &[]).len(), 2);
    let exact = down("--exact-timestamps", &["--exact-timestamps"]);
    assert_eq!(exact, BTreeSet::from(["download z.csv".to_string()]));
    let gone = down("--delete", &["--delete", "--exclude", "*.tmp"]);
    assert_eq!(gone, BTreeSet::from(["delete local-only.txt".to_string()]));

    // Bucket to bucket.
    let copy = |what: &str, flags: &[&str]| {
        let (aws_did, skiff_did) = pair.both(
            ("s3://src/p/", "s3://copy-theirs/q/"),
            ("s3://src/p/", "s3://copy-ours/q/"),
            flags,
            ("s3://copy-theirs/q", "s3://copy-ours/q"),
        );
        assert_eq!(skiff_did, aws_did, "{what}: what each copied");
        assert_eq!(keys(&m, "copy-ours"), keys(&m, "copy-theirs"), "{what}");
    };
    copy("first copy", &[]);
    copy("copy again", &[]);
    assert!(aws(&m, R, &["s3", "rm", "s3://src/p/a.txt"]).0);
    copy("copy --delete", &["--delete", "--exclude", "tmp/*"]);
    let theirs_keys = keys(&m, "copy-ours");
    assert!(!theirs_keys.contains("q/a.txt") && theirs_keys.contains("q/tmp/x.tmp"));
}

#[tokio::test(flavor = "multi_thread")]
async fn read_only_sends_nothing_and_delete_needs_yes_without_a_terminal() {
    let (moto, _s) = common::empty().await;
    let m = moto.endpoint();
    assert!(aws(&m, R, &["s3", "mb", "s3://rob"]).0);
    let dir = tempfile::tempdir().unwrap();
    tree(&[dir.path()]);
    let home = tempfile::tempdir().unwrap();
    let d = dir.path().to_str().unwrap();

    let recorder = Recorder::start(&m);
    let ro = run_skiff(
        &m,
        home.path(),
        &["--read-only", "--region", R, "sync", d, "s3://rob/"],
    );
    assert_eq!(ro.code, 1, "{}", ro.stderr);
    assert!(ro.stderr.contains("read-only"), "{}", ro.stderr);
    let writes: Vec<_> = recorder
        .requests()
        .into_iter()
        .filter(|r| r.mutates())
        .collect();
    assert!(writes.is_empty(), "read-only sent {writes:?}");
    assert!(keys(&m, "rob").is_empty());

    let first = run_skiff(&m, home.path(), &["--region", R, "sync", d, "s3://rob/"]);
    assert_eq!(first.code, 0, "{}", first.stderr);
    std::fs::remove_file(dir.path().join("a.txt")).unwrap();
    write(dir.path(), "new.txt", "n", past(30));
    let before = keys(&m, "rob");
    let refused = run_skiff(
        &m,
        home.path(),
        &["--region", R, "sync", d, "s3://rob/", "--delete"],
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(refused.stderr.contains("--yes"), "{}", refused.stderr);
    assert_eq!(keys(&m, "rob"), before, "nothing sent, nothing deleted");

    // --dry-run says it all and changes nothing.
    let dry = run_skiff(
        &m,
        home.path(),
        &[
            "--region",
            R,
            "sync",
            d,
            "s3://rob/",
            "--delete",
            "--dry-run",
        ],
    );
    assert_eq!(dry.code, 0, "{}", dry.stderr);
    assert!(
        dry.stdout.contains("(dryrun) delete: s3://rob/a.txt"),
        "{}",
        dry.stdout
    );
    assert!(dry.stdout.contains("(dryrun) upload:"), "{}", dry.stdout);
    assert_eq!(keys(&m, "rob"), before);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_recursive_listing_prints_what_the_aws_cli_prints() {
    let (moto, _s) = common::empty().await;
    let m = moto.endpoint();
    assert!(aws(&m, R, &["s3", "mb", "s3://big"]).0);
    let dir = tempfile::tempdir().unwrap();
    // More than two pages of 1,000, with sizes from 0 bytes to a few KiB.
    for i in 0..2_300u32 {
        let rel = format!("run {}/part-{i:05}.txt", i % 7);
        write(
            dir.path(),
            &rel,
            &"x".repeat((i as usize * 37) % 5000),
            past(0),
        );
    }
    let home = tempfile::tempdir().unwrap();
    let up = run_skiff(
        &m,
        home.path(),
        &[
            "--region",
            R,
            "sync",
            dir.path().to_str().unwrap(),
            "s3://big/out/",
        ],
    );
    assert_eq!(up.code, 0, "{}", up.stderr);
    for flags in [
        &["--recursive", "--summarize"][..],
        &["--recursive", "--human-readable", "--summarize"][..],
    ] {
        let mut a = vec!["s3", "ls", "s3://big/out/"];
        a.extend(flags);
        let (ok, theirs, err) = aws(&m, R, &a);
        assert!(ok, "{err}");
        let mut s = vec!["--region", R, "ls", "s3://big/out/"];
        s.extend(flags);
        let ours = run_skiff(&m, home.path(), &s);
        assert_eq!(ours.code, 0, "{}", ours.stderr);
        assert!(theirs.contains("Total Objects: 2300"), "{theirs}");
        assert_eq!(ours.stdout, theirs, "skiff ls {flags:?}");
    }
    let json = run_skiff(
        &m,
        home.path(),
        &[
            "--region",
            R,
            "ls",
            "s3://big/out/",
            "--recursive",
            "--json",
        ],
    );
    let doc: serde_json::Value = serde_json::from_str(&json.stdout).expect("--json parses");
    assert_eq!(doc["total_objects"], 2300);
    assert_eq!(doc["objects"].as_array().unwrap().len(), 2300);
}

/// A destination folder with links out of it, a source folder with a part
/// it cannot read, and keys that are not file names as they are: nothing
/// outside the folder is written or deleted, what the source could not
/// list is not deleted on the other side, and a second sync finds nothing
/// to do (no key sent back and forth on every run).
#[tokio::test(flavor = "multi_thread")]
async fn sync_stays_inside_its_folder_and_never_deletes_what_it_could_not_read() {
    let (moto, _s) = common::empty().await;
    let m = moto.endpoint();
    assert!(aws(&m, R, &["s3", "mb", "s3://lnk"]).0);
    let seed = tempfile::tempdir().unwrap();
    for (rel, body) in [
        ("data/a.csv", "a"),
        ("data/sub/b.csv", "from the bucket"),
        ("ok.txt", "ok"),
    ] {
        write(seed.path(), rel, body, past(0));
    }
    let s = seed.path().to_str().unwrap();
    assert!(aws(&m, R, &["s3", "cp", s, "s3://lnk/", "--recursive"]).0);
    let odd = seed.path().join("ok.txt");
    assert!(
        aws(
            &m,
            R,
            &["s3", "cp", odd.to_str().unwrap(), "s3://lnk/x//y.csv"]
        )
        .0
    );

    // The destination: data/sub is a link to a folder elsewhere.
    let elsewhere = tempfile::tempdir().unwrap();
    write(elsewhere.path(), "sub/b.csv", "precious", past(0));
    write(elsewhere.path(), "sub/extra.csv", "precious too", past(0));
    let dst = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(dst.path().join("data")).unwrap();
    std::os::unix::fs::symlink(elsewhere.path().join("sub"), dst.path().join("data/sub")).unwrap();
    let d = dst.path().to_str().unwrap();
    let home = tempfile::tempdir().unwrap();

    let down = run_skiff(
        &m,
        home.path(),
        &["--region", R, "sync", "s3://lnk/", d, "--delete", "--yes"],
    );
    assert_eq!(
        down.code, 2,
        "skipped, so 2: {}\n{}",
        down.stdout, down.stderr
    );
    let outside = |rel: &str| std::fs::read_to_string(elsewhere.path().join(rel)).unwrap();
    assert_eq!(outside("sub/b.csv"), "precious", "written through a link");
    assert_eq!(
        outside("sub/extra.csv"),
        "precious too",
        "deleted through a link"
    );
    assert!(down.stderr.contains("link"), "{}", down.stderr);
    assert!(down.stderr.contains("x//y.csv"), "{}", down.stderr);
    assert_eq!(
        std::fs::read_to_string(dst.path().join("data/a.csv")).unwrap(),
        "a"
    );
    assert_eq!(
        std::fs::read_to_string(dst.path().join("ok.txt")).unwrap(),
        "ok"
    );

    // Again: nothing to do, nothing deleted.
    let again = run_skiff(
        &m,
        home.path(),
        &["--region", R, "sync", "s3://lnk/", d, "--delete", "--yes"],
    );
    assert!(!again.stdout.contains("download:"), "{}", again.stdout);
    assert!(!again.stdout.contains("delete:"), "{}", again.stdout);

    // The other way: the source's `data` is now a link to a drive that is
    // not there. Its keys stay; the odd key, never a file here, stays too.
    std::fs::remove_dir_all(dst.path().join("data")).unwrap();
    std::os::unix::fs::symlink("/nonexistent/unmounted-drive", dst.path().join("data")).unwrap();
    let up = run_skiff(
        &m,
        home.path(),
        &["--region", R, "sync", d, "s3://lnk/", "--delete", "--yes"],
    );
    assert_eq!(up.code, 2, "{}\n{}", up.stdout, up.stderr);
    let left = keys(&m, "lnk");
    for k in ["data/a.csv", "data/sub/b.csv", "x//y.csv", "ok.txt"] {
        assert!(left.contains(k), "{k} deleted: {left:?}\n{}", up.stdout);
    }
}

/// Bucket to bucket, an object above the multipart threshold is copied in
/// parts inside S3 (UploadPartCopy; a single CopyObject stops at 5 GiB):
/// the copy has the same bytes, an ETag of 3 parts, and a second sync finds
/// nothing to do.
#[tokio::test(flavor = "multi_thread")]
async fn a_large_object_is_copied_between_buckets_in_parts() {
    let (moto, _s) = common::empty().await;
    let m = moto.endpoint();
    for b in ["big-src", "big-dst"] {
        assert!(aws(&m, R, &["s3", "mb", &format!("s3://{b}")]).0);
    }
    let dir = tempfile::tempdir().unwrap();
    let body: Vec<u8> = (0..20u32 << 20).map(|i| (i % 251) as u8).collect();
    std::fs::write(dir.path().join("big.bin"), &body).unwrap();
    write(dir.path(), "small.txt", "s", past(0));
    let d = dir.path().to_str().unwrap();
    assert!(aws(&m, R, &["s3", "cp", d, "s3://big-src/run/", "--recursive"]).0);
    let home = tempfile::tempdir().unwrap();

    let sync = [
        "--region",
        R,
        "sync",
        "s3://big-src/run/",
        "s3://big-dst/copy/",
    ];
    let first = run_skiff(&m, home.path(), &sync);
    assert_eq!(first.code, 0, "{}\n{}", first.stdout, first.stderr);
    assert_eq!(
        keys(&m, "big-dst"),
        BTreeSet::from(["copy/big.bin".to_string(), "copy/small.txt".to_string()])
    );
    let head = common::aws_json(
        &m,
        R,
        &[
            "s3api",
            "head-object",
            "--bucket",
            "big-dst",
            "--key",
            "copy/big.bin",
        ],
    );
    assert!(
        head["ETag"].as_str().unwrap().ends_with("-3\""),
        "not copied in 8 MiB parts: {head}"
    );
    let back = dir.path().join("back.bin");
    let (ok, _, err) = aws(
        &m,
        R,
        &[
            "s3",
            "cp",
            "s3://big-dst/copy/big.bin",
            back.to_str().unwrap(),
        ],
    );
    assert!(ok, "{err}");
    assert!(
        std::fs::read(&back).unwrap() == body,
        "the copy's bytes differ"
    );

    let again = run_skiff(&m, home.path(), &sync);
    assert_eq!(again.code, 0, "{}", again.stderr);
    assert!(!again.stdout.contains("copy:"), "{}", again.stdout);
}
