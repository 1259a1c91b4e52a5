//! The inspector: every parameter of the selected node or edge, or of the
//! model and its scenario when nothing is selected.
//!
//! It edits a copy and returns a [`ModelCommand`] when the copy differs;
//! the model itself is changed only by the caller. Problems with a value
//! are written under its field. Each kind's own section is in its file
//! under `gui::kinds`; the field widgets they share are in [`fields`].

pub mod alerts;
pub mod faults;
pub mod fields;
pub mod objectives;
pub mod regions;
pub mod theory;
pub mod variants;

use eframe::egui::{self, DragValue, RichText, Ui};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use sim_core::Model;
use sim_core::model::{Edge, ModelCommand, Scenario};
use sim_core::nodes::NodeKind;
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, Target};

use super::kinds;
use fields::{duration_row_ui, duration_ui, field_problems_ui};

/// Text being typed into fields that apply only when done (ids, filters).
#[derive(Debug, Default)]
pub struct InspectorState {
    id_edit: Option<(NodeIndex, String)>,
    filter_edit: Option<(EdgeIndex, String)>,
    /// A variant whose Compare button was clicked, for the window to open
    /// Compare designs on.
    pub compare: Option<String>,
    /// The model's queueing analysis and the document revision it is of:
    /// analysed once per edit, not once per frame.
    theory: Option<(u64, std::sync::Arc<sim_core::theory::Analysis>)>,
}

impl InspectorState {
    /// The analysis of `model`, the document's at `revision`.
    fn analysis(
        &mut self,
        model: &Model,
        revision: u64,
    ) -> std::sync::Arc<sim_core::theory::Analysis> {
        match &self.theory {
            Some((at, analysis)) if *at == revision => std::sync::Arc::clone(analysis),
            _ => {
                let analysis = std::sync::Arc::new(sim_core::theory::analyse(model));
                self.theory = Some((revision, std::sync::Arc::clone(&analysis)));
                analysis
            }
        }
    }
}

/// What the inspector shows.
#[derive(Clone, Copy, Debug)]
pub enum Subject {
    Node(NodeIndex),
    Edge(EdgeIndex),
    Model,
}

/// Draws the inspector; returns the edits the user made. `model` is the
/// document's at `revision`; `report` is the last replications' report,
/// for a station's simulated values.
pub fn inspector_ui(
    ui: &mut Ui,
    (model, revision): (&Model, u64),
    subject: Subject,
    diagnostics: &[Diagnostic],
    state: &mut InspectorState,
    report: Option<&sim_core::Report>,
) -> Vec<ModelCommand> {
    let mut out = Vec::new();
    fields::clear_shown(ui);
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match subject {
            Subject::Node(n) if model.graph.contains_node(n) => {
                let analysis = state.analysis(model, revision);
                node_ui(
                    ui,
                    model,
                    n,
                    diagnostics,
                    state,
                    (report, &analysis),
                    &mut out,
                );
            }
            Subject::Edge(e) if model.graph.edge_weight(e).is_some() => {
                edge_ui(ui, model, e, diagnostics, state, &mut out);
            }
            _ => {
                model_ui(ui, model, diagnostics, &mut out);
                variants::variants_ui(ui, model, &mut out, &mut state.compare);
            }
        });
    out
}

fn heading_ui(ui: &mut Ui, title: &str, subtitle: &str) {
    ui.add_space(4.0);
    ui.label(RichText::new(title).strong().size(17.0));
    ui.label(RichText::new(subtitle).weak());
    ui.add_space(6.0);
}

/// Problems about `target`, listed in red (errors) or amber (warnings),
/// but for those in `at_fields`: the sections write them under the
/// fields they are about.
fn diagnostics_ui(ui: &mut Ui, diagnostics: &[Diagnostic], target: &Target, at_fields: &[String]) {
    for d in diagnostics
        .iter()
        .filter(|d| &d.target == target && !at_fields.contains(&d.message))
    {
        let color = if d.is_error() {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().warn_fg_color
        };
        ui.label(RichText::new(&d.message).color(color));
    }
}

fn node_ui(
    ui: &mut Ui,
    model: &Model,
    n: NodeIndex,
    diagnostics: &[Diagnostic],
    state: &mut InspectorState,
    (report, analysis): (Option<&sim_core::Report>, &sim_core::theory::Analysis),
    out: &mut Vec<ModelCommand>,
) {
    let node = &model.graph[n];
    let kind = node.kind.kind();
    heading_ui(ui, node.label(), kinds::of(kind).blurb());
    let at_fields = node.kind.problems();
    diagnostics_ui(ui, diagnostics, &Target::Node(node.id.clone()), &at_fields);
    egui::Grid::new("node-ident")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("Name");
            let mut name = node.name.clone().unwrap_or_default();
            let edit = ui.add(egui::TextEdit::singleline(&mut name).hint_text(node.id.as_str()));
            if edit.changed() {
                out.push(ModelCommand::Rename {
                    id: node.id.clone(),
                    name: Some(name),
                });
            }
            ui.end_row();

            let label = ui.label("Id");
            let buffer = match &mut state.id_edit {
                Some((m, text)) if *m == n => text,
                slot => &mut slot.insert((n, node.id.clone())).1,
            };
            let edit = ui
                .add(egui::TextEdit::singleline(buffer))
                .labelled_by(label.id)
                .on_hover_text("The stable id used in files, reports and on the command line");
            let typed = buffer.trim().to_owned();
            let problem = if typed.is_empty() {
                Some("an id cannot be empty".to_owned())
            } else if typed != node.id && model.find(&typed).is_some() {
                Some(format!("'{typed}' is taken; ids must be unique"))
            } else {
                None
            };
            if edit.lost_focus() {
                if problem.is_none() && typed != node.id {
                    out.push(ModelCommand::SetId {
                        id: node.id.clone(),
                        new_id: typed,
                    });
                }
                state.id_edit = None;
            }
            if let Some(p) = problem {
                field_problems_ui(ui, &[p]);
            }
            ui.end_row();
            regions::region_row_ui(ui, model, node, out);
        });
    ui.separator();
    let edited = egui::Grid::new("node-params")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| kinds::params(&node.kind).inspector_ui(ui))
        .inner;
    // What no field of the section explained is written under it.
    let shown = fields::shown(ui);
    let rest: Vec<String> = at_fields
        .into_iter()
        .filter(|p| !shown.contains(p))
        .collect();
    fields::problems_ui(ui, &rest);
    if let Some(kind) = edited {
        out.push(ModelCommand::SetParams {
            id: node.id.clone(),
            kind,
        });
    }
    theory::station_ui(ui, analysis, &node.id, report);
    objectives::node_objectives_ui(ui, model, &node.id, kind, out);
    faults::node_faults_ui(ui, model, &node.id, &node.kind, out);
    if let Some(region) = node.region.as_deref().filter(|r| !r.trim().is_empty()) {
        regions::region_outages_ui(ui, model, region, out);
    }
    alerts::node_alerts_ui(ui, model, &node.id, kind, diagnostics, out);
}

fn edge_ui(
    ui: &mut Ui,
    model: &Model,
    e: EdgeIndex,
    diagnostics: &[Diagnostic],
    state: &mut InspectorState,
    out: &mut Vec<ModelCommand>,
) {
    let Some((a, b)) = model.graph.edge_endpoints(e) else {
        return;
    };
    let (from, to) = (&model.graph[a], &model.graph[b]);
    let edge = &model.graph[e];
    heading_ui(
        ui,
        &format!("{} to {}", from.label(), to.label()),
        "A link between two nodes",
    );
    diagnostics_ui(ui, diagnostics, &Target::Edge(model.edge_id(e)), &[]);
    let mut edited: Edge = edge.clone();
    egui::Grid::new("edge")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("Latency");
            ui.horizontal(|ui| {
                let mut on = edited.latency.is_some();
                if ui.checkbox(&mut on, "").changed() {
                    edited.latency = on.then(|| Duration::from_millis(2));
                }
                match &mut edited.latency {
                    Some(d) => {
                        duration_ui(ui, d);
                    }
                    None => {
                        ui.label(RichText::new("none").weak());
                    }
                }
            });
            ui.end_row();
            if matches!(from.kind, NodeKind::Topic(_)) {
                ui.label("Filter");
                let current = edited
                    .filter
                    .as_ref()
                    .map(|f| f.join(", "))
                    .unwrap_or_default();
                let buffer = match &mut state.filter_edit {
                    Some((m, text)) if *m == e => text,
                    slot => &mut slot.insert((e, current)).1,
                };
                let edit = ui
                    .add(egui::TextEdit::singleline(buffer).hint_text("all event types"))
                    .on_hover_text("Event types this subscription accepts, separated by commas");
                if edit.lost_focus() {
                    let types: Vec<String> = buffer
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect();
                    edited.filter = (!types.is_empty()).then_some(types);
                    state.filter_edit = None;
                }
                ui.end_row();
            }
        });
    if &edited != edge {
        out.push(ModelCommand::SetEdge {
            from: from.id.clone(),
            to: to.id.clone(),
            edge: edited,
        });
    }
    if sim_core::links::carries_pushes(from.kind.kind(), to.kind.kind()) {
        faults::link_faults_ui(ui, model, &model.edge_id(e), out);
    }
    ui.add_space(8.0);
    if ui.button("Delete this link").clicked() {
        out.push(ModelCommand::Disconnect {
            from: from.id.clone(),
            to: to.id.clone(),
        });
    }
}

/// The warm-up: automatic (found from the replications by MSER-5), or a
/// duration set; switched off automatic, it starts at a tenth of the run.
fn warmup_row_ui(ui: &mut Ui, s: &mut Scenario) {
    let label = ui.label("Warm-up");
    ui.horizontal(|ui| {
        let mut automatic = s.warmup.is_none();
        let response = ui
            .checkbox(&mut automatic, "automatic")
            .on_hover_text(
                "Found from the replications: where the initial transient ends (MSER-5). \
                 Untick to set it yourself",
            )
            .labelled_by(label.id);
        if response.changed() {
            s.warmup = (!automatic).then_some(Duration(s.duration.0 / 10));
        }
        if let Some(warmup) = &mut s.warmup {
            duration_ui(ui, warmup).labelled_by(label.id);
        }
    });
    ui.end_row();
}

fn model_ui(ui: &mut Ui, model: &Model, diagnostics: &[Diagnostic], out: &mut Vec<ModelCommand>) {
    heading_ui(ui, "Model", "Select a node or a link to edit it");
    if model.graph.node_count() == 0 {
        ui.label(RichText::new(super::document::EMPTY_HINT).strong());
        ui.add_space(6.0);
    }
    diagnostics_ui(ui, diagnostics, &Target::Model, &[]);
    let (mut name, mut description) = (model.name.clone(), model.description.clone());
    egui::Grid::new("model")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("Name");
            ui.text_edit_singleline(&mut name);
            ui.end_row();
            ui.label("Description");
            ui.add(egui::TextEdit::multiline(&mut description).desired_rows(4));
            ui.end_row();
        });
    if name != model.name || description != model.description {
        out.push(ModelCommand::SetInfo { name, description });
    }
    ui.separator();
    ui.label(RichText::new("Scenario").strong().size(15.0));
    diagnostics_ui(ui, diagnostics, &Target::Scenario, &[]);
    let mut s: Scenario = model.scenario.clone();
    egui::Grid::new("scenario")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            duration_row_ui(ui, "Duration", &mut s.duration);
            warmup_row_ui(ui, &mut s);
            if s.warmup.is_some_and(|w| w >= s.duration) {
                field_problems_ui(
                    ui,
                    &["the warm-up must be shorter than the duration".to_owned()],
                );
                ui.end_row();
            }
            ui.label("Seed");
            ui.add(DragValue::new(&mut s.seed).speed(1.0));
            ui.end_row();
            ui.label("Replications");
            ui.add(
                DragValue::new(&mut s.replications)
                    .range(1..=1000)
                    .speed(0.1),
            );
            ui.end_row();
            ui.label("Max in flight");
            ui.add(
                DragValue::new(&mut s.max_in_flight)
                    .range(1..=u64::MAX)
                    .speed(100.0),
            )
            .on_hover_text("A run stops when more messages than this are alive at once");
            ui.end_row();
        });
    if s != model.scenario {
        out.push(ModelCommand::SetScenario(s));
    }
    faults::scenario_faults_ui(ui, &model.scenario);
    objectives::model_objectives_ui(ui, model, out);
    alerts::model_alerts_ui(ui, model, diagnostics, out);
}
