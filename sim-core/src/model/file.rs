//! The model file: versioned, hand-editable RON.
//!
//! ```ron
//! (
//!     version: 1,
//!     name: "Single queue",
//!     scenario: (duration: "10m", seed: 7),
//!     nodes: [
//!         (id: "orders", kind: Producer(arrival: Poisson(rate: 90.0))),
//!         (id: "inbox", kind: Queue()),
//!         (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
//!     ],
//!     edges: [
//!         (from: "orders", to: "inbox"),
//!         (from: "inbox", to: "worker"),
//!     ],
//! )
//! ```
//!
//! Reading names the line and column of any mistake and what was expected;
//! an unknown field is an error, never silently ignored. A file from a newer
//! version of Weir is refused; older versions are migrated. Writing is
//! deterministic, so save → load → save gives the same bytes.

use ron::extensions::Extensions;
use ron::ser::PrettyConfig;
use serde::{Deserialize, Serialize};

use super::{Edge, Model, Node, Scenario, default_edge_id};
use crate::nodes::NodeKind;
use crate::time::Duration;
use crate::validate::{Diagnostic, Target};

/// The format version this build writes and the newest it reads.
pub const FORMAT_VERSION: u32 = 1;

/// Why a file could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LoadError {
    #[error("line {line}, column {col}: {message}")]
    Syntax {
        line: usize,
        col: usize,
        message: String,
    },
    #[error(
        "the file has no `version` field; Weir model files start with `version: {FORMAT_VERSION},`"
    )]
    MissingVersion,
    #[error("there is no format version 0; the first is 1")]
    NoSuchVersion,
    #[error(
        "the file is format version {found}, written by a newer Weir; this build reads versions up to {supported}. Update Weir to open it"
    )]
    TooNew { found: u32, supported: u32 },
}

/// The file's shape, version 1.
#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct ModelFile {
    version: u32,
    name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    description: String,
    #[serde(default)]
    scenario: Scenario,
    nodes: Vec<NodeDef>,
    #[serde(default)]
    edges: Vec<EdgeDef>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeDef {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    kind: NodeKind,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pos: Option<(f32, f32)>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct EdgeDef {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    from: String,
    to: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    latency: Option<Duration>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    filter: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    weight: Option<f64>,
}

/// Only the version, read before anything else.
#[derive(Deserialize)]
struct VersionProbe {
    version: Option<u32>,
}

fn options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(Extensions::UNWRAP_VARIANT_NEWTYPES | Extensions::IMPLICIT_SOME)
        .with_recursion_limit(64)
}

fn syntax_error(text: &str, err: &ron::error::SpannedError) -> LoadError {
    if text.trim().is_empty() {
        return LoadError::Syntax {
            line: 1,
            col: 1,
            message: format!(
                "the file is empty; a Weir model starts with `(version: {FORMAT_VERSION}, name: \"…\", …`"
            ),
        };
    }
    let (line, col) = skip_blanks(text, err.span.start.line, err.span.start.col);
    LoadError::Syntax {
        line,
        col,
        message: describe(&err.code),
    }
}

/// RON reports some errors at the blank before the offending value; point
/// at the value itself.
fn skip_blanks(text: &str, line: usize, col: usize) -> (usize, usize) {
    let Some(row) = text.lines().nth(line.saturating_sub(1)) else {
        return (line, col);
    };
    let skipped = row
        .chars()
        .skip(col.saturating_sub(1))
        .take_while(|c| *c == ' ' || *c == '\t')
        .count();
    if col.saturating_sub(1) + skipped < row.chars().count() {
        (line, col + skipped)
    } else {
        (line, col)
    }
}

/// How a Rust type behind the format is called in messages.
fn place(outer: Option<&str>) -> String {
    let name = match outer {
        None => return String::new(),
        Some("ModelFile" | "VersionProbe") => "the model",
        Some("NodeDef") => "a node",
        Some("EdgeDef") => "an edge",
        Some("Scenario") => "the scenario",
        Some("NodeKind") => "the node kind",
        Some("Dist") => "the distribution",
        Some("Arrival") => "the arrival process",
        Some("RetryPolicy") => "the retry policy",
        Some(other) => return format!(" in {}", other.strip_suffix("Params").unwrap_or(other)),
    };
    format!(" in {name}")
}

/// RON's error, in words for someone editing a model file.
fn describe(code: &ron::Error) -> String {
    use ron::Error as E;
    let list = |expected: &[&str]| {
        if expected.is_empty() {
            "it takes no fields".to_owned()
        } else {
            format!("expected one of: {}", expected.join(", "))
        }
    };
    match code {
        E::NoSuchStructField {
            expected,
            found,
            outer,
        } => {
            format!(
                "unknown field `{found}`{}; {}",
                place(outer.as_deref()),
                list(expected)
            )
        }
        E::MissingStructField { field, outer } => {
            format!("missing field `{field}`{}", place(outer.as_deref()))
        }
        E::NoSuchEnumVariant {
            expected,
            found,
            outer,
        } => {
            format!(
                "unknown variant `{found}`{}; {}",
                place(outer.as_deref()),
                list(expected)
            )
        }
        E::DuplicateStructField { field, outer } => {
            format!(
                "the field `{field}` appears twice{}",
                place(outer.as_deref())
            )
        }
        E::ExpectedDifferentStructName { .. } => {
            "a model is written as an unnamed struct: `(version: 1, …)`".to_owned()
        }
        E::ExpectedNamedStructLike(_) | E::ExpectedStructLike => {
            "expected a parenthesised struct, like `(field: value, …)`".to_owned()
        }
        other => {
            let text = other.to_string();
            ["VersionProbe", "ModelFile", "NodeDef", "EdgeDef"]
                .iter()
                .fold(text, |t, internal| t.replace(&format!(" `{internal}`"), ""))
        }
    }
}

/// Reads a model from RON text. Edges that name missing nodes cannot be
/// placed in the graph: they are left out and reported as errors in the
/// returned diagnostics.
pub fn from_str(text: &str) -> Result<(Model, Vec<Diagnostic>), LoadError> {
    let probe: VersionProbe = options()
        .from_str(text)
        .map_err(|e| syntax_error(text, &e))?;
    match probe.version {
        None => return Err(LoadError::MissingVersion),
        Some(v) if v > FORMAT_VERSION => {
            return Err(LoadError::TooNew {
                found: v,
                supported: FORMAT_VERSION,
            });
        }
        Some(0) => return Err(LoadError::NoSuchVersion),
        Some(_) => {}
    }
    let file: ModelFile = options()
        .from_str(text)
        .map_err(|e| syntax_error(text, &e))?;
    Ok(from_file(migrate(file)))
}

/// Brings an older file up to [`FORMAT_VERSION`]. Version 1 is the first
/// format, so there is nothing to convert yet; each later version adds a
/// step here that rewrites its predecessor's fields.
fn migrate(file: ModelFile) -> ModelFile {
    ModelFile {
        version: FORMAT_VERSION,
        ..file
    }
}

fn from_file(file: ModelFile) -> (Model, Vec<Diagnostic>) {
    let mut model = Model {
        name: file.name,
        description: file.description,
        scenario: file.scenario,
        graph: petgraph::stable_graph::StableGraph::default(),
    };
    let mut diagnostics = Vec::new();
    let mut index = Vec::with_capacity(file.nodes.len());
    for def in file.nodes {
        let id = def.id.clone();
        let ix = model.add_node(Node {
            id: def.id,
            name: def.name,
            kind: def.kind,
            pos: def.pos.map(|(x, y)| [x, y]),
        });
        index.push((id, ix));
    }
    let find = |id: &str| index.iter().find(|(i, _)| i == id).map(|&(_, ix)| ix);
    for def in file.edges {
        let edge_id = def
            .id
            .clone()
            .unwrap_or_else(|| default_edge_id(&def.from, &def.to));
        match (find(&def.from), find(&def.to)) {
            (Some(a), Some(b)) => {
                model.add_edge(
                    a,
                    b,
                    Edge {
                        id: def.id,
                        latency: def.latency,
                        filter: def.filter,
                        weight: def.weight,
                    },
                );
            }
            (from, to) => {
                let missing: Vec<&str> = [(from, &def.from), (to, &def.to)]
                    .into_iter()
                    .filter(|(ix, _)| ix.is_none())
                    .map(|(_, id)| id.as_str())
                    .collect();
                diagnostics.push(Diagnostic::error(
                    Target::Edge(edge_id),
                    format!(
                        "the edge refers to {}, which {} not exist",
                        missing
                            .iter()
                            .map(|m| format!("'{m}'"))
                            .collect::<Vec<_>>()
                            .join(" and "),
                        if missing.len() == 1 { "does" } else { "do" }
                    ),
                ));
            }
        }
    }
    (model, diagnostics)
}

/// Why a model could not be written as RON text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the model could not be written as RON: {message}")]
pub struct SaveError {
    /// The serialiser's own words.
    pub message: String,
}

/// Writes a model as RON text, deterministically; a comment saying why
/// if it cannot be written. Saving a file uses [`try_to_string`], which
/// reports that as an error instead.
pub fn to_string(model: &Model) -> String {
    try_to_string(model)
        .unwrap_or_else(|e| format!("// Weir could not write this model: {}\n\n", e.message))
}

/// Writes a model as RON text, deterministically: the same text as
/// [`to_string`], or why the serialiser refused.
pub fn try_to_string(model: &Model) -> Result<String, SaveError> {
    let graph = &model.graph;
    let file = ModelFile {
        version: FORMAT_VERSION,
        name: model.name.clone(),
        description: model.description.clone(),
        scenario: model.scenario.clone(),
        nodes: graph
            .node_indices()
            .map(|n| {
                let node = &graph[n];
                NodeDef {
                    id: node.id.clone(),
                    name: node.name.clone(),
                    kind: node.kind.clone(),
                    pos: node.pos.map(|[x, y]| (x, y)),
                }
            })
            .collect(),
        edges: graph
            .edge_indices()
            .filter_map(|e| {
                let (a, b) = graph.edge_endpoints(e)?;
                let edge = &graph[e];
                let (from, to) = (graph[a].id.clone(), graph[b].id.clone());
                // An explicit id equal to the default is written as the default.
                let id = edge
                    .id
                    .clone()
                    .filter(|id| *id != default_edge_id(&from, &to));
                Some(EdgeDef {
                    id,
                    from,
                    to,
                    latency: edge.latency,
                    filter: edge.filter.clone(),
                    weight: edge.weight,
                })
            })
            .collect(),
    };
    ron_text(&file)
}

/// `value` as the model file's RON, ending in a newline.
fn ron_text<T: Serialize>(value: &T) -> Result<String, SaveError> {
    let config = PrettyConfig::new()
        .indentor("    ")
        .new_line("\n")
        .struct_names(false)
        .compact_arrays(false)
        .extensions(Extensions::UNWRAP_VARIANT_NEWTYPES | Extensions::IMPLICIT_SOME);
    let mut text = options()
        .to_string_pretty(value, config)
        .map_err(|e| SaveError {
            message: e.to_string(),
        })?;
    text.push('\n');
    Ok(text)
}

/// Where `id: "<id>"` stands in `text`, as a 1-based (line, column), for
/// pointing diagnostics at the source.
pub fn locate_id(text: &str, id: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{id}\"");
    let mut offset = 0;
    while let Some(found) = text[offset..].find(&needle) {
        let at = offset + found;
        let before = text[..at].trim_end();
        if before.ends_with("id:") && !before.ends_with("_id:") {
            let line = text[..at].matches('\n').count() + 1;
            let line_start = text[..at].rfind('\n').map_or(0, |i| i + 1);
            let col = text[line_start..at].chars().count() + 1;
            return Some((line, col));
        }
        offset = at + needle.len();
    }
    None
}

/// Where the edge from `from` to `to` stands in `text` (its `from:`), as a
/// 1-based (line, column).
pub fn locate_edge(text: &str, from: &str, to: &str) -> Option<(usize, usize)> {
    let needle = format!("\"{from}\"");
    let target = format!("\"{to}\"");
    let mut offset = 0;
    while let Some(found) = text[offset..].find(&needle) {
        let at = offset + found;
        offset = at + needle.len();
        if !text[..at].trim_end().ends_with("from:") {
            continue;
        }
        // The rest of this edge, up to its closing parenthesis.
        let rest = &text[offset..];
        let entry = &rest[..rest.find(')').unwrap_or(rest.len())];
        let Some(to_at) = entry.find(&target) else {
            continue;
        };
        if !entry[..to_at].trim_end().ends_with("to:") {
            continue;
        }
        let start = text[..at].rfind("from:").unwrap_or(at);
        let line = text[..start].matches('\n').count() + 1;
        let line_start = text[..start].rfind('\n').map_or(0, |i| i + 1);
        return Some((line, text[line_start..start].chars().count() + 1));
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    const SMALL: &str = r#"
// A comment is fine anywhere.
(
    version: 1,
    name: "Small",
    scenario: (duration: "1m", seed: 3),
    nodes: [
        (id: "p", kind: Producer(arrival: Poisson(rate: 5.0)), pos: (10.0, 20.0)),
        (id: "q", kind: Queue(capacity: 10, overflow: DropNewest)),
        (id: "c", kind: Consumer(service: Exponential(mean: "100ms"))),
    ],
    edges: [
        (from: "p", to: "q", latency: "5ms"),
        (from: "q", to: "c"),
    ],
)
"#;

    #[test]
    fn reads_a_small_model() {
        let (model, diagnostics) = from_str(SMALL).expect("loads");
        assert!(diagnostics.is_empty());
        assert_eq!(model.name, "Small");
        assert_eq!(model.scenario.duration, Duration::from_secs(60));
        assert_eq!(model.graph.node_count(), 3);
        assert_eq!(model.graph.edge_count(), 2);
        let p = model.find("p").expect("p exists");
        assert_eq!(model.graph[p].pos, Some([10.0, 20.0]));
    }

    /// A value the serialiser refuses: RON has no identifier with a space.
    struct Unwritable;

    impl Serialize for Unwritable {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            serializer.serialize_unit_struct("not an identifier")
        }
    }

    #[test]
    fn a_serialiser_error_is_an_error_not_text() {
        let err = ron_text(&Unwritable).expect_err("the serialiser refuses it");
        assert!(
            err.to_string()
                .starts_with("the model could not be written as RON: "),
            "{err}"
        );
        assert!(!err.message.is_empty());
        let (model, _) = from_str(SMALL).expect("loads");
        assert_eq!(
            try_to_string(&model).as_deref(),
            Ok(to_string(&model).as_str()),
            "both write the same text for a model that can be written"
        );
    }

    #[test]
    fn save_load_save_is_byte_identical() {
        let (model, _) = from_str(SMALL).expect("loads");
        let once = to_string(&model);
        let (again, _) = from_str(&once).expect("reloads");
        assert!(model.same_as(&again), "reloaded model differs:\n{once}");
        assert_eq!(once, to_string(&again));
    }

    #[test]
    fn syntax_errors_name_line_and_column() {
        // A missing parenthesis is noticed where the next field starts.
        let broken = SMALL.replace("rate: 5.0)", "rate: 5.0");
        let err = from_str(&broken).expect_err("broken");
        let LoadError::Syntax { line, .. } = err else {
            panic!("{err:?}")
        };
        assert_eq!(line, 9, "{err}");
        // A value of the wrong type is named where it stands.
        let wrong = SMALL.replace("rate: 5.0", "rate: \"fast\"");
        let err = from_str(&wrong).expect_err("wrong type").to_string();
        assert!(err.starts_with("line 8, column"), "{err}");
        assert!(err.to_lowercase().contains("float"), "{err}");
        // A bad duration says what a duration looks like.
        let bad = SMALL.replace("\"100ms\"", "\"100\"");
        let err = from_str(&bad).expect_err("no unit").to_string();
        assert!(err.contains("has no unit"), "{err}");
    }

    #[test]
    fn messages_speak_of_the_format_not_the_code() {
        for (text, words) in [
            ("", "the file is empty"),
            (
                "(version: 1, name: \"x\", nodes: [(kind: Topic())])",
                "missing field `id` in a node",
            ),
            (
                "(version: 1, name: \"x\", nodes: [(id: \"t\", kind: Topic(x: 1))])",
                "it takes no fields",
            ),
            (
                "(version: 1, name: \"x\", nodes: [(id: \"t\", kind: Broker())])",
                "unknown variant `Broker` in the node kind",
            ),
            (
                "Model(version: 1, name: \"x\", nodes: [])",
                "unnamed struct",
            ),
        ] {
            let err = from_str(text).expect_err("invalid").to_string();
            assert!(err.contains(words), "{text:?} gave {err:?}");
            for internal in ["VersionProbe", "ModelFile", "NodeDef", "EdgeDef", "Params"] {
                assert!(!err.contains(internal), "{text:?} gave {err:?}");
            }
        }
    }

    #[test]
    fn unknown_fields_are_named() {
        let text = SMALL.replace("capacity: 10", "capacty: 10");
        let err = from_str(&text).expect_err("unknown field").to_string();
        assert!(err.contains("unknown field `capacty`"), "{err}");
        assert!(err.contains("capacity"), "lists the expected fields: {err}");
        assert!(err.starts_with("line 9,"), "{err}");
    }

    #[test]
    fn versions_are_checked() {
        let newer = SMALL.replace("version: 1", "version: 7");
        assert_eq!(
            from_str(&newer).err(),
            Some(LoadError::TooNew {
                found: 7,
                supported: FORMAT_VERSION
            })
        );
        let none = SMALL.replace("version: 1,", "");
        assert_eq!(from_str(&none).err(), Some(LoadError::MissingVersion));
        let zero = SMALL.replace("version: 1", "version: 0");
        assert_eq!(from_str(&zero).err(), Some(LoadError::NoSuchVersion));
    }

    #[test]
    fn dangling_edges_become_diagnostics() {
        let text = SMALL.replace("(from: \"q\", to: \"c\")", "(from: \"q\", to: \"nowhere\")");
        let (model, diagnostics) = from_str(&text).expect("loads");
        assert_eq!(model.graph.edge_count(), 1);
        assert_eq!(diagnostics.len(), 1);
        assert!(
            diagnostics[0].message.contains("'nowhere'"),
            "{}",
            diagnostics[0]
        );
    }

    #[test]
    fn locates_ids() {
        assert_eq!(locate_id(SMALL, "q"), Some((9, 14)));
        assert_eq!(locate_id(SMALL, "zzz"), None);
        assert_eq!(locate_edge(SMALL, "q", "c"), Some((14, 10)));
        assert_eq!(locate_edge(SMALL, "p", "q"), Some((13, 10)));
        assert_eq!(locate_edge(SMALL, "p", "c"), None);
    }
}
