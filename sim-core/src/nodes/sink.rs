//! Sink: an external dependency or the end of a flow.
//!
//! Each message takes the sink's latency; with a concurrency limit, the
//! rest wait their turn in order. When a message is done the journey is
//! complete: its end-to-end latency (from its producer) is measured here.

use std::collections::VecDeque;

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, MsgId, NodeIx, Simulation, Slot};
use crate::export::terraform::Terraform;
use crate::model::{Model, Node};
use crate::rng::{Purpose, Stream, stream};
use crate::time::SimTime;

/// A sink's parameters.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SinkParams {
    /// How long the sink takes with each message (default: no time).
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub latency: Dist,
    /// Most messages handled at once; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
}

impl SinkParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.latency.problems();
        super::check_optional_concurrency(self.concurrency, &mut out);
        out
    }
}

/// A sink during a run.
#[derive(Clone, Debug)]
pub(crate) struct SinkRt {
    latency: Sampler,
    limit: u64,
    busy: u64,
    backlog: VecDeque<MsgId>,
    rng: Stream,
    /// Latency multiplier (slow-down faults); 1 normally.
    slow: f64,
}

impl SinkRt {
    pub fn new(params: &SinkParams, seed: u64, id: &str) -> Self {
        Self {
            latency: params.latency.sampler(),
            limit: params.concurrency.map_or(u64::MAX, u64::from),
            busy: 0,
            backlog: VecDeque::new(),
            rng: stream(seed, id, Purpose::Latency),
            slow: 1.0,
        }
    }

    /// A new latency distribution from now on.
    pub fn retune(&mut self, params: &SinkParams) {
        self.latency = params.latency.sampler();
    }

    /// Multiplies latencies from now on (slow-down faults).
    pub fn scale_latency(&mut self, factor: f64) {
        self.slow *= factor;
    }

    /// The concurrency limit, if any.
    pub fn limit(&self) -> Option<u64> {
        (self.limit != u64::MAX).then_some(self.limit)
    }

    /// Messages this sink holds.
    pub fn held(&self) -> u64 {
        self.busy + self.backlog.len() as u64
    }

    /// Whether a message ends here as it arrives (no latency, and no
    /// backlog to wait in).
    #[inline(always)]
    pub fn is_instant(&self) -> bool {
        self.latency.is_zero()
    }
}

impl Simulation {
    #[inline(always)]
    pub(crate) fn sink_arrive(&mut self, node: NodeIx, s: Slot, msg: MsgId) {
        if self.is_down(node) {
            self.drop_msg(node, msg, crate::metrics::DropReason::NodeDown);
            return;
        }
        let sink = &mut self.sinks[s];
        if sink.busy < sink.limit {
            self.sink_start(node, s, msg);
        } else {
            sink.backlog.push_back(msg);
            let depth = sink.backlog.len() as u64;
            self.stats[node].depth.set(self.now, depth);
        }
    }

    #[inline(always)]
    fn sink_start(&mut self, node: NodeIx, s: Slot, msg: MsgId) {
        let now = self.now;
        let sink = &mut self.sinks[s];
        if sink.is_instant() {
            // An instant sink: the journey ends on arrival.
            self.stats[node].departed += 1;
            self.note_order(node, msg);
            self.complete(node, msg);
            return;
        }
        let mut latency = sink.latency.sample(&mut sink.rng);
        latency = crate::dist::scaled(latency, sink.slow);
        sink.busy += 1;
        let busy = sink.busy;
        let stats = &mut self.stats[node];
        stats.busy.set(now, busy);
        stats.wait.record(now - self.msgs.get(msg).wait_from);
        self.journey_process(msg, node);
        self.schedule(now + latency, Ev::SinkDone { node, msg });
    }

    pub(crate) fn sink_done(&mut self, node: NodeIx, msg: MsgId) {
        let s = self.topo[node].slot;
        self.sinks[s].busy -= 1;
        let busy = self.sinks[s].busy;
        let now = self.now;
        let stats = &mut self.stats[node];
        stats.busy.set(now, busy);
        stats.departed += 1;
        stats.record_sojourn(now - self.msgs.get(msg).node_in);
        self.note_order(node, msg);
        self.complete(node, msg);
        if let Some(next) = self.sinks[s].backlog.pop_front() {
            let depth = self.sinks[s].backlog.len() as u64;
            self.stats[node].depth.set(now, depth);
            self.sink_start(node, s, next);
        }
    }
}

impl crate::nodes::KindSpec for SinkParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Sink;
    const KEY: &'static str = "sink";
    const LABEL: &'static str = "sink";
    const PLURAL: &'static str = "sinks";
    const SERIES: &'static [crate::series::Metric] =
        <crate::nodes::ServiceParams as crate::nodes::KindSpec>::SERIES;
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit {
        wait: true,
        sojourn: true,
        end_to_end: true,
        lag: false,
        lag_time: false,
        staleness: false,
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = true;
    const DOT: (&'static str, &'static str) = ("cylinder", "#eaeded");
    const MERMAID: (&'static str, &'static str) = ("[/", "/]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.latency != Dist::default() {
            out.push(crate::export::dist_text(&self.latency));
        }
        if let Some(c) = self.concurrency {
            out.push(format!("concurrency {c}"));
        }
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        self.concurrency
            .map(crate::insights::Limit::Concurrency)
            .into_iter()
            .collect()
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

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::End
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        (self.concurrency != new.concurrency).then_some("its concurrency changed")
    }
}

impl crate::nodes::Runtime for SinkParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.sinks.push(SinkRt::new(self, cx.seed, cx.id));
        sim.sinks.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, _node: NodeIx, slot: Slot) {
        sim.sinks[slot].retune(self);
    }

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.sinks[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(_sim: &mut Simulation, _node: NodeIx) {}

    fn slow(sim: &mut Simulation, _node: NodeIx, slot: Slot, factor: f64) {
        sim.sinks[slot].scale_latency(factor);
    }

    fn reset(_sim: &mut Simulation, _now: SimTime) {}

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        let sink = &sim.sinks[topo.slot];
        r.count("completed", st.completed);
        r.count("duplicates", st.duplicates);
        r.count("out_of_order", st.out_of_order);
        r.level("mean_depth", "max_depth", &st.depth, end);
        r.busy(&st.busy, sink.limit().map(crate::report::slots), end);
        if sink.limit().is_some() {
            r.latency("wait_s", &st.wait.summary());
        }
        r.latency("sojourn_s", &st.sojourn.summary());
        r.latency("end_to_end_s", &st.end_to_end.summary());
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        let s = &sim.sinks[slot];
        (s.held(), s.limit())
    }
}

impl crate::export::KindExport for SinkParams {
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

    const TERRAFORM_SEND: &'static str = ", outside these resources";

    /// No AWS mapping: a sink is an external dependency.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.outside(out, n, "Sink", "an external dependency; no resource");
    }

    /// No Kafka topic: a sink is the end of a flow.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}
