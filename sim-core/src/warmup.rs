//! The warm-up, found rather than guessed: where a run's initial
//! transient ends, by MSER-5 on the replications' averaged time series.
//!
//! A run starts empty and idle. While it fills up, its statistics describe
//! a system that is not yet the one being studied: an M/M/1 queue at
//! ρ = 0.9 started empty shows waits well below the steady state's for
//! its first ten seconds or so (a few relaxation times). When a scenario
//! sets no `warmup`, the replications therefore run twice
//! ([`replicate`]):
//!
//! 1. A pilot pass: the first [`PILOT_REPLICATIONS`] replications (or all,
//!    if fewer) run with no cut. Every replication of one scenario samples
//!    its series ([`crate::series`]) at the same instants, so they are
//!    averaged point by point ([`Pilot`]), in replication order.
//! 2. MSER-5 on each averaged line gives a truncation point; the cut is
//!    the latest of them ([`Pilot::find`]).
//! 3. Every replication runs with that cut, on the same seeds: the
//!    trajectories are the pilot's, only the statistics start later.
//!
//! A warm-up the scenario sets is kept; its replications' series are
//! checked the same way, and with [`FEW_REPLICATIONS`] or more the report
//! warns when MSER-5 finds the transient ending later than the warm-up
//! set ([`Warmup::set`]).
//!
//! **Which lines.** The state of the system — what it holds and how large
//! it is — is what starts at an atypical value (empty, idle, the fewest
//! instances), so the lines examined are the system's messages in flight
//! and every node's backlog: its depth, a log's consumer-group lag, and a
//! consumer's instances (an autoscaler starts from its minimum). What only
//! accumulates has no steady state to find and is left out: a log's
//! retained records and a dead-letter queue's store (and the messages in
//! flight when a log or an event store keeps records, which count there).
//! Rates and latencies follow from the state (a message's wait is the
//! queue it met),
//! and per-interval latencies read 0 when nothing finished, which would
//! look like a transient of its own; busy slots move with the depth they
//! drain and add nothing. The cut is the latest line's: every backlog
//! has reached its steady state by then.
//!
//! **Faults.** A scenario's timeline makes a run non-stationary on
//! purpose; the steady state looked for is the one before the first fault
//! (or region outage), so the lines are examined only up to its start.
//!
//! **MSER-5** ([`mser5`]; White 1997, Franklin and White 2008): the line
//! is cut into batches of five points and their means `Z_1 … Z_n`. For
//! each truncation `d` (batches dropped), `MSER(d) = Σ_{j>d} (Z_j −
//! Z̄_d)² / (n − d)²` — the squared standard error of the mean that would
//! remain. Cutting the transient lowers it (the deviations shrink);
//! cutting steady-state data raises it (fewer points). The cut is the `d`
//! minimising it over the first half of the batches. If the minimum over
//! the whole line (but its last fifth, where a handful of batches can
//! look spuriously calm) lies in the second half, the line has not
//! settled by half the run: the run is too short for its steady state, or
//! there is none, and the report says so.

use serde_json::{Value, json};

use crate::Model;
use crate::model::Scenario;
use crate::nodes::Kind;
use crate::report::RunResult;
use crate::series::{Metric, Series, SystemMetric};
use crate::time::Duration;

/// Points per batch: MSER-5.
pub const BATCH: usize = 5;

/// The most replications the pilot pass runs. A heavily loaded queue's
/// level is noisy (at ρ = 0.9 its standard deviation is as large as its
/// mean), so the averaged series needs many: measured on M/M/1 at
/// ρ = 0.9, a pilot of 10 or 100 replications often finds no transient
/// at all, one of 1000 lands within a relaxation time of Welch's method
/// on most seeds and later on the rest, never earlier: the averaged level
/// still wanders for seconds at a time, and now and then MSER-5 takes a
/// late wander for the transient's end (`tests/integration/warmup.rs`). Up to this bound the pilot is every
/// replication, and the runs take twice as long; set a warm-up to skip it.
pub const PILOT_REPLICATIONS: u32 = 1000;

/// The fewest batches MSER-5 is applied to (20 points).
const MIN_BATCHES: usize = 4;

/// Below this many replications averaged, a line's noise can hide or
/// mimic a transient, and the report says so.
pub const FEW_REPLICATIONS: usize = 5;

/// How many of a scenario's replications the pilot pass runs.
pub fn pilot_replications(replications: u32) -> u32 {
    replications.clamp(1, PILOT_REPLICATIONS)
}

/// MSER-5 on one line.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mser {
    /// Batches of [`BATCH`] points (a last, incomplete batch is left out).
    pub batches: usize,
    /// Batches to cut: where the statistic is smallest over the first
    /// half (the earliest, on a tie).
    pub cut: usize,
    /// Where it is smallest over the whole line but its last fifth.
    pub overall: usize,
}

impl Mser {
    /// Whether the line settles within the first half.
    pub const fn settled(&self) -> bool {
        self.overall <= self.batches / 2
    }
}

/// MSER-5 on `values` (equally spaced in time); `None` with fewer than
/// four batches (20 points).
pub fn mser5(values: &[f64]) -> Option<Mser> {
    #[expect(clippy::cast_precision_loss, reason = "a batch of five")]
    let means: Vec<f64> = values
        .chunks_exact(BATCH)
        .map(|batch| batch.iter().sum::<f64>() / BATCH as f64)
        .collect();
    let n = means.len();
    if n < MIN_BATCHES {
        return None;
    }
    let statistic = |d: usize| {
        let tail = &means[d..];
        #[expect(clippy::cast_precision_loss, reason = "a few hundred batches")]
        let m = tail.len() as f64;
        let mean = tail.iter().sum::<f64>() / m;
        tail.iter().map(|z| (z - mean).powi(2)).sum::<f64>() / (m * m)
    };
    let smallest = |last: usize| {
        let (mut best, mut best_value) = (0, statistic(0));
        for d in 1..=last {
            let value = statistic(d);
            if value < best_value {
                (best, best_value) = (d, value);
            }
        }
        best
    };
    Some(Mser {
        batches: n,
        cut: smallest(n / 2),
        overall: smallest(n - (n / 5).max(2)),
    })
}

/// The lines MSER-5 examines in a run's series, named `system.in_flight`
/// and `<node>.<metric>`, in model order: the messages in flight (unless
/// a log or an event store keeps records, which count as in flight and
/// pile up over the run), and each node's backlog — its depth (not a
/// log's retained records or a dead-letter queue's store, which only
/// grow), a log's lag, a consumer's instances.
pub(crate) fn state_lines(series: &Series) -> Vec<(String, Vec<f32>)> {
    let mut lines = Vec::new();
    let stores = series
        .nodes()
        .iter()
        .any(|n| matches!(n.kind, Kind::Log | Kind::EventStore));
    if !stores {
        lines.push((
            format!("system.{}", SystemMetric::InFlight.key()),
            series.system().values(SystemMetric::InFlight).to_vec(),
        ));
    }
    for node in series.nodes() {
        for metric in [Metric::Depth, Metric::Lag, Metric::Instances] {
            let kept =
                metric != Metric::Depth || !matches!(node.kind, Kind::Log | Kind::DeadLetter);
            if let Some(values) = node.values(metric).filter(|_| kept) {
                lines.push((format!("{}.{}", node.id, metric.key()), values.to_vec()));
            }
        }
    }
    lines
}

/// Replications' series summed point by point, in replication order, for
/// their average: bounded by the model (lines × points), not by the
/// replications.
#[derive(Clone, Debug, Default)]
pub struct Pilot {
    /// The sampling instants every run so far shares, ns.
    times: Vec<u64>,
    names: Vec<String>,
    sums: Vec<Vec<f64>>,
    runs: usize,
}

impl Pilot {
    pub fn new() -> Self {
        Self::default()
    }

    /// Replications added so far.
    pub fn replications(&self) -> usize {
        self.runs
    }

    /// Adds a replication's series (replications of one scenario come
    /// with the same lines and instants; only the instants all share are
    /// kept).
    pub fn add(&mut self, run: &RunResult) {
        self.add_lines(run.series.times_ns(), &state_lines(&run.series));
    }

    /// Adds a replication's state lines and their sampling instants, as
    /// [`state_lines`] takes them from its series (a shard carries them so
    /// that a merge can fold them as [`Self::add`] would).
    pub(crate) fn add_lines<V: AsRef<[f32]>>(&mut self, times: &[u64], lines: &[(String, V)]) {
        if self.runs == 0 {
            self.times = times.to_vec();
            self.names = lines.iter().map(|(name, _)| name.clone()).collect();
            self.sums = vec![vec![0.0; times.len()]; lines.len()];
        }
        let common = self
            .times
            .iter()
            .zip(times)
            .take_while(|(a, b)| a == b)
            .count();
        self.times.truncate(common);
        for (sum, (_, values)) in self.sums.iter_mut().zip(lines) {
            sum.truncate(common);
            for (s, &v) in sum.iter_mut().zip(values.as_ref()) {
                *s += f64::from(v);
            }
        }
        self.runs += 1;
    }

    /// MSER-5 on every averaged line up to the scenario's first fault or
    /// region outage (or its end): the latest line's cut.
    pub fn find(&self, scenario: &Scenario) -> Finding {
        let first_fault = scenario
            .faults
            .iter()
            .map(|f| f.at)
            .chain(scenario.region_outages.iter().map(|o| o.at))
            .min();
        let until = first_fault.map_or(scenario.duration, |at| at.min(scenario.duration));
        let points = self.times.iter().take_while(|&&t| t <= until.0).count();
        let mut finding = Finding {
            cut: None,
            decided_by: None,
            series: self.names.clone(),
            replications: self.runs,
            unsettled: Vec::new(),
            until,
            first_fault,
            batch: Duration(self.times.get(BATCH - 1).copied().unwrap_or(0)),
        };
        #[expect(clippy::cast_precision_loss, reason = "replication counts")]
        let runs = self.runs.max(1) as f64;
        let mut cut = 0;
        for (name, sum) in self.names.iter().zip(&self.sums) {
            let mean: Vec<f64> = sum[..points].iter().map(|s| s / runs).collect();
            let Some(mser) = mser5(&mean) else {
                return finding;
            };
            let at = match mser.cut {
                0 => 0,
                d => self.times[d * BATCH - 1],
            };
            if at > cut {
                cut = at;
                finding.decided_by = Some(name.clone());
            }
            if !mser.settled() {
                finding.unsettled.push(name.clone());
            }
        }
        finding.cut = Some(Duration(cut));
        finding
    }
}

/// What MSER-5 found on a scenario's averaged series.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    /// Where the initial transient ends; `None` when there were too few
    /// points to tell (fewer than 20 before the first fault).
    pub cut: Option<Duration>,
    /// The line whose transient ends last (none when nothing is cut).
    pub decided_by: Option<String>,
    /// Every line examined.
    pub series: Vec<String>,
    /// How many replications were averaged.
    pub replications: usize,
    /// Lines that had not settled by half of what was examined.
    pub unsettled: Vec<String>,
    /// The lines were examined up to here: the first fault or the end.
    pub until: Duration,
    pub first_fault: Option<Duration>,
    /// A batch's span: the resolution of the cut.
    pub batch: Duration,
}

impl Finding {
    /// The cut to apply: the one found, or none when there was too little
    /// to tell.
    pub fn cut_or_none(&self) -> Duration {
        self.cut.unwrap_or(Duration::ZERO)
    }

    /// What was examined, in words: "the run" or "the 2m before the
    /// first fault".
    fn span(&self) -> String {
        match self.first_fault {
            Some(at) => format!("the {at} before the first fault"),
            None => "the run".to_owned(),
        }
    }

    /// Why the finding cannot be trusted, if it cannot: too few points,
    /// lines that had not settled, and (with `few`) too few replications.
    fn doubt(&self, few: bool) -> Option<String> {
        if self.cut.is_none() {
            return Some(format!(
                "{} holds too few sampled points to find where the initial transient ends (MSER-5 needs {} batches of {BATCH}); nothing is cut",
                capitalised(&self.span()),
                MIN_BATCHES
            ));
        }
        let few = (few && self.replications < FEW_REPLICATIONS).then(|| {
            format!(
                "only {} replication(s) averaged: one run's noise can hide or mimic a transient, so the cut is rough; {FEW_REPLICATIONS} or more give a steadier one",
                self.replications
            )
        });
        if self.unsettled.is_empty() {
            return few;
        }
        let unsettled = format!(
            "{} had not settled by half of {}: the run is too short to reach its steady state (or the model has none), and the cut is the best MSER-5 finds in the first half; lengthen the duration{}",
            self.unsettled.join(", "),
            self.span(),
            if self.first_fault.is_some() {
                " or start the faults later"
            } else {
                ""
            }
        );
        Some(match few {
            Some(few) => format!("{unsettled}; {few}"),
            None => unsettled,
        })
    }
}

fn capitalised(text: &str) -> String {
    let mut chars = text.chars();
    chars.next().map_or_else(String::new, |c| {
        c.to_uppercase().chain(chars).collect::<String>()
    })
}

/// Where a report's warm-up came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// Found by MSER-5 on a pilot pass.
    Mser5,
    /// Set by the scenario (or `--warmup`).
    Set,
}

impl Method {
    pub const fn key(self) -> &'static str {
        match self {
            Self::Mser5 => "mser-5",
            Self::Set => "set",
        }
    }
}

/// A report's warm-up: what was cut, how it was chosen, and whether the
/// data agree.
#[derive(Clone, Debug, PartialEq)]
pub struct Warmup {
    pub method: Method,
    /// What every replication cut.
    pub cut: Duration,
    pub finding: Finding,
    pub warning: Option<String>,
}

impl Warmup {
    /// The scenario's warm-up: the one it sets, checked against
    /// `finding`, or else the one found.
    pub fn of(scenario: &Scenario, finding: Finding) -> Self {
        match scenario.warmup {
            Some(set) => Self::set(set, finding),
            None => Self::found(finding),
        }
    }

    /// The warm-up MSER-5 found.
    pub fn found(finding: Finding) -> Self {
        Self {
            method: Method::Mser5,
            cut: finding.cut_or_none(),
            warning: finding.doubt(true),
            finding,
        }
    }

    /// A warm-up the scenario set, checked against what MSER-5 finds on
    /// [`FEW_REPLICATIONS`] or more: a warning when the transient ends
    /// after the batch the set warm-up ends in, or a line had not settled.
    pub fn set(cut: Duration, finding: Finding) -> Self {
        let mut warnings = Vec::new();
        // NOTE: with fewer replications one run's noise decides, and a
        // warning about a warm-up the user chose would mostly be noise.
        if finding.replications < FEW_REPLICATIONS {
            return Self {
                method: Method::Set,
                cut,
                warning: None,
                finding,
            };
        }
        if let Some(found) = finding.cut {
            let batch = finding.batch.0.max(1);
            if found.0 > cut.0.div_ceil(batch).saturating_mul(batch) {
                warnings.push(format!(
                    "the warm-up set ({cut}) looks too short: MSER-5 on {} replication(s) finds the initial transient of {} ending at {:.1} s",
                    finding.replications,
                    finding.decided_by.as_deref().unwrap_or("the system"),
                    found.as_secs_f64(),
                ));
            }
        }
        warnings.extend(finding.doubt(false));
        Self {
            method: Method::Set,
            cut,
            warning: (!warnings.is_empty()).then(|| warnings.join("; ")),
            finding,
        }
    }

    /// One line for people: what was cut and why, then any warning.
    pub fn describe(&self) -> String {
        let cut = format!("{:.1} s", self.cut.as_secs_f64());
        let text = match self.method {
            Method::Mser5 => match &self.finding.decided_by {
                Some(line) => format!(
                    "{cut} cut, found by MSER-5 on {line} (averaged over {} replication(s))",
                    self.finding.replications
                ),
                None => format!(
                    "nothing cut: MSER-5 finds no initial transient in the {} state series (averaged over {} replication(s))",
                    self.finding.series.len(),
                    self.finding.replications
                ),
            },
            Method::Set => match self.finding.cut {
                Some(found) => format!(
                    "{cut} cut, as set (MSER-5 on {} replication(s) finds {:.1} s)",
                    self.finding.replications,
                    found.as_secs_f64()
                ),
                None => format!("{cut} cut, as set"),
            },
        };
        match &self.warning {
            Some(warning) => format!("{text}. Warning: {warning}"),
            None => text,
        }
    }

    /// The report's `warmup` object (see `docs/report.md`).
    pub fn to_json(&self) -> Value {
        let seconds = |d: Duration| crate::report::number(d.as_secs_f64());
        json!({
            "cut_s": seconds(self.cut),
            "method": self.method.key(),
            "found_s": self.finding.cut.map(seconds),
            "decided_by": self.finding.decided_by,
            "series": self.finding.series,
            "replications": self.finding.replications,
            "examined_s": seconds(self.finding.until),
            "warning": self.warning,
        })
    }
}

/// One pass over replications `0..n` of a model: each run handed to the
/// fold, with its number, in replication order.
pub type Fold<'a> = &'a mut dyn FnMut(usize, &RunResult);

/// Runs a scenario's replications with its warm-up, by `pass` (one after
/// the other, or on threads): with none set, a pilot pass over the first
/// [`pilot_replications`] finds it, then every replication runs with that
/// cut; a warm-up set is checked on the replications' own series. Returns
/// the folded replications and how the warm-up was chosen.
pub fn replicate<E>(
    model: &Model,
    mut pass: impl FnMut(&Model, usize, Fold<'_>) -> Result<(), E>,
) -> Result<(crate::ReportBuilder, Warmup), E> {
    let scenario = &model.scenario;
    let pilot_reps = pilot_replications(scenario.replications) as usize;
    let mut pilot = Pilot::new();
    let found = match scenario.warmup {
        Some(_) => None,
        None => {
            pass(model, pilot_reps, &mut |_, run| pilot.add(run))?;
            Some(with_cut(model, pilot.find(scenario).cut_or_none()))
        }
    };
    let checking = found.is_none();
    let mut report = crate::ReportBuilder::new(scenario.seed);
    pass(
        found.as_ref().unwrap_or(model),
        scenario.replications.max(1) as usize,
        &mut |i, run| {
            if checking && i < pilot_reps {
                pilot.add(run);
            }
            report.add(run);
        },
    )?;
    Ok((report, Warmup::of(scenario, pilot.find(scenario))))
}

/// `model` with the warm-up `cut` set, for the replications after a
/// pilot pass.
pub fn with_cut(model: &Model, cut: Duration) -> Model {
    let mut model = model.clone();
    model.scenario.warmup = Some(cut);
    model
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A level rising from 0 to 10 over `ramp` points, then flat with a
    /// small deterministic wobble, `n` points in all.
    fn ramp_then_flat(ramp: usize, n: usize) -> Vec<f64> {
        (0..n)
            .map(|i| {
                #[expect(clippy::cast_precision_loss, reason = "small test numbers")]
                let (x, r) = (i as f64, ramp as f64);
                let wobble = 0.3 * (x * 1.7).sin();
                (if i < ramp { 10.0 * x / r } else { 10.0 }) + wobble
            })
            .collect()
    }

    #[test]
    fn a_flat_line_is_not_cut() {
        let flat = vec![4.0; 100];
        let m = mser5(&flat).expect("20 batches");
        assert_eq!((m.batches, m.cut, m.overall), (20, 0, 0));
        assert!(m.settled());
        let wobbly: Vec<f64> = ramp_then_flat(0, 200);
        assert_eq!(mser5(&wobbly).map(|m| m.cut), Some(0), "no transient");
    }

    #[test]
    fn a_ramp_is_cut_where_it_ends() {
        for ramp in [25, 50, 80] {
            let line = ramp_then_flat(ramp, 250);
            let m = mser5(&line).expect("50 batches");
            // The ramp's last batches hold values within the wobble of
            // the flat part: MSER cuts at its end, a batch or two early.
            let end = ramp / BATCH;
            assert!(
                (end.saturating_sub(2)..=end).contains(&m.cut),
                "ramp of {ramp} points ({end} batches): cut {} batches",
                m.cut
            );
            assert!(m.settled(), "{ramp}: {m:?}");
        }
    }

    #[test]
    fn a_line_still_moving_after_half_is_unsettled() {
        // A ramp over 70% of the line.
        let line = ramp_then_flat(175, 250);
        let m = mser5(&line).expect("50 batches");
        assert!(!m.settled(), "{m:?}");
        assert!(m.overall > m.batches / 2, "{m:?}");
        assert!(m.cut <= m.batches / 2, "the cut stays in the first half");
    }

    #[test]
    fn a_single_outlier_batch_at_the_start_is_cut_exactly() {
        let mut line = vec![1.0; 100];
        for v in &mut line[..5] {
            *v = 50.0;
        }
        assert_eq!(mser5(&line).map(|m| m.cut), Some(1));
        // A partial last batch is left out.
        assert_eq!(mser5(&line[..99]).map(|m| m.batches), Some(19));
    }

    #[test]
    fn too_few_points_give_no_answer() {
        assert_eq!(mser5(&[1.0; 19]), None);
        assert!(mser5(&[1.0; 20]).is_some());
    }

    fn finding(cut: Option<u64>, batch: u64) -> Finding {
        Finding {
            cut: cut.map(Duration::from_secs),
            decided_by: Some("q.depth".to_owned()),
            series: vec!["system.in_flight".to_owned(), "q.depth".to_owned()],
            replications: 10,
            unsettled: Vec::new(),
            until: Duration::from_secs(500),
            first_fault: None,
            batch: Duration::from_secs(batch),
        }
    }

    #[test]
    fn a_set_warm_up_short_of_the_transient_is_warned_about() {
        // MSER-5 finds 40 s at a resolution of 10 s batches.
        let short = Warmup::set(Duration::from_secs(20), finding(Some(40), 10));
        let warning = short.warning.as_deref().expect("warned");
        assert!(
            warning.contains("the warm-up set (20s) looks too short")
                && warning.contains("q.depth ending at 40.0 s"),
            "{warning}"
        );
        assert_eq!(
            short.cut,
            Duration::from_secs(20),
            "the set warm-up is kept"
        );
        // Within the batch MSER-5 cuts at: no warning.
        for set in [31, 40, 60] {
            let fine = Warmup::set(Duration::from_secs(set), finding(Some(40), 10));
            assert_eq!(fine.warning, None, "{set}");
        }
    }

    #[test]
    fn found_warm_ups_say_what_they_cut_and_doubt_what_they_cannot_tell() {
        let found = Warmup::found(finding(Some(40), 10));
        assert_eq!(found.cut, Duration::from_secs(40));
        assert_eq!(found.warning, None);
        assert_eq!(
            found.describe(),
            "40.0 s cut, found by MSER-5 on q.depth (averaged over 10 replication(s))"
        );
        let json = found.to_json();
        assert_eq!(json["method"], "mser-5");
        assert_eq!(json["cut_s"], 40);
        assert_eq!(json["decided_by"], "q.depth");

        let mut unsettled = finding(Some(240), 10);
        unsettled.unsettled = vec!["q.depth".to_owned()];
        let warning = Warmup::found(unsettled).warning.expect("warned");
        assert!(
            warning.contains("q.depth had not settled by half of the run"),
            "{warning}"
        );

        let mut blind = finding(None, 10);
        blind.first_fault = Some(Duration::from_secs(5));
        let blind = Warmup::found(blind);
        assert_eq!(blind.cut, Duration::ZERO);
        let warning = blind.warning.expect("warned");
        assert!(
            warning.starts_with("The 5s before the first fault holds too few sampled points"),
            "{warning}"
        );
    }

    /// An M/M/1-like run: the pilot averages replications and finds the
    /// transient of the queue, the latest line.
    #[test]
    fn the_pilot_averages_replications_and_takes_the_latest_line() {
        let text = r#"(
            version: 1,
            name: "mm1",
            scenario: (duration: "100s", seed: 3),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 90.0))),
                (id: "q", kind: Queue()),
                (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
        )"#;
        let (model, _) = crate::model::file::from_str(text).expect("model");
        let mut pilot = Pilot::new();
        for seed in 0..4 {
            pilot.add(&crate::run_once(&model, seed).expect("runs"));
        }
        assert_eq!(pilot.replications(), 4);
        let found = pilot.find(&model.scenario);
        assert!(
            found.series.contains(&"system.in_flight".to_owned()),
            "{found:?}"
        );
        assert!(found.series.contains(&"q.depth".to_owned()), "{found:?}");
        let cut = found.cut.expect("enough points");
        assert!(
            cut > Duration::ZERO && cut < Duration::from_secs(50),
            "{found:?}"
        );
        assert!(found.decided_by.is_some(), "{found:?}");
        // The same replications in the same order give the same cut.
        let mut again = Pilot::new();
        for seed in 0..4 {
            again.add(&crate::run_once(&model, seed).expect("runs"));
        }
        assert_eq!(again.find(&model.scenario), found);
        // A fault at 10 s leaves too few points before it (100 s over 256
        // points: 25 points, 5 batches, is enough; at 5 s it is not).
        let mut faulted = model.scenario.clone();
        faulted.faults = vec![crate::faults::Fault {
            at: Duration::from_secs(5),
            duration: Duration::from_secs(1),
            node: "worker".to_owned(),
            link: None,
            effect: crate::faults::Effect::Crash,
        }];
        let blind = pilot.find(&faulted);
        assert_eq!(blind.cut, None);
        assert_eq!(blind.until, Duration::from_secs(5));
    }
}
