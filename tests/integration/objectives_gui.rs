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
    assert!(
        h.query_by_role_and_label(Role::Button, "Save as picture…")
            .is_some(),
        "the verdicts can go into a design document"
    );
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

#[test]
fn alert_rules_are_added_edited_and_undone_in_the_inspector() {
    // Tall enough that the model's whole inspector is on screen.
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1600.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["q"]);
    h.run();
    h.get_by_role_and_label(Role::Button, "Add alert rule")
        .click();
    h.run();
    let rules = &h.state().model().alerts;
    assert_eq!(rules.len(), 1);
    assert_eq!(rules[0].name, "BacklogQ", "a Prometheus name, made up");
    assert_eq!(rules[0].on, "q");
    assert!(
        sim_core::validate::validate(h.state().model())
            .iter()
            .all(|d| !matches!(d.target, sim_core::validate::Target::Alert(_))),
        "a new rule is valid as it stands"
    );
    // It opens to its fields; the condition offers what a queue has.
    h.get_by_label("BacklogQ: depth > 100 for 2s").click();
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "When").click();
    h.run();
    assert!(h.query_by_label("Throughput below").is_some());
    for absent in ["Lag above", "p99 latency above"] {
        assert!(
            h.query_by_label(absent).is_none(),
            "a queue has no such series to watch: {absent}"
        );
    }
    h.get_by_label("Error rate above").click();
    h.run();
    assert!(matches!(
        h.state().model().alerts[0].when,
        sim_core::alerts::Condition::ErrorRate { .. }
    ));
    // Undo takes the condition back, then the rule.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert!(matches!(
        h.state().model().alerts[0].when,
        sim_core::alerts::Condition::Depth { .. }
    ));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert!(h.state().model().alerts.is_empty());
    // With nothing selected the model's list adds one too, and removes it.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    h.run();
    h.state_mut().select_ids(&[]);
    h.run();
    // The rule stays open as it was left in the node's inspector.
    assert!(h.query_by_label("BacklogQ: depth > 100 for 2s").is_some());
    assert!(
        h.query_by_role_and_label(Role::ComboBox, "Watches")
            .is_some(),
        "the node is chosen here"
    );
    h.get_by_role_and_label(Role::Button, "Remove rule").click();
    h.run();
    assert!(h.state().model().alerts.is_empty());
}

#[test]
fn a_live_run_restarts_to_measure_an_objective_added_while_it_plays() {
    let mut h = app();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the checklist", |h| {
        h.query_by_label_contains("met so far").is_some()
    });
    h.get_by_role_and_label(Role::Button, "Add objective")
        .click();
    until(&mut h, "the restart's notice", |h| {
        h.state()
            .notice()
            .is_some_and(|n| n.starts_with("The objectives or alert rules changed"))
    });
    until(&mut h, "the new objective in the checklist", |h| {
        h.query_by_label_contains("of 3 met so far").is_some()
    });
    // Naming it changes nothing the run measures: no second restart.
    let run = |h: &Harness<'_, WeirApp>| h.state().live().map(|l| l.frame().run_id);
    let clock = |h: &Harness<'_, WeirApp>| {
        h.state()
            .live()
            .map_or(sim_core::time::SimTime::ZERO, |l| l.frame().snapshot.now)
    };
    // The restarted run waits at zero until it is played again.
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the restarted run to play", |h| {
        clock(h) > sim_core::time::SimTime::ZERO
    });
    let before = run(&h);
    let then = clock(&h);
    let mut slos = h.state().model().slos.clone();
    slos[2].name = "Fast enough".to_owned();
    h.state_mut()
        .apply_edit(sim_core::model::ModelCommand::SetSlos(slos))
        .expect("a valid edit");
    // Half a simulated second on: frames the thread made after the edit.
    // A restart would have begun a new run, waiting at zero.
    let later = then + sim_core::time::Duration::from_millis(500);
    until(&mut h, "the run to go on past the edit", |h| {
        clock(h) > later
    });
    assert!(
        h.query_all_by_label_contains("Fast enough").count() >= 2,
        "in the checklist and the inspector"
    );
    assert_eq!(run(&h), before, "the same run goes on");
}
