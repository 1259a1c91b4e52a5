//! What kind of broker a channel is, from every hint the documents give:
//! its bindings, its operations' bindings, its servers' protocols, and its
//! address. Each answer says where it came from, for the import's
//! warnings.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::nodes::{Kind, LogParams, NodeKind, QueueParams, TopicParams};
use crate::time::Duration;

/// A channel's broker, and why.
#[derive(Clone, Debug)]
pub(super) struct Inferred {
    pub kind: NodeKind,
    /// Where it came from, as words: "its kafka binding".
    pub from: String,
    /// The dead-letter queue an SQS redrive policy names.
    pub dead_letter: Option<String>,
}

/// The kind a binding or protocol name stands for, by itself.
fn by_name(name: &str) -> Option<Kind> {
    Some(match name {
        "kafka" | "kafka-secure" | "pulsar" | "pulsar+ssl" => Kind::Log,
        "sns" | "mqtt" | "mqtts" | "secure-mqtt" | "mqtt5" | "googlepubsub" | "nats" | "redis"
        | "solace" => Kind::Topic,
        "sqs" | "amqp" | "amqps" | "amqp1" | "jms" | "stomp" | "stomps" | "ibmmq"
        | "anypointmq" => Kind::Queue,
        _ => return None,
    })
}

fn kind_params(kind: Kind) -> NodeKind {
    match kind {
        Kind::Log => NodeKind::Log(LogParams::default()),
        Kind::Topic => NodeKind::Topic(TopicParams::default()),
        _ => NodeKind::Queue(QueueParams::default()),
    }
}

/// A binding's own say on the kind, with the detail that decided it.
fn binding_kind(name: &str, binding: &Value) -> Option<(Kind, String)> {
    let text = |path: &str| {
        binding
            .pointer(path)
            .and_then(Value::as_str)
            .map(str::to_ascii_lowercase)
    };
    match name {
        "amqp" | "amqp1" => {
            if text("/is").as_deref() == Some("queue") {
                return Some((Kind::Queue, "its amqp binding (is: queue)".to_owned()));
            }
            match text("/exchange/type").as_deref() {
                Some(t @ ("topic" | "fanout" | "headers")) => Some((
                    Kind::Topic,
                    format!("its amqp binding (a {t} exchange copies to every bound queue)"),
                )),
                Some(t @ ("direct" | "default")) => Some((
                    Kind::Queue,
                    format!("its amqp binding (a {t} exchange routes each message to one queue)"),
                )),
                _ => Some((
                    Kind::Queue,
                    "its amqp binding (an exchange of no stated type: read as a queue)".to_owned(),
                )),
            }
        }
        "jms" | "ibmmq" | "anypointmq" => match text("/destinationType").as_deref() {
            Some("topic" | "exchange") => Some((
                Kind::Topic,
                format!("its {name} binding (destinationType topic)"),
            )),
            _ => Some((Kind::Queue, format!("its {name} binding"))),
        },
        other => by_name(other).map(|k| (k, format!("its {other} binding"))),
    }
}

/// The parameters a binding gives a kind: a Kafka topic's partitions and
/// retention, an SQS queue's visibility timeout and redrive policy.
fn with_parameters(kind: Kind, bindings: &BTreeMap<String, Value>) -> (NodeKind, Option<String>) {
    match kind {
        Kind::Log => {
            let mut l = LogParams::default();
            if let Some(kafka) = bindings.get("kafka") {
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
            }
            (NodeKind::Log(l), None)
        }
        Kind::Queue => {
            let mut q = QueueParams::default();
            let mut dead_letter = None;
            if let Some(queue) = bindings.get("sqs").and_then(|s| s.get("queue")) {
                if let Some(v) = queue
                    .get("visibilityTimeout")
                    .and_then(Value::as_u64)
                    .filter(|&v| v > 0)
                {
                    q.visibility_timeout = Duration::from_secs(v);
                }
                if queue.get("fifoQueue").and_then(Value::as_bool) == Some(true) {
                    q.fifo = Some(crate::nodes::FifoGroups::default());
                }
                if let Some(redrive) = queue.get("redrivePolicy") {
                    dead_letter = redrive
                        .get("deadLetterQueue")
                        .and_then(|d| d.get("name").or_else(|| d.get("arn")))
                        .and_then(Value::as_str)
                        .map(|s| s.rsplit(':').next().unwrap_or(s).to_owned())
                        .filter(|s| !s.is_empty());
                    q.max_receives = redrive
                        .get("maxReceiveCount")
                        .and_then(Value::as_u64)
                        .and_then(|m| u32::try_from(m).ok());
                }
            }
            (NodeKind::Queue(q), dead_letter)
        }
        Kind::Topic if bindings.contains_key("googlepubsub") => (
            NodeKind::Topic(TopicParams {
                pubsub: true,
                ..Default::default()
            }),
            None,
        ),
        other => (kind_params(other), None),
    }
}

/// The kind an address's words or shape suggest.
fn by_address(address: &str) -> Option<(Kind, String)> {
    let lower = address.to_ascii_lowercase();
    let why = |what: &str| format!("its address '{address}' ({what})");
    if lower.starts_with("arn:aws:sns:") {
        return Some((Kind::Topic, why("an SNS topic ARN")));
    }
    if lower.starts_with("arn:aws:sqs:")
        || lower.contains("sqs.") && lower.contains("amazonaws.com")
    {
        return Some((Kind::Queue, why("an SQS queue")));
    }
    if lower.contains('+') || lower.ends_with("/#") || lower == "#" {
        return Some((Kind::Topic, why("MQTT wildcards")));
    }
    let words: Vec<&str> = lower
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .collect();
    let has = |list: &[&str]| words.iter().any(|w| list.contains(w));
    if has(&["queue", "queues", "q", "jobs", "tasks", "work"]) {
        Some((Kind::Queue, why("it names a queue")))
    } else if has(&["topic", "topics", "broadcast", "notifications", "fanout"]) {
        Some((Kind::Topic, why("it names a topic")))
    } else if has(&["stream", "streams", "log", "changelog", "cdc"]) {
        Some((Kind::Log, why("it names a stream")))
    } else {
        None
    }
}

/// One declaration of a channel: the document's name, the channel's
/// bindings, and its servers (name, protocol).
pub(super) type Declaration<'a> = (&'a str, &'a BTreeMap<String, Value>, &'a [(String, String)]);

/// One channel's declarations (from each document that has it), what its
/// operations bind, and its address: the kind, with where it came from,
/// and any disagreement between documents.
pub(super) struct Hints<'a> {
    /// Each declaration's bindings and servers, with the document's name.
    pub declarations: Vec<Declaration<'a>>,
    /// The bindings of the operations on it, with each operation's key.
    pub operations: Vec<(&'a str, &'a BTreeMap<String, Value>)>,
    pub address: &'a str,
}

impl Hints<'_> {
    /// The broker, and notes where documents disagree.
    pub(super) fn infer(&self) -> (Option<Inferred>, Vec<String>) {
        let mut notes = Vec::new();
        // Channel bindings: kafka, then sns, then sqs, then the rest by name.
        let mut from_bindings: Vec<(&str, Kind, String, &BTreeMap<String, Value>)> = Vec::new();
        for &(document, bindings, _) in &self.declarations {
            let mut names: Vec<&String> = bindings.keys().collect();
            let rank = |n: &str| match n {
                "kafka" => 0,
                "sns" => 1,
                "sqs" => 2,
                _ => 3,
            };
            names.sort_by_key(|n| (rank(n), n.as_str()));
            if let Some((kind, why)) = names.iter().find_map(|n| binding_kind(n, &bindings[*n])) {
                from_bindings.push((document, kind, why, bindings));
            }
        }
        if let Some((document, kind, why, bindings)) = from_bindings.first() {
            for (other, k, w, _) in &from_bindings[1..] {
                if k != kind {
                    notes.push(format!(
                        "{other} says {w} makes it a {}, but {document} says {why} makes it a {}; kept the {}",
                        k.label(),
                        kind.label(),
                        kind.label()
                    ));
                }
            }
            let (node_kind, dead_letter) = with_parameters(*kind, bindings);
            return (
                Some(Inferred {
                    kind: node_kind,
                    from: why.clone(),
                    dead_letter,
                }),
                notes,
            );
        }
        // Operation bindings.
        for &(op, bindings) in &self.operations {
            if let Some((kind, _)) = bindings.iter().find_map(|(n, b)| binding_kind(n, b)) {
                let name = bindings
                    .keys()
                    .find(|n| by_name(n).is_some())
                    .map_or("a", String::as_str);
                return (
                    Some(Inferred {
                        kind: kind_params(kind),
                        from: format!("the {name} binding of operation '{op}'"),
                        dead_letter: None,
                    }),
                    notes,
                );
            }
        }
        // Server protocols.
        let mut from_servers: Vec<(Kind, String)> = Vec::new();
        for &(_, _, servers) in &self.declarations {
            for (name, protocol) in servers {
                if let Some(kind) = by_name(protocol) {
                    from_servers.push((kind, format!("server '{name}''s protocol {protocol}")));
                }
            }
        }
        if let Some((kind, why)) = from_servers.first() {
            let others: Vec<&str> = from_servers
                .iter()
                .filter(|(k, _)| k != kind)
                .map(|(_, w)| w.as_str())
                .collect();
            if !others.is_empty() {
                notes.push(format!(
                    "its servers disagree ({}); kept the {} of {why}",
                    others.join(", "),
                    kind.label()
                ));
            }
            return (
                Some(Inferred {
                    kind: kind_params(*kind),
                    from: why.clone(),
                    dead_letter: None,
                }),
                notes,
            );
        }
        // The address.
        if let Some((kind, why)) = by_address(self.address) {
            return (
                Some(Inferred {
                    kind: kind_params(kind),
                    from: why,
                    dead_letter: None,
                }),
                notes,
            );
        }
        (None, notes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn infer(bindings: &Value, servers: &[(&str, &str)], address: &str) -> Option<(Kind, String)> {
        let bindings: BTreeMap<String, Value> = bindings
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), v.clone())).collect())
            .unwrap_or_default();
        let servers: Vec<(String, String)> = servers
            .iter()
            .map(|(a, b)| ((*a).to_owned(), (*b).to_owned()))
            .collect();
        let hints = Hints {
            declarations: vec![("a.yaml", &bindings, &servers)],
            operations: Vec::new(),
            address,
        };
        hints.infer().0.map(|i| (i.kind.kind(), i.from))
    }

    #[test]
    fn each_hint_gives_its_kind_and_says_so() {
        let none = serde_json::json!({});
        let (kind, from) = infer(&none, &[("prod", "kafka-secure")], "a.b").expect("a kind");
        assert_eq!(kind, Kind::Log);
        assert_eq!(from, "server 'prod''s protocol kafka-secure");
        assert_eq!(
            infer(&none, &[("m", "mqtt")], "x").map(|k| k.0),
            Some(Kind::Topic)
        );
        assert_eq!(infer(&none, &[("h", "https")], "plain"), None);
        let fanout =
            serde_json::json!({"amqp": {"is": "routingKey", "exchange": {"type": "fanout"}}});
        assert_eq!(infer(&fanout, &[], "x").map(|k| k.0), Some(Kind::Topic));
        let direct =
            serde_json::json!({"amqp": {"is": "routingKey", "exchange": {"type": "direct"}}});
        assert_eq!(
            infer(&direct, &[("r", "amqp")], "x").map(|k| k.0),
            Some(Kind::Queue)
        );
        // A binding outranks the server's protocol.
        let sns = serde_json::json!({"sns": {}});
        assert_eq!(
            infer(&sns, &[("k", "kafka")], "x").map(|k| k.0),
            Some(Kind::Topic)
        );
        assert_eq!(
            infer(&none, &[], "orders.queue").map(|k| k.0),
            Some(Kind::Queue)
        );
        assert_eq!(
            infer(&none, &[], "home/+/temp").map(|k| k.0),
            Some(Kind::Topic)
        );
        assert_eq!(infer(&none, &[], "orders"), None);
    }
}
