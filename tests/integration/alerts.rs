//! Alerting rules end to end: the examples' rules change no other number
//! of their reports, `weir run` prints the alerts section, `weir export
//! --format prometheus-rules` writes the rules, and the live window lists
//! a firing caused by a crash.

use std::process::Command;

use egui::accesskit::Role;
use egui_kittest::kittest::Queryable;
use weir::gui::WeirApp;

use crate::cli::{weir, workspace};
use crate::harness::{Window, harness, until};

/// Ten orders a second into a queue whose worker (twice as fast as needed)
/// crashes at 60 s for 30 s; 256 s, so rules are evaluated every second.
const CRASH: &str = r#"(
    version: 1,
    name: "crash",
    scenario: (duration: "256s", seed: 1, faults: [
        (at: "60s", duration: "30s", node: "worker", effect: Crash),
    ]),
    nodes: [
        (id: "orders", kind: Producer(arrival: Constant(rate: 10.0))),
        (id: "inbox", kind: Queue()),
        (id: "worker", kind: Consumer(service: Constant("50ms"))),
    ],
    edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
    alerts: [
        (name: "Backlog", on: "inbox", when: Depth(above: 105.0), for: "10s", severity: "page"),
    ],
)"#;

/// The examples that have alert rules (at least two).
fn examples_with_rules() -> Vec<(String, sim_core::Model)> {
    let mut found = Vec::new();
    for entry in std::fs::read_dir(workspace().join("examples")).expect("examples/") {
        let path = entry.expect("an entry").path();
        if path.extension().is_none_or(|e| e != "ron") {
            continue;
        }
        let text = std::fs::read_to_string(&path).expect("readable");
        let model = weir_tests::model(&text);
        if !model.alerts.is_empty() {
            found.push((path.display().to_string(), model));
        }
    }
    found.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(
        found.len() >= 2,
        "at least two examples have alert rules: {found:?}"
    );
    found
}

#[test]
fn the_examples_rules_change_no_other_number_of_their_reports() {
    for (path, model) in examples_with_rules() {
        let mut without = model.clone();
        without.alerts.clear();
        let with = sim_core::run_replications(&model).expect("runs");
        let plain = sim_core::run_replications(&without).expect("runs");
        assert!(plain.alerts.is_none());
        let mut with_json = with.to_json();
        let alerts = with_json
            .as_object_mut()
            .and_then(|o| o.shift_remove("alerts"))
            .expect("an alerts section");
        assert_eq!(
            serde_json::to_string_pretty(&with_json).expect("json"),
            serde_json::to_string_pretty(&plain.to_json()).expect("json"),
            "{path}: the rules changed the report"
        );
        let fired: f64 = alerts["rules"]
            .as_array()
            .expect("rules")
            .iter()
            .filter_map(|r| r["firings"].as_f64())
            .sum();
        assert!(fired > 0.0, "{path}: some rule fires: {alerts:#}");
    }
}

#[test]
fn weir_run_prints_the_alerts_and_exports_the_rules() {
    let dir = std::env::temp_dir().join(format!("weir-alerts-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let model = dir.join("crash.ron");
    std::fs::write(&model, CRASH).expect("written");
    let out = Command::new(weir())
        .args(["run", model.to_str().expect("UTF-8 path")])
        .output()
        .expect("weir runs");
    assert!(out.status.success(), "{out:?}");
    let table = String::from_utf8(out.stdout).expect("UTF-8");
    for words in [
        "alerts (evaluated every 1 s):",
        "Backlog  inbox  depth > 105  10s",
        "crash of 'worker' at 1m for 30s: detected in 1/1 after 21.0 s (by Backlog)",
        "Backlog on 'inbox': fired 81s, resolved 110s",
    ] {
        assert!(table.contains(words), "missing {words:?} in\n{table}");
    }
    let rules = dir.join("crash.rules.yml");
    let out = Command::new(weir())
        .args([
            "export",
            model.to_str().expect("UTF-8 path"),
            "--format",
            "prometheus-rules",
            "-o",
            rules.to_str().expect("UTF-8 path"),
        ])
        .output()
        .expect("weir runs");
    assert!(out.status.success(), "{out:?}");
    let text = std::fs::read_to_string(&rules).expect("the rules file");
    for line in [
        "    interval: 1s # the model's evaluation interval (1s)",
        "      - alert: \"Backlog\"",
        "        expr: \"aws_sqs_approximate_number_of_messages_visible_average{queue_name=\\\"inbox\\\"} > 105\"",
        "        for: 10s",
        "          severity: \"page\"",
        "          node: \"inbox\"",
    ] {
        assert!(
            text.lines().any(|l| l == line),
            "missing {line:?} in\n{text}"
        );
    }
    // promtool, where it is installed (CI installs it and checks every
    // example's rules in .ci/validate-exports.sh).
    if let Ok(check) = Command::new("promtool")
        .args(["check", "rules", rules.to_str().expect("UTF-8 path")])
        .output()
    {
        assert!(check.status.success(), "promtool: {check:?}");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn the_live_window_lists_a_firing_caused_by_a_crash() {
    let mut h = harness(
        WeirApp::from_model(weir_tests::model(CRASH), None),
        Window::default(),
    );
    h.run();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    h.step();
    h.step();
    until(&mut h, "the live run", |h| {
        h.query_by_role_and_label(Role::Button, "Run to end")
            .is_some()
    });
    h.get_by_role_and_label(Role::Button, "Run to end").click();
    until(&mut h, "the crash's alert to resolve", |h| {
        h.query_by_label("resolved").is_some()
    });
    assert!(
        h.query_by_label_contains("Alerts — 0 firing, 1 fired so far")
            .is_some(),
        "the list's heading counts the firing"
    );
    assert!(h.query_by_label("Backlog").is_some(), "the rule's row");
    // Fired at 81 s, resolved at 110 s (see sim-core's alerts tests).
    assert!(h.query_by_label("81.0 s").is_some(), "fired at");
    assert!(h.query_by_label("110.0 s").is_some(), "resolved at");
}

/// The section of `doc` under `heading`, to the next heading of its level
/// or above.
fn section(doc: &str, heading: &str) -> String {
    let level = heading.split(' ').next().unwrap_or("##").len();
    let mut lines = doc.lines().skip_while(|l| *l != heading);
    let Some(first) = lines.next() else {
        panic!("no {heading:?} section");
    };
    let mut out = vec![first];
    for line in lines {
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if hashes > 0 && hashes <= level && line.chars().nth(hashes) == Some(' ') {
            break;
        }
        out.push(line);
    }
    out.join("\n")
}

/// Every key of a JSON value, nested ones too.
fn keys(value: &serde_json::Value, out: &mut std::collections::BTreeSet<String>) {
    match value {
        serde_json::Value::Object(obj) => {
            for (k, v) in obj {
                out.insert(k.clone());
                keys(v, out);
            }
        }
        serde_json::Value::Array(items) => items.iter().for_each(|v| keys(v, out)),
        _ => {}
    }
}

#[test]
fn the_docs_name_every_alerts_field_and_condition() {
    let read =
        |name: &str| std::fs::read_to_string(workspace().join("docs").join(name)).expect("the doc");
    let mut model = weir_tests::model(CRASH);
    model.scenario.replications = 2;
    let report = sim_core::run_replications(&model).expect("runs");
    let mut found = std::collections::BTreeSet::new();
    keys(&report.to_json()["alerts"], &mut found);
    assert!(
        found.contains("ci95") && found.contains("by_rule"),
        "{found:?}"
    );
    let report_doc = section(&read("report.md"), "## Alerts");
    for key in &found {
        assert!(
            report_doc.contains(&format!("`{key}`")),
            "docs/report.md's Alerts section does not name `{key}`"
        );
    }
    let format_doc = section(&read("model-format.md"), "## Alerts");
    for name in sim_core::alerts::Condition::NAMES {
        assert!(
            format_doc.contains(&format!("`{name}(")),
            "docs/model-format.md's Alerts section does not name {name}"
        );
    }
    for field in ["name", "on", "when", "for", "severity", "summary"] {
        assert!(
            format_doc.contains(&format!("| `{field}` |")),
            "docs/model-format.md's Alerts section does not name the field `{field}`"
        );
    }
}
