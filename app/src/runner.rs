//! Runs a model's replications on worker threads, reporting progress.
//!
//! Each replication is independent and seeded from the scenario seed and
//! its number. Workers hand each finished replication to the calling
//! thread, which folds it into the report in replication order (holding
//! any that finish early until their turn) and lets it go, so the report
//! is the same whatever the number of threads or their timing, and memory
//! does not grow with the number of replications: a worker starts
//! replication `i` only once every replication before `i - 2 × workers` is
//! folded in, which bounds both the runs in flight and those waiting.
//!
//! A scenario with no warm-up set runs in two passes: a pilot over its
//! first replications with no cut, whose averaged series give the cut
//! (`sim_core::warmup`), then every replication with that cut.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Condvar, Mutex, PoisonError};
use std::time::Duration as WallDuration;

use web_time::Instant;

use sim_core::report::check_replications;
use sim_core::rng::replication_seed;
use sim_core::time::Duration;
use sim_core::warmup;
use sim_core::{Model, Report, RunError, RunResult, Simulation};

/// Progress of one replication in millionths (a whole one is a million).
const WHOLE: u64 = 1_000_000;

/// Which replication a worker runs next, and how far the report has come.
#[derive(Debug)]
struct Turns {
    /// The next replication nobody has started.
    next: usize,
    /// Replications folded into the report so far.
    folded: usize,
}

/// What the workers and the calling thread share.
struct Shared<'a> {
    model: &'a Model,
    /// One past the last replication to run.
    end: usize,
    /// How far ahead of the report a worker may start.
    window: usize,
    turns: Mutex<Turns>,
    /// Signalled when the report moves on or the run stops.
    moved: Condvar,
    /// Set on the first error (or a worker's panic): nobody starts more.
    stop: AtomicBool,
    /// Replications' progress, summed, in millionths of a replication.
    progress: AtomicU64,
    chunk: Duration,
    /// Whether someone reads the runs' latency lines (see
    /// `Simulation::skip_latency_lines`).
    charted: bool,
}

impl Shared<'_> {
    /// The next replication to run, once the report is close enough
    /// behind; `None` when there is none left or the run stopped.
    fn claim(&self) -> Option<usize> {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if self.stop.load(Ordering::Acquire) || turns.next >= self.end {
                return None;
            }
            if turns.next < turns.folded + self.window {
                turns.next += 1;
                return Some(turns.next - 1);
            }
            turns = self
                .moved
                .wait(turns)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    fn set_folded(&self, folded: usize) {
        let mut turns = self.turns.lock().unwrap_or_else(PoisonError::into_inner);
        turns.folded = folded;
        drop(turns);
        self.moved.notify_all();
    }

    fn halt(&self) {
        self.stop.store(true, Ordering::Release);
        // Take the lock so that no worker misses the wake-up between its
        // check and its wait.
        drop(self.turns.lock().unwrap_or_else(PoisonError::into_inner));
        self.moved.notify_all();
    }

    /// Runs replication `i`; `None` if the run stopped meanwhile.
    fn run(&self, i: usize) -> Option<Result<RunResult, RunError>> {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "replications are bounded by MAX_REPLICATIONS"
        )]
        let seed = replication_seed(self.model.scenario.seed, i as u32);
        let mut sim = match Simulation::new(self.model, seed) {
            Ok(sim) => sim,
            Err(e) => return Some(Err(e)),
        };
        if !self.charted {
            sim.skip_latency_lines();
        }
        let total = self.model.scenario.duration.0.max(1);
        let mut counted = 0;
        while !sim.is_finished() {
            if self.stop.load(Ordering::Relaxed) {
                return None;
            }
            if let Err(e) = sim.step(self.chunk) {
                return Some(Err(e));
            }
            let now = u64::try_from(
                u128::from(sim.now().as_nanos().min(total)) * u128::from(WHOLE) / u128::from(total),
            )
            .unwrap_or(WHOLE);
            self.progress.fetch_add(now - counted, Ordering::Relaxed);
            counted = now;
        }
        self.progress.fetch_add(WHOLE - counted, Ordering::Relaxed);
        Some(Ok(sim.result()))
    }
}

/// Stops the run if the worker holding it unwinds, so that nobody waits
/// for a replication that will never come.
struct HaltOnPanic<'a, 'b>(&'a Shared<'b>);

impl Drop for HaltOnPanic<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.halt();
        }
    }
}

/// Folds finished replications in replication order.
struct Folder<F> {
    /// Takes each replication's number and result, in order.
    fold: F,
    /// The next replication to fold.
    next: usize,
    /// Finished early, waiting for those before them.
    waiting: BTreeMap<usize, Result<RunResult, RunError>>,
}

impl<F: FnMut(usize, &RunResult)> Folder<F> {
    /// Takes replication `i`'s outcome and folds in every one whose turn
    /// has come; the first error (in replication order) ends the run.
    fn take(&mut self, i: usize, outcome: Result<RunResult, RunError>) -> Result<(), RunError> {
        self.waiting.insert(i, outcome);
        while let Some(outcome) = self.waiting.remove(&self.next) {
            (self.fold)(self.next, &outcome?);
            self.next += 1;
        }
        Ok(())
    }
}

/// Runs every replication of `model`'s scenario. `on_progress` is called
/// on the calling thread about ten times a second, and as each replication
/// finishes, with the fraction done and the wall time so far. With no
/// warm-up set, a pilot pass over the first replications finds it first
/// (`sim_core::warmup`), and the fraction counts both passes.
pub fn run_all(
    model: &Model,
    on_progress: impl FnMut(f64, WallDuration),
) -> Result<Report, RunError> {
    replicate_all(model, on_progress, &mut |_| {}, false, cores())
}

/// [`run_all`] on at most `threads` worker threads (at least one; the
/// report is the same whatever the number).
pub fn run_all_on(
    model: &Model,
    threads: usize,
    on_progress: impl FnMut(f64, WallDuration),
) -> Result<Report, RunError> {
    replicate_all(model, on_progress, &mut |_| {}, false, threads.max(1))
}

/// The machine's cores: the worker threads a run uses.
fn cores() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// [`run_all`], showing each replication of the final pass (not the
/// warm-up's pilot) to `on_run`, in replication order, before it is
/// folded into the report and let go.
pub fn run_all_with(
    model: &Model,
    on_progress: impl FnMut(f64, WallDuration),
    on_run: &mut dyn FnMut(&RunResult),
) -> Result<Report, RunError> {
    replicate_all(model, on_progress, on_run, true, cores())
}

/// [`run_all`], showing each replication of the final pass to `on_run`
/// as [`run_all_with`] does, without the runs' latency lines (which it
/// leaves out, as [`run_all`] does: every other measurement is there).
pub fn run_all_seeing(
    model: &Model,
    on_progress: impl FnMut(f64, WallDuration),
    on_run: &mut dyn FnMut(&RunResult),
) -> Result<Report, RunError> {
    replicate_all(model, on_progress, on_run, false, cores())
}

/// [`run_all_with`]; `charted`: whether `on_run` reads the runs' latency
/// lines (without, the runs leave them out and run faster; the report is
/// the same); `threads`: the most worker threads to start.
fn replicate_all(
    model: &Model,
    mut on_progress: impl FnMut(f64, WallDuration),
    on_run: &mut dyn FnMut(&RunResult),
    charted: bool,
    threads: usize,
) -> Result<Report, RunError> {
    let started = Instant::now();
    let scenario = &model.scenario;
    check_replications(scenario.replications)?;
    let reps = scenario.replications.max(1) as usize;
    let pilot_reps = if scenario.warmup.is_none() {
        warmup::pilot_replications(scenario.replications) as usize
    } else {
        0
    };
    #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
    let total = (pilot_reps + reps) as f64 * WHOLE as f64;
    // Replications' progress in the passes before this one.
    let mut offset = 0.0;
    // The pass whose replications make the report: the second when a
    // pilot pass finds the warm-up first.
    let last = usize::from(scenario.warmup.is_none());
    let mut passes = 0;
    let (report, warmup) = warmup::replicate(model, |model, n, fold| {
        let before = offset;
        let this = passes;
        passes += 1;
        let mut shown = |i: usize, run: &RunResult| {
            if this == last {
                on_run(run);
            }
            fold(i, run);
        };
        run_pass(model, 0..n, charted, threads, &mut shown, &mut |done| {
            on_progress((before + done) / total, started.elapsed());
        })?;
        #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
        let passed = n as f64 * WHOLE as f64;
        offset += passed;
        Ok(())
    })?;
    Ok(report
        .finish(started.elapsed().as_secs_f64())
        .with_faults(scenario)
        .with_warmup(warmup)
        .with_slos(&model.slos)
        .with_insights(model))
}

/// Runs replications `range` of `model` (as [`run_all`] runs them, on
/// worker threads) and hands each to `fold` with its number, in
/// replication order: the pass `sim_core::shard::run_shard` takes.
pub fn run_range(
    model: &Model,
    range: std::ops::Range<usize>,
    fold: warmup::Fold<'_>,
) -> Result<(), RunError> {
    check_replications(model.scenario.replications)?;
    run_pass(model, range, false, cores(), fold, &mut |_| {})
}

/// Runs replications `range` of `model` on up to `threads` worker threads
/// and hands each to `fold` in replication order; `on_progress` gets the replications'
/// progress so far, in millionths of a replication.
fn run_pass(
    model: &Model,
    range: std::ops::Range<usize>,
    charted: bool,
    threads: usize,
    fold: warmup::Fold<'_>,
    on_progress: &mut dyn FnMut(f64),
) -> Result<(), RunError> {
    let threads = threads.min(range.len());
    let shared = Shared {
        model,
        end: range.end,
        window: 2 * threads,
        turns: Mutex::new(Turns {
            next: range.start,
            folded: range.start,
        }),
        moved: Condvar::new(),
        stop: AtomicBool::new(false),
        progress: AtomicU64::new(0),
        chunk: Duration((model.scenario.duration.0 / 100).max(1)),
        charted,
    };
    let mut folder = Folder {
        fold,
        next: range.start,
        waiting: BTreeMap::new(),
    };

    let mut failed = None;
    std::thread::scope(|scope| {
        let (done_tx, done_rx) = mpsc::channel::<(usize, Result<RunResult, RunError>)>();
        let mut spawned = 0;
        for t in 0..threads {
            let shared = &shared;
            let done_tx = done_tx.clone();
            let worker = move || {
                let _halt = HaltOnPanic(shared);
                while let Some(i) = shared.claim() {
                    let Some(outcome) = shared.run(i) else { break };
                    if done_tx.send((i, outcome)).is_err() {
                        // The caller has stopped listening: nothing to do.
                        break;
                    }
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
        while spawned > 0 && folder.next < range.end {
            match done_rx.recv_timeout(WallDuration::from_millis(100)) {
                Ok((i, outcome)) => {
                    if let Err(e) = folder.take(i, outcome) {
                        // Workers still running see `stop` and end within
                        // a step.
                        failed = Some(e);
                        shared.halt();
                        break;
                    }
                    shared.set_folded(folder.next);
                }
                Err(RecvTimeoutError::Timeout) => {}
                // Every worker is gone; what they left undone runs below.
                Err(RecvTimeoutError::Disconnected) => break,
            }
            #[expect(clippy::cast_precision_loss, reason = "a progress fraction")]
            on_progress(shared.progress.load(Ordering::Relaxed) as f64);
        }
    });
    if let Some(e) = failed {
        return Err(e);
    }
    // Replications no worker got to run here, in order (only an error
    // or a panic, both handled above, sets `stop`).
    while folder.next < range.end {
        let i = folder.next;
        let outcome = match folder.waiting.remove(&i) {
            Some(outcome) => outcome,
            None => shared
                .run(i)
                .ok_or_else(|| RunError::Invalid(format!("replication {} was stopped", i + 1)))?,
        };
        folder.take(i, outcome)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model whose replications differ in length: some finish out of
    /// order on the workers.
    fn model(replications: u32) -> Model {
        let text = format!(
            r#"(
            version: 1,
            name: "fold",
            scenario: (duration: "20s", seed: 4, replications: {replications}),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 300.0))),
                (id: "q", kind: Queue(capacity: 5)),
                (id: "worker", kind: Consumer(service: LogNormal(mean: "3ms", cv: 3.0))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
        )"#
        );
        let (model, problems) = sim_core::model::file::from_str(&text).expect("model");
        assert!(problems.is_empty(), "{problems:?}");
        model
    }

    /// The report without its wall time, which alone varies.
    fn json(report: &Report) -> String {
        let mut report = report.clone();
        report.wall_s = 0.0;
        report.to_json_string()
    }

    #[test]
    fn parallel_folding_gives_the_sequential_report_byte_for_byte() {
        for replications in [1, 2, 7, 40] {
            let model = model(replications);
            let mut calls = 0;
            let parallel = run_all(&model, |fraction, _| {
                calls += 1;
                assert!((0.0..=1.0 + 1e-9).contains(&fraction), "{fraction}");
            })
            .expect("runs");
            let sequential = sim_core::run_replications(&model).expect("runs");
            assert_eq!(parallel.replications(), replications as usize);
            assert_eq!(json(&parallel), json(&sequential), "{replications}");
            assert!(calls >= 1, "progress is reported as replications finish");
        }
    }

    #[test]
    fn any_number_of_threads_gives_the_same_report() {
        let model = model(7);
        let one = run_all_on(&model, 1, |_, _| {}).expect("runs");
        for threads in [0, 2, 3, 16] {
            let many = run_all_on(&model, threads, |_, _| {}).expect("runs");
            assert_eq!(json(&many), json(&one), "{threads} threads");
        }
    }

    #[test]
    fn a_range_runs_its_replications_in_order_with_their_own_seeds() {
        let model = model(9);
        let mut seen = Vec::new();
        run_range(&model, 3..8, &mut |i, run| seen.push((i, run.seed))).expect("runs");
        let want: Vec<(usize, u64)> = (3..8u32)
            .map(|i| (i as usize, replication_seed(model.scenario.seed, i)))
            .collect();
        assert_eq!(seen, want, "replications 4 to 8, in order");
        let mut none = 0;
        run_range(&model, 4..4, &mut |_, _| none += 1).expect("nothing to run");
        assert_eq!(none, 0);
    }

    #[test]
    fn too_many_replications_are_refused_before_any_run() {
        let mut model = model(1);
        model.scenario.replications = u32::MAX;
        let err = run_all(&model, |_, _| {}).expect_err("refused");
        assert!(err.to_string().contains("at most 100000"), "{err}");
    }
}
