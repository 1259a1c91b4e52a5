//! The engine against queueing theory. Each test runs independent
//! replications with fixed seeds and checks that the 99% confidence
//! interval of each measured mean contains the analytic value, and that
//! the interval is narrow (a few percent), so a wrong engine fails.

use weir_tests::{Estimate, model, replicate};

/// Poisson arrivals at `lambda`/s into an unbounded queue served by
/// `servers` consumers with the given service distribution, then a sink.
fn single_station(
    lambda: f64,
    servers: u32,
    service: &str,
    duration: &str,
    warmup: &str,
    reps: u32,
    seed: u64,
) -> String {
    format!(
        r#"(
            version: 1,
            name: "station",
            scenario: (duration: "{duration}", warmup: "{warmup}", seed: {seed}, replications: {reps}),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}))),
                (id: "q", kind: Queue()),
                (id: "srv", kind: Consumer(instances: {servers}, service: {service})),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
        )"#
    )
}

struct Station {
    w: Estimate,
    wq: Estimate,
    l: Estimate,
    lq: Estimate,
    util: Estimate,
}

fn measure_station(text: &str) -> Station {
    let report = replicate(&model(text));
    let lq = Estimate::metric(&report, "q", "mean_depth");
    let busy = Estimate::metric(&report, "srv", "mean_busy");
    Station {
        w: Estimate::metric(&report, "out", "end_to_end_s.mean"),
        wq: Estimate::metric(&report, "q", "wait_s.mean"),
        l: Estimate::combine("L = Lq + busy", &[&lq, &busy], |v| v[0] + v[1]),
        util: Estimate::metric(&report, "srv", "utilization"),
        lq,
    }
}

#[test]
fn mm1_at_half_load() {
    // λ = 50/s, μ = 100/s: ρ = 0.5, W = 1/(μ−λ) = 20 ms, Wq = ρ/(μ−λ) = 10 ms,
    // L = ρ/(1−ρ) = 1, Lq = ρ²/(1−ρ) = 0.5.
    let s = measure_station(&single_station(
        50.0,
        1,
        r#"Exponential(mean: "10ms")"#,
        "2000s",
        "20s",
        20,
        101,
    ));
    s.w.assert_contains(0.020, 0.02);
    s.wq.assert_contains(0.010, 0.03);
    s.l.assert_contains(1.0, 0.02);
    s.lq.assert_contains(0.5, 0.03);
    s.util.assert_contains(0.5, 0.01);
}

#[test]
fn mm1_at_high_load() {
    // λ = 900/s, μ = 1000/s: ρ = 0.9, W = 10 ms, Wq = 9 ms, L = 9.
    let s = measure_station(&single_station(
        900.0,
        1,
        r#"Exponential(mean: "1ms")"#,
        "600s",
        "10s",
        30,
        202,
    ));
    s.w.assert_contains(0.010, 0.03);
    s.wq.assert_contains(0.009, 0.03);
    s.l.assert_contains(9.0, 0.03);
    s.util.assert_contains(0.9, 0.01);
}

/// Erlang C: the probability an arrival waits in M/M/c with offered load
/// `a` = λ/μ.
fn erlang_c(c: u32, a: f64) -> f64 {
    let rho = a / f64::from(c);
    let mut term = 1.0;
    let mut sum = 1.0; // k = 0
    for k in 1..c {
        term *= a / f64::from(k);
        sum += term;
    }
    let top = term * a / f64::from(c) / (1.0 - rho);
    top / (sum + top)
}

#[test]
fn mmc_with_four_servers() {
    // λ = 320/s, μ = 100/s per server, c = 4: a = 3.2, ρ = 0.8.
    let (lambda, mu, c) = (320.0, 100.0, 4);
    let a = lambda / mu;
    let wq = erlang_c(c, a) / (f64::from(c) * mu - lambda);
    let w = wq + 1.0 / mu;
    let s = measure_station(&single_station(
        lambda,
        c,
        r#"Exponential(mean: "10ms")"#,
        "1000s",
        "20s",
        20,
        303,
    ));
    s.wq.assert_contains(wq, 0.03);
    s.w.assert_contains(w, 0.02);
    s.l.assert_contains(lambda * w, 0.02);
    s.lq.assert_contains(lambda * wq, 0.03);
    s.util.assert_contains(0.8, 0.01);
}

#[test]
fn mm1k_blocking_probability() {
    // λ = 90/s, μ = 100/s, K = 5 in the system (queue capacity counts the
    // message being processed): P(block) = (1−ρ)ρ^K / (1−ρ^(K+1)).
    let (rho, k) = (0.9f64, 5);
    let p_block = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    let l = rho / (1.0 - rho) - f64::from(k + 1) * rho.powi(k + 1) / (1.0 - rho.powi(k + 1));
    let text = r#"(
        version: 1,
        name: "mm1k",
        scenario: (duration: "2000s", warmup: "10s", seed: 404, replications: 20),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 90.0))),
            (id: "q", kind: Queue(capacity: 5, overflow: DropNewest)),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
    )"#;
    let report = replicate(&model(text));
    let dropped = Estimate::metric(&report, "q", "dropped");
    let arrived = Estimate::metric(&report, "q", "arrived");
    let blocking = Estimate::combine("P(block)", &[&dropped, &arrived], |v| v[0] / v[1]);
    blocking.assert_contains(p_block, 0.03);
    let lq = Estimate::metric(&report, "q", "mean_depth");
    let busy = Estimate::metric(&report, "srv", "mean_busy");
    Estimate::combine("L", &[&lq, &busy], |v| v[0] + v[1]).assert_contains(l, 0.02);
    // The end of the flow is the consumer itself: W by Little over accepted work.
    let w = l / (90.0 * (1.0 - p_block));
    Estimate::metric(&report, "srv", "end_to_end_s.mean").assert_contains(w, 0.02);
}

#[test]
fn md1_deterministic_service() {
    // λ = 80/s, constant 10 ms: ρ = 0.8, Wq = ρ/(2μ(1−ρ)) = 20 ms.
    let s = measure_station(&single_station(
        80.0,
        1,
        r#"Constant("10ms")"#,
        "2000s",
        "20s",
        20,
        505,
    ));
    s.wq.assert_contains(0.020, 0.03);
    s.w.assert_contains(0.030, 0.02);
    s.lq.assert_contains(80.0 * 0.020, 0.03);
}

#[test]
fn mg1_lognormal_service() {
    // λ = 60/s, log-normal service with mean 10 ms and cv 1.5: ρ = 0.6,
    // E[S²] = (1 + cv²)·E[S]², Pollaczek–Khinchine: Wq = λE[S²]/(2(1−ρ)).
    let (lambda, es, cv) = (60.0, 0.010, 1.5);
    let rho = lambda * es;
    let wq = lambda * (1.0 + cv * cv) * es * es / (2.0 * (1.0 - rho));
    let s = measure_station(&single_station(
        lambda,
        1,
        r#"LogNormal(mean: "10ms", cv: 1.5)"#,
        "2000s",
        "20s",
        24,
        606,
    ));
    s.wq.assert_contains(wq, 0.04);
    s.w.assert_contains(wq + es, 0.03);
    s.util.assert_contains(rho, 0.01);
}

#[test]
fn tandem_of_three_stations() {
    // Jackson: each stage is M/M/1 at λ = 60/s; μ = 100, 80, 120/s.
    // W = Σ 1/(μᵢ − λ) = 25 + 50 + 16.67 ms.
    let text = r#"(
        version: 1,
        name: "tandem",
        scenario: (duration: "2000s", warmup: "20s", seed: 707, replications: 20),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 60.0))),
            (id: "q1", kind: Queue()),
            (id: "s1", kind: Consumer(service: Exponential(mean: "10ms"))),
            (id: "q2", kind: Queue()),
            (id: "s2", kind: Consumer(service: Exponential(mean: "12.5ms"))),
            (id: "q3", kind: Queue()),
            (id: "s3", kind: Consumer(service: Exponential(mean: "8333333ns"))),
            (id: "out", kind: Sink()),
        ],
        edges: [
            (from: "src", to: "q1"), (from: "q1", to: "s1"), (from: "s1", to: "q2"),
            (from: "q2", to: "s2"), (from: "s2", to: "q3"), (from: "q3", to: "s3"),
            (from: "s3", to: "out"),
        ],
    )"#;
    let report = replicate(&model(text));
    let mu3 = 1.0 / 0.008_333_333;
    let w = 1.0 / 40.0 + 1.0 / 20.0 + 1.0 / (mu3 - 60.0);
    Estimate::metric(&report, "out", "end_to_end_s.mean").assert_contains(w, 0.02);
    Estimate::metric(&report, "q2", "wait_s.mean").assert_contains((60.0 / 80.0) / 20.0, 0.03);
    Estimate::metric(&report, "q3", "mean_depth")
        .assert_contains((60.0 / mu3).powi(2) / (1.0 - 60.0 / mu3), 0.03);
}

#[test]
fn pubsub_fan_out_to_three_consumers() {
    // A topic copies every event to three queues, each an M/M/1 at λ = 50/s.
    let text = r#"(
        version: 1,
        name: "fan-out",
        scenario: (duration: "2000s", warmup: "20s", seed: 808, replications: 20),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
            (id: "topic", kind: Topic()),
            (id: "qa", kind: Queue()), (id: "a", kind: Consumer(service: Exponential(mean: "10ms"))),
            (id: "qb", kind: Queue()), (id: "b", kind: Consumer(service: Exponential(mean: "16ms"))),
            (id: "qc", kind: Queue()), (id: "c", kind: Consumer(service: Exponential(mean: "5ms"))),
        ],
        edges: [
            (from: "src", to: "topic"),
            (from: "topic", to: "qa"), (from: "topic", to: "qb"), (from: "topic", to: "qc"),
            (from: "qa", to: "a"), (from: "qb", to: "b"), (from: "qc", to: "c"),
        ],
    )"#;
    let report = replicate(&model(text));
    for (id, mu) in [("a", 100.0), ("b", 62.5), ("c", 200.0)] {
        Estimate::metric(&report, id, "end_to_end_s.mean").assert_contains(1.0 / (mu - 50.0), 0.03);
        Estimate::metric(&report, id, "utilization").assert_contains(50.0 / mu, 0.01);
    }
    // Every event became three deliveries.
    let c = report.conservation;
    assert_eq!(c.fanout_copies, 2 * c.emitted, "{c:?}");
    assert!(c.balanced(), "{c:?}");
}

#[test]
fn retry_loop_is_a_jackson_network_with_feedback() {
    // Failures (p = 0.25) go straight back to the tail of the queue: the
    // station sees λ/(1−p) = 80/s at μ = 100/s, and a message needs
    // 1/(1−p) visits on average: W = 1/((1−p)(μ − λ/(1−p))) = 66.7 ms.
    let (lambda, p, mu) = (60.0, 0.25, 100.0);
    let lambda_eff = lambda / (1.0 - p);
    let text = r#"(
        version: 1,
        name: "feedback",
        scenario: (duration: "2000s", warmup: "20s", seed: 909, replications: 20),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 60.0))),
            (id: "q", kind: Queue()),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"), failure: 0.25, retry: Immediate())),
            (id: "out", kind: Sink()),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
    )"#;
    let report = replicate(&model(text));
    let w = 1.0 / ((1.0 - p) * (mu - lambda_eff));
    Estimate::metric(&report, "out", "end_to_end_s.mean").assert_contains(w, 0.03);
    Estimate::metric(&report, "srv", "utilization").assert_contains(lambda_eff / mu, 0.01);
    let rho = lambda_eff / mu;
    Estimate::metric(&report, "q", "mean_depth").assert_contains(rho * rho / (1.0 - rho), 0.04);
    // Retries per message: p/(1−p) = 1/3.
    let retries = Estimate::metric(&report, "srv", "retries");
    let arrived = Estimate::metric(&report, "src", "departed");
    Estimate::combine("retries per message", &[&retries, &arrived], |v| {
        v[0] / v[1]
    })
    .assert_contains(p / (1.0 - p), 0.02);
}

#[test]
fn littles_law_holds_on_measured_data() {
    // L = λW on each replication's own measurements, not against theory:
    // a bookkeeping error in levels or latencies breaks it.
    let report = replicate(&model(&single_station(
        70.0,
        2,
        r#"LogNormal(mean: "20ms", cv: 2.0)"#,
        "600s",
        "10s",
        6,
        1001,
    )));
    for run in &report.runs {
        let q = run.node("q").expect("queue");
        let srv = run.node("srv").expect("consumer");
        let out = run.node("out").expect("sink");
        let measured = run.sim_time_s - run.warmup_s;
        let lambda = q.get("arrived").expect("arrived") / measured;
        let l = q.get("mean_depth").expect("depth") + srv.get("mean_busy").expect("busy");
        let w = out.get("end_to_end_s.mean").expect("e2e");
        assert!(
            (l / (lambda * w) - 1.0).abs() < 0.01,
            "seed {}: L = {l}, λW = {}",
            run.seed,
            lambda * w
        );
        let lq = q.get("mean_depth").expect("depth");
        let wq = q.get("wait_s.mean").expect("wait");
        assert!(
            (lq / (lambda * wq) - 1.0).abs() < 0.01,
            "seed {}: Lq = {lq}, λWq = {}",
            run.seed,
            lambda * wq
        );
    }
}

#[test]
fn autoscaled_group_lies_between_its_fixed_sizes() {
    // λ = 30/s, μ = 20/s per instance, between 2 and 4 instances: the mean
    // queue length must fall between that of M/M/4 and that of M/M/2.
    let (lambda, mu) = (30.0, 20.0);
    let lq = |c: u32| {
        let a = lambda / mu;
        let rho = a / f64::from(c);
        erlang_c(c, a) * rho / (1.0 - rho)
    };
    let text = r#"(
        version: 1,
        name: "autoscaled",
        scenario: (duration: "2000s", warmup: "60s", seed: 1111, replications: 12),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 30.0))),
            (id: "q", kind: Queue()),
            (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "50ms"),
                autoscale: (min: 2, max: 4, target: Utilization(target: 0.5), interval: "10s",
                    scale_out_cooldown: "20s", scale_in_cooldown: "60s", startup: "5s"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
    )"#;
    let report = replicate(&model(text));
    let depth = Estimate::metric(&report, "q", "mean_depth");
    let (mean, _) = sim_core::stats::mean_sd(&depth.samples);
    let hw =
        sim_core::stats::half_width(&depth.samples, weir_tests::CONFIDENCE).expect("replications");
    let (low, high) = (lq(4), lq(2));
    assert!(
        low < mean - hw && mean + hw < high,
        "Lq {mean} ± {hw} not within M/M/4 {low} and M/M/2 {high}"
    );
    let instances = Estimate::metric(&report, "srv", "instances");
    let (n, _) = sim_core::stats::mean_sd(&instances.samples);
    assert!((2.0..4.0).contains(&n), "mean instances {n}");
}

/// Erlang B: the share of arrivals lost at `c` busy servers, offered load `a`.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

#[test]
fn serverless_function_without_queue_loses_erlang_b() {
    // Pushes at λ = 80/s to a function with at most 5 concurrent
    // executions of mean 50 ms (a = 4 Erlangs), no retries: what arrives
    // while all 5 are busy is throttled, with probability B(5, 4) ≈ 0.199
    // whatever the service-time distribution.
    let b = erlang_b(5, 4.0);
    for service in [
        r#"Exponential(mean: "50ms")"#,
        r#"LogNormal(mean: "50ms", cv: 2.0)"#,
    ] {
        let text = format!(
            r#"(
                version: 1,
                name: "erlang-b",
                scenario: (duration: "2000s", warmup: "10s", seed: 1212, replications: 16),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
                    (id: "fn", kind: Consumer(service: {service}, serverless: (concurrency: 5))),
                ],
                edges: [(from: "src", to: "fn")],
            )"#
        );
        let report = replicate(&model(&text));
        let throttled = Estimate::metric(&report, "fn", "drops.throttled");
        let arrived = Estimate::metric(&report, "fn", "arrived");
        Estimate::combine("P(throttled)", &[&throttled, &arrived], |v| v[0] / v[1])
            .assert_contains(b, 0.03);
    }
}

#[test]
fn log_partitions_with_one_member_each_are_mm1_queues() {
    // Poisson orders at 40/s with 1 000 keys, hashed onto 4 partitions,
    // read by a group of 4 members (one per partition) taking Exp(70 ms):
    // key hashing thins the Poisson stream, so partition p is an M/M/1
    // queue at λ_p = 40 × (its share of the keys), and its lag in messages
    // (records appended, not yet committed) is L = ρ/(1−ρ). A record's
    // wait in the log before it is read is Wq = ρ/(μ−λ_p).
    let (lambda, mu, keys, partitions) = (40.0, 1.0 / 0.070, 1000u32, 4u32);
    let mut share = [0u32; 4];
    for key in 0..keys {
        share[sim_core::nodes::log::partition_for_key(key, partitions) as usize] += 1;
    }
    let report = replicate(&model(&format!(
        r#"(
            version: 1,
            name: "log M/M/1",
            scenario: (duration: "2000s", warmup: "100s", seed: 41, replications: 20),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}), keys: {keys})),
                (id: "log", kind: Log(partitions: {partitions})),
                (id: "group", kind: Consumer(instances: {partitions}, service: Exponential(mean: "70ms"))),
            ],
            edges: [(from: "src", to: "log"), (from: "log", to: "group")],
        )"#
    )));
    let mut total_l = 0.0;
    let mut weighted_wq = 0.0;
    for (p, &n) in share.iter().enumerate() {
        let lambda_p = lambda * f64::from(n) / f64::from(keys);
        let rho = lambda_p / mu;
        let l = rho / (1.0 - rho);
        total_l += l;
        weighted_wq += lambda_p * rho / (mu - lambda_p);
        Estimate::metric(
            &report,
            "log",
            &format!("groups.group.partitions.{p}.lag.mean"),
        )
        .assert_contains(l, 0.06);
    }
    Estimate::metric(&report, "log", "groups.group.lag.mean").assert_contains(total_l, 0.04);
    Estimate::metric(&report, "log", "wait_s.mean").assert_contains(weighted_wq / lambda, 0.05);
}
