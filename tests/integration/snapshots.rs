//! Pictures of the window at a projector's 1280×720, compared with the
//! images under `tests/snapshots/`: the editor, presentation mode over a
//! live run, and the Results table.
//!
//! They render through wgpu. A machine without a renderer (no GPU and no
//! software Vulkan such as Debian's `mesa-vulkan-drivers`) skips them with
//! a message, unless `WEIR_REQUIRE_SNAPSHOTS` is set, as CI sets it.
//! After a deliberate change of look, `UPDATE_SNAPSHOTS=1 cargo test -p
//! weir-tests --test integration snapshots` writes the new images; look at
//! each before committing it.

use eframe::egui::{Key, Modifiers, Vec2};
use egui_kittest::kittest::Queryable;
use egui_kittest::{Harness, SnapshotError, SnapshotOptions};
use sim_core::model::file;
use weir::examples::EXAMPLES;
use weir::gui::{LiveAction, WeirApp};

use crate::harness::{Window, harness, until};

const PROJECTOR: Window = Window {
    size: Vec2::new(1280.0, 720.0),
    step_dt: None,
    any_text: false,
};

fn example(file_name: &str) -> Harness<'static, WeirApp> {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == file_name)
        .unwrap_or_else(|| panic!("{file_name} is a bundled example"));
    let (model, _) = file::from_str(example.text).expect("the example reads");
    let mut h = harness(WeirApp::from_model(model, None), PROJECTOR);
    h.run();
    h
}

/// Compares the window with `name`'s image, or says why it could not.
fn check(h: &mut Harness<'_, WeirApp>, name: &str) {
    // NOTE: a software renderer may round a pixel or two differently from
    // run to run; a changed look moves hundreds (one word of text) to
    // thousands (a card moved or recoloured).
    let options = SnapshotOptions::new()
        .output_path(concat!(env!("CARGO_MANIFEST_DIR"), "/snapshots"))
        .max_failed_pixels(100);
    match h.try_snapshot_options(name, &options) {
        Ok(()) => {}
        Err(SnapshotError::RenderError { err })
            if std::env::var_os("WEIR_REQUIRE_SNAPSHOTS").is_none() =>
        {
            eprintln!(
                "snapshot {name} skipped: no renderer here ({err}); install a software \
                 Vulkan driver (mesa-vulkan-drivers) to compare it"
            );
        }
        Err(err) => panic!("snapshot {name}: {err}"),
    }
}

#[test]
fn the_editor_at_1280x720() {
    let mut h = example("kafka-consumer-lag.ron");
    h.state_mut().select_ids(&["billing"]);
    h.run();
    check(&mut h, "editor-1280x720");
}

#[test]
fn presentation_mode_over_a_live_run_at_1280x720() {
    let mut h = example("backpressure.ron");
    h.key_press_modifiers(Modifiers::NONE, Key::F5);
    h.run();
    // NOTE: stepped, not played: each step shows its own instant, so the
    // picture does not depend on how fast frames reached the window.
    let ctx = h.ctx.clone();
    for _ in 0..30 {
        h.state_mut().live_action(&ctx, LiveAction::Step);
        h.step();
    }
    until(&mut h, "three seconds of steps to show", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_nanos() == 3_000_000_000)
    });
    h.run();
    check(&mut h, "presentation-live-1280x720");
}

#[test]
fn results_at_1280x720() {
    let mut h = example("pipeline.ron");
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the replications to finish", |h| {
        !h.state().is_replicating()
    });
    h.run();
    check(&mut h, "results-1280x720");
}

#[test]
fn a_rooms_predictions_judged_at_1280x720() {
    let mut h = example("pipeline.ron");
    let mut scenario = h.state().model().scenario.clone();
    scenario.replications = 3;
    scenario.duration = sim_core::time::Duration::from_secs(120);
    scenario.warmup = Some(sim_core::time::Duration::from_secs(20));
    h.state_mut()
        .apply_edit(sim_core::model::ModelCommand::SetScenario(scenario))
        .expect("a shorter scenario");
    h.key_press_modifiers(Modifiers::COMMAND | Modifiers::SHIFT, Key::P);
    h.run();
    crate::predict_gui::paste_room(&mut h, &["Ana 150ms", "Bo 60 ms", "Chloé 1s"]);
    h.get_by_label("Lock and run").click();
    until(&mut h, "the predictions judged", |h| {
        h.state().predict_window().judged().is_some()
    });
    h.run();
    check(&mut h, "predict-room-1280x720");
}
