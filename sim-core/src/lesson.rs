//! Lessons: a model broken on purpose, a story asking the learner to fix
//! it, goals that say when it is fixed, hints, prompts to try, and a
//! solution that is known to pass.
//!
//! A lesson is a versioned RON file (`docs/lessons.md`). Its goals are
//! service level objectives ([`crate::slo`]) in the model file's syntax:
//! the model a learner opens carries them as its objectives, so the
//! checklist ticks during a live run, and an attempt is judged by the
//! same verdicts as `weir run --check-slos` — every goal must be met over
//! the scenario's replications ([`GoalResult`], [`judge`]). The solution
//! is a list of node parameter changes, written as a variant's nodes
//! ([`crate::model::VariantNode`]): the lesson's model with them applied
//! is the reference answer, tested to pass its goals.
//!
//! Reading a lesson checks everything a learner would otherwise trip
//! over: the file's syntax and version, empty texts, goals the model
//! cannot measure, a model or solution with errors, solution changes
//! that name no node or change a kind. Errors name the file and the
//! field ([`LessonError`]).

use serde::Deserialize;

use crate::model::file::{self, Embedded, LoadError};
use crate::model::{Model, Variant, VariantNode};
use crate::report::Report;
use crate::slo::{Slo, Verdict};
use crate::validate;

/// The lesson format version this build reads.
pub const LESSON_VERSION: u32 = 1;

/// The variant name a lesson's solution takes when it is applied.
pub const SOLUTION: &str = "Solution";

/// A lesson file's shape, version 1.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct LessonFile {
    /// Checked by [`VersionProbe`] before the rest is read.
    #[serde(rename = "version")]
    _version: u32,
    title: String,
    summary: String,
    story: String,
    goals: Vec<Slo>,
    hints: Vec<String>,
    #[serde(default)]
    try_this: Vec<String>,
    #[serde(default)]
    predict: Option<Prediction>,
    solution: Solution,
    model: Embedded,
}

/// A question the learner answers before running: the lesson's words,
/// and the number of the report it asks about.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Prediction {
    /// The question, as the lesson puts it.
    pub ask: String,
    /// What it asks about: `NODE.METRIC` as the report names it
    /// (`orders-q.wait_s.p99`), or `slo:NAME` for a goal's value.
    pub metric: String,
}

/// The reference answer: parameter changes to the lesson's model.
#[derive(Clone, Debug, PartialEq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Solution {
    /// Why it works, shown with it.
    pub explanation: String,
    /// Nodes whose parameters it replaces, as a variant's (each keeps its
    /// kind; parameters left out take their defaults).
    pub nodes: Vec<VariantNode>,
}

/// A lesson, read and checked.
#[derive(Clone, Debug)]
pub struct Lesson {
    /// A short title for the list.
    pub title: String,
    /// One sentence under the title.
    pub summary: String,
    /// What the learner is asked to do: paragraphs separated by blank
    /// lines.
    pub story: String,
    /// The checks an attempt must pass, every one.
    pub goals: Vec<Slo>,
    /// Hints, unlocked one at a time after a failed attempt.
    pub hints: Vec<String>,
    /// Things to try and watch, in any order.
    pub try_this: Vec<String>,
    /// A question to answer before the first run, if the lesson asks one.
    pub predict: Option<Prediction>,
    pub solution: Solution,
    /// The starting model, its objectives replaced by the goals.
    model: Model,
}

/// Why a lesson file cannot be used: the file and what is wrong, naming
/// the field.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{file}: {problem}")]
pub struct LessonError {
    pub file: String,
    pub problem: String,
}

/// Reads a lesson from its text; `file` names it in errors.
pub fn from_str(file: &str, text: &str) -> Result<Lesson, LessonError> {
    let fail = |problem: String| LessonError {
        file: file.to_owned(),
        problem,
    };
    let probe: VersionProbe = file::parse(text).map_err(|e| fail(load_problem(&e)))?;
    match probe.version {
        None => {
            return Err(fail(format!(
                "missing field `version`; a lesson file starts with `(version: {LESSON_VERSION}, …`"
            )));
        }
        Some(0) => {
            return Err(fail(
                "version: there is no lesson version 0; the first is 1".to_owned(),
            ));
        }
        Some(v) if v > LESSON_VERSION => {
            return Err(fail(format!(
                "version: the lesson is version {v}, written for a newer Weir; this build reads versions up to {LESSON_VERSION}"
            )));
        }
        Some(_) => {}
    }
    let raw: LessonFile = file::parse(text).map_err(|e| fail(load_problem(&e)))?;
    for (field, value) in [
        ("title", &raw.title),
        ("summary", &raw.summary),
        ("story", &raw.story),
        ("solution.explanation", &raw.solution.explanation),
    ] {
        if value.trim().is_empty() {
            return Err(fail(format!("{field}: must not be empty")));
        }
    }
    for (field, list) in [("hints", &raw.hints), ("try_this", &raw.try_this)] {
        if let Some(i) = list.iter().position(|h| h.trim().is_empty()) {
            return Err(fail(format!("{field}[{i}]: must not be empty")));
        }
    }
    if raw.goals.is_empty() {
        return Err(fail("goals: a lesson needs at least one goal".to_owned()));
    }
    if raw.hints.is_empty() {
        return Err(fail("hints: a lesson needs at least one hint".to_owned()));
    }
    if raw.solution.nodes.is_empty() {
        return Err(fail(
            "solution.nodes: a solution changes at least one node".to_owned(),
        ));
    }
    let (mut model, diagnostics) = raw
        .model
        .into_model()
        .map_err(|e| fail(format!("model: {}", load_problem(&e))))?;
    if let Some(d) = diagnostics.first() {
        return Err(fail(format!("model: {d}")));
    }
    if !model.slos.is_empty() {
        return Err(fail(
            "model.slos: a lesson's checks go in `goals`, not in its model's objectives".to_owned(),
        ));
    }
    model.slos.clone_from(&raw.goals);
    model.variants.clear();
    // NOTE: the goals' problems first: the model's own check repeats them.
    if let Some(d) = crate::slo::problems(&model)
        .into_iter()
        .find(validate::Diagnostic::is_error)
    {
        return Err(fail(format!("goals: {}", d.message)));
    }
    if let Some(d) = validate::validate(&model)
        .into_iter()
        .find(validate::Diagnostic::is_error)
    {
        return Err(fail(format!("model: {d}")));
    }
    if let Some(p) = &raw.predict {
        if p.ask.trim().is_empty() {
            return Err(fail("predict.ask: must not be empty".to_owned()));
        }
        crate::sweep::MetricRef::parse(&p.metric, &model)
            .map_err(|e| fail(format!("predict.metric: {e}")))?;
    }
    let lesson = Lesson {
        title: raw.title,
        summary: raw.summary,
        story: raw.story,
        goals: raw.goals,
        hints: raw.hints,
        try_this: raw.try_this,
        predict: raw.predict,
        solution: raw.solution,
        model,
    };
    let solved = lesson
        .solution_model()
        .map_err(|e| fail(format!("solution.nodes: {e}")))?;
    if let Some(d) = validate::validate(&solved)
        .into_iter()
        .find(validate::Diagnostic::is_error)
    {
        return Err(fail(format!(
            "solution.nodes: the solved model has an error: {d}"
        )));
    }
    Ok(lesson)
}

/// Only the version, read before anything else.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<u32>,
}

/// A model-file error in a lesson's words.
fn load_problem(err: &LoadError) -> String {
    match err {
        LoadError::MissingVersion => "missing field `version`".to_owned(),
        other => other.to_string(),
    }
}

impl Lesson {
    /// The model the learner starts from: the lesson's model with the
    /// goals as its objectives.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The reference answer: the starting model with the solution's
    /// changes applied, named after it.
    pub fn solution_model(&self) -> Result<Model, crate::model::VariantError> {
        let mut with = self.model.clone();
        with.variants = vec![Variant {
            name: SOLUTION.to_owned(),
            description: self.solution.explanation.clone(),
            nodes: self.solution.nodes.clone(),
        }];
        with.with_variant(SOLUTION)
    }

    /// A learner's model as it is judged: whatever they did to its
    /// objectives, it is held to the lesson's goals.
    pub fn attempt(&self, learner: &Model) -> Model {
        let mut model = learner.clone();
        model.slos.clone_from(&self.goals);
        model
    }
}

/// How one goal went in an attempt.
#[derive(Clone, Debug, PartialEq)]
pub struct GoalResult {
    /// The goal's name (or its description when it has none).
    pub label: String,
    /// The measured value in the goal's unit ("—" when none was measured).
    pub value: String,
    /// The bound it is held to ("≤ 250 ms").
    pub bound: String,
    /// Whether it passed: met over the replications, or with one
    /// replication, on the good side of the bound.
    pub passed: bool,
    /// The verdict in words.
    pub verdict: String,
}

/// Each goal's result in a report of an attempt (a run of
/// [`Lesson::attempt`]'s model).
pub fn judge(report: &Report) -> Vec<GoalResult> {
    let single = report.replications() == 1;
    report
        .slos
        .iter()
        .map(|r| {
            let (passed, verdict) = match (&r.value, single) {
                (Some(m), true) => {
                    let holds = r.slo.objective.bound().holds(m.mean);
                    (
                        holds,
                        format!("{} in this run", if holds { "met" } else { "missed" }),
                    )
                }
                _ => (r.verdict == Verdict::Met, r.verdict.text()),
            };
            GoalResult {
                label: r.slo.label(),
                value: r.value_text(),
                bound: r.slo.objective.target_text(),
                passed,
                verdict,
            }
        })
        .collect()
}

/// Whether every goal passed.
pub fn passed(results: &[GoalResult]) -> bool {
    !results.is_empty() && results.iter().all(|g| g.passed)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"(
    version: 1,
    title: "A slow worker",
    summary: "One worker cannot keep up.",
    story: "Make the queue short.",
    goals: [(name: "Short queue", on: Node("q"), objective: Lag(max: 100))],
    hints: ["Add instances."],
    try_this: ["Watch the queue."],
    solution: (
        explanation: "Two workers keep up.",
        nodes: [(id: "w", kind: Consumer(instances: 2, service: Constant("15ms")))],
    ),
    model: (
        version: 1,
        name: "Slow worker",
        scenario: (duration: "30s", warmup: "0s"),
        nodes: [
            (id: "p", kind: Producer(arrival: Constant(rate: 100.0))),
            (id: "q", kind: Queue()),
            (id: "w", kind: Consumer(service: Constant("15ms"))),
        ],
        edges: [(from: "p", to: "q"), (from: "q", to: "w")],
    ),
)"#;

    #[test]
    fn a_lesson_reads_with_its_goals_as_the_models_objectives() {
        let lesson = from_str("small.ron", SMALL).expect("reads");
        assert_eq!(lesson.title, "A slow worker");
        assert_eq!(lesson.model().slos, lesson.goals);
        let solved = lesson.solution_model().expect("applies");
        assert!(solved.name.ends_with(SOLUTION), "{}", solved.name);
        assert!(solved.variants.is_empty());
        assert_eq!(lesson.predict, None, "a question is not required");
        let asking = SMALL.replace(
            "try_this: [",
            "predict: (ask: \"How deep will the queue get?\", metric: \"q.max_depth\"),\n    try_this: [",
        );
        let lesson = from_str("small.ron", &asking).expect("reads");
        assert_eq!(
            lesson.predict,
            Some(Prediction {
                ask: "How deep will the queue get?".to_owned(),
                metric: "q.max_depth".to_owned(),
            })
        );
    }

    #[test]
    fn errors_name_the_file_and_the_field() {
        let cases = [
            (
                SMALL.replace("title: \"A slow worker\"", "title: \" \""),
                "title",
            ),
            (
                SMALL.replace("hints: [\"Add instances.\"]", "hints: []"),
                "hints",
            ),
            (
                SMALL.replace(
                    "(id: \"w\", kind: Consumer(instances",
                    "(id: \"x\", kind: Consumer(instances",
                ),
                "solution.nodes",
            ),
            (SMALL.replace("Node(\"q\")", "Node(\"nowhere\")"), "goals"),
            (
                SMALL.replace("version: 1,\n    title", "version: 9,\n    title"),
                "version",
            ),
            (
                SMALL.replace("try_this", "try_that"),
                "unknown field `try_that` in the lesson",
            ),
            (
                SMALL.replace("edges: [", "edgez: ["),
                "unknown field `edgez` in the model",
            ),
            (SMALL.replace("(id: \"q\", kind: Queue()),", ""), "model"),
            (
                SMALL.replace(
                    "try_this: [",
                    "predict: (ask: \" \", metric: \"q.max_depth\"),\n    try_this: [",
                ),
                "predict.ask",
            ),
            (
                SMALL.replace(
                    "try_this: [",
                    "predict: (ask: \"How deep?\", metric: \"nowhere.max_depth\"),\n    try_this: [",
                ),
                "predict.metric",
            ),
            (
                SMALL.replace(
                    "try_this: [",
                    "predict: (ask: \"How deep?\", metric: \"slo:Long queue\"),\n    try_this: [",
                ),
                "predict.metric",
            ),
        ];
        for (text, field) in cases {
            let err = from_str("lessons/small.ron", &text)
                .expect_err(field)
                .to_string();
            assert!(err.starts_with("lessons/small.ron: "), "{err}");
            assert!(err.contains(field), "expected {field}: {err}");
        }
        let err = from_str("x.ron", "").expect_err("empty").to_string();
        assert!(err.starts_with("x.ron: line 1"), "{err}");
    }

    #[test]
    fn an_attempt_is_held_to_the_goals_whatever_its_objectives() {
        let lesson = from_str("small.ron", SMALL).expect("reads");
        let mut learner = lesson.model().clone();
        learner.slos.clear();
        assert_eq!(lesson.attempt(&learner).slos, lesson.goals);
    }
}
