//! The workshop's lessons: every file in `lessons/` is bundled and reads,
//! and each lesson's starting model misses its goals while its solution
//! meets every one, over the lesson's own seeds and replications.

use sim_core::lesson::{self, GoalResult};
use weir::lessons::LESSONS;

/// Every goal's result for a model of a lesson.
fn results(model: &sim_core::Model) -> Vec<GoalResult> {
    let report = sim_core::run_replications(model).expect("the lesson runs");
    lesson::judge(&report)
}

/// The lesson's start misses a goal clearly (violated, not undecided) and
/// its solution meets them all.
fn start_fails_and_solution_passes(file: &str) {
    let bundled = weir::lessons::find(file).unwrap_or_else(|| panic!("{file} is bundled"));
    let lesson = bundled.load().unwrap_or_else(|e| panic!("{e}"));
    let start = results(lesson.model());
    assert!(
        !lesson::passed(&start),
        "{file}: the start passes: {start:#?}"
    );
    assert!(
        start
            .iter()
            .any(|g| g.verdict == "violated" || g.verdict == "missed in this run"),
        "{file}: the start misses no goal clearly: {start:#?}"
    );
    let solved = lesson.solution_model().expect("the solution applies");
    let end = results(&lesson.attempt(&solved));
    assert!(lesson::passed(&end), "{file}: the solution fails: {end:#?}");
}

#[test]
fn every_lesson_file_is_bundled_in_order_and_reads() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../lessons");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .expect("lessons folder")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".ron"))
        .collect();
    files.sort();
    let bundled: Vec<&str> = LESSONS.iter().map(|l| l.file).collect();
    assert_eq!(
        files, bundled,
        "every lesson file is bundled, in file order"
    );
    for l in LESSONS {
        let lesson = l.load().unwrap_or_else(|e| panic!("{e}"));
        assert!(
            lesson.hints.len() >= 2,
            "{}: hints come one at a time",
            l.file
        );
        assert!(!lesson.try_this.is_empty(), "{}: something to try", l.file);
        let text = l.text;
        assert!(
            text.trim_start().starts_with("//"),
            "{}: opens with a comment",
            l.file
        );
        let scenario = &lesson.model().scenario;
        assert!(
            scenario.duration.as_secs_f64() <= 300.0 && scenario.warmup.is_some(),
            "{}: a short run with its warm-up set, so checks are quick",
            l.file
        );
    }
}

#[test]
fn the_docs_list_every_lesson() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/lessons.md");
    let doc = std::fs::read_to_string(path).expect("docs/lessons.md");
    for l in LESSONS {
        assert!(
            doc.contains(&format!("(../lessons/{})", l.file)),
            "docs/lessons.md lists {}",
            l.file
        );
    }
}

#[test]
fn a_broken_lesson_names_its_file_and_field() {
    let text = LESSONS[0].text.replace("hints: [", "hunts: [");
    let err = lesson::from_str("lessons/broken.ron", &text)
        .expect_err("unknown field")
        .to_string();
    assert!(err.starts_with("lessons/broken.ron: line "), "{err}");
    assert!(err.contains("`hunts`"), "{err}");
}

macro_rules! lesson_tests {
    ($($name:ident => $file:literal),* $(,)?) => {
        $(
            #[test]
            fn $name() {
                start_fails_and_solution_passes($file);
            }
        )*
    };
}

lesson_tests! {
    lesson_01_hockey_stick => "01-hockey-stick.ron",
    lesson_02_backpressure => "02-backpressure.ron",
    lesson_03_retry_storm => "03-retry-storm.ron",
    lesson_04_circuit_breaker => "04-circuit-breaker.ron",
    lesson_05_poison_dlq => "05-poison-dlq.ron",
    lesson_06_partitions => "06-partitions.ron",
    lesson_07_head_of_line => "07-head-of-line.ron",
    lesson_08_cqrs_staleness => "08-cqrs-staleness.ron",
    lesson_09_autoscaling => "09-autoscaling.ron",
    lesson_10_serverless => "10-serverless.ron",
    lesson_11_metastable => "11-metastable.ron",
    lesson_12_duplicates => "12-duplicates.ron",
    lesson_13_failover => "13-failover.ron",
}

#[test]
fn every_lessons_question_is_one_the_predict_window_asks() {
    let mut asking = 0;
    for bundled in LESSONS {
        let lesson = bundled.load().unwrap_or_else(|e| panic!("{e}"));
        let Some(predict) = &lesson.predict else {
            continue;
        };
        let keys: Vec<String> = weir::gui::predict::questions(lesson.model())
            .into_iter()
            .map(|q| q.key)
            .collect();
        assert!(
            keys.contains(&predict.metric),
            "{}: `{}` is not among {keys:?}",
            bundled.file,
            predict.metric
        );
        asking += 1;
    }
    assert!(asking >= 4, "only {asking} lessons ask for a prediction");
}
