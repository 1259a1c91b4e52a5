//! A sweep's points run on worker threads, for `weir sweep` and the
//! What-if panel: each point is the model with the point's values set,
//! run as `weir run` runs it (its replications shared over the workers,
//! folded in replication order), and handed over in point order, so the
//! output is the same whatever the number of threads or their timing.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex, MutexGuard, PoisonError, mpsc};

use sim_core::rng::replication_seed;
use sim_core::sweep::Sweep;
use sim_core::validate::validate;
use sim_core::{Model, Report, RunError, RunResult};

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
/// `stop` ends it early (between replications).
///
/// The workers share out replications, not points: a point's replications
/// run side by side, the earliest point's first, so a sweep of a few
/// points uses every core and the last point does not leave cores idle.
/// Each point is driven by a thread of its own, which hands the pool its
/// passes and folds their runs in replication order
/// ([`sim_core::replications_report`]): its report is byte for byte the
/// one [`sim_core::run_replications`] gives.
pub fn run(
    sweep: &Sweep,
    points: &[(Vec<usize>, Model)],
    threads: usize,
    stop: &AtomicBool,
    mut on_point: impl FnMut(usize, &[usize], &Report) -> Result<(), String>,
) -> Result<(), SweepError> {
    let pool = Pool::default();
    let next = AtomicUsize::new(0);
    let failed = AtomicBool::new(false);
    std::thread::scope(|scope| {
        // However this closure ends, the workers hear that no more work
        // comes, so the scope can join them.
        let _closing = CloseOnDrop(&pool);
        let mut workers = 0;
        for t in 0..threads.max(1) {
            let pool = &pool;
            let spawned = std::thread::Builder::new()
                .name(format!("weir-sweep-{t}"))
                .spawn_scoped(scope, move || pool.work(stop));
            match spawned {
                Ok(_) => workers += 1,
                // Those running share the work.
                Err(_) => break,
            }
        }
        if workers == 0 {
            // With no thread to be had (a browser has none), the calling
            // thread runs every point itself.
            return run_here(sweep, points, stop, on_point);
        }
        let (tx, rx) = mpsc::channel::<(usize, Result<Report, PassError>)>();
        // One driver more than workers, so that while a driver folds its
        // point's last runs and takes the next point, the workers have
        // the others' replications to go on with.
        for t in 0..(workers + 1).min(points.len()) {
            let tx = tx.clone();
            let (pool, next, failed) = (&pool, &next, &failed);
            let driver = move || {
                loop {
                    if stop.load(Ordering::Relaxed) || failed.load(Ordering::Relaxed) {
                        break;
                    }
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((_, model)) = points.get(i) else {
                        break;
                    };
                    let report = sim_core::replications_report(model, |model, n, fold| {
                        pool.pass(i, model, n, fold)
                    });
                    if tx.send((i, report)).is_err() {
                        break;
                    }
                }
            };
            let spawned = std::thread::Builder::new()
                .name(format!("weir-sweep-point-{t}"))
                .spawn_scoped(scope, driver.clone());
            match spawned {
                Ok(_) => {}
                // No thread for a driver: the calling thread drives every
                // point, the workers run them.
                Err(_) if t == 0 => {
                    driver();
                    break;
                }
                Err(_) => break,
            }
        }
        drop(tx);
        let due = in_order(rx, |due, outcome| {
            let point = &points[due].0;
            let report = outcome.map_err(|e| {
                failed.store(true, Ordering::Relaxed);
                match e {
                    PassError::Run(error) => SweepError::Run {
                        point: sweep.describe(point),
                        error,
                    },
                    PassError::Stopped => SweepError::Stopped,
                }
            })?;
            on_point(due, point, &report).map_err(|e| {
                failed.store(true, Ordering::Relaxed);
                SweepError::Output(e)
            })?;
            if stop.load(Ordering::Relaxed) && due + 1 < points.len() {
                return Err(SweepError::Stopped);
            }
            Ok(())
        })?;
        if due < points.len() {
            return Err(SweepError::Stopped);
        }
        Ok(())
    })
}

/// Hands `f` each of `arrivals`, numbered from 0 and coming in any order,
/// in number order: each as soon as all before it have come. The first
/// error stops it; otherwise, how many were handed over.
fn in_order<T, E>(
    arrivals: impl IntoIterator<Item = (usize, T)>,
    mut f: impl FnMut(usize, T) -> Result<(), E>,
) -> Result<usize, E> {
    let mut waiting = BTreeMap::new();
    let mut next = 0;
    for (i, item) in arrivals {
        waiting.insert(i, item);
        while let Some(item) = waiting.remove(&next) {
            f(next, item)?;
            next += 1;
        }
    }
    Ok(next)
}

/// [`run`] on the calling thread alone, each point's replications one
/// after the other.
fn run_here(
    sweep: &Sweep,
    points: &[(Vec<usize>, Model)],
    stop: &AtomicBool,
    mut on_point: impl FnMut(usize, &[usize], &Report) -> Result<(), String>,
) -> Result<(), SweepError> {
    for (i, (point, model)) in points.iter().enumerate() {
        if stop.load(Ordering::Relaxed) {
            return Err(SweepError::Stopped);
        }
        let report = sim_core::run_replications(model).map_err(|error| SweepError::Run {
            point: sweep.describe(point),
            error,
        })?;
        on_point(i, point, &report).map_err(SweepError::Output)?;
    }
    Ok(())
}

/// Why a pass over a point's replications did not finish.
#[derive(Debug)]
enum PassError {
    Run(RunError),
    /// The sweep stopped, or ended on an error elsewhere.
    Stopped,
}

impl From<RunError> for PassError {
    fn from(error: RunError) -> Self {
        Self::Run(error)
    }
}

/// One replication waiting for a worker.
struct Job {
    model: Arc<Model>,
    seed: u64,
    /// Its number in its pass.
    index: usize,
    /// Where its run goes: the pass that asked for it.
    reply: mpsc::Sender<(usize, Result<RunResult, RunError>)>,
}

/// The replications waiting to run, earliest point first.
#[derive(Default)]
struct Pool {
    state: Mutex<PoolState>,
    ready: Condvar,
}

#[derive(Default)]
struct PoolState {
    /// By point, then replication: a point's passes follow one another,
    /// so the keys of those waiting never clash.
    jobs: BTreeMap<(usize, usize), Job>,
    /// No more work comes: the workers leave.
    closed: bool,
}

impl Pool {
    fn lock(&self) -> MutexGuard<'_, PoolState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Runs replications `0..n` of `model` (point `point`) on the workers
    /// and hands each to `fold` in replication order, as they come.
    fn pass(
        &self,
        point: usize,
        model: &Model,
        n: usize,
        fold: sim_core::warmup::Fold<'_>,
    ) -> Result<(), PassError> {
        let model = Arc::new(model.clone());
        let (tx, rx) = mpsc::channel();
        {
            let mut state = self.lock();
            if state.closed {
                return Err(PassError::Stopped);
            }
            for index in 0..n {
                // Bounded by MAX_REPLICATIONS, checked before the pass.
                let i_u32 = u32::try_from(index).unwrap_or(u32::MAX);
                let job = Job {
                    model: Arc::clone(&model),
                    seed: replication_seed(model.scenario.seed, i_u32),
                    index,
                    reply: tx.clone(),
                };
                state.jobs.insert((point, index), job);
            }
        }
        self.ready.notify_all();
        // The jobs hold the only senders left: when the last is run, or
        // dropped unrun because the sweep stopped, the loop ends.
        drop(tx);
        let next = in_order(rx, |index, outcome| {
            fold(index, &outcome?);
            Ok::<(), PassError>(())
        })?;
        if next < n {
            return Err(PassError::Stopped);
        }
        Ok(())
    }

    /// A worker: runs replications until the pool closes. Once `stop` is
    /// set, those it takes are dropped unrun.
    fn work(&self, stop: &AtomicBool) {
        let _halt = CloseOnPanic(self);
        while let Some(job) = self.take() {
            if stop.load(Ordering::Relaxed) {
                continue;
            }
            let outcome = sim_core::run_for_report(&job.model, job.seed);
            // A pass that ended on an error has stopped listening.
            let _ = job.reply.send((job.index, outcome));
        }
    }

    /// The earliest waiting replication; `None` once the pool is closed.
    fn take(&self) -> Option<Job> {
        let mut state = self.lock();
        loop {
            if state.closed {
                return None;
            }
            if let Some((_, job)) = state.jobs.pop_first() {
                return Some(job);
            }
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }

    /// No more work: the waiting replications are dropped (their passes
    /// hear it) and the workers leave.
    fn close(&self) {
        let jobs = {
            let mut state = self.lock();
            state.closed = true;
            std::mem::take(&mut state.jobs)
        };
        drop(jobs);
        self.ready.notify_all();
    }
}

/// Closes the pool when the sweep ends, however it ends.
struct CloseOnDrop<'a>(&'a Pool);

impl Drop for CloseOnDrop<'_> {
    fn drop(&mut self) {
        self.0.close();
    }
}

/// Closes the pool if a worker unwinds, so that no pass waits for runs
/// that will never come.
struct CloseOnPanic<'a>(&'a Pool);

impl Drop for CloseOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.close();
        }
    }
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
