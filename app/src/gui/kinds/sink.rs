//! Sinks: external dependencies or the end of a flow.

use eframe::egui::{Color32, Shape, Stroke, Ui};
use sim_core::nodes::{NodeKind, SinkParams};
use sim_core::snapshot::NodeSnapshot;

use super::{Icon, KindUi, LiveNumber, ParamsUi, card_line, edited};
use crate::gui::inspector::fields::{dist_row_ui, field_problems_ui, optional_count_ui};
use crate::gui::session::marks::{CardMarks, ratio};

#[derive(Debug)]
pub struct Sink;

impl KindUi for Sink {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x5f, 0x72, 0x85)
    }

    fn blurb(&self) -> &'static str {
        "An external dependency or the end of a flow"
    }

    fn paint_icon(&self, icon: &Icon<'_>) {
        let Icon {
            painter,
            stroke,
            color,
            ..
        } = *icon;
        let p = |x: f32, y: f32| icon.at(x, y);
        // An arrow into a tray.
        painter.line_segment([p(0.0, -0.85), p(0.0, 0.2)], stroke);
        painter.add(Shape::convex_polygon(
            vec![p(-0.35, -0.1), p(0.35, -0.1), p(0.0, 0.35)],
            color,
            Stroke::NONE,
        ));
        painter.add(Shape::line(
            vec![p(-0.8, 0.2), p(-0.8, 0.75), p(0.8, 0.75), p(0.8, 0.2)],
            stroke,
        ));
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        let mut numbers = vec![
            LiveNumber::count("done", n.departed, "departed", "Messages it finished with"),
            LiveNumber::now("waiting", n.depth, "Messages waiting for a free slot").card_if_any(),
            LiveNumber::count(
                "out of order",
                n.out_of_order,
                "out_of_order",
                "Messages that reached it after a later message of the same producer and key",
            )
            .panel_only(),
        ];
        if let Some(limit) = n.capacity {
            numbers.push(
                LiveNumber::now("busy", n.busy, "Messages it is working on")
                    .of(Some(limit))
                    .panel_only(),
            );
        }
        numbers
    }

    fn card_marks(&self, n: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        if let Some(limit) = n.capacity {
            marks.bar = Some(ratio(n.busy, limit));
        }
        marks.set_line(|| card_line(&self.live_numbers(n)));
    }
}

impl ParamsUi for SinkParams {
    fn summary(&self) -> String {
        let mean = self.latency.mean();
        if mean.is_zero() {
            "no added delay".to_owned()
        } else {
            format!("takes {mean}")
        }
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Sink, section_ui)
    }
}

fn section_ui(ui: &mut Ui, s: &mut SinkParams) {
    dist_row_ui(ui, "Latency", "latency", &mut s.latency);
    ui.label("Concurrency");
    let mut c = s.concurrency.map(u64::from);
    optional_count_ui(ui, &mut c, "unlimited", 10);
    s.concurrency = c.map(|c| u32::try_from(c).unwrap_or(u32::MAX));
    ui.end_row();
    let problems = s.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
