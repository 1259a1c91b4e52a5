//! Helpers shared by Weir's workspace integration tests.

use sim_core::model::file;
use sim_core::report::{Metric, NodeReport};
use sim_core::rng::replication_seed;
use sim_core::stats::{half_width, mean_sd};
use sim_core::{Model, Report, RunResult, run_once};

/// Every example in the gallery's folder: its path and its text, sorted
/// by path.
pub fn examples() -> Vec<(std::path::PathBuf, String)> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples");
    let mut found: Vec<_> = std::fs::read_dir(&dir)
        .expect("the examples folder")
        .map(|entry| entry.expect("a readable entry").path())
        .filter(|path| path.extension().is_some_and(|e| e == "ron"))
        .map(|path| {
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
            (path, text)
        })
        .collect();
    found.sort();
    found
}

/// Parses a model that must load and validate without errors.
pub fn model(text: &str) -> Model {
    let (model, diagnostics) =
        file::from_str(text).unwrap_or_else(|e| panic!("model does not load: {e}\n{text}"));
    let mut all = diagnostics;
    all.extend(sim_core::validate::validate(&model));
    let errors: Vec<String> = all
        .iter()
        .filter(|d| d.is_error())
        .map(ToString::to_string)
        .collect();
    assert!(errors.is_empty(), "model has errors: {errors:#?}");
    model
}

/// A report over replications, and the replications it was made from
/// (the report itself keeps no run).
#[derive(Debug)]
pub struct Replicated {
    pub report: Report,
    /// In replication order.
    pub runs: Vec<RunResult>,
}

impl std::ops::Deref for Replicated {
    type Target = Report;
    fn deref(&self) -> &Report {
        &self.report
    }
}

/// Runs the scenario's replications, two at a time (results are combined
/// in replication order, so threads do not change them).
pub fn replicate(model: &Model) -> Replicated {
    let reps = model.scenario.replications.max(1);
    let seed = model.scenario.seed;
    let mut runs: Vec<Option<RunResult>> = (0..reps).map(|_| None).collect();
    std::thread::scope(|scope| {
        let handles: Vec<_> = (0..2u32)
            .map(|t| {
                scope.spawn(move || {
                    (0..reps)
                        .filter(|i| i % 2 == t)
                        .map(|i| (i, run_once(model, replication_seed(seed, i)).expect("runs")))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        for handle in handles {
            for (i, run) in handle.join().expect("replication thread") {
                runs[i as usize] = Some(run);
            }
        }
    });
    let runs: Vec<RunResult> = runs.into_iter().flatten().collect();
    Replicated {
        report: Report::from_runs(seed, runs.iter().cloned(), 0.0),
        runs,
    }
}

/// The confidence level of theory checks.
pub const CONFIDENCE: f64 = 0.999;

/// A quantity measured over replications, checked against theory.
#[derive(Debug)]
pub struct Estimate {
    pub name: String,
    pub samples: Vec<f64>,
}

impl Estimate {
    pub fn new(name: impl Into<String>, samples: Vec<f64>) -> Self {
        Self {
            name: name.into(),
            samples,
        }
    }

    /// A node metric's per-replication values; panics as [`metric`] does
    /// when the node or the metric is missing, and unless the report's
    /// mean (and, up to 32 replications, its confidence interval) is
    /// exactly the one of these values.
    pub fn metric(replicated: &Replicated, node: &str, path: &str) -> Self {
        let combined = node_metric(&replicated.report, node, path);
        let samples: Vec<f64> = replicated
            .runs
            .iter()
            .filter_map(|run| run.node(node)?.replication_value(path))
            .collect();
        let (mean, _) = mean_sd(&samples);
        assert_eq!(
            combined.mean.to_bits(),
            mean.to_bits(),
            "{node}.{path}: the report's mean {} is not the mean {mean} of the replications' {samples:?}",
            combined.mean
        );
        if samples.len() <= 32 {
            assert_eq!(
                combined.ci95.map(f64::to_bits),
                half_width(&samples, 0.95).map(f64::to_bits),
                "{node}.{path}: the report's ci95 is not that of the replications' {samples:?}"
            );
        }
        Self::new(format!("{node}.{path}"), samples)
    }

    /// Per-replication values combined from several metrics.
    pub fn combine(name: &str, parts: &[&Self], f: impl Fn(&[f64]) -> f64) -> Self {
        let n = parts[0].samples.len();
        let samples = (0..n)
            .map(|i| f(&parts.iter().map(|p| p.samples[i]).collect::<Vec<_>>()))
            .collect();
        Self::new(name, samples)
    }

    /// Asserts that the 99.9% confidence interval of the mean contains
    /// `expected`, and that its half-width is at most `max_rel` of
    /// `expected` — narrow enough that a wrong engine cannot pass.
    ///
    /// The suite makes a few dozen such checks; at 99.9% each, a correct
    /// engine fails one of them by chance far less than once in twenty
    /// seed choices, while the width bound keeps every check sharp.
    pub fn assert_contains(&self, expected: f64, max_rel: f64) {
        let (mean, _) = mean_sd(&self.samples);
        let hw = half_width(&self.samples, CONFIDENCE).expect("two or more replications");
        assert!(
            hw <= max_rel * expected.abs(),
            "{}: the {}% interval {mean:.6} ± {hw:.6} is wider than {:.1}% of the expected {expected:.6}; \
             the test needs more samples to mean anything",
            self.name,
            CONFIDENCE * 100.0,
            max_rel * 100.0
        );
        assert!(
            (mean - expected).abs() <= hw,
            "{}: theory says {expected:.6}, the simulation's {}% interval is {mean:.6} ± {hw:.6} \
             (off by {:.2}%)",
            self.name,
            CONFIDENCE * 100.0,
            (mean / expected - 1.0) * 100.0
        );
    }
}

/// A node of the report; panics, naming the nodes there are, when it has
/// none called `id`.
pub fn node_report<'r>(report: &'r Report, id: &str) -> &'r NodeReport {
    report.node(id).unwrap_or_else(|| {
        let ids: Vec<&str> = report.nodes.iter().map(|n| n.id.as_str()).collect();
        panic!("no node '{id}' in the report; its nodes are {ids:?}")
    })
}

/// A node's metric over replications. A missing node or path panics,
/// naming the path and the ones that exist: a renamed metric must fail a
/// test, never read as 0.
pub fn node_metric<'r>(report: &'r Report, node: &str, path: &str) -> &'r Metric {
    let n = node_report(report, node);
    n.get(path).unwrap_or_else(|| {
        let paths: Vec<&str> = n.metrics.iter().map(|m| m.path.as_str()).collect();
        panic!("node '{node}' has no metric '{path}'; it has {paths:?}")
    })
}

/// A node's metric: its mean over replications. Panics as [`node_metric`]
/// does when the node or the path is missing.
pub fn metric(report: &Report, node: &str, path: &str) -> f64 {
    node_metric(report, node, path).mean
}

/// A node's metric in one run. Panics, naming the path and the ones that
/// exist, when the node or the path is missing.
pub fn run_metric(run: &RunResult, node: &str, path: &str) -> f64 {
    let Some(n) = run.node(node) else {
        let ids: Vec<&str> = run.nodes.iter().map(|n| n.id.as_str()).collect();
        panic!(
            "no node '{node}' in the run of seed {}; its nodes are {ids:?}",
            run.seed
        );
    };
    n.get(path).unwrap_or_else(|| {
        let paths: Vec<&str> = n.metrics.iter().map(|(p, _)| p.as_str()).collect();
        panic!(
            "node '{node}' has no metric '{path}' in the run of seed {}; it has {paths:?}",
            run.seed
        )
    })
}

/// A metric the report leaves out when nothing happened (a drop reason
/// that never occurred, a latency never measured): its mean, or 0 when it
/// is absent. The node must exist. For tests that mean "absent or zero";
/// everything else reads through [`metric`].
pub fn metric_or_zero(report: &Report, node: &str, path: &str) -> f64 {
    node_report(report, node).value(path).unwrap_or(0.0)
}

/// A big model for the GUI and live tests: `chains` producer → queue →
/// consumer → topic → sink chains, each with its own load, laid out in a
/// grid: 5 × `chains` nodes.
pub fn big_model(chains: usize) -> Model {
    use std::fmt::Write as _;
    let mut nodes = String::new();
    let mut edges = String::new();
    for c in 0..chains {
        #[expect(clippy::cast_precision_loss, reason = "small grid coordinates")]
        let (x, y) = (((c % 4) * 5) as f32 * 220.0, (c / 4) as f32 * 100.0);
        let rate = 50 + 10 * (c % 7);
        let _ = write!(
            nodes,
            r#"
            (id: "p{c}", kind: Producer(arrival: Poisson(rate: {rate}.0), events: [(name: "a", weight: 2.0), (name: "b", weight: 1.0)]), pos: ({x}, {y})),
            (id: "q{c}", kind: Queue(capacity: 200), pos: ({}, {y})),
            (id: "c{c}", kind: Consumer(instances: 2, service: Exponential(mean: "12ms"), failure: 0.05, retry: Fixed(delay: "100ms", max_attempts: 3)), pos: ({}, {y})),
            (id: "r{c}", kind: Topic(), pos: ({}, {y})),
            (id: "s{c}", kind: Sink(latency: Constant("5ms")), pos: ({}, {y})),"#,
            x + 220.0,
            x + 440.0,
            x + 660.0,
            x + 880.0,
        );
        let _ = write!(
            edges,
            r#"(from: "p{c}", to: "q{c}"), (from: "q{c}", to: "c{c}"), (from: "c{c}", to: "r{c}"), (from: "r{c}", to: "s{c}", latency: "20ms"),"#
        );
    }
    let text = format!(
        r#"(version: 1, name: "big", scenario: (duration: "1h", seed: 5), nodes: [{nodes}], edges: [{edges}])"#
    );
    model(&text)
}
