//! Dead-letter queue: where messages go that failed every attempt or were
//! received too often. They leave the flow here and are counted as
//! dead-lettered; a full dead-letter queue drops what arrives.

use std::fmt::Write as _;

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::engine::{MsgId, NodeIx, Simulation, Slot};
use crate::export::terraform::{Terraform, string};
use crate::metrics::DropReason;
use crate::model::{Model, Node};
use crate::time::SimTime;

/// A dead-letter queue's parameters.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DeadLetterParams {
    /// Most messages stored; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
}

impl DeadLetterParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.capacity == Some(0) {
            out.push("capacity must be at least 1 (leave it out for no limit)".to_owned());
        }
        if let Some(capacity) = self.capacity {
            super::check_at_most("capacity", capacity, super::limits::MAX_CAPACITY, &mut out);
        }
        out
    }
}

/// A dead-letter queue during a run.
#[derive(Clone, Debug)]
pub(crate) struct DeadLetterRt {
    capacity: u64,
    stored: u64,
}

impl DeadLetterRt {
    /// A new capacity from now on.
    pub fn retune(&mut self, params: &DeadLetterParams) {
        self.capacity = params.capacity.unwrap_or(u64::MAX);
    }

    /// Messages stored, and the capacity if bounded.
    pub fn fill(&self) -> (u64, Option<u64>) {
        (
            self.stored,
            (self.capacity != u64::MAX).then_some(self.capacity),
        )
    }

    pub fn new(params: &DeadLetterParams) -> Self {
        Self {
            capacity: params.capacity.unwrap_or(u64::MAX),
            stored: 0,
        }
    }
}

impl Simulation {
    pub(crate) fn dead_letter_arrive(&mut self, node: NodeIx, msg: MsgId) {
        let d = self.topo[node].slot;
        let dlq = &mut self.dead_letters[d];
        if dlq.stored >= dlq.capacity {
            self.drop_msg(node, msg, DropReason::DeadLetterFull);
            return;
        }
        dlq.stored += 1;
        let stored = dlq.stored;
        let stats = &mut self.stats[node];
        stats.depth.set(self.now, stored);
        stats.dead_lettered += 1;
        self.dead_letter_stored(node, msg);
    }
}

impl crate::nodes::KindSpec for DeadLetterParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::DeadLetter;
    const KEY: &'static str = "dead_letter";
    const LABEL: &'static str = "dead-letter queue";
    const PLURAL: &'static str = "dead-letter queues";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Depth, ThroughputIn};
        &[ThroughputIn, Depth]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit::NONE;
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit {
        crash: false,
        slow: false,
        burst: false,
    };
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("folder", "#f5b7b1");
    const MERMAID: (&'static str, &'static str) = ("[\\", "/]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        self.capacity
            .map(|c| format!("capacity {c}"))
            .into_iter()
            .collect()
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        Vec::new()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.inputs == 0 {
            w.warning("nothing dead-letters to this queue");
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::End
    }

    fn restart_reason(&self, _new: &Self) -> Option<&'static str> {
        None
    }
}

impl crate::nodes::Runtime for DeadLetterParams {
    fn compile(&self, sim: &mut Simulation, _cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.dead_letters.push(DeadLetterRt::new(self));
        sim.dead_letters.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, _node: NodeIx, slot: Slot) {
        sim.dead_letters[slot].retune(self);
    }

    fn held(sim: &Simulation, node: NodeIx, _slot: Slot) -> u64 {
        sim.stats[node].depth.value()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(_sim: &mut Simulation, _node: NodeIx) {}

    fn slow(_sim: &mut Simulation, _node: NodeIx, _slot: Slot, _factor: f64) {}

    fn reset(_sim: &mut Simulation, _now: SimTime) {}

    fn report(
        _sim: &Simulation,
        _topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        r.count("dead_lettered", st.dead_lettered);
        r.count("stored", st.depth.value());
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        sim.dead_letters[slot].fill()
    }
}

impl crate::export::KindExport for DeadLetterParams {
    const ASYNCAPI_CHANNEL: bool = true;

    /// An SQS queue.
    fn asyncapi_channel_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value> {
        Some(json!({
            "sqs": {
                "queue": {
                    "name": model.graph[n].id,
                    "fifoQueue": super::queue::feeds_fifo_dead_letter(model, n)
                },
                "bindingVersion": "0.2.0"
            }
        }))
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = "; grant it sqs:SendMessage (not generated)";

    /// An `aws_sqs_queue`.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let _ = writeln!(out, "resource \"aws_sqs_queue\" \"{}\" {{", tf.name_of(n));
        let id = &tf.model.graph[n].id;
        if super::queue::feeds_fifo_dead_letter(tf.model, n) {
            // SQS: a FIFO queue's dead-letter queue must be FIFO too.
            let _ = writeln!(out, "  name = {}", string(&format!("{id}.fifo")));
            out.push_str("  fifo_queue = true # the dead-letter queue of a FIFO queue\n");
            out.push_str("  content_based_deduplication = true\n");
        } else {
            let _ = writeln!(out, "  name = {}", string(id));
        }
        out.push_str("  # A dead-letter queue (simulated).\n");
        if let Some(c) = self.capacity {
            let _ = writeln!(
                out,
                "  # Not mapped: capacity {c}: SQS queues are unbounded."
            );
        }
        out.push_str("}\n");
    }

    /// Fed by queues only: their own dead-letter subqueues, no entity;
    /// fed by consumers: a Service Bus queue they send to.
    fn azure(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        use crate::export::azure::{fed_by_queues_only, servicebus_queue};
        if fed_by_queues_only(tf.model, n) {
            tf.outside(
                out,
                n,
                "Dead-letter queue",
                "Service Bus keeps each queue's dead letters in its own dead-letter subqueue (<queue>/$DeadLetterQueue), so it has no entity of its own",
            );
            return;
        }
        servicebus_queue(tf, out, n);
        out.push_str(
            "  # A dead-letter queue its consumers send failed messages to (simulated).\n",
        );
        if let Some(c) = self.capacity {
            let _ = writeln!(
                out,
                "  # Not mapped: capacity {c} messages: Service Bus bounds a queue in megabytes."
            );
        }
        out.push_str("}\n");
    }

    /// A dead-letter topic, and a subscription that keeps what reaches it
    /// (a topic with no subscription keeps nothing).
    fn gcp(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let id = tf.model.graph[n].id.clone();
        let name = tf.name_of(n);
        crate::export::gcp::topic(out, &name, &id);
        let held = tf.new_name(&format!("{id}_held"));
        let _ = writeln!(
            out,
            "\nresource \"google_pubsub_subscription\" \"{held}\" {{"
        );
        let _ = writeln!(out, "  name  = {}", string(&format!("{id}-held")));
        let _ = writeln!(out, "  topic = google_pubsub_topic.{name}.id");
        out.push_str(
            "  # Keeps the dead letters for inspection and replay (simulated: dead-letter queue).
",
        );
        if let Some(c) = self.capacity {
            let _ = writeln!(
                out,
                "  # Not mapped: capacity {c}: a Pub/Sub subscription holds any backlog."
            );
        }
        out.push_str("}\n");
    }

    /// No Kafka topic: a dead-letter queue maps to SQS.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}
