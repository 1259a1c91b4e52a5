//! Insights: the gallery's bottlenecks named from the examples' own
//! parameters, the load at which the first stage saturates against 1/ρ,
//! retry amplification and losses against their formulas, and the
//! Results panel and canvas showing them.

use egui::accesskit::Role;
use egui::{Key, Modifiers};
use egui_kittest::kittest::Queryable;
use sim_core::insights::{Insight, InsightKind};
use sim_core::rng::replication_seed;
use sim_core::{Model, Report, run_once, run_replications};
use weir::gui::WeirApp;
use weir_tests::{Estimate, model};

use crate::harness::{Window, harness, until};

fn example(name: &str) -> Model {
    let path = format!("{}/../examples/{name}.ron", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    model(&text)
}

fn insights(report: &Report) -> &[Insight] {
    report
        .insights
        .as_deref()
        .expect("a scenario's report has insights")
}

fn of_kind(report: &Report, kind: InsightKind) -> Vec<&Insight> {
    insights(report).iter().filter(|i| i.kind == kind).collect()
}

/// The one insight of `kind` about `subject`.
fn find<'r>(report: &'r Report, kind: InsightKind, subject: &str) -> &'r Insight {
    let found: Vec<&Insight> = of_kind(report, kind)
        .into_iter()
        .filter(|i| i.subject == subject)
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {kind:?} insight about {subject}; the insights are {:#?}",
        insights(report)
    );
    found[0]
}

/// The value of the insight of `kind` about `subject` in each of `reps`
/// replications, each read from that replication's own report.
fn per_replication(model: &Model, reps: u32, kind: InsightKind, subject: &str) -> Estimate {
    let samples = (0..reps)
        .map(|i| {
            let seed = replication_seed(model.scenario.seed, i);
            let run = run_once(model, seed).expect("runs");
            let report = Report::from_runs(seed, [run], 0.0).with_insights(model);
            find(&report, kind, subject).value
        })
        .collect();
    Estimate::new(format!("{} {subject}", kind.key()), samples)
}

#[test]
fn the_gallery_names_its_slow_stages_as_bottlenecks() {
    // Each bottleneck follows from the example's parameters (ρ = λ·E[S]/c):
    // - single-queue: 80/s × 10 ms on 1 worker: ρ = 0.80;
    // - pipeline: 170/s; validate 170 × 5 ms / 2 = 0.43, enrich
    //   170 × 20 ms / 4 = 0.85, store 170 × 6 ms / 2 = 0.51: enrich;
    // - pubsub-fanout: 50/s to billing (8 ms: 0.40) and analytics
    //   (uniform 5–33 ms, mean 19 ms: 0.95), 40/s of OrderPlaced to
    //   shipping (30 ms on 2: 0.60): analytics;
    // - backpressure: 200/s wanted, the DB writer takes a constant 10 ms
    //   (100/s at most), transform has 4 slots of 10 ms (400/s): the DB
    //   writer, saturated, offered 2× what it serves.
    for (name, bottleneck, rho) in [
        ("single-queue", "worker", 0.80),
        ("pipeline", "enrich", 0.85),
        ("pubsub-fanout", "analytics", 0.95),
        ("backpressure", "db-writer", 1.0),
    ] {
        let report = run_replications(&example(name)).expect("runs");
        let found = of_kind(&report, InsightKind::Bottleneck);
        assert_eq!(
            found.len(),
            1,
            "{name}: one bottleneck: {:#?}",
            insights(&report)
        );
        let top = found[0];
        assert_eq!(top.subject, bottleneck, "{name}: {}", top.sentence);
        assert!(
            (top.value - rho).abs() < 0.03,
            "{name}: ρ {} against {rho}: {}",
            top.value,
            top.sentence
        );
        assert_eq!(
            insights(&report)[0].kind,
            InsightKind::Bottleneck,
            "{name}: the bottleneck comes first: {:#?}",
            insights(&report)
        );
        // Every stage has its utilisation, the bottleneck included.
        let stages = of_kind(&report, InsightKind::Utilisation).len() + 1;
        let consumers = report
            .nodes
            .iter()
            .filter(|n| n.kind == sim_core::nodes::Kind::Consumer)
            .count();
        assert_eq!(stages, consumers, "{name}: a utilisation per stage");
    }
    // Retries take the payment consumer only to 2 × 40 × 20 ms × 1.25 / 2
    // = 0.5: no bottleneck, though it is the first to saturate.
    let report = run_replications(&example("retries-dead-letter")).expect("runs");
    assert!(of_kind(&report, InsightKind::Bottleneck).is_empty());
    find(&report, InsightKind::SaturatesFirst, "payments");
}

#[test]
fn the_bottleneck_sentence_says_what_capacity_relieves_it() {
    let report = run_replications(&example("backpressure")).expect("runs");
    let top = find(&report, InsightKind::Bottleneck, "db-writer");
    // Offered 200/s at 10 ms: ρ = 2 on one instance; 3 bring it to 0.67.
    for part in [
        "write queue fills: DB writer is the bottleneck",
        "(saturated)",
        "Sensors wanted 200/s",
        "3 instances would bring it to ρ = 0.67",
    ] {
        assert!(top.sentence.contains(part), "{part:?} in {}", top.sentence);
    }
    let first = find(&report, InsightKind::SaturatesFirst, "db-writer");
    assert!(
        first.sentence.contains("already saturated"),
        "{}",
        first.sentence
    );
    // The stall reaches the producer and the transformer.
    find(&report, InsightKind::Backpressure, "sensors");
    find(&report, InsightKind::Backpressure, "transform");

    // Pipeline: 170 × 20 ms = 3.4 busy of 4; 5 instances give 0.68.
    let report = run_replications(&example("pipeline")).expect("runs");
    let top = find(&report, InsightKind::Bottleneck, "enrich");
    assert!(
        top.sentence
            .contains("5 instances would bring it to ρ = 0.6"),
        "{}",
        top.sentence
    );
    // Store is downstream of Enrich: it can only saturate once Enrich has
    // more capacity, at 1/0.51 ≈ 1.96×.
    let first = find(&report, InsightKind::SaturatesFirst, "enrich");
    assert!(
        first.sentence.contains("next would be Store at 1.9")
            && first.sentence.contains("once Enrich has more capacity"),
        "{}",
        first.sentence
    );

    // An autoscaled consumer is judged against its maximum.
    let report = run_replications(&example("autoscaling-oscillation")).expect("runs");
    let first = find(&report, InsightKind::SaturatesFirst, "workers");
    let busy = weir_tests::metric(&report, "workers", "mean_busy");
    assert!(
        (first.value - 12.0 / busy).abs() < 1e-9,
        "{}",
        first.sentence
    );
    assert!(
        first.sentence.contains("autoscaler at its maximum"),
        "{}",
        first.sentence
    );

    // Bursts: the resize function is 14% busy on average, but the API's
    // bursts of 200/s are 7.5× its mean of 26.7/s.
    let report = run_replications(&example("serverless-cold-starts")).expect("runs");
    let first = find(&report, InsightKind::SaturatesFirst, "resize");
    assert!(
        first.sentence.contains("bursts reach 7.5×")
            && first.sentence.contains("saturated already"),
        "{}",
        first.sentence
    );
}

#[test]
fn the_first_to_saturate_does_so_at_one_over_rho() {
    // M/M/1 at ρ = 0.8: the worker saturates at 1/0.8 = 1.25× the load.
    let mut m = example("single-queue");
    m.scenario.duration = sim_core::time::Duration::from_secs(300);
    let factor = per_replication(&m, 12, InsightKind::SaturatesFirst, "worker");
    factor.assert_contains(1.25, 0.03);
    // Each replication's factor is exactly its own 1/ρ.
    for i in 0..3 {
        let seed = replication_seed(m.scenario.seed, i);
        let report =
            Report::from_runs(seed, [run_once(&m, seed).expect("runs")], 0.0).with_insights(&m);
        let rho = weir_tests::metric(&report, "worker", "utilization");
        let first = find(&report, InsightKind::SaturatesFirst, "worker");
        assert_eq!(first.value.to_bits(), (1.0 / rho).to_bits());
        assert!(
            first
                .sentence
                .contains(&format!("at {:.2}× today's load", 1.0 / rho))
        );
    }
}

#[test]
fn retry_amplification_is_the_expected_attempts_per_message() {
    // Failure 0.2 per attempt, at most 4 attempts: a message makes
    // 1 + 0.2 + 0.2² + 0.2³ = 1.248 attempts on average.
    let mut m = example("retries-dead-letter");
    m.scenario.duration = sim_core::time::Duration::from_secs(300);
    let attempts = per_replication(&m, 12, InsightKind::Retries, "payments");
    attempts.assert_contains(1.248, 0.01);
    let report = run_replications(&m).expect("runs");
    let retries = find(&report, InsightKind::Retries, "payments");
    assert!(
        retries.sentence.starts_with("Payment service makes 1.2")
            && retries.sentence.contains("at most 4")
            && retries.sentence.contains("it fails 20% of attempts"),
        "{}",
        retries.sentence
    );
    // What still fails after 4 attempts, 0.2⁴ = 0.16%, is dead-lettered.
    let dead = find(&report, InsightKind::DeadLettered, "payments");
    assert!(
        dead.sentence.contains("into payments DLQ") && dead.sentence.contains("all 4 attempts"),
        "{}",
        dead.sentence
    );

    // Calls along one link: a breaker's fast failures never reach the
    // service, so its provider gets fewer calls than the worker attempts.
    let report = run_replications(&example("circuit-breaker")).expect("runs");
    let guarded = find(&report, InsightKind::Retries, "worker-b->provider-b");
    let unguarded = find(&report, InsightKind::Retries, "worker-a->provider-a");
    assert!(guarded.value < 1.0 && unguarded.value > 1.5);
    assert!(
        guarded.sentence.contains("circuit breaker failed"),
        "{}",
        guarded.sentence
    );
}

/// A queue of capacity 5 (the message in service included) in front of
/// one exponential 20 ms worker, offered 100/s: M/M/1/5 at ρ = 2, which
/// turns away P₅ = (1 − ρ)ρ⁵ / (1 − ρ⁶) = 32/63 of its arrivals.
const FULL: &str = r#"(
    version: 1,
    name: "full queue",
    scenario: (duration: "5m", warmup: "10s", seed: 17, replications: 10),
    nodes: [
        (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
        (id: "q", name: "inbox", kind: Queue(capacity: 5, overflow: DropNewest)),
        (id: "worker", kind: Consumer(service: Exponential(mean: "20ms"))),
    ],
    edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
)"#;

#[test]
fn losses_are_named_with_their_reason_and_share() {
    let m = model(FULL);
    let share = per_replication(&m, 10, InsightKind::Dropped, "q");
    share.assert_contains(32.0 / 63.0, 0.03);
    let report = run_replications(&m).expect("runs");
    let dropped = find(&report, InsightKind::Dropped, "q");
    assert!(
        dropped.sentence.starts_with("inbox drops 5")
            && dropped.sentence.contains("`queue_full`")
            && dropped.sentence.contains("the queue was full"),
        "{}",
        dropped.sentence
    );
    // The worker is saturated, and was offered about 1/(1 − 32/63) =
    // 63/31 ≈ 2.0× what it served: three instances bring ρ = 2 to 0.67.
    let top = find(&report, InsightKind::Bottleneck, "worker");
    assert!(
        top.sentence.contains("inbox dropped 5")
            && top
                .sentence
                .contains("3 instances would bring it to ρ = 0.6"),
        "{}",
        top.sentence
    );

    // Duplicates an exactly-once consumer discards are named as such.
    let report = run_replications(&example("delivery-guarantees")).expect("runs");
    let dup = find(&report, InsightKind::Dropped, "pay-b");
    assert!(dup.sentence.contains("`duplicate`"), "{}", dup.sentence);
}

#[test]
fn insights_are_ranked_deterministic_and_in_the_json() {
    let m = example("backpressure");
    let a = run_replications(&m).expect("runs");
    let b = run_replications(&m).expect("runs");
    assert_eq!(a.insights, b.insights);
    let list = insights(&a);
    assert!(
        list.windows(2).all(|w| w[0].score >= w[1].score),
        "{list:#?}"
    );
    let json = a.to_json();
    let array = json["insights"].as_array().expect("an insights array");
    assert_eq!(array.len(), list.len());
    for (j, i) in array.iter().zip(list) {
        let keys: Vec<&str> = j
            .as_object()
            .expect("an object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(keys, ["kind", "subject", "score", "value", "sentence"]);
        assert_eq!(j["kind"], i.kind.key());
        assert_eq!(j["sentence"], i.sentence.as_str());
    }
    // The table for people lists the first few under the node table.
    let table = a.to_table();
    assert!(
        table.contains("insights (ranked):\n  1. write queue fills: DB writer"),
        "{table}"
    );
}

/// Each text painted, by where its middle is.
fn painted_texts(h: &egui_kittest::Harness<'_, WeirApp>) -> Vec<(egui::Pos2, String)> {
    fn walk(shape: &egui::Shape, out: &mut Vec<(egui::Pos2, String)>) {
        match shape {
            egui::Shape::Text(t) => out.push((
                t.galley.rect.translate(t.pos.to_vec2()).center(),
                t.galley.text().to_owned(),
            )),
            egui::Shape::Vec(shapes) => shapes.iter().for_each(|s| walk(s, out)),
            _ => {}
        }
    }
    let mut out = Vec::new();
    for clipped in &h.output().shapes {
        walk(&clipped.shape, &mut out);
    }
    out
}

#[test]
fn results_list_the_insights_and_the_canvas_marks_the_bottleneck() {
    let mut m = example("pipeline");
    m.scenario.duration = sim_core::time::Duration::from_secs(120);
    m.scenario.replications = 2;
    let mut h = harness(WeirApp::from_model(m, None), Window::default());
    h.run();
    assert!(
        !painted_texts(&h)
            .iter()
            .any(|(_, t)| t.starts_with("bottleneck")),
        "no mark before a run"
    );
    h.key_press_modifiers(Modifiers::COMMAND, Key::R);
    until(&mut h, "the replications' insights", |h| {
        h.query_by_label_contains("Enrich is the bottleneck")
            .is_some()
    });
    h.run();
    assert!(h.query_by_label("Insights").is_some());
    assert!(
        h.query_by_label_contains("2. As the load grows, Enrich saturates first")
            .is_some()
    );
    let list = h
        .get_by_label_contains("1. Enrich is the bottleneck")
        .rect();
    let table = h.get_by_label("Copy as CSV").rect();
    assert!(
        list.left() > table.right(),
        "the insights sit beside the table"
    );
    let canvas = h.state().canvas_rect();
    assert!(
        table.top() >= canvas.bottom() - 1.0 && list.top() >= canvas.bottom() - 1.0,
        "the panel is under the canvas, not over it"
    );
    let card = h
        .state()
        .node_screen_rect("enrich")
        .expect("enrich on screen");
    let texts = painted_texts(&h);
    let (at, tag) = texts
        .iter()
        .find(|(_, t)| t.starts_with("bottleneck ρ 0.8"))
        .unwrap_or_else(|| panic!("a bottleneck tag among {texts:?}"));
    assert!(
        (at.x - card.center().x).abs() < card.width() / 2.0
            && at.y < card.top()
            && at.y > card.top() - 40.0,
        "{tag} at {at:?}, above the card {card:?}"
    );
    // Closing the Results panel takes the mark away.
    h.key_press(Key::Escape);
    h.run();
    assert!(
        !painted_texts(&h)
            .iter()
            .any(|(_, t)| t.starts_with("bottleneck"))
    );
}

#[test]
fn a_live_run_marks_the_bottleneck_of_its_report() {
    let mut m = example("single-queue");
    m.scenario.duration = sim_core::time::Duration::from_secs(90);
    let mut h = harness(WeirApp::from_model(m, None), Window::default());
    h.run();
    h.get_by_role_and_label(Role::Button, "Play live").click();
    h.get_by_role_and_label(Role::Button, "Run to end").click();
    until(&mut h, "the run's end", |h| {
        h.state().live().is_some_and(|l| l.frame().finished)
    });
    h.get_by_role_and_label(Role::Button, "Results").click();
    // 80/s on one 10 ms worker: ρ ≈ 0.8 over the run.
    until(&mut h, "the live report's insights", |h| {
        h.query_by_label_contains("Order worker is the bottleneck")
            .is_some()
    });
    h.run();
    let card = h
        .state()
        .node_screen_rect("worker")
        .expect("worker on screen");
    let texts = painted_texts(&h);
    let (at, _) = texts
        .iter()
        .find(|(_, t)| t.starts_with("bottleneck ρ 0."))
        .unwrap_or_else(|| panic!("a bottleneck tag among {texts:?}"));
    assert!(
        at.y < card.top() && (at.x - card.center().x).abs() < card.width() / 2.0,
        "tag at {at:?}, card {card:?}, canvas {:?}",
        h.state().canvas_rect()
    );
}
