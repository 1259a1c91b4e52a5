//! Exports (issue 6): every example to every format, golden files for two
//! examples, and the AsyncAPI round trip. The external validators (the
//! AsyncAPI parser, Graphviz, an HCL parser) run in CI:
//! `.ci/validate-exports.sh`.
//!
//! After an intended change to an exporter (or to the engine, for the
//! report formats), regenerate the golden files with
//! `UPDATE_GOLDEN=1 cargo test -p weir-tests --test integration export`
//! and review the diff.

use std::path::{Path, PathBuf};

use std::collections::BTreeMap;

use serde_json::Value;
use sim_core::export::{Format, asyncapi, export, export_report, export_trace};
use sim_core::journey::{JourneyEnd, JourneyOptions, Trace, record};
use sim_core::model::file;
use sim_core::time::Duration;
use sim_core::{Model, Report, run_replications};

fn workspace() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
}

/// Every example, by file stem, in name order.
fn examples() -> Vec<(String, Model)> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(workspace().join("examples"))
        .expect("examples/ is readable")
        .filter_map(|entry| Some(entry.ok()?.path()))
        .filter(|p| p.extension().is_some_and(|e| e == "ron"))
        .collect();
    paths.sort();
    assert!(!paths.is_empty(), "no examples found");
    paths
        .into_iter()
        .map(|p| {
            let text = std::fs::read_to_string(&p).expect("example is readable");
            let stem = p
                .file_stem()
                .and_then(|s| s.to_str())
                .expect("example name")
                .to_owned();
            (stem, weir_tests::model(&text))
        })
        .collect()
}

/// A short run of the model's scenario, so report exports stay quick.
fn short_report(model: &Model) -> Report {
    let mut model = model.clone();
    model.scenario.duration = Duration::from_secs(20);
    model.scenario.warmup = Some(Duration::from_secs(2));
    model.scenario.replications = 1;
    run_replications(&model).expect("the example runs")
}

/// The journeys of a short run: one event in 100, for 20 s.
fn short_trace(model: &Model) -> Trace {
    let mut model = model.clone();
    model.scenario.duration = Duration::from_secs(20);
    model.scenario.warmup = Some(Duration::from_secs(2));
    let options = JourneyOptions {
        every: 100,
        ..JourneyOptions::default()
    };
    record(&model, options).expect("the example runs")
}

fn render(model: &Model, format: Format) -> String {
    if format.needs_report() {
        export_report(&short_report(model), format)
    } else if format.needs_trace() {
        export_trace(&short_trace(model), format)
    } else if format.needs_run() {
        let mut model = model.clone();
        model.scenario.duration = Duration::from_secs(20);
        model.scenario.warmup = Some(Duration::from_secs(2));
        sim_core::export::export_run(
            &sim_core::run_once(&model, model.scenario.seed).expect("the example runs"),
            format,
        )
    } else {
        export(model, format)
    }
    .unwrap_or_else(|e| panic!("{format} export failed: {e}"))
}

#[test]
fn every_example_exports_to_every_format() {
    for (name, model) in examples() {
        for format in Format::ALL {
            let text = render(&model, format);
            assert!(!text.trim().is_empty(), "{name}: empty {format} export");
            if format == Format::PrometheusRules {
                // The rules file describes the alerting rules, not the
                // nodes: every rule, with the node it watches.
                for rule in &model.alerts {
                    assert!(
                        text.contains(&format!("alert: \"{}\"", rule.name))
                            && text.contains(&format!("node: \"{}\"", rule.on)),
                        "{name}: the {format} export misses rule '{}'",
                        rule.name
                    );
                }
                continue;
            }
            for n in model.graph.node_indices() {
                let id = &model.graph[n].id;
                if format != Format::Mermaid {
                    assert!(
                        text.contains(id.as_str()),
                        "{name}: the {format} export does not mention node '{id}'"
                    );
                }
            }
        }
    }
}

#[test]
fn golden_files_match() {
    let update = std::env::var_os("UPDATE_GOLDEN").is_some();
    let examples = examples();
    for stem in ["pubsub-fanout", "retries-dead-letter", "kafka-consumer-lag"] {
        let (_, model) = examples
            .iter()
            .find(|(name, _)| name == stem)
            .expect("the golden examples exist");
        let dir = workspace().join("tests/golden").join(stem);
        for format in Format::ALL {
            let path = dir.join(format!("{stem}.{}", format.extension()));
            let text = render(model, format);
            if update {
                std::fs::create_dir_all(&dir).expect("golden dir");
                std::fs::write(&path, &text).expect("golden file written");
                continue;
            }
            let want = std::fs::read_to_string(&path).unwrap_or_else(|e| {
                panic!(
                    "{}: {e}; create it with UPDATE_GOLDEN=1 cargo test -p weir-tests --test integration export",
                    path.display()
                )
            });
            assert!(
                text == want,
                "{stem}: the {format} export differs from {}; if the change is intended, regenerate with UPDATE_GOLDEN=1 and review the diff.\n--- got:\n{text}",
                path.display()
            );
        }
    }
}

#[test]
fn every_example_survives_the_asyncapi_round_trip() {
    for (name, model) in examples() {
        for format in [Format::AsyncApi, Format::AsyncApiJson] {
            let text = export(&model, format).expect("exports");
            let (back, diagnostics) = asyncapi::import(&text)
                .unwrap_or_else(|e| panic!("{name}: its {format} export does not import: {e}"));
            assert!(
                diagnostics.is_empty(),
                "{name}: importing its {format} export warned: {diagnostics:?}"
            );
            // AsyncAPI has no place for alerting rules, objectives or
            // variants: the round trip keeps everything else.
            let mut model = model.clone();
            model.alerts.clear();
            model.slos.clear();
            model.variants.clear();
            assert!(
                model.same_as(&back),
                "{name}: {format} round trip changed the model:\n{}\n--- became:\n{}",
                file::to_string(&model),
                file::to_string(&back)
            );
        }
    }
}

#[test]
fn csv_has_a_row_per_node_and_the_report_numbers() {
    for (name, model) in examples() {
        let report = short_report(&model);
        let text = export_report(&report, Format::Csv).expect("csv");
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines.len(),
            model.graph.node_count() + 1,
            "{name}: a header and a row per node:\n{text}"
        );
        let header: Vec<&str> = lines[0].split(',').collect();
        assert_eq!(&header[..3], ["node", "kind", "arrived"], "{name}");
        let departed = header
            .iter()
            .position(|h| *h == "departed")
            .expect("a departed column");
        for (row, node) in lines[1..].iter().zip(&report.nodes) {
            let cells: Vec<&str> = row.split(',').collect();
            assert_eq!(cells[0], node.id, "{name}: rows in model order");
            let value: f64 = cells[departed].parse().expect("a number");
            assert_eq!(Some(value), node.value("departed"), "{name}: {}", node.id);
        }
    }
}

// ---- traces ----

/// Each example's journeys over its whole scenario, one event in 25.
fn traces() -> Vec<(String, Trace)> {
    examples()
        .into_iter()
        .map(|(name, model)| {
            let options = JourneyOptions {
                every: 25,
                ..JourneyOptions::default()
            };
            let trace = record(&model, options).expect("the example runs");
            (name, trace)
        })
        .collect()
}

fn parse(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON: {e}"))
}

/// Trace-event microseconds as whole nanoseconds.
fn ns(value: &Value) -> i64 {
    let us = value.as_f64().expect("a number");
    (us * 1000.0).round() as i64
}

fn int(value: &Value) -> i64 {
    value.as_i64().expect("an integer")
}

#[test]
fn chrome_traces_have_tracks_slices_and_flows_that_perfetto_reads() {
    for (name, trace) in traces() {
        let doc = parse(&export_trace(&trace, Format::ChromeTrace).expect("exports"));
        let events = doc["traceEvents"].as_array().expect("traceEvents");
        // A named, sorted process per node.
        for (i, node) in trace.nodes.iter().enumerate() {
            let pid = i as i64 + 1;
            assert!(
                events.iter().any(|e| e["ph"] == "M"
                    && e["name"] == "process_name"
                    && int(&e["pid"]) == pid
                    && e["args"]["name"]
                        .as_str()
                        .is_some_and(|n| n.starts_with(&node.id))),
                "{name}: no process named for {}",
                node.id
            );
        }
        // Slices: on each track they never overlap, so Perfetto nests
        // nothing by mistake.
        let mut tracks: BTreeMap<(i64, i64), Vec<(i64, i64)>> = BTreeMap::new();
        let mut per_journey: BTreeMap<i64, i64> = BTreeMap::new();
        let mut slices = 0;
        for e in events.iter().filter(|e| e["ph"] == "X") {
            slices += 1;
            assert!(e["name"].as_str().is_some_and(|n| !n.is_empty()), "{e}");
            assert_eq!(e["cat"], "journey");
            let (ts, dur) = (ns(&e["ts"]), ns(&e["dur"]));
            assert!(dur >= 0, "{name}: a slice ends before it starts: {e}");
            let track = (int(&e["pid"]), int(&e["tid"]));
            assert!(track.0 >= 1 && track.0 <= trace.nodes.len() as i64, "{e}");
            tracks.entry(track).or_default().push((ts, ts + dur));
            *per_journey.entry(int(&e["args"]["journey"])).or_default() += dur;
        }
        let hops: usize = trace.journeys.iter().map(|j| j.hops.len()).sum();
        assert_eq!(slices, hops, "{name}: a slice per hop");
        for (track, spans) in &mut tracks {
            spans.sort_unstable();
            for pair in spans.windows(2) {
                assert!(
                    pair[0].1 <= pair[1].0,
                    "{name}: slices overlap on track {track:?}: {pair:?}"
                );
            }
        }
        // Each journey's slices add up to its life (to the nanosecond,
        // after the microsecond encoding).
        for journey in &trace.journeys {
            let end = journey.end.place().map_or(trace.at, |(_, at)| at);
            let life = (end.0 - journey.created.0) as i64;
            let total = per_journey
                .get(&i64::from(journey.id))
                .copied()
                .unwrap_or(0);
            assert!(
                (total - life).abs() <= journey.hops.len() as i64,
                "{name}: journey {} lasts {life} ns, its slices {total} ns",
                journey.id
            );
        }
        // Flows: one start and one finish per journey id, each bound to a
        // slice on its track that contains it.
        let mut flows: BTreeMap<i64, Vec<&str>> = BTreeMap::new();
        for e in events
            .iter()
            .filter(|e| ["s", "t", "f"].contains(&e["ph"].as_str().unwrap_or("")))
        {
            let ts = ns(&e["ts"]);
            let track = (int(&e["pid"]), int(&e["tid"]));
            let inside = tracks.get(&track).is_some_and(|spans| {
                spans
                    .iter()
                    .any(|&(a, b)| a < ts && ts < b || a == ts && ts == b)
            });
            assert!(inside, "{name}: flow event outside any slice: {e}");
            flows
                .entry(int(&e["id"]))
                .or_default()
                .push(e["ph"].as_str().unwrap_or(""));
        }
        for (id, phases) in &flows {
            assert_eq!(phases.first(), Some(&"s"), "{name}: flow {id}: {phases:?}");
            assert_eq!(phases.last(), Some(&"f"), "{name}: flow {id}: {phases:?}");
            assert!(phases[1..phases.len() - 1].iter().all(|p| *p == "t"));
        }
        let moving = trace
            .journeys
            .iter()
            .filter(|j| j.hops.iter().filter(|h| h.end > h.start).count() >= 2)
            .count();
        assert_eq!(flows.len(), moving, "{name}: a flow per journey that moved");
    }
}

/// Spans of an OTLP export by span id: (trace id, parent, journey, span).
fn otlp_spans(doc: &Value) -> BTreeMap<String, (String, Option<String>, Value)> {
    let mut spans = BTreeMap::new();
    for rs in doc["resourceSpans"].as_array().expect("resourceSpans") {
        let service = rs["resource"]["attributes"]
            .as_array()
            .and_then(|a| a.iter().find(|kv| kv["key"] == "service.name"))
            .map(|kv| kv["value"]["stringValue"].clone())
            .expect("service.name");
        for ss in rs["scopeSpans"].as_array().expect("scopeSpans") {
            for span in ss["spans"].as_array().expect("spans") {
                let id = span["spanId"].as_str().expect("spanId").to_owned();
                let trace = span["traceId"].as_str().expect("traceId").to_owned();
                assert_eq!(id.len(), 16, "{span}");
                assert_eq!(trace.len(), 32, "{span}");
                assert!(id.chars().all(|c| c.is_ascii_hexdigit()));
                let parent = span["parentSpanId"].as_str().map(str::to_owned);
                let mut span = span.clone();
                span["service"] = service.clone();
                assert!(
                    spans.insert(id.clone(), (trace, parent, span)).is_none(),
                    "span id {id} twice"
                );
            }
        }
    }
    spans
}

fn attribute<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
}

fn nanos(span: &Value, field: &str) -> u64 {
    span[field]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("a time in ns as a string")
}

#[test]
fn otlp_spans_resolve_their_parents_and_cover_their_hops() {
    for (name, trace) in traces() {
        let doc = parse(&export_trace(&trace, Format::Otlp).expect("exports"));
        let spans = otlp_spans(&doc);
        let hops: usize = trace.journeys.iter().map(|j| j.hops.len()).sum();
        assert_eq!(
            spans.len(),
            hops + trace.journeys.len(),
            "{name}: a root span per journey, a span per hop"
        );
        for (id, (trace_id, parent, span)) in &spans {
            let (start, end) = (
                nanos(span, "startTimeUnixNano"),
                nanos(span, "endTimeUnixNano"),
            );
            assert!(end >= start, "{name}: span {id} ends before it starts");
            let Some(parent) = parent else { continue };
            let (parent_trace, _, parent_span) = spans
                .get(parent)
                .unwrap_or_else(|| panic!("{name}: span {id}'s parent {parent} is missing"));
            assert_eq!(
                parent_trace, trace_id,
                "{name}: span {id} and its parent in one trace"
            );
            // A hop lies within its journey; a copy's journey begins
            // during the hop it was copied in (or the redelivery after it).
            let (p_start, p_end) = (
                nanos(parent_span, "startTimeUnixNano"),
                nanos(parent_span, "endTimeUnixNano"),
            );
            if attribute(span, "weir.copy").is_none() {
                assert!(
                    p_start <= start && end <= p_end,
                    "{name}: span {id} outside its parent"
                );
            } else {
                assert!(
                    p_start <= start,
                    "{name}: copy {id} before its original's hop"
                );
            }
        }
        // Every node is a resource, and failures carry an error status.
        let services: Vec<&str> = doc["resourceSpans"]
            .as_array()
            .expect("resources")
            .iter()
            .filter_map(|rs| rs["resource"]["attributes"][0]["value"]["stringValue"].as_str())
            .collect();
        let ids: Vec<&str> = trace.nodes.iter().map(|n| n.id.as_str()).collect();
        assert_eq!(services, ids, "{name}");
        for (_, _, span) in spans.values() {
            let failed = span["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("process ("));
            assert_eq!(
                failed,
                span["status"]["code"] == 2
                    && span["parentSpanId"].is_string()
                    && attribute(span, "weir.journey").is_none(),
                "{name}: {span}"
            );
        }
    }
}

#[test]
fn a_retried_payment_shows_its_attempts_and_backoff_in_both_formats() {
    let (_, model) = examples()
        .into_iter()
        .find(|(n, _)| n == "retries-dead-letter")
        .expect("the example");
    let options = JourneyOptions {
        every: 5,
        ..JourneyOptions::default()
    };
    let trace = record(&model, options).expect("runs");
    // Payments fail 20% of attempts: among 1 000 journeys some need a
    // second and third attempt, with a backoff in the queue between.
    let retried = trace
        .journeys
        .iter()
        .find(|j| {
            matches!(j.end, JourneyEnd::Completed { .. })
                && j.hops.iter().filter(|h| h.kind.key() == "backoff").count() == 2
        })
        .expect("a payment completed on its third attempt");
    let chrome = parse(&export_trace(&trace, Format::ChromeTrace).expect("exports"));
    let mut names: Vec<(i64, String)> = chrome["traceEvents"]
        .as_array()
        .expect("events")
        .iter()
        .filter(|e| e["ph"] == "X" && int(&e["args"]["journey"]) == i64::from(retried.id))
        .map(|e| (ns(&e["ts"]), e["name"].as_str().unwrap_or("").to_owned()))
        .collect();
    names.sort();
    let names: Vec<&str> = names
        .iter()
        .map(|(_, n)| n.as_str())
        .filter(|n| *n != "wait")
        .collect();
    assert_eq!(
        names,
        [
            "created",
            "process (failed)",
            "backoff",
            "process (failed)",
            "backoff",
            "process",
            "process"
        ],
        "created, two failed attempts with backoff, the third succeeds, the ledger's write"
    );
    let otlp = parse(&export_trace(&trace, Format::Otlp).expect("exports"));
    let spans = otlp_spans(&otlp);
    let attempts: Vec<i64> = spans
        .values()
        .filter(|(_, _, s)| {
            s["service"] == "payments"
                && s["name"].as_str().is_some_and(|n| n.starts_with("process"))
        })
        .filter(|(t, _, _)| {
            spans.values().any(|(t2, p, s)| {
                t2 == t
                    && p.is_none()
                    && attribute(s, "weir.journey").and_then(|v| v["intValue"].as_str())
                        == Some(&retried.id.to_string())
            })
        })
        .filter_map(|(_, _, s)| {
            attribute(s, "weir.attempt")?["intValue"]
                .as_str()?
                .parse()
                .ok()
        })
        .collect();
    let mut attempts = attempts;
    attempts.sort_unstable();
    assert_eq!(attempts, [1, 2, 3], "three attempt spans, numbered");
}

#[test]
fn a_fanned_out_order_yields_linked_child_spans() {
    let (_, model) = examples()
        .into_iter()
        .find(|(n, _)| n == "pubsub-fanout")
        .expect("the example");
    let trace = record(&model, JourneyOptions::default()).expect("runs");
    let otlp = parse(&export_trace(&trace, Format::Otlp).expect("exports"));
    let spans = otlp_spans(&otlp);
    let mut children = 0;
    for (id, (trace_id, parent, span)) in &spans {
        if attribute(span, "weir.copy").is_none() || attribute(span, "weir.journey").is_none() {
            continue;
        }
        children += 1;
        // The copy's root span hangs off the original's hop at the topic,
        // and links to the original's root span.
        let parent = parent.as_ref().expect("a copy has a parent span");
        let (_, _, at) = &spans[parent];
        assert_eq!(at["service"], "order-events", "{id}: copied at the topic");
        assert_eq!(at["name"], "route");
        let link = &span["links"][0];
        assert_eq!(link["traceId"].as_str(), Some(trace_id.as_str()));
        let (_, original_parent, original) = &spans[link["spanId"].as_str().expect("a link")];
        assert!(
            original_parent.is_none(),
            "the link names the original's root span"
        );
        assert_eq!(original["name"], span["name"], "the same event type");
    }
    // Every OrderPlaced goes to three queues (two copies), every
    // OrderCancelled to two (one copy): 1.8 copies per event on average.
    let roots = trace.journeys.iter().filter(|j| j.parent.is_none()).count();
    assert!(
        children as f64 > 1.6 * roots as f64 && children <= 2 * roots,
        "{children} copies of {roots} events"
    );
}

#[test]
fn a_trace_is_the_same_for_the_same_seed() {
    let (_, model) = examples()
        .into_iter()
        .find(|(n, _)| n == "pubsub-fanout")
        .expect("the example");
    for format in [Format::ChromeTrace, Format::Otlp] {
        let a = export_trace(&short_trace(&model), format).expect("exports");
        let b = export_trace(&short_trace(&model), format).expect("exports");
        assert!(a == b, "{format}: two runs differ");
    }
}

#[test]
fn time_series_csv_is_long_bounded_and_agrees_with_the_run() {
    let (_, model) = examples()
        .into_iter()
        .find(|(name, _)| name == "backpressure")
        .expect("the example exists");
    let run = sim_core::run_once(&model, model.scenario.seed).expect("runs");
    let csv = sim_core::export::export_run(&run, Format::Series).expect("exports");
    let mut lines = csv.lines();
    assert_eq!(lines.next(), Some("sim_time_s,node,metric,value"));
    let mut last_time = 0.0f64;
    let mut times = std::collections::BTreeSet::new();
    let mut sent = Vec::new();
    for line in lines {
        let fields: Vec<&str> = line.split(',').collect();
        assert_eq!(fields.len(), 4, "four fields: {line}");
        let t: f64 = fields[0].parse().expect("a time");
        assert!(t >= last_time, "rows in time order: {line}");
        last_time = t;
        times.insert(fields[0].to_owned());
        let value: f64 = fields[3].parse().expect("a number");
        assert!(value.is_finite() && value >= 0.0, "{line}");
        if fields[1] == "sensors" && fields[2] == "throughput_out_per_s" {
            sent.push(value);
        }
    }
    assert!(
        times.len() <= sim_core::series::DEFAULT_CAPACITY,
        "at most {} points per line, got {}",
        sim_core::series::DEFAULT_CAPACITY,
        times.len()
    );
    assert!(
        times.len() >= 100,
        "a useful resolution: {} points",
        times.len()
    );
    for n in model.graph.node_weights() {
        assert!(
            csv.contains(&format!(",{},", n.id)),
            "node {} has rows",
            n.id
        );
    }
    // The producer's mean sending rate over the series is what it sent in
    // the run (every interval has the same length).
    let mean = sent.iter().sum::<f64>() / sent.len() as f64;
    let produced = run.conservation.produced as f64 / run.sim_time_s;
    assert!(
        (mean - produced).abs() / produced < 0.01,
        "series mean {mean} /s against {produced} /s produced"
    );

    // A projection's staleness lines agree with the report's staleness of
    // the same run (no warm-up, so both see every event; two significant
    // digits in the series, three in the report).
    let (_, model) = examples()
        .into_iter()
        .find(|(name, _)| name == "event-sourcing-cqrs")
        .expect("the example exists");
    let run = sim_core::run_once(&model, model.scenario.seed).expect("runs");
    let csv = sim_core::export::export_run(&run, Format::Series).expect("exports");
    for view in ["orders-view", "reporting-view"] {
        let line = |metric: &str| -> Vec<(f64, f64)> {
            csv.lines()
                .filter_map(|row| {
                    let f: Vec<&str> = row.split(',').collect();
                    (f[1] == view && f[2] == metric).then(|| {
                        (
                            f[0].parse().expect("a time"),
                            f[3].parse().expect("a value"),
                        )
                    })
                })
                .collect()
        };
        let (p50, p99) = (line("staleness_p50_s"), line("staleness_p99_s"));
        assert!(
            p50.len() >= 100 && p50.len() == p99.len(),
            "{view}: staleness rows {} {}",
            p50.len(),
            p99.len()
        );
        let report = |path: &str| {
            run.node(view)
                .and_then(|n| n.get(&format!("staleness_s.{path}")))
                .expect("the report's staleness")
        };
        let peak = p99.iter().map(|&(_, v)| v).fold(0.0, f64::max);
        assert!(
            peak >= report("p99") * 0.99 && peak <= report("max") * 1.01,
            "{view}: the series' highest p99 {peak} lies between the run's p99 {} and max {}",
            report("p99"),
            report("max")
        );
        let (low, high) = p50
            .iter()
            .filter(|&&(_, v)| v > 0.0)
            .fold((f64::MAX, 0.0_f64), |(lo, hi), &(_, v)| {
                (lo.min(v), hi.max(v))
            });
        assert!(
            low <= report("p50") * 1.01 && report("p50") <= high * 1.01,
            "{view}: the run's median {} within the series' medians {low}..{high}",
            report("p50")
        );
    }
    // The burst at 7 min overloads the reporting view: its staleness then
    // is far above what it was before the replay at 2 min.
    let p99 = |from: f64, to: f64| {
        csv.lines()
            .filter_map(|row| {
                let f: Vec<&str> = row.split(',').collect();
                let t: f64 = f[0].parse().ok()?;
                (f[1] == "reporting-view" && f[2] == "staleness_p99_s" && t > from && t <= to)
                    .then(|| f[3].parse::<f64>().expect("a value"))
            })
            .fold(0.0, f64::max)
    };
    let (calm, burst) = (p99(10.0, 110.0), p99(420.0, 480.0));
    assert!(
        burst > 5.0 * calm,
        "reporting view p99 staleness: {calm} s before the replay, {burst} s in the burst"
    );
}
