//! The objectives' fields: the model's list (with nothing selected) and a
//! node's own objectives (with the node selected). Every edit replaces
//! the list with one command, so it undoes in one step.

use eframe::egui::{self, DragValue, RichText, Ui};
use sim_core::Model;
use sim_core::model::ModelCommand;
use sim_core::nodes::Kind;
use sim_core::slo::{LatencyOf, LossOf, Objective, Slo, SloTarget};
use sim_core::time::Duration;

use super::fields::{duration_ui, enum_ui};

/// The kinds of bound, in the order offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    Latency,
    Lag,
    LagTime,
    Staleness,
    Loss,
    Throughput,
    Availability,
}

const SHAPES: [(Shape, &str); 7] = [
    (Shape::Latency, "Latency percentile"),
    (Shape::Lag, "Lag (records)"),
    (Shape::LagTime, "Lag (seconds)"),
    (Shape::Staleness, "Staleness percentile"),
    (Shape::Loss, "Loss share"),
    (Shape::Throughput, "Throughput"),
    (Shape::Availability, "Availability"),
];

fn shape(objective: &Objective) -> Shape {
    match objective {
        Objective::Latency { .. } => Shape::Latency,
        Objective::Lag { .. } => Shape::Lag,
        Objective::LagTime { .. } => Shape::LagTime,
        Objective::Staleness { .. } => Shape::Staleness,
        Objective::Loss { .. } => Shape::Loss,
        Objective::Throughput { .. } => Shape::Throughput,
        Objective::Availability { .. } => Shape::Availability,
    }
}

/// A bound of `shape` with everyday values.
fn fresh(shape: Shape) -> Objective {
    match shape {
        Shape::Latency => Objective::Latency {
            of: LatencyOf::EndToEnd,
            percentile: 99.0,
            max: Duration::from_millis(250),
        },
        Shape::Lag => Objective::Lag { max: 1000 },
        Shape::LagTime => Objective::LagTime {
            max: Duration::from_secs(30),
        },
        Shape::Staleness => Objective::Staleness {
            percentile: 99.0,
            max: Duration::from_secs(1),
        },
        Shape::Loss => Objective::Loss {
            of: LossOf::Any,
            max: 0.001,
        },
        Shape::Throughput => Objective::Throughput { min: 1.0 },
        Shape::Availability => Objective::Availability { min: 0.999 },
    }
}

/// The objective a node of `kind` is most often held to.
pub fn default_for(kind: Kind, id: &str) -> Slo {
    let fit = kind.slo();
    let objective = if fit.staleness {
        fresh(Shape::Staleness)
    } else if fit.end_to_end {
        fresh(Shape::Latency)
    } else if fit.lag {
        fresh(Shape::Lag)
    } else if fit.wait {
        Objective::Latency {
            of: LatencyOf::Wait,
            percentile: 99.0,
            max: Duration::from_millis(100),
        }
    } else {
        fresh(Shape::Throughput)
    };
    Slo {
        name: String::new(),
        on: SloTarget::Node(id.to_owned()),
        objective,
        window: None,
    }
}

/// Where an objective is measured, as the drop-down offers it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Place {
    System,
    Node,
    Edge,
    Path,
}

/// The model's objectives, each editable, and a button to add one.
pub fn model_objectives_ui(ui: &mut Ui, model: &Model, out: &mut Vec<ModelCommand>) {
    ui.separator();
    ui.label(RichText::new("Objectives").strong().size(15.0));
    ui.label(RichText::new("What the design must achieve; each run says whether it did.").weak());
    let mut slos = model.slos.clone();
    let mut remove = None;
    for (i, slo) in slos.iter_mut().enumerate() {
        if objective_ui(ui, model, i, slo, true) {
            remove = Some(i);
        }
    }
    if let Some(i) = remove {
        slos.remove(i);
    }
    ui.add_space(4.0);
    if ui
        .button("Add objective")
        .on_hover_text("A bound on the whole system's end-to-end latency; change it as needed")
        .clicked()
    {
        slos.push(Slo {
            name: String::new(),
            on: SloTarget::System,
            objective: fresh(Shape::Latency),
            window: None,
        });
    }
    if slos != model.slos {
        out.push(ModelCommand::SetSlos(slos));
    }
}

/// The objectives on node `id`, and a button to add one.
pub fn node_objectives_ui(
    ui: &mut Ui,
    model: &Model,
    id: &str,
    kind: Kind,
    out: &mut Vec<ModelCommand>,
) {
    ui.separator();
    ui.label(RichText::new("Objectives").strong().size(15.0));
    let mut slos = model.slos.clone();
    let mut remove = None;
    for (i, slo) in slos.iter_mut().enumerate() {
        if slo.on.mentions(id) && objective_ui(ui, model, i, slo, false) {
            remove = Some(i);
        }
    }
    if let Some(i) = remove {
        slos.remove(i);
    }
    if ui
        .button("Add objective")
        .on_hover_text("Hold this node to a bound: a latency, a lag, a throughput…")
        .clicked()
    {
        slos.push(default_for(kind, id));
    }
    if slos != model.slos {
        out.push(ModelCommand::SetSlos(slos));
    }
}

/// One objective's fields in a collapsible section; whether Remove was
/// clicked. `place` offers to change where it is measured.
fn objective_ui(ui: &mut Ui, model: &Model, i: usize, slo: &mut Slo, place: bool) -> bool {
    let mut removed = false;
    egui::CollapsingHeader::new(slo.label())
        .id_salt(("objective", i))
        .default_open(false)
        .show(ui, |ui| {
            egui::Grid::new(("objective-grid", i))
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    ui.label("Name");
                    let hint = slo.description();
                    ui.add(
                        egui::TextEdit::singleline(&mut slo.name)
                            .hint_text(hint)
                            .desired_width(180.0),
                    );
                    ui.end_row();
                    if place {
                        target_rows_ui(ui, model, i, &mut slo.on);
                    }
                    ui.label("Bound");
                    let mut s = shape(&slo.objective);
                    enum_ui(ui, &format!("objective-shape-{i}"), &mut s, &SHAPES);
                    if s != shape(&slo.objective) {
                        slo.objective = fresh(s);
                    }
                    ui.end_row();
                    bound_rows_ui(ui, i, &mut slo.objective);
                    ui.label("Window");
                    ui.horizontal(|ui| {
                        let mut on = slo.window.is_some();
                        if ui
                            .checkbox(&mut on, "")
                            .on_hover_text("Rolling windows, each of which must meet the bound")
                            .changed()
                        {
                            slo.window = on.then(|| Duration::from_secs(60));
                        }
                        match &mut slo.window {
                            Some(w) => {
                                duration_ui(ui, w);
                            }
                            None => {
                                ui.label(RichText::new("the whole run").weak());
                            }
                        }
                    });
                    ui.end_row();
                });
            if ui.button("Remove objective").clicked() {
                removed = true;
            }
        });
    removed
}

/// Where the objective is measured: the system, a node, an edge or a path.
fn target_rows_ui(ui: &mut Ui, model: &Model, i: usize, on: &mut SloTarget) {
    let graph = &model.graph;
    let ids: Vec<(String, String)> = graph
        .node_indices()
        .map(|n| (graph[n].id.clone(), graph[n].label().to_owned()))
        .collect();
    let edges: Vec<String> = graph.edge_indices().map(|e| model.edge_id(e)).collect();
    let first = ids.first().map(|(id, _)| id.clone()).unwrap_or_default();
    let mut place = match on {
        SloTarget::System => Place::System,
        SloTarget::Node(_) => Place::Node,
        SloTarget::Edge(_) => Place::Edge,
        SloTarget::Path { .. } => Place::Path,
    };
    ui.label("Measured on");
    enum_ui(
        ui,
        &format!("objective-place-{i}"),
        &mut place,
        &[
            (Place::System, "The whole system"),
            (Place::Node, "A node"),
            (Place::Edge, "A link"),
            (Place::Path, "A path"),
        ],
    );
    ui.end_row();
    let changed = match (&*on, place) {
        (SloTarget::System, Place::System)
        | (SloTarget::Node(_), Place::Node)
        | (SloTarget::Edge(_), Place::Edge)
        | (SloTarget::Path { .. }, Place::Path) => None,
        (_, Place::System) => Some(SloTarget::System),
        (_, Place::Node) => Some(SloTarget::Node(first.clone())),
        (_, Place::Edge) => Some(SloTarget::Edge(edges.first().cloned().unwrap_or_default())),
        (_, Place::Path) => Some(SloTarget::Path {
            from: first.clone(),
            to: ids.last().map(|(id, _)| id.clone()).unwrap_or_default(),
        }),
    };
    if let Some(new) = changed {
        *on = new;
    }
    let pick = |ui: &mut Ui, salt: &str, value: &mut String, options: &[(String, String)]| {
        let shown = options
            .iter()
            .find(|(id, _)| id == value)
            .map_or(value.clone(), |(_, label)| label.clone());
        egui::ComboBox::from_id_salt(salt)
            .selected_text(shown)
            .show_ui(ui, |ui| {
                for (id, label) in options {
                    ui.selectable_value(value, id.clone(), label);
                }
            });
    };
    match on {
        SloTarget::Node(id) => {
            ui.label("Node");
            pick(ui, &format!("objective-node-{i}"), id, &ids);
            ui.end_row();
        }
        SloTarget::Edge(id) => {
            let options: Vec<(String, String)> =
                edges.iter().map(|e| (e.clone(), e.clone())).collect();
            ui.label("Link");
            pick(ui, &format!("objective-edge-{i}"), id, &options);
            ui.end_row();
        }
        SloTarget::Path { from, to } => {
            ui.label("From");
            pick(ui, &format!("objective-from-{i}"), from, &ids);
            ui.end_row();
            ui.label("To");
            pick(ui, &format!("objective-to-{i}"), to, &ids);
            ui.end_row();
        }
        SloTarget::System => {}
    }
}

/// The bound's own fields.
fn bound_rows_ui(ui: &mut Ui, i: usize, objective: &mut Objective) {
    let percentile_row = |ui: &mut Ui, p: &mut f64| {
        ui.label("Percentile");
        ui.add(
            DragValue::new(p)
                .range(1.0..=99.99)
                .speed(0.1)
                .max_decimals(2)
                .prefix("p"),
        );
        ui.end_row();
    };
    let duration_row = |ui: &mut Ui, label: &str, d: &mut Duration| {
        ui.label(label);
        duration_ui(ui, d);
        ui.end_row();
    };
    let share_row = |ui: &mut Ui, label: &str, share: &mut f64, hint: &str| {
        ui.label(label);
        let mut percent = *share * 100.0;
        let response = ui
            .add(
                DragValue::new(&mut percent)
                    .range(0.0..=100.0)
                    .speed(0.01)
                    .max_decimals(4)
                    .suffix(" %"),
            )
            .on_hover_text(hint);
        if response.changed() {
            *share = percent / 100.0;
        }
        ui.end_row();
    };
    match objective {
        Objective::Latency {
            of,
            percentile,
            max,
        } => {
            ui.label("Latency");
            enum_ui(
                ui,
                &format!("objective-of-{i}"),
                of,
                &LatencyOf::ALL.map(|o| (o, o.label())),
            );
            ui.end_row();
            percentile_row(ui, percentile);
            duration_row(ui, "At most", max);
        }
        Objective::Staleness { percentile, max } => {
            percentile_row(ui, percentile);
            duration_row(ui, "At most", max);
        }
        Objective::Lag { max } => {
            ui.label("At most");
            ui.add(DragValue::new(max).speed(10.0).suffix(" records"));
            ui.end_row();
        }
        Objective::LagTime { max } => duration_row(ui, "At most", max),
        Objective::Loss { of, max } => {
            ui.label("Counted as lost");
            enum_ui(
                ui,
                &format!("objective-loss-{i}"),
                of,
                &LossOf::ALL.map(|o| (o, o.label())),
            );
            ui.end_row();
            share_row(ui, "At most", max, "The share of messages lost");
        }
        Objective::Throughput { min } => {
            ui.label("At least");
            ui.add(
                DragValue::new(min)
                    .range(0.0..=f64::MAX)
                    .speed(0.5)
                    .suffix(" /s"),
            );
            ui.end_row();
        }
        Objective::Availability { min } => {
            share_row(ui, "At least", min, "The share of time the node is up");
        }
    }
}
