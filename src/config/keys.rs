//! The keymap as data: actions, the keys bound to them, and their help text.
//!
//! Key names are parsed here without any terminal library, so the config layer
//! stays independent of the TUI; the TUI converts its key events into
//! [`KeySpec`] to look them up.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::Deserialize;

/// Something a key can do. The order here is the order of the help screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Command,
    Filter,
    Back,
    Refresh,
    Details,
    Messages,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    SortNext,
    SortReverse,
    NextView,
    PreviousView,
    PickProfile,
    PickRegion,
    Download,
    Upload,
    DeleteObjects,
    Breakdown,
    Tunnel,
    OpenUrl,
    CopyUrl,
    RestartTunnel,
    Mark,
    Start,
    Stop,
    Pause,
    Resume,
    Reboot,
    Terminate,
    Guard,
    Shell,
    RunOnNodes,
    Launch,
    Grow,
    Shrink,
    Remove,
}

impl Action {
    /// What the action does, in the words of the help screen and footer.
    pub fn description(self) -> &'static str {
        match self {
            Self::Quit => "quit",
            Self::Help => "this help",
            Self::Command => "command mode (:instances, :region, :theme, :q …)",
            Self::Filter => "filter rows (a leading ! inverts)",
            Self::Back => "back: close popup, clear filter",
            Self::Refresh => "refresh now",
            Self::Details => "details of the selected row",
            Self::Messages => "the notifications so far (:messages)",
            Self::Up => "move up",
            Self::Down => "move down",
            Self::PageUp => "page up",
            Self::PageDown => "page down",
            Self::Top => "first row",
            Self::Bottom => "last row",
            Self::SortNext => "sort by next column",
            Self::SortReverse => "reverse sort order",
            Self::NextView => "next view",
            Self::PreviousView => "previous view",
            Self::PickProfile => "switch AWS profile (:profile, tab lists them)",
            Self::PickRegion => "switch region(s) (:region, tab lists them; :region all)",
            Self::Download => "in a bucket: download the selection",
            Self::Upload => "in a bucket: upload a file or folder (:upload PATH)",
            Self::DeleteObjects => {
                "in a bucket: delete the selected or marked objects (asks first)"
            }
            Self::Tunnel => "SSH tunnels to the selected instance or cluster master",
            Self::OpenUrl => "Tunnels: open the URL in the browser",
            Self::CopyUrl => "copy (OSC 52): a tunnel's URL, an object's URI, an id or address",
            Self::RestartTunnel => "Tunnels: reconnect now",
            Self::Breakdown => "Costs by resource, by cluster, by tag, or S3 storage per bucket",
            Self::Mark => "mark or unmark the row (actions apply to all marked rows)",
            Self::Start => {
                "start (a Spark cluster: master first; a terminated EMR cluster: relaunch)"
            }
            Self::Stop => "stop (a Spark cluster: workers first), asks first",
            Self::Pause => "pause: hibernate; EMR: scale down to the minimum",
            Self::Resume => "resume: start; EMR: restore the instance counts",
            Self::Reboot => "reboot, asks first",
            Self::Terminate => "terminate, asks for the name to be typed",
            Self::Guard => {
                "guards of the selected instance or cluster: stop when idle, start and stop on a schedule (they work while skiff is closed)"
            }
            Self::Remove => "Leftovers: remove the selected one (asks for its id to be typed)",
            Self::Shell => {
                "a shell on the selected instance or cluster master (exit returns to skiff)"
            }
            Self::RunOnNodes => "run a command on every node of the selected cluster",
            Self::Launch => "launch machines from a recipe (the plan and its $/hour first)",
            Self::Grow => "Clusters: add a worker like the others (asks, with the $/hour change)",
            Self::Shrink => "Clusters: terminate the newest worker (asks first)",
        }
    }
}

/// A named key without modifiers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum KeyName {
    Char(char),
    Enter,
    Esc,
    Tab,
    BackTab,
    Backspace,
    Delete,
    Up,
    Down,
    Left,
    Right,
    PageUp,
    PageDown,
    Home,
    End,
    F(u8),
}

/// A key with its modifiers, as written in the config (`ctrl-r`, `G`, `enter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KeySpec {
    pub key: KeyName,
    pub ctrl: bool,
    pub alt: bool,
}

impl KeySpec {
    pub const fn plain(key: KeyName) -> Self {
        Self {
            key,
            ctrl: false,
            alt: false,
        }
    }
}

impl FromStr for KeySpec {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let mut rest = s;
        let (mut ctrl, mut alt) = (false, false);
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-").filter(|r| !r.is_empty()) {
                ctrl = true;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-").filter(|r| !r.is_empty()) {
                alt = true;
                rest = r;
            } else {
                break;
            }
        }
        let key = match rest {
            "enter" => KeyName::Enter,
            "esc" => KeyName::Esc,
            "tab" => KeyName::Tab,
            "backtab" => KeyName::BackTab,
            "backspace" => KeyName::Backspace,
            "delete" => KeyName::Delete,
            "space" => KeyName::Char(' '),
            "up" => KeyName::Up,
            "down" => KeyName::Down,
            "left" => KeyName::Left,
            "right" => KeyName::Right,
            "pageup" => KeyName::PageUp,
            "pagedown" => KeyName::PageDown,
            "home" => KeyName::Home,
            "end" => KeyName::End,
            f if f.len() > 1
                && f.starts_with('f')
                && f[1..].parse::<u8>().is_ok_and(|n| (1..=12).contains(&n)) =>
            {
                KeyName::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => KeyName::Char(c.chars().next().unwrap_or(' ')),
            _ => {
                return Err(format!(
                    "`{s}` is not a key: use a single character, a name such as enter, esc, tab, up, pageup, f5, optionally with ctrl- or alt-"
                ));
            }
        };
        Ok(Self { key, ctrl, alt })
    }
}

impl<'de> Deserialize<'de> for KeySpec {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.ctrl {
            f.write_str("ctrl-")?;
        }
        if self.alt {
            f.write_str("alt-")?;
        }
        match self.key {
            KeyName::Char(' ') => f.write_str("space"),
            KeyName::Char(c) => write!(f, "{c}"),
            KeyName::Enter => f.write_str("enter"),
            KeyName::Esc => f.write_str("esc"),
            KeyName::Tab => f.write_str("tab"),
            KeyName::BackTab => f.write_str("shift-tab"),
            KeyName::Backspace => f.write_str("backspace"),
            KeyName::Delete => f.write_str("delete"),
            KeyName::Up => f.write_str("↑"),
            KeyName::Down => f.write_str("↓"),
            KeyName::Left => f.write_str("←"),
            KeyName::Right => f.write_str("→"),
            KeyName::PageUp => f.write_str("pgup"),
            KeyName::PageDown => f.write_str("pgdn"),
            KeyName::Home => f.write_str("home"),
            KeyName::End => f.write_str("end"),
            KeyName::F(n) => write!(f, "f{n}"),
        }
    }
}

impl Action {
    /// The action a `[keys]` name stands for, if it is one of these.
    pub fn named(name: &str) -> Option<Self> {
        use serde::de::IntoDeserializer;
        let d: serde::de::value::StrDeserializer<'_, serde::de::value::Error> =
            name.into_deserializer();
        Self::deserialize(d).ok()
    }
}

/// A key a part of the TUI declares for itself (a view's switch key, a
/// dialog's opener): its name in `[keys]`, its default keys, what it does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Binding {
    pub name: &'static str,
    pub keys: &'static [&'static str],
    pub help: &'static str,
}

/// Action → keys, as merged from the defaults and the user's `[keys]` table;
/// names that are not actions are kept for the bindings the TUI declares.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keymap {
    bindings: BTreeMap<Action, Vec<KeySpec>>,
    named: BTreeMap<String, Vec<KeySpec>>,
}

impl<'de> Deserialize<'de> for Keymap {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let all = BTreeMap::<String, Vec<KeySpec>>::deserialize(d)?;
        let mut map = Self::default();
        for (name, keys) in all {
            match Action::named(&name) {
                Some(action) => {
                    map.bindings.insert(action, keys);
                }
                None => {
                    map.named.insert(name, keys);
                }
            }
        }
        Ok(map)
    }
}

impl Keymap {
    /// The action bound to a key. When two actions share a key, the one listed
    /// first (in help order) wins, so a user's rebinding is predictable.
    pub fn action_for(&self, key: &KeySpec) -> Option<Action> {
        self.bindings
            .iter()
            .find(|(_, keys)| keys.contains(key))
            .map(|(action, _)| *action)
    }

    pub fn keys_for(&self, action: Action) -> &[KeySpec] {
        self.bindings.get(&action).map_or(&[], Vec::as_slice)
    }

    /// Every bound action with its keys, in help order.
    pub fn entries(&self) -> impl Iterator<Item = (Action, &[KeySpec])> {
        self.bindings
            .iter()
            .filter(|(_, keys)| !keys.is_empty())
            .map(|(a, k)| (*a, k.as_slice()))
    }

    /// The keys of a declared binding: the user's, else its defaults.
    pub fn bound(&self, b: &Binding) -> Vec<KeySpec> {
        self.named
            .get(b.name)
            .cloned()
            .unwrap_or_else(|| b.keys.iter().filter_map(|k| k.parse().ok()).collect())
    }

    /// Names in `[keys]` that are neither an action nor one of `declared`.
    pub fn unknown<'a>(&'a self, declared: &[&str]) -> Vec<&'a str> {
        self.named
            .keys()
            .map(String::as_str)
            .filter(|n| !declared.contains(n))
            .collect()
    }

    /// The keys of an action joined for display (`q/ctrl-c`).
    pub fn label(&self, action: Action) -> String {
        self.keys_for(action)
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join("/")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_names_parse_and_print() {
        let cases = [
            ("q", KeySpec::plain(KeyName::Char('q')), "q"),
            ("G", KeySpec::plain(KeyName::Char('G')), "G"),
            ("enter", KeySpec::plain(KeyName::Enter), "enter"),
            ("f5", KeySpec::plain(KeyName::F(5)), "f5"),
            ("space", KeySpec::plain(KeyName::Char(' ')), "space"),
            (
                "ctrl-c",
                KeySpec {
                    key: KeyName::Char('c'),
                    ctrl: true,
                    alt: false,
                },
                "ctrl-c",
            ),
            (
                "ctrl-alt-x",
                KeySpec {
                    key: KeyName::Char('x'),
                    ctrl: true,
                    alt: true,
                },
                "ctrl-alt-x",
            ),
        ];
        for (text, want, shown) in cases {
            let got: KeySpec = text.parse().unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(got, want, "{text}");
            assert_eq!(got.to_string(), shown);
        }
    }

    #[test]
    fn bad_key_names_are_refused_with_advice() {
        for bad in ["", "enterr", "f13", "f0", "ctrl-foo", "ctrl-"] {
            let err = bad.parse::<KeySpec>().expect_err(bad);
            assert!(err.contains("is not a key"), "{err}");
        }
    }
}
