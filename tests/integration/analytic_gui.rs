//! Theory in the inspector: a consumer's formula and its values while the
//! model is drawn, the replications' intervals beside them once the
//! Results panel holds a report, and the reason when an assumption fails.

use egui::{Key, Modifiers};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use weir::gui::WeirApp;

use crate::harness::{Window, harness, until};

/// An M/M/1 station (λ = 50/s, μ = 100/s) and a consumer fed by bursts.
const MODEL: &str = r#"(
    version: 1,
    name: "theory in the inspector",
    scenario: (duration: "120s", warmup: "10s", seed: 8, replications: 3),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
        (id: "q", kind: Queue()),
        (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        (id: "burst", kind: Producer(arrival: Bursty(rate: 40.0, on: "1s", off: "1s"))),
        (id: "spiky", kind: Consumer(service: Exponential(mean: "5ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "burst", to: "spiky")],
)"#;

/// M/M/1 at ρ = 0.5: L = 1, Lq = 0.5, W = 20 ms, Wq = 10 ms.
const MM1: &str = "M/M/1: ρ = 0.500, L = 1.000, Lq = 0.500, W = 20.000 ms, Wq = 10.000 ms";

fn app() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window::default(),
    );
    h.run();
    h
}

#[test]
fn the_inspector_shows_the_formula_then_the_simulation_beside_it() {
    let mut h = app();
    h.state_mut().select_ids(&["srv"]);
    h.run();
    assert!(
        h.query_by_label(MM1).is_some(),
        "the formula's values while drawing"
    );
    assert!(h.query_by_label("λ = 50 /s, c = 1").is_some());
    // The queue in front of it is the same station.
    h.state_mut().select_ids(&["q"]);
    h.run();
    assert!(
        h.query_by_label(MM1).is_some(),
        "the queue shows its station"
    );
    assert!(
        h.query_by_label_contains("Simulated over").is_none(),
        "no simulated values before a run"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the replications' report", |h| {
        h.query_by_label("Simulated over 3 replication(s):")
            .is_some()
    });
    h.run();
    // Each quantity: the formula's value, then the replications' mean ±
    // half-width, and whether the interval covers it.
    assert!(h.query_by_label("20.000 ms").is_some(), "W by the formula");
    let times = h.query_all_by_label_contains(" ms ± ").count();
    assert_eq!(times, 2, "W and Wq as mean ± half-width");
    let verdicts = h.query_all_by_label("covers").count() + h.query_all_by_label("misses").count();
    assert_eq!(
        verdicts, 5,
        "each interval says whether it covers the formula"
    );
    // An edit that changes the station makes the report stale.
    let srv = h.state().model().find("srv").expect("srv");
    let mut model = h.state().model().clone();
    if let sim_core::nodes::NodeKind::Consumer(c) = &mut model.graph[srv].kind {
        c.instances = 2;
    }
    let kind = model.graph[srv].kind.clone();
    h.state_mut()
        .apply_edit(sim_core::model::ModelCommand::SetParams {
            id: "srv".to_owned(),
            kind,
        })
        .expect("the edit applies");
    h.run();
    assert!(h.query_by_label_contains("M/M/2: ρ = 0.250").is_some());
    assert!(
        h.query_by_label("The model changed since the last run: run it again to compare.")
            .is_some()
    );
}

#[test]
fn the_inspector_says_why_a_bursty_producer_has_no_formula() {
    let mut h = app();
    h.state_mut().select_ids(&["spiky"]);
    h.run();
    assert!(
        h.query_by_label("No formula: arrivals from 'burst' are bursty (on/off), not Poisson.")
            .is_some(),
        "the reason instead of a formula"
    );
    assert!(h.query_by_label_contains("M/M/1").is_none());
}
