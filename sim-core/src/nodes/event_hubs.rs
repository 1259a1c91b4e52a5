//! Event Hubs: a log with Azure Event Hubs' ingress limit.
//!
//! A namespace buys throughput units. Each unit lets in up to 1,000
//! events per second or 1 MB (10⁶ bytes) per second, whichever comes
//! first, so with events of `event_bytes` bytes a hub takes at most
//! `throughput_units × min(1000, 10⁶ / event_bytes)` events per second.
//! Beyond that Event Hubs throttles its senders (`ServerBusy`). The limit
//! is kept as a generic cell rate: a send is let in while the hub is no
//! more than one second's worth of events ahead of its rate, so a quiet
//! hub takes a burst of up to one second's quota at once, and over any
//! long stretch no more than the rate.
//!
//! What a throttled sender does is the hub's `on_throttle`: `Wait` holds
//! the event until the hub lets it in (backpressure, as a client retrying
//! until it gets through), `Error` fails the send, counted as dropped with
//! reason `throttled` at the hub. A send that crosses a link with latency
//! is judged when it reaches the hub: with `Wait`, one already on its way
//! is let in and its cost is carried over to the next sends.
//!
//! The standard tier's other limits are checked: 1 to 40 throughput
//! units, 32 partitions, 7 days of retention, 20 consumer groups, events
//! of at most 1 MB. Egress (2 MB/s per unit) is not limited.

use serde::{Deserialize, Serialize};

use crate::time::{Duration, NANOS_PER_SEC, SimTime};

/// Events per second one throughput unit lets in.
pub const EVENTS_PER_UNIT: f64 = 1_000.0;
/// Bytes per second one throughput unit lets in (1 MB).
pub const BYTES_PER_UNIT: f64 = 1_000_000.0;
/// The standard tier's most throughput units per namespace.
pub const MAX_THROUGHPUT_UNITS: u32 = 40;
/// The standard tier's most partitions per hub.
pub const MAX_PARTITIONS: u32 = 32;
/// The standard tier's longest retention.
pub const MAX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The standard tier's most consumer groups per hub.
pub const MAX_CONSUMER_GROUPS: usize = 20;
/// The largest event the standard tier takes, in bytes.
pub const MAX_EVENT_BYTES: u32 = 1_000_000;
/// The event size assumed when none is given: 1 KB.
pub const DEFAULT_EVENT_BYTES: u32 = 1_000;

/// Azure Event Hubs' ingress limit on a log.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventHubs {
    /// Throughput units bought for the hub's namespace.
    pub throughput_units: u32,
    /// The mean size of an event, in bytes: with large events the 1 MB/s
    /// of a unit runs out before its 1,000 events/s.
    #[serde(
        default = "default_event_bytes",
        skip_serializing_if = "is_default_event_bytes"
    )]
    pub event_bytes: u32,
    /// What a throttled sender does.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub on_throttle: OnThrottle,
}

const fn default_event_bytes() -> u32 {
    DEFAULT_EVENT_BYTES
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_default_event_bytes(v: &u32) -> bool {
    *v == DEFAULT_EVENT_BYTES
}

impl Default for EventHubs {
    fn default() -> Self {
        Self {
            throughput_units: 1,
            event_bytes: DEFAULT_EVENT_BYTES,
            on_throttle: OnThrottle::Wait,
        }
    }
}

/// What a sender does when Event Hubs throttles it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnThrottle {
    /// It waits until the hub lets the event in: backpressure.
    #[default]
    Wait,
    /// The send fails: the event is dropped, reason `throttled`.
    Error,
}

impl EventHubs {
    /// The events per second the hub lets in.
    pub fn events_per_s(self) -> f64 {
        let by_size = BYTES_PER_UNIT / f64::from(self.event_bytes.max(1));
        f64::from(self.throughput_units) * EVENTS_PER_UNIT.min(by_size)
    }

    /// Whether the bytes, not the events, run out first.
    pub fn bytes_bound(self) -> bool {
        BYTES_PER_UNIT / f64::from(self.event_bytes.max(1)) < EVENTS_PER_UNIT
    }

    /// The card's and summary's words: "Event Hubs · 2 TU · 2000 events/s".
    pub fn summary(self) -> String {
        let per_s = self.events_per_s();
        let rate = if per_s >= 100.0 || per_s.fract() == 0.0 {
            format!("{per_s:.0}")
        } else {
            format!("{per_s:.1}")
        };
        format!(
            "Event Hubs · {} TU · {rate} events/s{}",
            self.throughput_units,
            match self.on_throttle {
                OnThrottle::Wait => "",
                OnThrottle::Error => ", throttled sends fail",
            }
        )
    }

    /// What is wrong with these values, as sentences.
    pub fn problems(self, out: &mut Vec<String>) {
        if self.throughput_units == 0 {
            out.push("Event Hubs needs at least 1 throughput unit".to_owned());
        }
        if self.throughput_units > MAX_THROUGHPUT_UNITS {
            out.push(format!(
                "Event Hubs' standard tier has at most {MAX_THROUGHPUT_UNITS} throughput units (found {})",
                self.throughput_units
            ));
        }
        if self.event_bytes == 0 {
            out.push("an event needs a size of at least 1 byte".to_owned());
        }
        if self.event_bytes > MAX_EVENT_BYTES {
            out.push(format!(
                "Event Hubs takes events of at most {MAX_EVENT_BYTES} bytes (found {})",
                self.event_bytes
            ));
        }
    }

    /// The limits the standard tier sets on the rest of the log.
    pub fn log_problems(partitions: u32, retention: Duration, out: &mut Vec<String>) {
        if partitions > MAX_PARTITIONS {
            out.push(format!(
                "Event Hubs' standard tier has at most {MAX_PARTITIONS} partitions per hub (found {partitions})"
            ));
        }
        if retention > MAX_RETENTION {
            out.push(format!(
                "Event Hubs' standard tier keeps events at most {MAX_RETENTION} (found a retention of {retention})"
            ));
        }
    }
}

/// A hub's ingress limit during a run: a generic cell rate, in whole
/// nanoseconds so that runs repeat exactly.
#[derive(Clone, Debug)]
pub(crate) struct Throttle {
    /// Nanoseconds of quota one event takes.
    interval: u64,
    /// How far ahead of the clock the quota may run: one second's worth.
    tolerance: u64,
    /// When the quota taken so far is paid off.
    paid_at: u64,
    pub wait: bool,
    /// A wake-up for waiting senders is on the calendar.
    pub wake_pending: bool,
    /// When a send was last refused.
    pub last_refused: Option<SimTime>,
}

impl Throttle {
    pub fn new(hubs: EventHubs) -> Self {
        let per_s = hubs.events_per_s().max(1e-9);
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            clippy::cast_precision_loss,
            reason = "a positive interval in nanoseconds"
        )]
        let interval = ((NANOS_PER_SEC as f64 / per_s).round() as u64).max(1);
        // One second's quota, rounded down to whole events.
        let tolerance = (NANOS_PER_SEC / interval).saturating_sub(1) * interval;
        Self {
            interval,
            tolerance,
            paid_at: 0,
            wait: hubs.on_throttle == OnThrottle::Wait,
            wake_pending: false,
            last_refused: None,
        }
    }

    /// New throughput units, event size or reaction to throttling, from
    /// now on: the quota already taken stays taken.
    pub fn retune(&mut self, hubs: EventHubs) {
        let fresh = Self::new(hubs);
        self.interval = fresh.interval;
        self.tolerance = fresh.tolerance;
        self.wait = fresh.wait;
    }

    /// Whether a send at `now` would be let in.
    #[inline]
    pub fn admits(&self, now: SimTime) -> bool {
        self.paid_at <= now.as_nanos() + self.tolerance
    }

    /// An event is let in at `now`: its quota is taken (from the future,
    /// for one that was on its way when the quota ran out).
    pub fn take(&mut self, now: SimTime) {
        self.paid_at = self.paid_at.max(now.as_nanos()) + self.interval;
    }

    /// When the next send will be let in.
    pub fn next_admit(&self) -> SimTime {
        SimTime::from_nanos(self.paid_at.saturating_sub(self.tolerance))
    }

    /// Notes a send refused at `now`.
    pub fn refuse(&mut self, now: SimTime) {
        self.last_refused = Some(now);
    }

    /// Whether the hub is throttling at `now`: it refused a send within
    /// the last second (a hub that fails sends may have let the last one
    /// in: its quota runs out again with the next).
    pub fn throttling(&self, now: SimTime) -> bool {
        self.last_refused
            .is_some_and(|at| now.as_nanos().saturating_sub(at.as_nanos()) < NANOS_PER_SEC)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_unit_lets_in_the_events_or_the_bytes_whichever_run_out_first() {
        let small = EventHubs {
            throughput_units: 2,
            event_bytes: 500,
            on_throttle: OnThrottle::Wait,
        };
        assert!((small.events_per_s() - 2_000.0).abs() < 1e-9);
        assert!(!small.bytes_bound());
        let large = EventHubs {
            event_bytes: 4_000,
            ..small
        };
        assert!((large.events_per_s() - 500.0).abs() < 1e-9);
        assert!(large.bytes_bound());
        assert_eq!(large.summary(), "Event Hubs · 2 TU · 500 events/s");
    }

    #[test]
    fn the_cell_rate_takes_a_second_of_quota_at_once_then_the_rate() {
        let hubs = EventHubs {
            throughput_units: 1,
            event_bytes: 100_000,
            on_throttle: OnThrottle::Wait,
        };
        // 10 events/s: 100 ms each.
        let mut t = Throttle::new(hubs);
        let now = SimTime::from_nanos(5 * NANOS_PER_SEC);
        let mut burst = 0;
        while t.admits(now) {
            t.take(now);
            burst += 1;
        }
        assert_eq!(burst, 10, "one second's quota at once");
        let next = t.next_admit();
        assert_eq!(next.as_nanos() - now.as_nanos(), 100_000_000);
        assert!(t.admits(next));
        assert!(!t.admits(SimTime::from_nanos(next.as_nanos() - 1)));
        // Over a long stretch, the rate: 10 per second.
        let mut at = next;
        let mut taken = 0;
        let end = at.as_nanos() + 60 * NANOS_PER_SEC;
        while at.as_nanos() < end {
            if t.admits(at) {
                t.take(at);
                taken += 1;
            }
            at = SimTime::from_nanos(at.as_nanos() + 7_000_000);
        }
        assert!((598..=601).contains(&taken), "{taken}");
    }

    #[test]
    fn refuses_values_beyond_the_standard_tier() {
        let mut out = Vec::new();
        EventHubs {
            throughput_units: 41,
            event_bytes: 2_000_000,
            on_throttle: OnThrottle::Error,
        }
        .problems(&mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        let mut out = Vec::new();
        EventHubs::log_problems(33, Duration::from_secs(8 * 24 * 3600), &mut out);
        assert_eq!(out.len(), 2, "{out:?}");
        assert!(out[1].contains("168h"), "{out:?}");
    }

    fn run(text: &str) -> crate::RunResult {
        let (model, _) = crate::model::file::from_str(text).expect("loads");
        crate::run_once(&model, 7).expect("runs")
    }

    fn get(r: &crate::RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    /// 300 events/s against 1 unit of 5 KB events (200 events/s).
    fn throttled(on_throttle: &str) -> String {
        format!(
            r#"(
                version: 1,
                name: "hub",
                scenario: (duration: "100s"),
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 300.0), keys: 100)),
                    (id: "hub", kind: Log(partitions: 4, event_hubs: (throughput_units: 1, event_bytes: 5000, on_throttle: {on_throttle}))),
                    (id: "c", kind: Consumer(instances: 4, service: Constant("1ms"))),
                    (id: "s", kind: Sink()),
                ],
                edges: [(from: "p", to: "hub"), (from: "hub", to: "c"), (from: "c", to: "s")],
            )"#
        )
    }

    #[test]
    fn waiting_senders_are_held_to_the_units_rate() {
        let r = run(&throttled("Wait"));
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        let appended = get(&r, "hub", "arrived");
        // At most one second's quota beyond the rate.
        assert!(
            (19_900.0..=20_200.0).contains(&appended),
            "{appended} appended in 100 s at 200/s"
        );
        assert!(get(&r, "hub", "throttled") > 0.0);
        assert_eq!(get(&r, "hub", "dropped"), 0.0, "waiting loses nothing");
        // It creates its next event only once the last is let in: held a
        // third of the time or so (5 ms a slot, 3.3 ms between events).
        let blocked = get(&r, "p", "blocked_fraction");
        assert!(
            (0.2..0.6).contains(&blocked),
            "backpressure reaches the producer: {blocked}"
        );
        let line = r
            .series
            .node("hub")
            .and_then(|n| n.values(crate::series::Metric::Throttled));
        assert!(line.is_some_and(|v| v.iter().any(|x| x > 0.0)), "charted");
    }

    #[test]
    fn failing_senders_lose_what_the_units_do_not_let_in() {
        let r = run(&throttled("Error"));
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        let (arrived, throttled) = (get(&r, "hub", "arrived"), get(&r, "hub", "throttled"));
        assert_eq!(get(&r, "hub", "drops.throttled"), throttled);
        let let_in = arrived - throttled;
        assert!((19_900.0..=20_200.0).contains(&let_in), "{let_in} let in");
        assert!(
            arrived > 29_000.0,
            "the producer is not held back: {arrived}"
        );
        assert_eq!(get(&r, "s", "completed"), let_in);
    }

    #[test]
    fn below_its_units_a_hub_throttles_nothing_and_changes_nothing() {
        let text = throttled("Wait").replace("rate: 300.0", "rate: 100.0");
        let plain = text.replace(
            ", event_hubs: (throughput_units: 1, event_bytes: 5000, on_throttle: Wait)",
            "",
        );
        assert_ne!(text, plain);
        let (a, b) = (run(&text), run(&plain));
        assert_eq!(get(&a, "hub", "throttled"), 0.0);
        assert_eq!(
            get(&a, "s", "end_to_end_s.mean"),
            get(&b, "s", "end_to_end_s.mean"),
            "an unused limit changes no number"
        );
        assert_eq!(a.conservation, b.conservation);
    }

    /// 20 events/s into a hub whose group checkpoints every 10 s; its
    /// consumer crashes at 55 s for 2 s.
    fn checkpointed(checkpoint: &str, delivery: &str) -> String {
        format!(
            r#"(
                version: 1,
                name: "checkpoints",
                scenario: (duration: "120s", faults: [(at: "55s", duration: "2s", node: "c", effect: Crash)]),
                nodes: [
                    (id: "p", kind: Producer(arrival: Constant(rate: 20.0), keys: 10)),
                    (id: "hub", kind: Log(partitions: 2, rebalance_pause: "0s"{checkpoint})),
                    (id: "c", kind: Consumer(instances: 2, service: Constant("1ms"), delivery: {delivery})),
                    (id: "s", kind: Sink()),
                ],
                edges: [(from: "p", to: "hub"), (from: "hub", to: "c"), (from: "c", to: "s")],
            )"#
        )
    }

    #[test]
    fn a_crash_reads_again_everything_since_the_last_checkpoint() {
        let r = run(&checkpointed(r#", checkpoint: "10s""#, "AtLeastOnce"));
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        // Done between the checkpoint at 50 s and the crash at 55 s: 5 s
        // at 20/s, read again once the consumer is back.
        let again = get(&r, "hub", "groups.c.redelivered");
        assert!((99.0..=101.0).contains(&again), "{again}");
        assert_eq!(get(&r, "hub", "redelivered"), again);
        assert_eq!(r.conservation.redelivered, again as u64);
        assert_eq!(get(&r, "s", "duplicates"), again, "each completes twice");
        // (the last event, made as the run ends, may be on its way)
        let missing = get(&r, "p", "departed") - (get(&r, "s", "completed") - again);
        assert!((0.0..=1.0).contains(&missing), "{missing} missing");
        // Saving after every record: nothing is read twice.
        let per_record = run(&checkpointed("", "AtLeastOnce"));
        assert_eq!(get(&per_record, "s", "duplicates"), 0.0);
        assert!(per_record.nodes[1].get("groups.c.redelivered").is_none());
    }

    /// Events every 50 ms, 10 ms of work each, a checkpoint at 50 s and a
    /// crash at 55.005 s, while the event of 55.000 s is in service: the
    /// group reads again the 100 events it finished since the checkpoint
    /// (50.000 s to 54.950 s), in order, and then the one it was working
    /// on, which is no duplicate: it had not finished it.
    #[test]
    fn the_replay_reads_again_exactly_what_was_done_since_the_checkpoint() {
        let text = checkpointed(r#", checkpoint: "10s""#, "AtLeastOnce")
            .replace(r#"at: "55s""#, r#"at: "55005ms""#)
            .replace(r#"Constant("1ms")"#, r#"Constant("10ms")"#);
        let r = run(&text);
        assert_eq!(get(&r, "hub", "groups.c.redelivered"), 100.0);
        assert_eq!(get(&r, "s", "duplicates"), 100.0);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    #[test]
    fn an_idempotent_consumer_discards_what_it_reads_again() {
        let r = run(&checkpointed(r#", checkpoint: "10s""#, "ExactlyOnce"));
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        let again = get(&r, "hub", "groups.c.redelivered");
        assert!(again > 90.0, "{again}");
        assert_eq!(get(&r, "c", "drops.duplicate"), again);
        assert_eq!(get(&r, "s", "duplicates"), 0.0);
    }

    /// Failures retried during a replay, a second crash before the first
    /// replay is over, and a retention that outlasts neither: every copy
    /// ends somewhere, and the identities followed are let go.
    #[test]
    fn crashes_during_a_replay_lose_and_leak_nothing() {
        let text = r#"(
            version: 1,
            name: "replays",
            scenario: (duration: "400s", faults: [
                (at: "35s", duration: "5s", node: "c", effect: Crash),
                (at: "41s", duration: "3s", node: "c", effect: Crash),
                (at: "44500ms", duration: "1s", node: "c", effect: Crash),
            ]),
            nodes: [
                (id: "p", kind: Producer(arrival: Constant(rate: 20.0), keys: 10, limit: 2000)),
                (id: "hub", kind: Log(partitions: 3, retention: "60s", rebalance_pause: "0s", checkpoint: "10s")),
                (id: "c", kind: Consumer(instances: 2, service: Exponential(mean: "20ms"), failure: 0.2,
                    retry: Fixed(delay: "100ms", max_attempts: 3))),
                (id: "s", kind: Sink()),
            ],
            edges: [(from: "p", to: "hub"), (from: "hub", to: "c"), (from: "c", to: "s")],
        )"#;
        let (model, _) = crate::model::file::from_str(text).expect("loads");
        let mut sim = crate::Simulation::new(&model, 7).expect("valid");
        sim.run_until(SimTime::from_nanos(400 * NANOS_PER_SEC))
            .expect("runs");
        assert_eq!(sim.ledger.followed(), 0, "nothing pinned once all is saved");
        let r = run(text);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        assert_eq!(
            r.conservation.in_flight, 0,
            "every copy ended: {:?}",
            r.conservation
        );
        let again = get(&r, "hub", "groups.c.redelivered");
        assert!(again > 100.0, "{again}");
        // Every record reached the sink or was given up on at least once.
        let (done, gave_up) = (
            get(&r, "s", "completed"),
            get(&r, "c", "drops.retries_exhausted"),
        );
        let dup = get(&r, "s", "duplicates");
        assert!(
            done - dup + gave_up >= 2000.0,
            "{done} done, {dup} twice, {gave_up} given up"
        );
    }

    #[test]
    fn a_checkpointed_group_keeps_a_bounded_memory_of_identities() {
        let (model, _) =
            crate::model::file::from_str(&checkpointed(r#", checkpoint: "10s""#, "AtLeastOnce"))
                .expect("loads");
        let mut sim = crate::Simulation::new(&model, 7).expect("valid");
        sim.run_until(SimTime::from_nanos(100 * NANOS_PER_SEC))
            .expect("runs");
        // At most 10 s of records at 20/s are followed, with slack for
        // the crash's replay.
        assert!(sim.ledger.followed() <= 220, "{}", sim.ledger.followed());
    }
}
