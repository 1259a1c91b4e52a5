//! Pictures of the canvas (issue 6): every example draws as SVG that an
//! SVG library reads back and as a PNG whose cards are where the model puts
//! them; the same model always gives the same bytes; a golden SVG.
//!
//! Regenerate the golden picture after an intended change to the canvas
//! with `UPDATE_GOLDEN=1 cargo test -p weir-tests --test integration picture`.

use std::path::Path;

use resvg::tiny_skia::Pixmap;
use sim_core::Model;
use sim_core::model::file;
use weir::examples::EXAMPLES;
use weir::picture::{Look, canvas_png, canvas_svg};

fn examples() -> Vec<(&'static str, Model)> {
    EXAMPLES
        .iter()
        .map(|e| (e.file.trim_end_matches(".ron"), weir_tests::model(e.text)))
        .collect()
}

/// The drawing's bounding box, as the canvas lays it out: its cards and
/// the lanes of links routed around them.
fn card_bounds(model: &Model) -> (f32, f32, f32, f32) {
    for node in model.graph.node_weights() {
        assert!(node.pos.is_some(), "examples have positions");
    }
    let r = weir::gui::canvas::drawing_bounds(model);
    (r.left(), r.top(), r.right(), r.bottom())
}

#[test]
fn every_example_draws_as_svg_that_reads_back() {
    for (name, model) in examples() {
        let svg = canvas_svg(&model, Look::Light);
        let tree = resvg::usvg::Tree::from_str(&svg, &resvg::usvg::Options::default())
            .unwrap_or_else(|e| panic!("{name}: the SVG does not parse: {e}"));
        let (x0, y0, x1, y1) = card_bounds(&model);
        let size = tree.size();
        assert_eq!(
            (size.width(), size.height()),
            ((x1 - x0 + 120.0).ceil(), (y1 - y0 + 120.0).ceil()),
            "{name}: the picture is the drawing plus a 60-point margin"
        );
        for node in model.graph.node_weights() {
            // Long names are shortened on the card: look for their start.
            let label: String = node.label().chars().take(8).collect();
            assert!(
                svg.contains(&label),
                "{name}: node '{}' is not labelled in the SVG",
                node.id
            );
        }
        assert!(
            svg.matches("<path d=\"M").count() + svg.matches("<polyline").count()
                >= model.graph.edge_count(),
            "{name}: every edge is a curve, or a line routed around cards"
        );
        assert_eq!(
            svg,
            canvas_svg(&model, Look::Light),
            "{name}: drawing twice gives other bytes"
        );
    }
}

#[test]
fn png_shows_each_card_where_the_model_puts_it() {
    let (name, model) = examples()
        .into_iter()
        .find(|(name, _)| *name == "pubsub-fanout")
        .expect("the example exists");
    let scale = 2.0;
    for look in [Look::Light, Look::Dark] {
        let png = canvas_png(&model, look, scale).expect("the canvas rasterises");
        let image = Pixmap::decode_png(&png).expect("a valid PNG");
        let (x0, y0, x1, _) = card_bounds(&model);
        assert_eq!(
            image.width(),
            ((x1 - x0 + 120.0).ceil() * scale) as u32,
            "{name}: width at scale {scale}"
        );
        let background = image.pixel(2, 2).expect("corner pixel");
        for node in model.graph.node_weights() {
            let card = weir::gui::canvas::card_rect(node);
            // A point inside the card, near its lower right corner.
            let px = ((card.right() - x0 + 60.0 - 14.0) * scale) as u32;
            let py = ((card.bottom() - y0 + 60.0 - 4.0) * scale) as u32;
            let inside = image.pixel(px, py).expect("inside the image");
            assert_ne!(
                (inside.red(), inside.green(), inside.blue()),
                (background.red(), background.green(), background.blue()),
                "{name} ({look:?}): no card drawn for '{}' at ({px}, {py})",
                node.id
            );
        }
        let colours: std::collections::BTreeSet<[u8; 3]> = image
            .pixels()
            .iter()
            .map(|p| [p.red(), p.green(), p.blue()])
            .collect();
        assert!(
            colours.len() > 50,
            "{name} ({look:?}): text and icons are drawn, not just flat boxes ({} colours)",
            colours.len()
        );
    }
}

#[test]
fn a_model_without_positions_is_laid_out_and_an_empty_one_draws() {
    let (model, _) = file::from_str(
        r#"(version: 1, name: "bare", nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 10.0))), (id: "q", kind: Queue()),
            (id: "work", kind: Consumer(service: Exponential(mean: "10ms"))), (id: "out", kind: Sink())],
          edges: [(from: "src", to: "q"), (from: "q", to: "work"), (from: "work", to: "out")])"#,
    )
    .expect("loads");
    let svg = canvas_svg(&model, Look::Dark);
    for id in ["src", "q", "work", "out"] {
        assert!(svg.contains(&format!(">{id}<")), "'{id}' drawn");
    }
    let empty = canvas_svg(&Model::new("empty"), Look::Light);
    resvg::usvg::Tree::from_str(&empty, &resvg::usvg::Options::default())
        .expect("an empty canvas is still a picture");
    assert!(canvas_png(&Model::new("empty"), Look::Light, 1.0).is_ok());
}

#[test]
fn golden_svg_matches() {
    let (_, model) = examples()
        .into_iter()
        .find(|(name, _)| *name == "pubsub-fanout")
        .expect("the example exists");
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("golden/pubsub-fanout/pubsub-fanout.svg");
    let svg = canvas_svg(&model, Look::Light);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &svg).expect("golden written");
        return;
    }
    let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
        panic!(
            "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test -p weir-tests --test integration picture",
            path.display()
        )
    });
    assert!(
        svg == want,
        "the canvas SVG differs from {}; if intended, regenerate with UPDATE_GOLDEN=1 and review",
        path.display()
    );
}

#[test]
fn file_export_writes_in_the_background_and_says_where() {
    use eframe::egui::Vec2;
    use weir::exports::Target;
    use weir::gui::WeirApp;

    let model = weir_tests::model(EXAMPLES[0].text);
    let mut h = egui_kittest::Harness::builder()
        .with_size(Vec2::new(1280.0, 800.0))
        .with_accessibility_check(false)
        .build_eframe(|_| WeirApp::from_model(model, None));
    h.run();
    let dir = std::env::temp_dir().join(format!("weir-export-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    for (target, head) in [
        (Target::Svg, &b"<svg"[..]),
        (Target::Png, &b"\x89PNG"[..]),
        (Target::Text(sim_core::export::Format::Dot), &b"// "[..]),
        (Target::Text(sim_core::export::Format::Csv), &b"node,"[..]),
        (Target::Html, &b"<!DOCTYPE html>"[..]),
    ] {
        let path = dir.join(format!("out.{}", target.extension()));
        let ctx = h.ctx.clone();
        h.state_mut().export_to(&ctx, target, path.clone());
        for _ in 0..600 {
            if !h.state().is_exporting() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
            h.step();
        }
        h.step();
        assert!(!h.state().is_exporting(), "{target}: the export finishes");
        let bytes = std::fs::read(&path).unwrap_or_else(|e| panic!("{target}: {e}"));
        assert!(
            bytes.starts_with(head),
            "{target}: the file starts as the format does"
        );
        let notice = h.state().notice().unwrap_or_default();
        assert!(
            notice.contains(&path.display().to_string()),
            "{target}: the window says where the file went (notice: {notice:?})"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn file_menu_lists_every_export() {
    use eframe::egui::Vec2;
    use egui_kittest::kittest::Queryable;
    use weir::exports::Target;
    use weir::gui::WeirApp;

    let model = weir_tests::model(EXAMPLES[0].text);
    let mut h = egui_kittest::Harness::builder()
        .with_size(Vec2::new(1280.0, 800.0))
        .with_accessibility_check(false)
        .build_eframe(|_| WeirApp::from_model(model, None));
    h.run();
    h.get_by_label("File").click();
    h.run();
    h.get_by_label("Export").hover();
    h.run();
    for target in Target::all() {
        assert!(
            h.query_by_label(&target.label()).is_some(),
            "File → Export offers {target}"
        );
    }
}
