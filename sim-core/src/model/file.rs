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

/// The largest model or AsyncAPI file Weir reads: 64 MiB, hundreds of
/// thousands of nodes.
pub const MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;

/// Why a file could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("cannot read {path}: {source}")]
    Io {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot read {path}: it is not a regular file (a device, a pipe or a folder)")]
    NotAFile { path: String },
    #[error(
        "cannot read {path}: it holds {size}, more than the {} a model or document may have",
        bytes(*limit)
    )]
    TooLarge {
        path: String,
        /// How big it is, in words ("70.0 MiB", "more than 64.0 MiB").
        size: String,
        limit: u64,
    },
    #[error("cannot read {path}: it is not UTF-8 text (byte {offset} is not part of a character)")]
    NotText { path: String, offset: usize },
}

/// A byte count in words.
fn bytes(n: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size in words")]
    let mib = n as f64 / (1024.0 * 1024.0);
    format!("{mib:.1} MiB ({n} bytes)")
}

/// Reads a model file or an AsyncAPI document: a regular file of at most
/// [`MAX_FILE_BYTES`], as UTF-8 text. A device, a pipe or a folder is
/// refused before reading (`/dev/zero` never ends), and a file that grows
/// beyond the limit while it is read is refused when it passes it; errors
/// name the file, and the limit and size when it is too large.
pub fn read(path: &std::path::Path) -> Result<String, ReadError> {
    use std::io::Read;
    let name = || path.display().to_string();
    let io = |source| ReadError::Io {
        path: name(),
        source,
    };
    let file = std::fs::File::open(path).map_err(io)?;
    let meta = file.metadata().map_err(io)?;
    if !meta.is_file() {
        return Err(ReadError::NotAFile { path: name() });
    }
    if meta.len() > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            path: name(),
            size: bytes(meta.len()),
            limit: MAX_FILE_BYTES,
        });
    }
    let mut data = Vec::with_capacity(usize::try_from(meta.len()).unwrap_or(0));
    file.take(MAX_FILE_BYTES + 1)
        .read_to_end(&mut data)
        .map_err(io)?;
    if data.len() as u64 > MAX_FILE_BYTES {
        return Err(ReadError::TooLarge {
            path: name(),
            size: format!("more than {}", bytes(MAX_FILE_BYTES)),
            limit: MAX_FILE_BYTES,
        });
    }
    String::from_utf8(data).map_err(|e| ReadError::NotText {
        path: name(),
        offset: e.utf8_error().valid_up_to(),
    })
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
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    slos: Vec<crate::slo::Slo>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    variants: Vec<super::Variant>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    alerts: Vec<crate::alerts::AlertRule>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    imported: Option<super::origin::Imported>,
}

#[derive(Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct NodeDef {
    id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    name: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    region: Option<String>,
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

/// How many brackets deep a model file may nest.
const RECURSION_LIMIT: usize = 64;

fn options() -> ron::Options {
    ron::Options::default()
        .with_default_extension(Extensions::UNWRAP_VARIANT_NEWTYPES | Extensions::IMPLICIT_SOME)
        .with_recursion_limit(RECURSION_LIMIT)
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
        Some("LessonFile") => "the lesson",
        Some("Solution") => "the lesson's solution",
        Some("NodeDef") => "a node",
        Some("EdgeDef") => "an edge",
        Some("Scenario") => "the scenario",
        Some("NodeKind") => "the node kind",
        Some("Dist") => "the distribution",
        Some("Arrival") => "the arrival process",
        Some("RetryPolicy") => "the retry policy",
        Some("Slo") => "an objective",
        Some("Variant") => "a variant",
        Some("VariantNode") => "a variant's node",
        Some("SloTarget") => "an objective's `on`",
        Some("Objective") => "an objective's bound",
        Some("AlertRule") => "an alert rule",
        Some("Condition") => "an alert's condition",
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
        E::ExceededRecursionLimit => format!(
            "the file is nested too deeply here: Weir reads at most {RECURSION_LIMIT} levels of brackets inside one another"
        ),
        other => {
            let text = other.to_string();
            [
                "VersionProbe",
                "ModelFile",
                "NodeDef",
                "EdgeDef",
                "LessonFile",
            ]
            .iter()
            .fold(text, |t, internal| t.replace(&format!(" `{internal}`"), ""))
        }
    }
}

/// Where `text` first nests brackets deeper than [`RECURSION_LIMIT`], as a
/// 1-based (line, column): brackets in strings, characters and comments
/// do not count. One pass, so a file of any depth is refused in time
/// linear in its length, before the parser descends into it.
fn too_deep(text: &str) -> Option<(usize, usize)> {
    let mut depth = 0usize;
    let (mut line, mut col) = (1usize, 0usize);
    let mut chars = text.chars().peekable();
    // Advances over one character, keeping the line and column.
    macro_rules! next {
        () => {{
            let c = chars.next();
            if c == Some('\n') {
                line += 1;
                col = 0;
            } else if c.is_some() {
                col += 1;
            }
            c
        }};
    }
    while let Some(c) = next!() {
        match c {
            '(' | '[' | '{' => {
                depth += 1;
                if depth > RECURSION_LIMIT {
                    return Some((line, col));
                }
            }
            ')' | ']' | '}' => depth = depth.saturating_sub(1),
            '"' | '\'' => {
                while let Some(d) = next!() {
                    if d == '\\' {
                        next!();
                    } else if d == c {
                        break;
                    }
                }
            }
            'r' if matches!(chars.peek(), Some('#' | '"')) => {
                let mut hashes = 0;
                while chars.peek() == Some(&'#') {
                    next!();
                    hashes += 1;
                }
                if next!() != Some('"') {
                    continue;
                }
                // Up to a quote followed by as many hashes.
                'raw: while let Some(d) = next!() {
                    if d == '"' {
                        let mut closing = 0;
                        while closing < hashes && chars.peek() == Some(&'#') {
                            next!();
                            closing += 1;
                        }
                        if closing == hashes {
                            break 'raw;
                        }
                    }
                }
            }
            '/' if chars.peek() == Some(&'/') => {
                while let Some(d) = next!() {
                    if d == '\n' {
                        break;
                    }
                }
            }
            '/' if chars.peek() == Some(&'*') => {
                next!();
                let mut open = 1usize;
                while open > 0 {
                    match next!() {
                        None => break,
                        Some('*') if chars.peek() == Some(&'/') => {
                            next!();
                            open -= 1;
                        }
                        Some('/') if chars.peek() == Some(&'*') => {
                            next!();
                            open += 1;
                        }
                        Some(_) => {}
                    }
                }
            }
            _ => {}
        }
    }
    None
}

/// Reads a model from RON text. Edges that name missing nodes cannot be
/// placed in the graph: they are left out and reported as errors in the
/// returned diagnostics.
pub fn from_str(text: &str) -> Result<(Model, Vec<Diagnostic>), LoadError> {
    let probe: VersionProbe = parse(text)?;
    check_version(probe.version.ok_or(LoadError::MissingVersion)?)?;
    let file: ModelFile = parse(text)?;
    Ok(from_file(migrate(file)))
}

/// Refuses a format version this build cannot read.
fn check_version(version: u32) -> Result<(), LoadError> {
    match version {
        0 => Err(LoadError::NoSuchVersion),
        v if v > FORMAT_VERSION => Err(LoadError::TooNew {
            found: v,
            supported: FORMAT_VERSION,
        }),
        _ => Ok(()),
    }
}

/// A model written inside another Weir file (a lesson's `model`), in the
/// model file's own shape: `(version: 1, name: "…", nodes: […], …)`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Embedded(ModelFile);

impl Embedded {
    /// The model, with the diagnostics of edges that name missing nodes,
    /// as [`from_str`] gives them; its version checked as a file's is.
    pub fn into_model(self) -> Result<(Model, Vec<Diagnostic>), LoadError> {
        check_version(self.0.version)?;
        Ok(from_file(migrate(self.0)))
    }
}

/// Reads any Weir file's RON text as `T`, with the model files' options
/// and their errors: a byte-order mark skipped, nesting bounded before
/// parsing, and line, column and a sentence for what is wrong.
pub fn parse<T: serde::de::DeserializeOwned>(text: &str) -> Result<T, LoadError> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if let Some((line, col)) = too_deep(text) {
        return Err(LoadError::Syntax {
            line,
            col,
            message: describe(&ron::Error::ExceededRecursionLimit),
        });
    }
    options().from_str(text).map_err(|e| syntax_error(text, &e))
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
        slos: file.slos,
        variants: file.variants,
        alerts: file.alerts,
        imported: file.imported,
    };
    let mut diagnostics = Vec::new();
    // Each id's first node, for placing edges.
    let mut index = std::collections::BTreeMap::new();
    for def in file.nodes {
        let id = def.id.clone();
        let ix = model.add_node(Node {
            id: def.id,
            name: def.name,
            kind: def.kind,
            pos: def.pos.map(|(x, y)| [x, y]),
            region: def.region,
        });
        index.entry(id).or_insert(ix);
    }
    let find = |id: &str| index.get(id).copied();
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
                    region: node.region.clone(),
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
        slos: model.slos.clone(),
        variants: model.variants.clone(),
        alerts: model.alerts.clone(),
        imported: model.imported.clone(),
    };
    ron_text(&file)
}

/// A node's kind and parameters as the model file writes them
/// (`Consumer(instances: 2, …)`), for showing a change to people.
pub fn kind_to_string(kind: &NodeKind) -> String {
    ron_text(kind).map_or_else(
        |e| format!("(cannot be written: {})", e.message),
        |text| {
            text.lines()
                .filter(|l| !l.starts_with("#!["))
                .collect::<Vec<_>>()
                .join("\n")
        },
    )
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

/// Where nodes and edges stand in a model's text, found in one pass, for
/// pointing many diagnostics at the source in time linear in the text.
#[derive(Debug, Default)]
pub struct Locator {
    /// Each `id: "…"`'s first place.
    ids: std::collections::BTreeMap<String, (usize, usize)>,
    /// Each `(from: "…", to: "…")`'s first place (its `from:`).
    edges: std::collections::BTreeMap<(String, String), (usize, usize)>,
}

/// A running 1-based line and column over a text, moved forward only.
struct Cursor<'a> {
    text: &'a str,
    at: usize,
    line: usize,
    col: usize,
}

impl Cursor<'_> {
    /// The line and column of byte `to`, which is at or after the last one
    /// asked for.
    fn advance(&mut self, to: usize) -> (usize, usize) {
        for c in self.text[self.at..to].chars() {
            if c == '\n' {
                self.line += 1;
                self.col = 1;
            } else {
                self.col += 1;
            }
        }
        self.at = to;
        (self.line, self.col)
    }
}

impl Locator {
    pub fn new(text: &str) -> Self {
        let mut found = Self::default();
        let bytes = text.as_bytes();
        let mut cursor = Cursor {
            text,
            at: 0,
            line: 1,
            col: 1,
        };
        // The last `from: "…"`: its id, its place, and where its edge ends.
        let mut from: Option<(String, (usize, usize), usize)> = None;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'"' => {
                    let start = i;
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'"' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    let end = i.min(bytes.len());
                    i = end + 1;
                    let value = &text[start + 1..end];
                    let before = text[..start].trim_end();
                    if before.ends_with("id:") && !before.ends_with("_id:") {
                        let place = cursor.advance(start);
                        found.ids.entry(value.to_owned()).or_insert(place);
                    } else if before.ends_with("from:") {
                        let place = cursor.advance(before.len() - "from:".len());
                        let close = text[end..].find(')').map_or(text.len(), |c| end + c);
                        from = Some((value.to_owned(), place, close));
                    } else if before.ends_with("to:")
                        && let Some((source, place, close)) = &from
                        && start < *close
                    {
                        found
                            .edges
                            .entry((source.clone(), value.to_owned()))
                            .or_insert(*place);
                    }
                }
                b'\'' => {
                    i += 1;
                    while i < bytes.len() && bytes[i] != b'\'' {
                        i += if bytes[i] == b'\\' { 2 } else { 1 };
                    }
                    i += 1;
                }
                b'r' if matches!(bytes.get(i + 1), Some(b'#' | b'"'))
                    && (i == 0
                        || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_')) =>
                {
                    let hashes = bytes[i + 1..].iter().take_while(|&&b| b == b'#').count();
                    let open = i + 1 + hashes;
                    if bytes.get(open) != Some(&b'"') {
                        i += 1;
                        continue;
                    }
                    let closing = format!("\"{}", "#".repeat(hashes));
                    i = text[open + 1..]
                        .find(&closing)
                        .map_or(bytes.len(), |c| open + 1 + c + closing.len());
                }
                b'/' if bytes.get(i + 1) == Some(&b'/') => {
                    i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                }
                b'/' if bytes.get(i + 1) == Some(&b'*') => {
                    let mut open = 1;
                    i += 2;
                    while i < bytes.len() && open > 0 {
                        if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
                            open -= 1;
                            i += 2;
                        } else if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
                            open += 1;
                            i += 2;
                        } else {
                            i += 1;
                        }
                    }
                }
                _ => i += 1,
            }
        }
        found
    }

    /// Where `id: "<id>"` first stands, as a 1-based (line, column).
    pub fn id(&self, id: &str) -> Option<(usize, usize)> {
        self.ids.get(id).copied()
    }

    /// Where the first edge from `from` to `to` stands (its `from:`), as a
    /// 1-based (line, column).
    pub fn edge(&self, from: &str, to: &str) -> Option<(usize, usize)> {
        self.edges.get(&(from.to_owned(), to.to_owned())).copied()
    }

    /// Where a diagnostic's node or edge stands: a node by its id, an edge
    /// by its own id or else as `from->to`.
    pub fn target(&self, target: &Target) -> Option<(usize, usize)> {
        match target {
            Target::Node(id) => self.id(id),
            Target::Edge(id) => self.id(id).or_else(|| {
                let (from, to) = id.split_once("->")?;
                self.edge(from, to)
            }),
            Target::Model | Target::Scenario | Target::Alert(_) => None,
        }
    }
}

/// Where `id: "<id>"` stands in `text`, as a 1-based (line, column), for
/// pointing a diagnostic at the source. For many diagnostics, build one
/// [`Locator`] instead.
pub fn locate_id(text: &str, id: &str) -> Option<(usize, usize)> {
    Locator::new(text).id(id)
}

/// Where the edge from `from` to `to` stands in `text` (its `from:`), as a
/// 1-based (line, column).
pub fn locate_edge(text: &str, from: &str, to: &str) -> Option<(usize, usize)> {
    Locator::new(text).edge(from, to)
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
    fn an_absent_warm_up_is_automatic_and_a_zero_one_is_kept() {
        let (auto, _) = from_str(SMALL).expect("loads");
        assert_eq!(auto.scenario.warmup, None, "no `warmup`: found when run");
        assert!(!to_string(&auto).contains("warmup"));
        for (written, value) in [("0s", Duration::ZERO), ("1m", Duration::from_secs(60))] {
            let text = SMALL.replace("seed: 3", &format!("warmup: \"{written}\", seed: 3"));
            let (model, _) = from_str(&text).expect("loads");
            assert_eq!(model.scenario.warmup, Some(value), "{written}");
            let saved = to_string(&model);
            assert!(
                saved.contains(&format!("warmup: \"{written}\",")),
                "{written} is written back:\n{saved}"
            );
            let (again, _) = from_str(&saved).expect("reloads");
            assert_eq!(to_string(&again), saved, "byte for byte");
        }
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
                "unknown field `x` in Topic; expected one of: durability",
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
    fn nesting_is_counted_outside_strings_characters_and_comments() {
        let deep = format!("(x: {})", "[".repeat(RECURSION_LIMIT));
        // The struct's own parenthesis is one level.
        assert_eq!(too_deep(&deep), Some((1, 4 + RECURSION_LIMIT)));
        let shallow = format!("(x: {})", "[".repeat(RECURSION_LIMIT - 1));
        assert_eq!(too_deep(&shallow), None);
        for hidden in [
            format!("(x: \"{}\")", "(".repeat(100)),
            format!("(x: \"\\\"{}\")", "(".repeat(100)),
            format!("(x: r#\"\"{}\"#)", "(".repeat(100)),
            format!("// {}\n(x: 1)", "(".repeat(100)),
            format!("/* /* {} */ */ (x: 1)", "(".repeat(100)),
            format!("(x: '(', y: '\\'', z: \"{}\")", "[".repeat(100)),
        ] {
            assert_eq!(too_deep(&hidden), None, "{hidden}");
        }
    }

    #[test]
    fn the_locator_skips_quotes_in_comments_and_raw_strings() {
        let text = "// a \"quote\" and a lone \" here\n(description: r#\"say \"hi\"\"#, nodes: [\n  (id: \"a\"),\n], edges: [\n  (from: \"a\", to: \"b\"),\n  (id: \"e\", from: \"b\", to: \"a\"),\n])";
        let locator = Locator::new(text);
        assert_eq!(locator.id("a"), Some((3, 8)));
        assert_eq!(locator.edge("a", "b"), Some((5, 4)));
        assert_eq!(locator.target(&Target::Edge("e".into())), Some((6, 8)));
        assert_eq!(locator.target(&Target::Edge("a->b".into())), Some((5, 4)));
        assert_eq!(locator.target(&Target::Edge("b->a".into())), Some((6, 13)));
        assert_eq!(locator.target(&Target::Scenario), None);
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
