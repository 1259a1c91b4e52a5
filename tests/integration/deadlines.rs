//! Message deadlines: a consumer discards what it receives too late, or
//! processes it anyway and counts it as late work; every message is still
//! accounted for; a time to live that would expire everything at once is
//! refused.

use sim_core::validate::validate;
use weir_tests::{model, run_metric};

fn overloaded(on_expired: &str, ttl: &str) -> String {
    format!(
        r#"(
            version: 1,
            name: "late",
            scenario: (duration: "300s", warmup: "10s", seed: 4),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 30.0), ttl: {ttl})),
                (id: "q", kind: Queue()),
                (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "100ms"), on_expired: {on_expired})),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
        )"#
    )
}

#[test]
fn discarded_messages_expire_and_processed_ones_are_late() {
    let ttl = r#"Constant("1s")"#;
    let discard = sim_core::run_once(&model(&overloaded("Discard", ttl)), 4).expect("runs");
    let process = sim_core::run_once(&model(&overloaded("Process", ttl)), 4).expect("runs");
    for run in [&discard, &process] {
        let c = run.conservation;
        assert!(c.balanced(), "every message accounted for: {c:?}");
    }
    // 30/s against 20/s of capacity: without discarding, the queue grows
    // and nearly everything is late.
    let expired = run_metric(&discard, "srv", "expired");
    assert!(expired > 1000.0, "{expired}");
    assert_eq!(run_metric(&discard, "srv", "late"), 0.0);
    assert!(
        discard.conservation.expired >= 1000,
        "{:?}",
        discard.conservation
    );
    assert_eq!(run_metric(&process, "srv", "expired"), 0.0);
    assert!(run_metric(&process, "srv", "late") > 1000.0);
    assert_eq!(process.conservation.expired, 0);
    // Discarding keeps the work fresh: far more finishes in time.
    let goodput = |run| run_metric(run, "out", "goodput_per_s");
    assert!(
        goodput(&discard) > 5.0 * goodput(&process).max(0.1),
        "goodput {} discarding against {} processing everything",
        goodput(&discard),
        goodput(&process)
    );
    assert!(goodput(&discard) <= run_metric(&discard, "out", "throughput_per_s"));
}

#[test]
fn a_model_without_deadlines_reports_none_of_their_numbers() {
    let text = overloaded("Discard", r#"Constant("1s")"#).replace(r#", ttl: Constant("1s")"#, "");
    let run = sim_core::run_once(&model(&text), 4).expect("runs");
    for (node, path) in [
        ("srv", "expired"),
        ("srv", "late"),
        ("out", "goodput_per_s"),
    ] {
        assert!(
            run.node(node).and_then(|n| n.get(path)).is_none(),
            "{node}.{path} only with deadlines"
        );
    }
}

#[test]
fn a_time_to_live_of_zero_is_refused_with_its_reason() {
    let (m, _) = sim_core::model::file::from_str(&overloaded("Discard", r#"Constant("0s")"#))
        .expect("reads");
    let errors: Vec<String> = validate(&m)
        .into_iter()
        .filter(sim_core::validate::Diagnostic::is_error)
        .map(|d| d.to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("ttl") && e.contains("mean of zero")),
        "{errors:?}"
    );
}
