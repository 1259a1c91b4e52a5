//! Running the scenario from the window: replications on a background
//! thread, their report's table when they finish, and what each
//! replication showed of the outcomes a prediction may ask about
//! ([`Tally`]).

use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui;
use sim_core::{Model, Report};

use super::predict::Tally;
use super::results::results_table_ui;

/// Where the last run stands.
#[derive(Debug, Default)]
pub enum RunState {
    #[default]
    Idle,
    Running(Receiver<Result<(Box<Report>, Tally), String>>),
    Done(Box<Report>, Tally),
    Failed(String),
}

impl RunState {
    /// Starts the model's replications on a named thread.
    pub fn start(model: &Model, ctx: &egui::Context) -> Self {
        let model = model.clone();
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = crate::background::spawn("weir-run", move || {
            let mut tally = Tally::default();
            let outcome =
                crate::runner::run_all_seeing(&model, |_, _| {}, &mut |run| tally.add(run))
                    .map(|report| (Box::new(report), tally))
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
                Ok(Ok((report, tally))) => *self = Self::Done(report, tally),
                Ok(Err(e)) => *self = Self::Failed(e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    *self = Self::Failed("the run stopped unexpectedly".to_owned());
                }
            }
        }
    }

    /// The finished run's report, if there is one.
    pub fn report(&self) -> Option<&Report> {
        match self {
            Self::Done(report, _) => Some(report),
            _ => None,
        }
    }

    /// What each replication of the finished run showed, if there is one.
    pub fn tally(&self) -> Option<&Tally> {
        match self {
            Self::Done(_, tally) => Some(tally),
            _ => None,
        }
    }

    pub fn is_running(&self) -> bool {
        matches!(self, Self::Running(_))
    }

    /// The Results panel's contents for the replications: their table
    /// (`name_of` gives a node's name from its id), or how the run stands.
    pub fn results_ui(&self, ui: &mut egui::Ui, name_of: &dyn Fn(&str) -> String) {
        match self {
            Self::Done(report, _) => results_table_ui(ui, report, name_of),
            Self::Failed(e) => {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            Self::Running(_) => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("running…");
                });
            }
            Self::Idle => {
                ui.label(
                    egui::RichText::new("Run the scenario (Ctrl+R) to see its results.").weak(),
                );
            }
        }
    }
}
