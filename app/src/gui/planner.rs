//! Plan capacity: a window that asks the planner (`sim_core::plan`) for
//! the cheapest setting of the knobs the user picks that meets every
//! objective, the bounds given and a utilisation headroom; shows every
//! setting it ran and why each failed; and applies the plan as one edit.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{Receiver, TryRecvError};

use eframe::egui::{self, RichText};
use sim_core::Model;
use sim_core::model::ModelCommand;
use sim_core::plan::{Knob, Outcome, Plan, Requirement, Trial};
use sim_core::sweep::Sweep;

use super::whatif::{edit_to, knob_rows};

/// One knob as the window edits it.
#[derive(Clone, Debug, Default)]
struct KnobRow {
    node: String,
    param: String,
    range: String,
    cost: f64,
}

/// What the planner's thread hands over.
enum Message {
    Trials(Vec<Trial>),
    Done(Result<Outcome, String>),
}

/// The window's state.
pub struct PlannerWindow {
    pub open: bool,
    knobs: Vec<KnobRow>,
    bounds: Vec<String>,
    headroom: Option<f64>,
    replications: u32,
    error: Option<String>,
    /// The plan asked for, and its knobs as a sweep's axes.
    asked: Option<(Plan, Sweep)>,
    trials: Vec<Trial>,
    outcome: Option<Outcome>,
    running: Option<(Receiver<Message>, Arc<AtomicBool>)>,
    applied: Option<String>,
}

impl Default for PlannerWindow {
    fn default() -> Self {
        Self {
            open: false,
            knobs: Vec::new(),
            bounds: Vec::new(),
            headroom: Some(0.8),
            replications: 0,
            error: None,
            asked: None,
            trials: Vec::new(),
            outcome: None,
            running: None,
            applied: None,
        }
    }
}

impl std::fmt::Debug for PlannerWindow {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PlannerWindow")
            .field("open", &self.open)
            .field("knobs", &self.knobs)
            .finish_non_exhaustive()
    }
}

impl PlannerWindow {
    /// Opens the window, with a first knob on the first consumer's
    /// instances when none is set.
    pub fn open_on(&mut self, model: &Model) {
        self.open = true;
        if self.replications == 0 {
            self.replications = model.scenario.replications.clamp(3, 20);
        }
        if self.knobs.is_empty() {
            let first = model
                .graph
                .node_weights()
                .find(|n| matches!(n.kind, sim_core::nodes::NodeKind::Consumer(_)));
            self.knobs.push(KnobRow {
                node: first.map(|n| n.id.clone()).unwrap_or_default(),
                param: "instances".to_owned(),
                range: "1..8".to_owned(),
                cost: 1.0,
            });
        }
    }

    /// Whether the planner is running.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }

    fn stop(&mut self) {
        if let Some((_, stop)) = &self.running {
            stop.store(true, Ordering::Relaxed);
        }
    }

    /// The plan the window's fields ask for, or what is wrong with them.
    fn read(&self, base: &Model) -> Result<Plan, String> {
        let knobs = self
            .knobs
            .iter()
            .map(|k| {
                Knob::parse(
                    &format!(
                        "{}.{}={}@{}",
                        k.node,
                        k.param.trim(),
                        k.range.trim(),
                        k.cost
                    ),
                    base,
                )
            })
            .collect::<Result<Vec<_>, _>>()?;
        if knobs.is_empty() {
            return Err("add a knob for the planner to turn".to_owned());
        }
        let requirements = self
            .bounds
            .iter()
            .filter(|b| !b.trim().is_empty())
            .map(|b| Requirement::parse(b.trim(), base))
            .collect::<Result<Vec<_>, _>>()?;
        if base.slos.is_empty() && requirements.is_empty() && self.headroom.is_none() {
            return Err(
                "nothing to plan for: the model has no objectives; add a bound or a headroom"
                    .to_owned(),
            );
        }
        Ok(Plan {
            knobs,
            requirements,
            headroom: self.headroom,
        })
    }

    fn start(&mut self, model: &Model, ctx: &egui::Context) {
        self.stop();
        self.error = None;
        self.applied = None;
        self.trials.clear();
        self.outcome = None;
        let mut base = model.clone();
        base.scenario.replications = self.replications.max(2);
        let plan = match self.read(&base) {
            Ok(plan) => plan,
            Err(e) => {
                self.error = Some(e);
                return;
            }
        };
        let sweep = Sweep {
            axes: plan.knobs.iter().map(|k| k.axis.clone()).collect(),
            metrics: Vec::new(),
        };
        let (tx, rx) = std::sync::mpsc::channel();
        let stop = Arc::new(AtomicBool::new(false));
        let (t_plan, t_sweep, t_stop, ctx) =
            (plan.clone(), sweep.clone(), Arc::clone(&stop), ctx.clone());
        let spawned = crate::background::spawn("weir-plan", move || {
            let outcome = t_plan.search(|settings| {
                let reports = crate::sweeping::reports_at(&base, &t_sweep, settings, &t_stop)?;
                let trials = settings
                    .iter()
                    .zip(&reports)
                    .map(|(s, r)| Trial {
                        setting: s.clone(),
                        cost: t_plan.cost(s),
                        failures: t_plan.failures(r),
                    })
                    .collect();
                let _ = tx.send(Message::Trials(trials));
                ctx.request_repaint();
                Ok(reports)
            });
            let _ = tx.send(Message::Done(outcome));
            ctx.request_repaint();
        });
        match spawned {
            Ok(_) => {
                self.asked = Some((plan, sweep));
                self.running = Some((rx, stop));
            }
            Err(e) => self.error = Some(format!("cannot start the planner: {e}")),
        }
    }

    fn poll(&mut self) {
        let Some((rx, _)) = &self.running else {
            return;
        };
        loop {
            match rx.try_recv() {
                Ok(Message::Trials(t)) => self.trials.extend(t),
                Ok(Message::Done(outcome)) => {
                    match outcome {
                        Ok(o) => {
                            self.trials.clone_from(&o.trials);
                            self.outcome = Some(o);
                        }
                        Err(e) => self.error = Some(e),
                    }
                    self.running = None;
                    return;
                }
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.running = None;
                    return;
                }
            }
        }
    }

    /// The window, while open; the edit Apply asks for.
    pub fn ui(&mut self, ctx: &egui::Context, model: &Model) -> Option<ModelCommand> {
        self.poll();
        if !self.open {
            self.stop();
            return None;
        }
        let mut open = self.open;
        let mut edit = None;
        super::comparison::tool_window("Plan capacity", ctx, &mut open).show(ctx, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("plan-scroll")
                .show(ui, |ui| edit = self.contents(ui, model));
        });
        self.open = open;
        if !open {
            self.stop();
        }
        edit
    }

    fn contents(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<ModelCommand> {
        ui.label(
            RichText::new(
                "The cheapest setting of the knobs that meets every objective, the bounds and the headroom: \
                 the planner climbs from the cheapest setting one step at a time, then trims.",
            )
            .weak(),
        );
        let mut remove = None;
        for (i, knob) in self.knobs.iter_mut().enumerate() {
            ui.add_space(4.0);
            egui::Grid::new(("plan-knob", i))
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    knob_rows(
                        ui,
                        model,
                        &format!("plan-{i}"),
                        false,
                        &mut knob.node,
                        &mut knob.param,
                        &mut knob.range,
                    );
                    let label = ui.label("Values");
                    ui.add(
                        egui::TextEdit::singleline(&mut knob.range)
                            .hint_text("1..8")
                            .desired_width(160.0),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("From the cheapest: a..b, a..b:step, a..bxN, or a list a,b,c");
                    ui.end_row();
                    let label = ui.label("Cost per unit");
                    ui.horizontal(|ui| {
                        ui.add(
                            egui::DragValue::new(&mut knob.cost)
                                .range(0.0..=1e9)
                                .speed(0.5),
                        )
                        .labelled_by(label.id);
                        if ui.small_button("Remove knob").clicked() {
                            remove = Some(i);
                        }
                    });
                    ui.end_row();
                });
        }
        if let Some(i) = remove {
            self.knobs.remove(i);
        }
        if ui.button("Add knob").clicked() {
            self.knobs.push(KnobRow {
                cost: 1.0,
                ..KnobRow::default()
            });
        }
        ui.separator();
        egui::Grid::new("plan-needs")
            .num_columns(2)
            .spacing([12.0, 6.0])
            .show(ui, |ui| {
                let label = ui.label("Headroom");
                ui.horizontal(|ui| {
                    let mut on = self.headroom.is_some();
                    if ui.checkbox(&mut on, "every stage's ρ at most").changed() {
                        self.headroom = on.then_some(0.8);
                    }
                    if let Some(h) = &mut self.headroom {
                        ui.add(egui::DragValue::new(h).range(0.05..=1.0).speed(0.01))
                            .labelled_by(label.id);
                    }
                });
                ui.end_row();
                ui.label("Bounds");
                ui.vertical(|ui| {
                    let mut drop = None;
                    for (i, b) in self.bounds.iter_mut().enumerate() {
                        ui.horizontal(|ui| {
                            ui.add(
                                egui::TextEdit::singleline(b)
                                    .hint_text("q.wait_s.mean<=0.05")
                                    .desired_width(220.0),
                            );
                            if ui.small_button("Remove").clicked() {
                                drop = Some(i);
                            }
                        });
                    }
                    if let Some(i) = drop {
                        self.bounds.remove(i);
                    }
                    if ui
                        .small_button("Add bound")
                        .on_hover_text("A bound on a report metric besides the model's objectives")
                        .clicked()
                    {
                        self.bounds.push(String::new());
                    }
                });
                ui.end_row();
                let label = ui.label("Replications");
                ui.add(egui::DragValue::new(&mut self.replications).range(2..=1000))
                    .labelled_by(label.id);
                ui.end_row();
            });
        ui.label(
            RichText::new(format!(
                "Also every objective of the model ({}); an undecided one fails a setting.",
                model.slos.len()
            ))
            .weak(),
        );
        ui.horizontal(|ui| {
            let running = self.is_running();
            if ui
                .add_enabled(!running, egui::Button::new("Plan"))
                .on_hover_text("Search for the cheapest setting that meets everything")
                .clicked()
            {
                self.start(model, ui.ctx());
            }
            if running {
                ui.spinner();
                ui.label(format!("{} setting(s) run", self.trials.len()));
                if ui.button("Stop").clicked() {
                    self.stop();
                }
            }
        });
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        self.result_ui(ui, model)
    }

    /// The search path, the plan and its Apply button.
    fn result_ui(&mut self, ui: &mut egui::Ui, model: &Model) -> Option<ModelCommand> {
        let (plan, sweep) = self.asked.as_ref()?;
        if self.trials.is_empty() {
            return None;
        }
        ui.separator();
        egui::Grid::new("plan-path")
            .num_columns(4)
            .striped(true)
            .spacing([14.0, 3.0])
            .show(ui, |ui| {
                for head in ["#", "setting", "cost", "result"] {
                    ui.label(RichText::new(head).weak());
                }
                ui.end_row();
                for (i, t) in self.trials.iter().enumerate() {
                    ui.label(format!("{}", i + 1));
                    ui.label(plan.describe(&t.setting));
                    ui.label(format!("{}", t.cost));
                    if t.passes() {
                        ui.label("passes");
                    } else {
                        ui.label(
                            RichText::new(format!("fails: {}", t.failures.join("; ")))
                                .color(ui.visuals().warn_fg_color),
                        );
                    }
                    ui.end_row();
                }
            });
        let outcome = self.outcome.as_ref()?;
        let mut edit = None;
        match outcome.best.map(|b| &outcome.trials[b]) {
            None => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "No setting within the knobs' ranges works: widen a range, add a knob, or relax a requirement.",
                );
            }
            Some(best) => {
                ui.horizontal(|ui| {
                    ui.label(
                        RichText::new(format!(
                            "Plan: {} (cost {})",
                            plan.describe(&best.setting),
                            best.cost
                        ))
                        .strong(),
                    );
                    if ui
                        .button("Apply")
                        .on_hover_text(
                            "Set the design to the plan, as one edit (undo takes it back)",
                        )
                        .clicked()
                        && let Ok(target) = sweep.model_at(model, &best.setting)
                    {
                        edit = edit_to(model, &target);
                        self.applied = Some(if edit.is_some() {
                            format!("Applied {}.", plan.describe(&best.setting))
                        } else {
                            "The design already has this setting.".to_owned()
                        });
                    }
                });
            }
        }
        if let Some(text) = &self.applied {
            ui.label(RichText::new(text).weak());
        }
        edit
    }
}
