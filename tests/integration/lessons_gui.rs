//! Lessons in the window: picked from the start page, the design checked
//! against the goals, a hint unlocked by the missed check, the solution
//! beside the design, and progress that outlives the window.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use weir::gui::comparison::Side;
use weir::gui::{Prefs, WeirApp};

use crate::harness::{Window, harness, until};

const FIRST: &str = "01-hockey-stick.ron";

/// The app as it starts with no file: the start page, and `prefs` as
/// remembered.
fn starting(prefs: Prefs) -> Harness<'static, WeirApp> {
    let mut h = harness(WeirApp::starting(None, prefs, None), Window::default());
    h.run();
    h
}

/// Whether Show a hint is greyed out.
fn hint_disabled(h: &Harness<'_, WeirApp>) -> bool {
    h.get_by_role_and_label(Role::Button, "Show a hint")
        .accesskit_node()
        .is_disabled()
}

/// Scrolls the panel to a button, as a hand would, and clicks it. (Two
/// frames, not a wait for the window to settle: a check the click starts
/// may finish on its thread during them, and its result asks for frames
/// of its own.)
fn press(h: &mut Harness<'_, WeirApp>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).scroll_to_me();
    h.run();
    h.get_by_role_and_label(Role::Button, label).click();
    h.run_steps(2);
}

#[test]
fn a_lesson_is_picked_checked_hinted_and_compared_with_its_solution() {
    let mut h = starting(Prefs::default());
    assert!(h.state().showing_start_page());
    h.get_by_role_and_label(Role::Button, "Lessons…").click();
    h.run();
    assert!(h.state().showing_lessons(), "the list opens");
    assert!(
        !h.state().showing_start_page(),
        "over the canvas, not the start page"
    );
    assert!(
        h.query_by_label("1. Busy is not the same as fast")
            .is_some()
    );
    assert!(
        h.query_by_label("11. A failure that outlives its trigger")
            .is_some(),
        "the list holds the workshop in order"
    );
    h.query_all_by_label("Start")
        .next()
        .expect("a Start button")
        .click();
    h.run();
    let lesson = h.state().lesson().expect("the lesson is open");
    assert_eq!(lesson.file, FIRST);
    assert_eq!(h.state().model().name, "Lesson: the hockey stick");
    assert!(
        h.state().path().is_none(),
        "the model opens as a new document"
    );
    assert_eq!(
        h.state().model().slos.len(),
        2,
        "the goals are its objectives"
    );
    assert!(!h.state().showing_lessons());
    assert!(h.query_by_label("Goals").is_some());
    assert!(
        h.query_all_by_label("95 % of orders done within 100 ms")
            .next()
            .is_some(),
        "the goals are listed"
    );
    // No hint before a check has missed a goal.
    assert!(h.query_by_label("0 of 3 shown").is_some());
    assert!(hint_disabled(&h));

    press(&mut h, "Check my design");
    until(&mut h, "the check to finish", |h| {
        h.state().lesson().is_some_and(|l| l.results.is_some())
    });
    h.run();
    let results = h
        .state()
        .lesson()
        .and_then(|l| l.results.clone())
        .expect("results");
    assert!(
        !results[0].passed,
        "the start misses its latency goal: {results:?}"
    );
    assert!(h.query_by_label("1 of 2 goals missed.").is_some());
    assert!(
        h.query_all_by_label("missed").count() >= 1,
        "a crossed goal"
    );
    let progress = h.state().lesson_progress(FIRST);
    assert_eq!(
        (progress.attempts, progress.failed, progress.passed),
        (1, 1, false)
    );

    press(&mut h, "Show a hint");
    h.run();
    assert_eq!(h.state().lesson_progress(FIRST).hints_shown, 1);
    assert!(h.query_by_label("1 of 3 shown").is_some());
    assert!(
        h.query_by_label_contains("like a hockey stick").is_some(),
        "the first hint shows"
    );
    assert!(
        hint_disabled(&h),
        "the next hint waits for another missed check"
    );

    press(&mut h, "Compare with the solution");
    until(&mut h, "the solution's run", |h| {
        h.state()
            .lesson()
            .is_some_and(|l| l.solution_results.is_some())
    });
    h.run();
    let solution = h
        .state()
        .lesson()
        .and_then(|l| l.solution_results.clone())
        .expect("the solution's goals");
    assert!(solution.iter().all(|g| g.passed), "{solution:?}");
    assert_eq!(
        h.query_all_by_label_contains("Your design: ").count(),
        2,
        "each goal shows the design's value"
    );
    assert!(
        h.query_all_by_label_contains("Solution: ").count() >= 2,
        "each goal shows the solution's value"
    );
    assert!(
        h.query_by_label_contains("A second instance halves")
            .is_some()
    );
    press(&mut h, "Open in Compare designs");
    h.run();
    let (a, b) = h.state().comparing().expect("Compare designs opens");
    assert_eq!(*a, Side::AsDrawn);
    assert!(matches!(b, Side::Given(name, _) if name == "The lesson's solution"));
}

#[test]
fn progress_outlives_the_window_and_shows_in_the_list() {
    let mut prefs = Prefs::default();
    prefs.lessons.insert(
        FIRST.to_owned(),
        weir::gui::lessons::Progress {
            attempts: 2,
            failed: 1,
            hints_shown: 1,
            passed: true,
        },
    );
    // As eframe keeps preferences: written out and read back.
    let text = serde_json::to_string(&prefs).expect("preferences serialise");
    let prefs: Prefs = serde_json::from_str(&text).expect("and read back");
    let mut h = starting(prefs);
    assert_eq!(h.state().lesson_progress(FIRST).attempts, 2);
    h.get_by_role_and_label(Role::Button, "Lessons…").click();
    h.run();
    assert!(h.query_by_label("passed · 2 checks").is_some());
    assert_eq!(
        h.query_all_by_label("not started").count(),
        weir::lessons::LESSONS.len() - 1,
        "the others are not started"
    );
    h.get_by_role_and_label(Role::Button, "Open again").click();
    h.run();
    // The hint shown before is still shown.
    assert!(h.query_by_label("1 of 3 shown").is_some());
    assert!(h.query_by_label_contains("like a hockey stick").is_some());
}

#[test]
fn the_help_menu_opens_the_list_and_escape_closes_it() {
    let mut h = starting(Prefs::default());
    h.get_by_role_and_label(Role::Button, "Close").click();
    h.run();
    h.get_by_label("Help").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "Lessons…").click();
    h.run();
    assert!(h.state().showing_lessons());
    h.key_press(egui::Key::Escape);
    h.run();
    assert!(!h.state().showing_lessons());
}

#[test]
fn a_lessons_question_opens_predict_then_run_on_its_number() {
    let mut h = starting(Prefs::default());
    h.get_by_role_and_label(Role::Button, "Lessons…").click();
    h.run();
    h.query_all_by_label("Start")
        .next()
        .expect("a Start button")
        .click();
    h.run();
    assert!(h.query_by_label("Predict first").is_some());
    assert!(!h.state().predict_window().open);
    press(&mut h, "Predict, then run…");
    let window = h.state().predict_window();
    assert!(window.open, "the window opens");
    assert_eq!(
        window.question_key(),
        Some("slo:95 % of orders done within 100 ms"),
        "on the lesson's question"
    );
}
