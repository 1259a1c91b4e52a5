//! The capacity planner against Erlang C: on an M/M/c queue the cheapest
//! number of servers that meets a bound on the wait is known in closed
//! form, and the planner must find it, and say so when no number within
//! the range works.

use sim_core::plan::{Knob, Plan, Requirement};
use sim_core::sweep::Sweep;
use sim_core::{Model, Report, run_replications};
use weir_tests::model;

/// λ = 100/s into a queue served by consumers of mean 50 ms (a = 5
/// erlangs), with an objective on the queue's p99 wait.
fn mmc(p99_wait: &str) -> Model {
    model(&format!(
        r#"(
            version: 1,
            name: "M/M/c",
            scenario: (duration: "300s", warmup: "30s", seed: 8, replications: 10),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "q", kind: Queue()),
                (id: "pool", kind: Consumer(service: Exponential(mean: "50ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "pool")],
            slos: [
                (name: "Short waits", on: Node("q"), objective: Latency(of: Wait, percentile: 99.0, max: "{p99_wait}")),
            ],
        )"#
    ))
}

/// Erlang C: the probability that an arrival waits, c servers, a erlangs.
fn erlang_c(c: u32, a: f64) -> f64 {
    let mut b = 1.0;
    for k in 1..=c {
        b = a * b / (f64::from(k) + a * b);
    }
    let rho = a / f64::from(c);
    b / (1.0 - rho + rho * b)
}

/// The p99 of the wait in M/M/c: P(W > t) = C·e^(−(cμ−λ)t).
fn p99_wait(c: u32) -> f64 {
    let (lambda, mu) = (100.0, 20.0);
    let waits = erlang_c(c, lambda / mu);
    if waits <= 0.01 {
        0.0
    } else {
        (waits / 0.01).ln() / (f64::from(c) * mu - lambda)
    }
}

/// The mean wait in M/M/c: C/(cμ−λ).
fn mean_wait(c: u32) -> f64 {
    erlang_c(c, 5.0) / (f64::from(c) * 20.0 - 100.0)
}

fn plan_for(
    model: &Model,
    knob: &str,
    require: &[&str],
    headroom: Option<f64>,
) -> (Plan, sim_core::plan::Outcome) {
    let plan = Plan {
        knobs: vec![Knob::parse(knob, model).expect("valid knob")],
        requirements: require
            .iter()
            .map(|r| Requirement::parse(r, model).expect("valid bound"))
            .collect(),
        headroom,
    };
    let sweep = Sweep {
        axes: vec![plan.knobs[0].axis.clone()],
        metrics: Vec::new(),
    };
    let outcome = plan
        .search(|settings| {
            settings
                .iter()
                .map(|s| -> Result<Report, String> {
                    run_replications(&sweep.model_at(model, s)?).map_err(|e| e.to_string())
                })
                .collect()
        })
        .expect("runs");
    (plan, outcome)
}

fn planned_servers(plan: &Plan, outcome: &sim_core::plan::Outcome) -> Option<u64> {
    let best = &outcome.trials[outcome.best?];
    match plan.knobs[0].axis.values[best.setting[0]] {
        sim_core::sweep::Setting::Int(c) => Some(c),
        other => panic!("a count, not {other}"),
    }
}

#[test]
fn the_planner_finds_the_fewest_servers_erlang_c_allows() {
    // The objective: p99 wait ≤ 60 ms: Erlang C gives
    // the cheapest c whose p99 is under the bound.
    let bound = 0.060;
    let expected = (6..20).find(|&c| p99_wait(c) <= bound).expect("some c");
    assert_eq!(
        expected,
        8,
        "p99 waits {:.3}, {:.3}, {:.3} s at 6, 7, 8",
        p99_wait(6),
        p99_wait(7),
        p99_wait(8)
    );
    let model = mmc("60ms");
    let (plan, outcome) = plan_for(&model, "pool.instances=6..12@10", &[], None);
    assert_eq!(
        planned_servers(&plan, &outcome),
        Some(u64::from(expected)),
        "{outcome:#?}"
    );
    let best = &outcome.trials[outcome.best.expect("found")];
    assert_eq!(best.cost, 80.0);
    // The path: 6 and 7 ruled out by the objective, 8 passes.
    let ruled_out: Vec<u64> = outcome
        .trials
        .iter()
        .filter(|t| !t.passes())
        .map(|t| t.setting[0] as u64 + 6)
        .collect();
    assert_eq!(ruled_out, [6, 7]);
    assert!(outcome.trials[0].failures[0].starts_with("Short waits is violated"));

    // A bound on the mean wait instead (and a loose objective): Erlang C
    // says 7 servers (mean wait 7.5 ms ≤ 10 ms; 6 give 29 ms).
    let expected = (6..20).find(|&c| mean_wait(c) <= 0.010).expect("some c");
    assert_eq!(expected, 7);
    let (plan, outcome) = plan_for(
        &mmc("1s"),
        "pool.instances=6..12@10",
        &["q.wait_s.mean<=0.010"],
        None,
    );
    assert_eq!(
        planned_servers(&plan, &outcome),
        Some(u64::from(expected)),
        "{outcome:#?}"
    );

    // A headroom that forces more: ρ = 5/c ≤ 0.5 needs 10.
    let (plan, outcome) = plan_for(&mmc("1s"), "pool.instances=6..12@10", &[], Some(0.5));
    assert_eq!(planned_servers(&plan, &outcome), Some(10));
}

#[test]
fn the_planner_says_when_no_setting_works() {
    let model = mmc("60ms");
    let (_, outcome) = plan_for(&model, "pool.instances=5..7@10", &[], None);
    assert_eq!(outcome.best, None);
    assert_eq!(outcome.trials.len(), 3, "it tried all the way up");
    assert!(outcome.trials.iter().all(|t| !t.passes()));
}

#[test]
fn weir_plan_prints_its_path_writes_the_plan_and_exits_4_when_nothing_works() {
    use crate::cli::{weir, workspace};
    let dir = std::env::temp_dir().join(format!("weir-plan-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let out = dir.join("planned.ron");
    let run = |extra: &[&str]| {
        let mut args = vec![
            "plan",
            "examples/single-queue.ron",
            "--duration",
            "3m",
            "--warmup",
            "30s",
            "--replications",
            "4",
        ];
        args.extend(extra);
        std::process::Command::new(weir())
            .current_dir(workspace())
            .args(&args)
            .output()
            .expect("weir starts")
    };
    let found = run(&[
        "--knob",
        "worker.instances=1..4@12",
        "--headroom",
        "0.6",
        "-o",
        out.to_str().expect("UTF-8"),
    ]);
    let text = String::from_utf8_lossy(&found.stdout);
    assert_eq!(found.status.code(), Some(0), "{text}");
    assert!(
        text.contains("  1  worker.instances = 1  (cost 12)  fails: "),
        "{text}"
    );
    assert!(text.contains("worker runs at ρ = 0.80 > 0.6"), "{text}");
    assert!(
        text.contains("Plan: worker.instances = 2 (cost 24)"),
        "{text}"
    );
    let planned = sim_core::model::file::from_str(&std::fs::read_to_string(&out).expect("written"))
        .expect("a model")
        .0;
    match &planned.graph[planned.find("worker").expect("there")].kind {
        sim_core::nodes::NodeKind::Consumer(c) => assert_eq!(c.instances, 2),
        other => panic!("a consumer, not {other:?}"),
    }
    let none = run(&["--knob", "worker.instances=1..2@12", "--headroom", "0.3"]);
    assert_eq!(none.status.code(), Some(4));
    assert!(
        String::from_utf8_lossy(&none.stdout).contains("No setting within the knobs' ranges works")
    );
    let nothing = run(&["--knob", "worker.instances=1..2"]);
    assert_eq!(nothing.status.code(), Some(0), "the example has objectives");
    let _ = std::fs::remove_dir_all(&dir);
}
