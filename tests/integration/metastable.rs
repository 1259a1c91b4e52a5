//! Time limits and the failures they cause, over a set of seeds: clients
//! that time out and retry turn a 10-second trigger into an overload that
//! outlives it (a metastable failure), while a retry budget or shedding
//! what is past its deadline recovers; call timeouts that do not cancel
//! the work feed a retry storm against a slow dependency.

use sim_core::Simulation;
use sim_core::series::Metric;
use sim_core::time::{Duration, SimTime};
use weir_tests::{model, run_metric};

const EXAMPLE: &str = include_str!("../../examples/metastable-retries.ron");
/// The clients' rate: what a healthy lane answers per second.
const OFFERED: f64 = 75.0;
/// When the trigger ends.
const TRIGGER_END_S: f64 = 70.0;
const SEEDS: [u64; 4] = [1, 2, 3, 4];

/// A node's line of `metric` with the end time of each point.
fn line(sim: &Simulation, node: &str, metric: Metric) -> Vec<(f64, f64)> {
    let series = sim.series();
    let values = series
        .node(node)
        .and_then(|n| n.values(metric))
        .unwrap_or_else(|| panic!("{node} records {metric:?}"));
    series
        .times()
        .zip(values.iter())
        .map(|(t, v)| (t, f64::from(v)))
        .collect()
}

fn mean_from(points: &[(f64, f64)], from_s: f64) -> f64 {
    let tail: Vec<f64> = points
        .iter()
        .filter(|(t, _)| *t > from_s)
        .map(|p| p.1)
        .collect();
    tail.iter().sum::<f64>() / tail.len().max(1) as f64
}

/// Seconds from the trigger's end until the goodput is back: the first
/// point after it at 80 % of the offered rate, from which on the mean stays
/// at 90 % of it. `None`: it never comes back.
fn recovery_s(goodput: &[(f64, f64)]) -> Option<f64> {
    goodput
        .iter()
        .position(|&(t, v)| {
            t > TRIGGER_END_S && v >= 0.8 * OFFERED && mean_from(goodput, t) >= 0.9 * OFFERED
        })
        .map(|i| goodput[i].0 - TRIGGER_END_S)
}

fn run(text: &str, seed: u64) -> Simulation {
    let m = model(text);
    let mut sim = Simulation::new(&m, seed).expect("compiles");
    sim.run_until(SimTime::ZERO + Duration::from_secs(300))
        .expect("runs");
    let result = sim.result();
    assert!(result.conservation.balanced(), "{:?}", result.conservation);
    sim
}

#[test]
fn a_burst_leaves_naive_retries_down_while_a_budget_or_shedding_recovers() {
    for seed in SEEDS {
        let sim = run(EXAMPLE, seed);
        let result = sim.result();
        // Naive retries: long after the burst, nearly nothing is answered
        // in time, although the API works flat out.
        let naive = line(&sim, "app-naive", Metric::Goodput);
        let late = mean_from(&naive, 120.0);
        assert!(
            late < 0.1 * OFFERED,
            "seed {seed}: naive goodput {late:.1}/s after the burst"
        );
        assert_eq!(recovery_s(&naive), None, "seed {seed}: naive recovered");
        let busy = mean_from(&line(&sim, "api-naive", Metric::ThroughputOut), 120.0);
        assert!(
            busy > 90.0,
            "seed {seed}: the naive API still works at {busy:.1}/s"
        );
        let amplification = run_metric(&result, "app-naive", "retry_amplification");
        assert!(
            amplification > 2.0,
            "seed {seed}: naive sends {amplification:.2} per request"
        );
        // A retry budget runs dry in the burst; the backlog then drains
        // at the 25/s of spare capacity.
        let budget = recovery_s(&line(&sim, "app-budget", Metric::Goodput));
        assert!(
            budget.is_some_and(|s| s < 90.0),
            "seed {seed}: the budget lane recovered after {budget:?} s"
        );
        assert!(run_metric(&result, "app-budget", "budget_denied") > 100.0);
        // Shedding what is past its deadline stops the work for nobody at
        // once.
        let shed = recovery_s(&line(&sim, "app-shed", Metric::Goodput));
        assert!(
            shed.is_some_and(|s| s < 15.0),
            "seed {seed}: the shedding lane recovered after {shed:?} s"
        );
        assert!(run_metric(&result, "api-shed", "expired") > 100.0);
    }
}

#[test]
fn without_the_trigger_the_naive_clients_are_healthy() {
    let calm = EXAMPLE.replace("effect: Burst(factor: 3.0)", "effect: Burst(factor: 1.0)");
    assert_ne!(calm, EXAMPLE);
    for seed in SEEDS {
        let sim = run(&calm, seed);
        let goodput = mean_from(&line(&sim, "app-naive", Metric::Goodput), 0.0);
        assert!(
            goodput > 0.95 * OFFERED,
            "seed {seed}: calm goodput {goodput:.1}/s"
        );
        let amplification = run_metric(&sim.result(), "app-naive", "retry_amplification");
        assert!(amplification < 1.01, "seed {seed}: {amplification}");
    }
}

#[test]
fn a_ten_second_slow_down_triggers_it_too() {
    let slow = EXAMPLE.replace(
        r#"(at: "60s", duration: "10s", node: "app-naive", effect: Burst(factor: 3.0))"#,
        r#"(at: "60s", duration: "10s", node: "api-naive", effect: Slow(factor: 3.0))"#,
    );
    assert_ne!(slow, EXAMPLE);
    for seed in SEEDS {
        let sim = run(&slow, seed);
        let naive = line(&sim, "app-naive", Metric::Goodput);
        assert_eq!(recovery_s(&naive), None, "seed {seed}");
        assert!(mean_from(&naive, 120.0) < 0.1 * OFFERED, "seed {seed}");
    }
}

/// Two workers call a dependency with 8 slots that slows down fourfold for
/// 10 s; each gives up on a call after 200 ms and tries again. One
/// dependency works on abandoned calls to the end, the other cancels them.
fn storm(cancel: &str) -> String {
    format!(
        r#"(
            version: 1,
            name: "storm",
            scenario: (duration: "120s", seed: 1, faults: [
                (at: "30s", duration: "10s", node: "db", effect: Slow(factor: 4.0)),
            ]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "q", kind: Queue()),
                (id: "worker", kind: Consumer(instances: 40, service: Constant("1ms"),
                    call_timeout: "200ms", retry: Immediate(max_attempts: 5))),
                (id: "db", kind: Service(latency: Exponential(mean: "50ms"), concurrency: 8,
                    cancel: {cancel})),
                (id: "dlq", kind: DeadLetter()),
                (id: "out", kind: Sink()),
            ],
            edges: [
                (from: "src", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "db"),
                (from: "worker", to: "dlq"), (from: "worker", to: "out"),
            ],
        )"#
    )
}

#[test]
fn call_timeouts_that_do_not_cancel_make_a_slow_dependency_storm() {
    for seed in SEEDS {
        let run = |cancel: &str| sim_core::run_once(&model(&storm(cancel)), seed).expect("runs");
        let (never, at_once) = (run("Never"), run("AtOnce"));
        for r in [&never, &at_once] {
            assert!(r.conservation.balanced());
        }
        // Without cancellation the dependency spends much of its time on
        // calls nobody waits for, so more calls time out, more retries
        // pile on, and more orders are given up.
        let wasted = run_metric(&never, "db", "wasted_fraction");
        assert!(wasted > 0.2, "seed {seed}: wasted {wasted}");
        assert_eq!(run_metric(&at_once, "db", "wasted_fraction"), 0.0);
        let timeouts = |r| run_metric(r, "worker", "call_timeouts");
        assert!(
            timeouts(&never) > 2.0 * timeouts(&at_once),
            "seed {seed}: {} against {}",
            timeouts(&never),
            timeouts(&at_once)
        );
        let calls = |r| run_metric(r, "db", "arrived");
        assert!(calls(&never) > calls(&at_once), "seed {seed}");
        let lost = |r| run_metric(r, "dlq", "dead_lettered");
        assert!(
            lost(&never) > lost(&at_once),
            "seed {seed}: dead letters {} against {}",
            lost(&never),
            lost(&at_once)
        );
    }
}
