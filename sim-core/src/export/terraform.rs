//! Terraform: the AWS shape of a model, as HCL.
//!
//! | Weir | AWS |
//! | --- | --- |
//! | queue | `aws_sqs_queue`: visibility timeout, redrive policy to its dead-letter queue with `maxReceiveCount` |
//! | dead-letter queue | `aws_sqs_queue` |
//! | topic | `aws_sns_topic`, and an `aws_sns_topic_subscription` per subscription to a queue or consumer, with a filter policy on `event_type` |
//! | consumer | `aws_lambda_function` with reserved concurrency (instances × concurrency) and its dead-letter queue, and an `aws_lambda_event_source_mapping` per queue it reads (batch size 1, maximum concurrency) |
//! | log | nothing: a Kafka log has no SQS/SNS counterpart; a comment says so and lists its simulated parameters (use `weir export --format kafka` for topic definitions) |
//! | producer, sink | nothing: they are applications and dependencies outside these resources; a comment says what the simulation assumed |
//! | CEP node, event store, projection | nothing: AWS has no single resource for them (a comment says so and lists the simulated parameters and outputs) |
//!
//! Every value that came from the simulation model is marked `# simulated`
//! in the file. Parameters with no AWS counterpart (a queue's capacity, a
//! consumer's service time, link latencies, …) are listed in comments
//! starting `# Not mapped:`; nothing is guessed silently. What AWS needs and
//! the model does not say (Lambda code, runtime, role) are variables.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;

use super::asyncapi::{EVENT_TYPE_ATTRIBUTE, dead_letter_of};
use super::{dist_text, edge_role, retry_text};
use crate::model::Model;
use crate::nodes::{EdgeRole, Kind, NodeKind, Overflow};
use crate::time::{Duration, NANOS_PER_SEC};

/// SQS's longest visibility timeout, in seconds.
const MAX_VISIBILITY_S: u64 = 43_200;
/// Lambda's longest function timeout, in seconds.
const MAX_LAMBDA_TIMEOUT_S: u64 = 900;

/// The model as a Terraform file.
#[expect(
    clippy::too_many_lines,
    reason = "one exhaustive match over the node kinds, in model order"
)]
pub fn to_terraform(model: &Model) -> String {
    let graph = &model.graph;
    let nodes: Vec<NodeIndex> = graph.node_indices().collect();
    let mut used = BTreeSet::new();
    let names: Vec<String> = nodes
        .iter()
        .map(|&n| resource_name(&graph[n].id, &mut used))
        .collect();
    let name_of = |n: NodeIndex| {
        nodes
            .iter()
            .position(|&m| m == n)
            .map_or_else(String::new, |i| names[i].clone())
    };
    let consumers: Vec<NodeIndex> = nodes
        .iter()
        .copied()
        .filter(|&n| graph[n].kind.kind() == Kind::Consumer)
        .collect();

    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} — the AWS shape of a Weir model, exported by Weir.",
        one_line(&model.name)
    );
    out.push_str(
        "#\n\
         # Values marked \"# simulated\" come from the simulation model. Weir\n\
         # parameters with no AWS counterpart are listed in \"# Not mapped:\"\n\
         # comments; nothing else is guessed. What the model does not say (Lambda\n\
         # code, runtime, role) is asked for as variables.\n\n",
    );
    out.push_str(
        "terraform {\n  required_providers {\n    aws = {\n      source = \"hashicorp/aws\"\n    }\n  }\n}\n",
    );
    if !consumers.is_empty() {
        out.push_str(
            "\nvariable \"lambda_role_arn\" {\n  description = \"The IAM role the Lambda functions run as\"\n  type        = string\n}\n\
             \nvariable \"lambda_runtime\" {\n  description = \"The runtime of the Lambda functions, e.g. python3.12\"\n  type        = string\n}\n\
             \nvariable \"lambda_handler\" {\n  description = \"The handler of the Lambda functions\"\n  type        = string\n}\n",
        );
        for &c in &consumers {
            let _ = writeln!(
                out,
                "\nvariable \"{}_package\" {{\n  description = {}\n  type        = string\n}}",
                name_of(c),
                string(&format!(
                    "The deployment package (zip file) of the function for consumer '{}'",
                    graph[c].id
                ))
            );
        }
    }

    for (i, &n) in nodes.iter().enumerate() {
        let node = &graph[n];
        let name = &names[i];
        out.push('\n');
        match &node.kind {
            NodeKind::Producer(p) => {
                let _ = writeln!(
                    out,
                    "# Producer '{}' ({}): an application outside these resources; no resource.",
                    one_line(&node.id),
                    one_line(node.label())
                );
                let _ = writeln!(
                    out,
                    "# Simulated: {}; {} key(s); when blocked: {:?}{}.",
                    one_line(&node.kind.summary().join("; ")),
                    p.keys,
                    p.on_block,
                    p.limit
                        .map(|l| format!("; stops after {l} events"))
                        .unwrap_or_default()
                );
                sends_to(&mut out, model, n);
            }
            NodeKind::Queue(q) => {
                let _ = writeln!(out, "resource \"aws_sqs_queue\" \"{name}\" {{");
                let _ = writeln!(out, "  name = {}", string(&node.id));
                visibility(&mut out, q.visibility_timeout);
                let receives_limit = q.max_receives.map(|m| (m, "max_receives".to_owned()));
                // Without a receive limit, the consumers' max_attempts is the
                // number of receives after which the simulation dead-letters.
                let receives_limit = receives_limit.or_else(|| {
                    graph
                        .edges_directed(n, Direction::Outgoing)
                        .filter(|e| edge_role(model, e.id()) == Some(EdgeRole::Pull))
                        .filter_map(|e| match &graph[e.target()].kind {
                            NodeKind::Consumer(c) if c.retry.max_attempts() != u32::MAX => Some((
                                c.retry.max_attempts(),
                                format!("max_attempts of consumer '{}'", graph[e.target()].id),
                            )),
                            _ => None,
                        })
                        .min()
                });
                match (dead_letter_of(model, n), receives_limit) {
                    (Some(dlq), Some((count, from))) => {
                        out.push_str("  redrive_policy = jsonencode({\n");
                        let _ = writeln!(
                            out,
                            "    deadLetterTargetArn = aws_sqs_queue.{}.arn # simulated: dead-letter edge",
                            name_of(dlq)
                        );
                        let _ = writeln!(
                            out,
                            "    maxReceiveCount     = {count} # simulated: {}",
                            one_line(&from)
                        );
                        out.push_str("  })\n");
                    }
                    (Some(dlq), None) => {
                        let _ = writeln!(
                            out,
                            "  # Not mapped: dead-letter queue '{}' without a receive limit (no max_receives, no consumer max_attempts): SQS needs maxReceiveCount, so there is no redrive policy.",
                            one_line(&graph[dlq].id)
                        );
                    }
                    (None, _) => {}
                }
                if let Some(c) = q.capacity {
                    let overflow = match q.overflow {
                        Overflow::Block => "blocks senders",
                        Overflow::DropNewest => "drops the newest",
                        Overflow::DropOldest => "drops the oldest",
                    };
                    let _ = writeln!(
                        out,
                        "  # Not mapped: capacity {c}, {overflow} when full: SQS queues are unbounded."
                    );
                }
                out.push_str("}\n");
            }
            NodeKind::Topic(_) => {
                let _ = writeln!(out, "resource \"aws_sns_topic\" \"{name}\" {{");
                let _ = writeln!(out, "  name = {}", string(&node.id));
                out.push_str("}\n");
                for e in graph.edges_directed(n, Direction::Outgoing) {
                    let target = e.target();
                    let (protocol, endpoint) = match graph[target].kind.kind() {
                        Kind::Queue => ("sqs", format!("aws_sqs_queue.{}.arn", name_of(target))),
                        Kind::Consumer => (
                            "lambda",
                            format!("aws_lambda_function.{}.arn", name_of(target)),
                        ),
                        other => {
                            let _ = writeln!(
                                out,
                                "# Not mapped: the subscription of {} '{}' to this topic: no AWS resource stands for a Weir {other}.",
                                other,
                                one_line(&graph[target].id)
                            );
                            continue;
                        }
                    };
                    let sub =
                        resource_name(&format!("{}_to_{}", node.id, graph[target].id), &mut used);
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
            NodeKind::Consumer(c) => {
                let _ = writeln!(out, "resource \"aws_lambda_function\" \"{name}\" {{");
                let _ = writeln!(
                    out,
                    "  function_name                  = {}",
                    string(&node.id)
                );
                out.push_str("  role                           = var.lambda_role_arn\n");
                out.push_str("  runtime                        = var.lambda_runtime\n");
                out.push_str("  handler                        = var.lambda_handler\n");
                let _ = writeln!(out, "  filename                       = var.{name}_package");
                let _ = writeln!(
                    out,
                    "  reserved_concurrent_executions = {} # simulated: instances {} × concurrency {}",
                    c.slots(),
                    c.instances,
                    c.concurrency
                );
                match c.timeout {
                    Some(t) => {
                        let whole = t.0.div_ceil(NANOS_PER_SEC);
                        if (1..=MAX_LAMBDA_TIMEOUT_S).contains(&whole) {
                            let rounded = if whole * NANOS_PER_SEC == t.0 {
                                String::new()
                            } else {
                                format!(" {t}, rounded up to whole seconds")
                            };
                            let _ = writeln!(
                                out,
                                "  timeout                        = {whole} # simulated: timeout{rounded}"
                            );
                        } else {
                            let _ = writeln!(
                                out,
                                "  # Not mapped: timeout {t}: a Lambda function's timeout is 1 to {MAX_LAMBDA_TIMEOUT_S} s."
                            );
                        }
                    }
                    None => out.push_str(
                        "  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.\n",
                    ),
                }
                if let Some(dlq) = dead_letter_of(model, n) {
                    out.push_str("  dead_letter_config {\n");
                    let _ = writeln!(
                        out,
                        "    target_arn = aws_sqs_queue.{}.arn # simulated: the consumer's dead-letter queue (used for asynchronous invocations)",
                        name_of(dlq)
                    );
                    out.push_str("  }\n");
                }
                let _ = writeln!(
                    out,
                    "  # Not mapped: service time {}, failure probability {}: they describe the function's code.",
                    one_line(&dist_text(&c.service)),
                    c.failure
                );
                let _ = writeln!(
                    out,
                    "  # Not mapped: delivery {:?}: Lambda's SQS event sources deliver at least once; idempotency is the code's business.",
                    c.delivery
                );
                if let Some(retry) = retry_text(&c.retry) {
                    let _ = writeln!(
                        out,
                        "  # Not mapped: retry policy ({}): Lambda retries SQS messages through the queue's visibility timeout and redrive policy, asynchronous invocations at most twice.",
                        one_line(&retry)
                    );
                }
                for e in graph.edges_directed(n, Direction::Outgoing) {
                    if edge_role(model, e.id()) == Some(EdgeRole::Push) {
                        let _ = writeln!(
                            out,
                            "  # It sends to '{}'{}{}.",
                            one_line(&graph[e.target()].id),
                            latency_note(e.weight().latency),
                            send_permission(graph[e.target()].kind.kind())
                        );
                    }
                }
                out.push_str("}\n");
                for e in graph.edges_directed(n, Direction::Incoming) {
                    let source = e.source();
                    match edge_role(model, e.id()) {
                        Some(EdgeRole::Pull) if graph[source].kind.kind() == Kind::Log => {
                            let _ = writeln!(
                                out,
                                "# Not mapped: '{}' reads the Kafka log '{}' as consumer group '{}': an event source mapping from Amazon MSK or self-managed Kafka would carry it, and this file has no Kafka cluster to point at.",
                                one_line(&node.id),
                                one_line(&graph[source].id),
                                one_line(&node.id)
                            );
                        }
                        Some(EdgeRole::Pull) => {
                            let mapping = resource_name(
                                &format!("{}_to_{}", graph[source].id, node.id),
                                &mut used,
                            );
                            let _ = writeln!(
                                out,
                                "\nresource \"aws_lambda_event_source_mapping\" \"{mapping}\" {{"
                            );
                            let _ = writeln!(
                                out,
                                "  event_source_arn = aws_sqs_queue.{}.arn",
                                name_of(source)
                            );
                            let _ = writeln!(
                                out,
                                "  function_name    = aws_lambda_function.{name}.arn"
                            );
                            out.push_str("  batch_size       = 1 # simulated: each attempt processes one message\n");
                            if let Some(dlq) = dead_letter_of(model, n)
                                && dead_letter_of(model, source).is_none()
                            {
                                let _ = writeln!(
                                    out,
                                    "  # Not mapped: the consumer's dead-letter queue '{}': for messages from SQS, AWS dead-letters through the queue's redrive policy, and '{}' has none.",
                                    one_line(&graph[dlq].id),
                                    one_line(&graph[source].id)
                                );
                            }
                            let slots = c.slots();
                            if (2..=1000).contains(&slots) {
                                out.push_str("  scaling_config {\n");
                                let _ = writeln!(
                                    out,
                                    "    maximum_concurrency = {slots} # simulated: instances × concurrency"
                                );
                                out.push_str("  }\n");
                            } else {
                                let _ = writeln!(
                                    out,
                                    "  # Not mapped: {slots} slot(s): an event source's maximum concurrency is 2 to 1000."
                                );
                            }
                            out.push_str("}\n");
                        }
                        Some(EdgeRole::Push) if graph[source].kind.kind() != Kind::Topic => {
                            let _ = writeln!(
                                out,
                                "# '{}' invokes '{}' directly{}: no event source mapping.",
                                one_line(&graph[source].id),
                                one_line(&node.id),
                                latency_note(e.weight().latency)
                            );
                        }
                        _ => {}
                    }
                }
            }
            NodeKind::Router(_) | NodeKind::Service(_) | NodeKind::Sink(_) => {
                let params = node.kind.summary();
                let (kind, what) = match node.kind {
                    NodeKind::Router(_) => (
                        "Router",
                        "routing inside the design; not mapped to a resource (an EventBridge rule or SNS filter policy would carry it)",
                    ),
                    NodeKind::Service(_) => (
                        "Service",
                        "an external dependency that consumers call; no resource",
                    ),
                    _ => ("Sink", "an external dependency; no resource"),
                };
                let _ = writeln!(
                    out,
                    "# {kind} '{}' ({}): {what}.{}",
                    one_line(&node.id),
                    one_line(node.label()),
                    if params.is_empty() {
                        String::new()
                    } else {
                        format!(" Simulated: {}.", one_line(&params.join("; ")))
                    }
                );
            }
            NodeKind::Log(_) => {
                let _ = writeln!(
                    out,
                    "# Log '{}' ({}): a Kafka log has no AWS SQS/SNS mapping; no resource is generated (weir export --format kafka writes its topic definition). Simulated: {}.",
                    one_line(&node.id),
                    one_line(node.label()),
                    one_line(&node.kind.summary().join("; "))
                );
            }
            NodeKind::Cep(_) | NodeKind::EventStore(_) | NodeKind::Projection(_) => {
                let (kind, what) = match node.kind {
                    NodeKind::Cep(_) => (
                        "CEP node",
                        "complex event processing; there is no AWS mapping for it (it would be code in a stream processor such as Managed Service for Apache Flink), so no resource is generated",
                    ),
                    NodeKind::EventStore(_) => (
                        "Event store",
                        "event sourcing's append-only store; there is no AWS mapping for it (it would be a database table with conditional writes, such as DynamoDB), so no resource is generated",
                    ),
                    _ => (
                        "Projection",
                        "a CQRS read model; there is no AWS mapping for it (it would be a table and the code that updates it), so no resource is generated",
                    ),
                };
                let _ = writeln!(
                    out,
                    "# {kind} '{}' ({}): {what}.",
                    one_line(&node.id),
                    one_line(node.label())
                );
                let _ = writeln!(
                    out,
                    "# Not mapped: {}.",
                    one_line(&node.kind.summary().join("; "))
                );
                sends_to(&mut out, model, n);
            }
            NodeKind::DeadLetter(d) => {
                let _ = writeln!(out, "resource \"aws_sqs_queue\" \"{name}\" {{");
                let _ = writeln!(out, "  name = {}", string(&node.id));
                out.push_str("  # A dead-letter queue (simulated).\n");
                if let Some(c) = d.capacity {
                    let _ = writeln!(
                        out,
                        "  # Not mapped: capacity {c}: SQS queues are unbounded."
                    );
                }
                out.push_str("}\n");
            }
        }
    }
    out
}

/// `visibility_timeout_seconds`, rounded up to whole seconds (and said so).
fn visibility(out: &mut String, d: Duration) {
    let whole = d.0.div_ceil(NANOS_PER_SEC);
    if whole > MAX_VISIBILITY_S {
        let _ = writeln!(
            out,
            "  # Not mapped: visibility timeout {d}: SQS allows at most {MAX_VISIBILITY_S} s."
        );
    } else if whole * NANOS_PER_SEC == d.0 {
        let _ = writeln!(
            out,
            "  visibility_timeout_seconds = {whole} # simulated: visibility_timeout"
        );
    } else {
        let _ = writeln!(
            out,
            "  visibility_timeout_seconds = {whole} # simulated: visibility_timeout {d}, rounded up to whole seconds"
        );
    }
}

/// A comment per outgoing edge of a node that has no resource of its own:
/// where it sends, over what latency, with which permission.
fn sends_to(out: &mut String, model: &Model, n: NodeIndex) {
    let graph = &model.graph;
    for e in graph.edges_directed(n, Direction::Outgoing) {
        let _ = writeln!(
            out,
            "# It sends to '{}'{}{}.",
            one_line(&graph[e.target()].id),
            latency_note(e.weight().latency),
            send_permission(graph[e.target()].kind.kind())
        );
    }
}

fn latency_note(latency: Option<Duration>) -> String {
    latency
        .map(|l| format!(" (not mapped: link latency {l})"))
        .unwrap_or_default()
}

/// What a sender needs to be allowed to send to a node of `kind`.
fn send_permission(kind: Kind) -> &'static str {
    match kind {
        Kind::Queue | Kind::DeadLetter => "; grant it sqs:SendMessage (not generated)",
        Kind::Topic => "; grant it sns:Publish (not generated)",
        Kind::Consumer => "; grant it lambda:InvokeFunction (not generated)",
        Kind::Router => ", through a router (not mapped)",
        Kind::Log => ", a Kafka log (not mapped: no AWS SQS/SNS counterpart)",
        Kind::Producer | Kind::Service | Kind::Sink => ", outside these resources",
        Kind::Cep | Kind::EventStore | Kind::Projection => {
            ", which has no AWS mapping (not mapped)"
        }
    }
}

/// A Terraform resource name (letters, digits, `_`, `-`; not starting with
/// a digit or `-`), unique among `used`.
fn resource_name(id: &str, used: &mut BTreeSet<String>) -> String {
    let mut base: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '_' {
                c
            } else {
                '_'
            }
        })
        .collect();
    if !base.starts_with(|c: char| c.is_ascii_alphabetic() || c == '_') {
        base.insert(0, '_');
    }
    let mut name = base.clone();
    let mut n = 2;
    while used.contains(&name) {
        name = format!("{base}_{n}");
        n += 1;
    }
    used.insert(name.clone());
    name
}

/// An HCL quoted string: escapes quotes, backslashes, line breaks and
/// template sequences.
fn string(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            '$' | '%' if chars.peek() == Some(&'{') => {
                out.push(c);
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_escape_templates_and_quotes() {
        assert_eq!(string(r#"a "${b}" %{c} \"#), r#""a \"$${b}\" %%{c} \\""#);
    }

    #[test]
    fn resource_names_are_valid_and_unique() {
        let mut used = BTreeSet::new();
        assert_eq!(resource_name("billing-q", &mut used), "billing_q");
        assert_eq!(resource_name("billing_q", &mut used), "billing_q_2");
        assert_eq!(resource_name("1st", &mut used), "_1st");
    }
}
