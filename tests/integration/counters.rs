//! Honest counters: every bundled example run to its end live, as the
//! window runs it; each number a card or the live panel shows, labelled
//! with what it counts, equals the same number in the live report the
//! Results window shows and exports as JSON; the header's parts add up
//! (what was sent, copied or derived is where the header says it is).

use serde_json::Value;
use sim_core::nodes::Kind;
use sim_core::snapshot::Snapshot;
use weir::examples::EXAMPLES;
use weir::gui::kinds::{self, card_line};
use weir::gui::{Counters, live_report, panel_numbers};
use weir::live::{Command, LiveFrame, Speed, Stepper};

/// The example run to its end by the live stepper: its last frame and
/// its live report as JSON.
fn run_to_end(text: &str) -> (Box<LiveFrame>, Value) {
    let model = weir_tests::model(text);
    let mut stepper = Stepper::new(&model, model.scenario.seed).expect("the example runs");
    stepper.apply(Command::SetSpeed(Speed::Max));
    stepper.apply(Command::RunToEnd);
    let clock = {
        let start = std::time::Instant::now();
        move || start.elapsed().as_secs_f64()
    };
    while stepper.is_active() {
        stepper.advance(clock(), 1.0, &clock);
    }
    assert!(stepper.simulation().is_finished(), "{}", model.name);
    let mut frame = Box::<LiveFrame>::default();
    stepper.publish(&mut frame);
    let result = stepper.simulation().result();
    let report = live_report(&result, &model);
    let json: Value = serde_json::from_str(&report.to_json_string()).expect("the report is JSON");
    (frame, json)
}

/// A whole count from the report's JSON (0 when absent, as the report
/// leaves out some zero counts).
fn reported(json: &Value, node: &str, metric: &str) -> u64 {
    let v = json["nodes"][node][metric].as_f64().unwrap_or(0.0);
    assert!(v >= 0.0 && v.fract() == 0.0, "{node}.{metric} = {v}");
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "checked whole"
    )]
    let v = v as u64;
    v
}

fn check_nodes(file: &str, snap: &Snapshot, json: &Value) -> usize {
    let mut checked = 0;
    for node in &snap.nodes {
        let numbers = kinds::of(node.kind).live_numbers(node);
        let panel = panel_numbers(node);
        let card = card_line(&numbers);
        for number in &numbers {
            assert!(
                panel.contains(number),
                "{file}: {}'s panel lists {number}",
                node.id
            );
            if number.on_card {
                assert!(
                    card.contains(&number.to_string()),
                    "{file}: {}'s card '{card}' shows {number}",
                    node.id
                );
            }
        }
        for number in &panel {
            let Some(metric) = number.metric else {
                continue;
            };
            let report = reported(json, &node.id, metric);
            assert_eq!(
                number.value.unwrap_or(0),
                report,
                "{file}: {} shows {number}, its report's {metric} is {report}",
                node.id
            );
            if number.value.is_none() {
                assert_eq!(number.value_text(), "—", "{file}: nothing yet reads —");
            }
            checked += 1;
        }
    }
    checked
}

fn check_header(file: &str, snap: &Snapshot, json: &Value) {
    let counters = Counters::of(snap);
    let part = |side: &[(&str, u64)], label: &str| {
        side.iter()
            .find(|(l, _)| *l == label)
            .map_or_else(|| panic!("{file}: no '{label}' in {counters}"), |&(_, v)| v)
    };
    let made = Counters::total(&counters.made);
    let now = Counters::total(&counters.now);
    assert_eq!(made, now, "{file}: the header adds up: {counters}");
    let c = &json["conservation"];
    let of = |key: &str| c[key].as_u64().unwrap_or_else(|| panic!("{file}: {key}"));
    assert_eq!(made, of("produced"), "{file}: {counters}");
    assert_eq!(part(&counters.made, "sent"), of("emitted"), "{file}");
    assert_eq!(part(&counters.now, "completed"), of("completed"), "{file}");
    let sent_by_producers: u64 = snap
        .nodes
        .iter()
        .filter(|n| n.kind == Kind::Producer)
        .map(|n| n.departed + n.held)
        .sum();
    if snap
        .nodes
        .iter()
        .all(|n| n.dropped == 0 || n.kind != Kind::Producer)
        && json["warmup_s"].as_f64() == Some(0.0)
    {
        assert_eq!(
            part(&counters.made, "sent"),
            sent_by_producers,
            "{file}: the header's sent is what the producers' cards say they sent or hold"
        );
    }
    let retained: u64 = snap
        .nodes
        .iter()
        .filter(|n| n.kind == Kind::Log)
        .map(|n| n.held)
        .sum();
    if snap.nodes.iter().any(|n| n.kind == Kind::Log) {
        assert_eq!(part(&counters.now, "retained in logs"), retained, "{file}");
    }
    assert_eq!(
        part(&counters.now, "in flight") + retained,
        of("in_flight"),
        "{file}: retained records and messages in flight make the report's in flight"
    );
    let text = counters.to_string();
    assert!(
        text.starts_with(&format!("sent {}", of("emitted"))),
        "{file}: {text}"
    );
}

#[test]
fn every_example_s_cards_panels_header_and_report_agree() {
    let mut checked = 0;
    for example in EXAMPLES {
        let (frame, json) = run_to_end(example.text);
        let snap = &frame.snapshot;
        assert!(
            snap.totals.balanced(),
            "{}: {:?}",
            example.file,
            snap.totals
        );
        checked += check_nodes(example.file, snap, &json);
        check_header(example.file, snap, &json);
    }
    assert!(checked > 100, "only {checked} numbers checked");
}

#[test]
fn the_kafka_header_labels_copies_and_retained_records_apart() {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == "kafka-consumer-lag.ron")
        .expect("the Kafka example");
    let (frame, _) = run_to_end(example.text);
    let counters = Counters::of(&frame.snapshot);
    let labels: Vec<&str> = counters
        .made
        .iter()
        .chain(&counters.now)
        .map(|&(l, _)| l)
        .collect();
    assert_eq!(
        labels[..2],
        ["sent", "copies"],
        "two consumer groups read each record: {counters}"
    );
    assert!(labels.contains(&"retained in logs"), "{counters}");
    let log = frame
        .snapshot
        .nodes
        .iter()
        .find(|n| n.kind == Kind::Log)
        .expect("a log");
    let numbers = kinds::of(Kind::Log).live_numbers(log);
    let label_of = |l: &str| numbers.iter().any(|n| n.label == l);
    assert!(
        label_of("appended") && label_of("read") && !label_of("arrived"),
        "the log's numbers say what they count: {numbers:?}"
    );
}

#[test]
fn a_blocked_consumer_shows_its_blocked_slots_apart_from_busy_ones() {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == "backpressure.ron")
        .expect("the backpressure example");
    let model = weir_tests::model(example.text);
    let mut stepper = Stepper::new(&model, model.scenario.seed).expect("runs");
    let mut frame = LiveFrame::default();
    let mut seen = None;
    for _ in 0..100 {
        stepper.apply(Command::Step);
        stepper.publish(&mut frame);
        let transform = frame
            .snapshot
            .nodes
            .iter()
            .find(|n| n.id == "transform")
            .expect("transform");
        if transform.blocked_slots > 0 {
            seen = Some(card_line(
                &kinds::of(Kind::Consumer).live_numbers(transform),
            ));
            break;
        }
    }
    let card = seen.expect("the transform blocks within 10 s");
    assert!(
        card.contains("busy ") && card.contains("blocked ") && card.contains("/4"),
        "{card}"
    );
}

#[test]
fn nothing_yet_reads_as_a_dash() {
    let example = EXAMPLES
        .iter()
        .find(|e| e.file == "backpressure.ron")
        .expect("the backpressure example");
    let model = weir_tests::model(example.text);
    let stepper = Stepper::new(&model, model.scenario.seed).expect("runs");
    let snap = stepper.simulation().snapshot();
    let writer = snap
        .nodes
        .iter()
        .find(|n| n.kind == Kind::Producer)
        .expect("a producer");
    assert_eq!(
        card_line(&kinds::of(Kind::Producer).live_numbers(writer)),
        "sent —"
    );
}
