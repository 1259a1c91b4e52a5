//! The Results panel's table: one row per node, a column per number of
//! the report with its unit in the header, `±` the 95% confidence
//! half-width when there are replications, sorted by a click on a
//! header, and copied as CSV with the report's own numbers.

use std::cmp::Ordering;

use eframe::egui::{self, RichText};
use egui_extras::{Column, TableBuilder};
use sim_core::Report;
use sim_core::insights::InsightKind;
use sim_core::report::NodeReport;

use super::WeirApp;
use super::canvas::CardMark;
use super::live_ui::node_name;
use super::menus::MenuAction;

/// A number column: where its value is in the report and how it reads.
#[derive(Debug)]
struct NumberColumn {
    /// The header, with its unit.
    header: &'static str,
    /// The metric's path in the report (its JSON key).
    path: &'static str,
    /// From the report's unit to the header's.
    scale: f64,
    digits: usize,
    /// What the column counts, on hover.
    hover: &'static str,
}

const fn col(
    header: &'static str,
    path: &'static str,
    scale: f64,
    digits: usize,
    hover: &'static str,
) -> NumberColumn {
    NumberColumn {
        header,
        path,
        scale,
        digits,
        hover,
    }
}

const NUMBERS: &[NumberColumn] = &[
    col(
        "arrived",
        "arrived",
        1.0,
        0,
        "Messages that arrived after the warm-up",
    ),
    col(
        "departed",
        "departed",
        1.0,
        0,
        "Messages that left the node",
    ),
    col("dropped", "dropped", 1.0, 0, "Messages dropped at the node"),
    col(
        "completed",
        "completed",
        1.0,
        0,
        "Messages whose journey ended well here",
    ),
    col(
        "dead-lettered",
        "dead_lettered",
        1.0,
        0,
        "Messages sent to a dead-letter queue",
    ),
    col(
        "throughput (msg/s)",
        "throughput_per_s",
        1.0,
        1,
        "Departures per second measured",
    ),
    col(
        "mean depth (msg)",
        "mean_depth",
        1.0,
        2,
        "Messages waiting, averaged over time",
    ),
    col(
        "max depth (msg)",
        "max_depth",
        1.0,
        0,
        "The most messages waiting at once",
    ),
    col(
        "utilization (%)",
        "utilization",
        100.0,
        1,
        "Busy slots over available slots, averaged over time",
    ),
    col(
        "wait p50 (ms)",
        "wait_s.p50",
        1e3,
        2,
        "Median wait before service",
    ),
    col(
        "wait p99 (ms)",
        "wait_s.p99",
        1e3,
        2,
        "99th percentile of the wait before service",
    ),
    col(
        "sojourn mean (ms)",
        "sojourn_s.mean",
        1e3,
        2,
        "Mean time a message spent at the node",
    ),
    col(
        "end-to-end mean (ms)",
        "end_to_end_s.mean",
        1e3,
        2,
        "Mean time from creation to completion, for messages completed here",
    ),
    col(
        "end-to-end p99 (ms)",
        "end_to_end_s.p99",
        1e3,
        2,
        "99th percentile of the same",
    ),
];

/// Columns before the numbers: the node's name and kind.
const TEXT_COLUMNS: usize = 2;

/// The table's view state: which column it is sorted by. Kept in egui's
/// memory, so the order holds from one report to the next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct ResultsTable {
    /// The column (0 name, 1 kind, then the numbers) and whether the order
    /// is descending; `None`: model order.
    sort: Option<(usize, bool)>,
}

impl ResultsTable {
    /// A click on column `c`'s header: sorted by it, descending first for
    /// numbers (the largest is what one looks for), ascending for text; a
    /// second click reverses the order.
    fn click(&mut self, c: usize) {
        self.sort = match self.sort {
            Some((s, descending)) if s == c => Some((c, !descending)),
            _ => Some((c, c >= TEXT_COLUMNS)),
        };
    }
}

/// One row: a node, its name in the model and its report.
struct Row<'a> {
    name: String,
    node: &'a NodeReport,
}

/// The rows in the table's order.
fn rows<'a>(
    report: &'a Report,
    name_of: &dyn Fn(&str) -> String,
    sort: Option<(usize, bool)>,
) -> Vec<Row<'a>> {
    let mut rows: Vec<Row<'a>> = report
        .nodes
        .iter()
        .map(|node| Row {
            name: name_of(&node.id),
            node,
        })
        .collect();
    if let Some((c, descending)) = sort {
        // NOTE: a stable sort, so equal values keep model order; nodes
        // without the number go last whichever the direction.
        rows.sort_by(|a, b| {
            let order = match c {
                0 => a.name.cmp(&b.name),
                1 => a.node.kind.key().cmp(b.node.kind.key()),
                _ => {
                    let path = NUMBERS[c - TEXT_COLUMNS].path;
                    match (a.node.value(path), b.node.value(path)) {
                        (Some(x), Some(y)) => x.total_cmp(&y),
                        (Some(_), None) => return Ordering::Less,
                        (None, Some(_)) => return Ordering::Greater,
                        (None, None) => Ordering::Equal,
                    }
                }
            };
            if descending { order.reverse() } else { order }
        });
    }
    rows
}

/// A number as the JSON report writes it: whole numbers without a
/// fraction, others as the shortest exact decimal.
fn json_number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 9.0e15 {
        #[expect(
            clippy::cast_possible_truncation,
            reason = "whole and within i64 range"
        )]
        let whole = v as i64;
        whole.to_string()
    } else {
        serde_json::Number::from_f64(v).map_or_else(String::new, |n| n.to_string())
    }
}

/// The table as CSV, in its current order: `node,name,kind`, then each
/// column's metric under its report key (and `<key>.ci95` when there are
/// replications), with the JSON report's numbers; empty where the node
/// has no such number.
pub fn table_csv(
    report: &Report,
    name_of: &dyn Fn(&str) -> String,
    sort: Option<(usize, bool)>,
) -> String {
    let ci = report.replications() > 1;
    let mut header = vec!["node".to_owned(), "name".to_owned(), "kind".to_owned()];
    for c in NUMBERS {
        header.push(c.path.to_owned());
        if ci {
            header.push(format!("{}.ci95", c.path));
        }
    }
    let mut out = header.join(",");
    out.push('\n');
    for row in rows(report, name_of, sort) {
        let mut cells = vec![
            sim_core::export::csv::field(&row.node.id).into_owned(),
            sim_core::export::csv::field(&row.name).into_owned(),
            row.node.kind.key().to_owned(),
        ];
        for c in NUMBERS {
            let metric = row.node.get(c.path);
            cells.push(metric.map(|m| json_number(m.mean)).unwrap_or_default());
            if ci {
                cells.push(
                    metric
                        .and_then(|m| m.ci95)
                        .map(json_number)
                        .unwrap_or_default(),
                );
            }
        }
        out.push_str(&cells.join(","));
        out.push('\n');
    }
    out
}

/// A cell's text: the value in the header's unit, with `± half-width`
/// when the replications give one.
fn cell_text(node: &NodeReport, c: &NumberColumn, ci: bool) -> Option<String> {
    let m = node.get(c.path)?;
    let digits = c.digits;
    let value = format!("{:.digits$}", m.mean * c.scale);
    Some(match m.ci95 {
        Some(h) if ci => format!("{value} ± {:.digits$}", h * c.scale),
        _ => value,
    })
}

/// A small triangle after the sorting column's header: pointing down
/// when the largest come first.
fn sort_mark_ui(ui: &mut egui::Ui, descending: bool) {
    let (rect, _) = ui.allocate_exact_size(egui::vec2(10.0, 10.0), egui::Sense::hover());
    let c = rect.center();
    let (tip, base) = if descending { (4.0, -4.0) } else { (-4.0, 4.0) };
    let points = vec![
        egui::pos2(c.x - 4.0, c.y + base),
        egui::pos2(c.x + 4.0, c.y + base),
        egui::pos2(c.x, c.y + tip),
    ];
    let color = ui.visuals().strong_text_color();
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        color,
        egui::Stroke::NONE,
    ));
}

/// How messages were accounted for, in one line.
fn conservation_line(report: &Report) -> String {
    let c = &report.conservation;
    format!(
        "messages: {} produced = {} completed + {} dropped + {} dead-lettered + {} expired + {} lost + {} in flight",
        c.produced, c.completed, c.dropped, c.dead_lettered, c.expired, c.lost, c.in_flight
    )
}

/// The table with its "Copy as CSV" button; `name_of` gives a node's name
/// in the model from its id.
pub fn results_table_ui(ui: &mut egui::Ui, report: &Report, name_of: &dyn Fn(&str) -> String) {
    if !report.slos.is_empty() {
        egui::ScrollArea::vertical()
            .id_salt("results-objectives")
            .max_height((ui.available_height() * 0.45).max(60.0))
            .show(ui, |ui| super::objectives::verdicts_ui(ui, report));
        ui.separator();
    }
    let memory = egui::Id::unique("results-table-order");
    let mut state: ResultsTable = ui.data(|d| d.get_temp(memory)).unwrap_or_default();
    let ci = report.replications() > 1;
    ui.horizontal(|ui| {
        if ui
            .button("Copy as CSV")
            .on_hover_text("The table as CSV, with the JSON report's numbers, for a spreadsheet")
            .clicked()
        {
            ui.ctx().copy_text(table_csv(report, name_of, state.sort));
        }
        let replications = report.replications();
        let note = if ci {
            format!(
                "{replications} replications; ± is the 95% confidence half-width. Click a header to sort."
            )
        } else {
            format!(
                "{replications} replication{}. Click a header to sort.",
                if replications == 1 { "" } else { "s" }
            )
        };
        ui.label(RichText::new(note).weak());
    });
    ui.label(RichText::new(conservation_line(report)).weak());
    if let Some(alerts) = &report.alerts {
        // The same summary `weir run` prints: rules, faults detected,
        // the first replication's firings.
        egui::CollapsingHeader::new(RichText::new("Alerts").strong())
            .id_salt("results-alerts")
            .default_open(true)
            .show(ui, |ui| {
                let text = alerts.to_table(report.replications());
                ui.label(RichText::new(text.trim_matches('\n')).monospace());
            });
    }
    if let Some(warmup) = &report.warmup {
        let text = format!("Warm-up: {}", warmup.describe());
        if warmup.warning.is_some() {
            ui.colored_label(ui.visuals().warn_fg_color, text);
        } else {
            ui.label(RichText::new(text).weak());
        }
    }
    ui.add_space(2.0);
    // NOTE: beside the table only, so the lines above keep the whole
    // width (and their height) as before.
    insights_ui(ui, report);
    let rows = rows(report, name_of, state.sort);
    let text_height = egui::TextStyle::Body.resolve(ui.style()).size + 6.0;
    let mut clicked = None;
    // NOTE: the table is wider than most windows: it scrolls sideways
    // instead of cutting its last columns off.
    egui::ScrollArea::horizontal()
        .id_salt("results-scroll")
        .show(ui, |ui| {
            TableBuilder::new(ui)
                .id_salt("results-table")
                .striped(true)
                .resizable(true)
                .auto_shrink([false, true])
                .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
                .column(Column::auto().at_least(120.0).clip(true))
                .column(Column::auto().at_least(70.0))
                .columns(Column::auto().at_least(64.0), NUMBERS.len())
                .header(text_height + 4.0, |mut header| {
                    let headers = ["name", "kind"]
                        .into_iter()
                        .map(|h| (h, "Sort by this column"))
                        .chain(NUMBERS.iter().map(|c| (c.header, c.hover)));
                    for (c, (title, hover)) in headers.enumerate() {
                        header.col(|ui| {
                            let button =
                                egui::Button::new(RichText::new(title).strong()).frame(false);
                            if ui.add(button).on_hover_text(hover).clicked() {
                                clicked = Some(c);
                            }
                            if let Some((s, descending)) = state.sort
                                && s == c
                            {
                                sort_mark_ui(ui, descending);
                            }
                        });
                    }
                })
                .body(|mut body| {
                    for row in &rows {
                        body.row(text_height, |mut cells| {
                            cells.col(|ui| {
                                ui.label(&row.name).on_hover_text(&row.node.id);
                            });
                            cells.col(|ui| {
                                ui.label(RichText::new(row.node.kind.key()).weak());
                            });
                            for c in NUMBERS {
                                cells.col(|ui| {
                                    let text = cell_text(row.node, c, ci)
                                        .unwrap_or_else(|| "—".to_owned());
                                    ui.with_layout(
                                        egui::Layout::right_to_left(egui::Align::Center),
                                        |ui| ui.label(RichText::new(text).monospace()),
                                    );
                                });
                            }
                        });
                    }
                });
        });
    if let Some(c) = clicked {
        state.click(c);
        ui.data_mut(|d| d.insert_temp(memory, state));
    }
}

/// The report's insights, ranked, in a column on the right of the
/// panel (nothing when it has none).
fn insights_ui(ui: &mut egui::Ui, report: &Report) {
    let Some(insights) = report.insights.as_deref().filter(|i| !i.is_empty()) else {
        return;
    };
    let width = ui.available_width();
    egui::Panel::right("results-insights")
        .resizable(true)
        .default_size((width * 0.36).max(220.0))
        .min_size(180.0)
        .max_size((width * 0.6).max(180.0))
        .show(ui, |ui| {
            ui.label(RichText::new("Insights").strong())
                .on_hover_text("What the report says, most pressing first");
            egui::ScrollArea::vertical()
                .id_salt("results-insights-list")
                .auto_shrink([false, false])
                .show(ui, |ui| {
                    for (i, insight) in insights.iter().enumerate() {
                        let text = format!("{}. {}", i + 1, insight.sentence);
                        let text = if insight.kind == InsightKind::Bottleneck {
                            RichText::new(text).color(ui.visuals().warn_fg_color)
                        } else {
                            RichText::new(text)
                        };
                        ui.add(egui::Label::new(text).wrap());
                    }
                });
        });
}

/// The card a report marks on the canvas: its bottleneck, if it has one.
pub fn card_mark(report: &Report) -> Option<CardMark> {
    report
        .insights
        .as_deref()?
        .iter()
        .find(|i| i.kind == InsightKind::Bottleneck)
        .map(|i| CardMark {
            node: i.node.clone(),
            tag: format!("bottleneck ρ {:.2}", i.value),
            why: i.sentence.clone(),
        })
}

impl WeirApp {
    /// The Results panel, docked along the bottom: its title and Close,
    /// then the live run's report while one is open and asked for, else
    /// the replications'; an export asked for, applied after drawing.
    pub(super) fn results_panel_ui(&mut self, ui: &mut egui::Ui) -> Option<MenuAction> {
        let live = self.live.session.is_some() && self.live.results_live;
        let mut predict = false;
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            ui.heading("Results");
            ui.label(
                RichText::new(if live {
                    "of the live run"
                } else {
                    "of the scenario's replications"
                })
                .weak(),
            );
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui
                    .button("Close")
                    .on_hover_text("Close the results (Esc)")
                    .clicked()
                {
                    self.show_results = false;
                }
                if !live {
                    predict = ui
                        .button("Predict, then run…")
                        .on_hover_text(
                            "Before the next run, write down what you expect; then see it against the result",
                        )
                        .clicked();
                }
            });
        });
        ui.separator();
        if predict {
            return Some(MenuAction::Predict);
        }
        if live {
            self.live_results_ui(ui).map(MenuAction::ExportLive)
        } else {
            let model = &self.doc.model;
            self.run.results_ui(ui, &|id: &str| node_name(model, id));
            if let super::run::RunState::Done(report, _) = &self.run {
                self.canvas.marked = card_mark(report);
            }
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::model::file;

    fn report(replications: u32) -> Report {
        let text = r#"(
            version: 1,
            name: "chain",
            scenario: (duration: "20s", seed: 3),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                (id: "q", name: "Orders queue", kind: Queue()),
                (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
        )"#;
        let (model, _) = file::from_str(text).expect("loads");
        let runs =
            (0..u64::from(replications)).map(|k| sim_core::run_once(&model, 3 + k).expect("runs"));
        Report::from_runs(3, runs, 0.0)
    }

    fn ids(report: &Report, sort: Option<(usize, bool)>) -> Vec<String> {
        rows(report, &|id: &str| id.to_owned(), sort)
            .iter()
            .map(|r| r.node.id.clone())
            .collect()
    }

    #[test]
    fn sorting_orders_by_value_and_puts_missing_values_last() {
        let report = report(1);
        assert_eq!(ids(&report, None), ["src", "q", "worker"]);
        let mut some_missing = 0;
        for (k, column) in NUMBERS.iter().enumerate() {
            for descending in [true, false] {
                let order = ids(&report, Some((TEXT_COLUMNS + k, descending)));
                let values: Vec<Option<f64>> = order
                    .iter()
                    .map(|id| report.node(id).and_then(|n| n.value(column.path)))
                    .collect();
                let known = values.iter().take_while(|v| v.is_some()).count();
                assert!(
                    values[known..].iter().all(Option::is_none),
                    "{}: nodes without the number go last: {order:?}",
                    column.path
                );
                some_missing += values.len() - known;
                let known: Vec<f64> = values.iter().map_while(|v| *v).collect();
                assert!(
                    known.windows(2).all(|w| if descending {
                        w[0] >= w[1]
                    } else {
                        w[0] <= w[1]
                    }),
                    "{} {}: {known:?}",
                    column.path,
                    if descending {
                        "descending"
                    } else {
                        "ascending"
                    }
                );
            }
        }
        assert!(some_missing > 0, "some node lacks some number");
        assert_eq!(ids(&report, Some((0, false))), ["q", "src", "worker"]);
        assert_eq!(ids(&report, Some((0, true))), ["worker", "src", "q"]);
    }

    #[test]
    fn a_header_click_sorts_and_a_second_reverses() {
        let mut state = ResultsTable::default();
        state.click(3);
        assert_eq!(state.sort, Some((3, true)));
        state.click(3);
        assert_eq!(state.sort, Some((3, false)));
        state.click(0);
        assert_eq!(state.sort, Some((0, false)));
    }

    #[test]
    fn csv_has_the_reports_numbers_and_half_widths() {
        let report = report(3);
        let csv = table_csv(&report, &|id: &str| format!("{id}, named"), None);
        let mut lines = csv.lines();
        let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
        assert_eq!(
            header[..5],
            ["node", "name", "kind", "arrived", "arrived.ci95"]
        );
        let worker = lines
            .find(|l| l.starts_with("worker,"))
            .expect("a row per node");
        assert!(worker.contains("\"worker, named\""), "{worker}");
        let node = report.node("worker").expect("the worker");
        let cells: Vec<&str> = worker.split(',').skip(1).collect();
        // After the quoted name (two fields once split) and the kind.
        let numbers = &cells[3..];
        let at = |key: &str| {
            header[3..]
                .iter()
                .position(|h| *h == key)
                .map(|i| numbers[i])
                .expect("a column")
        };
        let throughput = node.get("throughput_per_s").expect("measured");
        assert_eq!(
            at("throughput_per_s").parse::<f64>().ok(),
            Some(throughput.mean)
        );
        assert_eq!(
            at("throughput_per_s.ci95").parse::<f64>().ok(),
            throughput.ci95
        );
        assert_eq!(
            at("dropped"),
            json_number(node.value("dropped").unwrap_or(0.0))
        );
    }

    #[test]
    fn numbers_read_as_in_the_json_report() {
        assert_eq!(json_number(12.0), "12");
        assert_eq!(json_number(0.1), "0.1");
        assert_eq!(json_number(-3.5), "-3.5");
    }
}
