//! Mermaid flowcharts in: every gallery example exported to Mermaid reads
//! back with the same nodes (names, kinds) and links; sketches written by
//! hand read as models that validation accepts and that run; and
//! `weir import FLOW.mmd` on the command line.

use std::process::Command;

use sim_core::export::mermaid::{from_mermaid, to_mermaid};
use sim_core::model::file;
use sim_core::nodes::Kind;
use sim_core::time::Duration;
use sim_core::{Model, run_once};
use weir_tests::model;

use crate::cli::{weir, workspace};

/// Nodes as (name, kind) in model order, and links by their ends' names.
type Shape = (Vec<(String, Kind)>, Vec<(String, String)>);

fn shape(m: &Model) -> Shape {
    let nodes = m
        .graph
        .node_indices()
        .map(|n| (m.graph[n].label().to_owned(), m.graph[n].kind.kind()))
        .collect();
    let links = m
        .graph
        .edge_indices()
        .filter_map(|e| {
            let (a, b) = m.graph.edge_endpoints(e)?;
            Some((m.graph[a].label().to_owned(), m.graph[b].label().to_owned()))
        })
        .collect();
    (nodes, links)
}

#[test]
fn every_example_reads_back_from_its_mermaid_export() {
    let mut seen = 0;
    let mut entries: Vec<_> = std::fs::read_dir(workspace().join("examples"))
        .expect("examples")
        .filter_map(Result::ok)
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "ron"))
        .collect();
    entries.sort();
    for path in entries {
        let original = model(&std::fs::read_to_string(&path).expect("readable"));
        let text = to_mermaid(&original);
        let (back, warnings) =
            from_mermaid(&text).unwrap_or_else(|e| panic!("{}: {e}\n{text}", path.display()));
        assert!(warnings.is_empty(), "{}: {warnings:?}", path.display());
        assert_eq!(shape(&back), shape(&original), "{}\n{text}", path.display());
        assert_eq!(back.name, original.name);
        // Link latencies come back from their labels.
        let latencies = |m: &Model| -> Vec<Option<Duration>> {
            m.graph.edge_indices().map(|e| m.graph[e].latency).collect()
        };
        assert_eq!(latencies(&back), latencies(&original), "{}", path.display());
        // The import is a model of its own: it saves and loads.
        let saved = file::to_string(&back);
        let (again, _) = file::from_str(&saved).expect("the imported model loads");
        assert!(again.same_as(&back), "{}", path.display());
        seen += 1;
    }
    assert!(seen >= 10, "only {seen} examples");
}

/// Sketches as people write them on wiki pages.
const SKETCHES: [&str; 4] = [
    "flowchart LR\n    A[Checkout] --> B[(Orders queue)] --> C[Payment worker] --> D[(Orders DB)]\n    C -.-> E[Failed payments DLQ]\n",
    "graph TD\n  clicks([Click stream source]) -->|+2ms| bus{{Events topic}}\n  bus --> billing[Billing] & audit[Audit]\n  billing ==> ledger[(Ledger DB)]\n  audit --- archive[/Archive/]\n",
    "---\ntitle: Orders\n---\n%% a sketch with subgraphs\nflowchart TB\n  subgraph ingest [Ingest]\n    api[Order API] --> k>Orders log]\n  end\n  subgraph process [Processing]\n    direction LR\n    k --> enrich[Enrich] --> out[(Warehouse)]\n  end\n  classDef hot fill:#f96\n  class enrich hot\n",
    "flowchart LR\n  users((Users)) -- orders --> r{Router}\n  r --> fast[(Fast queue)] --> w1[Worker 1]\n  r --> slow[(Slow queue)] --> w2[Worker 2]\n  w1 & w2 --> done[/Done/]\n",
];

#[test]
fn sketches_read_as_models_that_validate_and_run() {
    for sketch in SKETCHES {
        let (mut m, warnings) = from_mermaid(sketch).unwrap_or_else(|e| panic!("{e}\n{sketch}"));
        assert!(warnings.is_empty(), "{warnings:?}\n{sketch}");
        let errors: Vec<String> = sim_core::validate::validate(&m)
            .iter()
            .filter(|d| d.is_error())
            .map(ToString::to_string)
            .collect();
        assert!(
            errors.is_empty(),
            "{errors:?}\n{sketch}\n{}",
            file::to_string(&m)
        );
        m.scenario.duration = Duration::from_secs(30);
        let run = run_once(&m, 1).unwrap_or_else(|e| panic!("{e}\n{sketch}"));
        let c = &run.conservation;
        assert!(c.produced > 100, "events flow: {c:?}\n{sketch}");
        assert!(c.completed > 0, "events complete: {c:?}\n{sketch}");
    }
    let (m, _) = from_mermaid(SKETCHES[2]).expect("reads");
    assert_eq!(m.name, "Orders");
    let (nodes, _) = shape(&m);
    let kinds: Vec<Kind> = nodes.into_iter().map(|(_, k)| k).collect();
    assert_eq!(
        kinds,
        [Kind::Producer, Kind::Log, Kind::Consumer, Kind::Sink],
        "words, shapes and places: {m:?}"
    );
}

fn weir_run(args: &[&str]) -> (Option<i32>, String, String) {
    let out = Command::new(weir())
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("weir starts");
    (
        out.status.code(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
fn cli_imports_a_flowchart_by_extension_or_content() {
    let dir = std::env::temp_dir().join(format!("weir-mermaid-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let mmd = dir.join("flow.mmd");
    let txt = dir.join("flow.txt");
    std::fs::write(&mmd, SKETCHES[0]).expect("written");
    std::fs::write(&txt, SKETCHES[1]).expect("written");
    for input in [&mmd, &txt] {
        let out = dir.join("model.ron").display().to_string();
        let (code, _, err) = weir_run(&["import", &input.display().to_string(), "-o", &out]);
        assert_eq!(code, Some(0), "{err}");
        let (code, stdout, err) = weir_run(&["check", &out]);
        assert_eq!(code, Some(0), "{stdout}{err}");
        let (code, _, err) = weir_run(&["run", &out, "--duration", "10s", "--warmup", "0s"]);
        assert_eq!(code, Some(0), "{err}");
    }
    // A broken flowchart names its line.
    let bad = dir.join("bad.mmd");
    std::fs::write(&bad, "flowchart LR\n  A[open --> B\n").expect("written");
    let (code, _, err) = weir_run(&["import", &bad.display().to_string()]);
    assert_eq!(code, Some(2));
    assert!(
        err.contains("bad.mmd: line 2: the shape opened with `[`"),
        "{err}"
    );
    // A `.yaml` file is still read as AsyncAPI, whatever it starts with.
    let yaml = dir.join("flow.yaml");
    std::fs::write(&yaml, SKETCHES[0]).expect("written");
    let (code, _, err) = weir_run(&["import", &yaml.display().to_string()]);
    assert_eq!(code, Some(2), "{err}");
    assert!(!err.contains("line 2: the shape"), "{err}");
    let _ = std::fs::remove_dir_all(&dir);
}
