//! Predict, then run in the window: a guess entered before the run,
//! locked by it, judged against the report's own mean and interval; the
//! teacher view's guesses ranked closest first; a report older than the
//! guesses not used to judge them.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::Model;
use sim_core::time::Duration;
use weir::gui::WeirApp;
use weir::gui::predict::{Answer, Measure, Observed, Verdict};

use crate::harness::{Window, fill, harness, until};

/// The bundled pipeline, a minute long, three replications.
fn pipeline() -> Model {
    let text = include_str!("../../examples/pipeline.ron");
    let mut model = weir_tests::model(text);
    model.scenario.duration = Duration(60_000_000_000);
    model.scenario.warmup = Some(Duration(10_000_000_000));
    model.scenario.replications = 3;
    model
}

/// The app on the pipeline with Predict, then run opened from the Run
/// menu.
fn opened() -> Harness<'static, WeirApp> {
    let mut h = harness(WeirApp::from_model(pipeline(), None), Window::default());
    h.run();
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label_contains("Predict, then run…").click();
    h.run();
    h
}

/// What the report says of the default question: the sink's end-to-end
/// p99.
fn observed(h: &Harness<'_, WeirApp>) -> Observed {
    let report = h.state().replications_report().expect("a report");
    let m = report
        .node("warehouse")
        .and_then(|n| n.get("end_to_end_s.p99"))
        .expect("measured");
    Observed::Number {
        mean: m.mean,
        half: m.ci95,
        replications: report.replications(),
    }
}

/// The teacher view, with `lines` (`NAME VALUE`) pasted in as the room's
/// guesses.
pub(crate) fn paste_room(h: &mut Harness<'_, WeirApp>, lines: &[&str]) {
    h.get_by_label("Teacher").click();
    h.run();
    h.get_by_label("Paste a list").click();
    h.run();
    h.get_by_label("Pasted lines").click();
    h.run();
    for (i, line) in lines.iter().enumerate() {
        if i > 0 {
            h.key_press(Key::Enter);
        }
        h.get_by_label("Pasted lines").type_text(line);
    }
    h.run();
    h.get_by_role_and_label(Role::Button, "Add these").click();
    h.run();
}

fn run_and_wait(h: &mut Harness<'_, WeirApp>) {
    h.get_by_role_and_label(Role::Button, "Lock and run")
        .click();
    until(h, "the predictions judged", |h| {
        h.state().predict_window().judged().is_some()
    });
    h.run();
}

#[test]
fn a_guess_is_locked_by_the_run_and_judged_on_the_reports_interval() {
    let mut h = opened();
    fill(&mut h, "Your guess", "300");
    assert!(
        h.query_by_label_contains("has no unit").is_some(),
        "a duration without a unit is explained beside the field"
    );
    fill(&mut h, "Your guess", "50ms");
    assert!(h.query_by_label("= 50 ms").is_some(), "read back");
    run_and_wait(&mut h);
    assert!(h.state().predict_window().locked());
    let seen = observed(&h);
    let Observed::Number {
        mean,
        half: Some(half),
        ..
    } = seen
    else {
        panic!("three replications give an interval: {seen:?}");
    };
    let s = Measure::Seconds;
    let line = format!(
        "Result: {} ± {} (95 % interval {} to {}, 3 replications)",
        s.show(mean),
        s.show(half),
        s.show(mean - half),
        s.show(mean + half)
    );
    assert!(
        h.query_by_label(&line).is_some(),
        "the window shows the report's own numbers: {line}"
    );
    let verdict = Verdict::judge(Answer::Number(0.05), seen).expect("judged");
    assert!(
        h.query_by_label(&verdict.text(s)).is_some(),
        "the verdict is shown: {}",
        verdict.text(s)
    );
    // Locked: nothing to run again until a new round.
    h.get_by_role_and_label(Role::Button, "New round").click();
    h.run();
    assert!(!h.state().predict_window().locked(), "a new round unlocks");
    assert!(
        h.query_by_label_contains("The last report came before these predictions")
            .is_some(),
        "the old report is not used to judge the new round"
    );
}

#[test]
fn the_teacher_view_ranks_the_rooms_guesses_and_keeps_their_names() {
    let mut h = opened();
    paste_room(&mut h, &["Ana 2s", "Bo Li: 40 ms"]);
    run_and_wait(&mut h);
    let judged = h.state().predict_window().judged().expect("judged");
    let names: Vec<&str> = judged.iter().map(|j| j.name.as_str()).collect();
    let Observed::Number { mean, .. } = observed(&h) else {
        panic!("a number");
    };
    let expected = if (0.04 - mean).abs() <= (2.0 - mean).abs() {
        ["Bo Li", "Ana"]
    } else {
        ["Ana", "Bo Li"]
    };
    assert_eq!(names, expected, "closest first");
    for name in ["Ana", "Bo Li"] {
        assert!(
            h.query_all_by_label(name).next().is_some(),
            "{name} is listed"
        );
    }
    assert_eq!(
        h.state().prefs().predict_room,
        ["Ana", "Bo Li"],
        "the room's names are remembered for the next round"
    );
}

#[test]
fn a_run_started_elsewhere_locks_the_guess() {
    let mut h = opened();
    fill(&mut h, "Your guess", "1s");
    // Run → Run replications, by its key.
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the predictions judged", |h| {
        h.state().predict_window().judged().is_some()
    });
    assert!(h.state().predict_window().locked());
}
