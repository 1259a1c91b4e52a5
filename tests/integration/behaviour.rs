//! Whole-model behaviour that the product promises: backpressure, the
//! runaway guard, determinism.

use sim_core::model::file;
use sim_core::{RunError, Simulation, run_once, run_replications};
use weir_tests::{Estimate, metric, model, replicate, run_metric};

#[test]
fn blocking_queue_stalls_its_producer() {
    // The producer wants 200/s; the consumer manages 100/s. With a blocking
    // queue of capacity 10 the producer waits: its real rate settles at the
    // consumer's capacity, nothing is dropped, and the queue never holds
    // more than 10.
    let text = r#"(
        version: 1,
        name: "backpressure",
        scenario: (duration: "1000s", warmup: "10s", seed: 17, replications: 10),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
            (id: "q", kind: Queue(capacity: 10)),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
    )"#;
    let report = replicate(&model(text));
    Estimate::metric(&report, "src", "throughput_per_s").assert_contains(100.0, 0.01);
    for run in &report.runs {
        // Depth counts waiting messages; one more is with the consumer.
        assert!(
            run_metric(run, "q", "max_depth") <= 9.0,
            "seed {}: depth over capacity",
            run.seed
        );
        assert_eq!(
            run.conservation.dropped, 0,
            "seed {}: backpressure must not drop",
            run.seed
        );
        let blocked = run_metric(run, "src", "blocked_fraction");
        assert!(
            blocked > 0.3,
            "seed {}: the producer was blocked only {blocked:.2} of the time",
            run.seed
        );
    }
}

#[test]
fn backpressure_travels_up_a_chain() {
    let text = include_str!("../../examples/backpressure.ron");
    let report = run_replications(&model(text)).expect("runs");
    let value = |id, path| metric(&report, id, path);
    // The writer (constant 10 ms) is the bottleneck: 100/s end to end.
    let rate = value("sensors", "throughput_per_s");
    assert!(
        (rate - 100.0).abs() < 1.0,
        "producer rate {rate}, expected the writer's 100/s"
    );
    assert!(value("sensors", "blocked_fraction") > 0.45);
    assert!(value("write-q", "max_depth") <= 20.0);
    assert!(value("ingest-q", "max_depth") <= 50.0);
    // Both queues fill: the stall has travelled through the transformer.
    assert!(value("write-q", "mean_depth") > 15.0);
    assert!(value("ingest-q", "mean_depth") > 40.0);
    assert_eq!(report.conservation.dropped, 0);
    assert!(report.conservation.balanced());
}

#[test]
fn runaway_models_stop_with_a_diagnostic() {
    // Twice the load the consumer can take, into an unbounded queue.
    let text = r#"(
        version: 1,
        name: "runaway",
        scenario: (duration: "1h", seed: 1, max_in_flight: 5000),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
            (id: "backlog", kind: Queue()),
            (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
        ],
        edges: [(from: "src", to: "backlog"), (from: "backlog", to: "srv")],
    )"#;
    let err = run_once(&model(text), 1).expect_err("must stop");
    let RunError::InFlightLimit {
        limit,
        node,
        held,
        at,
    } = &err
    else {
        panic!("{err:?}")
    };
    assert_eq!(*limit, 5000);
    assert_eq!(node, "backlog");
    assert!(*held >= 4990, "{held}");
    // About 5000 / (200 − 100) = 50 s in.
    assert!((40.0..60.0).contains(&at.as_secs_f64()), "{at}");
    assert!(err.to_string().contains("max_in_flight"), "{err}");
}

fn json_without_wall(report: &sim_core::Report) -> String {
    let mut value = report.to_json();
    if let Some(obj) = value.as_object_mut() {
        obj.remove("wall_s");
    }
    serde_json::to_string_pretty(&value).expect("serialises")
}

#[test]
fn same_seed_same_report_byte_for_byte() {
    for text in [
        include_str!("../../examples/single-queue.ron"),
        include_str!("../../examples/pubsub-fanout.ron"),
        include_str!("../../examples/retries-dead-letter.ron"),
        include_str!("../../examples/pipeline.ron"),
    ] {
        let mut m = model(text);
        m.scenario.duration = sim_core::time::Duration::from_secs(120);
        m.scenario.warmup = Some(sim_core::time::Duration::from_secs(10));
        m.scenario.replications = 3;
        let a = json_without_wall(&run_replications(&m).expect("runs"));
        let b = json_without_wall(&run_replications(&m).expect("runs"));
        assert_eq!(a, b, "{}: two runs with the same seed differ", m.name);
        m.scenario.seed += 1;
        let c = json_without_wall(&run_replications(&m).expect("runs"));
        assert_ne!(a, c, "{}: another seed gave the same report", m.name);
    }
}

#[test]
fn stepping_does_not_change_results() {
    // Running in small steps (as the GUI does) gives the same result as
    // one run to the end.
    let m = model(include_str!("../../examples/retries-dead-letter.ron"));
    let whole = run_once(&m, 9).expect("runs");
    let mut sim = Simulation::new(&m, 9).expect("compiles");
    while !sim.is_finished() {
        sim.step(sim_core::time::Duration::from_millis(1234))
            .expect("steps");
    }
    assert_eq!(whole, sim.result());
}

#[test]
fn adding_a_node_does_not_shift_other_random_streams() {
    // A second, unconnected flow must not change the first flow's numbers.
    let base = include_str!("../../examples/single-queue.ron");
    let m = model(base);
    let (mut extended, _) = file::from_str(base).expect("loads");
    let p = extended.add_node(sim_core::Node::new(
        "other-src",
        sim_core::nodes::NodeKind::Producer(Default::default()),
    ));
    let s = extended.add_node(sim_core::Node::new(
        "other-sink",
        sim_core::nodes::NodeKind::Sink(Default::default()),
    ));
    extended.add_edge(p, s, sim_core::Edge::default());
    let a = run_once(&m, 5).expect("runs");
    let b = run_once(&extended, 5).expect("runs");
    for id in ["orders", "order-queue", "worker", "done"] {
        assert_eq!(
            a.node(id),
            b.node(id),
            "node {id} changed when another flow was added"
        );
    }
}
