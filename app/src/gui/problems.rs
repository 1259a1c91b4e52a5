//! The problems list: the model's diagnostics; clicking one selects and
//! frames what it is about.

use eframe::egui::{self, RichText};
use sim_core::validate::{Diagnostic, Target};

/// What the user clicked in the list.
#[derive(Clone, Debug, PartialEq, Eq)]
#[must_use]
pub enum ProblemAction {
    ShowNode(String),
    ShowEdge(String),
    ShowScenario,
}

/// Draws the list; returns the problem the user clicked.
pub fn problems_ui(ui: &mut egui::Ui, diagnostics: &[Diagnostic]) -> Option<ProblemAction> {
    let mut action = None;
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    ui.horizontal(|ui| {
        ui.label(RichText::new("Problems").strong());
        ui.label(
            RichText::new(format!(
                "{errors} error{}, {warnings} warning{}",
                if errors == 1 { "" } else { "s" },
                if warnings == 1 { "" } else { "s" }
            ))
            .weak(),
        );
    });
    if diagnostics.is_empty() {
        ui.label(RichText::new("No problems: the model is ready to run.").weak());
        return None;
    }
    // NOTE: only the visible rows are laid out: a large broken model can
    // have hundreds of problems.
    let row_height = ui.text_style_height(&egui::TextStyle::Body) + ui.spacing().item_spacing.y;
    egui::ScrollArea::vertical()
        .auto_shrink([false, true])
        .show_rows(ui, row_height, diagnostics.len(), |ui, rows| {
            for d in &diagnostics[rows] {
                let (mark, color) = if d.is_error() {
                    ("error", ui.visuals().error_fg_color)
                } else {
                    ("warning", ui.visuals().warn_fg_color)
                };
                let about = match &d.target {
                    Target::Model => "model".to_owned(),
                    Target::Scenario => "scenario".to_owned(),
                    Target::Node(id) | Target::Edge(id) => id.clone(),
                    Target::Alert(name) => format!("alert {name}"),
                };
                ui.horizontal(|ui| {
                    ui.label(RichText::new(mark).color(color).strong());
                    let clicked = ui
                        .add(
                            egui::Label::new(format!("{about}: {}", d.message))
                                .sense(egui::Sense::click()),
                        )
                        .on_hover_cursor(egui::CursorIcon::PointingHand)
                        .clicked();
                    if clicked {
                        action = match &d.target {
                            Target::Node(id) => Some(ProblemAction::ShowNode(id.clone())),
                            Target::Edge(id) => Some(ProblemAction::ShowEdge(id.clone())),
                            Target::Scenario | Target::Model | Target::Alert(_) => {
                                Some(ProblemAction::ShowScenario)
                            }
                        };
                    }
                });
            }
        });
    action
}
