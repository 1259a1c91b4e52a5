//! Traces: the journeys of sampled messages ([`crate::journey`]) as
//! Chrome trace-event JSON (Perfetto, `chrome://tracing`) and as
//! OpenTelemetry OTLP/JSON spans.
//!
//! ## Chrome trace events
//!
//! Each node is a process (`pid` = its index in model order + 1, named
//! `"<id> (<kind>)"` and sorted in model order); the messages it holds at
//! once are spread over its threads (`tid` = lane 1, 2, …: each hop goes
//! to the first lane free at its start, so slices on a lane never overlap).
//! Each hop is an `"X"` complete event: `name` is what the message was
//! doing (`wait`, `process`, `process (failed)`, `backoff`, `transit`, …),
//! `ts` and `dur` are simulated microseconds, and `args` name the journey,
//! event type, key, attempt, outcome and how the journey ended. The hops
//! of one journey are linked by one flow (`"s"`, `"t"`, `"f"` events with
//! `id` = journey id + 1, each placed in the middle of a hop longer than
//! zero), so selecting a slice shows where the message went next.
//!
//! ## OpenTelemetry (OTLP/JSON)
//!
//! An `ExportTraceServiceRequest` as OTLP/HTTP's JSON encoding writes it:
//! one `resourceSpans` per node (`service.name` = node id; its kind, the
//! model, the seed and the sampling, `weir.sample.every`, as further
//! attributes), one scope
//! (`weir`). Every journey has a root span (named after its event type,
//! under the node where it began, from its creation to its end) and a
//! child span per hop (under the hop's node). A copy's journey is in its
//! original's trace: its root span's parent is the original's hop during
//! which it was copied, and it links to the original's root span. Ids are
//! derived from the seed and the journey and hop numbers, so the same run
//! gives the same ids; times are simulated nanoseconds since the start of
//! the run, read as Unix time (the run starts at 1970-01-01T00:00:00Z).
//! Failed attempts and journeys that did not complete have status
//! `STATUS_CODE_ERROR` with a message saying why.

use serde_json::{Map, Value, json};

use crate::journey::{Hop, HopKind, Journey, JourneyEnd, Outcome, Trace};
use crate::nodes::Kind;
use crate::rng::mix64;
use crate::time::SimTime;

/// Simulated nanoseconds as trace-event microseconds (exact to the ns).
#[expect(clippy::cast_precision_loss, reason = "sub-ns error beyond 2^53 ns")]
fn micros(ns: u64) -> f64 {
    ns as f64 / 1000.0
}

fn node_id(trace: &Trace, node: u32) -> &str {
    trace.nodes.get(node as usize).map_or("", |n| n.id.as_str())
}

/// A hop's slice name.
fn hop_name(hop: &Hop) -> String {
    match hop.kind {
        HopKind::Process {
            outcome: Outcome::Ok,
            ..
        } => "process".to_owned(),
        HopKind::Process { outcome, .. } => {
            format!("process ({})", outcome.key().replace('_', " "))
        }
        HopKind::Elided { hops } => format!("elided ({hops} hops)"),
        kind => kind.key().to_owned(),
    }
}

/// How a journey ended, in words.
fn end_text(trace: &Trace, end: JourneyEnd) -> String {
    match end {
        JourneyEnd::InFlight => "in flight".to_owned(),
        JourneyEnd::Completed { node, .. } => format!("completed at {}", node_id(trace, node)),
        JourneyEnd::Dropped { node, reason, .. } => {
            format!("dropped at {} ({})", node_id(trace, node), reason.key())
        }
        JourneyEnd::DeadLettered { node, .. } => {
            format!("dead-lettered in {}", node_id(trace, node))
        }
        JourneyEnd::Expired { node, .. } => format!("expired in {}", node_id(trace, node)),
    }
}

/// The details of a hop, for slice args and span attributes.
fn hop_details(trace: &Trace, hop: &Hop) -> Vec<(&'static str, Value)> {
    let mut out = vec![("node", json!(node_id(trace, hop.node)))];
    match hop.kind {
        HopKind::Process { attempt, outcome } => {
            out.push(("attempt", json!(attempt)));
            out.push(("outcome", json!(outcome.key())));
        }
        HopKind::Backoff { attempt } => out.push(("after_attempt", json!(attempt))),
        HopKind::Transit { to } => out.push(("to", json!(node_id(trace, to)))),
        HopKind::Elided { hops } => out.push(("hops_left_out", json!(hops))),
        HopKind::Created
        | HopKind::Wait
        | HopKind::Blocked
        | HopKind::Route
        | HopKind::Invisible => {}
    }
    out
}

/// The trace as Chrome trace-event JSON.
pub fn to_chrome(trace: &Trace) -> String {
    let mut events: Vec<Value> = Vec::new();
    for (i, node) in trace.nodes.iter().enumerate() {
        let pid = i + 1;
        events.push(json!({
            "ph": "M", "name": "process_name", "pid": pid, "tid": 0,
            "args": {"name": format!("{} ({})", node.id, node.kind.key())},
        }));
        events.push(json!({
            "ph": "M", "name": "process_sort_index", "pid": pid, "tid": 0,
            "args": {"sort_index": i},
        }));
    }

    // Every hop, in time order, with its lane on its node.
    let mut hops: Vec<(&Journey, usize, &Hop)> = trace
        .journeys
        .iter()
        .flat_map(|j| j.hops.iter().enumerate().map(move |(k, h)| (j, k, h)))
        .collect();
    hops.sort_by_key(|&(j, k, h)| (h.start, h.end, j.id, k));
    let mut lanes: Vec<Vec<SimTime>> = vec![Vec::new(); trace.nodes.len()];
    let mut lane_of: Vec<Vec<usize>> = trace
        .journeys
        .iter()
        .map(|j| vec![0; j.hops.len()])
        .collect();
    let mut slices = Vec::with_capacity(hops.len());
    for &(journey, k, hop) in &hops {
        let Some(node_lanes) = lanes.get_mut(hop.node as usize) else {
            continue;
        };
        let lane = match node_lanes.iter().position(|&end| end <= hop.start) {
            Some(lane) => lane,
            None => {
                node_lanes.push(hop.start);
                node_lanes.len() - 1
            }
        };
        node_lanes[lane] = hop.end;
        lane_of[journey.id as usize][k] = lane;
        let mut args = Map::new();
        args.insert("journey".to_owned(), json!(journey.id));
        args.insert("event_type".to_owned(), json!(journey.event_type));
        args.insert("key".to_owned(), json!(journey.key));
        for (name, value) in hop_details(trace, hop) {
            args.insert(name.to_owned(), value);
        }
        if let Some(fork) = journey.parent {
            args.insert("parent_journey".to_owned(), json!(fork.journey));
            args.insert("copy".to_owned(), json!(fork.why.key()));
        }
        args.insert(
            "journey_end".to_owned(),
            json!(end_text(trace, journey.end)),
        );
        slices.push(json!({
            "name": hop_name(hop),
            "cat": "journey",
            "ph": "X",
            "ts": micros(hop.start.0),
            "dur": micros(hop.end.0 - hop.start.0),
            "pid": hop.node + 1,
            "tid": lane + 1,
            "args": args,
        }));
    }
    for (i, node_lanes) in lanes.iter().enumerate() {
        for lane in 0..node_lanes.len() {
            events.push(json!({
                "ph": "M", "name": "thread_name", "pid": i + 1, "tid": lane + 1,
                "args": {"name": format!("lane {}", lane + 1)},
            }));
        }
    }
    events.extend(slices);

    // One flow per journey through its hops longer than zero.
    for journey in &trace.journeys {
        let points: Vec<(usize, &Hop)> = journey
            .hops
            .iter()
            .enumerate()
            .filter(|(_, h)| h.end > h.start)
            .collect();
        if points.len() < 2 {
            continue;
        }
        for (n, &(k, hop)) in points.iter().enumerate() {
            let phase = match n {
                0 => "s",
                n if n + 1 == points.len() => "f",
                _ => "t",
            };
            let mut event = json!({
                "name": "message",
                "cat": "journey",
                "ph": phase,
                "id": journey.id + 1,
                "ts": micros(hop.start.0 + (hop.end.0 - hop.start.0) / 2),
                "pid": hop.node + 1,
                "tid": lane_of[journey.id as usize][k] + 1,
            });
            if phase == "f" {
                event["bp"] = json!("e");
            }
            events.push(event);
        }
    }

    let document = json!({
        "displayTimeUnit": "ms",
        "otherData": other_data(trace),
        "traceEvents": events,
    });
    let mut text = serde_json::to_string_pretty(&document).unwrap_or_default();
    text.push('\n');
    text
}

fn other_data(trace: &Trace) -> Value {
    json!({
        "generator": "weir",
        "model": trace.model,
        "seed": trace.seed,
        "sim_time_s": trace.at.as_secs_f64(),
        "sampled_every": trace.options.every,
        "journeys": trace.journeys.len(),
        "journeys_skipped": trace.skipped,
        "max_journeys": trace.options.max_journeys,
        "max_hops": trace.options.max_hops,
    })
}

// ---- OTLP ----

/// The salt of a run's ids.
fn salt(seed: u64) -> u64 {
    mix64(seed ^ 0x7765_6972_0074_7261)
}

/// A span id: unique per (journey, slot) in a run, where slot 0 is the
/// journey's root span and slot `k + 1` its hop `k`.
fn span_id(seed: u64, journey: u32, slot: u32) -> String {
    let id = mix64(salt(seed) ^ ((u64::from(journey) << 32) | u64::from(slot)));
    format!("{:016x}", id.max(1))
}

/// A trace id: unique per root journey in a run.
fn trace_id(seed: u64, root: u32) -> String {
    let high = mix64(salt(seed).rotate_left(17));
    let low = mix64(high ^ u64::from(root));
    format!("{high:016x}{:016x}", low.max(1))
}

fn attr(key: &str, value: &Value) -> Value {
    let value = match value {
        Value::String(s) => json!({"stringValue": s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_u64() || n.is_i64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n}),
        other => json!({"stringValue": other.to_string()}),
    };
    json!({"key": key, "value": value})
}

/// OTLP span kinds.
const SPAN_KIND_INTERNAL: u32 = 1;
const SPAN_KIND_SERVER: u32 = 2;
const SPAN_KIND_PRODUCER: u32 = 4;
const SPAN_KIND_CONSUMER: u32 = 5;
/// OTLP status codes.
const STATUS_ERROR: u32 = 2;

fn status_error(message: &str) -> Value {
    json!({"code": STATUS_ERROR, "message": message})
}

/// The trace as OTLP/JSON (an `ExportTraceServiceRequest`).
pub fn to_otlp(trace: &Trace) -> String {
    let seed = trace.seed;
    let mut roots: Vec<u32> = Vec::with_capacity(trace.journeys.len());
    for journey in &trace.journeys {
        let root = journey
            .parent
            .and_then(|f| roots.get(f.journey as usize).copied())
            .unwrap_or(journey.id);
        roots.push(root);
    }
    let mut spans_by_node: Vec<Vec<Value>> = vec![Vec::new(); trace.nodes.len()];
    for journey in &trace.journeys {
        let tid = trace_id(seed, roots[journey.id as usize]);
        let root_span = span_id(seed, journey.id, 0);
        let (end_at, status) = match journey.end {
            JourneyEnd::InFlight => (trace.at, None),
            JourneyEnd::Completed { at, .. } => (at, None),
            end => (
                end.place().map_or(trace.at, |(_, at)| at),
                Some(status_error(&end_text(trace, end))),
            ),
        };
        let first = journey.hops.first().map_or(0, |h| h.node);
        let mut attributes = vec![
            attr("weir.journey", &json!(journey.id)),
            attr("weir.event_type", &json!(journey.event_type)),
            attr("weir.key", &json!(journey.key)),
            attr("weir.end", &json!(journey.end.key())),
            attr("weir.end.detail", &json!(end_text(trace, journey.end))),
        ];
        if let Some((node, _)) = journey.end.place() {
            attributes.push(attr("weir.end.node", &json!(node_id(trace, node))));
        }
        let mut root = json!({
            "traceId": tid,
            "spanId": root_span,
            "name": journey.event_type,
            "kind": if journey.parent.is_none()
                && trace.nodes.get(first as usize).is_some_and(|n| n.kind == Kind::Producer)
            {
                SPAN_KIND_PRODUCER
            } else {
                SPAN_KIND_INTERNAL
            },
            "startTimeUnixNano": journey.created.0.to_string(),
            "endTimeUnixNano": end_at.0.to_string(),
        });
        if let Some(fork) = journey.parent {
            root["parentSpanId"] = json!(span_id(seed, fork.journey, fork.hop + 1));
            attributes.push(attr("weir.parent_journey", &json!(fork.journey)));
            attributes.push(attr("weir.copy", &json!(fork.why.key())));
            root["links"] = json!([{
                "traceId": tid,
                "spanId": span_id(seed, fork.journey, 0),
                "attributes": [attr("weir.copy", &json!(fork.why.key()))],
            }]);
        }
        root["attributes"] = Value::Array(attributes);
        if let Some(status) = status {
            root["status"] = status;
        }
        if let Some(spans) = spans_by_node.get_mut(first as usize) {
            spans.push(root);
        }

        for (k, hop) in journey.hops.iter().enumerate() {
            let node_kind = trace.nodes.get(hop.node as usize).map(|n| n.kind);
            let kind = match (hop.kind, node_kind) {
                (HopKind::Process { .. }, Some(Kind::Service)) => SPAN_KIND_SERVER,
                (HopKind::Process { .. }, _) => SPAN_KIND_CONSUMER,
                (HopKind::Created, Some(Kind::Producer)) => SPAN_KIND_PRODUCER,
                _ => SPAN_KIND_INTERNAL,
            };
            let attributes: Vec<Value> = hop_details(trace, hop)
                .into_iter()
                .map(|(name, value)| attr(&format!("weir.{name}"), &value))
                .collect();
            let mut span = json!({
                "traceId": tid,
                "spanId": span_id(seed, journey.id, u32::try_from(k + 1).unwrap_or(u32::MAX)),
                "parentSpanId": root_span,
                "name": hop_name(hop),
                "kind": kind,
                "startTimeUnixNano": hop.start.0.to_string(),
                "endTimeUnixNano": hop.end.0.to_string(),
                "attributes": attributes,
            });
            if let HopKind::Process { outcome, .. } = hop.kind
                && outcome != Outcome::Ok
            {
                span["status"] = status_error(outcome.key());
            }
            if let Some(spans) = spans_by_node.get_mut(hop.node as usize) {
                spans.push(span);
            }
        }
    }

    let resource_spans: Vec<Value> = trace
        .nodes
        .iter()
        .zip(spans_by_node)
        .map(|(node, spans)| {
            json!({
                "resource": {"attributes": [
                    attr("service.name", &json!(node.id)),
                    attr("weir.node.kind", &json!(node.kind.key())),
                    attr("weir.model", &json!(trace.model)),
                    attr("weir.seed", &json!(trace.seed.to_string())),
                    attr("weir.sample.every", &json!(trace.options.every)),
                ]},
                "scopeSpans": [{
                    "scope": {"name": "weir", "version": env!("CARGO_PKG_VERSION")},
                    "spans": spans,
                }],
            })
        })
        .collect();
    let mut text =
        serde_json::to_string_pretty(&json!({"resourceSpans": resource_spans})).unwrap_or_default();
    text.push('\n');
    text
}
