//! The app under test, shared by the GUI tests: one way to open the real
//! `WeirApp` in an `egui_kittest` harness, and one way to wait for its
//! simulation thread.

use std::time::{Duration, Instant};

use eframe::egui::Vec2;
use egui_kittest::Harness;
use weir::gui::WeirApp;

/// The window the app runs in. `Window::default()` is a 1280×800 window
/// whose text must be in egui's bundled font.
#[derive(Clone, Copy, Debug)]
pub struct Window {
    pub size: Vec2,
    /// Seconds per frame; kittest's own default when `None`.
    pub step_dt: Option<f32>,
    /// Whether text may lack a glyph in egui's fonts: models from files may
    /// hold any text, which a desktop draws with its system fonts. Text the
    /// app itself writes must be in the bundled font (a missing glyph fails
    /// the test).
    pub any_text: bool,
}

impl Default for Window {
    fn default() -> Self {
        Self {
            size: Vec2::new(1280.0, 800.0),
            step_dt: None,
            any_text: false,
        }
    }
}

/// The real app in a harness, before its first frame.
pub fn harness(app: WeirApp, window: Window) -> Harness<'static, WeirApp> {
    let mut builder = Harness::builder()
        .with_size(window.size)
        .with_accessibility_check(false);
    if let Some(dt) = window.step_dt {
        builder = builder.with_step_dt(dt);
    }
    if window.any_text {
        builder = builder.allow_missing_glyphs();
    }
    // NOTE: as the window does before its first frame.
    builder.build_eframe(|cc| {
        weir::gui::install_fonts(&cc.egui_ctx);
        app
    })
}

/// Runs frames until `done` holds (the simulation runs on its own thread);
/// fails after 30 s, with the live run's clock and the app's notice.
pub fn until(
    h: &mut Harness<'_, WeirApp>,
    what: &str,
    done: impl Fn(&Harness<'_, WeirApp>) -> bool,
) {
    let start = Instant::now();
    loop {
        // NOTE: `step`, not `run`: a playing run keeps asking for frames.
        h.step();
        if done(h) {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "timed out waiting for {what}; live clock: {:?}, notice: {:?}",
            h.state().live().map(|l| l.frame().snapshot.now),
            h.state().notice()
        );
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// A primary-button drag over several frames, as a hand makes it.
pub fn drag(h: &mut Harness<'_, WeirApp>, from: egui::Pos2, to: egui::Pos2) {
    h.hover_at(from);
    h.run();
    h.drag_at(from);
    h.run();
    for i in 1..=8 {
        #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
        let t = i as f32 / 8.0;
        h.hover_at(from + (to - from) * t);
        h.run();
    }
    h.drop_at(to);
    h.run();
}

/// Replaces the text of the field labelled `label`, as a user would:
/// click it, select all, type.
pub fn fill(h: &mut Harness<'_, WeirApp>, label: &str, text: &str) {
    use egui_kittest::kittest::Queryable as _;
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, label)
        .click();
    h.run();
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.run();
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, label)
        .type_text(text);
    h.run();
}
