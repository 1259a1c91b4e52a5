//! Service level objectives: what "good enough" means for a design, and
//! whether a run met it.
//!
//! An objective ([`Slo`]) sits on a node, an edge, a path from the node
//! that makes messages to the node where they end, or the whole system. It
//! states a bound on one measure ([`Objective`]): a latency percentile, a
//! lag, a staleness percentile, a loss fraction, a throughput, an
//! availability. It is evaluated over the measured run (after the
//! warm-up), or over rolling windows of a given length, each run's value
//! being its worst window. Over replications the value's confidence
//! interval gives the verdict ([`Verdict`]): met when the whole interval
//! is on the good side of the bound, violated when it is all on the bad
//! side, undecided otherwise, with about how many more replications would
//! decide.
//!
//! Each objective also reports the error budget it burned. For the
//! objectives that allow a share of bad events — a latency or staleness
//! percentile (`100 − p` % of messages may be slower), a loss fraction, an
//! availability — it is the share of bad events (or of down time) over the
//! measured run divided by the share allowed: 1 is all of it. For bounds
//! on a level (lag, lag in seconds) it is the highest value over the
//! bound; for a throughput, the bound over the throughput reached.
//!
//! Measuring reads the engine's counters, histograms and levels; it draws
//! no random numbers and schedules nothing, so objectives never change
//! another number of a run. Windows are measured by differences of
//! cumulative counts taken at steps of a quarter window, so a window
//! costs a few copies of a histogram per step, never a cost per message.

use serde::{Deserialize, Serialize};

use crate::histogram::LogHistogram;
use crate::model::Model;
use crate::time::Duration;
use crate::validate::{Diagnostic, Target};

/// One service level objective.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Slo {
    /// What people call it; empty: described from the objective.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name: String,
    /// What it is measured on.
    pub on: SloTarget,
    /// The bound.
    pub objective: Objective,
    /// Rolling windows of this length, each of which must meet the bound;
    /// `None`: the whole measured run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<Duration>,
}

/// What an objective is measured on.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum SloTarget {
    /// A node, by id.
    Node(String),
    /// An edge, by id (`"from->to"` unless it has its own).
    Edge(String),
    /// Messages made at `from` (a producer, a CEP node, an event store's
    /// replay) whose journey ends well at `to`.
    Path { from: String, to: String },
    /// The whole system: every message.
    System,
}

/// The bound an objective states.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Objective {
    /// The `percentile` of a latency is at most `max`.
    Latency {
        #[serde(default)]
        of: LatencyOf,
        percentile: f64,
        max: Duration,
    },
    /// The backlog in records (a queue's depth, a log's largest consumer
    /// lag) never exceeds `max`.
    Lag { max: u64 },
    /// A log's lag in seconds (the age of a group's oldest uncommitted
    /// record) never exceeds `max`.
    LagTime { max: Duration },
    /// The `percentile` of a projection's staleness is at most `max`.
    Staleness { percentile: f64, max: Duration },
    /// The fraction of messages lost `of` some way is at most `max`.
    Loss {
        #[serde(default)]
        of: LossOf,
        max: f64,
    },
    /// At least `min` messages per second go through.
    Throughput { min: f64 },
    /// The node is up at least `min` of the time (0 to 1).
    Availability { min: f64 },
}

/// Which latency a latency objective bounds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LatencyOf {
    /// From the message's creation to the end of its journey.
    #[default]
    EndToEnd,
    /// Waiting before service.
    Wait,
    /// Time at the node, waiting and service.
    Sojourn,
}

/// Which messages a loss objective counts as lost.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum LossOf {
    /// Dropped or dead-lettered.
    #[default]
    Any,
    /// Dropped, for any reason.
    Dropped,
    /// Sent to a dead-letter queue.
    DeadLettered,
    /// Lost to a failure: a crash, an outage, an at-most-once failure.
    Lost,
    /// Delivered again where journeys end, after another delivery of the
    /// same message had already completed there or elsewhere (an
    /// at-least-once consumer's duplicates).
    Duplicated,
    /// Finished by a consumer, or received where journeys end, after a
    /// message of the same stream (producer and key) made later.
    OutOfOrder,
}

impl LatencyOf {
    pub const ALL: [Self; 3] = [Self::EndToEnd, Self::Wait, Self::Sojourn];

    /// In words.
    pub const fn label(self) -> &'static str {
        match self {
            Self::EndToEnd => "end-to-end",
            Self::Wait => "wait",
            Self::Sojourn => "sojourn",
        }
    }
}

impl LossOf {
    pub const ALL: [Self; 6] = [
        Self::Any,
        Self::Dropped,
        Self::DeadLettered,
        Self::Lost,
        Self::Duplicated,
        Self::OutOfOrder,
    ];

    /// In words.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Any => "dropped or dead-lettered",
            Self::Dropped => "dropped",
            Self::DeadLettered => "dead-lettered",
            Self::Lost => "lost to failures",
            Self::Duplicated => "delivered twice",
            Self::OutOfOrder => "out of order",
        }
    }
}

/// Which side of the bound is good.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Bound {
    /// The value must be at most this.
    AtMost(f64),
    /// The value must be at least this.
    AtLeast(f64),
}

impl Bound {
    /// Whether `value` is on the good side.
    pub fn holds(self, value: f64) -> bool {
        match self {
            Self::AtMost(b) => value <= b,
            Self::AtLeast(b) => value >= b,
        }
    }

    /// The bound's value.
    pub const fn value(self) -> f64 {
        match self {
            Self::AtMost(b) | Self::AtLeast(b) => b,
        }
    }

    /// The worse of two values.
    fn worse(self, a: f64, b: f64) -> f64 {
        match self {
            Self::AtMost(_) => a.max(b),
            Self::AtLeast(_) => a.min(b),
        }
    }
}

/// How a value is written for people.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Unit {
    Seconds,
    Records,
    Fraction,
    PerSecond,
}

impl Unit {
    /// The unit's name in reports (`"s"`, `"records"`, `"fraction"`, `"/s"`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::Seconds => "s",
            Self::Records => "records",
            Self::Fraction => "fraction",
            Self::PerSecond => "/s",
        }
    }

    /// `v` in this unit, for people: `212 ms`, `1.25 s`, `1,000 records`,
    /// `0.10 %`, `80.0 /s`.
    pub fn show(self, v: f64) -> String {
        if !v.is_finite() {
            return "—".to_owned();
        }
        match self {
            Self::Seconds => seconds(v),
            Self::Records => format!("{v:.0} records"),
            Self::Fraction => percent(v),
            Self::PerSecond => format!("{v:.1} /s"),
        }
    }

    /// A half-width in this unit, without the unit's words.
    pub fn show_bare(self, v: f64) -> String {
        match self {
            Self::Seconds if v.abs() < 1.0 => format!("{:.1} ms", v * 1e3),
            Self::Seconds => format!("{v:.2} s"),
            Self::Records => format!("{v:.0}"),
            Self::Fraction => percent(v),
            Self::PerSecond => format!("{v:.1}"),
        }
    }
}

/// Seconds as `212 ms`, `1.25 s`, `0.41 ms`.
fn seconds(v: f64) -> String {
    let ms = v * 1e3;
    if v.abs() >= 1.0 {
        format!("{v:.2} s")
    } else if ms.abs() >= 10.0 {
        format!("{ms:.0} ms")
    } else {
        format!("{ms:.2} ms")
    }
}

/// A fraction as a percentage with enough digits to tell small ones
/// apart: `0.1 %`, `0.015 %`, `99.95 %`.
fn percent(v: f64) -> String {
    let p = v * 100.0;
    if p == 0.0 {
        "0 %".to_owned()
    } else if p.abs() >= 99.0 && p.abs() < 100.0 {
        format!("{p:.3} %")
    } else if p.abs() >= 1.0 {
        format!("{p:.1} %")
    } else {
        format!("{p:.3} %")
    }
}

/// A percentile for people: `p99`, `p99.9`.
fn pct(p: f64) -> String {
    let text = format!("{p}");
    format!("p{text}")
}

impl Objective {
    /// The bound on the value.
    pub fn bound(&self) -> Bound {
        match *self {
            Self::Latency { max, .. } | Self::LagTime { max } | Self::Staleness { max, .. } => {
                Bound::AtMost(max.as_secs_f64())
            }
            #[expect(clippy::cast_precision_loss, reason = "a record count as a bound")]
            Self::Lag { max } => Bound::AtMost(max as f64),
            Self::Loss { max, .. } => Bound::AtMost(max),
            Self::Throughput { min } | Self::Availability { min } => Bound::AtLeast(min),
        }
    }

    /// The unit of the value.
    pub const fn unit(&self) -> Unit {
        match self {
            Self::Latency { .. } | Self::LagTime { .. } | Self::Staleness { .. } => Unit::Seconds,
            Self::Lag { .. } => Unit::Records,
            Self::Loss { .. } | Self::Availability { .. } => Unit::Fraction,
            Self::Throughput { .. } => Unit::PerSecond,
        }
    }

    /// What is measured, in words: `p99 end-to-end latency`, `lag`.
    pub fn measure(&self) -> String {
        match self {
            Self::Latency { of, percentile, .. } => {
                format!("{} {} latency", pct(*percentile), of.label())
            }
            Self::Lag { .. } => "lag".to_owned(),
            Self::LagTime { .. } => "lag in seconds".to_owned(),
            Self::Staleness { percentile, .. } => format!("{} staleness", pct(*percentile)),
            Self::Loss { of, .. } => format!("share {}", of.label()),
            Self::Throughput { .. } => "throughput".to_owned(),
            Self::Availability { .. } => "availability".to_owned(),
        }
    }

    /// The bound in words: `≤ 250 ms`, `≥ 99.9 %`.
    pub fn target_text(&self) -> String {
        let unit = self.unit();
        match self.bound() {
            Bound::AtMost(b) => format!("≤ {}", unit.show(b)),
            Bound::AtLeast(b) => format!("≥ {}", unit.show(b)),
        }
    }

    /// The share of bad events the objective allows, for those that
    /// allow one.
    fn allowed(&self) -> Option<f64> {
        match *self {
            Self::Latency { percentile, .. } | Self::Staleness { percentile, .. } => {
                Some(1.0 - percentile / 100.0)
            }
            Self::Loss { max, .. } => Some(max),
            Self::Availability { min } => Some(1.0 - min),
            Self::Lag { .. } | Self::LagTime { .. } | Self::Throughput { .. } => None,
        }
    }

    /// The error budget burned by a run whose bad share was `bad` and
    /// whose value (over the measured run) was `value`.
    fn burned(&self, bad: f64, value: f64) -> f64 {
        match self.allowed() {
            Some(allowed) if allowed > 0.0 => bad / allowed,
            // Nothing bad allowed: any of it burns everything.
            Some(_) => {
                if bad > 0.0 {
                    f64::INFINITY
                } else {
                    0.0
                }
            }
            None => match self.bound() {
                Bound::AtMost(b) if b > 0.0 => value / b,
                Bound::AtMost(_) => {
                    if value > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    }
                }
                Bound::AtLeast(b) if value > 0.0 => b / value,
                Bound::AtLeast(b) => {
                    if b > 0.0 {
                        f64::INFINITY
                    } else {
                        0.0
                    }
                }
            },
        }
    }
}

impl SloTarget {
    /// Where, in words: `worker`, `orders->inbox`, `orders → db`, `system`.
    pub fn label(&self) -> String {
        match self {
            Self::Node(id) | Self::Edge(id) => id.clone(),
            Self::Path { from, to } => format!("{from} → {to}"),
            Self::System => "system".to_owned(),
        }
    }

    /// Whether it names node `id` (as a node or an end of a path).
    pub fn mentions(&self, id: &str) -> bool {
        match self {
            Self::Node(n) => n == id,
            Self::Path { from, to } => from == id || to == id,
            Self::Edge(_) | Self::System => false,
        }
    }

    /// The same target with node `old` called `new`.
    pub fn renamed(&self, old: &str, new: &str) -> Self {
        let swap = |n: &String| {
            if n == old { new.to_owned() } else { n.clone() }
        };
        match self {
            Self::Node(n) => Self::Node(swap(n)),
            Self::Path { from, to } => Self::Path {
                from: swap(from),
                to: swap(to),
            },
            Self::Edge(e) => Self::Edge(e.clone()),
            Self::System => Self::System,
        }
    }
}

impl Slo {
    /// Its name, or a description: `p99 end-to-end latency ≤ 250 ms on worker`.
    pub fn label(&self) -> String {
        if self.name.trim().is_empty() {
            self.description()
        } else {
            self.name.clone()
        }
    }

    /// The objective in words, with its target and window.
    pub fn description(&self) -> String {
        let window = self
            .window
            .map(|w| format!(" in every {w} window"))
            .unwrap_or_default();
        format!(
            "{} {}{window} on {}",
            self.objective.measure(),
            self.objective.target_text(),
            self.on.label()
        )
    }
}

/// The most window steps (four per window) an objective may take over a
/// run: each step copies what the window measures.
pub const MAX_STEPS: u64 = 10_000;

/// The objectives' problems, as diagnostics naming each objective.
pub fn problems(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let graph = &model.graph;
    let node = |id: &str| {
        model
            .find(id)
            .map(|n| graph[n].kind.kind())
            .ok_or_else(|| format!("there is no node '{id}'"))
    };
    let measured = model
        .scenario
        .duration
        .0
        .saturating_sub(model.scenario.warmup_or_zero().0);
    let mut names = std::collections::BTreeSet::new();
    for (i, slo) in model.slos.iter().enumerate() {
        let who = format!("objective {} ({})", i + 1, slo.label());
        let target = match &slo.on {
            SloTarget::Node(id) if model.find(id).is_some() => Target::Node(id.clone()),
            _ => Target::Model,
        };
        let mut too_long = None;
        let mut say =
            |text: String| out.push(Diagnostic::error(target.clone(), format!("{who}: {text}")));
        if !slo.name.trim().is_empty() && !names.insert(slo.name.trim().to_owned()) {
            say(format!(
                "another objective is called '{}'; names must differ",
                slo.name.trim()
            ));
        }
        // The bound's own range.
        match slo.objective {
            Objective::Latency { percentile, .. } | Objective::Staleness { percentile, .. }
                if !(1.0..=99.99).contains(&percentile) =>
            {
                say(format!(
                    "the percentile must be between 1 and 99.99, not {percentile}"
                ));
            }
            Objective::Latency { max, .. }
            | Objective::Staleness { max, .. }
            | Objective::LagTime { max }
                if max.is_zero() =>
            {
                say("the bound must be longer than zero".to_owned());
            }
            Objective::Loss { max, .. } if !(0.0..1.0).contains(&max) => {
                say(format!(
                    "the loss bound is a fraction from 0 up to (not including) 1, not {max}"
                ));
            }
            Objective::Availability { min } if !(min > 0.0 && min <= 1.0) => {
                say(format!(
                    "the availability bound is a fraction above 0 and at most 1, not {min}"
                ));
            }
            Objective::Throughput { min } if !(min.is_finite() && min > 0.0) => {
                say(format!(
                    "the throughput bound must be a number of messages per second above 0, not {min}"
                ));
            }
            _ => {}
        }
        // What the target measures.
        let fit = match &slo.on {
            SloTarget::Node(id) => node(id).map(|kind| {
                let fit = kind.slo();
                let (ok, what) = match slo.objective {
                    Objective::Latency { of, .. } => (
                        match of {
                            LatencyOf::EndToEnd => fit.end_to_end,
                            LatencyOf::Wait => fit.wait,
                            LatencyOf::Sojourn => fit.sojourn,
                        },
                        format!("no {} latency", of.label()),
                    ),
                    Objective::Lag { .. } => (
                        fit.lag,
                        "no lag in records (queues and logs have one)".to_owned(),
                    ),
                    Objective::LagTime { .. } => (
                        fit.lag_time,
                        "no lag in seconds (logs have one; for a queue, bound its wait latency)"
                            .to_owned(),
                    ),
                    Objective::Staleness { .. } => (
                        fit.staleness,
                        "no staleness (projections have one)".to_owned(),
                    ),
                    Objective::Availability { .. } => (
                        kind.faults().crash,
                        "no outages (it cannot crash)".to_owned(),
                    ),
                    Objective::Loss { .. } | Objective::Throughput { .. } => (true, String::new()),
                };
                (ok, format!("a {} has {what}", kind.label()))
            }),
            SloTarget::Edge(id) => {
                let exists = model.graph.edge_indices().any(|e| model.edge_id(e) == *id);
                if exists {
                    Ok((
                        matches!(slo.objective, Objective::Throughput { .. }),
                        "an edge measures only its throughput".to_owned(),
                    ))
                } else {
                    Err(format!("there is no edge '{id}'"))
                }
            }
            SloTarget::Path { from, to } => match (node(from), node(to)) {
                (Err(e), _) | (_, Err(e)) => Err(e),
                (Ok(a), Ok(b)) => {
                    if !matches!(
                        a,
                        crate::nodes::Kind::Producer
                            | crate::nodes::Kind::Cep
                            | crate::nodes::Kind::EventStore
                    ) {
                        Err(format!(
                            "a path starts where messages are made (a producer, a CEP node or an event store), not at a {}",
                            a.label()
                        ))
                    } else if !b.slo().end_to_end {
                        Err(format!(
                            "a path ends where messages finish their journey (a consumer, sink, event store or projection), not at a {}",
                            b.label()
                        ))
                    } else {
                        Ok((
                            matches!(
                                slo.objective,
                                Objective::Latency {
                                    of: LatencyOf::EndToEnd,
                                    ..
                                } | Objective::Throughput { .. }
                            ),
                            "a path measures its end-to-end latency and throughput".to_owned(),
                        ))
                    }
                }
            },
            SloTarget::System => Ok((
                matches!(
                    slo.objective,
                    Objective::Latency {
                        of: LatencyOf::EndToEnd,
                        ..
                    } | Objective::Loss { .. }
                        | Objective::Throughput { .. }
                ),
                "the system as a whole measures its end-to-end latency, losses and throughput"
                    .to_owned(),
            )),
        };
        match fit {
            Err(e) => say(e),
            Ok((false, why)) => say(format!(
                "{} cannot be measured here: {why}",
                slo.objective.measure()
            )),
            Ok((true, _)) => {}
        }
        if let Some(w) = slo.window {
            if w.is_zero() {
                say("the window must be longer than zero".to_owned());
            } else if w.0 > measured {
                too_long = Some(format!(
                    "{who}: the window ({w}) is longer than the measured run ({} after the warm-up): it is judged over the whole measured run",
                    Duration(measured)
                ));
            } else if measured / step_of(w) > MAX_STEPS {
                say(format!(
                    "the window ({w}) is too short for the run: at most {} windows fit, so it must be at least {}",
                    MAX_STEPS / STEPS,
                    Duration(measured.div_ceil(MAX_STEPS / STEPS))
                ));
            }
        }
        if let Some(warning) = too_long {
            out.push(Diagnostic::warning(target, warning));
        }
    }
    out
}

/// Steps per window.
pub(crate) const STEPS: u64 = 4;

/// A window's step, in nanoseconds (at least one).
pub(crate) fn step_of(window: Duration) -> u64 {
    (window.0 / STEPS).max(1)
}

/// One run's measure of one objective.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SloRun {
    /// The value over the measured run, or the worst window's; `None`
    /// when nothing was measured (a latency of no messages).
    pub value: Option<f64>,
    /// The error budget burned (1: all of it); `None` when nothing was
    /// measured.
    pub burned: Option<f64>,
    /// Windows that met the bound, of those measured (windowed
    /// objectives).
    pub windows: Option<(u64, u64)>,
}

impl SloRun {
    /// Whether the bound held in this run (`None`: nothing measured).
    pub fn holds(&self, objective: &Objective) -> Option<bool> {
        self.value.map(|v| objective.bound().holds(v))
    }
}

/// A cumulative reading of what an objective measures, from which the
/// value over any span is a difference.
#[derive(Clone, Debug)]
pub(crate) enum Reading {
    /// Every latency counted so far.
    Hist(LogHistogram),
    /// Bad messages and all messages so far.
    Ratio { bad: u64, total: u64 },
    /// Messages through so far, at this time (ns).
    Count { n: u64, at: u64 },
    /// Time down so far (ns), at this time (ns).
    Down { down: f64, at: u64 },
    /// A level's peak since the last step (records or seconds).
    Peak(f64),
}

/// The value of an objective over the span from `earlier` to `later`
/// (`peak`: the span's peak, for level objectives), and its bad share.
pub(crate) fn value_between(
    objective: &Objective,
    earlier: &Reading,
    later: &Reading,
    scratch: &mut LogHistogram,
) -> Option<(f64, f64)> {
    match (objective, earlier, later) {
        (
            Objective::Latency {
                percentile, max, ..
            }
            | Objective::Staleness { percentile, max },
            Reading::Hist(a),
            Reading::Hist(b),
        ) => {
            scratch.set_difference(b, a);
            if scratch.is_empty() {
                return None;
            }
            #[expect(clippy::cast_precision_loss, reason = "report values")]
            let value = scratch.value_at_quantile(percentile / 100.0) as f64 / 1e9;
            #[expect(clippy::cast_precision_loss, reason = "report values")]
            let bad = scratch.count_above(max.0) as f64 / scratch.len() as f64;
            Some((value, bad))
        }
        (
            Objective::Loss { .. },
            Reading::Ratio { bad: b0, total: t0 },
            Reading::Ratio { bad: b1, total: t1 },
        ) => {
            let total = t1.saturating_sub(*t0);
            let bad = b1.saturating_sub(*b0);
            #[expect(clippy::cast_precision_loss, reason = "report values")]
            let share = if total == 0 {
                0.0
            } else {
                (bad as f64 / total as f64).min(1.0)
            };
            Some((share, share))
        }
        (
            Objective::Throughput { .. },
            Reading::Count { n: n0, at: a0 },
            Reading::Count { n: n1, at: a1 },
        ) => {
            let span = a1.saturating_sub(*a0);
            if span == 0 {
                return None;
            }
            #[expect(clippy::cast_precision_loss, reason = "report values")]
            let rate = n1.saturating_sub(*n0) as f64 / (span as f64 / 1e9);
            Some((rate, 0.0))
        }
        (
            Objective::Availability { .. },
            Reading::Down { down: d0, at: a0 },
            Reading::Down { down: d1, at: a1 },
        ) => {
            let span = a1.saturating_sub(*a0);
            if span == 0 {
                return None;
            }
            #[expect(clippy::cast_precision_loss, reason = "report values")]
            let down = ((d1 - d0) / span as f64).clamp(0.0, 1.0);
            Some((1.0 - down, down))
        }
        (Objective::Lag { .. } | Objective::LagTime { .. }, _, Reading::Peak(p)) => Some((*p, 0.0)),
        _ => None,
    }
}

/// An objective's measure over the measured run and its windows so far.
#[derive(Clone, Debug)]
pub(crate) struct Tracker {
    pub objective: Objective,
    /// The reading at the end of the warm-up.
    pub base: Option<Reading>,
    /// A window's step (ns); 0: no windows.
    pub step: u64,
    /// When the next step ends (ns).
    pub next: u64,
    /// The readings at the last [`STEPS`] + 1 step ends, oldest first.
    pub ring: std::collections::VecDeque<Reading>,
    /// For level objectives, each of the last [`STEPS`] steps' peaks.
    pub peaks: std::collections::VecDeque<f64>,
    /// The peak of the step in progress so far.
    pub step_peak: f64,
    /// The worst window so far.
    pub worst: Option<f64>,
    pub met: u64,
    pub windows: u64,
}

impl Tracker {
    pub fn new(slo: &Slo) -> Self {
        Self {
            objective: slo.objective.clone(),
            base: None,
            step: slo.window.map_or(0, step_of),
            next: u64::MAX,
            ring: std::collections::VecDeque::new(),
            peaks: std::collections::VecDeque::new(),
            step_peak: 0.0,
            worst: None,
            met: 0,
            windows: 0,
        }
    }

    /// Whether the objective bounds a level's peak.
    pub const fn is_peak(&self) -> bool {
        matches!(
            self.objective,
            Objective::Lag { .. } | Objective::LagTime { .. }
        )
    }

    /// A step ended with `reading` (for level objectives, the step's peak
    /// is `step_peak`): the window ending now, once a whole one has
    /// passed, is judged.
    pub fn step_ended(&mut self, reading: Reading, scratch: &mut LogHistogram) {
        let window = if self.is_peak() {
            self.peaks.push_back(self.step_peak);
            if self.peaks.len() > STEPS as usize {
                self.peaks.pop_front();
            }
            (self.peaks.len() == STEPS as usize)
                .then(|| self.peaks.iter().copied().fold(0.0, f64::max))
        } else {
            self.ring.push_back(reading);
            if self.ring.len() > STEPS as usize + 1 {
                self.ring.pop_front();
            }
            if self.ring.len() == STEPS as usize + 1 {
                let (first, last) = (&self.ring[0], &self.ring[STEPS as usize]);
                value_between(&self.objective, first, last, scratch).map(|(v, _)| v)
            } else {
                None
            }
        };
        if let Some(v) = window {
            let bound = self.objective.bound();
            self.windows += 1;
            self.met += u64::from(bound.holds(v));
            self.worst = Some(self.worst.map_or(v, |w| bound.worse(w, v)));
        }
    }

    /// The run's measure: over the measured run from `base` to `now`
    /// (`whole_peak`: the run's peak for level objectives), or the worst
    /// window.
    pub fn outcome(&self, now: &Reading, whole_peak: f64, scratch: &mut LogHistogram) -> SloRun {
        let whole = if self.is_peak() {
            Some((whole_peak, 0.0))
        } else {
            self.base
                .as_ref()
                .and_then(|base| value_between(&self.objective, base, now, scratch))
        };
        let burned = whole.map(|(v, bad)| self.objective.burned(bad, v));
        if self.step == 0 {
            SloRun {
                value: whole.map(|(v, _)| v),
                burned,
                windows: None,
            }
        } else {
            SloRun {
                // Before a whole window has passed, the run so far.
                value: self.worst.or(whole.map(|(v, _)| v)),
                burned,
                windows: Some((self.met, self.windows)),
            }
        }
    }
}

/// The verdict over replications.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// The whole confidence interval is on the good side of the bound.
    Met,
    /// The whole confidence interval is on the bad side.
    Violated,
    /// The interval straddles the bound (or there is none yet).
    Undecided {
        /// About how many more replications would decide, when it can
        /// be told.
        more: Option<u64>,
    },
    /// Nothing was measured (a latency no message had).
    Unmeasured,
}

impl Verdict {
    /// Judges a mean and its 95% half-width over `n` replications.
    pub fn judge(bound: Bound, mean: f64, half: Option<f64>, n: usize) -> Self {
        let Some(h) = half.filter(|h| h.is_finite()) else {
            return Self::Undecided {
                more: (n < 2).then_some(2 - n as u64),
            };
        };
        let b = bound.value();
        let (low, high) = (mean - h, mean + h);
        let (good, bad) = match bound {
            Bound::AtMost(_) => (high <= b, low > b),
            Bound::AtLeast(_) => (low >= b, high < b),
        };
        if good {
            Self::Met
        } else if bad {
            Self::Violated
        } else {
            let gap = (mean - b).abs();
            let more = (gap > 0.0).then(|| {
                // The half-width shrinks as 1/√n.
                #[expect(clippy::cast_precision_loss, reason = "replication counts")]
                let need = (n as f64 * (h / gap).powi(2)).ceil();
                #[expect(
                    clippy::cast_possible_truncation,
                    clippy::cast_sign_loss,
                    reason = "a positive count, capped"
                )]
                let need = need.min(1e9) as u64;
                need.saturating_sub(n as u64).max(1)
            });
            Self::Undecided { more }
        }
    }

    /// The key in reports: `met`, `violated`, `undecided`.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Violated => "violated",
            Self::Undecided { .. } => "undecided",
            Self::Unmeasured => "unmeasured",
        }
    }

    /// In words, with what would decide it.
    pub fn text(self) -> String {
        match self {
            Self::Met => "met".to_owned(),
            Self::Violated => "violated".to_owned(),
            Self::Undecided { more: Some(k) } => {
                format!("undecided: about {k} more replication(s)")
            }
            Self::Undecided { more: None } => "undecided: the value sits on the bound".to_owned(),
            Self::Unmeasured => "not measured: no message was counted".to_owned(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn verdicts_follow_the_interval() {
        let at_most = Bound::AtMost(1.0);
        assert_eq!(Verdict::judge(at_most, 0.8, Some(0.1), 10), Verdict::Met);
        assert_eq!(
            Verdict::judge(at_most, 1.2, Some(0.1), 10),
            Verdict::Violated
        );
        // 0.95 ± 0.1 straddles 1: the gap is half the half-width, so
        // about four times the replications decide.
        assert_eq!(
            Verdict::judge(at_most, 0.95, Some(0.1), 10),
            Verdict::Undecided { more: Some(30) }
        );
        let at_least = Bound::AtLeast(80.0);
        assert_eq!(Verdict::judge(at_least, 85.0, Some(1.0), 5), Verdict::Met);
        assert_eq!(
            Verdict::judge(at_least, 70.0, Some(1.0), 5),
            Verdict::Violated
        );
        // One replication has no interval: a second one is needed.
        assert_eq!(
            Verdict::judge(at_most, 0.1, None, 1),
            Verdict::Undecided { more: Some(1) }
        );
        // A bound met with no spread at all (nothing ever lost).
        assert_eq!(
            Verdict::judge(Bound::AtMost(0.0), 0.0, Some(0.0), 3),
            Verdict::Met
        );
    }

    #[test]
    fn budgets_are_bad_shares_over_allowed_shares() {
        let p99 = Objective::Latency {
            of: LatencyOf::EndToEnd,
            percentile: 99.0,
            max: Duration::from_millis(250),
        };
        // 0.5 % slower than the bound, 1 % allowed: half the budget.
        assert!((p99.burned(0.005, 0.2) - 0.5).abs() < 1e-12);
        let avail = Objective::Availability { min: 0.999 };
        assert!((avail.burned(0.002, 0.998) - 2.0).abs() < 1e-9);
        let lag = Objective::Lag { max: 1000 };
        assert!((lag.burned(0.0, 730.0) - 0.73).abs() < 1e-12);
        let thru = Objective::Throughput { min: 80.0 };
        assert!((thru.burned(0.0, 100.0) - 0.8).abs() < 1e-12);
    }

    #[test]
    fn histogram_differences_give_the_window() {
        let mut a = LogHistogram::with_digits(3);
        for v in 1..=1000_u64 {
            a.record(v * 1_000_000);
        }
        let early = Reading::Hist(a.clone());
        for _ in 0..1000 {
            a.record(5_000_000_000);
        }
        let late = Reading::Hist(a);
        let objective = Objective::Latency {
            of: LatencyOf::EndToEnd,
            percentile: 50.0,
            max: Duration::from_secs(1),
        };
        let mut scratch = LogHistogram::with_digits(3);
        let (v, bad) = value_between(&objective, &early, &late, &mut scratch).expect("measured");
        // Only the 5 s values are in the span.
        assert!((v - 5.0).abs() < 0.01, "{v}");
        assert!((bad - 1.0).abs() < 1e-12, "{bad}");
    }
}
