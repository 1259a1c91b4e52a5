//! Charts of a live run on a simulated-time axis: with nothing selected or
//! pinned, the whole system (messages in and out, in flight, end-to-end
//! latency, losses); otherwise the selected node or edge and pinned ones,
//! titled by the nodes' names. Alert firings show as shaded spans: a
//! node's on its own charts, every rule's on the system's.

use eframe::egui::{self, Color32, RichText};
use egui_plot::{GridInput, HoverPosition, Line, Plot, PlotPoints, Span, uniform_grid_spacer};
use sim_core::series::{Metric, NodeSeries, SystemMetric, SystemSeries};

use super::colors;
use crate::live::LiveFrame;

/// What a chart row shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChartSubject {
    Node(String),
    Edge(String, String),
}

impl ChartSubject {
    /// The row's title, with the nodes' names (`name_of` gives a node's
    /// name from its id).
    fn title(&self, name_of: &dyn Fn(&str) -> String) -> String {
        match self {
            Self::Node(id) => name_of(id),
            Self::Edge(from, to) => format!("link {} → {}", name_of(from), name_of(to)),
        }
    }
}

/// How much of the run the charts show.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Window {
    Minutes(u32),
    WholeRun,
}

impl Window {
    const CHOICES: [Self; 4] = [
        Self::Minutes(1),
        Self::Minutes(5),
        Self::Minutes(15),
        Self::WholeRun,
    ];

    fn label(self) -> String {
        match self {
            Self::Minutes(m) => format!("last {m} min"),
            Self::WholeRun => "whole run".to_owned(),
        }
    }
}

/// The charts' view state.
#[derive(Clone, Debug)]
pub struct ChartsState {
    pub pinned: Vec<ChartSubject>,
    pub window: Window,
}

impl Default for ChartsState {
    fn default() -> Self {
        Self {
            pinned: Vec::new(),
            window: Window::WholeRun,
        }
    }
}

impl ChartsState {
    /// The rows to draw: pinned ones, then the selection if not pinned.
    pub fn subjects(&self, selected: Option<&ChartSubject>) -> Vec<ChartSubject> {
        let mut out = self.pinned.clone();
        if let Some(s) = selected
            && !out.contains(s)
        {
            out.push(s.clone());
        }
        out
    }
}

/// What a chart's values measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Unit {
    /// Counts, rates and states, drawn as recorded.
    Plain,
    /// Seconds, drawn in ms or s, whichever reads better for the values
    /// on show.
    Time,
}

/// Metrics drawn together in one chart.
#[derive(Debug)]
struct Group {
    title: &'static str,
    unit: Unit,
    /// Lines and their colours.
    lines: &'static [(Metric, Color32)],
}

const GROUPS: &[Group] = &[
    Group {
        title: "throughput (msg/s)",
        unit: Unit::Plain,
        lines: &[
            (Metric::ThroughputIn, colors::BLUE),
            (Metric::ThroughputOut, colors::GREEN),
            (Metric::Goodput, colors::PURPLE),
            (Metric::Dropped, colors::VERMILLION),
            (Metric::Throttled, colors::ORANGE),
        ],
    },
    Group {
        title: "messages held",
        unit: Unit::Plain,
        lines: &[
            (Metric::Depth, colors::ORANGE),
            (Metric::Busy, colors::SKY),
            (Metric::Instances, colors::BLUE),
        ],
    },
    Group {
        title: "largest group lag (records)",
        unit: Unit::Plain,
        lines: &[(Metric::Lag, colors::VERMILLION)],
    },
    Group {
        title: "latency",
        unit: Unit::Time,
        lines: &[
            (Metric::LatencyP50, colors::BLUE),
            (Metric::LatencyP99, colors::VERMILLION),
        ],
    },
    Group {
        title: "staleness (append → applied)",
        unit: Unit::Time,
        lines: &[
            (Metric::StalenessP50, colors::BLUE),
            (Metric::StalenessP99, colors::VERMILLION),
        ],
    },
    Group {
        title: "breaker (1 = open)",
        unit: Unit::Plain,
        lines: &[(Metric::Breaker, colors::VERMILLION)],
    },
];

/// The whole system's lines drawn together in one chart.
#[derive(Debug)]
struct SystemGroup {
    title: &'static str,
    unit: Unit,
    lines: &'static [(SystemMetric, &'static str, Color32)],
}

const SYSTEM_GROUPS: &[SystemGroup] = &[
    SystemGroup {
        title: "messages in and out (msg/s)",
        unit: Unit::Plain,
        lines: &[
            (SystemMetric::ThroughputIn, "emitted", colors::BLUE),
            (SystemMetric::ThroughputOut, "completed", colors::GREEN),
            (SystemMetric::Goodput, "goodput", colors::PURPLE),
        ],
    },
    SystemGroup {
        title: "messages in flight",
        unit: Unit::Plain,
        lines: &[(SystemMetric::InFlight, "in flight", colors::ORANGE)],
    },
    SystemGroup {
        title: "end-to-end latency",
        unit: Unit::Time,
        lines: &[
            (SystemMetric::EndToEndP50, "p50", colors::BLUE),
            (SystemMetric::EndToEndP99, "p99", colors::VERMILLION),
        ],
    },
    SystemGroup {
        title: "losses (msg/s)",
        unit: Unit::Plain,
        lines: &[
            (SystemMetric::Dropped, "dropped", colors::VERMILLION),
            (SystemMetric::DeadLettered, "dead letters", colors::PURPLE),
            (SystemMetric::Lost, "lost", colors::SKY),
        ],
    },
];

/// How a group's values are drawn: the factor from recorded values, and
/// the unit's name for the title (`None`: the title says it already).
fn scale_for(unit: Unit, largest: f32) -> (f64, Option<&'static str>) {
    match unit {
        Unit::Plain => (1.0, None),
        Unit::Time if largest >= 1.0 => (1.0, Some("s")),
        Unit::Time => (1000.0, Some("ms")),
    }
}

/// An alert's firing on a chart: from when it fired to when it resolved
/// (or the last point, while it fires).
#[derive(Clone, Debug, PartialEq)]
struct Mark {
    label: String,
    from: f64,
    to: f64,
}

/// The firings of the rules on `node` (every rule's with `None`).
fn marks(frame: &LiveFrame, node: Option<&str>) -> Vec<Mark> {
    let Some(alerts) = &frame.alerts else {
        return Vec::new();
    };
    let now = frame.series_times.last().copied().unwrap_or(0.0);
    let secs = |t: sim_core::time::SimTime| t.as_nanos() as f64 / 1e9;
    alerts
        .firings
        .iter()
        .filter(|f| node.is_none_or(|id| alerts.rules[f.rule].node == id))
        .map(|f| Mark {
            // NOTE: the system's charts show every rule's firings, often
            // overlapping: their names would cover each other (the list
            // above names them); a node's charts name their few.
            label: if node.is_some() {
                alerts.rules[f.rule].name.clone()
            } else {
                String::new()
            },
            from: secs(f.fired_at),
            to: f.resolved_at.map_or(now, secs),
        })
        .collect()
}

/// The live run's alerts: a row per firing (rule, node, state, fired at,
/// resolved at) and one for each rule that has not fired (pending or
/// inactive). `name_of` gives a node's name from its id.
pub fn alerts_list_ui(
    ui: &mut egui::Ui,
    alerts: &sim_core::alerts::AlertRun,
    name_of: &dyn Fn(&str) -> String,
) {
    use sim_core::alerts::State;
    let secs = |t: sim_core::time::SimTime| seconds(t.as_nanos() as f64 / 1e9);
    let firing = alerts
        .states
        .iter()
        .filter(|s| matches!(s, State::Firing { .. }))
        .count();
    let title = format!(
        "Alerts — {firing} firing, {} fired so far (evaluated every {})",
        alerts.firings.len(),
        seconds(alerts.interval.as_secs_f64())
    );
    egui::CollapsingHeader::new(RichText::new(title).strong())
        .id_salt("live-alerts")
        .default_open(true)
        .show(ui, |ui| {
            egui::ScrollArea::vertical()
                .id_salt("live-alerts-scroll")
                .max_height(90.0)
                .show(ui, |ui| {
                    egui::Grid::new("live-alerts-grid")
                        .num_columns(5)
                        .spacing([16.0, 2.0])
                        .striped(true)
                        .show(ui, |ui| {
                            for head in ["rule", "node", "state", "fired at", "resolved at"] {
                                ui.label(RichText::new(head).weak());
                            }
                            ui.end_row();
                            let mut row =
                                |rule: usize, state: &str, fired: String, resolved: String| {
                                    let info = &alerts.rules[rule];
                                    ui.label(&info.name).on_hover_text(format!(
                                        "{} for {} ({})",
                                        info.condition.describe(),
                                        info.hold,
                                        info.severity
                                    ));
                                    ui.label(name_of(&info.node));
                                    let text = RichText::new(state);
                                    ui.label(if state == "firing" {
                                        text.color(colors::WARN).strong()
                                    } else {
                                        text
                                    });
                                    ui.label(RichText::new(fired).monospace());
                                    ui.label(RichText::new(resolved).monospace());
                                    ui.end_row();
                                };
                            for f in &alerts.firings {
                                match f.resolved_at {
                                    Some(r) => row(f.rule, "resolved", secs(f.fired_at), secs(r)),
                                    None => row(f.rule, "firing", secs(f.fired_at), "—".to_owned()),
                                }
                            }
                            for (rule, state) in alerts.states.iter().enumerate() {
                                match state {
                                    State::Pending { since } => row(
                                        rule,
                                        "pending",
                                        format!("(since {})", secs(*since)),
                                        "—".to_owned(),
                                    ),
                                    State::Inactive if alerts.firings_of(rule) == 0 => {
                                        row(rule, "inactive", "—".to_owned(), "—".to_owned());
                                    }
                                    State::Inactive | State::Firing { .. } => {}
                                }
                            }
                        });
                });
        });
}

/// The name of a line in its chart's legend.
fn line_name(metric: Metric) -> &'static str {
    match metric {
        Metric::LatencyP50 | Metric::StalenessP50 => "p50",
        Metric::LatencyP99 | Metric::StalenessP99 => "p99",
        Metric::Breaker => "breaker",
        Metric::Lag => "lag",
        _ => metric.label(),
    }
}

/// Draws the charts: the whole system with nothing selected or pinned,
/// else a row per subject; pins and unpins as asked. `name_of` gives a
/// node's name from its id.
pub fn charts_ui(
    ui: &mut egui::Ui,
    state: &mut ChartsState,
    frame: &LiveFrame,
    selected: Option<&ChartSubject>,
    name_of: &dyn Fn(&str) -> String,
) {
    ui.horizontal(|ui| {
        ui.label(RichText::new("Charts").strong());
        egui::ComboBox::from_id_salt("chart-window")
            .selected_text(state.window.label())
            .show_ui(ui, |ui| {
                for w in Window::CHOICES {
                    ui.selectable_value(&mut state.window, w, w.label());
                }
            });
        let every = if frame.series_times.len() >= 2 {
            frame.series_times[1] - frame.series_times[0]
        } else {
            0.0
        };
        if every > 0.0 {
            ui.label(RichText::new(format!("one point every {}", seconds(every))).weak());
        }
        if state.subjects(selected).is_empty() {
            ui.separator();
            ui.label(RichText::new("Whole system").strong());
            ui.label(
                RichText::new("Select a node or a link to chart it; pin it to keep it here.")
                    .weak(),
            );
        }
    });
    let subjects = state.subjects(selected);
    let times = &frame.series_times;
    let from = match (state.window, times.last()) {
        (Window::Minutes(m), Some(&end)) => end - f64::from(m) * 60.0,
        _ => f64::NEG_INFINITY,
    };
    let first = times.partition_point(|&t| t < from);
    // Plots as tall as the panel allows (under a subject's title, a
    // chart's and its key), within reason.
    let key_height = 2.0 * egui::TextStyle::Body.resolve(ui.style()).size + 30.0;
    let plot_height = (ui.available_height() - key_height - 8.0).clamp(70.0, 150.0);
    if subjects.is_empty() {
        let marks = marks(frame, None);
        system_charts_ui(
            ui,
            &frame.system,
            &times[first..],
            first,
            plot_height,
            &marks,
        );
        return;
    }
    let mut unpin = None;
    let mut pin = None;
    egui::ScrollArea::vertical().show(ui, |ui| {
        for subject in &subjects {
            let pinned = state.pinned.contains(subject);
            ui.horizontal(|ui| {
                ui.label(RichText::new(subject.title(name_of)).strong());
                let label = if pinned { "Unpin" } else { "Pin" };
                if ui
                    .small_button(label)
                    .on_hover_text("Keep this chart while selecting others")
                    .clicked()
                {
                    if pinned {
                        unpin = Some(subject.clone());
                    } else {
                        pin = Some(subject.clone());
                    }
                }
            });
            match subject {
                ChartSubject::Node(id) => {
                    if let Some(line) = frame.series.iter().find(|s| &s.id == id) {
                        let marks = marks(frame, Some(id));
                        node_charts_ui(ui, id, line, &times[first..], first, plot_height, &marks);
                    } else {
                        ui.label(RichText::new("waiting for the first points…").weak());
                    }
                }
                ChartSubject::Edge(a, b) => {
                    let line = frame
                        .edge_series
                        .iter()
                        .find(|s| &s.from == a && &s.to == b);
                    if let Some(line) = line {
                        let carried = line.throughput().to_vec();
                        let points = zip(&times[first..], carried.get(first..).unwrap_or(&[]), 1.0);
                        plot_ui(
                            ui,
                            &format!("edge-{a}-{b}"),
                            "carried (msg/s)",
                            vec![("carried /s", colors::BLUE, points)],
                            ui.available_width(),
                            plot_height,
                            &[],
                        );
                    } else {
                        ui.label(RichText::new("waiting for the first points…").weak());
                    }
                }
            }
            ui.add_space(6.0);
        }
    });
    if let Some(s) = pin {
        state.pinned.push(s);
    }
    if let Some(s) = unpin {
        state.pinned.retain(|p| *p != s);
    }
}

fn node_charts_ui(
    ui: &mut egui::Ui,
    id: &str,
    line: &NodeSeries,
    times: &[f64],
    first: usize,
    height: f32,
    marks: &[Mark],
) {
    let groups: Vec<_> = GROUPS
        .iter()
        .filter(|g| g.lines.iter().any(|(m, _)| line.values(*m).is_some()))
        .collect();
    if groups.is_empty() {
        return;
    }
    #[expect(clippy::cast_precision_loss, reason = "a handful of groups")]
    let width = (ui.available_width() - 8.0 * (groups.len() as f32 - 1.0)) / groups.len() as f32;
    ui.horizontal(|ui| {
        for group in groups {
            let (title, unit) = (group.title, group.unit);
            let shown: Vec<(Metric, Color32, Vec<f32>)> = group
                .lines
                .iter()
                .filter_map(|&(m, color)| {
                    let values = line.values(m)?;
                    (first <= values.len()).then(|| (m, color, values.iter().skip(first).collect()))
                })
                .collect();
            let largest = shown
                .iter()
                .flat_map(|(_, _, values)| values.iter().copied())
                .fold(0.0_f32, f32::max);
            let (scale, unit_name) = scale_for(unit, largest);
            let lines = shown
                .into_iter()
                .map(|(m, color, values)| (line_name(m), color, zip(times, &values, scale)))
                .collect();
            let shown_title = match unit_name {
                Some(u) => format!("{title} ({u})"),
                None => title.to_owned(),
            };
            plot_ui(
                ui,
                &format!("node-{id}-{title}"),
                &shown_title,
                lines,
                width.max(120.0),
                height,
                marks,
            );
        }
    });
}

/// The whole system's charts, side by side.
fn system_charts_ui(
    ui: &mut egui::Ui,
    system: &SystemSeries,
    times: &[f64],
    first: usize,
    height: f32,
    marks: &[Mark],
) {
    #[expect(clippy::cast_precision_loss, reason = "a handful of groups")]
    let count = SYSTEM_GROUPS.len() as f32;
    let width = (ui.available_width() - 8.0 * (count - 1.0)) / count;
    ui.horizontal(|ui| {
        for group in SYSTEM_GROUPS {
            let shown: Vec<(&str, Color32, &[f32])> = group
                .lines
                .iter()
                .filter(|(m, ..)| *m != SystemMetric::Goodput || system.shows_goodput())
                .filter_map(|&(m, name, color)| Some((name, color, system.values(m).get(first..)?)))
                .collect();
            let largest = shown
                .iter()
                .flat_map(|(_, _, values)| values.iter().copied())
                .fold(0.0_f32, f32::max);
            let (scale, unit_name) = scale_for(group.unit, largest);
            let lines = shown
                .into_iter()
                .map(|(name, color, values)| (name, color, zip(times, values, scale)))
                .collect();
            let title = match unit_name {
                Some(u) => format!("{} ({u})", group.title),
                None => group.title.to_owned(),
            };
            plot_ui(
                ui,
                &format!("system-{}", group.title),
                &title,
                lines,
                width.max(120.0),
                height,
                marks,
            );
        }
    });
}

fn zip(times: &[f64], values: &[f32], scale: f64) -> Vec<[f64; 2]> {
    times
        .iter()
        .zip(values)
        .map(|(&t, &v)| [t, f64::from(v) * scale])
        .collect()
}

fn plot_ui(
    ui: &mut egui::Ui,
    id: &str,
    title: &str,
    lines: Vec<(&str, Color32, Vec<[f64; 2]>)>,
    width: f32,
    height: f32,
    marks: &[Mark],
) {
    ui.vertical(|ui| {
        ui.set_width(width);
        // NOTE: titles and keys at body size: read from across a room.
        ui.label(title);
        // The key sits above the plot, where it never covers a line (a
        // legend inside the plot hid the first points of the run).
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 3.0;
            for (name, color, _) in &lines {
                // A key moves to the next line whole, its dot with it.
                let text = egui::WidgetText::from(*name).into_galley(
                    ui,
                    Some(egui::TextWrapMode::Extend),
                    f32::INFINITY,
                    egui::TextStyle::Body,
                );
                if ui.available_width() < text.size().x + 16.0 {
                    ui.end_row();
                }
                let (dot, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
                ui.painter().circle_filled(dot.center(), 4.5, *color);
                ui.label(text);
                ui.add_space(4.0);
            }
        });
        Plot::new(id)
            .height(height)
            .width(width)
            // Steps of 1, 2 or 5: with powers of ten alone a short plot
            // often had room for no label but "0".
            .x_grid_spacer(uniform_grid_spacer(|input| nice_steps(&input, 64.0)))
            .y_grid_spacer(uniform_grid_spacer(|input| nice_steps(&input, 24.0)))
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .include_y(0.0)
            .x_axis_label("simulated s")
            .label_formatter(|pos| match pos {
                HoverPosition::NearDataPoint {
                    plot_name,
                    position,
                    ..
                } => Some(format!(
                    "{plot_name}\nt = {}\n{}",
                    seconds(position.x),
                    value(position.y)
                )),
                HoverPosition::Elsewhere { .. } => None,
            })
            .show(ui, |plot| {
                for mark in marks {
                    plot.span(
                        Span::new(mark.label.clone(), mark.from..=mark.to)
                            .fill(colors::WARN.gamma_multiply(0.15))
                            .border_color(colors::WARN),
                    );
                }
                for (name, color, points) in lines {
                    plot.line(
                        Line::new(name, PlotPoints::new(points))
                            .stroke(egui::Stroke::new(2.0, color)),
                    );
                }
            });
    });
}

/// Three grid steps, the finest from the 1, 2, 5 × 10ⁿ ladder and at least
/// `min_points` apart on screen (a label needs 20 points on the y axis and
/// 60 on the x axis), each a multiple of the one before so every mark sits
/// on the finest grid and labels never crowd each other.
fn nice_steps(input: &GridInput, min_points: f64) -> [f64; 3] {
    // `base_step_size` is the value spanned by egui_plot's minimum grid
    // spacing of 8 points.
    let min = input.base_step_size * min_points / 8.0;
    if !(min.is_finite() && min > 0.0) {
        return [1.0, 5.0, 10.0];
    }
    #[expect(clippy::cast_possible_truncation, reason = "a decade exponent")]
    let mut decade = 10_f64.powi(min.log10().floor() as i32);
    loop {
        for (m, next) in [(1.0, 5.0), (2.0, 5.0), (5.0, 2.0)] {
            let fine = m * decade;
            if fine >= min {
                return [fine, fine * next, fine * 10.0];
            }
        }
        decade *= 10.0;
    }
}

/// A chart value for people: three significant digits.
fn value(v: f64) -> String {
    if v.abs() >= 100.0 {
        format!("{v:.0}")
    } else if v.abs() >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.3}")
    }
}

/// A simulated time for people: "850 ms", "12.5 s", "3 m 20 s".
pub fn seconds(s: f64) -> String {
    if s < 1.0 {
        format!("{:.0} ms", s * 1000.0)
    } else if s < 120.0 {
        format!("{s:.1} s")
    } else {
        let m = (s / 60.0).floor();
        format!("{m:.0} m {:.0} s", s - m * 60.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_steps_nest_and_keep_labels_apart() {
        let input = |base: f64| GridInput {
            bounds: (0.0, 60.0),
            base_step_size: base,
        };
        // 52 messages over 95 points: 8 points are 4.4; 24 points, 13.
        assert_eq!(nice_steps(&input(4.4), 24.0), [20.0, 100.0, 200.0]);
        assert_eq!(nice_steps(&input(1.0), 24.0), [5.0, 10.0, 50.0]);
        assert_eq!(nice_steps(&input(1.25), 64.0), [10.0, 50.0, 100.0]);
        assert_eq!(nice_steps(&input(0.0), 24.0), [1.0, 5.0, 10.0]);
        let [fine, mid, coarse] = nice_steps(&input(0.004), 24.0);
        assert!((fine - 0.02).abs() < 1e-12, "{fine}");
        // Each step a whole multiple of the finer one.
        for (a, b) in [(fine, mid), (mid, coarse)] {
            let ratio = b / a;
            assert!((ratio - ratio.round()).abs() < 1e-9, "{a} {b}");
        }
    }

    #[test]
    fn every_metric_has_a_chart() {
        for metric in Metric::ALL {
            assert!(
                GROUPS
                    .iter()
                    .any(|g| g.lines.iter().any(|(m, _)| *m == metric)),
                "{metric:?} is recorded but never drawn"
            );
        }
    }

    #[test]
    fn every_system_metric_has_a_chart() {
        for metric in SystemMetric::ALL {
            assert!(
                SYSTEM_GROUPS
                    .iter()
                    .any(|g| g.lines.iter().any(|(m, _, _)| *m == metric)),
                "{metric:?} is recorded but never drawn"
            );
        }
    }

    #[test]
    fn titles_name_nodes_by_their_names() {
        let name_of = |id: &str| format!("{id} name");
        assert_eq!(ChartSubject::Node("q".into()).title(&name_of), "q name");
        assert_eq!(
            ChartSubject::Edge("a".into(), "b".into()).title(&name_of),
            "link a name → b name"
        );
    }

    #[test]
    fn times_read_in_ms_below_a_second_and_in_s_above() {
        assert_eq!(scale_for(Unit::Time, 0.25), (1000.0, Some("ms")));
        assert_eq!(scale_for(Unit::Time, 65.0), (1.0, Some("s")));
        assert_eq!(scale_for(Unit::Plain, 65.0), (1.0, None));
    }
}
