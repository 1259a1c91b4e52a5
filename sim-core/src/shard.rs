//! Shards: a scenario's replications, or a sweep's points × replications,
//! split over machines, and merged back into the report one machine gives.
//!
//! The work is a line of units: replication `r` of point `p` is unit
//! `p × R + r` (`R` replications per point; a run is a sweep of one point
//! with no knobs). Shard `i` of `n` takes the units from `⌊i·U/n⌋` to
//! `⌊(i+1)·U/n⌋` ([`share`]), so a shard is a pure function of the model,
//! its seed, the flags and `i/n`, and shards past the number of units are
//! empty. Each replication is seeded by its number alone, so where it runs
//! changes nothing.
//!
//! A shard does not fold its replications: folding adds floating-point
//! numbers in replication order, which partial folds cannot reproduce.
//! It keeps, for each replication, exactly what
//! [`ReportBuilder::add`](crate::ReportBuilder::add) reads ([`Record`]), and
//! [`merge`] replays them in order through the same fold. Numbers are
//! written as JSON numbers in their shortest exact form (and read back
//! exactly; non-finite ones as the strings `NaN`, `inf`, `-inf`), so the
//! merged report is the single machine's byte for byte, apart from
//! `wall_s`, which is the sum of the shards' own.
//!
//! The warm-up: with one set, the report checks it against MSER-5 on the
//! first replications' state series, so those replications carry their
//! state lines too. With none set, a pilot pass over the first
//! replications finds it before any replication runs; every shard that
//! has work runs that pilot in full (it is a pure function of the model)
//! and carries what it found, and the merge checks that they agree.
//!
//! Everything here is pure: the app reads the files, runs the
//! replications and writes the results.

use std::fmt;
use std::ops::Range;
use std::str::FromStr;

use serde_json::{Map, Value, json};

use crate::alerts::{AlertRun, Firing};
use crate::model::{Model, file};
use crate::report::{Conservation, NodeResult, Report, ReportBuilder, RunResult};
use crate::slo::SloRun;
use crate::sweep::{Axis, MetricRef, Sweep};
use crate::time::{Duration, SimTime};
use crate::warmup::{Finding, Pilot, Warmup, pilot_replications, with_cut};

/// The version of the shard format; a merge refuses any other.
/// (2: conservation counts `lost` apart from `dropped`.)
pub const FORMAT: u64 = 2;

/// The most shards a job may be split into.
pub const MAX_SHARDS: u32 = 1_000_000;

/// Which shard of how many: `i/n`, `i` from 0 to `n − 1` (as Slurm's
/// `--array=0-…` and Kubernetes' `JOB_COMPLETION_INDEX` count).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ShardSpec {
    pub index: u32,
    pub count: u32,
}

impl fmt::Display for ShardSpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.count)
    }
}

impl FromStr for ShardSpec {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, String> {
        let usage = "a shard is I/N, the shard's index from 0 and the number of shards (0/4 … 3/4)";
        let Some((i, n)) = text.trim().split_once('/') else {
            return Err(format!("'{text}': {usage}"));
        };
        let number = |s: &str| {
            s.trim()
                .parse::<u32>()
                .map_err(|_| format!("'{text}': {usage}"))
        };
        let (index, count) = (number(i)?, number(n)?);
        if count == 0 || count > MAX_SHARDS {
            return Err(format!(
                "'{text}': the number of shards is from 1 to {MAX_SHARDS}"
            ));
        }
        if index >= count {
            return Err(format!(
                "'{text}': with {count} shard(s) the index runs from 0 to {}",
                count - 1
            ));
        }
        Ok(Self { index, count })
    }
}

/// The units `[⌊i·total/n⌋, ⌊(i+1)·total/n⌋)` of shard `i/n`.
pub fn share(total: usize, spec: ShardSpec) -> Range<usize> {
    let at = |i: u32| {
        let unit = u128::from(i) * total as u128 / u128::from(spec.count);
        usize::try_from(unit).unwrap_or(total)
    };
    at(spec.index)..at(spec.index + 1)
}

/// A shard's work: for each point it touches (by number, in order), the
/// replications of that point it runs.
pub fn plan(points: usize, replications: usize, spec: ShardSpec) -> Vec<(usize, Range<usize>)> {
    let reps = replications.max(1);
    let units = share(points.saturating_mul(reps), spec);
    let mut out = Vec::new();
    let mut at = units.start;
    while at < units.end {
        let point = at / reps;
        let end = units.end.min((point + 1) * reps);
        out.push((point, at - point * reps..end - point * reps));
        at = end;
    }
    out
}

/// What the shards run: `weir run`, or `weir sweep` with its knobs and
/// metrics as written on its command line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    Run,
    Sweep {
        vary: Vec<String>,
        metrics: Vec<String>,
    },
}

impl Job {
    /// The command's name.
    pub const fn command(&self) -> &'static str {
        match self {
            Self::Run => "run",
            Self::Sweep { .. } => "sweep",
        }
    }
}

/// A replication's state lines for the warm-up check
/// ([`crate::warmup::Pilot`]): their sampling instants and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Lines {
    pub times_ns: Vec<u64>,
    pub lines: Vec<(String, Vec<f32>)>,
}

/// One replication as the report's fold takes it in.
#[derive(Clone, Debug, PartialEq)]
pub struct Record {
    /// The replication's number (0-based) within its point.
    pub index: usize,
    pub seed: u64,
    pub events: u64,
    pub sim_time_s: f64,
    pub warmup_s: f64,
    pub conservation: Conservation,
    /// Each node's metrics in model order, as the run named them.
    pub nodes: Vec<Vec<(String, f64)>>,
    pub slos: Vec<SloRun>,
    /// The alerts' evaluation interval and firings (`None` without rules).
    pub alerts: Option<(Duration, Vec<Firing>)>,
    /// The state lines, kept for the replications a set warm-up is
    /// checked on.
    pub lines: Option<Lines>,
}

impl Record {
    /// Replication `index`'s record; `lines`: whether to keep its state
    /// lines.
    pub fn of(index: usize, run: &RunResult, lines: bool) -> Self {
        Self {
            index,
            seed: run.seed,
            events: run.events,
            sim_time_s: run.sim_time_s,
            warmup_s: run.warmup_s,
            conservation: run.conservation,
            nodes: run.nodes.iter().map(|n| n.metrics.clone()).collect(),
            slos: run.slos.clone(),
            alerts: run.alerts.as_ref().map(|a| (a.interval, a.firings.clone())),
            lines: lines.then(|| Lines {
                times_ns: run.series.times_ns().to_vec(),
                lines: crate::warmup::state_lines(&run.series),
            }),
        }
    }

    /// The run this record was taken from, as far as the fold reads it,
    /// on `template`: a run of the same model that has not started, which
    /// gives what every run of the model shares (its nodes, stations and
    /// alert rules).
    fn to_run(&self, template: &RunResult) -> Result<RunResult, String> {
        let at = format!("replication {}", self.index + 1);
        if self.nodes.len() != template.nodes.len() {
            return Err(format!(
                "{at} measures {} node(s); the model has {}",
                self.nodes.len(),
                template.nodes.len()
            ));
        }
        if self.slos.len() != template.slos.len() {
            return Err(format!(
                "{at} measures {} objective(s); the model has {}",
                self.slos.len(),
                template.slos.len()
            ));
        }
        let alerts = match (&template.alerts, &self.alerts) {
            (None, None) => None,
            (Some(t), Some((interval, firings))) => {
                if let Some(f) = firings.iter().find(|f| f.rule >= t.rules.len()) {
                    return Err(format!(
                        "{at}: a firing of alert rule {} of {}",
                        f.rule + 1,
                        t.rules.len()
                    ));
                }
                Some(AlertRun {
                    interval: *interval,
                    firings: firings.clone(),
                    ..t.clone()
                })
            }
            (Some(_), None) => return Err(format!("{at} has no alerts; the model has rules")),
            (None, Some(_)) => return Err(format!("{at} has alerts; the model has no rules")),
        };
        Ok(RunResult {
            model: template.model.clone(),
            seed: self.seed,
            sim_time_s: self.sim_time_s,
            warmup_s: self.warmup_s,
            events: self.events,
            conservation: self.conservation,
            nodes: template
                .nodes
                .iter()
                .zip(&self.nodes)
                .map(|(t, metrics)| NodeResult {
                    id: t.id.clone(),
                    kind: t.kind,
                    metrics: metrics.clone(),
                })
                .collect(),
            series: template.series.clone(),
            slos: self.slos.clone(),
            alerts,
            theory: std::sync::Arc::clone(&template.theory),
        })
    }
}

/// One point's replications in a shard.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The point's value indices, one per knob (empty for a run).
    pub point: Vec<usize>,
    /// What the pilot pass found, when the scenario sets no warm-up.
    pub finding: Option<Finding>,
    /// Consecutive replications, in order.
    pub records: Vec<Record>,
}

/// One shard's output.
#[derive(Clone, Debug, PartialEq)]
pub struct Shard {
    pub job: Job,
    pub spec: ShardSpec,
    /// The model as run (variant and scenario flags applied), as Weir
    /// writes it.
    pub model: String,
    pub seed: u64,
    /// Replications per point.
    pub replications: u32,
    /// Wall-clock seconds this shard took.
    pub wall_s: f64,
    pub parts: Vec<Part>,
}

/// The model text's fingerprint (FNV-1a, 64 bits), as shards show it.
pub fn model_hash(text: &str) -> String {
    format!("{:016x}", crate::rng::fnv1a(text))
}

/// A number exactly: finite ones as JSON numbers in their shortest form
/// that reads back to the same bits, others as strings.
fn real(x: f64) -> Value {
    if x.is_finite() {
        Value::from(x)
    } else if x.is_nan() {
        Value::from("NaN")
    } else if x > 0.0 {
        Value::from("inf")
    } else {
        Value::from("-inf")
    }
}

fn opt_real(x: Option<f64>) -> Value {
    x.map_or(Value::Null, real)
}

/// Values of a state line, space-separated in their shortest exact form.
fn f32_line(values: &[f32]) -> String {
    values
        .iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(" ")
}

fn finding_json(f: &Finding) -> Value {
    json!({
        "cut_ns": f.cut.map(|d| d.0),
        "decided_by": f.decided_by,
        "series": f.series,
        "replications": f.replications,
        "unsettled": f.unsettled,
        "until_ns": f.until.0,
        "first_fault_ns": f.first_fault.map(|d| d.0),
        "batch_ns": f.batch.0,
    })
}

impl Record {
    fn to_json(&self) -> Value {
        let c = &self.conservation;
        let mut o = Map::new();
        o.insert("replication".to_owned(), Value::from(self.index));
        o.insert("seed".to_owned(), Value::from(self.seed));
        o.insert("events".to_owned(), Value::from(self.events));
        o.insert("sim_time_s".to_owned(), real(self.sim_time_s));
        o.insert("warmup_s".to_owned(), real(self.warmup_s));
        o.insert(
            "conservation".to_owned(),
            json!({
                "produced": c.produced,
                "completed": c.completed,
                "dropped": c.dropped,
                "dead_lettered": c.dead_lettered,
                "expired": c.expired,
                "lost": c.lost,
                "in_flight": c.in_flight,
                "emitted": c.emitted,
                "fanout_copies": c.fanout_copies,
                "redelivered": c.redelivered,
                "derived": c.derived,
                "replayed": c.replayed,
            }),
        );
        o.insert(
            "nodes".to_owned(),
            self.nodes
                .iter()
                .map(|metrics| {
                    metrics
                        .iter()
                        .map(|(path, v)| json!([path, real(*v)]))
                        .collect::<Value>()
                })
                .collect(),
        );
        o.insert(
            "slos".to_owned(),
            self.slos
                .iter()
                .map(|s| {
                    json!({
                        "value": opt_real(s.value),
                        "burned": opt_real(s.burned),
                        "windows": s.windows.map(|(met, all)| json!([met, all])),
                    })
                })
                .collect(),
        );
        o.insert(
            "alerts".to_owned(),
            self.alerts
                .as_ref()
                .map_or(Value::Null, |(interval, firings)| {
                    json!({
                        "interval_ns": interval.0,
                        // A firing a random fault's strike explains
                        // carries a fifth element.
                        "firings": firings.iter().map(|f| {
                            let mut firing = json!([
                                f.rule,
                                f.active_at.as_nanos(),
                                f.fired_at.as_nanos(),
                                f.resolved_at.map(SimTime::as_nanos),
                            ]);
                            if f.random_fault && let Some(a) = firing.as_array_mut() {
                                a.push(Value::Bool(true));
                            }
                            firing
                        }).collect::<Vec<_>>(),
                    })
                }),
        );
        if let Some(lines) = &self.lines {
            o.insert(
                "state_lines".to_owned(),
                json!({
                    "times_ns": lines.times_ns,
                    "lines": lines.lines.iter().map(|(name, values)| json!([name, f32_line(values)])).collect::<Vec<_>>(),
                }),
            );
        }
        Value::Object(o)
    }
}

impl Shard {
    /// The shard as JSON (compact, one line, ending in a newline).
    pub fn to_json_string(&self) -> String {
        let mut o = Map::new();
        o.insert("weir_shard".to_owned(), Value::from(FORMAT));
        o.insert("command".to_owned(), Value::from(self.job.command()));
        o.insert("shard".to_owned(), Value::from(self.spec.to_string()));
        o.insert(
            "model_hash".to_owned(),
            Value::from(model_hash(&self.model)),
        );
        o.insert("seed".to_owned(), Value::from(self.seed));
        o.insert("replications".to_owned(), Value::from(self.replications));
        if let Job::Sweep { vary, metrics } = &self.job {
            o.insert("vary".to_owned(), json!(vary));
            o.insert("metric".to_owned(), json!(metrics));
        }
        o.insert("wall_s".to_owned(), real(self.wall_s));
        o.insert("model".to_owned(), Value::from(self.model.as_str()));
        o.insert(
            "parts".to_owned(),
            self.parts
                .iter()
                .map(|p| {
                    json!({
                        "point": p.point,
                        "finding": p.finding.as_ref().map(finding_json),
                        "records": p.records.iter().map(Record::to_json).collect::<Vec<_>>(),
                    })
                })
                .collect(),
        );
        let mut text = Value::Object(o).to_string();
        text.push('\n');
        text
    }

    /// Reads a shard written by [`Self::to_json_string`]; the error names
    /// the field that is wrong.
    pub fn from_json(text: &str) -> Result<Self, String> {
        let doc: Value =
            serde_json::from_str(text).map_err(|e| format!("not a Weir shard (JSON: {e})"))?;
        let root = Field::root(&doc);
        if !doc.is_object() || doc.get("weir_shard").is_none() {
            return Err("not a Weir shard (no `weir_shard` field)".to_owned());
        }
        let format = root.get("weir_shard")?.u64()?;
        if format != FORMAT {
            return Err(format!(
                "a shard of format {format}; this Weir reads format {FORMAT}"
            ));
        }
        let job = match root.get("command")?.str()? {
            "run" => Job::Run,
            "sweep" => Job::Sweep {
                vary: root.get("vary")?.strings()?,
                metrics: root.get("metric")?.strings()?,
            },
            other => return Err(format!("command: '{other}' is neither run nor sweep")),
        };
        let spec = root
            .get("shard")?
            .str()?
            .parse::<ShardSpec>()
            .map_err(|e| format!("shard: {e}"))?;
        let model = root.get("model")?.str()?.to_owned();
        let hash = root.get("model_hash")?.str()?;
        if hash != model_hash(&model) {
            return Err(format!(
                "model_hash: {hash} is not the hash of the model it holds ({}): the file was altered",
                model_hash(&model)
            ));
        }
        let replications = root.get("replications")?.u64()?;
        let replications = u32::try_from(replications)
            .map_err(|_| format!("replications: {replications} is too many"))?;
        let parts = root
            .get("parts")?
            .array()?
            .iter()
            .map(read_part)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Self {
            job,
            spec,
            model,
            seed: root.get("seed")?.u64()?,
            replications,
            wall_s: root.get("wall_s")?.real()?,
            parts,
        })
    }
}

fn read_part(p: &Field<'_>) -> Result<Part, String> {
    let point = p
        .get("point")?
        .array()?
        .iter()
        .map(Field::usize)
        .collect::<Result<Vec<_>, _>>()?;
    let finding = p.get("finding")?.opt().map(read_finding).transpose()?;
    let records = p
        .get("records")?
        .array()?
        .iter()
        .map(read_record)
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Part {
        point,
        finding,
        records,
    })
}

fn read_finding(f: &Field<'_>) -> Result<Finding, String> {
    let nanos = |name: &str| -> Result<Option<Duration>, String> {
        f.get(name)?
            .opt()
            .map(|v| v.u64().map(Duration))
            .transpose()
    };
    Ok(Finding {
        cut: nanos("cut_ns")?,
        decided_by: f
            .get("decided_by")?
            .opt()
            .map(|s| s.str().map(str::to_owned))
            .transpose()?,
        series: f.get("series")?.strings()?,
        replications: f.get("replications")?.usize()?,
        unsettled: f.get("unsettled")?.strings()?,
        until: Duration(f.get("until_ns")?.u64()?),
        first_fault: nanos("first_fault_ns")?,
        batch: Duration(f.get("batch_ns")?.u64()?),
    })
}

fn read_record(r: &Field<'_>) -> Result<Record, String> {
    let c = r.get("conservation")?;
    let count = |name: &str| c.get(name)?.u64();
    let conservation = Conservation {
        produced: count("produced")?,
        completed: count("completed")?,
        dropped: count("dropped")?,
        dead_lettered: count("dead_lettered")?,
        expired: count("expired")?,
        lost: count("lost")?,
        in_flight: count("in_flight")?,
        emitted: count("emitted")?,
        fanout_copies: count("fanout_copies")?,
        redelivered: count("redelivered")?,
        derived: count("derived")?,
        replayed: count("replayed")?,
    };
    let nodes = r
        .get("nodes")?
        .array()?
        .iter()
        .map(|node| {
            node.array()?
                .iter()
                .map(|pair| {
                    let [path, value] = pair.pair()?;
                    Ok((path.str()?.to_owned(), value.real()?))
                })
                .collect::<Result<Vec<_>, String>>()
        })
        .collect::<Result<Vec<_>, _>>()?;
    let slos = r
        .get("slos")?
        .array()?
        .iter()
        .map(|s| {
            let opt_real = |name: &str| s.get(name)?.opt().map(Field::real).transpose();
            let windows = s
                .get("windows")?
                .opt()
                .map(|w| {
                    let [met, all] = w.pair()?;
                    Ok::<_, String>((met.u64()?, all.u64()?))
                })
                .transpose()?;
            Ok(SloRun {
                value: opt_real("value")?,
                burned: opt_real("burned")?,
                windows,
            })
        })
        .collect::<Result<Vec<_>, String>>()?;
    let alerts = r
        .get("alerts")?
        .opt()
        .map(|a| {
            let interval = Duration(a.get("interval_ns")?.u64()?);
            let firings = a
                .get("firings")?
                .array()?
                .iter()
                .map(|f| {
                    let mut parts = f.array()?;
                    let random_fault = match parts.len() {
                        5 => parts.pop().map(|r| r.bool()).transpose()?.unwrap_or(false),
                        _ => false,
                    };
                    let [rule, active, fired, resolved] = <[Field<'_>; 4]>::try_from(parts)
                        .map_err(|_| f.wrong("[rule, active, fired, resolved, random fault?]"))?;
                    Ok(Firing {
                        random_fault,
                        rule: rule.usize()?,
                        active_at: SimTime::from_nanos(active.u64()?),
                        fired_at: SimTime::from_nanos(fired.u64()?),
                        resolved_at: resolved
                            .opt()
                            .map(|v| v.u64().map(SimTime::from_nanos))
                            .transpose()?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Ok::<_, String>((interval, firings))
        })
        .transpose()?;
    let lines = match r.value.get("state_lines") {
        None => None,
        Some(_) => {
            let l = r.get("state_lines")?;
            let times_ns = l
                .get("times_ns")?
                .array()?
                .iter()
                .map(Field::u64)
                .collect::<Result<Vec<_>, _>>()?;
            let lines = l
                .get("lines")?
                .array()?
                .iter()
                .map(|line| {
                    let [name, values] = line.pair()?;
                    let text = values.str()?;
                    let values = text
                        .split_ascii_whitespace()
                        .map(|v| {
                            v.parse::<f32>().map_err(|_| {
                                format!("{}: '{v}' is not a number", values.describe())
                            })
                        })
                        .collect::<Result<Vec<_>, _>>()?;
                    Ok((name.str()?.to_owned(), values))
                })
                .collect::<Result<Vec<_>, String>>()?;
            Some(Lines { times_ns, lines })
        }
    };
    Ok(Record {
        index: r.get("replication")?.usize()?,
        seed: r.get("seed")?.u64()?,
        events: r.get("events")?.u64()?,
        sim_time_s: r.get("sim_time_s")?.real()?,
        warmup_s: r.get("warmup_s")?.real()?,
        conservation,
        nodes,
        slos,
        alerts,
        lines,
    })
}

/// The model as a shard carries it: as Weir writes it, checked to read
/// back as the same model.
pub fn model_text(model: &Model) -> Result<String, String> {
    let text = file::try_to_string(model).map_err(|e| e.to_string())?;
    match file::from_str(&text) {
        Ok((back, _)) if back.same_as(model) => Ok(text),
        Ok(_) => Err("the model does not read back as itself once written out".to_owned()),
        Err(e) => Err(format!("the model, written out, does not read back: {e}")),
    }
}

/// Runs replications `range` of `model` one after the other, handing
/// each to `fold` in order: the pass [`run_shard`] takes on a machine
/// without threads (the app runs them on threads, with the same results).
pub fn run_range(
    model: &Model,
    range: Range<usize>,
    fold: crate::warmup::Fold<'_>,
) -> Result<(), crate::RunError> {
    for i in range {
        let i_u32 = u32::try_from(i).map_err(|_| {
            crate::RunError::Invalid(format!("replication {} is past the last", i + 1))
        })?;
        let seed = crate::rng::replication_seed(model.scenario.seed, i_u32);
        fold(i, &crate::run_for_report(model, seed)?);
    }
    Ok(())
}

/// Runs shard `spec` of `job` over `points` (each point's value indices
/// and model; a run's one point has none), replications by `pass` (which
/// runs a range of a model's replications and hands each to the fold in
/// order). `model` is the text of the model as run ([`model_text`]);
/// the caller sets `wall_s`.
pub fn run_shard<E>(
    model: String,
    job: Job,
    points: &[(Vec<usize>, Model)],
    spec: ShardSpec,
    mut pass: impl FnMut(&Model, Range<usize>, crate::warmup::Fold<'_>) -> Result<(), E>,
) -> Result<Shard, E> {
    let (seed, replications) = points
        .first()
        .map_or((0, 1), |(_, m)| (m.scenario.seed, m.scenario.replications));
    let mut parts = Vec::new();
    for (p, range) in plan(points.len(), replications as usize, spec) {
        let (point, point_model) = &points[p];
        let scenario = &point_model.scenario;
        let pilot_reps = pilot_replications(scenario.replications) as usize;
        let (run_model, finding) = match scenario.warmup {
            Some(_) => (point_model.clone(), None),
            None => {
                // NOTE: every shard runs the whole pilot: the cut it finds
                // must be the one a single machine finds.
                let mut pilot = Pilot::new();
                pass(point_model, 0..pilot_reps, &mut |_, run| pilot.add(run))?;
                let finding = pilot.find(scenario);
                (with_cut(point_model, finding.cut_or_none()), Some(finding))
            }
        };
        let keep_lines = finding.is_none();
        let mut records = Vec::with_capacity(range.len());
        pass(&run_model, range, &mut |i, run| {
            records.push(Record::of(i, run, keep_lines && i < pilot_reps));
        })?;
        parts.push(Part {
            point: point.clone(),
            finding,
            records,
        });
    }
    Ok(Shard {
        job,
        spec,
        model,
        seed,
        replications: replications.max(1),
        wall_s: 0.0,
        parts,
    })
}

/// Shards merged: the model they ran and, for each point in order, the
/// report one machine gives.
#[derive(Debug)]
pub struct Merged {
    pub job: Job,
    /// The model as run (variant and flags applied).
    pub model: Model,
    /// A sweep's knobs and metrics (`None` for a run).
    pub sweep: Option<Sweep>,
    /// Each point's value indices and report; a run's one point has none.
    pub reports: Vec<(Vec<usize>, Report)>,
}

/// Why shards do not merge.
#[derive(Debug, thiserror::Error)]
pub enum MergeError {
    /// Something wrong with one shard, or between it and the first.
    #[error("{file}: {why}")]
    Shard { file: String, why: String },
    /// Something wrong with the set of shards.
    #[error("{0}")]
    Set(String),
}

fn shard_error(file: &str, why: impl Into<String>) -> MergeError {
    MergeError::Shard {
        file: file.to_owned(),
        why: why.into(),
    }
}

/// Merges shards, each named by its file, given in any order: every shard
/// of one job exactly once. The reports are what `weir run` (or each
/// point of `weir sweep`) gives on one machine; a run's `wall_s` is the
/// sum of the shards' wall-clock seconds.
pub fn merge(shards: &[(String, Shard)]) -> Result<Merged, MergeError> {
    let Some((first_name, first)) = shards.first() else {
        return Err(MergeError::Set("no shards to merge".to_owned()));
    };
    for (name, s) in &shards[1..] {
        let why = if s.job.command() != first.job.command() {
            Some(format!(
                "a shard of `weir {}`; {first_name} is a shard of `weir {}`",
                s.job.command(),
                first.job.command()
            ))
        } else if s.spec.count != first.spec.count {
            Some(format!(
                "one of {} shards; {first_name} is one of {}",
                s.spec.count, first.spec.count
            ))
        } else if s.seed != first.seed {
            Some(format!(
                "seed {}; {first_name} has seed {}",
                s.seed, first.seed
            ))
        } else if s.replications != first.replications {
            Some(format!(
                "{} replication(s) per point; {first_name} has {}",
                s.replications, first.replications
            ))
        } else if s.model != first.model {
            Some(format!(
                "a shard of another model or scenario (model hash {}; {first_name} has {}): the model file, --variant, --duration or --warmup differ",
                model_hash(&s.model),
                model_hash(&first.model)
            ))
        } else if s.job != first.job {
            Some(format!(
                "swept over other knobs or metrics than {first_name} (--vary and --metric differ)"
            ))
        } else {
            None
        };
        if let Some(why) = why {
            return Err(shard_error(name, why));
        }
    }
    let count = first.spec.count;
    let mut by_index: std::collections::BTreeMap<u32, &(String, Shard)> =
        std::collections::BTreeMap::new();
    for entry in shards {
        if let Some((other, _)) = by_index.insert(entry.1.spec.index, entry) {
            return Err(shard_error(
                &entry.0,
                format!(
                    "shard {} is given twice: {other} is the same shard",
                    entry.1.spec
                ),
            ));
        }
    }
    let missing: Vec<String> = (0..count)
        .filter(|i| !by_index.contains_key(i))
        .map(|i| format!("{i}/{count}"))
        .collect();
    if !missing.is_empty() {
        let shown = if missing.len() > 10 {
            format!(
                "{} and {} more",
                missing[..10].join(", "),
                missing.len() - 10
            )
        } else {
            missing.join(", ")
        };
        return Err(MergeError::Set(format!(
            "{} of {count} shard(s) missing: {shown}",
            missing.len()
        )));
    }

    let (model, diagnostics) = file::from_str(&first.model)
        .map_err(|e| shard_error(first_name, format!("the model it holds does not read: {e}")))?;
    if let Some(d) = diagnostics
        .iter()
        .chain(&crate::validate::validate(&model))
        .find(|d| d.is_error())
    {
        return Err(shard_error(
            first_name,
            format!("the model it holds has errors: {d}"),
        ));
    }
    if model.scenario.seed != first.seed || model.scenario.replications.max(1) != first.replications
    {
        return Err(shard_error(
            first_name,
            "its seed or replications differ from its model's scenario: the file was altered",
        ));
    }
    let sweep = match &first.job {
        Job::Run => None,
        Job::Sweep { vary, metrics } => {
            let axes = vary
                .iter()
                .map(|v| Axis::parse(v, &model).map_err(|e| format!("--vary {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| shard_error(first_name, e))?;
            let metrics = metrics
                .iter()
                .map(|m| MetricRef::parse(m, &model).map_err(|e| format!("--metric {e}")))
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| shard_error(first_name, e))?;
            let sweep = Sweep { axes, metrics };
            sweep.check_size().map_err(|e| shard_error(first_name, e))?;
            Some(sweep)
        }
    };
    let points = sweep
        .as_ref()
        .map_or_else(|| vec![Vec::new()], Sweep::points);
    let reps = first.replications.max(1) as usize;

    let mut per_point: Vec<Vec<(&str, &Part)>> = vec![Vec::new(); points.len()];
    for (name, shard) in by_index.values() {
        let expected = plan(points.len(), reps, shard.spec);
        let holds = |p: &Part| {
            let first = p.records.first().map_or(0, |r| r.index);
            format!(
                "replications {}..{} of point {:?}",
                first + 1,
                first + p.records.len(),
                p.point
            )
        };
        let fits = shard.parts.len() == expected.len()
            && shard.parts.iter().zip(&expected).all(|(part, (p, range))| {
                part.point == points[*p]
                    && part.records.len() == range.len()
                    && part
                        .records
                        .iter()
                        .zip(range.clone())
                        .all(|(r, i)| r.index == i)
            });
        if !fits {
            let want = expected
                .iter()
                .map(|(p, range)| {
                    format!(
                        "replications {}..{} of point {:?}",
                        range.start + 1,
                        range.end,
                        points[*p]
                    )
                })
                .collect::<Vec<_>>();
            let have = shard.parts.iter().map(holds).collect::<Vec<_>>();
            let list = |v: &[String]| {
                if v.is_empty() {
                    "nothing".to_owned()
                } else {
                    v.join(", ")
                }
            };
            return Err(shard_error(
                name,
                format!(
                    "holds {}, where shard {} of this job holds {}",
                    list(&have),
                    shard.spec,
                    list(&want)
                ),
            ));
        }
        for (part, (p, _)) in shard.parts.iter().zip(&expected) {
            per_point[*p].push((name.as_str(), part));
        }
    }

    let wall_s = match first.job {
        // A run's report gives the time its replications took: here the
        // time every shard took, summed (not the time the job took).
        Job::Run => by_index.values().map(|(_, s)| s.wall_s).sum(),
        // A sweep's points report none.
        Job::Sweep { .. } => 0.0,
    };
    let mut reports = Vec::with_capacity(points.len());
    for (point, parts) in points.into_iter().zip(&per_point) {
        let point_model = match &sweep {
            None => model.clone(),
            Some(sweep) => sweep
                .model_at(&model, &point)
                .map_err(|e| shard_error(first_name, e))?,
        };
        let report = fold_point(&point_model, parts, wall_s).map_err(|e| match &sweep {
            Some(sweep) => match e {
                MergeError::Shard { file, why } => MergeError::Shard {
                    file,
                    why: format!("at {}: {why}", sweep.describe(&point)),
                },
                MergeError::Set(why) => {
                    MergeError::Set(format!("at {}: {why}", sweep.describe(&point)))
                }
            },
            None => e,
        })?;
        reports.push((point, report));
    }
    Ok(Merged {
        job: first.job.clone(),
        model,
        sweep,
        reports,
    })
}

/// One point's replications, from the parts of the shards that hold them
/// (in order), folded as one machine folds them.
fn fold_point(model: &Model, parts: &[(&str, &Part)], wall_s: f64) -> Result<Report, MergeError> {
    let scenario = &model.scenario;
    let found = match scenario.warmup {
        Some(_) => None,
        None => {
            let mut found: Option<(&str, &Finding)> = None;
            for (name, part) in parts {
                let Some(finding) = &part.finding else {
                    return Err(shard_error(
                        name,
                        "no warm-up found by a pilot pass, where the scenario sets no warm-up",
                    ));
                };
                match found {
                    None => found = Some((name, finding)),
                    Some((other, f)) if f != finding => {
                        return Err(shard_error(
                            name,
                            format!("its pilot pass found another warm-up than {other}'s"),
                        ));
                    }
                    Some(_) => {}
                }
            }
            found.map(|(_, f)| f.clone())
        }
    };
    let run_model = match &found {
        Some(f) => with_cut(model, f.cut_or_none()),
        None => model.clone(),
    };
    let template = crate::Simulation::new(&run_model, scenario.seed)
        .map_err(|e| MergeError::Set(format!("the model does not compile: {e}")))?
        .result();
    let pilot_reps = pilot_replications(scenario.replications) as usize;
    let mut pilot = Pilot::new();
    let mut builder = ReportBuilder::new(scenario.seed);
    for (name, part) in parts {
        for record in &part.records {
            if found.is_none() && record.index < pilot_reps {
                let Some(lines) = &record.lines else {
                    return Err(shard_error(
                        name,
                        format!(
                            "replication {} has no state lines, which the warm-up check needs",
                            record.index + 1
                        ),
                    ));
                };
                pilot.add_lines(&lines.times_ns, &lines.lines);
            }
            let run = record.to_run(&template).map_err(|e| shard_error(name, e))?;
            builder.add(&run);
        }
    }
    let finding = found.unwrap_or_else(|| pilot.find(scenario));
    Ok(builder
        .finish(wall_s)
        .with_faults(scenario)
        .with_warmup(Warmup::of(scenario, finding))
        .with_slos(&model.slos)
        .with_insights(model))
}

/// A JSON value and where it is in the document, for errors that name
/// the field (`parts[0].records[3].seed`).
#[derive(Clone, Debug)]
struct Field<'a> {
    value: &'a Value,
    at: String,
}

impl<'a> Field<'a> {
    fn root(value: &'a Value) -> Self {
        Self {
            value,
            at: String::new(),
        }
    }

    fn describe(&self) -> &str {
        if self.at.is_empty() {
            "the shard"
        } else {
            &self.at
        }
    }

    fn wrong(&self, what: &str) -> String {
        format!("{}: expected {what}", self.describe())
    }

    fn get(&self, key: &str) -> Result<Self, String> {
        let at = if self.at.is_empty() {
            key.to_owned()
        } else {
            format!("{}.{key}", self.at)
        };
        match self.value.get(key) {
            Some(value) => Ok(Self { value, at }),
            None => Err(format!("{at}: missing")),
        }
    }

    fn array(&self) -> Result<Vec<Self>, String> {
        let items = self.value.as_array().ok_or_else(|| self.wrong("a list"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Self {
                value,
                at: format!("{}[{i}]", self.at),
            })
            .collect())
    }

    /// The two items of a list of two.
    fn pair(&self) -> Result<[Self; 2], String> {
        <[Self; 2]>::try_from(self.array()?).map_err(|_| self.wrong("a list of two"))
    }

    /// `None` for `null`.
    fn opt(&self) -> Option<&Self> {
        (!self.value.is_null()).then_some(self)
    }

    fn u64(&self) -> Result<u64, String> {
        self.value
            .as_u64()
            .ok_or_else(|| self.wrong("a whole number"))
    }

    fn bool(&self) -> Result<bool, String> {
        self.value
            .as_bool()
            .ok_or_else(|| self.wrong("true or false"))
    }

    fn usize(&self) -> Result<usize, String> {
        usize::try_from(self.u64()?).map_err(|_| self.wrong("a smaller number"))
    }

    fn real(&self) -> Result<f64, String> {
        match self.value {
            Value::Number(n) => n.as_f64().ok_or_else(|| self.wrong("a number")),
            Value::String(s) => match s.as_str() {
                "NaN" => Ok(f64::NAN),
                "inf" => Ok(f64::INFINITY),
                "-inf" => Ok(f64::NEG_INFINITY),
                _ => Err(self.wrong("a number")),
            },
            _ => Err(self.wrong("a number")),
        }
    }

    fn str(&self) -> Result<&'a str, String> {
        self.value.as_str().ok_or_else(|| self.wrong("text"))
    }

    fn strings(&self) -> Result<Vec<String>, String> {
        self.array()?
            .iter()
            .map(|s| s.str().map(str::to_owned))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn model(warmup: &str, replications: u32) -> Model {
        let text = format!(
            r#"(
            version: 1,
            name: "shards",
            scenario: (duration: "20s", {warmup} seed: 11, replications: {replications}),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
                (id: "q", kind: Queue(capacity: 8)),
                (id: "worker", kind: Consumer(service: Exponential(mean: "4ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
            slos: [(name: "fast", on: System, objective: Latency(percentile: 99.0, max: "30ms"))],
        )"#
        );
        let (model, problems) = file::from_str(&text).expect("model");
        assert!(problems.is_empty(), "{problems:?}");
        model
    }

    fn shards(model: &Model, count: u32) -> Vec<(String, Shard)> {
        let text = model_text(model).expect("model text");
        (0..count)
            .map(|index| {
                let spec = ShardSpec { index, count };
                let shard = run_shard(
                    text.clone(),
                    Job::Run,
                    &[(Vec::new(), model.clone())],
                    spec,
                    run_range,
                )
                .expect("shard runs");
                // Through the file format, as a merge reads it.
                let back = Shard::from_json(&shard.to_json_string()).expect("reads back");
                assert_eq!(back, shard, "shard {spec} survives its JSON");
                (format!("shard-{index}.json"), back)
            })
            .collect()
    }

    #[test]
    fn shares_partition_the_units_in_order() {
        for total in 0..30 {
            for count in 1..40 {
                let mut next = 0;
                for index in 0..count {
                    let r = share(total, ShardSpec { index, count });
                    assert_eq!(r.start, next, "{total} units, shard {index}/{count}");
                    assert!(r.len() <= total.div_ceil(count as usize), "balanced");
                    next = r.end;
                }
                assert_eq!(next, total, "{total} units over {count} shards");
            }
        }
        assert_eq!(
            plan(3, 4, ShardSpec { index: 1, count: 3 }),
            vec![(1, 0..4)],
            "12 units: the middle third is point 1"
        );
        assert_eq!(
            plan(2, 3, ShardSpec { index: 1, count: 4 }),
            vec![(0, 1..3)]
        );
        assert_eq!(
            plan(2, 3, ShardSpec { index: 1, count: 3 }),
            vec![(0, 2..3), (1, 0..1)],
            "a shard spanning two points"
        );
        assert_eq!(
            plan(1, 2, ShardSpec { index: 2, count: 3 }),
            vec![(0, 1..2)]
        );
        assert!(
            plan(1, 2, ShardSpec { index: 0, count: 3 }).is_empty(),
            "more shards than replications: some have none"
        );
    }

    #[test]
    fn shard_specs_read_and_refuse() {
        assert_eq!(
            "2/5".parse::<ShardSpec>(),
            Ok(ShardSpec { index: 2, count: 5 })
        );
        for bad in ["5/5", "1/0", "x/3", "3", "-1/3", "1/2/3", ""] {
            let err = bad.parse::<ShardSpec>().expect_err(bad);
            assert!(err.contains(bad) || bad.is_empty(), "{bad}: {err}");
        }
        assert!(
            "3/3"
                .parse::<ShardSpec>()
                .expect_err("past the end")
                .contains("from 0 to 2")
        );
    }

    #[test]
    fn numbers_survive_the_json_bit_for_bit() {
        let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut values = vec![
            0.0,
            -0.0,
            f64::NAN,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::MIN_POSITIVE,
            f64::MAX,
            5e-324,
            0.1 + 0.2,
            1.0 / 3.0,
        ];
        for _ in 0..2000 {
            state = crate::rng::mix64(state.wrapping_add(1));
            let x = f64::from_bits(state);
            if !x.is_nan() {
                values.push(x);
            }
        }
        let mut line: Vec<f32> = values.iter().map(|&v| v as f32).collect();
        line.push(f32::from_bits(1));
        let record = Record {
            index: 0,
            seed: u64::MAX,
            events: 1,
            sim_time_s: 0.1,
            warmup_s: 0.0,
            conservation: Conservation::default(),
            nodes: vec![
                values
                    .iter()
                    .enumerate()
                    .map(|(i, &v)| (format!("m{i}"), v))
                    .collect(),
            ],
            slos: vec![SloRun {
                value: Some(values[8]),
                burned: Some(f64::INFINITY),
                windows: Some((3, 4)),
            }],
            alerts: None,
            lines: Some(Lines {
                times_ns: vec![1, 2, u64::MAX],
                lines: vec![("system.in_flight".to_owned(), line.clone())],
            }),
        };
        let text = record.to_json().to_string();
        let doc: Value = serde_json::from_str(&text).expect("json");
        let back = read_record(&Field::root(&doc)).expect("reads back");
        let bits =
            |r: &Record| -> Vec<u64> { r.nodes[0].iter().map(|(_, v)| v.to_bits()).collect() };
        // NaN is not equal to itself; its bits are those of `f64::NAN`.
        assert_eq!(bits(&back), bits(&record));
        let lines = back.lines.expect("lines");
        let f32_bits = |v: &[f32]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
        assert_eq!(f32_bits(&lines.lines[0].1), f32_bits(&line));
        assert_eq!(lines.times_ns, vec![1, 2, u64::MAX]);
        assert_eq!(back.slos, record.slos);
        assert_eq!(back.seed, u64::MAX);
    }

    /// The report without its wall time.
    fn json(report: &Report) -> String {
        let mut report = report.clone();
        report.wall_s = 0.0;
        report.to_json_string()
    }

    #[test]
    fn random_faults_and_the_alarms_they_explain_merge_byte_for_byte() {
        let text = r#"(
            version: 1,
            name: "random shards",
            scenario: (
                duration: "60s", warmup: "2s", seed: 11, replications: 3,
                random_faults: [(node: "worker", effect: Crash, between: Exponential(mean: "8s"), duration: Exponential(mean: "2s"))],
            ),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                (id: "q", kind: Queue(capacity: 8)),
                (id: "worker", kind: Consumer(service: Exponential(mean: "4ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
            alerts: [(name: "Backlog", on: "q", when: Depth(above: 6.0), for: "0s")],
        )"#;
        let (model, problems) = file::from_str(text).expect("model");
        assert!(problems.is_empty(), "{problems:?}");
        let report = crate::run_replications(&model).expect("runs");
        let single = json(&report);
        let alerts = report.alerts.as_ref().expect("a rule");
        let rule = &alerts.rules[0];
        assert!(
            rule.firings.mean >= 2.0,
            "the crashes fire the rule: {:?}",
            rule.firings
        );
        assert!(rule.false_alarms.mean.abs() < 1e-12, "each is explained");
        assert!(single.contains("\"random_faults\""));
        for count in [2, 3] {
            let merged = merge(&shards(&model, count)).expect("merges");
            assert_eq!(json(&merged.reports[0].1), single, "{count} shard(s)");
        }
    }

    #[test]
    fn merged_shards_give_the_single_report_byte_for_byte() {
        for warmup in ["warmup: \"2s\",", ""] {
            let model = model(warmup, 3);
            let single = json(&crate::run_replications(&model).expect("runs"));
            for count in [1, 2, 3, 5] {
                let mut shards = shards(&model, count);
                shards.reverse();
                let merged = merge(&shards).expect("merges");
                assert_eq!(merged.reports.len(), 1);
                assert_eq!(
                    json(&merged.reports[0].1),
                    single,
                    "{count} shard(s), warm-up {warmup:?}"
                );
            }
        }
    }

    #[test]
    fn missing_duplicate_and_foreign_shards_are_named() {
        let model_a = model("warmup: \"2s\",", 2);
        let shards_a = shards(&model_a, 3);
        let err = merge(&shards_a[..2]).expect_err("one missing").to_string();
        assert!(err.contains("2/3"), "{err}");
        let twice = vec![
            shards_a[0].clone(),
            shards_a[1].clone(),
            shards_a[1].clone(),
        ];
        let err = merge(&twice).expect_err("a duplicate").to_string();
        assert!(
            err.contains("shard-1.json") && err.contains("twice"),
            "{err}"
        );
        let mut other = model_a.clone();
        other.scenario.duration = Duration::from_secs(10);
        let mut mixed = shards_a.clone();
        mixed[2] = shards(&other, 3).remove(2);
        mixed[2].0 = "other.json".to_owned();
        let err = merge(&mixed).expect_err("another model").to_string();
        assert!(
            err.starts_with("other.json:") && err.contains("model hash"),
            "{err}"
        );
        let mut seeded = model_a;
        seeded.scenario.seed = 99;
        let mut mixed = shards_a;
        mixed[1] = shards(&seeded, 3).remove(1);
        let err = merge(&mixed).expect_err("another seed").to_string();
        assert!(err.contains("seed 99"), "{err}");
        assert!(merge(&[]).is_err());
    }

    #[test]
    fn altered_or_foreign_files_are_refused_with_the_field() {
        let model = model("warmup: \"2s\",", 2);
        let (_, shard) = shards(&model, 1).remove(0);
        let text = shard.to_json_string();
        let err = Shard::from_json("{}").expect_err("not a shard");
        assert!(err.contains("weir_shard"), "{err}");
        let err = Shard::from_json("[1,").expect_err("not JSON");
        assert!(err.contains("JSON"), "{err}");
        let altered = text.replacen("\"seed\":11,", "\"seed\":\"x\",", 1);
        let err = Shard::from_json(&altered).expect_err("bad seed");
        assert!(err.contains("seed"), "{err}");
        let altered = text.replacen("shards", "shardz", 1);
        let err = Shard::from_json(&altered).expect_err("altered model");
        assert!(err.contains("altered"), "{err}");
        let newer = text.replacen(
            &format!("\"weir_shard\":{FORMAT}"),
            &format!("\"weir_shard\":{}", FORMAT + 1),
            1,
        );
        let err = Shard::from_json(&newer).expect_err("newer format");
        assert!(err.contains(&format!("format {}", FORMAT + 1)), "{err}");
    }
}
