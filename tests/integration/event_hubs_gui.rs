//! A log made an Azure Event Hubs hub in the inspector: the preset fills
//! in the standard tier's limits and a checkpoint, the card names the
//! service, the hub throttles what its throughput unit cannot take, the
//! senders' reaction is chosen, and undo turns it back.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::event_hubs::{EventHubs, OnThrottle};
use sim_core::nodes::{LogParams, NodeKind};
use sim_core::time::Duration;
use weir::gui::WeirApp;

use crate::harness::{Window, harness};

/// 1,500 events/s into a Kafka-style log of 48 partitions.
const MODEL: &str = r#"(
    version: 1,
    name: "hub",
    scenario: (duration: "30s", seed: 4),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 1500.0), keys: 100)),
        (id: "telemetry", kind: Log(partitions: 48)),
        (id: "job", kind: Consumer(instances: 8, service: Constant("1ms"))),
    ],
    edges: [(from: "src", to: "telemetry"), (from: "telemetry", to: "job")],
)"#;

fn log(app: &WeirApp) -> LogParams {
    let model = app.model();
    match &model.graph[model.find("telemetry").expect("the log")].kind {
        NodeKind::Log(l) => l.clone(),
        other => panic!("not a log: {other:?}"),
    }
}

fn hub_metric(app: &WeirApp, path: &str) -> f64 {
    let report = sim_core::run_replications(app.model()).expect("runs");
    weir_tests::metric(&report, "telemetry", path)
}

#[test]
fn a_log_becomes_an_event_hubs_hub_that_throttles_beyond_its_units() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1600.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["telemetry"]);
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Service").click();
    h.run();
    h.get_by_label("Azure Event Hubs").click();
    h.run();
    let hub = log(h.state());
    assert_eq!(hub.event_hubs, Some(EventHubs::default()));
    assert_eq!(hub.partitions, 32, "the standard tier's most");
    assert_eq!(hub.checkpoint, Some(Duration::from_secs(10)));
    assert!(hub.problems().is_empty(), "{:?}", hub.problems());
    let summary = weir::gui::kinds::params(&NodeKind::Log(hub)).summary();
    assert!(summary.starts_with("Event Hubs 1 TU"), "{summary}");
    // The unit's rows are there.
    h.get_by_label("Throughput units");
    h.get_by_label("Event size");
    // One unit of 1 KB events lets in 1,000 a second of the 1,500.
    assert!(hub_metric(h.state(), "throttled") > 1_000.0);
    assert_eq!(hub_metric(h.state(), "dropped"), 0.0, "senders wait");

    h.get_by_role_and_label(Role::ComboBox, "When throttled")
        .click();
    h.run();
    h.get_by_label("the send fails (dropped)").click();
    h.run();
    assert_eq!(
        log(h.state()).event_hubs.map(|e| e.on_throttle),
        Some(OnThrottle::Error)
    );
    let dropped = hub_metric(h.state(), "drops.throttled");
    // About 500 a second over 30 s.
    assert!((13_000.0..17_000.0).contains(&dropped), "{dropped}");

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    let back = log(h.state());
    assert_eq!(back.event_hubs, None);
    assert_eq!(back.partitions, 48, "undo gives the partitions back");
    assert_eq!(back.checkpoint, None);
}
