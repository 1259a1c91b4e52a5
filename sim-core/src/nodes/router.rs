//! Router: content-based routing, weighted load balancing, and splitting.
//!
//! - `ByType`: each message takes the first outgoing edge whose `filter`
//!   lists its event type; an edge without a filter is the default route.
//!   A message no route takes is dropped (`no_route`).
//! - `Weighted`: each message takes one edge, drawn by the edges'
//!   `weight` (default 1).
//! - `Split(parts: N)`: each message becomes N messages (the original and
//!   N − 1 copies, counted as fan-out copies), each sent along every
//!   outgoing edge.
//!
//! A router holds nothing itself: when the chosen next stage is full and
//! blocks, the message waits in the router, which refuses new messages
//! until it has passed it on.

use std::collections::VecDeque;

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{EdgeIx, MsgId, NodeIx, Simulation, Slot};
use crate::export::terraform::Terraform;
use crate::metrics::DropReason;
use crate::model::{Model, Node};
use crate::rng::{Purpose, Stream, stream, unit};
use crate::time::SimTime;

/// A router's parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouterParams {
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub mode: RouteMode,
}

/// How a router picks where a message goes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum RouteMode {
    /// By event type, through the edges' filters.
    #[default]
    ByType,
    /// One edge per message, drawn by edge weight.
    Weighted,
    /// Into `parts` messages, each along every edge.
    Split { parts: u32 },
}

impl RouterParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let RouteMode::Split { parts } = self.mode {
            if parts == 0 {
                out.push("a split needs at least one part".to_owned());
            }
            super::check_at_most(
                "a split's parts",
                parts,
                super::limits::MAX_SPLIT_PARTS,
                &mut out,
            );
        }
        out
    }
}

/// Where a waiting message goes once there is room.
#[derive(Clone, Copy, Debug)]
enum Route {
    Edge(EdgeIx),
    Everywhere,
}

/// A router during a run.
#[derive(Clone, Debug)]
pub(crate) struct RouterRt {
    mode: RouteMode,
    held: VecDeque<(MsgId, Route)>,
    rng: Stream,
}

impl RouterRt {
    pub fn new(params: &RouterParams, seed: u64, id: &str) -> Self {
        Self {
            mode: params.mode,
            held: VecDeque::new(),
            rng: stream(seed, id, Purpose::Attributes),
        }
    }

    pub fn held(&self) -> u64 {
        self.held.len() as u64
    }
}

impl Simulation {
    fn router_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    /// A router takes a message when nothing waits in it.
    pub(crate) fn router_accepts(&self, node: NodeIx) -> bool {
        self.routers[self.router_slot(node)].held.is_empty() && !self.is_down(node)
    }

    pub(crate) fn router_arrive(&mut self, node: NodeIx, msg: MsgId) {
        let r = self.router_slot(node);
        match self.routers[r].mode {
            RouteMode::ByType | RouteMode::Weighted => {
                let edge = if self.routers[r].mode == RouteMode::ByType {
                    self.route_by_type(node, msg)
                } else {
                    self.route_by_weight(node)
                };
                let Some(edge) = edge else {
                    self.drop_msg(node, msg, DropReason::NoRoute);
                    return;
                };
                self.routers[r].held.push_back((msg, Route::Edge(edge)));
            }
            RouteMode::Split { parts } => {
                // The parts are made before any is sent, so each is a copy
                // of the message as it arrived.
                self.routers[r].held.push_back((msg, Route::Everywhere));
                for _ in 1..parts {
                    if self.stopping() {
                        // The run stops (too many messages in flight):
                        // making the other parts would only grow memory.
                        break;
                    }
                    let part = self.copy(node, msg);
                    self.totals.fanout_copies += 1;
                    self.routers[r].held.push_back((part, Route::Everywhere));
                }
            }
        }
        self.router_wake(node);
    }

    fn route_by_type(&self, node: NodeIx, msg: MsgId) -> Option<EdgeIx> {
        let out = &self.topo[node].out;
        let filtered = out
            .iter()
            .copied()
            .find(|&e| self.edges[e].filter.is_some() && self.edge_matches(e, msg));
        filtered.or_else(|| {
            out.iter()
                .copied()
                .find(|&e| self.edges[e].filter.is_none())
        })
    }

    fn route_by_weight(&mut self, node: NodeIx) -> Option<EdgeIx> {
        let total: f64 = self.topo[node]
            .out
            .iter()
            .map(|&e| self.edges[e].weight)
            .sum();
        if self.topo[node].out.is_empty() || total <= 0.0 {
            return None;
        }
        let r = self.router_slot(node);
        let mut pick = unit(&mut self.routers[r].rng) * total;
        let out = &self.topo[node].out;
        for &e in out {
            pick -= self.edges[e].weight;
            if pick < 0.0 {
                return Some(e);
            }
        }
        out.last().copied()
    }

    /// Passes on what waits, in order, as far as there is room; then lets
    /// blocked senders try again.
    pub(crate) fn router_wake(&mut self, node: NodeIx) {
        if self.is_down(node) {
            return;
        }
        let r = self.router_slot(node);
        while let Some(&(msg, route)) = self.routers[r].held.front() {
            let sent = match route {
                Route::Everywhere => self.send_out(node, msg),
                Route::Edge(edge) => {
                    let to = self.edges[edge].to;
                    if self.accepts(to, msg) {
                        self.transmit(edge, msg);
                        true
                    } else {
                        self.add_waiter(to, node);
                        false
                    }
                }
            };
            if !sent {
                break;
            }
            self.routers[r].held.pop_front();
            self.stats[node].departed += 1;
        }
        let held = self.routers[r].held();
        self.stats[node].depth.set(self.now, held);
        if held == 0 {
            self.wake_waiters(node);
        }
    }
}

impl crate::nodes::KindSpec for RouterParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Router;
    const KEY: &'static str = "router";
    const LABEL: &'static str = "router";
    const PLURAL: &'static str = "routers";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Dropped, ThroughputIn, ThroughputOut};
        &[ThroughputIn, ThroughputOut, Dropped]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit::NONE;
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH;
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("diamond", "#fcf3cf");
    const MERMAID: (&'static str, &'static str) = ("{", "}");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        vec![match self.mode {
            RouteMode::ByType => "by event type".to_owned(),
            RouteMode::Weighted => "by weight".to_owned(),
            RouteMode::Split { parts } => format!("split into {parts}"),
        }]
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        Vec::new()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        true
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.no_input() {
            return;
        }
        if w.data_out == 0 {
            w.error("the router has no routes: connect it to where messages should go");
            return;
        }
        let routes: Vec<_> = w
            .graph
            .edges_directed(w.node, petgraph::Direction::Outgoing)
            .map(|e| e.weight())
            .collect();
        let weights = routes.iter().any(|e| e.weight.is_some());
        let filters = routes.iter().any(|e| e.filter.is_some());
        if self.mode != RouteMode::Weighted && weights {
            w.warning("route weights apply only to a Weighted router; this router ignores them");
        }
        if self.mode == RouteMode::Weighted && filters {
            w.warning(
                "a Weighted router ignores route filters; route by type first with a ByType router",
            );
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::Route(self.mode)
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        (self != new).then_some("its routing changed")
    }
}

impl crate::nodes::Runtime for RouterParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.routers.push(RouterRt::new(self, cx.seed, cx.id));
        sim.routers.len() - 1
    }

    fn retune(&self, _sim: &mut Simulation, _node: NodeIx, _slot: Slot) {}

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.routers[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.router_wake(node);
    }

    fn slow(_sim: &mut Simulation, _node: NodeIx, _slot: Slot, _factor: f64) {}

    fn reset(_sim: &mut Simulation, _now: SimTime) {}

    fn report(
        _sim: &Simulation,
        _topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        r.level("mean_depth", "max_depth", &st.depth, end);
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        (sim.routers[slot].held(), None)
    }
}

impl crate::export::KindExport for RouterParams {
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

    const TERRAFORM_SEND: &'static str = ", through a router (not mapped)";

    /// No AWS mapping: routing is part of the design, not a resource.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.outside(
            out,
            n,
            "Router",
            "routing inside the design; not mapped to a resource (an EventBridge rule or SNS filter policy would carry it)",
        );
    }

    /// No Kafka topic: routing is part of the design.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(mode: &str, edges: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "router",
                scenario: (duration: "200s", seed: 4),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 50.0),
                        events: [(name: "Order", weight: 3.0), (name: "Refund", weight: 1.0)])),
                    (id: "router", kind: Router(mode: {mode})),
                    (id: "a", kind: Sink()),
                    (id: "b", kind: Sink()),
                ],
                edges: [(from: "src", to: "router"), {edges}],
            )"#
        );
        let (model, problems) = from_str(&text).expect("loads");
        assert!(problems.is_empty());
        run_once(&model, 4).expect("runs")
    }

    fn completed(r: &RunResult, id: &str) -> f64 {
        r.node(id).and_then(|n| n.get("completed")).unwrap_or(0.0)
    }

    #[test]
    fn routes_by_event_type_with_a_default() {
        let r = run(
            "ByType",
            r#"(from: "router", to: "a", filter: ["Refund"]), (from: "router", to: "b")"#,
        );
        let (a, b) = (completed(&r, "a"), completed(&r, "b"));
        // Refunds are a quarter of 10 000 events.
        assert!((a / (a + b) - 0.25).abs() < 0.02, "a {a}, b {b}");
        assert_eq!(r.conservation.dropped, 0);
    }

    #[test]
    fn drops_what_no_route_takes() {
        let r = run(
            "ByType",
            r#"(from: "router", to: "a", filter: ["Refund"]), (from: "router", to: "b", filter: ["Order"]), (from: "router", to: "b", id: "never", filter: ["Other"])"#,
        );
        assert_eq!(r.conservation.dropped, 0, "every type has a route");
        let r = run(
            "ByType",
            r#"(from: "router", to: "a", filter: ["Refund"]), (from: "router", to: "b", filter: ["Other"])"#,
        );
        let dropped = r
            .node("router")
            .and_then(|n| n.get("drops.no_route"))
            .unwrap_or(0.0);
        assert!(
            (dropped / r.conservation.emitted as f64 - 0.75).abs() < 0.02,
            "dropped {dropped}"
        );
        assert_eq!(completed(&r, "b"), 0.0);
    }

    #[test]
    fn balances_by_weight() {
        let r = run(
            "Weighted",
            r#"(from: "router", to: "a", weight: 4.0), (from: "router", to: "b")"#,
        );
        let (a, b) = (completed(&r, "a"), completed(&r, "b"));
        assert!((a / (a + b) - 0.8).abs() < 0.015, "a {a}, b {b}");
    }

    #[test]
    fn splits_each_message_into_parts() {
        let r = run(
            "Split(parts: 3)",
            r#"(from: "router", to: "a"), (from: "router", to: "b")"#,
        );
        let c = r.conservation;
        // Three parts, each to both sinks: six messages per event.
        assert_eq!(c.fanout_copies, 5 * c.emitted);
        assert_eq!(completed(&r, "a"), completed(&r, "b"));
        assert_eq!(completed(&r, "a") as u64, 3 * c.emitted);
        assert!(c.balanced());
    }

    #[test]
    fn splits_that_feed_splits_without_end_stop_the_run() {
        // Four splits of 1000 in a row make 10^12 parts of each message at
        // one instant: the run stops after the limit, naming a split.
        let text = r#"(
            version: 1,
            name: "cascade",
            scenario: (duration: "10s", seed: 1),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 1.0))),
                (id: "s1", kind: Router(mode: Split(parts: 1000))),
                (id: "s2", kind: Router(mode: Split(parts: 1000))),
                (id: "s3", kind: Router(mode: Split(parts: 1000))),
                (id: "s4", kind: Router(mode: Split(parts: 1000))),
                (id: "end", kind: Sink()),
            ],
            edges: [
                (from: "src", to: "s1"), (from: "s1", to: "s2"), (from: "s2", to: "s3"),
                (from: "s3", to: "s4"), (from: "s4", to: "end"),
            ],
        )"#;
        let (model, problems) = from_str(text).expect("loads");
        assert!(problems.is_empty());
        let err = run_once(&model, 1).expect_err("the fan-out has no end");
        assert!(
            matches!(&err, crate::RunError::FanOutLimit { node, .. } if node.starts_with('s')),
            "{err}"
        );
        assert!(err.to_string().contains("fan-out without end"), "{err}");
    }
}
