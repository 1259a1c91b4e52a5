//! # Weir's simulation core
//!
//! `sim-core` reads a model of an event-driven system, runs it as a
//! discrete-event simulation and reports what happened: throughput, queue
//! depths, waiting and end-to-end latencies, retries, drops, and where
//! every message ended up. It has no GUI and does no I/O of its own.
//!
//! A model is usually written as RON — here a Poisson source feeding a
//! queue read by one consumer, the textbook M/M/1 queue:
//!
//! ```
//! use sim_core::{Model, model::file, run_replications};
//!
//! let text = r#"(
//!     version: 1,
//!     name: "M/M/1",
//!     scenario: (duration: "10m", warmup: "1m", seed: 7, replications: 4),
//!     nodes: [
//!         (id: "orders", kind: Producer(arrival: Poisson(rate: 50.0))),
//!         (id: "inbox", kind: Queue()),
//!         (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
//!     ],
//!     edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
//! )"#;
//! let (model, problems) = file::from_str(text)?;
//! assert!(problems.is_empty());
//!
//! let report = run_replications(&model)?;
//! let worker = report.node("worker").expect("the worker is in the report");
//! // Utilisation ρ = λ/μ = 50 × 0.01 = 0.5.
//! let rho = worker.value("utilization").expect("consumers report utilization");
//! assert!((rho - 0.5).abs() < 0.02, "utilization {rho}");
//! // Every message is accounted for.
//! assert!(report.conservation.balanced());
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! The pieces:
//!
//! - [`model`]: the document ([`Model`], a petgraph `StableGraph`) and its
//!   file format ([`model::file`]).
//! - [`validate`]: diagnostics; a model with errors does not run.
//! - [`Simulation`]: the engine. Time is integer nanoseconds
//!   ([`time::SimTime`]); events run in `(time, sequence)` order, so the
//!   same model and seed always give the same result.
//! - [`nodes`]: one module per node kind, with its parameters and
//!   behaviour.
//! - [`report`]: results per run and over replications, as JSON and as a
//!   table.
//! - [`journey`]: sampled messages followed hop by hop, for traces.
//! - [`snapshot`], [`series`] and [`live`]: for watching a run as it goes —
//!   the state now, time series with a bounded number of points, and
//!   changes (parameters, faults) applied to a running simulation.

pub mod alerts;
mod calendar;
pub mod calibrate;
pub mod compare;
pub mod dist;
mod engine;
pub mod export;
pub mod faults;
mod fifo;
pub mod histogram;
pub mod insights;
pub mod journey;
mod ledger;
pub mod lesson;
pub mod links;
pub mod live;
pub mod metrics;
pub mod model;
pub mod nodes;
pub mod plan;
pub mod regions;
pub mod report;
pub mod rng;
pub mod series;
pub mod shard;
pub mod slo;
pub mod snapshot;
pub mod stats;
pub mod sweep;
pub mod theory;
pub mod time;
pub mod validate;
pub mod warmup;

pub use engine::{RunError, Simulation};
pub use model::{Edge, Model, Node, Scenario};
pub use report::{Conservation, Report, ReportBuilder, RunResult};

/// Runs one replication of `model` with `seed`.
pub fn run_once(model: &Model, seed: u64) -> Result<RunResult, RunError> {
    Simulation::new(model, seed)?.run()
}

/// Runs one replication of `model` with `seed` for a report, not for
/// charts: its series leaves out the latency percentile lines
/// ([`Simulation::skip_latency_lines`]), and its report is the same as
/// [`run_once`]'s.
pub fn run_for_report(model: &Model, seed: u64) -> Result<RunResult, RunError> {
    let mut sim = Simulation::new(model, seed)?;
    sim.skip_latency_lines();
    sim.run()
}

/// Runs every replication the model's scenario asks for, one after the
/// other, and combines them. (The `weir` binary runs them in parallel; the
/// results are the same.) With no warm-up set, a pilot pass over the first
/// replications finds it first ([`warmup`]).
pub fn run_replications(model: &Model) -> Result<Report, RunError> {
    let seed = model.scenario.seed;
    replications_report(model, |model, n, fold| {
        for i in 0..n {
            // Bounded by MAX_REPLICATIONS, checked before the first pass.
            let i_u32 = u32::try_from(i).unwrap_or(u32::MAX);
            fold(
                i,
                &run_for_report(model, rng::replication_seed(seed, i_u32))?,
            );
        }
        Ok(())
    })
}

/// The report [`run_replications`] gives, with each pass over the
/// replications run by `pass`: it runs replications `0..n` of the model it
/// is given ([`run_for_report`], seeded by [`rng::replication_seed`]) and
/// hands each to the fold in replication order, one after the other or on
/// threads. Done so, the report is byte for byte the same.
pub fn replications_report<E: From<RunError>>(
    model: &Model,
    pass: impl FnMut(&Model, usize, warmup::Fold<'_>) -> Result<(), E>,
) -> Result<Report, E> {
    let scenario = &model.scenario;
    report::check_replications(scenario.replications)?;
    let (report, warmup) = warmup::replicate(model, pass)?;
    Ok(report
        .finish(0.0)
        .with_faults(scenario)
        .with_warmup(warmup)
        .with_slos(&model.slos)
        .with_insights(model))
}

/// A node's measurement in a run's report (for tests). A missing node or
/// metric panics, naming what there is: a renamed metric must fail a test,
/// not read as 0.
#[cfg(test)]
pub(crate) fn metric(r: &RunResult, node: &str, path: &str) -> f64 {
    let Some(n) = r.node(node) else {
        let ids: Vec<&str> = r.nodes.iter().map(|n| n.id.as_str()).collect();
        panic!("no node '{node}' in the run; its nodes are {ids:?}");
    };
    n.get(path).unwrap_or_else(|| {
        let paths: Vec<&str> = n.metrics.iter().map(|(p, _)| p.as_str()).collect();
        panic!("node '{node}' has no metric '{path}'; it has {paths:?}")
    })
}

/// A count that a run leaves out when nothing happened (a drop reason that
/// never occurred, a latency never measured): 0 then (for tests). The node
/// must exist.
#[cfg(test)]
pub(crate) fn metric_or_zero(r: &RunResult, node: &str, path: &str) -> f64 {
    let Some(n) = r.node(node) else {
        panic!("no node '{node}' in the run");
    };
    n.get(path).unwrap_or(0.0)
}
