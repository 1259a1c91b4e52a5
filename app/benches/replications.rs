//! What `weir run` delivers: messages completed per second of wall time
//! when a scenario's replications share the machine's cores.
//!
//! `cargo bench -p weir --bench replications` — criterion reports the
//! throughput in messages (elements) per second for M/M/1 at ρ = 0.9 with
//! every metric on, four replications of about 500 000 messages each, run
//! the way the CLI runs them (`runner::run_all`: one worker thread per
//! core, results combined in replication order).

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::model::file;
use weir::runner::run_all;

fn mm1_replications(replications: u32, messages: u64) -> sim_core::Model {
    let seconds = messages / 900;
    let text = format!(
        r#"(version: 1, name: "mm1", scenario: (duration: "{seconds}s", replications: {replications}, max_in_flight: 100000000),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 900.0))),
                (id: "q", kind: Queue()),
                (id: "srv", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")])"#
    );
    match file::from_str(&text) {
        Ok((model, _)) => model,
        Err(e) => panic!("benchmark model does not load: {e}"),
    }
}

fn benches(c: &mut Criterion) {
    let model = mm1_replications(4, 500_000);
    let completed: u64 = run_all(&model, |_, _| {}).map_or(0, |report| {
        report.runs.iter().map(|r| r.conservation.completed).sum()
    });
    let mut group = c.benchmark_group("replications");
    group.sample_size(10);
    group.throughput(Throughput::Elements(completed));
    group.bench_function("mm1x4", |b| {
        b.iter(|| black_box(run_all(&model, |_, _| {})));
    });
    group.finish();
}

criterion_group!(replications, benches);
criterion_main!(replications);
