//! Reading an AsyncAPI document as a model.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde_json::{Map, Value};

use super::join::join;
use super::read::{Document, Files, NoFiles, Reader, Refs, parse_text, version};
use super::{EdgeDoc, ModelDoc, NodeDoc};
use crate::model::{Edge, Model, Node};
use crate::nodes::{ConsumerParams, EventType, Kind, NodeKind, ProducerParams, QueueParams};
use crate::validate::{Diagnostic, Target};

/// Why a document could not be imported at all.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ImportError {
    #[error("not YAML or JSON: {0}")]
    Syntax(String),
    #[error("not an AsyncAPI 2 or 3 document: {0}")]
    NotAsyncApi(String),
    #[error("{document}: $ref '{reference}': {reason}")]
    Reference {
        document: String,
        reference: String,
        reason: String,
    },
    #[error(
        "{0} was exported by Weir (it has `x-weir`): import it alone, since it already holds the whole model"
    )]
    NativeAmongOthers(String),
    #[error("no documents to import")]
    Nothing,
    #[error("{document}: {source}")]
    In {
        document: String,
        source: Box<ImportError>,
    },
    #[error(
        "line {line}: the document is nested too deeply (more than {MAX_DEPTH} levels of brackets or indentation); Weir reads documents up to that depth"
    )]
    TooDeep { line: usize },
}

/// The deepest nesting of brackets (`[`, `{`) or block indentation levels
/// an imported document may have. Real AsyncAPI documents stay within a few
/// dozen; the limit keeps reading time linear in the document.
pub const MAX_DEPTH: usize = 128;

/// The first line at which `text` (YAML or JSON) nests deeper than
/// [`MAX_DEPTH`], counting flow brackets outside quoted strings and
/// comments, and block indentation in steps of at least one space.
pub(super) fn too_deep(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    // The indentation of the enclosing block lines, innermost last.
    let mut indents: Vec<usize> = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches(' ');
        let content = trimmed.trim_start_matches([' ', '-']);
        if depth == 0 && !content.is_empty() && !content.starts_with('#') {
            let indent = line.len() - trimmed.len();
            while indents.last().is_some_and(|&last| last >= indent) {
                indents.pop();
            }
            indents.push(indent);
            // Each `- ` opening the line starts one more sequence.
            let dashes = trimmed[..trimmed.len() - content.len()]
                .matches('-')
                .count();
            if indents.len() + dashes > MAX_DEPTH {
                return Some(i + 1);
            }
        }
        let mut quote: Option<char> = None;
        let mut escaped = false;
        let mut previous = ' ';
        for c in line.chars() {
            match quote {
                Some('"') if escaped => escaped = false,
                Some('"') if c == '\\' => escaped = true,
                Some(q) if c == q => quote = None,
                Some(_) => {}
                None => match c {
                    '"' | '\'' if matches!(previous, ' ' | '[' | '{' | ',' | ':') => {
                        quote = Some(c);
                    }
                    '#' if previous.is_whitespace() => break,
                    '[' | '{' => {
                        depth += 1;
                        if depth > MAX_DEPTH {
                            return Some(i + 1);
                        }
                    }
                    ']' | '}' => depth = depth.saturating_sub(1),
                    _ => {}
                },
            }
            previous = c;
        }
    }
    None
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
    /// Where each node's id stands in `nodes`.
    index: BTreeMap<String, usize>,
    edges: Vec<(String, String, Edge)>,
    diagnostics: Vec<Diagnostic>,
}

impl Builder {
    fn has(&self, id: &str) -> bool {
        self.index.contains_key(id)
    }

    fn kind_of(&self, id: &str) -> Option<Kind> {
        let &i = self.index.get(id)?;
        self.nodes.get(i).map(|n| n.kind.kind())
    }

    /// Adds a node; a second description of the same id must agree.
    fn add(&mut self, node: Node, place: &str) {
        if let Some(&i) = self.index.get(&node.id) {
            let existing = &self.nodes[i];
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
        self.index.insert(node.id.clone(), self.nodes.len());
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

/// Reads an AsyncAPI document (2.0–2.6 or 3.x, YAML or JSON) as a model,
/// with warnings for what could not be mapped or had to be guessed. A
/// reference to another file is refused; [`import_documents`] follows them.
pub fn import(text: &str) -> Result<(Model, Vec<Diagnostic>), ImportError> {
    let document = Document {
        name: "document".to_owned(),
        text: text.to_owned(),
    };
    import_documents(std::slice::from_ref(&document), &mut NoFiles)
}

/// Reads several AsyncAPI documents, one service each, as one model:
/// channels matched by address, each service's operations as its nodes,
/// the senders and receivers of a channel connected through one broker,
/// and stand-ins for what no document provides. Relative `$ref`s to other
/// files are read through `files`, within the limits of
/// [`MAX_REF_DEPTH`](super::MAX_REF_DEPTH) and the limits beside it. A document exported by Weir (with `x-weir`) is read
/// back as the model it came from, and must come alone.
///
/// Errors about one of several documents name it.
pub fn import_documents(
    documents: &[Document],
    files: &mut dyn Files,
) -> Result<(Model, Vec<Diagnostic>), ImportError> {
    let many = documents.len() > 1;
    let named = |name: &str, e: ImportError| match e {
        e @ ImportError::Reference { .. } => e,
        e if many => ImportError::In {
            document: name.to_owned(),
            source: Box::new(e),
        },
        e => e,
    };
    let mut parsed = Vec::with_capacity(documents.len());
    for document in documents {
        let doc = parse_text(&document.text).map_err(|e| named(&document.name, e))?;
        let version = version(&doc).map_err(|e| named(&document.name, e))?;
        if doc.get("x-weir").is_some() && version.starts_with('3') {
            if many {
                return Err(ImportError::NativeAmongOthers(document.name.clone()));
            }
            return Ok(native(&doc));
        }
        parsed.push((document.name.as_str(), doc, version));
    }
    if parsed.is_empty() {
        return Err(ImportError::Nothing);
    }
    let mut refs = Refs::new(files);
    for (name, doc, _) in &parsed {
        refs.add(name, doc.clone());
    }
    let mut services = Vec::with_capacity(parsed.len());
    let mut warnings = Vec::new();
    for (name, doc, version) in parsed {
        let mut reader = Reader {
            refs: &mut refs,
            warnings: Vec::new(),
        };
        let service = reader
            .service(name, &doc, &version)
            .map_err(|e| named(name, e))?;
        for w in reader.warnings {
            warnings.push(if many { format!("{name}: {w}") } else { w });
        }
        services.push(service);
    }
    let (model, mut diagnostics) = join(&services);
    let mut all: Vec<Diagnostic> = warnings
        .into_iter()
        .map(|w| Diagnostic::warning(Target::Model, w))
        .collect();
    all.append(&mut diagnostics);
    Ok((model, all))
}

/// Reads a document Weir exported: the extensions give back the model.
#[expect(
    clippy::too_many_lines,
    reason = "one pass over the document, in document order"
)]
fn native(doc: &Value) -> (Model, Vec<Diagnostic>) {
    let mut b = Builder::default();
    let weir: Option<ModelDoc> = doc
        .get("x-weir")
        .and_then(|v| parse(v, "x-weir", &mut b.diagnostics));

    // Channels.
    let mut channels: BTreeMap<String, ChannelTarget> = BTreeMap::new();
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
        // A channel with no Weir extension: a broker, by its bindings.
        let id = ch
            .get("address")
            .and_then(Value::as_str)
            .filter(|a| !a.is_empty() && !a.contains('{') && !b.has(a))
            .unwrap_or(key)
            .to_owned();
        let bindings: BTreeMap<String, Value> = ch
            .get("bindings")
            .and_then(Value::as_object)
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let hints = super::infer::Hints {
            declarations: vec![("the document", &bindings, &[])],
            operations: Vec::new(),
            address: &id,
        };
        let kind = match hints.infer().0 {
            Some(inferred) => {
                b.warn(
                    Target::Node(id.clone()),
                    format!(
                        "channel '{key}' has no x-weir-node: a {}, from {}",
                        inferred.kind.kind(),
                        inferred.from
                    ),
                );
                inferred.kind
            }
            None => {
                b.warn(
                    Target::Node(id.clone()),
                    format!(
                        "channel '{key}' has no x-weir-node and nothing that says what kind of broker it is; imported as a queue"
                    ),
                );
                NodeKind::Queue(QueueParams::default())
            }
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
                    let events: Vec<EventType> = message_names(doc, op.get("messages"))
                        .into_iter()
                        .map(EventType::named)
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
            ("receive", ChannelTarget::Node(from)) if b.kind_of(&from) != Some(Kind::Topic) => {
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
    // Each id's place in the saved order (the first, if listed twice).
    let ranks = |order: &[String]| {
        let mut ranks: BTreeMap<String, usize> = BTreeMap::new();
        for (i, id) in order.iter().enumerate() {
            ranks.entry(id.clone()).or_insert(i);
        }
        ranks
    };
    let (node_rank, edge_rank) = (ranks(&node_order), ranks(&edge_order));
    let rank =
        |ranks: &BTreeMap<String, usize>, id: &str| ranks.get(id).copied().unwrap_or(usize::MAX);
    let mut nodes = std::mem::take(&mut b.nodes);
    nodes.sort_by_key(|n| rank(&node_rank, &n.id));
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
        rank(&edge_rank, &id)
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
    (model, b.diagnostics)
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
    use crate::time::Duration;

    #[test]
    fn a_googlepubsub_channel_is_a_pubsub_topic() {
        let text = r#"
asyncapi: 3.0.0
info: { title: Shop, version: 1.0.0 }
channels:
  events:
    address: projects/shop/topics/events
    bindings:
      googlepubsub: { schemaSettings: { encoding: json, name: projects/shop/schemas/events } }
"#;
        let (model, _) = import(text).expect("imports");
        let Some(NodeKind::Topic(t)) = model
            .find("projects/shop/topics/events")
            .map(|n| model.graph[n].kind.clone())
        else {
            panic!("events is a topic: {}", file::to_string(&model));
        };
        assert!(t.pubsub);
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
        // Send, receive and redrive; and stand-ins on both sides of the
        // two channels no operation uses.
        assert_eq!(model.graph.edge_count(), 7, "{}", file::to_string(&model));
        assert_eq!(kind("ext-sender-stream"), Some(Kind::Producer));
        assert_eq!(kind("ext-receiver-clicks"), Some(Kind::Consumer));
        assert!(
            crate::validate::validate(&model)
                .iter()
                .all(|d| !d.is_error()),
            "{:?}",
            crate::validate::validate(&model)
        );
        let text: Vec<String> = diagnostics.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|d| d.contains("amqp")),
            "the AMQP channel is reported: {text:?}"
        );
        assert!(text.iter().any(|d| d.contains("rate")), "{text:?}");
        assert!(text.iter().any(|d| d.contains("service time")), "{text:?}");
    }

    #[test]
    fn not_asyncapi_2_or_3_is_refused() {
        assert!(matches!(
            import("asyncapi: 1.2.0\ninfo: {title: x, version: '1'}\n"),
            Err(ImportError::NotAsyncApi(_))
        ));
        assert!(import("asyncapi: 2.6.0\ninfo: {title: x, version: '1'}\n").is_ok());
        assert!(matches!(import("a: [b"), Err(ImportError::Syntax(_))));
    }

    #[test]
    fn depth_counts_brackets_indentation_and_dashes() {
        let within = format!("a: {}1{}\n", "[".repeat(MAX_DEPTH), "]".repeat(MAX_DEPTH));
        assert_eq!(too_deep(&within), None);
        let beyond = format!(
            "a: {}1{}\n",
            "[".repeat(MAX_DEPTH + 1),
            "]".repeat(MAX_DEPTH + 1)
        );
        assert_eq!(too_deep(&beyond), Some(1));
        let mut blocks = String::new();
        for level in 0..=MAX_DEPTH {
            blocks.push_str(&format!("{}k{level}:\n", " ".repeat(level)));
        }
        assert_eq!(too_deep(&blocks), Some(MAX_DEPTH + 1));
        // Brackets in quotes and comments are text.
        let quoted = format!(
            "a: '{}'\nb: \"{}\" # {}\n",
            "[".repeat(200),
            "{".repeat(200),
            "[".repeat(200)
        );
        assert_eq!(too_deep(&quoted), None);
        // Going back out of blocks frees their levels.
        let mut wide = String::new();
        for i in 0..1000 {
            wide.push_str(&format!("k{i}:\n  v: 1\n"));
        }
        assert_eq!(too_deep(&wide), None);
    }
}
