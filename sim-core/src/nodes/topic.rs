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
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::engine::{MsgId, NodeIx, Simulation, Slot};
use crate::export::asyncapi::{EVENT_TYPE_ATTRIBUTE, sns_bindings};
use crate::export::terraform::{Terraform, one_line, string};
use crate::model::{Model, Node};
use crate::nodes::Kind;
use crate::time::SimTime;

/// A topic's parameters (subscriptions and their filters are its edges).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicParams {
    /// Replicas, acknowledgements and persistence; `None` for one broker
    /// on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durability: Option<super::durability::Durability>,
    /// A Google Cloud Pub/Sub topic (its subscriptions are the queues it
    /// feeds, see `pubsub`); `false` for an SNS-style topic.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub pubsub: bool,
}

/// A topic during a run: only what arrived over a link with latency while
/// a subscriber was full waits here, in order.
#[derive(Clone, Debug, Default)]
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
        if !self.topics[t].held.is_empty() || !self.broker_open(node) {
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
        if self.is_down(node) && self.lost_on_arrival(node, msg) {
            return;
        }
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

    /// Takes out the waiting messages that arrived at or after `since`
    /// (a crash lost them; see `durability`).
    pub(crate) fn topic_take_since(&mut self, node: NodeIx, since: SimTime) -> Vec<MsgId> {
        let t = self.topo[node].slot;
        let msgs = &self.msgs;
        let (gone, kept): (VecDeque<MsgId>, VecDeque<MsgId>) = self.topics[t]
            .held
            .iter()
            .partition(|&&m| msgs.get(m).node_in >= since);
        self.topics[t].held = kept;
        let held = self.topics[t].held();
        self.stats[node].depth.set(self.now, held);
        gone.into()
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
    const KIND: Kind = Kind::Topic;
    const KEY: &'static str = "topic";
    const LABEL: &'static str = "topic";
    const PLURAL: &'static str = "topics";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Dropped, ThroughputIn, ThroughputOut};
        &[ThroughputIn, ThroughputOut, Dropped]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit::NONE;
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("hexagon", "#e8daef");
    const MERMAID: (&'static str, &'static str) = ("{{", "}}");

    fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        super::durability::check(self.durability.as_ref(), &mut out);
        out
    }

    fn summary(&self) -> Vec<String> {
        self.pubsub
            .then(|| "Google Cloud Pub/Sub".to_owned())
            .into_iter()
            .chain(
                self.durability
                    .as_ref()
                    .map(super::durability::Durability::summary),
            )
            .collect()
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
        if !w.no_input() && w.data_out == 0 {
            w.warning("the topic has no subscribers: everything published to it is dropped");
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::Copy
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        super::durability::restart_reason(self.durability.as_ref(), new.durability.as_ref())
    }
}

impl crate::nodes::Runtime for TopicParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        cx.durable(sim, self.durability.as_ref());
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

    fn slow(sim: &mut Simulation, node: NodeIx, _slot: Slot, factor: f64) {
        sim.broker_slow(node, factor);
    }

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
        (sim.topics[slot].held(), None)
    }
}

impl crate::export::KindExport for TopicParams {
    const ASYNCAPI_CHANNEL: bool = true;

    /// An SNS topic.
    /// SNS's binding; none for a Pub/Sub topic, since the googlepubsub
    /// binding requires the name of a Pub/Sub schema (Avro or Protocol
    /// Buffers), which the model does not have.
    fn asyncapi_channel_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value> {
        (!self.pubsub)
            .then(|| json!({ "sns": { "name": model.graph[n].id, "bindingVersion": "0.1.0" } }))
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    /// Its SQS and Lambda subscriptions, on the publishers' sends.
    fn asyncapi_send_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value> {
        if self.pubsub {
            return None;
        }
        sns_bindings(model, n, sns_protocol)
    }

    const TERRAFORM_SEND: &'static str = "; grant it sns:Publish (not generated)";

    /// An `aws_sns_topic`, and an `aws_sns_topic_subscription` per
    /// subscribing queue or consumer.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let graph = &tf.model.graph;
        let node = &graph[n];
        let name = tf.name_of(n);
        let _ = writeln!(out, "resource \"aws_sns_topic\" \"{name}\" {{");
        let _ = writeln!(out, "  name = {}", string(&node.id));
        out.push_str("}\n");
        for e in graph.edges_directed(n, Direction::Outgoing) {
            let target = e.target();
            let kind = graph[target].kind.kind();
            let Some(protocol) = sns_protocol(kind) else {
                let _ = writeln!(
                    out,
                    "# Not mapped: the subscription of {} '{}' to this topic: no AWS resource stands for a Weir {kind}.",
                    kind,
                    one_line(&graph[target].id)
                );
                continue;
            };
            let endpoint = if protocol == "sqs" {
                format!("aws_sqs_queue.{}.arn", tf.name_of(target))
            } else {
                format!("aws_lambda_function.{}.arn", tf.name_of(target))
            };
            let sub = tf.new_name(&format!("{}_to_{}", node.id, graph[target].id));
            let _ = writeln!(
                out,
                "\nresource \"aws_sns_topic_subscription\" \"{sub}\" {{"
            );
            let _ = writeln!(out, "  topic_arn            = aws_sns_topic.{name}.arn");
            let _ = writeln!(out, "  protocol             = \"{protocol}\"");
            let _ = writeln!(out, "  endpoint             = {endpoint}");
            out.push_str("  raw_message_delivery = true\n");
            if let Some(filter) = &e.weight().filter {
                let values: Vec<String> = filter.iter().map(|f| string(f)).collect();
                let _ = writeln!(
                    out,
                    "  filter_policy        = jsonencode({{ \"{EVENT_TYPE_ATTRIBUTE}\" = [{}] }}) # simulated: subscription filter",
                    values.join(", ")
                );
            }
            if let Some(latency) = e.weight().latency {
                let _ = writeln!(out, "  # Not mapped: link latency {latency}.");
            }
            if protocol == "sqs" {
                out.push_str("  # Not generated: the aws_sqs_queue_policy that lets the topic send to the queue.\n");
            }
            out.push_str("}\n");
        }
    }

    /// A Service Bus topic and a subscription per subscriber: forwarded
    /// to a queue, or read by a consumer; a filter is a SQL rule.
    fn azure(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        use crate::export::azure::{
            SERVICE_BUS, max_delivery_count, receive_limit, sql_filter, subscribes,
        };
        let model = tf.model;
        let graph = &model.graph;
        let node = &graph[n];
        let name = tf.name_of(n);
        let _ = writeln!(out, "resource \"azurerm_servicebus_topic\" \"{name}\" {{");
        let _ = writeln!(out, "  name         = {}", string(&node.id));
        let _ = writeln!(
            out,
            "  namespace_id = azurerm_servicebus_namespace.{SERVICE_BUS}.id"
        );
        out.push_str("}\n");
        for e in graph.edges_directed(n, Direction::Outgoing) {
            let target = e.target();
            let kind = graph[target].kind.kind();
            if !subscribes(kind) {
                let _ = writeln!(
                    out,
                    "# Not mapped: the subscription of {kind} '{}' to this topic: no Service Bus entity stands for a Weir {kind}.",
                    one_line(&graph[target].id)
                );
                continue;
            }
            let sub = tf.new_name(&format!("{}_to_{}", node.id, graph[target].id));
            let _ = writeln!(
                out,
                "\nresource \"azurerm_servicebus_subscription\" \"{sub}\" {{"
            );
            let _ = writeln!(out, "  name                = {}", string(&graph[target].id));
            let _ = writeln!(
                out,
                "  topic_id            = azurerm_servicebus_topic.{name}.id"
            );
            if kind == Kind::Queue {
                max_delivery_count(
                    out,
                    Some((
                        10,
                        "forwarded at once: the queue counts its own deliveries".to_owned(),
                    )),
                );
                let _ = writeln!(
                    out,
                    "  forward_to          = azurerm_servicebus_queue.{}.name # simulated: subscription of queue '{}'",
                    tf.name_of(target),
                    one_line(&graph[target].id)
                );
            } else {
                // A consumer reads the subscription itself: its retry
                // policy's attempts are the deliveries.
                let limit = match &graph[target].kind {
                    crate::nodes::NodeKind::Consumer(c) if c.retry.max_attempts() != u32::MAX => {
                        Some((
                            c.retry.max_attempts(),
                            format!("max_attempts of consumer '{}'", graph[target].id),
                        ))
                    }
                    _ => receive_limit(model, target, None),
                };
                max_delivery_count(out, limit);
                let _ = writeln!(
                    out,
                    "  # Simulated: consumer '{}' reads this subscription.",
                    one_line(&graph[target].id)
                );
            }
            if let Some(latency) = e.weight().latency {
                let _ = writeln!(out, "  # Not mapped: link latency {latency}.");
            }
            out.push_str("}\n");
            if let Some(filter) = &e.weight().filter {
                let _ = writeln!(
                    out,
                    "\n# Service Bus gives a new subscription a $Default rule that takes every message: delete it so that this filter decides."
                );
                let _ = writeln!(
                    out,
                    "resource \"azurerm_servicebus_subscription_rule\" \"{sub}_filter\" {{"
                );
                out.push_str("  name            = \"event-types\"\n");
                let _ = writeln!(
                    out,
                    "  subscription_id = azurerm_servicebus_subscription.{sub}.id"
                );
                out.push_str("  filter_type     = \"SqlFilter\"\n");
                let _ = writeln!(
                    out,
                    "  sql_filter      = {} # simulated: subscription filter",
                    string(&sql_filter(filter))
                );
                out.push_str("}\n");
            }
        }
    }

    /// A Pub/Sub topic; a consumer reading it directly gets a subscription
    /// of its own (a queue it feeds writes its own).
    fn gcp(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        use crate::export::gcp::{consumer_subscription, topic};
        let graph = &tf.model.graph;
        topic(out, &tf.name_of(n), &graph[n].id);
        let edges: Vec<_> = graph
            .edges_directed(n, Direction::Outgoing)
            .map(|e| (e.id(), e.target()))
            .collect();
        for (e, target) in edges {
            let graph = &tf.model.graph;
            match graph[target].kind.kind() {
                Kind::Queue => {}
                Kind::Consumer => consumer_subscription(tf, out, n, e),
                kind => {
                    let _ = writeln!(
                        out,
                        "# Not mapped: the subscription of {kind} '{}' to this topic: no Pub/Sub resource stands for a Weir {kind}.",
                        one_line(&graph[target].id)
                    );
                }
            }
        }
    }

    /// No Kafka topic: a topic maps to SNS; a Kafka topic is a log.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

/// The SNS protocol of a subscription by a node of `kind`: SQS for a
/// queue, Lambda for a consumer; `None` for a kind AWS cannot subscribe.
fn sns_protocol(kind: Kind) -> Option<&'static str> {
    if kind == Kind::Queue {
        Some("sqs")
    } else if kind == Kind::Consumer {
        Some("lambda")
    } else {
        None
    }
}
