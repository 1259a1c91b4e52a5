//! A broker's durability rows, shared by queues, topics, logs and event
//! stores: replicas, in-sync minimum, acknowledgements, persistence, the
//! election time and the replication lag.

use eframe::egui::{DragValue, Ui};
use sim_core::nodes::durability::{Acks, Durability, MAX_REPLICAS};

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
/// summary: "×3 acks 1".
pub(super) fn with_mark(summary: String, durability: Option<&Durability>) -> String {
    match durability {
        None => summary,
        Some(d) => {
            let memory = if d.persistent { "" } else { " mem" };
            format!("{summary} · ×{} acks {}{memory}", d.replicas, d.acks.key())
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
}
