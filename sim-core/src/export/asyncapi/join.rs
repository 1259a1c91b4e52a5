//! Services (one per document) joined into one model: channels matched
//! by address (`{parameters}` as patterns), one broker node per channel,
//! a node per operation, senders and receivers of a channel connected
//! through its broker, and stand-ins for the side of a channel that no
//! document provides.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

use super::EVENT_TYPE_ATTRIBUTE;
use super::infer::Hints;
use super::read::{Action, Service, slug};
use crate::model::origin::{Imported, ImportedNode, Origin};
use crate::model::{Edge, Model, Node, default_edge_id};
use crate::nodes::{
    ConsumerParams, DeadLetterParams, EventType, Kind, NodeKind, ProducerParams, QueueParams,
};
use crate::validate::{Diagnostic, Target};

/// What the names of stand-in nodes start with, so that they are easy to
/// find on the canvas and replace.
pub const EXTERNAL_PREFIX: &str = "[external] ";

/// Patterns with more parameters than this are matched only by shape.
const MAX_PATTERN_PARAMS: usize = 32;

/// An address with each `{parameter}` as `{}`.
pub(super) fn pattern(address: &str) -> String {
    let mut out = String::with_capacity(address.len());
    let mut inside = false;
    for c in address.chars() {
        match c {
            '{' if !inside => {
                inside = true;
                out.push_str("{}");
            }
            '}' if inside => inside = false,
            _ if inside => {}
            _ => out.push(c),
        }
    }
    out
}

/// Whether a literal address fits a pattern (`{}` standing for one or
/// more characters other than `/` and `.`).
fn fits(pattern: &str, literal: &str) -> bool {
    let mut budget = 10_000u32;
    fits_within(pattern, literal, &mut budget)
}

/// [`fits`], giving up (no fit) after `budget` steps.
fn fits_within(pattern: &str, literal: &str, budget: &mut u32) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    match pattern.split_once("{}") {
        None => pattern == literal,
        Some((head, rest)) => {
            let Some(tail) = literal.strip_prefix(head) else {
                return false;
            };
            let run = tail.find(['/', '.']).unwrap_or(tail.len());
            tail[..run]
                .char_indices()
                .skip(1)
                .map(|(i, _)| i)
                .chain((run > 0).then_some(run))
                .any(|n| fits_within(rest, &tail[n..], budget))
        }
    }
}

/// One channel across the documents.
#[derive(Default)]
struct Group {
    pattern: String,
    /// (service, channel) declarations, in document order.
    declarations: Vec<(usize, usize)>,
    /// (service, operation).
    senders: Vec<(usize, usize)>,
    receivers: Vec<(usize, usize)>,
}

fn find(parent: &mut [usize], mut i: usize) -> usize {
    while parent[i] != i {
        parent[i] = parent[parent[i]];
        i = parent[i];
    }
    i
}

/// Groups every declared channel by address.
fn group(services: &[Service]) -> (Vec<Group>, Vec<Vec<usize>>) {
    let mut groups: Vec<Group> = Vec::new();
    let mut by_pattern: BTreeMap<String, usize> = BTreeMap::new();
    let mut of_channel: Vec<Vec<usize>> = Vec::new();
    for (s, service) in services.iter().enumerate() {
        let mut mine = Vec::new();
        for (c, channel) in service.channels.iter().enumerate() {
            let p = pattern(channel.address_or_key());
            let g = *by_pattern.entry(p.clone()).or_insert_with(|| {
                groups.push(Group {
                    pattern: p,
                    ..Group::default()
                });
                groups.len() - 1
            });
            groups[g].declarations.push((s, c));
            mine.push(g);
        }
        of_channel.push(mine);
    }
    // Literal addresses join the patterns they fit.
    let mut parent: Vec<usize> = (0..groups.len()).collect();
    let patterns: Vec<usize> = (0..groups.len())
        .filter(|&g| {
            let n = groups[g].pattern.matches("{}").count();
            n > 0 && n <= MAX_PATTERN_PARAMS
        })
        .collect();
    if !patterns.is_empty() {
        for l in 0..groups.len() {
            if groups[l].pattern.contains("{}") {
                continue;
            }
            for &p in &patterns {
                if fits(&groups[p].pattern, &groups[l].pattern) {
                    let (a, b) = (find(&mut parent, l), find(&mut parent, p));
                    parent[a.max(b)] = a.min(b);
                }
            }
        }
    }
    let roots: Vec<usize> = (0..groups.len()).map(|g| find(&mut parent, g)).collect();
    // Renumber the roots in order, moving declarations into them.
    let mut number: BTreeMap<usize, usize> = BTreeMap::new();
    let mut joined: Vec<Group> = Vec::new();
    for g in 0..groups.len() {
        let root = roots[g];
        let n = *number.entry(root).or_insert_with(|| {
            joined.push(Group {
                pattern: groups[root].pattern.clone(),
                ..Group::default()
            });
            joined.len() - 1
        });
        if groups[g].pattern.contains("{}") && !joined[n].pattern.contains("{}") {
            // The channel is named by its pattern.
            joined[n].pattern.clone_from(&groups[g].pattern);
        }
        let declarations = std::mem::take(&mut groups[g].declarations);
        joined[n].declarations.extend(declarations);
    }
    for row in &mut of_channel {
        for g in row.iter_mut() {
            *g = number[&roots[*g]];
        }
    }
    for group in &mut joined {
        group.declarations.sort_unstable();
    }
    for (s, service) in services.iter().enumerate() {
        for (o, op) in service.operations.iter().enumerate() {
            let g = of_channel[s][op.channel];
            match op.action {
                Action::Send => joined[g].senders.push((s, o)),
                Action::Receive => joined[g].receivers.push((s, o)),
            }
        }
    }
    (joined, of_channel)
}

/// The model being built.
#[derive(Default)]
struct Builder {
    nodes: Vec<(Node, Origin)>,
    ids: BTreeSet<String>,
    index: BTreeMap<String, usize>,
    edges: Vec<(String, String, Edge)>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder {
    /// `wanted`, or `then` if that is taken, or either with `-2`, `-3`, …
    fn unique(&self, wanted: &str, then: &str) -> String {
        for base in [wanted, then] {
            if !base.is_empty() && !self.ids.contains(base) {
                return base.to_owned();
            }
        }
        let base = if then.is_empty() { wanted } else { then };
        (2..)
            .map(|n| format!("{base}-{n}"))
            .find(|id| !self.ids.contains(id))
            .unwrap_or_default()
    }

    fn add(&mut self, node: Node, origin: Origin) -> String {
        let id = node.id.clone();
        self.ids.insert(id.clone());
        self.index.insert(id.clone(), self.nodes.len());
        self.nodes.push((node, origin));
        id
    }

    fn warn(&mut self, target: Target, message: String) {
        self.diagnostics.push(Diagnostic::warning(target, message));
    }
}

fn default_service() -> String {
    match ConsumerParams::default().service {
        crate::dist::Dist::Exponential { mean } => format!("exponential, mean {mean}"),
        other => format!("{other:?}"),
    }
}

fn default_rate() -> f64 {
    ProducerParams::default().arrival.mean_rate()
}

fn producer(messages: &[String]) -> NodeKind {
    let events: Vec<EventType> = messages
        .iter()
        .map(|name| EventType::named(name.clone()))
        .collect();
    let events =
        if events.len() == 1 && events[0].name == crate::nodes::producer::DEFAULT_EVENT_TYPE {
            Vec::new()
        } else {
            events
        };
    NodeKind::Producer(ProducerParams {
        events,
        ..ProducerParams::default()
    })
}

/// Joins services into a model, with warnings for everything inferred,
/// defaulted or left out.
pub(super) fn join(services: &[Service]) -> (Model, Vec<Diagnostic>) {
    let many = services.len() > 1;
    let place = |s: usize, what: String| {
        if many {
            format!("{}: {what}", services[s].document)
        } else {
            what
        }
    };
    let (groups, _) = group(services);
    let mut b = Builder::default();

    // A broker per channel.
    let mut brokers: BTreeMap<usize, String> = BTreeMap::new();
    let mut redrives: Vec<(usize, String)> = Vec::new();
    for (g, grp) in groups.iter().enumerate() {
        // Every group is made with its first declaration.
        let Some(&(s, c)) = grp.declarations.first() else {
            continue;
        };
        let channel = &services[s].channels[c];
        // The address, else the key; with parameters, the key in id form.
        let key = if channel.key.contains('{') {
            slug(&channel.key)
        } else {
            channel.key.clone()
        };
        let wanted = channel
            .address
            .as_deref()
            .filter(|a| !a.contains('{'))
            .unwrap_or(&key);
        let id = b.unique(wanted, &key);
        let hints = Hints {
            declarations: grp
                .declarations
                .iter()
                .map(|&(s, c)| {
                    let ch = &services[s].channels[c];
                    (
                        services[s].document.as_str(),
                        &ch.bindings,
                        ch.servers.as_slice(),
                    )
                })
                .collect(),
            operations: grp
                .senders
                .iter()
                .chain(&grp.receivers)
                .map(|&(s, o)| {
                    let op = &services[s].operations[o];
                    (op.key.as_str(), &op.bindings)
                })
                .collect(),
            address: channel.address_or_key(),
        };
        let (inferred, notes) = hints.infer();
        let what = place(s, format!("channel '{}'", channel.key));
        for note in notes {
            b.warn(Target::Node(id.clone()), format!("{what}: {note}"));
        }
        let kind = match inferred {
            Some(inferred) => {
                b.warn(
                    Target::Node(id.clone()),
                    format!("{what}: a {}, from {}", inferred.kind.kind(), inferred.from),
                );
                if let Some(dlq) = inferred.dead_letter {
                    redrives.push((g, dlq));
                }
                inferred.kind
            }
            None => {
                let protocols: Vec<&str> = grp
                    .declarations
                    .iter()
                    .flat_map(|&(s, c)| services[s].channels[c].bindings.keys())
                    .map(String::as_str)
                    .collect();
                let message = if protocols.is_empty() {
                    format!(
                        "{what} has no binding, server protocol or address that says what kind of broker it is; imported as a queue"
                    )
                } else {
                    format!(
                        "{what} has bindings for {}, which Weir has no kind for yet; imported as a queue",
                        protocols.join(", ")
                    )
                };
                b.warn(Target::Node(id.clone()), message);
                NodeKind::Queue(QueueParams::default())
            }
        };
        let mut node = Node::new(id.clone(), kind);
        node.name = channel.title.clone().filter(|t| *t != id);
        let broker = b.add(
            node,
            Origin::Channel {
                address: grp.pattern.clone(),
                key: channel.key.clone(),
            },
        );
        brokers.insert(g, broker);
    }

    // A node per operation, connected through its channel's broker.
    let mut group_of_op: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (g, grp) in groups.iter().enumerate() {
        for &so in grp.senders.iter().chain(&grp.receivers) {
            group_of_op.insert(so, g);
        }
    }
    let mut op_ids: BTreeMap<(usize, usize), String> = BTreeMap::new();
    for (s, service) in services.iter().enumerate() {
        for (o, op) in service.operations.iter().enumerate() {
            let Some(&g) = group_of_op.get(&(s, o)) else {
                continue;
            };
            let Some(broker) = brokers.get(&g).cloned() else {
                continue;
            };
            let id = b.unique(&op.key, &format!("{}.{}", slug(&service.title), op.key));
            let what = place(s, format!("operation '{}'", op.key));
            let kind = match op.action {
                Action::Send => {
                    b.warn(
                        Target::Node(id.clone()),
                        format!(
                            "{what}: a sending application; its rate is not in the document, so it sends {} events/s (Poisson)",
                            default_rate()
                        ),
                    );
                    producer(&op.messages)
                }
                Action::Receive => {
                    b.warn(
                        Target::Node(id.clone()),
                        format!(
                            "{what}: a receiving service; its service time is not in the document, so it is the default ({})",
                            default_service()
                        ),
                    );
                    NodeKind::Consumer(ConsumerParams::default())
                }
            };
            let mut node = Node::new(id.clone(), kind);
            node.name = op
                .title
                .clone()
                .or_else(|| many.then(|| format!("{}: {}", service.title, op.key)));
            b.add(
                node,
                Origin::Operation {
                    service: service.title.clone(),
                    key: op.key.clone(),
                    action: op.action.word().to_owned(),
                    address: groups[g].pattern.clone(),
                },
            );
            match op.action {
                Action::Send => b.edges.push((id.clone(), broker, Edge::default())),
                Action::Receive => b.edges.push((broker, id.clone(), Edge::default())),
            }
            op_ids.insert((s, o), id);
        }
    }

    // SNS subscriptions a `send` lists, with their filter policies.
    let mut linked: BTreeSet<(String, String)> = b
        .edges
        .iter()
        .map(|(from, to, _)| (from.clone(), to.clone()))
        .collect();
    for (g, grp) in groups.iter().enumerate() {
        let Some(topic) = brokers.get(&g) else {
            continue;
        };
        if b.nodes[b.index[topic]].0.kind.kind() != Kind::Topic {
            continue;
        }
        for &(s, o) in &grp.senders {
            let op = &services[s].operations[o];
            let subs = op
                .bindings
                .get("sns")
                .and_then(|sns| sns.get("consumers"))
                .and_then(Value::as_array);
            for sub in subs.into_iter().flatten() {
                let Some(to) = sub.pointer("/endpoint/name").and_then(Value::as_str) else {
                    continue;
                };
                if !b.ids.contains(to) || !linked.insert((topic.clone(), to.to_owned())) {
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
    }

    // SQS redrive policies: the dead-letter queues.
    let group_of_broker: BTreeMap<&str, usize> =
        brokers.iter().map(|(&g, id)| (id.as_str(), g)).collect();
    let mut dead_letters: BTreeSet<usize> = BTreeSet::new();
    let mut added_dlq: BTreeSet<String> = BTreeSet::new();
    for (g, dlq) in &redrives {
        let Some(queue) = brokers.get(g).cloned() else {
            continue;
        };
        match group_of_broker.get(dlq.as_str()) {
            Some(&d) if groups[d].senders.is_empty() && groups[d].receivers.is_empty() => {
                let node = &mut b.nodes[b.index[dlq.as_str()]].0;
                if matches!(node.kind, NodeKind::Queue(_)) {
                    node.kind = NodeKind::DeadLetter(DeadLetterParams::default());
                }
                dead_letters.insert(d);
                b.edges.push((queue, dlq.clone(), Edge::default()));
            }
            Some(_) => b.warn(
                Target::Node(queue),
                format!(
                    "the redrive policy to '{dlq}' is left out: '{dlq}' is a channel that operations use, and a dead-letter queue ends a flow"
                ),
            ),
            None if b.ids.contains(dlq.as_str()) => b.warn(
                Target::Node(queue),
                format!("the redrive policy names '{dlq}', which is an operation; left out"),
            ),
            None => {
                if added_dlq.insert(dlq.clone()) {
                    b.add(
                        Node::new(
                            dlq.clone(),
                            NodeKind::DeadLetter(DeadLetterParams::default()),
                        ),
                        Origin::DeadLetter { name: dlq.clone() },
                    );
                }
                b.edges.push((queue, dlq.clone(), Edge::default()));
            }
        }
    }

    // Stand-ins for the side of a channel no document provides.
    for (g, grp) in groups.iter().enumerate() {
        if dead_letters.contains(&g) {
            continue;
        }
        // Every group is made with its first declaration, and has a broker.
        let (Some(broker), Some(&(s, c))) = (brokers.get(&g).cloned(), grp.declarations.first())
        else {
            continue;
        };
        let channel = &services[s].channels[c];
        let address = channel.address_or_key().to_owned();
        let what = place(s, format!("channel '{}'", channel.key));
        let both = grp.senders.is_empty() && grp.receivers.is_empty();
        if grp.senders.is_empty() {
            let mut messages: Vec<String> = Vec::new();
            for &(s, c) in &grp.declarations {
                for m in &services[s].channels[c].messages {
                    if !messages.contains(m) {
                        messages.push(m.clone());
                    }
                }
            }
            for &(s, o) in &grp.receivers {
                for m in &services[s].operations[o].messages {
                    if !messages.contains(m) {
                        messages.push(m.clone());
                    }
                }
            }
            let id = b.unique(&format!("ext-sender-{broker}"), "");
            let name = format!("{EXTERNAL_PREFIX}sender to {address}");
            b.warn(
                Target::Node(id.clone()),
                format!(
                    "{what}: {}, so '{name}' (id '{id}') stands in for the senders outside the documents, sending {} events/s (Poisson); replace it or set its rate",
                    if both {
                        "no operation in the documents sends to it or receives from it"
                    } else {
                        "no document sends to it"
                    },
                    default_rate()
                ),
            );
            let mut node = Node::new(id.clone(), producer(&messages));
            node.name = Some(name);
            b.add(
                node,
                Origin::Sender {
                    address: grp.pattern.clone(),
                },
            );
            b.edges.push((id, broker.clone(), Edge::default()));
        }
        if grp.receivers.is_empty() {
            let id = b.unique(&format!("ext-receiver-{broker}"), "");
            let name = format!("{EXTERNAL_PREFIX}receiver from {address}");
            b.warn(
                Target::Node(id.clone()),
                format!(
                    "{what}: no document receives from it, so '{name}' (id '{id}') stands in for the receivers outside the documents, with the default service time ({}); replace it or set its service time",
                    default_service()
                ),
            );
            let mut node = Node::new(id.clone(), NodeKind::Consumer(ConsumerParams::default()));
            node.name = Some(name);
            b.add(
                node,
                Origin::Receiver {
                    address: grp.pattern.clone(),
                },
            );
            b.edges.push((broker, id, Edge::default()));
        }
    }

    // The model.
    let title = |s: &Service| s.title.clone();
    let mut model = if many {
        let mut model = Model::new(services.iter().map(title).collect::<Vec<_>>().join(", "));
        model.description = format!(
            "Joined from {} AsyncAPI documents: {}.",
            services.len(),
            services
                .iter()
                .map(|s| format!("{} ({})", s.title, s.document))
                .collect::<Vec<_>>()
                .join(", ")
        );
        model
    } else {
        let mut model = Model::new(
            services
                .first()
                .map_or_else(|| "Imported from AsyncAPI".to_owned(), title),
        );
        model.description = services
            .first()
            .map(|s| s.description.clone())
            .unwrap_or_default();
        model
    };
    let mut record = Imported::default();
    let mut index = BTreeMap::new();
    for (node, origin) in b.nodes {
        record.nodes.push(ImportedNode {
            id: node.id.clone(),
            from: origin,
            kind: node.kind.kind().label().to_owned(),
        });
        let id = node.id.clone();
        index.insert(id, model.add_node(node));
    }
    for (from, to, edge) in b.edges {
        if let (Some(&a), Some(&z)) = (index.get(&from), index.get(&to)) {
            record.edges.push(default_edge_id(&from, &to));
            model.add_edge(a, z, edge);
        }
    }
    model.imported = Some(record);
    (model, b.diagnostics)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_match_as_patterns() {
        assert_eq!(pattern("user/{userId}/signedup"), "user/{}/signedup");
        assert!(fits("user/{}/signedup", "user/42/signedup"));
        assert!(!fits("user/{}/signedup", "user/42/x/signedup"));
        assert!(!fits("user/{}/signedup", "user//signedup"));
        assert!(fits("a.{}.b.{}", "a.1.b.xyz"));
        assert!(!fits("a.{}.b", "a.1.2.b"));
        assert!(fits("{}", "orders"));
        assert!(!fits("{}", "a/b"));
    }
}
