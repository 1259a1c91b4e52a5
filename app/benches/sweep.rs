//! What `weir sweep` delivers: the pipeline example (10 simulated minutes,
//! about 100 000 messages per run) over 20 load factors from 0.5 to 1.45,
//! 10 replications at each point, the replications shared over the
//! machine's cores the way the CLI shares them (`sweeping::run`).
//!
//! `cargo bench -p weir --bench sweep` — criterion reports the time for
//! the whole sweep (200 runs).

use std::hint::black_box;
use std::sync::atomic::AtomicBool;

use criterion::{Criterion, criterion_group, criterion_main};
use sim_core::model::file;
use sim_core::sweep::{Axis, Sweep};
use weir::sweeping;

fn benches(c: &mut Criterion) {
    let mut model = match file::from_str(include_str!("../../examples/pipeline.ron")) {
        Ok((model, _)) => model,
        Err(e) => panic!("the example does not load: {e}"),
    };
    model.scenario.replications = 10;
    let axis = match Axis::parse("load=0.5..1.45x20", &model) {
        Ok(axis) => axis,
        Err(e) => panic!("the knob does not parse: {e}"),
    };
    let sweep = Sweep {
        axes: vec![axis],
        metrics: Vec::new(),
    };
    let points = match sweeping::models(&model, &sweep) {
        Ok(points) => points,
        Err(e) => panic!("the points are not valid: {e}"),
    };
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    group.bench_function("pipeline-20x10", |b| {
        b.iter(|| {
            let stop = AtomicBool::new(false);
            black_box(sweeping::run(
                &sweep,
                &points,
                sweeping::threads(),
                &stop,
                |_, _, r| {
                    black_box(r);
                    Ok(())
                },
            ))
        });
    });
    group.finish();
}

criterion_group!(sweep, benches);
criterion_main!(sweep);
