//! Running the scenario from the window: replications on a background
//! thread, the summary table when they finish.

use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;
use sim_core::Model;

/// Where the last run stands.
#[derive(Debug, Default)]
pub enum RunState {
    #[default]
    Idle,
    Running(Receiver<Result<String, String>>),
    Done(String),
    Failed(String),
}

impl RunState {
    /// Starts the model's replications on a named thread.
    pub fn start(model: &Model, ctx: &egui::Context) -> Self {
        let model = model.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = std::thread::Builder::new()
            .name("weir-run".to_owned())
            .spawn(move || {
                let outcome = crate::runner::run_all(&model, |_, _| {})
                    .map(|report| report.to_table())
                    .map_err(|e| e.to_string());
                let _ = tx.send(outcome);
                ctx.request_repaint();
            });
        match spawned {
            Ok(_) => Self::Running(rx),
            Err(e) => Self::Failed(format!("cannot start the run: {e}")),
        }
    }

    /// Picks up a finished run.
    pub fn poll(&mut self) {
        if let Self::Running(rx) = self {
            match rx.try_recv() {
                Ok(Ok(table)) => *self = Self::Done(table),
                Ok(Err(e)) => *self = Self::Failed(e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    *self = Self::Failed("the run stopped unexpectedly".to_owned());
                }
            }
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running(_))
    }

    /// The results window's contents; false when there is nothing to show.
    pub fn results_ui(&self, ui: &mut egui::Ui) {
        match self {
            Self::Done(table) => {
                // NOTE: the table is laid out in columns: never wrap its
                // lines; scroll instead.
                egui::ScrollArea::both().show(ui, |ui| {
                    ui.add(
                        egui::Label::new(egui::RichText::new(table).monospace())
                            .wrap_mode(egui::TextWrapMode::Extend),
                    );
                });
            }
            Self::Failed(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Self::Running(_) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("running…");
                });
            }
            Self::Idle => {}
        }
    }
}
