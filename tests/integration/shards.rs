//! `weir run --shard`, `weir sweep --shard` and `weir merge`, run for
//! real: shards merged in any order give the single machine's output byte
//! for byte (a run's `wall_s` aside: the merge sums the shards' own), and
//! a missing, repeated or foreign shard is refused, naming the file.

use std::path::{Path, PathBuf};
use std::process::Command;

use crate::cli::{weir, workspace};

/// A scratch folder, removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(test: &str) -> Self {
        let dir = std::env::temp_dir().join(format!("weir-shards-{test}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a scratch folder");
        Self(dir)
    }

    fn file(&self, name: &str) -> PathBuf {
        self.0.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `weir` in the workspace: its exit status, standard output (bytes)
/// and standard error.
fn weir_out<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> (Option<i32>, Vec<u8>, String) {
    let out = Command::new(weir())
        .current_dir(workspace())
        .args(args)
        .output()
        .expect("weir runs");
    (
        out.status.code(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Standard output of a `weir` that must succeed.
fn ok<S: AsRef<std::ffi::OsStr> + std::fmt::Debug>(args: &[S]) -> Vec<u8> {
    let (code, stdout, stderr) = weir_out(args);
    assert_eq!(code, Some(0), "weir {args:?} failed:\n{stderr}");
    stdout
}

/// The output with the line holding the wall time taken out: the one
/// thing that differs between two runs of one model and seed.
fn without_wall(bytes: &[u8]) -> String {
    let text = String::from_utf8(bytes.to_vec()).expect("UTF-8 output");
    let lines: Vec<&str> = text
        .split_inclusive('\n')
        .filter(|l| !l.contains("\"wall_s\":") && !l.contains(" s wall time ("))
        .collect();
    assert!(
        lines.len() < text.split_inclusive('\n').count() || !text.contains("wall"),
        "the wall time was found and left out"
    );
    lines.concat()
}

/// Writes shards `0..count` of `weir <command> …` to files in `dir`, and
/// returns their paths (in shard order).
fn make_shards(dir: &Scratch, tag: &str, args: &[&str], count: u32) -> Vec<PathBuf> {
    (0..count)
        .map(|i| {
            let path = dir.file(&format!("{tag}-{i}-of-{count}.json"));
            let spec = format!("{i}/{count}");
            let mut all: Vec<&str> = args.to_vec();
            all.extend(["--shard", &spec, "-o", path.to_str().expect("UTF-8 path")]);
            let stdout = ok(&all);
            assert!(
                stdout.is_empty(),
                "a shard written to a file prints nothing"
            );
            path
        })
        .collect()
}

/// `weir merge` over `shards` in a scrambled order (the last first, then
/// every other one), with `extra` arguments.
fn merge(shards: &[PathBuf], extra: &[&str]) -> Vec<u8> {
    let mut order: Vec<&PathBuf> = shards.iter().rev().step_by(2).collect();
    order.extend(shards.iter().rev().skip(1).step_by(2));
    assert_eq!(order.len(), shards.len());
    let mut args: Vec<&std::ffi::OsStr> = vec!["merge".as_ref()];
    args.extend(order.iter().map(|p| p.as_os_str()));
    args.extend(extra.iter().map(std::ffi::OsStr::new));
    ok(&args)
}

const CRASH: &str = "examples/consumer-crash.ron";
const QUEUE: &str = "examples/single-queue.ron";

#[test]
fn run_shards_merge_into_the_single_run_report() {
    let dir = Scratch::new("run");
    // Alerts, a fault and theory (consumer-crash); objectives and a
    // warm-up found by a pilot pass (single-queue, --warmup auto).
    let cases: [(&str, &[&str]); 2] = [
        (
            "crash",
            &[
                "run",
                CRASH,
                "--duration",
                "3m",
                "--replications",
                "2",
                "--seed",
                "5",
            ],
        ),
        (
            "queue",
            &[
                "run",
                QUEUE,
                "--duration",
                "90s",
                "--warmup",
                "auto",
                "--replications",
                "2",
            ],
        ),
    ];
    for (tag, args) in cases {
        let single = ok(&[args, &["--json", "-"]].concat());
        let single = without_wall(&single);
        for count in [1, 2, 3] {
            let shards = make_shards(&dir, tag, args, count);
            let merged = merge(&shards, &[]);
            assert_eq!(
                without_wall(&merged),
                single,
                "{tag}: {count} shard(s) of 2 replications merge into the single report"
            );
        }
    }
}

#[test]
fn a_set_warmup_is_checked_across_shards_and_every_format_matches() {
    let dir = Scratch::new("formats");
    // A warm-up set and 5 replications: the check against MSER-5 reads
    // every replication's state series, spread over the shards.
    let args = [
        "run",
        QUEUE,
        "--duration",
        "60s",
        "--warmup",
        "1s",
        "--replications",
        "5",
    ];
    let shards = make_shards(&dir, "queue", &args, 3);
    let single = ok(&[&args[..], &["--json", "-"]].concat());
    let merged = merge(&shards, &["--format", "json"]);
    assert_eq!(without_wall(&merged), without_wall(&single));
    let report: serde_json::Value = serde_json::from_slice(&merged).expect("JSON");
    assert_eq!(report["replications"], 5);
    assert!(
        report["warmup"]["replications"] == 5,
        "the warm-up check averaged every replication: {}",
        report["warmup"]
    );
    let sum_of_walls: f64 = shards
        .iter()
        .map(|p| {
            let shard: serde_json::Value =
                serde_json::from_slice(&std::fs::read(p).expect("shard")).expect("JSON");
            shard["wall_s"].as_f64().expect("a shard's wall time")
        })
        .sum();
    assert_eq!(
        report["wall_s"].as_f64(),
        Some(sum_of_walls),
        "the merged wall time is the shards' summed"
    );

    let table = merge(&shards, &["--format", "table"]);
    let single_table = ok(&args);
    assert_eq!(without_wall(&table), without_wall(&single_table));

    let csv_path = dir.file("report.csv");
    let csv_arg = csv_path.to_str().expect("UTF-8 path");
    let printed = merge(&shards, &["--format", "csv", "-o", csv_arg]);
    assert!(printed.is_empty());
    let csv = std::fs::read_to_string(&csv_path).expect("the CSV");
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows.len() > 4 && rows.iter().any(|r| r.starts_with("worker,")),
        "a header and a row per node: {csv}"
    );
}

#[test]
fn sweep_shards_merge_into_the_single_sweep() {
    let dir = Scratch::new("sweep");
    let args = [
        "sweep",
        QUEUE,
        "--vary",
        "worker.instances=1..2",
        "--metric",
        "worker.utilization",
        "--metric",
        "order-queue.wait_s.p99",
        "--duration",
        "90s",
        "--replications",
        "2",
    ];
    for format in ["json", "csv"] {
        let single = ok(&[&args[..], &["--format", format]].concat());
        // Four units of work: three shards split a point; seven leave some
        // empty.
        for count in [1, 2, 3, 7] {
            let shards = make_shards(&dir, "sweep", &args, count);
            let merged = merge(&shards, &["--format", format]);
            assert_eq!(
                String::from_utf8_lossy(&merged),
                String::from_utf8_lossy(&single),
                "{format}: {count} shard(s)"
            );
        }
    }
    // A warm-up found per point, each point's pilot run by the shards
    // that hold it.
    let auto = [&args[..], &["--warmup", "auto"]].concat();
    let single = ok(&[&auto[..], &["--format", "json"]].concat());
    let shards = make_shards(&dir, "auto", &auto, 3);
    assert_eq!(merge(&shards, &["--format", "json"]), single);
    let svg = merge(&shards, &["--format", "svg"]);
    assert!(
        String::from_utf8_lossy(&svg).starts_with("<svg"),
        "a picture"
    );
}

#[test]
fn missing_repeated_and_foreign_shards_are_refused_naming_the_file() {
    let dir = Scratch::new("errors");
    let args = [
        "run",
        QUEUE,
        "--duration",
        "20s",
        "--warmup",
        "2s",
        "--replications",
        "3",
    ];
    let shards = make_shards(&dir, "a", &args, 3);
    let name = |p: &Path| p.display().to_string();

    let (code, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        shards[2].as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains("missing: 1/3"), "{stderr}");

    let (code, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        shards[1].as_os_str(),
        shards[2].as_os_str(),
        shards[1].as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&name(&shards[1])) && stderr.contains("twice"),
        "{stderr}"
    );

    // Shard 1/3 of another scenario (another duration).
    let other = make_shards(
        &dir,
        "b",
        &[
            "run",
            QUEUE,
            "--duration",
            "30s",
            "--warmup",
            "2s",
            "--replications",
            "3",
        ],
        3,
    );
    let (code, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        other[1].as_os_str(),
        shards[2].as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains(&name(&other[1])) && stderr.contains("model hash"),
        "{stderr}"
    );

    // Another seed, another number of shards, another model file.
    let seeded = make_shards(&dir, "c", &[&args[..], &["--seed", "77"]].concat(), 3);
    let (_, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        seeded[1].as_os_str(),
    ]);
    assert!(
        stderr.contains(&name(&seeded[1])) && stderr.contains("seed 77"),
        "{stderr}"
    );
    let halves = make_shards(&dir, "d", &args, 2);
    let (_, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        halves[1].as_os_str(),
    ]);
    assert!(
        stderr.contains(&name(&halves[1])) && stderr.contains("one of 2 shards"),
        "{stderr}"
    );
    let crash = make_shards(
        &dir,
        "e",
        &["run", CRASH, "--duration", "3m", "--replications", "3"],
        3,
    );
    let (code, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        crash[1].as_os_str(),
        shards[2].as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(stderr.contains(&name(&crash[1])), "{stderr}");

    // Not a shard at all, and an altered one.
    let (code, _, stderr) = weir_out(&["merge", QUEUE]);
    assert_eq!(code, Some(2));
    assert!(
        stderr.contains(QUEUE) && stderr.contains("not a Weir shard"),
        "{stderr}"
    );
    let text = std::fs::read_to_string(&shards[1]).expect("shard");
    let altered = dir.file("altered.json");
    std::fs::write(&altered, text.replacen("\"events\":", "\"events\":-", 1)).expect("write");
    let (code, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        altered.as_os_str(),
        shards[2].as_os_str(),
    ]);
    assert_eq!(code, Some(2), "{stderr}");
    assert!(
        stderr.contains("altered.json") && stderr.contains("events"),
        "{stderr}"
    );

    // Usage: a shard index past the end, a format the command lacks.
    let (code, _, stderr) = weir_out(&["run", QUEUE, "--shard", "3/3"]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("from 0 to 2"), "{stderr}");
    let (code, _, stderr) = weir_out(&[
        "merge".as_ref(),
        shards[0].as_os_str(),
        shards[1].as_os_str(),
        shards[2].as_os_str(),
        "--format".as_ref(),
        "svg".as_ref(),
    ]);
    assert_eq!(code, Some(2));
    assert!(stderr.contains("json, table or csv"), "{stderr}");
}
