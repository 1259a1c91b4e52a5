//! Every example in the gallery loads cleanly, and shows what it exists
//! to show.

use sim_core::run_replications;
use sim_core::slo::Verdict;
use weir_tests::{metric, model};

#[test]
fn every_example_validates_without_warnings() {
    let mut seen = 0;
    for (path, text) in weir_tests::examples() {
        let (m, load) = sim_core::model::file::from_str(&text)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut all = load;
        all.extend(sim_core::validate::validate(&m));
        assert!(all.is_empty(), "{}: {all:#?}", path.display());
        assert!(
            !m.description.is_empty(),
            "{}: needs a description",
            path.display()
        );
        assert!(
            text.trim_start().starts_with("//"),
            "{}: opens with a comment on what to watch",
            path.display()
        );
        seen += 1;
    }
    assert!(seen >= 8, "only {seen} examples found");
}

#[test]
fn the_benchmark_model_validates_without_warnings() {
    // The engine and replication benchmarks run it; a range it breaks
    // would leave them measuring a refusal.
    let (m, load) = sim_core::model::file::from_str(include_str!("../../sim-core/benches/mm1.ron"))
        .expect("loads");
    let mut all = load;
    all.extend(sim_core::validate::validate(&m));
    assert!(all.is_empty(), "{all:#?}");
}

#[test]
fn delivery_guarantees_show_duplicates_only_at_least_once() {
    let report = run_replications(&model(include_str!(
        "../../examples/delivery-guarantees.ron"
    )))
    .expect("runs");
    let dup_a = metric(&report, "ledger-a", "duplicates");
    let dup_b = metric(&report, "ledger-b", "duplicates");
    assert!(
        dup_a > 100.0,
        "at-least-once ledger saw only {dup_a} duplicates"
    );
    assert_eq!(dup_b, 0.0, "the exactly-once ledger saw duplicates");
    assert!(metric(&report, "pay-b", "drops.duplicate") > 100.0);
    assert!(report.conservation.balanced());
}

#[test]
fn consumer_crash_builds_a_backlog_that_drains() {
    let report =
        run_replications(&model(include_str!("../../examples/consumer-crash.ron"))).expect("runs");
    // 45 s × 60/s ≈ 2 700 orders wait while the worker is down.
    let max_depth = metric(&report, "order-queue", "max_depth");
    assert!(
        (2_300.0..3_100.0).contains(&max_depth),
        "max depth {max_depth}"
    );
    assert_eq!(report.conservation.dropped, 0, "nothing is lost");
    // It has drained by the end of the run.
    assert!(
        report.conservation.in_flight < 50,
        "{:?}",
        report.conservation
    );
    // The longest journey sat out the outage.
    assert!(metric(&report, "done", "end_to_end_s.max") > 30.0);
}

/// Each objective's name and verdict, in model order.
fn verdicts(report: &sim_core::Report) -> Vec<(&str, &Verdict)> {
    report
        .slos
        .iter()
        .map(|s| (s.slo.name.as_str(), &s.verdict))
        .collect()
}

#[test]
fn region_outage_loses_the_lag_with_async_copies_and_nothing_with_sync() {
    let report =
        run_replications(&model(include_str!("../../examples/region-outage.ron"))).expect("runs");
    let (copy_later, copy_now) = ("orders-async", "orders-sync");
    for queue in [copy_later, copy_now] {
        assert_eq!(metric(&report, queue, "region_failovers"), 1.0, "{queue}");
        // A minute to notice and 30 s to switch, not the outage's 8 m.
        let rto = metric(&report, queue, "rto_s");
        assert!((rto - 90.0).abs() < 1e-6, "{queue} rto {rto}");
    }
    // The writes of the last 250 ms at 200/s were not in the standby.
    let data = metric(&report, copy_later, "dr_data_lost");
    assert!((35.0..=65.0).contains(&data), "async data lost {data}");
    let rpo = metric(&report, copy_later, "rpo_s");
    assert!((0.2..=0.25).contains(&rpo), "async rpo {rpo}");
    assert!(metric(&report, copy_later, "lost") > 0.0);
    assert_eq!(metric(&report, copy_now, "dr_data_lost"), 0.0);
    assert_eq!(metric(&report, copy_now, "lost"), 0.0);
    // Synchronous copies cost every protected order a quarter of a second.
    let e2e = |lane: &str| metric(&report, lane, "end_to_end_s.mean");
    let (later, now) = (e2e("fulfil-async"), e2e("fulfil-sync"));
    assert!(now > later + 0.1, "sync {now} s, async {later} s");
    let verdicts = verdicts(&report);
    assert_eq!(
        verdicts,
        [
            ("No order lost (async DR)", &Verdict::Violated),
            ("No order lost (sync DR)", &Verdict::Met)
        ]
    );
    assert!(report.conservation.balanced());
}

#[test]
fn fifo_groups_keep_each_accounts_order_and_a_poison_message_holds_up_only_its_own() {
    let report =
        run_replications(&model(include_str!("../../examples/fifo-groups.ron"))).expect("runs");
    // Competing workers on a standard queue: a few percent out of order.
    let late = metric(&report, "apply-a", "out_of_order");
    let share = late / metric(&report, "apply-a", "arrived");
    assert!((0.005..0.1).contains(&share), "standard: {late} ({share})");
    // Message groups: none.
    assert_eq!(metric(&report, "apply-b", "out_of_order"), 0.0);
    // Both dead-letter the malformed updates (1 in 500 of 60/s over the
    // 8 minutes measured: about 58), after five receives each.
    for (queue, dlq) in [
        ("updates-standard", "rejected-a"),
        ("updates-fifo", "rejected-b"),
    ] {
        let dead = metric(&report, queue, "dead_lettered");
        assert!((40.0..80.0).contains(&dead), "{queue}: {dead}");
        // (The dead-letter queue also holds those of the warm-up.)
        assert!(metric(&report, dlq, "stored") >= dead, "{dlq}");
    }
    // The account behind a malformed update waits for its five receives
    // (about 0.2 s); in the standard queue nothing waits that long.
    let longest = |queue: &str| metric(&report, queue, "wait_s.max");
    assert!(
        longest("updates-fifo") > 0.15,
        "{}",
        longest("updates-fifo")
    );
    assert!(longest("updates-standard") < longest("updates-fifo"));
    assert_eq!(
        verdicts(&report),
        [
            ("In order (standard)", &Verdict::Violated),
            ("In order (FIFO)", &Verdict::Met)
        ]
    );
    assert!(report.conservation.balanced());
}

#[test]
fn event_hubs_throttling_holds_one_lane_back_and_fails_the_other() {
    let text = include_str!("../../examples/event-hubs-throttling.ron");
    let report = run_replications(&model(text)).expect("runs");
    // A minute of 800 events/s against 500: about 300 a second over.
    // Lane B fails those sends: dropped at the hub, and nothing else.
    let dropped = metric(&report, "clicks-hub", "drops.throttled");
    assert!((15_000.0..21_000.0).contains(&dropped), "dropped {dropped}");
    assert_eq!(metric(&report, "clicks-hub", "throttled"), dropped);
    assert_eq!(metric(&report, "clicks-hub", "dropped"), dropped);
    // Lane A's devices wait instead: nothing dropped, the devices held
    // back (the burst's surplus is never made), the hub turns sends away.
    assert_eq!(metric(&report, "telemetry-hub", "dropped"), 0.0);
    assert!(metric(&report, "telemetry-hub", "throttled") > 1_000.0);
    let held = metric(&report, "devices", "blocked_fraction");
    assert!((0.02..0.2).contains(&held), "devices held {held}");
    // Through the burst both hubs let in at most 500 a second: over the
    // 8 minutes, about 400 × 7 + 500 × 1 minutes' worth each.
    for hub in ["telemetry-hub", "clicks-hub"] {
        let let_in = metric(&report, hub, "arrived") - metric(&report, hub, "dropped");
        assert!((190_000.0..202_000.0).contains(&let_in), "{hub}: {let_in}");
    }
    // The stream job crashed 7 s after a checkpoint: its group reads about
    // 7 s × 400 records again, and the dashboard gets each twice.
    let again = metric(&report, "telemetry-hub", "groups.stream-job.redelivered");
    assert!((2_400.0..3_200.0).contains(&again), "read again {again}");
    assert_eq!(metric(&report, "dashboard", "duplicates"), again);
    assert_eq!(
        metric(&report, "clicks-hub", "groups.click-job.redelivered"),
        0.0
    );
    assert_eq!(
        verdicts(&report),
        [
            ("No clicks dropped", &Verdict::Violated),
            ("No readings twice", &Verdict::Violated)
        ]
    );
    assert!(report.conservation.balanced());
    // The insights say why the clicks were dropped, and what would take
    // the load: throughput units.
    let sentences: Vec<&str> = report
        .insights
        .as_deref()
        .expect("insights")
        .iter()
        .filter(|i| i.node == "clicks-hub")
        .map(|i| i.sentence.as_str())
        .collect();
    assert!(
        sentences
            .iter()
            .any(|s| s.contains("turned the sends away beyond its throughput units")),
        "{sentences:#?}"
    );
    assert!(
        sentences
            .iter()
            .any(|s| s.contains("2 throughput units would bring it to ρ = 0.45")),
        "{sentences:#?}"
    );
    // Two throughput units take the burst: neither lane throttles.
    let doubled = model(text)
        .with_variant("Two throughput units")
        .expect("the variant");
    let report = run_replications(&doubled).expect("runs");
    for hub in ["telemetry-hub", "clicks-hub"] {
        assert_eq!(metric(&report, hub, "throttled"), 0.0, "{hub}");
    }
    assert_eq!(metric(&report, "clicks-hub", "dropped"), 0.0);
}

#[test]
fn pubsub_push_spends_delivery_attempts_where_pull_only_waits() {
    let text = include_str!("../../examples/pubsub-push-vs-pull.ron");
    let report = run_replications(&model(text)).expect("runs");
    // Billing's busy endpoint refuses pushes through the burst, and each
    // refusal comes back as a retry or, the fifth, goes to the
    // dead-letter topic (nothing else fails here).
    let refused = metric(&report, "billing-sub", "push_refused");
    assert!(refused > 500.0, "refused {refused}");
    let back =
        metric(&report, "billing-sub", "retries") + metric(&report, "billing-sub", "dead_lettered");
    assert!(
        (back - refused).abs() < 1e-9,
        "{back} back, {refused} refused"
    );
    // A few orders were refused five times: dead-lettered unprocessed.
    assert!(metric(&report, "billing-dead", "arrived") > 0.0);
    // The insight says why: refused pushes.
    let sentences: Vec<&str> = report
        .insights
        .as_deref()
        .expect("insights")
        .iter()
        .filter(|i| i.node == "billing-sub")
        .map(|i| i.sentence.as_str())
        .collect();
    assert!(
        sentences
            .iter()
            .any(|s| s.contains("each refusal was a delivery attempt")),
        "{sentences:#?}"
    );
    // Shipping's workers pull: no refusals, no dead letters.
    assert!(
        report
            .nodes
            .iter()
            .find(|n| n.id == "shipping-sub")
            .and_then(|n| n.get("push_refused"))
            .is_none()
    );
    assert_eq!(metric(&report, "shipping-dead", "arrived"), 0.0);
    // The halved push window drains billing's backlog later.
    let (invoice, parcel) = (
        metric(&report, "invoices", "end_to_end_s.mean"),
        metric(&report, "parcels", "end_to_end_s.mean"),
    );
    assert!(
        invoice > 1.5 * parcel,
        "invoice {invoice} s, parcel {parcel} s"
    );
    assert!(report.conservation.balanced());
    // Billing pulling keeps pace with shipping and dead-letters nothing.
    let pulled = model(text)
        .with_variant("Billing pulls")
        .expect("the variant");
    let report = run_replications(&pulled).expect("runs");
    assert_eq!(metric(&report, "billing-dead", "arrived"), 0.0);
    let (invoice, parcel) = (
        metric(&report, "invoices", "end_to_end_s.mean"),
        metric(&report, "parcels", "end_to_end_s.mean"),
    );
    assert!(
        invoice < 1.3 * parcel,
        "invoice {invoice} s, parcel {parcel} s"
    );
}

#[test]
fn an_outbox_keeps_the_order_service_taking_orders_through_a_broker_outage() {
    let text = include_str!("../../examples/outbox-broker-outage.ron");
    let report = run_replications(&model(text)).expect("runs");
    // The service never waits for the broker, so the checkout never does.
    assert_eq!(metric(&report, "order-service", "blocked_fraction"), 0.0);
    assert_eq!(metric(&report, "checkout", "blocked_fraction"), 0.0);
    // The orders of the 30 s outage, at 40/s, wait in the outbox.
    let max = metric(&report, "order-service", "outbox_max");
    assert!((1_100.0..=1_400.0).contains(&max), "outbox_max {max}");
    let waited = metric(&report, "order-service", "outbox_wait_s.max");
    assert!((29.5..=31.0).contains(&waited), "waited {waited}");
    // The crash during the outage loses nothing and publishes nothing twice.
    assert_eq!(report.conservation.dropped + report.conservation.lost, 0);
    assert_eq!(metric(&report, "shipped", "duplicates"), 0.0);
    assert!(report.conservation.balanced());

    // Sending directly, the service's slots hold finished orders through
    // the outage, the orders queue fills and the checkout is held back.
    let dual = model(text).with_variant("Dual write").expect("the variant");
    let report = run_replications(&dual).expect("runs");
    assert!(metric(&report, "order-service", "blocked_fraction") > 0.05);
    assert_eq!(metric(&report, "orders", "max_depth"), 400.0);
    let held = metric(&report, "checkout", "blocked_fraction");
    assert!((0.05..=0.12).contains(&held), "held back {held}");
    // The crash loses the finished orders its four instances held.
    assert_eq!(metric(&report, "order-service", "drops.crashed"), 4.0);
    assert!(report.conservation.balanced());
}

#[test]
fn a_lagging_reader_dead_letters_a_new_schema_version_until_its_upgrade() {
    let text = include_str!("../../examples/schema-rollout.ron");
    let report = run_replications(&model(text)).expect("runs");
    // v2 orders between the rollout's start (1 m) and the upgrade (3 m):
    // 30/s × (30 s of the ramp's average share + 60 s) = 2,700.
    let rejected = metric(&report, "analytics", "version_rejected");
    assert!(
        (2_500.0..=2_900.0).contains(&rejected),
        "rejected {rejected}"
    );
    assert_eq!(metric(&report, "analytics-dlq", "arrived"), rejected);
    // Billing reads v2 and upcasts the v1 orders: the first minute's and
    // half the ramp's.
    let upcast = metric(&report, "billing", "upcast");
    assert!((2_500.0..=2_900.0).contains(&upcast), "upcast {upcast}");
    assert_eq!(metric(&report, "billing", "version_rejected"), 0.0);
    // The insight names the versions, not failures.
    let insights = report.insights.as_deref().expect("insights");
    assert!(
        insights.iter().any(
            |i| i.node == "analytics" && i.sentence.contains("schema version it does not read")
        ),
        "{insights:#?}"
    );
    assert!(report.conservation.balanced());
    // Upgraded before the rollout, analytics rejects nothing.
    let early = model(text)
        .with_variant("Analytics upgraded first")
        .expect("the variant");
    let report = run_replications(&early).expect("runs");
    assert_eq!(metric(&report, "analytics", "version_rejected"), 0.0);
    assert_eq!(metric(&report, "analytics-dlq", "arrived"), 0.0);
}

#[test]
fn broker_failover_loses_with_acks_1_and_refuses_writes_with_acks_all() {
    let report =
        run_replications(&model(include_str!("../../examples/broker-failover.ron"))).expect("runs");
    let (one, all) = ("orders-acks-1", "orders-acks-all");
    // Four crashes each, and another replica always up: four elections.
    for log in [one, all] {
        assert_eq!(metric(&report, log, "failovers"), 4.0, "{log}");
        // Unavailable for the 4 s election of each, not the crashes' length.
        let rto = metric(&report, log, "rto_s");
        assert!((rto - 4.0).abs() < 1e-6, "{log} rto {rto}");
    }
    // acks=1 loses the writes the leader had not replicated at each crash.
    let lost = metric(&report, one, "lost");
    assert!(lost > 10.0, "acks=1 lost {lost}");
    assert_eq!(metric(&report, one, "writes_refused_fraction"), 0.0);
    assert!(metric(&report, one, "rpo_s") > 0.01);
    // acks=all loses nothing, and refuses writes while two replicas are
    // down (5m20s to 5m45s of the 10 minutes).
    assert_eq!(metric(&report, all, "lost"), 0.0);
    let refused = metric(&report, all, "writes_refused_fraction");
    assert!((refused - 25.0 / 600.0).abs() < 1e-6, "refused {refused}");
    assert!(metric(&report, "checkout-all", "blocked_fraction") > 0.04);
    // Those are all the run's losses: the conservation counts them as lost,
    // summed over the 10 replications.
    #[expect(clippy::cast_precision_loss, reason = "test counts")]
    let total = report.conservation.lost as f64;
    assert!(
        (total - 10.0 * lost).abs() < 0.5,
        "{total} against {lost} × 10"
    );
    let verdicts = verdicts(&report);
    assert_eq!(
        verdicts,
        [
            ("No order lost (acks=1)", &Verdict::Violated),
            ("No order lost (acks=all)", &Verdict::Met)
        ]
    );
}

#[test]
fn flaky_workers_lose_only_what_is_pushed_while_down() {
    let report =
        run_replications(&model(include_str!("../../examples/flaky-workers.ron"))).expect("runs");
    // Both workers fail at random, about 300 / 330 of the time up.
    for worker in ["order-worker", "payment-worker"] {
        let availability = metric(&report, worker, "availability");
        assert!(
            (0.8..0.98).contains(&availability),
            "{worker} up {availability}"
        );
        assert!(metric(&report, worker, "outages") >= 3.0);
    }
    // Behind the queue nothing is lost; orders wait out the outages.
    for node in ["orders", "order-queue", "order-worker"] {
        assert_eq!(metric(&report, node, "dropped"), 0.0, "{node}");
    }
    assert!(metric(&report, "order-worker", "end_to_end_s.max") > 10.0);
    // Pushed payments are lost while their worker is down: the share lost
    // is the share of time down.
    let lost = metric(&report, "payment-worker", "drops.node_down")
        / metric(&report, "payments", "arrived");
    let down = 1.0 - metric(&report, "payment-worker", "availability");
    assert!(
        (lost - down).abs() < 0.01,
        "lost {lost} of the payments, down {down} of the time"
    );
    let verdicts = verdicts(&report);
    assert_eq!(
        verdicts,
        [
            ("No order lost", &Verdict::Met),
            ("At most 1 % of payments lost", &Verdict::Violated)
        ]
    );
}

#[test]
fn content_routing_divides_the_load() {
    let report =
        run_replications(&model(include_str!("../../examples/content-routing.ron"))).expect("runs");
    let refunds = metric(&report, "refunds", "arrived");
    let old = metric(&report, "old-cluster", "arrived");
    let new = metric(&report, "new-cluster", "arrived");
    let total = refunds + old + new;
    assert!(
        (refunds / total - 0.1).abs() < 0.01,
        "refund share {}",
        refunds / total
    );
    assert!(
        (new / (old + new) - 0.75).abs() < 0.015,
        "new cluster share {}",
        new / (old + new)
    );
    assert_eq!(report.conservation.dropped, 0);
}

#[test]
fn pubsub_filter_and_fan_out() {
    let report =
        run_replications(&model(include_str!("../../examples/pubsub-fanout.ron"))).expect("runs");
    let billing = metric(&report, "billing", "arrived");
    let shipping = metric(&report, "shipping", "arrived");
    // Shipping subscribes to OrderPlaced only: 4 of every 5 events.
    assert!(
        (shipping / billing - 0.8).abs() < 0.02,
        "shipping/billing {}",
        shipping / billing
    );
}

#[test]
fn retries_add_load_and_few_reach_the_dead_letter_queue() {
    let report = run_replications(&model(include_str!(
        "../../examples/retries-dead-letter.ron"
    )))
    .expect("runs");
    let produced = metric(&report, "checkout", "departed");
    let attempts = metric(&report, "payments", "arrived");
    // Attempts per payment: 1 + 0.2 + 0.04 + 0.008 = 1.248.
    assert!(
        (attempts / produced - 1.248).abs() < 0.02,
        "attempts per payment {}",
        attempts / produced
    );
    let dead = metric(&report, "payments-dlq", "dead_lettered");
    // 0.2⁴ = 0.16% of payments.
    assert!(
        (dead / produced - 0.0016).abs() < 0.0008,
        "dead-lettered share {}",
        dead / produced
    );
}

#[test]
fn autoscaling_oscillates_with_slow_startup_and_short_cooldowns() {
    let report = run_replications(&model(include_str!(
        "../../examples/autoscaling-oscillation.ron"
    )))
    .expect("runs");
    let outs = metric(&report, "workers", "scale_outs");
    let ins = metric(&report, "workers", "scale_ins");
    assert!(
        outs >= 5.0 && ins >= 5.0,
        "scale-outs {outs}, scale-ins {ins}: no oscillation"
    );
    assert!(metric(&report, "workers", "max_instances") >= 6.0);
    assert_eq!(report.conservation.dropped, 0);
}

#[test]
fn a_circuit_breaker_spares_a_dependency_that_is_down() {
    let report =
        run_replications(&model(include_str!("../../examples/circuit-breaker.ron"))).expect("runs");
    let unguarded = metric(&report, "provider-a", "arrived");
    let guarded = metric(&report, "provider-b", "arrived");
    // Same traffic, same outage: the breaker keeps thousands of calls off
    // the dead provider.
    assert!(
        unguarded - guarded > 1_000.0,
        "provider A {unguarded} calls, B {guarded}"
    );
    assert!(metric(&report, "worker-b", "fast_failed") > 500.0);
    assert!(metric(&report, "worker-b", "breaker_opens") >= 1.0);
    assert!(metric(&report, "worker-b", "breaker_open_fraction") > 0.1);
    assert!(report.conservation.balanced());
}

#[test]
fn serverless_bursts_start_cold_and_throttle() {
    let report = run_replications(&model(include_str!(
        "../../examples/serverless-cold-starts.ron"
    )))
    .expect("runs");
    let cold = metric(&report, "resize", "cold_starts");
    // Four bursts: each needs about 25 new instances after the keep-alive
    // has emptied the pool.
    assert!(cold >= 60.0, "cold starts {cold}");
    assert!(metric(&report, "resize", "throttled") > 100.0);
    assert_eq!(metric(&report, "resize", "max_instances"), 25.0);
    // Cold starts show in the tail.
    assert!(metric(&report, "bucket", "end_to_end_s.p99") > 0.8);
    assert!(report.conservation.balanced());
}

#[test]
fn immediate_retries_storm_a_failing_service_and_lose_more() {
    let report =
        run_replications(&model(include_str!("../../examples/retry-storm.ron"))).expect("runs");
    let failed_a = metric(&report, "inventory-a", "failed_calls");
    let failed_b = metric(&report, "inventory-b", "failed_calls");
    assert!(
        failed_a > failed_b + 2_000.0,
        "failed calls: immediate {failed_a}, backoff {failed_b}"
    );
    // 30 s × 50/s orders meet the outage: immediate retries lose them all.
    let dead_a = metric(&report, "dlq-a", "dead_lettered");
    let dead_b = metric(&report, "dlq-b", "dead_lettered");
    assert!(
        (1_300.0..1_700.0).contains(&dead_a),
        "immediate retries dead-lettered {dead_a}"
    );
    assert!(
        dead_b < dead_a / 2.0,
        "backoff dead-lettered {dead_b} of {dead_a}"
    );
}

#[test]
fn kafka_consumer_lag_grows_drains_blocks_one_partition_and_idles_extra_instances() {
    let report = run_replications(&model(include_str!(
        "../../examples/kafka-consumer-lag.ron"
    )))
    .expect("runs");
    let lag = |path: &str| metric(&report, "orders-log", path);
    // The burst (1.5 × 80/s against 100/s for 30 s) builds hundreds of
    // messages of lag; by the end the group has caught up.
    assert!(
        lag("groups.billing.lag.max") > 400.0,
        "{}",
        lag("groups.billing.lag.max")
    );
    assert!(
        lag("groups.billing.lag.current") < 60.0,
        "{}",
        lag("groups.billing.lag.current")
    );
    assert!(lag("groups.billing.lag.mean") < 0.25 * lag("groups.billing.lag.max"));
    // The malformed order (key 0) blocks its own partition for 3 retries
    // × 5 s; the other partitions never wait that long.
    let bad = sim_core::nodes::log::partition_for_key(0, 4);
    for p in 0..4 {
        let waited = lag(&format!("groups.billing.partitions.{p}.lag_s.max"));
        if p == bad {
            assert!(waited >= 15.0, "the poisoned partition waited {waited} s");
        } else {
            assert!(waited < 12.0, "partition {p} waited {waited} s");
        }
    }
    assert_eq!(metric(&report, "billing", "retries"), 3.0);
    assert_eq!(metric(&report, "billing-dlq", "dead_lettered"), 1.0);
    // Six analytics instances for four partitions: two idle, and the
    // group never lags.
    assert_eq!(lag("groups.analytics.idle_members"), 2.0);
    assert!(lag("groups.analytics.lag.max") < 50.0);
    // Both groups read everything; the records stay for the retention.
    let emitted = report.conservation.emitted as f64;
    assert!(emitted - metric(&report, "analytics", "completed") < 10.0);
    assert!(emitted - metric(&report, "billing", "completed") - 1.0 < 60.0);
    assert!(report.conservation.balanced());
}

#[test]
fn simple_event_processing_turns_each_event_into_one_action() {
    let report = run_replications(&model(include_str!(
        "../../examples/simple-event-processing.ron"
    )))
    .expect("runs");
    let c = report.conservation;
    assert_eq!(c.dropped, 0);
    assert_eq!(c.fanout_copies + c.derived, 0, "no event makes more");
    let actions = metric(&report, "siren", "completed") + metric(&report, "heating", "completed");
    assert_eq!(actions as u64 + c.in_flight, c.emitted);
    // Door openings are a fifth of the events.
    let share = metric(&report, "siren", "completed") / actions;
    assert!((share - 0.2).abs() < 0.02, "share {share}");
}

#[test]
fn cep_fraud_detection_raises_alerts_from_both_rules() {
    let report = run_replications(&model(include_str!(
        "../../examples/cep-fraud-detection.ron"
    )))
    .expect("runs");
    let failed = metric(&report, "fraud", "rules.failed_logins.matches");
    let sequence = metric(&report, "fraud", "rules.login_then_withdrawal.matches");
    assert!(failed > 5.0, "failed-login alerts {failed}");
    assert!(sequence > 50.0, "login-then-withdrawal alerts {sequence}");
    // Every match is one alert at the fraud desk; the activity itself is
    // consumed by the CEP node.
    assert_eq!(
        metric(&report, "fraud-desk", "completed"),
        failed + sequence
    );
    assert_eq!(
        metric(&report, "fraud", "completed"),
        metric(&report, "ledger", "completed")
    );
    assert_eq!(report.conservation.derived as f64, failed + sequence);
    // Alerts go out the moment the pattern completes.
    assert_eq!(
        metric(
            &report,
            "fraud",
            "rules.login_then_withdrawal.result_delay_s.max"
        ),
        0.0
    );
    // State only for cards with an open window: far fewer than 1 000.
    assert!(metric(&report, "fraud", "max_active_keys") < 600.0);
    assert!(report.conservation.balanced());
}

#[test]
fn event_sourcing_shows_staleness_conflicts_and_a_replay() {
    let m = model(include_str!("../../examples/event-sourcing-cqrs.ron"));
    let report = run_replications(&m).expect("runs");
    let appended = metric(&report, "event-store", "appended");
    let attempts = metric(&report, "event-store", "append_attempts");
    assert!(
        (attempts / appended - 1.0 / 0.9).abs() < 0.02,
        "{attempts} attempts for {appended} appends"
    );
    // The replay sent the stored log to both views.
    let replayed = metric(&report, "orders-view", "replayed");
    assert!(replayed > 5_000.0, "replayed {replayed}");
    assert_eq!(metric(&report, "reporting-view", "replayed"), replayed);
    // The slower read model is staler.
    let fast = metric(&report, "orders-view", "staleness_s.p99");
    let slow = metric(&report, "reporting-view", "staleness_s.p99");
    assert!(slow > 10.0 * fast, "p99 {slow} vs {fast}");
    assert!(report.conservation.balanced());
    // Each phenomenon alone: the replay, then the burst, each raises the
    // reporting view's p99 staleness over the run without either.
    let variant = |replay: bool, burst: bool| {
        let mut v = m.clone();
        if !burst {
            v.scenario.faults.clear();
        }
        if !replay {
            let store = v.find("event-store").expect("the store");
            if let sim_core::nodes::NodeKind::EventStore(s) = &mut v.graph[store].kind {
                s.replay = None;
            }
        }
        let r = run_replications(&v).expect("runs");
        assert!(r.conservation.balanced());
        metric(&r, "reporting-view", "staleness_s.p99")
    };
    let calm = variant(false, false);
    let replay = variant(true, false);
    let burst = variant(false, true);
    assert!(
        replay > 10.0 * calm,
        "p99 with the replay {replay}, without {calm}"
    );
    assert!(
        burst > 5.0 * calm,
        "p99 with the burst {burst}, without {calm}"
    );
}
