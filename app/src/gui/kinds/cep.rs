//! Complex event processing: windows and patterns per key emit derived events.

use eframe::egui::{self, Color32, DragValue, Rect, RichText, Ui};
use sim_core::nodes::{CepParams, CepRule, NodeKind, Pattern, Window};
use sim_core::snapshot::NodeSnapshot;
use sim_core::time::Duration;

use super::{Icon, KindUi, LiveNumber, ParamsUi, edited};
use crate::gui::inspector::fields::{duration_row_ui, enum_ui, field_problems_ui};

#[derive(Debug)]
pub struct Cep;

impl KindUi for Cep {
    fn accent(&self) -> Color32 {
        Color32::from_rgb(0xc2, 0x3b, 0x8a)
    }

    fn blurb(&self) -> &'static str {
        "Complex event processing: windows and patterns per key emit derived events"
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
        // A pattern spotted in a stream: dots on a line, three ringed.
        painter.line_segment([p(-0.9, 0.35), p(0.9, 0.35)], stroke);
        for x in [-0.7f32, -0.35, 0.0, 0.35, 0.7] {
            painter.circle_filled(p(x, 0.35), s * 0.11, color);
        }
        let ring = Rect::from_min_max(p(-0.5, 0.05), p(0.5, 0.65));
        painter.rect_stroke(ring, s * 0.2, stroke, egui::StrokeKind::Middle);
        // The derived event, rising from the match.
        painter.line_segment([p(0.0, 0.05), p(0.0, -0.45)], stroke);
        painter.circle_filled(p(0.0, -0.6), s * 0.22, color);
    }

    fn live_numbers(&self, n: &NodeSnapshot) -> Vec<LiveNumber> {
        vec![
            LiveNumber::count("in", n.arrived, "arrived", "Events it watched"),
            LiveNumber::count(
                "derived",
                n.departed,
                "departed",
                "Events it emitted on a match",
            ),
        ]
    }
}

impl ParamsUi for CepParams {
    fn summary(&self) -> String {
        match self.rules.as_slice() {
            [rule] => format!("{} → {}", rule.name, rule.emit),
            rules => format!("{} rules", rules.len()),
        }
    }

    fn inspector_ui(&self, ui: &mut Ui) -> Option<NodeKind> {
        edited(ui, self, NodeKind::Cep, section_ui)
    }
}

fn section_ui(ui: &mut Ui, c: &mut CepParams) {
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
