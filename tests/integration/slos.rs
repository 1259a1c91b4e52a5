//! Service level objectives: their values against queueing theory and
//! exact timelines, the verdicts over replications, windows, paths, the
//! file format and `weir run --check-slos`.

use sim_core::Report;
use sim_core::model::file;
use sim_core::slo::Verdict;
use weir_tests::{Estimate, Replicated, model, replicate};

/// The report of `model`'s replications with its objectives judged.
fn judged(replicated: &Replicated, model: &sim_core::Model) -> Report {
    replicated.report.clone().with_slos(&model.slos)
}

/// Objective `i`'s value in each replication.
fn values(replicated: &Replicated, i: usize, name: &str) -> Estimate {
    Estimate::new(
        name,
        replicated
            .runs
            .iter()
            .map(|r| r.slos[i].value.expect("measured"))
            .collect(),
    )
}

/// M/M/1 at λ = 50/s, μ = 100/s: the time in system is exponential with
/// rate μ − λ, so its 99th percentile is ln(100) / 50 ≈ 92.1 ms.
fn mm1(objectives: &str, replications: u32) -> sim_core::Model {
    model(&format!(
        r#"(
        version: 1,
        name: "mm1 objectives",
        scenario: (duration: "320s", warmup: "20s", seed: 7, replications: {replications}),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
            (id: "q", kind: Queue()),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
        slos: [{objectives}],
    )"#
    ))
}

#[test]
fn p99_just_above_and_just_below_theory_are_met_and_violated() {
    let p99 = 100.0_f64.ln() / 50.0;
    let model = mm1(
        r#"
        (name: "above", on: Node("srv"), objective: Latency(percentile: 99.0, max: "100ms")),
        (name: "below", on: Node("srv"), objective: Latency(percentile: 99.0, max: "85ms")),
        (name: "path", on: Path(from: "src", to: "srv"), objective: Latency(percentile: 99.0, max: "100ms")),
        (name: "system", on: System, objective: Latency(percentile: 99.0, max: "100ms")),
        "#,
        60,
    );
    let replicated = replicate(&model);
    let report = judged(&replicated, &model);
    // The measure agrees with theory, whichever way it is taken.
    for i in [0, 2, 3] {
        values(&replicated, i, &format!("p99 of objective {i}")).assert_contains(p99, 0.05);
    }
    assert_eq!(report.slos[0].verdict, Verdict::Met, "{:?}", report.slos[0]);
    assert_eq!(
        report.slos[1].verdict,
        Verdict::Violated,
        "{:?}",
        report.slos[1]
    );
    assert_eq!(report.slos[2].verdict, Verdict::Met);
    assert_eq!(report.slos[3].verdict, Verdict::Met);
    // The node's own p99 is the objective's value, run by run.
    for run in &replicated.runs {
        let node = run.node("srv").expect("srv").get("end_to_end_s.p99");
        assert_eq!(run.slos[0].value, node);
    }
    // Budget: P(T > 100 ms) = e^(−50 × 0.1) of the 1 % allowed.
    let burned = Estimate::new(
        "budget burned",
        replicated
            .runs
            .iter()
            .map(|r| r.slos[0].burned.expect("measured"))
            .collect(),
    );
    burned.assert_contains((-5.0_f64).exp() / 0.01, 0.20);
    let below = report.slos[1].burned.as_ref().expect("budget");
    assert!(
        below.mean > 1.0,
        "a violated bound burns more than its budget: {below:?}"
    );
}

#[test]
fn a_bound_at_the_true_value_is_undecided_and_says_how_many_more_runs() {
    // A bound halfway between the measured p99 and the top of its interval.
    let model = mm1(
        r#"(on: Node("srv"), objective: Latency(percentile: 99.0, max: "92ms"))"#,
        6,
    );
    let replicated = replicate(&model);
    let report = judged(&replicated, &model);
    let value = report.slos[0].value.as_ref().expect("measured");
    let half = value.ci95.expect("six replications");
    let bound = value.mean + half / 2.0;
    let text = format!(
        r#"(on: Node("srv"), objective: Latency(percentile: 99.0, max: "{}us"))"#,
        (bound * 1e6).round()
    );
    let model = mm1(&text, 6);
    let report = judged(&replicate(&model), &model);
    match report.slos[0].verdict {
        // The gap is half the half-width: about four times the
        // replications, so about 3 × 6 more.
        Verdict::Undecided { more: Some(k) } => assert!((15..=21).contains(&k), "{k}"),
        other => panic!("expected undecided, got {other:?}"),
    }
    // One replication has no interval: it is never decided.
    let one = mm1(
        r#"(on: Node("srv"), objective: Latency(percentile: 99.0, max: "10s"))"#,
        1,
    );
    let report = judged(&replicate(&one), &one);
    assert_eq!(report.slos[0].verdict, Verdict::Undecided { more: Some(1) });
}

#[test]
fn loss_matches_the_m_m_1_k_blocking_probability() {
    // λ = 90/s, μ = 100/s, K = 5: P(block) = (1−ρ)ρ^K / (1−ρ^(K+1)).
    let (rho, k) = (0.9_f64, 5);
    let p_block = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    let model = model(
        r#"(
        version: 1,
        name: "mm1k",
        scenario: (duration: "600s", warmup: "10s", seed: 404, replications: 20),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 90.0))),
            (id: "q", kind: Queue(capacity: 5, overflow: DropNewest)),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
        slos: [
            (on: Node("q"), objective: Loss(of: Dropped, max: 0.2)),
            (on: System, objective: Loss(max: 0.1)),
            (on: System, objective: Loss(of: Lost, max: 0.0)),
        ],
    )"#,
    );
    let replicated = replicate(&model);
    values(&replicated, 0, "queue's loss").assert_contains(p_block, 0.03);
    values(&replicated, 1, "system's loss").assert_contains(p_block, 0.03);
    let report = judged(&replicated, &model);
    assert_eq!(report.slos[0].verdict, Verdict::Met);
    assert_eq!(report.slos[1].verdict, Verdict::Violated);
    // Nothing is lost to a failure: a zero bound is met exactly.
    assert_eq!(report.slos[2].verdict, Verdict::Met);
    let burned = report.slos[0].burned.as_ref().expect("budget").mean;
    assert!((burned - p_block / 0.2).abs() < 0.01, "{burned}");
}

/// A deterministic stream at 100/s through a queue to a worker that
/// crashes at 120 s for 30 s; the measured run starts at 60 s.
fn crash(objectives: &str) -> sim_core::Model {
    model(&format!(
        r#"(
        version: 1,
        name: "crash",
        scenario: (duration: "300s", warmup: "60s", seed: 3, replications: 2, faults: [
            (at: "120s", duration: "30s", node: "srv", effect: Crash),
        ]),
        nodes: [
            (id: "src", kind: Producer(arrival: Constant(rate: 100.0))),
            (id: "q", kind: Queue(visibility_timeout: "1s")),
            (id: "srv", kind: Consumer(instances: 2, service: Constant("5ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
        slos: [{objectives}],
    )"#
    ))
}

#[test]
fn availability_and_lag_follow_a_crash_exactly() {
    let model = crash(
        r#"
        (on: Node("srv"), objective: Availability(min: 0.95)),
        (on: Node("srv"), objective: Availability(min: 0.9), window: "60s"),
        (on: Node("q"), objective: Lag(max: 5000)),
        (on: Node("q"), objective: Lag(max: 100), window: "60s"),
        (on: Node("src"), objective: Throughput(min: 99.0), window: "20s"),
        "#,
    );
    let replicated = replicate(&model);
    let report = judged(&replicated, &model);
    for run in &replicated.runs {
        // Down 30 s of the 240 s measured.
        let whole = run.slos[0].value.expect("measured");
        assert!((whole - (1.0 - 30.0 / 240.0)).abs() < 1e-9, "{whole}");
        // Some 60 s window holds the whole outage.
        let worst = run.slos[1].value.expect("measured");
        assert!((worst - 0.5).abs() < 1e-9, "{worst}");
        // While it is down, the queue gathers 100/s for 30 s.
        let lag = run.slos[2].value.expect("measured");
        assert!((2990.0..=3010.0).contains(&lag), "{lag}");
        assert_eq!(run.slos[3].value, run.slos[2].value);
        // Windows of 60 s by steps of 15 s over 240 s: 13 windows; those
        // touching the outage or the backlog's draining miss the bound.
        let (met, windows) = run.slos[3].windows.expect("windowed");
        assert_eq!(windows, 13);
        assert!(met > 0 && met < windows, "{met} of {windows}");
        // The producer never slows: every window sees exactly 100/s.
        assert_eq!(run.slos[4].value, Some(100.0));
        assert_eq!(run.slos[4].windows, Some((45, 45)));
    }
    let verdicts: Vec<Verdict> = report.slos.iter().map(|s| s.verdict).collect();
    assert_eq!(
        verdicts,
        [
            Verdict::Violated,
            Verdict::Violated,
            Verdict::Met,
            Verdict::Violated,
            Verdict::Met
        ]
    );
    // Budget: 12.5 % down where 5 % is allowed.
    let burned = report.slos[0].burned.as_ref().expect("budget").mean;
    assert!((burned - 0.125 / 0.05).abs() < 1e-9, "{burned}");
    // A lag peak of 3000 uses 60 % of a 5000 bound.
    let used = report.slos[2].burned.as_ref().expect("budget").mean;
    assert!((used - 0.6).abs() < 0.01, "{used}");
}

#[test]
fn one_window_as_long_as_the_measured_run_is_the_whole_run() {
    let model = mm1(
        r#"
        (on: Node("q"), objective: Latency(of: Wait, percentile: 95.0, max: "1s")),
        (on: Node("q"), objective: Latency(of: Wait, percentile: 95.0, max: "1s"), window: "300s"),
        (on: Node("srv"), objective: Throughput(min: 1.0)),
        (on: Node("srv"), objective: Throughput(min: 1.0), window: "300s"),
        "#,
        2,
    );
    for run in replicate(&model).runs {
        assert_eq!(run.slos[0].value, run.slos[1].value);
        assert_eq!(run.slos[1].windows, Some((1, 1)));
        let (a, b) = (run.slos[2].value.expect("a"), run.slos[3].value.expect("b"));
        assert!((a - b).abs() < 1e-9, "{a} {b}");
        assert_eq!(
            run.slos[0].value,
            run.node("q").expect("q").get("wait_s.p95"),
            "the wait objective reads the queue's own wait"
        );
    }
}

#[test]
fn a_window_longer_than_the_run_is_judged_over_the_run_with_a_warning() {
    let mut model = mm1(
        r#"
        (on: Node("srv"), objective: Throughput(min: 1.0)),
        (on: Node("srv"), objective: Throughput(min: 1.0), window: "10m"),
        "#,
        2,
    );
    let warnings: Vec<String> = sim_core::validate::validate(&model)
        .into_iter()
        .map(|d| d.to_string())
        .collect();
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("judged over the whole measured run")),
        "{warnings:#?}"
    );
    model.scenario.replications = 1;
    let run = &replicate(&model).runs[0];
    assert_eq!(run.slos[1].windows, Some((0, 0)));
    let (a, b) = (run.slos[0].value.expect("a"), run.slos[1].value.expect("b"));
    assert!((a - b).abs() < 1e-9, "{a} {b}");
}

#[test]
fn a_path_is_measured_apart_from_the_other_sources() {
    let model = model(
        r#"(
        version: 1,
        name: "paths",
        scenario: (duration: "60s", seed: 5, replications: 2),
        nodes: [
            (id: "far", kind: Producer(arrival: Constant(rate: 10.0))),
            (id: "near", kind: Producer(arrival: Constant(rate: 30.0))),
            (id: "out", kind: Sink()),
        ],
        edges: [
            (from: "far", to: "out", latency: "50ms"),
            (from: "near", to: "out"),
        ],
        slos: [
            (on: Path(from: "far", to: "out"), objective: Latency(percentile: 50.0, max: "60ms")),
            (on: Path(from: "near", to: "out"), objective: Latency(percentile: 50.0, max: "1ms")),
            (on: Path(from: "far", to: "out"), objective: Throughput(min: 9.0)),
            (on: System, objective: Throughput(min: 39.0)),
            (on: Edge("near->out"), objective: Throughput(min: 29.0)),
        ],
    )"#,
    );
    for run in replicate(&model).runs {
        let far = run.slos[0].value.expect("far");
        assert!((far - 0.05).abs() < 1e-4, "{far}");
        assert_eq!(run.slos[1].value, Some(0.0));
        let rate = |i: usize| run.slos[i].value.expect("rate");
        assert!((rate(2) - 10.0).abs() < 0.1, "{}", rate(2));
        assert!((rate(3) - 40.0).abs() < 0.1, "{}", rate(3));
        assert!((rate(4) - 30.0).abs() < 0.1, "{}", rate(4));
    }
}

#[test]
fn objectives_change_no_other_number_and_repeat_byte_for_byte() {
    let with = mm1(
        r#"
        (on: Node("srv"), objective: Latency(percentile: 99.0, max: "100ms"), window: "30s"),
        (on: Node("q"), objective: Lag(max: 10), window: "30s"),
        (on: System, objective: Latency(percentile: 99.0, max: "100ms")),
        "#,
        3,
    );
    let mut without = with.clone();
    without.slos.clear();
    let a = sim_core::run_replications(&with).expect("runs");
    let b = sim_core::run_replications(&with).expect("runs");
    let c = sim_core::run_replications(&without).expect("runs");
    assert_eq!(a.to_json_string(), b.to_json_string());
    let mut json = a.to_json();
    let slos = json
        .as_object_mut()
        .and_then(|o| o.remove("slos"))
        .expect("the report lists its objectives");
    assert_eq!(slos.as_array().map(Vec::len), Some(3));
    assert_eq!(json, c.to_json(), "objectives changed another number");
    assert!(
        c.to_json().get("slos").is_none(),
        "no objectives, no section"
    );
}

#[test]
fn objectives_round_trip_and_follow_a_renamed_node() {
    let mut model = mm1(
        r#"
        (name: "Checkout", on: Node("srv"), objective: Latency(of: Sojourn, percentile: 99.9, max: "250ms"), window: "1m"),
        (on: Path(from: "src", to: "srv"), objective: Throughput(min: 40.0)),
        (on: System, objective: Loss(of: DeadLettered, max: 0.01)),
        (on: Node("srv"), objective: Availability(min: 0.999)),
        "#,
        1,
    );
    let kind = model
        .graph
        .node_weights()
        .find(|n| n.id == "srv")
        .expect("srv")
        .kind
        .clone();
    model.variants.push(sim_core::model::Variant {
        name: "faster".into(),
        description: String::new(),
        nodes: vec![sim_core::model::VariantNode {
            id: "srv".into(),
            kind,
        }],
    });
    let text = file::to_string(&model);
    let (again, problems) = file::from_str(&text).expect("loads");
    assert!(problems.is_empty());
    assert_eq!(again.slos, model.slos);
    assert_eq!(file::to_string(&again), text);
    let mut renamed = model.clone();
    renamed.scenario.faults = vec![sim_core::faults::Fault {
        at: sim_core::time::Duration::from_secs(30),
        duration: sim_core::time::Duration::from_secs(5),
        node: "srv".into(),
        link: None,
        effect: sim_core::faults::Effect::Crash,
    }];
    let inverse = renamed
        .apply(sim_core::model::ModelCommand::SetId {
            id: "srv".into(),
            new_id: "worker".into(),
        })
        .expect("renames");
    // The fault and the variant follow the node too.
    assert_eq!(renamed.scenario.faults[0].node, "worker");
    assert_eq!(renamed.variants[0].nodes[0].id, "worker");
    let mut back = renamed.clone();
    back.apply(inverse).expect("undoes");
    assert_eq!(back.scenario.faults[0].node, "srv");
    assert_eq!(back.slos, model.slos);
    assert_eq!(
        renamed.slos[0].on,
        sim_core::slo::SloTarget::Node("worker".into())
    );
    assert_eq!(
        renamed.slos[1].on,
        sim_core::slo::SloTarget::Path {
            from: "src".into(),
            to: "worker".into()
        }
    );
}

#[test]
fn objectives_that_cannot_be_measured_are_refused_with_the_reason() {
    let cases = [
        (
            r#"(on: Node("nowhere"), objective: Throughput(min: 1.0))"#,
            "there is no node 'nowhere'",
        ),
        (
            r#"(on: Node("q"), objective: Staleness(percentile: 99.0, max: "1s"))"#,
            "a queue has no staleness",
        ),
        (
            r#"(on: Node("src"), objective: Latency(percentile: 99.0, max: "1s"))"#,
            "a producer has no end-to-end latency",
        ),
        (
            r#"(on: Node("q"), objective: LagTime(max: "1s"))"#,
            "bound its wait latency",
        ),
        (
            r#"(on: Node("srv"), objective: Latency(percentile: 100.0, max: "1s"))"#,
            "between 1 and 99.99",
        ),
        (
            r#"(on: Node("srv"), objective: Loss(max: 1.5))"#,
            "from 0 up to",
        ),
        (
            r#"(on: Node("srv"), objective: Throughput(min: 1.0), window: "10ms")"#,
            "too short for the run",
        ),
        (
            r#"(on: Edge("src->srv"), objective: Throughput(min: 1.0))"#,
            "there is no edge 'src->srv'",
        ),
        (
            r#"(on: Edge("src->q"), objective: Lag(max: 1))"#,
            "an edge measures only its throughput",
        ),
        (
            r#"(on: Path(from: "q", to: "srv"), objective: Throughput(min: 1.0))"#,
            "a path starts where messages are made",
        ),
        (
            r#"(on: System, objective: Availability(min: 0.9))"#,
            "the system as a whole measures",
        ),
        (
            r#"(name: "x", on: System, objective: Loss(max: 0.1)), (name: "x", on: System, objective: Loss(max: 0.2))"#,
            "another objective is called 'x'",
        ),
    ];
    for (objectives, expected) in cases {
        let text = format!(
            r#"(
            version: 1,
            name: "bad objective",
            scenario: (duration: "60s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 5.0))),
                (id: "q", kind: Queue()),
                (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
            slos: [{objectives}],
        )"#
        );
        let (model, _) = file::from_str(&text).expect("parses");
        let errors: Vec<String> = sim_core::validate::validate(&model)
            .into_iter()
            .filter(sim_core::validate::Diagnostic::is_error)
            .map(|d| d.to_string())
            .collect();
        assert!(
            errors
                .iter()
                .any(|e| e.contains(expected) && e.contains("objective")),
            "{objectives}: expected an error saying {expected:?}, got {errors:#?}"
        );
        assert!(
            sim_core::Simulation::new(&model, 1).is_err(),
            "{objectives} must not run"
        );
    }
    // A mistyped field is a syntax error naming the bound and its fields.
    let text = r#"(version: 1, name: "x", nodes: [], slos: [(on: System, objective: Throughput(minimum: 1.0))])"#;
    let err = file::from_str(text).expect_err("refused").to_string();
    assert!(
        err.contains("minimum") && err.contains("Throughput"),
        "{err}"
    );
}
