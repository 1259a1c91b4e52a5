//! Circuit breaker: a consumer's guard around the calls it makes to a
//! service.
//!
//! Closed, calls pass and their outcomes fill a sliding window of the last
//! `window` calls; once at least `min_calls` are in it and the share that
//! failed reaches `failure_rate`, the breaker opens. Open, every call fails
//! at once without reaching the service ("fast-failed"). After `open_for`
//! it turns half-open and lets `probes` trial calls through: if they all
//! succeed it closes, and any failure opens it again.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::time::{Duration, SimTime};

/// A circuit breaker's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerParams {
    /// The share of failed calls in the window that opens the breaker.
    #[serde(default = "half")]
    pub failure_rate: f64,
    /// How many recent calls the breaker remembers.
    #[serde(default = "twenty")]
    pub window: u32,
    /// Calls needed in the window before it may open.
    #[serde(default = "ten")]
    pub min_calls: u32,
    /// How long it stays open before trying again.
    #[serde(default = "thirty_s")]
    pub open_for: Duration,
    /// Trial calls let through while half-open.
    #[serde(default = "three")]
    pub probes: u32,
}

const fn half() -> f64 {
    0.5
}
const fn twenty() -> u32 {
    20
}
const fn ten() -> u32 {
    10
}
const fn three() -> u32 {
    3
}
const fn thirty_s() -> Duration {
    Duration::from_secs(30)
}

impl BreakerParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if !(self.failure_rate > 0.0 && self.failure_rate <= 1.0) {
            out.push(format!(
                "the breaker's failure rate must be above 0 and at most 1 (found {})",
                self.failure_rate
            ));
        }
        if self.window == 0 || self.min_calls == 0 || self.probes == 0 {
            out.push(
                "the breaker's window, min_calls and probes must each be at least 1".to_owned(),
            );
        }
        if self.min_calls > self.window {
            out.push(format!(
                "the breaker can never open: min_calls ({}) exceeds the window ({})",
                self.min_calls, self.window
            ));
        }
        if self.open_for.is_zero() {
            out.push("the breaker must stay open for longer than zero".to_owned());
        }
        let max = super::limits::MAX_BREAKER_WINDOW;
        super::check_at_most("the breaker's window", self.window, max, &mut out);
        super::check_at_most("the breaker's probes", self.probes, max, &mut out);
        super::check_durations(&[("the breaker's open time", self.open_for)], &mut out);
        out
    }
}

/// The breaker's state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BreakerState {
    Closed,
    Open,
    HalfOpen,
}

/// A breaker during a run.
#[derive(Clone, Debug)]
pub(crate) struct Breaker {
    params: BreakerParams,
    pub state: BreakerState,
    outcomes: VecDeque<bool>,
    failures: u32,
    opened_at: SimTime,
    probes_out: u32,
    probes_ok: u32,
    pub opens: u64,
}

impl Breaker {
    pub fn new(params: &BreakerParams) -> Self {
        Self {
            params: params.clone(),
            state: BreakerState::Closed,
            outcomes: VecDeque::new(),
            failures: 0,
            opened_at: SimTime::ZERO,
            probes_out: 0,
            probes_ok: 0,
            opens: 0,
        }
    }

    /// Whether a call may go out now; moves from open to half-open when
    /// its time is up. Returns the state change, if any, with the answer.
    pub fn allow(&mut self, now: SimTime) -> (bool, Option<BreakerState>) {
        let mut changed = None;
        if self.state == BreakerState::Open && now >= self.opened_at + self.params.open_for {
            self.state = BreakerState::HalfOpen;
            self.probes_out = 0;
            self.probes_ok = 0;
            changed = Some(BreakerState::HalfOpen);
        }
        let allowed = match self.state {
            BreakerState::Closed => true,
            BreakerState::Open => false,
            BreakerState::HalfOpen => {
                if self.probes_out < self.params.probes {
                    self.probes_out += 1;
                    true
                } else {
                    false
                }
            }
        };
        (allowed, changed)
    }

    /// The outcome of a call that went out; returns the state change, if any.
    pub fn record(&mut self, now: SimTime, ok: bool) -> Option<BreakerState> {
        match self.state {
            BreakerState::Closed => {
                self.outcomes.push_back(ok);
                self.failures += u32::from(!ok);
                if self.outcomes.len() > self.params.window as usize
                    && let Some(oldest) = self.outcomes.pop_front()
                {
                    self.failures -= u32::from(!oldest);
                }
                let calls = self.outcomes.len() as u32;
                if calls >= self.params.min_calls
                    && f64::from(self.failures) >= self.params.failure_rate * f64::from(calls)
                {
                    return Some(self.open(now));
                }
                None
            }
            BreakerState::HalfOpen => {
                if !ok {
                    return Some(self.open(now));
                }
                self.probes_ok += 1;
                if self.probes_ok >= self.params.probes {
                    self.state = BreakerState::Closed;
                    self.outcomes.clear();
                    self.failures = 0;
                    return Some(BreakerState::Closed);
                }
                None
            }
            // A call that left before the breaker opened: its outcome no
            // longer matters.
            BreakerState::Open => None,
        }
    }

    /// The consumer crashed: probes out at the time will never answer, so
    /// they may be sent again.
    pub fn forget_probes(&mut self) {
        self.probes_out = self.probes_ok;
    }

    fn open(&mut self, now: SimTime) -> BreakerState {
        self.state = BreakerState::Open;
        self.opened_at = now;
        self.opens += 1;
        BreakerState::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn breaker() -> Breaker {
        Breaker::new(&BreakerParams {
            failure_rate: 0.5,
            window: 10,
            min_calls: 4,
            open_for: Duration::from_secs(10),
            probes: 2,
        })
    }

    #[test]
    fn opens_on_failures_then_probes_and_closes() {
        let mut b = breaker();
        let s = 1_000_000_000;
        for ok in [true, false, true] {
            assert_eq!(b.allow(SimTime(0)), (true, None));
            assert_eq!(b.record(SimTime(0), ok), None);
        }
        // Four calls, two failed: 50% reached.
        assert_eq!(b.record(SimTime(s), false), Some(BreakerState::Open));
        assert_eq!(b.allow(SimTime(5 * s)), (false, None), "open: fail fast");
        assert_eq!(
            b.allow(SimTime(11 * s)),
            (true, Some(BreakerState::HalfOpen))
        );
        assert_eq!(b.allow(SimTime(11 * s)), (true, None), "second probe");
        assert_eq!(b.allow(SimTime(11 * s)), (false, None), "no third probe");
        assert_eq!(b.record(SimTime(12 * s), true), None);
        assert_eq!(b.record(SimTime(12 * s), true), Some(BreakerState::Closed));
        assert_eq!(b.opens, 1);
    }

    #[test]
    fn a_failed_probe_opens_it_again() {
        let mut b = breaker();
        for _ in 0..4 {
            b.allow(SimTime(0));
            b.record(SimTime(0), false);
        }
        assert_eq!(b.state, BreakerState::Open);
        let (allowed, _) = b.allow(SimTime(10_000_000_000));
        assert!(allowed);
        assert_eq!(
            b.record(SimTime(10_000_000_000), false),
            Some(BreakerState::Open)
        );
        assert_eq!(b.opens, 2);
    }

    #[test]
    fn probes_lost_in_a_crash_can_be_sent_again() {
        let mut b = breaker();
        for _ in 0..4 {
            b.allow(SimTime(0));
            b.record(SimTime(0), false);
        }
        let later = 10_000_000_000;
        assert!(
            b.allow(SimTime(later)).0 && b.allow(SimTime(later)).0,
            "two probes out"
        );
        assert!(!b.allow(SimTime(later)).0, "no third probe");
        b.forget_probes();
        assert!(b.allow(SimTime(later)).0, "the lost probes are sent again");
    }

    #[test]
    fn the_window_forgets_old_calls() {
        let mut b = breaker();
        for _ in 0..3 {
            b.record(SimTime(0), false);
        }
        // Three failures, then enough successes to push them out.
        for _ in 0..10 {
            b.record(SimTime(0), true);
        }
        assert_eq!(
            b.state,
            BreakerState::Open,
            "opened at the fourth call already"
        );
        let mut c = breaker();
        for _ in 0..10 {
            c.record(SimTime(0), true);
        }
        for _ in 0..4 {
            assert_eq!(c.record(SimTime(0), false), None, "4 of 10 is under 50%");
        }
        assert_eq!(
            c.record(SimTime(0), false),
            Some(BreakerState::Open),
            "5 of 10"
        );
    }
}
