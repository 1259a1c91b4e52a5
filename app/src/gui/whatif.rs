//! What if: a window that sweeps one knob of the design — a node's
//! parameter or the load — and plots any metric or objective against it
//! as the points come in, each with its 95 % band. Clicking a point sets
//! the design to it, as one edit that undo takes back.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui::{self, RichText};
use egui_plot::{HLine, Line, Plot, PlotPoints, Points, Polygon};
use sim_core::model::ModelCommand;
use sim_core::sweep::{Axis, MetricRef, Sweep, params_of};
use sim_core::{Model, Report};

/// What the sweep's thread hands over.
enum Message {
    Point(Vec<usize>, Box<Report>),
    Done(Result<(), String>),
}

/// A sweep running or run: its knob, the design it ran on, the points so
/// far.
struct Swept {
    sweep: Sweep,
    /// The design as it was when the sweep started.
    base: Model,
    points: Vec<(Vec<usize>, Report)>,
    total: usize,
    running: Option<(Receiver<Message>, Arc<AtomicBool>)>,
}

/// The window's state.
#[derive(Default)]
pub struct WhatIfWindow {
    pub open: bool,
    /// The node whose parameter is swept; empty: the load.
    node: String,
    param: String,
    range: String,
    replications: u32,
    error: Option<String>,
    swept: Option<Swept>,
    /// What the plot shows (a label of a `MetricRef`).
    shown: Option<String>,
    /// The last point applied, in words.
    applied: Option<String>,
}

impl std::fmt::Debug for WhatIfWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WhatIfWindow")
            .field("open", &self.open)
            .field("node", &self.node)
            .field("param", &self.param)
            .field("range", &self.range)
            .finish_non_exhaustive()
    }
}

impl WhatIfWindow {
    /// Opens the window, on the load if nothing was chosen before.
    pub fn open_on(&mut self, model: &Model) {
        self.open = true;
        if self.range.is_empty() {
            self.range = "0.5..1.5x11".to_owned();
        }
        if self.replications == 0 {
            self.replications = model.scenario.replications.clamp(3, 20);
        }
    }

    /// Whether a sweep is running.
    pub fn is_running(&self) -> bool {
        self.swept.as_ref().is_some_and(|s| s.running.is_some())
    }

    /// The points swept so far, in order.
    pub fn points(&self) -> usize {
        self.swept.as_ref().map_or(0, |s| s.points.len())
    }

    /// The knob as `Axis::parse` reads it.
    fn knob_text(&self) -> String {
        if self.node.is_empty() {
            format!("load={}", self.range.trim())
        } else {
            format!("{}.{}={}", self.node, self.param.trim(), self.range.trim())
        }
    }

    fn start(&mut self, model: &Model, ctx: &egui::Context) {
        self.stop();
        self.error = None;
        self.applied = None;
        let mut base = model.clone();
        base.scenario.replications = self.replications.max(1);
        let axis = match Axis::parse(&self.knob_text(), &base) {
            Ok(axis) => axis,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let sweep = Sweep {
            axes: vec![axis],
            metrics: Vec::new(),
        };
        let points = match crate::sweeping::models(&base, &sweep) {
            Ok(points) => points,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (thread_sweep, thread_stop, ctx) = (sweep.clone(), Arc::clone(&stop), ctx.clone());
        let total = points.len();
        let spawned = crate::background::spawn("weir-whatif", move || {
            let outcome = crate::sweeping::run(
                &thread_sweep,
                &points,
                crate::sweeping::threads(),
                &thread_stop,
                |_, point, report| {
                    tx.send(Message::Point(point.to_vec(), Box::new(report.clone())))
                        .map_err(|_| "the window closed".to_owned())?;
                    ctx.request_repaint();
                    Ok(())
                },
            );
            let outcome = match outcome {
                Ok(()) | Err(crate::sweeping::SweepError::Stopped) => Ok(()),
                Err(e) => Err(e.to_string()),
            };
            let _ = tx.send(Message::Done(outcome));
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => {
                self.swept = Some(Swept {
                    sweep,
                    base,
                    points: Vec::new(),
                    total,
                    running: Some((rx, stop)),
                });
            }
            Err(e) => self.error = Some(format!("cannot start the sweep: {e}")),
        }
    }

    fn stop(&mut self) {
        if let Some((_, stop)) = self.swept.as_ref().and_then(|s| s.running.as_ref()) {
            stop.store(true, Ordering::Relaxed);
        }
    }

    fn poll(&mut self) {
        let Some(swept) = &mut self.swept else {
            return;
        };
        let Some((rx, _)) = &swept.running else {
            return;
        };
        loop {
            match rx.try_recv() {
                Ok(Message::Point(point, report)) => swept.points.push((point, *report)),
                Ok(Message::Done(outcome)) => {
                    if let Err(e) = outcome {
                        self.error = Some(e);
                    }
                    swept.running = None;
                    return;
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    swept.running = None;
                    return;
                }
            }
        }
    }

    /// The window, while open; the edit a clicked point asks for.
    pub fn ui(&mut self, ctx: &egui::Context, model: &Model) -> Option<ModelCommand> {
        self.poll();
        if !self.open {
            self.stop();
            return None;
        }
        let mut open = self.open;
        let mut edit = None;
        super::comparison::tool_window("What if", ctx, &mut open)
            .show(ctx, |ui| edit = self.contents(ui, model));
        self.open = open;
        if !open {
            self.stop();
        }
        edit
    }

    fn contents(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<ModelCommand> {
        ui.label(
            RichText::new(
                "Sweep one knob of the design and watch a number move; click a point to set the design to it.",
            )
            .weak(),
        );
        egui::Grid::new("whatif-knob")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                self.knob_rows(ui, model);
            });
        ui.horizontal(|ui| {
            let running = self.is_running();
            if ui
                .add_enabled(!running, egui::Button::new("Sweep"))
                .on_hover_text("Run the design at every value, each with its replications")
                .clicked()
            {
                self.start(model, ui.ctx());
            }
            if running && ui.button("Stop").clicked() {
                self.stop();
            }
            if let Some(swept) = &self.swept {
                let done = swept.points.len();
                if swept.running.is_some() {
                    ui.spinner();
                }
                ui.label(format!("{done} of {} point(s)", swept.total));
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(text) = &self.applied {
            ui.label(RichText::new(text).weak());
        }
        let edit = self.plot_ui(ui, model);
        if let Some((text, _)) = &edit {
            self.applied = Some(text.clone());
        }
        edit.map(|(_, cmd)| cmd)
    }

    fn knob_rows(&mut self, ui: &mut egui::Ui, model: &Model) {
        knob_rows(
            ui,
            model,
            "whatif",
            true,
            &mut self.node,
            &mut self.param,
            &mut self.range,
        );
        let label = ui.label("Values");
        ui.add(
            egui::TextEdit::singleline(&mut self.range)
                .hint_text("1..8, 5ms..50msx10, 10,100,1000")
                .desired_width(200.0),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "a..b (integers by 1, others 10 points), a..b:step, a..bxN, or a list a,b,c",
        );
        ui.end_row();
        let label = ui.label("Replications");
        ui.add(egui::DragValue::new(&mut self.replications).range(1..=1000))
            .labelled_by(label.id);
        ui.end_row();
    }

    /// The plot of the chosen number; a clicked point's edit, in words.
    fn plot_ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<(String, ModelCommand)> {
        let swept = self.swept.as_ref()?;
        let first = &swept.points.first()?.1;
        // Every number the reports give, objectives first.
        let mut choices: Vec<MetricRef> = first
            .slos
            .iter()
            .map(|s| MetricRef::Objective(s.slo.label()))
            .collect();
        for node in &first.nodes {
            for m in &node.metrics {
                choices.push(MetricRef::Node {
                    node: node.id.clone(),
                    path: m.path.clone(),
                });
            }
        }
        // Unless chosen: an objective; else the swept node's utilisation
        // or depth; else, sweeping the load, the busiest stage's
        // utilisation at the latest point (the one that saturates first).
        let latest = &swept.points.last()?.1;
        let busiest = latest
            .nodes
            .iter()
            .filter_map(|n| Some((n, n.get("utilization")?.mean)))
            .max_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(n, _)| n.id.clone());
        let preferred = |m: &MetricRef| match (m, &swept.sweep.axes[0].knob) {
            (MetricRef::Objective(_), _) => true,
            (MetricRef::Node { node, path }, sim_core::sweep::Knob::Param { node: n, .. }) => {
                node == n && (path == "utilization" || path == "mean_depth")
            }
            (MetricRef::Node { node, path }, sim_core::sweep::Knob::Load) => {
                path == "utilization" && Some(node) == busiest.as_ref()
            }
        };
        let shown = self
            .shown
            .as_ref()
            .and_then(|s| choices.iter().find(|m| m.label() == *s))
            .or_else(|| choices.iter().find(|m| preferred(m)))
            .or_else(|| choices.first())?
            .clone();
        ui.separator();
        let label = ui.label("Plot");
        egui::ComboBox::from_id_salt("whatif-metric")
            .selected_text(shown.label())
            .width(320.0)
            .height(400.0)
            .show_ui(ui, |ui| {
                for m in &choices {
                    if ui.selectable_label(*m == shown, m.label()).clicked() {
                        self.shown = Some(m.label());
                    }
                }
            })
            .response
            .labelled_by(label.id);
        let axis = &swept.sweep.axes[0];
        let xs: Vec<f64> = axis.values.iter().map(|v| v.as_f64()).collect();
        let values: Vec<(usize, f64, f64)> = swept
            .points
            .iter()
            .filter_map(|(p, r)| {
                let m = shown.read(r)?;
                Some((p[0], m.mean, m.ci95.unwrap_or(0.0)))
            })
            .collect();
        let bound = shown.bound(&swept.base);
        let axis_label = axis.label();
        // The points as numbers, each with a button to use it.
        let mut used = None;
        egui::ScrollArea::vertical()
            .id_salt("whatif-table")
            .max_height(130.0)
            .show(ui, |ui| {
                egui::Grid::new("whatif-points")
                    .num_columns(4)
                    .striped(true)
                    .spacing([16.0, 2.0])
                    .show(ui, |ui| {
                        for head in [axis.label(), shown.label(), "objectives met".to_owned()] {
                            ui.label(RichText::new(head).weak());
                        }
                        ui.end_row();
                        for (point, report) in &swept.points {
                            ui.label(axis.values[point[0]].to_string());
                            ui.label(shown.read(report).map_or_else(
                                || "–".to_owned(),
                                |m| match m.ci95 {
                                    Some(h) => format!("{:.4} ± {:.4}", m.mean, h),
                                    None => format!("{:.4}", m.mean),
                                },
                            ));
                            let met = report
                                .slos
                                .iter()
                                .filter(|r| r.verdict == sim_core::slo::Verdict::Met)
                                .count();
                            ui.label(if report.slos.is_empty() {
                                "–".to_owned()
                            } else {
                                format!("{met} of {}", report.slos.len())
                            });
                            if ui
                                .small_button("Use")
                                .on_hover_text("Set the design to this value (undo takes it back)")
                                .clicked()
                            {
                                used = Some(point[0]);
                            }
                            ui.end_row();
                        }
                    });
            });
        if let Some(i) = used {
            return self.apply(model, i);
        }
        let response = Plot::new("whatif-plot")
            .height((ui.available_height() - 8.0).max(160.0))
            .x_axis_label(axis_label.clone())
            .y_axis_label(shown.label())
            .allow_scroll(false)
            .show(ui, |plot| {
                // NOTE: one quadrilateral per gap between points: a plot
                // fills a polygon as convex, and the whole band seldom is.
                for pair in values.windows(2) {
                    let [(i, m, h), (j, n, k)] = [pair[0], pair[1]];
                    let quad = vec![
                        [xs[i], m - h],
                        [xs[j], n - k],
                        [xs[j], n + k],
                        [xs[i], m + h],
                    ];
                    plot.polygon(
                        Polygon::new("95 % interval", PlotPoints::from(quad))
                            .fill_color(super::colors::BLUE.gamma_multiply(0.25))
                            .stroke(egui::Stroke::NONE),
                    );
                }
                let line: Vec<[f64; 2]> = values.iter().map(|&(i, m, _)| [xs[i], m]).collect();
                plot.line(
                    Line::new(shown.label(), PlotPoints::from(line.clone()))
                        .color(super::colors::BLUE),
                );
                plot.points(
                    Points::new("points", PlotPoints::from(line))
                        .radius(4.0)
                        .color(super::colors::BLUE),
                );
                if let Some(b) = bound {
                    plot.hline(HLine::new("objective", b).color(super::colors::WARN));
                }
            });
        // A click sets the design to the nearest point's value.
        if response.response.clicked()
            && let Some(at) = response.response.interact_pointer_pos()
        {
            let to_screen = response.transform;
            let nearest = values
                .iter()
                .map(|&(i, m, _)| {
                    let p = to_screen.position_from_point(&egui_plot::PlotPoint::new(xs[i], m));
                    (i, p.distance(at))
                })
                .min_by(|a, b| a.1.total_cmp(&b.1));
            if let Some((i, distance)) = nearest
                && distance < 24.0
            {
                return self.apply(model, i);
            }
        }
        None
    }

    /// The edit that sets the design (as it is now) to value `i` of the
    /// sweep's knob: one command, one undo step.
    fn apply(&self, model: &Model, i: usize) -> Option<(String, ModelCommand)> {
        let swept = self.swept.as_ref()?;
        let target = swept.sweep.model_at(model, &[i]).ok()?;
        let words = format!("Set {} (undo takes it back)", swept.sweep.describe(&[i]));
        edit_to(model, &target).map(|c| (words, c))
    }
}

/// A knob's rows in a grid: the node (or, where `load` is offered, the
/// load: an empty `node`), and the parameter as the file writes it, typed
/// or picked from what the node's file holds. Choosing another node
/// clears `range`.
pub(super) fn knob_rows(
    ui: &mut egui::Ui,
    model: &Model,
    salt: &str,
    load: bool,
    node: &mut String,
    param: &mut String,
    range: &mut String,
) {
    const LOAD: &str = "Load (every producer's rate)";
    let graph = &model.graph;
    let label = ui.label("Knob");
    let shown = if node.is_empty() {
        if load {
            LOAD.to_owned()
        } else {
            "choose a node".to_owned()
        }
    } else {
        model
            .find(node)
            .map_or_else(|| node.clone(), |n| graph[n].label().to_owned())
    };
    egui::ComboBox::from_id_salt((salt, "node"))
        .selected_text(shown)
        .width(240.0)
        .show_ui(ui, |ui| {
            if load && ui.selectable_label(node.is_empty(), LOAD).clicked() {
                node.clear();
                *range = "0.5..1.5x11".to_owned();
            }
            for n in graph.node_indices() {
                let candidate = &graph[n];
                if ui
                    .selectable_label(*node == candidate.id, candidate.label())
                    .clicked()
                    && *node != candidate.id
                {
                    node.clone_from(&candidate.id);
                    *param = params_of(candidate).first().cloned().unwrap_or_default();
                    range.clear();
                }
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
    if node.is_empty() {
        return;
    }
    let label = ui.label("Parameter");
    ui.horizontal(|ui| {
        ui.add(
            egui::TextEdit::singleline(param)
                .hint_text("instances")
                .desired_width(160.0),
        )
        .labelled_by(label.id)
        .on_hover_text(
            "As the model file writes it: instances, service.mean, arrival.rate, capacity…",
        );
        let params = model
            .find(node)
            .map(|n| params_of(&graph[n]))
            .unwrap_or_default();
        egui::ComboBox::from_id_salt((salt, "params"))
            .selected_text("")
            .width(24.0)
            .show_ui(ui, |ui| {
                for p in params.iter().chain(
                    ["instances", "concurrency", "capacity"]
                        .map(str::to_owned)
                        .iter()
                        .filter(|p| !params.contains(p)),
                ) {
                    if ui.selectable_label(*param == *p, p).clicked() {
                        param.clone_from(p);
                    }
                }
            });
    });
    ui.end_row();
}

/// The one edit that turns `model` into `target` (the same nodes, some
/// with other parameters); `None` when nothing differs.
pub(super) fn edit_to(model: &Model, target: &Model) -> Option<ModelCommand> {
    let mut commands: Vec<ModelCommand> = model
        .graph
        .node_indices()
        .filter_map(|n| {
            let (before, after) = (&model.graph[n], target.graph.node_weight(n)?);
            (before.kind != after.kind).then(|| ModelCommand::SetParams {
                id: before.id.clone(),
                kind: after.kind.clone(),
            })
        })
        .collect();
    match commands.len() {
        0 => None,
        1 => commands.pop(),
        _ => Some(ModelCommand::Batch(commands)),
    }
}
