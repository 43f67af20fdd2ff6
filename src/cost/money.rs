//! Money: US dollars as a decimal (rust_decimal), never a float. Amounts
//! that come from a rate and a duration are rounded to a pico-dollar once,
//! where they are made, so that adding them up is exact and the same in any
//! order. Formatting for people is here and only here.

use std::fmt;
use std::iter::Sum;
use std::ops::{Add, AddAssign, Mul, Sub};
use std::str::FromStr;

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;
use serde::{Deserialize, Serialize};

/// Decimal places amounts are kept to (a pico-dollar).
const PLACES: u32 = 12;
const MS_PER_HOUR: i64 = 3_600_000;

/// An amount of US dollars (or dollars per hour, where a rate is meant).
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Money(Decimal);

impl Money {
    pub const ZERO: Self = Self(Decimal::ZERO);

    /// Exactly the decimal written (`"0.0416"`); None when it is not a number.
    pub fn parse(text: &str) -> Option<Self> {
        Decimal::from_str(text.trim()).ok().map(Self)
    }

    /// `units` × 10^-`scale` dollars, e.g. `Money::new(416, 4)` is $0.0416.
    pub const fn new(units: i64, scale: u32) -> Self {
        Self(Decimal::from_parts(
            (units.unsigned_abs() & 0xFFFF_FFFF) as u32,
            (units.unsigned_abs() >> 32) as u32,
            0,
            units < 0,
            scale,
        ))
    }

    /// A float from outside (a JSON number, a TOML float) by its shortest
    /// decimal spelling, so that 0.0416 stays 0.0416.
    pub fn from_f64(v: f64) -> Option<Self> {
        v.is_finite().then(|| Self::parse(&v.to_string())).flatten()
    }

    /// What `self` per hour comes to over `ms` milliseconds, rounded to a
    /// pico-dollar (the one rounding of a billed interval).
    pub fn over_ms(self, ms: i64) -> Self {
        // In integers where they fit (every price list rate does): the
        // mantissa × ms, scaled to pico-dollars, divided by ms per hour,
        // rounded half to even — what Decimal would do, many times faster.
        let (m, scale) = (self.0.mantissa(), self.0.scale());
        let exact = if scale <= PLACES {
            10i128
                .checked_pow(PLACES - scale)
                .and_then(|up| m.checked_mul(i128::from(ms))?.checked_mul(up))
                .map(|num| (num, i128::from(MS_PER_HOUR)))
        } else {
            10i128.checked_pow(scale - PLACES).and_then(|down| {
                Some((
                    m.checked_mul(i128::from(ms))?,
                    down.checked_mul(i128::from(MS_PER_HOUR))?,
                ))
            })
        };
        if let Some((num, den)) = exact {
            let (q, r) = (num.div_euclid(den), num.rem_euclid(den));
            let q = match (2 * r).cmp(&den) {
                std::cmp::Ordering::Greater => q + 1,
                std::cmp::Ordering::Equal if q % 2 != 0 => q + 1,
                _ => q,
            };
            if let Ok(d) = Decimal::try_from_i128_with_scale(q, PLACES) {
                return Self(d);
            }
        }
        Self((self.0 * Decimal::from(ms) / Decimal::from(MS_PER_HOUR)).round_dp(PLACES))
    }

    /// `self` divided by `by`, rounded to a pico-dollar (a monthly price per
    /// hour). Zero when `by` is zero.
    pub fn div_round(self, by: Decimal) -> Self {
        if by.is_zero() {
            return Self::ZERO;
        }
        Self((self.0 / by).round_dp(PLACES))
    }

    /// `self` times a quantity (GiB, a node count), rounded to a pico-dollar.
    pub fn times(self, by: Decimal) -> Self {
        Self((self.0 * by).round_dp(PLACES))
    }

    pub fn decimal(self) -> Decimal {
        self.0
    }

    pub fn is_zero(self) -> bool {
        self.0.is_zero()
    }

    /// Whole micro-dollars (rounded), for sort keys.
    pub fn micros(self) -> i64 {
        (self.0 * Decimal::from(1_000_000))
            .round()
            .to_i64()
            .unwrap_or(i64::MAX)
    }

    /// For charts and JSON numbers only, never for arithmetic.
    pub fn to_f64(self) -> f64 {
        self.0.to_f64().unwrap_or(0.0)
    }

    /// Rounded to `places` decimals (half away from zero), e.g. for JSON.
    pub fn rounded(self, places: u32) -> Self {
        Self(
            self.0.round_dp_with_strategy(
                places,
                rust_decimal::RoundingStrategy::MidpointAwayFromZero,
            ),
        )
    }
}

impl Add for Money {
    type Output = Self;
    fn add(self, rhs: Self) -> Self {
        Self(self.0 + rhs.0)
    }
}

impl AddAssign for Money {
    fn add_assign(&mut self, rhs: Self) {
        self.0 += rhs.0;
    }
}

impl Sub for Money {
    type Output = Self;
    fn sub(self, rhs: Self) -> Self {
        Self(self.0 - rhs.0)
    }
}

impl Mul<i64> for Money {
    type Output = Self;
    fn mul(self, rhs: i64) -> Self {
        Self(self.0 * Decimal::from(rhs))
    }
}

impl Sum for Money {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::ZERO, Add::add)
    }
}

impl fmt::Display for Money {
    /// `$0.0416` below a dollar, `$1.23` below a thousand, `$1,234` above.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&usd(*self))
    }
}

/// Dollars for a table: `$0.0416`, `$1.23`, `$1,234`.
pub fn usd(m: Money) -> String {
    let v = m.0;
    let sign = if v.is_sign_negative() && !v.is_zero() {
        "-"
    } else {
        ""
    };
    let a = v.abs();
    if a < Decimal::ONE && !a.is_zero() {
        format!("{sign}${:.4}", a.round_dp(4))
    } else if a < Decimal::from(1000) {
        format!("{sign}${:.2}", a.round_dp(2))
    } else {
        let digits = a.round().to_string();
        let mut out = String::new();
        for (n, c) in digits.chars().enumerate() {
            if n > 0 && (digits.len() - n).is_multiple_of(3) {
                out.push(',');
            }
            out.push(c);
        }
        format!("{sign}${out}")
    }
}

/// An amount that may be partly unknown, with the reasons: an unknown price
/// is never counted as zero.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Amount {
    /// The sum of the known parts.
    pub known: Money,
    /// Why some part is unknown (empty: the amount is complete).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub unknown: Vec<String>,
}

impl Amount {
    pub fn zero() -> Self {
        Self::default()
    }

    pub fn known(m: Money) -> Self {
        Self {
            known: m,
            unknown: Vec::new(),
        }
    }

    pub fn unknown(why: impl Into<String>) -> Self {
        Self {
            known: Money::ZERO,
            unknown: vec![why.into()],
        }
    }

    /// A price that may be unknown, as an amount.
    pub fn of(part: Result<Money, String>) -> Self {
        match part {
            Ok(m) => Self::known(m),
            Err(why) => Self::unknown(why),
        }
    }

    /// Adds a part (a reason is kept once).
    pub fn add(&mut self, part: Result<Money, String>) {
        match part {
            Ok(v) => self.known += v,
            Err(why) => self.note(why),
        }
    }

    fn note(&mut self, why: String) {
        if !self.unknown.contains(&why) {
            self.unknown.push(why);
        }
    }

    pub fn merge(&mut self, other: &Self) {
        self.known += other.known;
        for u in &other.unknown {
            self.note(u.clone());
        }
    }

    pub fn is_complete(&self) -> bool {
        self.unknown.is_empty()
    }

    /// The amount, or None when part of it is unknown.
    pub fn value(&self) -> Option<Money> {
        self.is_complete().then_some(self.known)
    }

    /// This rate (per hour) over `ms` milliseconds; the reasons carry over
    /// when any time passed.
    pub fn over_ms(&self, ms: i64) -> Self {
        if ms <= 0 {
            return Self::zero();
        }
        Self {
            known: self.known.over_ms(ms),
            unknown: self.unknown.clone(),
        }
    }

    /// This amount for `n` of the same thing (nodes of a group).
    pub fn times(&self, n: i64) -> Self {
        if n == 0 {
            return Self::zero();
        }
        Self {
            known: self.known * n,
            unknown: self.unknown.clone(),
        }
    }
}

impl Sum for Amount {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::zero(), |mut a, b| {
            a.merge(&b);
            a
        })
    }
}

/// An amount for display: `$1.23`; `≥$1.23` when part is unknown; `?` when
/// nothing is known.
pub fn show(a: &Amount) -> String {
    match (a.is_complete(), a.known) {
        (true, v) => usd(v),
        (false, v) if v > Money::ZERO => format!("≥{}", usd(v)),
        (false, _) => "?".to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(s: &str) -> Money {
        Money::parse(s).expect(s)
    }

    #[test]
    fn formats_like_a_price_list() {
        assert_eq!(usd(m("0.0416")), "$0.0416");
        assert_eq!(
            usd(m("0.04165")),
            "$0.0416",
            "banker's rounding at 4 places"
        );
        assert_eq!(usd(m("1.005")), "$1.00");
        assert_eq!(usd(m("12.3456")), "$12.35");
        assert_eq!(usd(m("1234.5")), "$1,234");
        assert_eq!(usd(m("1234567")), "$1,234,567");
        assert_eq!(usd(Money::ZERO), "$0.00");
        assert_eq!(usd(m("-2.5")), "-$2.50");
        assert_eq!(show(&Amount::unknown("why")), "?");
        let mut a = Amount::known(m("0.5"));
        a.add(Err("no price".into()));
        assert_eq!(show(&a), "≥$0.5000");
    }

    #[test]
    fn floats_from_outside_keep_their_spelling() {
        assert_eq!(Money::from_f64(0.0416), Some(m("0.0416")));
        assert_eq!(Money::from_f64(0.1 + 0.2), Some(m("0.30000000000000004")));
        assert_eq!(Money::from_f64(f64::NAN), None);
        assert_eq!(Money::new(416, 4), m("0.0416"));
        assert_eq!(Money::new(-5, 1), m("-0.5"));
    }

    #[test]
    fn the_integer_path_rounds_as_decimal_does() {
        let slow = |m: Money, ms: i64| {
            Money((m.0 * Decimal::from(ms) / Decimal::from(MS_PER_HOUR)).round_dp(PLACES))
        };
        for rate in [
            "0.0416",
            "3.6",
            "0.000876712328767",
            "7.2480",
            "0.00001",
            "-0.5",
            "0.1234567890123456789",
        ] {
            for ms in [0, 1, 7, 999, 60_000, 1_234_567, 2_678_400_000] {
                let r = m(rate);
                assert_eq!(r.over_ms(ms), slow(r, ms), "{rate} over {ms} ms");
            }
        }
    }

    #[test]
    fn billed_time_is_exact_and_sums_in_any_order() {
        // $0.0416/h for a minute: 0.0416 / 60, to a pico-dollar.
        assert_eq!(m("0.0416").over_ms(60_000), m("0.000693333333"));
        assert_eq!(m("0.0416").over_ms(3_600_000), m("0.0416"));
        let parts: Vec<Money> = (1..500).map(|s| m("0.2461").over_ms(s * 997)).collect();
        let forward: Money = parts.iter().copied().sum();
        let backward: Money = parts.iter().rev().copied().sum();
        assert_eq!(forward, backward);
    }
}
