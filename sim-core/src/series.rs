//! Time series of a run with a bounded number of points.
//!
//! The engine samples every node (and every edge) at fixed intervals of
//! simulated time: throughput in and out over the interval, the depth and
//! busy slots at its end, the latency percentiles of the messages that
//! finished at the node during the interval, a projection's staleness
//! percentiles of the events it applied during the interval, instances,
//! breaker state, a log's lag.
//! When a series is full, neighbouring points are merged in pairs and the
//! interval doubles, so memory depends on the model, never on simulated
//! time; a run always has between `capacity / 2` and `capacity` points.
//!
//! Recording reads counters; it draws no random numbers and schedules
//! nothing, so a run's results are the same with or without it.
//!
//! Beside the nodes, the whole system has lines of its own
//! ([`SystemSeries`]): messages entering from producers and completing,
//! messages in flight, the end-to-end latency of the messages that
//! completed during the interval, and the messages dropped, dead-lettered
//! or lost per second.
//!
//! A node kind chooses its metrics in its [`KindSpec::SERIES`](crate::nodes::KindSpec::SERIES); a new
//! metric is a new [`Metric`] variant with its key, unit, merge rule and
//! the line in [`Series::record`] that reads it.

use crate::engine::{EdgeTopo, NodeTopo};
use crate::nodes::Kind;
use crate::nodes::breaker::BreakerState;
use crate::time::{Duration, SimTime};

/// Points kept per line at most.
pub const DEFAULT_CAPACITY: usize = 512;
/// The first sampling interval for a run of `duration_ns`: the duration
/// split into `capacity / 2` steps, at least a millisecond.
fn first_interval(duration_ns: u64, capacity: usize) -> u64 {
    (duration_ns / (capacity as u64 / 2).max(1)).max(1_000_000)
}

/// One measured quantity over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Metric {
    /// Messages that arrived, per second over the interval.
    ThroughputIn,
    /// Messages that left (sent on, or completed at a sink), per second.
    ThroughputOut,
    /// Messages waiting at the end of the interval (queue depth, inbox,
    /// backlog).
    Depth,
    /// Messages in service at the end of the interval.
    Busy,
    /// Median time spent at the node by messages that finished during the
    /// interval, seconds.
    LatencyP50,
    /// 99th percentile of the same, seconds.
    LatencyP99,
    /// Consumer instances running at the end of the interval.
    Instances,
    /// Circuit breaker at the end of the interval: 0 closed, 0.5 half-open,
    /// 1 open.
    Breaker,
    /// Messages dropped, per second over the interval.
    Dropped,
    /// A log's largest consumer-group lag at the end of the interval, in
    /// records.
    Lag,
    /// A projection's median staleness — the time from an event's append
    /// at the store to its application — over the live events it applied
    /// during the interval, seconds (replayed events are left out, as in
    /// the report's `staleness_s`).
    StalenessP50,
    /// 99th percentile of the same, seconds.
    StalenessP99,
    /// Useful work, per second over the interval: a client producer's
    /// requests answered while it still waited, or the messages whose
    /// journey ended here by their deadline. Only where there is something
    /// to tell apart: at clients, and where journeys end in a model with
    /// deadlines.
    Goodput,
    /// Sends an Event Hubs log refused beyond its throughput units, per
    /// second over the interval (only on such logs).
    Throttled,
}

/// How two neighbouring points become one when resolution halves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Merge {
    /// Rates and levels: the mean of the two.
    Mean,
    /// Tail latencies and states: the larger, so a spike never vanishes.
    Max,
}

impl Metric {
    /// Every metric, in chart order.
    pub const ALL: [Self; 14] = [
        Self::ThroughputIn,
        Self::ThroughputOut,
        Self::Depth,
        Self::Busy,
        Self::LatencyP50,
        Self::LatencyP99,
        Self::Instances,
        Self::Breaker,
        Self::Dropped,
        Self::Lag,
        Self::StalenessP50,
        Self::StalenessP99,
        Self::Goodput,
        Self::Throttled,
    ];

    /// The key used in CSV headers and JSON.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Goodput => "goodput_per_s",
            Self::Throttled => "throttled_per_s",
            Self::ThroughputIn => "throughput_in_per_s",
            Self::ThroughputOut => "throughput_out_per_s",
            Self::Depth => "depth",
            Self::Busy => "busy",
            Self::LatencyP50 => "latency_p50_s",
            Self::LatencyP99 => "latency_p99_s",
            Self::Instances => "instances",
            Self::Breaker => "breaker",
            Self::Dropped => "dropped_per_s",
            Self::Lag => "lag",
            Self::StalenessP50 => "staleness_p50_s",
            Self::StalenessP99 => "staleness_p99_s",
        }
    }

    /// A label for people.
    pub const fn label(self) -> &'static str {
        match self {
            Self::ThroughputIn => "in /s",
            Self::ThroughputOut => "out /s",
            Self::Depth => "depth",
            Self::Busy => "busy",
            Self::LatencyP50 => "p50 latency (s)",
            Self::LatencyP99 => "p99 latency (s)",
            Self::Instances => "instances",
            Self::Breaker => "breaker (1 = open)",
            Self::Dropped => "dropped /s",
            Self::Lag => "lag (records)",
            Self::StalenessP50 => "p50 staleness (s)",
            Self::StalenessP99 => "p99 staleness (s)",
            Self::Goodput => "goodput /s",
            Self::Throttled => "throttled /s",
        }
    }

    /// Whether the line is a latency percentile, read from an interval
    /// histogram (left out of series nobody charts).
    pub const fn is_latency(self) -> bool {
        matches!(
            self,
            Self::LatencyP50 | Self::LatencyP99 | Self::StalenessP50 | Self::StalenessP99
        )
    }

    const fn merge(self) -> Merge {
        match self {
            Self::LatencyP99 | Self::StalenessP99 | Self::Breaker | Self::Lag => Merge::Max,
            Self::ThroughputIn
            | Self::ThroughputOut
            | Self::Depth
            | Self::Busy
            | Self::LatencyP50
            | Self::StalenessP50
            | Self::Instances
            | Self::Dropped
            | Self::Goodput
            | Self::Throttled => Merge::Mean,
        }
    }
}

/// A measured quantity of the whole system over time.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum SystemMetric {
    /// Messages emitted by producers, per second over the interval.
    ThroughputIn,
    /// Messages that completed their journey, per second.
    ThroughputOut,
    /// Messages that completed their journey while still wanted, per
    /// second: within their deadline and, for a client's send, before the
    /// client gave up on it. The same as [`Self::ThroughputOut`] when no
    /// message has a deadline and no producer waits for answers; charted
    /// only when one does ([`SystemSeries::shows_goodput`]).
    Goodput,
    /// Messages alive in the system at the end of the interval.
    InFlight,
    /// Median end-to-end latency (creation to completion) of the messages
    /// that completed during the interval, seconds.
    EndToEndP50,
    /// 99th percentile of the same, seconds.
    EndToEndP99,
    /// Messages dropped by a rule (a full queue, no route, retries given
    /// up…), per second.
    Dropped,
    /// Messages stored in a dead-letter queue, per second.
    DeadLettered,
    /// Messages lost to a failure rather than refused by a rule: held by a
    /// crashed consumer, sent to a node that was down, failed at an
    /// at-most-once consumer, or expired from a log unread; per second.
    Lost,
}

impl SystemMetric {
    /// Every system metric, in chart order.
    pub const ALL: [Self; 9] = [
        Self::ThroughputIn,
        Self::ThroughputOut,
        Self::Goodput,
        Self::InFlight,
        Self::EndToEndP50,
        Self::EndToEndP99,
        Self::Dropped,
        Self::DeadLettered,
        Self::Lost,
    ];

    /// The key used in CSV headers and JSON.
    pub const fn key(self) -> &'static str {
        match self {
            Self::ThroughputIn => "throughput_in_per_s",
            Self::ThroughputOut => "throughput_out_per_s",
            Self::Goodput => "goodput_per_s",
            Self::InFlight => "in_flight",
            Self::EndToEndP50 => "end_to_end_p50_s",
            Self::EndToEndP99 => "end_to_end_p99_s",
            Self::Dropped => "dropped_per_s",
            Self::DeadLettered => "dead_lettered_per_s",
            Self::Lost => "lost_per_s",
        }
    }

    /// Whether the line is a latency percentile (see
    /// [`Metric::is_latency`]).
    pub const fn is_latency(self) -> bool {
        matches!(self, Self::EndToEndP50 | Self::EndToEndP99)
    }

    const fn merge(self) -> Merge {
        match self {
            Self::EndToEndP99 => Merge::Max,
            Self::ThroughputIn
            | Self::ThroughputOut
            | Self::Goodput
            | Self::InFlight
            | Self::EndToEndP50
            | Self::Dropped
            | Self::DeadLettered
            | Self::Lost => Merge::Mean,
        }
    }
}

/// What the engine counts for the system's lines beyond its conservation
/// totals: losses among the drops, and the end-to-end latencies of the
/// current interval.
#[derive(Clone, Debug, Default)]
pub(crate) struct SystemTally {
    /// Drops that were losses ([`crate::metrics::DropReason::is_loss`]).
    pub lost_drops: u64,
    /// Completions of a message that had already completed (duplicates).
    pub duplicates: u64,
    /// End-to-end latencies of the messages completed since the last point.
    pub end_to_end: crate::metrics::IntervalLatency,
    /// Completions by their deadline of sends their client had stopped
    /// waiting for: left out of [`SystemMetric::Goodput`].
    pub unwanted: u64,
}

/// The whole system's lines.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SystemSeries {
    lines: [Vec<f32>; SystemMetric::ALL.len()],
    /// Counts at the previous sample: emitted, completed, rule drops,
    /// dead-lettered, lost, completed while still wanted.
    prev: [u64; 6],
    /// Whether the end-to-end latency lines are kept (see
    /// [`Series::new`]); without them they stay empty.
    latency: bool,
    /// Whether the goodput line means anything beside the completions.
    goodput: bool,
    /// Completions by their deadline counted before the warm-up cleared
    /// the nodes' counts.
    in_time_before: u64,
}

impl SystemSeries {
    /// The values of `metric`, one per [`Series::times`] entry.
    pub fn values(&self, metric: SystemMetric) -> &[f32] {
        &self.lines[metric as usize]
    }

    /// Whether the goodput line differs in meaning from the completions:
    /// some message has a deadline or some producer waits for answers.
    /// (The line is recorded either way, so a deadline given during a
    /// live run charts it from the start.)
    pub fn shows_goodput(&self) -> bool {
        self.goodput
    }

    fn record(
        &mut self,
        totals: &crate::report::Conservation,
        in_flight: u64,
        tally: &mut SystemTally,
        in_time: u64,
        per_s: &dyn Fn(u64) -> f32,
    ) {
        let lost = tally.lost_drops + totals.expired;
        let counts = [
            totals.emitted,
            totals.completed,
            totals.dropped,
            totals.dead_lettered,
            lost,
            (self.in_time_before + in_time).saturating_sub(tally.unwanted),
        ];
        let delta = |k: usize| per_s(counts[k].saturating_sub(self.prev[k]));
        let (p50, p99) = tally.end_to_end.p50_p99();
        tally.end_to_end.clear();
        #[expect(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
        for metric in SystemMetric::ALL {
            if metric.is_latency() && !self.latency {
                continue;
            }
            let v = match metric {
                SystemMetric::ThroughputIn => delta(0),
                SystemMetric::ThroughputOut => delta(1),
                SystemMetric::Goodput => delta(5),
                SystemMetric::Dropped => delta(2),
                SystemMetric::DeadLettered => delta(3),
                SystemMetric::Lost => delta(4),
                SystemMetric::InFlight => in_flight as f32,
                SystemMetric::EndToEndP50 => p50 as f32,
                SystemMetric::EndToEndP99 => p99 as f32,
            };
            self.lines[metric as usize].push(v);
        }
        self.prev = counts;
    }

    fn halve(&mut self) {
        for metric in SystemMetric::ALL {
            merge_pairs(&mut self.lines[metric as usize], metric.merge());
        }
    }
}

/// One node's lines.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSeries {
    pub id: String,
    pub kind: Kind,
    lines: Vec<(Metric, Vec<f32>)>,
    /// Counts at the previous sample (signed: the warm-up reset moves them).
    prev_in: i64,
    prev_out: i64,
    prev_dropped: i64,
    prev_good: i64,
    prev_throttled: i64,
}

impl NodeSeries {
    /// The metrics this node records, in chart order.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.lines.iter().map(|(m, _)| *m)
    }

    /// The values of `metric`, one per [`Series::times`] entry, if this
    /// node records it.
    pub fn values(&self, metric: Metric) -> Option<&[f32]> {
        self.lines
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, v)| v.as_slice())
    }
}

/// One edge's line: messages carried per second.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeSeries {
    pub from: String,
    pub to: String,
    pub throughput: Vec<f32>,
    prev: u64,
}

/// Every node's and edge's time series of a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    interval_ns: u64,
    capacity: usize,
    /// The end of each point's interval, ns.
    times: Vec<u64>,
    nodes: Vec<NodeSeries>,
    edges: Vec<EdgeSeries>,
    system: SystemSeries,
    /// The start of the interval being measured now.
    open_since: u64,
}

impl Series {
    /// Empty series for a run of `duration_ns`, at most `capacity` points
    /// per line (rounded up to an even number, at least 4).
    ///
    /// `latency`: whether the latency percentile lines (a node's p50 and
    /// p99 latency and staleness, the system's end-to-end p50 and p99)
    /// are kept. A run whose series nobody charts leaves them out, and its
    /// nodes skip the interval histograms behind them.
    pub(crate) fn new(
        topo: &[NodeTopo],
        edges: &[EdgeTopo],
        duration_ns: u64,
        capacity: usize,
        latency: bool,
    ) -> Self {
        let capacity = capacity.max(4).next_multiple_of(2);
        Self {
            interval_ns: first_interval(duration_ns, capacity),
            capacity,
            times: Vec::new(),
            nodes: topo
                .iter()
                .map(|t| NodeSeries {
                    id: t.id.clone(),
                    kind: t.kind,
                    lines: t
                        .kind
                        .series()
                        .iter()
                        .filter(|m| latency || !m.is_latency())
                        .map(|&m| (m, Vec::new()))
                        .collect(),
                    prev_in: 0,
                    prev_out: 0,
                    prev_dropped: 0,
                    prev_good: 0,
                    prev_throttled: 0,
                })
                .collect(),
            edges: edges
                .iter()
                .map(|e| EdgeSeries {
                    from: topo[e.from.ix()].id.clone(),
                    to: topo[e.to.ix()].id.clone(),
                    throughput: Vec::new(),
                    prev: 0,
                })
                .collect(),
            system: SystemSeries {
                latency,
                ..SystemSeries::default()
            },
            open_since: 0,
        }
    }

    /// Leaves the latency percentile lines out from now on (before the
    /// first point): every other line stays as it is.
    pub(crate) fn drop_latency_lines(&mut self) {
        for node in &mut self.nodes {
            node.lines.retain(|(metric, _)| !metric.is_latency());
        }
        self.system.latency = false;
    }

    /// Charts the system's goodput line beside its completions (see
    /// [`SystemSeries::shows_goodput`]).
    pub(crate) fn show_goodput(&mut self) {
        self.system.goodput = true;
    }

    /// Adds a line its kind does not always have (goodput, throttled
    /// sends) to the node at `index` (before the first point).
    pub(crate) fn add_line(&mut self, index: usize, metric: Metric) {
        if let Some(node) = self.nodes.get_mut(index)
            && node.values(metric).is_none()
        {
            node.lines.push((metric, Vec::new()));
        }
    }

    /// The sampling interval now, in seconds (it doubles as the run grows
    /// past the capacity).
    #[expect(clippy::cast_precision_loss, reason = "display value")]
    pub fn interval_s(&self) -> f64 {
        self.interval_ns as f64 / 1e9
    }

    /// The sampling interval now, in nanoseconds.
    pub fn interval_ns(&self) -> u64 {
        self.interval_ns
    }

    /// The most points a line holds.
    pub fn capacity(&self) -> usize {
        self.capacity
    }

    /// Whether the latency percentile lines are kept (see
    /// [`crate::engine::Simulation::skip_latency_lines`]).
    pub fn keeps_latency(&self) -> bool {
        self.system.latency
    }

    /// The end of each point's interval, in simulated seconds.
    #[expect(clippy::cast_precision_loss, reason = "display value")]
    pub fn times(&self) -> impl ExactSizeIterator<Item = f64> + '_ {
        self.times.iter().map(|&t| t as f64 / 1e9)
    }

    /// The end of each point's interval, in nanoseconds of simulated time.
    pub fn times_ns(&self) -> &[u64] {
        &self.times
    }

    /// Points recorded so far.
    pub fn len(&self) -> usize {
        self.times.len()
    }

    pub fn is_empty(&self) -> bool {
        self.times.is_empty()
    }

    /// Every node's lines, in model order.
    pub fn nodes(&self) -> &[NodeSeries] {
        &self.nodes
    }

    /// Every edge's line, in model order.
    pub fn edges(&self) -> &[EdgeSeries] {
        &self.edges
    }

    /// The whole system's lines.
    pub fn system(&self) -> &SystemSeries {
        &self.system
    }

    /// A node's lines by id.
    pub fn node(&self, id: &str) -> Option<&NodeSeries> {
        self.nodes.iter().find(|n| n.id == id)
    }

    /// An edge's line by the ids of its ends.
    pub fn edge(&self, from: &str, to: &str) -> Option<&EdgeSeries> {
        self.edges.iter().find(|e| e.from == from && e.to == to)
    }

    /// When the next point is due ([`SimTime::NEVER`] once the intervals
    /// reach past the clock's range: no run gets there).
    pub(crate) fn next_due(&self) -> SimTime {
        SimTime(self.open_since) + Duration(self.interval_ns)
    }

    /// The warm-up is about to clear the counters: keep the interval's
    /// counts continuous across it.
    pub(crate) fn before_reset(&mut self, sim_stats: &[crate::metrics::NodeStats]) {
        for (line, st) in self.nodes.iter_mut().zip(sim_stats) {
            line.prev_in -= signed(st.arrived);
            line.prev_out -= signed(st.departed);
            line.prev_dropped -= signed(st.dropped());
            line.prev_good -= signed(st.answered + st.in_time);
            line.prev_throttled -= signed(st.throttled);
            self.system.in_time_before += st.in_time;
        }
    }

    /// Records one point at `at` from the simulation's counters, clearing
    /// the per-interval latencies.
    pub(crate) fn record(
        &mut self,
        at: SimTime,
        stats: &mut [crate::metrics::NodeStats],
        carried: &[u64],
        breakers: &dyn Fn(usize) -> Option<BreakerState>,
        lags: &dyn Fn(usize) -> u64,
        system: (&crate::report::Conservation, u64, &mut SystemTally),
    ) {
        let at = at.as_nanos();
        if self.times.len() == self.capacity {
            self.halve();
        }
        #[expect(clippy::cast_precision_loss, reason = "interval length")]
        let span_s = (at.saturating_sub(self.open_since)).max(1) as f64 / 1e9;
        #[expect(clippy::cast_possible_truncation, reason = "chart values")]
        let per_s = |delta: i64| (delta as f64 / span_s) as f32;
        let mut in_time = 0;
        for (i, (line, st)) in self.nodes.iter_mut().zip(stats.iter_mut()).enumerate() {
            in_time += st.in_time;
            let (arrived, departed, dropped, good, throttled) = (
                signed(st.arrived),
                signed(st.departed),
                signed(st.dropped()),
                signed(st.answered + st.in_time),
                signed(st.throttled),
            );
            let latency = st.interval.p50_p99();
            st.interval.clear();
            let staleness = st.interval_staleness.p50_p99();
            st.interval_staleness.clear();
            for (metric, values) in &mut line.lines {
                #[expect(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
                let v = match metric {
                    Metric::ThroughputIn => per_s(arrived - line.prev_in),
                    Metric::ThroughputOut => per_s(departed - line.prev_out),
                    Metric::Dropped => per_s(dropped - line.prev_dropped),
                    Metric::Depth => st.depth.value() as f32,
                    Metric::Busy => st.busy.value() as f32,
                    Metric::LatencyP50 => latency.0 as f32,
                    Metric::LatencyP99 => latency.1 as f32,
                    Metric::Instances => st.instances.value() as f32,
                    Metric::Breaker => match breakers(i) {
                        Some(BreakerState::Open) => 1.0,
                        Some(BreakerState::HalfOpen) => 0.5,
                        Some(BreakerState::Closed) | None => 0.0,
                    },
                    Metric::Lag => lags(i) as f32,
                    Metric::StalenessP50 => staleness.0 as f32,
                    Metric::StalenessP99 => staleness.1 as f32,
                    Metric::Goodput => per_s(good - line.prev_good),
                    Metric::Throttled => per_s(throttled - line.prev_throttled),
                };
                values.push(v);
            }
            line.prev_in = arrived;
            line.prev_out = departed;
            line.prev_dropped = dropped;
            line.prev_good = good;
            line.prev_throttled = throttled;
        }
        for (line, &count) in self.edges.iter_mut().zip(carried) {
            #[expect(clippy::cast_possible_wrap, reason = "counts stay below i64::MAX")]
            line.throughput
                .push(per_s(count.wrapping_sub(line.prev) as i64));
            line.prev = count;
        }
        let (totals, in_flight, tally) = system;
        #[expect(clippy::cast_possible_wrap, reason = "counts stay below i64::MAX")]
        self.system
            .record(totals, in_flight, tally, in_time, &|delta| {
                per_s(delta as i64)
            });
        self.times.push(at);
        self.open_since = at;
    }

    /// Merges neighbouring points in pairs and doubles the interval.
    fn halve(&mut self) {
        let n = self.times.len() / 2;
        for k in 0..n {
            self.times[k] = self.times[2 * k + 1];
        }
        self.times.truncate(n);
        for line in &mut self.nodes {
            for (metric, values) in &mut line.lines {
                merge_pairs(values, metric.merge());
            }
        }
        for line in &mut self.edges {
            merge_pairs(&mut line.throughput, Merge::Mean);
        }
        self.system.halve();
        self.interval_ns = self.interval_ns.saturating_mul(2);
    }

    /// The series as "long" CSV, one value per row:
    /// `sim_time_s,node,metric,value`, in time order, then nodes in model
    /// order and their metrics in their kind's order ([`Kind::series`]), then edges (named
    /// `from->to`, metric `throughput_per_s`). Each row's time is the end
    /// of the interval it describes.
    pub fn to_csv(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::from("sim_time_s,node,metric,value\n");
        for (k, t) in self.times().enumerate() {
            for node in &self.nodes {
                for (metric, values) in &node.lines {
                    let _ = writeln!(
                        out,
                        "{t},{},{},{}",
                        crate::export::csv::field(&node.id),
                        metric.key(),
                        values[k]
                    );
                }
            }
            for edge in &self.edges {
                let name = format!("{}->{}", edge.from, edge.to);
                let _ = writeln!(
                    out,
                    "{t},{},throughput_per_s,{}",
                    crate::export::csv::field(&name),
                    edge.throughput[k]
                );
            }
        }
        out
    }
}

/// Halves a line: each pair of neighbours becomes one point.
fn merge_pairs(values: &mut Vec<f32>, merge: Merge) {
    let n = values.len() / 2;
    for k in 0..n {
        let (a, b) = (values[2 * k], values[2 * k + 1]);
        values[k] = match merge {
            Merge::Mean => (a + b) / 2.0,
            Merge::Max => a.max(b),
        };
    }
    values.truncate(n);
}

#[expect(clippy::cast_possible_wrap, reason = "counts stay below i64::MAX")]
fn signed(v: u64) -> i64 {
    v as i64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Simulation;
    use crate::model::file::from_str;
    use crate::time::{NANOS_PER_SEC, SimTime};

    fn secs(s: u64) -> SimTime {
        SimTime(s * NANOS_PER_SEC)
    }

    const MM1: &str = r#"(
        version: 1,
        name: "mm1",
        scenario: (duration: "100s", warmup: "10s", seed: 11),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
            (id: "q", kind: Queue()),
            (id: "worker", kind: Consumer(service: Exponential(mean: "5ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
    )"#;

    fn sim(capacity: usize) -> Simulation {
        let (model, _) = from_str(MM1).expect("model");
        let mut sim = Simulation::new(&model, 11).expect("sim");
        sim.set_series_capacity(capacity);
        sim
    }

    #[test]
    fn points_stay_bounded_and_cover_the_run() {
        let mut s = sim(16);
        s.run_until(secs(100)).expect("runs");
        let series = s.series();
        assert!(
            (8..=16).contains(&series.len()),
            "between half and full capacity, got {}",
            series.len()
        );
        let last = series.times().last().expect("points");
        assert!(
            (last - 100.0).abs() < 1e-9,
            "the last point ends the run: {last}"
        );
        // 100 s over 16 points halved at least once.
        assert!(
            series.interval_s() >= 100.0 / 16.0,
            "{}",
            series.interval_s()
        );
    }

    #[test]
    fn throughput_matches_the_counts() {
        let mut s = sim(512);
        s.run_until(secs(100)).expect("runs");
        let series = s.series();
        let worker = series.node("worker").expect("worker line");
        let out = worker.values(Metric::ThroughputOut).expect("out");
        let dt = series.interval_s();
        let total: f64 = out.iter().map(|&v| f64::from(v) * dt).sum();
        // Every departure over the whole run, warm-up included: about 100/s.
        assert!(
            (total / 100.0 - 100.0).abs() < 6.0,
            "mean rate {}",
            total / 100.0
        );
        let p99 = worker.values(Metric::LatencyP99).expect("p99");
        let p50 = worker.values(Metric::LatencyP50).expect("p50");
        assert!(p99.iter().zip(p50).all(|(a, b)| a >= b), "p99 ≥ p50");
        assert!(p50.iter().any(|&v| v > 0.0), "latencies are recorded");
    }

    #[test]
    fn the_systems_lines_add_up_to_its_totals() {
        let (model, _) = from_str(MM1).expect("model");
        let mut s = Simulation::new(&model, 11).expect("sim");
        s.set_series_capacity(16);
        s.run_until(secs(100)).expect("runs");
        let result = crate::report::collect(&s);
        let series = s.series();
        let system = series.system();
        let dt = series.interval_s();
        let total =
            |m: SystemMetric| -> f64 { system.values(m).iter().map(|&v| f64::from(v) * dt).sum() };
        #[expect(clippy::cast_precision_loss, reason = "test counts")]
        let (emitted, completed) = (
            result.conservation.emitted as f64,
            result.conservation.completed as f64,
        );
        for (metric, count) in [
            (SystemMetric::ThroughputIn, emitted),
            (SystemMetric::ThroughputOut, completed),
        ] {
            assert!(
                (total(metric) - count).abs() < count * 1e-3,
                "{metric:?}: {} against {count}",
                total(metric)
            );
        }
        for metric in SystemMetric::ALL {
            assert_eq!(system.values(metric).len(), series.len(), "{metric:?}");
        }
        assert_eq!(total(SystemMetric::Dropped), 0.0);
        let (p50, p99) = (
            system.values(SystemMetric::EndToEndP50),
            system.values(SystemMetric::EndToEndP99),
        );
        assert!(
            p50.iter().any(|&v| v > 0.0),
            "end-to-end latencies recorded"
        );
        assert!(p99.iter().zip(p50).all(|(a, b)| a >= b), "p99 ≥ p50");
        assert!(
            system
                .values(SystemMetric::InFlight)
                .iter()
                .any(|&v| v > 0.0),
            "messages in flight"
        );
    }

    #[test]
    fn the_systems_goodput_counts_the_answers_still_awaited() {
        let total = |s: &Simulation, m: SystemMetric| -> f64 {
            let series = s.series();
            let dt = series.interval_s();
            series
                .system()
                .values(m)
                .iter()
                .map(|&v| f64::from(v) * dt)
                .sum()
        };
        // Without deadlines or waiting clients goodput is the completions,
        // recorded but not charted.
        let (model, _) = from_str(MM1).expect("model");
        let mut s = Simulation::new(&model, 11).expect("sim");
        s.run_until(secs(100)).expect("runs");
        let system = s.series().system();
        assert!(!system.shows_goodput());
        assert_eq!(
            system.values(SystemMetric::Goodput),
            system.values(SystemMetric::ThroughputOut)
        );
        // A client that waits 200 ms for work of 100–300 ms: about half its
        // sends are answered in time, and every send completes.
        let text = r#"(
            version: 1,
            name: "impatient",
            scenario: (duration: "100s", seed: 3),
            nodes: [
                (id: "app", kind: Producer(arrival: Poisson(rate: 20.0),
                    client: (timeout: "200ms", retry: Fixed(delay: "50ms", max_attempts: 2)))),
                (id: "q", kind: Queue()),
                (id: "srv", kind: Consumer(instances: 100, service: Uniform(min: "100ms", max: "300ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "app", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
        )"#;
        let (model, _) = from_str(text).expect("model");
        let mut s = Simulation::new(&model, 3).expect("sim");
        s.run_until(secs(100)).expect("runs");
        let result = crate::report::collect(&s);
        assert!(s.series().system().shows_goodput());
        let answered = crate::metric(&result, "app", "answered");
        #[expect(clippy::cast_precision_loss, reason = "test counts")]
        let completed = result.conservation.completed as f64;
        let (good, out) = (
            total(&s, SystemMetric::Goodput),
            total(&s, SystemMetric::ThroughputOut),
        );
        assert!(
            (good - answered).abs() < 1e-3 * answered,
            "{good} against {answered}"
        );
        assert!(
            (out - completed).abs() < 1e-3 * completed,
            "{out} against {completed}"
        );
        assert!(
            (0.4..0.6).contains(&(good / out)),
            "{good} of {out} completions were still awaited"
        );
    }

    #[test]
    fn a_crash_counts_as_lost_not_dropped() {
        let text = r#"(
            version: 1,
            name: "crash",
            scenario: (duration: "40s", seed: 5, faults: [
                (at: "10s", duration: "10s", node: "worker", effect: Crash),
            ]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "worker", kind: Consumer(service: Exponential(mean: "20ms"), concurrency: 4)),
            ],
            edges: [(from: "src", to: "worker")],
        )"#;
        let (model, _) = from_str(text).expect("model");
        let mut s = Simulation::new(&model, 5).expect("sim");
        s.run_until(secs(40)).expect("runs");
        let result = crate::report::collect(&s);
        let system = s.series().system();
        let dt = s.series().interval_s();
        let total =
            |m: SystemMetric| -> f64 { system.values(m).iter().map(|&v| f64::from(v) * dt).sum() };
        #[expect(clippy::cast_precision_loss, reason = "test counts")]
        let dropped = (result.conservation.dropped + result.conservation.lost) as f64;
        assert!(dropped > 0.0, "the crash loses messages");
        assert!(
            (total(SystemMetric::Lost) + total(SystemMetric::Dropped) - dropped).abs()
                < dropped * 1e-3 + 1e-6,
            "lost {} + dropped {} = {dropped}",
            total(SystemMetric::Lost),
            total(SystemMetric::Dropped)
        );
        assert!(
            total(SystemMetric::Lost) > 0.0,
            "sent to a crashed consumer: lost"
        );
    }

    #[test]
    fn recording_does_not_change_the_results() {
        let (model, _) = from_str(MM1).expect("model");
        let plain = crate::run_once(&model, 5).expect("runs");
        let mut coarse = Simulation::new(&model, 5).expect("sim");
        coarse.set_series_capacity(4);
        let coarse = coarse.run().expect("runs");
        assert_eq!(plain.nodes, coarse.nodes);
        assert_eq!(plain.conservation, coarse.conservation);
        assert_eq!(plain.events, coarse.events);
    }

    #[test]
    fn halving_merges_means_and_keeps_peaks() {
        let mut means = vec![1.0_f32, 3.0, 0.0, 8.0, 5.0];
        merge_pairs(&mut means, Metric::Depth.merge());
        assert_eq!(means, vec![2.0, 4.0]);
        let mut peaks = vec![1.0_f32, 3.0, 9.0, 8.0];
        merge_pairs(&mut peaks, Metric::LatencyP99.merge());
        assert_eq!(peaks, vec![3.0, 9.0]);
    }

    #[test]
    fn csv_has_a_row_per_point_and_line() {
        let mut s = sim(32);
        s.run_until(secs(50)).expect("runs");
        let csv = s.series().to_csv();
        let mut lines = csv.lines();
        assert_eq!(lines.next(), Some("sim_time_s,node,metric,value"));
        let rows: Vec<&str> = lines.collect();
        assert!(
            rows.iter()
                .any(|r| r.contains(",src,throughput_out_per_s,"))
        );
        assert!(rows.iter().any(|r| r.contains(",worker,latency_p99_s,")));
        assert!(
            rows.iter()
                .any(|r| r.contains(",q->worker,throughput_per_s,"))
        );
        let per_point: usize = s
            .series()
            .nodes()
            .iter()
            .map(|n| n.metrics().count())
            .sum::<usize>()
            + s.series().edges().len();
        assert_eq!(rows.len(), s.series().len() * per_point);
    }
}
