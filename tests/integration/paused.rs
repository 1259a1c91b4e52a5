//! Pausing a live run shows the paused instant: every live mark (blocked
//! nodes and edges, the dots on their way) stays as it was however long
//! the window stays open, and a paused window asks for no repaint, so it
//! costs nothing until the user or a new frame wakes it.

use std::time::Duration;

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use weir::examples::EXAMPLES;
use weir::gui::WeirApp;

use crate::harness::{Window, harness, until};

/// The backpressure example, whose producer and transform end up
/// blocked, in a window whose frames are 0.1 s apart.
fn backpressure() -> Harness<'static, WeirApp> {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == "backpressure.ron")
        .expect("the backpressure example");
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(example.text), None),
        Window {
            step_dt: Some(0.1),
            ..Window::default()
        },
    );
    h.run();
    h
}

fn click(h: &mut Harness<'_, WeirApp>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    h.step();
}

/// Whether the last frame asked to be followed at once by another.
fn repaint_asked(h: &Harness<'_, WeirApp>) -> bool {
    h.output()
        .viewport_output
        .get(&egui::ViewportId::ROOT)
        .is_some_and(|v| v.repaint_delay.is_zero())
}

#[test]
fn a_paused_run_keeps_its_marks_and_asks_for_no_repaint() {
    let mut h = backpressure();
    click(&mut h, "Play live");
    until(&mut h, "a blocked mark and moving dots", |h| {
        h.state().live().is_some_and(|l| {
            let marks = l.marks_shown();
            !marks.blocked_nodes.is_empty() && !marks.dots.is_empty()
        })
    });
    assert!(repaint_asked(&h), "a playing run keeps painting");
    click(&mut h, "Pause");
    until(&mut h, "the pause to show", |h| {
        h.query_by_role_and_label(Role::Button, "Play live")
            .is_some()
            && h.state().live().is_some_and(|l| !l.playing())
    });
    // Hover and click animations settle within a few frames.
    h.try_run().expect("a paused window settles");
    let live = h.state().live().expect("the run");
    let marks = live.marks_shown();
    let clock = live.clock();
    let sim_now = live.frame().snapshot.now;
    assert!(
        !marks.blocked_nodes.is_empty() && !marks.blocked_edges.is_empty(),
        "the pause kept the blocked marks: {marks:?}"
    );
    assert!(!marks.dots.is_empty(), "the pause kept the dots: {marks:?}");

    // Two seconds of the window's clock, five times the blocked marks'
    // hold, and real time for the thread to publish anything it would.
    for _ in 0..20 {
        h.step();
        std::thread::sleep(Duration::from_millis(10));
        assert!(
            !repaint_asked(&h),
            "a paused window asks for no repaint: {:?}",
            h.ctx.repaint_causes()
        );
    }
    let live = h.state().live().expect("the run");
    assert_eq!(live.frame().snapshot.now, sim_now, "the run stands still");
    assert_eq!(live.clock(), clock, "the marks' clock stands still");
    assert_eq!(live.marks_shown(), marks, "every mark is as it was");

    // Playing again moves the clock and the marks on.
    click(&mut h, "Play live");
    until(&mut h, "the clock to move", |h| {
        h.state().live().is_some_and(|l| l.clock() > clock + 0.5)
    });
    let moved = h.state().live().expect("the run").marks_shown();
    assert_ne!(moved.dots, marks.dots, "the dots move on");
}

#[test]
fn a_step_while_paused_shows_its_own_instant() {
    let mut h = backpressure();
    for _ in 0..12 {
        click(&mut h, "Step");
        h.step();
    }
    until(&mut h, "the steps to show", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_nanos() == 1_200_000_000)
    });
    h.try_run().expect("a stepped window settles");
    let live = h.state().live().expect("the run");
    let marks = live.marks_shown();
    assert!(
        marks.dots.iter().all(|&(_, t)| (0.0..1.0).contains(&t)),
        "a step's crossings stand on their edges: {marks:?}"
    );
    assert!(!marks.dots.is_empty(), "messages crossed in the last step");
    for _ in 0..10 {
        h.step();
    }
    assert_eq!(
        h.state().live().expect("the run").marks_shown(),
        marks,
        "a stepped instant stays"
    );
}
