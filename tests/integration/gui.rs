//! The designer, driven through `egui_kittest` over the real app: the same
//! `WeirApp` the window runs, fed pointer and key events, checked through
//! its model. No renderer is needed.

use eframe::egui::{self, Key, Modifiers, Pos2, Vec2};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::Model;
use sim_core::model::file;
use sim_core::nodes::Kind;
use weir::examples::EXAMPLES;
use weir::gui::WeirApp;

use crate::harness::{Window, drag, harness};

/// A model from a file may hold any text: a desktop draws it with its
/// system fonts.
const ANY_TEXT: Window = Window {
    size: Vec2::new(1280.0, 800.0),
    step_dt: None,
    any_text: true,
};

fn empty() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(Model::new("test"), None),
        Window::default(),
    );
    h.run();
    h
}

fn count(h: &Harness<'_, WeirApp>) -> (usize, usize) {
    let g = &h.state().model().graph;
    (g.node_count(), g.edge_count())
}

/// Adds a node by clicking its palette entry; returns its id.
fn add(h: &mut Harness<'_, WeirApp>, label: &str) -> String {
    let before: Vec<String> = h
        .state()
        .model()
        .graph
        .node_weights()
        .map(|n| n.id.clone())
        .collect();
    h.get_by_role_and_label(Role::Button, label).click();
    h.run();
    h.state()
        .model()
        .graph
        .node_weights()
        .map(|n| n.id.clone())
        .find(|id| !before.contains(id))
        .unwrap_or_else(|| panic!("clicking '{label}' in the palette adds a node"))
}

fn rect(h: &Harness<'_, WeirApp>, id: &str) -> egui::Rect {
    h.state()
        .node_screen_rect(id)
        .unwrap_or_else(|| panic!("node '{id}' is on the canvas"))
}

/// Drags from `from`'s output port onto the middle of `to`'s card.
fn connect(h: &mut Harness<'_, WeirApp>, from: &str, to: &str) {
    let a = rect(h, from);
    let b = rect(h, to);
    drag(h, a.right_center(), b.center());
}

fn click_at(h: &mut Harness<'_, WeirApp>, p: Pos2, modifiers: Modifiers) {
    h.hover_at(p);
    h.run();
    for pressed in [true, false] {
        h.event(egui::Event::PointerButton {
            pos: p,
            button: egui::PointerButton::Primary,
            pressed,
            modifiers,
        });
        h.run();
    }
}

#[test]
fn palette_adds_nodes_and_dragging_connects_them() {
    let mut h = empty();
    let producer = add(&mut h, "Producer");
    let queue = add(&mut h, "Queue");
    let consumer = add(&mut h, "Consumer");
    assert_eq!(count(&h), (3, 0), "three nodes, no edges yet");
    let (a, b) = (rect(&h, &producer), rect(&h, &queue));
    assert!(
        !a.intersects(b),
        "placed nodes do not cover each other: {a:?} {b:?}"
    );
    connect(&mut h, &producer, &queue);
    connect(&mut h, &queue, &consumer);
    let m = h.state().model();
    assert!(
        m.find_edge(&producer, &queue).is_some(),
        "producer → queue connected"
    );
    assert!(
        m.find_edge(&queue, &consumer).is_some(),
        "queue → consumer connected"
    );
    assert!(h.state().is_dirty(), "edits mark the document unsaved");
    assert!(h.state().title().starts_with('*'), "{}", h.state().title());
}

#[test]
fn an_invalid_connection_is_refused_with_the_reason() {
    let mut h = empty();
    let queue = add(&mut h, "Queue");
    let producer = add(&mut h, "Producer");
    connect(&mut h, &queue, &producer);
    assert_eq!(count(&h), (2, 0), "no edge into a producer");
    let notice = h
        .state()
        .notice()
        .expect("the refusal is explained")
        .to_owned();
    assert!(
        notice.contains("nothing can send to a producer"),
        "the kind rule's reason: {notice}"
    );
}

#[test]
fn editing_a_parameter_undo_and_redo() {
    let mut h = empty();
    let consumer = add(&mut h, "Consumer");
    // The new node is not selected; select it with a click.
    let r = rect(&h, &consumer);
    click_at(&mut h, r.center(), Modifiers::NONE);
    assert_eq!(h.state().selected_ids(), vec![consumer.clone()]);
    h.get_by_role_and_label(Role::SpinButton, "Instances")
        .set_value_accesskit(3.0);
    h.run();
    let instances = |h: &Harness<'_, WeirApp>| {
        let m = h.state().model();
        let n = m.find(&consumer).expect("still there");
        match &m.graph[n].kind {
            sim_core::nodes::NodeKind::Consumer(c) => c.instances,
            other => panic!("a consumer, not {other:?}"),
        }
    };
    assert_eq!(instances(&h), 3, "the inspector edited the model");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(instances(&h), 1, "ctrl+z undoes the edit");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::Z);
    h.run();
    assert_eq!(instances(&h), 3, "ctrl+shift+z redoes it");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::Y);
    h.run();
    assert_eq!(instances(&h), 3, "ctrl+y redoes too");
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(count(&h).0, 0, "undo also removes the added node");
}

#[test]
fn a_drag_moves_the_node_and_is_one_undo_step() {
    let mut h = empty();
    let sink = add(&mut h, "Sink");
    let start = h.state().model().graph[h.state().model().find(&sink).expect("added")].pos;
    let r = rect(&h, &sink);
    drag(&mut h, r.center(), r.center() + Vec2::new(200.0, 120.0));
    let m = h.state().model();
    let moved = m.graph[m.find(&sink).expect("still there")].pos;
    assert_ne!(moved, start, "the card moved");
    let p = moved.expect("placed");
    assert!(
        p[0] % 20.0 == 0.0 && p[1] % 20.0 == 0.0,
        "snapped to the grid: {p:?}"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    let m = h.state().model();
    assert_eq!(
        m.graph[m.find(&sink).expect("still there")].pos,
        start,
        "one undo takes the whole drag back"
    );
}

#[test]
fn deleting_a_node_removes_its_edges() {
    let (model, _) = file::from_str(EXAMPLES[0].text).expect("the default example loads");
    let mut h = harness(WeirApp::from_model(model, None), Window::default());
    h.run();
    let (nodes, edges) = count(&h);
    let m = h.state().model();
    let queue = m
        .graph
        .node_weights()
        .find(|n| n.kind.kind() == Kind::Queue)
        .expect("the example has a queue")
        .id
        .clone();
    let touching = m
        .graph
        .edge_indices()
        .filter(|&e| {
            let (a, b) = m.graph.edge_endpoints(e).expect("live edge");
            m.graph[a].id == queue || m.graph[b].id == queue
        })
        .count();
    assert!(touching > 0, "the queue has edges");
    let r = rect(&h, &queue);
    click_at(&mut h, r.center(), Modifiers::NONE);
    h.key_press(Key::Delete);
    h.run();
    assert_eq!(
        count(&h),
        (nodes - 1, edges - touching),
        "the node and its edges went"
    );
    assert!(h.state().model().find(&queue).is_none());
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(count(&h), (nodes, edges), "undo brings them back");
}

#[test]
fn box_select_and_duplicate() {
    let (model, _) = file::from_str(EXAMPLES[1].text).expect("pipeline loads");
    let mut h = harness(WeirApp::from_model(model, None), ANY_TEXT);
    h.run();
    let (nodes, edges) = count(&h);
    h.key_press_modifiers(Modifiers::COMMAND, Key::A);
    h.run();
    assert_eq!(h.state().selected_ids().len(), nodes, "select all");
    h.key_press_modifiers(Modifiers::COMMAND, Key::D);
    h.run();
    assert_eq!(
        count(&h),
        (2 * nodes, 2 * edges),
        "duplicate copies the nodes and the edges between them"
    );
    assert_eq!(
        h.state().selected_ids().len(),
        nodes,
        "the copies are selected"
    );
}

#[test]
fn save_and_reopen_round_trips() {
    let (model, _) = file::from_str(EXAMPLES[2].text).expect("the example loads");
    let mut h = harness(WeirApp::from_model(model, None), Window::default());
    h.run();
    add(&mut h, "Dead-letter queue");
    let dir = std::env::temp_dir().join(format!("weir-gui-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let path = dir.join("saved.ron");
    h.state_mut().save_to(&path).expect("saving works");
    h.run();
    assert!(!h.state().is_dirty(), "saved");
    assert_eq!(
        h.state().title(),
        "saved.ron — Weir",
        "title without a mark"
    );
    let text = std::fs::read_to_string(&path).expect("the file exists");
    let (reopened, _) = file::from_str(&text).expect("the saved file loads");
    assert!(
        reopened.same_as(h.state().model()),
        "the model round-trips equal"
    );
    let mut again = harness(
        WeirApp::from_model(reopened, Some(path.clone())),
        Window::default(),
    );
    again.run();
    again.state_mut().open_path(&path);
    again.run();
    assert!(again.state().model().same_as(h.state().model()));
    assert!(!again.state().is_dirty(), "an opened file is clean");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn every_bundled_example_opens_without_errors() {
    let mut h = harness(WeirApp::from_model(Model::new("test"), None), ANY_TEXT);
    for example in EXAMPLES {
        h.state_mut().open_example(*example);
        h.run();
        let errors: Vec<String> = h
            .state()
            .diagnostics()
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        assert!(errors.is_empty(), "{}: {errors:?}", example.file);
        assert!(h.state().model().graph.node_count() > 0, "{}", example.file);
        for n in h.state().model().graph.node_weights() {
            assert!(n.pos.is_some(), "{}: '{}' has a place", example.file, n.id);
        }
    }
}

#[test]
fn the_gallery_opens_an_example() {
    let mut h = harness(WeirApp::from_model(Model::new("test"), None), ANY_TEXT);
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::G);
    h.run();
    crate::start_page::click_card(&mut h, "Three-stage pipeline");
    h.run();
    assert_eq!(h.state().model().name, "Three-stage pipeline");
    assert!(!h.state().is_dirty(), "an example opens unmodified");
}

/// Frame CPU time (the app's UI pass plus tessellation) with 500 nodes,
/// while panning and while dragging a node. Run in release:
/// `cargo test --release -p weir-tests --test integration frame_time -- --ignored --nocapture`
/// (with `WEIR_FRAME_BUDGET=1` it fails above 8 ms a frame).
#[test]
#[ignore = "a measurement; run in release with --ignored --nocapture"]
fn frame_time_with_500_nodes() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::big_model(100), None),
        Window::default(),
    );
    h.run();
    assert_eq!(count(&h).0, 500);
    let measure = |h: &mut Harness<'_, WeirApp>, label: &str, moves: &[Pos2]| {
        let mut times = Vec::new();
        for &p in moves {
            h.hover_at(p);
            let start = std::time::Instant::now();
            h.step();
            let output = h.output().clone();
            let primitives = h.ctx.tessellate(output.shapes, output.pixels_per_point);
            times.push(start.elapsed().as_secs_f64() * 1e3);
            assert!(!primitives.is_empty(), "something was drawn");
        }
        times.sort_by(f64::total_cmp);
        #[expect(clippy::cast_precision_loss, reason = "a small count")]
        let mean = times.iter().sum::<f64>() / times.len() as f64;
        let p95 = times[times.len() * 95 / 100];
        println!(
            "{label}: mean {mean:.2} ms, p95 {p95:.2} ms over {} frames",
            times.len()
        );
        mean
    };
    let centre = Pos2::new(560.0, 400.0);
    #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
    let path: Vec<Pos2> = (0..120)
        .map(|i| {
            centre
                + Vec2::new(
                    (i as f32 * 0.1).sin() * 200.0,
                    (i as f32 * 0.07).cos() * 150.0,
                )
        })
        .collect();
    // Everything in view (zoomed to fit), panning by dragging empty space.
    h.drag_at(Pos2::new(190.0, 90.0));
    let pan_fit = measure(&mut h, "pan, all 500 in view", &path);
    h.drop_at(Pos2::new(190.0, 90.0));
    h.run();
    // Zoomed in to about 100%: cards with text.
    for _ in 0..9 {
        h.event(egui::Event::Zoom(1.25));
    }
    h.hover_at(centre);
    h.run();
    h.drag_at(Pos2::new(190.0, 90.0));
    let pan_near = measure(&mut h, "pan, zoomed in", &path);
    h.drop_at(Pos2::new(190.0, 90.0));
    h.run();
    // Dragging a node, framed in the middle of the view.
    let id = "n40-2".to_owned();
    h.state_mut().frame_node(&id);
    h.run();
    let r = rect(&h, &id);
    let before = h
        .state()
        .model()
        .find(&id)
        .map(|n| h.state().model().graph[n].pos);
    h.hover_at(r.center());
    h.run();
    h.drag_at(r.center());
    h.run();
    let drag = measure(&mut h, "drag a node", &path);
    h.drop_at(r.center());
    h.run();
    let after = h
        .state()
        .model()
        .find(&id)
        .map(|n| h.state().model().graph[n].pos);
    assert_ne!(before, after, "the node was dragged");
    // NOTE: timing on a shared machine is noisy; the budget is enforced
    // only when asked for, on a quiet machine.
    if std::env::var_os("WEIR_FRAME_BUDGET").is_some() {
        for (what, ms) in [
            ("pan (fit)", pan_fit),
            ("pan (near)", pan_near),
            ("drag", drag),
        ] {
            assert!(
                ms < 8.0,
                "{what}: {ms:.2} ms per frame, over the 8 ms budget"
            );
        }
    }
}

#[test]
fn copy_in_one_window_and_paste_in_another() {
    let (model, _) = file::from_str(EXAMPLES[0].text).expect("the default example loads");
    let mut source = harness(WeirApp::from_model(model, None), Window::default());
    source.run();
    source.key_press_modifiers(Modifiers::COMMAND, Key::A);
    source.event(egui::Event::Copy);
    source.step();
    let copied = source
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .expect("copy puts the selection on the clipboard");
    let mut target = empty();
    target.event(egui::Event::Paste(copied));
    target.run();
    let (a, b) = (source.state().model(), target.state().model());
    assert_eq!(
        b.graph.node_count(),
        a.graph.node_count(),
        "every node pasted"
    );
    assert_eq!(
        b.graph.edge_count(),
        a.graph.edge_count(),
        "and the edges between them"
    );
    target.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    target.run();
    assert_eq!(count(&target), (0, 0), "a paste is one undo step");
}

#[test]
fn f2_renames_the_selected_node_on_its_card() {
    let mut h = empty();
    let queue = add(&mut h, "Queue");
    h.state_mut().select_ids(&[&queue]);
    h.key_press(Key::F2);
    h.run();
    // The whole name is selected: typing replaces it.
    h.event(egui::Event::Text("Orders".to_owned()));
    h.key_press(Key::Enter);
    h.run();
    let m = h.state().model();
    let n = m.find(&queue).expect("the id stays");
    assert_eq!(
        m.graph[n].name.as_deref(),
        Some("Orders"),
        "renamed in place"
    );
}

#[test]
fn opening_with_unsaved_changes_asks_first() {
    let mut h = harness(WeirApp::from_model(Model::new("test"), None), ANY_TEXT);
    h.run();
    add(&mut h, "Queue");
    assert!(h.state().is_dirty());
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::G);
    h.run();
    crate::start_page::click_card(&mut h, "Three-stage pipeline");
    h.run();
    assert_eq!(h.state().model().name, "test", "nothing replaced yet");
    h.get_by_label("Cancel").click();
    h.run();
    assert_eq!(
        h.state().model().graph.node_count(),
        1,
        "cancel keeps the work"
    );
    crate::start_page::click_card(&mut h, "Three-stage pipeline");
    h.run();
    h.get_by_label("Don't save").click();
    h.run();
    assert_eq!(h.state().model().name, "Three-stage pipeline");
    assert!(!h.state().is_dirty());
}

/// Whether no desktop session is there to show a native file dialog, which
/// then returns `None` at once, as if cancelled. Tests that click a button
/// opening one run only then: on a desktop the dialog would wait for a
/// person.
pub fn no_desktop() -> bool {
    ["DISPLAY", "WAYLAND_DISPLAY", "DBUS_SESSION_BUS_ADDRESS"]
        .iter()
        .all(|var| std::env::var_os(var).is_none())
}

#[test]
fn file_dialogs_open_after_drawing_and_a_cancelled_one_changes_nothing() {
    if !no_desktop() {
        return;
    }
    let mut h = harness(WeirApp::from_model(Model::new("test"), None), ANY_TEXT);
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::G);
    h.run();
    h.get_by_label("Open a file…").click();
    h.run();
    assert_eq!(h.state().model().name, "test", "no file was picked");
    assert!(
        h.query_by_label("Something went wrong").is_none(),
        "a cancelled dialog is no error"
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Three-stage pipeline")
            .is_some(),
        "the start screen stays"
    );

    // The start page fills the window: back to the canvas to edit.
    h.key_press(Key::Escape);
    h.run();
    add(&mut h, "Queue");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::G);
    h.run();
    crate::start_page::click_card(&mut h, "Three-stage pipeline");
    h.run();
    h.get_by_label("Save").click();
    h.run();
    assert_eq!(
        h.state().model().name,
        "test",
        "saving an untitled model asks where; cancelled, nothing is replaced"
    );
    assert!(h.state().is_dirty(), "and nothing was saved");
    h.get_by_label("Don't save").click();
    h.run();
    assert_eq!(
        h.state().model().name,
        "Three-stage pipeline",
        "the question was still open"
    );
}

#[test]
fn the_inspector_edits_scaling_and_the_circuit_breaker() {
    use sim_core::nodes::NodeKind;
    let mut h = empty();
    let consumer = add(&mut h, "Consumer");
    let r = rect(&h, &consumer);
    click_at(&mut h, r.center(), Modifiers::NONE);
    let params = |h: &Harness<'_, WeirApp>| {
        let m = h.state().model();
        match &m.graph[m.find(&consumer).expect("still there")].kind {
            NodeKind::Consumer(c) => c.clone(),
            other => panic!("a consumer, not {other:?}"),
        }
    };
    assert!(params(&h).autoscale.is_none() && params(&h).serverless.is_none());

    h.get_by_role_and_label(Role::ComboBox, "Scaling").click();
    h.run();
    h.get_by_label("autoscaled").click();
    h.run();
    let a = params(&h)
        .autoscale
        .expect("choosing autoscaled adds a policy");
    assert!(a.min <= a.max, "a valid default range: {a:?}");
    h.get_by_role_and_label(Role::SpinButton, "Start-up delay")
        .set_value_accesskit(45.0);
    h.run();
    assert_eq!(
        params(&h).autoscale.expect("still autoscaled").startup,
        sim_core::time::Duration::from_secs(45),
        "the start-up delay is edited"
    );

    h.get_by_role_and_label(Role::ComboBox, "Scaling").click();
    h.run();
    h.get_by_label("serverless function").click();
    h.run();
    let c = params(&h);
    assert!(c.autoscale.is_none(), "a function does not also autoscale");
    assert!(
        c.serverless.is_some(),
        "choosing serverless makes a function"
    );
    assert!(
        c.problems().is_empty(),
        "the defaults are valid: {:?}",
        c.problems()
    );

    h.get_by_role_and_label(Role::CheckBox, "Circuit breaker")
        .click();
    h.run();
    let b = params(&h).breaker.expect("ticking the box adds a breaker");
    assert!(
        b.problems().is_empty(),
        "valid defaults: {:?}",
        b.problems()
    );
    h.get_by_role_and_label(Role::SpinButton, "Half-open probes")
        .set_value_accesskit(5.0);
    h.run();
    assert_eq!(params(&h).breaker.expect("kept").probes, 5);
    h.key_press_modifiers(Modifiers::COMMAND, Key::Z);
    h.run();
    assert_eq!(
        params(&h).breaker.expect("kept").probes,
        3,
        "undo works here too"
    );
}

/// Whether every node is on the canvas and the drawing is centred across
/// it, with the room below it that a live run's marks take.
fn everything_framed(h: &Harness<'_, WeirApp>) -> bool {
    let canvas = h.state().canvas_rect();
    let drawing = h
        .state()
        .model()
        .graph
        .node_weights()
        .filter_map(|n| h.state().node_screen_rect(&n.id))
        .fold(egui::Rect::NOTHING, egui::Rect::union);
    let (above, below) = (
        drawing.top() - canvas.top(),
        canvas.bottom() - drawing.bottom(),
    );
    canvas.contains_rect(drawing)
        && (drawing.center().x - canvas.center().x).abs() < 1.0
        && below >= above - 1.0
}

fn toggle_presentation(h: &mut Harness<'_, WeirApp>) {
    h.get_by_label("View").click();
    h.run();
    h.get_by_label("Presentation mode").click();
    h.run();
    // The menu closes with a click elsewhere (the top bar's title).
    h.get_by_label("View").click();
    h.run();
    h.get_by_label("View").click();
    h.run();
}

#[test]
fn presentation_mode_frames_every_node_as_it_comes_and_goes() {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == "kafka-consumer-lag.ron")
        .expect("the example is bundled");
    let (model, _) = file::from_str(example.text).expect("loads");
    let mut h = harness(WeirApp::from_model(model, None), Window::default());
    h.run();
    assert!(everything_framed(&h), "a file opens framed");
    // The user looks closely at one corner of it.
    h.state_mut().frame_node("orders");
    h.run();
    assert!(!everything_framed(&h), "the view moved");

    toggle_presentation(&mut h);
    assert!(h.state().prefs().presentation);
    assert!(
        everything_framed(&h),
        "entering presentation mode frames it all"
    );

    h.state_mut().frame_node("orders");
    h.run();
    toggle_presentation(&mut h);
    assert!(!h.state().prefs().presentation);
    assert!(everything_framed(&h), "leaving it frames it all again");
}

#[test]
fn a_card_cut_short_shows_its_whole_name_on_hover() {
    let long = "Payment authorisation and fraud screening";
    let text = format!(
        r#"(version: 1, name: "names",
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 10.0)), pos: (0.0, 0.0)),
                (id: "auth", name: "{long}", kind: Sink(), pos: (300.0, 0.0)),
            ],
            edges: [(from: "src", to: "auth")])"#
    );
    let model = file::from_str(&text).expect("loads").0;
    let mut h = harness(WeirApp::from_model(model, None), Window::default());
    h.run();
    assert!(
        h.query_by_label(long).is_none(),
        "the card shows the name cut short"
    );
    h.hover_at(rect(&h, "auth").center());
    h.run();
    assert!(h.query_by_label(long).is_some(), "hovering shows it whole");
    // A card that shows all it has has nothing to add on hover.
    h.hover_at(rect(&h, "src").center());
    h.run();
    assert!(h.query_by_label(long).is_none());
    assert!(h.query_by_label("src").is_none(), "no hover text for src");
}

#[test]
fn the_scenario_warm_up_is_automatic_until_set() {
    let mut h = empty();
    assert_eq!(
        h.state().model().scenario.warmup,
        None,
        "a new model finds it"
    );
    h.get_by_role_and_label(Role::CheckBox, "Warm-up").click();
    h.run();
    let scenario = &h.state().model().scenario;
    assert_eq!(
        scenario.warmup,
        Some(sim_core::time::Duration(scenario.duration.0 / 10)),
        "unticked, a tenth of the run to start from"
    );
    h.get_by_role_and_label(Role::CheckBox, "Warm-up").click();
    h.run();
    assert_eq!(
        h.state().model().scenario.warmup,
        None,
        "ticked again: found"
    );
}
