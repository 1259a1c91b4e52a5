//! The palette: one entry per node kind. Drag an entry onto the canvas,
//! or click it to place the node in the middle of the view.

use eframe::egui::{self, Sense, vec2};
use sim_core::nodes::Kind;

use super::kinds;

/// Draws the palette; returns the kind the user clicked, if any.
#[must_use]
pub fn palette_ui(ui: &mut egui::Ui) -> Option<Kind> {
    let mut clicked = None;
    ui.add_space(4.0);
    ui.label(egui::RichText::new("Add").strong());
    ui.add_space(2.0);
    for kind in Kind::ALL {
        let id = egui::Id::unique(("palette", kind.key()));
        let response = ui
            .dnd_drag_source(id, kind, |ui| entry_ui(ui, kind))
            .response;
        // NOTE: a drag source senses drags only; a click is read from the
        // same rect so both gestures work on one entry.
        let click = ui.interact(response.rect, id.with("click"), Sense::click());
        click.widget_info(|| {
            egui::WidgetInfo::labeled(egui::Role::Button, true, palette_label(kind))
        });
        if click.clicked() {
            clicked = Some(kind);
        }
        click.on_hover_text(format!(
            "{}.\nDrag onto the canvas, or click to place it in view.",
            kinds::of(kind).blurb()
        ));
    }
    clicked
}

fn entry_ui(ui: &mut egui::Ui, kind: Kind) {
    let width = ui.available_width();
    let (rect, response) = ui.allocate_exact_size(vec2(width, 34.0), Sense::hover());
    let visuals = ui.visuals();
    if response.hovered() {
        ui.painter()
            .rect_filled(rect, 6.0, visuals.widgets.hovered.weak_bg_fill);
    }
    let accent = kinds::of(kind).accent();
    let tile = egui::Rect::from_min_size(rect.min + vec2(4.0, 4.0), vec2(26.0, 26.0));
    ui.painter()
        .rect_filled(tile, 5.0, accent.gamma_multiply(0.16));
    kinds::paint_icon(ui.painter(), tile.shrink(5.0), kind, accent);
    let label = palette_label(kind);
    ui.painter().text(
        egui::pos2(tile.right() + 10.0, rect.center().y),
        egui::Align2::LEFT_CENTER,
        label,
        egui::TextStyle::Body.resolve(ui.style()),
        visuals.text_color(),
    );
}

/// The kind's name with a capital, as the palette shows it.
pub fn palette_label(kind: Kind) -> String {
    let mut label = kind.label().to_owned();
    if let Some(first) = label.get_mut(0..1) {
        first.make_ascii_uppercase();
    }
    label
}
