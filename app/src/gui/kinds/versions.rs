//! Schema versions: the rows of what a consumer or projection reads, and
//! its live counts of events of other versions.

use eframe::egui::{DragValue, Ui};
use sim_core::nodes::versions::{MAX_VERSION, OnVersion, Reads, Upgrade};
use sim_core::snapshot::NodeSnapshot;
use sim_core::time::Duration;

use super::LiveNumber;
use crate::gui::inspector::fields::{duration_row_ui, duration_ui, enum_ui};

/// The live counts: events of a version it does not read, turned away
/// (on the card when any), and older ones it upcast.
pub(super) fn version_numbers(n: &NodeSnapshot) -> [LiveNumber; 2] {
    [
        LiveNumber::count(
            "wrong version",
            n.wrong_version,
            "version_rejected",
            "Events of a schema version it does not read, rejected to the dead-letter queue or \
             dropped, unprocessed",
        )
        .card_if_any(),
        LiveNumber::count(
            "upcast",
            n.upcast,
            "upcast",
            "Events of an older schema version it converted before processing",
        )
        .panel_only(),
    ]
}

/// The card's summary with the versions it reads.
pub(super) fn with_mark(summary: String, reads: Option<&Reads>) -> String {
    match reads {
        None => summary,
        Some(r) => format!("{summary} · {}", r.mark()),
    }
}

/// The rows: a switch, then the versions read, the rules for others and
/// an upgrade. A projection (`rejects` false) has no dead-letter queue.
pub(super) fn versions_ui(ui: &mut Ui, id: &str, reads: &mut Option<Reads>, rejects: bool) {
    let label = ui.label("Versions read");
    let mut on = reads.is_some();
    if ui
        .checkbox(&mut on, "only some schema versions")
        .labelled_by(label.id)
        .on_hover_text(
            "Off: it reads every version of every event. On: it reads the versions between \
             the oldest and the newest, and upcasts, rejects or drops the others",
        )
        .changed()
    {
        *reads = on.then(|| Reads {
            newer: if rejects {
                OnVersion::Reject
            } else {
                OnVersion::Drop
            },
            ..Reads::default()
        });
    }
    ui.end_row();
    let Some(r) = reads else {
        return;
    };
    let label = ui.label("Reads versions");
    ui.horizontal(|ui| {
        ui.add(
            DragValue::new(&mut r.min)
                .range(1..=MAX_VERSION)
                .speed(0.05)
                .prefix("v"),
        )
        .on_hover_text("The oldest version it reads as it is");
        ui.label("to");
        ui.add(
            DragValue::new(&mut r.max)
                .range(1..=MAX_VERSION)
                .speed(0.05)
                .prefix("v"),
        )
        .on_hover_text("The newest version it reads");
    })
    .response
    .labelled_by(label.id);
    ui.end_row();
    rule_ui(
        ui,
        &format!("{id}-older"),
        "Older versions",
        &mut r.older,
        rejects,
        true,
    );
    if let OnVersion::Upcast {
        per_event,
        per_step,
    } = &mut r.older
    {
        duration_row_ui(ui, "Upcast per event", per_event);
        duration_row_ui(ui, "Upcast per step", per_step);
    }
    rule_ui(
        ui,
        &format!("{id}-newer"),
        "Newer versions",
        &mut r.newer,
        rejects,
        false,
    );
    let label = ui.label("Upgrade");
    ui.horizontal(|ui| {
        let mut on = r.upgrade.is_some();
        if ui
            .checkbox(&mut on, "")
            .labelled_by(label.id)
            .on_hover_text("A new deployment that reads newer versions, at a time of the run")
            .changed()
        {
            r.upgrade = on.then(|| Upgrade {
                at: Duration::from_secs(60),
                max: r.max.saturating_add(1),
            });
        }
        match &mut r.upgrade {
            Some(u) => {
                ui.label("at");
                duration_ui(ui, &mut u.at);
                ui.add(
                    DragValue::new(&mut u.max)
                        .range(1..=MAX_VERSION)
                        .speed(0.05)
                        .prefix("reads to v"),
                );
            }
            None => {
                ui.weak("none");
            }
        }
    });
    ui.end_row();
}

/// A rule for versions it does not read: upcast (older only), reject
/// (with a dead-letter queue) or drop.
fn rule_ui(ui: &mut Ui, id: &str, label: &str, rule: &mut OnVersion, rejects: bool, older: bool) {
    let label = ui.label(label);
    let upcast = match *rule {
        u @ OnVersion::Upcast { .. } => u,
        _ => OnVersion::Upcast {
            per_event: Duration::ZERO,
            per_step: Duration::from_millis(1),
        },
    };
    let mut choices = Vec::new();
    if older {
        choices.push((upcast, "upcast to the oldest it reads"));
    }
    if rejects {
        choices.push((OnVersion::Reject, "reject to the dead-letter queue"));
    }
    choices.push((OnVersion::Drop, "drop"));
    enum_ui(ui, id, rule, &choices).labelled_by(label.id);
    ui.end_row();
}
