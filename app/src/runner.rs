//! Runs a model's replications on worker threads, reporting progress.
//!
//! Each replication is independent and seeded from the scenario seed and
//! its number, and results are combined in replication order, so the
//! report is the same whatever the number of threads or their timing.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::time::{Duration as WallDuration, Instant};

use sim_core::rng::replication_seed;
use sim_core::time::Duration;
use sim_core::{Model, Report, RunError, RunResult, Simulation};

/// Runs every replication of `model`'s scenario. `on_progress` is called
/// on the calling thread about ten times a second, and as each replication
/// finishes, with the fraction done and the wall time so far.
pub fn run_all(
    model: &Model,
    mut on_progress: impl FnMut(f64, WallDuration),
) -> Result<Report, RunError> {
    let started = Instant::now();
    let scenario = &model.scenario;
    let reps = scenario.replications.max(1) as usize;
    let threads = std::thread::available_parallelism()
        .map_or(1, std::num::NonZero::get)
        .min(reps);
    let next = AtomicUsize::new(0);
    let finished = AtomicUsize::new(0);
    let progress: Vec<AtomicU64> = (0..reps).map(|_| AtomicU64::new(0)).collect();
    let results: Mutex<Vec<Option<Result<RunResult, RunError>>>> =
        Mutex::new((0..reps).map(|_| None).collect());
    let chunk = Duration((scenario.duration.0 / 100).max(1));
    let total_ns = scenario.duration.0.max(1) as f64 * reps as f64;

    std::thread::scope(|scope| {
        // Each worker says when it finishes a replication, so the caller
        // returns as soon as the last one is done (not at its next tick).
        let (done_tx, done_rx) = mpsc::channel::<()>();
        let mut spawned = 0;
        for t in 0..threads {
            let (next, finished, progress, results) = (&next, &finished, &progress, &results);
            let done_tx = done_tx.clone();
            let worker = move || {
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= reps {
                        break;
                    }
                    let seed = replication_seed(scenario.seed, i as u32);
                    let outcome = run_one(model, seed, chunk, &progress[i]);
                    if let Ok(mut slots) = results.lock() {
                        slots[i] = Some(outcome);
                    }
                    finished.fetch_add(1, Ordering::Release);
                    // The caller may have stopped listening: nothing to tell.
                    let _ = done_tx.send(());
                }
            };
            let spawned_thread = std::thread::Builder::new()
                .name(format!("weir-replication-{t}"))
                .spawn_scoped(scope, worker);
            match spawned_thread {
                Ok(_) => spawned += 1,
                // No more threads to be had: those running share the work.
                Err(_) => break,
            }
        }
        drop(done_tx);
        // With no thread at all, the caller's thread runs everything below.
        while spawned > 0 && finished.load(Ordering::Acquire) < reps {
            if done_rx.recv_timeout(WallDuration::from_millis(100))
                == Err(RecvTimeoutError::Disconnected)
            {
                // Every worker is gone; what they left undone runs below.
                break;
            }
            let done: f64 = progress
                .iter()
                .map(|p| p.load(Ordering::Relaxed) as f64)
                .sum();
            on_progress(done / total_ns, started.elapsed());
        }
    });

    let mut slots = results.into_inner().unwrap_or_default();
    for (i, slot) in slots.iter_mut().enumerate() {
        if slot.is_none() {
            let seed = replication_seed(scenario.seed, i as u32);
            *slot = Some(run_one(model, seed, chunk, &progress[i]));
        }
    }
    let runs = slots.into_iter().flatten().collect::<Result<Vec<_>, _>>()?;
    Ok(
        Report::from_runs(scenario.seed, runs, started.elapsed().as_secs_f64())
            .with_faults(&scenario.faults),
    )
}

fn run_one(
    model: &Model,
    seed: u64,
    chunk: Duration,
    progress: &AtomicU64,
) -> Result<RunResult, RunError> {
    let mut sim = Simulation::new(model, seed)?;
    while !sim.is_finished() {
        sim.step(chunk)?;
        progress.store(sim.now().as_nanos(), Ordering::Relaxed);
    }
    Ok(sim.result())
}
