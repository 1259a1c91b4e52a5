//! Event stores: event sourcing's append-only log, with conflicts and replay.

use eframe::egui::{self, Color32, Rect, Ui, vec2};
use sim_core::nodes::{EventStoreParams, NodeKind, Replay};
use sim_core::snapshot::NodeSnapshot;
use sim_core::time::Duration;

use super::{Icon, KindUi, LiveNumber, ParamsUi, edited, short_number};
use crate::gui::inspector::fields::{
    dist_row_ui, duration_row_ui, field_problems_ui, optional_count_ui, optional_rate_ui,
    rate_row_ui,
};

#[derive(Debug)]
pub struct EventStore;

impl KindUi for EventStore {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x2e, 0x8b, 0x74)
    }

    fn blurb(&self) -> &'static str {
        "Event sourcing's append-only log: appends, conflicts, replay"
    }

    fn paint_icon(&self, icon: &Icon<'_>) {
        let Icon {
            painter,
            size: s,
            stroke,
            color,
            ..
        } = *icon;
        let p = |x: f32, y: f32| icon.at(x, y);
        // A stack of appended records, the newest drawn solid.
        for (i, y) in [-0.55f32, -0.1, 0.35].into_iter().enumerate() {
            let r = Rect::from_center_size(p(0.0, y), vec2(s * 1.5, s * 0.34));
            if i == 2 {
                painter.rect_filled(r, s * 0.08, color);
            } else {
                painter.rect_stroke(r, s * 0.08, stroke, egui::StrokeKind::Middle);
            }
        }
        painter.line_segment([p(0.0, 0.6), p(0.0, 0.95)], stroke);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count("in", n.arrived, "arrived", "Events sent to it").panel_only(),
            LiveNumber::count(
                "sent on",
                n.departed,
                "departed",
                "Appended events sent on (or completed here when nothing reads them)",
            ),
            LiveNumber::now("waiting", n.depth, "Events waiting to be appended").card_if_any(),
            LiveNumber::count(
                "retries",
                n.retries,
                "retries",
                "Appends retried after a version conflict",
            )
            .card_if_any(),
            super::durability::lost_number(n),
        ]
    }
}

impl ParamsUi for EventStoreParams {
    fn summary(&self) -> String {
        let mut text = format!("append {}", self.append.mean());
        if let Some(rate) = self.max_rate {
            text.push_str(&format!(" · max {}/s", short_number(rate)));
        }
        if self.conflict > 0.0 {
            text.push_str(&format!(
                " · {}% conflict",
                short_number(self.conflict * 100.0)
            ));
        }
        super::durability::with_mark(text, self.durability.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::EventStore, section_ui)
    }
}

fn section_ui(ui: &mut Ui, s: &mut EventStoreParams) {
    dist_row_ui(ui, "Append", "store-append", &mut s.append);
    ui.label("Max rate");
    optional_rate_ui(ui, &mut s.max_rate, 1000.0, " appends/s", "no limit");
    ui.end_row();
    ui.label("Backlog");
    let mut b = s.backlog.map(u64::from);
    optional_count_ui(ui, &mut b, "unbounded", 1000);
    s.backlog = b.map(|b| u32::try_from(b).unwrap_or(u32::MAX));
    ui.end_row();
    ui.label("Conflicts");
    ui.add(
        egui::Slider::new(&mut s.conflict, 0.0..=0.99)
            .custom_formatter(|v, _| format!("{:.1}%", v * 100.0)),
    )
    .on_hover_text(
        "Probability that an append meets an optimistic-concurrency conflict and is retried",
    );
    ui.end_row();
    duration_row_ui(ui, "Retry after", &mut s.retry_delay);
    ui.label("Max attempts");
    let mut m = s.max_attempts.map(u64::from);
    optional_count_ui(ui, &mut m, "unlimited", 5);
    s.max_attempts = m.map(|m| u32::try_from(m).unwrap_or(u32::MAX));
    ui.end_row();
    ui.label("Replay");
    let mut replay = s.replay.is_some();
    ui.checkbox(&mut replay, "rebuild the projections")
        .on_hover_text("At a time, send every stored event again to the connected projections");
    ui.end_row();
    match (replay, &mut s.replay) {
        (true, Some(r)) => {
            duration_row_ui(ui, "Replay at", &mut r.at);
            rate_row_ui(ui, "Replay rate", &mut r.rate);
        }
        (true, None) => {
            s.replay = Some(Replay {
                at: Duration::from_secs(60),
                rate: 1000.0,
            });
        }
        (false, _) => s.replay = None,
    }
    super::durability::durability_ui(ui, &mut s.durability);
    let problems = s.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
