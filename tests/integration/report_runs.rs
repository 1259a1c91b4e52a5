//! Runs made for a report (`weir run`, sweeps, plans) leave the latency
//! percentile lines out of their series and skip the histograms behind
//! them. Nothing else may change: the same numbers in every run of the
//! gallery, the same other lines, and the latency lines an alert rule
//! reads are kept.

use sim_core::series::{Metric, Series, SystemMetric};
use sim_core::{Model, RunResult};

use crate::cli::workspace;

fn gallery() -> Vec<(String, Model)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(workspace().join("examples")).expect("examples/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        found.push((path.display().to_string(), weir_tests::model(&text)));
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(found.len() >= 10, "the gallery: {found:?}");
    found
}

/// Every line `lean` has is `charted`'s line, point for point; the lines
/// `lean` lacks are exactly the latency lines it left out.
fn same_lines_but_latency(name: &str, lean: &Series, charted: &Series, kept: bool) {
    assert_eq!(lean.times_ns(), charted.times_ns(), "{name}: the points");
    for (l, c) in lean.nodes().iter().zip(charted.nodes()) {
        for metric in c.metrics() {
            let want = c.values(metric);
            let got = l.values(metric);
            if metric.is_latency() && !kept {
                assert_eq!(got, None, "{name}: {}.{} is left out", c.id, metric.key());
            } else {
                assert_eq!(got, want, "{name}: {}.{}", c.id, metric.key());
            }
        }
        assert_eq!(
            l.metrics().count(),
            c.metrics().filter(|m| kept || !m.is_latency()).count(),
            "{name}: {} has no line of its own",
            c.id
        );
    }
    assert_eq!(lean.edges(), charted.edges(), "{name}: the edges' lines");
    for metric in SystemMetric::ALL {
        if metric.is_latency() && !kept {
            assert!(
                lean.system().values(metric).is_empty(),
                "{name}: system {metric:?}"
            );
            assert_eq!(
                charted.system().values(metric).len(),
                charted.len(),
                "{name}: the charted run keeps system {metric:?}"
            );
        } else {
            assert_eq!(
                lean.system().values(metric),
                charted.system().values(metric),
                "{name}: system {metric:?}"
            );
        }
    }
}

fn same_numbers(name: &str, lean: &RunResult, charted: &RunResult) {
    assert_eq!(lean.nodes, charted.nodes, "{name}: the nodes' numbers");
    assert_eq!(lean.conservation, charted.conservation, "{name}");
    assert_eq!(lean.events, charted.events, "{name}: the events run");
    assert_eq!(lean.slos, charted.slos, "{name}: the objectives");
    assert_eq!(lean.alerts, charted.alerts, "{name}: the alerts");
}

#[test]
fn a_run_for_a_report_has_the_charted_runs_numbers_and_lines() {
    let mut latency_lines = 0;
    for (name, model) in gallery() {
        let seed = model.scenario.seed;
        let charted = sim_core::run_once(&model, seed).expect("runs");
        let lean = sim_core::run_for_report(&model, seed).expect("runs");
        same_numbers(&name, &lean, &charted);
        let kept = lean.series.keeps_latency();
        assert!(charted.series.keeps_latency(), "{name}");
        assert_eq!(
            kept,
            model
                .alerts
                .iter()
                .any(|r| r.when.metrics().iter().any(|m| m.is_latency())),
            "{name}: the latency lines are kept only for an alert rule"
        );
        same_lines_but_latency(&name, &lean.series, &charted.series, kept);
        latency_lines += charted
            .series
            .nodes()
            .iter()
            .flat_map(sim_core::series::NodeSeries::metrics)
            .filter(|m| matches!(m, Metric::LatencyP99 | Metric::StalenessP99))
            .count();
    }
    assert!(
        latency_lines >= 10,
        "the gallery charts latencies: {latency_lines}"
    );
}

#[test]
fn an_alert_rule_on_latency_keeps_the_latency_lines_it_reads() {
    let text = r#"(
        version: 1,
        name: "slow",
        scenario: (duration: "2m", seed: 3),
        nodes: [
            (id: "orders", kind: Producer(arrival: Poisson(rate: 40.0))),
            (id: "inbox", kind: Queue()),
            (id: "worker", kind: Consumer(service: Exponential(mean: "20ms"))),
        ],
        edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
        alerts: [
            (name: "Slow", on: "worker", when: P99Latency(above: "50ms"), for: "10s"),
        ],
    )"#;
    let model = weir_tests::model(text);
    let charted = sim_core::run_once(&model, 3).expect("runs");
    let lean = sim_core::run_for_report(&model, 3).expect("runs");
    assert!(lean.series.keeps_latency());
    same_numbers("slow", &lean, &charted);
    same_lines_but_latency("slow", &lean.series, &charted.series, true);
    let p99 = lean
        .series
        .node("worker")
        .and_then(|n| n.values(Metric::LatencyP99));
    assert!(p99.is_some_and(|v| v.iter().any(|x| x > 0.0)), "{p99:?}");

    let mut without = model.clone();
    without.alerts.clear();
    let lean = sim_core::run_for_report(&without, 3).expect("runs");
    assert!(!lean.series.keeps_latency());
    assert_eq!(
        lean.series
            .node("worker")
            .and_then(|n| n.values(Metric::LatencyP99)),
        None
    );
}
