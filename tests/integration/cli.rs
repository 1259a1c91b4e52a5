//! The `weir` binary, run for real: `check` and `run` exit statuses, what
//! they print on stdout and stderr, and the JSON report's contract
//! (`DESIGN.md`, "The headless contract").
//!
//! The binary belongs to another package, so Cargo does not hand this
//! crate `CARGO_BIN_EXE_weir`; it is found next to this test executable
//! (`target/<profile>/weir`) after `cargo build -p weir` brings it up to
//! date.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

use serde_json::Value;

/// The workspace root: commands run there, so paths in messages are the
/// relative ones passed on the command line.
pub(crate) fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
}

/// The `weir` binary, built once per test run.
///
/// NOTE: `cargo test -p weir-tests` does not rebuild another package's
/// binary, so a `weir` left over from an earlier build would be tested
/// against today's expectations. `cargo build` is quick when nothing
/// changed, so it always runs.
pub(crate) fn weir() -> &'static Path {
    static WEIR: OnceLock<PathBuf> = OnceLock::new();
    WEIR.get_or_init(|| {
        let exe = std::env::current_exe().expect("the test executable's path");
        // target/<profile>/deps/integration-<hash> → target/<profile>
        let profile_dir = exe
            .parent()
            .and_then(Path::parent)
            .expect("the test executable is in target/<profile>/deps");
        let release = profile_dir.file_name().is_some_and(|n| n == "release");
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut build = Command::new(cargo);
        build.current_dir(workspace()).args(["build", "-p", "weir"]);
        if release {
            build.arg("--release");
        }
        let out = build.output().expect("cargo runs");
        assert!(
            out.status.success(),
            "cargo build -p weir failed:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let weir = profile_dir.join(format!("weir{}", std::env::consts::EXE_SUFFIX));
        assert!(weir.is_file(), "no binary at {}", weir.display());
        weir
    })
}

/// What one run of `weir` did.
#[derive(Debug)]
struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

impl Run {
    /// Panics, showing the output, unless the exit status is `code`.
    fn expect_code(&self, code: i32, why: &str) -> &Self {
        assert_eq!(self.code, Some(code), "{why}\n{self:#?}");
        self
    }
}

fn weir_with(args: &[&str]) -> Run {
    let Output {
        status,
        stdout,
        stderr,
    } = Command::new(weir())
        .current_dir(workspace())
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot start weir {args:?}: {e}"));
    Run {
        code: status.code(),
        stdout: String::from_utf8(stdout).expect("stdout is UTF-8"),
        stderr: String::from_utf8(stderr).expect("stderr is UTF-8"),
    }
}

/// Every example, as a path relative to the workspace root.
fn examples() -> Vec<String> {
    let mut found: Vec<String> = std::fs::read_dir(workspace().join("examples"))
        .expect("examples/ is readable")
        .filter_map(|entry| {
            let name = entry.ok()?.file_name().into_string().ok()?;
            name.ends_with(".ron").then(|| format!("examples/{name}"))
        })
        .collect();
    found.sort();
    assert!(found.len() >= 5, "examples missing: {found:?}");
    found
}

/// A run short enough for tests: no warm-up in the file, a few seconds of
/// wall time at most.
const MODEL: &str = "examples/backpressure.ron";

fn json_report(args: &[&str]) -> (Value, String) {
    let run = weir_with(args);
    run.expect_code(0, "a run with --json - succeeds");
    let report: Value = serde_json::from_str(&run.stdout)
        .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{}", run.stdout));
    (report, run.stdout)
}

fn u64_at(value: &Value, key: &str) -> u64 {
    value
        .get(key)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("`{key}` is not a whole number in {value}"))
}

#[test]
fn check_accepts_every_example() {
    for example in examples() {
        let run = weir_with(&["check", &example]);
        run.expect_code(0, "an example checks clean");
        assert!(
            run.stdout.starts_with(&format!("{example}: ok (")),
            "{run:#?}"
        );
        assert!(
            !run.stderr.contains("error"),
            "an example has errors: {run:#?}"
        );
    }
}

#[test]
fn check_reports_a_validation_error_at_the_node() {
    let file = "tests/corpus/negative-rate.ron";
    let run = weir_with(&["check", file]);
    run.expect_code(1, "a model with errors exits 1");
    // `id: "orders"` is on line 7, its quote at column 14.
    let expected =
        format!("{file}:7:14: error: node 'orders': the rate must be a number greater than zero");
    assert!(
        run.stderr.lines().any(|l| l.starts_with(&expected)),
        "expected a line starting `{expected}`:\n{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains(&format!("{file}: 1 error(s), 0 warning(s)")),
        "{run:#?}"
    );
    assert!(
        !run.stdout.contains("ok"),
        "nothing claims success: {run:#?}"
    );
}

#[test]
fn check_reports_each_validation_corpus_file() {
    // (file, line:col of the node's id, node id, words)
    let cases = [
        (
            "zero-capacity",
            "8:14",
            "inbox",
            "capacity must be at least 1",
        ),
        ("duplicate-id", "9:14", "worker", "2 nodes share this id"),
        ("cycle-no-exit", "9:14", "inbox", "can never leave it"),
        ("consumer-no-input", "11:14", "auditor", "has no input"),
    ];
    for (name, place, id, words) in cases {
        let file = format!("tests/corpus/{name}.ron");
        let run = weir_with(&["check", &file]);
        run.expect_code(1, "a model with errors exits 1");
        let expected = format!("{file}:{place}: error: node '{id}': ");
        assert!(
            run.stderr
                .lines()
                .any(|l| l.starts_with(&expected) && l.contains(words)),
            "expected a line starting `{expected}` saying `{words}`:\n{}",
            run.stderr
        );
    }
}

/// An edge's diagnostic points at the line of that edge.
#[test]
fn check_reports_an_edge_error_on_the_edges_line() {
    let file = "tests/corpus/queue-to-producer.ron";
    let run = weir_with(&["check", file]);
    run.expect_code(1, "a model with errors exits 1");
    // The offending `(from: "inbox", to: "orders")` is line 16; line 14
    // holds the healthy `(from: "inbox", to: "worker")`.
    let expected = format!("{file}:16");
    assert!(
        run.stderr.lines().any(|l| l.starts_with(&expected)
            && l.contains("error: edge 'inbox->orders': cannot connect a queue to a producer")),
        "expected a line starting `{expected}` about edge 'inbox->orders':\n{}",
        run.stderr
    );
}

#[test]
fn check_reports_a_dangling_edge() {
    let file = "tests/corpus/edge-to-missing-node.ron";
    let run = weir_with(&["check", file]);
    run.expect_code(1, "an edge to a missing node is an error");
    assert!(
        run.stderr.lines().any(|l| l.starts_with(file)
            && l.contains(
                "error: edge 'worker->audit': the edge refers to 'audit', which does not exist"
            )),
        "{run:#?}"
    );
    // `run` refuses it too, although the loaded model (without the edge)
    // would run.
    let run = weir_with(&["run", file, "--duration", "1s"]);
    run.expect_code(1, "a model with errors is not run");
    assert!(
        run.stderr.contains("the model has errors and was not run"),
        "{run:#?}"
    );
    assert!(run.stdout.is_empty(), "nothing ran: {run:#?}");
}

#[test]
fn a_syntax_error_names_file_line_and_column() {
    let cases = [
        (
            "syntax-missing-paren",
            "line 8, column 9",
            "Expected identifier",
        ),
        (
            "unknown-field",
            "line 8, column 35",
            "unknown field `capacty`",
        ),
        ("duration-no-unit", "line 9, column", "\"15\" has no unit"),
        ("version-too-new", "", "newer Weir"),
    ];
    for (name, place, words) in cases {
        let file = format!("tests/corpus/{name}.ron");
        for command in ["check", "run"] {
            let run = weir_with(&[command, &file]);
            assert!(
                matches!(run.code, Some(c) if c != 0),
                "weir {command} {file} must fail: {run:#?}"
            );
            let first = run.stderr.lines().next().unwrap_or_default();
            assert!(
                first.contains(&format!("{file}: {place}")) && first.contains(words),
                "weir {command} {file}: expected `{file}: {place}…{words}` in:\n{}",
                run.stderr
            );
            assert!(run.stdout.is_empty(), "nothing on stdout: {run:#?}");
        }
    }
}

#[test]
fn a_binary_file_is_refused_with_its_name() {
    let file = "tests/corpus/garbage.ron";
    let run = weir_with(&["check", file]);
    assert!(matches!(run.code, Some(c) if c != 0), "{run:#?}");
    assert!(
        run.stderr.contains(file) && run.stderr.contains("UTF-8"),
        "{run:#?}"
    );
}

#[test]
fn run_json_report_holds_the_contract() {
    let (report, _) = json_report(&["run", MODEL, "--duration", "30s", "--json", "-"]);
    assert_eq!(report["model"], "Backpressure chain", "{report:#}");
    // The scenario's seed, since none was given.
    assert_eq!(report["seed"], 11, "{report:#}");
    assert_eq!(report["sim_time_s"].as_f64(), Some(30.0), "{report:#}");
    assert!(u64_at(&report, "events") > 0, "{report:#}");
    assert!(
        report["wall_s"].as_f64().is_some_and(|w| w >= 0.0),
        "{report:#}"
    );

    let c = &report["conservation"];
    let produced = u64_at(c, "produced");
    let parts = [
        "completed",
        "dropped",
        "dead_lettered",
        "expired",
        "in_flight",
    ];
    let sum: u64 = parts.iter().map(|k| u64_at(c, k)).sum();
    assert_eq!(produced, sum, "conservation does not add up: {c:#}");
    // About 100/s get through the slow writer for 30 s.
    assert!(
        (2_000..4_000).contains(&u64_at(c, "completed")),
        "completed: {c:#}"
    );

    let nodes = report["nodes"].as_object().expect("nodes is an object");
    let kinds: Vec<(&str, &str)> = nodes
        .iter()
        .map(|(id, node)| (id.as_str(), node["kind"].as_str().unwrap_or("?")))
        .collect();
    assert_eq!(
        kinds,
        [
            ("sensors", "producer"),
            ("ingest-q", "queue"),
            ("transform", "consumer"),
            ("write-q", "queue"),
            ("db-writer", "consumer"),
        ],
        "nodes keyed by id, in model order, with their kinds"
    );
    assert!(
        nodes.values().all(|n| n.get("ci95").is_none()),
        "one replication has no confidence intervals"
    );
    assert!(
        nodes["ingest-q"]["wait_s"]["p99"].is_number(),
        "latencies nest: {:#}",
        nodes["ingest-q"]
    );
}

#[test]
fn run_with_replications_gives_confidence_intervals() {
    let (report, _) = json_report(&[
        "run",
        MODEL,
        "--duration",
        "20s",
        "--replications",
        "3",
        "--json",
        "-",
    ]);
    assert_eq!(report["replications"], 3, "{report:#}");
    let nodes = report["nodes"].as_object().expect("nodes is an object");
    for (id, node) in nodes {
        let ci = node["ci95"]
            .as_object()
            .unwrap_or_else(|| panic!("node '{id}' has no ci95 object: {node:#}"));
        assert!(ci.contains_key("throughput_per_s"), "'{id}': {ci:?}");
        assert!(
            ci.values().all(|h| h.is_number() || h.is_object()),
            "'{id}': {ci:?}"
        );
    }
    let c = &report["conservation"];
    let sum: u64 = [
        "completed",
        "dropped",
        "dead_lettered",
        "expired",
        "in_flight",
    ]
    .iter()
    .map(|k| u64_at(c, k))
    .sum();
    assert_eq!(u64_at(c, "produced"), sum, "{c:#}");
}

/// Same model, same seed: the same report byte for byte, wall-clock time
/// aside; another seed: another report.
#[test]
fn runs_are_deterministic_and_seeded() {
    let args = ["run", MODEL, "--duration", "20s", "--json", "-"];
    let without_wall = |text: &str| {
        let kept: Vec<&str> = text
            .lines()
            .filter(|l| !l.trim_start().starts_with("\"wall_s\":"))
            .collect();
        assert_eq!(
            kept.len() + 1,
            text.lines().count(),
            "exactly one wall_s line:\n{text}"
        );
        kept.join("\n")
    };
    let (_, first) = json_report(&args);
    let (_, second) = json_report(&args);
    assert_eq!(without_wall(&first), without_wall(&second));

    let (other, third) = json_report(&[
        "run",
        MODEL,
        "--duration",
        "20s",
        "--seed",
        "12345",
        "--json",
        "-",
    ]);
    assert_eq!(other["seed"], 12345, "{other:#}");
    assert_ne!(
        without_wall(&first).replace("\"seed\": 11", ""),
        without_wall(&third).replace("\"seed\": 12345", ""),
        "another seed must change more than the seed field"
    );
}

#[test]
fn run_prints_a_table_with_the_conservation_line() {
    let run = weir_with(&["run", MODEL, "--duration", "10s"]);
    run.expect_code(0, "the example runs");
    let messages = run
        .stdout
        .lines()
        .find(|l| l.starts_with("messages:"))
        .unwrap_or_else(|| panic!("no `messages:` line:\n{}", run.stdout));
    // messages: P produced = C completed + D dropped + L dead-lettered + E expired + X lost + F in flight
    let numbers: Vec<u64> = messages
        .split_whitespace()
        .filter_map(|w| w.parse().ok())
        .collect();
    let [produced, rest @ ..] = numbers.as_slice() else {
        panic!("no numbers in `{messages}`");
    };
    assert_eq!(rest.len(), 6, "`{messages}`");
    assert_eq!(*produced, rest.iter().sum::<u64>(), "`{messages}`");
    assert!(!messages.contains("DOES NOT ADD UP"), "`{messages}`");
    for id in ["sensors", "ingest-q", "transform", "write-q", "db-writer"] {
        assert!(
            run.stdout.lines().any(|l| l.starts_with(id)),
            "no row for '{id}':\n{}",
            run.stdout
        );
    }
}

#[test]
fn run_of_a_missing_file_names_it() {
    let file = "examples/no-such-model.ron";
    let run = weir_with(&["run", file]);
    assert!(matches!(run.code, Some(c) if c != 0), "{run:#?}");
    assert!(
        run.stderr.contains(&format!("cannot read {file}")),
        "{run:#?}"
    );
}

#[test]
fn a_duration_without_unit_is_rejected_by_argument_parsing() {
    let run = weir_with(&["run", MODEL, "--duration", "10"]);
    // clap's usage error status, before any file is read.
    run.expect_code(2, "a bad argument is a usage error");
    assert!(run.stderr.contains("--duration"), "{run:#?}");
    assert!(run.stderr.contains("\"10\" has no unit"), "{run:#?}");
    assert!(run.stdout.is_empty(), "nothing ran: {run:#?}");
}

#[test]
fn help_lists_the_subcommands() {
    let run = weir_with(&["--help"]);
    run.expect_code(0, "--help succeeds");
    let listed = |name: &str| run.stdout.lines().any(|l| l.trim_start().starts_with(name));
    assert!(listed("run"), "{}", run.stdout);
    assert!(listed("check"), "{}", run.stdout);
}

#[test]
fn export_writes_traces_of_sampled_messages() {
    let sampled = |n: &str| {
        let run = weir_with(&["export", MODEL, "--format", "chrome-trace", "--sample", n]);
        run.expect_code(0, "a trace export succeeds");
        let trace: Value = serde_json::from_str(&run.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e})"));
        u64_at(&trace["otherData"], "journeys")
    };
    let (every_50, every_500) = (sampled("50"), sampled("500"));
    assert!(
        every_50 > 5 * every_500,
        "--sample 50 follows more than --sample 500: {every_50} vs {every_500}"
    );
    let run = weir_with(&["export", MODEL, "--format", "otlp"]);
    run.expect_code(0, "the OTLP export succeeds");
    assert!(
        run.stdout.contains("\"resourceSpans\""),
        "{}",
        &run.stdout[..200]
    );
    // --sample only applies to traces.
    let run = weir_with(&["export", MODEL, "--format", "dot", "--sample", "5"]);
    run.expect_code(2, "--sample with a model format is an error");
    assert!(run.stderr.contains("--sample"), "{run:#?}");
    let run = weir_with(&["export", MODEL, "--format", "otlp", "--sample", "0"]);
    run.expect_code(2, "one in zero is not a rate");
}

#[test]
fn export_draws_the_canvas_headless_as_svg_and_png() {
    let dir = std::env::temp_dir().join(format!("weir-cli-picture-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let png = dir.join("model.png");
    let png_arg = png.to_str().expect("UTF-8 temp path");
    weir_with(&[
        "export", MODEL, "--format", "png", "--scale", "1", "-o", png_arg,
    ])
    .expect_code(0, "a PNG is written without a display");
    let bytes = std::fs::read(&png).expect("the PNG exists");
    assert!(bytes.starts_with(b"\x89PNG\r\n\x1a\n"), "a PNG signature");
    let svg = weir_with(&["export", MODEL, "--format", "svg", "--look", "dark"]);
    svg.expect_code(0, "SVG to standard output");
    assert!(svg.stdout.starts_with("<svg "), "{}", svg.stdout);
    weir_with(&[
        "export", MODEL, "--format", "png", "--scale", "0", "-o", png_arg,
    ])
    .expect_code(2, "a scale of 0 is refused");
    let bad_look = weir_with(&["export", MODEL, "--format", "svg", "--look", "sepia"]);
    bad_look.expect_code(2, "an unknown look is refused");
    assert!(
        bad_look.stderr.contains("light or dark"),
        "{}",
        bad_look.stderr
    );
    let _ = std::fs::remove_dir_all(&dir);
}

/// A folder of its own under the system's temporary folder, removed
/// when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A model file with objectives and a variant, written to a scratch
/// folder named after `test`.
fn objectives_file(test: &str) -> (Scratch, PathBuf) {
    let dir = Scratch(std::env::temp_dir().join(format!("weir-cli-{test}-{}", std::process::id())));
    std::fs::create_dir_all(dir.path()).expect("a scratch folder");
    let path = dir.path().join("checkout.ron");
    std::fs::write(
        &path,
        r#"(
    version: 1,
    name: "Checkout",
    scenario: (duration: "60s", warmup: "5s", seed: 3, replications: 4),
    nodes: [
        (id: "orders", kind: Producer(arrival: Constant(rate: 50.0))),
        (id: "inbox", kind: Queue()),
        (id: "worker", kind: Consumer(service: Constant("10ms"))),
    ],
    edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
    slos: [(name: "Fast", on: Node("worker"), objective: Latency(percentile: 99.0, max: "15ms"))],
    variants: [
        (name: "slow", nodes: [(id: "worker", kind: Consumer(service: Constant("18ms")))]),
    ],
)"#,
    )
    .expect("written");
    (dir, path)
}

#[test]
fn check_slos_exits_3_only_when_an_objective_is_violated() {
    let (_dir, path) = objectives_file("check-slos");
    let file = path.to_str().expect("UTF-8 path");
    let met = weir_with(&["run", file, "--check-slos"]);
    met.expect_code(0, "the design meets its objective");
    assert!(
        met.stdout.contains("service level objectives:"),
        "{}",
        met.stdout
    );
    let slow = weir_with(&["run", file, "--variant", "slow", "--check-slos"]);
    slow.expect_code(3, "the slow variant misses it");
    assert!(slow.stderr.contains("Fast: violated"), "{}", slow.stderr);
    let (report, _) = json_report(&["run", file, "--variant", "slow", "--json", "-"]);
    assert_eq!(report["model"], "Checkout — slow");
    assert_eq!(report["slos"][0]["verdict"], "violated");
    let missing = weir_with(&["run", file, "--variant", "fast"]);
    missing.expect_code(2, "an unknown variant is a usage mistake");
    assert!(
        missing.stderr.contains("no variant called 'fast'"),
        "{}",
        missing.stderr
    );
}

#[test]
fn compare_pairs_a_design_with_its_variant_in_every_format() {
    let (dir, path) = objectives_file("compare");
    let file = path.to_str().expect("UTF-8 path");
    let table = weir_with(&["compare", file, "--variant", "slow"]);
    table.expect_code(0, "compare runs");
    assert!(table.stdout.contains("objective: Fast"), "{}", table.stdout);
    assert!(table.stdout.contains("(met)") && table.stdout.contains("(violated)"));
    assert!(
        table.stdout.contains("worker sojourn_s.mean"),
        "{}",
        table.stdout
    );
    let json = weir_with(&["compare", file, "--variant", "slow", "--format", "json"]);
    json.expect_code(0, "compare writes JSON");
    let value: Value = serde_json::from_str(&json.stdout).expect("JSON");
    assert_eq!(value["replications"], 4);
    let sojourn = value["differences"]
        .as_array()
        .expect("differences")
        .iter()
        .find(|d| d["node"] == "worker" && d["metric"] == "sojourn_s.mean")
        .expect("the worker's sojourn");
    // Constant service: exactly 8 ms longer in every replication.
    assert!((sojourn["diff"].as_f64().expect("diff") - 0.008).abs() < 1e-9);
    assert_eq!(value["slos"][0]["b"]["verdict"], "violated");
    let md = dir.path().join("compare.md");
    let markdown = weir_with(&[
        "compare",
        file,
        "--variant",
        "slow",
        "--format",
        "markdown",
        "-o",
        md.to_str().expect("UTF-8"),
    ]);
    markdown.expect_code(0, "compare writes Markdown");
    let text = std::fs::read_to_string(&md).expect("written");
    assert!(
        text.starts_with("| metric | A: checkout (as drawn) | B: slow |"),
        "{text}"
    );
    let csv = weir_with(&["compare", file, file, "--format", "csv"]);
    csv.expect_code(0, "a file against itself");
    assert!(
        csv.stdout
            .starts_with("node,metric,a,b,diff,ci95,pairs,significant\n")
    );
    assert!(
        !csv.stdout.contains(",true\n"),
        "identical designs differ nowhere"
    );
    // The comparison and the verdicts as pictures for a design document.
    let svg = weir_with(&["compare", file, "--variant", "slow", "--format", "svg"]);
    svg.expect_code(0, "compare draws SVG");
    assert!(svg.stdout.starts_with("<svg") && svg.stdout.contains("objective: Fast"));
    let png = Command::new(weir())
        .args(["compare", file, "--variant", "slow", "--format", "png"])
        .output()
        .expect("runs");
    assert!(
        png.status.success() && png.stdout.starts_with(b"\x89PNG"),
        "{png:?}"
    );
    let verdicts = weir_with(&["export", file, "--format", "slos-svg"]);
    verdicts.expect_code(0, "the verdicts as a picture");
    assert!(
        verdicts
            .stdout
            .contains("Checkout: service level objectives")
    );
    assert!(verdicts.stdout.contains("Fast") && verdicts.stdout.contains("met"));
    let none = weir_with(&["export", "examples/pipeline.ron", "--format", "slos-svg"]);
    none.expect_code(2, "no objectives, no verdicts");
    assert!(
        none.stderr.contains("no service level objectives"),
        "{}",
        none.stderr
    );
    for (args, why) in [
        (vec!["compare", file], "one file and no variant"),
        (
            vec!["compare", file, file, "--variant", "slow"],
            "variants with two files",
        ),
        (
            vec!["compare", file, "--replications", "1"],
            "one replication has no interval",
        ),
    ] {
        weir_with(&args).expect_code(2, why);
    }
}

#[test]
fn run_says_what_warm_up_it_cut_and_why() {
    // The file sets a minute; `--warmup auto` finds it instead.
    let base = [
        "run",
        "examples/single-queue.ron",
        "--duration",
        "60s",
        "--replications",
        "8",
    ];
    let (auto, _) = json_report(&[&base[..], &["--warmup", "auto", "--json", "-"]].concat());
    let warmup = &auto["warmup"];
    assert_eq!(warmup["method"], "mser-5", "{warmup}");
    assert_eq!(warmup["cut_s"], auto["warmup_s"], "{warmup}");
    assert_eq!(warmup["found_s"], warmup["cut_s"], "{warmup}");
    assert_eq!(warmup["replications"], 8, "{warmup}");
    assert_eq!(warmup["examined_s"], 60, "{warmup}");
    let series = warmup["series"].as_array().expect("a list of series");
    assert!(series.iter().any(|s| s == "system.in_flight"), "{warmup}");
    assert!(warmup.get("warning").is_some() && warmup.get("decided_by").is_some());

    // A warm-up set is kept, and checked.
    let (set, _) = json_report(&[&base[..], &["--warmup", "7s", "--json", "-"]].concat());
    assert_eq!(set["warmup"]["method"], "set");
    assert_eq!(set["warmup"]["cut_s"], 7);
    assert_eq!(set["warmup_s"], 7);
    assert_eq!(
        set["warmup"]["found_s"], warmup["found_s"],
        "the same series"
    );

    // The table's second line says it in words.
    let table = weir_with(&[&base[..], &["--warmup", "auto"]].concat());
    table.expect_code(0, "a run prints its table");
    let line = table.stdout.lines().nth(1).unwrap_or_default();
    assert!(
        line.starts_with("warm-up: ") && line.contains("MSER-5"),
        "{}",
        table.stdout
    );

    // Anything else is refused, naming both forms.
    let bad = weir_with(&["run", "examples/single-queue.ron", "--warmup", "soon"]);
    bad.expect_code(2, "a bad --warmup is a usage error");
    assert!(bad.stderr.contains("`auto`"), "{}", bad.stderr);
}

#[test]
fn import_joins_a_folder_into_a_model_that_checks_runs_and_imports_again() {
    let dir = Scratch(std::env::temp_dir().join(format!("weir-cli-import-{}", std::process::id())));
    std::fs::create_dir_all(dir.path().join("social/common")).expect("a scratch folder");
    let fixtures = workspace().join("tests/fixtures/asyncapi/social");
    for name in [
        "audit.yaml",
        "likes.yaml",
        "notifier.yaml",
        "web.yaml",
        "common/channels.yaml",
        "common/messages.yaml",
        "common/servers.yaml",
    ] {
        std::fs::copy(fixtures.join(name), dir.path().join("social").join(name)).expect("copied");
    }
    let folder = dir.path().join("social");
    let folder = folder.to_str().expect("UTF-8 path");
    let model = dir.path().join("social.ron");
    let model = model.to_str().expect("UTF-8 path");
    let imported = weir_with(&["import", folder, "-o", model]);
    imported.expect_code(0, "the folder imports");
    assert!(
        imported.stdout.is_empty(),
        "the model went to the file: {imported:#?}"
    );
    assert!(
        imported
            .stderr
            .contains("notifier.yaml: operation 'deliverNotification': `publish` on channel"),
        "warnings name their document: {imported:#?}"
    );
    weir_with(&["check", model]).expect_code(0, "the joined model checks clean");
    let ran = weir_with(&["run", model, "--duration", "5s", "--replications", "1"]);
    ran.expect_code(0, "the joined model runs");
    assert!(ran.stdout.contains("completed"), "{ran:#?}");

    // A document changes: importing into the model says what changed and
    // rewrites it in place.
    let likes = dir.path().join("social/likes.yaml");
    let text = std::fs::read_to_string(&likes).expect("readable");
    std::fs::write(&likes, text.replace("notifyOwner", "tellOwner")).expect("written");
    let again = weir_with(&["import", "--into", model, folder]);
    again.expect_code(0, "importing again succeeds");
    assert!(
        again
            .stderr
            .contains(&format!("{model}: renamed 'notifyOwner' to 'tellOwner'")),
        "{again:#?}"
    );
    let saved = std::fs::read_to_string(model).expect("the model is rewritten");
    assert!(saved.contains("\"tellOwner\""), "{saved}");
    assert!(!saved.contains("\"notifyOwner\""), "{saved}");
    let unchanged = weir_with(&["import", "--into", model, folder, "-o", "-"]);
    unchanged.expect_code(0, "importing the same documents again succeeds");
    assert!(
        unchanged.stderr.contains("the documents changed nothing"),
        "{unchanged:#?}"
    );
    assert_eq!(
        unchanged.stdout, saved,
        "-o - writes the model to standard output"
    );
}

#[test]
fn import_refuses_a_network_reference_and_a_folder_without_documents() {
    let remote = weir_with(&["import", "tests/fixtures/asyncapi/remote/remote.yaml"]);
    remote.expect_code(2, "a network reference is an input error");
    assert!(
        remote.stderr.contains(
            "$ref 'https://schemas.example/asyncapi/channels.yaml#/channels/orders': Weir never reads references over the network"
        ),
        "{remote:#?}"
    );
    assert!(remote.stdout.is_empty(), "{remote:#?}");
    let common = weir_with(&["import", "tests/fixtures/asyncapi/social/common"]);
    common.expect_code(2, "a folder of shared definitions is no document");
    assert!(
        common.stderr.contains("holds no AsyncAPI document"),
        "{common:#?}"
    );
    let none = weir_with(&["import"]);
    none.expect_code(2, "a document is required");
}
