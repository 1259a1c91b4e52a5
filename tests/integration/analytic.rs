//! The report's `theory` section: its analytic values are the formulas'
//! (computed here independently, by direct sums over the states), the
//! simulated interval covers them, and a station whose assumptions fail
//! is refused with the reason.

use serde_json::Value;
use sim_core::stats::t_quantile;
use sim_core::theory::{Analysis, Quantity, analyse};
use weir_tests::{model, replicate};

/// P(n) of a birth–death chain with Poisson arrivals at `lambda`,
/// `c` exponential servers of mean `mean_s`, room for `k` (`None`: summed
/// until the terms vanish).
fn chain(lambda: f64, mean_s: f64, c: u32, k: Option<u32>) -> Vec<f64> {
    let a = lambda * mean_s;
    let mut p = vec![1.0f64];
    let top = k.unwrap_or(100_000);
    for n in 1..=top {
        let next = p[p.len() - 1] * a / f64::from(n.min(c));
        if k.is_none() && next < 1e-18 && n > c {
            break;
        }
        p.push(next);
    }
    let total: f64 = p.iter().sum();
    p.iter().map(|x| x / total).collect()
}

/// (L, Lq, P(last state)) of a chain.
fn chain_values(p: &[f64], c: u32) -> (f64, f64, f64) {
    let mut l = 0.0;
    let mut lq = 0.0;
    for (n, x) in p.iter().enumerate() {
        let n = n as f64;
        l += n * x;
        lq += (n - f64::from(c)).max(0.0) * x;
    }
    (l, lq, p[p.len() - 1])
}

/// What the station `id` of a report's theory section says.
struct Section<'a> {
    id: &'a str,
    station: &'a Value,
    replications: f64,
}

impl<'a> Section<'a> {
    fn of(report: &'a Value, id: &'a str) -> Self {
        let station = report
            .pointer(&format!("/theory/{id}"))
            .unwrap_or_else(|| panic!("no theory for '{id}' in {}", report["theory"]));
        let replications = report["replications"].as_f64().expect("replications");
        Self {
            id,
            station,
            replications,
        }
    }

    fn formula(&self) -> &str {
        self.station["formula"]
            .as_str()
            .unwrap_or_else(|| panic!("'{}' has no formula: {}", self.id, self.station))
    }

    /// A number of the station's own (`lambda_per_s`, `visits`).
    fn field(&self, key: &str) -> f64 {
        self.station[key]
            .as_f64()
            .unwrap_or_else(|| panic!("'{}' has no {key}: {}", self.id, self.station))
    }

    fn analytic(&self, key: &str) -> f64 {
        self.station["analytic"][key]
            .as_f64()
            .unwrap_or_else(|| panic!("'{}' has no analytic {key}: {}", self.id, self.station))
    }

    /// The analytic value equals `expected` (relative 1e-9), and the
    /// simulated interval covers it and is narrow (half-width at most
    /// `max_rel` of it). The report's interval is 95%; the check widens it
    /// to 99.9% (as the theory tests do), so that twenty checks do not
    /// fail one time in twenty by chance.
    fn agrees(&self, key: &str, expected: f64, max_rel: f64) {
        let analytic = self.analytic(key);
        assert!(
            (analytic - expected).abs() <= 1e-9 * expected.abs().max(1e-12),
            "'{}' {key}: analytic {analytic}, formula {expected}",
            self.id
        );
        let sim = &self.station["simulated"][key];
        let (mean, h) = (
            sim["mean"].as_f64().expect("a simulated mean"),
            sim["ci95"].as_f64().expect("a half-width"),
        );
        assert_eq!(
            sim["covers"].as_bool(),
            Some((mean - analytic).abs() <= h),
            "'{}' {key}: covers is the interval's",
            self.id
        );
        let n = self.replications();
        let wide = h * t_quantile(0.9995, n - 1.0) / t_quantile(0.975, n - 1.0);
        assert!(
            (mean - analytic).abs() <= wide,
            "'{}' {key}: simulated {mean} ± {wide} (99.9%) misses {analytic}",
            self.id
        );
        assert!(
            h <= max_rel * analytic.abs(),
            "'{}' {key}: interval ± {h} too wide for {analytic}",
            self.id
        );
    }

    fn replications(&self) -> f64 {
        self.replications
    }

    fn refused(&self) -> &str {
        assert_eq!(
            self.station["applies"],
            Value::Bool(false),
            "'{}' should be refused: {}",
            self.id,
            self.station
        );
        self.station["reason"].as_str().expect("a reason")
    }
}

fn json_of(text: &str) -> Value {
    replicate(&model(text)).report.to_json()
}

/// A producer at `lambda` into a queue with `queue` parameters and a
/// consumer with `consumer` parameters, then a sink.
fn station(
    lambda: f64,
    queue: &str,
    consumer: &str,
    duration: &str,
    reps: u32,
    seed: u64,
) -> String {
    format!(
        r#"(
            version: 1,
            name: "station",
            scenario: (duration: "{duration}", warmup: "20s", seed: {seed}, replications: {reps}),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}))),
                (id: "q", kind: Queue({queue})),
                (id: "srv", kind: Consumer({consumer})),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
        )"#
    )
}

#[test]
fn mm1_section_matches_the_formula_and_the_simulation() {
    // λ = 50/s, μ = 100/s: ρ = 0.5, L = 1, Lq = 0.5, W = 20 ms, Wq = 10 ms.
    let json = json_of(&station(
        50.0,
        "",
        r#"service: Exponential(mean: "10ms")"#,
        "500s",
        10,
        11,
    ));
    let s = Section::of(&json, "srv");
    assert_eq!(s.formula(), "M/M/1");
    assert_eq!(s.station["queue"], "q");
    let (l, lq, _) = chain_values(&chain(50.0, 0.010, 1, None), 1);
    s.agrees("rho", 0.5, 0.02);
    s.agrees("l", l, 0.05);
    s.agrees("lq", lq, 0.08);
    s.agrees("w_s", l / 50.0, 0.05);
    s.agrees("wq_s", lq / 50.0, 0.08);
    assert!(
        s.station["analytic"].get("p_block").is_none(),
        "no blocking in M/M/1"
    );
}

#[test]
fn mmc_section_is_erlang_c() {
    // λ = 320/s, μ = 100/s, c = 4: ρ = 0.8.
    let json = json_of(&station(
        320.0,
        "",
        r#"instances: 2, concurrency: 2, service: Exponential(mean: "10ms")"#,
        "300s",
        10,
        12,
    ));
    let s = Section::of(&json, "srv");
    assert_eq!(s.formula(), "M/M/4");
    assert_eq!(s.station["servers"], 4);
    let (l, lq, _) = chain_values(&chain(320.0, 0.010, 4, None), 4);
    s.agrees("rho", 0.8, 0.02);
    s.agrees("lq", lq, 0.1);
    s.agrees("l", l, 0.05);
    s.agrees("w_s", l / 320.0, 0.05);
    s.agrees("wq_s", lq / 320.0, 0.1);
}

#[test]
fn mmck_section_has_the_blocking_probability() {
    // K = the queue's capacity (received messages keep their place until
    // acknowledged); c = 2, λ = 150/s, μ = 100/s per server.
    let json = json_of(&station(
        150.0,
        "capacity: 6, overflow: DropNewest",
        r#"instances: 2, service: Exponential(mean: "10ms")"#,
        "300s",
        10,
        13,
    ));
    let s = Section::of(&json, "srv");
    assert_eq!(s.formula(), "M/M/2/K");
    assert_eq!(s.station["capacity"], 6);
    let p = chain(150.0, 0.010, 2, Some(6));
    let (l, lq, p_block) = chain_values(&p, 2);
    let accepted = 150.0 * (1.0 - p_block);
    s.agrees("p_block", p_block, 0.05);
    s.agrees("l", l, 0.03);
    s.agrees("lq", lq, 0.05);
    s.agrees("w_s", l / accepted, 0.03);
    s.agrees("rho", accepted * 0.010 / 2.0, 0.02);
}

#[test]
fn acknowledged_on_receipt_a_message_leaves_the_queue_so_k_is_capacity_plus_c() {
    // At-most-once: received messages no longer hold a place in the queue;
    // room in all is 3 + 2.
    let json = json_of(&station(
        90.0,
        "capacity: 3, overflow: DropNewest",
        r#"instances: 2, service: Exponential(mean: "20ms"), delivery: AtMostOnce"#,
        "300s",
        10,
        22,
    ));
    let s = Section::of(&json, "srv");
    assert_eq!(s.formula(), "M/M/2/K");
    assert_eq!(s.station["capacity"], 5);
    let (l, lq, p_block) = chain_values(&chain(90.0, 0.020, 2, Some(5)), 2);
    s.agrees("p_block", p_block, 0.05);
    s.agrees("l", l, 0.03);
    s.agrees("lq", lq, 0.05);
    s.agrees("w_s", l / (90.0 * (1.0 - p_block)), 0.03);
}

#[test]
fn md1_and_mg1_sections_are_pollaczek_khinchine() {
    for (service, formula, scv, seed) in [
        (r#"Constant("10ms")"#, "M/D/1", 0.0, 14),
        (r#"LogNormal(mean: "10ms", cv: 1.5)"#, "M/G/1", 2.25, 15),
        (r#"Erlang(k: 4, mean: "10ms")"#, "M/G/1", 0.25, 16),
    ] {
        let json = json_of(&station(
            60.0,
            "",
            &format!("service: {service}"),
            "600s",
            12,
            seed,
        ));
        let s = Section::of(&json, "srv");
        assert_eq!(s.formula(), formula, "{service}");
        let rho = 60.0 * 0.010;
        let wq = rho * (1.0 + scv) * 0.010 / (2.0 * (1.0 - rho));
        s.agrees("rho", rho, 0.02);
        s.agrees("wq_s", wq, 0.12);
        s.agrees("w_s", wq + 0.010, 0.05);
        s.agrees("lq", 60.0 * wq, 0.12);
    }
}

#[test]
fn tandem_and_fan_out_are_jackson_networks() {
    // Poisson at 60/s through a topic copying to two branches; branch one
    // is a tandem of two M/M/1 (μ = 100, 80), branch two a consumer fed
    // directly (its inbox is the line), μ = 150; a weighted router ahead of
    // branch two halves it.
    let text = r#"(
        version: 1,
        name: "jackson",
        scenario: (duration: "400s", warmup: "20s", seed: 17, replications: 10),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 60.0))),
            (id: "fan", kind: Topic()),
            (id: "q1", kind: Queue()),
            (id: "s1", kind: Consumer(service: Exponential(mean: "10ms"))),
            (id: "q2", kind: Queue()),
            (id: "s2", kind: Consumer(service: Exponential(mean: "12.5ms"))),
            (id: "lb", kind: Router(mode: Weighted)),
            (id: "direct", kind: Consumer(service: Exponential(mean: "20ms"))),
            (id: "out", kind: Sink()),
        ],
        edges: [
            (from: "src", to: "fan"), (from: "fan", to: "q1"), (from: "q1", to: "s1"),
            (from: "s1", to: "q2"), (from: "q2", to: "s2"), (from: "s2", to: "out"),
            (from: "fan", to: "lb"), (from: "lb", to: "direct", weight: 1.0),
            (from: "lb", to: "out", weight: 1.0),
        ],
    )"#;
    let json = json_of(text);
    for (id, lambda, mu) in [
        ("s1", 60.0, 100.0),
        ("s2", 60.0, 80.0),
        ("direct", 30.0, 50.0),
    ] {
        let s = Section::of(&json, id);
        assert_eq!(s.formula(), "M/M/1", "{id}");
        assert_eq!(s.field("lambda_per_s"), lambda, "{id}");
        let rho = lambda / mu;
        s.agrees("rho", rho, 0.03);
        s.agrees("w_s", 1.0 / (mu - lambda), 0.06);
        s.agrees("l", rho / (1.0 - rho), 0.06);
    }
    assert!(Section::of(&json, "direct").station.get("queue").is_none());
}

#[test]
fn immediate_retries_are_jackson_feedback() {
    // p = 0.25: the station sees λ/(1 − p) = 80/s at μ = 100/s.
    let json = json_of(&station(
        60.0,
        "",
        r#"service: Exponential(mean: "10ms"), failure: 0.25, retry: Immediate()"#,
        "400s",
        10,
        18,
    ));
    let s = Section::of(&json, "srv");
    assert_eq!(s.formula(), "M/M/1");
    assert!((s.field("visits") - 4.0 / 3.0).abs() < 1e-12);
    let rho: f64 = 0.8;
    s.agrees("rho", rho, 0.02);
    s.agrees("lq", rho * rho / (1.0 - rho), 0.1);
    s.agrees("w_s", 1.0 / (100.0 - 80.0), 0.06);
}

#[test]
fn serverless_without_queue_is_erlang_b() {
    // λ = 80/s, 5 executions of mean 50 ms: a = 4, B(5, 4) ≈ 0.199.
    let text = r#"(
        version: 1,
        name: "erlang b",
        scenario: (duration: "400s", warmup: "10s", seed: 19, replications: 10),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
            (id: "fn", kind: Consumer(service: LogNormal(mean: "50ms", cv: 2.0), serverless: (concurrency: 5))),
        ],
        edges: [(from: "src", to: "fn")],
    )"#;
    let json = json_of(text);
    let s = Section::of(&json, "fn");
    assert_eq!(s.formula(), "Erlang B");
    let p = chain(80.0, 0.050, 5, Some(5));
    let (l, _, b) = chain_values(&p, 5);
    s.agrees("p_block", b, 0.05);
    s.agrees("l", l, 0.03);
    s.agrees("w_s", 0.050, 0.03);
}

/// The model of `station` with its parts replaced, analysed without a run.
fn analysis(text: &str) -> Analysis {
    analyse(&model(text))
}

fn reason(analysis: &Analysis, id: &str) -> String {
    let s = analysis
        .station_of(id)
        .unwrap_or_else(|| panic!("no station '{id}'"));
    match &s.result {
        Err(reason) => reason.clone(),
        Ok(a) => panic!("'{id}' should be refused, got {}", a.formula),
    }
}

#[test]
fn failed_assumptions_are_refused_with_their_reason() {
    let exp = r#"service: Exponential(mean: "10ms")"#;
    let bursty = station(50.0, "", exp, "100s", 2, 1).replace(
        "Poisson(rate: 50.0)",
        r#"Bursty(rate: 100.0, on: "1s", off: "1s")"#,
    );
    let cases: Vec<(&str, String, &str)> = vec![
        (
            "bursty producer",
            bursty,
            "arrivals from 'src' are bursty (on/off), not Poisson",
        ),
        (
            "retries with backoff",
            station(
                50.0,
                "",
                r#"service: Exponential(mean: "10ms"), failure: 0.1, retry: Exponential(initial: "100ms", max_delay: "2s")"#,
                "100s",
                2,
                1,
            ),
            "'srv' retries after a backoff delay",
        ),
        (
            "circuit breaker",
            station(
                50.0,
                "",
                r#"service: Exponential(mean: "10ms"), breaker: ()"#,
                "100s",
                2,
                1,
            ),
            "'srv' has a circuit breaker",
        ),
        (
            "blocking queue",
            station(50.0, "capacity: 10", exp, "100s", 2, 1),
            "'q' blocks its upstream when full, which no product-form formula covers",
        ),
        (
            "unstable",
            station(120.0, "", exp, "100s", 2, 1),
            "at 'srv', ρ = 1.20 ≥ 1: the queue grows without bound; there is no steady state",
        ),
        (
            "several servers, log-normal",
            station(
                50.0,
                "",
                r#"instances: 3, service: LogNormal(mean: "10ms", cv: 2.0)"#,
                "100s",
                2,
                1,
            ),
            "no exact formula for M/G/c",
        ),
        (
            "autoscaling",
            station(
                50.0,
                "",
                r#"service: Exponential(mean: "10ms"), autoscale: (min: 1, max: 3, target: Utilization(target: 0.5))"#,
                "100s",
                2,
                1,
            ),
            "'srv' scales its instances with the load",
        ),
    ];
    let mut problems = Vec::new();
    for (name, text, expected) in &cases {
        let got = reason(&analysis(text), "srv");
        if !got.contains(expected) {
            problems.push(format!("{name}: expected …{expected}…, got: {got}"));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn refusals_travel_downstream_and_reach_the_report() {
    // A log-normal single server is M/G/1, but its departures are not
    // Poisson: the next station says so. Faults refuse every station.
    let text = r#"(
        version: 1,
        name: "downstream",
        scenario: (duration: "60s", warmup: "5s", seed: 5, replications: 2),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 30.0))),
            (id: "q1", kind: Queue()),
            (id: "first", kind: Consumer(service: LogNormal(mean: "10ms", cv: 1.5))),
            (id: "q2", kind: Queue()),
            (id: "second", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q1"), (from: "q1", to: "first"), (from: "first", to: "q2"),
                (from: "q2", to: "second")],
    )"#;
    let json = json_of(text);
    assert_eq!(Section::of(&json, "first").formula(), "M/G/1");
    let why = Section::of(&json, "second").refused().to_owned();
    assert!(
        why.contains("departures of 'first' (M/G/1), which are not a Poisson stream"),
        "{why}"
    );
    let faulty = text.replace(
        "replications: 2)",
        r#"replications: 2, faults: [(at: "10s", node: "first", effect: Crash, duration: "5s")])"#,
    );
    let a = analysis(&faulty);
    assert!(reason(&a, "first").contains("timeline has faults"), "{a:?}");
    // The inspector's line: the formula and its values, or the reason.
    let ok = analysis(text);
    let line = ok.station_of("q1").expect("the queue's station").summary();
    assert!(line.starts_with("M/G/1: ρ = 0.300, L = "), "{line}");
    assert_eq!(Quantity::W.text(0.0123), "12.300 ms");
}

#[test]
fn the_section_is_deterministic_and_one_run_has_no_interval() {
    let text = station(
        40.0,
        "",
        r#"service: Exponential(mean: "10ms")"#,
        "30s",
        1,
        21,
    );
    let a = json_of(&text);
    let b = json_of(&text);
    assert_eq!(
        a["theory"], b["theory"],
        "same model, same seed, same section"
    );
    let sim = &a["theory"]["srv"]["simulated"]["rho"];
    assert!(
        sim.get("mean").is_some() && sim.get("ci95").is_none() && sim.get("covers").is_none(),
        "{sim}"
    );
}

#[test]
fn weir_run_prints_a_theory_block_under_its_table() {
    // Two stations: one with a formula, one refused.
    let text = r#"(
        version: 1,
        name: "theory block",
        scenario: (duration: "60s", warmup: "5s", seed: 9, replications: 2),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
            (id: "q", kind: Queue()),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
            (id: "tick", kind: Producer(arrival: Constant(rate: 10.0))),
            (id: "clock", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "tick", to: "clock")],
    )"#;
    let dir = std::env::temp_dir().join(format!("weir-theory-block-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("model.ron");
    std::fs::write(&path, text).expect("the model is written");
    let out = std::process::Command::new(crate::cli::weir())
        .arg("run")
        .arg(&path)
        .output()
        .expect("weir runs");
    let _ = std::fs::remove_dir_all(&dir);
    assert!(out.status.success(), "{out:?}");
    let stdout = String::from_utf8(out.stdout).expect("UTF-8");
    let block: Vec<&str> = stdout
        .lines()
        .skip_while(|l| !l.starts_with("Theory"))
        .take_while(|l| !l.is_empty())
        .collect();
    assert_eq!(
        block.len(),
        3,
        "a heading and one line per station:\n{stdout}"
    );
    assert_eq!(block[0], "Theory (analytic vs simulated ± 95% CI)");
    assert!(
        block[1].starts_with("  q → srv: M/M/1: ρ 0.500 vs ")
            && block[1].contains("; W 20.000 ms vs "),
        "{}",
        block[1]
    );
    assert_eq!(
        block[2],
        "  clock: no formula: arrivals from 'tick' are evenly spaced (a constant rate), not Poisson"
    );
    // The block sits under the table, before the events line.
    let events = stdout.find(" events in ").expect("the events line");
    assert!(stdout.find("Theory").expect("the block") < events);
}
