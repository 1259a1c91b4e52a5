//! AsyncAPI 3.0: export (YAML or JSON, [`export`]) and import ([`import()`]).
//!
//! The mapping, both ways:
//!
//! | Weir | AsyncAPI |
//! | --- | --- |
//! | queue, dead-letter queue | a channel with an SQS binding (visibility timeout, redrive policy to the dead-letter queue, max receive count) |
//! | topic | a channel with an SNS binding; the publishers' `send` operations list the subscriptions (SQS or Lambda, with a filter policy on `event_type`) |
//! | sink | a channel: the address its senders send to |
//! | producer | `send` operations, one per output |
//! | consumer | a `receive` operation per queue or topic it reads; `send` operations for its outputs; messages pushed straight to it arrive on a channel of its own, `<id>.inbox` |
//! | event type | a message in `components.messages`, with a payload schema (`event_type`, `key`) |
//!
//! Everything the simulation needs that AsyncAPI has no field for is kept
//! in extensions, so that model → AsyncAPI → model gives back every node,
//! edge and parameter: `x-weir-node` (a node's id, name, canvas position
//! and parameters, on its channel or on each of its operations),
//! `x-weir-edge` (an edge's id and latency, on the operation that is the
//! edge), `x-weir-subscriptions` and `x-weir-dead-letters` (a topic's and
//! a queue's outgoing edges, on their channels), and `x-weir` at the top
//! (the scenario, the order of nodes and edges, and anything with no place
//! elsewhere).
//!
//! Import reads those extensions when they are there ([`import()`] of a
//! Weir-exported document gives back its model). Documents written by
//! others (3.x, and 2.0–2.6 with `publish` read as receiving and
//! `subscribe` as sending) are services: [`import_documents`] joins them
//! into one model, channels matched by address, a broker per channel
//! whose kind is inferred from bindings, servers' protocols and addresses,
//! a node per operation, and `[external]` stand-ins for the side of a
//! channel no document provides; every inference and default is a
//! warning. `$ref`s to other files come through a [`Files`] reader, within
//! limits, never over the network. [`merge`] imports again into a model an
//! earlier import made, keeping the user's work (`docs/export.md`).

mod export;
mod import;
mod infer;
mod join;
mod merge;
mod read;

pub(crate) use export::sns_bindings;
pub use export::{to_document, to_json, to_yaml};
pub use import::{ImportError, import, import_documents};
pub use join::EXTERNAL_PREFIX;
pub use merge::{Change, merge};
pub use read::{
    Document, Files, MAX_REF_BYTES, MAX_REF_DEPTH, MAX_REF_FILES, MAX_REFS, NoFiles, is_document,
};

use serde::{Deserialize, Serialize};

use crate::model::{Edge, Node, Scenario};
use crate::nodes::NodeKind;
use crate::time::Duration;

/// The message attribute that carries the event type (SNS filter policies
/// match on it).
pub const EVENT_TYPE_ATTRIBUTE: &str = "event_type";

/// A node as the extensions carry it.
#[derive(Debug, Serialize, Deserialize)]
struct NodeDoc {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pos: Option<[f32; 2]>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
    kind: NodeKind,
}

impl NodeDoc {
    fn of(node: &Node) -> Self {
        Self {
            id: node.id.clone(),
            name: node.name.clone(),
            pos: node.pos,
            region: node.region.clone(),
            kind: node.kind.clone(),
        }
    }

    fn into_node(self) -> Node {
        Node {
            id: self.id,
            name: self.name,
            kind: self.kind,
            pos: self.pos,
            region: self.region,
        }
    }
}

/// An edge as the extensions carry it; `from` or `to` is left out where
/// the place it is written in says it.
#[derive(Debug, Default, Serialize, Deserialize)]
struct EdgeDoc {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    from: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    to: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filter: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<f64>,
}

impl EdgeDoc {
    fn of(edge: &Edge) -> Self {
        Self {
            id: edge.id.clone(),
            latency: edge.latency,
            filter: edge.filter.clone(),
            weight: edge.weight,
            ..Self::default()
        }
    }

    fn edge(&self) -> Edge {
        Edge {
            id: self.id.clone(),
            latency: self.latency,
            filter: self.filter.clone(),
            weight: self.weight,
        }
    }

    fn is_empty(&self) -> bool {
        self.from.is_none()
            && self.to.is_none()
            && self.id.is_none()
            && self.latency.is_none()
            && self.filter.is_none()
    }
}

/// The top-level `x-weir` extension.
#[derive(Debug, Default, Serialize, Deserialize)]
struct ModelDoc {
    format_version: u32,
    #[serde(default)]
    scenario: Scenario,
    /// Node ids in model order.
    #[serde(default)]
    nodes: Vec<String>,
    /// Edge ids in model order.
    #[serde(default)]
    edges: Vec<String>,
    /// Producers and consumers with no operation to carry them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unattached: Vec<NodeDoc>,
    /// Edges no channel or operation carries — a router's routes, and
    /// edges between kinds that cannot be connected — kept so that nothing
    /// is lost.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    unmapped_edges: Vec<EdgeDoc>,
}

/// Whole seconds, if the duration is a whole number of them within `max`.
pub(crate) fn whole_seconds(d: Duration, max: u64) -> Option<u64> {
    let ns = crate::time::NANOS_PER_SEC;
    (d.0.is_multiple_of(ns) && d.0 / ns <= max).then_some(d.0 / ns)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file;

    const MODEL: &str = r#"(
        version: 1,
        name: "Everything",
        description: "Two lines\nof description.",
        scenario: (duration: "2m", warmup: "10s", seed: 9, replications: 3),
        nodes: [
            (id: "web", name: "Web shop", kind: Producer(
                arrival: Bursty(rate: 100.0, on: "5s", off: "20s", base_rate: 2.0),
                events: [(name: "Placed", weight: 3.0), (name: "Cancelled")],
                keys: 50, on_block: Drop, limit: 1000), pos: (1.0, 2.0)),
            (id: "events", kind: Topic()),
            (id: "q", kind: Queue(capacity: 10, overflow: DropOldest, visibility_timeout: "45s", max_receives: 3)),
            (id: "worker", kind: Consumer(instances: 2, concurrency: 3,
                service: LogNormal(mean: "20ms", cv: 0.5), failure: 0.1,
                retry: Exponential(initial: "10ms", multiplier: 3.0, max_delay: "1s", jitter: Equal, max_attempts: 4),
                delivery: ExactlyOnce, timeout: "500ms")),
            (id: "audit", kind: Consumer(service: Constant("1ms"))),
            (id: "db", kind: Sink(latency: Uniform(min: "1ms", max: "3ms"), concurrency: 4)),
            (id: "dlq", kind: DeadLetter(capacity: 100)),
            (id: "idle", kind: Consumer(service: Erlang(k: 2, mean: "5ms"))),
            (id: "stream", kind: Log(partitions: 3, partitioner: RoundRobin, retention: "2h", rebalance_pause: "1s")),
            (id: "reader", kind: Consumer(service: Constant("2ms"), poison: ["Cancelled"])),
        ],
        edges: [
            (from: "web", to: "events", latency: "2ms"),
            (from: "events", to: "q", filter: ["Placed"]),
            (id: "tap", from: "events", to: "audit"),
            (from: "q", to: "worker"),
            (from: "worker", to: "db", latency: "1ms"),
            (from: "web", to: "audit"),
            (from: "q", to: "dlq"),
            (from: "worker", to: "dlq"),
            (from: "web", to: "stream"),
            (from: "stream", to: "reader", latency: "3ms"),
        ],
    )"#;

    #[test]
    fn a_model_survives_the_round_trip_in_yaml_and_json() {
        let (model, problems) = file::from_str(MODEL).expect("loads");
        assert!(problems.is_empty());
        for text in [
            to_yaml(&model).expect("exports"),
            to_json(&model).expect("exports"),
        ] {
            let (back, diagnostics) = import(&text).expect("imports");
            assert!(diagnostics.is_empty(), "{diagnostics:?}\n{text}");
            assert!(
                model.same_as(&back),
                "round trip changed the model:\n{}\n---\n{}",
                file::to_string(&model),
                file::to_string(&back)
            );
        }
    }
}
