//! Transfer planning (pure): part sizes, S3 URIs, bucket names, the keys of
//! a folder upload, the local path of a downloaded key (never outside the
//! target directory), and the ETag S3 gives an object.

use std::path::{Component, Path, PathBuf};

use md5::{Digest, Md5};

pub const MIB: u64 = 1024 * 1024;
/// S3's smallest part (all but the last), and its largest count.
pub const MIN_PART: u64 = 5 * MIB;
pub const MAX_PARTS: u64 = 10_000;

/// The part size for a file: the one asked for (at least 5 MiB), grown in
/// whole MiB so that no file needs more than 10,000 parts.
pub fn part_size(file_size: u64, wanted: u64) -> u64 {
    let wanted = wanted.max(MIN_PART);
    let needed = file_size.div_ceil(MAX_PARTS);
    wanted.max(needed.div_ceil(MIB) * MIB)
}

/// The (offset, length) of each part.
pub fn parts(file_size: u64, part_size: u64) -> Vec<(u64, u64)> {
    let mut out = Vec::new();
    let mut offset = 0;
    while offset < file_size {
        let len = part_size.min(file_size - offset);
        out.push((offset, len));
        offset += len;
    }
    out
}

/// `s3://bucket/key-or-prefix`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct S3Uri {
    pub bucket: String,
    pub key: String,
}

impl S3Uri {
    pub fn parse(text: &str) -> Option<Self> {
        let rest = text
            .strip_prefix("s3://")
            .or_else(|| text.strip_prefix("s3a://"))?;
        let (bucket, key) = rest.split_once('/').unwrap_or((rest, ""));
        (!bucket.is_empty()).then(|| Self {
            bucket: bucket.to_string(),
            key: key.to_string(),
        })
    }

    pub fn is_prefix(&self) -> bool {
        self.key.is_empty() || self.key.ends_with('/')
    }
}

impl std::fmt::Display for S3Uri {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "s3://{}/{}", self.bucket, self.key)
    }
}

/// Why a bucket name is refused (S3's general-purpose bucket naming rules),
/// before any call is made.
pub fn check_bucket_name(name: &str) -> Result<(), String> {
    let bad = |why: &str| Err(format!("`{name}` is not a valid bucket name: {why}"));
    if !(3..=63).contains(&name.len()) {
        return bad("it must be 3 to 63 characters long");
    }
    if !name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-' || c == '.')
    {
        return bad("use only lowercase letters, digits, hyphens and dots");
    }
    let first_last_ok =
        |c: Option<char>| c.is_some_and(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
    if !first_last_ok(name.chars().next()) || !first_last_ok(name.chars().last()) {
        return bad("it must begin and end with a letter or digit");
    }
    if name.contains("..") {
        return bad("two dots in a row are not allowed");
    }
    if name.split('.').count() == 4 && name.split('.').all(|p| p.parse::<u8>().is_ok()) {
        return bad("it must not look like an IP address");
    }
    if name.starts_with("xn--")
        || name.starts_with("sthree-")
        || name.ends_with("-s3alias")
        || name.ends_with("--ol-s3")
    {
        return bad("that prefix or suffix is reserved by AWS");
    }
    Ok(())
}

/// The key of `file` inside an uploaded folder: `prefix` + its path relative
/// to `root`, with `/` separators.
pub fn key_for(prefix: &str, root: &Path, file: &Path) -> Option<String> {
    let rel = file.strip_prefix(root).ok()?;
    let parts: Vec<String> = rel
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    let mut prefix = prefix.to_string();
    if !prefix.is_empty() && !prefix.ends_with('/') {
        prefix.push('/');
    }
    Some(format!("{prefix}{}", parts.join("/")))
}

/// Where `key` (below `prefix`) goes inside `dir`. Refuses keys that would
/// escape it (`..`, absolute paths), which S3 allows but a disk must not.
pub fn local_path(dir: &Path, prefix: &str, key: &str) -> Result<PathBuf, String> {
    let rel = key
        .strip_prefix(prefix)
        .unwrap_or(key)
        .trim_start_matches('/');
    if rel.is_empty() {
        return Err(format!("key `{key}` names no file"));
    }
    let mut out = dir.to_path_buf();
    for c in Path::new(rel).components() {
        match c {
            Component::Normal(part) => out.push(part),
            Component::CurDir => {}
            _ => {
                return Err(format!(
                    "refusing key `{key}`: it would be written outside {}",
                    dir.display()
                ));
            }
        }
    }
    Ok(out)
}

/// S3's ETag of an object: the MD5 of its bytes, or for a multipart upload
/// the MD5 of the parts' MD5s followed by `-N`.
pub fn etag(part_md5s: &[[u8; 16]], multipart: bool) -> String {
    if !multipart {
        return part_md5s
            .first()
            .map(hex::encode)
            .unwrap_or_else(|| hex::encode(Md5::digest(b"")));
    }
    let mut all = Md5::new();
    for d in part_md5s {
        all.update(d);
    }
    format!("{}-{}", hex::encode(all.finalize()), part_md5s.len())
}

pub fn md5(bytes: &[u8]) -> [u8; 16] {
    Md5::digest(bytes).into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_sizes_keep_under_10000_parts() {
        assert_eq!(part_size(1, 8 * MIB), 8 * MIB);
        assert_eq!(part_size(1, MIB), MIN_PART, "never below 5 MiB");
        let tib = 1024 * 1024 * MIB;
        let p = part_size(tib, 8 * MIB);
        assert!(tib.div_ceil(p) <= MAX_PARTS, "{p}");
        assert_eq!(p % MIB, 0);
        assert_eq!(parts(17 * MIB, 5 * MIB).len(), 4);
        assert_eq!(parts(17 * MIB, 5 * MIB)[3], (15 * MIB, 2 * MIB));
        assert_eq!(parts(0, 5 * MIB), vec![]);
        assert_eq!(parts(5 * MIB, 5 * MIB), vec![(0, 5 * MIB)]);
    }

    #[test]
    fn uris() {
        assert_eq!(
            S3Uri::parse("s3://b/a/c.csv"),
            Some(S3Uri {
                bucket: "b".into(),
                key: "a/c.csv".into()
            })
        );
        assert_eq!(
            S3Uri::parse("s3a://b"),
            Some(S3Uri {
                bucket: "b".into(),
                key: String::new()
            })
        );
        assert!(S3Uri::parse("s3://b/raw/").expect("uri").is_prefix());
        assert_eq!(S3Uri::parse("/tmp/x"), None);
        assert_eq!(S3Uri::parse("s3:///x"), None);
    }

    #[test]
    fn bucket_names() {
        for ok in ["rnd-datasets", "a.b-c", "abc", "x1y"] {
            assert_eq!(check_bucket_name(ok), Ok(()), "{ok}");
        }
        for (bad, why) in [
            ("ab", "3 to 63"),
            ("Rnd", "lowercase"),
            ("my_bucket", "lowercase"),
            ("-abc", "begin and end"),
            ("a..b", "two dots"),
            ("192.168.1.1", "IP address"),
            ("xn--abc", "reserved"),
        ] {
            let err = check_bucket_name(bad).expect_err(bad);
            assert!(err.contains(why), "{bad}: {err}");
        }
    }

    #[test]
    fn folder_keys_and_safe_download_paths() {
        let root = Path::new("/data/run");
        assert_eq!(
            key_for("raw", root, Path::new("/data/run/a b/é.csv")).as_deref(),
            Some("raw/a b/é.csv")
        );
        assert_eq!(
            key_for("", root, Path::new("/data/run/x")).as_deref(),
            Some("x")
        );
        let dir = Path::new("/tmp/out");
        assert_eq!(
            local_path(dir, "raw/", "raw/2026/a.csv"),
            Ok(PathBuf::from("/tmp/out/2026/a.csv"))
        );
        // A leading slash is not a way out: the key lands inside the folder.
        assert_eq!(
            local_path(dir, "", "/etc/passwd"),
            Ok(PathBuf::from("/tmp/out/etc/passwd"))
        );
        for evil in ["raw/../../etc/passwd", "raw/a/../../../x", "raw/.."] {
            let err = local_path(dir, "raw/", evil).expect_err(evil);
            assert!(err.contains("outside"), "{evil}: {err}");
        }
    }

    #[test]
    fn etags_like_s3() {
        assert_eq!(
            etag(&[md5(b"hello")], false),
            "5d41402abc4b2a76b9719d911017c592"
        );
        assert_eq!(etag(&[], false), "d41d8cd98f00b204e9800998ecf8427e");
        let multi = etag(&[md5(b"a"), md5(b"b")], true);
        assert!(multi.ends_with("-2") && multi.len() == 34, "{multi}");
    }
}
