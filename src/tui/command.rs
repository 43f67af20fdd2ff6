//! `:` command mode: parsing a command line and completing it (pure logic).

use super::app::ViewKind;

/// A command typed after `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    View(ViewKind),
    Regions(Vec<String>),
    AllRegions,
    Theme(String),
    Refresh,
    Help,
    Quit,
    Upload(String),
    MakeBucket(String),
    /// Switch to another AWS profile.
    Profile(String),
    /// The notification history.
    Messages,
}

/// Command words with what they take, for completion and help.
pub const COMMANDS: &[(&str, &str)] = &[
    ("instances", ""),
    ("clusters", ""),
    ("buckets", ""),
    ("leftovers", "(what costs money while nothing runs)"),
    ("region", "NAME[,NAME…] | all"),
    ("theme", "NAME"),
    ("profile", "NAME (from ~/.aws/config or the keyring)"),
    ("refresh", ""),
    ("upload", "PATH (into the bucket folder open)"),
    ("mb", "NAME (make a bucket)"),
    ("messages", "(the notifications so far)"),
    ("help", ""),
    ("quit", ""),
    ("q", ""),
];

/// Regions offered for completion besides the ones in use.
pub const KNOWN_REGIONS: &[&str] = &[
    "af-south-1",
    "ap-east-1",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ca-central-1",
    "eu-central-1",
    "eu-central-2",
    "eu-north-1",
    "eu-south-1",
    "eu-south-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "il-central-1",
    "me-central-1",
    "me-south-1",
    "sa-east-1",
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
];

fn looks_like_region(name: &str) -> bool {
    let parts: Vec<&str> = name.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.chars()
                    .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
        })
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
}

/// Parses a command line (without the leading `:`).
pub fn parse(line: &str) -> Result<Command, String> {
    let mut words = line.split_whitespace();
    let Some(word) = words.next() else {
        return Err(
            "empty command: try :instances, :clusters, :buckets, :region NAME, :theme NAME, :q"
                .into(),
        );
    };
    let rest: Vec<&str> = words.collect();
    let no_args = |cmd: Command| {
        if rest.is_empty() {
            Ok(cmd)
        } else {
            Err(format!(":{word} takes no argument"))
        }
    };
    match word {
        "instances" | "instance" | "i" | "ec2" => no_args(Command::View(ViewKind::Instances)),
        "clusters" | "cluster" | "c" | "emr" => no_args(Command::View(ViewKind::Clusters)),
        "buckets" | "bucket" | "b" | "s3" => no_args(Command::View(ViewKind::Buckets)),
        "leftovers" | "leftover" => no_args(Command::View(ViewKind::Leftovers)),
        "refresh" | "r" => no_args(Command::Refresh),
        "help" | "h" => no_args(Command::Help),
        "messages" | "messages!" | "msg" | "log" => no_args(Command::Messages),
        "q" | "quit" | "q!" | "exit" => no_args(Command::Quit),
        "profile" => match rest.as_slice() {
            [name] => Ok(Command::Profile((*name).to_string())),
            _ => Err(":profile takes one name: tab lists the profiles".into()),
        },
        "upload" | "put" => match rest.as_slice() {
            [] => Err(":upload needs a path, e.g. :upload ~/data/run-42".into()),
            words => Ok(Command::Upload(words.join(" "))),
        },
        "mb" => match rest.as_slice() {
            [name] => Ok(Command::MakeBucket(
                name.trim_start_matches("s3://").to_string(),
            )),
            _ => Err(":mb takes one bucket name".into()),
        },
        "theme" => match rest.as_slice() {
            [name] => Ok(Command::Theme((*name).to_string())),
            _ => Err(":theme takes one name, e.g. :theme mono".into()),
        },
        "region" | "regions" => {
            let names: Vec<String> = rest
                .iter()
                .flat_map(|w| w.split(','))
                .filter(|w| !w.is_empty())
                .map(str::to_string)
                .collect();
            match names.as_slice() {
                [] => Err(":region needs a name, e.g. :region eu-west-1 (or :region all)".into()),
                [all] if all == "all" => Ok(Command::AllRegions),
                _ => {
                    if let Some(bad) = names.iter().find(|n| !looks_like_region(n)) {
                        return Err(format!("`{bad}` is not a region name (like eu-west-1)"));
                    }
                    Ok(Command::Regions(names))
                }
            }
        }
        other => Err(format!(
            "unknown command `{other}`: press tab to see the commands"
        )),
    }
}

fn common_prefix(words: &[String]) -> String {
    let Some(first) = words.first() else {
        return String::new();
    };
    let mut len = first.len();
    for w in &words[1..] {
        len = len.min(
            first
                .bytes()
                .zip(w.bytes())
                .take_while(|(a, b)| a == b)
                .count(),
        );
    }
    first[..len].to_string()
}

/// Completion of what was typed: the completed line (if it can be extended)
/// and the candidates to show.
pub fn complete(
    line: &str,
    regions: &[String],
    themes: &[String],
    profiles: &[String],
) -> (Option<String>, Vec<String>) {
    let first_word = line.split_whitespace().next().unwrap_or("");
    // Region lists are comma-separated: complete the name after the last
    // comma too (`:region eu-west-1,us-e` → `…,us-east-`).
    let cut =
        |c: char| c.is_whitespace() || (c == ',' && matches!(first_word, "region" | "regions"));
    let (head, last) = match line.rfind(cut) {
        Some(i) => (&line[..=i], &line[i + 1..]),
        None => ("", line),
    };
    let pool: Vec<String> = if head.is_empty() {
        COMMANDS.iter().map(|(c, _)| c.to_string()).collect()
    } else {
        match first_word {
            "theme" => themes.to_vec(),
            "profile" => profiles.to_vec(),
            "region" | "regions" => {
                let mut all: Vec<String> = regions.to_vec();
                all.push("all".into());
                all.extend(KNOWN_REGIONS.iter().map(|r| r.to_string()));
                all.dedup();
                all
            }
            _ => vec![],
        }
    };
    let mut candidates: Vec<String> = pool.into_iter().filter(|c| c.starts_with(last)).collect();
    candidates.sort();
    candidates.dedup();
    // A name already in the list is not offered again.
    let listed: Vec<&str> = head.split([',', ' ']).collect();
    candidates.retain(|c| !listed.contains(&c.as_str()) || c == last);
    let completed = match candidates.as_slice() {
        [] => None,
        [only] => Some(format!(
            "{head}{only}{}",
            if head.is_empty() { " " } else { "" }
        )),
        many => {
            let prefix = common_prefix(many);
            (prefix.len() > last.len()).then(|| format!("{head}{prefix}"))
        }
    };
    (completed, candidates)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(parse("instances"), Ok(Command::View(ViewKind::Instances)));
        assert_eq!(parse(" clusters "), Ok(Command::View(ViewKind::Clusters)));
        assert_eq!(parse("q"), Ok(Command::Quit));
        assert_eq!(parse("theme mono"), Ok(Command::Theme("mono".into())));
        assert_eq!(
            parse("region eu-west-1,us-east-1"),
            Ok(Command::Regions(vec![
                "eu-west-1".into(),
                "us-east-1".into()
            ]))
        );
        assert_eq!(parse("region all"), Ok(Command::AllRegions));
    }

    #[test]
    fn bad_commands_say_why() {
        for (line, needle) in [
            ("", "empty command"),
            ("fly", "unknown command `fly`"),
            ("region", "needs a name"),
            ("region Paris", "not a region name"),
            ("theme", "one name"),
            ("q now", "takes no argument"),
        ] {
            let err = parse(line).expect_err(line);
            assert!(err.contains(needle), "{line}: {err}");
        }
    }

    #[test]
    fn completion_extends_commands_and_arguments() {
        let regions = vec!["us-east-1".to_string()];
        let themes = vec!["dark".to_string(), "light".to_string(), "mono".to_string()];
        let profiles = vec!["default".to_string(), "research".to_string()];
        assert_eq!(
            complete("in", &regions, &themes, &profiles).0.as_deref(),
            Some("instances ")
        );
        let (line, cands) = complete("", &regions, &themes, &profiles);
        assert_eq!(line, None);
        assert!(cands.contains(&"region".to_string()));
        assert_eq!(
            complete("theme m", &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("theme mono")
        );
        assert_eq!(
            complete("region eu-w", &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("region eu-west-")
        );
        let (_, cands) = complete("region eu-west-", &regions, &themes, &profiles);
        assert_eq!(cands, ["eu-west-1", "eu-west-2", "eu-west-3"]);
        assert_eq!(
            complete("zzz", &regions, &themes, &profiles),
            (None, vec![])
        );
        assert_eq!(
            complete("profile re", &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("profile research")
        );
    }

    #[test]
    fn region_lists_complete_after_the_comma() {
        let (line, _) = complete("region eu-west-1,us-e", &[], &[], &[]);
        assert_eq!(line.as_deref(), Some("region eu-west-1,us-east-"));
        let (line, _) = complete("region eu-west-1,us-east-2", &[], &[], &[]);
        assert_eq!(line.as_deref(), Some("region eu-west-1,us-east-2"));
        let (_, offered) = complete("region eu-west-1,eu-w", &[], &[], &[]);
        assert!(!offered.contains(&"eu-west-1".to_string()), "{offered:?}");
        assert_eq!(parse("messages"), Ok(Command::Messages));
    }
}
