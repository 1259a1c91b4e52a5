//! Services: external dependencies that consumers call and wait for.

use eframe::egui::{self, Color32, Rect, Ui, vec2};
use sim_core::nodes::{Cancel, NodeKind, ServiceParams};
use sim_core::snapshot::NodeSnapshot;

use super::{Icon, KindUi, LiveNumber, ParamsUi, card_line, edited};
use crate::gui::inspector::fields::{
    dist_row_ui, enum_ui, field_problems_ui, optional_count_ui, optional_rate_ui,
};
use crate::gui::session::marks::{CardMarks, ratio};

#[derive(Debug)]
pub struct Service;

impl KindUi for Service {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0xb0, 0x5a, 0x8c)
    }

    fn blurb(&self) -> &'static str {
        "An external dependency that consumers call and wait for"
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
        // A plug: a box with two prongs.
        let r = Rect::from_center_size(p(-0.2, 0.0), vec2(s * 1.0, s * 1.1));
        painter.rect_filled(r, s * 0.12, color);
        for y in [-0.3f32, 0.3] {
            painter.line_segment([p(0.3, y), p(0.8, y)], stroke);
        }
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        let mut numbers = vec![
            LiveNumber::count("done", n.departed, "departed", "Calls it answered"),
            LiveNumber::now("waiting", n.depth, "Calls waiting for a free slot").card_if_any(),
            LiveNumber::count("calls", n.arrived, "arrived", "Calls it received").panel_only(),
        ];
        if let Some(limit) = n.capacity {
            numbers.push(
                LiveNumber::now("busy", n.busy, "Calls in progress")
                    .of(Some(limit))
                    .panel_only(),
            );
        }
        numbers.push(
            LiveNumber::now(
                "for nobody",
                n.wasted,
                "Calls in progress whose caller stopped waiting: work for nobody",
            )
            .card_if_any(),
        );
        numbers
    }

    fn card_marks(&self, n: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        if let Some(limit) = n.capacity {
            marks.bar = Some(ratio(n.busy, limit));
            marks.wasted = ratio(n.wasted, limit);
        }
        marks.set_line(|| card_line(&self.live_numbers(n)));
    }
}

impl ParamsUi for ServiceParams {
    fn summary(&self) -> String {
        let mut text = format!("calls {}", self.latency.mean());
        if let Some(c) = self.concurrency {
            text.push_str(&format!(" · max {c}"));
        }
        text
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Service, section_ui)
    }
}

fn section_ui(ui: &mut Ui, s: &mut ServiceParams) {
    dist_row_ui(ui, "Latency", "service-latency", &mut s.latency);
    ui.label("Concurrency");
    let mut c = s.concurrency.map(u64::from);
    optional_count_ui(ui, &mut c, "unlimited", 10);
    s.concurrency = c.map(|c| u32::try_from(c).unwrap_or(u32::MAX));
    ui.end_row();
    ui.label("Rate limit");
    optional_rate_ui(ui, &mut s.rate_limit, 100.0, " /s", "none");
    ui.end_row();
    ui.label("Failure");
    ui.add(
        egui::Slider::new(&mut s.failure, 0.0..=1.0)
            .custom_formatter(|v, _| format!("{:.1}%", v * 100.0)),
    )
    .on_hover_text("Probability that a call fails");
    ui.end_row();
    let label = ui.label("Abandoned calls");
    let choices: Vec<(Cancel, &str)> = Cancel::ALL.iter().map(|c| (*c, c.label())).collect();
    enum_ui(ui, "cancel", &mut s.cancel, &choices)
        .labelled_by(label.id)
        .on_hover_text(
            "Whether the service cancels a call whose caller stopped waiting (a call timeout, a crash)",
        );
    ui.end_row();
    let problems = s.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
