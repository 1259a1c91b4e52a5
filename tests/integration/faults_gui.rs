//! Faults in the inspector: a node's own faults, at a time or at random,
//! added, edited, removed and undone; the model's list of them all.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::dist::Dist;
use sim_core::faults::Effect;
use sim_core::time::Duration;
use weir::gui::WeirApp;

use crate::harness::{Window, fill, harness};

const MODEL: &str = r#"(
    version: 1,
    name: "faults",
    scenario: (duration: "10m", seed: 4),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
        (id: "q", kind: Queue()),
        (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
)"#;

#[test]
fn a_nodes_faults_are_added_edited_and_undone_in_the_inspector() {
    // Tall enough that the node's whole inspector is on screen.
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1800.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_ids(&["worker"]);
    h.run();
    h.get_by_role_and_label(Role::Button, "Add random fault")
        .click();
    h.run();
    let random = &h.state().model().scenario.random_faults;
    assert_eq!(random.len(), 1);
    assert_eq!(random[0].node, "worker");
    assert_eq!(
        random[0].effect,
        Effect::Crash,
        "what a consumer suffers first"
    );
    assert_eq!(
        random[0].between,
        Dist::Exponential {
            mean: Duration::from_secs(150)
        },
        "about four strikes in the run"
    );
    assert!(
        sim_core::validate::validate(h.state().model())
            .iter()
            .all(|d| !d.is_error()),
        "a new random fault is valid as it stands"
    );
    // It opens to its fields; the effect can be a slow-down instead.
    h.get_by_label("Random crash: every ~2m30s, for ~15s (up 90.91 %)")
        .click();
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Effect").click();
    h.run();
    assert!(
        h.query_by_label("burst").is_none(),
        "a consumer does not burst"
    );
    h.get_by_label("slow-down").click();
    h.run();
    assert_eq!(
        h.state().model().scenario.random_faults[0].effect,
        Effect::Slow { factor: 2.0 }
    );
    // One at a time too; the model's view lists both.
    h.get_by_role_and_label(Role::Button, "Add fault at a time")
        .click();
    h.run();
    let faults = &h.state().model().scenario.faults;
    assert_eq!(faults.len(), 1);
    assert_eq!(
        (faults[0].at, faults[0].duration),
        (Duration::from_secs(150), Duration::from_secs(60))
    );
    // Undo takes back the timeline's fault, then the slow-down.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert!(h.state().model().scenario.faults.is_empty());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(
        h.state().model().scenario.random_faults[0].effect,
        Effect::Crash
    );
    // Removed from its section.
    h.get_by_role_and_label(Role::Button, "Remove").click();
    h.run();
    assert!(h.state().model().scenario.random_faults.is_empty());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    // With nothing selected, the model's view lists every fault with its
    // node.
    h.state_mut().select_ids(&[]);
    h.run();
    assert!(
        h.query_by_label("worker: Random crash: every ~2m30s, for ~15s (up 90.91 %)")
            .is_some()
    );
}

#[test]
fn a_links_faults_are_added_and_edited_in_its_inspector() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window {
            size: egui::vec2(1280.0, 1800.0),
            ..Window::default()
        },
    );
    h.run();
    h.state_mut().select_link("src", "q");
    h.run();
    h.get_by_role_and_label(Role::Button, "Add fault at a time")
        .click();
    h.run();
    let faults = h.state().model().scenario.faults.clone();
    assert_eq!(faults.len(), 1);
    assert_eq!(
        (faults[0].node.as_str(), faults[0].link.as_deref()),
        ("", Some("src->q")),
        "the link's fault, not a node's"
    );
    assert!(
        matches!(faults[0].effect, Effect::Delay { .. }),
        "a latency spike first"
    );
    // Make it a loss of one message in ten.
    h.get_by_label("Delay +200ms at 2m30s for 1m").click();
    h.run();
    h.get_by_role_and_label(Role::ComboBox, "Effect").click();
    h.run();
    h.get_by_label("loss").click();
    h.run();
    assert_eq!(
        h.state().model().scenario.faults[0].effect,
        Effect::Loss { probability: 0.05 }
    );
    assert!(
        sim_core::validate::validate(h.state().model())
            .iter()
            .all(|d| !d.is_error()),
        "{:?}",
        sim_core::validate::validate(h.state().model())
    );
    // A consumer's pull from the queue is no link a fault can hit.
    h.state_mut().select_link("q", "worker");
    h.run();
    assert!(
        h.query_by_label("Add fault at a time").is_none(),
        "no faults offered on a pull"
    );
    // Renaming the producer in its inspector keeps the fault on its link,
    // and undo takes the name back with the link's.
    h.state_mut().select_ids(&["src"]);
    h.run();
    fill(&mut h, "Id", "checkout");
    // (An id is taken when the field is left.)
    h.key_press(Key::Enter);
    h.run();
    let link =
        |h: &egui_kittest::Harness<'_, WeirApp>| h.state().model().scenario.faults[0].link.clone();
    assert_eq!(link(&h).as_deref(), Some("checkout->q"));
    assert!(
        sim_core::validate::validate(h.state().model())
            .iter()
            .all(|d| !d.is_error())
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(link(&h).as_deref(), Some("src->q"));
}
