//! The engine against queueing theory. Each test runs independent
//! replications with fixed seeds and checks that the 99.9% confidence
//! interval of each measured mean contains the analytic value, and that
//! the interval is narrow (a few percent), so a wrong engine fails.

use sim_core::Report;
use weir_tests::{Estimate, model, replicate, run_metric};

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

/// What a check measures, per replication.
#[derive(Clone, Debug)]
enum Measure {
    /// A node's metric.
    Metric(&'static str, String),
    /// The sum of two metrics.
    Sum(&'static str, [(&'static str, &'static str); 2]),
    /// One metric divided by another.
    Ratio(&'static str, [(&'static str, &'static str); 2]),
}

use Measure::{Ratio, Sum};

fn metric(node: &'static str, path: &str) -> Measure {
    Measure::Metric(node, path.to_owned())
}

/// The station of [`single_station`]: time in the system (at the sink),
/// time in the queue, number in the system and in the queue, utilization.
fn w() -> Measure {
    metric("out", "end_to_end_s.mean")
}
fn wq() -> Measure {
    metric("q", "wait_s.mean")
}
fn l() -> Measure {
    Sum("L = Lq + busy", [("q", "mean_depth"), ("srv", "mean_busy")])
}
fn lq() -> Measure {
    metric("q", "mean_depth")
}
fn util() -> Measure {
    metric("srv", "utilization")
}

/// A measured mean that must match theory: its 99.9% interval contains
/// `expected` and is at most `max_rel` of it wide (half-width).
#[derive(Debug)]
struct Check {
    measure: Measure,
    expected: f64,
    max_rel: f64,
}

fn check(measure: Measure, expected: f64, max_rel: f64) -> Check {
    Check {
        measure,
        expected,
        max_rel,
    }
}

/// A queueing model, the replications that measure it (in its scenario)
/// and what theory says of it.
#[derive(Debug)]
struct Case {
    name: &'static str,
    model: String,
    checks: Vec<Check>,
    /// Exact checks on the report beside the statistical ones.
    also: Option<fn(&Report)>,
}

fn case(name: &'static str, model: String, checks: Vec<Check>) -> Case {
    Case {
        name,
        model,
        checks,
        also: None,
    }
}

impl Case {
    /// Replicates the model and makes every check; a failure names the
    /// case and the quantity.
    fn run(&self) {
        let report = replicate(&model(&self.model));
        for c in &self.checks {
            let estimate = |node: &str, path: &str| Estimate::metric(&report, node, path);
            let measured = match &c.measure {
                Measure::Metric(node, path) => estimate(node, path),
                Sum(_, [a, b]) => {
                    Estimate::combine("", &[&estimate(a.0, a.1), &estimate(b.0, b.1)], |v| {
                        v[0] + v[1]
                    })
                }
                Ratio(_, [a, b]) => {
                    Estimate::combine("", &[&estimate(a.0, a.1), &estimate(b.0, b.1)], |v| {
                        v[0] / v[1]
                    })
                }
            };
            let label = match &c.measure {
                Measure::Metric(node, path) => format!("{node}.{path}"),
                Sum(label, _) | Ratio(label, _) => (*label).to_owned(),
            };
            Estimate::new(format!("{}: {label}", self.name), measured.samples)
                .assert_contains(c.expected, c.max_rel);
        }
        if let Some(also) = self.also {
            also(&report);
        }
    }
}

fn mm1_at_half_load() -> Case {
    // λ = 50/s, μ = 100/s: ρ = 0.5, W = 1/(μ−λ) = 20 ms, Wq = ρ/(μ−λ) = 10 ms,
    // L = ρ/(1−ρ) = 1, Lq = ρ²/(1−ρ) = 0.5.
    case(
        "M/M/1 at half load",
        single_station(
            50.0,
            1,
            r#"Exponential(mean: "10ms")"#,
            "2000s",
            "20s",
            20,
            101,
        ),
        vec![
            check(w(), 0.020, 0.02),
            check(wq(), 0.010, 0.03),
            check(l(), 1.0, 0.02),
            check(lq(), 0.5, 0.03),
            check(util(), 0.5, 0.01),
        ],
    )
}

fn mm1_at_high_load() -> Case {
    // λ = 900/s, μ = 1000/s: ρ = 0.9, W = 10 ms, Wq = 9 ms, L = 9.
    case(
        "M/M/1 at high load",
        single_station(
            900.0,
            1,
            r#"Exponential(mean: "1ms")"#,
            "600s",
            "10s",
            30,
            202,
        ),
        vec![
            check(w(), 0.010, 0.03),
            check(wq(), 0.009, 0.03),
            check(l(), 9.0, 0.03),
            check(util(), 0.9, 0.01),
        ],
    )
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

fn mmc_with_four_servers() -> Case {
    // λ = 320/s, μ = 100/s per server, c = 4: a = 3.2, ρ = 0.8.
    let (lambda, mu, c) = (320.0, 100.0, 4);
    let a = lambda / mu;
    let wq_theory = erlang_c(c, a) / (f64::from(c) * mu - lambda);
    let w_theory = wq_theory + 1.0 / mu;
    case(
        "M/M/4",
        single_station(
            lambda,
            c,
            r#"Exponential(mean: "10ms")"#,
            "1000s",
            "20s",
            20,
            303,
        ),
        vec![
            check(wq(), wq_theory, 0.03),
            check(w(), w_theory, 0.02),
            check(l(), lambda * w_theory, 0.02),
            check(lq(), lambda * wq_theory, 0.03),
            check(util(), 0.8, 0.01),
        ],
    )
}

fn mm1k_blocking_probability() -> Case {
    // λ = 90/s, μ = 100/s, K = 5 in the system (queue capacity counts the
    // message being processed): P(block) = (1−ρ)ρ^K / (1−ρ^(K+1)).
    let (rho, k) = (0.9f64, 5);
    let p_block = (1.0 - rho) * rho.powi(k) / (1.0 - rho.powi(k + 1));
    let l_theory = rho / (1.0 - rho) - f64::from(k + 1) * rho.powi(k + 1) / (1.0 - rho.powi(k + 1));
    // The end of the flow is the consumer itself: W by Little over accepted work.
    let w_theory = l_theory / (90.0 * (1.0 - p_block));
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
    case(
        "M/M/1/K blocking",
        text.to_owned(),
        vec![
            check(
                Ratio("P(block)", [("q", "dropped"), ("q", "arrived")]),
                p_block,
                0.03,
            ),
            check(l(), l_theory, 0.02),
            check(metric("srv", "end_to_end_s.mean"), w_theory, 0.02),
        ],
    )
}

fn md1_deterministic_service() -> Case {
    // λ = 80/s, constant 10 ms: ρ = 0.8, Wq = ρ/(2μ(1−ρ)) = 20 ms.
    case(
        "M/D/1",
        single_station(80.0, 1, r#"Constant("10ms")"#, "2000s", "20s", 20, 505),
        vec![
            check(wq(), 0.020, 0.03),
            check(w(), 0.030, 0.02),
            check(lq(), 80.0 * 0.020, 0.03),
        ],
    )
}

fn mg1_lognormal_service() -> Case {
    // λ = 60/s, log-normal service with mean 10 ms and cv 1.5: ρ = 0.6,
    // E[S²] = (1 + cv²)·E[S]², Pollaczek–Khinchine: Wq = λE[S²]/(2(1−ρ)).
    let (lambda, es, cv) = (60.0, 0.010, 1.5);
    let rho = lambda * es;
    let wq_theory = lambda * (1.0 + cv * cv) * es * es / (2.0 * (1.0 - rho));
    case(
        "M/G/1 log-normal",
        single_station(
            lambda,
            1,
            r#"LogNormal(mean: "10ms", cv: 1.5)"#,
            "2000s",
            "20s",
            24,
            606,
        ),
        vec![
            check(wq(), wq_theory, 0.04),
            check(w(), wq_theory + es, 0.03),
            check(util(), rho, 0.01),
        ],
    )
}

fn tandem_of_three_stations() -> Case {
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
    let mu3 = 1.0 / 0.008_333_333;
    let w_theory = 1.0 / 40.0 + 1.0 / 20.0 + 1.0 / (mu3 - 60.0);
    case(
        "tandem of three M/M/1",
        text.to_owned(),
        vec![
            check(w(), w_theory, 0.02),
            check(metric("q2", "wait_s.mean"), (60.0 / 80.0) / 20.0, 0.03),
            check(
                metric("q3", "mean_depth"),
                (60.0 / mu3).powi(2) / (1.0 - 60.0 / mu3),
                0.03,
            ),
        ],
    )
}

fn pubsub_fan_out_to_three_consumers() -> Case {
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
    let mut checks = Vec::new();
    for (id, mu) in [("a", 100.0), ("b", 62.5), ("c", 200.0)] {
        checks.push(check(
            metric(id, "end_to_end_s.mean"),
            1.0 / (mu - 50.0),
            0.03,
        ));
        checks.push(check(metric(id, "utilization"), 50.0 / mu, 0.01));
    }
    Case {
        also: Some(|report| {
            // Every event became three deliveries.
            let c = report.conservation;
            assert_eq!(c.fanout_copies, 2 * c.emitted, "pub/sub fan-out: {c:?}");
            assert!(c.balanced(), "pub/sub fan-out: {c:?}");
        }),
        ..case("pub/sub fan-out", text.to_owned(), checks)
    }
}

fn retry_loop_is_a_jackson_network_with_feedback() -> Case {
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
    let rho = lambda_eff / mu;
    case(
        "retry loop (Jackson with feedback)",
        text.to_owned(),
        vec![
            check(w(), 1.0 / ((1.0 - p) * (mu - lambda_eff)), 0.03),
            check(util(), lambda_eff / mu, 0.01),
            check(lq(), rho * rho / (1.0 - rho), 0.04),
            // Retries per message: p/(1−p) = 1/3.
            check(
                Ratio(
                    "retries per message",
                    [("srv", "retries"), ("src", "departed")],
                ),
                p / (1.0 - p),
                0.02,
            ),
        ],
    )
}

/// Erlang B: the share of arrivals lost at `c` busy servers, offered load `a`.
fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

fn serverless_function_without_queue_loses_erlang_b(service: &str) -> Case {
    // Pushes at λ = 80/s to a function with at most 5 concurrent
    // executions of mean 50 ms (a = 4 Erlangs), no retries: what arrives
    // while all 5 are busy is throttled, with probability B(5, 4) ≈ 0.199
    // whatever the service-time distribution.
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
    Case {
        name: if service.starts_with("Exponential") {
            "serverless Erlang B, exponential service"
        } else {
            "serverless Erlang B, log-normal service"
        },
        ..case(
            "",
            text,
            vec![check(
                Ratio(
                    "P(throttled)",
                    [("fn", "drops.throttled"), ("fn", "arrived")],
                ),
                erlang_b(5, 4.0),
                0.03,
            )],
        )
    }
}

fn log_partitions_with_one_member_each_are_mm1_queues() -> Case {
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
    let text = format!(
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
    );
    let mut checks = Vec::new();
    let mut total_l = 0.0;
    let mut weighted_wq = 0.0;
    for (p, &n) in share.iter().enumerate() {
        let lambda_p = lambda * f64::from(n) / f64::from(keys);
        let rho = lambda_p / mu;
        let l_p = rho / (1.0 - rho);
        total_l += l_p;
        weighted_wq += lambda_p * rho / (mu - lambda_p);
        checks.push(check(
            metric("log", &format!("groups.group.partitions.{p}.lag.mean")),
            l_p,
            0.06,
        ));
    }
    checks.push(check(metric("log", "groups.group.lag.mean"), total_l, 0.04));
    checks.push(check(
        metric("log", "wait_s.mean"),
        weighted_wq / lambda,
        0.05,
    ));
    case("log partitions as M/M/1 queues", text, checks)
}

/// Erlang-A (M/M/c+M): Poisson arrivals at `lambda`, `c` exponential
/// servers at `mu` each, and exponential patience at rate `theta` in the
/// queue. Returns the probability an arrival abandons and the mean wait of
/// those served.
///
/// The number in the system is a birth–death chain (deaths `nμ` up to `c`,
/// then `cμ + (n−c)θ`); an arrival sees it in steady state (PASTA). With
/// `q` waiting ahead of it, it moves up one place at rate `cμ + iθ` while
/// `i` are ahead (a server frees or one of them gives up) and gives up at
/// rate `θ` itself, so it is served with probability
/// `∏ (cμ+iθ)/(cμ+iθ+θ)` over `i = q…0`, after a wait of mean
/// `Σ 1/(cμ+iθ+θ)` when it is.
fn erlang_a(lambda: f64, mu: f64, c: u32, theta: f64) -> (f64, f64) {
    let c_mu = f64::from(c) * mu;
    let mut p = vec![1.0_f64];
    let mut total = 1.0;
    loop {
        let n = p.len();
        let death = if n <= c as usize {
            n as f64 * mu
        } else {
            c_mu + (n - c as usize) as f64 * theta
        };
        let next = p[n - 1] * lambda / death;
        p.push(next);
        total += next;
        if n > c as usize + 10 && next < 1e-18 * total {
            break;
        }
    }
    let (mut served, mut waited) = (0.0, 0.0);
    for (n, pn) in p.iter().map(|pn| pn / total).enumerate() {
        let Some(ahead) = n.checked_sub(c as usize) else {
            served += pn;
            continue;
        };
        let (mut reach, mut mean) = (1.0, 0.0);
        for i in 0..=ahead {
            let progress = c_mu + i as f64 * theta;
            reach *= progress / (progress + theta);
            mean += 1.0 / (progress + theta);
        }
        served += pn * reach;
        waited += pn * reach * mean;
    }
    (1.0 - served, waited / served)
}

/// Messages with an exponential time to live, discarded when a consumer
/// receives them too late, are Erlang-A's impatient customers: a message
/// that expires in the queue is passed over at once when its turn comes,
/// which takes no server time, so the others wait as if it had left when
/// it expired.
fn deadlines_discarded_on_receipt_are_erlang_a() -> Case {
    // λ = 22/s, c = 2, μ = 10/s (ρ = 1.1: only abandonment keeps it
    // stable), mean patience 0.5 s (θ = 2/s).
    let (lambda, mu, c, theta) = (22.0, 10.0, 2, 2.0);
    let (abandon, wait_served) = erlang_a(lambda, mu, c, theta);
    let text = r#"(
        version: 1,
        name: "impatient",
        scenario: (duration: "1500s", warmup: "20s", seed: 909, replications: 20),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 22.0), ttl: Exponential(mean: "500ms"))),
            (id: "q", kind: Queue()),
            (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "100ms"))),
            (id: "out", kind: Sink()),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
    )"#
    .to_owned();
    let mut case = case(
        "Erlang-A: deadlines discarded on receipt",
        text,
        vec![
            check(
                Ratio("P(abandon)", [("srv", "expired"), ("srv", "arrived")]),
                abandon,
                0.03,
            ),
            // Served messages go straight on: their time end to end is
            // their wait and their service.
            check(w(), wait_served + 1.0 / mu, 0.03),
        ],
    );
    case.also = Some(|report| {
        // Every message that reaches the sink was received in time, but
        // some finish their service past their deadline: the goodput is
        // below the throughput.
        let out = report.node("out").expect("the sink");
        let rate = |path| out.value(path).expect(path);
        let (throughput, goodput) = (rate("throughput_per_s"), rate("goodput_per_s"));
        assert!(
            goodput > 0.5 * throughput && goodput < throughput,
            "goodput {goodput} against throughput {throughput}"
        );
        let expired = report.node("srv").and_then(|n| n.value("expired"));
        assert!(expired.is_some_and(|n| n > 0.0), "{expired:?}");
    });
    case
}

/// M/M/1 whose server breaks down at random, busy or idle: up times
/// Exp(ξ), repairs Exp(η), Poisson arrivals at λ, Exp(μ) service while up.
/// The generating function of the number in the system (two phases, up
/// and down) gives
/// `L = λ(μ+η+ξ−λ) / (μη − λ(η+ξ)) − λ/(η+ξ)`, stable while λ < μ·A with
/// the availability `A = η/(η+ξ) = MTBF/(MTBF+MTTR)`; without breakdowns
/// (ξ = 0) it is M/M/1's λ/(μ−λ). A crash interrupts the message in
/// service; the log gives it back first, and an exponential service
/// started again is as long as one resumed, so the engine's crash is the
/// formula's breakdown. By Little, W = L/λ.
fn mm1_with_server_breakdowns() -> Case {
    // Short cycles (a breakdown every 2.2 s on average), so a run sees
    // many and the mean is narrow: A = 2/2.2, W ≈ 52 ms against M/M/1's
    // 17 ms.
    let (lambda, mu, mtbf, mttr) = (40.0, 100.0, 2.0, 0.2);
    let (xi, eta) = (1.0 / mtbf, 1.0 / mttr);
    let l =
        lambda * (mu + eta + xi - lambda) / (mu * eta - lambda * (eta + xi)) - lambda / (eta + xi);
    let availability = mtbf / (mtbf + mttr);
    let (duration, warmup) = (4000.0, 100.0);
    let text = format!(
        r#"(
            version: 1,
            name: "M/M/1 with breakdowns",
            scenario: (
                duration: "{duration}s", warmup: "{warmup}s", seed: 53, replications: 40,
                random_faults: [
                    (node: "srv", effect: Crash, between: Exponential(mean: "{mtbf}s"), duration: Exponential(mean: "{mttr}s")),
                ],
            ),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}))),
                (id: "log", kind: Log(rebalance_pause: "0s")),
                (id: "srv", kind: Consumer(service: Exponential(mean: "{}ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "log"), (from: "log", to: "srv"), (from: "srv", to: "out")],
        )"#,
        1000.0 / mu
    );
    case(
        "M/M/1 with server breakdowns",
        text,
        vec![
            check(metric("srv", "availability"), availability, 0.005),
            check(w(), l / lambda, 0.04),
            check(
                metric("srv", "outages"),
                (duration - warmup) / (mtbf + mttr),
                0.03,
            ),
        ],
    )
}

/// A replicated log whose leader crashes at random, its producers'
/// writes acknowledged by the leader alone (`acks: Leader`): a write
/// reaches the followers, and the readers, a constant replication lag `L`
/// after the leader took it, so each crash loses the writes of the last
/// `L`, whatever the readers do. With Poisson writes at λ that is `λL` per
/// crash, and the age of the oldest of them (the data-loss window the
/// report calls `rpo_s`, 0 when none arrived) is
/// `E[L − min(U, L)] = L − (1 − e^(−λL))/λ` with `U ~ Exp(λ)` the time from
/// the window's start to its first write. A failover makes the log
/// unavailable for the election time `e` of each crash, so its
/// availability is `1 − e/(MTBF + MTTR)`. Each crash lasts longer than an
/// election, so the next comes only once the log has been up for a while:
/// no crash falls in an election, when nothing is written (a crash
/// within `L` after one would find less to lose).
fn data_at_risk_under_asynchronous_replication() -> Case {
    let (lambda, lag, election, mtbf, mttr) = (100.0, 0.2_f64, 1.0, 10.0, 2.0);
    let (duration, warmup) = (2000.0, 50.0);
    let text = format!(
        r#"(
            version: 1,
            name: "data at risk",
            scenario: (
                duration: "{duration}s", warmup: "{warmup}s", seed: 59, replications: 40,
                random_faults: [
                    (node: "log", effect: Crash, between: Exponential(mean: "{mtbf}s"), duration: Constant("{mttr}s")),
                ],
            ),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}))),
                (id: "log", kind: Log(retention: "30s", durability: (
                    replicas: 3, min_in_sync: 2, acks: Leader,
                    election: Constant("{election}s"), replication: Constant("{lag}s"),
                ))),
                (id: "reader", kind: Consumer(service: Exponential(mean: "2ms"))),
            ],
            edges: [(from: "src", to: "log"), (from: "log", to: "reader")],
        )"#
    );
    case(
        "Data at risk under asynchronous replication",
        text,
        vec![
            check(
                Ratio("lost per crash", [("log", "lost"), ("log", "failovers")]),
                lambda * lag,
                0.02,
            ),
            check(
                metric("log", "rpo_s"),
                lag - (1.0 - (-lambda * lag).exp()) / lambda,
                0.02,
            ),
            check(
                metric("log", "availability"),
                1.0 - election / (mtbf + mttr),
                0.005,
            ),
        ],
    )
}

/// A log in region `east` copying every write asynchronously to a standby
/// in `west`, a constant lag `L` behind. Each outage of its active region
/// loses the writes the standby does not have: those of the last `L`, `λL`
/// with Poisson writes at λ, and the oldest of them is `L − (1 − e^(−λL))/λ`
/// old (as for a leader's crash, above). The log is unavailable for the
/// detection time plus the switch time `d + s` of each failover. The
/// outages alternate between the two regions, each hitting the one the
/// log serves from then, and each comes long after the last failover, so
/// a full lag of writes is always at risk.
fn data_lost_in_a_region_failover() -> Case {
    let (lambda, lag, detection, switch) = (100.0, 0.5_f64, 1.0, 2.0);
    let (outages, every, first) = (40, 50.0, 20.0);
    let duration = first + every * f64::from(outages);
    let list: Vec<String> = (0..outages)
        .map(|k| {
            let region = if k % 2 == 0 { "east" } else { "west" };
            let at = first + every * f64::from(k);
            format!(r#"(region: "{region}", at: "{at}s", duration: "10s")"#)
        })
        .collect();
    let list = list.join(", ");
    let text = format!(
        r#"(
            version: 1,
            name: "region failover",
            scenario: (
                duration: "{duration}s", warmup: "10s", seed: 61, replications: 20,
                region_outages: [{list}],
            ),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}))),
                (id: "log", region: "east", kind: Log(retention: "30s", durability: (replicas: 1,
                    standby: (region: "west", replication: Async, lag: Constant("{lag}s"),
                              detection: Constant("{detection}s"), switch: Constant("{switch}s")),
                ))),
                (id: "reader", kind: Consumer(service: Exponential(mean: "2ms"))),
            ],
            edges: [(from: "src", to: "log"), (from: "log", to: "reader")],
        )"#
    );
    case(
        "Data lost in a region failover under asynchronous replication",
        text,
        vec![
            check(
                Ratio(
                    "data lost per failover",
                    [("log", "dr_data_lost"), ("log", "region_failovers")],
                ),
                lambda * lag,
                0.02,
            ),
            check(
                metric("log", "rpo_s"),
                lag - (1.0 - (-lambda * lag).exp()) / lambda,
                0.02,
            ),
            check(metric("log", "rto_s"), detection + switch, 0.001),
        ],
    )
}

/// Event Hubs' ingress limit: Poisson arrivals at λ into a hub whose
/// throughput units let in r < λ events per second, its senders failing
/// when throttled. In the long run the hub lets in r per second and fails
/// the rest, a share 1 − r/λ; the one second's quota a quiet hub may take
/// at once moves the counts by at most r over the whole run.
fn event_hubs_ingress_beyond_its_throughput_units() -> Case {
    // 2 units of 4 KB events: 2 × min(1000, 10⁶/4000) = 500 events/s.
    let (lambda, rate) = (800.0, 500.0);
    let text = format!(
        r#"(
            version: 1,
            name: "Event Hubs ingress",
            scenario: (duration: "400s", warmup: "10s", seed: 61, replications: 10),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}), keys: 64)),
                (id: "hub", kind: Log(partitions: 8, event_hubs: (throughput_units: 2, event_bytes: 4000, on_throttle: Error))),
                (id: "c", kind: Consumer(instances: 8, service: Exponential(mean: "2ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "hub"), (from: "hub", to: "c"), (from: "c", to: "out")],
        )"#
    );
    case(
        "Event Hubs ingress beyond its throughput units",
        text,
        vec![
            check(
                Ratio(
                    "share throttled",
                    [("hub", "drops.throttled"), ("hub", "arrived")],
                ),
                1.0 - rate / lambda,
                0.01,
            ),
            check(metric("out", "throughput_per_s"), rate, 0.01),
        ],
    )
}

/// A consumer group that saves its offsets every T and crashes at random
/// (exponential up times, so a crash falls anywhere between two
/// checkpoints): after each crash it reads again what it processed since
/// the last checkpoint, λ·U records for a uniform U in [0, T), λT/2 on
/// average. The repairs are short beside T, so a crash seldom follows one
/// whose outage spanned a checkpoint (which would add a period; under
/// 0.2 % here). Every record read again completes twice.
fn checkpoint_duplicates_per_crash() -> Case {
    let (lambda, every) = (5.0, 10.0);
    let text = format!(
        r#"(
            version: 1,
            name: "checkpoints",
            scenario: (
                duration: "40000s", seed: 67, replications: 20,
                random_faults: [
                    (node: "c", effect: Crash, between: Exponential(mean: "100s"), duration: Constant("100ms")),
                ],
            ),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}), keys: 16)),
                (id: "hub", kind: Log(partitions: 2, rebalance_pause: "0s", checkpoint: "{every}s")),
                (id: "c", kind: Consumer(instances: 2, service: Constant("1ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "hub"), (from: "hub", to: "c"), (from: "c", to: "out")],
        )"#
    );
    let mut case = case(
        "Duplicates after a crash, with periodic checkpoints",
        text,
        vec![check(
            Ratio(
                "records read again per crash",
                [("hub", "groups.c.redelivered"), ("c", "outages")],
            ),
            lambda * every / 2.0,
            0.04,
        )],
    );
    case.also = Some(|report| {
        let value = |node: &str, path: &str| weir_tests::metric(report, node, path);
        assert_eq!(
            value("out", "duplicates"),
            value("hub", "groups.c.redelivered"),
            "every record read again completes twice"
        );
    });
    case
}

/// A transactional outbox whose relay polls every T and takes a publish
/// delay p < T to reach the broker, written to as a Poisson stream and
/// never behind: a row written at a uniform time within a poll interval
/// waits for the next tick, T/2 on average, then for the publish.
fn outbox_wait_is_half_a_poll_plus_the_publish_delay() -> Case {
    let (poll, publish) = (1.0, 0.1);
    let text = format!(
        r#"(
            version: 1,
            name: "outbox wait",
            scenario: (duration: "500s", warmup: "5s", seed: 71, replications: 20),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 20.0),
                    outbox: (poll: "{poll}s", batch: 1000, publish: Constant("{publish}s")))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "out")],
        )"#
    );
    case(
        "Outbox wait: half a poll plus the publish delay",
        text,
        vec![
            check(
                metric("src", "outbox_wait_s.mean"),
                poll / 2.0 + publish,
                0.01,
            ),
            check(
                metric("out", "end_to_end_s.mean"),
                poll / 2.0 + publish,
                0.01,
            ),
        ],
    )
}

/// A relay that polls every T takes a batch of the last interval's rows,
/// λT on average, and spends p < T of each interval publishing it. A crash
/// at a random time falls in a publish with probability p/T, and the batch
/// then on its way reaches the broker unmarked and is published again
/// after the restart: λT·p/T = λp rows per crash. (Crashes are rare beside
/// T, so one seldom falls on a batch another crash already orphaned.)
fn outbox_rows_published_again_per_crash() -> Case {
    let (lambda, poll, publish) = (20.0, 1.0, 0.5);
    let text = format!(
        r#"(
            version: 1,
            name: "outbox crashes",
            scenario: (
                duration: "12000s", seed: 73, replications: 30,
                random_faults: [
                    (node: "src", effect: Crash, between: Exponential(mean: "20s"), duration: Constant("10ms")),
                ],
            ),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {lambda:?}),
                    outbox: (poll: "{poll}s", batch: 10000, publish: Constant("{publish}s")))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "out")],
        )"#
    );
    let mut case = case(
        "Outbox rows published again per crash",
        text,
        vec![check(
            Ratio(
                "rows published again per crash",
                [("src", "outbox_republished"), ("src", "outages")],
            ),
            lambda * publish,
            0.05,
        )],
    );
    case.also = Some(|report| {
        let value = |node: &str, path: &str| weir_tests::metric(report, node, path);
        assert_eq!(
            value("out", "duplicates"),
            value("src", "outbox_republished"),
            "every row published again arrives twice"
        );
    });
    case
}

/// Every queueing model with an analytic answer, one case each.
fn cases() -> Vec<Case> {
    vec![
        mm1_at_half_load(),
        mm1_at_high_load(),
        mmc_with_four_servers(),
        mm1k_blocking_probability(),
        md1_deterministic_service(),
        mg1_lognormal_service(),
        tandem_of_three_stations(),
        pubsub_fan_out_to_three_consumers(),
        retry_loop_is_a_jackson_network_with_feedback(),
        serverless_function_without_queue_loses_erlang_b(r#"Exponential(mean: "50ms")"#),
        serverless_function_without_queue_loses_erlang_b(r#"LogNormal(mean: "50ms", cv: 2.0)"#),
        log_partitions_with_one_member_each_are_mm1_queues(),
        deadlines_discarded_on_receipt_are_erlang_a(),
        mm1_with_server_breakdowns(),
        data_at_risk_under_asynchronous_replication(),
        data_lost_in_a_region_failover(),
        event_hubs_ingress_beyond_its_throughput_units(),
        checkpoint_duplicates_per_crash(),
        outbox_wait_is_half_a_poll_plus_the_publish_delay(),
        outbox_rows_published_again_per_crash(),
    ]
}

/// Runs every case, each on its own, and fails naming every case that
/// disagrees with theory (not only the first).
#[test]
fn queueing_models_match_theory() {
    let cases = cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), cases.len(), "two cases share a name");
    let failures: Vec<String> = cases
        .iter()
        .filter_map(|case| {
            std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| case.run()))
                .err()
                .map(|panic| {
                    let message = panic
                        .downcast_ref::<String>()
                        .cloned()
                        .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                        .unwrap_or_default();
                    // Checks name their case themselves; other panics
                    // (a model that does not load) are named here.
                    if message.starts_with(case.name) {
                        message
                    } else {
                        format!("{}: {message}", case.name)
                    }
                })
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} of {} cases disagree with theory:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
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
        let get = |node, path| run_metric(run, node, path);
        let measured = run.sim_time_s - run.warmup_s;
        let lambda = get("q", "arrived") / measured;
        let l = get("q", "mean_depth") + get("srv", "mean_busy");
        let w = get("out", "end_to_end_s.mean");
        assert!(
            (l / (lambda * w) - 1.0).abs() < 0.01,
            "seed {}: L = {l}, λW = {}",
            run.seed,
            lambda * w
        );
        let lq = get("q", "mean_depth");
        let wq = get("q", "wait_s.mean");
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
