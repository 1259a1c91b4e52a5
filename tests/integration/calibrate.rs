//! Calibration round trips: a model's own OTLP traces, exported the way
//! `weir export --format otlp` writes them, fitted back onto a copy of the
//! model whose rates and service times were changed, recover the original
//! parameters within their confidence intervals, over several seeds; and
//! `weir calibrate` on the command line, with traces and with a CSV, and
//! on inputs it must refuse.

use std::path::{Path, PathBuf};
use std::process::Command;

use sim_core::calibrate::{Family, Fit, calibrate, observe_spans, parse_otlp};
use sim_core::dist::{Arrival, Dist};
use sim_core::export::trace::to_otlp;
use sim_core::journey::JourneyOptions;
use sim_core::model::file;
use sim_core::nodes::NodeKind;
use sim_core::time::Duration;
use sim_core::{Model, Simulation};
use weir_tests::model;

use crate::cli::{weir, workspace};

/// z of a two-sided 99.9 % interval: each check below must hold on every
/// seed, so a 95 % interval would fail one check in twenty by chance.
const Z: f64 = 3.29;

/// The model's OTLP trace: every event followed, up to `journeys`.
fn otlp(model: &Model, seed: u64, journeys: usize) -> String {
    otlp_every(model, seed, journeys, 1)
}

/// The model's OTLP trace, one event in `every` followed.
fn otlp_every(model: &Model, seed: u64, journeys: usize, every: u64) -> String {
    let mut sim = Simulation::new(model, seed).expect("compiles");
    sim.record_journeys(JourneyOptions {
        every,
        max_journeys: journeys,
        ..JourneyOptions::default()
    });
    sim.run_until(sim.end()).expect("runs");
    to_otlp(&sim.trace().expect("recording is on"))
}

/// The model with every producer at 1/s and every consumer's service a
/// constant 1 ms: what calibration must move away from.
fn altered(model: &Model) -> Model {
    let mut m = model.clone();
    for n in m.graph.node_indices().collect::<Vec<_>>() {
        match &mut m.graph[n].kind {
            NodeKind::Producer(p) => p.arrival = Arrival::Poisson { rate: 1.0 },
            NodeKind::Consumer(c) => c.service = Dist::Constant(Duration::from_millis(1)),
            _ => {}
        }
    }
    m
}

fn example(name: &str) -> Model {
    let text = std::fs::read_to_string(workspace().join("examples").join(name)).expect("example");
    let mut m = model(&text);
    // Long enough for the journeys wanted; the recording stops at its cap.
    m.scenario.duration = Duration::from_secs(120);
    m
}

/// The pipeline (exponential, log-normal and Erlang stages) and the
/// single queue, over five seeds: each producer's rate, each consumer's
/// mean service time and its spread are recovered, and the family where
/// the data can tell it (exponential, log-normal, Erlang as a gamma).
/// Everything else in the model is left exactly as it was.
#[test]
fn own_traces_calibrate_back_to_the_models_parameters() {
    for (name, families) in [
        (
            "pipeline.ron",
            vec![
                ("validate", Family::Exponential),
                ("enrich", Family::LogNormal),
                ("store", Family::Gamma),
            ],
        ),
        ("single-queue.ron", vec![("worker", Family::Exponential)]),
    ] {
        let original = example(name);
        for seed in 1..=5u64 {
            let traces = otlp(&original, seed, 3_000);
            let spans = parse_otlp(&traces).expect("Weir's own traces parse");
            let start = altered(&original);
            let observations = observe_spans(&start, &spans);
            assert!(
                observations.unmatched.is_empty(),
                "every span of Weir's own trace is some node's: {:?}",
                observations.unmatched
            );
            let calibration = calibrate(&start, &observations);
            let mut fitted = start.clone();
            calibration.apply(&mut fitted);
            let why = format!("{name}, seed {seed}:\n{}", calibration.to_text());

            for (id, fit) in &calibration.fits {
                let n = original.find(id).expect("a node of the model");
                match (fit, &original.graph[n].kind, &fitted.graph[n].kind) {
                    (Fit::Rate(r), NodeKind::Producer(truth), NodeKind::Producer(now)) => {
                        let rate = truth.arrival.mean_rate();
                        let hw = Z * rate / (r.n as f64).sqrt();
                        assert!(
                            (r.rate - rate).abs() < hw,
                            "{id}: rate {} vs {rate} ± {hw}\n{why}",
                            r.rate
                        );
                        assert!(hw < 0.1 * rate, "{id}: too few arrivals to tell\n{why}");
                        assert_eq!(now.arrival.mean_rate(), r.rate, "{id}: the rate written");
                        assert!(
                            matches!(now.arrival, Arrival::Poisson { .. }),
                            "{id}: the arrival process keeps its shape"
                        );
                    }
                    (Fit::Service(s), NodeKind::Consumer(truth), NodeKind::Consumer(now)) => {
                        let mean = truth.service.mean().as_secs_f64();
                        let hw = s.mean_half_width_s * Z / 1.96;
                        assert!(
                            (s.mean_s - mean).abs() < hw,
                            "{id}: mean service {} vs {mean} ± {hw}\n{why}",
                            s.mean_s
                        );
                        assert!(hw < 0.1 * mean, "{id}: interval too wide\n{why}");
                        let family = families
                            .iter()
                            .find(|(f, _)| f == id)
                            .map(|&(_, family)| family)
                            .expect("a family for every consumer");
                        assert_eq!(s.chosen().family, family, "{id}\n{why}");
                        assert_eq!(now.service, s.chosen().dist, "{id}: the law written");
                        let (cv, truth_cv) = (now.service.cv(), truth.service.cv());
                        assert!(
                            (cv - truth_cv).abs() < 0.12 * truth_cv,
                            "{id}: cv {cv} vs {truth_cv}\n{why}"
                        );
                        // Every candidate is reported with its statistic.
                        assert!(s.candidates.len() == 4, "{id}\n{why}");
                        assert!(s.candidates.iter().all(|c| c.ks.is_finite()));
                    }
                    other => panic!("{id}: unexpected fit {other:?}\n{why}"),
                }
            }
            // Every producer and consumer was fitted.
            let kinds = |m: &Model| {
                m.graph
                    .node_indices()
                    .filter(|&n| {
                        matches!(
                            m.graph[n].kind,
                            NodeKind::Producer(_) | NodeKind::Consumer(_)
                        )
                    })
                    .count()
            };
            assert_eq!(calibration.fitted(), kinds(&original), "{why}");
            // Only the fitted parameters changed: put the start's back and
            // the model is the start, field for field.
            let mut back = fitted.clone();
            for n in back.graph.node_indices().collect::<Vec<_>>() {
                back.graph[n].kind = start.graph[n].kind.clone();
            }
            assert!(back.same_as(&start), "{name}: more than parameters changed");
            let changed = fitted
                .graph
                .node_indices()
                .filter(|&n| fitted.graph[n] != start.graph[n])
                .count();
            assert_eq!(changed, kinds(&original), "{why}");
        }
    }
}

/// Traces that follow one event in 25 say so (`weir.sample.every`), and
/// the rate is scaled back by it: the single queue's 80/s is recovered
/// within its interval on five seeds, and the service time too.
#[test]
fn sampled_traces_give_the_full_rate() {
    let mut original = example("single-queue.ron");
    original.scenario.duration = Duration::from_secs(900);
    for seed in 1..=5u64 {
        let spans = parse_otlp(&otlp_every(&original, seed, 2_000, 25)).expect("parses");
        assert_eq!(spans.sampled_every, 25);
        let start = altered(&original);
        let calibration = calibrate(&start, &observe_spans(&start, &spans));
        let why = calibration.to_text();
        assert!(why.contains("one event in 25 traced"), "{why}");
        for (id, fit) in &calibration.fits {
            match fit {
                Fit::Rate(r) => {
                    let hw = Z * 80.0 / (r.n as f64).sqrt();
                    assert!((r.rate - 80.0).abs() < hw, "{id}: {} ± {hw}\n{why}", r.rate);
                    assert!(r.n > 1_000, "{why}");
                }
                Fit::Service(s) => {
                    let hw = s.mean_half_width_s * Z / 1.96;
                    assert!((s.mean_s - 0.010).abs() < hw, "{id}\n{why}");
                    assert_eq!(s.chosen().family, Family::Exponential, "{why}");
                }
                Fit::Skipped(reason) => panic!("{id}: {reason}"),
            }
        }
    }
}

/// A scratch folder, removed when dropped.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("weir-calibrate-{test}-{}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Self(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
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

fn load(path: &str) -> Model {
    let text = std::fs::read_to_string(path).expect("written");
    file::from_str(&text).expect("a model").0
}

/// `weir export --format otlp` then `weir calibrate`: the single queue's
/// rate and service time come back into an altered copy, written as a
/// model file that loads and checks clean.
#[test]
fn cli_calibrates_from_the_exported_traces() {
    let dir = Scratch::new("otlp");
    let traces = dir.path("trace.json");
    let (code, _, err) = weir_run(&[
        "export",
        "examples/single-queue.ron",
        "--format",
        "otlp",
        "--sample",
        "1",
        "-o",
        &traces,
    ]);
    assert_eq!(code, Some(0), "{err}");
    let original = example("single-queue.ron");
    let start = dir.path("start.ron");
    std::fs::write(&start, file::to_string(&altered(&original))).expect("written");
    let out = dir.path("calibrated.ron");
    let (code, stdout, err) = weir_run(&["calibrate", &start, "--traces", &traces, "-o", &out]);
    assert_eq!(code, Some(0), "{stdout}\n{err}");
    for needed in [
        "exponential",
        "log-normal",
        "gamma",
        "empirical",
        "chosen",
        "done",
    ] {
        assert!(
            stdout.contains(needed),
            "the report names {needed}:\n{stdout}"
        );
    }
    let fitted = load(&out);
    let n = fitted.find("worker").expect("worker");
    let NodeKind::Consumer(c) = &fitted.graph[n].kind else {
        panic!("a consumer");
    };
    // 1 000 journeys: the mean within 99.9 % of 10 ms ± 3.29·10/√1000 %.
    let mean = c.service.mean().as_secs_f64();
    assert!(
        (mean - 0.010).abs() < 0.010 * Z / 1000f64.sqrt(),
        "{stdout}"
    );
    let p = fitted.find("orders").expect("orders");
    let NodeKind::Producer(orders) = &fitted.graph[p].kind else {
        panic!("a producer");
    };
    let rate = orders.arrival.mean_rate();
    assert!((rate - 80.0).abs() < 80.0 * Z / 1000f64.sqrt(), "{stdout}");
    let (code, _, err) = weir_run(&["check", &out]);
    assert_eq!(code, Some(0), "the calibrated model checks clean: {err}");

    // The example file itself, comments and layout and all: only the
    // lines of the fitted values change.
    let (code, stdout, err) = weir_run(&[
        "calibrate",
        "examples/single-queue.ron",
        "--traces",
        &traces,
        "-o",
        &out,
    ]);
    assert_eq!(code, Some(0), "{stdout}\n{err}");
    let before = std::fs::read_to_string(workspace().join("examples/single-queue.ron"))
        .expect("the example");
    let after = std::fs::read_to_string(&out).expect("written");
    assert_eq!(before.lines().count(), after.lines().count(), "{after}");
    let changed: Vec<(&str, &str)> = before
        .lines()
        .zip(after.lines())
        .filter(|(a, b)| a != b)
        .collect();
    assert_eq!(changed.len(), 2, "{changed:#?}");
    assert!(
        changed[0]
            .1
            .trim_start()
            .starts_with("arrival: Poisson(rate: "),
        "{changed:#?}"
    );
    assert!(
        changed[1].1.trim_start().starts_with("service: "),
        "{changed:#?}"
    );

    // To standard output: the model there, the report on standard error.
    let (code, stdout, err) = weir_run(&["calibrate", &start, "--traces", &traces]);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        stdout.starts_with("(\n") || stdout.starts_with("//"),
        "{stdout}"
    );
    assert!(err.contains("chosen"), "{err}");
}

/// A CSV of per-message timings, with columns in any order and one the
/// calibration does not read.
#[test]
fn cli_calibrates_from_a_csv_of_timings() {
    let dir = Scratch::new("csv");
    let original = example("single-queue.ron");
    let start = dir.path("start.ron");
    std::fs::write(&start, file::to_string(&altered(&original))).expect("written");
    // Arrivals every 20 ms; log-normal service times around 8 ms.
    let law = Dist::LogNormal {
        mean: Duration::from_millis(8),
        cv: 0.6,
    };
    let mut sampler = law.sampler();
    let mut rng = sim_core::rng::stream(9, "csv", sim_core::rng::Purpose::Service);
    let mut csv = String::from("start,host,node,duration\n");
    for i in 0..2_000u32 {
        let t = f64::from(i) * 0.02;
        csv.push_str(&format!("{t},a,Orders API,\n"));
        let d = sampler.sample(&mut rng).as_secs_f64();
        csv.push_str(&format!("{t},a,worker,{d}\n"));
    }
    let timings = dir.path("timings.csv");
    std::fs::write(&timings, csv).expect("written");
    let out = dir.path("calibrated.ron");
    let (code, stdout, err) = weir_run(&["calibrate", &start, "--csv", &timings, "-o", &out]);
    assert_eq!(code, Some(0), "{stdout}\n{err}");
    let fitted = load(&out);
    let n = fitted.find("worker").expect("worker");
    let NodeKind::Consumer(c) = &fitted.graph[n].kind else {
        panic!("a consumer");
    };
    assert!(
        matches!(c.service, Dist::LogNormal { .. }),
        "{:?}\n{stdout}",
        c.service
    );
    assert!((c.service.cv() - 0.6).abs() < 0.06, "{stdout}");
    let p = fitted.find("orders").expect("orders");
    let NodeKind::Producer(orders) = &fitted.graph[p].kind else {
        panic!("a producer");
    };
    assert!((orders.arrival.mean_rate() - 50.0).abs() < 1e-6, "{stdout}");
}

/// Bad measurements end in a message naming the file, the place and the
/// reason, with exit status 2; nothing is written.
#[test]
fn cli_refuses_bad_measurements_clearly() {
    let dir = Scratch::new("bad");
    let model_path = "examples/single-queue.ron";
    let write = |name: &str, text: &str| {
        let path = dir.path(name);
        std::fs::write(&path, text).expect("written");
        path
    };
    let negative = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"worker"}}]},"scopeSpans":[{"spans":[{"name":"process","startTimeUnixNano":"9","endTimeUnixNano":"3"}]}]}]}"#;
    let nothing = r#"{"resourceSpans":[{"resource":{"attributes":[{"key":"service.name","value":{"stringValue":"billing"}}]},"scopeSpans":[{"spans":[{"name":"charge","startTimeUnixNano":"1","endTimeUnixNano":"3"}]}]}]}"#;
    let cases = [
        (
            "--traces",
            write("empty.json", ""),
            "empty.json: the file is empty",
        ),
        (
            "--traces",
            write(
                "broken.json",
                "{\"resourceSpans\": [\n  {\"resource\": }\n]}",
            ),
            "broken.json: line 2, column",
        ),
        (
            "--traces",
            write("other.json", "{\"spans\": []}"),
            "object 1: no `resourceSpans`",
        ),
        (
            "--traces",
            write("negative.json", negative),
            "spans[0] ('process' at 'worker'): the span ends before it starts",
        ),
        (
            "--traces",
            write("nothing.json", nothing),
            "no node of the model could be fitted",
        ),
        ("--traces", dir.path("missing.json"), "missing.json"),
        (
            "--csv",
            write("bad.csv", "node,start,end\nworker,0.5,0.25\n"),
            "bad.csv: line 2: `end` (0.25) is before `start` (0.5)",
        ),
    ];
    let out = dir.path("out.ron");
    for (flag, path, expected) in cases {
        let (code, stdout, err) = weir_run(&["calibrate", model_path, flag, &path, "-o", &out]);
        assert_eq!(code, Some(2), "{path}: {stdout}\n{err}");
        assert!(
            err.contains(expected),
            "{path}: expected `{expected}` in:\n{err}"
        );
        assert!(!err.contains("panicked"), "{err}");
        assert!(!Path::new(&out).exists(), "{path}: nothing is written");
    }
    // A file past the limit is refused before it is read (a sparse file).
    let huge = dir.path("huge.json");
    std::fs::File::create(&huge)
        .and_then(|f| f.set_len(file::MAX_FILE_BYTES + 1))
        .expect("a sparse file");
    let (code, _, err) = weir_run(&["calibrate", model_path, "--traces", &huge]);
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("huge.json"), "{err}");
    // Both sources, or neither, is a usage error.
    let (code, _, _) = weir_run(&["calibrate", model_path]);
    assert_eq!(code, Some(2));
    let (code, _, err) = weir_run(&["calibrate", model_path, "--traces", &huge, "--csv", &huge]);
    assert_eq!(code, Some(2), "{err}");
}
