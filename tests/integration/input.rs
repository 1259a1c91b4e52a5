//! Invalid input through the real app: a value the model refuses stays as
//! typed, explained once under its field; nothing runs with it; a playing
//! run pauses on it and plays on once it is undone.

use eframe::egui::{Key, Modifiers};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::Model;
use sim_core::dist::Arrival;
use sim_core::model::ModelCommand;
use sim_core::nodes::NodeKind;
use sim_core::validate::validate;
use weir::gui::WeirApp;
use weir::gui::document::EMPTY_HINT;

use crate::harness::{Window, harness, until};

const SINGLE_QUEUE: &str = include_str!("../../examples/single-queue.ron");

/// The single-queue example with its producer selected.
fn orders_selected() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SINGLE_QUEUE), None),
        Window::default(),
    );
    h.run();
    h.state_mut().select_ids(&["orders"]);
    h.run();
    h
}

/// The producer's arrival rate in the model.
fn rate(h: &Harness<'_, WeirApp>) -> f64 {
    let model = h.state().model();
    let n = model.find("orders").expect("the producer");
    match &model.graph[n].kind {
        NodeKind::Producer(p) => p.arrival.mean_rate(),
        other => panic!("a producer, not {other:?}"),
    }
}

/// The producer with its rate set to `rate`, as one edit.
fn set_rate(h: &Harness<'_, WeirApp>, rate: f64) -> ModelCommand {
    let model = h.state().model();
    let n = model.find("orders").expect("the producer");
    let NodeKind::Producer(mut p) = model.graph[n].kind.clone() else {
        panic!("a producer");
    };
    p.arrival = Arrival::Poisson { rate };
    ModelCommand::SetParams {
        id: "orders".into(),
        kind: NodeKind::Producer(p),
    }
}

const NEGATIVE: &str = "the rate must be a number greater than zero (found -5)";

#[test]
fn a_negative_rate_stays_as_typed_with_one_explanation_and_nothing_runs_with_it() {
    let mut h = orders_selected();
    h.get_by_role_and_label(Role::SpinButton, "Rate")
        .set_value_accesskit(-5.0);
    h.run();
    assert_eq!(rate(&h), -5.0, "the typed value is kept, not replaced by 0");

    // One explanation in the inspector (the problems list at the bottom
    // lists every problem of the model, this one among them).
    let inspector_left = h.state().canvas_rect().right();
    let in_inspector = h
        .query_all_by_label_contains(NEGATIVE)
        .filter(|node| node.rect().left() >= inspector_left)
        .count();
    assert_eq!(in_inspector, 1, "the rate's problem is explained once");
    let spin = h.get_by_role_and_label(Role::SpinButton, "Rate").rect();
    let explanation = h
        .query_all_by_label_contains(NEGATIVE)
        .find(|node| node.rect().left() >= inspector_left)
        .expect("explained")
        .rect();
    assert!(
        explanation.top() >= spin.bottom() && explanation.top() - spin.bottom() < 24.0,
        "under the field: field {spin:?}, explanation {explanation:?}"
    );

    let why = h.state().run_refusal().expect("the model cannot run");
    assert!(why.contains(NEGATIVE), "the refusal says why: {why}");

    // Play live, Step and the replications all refuse, with that reason.
    h.get_by_role_and_label(Role::Button, "Play live").click();
    h.run();
    assert!(
        h.state().live().is_none(),
        "no live run with a negative rate"
    );
    assert!(
        h.state().notice().is_some_and(|n| n.contains(NEGATIVE)),
        "the notice says why: {:?}",
        h.state().notice()
    );
    h.get_by_role_and_label(Role::Button, "Step").click();
    h.run();
    assert!(h.state().live().is_none(), "no step either");
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    h.run();
    assert!(!h.state().has_results(), "no replications either");

    // Undo brings the rate back, and the model runs again.
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(rate(&h), 80.0);
    assert!(h.state().run_refusal().is_none());
    assert_eq!(
        h.query_all_by_label_contains("greater than zero").count(),
        0,
        "the explanation goes with the problem"
    );
}

#[test]
fn an_unreadable_duration_stays_as_typed_with_why() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SINGLE_QUEUE), None),
        Window::default(),
    );
    h.run();
    // Nothing selected: the scenario's fields.
    let duration = h.state().model().scenario.duration;
    h.get_by_role_and_label(Role::SpinButton, "Duration")
        .click();
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.input_mut()
        .events
        .push(egui::Event::Text("ten minutes".to_owned()));
    h.run();
    h.key_press(Key::Enter);
    h.run();
    assert_eq!(
        h.state().model().scenario.duration,
        duration,
        "text that is not a duration changes nothing"
    );
    assert!(
        h.query_by_label_contains("“ten minutes” is not a duration")
            .is_some(),
        "what was typed stays, with why"
    );
}

#[test]
fn a_playing_run_pauses_on_an_invalid_edit_and_plays_on_after_undo() {
    let mut h = orders_selected();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the run to play", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.playing() && l.frame().snapshot.now.as_nanos() > 0)
    });
    let edit = set_rate(&h, -5.0);
    h.state_mut().apply_edit(edit).expect("a valid command");
    until(&mut h, "the run to pause", |h| {
        h.state().live().is_some_and(|l| !l.playing())
    });
    assert!(
        h.state().notice().is_some_and(|n| n.contains("Paused")),
        "the pause says why: {:?}",
        h.state().notice()
    );
    let paused_at = h.state().live().expect("live").frame().snapshot.now;
    for _ in 0..10 {
        h.step();
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    assert!(
        h.state().live().expect("live").frame().snapshot.now <= paused_at,
        "the clock stands still while the model is invalid"
    );

    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    until(&mut h, "the run to play on", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.playing() && l.frame().snapshot.now > paused_at)
    });
    assert_eq!(rate(&h), 80.0, "undo restores the value and the run");

    // A fix instead of an undo plays on too, with the fixed value.
    let edit = set_rate(&h, 0.0);
    h.state_mut().apply_edit(edit).expect("a valid command");
    until(&mut h, "the run to pause again", |h| {
        h.state().live().is_some_and(|l| !l.playing())
    });
    let edit = set_rate(&h, 40.0);
    h.state_mut().apply_edit(edit).expect("a valid command");
    until(&mut h, "the fixed run to play on", |h| {
        h.state()
            .live()
            .is_some_and(weir::gui::session::LiveSession::playing)
    });

    // A run paused by hand stays paused when an edit is fixed.
    h.get_by_role_and_label(Role::Button, "Pause").click();
    until(&mut h, "the pause", |h| {
        h.state().live().is_some_and(|l| !l.playing())
    });
    let edit = set_rate(&h, -1.0);
    h.state_mut().apply_edit(edit).expect("a valid command");
    h.step();
    let edit = set_rate(&h, 30.0);
    h.state_mut().apply_edit(edit).expect("a valid command");
    for _ in 0..5 {
        h.step();
    }
    assert!(
        h.state().live().is_some_and(|l| !l.playing()),
        "nothing plays that the user paused"
    );
}

#[test]
fn a_new_model_starts_with_a_hint_not_an_error() {
    let mut h = harness(
        WeirApp::from_model(Model::new("Untitled"), None),
        Window::default(),
    );
    h.run();
    assert!(
        h.state().diagnostics().iter().all(|d| !d.is_error()),
        "no error for an empty model: {:?}",
        h.state().diagnostics()
    );
    assert!(h.query_by_label_contains("has no nodes").is_none());
    assert!(h.query_by_label(EMPTY_HINT).is_some(), "the hint shows");
    h.get_by_role_and_label(Role::Button, "Play live").click();
    h.run();
    assert!(h.state().live().is_none());
    assert!(
        h.state().notice().is_some_and(|n| n.contains(EMPTY_HINT)),
        "Play says how to start: {:?}",
        h.state().notice()
    );
    assert!(
        validate(&Model::new("Untitled"))
            .iter()
            .any(sim_core::validate::Diagnostic::is_error),
        "the command line still refuses an empty model"
    );
}
