//! Prometheus alerting rules: the model's `alerts` as a rules file that
//! `promtool check rules` accepts.
//!
//! One group per model, evaluated at the model's evaluation interval (the
//! series interval: the scenario's duration / 256, at least 1 ms, written
//! in whole milliseconds). Each rule keeps its name, `for:`, a `severity`
//! and a `node` label, and a `summary` and a `description` annotation.
//!
//! The expressions use the metric names the usual exporters publish where
//! one exists, and Weir's own `weir_node_*` names (as an instrumented
//! service would publish them, with a `node` label) elsewhere:
//!
//! | condition | node | expression |
//! | --- | --- | --- |
//! | `Depth` | queue, dead-letter queue | `aws_sqs_approximate_number_of_messages_visible_average{queue_name="…"}` (the `CloudWatch` exporter) |
//! | `Depth` | any other | `weir_node_depth{node="…"}` |
//! | `Lag` | log | the largest group's lag summed over partitions, from `kafka_consumergroup_lag{topic="…"}` (`kafka_exporter`) |
//! | `DeadLetterRate` | dead-letter queue | `deriv()` of the SQS depth above |
//! | `P99Latency` | any | `histogram_quantile(0.99, …weir_node_latency_seconds_bucket…)` |
//! | `ErrorRate` | any | `rate(weir_node_messages_dropped_total)` ÷ `rate(weir_node_messages_in_total)` |
//! | `Throughput` | any | `rate(weir_node_messages_out_total)` |
//!
//! Rates are taken over a range of the evaluation interval, at least one
//! minute (four scrapes at Prometheus's default 15 s).

use std::fmt::Write as _;

use crate::alerts::{AlertRule, Condition};
use crate::model::Model;
use crate::nodes::Kind;
use crate::time::{Duration, NANOS_PER_SEC};

/// The model's alerting rules as a Prometheus rules file (YAML).
pub fn to_rules(model: &Model) -> String {
    let interval = evaluation_interval(model);
    let range = prom_duration(Duration(interval.0.max(60 * NANOS_PER_SEC)));
    let mut out = String::new();
    let _ = writeln!(
        out,
        "# {} — alerting rules exported by Weir.",
        one_line(&model.name)
    );
    out.push_str("# Metric names: see Weir's docs/export.md (\"Prometheus rules\").\n");
    if model.alerts.is_empty() {
        out.push_str("# The model has no alerting rules.\ngroups: []\n");
        return out;
    }
    out.push_str("groups:\n");
    let _ = writeln!(
        out,
        "  - name: {}",
        quoted(&format!("weir: {}", model.name))
    );
    let _ = writeln!(
        out,
        "    interval: {} # the model's evaluation interval ({interval})",
        prom_duration(interval)
    );
    out.push_str("    rules:\n");
    for rule in &model.alerts {
        let kind = model.find(&rule.on).map(|n| model.graph[n].kind.kind());
        let _ = writeln!(out, "      - alert: {}", quoted(&rule.name));
        let _ = writeln!(
            out,
            "        expr: {}",
            quoted(&expression(rule, kind, &range))
        );
        if !rule.hold.is_zero() {
            let _ = writeln!(out, "        for: {}", prom_duration(rule.hold));
        }
        out.push_str("        labels:\n");
        let _ = writeln!(out, "          severity: {}", quoted(&rule.severity));
        let _ = writeln!(out, "          node: {}", quoted(&rule.on));
        out.push_str("        annotations:\n");
        let summary = rule.summary.clone().unwrap_or_else(|| {
            format!(
                "{} of '{}' {}",
                rule.when.describe(),
                rule.on,
                if rule.hold.is_zero() {
                    String::new()
                } else {
                    format!("for {}", rule.hold)
                }
            )
            .trim_end()
            .to_owned()
        });
        let _ = writeln!(out, "          summary: {}", quoted(&summary));
        let _ = writeln!(
            out,
            "          description: {}",
            quoted(&format!(
                "Weir model '{}': {} at '{}' held for {} (evaluated every {interval}).",
                model.name,
                rule.when.describe(),
                rule.on,
                rule.hold
            ))
        );
    }
    out
}

/// The evaluation interval a run of `model` uses: the series interval.
pub fn evaluation_interval(model: &Model) -> Duration {
    let capacity = crate::series::DEFAULT_CAPACITY as u64;
    Duration((model.scenario.duration.0 / (capacity / 2)).max(1_000_000))
}

/// The `PromQL` expression of `rule` on a node of `kind`.
fn expression(rule: &AlertRule, kind: Option<Kind>, range: &str) -> String {
    let id = label_value(&rule.on);
    let sqs = matches!(kind, Some(Kind::Queue | Kind::DeadLetter));
    let sqs_depth =
        format!("aws_sqs_approximate_number_of_messages_visible_average{{queue_name=\"{id}\"}}");
    let rate = |metric: &str| format!("sum(rate({metric}{{node=\"{id}\"}}[{range}]))");
    let threshold = number(rule.when.threshold());
    match rule.when {
        Condition::Depth { .. } if sqs => format!("{sqs_depth} > {threshold}"),
        Condition::Depth { .. } => format!("weir_node_depth{{node=\"{id}\"}} > {threshold}"),
        Condition::Lag { .. } => format!(
            "max(sum by (consumergroup) (kafka_consumergroup_lag{{topic=\"{id}\"}})) > {threshold}"
        ),
        Condition::DeadLetterRate { .. } => {
            format!("deriv({sqs_depth}[{range}]) > {threshold}")
        }
        Condition::P99Latency { .. } => format!(
            "histogram_quantile(0.99, sum by (le) (rate(weir_node_latency_seconds_bucket{{node=\"{id}\"}}[{range}]))) > {threshold}"
        ),
        Condition::ErrorRate { .. } => format!(
            "{} / {} > {threshold}",
            rate("weir_node_messages_dropped_total"),
            rate("weir_node_messages_in_total")
        ),
        Condition::Throughput { .. } => {
            format!("{} < {threshold}", rate("weir_node_messages_out_total"))
        }
    }
}

/// A Prometheus duration (`1m30s`, `1s875ms`): whole milliseconds, rounded
/// up, at least `1ms`.
pub(crate) fn prom_duration(d: Duration) -> String {
    let mut ms = d.0.div_ceil(1_000_000).max(1);
    let mut out = String::new();
    for (unit, size) in [("h", 3_600_000), ("m", 60_000), ("s", 1_000), ("ms", 1)] {
        if ms >= size {
            let _ = write!(out, "{}{unit}", ms / size);
            ms %= size;
        }
    }
    out
}

/// A number as `PromQL` writes it.
fn number(v: f64) -> String {
    if v.fract() == 0.0 && v.abs() < 1e15 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

/// A `PromQL` label value inside double quotes.
fn label_value(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// A YAML double-quoted scalar.
fn quoted(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('"');
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if c.is_control() => {
                let _ = write!(out, "\\u{:04x}", u32::from(c));
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
    fn durations_are_whole_milliseconds_in_prometheus_units() {
        assert_eq!(prom_duration(Duration::from_secs(90)), "1m30s");
        assert_eq!(prom_duration(Duration::from_millis(1_875)), "1s875ms");
        assert_eq!(prom_duration(Duration::from_secs(3_600)), "1h");
        assert_eq!(prom_duration(Duration(1)), "1ms", "rounded up");
        assert_eq!(prom_duration(Duration::ZERO), "1ms");
    }

    #[test]
    fn yaml_and_label_values_are_escaped() {
        assert_eq!(quoted("a \"b\"\n"), r#""a \"b\"\n""#);
        assert_eq!(label_value(r#"q"1"#), r#"q\"1"#);
    }

    #[test]
    fn expressions_use_the_exporters_names() {
        let rule = |on: &str, when: Condition| AlertRule {
            name: "A".into(),
            on: on.into(),
            when,
            hold: Duration::from_secs(30),
            severity: "page".into(),
            summary: None,
        };
        let depth = Condition::Depth { above: 500.0 };
        assert_eq!(
            expression(&rule("inbox", depth), Some(Kind::Queue), "1m"),
            "aws_sqs_approximate_number_of_messages_visible_average{queue_name=\"inbox\"} > 500"
        );
        assert_eq!(
            expression(&rule("w", depth), Some(Kind::Consumer), "1m"),
            "weir_node_depth{node=\"w\"} > 500"
        );
        let p99 = Condition::P99Latency {
            above: Duration::from_millis(250),
        };
        assert!(
            expression(&rule("w", p99), Some(Kind::Consumer), "1m")
                .ends_with("weir_node_latency_seconds_bucket{node=\"w\"}[1m]))) > 0.25")
        );
        assert!(
            expression(
                &rule("log", Condition::Lag { above: 1e3 }),
                Some(Kind::Log),
                "1m"
            )
            .contains("kafka_consumergroup_lag{topic=\"log\"}")
        );
    }
}
