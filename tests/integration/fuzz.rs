//! A mutation fuzzer over the bundled examples, on stable Rust and inside
//! `cargo test`: each execution mutates an example's text (or its AsyncAPI
//! export), then parses, validates, and — when the model is valid — runs
//! one simulated second, exports it, and checks that every message is
//! accounted for and that a second run from the same seed tells the same
//! story.
//!
//! A finding is a panic, an unbalanced run, a run that differs from its
//! twin, or a step of simulated time that takes too long. Each input is
//! written to `target/fuzz/current.*` before it runs (so a hang leaves it
//! on disk) and each finding to `target/fuzz/finding-*.ron|yaml`.
//!
//! The default test runs a fixed, seeded number of executions. A longer
//! campaign is one command:
//!
//! ```sh
//! WEIR_FUZZ_EXECS=200000 WEIR_FUZZ_SEED=7 cargo test --release -p weir-tests \
//!     --test integration fuzz -- --nocapture
//! ```
//!
//! and a finding is replayed alone with
//! `WEIR_FUZZ_REPLAY=target/fuzz/finding-….ron cargo test -p weir-tests --test integration fuzz`.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::PathBuf;
use std::time::{Duration as Wall, Instant};

use sim_core::export::{Format, asyncapi, export, export_run};
use sim_core::model::file;
use sim_core::time::{NANOS_PER_SEC, SimTime};
use sim_core::validate::{Diagnostic, validate};
use sim_core::{Model, Simulation};

/// Executions in the default test run (under a minute in a debug build).
const DEFAULT_EXECS: u64 = 20_000;

/// Simulated time each valid model runs for.
const RUN_FOR: u64 = NANOS_PER_SEC;

/// The slice of simulated time between two looks at the wall clock.
const SLICE: u64 = NANOS_PER_SEC / 1_000;

/// A slice that takes longer than this is a finding: one simulated
/// millisecond must never take this long on a valid model.
const SLICE_LIMIT: Wall = Wall::from_secs(20);

/// A whole execution stops (without a finding) after this much wall time,
/// so that a heavy but progressing model does not eat the run.
const CASE_BUDGET: Wall = Wall::from_secs(3);

/// Messages in flight are capped at this in the fuzzer, to keep memory
/// bounded whatever the mutation did to the scenario.
const FUZZ_MAX_IN_FLIGHT: u64 = 200_000;

/// A small deterministic generator (xorshift64*), seeded per campaign.
struct Gen(u64);

impl Gen {
    fn new(seed: u64) -> Self {
        Self(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// A number in `0..n` (`n > 0`).
    fn below(&mut self, n: usize) -> usize {
        usize::try_from(self.next() % n as u64).expect("below n")
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len())]
    }
}

/// Values at and beyond the edges of what a field may hold.
const EXTREME_NUMBERS: &[&str] = &[
    "0",
    "1",
    "-1",
    "2",
    "0.0",
    "0.5",
    "1e-300",
    "1e308",
    "-1e308",
    "1e39",
    "4294967295",
    "4294967296",
    "18446744073709551615",
    "99999999999999999999",
    "65535",
    "1000000",
    "1e12",
    "NaN",
    "inf",
    "-inf",
];

const EXTREME_DURATIONS: &[&str] = &[
    "\"0ns\"",
    "\"1ns\"",
    "\"1us\"",
    "\"5124095h\"",
    "\"18446744073709551615ns\"",
    "\"18446744073709551616ns\"",
    "\"100000h\"",
    "\"\"",
    "\"-1s\"",
    "\"1.5\"",
];

const TOKENS: &[&str] = &[
    "(",
    ")",
    "[",
    "]",
    ",",
    ":",
    "\"",
    "Some(",
    "None",
    "x",
    "\u{feff}",
    "\0",
    "//",
    "/*",
    "{",
    "}",
    "\n",
    "Some(Some(",
];

/// Byte ranges of numbers, of quoted strings, and line starts in `text`.
struct Tokens {
    numbers: Vec<(usize, usize)>,
    strings: Vec<(usize, usize)>,
    lines: Vec<usize>,
}

fn tokens(text: &str) -> Tokens {
    let bytes = text.as_bytes();
    let mut t = Tokens {
        numbers: Vec::new(),
        strings: Vec::new(),
        lines: vec![0],
    };
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\n' {
            t.lines.push(i + 1);
            i += 1;
        } else if b == b'"' {
            let start = i;
            i += 1;
            while i < bytes.len() && bytes[i] != b'"' && bytes[i] != b'\n' {
                i += 1;
            }
            i = (i + 1).min(bytes.len());
            t.strings.push((start, i));
        } else if b.is_ascii_digit()
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
        {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_digit()
                    || bytes[i] == b'.'
                    || bytes[i] == b'e'
                    || bytes[i] == b'_')
            {
                i += 1;
            }
            t.numbers.push((start, i));
        } else {
            i += 1;
        }
    }
    t
}

/// `text` with one random mutation applied; `other` is a second example
/// to splice lines from.
fn mutate(g: &mut Gen, text: &str, other: &str) -> String {
    let t = tokens(text);
    let replace =
        |(a, b): (usize, usize), with: &str| format!("{}{with}{}", &text[..a], &text[b..]);
    let char_at = |at: usize| {
        let mut at = at.min(text.len());
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        at
    };
    match g.below(12) {
        0..=4 if !t.numbers.is_empty() => {
            let span = g.pick(&t.numbers);
            {
                let value = g.pick(EXTREME_NUMBERS);
                replace(span, value)
            }
        }
        5 | 6 if !t.strings.is_empty() => {
            let span = g.pick(&t.strings);
            if g.below(2) == 0 {
                {
                    let value = g.pick(EXTREME_DURATIONS);
                    replace(span, value)
                }
            } else {
                // Another string of the file in its place: ids swapped,
                // edges dangling or turned into loops, types renamed.
                let (a, b) = g.pick(&t.strings);
                replace(span, &text[a..b])
            }
        }
        7 => {
            let at = char_at(g.below(text.len() + 1));
            let len = 1 + g.below(40);
            let end = char_at(at + len);
            replace((at, end), "")
        }
        8 => {
            let line = g.below(t.lines.len());
            let start = t.lines[line];
            let end = t.lines.get(line + 1).copied().unwrap_or(text.len());
            let copies = if g.below(4) == 0 { 50 } else { 1 };
            let dup = text[start..end].repeat(copies);
            format!("{}{dup}{}", &text[..end], &text[end..])
        }
        9 => {
            let at = char_at(g.below(text.len() + 1));
            {
                let token = g.pick(TOKENS);
                replace((at, at), token)
            }
        }
        10 => {
            let theirs = tokens(other).lines;
            let i = g.below(theirs.len());
            let (a, b) = (theirs[i], theirs.get(i + 1).copied().unwrap_or(other.len()));
            let at = g.pick(&t.lines);
            format!("{}{}{}", &text[..at], &other[a..b], &text[at..])
        }
        _ => {
            // Swap two lines.
            let n = t.lines.len();
            if n < 3 {
                return text.to_owned();
            }
            let mut lines: Vec<&str> = text.split_inclusive('\n').collect();
            let (i, j) = (g.below(lines.len()), g.below(lines.len()));
            lines.swap(i, j);
            lines.concat()
        }
    }
}

/// What one execution came to (findings are panics raised by `execute`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Outcome {
    /// The text did not parse (with a message).
    Rejected,
    /// It parsed, and validation found errors.
    Invalid,
    /// It ran its simulated second (or until the run stopped itself with
    /// a diagnostic).
    Ran,
    /// It ran, and a run error stopped it with a diagnostic.
    Stopped,
    /// It was still progressing when its wall-time budget ran out.
    Slow,
}

/// Parses, validates, runs and exports one input; panics on a finding.
pub(crate) fn execute(text: &str, yaml: bool, twin: bool) -> Outcome {
    let parsed = if yaml {
        asyncapi::import(text).map_err(|e| e.to_string())
    } else {
        file::from_str(text).map_err(|e| e.to_string())
    };
    let (mut model, diagnostics) = match parsed {
        Ok(m) => m,
        Err(message) => {
            assert!(!message.trim().is_empty(), "an error without a message");
            return Outcome::Rejected;
        }
    };
    let mut all = diagnostics;
    all.extend(validate(&model));
    for d in &all {
        assert!(
            !d.to_string().trim().is_empty(),
            "a diagnostic without words"
        );
    }
    if all.iter().any(Diagnostic::is_error) {
        return Outcome::Invalid;
    }
    // A valid model exports in every model format.
    for format in Format::ALL {
        if !(format.needs_report() || format.needs_trace() || format.needs_run())
            && let Err(e) = export(&model, format)
        {
            panic!("a valid model does not export as {format}: {e}");
        }
    }
    model.scenario.max_in_flight = model.scenario.max_in_flight.min(FUZZ_MAX_IN_FLIGHT);
    let first = run(&model);
    if twin && first.0 != Outcome::Slow {
        let second = run(&model);
        assert_eq!(first, second, "the same model and seed ran differently");
    }
    first.0
}

/// Runs one simulated second in slices; the outcome and a fingerprint of
/// the result.
fn run(model: &Model) -> (Outcome, String) {
    let mut sim = match Simulation::new(model, model.scenario.seed) {
        Ok(sim) => sim,
        Err(e) => return (Outcome::Stopped, e.to_string()),
    };
    let started = Instant::now();
    let mut at = 0;
    while at < RUN_FOR && !sim.is_finished() {
        at += SLICE;
        let slice = Instant::now();
        let stepped = sim.run_until(SimTime(at));
        let took = slice.elapsed();
        assert!(
            took < SLICE_LIMIT,
            "one simulated millisecond (to {at} ns) took {took:?}"
        );
        if let Err(e) = stepped {
            let message = e.to_string();
            assert!(!message.trim().is_empty(), "a run error without a message");
            return (Outcome::Stopped, message);
        }
        if started.elapsed() > CASE_BUDGET {
            return (Outcome::Slow, String::new());
        }
    }
    let result = sim.result();
    assert!(
        result.conservation.balanced(),
        "messages lost or invented: {:?}",
        result.conservation
    );
    for format in Format::ALL {
        if format.needs_run()
            && let Err(e) = export_run(&result, format)
        {
            panic!("a run does not export as {format}: {e}");
        }
    }
    (Outcome::Ran, format!("{result:?}"))
}

fn examples() -> Vec<(String, String)> {
    weir_tests::examples()
        .into_iter()
        .map(|(path, text)| {
            let name = path.file_name().expect("name").to_string_lossy();
            (name.into_owned(), text)
        })
        .collect()
}

fn env_u64(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[test]
fn mutated_examples_never_panic_hang_or_lose_messages() {
    if let Ok(path) = std::env::var("WEIR_FUZZ_REPLAY") {
        // Relative to the workspace, where the command runs.
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let text = std::fs::read_to_string(root.join(&path)).expect("the input to replay");
        let outcome = execute(&text, path.ends_with(".yaml"), true);
        println!("fuzz: {path} ended {outcome:?}");
        return;
    }
    let execs = env_u64("WEIR_FUZZ_EXECS", DEFAULT_EXECS);
    let seed = env_u64("WEIR_FUZZ_SEED", 1);
    let out = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/fuzz");
    std::fs::create_dir_all(&out).expect("fuzz output folder");

    let ron = examples();
    assert!(ron.len() >= 10, "the examples are missing");
    let yaml: Vec<String> = ron
        .iter()
        .map(|(_, text)| {
            let (model, _) = file::from_str(text).expect("example loads");
            asyncapi::to_yaml(&model).expect("example exports")
        })
        .collect();

    let mut g = Gen::new(seed);
    let mut counts = std::collections::BTreeMap::new();
    let mut findings = Vec::new();
    for exec in 0..execs {
        let is_yaml = g.below(6) == 0;
        let i = g.below(ron.len());
        let j = g.below(ron.len());
        let (mut text, other) = if is_yaml {
            (yaml[i].clone(), yaml[j].as_str())
        } else {
            (ron[i].1.clone(), ron[j].1.as_str())
        };
        for _ in 0..=g.below(4) {
            text = mutate(&mut g, &text, other);
        }
        let ext = if is_yaml { "yaml" } else { "ron" };
        std::fs::write(out.join(format!("current.{ext}")), &text).expect("write current input");
        let twin = exec % 8 == 0;
        match catch_unwind(AssertUnwindSafe(|| execute(&text, is_yaml, twin))) {
            Ok(outcome) => *counts.entry(format!("{outcome:?}")).or_insert(0u64) += 1,
            Err(panic) => {
                let message = panic
                    .downcast_ref::<String>()
                    .cloned()
                    .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                    .unwrap_or_default();
                let path = out.join(format!("finding-{seed}-{exec}.{ext}"));
                std::fs::write(&path, &text).expect("write finding");
                findings.push(format!("execution {exec} ({}): {message}", path.display()));
            }
        }
    }
    println!("fuzz: {execs} executions from seed {seed}: {counts:?}");
    assert!(
        findings.is_empty(),
        "{} findings in {execs} executions:\n{}",
        findings.len(),
        findings.join("\n")
    );
    // The mutations must reach every stage, or the fuzzer tests little.
    for stage in ["Rejected", "Invalid", "Ran"] {
        assert!(
            counts.get(stage).copied().unwrap_or(0) * 20 >= execs,
            "too few executions ended {stage}: {counts:?}"
        );
    }
}
