//! Topic: SNS-style publish/subscribe.
//!
//! Every message published to a topic goes to each of its subscriptions
//! (its outgoing edges) whose event-type filter matches — a copy each. A
//! message no subscription wants is dropped (`no_subscriber`). A topic
//! holds nothing itself: when a subscribed queue is full and blocks, the
//! publisher waits until every matching subscriber has room. (Messages
//! already on their way over a link with latency when that happens wait in
//! the topic, in order, until the subscriber has room.)

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::engine::{MsgId, NodeIx, Simulation, Slot};

/// A topic's parameters (subscriptions and their filters are its edges).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicParams {}

/// A topic during a run: only what arrived over a link with latency while
/// a subscriber was full waits here, in order.
#[derive(Debug, Default)]
pub(crate) struct TopicRt {
    held: VecDeque<MsgId>,
}

impl TopicRt {
    /// Messages waiting for a full subscriber.
    pub fn held(&self) -> u64 {
        self.held.len() as u64
    }
}

impl Simulation {
    /// Whether the topic can publish `msg` now: nothing is waiting before
    /// it and every matching subscriber has room. When a subscriber is
    /// full, the topic waits on it.
    pub(crate) fn topic_accepts(&mut self, node: NodeIx, msg: MsgId) -> bool {
        let t = self.topo[node].slot;
        if !self.topics[t].held.is_empty() || self.is_down(node) {
            return false;
        }
        for k in 0..self.topo[node].out.len() {
            let e = self.topo[node].out[k];
            if !self.edge_matches(e, msg) {
                continue;
            }
            let to = self.edges[e].to;
            if !self.accepts(to, msg) {
                self.add_waiter(to, node);
                return false;
            }
        }
        true
    }

    pub(crate) fn topic_arrive(&mut self, node: NodeIx, msg: MsgId) {
        let t = self.topo[node].slot;
        // A message that crossed a link with latency may find a subscriber
        // full: it waits here, and so does everything behind it.
        if self.topics[t].held.is_empty() && !self.is_down(node) && self.send_out(node, msg) {
            self.stats[node].departed += 1;
            return;
        }
        self.topics[t].held.push_back(msg);
        let held = self.topics[t].held();
        self.stats[node].depth.set(self.now, held);
    }

    /// A subscriber has room again: publish what waits, then let blocked
    /// publishers try again.
    pub(crate) fn topic_wake(&mut self, node: NodeIx) {
        if self.is_down(node) {
            return;
        }
        let t = self.topo[node].slot;
        while let Some(&msg) = self.topics[t].held.front() {
            if !self.send_out(node, msg) {
                return;
            }
            self.topics[t].held.pop_front();
            self.stats[node].departed += 1;
            let held = self.topics[t].held();
            self.stats[node].depth.set(self.now, held);
        }
        self.wake_waiters(node);
    }
}

impl crate::nodes::KindSpec for TopicParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Topic;
    const KEY: &'static str = "topic";
    const LABEL: &'static str = "topic";
    const PLURAL: &'static str = "topics";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Dropped, ThroughputIn, ThroughputOut};
        &[ThroughputIn, ThroughputOut, Dropped]
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH;
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("hexagon", "#e8daef");
    const MERMAID: (&'static str, &'static str) = ("{{", "}}");

    fn problems(&self) -> Vec<String> {
        Vec::new()
    }

    fn summary(&self) -> Vec<String> {
        Vec::new()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        true
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if !w.no_input() && w.data_out == 0 {
            w.warning("the topic has no subscribers: everything published to it is dropped");
        }
    }

    fn restart_reason(&self, _new: &Self) -> Option<&'static str> {
        None
    }
}

impl crate::nodes::Runtime for TopicParams {
    fn compile(&self, sim: &mut Simulation, _cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.topics.push(TopicRt::default());
        sim.topics.len() - 1
    }

    fn retune(&self, _sim: &mut Simulation, _node: NodeIx, _slot: Slot) {}

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.topics[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.topic_wake(node);
    }

    fn slow(_sim: &mut Simulation, _node: NodeIx, _slot: Slot, _factor: f64) {}

    fn reset(_sim: &mut Simulation, _now: u64) {}

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
        (sim.topics[slot].held(), None)
    }
}
