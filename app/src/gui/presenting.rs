//! Presentation mode (F5): the drawing gets the window. The toolbar row
//! gives way to a slim "Presenting" row beside the menus (play, reset,
//! the clock, the overlays' toggles, Leave); the palette and the inspector
//! float over the canvas when asked for (F6, F7), and the charts are a
//! strip along the bottom (F8). Chrome text is larger, the canvas's zoom
//! is its own, and the mode is never remembered between launches.

use eframe::egui::{self, RichText};
use sim_core::model::ModelCommand;

use super::charts::seconds;
use super::inspector::Subject;
use super::live_ui::LiveFault;
use super::{LiveAction, WeirApp, canvas, colors, palette};

/// How much larger the chrome's text is while presenting.
pub const TEXT_SCALE: f32 = 1.35;

/// What floats over the canvas while presenting (never remembered: each
/// presentation starts with the drawing alone).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Overlays {
    /// The palette, at the left (F6).
    pub palette: bool,
    /// The inspector, at the right (F7).
    pub inspector: bool,
    /// The charts strip along the bottom (F8).
    pub charts: bool,
    /// The rewind bar along the foot of the canvas (F9).
    pub rewind: bool,
}

/// Sets every text style's size for the mode: egui's own sizes, or those
/// times [`TEXT_SCALE`] while presenting.
pub fn scale_text(ctx: &egui::Context, presenting: bool) {
    let factor = if presenting { TEXT_SCALE } else { 1.0 };
    let base = egui::Style::default().text_styles;
    ctx.all_styles_mut(|style| {
        for (text_style, font) in &mut style.text_styles {
            if let Some(b) = base.get(text_style) {
                font.size = b.size * factor;
            }
        }
    });
}

impl WeirApp {
    /// The "Presenting" controls, at the right of the menus' row: the
    /// mode's name, play or pause, reset, the clock and the live run's
    /// Results, then the overlays' toggles and Leave. Drawn into a right-to-left layout
    /// (Leave at the far right), so the menus take what is left.
    pub(super) fn presenting_bar_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        let mut action = None;
        if ui
            .button("Leave (F5)")
            .on_hover_text("Back to the editor")
            .clicked()
        {
            self.prefs.presentation = false;
        }
        let overlays = &mut self.prefs.overlays;
        // NOTE: the keys are in the hover texts: with them in the names
        // the row would not fit a projector's 1280 pixels.
        ui.toggle_value(&mut overlays.rewind, "Rewind")
            .on_hover_text(
                "F9: the rewind bar along the foot of the canvas, while the model plays",
            );
        ui.toggle_value(&mut overlays.charts, "Charts")
            .on_hover_text("F8: the charts strip along the bottom, while the model plays");
        ui.toggle_value(&mut overlays.inspector, "Inspector")
            .on_hover_text("F7: the inspector over the canvas");
        ui.toggle_value(&mut overlays.palette, "Palette")
            .on_hover_text("F6: the palette over the canvas");
        ui.separator();
        if self.live.session.is_some()
            && ui
                .button("Results")
                .on_hover_text("The live run's report now, docked under the canvas (Esc closes it)")
                .clicked()
        {
            self.show_results = true;
            self.live.results_live = true;
        }
        if let Some(live) = &self.live.session {
            let snap = &live.frame().snapshot;
            let clock = format!(
                "t = {} / {}",
                seconds(snap.now.as_secs_f64()),
                seconds(snap.end.as_secs_f64())
            );
            ui.label(RichText::new(clock).monospace().strong());
            if ui
                .button("Reset")
                .on_hover_text("Start again from zero with the seed")
                .clicked()
            {
                action = Some(LiveAction::Reset);
            }
        }
        let playing = self
            .live
            .session
            .as_ref()
            .is_some_and(super::session::LiveSession::playing);
        if ui
            .button(if playing {
                "Pause"
            } else {
                super::menus::PLAY_LIVE
            })
            .on_hover_text(super::menus::PLAY_LIVE_HELP)
            .clicked()
        {
            action = Some(LiveAction::PlayPause);
        }
        ui.label(RichText::new("Presenting").strong().color(colors::SKY));
        ui.separator();
        if let Some(action) = action {
            self.live_action(&ctx, action);
        }
    }

    /// The palette and the inspector over the canvas, where asked for;
    /// the edits and the fault asked for in them, applied after drawing.
    pub(super) fn overlays_ui(
        &mut self,
        ctx: &egui::Context,
        subject: Subject,
    ) -> (Vec<ModelCommand>, Option<LiveFault>) {
        let mut commands = Vec::new();
        let mut fault = None;
        let canvas_rect = self.canvas.last_rect;
        let margin = 8.0;
        let max_height = (canvas_rect.height() - 4.0 * margin).max(120.0);
        if self.prefs.overlays.palette {
            let mut open = true;
            egui::Window::new("Palette")
                .open(&mut open)
                .collapsible(false)
                .resizable(false)
                .min_width(240.0)
                .max_height(max_height)
                .pivot(egui::Align2::LEFT_TOP)
                .fixed_pos(canvas_rect.left_top() + egui::vec2(margin, margin))
                .show(ctx, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        if let Some(kind) = palette::palette_ui(ui) {
                            let at = self.canvas.free_spot(&self.doc.model);
                            commands.push(canvas::new_node(&self.doc.model, kind, at));
                        }
                    });
                });
            self.prefs.overlays.palette = open;
        }
        if self.prefs.overlays.inspector {
            let mut open = true;
            egui::Window::new("Inspector")
                .open(&mut open)
                .collapsible(false)
                .resizable(false)
                .default_width(340.0)
                .max_height(max_height)
                .pivot(egui::Align2::RIGHT_TOP)
                .fixed_pos(canvas_rect.right_top() + egui::vec2(-margin, margin))
                .show(ctx, |ui| {
                    egui::ScrollArea::vertical().show(ui, |ui| {
                        let (node_fault, edits) = self.inspector_contents(ui, subject);
                        fault = node_fault;
                        commands.extend(edits);
                    });
                });
            self.prefs.overlays.inspector = open;
        }
        (commands, fault)
    }
}
