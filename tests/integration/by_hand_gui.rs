//! You are the load: in a live run a producer's rate is turned down to
//! nothing from its live panel, and its events are sent with the panel's
//! buttons and with E and B, from the selected producer or the model's
//! first.

use egui::Key;
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use weir::gui::WeirApp;

use crate::harness::{Window, harness, until};

const SHOP: &str = r#"(
    version: 1,
    name: "shop",
    scenario: (duration: "10m", seed: 5),
    nodes: [
        (id: "orders", kind: Producer(arrival: Poisson(rate: 120.0))),
        (id: "q", kind: Queue(capacity: 4000)),
        (id: "worker", kind: Consumer(instances: 2, service: Exponential(mean: "14ms"))),
        (id: "out", kind: Sink()),
        (id: "audit", kind: Producer(arrival: Poisson(rate: 1.0))),
    ],
    edges: [
        (from: "orders", to: "q"), (from: "audit", to: "q"),
        (from: "q", to: "worker"), (from: "worker", to: "out"),
    ],
)"#;

/// Producer `id`'s (load, arrived) in the live run's latest frame.
fn producer(h: &Harness<'_, WeirApp>, id: &str) -> Option<(Option<u32>, u64)> {
    let live = h.state().live()?;
    let node = live.frame().snapshot.nodes.iter().find(|n| n.id == id)?;
    Some((node.load, node.arrived))
}

fn arrived(h: &Harness<'_, WeirApp>, id: &str) -> u64 {
    producer(h, id).map_or(0, |(_, a)| a)
}

fn press(h: &mut Harness<'_, WeirApp>, key: Key) {
    h.key_press(key);
    h.step();
    h.step();
}

#[test]
fn a_producer_turned_to_by_hand_only_sends_what_its_buttons_and_keys_send() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SHOP), None),
        Window {
            size: egui::vec2(1280.0, 1400.0),
            ..Window::default()
        },
    );
    h.run();
    h.get_by_role_and_label(Role::Button, "Step").click();
    until(&mut h, "the live run", |h| arrived(h, "orders") > 0);
    h.state_mut().select_ids(&["orders"]);
    h.step();
    assert!(h.query_by_label("You are the load").is_some());
    assert!(
        h.query_by_label_contains("120/s on average (designed 120/s)")
            .is_some(),
        "the designed rate, as running"
    );

    h.get_by_role_and_label(Role::CheckBox, "By hand only")
        .click();
    until(&mut h, "the load at zero", |h| {
        producer(h, "orders").is_some_and(|(load, _)| load == Some(0))
    });
    assert!(h.query_by_label("only what you send").is_some());
    let before = arrived(&h, "orders");
    for _ in 0..3 {
        h.get_by_role_and_label(Role::Button, "Step").click();
        h.step();
    }
    until(&mut h, "three steps", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_nanos() >= 400_000_000)
    });
    assert_eq!(arrived(&h, "orders"), before, "nothing of itself");

    h.get_by_role_and_label(Role::Button, "Send 20").click();
    until(&mut h, "a burst by hand", |h| {
        arrived(h, "orders") == before + 20
    });
    press(&mut h, Key::E);
    until(&mut h, "one more by E", |h| {
        arrived(h, "orders") == before + 21
    });
    press(&mut h, Key::B);
    until(&mut h, "a burst by B", |h| {
        arrived(h, "orders") == before + 41
    });

    // Nothing selected: the keys send from the model's first producer.
    h.state_mut().select_ids(&[]);
    h.step();
    let audit = arrived(&h, "audit");
    press(&mut h, Key::E);
    until(&mut h, "E from the first producer", |h| {
        arrived(h, "orders") == before + 42
    });
    assert_eq!(arrived(&h, "audit"), audit);

    // Ticked off, the rate it had comes back.
    h.state_mut().select_ids(&["orders"]);
    h.step();
    h.get_by_role_and_label(Role::CheckBox, "By hand only")
        .click();
    until(&mut h, "the designed rate again", |h| {
        producer(h, "orders").is_some_and(|(load, _)| load == Some(100))
    });
}

#[test]
fn sending_by_hand_without_a_live_run_says_how_to_start_one() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SHOP), None),
        Window::default(),
    );
    h.run();
    press(&mut h, Key::E);
    assert!(h.state().live().is_none(), "no run started");
    assert!(
        h.state()
            .notice()
            .is_some_and(|n| n.contains("needs a live run")),
        "{:?}",
        h.state().notice()
    );
}
