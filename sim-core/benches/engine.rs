//! Engine speed: messages completed per second of wall time.
//!
//! `cargo bench -p sim-core --bench engine` — criterion reports the
//! throughput in messages (elements) per second for:
//! - `mm1`: M/M/1 at ρ = 0.9 with every metric on (1 M messages);
//! - `pipeline20`: a 20-node pipeline (producer, 9 queue+consumer stages, sink);
//! - `inflight100k`, `inflight1m`: about 10⁵ and 9 × 10⁵ messages in service
//!   at once (a deep calendar; against `mm1`'s two or three pending);
//! - `idle5k`, `idle20k`, `idle100k`: 1,250, 5,000 and 25,000 chains of
//!   producer → queue → consumer → sink at one message a second each, for
//!   10 s: a big drawing with little traffic, whose cost should follow the
//!   traffic;
//! - `fanout1k`: a topic feeding 1,000 queues, each with its consumer, at
//!   five messages a second: a broker with many readers at work at once,
//!   whose series points must not cost the square of its readers;
//! - `load100k`: the 100,000-node model's text read, validated and
//!   compiled into a simulation, without running it.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::model::file;
use sim_core::time::Duration;
use sim_core::{Model, run_once};

fn load(text: &str) -> Model {
    match file::from_str(text) {
        Ok((model, _)) => model,
        Err(e) => panic!("benchmark model does not load: {e}"),
    }
}

fn mm1(messages: u64) -> Model {
    // λ = 900/s: the run lasts until about `messages` arrive.
    let mut model = load(include_str!("mm1.ron"));
    model.scenario.duration = Duration::from_secs(messages / 900);
    model
}

fn pipeline(stages: usize, seconds: u64) -> Model {
    let mut nodes =
        vec![r#"(id: "src", kind: Producer(arrival: Poisson(rate: 500.0)))"#.to_owned()];
    let mut edges = Vec::new();
    let mut prev = "src".to_owned();
    for s in 0..stages {
        nodes.push(format!(r#"(id: "q{s}", kind: Queue())"#));
        nodes.push(format!(
            r#"(id: "c{s}", kind: Consumer(instances: 2, service: Exponential(mean: "2ms")))"#
        ));
        edges.push(format!(r#"(from: "{prev}", to: "q{s}")"#));
        edges.push(format!(r#"(from: "q{s}", to: "c{s}")"#));
        prev = format!("c{s}");
    }
    nodes.push(r#"(id: "out", kind: Sink())"#.to_owned());
    edges.push(format!(r#"(from: "{prev}", to: "out")"#));
    load(&format!(
        r#"(version: 1, name: "pipeline", scenario: (duration: "{seconds}s"), nodes: [{}], edges: [{}])"#,
        nodes.join(","),
        edges.join(",")
    ))
}

fn in_flight(seconds: u64) -> Model {
    // 100 000/s, each held 1 s by a consumer with room for all: ~10⁵ pending.
    load(&format!(
        r#"(version: 1, name: "inflight", scenario: (duration: "{seconds}s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100000.0))),
                (id: "srv", kind: Consumer(instances: 1000, concurrency: 200, service: Exponential(mean: "1s"))),
            ],
            edges: [(from: "src", to: "srv")])"#
    ))
}

fn in_flight_at(rate: u64, seconds: u64) -> Model {
    // `rate`/s, each held 1 s by consumers with room for 10⁶ (the most a
    // consumer may have in service).
    load(&format!(
        r#"(version: 1, name: "inflight", scenario: (duration: "{seconds}s", max_in_flight: 5000000),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: {rate}.0))),
                (id: "srv", kind: Consumer(instances: 1000, concurrency: 1000, service: Exponential(mean: "1s"))),
            ],
            edges: [(from: "src", to: "srv")])"#
    ))
}

fn idle_chains(chains: usize) -> Model {
    load(&idle_chains_text(chains))
}

fn idle_chains_text(chains: usize) -> String {
    let mut nodes = Vec::with_capacity(chains * 4);
    let mut edges = Vec::with_capacity(chains * 3);
    for c in 0..chains {
        nodes.push(format!(
            r#"(id: "p{c}", kind: Producer(arrival: Poisson(rate: 1.0))),
               (id: "q{c}", kind: Queue()),
               (id: "c{c}", kind: Consumer(service: Exponential(mean: "10ms"))),
               (id: "s{c}", kind: Sink())"#
        ));
        edges.push(format!(
            r#"(from: "p{c}", to: "q{c}"), (from: "q{c}", to: "c{c}"), (from: "c{c}", to: "s{c}")"#
        ));
    }
    format!(
        r#"(version: 1, name: "idle", scenario: (duration: "10s", warmup: "0s"), nodes: [{}], edges: [{}])"#,
        nodes.join(","),
        edges.join(",")
    )
}

fn fan_out(readers: usize) -> Model {
    let mut nodes = vec![
        r#"(id: "src", kind: Producer(arrival: Poisson(rate: 5.0)))"#.to_owned(),
        r#"(id: "t", kind: Topic())"#.to_owned(),
    ];
    let mut edges = vec![r#"(from: "src", to: "t")"#.to_owned()];
    for r in 0..readers {
        nodes.push(format!(
            r#"(id: "q{r}", kind: Queue()), (id: "c{r}", kind: Consumer(service: Exponential(mean: "10ms")))"#
        ));
        edges.push(format!(
            r#"(from: "t", to: "q{r}"), (from: "q{r}", to: "c{r}")"#
        ));
    }
    load(&format!(
        r#"(version: 1, name: "fanout", scenario: (duration: "60s", warmup: "0s"), nodes: [{}], edges: [{}])"#,
        nodes.join(","),
        edges.join(",")
    ))
}

fn completed(model: &Model) -> u64 {
    match run_once(model, 1) {
        Ok(r) => r.conservation.completed,
        Err(e) => panic!("benchmark model '{}' does not run: {e}", model.name),
    }
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.sample_size(10);
    for (name, model) in [
        ("mm1", mm1(1_000_000)),
        ("pipeline20", pipeline(9, 1000)),
        ("inflight100k", in_flight(10)),
        ("inflight1m", in_flight_at(900_000, 3)),
        ("idle5k", idle_chains(1_250)),
        ("idle20k", idle_chains(5_000)),
        ("idle100k", idle_chains(25_000)),
        ("fanout1k", fan_out(1_000)),
    ] {
        group.throughput(Throughput::Elements(completed(&model)));
        group.bench_function(name, |b| b.iter(|| black_box(run_once(&model, 1))));
    }
    let text = idle_chains_text(25_000);
    group.throughput(Throughput::Elements(100_000));
    group.bench_function("load100k", |b| {
        b.iter(|| black_box(sim_core::Simulation::new(&load(black_box(&text)), 1).is_ok()));
    });
    group.finish();
}

criterion_group!(engine, benches);
criterion_main!(engine);
