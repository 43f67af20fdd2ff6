//! Stamps the binary with the commit it was built from and the day it was
//! built, for `skiff --version` (and bug reports). Outside a git checkout
//! (a source tarball, `cargo install` from crates.io) the commit is
//! "unknown"; SOURCE_DATE_EPOCH, when set, fixes the date (reproducible
//! builds, Debian packaging).

use std::process::Command;

fn git(args: &[&str]) -> Option<String> {
    let out = Command::new("git").args(args).output().ok()?;
    if !out.status.success() {
        return None;
    }
    let text = String::from_utf8(out.stdout).ok()?.trim().to_string();
    (!text.is_empty()).then_some(text)
}

fn main() {
    let commit = git(&["rev-parse", "--short=10", "HEAD"]).unwrap_or_else(|| "unknown".into());
    let date = match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(epoch) => Command::new("date")
            .args(["-u", "-d", &format!("@{epoch}"), "+%Y-%m-%d"])
            .output()
            .ok(),
        Err(_) => Command::new("date").args(["-u", "+%Y-%m-%d"]).output().ok(),
    }
    .and_then(|o| String::from_utf8(o.stdout).ok())
    .map_or_else(|| "unknown".to_string(), |d| d.trim().to_string());
    println!("cargo:rustc-env=SKIFF_COMMIT={commit}");
    println!("cargo:rustc-env=SKIFF_BUILD_DATE={date}");
    // Run again when HEAD moves (a commit, a checkout), not on every build.
    for path in [".git/HEAD", ".git/refs/heads", ".git/packed-refs"] {
        if std::path::Path::new(path).exists() {
            println!("cargo:rerun-if-changed={path}");
        }
    }
    println!("cargo:rerun-if-env-changed=SOURCE_DATE_EPOCH");
}
