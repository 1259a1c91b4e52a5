//! The start screen: the bundled example gallery, each with its
//! description, and the recently opened files.

use std::path::PathBuf;

use eframe::egui::{self, RichText};
use sim_core::model::file;

use crate::examples::{EXAMPLES, Example};

/// What the user picked on the start screen.
#[derive(Clone, Debug)]
#[must_use]
pub enum GalleryChoice {
    Example(Example),
    Recent(PathBuf),
    New,
    Open,
}

/// Draws the gallery's contents.
pub fn gallery_ui(ui: &mut egui::Ui, recent: &[PathBuf]) -> Option<GalleryChoice> {
    let mut choice = None;
    ui.label(
        RichText::new("Open a pattern from the gallery, or start from an empty canvas.").weak(),
    );
    ui.add_space(8.0);
    ui.horizontal(|ui| {
        if ui.button("New empty model").clicked() {
            choice = Some(GalleryChoice::New);
        }
        if ui.button("Open a file…").clicked() {
            choice = Some(GalleryChoice::Open);
        }
    });
    ui.add_space(8.0);
    egui::ScrollArea::vertical()
        .max_height(ui.available_height() - 8.0)
        .show(ui, |ui| {
            for example in EXAMPLES {
                let (name, description) = match file::from_str(example.text) {
                    Ok((model, _)) => (model.name, model.description),
                    Err(err) => (example.file.to_owned(), err.to_string()),
                };
                egui::Frame::group(ui.style())
                    .inner_margin(10.0)
                    .show(ui, |ui| {
                        ui.set_width(ui.available_width());
                        ui.horizontal(|ui| {
                            ui.label(RichText::new(&name).strong().size(16.0));
                            ui.label(RichText::new(example.file).weak());
                            ui.with_layout(
                                egui::Layout::right_to_left(egui::Align::Center),
                                |ui| {
                                    if ui.button(format!("Open {name}")).clicked() {
                                        choice = Some(GalleryChoice::Example(*example));
                                    }
                                },
                            );
                        });
                        ui.label(description);
                    });
                ui.add_space(4.0);
            }
            if !recent.is_empty() {
                ui.add_space(8.0);
                ui.label(RichText::new("Recent files").strong());
                for path in recent {
                    if ui.link(path.display().to_string()).clicked() {
                        choice = Some(GalleryChoice::Recent(path.clone()));
                    }
                }
            }
        });
    choice
}
