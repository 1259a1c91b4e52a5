//! The desktop window.
//!
//! For now it shows the open model — its name, what it shows, its nodes
//! and links — and runs its scenario in the background on request,
//! showing the results table. The canvas editor builds on this.

use std::path::Path;
use std::sync::mpsc::{Receiver, TryRecvError};

use anyhow::{Result, anyhow};
use eframe::egui;
use sim_core::Model;
use sim_core::model::file;
use sim_core::nodes::NodeKind;
use sim_core::validate::{Diagnostic, validate};

use crate::examples::default_example;

/// Opens the window on `path`, or on the default bundled example.
pub fn open(path: Option<&Path>) -> Result<()> {
    let app = match path {
        Some(path) => {
            let (model, diagnostics, _) = crate::cli::load(path)?;
            WeirApp::new(model, diagnostics, path.display().to_string())
        }
        None => WeirApp::default_example(),
    };
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title(app.title())
            .with_inner_size([1200.0, 800.0])
            .with_min_inner_size([640.0, 400.0]),
        ..Default::default()
    };
    eframe::run_native("Weir", options, Box::new(|_cc| Ok(Box::new(app))))
        .map_err(|e| anyhow!("cannot open the window: {e}"))
}

enum RunState {
    Idle,
    Running(Receiver<std::result::Result<String, String>>),
    Done(String),
    Failed(String),
}

/// The application state.
pub struct WeirApp {
    model: Model,
    diagnostics: Vec<Diagnostic>,
    source: String,
    run: RunState,
}

impl std::fmt::Debug for WeirApp {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WeirApp")
            .field("model", &self.model.name)
            .field("source", &self.source)
            .finish()
    }
}

impl WeirApp {
    pub fn new(model: Model, mut diagnostics: Vec<Diagnostic>, source: String) -> Self {
        diagnostics.extend(validate(&model));
        Self {
            model,
            diagnostics,
            source,
            run: RunState::Idle,
        }
    }

    /// The app on the default bundled example.
    pub fn default_example() -> Self {
        let example = default_example();
        match file::from_str(example.text) {
            Ok((model, diagnostics)) => {
                Self::new(model, diagnostics, format!("example: {}", example.file))
            }
            Err(err) => Self::new(
                Model::new("Untitled"),
                Vec::new(),
                format!("example failed to load: {err}"),
            ),
        }
    }

    pub fn model(&self) -> &Model {
        &self.model
    }

    pub fn title(&self) -> String {
        format!("{} — Weir", self.model.name)
    }

    /// Whether a run has finished and its table is shown.
    pub fn has_results(&self) -> bool {
        matches!(self.run, RunState::Done(_))
    }

    fn start_run(&mut self, ctx: &egui::Context) {
        let model = self.model.clone();
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
        self.run = match spawned {
            Ok(_) => RunState::Running(rx),
            Err(e) => RunState::Failed(format!("cannot start the run: {e}")),
        };
    }

    fn poll_run(&mut self) {
        if let RunState::Running(rx) = &self.run {
            match rx.try_recv() {
                Ok(Ok(table)) => self.run = RunState::Done(table),
                Ok(Err(e)) => self.run = RunState::Failed(e),
                Err(TryRecvError::Empty) => {}
                Err(TryRecvError::Disconnected) => {
                    self.run = RunState::Failed("the run stopped unexpectedly".to_owned());
                }
            }
        }
    }

    fn header_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading(&self.model.name);
            ui.add_space(12.0);
            ui.label(egui::RichText::new(&self.source).weak());
        });
        if !self.model.description.is_empty() {
            ui.label(&self.model.description);
        }
    }

    fn nodes_ui(&self, ui: &mut egui::Ui) {
        let graph = &self.model.graph;
        egui::Grid::new("nodes")
            .striped(true)
            .num_columns(3)
            .spacing([24.0, 6.0])
            .show(ui, |ui| {
                ui.strong("Node");
                ui.strong("Kind");
                ui.strong("Parameters");
                ui.end_row();
                for n in graph.node_indices() {
                    let node = &graph[n];
                    ui.label(node.label());
                    ui.label(node.kind.kind().label());
                    ui.label(summary(&node.kind));
                    ui.end_row();
                }
            });
        ui.add_space(8.0);
        let links: Vec<String> = graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = graph.edge_endpoints(e)?;
                Some(format!("{} → {}", graph[a].label(), graph[b].label()))
            })
            .collect();
        ui.label(egui::RichText::new(format!("Links: {}", links.join(",  "))).weak());
    }
}

/// The key parameters of a node, in a line.
fn summary(kind: &NodeKind) -> String {
    match kind {
        NodeKind::Producer(p) => format!("{:.1} events/s", p.arrival.mean_rate()),
        NodeKind::Queue(q) => match q.capacity {
            Some(c) => format!("capacity {c}, {:?} when full", q.overflow),
            None => "unbounded".to_owned(),
        },
        NodeKind::Topic(_) => "fan-out to every subscription".to_owned(),
        NodeKind::Consumer(c) => format!(
            "{} × {} slots, service {} mean{}",
            c.instances,
            c.concurrency,
            c.service.mean(),
            if c.failure > 0.0 {
                format!(", fails {:.0}%", c.failure * 100.0)
            } else {
                String::new()
            }
        ),
        NodeKind::Router(r) => format!("routes {:?}", r.mode),
        NodeKind::Service(s) => format!("called, latency {}", s.latency.mean()),
        NodeKind::Sink(s) => format!("latency {}", s.latency.mean()),
        NodeKind::DeadLetter(d) => d
            .capacity
            .map_or("unbounded".to_owned(), |c| format!("capacity {c}")),
    }
}

impl eframe::App for WeirApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.poll_run();
        let ctx = ui.ctx().clone();
        egui::Panel::top("header").show(ui, |ui| {
            ui.add_space(6.0);
            self.header_ui(ui);
            ui.add_space(6.0);
        });
        egui::CentralPanel::default().show(ui, |ui| {
            egui::ScrollArea::vertical().show(ui, |ui| {
                self.nodes_ui(ui);
                ui.add_space(12.0);
                for d in &self.diagnostics {
                    let color = if d.is_error() {
                        ui.visuals().error_fg_color
                    } else {
                        ui.visuals().warn_fg_color
                    };
                    ui.colored_label(color, d.to_string());
                }
                let runnable = !self.diagnostics.iter().any(Diagnostic::is_error);
                ui.horizontal(|ui| {
                    let running = matches!(self.run, RunState::Running(_));
                    let label = format!(
                        "Run scenario ({} × {})",
                        self.model.scenario.replications, self.model.scenario.duration
                    );
                    if ui
                        .add_enabled(runnable && !running, egui::Button::new(label))
                        .clicked()
                    {
                        self.start_run(&ctx);
                    }
                    if running {
                        ui.spinner();
                        ui.label("running…");
                    }
                });
                ui.add_space(8.0);
                match &self.run {
                    RunState::Done(table) => {
                        ui.label(egui::RichText::new(table).monospace());
                    }
                    RunState::Failed(e) => {
                        ui.colored_label(ui.visuals().error_fg_color, e);
                    }
                    RunState::Idle | RunState::Running(_) => {}
                }
            });
        });
    }
}
