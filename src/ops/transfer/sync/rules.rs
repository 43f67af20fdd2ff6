//! The AWS CLI's `sync` rules, pure: which files `--exclude`/`--include`
//! leave in (every file starts in; each filter that matches, in the order
//! given, decides; the last one wins; patterns match the path below the
//! side's root with `fnmatch`'s rules, `*` crossing `/`), which files go
//! (missing at the destination; else a different size, or a source newer
//! than the destination — for downloads a destination newer than the
//! source, as the AWS CLI does, since a downloaded file takes the object's
//! time; `--size-only`: the size alone; `--exact-timestamps`: downloads go
//! when the times differ at all), and which the destination loses with
//! `--delete`.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};

/// One `--exclude` or `--include`, in the order given.
#[derive(Debug, Clone)]
pub enum Filter {
    Exclude(glob::Pattern),
    Include(glob::Pattern),
}

impl Filter {
    pub fn exclude(pattern: &str) -> Result<Filter, String> {
        Ok(Filter::Exclude(compile(pattern)?))
    }

    pub fn include(pattern: &str) -> Result<Filter, String> {
        Ok(Filter::Include(compile(pattern)?))
    }
}

fn compile(pattern: &str) -> Result<glob::Pattern, String> {
    // fnmatch has no `**`: two stars are one.
    let mut p = pattern.to_string();
    while p.contains("**") {
        p = p.replace("**", "*");
    }
    glob::Pattern::new(&p).map_err(|e| format!("`{pattern}` is not a pattern: {e}"))
}

const FNMATCH: glob::MatchOptions = glob::MatchOptions {
    case_sensitive: true,
    require_literal_separator: false,
    require_literal_leading_dot: false,
};

/// Whether `rel` (a path below the root, `/`-separated) stays in.
pub fn included(rel: &str, filters: &[Filter]) -> bool {
    let mut keep = true;
    for f in filters {
        match f {
            Filter::Exclude(p) if p.matches_with(rel, FNMATCH) => keep = false,
            Filter::Include(p) if p.matches_with(rel, FNMATCH) => keep = true,
            _ => {}
        }
    }
    keep
}

/// A file on one side: its size and when it last changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stat {
    pub size: u64,
    pub modified: DateTime<Utc>,
}

/// Which way the files go.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Way {
    Upload,
    Download,
    Copy,
}

/// How a file present on both sides is compared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Compare {
    pub size_only: bool,
    pub exact_timestamps: bool,
}

/// Whether a file present on both sides goes again.
pub fn goes(way: Way, src: Stat, dst: Stat, how: Compare) -> bool {
    if src.size != dst.size {
        return true;
    }
    if how.size_only {
        return false;
    }
    // Whole seconds, as S3 keeps them.
    let delta = dst.modified.timestamp() - src.modified.timestamp();
    match way {
        Way::Upload | Way::Copy => delta < 0,
        Way::Download if how.exact_timestamps => delta != 0,
        Way::Download => delta > 0,
    }
}

/// What a sync does, by path below the roots.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Decision {
    /// Paths to send, in order.
    pub send: Vec<String>,
    /// Destination paths to delete (with `--delete`).
    pub delete: Vec<String>,
    pub unchanged: usize,
}

/// Compares the two sides' listings (already filtered), in memory.
pub fn decide(
    way: Way,
    src: &BTreeMap<String, Stat>,
    dst: &BTreeMap<String, Stat>,
    how: Compare,
    delete: bool,
) -> Decision {
    let mut d = Decision::default();
    for (rel, s) in src {
        match dst.get(rel) {
            Some(t) if !goes(way, *s, *t, how) => d.unchanged += 1,
            _ => d.send.push(rel.clone()),
        }
    }
    if delete {
        d.delete = dst
            .keys()
            .filter(|k| !src.contains_key(*k))
            .cloned()
            .collect();
    }
    d
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn at(secs: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(secs, 0).unwrap_or_default()
    }

    #[test]
    fn the_last_matching_filter_wins() {
        let f = |list: &[(&str, bool)]| -> Vec<Filter> {
            list.iter()
                .map(|(p, inc)| {
                    if *inc {
                        Filter::include(p).unwrap()
                    } else {
                        Filter::exclude(p).unwrap()
                    }
                })
                .collect()
        };
        let ex_all_in_csv = f(&[("*", false), ("*.csv", true)]);
        assert!(included("runs/a.csv", &ex_all_in_csv));
        assert!(!included("runs/a.txt", &ex_all_in_csv));
        let in_then_ex = f(&[("*.csv", true), ("*", false)]);
        assert!(!included("a.csv", &in_then_ex));
        // `*` crosses folders; `?` is one character; classes work.
        assert!(!included("tmp/x/y.log", &f(&[("tmp/*", false)])));
        assert!(!included("a1.txt", &f(&[("a?.txt", false)])));
        assert!(!included("b7", &f(&[("b[0-9]", false)])));
        assert!(included("b7x", &f(&[("b[0-9]", false)])));
        assert!(!included("x/deep/file", &f(&[("**/file", false)])));
    }

    #[test]
    fn what_goes_follows_the_aws_cli() {
        let s = |size, t| Stat {
            size,
            modified: at(t),
        };
        let dflt = Compare::default();
        // A size change always goes.
        assert!(goes(Way::Upload, s(1, 100), s(2, 100), dflt));
        // Uploads: a newer source goes, an older one does not.
        assert!(goes(Way::Upload, s(1, 200), s(1, 100), dflt));
        assert!(!goes(Way::Upload, s(1, 100), s(1, 200), dflt));
        // Downloads: a destination newer than the object goes again.
        assert!(goes(Way::Download, s(1, 100), s(1, 200), dflt));
        assert!(!goes(Way::Download, s(1, 200), s(1, 100), dflt));
        let exact = Compare {
            exact_timestamps: true,
            ..dflt
        };
        assert!(goes(Way::Download, s(1, 200), s(1, 100), exact));
        assert!(!goes(Way::Download, s(1, 100), s(1, 100), exact));
        let size_only = Compare {
            size_only: true,
            ..dflt
        };
        assert!(!goes(Way::Upload, s(1, 500), s(1, 100), size_only));
    }

    proptest! {
        /// After a sync, the destination is what the source was: a second
        /// decision sends and deletes nothing, and every source path is
        /// either sent or unchanged.
        #[test]
        fn a_second_sync_has_nothing_to_do(
            src in proptest::collection::btree_map("[a-c]{1,2}", (0u64..4, 0i64..4), 0..8),
            dst in proptest::collection::btree_map("[a-c]{1,2}", (0u64..4, 0i64..4), 0..8),
            way in prop_oneof![Just(Way::Upload), Just(Way::Download), Just(Way::Copy)],
            size_only in any::<bool>(),
            exact in any::<bool>(),
        ) {
            let how = Compare { size_only, exact_timestamps: exact };
            let stat = |(size, t): (u64, i64)| Stat { size, modified: at(t) };
            let src: BTreeMap<String, Stat> = src.into_iter().map(|(k, v)| (k, stat(v))).collect();
            let mut dst: BTreeMap<String, Stat> = dst.into_iter().map(|(k, v)| (k, stat(v))).collect();
            let d = decide(way, &src, &dst, how, true);
            prop_assert_eq!(d.send.len() + d.unchanged, src.len());
            for k in &d.delete {
                prop_assert!(!src.contains_key(k));
                dst.remove(k);
            }
            // What arrives takes the source's size; a download takes the
            // object's time, an upload or copy a time no older than it.
            for k in &d.send {
                dst.insert(k.clone(), src[k]);
            }
            let again = decide(way, &src, &dst, how, true);
            prop_assert!(again.send.is_empty(), "{:?}", again);
            prop_assert!(again.delete.is_empty());
        }
    }
}
