//! Going back in a live run: a checkpoint of any example goes on exactly
//! as the run it was taken from, and the window's rewind bar takes the run
//! back to the instant pressed, shows it as it was, and plays it on to the
//! same end.

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use sim_core::Simulation;
use sim_core::journey::JourneyOptions;
use sim_core::model::ModelCommand;
use sim_core::nodes::NodeKind;
use sim_core::time::SimTime;
use weir::gui::WeirApp;
use weir::gui::timeline::TIMELINE;

use crate::harness::{Window, harness, until};

#[test]
fn a_checkpoint_of_every_example_goes_on_exactly_as_its_run() {
    let mut seen = 0;
    for (path, text) in weir_tests::examples() {
        let model = weir_tests::model(&text);
        let seed = model.scenario.seed;
        // As the live view runs it: crossings watched, journeys followed.
        let mut sim = Simulation::new(&model, seed).expect("compiles");
        sim.watch_crossings();
        sim.record_journeys(JourneyOptions::default());
        let end = sim.end().as_nanos();
        let mut at = 0;
        let mut copies = Vec::new();
        // Checkpoints at uneven instants, in the thick of it.
        for share in [0.13, 0.37, 0.71] {
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                clippy::cast_precision_loss,
                reason = "an instant along the run"
            )]
            let to = (end as f64 * share) as u64;
            while at < to {
                at = (at + 7_919_000_000).min(to);
                sim.run_until(SimTime(at)).expect("runs");
            }
            copies.push(sim.checkpoint());
        }
        sim.run_until(sim.end()).expect("runs");
        let whole = sim.result();
        for (k, mut copy) in copies.into_iter().enumerate() {
            copy.run_until(copy.end()).expect("the copy runs");
            assert!(
                copy.result() == whole,
                "{}: checkpoint {k} went another way",
                path.display()
            );
        }
        seen += 1;
    }
    assert!(seen >= 20, "only {seen} examples");
}

const SHOP: &str = r#"(
    version: 1,
    name: "shop",
    scenario: (duration: "20s", seed: 5),
    nodes: [
        (id: "orders", kind: Producer(arrival: Poisson(rate: 120.0))),
        (id: "q", kind: Queue(capacity: 400)),
        (id: "worker", kind: Consumer(instances: 2, service: Exponential(mean: "14ms"))),
        (id: "out", kind: Sink()),
    ],
    edges: [(from: "orders", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "out")],
)"#;

fn text<'t>(node: &impl NodeT<'t>) -> Option<String> {
    let n = node.accesskit_node();
    n.label().or_else(|| n.value())
}

fn clock(h: &Harness<'_, WeirApp>) -> Option<String> {
    h.query_by_label_contains("t = ").and_then(|n| text(&n))
}

fn counters(h: &Harness<'_, WeirApp>) -> Option<String> {
    h.query_by_label_contains("sent ").and_then(|n| text(&n))
}

fn reached(h: &Harness<'_, WeirApp>) -> Option<String> {
    h.query_by_label_contains(" reached").and_then(|n| text(&n))
}

fn click(h: &mut Harness<'_, WeirApp>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    h.step();
    h.step();
}

#[test]
fn the_rewind_bar_goes_back_to_the_instant_pressed_and_plays_on_to_the_same_end() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SHOP), None),
        Window::default(),
    );
    h.run();
    assert!(
        h.query_by_label(TIMELINE).is_none(),
        "no bar before a live run"
    );
    click(&mut h, "Run to end");
    until(&mut h, "the end", |h| {
        clock(h).is_some_and(|c| c.starts_with("t = 20.0 s"))
    });
    let at_end = counters(&h).expect("counters");
    assert_eq!(reached(&h).as_deref(), Some("20.0 s reached"));

    // The middle of the bar is the middle of the run.
    h.get_by_label(TIMELINE).click();
    until(&mut h, "the run back at its middle", |h| {
        clock(h).is_some_and(|c| c.starts_with("t = 10.0 s"))
    });
    let middle = counters(&h).expect("counters");
    assert_ne!(middle, at_end);
    assert_eq!(
        reached(&h).as_deref(),
        Some("20.0 s reached"),
        "going back forgets nothing"
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Play live")
            .is_some(),
        "paused there"
    );

    // Played on, it ends as it did.
    click(&mut h, "Run to end");
    until(&mut h, "the end again", |h| {
        clock(h).is_some_and(|c| c.starts_with("t = 20.0 s"))
    });
    assert_eq!(counters(&h).as_deref(), Some(at_end.as_str()));

    // Back to the middle, a change there: a new future from there on.
    h.get_by_label(TIMELINE).click();
    until(&mut h, "the middle again", |h| {
        counters(h).as_deref() == Some(middle.as_str())
    });
    let NodeKind::Consumer(mut params) = h.state().model().graph
        [h.state().model().find("worker").expect("worker")]
    .kind
    .clone() else {
        panic!("worker is a consumer");
    };
    params.instances = 1;
    h.state_mut()
        .apply_edit(ModelCommand::SetParams {
            id: "worker".to_owned(),
            kind: NodeKind::Consumer(params),
        })
        .expect("one instance");
    until(&mut h, "the old future forgotten", |h| {
        reached(h).as_deref() == Some("10.0 s reached")
    });
    click(&mut h, "Run to end");
    until(&mut h, "the new end", |h| {
        clock(h).is_some_and(|c| c.starts_with("t = 20.0 s"))
    });
    assert_ne!(
        counters(&h).as_deref(),
        Some(at_end.as_str()),
        "one worker tells another story"
    );
}

#[test]
fn the_bar_shows_by_default_in_the_editor_and_on_f9_while_presenting() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(SHOP), None),
        Window::default(),
    );
    h.run();
    click(&mut h, "Step");
    until(&mut h, "the live run", |h| {
        h.query_by_label(TIMELINE).is_some()
    });
    let press = |h: &mut Harness<'_, WeirApp>, key: egui::Key| {
        h.key_press(key);
        for _ in 0..4 {
            h.step();
        }
    };
    press(&mut h, egui::Key::F9);
    assert!(h.query_by_label(TIMELINE).is_none(), "F9 hides it");
    press(&mut h, egui::Key::F9);
    assert!(h.query_by_label(TIMELINE).is_some(), "F9 again shows it");
    press(&mut h, egui::Key::F5);
    assert!(h.state().prefs().presentation);
    assert!(
        h.query_by_label(TIMELINE).is_none(),
        "presenting, the drawing has the window"
    );
    press(&mut h, egui::Key::F9);
    assert!(h.query_by_label(TIMELINE).is_some(), "until F9 asks for it");
}
