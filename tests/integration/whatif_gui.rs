//! What if in the window: a knob swept in the background, its points
//! listed and plotted as they come, one of them applied as an edit that
//! undo takes back.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::NodeKind;
use weir::gui::WeirApp;

use crate::harness::{Window, fill, harness, until};

const MODEL: &str = r#"(
    version: 1,
    name: "what if",
    scenario: (duration: "20s", warmup: "0s", seed: 4, replications: 2),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
        (id: "q", kind: Queue()),
        (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
    slos: [
        (name: "Quick", on: Node("worker"), objective: Latency(percentile: 99.0, max: "250ms")),
    ],
)"#;

fn instances(h: &egui_kittest::Harness<'_, WeirApp>) -> u32 {
    let m = h.state().model();
    match &m.graph[m.find("worker").expect("there")].kind {
        NodeKind::Consumer(c) => c.instances,
        other => panic!("a consumer, not {other:?}"),
    }
}

#[test]
fn a_swept_point_is_applied_and_undone() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window::default(),
    );
    h.run();
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("What if…").click();
    h.run();
    // The worker's instances, from one to three.
    h.get_by_role_and_label(Role::ComboBox, "Knob").click();
    h.run();
    h.get_by_label("worker").click();
    h.run();
    fill(&mut h, "Parameter", "instances");
    fill(&mut h, "Values", "1..3");
    h.get_by_role_and_label(Role::Button, "Sweep").click();
    until(&mut h, "three points", |h| {
        h.query_by_label("3 of 3 point(s)").is_some()
    });
    h.run();
    // The objective is plotted first, each point listed with its verdicts.
    assert!(
        h.query_by_label("slo:Quick").is_some(),
        "the objective is what the plot shows"
    );
    assert_eq!(
        h.query_all_by_label("1 of 1").count(),
        3,
        "met at every point"
    );
    assert_eq!(instances(&h), 1);
    let uses: Vec<_> = h.get_all_by_role_and_label(Role::Button, "Use").collect();
    assert_eq!(uses.len(), 3);
    uses[2].click();
    h.run();
    assert_eq!(instances(&h), 3, "the third point applied");
    assert!(
        h.query_by_label_contains("Set worker.instances = 3")
            .is_some(),
        "the window says what it set"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(instances(&h), 1, "undo takes it back");
}

#[test]
fn a_range_it_cannot_read_is_explained() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window::default(),
    );
    h.run();
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("What if…").click();
    h.run();
    fill(&mut h, "Values", "2..1");
    h.get_by_role_and_label(Role::Button, "Sweep").click();
    h.run();
    assert!(
        h.query_by_label_contains("the range runs backwards")
            .is_some(),
        "the reason is shown"
    );
}

#[test]
fn the_planner_applies_the_cheapest_setting_as_one_edit() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1000.0),
            ..Window::default()
        },
    );
    h.run();
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("Plan capacity…").click();
    h.run();
    // The first consumer's instances, 1 to 4, at 10 each; ρ ≤ 0.3.
    fill(&mut h, "Values", "1..4");
    h.get_by_role_and_label(Role::SpinButton, "Cost per unit")
        .set_value_accesskit(10.0);
    h.run();
    h.get_by_role_and_label(Role::SpinButton, "Headroom")
        .set_value_accesskit(0.3);
    h.run();
    h.get_by_role_and_label(Role::Button, "Plan").click();
    until(&mut h, "the plan", |h| {
        h.query_by_label_contains("Plan: worker.instances = 2 (cost 20)")
            .is_some()
    });
    // ρ = 0.5 with one instance, 0.25 with two.
    assert!(
        h.query_by_label_contains("fails: worker runs at ρ = 0.")
            .is_some()
    );
    assert_eq!(instances(&h), 1);
    h.get_by_role_and_label(Role::Button, "Apply").click();
    h.run();
    assert_eq!(instances(&h), 2, "the plan applied");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(instances(&h), 1, "undo takes it back");
}
