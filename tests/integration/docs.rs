//! The docs keep up with the code. Every node kind, every parameter a model
//! file can hold and every field of a JSON report is named in
//! `docs/model-format.md` or `docs/report.md`, in the section about it; the
//! connection table is `Kind::connect`.
//!
//! The names come from the code, never from a list typed here: kinds from
//! `Kind::ALL`, parameters by serializing each kind's parameters with a
//! serializer that records struct fields (skipped ones too), report fields
//! from the JSON report of a model that has every kind. A new name fails a
//! test here until the docs say what it is.
//!
//! A doc *mentions* a name when, outside code blocks, a code span in the
//! right section is the name, starts with `Name(`, or holds `name:` as a
//! RON field (`Split(parts: n)` mentions `Split` and `parts`).

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use serde::ser;
use serde_json::Value;
use sim_core::metrics::DropReason;
use sim_core::nodes::{EdgeRole, Kind, NodeKind};
use weir_tests::model;

// ---------------------------------------------------------------------------
// Reading a Markdown doc: sections and code spans.

struct Doc {
    path: String,
    text: String,
}

impl Doc {
    fn read(name: &'static str) -> Self {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../docs")
            .join(name);
        let text = std::fs::read_to_string(&path)
            .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
        Self {
            path: format!("docs/{name}"),
            text,
        }
    }

    /// The lines outside fenced code blocks.
    fn prose_lines(&self) -> Vec<&str> {
        let mut fenced = false;
        let mut out = Vec::new();
        for line in self.text.lines() {
            if line.trim_start().starts_with("```") {
                fenced = !fenced;
                continue;
            }
            if !fenced {
                out.push(line);
            }
        }
        out
    }

    /// The prose of the section whose heading line is exactly `heading`
    /// (`## Consumer`), up to the next heading of the same level or higher.
    fn section(&self, heading: &str) -> Result<Section, String> {
        let level = heading.chars().take_while(|&c| c == '#').count();
        let lines = self.prose_lines();
        let start = lines
            .iter()
            .position(|l| l.trim_end() == heading)
            .ok_or_else(|| format!("{} has no section `{heading}`", self.path))?;
        let rest = &lines[start + 1..];
        let end = rest
            .iter()
            .position(|l| {
                let hashes = l.chars().take_while(|&c| c == '#').count();
                hashes > 0 && hashes <= level && l[hashes..].starts_with(' ')
            })
            .unwrap_or(rest.len());
        Ok(Section {
            name: format!("{} `{heading}`", self.path),
            lines: rest[..end].iter().map(|l| (*l).to_owned()).collect(),
        })
    }

    /// The heading line that contains `needle` (`` (`"queue"`) ``).
    fn heading_with(&self, needle: &str) -> Result<String, String> {
        self.prose_lines()
            .into_iter()
            .find(|l| l.starts_with('#') && l.contains(needle))
            .map(|l| l.trim_end().to_owned())
            .ok_or_else(|| format!("{} has no heading with {needle}", self.path))
    }
}

/// The code spans of one line of Markdown (`` `a` `` and ``` ``a`b`` ```).
fn code_spans(line: &str) -> Vec<String> {
    let mut spans = Vec::new();
    let mut rest = line;
    while let Some(open) = rest.find('`') {
        let ticks = rest[open..].chars().take_while(|&c| c == '`').count();
        let fence = &rest[open..open + ticks];
        let after = &rest[open + ticks..];
        // A closing run is exactly as long as the opening one.
        let mut search = 0;
        let mut close = None;
        while let Some(i) = after[search..].find(fence) {
            let at = search + i;
            let run = after[at..].chars().take_while(|&c| c == '`').count();
            if run == ticks {
                close = Some(at);
                break;
            }
            search = at + run;
        }
        let Some(close) = close else { break };
        spans.push(after[..close].trim().to_owned());
        rest = &after[close + ticks..];
    }
    spans
}

/// One section's prose, line by line.
struct Section {
    name: String,
    lines: Vec<String>,
}

impl Section {
    /// The section's table rows only: where a field is described, rather
    /// than mentioned in passing.
    fn tables(&self) -> Self {
        Self {
            name: format!("{} (its tables)", self.name),
            lines: self
                .lines
                .iter()
                .filter(|l| l.trim_start().starts_with('|'))
                .cloned()
                .collect(),
        }
    }

    /// The section's text before its first subsection.
    fn intro(&self) -> Self {
        Self {
            name: format!("{} (before its first subsection)", self.name),
            lines: self
                .lines
                .iter()
                .take_while(|l| !l.starts_with('#'))
                .cloned()
                .collect(),
        }
    }

    fn span_lines(&self) -> Vec<Vec<String>> {
        self.lines.iter().map(|l| code_spans(l)).collect()
    }

    fn spans(&self) -> Vec<String> {
        self.span_lines().into_iter().flatten().collect()
    }

    /// Whether a code span names `name` (see the module docs).
    fn mentions(&self, name: &str) -> bool {
        self.spans().iter().any(|span| {
            span == name
                || span
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.starts_with('('))
                || holds_field(span, name)
        })
    }

    /// Whether a report path (`groups.<group>.lag.mean`) is named: as a
    /// span of its own, under a span ending in `.*`, or as `.leaf` on a
    /// line that also names a sibling (`` `a.lag.current`, `.mean` ``).
    fn mentions_path(&self, path: &str) -> bool {
        self.span_lines().iter().any(|line| {
            line.iter().any(|span| {
                span == path
                    || span
                        .strip_suffix('*')
                        .is_some_and(|prefix| prefix.ends_with('.') && path.starts_with(prefix))
            }) || line.iter().filter(|s| s.starts_with('.')).any(|leaf| {
                line.iter().any(|sibling| {
                    !sibling.starts_with('.')
                        && sibling
                            .rsplit_once('.')
                            .is_some_and(|(parent, _)| format!("{parent}{leaf}") == path)
                })
            })
        })
    }
}

/// Whether `span` holds `name:` as a RON field, at a word boundary.
fn holds_field(span: &str, name: &str) -> bool {
    span.match_indices(name).any(|(i, _)| {
        let before = span[..i].chars().next_back();
        let boundary = !before.is_some_and(|c| c.is_alphanumeric() || c == '_');
        boundary && span[i + name.len()..].starts_with(':')
    })
}

/// Fails with every problem found, one per line.
fn assert_none(problems: &[String], what: &str) {
    let mut problems = problems.to_vec();
    problems.dedup();
    assert!(
        problems.is_empty(),
        "{what}: {} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

// ---------------------------------------------------------------------------
// A serializer that records names instead of writing anything.

/// A name found while serializing a value.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Name {
    /// A struct's (or struct variant's) field, serialized or skipped.
    Field {
        container: &'static str,
        field: &'static str,
    },
    /// An enum's variant.
    Variant {
        container: &'static str,
        variant: &'static str,
    },
}

impl Name {
    fn container(&self) -> &'static str {
        match self {
            Self::Field { container, .. } | Self::Variant { container, .. } => container,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Self::Field { field, .. } => field,
            Self::Variant { variant, .. } => variant,
        }
    }
}

impl fmt::Display for Name {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Field { container, field } => write!(f, "field `{field}` of {container}"),
            Self::Variant { container, variant } => {
                write!(f, "variant `{variant}` of {container}")
            }
        }
    }
}

#[derive(Debug, Default)]
struct Recorder {
    names: BTreeSet<Name>,
    /// The structs being serialized, innermost last.
    containers: Vec<&'static str>,
}

impl Recorder {
    /// Every name in `value`.
    fn names_of(value: &impl Serialize) -> BTreeSet<Name> {
        let mut recorder = Self::default();
        value
            .serialize(&mut recorder)
            .unwrap_or_else(|e| panic!("cannot record names: {e}"));
        recorder.names
    }

    fn field(&mut self, field: &'static str) {
        let container = self.containers.last().copied().unwrap_or("?");
        self.names.insert(Name::Field { container, field });
    }

    fn variant(&mut self, container: &'static str, variant: &'static str) {
        self.names.insert(Name::Variant { container, variant });
    }
}

#[derive(Debug)]
struct RecordError(String);

impl fmt::Display for RecordError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for RecordError {}

impl ser::Error for RecordError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        Self(msg.to_string())
    }
}

type Done = Result<(), RecordError>;

impl ser::Serializer for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    type SerializeSeq = Self;
    type SerializeTuple = Self;
    type SerializeTupleStruct = Self;
    type SerializeTupleVariant = Self;
    type SerializeMap = Self;
    type SerializeStruct = Self;
    type SerializeStructVariant = Self;

    fn serialize_bool(self, _: bool) -> Done {
        Ok(())
    }
    fn serialize_i8(self, _: i8) -> Done {
        Ok(())
    }
    fn serialize_i16(self, _: i16) -> Done {
        Ok(())
    }
    fn serialize_i32(self, _: i32) -> Done {
        Ok(())
    }
    fn serialize_i64(self, _: i64) -> Done {
        Ok(())
    }
    fn serialize_u8(self, _: u8) -> Done {
        Ok(())
    }
    fn serialize_u16(self, _: u16) -> Done {
        Ok(())
    }
    fn serialize_u32(self, _: u32) -> Done {
        Ok(())
    }
    fn serialize_u64(self, _: u64) -> Done {
        Ok(())
    }
    fn serialize_f32(self, _: f32) -> Done {
        Ok(())
    }
    fn serialize_f64(self, _: f64) -> Done {
        Ok(())
    }
    fn serialize_char(self, _: char) -> Done {
        Ok(())
    }
    fn serialize_str(self, _: &str) -> Done {
        Ok(())
    }
    fn serialize_bytes(self, _: &[u8]) -> Done {
        Ok(())
    }
    fn serialize_none(self) -> Done {
        Ok(())
    }
    fn serialize_some<T: ?Sized + Serialize>(self, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_unit(self) -> Done {
        Ok(())
    }
    fn serialize_unit_struct(self, _: &'static str) -> Done {
        Ok(())
    }
    fn serialize_unit_variant(self, name: &'static str, _: u32, variant: &'static str) -> Done {
        self.variant(name, variant);
        Ok(())
    }
    fn serialize_newtype_struct<T: ?Sized + Serialize>(self, _: &'static str, value: &T) -> Done {
        value.serialize(self)
    }
    fn serialize_newtype_variant<T: ?Sized + Serialize>(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        value: &T,
    ) -> Done {
        self.variant(name, variant);
        value.serialize(self)
    }
    fn serialize_seq(self, _: Option<usize>) -> Result<Self, RecordError> {
        Ok(self)
    }
    fn serialize_tuple(self, _: usize) -> Result<Self, RecordError> {
        Ok(self)
    }
    fn serialize_tuple_struct(self, _: &'static str, _: usize) -> Result<Self, RecordError> {
        Ok(self)
    }
    fn serialize_tuple_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, RecordError> {
        self.variant(name, variant);
        Ok(self)
    }
    fn serialize_map(self, _: Option<usize>) -> Result<Self, RecordError> {
        Ok(self)
    }
    fn serialize_struct(self, name: &'static str, _: usize) -> Result<Self, RecordError> {
        self.containers.push(name);
        Ok(self)
    }
    fn serialize_struct_variant(
        self,
        name: &'static str,
        _: u32,
        variant: &'static str,
        _: usize,
    ) -> Result<Self, RecordError> {
        self.variant(name, variant);
        self.containers.push(name);
        Ok(self)
    }
}

impl ser::SerializeSeq for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeTuple for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_element<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeTupleStruct for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeTupleVariant for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeMap for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_key<T: ?Sized + Serialize>(&mut self, key: &T) -> Done {
        key.serialize(&mut **self)
    }
    fn serialize_value<T: ?Sized + Serialize>(&mut self, value: &T) -> Done {
        value.serialize(&mut **self)
    }
    fn end(self) -> Done {
        Ok(())
    }
}

impl ser::SerializeStruct for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Done {
        self.field(key);
        value.serialize(&mut **self)
    }
    // NOTE: serde's derive calls this for a field its `skip_serializing_if`
    // leaves out (an unset option, a default value): still a parameter.
    fn skip_field(&mut self, key: &'static str) -> Done {
        self.field(key);
        Ok(())
    }
    fn end(self) -> Done {
        self.containers.pop();
        Ok(())
    }
}

impl ser::SerializeStructVariant for &mut Recorder {
    type Ok = ();
    type Error = RecordError;
    fn serialize_field<T: ?Sized + Serialize>(&mut self, key: &'static str, value: &T) -> Done {
        self.field(key);
        value.serialize(&mut **self)
    }
    fn skip_field(&mut self, key: &'static str) -> Done {
        self.field(key);
        Ok(())
    }
    fn end(self) -> Done {
        self.containers.pop();
        Ok(())
    }
}

// ---------------------------------------------------------------------------
// The code's side: kinds, their parameters, a report with every kind.

/// A kind's name as written in model files (`DeadLetter`): the variant
/// `NodeKind` serializes it as.
fn file_name(kind: Kind) -> &'static str {
    Recorder::names_of(&NodeKind::default_for(kind))
        .into_iter()
        .find_map(|n| match n {
            Name::Variant {
                container: "NodeKind",
                variant,
            } => Some(variant),
            _ => None,
        })
        .unwrap_or_else(|| panic!("{kind:?} serializes without a NodeKind variant"))
}

/// A model with every kind, and every optional parameter and nested
/// policy set somewhere, each variant of the parameters' enums used by
/// some node; short enough to run in a moment. Its nodes also show every
/// conditional report field (serverless, autoscaled and guarded consumers,
/// consumers and stores that end a flow, a bounded sink, CEP matches).
const EVERY_KIND: &str = r#"(
    version: 1,
    name: "every kind",
    scenario: (
        duration: "20s",
        warmup: "1s",
        seed: 5,
        replications: 2,
        max_in_flight: 1000000,
        faults: [
            (at: "2s", duration: "1s", node: "bursty", effect: Burst(factor: 2.0)),
            (at: "3s", duration: "1s", node: "api", effect: Slow(factor: 2.0)),
            (at: "4s", duration: "1s", node: "steady", effect: Crash),
            (at: "6s", duration: "2s", node: "log-keyed", effect: Crash),
        ],
        random_faults: [
            (node: "api", effect: Crash, between: Exponential(mean: "5s"), duration: Constant("500ms")),
        ],
    ),
    nodes: [
        (id: "orders", name: "Orders", kind: Producer(
            arrival: Poisson(rate: 40.0),
            events: [(name: "A", weight: 2.0), (name: "B")],
            keys: 8,
            on_block: Drop,
            limit: 1000000,
        ), pos: (0.0, 0.0)),
        (id: "bursty", kind: Producer(arrival: Bursty(rate: 20.0, on: "1s", off: "1s", base_rate: 2.0))),
        (id: "ramp", kind: Producer(arrival: Ramp(from: 1.0, to: 20.0, over: "5s"))),
        (id: "ticks", kind: Producer(arrival: Constant(rate: 5.0), on_block: Wait)),
        (id: "q", kind: Queue(capacity: 200, overflow: DropOldest, visibility_timeout: "2s", max_receives: 3)),
        (id: "q-new", kind: Queue(overflow: DropNewest)),
        (id: "q-block", kind: Queue(overflow: Block)),
        (id: "work", kind: Consumer(
            instances: 2,
            concurrency: 2,
            service: LogNormal(mean: "10ms", cv: 0.5),
            failure: 0.1,
            retry: Exponential(initial: "10ms", multiplier: 2.0, max_delay: "100ms", jitter: Equal, max_attempts: 3),
            delivery: ExactlyOnce,
            timeout: "1s",
            autoscale: (min: 1, max: 4, target: Backlog(per_instance: 5.0), interval: "1s",
                scale_out_cooldown: "1s", scale_in_cooldown: "2s", startup: "100ms"),
            breaker: (failure_rate: 0.5, window: 10, min_calls: 5, open_for: "1s", probes: 2),
            poison: ["B"],
        )),
        (id: "steady", kind: Consumer(
            service: Uniform(min: "1ms", max: "3ms"),
            retry: Fixed(delay: "10ms", max_attempts: 2),
            delivery: AtLeastOnce,
            autoscale: (min: 1, max: 3, target: Utilization(target: 0.7)),
        )),
        (id: "fn", kind: Consumer(
            service: Erlang(k: 2, mean: "2ms"),
            retry: Immediate(max_attempts: 2),
            serverless: (concurrency: 3, cold_start: "50ms", keep_alive: "1s"),
        )),
        (id: "reader", kind: Consumer(
            service: Exponential(mean: "1ms"),
            retry: Exponential(initial: "1ms", max_delay: "10ms", jitter: None),
            delivery: AtMostOnce,
        )),
        (id: "plain", kind: Consumer(service: Constant("1ms"), retry: Exponential(initial: "1ms", max_delay: "2ms", jitter: Full))),
        (id: "api", kind: Service(latency: Exponential(mean: "5ms"), concurrency: 10, rate_limit: 1000.0, failure: 0.05)),
        (id: "events", kind: Topic()),
        (id: "split", kind: Router(mode: Split(parts: 2))),
        (id: "balance", kind: Router(mode: Weighted)),
        (id: "by-type", kind: Router(mode: ByType)),
        (id: "db", kind: Sink(latency: Constant("1ms"), concurrency: 4)),
        (id: "dlq", kind: DeadLetter(capacity: 1000)),
        (id: "log", kind: Log(partitions: 2, partitioner: RoundRobin, retention: "1h", rebalance_pause: "1s")),
        (id: "log-keyed", kind: Log(partitioner: KeyHash, durability: (
            replicas: 3, min_in_sync: 2, acks: Leader, persistent: false,
            election: Constant("500ms"), replication: Exponential(mean: "5ms"),
        ))),
        (id: "cep", kind: Cep(
            rules: [
                (name: "pairs", pattern: Count(event: "event", at_least: 2, window: Tumbling(size: "1s")), emit: "Pair"),
                (name: "runs", pattern: Count(at_least: 3, window: Sliding(size: "1s")), emit: "Run"),
                (name: "sessions", pattern: Count(at_least: 2, window: Session(gap: "500ms")), emit: "Session"),
                (name: "a-then-b", pattern: FollowedBy(first: "A", then: "B", within: "1s"), emit: "AB"),
                (name: "a-alone", pattern: NotFollowedBy(first: "B", then: "A", within: "1s"), emit: "Lonely"),
            ],
            max_keys: 100,
        )),
        (id: "store", kind: EventStore(
            append: Constant("1ms"),
            max_rate: 1000.0,
            backlog: 100,
            conflict: 0.1,
            retry_delay: "1ms",
            max_attempts: 5,
            replay: (at: "5s", rate: 100.0),
        )),
        (id: "archive", kind: EventStore()),
        (id: "view", kind: Projection(apply: Constant("1ms"), concurrency: 2)),
    ],
    edges: [
        (from: "orders", to: "q", latency: "1ms"),
        (from: "orders", to: "events"),
        (from: "q", to: "work"),
        (from: "q", to: "dlq"),
        (from: "work", to: "api"),
        (from: "work", to: "db"),
        (from: "ticks", to: "q-new"),
        (from: "ticks", to: "q-block"),
        (from: "q-new", to: "steady"),
        (from: "q-block", to: "steady"),
        (from: "steady", to: "archive"),
        (from: "bursty", to: "events"),
        (from: "events", to: "fn", filter: ["A"]),
        (from: "events", to: "log"),
        (from: "events", to: "log-keyed"),
        (from: "log", to: "reader"),
        (from: "log-keyed", to: "plain"),
        (from: "reader", to: "balance"),
        (from: "balance", to: "db", weight: 1.0),
        (from: "balance", to: "cep", weight: 2.0),
        (from: "ramp", to: "split"),
        (from: "split", to: "by-type"),
        (from: "by-type", to: "cep"),
        (from: "split", to: "store"),
        (from: "cep", to: "db"),
        (from: "store", to: "view"),
    ],
    slos: [
        (name: "Fast writes", on: Node("db"), objective: Latency(percentile: 99.0, max: "50ms"), window: "4s"),
        (on: System, objective: Loss(max: 0.5)),
    ],
)"#;

/// Every parameter name of the model above, kind by kind.
fn parameters() -> Vec<(Kind, BTreeSet<Name>)> {
    let model = model(EVERY_KIND);
    Kind::ALL
        .into_iter()
        .map(|kind| {
            let mut names = BTreeSet::new();
            for node in model.graph.node_weights() {
                if node.kind.kind() == kind {
                    names.extend(Recorder::names_of(&node.kind));
                }
            }
            assert!(
                names.iter().any(|n| n.container() == "NodeKind"),
                "the test model has no {kind:?}: add one, with its parameters set"
            );
            names.retain(|n| n.container() != "NodeKind");
            (kind, names)
        })
        .collect()
}

// ---------------------------------------------------------------------------
// docs/model-format.md

#[test]
fn model_format_names_every_kind() {
    let doc = Doc::read("model-format.md");
    let nodes = doc.section("## Nodes").expect("a Nodes section");
    let mut problems = Vec::new();
    for kind in Kind::ALL {
        let name = file_name(kind);
        if let Err(e) = doc.section(&format!("## {name}")) {
            problems.push(e);
        }
        if !nodes.tables().spans().contains(&format!("{name}(...)")) {
            problems.push(format!(
                "{}: the `kind` row does not list `{name}(...)`",
                nodes.name
            ));
        }
        let link = format!("[{name}](#{})", name.to_lowercase());
        if !doc.text.contains(&link) {
            problems.push(format!("{}: the contents have no link {link}", doc.path));
        }
    }
    assert_none(&problems, "kinds in docs/model-format.md");
}

#[test]
fn model_format_names_every_parameter() {
    let doc = Doc::read("model-format.md");
    let mut problems = Vec::new();
    for (kind, names) in parameters() {
        for name in names {
            // Distributions and arrival processes have sections of their
            // own, shared by every kind that uses them.
            let heading = match name.container() {
                "Dist" => "## Distributions".to_owned(),
                "Arrival" => "## Arrival processes".to_owned(),
                _ => format!("## {}", file_name(kind)),
            };
            match doc.section(&heading).map(|s| s.tables()) {
                Ok(section) if section.mentions(name.name()) => {}
                Ok(section) => problems.push(format!(
                    "{}: no mention of {name} (a {kind:?} parameter)",
                    section.name
                )),
                Err(e) => problems.push(e),
            }
        }
    }
    assert_none(&problems, "parameters in docs/model-format.md");
}

/// The scenario's fields and its faults' (effects included), from the
/// test model's scenario, which has a fault of every effect.
#[test]
fn model_format_names_every_scenario_field() {
    let doc = Doc::read("model-format.md");
    let section = doc
        .section("## Scenario")
        .expect("a Scenario section")
        .tables();
    let scenario = model(EVERY_KIND).scenario;
    let names = Recorder::names_of(&scenario);
    assert!(
        names.iter().any(|n| n.container() == "Fault"),
        "the test model's scenario has no faults"
    );
    let problems: Vec<String> = names
        .iter()
        .filter(|n| !section.mentions(n.name()))
        .map(|n| format!("{}: no mention of {n}", section.name))
        .collect();
    assert_none(&problems, "the scenario in docs/model-format.md");
}

/// The connection table says, for each pair of kinds, what
/// `Kind::connect` says.
#[test]
fn model_format_connection_table_is_kind_connect() {
    let doc = Doc::read("model-format.md");
    let heading = "## Which nodes can be connected";
    let lines = doc.prose_lines();
    let start = lines
        .iter()
        .position(|l| *l == heading)
        .expect("a connection section");
    let cells = |line: &str| -> Vec<String> {
        line.trim()
            .trim_matches('|')
            .split('|')
            .map(|c| c.trim().trim_matches('*').to_owned())
            .collect()
    };
    let table: Vec<Vec<String>> = lines[start + 1..]
        .iter()
        .skip_while(|l| !l.starts_with('|'))
        .take_while(|l| l.starts_with('|'))
        .map(|l| cells(l))
        .collect();
    assert!(table.len() > 2, "{}: `{heading}` has no table", doc.path);
    let columns = &table[0][1..];
    let mut problems = Vec::new();
    for from in Kind::ALL {
        let from_name = file_name(from);
        let Some(row) = table[2..].iter().find(|r| r[0] == from_name) else {
            problems.push(format!(
                "{}: the connection table has no row for {from_name}",
                doc.path
            ));
            continue;
        };
        for to in Kind::ALL {
            let to_name = file_name(to);
            let Some(col) = columns.iter().position(|c| c == to_name) else {
                if from == Kind::ALL[0] {
                    problems.push(format!(
                        "{}: the connection table has no column for {to_name}",
                        doc.path
                    ));
                }
                continue;
            };
            let cell = row.get(col + 1).map_or("", String::as_str);
            let documented = match cell.split_whitespace().next() {
                Some("no") => None,
                Some("push") => Some(EdgeRole::Push),
                Some("pull") => Some(EdgeRole::Pull),
                Some("dead-letter") => Some(EdgeRole::DeadLetter),
                Some("call") => Some(EdgeRole::Call),
                _ => {
                    problems.push(format!(
                        "{}: {from_name} → {to_name} reads `{cell}`, not a connection",
                        doc.path
                    ));
                    continue;
                }
            };
            let code = from.connect(to).ok();
            if documented != code {
                problems.push(format!(
                    "{}: {from_name} → {to_name} is `{cell}` in the table, but Kind::connect gives {code:?}",
                    doc.path
                ));
            }
        }
    }
    assert_none(&problems, "the connection table");
}

/// A heading inside a code block (an example left open) hides the
/// section from readers and from the tests above.
#[test]
fn docs_close_every_code_block_before_a_heading() {
    for name in ["model-format.md", "report.md", "export.md", "lessons.md"] {
        let doc = Doc::read(name);
        let mut fenced = None;
        for (i, line) in doc.text.lines().enumerate() {
            if line.trim_start().starts_with("```") {
                fenced = if fenced.is_some() { None } else { Some(i + 1) };
            } else if let Some(open) = fenced {
                assert!(
                    !line.starts_with("## "),
                    "docs/{name}:{}: heading `{line}` inside the code block opened on line {open}",
                    i + 1
                );
            }
        }
        assert!(
            fenced.is_none(),
            "docs/{name}: a code block is never closed"
        );
    }
}

/// A table names each thing in one row: two rows for one field (or two
/// tables run together) say two things, at most one of them true.
#[test]
fn docs_tables_have_one_row_per_name() {
    let mut problems = Vec::new();
    for name in ["model-format.md", "report.md", "export.md", "lessons.md"] {
        let doc = Doc::read(name);
        let mut firsts: Vec<String> = Vec::new();
        for line in doc.prose_lines() {
            let Some(row) = line.trim().strip_prefix('|') else {
                firsts.clear();
                continue;
            };
            let first = row.split('|').next().unwrap_or_default().trim().to_owned();
            if first.starts_with("---") {
                continue;
            }
            if firsts.contains(&first) {
                problems.push(format!("{}: a table has two rows for `{first}`", doc.path));
            }
            firsts.push(first);
        }
    }
    assert_none(&problems, "tables");
}

// ---------------------------------------------------------------------------
// docs/report.md

/// A report path with the parts a model names written as the doc's
/// placeholders: `groups.billing.partitions.0.lag.max` →
/// `groups.<group>.partitions.<p>.lag.max`.
fn placeholder_path(path: &[&str]) -> String {
    let mut out: Vec<&str> = Vec::with_capacity(path.len());
    for (i, part) in path.iter().enumerate() {
        let named = match i.checked_sub(1).map(|j| path[j]) {
            Some("groups") => Some("<group>"),
            Some("partitions") => Some("<p>"),
            Some("rules") => Some("<name>"),
            _ => None,
        };
        out.push(named.unwrap_or(part));
    }
    out.join(".")
}

const SUMMARY_KEYS: [&str; 5] = ["mean", "p50", "p95", "p99", "max"];

/// Whether an object is a latency summary (documented once, by its keys).
fn is_summary(obj: &serde_json::Map<String, Value>) -> bool {
    obj.contains_key("p50") && obj.keys().all(|k| SUMMARY_KEYS.contains(&k.as_str()))
}

/// The documented paths of one node's JSON object: leaves, and latency
/// summaries and `drops` and `ci95` as one path each.
fn node_paths(
    obj: &serde_json::Map<String, Value>,
    prefix: &mut Vec<String>,
    out: &mut BTreeSet<String>,
) {
    for (key, value) in obj {
        prefix.push(key.clone());
        let path: Vec<&str> = prefix.iter().map(String::as_str).collect();
        // A latency summary, the drop reasons and the `ci95` object are
        // documented as one field each.
        let one_field = |inner: &serde_json::Map<String, Value>| {
            is_summary(inner) || path.len() == 1 && ["drops", "ci95"].contains(&key.as_str())
        };
        match value {
            Value::Object(inner) if !one_field(inner) => node_paths(inner, prefix, out),
            _ => {
                out.insert(placeholder_path(&path));
            }
        }
        prefix.pop();
    }
}

/// The JSON report of the model with every kind.
fn every_kind_report() -> Value {
    let report = sim_core::run_replications(&model(EVERY_KIND)).expect("runs");
    report.to_json()
}

fn object<'v>(value: &'v Value, what: &str) -> &'v serde_json::Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("{what} is not an object: {value}"))
}

#[test]
fn report_names_every_field() {
    let doc = Doc::read("report.md");
    let json = every_kind_report();
    let top = object(&json, "the report");
    let mut problems = Vec::new();
    let sections = |heading: &str| {
        doc.section(heading)
            .unwrap_or_else(|e| panic!("{e}"))
            .tables()
    };
    let mut check = |section: &Section, obj: &serde_json::Map<String, Value>, what: &str| {
        for name in obj.keys() {
            if !section.mentions_path(name) {
                problems.push(format!("{}: no mention of {what} `{name}`", section.name));
            }
        }
    };
    check(&sections("## Top-level fields"), top, "the top-level field");
    check(
        &sections("## Conservation"),
        object(&top["conservation"], "conservation"),
        "the conservation field",
    );
    let faults = top["faults"].as_array().expect("a list of faults");
    assert!(
        faults.iter().any(|f| f.get("factor").is_some()),
        "the test model needs a fault with a factor"
    );
    for fault in faults {
        check(
            &sections("## Faults"),
            object(fault, "a fault"),
            "the fault field",
        );
    }

    let slos = top["slos"].as_array().expect("a list of objectives");
    assert!(
        slos.iter().any(|s| s.get("windows_met").is_some()),
        "the test model needs a windowed objective"
    );
    for slo in slos {
        check(
            &sections("## Service level objectives"),
            object(slo, "an objective"),
            "the objective field",
        );
    }
    check(
        &sections("## Warm-up"),
        object(&top["warmup"], "warmup"),
        "the warm-up field",
    );
    let insights = top["insights"].as_array().expect("a list of insights");
    assert!(!insights.is_empty(), "the test model needs insights");
    for insight in insights {
        check(
            &sections("## Insights"),
            object(insight, "an insight"),
            "the insight field",
        );
    }
    let insight_section = sections("## Insights");
    for kind in sim_core::insights::InsightKind::ALL {
        let quoted = format!("`{}`", kind.key());
        if !insight_section.mentions(kind.key()) {
            problems.push(format!(
                "{}: no row for the insight kind {quoted}",
                insight_section.name
            ));
        }
    }

    let node_metrics = doc
        .section("## Node metrics")
        .expect("a Node metrics section")
        .intro();
    let every_kind = sections("### Every kind");
    let summaries = sections("### Latency summaries");
    let nodes = object(&top["nodes"], "nodes");
    let mut kinds_seen = BTreeSet::new();
    for (id, node) in nodes {
        let node = object(node, id);
        let key = node["kind"].as_str().expect("a kind");
        kinds_seen.insert(key.to_owned());
        let heading = match doc.heading_with(&format!("(`\"{key}\"`)")) {
            Ok(h) => h,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        let kind_section = sections(&heading);
        let mut paths = BTreeSet::new();
        node_paths(node, &mut Vec::new(), &mut paths);
        for path in &paths {
            let documented = [&kind_section, &every_kind, &node_metrics]
                .iter()
                .any(|s| s.mentions_path(path));
            if !documented {
                problems.push(format!(
                    "{}: no mention of `{path}` (found at node '{id}'; nor under `### Every kind`)",
                    kind_section.name
                ));
            }
        }
        if let Some(drops) = node.get("drops") {
            for reason in object(drops, "drops").keys() {
                if !every_kind.mentions(reason) {
                    problems.push(format!(
                        "{}: no mention of the drop reason `{reason}` (found at node '{id}')",
                        every_kind.name
                    ));
                }
            }
        }
        for value in node.values() {
            if let Value::Object(inner) = value
                && is_summary(inner)
            {
                for k in inner.keys() {
                    if !summaries.mentions(k) {
                        problems.push(format!("{}: no mention of `{k}`", summaries.name));
                    }
                }
            }
        }
    }
    for reason in DropReason::ALL {
        if !every_kind.mentions(reason.key()) {
            problems.push(format!(
                "{}: no row for the drop reason `{}`",
                every_kind.name,
                reason.key()
            ));
        }
    }
    for kind in Kind::ALL {
        let quoted = format!("\"{}\"", kind.key());
        if !node_metrics.spans().contains(&quoted) {
            problems.push(format!(
                "{}: the list of kinds lacks `{quoted}`",
                node_metrics.name
            ));
        }
        if !kinds_seen.contains(kind.key()) {
            problems.push(format!("the test model has no {kind:?} node to report on"));
        }
    }
    assert_none(&problems, "fields in docs/report.md");
}

/// The mention rules: a test of the test, so a rule that matched
/// everything would show here.
#[test]
fn mentions_need_the_name_itself() {
    let spans = |text: &str| Section {
        name: "example".to_owned(),
        lines: text.lines().map(str::to_owned).collect(),
    };
    let s = spans(
        "| `capacity` | `Split(parts: n)` | ``a `b` c`` |\n| `groups.<g>.lag.current`, `.mean` | `x.y.*` |",
    );
    assert!(s.mentions("capacity"));
    assert!(s.mentions("Split") && s.mentions("parts"));
    assert!(!s.mentions("capacit") && !s.mentions("part") && !s.mentions("n"));
    assert!(s.mentions("a `b` c"));
    assert!(s.mentions_path("groups.<g>.lag.mean"));
    assert!(s.mentions_path("groups.<g>.lag.current"));
    assert!(!s.mentions_path("groups.<g>.lag.max"));
    assert!(s.mentions_path("x.y.z") && !s.mentions_path("x.yz"));
    assert_eq!(
        placeholder_path(&["groups", "billing", "partitions", "3", "lag_s", "max"]),
        "groups.<group>.partitions.<p>.lag_s.max"
    );
}

#[test]
fn report_names_every_theory_field() {
    // One station of each shape: a bounded queue (capacity, p_block), a
    // refused one (reason), and an inbox (no queue).
    let text = r#"(
        version: 1,
        name: "theory fields",
        scenario: (duration: "60s", warmup: "5s", seed: 3, replications: 2),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
            (id: "q", kind: Queue(capacity: 4, overflow: DropNewest)),
            (id: "a", kind: Consumer(service: Exponential(mean: "10ms"))),
            (id: "b", kind: Consumer(service: Exponential(mean: "5ms"))),
            (id: "burst", kind: Producer(arrival: Bursty(rate: 40.0, on: "1s", off: "1s"))),
            (id: "c", kind: Consumer(service: Exponential(mean: "5ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "a"), (from: "a", to: "b"),
                (from: "burst", to: "c")],
    )"#;
    let json = sim_core::run_replications(&model(text))
        .expect("runs")
        .to_json();
    let doc = Doc::read("report.md");
    let section = doc.section("## Theory").expect("a Theory section").tables();
    let theory = object(&json["theory"], "theory");
    assert_eq!(
        theory.keys().collect::<Vec<_>>(),
        ["a", "b", "c"],
        "every consumer, in model order"
    );
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, station) in theory {
        for (name, value) in object(station, id) {
            seen.insert(name.clone());
            if !section.mentions(name) {
                problems.push(format!("no mention of the station field `{name}`"));
            }
            if name == "analytic" || name == "simulated" {
                for (q, inner) in object(value, name) {
                    if !section.mentions(q) {
                        problems.push(format!("no mention of the quantity `{q}`"));
                    }
                    if let Value::Object(fields) = inner {
                        for k in fields.keys() {
                            seen.insert(k.clone());
                            if !section.mentions(k) {
                                problems.push(format!("no mention of `{k}` in `{q}`"));
                            }
                        }
                    }
                }
            }
        }
    }
    for needed in ["queue", "reason", "capacity", "ci95", "covers"] {
        assert!(seen.contains(needed), "the test model shows no `{needed}`");
    }
    assert_none(&problems, "theory fields in docs/report.md");
}
