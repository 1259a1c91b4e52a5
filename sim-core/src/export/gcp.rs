//! Terraform for Google Cloud: the model's brokers as Pub/Sub topics and
//! subscriptions (the `google` provider, 6.x).
//!
//! | Weir | Google Cloud |
//! | --- | --- |
//! | topic | `google_pubsub_topic`; a consumer that reads it directly gets a pull `google_pubsub_subscription` of its own |
//! | queue | a `google_pubsub_subscription` of the topic that feeds it: `ack_deadline_seconds` from the visibility timeout (the ack deadline), `message_retention_duration` from the retention, `retry_policy` and `push_config` from `pubsub`, `dead_letter_policy` from the dead-letter edge with the receive limit (its own `max_receives`, or the readers' `max_attempts`), `enable_message_ordering` for message groups, and the topic edge's event types as a `filter`. A queue no topic feeds gets a topic of its own in front, since Pub/Sub publishes only to topics |
//! | dead-letter queue | a `google_pubsub_topic` (the dead-letter topic), with a pull subscription that keeps what reaches it |
//! | log | nothing: Pub/Sub has no partitioned log with offsets (`weir export --format kafka` writes its topic); a comment says so |
//! | everything else | nothing: applications (producers, consumers, services, sinks) and processing with no single Pub/Sub resource; a comment lists what the simulation assumed |
//!
//! As in the AWS and Azure files, every value from the model is marked
//! `# simulated`, parameters with no Pub/Sub counterpart are listed in
//! `# Not mapped:` comments, and what the model does not say (the
//! project, a push subscription's endpoint) is asked for as variables.

use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;

use super::KindExport as _;
use super::terraform::{Terraform, one_line, string};
use crate::model::Model;
use crate::nodes::pubsub::{self, PubSubDelivery};
use crate::nodes::{Kind, QueueParams, with_params};
use crate::time::{Duration, NANOS_PER_SEC};

/// The model as a Terraform file for Google Cloud.
pub fn to_gcp(model: &Model) -> String {
    let mut tf = Terraform::new(model);
    let graph = &model.graph;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} — the Google Cloud shape of a Weir model, exported by Weir.",
        one_line(&model.name)
    );
    out.push_str(
        "#\n\
         # Values marked \"# simulated\" come from the simulation model. Weir\n\
         # parameters with no Pub/Sub counterpart are listed in \"# Not mapped:\"\n\
         # comments; nothing else is guessed. What the model does not say (the\n\
         # project, push endpoints) is asked for as variables.\n\n",
    );
    out.push_str(
        "terraform {\n  required_providers {\n    google = {\n      source  = \"hashicorp/google\"\n      version = \"~> 6.0\"\n    }\n  }\n}\n\
         \nprovider \"google\" {\n  project = var.project\n}\n\
         \nvariable \"project\" {\n  description = \"The Google Cloud project the topics and subscriptions go in\"\n  type        = string\n}\n",
    );
    if graph.node_indices().any(|n| dead_letter_target(model, n)) {
        out.push_str(
            "\n# Pub/Sub's service agent (service-PROJECT_NUMBER@gcp-sa-pubsub.iam.gserviceaccount.com)\n\
             # needs roles/pubsub.publisher on each dead-letter topic and roles/pubsub.subscriber\n\
             # on each subscription that dead-letters into one (not generated).\n",
        );
    }
    for n in graph.node_indices() {
        out.push('\n');
        with_params!(&graph[n].kind, p => p.gcp(&mut tf, &mut out, n));
    }
    if !model.alerts.is_empty() {
        let _ = writeln!(
            out,
            "\n# Not mapped: {} alerting rule{} (weir export --format prometheus-rules writes them).",
            model.alerts.len(),
            if model.alerts.len() == 1 { "" } else { "s" }
        );
    }
    out
}

/// Whether node `n` is a dead-letter queue some queue sends to.
fn dead_letter_target(model: &Model, n: NodeIndex) -> bool {
    model.graph[n].kind.kind() == Kind::DeadLetter
        && model
            .graph
            .edges_directed(n, Direction::Incoming)
            .any(|e| model.graph[e.source()].kind.kind() == Kind::Queue)
}

/// A duration as Pub/Sub writes one: seconds, with a fraction if needed
/// (`"10s"`, `"0.25s"`).
pub(crate) fn seconds(d: Duration) -> String {
    let whole = d.0 / NANOS_PER_SEC;
    let frac = d.0 % NANOS_PER_SEC;
    if frac == 0 {
        format!("{whole}s")
    } else {
        let digits = format!("{frac:09}");
        format!("{whole}.{}s", digits.trim_end_matches('0'))
    }
}

/// A subscription filter on the `event_type` attribute.
pub(crate) fn filter(types: &[String]) -> String {
    types
        .iter()
        .map(|t| {
            format!(
                "attributes.{} = \"{}\"",
                super::asyncapi::EVENT_TYPE_ATTRIBUTE,
                t.replace('\\', "\\\\").replace('"', "\\\"")
            )
        })
        .collect::<Vec<_>>()
        .join(" OR ")
}

/// A `google_pubsub_topic` named `id`, `name` in the file.
pub(crate) fn topic(out: &mut String, name: &str, id: &str) {
    let _ = writeln!(out, "resource \"google_pubsub_topic\" \"{name}\" {{");
    let _ = writeln!(out, "  name = {}", string(id));
    out.push_str("}\n");
}

/// The `ack_deadline_seconds` line: whole seconds, 10 to 600 (said so
/// when the model's deadline is outside or finer).
fn ack_deadline(out: &mut String, d: Duration) {
    let min = pubsub::MIN_ACK_DEADLINE.0 / NANOS_PER_SEC;
    let max = pubsub::MAX_ACK_DEADLINE.0 / NANOS_PER_SEC;
    let whole = d.0.div_ceil(NANOS_PER_SEC);
    let set = whole.clamp(min, max);
    if set * NANOS_PER_SEC == d.0 {
        let _ = writeln!(
            out,
            "  ack_deadline_seconds = {set} # simulated: visibility_timeout (the ack deadline)"
        );
    } else {
        let _ = writeln!(
            out,
            "  ack_deadline_seconds = {set} # simulated: visibility_timeout {d}, in whole seconds from {min} to {max}"
        );
    }
}

/// Queue `n` as a Pub/Sub subscription (and the topic in front of it
/// when no topic of the model feeds it).
pub(crate) fn subscription(
    tf: &mut Terraform<'_>,
    out: &mut String,
    n: NodeIndex,
    q: &QueueParams,
) {
    let model = tf.model;
    let graph = &model.graph;
    let node = &graph[n];
    let name = tf.name_of(n);
    let topics: Vec<_> = graph
        .edges_directed(n, Direction::Incoming)
        .filter(|e| graph[e.source()].kind.kind() == Kind::Topic)
        .collect();
    let (topic_ref, types) = match topics.first() {
        Some(e) => (
            format!("google_pubsub_topic.{}.id", tf.name_of(e.source())),
            e.weight().filter.clone(),
        ),
        None => {
            let own = tf.new_name(&format!("{}_topic", node.id));
            let _ = writeln!(
                out,
                "# Its senders send to queue '{}' itself; Pub/Sub publishes only to topics, so this one stands in front of its subscription.",
                one_line(&node.id)
            );
            topic(out, &own, &format!("{}-topic", node.id));
            out.push('\n');
            (format!("google_pubsub_topic.{own}.id"), None)
        }
    };
    let push = q.pubsub.filter(|p| p.delivery == PubSubDelivery::Push);
    if push.is_some() {
        let _ = writeln!(
            out,
            "variable \"push_endpoint_{name}\" {{\n  description = \"The HTTPS endpoint subscription '{}' pushes to (its consumers)\"\n  type        = string\n}}\n",
            one_line(&node.id)
        );
    }
    let _ = writeln!(out, "resource \"google_pubsub_subscription\" \"{name}\" {{");
    let _ = writeln!(out, "  name  = {}", string(&node.id));
    let _ = writeln!(out, "  topic = {topic_ref}");
    for extra in topics.iter().skip(1) {
        let _ = writeln!(
            out,
            "  # Not mapped: it is also fed by topic '{}': a Pub/Sub subscription belongs to one topic.",
            one_line(&graph[extra.source()].id)
        );
    }
    ack_deadline(out, q.visibility_timeout);
    if let Some(r) = q.retention {
        let r = r.clamp(pubsub::MIN_RETENTION, pubsub::MAX_RETENTION);
        let _ = writeln!(
            out,
            "  message_retention_duration = \"{}\" # simulated: retention",
            seconds(Duration(r.0.div_ceil(NANOS_PER_SEC) * NANOS_PER_SEC))
        );
    }
    if let Some(types) = types {
        let _ = writeln!(
            out,
            "  filter = {} # simulated: subscription filter",
            string(&filter(&types))
        );
    }
    if q.fifo.is_some() {
        out.push_str(
            "  enable_message_ordering = true # simulated: message groups by key (publish the key as the ordering key)\n",
        );
    }
    if let Some(b) = q.pubsub.and_then(|p| p.retry) {
        out.push_str("  retry_policy { # simulated: pubsub retry\n");
        let _ = writeln!(out, "    minimum_backoff = \"{}\"", seconds(b.min));
        let _ = writeln!(out, "    maximum_backoff = \"{}\"", seconds(b.max));
        out.push_str("  }\n");
    }
    let limit = super::azure::receive_limit(model, n, q.max_receives);
    match (super::dead_letter_of(model, n), limit) {
        (Some(dlq), limit) => {
            out.push_str("  dead_letter_policy {\n");
            let _ = writeln!(
                out,
                "    dead_letter_topic     = google_pubsub_topic.{}.id # simulated: dead-letter edge",
                tf.name_of(dlq)
            );
            match limit {
                Some((count, from)) => {
                    let set = count.clamp(
                        pubsub::MIN_DELIVERY_ATTEMPTS,
                        pubsub::MAX_DELIVERY_ATTEMPTS,
                    );
                    let note = if set == count {
                        String::new()
                    } else {
                        format!(" {count}, brought into Pub/Sub's 5 to 100")
                    };
                    let _ = writeln!(
                        out,
                        "    max_delivery_attempts = {set} # simulated: {}{note}",
                        one_line(&from)
                    );
                }
                None => out.push_str(
                    "    max_delivery_attempts = 5 # Pub/Sub's default: the model has no receive limit, so it never dead-letters for deliveries\n",
                ),
            }
            out.push_str("  }\n");
        }
        (None, Some((count, from))) => {
            let _ = writeln!(
                out,
                "  # Not mapped: after {count} deliveries ({}) the model drops the message; Pub/Sub without a dead-letter topic delivers it again until it expires.",
                one_line(&from)
            );
        }
        (None, None) => {}
    }
    if push.is_some() {
        out.push_str("  push_config { # simulated: pubsub delivery Push\n");
        let _ = writeln!(out, "    push_endpoint = var.push_endpoint_{name}");
        out.push_str("  }\n");
    }
    if let Some(c) = q.capacity {
        let _ = writeln!(
            out,
            "  # Not mapped: capacity {c}: a Pub/Sub subscription holds any backlog."
        );
    }
    if q.shed != crate::nodes::queue::Shedding::None {
        let _ = writeln!(
            out,
            "  # Not mapped: shedding ({}): Pub/Sub has none.",
            q.shed.label()
        );
    }
    out.push_str("}\n");
}

/// A consumer that reads topic `t` directly: a pull subscription of its
/// own.
pub(crate) fn consumer_subscription(
    tf: &mut Terraform<'_>,
    out: &mut String,
    t: NodeIndex,
    e: petgraph::stable_graph::EdgeIndex,
) {
    let model = tf.model;
    let graph = &model.graph;
    let reader = graph
        .edge_endpoints(e)
        .map(|(_, to)| to)
        .expect("an edge of the model");
    let sub = tf.new_name(&format!("{}_to_{}", graph[t].id, graph[reader].id));
    let _ = writeln!(
        out,
        "\nresource \"google_pubsub_subscription\" \"{sub}\" {{"
    );
    let _ = writeln!(
        out,
        "  name  = {}",
        string(&format!("{}-{}", graph[t].id, graph[reader].id))
    );
    let _ = writeln!(out, "  topic = google_pubsub_topic.{}.id", tf.name_of(t));
    if let Some(types) = &graph[e].filter {
        let _ = writeln!(
            out,
            "  filter = {} # simulated: subscription filter",
            string(&filter(types))
        );
    }
    let _ = writeln!(
        out,
        "  # Simulated: consumer '{}' reads this subscription.",
        one_line(&graph[reader].id)
    );
    if let Some(latency) = graph[e].latency {
        let _ = writeln!(out, "  # Not mapped: link latency {latency}.");
    }
    out.push_str("}\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;

    fn gcp(text: &str) -> String {
        let (model, _) = from_str(text).expect("loads");
        to_gcp(&model)
    }

    #[test]
    fn a_pubsub_topic_and_its_subscriptions() {
        let tf = gcp(r#"(
                version: 1,
                name: "orders",
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 1.0), events: [(name: "a"), (name: "b\"c")])),
                    (id: "orders", kind: Topic(pubsub: true)),
                    (id: "billing", kind: Queue(visibility_timeout: "30s", max_receives: 7, retention: "24h",
                        fifo: (), pubsub: (delivery: Push, retry: (min: "250ms", max: "1m")))),
                    (id: "work", kind: Consumer(service: Constant("1ms"))),
                    (id: "audit", kind: Consumer(service: Constant("1ms"))),
                    (id: "dlq", kind: DeadLetter()),
                    (id: "direct", kind: Queue(max_receives: 200)),
                    (id: "logs", kind: Log()),
                ],
                edges: [(from: "p", to: "orders"), (from: "orders", to: "billing", filter: ["a", "b\"c"]),
                        (from: "billing", to: "work"), (from: "billing", to: "dlq"),
                        (from: "orders", to: "audit"), (from: "p", to: "direct"), (from: "direct", to: "work"),
                        (from: "direct", to: "dlq"), (from: "p", to: "logs"), (from: "logs", to: "work")],
            )"#);
        for part in [
            "resource \"google_pubsub_topic\" \"orders\"",
            "resource \"google_pubsub_subscription\" \"billing\"",
            "  topic = google_pubsub_topic.orders.id",
            "ack_deadline_seconds = 30 # simulated",
            "message_retention_duration = \"86400s\"",
            "filter = \"attributes.event_type = \\\"a\\\" OR attributes.event_type = \\\"b\\\\\\\"c\\\"\"",
            "enable_message_ordering = true",
            "minimum_backoff = \"0.25s\"",
            "maximum_backoff = \"60s\"",
            "dead_letter_topic     = google_pubsub_topic.dlq.id",
            "max_delivery_attempts = 7 # simulated: max_receives",
            "push_endpoint = var.push_endpoint_billing",
            "variable \"push_endpoint_billing\"",
            "resource \"google_pubsub_subscription\" \"orders_to_audit\"",
            "resource \"google_pubsub_topic\" \"direct_topic\"",
            "name = \"direct-topic\"",
            "ack_deadline_seconds = 30 # simulated",
            "max_delivery_attempts = 100 # simulated: max_receives 200, brought into",
            "resource \"google_pubsub_subscription\" \"dlq_held\"",
            "roles/pubsub.publisher",
            "# Log 'logs'",
        ] {
            assert!(tf.contains(part), "{part}\n{tf}");
        }
    }

    #[test]
    fn durations_are_seconds_with_a_fraction_when_needed() {
        assert_eq!(seconds(Duration::from_secs(600)), "600s");
        assert_eq!(seconds(Duration::from_millis(1500)), "1.5s");
        assert_eq!(seconds(Duration(1)), "0.000000001s");
    }
}
