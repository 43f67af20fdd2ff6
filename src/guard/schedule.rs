//! When a schedule runs: days of the week and a time of day in a time zone,
//! as the user writes them ("mon-fri 20:00"), as EventBridge Scheduler's
//! cron expression, and the next run after a moment.

use std::fmt;

use chrono::{DateTime, Datelike, Duration, NaiveDate, NaiveTime, TimeZone, Utc, Weekday};
use chrono_tz::Tz;

const NAMES: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const CRON_NAMES: [&str; 7] = ["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"];

/// Days of the week (bit 0 = Monday … bit 6 = Sunday).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Days(u8);

impl Days {
    pub const ALL: Self = Self(0x7f);

    fn day(name: &str) -> Option<u8> {
        let n = name.trim().to_ascii_lowercase();
        let n = n.get(..3).filter(|_| n.len() >= 3)?;
        NAMES.iter().position(|d| *d == n).map(|i| i as u8)
    }

    /// `daily`, `weekdays`, `weekends`, a day (`mon`), a range (`mon-fri`,
    /// `fri-mon` wraps) or a list of those (`sat,sun`, `mon,wed-fri`).
    pub fn parse(text: &str) -> Result<Self, String> {
        let t = text.trim().to_ascii_lowercase();
        let bad = || {
            format!(
                "{text:?} is not a set of days: write daily, weekdays, weekends, mon-fri, sat,sun or mon,wed,fri"
            )
        };
        match t.as_str() {
            "daily" | "every day" | "everyday" | "*" => return Ok(Self::ALL),
            "weekdays" => return Ok(Self(0x1f)),
            "weekends" | "weekend" => return Ok(Self(0x60)),
            _ => {}
        }
        let mut bits = 0u8;
        for part in t.split(',') {
            match part.split_once('-') {
                Some((a, b)) => {
                    let (a, b) = (Self::day(a).ok_or_else(bad)?, Self::day(b).ok_or_else(bad)?);
                    let mut d = a;
                    loop {
                        bits |= 1 << d;
                        if d == b {
                            break;
                        }
                        d = (d + 1) % 7;
                    }
                }
                None => bits |= 1 << Self::day(part).ok_or_else(bad)?,
            }
        }
        if bits == 0 {
            return Err(bad());
        }
        Ok(Self(bits))
    }

    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// The same days moved `by` days later (a time pushed past midnight).
    pub fn shifted(self, by: u32) -> Self {
        let by = (by % 7) as u8;
        Self(((self.0 << by) | (self.0 >> (7 - by))) & 0x7f)
    }

    /// Runs of consecutive days (Monday first, no wrapping), as
    /// (first, last) indices.
    fn runs(self) -> Vec<(usize, usize)> {
        let mut out: Vec<(usize, usize)> = Vec::new();
        for d in 0..7 {
            if self.0 & (1 << d) == 0 {
                continue;
            }
            match out.last_mut() {
                Some((_, last)) if *last + 1 == d => *last = d,
                _ => out.push((d, d)),
            }
        }
        out
    }

    fn join(self, names: &[&str; 7], all: &str) -> String {
        if self == Self::ALL {
            return all.to_string();
        }
        self.runs()
            .into_iter()
            .map(|(a, b)| match b - a {
                0 => names[a].to_string(),
                1 => format!("{},{}", names[a], names[b]),
                _ => format!("{}-{}", names[a], names[b]),
            })
            .collect::<Vec<_>>()
            .join(",")
    }

    /// The cron day-of-week field: `MON-FRI`, `SAT,SUN`, `*`. Cron counts
    /// the week from Sunday, so no range runs into Sunday (`FRI-SAT,SUN`).
    pub fn cron_field(self) -> String {
        if self == Self::ALL || self.0 & 0x40 == 0 {
            return self.join(&CRON_NAMES, "*");
        }
        let rest = Self(self.0 & 0x3f);
        if rest.0 == 0 {
            "SUN".to_string()
        } else {
            format!("{},SUN", rest.join(&CRON_NAMES, "*"))
        }
    }

    /// Days read back from a cron day-of-week field skiff wrote.
    pub fn from_cron_field(field: &str) -> Option<Self> {
        if field == "*" || field == "?" {
            return Some(Self::ALL);
        }
        Self::parse(field).ok()
    }
}

impl fmt::Display for Days {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.join(&NAMES, "daily"))
    }
}

/// A time of day on some days of the week: "mon-fri 20:00".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct At {
    pub days: Days,
    pub hour: u32,
    pub minute: u32,
}

impl At {
    /// "DAYS HH:MM" (or "HH:MM DAYS"; days alone are not a time).
    pub fn parse(text: &str) -> Result<Self, String> {
        let words: Vec<&str> = text.split_whitespace().collect();
        let (days, time) = match words.as_slice() {
            [time] if time.contains(':') => ("daily", *time),
            [a, b] if b.contains(':') => (*a, *b),
            [a, b] if a.contains(':') => (*b, *a),
            _ => {
                return Err(format!(
                    "{text:?} is not DAYS HH:MM (for example \"mon-fri 20:00\" or \"daily 07:30\")"
                ));
            }
        };
        let t = NaiveTime::parse_from_str(time, "%H:%M")
            .map_err(|_| format!("{time:?} is not a time of day (HH:MM, 24-hour)"))?;
        Ok(Self {
            days: Days::parse(days)?,
            hour: chrono::Timelike::hour(&t),
            minute: chrono::Timelike::minute(&t),
        })
    }

    /// The same moment `minutes` later, carried into the next day (and
    /// the next days of the week) past midnight.
    pub fn plus_minutes(self, minutes: u32) -> Self {
        let total = self.hour * 60 + self.minute + minutes;
        Self {
            days: self.days.shifted(total / (24 * 60)),
            hour: (total / 60) % 24,
            minute: total % 60,
        }
    }

    /// EventBridge Scheduler's cron: minutes hours day-of-month month
    /// day-of-week year.
    pub fn cron(self) -> String {
        format!(
            "cron({} {} ? * {} *)",
            self.minute,
            self.hour,
            self.days.cron_field()
        )
    }

    /// A cron expression skiff wrote, read back (None for any other).
    pub fn from_cron(expr: &str) -> Option<Self> {
        let inner = expr.trim().strip_prefix("cron(")?.strip_suffix(')')?;
        let f: Vec<&str> = inner.split_whitespace().collect();
        let [minute, hour, "?", "*", dow, "*"] = f.as_slice() else {
            return None;
        };
        Some(Self {
            days: Days::from_cron_field(dow)?,
            hour: hour.parse().ok().filter(|h| *h < 24)?,
            minute: minute.parse().ok().filter(|m| *m < 60)?,
        })
    }

    /// The first run after `now`, in zone `tz` (a time that does not exist
    /// on a day the clocks go forward runs at the first moment after it,
    /// as EventBridge does; a repeated one at its first occurrence).
    pub fn next_after(self, now: DateTime<Utc>, tz: Tz) -> Option<DateTime<Utc>> {
        let today = now.with_timezone(&tz).date_naive();
        (0..=8).find_map(|ahead| {
            let date: NaiveDate = today + Duration::days(ahead);
            if !self.days.contains(date.weekday()) {
                return None;
            }
            let local = date.and_hms_opt(self.hour, self.minute, 0)?;
            let at = match tz.from_local_datetime(&local) {
                chrono::LocalResult::Single(t) => t,
                chrono::LocalResult::Ambiguous(first, _) => first,
                chrono::LocalResult::None => tz
                    .from_local_datetime(&(local + Duration::hours(1)))
                    .earliest()?,
            }
            .with_timezone(&Utc);
            (at > now).then_some(at)
        })
    }
}

impl fmt::Display for At {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02} {}", self.hour, self.minute, self.days)
    }
}

/// An IANA time zone name, checked.
pub fn zone(name: &str) -> Result<Tz, String> {
    name.parse::<Tz>().map_err(|_| {
        format!(
            "{name:?} is not an IANA time zone (for example Europe/London, America/New_York, UTC)"
        )
    })
}

/// The machine's own time zone: `TZ`, else /etc/localtime's zone name, else
/// /etc/timezone, else UTC.
pub fn local_zone() -> Tz {
    let from_tz = std::env::var("TZ")
        .ok()
        .map(|t| t.trim_start_matches(':').to_string());
    let from_link = std::fs::read_link("/etc/localtime").ok().and_then(|p| {
        let s = p.to_string_lossy().into_owned();
        s.split_once("zoneinfo/").map(|(_, z)| z.to_string())
    });
    let from_file = std::fs::read_to_string("/etc/timezone")
        .ok()
        .map(|s| s.trim().to_string());
    [from_tz, from_link, from_file]
        .into_iter()
        .flatten()
        .find_map(|n| n.parse::<Tz>().ok())
        .unwrap_or(Tz::UTC)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(text: &str) -> At {
        At::parse(text).unwrap_or_else(|e| panic!("{e}"))
    }

    #[test]
    fn days_as_people_write_them() {
        for (text, cron, shown) in [
            ("mon-fri", "MON-FRI", "mon-fri"),
            ("daily", "*", "daily"),
            ("weekdays", "MON-FRI", "mon-fri"),
            ("sat,sun", "SAT,SUN", "sat,sun"),
            ("weekends", "SAT,SUN", "sat,sun"),
            ("mon,wed,fri", "MON,WED,FRI", "mon,wed,fri"),
            ("Monday-Thursday", "MON-THU", "mon-thu"),
            ("fri-mon", "MON,FRI,SAT,SUN", "mon,fri-sun"),
            ("thu-sun", "THU-SAT,SUN", "thu-sun"),
            ("sun", "SUN", "sun"),
            ("tue", "TUE", "tue"),
        ] {
            let d = Days::parse(text).unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(d.cron_field(), cron, "{text}");
            assert_eq!(d.to_string(), shown, "{text}");
            assert_eq!(Days::from_cron_field(&d.cron_field()), Some(d), "{text}");
        }
        for bad in ["", "someday", "mon-", "xyz,mon", "mo"] {
            assert!(Days::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn times_and_their_cron_expressions() {
        let a = at("mon-fri 20:00");
        assert_eq!(a.cron(), "cron(0 20 ? * MON-FRI *)");
        assert_eq!(a.to_string(), "20:00 mon-fri");
        assert_eq!(At::from_cron(&a.cron()), Some(a));
        assert_eq!(at("08:30 mon-fri"), at("mon-fri 08:30"));
        assert_eq!(at("07:05").cron(), "cron(5 7 ? * * *)");
        for bad in [
            "mon-fri",
            "mon-fri 25:00",
            "mon-fri 8",
            "a b c",
            "funday 10:00",
        ] {
            assert!(At::parse(bad).is_err(), "{bad:?}");
        }
        assert_eq!(At::from_cron("rate(5 minutes)"), None);
        assert_eq!(At::from_cron("cron(0 20 1 * ? *)"), None);
    }

    #[test]
    fn minutes_later_carry_past_midnight_into_the_next_days() {
        let a = at("mon-fri 23:58").plus_minutes(5);
        assert_eq!((a.hour, a.minute), (0, 3));
        assert_eq!(a.days.to_string(), "tue-sat");
        let b = at("sun 23:59").plus_minutes(1);
        assert_eq!(b.days.to_string(), "mon");
        assert_eq!(at("daily 10:00").plus_minutes(3).to_string(), "10:03 daily");
    }

    #[test]
    fn the_next_run_is_in_the_zone_given_across_weekends_and_clock_changes() {
        let london = zone("Europe/London").expect("zone");
        let utc = |s: &str| {
            DateTime::parse_from_rfc3339(s)
                .expect("time")
                .with_timezone(&Utc)
        };
        // Friday 2026-12-04 21:00 UTC (London = UTC in winter): next Monday.
        let next = at("mon-fri 20:00").next_after(utc("2026-12-04T21:00:00Z"), london);
        assert_eq!(next, Some(utc("2026-12-07T20:00:00Z")));
        // In summer London is UTC+1.
        let next = at("mon-fri 08:30").next_after(utc("2026-07-01T06:00:00Z"), london);
        assert_eq!(next, Some(utc("2026-07-01T07:30:00Z")));
        // 01:30 does not exist in London on 2026-03-29: it runs at 02:30 BST.
        let next = at("sun 01:30").next_after(utc("2026-03-28T12:00:00Z"), london);
        assert_eq!(next, Some(utc("2026-03-29T01:30:00Z")));
        assert!(zone("Mars/Olympus").is_err());
    }
}
