//! Run → Record live view (GIF)… in the window: the next seconds of the
//! live run recorded in the background, with progress, while the window
//! keeps drawing; the file is the one the command line's recorder makes
//! for the same span and seed.

use std::time::{Duration as WallDuration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use sim_core::time::Duration;
use weir::animation::{GifOptions, record};
use weir::examples::EXAMPLES;
use weir::gui::WeirApp;
use weir::picture::Look;

use crate::harness::{Window, harness, until};

fn single_queue() -> sim_core::Model {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == "single-queue.ron")
        .expect("the single-queue example");
    weir_tests::model(example.text)
}

/// A few frames: a new grid sizes itself over two (the live run may go
/// on asking for more).
fn settle(h: &mut Harness<'_, WeirApp>) {
    for _ in 0..6 {
        h.step();
    }
}

fn click(h: &mut Harness<'_, WeirApp>, label: &str) {
    h.get_by_role_and_label(Role::Button, label).click();
    h.step();
}

#[test]
fn recording_the_live_view_writes_what_the_command_line_writes() {
    let model = single_queue();
    let mut h = harness(
        WeirApp::from_model(model.clone(), None),
        Window {
            step_dt: Some(0.1),
            ..Window::default()
        },
    );
    h.run();
    click(&mut h, "Play live");
    until(&mut h, "a second of the run", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_secs_f64() > 1.0)
    });
    click(&mut h, "Pause");
    until(&mut h, "the pause to show", |h| {
        h.query_by_role_and_label(Role::Button, "Play live")
            .is_some()
            && h.state().live().is_some_and(|l| !l.playing())
    });
    let (now, seed) = {
        let live = h.state().live().expect("a live run");
        (live.frame().snapshot.now.as_nanos(), live.seed)
    };

    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("Record live view (GIF)…").click();
    settle(&mut h);
    assert!(h.state().recording.open, "the window opened");
    let dir = std::env::temp_dir().join(format!("weir-record-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("live.gif");
    {
        let recording = &mut h.state_mut().recording;
        recording.path = path.display().to_string();
        recording.seconds = 2;
        recording.fps = 5;
    }
    settle(&mut h);
    click(&mut h, "Record GIF");
    assert!(
        h.state().recording.is_recording() || h.state().recording.outcome.is_some(),
        "the recording started: {:?}",
        h.state().recording.outcome
    );
    // The window keeps drawing frames while the recording runs.
    let started = Instant::now();
    let mut frames_while_recording = 0;
    let mut saw_progress = false;
    while h.state().recording.is_recording() {
        h.step();
        frames_while_recording += 1;
        saw_progress |= h.query_by_label_contains("frame ").is_some();
        assert!(
            started.elapsed() < WallDuration::from_secs(120),
            "the recording did not finish"
        );
        std::thread::sleep(WallDuration::from_millis(5));
    }
    settle(&mut h);
    let outcome = h.state().recording.outcome.clone().expect("an outcome");
    let text = outcome.expect("the recording succeeded");
    assert!(
        text.contains("--format gif"),
        "the equivalent command: {text}"
    );
    assert!(
        saw_progress || frames_while_recording < 3,
        "progress shows while recording ({frames_while_recording} frames)"
    );

    let written = std::fs::read(&path).expect("the GIF is written");
    // The same frames the command line records from that instant.
    // The window's theme decides the look, as for its other pictures.
    let look = if text.contains("--look dark") {
        Look::Dark
    } else {
        Look::Light
    };
    let step = 200_000_000;
    let from = Duration(now / step * step);
    let expected = record(
        &model,
        seed,
        GifOptions {
            from,
            to: Duration(from.0 + 2_000_000_000),
            fps: 5,
            look,
        },
        &mut |_, _| {},
    )
    .expect("recorded");
    assert!(
        written == expected,
        "the window's GIF is the command line's ({text}; from {from}, seed {seed})"
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn recording_needs_a_live_run_and_a_file() {
    let mut h = harness(WeirApp::from_model(single_queue(), None), Window::default());
    h.run();
    h.get_by_label("Run").click();
    h.run();
    h.get_by_label("Record live view (GIF)…").click();
    settle(&mut h);
    assert!(
        h.query_by_label_contains("Play the live run first")
            .is_some(),
        "no live run yet: the window says what to do"
    );
    assert!(
        h.query_by_role_and_label(Role::Button, "Record GIF")
            .is_none(),
        "nothing to record yet"
    );
    click(&mut h, "Play live");
    until(&mut h, "the live run", |h| h.state().live().is_some());
    h.state_mut().recording.path = String::new();
    settle(&mut h);
    click(&mut h, "Record GIF");
    settle(&mut h);
    let outcome = h.state().recording.outcome.clone().expect("an outcome");
    assert_eq!(outcome, Err("choose a file to write the GIF to".to_owned()));
    assert!(!h.state().recording.is_recording());
}
