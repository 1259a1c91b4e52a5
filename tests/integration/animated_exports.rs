//! The animated live view (GIF) and the self-contained HTML report: the
//! GIF decodes with the frames asked for, at the canvas's size, changing
//! as the run advances and the same bytes every time; the page holds the
//! verdicts, the model's names escaped, inline pictures and nothing
//! fetched from elsewhere.

use std::process::Command;

use sim_core::Model;
use sim_core::time::Duration;
use weir::animation::{GifOptions, record};
use weir::picture::Look;

use crate::cli::{weir, workspace};

/// A busy little pipeline with a name that needs escaping everywhere.
const MODEL: &str = r#"(
    version: 1,
    name: "Orders <EU> & \"friends\"",
    scenario: (duration: "20s", warmup: "1s", seed: 7, replications: 3),
    nodes: [
        (id: "src", name: "Shop <web> & app", kind: Producer(arrival: Poisson(rate: 60.0)), pos: (40.0, 40.0)),
        (id: "q", name: "Order queue", kind: Queue(capacity: 50), pos: (300.0, 40.0)),
        (id: "worker", name: "Worker 'A'", kind: Consumer(service: Exponential(mean: "14ms")), pos: (40.0, 180.0)),
        (id: "done", name: "Done", kind: Sink(), pos: (300.0, 180.0)),
    ],
    edges: [
        (from: "src", to: "q"),
        (from: "q", to: "worker"),
        (from: "worker", to: "done"),
    ],
    slos: [
        (name: "Fast <enough>", on: Node("done"), objective: Latency(percentile: 99.0, max: "5s")),
        (name: "Impossible throughput", on: Node("worker"), objective: Throughput(min: 5000.0)),
    ],
)"#;

fn model() -> Model {
    weir_tests::model(MODEL)
}

fn options(from_s: u64, to_s: u64, fps: u32) -> GifOptions {
    GifOptions {
        from: Duration::from_secs(from_s),
        to: Duration::from_secs(to_s),
        fps,
        look: Look::Light,
    }
}

/// A frame as a viewer shows it: the whole screen, RGBA, and its delay
/// in hundredths of a second.
type Shown = (Vec<u8>, u16);

/// Each frame of a GIF composed onto the screen, and the screen's size.
fn decode(bytes: &[u8]) -> ((u16, u16), Vec<Shown>) {
    let mut opts = gif::DecodeOptions::new();
    opts.set_color_output(gif::ColorOutput::RGBA);
    let mut decoder = opts.read_info(bytes).expect("the GIF decodes");
    let (w, h) = (decoder.width(), decoder.height());
    let mut screen = vec![0_u8; usize::from(w) * usize::from(h) * 4];
    let mut frames = Vec::new();
    while let Some(frame) = decoder.read_next_frame().expect("every frame decodes") {
        assert!(
            frame.left + frame.width <= w && frame.top + frame.height <= h,
            "a frame stays within the screen"
        );
        for y in 0..usize::from(frame.height) {
            for x in 0..usize::from(frame.width) {
                let src = (y * usize::from(frame.width) + x) * 4;
                let pixel = &frame.buffer[src..src + 4];
                if pixel[3] == 0 {
                    continue; // transparent: the previous frame shows through
                }
                let dst =
                    ((y + usize::from(frame.top)) * usize::from(w) + x + usize::from(frame.left))
                        * 4;
                screen[dst..dst + 4].copy_from_slice(pixel);
            }
        }
        frames.push((screen.clone(), frame.delay));
    }
    ((w, h), frames)
}

#[test]
fn the_gif_has_the_frames_asked_for_and_changes_as_the_run_advances() {
    let model = model();
    let mut calls = 0;
    let bytes = record(&model, 7, options(2, 4, 5), &mut |done, all| {
        calls += 1;
        assert!(done <= all && all == 10, "progress {done}/{all}");
    })
    .expect("recorded");
    assert!(calls >= 10, "progress after every frame ({calls})");
    let ((w, h), frames) = decode(&bytes);
    let picture = weir::picture::CanvasPainter::new(&model, Look::Light).size();
    assert_eq!(
        (f32::from(w), f32::from(h)),
        (picture.x, picture.y),
        "the GIF is the canvas picture's size"
    );
    let total: u32 = frames.iter().map(|(_, d)| u32::from(*d)).sum();
    assert_eq!(total, 200, "2 s of the run play in 2 s");
    assert!(
        frames.iter().all(|(_, d)| *d % 20 == 0),
        "each frame lasts whole frames of 1/5 s"
    );
    // 60 messages a second cross the links: every tenth of a second
    // looks different.
    assert_eq!(frames.len(), 10, "2 s at 5 frames a second");
    for pair in frames.windows(2) {
        assert_ne!(pair[0].0, pair[1].0, "the live view moves frame to frame");
    }
    // Opaque from the first frame on: the canvas is painted everywhere.
    assert!(frames[0].0.chunks_exact(4).all(|p| p[3] == 255));
    assert!(
        bytes.len() < 400 * 1024,
        "frames after the first hold what changed ({} bytes)",
        bytes.len()
    );
}

#[test]
fn the_gif_is_the_same_bytes_for_the_same_model_and_seed() {
    let model = model();
    let first = record(&model, 7, options(1, 2, 4), &mut |_, _| {}).expect("recorded");
    let again = record(&model, 7, options(1, 2, 4), &mut |_, _| {}).expect("recorded");
    assert!(first == again, "byte-identical");
    let other = record(&model, 8, options(1, 2, 4), &mut |_, _| {}).expect("recorded");
    assert!(first != other, "another seed is another run");
}

#[test]
fn absurd_animations_are_refused_with_the_reason() {
    let model = model();
    let refusal = |o: GifOptions| {
        record(&model, 7, o, &mut |_, _| {})
            .expect_err("refused")
            .to_string()
    };
    assert!(refusal(options(0, 20, 3)).contains("--fps 3"), "odd rates");
    assert!(
        refusal(options(5, 5, 10)).contains("must come after"),
        "empty span"
    );
    assert!(
        refusal(options(0, 30, 10)).contains("--to (30s) is past the end of the run (20s"),
        "past the end: {}",
        refusal(options(0, 30, 10))
    );
    assert!(
        refusal(options(25, 30, 10)).contains("--from (25s) is at or past the end"),
        "starting past the end"
    );
    let mut long = model.clone();
    long.scenario.duration = Duration::from_secs(3600);
    let err = record(&long, 7, options(0, 3600, 25), &mut |_, _| {})
        .expect_err("refused")
        .to_string();
    assert!(
        err.contains("90000 frames") && err.contains("at most 3000"),
        "{err}"
    );
}

#[test]
fn weir_export_writes_the_gif_and_names_bad_flags() {
    let dir = std::env::temp_dir().join(format!("weir-gif-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("model.ron");
    std::fs::write(&file, MODEL).expect("model written");
    let export_at = |out: &str, fps: &str, extra: &[&str]| {
        Command::new(weir())
            .current_dir(workspace())
            .arg("export")
            .arg(&file)
            .args([
                "--format", "gif", "--seed", "9", "--from", "1s", "--to", "2s",
            ])
            .args(["--fps", fps, "-o", out])
            .args(extra)
            .output()
            .expect("weir runs")
    };
    let export = |out: &str, extra: &[&str]| export_at(out, "4", extra);
    let (a, b) = (dir.join("a.gif"), dir.join("b.gif"));
    for path in [&a, &b] {
        let out = export(path.to_str().expect("utf-8 path"), &[]);
        assert!(out.status.success(), "{out:?}");
    }
    let bytes = std::fs::read(&a).expect("written");
    assert!(
        bytes == std::fs::read(&b).expect("written"),
        "byte-identical"
    );
    let library = record(&model(), 9, options(1, 2, 4), &mut |_, _| {}).expect("recorded");
    assert!(
        bytes == library,
        "--seed runs as the library does with that seed"
    );
    assert_eq!(decode(&bytes).1.len(), 4);

    let out = export("-", &["--look", "dark"]);
    assert!(
        out.status.success() && out.stdout.starts_with(b"GIF89a"),
        "{out:?}"
    );

    let bad = export_at(dir.join("c.gif").to_str().expect("utf-8"), "7", &[]);
    let stderr = String::from_utf8_lossy(&bad.stderr);
    assert_eq!(bad.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("--fps 7"), "{stderr}");
    assert!(!dir.join("c.gif").exists(), "nothing written");
    let other = Command::new(weir())
        .current_dir(workspace())
        .arg("export")
        .arg(&file)
        .args(["--format", "dot", "--fps", "10"])
        .output()
        .expect("weir runs");
    let stderr = String::from_utf8_lossy(&other.stderr);
    assert_eq!(other.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("not to dot"), "{stderr}");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_html_report_is_one_escaped_page_with_verdicts_tables_and_charts() {
    let model = model();
    let page = weir::html::report_page(&model, Look::Light).expect("the page");
    assert!(page.starts_with("<!DOCTYPE html>"), "a document");
    // Names, escaped wherever they appear.
    assert!(page.contains("Orders &lt;EU&gt; &amp; &quot;friends&quot;"));
    assert!(!page.contains("Orders <EU>"), "the model's name is escaped");
    assert!(!page.contains("<web>"), "a node's name is escaped");
    assert!(page.contains("Shop &lt;web&gt; &amp; app"), "on the canvas");
    assert!(page.contains("Fast &lt;enough&gt;"), "an objective's name");
    // The verdicts: one met, one violated.
    assert!(page.contains("class=\"met\""), "a met objective");
    assert!(page.contains("class=\"violated\""), "a violated objective");
    // Every node's row, with confidence half-widths (3 replications).
    for id in ["src", "q", "worker", "done"] {
        assert!(page.contains(&format!("<tr><td>{id}</td>")), "row of {id}");
    }
    assert!(page.contains(" ± "), "confidence half-widths");
    // Pictures inline: the canvas and the charts.
    assert!(page.matches("<svg").count() >= 4, "canvas and charts");
    assert!(page.contains("Throughput") && page.contains("End-to-end latency"));
    // Nothing fetched: no URL other than the SVG namespace.
    let without_ns = page.replace("xmlns=\"http://www.w3.org/2000/svg\"", "");
    assert!(!without_ns.contains("http://") && !without_ns.contains("https://"));
    assert!(!page.contains("<script") && !page.contains("<link") && !page.contains("<img"));
    assert!(!page.contains("@import") && !page.contains("url(http"));
    // Clip identifiers are unique in the page.
    let mut ids: Vec<&str> = page
        .match_indices(" id=\"")
        .map(|(i, _)| {
            let rest = &page[i + 5..];
            &rest[..rest.find('"').expect("closed")]
        })
        .collect();
    let n = ids.len();
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), n, "every id once");
    let again = weir::html::report_page(&model, Look::Light).expect("the page");
    assert!(page == again, "the same page every time");
}

#[test]
fn weir_export_writes_the_html_report() {
    let dir = std::env::temp_dir().join(format!("weir-html-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let file = dir.join("model.ron");
    std::fs::write(&file, MODEL).expect("model written");
    let out = Command::new(weir())
        .current_dir(workspace())
        .arg("export")
        .arg(&file)
        .args(["--format", "html", "--seed", "3", "--look", "dark"])
        .output()
        .expect("weir runs");
    assert!(out.status.success(), "{out:?}");
    let page = String::from_utf8(out.stdout).expect("utf-8");
    assert!(page.contains("seed 3"), "the seed given");
    assert!(page.contains("#1b1b1b"), "the dark look");
    assert!(page.trim_end().ends_with("</html>"));
    let _ = std::fs::remove_dir_all(&dir);
}
