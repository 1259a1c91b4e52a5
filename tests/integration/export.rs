//! Exports (issue 6): every example to every format, golden files for two
//! examples, and the AsyncAPI round trip. The external validators (the
//! AsyncAPI parser, Graphviz, an HCL parser) run in CI:
//! `.ci/validate-exports.sh`.
//!
//! After an intended change to an exporter (or to the engine, for the
//! report formats), regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test -p weir-tests --test integration export`
//! and review the diff.

use std::path::{Path, PathBuf};

use sim_core::export::{Format, asyncapi, export, export_report};
use sim_core::model::file;
use sim_core::time::Duration;
use sim_core::{Model, Report, run_replications};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
}

/// Every example, by file stem, in name order.
fn examples() -> Vec<(String, Model)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(workspace().join("examples"))
        .expect("examples/ is readable")
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no examples found");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("example is readable");
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("example name")
                .to_owned();
            (stem, weir_tests::model(&text))
        })
        .collect()
}

/// A short run of the model's scenario, so report exports stay quick.
fn short_report(model: &Model) -> Report {
    let mut model = model.clone();
    model.scenario.duration = Duration::from_secs(20);
    model.scenario.warmup = Duration::from_secs(2);
    model.scenario.replications = 1;
    run_replications(&model).expect("the example runs")
}

fn render(model: &Model, format: Format) -> String {
    if format.needs_report() {
        export_report(&short_report(model), format)
    } else {
        export(model, format)
    }
    .unwrap_or_else(|e| panic!("{format} export failed: {e}"))
}

#[test]
fn every_example_exports_to_every_format() {
    for (name, model) in examples() {
        for format in Format::ALL {
            let text = render(&model, format);
            assert!(!text.trim().is_empty(), "{name}: empty {format} export");
            for n in model.graph.node_indices() {
                let id = &model.graph[n].id;
                if format != Format::Mermaid {
                    assert!(
                        text.contains(id.as_str()),
                        "{name}: the {format} export does not mention node '{id}'"
                    );
                }
            }
        }
    }
}

#[test]
fn golden_files_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let examples = examples();
    for stem in ["pubsub-fanout", "retries-dead-letter", "kafka-consumer-lag"] {
        let (_, model) = examples
            .iter()
            .find(|(name, _)| name == stem)
            .expect("the golden examples exist");
        let dir = workspace().join("tests/golden").join(stem);
        for format in Format::ALL {
            let path = dir.join(format!("{stem}.{}", format.extension()));
            let text = render(model, format);
            if update {
                std::fs::create_dir_all(&dir).expect("golden dir");
                std::fs::write(&path, &text).expect("golden file written");
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test -p weir-tests --test integration export",
                    path.display()
                )
            });
            assert!(
                text == want,
                "{stem}: the {format} export differs from {}; if the change is intended, regenerate with UPDATE_GOLDEN=1 and review the diff.\n--- got:\n{text}",
                path.display()
            );
        }
    }
}

#[test]
fn every_example_survives_the_asyncapi_round_trip() {
    for (name, model) in examples() {
        for format in [Format::AsyncApi, Format::AsyncApiJson] {
            let text = export(&model, format).expect("exports");
            let (back, diagnostics) = asyncapi::import(&text)
                .unwrap_or_else(|e| panic!("{name}: its {format} export does not import: {e}"));
            assert!(
                diagnostics.is_empty(),
                "{name}: importing its {format} export warned: {diagnostics:?}"
            );
            assert!(
                model.same_as(&back),
                "{name}: {format} round trip changed the model:\n{}\n--- became:\n{}",
                file::to_string(&model),
                file::to_string(&back)
            );
        }
    }
}

#[test]
fn csv_has_a_row_per_node_and_the_report_numbers() {
    for (name, model) in examples() {
        let report = short_report(&model);
        let text = export_report(&report, Format::Csv).expect("csv");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            model.graph.node_count() + 1,
            "{name}: a header and a row per node:\n{text}"
        );
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(&header[..3], ["node", "kind", "arrived"], "{name}");
        let departed = header
            .iter()
            .position(|h| *h == "departed")
            .expect("a departed column");
        for (row, node) in lines[1..].iter().zip(&report.nodes) {
            let cells: Vec<&str> = row.split(',').collect();
            assert_eq!(cells[0], node.id, "{name}: rows in model order");
            let value: f64 = cells[departed].parse().expect("a number");
            assert_eq!(Some(value), node.value("departed"), "{name}: {}", node.id);
        }
    }
}
