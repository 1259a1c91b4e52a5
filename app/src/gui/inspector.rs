//! The inspector: every parameter of the selected node or edge, or of the
//! model and its scenario when nothing is selected.
//!
//! It edits a copy and returns a [`ModelCommand`] when the copy differs;
//! the model itself is changed only by the caller. Problems with a value
//! are written under its field.

use eframe::egui::{self, DragValue, RichText, Shape, Stroke, Ui, pos2, vec2};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use sim_core::Model;
use sim_core::dist::{Arrival, Dist};
use sim_core::model::{Edge, ModelCommand, Scenario};
use sim_core::nodes::consumer::Serverless;
use sim_core::nodes::{
    AutoscaleParams, BreakerParams, CepParams, CepRule, ConsumerParams, DeadLetterParams, Delivery,
    EventStoreParams, EventType, Jitter, LogParams, NodeKind, OnBlock, Overflow, Partitioner,
    Pattern, ProducerParams, ProjectionParams, QueueParams, Replay, RetryPolicy, RouteMode,
    RouterParams, ScaleTarget, ServiceParams, SinkParams, Window,
};
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, Target};

use super::kinds;

/// Text being typed into fields that apply only when done (ids, filters).
#[derive(Debug, Default)]
pub struct InspectorState {
    id_edit: Option<(NodeIndex, String)>,
    filter_edit: Option<(EdgeIndex, String)>,
}

/// What the inspector shows.
#[derive(Clone, Copy, Debug)]
pub enum Subject {
    Node(NodeIndex),
    Edge(EdgeIndex),
    Model,
}

/// Draws the inspector; returns the edits the user made.
pub fn inspector_ui(
    ui: &mut Ui,
    model: &Model,
    subject: Subject,
    diagnostics: &[Diagnostic],
    state: &mut InspectorState,
) -> Vec<ModelCommand> {
    let mut out = Vec::new();
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| match subject {
            Subject::Node(n) if model.graph.contains_node(n) => {
                node_ui(ui, model, n, diagnostics, state, &mut out);
            }
            Subject::Edge(e) if model.graph.edge_weight(e).is_some() => {
                edge_ui(ui, model, e, diagnostics, state, &mut out);
            }
            _ => model_ui(ui, model, diagnostics, &mut out),
        });
    out
}

fn heading_ui(ui: &mut Ui, title: &str, subtitle: &str) {
    ui.add_space(4.0);
    ui.label(RichText::new(title).strong().size(17.0));
    ui.label(RichText::new(subtitle).weak());
    ui.add_space(6.0);
}

/// Problems about `target`, listed in red (errors) or amber (warnings).
fn diagnostics_ui(ui: &mut Ui, diagnostics: &[Diagnostic], target: &Target) {
    for d in diagnostics.iter().filter(|d| &d.target == target) {
        let color = if d.is_error() {
            ui.visuals().error_fg_color
        } else {
            ui.visuals().warn_fg_color
        };
        ui.label(RichText::new(&d.message).color(color));
    }
}

/// Problems with one field, under it.
fn field_problems_ui(ui: &mut Ui, problems: &[String]) {
    for p in problems {
        ui.end_row();
        ui.label("");
        ui.label(RichText::new(p).color(ui.visuals().error_fg_color).small());
    }
}

fn node_ui(
    ui: &mut Ui,
    model: &Model,
    n: NodeIndex,
    diagnostics: &[Diagnostic],
    state: &mut InspectorState,
    out: &mut Vec<ModelCommand>,
) {
    let node = &model.graph[n];
    let kind = node.kind.kind();
    heading_ui(ui, node.label(), kinds::blurb(kind));
    diagnostics_ui(ui, diagnostics, &Target::Node(node.id.clone()));
    egui::Grid::new("node-ident")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("Name");
            let mut name = node.name.clone().unwrap_or_default();
            let edit = ui.add(egui::TextEdit::singleline(&mut name).hint_text(node.id.as_str()));
            if edit.changed() {
                out.push(ModelCommand::Rename {
                    id: node.id.clone(),
                    name: Some(name),
                });
            }
            ui.end_row();

            ui.label("Id");
            let buffer = match &mut state.id_edit {
                Some((m, text)) if *m == n => text,
                slot => &mut slot.insert((n, node.id.clone())).1,
            };
            let edit = ui
                .add(egui::TextEdit::singleline(buffer))
                .on_hover_text("The stable id used in files, reports and on the command line");
            let typed = buffer.trim().to_owned();
            let problem = if typed.is_empty() {
                Some("an id cannot be empty".to_owned())
            } else if typed != node.id && model.find(&typed).is_some() {
                Some(format!("'{typed}' is taken; ids must be unique"))
            } else {
                None
            };
            if edit.lost_focus() {
                if problem.is_none() && typed != node.id {
                    out.push(ModelCommand::SetId {
                        id: node.id.clone(),
                        new_id: typed,
                    });
                }
                state.id_edit = None;
            }
            if let Some(p) = problem {
                field_problems_ui(ui, &[p]);
            }
            ui.end_row();
        });
    ui.separator();
    let mut edited = node.kind.clone();
    egui::Grid::new("node-params")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| params_ui(ui, &mut edited));
    if edited != node.kind {
        out.push(ModelCommand::SetParams {
            id: node.id.clone(),
            kind: edited,
        });
    }
}

/// The kind's own parameters: one arm per kind.
fn params_ui(ui: &mut Ui, kind: &mut NodeKind) {
    match kind {
        NodeKind::Producer(p) => producer_ui(ui, p),
        NodeKind::Queue(q) => queue_ui(ui, q),
        NodeKind::Topic(_) => {
            ui.label(
                RichText::new(
                    "Every outgoing edge is a subscription; select an edge to filter it by event type.",
                )
                .weak(),
            );
            ui.end_row();
        }
        NodeKind::Consumer(c) => consumer_ui(ui, c),
        NodeKind::Router(r) => router_ui(ui, r),
        NodeKind::Service(s) => service_ui(ui, s),
        NodeKind::Sink(s) => sink_ui(ui, s),
        NodeKind::DeadLetter(d) => dead_letter_ui(ui, d),
        NodeKind::Log(l) => log_ui(ui, l),
        NodeKind::Cep(c) => cep_ui(ui, c),
        NodeKind::EventStore(s) => event_store_ui(ui, s),
        NodeKind::Projection(p) => projection_ui(ui, p),
    }
}

fn producer_ui(ui: &mut Ui, p: &mut ProducerParams) {
    arrival_ui(ui, &mut p.arrival);
    ui.label("Keys");
    ui.add(DragValue::new(&mut p.keys).range(1..=u32::MAX).speed(1.0))
        .on_hover_text("How many distinct keys events carry");
    ui.end_row();
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
    ui.label("Limit");
    optional_count_ui(ui, &mut p.limit, "no limit", 1000);
    ui.end_row();
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
                if ui.small_button("Remove").clicked() {
                    remove = Some(i);
                }
            });
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
            p.events.push(EventType { name, weight: 1.0 });
        }
    });
    ui.end_row();
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

fn queue_ui(ui: &mut Ui, q: &mut QueueParams) {
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
    duration_row_ui(ui, "Visibility timeout", &mut q.visibility_timeout);
    ui.label("Max receives");
    let mut receives = q.max_receives.map(u64::from);
    optional_count_ui(ui, &mut receives, "no limit", 5);
    q.max_receives = receives.map(|r| u32::try_from(r).unwrap_or(u32::MAX));
    ui.end_row();
    let problems = q.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn consumer_ui(ui: &mut Ui, c: &mut ConsumerParams) {
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
    retry_ui(ui, &mut c.retry);
    let label = ui.label("Poison types");
    names_ui(ui, "poison", &mut c.poison)
        .labelled_by(label.id)
        .on_hover_text("Event types that fail every attempt here (comma-separated)");
    ui.end_row();
    ui.label("Delivery");
    enum_ui(
        ui,
        "delivery",
        &mut c.delivery,
        &[
            (Delivery::AtMostOnce, "at most once"),
            (Delivery::AtLeastOnce, "at least once"),
            (Delivery::ExactlyOnce, "exactly once (idempotent)"),
        ],
    );
    ui.end_row();
    ui.label("Timeout");
    let mut has_timeout = c.timeout.is_some();
    ui.horizontal(|ui| {
        ui.checkbox(&mut has_timeout, "");
        if has_timeout {
            let mut d = c.timeout.unwrap_or(Duration::from_secs(1));
            duration_ui(ui, &mut d);
            c.timeout = Some(d);
        } else {
            c.timeout = None;
            ui.label(RichText::new("none").weak());
        }
    });
    ui.end_row();
    scaling_ui(ui, c);
    breaker_ui(ui, &mut c.breaker);
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
fn breaker_ui(ui: &mut Ui, breaker: &mut Option<BreakerParams>) {
    let label = ui.label("Circuit breaker");
    let mut on = breaker.is_some();
    if ui
        .checkbox(&mut on, "")
        .labelled_by(label.id)
        .on_hover_text(
            "Stop calling a failing service for a while (needs a call edge to a service)",
        )
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

fn retry_ui(ui: &mut Ui, r: &mut RetryPolicy) {
    ui.label("Retries");
    let names = ["none", "immediate", "fixed delay", "exponential backoff"];
    let current = match r {
        RetryPolicy::None => 0,
        RetryPolicy::Immediate { .. } => 1,
        RetryPolicy::Fixed { .. } => 2,
        RetryPolicy::Exponential { .. } => 3,
    };
    let mut chosen = current;
    egui::ComboBox::from_id_salt("retry")
        .selected_text(names[current])
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(&mut chosen, i, *name);
            }
        });
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

fn router_ui(ui: &mut Ui, r: &mut RouterParams) {
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

fn service_ui(ui: &mut Ui, s: &mut ServiceParams) {
    dist_row_ui(ui, "Latency", "service-latency", &mut s.latency);
    ui.label("Concurrency");
    let mut c = s.concurrency.map(u64::from);
    optional_count_ui(ui, &mut c, "unlimited", 10);
    s.concurrency = c.map(|c| u32::try_from(c).unwrap_or(u32::MAX));
    ui.end_row();
    ui.label("Rate limit");
    let mut limited = s.rate_limit.is_some();
    ui.horizontal(|ui| {
        ui.checkbox(&mut limited, "");
        if limited {
            let mut rate = s.rate_limit.unwrap_or(100.0);
            ui.add(
                DragValue::new(&mut rate)
                    .range(0.001..=f64::MAX)
                    .speed(1.0)
                    .suffix(" /s"),
            );
            s.rate_limit = Some(rate);
        } else {
            s.rate_limit = None;
            ui.label(RichText::new("none").weak());
        }
    });
    ui.end_row();
    ui.label("Failure");
    ui.add(
        egui::Slider::new(&mut s.failure, 0.0..=1.0)
            .custom_formatter(|v, _| format!("{:.1}%", v * 100.0)),
    )
    .on_hover_text("Probability that a call fails");
    ui.end_row();
    let problems = s.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn sink_ui(ui: &mut Ui, s: &mut SinkParams) {
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

fn log_ui(ui: &mut Ui, l: &mut LogParams) {
    let label = ui.label("Partitions");
    ui.add(DragValue::new(&mut l.partitions).range(1..=4096).speed(0.1))
        .labelled_by(label.id);
    ui.end_row();
    ui.label("Partitioner");
    enum_ui(
        ui,
        "partitioner",
        &mut l.partitioner,
        &[
            (Partitioner::KeyHash, "by key hash"),
            (Partitioner::RoundRobin, "round-robin"),
        ],
    );
    ui.end_row();
    duration_row_ui(ui, "Retention", &mut l.retention);
    // NOTE: the kind's blurb above the grid says that each consumer reading
    // the log is a consumer group; a long note in the grid would widen its
    // label column and push the values out of view.
    duration_row_ui(ui, "Rebalance pause", &mut l.rebalance_pause);
    let problems = l.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

/// A list of names as comma-separated text. The text being typed is kept
/// while the field has focus, so a trailing comma survives.
fn names_ui(ui: &mut Ui, salt: &str, names: &mut Vec<String>) -> egui::Response {
    let id = ui.make_persistent_id(("names", salt));
    let mut text = ui
        .data(|d| d.get_temp::<String>(id))
        .unwrap_or_else(|| names.join(", "));
    let response = ui.add(egui::TextEdit::singleline(&mut text).hint_text("none"));
    if response.changed() {
        *names = text
            .split(',')
            .map(str::trim)
            .filter(|n| !n.is_empty())
            .map(str::to_owned)
            .collect();
    }
    if response.has_focus() {
        ui.data_mut(|d| d.insert_temp(id, text));
    } else {
        ui.data_mut(|d| d.remove::<String>(id));
    }
    response
}

fn dead_letter_ui(ui: &mut Ui, d: &mut DeadLetterParams) {
    ui.label("Capacity");
    optional_count_ui(ui, &mut d.capacity, "unbounded", 1000);
    ui.end_row();
    let problems = d.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn cep_ui(ui: &mut Ui, c: &mut CepParams) {
    ui.label("Max keys");
    ui.add(
        DragValue::new(&mut c.max_keys)
            .range(1..=u32::MAX)
            .speed(10.0),
    )
    .on_hover_text("Most keys with open windows at once; events of further keys are not matched");
    ui.end_row();
    let mut remove = None;
    for (i, rule) in c.rules.iter_mut().enumerate() {
        ui.separator();
        ui.horizontal(|ui| {
            ui.label(RichText::new(format!("Rule {}", i + 1)).strong());
            if ui.small_button("Remove").clicked() {
                remove = Some(i);
            }
        });
        ui.end_row();
        cep_rule_ui(ui, i, rule);
    }
    if let Some(i) = remove {
        c.rules.remove(i);
    }
    ui.label("");
    if ui.button("Add rule").clicked() {
        let mut rule = CepParams::default().rules.remove(0);
        rule.name = format!("rule{}", c.rules.len() + 1);
        c.rules.push(rule);
    }
    ui.end_row();
    let problems = c.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn cep_rule_ui(ui: &mut Ui, i: usize, rule: &mut CepRule) {
    ui.label("Name");
    ui.text_edit_singleline(&mut rule.name);
    ui.end_row();
    ui.label("Pattern");
    let mut which = match rule.pattern {
        Pattern::Count { .. } => 0,
        Pattern::FollowedBy { .. } => 1,
        Pattern::NotFollowedBy { .. } => 2,
    };
    let before = which;
    enum_ui(
        ui,
        &format!("cep-pattern-{i}"),
        &mut which,
        &[
            (0, "count ≥ N in a window"),
            (1, "A followed by B within T"),
            (2, "A not followed by B within T"),
        ],
    );
    ui.end_row();
    if which != before {
        let inputs: Vec<String> = rule
            .pattern
            .inputs()
            .into_iter()
            .map(str::to_owned)
            .collect();
        let first = inputs.first().cloned().unwrap_or_else(|| "A".to_owned());
        let then = inputs.get(1).cloned().unwrap_or_else(|| "B".to_owned());
        let within = Duration::from_secs(30);
        rule.pattern = match which {
            0 => Pattern::Count {
                event: Some(first),
                at_least: 3,
                window: Window::Sliding {
                    size: Duration::from_secs(60),
                },
            },
            1 => Pattern::FollowedBy {
                first,
                then,
                within,
            },
            _ => Pattern::NotFollowedBy {
                first,
                then,
                within,
            },
        };
    }
    match &mut rule.pattern {
        Pattern::Count {
            event,
            at_least,
            window,
        } => {
            ui.label("Event type");
            let mut text = event.clone().unwrap_or_default();
            if ui
                .text_edit_singleline(&mut text)
                .on_hover_text("Leave empty to count every event")
                .changed()
            {
                *event = (!text.trim().is_empty()).then_some(text);
            }
            ui.end_row();
            ui.label("At least");
            ui.add(DragValue::new(at_least).range(1..=u32::MAX).speed(0.1));
            ui.end_row();
            ui.label("Window");
            let span = window.span();
            enum_ui(
                ui,
                &format!("cep-window-{i}"),
                window,
                &[
                    (Window::Tumbling { size: span }, "tumbling"),
                    (Window::Sliding { size: span }, "sliding"),
                    (Window::Session { gap: span }, "session (gap)"),
                ],
            );
            ui.end_row();
            match window {
                Window::Tumbling { size } | Window::Sliding { size } => {
                    duration_row_ui(ui, "Size", size);
                }
                Window::Session { gap } => duration_row_ui(ui, "Gap", gap),
            }
        }
        Pattern::FollowedBy {
            first,
            then,
            within,
        }
        | Pattern::NotFollowedBy {
            first,
            then,
            within,
        } => {
            ui.label("First (A)");
            ui.text_edit_singleline(first);
            ui.end_row();
            ui.label("Then (B)");
            ui.text_edit_singleline(then);
            ui.end_row();
            duration_row_ui(ui, "Within", within);
        }
    }
    ui.label("Emits");
    ui.text_edit_singleline(&mut rule.emit)
        .on_hover_text("The event type of the derived event sent on a match");
    ui.end_row();
}

fn event_store_ui(ui: &mut Ui, s: &mut EventStoreParams) {
    dist_row_ui(ui, "Append", "store-append", &mut s.append);
    ui.label("Max rate");
    let mut limited = s.max_rate.is_some();
    ui.horizontal(|ui| {
        ui.checkbox(&mut limited, "");
        if limited {
            let mut rate = s.max_rate.unwrap_or(1000.0);
            ui.add(
                DragValue::new(&mut rate)
                    .range(0.001..=f64::MAX)
                    .speed(1.0)
                    .suffix(" appends/s"),
            );
            s.max_rate = Some(rate);
        } else {
            s.max_rate = None;
            ui.label(RichText::new("no limit").weak());
        }
    });
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
    let problems = s.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn projection_ui(ui: &mut Ui, p: &mut ProjectionParams) {
    dist_row_ui(ui, "Apply", "projection-apply", &mut p.apply);
    ui.label("Concurrency");
    ui.add(
        DragValue::new(&mut p.concurrency)
            .range(1..=u32::MAX)
            .speed(0.1),
    )
    .on_hover_text("Events applied at once; 1 applies them strictly in order");
    ui.end_row();
    let problems = p.problems();
    if !problems.is_empty() {
        field_problems_ui(ui, &problems);
        ui.end_row();
    }
}

fn edge_ui(
    ui: &mut Ui,
    model: &Model,
    e: EdgeIndex,
    diagnostics: &[Diagnostic],
    state: &mut InspectorState,
    out: &mut Vec<ModelCommand>,
) {
    let Some((a, b)) = model.graph.edge_endpoints(e) else {
        return;
    };
    let (from, to) = (&model.graph[a], &model.graph[b]);
    let edge = &model.graph[e];
    heading_ui(
        ui,
        &format!("{} to {}", from.label(), to.label()),
        "A link between two nodes",
    );
    diagnostics_ui(ui, diagnostics, &Target::Edge(model.edge_id(e)));
    let mut edited: Edge = edge.clone();
    egui::Grid::new("edge")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("Latency");
            ui.horizontal(|ui| {
                let mut on = edited.latency.is_some();
                if ui.checkbox(&mut on, "").changed() {
                    edited.latency = on.then(|| Duration::from_millis(2));
                }
                match &mut edited.latency {
                    Some(d) => {
                        duration_ui(ui, d);
                    }
                    None => {
                        ui.label(RichText::new("none").weak());
                    }
                }
            });
            ui.end_row();
            if matches!(from.kind, NodeKind::Topic(_)) {
                ui.label("Filter");
                let current = edited
                    .filter
                    .as_ref()
                    .map(|f| f.join(", "))
                    .unwrap_or_default();
                let buffer = match &mut state.filter_edit {
                    Some((m, text)) if *m == e => text,
                    slot => &mut slot.insert((e, current)).1,
                };
                let edit = ui
                    .add(egui::TextEdit::singleline(buffer).hint_text("all event types"))
                    .on_hover_text("Event types this subscription accepts, separated by commas");
                if edit.lost_focus() {
                    let types: Vec<String> = buffer
                        .split(',')
                        .map(|s| s.trim().to_owned())
                        .filter(|s| !s.is_empty())
                        .collect();
                    edited.filter = (!types.is_empty()).then_some(types);
                    state.filter_edit = None;
                }
                ui.end_row();
            }
        });
    if &edited != edge {
        out.push(ModelCommand::SetEdge {
            from: from.id.clone(),
            to: to.id.clone(),
            edge: edited,
        });
    }
    ui.add_space(8.0);
    if ui.button("Delete this link").clicked() {
        out.push(ModelCommand::Disconnect {
            from: from.id.clone(),
            to: to.id.clone(),
        });
    }
}

fn model_ui(ui: &mut Ui, model: &Model, diagnostics: &[Diagnostic], out: &mut Vec<ModelCommand>) {
    heading_ui(ui, "Model", "Select a node or a link to edit it");
    diagnostics_ui(ui, diagnostics, &Target::Model);
    let (mut name, mut description) = (model.name.clone(), model.description.clone());
    egui::Grid::new("model")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            ui.label("Name");
            ui.text_edit_singleline(&mut name);
            ui.end_row();
            ui.label("Description");
            ui.add(egui::TextEdit::multiline(&mut description).desired_rows(4));
            ui.end_row();
        });
    if name != model.name || description != model.description {
        out.push(ModelCommand::SetInfo { name, description });
    }
    ui.separator();
    ui.label(RichText::new("Scenario").strong().size(15.0));
    diagnostics_ui(ui, diagnostics, &Target::Scenario);
    let mut s: Scenario = model.scenario.clone();
    egui::Grid::new("scenario")
        .num_columns(2)
        .spacing([12.0, 8.0])
        .show(ui, |ui| {
            duration_row_ui(ui, "Duration", &mut s.duration);
            duration_row_ui(ui, "Warm-up", &mut s.warmup);
            if s.warmup >= s.duration {
                field_problems_ui(
                    ui,
                    &["the warm-up must be shorter than the duration".to_owned()],
                );
                ui.end_row();
            }
            ui.label("Seed");
            ui.add(DragValue::new(&mut s.seed).speed(1.0));
            ui.end_row();
            ui.label("Replications");
            ui.add(
                DragValue::new(&mut s.replications)
                    .range(1..=1000)
                    .speed(0.1),
            );
            ui.end_row();
            ui.label("Max in flight");
            ui.add(
                DragValue::new(&mut s.max_in_flight)
                    .range(1..=u64::MAX)
                    .speed(100.0),
            )
            .on_hover_text("A run stops when more messages than this are alive at once");
            ui.end_row();
        });
    if s != model.scenario {
        out.push(ModelCommand::SetScenario(s));
    }
}

// Field widgets.

fn rate_row_ui(ui: &mut Ui, label: &str, rate: &mut f64) {
    let label = ui.label(label);
    let speed = (rate.abs() * 0.01).max(0.01);
    ui.add(
        DragValue::new(rate)
            .range(0.0..=f64::MAX)
            .speed(speed)
            .max_decimals(3)
            .suffix(" /s"),
    )
    .labelled_by(label.id);
    ui.end_row();
}

fn duration_row_ui(ui: &mut Ui, label: &str, d: &mut Duration) {
    let label = ui.label(label);
    duration_ui(ui, d).labelled_by(label.id);
    ui.end_row();
}

/// A duration as a drag value that reads and writes text with units
/// (`"250ms"`, `"1m30s"`).
fn duration_ui(ui: &mut Ui, d: &mut Duration) -> egui::Response {
    let mut secs = d.as_secs_f64();
    let speed = (secs * 0.01).max(1e-4);
    let response = ui
        .add(
            DragValue::new(&mut secs)
                .range(0.0..=1e9)
                .speed(speed)
                .custom_formatter(|v, _| Duration::from_secs_f64(v).to_string())
                .custom_parser(|text| {
                    text.trim()
                        .parse::<Duration>()
                        .ok()
                        .map(Duration::as_secs_f64)
                }),
        )
        .on_hover_text("Drag, or type a value with a unit: ns, us, ms, s, m, h");
    if response.changed() {
        let new = Duration::from_secs_f64(secs);
        // NOTE: keep the exact value unless the user really moved it, so a
        // round trip through f64 never changes a duration by itself.
        if (new.as_secs_f64() - d.as_secs_f64()).abs() > 0.0 {
            *d = new;
        }
    }
    response
}

/// An optional count: a checkbox for "bounded", then the value.
fn optional_count_ui(ui: &mut Ui, value: &mut Option<u64>, none: &str, default: u64) {
    ui.horizontal(|ui| {
        let mut on = value.is_some();
        if ui.checkbox(&mut on, "").changed() {
            *value = on.then_some(value.unwrap_or(default));
        }
        match value {
            Some(v) => {
                ui.add(DragValue::new(v).range(1..=u64::MAX).speed(1.0));
            }
            None => {
                ui.label(RichText::new(none).weak());
            }
        }
    });
}

/// A drop-down of named values; returns the drop-down's response (to be
/// labelled by its row).
fn enum_ui<T: PartialEq + Copy>(
    ui: &mut Ui,
    id: &str,
    value: &mut T,
    options: &[(T, &str)],
) -> egui::Response {
    let current = options
        .iter()
        .find(|(v, _)| v == value)
        .map_or("", |(_, name)| *name);
    egui::ComboBox::from_id_salt(id)
        .selected_text(current)
        .show_ui(ui, |ui| {
            for (v, name) in options {
                ui.selectable_value(value, *v, *name);
            }
        })
        .response
}

fn dist_row_ui(ui: &mut Ui, label: &str, id: &str, d: &mut Dist) {
    ui.label(label);
    ui.vertical(|ui| dist_ui(ui, id, d));
    ui.end_row();
}

/// A distribution: its family, its parameters, and a sketch of its density.
fn dist_ui(ui: &mut Ui, id: &str, d: &mut Dist) {
    let names = ["constant", "exponential", "uniform", "log-normal", "Erlang"];
    let current = match d {
        Dist::Constant(_) => 0,
        Dist::Exponential { .. } => 1,
        Dist::Uniform { .. } => 2,
        Dist::LogNormal { .. } => 3,
        Dist::Erlang { .. } => 4,
    };
    let mut chosen = current;
    egui::ComboBox::from_id_salt(id)
        .selected_text(names[current])
        .show_ui(ui, |ui| {
            for (i, name) in names.iter().enumerate() {
                ui.selectable_value(&mut chosen, i, *name);
            }
        });
    if chosen != current {
        let mean = d.mean();
        *d = match chosen {
            0 => Dist::Constant(mean),
            1 => Dist::Exponential { mean },
            2 => Dist::Uniform {
                min: Duration(mean.0 / 2),
                max: Duration(mean.0 / 2 * 3),
            },
            3 => Dist::LogNormal { mean, cv: 1.0 },
            _ => Dist::Erlang { k: 3, mean },
        };
    }
    ui.horizontal(|ui| match d {
        Dist::Constant(v) => {
            duration_ui(ui, v);
        }
        Dist::Exponential { mean } => {
            ui.label("mean");
            duration_ui(ui, mean);
        }
        Dist::Uniform { min, max } => {
            ui.label("from");
            duration_ui(ui, min);
            ui.label("to");
            duration_ui(ui, max);
        }
        Dist::LogNormal { mean, cv } => {
            ui.label("mean");
            duration_ui(ui, mean);
            ui.label("cv");
            ui.add(DragValue::new(cv).range(0.0..=20.0).speed(0.01));
        }
        Dist::Erlang { k, mean } => {
            ui.label("k");
            ui.add(DragValue::new(k).range(1..=100).speed(0.1));
            ui.label("mean");
            duration_ui(ui, mean);
        }
    });
    for p in d.problems() {
        ui.label(RichText::new(p).color(ui.visuals().error_fg_color).small());
    }
    density_ui(ui, d);
}

/// A small plot of the distribution's density from zero to about three
/// means.
fn density_ui(ui: &mut Ui, d: &Dist) {
    let (rect, _) = ui.allocate_exact_size(vec2(220.0, 48.0), egui::Sense::hover());
    let painter = ui.painter_at(rect);
    let visuals = ui.visuals();
    painter.rect_filled(rect, 4.0, visuals.extreme_bg_color);
    let mean = d.mean().as_secs_f64();
    let span = match *d {
        Dist::Uniform { max, .. } => max.as_secs_f64() * 1.25,
        _ => mean * 3.0,
    };
    let color = visuals.selection.stroke.color;
    let axis = rect.shrink2(vec2(6.0, 5.0));
    if span <= 0.0 || !d.problems().is_empty() {
        return;
    }
    let xs: Vec<f64> = (0..=96).map(|i| span * f64::from(i) / 96.0).collect();
    let ys: Vec<f64> = xs.iter().map(|&x| density(d, x)).collect();
    let top = ys.iter().copied().fold(0.0f64, f64::max);
    #[expect(clippy::cast_possible_truncation, reason = "screen coordinates")]
    let to_screen = |x: f64, y: f64| {
        pos2(
            axis.left() + (x / span) as f32 * axis.width(),
            axis.bottom() - (y / top) as f32 * axis.height(),
        )
    };
    if let Dist::Constant(_) = d {
        let x = to_screen(mean, 0.0).x;
        painter.line_segment(
            [pos2(x, axis.bottom()), pos2(x, axis.top())],
            Stroke::new(2.0, color),
        );
    } else if top > 0.0 && top.is_finite() {
        let points: Vec<_> = xs
            .iter()
            .zip(&ys)
            .map(|(&x, &y)| to_screen(x, y.min(top)))
            .collect();
        let mut area = points.clone();
        area.push(pos2(axis.right(), axis.bottom()));
        area.push(pos2(axis.left(), axis.bottom()));
        for w in points.windows(2) {
            painter.add(Shape::convex_polygon(
                vec![
                    w[0],
                    w[1],
                    pos2(w[1].x, axis.bottom()),
                    pos2(w[0].x, axis.bottom()),
                ],
                color.gamma_multiply(0.18),
                Stroke::NONE,
            ));
        }
        painter.add(Shape::line(points, Stroke::new(1.5, color)));
    }
    // The mean, dashed.
    let x = to_screen(mean, 0.0).x;
    painter.add(Shape::dashed_line(
        &[pos2(x, axis.top()), pos2(x, axis.bottom())],
        Stroke::new(1.0, visuals.weak_text_color()),
        3.0,
        3.0,
    ));
    painter.text(
        pos2(axis.right(), axis.top()),
        egui::Align2::RIGHT_TOP,
        format!("mean {}", d.mean()),
        egui::FontId::proportional(10.0),
        visuals.weak_text_color(),
    );
}

/// The density of `d` at `x` seconds.
fn density(d: &Dist, x: f64) -> f64 {
    match *d {
        Dist::Constant(_) => 0.0,
        Dist::Exponential { mean } => {
            let m = mean.as_secs_f64();
            (-x / m).exp() / m
        }
        Dist::Uniform { min, max } => {
            let (a, b) = (min.as_secs_f64(), max.as_secs_f64());
            if x >= a && x <= b && b > a {
                1.0 / (b - a)
            } else {
                0.0
            }
        }
        Dist::LogNormal { mean, cv } => {
            if x <= 0.0 || cv <= 0.0 {
                return 0.0;
            }
            let s2 = (1.0 + cv * cv).ln();
            let mu = mean.as_secs_f64().ln() - s2 / 2.0;
            let z = x.ln() - mu;
            (-z * z / (2.0 * s2)).exp() / (x * (2.0 * std::f64::consts::PI * s2).sqrt())
        }
        Dist::Erlang { k, mean } => {
            if x <= 0.0 && k > 1 {
                return 0.0;
            }
            let rate = f64::from(k) / mean.as_secs_f64();
            let kf = f64::from(k);
            // λ^k x^(k−1) e^(−λx) / (k−1)!, in logs to stay finite.
            let log_fact: f64 = (1..k).map(|i| f64::from(i).ln()).sum();
            (kf * rate.ln() + (kf - 1.0) * x.max(f64::MIN_POSITIVE).ln() - rate * x - log_fact)
                .exp()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn densities_integrate_to_about_one() {
        let ms = Duration::from_millis;
        for d in [
            Dist::Exponential { mean: ms(10) },
            Dist::Uniform {
                min: ms(5),
                max: ms(15),
            },
            Dist::LogNormal {
                mean: ms(10),
                cv: 0.5,
            },
            Dist::Erlang { k: 4, mean: ms(10) },
        ] {
            let step = 1e-5;
            let total: f64 = (0..20_000)
                .map(|i| density(&d, f64::from(i) * step) * step)
                .sum();
            assert!((total - 1.0).abs() < 0.02, "{d:?} integrates to {total}");
        }
    }
}
