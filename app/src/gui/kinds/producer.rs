//! Producers: event sources.

use eframe::egui::{self, Color32, DragValue, Pos2, RichText, Shape, Stroke, Ui, Vec2};
use sim_core::dist::Arrival;
use sim_core::nodes::versions::Rollout;
use sim_core::nodes::{
    ClientParams, EventType, NodeKind, OnBlock, ProducerParams, RetryBudget, RetryPolicy,
};
use sim_core::snapshot::NodeSnapshot;
use sim_core::time::Duration;

use super::{Icon, KindUi, LiveNumber, ParamsUi, edited, short_number};
use crate::gui::inspector::fields::{
    duration_row_ui, duration_ui, enum_ui, field_problems_ui, optional_count_ui,
    optional_dist_row_ui, rate_row_ui,
};

#[derive(Debug)]
pub struct Producer;

impl KindUi for Producer {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0x2f, 0x9e, 0x5c)
    }

    fn blurb(&self) -> &'static str {
        "An event source: an API, a sensor, an app"
    }

    fn paint_icon(&self, icon: &Icon<'_>) {
        let Icon {
            painter,
            size: s,
            stroke,
            color,
            ..
        } = *icon;
        // A source: a dot emitting waves.
        painter.circle_filled(icon.at(-0.45, 0.0), s * 0.2, color);
        for r in [0.45f32, 0.8] {
            arc(painter, icon.at(-0.45, 0.0), s * r, -0.9, 0.9, stroke);
        }
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count(
                "sent",
                n.departed,
                "departed",
                "Events it created and handed on",
            ),
            LiveNumber::now(
                "holding",
                n.held,
                "An event it created and holds until there is room downstream",
            )
            .card_if_any(),
            LiveNumber::now(
                "waiting on",
                n.busy,
                "Requests it waits on or is about to send again (a client)",
            )
            .card_if_any(),
            LiveNumber::count(
                "timed out",
                n.timeouts,
                "timeouts",
                "Sends it stopped waiting for (a client)",
            )
            // NOTE: beside three other numbers the row ran into the next
            // card; what the client waits on tells its state on the card.
            .panel_only(),
        ]
        .into_iter()
        .chain(super::outbox::outbox_number(n))
        .collect()
    }
}

impl ParamsUi for ProducerParams {
    fn summary(&self) -> String {
        let mut s = format!("{} /s", short_number(self.arrival.mean_rate()));
        if let Some(client) = &self.client {
            s.push_str(&format!(" · waits {}", client.timeout));
            if client.budget.is_some() {
                s.push_str(", budget");
            }
        }
        if let Some(ttl) = &self.ttl {
            s.push_str(&format!(" · ttl {}", ttl.mean()));
        }
        super::outbox::with_mark(s, self.outbox.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Producer, section_ui)
    }
}

fn section_ui(ui: &mut Ui, p: &mut ProducerParams) {
    arrival_ui(ui, &mut p.arrival);
    ui.label("Keys");
    ui.add(DragValue::new(&mut p.keys).range(1..=u32::MAX).speed(1.0))
        .on_hover_text("How many distinct keys events carry");
    ui.end_row();
    if p.outbox.is_none() {
        // Through an outbox it never waits: its relay does.
        ui.label("When blocked");
        enum_ui(
            ui,
            "on-block",
            &mut p.on_block,
            &[
                (OnBlock::Wait, "wait (backpressure)"),
                (OnBlock::Drop, "drop the event"),
            ],
        );
        ui.end_row();
    }
    ui.label("Limit");
    optional_count_ui(ui, &mut p.limit, "no limit", 1000);
    ui.end_row();
    optional_dist_row_ui(
        ui,
        "Time to live",
        "ttl",
        "events never expire",
        &mut p.ttl,
        &sim_core::dist::Dist::Exponential {
            mean: Duration::from_secs(5),
        },
    );
    ui.label("Event types");
    ui.vertical(|ui| {
        let mut remove = None;
        for (i, ty) in p.events.iter_mut().enumerate() {
            ui.horizontal(|ui| {
                ui.add(egui::TextEdit::singleline(&mut ty.name).desired_width(90.0));
                ui.add(
                    DragValue::new(&mut ty.weight)
                        .range(0.0..=f64::MAX)
                        .speed(0.1)
                        .prefix("weight "),
                );
                ui.add(
                    DragValue::new(&mut ty.version)
                        .range(1..=sim_core::nodes::versions::MAX_VERSION)
                        .speed(0.05)
                        .prefix("v"),
                )
                .on_hover_text("The schema version its events are made at");
                if ui.small_button("Remove").clicked() {
                    remove = Some(i);
                }
            });
            rollout_ui(ui, i, ty);
            if ty.name.trim().is_empty() || ty.weight <= 0.0 {
                ui.label(
                    RichText::new("needs a name and a weight above zero")
                        .color(ui.visuals().error_fg_color)
                        .small(),
                );
            }
        }
        if let Some(i) = remove {
            p.events.remove(i);
        }
        if ui.small_button("+ event type").clicked() {
            let name = format!("type-{}", p.events.len() + 1);
            p.events.push(EventType::named(name));
        }
    });
    ui.end_row();
    client_ui(ui, &mut p.client);
    super::outbox::outbox_ui(ui, &mut p.outbox);
    if let Some(outbox) = &p.outbox {
        let mut problems = Vec::new();
        outbox.problems(&mut problems);
        if !problems.is_empty() {
            field_problems_ui(ui, &problems);
            ui.end_row();
        }
    }
}

/// An event type's rollout to another schema version: off, or the version,
/// when it starts and how long it takes to reach every event.
fn rollout_ui(ui: &mut Ui, i: usize, ty: &mut EventType) {
    ui.horizontal(|ui| {
        let mut on = ty.rollout.is_some();
        if ui
            .checkbox(&mut on, "rollout")
            .on_hover_text(
                "From a time, a growing share of this type's events are made at another version",
            )
            .changed()
        {
            ty.rollout = on.then(|| Rollout {
                to: ty.version.saturating_add(1),
                at: Duration::from_secs(60),
                over: Duration::from_secs(60),
            });
        }
        if let Some(r) = &mut ty.rollout {
            ui.push_id(i, |ui| {
                ui.add(
                    DragValue::new(&mut r.to)
                        .range(1..=sim_core::nodes::versions::MAX_VERSION)
                        .speed(0.05)
                        .prefix("to v"),
                );
                ui.label("at");
                duration_ui(ui, &mut r.at);
                ui.label("over");
                duration_ui(ui, &mut r.over);
            });
        }
    });
    let mut problems = Vec::new();
    if let Some(r) = &ty.rollout {
        r.problems(ty.version, &format!("'{}'", ty.name), &mut problems);
    }
    if let Some(p) = problems.first() {
        ui.label(RichText::new(p).color(ui.visuals().error_fg_color).small());
    }
}

/// Whether the producer waits for answers and sends again: its timeout,
/// retries, retry budget and breaker.
fn client_ui(ui: &mut Ui, client: &mut Option<ClientParams>) {
    let label = ui.label("Waits for answers");
    let mut on = client.is_some();
    if ui
        .checkbox(&mut on, "as a client")
        .labelled_by(label.id)
        .on_hover_text(
            "Wait for each event's journey to end, and send it again when no answer comes in time",
        )
        .changed()
    {
        *client = on.then(|| ClientParams {
            timeout: Duration::from_secs(1),
            retry: RetryPolicy::Immediate {
                max_attempts: Some(3),
            },
            budget: None,
            breaker: None,
            max_open: None,
        });
    }
    ui.end_row();
    let Some(c) = client else {
        return;
    };
    duration_row_ui(ui, "Client timeout", &mut c.timeout);
    super::consumer::retry_ui(ui, "client-retry", &mut c.retry);
    let label = ui.label("Retry budget");
    ui.horizontal(|ui| {
        let mut on = c.budget.is_some();
        ui.checkbox(&mut on, "")
            .labelled_by(label.id)
            .on_hover_text(
                "A bucket of tokens: each retry takes some, each answer gives some back",
            );
        match (on, c.budget.as_mut()) {
            (true, Some(b)) => {
                ui.add(
                    DragValue::new(&mut b.capacity)
                        .range(1..=1_000_000)
                        .speed(1.0)
                        .suffix(" tokens"),
                );
                ui.add(
                    DragValue::new(&mut b.cost)
                        .range(1..=1_000_000)
                        .speed(0.1)
                        .prefix("retry costs "),
                );
                ui.add(
                    DragValue::new(&mut b.refund)
                        .range(0..=1_000_000)
                        .speed(0.1)
                        .prefix("answer gives "),
                );
            }
            (true, None) => c.budget = Some(RetryBudget::default()),
            (false, _) => {
                c.budget = None;
                ui.label(RichText::new("retries without limit").weak());
            }
        }
    });
    ui.end_row();
    let label = ui.label("Most open requests");
    let mut open = c.max_open.map(u64::from);
    optional_count_ui(ui, &mut open, "no limit", 100);
    c.max_open = open.map(|n| u32::try_from(n).unwrap_or(u32::MAX));
    label.on_hover_text("Admission control: a new request beyond this many open fails at once");
    ui.end_row();
    super::consumer::breaker_ui(
        ui,
        &mut c.breaker,
        "Stop sending requests for a while when too many go unanswered",
    );
    let mut problems = Vec::new();
    c.problems(&mut problems);
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn arrival_ui(ui: &mut Ui, a: &mut Arrival) {
    ui.label("Arrivals");
    let rate = a.mean_rate();
    let names = ["Constant", "Poisson", "Bursty", "Ramp"];
    let current = match a {
        Arrival::Constant { .. } => 0,
        Arrival::Poisson { .. } => 1,
        Arrival::Bursty { .. } => 2,
        Arrival::Ramp { .. } => 3,
    };
    let mut chosen = current;
    egui::ComboBox::from_id_salt("arrival")
        .selected_text(names[current])
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(&mut chosen, i, *name);
            }
        });
    if chosen != current {
        *a = match chosen {
            0 => Arrival::Constant { rate },
            1 => Arrival::Poisson { rate },
            2 => Arrival::Bursty {
                rate: rate * 5.0,
                on: Duration::from_secs(10),
                off: Duration::from_secs(40),
                base_rate: 0.0,
            },
            _ => Arrival::Ramp {
                from: rate,
                to: rate * 2.0,
                over: Duration::from_secs(60),
            },
        };
    }
    ui.end_row();
    match a {
        Arrival::Constant { rate } | Arrival::Poisson { rate } => rate_row_ui(ui, "Rate", rate),
        Arrival::Bursty {
            rate,
            on,
            off,
            base_rate,
        } => {
            rate_row_ui(ui, "Burst rate", rate);
            duration_row_ui(ui, "On for", on);
            duration_row_ui(ui, "Off for", off);
            rate_row_ui(ui, "Rate when off", base_rate);
        }
        Arrival::Ramp { from, to, over } => {
            rate_row_ui(ui, "From", from);
            rate_row_ui(ui, "To", to);
            duration_row_ui(ui, "Over", over);
        }
    }
    let problems = a.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn arc(painter: &egui::Painter, center: Pos2, radius: f32, from: f32, to: f32, stroke: Stroke) {
    let points = (0..=12)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
            let t = from + (to - from) * i as f32 / 12.0;
            center + Vec2::angled(t) * radius
        })
        .collect();
    painter.add(Shape::line(points, stroke));
}
