//! Bad input: every broken model in `tests/corpus/` fails in the specific
//! way a person editing it needs to hear about — the right line and column,
//! the right node or edge, the right words — and no input, however mangled,
//! makes the loader, the validator or the engine panic.
//!
//! Each corpus file is a small model with exactly one defect, described in
//! its first comment.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use sim_core::Simulation;
use sim_core::model::file::{self, LoadError};
use sim_core::time::Duration;
use sim_core::validate::{Diagnostic, Target, validate};

/// Where a load error must point, on its line.
#[derive(Clone, Copy, Debug)]
enum Col {
    /// Exactly this 1-based column.
    Exact(usize),
    /// At the value `text` on the line: its first character, or one
    /// either side (RON counts a value's span from the separator before it,
    /// or from inside its quotes).
    Value(&'static str),
}

/// What loading and validating a corpus file must give.
#[derive(Clone, Copy, Debug)]
enum Expect {
    /// `file::from_str` fails with a syntax error here, saying these words.
    Syntax {
        line: usize,
        col: Col,
        words: &'static [&'static str],
    },
    /// `file::from_str` fails with exactly this error.
    Load(fn() -> LoadError, &'static [&'static str]),
    /// The file loads, and the load diagnostics plus `validate` hold exactly
    /// one error: about this node or edge, saying these words.
    Invalid {
        on: On,
        words: &'static [&'static str],
    },
}

/// The node or edge a diagnostic is about, by id.
#[derive(Clone, Copy, Debug)]
enum On {
    Node(&'static str),
    Edge(&'static str),
}

impl On {
    fn target(self) -> Target {
        match self {
            Self::Node(id) => Target::Node(id.to_owned()),
            Self::Edge(id) => Target::Edge(id.to_owned()),
        }
    }

    /// How the diagnostic's one-line form starts.
    fn prefix(self) -> String {
        match self {
            Self::Node(id) => format!("error: node '{id}': "),
            Self::Edge(id) => format!("error: edge '{id}': "),
        }
    }
}

struct Case {
    file: &'static str,
    expect: Expect,
}

const CASES: &[Case] = &[
    Case {
        file: "syntax-missing-paren.ron",
        // The producer's node is left open on line 7; RON notices where the
        // next node starts, because a field name was expected there.
        expect: Expect::Syntax {
            line: 8,
            col: Col::Exact(9),
            words: &["expected identifier"],
        },
    },
    Case {
        file: "wrong-type.ron",
        expect: Expect::Syntax {
            line: 7,
            col: Col::Value("\"fast\""),
            words: &["expected float"],
        },
    },
    Case {
        file: "unknown-field.ron",
        expect: Expect::Syntax {
            line: 8,
            col: Col::Exact(35),
            words: &[
                "unknown field `capacty`",
                "in queue",
                "expected one of",
                "capacity",
                "overflow",
            ],
        },
    },
    Case {
        file: "unknown-kind.ron",
        expect: Expect::Syntax {
            line: 8,
            col: Col::Exact(29),
            words: &[
                "unknown variant `broker`",
                "expected one of",
                "producer, queue, topic, consumer, router, service, sink, deadletter",
            ],
        },
    },
    Case {
        file: "duration-words.ron",
        expect: Expect::Syntax {
            line: 9,
            col: Col::Value("\"10 minutes\""),
            words: &["\"10 minutes\" is not a duration", "\"250ms\""],
        },
    },
    Case {
        file: "duration-no-unit.ron",
        expect: Expect::Syntax {
            line: 9,
            col: Col::Value("\"15\""),
            words: &["\"15\" has no unit", "ns, us, ms, s, m, h", "\"15ms\""],
        },
    },
    Case {
        file: "duration-negative.ron",
        expect: Expect::Syntax {
            line: 9,
            col: Col::Value("\"-2s\""),
            words: &["\"-2s\" is negative"],
        },
    },
    Case {
        file: "missing-id.ron",
        // Noticed at the `)` that closes the node without an id.
        expect: Expect::Syntax {
            line: 10,
            col: Col::Exact(22),
            words: &["missing field `id`"],
        },
    },
    Case {
        file: "empty.ron",
        expect: Expect::Syntax {
            line: 1,
            col: Col::Exact(1),
            words: &["the file is empty", "(version: 1"],
        },
    },
    Case {
        file: "garbage.ron",
        expect: Expect::Syntax {
            line: 1,
            col: Col::Exact(1),
            words: &["expected a parenthesised struct"],
        },
    },
    Case {
        file: "version-too-new.ron",
        expect: Expect::Load(
            || LoadError::TooNew {
                found: 99,
                supported: file::FORMAT_VERSION,
            },
            &["version 99", "newer weir", "update weir"],
        ),
    },
    Case {
        file: "version-missing.ron",
        expect: Expect::Load(
            || LoadError::MissingVersion,
            &["no `version` field", "`version: 1,`"],
        ),
    },
    Case {
        file: "negative-rate.ron",
        expect: Expect::Invalid {
            on: On::Node("orders"),
            words: &["rate", "greater than zero", "found -5"],
        },
    },
    Case {
        file: "zero-capacity.ron",
        expect: Expect::Invalid {
            on: On::Node("inbox"),
            words: &["capacity must be at least 1"],
        },
    },
    Case {
        file: "duplicate-id.ron",
        expect: Expect::Invalid {
            on: On::Node("worker"),
            words: &["2 nodes share this id", "unique"],
        },
    },
    Case {
        file: "edge-to-missing-node.ron",
        expect: Expect::Invalid {
            on: On::Edge("worker->audit"),
            words: &["'audit'", "does not exist"],
        },
    },
    Case {
        file: "queue-to-producer.ron",
        expect: Expect::Invalid {
            on: On::Edge("inbox->orders"),
            words: &["cannot connect a queue to a producer"],
        },
    },
    Case {
        file: "cycle-no-exit.ron",
        // Reported once, on the cycle's first node by id.
        expect: Expect::Invalid {
            on: On::Node("inbox"),
            words: &["inbox → retrier → retry-q → worker", "can never leave it"],
        },
    },
    Case {
        file: "consumer-no-input.ron",
        expect: Expect::Invalid {
            on: On::Node("auditor"),
            words: &["consumer has no input"],
        },
    },
];

fn corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

fn examples_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../examples")
}

/// Every `.ron` file in `dir`, sorted.
fn ron_files(dir: &Path) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|entry| entry.expect("a readable directory entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    files.sort();
    files
}

/// A file's text as the loader would see it; bytes that are not UTF-8
/// become U+FFFD (the binary garbage file is read this way).
fn read_lossy(path: &Path) -> String {
    let bytes =
        std::fs::read(path).unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    String::from_utf8_lossy(&bytes).into_owned()
}

/// Load diagnostics followed by validation's.
fn all_diagnostics(text: &str) -> Result<Vec<Diagnostic>, LoadError> {
    let (model, mut found) = file::from_str(text)?;
    found.extend(validate(&model));
    Ok(found)
}

fn contains_all(haystack: &str, words: &[&str]) -> Result<(), String> {
    let lower = haystack.to_lowercase();
    let missing: Vec<&str> = words
        .iter()
        .copied()
        .filter(|w| !lower.contains(&w.to_lowercase()))
        .collect();
    if missing.is_empty() {
        Ok(())
    } else {
        Err(format!("the message lacks {missing:?}: {haystack}"))
    }
}

/// Checks one corpus file against its expectation; the error says why not.
fn check_case(case: &Case) -> Result<(), String> {
    let text = read_lossy(&corpus_dir().join(case.file));
    let loaded = all_diagnostics(&text);
    match case.expect {
        Expect::Syntax { line, col, words } => {
            let err = loaded.err().ok_or("it loaded; expected a syntax error")?;
            let LoadError::Syntax {
                line: found_line,
                col: found_col,
                message,
            } = &err
            else {
                return Err(format!("expected a syntax error, got {err:?}"));
            };
            if *found_line != line {
                return Err(format!("expected line {line}, got {err}"));
            }
            match col {
                Col::Exact(c) if *found_col != c => {
                    return Err(format!("expected column {c}, got {err}"));
                }
                Col::Value(value) => {
                    let source_line = text.lines().nth(line - 1).unwrap_or_default();
                    let at = source_line
                        .find(value)
                        .map(|byte| source_line[..byte].chars().count() + 1)
                        .ok_or_else(|| format!("line {line} does not hold {value}"))?;
                    if found_col.abs_diff(at) > 1 {
                        return Err(format!(
                            "expected the column of {value} ({at}, give or take one), got {err}"
                        ));
                    }
                }
                Col::Exact(_) => {}
            }
            contains_all(message, words)?;
            // The Display form leads with the place, for the CLI to print.
            let shown = err.to_string();
            let place = format!("line {line}, column {found_col}: ");
            if !shown.starts_with(&place) {
                return Err(format!("expected `{place}` first, got {shown}"));
            }
        }
        Expect::Load(expected, words) => {
            let err = loaded.err().ok_or("it loaded; expected a load error")?;
            if err != expected() {
                return Err(format!("expected {:?}, got {err:?}", expected()));
            }
            contains_all(&err.to_string(), words)?;
        }
        Expect::Invalid { on, words } => {
            let found = loaded.map_err(|e| format!("expected it to load, got {e}"))?;
            let errors: Vec<&Diagnostic> = found.iter().filter(|d| d.is_error()).collect();
            let [error] = errors.as_slice() else {
                return Err(format!(
                    "expected exactly one error (one defect per file), got {errors:#?}"
                ));
            };
            if error.target != on.target() {
                return Err(format!("expected the error on {on:?}, got {error}"));
            }
            contains_all(&error.message, words)?;
            // The one-line form names what it is about, for the CLI and GUI.
            let shown = error.to_string();
            let about = on.prefix();
            if !shown.starts_with(&about) {
                return Err(format!("expected `{about}` first, got {shown}"));
            }
            // And a model with errors does not run. (An edge to a missing
            // node is a load diagnostic: the loader leaves the edge out of
            // the model, so only the caller of `from_str` can refuse it.)
            let (model, load_diagnostics) = file::from_str(&text).map_err(|e| e.to_string())?;
            if load_diagnostics.contains(error) {
                if model.graph.edge_count() != text.matches("from:").count() - 1 {
                    return Err("the dangling edge was not the only one left out".to_owned());
                }
                return Ok(());
            }
            match Simulation::new(&model, 1) {
                Ok(_) => return Err("Simulation::new accepted a model with an error".to_owned()),
                Err(e) if !e.to_string().contains(&error.message) => {
                    return Err(format!("the run error does not repeat the problem: {e}"));
                }
                Err(_) => {}
            }
        }
    }
    Ok(())
}

#[test]
fn every_corpus_file_fails_as_expected() {
    let failures: Vec<String> = CASES
        .iter()
        .filter_map(|case| {
            check_case(case)
                .err()
                .map(|e| format!("{}: {e}", case.file))
        })
        .collect();
    assert!(
        failures.is_empty(),
        "{} corpus file(s) failed differently than expected:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

#[test]
fn the_case_table_covers_the_whole_corpus() {
    let on_disk: Vec<String> = ron_files(&corpus_dir())
        .iter()
        .filter_map(|p| p.file_name()?.to_str().map(str::to_owned))
        .collect();
    let mut in_table: Vec<String> = CASES.iter().map(|c| c.file.to_owned()).collect();
    in_table.sort();
    assert_eq!(
        on_disk, in_table,
        "every corpus file needs a case, and every case a file"
    );
}

/// The corpus files differ from one clean model by one defect each: the
/// same model with the defect undone must load and validate cleanly, or a
/// test above could pass for the wrong reason.
#[test]
fn the_corpus_template_is_clean() {
    let text =
        read_lossy(&corpus_dir().join("zero-capacity.ron")).replace("capacity: 0", "capacity: 100");
    let found = all_diagnostics(&text).expect("the template loads");
    assert!(found.is_empty(), "the template has diagnostics: {found:#?}");
    let (model, _) = file::from_str(&text).expect("the template loads");
    let result = Simulation::new(&model, 1)
        .expect("the template runs")
        .run()
        .expect("the template runs to the end");
    assert!(result.conservation.balanced(), "{:?}", result.conservation);
    assert!(
        result.conservation.completed > 0,
        "{:?}",
        result.conservation
    );
}

/// Messages talk about the file a person wrote, not about the loader's
/// Rust types.
#[test]
fn load_errors_do_not_name_internal_types() {
    let internal = ["VersionProbe", "ModelFile", "NodeDef", "EdgeDef"];
    let leaks: Vec<String> = ron_files(&corpus_dir())
        .iter()
        .filter_map(|path| {
            let err = file::from_str(&read_lossy(path)).err()?.to_string();
            internal
                .iter()
                .any(|name| err.contains(name))
                .then(|| format!("{}: {err}", path.display()))
        })
        .collect();
    assert!(leaks.is_empty(), "{}", leaks.join("\n"));
}

/// What happened to one input: it must never be a panic.
#[derive(Debug)]
enum Outcome {
    LoadError,
    Invalid,
    Ran,
}

/// Loads, validates, compiles and (if all that succeeds) runs `text` for a
/// second of simulated time, catching any panic.
fn survive(text: &str) -> Result<Outcome, String> {
    catch_unwind(AssertUnwindSafe(|| {
        let Ok((model, _load_diagnostics)) = file::from_str(text) else {
            return Outcome::LoadError;
        };
        let diagnostics = validate(&model);
        let compiled = Simulation::new(&model, 7);
        let has_errors = diagnostics.iter().any(Diagnostic::is_error);
        assert_eq!(
            compiled.is_ok(),
            !has_errors,
            "Simulation::new and validate disagree: {diagnostics:#?}"
        );
        let Ok(mut sim) = compiled else {
            return Outcome::Invalid;
        };
        // A runaway stop is an Err, which is fine; only a panic is not.
        let _ = sim.step(Duration::from_secs(1));
        let result = sim.result();
        assert!(
            result.conservation.balanced(),
            "conservation does not add up: {:?}",
            result.conservation
        );
        Outcome::Ran
    }))
    .map_err(|payload| {
        payload
            .downcast_ref::<String>()
            .cloned()
            .or_else(|| payload.downcast_ref::<&str>().map(|s| (*s).to_owned()))
            .unwrap_or_else(|| "a panic without a message".to_owned())
    })
}

#[test]
fn no_corpus_file_panics() {
    for path in ron_files(&corpus_dir()) {
        let outcome = survive(&read_lossy(&path))
            .unwrap_or_else(|panic| panic!("{} panicked: {panic}", path.display()));
        // The one defect that leaves a runnable model is an edge to a
        // missing node, which the loader reports and leaves out.
        let runnable = path.ends_with("edge-to-missing-node.ron");
        assert_eq!(
            matches!(outcome, Outcome::Ran),
            runnable,
            "{}: {outcome:?}",
            path.display()
        );
    }
}

/// Truncations of every example at every 7th byte, and copies with one
/// character overwritten at every 13th: each loads or fails, never panics.
#[test]
fn mangled_examples_never_panic() {
    let examples = ron_files(&examples_dir());
    assert!(examples.len() >= 5, "examples missing: {examples:?}");
    let mut panics = Vec::new();
    let mut tried = 0;
    let mut ran = 0;
    let mut record = |what: String, text: &str| {
        tried += 1;
        match survive(text) {
            Ok(Outcome::Ran) => ran += 1,
            Ok(_) => {}
            Err(panic) => panics.push(format!("{what}: {panic}")),
        }
    };
    for path in &examples {
        let bytes = std::fs::read(path).expect("an example is readable");
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        for end in (0..bytes.len()).step_by(7) {
            // Cuts may fall inside a multi-byte character: lossy, like a
            // real half-written file.
            record(
                format!("{name} cut at byte {end}"),
                &String::from_utf8_lossy(&bytes[..end]),
            );
        }
        let replacements = [b')', b'"', b'-', b'9', b'[', b',', b' ', b'x'];
        for (i, at) in (0..bytes.len()).step_by(13).enumerate() {
            let mut mangled = bytes.clone();
            let with = replacements[i % replacements.len()];
            mangled[at] = with;
            record(
                format!("{name} with byte {at} set to {:?}", char::from(with)),
                &String::from_utf8_lossy(&mangled),
            );
        }
    }
    assert!(
        panics.is_empty(),
        "{} of {tried} mangled inputs panicked:\n{}",
        panics.len(),
        panics.join("\n")
    );
    // Overwriting a comment or a name leaves a valid model, so some run:
    // the running path was exercised too.
    assert!(ran > 0, "none of {tried} mangled inputs ran");
}
