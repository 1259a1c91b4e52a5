//! The model's variants: named alternatives kept in the same file, each
//! giving some nodes other parameters. Listed with nothing selected; each
//! node's parameters edit with the kind's own fields.

use eframe::egui::{self, RichText, Ui};
use sim_core::Model;
use sim_core::model::{ModelCommand, Variant, VariantNode};

use crate::gui::kinds;

/// The variants, editable, with Add variant; `compare` is set to a
/// variant's name when its Compare button is clicked.
pub fn variants_ui(
    ui: &mut Ui,
    model: &Model,
    out: &mut Vec<ModelCommand>,
    compare: &mut Option<String>,
) {
    ui.separator();
    ui.label(RichText::new("Variants").strong().size(15.0));
    ui.label(
        RichText::new(
            "Alternatives to the design, kept in this file: compare them on the same seeds.",
        )
        .weak(),
    );
    let graph = &model.graph;
    let mut variants = model.variants.clone();
    let mut remove = None;
    for (i, variant) in variants.iter_mut().enumerate() {
        egui::CollapsingHeader::new(&variant.name)
            .id_salt(("variant", i))
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.label("Name");
                    ui.text_edit_singleline(&mut variant.name);
                });
                ui.horizontal(|ui| {
                    ui.label("Why");
                    ui.add(
                        egui::TextEdit::singleline(&mut variant.description)
                            .hint_text("what it changes and why"),
                    );
                });
                let mut drop_node = None;
                for (k, change) in variant.nodes.iter_mut().enumerate() {
                    let label = model
                        .find(&change.id)
                        .map_or(change.id.clone(), |n| graph[n].label().to_owned());
                    ui.add_space(4.0);
                    ui.horizontal(|ui| {
                        ui.label(RichText::new(label).strong());
                        if ui.small_button("Keep as drawn").clicked() {
                            drop_node = Some(k);
                        }
                    });
                    let edited = egui::Grid::new(("variant-node", i, k))
                        .num_columns(2)
                        .spacing([12.0, 6.0])
                        .show(ui, |ui| kinds::params(&change.kind).inspector_ui(ui))
                        .inner;
                    if let Some(kind) = edited {
                        change.kind = kind;
                    }
                }
                if let Some(k) = drop_node {
                    variant.nodes.remove(k);
                }
                let unchanged: Vec<(String, String)> = graph
                    .node_indices()
                    .filter(|&n| !variant.nodes.iter().any(|c| c.id == graph[n].id))
                    .map(|n| (graph[n].id.clone(), graph[n].label().to_owned()))
                    .collect();
                ui.add_space(4.0);
                ui.horizontal(|ui| {
                    egui::ComboBox::from_id_salt(("variant-add", i))
                        .selected_text("Change a node…")
                        .show_ui(ui, |ui| {
                            for (id, label) in &unchanged {
                                if ui.selectable_label(false, label).clicked()
                                    && let Some(n) = model.find(id)
                                {
                                    variant.nodes.push(VariantNode {
                                        id: id.clone(),
                                        kind: graph[n].kind.clone(),
                                    });
                                }
                            }
                        });
                    if ui
                        .button("Compare…")
                        .on_hover_text("Run the design and this variant on the same seeds")
                        .clicked()
                    {
                        *compare = Some(variant.name.clone());
                    }
                    if ui.button("Remove variant").clicked() {
                        remove = Some(i);
                    }
                });
            });
    }
    if let Some(i) = remove {
        variants.remove(i);
    }
    if ui
        .button("Add variant")
        .on_hover_text("A named alternative: pick the nodes it changes")
        .clicked()
    {
        let mut k = variants.len() + 1;
        while variants.iter().any(|v| v.name == format!("Variant {k}")) {
            k += 1;
        }
        variants.push(Variant {
            name: format!("Variant {k}"),
            description: String::new(),
            nodes: Vec::new(),
        });
    }
    if variants != model.variants {
        out.push(ModelCommand::SetVariants(variants));
    }
}
