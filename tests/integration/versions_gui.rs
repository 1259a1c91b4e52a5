//! Schema versions in the inspector: a consumer switched to reading only
//! some versions gets its rows, rejects a newer version it meets, and a
//! projection offers no rejection; undo turns it back.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::versions::{OnVersion, Reads};
use sim_core::nodes::{ConsumerParams, NodeKind};
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

/// Orders made at version 2 into a consumer with a dead-letter queue.
const MODEL: &str = r#"(
    version: 1,
    name: "versions",
    scenario: (duration: "30s", seed: 5),
    nodes: [
        (id: "shop", kind: Producer(arrival: Constant(rate: 10.0),
            events: [(name: "OrderPlaced", version: 2)])),
        (id: "orders", kind: Queue()),
        (id: "reader", kind: Consumer(service: Constant("10ms"))),
        (id: "dead", kind: DeadLetter()),
        (id: "store", kind: EventStore(append: Constant("1ms"))),
        (id: "view", kind: Projection(apply: Constant("1ms"))),
    ],
    edges: [(from: "shop", to: "orders"), (from: "orders", to: "reader"),
            (from: "orders", to: "dead"), (from: "shop", to: "store"), (from: "store", to: "view")],
)"#;

fn reader(app: &WeirApp) -> ConsumerParams {
    let model = app.model();
    match &model.graph[model.find("reader").expect("the reader")].kind {
        NodeKind::Consumer(c) => c.clone(),
        other => panic!("not a consumer: {other:?}"),
    }
}

fn window() -> Window {
    Window {
        size: egui::vec2(1280.0, 1800.0),
        ..Window::default()
    }
}

#[test]
fn a_consumer_that_reads_only_v1_rejects_v2_to_its_dead_letters() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        window(),
    );
    h.run();
    h.state_mut().select_ids(&["reader"]);
    h.run();
    assert!(h.query_by_label("Reads versions").is_none());
    h.get_by_role_and_label(Role::CheckBox, "Versions read")
        .click();
    h.run();
    assert_eq!(reader(h.state()).versions, Some(Reads::default()));
    h.get_by_label("Reads versions");
    h.get_by_label("Upcast per step");
    h.get_by_role_and_label(Role::ComboBox, "Newer versions");
    let summary = weir::gui::kinds::params(&NodeKind::Consumer(reader(h.state()))).summary();
    assert!(summary.ends_with(" · reads v1"), "{summary}");
    let r = sim_core::run_once(h.state().model(), 5).expect("runs");
    let dead = r
        .node("dead")
        .and_then(|n| n.get("arrived"))
        .expect("arrived");
    assert_eq!(dead, 300.0, "every v2 order, unprocessed");

    h.get_by_role_and_label(Role::ComboBox, "Newer versions")
        .click();
    h.run();
    h.get_by_label("drop").click();
    h.run();
    assert_eq!(
        reader(h.state()).versions.map(|v| v.newer),
        Some(OnVersion::Drop)
    );

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(reader(h.state()).versions, None);
}

#[test]
fn a_projection_drops_what_it_does_not_read() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        window(),
    );
    h.run();
    h.state_mut().select_ids(&["view"]);
    h.run();
    h.get_by_role_and_label(Role::CheckBox, "Versions read")
        .click();
    h.run();
    let model = h.state().model();
    let NodeKind::Projection(p) = &model.graph[model.find("view").expect("view")].kind else {
        panic!("a projection");
    };
    let reads = p.versions.expect("versions");
    assert_eq!(reads.newer, OnVersion::Drop, "a projection cannot reject");
    assert!(p.problems().is_empty(), "{:?}", p.problems());
    h.get_by_role_and_label(Role::ComboBox, "Newer versions")
        .click();
    h.run();
    assert!(
        h.query_by_label("reject to the dead-letter queue")
            .is_none(),
        "no rejection offered"
    );
}
