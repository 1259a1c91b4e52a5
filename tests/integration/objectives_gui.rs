//! Objectives in the window: added and undone in the inspector, ticked
//! or crossed along the top of the canvas as a live run goes, and judged
//! in the Results panel after the replications.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use weir::gui::WeirApp;

use crate::harness::{Window, harness, until};

/// A steady stream through a 5 ms worker: its throughput bound is met
/// and its 1 ms latency bound is missed from the first message on.
const MODEL: &str = r#"(
    version: 1,
    name: "objectives",
    scenario: (duration: "20s", seed: 4, replications: 3),
    nodes: [
        (id: "src", kind: Producer(arrival: Constant(rate: 100.0))),
        (id: "q", kind: Queue()),
        (id: "worker", kind: Consumer(service: Constant("5ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
    slos: [
        (name: "Keeps up", on: Node("worker"), objective: Throughput(min: 50.0)),
        (name: "Instant", on: Node("worker"), objective: Latency(percentile: 99.0, max: "1ms")),
    ],
)"#;

fn app() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window::default(),
    );
    h.run();
    h
}

#[test]
fn the_checklist_ticks_and_crosses_as_the_run_goes() {
    let mut h = app();
    assert!(
        h.query_by_label_contains("met so far").is_none(),
        "no checklist before a run"
    );
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the latency bound to be missed", |h| {
        h.query_by_label_contains("Instant: 5.00 ms").is_some()
    });
    h.get_by_role_and_label(Role::Button, "Run to end").click();
    until(&mut h, "the run's end", |h| {
        h.state().live().is_some_and(|l| l.frame().finished)
    });
    h.run();
    assert!(h.query_by_label("Objectives 1 of 2 met so far:").is_some());
    // The marks sit before their objectives, in order: met, then missed.
    let met = h.get_by_label("met").rect();
    let missed = h.get_by_label("missed").rect();
    let keeps_up = h.get_by_label_contains("Keeps up: 100.0 /s").rect();
    let instant = h.get_by_label_contains("Instant: 5.00 ms").rect();
    assert!(met.right() <= keeps_up.left() && keeps_up.right() <= missed.left());
    assert!(missed.right() <= instant.left());
    // The strip lies above the canvas, never over a card.
    assert!(missed.bottom() <= h.state().canvas_rect().top() + 1.0);
}

#[test]
fn objectives_are_added_in_the_inspector_and_undone_in_one_step() {
    let mut h = app();
    assert_eq!(h.state().model().slos.len(), 2);
    h.get_by_role_and_label(Role::Button, "Add objective")
        .click();
    h.run();
    assert_eq!(h.state().model().slos.len(), 3);
    assert!(
        h.query_by_label_contains("p99 end-to-end latency ≤ 250 ms on system")
            .is_some(),
        "the new objective is listed by its description"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(h.state().model().slos.len(), 2);
    // An objective opens to its fields, and Remove takes it out.
    h.get_by_label("Instant").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "Remove objective")
        .click();
    h.run();
    let names: Vec<String> = h
        .state()
        .model()
        .slos
        .iter()
        .map(|s| s.name.clone())
        .collect();
    assert_eq!(names, ["Keeps up"]);
}

#[test]
fn the_results_panel_gives_the_verdicts_of_the_replications() {
    let mut h = app();
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the replications' verdicts", |h| {
        h.query_by_label_contains("Objectives: 1 of 2 met over 3 replication(s)")
            .is_some()
    });
    h.run();
    assert!(h.query_by_label_contains("met · budget 50 %").is_some());
    assert!(h.query_by_label_contains("violated · budget").is_some());
    let verdicts = h.get_by_label_contains("Objectives: 1 of 2 met").rect();
    let table = h.get_by_label("Copy as CSV").rect();
    assert!(verdicts.bottom() < table.top(), "verdicts above the table");
}

/// The model above with a variant whose worker is slower.
const WITH_VARIANT: &str = r#"(
    version: 1,
    name: "variants",
    scenario: (duration: "20s", seed: 4, replications: 3),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
        (id: "q", kind: Queue()),
        (id: "worker", kind: Consumer(service: Exponential(mean: "5ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
    slos: [
        (name: "Quick", on: Node("worker"), objective: Latency(percentile: 99.0, max: "40ms")),
    ],
    variants: [
        (name: "slow worker", nodes: [(id: "worker", kind: Consumer(service: Exponential(mean: "12ms")))]),
    ],
)"#;

#[test]
fn a_variant_is_compared_with_the_design_beside_it() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(WITH_VARIANT), None),
        Window::default(),
    );
    h.run();
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("Compare designs…").click();
    h.run();
    assert!(
        h.query_by_role_and_label(Role::Button, "Compare").is_some(),
        "the window opens"
    );
    h.get_by_role_and_label(Role::Button, "Compare").click();
    until(&mut h, "the comparison", |h| {
        h.query_by_label("objective: Quick").is_some()
    });
    h.run();
    // Side by side: met as drawn, violated with the slow worker, and the
    // worker's sojourn significantly longer.
    assert!(h.query_by_label_contains("(met)").is_some());
    assert!(h.query_by_label_contains("(violated)").is_some());
    let sojourn = h.get_by_label("worker sojourn_s.mean").rect();
    let marked = h
        .get_all_by_label_contains(" *")
        .any(|n| (n.rect().center().y - sojourn.center().y).abs() < 4.0);
    assert!(marked, "the sojourn's difference is marked significant");
    assert!(
        h.query_by_label("end-to-end p99 (ms)").is_some(),
        "charts drawn over each other"
    );
}
