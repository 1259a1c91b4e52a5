//! Results: one run's measurements ([`RunResult`]) and the report over
//! replications ([`Report`]), with its stable JSON form and a table for
//! people.
//!
//! Node metrics are named by paths (`"wait_s.p99"`); the JSON nests them
//! (`"wait_s": {"p99": …}`). With two or more replications every value is
//! the mean over replications and a `ci95` object beside the values holds
//! each one's 95% confidence half-width (Student t).

use serde_json::{Map, Value, json};

use crate::engine::Simulation;
use crate::metrics::{DropReason, Level, NodeStats, Summary};
use crate::nodes::{Kind, Runtime, with_kind};
use crate::stats::half_width;

/// Where every message ended up. Always adds up:
/// `produced = completed + dropped + dead_lettered + expired + lost + in_flight`,
/// and `produced = emitted + fanout_copies + redelivered + derived + replayed`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Conservation {
    /// Messages that came into being: emitted by producers, copied by a
    /// fan-out, or delivered again by a queue.
    pub produced: u64,
    pub completed: u64,
    pub dropped: u64,
    pub dead_lettered: u64,
    pub expired: u64,
    /// Messages a failure destroyed: a crashed consumer's, those sent to a
    /// node while it was down, an at-most-once consumer's failed ones, a
    /// broker's unreplicated or unpersisted ones (the `drops` reasons
    /// `crashed`, `node_down`, `failed`, `unreplicated`, `unpersisted`).
    pub lost: u64,
    pub in_flight: u64,
    pub emitted: u64,
    pub fanout_copies: u64,
    pub redelivered: u64,
    /// Events a CEP node emitted on a match.
    pub derived: u64,
    /// Events an event store's replay sent to its projections.
    pub replayed: u64,
}

impl Conservation {
    /// Whether both identities hold.
    pub fn balanced(&self) -> bool {
        self.produced
            == self.completed
                + self.dropped
                + self.dead_lettered
                + self.expired
                + self.lost
                + self.in_flight
            && self.produced
                == self.emitted
                    + self.fanout_copies
                    + self.redelivered
                    + self.derived
                    + self.replayed
    }

    fn add(&mut self, other: &Self) {
        self.produced += other.produced;
        self.completed += other.completed;
        self.dropped += other.dropped;
        self.dead_lettered += other.dead_lettered;
        self.expired += other.expired;
        self.lost += other.lost;
        self.in_flight += other.in_flight;
        self.emitted += other.emitted;
        self.fanout_copies += other.fanout_copies;
        self.redelivered += other.redelivered;
        self.derived += other.derived;
        self.replayed += other.replayed;
    }

    fn to_json(self) -> Value {
        json!({
            "produced": self.produced,
            "completed": self.completed,
            "dropped": self.dropped,
            "dead_lettered": self.dead_lettered,
            "expired": self.expired,
            "lost": self.lost,
            "in_flight": self.in_flight,
            "emitted": self.emitted,
            "fanout_copies": self.fanout_copies,
            "redelivered": self.redelivered,
            "derived": self.derived,
            "replayed": self.replayed,
        })
    }
}

/// One run's measurements.
#[derive(Clone, Debug, PartialEq)]
pub struct RunResult {
    pub model: String,
    pub seed: u64,
    pub sim_time_s: f64,
    pub warmup_s: f64,
    pub events: u64,
    pub conservation: Conservation,
    /// In model order.
    pub nodes: Vec<NodeResult>,
    /// Every node's and edge's time series over the run, warm-up
    /// included ([`crate::series`]); `Series::to_csv` writes them out (`sim_time_s,node,metric,value`).
    pub series: crate::series::Series,
    /// Each service level objective's measure, in model order.
    pub slos: Vec<crate::slo::SloRun>,
    /// The alerting rules' firings over the run, warm-up included; `None`
    /// when the model has no rules.
    pub alerts: Option<crate::alerts::AlertRun>,
    /// The model's stations as queueing theory sees them
    /// ([`crate::theory`]); the same in every run of a model.
    pub theory: std::sync::Arc<crate::theory::Analysis>,
}

/// One node's measurements in one run: named values in a fixed order.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeResult {
    pub id: String,
    pub kind: Kind,
    pub metrics: Vec<(String, f64)>,
}

impl NodeResult {
    pub fn get(&self, path: &str) -> Option<f64> {
        self.metrics
            .iter()
            .find(|(p, _)| p == path)
            .map(|&(_, v)| v)
    }
}

impl RunResult {
    pub fn node(&self, id: &str) -> Option<&NodeResult> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// A node's report section as its kind writes it.
#[derive(Debug)]
pub(crate) struct Recorder<'a> {
    pub metrics: Vec<(String, f64)>,
    /// The clock the report is read at.
    pub end: u64,
    /// Seconds measured (after the warm-up).
    measured_s: f64,
    /// Every node's id, by index.
    pub ids: &'a [String],
}

impl Recorder<'_> {
    /// Seconds measured (after the warm-up).
    pub const fn measured_s(&self) -> f64 {
        self.measured_s
    }

    /// `n` per second measured.
    pub fn per_s(&self, n: u64) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        let n = n as f64;
        if self.measured_s > 0.0 {
            n / self.measured_s
        } else {
            0.0
        }
    }
    #[expect(clippy::cast_precision_loss, reason = "report values")]
    pub fn count(&mut self, name: &str, v: u64) {
        self.metrics.push((name.to_owned(), v as f64));
    }
    pub fn real(&mut self, name: &str, v: f64) {
        self.metrics.push((name.to_owned(), v));
    }
    pub fn latency(&mut self, name: &str, s: &Summary) {
        if s.count == 0 {
            return;
        }
        for (part, v) in [
            ("mean", s.mean),
            ("p50", s.p50),
            ("p95", s.p95),
            ("p99", s.p99),
            ("max", s.max),
        ] {
            self.metrics.push((format!("{name}.{part}"), v));
        }
    }
    pub fn level(&mut self, mean_name: &str, max_name: &str, level: &Level, end: u64) {
        self.real(mean_name, level.mean(end));
        self.count(max_name, level.max());
    }
    /// The mean number in service and, if the work is bounded by `slots`
    /// (possibly changing over the run: their mean), the utilization.
    pub fn busy(&mut self, busy: &Level, slots: Option<f64>, end: u64) {
        let mean = busy.mean(end);
        self.real("mean_busy", mean);
        if let Some(slots) = slots {
            self.real("utilization", mean / slots.max(f64::MIN_POSITIVE));
        }
    }
}

/// A concurrency limit as a number of slots for [`Recorder::busy`].
#[expect(clippy::cast_precision_loss, reason = "report values")]
pub(crate) fn slots(limit: u64) -> f64 {
    limit as f64
}

/// Reads a simulation's measurements at its current clock.
/// What a run whose messages have deadlines reports beside the rest: a
/// consumer's messages received too late (discarded or processed anyway),
/// and, where journeys end, those that ended in time and their rate
/// (goodput, beside the throughput).
fn deadline_metrics(kind: Kind, st: &NodeStats, r: &mut Recorder<'_>) {
    if kind == Kind::Consumer {
        r.count("expired", st.expired);
        r.count("late", st.late);
    }
    if r.metrics.iter().any(|(path, _)| path == "completed") {
        r.count("completed_in_time", st.in_time);
        r.real("goodput_per_s", r.per_s(st.in_time));
    }
}

/// What a run whose client producers send again reports for each data
/// edge out of a node: the messages it carried that were sends again (or
/// copies of one), and its retry amplification: messages carried per
/// message that was not (the edge's share of the clients' resending).
fn resend_metrics(
    resends: &crate::engine::Resends,
    topo: &crate::engine::NodeTopo,
    r: &mut Recorder<'_>,
) {
    for &e in &topo.out {
        let [carried, resent] = resends.tally[e];
        let id = &resends.ids[e];
        r.count(&format!("edges.{id}.resent"), resent);
        if carried > resent {
            #[expect(clippy::cast_precision_loss, reason = "report values")]
            r.real(
                &format!("edges.{id}.retry_amplification"),
                carried as f64 / (carried - resent) as f64,
            );
        }
    }
}

pub(crate) fn collect(sim: &Simulation) -> RunResult {
    let end = sim.now.as_nanos();
    let warmup = sim.warmup().as_nanos().min(end);
    #[expect(clippy::cast_precision_loss, reason = "report values")]
    let measured_s = (end - warmup) as f64 / 1e9;
    // Node ids, for logs naming their consumer groups.
    let ids: Vec<String> = sim.topo.iter().map(|t| t.id.clone()).collect();
    let crashable = sim.crashable();
    let mut nodes = Vec::with_capacity(sim.topo.len());
    for (i, topo) in sim.topo.iter().enumerate() {
        let st: &NodeStats = &sim.stats[i];
        let mut r = Recorder {
            metrics: Vec::new(),
            end,
            measured_s,
            ids: &ids,
        };
        r.count("arrived", st.arrived);
        r.count("departed", st.departed);
        r.count("dropped", st.dropped());
        for reason in DropReason::ALL {
            let n = st.drops(reason);
            if n > 0 {
                r.count(&format!("drops.{}", reason.key()), n);
            }
        }
        r.real("throughput_per_s", r.per_s(st.departed));
        with_kind!(topo.kind, P => P::report(sim, topo, st, &mut r));
        if crashable[i] {
            r.real("availability", 1.0 - st.down.mean(end));
            r.count("outages", st.outages);
        }
        if let Some(d) = &sim.durable[i] {
            d.report(st, &mut r);
        }
        if let Some(o) = &sim.outboxes[i] {
            o.report(&mut r);
        }
        if sim.deadlines {
            deadline_metrics(topo.kind, st, &mut r);
        }
        if let Some(resends) = &sim.resends {
            resend_metrics(resends, topo, &mut r);
        }
        nodes.push(NodeResult {
            id: topo.id.clone(),
            kind: topo.kind,
            metrics: r.metrics,
        });
    }
    let mut conservation = sim.totals;
    conservation.in_flight = sim.msgs.live;
    #[expect(clippy::cast_precision_loss, reason = "report values")]
    let (sim_time_s, warmup_s) = (end as f64 / 1e9, warmup as f64 / 1e9);
    RunResult {
        model: sim.model_name().to_owned(),
        seed: sim.seed(),
        sim_time_s,
        warmup_s,
        events: sim.events(),
        conservation,
        nodes,
        series: sim.series().clone(),
        slos: sim.objectives(),
        alerts: sim.alerts(),
        theory: std::sync::Arc::clone(sim.theory()),
    }
}

/// The most replications one report combines: the bound on a scenario's
/// `replications` and on `weir run --replications`.
pub use crate::model::MAX_REPLICATIONS;

/// Refuses more replications than [`MAX_REPLICATIONS`].
pub fn check_replications(replications: u32) -> Result<(), crate::RunError> {
    if replications > MAX_REPLICATIONS {
        return Err(crate::RunError::Invalid(format!(
            "scenario: {replications} replications asked for; at most {MAX_REPLICATIONS} can run"
        )));
    }
    Ok(())
}

/// How many insights the table shows (the JSON has them all).
pub const INSIGHTS_SHOWN: usize = 6;

/// A metric over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct Metric {
    pub path: String,
    /// The mean over the replications that measured it.
    pub mean: f64,
    /// 95% confidence half-width (two or more replications).
    pub ci95: Option<f64>,
}

/// One node over replications.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeReport {
    pub id: String,
    pub kind: Kind,
    pub metrics: Vec<Metric>,
}

impl NodeReport {
    pub fn get(&self, path: &str) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.path == path)
    }

    /// The mean of a metric, if the node has it.
    pub fn value(&self, path: &str) -> Option<f64> {
        self.get(path).map(|m| m.mean)
    }
}

/// The report over all replications of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub model: String,
    pub seed: u64,
    pub seeds: Vec<u64>,
    pub sim_time_s: f64,
    pub warmup_s: f64,
    /// Engine events over all replications.
    pub events: u64,
    /// Wall-clock seconds the runs took (the only field that varies
    /// between identical runs).
    pub wall_s: f64,
    /// Summed over replications.
    pub conservation: Conservation,
    pub nodes: Vec<NodeReport>,
    /// How many replications the report combines.
    replications: usize,
    /// The scenario's timeline, as run.
    pub faults: Vec<crate::faults::Fault>,
    /// The scenario's random faults.
    pub random_faults: Vec<crate::faults::RandomFault>,
    /// The scenario's region outages.
    pub region_outages: Vec<crate::regions::RegionOutage>,
    /// Each service level objective's measure over the replications, in
    /// model order.
    measures: Vec<SloMeasure>,
    /// The objectives with their verdicts (see [`Self::with_slos`]).
    pub slos: Vec<SloReport>,
    /// The alerting rules over replications; `None` when the model has
    /// none.
    pub alerts: Option<crate::alerts::AlertsReport>,
    /// The ranked insights ([`crate::insights`]; reports of a scenario's
    /// replications, see [`Self::with_insights`]).
    pub insights: Option<Vec<crate::insights::Insight>>,
    /// How the warm-up was chosen (reports of a scenario's replications).
    pub warmup: Option<crate::warmup::Warmup>,
    /// Each station's analytic values beside the simulated ones
    /// ([`crate::theory`]), in model order.
    pub theory: Vec<crate::theory::Compared>,
}

/// One objective's numbers over replications, before its definition is
/// attached.
#[derive(Clone, Debug, PartialEq)]
struct SloMeasure {
    value: Option<Metric>,
    burned: Option<Metric>,
    compliance: Option<Metric>,
    /// Replications that measured it.
    n: usize,
}

impl SloReport {
    /// The value in its unit with its half-width (`212 ms ± 8.1 ms`), or
    /// a dash when nothing was measured.
    pub fn value_text(&self) -> String {
        let unit = self.slo.objective.unit();
        self.value
            .as_ref()
            .map_or("—".to_owned(), |m| match m.ci95 {
                Some(h) => format!("{} ± {}", unit.show(m.mean), unit.show_bare(h)),
                None => unit.show(m.mean),
            })
    }

    /// The budget burned as a percentage (`41 %`).
    pub fn budget_text(&self) -> Option<String> {
        self.burned
            .as_ref()
            .map(|m| format!("{:.0} %", m.mean * 100.0))
    }
}

/// One objective over replications, with its verdict.
#[derive(Clone, Debug, PartialEq)]
pub struct SloReport {
    pub slo: crate::slo::Slo,
    /// The value (over the measured run, or the worst window) over the
    /// replications that measured it: the mean and its 95% half-width.
    pub value: Option<Metric>,
    /// The error budget burned (1: all of it).
    pub burned: Option<Metric>,
    /// The share of windows that met the bound (windowed objectives).
    pub compliance: Option<Metric>,
    /// Replications that measured it.
    pub measured: usize,
    pub verdict: crate::slo::Verdict,
}

/// Whether a metric missing from a replication counts as 0 there (a drop
/// reason that did not occur) rather than as not measured (a latency of
/// no messages).
fn zero_if_missing(path: &str) -> bool {
    path.starts_with("drops.") || path == "dropped"
}

impl NodeResult {
    /// This node's value of `path` in this run as the report counts it
    /// over replications: a drop count the run did not record is 0, any
    /// other missing metric was not measured (`None`).
    pub fn replication_value(&self, path: &str) -> Option<f64> {
        self.get(path).or(zero_if_missing(path).then_some(0.0))
    }
}

/// Up to this many replications a metric keeps its values, and its spread
/// is computed from them in two passes; beyond, the values are folded into
/// Welford's running mean and sum of squared deviations and let go, so a
/// report's memory does not grow with its replications.
const VALUES_KEPT: usize = 32;

/// The spread of one metric's values so far.
#[derive(Clone, Debug)]
enum Spread {
    /// Every value, in replication order.
    Values(Vec<f64>),
    /// Welford's running mean and sum of squared deviations.
    Running { mean: f64, m2: f64 },
}

/// One metric being folded over replications.
#[derive(Clone, Debug)]
pub(crate) struct MetricFold {
    path: String,
    /// Replications that measured it (or count as 0 for it).
    n: usize,
    /// The values added in replication order, from the same start as
    /// `Iterator::sum`, so that the mean is the one a sum over every value
    /// gives.
    sum: f64,
    spread: Spread,
    /// The replication that last gave a value (a node names a metric once;
    /// a repeated name counts once, its first value).
    last: usize,
}

impl MetricFold {
    /// A metric first seen in replication `rep` (0-based): a drop count is
    /// 0 in the replications before.
    pub(crate) fn new(path: &str, rep: usize) -> Self {
        let mut fold = Self {
            path: path.to_owned(),
            n: 0,
            sum: std::iter::empty::<f64>().sum(),
            spread: Spread::Values(Vec::new()),
            last: usize::MAX,
        };
        if zero_if_missing(path) {
            if rep <= VALUES_KEPT {
                for _ in 0..rep {
                    fold.push(0.0);
                }
            } else {
                // A run of zeros: the running form holds them exactly.
                fold.n = rep;
                fold.sum += 0.0;
                fold.spread = Spread::Running { mean: 0.0, m2: 0.0 };
            }
        }
        fold
    }

    /// Replications folded in.
    pub(crate) fn n(&self) -> usize {
        self.n
    }

    pub(crate) fn push(&mut self, x: f64) {
        self.n += 1;
        self.sum += x;
        match &mut self.spread {
            Spread::Values(values) if values.len() < VALUES_KEPT => values.push(x),
            Spread::Values(values) => {
                let (mean, _) = crate::stats::mean_sd(values);
                let m2 = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
                #[expect(clippy::cast_precision_loss, reason = "replication counts")]
                let k = values.len() as f64;
                let (mean, m2) = welford(mean, m2, k + 1.0, x);
                self.spread = Spread::Running { mean, m2 };
            }
            Spread::Running { mean, m2 } => {
                #[expect(clippy::cast_precision_loss, reason = "replication counts")]
                let n = self.n as f64;
                (*mean, *m2) = welford(*mean, *m2, n, x);
            }
        }
    }

    pub(crate) fn finish(self) -> Metric {
        #[expect(clippy::cast_precision_loss, reason = "replication counts")]
        let n = self.n as f64;
        let ci95 = match &self.spread {
            Spread::Values(values) => half_width(values, 0.95),
            Spread::Running { m2, .. } => {
                let sd = (m2 / (n - 1.0)).sqrt();
                Some(crate::stats::t_quantile(0.5 + 0.95 / 2.0, n - 1.0) * sd / n.sqrt())
            }
        };
        Metric {
            path: self.path,
            mean: self.sum / n,
            ci95,
        }
    }
}

/// Welford's update: the mean and sum of squared deviations once `x`, the
/// `n`th value, is added.
fn welford(mean: f64, m2: f64, n: f64, x: f64) -> (f64, f64) {
    let delta = x - mean;
    let mean = mean + delta / n;
    (mean, m2 + delta * (x - mean))
}

/// One node being folded over replications.
#[derive(Clone, Debug)]
struct NodeFold {
    id: String,
    kind: Kind,
    /// In first-seen order over the replications.
    metrics: Vec<MetricFold>,
}

/// Replications folded into a [`Report`] one at a time, in replication
/// order: each run's measurements are taken in and the run can be dropped,
/// so memory stays the same however many replications there are (apart
/// from their seeds, which the report lists).
#[derive(Clone, Debug)]
pub struct ReportBuilder {
    seed: u64,
    model: String,
    seeds: Vec<u64>,
    sim_time_s: f64,
    warmup_s: f64,
    events: u64,
    conservation: Conservation,
    nodes: Vec<NodeFold>,
    slos: Vec<SloFold>,
    alerts: Option<crate::alerts::AlertsFold>,
    /// The stations of the first run's model, and each station's
    /// quantities as the runs measure them.
    theory: Option<(
        std::sync::Arc<crate::theory::Analysis>,
        Vec<Vec<MetricFold>>,
    )>,
}

/// One objective being folded over replications.
#[derive(Clone, Debug)]
struct SloFold {
    value: MetricFold,
    burned: MetricFold,
    compliance: MetricFold,
}

impl SloFold {
    fn new() -> Self {
        Self {
            value: MetricFold::new("value", 0),
            burned: MetricFold::new("burned", 0),
            compliance: MetricFold::new("compliance", 0),
        }
    }

    fn add(&mut self, run: &crate::slo::SloRun) {
        if let Some(v) = run.value {
            self.value.push(v);
        }
        if let Some(b) = run.burned.filter(|b| b.is_finite()) {
            self.burned.push(b);
        }
        if let Some((met, windows)) = run.windows
            && windows > 0
        {
            #[expect(clippy::cast_precision_loss, reason = "window counts")]
            self.compliance.push(met as f64 / windows as f64);
        }
    }

    fn finish(self) -> SloMeasure {
        let metric = |fold: MetricFold| (fold.n > 0).then(|| fold.finish());
        SloMeasure {
            n: self.value.n,
            value: metric(self.value),
            burned: metric(self.burned),
            compliance: metric(self.compliance),
        }
    }
}

impl ReportBuilder {
    /// An empty report of a scenario whose first replication has `seed`.
    pub fn new(seed: u64) -> Self {
        Self {
            seed,
            model: String::new(),
            seeds: Vec::new(),
            sim_time_s: 0.0,
            warmup_s: 0.0,
            events: 0,
            conservation: Conservation::default(),
            nodes: Vec::new(),
            slos: Vec::new(),
            alerts: None,
            theory: None,
        }
    }

    /// Replications added so far.
    pub fn replications(&self) -> usize {
        self.seeds.len()
    }

    /// Adds the next replication (they must come in replication order for
    /// the report to be the same every time).
    pub fn add(&mut self, run: &RunResult) {
        let rep = self.seeds.len();
        if rep == 0 {
            self.model.clone_from(&run.model);
            self.sim_time_s = run.sim_time_s;
            self.warmup_s = run.warmup_s;
            self.nodes = run
                .nodes
                .iter()
                .map(|n| NodeFold {
                    id: n.id.clone(),
                    kind: n.kind,
                    metrics: Vec::new(),
                })
                .collect();
            self.alerts = run.alerts.as_ref().map(crate::alerts::AlertsFold::new);
            let folds = run
                .theory
                .stations
                .iter()
                .map(|s| {
                    s.measures
                        .iter()
                        .map(|(q, _)| MetricFold::new(q.key(), 0))
                        .collect()
                })
                .collect();
            self.theory = Some((std::sync::Arc::clone(&run.theory), folds));
        }
        if let Some((analysis, folds)) = &mut self.theory {
            for (station, folds) in analysis.stations.iter().zip(folds.iter_mut()) {
                for ((_, measure), fold) in station.measures.iter().zip(folds.iter_mut()) {
                    if let Some(v) = measure.of(run).filter(|v| v.is_finite()) {
                        fold.push(v);
                    }
                }
            }
        }
        if let (Some(fold), Some(alerts)) = (&mut self.alerts, &run.alerts) {
            fold.add(alerts);
        }
        self.seeds.push(run.seed);
        self.events += run.events;
        if self.slos.len() < run.slos.len() {
            self.slos.resize_with(run.slos.len(), SloFold::new);
        }
        for (fold, slo) in self.slos.iter_mut().zip(&run.slos) {
            fold.add(slo);
        }
        self.conservation.add(&run.conservation);
        for (i, fold) in self.nodes.iter_mut().enumerate() {
            let measured: &[(String, f64)] = run.nodes.get(i).map_or(&[], |n| &n.metrics);
            for (j, (path, value)) in measured.iter().enumerate() {
                // Runs of one model name their metrics in nearly the same
                // order: look where this one was last time first.
                let at = match fold.metrics.get(j) {
                    Some(m) if m.path == *path => Some(j),
                    _ => fold.metrics.iter().position(|m| m.path == *path),
                };
                let metric = match at {
                    Some(at) => &mut fold.metrics[at],
                    None => {
                        fold.metrics.push(MetricFold::new(path, rep));
                        let last = fold.metrics.len() - 1;
                        &mut fold.metrics[last]
                    }
                };
                if metric.last != rep {
                    metric.last = rep;
                    metric.push(*value);
                }
            }
            for metric in &mut fold.metrics {
                if metric.last != rep && zero_if_missing(&metric.path) {
                    metric.last = rep;
                    metric.push(0.0);
                }
            }
        }
    }

    /// The report over the replications added, which took `wall_s`.
    pub fn finish(self, wall_s: f64) -> Report {
        Report {
            model: self.model,
            seed: self.seed,
            replications: self.seeds.len(),
            seeds: self.seeds,
            sim_time_s: self.sim_time_s,
            warmup_s: self.warmup_s,
            events: self.events,
            wall_s,
            conservation: self.conservation,
            nodes: self
                .nodes
                .into_iter()
                .map(|node| NodeReport {
                    id: node.id,
                    kind: node.kind,
                    metrics: node.metrics.into_iter().map(MetricFold::finish).collect(),
                })
                .collect(),
            faults: Vec::new(),
            random_faults: Vec::new(),
            region_outages: Vec::new(),
            measures: self.slos.into_iter().map(SloFold::finish).collect(),
            slos: Vec::new(),
            alerts: self.alerts.map(crate::alerts::AlertsFold::finish),
            insights: None,
            warmup: None,
            theory: self
                .theory
                .map(|(analysis, folds)| crate::theory::Compared::fold(&analysis, folds))
                .unwrap_or_default(),
        }
    }
}

/// A fault in the report: the node (`node`) or link (`link`) it hits, its
/// effect's key, `fields`, then the effect's parameter (`factor`,
/// `extra_s` or `probability`).
fn fault_json(
    node: &str,
    link: Option<&str>,
    effect: crate::faults::Effect,
    fields: &[(&str, Value)],
) -> Value {
    use crate::faults::Effect;
    let mut obj = Map::new();
    match link {
        Some(id) => obj.insert("link".to_owned(), Value::from(id)),
        None => obj.insert("node".to_owned(), Value::from(node)),
    };
    obj.insert("effect".to_owned(), Value::from(effect.key()));
    for (key, value) in fields {
        obj.insert((*key).to_owned(), value.clone());
    }
    let parameter = match effect {
        Effect::Crash => None,
        Effect::Slow { factor } | Effect::Burst { factor } => Some(("factor", number(factor))),
        Effect::Delay { extra } => Some(("extra_s", number(extra.as_secs_f64()))),
        Effect::Loss { probability } | Effect::Duplicate { probability } => {
            Some(("probability", number(probability)))
        }
    };
    if let Some((key, value)) = parameter {
        obj.insert(key.to_owned(), value);
    }
    Value::Object(obj)
}

impl Report {
    /// Combines replications (in order; at least one) into a report,
    /// letting each go once it is folded in.
    pub fn from_runs(seed: u64, runs: impl IntoIterator<Item = RunResult>, wall_s: f64) -> Self {
        let mut builder = ReportBuilder::new(seed);
        for run in runs {
            builder.add(&run);
        }
        builder.finish(wall_s)
    }

    /// The report with the scenario's timeline and random faults
    /// attached.
    #[must_use]
    pub fn with_faults(mut self, scenario: &crate::model::Scenario) -> Self {
        self.faults.clone_from(&scenario.faults);
        self.random_faults.clone_from(&scenario.random_faults);
        self.region_outages.clone_from(&scenario.region_outages);
        self
    }

    /// The report with the model's service level objectives attached,
    /// each judged from its measure over the replications.
    #[must_use]
    pub fn with_slos(mut self, slos: &[crate::slo::Slo]) -> Self {
        use crate::slo::Verdict;
        self.slos = slos
            .iter()
            .enumerate()
            .map(|(i, slo)| {
                let m = self.measures.get(i);
                let value = m.and_then(|m| m.value.clone());
                let measured = m.map_or(0, |m| m.n);
                let verdict = match &value {
                    None => Verdict::Unmeasured,
                    Some(v) => Verdict::judge(slo.objective.bound(), v.mean, v.ci95, measured),
                };
                SloReport {
                    slo: slo.clone(),
                    value,
                    burned: m.and_then(|m| m.burned.clone()),
                    compliance: m.and_then(|m| m.compliance.clone()),
                    measured,
                    verdict,
                }
            })
            .collect();
        self
    }

    /// Whether any objective is violated.
    pub fn slo_violated(&self) -> bool {
        self.slos
            .iter()
            .any(|s| s.verdict == crate::slo::Verdict::Violated)
    }

    /// The report with its insights ([`crate::insights`]) read from it and
    /// the model it ran.
    #[must_use]
    pub fn with_insights(mut self, model: &crate::Model) -> Self {
        self.insights = Some(crate::insights::insights(model, &self));
        self
    }

    /// The report with how its warm-up was chosen attached.
    #[must_use]
    pub fn with_warmup(mut self, warmup: crate::warmup::Warmup) -> Self {
        self.warmup = Some(warmup);
        self
    }

    pub fn node(&self, id: &str) -> Option<&NodeReport> {
        self.nodes.iter().find(|n| n.id == id)
    }

    pub fn replications(&self) -> usize {
        self.replications
    }

    /// The report as JSON (the stable contract; see `docs/report.md`).
    pub fn to_json(&self) -> Value {
        let mut nodes = Map::new();
        for node in &self.nodes {
            let mut obj = Map::new();
            obj.insert("kind".to_owned(), Value::from(node.kind.key()));
            let mut ci = Map::new();
            for m in &node.metrics {
                insert_path(&mut obj, &m.path, number(m.mean));
                if let Some(h) = m.ci95 {
                    insert_path(&mut ci, &m.path, number(h));
                }
            }
            if !ci.is_empty() {
                obj.insert("ci95".to_owned(), Value::Object(ci));
            }
            nodes.insert(node.id.clone(), Value::Object(obj));
        }
        let mut report = json!({
            "model": self.model,
            "seed": self.seed,
            "replications": self.replications,
            "seeds": self.seeds,
            "sim_time_s": number(self.sim_time_s),
            "warmup_s": number(self.warmup_s),
            "events": self.events,
            "wall_s": self.wall_s,
            "conservation": self.conservation.to_json(),
            "faults": self.faults.iter().map(|f| {
                fault_json(&f.node, f.link.as_deref(), f.effect, &[
                    ("at_s", number(f.at.as_secs_f64())),
                    ("duration_s", number(f.duration.as_secs_f64())),
                ])
            }).collect::<Vec<_>>(),
            "nodes": Value::Object(nodes),
        });
        if !self.random_faults.is_empty()
            && let Some(obj) = report.as_object_mut()
        {
            obj.insert("random_faults".to_owned(), self.random_faults_json());
        }
        if !self.region_outages.is_empty()
            && let Some(obj) = report.as_object_mut()
        {
            let outages = self
                .region_outages
                .iter()
                .map(|o| {
                    json!({
                        "region": o.region,
                        "at_s": number(o.at.as_secs_f64()),
                        "duration_s": number(o.duration.as_secs_f64()),
                    })
                })
                .collect();
            obj.insert("region_outages".to_owned(), Value::Array(outages));
        }
        if !self.slos.is_empty()
            && let Some(obj) = report.as_object_mut()
        {
            obj.insert("slos".to_owned(), self.slos_json());
        }
        // (Before `alerts` and `warmup`: the keys before it keep their
        // order whatever follows.)
        if !self.theory.is_empty()
            && let Some(obj) = report.as_object_mut()
        {
            obj.insert(
                "theory".to_owned(),
                crate::theory::Compared::json(&self.theory),
            );
        }
        if let (Some(alerts), Some(obj)) = (&self.alerts, report.as_object_mut()) {
            obj.insert("alerts".to_owned(), alerts.to_json(self.replications));
        }
        if let (Some(insights), Some(obj)) = (&self.insights, report.as_object_mut()) {
            obj.insert(
                "insights".to_owned(),
                insights
                    .iter()
                    .map(crate::insights::Insight::to_json)
                    .collect(),
            );
        }
        if let (Some(warmup), Some(obj)) = (&self.warmup, report.as_object_mut()) {
            obj.insert("warmup".to_owned(), warmup.to_json());
        }
        report
    }

    /// The objectives as JSON: one object each, in model order.
    /// The scenario's random faults: each node, effect, mean time between
    /// strikes and mean duration (MTBF and MTTR, in seconds), and the
    /// long-run share of time it is not in force.
    fn random_faults_json(&self) -> Value {
        self.random_faults
            .iter()
            .map(|f| {
                fault_json(
                    &f.node,
                    f.link.as_deref(),
                    f.effect,
                    &[
                        ("mtbf_s", number(f.between.mean().as_secs_f64())),
                        ("mttr_s", number(f.duration.mean().as_secs_f64())),
                        ("availability", number(f.availability())),
                    ],
                )
            })
            .collect()
    }

    pub fn slos_json(&self) -> Value {
        Value::Array(
            self.slos
                .iter()
                .map(|r| {
                    let objective = &r.slo.objective;
                    let bound = objective.bound();
                    let mut o = Map::new();
                    o.insert("name".to_owned(), Value::from(r.slo.label()));
                    o.insert("on".to_owned(), Value::from(r.slo.on.label()));
                    o.insert("objective".to_owned(), Value::from(r.slo.description()));
                    o.insert("measure".to_owned(), Value::from(objective.measure()));
                    o.insert(
                        "direction".to_owned(),
                        Value::from(match bound {
                            crate::slo::Bound::AtMost(_) => "at_most",
                            crate::slo::Bound::AtLeast(_) => "at_least",
                        }),
                    );
                    o.insert("bound".to_owned(), number(bound.value()));
                    o.insert("unit".to_owned(), Value::from(objective.unit().key()));
                    o.insert(
                        "window_s".to_owned(),
                        r.slo
                            .window
                            .map_or(Value::Null, |w| number(w.as_secs_f64())),
                    );
                    let mean =
                        |m: &Option<Metric>| m.as_ref().map_or(Value::Null, |m| number(m.mean));
                    let half = |m: &Option<Metric>| {
                        m.as_ref().and_then(|m| m.ci95).map_or(Value::Null, number)
                    };
                    o.insert("value".to_owned(), mean(&r.value));
                    o.insert("ci95".to_owned(), half(&r.value));
                    o.insert("replications".to_owned(), Value::from(r.measured));
                    o.insert("verdict".to_owned(), Value::from(r.verdict.key()));
                    o.insert(
                        "more_replications".to_owned(),
                        match r.verdict {
                            crate::slo::Verdict::Undecided { more: Some(k) } => Value::from(k),
                            _ => Value::Null,
                        },
                    );
                    o.insert("budget_burned".to_owned(), mean(&r.burned));
                    o.insert("budget_burned_ci95".to_owned(), half(&r.burned));
                    if r.slo.window.is_some() {
                        o.insert("windows_met".to_owned(), mean(&r.compliance));
                    }
                    Value::Object(o)
                })
                .collect(),
        )
    }

    /// The objectives as a table for people (empty without objectives).
    pub fn slo_table(&self) -> String {
        if self.slos.is_empty() {
            return String::new();
        }
        let mut rows: Vec<[String; 5]> = vec![[
            "objective".to_owned(),
            "bound".to_owned(),
            "value".to_owned(),
            "budget".to_owned(),
            "verdict".to_owned(),
        ]];
        for r in &self.slos {
            let value = r.value_text();
            let budget = r.budget_text().unwrap_or_else(|| "—".to_owned());
            // A description already names its window.
            let window = match r.slo.window {
                Some(w) if !r.slo.name.trim().is_empty() => format!(" (every {w})"),
                _ => String::new(),
            };
            rows.push([
                format!("{}{window}", r.slo.label()),
                r.slo.objective.target_text(),
                value,
                budget,
                r.verdict.text(),
            ]);
        }
        let widths: Vec<usize> = (0..5)
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::from("\nservice level objectives:\n");
        for (i, row) in rows.iter().enumerate() {
            let line: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    let pad = widths[c].saturating_sub(v.chars().count());
                    format!("{v}{}", " ".repeat(pad))
                })
                .collect();
            out.push_str("  ");
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
            if i == 0 {
                out.push_str("  ");
                out.push_str(&"-".repeat(widths.iter().sum::<usize>() + 2 * 4));
                out.push('\n');
            }
        }
        out
    }

    /// Pretty JSON text, ending in a newline.
    pub fn to_json_string(&self) -> String {
        let mut text = serde_json::to_string_pretty(&self.to_json()).unwrap_or_default();
        text.push('\n');
        text
    }

    /// A readable table of the main numbers per node, then conservation.
    pub fn to_table(&self) -> String {
        let ci = self.replications > 1;
        let cell = |node: &NodeReport, path: &str, scale: f64, digits: usize| -> String {
            match node.get(path) {
                None => "-".to_owned(),
                Some(m) => {
                    let v = format!("{:.digits$}", m.mean * scale);
                    match m.ci95 {
                        Some(h) if ci => format!("{v}±{:.digits$}", h * scale),
                        _ => v,
                    }
                }
            }
        };
        let header = [
            "node",
            "kind",
            "arrived",
            "departed",
            "dropped",
            "thru/s",
            "depth",
            "max",
            "util",
            "wait p50 ms",
            "wait p99 ms",
            "sojourn ms",
            "e2e mean ms",
            "e2e p99 ms",
        ];
        let mut rows: Vec<Vec<String>> = vec![header.iter().map(|s| (*s).to_owned()).collect()];
        for node in &self.nodes {
            rows.push(vec![
                node.id.clone(),
                node.kind.key().to_owned(),
                cell(node, "arrived", 1.0, 0),
                cell(node, "departed", 1.0, 0),
                cell(node, "dropped", 1.0, 0),
                cell(node, "throughput_per_s", 1.0, 1),
                cell(node, "mean_depth", 1.0, 2),
                cell(node, "max_depth", 1.0, 0),
                cell(node, "utilization", 100.0, 1)
                    + if node.get("utilization").is_some() {
                        "%"
                    } else {
                        ""
                    },
                cell(node, "wait_s.p50", 1e3, 2),
                cell(node, "wait_s.p99", 1e3, 2),
                cell(node, "sojourn_s.mean", 1e3, 2),
                cell(node, "end_to_end_s.mean", 1e3, 2),
                cell(node, "end_to_end_s.p99", 1e3, 2),
            ]);
        }
        let widths: Vec<usize> = (0..header.len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::new();
        for (i, row) in rows.iter().enumerate() {
            let line: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    if c < 2 {
                        format!("{v:<w$}", w = widths[c])
                    } else {
                        format!("{v:>w$}", w = widths[c])
                    }
                })
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
            if i == 0 {
                let total: usize = widths.iter().sum::<usize>() + 2 * (widths.len() - 1);
                out.push_str(&"-".repeat(total));
                out.push('\n');
            }
        }
        // Everything else each node measured, so that no metric is only in
        // the JSON.
        const SHOWN: [&str; 12] = [
            "arrived",
            "departed",
            "dropped",
            "throughput_per_s",
            "mean_depth",
            "max_depth",
            "utilization",
            "wait_s.p50",
            "wait_s.p99",
            "sojourn_s.mean",
            "end_to_end_s.mean",
            "end_to_end_s.p99",
        ];
        let mut details = String::new();
        for node in &self.nodes {
            let extra: Vec<String> = node
                .metrics
                .iter()
                .filter(|m| {
                    // Consumer groups of logs have a section of their own.
                    !SHOWN.contains(&m.path.as_str())
                        && !m.path.starts_with("groups.")
                        && m.mean != 0.0
                })
                .map(|m| {
                    let value = if m.mean.fract() == 0.0 && m.mean.abs() < 1e15 {
                        format!("{:.0}", m.mean)
                    } else {
                        format!("{:.4}", m.mean)
                    };
                    match m.ci95 {
                        Some(h) if ci => format!("{}={value}±{h:.4}", m.path),
                        _ => format!("{}={value}", m.path),
                    }
                })
                .collect();
            if !extra.is_empty() {
                details.push_str(&format!("  {}: {}\n", node.id, extra.join("  ")));
            }
        }
        if !details.is_empty() {
            out.push_str("\nmore (non-zero metrics not in the table; times in seconds):\n");
            out.push_str(&details);
        }
        out.push_str(&self.lag_table(&cell));
        out.push_str(&self.slo_table());
        if let Some(alerts) = &self.alerts {
            out.push_str(&alerts.to_table(self.replications));
        }
        if let Some(insights) = &self.insights {
            out.push_str(&crate::insights::table(insights, INSIGHTS_SHOWN));
        }
        let c = &self.conservation;
        out.push_str(&format!(
            "\nmessages: {} produced = {} completed + {} dropped + {} dead-lettered + {} expired + {} lost + {} in flight{}\n",
            c.produced,
            c.completed,
            c.dropped,
            c.dead_lettered,
            c.expired,
            c.lost,
            c.in_flight,
            if c.balanced() { "" } else { "  (DOES NOT ADD UP)" }
        ));
        if c.fanout_copies + c.redelivered + c.derived + c.replayed > 0 {
            let mut parts = vec![
                format!("{} emitted by producers", c.emitted),
                format!("{} fan-out copies", c.fanout_copies),
                format!("{} redelivered", c.redelivered),
            ];
            if c.derived > 0 {
                parts.push(format!("{} derived by CEP rules", c.derived));
            }
            if c.replayed > 0 {
                parts.push(format!("{} replayed", c.replayed));
            }
            out.push_str(&format!("          ({})\n", parts.join(", ")));
        }
        out
    }
}

impl Report {
    /// The consumer groups of every log: lag in messages and seconds
    /// (current, mean, max), missed records, rebalances, idle members; a
    /// line per group and one per partition under it.
    fn lag_table(&self, cell: &dyn Fn(&NodeReport, &str, f64, usize) -> String) -> String {
        let mut rows: Vec<Vec<String>> = Vec::new();
        for node in self.nodes.iter().filter(|n| n.kind == Kind::Log) {
            let mut groups: Vec<&str> = Vec::new();
            for m in &node.metrics {
                if let Some(rest) = m.path.strip_prefix("groups.")
                    && let Some((group, _)) = rest.split_once('.')
                    && !groups.contains(&group)
                {
                    groups.push(group);
                }
            }
            for group in groups {
                let g = format!("groups.{group}");
                let mut partitions: Vec<&str> = Vec::new();
                for m in &node.metrics {
                    if let Some(rest) = m.path.strip_prefix(&format!("{g}.partitions."))
                        && let Some((p, _)) = rest.split_once('.')
                        && !partitions.contains(&p)
                    {
                        partitions.push(p);
                    }
                }
                let line = |label: String, prefix: &str, whole: bool| -> Vec<String> {
                    let mut row = vec![
                        label,
                        cell(node, &format!("{prefix}.lag.current"), 1.0, 0),
                        cell(node, &format!("{prefix}.lag.mean"), 1.0, 2),
                        cell(node, &format!("{prefix}.lag.max"), 1.0, 0),
                        cell(node, &format!("{prefix}.lag_s.current"), 1.0, 3),
                        cell(node, &format!("{prefix}.lag_s.mean"), 1.0, 3),
                        cell(node, &format!("{prefix}.lag_s.max"), 1.0, 3),
                    ];
                    for extra in ["missed", "rebalances", "idle_members"] {
                        row.push(if whole {
                            cell(node, &format!("{prefix}.{extra}"), 1.0, 2)
                        } else {
                            String::new()
                        });
                    }
                    row
                };
                rows.push(line(format!("{} → {group}", node.id), &g, true));
                for p in partitions {
                    rows.push(line(
                        format!("  partition {p}"),
                        &format!("{g}.partitions.{p}"),
                        false,
                    ));
                }
            }
        }
        if rows.is_empty() {
            return String::new();
        }
        let header: Vec<String> = [
            "log → group",
            "lag",
            "lag mean",
            "lag max",
            "lag s",
            "lag s mean",
            "lag s max",
            "missed",
            "rebalances",
            "idle",
        ]
        .iter()
        .map(|s| (*s).to_owned())
        .collect();
        rows.insert(0, header);
        let widths: Vec<usize> = (0..rows[0].len())
            .map(|c| rows.iter().map(|r| r[c].chars().count()).max().unwrap_or(0))
            .collect();
        let mut out = String::from("\nconsumer-group lag (messages; seconds):\n");
        for row in &rows {
            let line: Vec<String> = row
                .iter()
                .enumerate()
                .map(|(c, v)| {
                    if c == 0 {
                        format!("{v:<w$}", w = widths[c])
                    } else {
                        format!("{v:>w$}", w = widths[c])
                    }
                })
                .collect();
            out.push_str(line.join("  ").trim_end());
            out.push('\n');
        }
        out
    }
}

/// An f64 as a JSON number: whole values as integers, non-finite as null.
pub(crate) fn number(v: f64) -> Value {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "whole and within i64 range"
        )]
        Value::from(v as i64)
    } else {
        serde_json::Number::from_f64(v).map_or(Value::Null, Value::Number)
    }
}

fn insert_path(obj: &mut Map<String, Value>, path: &str, value: Value) {
    match path.split_once('.') {
        None => {
            obj.insert(path.to_owned(), value);
        }
        Some((head, rest)) => {
            let entry = obj
                .entry(head.to_owned())
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(inner) = entry {
                insert_path(inner, rest, value);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::mean_sd;

    /// A run of one node with the given metrics.
    fn run(seed: u64, metrics: &[(&str, f64)]) -> RunResult {
        RunResult {
            model: "m".to_owned(),
            seed,
            sim_time_s: 10.0,
            warmup_s: 1.0,
            events: 5,
            conservation: Conservation {
                produced: 2,
                completed: 2,
                emitted: 2,
                ..Conservation::default()
            },
            nodes: vec![NodeResult {
                id: "q".to_owned(),
                kind: Kind::Queue,
                metrics: metrics.iter().map(|&(p, v)| (p.to_owned(), v)).collect(),
            }],
            series: crate::series::Series::new(&[], &[], 1, 4, true),
            slos: Vec::new(),
            alerts: None,
            theory: std::sync::Arc::default(),
        }
    }

    /// Values that do not sum or square exactly in binary.
    fn value(i: u64) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "small test numbers")]
        let i = i as f64;
        0.1 + (i * 0.7).sin() * 3.3 + i / 7.0
    }

    /// Replications where `wait_s.mean` is measured in even ones only and
    /// `drops.full` shows up in replication 3 and is missing from 5.
    fn runs(n: u64) -> Vec<RunResult> {
        (0..n)
            .map(|i| {
                let mut metrics = vec![("arrived", value(i))];
                if i % 2 == 0 {
                    metrics.push(("wait_s.mean", value(i + 100)));
                }
                if i >= 3 && i != 5 {
                    metrics.push(("drops.full", value(i + 200)));
                }
                metrics.push(("arrived", -1.0));
                run(1000 + i, &metrics)
            })
            .collect()
    }

    /// Each replication's value as the report counts it.
    fn samples(runs: &[RunResult], path: &str) -> Vec<f64> {
        runs.iter()
            .filter_map(|r| r.nodes[0].replication_value(path))
            .collect()
    }

    #[test]
    fn folding_gives_the_values_own_mean_and_interval() {
        for n in [1, 2, 3, 4, 10, 32, 33, 40, 200] {
            let runs = runs(n);
            let report = Report::from_runs(7, runs.clone(), 0.5);
            assert_eq!(report.replications(), n as usize);
            assert_eq!(report.seeds, (1000..1000 + n).collect::<Vec<_>>());
            assert_eq!(report.events, 5 * n);
            assert_eq!(report.conservation.completed, 2 * n);
            let node = &report.nodes[0];
            let paths: Vec<&str> = node.metrics.iter().map(|m| m.path.as_str()).collect();
            let expected: &[&str] = match n {
                1..=3 => &["arrived", "wait_s.mean"],
                _ => &["arrived", "wait_s.mean", "drops.full"],
            };
            assert_eq!(paths, expected, "first-seen order, a name counted once");
            for m in &node.metrics {
                let xs = samples(&runs, &m.path);
                if m.path == "drops.full" {
                    assert_eq!(xs.len(), n as usize, "0 where a drop count is missing");
                    assert_eq!(xs[..3], [0.0; 3]);
                }
                if m.path == "arrived" {
                    assert!(xs.iter().all(|&x| x != -1.0), "a repeated name counts once");
                }
                let (mean, _) = mean_sd(&xs);
                assert_eq!(m.mean.to_bits(), mean.to_bits(), "{n}: {} mean", m.path);
                let h = half_width(&xs, 0.95);
                if xs.len() <= VALUES_KEPT {
                    assert_eq!(
                        m.ci95.map(f64::to_bits),
                        h.map(f64::to_bits),
                        "{n}: {} ci95",
                        m.path
                    );
                } else {
                    let (got, want) = (m.ci95.unwrap_or(f64::NAN), h.unwrap_or(f64::NAN));
                    assert!(
                        (got - want).abs() <= 1e-12 * want.abs(),
                        "{n}: {} ci95 {got} vs {want}",
                        m.path
                    );
                }
            }
        }
    }

    #[test]
    fn a_drop_count_first_seen_late_counts_the_zeros_before() {
        // First seen after more replications than the values kept.
        let runs: Vec<RunResult> = (0..50)
            .map(|i| {
                let mut metrics = vec![("arrived", 1.0)];
                if i >= 40 {
                    metrics.push(("drops.full", value(i)));
                }
                run(i, &metrics)
            })
            .collect();
        let report = Report::from_runs(0, runs.clone(), 0.0);
        let m = report.nodes[0].get("drops.full").expect("drops counted");
        let xs = samples(&runs, "drops.full");
        assert_eq!(xs.len(), 50);
        let (mean, _) = mean_sd(&xs);
        assert_eq!(m.mean.to_bits(), mean.to_bits());
        let (got, want) = (
            m.ci95.unwrap_or(f64::NAN),
            half_width(&xs, 0.95).unwrap_or(0.0),
        );
        assert!((got - want).abs() <= 1e-12 * want, "{got} vs {want}");
        // A constant's spread is exactly zero either way.
        assert_eq!(
            report.nodes[0].get("arrived").and_then(|m| m.ci95),
            Some(0.0)
        );
    }

    #[test]
    fn replications_are_bounded() {
        assert!(check_replications(MAX_REPLICATIONS).is_ok());
        let err = check_replications(u32::MAX).expect_err("too many");
        assert!(
            err.to_string()
                .contains("4294967295 replications asked for; at most 100000"),
            "{err}"
        );
    }
}
