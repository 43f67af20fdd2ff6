//! The Debian package, built by `scripts/package` from the binary under
//! test and unpacked with Debian's own dpkg-deb into a temporary root: the
//! binary runs and says its version and commit, the man page and the shell
//! completions are where Debian's man and shells look, and the package
//! depends on the ssh client.

#![allow(clippy::expect_used, clippy::unwrap_used)] // test code: a failed expectation is the failure

use std::path::Path;
use std::process::Command;

fn run(cmd: &mut Command) -> String {
    let out = cmd.output().expect("runs");
    assert!(
        out.status.success(),
        "{cmd:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

#[test]
fn the_debian_package_holds_the_binary_its_man_page_and_completions() {
    let manifest = env!("CARGO_MANIFEST_DIR");
    let out_dir = tempfile::tempdir().unwrap();
    let deb = run(Command::new(Path::new(manifest).join("scripts/package"))
        .env("SKIFF_BIN", env!("CARGO_BIN_EXE_skiff"))
        .env("OUT_DIR", out_dir.path())
        .env("DEB_COMPRESSION", "none"));
    let deb = deb.trim();
    assert!(deb.ends_with(".deb"), "{deb}");

    let info = run(Command::new("dpkg-deb").args(["-I", deb]));
    assert!(info.contains("Package: skiff"), "{info}");
    assert!(info.contains("openssh-client"), "{info}");
    assert!(
        info.contains(&format!("Version: {}", env!("CARGO_PKG_VERSION"))),
        "{info}"
    );

    let root = tempfile::tempdir().unwrap();
    run(Command::new("dpkg-deb").args(["-x", deb]).arg(root.path()));
    let version = run(Command::new(root.path().join("usr/bin/skiff")).arg("--version"));
    assert!(
        version.starts_with(&format!("skiff {} (", env!("CARGO_PKG_VERSION"))),
        "{version}"
    );
    assert!(version.contains("built 20"), "{version}");
    for file in [
        "usr/share/man/man1/skiff.1.gz",
        "usr/share/bash-completion/completions/skiff",
        "usr/share/zsh/vendor-completions/_skiff",
        "usr/share/fish/vendor_completions.d/skiff.fish",
        "usr/share/doc/skiff/copyright",
        "usr/share/doc/skiff/README.md",
    ] {
        let p = root.path().join(file);
        assert!(
            p.metadata().map(|m| m.len() > 0).unwrap_or(false),
            "{file} missing or empty"
        );
    }
    let bash = std::fs::read_to_string(
        root.path()
            .join("usr/share/bash-completion/completions/skiff"),
    )
    .unwrap();
    assert!(bash.contains("sync"), "bash completion lacks `sync`");
    // The man page is the binary's own: it names the commands.
    let man = run(Command::new("sh").arg("-c").arg(format!(
        "gzip -dc {}",
        root.path().join("usr/share/man/man1/skiff.1.gz").display()
    )));
    assert!(man.contains(".TH skiff"), "{}", &man[..man.len().min(200)]);
}
