//! Which files and keys a copy moves: the rules of `aws s3 cp`, which the
//! user's own notes use and whose flags `skiff cp` mirrors, for both faces.
//!
//! - Upload, `--recursive`: every file below the folder goes under the
//!   destination prefix by its path relative to the folder (`d/a/b.txt` to
//!   `s3://b/p/` or `s3://b/p` is `p/a/b.txt`); the folder's own name is not
//!   part of the key, and a trailing slash on either side changes nothing.
//! - Upload of a file: to `s3://b/p` it is key `p`; to `s3://b/p/` or the
//!   bucket itself, `p/<name>` or `<name>`. With several sources the
//!   destination is a prefix.
//! - Download, `--recursive`: every object below `prefix/` (a slash is added)
//!   lands below the local folder by its key relative to the prefix; empty
//!   folder markers (`x/`) are skipped.
//! - Download of an object: into an existing folder, or a path ending in `/`,
//!   by its name; otherwise to the path given.
//!
//! Folder walks follow links, never loop: a link to a folder that is being
//! walked already is skipped and named.

use std::path::{Path, PathBuf};

use super::plan::{S3Uri, local_path};
use crate::model::ObjectEntry;

/// One file to move, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CopyItem {
    pub local: PathBuf,
    pub key: String,
    pub size: u64,
}

/// Something not copied, and why (the rest of the copy goes on; the exit
/// code says something was left out).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    pub what: String,
    pub why: String,
}

fn skipped(what: impl Into<String>, why: impl Into<String>) -> Skipped {
    Skipped {
        what: what.into(),
        why: why.into(),
    }
}

/// A prefix that ends in `/` (or is empty: the bucket's top).
fn as_folder(key: &str) -> String {
    if key.is_empty() || key.ends_with('/') {
        key.to_string()
    } else {
        format!("{key}/")
    }
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map_or_else(String::new, |n| n.to_string_lossy().into_owned())
}

/// The files of `sources` and their keys below `dest`.
pub fn upload_items(
    sources: &[String],
    dest: &S3Uri,
    recursive: bool,
) -> (Vec<CopyItem>, Vec<Skipped>) {
    let (mut items, mut skips) = (Vec::new(), Vec::new());
    for src in sources {
        let path = Path::new(src);
        let meta = match std::fs::metadata(path) {
            Ok(m) => m,
            Err(e) => {
                skips.push(skipped(src, e.to_string()));
                continue;
            }
        };
        if recursive {
            if !meta.is_dir() {
                skips.push(skipped(
                    src,
                    "is a file, not a folder: copy it without --recursive",
                ));
                continue;
            }
            walk_folder(path, &as_folder(&dest.key), &mut items, &mut skips);
        } else if meta.is_dir() {
            skips.push(skipped(
                src,
                "is a folder: add --recursive to copy what is in it",
            ));
        } else if !meta.is_file() {
            skips.push(skipped(src, "is not a regular file"));
        } else {
            let key = if dest.is_prefix() || sources.len() > 1 {
                format!("{}{}", as_folder(&dest.key), file_name(path))
            } else {
                dest.key.clone()
            };
            items.push(CopyItem {
                local: path.to_path_buf(),
                key,
                size: meta.len(),
            });
        }
    }
    (items, skips)
}

/// Every regular file below `root` (links followed, in name order), keyed
/// `prefix` + its path relative to `root`.
fn walk_folder(root: &Path, prefix: &str, items: &mut Vec<CopyItem>, skips: &mut Vec<Skipped>) {
    let walk = walkdir::WalkDir::new(root)
        .follow_links(true)
        .sort_by_file_name();
    for entry in walk {
        let entry = match entry {
            Ok(e) => e,
            Err(e) => {
                let what = e
                    .path()
                    .map_or_else(|| root.display().to_string(), |p| p.display().to_string());
                let why = match (e.loop_ancestor(), e.io_error()) {
                    (Some(ancestor), _) => format!(
                        "a link to {}, which is being copied already (following it would loop)",
                        ancestor.display()
                    ),
                    (None, Some(io)) if io.kind() == std::io::ErrorKind::NotFound => {
                        "a link to nothing (broken link)".to_string()
                    }
                    (None, Some(io)) => io.to_string(),
                    (None, None) => e.to_string(),
                };
                skips.push(skipped(what, why));
                continue;
            }
        };
        let ft = entry.file_type();
        if ft.is_dir() {
            continue;
        }
        if !ft.is_file() {
            skips.push(skipped(
                entry.path().display().to_string(),
                "is not a regular file",
            ));
            continue;
        }
        let Ok(rel) = entry.path().strip_prefix(root) else {
            continue;
        };
        let size = entry.metadata().map_or(0, |m| m.len());
        items.push(CopyItem {
            local: entry.path().to_path_buf(),
            key: format!("{prefix}{}", slash_path(rel)),
            size,
        });
    }
}

/// A relative path as a key's tail: its parts joined by `/`.
pub fn slash_path(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    parts.join("/")
}

/// The prefix a recursive download lists: the key with a slash added.
pub fn download_prefix(src: &S3Uri) -> String {
    as_folder(&src.key)
}

/// Where each object of a recursive download lands below `dest`; keys that
/// would leave the folder, and empty folder markers, are skipped.
pub fn download_items(
    src: &S3Uri,
    dest: &Path,
    objects: &[ObjectEntry],
) -> (Vec<CopyItem>, Vec<Skipped>) {
    let prefix = download_prefix(src);
    let (mut items, mut skips) = (Vec::new(), Vec::new());
    for o in objects.iter().filter(|o| !o.folder) {
        if o.key.ends_with('/') {
            if o.size > 0 {
                skips.push(skipped(
                    format!("s3://{}/{}", src.bucket, o.key),
                    "its key ends in /, which cannot be a file name",
                ));
            }
            continue;
        }
        match local_path(dest, &prefix, &o.key) {
            Ok(local) => items.push(CopyItem {
                local,
                key: o.key.clone(),
                size: o.size,
            }),
            Err(why) => skips.push(skipped(format!("s3://{}/{}", src.bucket, o.key), why)),
        }
    }
    (items, skips)
}

/// Where a single object's download goes: into `dest` by the object's name
/// when `dest` is a folder (it exists as one, or ends with a slash),
/// otherwise to `dest` itself.
pub fn download_path(src: &S3Uri, dest: &str) -> Result<PathBuf, String> {
    if src.key.is_empty() || src.key.ends_with('/') {
        return Err(format!(
            "{src} names a folder: add --recursive to copy everything below it"
        ));
    }
    let path = PathBuf::from(dest);
    if dest.ends_with('/') || path.is_dir() {
        let name = src.key.rsplit('/').next().unwrap_or(&src.key);
        local_path(&path, "", name)
    } else {
        Ok(path)
    }
}

/// `path`, or the first of `name (1).ext`, `name (2).ext`, … for which
/// `exists` says no: "keep both" when a download meets a local file.
pub fn free_name(path: &Path, exists: impl Fn(&Path) -> bool) -> PathBuf {
    if !exists(path) {
        return path.to_path_buf();
    }
    let stem = path
        .file_stem()
        .map_or_else(String::new, |s| s.to_string_lossy().into_owned());
    let ext = path
        .extension()
        .map(|e| format!(".{}", e.to_string_lossy()))
        .unwrap_or_default();
    (1..)
        .map(|n| path.with_file_name(format!("{stem} ({n}){ext}")))
        .find(|p| !exists(p))
        .unwrap_or_else(|| path.to_path_buf())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn uri(s: &str) -> S3Uri {
        S3Uri::parse(s).expect("uri")
    }

    fn tree() -> tempfile::TempDir {
        let dir = tempfile::tempdir().expect("dir");
        let d = dir.path().join("d");
        std::fs::create_dir_all(d.join("sub")).expect("mkdir");
        std::fs::write(d.join("a.txt"), "a").expect("a");
        std::fs::write(d.join("sub/b.txt"), "b").expect("b");
        std::fs::write(dir.path().join("f.txt"), "f").expect("f");
        dir
    }

    fn keys(items: &[CopyItem]) -> Vec<&str> {
        items.iter().map(|i| i.key.as_str()).collect()
    }

    #[test]
    fn folder_uploads_put_the_files_under_the_prefix_whatever_the_slashes() {
        let t = tree();
        let d = t.path().join("d").display().to_string();
        for (src, dest) in [
            (d.clone(), "s3://bk/p/"),
            (d.clone(), "s3://bk/p"),
            (format!("{d}/"), "s3://bk/p"),
            (format!("{d}/"), "s3://bk/p/"),
        ] {
            let (items, skips) = upload_items(std::slice::from_ref(&src), &uri(dest), true);
            assert_eq!(keys(&items), ["p/a.txt", "p/sub/b.txt"], "{src} {dest}");
            assert!(skips.is_empty());
        }
        let (items, _) = upload_items(&[d], &uri("s3://bk"), true);
        assert_eq!(keys(&items), ["a.txt", "sub/b.txt"]);
    }

    #[test]
    fn file_uploads_use_the_key_or_the_prefix() {
        let t = tree();
        let f = t.path().join("f.txt").display().to_string();
        let one = |dest: &str| upload_items(std::slice::from_ref(&f), &uri(dest), false).0;
        assert_eq!(keys(&one("s3://bk")), ["f.txt"]);
        assert_eq!(keys(&one("s3://bk/")), ["f.txt"]);
        assert_eq!(keys(&one("s3://bk/p")), ["p"]);
        assert_eq!(keys(&one("s3://bk/p/")), ["p/f.txt"]);
        let a = t.path().join("d/a.txt").display().to_string();
        let (two, _) = upload_items(&[f.clone(), a], &uri("s3://bk/p"), false);
        assert_eq!(
            keys(&two),
            ["p/f.txt", "p/a.txt"],
            "several sources: a prefix"
        );
        let (none, skips) = upload_items(std::slice::from_ref(&f), &uri("s3://bk/p/"), true);
        assert!(none.is_empty());
        assert!(skips[0].why.contains("without --recursive"), "{skips:?}");
        let d = t.path().join("d").display().to_string();
        let (none, skips) = upload_items(&[d], &uri("s3://bk/p/"), false);
        assert!(none.is_empty());
        assert!(skips[0].why.contains("add --recursive"), "{skips:?}");
    }

    #[test]
    fn a_link_to_a_parent_folder_is_skipped_and_named_not_followed_forever() {
        let t = tree();
        let d = t.path().join("d");
        std::os::unix::fs::symlink(&d, d.join("sub/up")).expect("link");
        std::os::unix::fs::symlink(t.path().join("f.txt"), d.join("f-link.txt")).expect("link");
        let (items, skips) = upload_items(&[d.display().to_string()], &uri("s3://bk/p/"), true);
        assert_eq!(keys(&items), ["p/a.txt", "p/f-link.txt", "p/sub/b.txt"]);
        assert_eq!(skips.len(), 1, "{skips:?}");
        assert!(skips[0].what.ends_with("sub/up"), "{skips:?}");
        assert!(skips[0].why.contains("loop"), "{skips:?}");
    }

    #[test]
    fn downloads_land_below_the_folder_by_their_key_under_the_prefix() {
        let obj = |k: &str, size| ObjectEntry {
            key: k.into(),
            folder: false,
            size,
            last_modified: None,
            storage_class: None,
        };
        let listing = [
            obj("p/a.txt", 1),
            obj("p/marker/", 0),
            obj("p/ü n/é 1.txt", 2),
        ];
        for src in ["s3://bk/p", "s3://bk/p/"] {
            let (items, skips) = download_items(&uri(src), Path::new("/tmp/dl"), &listing);
            let paths: Vec<PathBuf> = items.iter().map(|i| i.local.clone()).collect();
            assert_eq!(
                paths,
                [
                    PathBuf::from("/tmp/dl/a.txt"),
                    PathBuf::from("/tmp/dl/ü n/é 1.txt")
                ]
            );
            assert!(skips.is_empty());
        }
        assert_eq!(download_prefix(&uri("s3://bk")), "");
        let t = tree();
        let here = t.path().display().to_string();
        let a = uri("s3://bk/p/a.txt");
        assert_eq!(download_path(&a, &here), Ok(t.path().join("a.txt")));
        assert_eq!(
            download_path(&a, &format!("{here}/new/")),
            Ok(t.path().join("new/a.txt"))
        );
        assert_eq!(
            download_path(&a, &format!("{here}/name")),
            Ok(t.path().join("name"))
        );
        assert!(
            download_path(&uri("s3://bk/p/"), &here)
                .expect_err("a folder")
                .contains("--recursive")
        );
    }

    #[test]
    fn keeping_both_picks_the_first_free_numbered_name() {
        let taken = [PathBuf::from("/x/a.csv"), PathBuf::from("/x/a (1).csv")];
        let exists = |p: &Path| taken.iter().any(|t| t == p);
        assert_eq!(
            free_name(Path::new("/x/a.csv"), exists),
            PathBuf::from("/x/a (2).csv")
        );
        assert_eq!(
            free_name(Path::new("/x/b.csv"), exists),
            PathBuf::from("/x/b.csv")
        );
        assert_eq!(
            free_name(Path::new("/x/a (1).csv"), |_| false),
            PathBuf::from("/x/a (1).csv")
        );
    }
}
