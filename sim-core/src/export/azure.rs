//! Terraform for Azure: the model's brokers as Service Bus and Event Hubs
//! (the `azurerm` provider, 4.x).
//!
//! | Weir | Azure |
//! | --- | --- |
//! | queue | `azurerm_servicebus_queue`: `lock_duration` from the visibility timeout (at most 5 minutes), `max_delivery_count` from `max_receives` (or the readers' `max_attempts`), dead letters kept in the queue's own dead-letter subqueue; a FIFO queue `requires_session` (a session per message group) |
//! | dead-letter queue | fed by queues: their built-in dead-letter subqueues (a comment says so); fed by consumers: an `azurerm_servicebus_queue` |
//! | topic | `azurerm_servicebus_topic`, and an `azurerm_servicebus_subscription` per subscription: to a queue, forwarded to it; to a consumer, read by it; a filter becomes an `azurerm_servicebus_subscription_rule` with a SQL filter on `event_type` |
//! | log with `event_hubs` | an `azurerm_eventhub_namespace` (Standard tier, `capacity` = throughput units), an `azurerm_eventhub` (partitions, retention in whole days) and an `azurerm_eventhub_consumer_group` per consumer reading it |
//! | log without | nothing: a Kafka log (`weir export --format kafka` writes its topic); a comment says so |
//! | everything else | nothing: applications (producers, consumers, services, sinks) and processing with no single Azure resource; a comment lists what the simulation assumed |
//!
//! As in the AWS file, every value from the model is marked `# simulated`,
//! parameters with no Azure counterpart are listed in `# Not mapped:`
//! comments, and what the model does not say (the resource group, the
//! region, a prefix that makes namespace names globally unique) is asked
//! for as variables.

use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;

use super::KindExport as _;
use super::edge_role;
use super::terraform::{Terraform, one_line};
use crate::model::Model;
use crate::nodes::EdgeRole;
use crate::nodes::{Kind, NodeKind, with_params};
use crate::time::{Duration, NANOS_PER_SEC};

/// Service Bus's longest message lock: 5 minutes.
const MAX_LOCK_S: u64 = 300;
/// The Service Bus namespace's resource name.
pub(crate) const SERVICE_BUS: &str = "weir";

/// The model as a Terraform file for Azure.
pub fn to_azure(model: &Model) -> String {
    let mut tf = Terraform::new(model);
    let graph = &model.graph;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} — the Azure shape of a Weir model, exported by Weir.",
        one_line(&model.name)
    );
    out.push_str(
        "#\n\
         # Values marked \"# simulated\" come from the simulation model. Weir\n\
         # parameters with no Azure counterpart are listed in \"# Not mapped:\"\n\
         # comments; nothing else is guessed. What the model does not say (the\n\
         # resource group, the region, a prefix for globally unique names) is\n\
         # asked for as variables.\n\n",
    );
    out.push_str(
        "terraform {\n  required_providers {\n    azurerm = {\n      source  = \"hashicorp/azurerm\"\n      version = \"~> 4.0\"\n    }\n  }\n}\n\
         \nprovider \"azurerm\" {\n  features {}\n}\n\
         \nvariable \"resource_group_name\" {\n  description = \"The resource group the namespaces go in\"\n  type        = string\n}\n\
         \nvariable \"location\" {\n  description = \"The Azure region, e.g. westeurope\"\n  type        = string\n}\n\
         \nvariable \"name_prefix\" {\n  description = \"A prefix that makes the namespaces' names globally unique (letters, digits and hyphens, starting with a letter)\"\n  type        = string\n}\n",
    );
    let service_bus = graph.node_indices().any(|n| uses_service_bus(model, n));
    if service_bus {
        let _ = writeln!(
            out,
            "\nresource \"azurerm_servicebus_namespace\" \"{SERVICE_BUS}\" {{\n  name                = \"${{var.name_prefix}}-bus\"\n  location            = var.location\n  resource_group_name = var.resource_group_name\n  sku                 = \"Standard\" # topics and sessions need Standard\n}}"
        );
    }
    for n in graph.node_indices() {
        out.push('\n');
        with_params!(&graph[n].kind, p => p.azure(&mut tf, &mut out, n));
    }
    if !model.alerts.is_empty() {
        let _ = writeln!(
            out,
            "\n# Not mapped: {} alerting rule{} (weir export --format prometheus-rules writes them; the AWS file has them as CloudWatch alarms).",
            model.alerts.len(),
            if model.alerts.len() == 1 { "" } else { "s" }
        );
    }
    out
}

/// The head of node `n`'s `azurerm_servicebus_queue`: its resource, name
/// and namespace (the caller writes the rest and the closing brace).
pub(crate) fn servicebus_queue(tf: &Terraform<'_>, out: &mut String, n: NodeIndex) {
    let _ = writeln!(
        out,
        "resource \"azurerm_servicebus_queue\" \"{}\" {{",
        tf.name_of(n)
    );
    let _ = writeln!(
        out,
        "  name                = {}",
        super::terraform::string(&tf.model.graph[n].id)
    );
    let _ = writeln!(
        out,
        "  namespace_id        = azurerm_servicebus_namespace.{SERVICE_BUS}.id"
    );
}

/// Whether node `n` becomes a Service Bus entity.
fn uses_service_bus(model: &Model, n: NodeIndex) -> bool {
    match model.graph[n].kind.kind() {
        Kind::Queue | Kind::Topic => true,
        Kind::DeadLetter => !fed_by_queues_only(model, n),
        _ => false,
    }
}

/// Whether every edge into dead-letter queue `n` comes from a queue, whose
/// own dead-letter subqueue stands for it in Service Bus.
pub(crate) fn fed_by_queues_only(model: &Model, n: NodeIndex) -> bool {
    let mut from = model
        .graph
        .edges_directed(n, Direction::Incoming)
        .peekable();
    from.peek().is_some() && from.all(|e| model.graph[e.source()].kind.kind() == Kind::Queue)
}

/// An ISO 8601 duration of whole seconds, as Service Bus takes them.
fn iso_seconds(s: u64) -> String {
    format!("PT{s}S")
}

/// `lock_duration` from a visibility timeout: whole seconds, at most five
/// minutes (said so when the model's is longer or finer).
pub(crate) fn lock_duration(out: &mut String, d: Duration) {
    let whole = d.0.div_ceil(NANOS_PER_SEC).max(5);
    if whole > MAX_LOCK_S {
        let _ = writeln!(
            out,
            "  lock_duration       = \"PT5M\" # simulated: visibility_timeout {d}, more than Service Bus's longest lock (5 minutes): renew the lock while processing"
        );
    } else if whole * NANOS_PER_SEC == d.0 {
        let _ = writeln!(
            out,
            "  lock_duration       = \"{}\" # simulated: visibility_timeout",
            iso_seconds(whole)
        );
    } else {
        let _ = writeln!(
            out,
            "  lock_duration       = \"{}\" # simulated: visibility_timeout {d}, in whole seconds of at least 5",
            iso_seconds(whole)
        );
    }
}

/// A queue's or subscription's `max_delivery_count`: the model's limit,
/// or Service Bus's default of 10 when it has none (said so).
pub(crate) fn max_delivery_count(out: &mut String, limit: Option<(u32, String)>) {
    match limit {
        Some((count, from)) => {
            let _ = writeln!(
                out,
                "  max_delivery_count  = {} # simulated: {}",
                count.clamp(1, 2000),
                one_line(&from)
            );
        }
        None => out.push_str(
            "  max_delivery_count  = 10 # Service Bus's default: the model delivers without limit\n",
        ),
    }
}

/// A name for an Event Hubs namespace from node `id`: letters, digits and
/// hyphens, after the prefix variable.
pub(crate) fn namespace_name(id: &str) -> String {
    let mut name: String = id
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
        .collect();
    while name.contains("--") {
        name = name.replace("--", "-");
    }
    let name = name.trim_matches('-');
    let name: String = name.chars().take(30).collect();
    format!("${{var.name_prefix}}-{}", name.trim_end_matches('-'))
}

/// Event Hubs keeps events for whole days, 1 to 7 on the Standard tier.
pub(crate) fn retention_days(out: &mut String, retention: Duration) {
    const DAY: u64 = 24 * 3600 * NANOS_PER_SEC;
    let days = retention.0.div_ceil(DAY).clamp(1, 7);
    if days * DAY == retention.0 {
        let _ = writeln!(out, "  message_retention = {days} # simulated: retention");
    } else {
        let _ = writeln!(
            out,
            "  message_retention = {days} # simulated: retention {retention}, in whole days (1 to 7)"
        );
    }
}

/// The consumers reading node `n` (its pull edges), as (node, id).
pub(crate) fn readers(model: &Model, n: NodeIndex) -> Vec<NodeIndex> {
    model
        .graph
        .edges_directed(n, Direction::Outgoing)
        .filter(|e| edge_role(model, e.id()) == Some(EdgeRole::Pull))
        .map(|e| e.target())
        .collect()
}

/// The SQL filter of a subscription on `event_type`.
pub(crate) fn sql_filter(types: &[String]) -> String {
    let quoted: Vec<String> = types
        .iter()
        .map(|t| format!("'{}'", t.replace('\'', "''")))
        .collect();
    format!(
        "{} IN ({})",
        super::asyncapi::EVENT_TYPE_ATTRIBUTE,
        quoted.join(", ")
    )
}

/// Whether kind `kind` receives from a Service Bus subscription.
pub(crate) const fn subscribes(kind: Kind) -> bool {
    matches!(kind, Kind::Queue | Kind::Consumer)
}

/// The receive limit the simulation applies to queue `n` with `limit`: its
/// own `max_receives`, or the smallest `max_attempts` of its readers.
pub(crate) fn receive_limit(
    model: &Model,
    n: NodeIndex,
    limit: Option<u32>,
) -> Option<(u32, String)> {
    limit.map(|m| (m, "max_receives".to_owned())).or_else(|| {
        readers(model, n)
            .into_iter()
            .filter_map(|c| match &model.graph[c].kind {
                NodeKind::Consumer(p) if p.retry.max_attempts() != u32::MAX => Some((
                    p.retry.max_attempts(),
                    format!("max_attempts of consumer '{}'", model.graph[c].id),
                )),
                _ => None,
            })
            .min()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;

    fn azure(text: &str) -> String {
        let (model, _) = from_str(text).expect("loads");
        to_azure(&model)
    }

    #[test]
    fn an_event_hubs_log_is_a_namespace_a_hub_and_consumer_groups() {
        let tf = azure(
            r#"(
                version: 1,
                name: "hub",
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 1.0))),
                    (id: "telemetry.in", kind: Log(partitions: 8, retention: "36h", checkpoint: "10s",
                        event_hubs: (throughput_units: 3, event_bytes: 2000, on_throttle: Error))),
                    (id: "job", kind: Consumer(service: Constant("1ms"))),
                    (id: "audit", kind: Consumer(service: Constant("1ms"))),
                    (id: "plain", kind: Log()),
                ],
                edges: [(from: "p", to: "telemetry.in"), (from: "telemetry.in", to: "job"),
                        (from: "telemetry.in", to: "audit"), (from: "p", to: "plain"), (from: "plain", to: "job")],
            )"#,
        );
        assert!(
            tf.contains("resource \"azurerm_eventhub_namespace\" \"telemetry_in\""),
            "{tf}"
        );
        assert!(
            tf.contains("name                = \"${var.name_prefix}-telemetry-in\""),
            "{tf}"
        );
        assert!(
            tf.contains("capacity            = 3 # simulated: throughput units"),
            "{tf}"
        );
        assert!(tf.contains("partition_count   = 8"), "{tf}");
        assert!(
            tf.contains("message_retention = 2 # simulated: retention 36h"),
            "{tf}"
        );
        assert_eq!(
            tf.matches("resource \"azurerm_eventhub_consumer_group\"")
                .count(),
            2,
            "{tf}"
        );
        assert!(tf.contains("checkpoints every 10s"), "{tf}");
        assert!(tf.contains("# Log 'plain'"), "{tf}");
        assert!(
            !tf.contains("azurerm_servicebus_namespace"),
            "no Service Bus entity: {tf}"
        );
    }

    #[test]
    fn queues_and_topics_are_service_bus_entities() {
        let tf = azure(
            r#"(
                version: 1,
                name: "bus",
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 1.0), events: [(name: "a"), (name: "b's")])),
                    (id: "t", kind: Topic()),
                    (id: "q", kind: Queue(visibility_timeout: "90s", max_receives: 4, fifo: ())),
                    (id: "c", kind: Consumer(service: Constant("1ms"))),
                    (id: "d", kind: Consumer(service: Constant("1ms"))),
                    (id: "dlq", kind: DeadLetter()),
                ],
                edges: [(from: "p", to: "t"), (from: "t", to: "q", filter: ["a", "b's"]), (from: "t", to: "d"),
                        (from: "q", to: "c"), (from: "q", to: "dlq")],
            )"#,
        );
        assert!(
            tf.contains("resource \"azurerm_servicebus_namespace\" \"weir\""),
            "{tf}"
        );
        assert!(tf.contains("lock_duration       = \"PT90S\""), "{tf}");
        assert!(
            tf.contains("max_delivery_count  = 4 # simulated: max_receives"),
            "{tf}"
        );
        assert!(tf.contains("requires_session    = true"), "{tf}");
        assert!(
            tf.contains("forward_to          = azurerm_servicebus_queue.q.name"),
            "{tf}"
        );
        assert!(
            tf.contains("sql_filter      = \"event_type IN ('a', 'b''s')\""),
            "{tf}"
        );
        assert_eq!(
            tf.matches("resource \"azurerm_servicebus_subscription\"")
                .count(),
            2,
            "{tf}"
        );
        assert!(tf.contains("dead-letter subqueue"), "{tf}");
        assert!(!tf.contains("azurerm_servicebus_queue\" \"dlq\""), "{tf}");
    }

    #[test]
    fn namespace_names_keep_to_letters_digits_and_hyphens() {
        assert_eq!(namespace_name("a.b__c-"), "${var.name_prefix}-a-b-c");
        assert_eq!(
            namespace_name("x".repeat(60).as_str()).len(),
            "${var.name_prefix}-".len() + 30
        );
    }
}
