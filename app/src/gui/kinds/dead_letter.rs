//! Dead-letter queues: where failed and poison messages go.

use eframe::egui::{Color32, Rect, Shape, Stroke, Ui, vec2};
use sim_core::nodes::{DeadLetterParams, NodeKind};
use sim_core::snapshot::NodeSnapshot;

use super::{Icon, KindUi, LiveNumber, ParamsUi, card_line, edited};
use crate::gui::colors;
use crate::gui::inspector::fields::{field_problems_ui, optional_count_ui};
use crate::gui::session::marks::{CardMarks, ratio};

#[derive(Debug)]
pub struct DeadLetter;

impl KindUi for DeadLetter {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0xc9, 0x45, 0x45)
    }

    fn blurb(&self) -> &'static str {
        "Where failed and poison messages go"
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
        // An envelope with a cross.
        let r = Rect::from_center_size(p(0.0, 0.05), vec2(s * 1.7, s * 1.2));
        painter.rect_stroke(r, s * 0.08, stroke, egui::StrokeKind::Middle);
        painter.add(Shape::line(
            vec![r.left_top(), p(0.0, 0.15), r.right_top()],
            stroke,
        ));
        let x = p(0.55, 0.5);
        painter.circle_filled(x, s * 0.38, color);
        let d = s * 0.17;
        let white = Stroke::new(stroke.width, Color32::WHITE);
        painter.line_segment([x + vec2(-d, -d), x + vec2(d, d)], white);
        painter.line_segment([x + vec2(-d, d), x + vec2(d, -d)], white);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count("stored", n.depth, "stored", "Failed messages it keeps")
                .of(n.capacity),
            LiveNumber::count("in", n.arrived, "arrived", "Failed messages that arrived")
                .panel_only(),
        ]
    }

    fn card_marks(&self, n: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        marks.bar = n.capacity.map(|c| ratio(n.held, c));
        marks.set_line(|| card_line(&self.live_numbers(n)));
        if n.held > 0 {
            marks.line_color = colors::WARN;
        }
    }
}

impl ParamsUi for DeadLetterParams {
    fn summary(&self) -> String {
        self.capacity
            .map_or_else(|| "unbounded".to_owned(), |c| format!("cap {c}"))
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::DeadLetter, section_ui)
    }
}

fn section_ui(ui: &mut Ui, d: &mut DeadLetterParams) {
    ui.label("Capacity");
    optional_count_ui(ui, &mut d.capacity, "unbounded", 1000);
    ui.end_row();
    let problems = d.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
