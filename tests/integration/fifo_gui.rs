//! A queue turned FIFO in the inspector: its card names SQS FIFO, its
//! readers stop finishing a key's messages out of order, and undo turns it
//! back.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::{FifoGroups, NodeKind};
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

const MODEL: &str = r#"(
    version: 1,
    name: "fifo",
    scenario: (duration: "2m", seed: 8),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 40.0), keys: 10)),
        (id: "updates", kind: Queue()),
        (id: "apply", kind: Consumer(service: Exponential(mean: "50ms"), concurrency: 6)),
    ],
    edges: [(from: "src", to: "updates"), (from: "updates", to: "apply")],
)"#;

fn fifo(app: &WeirApp) -> Option<FifoGroups> {
    let model = app.model();
    match &model.graph[model.find("updates").expect("the queue")].kind {
        NodeKind::Queue(q) => q.fifo,
        _ => None,
    }
}

fn out_of_order(app: &WeirApp) -> f64 {
    let report = sim_core::run_replications(app.model()).expect("runs");
    weir_tests::metric(&report, "apply", "out_of_order")
}

#[test]
fn a_queue_is_made_fifo_in_the_inspector_and_keeps_each_keys_order() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1600.0),
            ..Window::default()
        },
    );
    h.run();
    assert!(out_of_order(h.state()) > 50.0, "six slots reorder a key");
    h.state_mut().select_ids(&["updates"]);
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Ordering").click();
    h.run();
    h.get_by_label("FIFO by message group (key)").click();
    h.run();
    assert_eq!(fifo(h.state()), Some(FifoGroups::default()));
    // The group rate's row appears, unlimited.
    h.get_by_label("Group rate");
    let kind = {
        let model = h.state().model();
        model.graph[model.find("updates").expect("there")]
            .kind
            .clone()
    };
    let summary = weir::gui::kinds::params(&kind).summary();
    assert!(summary.starts_with("SQS FIFO"), "{summary}");
    assert_eq!(out_of_order(h.state()), 0.0);

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(fifo(h.state()), None);
}
