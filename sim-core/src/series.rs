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
//! A node's and an edge's lines are kept as runs of equal values
//! ([`Line`]), and a node that nothing happened to since a point that
//! was itself quiet repeats that point without working any value out: a
//! quiet node costs a comparison of its counters per point and a few
//! bytes per line, whatever the length of its quiet stretch.
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

use crate::engine::{EdgeTopo, NodeIx, NodeTopo};
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

impl Merge {
    /// The point that neighbours `a` and `b` become.
    fn of(self, a: f32, b: f32) -> f32 {
        match self {
            Self::Mean => (a + b) / 2.0,
            Self::Max => a.max(b),
        }
    }
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

/// One line's values over time, kept as runs of equal values: a stretch
/// in which nothing changes costs one entry however long it is.
#[derive(Clone, Debug, Default, PartialEq)]
struct Line {
    /// Each value (compared bit for bit) and how many points in a row
    /// have it.
    runs: Vec<(f32, u32)>,
    len: usize,
}

impl Line {
    /// Adds a point.
    fn push(&mut self, value: f32) {
        match self.runs.last_mut() {
            Some((last, n)) if last.to_bits() == value.to_bits() && *n < u32::MAX => *n += 1,
            _ => self.runs.push((value, 1)),
        }
        self.len += 1;
    }

    /// Adds `count` points of `value`.
    fn push_n(&mut self, value: f32, mut count: usize) {
        while count > 0 {
            let room = match self.runs.last_mut() {
                Some((last, n)) if last.to_bits() == value.to_bits() && *n < u32::MAX => {
                    let room = u32::try_from(count).unwrap_or(u32::MAX).min(u32::MAX - *n);
                    *n += room;
                    room
                }
                _ => {
                    let first = u32::try_from(count).unwrap_or(u32::MAX);
                    self.runs.push((value, first));
                    first
                }
            };
            self.len += room as usize;
            count -= room as usize;
        }
    }

    /// Adds `count` points equal to the last one (nothing when there is
    /// none).
    fn repeat_last(&mut self, count: usize) {
        if let Some(&(value, _)) = self.runs.last() {
            self.push_n(value, count);
        }
    }

    /// The newest value.
    fn last(&self) -> Option<f32> {
        self.runs.last().map(|&(value, _)| value)
    }

    /// Each pair of neighbours becomes one point (an odd last point is
    /// dropped), as [`merge_pairs`] does for a plain vector, in time
    /// proportional to the runs.
    fn halve(&mut self, merge: Merge) {
        let mut halved = Self::default();
        // The second half of a pair that starts in the previous run.
        let mut open: Option<f32> = None;
        for &(value, n) in &self.runs {
            let mut n = n as usize;
            if let Some(first) = open.take() {
                halved.push(merge.of(first, value));
                n -= 1;
            }
            halved.push_n(merge.of(value, value), n / 2);
            if n % 2 == 1 {
                open = Some(value);
            }
        }
        *self = halved;
    }
}

/// A line's values as recorded so far: one per [`Series::times`] entry.
#[derive(Clone, Copy, Debug)]
pub struct Values<'a> {
    line: &'a Line,
    /// Points after the line's that repeat its last value.
    more: usize,
}

impl<'a> Values<'a> {
    /// Points in the line.
    pub fn len(&self) -> usize {
        self.line.len + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The values, one per point, oldest first.
    pub fn iter(&self) -> impl Iterator<Item = f32> + 'a {
        let more = self.more;
        let last = self.line.last();
        self.line
            .runs
            .iter()
            .flat_map(|&(value, n)| std::iter::repeat_n(value, n as usize))
            .chain(
                last.into_iter()
                    .flat_map(move |v| std::iter::repeat_n(v, more)),
            )
    }

    /// The values as a vector, one per point.
    pub fn to_vec(&self) -> Vec<f32> {
        let mut values = Vec::with_capacity(self.len());
        values.extend(self.iter());
        values
    }

    /// The newest value.
    pub fn last(&self) -> Option<f32> {
        self.line.last()
    }

    /// The value of point `k`.
    pub fn get(&self, k: usize) -> Option<f32> {
        let mut start = 0;
        for &(value, n) in &self.line.runs {
            start += n as usize;
            if k < start {
                return Some(value);
            }
        }
        (k < self.len()).then(|| self.last()).flatten()
    }
}

impl PartialEq for Values<'_> {
    /// Point by point, as slices of the values compare.
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

/// What a node's points are worked out from, as it stood at a point:
/// when nothing in it has changed since a quiet point, the next point is
/// that one again.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Reading {
    /// Counts (signed: the warm-up reset moves the previous ones).
    arrived: i64,
    departed: i64,
    dropped: i64,
    good: i64,
    throttled: i64,
    /// Completions by their deadline (part of `good`; summed over the
    /// nodes for the system's goodput).
    in_time: i64,
    /// Levels at the point.
    depth: u64,
    busy: u64,
    instances: u64,
    breaker: u8,
    lag: u64,
}

impl Reading {
    fn of(st: &crate::metrics::NodeStats, breaker: Option<BreakerState>, lag: u64) -> Self {
        Self {
            arrived: signed(st.arrived),
            departed: signed(st.departed),
            dropped: signed(st.dropped()),
            good: signed(st.answered + st.in_time),
            throttled: signed(st.throttled),
            in_time: signed(st.in_time),
            depth: st.depth.value(),
            busy: st.busy.value(),
            instances: st.instances.value(),
            breaker: match breaker {
                Some(BreakerState::Open) => 2,
                Some(BreakerState::HalfOpen) => 1,
                Some(BreakerState::Closed) | None => 0,
            },
            lag,
        }
    }

    /// Whether no count moved between `self` and `later`.
    fn same_counts(&self, later: &Self) -> bool {
        (
            self.arrived,
            self.departed,
            self.dropped,
            self.good,
            self.throttled,
        ) == (
            later.arrived,
            later.departed,
            later.dropped,
            later.good,
            later.throttled,
        )
    }
}

/// One node's lines.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSeries {
    pub id: String,
    pub kind: Kind,
    lines: Vec<(Metric, Line)>,
    /// Points after the lines' own that repeat each line's last value
    /// (quiet points not yet written down).
    repeats: usize,
    /// The node as it stood at the previous point.
    prev: Reading,
    /// Whether the previous point was quiet: no count moved over its
    /// interval and no latency was recorded, so its rates and percentiles
    /// are zero and its levels are the reading's.
    quiet: bool,
    /// Points accounted for in the lines and `repeats`: the points after
    /// these, up to [`Series::len`], repeat the last too (a node nothing
    /// touched is not visited; see [`Series::touched`]).
    seen: usize,
}

impl NodeSeries {
    /// The metrics this node records, in chart order.
    pub fn metrics(&self) -> impl Iterator<Item = Metric> + '_ {
        self.lines.iter().map(|(m, _)| *m)
    }

    /// The values of `metric`, one per [`Series::times`] entry, if this
    /// node records it.
    pub fn values(&self, metric: Metric) -> Option<Values<'_>> {
        self.lines
            .iter()
            .find(|(m, _)| *m == metric)
            .map(|(_, line)| Values {
                line,
                more: self.repeats,
            })
    }

    /// Counts the points up to `points` that were not visited as repeats.
    fn catch_up(&mut self, points: usize) {
        self.repeats += points - self.seen;
        self.seen = points;
    }

    /// Writes the repeated quiet points into the lines.
    fn settle(&mut self) {
        if self.repeats > 0 {
            for (_, line) in &mut self.lines {
                line.repeat_last(self.repeats);
            }
            self.repeats = 0;
        }
    }
}

/// One edge's line: messages carried per second.
#[derive(Clone, Debug, PartialEq)]
pub struct EdgeSeries {
    pub from: String,
    pub to: String,
    throughput: Line,
    /// Points after the line's own that carried nothing, as the last did.
    repeats: usize,
    prev: u64,
    /// Points accounted for in the line and `repeats` (as
    /// [`NodeSeries`]'s).
    seen: usize,
    /// The nodes it joins (their places in [`Series::nodes`]).
    from_node: u32,
    to_node: u32,
}

impl EdgeSeries {
    /// Messages carried per second, one value per [`Series::times`] entry.
    pub fn throughput(&self) -> Values<'_> {
        Values {
            line: &self.throughput,
            more: self.repeats,
        }
    }

    /// Counts the points up to `points` that were not visited as repeats.
    fn catch_up(&mut self, points: usize) {
        self.repeats += points - self.seen;
        self.seen = points;
    }

    /// Writes the repeated quiet points into the line.
    fn settle(&mut self) {
        self.throughput.repeat_last(self.repeats);
        self.repeats = 0;
    }
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
    /// Per node: whether its next point is to be worked out. The engine
    /// sets it whenever an event changes anything the node's lines read
    /// ([`crate::engine::Simulation::touch`]); a point clears it once the
    /// node was quiet. A node left alone repeats its quiet point without
    /// being visited, so a point costs the nodes that moved, not the
    /// drawing.
    pub(crate) touched: Vec<bool>,
    /// The edges out of each node: node `i`'s are
    /// `out_edges[out_start[i]..out_start[i + 1]]`; and into each node,
    /// alike. A message that crosses an edge touches both its ends, so
    /// the engine need not say so: a point spreads the touches along the
    /// edges that carried since the last.
    out_start: Vec<u32>,
    out_edges: Vec<u32>,
    in_start: Vec<u32>,
    in_edges: Vec<u32>,
    /// The nodes a point's spreading is still to look around (kept for
    /// its storage).
    reached: Vec<u32>,
    /// Per node: whether this point's spreading looked along its edges
    /// out already, and the nodes so marked. A broker feeding many
    /// touched readers is looked at once, not once per reader.
    probed: Vec<bool>,
    probed_list: Vec<u32>,
    /// The edges the next point visits: those whose last point carried
    /// something, then those out of the nodes it visits.
    edge_due: Vec<u32>,
    /// Per edge: whether it is in `edge_due`.
    edge_listed: Vec<bool>,
    /// The nodes' completions by their deadline as of their last visit.
    in_time: i64,
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
        let (out_start, out_edges) = by_node(topo.len(), edges, |e| e.from);
        let (in_start, in_edges) = by_node(topo.len(), edges, |e| e.to);
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
                        .map(|&m| (m, Line::default()))
                        .collect(),
                    repeats: 0,
                    prev: Reading::default(),
                    quiet: false,
                    seen: 0,
                })
                .collect(),
            edges: edges
                .iter()
                .map(|e| EdgeSeries {
                    from: topo[e.from.ix()].id.clone(),
                    to: topo[e.to.ix()].id.clone(),
                    throughput: Line::default(),
                    repeats: 0,
                    prev: 0,
                    seen: 0,
                    from_node: e.from.0,
                    to_node: e.to.0,
                })
                .collect(),
            system: SystemSeries {
                latency,
                ..SystemSeries::default()
            },
            open_since: 0,
            touched: vec![true; topo.len()],
            out_start,
            out_edges,
            in_start,
            in_edges,
            reached: Vec::new(),
            probed: vec![false; topo.len()],
            probed_list: Vec::new(),
            edge_due: Vec::new(),
            edge_listed: vec![false; edges.len()],
            in_time: 0,
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
            node.lines.push((metric, Line::default()));
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
            let prev = &mut line.prev;
            prev.arrived -= signed(st.arrived);
            prev.departed -= signed(st.departed);
            prev.dropped -= signed(st.dropped());
            prev.good -= signed(st.answered + st.in_time);
            prev.in_time -= signed(st.in_time);
            prev.throttled -= signed(st.throttled);
            self.in_time -= signed(st.in_time);
            self.system.in_time_before += st.in_time;
        }
        // Every node's counts move: each is worked out at the next point.
        self.touched.fill(true);
    }

    /// Brings every node's and edge's lines up to the last point: the
    /// points since a node was last visited repeat its quiet point. Each
    /// step of a run ends with this, so the lines read from outside are
    /// whole.
    pub(crate) fn catch_up(&mut self) {
        let points = self.times.len();
        for line in &mut self.nodes {
            line.catch_up(points);
        }
        for line in &mut self.edges {
            line.catch_up(points);
        }
    }

    /// Records one point at `at` from the simulation's counters, clearing
    /// the per-interval latencies. Only the nodes touched since they were
    /// last quiet are visited, and the edges out of them.
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
        let k = self.times.len();
        #[expect(clippy::cast_precision_loss, reason = "interval length")]
        let span_s = (at.saturating_sub(self.open_since)).max(1) as f64 / 1e9;
        #[expect(clippy::cast_possible_truncation, reason = "chart values")]
        let per_s = |delta: i64| (delta as f64 / span_s) as f32;
        self.spread_touches(carried);
        #[cfg(debug_assertions)]
        self.check_untouched(stats, carried, breakers, lags);
        for (i, st) in stats.iter_mut().enumerate() {
            if !self.touched[i] {
                continue;
            }
            // (Whatever touched the node may have sent along its edges,
            // though its own lines stay quiet.)
            let out = self.out_start[i] as usize..self.out_start[i + 1] as usize;
            for &e in &self.out_edges[out] {
                let listed = &mut self.edge_listed[e as usize];
                if !*listed {
                    *listed = true;
                    self.edge_due.push(e);
                }
            }
            let line = &mut self.nodes[i];
            line.catch_up(k);
            line.seen = k + 1;
            let now = Reading::of(st, breakers(i), lags(i));
            self.in_time += now.in_time - line.prev.in_time;
            let unrecorded = st.interval.is_empty() && st.interval_staleness.is_empty();
            let percentiles = || (st.interval.p50_p99(), st.interval_staleness.p50_p99());
            if line.quiet && unrecorded && now == line.prev {
                // Nothing happened since a quiet point: this one is the same.
                #[cfg(debug_assertions)]
                for (metric, values) in &line.lines {
                    assert_eq!(
                        values.last().map(f32::to_bits),
                        Some(point(*metric, &now, &line.prev, percentiles(), &per_s).to_bits()),
                        "{}'s {metric:?} repeated a quiet point that differs",
                        line.id
                    );
                }
                line.repeats += 1;
                self.touched[i] = false;
                continue;
            }
            line.settle();
            let latencies = percentiles();
            st.interval.clear();
            st.interval_staleness.clear();
            for (metric, values) in &mut line.lines {
                values.push(point(*metric, &now, &line.prev, latencies, &per_s));
            }
            line.quiet = unrecorded && line.prev.same_counts(&now);
            line.prev = now;
            // A node that moved is worked out again at the next point,
            // which finds it quiet or not.
            self.touched[i] = !line.quiet;
        }
        let mut due = std::mem::take(&mut self.edge_due);
        due.retain(|&e| {
            let (line, count) = (&mut self.edges[e as usize], carried[e as usize]);
            line.catch_up(k);
            line.seen = k + 1;
            if count == line.prev && line.throughput.last().map(f32::to_bits) == Some(0) {
                // Nothing crossed, and nothing did over the last point.
                line.repeats += 1;
                self.edge_listed[e as usize] = false;
                return false;
            }
            line.settle();
            #[expect(clippy::cast_possible_wrap, reason = "counts stay below i64::MAX")]
            line.throughput
                .push(per_s(count.wrapping_sub(line.prev) as i64));
            line.prev = count;
            true
        });
        self.edge_due = due;
        let (totals, in_flight, tally) = system;
        #[expect(
            clippy::cast_possible_wrap,
            clippy::cast_sign_loss,
            reason = "counts stay below i64::MAX; the nodes' total is never negative"
        )]
        self.system
            .record(totals, in_flight, tally, self.in_time as u64, &|delta| {
                per_s(delta as i64)
            });
        self.times.push(at);
        self.open_since = at;
    }

    /// Touches both ends of every edge that carried since the last point,
    /// found from the touched nodes: whatever a crossing changed at either
    /// end is then worked out.
    fn spread_touches(&mut self, carried: &[u64]) {
        let mut reached = std::mem::take(&mut self.reached);
        reached.clear();
        reached.extend(
            self.touched
                .iter()
                .enumerate()
                .filter(|&(_, &t)| t)
                .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX)),
        );
        while let Some(i) = reached.pop() {
            let i = i as usize;
            // Along the edges out of it, and out of each node that feeds
            // it: a node at work may make its broker hand messages to
            // other readers (a freed slot's acknowledgement wakes them).
            let into = self.in_start[i] as usize..self.in_start[i + 1] as usize;
            let feeders = self.in_edges[into]
                .iter()
                .map(|&e| self.edges[e as usize].from_node as usize);
            for node in std::iter::once(i).chain(feeders) {
                if std::mem::replace(&mut self.probed[node], true) {
                    continue;
                }
                self.probed_list
                    .push(u32::try_from(node).unwrap_or(u32::MAX));
                let out = self.out_start[node] as usize..self.out_start[node + 1] as usize;
                for &e in &self.out_edges[out] {
                    let edge = &self.edges[e as usize];
                    if carried[e as usize] == edge.prev {
                        continue;
                    }
                    for end in [edge.from_node, edge.to_node] {
                        let t = &mut self.touched[end as usize];
                        if !*t {
                            *t = true;
                            reached.push(end);
                        }
                    }
                }
            }
        }
        self.reached = reached;
        for &node in &self.probed_list {
            self.probed[node as usize] = false;
        }
        self.probed_list.clear();
    }

    /// Checks that every node and edge a point will not visit would have
    /// repeated its last point: nothing touched it, so nothing moved.
    #[cfg(debug_assertions)]
    fn check_untouched(
        &self,
        stats: &[crate::metrics::NodeStats],
        carried: &[u64],
        breakers: &dyn Fn(usize) -> Option<BreakerState>,
        lags: &dyn Fn(usize) -> u64,
    ) {
        for (i, (line, st)) in self.nodes.iter().zip(stats).enumerate() {
            if self.touched[i] {
                continue;
            }
            let now = Reading::of(st, breakers(i), lags(i));
            assert!(
                line.quiet
                    && now == line.prev
                    && st.interval.is_empty()
                    && st.interval_staleness.is_empty(),
                "{} changed untouched: {:?} after {:?} (quiet: {})",
                line.id,
                now,
                line.prev,
                line.quiet
            );
            let out = self.out_start[i] as usize..self.out_start[i + 1] as usize;
            for &e in &self.out_edges[out] {
                let (edge, count) = (&self.edges[e as usize], carried[e as usize]);
                assert!(
                    self.edge_listed[e as usize]
                        || (count == edge.prev
                            && edge.throughput.last().map(f32::to_bits) == Some(0)),
                    "{}->{} carried {count} untouched (was {})",
                    edge.from,
                    edge.to,
                    edge.prev
                );
            }
        }
    }

    /// Merges neighbouring points in pairs and doubles the interval.
    fn halve(&mut self) {
        self.catch_up();
        let n = self.times.len() / 2;
        for k in 0..n {
            self.times[k] = self.times[2 * k + 1];
        }
        self.times.truncate(n);
        for line in &mut self.nodes {
            line.settle();
            for (metric, values) in &mut line.lines {
                values.halve(metric.merge());
            }
            // The last point is now a merge: work the next one out afresh.
            line.quiet = false;
            line.seen = n;
        }
        self.touched.fill(true);
        for line in &mut self.edges {
            line.settle();
            line.throughput.halve(Merge::Mean);
            line.seen = n;
        }
        // So is each edge's.
        self.edge_due.clear();
        self.edge_due
            .extend((0..self.edges.len()).map(|e| u32::try_from(e).unwrap_or(u32::MAX)));
        self.edge_listed.fill(true);
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
        let nodes: Vec<Vec<Vec<f32>>> = self
            .nodes
            .iter()
            .map(|node| {
                node.metrics()
                    .filter_map(|metric| node.values(metric).map(|v| v.to_vec()))
                    .collect()
            })
            .collect();
        let edges: Vec<Vec<f32>> = self.edges.iter().map(|e| e.throughput().to_vec()).collect();
        for (k, t) in self.times().enumerate() {
            for (node, values) in self.nodes.iter().zip(&nodes) {
                for ((metric, _), values) in node.lines.iter().zip(values) {
                    let _ = writeln!(
                        out,
                        "{t},{},{},{}",
                        crate::export::csv::field(&node.id),
                        metric.key(),
                        values[k]
                    );
                }
            }
            for (edge, values) in self.edges.iter().zip(&edges) {
                let name = format!("{}->{}", edge.from, edge.to);
                let _ = writeln!(
                    out,
                    "{t},{},throughput_per_s,{}",
                    crate::export::csv::field(&name),
                    values[k]
                );
            }
        }
        out
    }
}

/// A node's point on `metric`: the node is `now`, it was `prev` at the
/// previous point, and `latencies` are the latency and the staleness
/// percentiles (p50, p99) of the interval.
#[expect(clippy::cast_precision_loss, clippy::cast_possible_truncation)]
fn point(
    metric: Metric,
    now: &Reading,
    prev: &Reading,
    latencies: ((f64, f64), (f64, f64)),
    per_s: &dyn Fn(i64) -> f32,
) -> f32 {
    let (latency, staleness) = latencies;
    match metric {
        Metric::ThroughputIn => per_s(now.arrived - prev.arrived),
        Metric::ThroughputOut => per_s(now.departed - prev.departed),
        Metric::Dropped => per_s(now.dropped - prev.dropped),
        Metric::Depth => now.depth as f32,
        Metric::Busy => now.busy as f32,
        Metric::LatencyP50 => latency.0 as f32,
        Metric::LatencyP99 => latency.1 as f32,
        Metric::Instances => now.instances as f32,
        Metric::Breaker => f32::from(now.breaker) / 2.0,
        Metric::Lag => now.lag as f32,
        Metric::StalenessP50 => staleness.0 as f32,
        Metric::StalenessP99 => staleness.1 as f32,
        Metric::Goodput => per_s(now.good - prev.good),
        Metric::Throttled => per_s(now.throttled - prev.throttled),
    }
}

/// The edges grouped by the node `end` gives each: node `i`'s are
/// `edges[start[i]..start[i + 1]]` of the returned `(start, edges)`, in
/// model order.
fn by_node(
    nodes: usize,
    edges: &[EdgeTopo],
    end: impl Fn(&EdgeTopo) -> NodeIx,
) -> (Vec<u32>, Vec<u32>) {
    let mut start = vec![0_u32; nodes + 1];
    for e in edges {
        start[end(e).ix() + 1] += 1;
    }
    for i in 0..nodes {
        start[i + 1] += start[i];
    }
    let mut grouped = vec![0_u32; edges.len()];
    let mut next = start.clone();
    for (k, e) in edges.iter().enumerate() {
        let at = &mut next[end(e).ix()];
        grouped[*at as usize] = u32::try_from(k).unwrap_or(u32::MAX);
        *at += 1;
    }
    (start, grouped)
}

/// Halves a line: each pair of neighbours becomes one point.
fn merge_pairs(values: &mut Vec<f32>, merge: Merge) {
    let n = values.len() / 2;
    for k in 0..n {
        values[k] = merge.of(values[2 * k], values[2 * k + 1]);
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
        let out = worker.values(Metric::ThroughputOut).expect("out").to_vec();
        let dt = series.interval_s();
        let total: f64 = out.iter().map(|&v| f64::from(v) * dt).sum();
        // Every departure over the whole run, warm-up included: about 100/s.
        assert!(
            (total / 100.0 - 100.0).abs() < 6.0,
            "mean rate {}",
            total / 100.0
        );
        let p99 = worker.values(Metric::LatencyP99).expect("p99").to_vec();
        let p50 = worker.values(Metric::LatencyP50).expect("p50").to_vec();
        assert!(p99.iter().zip(&p50).all(|(a, b)| a >= b), "p99 ≥ p50");
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

    /// Values from a small set, so that neighbours are often equal, with
    /// both zeros, NaN and infinity among them.
    fn values_from(codes: &[u8]) -> Vec<f32> {
        const SET: [f32; 8] = [0.0, -0.0, 1.0, 2.5, f32::NAN, f32::INFINITY, 3e38, 1e-3];
        codes
            .iter()
            .map(|&c| SET[usize::from(c) % SET.len()])
            .collect()
    }

    fn line_of(values: &[f32]) -> Line {
        let mut line = Line::default();
        for &v in values {
            line.push(v);
        }
        line
    }

    fn run_bits(line: &Line) -> Vec<(u32, u32)> {
        line.runs.iter().map(|&(v, n)| (v.to_bits(), n)).collect()
    }

    fn bits(values: impl IntoIterator<Item = f32>) -> Vec<u32> {
        values.into_iter().map(f32::to_bits).collect()
    }

    proptest::proptest! {
        /// A line of runs reads as the values pushed, bit for bit, and
        /// halves as a plain vector does, however its runs fall.
        #[test]
        fn a_line_of_runs_is_its_values(codes in proptest::collection::vec(0_u8..24, 0..80)) {
            // Long stretches of one value as well as alternations.
            let values: Vec<f32> = values_from(&codes)
                .into_iter()
                .zip(&codes)
                .flat_map(|(v, &c)| std::iter::repeat_n(v, usize::from(c / 8) * 3 + 1))
                .collect();
            let line = line_of(&values);
            // Read whole, and with the last few points as repeats.
            let repeated = values.iter().rev().skip(1).take_while(|v| v.to_bits() == values[values.len() - 1].to_bits()).count();
            let mut shorter = line_of(&values[..values.len() - repeated]);
            let reads = [Values { line: &line, more: 0 }, Values { line: &shorter, more: repeated }];
            for read in reads {
                proptest::prop_assert_eq!(read.len(), values.len());
                proptest::prop_assert_eq!(bits(read.iter()), bits(values.iter().copied()));
                proptest::prop_assert_eq!(bits(read.to_vec()), bits(values.iter().copied()));
                proptest::prop_assert_eq!(read.last().map(f32::to_bits), values.last().map(|v| v.to_bits()));
                for k in 0..=values.len() {
                    proptest::prop_assert_eq!(read.get(k).map(f32::to_bits), values.get(k).map(|v| v.to_bits()));
                }
            }
            // Written down, the repeats make the same runs.
            shorter.repeat_last(repeated);
            proptest::prop_assert_eq!(run_bits(&shorter), run_bits(&line));
            proptest::prop_assert_eq!(shorter.len, line.len);
            // Runs are as few as the values allow: no two neighbours alike.
            proptest::prop_assert!(line.runs.windows(2).all(|w| w[0].0.to_bits() != w[1].0.to_bits()));
            for merge in [Merge::Mean, Merge::Max] {
                let (mut halved, mut plain) = (line.clone(), values.clone());
                for _ in 0..3 {
                    halved.halve(merge);
                    merge_pairs(&mut plain, merge);
                    let read = Values { line: &halved, more: 0 };
                    proptest::prop_assert_eq!(bits(read.iter()), bits(plain.iter().copied()));
                    proptest::prop_assert_eq!(halved.len, plain.len());
                    // The same runs as pushing the halved values afresh.
                    proptest::prop_assert_eq!(run_bits(&halved), run_bits(&line_of(&plain)));
                }
            }
        }
    }

    #[test]
    fn pushing_many_alike_counts_them_in_one_run() {
        let mut line = Line::default();
        line.push_n(2.0, 5);
        line.repeat_last(1);
        line.push(3.0);
        line.push_n(3.0, 2);
        assert_eq!(line.runs, vec![(2.0, 6), (3.0, 3)]);
        assert_eq!(line.len, 9);
        let mut empty = Line::default();
        empty.repeat_last(3);
        assert_eq!(empty.len, 0, "nothing to repeat");
    }

    /// Nodes that see a message now and then keep lines of a few runs:
    /// their quiet points repeat the one before, and still read as the
    /// points worked out one by one (the engine checks each repeat in
    /// debug builds).
    /// A trickle of messages through one chain, and a chain that stays
    /// idle (nodes 4 to 6).
    const TRICKLE: &str = r#"(
        version: 1,
        name: "trickle",
        scenario: (duration: "100s", warmup: "0s", seed: 3),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 0.1))),
            (id: "q", kind: Queue()),
            (id: "worker", kind: Consumer(service: Constant("50ms"))),
            (id: "out", kind: Sink()),
            (id: "rare", kind: Producer(arrival: Poisson(rate: 0.000001))),
            (id: "idle", kind: Queue()),
            (id: "spare", kind: Consumer(service: Constant("50ms"))),
        ],
        edges: [
            (from: "src", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "out"),
            (from: "rare", to: "idle"), (from: "idle", to: "spare"),
        ],
    )"#;

    #[test]
    fn quiet_stretches_cost_a_run_each() {
        let text = TRICKLE;
        let (model, _) = from_str(text).expect("model");
        let mut sim = Simulation::new(&model, 3).expect("sim");
        sim.run_until(secs(100)).expect("runs");
        let series = sim.series();
        assert_eq!(series.len(), DEFAULT_CAPACITY / 2);
        let arrivals = crate::metric(&sim.result(), "worker", "arrived");
        assert!((3.0..30.0).contains(&arrivals), "a trickle: {arrivals}");
        #[expect(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
        let arrivals = arrivals as usize;
        for node in series.nodes() {
            for metric in node.metrics().collect::<Vec<_>>() {
                let line = node.values(metric).expect("line");
                assert_eq!(line.len(), series.len());
                // At most a run for the point a message shows in and one
                // for the quiet after it, per message, and one to start.
                let most = 2 * arrivals + 2;
                assert!(
                    line.line.runs.len() <= most,
                    "{}'s {metric:?}: {} runs for {arrivals} messages",
                    node.id,
                    line.line.runs.len()
                );
            }
        }
        let idle = series.node("idle").expect("idle");
        for metric in idle.metrics().collect::<Vec<_>>() {
            assert_eq!(
                idle.values(metric).expect("line").line.runs.len(),
                1,
                "{metric:?}"
            );
        }
        // After its first point the idle queue was never worked out again.
        assert_eq!(idle.repeats, series.len() - 1);
    }

    #[test]
    fn a_point_visits_only_the_nodes_that_moved() {
        let text = TRICKLE;
        let (model, _) = from_str(text).expect("model");
        let mut sim = Simulation::new(&model, 3).expect("sim");
        // The first points work every node out; from then on the idle
        // chain is never touched, and the trickle only around its messages.
        sim.run_until(secs(2)).expect("runs");
        let (mut busy, mut quiet) = (0, 0);
        for s in 3..=100 {
            sim.run_until(secs(s)).expect("runs");
            let touched = &sim.series.touched;
            assert!(
                !touched[4] && !touched[5] && !touched[6],
                "the idle chain is left alone at {s} s"
            );
            if touched[..4].iter().any(|&t| t) {
                busy += 1;
            } else {
                quiet += 1;
            }
        }
        assert!(
            busy > 0 && quiet > busy,
            "{busy} busy, {quiet} quiet seconds"
        );
        // Left alone, the idle chain still has a point for every point.
        let series = sim.series();
        for id in ["rare", "idle", "spare"] {
            let node = series.node(id).expect("node");
            for metric in node.metrics().collect::<Vec<_>>() {
                assert_eq!(node.values(metric).expect("line").len(), series.len());
            }
        }
        for edge in series.edges() {
            assert_eq!(edge.throughput().len(), series.len());
        }
    }
}
