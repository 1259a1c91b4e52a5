//! Alerting rules, evaluated the way Prometheus evaluates them.
//!
//! A rule watches one node's time series ([`crate::series`]): a condition
//! over one of its lines, a threshold, and how long the condition must
//! hold (`for:`) before the alert fires.
//!
//! ```ron
//! alerts: [
//!     (name: "OrdersBacklog", on: "inbox", when: Depth(above: 500), for: "30s", severity: "page"),
//!     (name: "SlowWorker", on: "worker", when: P99Latency(above: "250ms"), for: "1m"),
//! ]
//! ```
//!
//! Rules are evaluated at every series point, so the evaluation interval is
//! the series interval (the run's duration / 256, at least 1 ms). At each
//! evaluation a rule whose condition holds and was inactive becomes
//! *pending* (active since now); a pending rule whose condition has held
//! for at least `for:` *fires*; a pending or firing rule whose condition
//! no longer holds is inactive again, and a firing one is *resolved*. With
//! `for: "0s"` a rule fires at the first evaluation where its condition
//! holds. A condition that cannot be computed (an error rate with no
//! arrivals) does not hold, as a Prometheus comparison with NaN does not.
//!
//! Evaluation reads the point the series just recorded; it draws no random
//! numbers and schedules nothing, so a run's results are the same with or
//! without rules.
//!
//! Each run keeps its firings ([`AlertRun`]); against the faults of the
//! timeline each firing either detects a fault — it begins (fires) in the
//! fault's *detection window*, from the fault's start to its end plus a
//! grace of the rule's `for:` and one evaluation interval (a condition
//! that starts by the end of the fault can fire that late) — or it is a
//! false alarm.

use serde::{Deserialize, Serialize};

use crate::nodes::Kind;
use crate::series::{Metric, NodeSeries};
use crate::time::{Duration, SimTime};
use crate::validate::{Diagnostic, Target};

/// One alerting rule as the model file holds it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AlertRule {
    /// The alert's name, as Prometheus names alerts (`OrdersBacklog`).
    pub name: String,
    /// The id of the node whose series the rule watches.
    pub on: String,
    /// The condition.
    pub when: Condition,
    /// How long the condition must hold before the alert fires.
    #[serde(rename = "for", default, skip_serializing_if = "is_zero")]
    pub hold: Duration,
    /// The `severity` label (`page`, `ticket`, `warning`, …).
    #[serde(
        default = "default_severity",
        skip_serializing_if = "is_default_severity"
    )]
    pub severity: String,
    /// A sentence for the alert's `summary` annotation; Weir writes one
    /// from the rule when there is none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub summary: Option<String>,
}

/// The severity of a rule that names none.
pub const DEFAULT_SEVERITY: &str = "warning";

fn default_severity() -> String {
    DEFAULT_SEVERITY.to_owned()
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_zero(d: &Duration) -> bool {
    d.is_zero()
}

fn is_default_severity(s: &str) -> bool {
    s == DEFAULT_SEVERITY
}

/// What a rule compares, and with what.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Condition {
    /// The 99th percentile of the time messages that finished at the node
    /// during the interval spent there is above `above`.
    P99Latency { above: Duration },
    /// Messages waiting at the node are more than `above`.
    Depth { above: f64 },
    /// A log's largest consumer-group lag is more than `above` records.
    Lag { above: f64 },
    /// A dead-letter queue takes in more than `above` messages per second.
    DeadLetterRate { above: f64 },
    /// Messages dropped ÷ messages arrived over the interval is above
    /// `above` (a fraction, 0 to 1).
    ErrorRate { above: f64 },
    /// Messages leaving the node per second are fewer than `below`.
    Throughput { below: f64 },
}

impl Condition {
    /// Every condition's name in the file, in documentation order.
    pub const NAMES: [&'static str; 6] = [
        "P99Latency",
        "Depth",
        "Lag",
        "DeadLetterRate",
        "ErrorRate",
        "Throughput",
    ];

    /// The key used in reports (`"depth"`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::P99Latency { .. } => "p99_latency",
            Self::Depth { .. } => "depth",
            Self::Lag { .. } => "lag",
            Self::DeadLetterRate { .. } => "dead_letter_rate",
            Self::ErrorRate { .. } => "error_rate",
            Self::Throughput { .. } => "throughput",
        }
    }

    /// What is measured, for people.
    pub const fn measure(self) -> &'static str {
        match self {
            Self::P99Latency { .. } => "p99 latency",
            Self::Depth { .. } => "depth",
            Self::Lag { .. } => "lag",
            Self::DeadLetterRate { .. } => "dead-letter rate",
            Self::ErrorRate { .. } => "error rate",
            Self::Throughput { .. } => "throughput",
        }
    }

    /// The series lines the condition reads.
    pub const fn metrics(self) -> &'static [Metric] {
        match self {
            Self::P99Latency { .. } => &[Metric::LatencyP99],
            Self::Depth { .. } => &[Metric::Depth],
            Self::Lag { .. } => &[Metric::Lag],
            Self::DeadLetterRate { .. } => &[Metric::ThroughputIn],
            Self::ErrorRate { .. } => &[Metric::ThroughputIn, Metric::Dropped],
            Self::Throughput { .. } => &[Metric::ThroughputOut],
        }
    }

    /// Whether a node of `kind` has what the condition reads.
    pub fn fits(self, kind: Kind) -> bool {
        if let Self::DeadLetterRate { .. } = self {
            return kind == Kind::DeadLetter;
        }
        self.metrics().iter().all(|m| kind.series().contains(m))
    }

    /// The threshold in the series' unit (seconds for a latency).
    pub fn threshold(self) -> f64 {
        match self {
            Self::P99Latency { above } => above.as_secs_f64(),
            Self::Depth { above }
            | Self::Lag { above }
            | Self::DeadLetterRate { above }
            | Self::ErrorRate { above } => above,
            Self::Throughput { below } => below,
        }
    }

    /// Whether the condition fires above its threshold (else below).
    pub const fn above(self) -> bool {
        !matches!(self, Self::Throughput { .. })
    }

    /// The condition in a few words: `depth > 500`, `p99 latency > 250ms`.
    pub fn describe(self) -> String {
        let op = if self.above() { ">" } else { "<" };
        let value = match self {
            Self::P99Latency { above } => above.to_string(),
            Self::ErrorRate { above } => format!("{}%", above * 100.0),
            Self::DeadLetterRate { above } => format!("{above}/s"),
            Self::Throughput { below } => format!("{below}/s"),
            Self::Depth { above } | Self::Lag { above } => format!("{above}"),
        };
        format!("{} {op} {value}", self.measure())
    }

    /// Problems with the threshold, as sentences.
    pub fn problems(self) -> Vec<String> {
        let mut out = Vec::new();
        let value = self.threshold();
        let field = if self.above() { "above" } else { "below" };
        if !value.is_finite() || value < 0.0 {
            out.push(format!(
                "the threshold ({field}: {value}) must be a number, zero or more"
            ));
        } else if let Self::ErrorRate { above } = self
            && above > 1.0
        {
            out.push(format!(
                "an error rate is a fraction of the arrivals, so its threshold is between 0 and 1 (found {above})"
            ));
        } else if let Self::P99Latency { above } = self {
            crate::nodes::check_durations(&[("the threshold", above)], &mut out);
        }
        out
    }

    /// Whether the condition holds on the values of the point just
    /// recorded (`value` gives a line's last value).
    fn holds(self, value: &dyn Fn(Metric) -> Option<f32>) -> bool {
        let read = |m: Metric| value(m).map(f64::from);
        let threshold = self.threshold();
        match self {
            Self::ErrorRate { .. } => match (read(Metric::Dropped), read(Metric::ThroughputIn)) {
                (Some(dropped), Some(arrived)) if arrived > 0.0 => dropped / arrived > threshold,
                _ => false,
            },
            Self::Throughput { .. } => read(Metric::ThroughputOut).is_some_and(|v| v < threshold),
            _ => read(self.metrics()[0]).is_some_and(|v| v > threshold),
        }
    }
}

/// Where a rule stands.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum State {
    /// The condition did not hold at the last evaluation.
    #[default]
    Inactive,
    /// The condition holds, since `since`, not yet for `for:`.
    Pending { since: SimTime },
    /// The condition has held since `since` and the alert fired at `fired`.
    Firing { since: SimTime, fired: SimTime },
}

/// What one evaluation changed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Transition {
    /// Nothing.
    Unchanged,
    /// Inactive → pending.
    Pending,
    /// Pending (or inactive, with `for: 0s`) → firing.
    Fired,
    /// Firing → inactive.
    Resolved,
    /// Pending → inactive, without firing.
    Cleared,
}

impl State {
    /// One evaluation at `at`, where the condition `holds` or not, for a
    /// rule whose condition must hold for `hold` (Prometheus: a pending
    /// alert fires once `at − active since ≥ for`).
    pub fn step(&mut self, at: SimTime, holds: bool, hold: Duration) -> Transition {
        match (*self, holds) {
            (Self::Inactive, false) | (Self::Firing { .. }, true) => Transition::Unchanged,
            (Self::Inactive, true) => {
                if hold.is_zero() {
                    *self = Self::Firing {
                        since: at,
                        fired: at,
                    };
                    Transition::Fired
                } else {
                    *self = Self::Pending { since: at };
                    Transition::Pending
                }
            }
            (Self::Pending { since }, true) => {
                if at.since(since) >= hold {
                    *self = Self::Firing { since, fired: at };
                    Transition::Fired
                } else {
                    Transition::Unchanged
                }
            }
            (Self::Pending { .. }, false) => {
                *self = Self::Inactive;
                Transition::Cleared
            }
            (Self::Firing { .. }, false) => {
                *self = Self::Inactive;
                Transition::Resolved
            }
        }
    }

    /// The state's name in reports: `inactive`, `pending`, `firing`.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Inactive => "inactive",
            Self::Pending { .. } => "pending",
            Self::Firing { .. } => "firing",
        }
    }
}

/// One firing of a rule.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Firing {
    /// The rule's index in the model's `alerts`.
    pub rule: usize,
    /// When the condition started to hold (the alert's "active since").
    pub active_at: SimTime,
    pub fired_at: SimTime,
    /// When it stopped holding; `None` while it still fires.
    pub resolved_at: Option<SimTime>,
    /// It fired within the detection window of a random fault's strike:
    /// not a false alarm, though no fault of the timeline explains it.
    pub random_fault: bool,
}

/// A rule as a run knows it.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleInfo {
    pub name: String,
    pub node: String,
    pub condition: Condition,
    pub hold: Duration,
    pub severity: String,
}

/// A fault of the run's timeline, for telling detections from false alarms.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultWindow {
    pub node: String,
    /// The effect's key (`crash`, `slow`, `burst`).
    pub effect: &'static str,
    pub start: SimTime,
    pub end: SimTime,
}

/// A run's alerts: its rules, their state now and every firing so far.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertRun {
    /// The evaluation interval (the series interval).
    pub interval: Duration,
    pub rules: Vec<RuleInfo>,
    /// Each rule's state at the last evaluation.
    pub states: Vec<State>,
    /// Every firing, in the order they fired.
    pub firings: Vec<Firing>,
    /// The faults of the run's timeline (the scenario's and any injected
    /// live), in the order they were added.
    pub faults: Vec<FaultWindow>,
}

/// The first firing that detects a fault.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Detection {
    /// From the fault's start to the firing.
    pub after: Duration,
    /// The rule that fired.
    pub rule: usize,
}

impl AlertRun {
    /// The last moment a firing of `rule` detects `fault`: the fault's end
    /// plus the rule's `for:` and one evaluation interval.
    pub fn window_end(&self, rule: usize, fault: &FaultWindow) -> SimTime {
        fault.end + self.rules[rule].hold + self.interval
    }

    /// Whether `firing` begins inside `fault`'s detection window.
    pub fn detects(&self, firing: &Firing, fault: &FaultWindow) -> bool {
        firing.fired_at >= fault.start && firing.fired_at <= self.window_end(firing.rule, fault)
    }

    /// Whether `firing` begins outside every fault's detection window
    /// (the timeline's, and random strikes').
    pub fn is_false_alarm(&self, firing: &Firing) -> bool {
        !firing.random_fault && !self.faults.iter().any(|f| self.detects(firing, f))
    }

    /// How soon `rule` (or any rule, with `None`) detected fault `fault`:
    /// its first firing inside the window.
    pub fn detection(&self, fault: usize, rule: Option<usize>) -> Option<Detection> {
        let window = &self.faults[fault];
        self.firings
            .iter()
            .filter(|f| rule.is_none_or(|r| f.rule == r) && self.detects(f, window))
            .min_by_key(|f| (f.fired_at, f.rule))
            .map(|f| Detection {
                after: f.fired_at.since(window.start),
                rule: f.rule,
            })
    }

    /// How many times `rule` fired.
    pub fn firings_of(&self, rule: usize) -> usize {
        self.firings.iter().filter(|f| f.rule == rule).count()
    }

    /// How many of `rule`'s firings were false alarms.
    pub fn false_alarms_of(&self, rule: usize) -> usize {
        self.firings
            .iter()
            .filter(|f| f.rule == rule && self.is_false_alarm(f))
            .count()
    }
}

/// A rule compiled for a run.
#[derive(Clone, Debug)]
struct Compiled {
    /// The node's index in the run (and in the series).
    node: usize,
    condition: Condition,
    hold: Duration,
    state: State,
    /// The firing now open, as an index into `firings`.
    open: Option<usize>,
}

/// The rules of a run being evaluated.
#[derive(Clone, Debug, Default)]
pub(crate) struct Evaluator {
    info: Vec<RuleInfo>,
    rules: Vec<Compiled>,
    firings: Vec<Firing>,
}

impl Evaluator {
    /// The model's rules for a run whose nodes are `ids`, in run order.
    /// A rule on a node the run does not have, or on a series its kind
    /// does not record, is left out (validation reports both).
    pub(crate) fn new(rules: &[AlertRule], ids: &[String], kinds: &[Kind]) -> Self {
        let mut out = Self::default();
        for rule in rules {
            let Some(node) = ids.iter().position(|id| *id == rule.on) else {
                continue;
            };
            if !rule.when.fits(kinds[node]) {
                continue;
            }
            out.info.push(RuleInfo {
                name: rule.name.clone(),
                node: rule.on.clone(),
                condition: rule.when,
                hold: rule.hold,
                severity: rule.severity.clone(),
            });
            out.rules.push(Compiled {
                node,
                condition: rule.when,
                hold: rule.hold,
                state: State::Inactive,
                open: None,
            });
        }
        out
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.rules.is_empty()
    }

    /// Whether a rule reads a latency percentile line.
    pub(crate) fn reads_latency(&self) -> bool {
        self.rules
            .iter()
            .any(|r| r.condition.metrics().iter().any(|m| m.is_latency()))
    }

    /// Evaluates every rule at `at` on the point the series just recorded.
    pub(crate) fn evaluate(&mut self, at: SimTime, nodes: &[NodeSeries]) {
        for (i, rule) in self.rules.iter_mut().enumerate() {
            let Some(line) = nodes.get(rule.node) else {
                continue;
            };
            let value = |m: Metric| line.values(m).and_then(|v| v.last());
            let holds = rule.condition.holds(&value);
            match rule.state.step(at, holds, rule.hold) {
                Transition::Fired => {
                    let State::Firing { since, .. } = rule.state else {
                        continue;
                    };
                    rule.open = Some(self.firings.len());
                    self.firings.push(Firing {
                        rule: i,
                        active_at: since,
                        fired_at: at,
                        resolved_at: None,
                        random_fault: false,
                    });
                }
                Transition::Resolved => {
                    if let Some(open) = rule.open.take() {
                        self.firings[open].resolved_at = Some(at);
                    }
                }
                Transition::Unchanged | Transition::Pending | Transition::Cleared => {}
            }
        }
    }

    /// The rules, their states and firings so far, against the timeline's
    /// `faults`; firings within a random fault's `strikes` are marked.
    pub(crate) fn run(
        &self,
        interval: Duration,
        faults: Vec<FaultWindow>,
        strikes: &[FaultWindow],
    ) -> AlertRun {
        let mut run = AlertRun {
            interval,
            rules: self.info.clone(),
            states: self.rules.iter().map(|r| r.state).collect(),
            firings: self.firings.clone(),
            faults,
        };
        for i in 0..run.firings.len() {
            let firing = run.firings[i];
            run.firings[i].random_fault = strikes.iter().any(|w| run.detects(&firing, w));
        }
        run
    }
}

/// Whether `name` is a Prometheus-style alert name: ASCII letters, digits
/// and `_`, not starting with a digit.
fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// The model's rules' problems, each naming its rule.
pub(crate) fn validate(model: &crate::Model, out: &mut Vec<Diagnostic>) {
    let graph = &model.graph;
    let mut seen = std::collections::BTreeMap::<&str, usize>::new();
    for rule in &model.alerts {
        *seen.entry(rule.name.as_str()).or_default() += 1;
    }
    for (name, count) in &seen {
        if *count > 1 {
            out.push(Diagnostic::error(
                Target::Alert((*name).to_owned()),
                format!("{count} alert rules share this name; names must be unique"),
            ));
        }
    }
    for rule in &model.alerts {
        let target = || Target::Alert(rule.name.clone());
        if !valid_name(&rule.name) {
            out.push(Diagnostic::error(
                target(),
                "an alert's name is written as Prometheus names alerts: ASCII letters, digits \
                 and underscores, not starting with a digit (like OrdersBacklog)",
            ));
        }
        match graph.node_indices().find(|&n| graph[n].id == rule.on) {
            None => out.push(Diagnostic::error(
                target(),
                format!("the rule watches node '{}', which does not exist", rule.on),
            )),
            Some(n) => {
                let kind = graph[n].kind.kind();
                if !rule.when.fits(kind) {
                    let fit: Vec<&str> = Kind::ALL
                        .into_iter()
                        .filter(|&k| rule.when.fits(k))
                        .map(Kind::plural)
                        .collect();
                    let fit = match fit.split_last() {
                        Some((last, rest)) if !rest.is_empty() => {
                            format!("{} and {last}", rest.join(", "))
                        }
                        _ => fit.concat(),
                    };
                    out.push(Diagnostic::error(
                        target(),
                        format!(
                            "'{}' is a {kind}, which has no {} series; {} is measured at {fit}",
                            rule.on,
                            rule.when.measure(),
                            rule.when.measure(),
                        ),
                    ));
                }
            }
        }
        for problem in rule.when.problems() {
            out.push(Diagnostic::error(target(), problem));
        }
        let mut ranges = Vec::new();
        crate::nodes::check_durations(&[("its for:", rule.hold)], &mut ranges);
        out.extend(ranges.into_iter().map(|p| Diagnostic::error(target(), p)));
        if rule.severity.trim().is_empty() || rule.severity.contains(['\n', '\r']) {
            out.push(Diagnostic::error(
                target(),
                "the severity must be a word on one line, like page, ticket or warning",
            ));
        }
        if let Condition::Throughput { below } = rule.when
            && below == 0.0
        {
            out.push(Diagnostic::warning(
                target(),
                "throughput below 0 never holds, so this rule never fires",
            ));
        }
        let duration = model.scenario.duration;
        if rule.hold >= duration && !duration.is_zero() {
            out.push(Diagnostic::warning(
                target(),
                format!(
                    "its for: ({}) is as long as the run ({duration}) or longer, so it never fires",
                    rule.hold
                ),
            ));
        }
    }
}

/// One rule over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleReport {
    pub rule: RuleInfo,
    /// Firings per run.
    pub firings: crate::report::Metric,
    /// Firings per run that began outside every fault's detection window.
    pub false_alarms: crate::report::Metric,
}

/// How one rule detected one fault over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct RuleDetection {
    pub rule: String,
    /// Replications in which the rule detected the fault.
    pub detected: usize,
    /// Over the replications that detected it; `None` when none did.
    pub time_to_detect: Option<crate::report::Metric>,
}

/// One fault of the timeline over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct FaultReport {
    pub node: String,
    pub effect: &'static str,
    pub at_s: f64,
    pub duration_s: f64,
    /// Replications in which some rule detected the fault.
    pub detected: usize,
    /// From the fault's start to the first firing that detected it, over
    /// the replications that detected it; `None` when none did.
    pub time_to_detect: Option<crate::report::Metric>,
    /// Each rule's part, in rule order.
    pub by_rule: Vec<RuleDetection>,
}

/// A firing of the first replication, for the report's timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct TimelineEntry {
    pub rule: String,
    pub node: String,
    pub active_at_s: f64,
    pub fired_at_s: f64,
    pub resolved_at_s: Option<f64>,
    pub false_alarm: bool,
}

/// The report's alerts section: rules, faults and the first replication's
/// firings.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertsReport {
    /// The evaluation interval, seconds (the series interval).
    pub interval_s: f64,
    pub rules: Vec<RuleReport>,
    pub faults: Vec<FaultReport>,
    pub timeline: Vec<TimelineEntry>,
}

/// The alerts of replications being folded, in replication order.
#[derive(Clone, Debug)]
pub(crate) struct AlertsFold {
    interval_s: f64,
    rules: Vec<RuleInfo>,
    firings: Vec<crate::report::MetricFold>,
    false_alarms: Vec<crate::report::MetricFold>,
    faults: Vec<FaultFold>,
    timeline: Vec<TimelineEntry>,
    replications: usize,
}

#[derive(Clone, Debug)]
struct FaultFold {
    window: FaultWindow,
    detected: usize,
    time_to_detect: crate::report::MetricFold,
    /// Per rule: replications that detected, and their times.
    by_rule: Vec<(usize, crate::report::MetricFold)>,
}

impl AlertsFold {
    /// The fold's start from the first replication.
    pub(crate) fn new(first: &AlertRun) -> Self {
        use crate::report::MetricFold;
        let secs = |t: SimTime| Duration(t.as_nanos()).as_secs_f64();
        Self {
            interval_s: first.interval.as_secs_f64(),
            rules: first.rules.clone(),
            firings: first
                .rules
                .iter()
                .map(|_| MetricFold::new("firings", 0))
                .collect(),
            false_alarms: first
                .rules
                .iter()
                .map(|_| MetricFold::new("false_alarms", 0))
                .collect(),
            faults: first
                .faults
                .iter()
                .map(|w| FaultFold {
                    window: w.clone(),
                    detected: 0,
                    time_to_detect: MetricFold::new("time_to_detect_s", 0),
                    by_rule: first
                        .rules
                        .iter()
                        .map(|_| (0, MetricFold::new("time_to_detect_s", 0)))
                        .collect(),
                })
                .collect(),
            timeline: first
                .firings
                .iter()
                .map(|f| TimelineEntry {
                    rule: first.rules[f.rule].name.clone(),
                    node: first.rules[f.rule].node.clone(),
                    active_at_s: secs(f.active_at),
                    fired_at_s: secs(f.fired_at),
                    resolved_at_s: f.resolved_at.map(secs),
                    false_alarm: first.is_false_alarm(f),
                })
                .collect(),
            replications: 0,
        }
    }

    /// Adds the next replication's alerts.
    #[expect(clippy::cast_precision_loss, reason = "counts of firings")]
    pub(crate) fn add(&mut self, run: &AlertRun) {
        self.replications += 1;
        for (rule, fold) in self.firings.iter_mut().enumerate() {
            fold.push(run.firings_of(rule) as f64);
        }
        for (rule, fold) in self.false_alarms.iter_mut().enumerate() {
            fold.push(run.false_alarms_of(rule) as f64);
        }
        for (i, fault) in self.faults.iter_mut().enumerate() {
            if i >= run.faults.len() {
                break;
            }
            if let Some(d) = run.detection(i, None) {
                fault.detected += 1;
                fault.time_to_detect.push(d.after.as_secs_f64());
            }
            for (rule, (detected, fold)) in fault.by_rule.iter_mut().enumerate() {
                if rule < run.rules.len()
                    && let Some(d) = run.detection(i, Some(rule))
                {
                    *detected += 1;
                    fold.push(d.after.as_secs_f64());
                }
            }
        }
    }

    pub(crate) fn finish(self) -> AlertsReport {
        let measured = |fold: crate::report::MetricFold| (fold.n() > 0).then(|| fold.finish());
        AlertsReport {
            interval_s: self.interval_s,
            rules: self
                .rules
                .iter()
                .zip(self.firings.into_iter().zip(self.false_alarms))
                .map(|(rule, (firings, false_alarms))| RuleReport {
                    rule: rule.clone(),
                    firings: firings.finish(),
                    false_alarms: false_alarms.finish(),
                })
                .collect(),
            faults: self
                .faults
                .into_iter()
                .map(|f| FaultReport {
                    node: f.window.node.clone(),
                    effect: f.window.effect,
                    at_s: Duration(f.window.start.as_nanos()).as_secs_f64(),
                    duration_s: f.window.end.since(f.window.start).as_secs_f64(),
                    detected: f.detected,
                    time_to_detect: measured(f.time_to_detect),
                    by_rule: f
                        .by_rule
                        .into_iter()
                        .zip(&self.rules)
                        .map(|((detected, fold), rule)| RuleDetection {
                            rule: rule.name.clone(),
                            detected,
                            time_to_detect: measured(fold),
                        })
                        .collect(),
                })
                .collect(),
            timeline: self.timeline,
        }
    }
}

impl AlertsReport {
    /// The section as JSON (see `docs/report.md`).
    pub fn to_json(&self, replications: usize) -> serde_json::Value {
        use crate::report::number;
        use serde_json::{Map, Value, json};
        let with_ci = |obj: &mut Map<String, Value>, pairs: &[(&str, &crate::report::Metric)]| {
            let mut ci = Map::new();
            for (name, m) in pairs {
                obj.insert((*name).to_owned(), number(m.mean));
                if let Some(h) = m.ci95 {
                    ci.insert((*name).to_owned(), number(h));
                }
            }
            if !ci.is_empty() {
                obj.insert("ci95".to_owned(), Value::Object(ci));
            }
        };
        let rules: Vec<Value> = self
            .rules
            .iter()
            .map(|r| {
                let mut obj = Map::new();
                obj.insert("name".to_owned(), Value::from(r.rule.name.clone()));
                obj.insert("node".to_owned(), Value::from(r.rule.node.clone()));
                obj.insert("when".to_owned(), Value::from(r.rule.condition.key()));
                obj.insert("threshold".to_owned(), number(r.rule.condition.threshold()));
                obj.insert("for_s".to_owned(), number(r.rule.hold.as_secs_f64()));
                obj.insert("severity".to_owned(), Value::from(r.rule.severity.clone()));
                with_ci(
                    &mut obj,
                    &[("firings", &r.firings), ("false_alarms", &r.false_alarms)],
                );
                Value::Object(obj)
            })
            .collect();
        let detection =
            |obj: &mut Map<String, Value>, ttd: Option<&crate::report::Metric>| match ttd {
                Some(m) => with_ci(obj, &[("time_to_detect_s", m)]),
                None => {
                    obj.insert("time_to_detect_s".to_owned(), Value::Null);
                }
            };
        let faults: Vec<Value> = self
            .faults
            .iter()
            .map(|f| {
                let mut obj = Map::new();
                obj.insert("node".to_owned(), Value::from(f.node.clone()));
                obj.insert("effect".to_owned(), Value::from(f.effect));
                obj.insert("at_s".to_owned(), number(f.at_s));
                obj.insert("duration_s".to_owned(), number(f.duration_s));
                obj.insert("detected".to_owned(), Value::from(f.detected));
                obj.insert("replications".to_owned(), Value::from(replications));
                detection(&mut obj, f.time_to_detect.as_ref());
                let by_rule: Vec<Value> = f
                    .by_rule
                    .iter()
                    .map(|d| {
                        let mut obj = Map::new();
                        obj.insert("rule".to_owned(), Value::from(d.rule.clone()));
                        obj.insert("detected".to_owned(), Value::from(d.detected));
                        detection(&mut obj, d.time_to_detect.as_ref());
                        Value::Object(obj)
                    })
                    .collect();
                obj.insert("by_rule".to_owned(), Value::Array(by_rule));
                Value::Object(obj)
            })
            .collect();
        let timeline: Vec<Value> = self
            .timeline
            .iter()
            .map(|e| {
                json!({
                    "rule": e.rule,
                    "node": e.node,
                    "active_at_s": number(e.active_at_s),
                    "fired_at_s": number(e.fired_at_s),
                    "resolved_at_s": e.resolved_at_s.map_or(Value::Null, number),
                    "false_alarm": e.false_alarm,
                })
            })
            .collect();
        json!({
            "evaluation_interval_s": number(self.interval_s),
            "rules": rules,
            "faults": faults,
            "timeline": timeline,
        })
    }

    /// The section for `weir run`'s table output.
    pub fn to_table(&self, replications: usize) -> String {
        use std::fmt::Write as _;
        let ci = replications > 1;
        let value = |m: &crate::report::Metric, digits: usize| match m.ci95 {
            Some(h) if ci => format!("{:.digits$}±{h:.digits$}", m.mean),
            _ => format!("{:.digits$}", m.mean),
        };
        let mut out = format!("\nalerts (evaluated every {} s):\n", self.interval_s);
        let mut rows: Vec<[String; 6]> = vec![[
            "rule".into(),
            "node".into(),
            "when".into(),
            "for".into(),
            "firings/run".into(),
            "false alarms/run".into(),
        ]];
        for r in &self.rules {
            rows.push([
                r.rule.name.clone(),
                r.rule.node.clone(),
                r.rule.condition.describe(),
                r.rule.hold.to_string(),
                value(&r.firings, 2),
                value(&r.false_alarms, 2),
            ]);
        }
        let widths: Vec<usize> = (0..6)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        for row in &rows {
            let cells: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    if c < 4 {
                        format!("{v:<w$}", w = widths[c])
                    } else {
                        format!("{v:>w$}", w = widths[c])
                    }
                })
                .collect();
            let _ = writeln!(out, "  {}", cells.join("  ").trim_end());
        }
        for f in &self.faults {
            let what = format!(
                "  {} of '{}' at {} for {}: ",
                f.effect,
                f.node,
                Duration::from_secs_f64(f.at_s),
                Duration::from_secs_f64(f.duration_s)
            );
            let found = match &f.time_to_detect {
                None => "not detected".to_owned(),
                Some(m) => {
                    // The rules that detected it, the quickest first.
                    let mut by: Vec<(f64, &str)> = f
                        .by_rule
                        .iter()
                        .filter_map(|d| Some((d.time_to_detect.as_ref()?.mean, d.rule.as_str())))
                        .collect();
                    by.sort_by(|a, b| a.0.total_cmp(&b.0));
                    let first: Vec<&str> = by.into_iter().map(|(_, rule)| rule).collect();
                    format!(
                        "detected in {}/{replications} after {} s (by {})",
                        f.detected,
                        value(m, 1),
                        first.join(", ")
                    )
                }
            };
            let _ = writeln!(out, "{what}{found}");
        }
        if self.timeline.is_empty() {
            out.push_str("  no firings in the first replication\n");
        } else {
            out.push_str("  firings (first replication):\n");
            for e in &self.timeline {
                let resolved = e
                    .resolved_at_s
                    .map_or_else(|| "still firing".to_owned(), |t| format!("resolved {t}s"));
                let _ = writeln!(
                    out,
                    "    {} on '{}': fired {}s, {resolved}{}",
                    e.rule,
                    e.node,
                    e.fired_at_s,
                    if e.false_alarm { " (false alarm)" } else { "" }
                );
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::NANOS_PER_SEC;

    fn t(s: u64) -> SimTime {
        SimTime(s * NANOS_PER_SEC)
    }

    /// Steps a state through `holds` at 0 s, 1 s, 2 s…; the transitions.
    fn walk(holds: &[bool], hold: Duration) -> Vec<(u64, Transition, State)> {
        let mut state = State::Inactive;
        let mut out = Vec::new();
        for (s, &h) in holds.iter().enumerate() {
            let s = s as u64;
            let tr = state.step(t(s), h, hold);
            if tr != Transition::Unchanged {
                out.push((s, tr, state));
            }
        }
        out
    }

    #[test]
    fn pending_fires_once_the_condition_held_for_its_duration() {
        let got = walk(
            &[false, true, true, true, true, true, false, false],
            Duration::from_secs(3),
        );
        assert_eq!(
            got,
            vec![
                (1, Transition::Pending, State::Pending { since: t(1) }),
                // Held since 1 s: at 4 s it has held for 3 s.
                (
                    4,
                    Transition::Fired,
                    State::Firing {
                        since: t(1),
                        fired: t(4)
                    }
                ),
                (6, Transition::Resolved, State::Inactive),
            ]
        );
    }

    #[test]
    fn a_condition_that_stops_too_soon_never_fires() {
        let got = walk(&[true, true, false, true, false], Duration::from_secs(2));
        assert_eq!(
            got,
            vec![
                (0, Transition::Pending, State::Pending { since: t(0) }),
                (2, Transition::Cleared, State::Inactive),
                (3, Transition::Pending, State::Pending { since: t(3) }),
                (4, Transition::Cleared, State::Inactive),
            ],
            "pending restarts its clock after a gap"
        );
    }

    #[test]
    fn without_for_a_rule_fires_at_the_first_evaluation() {
        let got = walk(&[false, true, true, false, true], Duration::ZERO);
        let kinds: Vec<(u64, Transition)> = got.iter().map(|&(s, tr, _)| (s, tr)).collect();
        assert_eq!(
            kinds,
            vec![
                (1, Transition::Fired),
                (3, Transition::Resolved),
                (4, Transition::Fired)
            ]
        );
    }

    #[test]
    fn a_for_between_evaluations_fires_at_the_next_one() {
        // 2.5 s of holding is first reached at the evaluation of 3 s.
        let got = walk(&[true, true, true, true], Duration::from_millis(2_500));
        assert_eq!(got[1].0, 3, "{got:?}");
        assert_eq!(got[1].1, Transition::Fired);
    }

    #[test]
    fn conditions_compare_with_their_thresholds() {
        let line = |m: Metric| match m {
            Metric::Depth => Some(500.0),
            Metric::ThroughputIn => Some(100.0),
            Metric::Dropped => Some(5.0),
            Metric::ThroughputOut => Some(10.0),
            Metric::LatencyP99 => Some(0.25),
            _ => None,
        };
        assert!(
            !Condition::Depth { above: 500.0 }.holds(&line),
            "strictly above"
        );
        assert!(Condition::Depth { above: 499.0 }.holds(&line));
        assert!(Condition::ErrorRate { above: 0.04 }.holds(&line));
        assert!(!Condition::ErrorRate { above: 0.05 }.holds(&line));
        assert!(Condition::Throughput { below: 10.5 }.holds(&line));
        assert!(!Condition::Throughput { below: 10.0 }.holds(&line));
        assert!(
            Condition::P99Latency {
                above: Duration::from_millis(200)
            }
            .holds(&line)
        );
        assert!(!Condition::Lag { above: 0.0 }.holds(&line), "no such line");
        let idle = |m: Metric| match m {
            Metric::ThroughputIn | Metric::Dropped => Some(0.0),
            _ => None,
        };
        assert!(
            !Condition::ErrorRate { above: 0.0 }.holds(&idle),
            "no arrivals: no error rate, as NaN in Prometheus"
        );
    }

    #[test]
    fn conditions_fit_the_kinds_that_record_their_series() {
        assert!(Condition::Depth { above: 1.0 }.fits(Kind::Queue));
        assert!(!Condition::Depth { above: 1.0 }.fits(Kind::Producer));
        assert!(Condition::Lag { above: 1.0 }.fits(Kind::Log));
        assert!(!Condition::Lag { above: 1.0 }.fits(Kind::Queue));
        assert!(Condition::DeadLetterRate { above: 1.0 }.fits(Kind::DeadLetter));
        assert!(!Condition::DeadLetterRate { above: 1.0 }.fits(Kind::Queue));
        assert!(Condition::ErrorRate { above: 0.1 }.fits(Kind::Consumer));
        assert!(!Condition::ErrorRate { above: 0.1 }.fits(Kind::Producer));
        let p99 = Condition::P99Latency {
            above: Duration::from_millis(1),
        };
        assert!(p99.fits(Kind::Consumer) && !p99.fits(Kind::Queue));
    }

    fn run_with(firings: &[(u64, u64)]) -> AlertRun {
        AlertRun {
            interval: Duration::from_secs(1),
            rules: vec![RuleInfo {
                name: "Backlog".into(),
                node: "q".into(),
                condition: Condition::Depth { above: 10.0 },
                hold: Duration::from_secs(5),
                severity: "page".into(),
            }],
            states: vec![State::Inactive],
            firings: firings
                .iter()
                .map(|&(fired, resolved)| Firing {
                    rule: 0,
                    active_at: t(fired - 5),
                    fired_at: t(fired),
                    resolved_at: Some(t(resolved)),
                    random_fault: false,
                })
                .collect(),
            faults: vec![FaultWindow {
                node: "w".into(),
                effect: "crash",
                start: t(60),
                end: t(90),
            }],
        }
    }

    #[test]
    fn firings_inside_a_window_detect_and_others_are_false_alarms() {
        // The window is 60 s to 90 + 5 + 1 = 96 s.
        let run = run_with(&[(30, 35), (70, 120), (96, 100), (97, 99)]);
        let alarms: Vec<bool> = run.firings.iter().map(|f| run.is_false_alarm(f)).collect();
        assert_eq!(alarms, vec![true, false, false, true]);
        assert_eq!(run.false_alarms_of(0), 2);
        assert_eq!(run.firings_of(0), 4);
        assert_eq!(
            run.detection(0, None),
            Some(Detection {
                after: Duration::from_secs(10),
                rule: 0
            })
        );
        assert_eq!(run_with(&[(59, 70)]).detection(0, Some(0)), None);
    }
    /// Ten orders a second, each served in 50 ms (half the worker's
    /// capacity), 256 s so that the evaluation interval is 1 s; the worker
    /// crashes at 60 s for 30 s.
    const CRASH: &str = r#"(
        version: 1,
        name: "crash",
        scenario: (duration: "256s", seed: 1, replications: 3, faults: [
            (at: "60s", duration: "30s", node: "worker", effect: Crash),
        ]),
        nodes: [
            (id: "orders", kind: Producer(arrival: Constant(rate: 10.0))),
            (id: "inbox", kind: Queue()),
            (id: "worker", kind: Consumer(service: Constant("50ms"))),
        ],
        edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
        alerts: [
            (name: "Backlog", on: "inbox", when: Depth(above: 105.0), for: "10s", severity: "page"),
            (name: "Busy", on: "worker", when: Throughput(below: 100.0)),
        ],
    )"#;

    #[test]
    fn a_depth_alert_fires_when_the_backlog_has_held_for_its_duration() {
        let (model, _) = crate::model::file::from_str(CRASH).expect("loads");
        let errors: Vec<_> = crate::validate::validate(&model)
            .into_iter()
            .filter(Diagnostic::is_error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        let run = crate::run_once(&model, 1).expect("runs");
        let alerts = run.alerts.as_ref().expect("the model has rules");
        assert_eq!(alerts.interval, Duration::from_secs(1), "256 s / 256");
        // While the worker is down the queue gains one order every 100 ms:
        // about 10 (t − 60) at t. Above 105 first at the evaluation of
        // 71 s (about 110), pending from then; held for 10 s at 81 s.
        // Back at 90 s the worker takes one every 50 ms while one arrives
        // every 100 ms: about 300 − 10 (t − 90), at most 105 first at 110 s.
        let backlog: Vec<&Firing> = alerts.firings.iter().filter(|f| f.rule == 0).collect();
        assert_eq!(
            backlog,
            vec![&Firing {
                rule: 0,
                active_at: t(71),
                fired_at: t(81),
                resolved_at: Some(t(110)),
                random_fault: false,
            }]
        );
        assert_eq!(
            alerts.detection(0, Some(0)),
            Some(Detection {
                after: Duration::from_secs(21),
                rule: 0
            }),
            "the crash is detected 21 s after it starts"
        );
        assert_eq!(alerts.false_alarms_of(0), 0);
        // Ten a second is always below 100 a second: firing from the first
        // evaluation, long before the crash — a false alarm that never
        // resolves.
        let busy: Vec<&Firing> = alerts.firings.iter().filter(|f| f.rule == 1).collect();
        assert_eq!(busy.len(), 1, "{busy:?}");
        assert_eq!(busy[0].fired_at, t(1));
        assert_eq!(busy[0].resolved_at, None);
        assert_eq!(alerts.false_alarms_of(1), 1);
        assert_eq!(alerts.states[1].key(), "firing");
    }

    #[test]
    fn the_report_counts_detections_and_false_alarms_over_replications() {
        let (model, _) = crate::model::file::from_str(CRASH).expect("loads");
        let report = crate::run_replications(&model).expect("runs");
        let alerts = report.alerts.as_ref().expect("an alerts section");
        assert!((alerts.interval_s - 1.0).abs() < f64::EPSILON);
        assert_eq!(alerts.rules[0].firings.mean, 1.0);
        assert_eq!(alerts.rules[0].false_alarms.mean, 0.0);
        assert_eq!(alerts.rules[1].false_alarms.mean, 1.0);
        let crash = &alerts.faults[0];
        assert_eq!(crash.detected, 3, "every replication");
        let ttd = crash.time_to_detect.as_ref().expect("detected");
        // The Busy rule fired at 1 s and never resolved, so only Backlog
        // detects the crash: 21 s in every replication.
        assert_eq!(ttd.mean, 21.0);
        assert_eq!(ttd.ci95, Some(0.0));
        assert_eq!(crash.by_rule[1].detected, 0);
        let json = report.to_json();
        assert_eq!(json["alerts"]["faults"][0]["time_to_detect_s"], 21);
        assert_eq!(json["alerts"]["timeline"][1]["fired_at_s"], 81);
        assert_eq!(json["alerts"]["timeline"][1]["resolved_at_s"], 110);
        assert_eq!(json["alerts"]["rules"][1]["false_alarms"], 1);
        let table = report.to_table();
        assert!(
            table.contains(
                "crash of 'worker' at 1m for 30s: detected in 3/3 after 21.0±0.0 s (by Backlog)"
            ),
            "{table}"
        );
    }

    #[test]
    fn rules_change_no_other_number() {
        let (with, _) = crate::model::file::from_str(CRASH).expect("loads");
        let mut without = with.clone();
        without.alerts.clear();
        let (a, b) = (
            crate::run_once(&with, 9).expect("runs"),
            crate::run_once(&without, 9).expect("runs"),
        );
        assert_eq!(a.nodes, b.nodes);
        assert_eq!(a.conservation, b.conservation);
        assert_eq!(a.events, b.events);
        assert_eq!(a.series, b.series);
        assert!(b.alerts.is_none());
    }

    #[test]
    fn rules_are_validated_by_name() {
        let text = CRASH.replace(
            r#"(name: "Busy", on: "worker", when: Throughput(below: 100.0)),"#,
            r#"(name: "Busy", on: "worker", when: Throughput(below: 100.0)),
            (name: "Backlog", on: "ghost", when: Depth(above: 1.0)),
            (name: "NoDepth", on: "orders", when: Depth(above: 1.0)),
            (name: "Negative", on: "inbox", when: Depth(above: -3.0)),
            (name: "Rate", on: "worker", when: ErrorRate(above: 2.0)),
            (name: "bad name", on: "inbox", when: Depth(above: 1.0)),
            (name: "NoLag", on: "inbox", when: Lag(above: 1.0)),"#,
        );
        let (model, _) = crate::model::file::from_str(&text).expect("loads");
        let found: Vec<String> = crate::validate::validate(&model)
            .iter()
            .map(ToString::to_string)
            .collect();
        for words in [
            "error: alert 'Backlog': 2 alert rules share this name",
            "error: alert 'Backlog': the rule watches node 'ghost', which does not exist",
            "error: alert 'NoDepth': 'orders' is a producer, which has no depth series; depth is measured at",
            "error: alert 'Negative': the threshold (above: -3) must be a number, zero or more",
            "error: alert 'Rate': an error rate is a fraction of the arrivals",
            "error: alert 'bad name': an alert's name is written as Prometheus names alerts",
            "error: alert 'NoLag': 'inbox' is a queue, which has no lag series; lag is measured at logs",
        ] {
            assert!(
                found.iter().any(|f| f.starts_with(words)),
                "missing {words:?} in {found:#?}"
            );
        }
    }

    #[test]
    fn rules_survive_saving() {
        let (model, _) = crate::model::file::from_str(CRASH).expect("loads");
        let text = crate::model::file::to_string(&model);
        assert!(text.contains("for: \"10s\""), "{text}");
        assert!(text.contains("above: 105.0"), "{text}");
        let (again, _) = crate::model::file::from_str(&text).expect("reloads");
        assert!(model.same_as(&again));
        assert_eq!(again.alerts[1].severity, DEFAULT_SEVERITY);
    }
    #[test]
    fn the_names_are_the_variants_in_the_file() {
        let all = [
            Condition::P99Latency {
                above: Duration::from_millis(1),
            },
            Condition::Depth { above: 1.0 },
            Condition::Lag { above: 1.0 },
            Condition::DeadLetterRate { above: 1.0 },
            Condition::ErrorRate { above: 0.5 },
            Condition::Throughput { below: 1.0 },
        ];
        for (condition, name) in all.iter().zip(Condition::NAMES) {
            let text = ron::to_string(condition).expect("writes");
            assert!(
                text.starts_with(&format!("{name}(")),
                "{text} is not {name}"
            );
        }
    }
}
