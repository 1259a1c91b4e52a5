//! Projection: a CQRS read model fed by an event store.
//!
//! Events from the store wait in the projection's inbox and are applied in
//! order, `concurrency` at a time (1 by default: strictly in order), each
//! taking the apply latency. A projection is the end of its flow: an
//! applied event is complete.
//!
//! **Staleness** is the read model's eventual-consistency lag: the time
//! from an event's append at the store to its application here
//! (`staleness_s`, and per time-series interval `staleness_p50_s` and
//! `staleness_p99_s`). Replayed events (a store's rebuild) are applied like
//! any other but counted apart (`replayed`) and left out of staleness,
//! which is about live events — though a replay delays the live events
//! queued behind it, and that shows in their staleness.
//!
//! A crash stops applying: events keep arriving and wait in the inbox (the
//! store keeps them); the projection catches up when it is back.

use std::collections::VecDeque;

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, MsgId, NodeIx, Simulation};
use crate::export::terraform::Terraform;
use crate::metrics::Latency;
use crate::model::{Model, Node};
use crate::rng::{Purpose, Stream, stream};
use crate::time::Duration;

/// A projection's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionParams {
    /// How long applying one event takes.
    pub apply: Dist,
    /// Events applied at once (1: in order).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub concurrency: u32,
}

const fn one() -> u32 {
    1
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_one(v: &u32) -> bool {
    *v == 1
}

impl Default for ProjectionParams {
    fn default() -> Self {
        Self {
            apply: Dist::Constant(Duration::from_millis(2)),
            concurrency: 1,
        }
    }
}

impl ProjectionParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.apply.problems();
        if self.concurrency == 0 {
            out.push("concurrency must be at least 1".to_owned());
        }
        out
    }
}

/// A projection during a run.
#[derive(Debug)]
pub(crate) struct ProjectionRt {
    apply: Sampler,
    rng: Stream,
    limit: u64,
    busy: u64,
    inbox: VecDeque<MsgId>,
    slow: f64,
    pub staleness: Latency,
    pub replayed: u64,
}

impl ProjectionRt {
    pub fn new(params: &ProjectionParams, seed: u64, id: &str) -> Self {
        Self {
            apply: params.apply.sampler(),
            rng: stream(seed, id, Purpose::Service),
            limit: u64::from(params.concurrency.max(1)),
            busy: 0,
            inbox: VecDeque::new(),
            slow: 1.0,
            staleness: Latency::new(),
            replayed: 0,
        }
    }

    /// Messages the projection holds.
    pub fn held(&self) -> u64 {
        self.busy + self.inbox.len() as u64
    }

    /// Events applied at once.
    pub fn limit(&self) -> u64 {
        self.limit
    }

    /// Multiplies apply latencies from now on (slow-down faults).
    pub fn scale_latency(&mut self, factor: f64) {
        self.slow *= factor;
    }

    /// Warm-up deletion of the projection's own measurements.
    pub fn reset(&mut self) {
        self.staleness.clear();
        self.replayed = 0;
    }
}

impl Simulation {
    fn projection_slot(&self, node: NodeIx) -> usize {
        self.topo[node as usize].slot as usize
    }

    pub(crate) fn projection_arrive(&mut self, node: NodeIx, msg: MsgId) {
        let p = self.projection_slot(node);
        self.projections[p].inbox.push_back(msg);
        let depth = self.projections[p].inbox.len() as u64;
        self.stats[node as usize].depth.set(self.now, depth);
        self.projection_fill(node);
    }

    /// Starts applying while there is room (and the projection is up).
    pub(crate) fn projection_fill(&mut self, node: NodeIx) {
        if self.is_down(node) {
            return;
        }
        let p = self.projection_slot(node);
        let now = self.now;
        while self.projections[p].busy < self.projections[p].limit {
            let proj = &mut self.projections[p];
            let Some(msg) = proj.inbox.pop_front() else {
                break;
            };
            proj.busy += 1;
            let latency = crate::dist::scaled(proj.apply.sample(&mut proj.rng), proj.slow);
            let (depth, busy) = (proj.inbox.len() as u64, proj.busy);
            let waited = now - self.msgs.get(msg).wait_from;
            let stats = &mut self.stats[node as usize];
            stats.depth.set(now, depth);
            stats.busy.set(now, busy);
            stats.wait.record(waited);
            self.schedule(now + latency, Ev::ProjectionApplied { node, msg });
        }
    }

    /// An event is applied: the read model is up to date with it.
    pub(crate) fn projection_applied(&mut self, node: NodeIx, msg: MsgId) {
        let p = self.projection_slot(node);
        let now = self.now;
        let m = *self.msgs.get(msg);
        let proj = &mut self.projections[p];
        proj.busy -= 1;
        let stats = &mut self.stats[node as usize];
        if m.replayed {
            proj.replayed += 1;
        } else {
            let staleness = now.saturating_sub(m.stamp);
            proj.staleness.record(staleness);
            stats.interval_staleness.record(staleness);
        }
        let busy = proj.busy;
        stats.busy.set(now, busy);
        stats.departed += 1;
        stats.record_sojourn(now - m.node_in);
        self.complete(node, msg);
        self.projection_fill(node);
    }
}

impl crate::nodes::KindSpec for ProjectionParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Projection;
    const KEY: &'static str = "projection";
    const LABEL: &'static str = "projection";
    const PLURAL: &'static str = "projections";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{
            Busy, Depth, Dropped, LatencyP50, LatencyP99, StalenessP50, StalenessP99, ThroughputIn,
            ThroughputOut,
        };
        &[
            ThroughputIn,
            ThroughputOut,
            Depth,
            Busy,
            LatencyP50,
            LatencyP99,
            StalenessP50,
            StalenessP99,
            Dropped,
        ]
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = true;
    const DOT: (&'static str, &'static str) = ("tab", "#fef5e7");
    const MERMAID: (&'static str, &'static str) = ("[/", "\\]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut line = format!("apply {}", crate::export::dist_text(&self.apply));
        if self.concurrency > 1 {
            line = format!("{line}, {} at once", self.concurrency);
        }
        vec![line]
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        w.no_input();
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        (self != new).then_some("its apply settings changed")
    }
}

impl crate::nodes::Runtime for ProjectionParams {
    fn retune(&self, _sim: &mut Simulation, _node: NodeIx, _slot: usize) {}

    fn held(sim: &Simulation, _node: NodeIx, slot: usize) -> u64 {
        sim.projections[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.projection_fill(node);
    }

    fn slow(sim: &mut Simulation, _node: NodeIx, slot: usize, factor: f64) {
        sim.projections[slot].scale_latency(factor);
    }

    fn reset(sim: &mut Simulation, _now: u64) {
        for projection in &mut sim.projections {
            projection.reset();
        }
    }

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        let projection = &sim.projections[topo.slot as usize];
        r.count("completed", st.completed);
        r.count("replayed", projection.replayed);
        r.level("mean_depth", "max_depth", &st.depth, end);
        r.busy(
            &st.busy,
            Some(crate::report::slots(projection.limit())),
            end,
        );
        r.latency("staleness_s", &projection.staleness.summary());
        r.latency("wait_s", &st.wait.summary());
        r.latency("sojourn_s", &st.sojourn.summary());
        r.latency("end_to_end_s", &st.end_to_end.summary());
    }

    fn gauge(
        sim: &Simulation,
        slot: usize,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        (sim.projections[slot].held(), None)
    }
}

impl crate::export::KindExport for ProjectionParams {
    /// No AsyncAPI counterpart: a channel its writers send to, keeping
    /// its parameters in `x-weir-node`.
    const ASYNCAPI_CHANNEL: bool = true;

    fn asyncapi_channel_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = ", which has no AWS mapping (not mapped)";

    /// No AWS mapping: a read model is a table and the code that updates it.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.no_mapping(
            out,
            n,
            "Projection",
            "a CQRS read model; there is no AWS mapping for it (it would be a table and the code that updates it), so no resource is generated",
        );
    }

    /// No Kafka topic: a projection is a read model.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::run_once;

    #[test]
    fn staleness_grows_with_the_queue_behind_a_slow_projection() {
        // One event every 100 ms, appended at once; applying takes 150 ms
        // one at a time: the projection falls further behind with every
        // event, and four at a time it keeps up.
        let run = |concurrency: u32| {
            let text = format!(
                r#"(
                    version: 1,
                    name: "projection",
                    scenario: (duration: "10s", seed: 1),
                    nodes: [
                        (id: "cmds", kind: Producer(arrival: Constant(rate: 10.0))),
                        (id: "store", kind: EventStore(append: Constant("0s"))),
                        (id: "view", kind: Projection(apply: Constant("150ms"), concurrency: {concurrency})),
                    ],
                    edges: [(from: "cmds", to: "store"), (from: "store", to: "view")],
                )"#
            );
            let (model, _) = from_str(&text).expect("loads");
            run_once(&model, 1).expect("runs")
        };
        let get =
            |r: &crate::RunResult, p: &str| r.node("view").and_then(|n| n.get(p)).unwrap_or(0.0);
        let serial = run(1);
        // The k-th event (from 0) is applied at 0.1 + 0.15(k+1) s, appended
        // at 0.1(k+1) s: staleness 0.15 + 0.05k.
        assert!(
            (get(&serial, "staleness_s.p50") - 0.15).abs() > 0.5,
            "it falls behind"
        );
        let applied = get(&serial, "completed");
        let last = 0.15 + 0.05 * (applied - 1.0);
        assert!(
            (get(&serial, "staleness_s.max") - last).abs() < 1e-3,
            "max {}",
            get(&serial, "staleness_s.max")
        );
        let parallel = run(4);
        assert!((get(&parallel, "staleness_s.max") - 0.15).abs() < 1e-9);
        assert!(serial.conservation.balanced() && parallel.conservation.balanced());
    }
}
