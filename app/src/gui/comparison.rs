//! Compare designs: a window that runs two designs — the model as drawn,
//! one of its variants, or another file — on the same seeds, and shows
//! their objectives side by side, the paired differences with their
//! intervals, and their first runs' charts drawn one over the other.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui::{self, RichText};
use egui_plot::{Legend, Line, Plot, PlotPoints};
use sim_core::Model;
use sim_core::series::SystemMetric;

use crate::comparing::{Compared, Pairing};

/// One side of a comparison.
#[derive(Clone, Debug)]
pub enum Side {
    /// The model as it is drawn.
    AsDrawn,
    /// One of its variants, by name.
    Variant(String),
    /// Another model file (read when chosen).
    File(PathBuf),
    /// A design the window was given with its name (a lesson's solution).
    Given(String, Arc<Model>),
}

impl PartialEq for Side {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::AsDrawn, Self::AsDrawn) => true,
            (Self::Variant(a), Self::Variant(b)) | (Self::Given(a, _), Self::Given(b, _)) => a == b,
            (Self::File(a), Self::File(b)) => a == b,
            _ => false,
        }
    }
}

impl Eq for Side {}

impl Side {
    fn label(&self) -> String {
        match self {
            Self::AsDrawn => "As drawn".to_owned(),
            Self::Variant(name) | Self::Given(name, _) => name.clone(),
            Self::File(path) => path.file_name().map_or_else(
                || path.display().to_string(),
                |n| n.to_string_lossy().into_owned(),
            ),
        }
    }

    /// The design this side stands for.
    fn model(&self, drawn: &Model) -> Result<Model, String> {
        match self {
            Self::AsDrawn => Ok(drawn.clone()),
            Self::Variant(name) => drawn.with_variant(name).map_err(|e| e.to_string()),
            Self::Given(_, model) => Ok(Model::clone(model)),
            Self::File(path) => {
                let text = sim_core::model::file::read(path).map_err(|e| e.to_string())?;
                sim_core::model::file::from_str(&text)
                    .map(|(m, _)| m)
                    .map_err(|e| format!("{}: {e}", path.display()))
            }
        }
    }
}

/// The window's state: which two designs, how many replications, the
/// comparison running or done.
#[derive(Debug)]
pub struct ComparisonWindow {
    pub open: bool,
    pub a: Side,
    pub b: Side,
    pub replications: u32,
    running: Option<Receiver<Result<Box<Compared>, String>>>,
    result: Option<Box<Compared>>,
    error: Option<String>,
    /// Where the last picture went, or why it did not.
    saved: Option<String>,
}

impl Default for ComparisonWindow {
    fn default() -> Self {
        Self {
            open: false,
            a: Side::AsDrawn,
            b: Side::AsDrawn,
            replications: 10,
            running: None,
            result: None,
            error: None,
            saved: None,
        }
    }
}

impl ComparisonWindow {
    /// Opens the window on `b` against the design as drawn (its first
    /// variant when `b` is `None` and there is one).
    pub fn open_on(&mut self, model: &Model, b: Option<Side>) {
        self.open = true;
        self.a = Side::AsDrawn;
        self.b = b.unwrap_or_else(|| {
            model
                .variants
                .first()
                .map_or(Side::AsDrawn, |v| Side::Variant(v.name.clone()))
        });
        self.replications = self.replications.max(model.scenario.replications.max(2));
    }

    /// Whether a comparison is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    /// The last comparison, once done.
    pub fn result(&self) -> Option<&Compared> {
        self.result.as_deref()
    }

    /// Starts comparing on a named thread.
    fn start(&mut self, model: &Model, ctx: &egui::Context) {
        self.error = None;
        self.result = None;
        let sides = (self.a.model(model), self.b.model(model));
        let (a, b) = match sides {
            (Ok(a), Ok(b)) => (a, b),
            (Err(e), _) | (_, Err(e)) => {
                self.error = Some(e);
                return;
            }
        };
        let labels = (self.a.label(), self.b.label());
        let pairing = Pairing {
            seed: model.scenario.seed,
            replications: self.replications.max(2),
            duration: None,
            warmup: None,
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let ctx = ctx.clone();
        let spawned = crate::background::spawn("weir-compare", move || {
            let outcome =
                crate::comparing::compare((&a, &labels.0), (&b, &labels.1), pairing).map(Box::new);
            let _ = tx.send(outcome);
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => self.running = Some(rx),
            Err(e) => self.error = Some(format!("cannot start the comparison: {e}")),
        }
    }

    fn poll(&mut self) {
        if let Some(rx) = &self.running {
            match rx.try_recv() {
                Ok(Ok(result)) => {
                    self.result = Some(result);
                    self.running = None;
                }
                Ok(Err(e)) => {
                    self.error = Some(e);
                    self.running = None;
                }
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.error = Some("the comparison stopped unexpectedly".to_owned());
                    self.running = None;
                }
            }
        }
    }

    /// The window, while open. `pick_file` asks for another model file.
    pub fn ui(
        &mut self,
        ctx: &egui::Context,
        model: &Model,
        pick_file: &dyn Fn() -> Option<PathBuf>,
    ) {
        self.poll();
        if !self.open {
            return;
        }
        let mut open = self.open;
        // NOTE: never larger than the window it floats in (presenting, the
        // text is larger and the table wider than the default size): the
        // table scrolls instead of pushing the window off the screen.
        tool_window("Compare designs", ctx, &mut open)
            .show(ctx, |ui| self.contents(ui, model, pick_file));
        self.open = open;
    }

    fn contents(
        &mut self,
        ui: &mut egui::Ui,
        model: &Model,
        pick_file: &dyn Fn() -> Option<PathBuf>,
    ) {
        ui.label(
            RichText::new(
                "Both run on the same seeds, so what differs is the design, not luck: \
                 each difference comes with its 95 % interval, and * marks those that leave out zero.",
            )
            .weak(),
        );
        egui::Grid::new("compare-sides")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                for (label, side, salt) in [
                    ("A", &mut self.a, "compare-a"),
                    ("B", &mut self.b, "compare-b"),
                ] {
                    ui.label(label);
                    side_ui(ui, salt, side, model, pick_file);
                    ui.end_row();
                }
                ui.label("Replications");
                ui.add(
                    egui::DragValue::new(&mut self.replications)
                        .range(2..=1000)
                        .speed(0.2),
                );
                ui.end_row();
            });
        let mut saved = None;
        ui.horizontal(|ui| {
            let running = self.is_running();
            if ui
                .add_enabled(
                    !running,
                    egui::Button::new(RichText::new("Compare").strong()),
                )
                .clicked()
            {
                self.start(model, ui.ctx());
            }
            if running {
                ui.spinner();
                ui.label("running both designs…");
            }
            if let Some(result) = &self.result {
                if ui
                    .button("Copy as Markdown")
                    .on_hover_text("The table, for a design document")
                    .clicked()
                {
                    ui.ctx().copy_text(result.comparison.to_markdown());
                }
                if ui
                    .button("Copy as CSV")
                    .on_hover_text("Every metric both designs measured")
                    .clicked()
                {
                    ui.ctx().copy_text(result.comparison.to_csv());
                }
                if ui
                    .button("Save as picture…")
                    .on_hover_text("The table as SVG or PNG, for a design document")
                    .clicked()
                {
                    let svg =
                        crate::tables::comparison_svg(&result.comparison, look_of(ui.visuals()));
                    saved = super::files::save_picture(&model.name, "comparison", &svg);
                }
            }
        });
        if let Some(text) = saved {
            self.error = None;
            self.saved = Some(text);
        }
        if let Some(text) = &self.saved {
            ui.label(RichText::new(text).weak());
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(result) = &self.result else {
            return;
        };
        ui.separator();
        charts_ui(ui, result);
        ui.separator();
        rows_ui(ui, result);
    }
}

/// The drop-down of designs for one side.
fn side_ui(
    ui: &mut egui::Ui,
    salt: &str,
    side: &mut Side,
    model: &Model,
    pick_file: &dyn Fn() -> Option<PathBuf>,
) {
    let mut choice = side.clone();
    egui::ComboBox::from_id_salt(salt)
        .selected_text(side.label())
        .width(260.0)
        .show_ui(ui, |ui| {
            ui.selectable_value(&mut choice, Side::AsDrawn, "As drawn");
            for v in &model.variants {
                ui.selectable_value(&mut choice, Side::Variant(v.name.clone()), &v.name)
                    .on_hover_text(&v.description);
            }
            if matches!(side, Side::File(_) | Side::Given(..)) {
                let label = side.label();
                ui.selectable_value(&mut choice, side.clone(), label);
            }
            // NOTE: a browser's upload arrives frames later, as a document
            // to open; there a design to compare is a variant or As drawn.
            if cfg!(not(target_arch = "wasm32"))
                && ui.button("Another file…").clicked()
                && let Some(path) = pick_file()
            {
                choice = Side::File(path);
            }
        });
    *side = choice;
}

/// The first replication's whole-system lines of both designs, drawn
/// over each other: end-to-end p99 and messages in flight.
fn charts_ui(ui: &mut egui::Ui, result: &Compared) {
    let labels = [&result.comparison.a_label, &result.comparison.b_label];
    let colors = [super::colors::BLUE, super::colors::ORANGE];
    ui.columns(2, |cols| {
        for (col, (metric, title, scale)) in cols.iter_mut().zip([
            (SystemMetric::EndToEndP99, "end-to-end p99 (ms)", 1e3),
            (SystemMetric::InFlight, "messages in flight", 1.0),
        ]) {
            col.label(RichText::new(title).strong());
            Plot::new(("compare-chart", title))
                .height(140.0)
                .legend(Legend::default())
                .allow_scroll(false)
                .show(col, |plot| {
                    for (i, series) in result.series.iter().enumerate() {
                        let Some(series) = series else { continue };
                        let points: PlotPoints<'_> = series
                            .times()
                            .zip(series.system().values(metric))
                            .map(|(t, &v)| [t, f64::from(v) * scale])
                            .collect();
                        plot.line(Line::new(labels[i].as_str(), points).color(colors[i]));
                    }
                });
        }
    });
}

/// Objectives side by side, then the main metrics, with their paired
/// differences.
fn rows_ui(ui: &mut egui::Ui, result: &Compared) {
    let c = &result.comparison;
    egui::ScrollArea::both().show(ui, |ui| {
        egui::Grid::new("compare-rows")
            .num_columns(5)
            .striped(true)
            .spacing([14.0, 4.0])
            .show(ui, |ui| {
                for h in [
                    "metric".to_owned(),
                    format!("A: {}", c.a_label),
                    format!("B: {}", c.b_label),
                    "B − A (95 %)".to_owned(),
                    "change".to_owned(),
                ] {
                    ui.label(RichText::new(h).strong());
                }
                ui.end_row();
                for row in c.rows() {
                    ui.label(&row.what);
                    ui.label(RichText::new(&row.a).monospace());
                    ui.label(RichText::new(&row.b).monospace());
                    let diff = format!("{}{}", row.diff, if row.significant { " *" } else { "" });
                    let text = RichText::new(diff).monospace();
                    ui.label(if row.significant {
                        text.strong()
                    } else {
                        text.weak()
                    });
                    ui.label(&row.relative);
                    ui.end_row();
                }
            });
        ui.label(
            RichText::new(format!(
                "{} paired replication(s) on the same seeds.",
                c.a.replications().min(c.b.replications())
            ))
            .weak(),
        );
    });
}

/// A tool window over the canvas (Compare designs, What if, Plan
/// capacity, Predict, then run): sized for the screen and never larger than it, also while
/// presenting, where the text is larger; its contents scroll instead.
pub(super) fn tool_window<'a>(
    title: &'a str,
    ctx: &egui::Context,
    open: &'a mut bool,
) -> egui::Window<'a> {
    let screen = ctx.content_rect();
    // Below the menus, the title and the run controls, which stay in
    // sight while a tool is open.
    let top = 104.0;
    egui::Window::new(title)
        .open(open)
        .default_size([
            (screen.width() - 80.0).clamp(360.0, 1000.0),
            (screen.height() - top - 40.0).clamp(240.0, 620.0),
        ])
        .default_pos(screen.left_top() + egui::vec2(40.0, top))
        .max_size(screen.size() - egui::vec2(40.0, 60.0))
        .resizable(true)
}

/// The pictures' look for the window's theme.
pub fn look_of(visuals: &egui::Visuals) -> crate::picture::Look {
    if visuals.dark_mode {
        crate::picture::Look::Dark
    } else {
        crate::picture::Look::Light
    }
}
