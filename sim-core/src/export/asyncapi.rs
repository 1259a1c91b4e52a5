//! AsyncAPI 3.0: export (YAML or JSON) and import.
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
//! Import reads those extensions when they are there. A document written by
//! another tool is mapped by its structure: channels become queues (topics
//! where they have an SNS binding), `send` operations producers, `receive`
//! operations consumers, with default parameters; every guess is reported
//! as a warning.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::{ExportError, Format, edge_role};
use crate::model::{Edge, Model, Node, Scenario};
use crate::nodes::{
    ConsumerParams, DeadLetterParams, EdgeRole, EventType, Kind, NodeKind, ProducerParams,
    QueueParams, TopicParams,
};
use crate::time::Duration;
use crate::validate::{Diagnostic, Target};

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
    kind: NodeKind,
}

impl NodeDoc {
    fn of(node: &Node) -> Self {
        Self {
            id: node.id.clone(),
            name: node.name.clone(),
            pos: node.pos,
            kind: node.kind.clone(),
        }
    }

    fn into_node(self) -> Node {
        Node {
            id: self.id,
            name: self.name,
            kind: self.kind,
            pos: self.pos,
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

fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// A key AsyncAPI accepts for channels, operations and messages
/// (`[A-Za-z0-9._-]+`), unique among `used`.
fn unique_key(text: &str, used: &mut BTreeSet<String>) -> String {
    let mut base: String = text
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    if base.is_empty() {
        base.push('_');
    }
    let mut key = base.clone();
    let mut n = 2;
    while used.contains(&key) {
        key = format!("{base}-{n}");
        n += 1;
    }
    used.insert(key.clone());
    key
}

/// Event types reaching each node (by position in model order), following
/// edges and topic filters to a fixed point.
fn event_types(model: &Model, nodes: &[NodeIndex]) -> Vec<BTreeSet<String>> {
    let graph = &model.graph;
    let pos = |n: NodeIndex| nodes.iter().position(|&m| m == n);
    let mut arriving: Vec<BTreeSet<String>> = vec![BTreeSet::new(); nodes.len()];
    loop {
        let mut changed = false;
        for e in graph.edge_indices() {
            let Some((a, b)) = graph.edge_endpoints(e) else {
                continue;
            };
            let (Some(ia), Some(ib)) = (pos(a), pos(b)) else {
                continue;
            };
            let leaving: Vec<String> = graph[a]
                .kind
                .emitted()
                .unwrap_or_else(|| arriving[ia].iter().cloned().collect());
            for ty in leaving {
                let passes = graph[e]
                    .filter
                    .as_ref()
                    .is_none_or(|f| graph[a].kind.kind() != Kind::Topic || f.contains(&ty));
                if passes && arriving[ib].insert(ty) {
                    changed = true;
                }
            }
        }
        if !changed {
            return arriving;
        }
    }
}

/// The model as an AsyncAPI 3.0 document.
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the model, in document order"
)]
pub fn to_document(model: &Model) -> Value {
    let graph = &model.graph;
    let nodes: Vec<NodeIndex> = graph.node_indices().collect();
    let pos = |n: NodeIndex| nodes.iter().position(|&m| m == n).unwrap_or(0);
    let arriving = event_types(model, &nodes);
    let leaving = |n: NodeIndex| -> BTreeSet<String> {
        graph[n].kind.emitted().map_or_else(
            || arriving[pos(n)].clone(),
            |names| names.into_iter().collect(),
        )
    };

    // Messages: one per event type, in the order producers name them.
    let mut message_keys: BTreeMap<String, String> = BTreeMap::new();
    let mut used = BTreeSet::new();
    let mut messages = Map::new();
    for &n in &nodes {
        for name in graph[n].kind.emitted().unwrap_or_default() {
            if message_keys.contains_key(&name) {
                continue;
            }
            let key = unique_key(&name, &mut used);
            message_keys.insert(name.clone(), key.clone());
            messages.insert(key, message(&name));
        }
    }
    let message_map = |types: &BTreeSet<String>| -> Map<String, Value> {
        let mut out = Map::new();
        for (name, key) in &message_keys {
            if types.contains(name) {
                out.insert(
                    key.clone(),
                    json!({ "$ref": format!("#/components/messages/{key}") }),
                );
            }
        }
        out
    };
    let message_refs = |channel: &str, types: &BTreeSet<String>| -> Vec<Value> {
        message_keys
            .iter()
            .filter(|(name, _)| types.contains(*name))
            .map(|(_, key)| json!({ "$ref": format!("#/channels/{channel}/messages/{key}") }))
            .collect()
    };

    // Channels: brokers and sinks are channels; a consumer that is sent to
    // directly has an inbox channel.
    let mut used = BTreeSet::new();
    let mut channel_of: BTreeMap<NodeIndex, String> = BTreeMap::new();
    let mut inbox_of: BTreeMap<NodeIndex, String> = BTreeMap::new();
    let mut channels = Map::new();
    let mut unmapped_edges = Vec::new();
    for &n in &nodes {
        if is_channel(&graph[n].kind) {
            let key = unique_key(&graph[n].id, &mut used);
            channel_of.insert(n, key);
        }
    }
    for &n in &nodes {
        let pushed_to = graph
            .edges_directed(n, petgraph::Direction::Incoming)
            .any(|e| {
                edge_role(model, petgraph::visit::EdgeRef::id(&e)) == Some(EdgeRole::Push)
                    && graph[petgraph::visit::EdgeRef::source(&e)].kind.kind() != Kind::Topic
            });
        if graph[n].kind.kind() == Kind::Consumer && pushed_to {
            let key = unique_key(&format!("{}.inbox", graph[n].id), &mut used);
            inbox_of.insert(n, key);
        }
    }
    for &n in &nodes {
        let node = &graph[n];
        if let Some(key) = channel_of.get(&n) {
            let mut ch = Map::new();
            ch.insert("address".into(), json!(node.id));
            ch.insert("title".into(), json!(node.label()));
            ch.insert(
                "summary".into(),
                json!(format!("Weir {}: {}", node.kind.kind(), node.label())),
            );
            ch.insert(
                "messages".into(),
                Value::Object(message_map(&arriving[pos(n)])),
            );
            if let Some(bindings) = channel_bindings(model, n) {
                ch.insert("bindings".into(), bindings);
            }
            ch.insert("x-weir-node".into(), to_value(&NodeDoc::of(node)));
            let mut subscriptions = Vec::new();
            let mut dead_letters = Vec::new();
            for e in graph.edges_directed(n, petgraph::Direction::Outgoing) {
                let e = petgraph::visit::EdgeRef::id(&e);
                let Some((_, b)) = graph.edge_endpoints(e) else {
                    continue;
                };
                let mut doc = EdgeDoc::of(&graph[e]);
                doc.to = Some(graph[b].id.clone());
                match (node.kind.kind(), edge_role(model, e)) {
                    (Kind::Topic, Some(EdgeRole::Push)) => subscriptions.push(to_value(&doc)),
                    (_, Some(EdgeRole::DeadLetter)) => dead_letters.push(to_value(&doc)),
                    // Pulls are the consumers' receive operations.
                    (_, Some(EdgeRole::Pull)) => {}
                    _ => {
                        doc.from = Some(node.id.clone());
                        unmapped_edges.push(doc);
                    }
                }
            }
            if !subscriptions.is_empty() {
                ch.insert("x-weir-subscriptions".into(), Value::Array(subscriptions));
            }
            if !dead_letters.is_empty() {
                ch.insert("x-weir-dead-letters".into(), Value::Array(dead_letters));
            }
            channels.insert(key.clone(), Value::Object(ch));
        }
        if let Some(key) = inbox_of.get(&n) {
            let pushed: BTreeSet<String> = graph
                .edges_directed(n, petgraph::Direction::Incoming)
                .filter(|e| graph[petgraph::visit::EdgeRef::source(e)].kind.kind() != Kind::Topic)
                .flat_map(|e| leaving(petgraph::visit::EdgeRef::source(&e)))
                .collect();
            channels.insert(
                key.clone(),
                json!({
                    "address": format!("{}.inbox", node.id),
                    "title": format!("{} inbox", node.label()),
                    "summary": format!("Messages sent straight to {}", node.label()),
                    "messages": message_map(&pushed),
                    "x-weir-inbox-of": node.id,
                }),
            );
        }
    }

    // Operations: producers' and consumers' sends, consumers' receives
    // (every node that is not a channel).
    let mut used = BTreeSet::new();
    let mut operations = Map::new();
    let mut unattached = Vec::new();
    for &n in &nodes {
        let node = &graph[n];
        let acts = !is_channel(&node.kind);
        if !acts {
            continue;
        }
        let mut ops: Vec<(String, Value)> = Vec::new();
        let node_doc = to_value(&NodeDoc::of(node));
        // Receives: from queues (each an edge) and topics (subscriptions,
        // kept on the topic), and from the inbox.
        for e in graph.edges_directed(n, petgraph::Direction::Incoming) {
            let e = petgraph::visit::EdgeRef::id(&e);
            let Some((a, _)) = graph.edge_endpoints(e) else {
                continue;
            };
            let role = edge_role(model, e);
            let from_topic = graph[a].kind.kind() == Kind::Topic && role == Some(EdgeRole::Push);
            if role != Some(EdgeRole::Pull) && !from_topic {
                if role.is_none() && !channel_of.contains_key(&a) {
                    // Not a channel's edge, and nothing else carries it.
                    let mut doc = EdgeDoc::of(&graph[e]);
                    doc.from = Some(graph[a].id.clone());
                    doc.to = Some(node.id.clone());
                    unmapped_edges.push(doc);
                }
                continue;
            }
            let Some(channel) = channel_of.get(&a) else {
                continue;
            };
            let types = if from_topic {
                leaving(a)
                    .into_iter()
                    .filter(|t| graph[e].filter.as_ref().is_none_or(|f| f.contains(t)))
                    .collect()
            } else {
                arriving[pos(a)].clone()
            };
            let mut op = Map::new();
            op.insert("action".into(), json!("receive"));
            op.insert(
                "channel".into(),
                json!({ "$ref": format!("#/channels/{channel}") }),
            );
            op.insert(
                "summary".into(),
                json!(format!(
                    "{} receives from {}",
                    node.label(),
                    graph[a].label()
                )),
            );
            op.insert(
                "messages".into(),
                Value::Array(message_refs(channel, &types)),
            );
            if graph[a].kind.kind() == Kind::Log {
                // Each consumer reading a log is its own consumer group.
                op.insert(
                    "bindings".into(),
                    json!({ "kafka": {
                        "groupId": { "type": "string", "enum": [node.id] },
                        "bindingVersion": "0.5.0",
                    } }),
                );
            }
            op.insert("x-weir-node".into(), node_doc.clone());
            if !from_topic {
                let doc = EdgeDoc::of(&graph[e]);
                if !doc.is_empty() {
                    op.insert("x-weir-edge".into(), to_value(&doc));
                }
            }
            ops.push((
                format!("{}.receive.{}", node.id, graph[a].id),
                Value::Object(op),
            ));
        }
        if let Some(channel) = inbox_of.get(&n) {
            let types = channels
                .get(channel)
                .and_then(|c| c.get("messages"))
                .and_then(Value::as_object)
                .map(|m| m.keys().cloned().collect::<Vec<_>>())
                .unwrap_or_default();
            ops.push((
                format!("{}.receive.inbox", node.id),
                json!({
                    "action": "receive",
                    "channel": { "$ref": format!("#/channels/{channel}") },
                    "summary": format!("{} receives what is sent to it directly", node.label()),
                    "messages": types.iter().map(|k| json!({ "$ref": format!("#/channels/{channel}/messages/{k}") })).collect::<Vec<_>>(),
                    "x-weir-node": node_doc.clone(),
                }),
            ));
        }
        // Sends: every output, dead-letter queues included.
        for e in graph.edges_directed(n, petgraph::Direction::Outgoing) {
            let e = petgraph::visit::EdgeRef::id(&e);
            let Some((_, b)) = graph.edge_endpoints(e) else {
                continue;
            };
            let target = channel_of.get(&b).or_else(|| inbox_of.get(&b));
            let (Some(channel), Some(_)) = (target, edge_role(model, e)) else {
                let mut doc = EdgeDoc::of(&graph[e]);
                doc.from = Some(node.id.clone());
                doc.to = Some(graph[b].id.clone());
                unmapped_edges.push(doc);
                continue;
            };
            let mut op = Map::new();
            op.insert("action".into(), json!("send"));
            op.insert(
                "channel".into(),
                json!({ "$ref": format!("#/channels/{channel}") }),
            );
            op.insert(
                "summary".into(),
                json!(format!("{} sends to {}", node.label(), graph[b].label())),
            );
            op.insert(
                "messages".into(),
                Value::Array(message_refs(channel, &leaving(n))),
            );
            if let Some(bindings) = send_bindings(model, b) {
                op.insert("bindings".into(), bindings);
            }
            op.insert("x-weir-node".into(), node_doc.clone());
            let doc = EdgeDoc::of(&graph[e]);
            if !doc.is_empty() {
                op.insert("x-weir-edge".into(), to_value(&doc));
            }
            ops.push((
                format!("{}.send.{}", node.id, graph[b].id),
                Value::Object(op),
            ));
        }
        if ops.is_empty() {
            unattached.push(NodeDoc::of(node));
        }
        for (name, op) in ops {
            let key = unique_key(&name, &mut used);
            operations.insert(key, op);
        }
    }

    let weir = ModelDoc {
        format_version: crate::model::file::FORMAT_VERSION,
        scenario: model.scenario.clone(),
        nodes: nodes.iter().map(|&n| graph[n].id.clone()).collect(),
        edges: graph.edge_indices().map(|e| model.edge_id(e)).collect(),
        unattached,
        unmapped_edges,
    };
    let mut info = Map::new();
    info.insert("title".into(), json!(model.name));
    info.insert("version".into(), json!("1.0.0"));
    if !model.description.is_empty() {
        info.insert("description".into(), json!(model.description));
    }
    json!({
        "asyncapi": "3.0.0",
        "info": info,
        "defaultContentType": "application/json",
        "channels": channels,
        "operations": operations,
        "components": { "messages": messages },
        "x-weir": to_value(&weir),
    })
}

/// A message for one event type.
fn message(name: &str) -> Value {
    json!({
        "name": name,
        "title": name,
        "contentType": "application/json",
        "payload": {
            "type": "object",
            "required": [EVENT_TYPE_ATTRIBUTE, "key"],
            "properties": {
                EVENT_TYPE_ATTRIBUTE: {
                    "type": "string",
                    "const": name,
                    "description": "The event type; also a message attribute, which topic filter policies match on."
                },
                "key": {
                    "type": "string",
                    "description": "The event's key: the producer draws one of its `keys` distinct keys uniformly."
                }
            }
        }
    })
}

/// Whole seconds, if the duration is a whole number of them within `max`.
fn whole_seconds(d: Duration, max: u64) -> Option<u64> {
    let ns = crate::time::NANOS_PER_SEC;
    (d.0.is_multiple_of(ns) && d.0 / ns <= max).then_some(d.0 / ns)
}

/// SQS or SNS bindings of a broker's channel.
fn channel_bindings(model: &Model, n: NodeIndex) -> Option<Value> {
    let graph = &model.graph;
    let node = &graph[n];
    match &node.kind {
        NodeKind::Queue(q) => {
            let mut queue = Map::new();
            queue.insert("name".into(), json!(node.id));
            queue.insert("fifoQueue".into(), json!(false));
            if let Some(s) = whole_seconds(q.visibility_timeout, 43_200) {
                queue.insert("visibilityTimeout".into(), json!(s));
            }
            if let Some(dlq) = dead_letter_of(model, n) {
                let mut redrive = Map::new();
                redrive.insert("deadLetterQueue".into(), json!({ "name": graph[dlq].id }));
                if let Some(m) = q.max_receives {
                    redrive.insert("maxReceiveCount".into(), json!(m));
                }
                queue.insert("redrivePolicy".into(), Value::Object(redrive));
            }
            Some(json!({ "sqs": { "queue": queue, "bindingVersion": "0.2.0" } }))
        }
        NodeKind::DeadLetter(_) => Some(json!({
            "sqs": { "queue": { "name": node.id, "fifoQueue": false }, "bindingVersion": "0.2.0" }
        })),
        NodeKind::Topic(_) => {
            Some(json!({ "sns": { "name": node.id, "bindingVersion": "0.1.0" } }))
        }
        NodeKind::Log(l) => Some(json!({ "kafka": {
            "topic": node.id,
            "partitions": l.partitions,
            "topicConfiguration": {
                "cleanup.policy": ["delete"],
                "retention.ms": retention_ms(l.retention),
            },
            "bindingVersion": "0.5.0",
        } })),
        NodeKind::Producer(_)
        | NodeKind::Consumer(_)
        | NodeKind::Router(_)
        | NodeKind::Service(_)
        | NodeKind::Sink(_)
        | NodeKind::Cep(_)
        | NodeKind::EventStore(_)
        | NodeKind::Projection(_) => None,
    }
}

/// A retention in whole milliseconds (Kafka's `retention.ms`), rounded up.
pub(crate) fn retention_ms(d: Duration) -> u64 {
    d.0.div_ceil(1_000_000)
}

/// The dead-letter queue a node's dead-letter edge leads to.
pub(crate) fn dead_letter_of(model: &Model, n: NodeIndex) -> Option<NodeIndex> {
    model
        .graph
        .edges_directed(n, petgraph::Direction::Outgoing)
        .map(|e| petgraph::visit::EdgeRef::id(&e))
        .find(|&e| edge_role(model, e) == Some(EdgeRole::DeadLetter))
        .and_then(|e| model.graph.edge_endpoints(e))
        .map(|(_, b)| b)
}

/// The SNS binding of a send to a topic: its SQS and Lambda subscriptions.
fn send_bindings(model: &Model, target: NodeIndex) -> Option<Value> {
    let graph = &model.graph;
    if graph[target].kind.kind() != Kind::Topic {
        return None;
    }
    let consumers: Vec<Value> = graph
        .edges_directed(target, petgraph::Direction::Outgoing)
        .filter_map(|e| {
            let e: EdgeIndex = petgraph::visit::EdgeRef::id(&e);
            let (_, b) = graph.edge_endpoints(e)?;
            let protocol = match graph[b].kind.kind() {
                Kind::Queue => "sqs",
                Kind::Consumer => "lambda",
                _ => return None,
            };
            let mut sub = Map::new();
            sub.insert("protocol".into(), json!(protocol));
            sub.insert("endpoint".into(), json!({ "name": graph[b].id }));
            if let Some(filter) = &graph[e].filter {
                sub.insert(
                    "filterPolicy".into(),
                    json!({ EVENT_TYPE_ATTRIBUTE: filter }),
                );
            }
            sub.insert("rawMessageDelivery".into(), json!(true));
            Some(Value::Object(sub))
        })
        .collect();
    (!consumers.is_empty())
        .then(|| json!({ "sns": { "consumers": consumers, "bindingVersion": "0.1.0" } }))
}

/// Whether a node is an AsyncAPI channel; the others (producers and
/// consumers) are operations. Brokers map to channels directly. Routers,
/// services, CEP nodes, event stores and projections have no AsyncAPI
/// counterpart: as channels their writers send to, they keep their
/// parameters in `x-weir-node` and their outgoing edges in `x-weir`.
const fn is_channel(kind: &NodeKind) -> bool {
    match kind {
        NodeKind::Queue(_)
        | NodeKind::Topic(_)
        | NodeKind::Router(_)
        | NodeKind::Service(_)
        | NodeKind::Sink(_)
        | NodeKind::DeadLetter(_)
        | NodeKind::Log(_)
        | NodeKind::Cep(_)
        | NodeKind::EventStore(_)
        | NodeKind::Projection(_) => true,
        NodeKind::Producer(_) | NodeKind::Consumer(_) => false,
    }
}

/// The model as AsyncAPI YAML.
pub fn to_yaml(model: &Model) -> Result<String, ExportError> {
    serde_norway::to_string(&to_document(model)).map_err(|e| ExportError::Encode {
        format: Format::AsyncApi,
        message: e.to_string(),
    })
}

/// The model as AsyncAPI JSON.
pub fn to_json(model: &Model) -> Result<String, ExportError> {
    let mut text =
        serde_json::to_string_pretty(&to_document(model)).map_err(|e| ExportError::Encode {
            format: Format::AsyncApiJson,
            message: e.to_string(),
        })?;
    text.push('\n');
    Ok(text)
}

/// Why a document could not be imported at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not YAML or JSON: {0}")]
    Syntax(String),
    #[error("not an AsyncAPI 3 document: {0}")]
    NotAsyncApi3(String),
}

/// What a channel stands for on import.
#[derive(Clone, Debug)]
enum ChannelTarget {
    Node(String),
    Inbox(String),
}

/// The model being rebuilt.
#[derive(Default)]
struct Builder {
    nodes: Vec<Node>,
    edges: Vec<(String, String, Edge)>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder {
    fn has(&self, id: &str) -> bool {
        self.nodes.iter().any(|n| n.id == id)
    }

    fn kind_of(&self, id: &str) -> Option<Kind> {
        self.nodes
            .iter()
            .find(|n| n.id == id)
            .map(|n| n.kind.kind())
    }

    /// Adds a node; a second description of the same id must agree.
    fn add(&mut self, node: Node, place: &str) {
        if let Some(existing) = self.nodes.iter().find(|n| n.id == node.id) {
            if *existing != node {
                self.diagnostics.push(Diagnostic::warning(
                    Target::Node(node.id.clone()),
                    format!(
                        "{place} describes this node differently from an earlier place; kept the first"
                    ),
                ));
            }
            return;
        }
        self.nodes.push(node);
    }

    fn warn(&mut self, target: Target, message: String) {
        self.diagnostics.push(Diagnostic::warning(target, message));
    }
}

fn parse<T: for<'de> Deserialize<'de>>(
    value: &Value,
    place: &str,
    diagnostics: &mut Vec<Diagnostic>,
) -> Option<T> {
    match serde_json::from_value(value.clone()) {
        Ok(v) => Some(v),
        Err(e) => {
            diagnostics.push(Diagnostic::warning(
                Target::Model,
                format!("{place}: could not read the Weir extension: {e}"),
            ));
            None
        }
    }
}

/// The channel key a `$ref` like `#/channels/orders` points at.
fn channel_key(reference: &Value) -> Option<String> {
    let r = reference.get("$ref")?.as_str()?;
    let key = r.strip_prefix("#/channels/")?;
    Some(key.replace("~1", "/").replace("~0", "~"))
}

/// The event-type names of an operation's messages (resolving references
/// to channel and component messages).
fn message_names(doc: &Value, refs: Option<&Value>) -> Vec<String> {
    let mut names = Vec::new();
    for r in refs.and_then(Value::as_array).into_iter().flatten() {
        let mut target = r.clone();
        // Follow at most a few references.
        for _ in 0..4 {
            let Some(path) = target.get("$ref").and_then(Value::as_str) else {
                break;
            };
            let Some(pointer) = path.strip_prefix('#') else {
                break;
            };
            match doc.pointer(pointer) {
                Some(next) => target = next.clone(),
                None => break,
            }
        }
        let name = target
            .get("name")
            .and_then(Value::as_str)
            .map(str::to_owned)
            .or_else(|| {
                r.get("$ref")
                    .and_then(Value::as_str)
                    .and_then(|p| p.rsplit('/').next())
                    .map(str::to_owned)
            });
        if let Some(name) = name
            && !names.contains(&name)
        {
            names.push(name);
        }
    }
    names
}

/// Reads an AsyncAPI 3.0 document (YAML or JSON) as a model, with warnings
/// for what could not be mapped or had to be guessed.
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the document, in document order"
)]
pub fn import(text: &str) -> Result<(Model, Vec<Diagnostic>), ImportError> {
    let doc: Value =
        serde_norway::from_str(text).map_err(|e| ImportError::Syntax(e.to_string()))?;
    let version = doc
        .get("asyncapi")
        .and_then(Value::as_str)
        .ok_or_else(|| ImportError::NotAsyncApi3("there is no `asyncapi` version field".into()))?;
    if !version.starts_with("3.") {
        return Err(ImportError::NotAsyncApi3(format!(
            "it is version {version}; Weir reads 3.x"
        )));
    }
    let mut b = Builder::default();
    let weir: Option<ModelDoc> = doc
        .get("x-weir")
        .and_then(|v| parse(v, "x-weir", &mut b.diagnostics));
    let native = weir.is_some();

    // Channels.
    let mut channels: BTreeMap<String, ChannelTarget> = BTreeMap::new();
    let mut redrives: Vec<(String, String, Option<u32>)> = Vec::new();
    let empty = Map::new();
    let channel_objs = doc
        .get("channels")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    for (key, ch) in channel_objs {
        if let Some(owner) = ch.get("x-weir-inbox-of").and_then(Value::as_str) {
            channels.insert(key.clone(), ChannelTarget::Inbox(owner.to_owned()));
            continue;
        }
        if let Some(nd) = ch.get("x-weir-node") {
            let place = format!("channel '{key}'");
            if let Some(nd) = parse::<NodeDoc>(nd, &place, &mut b.diagnostics) {
                let id = nd.id.clone();
                b.add(nd.into_node(), &place);
                channels.insert(key.clone(), ChannelTarget::Node(id));
                continue;
            }
        }
        // Another tool's channel: a broker, by its bindings.
        let id = ch
            .get("address")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty() && !a.contains('{') && !b.has(a))
            .unwrap_or(key)
            .to_owned();
        let bindings = ch.get("bindings");
        let sqs = bindings.and_then(|bd| bd.get("sqs"));
        let kind = if let Some(kafka) = bindings.and_then(|bd| bd.get("kafka")) {
            let mut l = crate::nodes::LogParams::default();
            if let Some(p) = kafka
                .get("partitions")
                .and_then(Value::as_u64)
                .and_then(|p| u32::try_from(p).ok())
                .filter(|&p| p > 0)
            {
                l.partitions = p;
            }
            if let Some(ms) = kafka
                .get("topicConfiguration")
                .and_then(|c| c.get("retention.ms"))
                .and_then(Value::as_u64)
                .filter(|&ms| ms > 0)
            {
                l.retention = Duration(ms.saturating_mul(1_000_000));
            }
            NodeKind::Log(l)
        } else if bindings.and_then(|bd| bd.get("sns")).is_some() {
            NodeKind::Topic(TopicParams::default())
        } else if let Some(sqs) = sqs {
            let mut q = QueueParams::default();
            let queue = sqs.get("queue");
            if let Some(v) = queue
                .and_then(|q| q.get("visibilityTimeout"))
                .and_then(Value::as_u64)
                .filter(|&v| v > 0)
            {
                q.visibility_timeout = Duration::from_secs(v);
            }
            if let Some(redrive) = queue.and_then(|q| q.get("redrivePolicy")) {
                let dlq = redrive
                    .get("deadLetterQueue")
                    .and_then(|d| d.get("name").or_else(|| d.get("arn")))
                    .and_then(Value::as_str)
                    .map(|s| s.rsplit(':').next().unwrap_or(s).to_owned());
                let max = redrive
                    .get("maxReceiveCount")
                    .and_then(Value::as_u64)
                    .and_then(|m| u32::try_from(m).ok());
                q.max_receives = max;
                if let Some(dlq) = dlq {
                    redrives.push((id.clone(), dlq, max));
                }
            }
            NodeKind::Queue(q)
        } else {
            let protocols: Vec<&str> = bindings
                .and_then(Value::as_object)
                .map(|m| m.keys().map(String::as_str).collect())
                .unwrap_or_default();
            let message = if protocols.is_empty() {
                format!(
                    "channel '{key}' has no binding that says what kind of broker it is; imported as a queue"
                )
            } else {
                format!(
                    "channel '{key}' has bindings for {}, which Weir has no kind for yet; imported as a queue",
                    protocols.join(", ")
                )
            };
            b.warn(Target::Node(id.clone()), message);
            NodeKind::Queue(QueueParams::default())
        };
        let mut node = Node::new(id.clone(), kind);
        node.name = ch
            .get("title")
            .and_then(Value::as_str)
            .filter(|t| *t != id)
            .map(str::to_owned);
        b.add(node, &format!("channel '{key}'"));
        channels.insert(key.clone(), ChannelTarget::Node(id));
    }

    // Operations.
    let op_objs = doc
        .get("operations")
        .and_then(Value::as_object)
        .unwrap_or(&empty);
    let mut foreign_producers = Vec::new();
    for (key, op) in op_objs {
        let place = format!("operation '{key}'");
        let action = op.get("action").and_then(Value::as_str).unwrap_or("");
        let Some(channel) = op.get("channel").and_then(channel_key) else {
            b.warn(
                Target::Model,
                format!("{place} names no channel of this document; left out"),
            );
            continue;
        };
        let Some(target) = channels.get(&channel).cloned() else {
            b.warn(
                Target::Model,
                format!("{place} refers to channel '{channel}', which does not exist; left out"),
            );
            continue;
        };
        let id = if let Some(nd) = op
            .get("x-weir-node")
            .and_then(|v| parse::<NodeDoc>(v, &place, &mut b.diagnostics))
        {
            let id = nd.id.clone();
            b.add(nd.into_node(), &place);
            id
        } else {
            let id = key.clone();
            let kind = match action {
                "send" => {
                    let events: Vec<EventType> = message_names(&doc, op.get("messages"))
                        .into_iter()
                        .map(|name| EventType { name, weight: 1.0 })
                        .collect();
                    let events = if events.len() == 1
                        && events[0].name == crate::nodes::producer::DEFAULT_EVENT_TYPE
                    {
                        Vec::new()
                    } else {
                        events
                    };
                    foreign_producers.push(id.clone());
                    NodeKind::Producer(ProducerParams {
                        events,
                        ..ProducerParams::default()
                    })
                }
                "receive" => {
                    b.warn(
                        Target::Node(id.clone()),
                        format!("{place}: a receiving service; its service time is not in the document, so it is the default ({})", default_service()),
                    );
                    NodeKind::Consumer(ConsumerParams::default())
                }
                other => {
                    b.warn(
                        Target::Model,
                        format!("{place} has action '{other}', neither send nor receive; left out"),
                    );
                    continue;
                }
            };
            let mut node = Node::new(id.clone(), kind);
            node.name = op.get("title").and_then(Value::as_str).map(str::to_owned);
            b.add(node, &place);
            id
        };
        let edge = op
            .get("x-weir-edge")
            .and_then(|v| parse::<EdgeDoc>(v, &place, &mut b.diagnostics))
            .map(|d| d.edge())
            .unwrap_or_default();
        match (action, target) {
            ("send", ChannelTarget::Node(to) | ChannelTarget::Inbox(to)) => {
                b.edges.push((id, to, edge));
            }
            // A native document keeps topic subscriptions on the topic.
            ("receive", ChannelTarget::Node(from))
                if !(native && b.kind_of(&from) == Some(Kind::Topic)) =>
            {
                b.edges.push((from, id, edge));
            }
            _ => {}
        }
    }
    for id in foreign_producers {
        b.warn(
            Target::Node(id),
            format!(
                "a sending application; its rate is not in the document, so it sends {} events/s (Poisson)",
                ProducerParams::default().arrival.mean_rate()
            ),
        );
    }

    // Edges kept on channels.
    for (key, ch) in channel_objs {
        let Some(ChannelTarget::Node(from)) = channels.get(key).cloned() else {
            continue;
        };
        for ext in ["x-weir-subscriptions", "x-weir-dead-letters"] {
            for v in ch.get(ext).and_then(Value::as_array).into_iter().flatten() {
                let place = format!("channel '{key}' {ext}");
                if let Some(doc) = parse::<EdgeDoc>(v, &place, &mut b.diagnostics)
                    && let Some(to) = doc.to.clone()
                {
                    b.edges.push((from.clone(), to, doc.edge()));
                }
            }
        }
    }
    if !native {
        // Another tool's SNS subscriptions and SQS redrive policies.
        for op in op_objs.values() {
            let Some(ChannelTarget::Node(topic)) = op
                .get("channel")
                .and_then(channel_key)
                .and_then(|k| channels.get(&k).cloned())
            else {
                continue;
            };
            let subs = op
                .pointer("/bindings/sns/consumers")
                .and_then(Value::as_array);
            for sub in subs.into_iter().flatten() {
                let Some(to) = sub.pointer("/endpoint/name").and_then(Value::as_str) else {
                    continue;
                };
                if !b.has(to) || b.edges.iter().any(|(f, t, _)| *f == topic && t == to) {
                    continue;
                }
                let filter = sub
                    .pointer(&format!("/filterPolicy/{EVENT_TYPE_ATTRIBUTE}"))
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(Value::as_str)
                            .map(str::to_owned)
                            .collect()
                    });
                b.edges.push((
                    topic.clone(),
                    to.to_owned(),
                    Edge {
                        filter,
                        ..Edge::default()
                    },
                ));
            }
        }
        for (queue, dlq, _) in redrives {
            match b.nodes.iter_mut().find(|n| n.id == dlq) {
                Some(node) => {
                    if node.kind == NodeKind::Queue(QueueParams::default()) {
                        node.kind = NodeKind::DeadLetter(DeadLetterParams::default());
                    }
                }
                None => b.nodes.push(Node::new(
                    dlq.clone(),
                    NodeKind::DeadLetter(DeadLetterParams::default()),
                )),
            }
            b.edges.push((queue, dlq, Edge::default()));
        }
    }

    // The rest of the model, and its order.
    let mut model = Model::new(
        doc.pointer("/info/title")
            .and_then(Value::as_str)
            .unwrap_or("Imported from AsyncAPI"),
    );
    model.description = doc
        .pointer("/info/description")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned();
    let (node_order, edge_order) = match weir {
        Some(w) => {
            model.scenario = w.scenario;
            for nd in w.unattached {
                b.add(nd.into_node(), "x-weir unattached");
            }
            for doc in w.unmapped_edges {
                if let (Some(from), Some(to)) = (doc.from.clone(), doc.to.clone()) {
                    b.edges.push((from, to, doc.edge()));
                }
            }
            (w.nodes, w.edges)
        }
        None => (Vec::new(), Vec::new()),
    };
    let rank =
        |order: &[String], id: &str| order.iter().position(|o| o == id).unwrap_or(usize::MAX);
    let mut nodes = std::mem::take(&mut b.nodes);
    nodes.sort_by_key(|n| rank(&node_order, &n.id));
    let mut index = BTreeMap::new();
    for node in nodes {
        let id = node.id.clone();
        index.insert(id, model.add_node(node));
    }
    let mut edges = std::mem::take(&mut b.edges);
    edges.sort_by_key(|(from, to, e)| {
        let id =
            e.id.clone()
                .unwrap_or_else(|| crate::model::default_edge_id(from, to));
        rank(&edge_order, &id)
    });
    for (from, to, edge) in edges {
        match (index.get(&from), index.get(&to)) {
            (Some(&a), Some(&z)) => {
                model.add_edge(a, z, edge);
            }
            _ => b.warn(
                Target::Edge(crate::model::default_edge_id(&from, &to)),
                "the edge names a node the document does not describe; left out".to_owned(),
            ),
        }
    }
    Ok((model, b.diagnostics))
}

fn default_service() -> String {
    match ConsumerParams::default().service {
        crate::dist::Dist::Exponential { mean } => format!("exponential, mean {mean}"),
        other => format!("{other:?}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dist::Arrival;
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

    #[test]
    fn a_foreign_document_is_mapped_with_warnings() {
        let text = r#"
asyncapi: 3.0.0
info: { title: Shop, version: 1.0.0 }
channels:
  orders:
    address: orders
    messages:
      OrderPlaced: { name: OrderPlaced, payload: { type: object } }
    bindings:
      sqs:
        queue:
          name: orders
          fifoQueue: false
          visibilityTimeout: 60
          redrivePolicy: { deadLetterQueue: { name: orders-dlq }, maxReceiveCount: 5 }
  stream:
    address: stream
    bindings: { amqp: { is: routingKey } }
  clicks:
    address: clicks
    bindings: { kafka: { partitions: 3, topicConfiguration: { retention.ms: 3600000 } } }
operations:
  placeOrder:
    action: send
    channel: { $ref: '#/channels/orders' }
    messages: [ { $ref: '#/channels/orders/messages/OrderPlaced' } ]
  fulfil:
    action: receive
    channel: { $ref: '#/channels/orders' }
"#;
        let (model, diagnostics) = import(text).expect("imports");
        let kind = |id: &str| model.find(id).map(|n| model.graph[n].kind.kind());
        assert_eq!(kind("orders"), Some(Kind::Queue));
        assert_eq!(kind("orders-dlq"), Some(Kind::DeadLetter));
        assert_eq!(kind("placeOrder"), Some(Kind::Producer));
        assert_eq!(kind("fulfil"), Some(Kind::Consumer));
        assert_eq!(kind("stream"), Some(Kind::Queue));
        let Some(NodeKind::Log(l)) = model.find("clicks").map(|n| model.graph[n].kind.clone())
        else {
            panic!("clicks is a log");
        };
        assert_eq!(l.partitions, 3);
        assert_eq!(l.retention, Duration::from_secs(3600));
        let Some(NodeKind::Queue(q)) = model.find("orders").map(|n| model.graph[n].kind.clone())
        else {
            panic!("orders is a queue");
        };
        assert_eq!(q.visibility_timeout, Duration::from_secs(60));
        assert_eq!(q.max_receives, Some(5));
        let Some(NodeKind::Producer(p)) = model
            .find("placeOrder")
            .map(|n| model.graph[n].kind.clone())
        else {
            panic!("placeOrder is a producer");
        };
        assert_eq!(p.event_names(), ["OrderPlaced"]);
        assert!(matches!(p.arrival, Arrival::Poisson { .. }));
        assert_eq!(model.graph.edge_count(), 3, "send, receive and redrive");
        let text: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|d| d.contains("amqp")),
            "the AMQP channel is reported: {text:?}"
        );
        assert!(text.iter().any(|d| d.contains("rate")), "{text:?}");
        assert!(text.iter().any(|d| d.contains("service time")), "{text:?}");
    }

    #[test]
    fn not_asyncapi_3_is_refused() {
        assert!(matches!(
            import("asyncapi: 2.6.0\ninfo: {title: x, version: '1'}\n"),
            Err(ImportError::NotAsyncApi3(_))
        ));
        assert!(matches!(import("a: [b"), Err(ImportError::Syntax(_))));
    }
}
