//! Queues: point-to-point, consumers compete for their messages.

use eframe::egui::{self, Color32, DragValue, Rect, Ui, vec2};
use sim_core::nodes::pubsub::{self, Backoff, PubSub, PubSubDelivery};
use sim_core::nodes::{FifoGroups, NodeKind, Overflow, QueueParams, Shedding};
use sim_core::snapshot::NodeSnapshot;
use sim_core::time::Duration;

use super::{Icon, KindUi, LiveNumber, ParamsUi, card_line, edited};
use crate::gui::inspector::fields::{
    duration_row_ui, enum_ui, field_problems_ui, optional_count_ui, optional_duration_row_ui,
    optional_rate_ui,
};
use crate::gui::session::marks::{CardMarks, ratio};

#[derive(Debug)]
pub struct Queue;

impl KindUi for Queue {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x35, 0x7a, 0xd6)
    }

    fn blurb(&self) -> &'static str {
        "A point-to-point queue; consumers compete for its messages"
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
        // Messages in a row, the front one highlighted.
        for (i, x) in [-0.6f32, -0.2, 0.2, 0.6].into_iter().enumerate() {
            let r = Rect::from_center_size(p(x, 0.0), vec2(s * 0.28, s * 0.9));
            if i == 3 {
                painter.rect_filled(r, s * 0.06, color);
            } else {
                painter.rect_stroke(r, s * 0.06, stroke, egui::StrokeKind::Middle);
            }
        }
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::now(
                "held",
                n.held,
                "Everything it is responsible for: waiting, handed to a consumer and not yet \
                 acknowledged, delayed, or with room reserved on its way in",
            )
            .of(n.capacity),
            LiveNumber::now(
                "waiting",
                n.depth,
                "Waiting to be taken (the report's depth)",
            ),
            LiveNumber::count("in", n.arrived, "arrived", "Messages that arrived").panel_only(),
            LiveNumber::count("taken", n.departed, "departed", "Messages consumers took")
                .panel_only(),
            LiveNumber::count(
                "redelivered",
                n.redelivered,
                "redelivered",
                "Messages delivered again after a visibility timeout",
            )
            .card_if_any(),
            LiveNumber::count(
                "push refused",
                n.throttled,
                "push_refused",
                "Pushes a busy or down consumer refused (a Pub/Sub push subscription): each \
                 spent a delivery attempt",
            )
            .card_if_any(),
            super::durability::lost_number(n),
        ]
    }

    fn card_marks(&self, n: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        marks.bar = n.capacity.map(|c| ratio(n.held, c));
        marks.set_line(|| card_line(&self.live_numbers(n)));
    }
}

impl ParamsUi for QueueParams {
    fn summary(&self) -> String {
        let text = match self.capacity {
            Some(c) => format!(
                "cap {c} · {}",
                match self.overflow {
                    Overflow::Block => "blocks",
                    Overflow::DropNewest => "drops newest",
                    Overflow::DropOldest => "drops oldest",
                }
            ),
            None => "unbounded".to_owned(),
        };
        let text = match (self.pubsub, self.fifo) {
            // The ack deadline and the retry policy are in the inspector:
            // the card stays narrow.
            (Some(p), Some(_)) => format!("Pub/Sub {} · ordered", p.delivery.label()),
            (Some(p), None) => format!("Pub/Sub {}", p.delivery.label()),
            (None, Some(_)) => format!("SQS FIFO · {text}"),
            (None, None) => text,
        };
        super::durability::with_mark(text, self.durability.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Queue, section_ui)
    }
}

fn section_ui(ui: &mut Ui, q: &mut QueueParams) {
    service_ui(ui, q);
    let pubsub = q.pubsub.is_some();
    if !pubsub {
        // A Pub/Sub subscription holds any backlog.
        ui.label("Capacity");
        optional_count_ui(ui, &mut q.capacity, "unbounded", 100);
        ui.end_row();
        ui.label("When full");
        enum_ui(
            ui,
            "overflow",
            &mut q.overflow,
            &[
                (Overflow::Block, "block the sender"),
                (Overflow::DropNewest, "drop the newest"),
                (Overflow::DropOldest, "drop the oldest"),
            ],
        );
        ui.end_row();
    }
    let (timeout, receives) = if pubsub {
        ("Ack deadline", "Max delivery attempts")
    } else {
        ("Visibility timeout", "Max receives")
    };
    duration_row_ui(ui, timeout, &mut q.visibility_timeout);
    ui.label(receives);
    let mut limit = q.max_receives.map(u64::from);
    optional_count_ui(ui, &mut limit, "no limit", 5);
    q.max_receives = limit.map(|r| u32::try_from(r).unwrap_or(u32::MAX));
    ui.end_row();
    optional_duration_row_ui(
        ui,
        "Retention",
        &mut q.retention,
        Duration::from_secs(4 * 24 * 3600),
        "kept until read",
        "A message older than this is removed unread when it reaches the head",
    );
    shedding_ui(ui, &mut q.shed);
    ordering_ui(ui, &mut q.fifo, pubsub);
    super::durability::durability_ui(ui, &mut q.durability);
    let problems = q.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

/// Standard or FIFO (SQS FIFO: one message of a group, its key, out at a
/// time), and a FIFO queue's group rate.
fn ordering_ui(ui: &mut Ui, fifo: &mut Option<FifoGroups>, pubsub: bool) {
    let label = ui.label("Ordering");
    let mut on = fifo.is_some();
    let ordered = if pubsub {
        "message ordering by key"
    } else {
        "FIFO by message group (key)"
    };
    enum_ui(
        ui,
        "ordering",
        &mut on,
        &[(false, "standard (no order)"), (true, ordered)],
    )
    .labelled_by(label.id)
    .on_hover_text(
        "A FIFO queue hands out one message of a group (the message's key) at a time, \
         in the order they arrived: the next waits until the one before is acknowledged \
         or dead-lettered. A message that fails holds its group up; other groups go on.",
    );
    ui.end_row();
    if on != fifo.is_some() {
        *fifo = on.then(FifoGroups::default);
    }
    if pubsub {
        // Pub/Sub has no rate per ordering key.
        return;
    }
    if let Some(groups) = fifo {
        let label = ui.label("Group rate");
        optional_rate_ui(
            ui,
            &mut groups.group_rate,
            300.0,
            " /s per group",
            "no limit",
        );
        label.on_hover_text("Most messages a group hands out per second");
        ui.end_row();
    }
}

/// How the queue sheds load: a choice of policy, then its parameters.
fn shedding_ui(ui: &mut Ui, shed: &mut Shedding) {
    let choices = [
        Shedding::None,
        Shedding::Expired,
        Shedding::AdaptiveLifo { above: 100 },
        Shedding::CoDel {
            target: Duration::from_millis(5),
            interval: Duration::from_millis(100),
        },
    ];
    let label = ui.label("Shedding");
    let current = std::mem::discriminant(shed);
    egui::ComboBox::from_id_salt("shedding")
        .selected_text(shed.label())
        .show_ui(ui, |ui| {
            for choice in choices {
                let chosen = std::mem::discriminant(&choice) == current;
                if ui.selectable_label(chosen, choice.label()).clicked() && !chosen {
                    *shed = choice;
                }
            }
        })
        .response
        .labelled_by(label.id)
        .on_hover_text("What the queue gives up when it cannot keep up");
    ui.end_row();
    match shed {
        Shedding::None | Shedding::Expired => {}
        Shedding::AdaptiveLifo { above } => {
            let label = ui.label("LIFO above");
            ui.add(
                DragValue::new(above)
                    .range(1..=u64::MAX)
                    .speed(1.0)
                    .suffix(" waiting"),
            )
            .labelled_by(label.id)
            .on_hover_text("Serve the newest first while more than this many wait");
            ui.end_row();
        }
        Shedding::CoDel { target, interval } => {
            duration_row_ui(ui, "Target delay", target);
            duration_row_ui(ui, "Interval", interval);
        }
    }
}

/// The service the queue stands for (an SQS queue, or a Google Cloud
/// Pub/Sub subscription), and the subscription's own fields: how it
/// delivers and its retry policy.
fn service_ui(ui: &mut Ui, q: &mut QueueParams) {
    let label = ui.label("Service");
    let mut on = q.pubsub.is_some();
    enum_ui(
        ui,
        "queue service",
        &mut on,
        &[
            (false, "Amazon SQS queue"),
            (true, "Google Pub/Sub subscription"),
        ],
    )
    .labelled_by(label.id)
    .on_hover_text(
        "A Pub/Sub subscription holds any backlog, takes an ack deadline of 10 s to 10 minutes \
         and 5 to 100 delivery attempts before its dead-letter topic, and can push to its \
         consumers. Choosing it fills those in.",
    );
    ui.end_row();
    if on != q.pubsub.is_some() {
        if on {
            preset(q);
        } else {
            q.pubsub = None;
        }
    }
    let Some(p) = q.pubsub.as_mut() else {
        return;
    };
    let label = ui.label("Delivery");
    enum_ui(
        ui,
        "pubsub delivery",
        &mut p.delivery,
        &[
            (PubSubDelivery::Pull, "pull (consumers take when free)"),
            (PubSubDelivery::Push, "push (to the consumers' endpoint)"),
        ],
    )
    .labelled_by(label.id)
    .on_hover_text(
        "Push keeps a window of messages outstanding (3 at first, one more per \
         acknowledgement, half after a failure). A busy or down consumer refuses a push: \
         the refusal spends a delivery attempt and pushing backs off for 100 ms to 60 s.",
    );
    ui.end_row();
    let label = ui.label("Retry policy");
    let mut backoff = p.retry.is_some();
    enum_ui(
        ui,
        "pubsub retry",
        &mut backoff,
        &[(false, "redeliver at once"), (true, "exponential backoff")],
    )
    .labelled_by(label.id)
    .on_hover_text(
        "With a backoff, a nacked message, or one whose ack deadline ran out, comes back \
         after min × 2^(n−1), at most max, after its n-th delivery",
    );
    ui.end_row();
    if backoff != p.retry.is_some() {
        p.retry = backoff.then(Backoff::default);
    }
    if let Some(b) = p.retry.as_mut() {
        duration_row_ui(ui, "Minimum backoff", &mut b.min);
        duration_row_ui(ui, "Maximum backoff", &mut b.max);
    }
}

/// Turns a queue into a Pub/Sub subscription within the service's
/// limits: the default 10 s ack deadline, any capacity removed, the
/// delivery attempts and retention brought into range.
fn preset(q: &mut QueueParams) {
    q.pubsub = Some(PubSub::default());
    q.visibility_timeout = pubsub::MIN_ACK_DEADLINE;
    q.capacity = None;
    q.max_receives = q
        .max_receives
        .map(|n| n.clamp(pubsub::MIN_DELIVERY_ATTEMPTS, pubsub::MAX_DELIVERY_ATTEMPTS));
    q.retention = q
        .retention
        .map(|r| r.clamp(pubsub::MIN_RETENTION, pubsub::MAX_RETENTION));
    if let Some(groups) = q.fifo.as_mut() {
        groups.group_rate = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pubsub_preset_leaves_a_queue_within_the_service_limits() {
        let mut q = QueueParams {
            capacity: Some(50),
            visibility_timeout: Duration::from_secs(3600),
            max_receives: Some(2),
            retention: Some(Duration::from_secs(60)),
            fifo: Some(FifoGroups {
                group_rate: Some(10.0),
            }),
            ..QueueParams::default()
        };
        preset(&mut q);
        assert_eq!(q.problems(), Vec::<String>::new());
        assert_eq!(q.max_receives, Some(pubsub::MIN_DELIVERY_ATTEMPTS));
        assert!(q.fifo.is_some(), "ordering stays, as message ordering");
    }
}
