//! Predict, then run: before the replications, the learner (or each
//! person in the room) writes down what they expect of one number of the
//! design — a latency percentile, a queue's largest depth — or whether
//! something happens at all (a drop, a dead letter). The
//! run locks the predictions; its report then judges each against the
//! result and its 95 % interval, ranked closest first, on a chart.
//!
//! The questions come from the model, before any run: its objectives,
//! and every number the report gives of each node, as a short pilot of
//! the scenario measures them ([`questions`]).

use std::collections::BTreeMap;

use eframe::egui::{self, RichText};
use egui_plot::{Plot, PlotPoint, PlotPoints, Points, Polygon, Text, VLine};
use sim_core::report::RunResult;
use sim_core::sweep::MetricRef;
use sim_core::time::Duration;
use sim_core::{Model, Report, Simulation};

use super::run::RunState;

/// How a number reads and is typed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Measure {
    /// Seconds, typed as a duration (`250ms`, `1.5 s`).
    Seconds,
    /// Messages, retries, records: a plain number.
    Count,
    /// A share, typed as `0.8` or `80%`.
    Fraction,
    /// Per second (`50`, `50/s`).
    Rate,
}

impl Measure {
    /// The measure of a node's metric, by its path in the report.
    pub fn of_path(path: &str) -> Self {
        let base = path.split('.').next().unwrap_or(path);
        if base.ends_with("_per_s") {
            Self::Rate
        } else if base.ends_with("_s") {
            Self::Seconds
        } else if matches!(base, "utilization" | "availability") {
            Self::Fraction
        } else {
            Self::Count
        }
    }

    const fn of_unit(unit: sim_core::slo::Unit) -> Self {
        match unit {
            sim_core::slo::Unit::Seconds => Self::Seconds,
            sim_core::slo::Unit::Records => Self::Count,
            sim_core::slo::Unit::Fraction => Self::Fraction,
            sim_core::slo::Unit::PerSecond => Self::Rate,
        }
    }

    /// `v` for people: `212 ms`, `1.25 s`, `37`, `84.6 %`, `170.0 /s`.
    pub fn show(self, v: f64) -> String {
        if !v.is_finite() {
            return "—".to_owned();
        }
        match self {
            Self::Seconds => sim_core::slo::Unit::Seconds.show(v),
            Self::Count if v.fract() == 0.0 => format!("{v:.0}"),
            Self::Count if v.abs() >= 100.0 => format!("{v:.1}"),
            Self::Count => format!("{v:.2}"),
            Self::Fraction => format!("{:.1} %", v * 100.0),
            Self::Rate => format!("{v:.1} /s"),
        }
    }

    /// What to type, as an example.
    const fn example(self) -> &'static str {
        match self {
            Self::Seconds => "250ms, 1.5 s",
            Self::Count => "120",
            Self::Fraction => "80% or 0.8",
            Self::Rate => "50 or 50/s",
        }
    }

    /// The chart's axis: its title's unit and the factor from the
    /// report's unit to it (milliseconds below a second).
    fn axis(self, largest: f64) -> (&'static str, f64) {
        match self {
            Self::Seconds if largest.abs() < 1.0 => ("ms", 1e3),
            Self::Seconds => ("s", 1.0),
            Self::Count => ("", 1.0),
            Self::Fraction => ("%", 100.0),
            Self::Rate => ("/s", 1.0),
        }
    }

    /// Reads a typed value in this measure, in the report's unit.
    pub fn parse(self, text: &str) -> Result<f64, String> {
        let text = text.trim();
        if text.is_empty() {
            return Err(format!("type a value, like {}", self.example()));
        }
        match self {
            Self::Seconds => {
                if text.parse::<f64>().is_ok_and(|v| v == 0.0) {
                    return Ok(0.0);
                }
                text.parse::<Duration>()
                    .map(Duration::as_secs_f64)
                    .map_err(|e| e.to_string())
            }
            Self::Count => number(text, "a count"),
            Self::Fraction => {
                if let Some(percent) = text.strip_suffix('%') {
                    let v = number(percent.trim_end(), "a percentage")?;
                    if v > 100.0 {
                        return Err(format!("{text} is more than 100 %"));
                    }
                    return Ok(v / 100.0);
                }
                let v = number(text, "a share")?;
                if v > 1.0 {
                    return Err(format!(
                        "\"{text}\" is more than 1: write a share as 0.8 or 80%"
                    ));
                }
                Ok(v)
            }
            Self::Rate => {
                let bare = text
                    .strip_suffix("/s")
                    .or_else(|| text.strip_suffix("per s"))
                    .unwrap_or(text);
                number(bare.trim_end(), "a rate")
            }
        }
    }
}

/// A number of zero or more.
fn number(text: &str, what: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(v) if v.is_finite() && v >= 0.0 => Ok(v),
        Ok(_) => Err(format!("\"{text}\": {what} is zero or more")),
        Err(_) => Err(format!("\"{text}\" is not {what}; write a number")),
    }
}

/// Where every message that did not complete may end, model-wide.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fate {
    Dropped,
    DeadLettered,
    Lost,
}

impl Fate {
    const ALL: [Self; 3] = [Self::Dropped, Self::DeadLettered, Self::Lost];

    const fn words(self) -> &'static str {
        match self {
            Self::Dropped => "dropped",
            Self::DeadLettered => "dead-lettered",
            Self::Lost => "lost",
        }
    }
}

/// What a question asks of the run.
#[derive(Clone, Debug, PartialEq)]
pub enum Target {
    /// A number of the report.
    Number { metric: MetricRef, measure: Measure },
    /// Whether a node's number reaches `at_least` (a count above zero)
    /// in a replication.
    Happens {
        node: String,
        path: String,
        at_least: f64,
    },
    /// Whether any message ends so, anywhere.
    Anywhere(Fate),
}

/// A question a prediction answers.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    pub target: Target,
    /// For people: `Enrich — wait p99`.
    pub label: String,
    /// Where the report keeps it (`enrich.wait_s.p99`, `slo:NAME`,
    /// `conservation.dropped`): the hover text, and the question's key.
    pub key: String,
}

impl Question {
    /// Whether it is answered yes or no.
    pub const fn is_yes_no(&self) -> bool {
        !matches!(self.target, Target::Number { .. })
    }

    /// Reads a typed answer.
    pub fn parse(&self, text: &str) -> Result<Answer, String> {
        match &self.target {
            Target::Number { measure, .. } => measure.parse(text).map(Answer::Number),
            Target::Happens { .. } | Target::Anywhere(_) => {
                match text.trim().to_lowercase().as_str() {
                    "yes" | "y" | "true" => Ok(Answer::YesNo(true)),
                    "no" | "n" | "false" => Ok(Answer::YesNo(false)),
                    "" => Err("answer yes or no".to_owned()),
                    _ => Err(format!("\"{}\": answer yes or no", text.trim())),
                }
            }
        }
    }

    /// An answer as it reads.
    pub fn show(&self, answer: Answer) -> String {
        match (answer, &self.target) {
            (Answer::Number(v), Target::Number { measure, .. }) => measure.show(v),
            (Answer::Number(v), _) => format!("{v}"),
            (Answer::YesNo(true), _) => "yes".to_owned(),
            (Answer::YesNo(false), _) => "no".to_owned(),
        }
    }

    /// What the run shows of it: the report for numbers, the
    /// replications one by one (`tally`) for yes or no.
    pub fn observe(&self, report: &Report, tally: Option<&Tally>) -> Observed {
        let of = report.replications();
        match &self.target {
            Target::Number { metric, .. } => {
                metric
                    .read(report)
                    .map_or(Observed::Unmeasured, |m| Observed::Number {
                        mean: m.mean,
                        half: m.ci95.filter(|_| of > 1),
                        replications: of,
                    })
            }
            Target::Happens {
                node,
                path,
                at_least,
            } => {
                if let Some(values) = tally.and_then(|t| t.values(node, path)) {
                    return Observed::Happened {
                        times: values.iter().filter(|&&v| v >= *at_least).count(),
                        of: values.len(),
                    };
                }
                report
                    .node(node)
                    .and_then(|n| n.value(path))
                    .map_or(Observed::Unmeasured, |mean| Observed::OnAverage {
                        happened: mean >= *at_least,
                    })
            }
            Target::Anywhere(fate) => {
                if let Some(t) = tally.filter(|t| t.runs > 0) {
                    return Observed::Happened {
                        times: t.fates.iter().filter(|f| f[*fate as usize] > 0).count(),
                        of: t.runs,
                    };
                }
                let c = &report.conservation;
                let total = match fate {
                    Fate::Dropped => c.dropped,
                    Fate::DeadLettered => c.dead_lettered,
                    Fate::Lost => c.lost,
                };
                Observed::OnAverage {
                    happened: total > 0,
                }
            }
        }
    }
}

/// A prediction's value.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Answer {
    /// In the report's unit (seconds, a share…).
    Number(f64),
    YesNo(bool),
}

/// What the run showed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Observed {
    /// The mean over replications and its 95 % half-width (none with one
    /// replication).
    Number {
        mean: f64,
        half: Option<f64>,
        replications: usize,
    },
    /// In how many replications it happened.
    Happened { times: usize, of: usize },
    /// Without the replications one by one: whether the mean over them is
    /// above zero.
    OnAverage { happened: bool },
    /// The report has no such number (a latency of no messages).
    Unmeasured,
}

impl Observed {
    /// The result in words.
    pub fn describe(&self, question: &Question) -> String {
        let measure = match &question.target {
            Target::Number { measure, .. } => *measure,
            _ => Measure::Count,
        };
        match *self {
            Self::Number {
                mean,
                half: Some(h),
                replications,
            } => format!(
                "Result: {} ± {} (95 % interval {} to {}, {replications} replications)",
                measure.show(mean),
                measure.show(h),
                measure.show(mean - h),
                measure.show(mean + h),
            ),
            Self::Number { mean, .. } => format!(
                "Result: {} (one replication: no interval; set more replications for one)",
                measure.show(mean)
            ),
            Self::Happened { times: 0, of } => {
                format!("Result: no, in none of the {of} replications")
            }
            Self::Happened { times, of } if times == of => {
                format!(
                    "Result: yes, in {} replication{}",
                    if of == 1 { "the" } else { "all" },
                    if of == 1 { "" } else { "s" }
                )
            }
            Self::Happened { times, of } => {
                format!("Result: sometimes, in {times} of the {of} replications")
            }
            Self::OnAverage { happened } => format!(
                "Result: {} (judged on the mean over the replications)",
                if happened { "yes" } else { "no" }
            ),
            Self::Unmeasured => {
                "The run measured no value for this question (no message reached it).".to_owned()
            }
        }
    }
}

/// How a prediction fared.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Verdict {
    /// Inside the 95 % interval.
    Within,
    /// Equal to the result of a single replication.
    Exact,
    /// Below the interval (or the single result): by how much, and by
    /// what share of the result (none when the result is 0).
    TooLow {
        by: f64,
        share: Option<f64>,
    },
    TooHigh {
        by: f64,
        share: Option<f64>,
    },
    /// Yes or no, as every replication answered.
    Right,
    Wrong,
    /// The replications disagreed: it happened in some of them.
    Partly {
        times: usize,
        of: usize,
    },
}

impl Verdict {
    /// Judges `answer` against `observed`; `None` when they do not meet
    /// (nothing measured, or a number against a yes or no).
    pub fn judge(answer: Answer, observed: Observed) -> Option<Self> {
        match (answer, observed) {
            (
                Answer::Number(p),
                Observed::Number {
                    mean,
                    half: Some(h),
                    ..
                },
            ) if (p - mean).abs() <= h => Some(Self::Within),
            (Answer::Number(p), Observed::Number { mean, half, .. }) => {
                let edge = half.unwrap_or(0.0);
                let share = (mean != 0.0).then(|| (p - mean).abs() / mean.abs());
                if half.is_none() && (p - mean).abs() <= 1e-9 * mean.abs().max(1e-12) {
                    Some(Self::Exact)
                } else if p < mean {
                    Some(Self::TooLow {
                        by: mean - edge - p,
                        share,
                    })
                } else {
                    Some(Self::TooHigh {
                        by: p - mean - edge,
                        share,
                    })
                }
            }
            (Answer::YesNo(yes), Observed::Happened { times, of }) => {
                Some(if times > 0 && times < of {
                    Self::Partly { times, of }
                } else if yes == (times > 0) {
                    Self::Right
                } else {
                    Self::Wrong
                })
            }
            (Answer::YesNo(yes), Observed::OnAverage { happened }) => Some(if yes == happened {
                Self::Right
            } else {
                Self::Wrong
            }),
            _ => None,
        }
    }

    /// In words: `within the interval`, `too low by 27 %`.
    pub fn text(self, measure: Measure) -> String {
        let off = |by: f64, share: Option<f64>| match share {
            Some(s) => format!(
                "{:.0} % ({} past the interval)",
                s * 100.0,
                measure.show(by)
            ),
            None => measure.show(by),
        };
        match self {
            Self::Within => "within the interval".to_owned(),
            Self::Exact => "exactly right".to_owned(),
            Self::TooLow { by, share } => format!("too low by {}", off(by, share)),
            Self::TooHigh { by, share } => format!("too high by {}", off(by, share)),
            Self::Right => "right".to_owned(),
            Self::Wrong => "wrong".to_owned(),
            Self::Partly { times, of } => format!("partly: it happened in {times} of {of}"),
        }
    }

    const fn good(self) -> bool {
        matches!(self, Self::Within | Self::Exact | Self::Right)
    }
}

/// One person's prediction, judged.
#[derive(Clone, Debug, PartialEq)]
pub struct Judged {
    pub name: String,
    pub answer: Answer,
    pub verdict: Option<Verdict>,
    /// How far from the result (the mean; 0, 0.5 or 1 for yes or no):
    /// what the ranking orders by.
    pub distance: f64,
}

/// The predictions judged against `observed`, closest first (ties in
/// the order they were entered).
pub fn rank(guesses: &[(String, Answer)], observed: Observed) -> Vec<Judged> {
    let mut judged: Vec<Judged> = guesses
        .iter()
        .map(|(name, answer)| {
            let verdict = Verdict::judge(*answer, observed);
            let distance = match (answer, observed) {
                (Answer::Number(p), Observed::Number { mean, .. }) => (p - mean).abs(),
                _ => match verdict {
                    Some(Verdict::Right) => 0.0,
                    Some(Verdict::Partly { .. }) => 0.5,
                    Some(_) => 1.0,
                    None => f64::INFINITY,
                },
            };
            Judged {
                name: name.clone(),
                answer: *answer,
                verdict,
                distance,
            }
        })
        .collect();
    judged.sort_by(|a, b| a.distance.total_cmp(&b.distance));
    judged
}

/// What each replication showed of the outcomes a yes-or-no question
/// asks about: every node's drops and dead letters, and the messages
/// dropped, dead-lettered and lost model-wide.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Tally {
    runs: usize,
    /// By node id and path, a value per replication.
    values: BTreeMap<(String, String), Vec<f64>>,
    /// Per replication, by [`Fate`].
    fates: Vec<[u64; 3]>,
}

/// The node numbers a [`Tally`] keeps.
const TALLIED: [&str; 2] = ["dropped", "dead_lettered"];

impl Tally {
    /// Takes in the next replication.
    pub fn add(&mut self, run: &RunResult) {
        self.runs += 1;
        for node in &run.nodes {
            for path in TALLIED {
                if let Some(v) = node.replication_value(path) {
                    self.values
                        .entry((node.id.clone(), path.to_owned()))
                        .or_default()
                        .push(v);
                }
            }
        }
        let c = &run.conservation;
        self.fates.push([c.dropped, c.dead_lettered, c.lost]);
    }

    /// A node's number in each replication, when every one measured it.
    fn values(&self, node: &str, path: &str) -> Option<&[f64]> {
        self.values
            .get(&(node.to_owned(), path.to_owned()))
            .map(Vec::as_slice)
            .filter(|v| !v.is_empty() && v.len() == self.runs)
    }
}

/// At most this many engine events in the pilot that finds each node's
/// numbers.
const PILOT_EVENTS: u64 = 30_000;

/// Every node's numbers as the report names them, from a short pilot of
/// the scenario without its warm-up; `None` when the model cannot run.
///
/// NOTE: a run that has not started reports every count and level but
/// no latency (a latency of no messages is left out), so the pilot lets
/// messages through first. A node no message reaches in the pilot lists
/// no latency, as its report would show none.
fn pilot(model: &Model) -> Option<RunResult> {
    let mut model = model.clone();
    model.scenario.warmup = Some(Duration::ZERO);
    let mut sim = Simulation::new(&model, model.scenario.seed).ok()?;
    let span = Duration((model.scenario.duration.0 / 200).max(1));
    while !sim.is_finished() && sim.events() < PILOT_EVENTS {
        sim.step(span).ok()?;
    }
    Some(sim.result())
}

/// A metric's path in words: `wait p99`, `largest depth`.
pub fn path_words(path: &str) -> String {
    const LATENCIES: [(&str, &str); 8] = [
        ("wait_s", "wait"),
        ("sojourn_s", "time at the node"),
        ("end_to_end_s", "end-to-end latency"),
        ("staleness_s", "staleness"),
        ("answer_s", "answer time"),
        ("append_latency_s", "append latency"),
        ("outbox_wait_s", "outbox wait"),
        ("lag_time_s", "lag"),
    ];
    const PLAIN: [(&str, &str); 12] = [
        ("max_depth", "largest depth"),
        ("mean_depth", "mean depth"),
        ("utilization", "utilisation"),
        ("throughput_per_s", "throughput"),
        ("dead_lettered", "dead-lettered"),
        ("mean_busy", "mean busy"),
        ("goodput_per_s", "goodput"),
        ("completed_in_time", "completed in time"),
        ("outbox_max", "largest outbox"),
        ("outbox_mean", "mean outbox"),
        ("max_lag", "largest lag"),
        ("mean_lag", "mean lag"),
    ];
    if let Some((base, part)) = path.rsplit_once('.')
        && matches!(part, "mean" | "p50" | "p95" | "p99" | "max")
        && base.ends_with("_s")
    {
        let words = LATENCIES.iter().find(|(p, _)| *p == base).map_or_else(
            || plain(base.trim_end_matches("_s")),
            |(_, w)| (*w).to_owned(),
        );
        return format!("{words} {part}");
    }
    if let Some(reason) = path.strip_prefix("drops.") {
        return format!("dropped: {}", plain(reason));
    }
    PLAIN
        .iter()
        .find(|(p, _)| *p == path)
        .map_or_else(|| plain(path), |(_, w)| (*w).to_owned())
}

fn plain(text: &str) -> String {
    text.replace("_per_s", " per s").replace(['_', '.'], " ")
}

/// Every question the model's run can answer ([`questions`]), and the
/// one to start with ([`default_question`]), from one pilot.
pub fn asked(model: &Model) -> (Vec<Question>, Option<usize>) {
    let run = pilot(model);
    let list = questions_from(model, run.as_ref());
    let first = default_question(&list, run.as_ref());
    (list, first)
}

/// Every question the model's run can answer, in order: its objectives,
/// whether anything is dropped, dead-lettered or lost anywhere, then each
/// node's numbers and its yes-or-no questions, in model order.
pub fn questions(model: &Model) -> Vec<Question> {
    questions_from(model, pilot(model).as_ref())
}

/// [`questions`], of a pilot `run` (`None`: the model cannot run, and
/// only its objectives are asked).
fn questions_from(model: &Model, run: Option<&RunResult>) -> Vec<Question> {
    let mut out: Vec<Question> = model
        .slos
        .iter()
        .map(|slo| Question {
            target: Target::Number {
                metric: MetricRef::Objective(slo.label()),
                measure: Measure::of_unit(slo.objective.unit()),
            },
            label: format!("Objective \"{}\" — its value", slo.label()),
            key: format!("slo:{}", slo.label()),
        })
        .collect();
    let Some(run) = run else {
        return out;
    };
    for fate in Fate::ALL {
        out.push(Question {
            target: Target::Anywhere(fate),
            label: format!("Is any message {} anywhere?", fate.words()),
            key: format!("conservation.{}", fate.words().replace('-', "_")),
        });
    }
    for node in &run.nodes {
        let Some(index) = model.find(&node.id) else {
            continue;
        };
        let name = model.graph[index].label();
        for (path, _) in &node.metrics {
            out.push(Question {
                target: Target::Number {
                    metric: MetricRef::Node {
                        node: node.id.clone(),
                        path: path.clone(),
                    },
                    measure: Measure::of_path(path),
                },
                label: format!("{name} — {}", path_words(path)),
                key: format!("{}.{path}", node.id),
            });
        }
        let has = |p: &str| node.metrics.iter().any(|(path, _)| path == p);
        let mut happens = |path: &str, at_least: f64, words: String| {
            out.push(Question {
                target: Target::Happens {
                    node: node.id.clone(),
                    path: path.to_owned(),
                    at_least,
                },
                label: format!("{name} — {words}"),
                key: format!("{}.{path} ≥ {at_least}", node.id),
            });
        };
        if has("dropped") {
            happens("dropped", 1.0, "does it drop any message?".to_owned());
        }
        if has("dead_lettered") {
            let words = if node.kind == sim_core::nodes::Kind::DeadLetter {
                "does any message reach it?"
            } else {
                "does it dead-letter any message?"
            };
            happens("dead_lettered", 1.0, words.to_owned());
        }
    }
    out
}

/// The question to start with: an objective; else the end-to-end p99
/// where journeys end (the last node reporting one); else the queue the
/// pilot `run` saw deepest; else the first.
fn default_question(questions: &[Question], run: Option<&RunResult>) -> Option<usize> {
    let key = |q: &Question| q.key.clone();
    if let Some(i) = questions.iter().position(|q| q.key.starts_with("slo:")) {
        return Some(i);
    }
    if let Some(i) = questions
        .iter()
        .rposition(|q| q.key.ends_with(".end_to_end_s.p99") && !q.is_yes_no())
    {
        return Some(i);
    }
    let deepest = run?
        .nodes
        .iter()
        .filter(|n| n.kind == sim_core::nodes::Kind::Queue)
        .filter_map(|n| Some((n.id.clone(), n.get("max_depth")?)))
        .max_by(|a, b| a.1.total_cmp(&b.1))
        .map(|(id, _)| format!("{id}.max_depth"));
    deepest
        .and_then(|k| questions.iter().position(|q| key(q) == k))
        .or_else(|| (!questions.is_empty()).then_some(0))
}

/// Lines pasted into the teacher view, each `NAME VALUE` (`Ana 300ms`,
/// `Bo Li: 1.5 s`, `Cy, yes`): the shortest ending that reads as an
/// answer is the value, the rest the name. Errors name their line.
pub fn parse_pasted(question: &Question, text: &str) -> (Vec<(String, String)>, Vec<String>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        let words: Vec<&str> = line.split_whitespace().collect();
        let found = (1..words.len()).find_map(|k| {
            let value = words[words.len() - k..].join(" ");
            question.parse(&value).ok()?;
            let name = words[..words.len() - k]
                .join(" ")
                .trim_end_matches([':', ',', '=', ';'])
                .trim()
                .to_owned();
            (!name.is_empty()).then_some((name, value))
        });
        match found {
            Some(row) => rows.push(row),
            None if words.len() < 2 => {
                errors.push(format!("line {}: write a name, then a value", i + 1));
            }
            None => {
                let last = words.last().copied().unwrap_or_default();
                let why = question.parse(last).err().unwrap_or_default();
                errors.push(format!("line {}: {why}", i + 1));
            }
        }
    }
    (rows, errors)
}

/// One row of the teacher's table.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Row {
    name: String,
    value: String,
}

/// The predictions of a round, locked when its run started, and the run's
/// report once it came.
#[derive(Debug)]
struct Round {
    question: Question,
    guesses: Vec<(String, Answer)>,
    result: Option<Result<(Box<Report>, Tally), String>>,
}

/// What the window asks of the app.
#[must_use]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PredictAction {
    /// Start the replications, as Run → Run replications does.
    Run,
}

/// The Predict, then run window.
#[derive(Debug, Default)]
pub struct PredictWindow {
    pub open: bool,
    /// The chosen question's key.
    question: Option<String>,
    /// The questions of the model at a revision, and the one to start
    /// with.
    questions: Option<(u64, Vec<Question>, Option<usize>)>,
    teacher: bool,
    /// The learner's guess.
    guess: String,
    rows: Vec<Row>,
    paste: String,
    paste_errors: Vec<String>,
    /// The pasted lines were all taken: fold the box away.
    fold_paste: bool,
    round: Option<Round>,
}

impl PredictWindow {
    /// Opens the window.
    pub fn open(&mut self) {
        self.open = true;
    }

    /// Opens the window on the question with `key` (`NODE.METRIC`,
    /// `slo:NAME`), unless a round's predictions are locked on another.
    pub fn open_on(&mut self, key: &str) {
        self.open = true;
        if !self.locked() {
            self.question = Some(key.to_owned());
        }
    }

    /// The key of the question shown.
    pub fn question_key(&self) -> Option<&str> {
        self.question.as_deref()
    }

    /// Another document: its questions are not this one's.
    pub fn forget_document(&mut self) {
        self.question = None;
        self.questions = None;
        self.round = None;
    }

    /// The question shown, from the model at `revision`.
    fn current(&mut self, model: &Model, revision: u64) -> Option<&Question> {
        if self.questions.as_ref().is_none_or(|(r, ..)| *r != revision) {
            let (list, first) = asked(model);
            self.questions = Some((revision, list, first));
        }
        let (_, list, first) = self.questions.as_ref()?;
        let chosen = self
            .question
            .as_ref()
            .and_then(|k| list.iter().position(|q| q.key == *k))
            .or(*first)?;
        self.question = Some(list[chosen].key.clone());
        list.get(chosen)
    }

    /// The predictions as typed, each read (`None` where empty).
    fn typed(&self) -> Vec<(String, String)> {
        if self.teacher {
            self.rows
                .iter()
                .map(|r| (r.name.trim().to_owned(), r.value.clone()))
                .collect()
        } else {
            vec![("Your guess".to_owned(), self.guess.clone())]
        }
    }

    /// A run of the replications started: predictions entered and valid
    /// are locked for it (`room` keeps the teacher's names for the next
    /// round). A round already locked keeps the run it was locked for.
    pub fn run_started(&mut self, model: &Model, revision: u64, room: &mut Vec<String>) {
        if self.round.is_some() {
            return;
        }
        // (Nothing typed, nothing to lock: the questions are not worked
        // out for a run no one predicted.)
        let typed: Vec<(String, String)> = self
            .typed()
            .into_iter()
            .filter(|(name, text)| !name.is_empty() && !text.trim().is_empty())
            .collect();
        if typed.is_empty() {
            return;
        }
        let Some(question) = self.current(model, revision).cloned() else {
            return;
        };
        let guesses: Vec<(String, Answer)> = typed
            .into_iter()
            .filter_map(|(name, text)| Some((name, question.parse(&text).ok()?)))
            .collect();
        if guesses.is_empty() {
            return;
        }
        if self.teacher {
            *room = self
                .rows
                .iter()
                .map(|r| r.name.trim().to_owned())
                .filter(|n| !n.is_empty())
                .collect();
        }
        self.round = Some(Round {
            question,
            guesses,
            result: None,
        });
    }

    /// Picks up the report of the run the round was locked for.
    pub fn poll(&mut self, run: &RunState) {
        let Some(round) = &mut self.round else {
            return;
        };
        if round.result.is_some() {
            return;
        }
        match run {
            RunState::Done(report, tally) => {
                round.result = Some(Ok((report.clone(), tally.clone())));
            }
            RunState::Failed(e) => round.result = Some(Err(e.clone())),
            RunState::Idle => round.result = Some(Err("the run was cancelled".to_owned())),
            RunState::Running(_) => {}
        }
    }

    /// Whether predictions are locked for a run.
    pub fn locked(&self) -> bool {
        self.round.is_some()
    }

    /// The predictions judged, closest first, once the round's run is in.
    pub fn judged(&self) -> Option<Vec<Judged>> {
        let round = self.round.as_ref()?;
        let (report, tally) = round.result.as_ref()?.as_ref().ok()?;
        let observed = round.question.observe(report, Some(tally));
        Some(rank(&round.guesses, observed))
    }

    fn new_round(&mut self, room: &[String]) {
        self.round = None;
        self.guess.clear();
        self.paste_errors.clear();
        self.new_round_rows(room);
    }

    /// The window, while open; what it asks of the app.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        model: &Model,
        revision: u64,
        run: &RunState,
        room: &[String],
    ) -> Option<PredictAction> {
        if !self.open {
            return None;
        }
        let mut open = self.open;
        let mut action = None;
        super::comparison::tool_window("Predict, then run", ctx, &mut open).show(ctx, |ui| {
            action = self.contents(ui, model, revision, run, room);
        });
        self.open = open;
        action
    }

    fn contents(
        &mut self,
        ui: &mut egui::Ui,
        model: &Model,
        revision: u64,
        run: &RunState,
        room: &[String],
    ) -> Option<PredictAction> {
        ui.label(
            RichText::new(
                "Write down what you expect, then run the replications: Weir shows each prediction against the result and its 95 % interval.",
            )
            .weak(),
        );
        ui.add_space(4.0);
        let locked = self.round.is_some();
        self.question_ui(ui, model, revision, locked || run.is_running());
        ui.horizontal(|ui| {
            ui.label("Who predicts");
            let enabled = !locked;
            ui.add_enabled_ui(enabled, |ui| {
                if ui
                    .selectable_label(!self.teacher, "Learner")
                    .on_hover_text("One guess")
                    .clicked()
                {
                    self.teacher = false;
                }
                if ui
                    .selectable_label(self.teacher, "Teacher")
                    .on_hover_text("The room's guesses, by name, ranked after the run")
                    .clicked()
                    && !self.teacher
                {
                    self.teacher = true;
                    if self.rows.iter().all(|r| r.name.is_empty()) {
                        self.new_round_rows(room);
                    }
                }
            });
        });
        let question = match &self.round {
            Some(round) => Some(round.question.clone()),
            None => self.current(model, revision).cloned(),
        };
        let Some(question) = question else {
            let why = if model.graph.node_count() == 0 {
                "The model is empty: draw a flow first."
            } else {
                "The model cannot run yet (see Problems), so there is nothing to predict."
            };
            ui.colored_label(ui.visuals().warn_fg_color, why);
            return None;
        };
        ui.separator();
        let editable = !locked && !run.is_running();
        ui.add_enabled_ui(editable, |ui| {
            if self.teacher {
                self.table_ui(ui, &question);
            } else {
                self.guess_ui(ui, &question);
            }
        });
        ui.add_space(4.0);
        let action = self.buttons_ui(ui, run, &question, room);
        ui.separator();
        self.outcome_ui(ui, run);
        action
    }

    /// A row for each name of the room, values empty (two empty rows for
    /// a room not named yet).
    fn new_round_rows(&mut self, room: &[String]) {
        self.rows = room
            .iter()
            .map(|name| Row {
                name: name.clone(),
                value: String::new(),
            })
            .collect();
        if self.rows.is_empty() {
            self.rows = vec![Row::default(), Row::default()];
        }
    }

    fn question_ui(&mut self, ui: &mut egui::Ui, model: &Model, revision: u64, fixed: bool) {
        let shown = match &self.round {
            Some(round) => Some(round.question.clone()),
            None => self.current(model, revision).cloned(),
        };
        let list: &[Question] = self.questions.as_ref().map_or(&[], |(_, l, _)| l);
        let picked = &mut self.question;
        ui.horizontal(|ui| {
            let label = ui.label(RichText::new("Question").strong());
            ui.add_enabled_ui(!fixed, |ui| {
                let response = egui::ComboBox::from_id_salt("predict-question")
                    .selected_text(shown.as_ref().map_or("—", |q| q.label.as_str()))
                    .width(ui.available_width().clamp(200.0, 460.0))
                    .height(420.0)
                    .show_ui(ui, |ui| {
                        for q in list {
                            let chosen = shown.as_ref().is_some_and(|s| s.key == q.key);
                            if ui
                                .selectable_label(chosen, &q.label)
                                .on_hover_text(&q.key)
                                .clicked()
                            {
                                *picked = Some(q.key.clone());
                            }
                        }
                    })
                    .response
                    .labelled_by(label.id);
                if let Some(q) = &shown {
                    response.on_hover_text(format!("In the report: {}", q.key));
                }
            });
        });
    }

    fn guess_ui(&mut self, ui: &mut egui::Ui, question: &Question) {
        ui.horizontal(|ui| {
            let label = ui.label("Your guess");
            ui.add(
                egui::TextEdit::singleline(&mut self.guess)
                    .hint_text(hint(question))
                    .desired_width(160.0),
            )
            .labelled_by(label.id);
            read_back_ui(ui, question, &self.guess);
        });
    }

    fn table_ui(&mut self, ui: &mut egui::Ui, question: &Question) {
        let mut remove = None;
        egui::ScrollArea::vertical()
            .id_salt("predict-rows")
            .max_height(200.0)
            .show(ui, |ui| {
                egui::Grid::new("predict-table")
                    .num_columns(4)
                    .spacing([10.0, 4.0])
                    .show(ui, |ui| {
                        ui.label(RichText::new("Name").weak());
                        ui.label(RichText::new("Prediction").weak());
                        ui.label("");
                        ui.label("");
                        ui.end_row();
                        for (i, row) in self.rows.iter_mut().enumerate() {
                            // (Sized: the rows' scroll area would
                            // squeeze a field to its text.)
                            let tall = ui.spacing().interact_size.y;
                            ui.add_sized(
                                [140.0, tall],
                                egui::TextEdit::singleline(&mut row.name).hint_text("name"),
                            )
                            .on_hover_text(format!("Name {}", i + 1));
                            ui.add_sized(
                                [120.0, tall],
                                egui::TextEdit::singleline(&mut row.value)
                                    .hint_text(hint(question)),
                            )
                            .on_hover_text(format!("Prediction {}", i + 1));
                            if row.value.trim().is_empty() {
                                ui.label("");
                            } else {
                                read_back_ui(ui, question, &row.value);
                            }
                            if ui
                                .small_button("Remove")
                                .on_hover_text("Take this row out")
                                .clicked()
                            {
                                remove = Some(i);
                            }
                            ui.end_row();
                        }
                    });
            });
        if let Some(i) = remove {
            self.rows.remove(i);
        }
        if ui.button("Add a row").clicked() {
            self.rows.push(Row::default());
        }
        let fold = std::mem::take(&mut self.fold_paste);
        egui::CollapsingHeader::new("Paste a list")
            .id_salt("predict-paste")
            .open(fold.then_some(false))
            .show(ui, |ui| {
                ui.label(
                    RichText::new("One person a line, name then value: Ana 300ms, Bo: 1.5 s")
                        .weak(),
                );
                let label = ui.label("Pasted lines");
                ui.add(
                    egui::TextEdit::multiline(&mut self.paste)
                        .desired_rows(4)
                        .desired_width(320.0),
                )
                .labelled_by(label.id);
                if ui.button("Add these").clicked() {
                    let (rows, errors) = parse_pasted(question, &self.paste);
                    for (name, value) in rows {
                        match self
                            .rows
                            .iter_mut()
                            .find(|r| r.name.trim().eq_ignore_ascii_case(&name))
                        {
                            Some(row) => row.value = value,
                            None => {
                                if let Some(empty) =
                                    self.rows.iter_mut().find(|r| r.name.trim().is_empty())
                                {
                                    *empty = Row { name, value };
                                } else {
                                    self.rows.push(Row { name, value });
                                }
                            }
                        }
                    }
                    if errors.is_empty() {
                        self.paste.clear();
                        self.fold_paste = true;
                    }
                    self.paste_errors = errors;
                }
                for e in &self.paste_errors {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
            });
    }

    fn buttons_ui(
        &mut self,
        ui: &mut egui::Ui,
        run: &RunState,
        question: &Question,
        room: &[String],
    ) -> Option<PredictAction> {
        let mut action = None;
        let valid = self
            .typed()
            .iter()
            .filter(|(name, text)| !name.is_empty() && question.parse(text).is_ok())
            .count();
        ui.horizontal(|ui| {
            let can_run = self.round.is_none() && !run.is_running() && valid > 0;
            if ui
                .add_enabled(can_run, egui::Button::new("Lock and run"))
                .on_hover_text(
                    "Lock the predictions and run the scenario's replications (as Run → Run replications)",
                )
                .on_disabled_hover_text(if self.round.is_some() {
                    "This round has run: New round starts another"
                } else if run.is_running() {
                    "A run is under way"
                } else {
                    "Enter a prediction first"
                })
                .clicked()
            {
                action = Some(PredictAction::Run);
            }
            if ui
                .add_enabled(self.round.is_some(), egui::Button::new("New round"))
                .on_hover_text("Forget this round's results and predict again (names stay)")
                .clicked()
            {
                self.new_round(room);
            }
            if let Some(round) = &self.round {
                if round.result.is_none() {
                    ui.spinner();
                    ui.label("running… the predictions are locked");
                } else {
                    ui.label(
                        RichText::new(format!(
                            "{} prediction{} locked when the run started",
                            round.guesses.len(),
                            if round.guesses.len() == 1 { "" } else { "s" }
                        ))
                        .weak(),
                    );
                }
            } else if run.is_running() {
                ui.label(
                    RichText::new("A run started before these predictions: wait for it, then Run.")
                        .weak(),
                );
            }
        });
        action
    }

    fn outcome_ui(&self, ui: &mut egui::Ui, run: &RunState) {
        let Some(round) = &self.round else {
            if run.report().is_some() {
                ui.label(
                    RichText::new(
                        "The last report came before these predictions, so Weir does not judge them against it: press Run.",
                    )
                    .weak(),
                );
            }
            return;
        };
        let (report, tally) = match &round.result {
            None => return,
            Some(Err(e)) => {
                ui.colored_label(ui.visuals().error_fg_color, format!("The run failed: {e}"));
                return;
            }
            Some(Ok(result)) => result,
        };
        let question = &round.question;
        let observed = question.observe(report, Some(tally));
        ui.label(RichText::new(observed.describe(question)).strong());
        let judged = rank(&round.guesses, observed);
        let measure = match &question.target {
            Target::Number { measure, .. } => *measure,
            _ => Measure::Count,
        };
        egui::Grid::new("predict-verdicts")
            .num_columns(4)
            .striped(true)
            .spacing([18.0, 4.0])
            .show(ui, |ui| {
                for head in ["", "Name", "Prediction", "Verdict"] {
                    ui.label(RichText::new(head).weak());
                }
                ui.end_row();
                for (i, j) in judged.iter().enumerate() {
                    ui.label(format!("{}.", i + 1));
                    ui.label(&j.name);
                    ui.label(RichText::new(question.show(j.answer)).monospace());
                    match j.verdict {
                        Some(v) => {
                            let text = v.text(measure);
                            if v.good() {
                                ui.colored_label(super::colors::GREEN, text);
                            } else {
                                ui.label(text);
                            }
                        }
                        None => {
                            ui.label("—");
                        }
                    }
                    ui.end_row();
                }
            });
        if let Observed::Number { mean, half, .. } = observed {
            chart_ui(ui, measure, mean, half, &judged);
        }
    }
}

/// An example of what to type.
fn hint(question: &Question) -> &'static str {
    match &question.target {
        Target::Number { measure, .. } => measure.example(),
        _ => "yes or no",
    }
}

/// Beside a field: the value as read, or why it cannot be.
fn read_back_ui(ui: &mut egui::Ui, question: &Question, text: &str) {
    if text.trim().is_empty() {
        return;
    }
    match question.parse(text) {
        Ok(answer) => {
            ui.label(RichText::new(format!("= {}", question.show(answer))).weak());
        }
        Err(e) => {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }
}

/// The result on a value axis: the interval as a band, the mean as a
/// line, each prediction a dot with its name, one row each.
fn chart_ui(ui: &mut egui::Ui, measure: Measure, mean: f64, half: Option<f64>, judged: &[Judged]) {
    let values: Vec<f64> = judged
        .iter()
        .filter_map(|j| match j.answer {
            Answer::Number(v) => Some(v),
            Answer::YesNo(_) => None,
        })
        .collect();
    let largest = values
        .iter()
        .chain([&mean])
        .fold(0.0_f64, |a, v| a.max(v.abs()));
    let (unit, scale) = measure.axis(largest);
    let h = half.unwrap_or(0.0);
    #[expect(clippy::cast_precision_loss, reason = "a few rows")]
    let rows = values.len() as f64;
    let top = rows + 1.0;
    let title = if unit.is_empty() {
        "value".to_owned()
    } else {
        format!("value ({unit})")
    };
    let text_size = egui::TextStyle::Body.resolve(ui.style()).size;
    let height = (ui.available_height() - 8.0).max((rows as f32 + 2.0) * text_size * 2.2);
    let lo = values
        .iter()
        .copied()
        .chain([mean - h])
        .fold(f64::INFINITY, f64::min);
    let hi = values
        .iter()
        .copied()
        .chain([mean + h])
        .fold(f64::NEG_INFINITY, f64::max);
    let pad = ((hi - lo) * 0.15).max(mean.abs() * 0.05).max(1e-9);
    // (Nothing here is below zero when nothing measured is: the axis
    // starts at zero then.)
    let from = if lo >= 0.0 {
        (lo - pad).max(0.0)
    } else {
        lo - pad
    };
    let ink = ui.visuals().strong_text_color();
    Plot::new("predict-chart")
        .height(height)
        .x_axis_label(title)
        .show_axes([true, false])
        .show_grid([true, false])
        .include_x(from * scale)
        .set_margin_fraction(egui::vec2(0.0, 0.05))
        .include_x((hi + pad) * scale)
        .include_y(0.0)
        .include_y(top)
        .allow_scroll(false)
        .allow_drag(false)
        .allow_zoom(false)
        .allow_boxed_zoom(false)
        .show(ui, |plot| {
            if h > 0.0 {
                let band = vec![
                    [(mean - h) * scale, 0.0],
                    [(mean + h) * scale, 0.0],
                    [(mean + h) * scale, top],
                    [(mean - h) * scale, top],
                ];
                plot.polygon(
                    Polygon::new("95 % interval", PlotPoints::from(band))
                        .fill_color(super::colors::BLUE.gamma_multiply(0.25))
                        .stroke(egui::Stroke::NONE),
                );
            }
            plot.vline(
                VLine::new("result", mean * scale)
                    .color(super::colors::BLUE)
                    .width(2.5),
            );
            plot.text(
                Text::new(
                    "result label",
                    PlotPoint::new(mean * scale, top),
                    // (In the text's own colour: blue on the blue band
                    // would not read.)
                    RichText::new(format!("result {}", measure.show(mean)))
                        .color(ink)
                        .strong(),
                )
                .anchor(egui::Align2::CENTER_TOP),
            );
            let mut row = rows;
            for j in judged {
                let Answer::Number(v) = j.answer else {
                    continue;
                };
                let color = if j.verdict.is_some_and(Verdict::good) {
                    super::colors::GREEN
                } else {
                    super::colors::WARN
                };
                plot.points(
                    Points::new(j.name.clone(), PlotPoints::from(vec![[v * scale, row]]))
                        .radius(7.0)
                        .color(color),
                );
                plot.text(
                    Text::new(
                        format!("{} label", j.name),
                        PlotPoint::new(v * scale, row - 0.25),
                        RichText::new(&j.name).color(ink),
                    )
                    .anchor(egui::Align2::CENTER_TOP),
                );
                row -= 1.0;
            }
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::model::file;

    fn pipeline() -> Model {
        let text = include_str!("../../../examples/pipeline.ron");
        file::from_str(text).expect("the example loads").0
    }

    fn number_question(measure: Measure) -> Question {
        Question {
            target: Target::Number {
                metric: MetricRef::Node {
                    node: "n".to_owned(),
                    path: "x".to_owned(),
                },
                measure,
            },
            label: "n — x".to_owned(),
            key: "n.x".to_owned(),
        }
    }

    fn yes_no() -> Question {
        Question {
            target: Target::Anywhere(Fate::Dropped),
            label: "dropped?".to_owned(),
            key: "conservation.dropped".to_owned(),
        }
    }

    #[test]
    fn durations_read_in_any_unit_and_bare_numbers_are_refused() {
        let s = Measure::Seconds;
        assert_eq!(s.parse("250ms"), Ok(0.25));
        assert_eq!(s.parse("2s"), Ok(2.0));
        assert_eq!(s.parse(" 1.5 s "), Ok(1.5));
        assert_eq!(s.parse("1m30s"), Ok(90.0));
        assert_eq!(s.parse("0"), Ok(0.0), "zero needs no unit");
        let err = s.parse("300").expect_err("a bare number has no unit");
        assert!(err.contains("no unit"), "{err}");
        assert!(s.parse("fast").is_err());
        assert!(s.parse("-2s").is_err());
        assert!(s.parse("").expect_err("empty").contains("250ms"));
    }

    #[test]
    fn counts_shares_and_rates_read_with_their_forms() {
        assert_eq!(Measure::Count.parse("120"), Ok(120.0));
        assert_eq!(Measure::Count.parse("2.5"), Ok(2.5));
        assert!(Measure::Count.parse("-1").is_err());
        assert!(Measure::Count.parse("many").is_err());
        assert_eq!(Measure::Fraction.parse("0.8"), Ok(0.8));
        assert_eq!(Measure::Fraction.parse("80%"), Ok(0.8));
        assert_eq!(Measure::Fraction.parse("80 %"), Ok(0.8));
        let err = Measure::Fraction.parse("80").expect_err("more than 1");
        assert!(err.contains("80%"), "says how to write it: {err}");
        assert!(Measure::Fraction.parse("120%").is_err());
        assert_eq!(Measure::Rate.parse("50/s"), Ok(50.0));
        assert_eq!(Measure::Rate.parse("50 /s"), Ok(50.0));
        assert_eq!(Measure::Rate.parse("50"), Ok(50.0));
    }

    #[test]
    fn yes_or_no_reads_its_words() {
        let q = yes_no();
        assert_eq!(q.parse("Yes"), Ok(Answer::YesNo(true)));
        assert_eq!(q.parse("n"), Ok(Answer::YesNo(false)));
        assert!(q.parse("maybe").is_err());
        assert!(q.parse("").is_err());
    }

    #[test]
    fn paths_name_their_measure_and_words() {
        assert_eq!(Measure::of_path("wait_s.p99"), Measure::Seconds);
        assert_eq!(Measure::of_path("end_to_end_s.mean"), Measure::Seconds);
        assert_eq!(Measure::of_path("max_depth"), Measure::Count);
        assert_eq!(Measure::of_path("utilization"), Measure::Fraction);
        assert_eq!(Measure::of_path("throughput_per_s"), Measure::Rate);
        assert_eq!(path_words("wait_s.p99"), "wait p99");
        assert_eq!(path_words("end_to_end_s.p99"), "end-to-end latency p99");
        assert_eq!(path_words("max_depth"), "largest depth");
        assert_eq!(path_words("drops.queue_full"), "dropped: queue full");
    }

    #[test]
    fn a_number_is_judged_against_the_interval() {
        let seen = Observed::Number {
            mean: 0.2,
            half: Some(0.01),
            replications: 5,
        };
        assert_eq!(
            Verdict::judge(Answer::Number(0.205), seen),
            Some(Verdict::Within)
        );
        assert_eq!(
            Verdict::judge(Answer::Number(0.21), seen),
            Some(Verdict::Within),
            "the edge is inside"
        );
        let Some(Verdict::TooLow { by, share }) = Verdict::judge(Answer::Number(0.146), seen)
        else {
            panic!("too low");
        };
        assert!((by - 0.044).abs() < 1e-12, "past the interval: {by}");
        assert!((share.unwrap_or(0.0) - 0.27).abs() < 1e-12, "{share:?}");
        assert!(
            Verdict::TooLow { by, share }
                .text(Measure::Seconds)
                .starts_with("too low by 27 %"),
        );
        assert!(matches!(
            Verdict::judge(Answer::Number(0.5), seen),
            Some(Verdict::TooHigh { .. })
        ));
        let single = Observed::Number {
            mean: 3.0,
            half: None,
            replications: 1,
        };
        assert_eq!(
            Verdict::judge(Answer::Number(3.0), single),
            Some(Verdict::Exact)
        );
        let zero = Observed::Number {
            mean: 0.0,
            half: None,
            replications: 1,
        };
        assert_eq!(
            Verdict::judge(Answer::Number(2.0), zero),
            Some(Verdict::TooHigh {
                by: 2.0,
                share: None
            })
        );
        assert_eq!(
            Verdict::judge(Answer::YesNo(true), seen),
            None,
            "a yes against a number"
        );
    }

    #[test]
    fn yes_or_no_is_judged_on_the_replications() {
        let always = Observed::Happened { times: 5, of: 5 };
        let never = Observed::Happened { times: 0, of: 5 };
        let some = Observed::Happened { times: 2, of: 5 };
        assert_eq!(
            Verdict::judge(Answer::YesNo(true), always),
            Some(Verdict::Right)
        );
        assert_eq!(
            Verdict::judge(Answer::YesNo(true), never),
            Some(Verdict::Wrong)
        );
        assert_eq!(
            Verdict::judge(Answer::YesNo(false), some),
            Some(Verdict::Partly { times: 2, of: 5 })
        );
        assert_eq!(
            Verdict::judge(
                Answer::YesNo(false),
                Observed::OnAverage { happened: false }
            ),
            Some(Verdict::Right)
        );
        assert!(some.describe(&yes_no()).contains("2 of the 5"));
    }

    #[test]
    fn predictions_rank_closest_first() {
        let seen = Observed::Number {
            mean: 100.0,
            half: Some(5.0),
            replications: 3,
        };
        let guesses = vec![
            ("Ana".to_owned(), Answer::Number(150.0)),
            ("Bo".to_owned(), Answer::Number(98.0)),
            ("Cy".to_owned(), Answer::Number(80.0)),
        ];
        let names: Vec<String> = rank(&guesses, seen).into_iter().map(|j| j.name).collect();
        assert_eq!(names, ["Bo", "Cy", "Ana"]);
        let seen = Observed::Happened { times: 3, of: 3 };
        let guesses = vec![
            ("No".to_owned(), Answer::YesNo(false)),
            ("Yes".to_owned(), Answer::YesNo(true)),
        ];
        let names: Vec<String> = rank(&guesses, seen).into_iter().map(|j| j.name).collect();
        assert_eq!(names, ["Yes", "No"], "right before wrong");
    }

    #[test]
    fn the_pipeline_offers_its_queues_depths_and_latencies_before_a_run() {
        let model = pipeline();
        let list = questions(&model);
        let keys: Vec<&str> = list.iter().map(|q| q.key.as_str()).collect();
        for key in [
            "enrich-q.max_depth",
            "enrich-q.wait_s.p99",
            "warehouse.end_to_end_s.p99",
            "conservation.dropped",
        ] {
            assert!(keys.contains(&key), "{key} is offered: {keys:?}");
        }
        let depth = list
            .iter()
            .find(|q| q.key == "enrich-q.max_depth")
            .expect("offered");
        assert_eq!(depth.label, "enrich queue — largest depth");
        // Every number offered is one the report of a real run names.
        let mut short = model.clone();
        short.scenario.duration = Duration(90_000_000_000);
        let run = sim_core::run_once(&short, 7).expect("runs");
        let report = Report::from_runs(7, [run], 0.0);
        for q in &list {
            if let Target::Number { metric, .. } = &q.target {
                assert!(metric.read(&report).is_some(), "{} is in the report", q.key);
            }
        }
        let (asked_list, first) = asked(&model);
        assert_eq!(asked_list, list, "one pilot asks the same");
        let first = first.expect("a default");
        assert!(
            list[first].key.ends_with("end_to_end_s.p99"),
            "no objective: the end-to-end p99, not {}",
            list[first].key
        );
    }

    #[test]
    fn an_objective_is_the_default_question() {
        let text = r#"(
            version: 1,
            name: "slo",
            scenario: (duration: "5s", seed: 1),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
                (id: "q", kind: Queue(capacity: 5)),
                (id: "w", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "w")],
            slos: [(name: "Quick", on: Node("w"), objective: Latency(percentile: 99.0, max: "250ms"))],
        )"#;
        let model = file::from_str(text).expect("loads").0;
        let (list, first) = asked(&model);
        let first = first.expect("a default");
        assert_eq!(list[first].key, "slo:Quick");
        assert!(
            list.iter()
                .any(|q| q.key == "q.dropped ≥ 1" && q.is_yes_no()),
            "a queue asks whether it drops"
        );
    }

    #[test]
    fn a_tally_counts_the_replications_that_showed_it() {
        let text = r#"(
            version: 1,
            name: "drops",
            scenario: (duration: "5s", seed: 1, warmup: "0s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
                (id: "q", kind: Queue(capacity: 2, overflow: DropNewest)),
                (id: "w", kind: Consumer(service: Exponential(mean: "20ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "w")],
        )"#;
        let model = file::from_str(text).expect("loads").0;
        let mut tally = Tally::default();
        let runs: Vec<RunResult> = (0..3)
            .map(|k| sim_core::run_once(&model, 1 + k).expect("runs"))
            .collect();
        for run in &runs {
            tally.add(run);
        }
        let report = Report::from_runs(1, runs, 0.0);
        let list = questions(&model);
        let full = list
            .iter()
            .find(|q| q.key == "q.dropped ≥ 1")
            .expect("asked");
        assert_eq!(
            full.observe(&report, Some(&tally)),
            Observed::Happened { times: 3, of: 3 }
        );
        let anywhere = list
            .iter()
            .find(|q| q.key == "conservation.dropped")
            .expect("asked");
        assert_eq!(
            anywhere.observe(&report, Some(&tally)),
            Observed::Happened { times: 3, of: 3 }
        );
        assert_eq!(
            anywhere.observe(&report, None),
            Observed::OnAverage { happened: true },
            "without the replications, the mean"
        );
    }

    #[test]
    fn pasted_lines_give_names_and_values() {
        let q = number_question(Measure::Seconds);
        let (rows, errors) = parse_pasted(&q, "Ana 300ms\nBo Li: 1.5 s\n\nCy, 2s\nDee\nEd soon");
        assert_eq!(
            rows,
            [
                ("Ana".to_owned(), "300ms".to_owned()),
                ("Bo Li".to_owned(), "1.5 s".to_owned()),
                ("Cy".to_owned(), "2s".to_owned()),
            ]
        );
        assert_eq!(errors.len(), 2, "{errors:?}");
        assert!(errors[0].starts_with("line 5"), "{errors:?}");
        assert!(errors[1].starts_with("line 6"), "{errors:?}");
        let (rows, _) = parse_pasted(&number_question(Measure::Fraction), "Ana 80 %");
        assert_eq!(rows, [("Ana".to_owned(), "80 %".to_owned())]);
    }
}
