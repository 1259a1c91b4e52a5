//! A broker's durability in the inspector: switched on, its acks chosen,
//! shown on the card, and undone.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::NodeKind;
use sim_core::nodes::durability::{Acks, Durability};
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

const MODEL: &str = r#"(
    version: 1,
    name: "durability",
    scenario: (duration: "10m", seed: 4),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
        (id: "orders", kind: Log(partitions: 3)),
        (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
    ],
    edges: [(from: "src", to: "orders"), (from: "orders", to: "worker")],
)"#;

fn durability(app: &WeirApp) -> Option<Durability> {
    let model = app.model();
    let n = model.find("orders").expect("the log");
    match &model.graph[n].kind {
        NodeKind::Log(l) => l.durability.clone(),
        other => panic!("not a log: {other:?}"),
    }
}

#[test]
fn a_brokers_durability_is_switched_on_edited_and_undone_in_the_inspector() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1800.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["orders"]);
    h.run();
    assert_eq!(durability(h.state()), None, "one broker on disk at first");
    h.get_by_role_and_label(Role::CheckBox, "Durability")
        .click();
    h.run();
    assert_eq!(
        durability(h.state()),
        Some(Durability::default()),
        "three replicas, acks all"
    );
    assert!(
        sim_core::validate::validate(h.state().model())
            .iter()
            .all(|d| !d.is_error()),
        "the durability switched on is valid as it stands"
    );
    // Writes acknowledged by the leader alone.
    h.get_by_role_and_label(Role::ComboBox, "Acks").click();
    h.run();
    h.get_by_label(Acks::Leader.label()).click();
    h.run();
    assert_eq!(durability(h.state()).map(|d| d.acks), Some(Acks::Leader));
    // The card says so.
    let kind = {
        let model = h.state().model();
        model.graph[model.find("orders").expect("the log")]
            .kind
            .clone()
    };
    let summary = weir::gui::kinds::params(&kind).summary();
    assert!(
        summary.ends_with("×3 acks 1"),
        "the card shows the replicas and acks: {summary}"
    );
    // Undo takes back the acks, then the switch.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(durability(h.state()).map(|d| d.acks), Some(Acks::All));
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(durability(h.state()), None);
}
