//! A service's transactional outbox rows, shared by producers and
//! consumers: the relay's poll interval, batch and publish delay.

use eframe::egui::{DragValue, Ui};
use sim_core::nodes::outbox::{MAX_BATCH, Outbox};
use sim_core::snapshot::NodeSnapshot;

use super::LiveNumber;
use crate::gui::inspector::fields::{dist_row_ui, duration_row_ui};

/// The live count of rows the relay has not yet published, if the node
/// has an outbox.
pub(super) fn outbox_number(n: &NodeSnapshot) -> Option<LiveNumber> {
    n.outbox.map(|rows| {
        LiveNumber::now(
            "outbox",
            rows,
            "Rows written to its outbox that the relay has not yet published: \
             waiting for a poll, on their way, or waiting for the broker",
        )
        .card_if_any()
    })
}

/// The card's summary with " · outbox" when it writes through one.
pub(super) fn with_mark(summary: String, outbox: Option<&Outbox>) -> String {
    match outbox {
        None => summary,
        Some(_) => format!("{summary} · outbox"),
    }
}

/// The rows: a switch, then the relay's parameters when it is on.
pub(super) fn outbox_ui(ui: &mut Ui, outbox: &mut Option<Outbox>) {
    let label = ui.label("Outbox");
    let mut on = outbox.is_some();
    if ui
        .checkbox(&mut on, "write, then a relay publishes")
        .labelled_by(label.id)
        .on_hover_text(
            "Off: what it sends goes straight to the broker, and it waits with finished work \
             while the broker is down or full; a crash loses what it held. On: it writes to \
             its own outbox in the same transaction, and a relay publishes the rows",
        )
        .changed()
    {
        *outbox = on.then(Outbox::default);
    }
    ui.end_row();
    let Some(o) = outbox else {
        return;
    };
    duration_row_ui(ui, "Relay polls every", &mut o.poll);
    let label = ui.label("Batch");
    ui.add(
        DragValue::new(&mut o.batch)
            .range(1..=MAX_BATCH)
            .speed(1.0)
            .suffix(" rows"),
    )
    .labelled_by(label.id)
    .on_hover_text("The most rows one poll publishes: at most a batch per poll");
    ui.end_row();
    dist_row_ui(ui, "Publish delay", "outbox-publish", &mut o.publish);
}
