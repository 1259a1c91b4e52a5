//! The Results panel through the real app: docked along the bottom under
//! the toolbar (which stays usable), a table sorted by a click on a
//! header, copied as CSV with the report's own numbers, closed with its
//! button or Escape; the live run's report uses the same table.

use eframe::egui::{self, Key, Modifiers};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use weir::gui::WeirApp;

use crate::harness::{Window, harness, until};

/// Three nodes with names of their own, three short replications.
const MODEL: &str = r#"(
    version: 1,
    name: "results",
    scenario: (duration: "30s", warmup: "5s", seed: 9, replications: 3),
    nodes: [
        (id: "src", name: "Web shop", kind: Producer(arrival: Poisson(rate: 80.0))),
        (id: "q", name: "Orders queue", kind: Queue(capacity: 50)),
        (id: "worker", name: "Billing", kind: Consumer(instances: 2, service: Exponential(mean: "20ms"))),
        (id: "out", name: "Ledger", kind: Sink()),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "out")],
)"#;

const NAMES: [(&str, &str); 4] = [
    ("src", "Web shop"),
    ("q", "Orders queue"),
    ("worker", "Billing"),
    ("out", "Ledger"),
];

/// The app after Run (Ctrl+R), once its table is shown.
fn results_app() -> Harness<'static, WeirApp> {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window::default(),
    );
    h.run();
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the replications' table", |h| {
        h.query_by_label("Copy as CSV").is_some()
    });
    h.run();
    h
}

/// The nodes' names in the table, top to bottom.
fn table_order(h: &Harness<'_, WeirApp>) -> Vec<&'static str> {
    let top = h.get_by_label("Copy as CSV").rect().bottom();
    let mut rows: Vec<(f32, &'static str)> = NAMES
        .iter()
        .map(|&(_, name)| {
            let y = h
                .get_all_by_label(name)
                .map(|n| n.rect().center().y)
                .find(|&y| y > top)
                .unwrap_or_else(|| panic!("{name} has a row"));
            (y, name)
        })
        .collect();
    rows.sort_by(|a, b| a.0.total_cmp(&b.0));
    rows.into_iter().map(|(_, name)| name).collect()
}

#[test]
fn the_table_is_docked_under_the_toolbar_and_closes() {
    let mut h = results_app();
    let heading = h.get_by_label("Results").rect();
    let canvas = h.state().canvas_rect();
    assert!(
        heading.top() >= canvas.bottom() - 1.0,
        "docked along the bottom, under the canvas: {heading:?}, canvas {canvas:?}"
    );
    let panel_height = h.ctx.content_rect().bottom() - heading.top();
    assert!(
        (150.0..=420.0).contains(&panel_height),
        "about 250 points tall: {panel_height}"
    );
    for header in [
        "throughput (msg/s)",
        "utilization (%)",
        "wait p99 (ms)",
        "end-to-end p99 (ms)",
    ] {
        assert!(
            h.query_by_label(header).is_some(),
            "a header with its unit: {header}"
        );
    }
    assert!(
        h.query_all_by_label_contains(" ± ").next().is_some(),
        "confidence half-widths from the replications"
    );
    // The toolbar stays usable while Results is open.
    let arrange = h.get_by_role_and_label(Role::Button, "Arrange");
    assert!(!arrange.rect().intersects(heading));
    arrange.click();
    h.run();
    assert!(h.state().can_undo(), "Arrange took effect");
    assert!(
        h.query_by_label("Copy as CSV").is_some(),
        "Results stays open"
    );

    h.key_press(Key::Escape);
    h.run();
    assert!(
        h.query_by_label("Copy as CSV").is_none(),
        "Escape closes it"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the table again", |h| {
        h.query_by_label("Copy as CSV").is_some()
    });
    // The panel settles to the table's size before the click.
    h.run();
    h.get_by_role_and_label(Role::Button, "Close").click();
    h.run();
    assert!(h.query_by_label("Copy as CSV").is_none(), "Close closes it");
}

#[test]
fn a_click_on_a_header_sorts_and_a_second_reverses() {
    let mut h = results_app();
    assert_eq!(
        table_order(&h),
        ["Web shop", "Orders queue", "Billing", "Ledger"],
        "model order at first"
    );
    h.get_by_label("name").click();
    h.run();
    assert_eq!(
        table_order(&h),
        ["Billing", "Ledger", "Orders queue", "Web shop"]
    );
    h.get_by_label("name").click();
    h.run();
    assert_eq!(
        table_order(&h),
        ["Web shop", "Orders queue", "Ledger", "Billing"],
        "a second click reverses"
    );
    // By a number: the largest first, then the smallest; nodes without
    // it last.
    h.get_by_label("departed").click();
    h.run();
    h.get_by_label("departed").click();
    h.run();
    let report =
        weir::runner::run_all(&weir_tests::model(MODEL), |_, _| {}).expect("the model runs");
    let mut expected: Vec<(Option<f64>, &str)> = NAMES
        .iter()
        .map(|&(id, name)| (report.node(id).and_then(|n| n.value("departed")), name))
        .collect();
    expected.sort_by(|a, b| match (a.0, b.0) {
        (Some(x), Some(y)) => x.total_cmp(&y),
        (Some(_), None) => std::cmp::Ordering::Less,
        (None, Some(_)) => std::cmp::Ordering::Greater,
        (None, None) => std::cmp::Ordering::Equal,
    });
    let expected: Vec<&str> = expected.into_iter().map(|(_, name)| name).collect();
    assert_ne!(
        expected,
        ["Web shop", "Orders queue", "Billing", "Ledger"],
        "the numbers reorder the rows"
    );
    assert_eq!(table_order(&h), expected);
}

#[test]
fn copy_as_csv_gives_the_reports_numbers() {
    let mut h = results_app();
    h.get_by_role_and_label(Role::Button, "Copy as CSV").click();
    h.step();
    let csv = h
        .output()
        .platform_output
        .commands
        .iter()
        .find_map(|c| match c {
            egui::OutputCommand::CopyText(text) => Some(text.clone()),
            _ => None,
        })
        .expect("the table goes to the clipboard");
    // The same report, computed apart: replications are deterministic.
    let model = weir_tests::model(MODEL);
    let report = weir::runner::run_all(&model, |_, _| {}).expect("the model runs");
    let json = report.to_json();
    let mut lines = csv.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    assert_eq!(header[..3], ["node", "name", "kind"]);
    let mut checked = 0;
    let mut ids = Vec::new();
    for line in lines {
        let cells: Vec<&str> = line.split(',').collect();
        assert_eq!(cells.len(), header.len(), "{line}");
        let node = &json["nodes"][cells[0]];
        assert_eq!(node["kind"].as_str(), Some(cells[2]));
        ids.push(cells[0]);
        for (key, cell) in header[3..].iter().zip(&cells[3..]) {
            let (path, ci) = match key.strip_suffix(".ci95") {
                Some(path) => (path, true),
                None => (*key, false),
            };
            let mut value = if ci { &node["ci95"] } else { node };
            for part in path.split('.') {
                value = &value[part];
            }
            if value.is_null() {
                assert_eq!(*cell, "", "{} {key}: the report has no value", cells[0]);
            } else {
                // The JSON report's text of the number, exactly.
                assert_eq!(*cell, value.to_string(), "{} {key}", cells[0]);
                checked += 1;
            }
        }
    }
    assert_eq!(ids, ["src", "q", "worker", "out"], "a row per node");
    assert!(checked > 30, "{checked} numbers compared");
}

#[test]
fn the_live_report_uses_the_same_table() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(MODEL), None),
        Window::default(),
    );
    h.run();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    until(&mut h, "the run to move", |h| {
        h.state()
            .live()
            .is_some_and(|l| l.frame().snapshot.now.as_nanos() > 1_000_000_000)
    });
    h.get_by_role_and_label(Role::Button, "Results").click();
    until(&mut h, "the live report", |h| {
        h.query_by_label("Copy as CSV").is_some()
    });
    assert!(h.query_by_label("throughput (msg/s)").is_some());
    assert!(h.query_by_label("Export JSON…").is_some());
    let heading = h.get_by_label("of the live run").rect();
    assert!(
        heading.top() >= h.state().canvas_rect().bottom() - 1.0,
        "docked"
    );
    h.get_by_role_and_label(Role::Button, "Pause").click();
    h.step();
}
