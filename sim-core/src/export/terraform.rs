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
//! | alerting rule | `aws_cloudwatch_metric_alarm` for a rule on a queue or dead-letter queue (depth: `ApproximateNumberOfMessagesVisible`; dead-letter rate: `RATE()` of it) or a consumer (p99 latency: Lambda `Duration` `p99`; error rate: `Errors / Invocations`; throughput: `Invocations`), over 60 s periods, `evaluation_periods` from `for:`; any other rule gets a `# Not mapped:` comment |
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

use super::KindExport;
use crate::model::Model;
use crate::nodes::{Kind, NodeKind, with_params};
use crate::time::{Duration, NANOS_PER_SEC};

/// SQS's longest visibility timeout, in seconds.
const MAX_VISIBILITY_S: u64 = 43_200;
/// Lambda's longest function timeout, in seconds.
pub(crate) const MAX_LAMBDA_TIMEOUT_S: u64 = 900;

/// The model as a Terraform file.
pub fn to_terraform(model: &Model) -> String {
    let graph = &model.graph;
    let consumers: Vec<NodeIndex> = graph
        .node_indices()
        .filter(|&n| graph[n].kind.kind() == Kind::Consumer)
        .collect();
    let mut tf = Terraform::new(model);

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
                tf.name_of(c),
                string(&format!(
                    "The deployment package (zip file) of the function for consumer '{}'",
                    graph[c].id
                ))
            );
        }
    }

    for n in graph.node_indices() {
        out.push('\n');
        with_params!(&graph[n].kind, p => p.terraform(&mut tf, &mut out, n));
    }
    for rule in &model.alerts {
        out.push('\n');
        alarm(&mut tf, &mut out, rule);
    }
    out
}

/// The alarms' period: a minute, the finest standard
/// resolution of the SQS and Lambda metrics.
const ALARM_PERIOD_S: u64 = 60;

/// An `aws_cloudwatch_metric_alarm` for an alerting rule on a node that is
/// an AWS resource here, or a comment saying why there is none.
fn alarm(tf: &mut Terraform<'_>, out: &mut String, rule: &crate::alerts::AlertRule) {
    use crate::alerts::Condition;
    let model = tf.model;
    let what = format!(
        "alert '{}' ({} on '{}')",
        one_line(&rule.name),
        rule.when.describe(),
        one_line(&rule.on)
    );
    let Some(n) = model.find(&rule.on) else {
        let _ = writeln!(out, "# Not mapped: {what}: the model has no such node.");
        return;
    };
    let kind = model.graph[n].kind.kind();
    let resource = tf.name_of(n);
    let threshold = rule.when.threshold();
    let per_period = |rate: f64| {
        #[expect(clippy::cast_precision_loss, reason = "a period of seconds")]
        let period = ALARM_PERIOD_S as f64;
        rate * period
    };
    // (namespace, metric, statistic or extended statistic, threshold,
    // comparison, dimension) or a metric-math expression.
    enum Shape {
        Metric {
            namespace: &'static str,
            metric: &'static str,
            statistic: &'static str,
            extended: bool,
            threshold: f64,
            note: String,
        },
        Math {
            queries: Vec<(&'static str, &'static str, &'static str, &'static str)>,
            expression: &'static str,
            threshold: f64,
            note: String,
        },
    }
    let sqs = ("QueueName", format!("aws_sqs_queue.{resource}.name"));
    let lambda = (
        "FunctionName",
        format!("aws_lambda_function.{resource}.function_name"),
    );
    let (shape, dimension) = match (kind, rule.when) {
        (Kind::Queue | Kind::DeadLetter, Condition::Depth { .. }) => (
            Shape::Metric {
                namespace: "AWS/SQS",
                metric: "ApproximateNumberOfMessagesVisible",
                statistic: "Maximum",
                extended: false,
                threshold,
                note: "depth".to_owned(),
            },
            sqs,
        ),
        (Kind::DeadLetter, Condition::DeadLetterRate { .. }) => (
            Shape::Math {
                queries: vec![(
                    "m1",
                    "AWS/SQS",
                    "ApproximateNumberOfMessagesVisible",
                    "Maximum",
                )],
                expression: "RATE(m1)",
                threshold,
                note: "dead-letter rate, messages per second".to_owned(),
            },
            sqs,
        ),
        (Kind::Consumer, Condition::P99Latency { above }) => (
            Shape::Metric {
                namespace: "AWS/Lambda",
                metric: "Duration",
                statistic: "p99",
                extended: true,
                threshold: {
                    #[expect(clippy::cast_precision_loss, reason = "a threshold in ms")]
                    let ms = above.0 as f64 / 1e6;
                    ms
                },
                note: format!("p99 latency {above}, in milliseconds"),
            },
            lambda,
        ),
        (Kind::Consumer, Condition::ErrorRate { .. }) => (
            Shape::Math {
                queries: vec![
                    ("errors", "AWS/Lambda", "Errors", "Sum"),
                    ("invocations", "AWS/Lambda", "Invocations", "Sum"),
                ],
                expression: "errors / invocations",
                threshold,
                note: "error rate (Weir counts messages dropped; Lambda counts failed invocations, retries included)".to_owned(),
            },
            lambda,
        ),
        (Kind::Consumer, Condition::Throughput { below }) => (
            Shape::Metric {
                namespace: "AWS/Lambda",
                metric: "Invocations",
                statistic: "Sum",
                extended: false,
                threshold: per_period(below),
                note: format!("throughput {below}/s, per {ALARM_PERIOD_S} s period"),
            },
            lambda,
        ),
        _ => {
            let _ = writeln!(
                out,
                "# Not mapped: {what}: a {kind}'s {} has no CloudWatch metric in this export.",
                rule.when.measure()
            );
            return;
        }
    };
    let periods = rule.hold.0.div_ceil(ALARM_PERIOD_S * NANOS_PER_SEC).max(1);
    let comparison = if rule.when.above() {
        "GreaterThanThreshold"
    } else {
        "LessThanThreshold"
    };
    let name = tf.new_name(&format!("alert_{}", rule.name));
    let _ = writeln!(
        out,
        "resource \"aws_cloudwatch_metric_alarm\" \"{name}\" {{"
    );
    let _ = writeln!(out, "  alarm_name          = {}", string(&rule.name));
    let _ = writeln!(
        out,
        "  alarm_description   = {}",
        string(&rule.summary.clone().unwrap_or_else(|| format!(
            "{} of '{}' for {}",
            rule.when.describe(),
            rule.on,
            rule.hold
        )))
    );
    let _ = writeln!(out, "  comparison_operator = \"{comparison}\"");
    let _ = writeln!(
        out,
        "  evaluation_periods  = {periods} # simulated: for {}, in periods of {ALARM_PERIOD_S} s",
        rule.hold
    );
    // No data is no messages: a breach for a throughput floor only.
    let missing = if rule.when.above() {
        "notBreaching"
    } else {
        "breaching"
    };
    let _ = writeln!(out, "  treat_missing_data  = \"{missing}\"");
    let _ = writeln!(
        out,
        "  tags = {{\n    severity = {}\n  }}",
        string(&rule.severity)
    );
    match shape {
        Shape::Metric {
            namespace,
            metric,
            statistic,
            extended,
            threshold,
            note,
        } => {
            let _ = writeln!(out, "  namespace           = \"{namespace}\"");
            let _ = writeln!(out, "  metric_name         = \"{metric}\"");
            let _ = writeln!(out, "  period              = {ALARM_PERIOD_S}");
            if extended {
                let _ = writeln!(out, "  extended_statistic  = \"{statistic}\"");
            } else {
                let _ = writeln!(out, "  statistic           = \"{statistic}\"");
            }
            let _ = writeln!(
                out,
                "  threshold           = {threshold} # simulated: {note}"
            );
            let _ = writeln!(
                out,
                "  dimensions = {{\n    {} = {}\n  }}",
                dimension.0, dimension.1
            );
        }
        Shape::Math {
            queries,
            expression,
            threshold,
            note,
        } => {
            let _ = writeln!(
                out,
                "  threshold           = {threshold} # simulated: {note}"
            );
            let _ = writeln!(
                out,
                "  metric_query {{\n    id          = \"result\"\n    expression  = \"{expression}\"\n    return_data = true\n  }}"
            );
            for (id, namespace, metric, statistic) in queries {
                let _ = writeln!(
                    out,
                    "  metric_query {{\n    id = \"{id}\"\n    metric {{\n      namespace   = \"{namespace}\"\n      metric_name = \"{metric}\"\n      period      = {ALARM_PERIOD_S}\n      stat        = \"{statistic}\"\n      dimensions = {{\n        {} = {}\n      }}\n    }}\n  }}",
                    dimension.0, dimension.1
                );
            }
        }
    }
    out.push_str("}\n");
}

/// The file being written: the model and the resource names taken.
#[derive(Debug)]
pub(crate) struct Terraform<'a> {
    pub(crate) model: &'a Model,
    nodes: Vec<NodeIndex>,
    names: Vec<String>,
    used: BTreeSet<String>,
}

impl<'a> Terraform<'a> {
    /// A file for `model`, each node with a resource name of its own.
    pub(crate) fn new(model: &'a Model) -> Self {
        let graph = &model.graph;
        let nodes: Vec<NodeIndex> = graph.node_indices().collect();
        let mut used = BTreeSet::new();
        let names: Vec<String> = nodes
            .iter()
            .map(|&n| resource_name(&graph[n].id, &mut used))
            .collect();
        Self {
            model,
            nodes,
            names,
            used,
        }
    }

    /// The resource name of node `n`.
    pub(crate) fn name_of(&self, n: NodeIndex) -> String {
        self.nodes
            .iter()
            .position(|&m| m == n)
            .map_or_else(String::new, |i| self.names[i].clone())
    }

    /// A new resource name for `id`, unique in the file.
    pub(crate) fn new_name(&mut self, id: &str) -> String {
        resource_name(id, &mut self.used)
    }

    /// A comment per outgoing edge of node `n`, which has no resource of
    /// its own: where it sends, over what latency, with which permission.
    pub(crate) fn sends_to(&self, out: &mut String, n: NodeIndex) {
        let graph = &self.model.graph;
        for e in graph.edges_directed(n, Direction::Outgoing) {
            let _ = writeln!(
                out,
                "# It sends to '{}'{}{}.",
                one_line(&graph[e.target()].id),
                latency_note(e.weight().latency),
                send_permission(&graph[e.target()].kind)
            );
        }
    }

    /// The comment for node `n`, a `kind` outside the AWS resources
    /// (`what` says why), with its simulated parameters.
    pub(crate) fn outside(&self, out: &mut String, n: NodeIndex, kind: &str, what: &str) {
        let node = &self.model.graph[n];
        let params = node.kind.summary();
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

    /// The comments for node `n`, a `kind` with no AWS mapping (`what`
    /// says what it would be): its parameters and where it sends.
    pub(crate) fn no_mapping(&self, out: &mut String, n: NodeIndex, kind: &str, what: &str) {
        let node = &self.model.graph[n];
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
        self.sends_to(out, n);
    }
}

/// `visibility_timeout_seconds`, rounded up to whole seconds (and said so).
pub(crate) fn visibility(out: &mut String, d: Duration) {
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

pub(crate) fn latency_note(latency: Option<Duration>) -> String {
    latency
        .map(|l| format!(" (not mapped: link latency {l})"))
        .unwrap_or_default()
}

/// What a sender needs to be allowed to send to a node of `kind`.
pub(crate) fn send_permission(kind: &NodeKind) -> &'static str {
    fn of<P: KindExport>(_: &P) -> &'static str {
        P::TERRAFORM_SEND
    }
    with_params!(kind, p => of(p))
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
pub(crate) fn string(text: &str) -> String {
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

pub(crate) fn one_line(text: &str) -> String {
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
    #[test]
    fn alert_rules_become_cloudwatch_alarms_or_say_why_not() {
        let (model, _) = crate::model::file::from_str(
            r#"(
            version: 1,
            name: "alarms",
            nodes: [
                (id: "orders", kind: Producer(arrival: Poisson(rate: 5.0))),
                (id: "order-queue", kind: Queue()),
                (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
                (id: "dlq", kind: DeadLetter()),
            ],
            edges: [(from: "orders", to: "order-queue"), (from: "order-queue", to: "worker"), (from: "worker", to: "dlq")],
            alerts: [
                (name: "Backlog", on: "order-queue", when: Depth(above: 500.0), for: "90s", severity: "page"),
                (name: "Slow", on: "worker", when: P99Latency(above: "250ms")),
                (name: "Stalled", on: "worker", when: Throughput(below: 2.0)),
                (name: "Poison", on: "dlq", when: DeadLetterRate(above: 0.5)),
                (name: "Inbox", on: "worker", when: Depth(above: 5.0)),
            ],
        )"#,
        )
        .expect("loads");
        let tf = to_terraform(&model);
        for line in [
            "resource \"aws_cloudwatch_metric_alarm\" \"alert_Backlog\" {",
            "  evaluation_periods  = 2 # simulated: for 1m30s, in periods of 60 s",
            "  metric_name         = \"ApproximateNumberOfMessagesVisible\"",
            "    QueueName = aws_sqs_queue.order_queue.name",
            "  extended_statistic  = \"p99\"",
            "  threshold           = 250 # simulated: p99 latency 250ms, in milliseconds",
            "    FunctionName = aws_lambda_function.worker.function_name",
            "  threshold           = 120 # simulated: throughput 2/s, per 60 s period",
            "  treat_missing_data  = \"breaching\"",
            "    expression  = \"RATE(m1)\"",
            "        QueueName = aws_sqs_queue.dlq.name",
            "# Not mapped: alert 'Inbox' (depth > 5 on 'worker'): a consumer's depth has no CloudWatch metric in this export.",
        ] {
            assert!(tf.lines().any(|l| l == line), "missing {line:?} in\n{tf}");
        }
    }
}
