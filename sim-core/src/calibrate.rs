//! Calibration: a model's parameters fitted to measurements of the system
//! it describes.
//!
//! Measurements come as OpenTelemetry traces (OTLP/JSON, [`parse_otlp`])
//! or as a CSV of per-message timings ([`parse_csv`]); either becomes
//! [`Observations`]: for each node, the times its events arrived
//! (producers) and the durations of its work (everything with a service
//! time). [`calibrate`] fits them:
//!
//! - a producer's **rate**, in events per second, from its arrival times
//!   (the shape of its arrival process is kept, only its rate changes);
//! - a **service-time distribution** for a consumer (`service`), a
//!   service or a sink (`latency`), an event store (`append`) or a
//!   projection (`apply`): exponential, log-normal and gamma by maximum
//!   likelihood, and the empirical law of the measurements (101
//!   quantiles). Each candidate's Kolmogorov–Smirnov statistic is
//!   reported; among the parametric families that the test does not
//!   reject at the 5 % level, the one with the lowest Bayesian
//!   information criterion is chosen (so the exponential, with one
//!   parameter, wins over a gamma with shape near 1 unless the data say
//!   otherwise); when every one is rejected, the empirical law is.
//!
//! [`Calibration::apply`] writes the fitted parameters into a model and
//! changes nothing else. Nothing here reads files: the caller hands over
//! the text.
//!
//! ## Matching spans to nodes
//!
//! Weir's own OTLP export ([`crate::export::trace`]) names each node's
//! resource by `service.name` = the node's id, a producer's event as a
//! root span of kind `PRODUCER`, and each attempt at a consumer or
//! service as a span named `process`. A span belongs to a node when
//!
//! 1. its resource's `service.name` is the node's id (or, failing that,
//!    its display name), or else
//! 2. its own name (the operation) is the node's id (or display name), so
//!    that one service's operations can be several nodes.
//!
//! At a producer, a span of kind `PRODUCER` whose parent (if any) is not
//! itself a `PRODUCER` span is one event's arrival, at its start. At any
//! other node, a span that did not fail (its status is not an error) is
//! one service time, its end minus its start, when it is named `process`,
//! starts with `process ` (OpenTelemetry's messaging convention, `process
//! <destination>`) or was matched by rule 2. Other spans of a matched
//! node (waiting, transit, back-off) are counted as not measurements;
//! spans of no node are listed by service and name.
//!
//! Weir samples one event in N for its traces and says so in each
//! resource's `weir.sample.every` attribute; rates are scaled back by it.

use std::collections::{BTreeMap, HashMap};

use serde_json::Value;

use crate::dist::{Arrival, Dist, gamma_p, ln_gamma, normal_cdf};
use crate::model::Model;
use crate::nodes::{Kind, NodeKind};
use crate::time::Duration;

/// The fewest measurements a fit is made from.
pub const MIN_SAMPLES: usize = 10;
/// The quantiles an empirical fit keeps (the minimum, each percentile,
/// the maximum).
pub const EMPIRICAL_QUANTILES: usize = 101;
/// The most spans or rows read from one input.
pub const MAX_RECORDS: usize = 10_000_000;

/// Why measurements could not be read.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum InputError {
    /// The text is not JSON (or not CSV) where it says.
    #[error("line {line}, column {col}: {message}")]
    Syntax {
        line: usize,
        col: usize,
        message: String,
    },
    /// A field is missing or wrong: `place` says which.
    #[error("{place}: {message}")]
    Field { place: String, message: String },
    /// Nothing to calibrate from.
    #[error("{0}")]
    Empty(String),
}

fn field(place: impl Into<String>, message: impl Into<String>) -> InputError {
    InputError::Field {
        place: place.into(),
        message: message.into(),
    }
}

/// OTLP span kinds.
const SPAN_KIND_PRODUCER: u64 = 4;
/// OTLP status code of an error.
const STATUS_ERROR: u64 = 2;

/// One span, as much of it as calibration reads.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Span {
    /// Its resource's `service.name`.
    pub service: String,
    /// Its name (the operation).
    pub name: String,
    pub trace_id: String,
    pub span_id: String,
    /// Empty for a root span.
    pub parent_span_id: String,
    /// OTLP's span kind (0 when not given).
    pub kind: u64,
    pub start_ns: u64,
    pub end_ns: u64,
    /// Its status is an error.
    pub failed: bool,
}

/// Spans read from an OTLP/JSON file.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Spans {
    pub spans: Vec<Span>,
    /// One event in this many was traced (`weir.sample.every`; 1 when no
    /// resource says).
    pub sampled_every: u64,
}

/// Reads OTLP/JSON traces: one `ExportTraceServiceRequest` object, or
/// several, one after the other (one per line, as collectors' file
/// exporters write them).
pub fn parse_otlp(text: &str) -> Result<Spans, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty(
            "the file is empty: expected OTLP/JSON traces (an object with `resourceSpans`)"
                .to_owned(),
        ));
    }
    let mut out = Spans {
        spans: Vec::new(),
        sampled_every: 0,
    };
    let stream = serde_json::Deserializer::from_str(text).into_iter::<Value>();
    for (n, value) in stream.enumerate() {
        let value = value.map_err(|e| InputError::Syntax {
            line: e.line(),
            col: e.column(),
            message: e
                .to_string()
                .split(" at line")
                .next()
                .unwrap_or("")
                .to_owned(),
        })?;
        read_request(&value, &format!("object {}", n + 1), &mut out)?;
    }
    if out.spans.is_empty() {
        return Err(InputError::Empty(
            "the traces hold no spans: nothing to calibrate from".to_owned(),
        ));
    }
    out.sampled_every = out.sampled_every.max(1);
    Ok(out)
}

fn read_request(value: &Value, place: &str, out: &mut Spans) -> Result<(), InputError> {
    let Some(object) = value.as_object() else {
        return Err(field(place, "expected an object with `resourceSpans`"));
    };
    let Some(resources) = object.get("resourceSpans") else {
        return Err(field(
            place,
            "no `resourceSpans`: this is not an OTLP/JSON trace export",
        ));
    };
    let resources = array(resources, &format!("{place}: resourceSpans"))?;
    for (r, resource) in resources.iter().enumerate() {
        let place = format!("{place}: resourceSpans[{r}]");
        let attributes = resource
            .get("resource")
            .and_then(|res| res.get("attributes"))
            .map(|a| array(a, &format!("{place}.resource.attributes")))
            .transpose()?
            .unwrap_or(&[]);
        let Some(service) = attribute(attributes, "service.name") else {
            return Err(field(
                &place,
                "the resource has no `service.name` attribute, so its spans cannot be matched to nodes",
            ));
        };
        let service = service.into_owned();
        if let Some(every) = attribute(attributes, "weir.sample.every") {
            let every: u64 = every.parse().ok().filter(|&e| e >= 1).ok_or_else(|| {
                field(
                    &place,
                    format!(
                        "`weir.sample.every` must be a whole number of 1 or more, not '{every}'"
                    ),
                )
            })?;
            if out.sampled_every != 0 && out.sampled_every != every {
                return Err(field(
                    &place,
                    format!(
                        "`weir.sample.every` is {every} here but {} elsewhere: traces sampled differently cannot be mixed",
                        out.sampled_every
                    ),
                ));
            }
            out.sampled_every = every;
        }
        let scopes = match resource
            .get("scopeSpans")
            .or_else(|| resource.get("instrumentationLibrarySpans"))
        {
            Some(s) => array(s, &format!("{place}.scopeSpans"))?,
            None => &[],
        };
        for (s, scope) in scopes.iter().enumerate() {
            let place = format!("{place}.scopeSpans[{s}]");
            let spans = match scope.get("spans") {
                Some(spans) => array(spans, &format!("{place}.spans"))?,
                None => &[],
            };
            for (k, span) in spans.iter().enumerate() {
                if out.spans.len() >= MAX_RECORDS {
                    return Err(field(
                        &place,
                        format!("more than {MAX_RECORDS} spans: split the traces or sample them"),
                    ));
                }
                let place = format!("{place}.spans[{k}]");
                out.spans.push(read_span(span, &service, &place)?);
            }
        }
    }
    Ok(())
}

fn array<'a>(value: &'a Value, place: &str) -> Result<&'a [Value], InputError> {
    value
        .as_array()
        .map(Vec::as_slice)
        .ok_or_else(|| field(place, "expected a list"))
}

/// An attribute's value as text (string, integer, double or boolean).
fn attribute<'a>(attributes: &'a [Value], key: &str) -> Option<std::borrow::Cow<'a, str>> {
    let value = attributes
        .iter()
        .find(|a| a.get("key").and_then(Value::as_str) == Some(key))?
        .get("value")?;
    for (k, v) in value.as_object()? {
        match (k.as_str(), v) {
            ("stringValue" | "intValue", Value::String(s)) => return Some(s.as_str().into()),
            ("intValue" | "doubleValue", Value::Number(n)) => return Some(n.to_string().into()),
            ("boolValue", Value::Bool(b)) => return Some(b.to_string().into()),
            _ => {}
        }
    }
    None
}

/// A time in Unix nanoseconds: OTLP/JSON writes them as decimal strings,
/// some writers as numbers.
fn unix_nanos(span: &Value, key: &str, place: &str) -> Result<u64, InputError> {
    match span.get(key) {
        None => Err(field(place, format!("the span has no `{key}`"))),
        Some(Value::String(s)) => s.trim().parse().map_err(|_| {
            field(
                place,
                format!("`{key}` must be a whole number of nanoseconds, not '{s}'"),
            )
        }),
        Some(Value::Number(n)) => n.as_u64().ok_or_else(|| {
            field(
                place,
                format!("`{key}` must be a whole number of nanoseconds of 0 or more, not {n}"),
            )
        }),
        Some(other) => Err(field(
            place,
            format!("`{key}` must be a number of nanoseconds, not {other}"),
        )),
    }
}

fn read_span(span: &Value, service: &str, place: &str) -> Result<Span, InputError> {
    if !span.is_object() {
        return Err(field(place, "expected a span object"));
    }
    let text = |key: &str| {
        span.get(key)
            .and_then(Value::as_str)
            .unwrap_or("")
            .to_owned()
    };
    let Some(name) = span.get("name").and_then(Value::as_str) else {
        return Err(field(place, "the span has no `name`"));
    };
    let place = format!("{place} ('{name}' at '{service}')");
    let start_ns = unix_nanos(span, "startTimeUnixNano", &place)?;
    let end_ns = unix_nanos(span, "endTimeUnixNano", &place)?;
    if end_ns < start_ns {
        return Err(field(
            &place,
            format!(
                "the span ends before it starts (end {end_ns} < start {start_ns}): a negative duration"
            ),
        ));
    }
    let kind = match span.get("kind") {
        Some(Value::Number(n)) => n.as_u64().unwrap_or(0),
        Some(Value::String(s)) => match s.as_str() {
            "SPAN_KIND_INTERNAL" => 1,
            "SPAN_KIND_SERVER" => 2,
            "SPAN_KIND_CLIENT" => 3,
            "SPAN_KIND_PRODUCER" => 4,
            "SPAN_KIND_CONSUMER" => 5,
            _ => 0,
        },
        _ => 0,
    };
    let failed = span
        .get("status")
        .and_then(|s| s.get("code"))
        .is_some_and(|c| {
            c.as_u64() == Some(STATUS_ERROR) || c.as_str() == Some("STATUS_CODE_ERROR")
        });
    Ok(Span {
        service: service.to_owned(),
        name: name.to_owned(),
        trace_id: text("traceId"),
        span_id: text("spanId"),
        parent_span_id: text("parentSpanId"),
        kind,
        start_ns,
        end_ns,
        failed,
    })
}

/// What was measured at each node, and what matched none.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Observations {
    /// By node id.
    pub nodes: BTreeMap<String, Measured>,
    /// Spans (by service and name) or CSV rows (by node name) that match
    /// no node, with how many.
    pub unmatched: BTreeMap<(String, String), u64>,
    /// Spans of matched nodes that are no measurement (waiting, transit).
    pub ignored: u64,
    /// One event in this many was recorded.
    pub sampled_every: u64,
    /// What the measurements were read from, for the report.
    pub source: String,
}

/// A node's measurements.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Measured {
    /// Arrival times in nanoseconds (producers).
    pub arrivals: Vec<u64>,
    /// Service times in seconds.
    pub durations: Vec<f64>,
}

/// The node a service or operation name is: by id first, then by display
/// name.
fn node_named(model: &Model, name: &str) -> Option<(String, Kind)> {
    let graph = &model.graph;
    graph
        .node_indices()
        .find(|&n| graph[n].id == name)
        .or_else(|| {
            graph
                .node_indices()
                .find(|&n| graph[n].name.as_deref() == Some(name))
        })
        .map(|n| (graph[n].id.clone(), graph[n].kind.kind()))
}

/// Whether a span's name says it is one attempt's processing.
fn is_process(name: &str) -> bool {
    name == "process" || (name.starts_with("process ") && !name.starts_with("process ("))
}

/// Matches spans to the model's nodes (see the module's documentation).
pub fn observe_spans(model: &Model, spans: &Spans) -> Observations {
    let mut out = Observations {
        sampled_every: spans.sampled_every.max(1),
        source: format!("{} spans", spans.spans.len()),
        ..Observations::default()
    };
    // Which spans are producers' (a child of one is not a new event).
    let producer_spans: std::collections::HashSet<(&str, &str)> = spans
        .spans
        .iter()
        .filter(|s| s.kind == SPAN_KIND_PRODUCER)
        .map(|s| (s.trace_id.as_str(), s.span_id.as_str()))
        .collect();
    let mut by_name: HashMap<String, Option<(String, Kind)>> = HashMap::new();
    let mut lookup = |name: &str| -> Option<(String, Kind)> {
        if let Some(found) = by_name.get(name) {
            return found.clone();
        }
        let found = node_named(model, name);
        by_name.insert(name.to_owned(), found.clone());
        found
    };
    for span in &spans.spans {
        let (node, by_operation) = match lookup(&span.service) {
            Some(node) => (node, false),
            None => match lookup(&span.name) {
                Some(node) => (node, true),
                None => {
                    *out.unmatched
                        .entry((span.service.clone(), span.name.clone()))
                        .or_default() += 1;
                    continue;
                }
            },
        };
        let (id, kind) = node;
        let measured = out.nodes.entry(id).or_default();
        if kind == Kind::Producer {
            let parent_is_producer = !span.parent_span_id.is_empty()
                && producer_spans.contains(&(span.trace_id.as_str(), span.parent_span_id.as_str()));
            if (span.kind == SPAN_KIND_PRODUCER && !parent_is_producer)
                || (by_operation && span.parent_span_id.is_empty())
            {
                measured.arrivals.push(span.start_ns);
            } else {
                out.ignored += 1;
            }
        } else if !span.failed && (by_operation || is_process(&span.name)) {
            #[expect(clippy::cast_precision_loss, reason = "durations in ns")]
            measured
                .durations
                .push((span.end_ns - span.start_ns) as f64 / 1e9);
        } else {
            out.ignored += 1;
        }
    }
    out
}

/// Reads a CSV of per-message timings and matches its rows to nodes.
///
/// The first line names the columns, in any order (others are ignored):
/// `node` (a node's id or display name), `start` (seconds: when the event
/// was created at a producer, or its service began), and `end` (seconds)
/// or `duration` (seconds), which a producer's rows may leave empty. A
/// producer's rows are arrivals at `start`; any other node's are service
/// times.
pub fn parse_csv(model: &Model, text: &str) -> Result<Observations, InputError> {
    if text.trim().is_empty() {
        return Err(InputError::Empty(
            "the file is empty: expected a header line `node,start,end` (or `node,start,duration`) and a row per message"
                .to_owned(),
        ));
    }
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let csv_error = |e: &csv::Error| {
        let line = e
            .position()
            .map_or(0, |p| usize::try_from(p.line()).unwrap_or(0));
        InputError::Syntax {
            line,
            col: 1,
            message: e.to_string(),
        }
    };
    let headers = reader.headers().map_err(|e| csv_error(&e))?.clone();
    let column = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim().eq_ignore_ascii_case(name))
    };
    let (Some(node_col), Some(start_col)) = (column("node"), column("start")) else {
        return Err(field(
            "line 1",
            format!(
                "the header must name the columns `node` and `start`, with `end` or `duration` (found: {})",
                headers.iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    };
    let (end_col, duration_col) = (column("end"), column("duration"));
    if end_col.is_some() && duration_col.is_some() {
        return Err(field(
            "line 1",
            "give `end` or `duration`, not both: each row's service time would be said twice",
        ));
    }
    let mut out = Observations {
        sampled_every: 1,
        ..Observations::default()
    };
    let mut names: HashMap<String, Option<(String, Kind)>> = HashMap::new();
    let mut rows = 0usize;
    for record in reader.records() {
        let record = record.map_err(|e| csv_error(&e))?;
        rows += 1;
        if rows > MAX_RECORDS {
            return Err(field(
                "the file",
                format!("more than {MAX_RECORDS} rows: split the file or sample it"),
            ));
        }
        let line = record
            .position()
            .map_or(rows + 1, |p| usize::try_from(p.line()).unwrap_or(rows + 1));
        let place = format!("line {line}");
        let cell = |col: usize| record.get(col).unwrap_or("");
        let seconds = |col: usize, what: &str| -> Result<Option<f64>, InputError> {
            let text = cell(col);
            if text.is_empty() {
                return Ok(None);
            }
            match text.parse::<f64>() {
                Ok(x) if x.is_finite() && x >= 0.0 => Ok(Some(x)),
                Ok(x) => Err(field(
                    &place,
                    format!("`{what}` must be a number of seconds of 0 or more, not {x}"),
                )),
                Err(_) => Err(field(
                    &place,
                    format!("`{what}` must be a number of seconds, not '{text}'"),
                )),
            }
        };
        let node_name = cell(node_col);
        if node_name.is_empty() {
            return Err(field(&place, "the `node` column is empty"));
        }
        let Some(start) = seconds(start_col, "start")? else {
            return Err(field(&place, "the `start` column is empty"));
        };
        let duration = match (end_col, duration_col) {
            (Some(c), _) => match seconds(c, "end")? {
                Some(end) if end < start => {
                    return Err(field(
                        &place,
                        format!("`end` ({end}) is before `start` ({start}): a negative duration"),
                    ));
                }
                end => end.map(|end| end - start),
            },
            (None, Some(c)) => seconds(c, "duration")?,
            (None, None) => None,
        };
        let node = names
            .entry(node_name.to_owned())
            .or_insert_with(|| node_named(model, node_name))
            .clone();
        let Some((id, kind)) = node else {
            *out.unmatched
                .entry((String::new(), node_name.to_owned()))
                .or_default() += 1;
            continue;
        };
        let measured = out.nodes.entry(id).or_default();
        if kind == Kind::Producer {
            measured
                .arrivals
                .push(Duration::from_secs_f64(start).as_nanos());
        } else if let Some(d) = duration {
            measured.durations.push(d);
        } else {
            return Err(field(
                &place,
                format!(
                    "'{node_name}' is a {}: its rows need `end` or `duration`",
                    kind.label()
                ),
            ));
        }
    }
    if rows == 0 {
        return Err(InputError::Empty(
            "the file has a header but no rows: nothing to calibrate from".to_owned(),
        ));
    }
    out.source = format!("{rows} rows");
    Ok(out)
}

// ---- fitting ----

/// A distribution family calibration tries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Family {
    Exponential,
    LogNormal,
    Gamma,
    Empirical,
}

impl Family {
    pub const fn label(self) -> &'static str {
        match self {
            Self::Exponential => "exponential",
            Self::LogNormal => "log-normal",
            Self::Gamma => "gamma",
            Self::Empirical => "empirical",
        }
    }

    /// The family of a model's distribution, where it is one of these
    /// (Erlang is a gamma).
    pub fn of(dist: &Dist) -> Option<Self> {
        match dist {
            Dist::Exponential { .. } => Some(Self::Exponential),
            Dist::LogNormal { .. } => Some(Self::LogNormal),
            Dist::Gamma { .. } | Dist::Erlang { .. } => Some(Self::Gamma),
            Dist::Empirical { .. } => Some(Self::Empirical),
            Dist::Constant(_) | Dist::Uniform { .. } => None,
        }
    }
}

/// One family fitted to a node's service times.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub family: Family,
    /// The fitted distribution, as the model file writes it.
    pub dist: Dist,
    /// The Kolmogorov–Smirnov statistic: the largest gap between the
    /// measurements' distribution function and the fit's.
    pub ks: f64,
    /// Whether the test rejects the fit at the 5 % level.
    pub rejected: bool,
    /// The log-likelihood of the measurements (parametric families).
    pub log_likelihood: Option<f64>,
    /// The Bayesian information criterion, k·ln n − 2·ln L (lower is
    /// better; parametric families).
    pub bic: Option<f64>,
}

/// A node's fitted service time.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceFit {
    /// The parameter fitted (`service`, `latency`, `append`, `apply`).
    pub param: &'static str,
    pub n: usize,
    /// The measurements' mean and its 95 % confidence half-width, in
    /// seconds.
    pub mean_s: f64,
    pub mean_half_width_s: f64,
    /// The measurements' coefficient of variation.
    pub cv: f64,
    /// Every family tried, in [`Family`] order.
    pub candidates: Vec<Candidate>,
    /// The index of the chosen one in `candidates`.
    pub chosen: usize,
    /// The model's distribution before.
    pub before: Dist,
}

impl ServiceFit {
    pub fn chosen(&self) -> &Candidate {
        &self.candidates[self.chosen]
    }
}

/// A producer's fitted rate.
#[derive(Clone, Debug, PartialEq)]
pub struct RateFit {
    /// Arrivals seen.
    pub n: usize,
    /// Events per second, and its 95 % confidence half-width.
    pub rate: f64,
    pub half_width: f64,
    pub before: Arrival,
    pub after: Arrival,
}

/// What calibration found for one node.
#[derive(Clone, Debug, PartialEq)]
pub enum Fit {
    Rate(RateFit),
    Service(Box<ServiceFit>),
    /// Measurements matched the node but no fit was made, and why.
    Skipped(String),
}

/// The result of calibrating a model.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// By node id, in model order.
    pub fits: Vec<(String, Fit)>,
    /// Nodes with a rate or service time to fit that no measurement
    /// matched, in model order.
    pub unmatched_nodes: Vec<String>,
    /// Spans (service, name) or CSV rows (node name) that matched no node.
    pub unmatched: BTreeMap<(String, String), u64>,
    /// Spans of matched nodes that were no measurement.
    pub ignored: u64,
    pub sampled_every: u64,
    pub source: String,
}

/// The parameter of a kind that calibration fits, if any.
fn fitted_param(kind: &NodeKind) -> Option<(&'static str, &Dist)> {
    match kind {
        NodeKind::Consumer(p) => Some(("service", &p.service)),
        NodeKind::Service(p) => Some(("latency", &p.latency)),
        NodeKind::Sink(p) => Some(("latency", &p.latency)),
        NodeKind::EventStore(p) => Some(("append", &p.append)),
        NodeKind::Projection(p) => Some(("apply", &p.apply)),
        _ => None,
    }
}

fn fitted_param_mut(kind: &mut NodeKind) -> Option<&mut Dist> {
    match kind {
        NodeKind::Consumer(p) => Some(&mut p.service),
        NodeKind::Service(p) => Some(&mut p.latency),
        NodeKind::Sink(p) => Some(&mut p.latency),
        NodeKind::EventStore(p) => Some(&mut p.append),
        NodeKind::Projection(p) => Some(&mut p.apply),
        _ => None,
    }
}

/// Fits every node of `model` that `obs` measured.
pub fn calibrate(model: &Model, obs: &Observations) -> Calibration {
    let graph = &model.graph;
    // The window arrivals were seen in, over every producer.
    let all_arrivals: Vec<u64> = obs
        .nodes
        .values()
        .flat_map(|m| m.arrivals.iter().copied())
        .collect();
    let first = all_arrivals.iter().copied().min().unwrap_or(0);
    let last = all_arrivals.iter().copied().max().unwrap_or(0);
    let mut fits = Vec::new();
    let mut unmatched_nodes = Vec::new();
    for n in graph.node_indices() {
        let node = &graph[n];
        let measured = obs.nodes.get(&node.id);
        let fit = match &node.kind {
            NodeKind::Producer(p) => match measured.map(|m| m.arrivals.len()) {
                None | Some(0) => None,
                Some(count) => Some(fit_rate(
                    &p.arrival,
                    count,
                    all_arrivals.len(),
                    last.saturating_sub(first),
                    obs.sampled_every,
                )),
            },
            kind => fitted_param(kind).and_then(|(param, before)| {
                let durations = &measured?.durations;
                (!durations.is_empty()).then(|| fit_service(param, before, durations))
            }),
        };
        match fit {
            Some(fit) => fits.push((node.id.clone(), fit)),
            None if matches!(node.kind, NodeKind::Producer(_))
                || fitted_param(&node.kind).is_some() =>
            {
                unmatched_nodes.push(node.id.clone());
            }
            None => {}
        }
    }
    Calibration {
        fits,
        unmatched_nodes,
        unmatched: obs.unmatched.clone(),
        ignored: obs.ignored,
        sampled_every: obs.sampled_every,
        source: obs.source.clone(),
    }
}

/// `x` to four significant digits.
fn round4(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powf(3.0 - x.abs().log10().floor());
    (x * scale).round() / scale
}

fn fit_rate(before: &Arrival, count: usize, total: usize, window_ns: u64, every: u64) -> Fit {
    if count < MIN_SAMPLES {
        return Fit::Skipped(format!(
            "{count} arrival(s): at least {MIN_SAMPLES} are needed to fit a rate"
        ));
    }
    if window_ns == 0 {
        return Fit::Skipped("every arrival is at the same instant: no rate to fit".to_owned());
    }
    #[expect(clippy::cast_precision_loss, reason = "counts and ns as floats")]
    let (count_f, total_f, window_s, every_f) = (
        count as f64,
        total as f64,
        window_ns as f64 / 1e9,
        every as f64,
    );
    // n arrivals span n − 1 gaps: the window holds (n − 1)/n of the
    // events in it.
    let rate = round4(every_f * count_f * (total_f - 1.0) / (total_f * window_s));
    let half_width = 1.96 * rate / count_f.sqrt();
    let after = match *before {
        Arrival::Constant { .. } => Arrival::Constant { rate },
        Arrival::Poisson { .. } => Arrival::Poisson { rate },
        ref other => {
            let mean = other.mean_rate();
            if mean > 0.0 && mean.is_finite() {
                other.scaled(rate / mean)
            } else {
                Arrival::Poisson { rate }
            }
        }
    };
    let problems = after.problems();
    if !problems.is_empty() {
        return Fit::Skipped(format!(
            "the fitted rate ({rate}/s) is not one a model can hold: {}",
            problems.join("; ")
        ));
    }
    Fit::Rate(RateFit {
        n: count,
        rate,
        half_width,
        before: before.clone(),
        after,
    })
}

fn fit_service(param: &'static str, before: &Dist, durations: &[f64]) -> Fit {
    let n = durations.len();
    if n < MIN_SAMPLES {
        return Fit::Skipped(format!(
            "{n} service time(s): at least {MIN_SAMPLES} are needed to fit a distribution"
        ));
    }
    let mut xs = durations.to_vec();
    xs.sort_by(f64::total_cmp);
    #[expect(clippy::cast_precision_loss, reason = "counts as floats")]
    let nf = n as f64;
    let mean = xs.iter().sum::<f64>() / nf;
    let var = xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (nf - 1.0);
    if mean <= 0.0 {
        return Fit::Skipped("every service time is zero: nothing to fit".to_owned());
    }
    let mut candidates = Vec::new();
    let positive = xs[0] > 0.0;
    let ks_limit = 1.358 / (nf.sqrt() + 0.12 + 0.11 / nf.sqrt());
    let mut push = |family: Family,
                    dist: Dist,
                    params: f64,
                    ll: Option<f64>,
                    cdf: &dyn Fn(f64) -> (f64, f64)| {
        let ks = ks_statistic(&xs, cdf);
        candidates.push(Candidate {
            family,
            dist,
            ks,
            rejected: ks > ks_limit,
            log_likelihood: ll,
            bic: ll.map(|ll| params * nf.ln() - 2.0 * ll),
        });
    };
    // Exponential: the mean.
    {
        let ll = -nf * mean.ln() - xs.iter().sum::<f64>() / mean;
        let dist = Dist::Exponential {
            mean: Duration::from_secs_f64(round4(mean)),
        };
        let m = dist.mean().as_secs_f64();
        push(Family::Exponential, dist, 1.0, Some(ll), &|x| {
            let f = 1.0 - (-x / m).exp();
            (f, f)
        });
    }
    if positive {
        // Log-normal: the mean and variance of the logarithms.
        let logs: Vec<f64> = xs.iter().map(|x| x.ln()).collect();
        let mu = logs.iter().sum::<f64>() / nf;
        let s2 = logs.iter().map(|l| (l - mu).powi(2)).sum::<f64>() / nf;
        if s2 > 0.0 {
            let sigma = s2.sqrt();
            let ll = logs
                .iter()
                .map(|l| {
                    -l - sigma.ln()
                        - 0.5 * (2.0 * std::f64::consts::PI).ln()
                        - (l - mu).powi(2) / (2.0 * s2)
                })
                .sum::<f64>();
            let dist = Dist::LogNormal {
                mean: Duration::from_secs_f64(round4((mu + s2 / 2.0).exp())),
                cv: round4(s2.exp_m1().sqrt()),
            };
            push(Family::LogNormal, dist, 2.0, Some(ll), &|x| {
                let f = normal_cdf((x.ln() - mu) / sigma);
                (f, f)
            });
        }
        // Gamma: the shape from ln(mean) − mean(ln x) by Newton's method.
        let s = mean.ln() - mu;
        if s > 0.0 {
            let shape = gamma_shape(s);
            let scale = mean / shape;
            let ll = (shape - 1.0) * logs.iter().sum::<f64>()
                - xs.iter().sum::<f64>() / scale
                - nf * (ln_gamma(shape) + shape * scale.ln());
            let dist = Dist::Gamma {
                mean: Duration::from_secs_f64(round4(mean)),
                cv: round4(1.0 / shape.sqrt()),
            };
            push(Family::Gamma, dist, 2.0, Some(ll), &|x| {
                let f = gamma_p(shape, x / scale);
                (f, f)
            });
        }
    }
    // Empirical: the quantiles, linearly interpolated.
    let quantiles = empirical_quantiles(&xs);
    let q: Vec<f64> = quantiles.iter().map(|d| d.as_secs_f64()).collect();
    push(
        Family::Empirical,
        Dist::Empirical { quantiles },
        0.0,
        None,
        &|x| empirical_cdf_s(&q, x),
    );
    let chosen = candidates
        .iter()
        .enumerate()
        .filter(|(_, c)| !c.rejected && c.bic.is_some() && c.dist.problems().is_empty())
        .min_by(|(_, a), (_, b)| {
            a.bic
                .unwrap_or(f64::INFINITY)
                .total_cmp(&b.bic.unwrap_or(f64::INFINITY))
        })
        .map_or(candidates.len() - 1, |(i, _)| i);
    let problems = candidates[chosen].dist.problems();
    if !problems.is_empty() {
        return Fit::Skipped(format!(
            "the fitted {} law is not one a model can hold: {}",
            candidates[chosen].family.label(),
            problems.join("; ")
        ));
    }
    Fit::Service(Box::new(ServiceFit {
        param,
        n,
        mean_s: mean,
        mean_half_width_s: 1.96 * (var / nf).sqrt(),
        cv: var.sqrt() / mean,
        candidates,
        chosen,
        before: before.clone(),
    }))
}

/// The Kolmogorov–Smirnov statistic of sorted `xs` against a
/// distribution function: `cdf(x)` gives its limit from the left at `x`
/// and its value at `x` (equal but where the law has an atom). Tied
/// measurements are one step of the measurements' function.
fn ks_statistic(xs: &[f64], cdf: &dyn Fn(f64) -> (f64, f64)) -> f64 {
    #[expect(clippy::cast_precision_loss, reason = "counts as floats")]
    let n = xs.len() as f64;
    let mut d: f64 = 0.0;
    let mut i = 0;
    while i < xs.len() {
        let x = xs[i];
        let j = i + xs[i..].iter().take_while(|&&y| y == x).count();
        let (left, at) = cdf(x);
        #[expect(clippy::cast_precision_loss, reason = "counts as floats")]
        let (below, upto) = (i as f64 / n, j as f64 / n);
        d = d.max((left - below).abs()).max((at - upto).abs());
        i = j;
    }
    d
}

/// The empirical law's distribution function at `t` seconds (through
/// `quantiles` in seconds): its limit from the left and its value.
fn empirical_cdf_s(quantiles: &[f64], t: f64) -> (f64, f64) {
    #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
    let m = (quantiles.len() - 1) as f64;
    let at = |below: usize| {
        if below == 0 {
            return 0.0;
        }
        if below >= quantiles.len() {
            return 1.0;
        }
        let i = below - 1;
        let (a, b) = (quantiles[i], quantiles[i + 1]);
        let within = if b > a {
            ((t - a) / (b - a)).clamp(0.0, 1.0)
        } else {
            0.0
        };
        #[expect(clippy::cast_precision_loss, reason = "at most 1001 quantiles")]
        let f = (i as f64 + within) / m;
        f
    };
    (
        at(quantiles.partition_point(|&q| q < t)),
        at(quantiles.partition_point(|&q| q <= t)),
    )
}

/// The maximum-likelihood gamma shape for s = ln(mean) − mean(ln x) > 0:
/// Minka's starting point, then Newton's method on ln k − ψ(k) = s.
fn gamma_shape(s: f64) -> f64 {
    let mut k = (3.0 - s + ((s - 3.0).powi(2) + 24.0 * s).sqrt()) / (12.0 * s);
    for _ in 0..50 {
        let f = k.ln() - digamma(k) - s;
        let df = 1.0 / k - trigamma(k);
        let next = k - f / df;
        let next = if next > 0.0 { next } else { k / 2.0 };
        if (next - k).abs() < 1e-12 * k {
            return next;
        }
        k = next;
    }
    k
}

/// ψ(x), the digamma function, for x > 0: the recurrence up to 10, then
/// its asymptotic series.
fn digamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc -= 1.0 / x;
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    acc + x.ln()
        - 0.5 * inv
        - inv2 * (1.0 / 12.0 - inv2 * (1.0 / 120.0 - inv2 * (1.0 / 252.0 - inv2 / 240.0)))
}

/// ψ′(x), the trigamma function, for x > 0, likewise.
fn trigamma(mut x: f64) -> f64 {
    let mut acc = 0.0;
    while x < 10.0 {
        acc += 1.0 / (x * x);
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    acc + inv + inv2 / 2.0 + inv * inv2 * (1.0 / 6.0 - inv2 * (1.0 / 30.0 - inv2 / 42.0))
}

/// [`EMPIRICAL_QUANTILES`] quantiles of sorted `xs` (linear interpolation
/// between order statistics), or every value when there are fewer.
fn empirical_quantiles(xs: &[f64]) -> Vec<Duration> {
    let n = xs.len();
    if n <= EMPIRICAL_QUANTILES {
        return xs.iter().map(|&x| Duration::from_secs_f64(x)).collect();
    }
    (0..EMPIRICAL_QUANTILES)
        .map(|i| {
            #[expect(clippy::cast_precision_loss, reason = "counts as floats")]
            let h = (n - 1) as f64 * i as f64 / (EMPIRICAL_QUANTILES - 1) as f64;
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "0 ≤ h ≤ n − 1"
            )]
            let lo = h.floor() as usize;
            let hi = (lo + 1).min(n - 1);
            #[expect(clippy::cast_precision_loss, reason = "counts as floats")]
            let frac = h - lo as f64;
            Duration::from_secs_f64(xs[lo] + frac * (xs[hi] - xs[lo]))
        })
        .collect()
}

impl Calibration {
    /// Writes the fitted parameters into `model`: each producer's arrival
    /// rate, each fitted node's chosen distribution. Nothing else
    /// changes.
    pub fn apply(&self, model: &mut Model) {
        for (id, fit) in &self.fits {
            let Some(n) = model.find(id) else { continue };
            let kind = &mut model.graph[n].kind;
            match (fit, kind) {
                (Fit::Rate(r), NodeKind::Producer(p)) => p.arrival = r.after.clone(),
                (Fit::Service(s), kind) => {
                    if let Some(dist) = fitted_param_mut(kind) {
                        *dist = s.chosen().dist.clone();
                    }
                }
                _ => {}
            }
        }
    }

    /// Nodes whose parameters were fitted.
    pub fn fitted(&self) -> usize {
        self.fits
            .iter()
            .filter(|(_, f)| !matches!(f, Fit::Skipped(_)))
            .count()
    }

    /// What was fitted, node by node, and what matched nothing, as text.
    pub fn to_text(&self) -> String {
        use std::fmt::Write as _;
        let mut out = String::new();
        let _ = write!(out, "Calibrated from {}", self.source);
        if self.sampled_every > 1 {
            let _ = write!(out, " (one event in {} traced)", self.sampled_every);
        }
        let _ = writeln!(out, ": {} node(s) fitted.", self.fitted());
        for (id, fit) in &self.fits {
            match fit {
                Fit::Rate(r) => {
                    let _ = writeln!(
                        out,
                        "\n{id}: {} arrivals, {} ± {} events/s (95 %)\n  arrival: {} → {}",
                        r.n,
                        r.rate,
                        round4(r.half_width),
                        ron_text(&r.before),
                        ron_text(&r.after)
                    );
                }
                Fit::Service(s) => {
                    let _ = writeln!(
                        out,
                        "\n{id}: {} service times, mean {} ± {} (95 %), cv {}",
                        s.n,
                        Duration::from_secs_f64(round4(s.mean_s)),
                        Duration::from_secs_f64(round4(s.mean_half_width_s)),
                        round4(s.cv)
                    );
                    let _ = writeln!(out, "  family       KS       BIC");
                    for (i, c) in s.candidates.iter().enumerate() {
                        let bic = c.bic.map_or_else(|| "—".to_owned(), |b| format!("{b:.1}"));
                        let verdict = if i == s.chosen {
                            "  chosen"
                        } else if c.rejected {
                            "  rejected by KS at 5 %"
                        } else {
                            ""
                        };
                        let _ = writeln!(
                            out,
                            "  {:<12} {:.4}   {bic}{verdict}",
                            c.family.label(),
                            c.ks
                        );
                    }
                    let _ = writeln!(
                        out,
                        "  {}: {} → {}",
                        s.param,
                        ron_text(&s.before),
                        ron_text(&s.chosen().dist)
                    );
                }
                Fit::Skipped(why) => {
                    let _ = writeln!(out, "\n{id}: not fitted: {why}");
                }
            }
        }
        if !self.unmatched_nodes.is_empty() {
            let _ = writeln!(
                out,
                "\nNo measurement matched {} node(s), left as they were: {}",
                self.unmatched_nodes.len(),
                self.unmatched_nodes.join(", ")
            );
        }
        if !self.unmatched.is_empty() {
            let total: u64 = self.unmatched.values().sum();
            let _ = writeln!(out, "\n{total} measurement(s) matched no node:");
            for ((service, name), count) in &self.unmatched {
                if service.is_empty() {
                    let _ = writeln!(out, "  '{name}': {count}");
                } else {
                    let _ = writeln!(out, "  service '{service}', span '{name}': {count}");
                }
            }
        }
        if self.ignored > 0 {
            let _ = writeln!(
                out,
                "\n{} span(s) of matched nodes are not measurements (waiting, transit, failed attempts) and were left out.",
                self.ignored
            );
        }
        out
    }
}

impl Calibration {
    /// The fitted parameters written into the model file's own text, each
    /// in place of the value it replaces, so that comments, layout and
    /// everything else stay byte for byte. `None` when a fitted
    /// parameter is not written in the text (a default left out), or the
    /// text cannot be followed; the caller then writes the whole model.
    /// The caller should check that the result reads as the calibrated
    /// model.
    pub fn splice(&self, text: &str) -> Option<String> {
        let locator = crate::model::file::Locator::new(text);
        let line_starts: Vec<usize> = std::iter::once(0)
            .chain(text.match_indices('\n').map(|(i, _)| i + 1))
            .collect();
        let mut edits: Vec<(usize, usize, String)> = Vec::new();
        for (id, fit) in &self.fits {
            let (param, value) = match fit {
                Fit::Rate(r) => ("arrival", compact_ron(&r.after)?),
                Fit::Service(s) => (s.param, compact_ron(&s.chosen().dist)?),
                Fit::Skipped(_) => continue,
            };
            let (line, col) = locator.id(id)?;
            let line_start = *line_starts.get(line - 1)?;
            let at = line_start + text[line_start..].char_indices().nth(col - 1)?.0;
            let (start, end) = param_span(text, at, param)?;
            edits.push((start, end, value));
        }
        edits.sort_by_key(|&(start, _, _)| std::cmp::Reverse(start));
        let mut out = text.to_owned();
        for (start, end, value) in edits {
            out.replace_range(start..end, &value);
        }
        Some(out)
    }
}

/// Where the value of `param` inside the `kind:` of the node whose id
/// stands at byte `at` is, as a byte range (its text, without the
/// whitespace around it).
fn param_span(text: &str, at: usize, param: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut depth: i32 = 0;
    let mut in_kind = false;
    let mut value_start: Option<usize> = None;
    let mut i = at;
    // The node's id string itself.
    if bytes.get(i) == Some(&b'"') {
        i += 1;
        while i < bytes.len() && bytes[i] != b'"' {
            i += if bytes[i] == b'\\' { 2 } else { 1 };
        }
        i += 1;
    }
    let word_at = |i: usize, word: &str| {
        text.is_char_boundary(i)
            && text[i..].starts_with(word)
            && (i == 0 || !(bytes[i - 1].is_ascii_alphanumeric() || bytes[i - 1] == b'_'))
            && text[i + word.len()..].trim_start().starts_with(':')
    };
    while i < bytes.len() {
        match bytes[i] {
            b'"' => {
                i += 1;
                while i < bytes.len() && bytes[i] != b'"' {
                    i += if bytes[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'/' if bytes.get(i + 1) == Some(&b'/') => {
                i = text[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = text[i + 2..].find("*/").map(|n| i + 2 + n + 1)?;
            }
            b'(' | b'[' | b'{' => depth += 1,
            b')' | b']' | b'}' => {
                if value_start.is_some() && depth == 1 {
                    return Some((value_start?, i)).map(|(s, e)| trimmed(text, s, e));
                }
                depth -= 1;
                if depth < 0 || (in_kind && depth == 0) {
                    return None;
                }
            }
            b',' if value_start.is_some() && depth == 1 => {
                return Some((value_start?, i)).map(|(s, e)| trimmed(text, s, e));
            }
            _ if depth == 0 && !in_kind && word_at(i, "kind") => {
                in_kind = true;
                i += "kind".len();
                continue;
            }
            _ if depth == 1 && in_kind && value_start.is_none() && word_at(i, param) => {
                i += param.len();
                i += text[i..].find(':')? + 1;
                value_start = Some(i);
                continue;
            }
            _ => {}
        }
        i += 1;
    }
    None
}

/// A byte range without the whitespace at its ends.
fn trimmed(text: &str, start: usize, end: usize) -> (usize, usize) {
    let slice = &text[start..end];
    let lead = slice.len() - slice.trim_start().len();
    let trail = slice.len() - slice.trim_end().len();
    (start + lead, end - trail)
}

/// A value on one line, as a model file writes it by hand:
/// `Poisson(rate: 164.6)`.
fn compact_ron<T: serde::Serialize>(value: &T) -> Option<String> {
    let config = ron::ser::PrettyConfig::new()
        .new_line("")
        .indentor("")
        .separator(" ")
        .struct_names(false)
        .compact_structs(true)
        .compact_arrays(true);
    let text = ron::ser::to_string_pretty(value, config).ok()?;
    Some(text.replace(",)", ")").replace(",]", "]"))
}

/// A parameter as the model file writes it.
fn ron_text<T: serde::Serialize>(value: &T) -> String {
    let text = compact_ron(value).unwrap_or_default();
    if text.len() > 120 {
        let cut = text.char_indices().nth(100).map_or(text.len(), |(i, _)| i);
        format!("{}…", &text[..cut])
    } else {
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};

    fn draws(dist: &Dist, n: usize, seed: u64) -> Vec<f64> {
        let mut sampler = dist.sampler();
        let mut rng = stream(seed, "calibrate", Purpose::Service);
        (0..n)
            .map(|_| sampler.sample(&mut rng).as_secs_f64())
            .collect()
    }

    fn service_fit(fit: &Fit) -> &ServiceFit {
        match fit {
            Fit::Service(s) => s,
            other => panic!("expected a service fit, got {other:?}"),
        }
    }

    #[test]
    fn special_functions_are_right() {
        // ψ(1) = −γ, ψ(½) = −γ − 2 ln 2, ψ′(1) = π²/6.
        let gamma_e = 0.577_215_664_901_532_9;
        assert!((digamma(1.0) + gamma_e).abs() < 1e-11);
        assert!((digamma(0.5) + gamma_e + 2.0 * 2f64.ln()).abs() < 1e-11);
        assert!((trigamma(1.0) - std::f64::consts::PI.powi(2) / 6.0).abs() < 1e-10);
        // The shape solves ln k − ψ(k) = s.
        for k in [0.3, 1.0, 2.5, 40.0] {
            let s = f64::ln(k) - digamma(k);
            assert!((gamma_shape(s) - k).abs() < 1e-8 * k, "shape {k}");
        }
    }

    /// Each family is recognised from 4 000 of its own draws, over five
    /// seeds, and its mean and spread are recovered within their
    /// intervals.
    #[test]
    fn families_are_told_apart_and_parameters_recovered() {
        let ms = Duration::from_millis;
        let cases = [
            (Dist::Exponential { mean: ms(10) }, Family::Exponential),
            (
                Dist::LogNormal {
                    mean: ms(10),
                    cv: 0.8,
                },
                Family::LogNormal,
            ),
            (
                Dist::Gamma {
                    mean: ms(10),
                    cv: 0.5,
                },
                Family::Gamma,
            ),
            (Dist::Erlang { k: 3, mean: ms(6) }, Family::Gamma),
        ];
        for (truth, family) in cases {
            for seed in 1..=5 {
                let xs = draws(&truth, 4_000, seed);
                let fit = fit_service("service", &truth, &xs);
                let s = service_fit(&fit);
                let chosen = s.chosen();
                assert_eq!(chosen.family, family, "{truth:?} seed {seed}: {s:#?}");
                let true_mean = truth.mean().as_secs_f64();
                // 99.9 % of the mean's interval (3.29 / 1.96 of the 95 % one).
                let hw = s.mean_half_width_s * 3.29 / 1.96;
                assert!(
                    (s.mean_s - true_mean).abs() < hw,
                    "{truth:?} seed {seed}: mean {} vs {true_mean} ± {hw}",
                    s.mean_s
                );
                assert!(hw < 0.1 * true_mean, "interval too wide: {hw}");
                assert!(
                    (chosen.dist.cv() - truth.cv()).abs() < 0.1 * truth.cv(),
                    "{truth:?} seed {seed}: cv {} vs {}",
                    chosen.dist.cv(),
                    truth.cv()
                );
                assert!(!chosen.rejected);
            }
        }
    }

    #[test]
    fn a_law_no_family_fits_is_taken_as_measured() {
        // Half at 1 ms, half at 50 ms: no single family comes close.
        let xs: Vec<f64> = (0..2_000)
            .map(|i| {
                if i % 2 == 0 {
                    0.001
                } else {
                    0.05 + f64::from(i) * 1e-7
                }
            })
            .collect();
        let fit = fit_service("service", &Dist::default(), &xs);
        let s = service_fit(&fit);
        assert_eq!(s.chosen().family, Family::Empirical, "{s:#?}");
        assert!(
            s.candidates
                .iter()
                .filter(|c| c.family != Family::Empirical)
                .all(|c| c.rejected)
        );
        let Dist::Empirical { quantiles } = &s.chosen().dist else {
            panic!("not empirical");
        };
        assert_eq!(quantiles.len(), EMPIRICAL_QUANTILES);
        assert!(s.chosen().dist.problems().is_empty());
        assert!(s.chosen().ks < 0.011, "{}", s.chosen().ks);
    }

    #[test]
    fn zero_durations_leave_only_the_families_that_allow_them() {
        let mut xs = draws(
            &Dist::Exponential {
                mean: Duration::from_millis(5),
            },
            500,
            3,
        );
        xs[0] = 0.0;
        let fit = fit_service("service", &Dist::default(), &xs);
        let s = service_fit(&fit);
        let families: Vec<Family> = s.candidates.iter().map(|c| c.family).collect();
        assert_eq!(families, [Family::Exponential, Family::Empirical]);
        assert!(matches!(
            fit_service("service", &Dist::default(), &[0.001; 3]),
            Fit::Skipped(_)
        ));
        // Durations of two years and more fit no law a model can hold.
        let years: Vec<f64> = (0..50).map(|i| 6.4e7 + f64::from(i) * 1e5).collect();
        let Fit::Skipped(why) = fit_service("service", &Dist::default(), &years) else {
            panic!("a fit past the longest duration");
        };
        assert!(why.contains("not one a model can hold"), "{why}");
    }

    const MODEL: &str = r#"(
        version: 1,
        name: "m",
        nodes: [
            (id: "orders", name: "Order API", kind: Producer(arrival: Poisson(rate: 10.0))),
            (id: "inbox", kind: Queue()),
            (id: "worker", kind: Consumer(service: Constant("5ms"))),
            (id: "idle", kind: Consumer(service: Constant("5ms"))),
        ],
        edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker"), (from: "inbox", to: "idle")],
    )"#;

    fn model() -> Model {
        crate::model::file::from_str(MODEL).expect("model").0
    }

    fn otlp_span(name: &str, kind: u64, parent: &str, id: &str, start: u64, end: u64) -> String {
        format!(
            r#"{{"traceId":"t{id}","spanId":"{id}","parentSpanId":"{parent}","name":"{name}","kind":{kind},"startTimeUnixNano":"{start}","endTimeUnixNano":"{end}"}}"#
        )
    }

    fn request(service: &str, spans: &[String]) -> String {
        format!(
            r#"{{"resourceSpans":[{{"resource":{{"attributes":[{{"key":"service.name","value":{{"stringValue":"{service}"}}}}]}},"scopeSpans":[{{"spans":[{}]}}]}}]}}"#,
            spans.join(",")
        )
    }

    #[test]
    fn spans_match_by_service_and_by_operation() {
        // Producer spans every 100 ms by display name; "process" spans of
        // 5–14 ms at the worker by service; operations named after the
        // worker at another service; noise elsewhere.
        let producer: Vec<String> = (0..20)
            .map(|i| {
                otlp_span(
                    "send",
                    4,
                    "",
                    &format!("p{i}"),
                    i * 100_000_000,
                    i * 100_000_000 + 10,
                )
            })
            .collect();
        let mut worker: Vec<String> = (0..10)
            .map(|i| otlp_span("process", 5, "x", &format!("w{i}"), 0, (5 + i) * 1_000_000))
            .collect();
        worker.push(otlp_span("wait", 1, "x", "w-wait", 0, 1));
        let by_op: Vec<String> = (0..10)
            .map(|i| otlp_span("worker", 2, "y", &format!("o{i}"), 0, (5 + i) * 1_000_000))
            .collect();
        let text = [
            request("Order API", &producer),
            request("worker", &worker),
            request("gateway", &by_op),
            request("elsewhere", &[otlp_span("GET /", 2, "", "e", 0, 1)]),
        ]
        .join("\n");
        let spans = parse_otlp(&text).expect("parses");
        let obs = observe_spans(&model(), &spans);
        assert_eq!(obs.nodes["orders"].arrivals.len(), 20);
        assert_eq!(obs.nodes["worker"].durations.len(), 20);
        assert_eq!(obs.ignored, 1);
        assert_eq!(obs.unmatched.len(), 1);
        let cal = calibrate(&model(), &obs);
        assert_eq!(cal.unmatched_nodes, ["idle"]);
        let Fit::Rate(r) = &cal.fits[0].1 else {
            panic!("{cal:?}")
        };
        // 20 arrivals 100 ms apart: 19 gaps in 1.9 s.
        assert!((r.rate - 10.0).abs() < 1e-9, "{}", r.rate);
        let s = service_fit(&cal.fits[1].1);
        assert!((s.mean_s - 0.0095).abs() < 1e-12);
        let mut m = model();
        cal.apply(&mut m);
        let text = cal.to_text();
        assert!(
            text.contains("idle") && text.contains("elsewhere"),
            "{text}"
        );
    }

    #[test]
    fn fitted_values_are_written_in_place() {
        assert_eq!(
            compact_ron(&Arrival::Poisson { rate: 164.6 }).as_deref(),
            Some("Poisson(rate: 164.6)")
        );
        assert_eq!(
            compact_ron(&Dist::LogNormal {
                mean: Duration::from_millis(20),
                cv: 0.79
            })
            .as_deref(),
            Some("LogNormal(mean: \"20ms\", cv: 0.79)")
        );
        assert_eq!(
            compact_ron(&Dist::Empirical {
                quantiles: vec![Duration::from_millis(1), Duration::from_millis(3)]
            })
            .as_deref(),
            Some("Empirical(quantiles: [\"1ms\", \"3ms\"])")
        );
        let text = "// A model.\n(\n    version: 1,\n    name: \"m\",\n    nodes: [\n        (id: \"orders\", name: \"Order API\", kind: Producer(arrival: Poisson(rate: 10.0), keys: 3)),\n        (id: \"inbox\", kind: Queue()),\n        (\n            id: \"worker\",\n            kind: Consumer(\n                // the service\n                service: Constant(\"5ms\"), /* it */\n            ),\n        ),\n    ],\n    edges: [(from: \"orders\", to: \"inbox\"), (from: \"inbox\", to: \"worker\")],\n)\n";
        let (m, _) = crate::model::file::from_str(text).expect("loads");
        let cal = Calibration {
            fits: vec![
                (
                    "orders".to_owned(),
                    Fit::Rate(RateFit {
                        n: 10,
                        rate: 12.5,
                        half_width: 1.0,
                        before: Arrival::Poisson { rate: 10.0 },
                        after: Arrival::Poisson { rate: 12.5 },
                    }),
                ),
                (
                    "worker".to_owned(),
                    Fit::Service(Box::new(ServiceFit {
                        param: "service",
                        n: 10,
                        mean_s: 0.004,
                        mean_half_width_s: 0.001,
                        cv: 1.0,
                        candidates: vec![Candidate {
                            family: Family::Exponential,
                            dist: Dist::Exponential {
                                mean: Duration::from_millis(4),
                            },
                            ks: 0.1,
                            rejected: false,
                            log_likelihood: Some(1.0),
                            bic: Some(1.0),
                        }],
                        chosen: 0,
                        before: Dist::Constant(Duration::from_millis(5)),
                    })),
                ),
            ],
            unmatched_nodes: Vec::new(),
            unmatched: BTreeMap::new(),
            ignored: 0,
            sampled_every: 1,
            source: String::new(),
        };
        let spliced = cal.splice(text).expect("splices");
        assert_eq!(
            spliced,
            text.replace("Poisson(rate: 10.0)", "Poisson(rate: 12.5)")
                .replace("Constant(\"5ms\")", "Exponential(mean: \"4ms\")")
        );
        let mut fitted = m.clone();
        cal.apply(&mut fitted);
        let (back, _) = crate::model::file::from_str(&spliced).expect("loads");
        assert!(back.same_as(&fitted));
        // A parameter the text leaves to its default cannot be spliced.
        let bare = text.replace("service: Constant(\"5ms\"), /* it */", "");
        assert_eq!(cal.splice(&bare), None);
    }

    #[test]
    fn bad_traces_are_refused_with_where_and_why() {
        let cases = [
            ("", "empty"),
            ("{", "line 1, column 1"),
            ("[1]", "object 1: expected an object"),
            ("{}", "no `resourceSpans`"),
            (r#"{"resourceSpans": {}}"#, "expected a list"),
            (
                r#"{"resourceSpans": [{"scopeSpans": []}]}"#,
                "no `service.name`",
            ),
            (
                &request(
                    "w",
                    &[r#"{"name":"process","startTimeUnixNano":"5"}"#.to_owned()],
                ),
                "spans[0] ('process' at 'w'): the span has no `endTimeUnixNano`",
            ),
            (
                &request("w", &[otlp_span("process", 5, "", "a", 10, 5)]),
                "negative duration",
            ),
            (
                &request(
                    "w",
                    &[r#"{"name":"p","startTimeUnixNano":"x","endTimeUnixNano":"1"}"#.to_owned()],
                ),
                "whole number of nanoseconds, not 'x'",
            ),
            (r#"{"resourceSpans": []}"#, "no spans"),
        ];
        for (text, expected) in cases {
            let err = parse_otlp(text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text}: {err}");
        }
    }

    #[test]
    fn csv_rows_are_read_and_bad_ones_refused() {
        let m = model();
        let mut text = String::from("node,start,end,extra\n");
        for i in 0..12 {
            text.push_str(&format!("orders,{i}.0,,x\n"));
            text.push_str(&format!("worker,{i}.0,{i}.01{i},x\n"));
        }
        text.push_str("ghost,1,2,x\n");
        let obs = parse_csv(&m, &text).expect("reads");
        assert_eq!(obs.nodes["orders"].arrivals.len(), 12);
        assert_eq!(obs.nodes["worker"].durations.len(), 12);
        assert_eq!(obs.unmatched[&(String::new(), "ghost".to_owned())], 1);
        let cal = calibrate(&m, &obs);
        let Fit::Rate(r) = &cal.fits[0].1 else {
            panic!("{cal:?}")
        };
        assert!((r.rate - 1.0).abs() < 1e-9);

        let cases = [
            ("", "empty"),
            ("node,begin\nw,1\n", "line 1: the header must name"),
            ("node,start,end,duration\n", "not both"),
            ("node,start,end\n", "no rows"),
            (
                "node,start,end\nworker,2,1\n",
                "line 2: `end` (1) is before `start` (2)",
            ),
            (
                "node,start,end\nworker,-1,1\n",
                "line 2: `start` must be a number of seconds of 0 or more",
            ),
            (
                "node,start,duration\nworker,1,abc\n",
                "line 2: `duration` must be a number of seconds, not 'abc'",
            ),
            ("node,start,end\nworker,1\n", "line 2"),
            (
                "node,start\nworker,1\n",
                "line 2: 'worker' is a consumer: its rows need `end` or `duration`",
            ),
            (
                "node,start,end\n,1,2\n",
                "line 2: the `node` column is empty",
            ),
        ];
        for (text, expected) in cases {
            let err = parse_csv(&m, text).expect_err(text).to_string();
            assert!(err.contains(expected), "{text:?}: {err}");
        }
    }
}
