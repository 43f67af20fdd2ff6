//! Short, human formats for durations, times and sizes.

use chrono::{DateTime, Utc};

/// A compact duration: `45s`, `12m`, `3h 05m`, `4d 02h`.
pub fn duration(d: chrono::Duration) -> String {
    let secs = d.num_seconds().max(0);
    let (days, hours, minutes) = (secs / 86_400, (secs % 86_400) / 3_600, (secs % 3_600) / 60);
    if days > 0 {
        format!("{days}d {hours:02}h")
    } else if hours > 0 {
        format!("{hours}h {minutes:02}m")
    } else if minutes > 0 {
        format!("{minutes}m")
    } else {
        format!("{secs}s")
    }
}

/// A date and time in UTC, to the minute: `2026-11-21 07:30`.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d %H:%M").to_string()
}

/// A date in UTC: `2026-11-21`.
pub fn date(t: DateTime<Utc>) -> String {
    t.format("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_at_the_unit_edges() {
        let cases = [
            (0, "0s"),
            (59, "59s"),
            (60, "1m"),
            (3_599, "59m"),
            (3_600, "1h 00m"),
            (86_399, "23h 59m"),
            (86_400, "1d 00h"),
            (90_061, "1d 01h"),
            (-5, "0s"),
        ];
        for (secs, want) in cases {
            assert_eq!(duration(chrono::Duration::seconds(secs)), want, "{secs}s");
        }
    }
}

/// A count with thousands separated by commas: 2,000.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod thousands_tests {
    #[test]
    fn counts_are_grouped_by_thousands() {
        for (n, want) in [
            (0, "0"),
            (999, "999"),
            (1000, "1,000"),
            (2500, "2,500"),
            (1234567, "1,234,567"),
        ] {
            assert_eq!(super::thousands(n), want);
        }
    }
}

/// A GUARD cell: the rules that guard a row, one after the other.
pub fn guard_cell(rules: &[&str]) -> String {
    rules.join(" · ")
}
