//! Sweeps: each point is exactly the run of the model with its values set
//! by hand, whatever the threads; `weir sweep` streams those numbers, draws
//! them, and refuses what it cannot do with a reason.

use std::process::Command;
use std::sync::atomic::AtomicBool;

use sim_core::Model;
use sim_core::model::file;
use sim_core::sweep::{Axis, MetricRef, Sweep};
use weir::sweeping;

use crate::cli::{weir, workspace};

fn example(name: &str) -> String {
    std::fs::read_to_string(workspace().join("examples").join(name)).expect("the example")
}

/// The single-queue example, shortened, with `edit` applied to its text.
fn single_queue(edit: impl Fn(String) -> String) -> Model {
    let text = example("single-queue.ron")
        .replace("duration: \"10m\"", "duration: \"90s\"")
        .replace("warmup: \"1m\"", "warmup: \"10s\"")
        .replace("seed: 42,", "seed: 42, replications: 3,");
    file::from_str(&edit(text)).expect("parses").0
}

#[test]
fn each_point_is_the_run_of_the_model_edited_by_hand_byte_for_byte() {
    let base = single_queue(|t| t);
    let sweep = Sweep {
        axes: vec![
            Axis::parse("worker.instances=1..2", &base).expect("valid"),
            Axis::parse("load=0.5,1.25", &base).expect("valid"),
        ],
        metrics: vec![MetricRef::parse("worker.utilization", &base).expect("valid")],
    };
    let points = sweeping::models(&base, &sweep).expect("valid points");
    let mut one_thread = Vec::new();
    sweeping::run(&sweep, &points, 1, &AtomicBool::new(false), |_, _, r| {
        one_thread.push(r.to_json_string());
        Ok(())
    })
    .expect("runs");
    let mut two_threads = Vec::new();
    sweeping::run(&sweep, &points, 2, &AtomicBool::new(false), |_, _, r| {
        two_threads.push(r.to_json_string());
        Ok(())
    })
    .expect("runs");
    assert_eq!(one_thread, two_threads, "the same whatever the threads");
    for (i, (instances, rate)) in [(1, "40.0"), (1, "100.0"), (2, "40.0"), (2, "100.0")]
        .into_iter()
        .enumerate()
    {
        let by_hand = single_queue(|t| {
            t.replace("rate: 80.0", &format!("rate: {rate}")).replace(
                "service: Exponential(mean: \"10ms\"),\n            ),",
                &format!(
                    "instances: {instances},\n                service: Exponential(mean: \"10ms\"),\n            ),"
                ),
            )
        });
        assert_eq!(
            sim_core::run_replications(&by_hand)
                .expect("runs")
                .to_json_string(),
            one_thread[i],
            "point {i}: {instances} instance(s) at {rate}/s"
        );
    }
}

#[test]
fn one_point_shares_its_replications_and_its_warm_up_pilot_over_the_threads() {
    // No warm-up set: a pilot pass finds it before the replications run,
    // both passes on the workers.
    let base = single_queue(|t| {
        t.replace("warmup: \"10s\",", "")
            .replace("replications: 3,", "replications: 5,")
    });
    assert!(base.scenario.warmup.is_none(), "the pilot pass runs");
    let sweep = Sweep {
        axes: vec![Axis::parse("load=0.9", &base).expect("valid")],
        metrics: Vec::new(),
    };
    let points = sweeping::models(&base, &sweep).expect("valid points");
    for threads in [1, 2, 3] {
        let mut reports = Vec::new();
        sweeping::run(
            &sweep,
            &points,
            threads,
            &AtomicBool::new(false),
            |_, _, r| {
                reports.push(r.to_json_string());
                Ok(())
            },
        )
        .expect("runs");
        assert_eq!(
            reports,
            vec![
                sim_core::run_replications(&points[0].1)
                    .expect("runs")
                    .to_json_string()
            ],
            "{threads} thread(s)"
        );
    }
}

#[test]
fn a_sweep_stops_when_asked_or_when_its_output_fails() {
    let base = single_queue(|t| t);
    let sweep = Sweep {
        axes: vec![Axis::parse("load=0.5..1.0x6", &base).expect("valid")],
        metrics: Vec::new(),
    };
    let points = sweeping::models(&base, &sweep).expect("valid points");
    let stop = AtomicBool::new(false);
    let mut seen = Vec::new();
    let outcome = sweeping::run(&sweep, &points, 2, &stop, |i, _, _| {
        seen.push(i);
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        Ok(())
    });
    assert!(
        matches!(outcome, Err(sweeping::SweepError::Stopped)),
        "{outcome:?}"
    );
    assert_eq!(seen, [0], "nothing after the stop");

    let mut seen = Vec::new();
    let outcome = sweeping::run(&sweep, &points, 2, &AtomicBool::new(false), |i, _, _| {
        seen.push(i);
        if i == 2 {
            Err("the disk is full".to_owned())
        } else {
            Ok(())
        }
    });
    match outcome {
        Err(sweeping::SweepError::Output(e)) => assert_eq!(e, "the disk is full"),
        other => panic!("{other:?}"),
    }
    assert_eq!(seen, [0, 1, 2], "nothing after the output failed");
}

fn run(args: &[&str]) -> (Option<i32>, String, String) {
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
fn weir_sweep_streams_what_weir_run_reports() {
    let dir = std::env::temp_dir().join(format!("weir-sweep-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    let common = [
        "--replications",
        "3",
        "--duration",
        "90s",
        "--warmup",
        "10s",
    ];
    let mut args = vec![
        "sweep",
        "examples/single-queue.ron",
        "--vary",
        "worker.service.mean=8ms,12ms",
        "--metric",
        "worker.utilization",
        "--metric",
        "slo:Short queue",
    ];
    args.extend(common);
    let (code, csv, err) = run(&args);
    assert_eq!(code, Some(0), "{err}");
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        "worker.service.mean,worker.utilization,worker.utilization ci95,slo:Short queue,slo:Short queue ci95,\
         verdict: Orders done within 250 ms,verdict: Short queue,verdict: Keeps up every minute"
    );
    assert_eq!(lines.len(), 3, "{csv}");
    // The 12 ms point against weir run on the file edited by hand.
    let edited = dir.join("slower.ron");
    std::fs::write(
        &edited,
        example("single-queue.ron").replace("\"10ms\"", "\"12ms\""),
    )
    .expect("written");
    let mut run_args = vec!["run", edited.to_str().expect("UTF-8"), "--json", "-"];
    run_args.extend(common);
    let (code, json, err) = run(&run_args);
    assert_eq!(code, Some(0), "{err}");
    let report: serde_json::Value = serde_json::from_str(&json).expect("JSON");
    let utilization = report["nodes"]["worker"]["utilization"]
        .as_f64()
        .expect("the worker's utilisation");
    let row: Vec<&str> = lines[2].split(',').collect();
    assert_eq!(row[0], "12ms");
    let swept: f64 = row[1].parse().expect("a number");
    assert!(
        (swept - utilization).abs() <= 1e-6 * utilization,
        "{swept} against {utilization}"
    );
    assert!(row[1..].iter().all(|c| !c.is_empty()), "{}", lines[2]);

    // JSON lines, one per point.
    let mut json_args = args.clone();
    json_args.extend(["--format", "json"]);
    let (code, lines, _) = run(&json_args);
    assert_eq!(code, Some(0));
    let points: Vec<serde_json::Value> = lines
        .lines()
        .map(|l| serde_json::from_str(l).expect("a JSON object per line"))
        .collect();
    assert_eq!(points.len(), 2);
    assert_eq!(points[1]["point"]["worker.service.mean"], "12ms");
    assert_eq!(points[1]["replications"], 3);

    // Pictures: a line plot, and a heatmap for two knobs.
    let svg = dir.join("sweep.svg");
    let mut svg_args = args.clone();
    svg_args.extend(["--format", "svg", "-o", svg.to_str().expect("UTF-8")]);
    assert_eq!(run(&svg_args).0, Some(0));
    let text = std::fs::read_to_string(&svg).expect("written");
    assert!(
        text.contains("<polyline") && text.contains("stroke-dasharray"),
        "a line and the objective's bound"
    );
    let png = dir.join("grid.png");
    let mut png_args = args.clone();
    png_args.extend([
        "--vary",
        "load=0.5,1",
        "--format",
        "png",
        "-o",
        png.to_str().expect("UTF-8"),
    ]);
    let (code, _, err) = run(&png_args);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        std::fs::read(&png)
            .expect("written")
            .starts_with(b"\x89PNG\r\n\x1a\n")
    );
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn weir_sweep_refuses_with_a_reason() {
    for (args, code, says) in [
        (
            vec!["--vary", "worker.wings=1..2"],
            2,
            "unknown field `wings`",
        ),
        (
            vec!["--vary", "worker.instances=0..1"],
            1,
            "at worker.instances = 0",
        ),
        (
            vec!["--vary", "worker.instances=1..2", "--metric", "ghost.depth"],
            2,
            "no node 'ghost'",
        ),
        (
            vec![
                "--vary",
                "worker.instances=1..2",
                "--vary",
                "load=1,2",
                "--vary",
                "orders.rate=1,2",
                "--metric",
                "worker.utilization",
                "--format",
                "svg",
            ],
            2,
            "not 3",
        ),
        (
            vec!["--vary", "worker.instances=1..2", "--format", "svg"],
            2,
            "needs a metric",
        ),
    ] {
        let mut all = vec![
            "sweep",
            "examples/single-queue.ron",
            "--duration",
            "20s",
            "--warmup",
            "0s",
        ];
        all.extend(args.iter().copied());
        let (got, _, err) = run(&all);
        assert_eq!(got, Some(code), "{args:?}: {err}");
        assert!(err.contains(says), "{args:?}: {err}");
    }
}
