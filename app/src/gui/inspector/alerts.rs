//! The alerting rules' fields: every rule with nothing selected, a node's
//! own rules with the node selected. Every edit replaces the list with one
//! command, so it undoes in one step.

use eframe::egui::{self, DragValue, RichText, Ui};
use sim_core::Model;
use sim_core::alerts::{AlertRule, Condition, DEFAULT_SEVERITY};
use sim_core::model::ModelCommand;
use sim_core::nodes::Kind;
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, Target};

use super::diagnostics_ui;
use super::fields::{duration_ui, enum_ui};

/// The kinds of condition, in the order offered.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Shape {
    P99Latency,
    Depth,
    Lag,
    DeadLetterRate,
    ErrorRate,
    Throughput,
}

const SHAPES: [Shape; 6] = [
    Shape::P99Latency,
    Shape::Depth,
    Shape::Lag,
    Shape::DeadLetterRate,
    Shape::ErrorRate,
    Shape::Throughput,
];

impl Shape {
    const fn of(condition: Condition) -> Self {
        match condition {
            Condition::P99Latency { .. } => Self::P99Latency,
            Condition::Depth { .. } => Self::Depth,
            Condition::Lag { .. } => Self::Lag,
            Condition::DeadLetterRate { .. } => Self::DeadLetterRate,
            Condition::ErrorRate { .. } => Self::ErrorRate,
            Condition::Throughput { .. } => Self::Throughput,
        }
    }

    /// A condition of this shape with an everyday threshold.
    const fn fresh(self) -> Condition {
        match self {
            Self::P99Latency => Condition::P99Latency {
                above: Duration::from_millis(250),
            },
            Self::Depth => Condition::Depth { above: 100.0 },
            Self::Lag => Condition::Lag { above: 1000.0 },
            Self::DeadLetterRate => Condition::DeadLetterRate { above: 0.1 },
            Self::ErrorRate => Condition::ErrorRate { above: 0.01 },
            Self::Throughput => Condition::Throughput { below: 1.0 },
        }
    }

    /// The words in the drop-down.
    const fn label(self) -> &'static str {
        match self {
            Self::P99Latency => "p99 latency above",
            Self::Depth => "Depth above",
            Self::Lag => "Lag above",
            Self::DeadLetterRate => "Dead-letter rate above",
            Self::ErrorRate => "Error rate above",
            Self::Throughput => "Throughput below",
        }
    }

    /// The prefix of an alert's generated name (`Depth` → `DepthInbox`).
    const fn stem(self) -> &'static str {
        match self {
            Self::P99Latency => "Slow",
            Self::Depth => "Backlog",
            Self::Lag => "Lagging",
            Self::DeadLetterRate => "DeadLetters",
            Self::ErrorRate => "Errors",
            Self::Throughput => "Stalled",
        }
    }
}

/// The condition a rule on a node of `kind` most often watches.
fn default_condition(kind: Kind) -> Option<Condition> {
    [
        Shape::DeadLetterRate,
        Shape::Lag,
        Shape::Depth,
        Shape::P99Latency,
        Shape::Throughput,
        Shape::ErrorRate,
    ]
    .into_iter()
    .map(Shape::fresh)
    .find(|c| c.fits(kind))
}

/// A name for a new rule on `node`: the condition's stem and the node's id
/// in Prometheus's alphabet, numbered past any name already taken.
fn fresh_name(rules: &[AlertRule], condition: Condition, node: &str) -> String {
    let mut base = String::from(Shape::of(condition).stem());
    let mut upper = true;
    for c in node.chars() {
        if c.is_ascii_alphanumeric() {
            base.push(if upper { c.to_ascii_uppercase() } else { c });
            upper = false;
        } else {
            upper = true;
        }
    }
    let taken = |name: &str| rules.iter().any(|r| r.name == name);
    if !taken(&base) {
        return base;
    }
    (2..)
        .map(|k| format!("{base}{k}"))
        .find(|name| !taken(name))
        .unwrap_or(base)
}

/// A new rule on `node` (of `kind`), if its kind has a series a rule can
/// watch, for a run of `duration`: it must hold for 30 s, or a tenth of a
/// shorter run in whole seconds, so that it can fire.
fn new_rule(rules: &[AlertRule], node: &str, kind: Kind, duration: Duration) -> Option<AlertRule> {
    let when = default_condition(kind)?;
    let tenth = Duration::from_secs(duration.as_nanos() / 10 / 1_000_000_000);
    Some(AlertRule {
        name: fresh_name(rules, when, node),
        on: node.to_owned(),
        when,
        hold: tenth.min(Duration::from_secs(30)),
        severity: DEFAULT_SEVERITY.to_owned(),
        summary: None,
    })
}

/// Every rule, each editable, and a button to add one.
pub fn model_alerts_ui(
    ui: &mut Ui,
    model: &Model,
    diagnostics: &[Diagnostic],
    out: &mut Vec<ModelCommand>,
) {
    ui.separator();
    ui.label(RichText::new("Alert rules").strong().size(15.0));
    ui.label(
        RichText::new("Prometheus-style rules on a node's series; each run says when they fired.")
            .weak(),
    );
    let mut rules = model.alerts.clone();
    let mut remove = None;
    for i in 0..rules.len() {
        if rule_ui(ui, model, diagnostics, &mut rules, i, true) {
            remove = Some(i);
        }
    }
    if let Some(i) = remove {
        rules.remove(i);
    }
    ui.add_space(4.0);
    let first = model.graph.node_indices().find_map(|n| {
        let node = &model.graph[n];
        new_rule(&rules, &node.id, node.kind.kind(), model.scenario.duration)
    });
    let add = ui
        .add_enabled(first.is_some(), egui::Button::new("Add alert rule"))
        .on_hover_text("A rule on the first node that has a series to watch; change it as needed")
        .on_disabled_hover_text("Draw a node first: rules watch a node's series");
    if add.clicked()
        && let Some(rule) = first
    {
        rules.push(rule);
    }
    if rules != model.alerts {
        out.push(ModelCommand::SetAlerts(rules));
    }
}

/// The rules on node `id`, and a button to add one.
pub fn node_alerts_ui(
    ui: &mut Ui,
    model: &Model,
    id: &str,
    kind: Kind,
    diagnostics: &[Diagnostic],
    out: &mut Vec<ModelCommand>,
) {
    let Some(fresh) = new_rule(&model.alerts, id, kind, model.scenario.duration) else {
        return;
    };
    ui.separator();
    ui.label(RichText::new("Alert rules").strong().size(15.0));
    let mut rules = model.alerts.clone();
    let mut remove = None;
    for i in 0..rules.len() {
        if rules[i].on == id && rule_ui(ui, model, diagnostics, &mut rules, i, false) {
            remove = Some(i);
        }
    }
    if let Some(i) = remove {
        rules.remove(i);
    }
    if ui
        .button("Add alert rule")
        .on_hover_text("Fire when this node's series crosses a threshold for a while")
        .clicked()
    {
        rules.push(fresh);
    }
    if rules != model.alerts {
        out.push(ModelCommand::SetAlerts(rules));
    }
}

/// Rule `i`'s fields in a collapsible section; whether Remove was clicked.
/// `place` offers to change the node it watches.
fn rule_ui(
    ui: &mut Ui,
    model: &Model,
    diagnostics: &[Diagnostic],
    rules: &mut [AlertRule],
    i: usize,
    place: bool,
) -> bool {
    let mut removed = false;
    let title = rule_title(&rules[i]);
    let problems = diagnostics
        .iter()
        .any(|d| d.target == Target::Alert(rules[i].name.clone()));
    let title = if problems {
        RichText::new(title).color(ui.visuals().error_fg_color)
    } else {
        RichText::new(title)
    };
    egui::CollapsingHeader::new(title)
        .id_salt(("alert", i))
        .default_open(false)
        .show(ui, |ui| {
            let kind = model.find(&rules[i].on).map(|n| model.graph[n].kind.kind());
            let rule = &mut rules[i];
            egui::Grid::new(("alert-grid", i))
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    let label = ui.label("Name");
                    ui.add(
                        egui::TextEdit::singleline(&mut rule.name)
                            .hint_text("OrdersBacklog")
                            .desired_width(180.0),
                    )
                    .labelled_by(label.id)
                    .on_hover_text("Letters, digits and underscores, as Prometheus names alerts");
                    ui.end_row();
                    if place {
                        node_row_ui(ui, model, i, rule);
                    }
                    condition_rows_ui(ui, i, kind, &mut rule.when);
                    let label = ui.label("For");
                    duration_ui(ui, &mut rule.hold).labelled_by(label.id).on_hover_text(
                        "How long the condition must hold before the alert fires (0 s: at once)",
                    );
                    ui.end_row();
                    ui.label("Severity");
                    severity_ui(ui, i, &mut rule.severity);
                    ui.end_row();
                    ui.label("Summary");
                    let mut summary = rule.summary.clone().unwrap_or_default();
                    let hint = format!("{} at {}", rule.when.describe(), rule.on);
                    if ui
                        .add(
                            egui::TextEdit::singleline(&mut summary)
                                .hint_text(hint)
                                .desired_width(180.0),
                        )
                        .on_hover_text("The alert's summary annotation in the exported rules")
                        .changed()
                    {
                        rule.summary = (!summary.trim().is_empty()).then_some(summary);
                    }
                    ui.end_row();
                });
            diagnostics_ui(ui, diagnostics, &Target::Alert(rules[i].name.clone()), &[]);
            if ui.button("Remove rule").clicked() {
                removed = true;
            }
        });
    removed
}

/// `OrdersBacklog: depth > 500 for 30s`.
fn rule_title(rule: &AlertRule) -> String {
    let hold = if rule.hold.is_zero() {
        String::new()
    } else {
        format!(" for {}", rule.hold)
    };
    let name = if rule.name.is_empty() {
        "(unnamed)"
    } else {
        &rule.name
    };
    format!("{name}: {}{hold}", rule.when.describe())
}

/// The node the rule watches: a drop-down of the nodes that have a series
/// the rule's condition can read, and the one it names now.
fn node_row_ui(ui: &mut Ui, model: &Model, i: usize, rule: &mut AlertRule) {
    let graph = &model.graph;
    let shown = model
        .find(&rule.on)
        .map_or_else(|| rule.on.clone(), |n| graph[n].label().to_owned());
    let label = ui.label("Watches");
    egui::ComboBox::from_id_salt(("alert-node", i))
        .selected_text(shown)
        .show_ui(ui, |ui| {
            for n in graph.node_indices() {
                let node = &graph[n];
                let kind = node.kind.kind();
                let Some(default) = default_condition(kind) else {
                    continue;
                };
                if ui
                    .selectable_label(rule.on == node.id, node.label())
                    .clicked()
                    && rule.on != node.id
                {
                    rule.on.clone_from(&node.id);
                    if !rule.when.fits(kind) {
                        rule.when = default;
                    }
                }
            }
        })
        .response
        .labelled_by(label.id);
    ui.end_row();
}

/// The condition's drop-down (the conditions the node's kind can be
/// watched for) and its threshold.
fn condition_rows_ui(ui: &mut Ui, i: usize, kind: Option<Kind>, when: &mut Condition) {
    let current = Shape::of(*when);
    let options: Vec<(Shape, &str)> = SHAPES
        .into_iter()
        .filter(|s| *s == current || kind.is_none_or(|k| s.fresh().fits(k)))
        .map(|s| (s, s.label()))
        .collect();
    let label = ui.label("When");
    let mut shape = current;
    enum_ui(ui, &format!("alert-when-{i}"), &mut shape, &options).labelled_by(label.id);
    if shape != current {
        *when = shape.fresh();
    }
    ui.end_row();
    let label = ui.label("Threshold");
    let response = match when {
        Condition::P99Latency { above } => duration_ui(ui, above),
        Condition::Depth { above } | Condition::Lag { above } => ui.add(
            DragValue::new(above)
                .range(0.0..=f64::MAX)
                .speed(1.0)
                .max_decimals(0)
                .suffix(if shape == Shape::Lag {
                    " records"
                } else {
                    " messages"
                }),
        ),
        Condition::DeadLetterRate { above } => ui.add(
            DragValue::new(above)
                .range(0.0..=f64::MAX)
                .speed(0.05)
                .suffix(" /s"),
        ),
        Condition::Throughput { below } => ui.add(
            DragValue::new(below)
                .range(0.0..=f64::MAX)
                .speed(0.5)
                .suffix(" /s"),
        ),
        Condition::ErrorRate { above } => {
            let mut percent = *above * 100.0;
            let response = ui
                .add(
                    DragValue::new(&mut percent)
                        .range(0.0..=100.0)
                        .speed(0.05)
                        .max_decimals(3)
                        .suffix(" %"),
                )
                .on_hover_text("Messages dropped as a share of those that arrived");
            if response.changed() {
                *above = percent / 100.0;
            }
            response
        }
    };
    response.labelled_by(label.id);
    ui.end_row();
}

/// The severity label: the usual three in a drop-down, or any word typed.
fn severity_ui(ui: &mut Ui, i: usize, severity: &mut String) {
    ui.horizontal(|ui| {
        ui.add(egui::TextEdit::singleline(severity).desired_width(90.0));
        egui::ComboBox::from_id_salt(("alert-severity", i))
            .selected_text("")
            .width(24.0)
            .show_ui(ui, |ui| {
                for word in ["page", "ticket", "warning"] {
                    if ui.selectable_label(severity == word, word).clicked() {
                        *severity = word.to_owned();
                    }
                }
            });
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn new_rules_get_prometheus_names_not_yet_taken() {
        let depth = Shape::Depth.fresh();
        assert_eq!(fresh_name(&[], depth, "write-q"), "BacklogWriteQ");
        let hour = Duration::from_secs(3600);
        let first = new_rule(&[], "write-q", Kind::Queue, hour).expect("a queue has series");
        assert_eq!(first.name, "BacklogWriteQ");
        assert_eq!(first.hold, Duration::from_secs(30));
        let second = new_rule(std::slice::from_ref(&first), "write-q", Kind::Queue, hour)
            .expect("a queue has series");
        assert_eq!(second.name, "BacklogWriteQ2");
        let short = new_rule(&[], "q", Kind::Queue, Duration::from_millis(25_500))
            .expect("a queue has series");
        assert_eq!(short.hold, Duration::from_secs(2), "a tenth of a short run");
        assert_eq!(fresh_name(&[], depth, "9 lives"), "Backlog9Lives");
    }

    #[test]
    fn a_new_rule_watches_what_its_node_has() {
        for kind in Kind::ALL {
            if let Some(when) = default_condition(kind) {
                assert!(when.fits(kind), "{kind}: {when:?}");
            }
        }
        assert!(matches!(
            default_condition(Kind::DeadLetter),
            Some(Condition::DeadLetterRate { .. })
        ));
        assert!(matches!(
            default_condition(Kind::Log),
            Some(Condition::Lag { .. })
        ));
    }
}
