//! Presentation mode and the charts, through the real app: F5 gives the
//! drawing the window (no toolbar, no side panels), F6 and F7 float the
//! palette and the inspector over the canvas, F8 shows the charts strip,
//! "Leave (F5)" and F5 leave, and the mode is never remembered. With
//! nothing selected, the charts show the whole system; a node's charts
//! are titled by its name.

use std::collections::BTreeMap;

use eframe::egui::{self, Key, Vec2};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::model::file;
use weir::examples::EXAMPLES;
use weir::gui::{Prefs, WeirApp};

use crate::harness::{Window, harness, until};

/// A projector's wide, low screen.
const PROJECTOR: Window = Window {
    size: Vec2::new(1280.0, 720.0),
    step_dt: None,
    any_text: true,
};

fn example_app(file_name: &str) -> Harness<'static, WeirApp> {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == file_name)
        .expect("the example is bundled");
    let (model, _) = file::from_str(example.text).expect("loads");
    let mut h = harness(WeirApp::from_model(model, None), PROJECTOR);
    h.run();
    h
}

fn press(h: &mut Harness<'_, WeirApp>, key: Key) {
    h.key_press(key);
    // The new layout, then the fit it asks for.
    for _ in 0..4 {
        h.step();
    }
}

/// The canvas's share of the window's area.
fn canvas_share(h: &Harness<'_, WeirApp>) -> f32 {
    let canvas = h.state().canvas_rect();
    canvas.area() / (PROJECTOR.size.x * PROJECTOR.size.y)
}

#[test]
fn presenting_gives_the_drawing_the_window_and_floats_the_panels_on_request() {
    let mut h = example_app("kafka-consumer-lag.ron");
    assert!(
        h.query_by_label("Producer").is_some(),
        "the palette is docked"
    );
    let editing = canvas_share(&h);
    press(&mut h, Key::F5);
    assert!(h.state().prefs().presentation);
    assert!(
        h.query_by_label("Presenting").is_some(),
        "a visible indicator"
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Arrange").is_none(),
        "no editing toolbar"
    );
    assert!(h.query_by_label("Producer").is_none(), "no palette");
    let share = canvas_share(&h);
    println!(
        "canvas share at 1280x720: editing {:.1}%, presenting {:.1}%",
        editing * 100.0,
        share * 100.0
    );
    assert!(
        share >= 0.9,
        "the canvas has {:.1}% of the window",
        share * 100.0
    );
    let canvas = h.state().canvas_rect();

    // F6: the palette over the canvas, which keeps its size.
    press(&mut h, Key::F6);
    let producer = h.get_by_label("Producer").rect();
    assert!(
        canvas.contains_rect(producer),
        "the palette floats over the canvas"
    );
    assert_eq!(h.state().canvas_rect(), canvas, "the canvas keeps its room");
    // A click in it adds a node, as the docked palette does.
    let nodes = h.state().model().graph.node_count();
    h.get_by_role_and_label(Role::Button, "Producer").click();
    for _ in 0..3 {
        h.step();
    }
    assert_eq!(h.state().model().graph.node_count(), nodes + 1);
    press(&mut h, Key::F6);
    assert!(h.query_by_label("Producer").is_none(), "F6 again hides it");

    // F7: the inspector over the canvas, at the right.
    press(&mut h, Key::F7);
    let inspector = h.get_by_role_and_label(Role::Window, "Inspector").rect();
    assert!(
        inspector.center().x > canvas.center().x && canvas.contains_rect(inspector),
        "the inspector floats at the right: {inspector:?} in {canvas:?}"
    );
    assert_eq!(
        h.state().canvas_rect().width(),
        canvas.width(),
        "the canvas keeps its width"
    );
    press(&mut h, Key::F7);
    assert!(
        h.query_by_role_and_label(Role::Window, "Inspector")
            .is_none(),
        "F7 again hides it"
    );
}

#[test]
fn the_charts_strip_toggles_with_f8_while_playing() {
    let mut h = example_app("kafka-consumer-lag.ron");
    press(&mut h, Key::F5);
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the run to play", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_nanos() > 0)
    });
    assert!(h.state().prefs().presentation);
    let share = canvas_share(&h);
    assert!(
        share >= 0.9,
        "playing, the canvas has {:.1}% of the window",
        share * 100.0
    );
    assert!(
        h.query_by_role_and_label(Role::Label, "Charts").is_none(),
        "no charts at first"
    );
    press(&mut h, Key::F8);
    let strip = h.get_by_role_and_label(Role::Label, "Charts").rect();
    let canvas = h.state().canvas_rect();
    assert!(
        strip.top() >= canvas.bottom() - 1.0,
        "a strip under the canvas"
    );
    assert!(
        canvas_share(&h) >= 0.55,
        "the strip leaves the drawing most of the window: {:.1}%",
        canvas_share(&h) * 100.0
    );
    press(&mut h, Key::F8);
    assert!(
        h.query_by_role_and_label(Role::Label, "Charts").is_none(),
        "F8 again hides it"
    );
    // The live run's report, docked under the canvas.
    h.get_by_role_and_label(Role::Button, "Results").click();
    until(&mut h, "the live report", |h| {
        h.query_by_label("Copy as CSV").is_some()
    });
    let table = h.get_by_label("Copy as CSV").rect();
    assert!(table.top() >= h.state().canvas_rect().bottom() - 1.0);
    h.get_by_role_and_label(Role::Button, "Pause").click();
    h.step();
}

#[test]
fn leave_and_f5_go_back_to_the_editor() {
    let mut h = example_app("pipeline.ron");
    press(&mut h, Key::F5);
    assert!(h.state().prefs().presentation);
    h.get_by_role_and_label(Role::Button, "Leave (F5)").click();
    for _ in 0..4 {
        h.step();
    }
    assert!(!h.state().prefs().presentation, "Leave leaves");
    assert!(
        h.query_by_label("Producer").is_some(),
        "the palette is back"
    );
    assert!(h.query_by_role_and_label(Role::Button, "Arrange").is_some());
    press(&mut h, Key::F5);
    assert!(h.state().prefs().presentation);
    press(&mut h, Key::F5);
    assert!(!h.state().prefs().presentation, "F5 leaves");
}

/// Preferences kept in memory, as eframe keeps them on disk.
#[derive(Default)]
struct MemoryStorage(BTreeMap<String, String>);

impl eframe::Storage for MemoryStorage {
    fn get_string(&self, key: &str) -> Option<String> {
        self.0.get(key).cloned()
    }

    fn set_string(&mut self, key: &str, value: String) {
        self.0.insert(key.to_owned(), value);
    }

    fn remove_string(&mut self, key: &str) {
        self.0.remove(key);
    }

    fn flush(&mut self) {}
}

#[test]
fn the_next_launch_opens_in_the_editor() {
    let mut h = example_app("pipeline.ron");
    press(&mut h, Key::F5);
    press(&mut h, Key::F6);
    assert!(h.state().prefs().presentation);
    let mut storage = MemoryStorage::default();
    eframe::App::save(h.state_mut(), &mut storage);
    let prefs: Prefs =
        eframe::get_value(&storage, eframe::APP_KEY).expect("the preferences are kept");
    assert!(!prefs.presentation, "presentation mode is not remembered");
    assert!(!prefs.overlays.palette, "nor are its overlays");
    assert!(prefs.show_palette, "the editor's panels are");

    let mut next = harness(WeirApp::starting(None, prefs, None), PROJECTOR);
    next.run();
    assert!(!next.state().prefs().presentation);
    assert!(next.query_by_label("Presenting").is_none());

    // Preferences an older version saved while presenting open the editor.
    let mut old = MemoryStorage::default();
    eframe::Storage::set_string(
        &mut old,
        eframe::APP_KEY,
        "(theme: Dark, presentation: true, show_palette: true)".to_owned(),
    );
    let prefs: Prefs = eframe::get_value(&old, eframe::APP_KEY).expect("still readable");
    assert!(
        !prefs.presentation,
        "an old saved presentation mode is ignored"
    );
    assert_eq!(
        prefs.theme,
        weir::gui::ThemeChoice::Dark,
        "the rest is kept"
    );
}

/// A chain whose queue has a name of its own.
const NAMED: &str = r#"(
    version: 1,
    name: "named",
    scenario: (duration: "10m", seed: 3),
    nodes: [
        (id: "src", kind: Producer(arrival: Constant(rate: 100.0))),
        (id: "q", name: "Orders queue", kind: Queue(capacity: 500)),
        (id: "worker", kind: Consumer(instances: 2, service: Exponential(mean: "15ms"))),
        (id: "out", kind: Sink()),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "out")],
)"#;

#[test]
fn with_nothing_selected_the_charts_show_the_whole_system() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(NAMED), None),
        Window::default(),
    );
    h.run();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the first points", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().series_times.len() >= 3)
    });
    let canvas = h.state().canvas_rect();
    for title in [
        "Whole system",
        "messages in and out (msg/s)",
        "messages in flight",
        "losses (msg/s)",
    ] {
        let at = h.get_by_label(title).rect();
        assert!(at.top() >= canvas.bottom() - 1.0, "{title} in the charts");
    }
    assert!(h.query_by_label_contains("end-to-end latency (").is_some());
    assert!(
        h.query_by_label("goodput").is_none(),
        "without deadlines or waiting clients goodput is the completions: not charted twice"
    );
    for key in ["emitted", "completed", "dead letters", "lost"] {
        let label = h.get_by_label(key);
        let height = label.rect().height();
        assert!(
            height >= 14.0,
            "the key '{key}' is body text, {height} points tall"
        );
    }
    let live = h.state().live().expect("playing");
    let system = &live.frame().system;
    let out = system.values(sim_core::series::SystemMetric::ThroughputOut);
    assert!(
        out.iter().any(|&v| v > 0.0),
        "messages complete in the overview's data: {out:?}"
    );

    // A node's charts are titled by its name, not its id.
    h.state_mut().select_ids(&["q"]);
    until(&mut h, "the queue's charts", |h| {
        h.query_by_label("throughput (msg/s)").is_some()
    });
    let title = h
        .get_all_by_label("Orders queue")
        .map(|n| n.rect())
        .find(|r| r.top() >= canvas.bottom() - 1.0);
    assert!(title.is_some(), "the charts are titled by the node's name");
    assert!(h.query_by_label("Whole system").is_none());
    h.get_by_role_and_label(Role::Button, "Pause").click();
    h.step();
}

#[test]
fn with_deadlines_the_whole_systems_goodput_is_charted_beside_its_completions() {
    // Messages that wait in the queue past 40 ms are still completed, but
    // nobody wants them any more.
    let text = NAMED.replace(
        "Constant(rate: 100.0)",
        r#"Constant(rate: 100.0), ttl: Constant("40ms")"#,
    );
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(&text), None),
        Window::default(),
    );
    h.run();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "some points", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().series_times.len() >= 5)
    });
    let canvas = h.state().canvas_rect();
    let key = h.get_by_label("goodput").rect();
    let chart = h.get_by_label("messages in and out (msg/s)").rect();
    assert!(
        key.top() >= chart.top() && key.top() >= canvas.bottom() - 1.0,
        "the goodput key is in the messages in and out chart: {key:?} under {chart:?}"
    );
    let live = h.state().live().expect("playing");
    let system = &live.frame().system;
    assert!(system.shows_goodput());
    let total = |m| -> f32 { system.values(m).iter().sum() };
    let (good, out) = (
        total(sim_core::series::SystemMetric::Goodput),
        total(sim_core::series::SystemMetric::ThroughputOut),
    );
    assert!(
        good > 0.0 && good < out,
        "some completions come too late: {good} of {out}"
    );
    h.get_by_role_and_label(Role::Button, "Pause").click();
    h.step();
}

#[test]
fn every_example_presents_on_nine_tenths_of_the_window_with_names_of_18_px() {
    for example in EXAMPLES {
        let (model, _) = file::from_str(example.text).expect("loads");
        let mut h = harness(WeirApp::from_model(model, None), PROJECTOR);
        h.run();
        press(&mut h, Key::F5);
        let share = canvas_share(&h);
        let (name, summary) = h.state().card_text_points();
        println!(
            "{}: canvas {:.1}% of 1280x720, names {name:.1} pt, summaries {summary:.1} pt",
            example.file,
            share * 100.0
        );
        assert!(
            share >= 0.9,
            "{}: the canvas has {:.1}% of the window",
            example.file,
            share * 100.0
        );
        let ppp = h.ctx.pixels_per_point();
        assert!(
            name * ppp >= 18.0,
            "{}: names at {:.1} px in presentation mode",
            example.file,
            name * ppp
        );
    }
}

#[test]
fn designs_are_compared_while_presenting() {
    let mut h = example_app("single-queue.ron");
    press(&mut h, Key::F5);
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("Compare designs…").click();
    h.run();
    h.get_by_role_and_label(Role::Button, "Compare").click();
    for _ in 0..3 {
        h.step();
    }
    assert!(
        h.query_by_role_and_label(Role::Button, "Compare").is_some(),
        "the window stays open while the designs run"
    );
    until(&mut h, "the comparison", |h| {
        h.query_by_label_contains("objective: Orders done within 250 ms")
            .is_some()
    });
    // The window keeps its size, on the screen, with the table in it.
    let title = |h: &Harness<'_, WeirApp>| h.get_by_label("Compare designs").rect();
    let before = title(&h);
    for _ in 0..30 {
        h.step();
    }
    assert_eq!(title(&h), before, "the window does not grow by itself");
    let screen = egui::Rect::from_min_size(egui::Pos2::ZERO, PROJECTOR.size);
    for label in [
        "Compare designs",
        "Save as picture…",
        "B − A (95 %)",
        "change",
    ] {
        let r = h.get_by_label(label).rect();
        assert!(screen.contains_rect(r), "{label} at {r:?}, off the screen");
    }
}
