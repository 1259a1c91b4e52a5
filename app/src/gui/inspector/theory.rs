//! The selected consumer's (or queue's) queueing station: the formula its
//! assumptions allow and the formula's values, computed from the model as
//! it is drawn; beside them the replications' means and 95% intervals
//! when the Results panel holds a report of this same station; or the
//! sentence saying which assumption fails.

use eframe::egui::{self, RichText, Ui};
use sim_core::Report;
use sim_core::theory::{Analysis, Compared, Quantity, Station};

use crate::gui::kinds;

/// The station section of the node `id`, if it is a consumer or the queue
/// in front of one, from the model's `analysis`. `report` is the last
/// replications' report, if any.
pub fn station_ui(ui: &mut Ui, analysis: &Analysis, id: &str, report: Option<&Report>) {
    let Some(station) = analysis.station_of(id) else {
        return;
    };
    ui.separator();
    ui.label(RichText::new("Theory").strong().size(15.0))
        .on_hover_text(
            "Queueing theory's answer for this station, where its assumptions \
             (Poisson arrivals, a known service law, c servers, room K) hold",
        );
    let analytic = match &station.result {
        Err(reason) => {
            ui.label(RichText::new(format!("No formula: {reason}.")).weak());
            return;
        }
        Ok(a) => a,
    };
    let mut about = format!(
        "λ = {} /s, c = {}",
        kinds::short_number(analytic.values.lambda),
        analytic.c
    );
    if let Some(k) = analytic.k {
        about.push_str(&format!(", K = {k}"));
    }
    if (analytic.visits - 1.0).abs() > 1e-12 {
        about.push_str(&format!(", {:.2} attempts per message", analytic.visits));
    }
    ui.label(station.summary());
    ui.label(RichText::new(about).weak());
    let Some(report) = report else {
        return;
    };
    match simulated(report, station) {
        None if report.theory.iter().any(|c| c.station.node == station.node) => {
            ui.label(
                RichText::new("The model changed since the last run: run it again to compare.")
                    .weak(),
            );
        }
        None => {}
        Some(compared) => comparison_ui(ui, compared, report.replications()),
    }
}

/// The report's station, if it is this same station (the model has not
/// changed it since the run).
fn simulated<'r>(report: &'r Report, station: &Station) -> Option<&'r Compared> {
    report.theory.iter().find(|c| c.station == *station)
}

/// Each quantity: the formula's value and the replications' mean ± 95%
/// half-width, and whether the interval contains the formula's value.
fn comparison_ui(ui: &mut Ui, c: &Compared, replications: usize) {
    let Ok(a) = &c.station.result else {
        return;
    };
    ui.label(RichText::new(format!("Simulated over {replications} replication(s):")).weak());
    egui::Grid::new("theory-vs-simulation")
        .num_columns(4)
        .spacing([12.0, 2.0])
        .show(ui, |ui| {
            ui.label("");
            ui.label(RichText::new("formula").weak());
            ui.label(RichText::new("simulated ± 95%").weak());
            ui.end_row();
            for q in Quantity::ALL {
                let (Some(v), Some(m)) = (q.of(&a.values), c.simulated(q)) else {
                    continue;
                };
                ui.label(RichText::new(q.symbol()).weak());
                ui.label(RichText::new(q.text(v)).monospace());
                let mut text = q.text(m.mean);
                if let Some(h) = m.ci95 {
                    text.push_str(&format!(" ± {}", q.text(h)));
                }
                ui.label(RichText::new(text).monospace());
                match c.covers(q) {
                    Some(true) => {
                        ui.label(RichText::new("covers").weak())
                            .on_hover_text("The 95% interval contains the formula's value");
                    }
                    Some(false) => {
                        ui.label(RichText::new("misses").color(ui.visuals().warn_fg_color))
                            .on_hover_text(
                                "The 95% interval misses the formula's value (at 95%, one \
                                 interval in twenty does by chance)",
                            );
                    }
                    None => {
                        ui.label("");
                    }
                }
                ui.end_row();
            }
        });
}
