//! The drawing reads in a meeting room: at Fit, every bundled example's
//! card text is large enough and in strong enough contrast, the drawing
//! fills the canvas, links are long enough to read and their labels keep
//! off the cards; new nodes from the palette land where a chain reads.

use eframe::egui::{self, Pos2, Rect, Vec2, vec2};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::Model;
use sim_core::model::file;
use weir::examples::EXAMPLES;
use weir::gui::WeirApp;
use weir::gui::canvas::{
    CARD_MIN_WIDTH, card_colors, card_rect, card_text_at, contrast_ratio, drawing_bounds,
    edge_label_rect, fit_view,
};

use crate::harness::{Window, drag, harness};

const ANY_TEXT: Window = Window {
    size: Vec2::new(1280.0, 800.0),
    step_dt: None,
    any_text: true,
};

fn model_of(file_name: &str) -> Model {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == file_name)
        .expect("the example is bundled");
    file::from_str(example.text).expect("loads").0
}

/// The drawing's share of the canvas in its tighter dimension.
fn fill(h: &Harness<'_, WeirApp>) -> f32 {
    let canvas = h.state().canvas_rect();
    let drawing = h
        .state()
        .model()
        .graph
        .node_weights()
        .filter_map(|n| h.state().node_screen_rect(&n.id))
        .fold(Rect::NOTHING, Rect::union);
    (drawing.width() / canvas.width()).max(drawing.height() / canvas.height())
}

#[test]
fn every_example_at_fit_has_legible_text_and_fills_the_canvas() {
    let mut h = harness(WeirApp::from_model(Model::new("t"), None), ANY_TEXT);
    h.run();
    let mut report = Vec::new();
    for example in EXAMPLES {
        h.state_mut().open_example(*example);
        h.run();
        let ppp = h.ctx.pixels_per_point();
        let (name, summary) = h.state().card_text_points();
        let (name, summary) = (name * ppp, summary * ppp);
        let fill = fill(&h);
        report.push(format!(
            "{:<28} name {name:5.1} px  summary {summary:5.1} px  fill {:3.0}%",
            example.file,
            fill * 100.0
        ));
        if summary == 0.0 {
            assert!(name >= 14.0, "{}: name only, at {name} px", example.file);
        } else {
            assert!(name >= 13.0, "{}: names at {name} px", example.file);
            assert!(
                summary >= 11.0,
                "{}: summaries at {summary} px",
                example.file
            );
        }
        assert!(fill >= 0.7, "{}: the drawing fills {fill}", example.file);
    }
    println!("{}", report.join("\n"));
}

#[test]
fn card_text_contrast_meets_wcag_aa_in_both_themes() {
    for dark in [false, true] {
        let c = card_colors(dark);
        let name = contrast_ratio(c.name, c.fill);
        let summary = contrast_ratio(c.summary, c.fill);
        assert!(name >= 4.5, "dark {dark}: name contrast {name}");
        assert!(summary >= 4.5, "dark {dark}: summary contrast {summary}");
        assert_ne!(c.hover, c.name, "hover is its own cue");
    }
    // The ratio itself: black on white is 21:1, a colour on itself 1:1.
    let bw = contrast_ratio(egui::Color32::BLACK, egui::Color32::WHITE);
    assert!((bw - 21.0).abs() < 0.01, "{bw}");
    let same = contrast_ratio(egui::Color32::GRAY, egui::Color32::GRAY);
    assert!((same - 1.0).abs() < 0.001);
}

#[test]
fn far_out_cards_show_their_name_only_and_larger() {
    let (name, summary) = card_text_at(1.0);
    assert!(summary >= 10.0 && name > summary);
    let (far_name, far_summary) = card_text_at(0.6);
    assert_eq!(far_summary, 0.0, "no summary below 10 points");
    assert!(far_name > name * 0.6, "the name grows when alone");
}

#[test]
fn arranged_links_are_a_card_wide_and_labels_keep_off_cards() {
    for example in EXAMPLES {
        let model = model_of(example.file);
        let rects: Vec<Rect> = model.graph.node_weights().map(card_rect).collect();
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                assert!(!a.intersects(*b), "{}: cards overlap", example.file);
            }
        }
        for e in model.graph.edge_indices() {
            let (a, b) = model.graph.edge_endpoints(e).expect("an edge");
            let (ra, rb) = (card_rect(&model.graph[a]), card_rect(&model.graph[b]));
            if rb.left() > ra.left() {
                assert!(
                    rb.left() - ra.right() >= CARD_MIN_WIDTH,
                    "{}: link {} → {} is {} long",
                    example.file,
                    model.graph[a].id,
                    model.graph[b].id,
                    rb.left() - ra.right()
                );
            }
            if let Some(label) = edge_label_rect(&model, e) {
                for r in &rects {
                    assert!(
                        !label.intersects(*r),
                        "{}: the label of {} → {} lies on a card",
                        example.file,
                        model.graph[a].id,
                        model.graph[b].id
                    );
                }
            }
        }
    }
}

/// Presentation mode at 1280×720: the canvas gets about 1280×660 pixels at
/// 1.5 pixels per point. Arranged for that canvas, names are at least 18
/// pixels tall at Fit.
#[test]
fn presentation_canvas_shows_names_at_18_px() {
    let ppp = 1.5;
    let canvas_px = vec2(1280.0, 660.0);
    let canvas = canvas_px / ppp;
    let mut report = Vec::new();
    for example in EXAMPLES {
        let mut model = model_of(example.file);
        model
            .apply(weir::gui::layout::arrange_for(&model, canvas))
            .expect("moves apply");
        let (zoom, offset) = fit_view(canvas, &model, true);
        let name = card_text_at(zoom).0 * ppp;
        let bounds = drawing_bounds(&model);
        let on_screen = Rect::from_min_size(
            Pos2::ZERO + offset + bounds.min.to_vec2() * zoom,
            bounds.size() * zoom,
        );
        report.push(format!("{:<28} name {name:5.1} px", example.file));
        assert!(name >= 18.0, "{}: names at {name} px", example.file);
        assert!(
            Rect::from_min_size(Pos2::ZERO, canvas).contains_rect(on_screen.shrink(0.5)),
            "{}: framed",
            example.file
        );
    }
    println!("{}", report.join("\n"));
}

/// Arrange lays the model out for the canvas it is shown on: piled up in
/// one corner, the pipeline reads again at Fit in a 1280×800 window (names
/// 13 px, summaries 11 px) and in a 1024×700 one, where the canvas is
/// little more than half as wide (12 px and 10 px), its links at least a
/// card wide.
#[test]
fn arrange_lays_out_for_the_window_it_is_in() {
    for (size, min_name, min_summary) in [
        (vec2(1280.0, 800.0), 13.0, 11.0),
        (vec2(1024.0, 700.0), 12.0, 10.0),
    ] {
        let mut model = model_of("pipeline.ron");
        let ids: Vec<String> = model.graph.node_weights().map(|n| n.id.clone()).collect();
        for id in ids {
            model
                .apply(sim_core::model::ModelCommand::MoveNode {
                    id,
                    pos: Some([0.0, 0.0]),
                })
                .expect("moves");
        }
        let window = Window { size, ..ANY_TEXT };
        let mut h = harness(WeirApp::from_model(model, None), window);
        h.run();
        h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::L);
        h.run();
        h.run();
        let ppp = h.ctx.pixels_per_point();
        let (name, summary) = h.state().card_text_points();
        println!(
            "{size:?}: name {:.1} px, summary {:.1} px",
            name * ppp,
            summary * ppp
        );
        assert!(
            name * ppp >= min_name,
            "{size:?}: names at {} px",
            name * ppp
        );
        assert!(
            summary * ppp >= min_summary,
            "{size:?}: summaries at {} px",
            summary * ppp
        );
        let model = h.state().model();
        for e in model.graph.edge_indices() {
            let (a, b) = model.graph.edge_endpoints(e).expect("an edge");
            let (ra, rb) = (card_rect(&model.graph[a]), card_rect(&model.graph[b]));
            assert!(!ra.intersects(rb));
            if rb.left() > ra.left() {
                assert!(rb.left() - ra.right() >= CARD_MIN_WIDTH);
            }
        }
    }
}

#[test]
fn click_to_place_puts_each_node_right_of_the_selection() {
    let mut h = harness(
        WeirApp::from_model(Model::new("t"), None),
        Window::default(),
    );
    h.run();
    let mut ids = Vec::new();
    for label in ["Producer", "Queue", "Consumer"] {
        let before: Vec<String> = h
            .state()
            .model()
            .graph
            .node_weights()
            .map(|n| n.id.clone())
            .collect();
        h.get_by_role_and_label(Role::Button, label).click();
        h.run();
        let id = h
            .state()
            .model()
            .graph
            .node_weights()
            .map(|n| n.id.clone())
            .find(|id| !before.contains(id))
            .expect("a node was added");
        h.state_mut().select_ids(&[id.as_str()]);
        h.run();
        ids.push(id);
    }
    let model = h.state().model();
    let rect = |id: &str| card_rect(&model.graph[model.find(id).expect("exists")]);
    for pair in ids.windows(2) {
        let (a, b) = (rect(&pair[0]), rect(&pair[1]));
        assert!(
            b.left() >= a.right() + CARD_MIN_WIDTH,
            "{b:?} right of {a:?}"
        );
        assert!((b.top() - a.top()).abs() < 1.0, "on the same row");
    }
}

#[test]
fn a_drop_from_the_palette_adds_one_node() {
    let mut h = harness(
        WeirApp::from_model(model_of("single-queue.ron"), None),
        ANY_TEXT,
    );
    h.run();
    let before = h.state().model().graph.node_count();
    let from = h
        .get_by_role_and_label(Role::Button, "Sink")
        .rect()
        .center();
    let canvas = h.state().canvas_rect();
    let to = canvas.center() + vec2(0.0, canvas.height() * 0.35);
    drag(&mut h, from, to);
    assert_eq!(h.state().model().graph.node_count(), before + 1);
}

#[test]
fn a_drop_onto_a_card_places_the_new_node_beside_it_not_on_top() {
    let mut h = harness(
        WeirApp::from_model(model_of("single-queue.ron"), None),
        ANY_TEXT,
    );
    h.run();
    let before = h.state().model().graph.node_count();
    let from = h
        .get_by_role_and_label(Role::Button, "Sink")
        .rect()
        .center();
    let target = h.state().node_screen_rect("done").expect("on screen");
    drag(&mut h, from, target.center());
    let model = h.state().model();
    assert_eq!(model.graph.node_count(), before + 1, "one node per drop");
    let rects: Vec<Rect> = model.graph.node_weights().map(card_rect).collect();
    for (i, a) in rects.iter().enumerate() {
        for b in &rects[i + 1..] {
            assert!(!a.intersects(*b), "the new card lies on another");
        }
    }
}
