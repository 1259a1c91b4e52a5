//! Distributions of durations (service times, latencies) and arrival
//! processes (how producers space their events).

use rand_distr::{Distribution, Exp1, Gamma as GammaDist, LogNormal as LogNormalDist};
use serde::{Deserialize, Serialize};

use crate::rng::{Stream, unit};
use crate::time::Duration;

/// A distribution of durations, as written in a model file.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Dist {
    /// Always the same duration: `Constant("10ms")`.
    Constant(Duration),
    /// Exponential (memoryless) with the given mean: `Exponential(mean: "10ms")`.
    Exponential { mean: Duration },
    /// Uniform between two bounds: `Uniform(min: "5ms", max: "15ms")`.
    Uniform { min: Duration, max: Duration },
    /// Log-normal by mean and coefficient of variation (standard deviation
    /// over mean): `LogNormal(mean: "10ms", cv: 1.5)`.
    LogNormal { mean: Duration, cv: f64 },
    /// Erlang: the sum of `k` exponential phases, with the given overall
    /// mean (cv = 1/√k): `Erlang(k: 4, mean: "10ms")`.
    Erlang { k: u32, mean: Duration },
    /// Gamma by mean and coefficient of variation (shape 1/cv², scale
    /// mean·cv²): `Gamma(mean: "10ms", cv: 0.7)`. Erlang is its case with
    /// a whole number of phases.
    Gamma { mean: Duration, cv: f64 },
    /// A distribution read off measurements: `quantiles` are its values at
    /// equally spaced probabilities from 0 (the smallest) to 1 (the
    /// largest), in order, and a draw interpolates linearly between the
    /// two around a uniform probability:
    /// `Empirical(quantiles: ["2ms", "4ms", "5ms", "9ms", "30ms"])` (the
    /// minimum, the quartiles and the maximum).
    Empirical { quantiles: Vec<Duration> },
}

/// The most quantiles an empirical distribution may list.
pub const MAX_EMPIRICAL_QUANTILES: usize = 1_001;

impl Default for Dist {
    fn default() -> Self {
        Self::Constant(Duration::ZERO)
    }
}

impl Dist {
    /// The distribution's mean.
    pub fn mean(&self) -> Duration {
        match *self {
            Self::Constant(d) => d,
            Self::Exponential { mean }
            | Self::LogNormal { mean, .. }
            | Self::Erlang { mean, .. }
            | Self::Gamma { mean, .. } => mean,
            Self::Uniform { min, max } => {
                Duration(min.0 / 2 + max.0 / 2 + (min.0 % 2 + max.0 % 2) / 2)
            }
            Self::Empirical { ref quantiles } => Duration(to_ns(empirical_moments(quantiles).0)),
        }
    }

    /// The coefficient of variation (standard deviation / mean).
    pub fn cv(&self) -> f64 {
        match *self {
            Self::Constant(_) => 0.0,
            Self::Exponential { .. } => 1.0,
            Self::Uniform { min, max } => {
                let (a, b) = (min.as_secs_f64(), max.as_secs_f64());
                if a + b > 0.0 {
                    (b - a) / (3f64.sqrt() * (a + b))
                } else {
                    0.0
                }
            }
            Self::LogNormal { cv, .. } | Self::Gamma { cv, .. } => cv,
            Self::Erlang { k, .. } => 1.0 / f64::from(k.max(1)).sqrt(),
            Self::Empirical { ref quantiles } => {
                let (mean, var) = empirical_moments(quantiles);
                if mean > 0.0 { var.sqrt() / mean } else { 0.0 }
            }
        }
    }

    /// The squared coefficient of variation: variance / mean².
    pub fn scv(&self) -> f64 {
        self.cv() * self.cv()
    }

    /// The variance in seconds².
    pub fn variance_s2(&self) -> f64 {
        let sd = self.cv() * self.mean().as_secs_f64();
        sd * sd
    }

    /// The probability that a draw is longer than `limit` (exact for each
    /// law; the log-normal's through the complementary error function,
    /// to a relative error below 2·10⁻⁷).
    pub fn exceeds(&self, limit: Duration) -> f64 {
        let t = limit.as_secs_f64();
        let mean = self.mean().as_secs_f64();
        match *self {
            Self::Constant(d) => f64::from(u8::from(d > limit)),
            Self::Uniform { min, max } => {
                let (a, b) = (min.as_secs_f64(), max.as_secs_f64());
                if t >= b {
                    0.0
                } else if t < a {
                    1.0
                } else {
                    (b - t) / (b - a)
                }
            }
            Self::Empirical { ref quantiles } => 1.0 - empirical_cdf(quantiles, limit.0),
            _ if mean <= 0.0 => 0.0,
            Self::Exponential { .. } => (-t / mean).exp(),
            Self::Gamma { cv, .. } => {
                if !(cv.is_finite() && cv > 0.0) {
                    return f64::from(u8::from(t < mean));
                }
                let shape = 1.0 / (cv * cv);
                1.0 - gamma_p(shape, t / (mean * cv * cv))
            }
            Self::Erlang { k, .. } => {
                // P(N(λt) < k) for a Poisson count, term by term in logs.
                let k = k.max(1);
                let x = f64::from(k) * t / mean;
                let mut log_term = -x;
                let mut sum = log_term.exp();
                for i in 1..k {
                    log_term += x.ln() - f64::from(i).ln();
                    sum += log_term.exp();
                }
                sum.min(1.0)
            }
            Self::LogNormal { cv, .. } => {
                if t <= 0.0 {
                    return 1.0;
                }
                let sigma2 = (1.0 + cv * cv).ln();
                if sigma2 <= 0.0 {
                    return f64::from(u8::from(t < mean));
                }
                let mu = mean.ln() - sigma2 / 2.0;
                let z = (t.ln() - mu) / sigma2.sqrt();
                0.5 * erfc(z / std::f64::consts::SQRT_2)
            }
        }
    }

    /// Problems with the parameters, as sentences; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        use crate::nodes::{check_at_most, check_durations, limits};
        let mut out = Vec::new();
        match *self {
            Self::Constant(d) => check_durations(&[("the duration", d)], &mut out),
            Self::Exponential { mean } => {
                if mean.is_zero() {
                    out.push("the exponential mean must be greater than zero".to_owned());
                }
                check_durations(&[("the exponential mean", mean)], &mut out);
            }
            Self::Uniform { min, max } => {
                if max < min {
                    out.push(format!(
                        "the uniform maximum ({max}) is below its minimum ({min})"
                    ));
                }
                check_durations(&[("the uniform maximum", max)], &mut out);
            }
            Self::LogNormal { mean, cv } => {
                if mean.is_zero() {
                    out.push("the log-normal mean must be greater than zero".to_owned());
                }
                if !cv.is_finite() || cv < 0.0 {
                    out.push(format!(
                        "the coefficient of variation must be zero or more (found {cv})"
                    ));
                }
                check_at_most("the coefficient of variation", cv, limits::MAX_CV, &mut out);
                check_durations(&[("the log-normal mean", mean)], &mut out);
            }
            Self::Erlang { k, mean } => {
                if k == 0 {
                    out.push("Erlang needs at least one phase (k ≥ 1)".to_owned());
                }
                if mean.is_zero() {
                    out.push("the Erlang mean must be greater than zero".to_owned());
                }
                check_at_most(
                    "Erlang's phases (k)",
                    k,
                    limits::MAX_ERLANG_PHASES,
                    &mut out,
                );
                check_durations(&[("the Erlang mean", mean)], &mut out);
            }
            Self::Gamma { mean, cv } => {
                if mean.is_zero() {
                    out.push("the gamma mean must be greater than zero".to_owned());
                }
                if !cv.is_finite() || cv <= 0.0 {
                    out.push(format!(
                        "the gamma coefficient of variation must be greater than zero (found {cv})"
                    ));
                }
                check_at_most("the coefficient of variation", cv, limits::MAX_CV, &mut out);
                check_durations(&[("the gamma mean", mean)], &mut out);
            }
            Self::Empirical { ref quantiles } => {
                if quantiles.len() < 2 {
                    out.push(format!(
                        "an empirical distribution needs at least two quantiles, the smallest and the largest value (found {})",
                        quantiles.len()
                    ));
                }
                check_at_most(
                    "an empirical distribution's quantiles",
                    quantiles.len(),
                    MAX_EMPIRICAL_QUANTILES,
                    &mut out,
                );
                if let Some(i) = quantiles.windows(2).position(|w| w[1] < w[0]) {
                    out.push(format!(
                        "an empirical distribution's quantiles must not decrease, but quantile {} ({}) is below quantile {} ({})",
                        i + 2,
                        quantiles[i + 1],
                        i + 1,
                        quantiles[i]
                    ));
                }
                if let Some(&last) = quantiles.iter().max() {
                    check_durations(&[("the largest quantile", last)], &mut out);
                }
            }
        }
        out
    }

    /// A sampler for this distribution. Call only on a distribution without
    /// [`problems`](Self::problems); invalid parameters fall back to the mean.
    pub fn sampler(&self) -> Sampler {
        #[expect(clippy::cast_precision_loss, reason = "nanosecond counts as floats")]
        let ns = |d: Duration| d.0 as f64;
        match *self {
            Self::Constant(d) => Sampler::Constant(d.0),
            Self::Exponential { mean } => Sampler::Exponential {
                mean_ns: ns(mean),
                ahead: Ahead::default(),
            },
            Self::Uniform { min, max } if max >= min => Sampler::Uniform {
                min_ns: ns(min),
                span_ns: ns(max) - ns(min),
            },
            Self::LogNormal { mean, cv } => match LogNormalDist::from_mean_cv(ns(mean), cv) {
                Ok(dist) if cv > 0.0 => Sampler::LogNormal(dist),
                _ => Sampler::Constant(mean.0),
            },
            Self::Erlang { k, mean } if k > 0 => Sampler::Erlang {
                k,
                phase_mean_ns: ns(mean) / f64::from(k),
            },
            Self::Gamma { mean, cv } => match GammaDist::new(1.0 / (cv * cv), ns(mean) * cv * cv) {
                Ok(dist) if cv > 0.0 && cv.is_finite() => Sampler::Gamma(Box::new(dist)),
                _ => Sampler::Constant(mean.0),
            },
            Self::Empirical { ref quantiles } if quantiles.len() >= 2 => {
                Sampler::Empirical(quantiles.iter().map(|&d| ns(d)).collect())
            }
            Self::Uniform { .. } | Self::Erlang { .. } | Self::Empirical { .. } => {
                Sampler::Constant(self.mean().0)
            }
        }
    }
}

/// A compiled [`Dist`], ready to draw durations in nanoseconds.
#[derive(Clone, Debug)]
pub enum Sampler {
    Constant(u64),
    Exponential {
        mean_ns: f64,
        ahead: Ahead<u64>,
    },
    Uniform {
        min_ns: f64,
        span_ns: f64,
    },
    LogNormal(LogNormalDist<f64>),
    Erlang {
        k: u32,
        phase_mean_ns: f64,
    },
    /// Boxed, so that the sampler stays as small as the common kinds.
    Gamma(Box<GammaDist<f64>>),
    /// The quantiles in nanoseconds (at least two).
    Empirical(Box<[f64]>),
}

impl Sampler {
    /// One draw, rounded to the nearest nanosecond.
    // NOTE: the two commonest kinds are drawn inline (one draw per message
    // on the hottest path); the others out of line.
    #[inline(always)]
    pub fn sample(&mut self, rng: &mut Stream) -> Duration {
        Duration(self.sample_ns(rng))
    }

    #[inline(always)]
    fn sample_ns(&mut self, rng: &mut Stream) -> u64 {
        match self {
            Self::Constant(ns) => *ns,
            // A draw is never negative and the mean is positive.
            Self::Exponential { mean_ns, ahead } => {
                let mean_ns = *mean_ns;
                ahead.take(|| to_ns_positive(exp1(rng) * mean_ns))
            }
            Self::Uniform { min_ns, span_ns } => uniform(*min_ns, *span_ns, rng),
            Self::LogNormal(dist) => lognormal(dist, rng),
            Self::Erlang { k, phase_mean_ns } => erlang(*k, *phase_mean_ns, rng),
            Self::Gamma(dist) => gamma(dist, rng),
            Self::Empirical(quantiles) => empirical(quantiles, rng),
        }
    }

    /// Whether every draw is zero (a stage that takes no time).
    pub fn is_zero(&self) -> bool {
        matches!(self, Self::Constant(0))
    }
}

/// `d` multiplied by `factor` (a slow-down fault), unchanged at 1.
#[inline]
pub(crate) fn scaled(d: Duration, factor: f64) -> Duration {
    if factor == 1.0 {
        return d;
    }
    #[expect(clippy::cast_precision_loss, reason = "durations in ns")]
    let x = d.as_nanos() as f64 * factor;
    Duration(to_ns(x))
}

/// Whole periods of a bursty process a draw must span before they are
/// skipped at once rather than one by one.
const SKIP_PERIODS: f64 = 1_000.0;

/// A standard exponential draw (mean 1).
#[inline]
fn exp1(rng: &mut Stream) -> f64 {
    <Exp1 as Distribution<f64>>::sample(&Exp1, rng)
}

/// A draw taken one use ahead: each use returns the value drawn at the
/// previous one and draws the next. The stream gives the same values in
/// the same order, so the draws are those a draw at each use would give.
///
/// NOTE: the time a step schedules its next event at hangs on its draw,
/// a long chain of dependent instructions (the generator, the ziggurat,
/// the scaling and rounding); drawn a use ahead, that chain runs while
/// the rest of the step goes on, instead of holding up the next step.
/// The first value is drawn at the first use, so a stream is not touched
/// by a sampler that is never used.
#[derive(Clone, Copy, Debug, Default)]
pub struct Ahead<T>(Option<T>);

impl<T: Copy> Ahead<T> {
    // NOTE: the first use is out of line, so `draw` is called in one
    // place on the hot path and inlined there.
    #[inline(always)]
    fn take(&mut self, mut draw: impl FnMut() -> T) -> T {
        match self.0 {
            Some(this) => {
                self.0 = Some(draw());
                this
            }
            None => self.first(draw),
        }
    }

    /// The first use: this value and the next are drawn now, in order.
    #[cold]
    #[inline(never)]
    fn first(&mut self, mut draw: impl FnMut() -> T) -> T {
        let this = draw();
        self.0 = Some(draw());
        this
    }
}

#[inline(never)]
fn uniform(min_ns: f64, span_ns: f64, rng: &mut Stream) -> u64 {
    to_ns(min_ns + span_ns * unit(rng))
}

#[inline(never)]
fn lognormal(dist: &LogNormalDist<f64>, rng: &mut Stream) -> u64 {
    to_ns(dist.sample(rng))
}

#[inline(never)]
fn erlang(k: u32, phase_mean_ns: f64, rng: &mut Stream) -> u64 {
    let total: f64 = (0..k).map(|_| exp1(rng)).sum::<f64>();
    to_ns(total * phase_mean_ns)
}

#[inline(never)]
fn gamma(dist: &GammaDist<f64>, rng: &mut Stream) -> u64 {
    to_ns(dist.sample(rng))
}

/// A draw of the piecewise-linear quantile function through `quantiles`
/// (at least two, in nanoseconds).
#[inline(never)]
fn empirical(quantiles: &[f64], rng: &mut Stream) -> u64 {
    #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
    let segments = (quantiles.len() - 1) as f64;
    let x = unit(rng) * segments;
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "x is in [0, segments)"
    )]
    let i = (x.floor() as usize).min(quantiles.len() - 2);
    #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
    let frac = x - i as f64;
    to_ns(quantiles[i] + frac * (quantiles[i + 1] - quantiles[i]))
}

/// The mean and variance (in nanoseconds and ns²) of the
/// piecewise-linear quantile function through `quantiles`: each segment
/// between neighbouring quantiles is a uniform law with an equal share.
fn empirical_moments(quantiles: &[Duration]) -> (f64, f64) {
    #[expect(clippy::cast_precision_loss, reason = "nanoseconds as floats")]
    let ns = |d: Duration| d.0 as f64;
    match quantiles {
        [] => (0.0, 0.0),
        [only] => (ns(*only), 0.0),
        _ => {
            #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
            let m = (quantiles.len() - 1) as f64;
            let (mut sum, mut sum2) = (0.0, 0.0);
            for w in quantiles.windows(2) {
                let (a, b) = (ns(w[0]), ns(w[1]));
                sum += (a + b) / 2.0;
                sum2 += (a * a + a * b + b * b) / 3.0;
            }
            let mean = sum / m;
            (mean, (sum2 / m - mean * mean).max(0.0))
        }
    }
}

/// The probability that a draw of the empirical law through `quantiles`
/// is at most `t_ns`.
fn empirical_cdf(quantiles: &[Duration], t_ns: u64) -> f64 {
    let below = quantiles.partition_point(|q| q.0 <= t_ns);
    if below == 0 {
        return 0.0;
    }
    if below >= quantiles.len() {
        return 1.0;
    }
    let i = below - 1;
    let (a, b) = (quantiles[i].0, quantiles[i + 1].0);
    #[expect(clippy::cast_precision_loss, reason = "nanoseconds as floats")]
    let within = (t_ns - a) as f64 / (b - a) as f64;
    #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
    let m = (quantiles.len() - 1) as f64;
    #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
    let f = (i as f64 + within) / m;
    f
}

/// The natural logarithm of Γ(x) for x > 0, by Lanczos's approximation
/// (g = 7, nine coefficients; relative error about 10⁻¹⁵), with the
/// reflection formula below ½.
pub fn ln_gamma(x: f64) -> f64 {
    const G: f64 = 7.0;
    const C: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let mut a = C[0];
    let t = x + G + 0.5;
    for (i, c) in C.iter().enumerate().skip(1) {
        #[expect(clippy::cast_precision_loss, reason = "i < 9")]
        let i = i as f64;
        a += c / (x + i);
    }
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// The regularized lower incomplete gamma function P(a, x) for a > 0:
/// its power series below x = a + 1, and its continued fraction (by the
/// modified Lentz method) above, each to a relative error near 10⁻¹⁴.
pub(crate) fn gamma_p(a: f64, x: f64) -> f64 {
    if x <= 0.0 || a <= 0.0 || x.is_nan() {
        return 0.0;
    }
    if x.is_infinite() {
        return 1.0;
    }
    let log_front = a * x.ln() - x - ln_gamma(a);
    if x < a + 1.0 {
        // x^a e^-x / Γ(a+1) · Σ x^n / ((a+1)…(a+n)).
        let (mut term, mut sum, mut ap) = (1.0 / a, 1.0 / a, a);
        for _ in 0..10_000 {
            ap += 1.0;
            term *= x / ap;
            sum += term;
            if term.abs() < sum.abs() * 1e-15 {
                break;
            }
        }
        (sum.ln() + log_front).exp().min(1.0)
    } else {
        // Q(a, x) = x^a e^-x / Γ(a) · 1/(x+1-a- 1·(1-a)/(x+3-a- …)).
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let i = f64::from(i);
            let an = -i * (i - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let step = d * c;
            h *= step;
            if (step - 1.0).abs() < 1e-15 {
                break;
            }
        }
        (1.0 - (log_front + h.ln()).exp()).clamp(0.0, 1.0)
    }
}

/// The standard normal distribution function Φ(z).
pub(crate) fn normal_cdf(z: f64) -> f64 {
    0.5 * erfc(-z / std::f64::consts::SQRT_2)
}

/// Nanoseconds from a float, rounded and clamped (NaN and negatives give
/// zero).
#[inline]
pub(crate) fn to_ns(x: f64) -> u64 {
    if x.is_nan() || x <= 0.0 {
        0
    } else {
        to_ns_positive(x)
    }
}

/// [`to_ns`] for a value known not to be NaN or negative (an exponential
/// draw times a positive mean), without checking.
#[inline(always)]
#[expect(
    clippy::cast_possible_truncation,
    clippy::cast_sign_loss,
    reason = "clamped to the u64 range first"
)]
fn to_ns_positive(x: f64) -> u64 {
    debug_assert!(x >= 0.0, "{x} is NaN or negative");
    if x < 9.0e18 {
        // Through a signed integer: one instruction, where a float to
        // unsigned conversion takes several.
        (x + 0.5) as i64 as u64
    } else if x >= 1.8e19 {
        u64::MAX
    } else {
        (x + 0.5) as u64
    }
}

/// The complementary error function, by the Chebyshev fit of Numerical
/// Recipes (`erfcc`, fractional error below 1.2·10⁻⁷ everywhere).
fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let ans = t * (-z * z + poly).exp();
    if x >= 0.0 { ans } else { 2.0 - ans }
}

/// How a producer spaces its events. Rates are events per second.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Arrival {
    /// Exactly `rate` events per second, evenly spaced.
    Constant { rate: f64 },
    /// A Poisson process: exponential gaps with mean 1/`rate`.
    Poisson { rate: f64 },
    /// On/off bursts: a Poisson process at `rate` for `on`, then at
    /// `base_rate` (default 0) for `off`, repeating from the start.
    Bursty {
        rate: f64,
        on: Duration,
        off: Duration,
        #[serde(default, skip_serializing_if = "is_zero_f64")]
        base_rate: f64,
    },
    /// A Poisson process whose rate climbs (or falls) linearly from `from`
    /// to `to` over `over`, then stays at `to`.
    Ramp { from: f64, to: f64, over: Duration },
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero_f64(x: &f64) -> bool {
    *x == 0.0
}

impl Arrival {
    /// The same process with every rate times `k` (its timing kept): a
    /// load `k` times today's.
    #[must_use]
    pub fn scaled(&self, k: f64) -> Self {
        match *self {
            Self::Constant { rate } => Self::Constant { rate: rate * k },
            Self::Poisson { rate } => Self::Poisson { rate: rate * k },
            Self::Bursty {
                rate,
                on,
                off,
                base_rate,
            } => Self::Bursty {
                rate: rate * k,
                on,
                off,
                base_rate: base_rate * k,
            },
            Self::Ramp { from, to, over } => Self::Ramp {
                from: from * k,
                to: to * k,
                over,
            },
        }
    }

    /// The long-run mean rate in events per second.
    pub fn mean_rate(&self) -> f64 {
        match *self {
            Self::Constant { rate } | Self::Poisson { rate } => rate,
            Self::Bursty {
                rate,
                on,
                off,
                base_rate,
            } => {
                let (on, off) = (on.as_secs_f64(), off.as_secs_f64());
                if on + off > 0.0 {
                    (rate * on + base_rate * off) / (on + off)
                } else {
                    rate
                }
            }
            Self::Ramp { to, .. } => to,
        }
    }

    /// The highest rate it ever reaches, in events per second.
    pub fn peak_rate(&self) -> f64 {
        match *self {
            Self::Constant { rate } | Self::Poisson { rate } => rate,
            Self::Bursty {
                rate, base_rate, ..
            } => rate.max(base_rate),
            Self::Ramp { from, to, .. } => from.max(to),
        }
    }

    /// Problems with the parameters, as sentences; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        use crate::nodes::{check_durations, check_rate, limits};
        let mut out = Vec::new();
        let rate_in_range = |name: &str, v: f64, zero_allowed: bool, out: &mut Vec<String>| {
            if !v.is_finite() || v < 0.0 || (v == 0.0 && !zero_allowed) {
                out.push(if zero_allowed {
                    format!("the {name} must be zero or more (found {v})")
                } else {
                    format!("the {name} must be a number greater than zero (found {v})")
                });
            }
            check_rate(&format!("the {name}"), v, out);
        };
        match *self {
            Self::Constant { rate } | Self::Poisson { rate } => {
                rate_in_range("rate", rate, false, &mut out);
            }
            Self::Bursty {
                rate,
                on,
                off,
                base_rate,
            } => {
                rate_in_range("burst rate", rate, false, &mut out);
                rate_in_range("base rate", base_rate, true, &mut out);
                if on.is_zero() {
                    out.push("the on period must be longer than zero".to_owned());
                }
                if off.is_zero() {
                    out.push("the off period must be longer than zero".to_owned());
                }
                for (name, d) in [("the on period", on), ("the off period", off)] {
                    if !d.is_zero() && d < limits::MIN_BURST_PERIOD {
                        out.push(format!(
                            "{name} must be at least {} (found {d})",
                            limits::MIN_BURST_PERIOD
                        ));
                    }
                }
                check_durations(&[("the on period", on), ("the off period", off)], &mut out);
                // Each draw walks the on/off periods until an event falls
                // in one: a process with almost no events per period
                // would walk through millions of them per event.
                let per_period = rate * on.as_secs_f64() + base_rate * off.as_secs_f64();
                if out.is_empty() && per_period < MIN_EVENTS_PER_BURST_PERIOD {
                    out.push(format!(
                        "one on/off period holds {per_period:.3e} events on average, fewer than one in {}: raise the rates or lengthen the periods",
                        1.0 / MIN_EVENTS_PER_BURST_PERIOD
                    ));
                }
            }
            Self::Ramp { from, to, over } => {
                rate_in_range("starting rate", from, true, &mut out);
                rate_in_range("final rate", to, true, &mut out);
                if from <= 0.0 && to <= 0.0 {
                    out.push("a ramp needs a rate above zero at one end".to_owned());
                }
                if over.is_zero() {
                    out.push("the ramp must last longer than zero".to_owned());
                }
                check_durations(&[("the ramp", over)], &mut out);
            }
        }
        out
    }
}

/// The fewest events an on/off period of a bursty producer may hold on
/// average.
pub const MIN_EVENTS_PER_BURST_PERIOD: f64 = 1e-3;

/// A compiled arrival process. `next` gives the time of the next event
/// after `now` (in nanoseconds), or `None` if none will ever come.
#[derive(Clone, Debug)]
pub struct ArrivalSampler {
    kind: ArrivalKind,
    /// A multiplier on the rate (scenario bursts); 1 normally.
    pub rate_factor: f64,
}

#[derive(Clone, Debug)]
enum ArrivalKind {
    Constant {
        gap_ns: f64,
        carry: f64,
    },
    Poisson {
        mean_gap_ns: f64,
        /// The next gap at the base rate.
        ahead: Ahead<f64>,
    },
    Bursty {
        rate: f64,
        base: f64,
        on_ns: u64,
        period_ns: u64,
    },
    Ramp {
        from: f64,
        to: f64,
        over_ns: u64,
    },
}

impl ArrivalSampler {
    pub fn new(arrival: &Arrival) -> Self {
        let kind = match *arrival {
            Arrival::Constant { rate } => ArrivalKind::Constant {
                gap_ns: 1e9 / rate,
                carry: 0.0,
            },
            Arrival::Poisson { rate } => ArrivalKind::Poisson {
                mean_gap_ns: 1e9 / rate,
                ahead: Ahead::default(),
            },
            Arrival::Bursty {
                rate,
                on,
                off,
                base_rate,
            } => ArrivalKind::Bursty {
                rate,
                base: base_rate,
                on_ns: on.0,
                period_ns: on.0.saturating_add(off.0).max(1),
            },
            Arrival::Ramp { from, to, over } => ArrivalKind::Ramp {
                from,
                to,
                over_ns: over.0.max(1),
            },
        };
        Self {
            kind,
            rate_factor: 1.0,
        }
    }

    /// The time of the next event strictly after `now`... or at `now` for a
    /// zero gap that rounding produced; `None` when the rate is zero forever.
    #[inline(always)]
    pub fn next(&mut self, now: u64, rng: &mut Stream) -> Option<u64> {
        let factor = self.rate_factor;
        if factor <= 0.0 {
            return None;
        }
        match &mut self.kind {
            // The commonest process, drawn inline; the others out of line.
            ArrivalKind::Poisson { mean_gap_ns, ahead } => {
                let mean_gap_ns = *mean_gap_ns;
                let gap = ahead.take(|| exp1(rng) * mean_gap_ns);
                // (No division at the base rate, the common case: it
                // would hold up the step.)
                let gap = if factor == 1.0 { gap } else { gap / factor };
                // A draw is never negative and the gap is positive.
                Some(now.saturating_add(to_ns_positive(gap)))
            }
            _ => self.next_other(now, factor, rng),
        }
    }

    /// [`Self::next`] for the processes other than Poisson.
    #[inline(never)]
    fn next_other(&mut self, now: u64, factor: f64, rng: &mut Stream) -> Option<u64> {
        match &mut self.kind {
            ArrivalKind::Constant { gap_ns, carry } => {
                let exact = *gap_ns / factor + *carry;
                let whole = exact.floor();
                *carry = exact - whole;
                Some(now.saturating_add(to_ns(whole)))
            }
            // Drawn by `next` itself.
            ArrivalKind::Poisson { .. } => self.next(now, rng),
            ArrivalKind::Bursty {
                rate,
                base,
                on_ns,
                period_ns,
            } => {
                let (rate, base, on_ns, period_ns) =
                    (*rate * factor, *base * factor, *on_ns, *period_ns);
                // Consume one unit of exponential "work" across the
                // piecewise-constant rate.
                let mut work: f64 = exp1(rng);
                let mut t = now;
                if base <= 0.0 && rate <= 0.0 {
                    return None;
                }
                #[expect(clippy::cast_precision_loss, reason = "segment lengths in ns")]
                let per_period =
                    rate * on_ns as f64 / 1e9 + base * (period_ns - on_ns) as f64 / 1e9;
                loop {
                    let phase = t % period_ns;
                    if phase == 0 && work > SKIP_PERIODS * per_period {
                        // A rate so low that the draw spans very many
                        // periods: skip all but the last few whole ones at
                        // once, so the work per arrival stays bounded.
                        #[expect(
                            clippy::cast_possible_truncation,
                            clippy::cast_sign_loss,
                            clippy::cast_precision_loss,
                            reason = "a positive count of periods, clamped to u64"
                        )]
                        let k =
                            ((work / per_period).floor() - 2.0).clamp(0.0, u64::MAX as f64) as u64;
                        work -= k as f64 * per_period;
                        t = t.saturating_add(k.saturating_mul(period_ns));
                        if t == u64::MAX {
                            return Some(t);
                        }
                        continue;
                    }
                    let (r, seg_end) = if phase < on_ns {
                        (rate, (t - phase).saturating_add(on_ns))
                    } else {
                        (base, (t - phase).saturating_add(period_ns))
                    };
                    if seg_end == t {
                        // The end of the clock.
                        return Some(t);
                    }
                    #[expect(clippy::cast_precision_loss, reason = "segment lengths in ns")]
                    let seg_s = (seg_end - t) as f64 / 1e9;
                    if r > 0.0 && work <= r * seg_s {
                        return Some(t.saturating_add(to_ns(work / r * 1e9)));
                    }
                    work -= r * seg_s;
                    t = seg_end;
                }
            }
            ArrivalKind::Ramp { from, to, over_ns } => {
                let (from, to, over_ns) = (*from * factor, *to * factor, *over_ns);
                let mut work: f64 = exp1(rng);
                let mut t = now;
                if t < over_ns {
                    #[expect(clippy::cast_precision_loss, reason = "times in ns")]
                    let (t_s, over_s) = (t as f64 / 1e9, over_ns as f64 / 1e9);
                    let slope = (to - from) / over_s;
                    let a = from + slope * t_s;
                    let len = over_s - t_s;
                    let area = a * len + slope * len * len / 2.0;
                    if work <= area {
                        // Solve a·x + slope·x²/2 = work for the smallest x ≥ 0.
                        let x = if slope.abs() < 1e-12 {
                            work / a
                        } else {
                            let disc = (a * a + 2.0 * slope * work).max(0.0);
                            2.0 * work / (a + disc.sqrt())
                        };
                        return Some(t.saturating_add(to_ns(x * 1e9)));
                    }
                    work -= area;
                    t = over_ns;
                }
                if to <= 0.0 {
                    return None;
                }
                Some(t.saturating_add(to_ns(work / to * 1e9)))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn mean_and_cv(dist: &Dist, n: usize) -> (f64, f64) {
        let mut sampler = dist.sampler();
        let mut rng = stream(3, "dist", Purpose::Service);
        #[expect(clippy::cast_precision_loss, reason = "test statistics")]
        let xs: Vec<f64> = (0..n)
            .map(|_| sampler.sample(&mut rng).as_nanos() as f64)
            .collect();
        #[expect(clippy::cast_precision_loss, reason = "test statistics")]
        let n = n as f64;
        let mean = xs.iter().sum::<f64>() / n;
        let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (n - 1.0);
        (mean, var.sqrt() / mean)
    }

    #[test]
    fn tail_probabilities_match_sampling_and_known_values() {
        let ms = Duration::from_millis;
        // erfc(1) = 0.157299207050285; erfc(−0.5) = 1.520499877813047.
        assert!((erfc(1.0) - 0.157_299_207_050_285).abs() < 1e-7);
        assert!((erfc(-0.5) - 1.520_499_877_813_047).abs() < 1e-7);
        let exp = Dist::Exponential { mean: ms(10) };
        assert!((exp.exceeds(ms(20)) - (-2f64).exp()).abs() < 1e-12);
        // Erlang-2 with mean 10 ms (rate 200/s): e^{-λt}(1 + λt) at 10 ms.
        let erl = Dist::Erlang { k: 2, mean: ms(10) };
        assert!((erl.exceeds(ms(10)) - 3.0 * (-2f64).exp()).abs() < 1e-12);
        assert_eq!(Dist::Constant(ms(5)).exceeds(ms(5)), 0.0);
        assert_eq!(Dist::Constant(ms(6)).exceeds(ms(5)), 1.0);
        let uni = Dist::Uniform {
            min: ms(0),
            max: ms(10),
        };
        assert!((uni.exceeds(ms(4)) - 0.6).abs() < 1e-12);
        // Each law's tail against the share of 200 000 draws past a limit.
        for (dist, limit) in [
            (
                Dist::LogNormal {
                    mean: ms(10),
                    cv: 1.5,
                },
                ms(25),
            ),
            (Dist::Erlang { k: 4, mean: ms(10) }, ms(15)),
            (exp.clone(), ms(15)),
        ] {
            let mut sampler = dist.sampler();
            let mut rng = stream(5, "tail", Purpose::Service);
            let n = 200_000;
            let past = (0..n).filter(|_| sampler.sample(&mut rng) > limit).count();
            #[expect(clippy::cast_precision_loss, reason = "test statistics")]
            let share = past as f64 / f64::from(n);
            let p = dist.exceeds(limit);
            let sd = (p * (1.0 - p) / f64::from(n)).sqrt();
            assert!((share - p).abs() < 4.0 * sd, "{dist:?}: {share} vs {p}");
        }
        assert!((exp.scv() - 1.0).abs() < 1e-12);
        assert!((exp.variance_s2() - 1e-4).abs() < 1e-16);
    }

    #[test]
    fn sample_moments_match_parameters() {
        let ms = Duration::from_millis(10);
        let cases = [
            (Dist::Exponential { mean: ms }, 1.0),
            (Dist::LogNormal { mean: ms, cv: 1.5 }, 1.5),
            (Dist::Erlang { k: 4, mean: ms }, 0.5),
            (
                Dist::Uniform {
                    min: Duration::from_millis(5),
                    max: Duration::from_millis(15),
                },
                Dist::Uniform {
                    min: Duration::from_millis(5),
                    max: Duration::from_millis(15),
                }
                .cv(),
            ),
        ];
        for (dist, cv) in cases {
            let (mean, sample_cv) = mean_and_cv(&dist, 400_000);
            assert!((mean / 1e7 - 1.0).abs() < 0.01, "{dist:?}: mean {mean}");
            assert!(
                (sample_cv / cv - 1.0).abs() < 0.04,
                "{dist:?}: cv {sample_cv} vs {cv}"
            );
            assert!((dist.cv() - cv).abs() < 1e-12);
        }
        assert_eq!(
            Dist::Constant(ms)
                .sampler()
                .sample(&mut stream(1, "c", Purpose::Service)),
            Duration(10_000_000)
        );
    }

    /// Gamma and empirical draws: the sample mean and variance of 200 000
    /// draws each fall within their 99.9 % confidence intervals of the
    /// law's own, and the intervals are narrow (a wrong shape or a wrong
    /// interpolation would be far outside them).
    #[test]
    fn gamma_and_empirical_draws_have_their_mean_and_variance() {
        let ms = Duration::from_millis;
        let cases = [
            Dist::Gamma {
                mean: ms(10),
                cv: 0.7,
            },
            Dist::Gamma {
                mean: ms(10),
                cv: 2.0,
            },
            Dist::Empirical {
                quantiles: vec![ms(2), ms(4), ms(5), ms(9), ms(30)],
            },
            Dist::Empirical {
                quantiles: vec![ms(1), ms(1), ms(3)],
            },
        ];
        let z = 3.29;
        for dist in cases {
            assert!(
                dist.problems().is_empty(),
                "{dist:?}: {:?}",
                dist.problems()
            );
            let mut sampler = dist.sampler();
            let mut rng = stream(17, "moments", Purpose::Service);
            let n = 200_000usize;
            #[expect(clippy::cast_precision_loss, reason = "test statistics")]
            let xs: Vec<f64> = (0..n)
                .map(|_| sampler.sample(&mut rng).as_nanos() as f64 / 1e6)
                .collect();
            #[expect(clippy::cast_precision_loss, reason = "test statistics")]
            let nf = n as f64;
            let mean = xs.iter().sum::<f64>() / nf;
            let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0);
            let m4 = xs.iter().map(|x| (x - mean).powi(4)).sum::<f64>() / nf;
            let (true_mean, true_var) = (dist.mean().as_secs_f64() * 1e3, dist.variance_s2() * 1e6);
            let mean_hw = z * (var / nf).sqrt();
            let var_hw = z * ((m4 - var * var) / nf).sqrt();
            assert!(
                (mean - true_mean).abs() < mean_hw,
                "{dist:?}: mean {mean} ms, law's {true_mean} ± {mean_hw}"
            );
            assert!(
                (var - true_var).abs() < var_hw,
                "{dist:?}: variance {var} ms², law's {true_var} ± {var_hw}"
            );
            assert!(
                mean_hw < 0.02 * true_mean,
                "{dist:?}: mean interval too wide"
            );
            assert!(
                var_hw < 0.15 * true_var,
                "{dist:?}: variance interval too wide"
            );
            // The tail at the mean against the share of draws past it.
            let limit = dist.mean();
            #[expect(clippy::cast_precision_loss, reason = "test statistics")]
            let share = xs
                .iter()
                .filter(|&&x| x > limit.as_secs_f64() * 1e3)
                .count() as f64
                / nf;
            let p = dist.exceeds(limit);
            let sd = (p * (1.0 - p) / nf).sqrt();
            assert!(
                (share - p).abs() < 5.0 * sd,
                "{dist:?}: tail {share} vs {p}"
            );
        }
    }

    #[test]
    fn special_functions_match_known_values() {
        // ln Γ(1) = ln Γ(2) = 0, Γ(½) = √π, Γ(5) = 24, Γ(0.1) = 9.513507698668732.
        assert!(ln_gamma(1.0).abs() < 1e-13);
        assert!(ln_gamma(2.0).abs() < 1e-13);
        assert!((ln_gamma(0.5) - std::f64::consts::PI.sqrt().ln()).abs() < 1e-13);
        assert!((ln_gamma(5.0) - 24f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(0.1) - 9.513_507_698_668_732f64.ln()).abs() < 1e-12);
        assert!((ln_gamma(100.0) - 359.134_205_369_575_4).abs() < 1e-9);
        // P(1, x) = 1 − e^−x; P(2, x) = 1 − e^−x (1 + x); P(½, x) = erf(√x).
        for x in [0.01, 0.5, 1.0, 2.9, 3.5, 10.0, 40.0] {
            assert!(
                (gamma_p(1.0, x) - (1.0 - (-x).exp())).abs() < 1e-12,
                "P(1, {x})"
            );
            let p2 = 1.0 - (-x).exp() * (1.0 + x);
            assert!((gamma_p(2.0, x) - p2).abs() < 1e-12, "P(2, {x})");
            let erf = 1.0 - erfc(x.sqrt());
            assert!((gamma_p(0.5, x) - erf).abs() < 1e-6, "P(½, {x})");
        }
        assert_eq!(gamma_p(3.0, 0.0), 0.0);
        assert!((normal_cdf(1.959_964) - 0.975).abs() < 1e-6);
        // Erlang's tail is the gamma's with a whole shape.
        let ms = Duration::from_millis;
        let erlang = Dist::Erlang { k: 4, mean: ms(10) };
        let gamma = Dist::Gamma {
            mean: ms(10),
            cv: 0.5,
        };
        for t in [1, 5, 10, 20, 40] {
            assert!((erlang.exceeds(ms(t)) - gamma.exceeds(ms(t))).abs() < 1e-9);
        }
    }

    #[test]
    fn empirical_laws_interpolate_their_quantiles() {
        let ms = Duration::from_millis;
        let d = Dist::Empirical {
            quantiles: vec![ms(0), ms(10), ms(10), ms(40)],
        };
        // Thirds: [0, 10] uniform, then 10 exactly, then [10, 40] uniform.
        assert!((d.exceeds(ms(5)) - (1.0 - 1.0 / 6.0)).abs() < 1e-12);
        assert!((d.exceeds(ms(10)) - 1.0 / 3.0).abs() < 1e-12);
        assert!((d.exceeds(ms(25)) - 1.0 / 6.0).abs() < 1e-12);
        assert_eq!(d.exceeds(ms(40)), 0.0);
        assert_eq!(d.mean(), Duration(13_333_333));
        let bad = Dist::Empirical {
            quantiles: vec![ms(5), ms(3)],
        };
        assert!(
            bad.problems()[0].contains("must not decrease"),
            "{:?}",
            bad.problems()
        );
        let short = Dist::Empirical {
            quantiles: vec![ms(5)],
        };
        assert!(short.problems()[0].contains("at least two"));
        let flat = Dist::Gamma {
            mean: ms(5),
            cv: 0.0,
        };
        assert!(!flat.problems().is_empty());
    }

    #[test]
    fn invalid_parameters_are_explained() {
        assert!(
            Dist::Exponential {
                mean: Duration::ZERO
            }
            .problems()[0]
                .contains("greater than zero")
        );
        assert_eq!(
            Dist::Erlang {
                k: 0,
                mean: Duration::from_secs(1)
            }
            .problems()
            .len(),
            1
        );
        assert!(
            !Dist::Uniform {
                min: Duration::from_secs(2),
                max: Duration::from_secs(1)
            }
            .problems()
            .is_empty()
        );
        assert!(
            !Dist::LogNormal {
                mean: Duration::from_secs(1),
                cv: -1.0
            }
            .problems()
            .is_empty()
        );
        assert!(!Arrival::Poisson { rate: 0.0 }.problems().is_empty());
        assert!(!Arrival::Poisson { rate: f64::NAN }.problems().is_empty());
        assert!(
            Arrival::Ramp {
                from: 0.0,
                to: 5.0,
                over: Duration::from_secs(1)
            }
            .problems()
            .is_empty()
        );
    }

    fn count_arrivals(arrival: &Arrival, horizon_s: u64) -> u64 {
        let mut sampler = ArrivalSampler::new(arrival);
        let mut rng = stream(11, "p", Purpose::Arrivals);
        let end = horizon_s * 1_000_000_000;
        let mut t = 0;
        let mut n = 0;
        while let Some(next) = sampler.next(t, &mut rng) {
            if next > end {
                break;
            }
            t = next;
            n += 1;
        }
        n
    }

    #[test]
    fn arrival_counts_match_rates() {
        assert_eq!(count_arrivals(&Arrival::Constant { rate: 3.0 }, 100), 300);
        let poisson = count_arrivals(&Arrival::Poisson { rate: 100.0 }, 1_000);
        // Poisson count: mean 100 000, sd 316; 5 sd is a wrong-engine bound.
        assert!(
            (poisson as i64 - 100_000).abs() < 1_600,
            "poisson count {poisson}"
        );
        let bursty = Arrival::Bursty {
            rate: 200.0,
            on: Duration::from_secs(2),
            off: Duration::from_secs(8),
            base_rate: 10.0,
        };
        // 100 cycles: 200·2 + 10·8 = 480 per cycle, mean 48 000.
        let n = count_arrivals(&bursty, 1_000);
        assert!((n as i64 - 48_000).abs() < 1_100, "bursty count {n}");
        assert!((bursty.mean_rate() - 48.0).abs() < 1e-12);
        // Ramp 0 → 100/s over 100 s: 5 000 expected during the ramp, then
        // 100/s for 100 s more.
        let ramp = Arrival::Ramp {
            from: 0.0,
            to: 100.0,
            over: Duration::from_secs(100),
        };
        let n = count_arrivals(&ramp, 200);
        assert!((n as i64 - 15_000).abs() < 500, "ramp count {n}");
    }

    #[test]
    fn bursty_is_silent_when_off() {
        let arrival = Arrival::Bursty {
            rate: 1_000.0,
            on: Duration::from_secs(1),
            off: Duration::from_secs(1),
            base_rate: 0.0,
        };
        let mut sampler = ArrivalSampler::new(&arrival);
        let mut rng = stream(5, "b", Purpose::Arrivals);
        let mut t = 0;
        for _ in 0..10_000 {
            t = sampler.next(t, &mut rng).unwrap_or(u64::MAX);
            assert!(
                t % 2_000_000_000 <= 1_000_000_000,
                "event in an off period at {t}"
            );
        }
    }

    /// Drawing a use ahead gives the values a draw at each use gives, in
    /// the same order.
    #[test]
    fn draws_taken_ahead_are_the_draws_of_each_use() {
        let mut sampler = Dist::Exponential {
            mean: Duration::from_millis(3),
        }
        .sampler();
        let (mut rng, mut reference) = (
            stream(8, "a", Purpose::Service),
            stream(8, "a", Purpose::Service),
        );
        for _ in 0..1_000 {
            assert_eq!(
                sampler.sample(&mut rng),
                Duration(to_ns_positive(exp1(&mut reference) * 3e6))
            );
        }

        let mut arrivals = ArrivalSampler::new(&Arrival::Poisson { rate: 50.0 });
        let (mut rng, mut reference) = (
            stream(8, "p", Purpose::Arrivals),
            stream(8, "p", Purpose::Arrivals),
        );
        let mut now = 0;
        for k in 0..1_000 {
            // A burst now and then multiplies the rate of the gaps drawn
            // while it lasts.
            arrivals.rate_factor = if k % 7 == 0 { 4.0 } else { 1.0 };
            let gap = exp1(&mut reference) * 2e7 / arrivals.rate_factor;
            let next = arrivals.next(now, &mut rng).expect("a rate");
            assert_eq!(next, now + to_ns_positive(gap));
            now = next;
        }
    }
}
