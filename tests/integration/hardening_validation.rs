//! Models written as an attacker would write them: numbers out of every
//! range, loops that block, routes no message takes, huge and deeply
//! nested files, files that never end. Each gives a diagnostic or an error
//! that names where and why, in time linear in its size, never a panic, a
//! hang or an allocation beyond memory.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use sim_core::model::file::{self, Locator, MAX_FILE_BYTES, ReadError};
use sim_core::validate::{Diagnostic, Severity, Target, validate};

/// Every diagnostic of a model text: the file's own and validation's.
fn diagnostics(text: &str) -> Vec<Diagnostic> {
    let (model, mut found) =
        file::from_str(text).unwrap_or_else(|e| panic!("does not load: {e}\n{text}"));
    found.extend(validate(&model));
    found
}

/// A model with these nodes and edges, and this scenario.
fn model_text(scenario: &str, nodes: &str, edges: &str) -> String {
    format!(
        "(version: 1, name: \"attack\", scenario: ({scenario}),\n nodes: [\n{nodes}\n],\n edges: [\n{edges}\n])"
    )
}

/// The diagnostic of `severity` about `target` whose message holds every
/// one of `words`, if any.
fn find<'a>(
    found: &'a [Diagnostic],
    severity: Severity,
    target: &Target,
    words: &[&str],
) -> Option<&'a Diagnostic> {
    found.iter().find(|d| {
        d.severity == severity && d.target == *target && words.iter().all(|w| d.message.contains(w))
    })
}

fn node(id: &str) -> Target {
    Target::Node(id.to_owned())
}

fn edge(id: &str) -> Target {
    Target::Edge(id.to_owned())
}

/// Panics unless the diagnostic is there.
#[track_caller]
fn expect(found: &[Diagnostic], severity: Severity, target: &Target, words: &[&str]) {
    assert!(
        find(found, severity, target, words).is_some(),
        "no {severity:?} on {target:?} with {words:?} in:\n{found:#?}"
    );
}

const SINK: &str = r#"(id: "s", kind: Sink())"#;

// ---------------------------------------------------------------------------
// Ranges.

#[test]
fn huge_counts_are_errors_on_their_node_with_its_line_and_column() {
    let nodes = [
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 10.0)))"#,
        r#"(id: "log", kind: Log(partitions: 4294967295))"#,
        r#"(id: "group", kind: Consumer(instances: 4294967295, concurrency: 4294967295, service: Erlang(k: 4294967295, mean: "1ms")))"#,
        r#"(id: "split", kind: Router(mode: Split(parts: 4294967295)))"#,
        r#"(id: "wide", kind: Consumer(instances: 10000, concurrency: 10000, service: Constant("1ms")))"#,
        SINK,
    ]
    .join(",\n");
    let edges = r#"(from: "p", to: "log"), (from: "log", to: "group"), (from: "p", to: "split"), (from: "split", to: "s"), (from: "p", to: "wide")"#;
    let text = model_text("duration: \"10s\"", &nodes, edges);
    let found = diagnostics(&text);
    expect(&found, Severity::Error, &node("log"), &["partitions"]);
    expect(
        &found,
        Severity::Error,
        &node("group"),
        &["instances must be at most 10000", "4294967295"],
    );
    expect(
        &found,
        Severity::Error,
        &node("group"),
        &["concurrency must be at most"],
    );
    expect(
        &found,
        Severity::Error,
        &node("group"),
        &["Erlang's phases (k) must be at most 1000"],
    );
    expect(
        &found,
        Severity::Error,
        &node("split"),
        &["parts must be at most 1000"],
    );
    // Each within its own range, but together too many slots for a log's
    // group (and for memory).
    expect(
        &found,
        Severity::Error,
        &node("wide"),
        &["at most 1000000 messages", "100000000"],
    );
    // The command line points at the node.
    let locator = Locator::new(&text);
    assert_eq!(locator.target(&node("group")), Some((5, 6)));
    assert_eq!(locator.target(&edge("log->group")), Some((11, 26)));
}

#[test]
fn rates_intervals_positions_and_replications_have_ranges() {
    let nodes = [
        r#"(id: "fast", kind: Producer(arrival: Poisson(rate: 1e12)))"#,
        r#"(id: "c", kind: Consumer(instances: 2, service: Constant("1ms"), autoscale: (min: 1, max: 4, target: Backlog(per_instance: 10.0), interval: "1ns")))"#,
        r#"(id: "far", kind: Sink(), pos: (1e30, 0.0))"#,
        r#"(id: "svc", kind: Service(latency: Constant("1ms"), rate_limit: 1e300))"#,
        r#"(id: "late", kind: Sink(latency: Constant("10000h")))"#,
        r#"(id: "q", kind: Queue())"#,
    ]
    .join(",\n");
    let edges = r#"(from: "fast", to: "q"), (from: "q", to: "c"), (from: "c", to: "svc"), (from: "fast", to: "far"), (from: "fast", to: "late", latency: "100000h")"#;
    let text = model_text(
        "duration: \"1m\", replications: 4294967295, max_in_flight: 18446744073709551615",
        &nodes,
        edges,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Error,
        &node("fast"),
        &["rate must be at most 1000000000 per second"],
    );
    expect(
        &found,
        Severity::Error,
        &node("c"),
        &["autoscaling interval must be at least 1ms", "1ns"],
    );
    expect(
        &found,
        Severity::Error,
        &node("far"),
        &["position", "off the canvas"],
    );
    expect(
        &found,
        Severity::Error,
        &node("svc"),
        &["rate limit must be at most"],
    );
    expect(
        &found,
        Severity::Error,
        &node("late"),
        &["must be at most 8760h"],
    );
    expect(
        &found,
        Severity::Error,
        &edge("fast->late"),
        &["latency must be at most 8760h"],
    );
    expect(
        &found,
        Severity::Error,
        &Target::Scenario,
        &["replications must be at most 100000"],
    );
    expect(
        &found,
        Severity::Error,
        &Target::Scenario,
        &["max_in_flight must be at most"],
    );

    // A position beyond f32 is infinite: refused too, never drawn.
    let text = model_text("", r#"(id: "x", kind: Sink(), pos: (1e39, 0))"#, "");
    let found = diagnostics(&text);
    expect(&found, Severity::Error, &node("x"), &["off the canvas"]);
}

#[test]
fn a_run_too_long_to_finish_is_a_warning() {
    let text = model_text(
        "duration: \"10m\"",
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1000000.0))), (id: "s", kind: Sink())"#,
        r#"(from: "p", to: "s")"#,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Warning,
        &Target::Scenario,
        &["6.0e8 events", "shorten the duration"],
    );
    assert!(!found.iter().any(Diagnostic::is_error), "{found:#?}");
    // A limit caps the estimate.
    let limited = text.replace("1000000.0)", "1000000.0), limit: 1000");
    let found = diagnostics(&limited);
    assert!(
        !found.iter().any(|d| d.message.contains("events in a run")),
        "{found:#?}"
    );
}

#[test]
fn a_bursty_producer_with_almost_no_events_per_period_is_refused() {
    let text = model_text(
        "",
        r#"(id: "p", kind: Producer(arrival: Bursty(rate: 0.000001, on: "1us", off: "1us"))), (id: "s", kind: Sink())"#,
        r#"(from: "p", to: "s")"#,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Error,
        &node("p"),
        &["on/off period holds"],
    );
}

// ---------------------------------------------------------------------------
// Static warnings: routes no message takes, loops that block.

#[test]
fn a_second_route_without_a_filter_is_never_taken() {
    let text = model_text(
        "",
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0))), (id: "r", kind: Router()), (id: "a", kind: Sink()), (id: "b", kind: Sink())"#,
        r#"(from: "p", to: "r"), (from: "r", to: "a"), (from: "r", to: "b")"#,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Warning,
        &edge("r->b"),
        &["no message ever takes this route", "'r->a'"],
    );
    assert!(
        find(&found, Severity::Warning, &edge("r->a"), &[]).is_none(),
        "{found:#?}"
    );
}

#[test]
fn a_route_whose_types_never_reach_the_router_or_are_taken_before_is_never_taken() {
    let text = model_text(
        "",
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0), events: [(name: "a"), (name: "b")])),
           (id: "other", kind: Producer(arrival: Poisson(rate: 1.0), events: [(name: "c")])),
           (id: "r", kind: Router()), (id: "s1", kind: Sink()), (id: "s2", kind: Sink()), (id: "s3", kind: Sink()), (id: "s4", kind: Sink())"#,
        r#"(from: "p", to: "r"), (from: "other", to: "s4"),
           (from: "r", to: "s1", filter: ["a", "b"]), (from: "r", to: "s2", filter: ["b"]),
           (from: "r", to: "s3", filter: ["c"]), (from: "r", to: "s4")"#,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Warning,
        &edge("r->s2"),
        &["routes before it in the file take every event type"],
    );
    expect(
        &found,
        Severity::Warning,
        &edge("r->s3"),
        &["none of its event types (c) can reach 'r'"],
    );
    expect(
        &found,
        Severity::Warning,
        &edge("r->s4"),
        &["filtered routes before it take every event type"],
    );
    assert!(
        find(&found, Severity::Warning, &edge("r->s1"), &[]).is_none(),
        "{found:#?}"
    );
}

#[test]
fn a_by_type_loop_whose_exit_is_never_taken_can_never_be_left() {
    let text = model_text(
        "",
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0), events: [(name: "a")])),
           (id: "p2", kind: Producer(arrival: Poisson(rate: 1.0), events: [(name: "b")])),
           (id: "r", kind: Router()), (id: "q", kind: Queue()),
           (id: "c", kind: Consumer(service: Constant("1ms"))),
           (id: "out", kind: Sink()), (id: "elsewhere", kind: Sink())"#,
        r#"(from: "p", to: "r"), (from: "r", to: "q", filter: ["a"]), (from: "q", to: "c"), (from: "c", to: "r"),
           (from: "r", to: "out", filter: ["b"]), (from: "p2", to: "elsewhere")"#,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Warning,
        &edge("r->out"),
        &["none of its event types (b)"],
    );
    expect(
        &found,
        Severity::Error,
        &node("c"),
        &["can never leave", "'r->out'"],
    );
}

#[test]
fn a_topic_and_router_loop_that_deadlocks_is_named() {
    let text = model_text(
        "duration: \"10s\"",
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0))), (id: "t", kind: Topic()), (id: "r", kind: Router(mode: Split(parts: 1))), (id: "s", kind: Sink())"#,
        r#"(from: "p", to: "t"), (from: "t", to: "r"), (from: "r", to: "t", latency: "1ms"), (from: "r", to: "s")"#,
    );
    let found = diagnostics(&text);
    expect(
        &found,
        Severity::Warning,
        &node("r"),
        &["the loop r → t can block", "deadlock"],
    );
}

#[test]
fn a_bounded_blocking_queue_in_a_retry_loop_is_named_and_an_unbounded_one_is_not() {
    let nodes = r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0))), (id: "q", kind: Queue(capacity: 10)),
           (id: "c", kind: Consumer(service: Constant("1ms"))), (id: "r", kind: Router(mode: Weighted)), (id: "s", kind: Sink())"#;
    let edges = r#"(from: "p", to: "q"), (from: "q", to: "c"), (from: "c", to: "r"), (from: "r", to: "q"), (from: "r", to: "s")"#;
    let found = diagnostics(&model_text("", nodes, edges));
    expect(
        &found,
        Severity::Warning,
        &node("c"),
        &["the loop c → q → r can block", "once q is full"],
    );
    let unbounded = nodes.replace("Queue(capacity: 10)", "Queue()");
    let found = diagnostics(&model_text("", &unbounded, edges));
    assert!(
        !found.iter().any(|d| d.message.contains("can block")),
        "{found:#?}"
    );
    let dropping = nodes.replace(
        "Queue(capacity: 10)",
        "Queue(capacity: 10, overflow: DropNewest)",
    );
    let found = diagnostics(&model_text("", &dropping, edges));
    assert!(
        !found.iter().any(|d| d.message.contains("can block")),
        "{found:#?}"
    );
}

// ---------------------------------------------------------------------------
// Linear cost.

/// A model of `n` routers in a chain, with `n` dangling edges besides.
fn big_model(n: usize) -> String {
    use std::fmt::Write;
    let mut nodes = String::from(
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0))), (id: "s", kind: Sink()),"#,
    );
    let mut edges = String::from("(from: \"p\", to: \"r0\"),\n");
    for i in 0..n {
        writeln!(nodes, r#"(id: "r{i}", kind: Router(), pos: ({i}.0, 0.0)),"#).expect("writes");
        let next = if i + 1 == n {
            "s".to_owned()
        } else {
            format!("r{}", i + 1)
        };
        writeln!(edges, r#"(from: "r{i}", to: "{next}"),"#).expect("writes");
        writeln!(edges, r#"(from: "r{i}", to: "missing{i}"),"#).expect("writes");
    }
    model_text("", &nodes, &edges)
}

/// Loads, validates and locates every diagnostic of a model of `n`
/// routers and 2n edges; returns how long that took.
fn check_big(n: usize) -> Duration {
    let text = big_model(n);
    let start = Instant::now();
    let found = diagnostics(&text);
    let locator = Locator::new(&text);
    let located = found
        .iter()
        .filter(|d| locator.target(&d.target).is_some())
        .count();
    let took = start.elapsed();
    assert!(
        found.len() >= n,
        "every dangling edge is reported: {}",
        found.len()
    );
    assert!(
        located >= n,
        "every dangling edge is located: {located} of {}",
        found.len()
    );
    took
}

#[test]
fn checking_twenty_thousand_nodes_and_forty_thousand_edges_is_linear() {
    // Quadratic work at this size (a scan of the text per diagnostic, of
    // the nodes per edge, of a group per member) takes minutes in a debug
    // build; linear work takes seconds.
    let took = check_big(20_000);
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

#[test]
fn a_long_loop_is_named_by_its_first_nodes_and_its_size() {
    use std::fmt::Write;
    let n = 1000;
    let mut nodes = String::from(
        r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0))), (id: "s", kind: Sink()),"#,
    );
    let mut edges = String::from("(from: \"p\", to: \"r0\"),\n");
    for i in 0..n {
        writeln!(nodes, r#"(id: "r{i}", kind: Router()),"#).expect("writes");
        writeln!(edges, r#"(from: "r{i}", to: "r{}"),"#, (i + 1) % n).expect("writes");
    }
    // The exit is the second route without a filter: never taken.
    edges.push_str(&format!(
        "(from: \"r{}\", to: \"s\", latency: \"1ms\")",
        n - 1
    ));
    let found = diagnostics(&model_text("", &nodes, &edges));
    let never = find(&found, Severity::Error, &node("r0"), &["can never leave"])
        .expect("the loop is named");
    assert!(
        never.message.contains("… (1000 nodes)"),
        "{}",
        never.message
    );
    assert!(never.message.len() < 500, "{}", never.message);
}

#[test]
#[ignore = "long: 100k nodes and 200k edges; run with --ignored (a release build takes seconds)"]
fn checking_a_hundred_thousand_nodes_and_edges() {
    let took = check_big(100_000);
    eprintln!("100k nodes, 200k edges: {took:?}");
    assert!(took < Duration::from_secs(120), "took {took:?}");
}

#[test]
fn deep_nesting_is_refused_quickly_in_weir_words() {
    let n = 300_000;
    let text = format!(
        "(version: 1, name: \"x\", nodes: [(id: \"p\", kind: Producer(arrival: Poisson(rate: 1.0), limit: {}5{}))])",
        "Some(".repeat(n),
        ")".repeat(n)
    );
    let start = Instant::now();
    let err = file::from_str(&text).expect_err("too deep").to_string();
    assert!(
        start.elapsed() < Duration::from_secs(10),
        "took {:?}",
        start.elapsed()
    );
    assert!(err.starts_with("line 1, column "), "{err}");
    assert!(err.contains("nested too deeply"), "{err}");
    for internal in ["ron::", "serde_stacker", "recursion_limit"] {
        assert!(!err.contains(internal), "{err}");
    }
    // Brackets inside strings and comments do not count.
    let quoted = format!(
        "// {}\n(version: 1, name: \"{}\", nodes: [(id: \"s\", kind: Sink())])",
        "(".repeat(1000),
        "[".repeat(1000)
    );
    file::from_str(&quoted).expect("brackets in a comment and a string are text");
}

#[test]
fn a_deep_asyncapi_document_is_refused_quickly() {
    for (text, line) in [
        (
            format!(
                "asyncapi: 3.0.0\nx: {}1{}\n",
                "[".repeat(100_000),
                "]".repeat(100_000)
            ),
            2,
        ),
        (
            format!(
                "asyncapi: 3.0.0\nx: {}1{}\n",
                "{a: ".repeat(100_000),
                "}".repeat(100_000)
            ),
            2,
        ),
        (
            format!("asyncapi: 3.0.0\nx:\n{}1\n", "- ".repeat(100_000)),
            3,
        ),
    ] {
        let start = Instant::now();
        let err = sim_core::export::asyncapi::import(&text)
            .expect_err("too deep")
            .to_string();
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "took {:?}",
            start.elapsed()
        );
        assert!(err.starts_with(&format!("line {line}:")), "{err}");
        assert!(err.contains("nested too deeply"), "{err}");
    }
}

#[test]
fn importing_many_channels_is_linear() {
    use std::fmt::Write;
    let n = 20_000;
    let mut text = String::from("asyncapi: 3.0.0\ninfo: {title: many, version: '1'}\nchannels:\n");
    for i in 0..n {
        writeln!(text, "  c{i}: {{address: c{i}, bindings: {{sqs: {{queue: {{name: c{i}, redrivePolicy: {{deadLetterQueue: {{name: d{i}}}}}}}}}}}}}").expect("writes");
    }
    let start = Instant::now();
    let (model, _) = sim_core::export::asyncapi::import(&text).expect("imports");
    let took = start.elapsed();
    // Each channel's queue and dead-letter queue, and (no operation
    // uses the channel) the stand-ins for its sender and receiver.
    assert_eq!(model.graph.node_count(), 4 * n);
    assert!(took < Duration::from_secs(60), "took {took:?}");
}

// ---------------------------------------------------------------------------
// Messages.

#[test]
fn a_byte_order_mark_is_accepted() {
    let text = format!(
        "\u{feff}{}",
        model_text("", r#"(id: "s", kind: Sink())"#, "")
    );
    let (model, _) = file::from_str(&text).expect("a BOM is not part of the model");
    assert_eq!(model.graph.node_count(), 1);
    let doc = "\u{feff}asyncapi: 3.0.0\ninfo: {title: t, version: '1'}\n";
    sim_core::export::asyncapi::import(doc).expect("a BOM is not part of the document");
}

#[test]
fn an_asyncapi_version_that_is_a_number_says_it_must_be_a_string() {
    let err = sim_core::export::asyncapi::import("asyncapi: 3\ninfo: {title: t, version: '1'}\n")
        .expect_err("a number")
        .to_string();
    assert!(
        err.contains("must be a version string like \"3.0.0\""),
        "{err}"
    );
    assert!(err.contains("found 3"), "{err}");
}

// ---------------------------------------------------------------------------
// Unbounded reads.

fn scratch(name: &str) -> PathBuf {
    let dir =
        std::env::temp_dir().join(format!("weir-hardening-validation-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("a scratch folder");
    dir.join(name)
}

#[test]
fn a_device_that_never_ends_is_refused_without_reading_it() {
    let zero = Path::new("/dev/zero");
    if !zero.exists() {
        return;
    }
    let start = Instant::now();
    let err = file::read(zero).expect_err("not a regular file");
    assert!(matches!(err, ReadError::NotAFile { .. }), "{err:?}");
    let text = err.to_string();
    assert!(
        text.contains("/dev/zero") && text.contains("not a regular file"),
        "{text}"
    );
    assert!(start.elapsed() < Duration::from_secs(5));
    // The command line and the window read through it.
    let cli = weir::cli::load(zero).expect_err("refused").to_string();
    assert!(cli.contains("not a regular file"), "{cli}");
    let gui = format!("{:#}", weir::gui::files::load(zero).expect_err("refused"));
    assert!(gui.contains("not a regular file"), "{gui}");
    // So is a folder.
    let dir = scratch("folder");
    std::fs::create_dir_all(&dir).expect("a folder");
    assert!(matches!(file::read(&dir), Err(ReadError::NotAFile { .. })));
}

#[test]
fn a_file_over_the_limit_is_refused_naming_its_size_and_the_limit() {
    let path = scratch("huge.ron");
    let f = std::fs::File::create(&path).expect("creates");
    // Sparse: no disk space is used.
    f.set_len(MAX_FILE_BYTES + 1).expect("sets the length");
    drop(f);
    let err = file::read(&path).expect_err("too large").to_string();
    assert!(err.contains("huge.ron"), "{err}");
    assert!(
        err.contains(&format!("{} bytes", MAX_FILE_BYTES + 1)),
        "{err}"
    );
    assert!(err.contains(&format!("{MAX_FILE_BYTES} bytes")), "{err}");
    std::fs::remove_file(&path).expect("removes");
    // Exactly at the limit is read, and a small file is read as it is.
    let small = scratch("small.ron");
    std::fs::write(&small, "(version: 1)").expect("writes");
    assert_eq!(file::read(&small).expect("reads"), "(version: 1)");
    std::fs::write(&small, [0xff, 0xfe, 0x00]).expect("writes");
    let err = file::read(&small).expect_err("not UTF-8").to_string();
    assert!(err.contains("not UTF-8"), "{err}");
}
