//! A node's region: the field that places it in one, and the outages of
//! that region on the scenario timeline, each editable in place (the
//! scenario keeps them; every change is one `SetScenario`).

use eframe::egui::{self, RichText, Ui};
use sim_core::Model;
use sim_core::model::{ModelCommand, Node, Scenario};
use sim_core::regions::RegionOutage;
use sim_core::time::Duration;

use super::fields::duration_ui;

/// "Region down at 2m for 30s".
pub fn outage_title(outage: &RegionOutage) -> String {
    format!("Region down at {} for {}", outage.at, outage.duration)
}

/// A new outage of `region` for a run of `run`: a third of the way in, for
/// a tenth of it.
pub fn fresh_outage(region: &str, run: Duration) -> RegionOutage {
    RegionOutage {
        region: region.to_owned(),
        at: Duration(run.0 / 3),
        duration: Duration((run.0 / 10).max(1_000_000_000)),
    }
}

/// The grid row that places `node` in a region: a text field, and the
/// model's other regions to pick from.
pub fn region_row_ui(ui: &mut Ui, model: &Model, node: &Node, out: &mut Vec<ModelCommand>) {
    let label = ui.label("Region");
    ui.horizontal(|ui| {
        let mut region = node.region.clone().unwrap_or_default();
        let edit = ui
            .add(
                egui::TextEdit::singleline(&mut region)
                    .hint_text("none")
                    .desired_width(120.0),
            )
            .labelled_by(label.id)
            .on_hover_text(
                "The region or zone it runs in: a region outage on the timeline takes down \
                 every node in it. Empty: in none",
            );
        if edit.changed() {
            out.push(ModelCommand::SetRegion {
                id: node.id.clone(),
                region: Some(region),
            });
        }
        let known: Vec<String> = sim_core::regions::names(model)
            .into_iter()
            .filter(|r| node.region.as_ref() != Some(r))
            .collect();
        if !known.is_empty() {
            ui.menu_button("▾", |ui| {
                for name in known {
                    if ui.button(&name).clicked() {
                        out.push(ModelCommand::SetRegion {
                            id: node.id.clone(),
                            region: Some(name),
                        });
                        ui.close();
                    }
                }
            })
            .response
            .on_hover_text("Place it in one of the model's regions");
        }
    });
    ui.end_row();
}

/// The outages of `region` on the scenario timeline, each editable, with
/// a button to add one.
pub fn region_outages_ui(ui: &mut Ui, model: &Model, region: &str, out: &mut Vec<ModelCommand>) {
    ui.separator();
    ui.label(
        RichText::new(format!("Outages of region {region}"))
            .strong()
            .size(15.0),
    );
    let mut scenario = model.scenario.clone();
    let mut remove = None;
    for (i, outage) in scenario.region_outages.iter_mut().enumerate() {
        if outage.region != region {
            continue;
        }
        egui::CollapsingHeader::new(outage_title(outage))
            .id_salt(("region-outage", i))
            .show(ui, |ui| {
                egui::Grid::new(("region-outage-grid", i))
                    .num_columns(2)
                    .spacing([12.0, 6.0])
                    .show(ui, |ui| {
                        let label = ui.label("At");
                        duration_ui(ui, &mut outage.at)
                            .labelled_by(label.id)
                            .on_hover_text("From the start of the run, the warm-up included");
                        ui.end_row();
                        let label = ui.label("Lasts");
                        duration_ui(ui, &mut outage.duration).labelled_by(label.id);
                        ui.end_row();
                    });
                if ui.button("Remove").clicked() {
                    remove = Some(i);
                }
            });
    }
    if let Some(i) = remove {
        scenario.region_outages.remove(i);
    }
    if ui
        .button("Add region outage")
        .on_hover_text(format!(
            "Every node in {region} goes down at a given time in every run; brokers with a \
             standby elsewhere fail over to it"
        ))
        .clicked()
    {
        scenario
            .region_outages
            .push(fresh_outage(region, model.scenario.duration));
    }
    if scenario != model.scenario {
        out.push(ModelCommand::SetScenario(scenario));
    }
}

/// Every region outage of the scenario, a line each (a node's inspector
/// edits those of its region).
pub fn scenario_outages_ui(ui: &mut Ui, scenario: &Scenario) {
    for outage in &scenario.region_outages {
        ui.label(format!("{}: {}", outage.region, outage_title(outage)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_outage_fits_the_run_and_says_when() {
        let run = Duration::from_secs(600);
        let outage = fresh_outage("east", run);
        assert!(outage.at < run && !outage.duration.is_zero());
        assert_eq!(outage_title(&outage), "Region down at 3m20s for 1m");
    }
}
