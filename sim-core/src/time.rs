//! Simulated time: integer nanoseconds, never floats, so results do not drift.
//!
//! [`SimTime`] is an instant on the simulation clock, [`Duration`] a span of
//! it. In model files durations are written with human units — `"250ms"`,
//! `"2s"`, `"1m30s"`, `"10m"` — and parsed exactly.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Nanoseconds in one second.
pub const NANOS_PER_SEC: u64 = 1_000_000_000;

/// An instant on the simulation clock, in nanoseconds since the start of a run.
///
/// The only arithmetic on an instant is with a [`Duration`]: `t + d`
/// saturates at [`SimTime::MAX`], the end of the clock, and `t - earlier`
/// is the time between two instants. There is no `+` with a
/// bare integer, so a delay cannot wrap an instant into the past: a delay
/// too long for the clock lands at its end, which never comes (see
/// [`SimTime::NEVER`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[repr(transparent)]
pub struct SimTime(pub u64);

impl SimTime {
    pub const ZERO: Self = Self(0);
    pub const MAX: Self = Self(u64::MAX);
    /// The clock's last nanosecond, where every instant past the clock's
    /// range lands: no run reaches it (a run ends at most one nanosecond
    /// earlier), so what is due then never happens.
    pub const NEVER: Self = Self::MAX;
    /// The latest end a run can have: one nanosecond before [`Self::NEVER`].
    pub const LAST: Self = Self(u64::MAX - 1);

    /// The instant `ns` nanoseconds after the start.
    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }

    /// Nanoseconds since the start.
    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    /// Seconds since the start, for display and reports.
    #[expect(clippy::cast_precision_loss, reason = "display and report values only")]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    /// The instant `d` later, saturating at the end of time.
    #[must_use]
    pub const fn after(self, d: Duration) -> Self {
        Self(self.0.saturating_add(d.0))
    }

    /// Time elapsed since `earlier` (zero if `earlier` is later).
    pub const fn since(self, earlier: Self) -> Duration {
        Duration(self.0.saturating_sub(earlier.0))
    }
}

impl std::ops::Add<Duration> for SimTime {
    type Output = Self;
    /// The instant `d` later, saturating at the end of the clock.
    #[inline(always)]
    fn add(self, d: Duration) -> Self {
        self.after(d)
    }
}

impl std::ops::AddAssign<Duration> for SimTime {
    #[inline(always)]
    fn add_assign(&mut self, d: Duration) {
        *self = self.after(d);
    }
}

impl std::ops::Sub for SimTime {
    type Output = Duration;
    /// The time from `earlier` to `self`, which must not be before it (the
    /// clock only moves forward, so an instant recorded earlier never is;
    /// asserted in debug builds). Where the order is not known, use
    /// [`SimTime::since`].
    #[inline(always)]
    fn sub(self, earlier: Self) -> Duration {
        debug_assert!(earlier <= self, "{earlier:?} is later than {self:?}");
        Duration(self.0.wrapping_sub(earlier.0))
    }
}

impl fmt::Display for SimTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Display::fmt(&Duration(self.0), f)
    }
}

/// A span of simulated time in nanoseconds.
///
/// Written and read as text with a unit: `ns`, `us` (or `µs`), `ms`, `s`,
/// `m`, `h`; parts may be combined (`"1m30s"`) and a part may carry a
/// decimal fraction (`"1.5s"`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Duration(pub u64);

impl Duration {
    pub const ZERO: Self = Self(0);
    /// The longest duration: for good.
    pub const MAX: Self = Self(u64::MAX);

    pub const fn from_nanos(ns: u64) -> Self {
        Self(ns)
    }
    pub const fn from_micros(us: u64) -> Self {
        Self(us * 1_000)
    }
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms * 1_000_000)
    }
    pub const fn from_secs(s: u64) -> Self {
        Self(s * NANOS_PER_SEC)
    }

    /// The nearest whole number of nanoseconds to `secs` seconds; negative
    /// and non-finite inputs give zero, huge ones saturate.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "rounded and clamped to the u64 range first"
    )]
    pub fn from_secs_f64(secs: f64) -> Self {
        let ns = (secs * 1e9).round();
        if ns.is_nan() || ns <= 0.0 {
            Self(0)
        } else if ns >= 18_446_744_073_709_549_568.0 {
            Self(u64::MAX)
        } else {
            Self(ns as u64)
        }
    }

    pub const fn as_nanos(self) -> u64 {
        self.0
    }

    #[expect(clippy::cast_precision_loss, reason = "display and report values only")]
    pub fn as_secs_f64(self) -> f64 {
        self.0 as f64 / NANOS_PER_SEC as f64
    }

    pub const fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Add for Duration {
    type Output = Self;
    /// The sum, saturating at the longest duration.
    #[inline(always)]
    fn add(self, other: Self) -> Self {
        Self(self.0.saturating_add(other.0))
    }
}

const UNITS: [(&str, u64); 7] = [
    ("h", 3_600 * NANOS_PER_SEC),
    ("ms", 1_000_000),
    ("m", 60 * NANOS_PER_SEC),
    ("s", NANOS_PER_SEC),
    ("us", 1_000),
    ("µs", 1_000),
    ("ns", 1),
];

/// Why a duration's text could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum DurationError {
    #[error("a duration cannot be empty; write a number with a unit, like \"250ms\" or \"2s\"")]
    Empty,
    #[error(
        "\"{0}\" has no unit; write it with one of ns, us, ms, s, m, h (for example \"{0}ms\")"
    )]
    MissingUnit(String),
    #[error(
        "\"{0}\" is not a duration; expected a number with a unit, like \"250ms\", \"2s\" or \"1m30s\""
    )]
    Invalid(String),
    #[error(
        "\"{0}\" mixes its parts up; write them from the largest unit to the smallest, each once, like \"1h2m3s\""
    )]
    Order(String),
    #[error("\"{0}\" is negative; durations must be zero or more")]
    Negative(String),
    #[error("\"{0}\" is too long; the simulation clock ends after about 584 years")]
    TooLong(String),
}

impl FromStr for Duration {
    type Err = DurationError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let s = text.trim();
        if s.is_empty() {
            return Err(DurationError::Empty);
        }
        if s.starts_with('-') {
            return Err(DurationError::Negative(text.to_owned()));
        }
        if s.chars().all(|c| c.is_ascii_digit() || c == '.') {
            return Err(DurationError::MissingUnit(text.to_owned()));
        }
        let invalid = || DurationError::Invalid(text.to_owned());
        let mut rest = s;
        let mut total: u128 = 0;
        // Parts go from the largest unit down, each at most once ("1m30s").
        let mut last_scale = u64::MAX;
        while !rest.is_empty() {
            let num_len = rest
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .ok_or_else(invalid)?;
            if num_len == 0 {
                return Err(invalid());
            }
            let (num, after) = rest.split_at(num_len);
            let after = after.trim_start();
            let (unit, scale) = UNITS
                .iter()
                .find(|(u, _)| {
                    after.starts_with(u)
                        && !after[u.len()..].starts_with(|c: char| c.is_ascii_alphabetic())
                })
                .ok_or_else(invalid)?;
            rest = after[unit.len()..].trim_start();
            if *scale >= last_scale {
                return Err(DurationError::Order(text.to_owned()));
            }
            last_scale = *scale;
            total += part_nanos(num, *scale).ok_or_else(invalid)?;
            if total > u128::from(u64::MAX) {
                return Err(DurationError::TooLong(text.to_owned()));
            }
        }
        u64::try_from(total)
            .map(Self)
            .map_err(|_| DurationError::TooLong(text.to_owned()))
    }
}

/// Exact nanoseconds of `num` (digits with at most one '.') times `scale`,
/// rounded to the nearest nanosecond.
fn part_nanos(num: &str, scale: u64) -> Option<u128> {
    let (int, frac) = num.split_once('.').unwrap_or((num, ""));
    if (int.is_empty() && frac.is_empty()) || frac.contains('.') {
        return None;
    }
    let int_val: u128 = if int.is_empty() { 0 } else { int.parse().ok()? };
    let mut value = int_val.checked_mul(u128::from(scale))?;
    // Digits past the 18th are far below a nanosecond of any unit.
    let frac = &frac[..frac.len().min(18)];
    if !frac.is_empty() {
        let frac_val: u128 = frac.parse().ok()?;
        let denom = 10u128.pow(u32::try_from(frac.len()).ok()?);
        value += (frac_val * u128::from(scale) + denom / 2) / denom;
    }
    Some(value)
}

impl fmt::Display for Duration {
    /// The shortest exact form: `"250ms"`, `"2s"`, `"1m30s"`, `"1.5s"`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ns = self.0;
        if ns == 0 {
            return f.write_str("0s");
        }
        const MIN: u64 = 60 * NANOS_PER_SEC;
        const HOUR: u64 = 60 * MIN;
        // Whole minutes and hours read best as compound text.
        if ns.is_multiple_of(NANOS_PER_SEC) && ns >= MIN {
            let mut rest = ns;
            let mut out = String::new();
            for (unit, size) in [("h", HOUR), ("m", MIN), ("s", NANOS_PER_SEC)] {
                let n = rest / size;
                if n > 0 {
                    out.push_str(&format!("{n}{unit}"));
                }
                rest %= size;
            }
            return f.write_str(&out);
        }
        for (unit, size) in [
            ("s", NANOS_PER_SEC),
            ("ms", 1_000_000),
            ("us", 1_000),
            ("ns", 1),
        ] {
            if ns >= size {
                let whole = ns / size;
                let frac = ns % size;
                if frac == 0 {
                    return write!(f, "{whole}{unit}");
                }
                // A short decimal if exact in at most three places.
                for (places, step) in [(1u32, size / 10), (2, size / 100), (3, size / 1000)] {
                    if step > 0 && frac.is_multiple_of(step) {
                        let digits = frac / step;
                        return write!(
                            f,
                            "{whole}.{digits:0width$}{unit}",
                            width = places as usize
                        );
                    }
                }
            }
        }
        write!(f, "{ns}ns")
    }
}

impl Serialize for Duration {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Duration {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visitor;
        impl serde::de::Visitor<'_> for Visitor {
            type Value = Duration;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a duration with a unit, like \"250ms\", \"2s\" or \"10m\"")
            }
            fn visit_str<E: serde::de::Error>(self, v: &str) -> Result<Duration, E> {
                v.parse().map_err(E::custom)
            }
        }
        deserializer.deserialize_str(Visitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_units_and_compounds() {
        let cases = [
            ("250ms", 250_000_000),
            ("2s", 2_000_000_000),
            ("10m", 600_000_000_000),
            ("1h", 3_600_000_000_000),
            ("1m30s", 90_000_000_000),
            ("1.5s", 1_500_000_000),
            ("0.25ms", 250_000),
            ("500us", 500_000),
            ("500µs", 500_000),
            ("7ns", 7),
            ("0s", 0),
            (" 3 s ", 3_000_000_000),
        ];
        for (text, ns) in cases {
            assert_eq!(
                text.parse::<Duration>(),
                Ok(Duration(ns)),
                "parsing {text:?}"
            );
        }
    }

    #[test]
    fn rejects_bad_text_with_reason() {
        assert_eq!("".parse::<Duration>(), Err(DurationError::Empty));
        assert!(matches!(
            "15".parse::<Duration>(),
            Err(DurationError::MissingUnit(_))
        ));
        assert!(matches!(
            "-2s".parse::<Duration>(),
            Err(DurationError::Negative(_))
        ));
        for bad in ["2x", "s", "2 seconds", "1..5s", "ms5"] {
            assert!(
                matches!(bad.parse::<Duration>(), Err(DurationError::Invalid(_))),
                "{bad:?} should be invalid"
            );
        }
        for bad in ["30s1m", "1s1s", "2s1m"] {
            assert!(
                matches!(bad.parse::<Duration>(), Err(DurationError::Order(_))),
                "{bad:?} is out of order"
            );
        }
        assert!(matches!(
            "100000000h".parse::<Duration>(),
            Err(DurationError::TooLong(_))
        ));
    }

    #[test]
    fn display_round_trips() {
        for ns in [
            0,
            1,
            999,
            1_000,
            1_500,
            250_000_000,
            1_500_000_000,
            2_000_000_000,
            90_000_000_000,
            3_600_000_000_000,
            3_723_000_000_000,
            123_456_789,
            1_234_567_891,
        ] {
            let d = Duration(ns);
            let text = d.to_string();
            assert_eq!(
                text.parse::<Duration>(),
                Ok(d),
                "{ns} ns printed as {text:?}"
            );
        }
        assert_eq!(Duration::from_millis(250).to_string(), "250ms");
        assert_eq!(Duration::from_secs(90).to_string(), "1m30s");
        assert_eq!(Duration::from_millis(1500).to_string(), "1.5s");
    }

    #[test]
    fn instants_saturate_at_the_end_of_the_clock() {
        let t = SimTime(u64::MAX - 10);
        assert_eq!(t + Duration(5), SimTime(u64::MAX - 5));
        assert_eq!(t + Duration(11), SimTime::NEVER);
        assert_eq!(
            t + Duration("5124095h".parse::<Duration>().expect("parses").0),
            SimTime::MAX
        );
        let mut u = SimTime(7);
        u += Duration(u64::MAX);
        assert_eq!(u, SimTime::NEVER);
        assert!(SimTime::LAST < SimTime::NEVER);
        assert_eq!(SimTime(30) - SimTime(12), Duration(18));
        assert_eq!(SimTime(12).since(SimTime(30)), Duration::ZERO);
        assert_eq!(Duration(u64::MAX) + Duration(1), Duration(u64::MAX));
    }

    #[test]
    fn from_secs_f64_rounds_and_clamps() {
        assert_eq!(Duration::from_secs_f64(0.001), Duration::from_millis(1));
        assert_eq!(Duration::from_secs_f64(-1.0), Duration::ZERO);
        assert_eq!(Duration::from_secs_f64(f64::NAN), Duration::ZERO);
        assert_eq!(Duration::from_secs_f64(1e30), Duration(u64::MAX));
    }
}
