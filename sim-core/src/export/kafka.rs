//! Kafka topic definitions: a POSIX shell script of `kafka-topics.sh
//! --create` lines, one per log of the model.
//!
//! | Weir | Kafka |
//! | --- | --- |
//! | log | a topic: `--partitions` (simulated), `--config retention.ms` (simulated, rounded up to whole milliseconds), `cleanup.policy=delete` (the simulation's retention by time) |
//! | log's `durability` | `--replication-factor` and `--config min.insync.replicas` (simulated); the producers' `acks` as a comment (a client setting) |
//! | consumer reading a log | a consumer group of the same name: consumers create it when they join, so it is a comment |
//! | every other node | a comment: it has no Kafka topic |
//!
//! A log without `durability` does not simulate its replication factor:
//! the script uses `$REPLICATION_FACTOR`, default 3 (a common production
//! choice; a one-broker development cluster needs 1), and says so. The partitioner
//! and the rebalance pause are client and broker settings, listed as
//! `# Not mapped:` comments. Topic names are the log ids, with characters
//! Kafka does not allow replaced by `_` (noted where it happens).

use std::fmt::Write as _;

use super::KindExport;
use crate::model::Model;
use crate::nodes::with_params;

/// The default replication factor the script states.
pub const DEFAULT_REPLICATION_FACTOR: u32 = 3;

/// The model's logs as a shell script that creates their topics.
pub fn to_kafka(model: &Model) -> String {
    let graph = &model.graph;
    let mut out = String::new();
    out.push_str("#!/bin/sh\n");
    let _ = writeln!(
        out,
        "# Kafka topic definitions for the Weir model {}.",
        one_line(&model.name)
    );
    out.push_str(
        "# From the simulation: each log's partitions and retention (retention.ms, rounded up\n\
         # to whole milliseconds), and cleanup.policy=delete (retention by time).\n",
    );
    let _ = writeln!(
        out,
        "# Not from the simulation: the replication factor of a log without durability,\n\
         # ${{REPLICATION_FACTOR:-{DEFAULT_REPLICATION_FACTOR}}} (a common production choice; use 1 on a one-broker\n\
         # development cluster), and the cluster, ${{BOOTSTRAP_SERVER:-localhost:9092}}."
    );
    out.push_str("set -eu\n");
    out.push_str("BOOTSTRAP_SERVER=\"${BOOTSTRAP_SERVER:-localhost:9092}\"\n");
    let _ = writeln!(
        out,
        "REPLICATION_FACTOR=\"${{REPLICATION_FACTOR:-{DEFAULT_REPLICATION_FACTOR}}}\""
    );
    let mut others = Vec::new();
    for n in graph.node_indices() {
        if !with_params!(&graph[n].kind, p => p.kafka_topic(&mut out, model, n)) {
            others.push(format!(
                "'{}' ({})",
                one_line(&graph[n].id),
                graph[n].kind.kind().label()
            ));
        }
    }
    if others.len() == graph.node_count() {
        out.push_str("\n# The model has no logs, so there are no Kafka topics to create.\n");
    }
    if !others.is_empty() {
        out.push('\n');
        let _ = writeln!(
            out,
            "# No Kafka topic for the other nodes: {}.",
            others.join(", ")
        );
    }
    out
}

/// A legal Kafka topic name for `id`.
pub(crate) fn topic_name(id: &str) -> String {
    let name: String = id
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .take(249)
        .collect();
    match name.as_str() {
        "" => "_".to_owned(),
        "." | ".." => name.replace('.', "_"),
        _ => name,
    }
}

/// Single-quoted for a POSIX shell.
pub(crate) fn shell_quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', "'\\''"))
}

/// Text on one line (for comments).
pub(crate) fn one_line(text: &str) -> String {
    text.replace(['\n', '\r'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;

    #[test]
    fn a_log_becomes_a_topic_with_its_simulated_parameters() {
        let (model, _) = from_str(
            r#"(
                version: 1,
                name: "k",
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 1.0))),
                    (id: "click stream", kind: Log(partitions: 6, retention: "1h", partitioner: RoundRobin)),
                    (id: "c", kind: Consumer(service: Exponential(mean: "10ms"))),
                ],
                edges: [(from: "p", to: "click stream"), (from: "click stream", to: "c")],
            )"#,
        )
        .expect("loads");
        let text = to_kafka(&model);
        assert!(
            text.contains("--topic 'click_stream' --partitions 6"),
            "{text}"
        );
        assert!(text.contains("retention.ms=3600000"), "{text}");
        assert!(text.contains("RoundRobinPartitioner"), "{text}");
        assert!(text.contains("Consumer group 'c'"), "{text}");
        assert!(text.contains("named 'click_stream'"), "{text}");
        assert!(text.contains("REPLICATION_FACTOR:-3"), "{text}");
        assert!(text.contains("'p' (producer)"), "{text}");
    }

    #[test]
    fn a_durable_log_states_its_own_replication() {
        let (model, _) = from_str(
            r#"(
                version: 1,
                name: "durable",
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 5.0))),
                    (id: "orders", kind: Log(partitions: 3, durability: (replicas: 5, min_in_sync: 3, acks: Leader))),
                    (id: "c", kind: Consumer(service: Exponential(mean: "10ms"))),
                ],
                edges: [(from: "p", to: "orders"), (from: "orders", to: "c")],
            )"#,
        )
        .expect("loads");
        let text = to_kafka(&model);
        assert!(
            text.contains("--partitions 3 --replication-factor 5"),
            "{text}"
        );
        assert!(text.contains("--config min.insync.replicas=3"), "{text}");
        assert!(text.contains("acks=1"), "{text}");
    }

    #[test]
    fn names_and_quotes_are_safe() {
        assert_eq!(topic_name("a.b-c_d"), "a.b-c_d");
        assert_eq!(topic_name(".."), "__");
        assert_eq!(topic_name(""), "_");
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
