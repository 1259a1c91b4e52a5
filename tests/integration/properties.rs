//! Invariants over random valid topologies (proptest): every message is
//! accounted for at every moment, and runs are deterministic.

use std::fmt::Write as _;

use proptest::prelude::*;
use sim_core::Simulation;
use sim_core::journey::JourneyOptions;
use sim_core::time::Duration;
use weir_tests::model;

#[derive(Clone, Debug)]
struct ConsumerSpec {
    instances: u32,
    concurrency: u32,
    service: u8,
    mean_ms: u32,
    failure: f64,
    retry: u8,
    max_attempts: Option<u32>,
    dlq: bool,
    /// Events of type B fail here on every attempt.
    poison: bool,
    /// Idempotent (`ExactlyOnce`), with an inbox window in ms or not.
    exactly_once: Option<Option<u32>>,
}

#[derive(Clone, Debug)]
struct QueueSpec {
    capacity: Option<u32>,
    overflow: u8,
    visibility_ms: u32,
    max_receives: Option<u32>,
    dlq: bool,
    /// Message groups (a FIFO queue), with a group rate or not.
    fifo: Option<Option<u32>>,
    /// A Pub/Sub subscription: push or pull, and a retry policy's
    /// backoffs in milliseconds (min, extra to max).
    pubsub: Option<(bool, Option<(u32, u32)>)>,
}

#[derive(Clone, Debug)]
struct StageSpec {
    /// 0: queue read by the consumers; 1: topic with a subscription per
    /// consumer (some through a queue, some filtered); 2: consumers
    /// pushed to directly; 3: a router in front of the consumers; 4: a
    /// log each consumer reads as its own group (some with a poison type).
    /// pushed to directly; 3: a router in front of the consumers; 4: a CEP
    /// node whose derived events go to the consumers; 5: an event store
    /// appending for the consumers and a projection.
    shape: u8,
    queue: QueueSpec,
    consumers: Vec<ConsumerSpec>,
    via_queue: Vec<bool>,
    filtered: Vec<bool>,
    latency_ms: u32,
}

#[derive(Clone, Debug)]
struct ProducerSpec {
    arrival: u8,
    rate: f64,
    drop_when_blocked: bool,
    two_types: bool,
}

#[derive(Clone, Debug)]
struct Spec {
    producers: Vec<ProducerSpec>,
    stages: Vec<StageSpec>,
    sink: Option<(u32, Option<u32>)>,
    duration_s: u32,
    max_in_flight: u32,
    /// (which node, which effect, start in ms, length in ms)
    faults: Vec<(u8, u8, u32, u32)>,
}

fn consumer_spec() -> impl Strategy<Value = ConsumerSpec> {
    (
        1..=3u32,
        1..=2u32,
        0..5u8,
        1..=40u32,
        prop_oneof![Just(0.0), 0.0..0.6f64],
        0..4u8,
        proptest::option::of(1..=4u32),
        any::<bool>(),
        any::<bool>(),
        proptest::option::of(proptest::option::of(1..=500u32)),
    )
        .prop_map(
            |(
                instances,
                concurrency,
                service,
                mean_ms,
                failure,
                retry,
                max_attempts,
                dlq,
                poison,
                exactly_once,
            )| {
                ConsumerSpec {
                    instances,
                    concurrency,
                    service,
                    mean_ms,
                    failure,
                    retry,
                    max_attempts,
                    dlq,
                    poison,
                    exactly_once,
                }
            },
        )
}

fn queue_spec() -> impl Strategy<Value = QueueSpec> {
    (
        proptest::option::of(1..=20u32),
        0..3u8,
        20..=3000u32,
        proptest::option::of(1..=4u32),
        any::<bool>(),
        proptest::option::of(proptest::option::of(1..=50u32)),
        proptest::option::of((
            any::<bool>(),
            proptest::option::of((0..=500u32, 0..=2000u32)),
        )),
    )
        .prop_map(
            |(capacity, overflow, visibility_ms, max_receives, dlq, fifo, pubsub)| QueueSpec {
                capacity,
                overflow,
                visibility_ms,
                max_receives,
                dlq,
                fifo,
                pubsub,
            },
        )
}

fn stage_spec() -> impl Strategy<Value = StageSpec> {
    (
        0..7u8,
        queue_spec(),
        proptest::collection::vec(consumer_spec(), 1..=3),
        proptest::collection::vec(any::<bool>(), 3),
        proptest::collection::vec(any::<bool>(), 3),
        prop_oneof![Just(0u32), 1..=10u32],
    )
        .prop_map(
            |(shape, queue, consumers, via_queue, filtered, latency_ms)| StageSpec {
                shape,
                queue,
                consumers,
                via_queue,
                filtered,
                latency_ms,
            },
        )
}

fn spec() -> impl Strategy<Value = Spec> {
    (
        proptest::collection::vec(
            (0..4u8, 5.0..300.0f64, any::<bool>(), any::<bool>()).prop_map(
                |(arrival, rate, drop_when_blocked, two_types)| ProducerSpec {
                    arrival,
                    rate,
                    drop_when_blocked,
                    two_types,
                },
            ),
            1..=2,
        ),
        proptest::collection::vec(stage_spec(), 1..=3),
        proptest::option::of((0..=20u32, proptest::option::of(1..=3u32))),
        2..=30u32,
        prop_oneof![Just(1_000_000u32), 200..=5000u32],
        proptest::collection::vec((any::<u8>(), 0..3u8, 0..30_000u32, 1..10_000u32), 0..4),
    )
        .prop_map(
            |(producers, stages, sink, duration_s, max_in_flight, faults)| Spec {
                producers,
                stages,
                sink,
                duration_s,
                max_in_flight,
                faults,
            },
        )
}

fn consumer_kind(c: &ConsumerSpec) -> String {
    let mean = format!("\"{}ms\"", c.mean_ms);
    let service = match c.service {
        0 => format!("Exponential(mean: {mean})"),
        1 => format!("Constant({mean})"),
        2 => format!("Uniform(min: \"0ms\", max: \"{}ms\")", 2 * c.mean_ms),
        3 => format!("LogNormal(mean: {mean}, cv: 1.7)"),
        _ => format!("Erlang(k: 3, mean: {mean})"),
    };
    let attempts = c
        .max_attempts
        .map(|n| format!("max_attempts: {n}"))
        .unwrap_or_default();
    let retry = match c.retry {
        0 => "None".to_owned(),
        1 => format!("Immediate({attempts})"),
        2 => format!("Fixed(delay: \"30ms\", {attempts})"),
        _ => format!("Exponential(initial: \"5ms\", max_delay: \"200ms\", {attempts})"),
    };
    let delivery = match c.exactly_once {
        Some(Some(ms)) => format!(", delivery: ExactlyOnce, inbox: \"{ms}ms\""),
        Some(None) => ", delivery: ExactlyOnce".to_owned(),
        None => String::new(),
    };
    // Some read only version 1: they reject version 2 to a dead-letter
    // queue or drop it, and upcast nothing.
    let delivery = match (c.mean_ms % 4, c.dlq) {
        (1, true) => format!("{delivery}, versions: (min: 1, max: 1)"),
        (1, false) => format!("{delivery}, versions: (min: 1, max: 1, newer: Drop)"),
        _ => delivery,
    };
    format!(
        "Consumer(instances: {}, concurrency: {}, service: {service}, failure: {:?}, retry: {retry}{delivery}{}{})",
        c.instances,
        c.concurrency,
        c.failure,
        if c.poison { r#", poison: ["B"]"# } else { "" },
        // Some consumers scale, some run serverless, and those calling a
        // service have a breaker.
        if c.retry == 0 && c.concurrency == 2 {
            r#", serverless: (concurrency: 3, cold_start: "50ms", keep_alive: "1s")"#
        } else if c.retry == 2 {
            r#", breaker: (failure_rate: 0.3, window: 10, min_calls: 5, open_for: "200ms", probes: 2)"#
        } else if c.dlq && c.retry % 2 == 1 {
            r#", autoscale: (min: 1, max: 4, target: Backlog(per_instance: 3.0), interval: "500ms",
                scale_out_cooldown: "1s", scale_in_cooldown: "2s", startup: "300ms")"#
        } else {
            ""
        }
    )
}

fn queue_kind(q: &QueueSpec) -> String {
    if let Some((push, retry)) = q.pubsub {
        // Within Pub/Sub's limits: an ack deadline of 10 s or more, 5 or
        // more delivery attempts, no capacity, no group rate.
        let mut text = format!(
            "Queue(visibility_timeout: \"{}ms\"",
            10_000 + q.visibility_ms
        );
        if let Some(m) = q.max_receives {
            let _ = write!(text, ", max_receives: {}", m + 4);
        }
        if q.fifo.is_some() {
            text.push_str(", fifo: ()");
        }
        let _ = write!(
            text,
            ", pubsub: (delivery: {}",
            if push { "Push" } else { "Pull" }
        );
        if let Some((min, extra)) = retry {
            let _ = write!(
                text,
                ", retry: (min: \"{min}ms\", max: \"{}ms\")",
                min + extra
            );
        }
        text.push_str("))");
        return text;
    }
    let overflow = ["Block", "DropNewest", "DropOldest"][q.overflow as usize % 3];
    let mut text = format!(
        "Queue(overflow: {overflow}, visibility_timeout: \"{}ms\"",
        q.visibility_ms
    );
    if let Some(c) = q.capacity {
        let _ = write!(text, ", capacity: {c}");
    }
    if let Some(m) = q.max_receives {
        let _ = write!(text, ", max_receives: {m}");
    }
    match q.fifo {
        Some(Some(rate)) => {
            let _ = write!(text, ", fifo: (group_rate: {rate}.0)");
        }
        Some(None) => text.push_str(", fifo: ()"),
        None => {}
    }
    text.push(')');
    text
}

/// Builds a valid model: producers feed a chain of stages, each stage's
/// consumers feed the next, the last ones a sink (or nothing).
fn build(spec: &Spec) -> String {
    let mut nodes: Vec<String> = Vec::new();
    let mut edges: Vec<String> = Vec::new();
    let mut kinds: Vec<(String, String)> = Vec::new();
    let mut node = |id: &str, kind: String| {
        kinds.push((
            id.to_owned(),
            kind.split('(').next().unwrap_or_default().to_owned(),
        ));
        nodes.push(format!("(id: \"{id}\", kind: {kind})"));
    };
    let mut pushers: Vec<String> = Vec::new();
    for (i, p) in spec.producers.iter().enumerate() {
        let arrival = match p.arrival {
            0 => format!("Poisson(rate: {:?})", p.rate),
            1 => format!("Constant(rate: {:?})", p.rate),
            2 => format!("Bursty(rate: {:?}, on: \"500ms\", off: \"1500ms\")", p.rate),
            _ => format!("Ramp(from: 0.0, to: {:?}, over: \"5s\")", p.rate),
        };
        // Type B rolls out to version 2, which some consumers do not read.
        let events = if p.two_types {
            r#", events: [(name: "A", weight: 2.0), (name: "B", rollout: (to: 2, at: "1s", over: "2s"))]"#
        } else {
            ""
        };
        // Ramps that wait write through an outbox instead.
        let on_block = if p.drop_when_blocked {
            ", on_block: Drop"
        } else if p.arrival == 3 {
            r#", outbox: (poll: "200ms", batch: 5, publish: Exponential(mean: "20ms"))"#
        } else {
            ""
        };
        let id = format!("p{i}");
        node(
            &id,
            format!("Producer(arrival: {arrival}{events}, keys: 50{on_block})"),
        );
        pushers.push(id);
    }
    for (s, stage) in spec.stages.iter().enumerate() {
        let latency = if stage.latency_ms > 0 {
            format!(", latency: \"{}ms\"", stage.latency_ms)
        } else {
            String::new()
        };
        let mut next = Vec::new();
        let consumer = |c: usize,
                        spec: &ConsumerSpec,
                        edges: &mut Vec<String>,
                        node: &mut dyn FnMut(&str, String)| {
            let id = format!("s{s}c{c}");
            node(&id, consumer_kind(spec));
            if spec.dlq {
                node(&format!("{id}-dlq"), "DeadLetter()".to_owned());
                edges.push(format!("(from: \"{id}\", to: \"{id}-dlq\")"));
            }
            if spec.retry == 2 {
                // It calls a flaky dependency.
                node(
                    &format!("{id}-api"),
                    r#"Service(latency: Exponential(mean: "5ms"), concurrency: 2, rate_limit: 200.0, failure: 0.2)"#.to_owned(),
                );
                edges.push(format!("(from: \"{id}\", to: \"{id}-api\")"));
            }
            id
        };
        let entry = match stage.shape {
            0 => {
                let q = format!("s{s}q");
                node(&q, queue_kind(&stage.queue));
                if stage.queue.dlq {
                    node(&format!("{q}-dlq"), "DeadLetter()".to_owned());
                    edges.push(format!("(from: \"{q}\", to: \"{q}-dlq\")"));
                }
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    edges.push(format!("(from: \"{q}\", to: \"{id}\")"));
                    next.push(id);
                }
                vec![q]
            }
            6 => {
                // Short retentions (20 ms – 3 s) make records expire while
                // groups lag; short rebalance pauses follow crashes and
                // autoscaling.
                let l = format!("s{s}l");
                let q = &stage.queue;
                // Some groups checkpoint every so often (crashes make them
                // read again); some logs are Event Hubs hubs of 10 to 30
                // events a second, whose senders wait or fail.
                let checkpoint = q
                    .max_receives
                    .map(|m| format!(", checkpoint: \"{}ms\"", m * 150))
                    .unwrap_or_default();
                let hubs = q
                    .capacity
                    .map(|c| {
                        format!(
                            ", event_hubs: (throughput_units: {}, event_bytes: 100000, on_throttle: {})",
                            c % 3 + 1,
                            if q.dlq { "Error" } else { "Wait" }
                        )
                    })
                    .unwrap_or_default();
                node(
                    &l,
                    format!(
                        "Log(partitions: {}, partitioner: {}, retention: \"{}ms\", rebalance_pause: \"{}ms\"{checkpoint}{hubs})",
                        q.visibility_ms % 4 + 1,
                        ["KeyHash", "RoundRobin"][q.overflow as usize % 2],
                        q.visibility_ms,
                        stage.latency_ms * 50
                    ),
                );
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    edges.push(format!("(from: \"{l}\", to: \"{id}\"{latency})"));
                    next.push(id);
                }
                vec![l]
            }
            3 => {
                let r = format!("s{s}r");
                let mode =
                    ["ByType", "Weighted", "Split(parts: 2)"][stage.queue.overflow as usize % 3];
                node(&r, format!("Router(mode: {mode})"));
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    let filter = if stage.filtered[c] {
                        r#", filter: ["A"]"#
                    } else {
                        ""
                    };
                    edges.push(format!(
                        "(from: \"{r}\", to: \"{id}\", weight: {}.0{filter})",
                        c + 1
                    ));
                    next.push(id);
                }
                vec![r]
            }
            1 => {
                let t = format!("s{s}t");
                node(&t, "Topic()".to_owned());
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    let filter = if stage.filtered[c] {
                        r#", filter: ["A"]"#
                    } else {
                        ""
                    };
                    if stage.via_queue[c] {
                        let q = format!("s{s}q{c}");
                        node(&q, queue_kind(&stage.queue));
                        edges.push(format!("(from: \"{t}\", to: \"{q}\"{filter})"));
                        edges.push(format!("(from: \"{q}\", to: \"{id}\")"));
                    } else {
                        edges.push(format!("(from: \"{t}\", to: \"{id}\"{filter})"));
                    }
                    next.push(id);
                }
                vec![t]
            }
            4 => {
                let cep = format!("s{s}cep");
                let window = [
                    "Tumbling(size: \"300ms\")",
                    "Sliding(size: \"300ms\")",
                    "Session(gap: \"100ms\")",
                ][stage.queue.overflow as usize % 3];
                let max_keys = if stage.via_queue[0] {
                    ", max_keys: 5"
                } else {
                    ""
                };
                node(
                    &cep,
                    format!(
                        r#"Cep(rules: [
                            (name: "count", pattern: Count(event: "A", at_least: 2, window: {window}), emit: "A"),
                            (name: "seq", pattern: FollowedBy(first: "A", then: "B", within: "300ms"), emit: "A"),
                            (name: "absent", pattern: NotFollowedBy(first: "B", then: "A", within: "200ms"), emit: "B"),
                        ]{max_keys})"#
                    ),
                );
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    edges.push(format!("(from: \"{cep}\", to: \"{id}\")"));
                    next.push(id);
                }
                vec![cep]
            }
            5 => {
                let store = format!("s{s}store");
                let q = &stage.queue;
                let mut params =
                    format!("append: Exponential(mean: \"{}ms\")", stage.latency_ms + 1);
                if stage.filtered[0] {
                    params.push_str(", max_rate: 100.0");
                }
                if let Some(c) = q.capacity {
                    let _ = write!(params, ", backlog: {c}");
                }
                if stage.via_queue[1] {
                    params.push_str(", conflict: 0.3, retry_delay: \"5ms\"");
                    if let Some(m) = q.max_receives {
                        let _ = write!(params, ", max_attempts: {m}");
                    }
                }
                if stage.via_queue[2] {
                    params.push_str(", replay: (at: \"1s\", rate: 500.0)");
                }
                node(&store, format!("EventStore({params})"));
                let view = format!("s{s}view");
                node(
                    &view,
                    format!(
                        "Projection(apply: Exponential(mean: \"3ms\"), concurrency: {})",
                        stage.consumers[0].concurrency
                    ),
                );
                edges.push(format!("(from: \"{store}\", to: \"{view}\")"));
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    edges.push(format!("(from: \"{store}\", to: \"{id}\")"));
                    next.push(id);
                }
                vec![store]
            }
            _ => {
                let mut entries = Vec::new();
                for (c, spec) in stage.consumers.iter().enumerate() {
                    let id = consumer(c, spec, &mut edges, &mut node);
                    entries.push(id.clone());
                    next.push(id);
                }
                entries
            }
        };
        // Each pusher sends to one entry of the stage (round robin).
        for (k, pusher) in pushers.iter().enumerate() {
            let to = &entry[k % entry.len()];
            edges.push(format!("(from: \"{pusher}\", to: \"{to}\"{latency})"));
        }
        // Entries nobody pushes to would have no input; feed them from the first pusher.
        for to in entry.iter().skip(pushers.len()) {
            edges.push(format!("(from: \"{}\", to: \"{to}\"{latency})", pushers[0]));
        }
        pushers = next;
    }
    if let Some((latency_ms, concurrency)) = spec.sink {
        let mut kind = format!(
            "Sink(latency: Exponential(mean: \"{}ms\")",
            latency_ms.max(1)
        );
        if latency_ms == 0 {
            kind = "Sink(".to_owned();
        }
        if let Some(c) = concurrency {
            if latency_ms > 0 {
                kind.push_str(", ");
            }
            let _ = write!(kind, "concurrency: {c}");
        }
        kind.push(')');
        node("sink", kind);
        for pusher in &pushers {
            edges.push(format!("(from: \"{pusher}\", to: \"sink\")"));
        }
    }
    format!(
        "(version: 1, name: \"random\", scenario: (duration: \"{}s\", seed: 1, max_in_flight: {}, faults: [{}]),\n nodes: [\n  {}\n ],\n edges: [\n  {}\n ])",
        spec.duration_s,
        spec.max_in_flight,
        faults(spec, &kinds),
        nodes.join(",\n  "),
        edges.join(",\n  ")
    )
}

/// The spec's faults, each on a node of a kind it fits.
fn faults(spec: &Spec, kinds: &[(String, String)]) -> String {
    let candidates: Vec<&(String, String)> =
        kinds.iter().filter(|(_, k)| k != "DeadLetter").collect();
    let mut out = Vec::new();
    for &(which, effect, at, len) in &spec.faults {
        let (id, kind) = candidates[which as usize % candidates.len()];
        let effect = match (effect, kind.as_str()) {
            (1, "Consumer" | "Sink" | "EventStore" | "Projection") => "Slow(factor: 3.0)",
            (2, "Producer") => "Burst(factor: 4.0)",
            _ => "Crash",
        };
        out.push(format!(
            "(at: \"{at}ms\", duration: \"{len}ms\", node: \"{id}\", effect: {effect})"
        ));
    }
    out.join(", ")
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn every_message_is_accounted_for(spec in spec(), seed in any::<u64>()) {
        let text = build(&spec);
        let m = model(&text);
        let mut sim = Simulation::new(&m, seed).expect("valid models compile");
        let step = Duration::from_millis(777);
        let mut stopped = None;
        while !sim.is_finished() {
            if let Err(e) = sim.step(step) {
                stopped = Some(e);
                break;
            }
            let c = sim.result().conservation;
            prop_assert!(c.balanced(), "at {}: {c:?}\n{text}", sim.now());
        }
        let result = sim.result();
        let c = result.conservation;
        prop_assert!(c.balanced(), "at the end ({stopped:?}): {c:?}\n{text}");
        prop_assert_eq!(c.in_flight, sim.in_flight());
        if let Some(err) = &stopped {
            // The only way a valid model stops early: the runaway guard.
            let limit = match err {
                sim_core::RunError::InFlightLimit { limit, .. } => Some(*limit),
                sim_core::RunError::Invalid(_)
                | sim_core::RunError::NoProgress { .. }
                | sim_core::RunError::FanOutLimit { .. }
                | sim_core::RunError::Deadlock { .. } => None,
            };
            prop_assert_eq!(limit, Some(u64::from(spec.max_in_flight)), "stopped by {:?}", err);
        }
        // Node counts agree with the totals: whatever was dropped anywhere
        // adds up to the totals dropped and lost (a node's `dropped`
        // counts both; no warm-up here).
        let dropped: f64 = result
            .nodes
            .iter()
            .map(|n| weir_tests::run_metric(&result, &n.id, "dropped"))
            .sum();
        prop_assert_eq!(dropped as u64, c.dropped + c.lost);
        // Deterministic: the same model and seed give the same result.
        if stopped.is_none() {
            let again = sim_core::run_once(&m, seed).expect("runs again");
            prop_assert_eq!(&again, &result);
            // Following messages changes nothing, and each journey's hops
            // tile its life.
            let mut traced = Simulation::new(&m, seed).expect("compiles");
            traced.record_journeys(JourneyOptions { every: 3, max_journeys: 200, max_hops: 64 });
            traced.run_until(traced.end()).expect("runs as before");
            prop_assert_eq!(&traced.result(), &result);
            let open = traced.journeys().iter().filter(|j| j.is_open()).count();
            prop_assert!(open as u64 <= c.in_flight, "{open} open journeys, {c:?}");
            for j in traced.journeys() {
                prop_assert_eq!(j.hops[0].start, j.created);
                for pair in j.hops.windows(2) {
                    prop_assert_eq!(pair[0].end, pair[1].start, "journey {}: {:?}\n{}", j.id, j.hops, text);
                }
                if let Some((_, at)) = j.end.place() {
                    prop_assert_eq!(j.hops[j.hops.len() - 1].end, at);
                }
            }
        }
    }

    /// Changes made to a running simulation keep every message accounted
    /// for: consumers rescaled, queues given a new capacity (below what
    /// they hold, too), Event Hubs hubs new throughput units, bursts and
    /// crashes injected mid-run.
    #[test]
    fn live_changes_keep_every_message_accounted_for(
        spec in spec(),
        seed in any::<u64>(),
        instances in 1u32..5,
        capacity in 1u64..40,
        burst in 0.5f64..6.0,
    ) {
        use sim_core::faults::Effect;
        use sim_core::nodes::{Kind, NodeKind};
        let text = build(&spec);
        let m = model(&text);
        let mut sim = Simulation::new(&m, seed).expect("valid models compile");
        let step = Duration::from_millis(777);
        let mut changed = false;
        while !sim.is_finished() {
            if sim.step(step).is_err() {
                break;
            }
            if !changed && sim.now() >= sim_core::time::SimTime(sim.end().as_nanos() / 3) {
                changed = true;
                for n in m.graph.node_indices() {
                    let node = &m.graph[n];
                    let outcome = match &node.kind {
                        NodeKind::Consumer(c) => {
                            let mut c = c.clone();
                            c.instances = instances;
                            sim.set_node_params(&node.id, &NodeKind::Consumer(c))
                        }
                        NodeKind::Queue(q) if q.pubsub.is_some() => {
                            // A subscription's retry policy changes live.
                            let mut q = q.clone();
                            if let Some(p) = q.pubsub.as_mut() {
                                let backoff = Duration::from_millis(capacity * 10);
                                p.retry = Some(sim_core::nodes::pubsub::Backoff {
                                    min: backoff,
                                    max: backoff + backoff,
                                });
                            }
                            sim.set_node_params(&node.id, &NodeKind::Queue(q))
                        }
                        NodeKind::Queue(q) => {
                            let mut q = q.clone();
                            q.capacity = Some(capacity);
                            sim.set_node_params(&node.id, &NodeKind::Queue(q))
                        }
                        NodeKind::Log(l) if l.event_hubs.is_some() => {
                            // Event Hubs' throughput units change live.
                            let mut l = l.clone();
                            if let Some(hubs) = l.event_hubs.as_mut() {
                                hubs.throughput_units = u32::try_from(capacity).unwrap_or(1);
                            }
                            sim.set_node_params(&node.id, &NodeKind::Log(l))
                        }
                        _ if node.kind.kind() == Kind::Producer => sim.inject_fault(
                            &node.id,
                            Effect::Burst { factor: burst },
                            Duration::from_secs(20),
                        ),
                        _ => Ok(()),
                    };
                    // Refusals (an autoscaled consumer's instances, a
                    // sink's concurrency) are fine; crashes are not.
                    let _ = outcome;
                }
            }
            let c = sim.snapshot().totals;
            prop_assert!(c.balanced(), "at {}: {c:?}\n{text}", sim.now());
        }
        let c = sim.result().conservation;
        prop_assert!(c.balanced(), "at the end: {c:?}\n{text}");
    }
}
