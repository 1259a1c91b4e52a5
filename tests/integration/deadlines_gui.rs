//! Deadlines in the inspector: a producer's time to live is switched on
//! and off as one undoable edit, and a consumer offers what it does with
//! messages received too late.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::dist::Dist;
use sim_core::nodes::{NodeKind, OnExpired};
use sim_core::time::Duration;
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

const MODEL: &str = r#"(
    version: 1,
    name: "deadlines",
    scenario: (duration: "60s", seed: 8),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
        (id: "q", kind: Queue()),
        (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
)"#;

fn app() -> Harness<'static, WeirApp> {
    let window = Window {
        size: egui::Vec2::new(1400.0, 1100.0),
        ..Window::default()
    };
    let mut h = harness(WeirApp::from_model(weir_tests::model(MODEL), None), window);
    h.run();
    h
}

fn ttl(h: &Harness<'_, WeirApp>) -> Option<Dist> {
    let model = h.state().model();
    let src = model.find("src").expect("the producer");
    match &model.graph[src].kind {
        NodeKind::Producer(p) => p.ttl.clone(),
        other => panic!("src is a {other:?}"),
    }
}

#[test]
fn a_producers_time_to_live_is_switched_on_and_undone() {
    let mut h = app();
    h.state_mut().select_ids(&["src"]);
    h.run();
    assert!(
        h.query_by_label("events never expire").is_some(),
        "off at first"
    );
    assert_eq!(ttl(&h), None);
    h.get_by_role_and_label(Role::CheckBox, "Time to live")
        .click();
    h.run();
    h.run();
    assert_eq!(
        ttl(&h),
        Some(Dist::Exponential {
            mean: Duration::from_secs(5)
        }),
        "switched on with a law to edit"
    );
    assert!(h.query_by_label("events never expire").is_none());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    h.run();
    assert_eq!(ttl(&h), None, "one undo takes it away");
}

#[test]
fn a_consumer_is_told_to_process_late_messages_anyway() {
    let mut h = app();
    h.state_mut().select_ids(&["srv"]);
    h.run();
    let policy = |h: &Harness<'_, WeirApp>| {
        let model = h.state().model();
        match &model.graph[model.find("srv").expect("the consumer")].kind {
            NodeKind::Consumer(c) => c.on_expired,
            other => panic!("srv is a {other:?}"),
        }
    };
    assert_eq!(policy(&h), OnExpired::Discard, "discarding is the default");
    h.get_by_role_and_label(Role::ComboBox, "Past deadline")
        .click();
    h.run();
    h.get_by_label("process anyway (late)").click();
    h.run();
    h.run();
    assert_eq!(policy(&h), OnExpired::Process);
}
