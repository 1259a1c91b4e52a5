//! An outbox switched on in the inspector, on a consumer and on a
//! producer: its relay rows appear, the card's summary says so, a broker
//! outage then leaves the consumer working with rows piling up in its
//! outbox, and undo turns it off.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::outbox::Outbox;
use sim_core::nodes::{NodeKind, ProducerParams};
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

/// 20 orders a second through a worker whose broker is down from 10 s to
/// 30 s.
const MODEL: &str = r#"(
    version: 1,
    name: "outbox",
    scenario: (duration: "60s", seed: 5,
        faults: [(at: "10s", duration: "20s", node: "events", effect: Crash)]),
    nodes: [
        (id: "shop", kind: Producer(arrival: Poisson(rate: 20.0))),
        (id: "orders", kind: Queue(capacity: 50)),
        (id: "worker", kind: Consumer(instances: 2, service: Exponential(mean: "20ms"))),
        (id: "events", kind: Queue()),
        (id: "reader", kind: Consumer(instances: 2, service: Exponential(mean: "10ms"))),
    ],
    edges: [(from: "shop", to: "orders"), (from: "orders", to: "worker"),
            (from: "worker", to: "events"), (from: "events", to: "reader")],
)"#;

fn outbox_of(app: &WeirApp, id: &str) -> Option<Outbox> {
    let model = app.model();
    match &model.graph[model.find(id).expect("the node")].kind {
        NodeKind::Consumer(c) => c.outbox.clone(),
        NodeKind::Producer(p) => p.outbox.clone(),
        other => panic!("no outbox on {other:?}"),
    }
}

fn window() -> Window {
    Window {
        size: egui::vec2(1280.0, 1800.0),
        ..Window::default()
    }
}

#[test]
fn a_consumer_writes_through_an_outbox_and_keeps_working_through_an_outage() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        window(),
    );
    h.run();
    let blocked = |app: &WeirApp| {
        let r = sim_core::run_once(app.model(), 5).expect("runs");
        r.node("worker")
            .and_then(|n| n.get("blocked_fraction"))
            .expect("blocked_fraction")
    };
    assert!(blocked(h.state()) > 0.1, "sending directly, it waits");
    h.state_mut().select_ids(&["worker"]);
    h.run();
    assert!(h.query_by_label("Relay polls every").is_none());
    h.get_by_role_and_label(Role::CheckBox, "Outbox").click();
    h.run();
    assert_eq!(outbox_of(h.state(), "worker"), Some(Outbox::default()));
    h.get_by_label("Relay polls every");
    h.get_by_label("Batch");
    h.get_by_label("Publish delay");
    let model = h.state().model();
    let summary =
        weir::gui::kinds::params(&model.graph[model.find("worker").expect("worker")].kind)
            .summary();
    assert!(summary.ends_with(" · outbox"), "{summary}");
    assert_eq!(blocked(h.state()), 0.0, "through an outbox it never waits");
    let r = sim_core::run_once(h.state().model(), 5).expect("runs");
    let most = r
        .node("worker")
        .and_then(|n| n.get("outbox_max"))
        .expect("outbox_max");
    assert!(most > 300.0, "the outage's rows wait in the outbox: {most}");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(outbox_of(h.state(), "worker"), None);
}

#[test]
fn a_producer_with_an_outbox_has_no_blocking_choice() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        window(),
    );
    h.run();
    h.state_mut().select_ids(&["shop"]);
    h.run();
    h.get_by_label("When blocked");
    h.get_by_role_and_label(Role::CheckBox, "Outbox").click();
    h.run();
    assert!(outbox_of(h.state(), "shop").is_some());
    // Its relay waits for room, never the producer.
    assert!(h.query_by_label("When blocked").is_none());
    let model = h.state().model();
    let NodeKind::Producer(ProducerParams { outbox, .. }) =
        &model.graph[model.find("shop").expect("shop")].kind
    else {
        panic!("a producer");
    };
    assert!(outbox.as_ref().is_some_and(|o| {
        let mut problems = Vec::new();
        o.problems(&mut problems);
        problems.is_empty()
    }));
}
