//! The engine on its own against hostile models: the clock cannot wrap,
//! the longest run ends, one event does bounded work, a chain of any length
//! runs without exhausting the stack, and a model that deadlocks stops with
//! a diagnostic naming the nodes involved. (A loop without progress in
//! simulated time cannot pass validation; the engine's own guard against
//! it is tested beside the engine.)

use std::fmt::Write as _;
use std::time::{Duration as Wall, Instant};

use sim_core::{RunError, RunResult, Simulation};
use weir_tests::{model, run_metric};

/// Runs `text`'s model once (seed 1), failing if it takes longer than
/// `budget` of wall time.
fn run_within(text: &str, budget: Wall) -> Result<RunResult, RunError> {
    let m = model(text);
    let start = Instant::now();
    let out = Simulation::new(&m, 1)?.run();
    let took = start.elapsed();
    assert!(took < budget, "the run took {took:?}");
    out
}

/// Asserts that `text`'s model loads but is refused before it runs, with
/// an error that says `words`: the values the engine's own guards were
/// built for are outside validation's ranges, so no user reaches them.
fn refused(text: &str, words: &str) {
    let (m, _) = sim_core::model::file::from_str(text).expect("loads");
    let err = Simulation::new(&m, 1).expect_err("refused");
    assert!(matches!(err, RunError::Invalid(_)), "{err}");
    assert!(err.to_string().contains(words), "{err}");
}

/// A producer of `rate` per second into a sink with `latency`, for
/// `duration`.
fn into_sink(rate: f64, latency: &str, duration: &str) -> String {
    format!(
        r#"(
            version: 1,
            name: "sink",
            scenario: (duration: "{duration}"),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: {rate:?}))),
                (id: "out", kind: Sink(latency: Constant("{latency}"))),
            ],
            edges: [(from: "src", to: "out")],
        )"#
    )
}

#[test]
fn a_run_to_the_end_of_the_clock_with_a_slow_producer_finishes() {
    // The end of the clock as a duration is refused; the longest duration
    // allowed, with a producer so slow that the clock runs through the
    // whole run between arrivals, ends at once.
    refused(
        &into_sink(1.0, "1s", "18446744073709551615ns"),
        "must be at most 8760h",
    );
    for rate in [1e-6, 1e-9] {
        let text = into_sink(rate, "1s", "8760h");
        let r = run_within(&text, Wall::from_secs(20)).expect("runs");
        let c = r.conservation;
        assert!(c.balanced(), "{c:?}");
        assert!(r.sim_time_s > 3.1e7, "ran to {} s", r.sim_time_s);
        // One arrival per 1e6 s (or per 1e9 s: none) in a year.
        let expected = (rate * r.sim_time_s).floor();
        assert_eq!(c.produced as f64, expected, "rate {rate}");
        assert_eq!(c.completed, c.produced);
    }
}

#[test]
fn a_delay_past_the_end_of_the_clock_never_comes_round() {
    // 5124095h is within the clock's range but now + 5124095h is not: it
    // is refused. The longest latency allowed keeps each message in the
    // sink until the run ends.
    refused(&into_sink(6.0, "5124095h", "10m"), "at most 8760h");
    let long = run_within(&into_sink(6.0, "8760h", "10m"), Wall::from_secs(20)).expect("runs");
    let short = run_within(&into_sink(6.0, "1h", "10m"), Wall::from_secs(20)).expect("runs");
    let (l, s) = (long.conservation, short.conservation);
    assert!(l.balanced() && s.balanced(), "{l:?} {s:?}");
    // A message every 1/6 s for 600 s, the first at 1/6 s.
    assert_eq!(l.produced, 3_600);
    assert_eq!(l.produced, s.produced);
    assert_eq!((l.completed, l.in_flight), (0, 3_600));
    assert_eq!((s.completed, s.in_flight), (0, 3_600));
    assert_eq!(run_metric(&long, "out", "arrived"), 3_600.0);
    assert_eq!(run_metric(&long, "out", "completed"), 0.0);
}

#[test]
fn a_retention_past_the_end_of_the_clock_keeps_every_record() {
    let text = r#"(
        version: 1,
        name: "log",
        scenario: (duration: "1m"),
        nodes: [
            (id: "src", kind: Producer(arrival: Constant(rate: 10.0))),
            (id: "log", kind: Log(partitions: 2, retention: "8760h")),
            (id: "c", kind: Consumer(service: Constant("1ms"))),
        ],
        edges: [(from: "src", to: "log"), (from: "log", to: "c")],
    )"#;
    refused(&text.replace("8760h", "5124095h"), "at most 8760h");
    let r = run_within(text, Wall::from_secs(20)).expect("runs");
    let c = r.conservation;
    assert!(c.balanced(), "{c:?}");
    // Every record read (the last still in service at the end), none
    // expired: all 600 are still in the log.
    assert!(run_metric(&r, "c", "completed") >= 599.0);
    assert_eq!(c.expired, 0);
    assert_eq!(c.produced - c.fanout_copies, 600);
    assert!(c.in_flight >= 600, "{c:?}");
}

#[test]
fn a_split_into_billions_stops_at_the_in_flight_limit_at_once() {
    let text = r#"(
        version: 1,
        name: "split",
        scenario: (duration: "10s", max_in_flight: 500),
        nodes: [
            (id: "src", kind: Producer(arrival: Constant(rate: 1.0))),
            (id: "split", kind: Router(mode: Split(parts: 1000))),
            (id: "out", kind: Sink()),
        ],
        edges: [(from: "src", to: "split"), (from: "split", to: "out")],
    )"#;
    // 4294967295 parts would take minutes and many gigabytes: refused.
    // At the most parts allowed, the split stops making them as soon as
    // the limit is reached, inside the one event.
    refused(&text.replace("1000", "4294967295"), "at most 1000");
    let err = run_within(text, Wall::from_secs(5)).expect_err("stops");
    let RunError::InFlightLimit { limit, at, .. } = &err else {
        panic!("stopped by {err}");
    };
    assert_eq!(*limit, 500);
    assert_eq!(at.as_secs_f64(), 1.0);
    assert!(err.to_string().contains("max_in_flight"), "{err}");
}

/// A producer into a chain of `n` routers without latency, into a sink.
fn router_chain(n: usize) -> String {
    let mut nodes = String::new();
    let mut edges = String::from(r#"(from: "src", to: "r0"),"#);
    for i in 0..n {
        write!(nodes, r#"(id: "r{i}", kind: Router()),"#).expect("string");
        let next = if i + 1 == n {
            "out".to_owned()
        } else {
            format!("r{}", i + 1)
        };
        write!(edges, r#"(from: "r{i}", to: "{next}"),"#).expect("string");
    }
    format!(
        r#"(
            version: 1,
            name: "chain",
            scenario: (duration: "10s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 5.0))),
                {nodes}
                (id: "out", kind: Sink()),
            ],
            edges: [{edges}],
        )"#
    )
}

#[test]
fn a_chain_of_thousands_of_routers_runs_without_exhausting_the_stack() {
    for n in [4_000, 100_000] {
        let text = router_chain(n);
        // Validation walks the graph recursively: it gets a stack of its
        // own here. The run gets a small one: the engine's depth is
        // bounded whatever the chain's length.
        let sim = std::thread::Builder::new()
            .stack_size(1 << 30)
            .spawn(move || Simulation::new(&model(&text), 1).expect("compiles"))
            .expect("thread")
            .join()
            .expect("compiles");
        let start = Instant::now();
        let r = std::thread::Builder::new()
            .stack_size(1 << 20)
            .spawn(move || sim.run().expect("runs"))
            .expect("thread")
            .join()
            .expect("runs");
        assert!(
            start.elapsed() < Wall::from_secs(60),
            "{:?}",
            start.elapsed()
        );
        let c = r.conservation;
        assert!(c.balanced(), "{c:?}");
        assert_eq!((c.produced, c.completed), (50, 50), "{n} routers");
        assert_eq!(run_metric(&r, &format!("r{}", n - 1), "departed"), 50.0);
        assert_eq!(run_metric(&r, "out", "completed"), 50.0);
    }
}

#[test]
fn a_short_chain_of_routers_gives_the_same_result_as_a_long_one_would() {
    // The depth past which arrivals are handed on as events changes the
    // order of work within an instant, never what happens to a message.
    let r = run_within(&router_chain(40), Wall::from_secs(20)).expect("runs");
    let c = r.conservation;
    assert_eq!((c.produced, c.completed, c.in_flight), (50, 50, 0));
}

#[test]
fn a_topic_and_router_waiting_on_each_other_stop_with_a_deadlock() {
    // The router sends every message back to the topic (the exit route
    // takes a type nobody emits). A topic takes a message only when its
    // subscribers have room, and the router has none while it holds the
    // message it is sending: each waits on the other for good.
    for latency in ["", r#", latency: "1ms""#] {
        let text = format!(
            r#"(
                version: 1,
                name: "deadlock",
                scenario: (duration: "10s"),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 10.0), events: [(name: "A", weight: 1.0)])),
                    (id: "t", kind: Topic()),
                    (id: "r", kind: Router()),
                    (id: "out", kind: Sink()),
                ],
                edges: [
                    (from: "src", to: "t"),
                    (from: "t", to: "r"),
                    (from: "r", to: "t", filter: ["A"]{latency}),
                    (from: "r", to: "out", filter: ["B"]),
                ],
            )"#
        );
        if latency.is_empty() {
            // Validation refuses the loop without latency outright.
            let (m, _) = sim_core::model::file::from_str(&text).expect("loads");
            assert!(matches!(Simulation::new(&m, 1), Err(RunError::Invalid(_))));
            continue;
        }
        let err = run_within(&text, Wall::from_secs(5)).expect_err("stops");
        let RunError::Deadlock { at, nodes } = &err else {
            panic!("stopped by {err}");
        };
        assert_eq!(nodes, &["t", "r"]);
        assert!(at.as_secs_f64() < 1.0, "found at {at}");
        let text = err.to_string();
        for words in [
            "deadlock at",
            "'t' waits for room at 'r', which waits for room at 't'",
            "put a queue with room on the loop",
        ] {
            assert!(text.contains(words), "{words:?} missing from {text}");
        }
    }
}

#[test]
fn a_bounded_queue_under_overload_is_no_deadlock() {
    // Senders that wait on a full queue drained by a consumer wait in a
    // line, not a cycle: the run goes to its end.
    let text = r#"(
        version: 1,
        name: "overload",
        scenario: (duration: "20s"),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
            (id: "t", kind: Topic()),
            (id: "r", kind: Router(mode: Weighted)),
            (id: "q", kind: Queue(capacity: 5)),
            (id: "c", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [
            (from: "src", to: "t"),
            (from: "t", to: "r"),
            (from: "r", to: "q"),
            (from: "q", to: "c"),
        ],
    )"#;
    let r = run_within(text, Wall::from_secs(20)).expect("runs to the end");
    assert!(r.conservation.balanced());
    assert!(run_metric(&r, "c", "completed") > 1_500.0);
}
