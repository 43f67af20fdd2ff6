//! `:` command mode: parsing a command line and completing it (pure
//! logic). The words that open views, and the words views take with
//! arguments, come from the views themselves ([`Words`]).

use super::msg::ViewId;

/// A command typed after `:`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    View(ViewId),
    /// A word a view takes, with what follows it.
    ForView {
        view: ViewId,
        word: String,
        args: String,
    },
    Regions(Vec<String>),
    AllRegions,
    Theme(String),
    Refresh,
    Help,
    Quit,
    /// `:q!`: quit without asking, stopping live work.
    ForceQuit,
    /// Switch to another AWS profile.
    Profile(String),
    /// The notification history.
    Messages,
}

/// The app's own command words with what they take, for completion and help.
pub const COMMANDS: &[(&str, &str)] = &[
    ("region", "NAME[,NAME…] | all"),
    ("theme", "NAME"),
    ("profile", "NAME (from ~/.aws/config or the keyring)"),
    ("refresh", ""),
    ("messages", "(the notifications so far)"),
    ("help", ""),
    ("quit", ""),
    ("q", ""),
];

/// What the views answer to after `:`: the words that open each, and the
/// words each takes with arguments (and what they take).
#[derive(Debug, Clone, Default)]
pub struct Words {
    pub views: Vec<(ViewId, &'static [&'static str])>,
    pub with_args: Vec<(ViewId, &'static str, &'static str)>,
}

impl Words {
    fn view(&self, word: &str) -> Option<ViewId> {
        self.views
            .iter()
            .find(|(_, words)| words.contains(&word))
            .map(|(id, _)| *id)
    }

    fn with_args(&self, word: &str) -> Option<ViewId> {
        self.with_args
            .iter()
            .find(|(_, w, _)| *w == word)
            .map(|(id, _, _)| *id)
    }

    /// Every word to offer first: the app's, each view's first, the views'
    /// words with arguments.
    pub fn all(&self) -> Vec<String> {
        let mut out: Vec<String> = COMMANDS.iter().map(|(c, _)| c.to_string()).collect();
        out.extend(
            self.views
                .iter()
                .filter_map(|(_, w)| w.first().map(|w| w.to_string())),
        );
        out.extend(self.with_args.iter().map(|(_, w, _)| w.to_string()));
        out
    }
}

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
pub fn parse(line: &str, views: &Words) -> Result<Command, String> {
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
    if let Some(view) = views.view(word) {
        return no_args(Command::View(view));
    }
    if let Some(view) = views.with_args(word) {
        // The rest of the line as typed: a path keeps its spaces.
        let args = line.trim_start()[word.len()..].trim();
        return Ok(Command::ForView {
            view,
            word: word.to_string(),
            args: args.to_string(),
        });
    }
    match word {
        "refresh" | "r" => no_args(Command::Refresh),
        "help" | "h" => no_args(Command::Help),
        "messages" | "messages!" | "msg" | "log" => no_args(Command::Messages),
        "q" | "quit" | "exit" => no_args(Command::Quit),
        "q!" | "quit!" => no_args(Command::ForceQuit),
        "profile" => match rest.as_slice() {
            [name] => Ok(Command::Profile((*name).to_string())),
            _ => Err(":profile takes one name: tab lists the profiles".into()),
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
        other => Err(match close_words(other, views).as_slice() {
            [] => format!("unknown command `{other}`: press tab to see the commands"),
            close => format!(
                "unknown command `{other}`: did you mean {}? (tab lists the commands)",
                close
                    .iter()
                    .map(|w| format!(":{w}"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        }),
    }
}

/// Known words close to `typed` (a typo), the closest first, at most three.
fn close_words(typed: &str, views: &Words) -> Vec<String> {
    let mut known: Vec<String> = views.all();
    known.extend(
        views
            .views
            .iter()
            .flat_map(|(_, w)| w.iter().map(|w| w.to_string())),
    );
    known.sort_unstable();
    known.dedup();
    let mut scored: Vec<(f64, String)> = known
        .into_iter()
        .map(|w| (strsim::jaro_winkler(typed, &w), w))
        .filter(|(score, w)| *score >= 0.85 && w.len() > 1)
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
    scored.into_iter().take(3).map(|(_, w)| w).collect()
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
    views: &Words,
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
        views.all()
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

    const INSTANCES: ViewId = ViewId("instances");
    const CLUSTERS: ViewId = ViewId("clusters");

    fn words() -> Words {
        Words {
            views: vec![
                (INSTANCES, &["instances", "instance", "i"]),
                (CLUSTERS, &["clusters", "cluster"]),
            ],
            with_args: vec![(ViewId("objects"), "upload", "PATH")],
        }
    }

    #[test]
    fn a_typo_is_answered_with_the_close_words() {
        let err = parse("clustr", &words()).expect_err("unknown");
        assert!(err.contains("did you mean :cluster"), "{err}");
        let err = parse("zzzz", &words()).expect_err("unknown");
        assert!(!err.contains("did you mean"), "{err}");
    }

    #[test]
    fn arguments_keep_their_spaces() {
        assert_eq!(
            parse("upload  /data/with  two spaces (1).csv ", &words()),
            Ok(Command::ForView {
                view: ViewId("objects"),
                word: "upload".into(),
                args: "/data/with  two spaces (1).csv".into(),
            })
        );
    }

    #[test]
    fn commands_parse() {
        assert_eq!(parse("instances", &words()), Ok(Command::View(INSTANCES)));
        assert_eq!(parse(" clusters ", &words()), Ok(Command::View(CLUSTERS)));
        assert_eq!(parse("q", &words()), Ok(Command::Quit));
        assert_eq!(
            parse("theme mono", &words()),
            Ok(Command::Theme("mono".into()))
        );
        assert_eq!(
            parse("region eu-west-1,us-east-1", &words()),
            Ok(Command::Regions(vec![
                "eu-west-1".into(),
                "us-east-1".into()
            ]))
        );
        assert_eq!(parse("region all", &words()), Ok(Command::AllRegions));
        assert_eq!(
            parse("upload ~/data/run 42", &words()),
            Ok(Command::ForView {
                view: ViewId("objects"),
                word: "upload".into(),
                args: "~/data/run 42".into()
            })
        );
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
            let err = parse(line, &words()).expect_err(line);
            assert!(err.contains(needle), "{line}: {err}");
        }
    }

    #[test]
    fn completion_extends_commands_and_arguments() {
        let regions = vec!["us-east-1".to_string()];
        let themes = vec!["dark".to_string(), "light".to_string(), "mono".to_string()];
        let profiles = vec!["default".to_string(), "research".to_string()];
        assert_eq!(
            complete("in", &words(), &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("instances ")
        );
        let (line, cands) = complete("", &words(), &regions, &themes, &profiles);
        assert_eq!(line, None);
        assert!(cands.contains(&"region".to_string()));
        assert_eq!(
            complete("theme m", &words(), &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("theme mono")
        );
        assert_eq!(
            complete("region eu-w", &words(), &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("region eu-west-")
        );
        let (_, cands) = complete("region eu-west-", &words(), &regions, &themes, &profiles);
        assert_eq!(cands, ["eu-west-1", "eu-west-2", "eu-west-3"]);
        assert_eq!(
            complete("zzz", &words(), &regions, &themes, &profiles),
            (None, vec![])
        );
        assert_eq!(
            complete("profile re", &words(), &regions, &themes, &profiles)
                .0
                .as_deref(),
            Some("profile research")
        );
    }

    #[test]
    fn region_lists_complete_after_the_comma() {
        let (line, _) = complete("region eu-west-1,us-e", &words(), &[], &[], &[]);
        assert_eq!(line.as_deref(), Some("region eu-west-1,us-east-"));
        let (line, _) = complete("region eu-west-1,us-east-2", &words(), &[], &[], &[]);
        assert_eq!(line.as_deref(), Some("region eu-west-1,us-east-2"));
        let (_, offered) = complete("region eu-west-1,eu-w", &words(), &[], &[], &[]);
        assert!(!offered.contains(&"eu-west-1".to_string()), "{offered:?}");
        assert_eq!(parse("messages", &words()), Ok(Command::Messages));
    }
}
