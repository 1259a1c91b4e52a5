//! A sweep's points run on worker threads, for `weir sweep` and the
//! What-if panel: each point is the model with the point's values set,
//! run as `weir run` runs it (its replications in order, on one thread),
//! and handed over in point order, so the output is the same whatever the
//! number of threads or their timing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::mpsc;

use sim_core::sweep::Sweep;
use sim_core::validate::validate;
use sim_core::{Model, Report, RunError};

/// Every point's model, checked: the first point whose values make the
/// model invalid is an error naming the point and what is wrong.
pub fn models(base: &Model, sweep: &Sweep) -> Result<Vec<(Vec<usize>, Model)>, String> {
    sweep.check_size()?;
    models_at(base, sweep, &sweep.points())
}

/// The models at `points`, checked as [`models`] checks them.
fn models_at(
    base: &Model,
    sweep: &Sweep,
    points: &[Vec<usize>],
) -> Result<Vec<(Vec<usize>, Model)>, String> {
    let mut out = Vec::new();
    for point in points {
        let point = point.clone();
        let model = sweep.model_at(base, &point)?;
        let errors: Vec<String> = validate(&model)
            .into_iter()
            .filter(sim_core::validate::Diagnostic::is_error)
            .map(|d| d.to_string())
            .collect();
        if !errors.is_empty() {
            return Err(format!(
                "at {}: {}",
                sweep.describe(&point),
                errors.join("; ")
            ));
        }
        out.push((point, model));
    }
    Ok(out)
}

/// Why a sweep stopped.
#[derive(Debug, thiserror::Error)]
pub enum SweepError {
    #[error("at {point}: {error}")]
    Run { point: String, error: RunError },
    #[error("{0}")]
    Output(String),
    #[error("stopped")]
    Stopped,
}

/// Runs every point of `points` (from [`models`]) on up to `threads`
/// worker threads and hands each point's report to `on_point`, in point
/// order, on the calling thread; an error from `on_point` stops the sweep.
/// `stop` ends it early (between points).
pub fn run(
    sweep: &Sweep,
    points: &[(Vec<usize>, Model)],
    threads: usize,
    stop: &AtomicBool,
    mut on_point: impl FnMut(usize, &[usize], &Report) -> Result<(), String>,
) -> Result<(), SweepError> {
    let threads = threads.clamp(1, points.len().max(1));
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let (tx, rx) = mpsc::channel::<(usize, Result<Report, RunError>)>();
        for t in 0..threads {
            let tx = tx.clone();
            let (next, failed) = (&next, &failed);
            let worker = move || {
                loop {
                    if stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((_, model)) = points.get(i) else {
                        break;
                    };
                    if tx.send((i, sim_core::run_replications(model))).is_err() {
                        break;
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name(format!("weir-sweep-{t}"))
                .spawn_scoped(scope, worker.clone());
            match spawned {
                Ok(_) => {}
                // With no thread to be had (a browser has none), the
                // calling thread runs every point itself.
                Err(_) if t == 0 => {
                    worker();
                    break;
                }
                // Those running share the work.
                Err(_) => break,
            }
        }
        drop(tx);
        let mut waiting = BTreeMap::new();
        let mut due = 0;
        for (i, outcome) in rx {
            waiting.insert(i, outcome);
            while let Some(outcome) = waiting.remove(&due) {
                let point = &points[due].0;
                let report = outcome.map_err(|error| {
                    failed.store(true, Ordering::Relaxed);
                    SweepError::Run {
                        point: sweep.describe(point),
                        error,
                    }
                })?;
                on_point(due, point, &report).map_err(|e| {
                    failed.store(true, Ordering::Relaxed);
                    SweepError::Output(e)
                })?;
                due += 1;
            }
        }
        if due < points.len() {
            return Err(SweepError::Stopped);
        }
        Ok(())
    })
}

/// Worker threads for a sweep: the machine's cores.
pub fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, std::num::NonZero::get)
}

/// The reports of `base` at each of `points` (a planner's batch of
/// settings), in order, run in parallel as a sweep's points are.
pub fn reports_at(
    base: &Model,
    sweep: &Sweep,
    points: &[Vec<usize>],
    stop: &AtomicBool,
) -> Result<Vec<Report>, String> {
    let points = models_at(base, sweep, points)?;
    let mut reports = Vec::with_capacity(points.len());
    run(sweep, &points, threads(), stop, |_, _, r| {
        reports.push(r.clone());
        Ok(())
    })
    .map_err(|e| e.to_string())?;
    Ok(reports)
}
