//! The `weir` binary misused as an attacker would: standard output on a
//! full disk (`/dev/full`) or a pipe whose reader has gone, output paths
//! that cannot be written, more replications than memory allows, a flag
//! that does not exist. Each case checks the exit status, that nothing
//! panicked, the wall time, and the process's peak memory.
//!
//! Peak memory is the child's `VmHWM` ("high water mark" of its resident
//! set) read from `/proc/<pid>/status` every few milliseconds while it
//! runs: the workspace forbids `unsafe`, which `getrusage`/`wait4` through
//! `libc` would need. `VmHWM` only grows, so the last reading before the
//! process exits misses at most what it allocated in one polling interval.

use std::io::Read as _;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cli::{weir, workspace};

/// No case may take longer than this in a debug build; they all take a
/// few seconds at most.
const WALL_LIMIT: Duration = Duration::from_secs(60);

/// What a run's standard output is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stdout {
    /// A pipe this test reads to the end.
    Read,
    /// `/dev/full`: every write fails with "no space left on device".
    Full,
    /// A pipe whose reading end is closed before `weir` writes anything.
    Closed,
}

/// What one run of `weir` did.
#[derive(Debug)]
struct Ran {
    code: Option<i32>,
    stdout: String,
    stderr: String,
    wall: Duration,
    /// Peak resident memory, in KiB.
    peak_kib: u64,
}

impl Ran {
    /// Panics, showing the run, unless the status is `code`, nothing
    /// panicked, and the wall time and peak memory are within bounds.
    fn expect(&self, code: i32, max_wall: Duration, max_mib: u64, why: &str) -> &Self {
        assert_eq!(self.code, Some(code), "{why}: exit status\n{self:#?}");
        assert!(
            !self.stderr.contains("panicked"),
            "{why}: weir panicked\n{self:#?}"
        );
        assert!(
            self.wall <= max_wall,
            "{why}: took {:?}, more than {max_wall:?}\n{self:#?}",
            self.wall
        );
        assert!(
            self.peak_kib <= max_mib * 1024,
            "{why}: peak memory {} MiB, more than {max_mib} MiB\n{self:#?}",
            self.peak_kib / 1024
        );
        self
    }
}

/// The high-water mark of a process's resident memory, in KiB, while it
/// is alive.
fn vm_hwm_kib(pid: u32) -> Option<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// Runs `weir` with `args` from the workspace root, measuring it.
fn weir_measured(args: &[&str], stdout: Stdout) -> Ran {
    let mut command = Command::new(weir());
    command
        .current_dir(workspace())
        .args(args)
        .stdin(Stdio::null())
        .stderr(Stdio::piped());
    match stdout {
        Stdout::Read | Stdout::Closed => command.stdout(Stdio::piped()),
        Stdout::Full => {
            command.stdout(std::fs::File::create("/dev/full").expect("/dev/full opens for writing"))
        }
    };
    let started = Instant::now();
    let mut child = command
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start weir {args:?}: {e}"));
    let pid = child.id();
    let out = child.stdout.take();
    let out = match stdout {
        Stdout::Closed => {
            drop(out);
            None
        }
        _ => out,
    };
    let read_all = |pipe: Option<Box<dyn std::io::Read + Send>>| {
        std::thread::spawn(move || {
            let mut text = Vec::new();
            if let Some(mut pipe) = pipe {
                let _ = pipe.read_to_end(&mut text);
            }
            String::from_utf8_lossy(&text).into_owned()
        })
    };
    let stdout_reader = read_all(out.map(|p| Box::new(p) as Box<dyn std::io::Read + Send>));
    let stderr_reader = read_all(
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn std::io::Read + Send>),
    );
    let mut peak_kib = 0;
    let status = loop {
        if let Some(kib) = vm_hwm_kib(pid) {
            peak_kib = peak_kib.max(kib);
        }
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) => {}
            Err(e) => panic!("cannot wait for weir {args:?}: {e}"),
        }
        if started.elapsed() > WALL_LIMIT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("weir {args:?} ran for more than {WALL_LIMIT:?}: killed");
        }
        std::thread::sleep(Duration::from_millis(2));
    };
    let wall = started.elapsed();
    Ran {
        code: status.code(),
        stdout: stdout_reader.join().expect("stdout reader"),
        stderr: stderr_reader.join().expect("stderr reader"),
        wall,
        peak_kib,
    }
}

/// A folder of its own under the system's temporary folder, emptied.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("weir-hardening-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir
}

const MODEL: &str = "examples/backpressure.ron";
const SECONDS: Duration = Duration::from_secs(20);

#[test]
fn a_full_disk_on_standard_output_is_an_error_with_a_message() {
    let dir = scratch("full");
    let spec = dir.join("spec.yaml");
    let spec = spec.to_str().expect("a UTF-8 path");
    weir_measured(
        &["export", MODEL, "--format", "asyncapi", "-o", spec],
        Stdout::Read,
    )
    .expect(0, SECONDS, 200, "an AsyncAPI document to import");
    let cases: [&[&str]; 8] = [
        &["check", MODEL],
        &["run", MODEL, "--duration", "5s"],
        &["run", MODEL, "--duration", "5s", "--json", "-"],
        &["export", MODEL, "--format", "dot"],
        &["export", MODEL, "--format", "json"],
        &["export", MODEL, "--format", "series"],
        &["import", spec],
        &["--help"],
    ];
    for args in cases {
        let ran = weir_measured(args, Stdout::Full);
        ran.expect(2, SECONDS, 200, &format!("weir {args:?} > /dev/full"));
        assert!(
            ran.stderr
                .contains("weir: cannot write to standard output: No space left on device"),
            "weir {args:?} > /dev/full says why:\n{ran:#?}"
        );
    }
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn a_closed_pipe_on_standard_output_ends_quietly() {
    let cases: [&[&str]; 5] = [
        &["check", MODEL],
        &["run", MODEL, "--duration", "5s"],
        &["run", MODEL, "--duration", "5s", "--json", "-"],
        &["export", MODEL, "--format", "mermaid"],
        &["--version"],
    ];
    for args in cases {
        let ran = weir_measured(args, Stdout::Closed);
        ran.expect(0, SECONDS, 200, &format!("weir {args:?} | (closed)"));
        assert!(
            ran.stderr.is_empty(),
            "weir {args:?} into a closed pipe says nothing:\n{ran:#?}"
        );
    }
}

#[test]
fn unwritable_output_paths_are_refused_before_any_run() {
    let dir = scratch("paths");
    let missing = dir.join("no-such-folder").join("report.json");
    let missing = missing.to_str().expect("a UTF-8 path");
    let folder = dir.to_str().expect("a UTF-8 path");
    let under_a_file = "Cargo.toml/report.json";
    // Ten simulated hours of the pipeline take minutes: a check after the
    // run would blow the time bound.
    let long_run = ["run", "examples/pipeline.ron", "--duration", "10h"];
    for (path, says) in [
        (missing, "does not exist"),
        (under_a_file, "Cargo.toml is a file, not a folder"),
        (folder, "it is a folder"),
    ] {
        let mut args = long_run.to_vec();
        args.extend(["--json", path]);
        let ran = weir_measured(&args, Stdout::Read);
        ran.expect(2, Duration::from_secs(10), 200, &format!("--json {path}"));
        assert!(
            ran.stderr
                .starts_with(&format!("weir: cannot write {path}: "))
                && ran.stderr.contains(says),
            "--json {path}: the message names the path and why:\n{ran:#?}"
        );
        assert!(ran.stdout.is_empty(), "nothing ran:\n{ran:#?}");
    }
    for args in [
        &[
            "export",
            "examples/pipeline.ron",
            "--format",
            "json",
            "-o",
            missing,
        ][..],
        &[
            "export",
            "examples/pipeline.ron",
            "--format",
            "dot",
            "-o",
            missing,
        ],
        &["import", "no-such-spec.yaml", "-o", missing],
    ] {
        let ran = weir_measured(args, Stdout::Read);
        ran.expect(2, Duration::from_secs(10), 200, &format!("{args:?}"));
        assert!(
            ran.stderr
                .contains(&format!("weir: cannot write {missing}")),
            "{args:?}: the output path is refused first:\n{ran:#?}"
        );
    }
    // Finding out that a new file can be written leaves nothing behind
    // when the command then fails.
    let fresh = dir.join("fresh.json");
    let fresh_path = fresh.to_str().expect("a UTF-8 path");
    let ran = weir_measured(
        &["run", "no-such-model.ron", "--json", fresh_path],
        Stdout::Read,
    );
    ran.expect(2, SECONDS, 200, "a model that is not there");
    assert!(
        ran.stderr.contains("cannot read no-such-model.ron"),
        "{ran:#?}"
    );
    assert!(!fresh.exists(), "the test write was not removed");
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn many_replications_stream_in_bounded_memory() {
    // Each of the pipeline's runs holds about 70 KiB of histograms and
    // series: kept until the end, 2000 of them took 170 MiB.
    let ran = weir_measured(
        &[
            "run",
            "examples/pipeline.ron",
            "--replications",
            "2000",
            "--duration",
            "2s",
            "--warmup",
            "0s",
            "--json",
            "-",
        ],
        Stdout::Read,
    );
    ran.expect(0, WALL_LIMIT, 80, "2000 replications");
    let report: Value = serde_json::from_str(&ran.stdout).expect("a JSON report");
    assert_eq!(report["replications"], 2000);
    assert_eq!(report["seeds"].as_array().map(Vec::len), Some(2000));
    let nodes = report["nodes"].as_object().expect("nodes");
    assert!(
        !nodes.is_empty() && nodes.values().all(|node| node["ci95"].is_object()),
        "confidence intervals over the replications:\n{:#}",
        report["nodes"]
    );
}

#[test]
fn replications_beyond_the_maximum_are_refused_at_once() {
    for n in ["4294967295", "100001", "0"] {
        let ran = weir_measured(&["run", MODEL, "--replications", n], Stdout::Read);
        ran.expect(2, SECONDS, 100, &format!("--replications {n}"));
        assert!(
            ran.stderr
                .contains(&format!("invalid value '{n}' for '--replications"))
                && ran.stderr.contains("1..=100000"),
            "--replications {n}: says what is allowed:\n{ran:#?}"
        );
    }
    // The same bound holds for a scenario's own count.
    let dir = scratch("replications");
    let model = dir.join("many.ron");
    let text = std::fs::read_to_string(workspace().join(MODEL)).expect("the example reads");
    let text = text.replacen("seed: 11,", "seed: 11, replications: 4294967295,", 1);
    assert!(
        text.contains("replications: 4294967295"),
        "the scenario changed"
    );
    std::fs::write(&model, text).expect("the model writes");
    let ran = weir_measured(
        &["run", model.to_str().expect("a UTF-8 path")],
        Stdout::Read,
    );
    assert!(
        matches!(ran.code, Some(1 | 2)) && ran.stderr.contains("replications"),
        "a scenario asking for 4294967295 replications is refused:\n{ran:#?}"
    );
    ran.expect(
        ran.code.unwrap_or(0),
        SECONDS,
        100,
        "replications: 4294967295",
    );
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn an_unknown_flag_is_a_usage_error() {
    let ran = weir_measured(&["run", MODEL, "--frobnicate"], Stdout::Read);
    ran.expect(2, SECONDS, 100, "an unknown flag");
    assert!(ran.stdout.is_empty(), "{ran:#?}");
    assert!(
        ran.stderr.contains("unexpected argument '--frobnicate'"),
        "{ran:#?}"
    );
}
