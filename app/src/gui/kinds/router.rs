//! Routers: by event type or weight, or splitting events.

use eframe::egui::{Color32, DragValue, Shape, Ui};
use sim_core::nodes::{NodeKind, RouteMode, RouterParams};
use sim_core::snapshot::NodeSnapshot;

use super::{Icon, KindUi, LiveNumber, ParamsUi, edited};
use crate::gui::inspector::fields::{enum_ui, field_problems_ui};

#[derive(Debug)]
pub struct Router;

impl KindUi for Router {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x1f, 0x9a, 0xa6)
    }

    fn blurb(&self) -> &'static str {
        "Routes by event type or weight, or splits events"
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
        // A diamond: one way in, two ways out.
        let d = [p(0.0, -0.7), p(0.7, 0.0), p(0.0, 0.7), p(-0.7, 0.0)];
        painter.add(Shape::closed_line(d.to_vec(), stroke));
        painter.line_segment([p(-1.0, 0.0), p(-0.7, 0.0)], stroke);
        painter.line_segment([p(0.35, -0.35), p(0.9, -0.75)], stroke);
        painter.line_segment([p(0.35, 0.35), p(0.9, 0.75)], stroke);
        painter.circle_filled(c, s * 0.16, color);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count("in", n.arrived, "arrived", "Messages it received").panel_only(),
            LiveNumber::count("routed", n.departed, "departed", "Messages sent on a route"),
            LiveNumber::now("holding", n.held, "Messages waiting for a full route").card_if_any(),
        ]
    }

    fn hover_text(
        &self,
        _node: &NodeSnapshot,
        waiting_on: &dyn Fn() -> Option<String>,
    ) -> Option<String> {
        waiting_on().map(|full| {
            format!(
                "Waiting for room at {full}: the message it holds waits for its route, \
                 and so does everything behind it."
            )
        })
    }
}

impl ParamsUi for RouterParams {
    fn summary(&self) -> String {
        match self.mode {
            RouteMode::ByType => "by event type".to_owned(),
            RouteMode::Weighted => "by weight".to_owned(),
            RouteMode::Split { parts } => format!("split ×{parts}"),
        }
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Router, section_ui)
    }
}

fn section_ui(ui: &mut Ui, r: &mut RouterParams) {
    ui.label("Routes");
    let mut split = matches!(r.mode, RouteMode::Split { .. });
    let parts = match r.mode {
        RouteMode::Split { parts } => parts,
        _ => 2,
    };
    enum_ui(
        ui,
        "route-mode",
        &mut r.mode,
        &[
            (RouteMode::ByType, "by event type (edge filters)"),
            (RouteMode::Weighted, "by weight (edge weights)"),
            (RouteMode::Split { parts }, "split each event"),
        ],
    );
    ui.end_row();
    split |= matches!(r.mode, RouteMode::Split { .. });
    if split && let RouteMode::Split { parts } = &mut r.mode {
        ui.label("Parts");
        ui.add(DragValue::new(parts).range(1..=1000).speed(0.1));
        ui.end_row();
    }
    let problems = r.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
