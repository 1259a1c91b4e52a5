//! Projections: CQRS read models fed by an event store, with their staleness.

use eframe::egui::{self, Color32, DragValue, Rect, Ui, pos2, vec2};
use sim_core::nodes::{NodeKind, ProjectionParams};
use sim_core::snapshot::NodeSnapshot;

use super::{Icon, KindUi, LiveNumber, ParamsUi, edited};
use crate::gui::inspector::fields::{dist_row_ui, field_problems_ui};

#[derive(Debug)]
pub struct Projection;

impl KindUi for Projection {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0xb8, 0x86, 0x0b)
    }

    fn blurb(&self) -> &'static str {
        "A CQRS read model fed by an event store; shows staleness"
    }

    fn paint_icon(&self, icon: &Icon<'_>) {
        let Icon {
            painter,
            center: c,
            size: s,
            stroke,
            color,
            ..
        } = *icon;
        let p = |x: f32, y: f32| icon.at(x, y);
        // A table: a read model.
        let r = Rect::from_center_size(c, vec2(s * 1.6, s * 1.3));
        painter.rect_stroke(r, s * 0.1, stroke, egui::StrokeKind::Middle);
        let head = Rect::from_min_max(r.min, pos2(r.max.x, r.min.y + s * 0.38));
        painter.rect_filled(head, s * 0.1, color);
        for y in [0.15f32, 0.45] {
            painter.line_segment([p(-0.8, y), p(0.8, y)], stroke);
        }
        painter.line_segment([p(-0.15, -0.27), p(-0.15, 0.65)], stroke);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count(
                "applied",
                n.completed,
                "completed",
                "Events applied to the view",
            ),
            LiveNumber::now("behind", n.depth, "Events waiting to be applied").card_if_any(),
            LiveNumber::count("in", n.arrived, "arrived", "Events that arrived").panel_only(),
        ]
        .into_iter()
        .chain(super::versions::version_numbers(n))
        .collect()
    }
}

impl ParamsUi for ProjectionParams {
    fn summary(&self) -> String {
        let mut text = format!("apply {}", self.apply.mean());
        if self.concurrency > 1 {
            text.push_str(&format!(" · ×{}", self.concurrency));
        }
        super::versions::with_mark(text, self.versions.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Projection, section_ui)
    }
}

fn section_ui(ui: &mut Ui, p: &mut ProjectionParams) {
    dist_row_ui(ui, "Apply", "projection-apply", &mut p.apply);
    ui.label("Concurrency");
    ui.add(
        DragValue::new(&mut p.concurrency)
            .range(1..=u32::MAX)
            .speed(0.1),
    )
    .on_hover_text("Events applied at once; 1 applies them strictly in order");
    ui.end_row();
    super::versions::versions_ui(ui, "projection-versions", &mut p.versions, false);
    let problems = p.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
