//! CEP, event stores and projections against theory: a count rule's match
//! rate on Poisson input, geometric append retries under conflicts, and a
//! projection's staleness as an M/M/1 sojourn.

use weir_tests::{Estimate, metric, model, replicate};

/// P(X ≥ n) for X ~ Poisson(mean).
fn poisson_at_least(mean: f64, n: u32) -> f64 {
    let mut term = (-mean).exp();
    let mut below = 0.0;
    for k in 0..n {
        below += term;
        term *= mean / f64::from(k + 1);
    }
    1.0 - below
}

#[test]
fn a_tumbling_count_rule_matches_at_the_poisson_rate() {
    // 20 events/s over 4 keys: 5 per key per second. A 1 s tumbling window
    // of a key matches when it holds 7 or more: P(Poisson(5) ≥ 7) per
    // window, one window per key per second.
    let m = model(
        r#"(
            version: 1,
            name: "count rule",
            scenario: (duration: "1000s", warmup: "10s", seed: 5, replications: 20),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 20.0), keys: 4)),
                (id: "cep", kind: Cep(rules: [
                    (name: "busy", pattern: Count(at_least: 7, window: Tumbling(size: "1s")), emit: "Busy"),
                ])),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "cep"), (from: "cep", to: "out")],
        )"#,
    );
    let report = replicate(&m);
    let expected = 4.0 * poisson_at_least(5.0, 7);
    Estimate::metric(&report, "cep", "rules.busy.matches_per_s").assert_contains(expected, 0.05);
    assert!(report.conservation.balanced());
}

#[test]
fn sliding_windows_catch_what_tumbling_ones_split() {
    // Over the same stream a sliding window matches more often: it does
    // not miss runs that straddle a window boundary.
    let run = |window: &str| {
        let m = model(&format!(
            r#"(
                version: 1,
                name: "windows",
                scenario: (duration: "2000s", seed: 6),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 5.0))),
                    (id: "cep", kind: Cep(rules: [
                        (name: "r", pattern: Count(at_least: 7, window: {window}), emit: "X"),
                    ])),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "src", to: "cep"), (from: "cep", to: "out")],
            )"#
        ));
        metric(&replicate(&m), "cep", "rules.r.matches")
    };
    let tumbling = run(r#"Tumbling(size: "1s")"#);
    let sliding = run(r#"Sliding(size: "1s")"#);
    assert!(
        sliding > 1.2 * tumbling,
        "sliding {sliding} vs tumbling {tumbling}"
    );
}

#[test]
fn conflicts_raise_append_attempts_geometrically() {
    // Each attempt conflicts with probability 0.3, so an event takes
    // 1/(1 − 0.3) attempts on average.
    let m = model(
        r#"(
            version: 1,
            name: "conflicts",
            scenario: (duration: "200s", warmup: "10s", seed: 8, replications: 10),
            nodes: [
                (id: "writers", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "store", kind: EventStore(append: Exponential(mean: "2ms"), conflict: 0.3, retry_delay: "5ms")),
                (id: "view", kind: Projection(apply: Constant("1ms"))),
            ],
            edges: [(from: "writers", to: "store"), (from: "store", to: "view")],
        )"#,
    );
    let report = replicate(&m);
    let attempts = Estimate::metric(&report, "store", "append_attempts");
    let appended = Estimate::metric(&report, "store", "appended");
    Estimate::combine("attempts per append", &[&attempts, &appended], |v| {
        v[0] / v[1]
    })
    .assert_contains(1.0 / 0.7, 0.01);
    let conflicts = Estimate::metric(&report, "store", "conflicts");
    Estimate::combine("conflicts per attempt", &[&conflicts, &attempts], |v| {
        v[0] / v[1]
    })
    .assert_contains(0.3, 0.03);
    assert!(report.conservation.balanced());
}

#[test]
fn projection_staleness_is_the_mm1_sojourn() {
    // Appends are instant, so an event reaches the projection when it is
    // appended: Poisson at 35/s into exponential applies at 50/s, one at a
    // time. Staleness is the M/M/1 sojourn, 1/(μ − λ) = 1/15 s.
    let m = model(
        r#"(
            version: 1,
            name: "staleness",
            scenario: (duration: "2000s", warmup: "100s", seed: 9, replications: 20),
            nodes: [
                (id: "writers", kind: Producer(arrival: Poisson(rate: 35.0))),
                (id: "store", kind: EventStore(append: Constant("0s"))),
                (id: "view", kind: Projection(apply: Exponential(mean: "20ms"))),
            ],
            edges: [(from: "writers", to: "store"), (from: "store", to: "view")],
        )"#,
    );
    let report = replicate(&m);
    Estimate::metric(&report, "view", "staleness_s.mean").assert_contains(1.0 / 15.0, 0.05);
    Estimate::metric(&report, "view", "utilization").assert_contains(0.7, 0.02);
    assert!(report.conservation.balanced());
}

#[test]
fn a_rate_limited_store_holds_its_writers_back() {
    // 60 commands/s against 40 appends/s and a backlog of 20: the writer
    // consumer blocks, its queue fills and the producer waits; nothing is
    // lost and the store appends at its limit.
    let m = model(
        r#"(
            version: 1,
            name: "backpressure",
            scenario: (duration: "100s", warmup: "10s", seed: 3),
            nodes: [
                (id: "cmds", kind: Producer(arrival: Poisson(rate: 60.0))),
                (id: "q", kind: Queue(capacity: 50)),
                (id: "writer", kind: Consumer(instances: 4, service: Exponential(mean: "10ms"))),
                (id: "store", kind: EventStore(append: Constant("2ms"), max_rate: 40.0, backlog: 20)),
                (id: "view", kind: Projection(apply: Constant("1ms"))),
            ],
            edges: [(from: "cmds", to: "q"), (from: "q", to: "writer"), (from: "writer", to: "store"), (from: "store", to: "view")],
        )"#,
    );
    let report = replicate(&m);
    let rate = metric(&report, "store", "appends_per_s");
    assert!((rate - 40.0).abs() < 0.5, "appends/s {rate}");
    assert_eq!(metric(&report, "store", "max_depth"), 20.0);
    assert!(metric(&report, "cmds", "blocked_fraction") > 0.2);
    assert_eq!(report.conservation.dropped, 0);
    assert!(report.conservation.balanced());
}

#[test]
fn the_new_kinds_round_trip_through_the_file_byte_for_byte() {
    let text = r#"(
        version: 1,
        name: "every field",
        nodes: [
            (id: "p", kind: Producer(arrival: Poisson(rate: 5.0), events: [(name: "A"), (name: "B")])),
            (id: "cep", kind: Cep(max_keys: 7, rules: [
                (name: "n", pattern: Count(event: "A", at_least: 2, window: Tumbling(size: "1s")), emit: "N"),
                (name: "s", pattern: Count(at_least: 3, window: Session(gap: "2s")), emit: "S"),
                (name: "w", pattern: Count(at_least: 3, window: Sliding(size: "2s")), emit: "W"),
                (name: "f", pattern: FollowedBy(first: "A", then: "B", within: "5s"), emit: "F"),
                (name: "x", pattern: NotFollowedBy(first: "B", then: "A", within: "1m"), emit: "X"),
            ])),
            (id: "store", kind: EventStore(append: Exponential(mean: "3ms"), max_rate: 100.0, backlog: 10,
                conflict: 0.2, retry_delay: "7ms", max_attempts: 4, replay: (at: "30s", rate: 50.0))),
            (id: "view", kind: Projection(apply: Constant("2ms"), concurrency: 2)),
        ],
        edges: [(from: "p", to: "cep"), (from: "cep", to: "store"), (from: "store", to: "view")],
    )"#;
    let m = model(text);
    let once = sim_core::model::file::to_string(&m);
    let (again, _) = sim_core::model::file::from_str(&once).expect("reloads");
    assert!(m.same_as(&again), "reloaded model differs:\n{once}");
    assert_eq!(once, sim_core::model::file::to_string(&again));
    for words in [
        "max_keys: 7",
        "gap: \"2s\"",
        "NotFollowedBy",
        "max_attempts: 4",
        "concurrency: 2",
    ] {
        assert!(once.contains(words), "{words} missing from:\n{once}");
    }
    // Defaults are left out when written.
    let plain = model(
        r#"(version: 1, name: "plain", nodes: [
            (id: "p", kind: Producer(arrival: Poisson(rate: 5.0))),
            (id: "store", kind: EventStore()),
            (id: "view", kind: Projection(apply: Constant("2ms"))),
        ], edges: [(from: "p", to: "store"), (from: "store", to: "view")])"#,
    );
    let written = sim_core::model::file::to_string(&plain);
    assert!(
        !written.contains("conflict") && !written.contains("concurrency"),
        "{written}"
    );
}
