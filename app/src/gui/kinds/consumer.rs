//! Consumers: services that process events, with retries, scaling and a
//! circuit breaker.

use eframe::egui::{self, Color32, DragValue, RichText, Ui, vec2};
use sim_core::nodes::consumer::Serverless;
use sim_core::nodes::{
    AutoscaleParams, BreakerParams, ConsumerParams, Delivery, Jitter, NodeKind, OnExpired,
    RetryPolicy, ScaleTarget,
};
use sim_core::snapshot::NodeSnapshot;
use sim_core::time::Duration;

use super::{Icon, KindUi, LiveNumber, ParamsUi, card_line, edited, short_number};
use crate::gui::inspector::fields::{
    dist_row_ui, duration_row_ui, enum_ui, field_problems_ui, names_ui, optional_count_ui,
    optional_duration_row_ui,
};
use crate::gui::session::marks::{CardMarks, ratio};

#[derive(Debug)]
pub struct Consumer;

impl KindUi for Consumer {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0xd9, 0x7b, 0x26)
    }

    fn blurb(&self) -> &'static str {
        "A service that processes events, with retries"
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
        // A gear: a ring with teeth.
        for i in 0..8 {
            #[expect(clippy::cast_precision_loss, reason = "a small loop counter")]
            let a = i as f32 * std::f32::consts::TAU / 8.0;
            let dir = vec2(a.cos(), a.sin());
            painter.line_segment([c + dir * s * 0.55, c + dir * s * 0.85], stroke);
        }
        painter.circle_stroke(c, s * 0.55, stroke);
        painter.circle_filled(c, s * 0.2, color);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        let slots = n.capacity;
        vec![
            LiveNumber {
                // NOTE: one instance is the usual case: the card keeps its
                // room for the slots.
                on_card: n.instances != 1,
                ..LiveNumber::now("instances", n.instances, "Instances running")
            },
            LiveNumber::now("busy", n.busy, "Slots processing a message").of(slots),
            LiveNumber::now(
                "blocked",
                n.blocked_slots,
                "Slots holding finished work that waits for room downstream",
            )
            .of(slots)
            .card_if_any(),
            LiveNumber::now(
                "inbox",
                n.depth,
                "Messages pushed to it, waiting for a slot",
            )
            .card_if_any(),
            LiveNumber::count("received", n.arrived, "arrived", "Messages it received")
                .panel_only(),
            LiveNumber::count("sent on", n.departed, "departed", "Results it sent on").panel_only(),
            LiveNumber::count(
                "retries",
                n.retries,
                "retries",
                "Failed attempts it will try again",
            )
            .card_if_any(),
            LiveNumber::count(
                "out of order",
                n.out_of_order,
                "out_of_order",
                "Messages it finished after a later message of the same producer and key",
            )
            .panel_only(),
            LiveNumber::count(
                "expired",
                n.expired,
                "expired",
                "Messages it received past their deadline and discarded",
            )
            .panel_only(),
            LiveNumber::count(
                "late",
                n.late,
                "late",
                "Messages it received past their deadline and processed anyway: work for nobody",
            )
            .panel_only(),
        ]
        .into_iter()
        .chain(super::outbox::outbox_number(n))
        .chain(super::versions::version_numbers(n))
        .collect()
    }

    fn card_marks(&self, n: &NodeSnapshot, marks: &mut CardMarks<'_>) {
        let slots = n.capacity.unwrap_or(0);
        marks.bar = Some(ratio(n.busy + n.blocked_slots, slots));
        marks.set_line(|| card_line(&self.live_numbers(n)));
    }
}

impl ParamsUi for ConsumerParams {
    fn summary(&self) -> String {
        let mut s = format!(
            "{}×{} · {}",
            self.instances,
            self.concurrency,
            self.service.mean()
        );
        if self.failure > 0.0 {
            s.push_str(&format!(" · {}% fail", short_number(self.failure * 100.0)));
        }
        let s = super::outbox::with_mark(s, self.outbox.as_ref());
        super::versions::with_mark(s, self.versions.as_ref())
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Consumer, section_ui)
    }
}

fn section_ui(ui: &mut Ui, c: &mut ConsumerParams) {
    let label = ui.label("Instances");
    ui.add(
        DragValue::new(&mut c.instances)
            .range(1..=10_000)
            .speed(0.1),
    )
    .labelled_by(label.id);
    ui.end_row();
    let label = ui.label("Concurrency");
    ui.add(
        DragValue::new(&mut c.concurrency)
            .range(1..=10_000)
            .speed(0.1)
            .suffix(" per instance"),
    )
    .labelled_by(label.id);
    ui.end_row();
    dist_row_ui(ui, "Service time", "service", &mut c.service);
    ui.label("Failure");
    ui.add(
        egui::Slider::new(&mut c.failure, 0.0..=1.0)
            .custom_formatter(|v, _| format!("{:.1}%", v * 100.0))
            .custom_parser(|s| {
                s.trim()
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .ok()
                    .map(|v| v / 100.0)
            }),
    )
    .on_hover_text("Probability that one processing attempt fails");
    ui.end_row();
    retry_ui(ui, "retry", &mut c.retry);
    let label = ui.label("Poison types");
    names_ui(ui, "poison", &mut c.poison)
        .labelled_by(label.id)
        .on_hover_text("Event types that fail every attempt here (comma-separated)");
    ui.end_row();
    let label = ui.label("Past deadline");
    enum_ui(
        ui,
        "on-expired",
        &mut c.on_expired,
        &[
            (OnExpired::Discard, "discard (expired)"),
            (OnExpired::Process, "process anyway (late)"),
        ],
    )
    .labelled_by(label.id)
    .on_hover_text("What to do with a message received after its producer's time to live");
    ui.end_row();
    let label = ui.label("Delivery");
    let before = c.delivery;
    enum_ui(
        ui,
        "delivery",
        &mut c.delivery,
        &[
            (Delivery::AtMostOnce, "at most once"),
            (Delivery::AtLeastOnce, "at least once"),
            (Delivery::ExactlyOnce, "exactly once (idempotent)"),
        ],
    )
    .labelled_by(label.id);
    ui.end_row();
    if c.delivery == Delivery::ExactlyOnce {
        optional_duration_row_ui(
            ui,
            "Inbox window",
            &mut c.inbox,
            Duration::from_secs(60),
            "ids kept for good",
            "How long the idempotent inbox keeps the id of a message it processed: a copy \
             that arrives later is processed again (counted as inbox missed)",
        );
    } else if before == Delivery::ExactlyOnce {
        // Chosen away from idempotent: the window means nothing now.
        c.inbox = None;
    }
    optional_duration_row_ui(
        ui,
        "Timeout",
        &mut c.timeout,
        Duration::from_secs(1),
        "none",
        "An attempt still processing after this long fails",
    );
    optional_duration_row_ui(
        ui,
        "Call timeout",
        &mut c.call_timeout,
        Duration::from_secs(1),
        "waits for the service without limit",
        "Stop waiting for the service's answer after this long: the attempt fails",
    );
    scaling_ui(ui, c);
    breaker_ui(
        ui,
        &mut c.breaker,
        "Stop calling a failing service for a while (needs a call edge to a service)",
    );
    super::outbox::outbox_ui(ui, &mut c.outbox);
    super::versions::versions_ui(ui, "consumer-versions", &mut c.versions, true);
    let problems = c.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

/// How the consumer's instances come and go: fixed, autoscaled, or
/// serverless (an instance per message in progress). Problems are listed
/// with the consumer's.
fn scaling_ui(ui: &mut Ui, c: &mut ConsumerParams) {
    #[derive(Clone, Copy, PartialEq)]
    enum Scaling {
        Fixed,
        Autoscaled,
        Serverless,
    }
    let mut mode = if c.serverless.is_some() {
        Scaling::Serverless
    } else if c.autoscale.is_some() {
        Scaling::Autoscaled
    } else {
        Scaling::Fixed
    };
    let before = mode;
    let label = ui.label("Scaling");
    enum_ui(
        ui,
        "scaling",
        &mut mode,
        &[
            (Scaling::Fixed, "fixed instances"),
            (Scaling::Autoscaled, "autoscaled"),
            (Scaling::Serverless, "serverless function"),
        ],
    )
    .labelled_by(label.id);
    ui.end_row();
    if mode != before {
        c.autoscale = (mode == Scaling::Autoscaled).then(|| AutoscaleParams {
            min: 1,
            max: c.instances.max(2).saturating_mul(4).min(10_000),
            target: ScaleTarget::Utilization { target: 0.7 },
            interval: Duration::from_secs(15),
            scale_out_cooldown: Duration::from_secs(60),
            scale_in_cooldown: Duration::from_secs(300),
            startup: Duration::from_secs(30),
        });
        c.serverless = (mode == Scaling::Serverless).then(|| Serverless {
            concurrency: c.instances.saturating_mul(c.concurrency).max(10),
            cold_start: Duration::from_millis(500),
            keep_alive: Duration::from_secs(600),
        });
    }
    if let Some(a) = &mut c.autoscale {
        let label = ui.label("Autoscale between");
        ui.horizontal(|ui| {
            ui.add(
                DragValue::new(&mut a.min)
                    .range(0..=10_000)
                    .speed(0.1)
                    .prefix("min "),
            );
            ui.add(
                DragValue::new(&mut a.max)
                    .range(1..=10_000)
                    .speed(0.1)
                    .prefix("max "),
            );
        })
        .response
        .labelled_by(label.id);
        ui.end_row();
        ui.label("Scale to keep");
        ui.horizontal(|ui| {
            let mut backlog = matches!(a.target, ScaleTarget::Backlog { .. });
            let was = backlog;
            egui::ComboBox::from_id_salt("scale-target")
                .selected_text(if backlog {
                    "backlog per instance"
                } else {
                    "utilization"
                })
                .show_ui(ui, |ui| {
                    ui.selectable_value(&mut backlog, false, "utilization");
                    ui.selectable_value(&mut backlog, true, "backlog per instance");
                });
            if backlog != was {
                a.target = if backlog {
                    ScaleTarget::Backlog { per_instance: 10.0 }
                } else {
                    ScaleTarget::Utilization { target: 0.7 }
                };
            }
            match &mut a.target {
                ScaleTarget::Utilization { target } => {
                    ui.add(
                        DragValue::new(target)
                            .range(0.01..=1.0)
                            .speed(0.01)
                            .custom_formatter(|v, _| format!("{:.0}%", v * 100.0))
                            .custom_parser(|t| {
                                t.trim()
                                    .trim_end_matches('%')
                                    .parse::<f64>()
                                    .ok()
                                    .map(|v| v / 100.0)
                            }),
                    );
                }
                ScaleTarget::Backlog { per_instance } => {
                    ui.add(
                        DragValue::new(per_instance)
                            .range(0.1..=1e6)
                            .speed(0.1)
                            .suffix(" messages"),
                    );
                }
            }
        });
        ui.end_row();
        duration_row_ui(ui, "Evaluate every", &mut a.interval);
        duration_row_ui(ui, "Scale-out cooldown", &mut a.scale_out_cooldown);
        duration_row_ui(ui, "Scale-in cooldown", &mut a.scale_in_cooldown);
        duration_row_ui(ui, "Start-up delay", &mut a.startup);
    }
    if let Some(f) = &mut c.serverless {
        let label = ui.label("Concurrency limit");
        ui.add(
            DragValue::new(&mut f.concurrency)
                .range(1..=100_000)
                .speed(0.5),
        )
        .labelled_by(label.id)
        .on_hover_text("At most this many instances at once; more messages are throttled");
        ui.end_row();
        duration_row_ui(ui, "Cold start", &mut f.cold_start);
        duration_row_ui(ui, "Keep warm for", &mut f.keep_alive);
        ui.label("");
        ui.label(
            RichText::new("Instances and concurrency above do not apply to a function.").weak(),
        );
        ui.end_row();
    }
}

/// The circuit breaker on the consumer's calls to a service. Its problems
/// are listed with the consumer's.
/// A circuit breaker's rows; `hover` says what it guards.
pub(super) fn breaker_ui(ui: &mut Ui, breaker: &mut Option<BreakerParams>, hover: &str) {
    let label = ui.label("Circuit breaker");
    let mut on = breaker.is_some();
    if ui
        .checkbox(&mut on, "")
        .labelled_by(label.id)
        .on_hover_text(hover)
        .changed()
    {
        *breaker = on.then(|| BreakerParams {
            failure_rate: 0.5,
            window: 20,
            min_calls: 10,
            open_for: Duration::from_secs(30),
            probes: 3,
        });
    }
    ui.end_row();
    let Some(b) = breaker else {
        return;
    };
    ui.label("Breaker opens at");
    ui.add(
        egui::Slider::new(&mut b.failure_rate, 0.01..=1.0)
            .custom_formatter(|v, _| format!("{:.0}% failed", v * 100.0))
            .custom_parser(|t| {
                t.trim()
                    .trim_end_matches("failed")
                    .trim()
                    .trim_end_matches('%')
                    .parse::<f64>()
                    .ok()
                    .map(|v| v / 100.0)
            }),
    );
    ui.end_row();
    let label = ui.label("Breaker window");
    ui.horizontal(|ui| {
        ui.add(
            DragValue::new(&mut b.window)
                .range(1..=100_000)
                .speed(0.2)
                .suffix(" calls"),
        );
        ui.add(
            DragValue::new(&mut b.min_calls)
                .range(1..=100_000)
                .speed(0.2)
                .prefix("at least ")
                .suffix(" to open"),
        );
    })
    .response
    .labelled_by(label.id);
    ui.end_row();
    duration_row_ui(ui, "Stays open for", &mut b.open_for);
    let label = ui.label("Half-open probes");
    ui.add(DragValue::new(&mut b.probes).range(1..=10_000).speed(0.1))
        .labelled_by(label.id);
    ui.end_row();
}

/// A retry policy's rows; `salt` keeps two of them on one page apart.
pub(super) fn retry_ui(ui: &mut Ui, salt: &str, r: &mut RetryPolicy) {
    let label = ui.label("Retries");
    let names = ["none", "immediate", "fixed delay", "exponential backoff"];
    let current = match r {
        RetryPolicy::None => 0,
        RetryPolicy::Immediate { .. } => 1,
        RetryPolicy::Fixed { .. } => 2,
        RetryPolicy::Exponential { .. } => 3,
    };
    let mut chosen = current;
    egui::ComboBox::from_id_salt(salt)
        .selected_text(names[current])
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(&mut chosen, i, *name);
            }
        })
        .response
        .labelled_by(label.id);
    if chosen != current {
        let max_attempts = Some(5);
        *r = match chosen {
            0 => RetryPolicy::None,
            1 => RetryPolicy::Immediate { max_attempts },
            2 => RetryPolicy::Fixed {
                delay: Duration::from_secs(1),
                max_attempts,
            },
            _ => RetryPolicy::Exponential {
                initial: Duration::from_millis(100),
                multiplier: 2.0,
                max_delay: Duration::from_secs(10),
                jitter: Jitter::Full,
                max_attempts,
            },
        };
    }
    ui.end_row();
    match r {
        RetryPolicy::None => {}
        RetryPolicy::Immediate { max_attempts } => attempts_row_ui(ui, max_attempts),
        RetryPolicy::Fixed {
            delay,
            max_attempts,
        } => {
            duration_row_ui(ui, "Delay", delay);
            attempts_row_ui(ui, max_attempts);
        }
        RetryPolicy::Exponential {
            initial,
            multiplier,
            max_delay,
            jitter,
            max_attempts,
        } => {
            duration_row_ui(ui, "First delay", initial);
            ui.label("Multiplier");
            ui.add(
                DragValue::new(multiplier)
                    .range(1.0..=100.0)
                    .speed(0.05)
                    .prefix("×"),
            );
            ui.end_row();
            duration_row_ui(ui, "Longest delay", max_delay);
            ui.label("Jitter");
            enum_ui(
                ui,
                "jitter",
                jitter,
                &[
                    (Jitter::None, "none"),
                    (Jitter::Full, "full"),
                    (Jitter::Equal, "equal"),
                ],
            );
            ui.end_row();
            attempts_row_ui(ui, max_attempts);
        }
    }
}

fn attempts_row_ui(ui: &mut Ui, max_attempts: &mut Option<u32>) {
    ui.label("Max attempts");
    let mut attempts = max_attempts.map(u64::from);
    optional_count_ui(ui, &mut attempts, "unlimited", 5);
    *max_attempts = attempts.map(|a| u32::try_from(a).unwrap_or(u32::MAX));
    ui.end_row();
}
