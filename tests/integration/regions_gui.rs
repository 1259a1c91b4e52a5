//! Regions in the inspector: a broker placed in one, given a standby in
//! another, the region's outage added to the timeline, and the canvas's
//! frame around the region's nodes.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::nodes::standby::{Mirroring, Standby};
use weir::gui::WeirApp;

use crate::harness::{Window, fill, harness};

const MODEL: &str = r#"(
    version: 1,
    name: "regions",
    scenario: (duration: "10m", seed: 4),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
        (id: "orders", kind: Queue(durability: ())),
        (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
    ],
    edges: [(from: "src", to: "orders"), (from: "orders", to: "worker")],
)"#;

fn standby(app: &WeirApp) -> Option<Standby> {
    let model = app.model();
    let n = model.find("orders").expect("the queue");
    model.graph[n]
        .kind
        .durability()
        .and_then(|d| d.standby.clone())
}

fn region(app: &WeirApp) -> Option<String> {
    let model = app.model();
    model.graph[model.find("orders").expect("the queue")]
        .region
        .clone()
}

#[test]
fn a_broker_is_placed_in_a_region_given_a_standby_and_its_region_an_outage() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 2000.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["orders"]);
    h.run();
    assert_eq!(region(h.state()), None);
    fill(&mut h, "Region", "eu-west");
    assert_eq!(region(h.state()).as_deref(), Some("eu-west"));
    // The canvas frames the region around its node.
    let frames = weir::gui::canvas::region_frames(h.state().model());
    let names: Vec<&str> = frames.iter().map(|(name, _)| name.as_str()).collect();
    assert_eq!(names, ["eu-west"]);
    let card = {
        let model = h.state().model();
        weir::gui::canvas::card_rect(&model.graph[model.find("orders").expect("there")])
    };
    assert!(frames[0].1.contains_rect(card));

    h.get_by_role_and_label(Role::CheckBox, "Standby").click();
    h.run();
    assert!(standby(h.state()).is_some(), "a standby switched on");
    fill(&mut h, "Standby region", "eu-north");
    h.get_by_role_and_label(Role::ComboBox, "Copies").click();
    h.run();
    h.get_by_label(Mirroring::Sync.label()).click();
    h.run();
    let s = standby(h.state()).expect("still on");
    assert_eq!(
        (s.region.as_str(), s.replication),
        ("eu-north", Mirroring::Sync)
    );
    assert!(
        sim_core::validate::validate(h.state().model())
            .iter()
            .all(|d| !d.is_error()),
        "{:?}",
        sim_core::validate::validate(h.state().model())
    );
    let kind = {
        let model = h.state().model();
        model.graph[model.find("orders").expect("there")]
            .kind
            .clone()
    };
    let summary = weir::gui::kinds::params(&kind).summary();
    assert!(summary.ends_with("→ eu-north"), "{summary}");

    // The region's outage goes on the timeline, and runs.
    h.get_by_label("Add region outage").click();
    h.run();
    let outages = h.state().model().scenario.region_outages.clone();
    assert_eq!(outages.len(), 1);
    assert_eq!(outages[0].region, "eu-west");
    let report = sim_core::run_replications(h.state().model()).expect("runs");
    assert_eq!(
        weir_tests::metric(&report, "orders", "region_failovers"),
        1.0
    );

    // Undo takes the outage back, then the rest one step at a time.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert!(h.state().model().scenario.region_outages.is_empty());
}
