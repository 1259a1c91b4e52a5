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
use crate::engine::{Ev, MsgId, NodeIx, Simulation, Slot};
use crate::export::terraform::Terraform;
use crate::metrics::{DropReason, Latency};
use crate::model::{Model, Node};
use crate::rng::{Purpose, Stream, stream};
use crate::time::{Duration, SimTime};

/// A projection's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProjectionParams {
    /// How long applying one event takes.
    pub apply: Dist,
    /// Events applied at once (1: in order).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub concurrency: u32,
    /// The schema versions it reads, and what it does with the others
    /// (upcast or drop; see [`super::versions`]); `None` reads every
    /// version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<super::versions::Reads>,
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
            versions: None,
        }
    }
}

impl ProjectionParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.apply.problems();
        if self.concurrency == 0 {
            out.push("concurrency must be at least 1".to_owned());
        }
        super::check_at_most(
            "concurrency",
            self.concurrency,
            super::limits::MAX_CONCURRENCY,
            &mut out,
        );
        if let Some(reads) = &self.versions {
            reads.problems(false, &mut out);
        }
        out
    }
}

/// A projection during a run.
#[derive(Clone, Debug)]
pub(crate) struct ProjectionRt {
    apply: Sampler,
    rng: Stream,
    limit: u64,
    busy: u64,
    inbox: VecDeque<MsgId>,
    slow: f64,
    pub staleness: Latency,
    pub replayed: u64,
    /// The versions it reads, and what it did with others.
    reads: Option<super::versions::ReadsRt>,
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
            reads: params.versions.map(super::versions::ReadsRt::new),
        }
    }

    /// Messages the projection holds.
    pub fn held(&self) -> u64 {
        self.busy + self.inbox.len() as u64
    }

    /// The versions it reads, and what it did with others.
    pub(crate) fn reads(&self) -> Option<&super::versions::ReadsRt> {
        self.reads.as_ref()
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
        if let Some(reads) = &mut self.reads {
            reads.reset();
        }
    }
}

impl Simulation {
    fn projection_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    pub(crate) fn projection_arrive(&mut self, node: NodeIx, msg: MsgId) {
        let p = self.projection_slot(node);
        self.projections[p].inbox.push_back(msg);
        let depth = self.projections[p].inbox.len() as u64;
        self.stats[node].depth.set(self.now, depth);
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
            let mut upcast = Duration::ZERO;
            if let Some(reads) = &mut proj.reads {
                match reads.judge(self.msgs.get(msg).version(), now) {
                    super::versions::Verdict::Read(cost) => upcast = cost,
                    // (A projection has no dead-letter queue: validation
                    // refuses a rule that rejects.)
                    super::versions::Verdict::Reject | super::versions::Verdict::Drop => {
                        let depth = proj.inbox.len() as u64;
                        self.stats[node].depth.set(now, depth);
                        self.drop_msg(node, msg, DropReason::Version);
                        continue;
                    }
                }
            }
            proj.busy += 1;
            let latency = crate::dist::scaled(proj.apply.sample(&mut proj.rng), proj.slow) + upcast;
            let (depth, busy) = (proj.inbox.len() as u64, proj.busy);
            let waited = now - self.msgs.get(msg).wait_from;
            let stats = &mut self.stats[node];
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
        let stats = &mut self.stats[node];
        if m.replayed() {
            proj.replayed += 1;
        } else {
            let staleness = now.since(m.stamp);
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
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit {
        wait: true,
        sojourn: true,
        end_to_end: true,
        lag: false,
        lag_time: false,
        staleness: true,
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
        let mut out = vec![line];
        out.extend(self.versions.as_ref().map(super::versions::Reads::mark));
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        vec![crate::insights::Limit::Concurrency(self.concurrency)]
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
        (self != new).then_some("its apply settings changed")
    }
}

impl crate::nodes::Runtime for ProjectionParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.projections
            .push(ProjectionRt::new(self, cx.seed, cx.id));
        sim.projections.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, _node: NodeIx, slot: Slot) {
        let proj = &mut sim.projections[slot];
        match (&mut proj.reads, self.versions) {
            (Some(rt), Some(reads)) => rt.reads = reads,
            (reads, new) => *reads = new.map(super::versions::ReadsRt::new),
        }
    }

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.projections[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.projection_fill(node);
    }

    fn slow(sim: &mut Simulation, _node: NodeIx, slot: Slot, factor: f64) {
        sim.projections[slot].scale_latency(factor);
    }

    fn reset(sim: &mut Simulation, _now: SimTime) {
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
        let projection = &sim.projections[topo.slot];
        r.count("completed", st.completed);
        r.count("replayed", projection.replayed);
        if let Some(reads) = &projection.reads {
            reads.report(r);
        }
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
        slot: Slot,
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
    use crate::series::Metric;
    use crate::time::{NANOS_PER_SEC, SimTime};
    use crate::validate::Severity;
    use crate::validate::tests::{P, Q, diagnostics, has};
    use crate::{Simulation, run_once};

    fn secs(s: u64) -> SimTime {
        SimTime(s * NANOS_PER_SEC)
    }

    #[test]
    fn checks_the_wiring_of_the_event_kinds() {
        let found = diagnostics(
            &format!(
                r#"{P},{Q},(id: "cep", kind: Cep(rules: [(name: "r", pattern: FollowedBy(first: "Nope", then: "event", within: "1s"), emit: "X")])),
                   (id: "store", kind: EventStore(replay: (at: "1s", rate: 10.0))),
                   (id: "view", kind: Projection(apply: Constant("1ms"))),
                   (id: "lost", kind: Projection(apply: Constant("1ms")))"#
            ),
            r#"(from: "p", to: "cep"), (from: "p", to: "store"), (from: "q", to: "view"), (from: "view", to: "q")"#,
        );
        assert!(
            has(&found, Severity::Error, "q->view", "fed by an event store"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Error, "view->q", "sends nothing on"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Error, "lost", "no input"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Warning, "cep", "'Nope'"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Warning, "cep", "no outputs"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Warning, "store", "no projection"),
            "{found:#?}"
        );
    }

    /// A 10 s run of commands → event store → projection, the three
    /// nodes' parameters as given, one series point a second.
    fn cqrs(cmds: &str, store: &str, view: &str) -> Simulation {
        let text = format!(
            r#"(
                version: 1,
                name: "cqrs",
                scenario: (duration: "10s", seed: 1),
                nodes: [
                    (id: "cmds", kind: Producer({cmds})),
                    (id: "store", kind: EventStore({store})),
                    (id: "view", kind: Projection({view})),
                ],
                edges: [(from: "cmds", to: "store"), (from: "store", to: "view")],
            )"#
        );
        let (model, _) = from_str(&text).expect("model");
        let mut s = Simulation::new(&model, 1).expect("sim");
        s.set_series_capacity(20);
        s
    }

    #[test]
    fn stores_and_projections_chart_their_latencies() {
        let mut s = cqrs(
            "arrival: Constant(rate: 10.0)",
            r#"append: Constant("4ms")"#,
            r#"apply: Constant("30ms")"#,
        );
        s.run_until(secs(10)).expect("runs");
        let series = s.series();
        for (id, want) in [("store", 0.004), ("view", 0.030)] {
            let p50 = series
                .node(id)
                .and_then(|n| n.values(Metric::LatencyP50))
                .expect("a p50 line")
                .to_vec();
            // Every interval of 1 s applies about 10 events, each taking
            // exactly `want` (two significant digits).
            assert!(
                p50.iter()
                    .skip(1)
                    .all(|&v| (f64::from(v) - want).abs() <= want * 0.01),
                "{id}: {p50:?}"
            );
        }
    }

    #[test]
    fn staleness_follows_a_projection_falling_behind() {
        // One event every 100 ms, appended at once, applied in 150 ms one
        // at a time: the k-th event (from 0) is applied at 0.25 + 0.15k s
        // with a staleness of 0.15 + 0.05k s. One point a second.
        let mut s = cqrs(
            "arrival: Constant(rate: 10.0)",
            r#"append: Constant("0s")"#,
            r#"apply: Constant("150ms")"#,
        );
        s.run_until(secs(10)).expect("runs");
        let report = s.result();
        let series = s.series();
        let view = series.node("view").expect("view line");
        let p50 = view
            .values(Metric::StalenessP50)
            .expect("a p50 line")
            .to_vec();
        let p99 = view
            .values(Metric::StalenessP99)
            .expect("a p99 line")
            .to_vec();
        assert!(
            series
                .node("store")
                .and_then(|n| n.values(Metric::StalenessP50))
                .is_none(),
            "only projections chart staleness"
        );
        let near = |got: f32, want: f64| (f64::from(got) - want).abs() <= want * 0.011 + 1e-9;
        for (k, t) in series.times().enumerate() {
            let applied: Vec<f64> = (0..100_u32)
                .map(f64::from)
                .filter(|&k| {
                    let at = 0.25 + 0.15 * k;
                    at > t - 1.0 + 1e-9 && at <= t + 1e-9
                })
                .map(|k| 0.15 + 0.05 * k)
                .collect();
            let (want50, want99) = match applied.len() {
                0 => (0.0, 0.0),
                n => (applied[n.div_ceil(2) - 1], applied[n - 1]),
            };
            assert!(
                near(p50[k], want50) && near(p99[k], want99),
                "at {t} s: p50 {} p99 {} against {want50} {want99}",
                p50[k],
                p99[k]
            );
        }
        assert!(
            p50.windows(2).all(|w| w[1] >= w[0]) && p50[p50.len() - 1] > 3.0 * p50[1],
            "staleness grows: {p50:?}"
        );
        let max = report
            .node("view")
            .and_then(|n| n.get("staleness_s.max"))
            .expect("the report's staleness");
        let peak = p99.iter().copied().fold(0.0_f32, f32::max);
        assert!(
            near(peak, max),
            "series peak {peak} against the report's max {max}"
        );
    }

    #[test]
    fn replayed_events_are_left_out_of_staleness() {
        // Twenty live events in the first two seconds, then a replay of
        // them at 5 s: in the interval of the replay the projection
        // applies events but none is live.
        let mut s = cqrs(
            "arrival: Constant(rate: 10.0), limit: 20",
            r#"append: Constant("0s"), replay: (at: "5s", rate: 100.0)"#,
            r#"apply: Constant("20ms")"#,
        );
        s.run_until(secs(10)).expect("runs");
        let series = s.series();
        let view = series.node("view").expect("view line");
        let out = view.values(Metric::ThroughputOut).expect("out").to_vec();
        let p99 = view.values(Metric::StalenessP99).expect("p99").to_vec();
        let k = series
            .times()
            .position(|t| (t - 6.0).abs() < 1e-9)
            .expect("a point at 6 s");
        assert!(
            out[k] >= 19.0,
            "the replay is applied in (5 s, 6 s]: {out:?}"
        );
        assert!(p99[k] == 0.0, "and counts for no staleness: {p99:?}");
        assert!(
            (f64::from(p99[0]) - 0.02).abs() < 0.001,
            "live events are 20 ms stale: {p99:?}"
        );
    }

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
