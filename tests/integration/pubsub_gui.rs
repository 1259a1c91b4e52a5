//! A queue made a Google Cloud Pub/Sub subscription in the inspector: the
//! preset brings the queue within the service's limits and relabels its
//! rows, push delivery makes a busy consumer refuse pushes, a retry
//! policy gets its backoff rows, the topic names its service, and undo
//! turns it back. An idempotent consumer gets its inbox window.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::pubsub::{Backoff, PubSubDelivery};
use sim_core::nodes::{NodeKind, QueueParams, TopicParams};
use sim_core::time::Duration;
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

/// Two orders a second through an SQS-style queue of 50 to a consumer
/// that takes one a second.
const MODEL: &str = r#"(
    version: 1,
    name: "orders",
    scenario: (duration: "120s", seed: 5),
    nodes: [
        (id: "shop", kind: Producer(arrival: Constant(rate: 2.0))),
        (id: "orders", kind: Topic()),
        (id: "billing-sub", kind: Queue(capacity: 50, overflow: DropNewest, visibility_timeout: "2m", max_receives: 3)),
        (id: "billing", kind: Consumer(service: Constant("1s"))),
        (id: "dead", kind: DeadLetter()),
    ],
    edges: [(from: "shop", to: "orders"), (from: "orders", to: "billing-sub"),
            (from: "billing-sub", to: "billing"), (from: "billing-sub", to: "dead")],
)"#;

fn queue(app: &WeirApp) -> QueueParams {
    let model = app.model();
    match &model.graph[model.find("billing-sub").expect("the queue")].kind {
        NodeKind::Queue(q) => q.clone(),
        other => panic!("not a queue: {other:?}"),
    }
}

fn topic(app: &WeirApp) -> TopicParams {
    let model = app.model();
    match &model.graph[model.find("orders").expect("the topic")].kind {
        NodeKind::Topic(t) => t.clone(),
        other => panic!("not a topic: {other:?}"),
    }
}

fn refused(app: &WeirApp) -> Option<f64> {
    let r = sim_core::run_once(app.model(), 5).expect("runs");
    r.node("billing-sub").and_then(|n| n.get("push_refused"))
}

#[test]
fn a_queue_becomes_a_pubsub_subscription_that_pushes() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1600.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["billing-sub"]);
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Service").click();
    h.run();
    h.get_by_label("Google Pub/Sub subscription").click();
    h.run();
    let sub = queue(h.state());
    assert!(sub.pubsub.is_some());
    assert_eq!(sub.capacity, None, "a subscription holds any backlog");
    assert_eq!(sub.visibility_timeout, Duration::from_secs(10));
    assert_eq!(sub.max_receives, Some(5), "brought up to Pub/Sub's least");
    assert!(sub.problems().is_empty(), "{:?}", sub.problems());
    // Its rows take Pub/Sub's names; capacity is gone.
    h.get_by_label("Ack deadline");
    h.get_by_label("Max delivery attempts");
    assert!(h.query_by_label("Capacity").is_none());
    assert_eq!(refused(h.state()), None, "pull refuses nothing");

    h.get_by_role_and_label(Role::ComboBox, "Delivery").click();
    h.run();
    h.get_by_label("push (to the consumers' endpoint)").click();
    h.run();
    let sub = queue(h.state());
    assert_eq!(sub.pubsub.map(|p| p.delivery), Some(PubSubDelivery::Push));
    let summary = weir::gui::kinds::params(&NodeKind::Queue(sub)).summary();
    assert_eq!(summary, "Pub/Sub push");
    // Twice what the consumer takes: it refuses pushes.
    assert!(refused(h.state()).is_some_and(|n| n > 10.0));

    h.get_by_role_and_label(Role::ComboBox, "Retry policy")
        .click();
    h.run();
    h.get_by_label("exponential backoff").click();
    h.run();
    assert_eq!(
        queue(h.state()).pubsub.and_then(|p| p.retry),
        Some(Backoff::default())
    );
    h.get_by_label("Minimum backoff");
    h.get_by_label("Maximum backoff");

    h.state_mut().select_ids(&["orders"]);
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Service").click();
    h.run();
    h.get_by_label("Google Pub/Sub topic").click();
    h.run();
    assert!(topic(h.state()).pubsub);

    for _ in 0..4 {
        h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
        h.run();
    }
    assert!(!topic(h.state()).pubsub);
    let back = queue(h.state());
    assert_eq!(back.pubsub, None);
    assert_eq!(back.capacity, Some(50), "undo gives the capacity back");
    assert_eq!(back.max_receives, Some(3));
}

/// A consumer made idempotent in the inspector gets an inbox window row;
/// with a window, late copies are processed again and counted.
#[test]
fn an_idempotent_consumer_gets_an_inbox_window() {
    const SLOW: &str = r#"(
        version: 1,
        name: "inbox",
        scenario: (duration: "120s", seed: 5),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
            (id: "q", kind: Queue(visibility_timeout: "60ms")),
            (id: "srv", kind: Consumer(instances: 4, service: Exponential(mean: "40ms"))),
            (id: "out", kind: Sink()),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
    )"#;
    let consumer = |app: &WeirApp| {
        let model = app.model();
        match &model.graph[model.find("srv").expect("the consumer")].kind {
            NodeKind::Consumer(c) => c.clone(),
            other => panic!("not a consumer: {other:?}"),
        }
    };
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SLOW), None),
        Window {
            size: egui::vec2(1280.0, 1600.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["srv"]);
    h.run();
    assert!(h.query_by_label("Inbox window").is_none());
    h.get_by_role_and_label(Role::ComboBox, "Delivery").click();
    h.run();
    h.get_by_label("exactly once (idempotent)").click();
    h.run();
    h.get_by_role_and_label(Role::CheckBox, "Inbox window")
        .click();
    h.run();
    let c = consumer(h.state());
    assert_eq!(c.inbox, Some(Duration::from_secs(60)));
    assert!(c.problems().is_empty(), "{:?}", c.problems());
    // Back to at least once: the window goes with the inbox.
    h.get_by_role_and_label(Role::ComboBox, "Delivery").click();
    h.run();
    h.get_by_label("at least once").click();
    h.run();
    assert_eq!(consumer(h.state()).inbox, None);
}
