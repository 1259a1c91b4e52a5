//! Topics: publish/subscribe, every subscription gets a copy.

use eframe::egui::{Color32, RichText, Ui};
use sim_core::nodes::{NodeKind, TopicParams};
use sim_core::snapshot::NodeSnapshot;

use super::{Icon, KindUi, LiveNumber, ParamsUi, edited};

#[derive(Debug)]
pub struct Topic;

impl KindUi for Topic {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x8b, 0x5c, 0xd6)
    }

    fn blurb(&self) -> &'static str {
        "Publish/subscribe: every subscription gets a copy"
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
        // One in, three out.
        let hub = p(-0.3, 0.0);
        painter.line_segment([p(-0.85, 0.0), hub], stroke);
        for y in [-0.65f32, 0.0, 0.65] {
            painter.line_segment([hub, p(0.55, y)], stroke);
            painter.circle_filled(p(0.65, y), s * 0.16, color);
        }
        painter.circle_filled(hub, s * 0.2, color);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count(
                "published",
                n.arrived,
                "arrived",
                "Messages published to it",
            )
            .panel_only(),
            LiveNumber::count(
                "copies out",
                n.departed,
                "departed",
                "Copies delivered, one per matching subscriber",
            ),
            LiveNumber::now("holding", n.held, "Messages waiting for a full subscriber")
                .card_if_any(),
            super::durability::lost_number(n),
        ]
    }

    fn hover_text(
        &self,
        _node: &NodeSnapshot,
        waiting_on: &dyn Fn() -> Option<String>,
    ) -> Option<String> {
        waiting_on().map(|full| {
            format!(
                "Waiting for room at {full}: a message goes to every matching subscriber at once, \
                 so the topic and its publishers wait for the slowest."
            )
        })
    }
}

impl ParamsUi for TopicParams {
    fn summary(&self) -> String {
        let text = if self.pubsub {
            "Pub/Sub fan-out"
        } else {
            "fan-out"
        };
        super::durability::with_mark(text.to_owned(), self.durability.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Topic, section_ui)
    }
}

fn section_ui(ui: &mut Ui, topic: &mut TopicParams) {
    let label = ui.label("Service");
    crate::gui::inspector::fields::enum_ui(
        ui,
        "topic service",
        &mut topic.pubsub,
        &[(false, "Amazon SNS topic"), (true, "Google Pub/Sub topic")],
    )
    .labelled_by(label.id)
    .on_hover_text(
        "Names the service in exports. A Pub/Sub topic's subscriptions are the queues it \
         feeds: make them Pub/Sub subscriptions in their own inspector.",
    );
    ui.end_row();
    ui.label(
        RichText::new(
            "Every outgoing edge is a subscription; select an edge to filter it by event type.",
        )
        .weak(),
    );
    ui.end_row();
    super::durability::durability_ui(ui, &mut topic.durability);
    let problems = sim_core::nodes::KindSpec::problems(topic);
    if !problems.is_empty() {
        crate::gui::inspector::fields::field_problems_ui(ui, &problems);
        ui.end_row();
    }
}
