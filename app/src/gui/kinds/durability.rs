//! A broker's durability rows, shared by queues, topics, logs and event
//! stores: replicas, in-sync minimum, acknowledgements, persistence, the
//! election time and the replication lag.

use eframe::egui::{self, DragValue, Ui};
use sim_core::nodes::durability::{Acks, Durability, MAX_REPLICAS};
use sim_core::nodes::standby::{Mirroring, Standby};

use sim_core::snapshot::NodeSnapshot;

use super::LiveNumber;
use crate::gui::inspector::fields::{dist_row_ui, enum_ui};

/// A broker's live count of the writes its crashes lost (a durable
/// broker's report metric `lost`; never anything without durability).
pub(super) fn lost_number(n: &NodeSnapshot) -> LiveNumber {
    LiveNumber::count(
        "lost",
        n.lost,
        "lost",
        "Writes its crashes lost: not yet replicated, or held in memory when no replica was left",
    )
    .card_if_any()
}

/// The card's short mark for a broker's replication, appended to its
/// summary: "×3 acks 1", and "→ west" with a standby there.
pub(super) fn with_mark(summary: String, durability: Option<&Durability>) -> String {
    match durability {
        None => summary,
        Some(d) => {
            let memory = if d.persistent { "" } else { " mem" };
            let standby = d
                .standby
                .as_ref()
                .map_or_else(String::new, |s| format!(" → {}", s.region));
            format!(
                "{summary} · ×{} acks {}{memory}{standby}",
                d.replicas,
                d.acks.key()
            )
        }
    }
}

/// The rows: a switch, then the parameters when it is on.
pub(super) fn durability_ui(ui: &mut Ui, durability: &mut Option<Durability>) {
    let label = ui.label("Durability");
    let mut on = durability.is_some();
    if ui
        .checkbox(&mut on, "replicas, acks, failover")
        .labelled_by(label.id)
        .on_hover_text(
            "Off: one broker on disk, so a crash is an outage that loses nothing. \
             On: replicas that take over after an election, and the writes a crash loses",
        )
        .changed()
    {
        *durability = on.then(Durability::default);
    }
    ui.end_row();
    let Some(d) = durability else {
        return;
    };
    let label = ui.label("Replicas");
    ui.horizontal(|ui| {
        ui.add(
            DragValue::new(&mut d.replicas)
                .range(1..=MAX_REPLICAS)
                .speed(0.05)
                .suffix(" copies"),
        )
        .on_hover_text("The replication factor: copies of every message, the leader's included");
        let mut min = d.in_sync_needed();
        let response = ui
            .add(
                DragValue::new(&mut min)
                    .range(1..=d.replicas.max(1))
                    .speed(0.05)
                    .prefix("min ")
                    .suffix(" in sync"),
            )
            .on_hover_text(
                "With acks all, writes are refused (NOT_ENOUGH_REPLICAS) while fewer replicas are up",
            );
        if response.changed() {
            d.min_in_sync = Some(min);
        }
    })
    .response
    .labelled_by(label.id);
    ui.end_row();
    let label = ui.label("Acks");
    enum_ui(
        ui,
        "durability-acks",
        &mut d.acks,
        &Acks::ALL.map(|a| (a, a.label())),
    )
    .labelled_by(label.id)
    .on_hover_text(
        "When a write counts as done. Leader or none: writes not yet replicated are lost \
         when the leader crashes. All: each write waits for the replication lag",
    );
    ui.end_row();
    let label = ui.label("Persistence");
    ui.checkbox(&mut d.persistent, "on disk")
        .labelled_by(label.id)
        .on_hover_text("Off: a crash that leaves no replica loses everything the broker holds");
    ui.end_row();
    dist_row_ui(ui, "Election", "durability-election", &mut d.election);
    dist_row_ui(
        ui,
        "Replication lag",
        "durability-replication",
        &mut d.replication,
    );
    standby_ui(ui, &mut d.standby);
}

/// The standby rows: a switch, then the standby's region, how writes are
/// copied there, the lag and the failover's times.
fn standby_ui(ui: &mut Ui, standby: &mut Option<Standby>) {
    let label = ui.label("Standby");
    let mut on = standby.is_some();
    if ui
        .checkbox(&mut on, "in another region")
        .labelled_by(label.id)
        .on_hover_text(
            "Disaster recovery: a copy in another region that takes over when the broker's \
             region goes down. The broker needs a region of its own",
        )
        .changed()
    {
        *standby = on.then(|| Standby::in_region("standby"));
    }
    ui.end_row();
    let Some(s) = standby else {
        return;
    };
    let label = ui.label("Standby region");
    ui.add(egui::TextEdit::singleline(&mut s.region).desired_width(120.0))
        .labelled_by(label.id)
        .on_hover_text("Where the standby runs: another region than the broker's");
    ui.end_row();
    let label = ui.label("Copies");
    enum_ui(
        ui,
        "standby-replication",
        &mut s.replication,
        &Mirroring::ALL.map(|m| (m, m.label())),
    )
    .labelled_by(label.id)
    .on_hover_text(
        "Asynchronous: readers do not wait, and the writes of the last lag are lost when the \
         region fails. Synchronous: every write waits for the standby, and none is lost",
    );
    ui.end_row();
    dist_row_ui(ui, "Standby lag", "standby-lag", &mut s.lag);
    dist_row_ui(ui, "Detection", "standby-detection", &mut s.detection);
    dist_row_ui(ui, "Switch", "standby-switch", &mut s.switch);
}
