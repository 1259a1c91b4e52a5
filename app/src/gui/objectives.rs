//! Service level objectives in the window: the checklist that ticks as a
//! live run goes, and the verdicts of a report over replications.

use eframe::egui::{self, Color32, RichText};
use sim_core::Report;
use sim_core::slo::{Slo, SloRun, Verdict};

/// How an objective stands: its mark, colour and a word for screen
/// readers and tests.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mark {
    /// Holds (so far, or by the replications' verdict).
    Met,
    /// Broken.
    Violated,
    /// Not yet known: nothing measured, or undecided.
    Open,
}

impl Mark {
    /// The mark in words: what screen readers (and tests) find.
    pub const fn word(self) -> &'static str {
        match self {
            Self::Met => "met",
            Self::Violated => "missed",
            Self::Open => "open",
        }
    }

    /// Paints the mark in a square the height of a line of text: a tick,
    /// a cross, or a hollow ring while it is open (drawn, so no font
    /// needs the signs).
    pub fn ui(self, ui: &mut egui::Ui) -> egui::Response {
        let size = ui.text_style_height(&egui::TextStyle::Body);
        let (rect, response) = ui.allocate_exact_size(egui::vec2(size, size), egui::Sense::hover());
        let color = self.color(ui);
        let stroke = egui::Stroke::new((size * 0.14).max(1.5), color);
        let r = rect.shrink(size * 0.18);
        let painter = ui.painter();
        match self {
            Self::Met => {
                painter.line(
                    vec![
                        r.left_center() + egui::vec2(0.0, r.height() * 0.05),
                        egui::pos2(r.left() + r.width() * 0.38, r.bottom() - r.height() * 0.1),
                        r.right_top() + egui::vec2(0.0, r.height() * 0.1),
                    ],
                    stroke,
                );
            }
            Self::Violated => {
                painter.line_segment([r.left_top(), r.right_bottom()], stroke);
                painter.line_segment([r.right_top(), r.left_bottom()], stroke);
            }
            Self::Open => {
                painter.circle_stroke(
                    r.center(),
                    r.width() * 0.4,
                    egui::Stroke::new(stroke.width * 0.7, color),
                );
            }
        }
        let word = self.word();
        response.widget_info(|| egui::WidgetInfo::labeled(egui::Role::Label, true, word));
        response
    }

    fn color(self, ui: &egui::Ui) -> Color32 {
        let dark = ui.visuals().dark_mode;
        match self {
            Self::Met if dark => Color32::from_rgb(0x6c, 0xd4, 0x8a),
            Self::Met => Color32::from_rgb(0x1a, 0x7f, 0x37),
            Self::Violated => ui.visuals().error_fg_color,
            Self::Open => ui.visuals().weak_text_color(),
        }
    }

    /// An objective's mark in one run so far.
    pub fn of_run(slo: &Slo, run: &SloRun) -> Self {
        match run.holds(&slo.objective) {
            Some(true) => Self::Met,
            Some(false) => Self::Violated,
            None => Self::Open,
        }
    }

    /// An objective's mark from its verdict.
    pub const fn of_verdict(verdict: Verdict) -> Self {
        match verdict {
            Verdict::Met => Self::Met,
            Verdict::Violated => Self::Violated,
            Verdict::Undecided { .. } | Verdict::Unmeasured => Self::Open,
        }
    }
}

/// One row: the mark, the objective's name, its value against its bound.
fn row_ui(ui: &mut egui::Ui, mark: Mark, slo: &Slo, value: &str, detail: &str) {
    mark.ui(ui).on_hover_text(match mark {
        Mark::Met => "met",
        Mark::Violated => "violated",
        Mark::Open => "not decided yet",
    });
    ui.label(RichText::new(slo.label()).strong())
        .on_hover_text(slo.description());
    ui.label(RichText::new(value).monospace());
    ui.label(RichText::new(slo.objective.target_text()).weak());
    ui.label(RichText::new(detail).weak());
    ui.end_row();
}

/// A value in the objective's unit, or a dash.
fn value_text(slo: &Slo, value: Option<f64>) -> String {
    value.map_or("—".to_owned(), |v| slo.objective.unit().show(v))
}

/// The live run's checklist: each objective as a mark, its name and its
/// value in this run so far, in a row that wraps; the bound, budget and
/// windows on hover.
pub fn checklist_ui(ui: &mut egui::Ui, slos: &[Slo], runs: &[SloRun]) {
    ui.horizontal_wrapped(|ui| {
        ui.spacing_mut().item_spacing.x = 6.0;
        ui.label(
            RichText::new(format!(
                "Objectives {} of {} met so far:",
                met_count(slos, runs),
                slos.len()
            ))
            .strong(),
        );
        for (slo, run) in slos.iter().zip(runs) {
            let mark = Mark::of_run(slo, run);
            let detail = match (run.windows, run.burned) {
                (Some((met, n)), _) if n > 0 => format!("{met} of {n} windows met"),
                (Some(_), _) => "no whole window yet".to_owned(),
                (None, Some(b)) if b.is_finite() => format!("budget {:.0} % burned", b * 100.0),
                _ => "nothing measured yet".to_owned(),
            };
            ui.add_space(8.0);
            mark.ui(ui);
            ui.label(format!("{}: {}", slo.label(), value_text(slo, run.value)))
                .on_hover_text(format!(
                    "{}\n{}; {detail}",
                    slo.description(),
                    match mark {
                        Mark::Met => "met so far",
                        Mark::Violated => "missed so far",
                        Mark::Open => "not decided yet",
                    }
                ));
        }
    });
}

/// How many of `runs` meet their objective so far.
pub fn met_count(slos: &[Slo], runs: &[SloRun]) -> usize {
    slos.iter()
        .zip(runs)
        .filter(|(s, r)| Mark::of_run(s, r) == Mark::Met)
        .count()
}

/// A report's verdicts: each objective's value with its interval, its
/// budget and its verdict.
pub fn verdicts_ui(ui: &mut egui::Ui, report: &Report) {
    if report.slos.is_empty() {
        return;
    }
    let met = report
        .slos
        .iter()
        .filter(|s| s.verdict == Verdict::Met)
        .count();
    let saved_id = egui::Id::unique("verdicts-saved");
    ui.horizontal(|ui| {
        ui.label(
            RichText::new(format!(
                "Objectives: {met} of {} met over {} replication(s)",
                report.slos.len(),
                report.replications()
            ))
            .strong(),
        );
        if ui
            .small_button("Save as picture…")
            .on_hover_text("The verdicts as SVG or PNG, for a design document")
            .clicked()
        {
            let svg = crate::tables::verdicts_svg(report, super::comparison::look_of(ui.visuals()));
            if let Some(text) = super::files::save_picture(&report.model, "verdicts", &svg) {
                ui.data_mut(|d| d.insert_temp(saved_id, text));
            }
        }
        if let Some(text) = ui.data(|d| d.get_temp::<String>(saved_id)) {
            ui.label(RichText::new(text).weak());
        }
    });
    egui::Grid::new("objectives-verdicts")
        .num_columns(5)
        .spacing([10.0, 4.0])
        .striped(true)
        .show(ui, |ui| {
            for r in &report.slos {
                let value = r.value_text();
                let budget = r
                    .budget_text()
                    .map(|b| format!("budget {b}"))
                    .unwrap_or_default();
                // One run has no interval: it says how this run went.
                let (mark, verdict) = match (&r.value, report.replications()) {
                    (Some(m), 1) => {
                        let holds = r.slo.objective.bound().holds(m.mean);
                        let mark = if holds { Mark::Met } else { Mark::Violated };
                        (
                            mark,
                            format!("{} in this run", if holds { "met" } else { "missed" }),
                        )
                    }
                    _ => (Mark::of_verdict(r.verdict), r.verdict.text()),
                };
                let detail = if budget.is_empty() {
                    verdict
                } else {
                    format!("{verdict} · {budget}")
                };
                row_ui(ui, mark, &r.slo, &value, &detail);
            }
        });
    ui.add_space(6.0);
}
