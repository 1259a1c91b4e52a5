//! What `weir run` delivers: messages completed per second of wall time
//! when a scenario's replications share the machine's cores.
//!
//! `cargo bench -p weir --bench replications` — criterion reports the
//! throughput in messages (elements) per second for M/M/1 at ρ = 0.9 with
//! every metric on, four replications of about 500 000 messages each, and
//! 2000 of about 1800 each, run the way the CLI runs them
//! (`runner::run_all`: one worker thread per core, each replication folded
//! into the report in replication order as it finishes). `mm1x4-1thread`
//! runs the four long ones on one worker: its time over `mm1x4`'s is the
//! speedup the cores give.

use std::hint::black_box;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use sim_core::model::file;
use sim_core::time::Duration;
use weir::runner::{run_all, run_all_on};

fn mm1_replications(replications: u32, messages: u64) -> sim_core::Model {
    let mut model = match file::from_str(include_str!("../../sim-core/benches/mm1.ron")) {
        Ok((model, _)) => model,
        Err(e) => panic!("benchmark model does not load: {e}"),
    };
    // λ = 900/s: each replication lasts until about `messages` arrive.
    model.scenario.duration = Duration::from_secs(messages / 900);
    model.scenario.replications = replications;
    model
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("replications");
    group.sample_size(10);
    // Few long replications: the simulation's speed. Many short ones: what
    // handing each replication over and folding it into the report costs.
    for (name, replications, messages) in [("mm1x4", 4, 500_000), ("mm1x2000", 2000, 1_800)] {
        let model = mm1_replications(replications, messages);
        let completed = match run_all(&model, |_, _| {}) {
            Ok(report) => report.conservation.completed,
            Err(e) => panic!("benchmark model does not run: {e}"),
        };
        group.throughput(Throughput::Elements(completed));
        group.bench_function(name, |b| {
            b.iter(|| black_box(run_all(&model, |_, _| {})));
        });
        if replications == 4 {
            group.bench_function(format!("{name}-1thread"), |b| {
                b.iter(|| black_box(run_all_on(&model, 1, |_, _| {})));
            });
        }
    }
    group.finish();
}

criterion_group!(replications, benches);
criterion_main!(replications);
