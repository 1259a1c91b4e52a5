//! Writing a model as an AsyncAPI document.

use std::collections::{BTreeMap, BTreeSet};

use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use serde::Serialize;
use serde_json::{Map, Value, json};

use super::{EVENT_TYPE_ATTRIBUTE, EdgeDoc, ModelDoc, NodeDoc};
use crate::export::{ExportError, Format, KindExport, edge_role};
use crate::model::Model;
use crate::nodes::{EdgeRole, Kind, NodeKind, with_params};

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
            if let Some(bindings) =
                with_params!(&node.kind, p => p.asyncapi_channel_bindings(model, n))
            {
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
                match edge_role(model, e) {
                    Some(EdgeRole::Push) if node.kind.kind() == Kind::Topic => {
                        subscriptions.push(to_value(&doc));
                    }
                    Some(EdgeRole::DeadLetter) => dead_letters.push(to_value(&doc)),
                    // Pulls are the consumers' receive operations.
                    Some(EdgeRole::Pull) => {}
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
            if let Some(bindings) =
                with_params!(&graph[a].kind, p => p.asyncapi_receive_bindings(node))
            {
                op.insert("bindings".into(), bindings);
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
            if let Some(bindings) =
                with_params!(&graph[b].kind, p => p.asyncapi_send_bindings(model, b))
            {
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

/// Whether a node is an AsyncAPI channel (what its writers send to); the
/// others are operations.
fn is_channel(kind: &NodeKind) -> bool {
    fn of<P: KindExport>(_: &P) -> bool {
        P::ASYNCAPI_CHANNEL
    }
    with_params!(kind, p => of(p))
}

/// The SNS binding of a send to `topic`: a subscription for each
/// subscriber `protocol` names (SQS, Lambda), with its filter policy.
pub(crate) fn sns_bindings(
    model: &Model,
    topic: NodeIndex,
    protocol: impl Fn(Kind) -> Option<&'static str>,
) -> Option<Value> {
    let graph = &model.graph;
    let consumers: Vec<Value> = graph
        .edges_directed(topic, petgraph::Direction::Outgoing)
        .filter_map(|e| {
            let e: EdgeIndex = petgraph::visit::EdgeRef::id(&e);
            let (_, b) = graph.edge_endpoints(e)?;
            let protocol = protocol(graph[b].kind.kind())?;
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
