//! The engine's side of service level objectives ([`crate::slo`]): what
//! each objective reads, the base reading when the warm-up ends, and the
//! window steps, taken where the time series are sampled.

use super::Simulation;
use super::arena::{EdgeIx, NodeIx, Slot};
use crate::histogram::LogHistogram;
use crate::metrics::{DropReason, Latency, Level};
use crate::model::Model;
use crate::nodes::Kind;
use crate::slo::{LatencyOf, LossOf, Objective, Reading, SloRun, SloTarget, Tracker};
use crate::time::{Duration, SimTime};

/// Where an objective's numbers come from.
#[derive(Clone, Copy, Debug)]
enum Probe {
    /// A node's latency histogram.
    Latency(NodeIx, LatencyOf),
    /// A projection's staleness.
    Staleness(Slot),
    /// One of the watch's own latency histograms (the system's, a path's).
    Recorded(usize),
    /// Messages through one of the watch's own histograms.
    RecordedCount(usize),
    /// A queue's depth.
    Depth(NodeIx),
    /// A log's largest consumer lag, in records.
    LogLag(Slot),
    /// A log's largest consumer lag, in seconds.
    LogAge(Slot),
    /// A node's losses among its arrivals.
    NodeLoss(NodeIx, LossOf),
    /// The system's losses among every message.
    SystemLoss(LossOf),
    /// Messages leaving a node.
    Departed(NodeIx),
    /// Messages crossing an edge.
    Carried(EdgeIx),
    /// Messages completing anywhere.
    Completed,
    /// A node's down time.
    Down(NodeIx),
}

/// End-to-end latencies the engine does not keep per node: the whole
/// system's (`from` and `to` both [`NodeIx::NONE`]) or a path's.
#[derive(Clone, Debug)]
struct Recorded {
    from: NodeIx,
    to: NodeIx,
    latency: Latency,
}

/// Every objective of a run, measured as it goes.
#[derive(Clone, Debug)]
pub(crate) struct Watch {
    trackers: Vec<Tracker>,
    probes: Vec<Probe>,
    recorded: Vec<Recorded>,
    /// Per node: 1 while down (only when an objective bounds availability).
    down: Vec<Level>,
    scratch: LogHistogram,
    /// When the next window step is due (`SimTime::LAST`: never).
    pub next_due: SimTime,
}

impl Watch {
    /// The watch over `model`'s objectives, for a simulation whose nodes
    /// and edges are compiled in model order; `None` without objectives.
    pub fn compile(model: &Model, sim: &Simulation) -> Option<Box<Self>> {
        if model.slos.is_empty() {
            return None;
        }
        let node = |id: &str| {
            sim.topo
                .iter()
                .position(|t| t.id == id)
                .map_or(NodeIx::NONE, NodeIx::at)
        };
        let mut recorded: Vec<Recorded> = Vec::new();
        let mut record = |from: NodeIx, to: NodeIx| match recorded
            .iter()
            .position(|r| r.from == from && r.to == to)
        {
            Some(i) => i,
            None => {
                recorded.push(Recorded {
                    from,
                    to,
                    latency: Latency::new(),
                });
                recorded.len() - 1
            }
        };
        let mut probes = Vec::with_capacity(model.slos.len());
        let mut any_down = false;
        for slo in &model.slos {
            let probe = match (&slo.on, &slo.objective) {
                (SloTarget::Node(id), objective) => {
                    let n = node(id);
                    let slot = if n == NodeIx::NONE {
                        Slot(0)
                    } else {
                        sim.topo[n].slot
                    };
                    let kind = (n != NodeIx::NONE).then(|| sim.topo[n].kind);
                    match objective {
                        Objective::Latency { of, .. } => Probe::Latency(n, *of),
                        Objective::Staleness { .. } => Probe::Staleness(slot),
                        Objective::Lag { .. } if kind == Some(Kind::Log) => Probe::LogLag(slot),
                        Objective::Lag { .. } => Probe::Depth(n),
                        Objective::LagTime { .. } => Probe::LogAge(slot),
                        Objective::Loss { of, .. } => Probe::NodeLoss(n, *of),
                        Objective::Throughput { .. } => Probe::Departed(n),
                        Objective::Availability { .. } => {
                            any_down = true;
                            Probe::Down(n)
                        }
                    }
                }
                (SloTarget::Edge(id), _) => {
                    let k = model
                        .graph
                        .edge_indices()
                        .position(|e| model.edge_id(e) == *id)
                        .unwrap_or(0);
                    Probe::Carried(EdgeIx::at(k))
                }
                (SloTarget::Path { from, to }, Objective::Throughput { .. }) => {
                    Probe::RecordedCount(record(node(from), node(to)))
                }
                (SloTarget::Path { from, to }, _) => Probe::Recorded(record(node(from), node(to))),
                (SloTarget::System, Objective::Loss { of, .. }) => Probe::SystemLoss(*of),
                (SloTarget::System, Objective::Throughput { .. }) => Probe::Completed,
                (SloTarget::System, _) => Probe::Recorded(record(NodeIx::NONE, NodeIx::NONE)),
            };
            probes.push(probe);
        }
        Some(Box::new(Self {
            trackers: model.slos.iter().map(Tracker::new).collect(),
            probes,
            recorded,
            down: if any_down {
                vec![Level::default(); sim.topo.len()]
            } else {
                Vec::new()
            },
            scratch: LogHistogram::with_digits(3),
            next_due: SimTime::LAST,
        }))
    }

    /// A message made at `source` ended well at `node` after `latency`.
    #[inline]
    pub fn completed(&mut self, node: NodeIx, source: NodeIx, latency: Duration) {
        for r in &mut self.recorded {
            if r.to == NodeIx::NONE || (r.to == node && r.from == source) {
                r.latency.record(latency);
            }
        }
    }

    /// `node` went down (`true`) or came back up.
    pub fn set_down(&mut self, now: SimTime, node: NodeIx, down: bool) {
        if let Some(level) = self.down.get_mut(node.ix()) {
            level.set(now, u64::from(down));
        }
    }
}

impl Simulation {
    /// Deliveries out of order where journeys end: at the sinks, and at
    /// the consumers that send nothing on.
    fn ends_out_of_order(&self) -> u64 {
        self.topo
            .iter()
            .zip(&self.stats)
            .filter(|(t, _)| t.kind == Kind::Sink || t.kind == Kind::Consumer && t.out.is_empty())
            .map(|(_, st)| st.out_of_order)
            .sum()
    }

    /// The cumulative reading of objective `i` at `at` (now, or the end
    /// of a step: every event up to it has run, none after).
    fn reading(&self, watch: &Watch, i: usize, at: SimTime) -> Reading {
        let now = at.as_nanos();
        let stats = &self.stats;
        match watch.probes[i] {
            Probe::Latency(n, of) => {
                let st = &stats[n];
                Reading::Hist(
                    match of {
                        LatencyOf::EndToEnd => &st.end_to_end,
                        LatencyOf::Wait => &st.wait,
                        LatencyOf::Sojourn => &st.sojourn,
                    }
                    .histogram()
                    .clone(),
                )
            }
            Probe::Staleness(slot) => {
                Reading::Hist(self.projections[slot].staleness.histogram().clone())
            }
            Probe::Recorded(r) => Reading::Hist(watch.recorded[r].latency.histogram().clone()),
            Probe::RecordedCount(r) => Reading::Count {
                n: watch.recorded[r].latency.count(),
                at: now,
            },
            Probe::NodeLoss(n, of) => {
                let st = &stats[n];
                let lost: u64 = DropReason::ALL
                    .iter()
                    .filter(|r| r.is_loss())
                    .map(|&r| st.drops(r))
                    .sum();
                let bad = match of {
                    LossOf::Any => st.dropped() + st.dead_lettered,
                    LossOf::Dropped => st.dropped(),
                    LossOf::DeadLettered => st.dead_lettered,
                    LossOf::Lost => lost,
                    LossOf::Duplicated => st.duplicates,
                    LossOf::OutOfOrder => st.out_of_order,
                };
                Reading::Ratio {
                    bad,
                    total: st.arrived,
                }
            }
            Probe::SystemLoss(of) => {
                let t = &self.totals;
                let bad = match of {
                    LossOf::Any => t.dropped + t.lost + t.dead_lettered,
                    LossOf::Dropped => t.dropped + t.lost,
                    LossOf::DeadLettered => t.dead_lettered,
                    LossOf::Lost => self.system.lost_drops,
                    LossOf::Duplicated => self.system.duplicates,
                    LossOf::OutOfOrder => self.ends_out_of_order(),
                };
                Reading::Ratio {
                    bad,
                    total: t.produced,
                }
            }
            Probe::Departed(n) => Reading::Count {
                n: stats[n].departed,
                at: now,
            },
            Probe::Carried(e) => Reading::Count {
                n: self.carried[e],
                at: now,
            },
            Probe::Completed => Reading::Count {
                n: self.totals.completed,
                at: now,
            },
            Probe::Down(n) => Reading::Down {
                down: watch.down.get(n.ix()).map_or(0.0, |l| l.area_until(at)),
                at: now,
            },
            Probe::Depth(_) | Probe::LogLag(_) | Probe::LogAge(_) => {
                Reading::Peak(self.level_high(watch.probes[i], true, at))
            }
        }
    }

    /// A level objective's highest value: since the warm-up, or
    /// (`peak`) since the last window step.
    fn level_high(&self, probe: Probe, peak: bool, at: SimTime) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "record counts as values")]
        match probe {
            Probe::Depth(n) => {
                let depth = &self.stats[n].depth;
                (if peak { depth.peak() } else { depth.max() }) as f64
            }
            Probe::LogLag(slot) => self.logs[slot].lag_high(peak) as f64,
            Probe::LogAge(slot) => self.logs[slot].age_high_s(at, peak),
            _ => 0.0,
        }
    }

    /// Starts the objectives' measured run now (at the start, or when the
    /// warm-up has just reset the statistics): every base reading is
    /// taken, and the window steps start from here.
    pub(crate) fn objectives_start(&mut self) {
        let Some(mut watch) = self.objectives.take() else {
            return;
        };
        for r in &mut watch.recorded {
            r.latency.clear();
        }
        let now = self.now.as_nanos();
        for i in 0..watch.trackers.len() {
            let base = self.reading(&watch, i, self.now);
            let t = &mut watch.trackers[i];
            t.ring.clear();
            t.peaks.clear();
            t.worst = None;
            (t.met, t.windows) = (0, 0);
            t.step_peak = 0.0;
            if t.step > 0 {
                t.ring.push_back(base.clone());
                t.next = now.saturating_add(t.step);
            }
            t.base = Some(base);
        }
        self.restart_peaks(&watch, self.now);
        watch.next_due = Self::due(&watch);
        self.objectives = Some(watch);
        self.next_sample = self.next_due();
    }

    /// The earliest step due.
    fn due(watch: &Watch) -> SimTime {
        watch
            .trackers
            .iter()
            .filter(|t| t.step > 0)
            .map(|t| SimTime(t.next))
            .min()
            .unwrap_or(SimTime::LAST)
            .min(SimTime::LAST)
    }

    /// Starts new peaks on every level an objective reads.
    fn restart_peaks(&mut self, watch: &Watch, now: SimTime) {
        for probe in &watch.probes {
            match *probe {
                Probe::Depth(n) => self.stats[n].depth.restart_peak(),
                Probe::LogLag(slot) | Probe::LogAge(slot) => self.logs[slot].restart_peaks(now),
                _ => {}
            }
        }
    }

    /// The window steps due at `at`.
    pub(crate) fn objectives_step(&mut self, at: SimTime) {
        let Some(mut watch) = self.objectives.take() else {
            return;
        };
        let at_ns = at.as_nanos();
        // Every level's peak since the last restart goes into the step in
        // progress of each objective reading it; then the peaks restart.
        for i in 0..watch.trackers.len() {
            if watch.trackers[i].is_peak() && watch.trackers[i].step > 0 {
                let p = self.level_high(watch.probes[i], true, at);
                let t = &mut watch.trackers[i];
                t.step_peak = t.step_peak.max(p);
            }
        }
        let mut stepped = Vec::new();
        for i in 0..watch.trackers.len() {
            let t = &watch.trackers[i];
            if t.step > 0 && t.next <= at_ns {
                stepped.push(i);
            }
        }
        for &i in &stepped {
            let reading = self.reading(&watch, i, at);
            let Watch {
                trackers, scratch, ..
            } = &mut *watch;
            let t = &mut trackers[i];
            t.step_ended(reading, scratch);
            t.next = t.next.saturating_add(t.step);
        }
        self.restart_peaks(&watch, at);
        for &i in &stepped {
            if watch.trackers[i].is_peak() {
                let p = self.level_high(watch.probes[i], true, at);
                watch.trackers[i].step_peak = p;
            }
        }
        watch.next_due = Self::due(&watch);
        self.objectives = Some(watch);
    }

    /// Each objective's measure so far, in model order (empty without
    /// objectives).
    pub fn objectives(&self) -> Vec<SloRun> {
        let Some(watch) = self.objectives.as_deref() else {
            return Vec::new();
        };
        let mut scratch = LogHistogram::with_digits(3);
        (0..watch.trackers.len())
            .map(|i| {
                let now = self.reading(watch, i, self.now);
                let whole = self.level_high(watch.probes[i], false, self.now);
                watch.trackers[i].outcome(&now, whole, &mut scratch)
            })
            .collect()
    }

    /// When the next series point or objective step is due.
    pub(crate) fn next_due(&self) -> SimTime {
        let steps = self
            .objectives
            .as_ref()
            .map_or(SimTime::LAST, |w| w.next_due);
        self.series.next_due().min(steps)
    }
}
