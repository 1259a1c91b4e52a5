//! The transactional outbox: a producer or a consumer that writes what it
//! sends into its own database, in the transaction that does its work, and
//! a relay that publishes those rows to the broker.
//!
//! Without an outbox a service writes to its database and then sends to the
//! broker: two writes that can part ways. While the broker is down or full
//! the service waits with its finished work (backpressure holds its slot),
//! and a crash in between loses the message it had done but not yet sent.
//! With `outbox: (poll, batch, publish)`:
//!
//! - the work's message is written to the outbox as the work ends, so the
//!   slot is free at once and the broker's state never holds the service
//!   back;
//! - the relay polls at every multiple of `poll` (a poll that comes while a
//!   batch is still on its way is skipped), takes the oldest `batch` rows,
//!   and publishes them: they reach the broker a draw of `publish` later,
//!   in order. A broker that has no room (or is down) holds the rest of the
//!   batch back, as any sender is held, and the relay polls again once the
//!   batch is through. A relay publishes at most `batch` rows per `poll`;
//! - the rows survive a crash of the service. A batch that was on its way
//!   when the service crashed still reaches the broker, but the relay never
//!   marked it published: it publishes those rows again when it restarts,
//!   and they arrive twice (counted as `outbox_republished`, and as
//!   duplicates where they complete). Rows a crash caught waiting for the
//!   broker's room stay in the outbox, unsent.
//!
//! A message's wait in the outbox, from its write until the broker takes
//! it, is `outbox_wait_s`: half a poll on average plus the publish delay
//! when the relay keeps up.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, MsgId, NodeIx, Simulation};
use crate::journey::HopKind;
use crate::metrics::{DropReason, Latency, Level};
use crate::rng::{Purpose, Stream, stream};
use crate::time::{Duration, SimTime};

/// The shortest poll interval: each poll is an event.
pub const MIN_POLL: Duration = Duration::from_millis(1);
/// The most rows one poll publishes.
pub const MAX_BATCH: u32 = 100_000;

/// A service's transactional outbox and its relay.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Outbox {
    /// How often the relay polls the outbox for unpublished rows.
    pub poll: Duration,
    /// The most rows one poll takes and publishes.
    #[serde(default = "default_batch")]
    pub batch: u32,
    /// How long a batch takes to reach the broker once polled.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub publish: Dist,
}

const fn default_batch() -> u32 {
    100
}

impl Default for Outbox {
    fn default() -> Self {
        Self {
            poll: Duration::from_millis(500),
            batch: default_batch(),
            publish: Dist::Constant(Duration::from_millis(5)),
        }
    }
}

impl Outbox {
    /// Problems with the parameters, as sentences naming the field.
    pub fn problems(&self, out: &mut Vec<String>) {
        if self.poll < MIN_POLL {
            out.push(format!(
                "the outbox's poll interval must be at least {MIN_POLL} (found {})",
                self.poll
            ));
        }
        super::check_durations(&[("the outbox's poll interval", self.poll)], out);
        if self.batch == 0 {
            out.push("the outbox's batch must be at least 1 row".to_owned());
        }
        super::check_at_most("the outbox's batch", self.batch, MAX_BATCH, out);
        for p in self.publish.problems() {
            out.push(format!("the outbox's publish delay: {p}"));
        }
    }

    /// The most rows a second the relay publishes: a batch per poll, or
    /// per as many polls as a mean publish delay spans.
    pub fn capacity_per_s(&self) -> f64 {
        let poll = self.poll.as_secs_f64();
        if poll <= 0.0 {
            return f64::INFINITY;
        }
        let publish = self.publish.mean().as_secs_f64();
        // The relay polls again at the first tick once a batch is through.
        let polls = (publish / poll).ceil().max(1.0);
        f64::from(self.batch) / (poll * polls)
    }

    /// The relay's bound, for insights.
    pub fn limit(&self) -> crate::insights::Limit {
        crate::insights::Limit::Relay {
            batch: self.batch,
            poll: self.poll,
            per_s: self.capacity_per_s(),
        }
    }

    /// The card's short mark: "outbox 100/500ms".
    pub fn mark(&self) -> String {
        format!("outbox {}/{}", self.batch, self.poll)
    }
}

/// An outbox and its relay during a run.
#[derive(Clone, Debug)]
pub(crate) struct OutboxRt {
    poll: u64,
    batch: usize,
    publish: Sampler,
    rng: Stream,
    /// Rows written and not yet polled, oldest first.
    rows: VecDeque<MsgId>,
    /// The polled batch: on its way (`publishing`), or at the broker's door
    /// waiting for room.
    sending: VecDeque<MsgId>,
    publishing: bool,
    /// The batch on its way was sent by a relay that crashed since: it
    /// never marks it published.
    orphaned: bool,
    /// A poll is scheduled.
    poll_due: bool,
    /// The earliest tick of the next poll: one poll per tick.
    next_tick: u64,
    /// Rows unpublished (`rows` and `sending`).
    level: Level,
    /// From the write until the broker took the row.
    wait: Latency,
    written: u64,
    republished: u64,
}

impl OutboxRt {
    pub fn new(params: &Outbox, seed: u64, id: &str) -> Self {
        Self {
            poll: params.poll.as_nanos().max(1),
            batch: params.batch.max(1) as usize,
            publish: params.publish.sampler(),
            rng: stream(seed, id, Purpose::Outbox),
            rows: VecDeque::new(),
            sending: VecDeque::new(),
            publishing: false,
            orphaned: false,
            poll_due: false,
            next_tick: 0,
            level: Level::default(),
            wait: Latency::new(),
            written: 0,
            republished: 0,
        }
    }

    /// New relay settings from now on; the rows and the batch on its way
    /// stay.
    pub fn retune(&mut self, params: &Outbox) {
        self.poll = params.poll.as_nanos().max(1);
        self.batch = params.batch.max(1) as usize;
        self.publish = params.publish.sampler();
    }

    /// Rows not yet published.
    pub fn held(&self) -> u64 {
        (self.rows.len() + self.sending.len()) as u64
    }

    fn note_level(&mut self, now: SimTime) {
        let held = self.held();
        self.level.set(now, held);
    }

    /// Warm-up deletion of the measurements.
    pub fn reset(&mut self, now: SimTime) {
        self.level.reset(now);
        self.wait.clear();
        self.written = 0;
        self.republished = 0;
    }

    /// The report's outbox metrics.
    pub fn report(&self, r: &mut crate::report::Recorder<'_>) {
        let end = r.end;
        r.count("outbox_written", self.written);
        r.level("outbox_mean", "outbox_max", &self.level, end);
        r.latency("outbox_wait_s", &self.wait.summary());
        r.count("outbox_republished", self.republished);
    }
}

impl Simulation {
    /// `node` wrote `msg` to its outbox, in the transaction of its work.
    #[inline(never)]
    pub(crate) fn outbox_write(&mut self, node: NodeIx, msg: MsgId) {
        let now = self.now;
        let m = self.msgs.get_mut(msg);
        m.wait_from = now;
        m.held_by = NodeIx::NONE;
        self.journey_hop(msg, node, HopKind::Wait);
        let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
        ob.rows.push_back(msg);
        ob.written += 1;
        ob.note_level(now);
        self.outbox_arm(node);
    }

    /// Schedules the relay's next poll, if it has rows to take and nothing
    /// on its way.
    fn outbox_arm(&mut self, node: NodeIx) {
        if self.is_down(node) {
            return;
        }
        let now = self.now.as_nanos();
        let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
        if ob.poll_due || ob.publishing || !ob.sending.is_empty() || ob.rows.is_empty() {
            return;
        }
        ob.poll_due = true;
        let tick = now
            .div_ceil(ob.poll)
            .saturating_mul(ob.poll)
            .max(ob.next_tick);
        self.schedule(SimTime(tick), Ev::OutboxPoll(node));
    }

    /// The relay of `node` polls its outbox.
    pub(crate) fn outbox_poll(&mut self, node: NodeIx) {
        let down = self.is_down(node);
        let now = self.now;
        let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
        ob.poll_due = false;
        if down || ob.publishing || !ob.sending.is_empty() || ob.rows.is_empty() {
            // A relay that is down polls again when it restarts.
            return;
        }
        ob.next_tick = now.as_nanos().saturating_add(ob.poll);
        let n = ob.batch.min(ob.rows.len());
        ob.sending.extend(ob.rows.drain(..n));
        ob.publishing = true;
        let delay = ob.publish.sample(&mut ob.rng);
        self.schedule(now + delay, Ev::OutboxSent(node));
    }

    /// The batch of `node`'s relay reaches the broker.
    pub(crate) fn outbox_sent(&mut self, node: NodeIx) {
        self.outboxes[node]
            .as_deref_mut()
            .expect("an outbox")
            .publishing = false;
        self.outbox_flush(node);
    }

    /// Hands the batch at the broker's door on, in order, as far as the
    /// broker takes it; then the relay may poll again.
    pub(crate) fn outbox_flush(&mut self, node: NodeIx) {
        let now = self.now;
        // Where the next row a crashed relay must publish again goes: after
        // those of this batch before it, ahead of the rows written since.
        let mut again_at = 0;
        loop {
            let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
            if ob.publishing {
                return;
            }
            let Some(&msg) = ob.sending.front() else {
                break;
            };
            if ob.orphaned {
                // The relay crashed with this batch on its way: the broker
                // takes a copy, and the row, never marked published, waits
                // to be published again.
                ob.sending.pop_front();
                ob.rows.insert(again_at, msg);
                again_at += 1;
                let copy = self.duplicate(node, msg);
                self.totals.redelivered += 1;
                if self.send_out(node, copy) {
                    self.stats[node].departed += 1;
                    let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
                    ob.republished += 1;
                } else {
                    // The broker had no room: nothing reached it, and the
                    // row is all there is.
                    self.drop_msg(node, copy, DropReason::Duplicate);
                }
                continue;
            }
            let written = self.msgs.get(msg).wait_from;
            if !self.send_out(node, msg) {
                // Held back by a full or down broker: woken when it has room.
                let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
                ob.note_level(now);
                return;
            }
            self.stats[node].departed += 1;
            let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
            ob.sending.pop_front();
            ob.wait.record(now - written);
        }
        let ob = self.outboxes[node].as_deref_mut().expect("an outbox");
        ob.orphaned = false;
        ob.note_level(now);
        self.outbox_arm(node);
    }

    /// `node` crashed: its relay stops. The rows stay; rows of the batch
    /// still waiting for the broker's room were never sent, and go back to
    /// the front of the outbox.
    pub(crate) fn outbox_down(&mut self, node: NodeIx) {
        let Some(ob) = self.outboxes[node].as_deref_mut() else {
            return;
        };
        if ob.publishing {
            ob.orphaned = true;
        } else {
            while let Some(msg) = ob.sending.pop_back() {
                ob.rows.push_front(msg);
            }
        }
    }

    /// Rows `node`'s outbox holds unpublished (0 without one).
    pub(crate) fn outbox_held(&self, node: NodeIx) -> u64 {
        self.outboxes[node].as_deref().map_or(0, OutboxRt::held)
    }

    /// `node` restarted: its relay polls again.
    pub(crate) fn outbox_up(&mut self, node: NodeIx) {
        if self.outboxes[node].is_some() {
            self.outbox_arm(node);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(text: &str) -> RunResult {
        let (model, problems) = from_str(text).expect("parses");
        assert!(problems.is_empty(), "{problems:?}");
        let r = run_once(&model, 1).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    #[test]
    fn a_relay_publishes_at_most_a_batch_per_poll() {
        let r = run(
            r#"(version: 1, name: "relay", scenario: (duration: "60s", seed: 1),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 300.0),
                    outbox: (poll: "1s", batch: 100))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "out")])"#,
        );
        // A poll at each whole second from 1 s to 60 s, 100 rows each.
        assert_eq!(get(&r, "out", "completed"), 6_000.0);
        assert_eq!(get(&r, "src", "outbox_written"), 18_000.0);
        // The rest wait: 200 more every second.
        let max = get(&r, "src", "outbox_max");
        assert!((11_900.0..=12_100.0).contains(&max), "outbox_max {max}");
        assert_eq!(r.conservation.in_flight, 12_000);
    }

    /// A design where `worker` sends to `q2`, which is down from 30 s to
    /// 50 s.
    fn outage(outbox: &str) -> RunResult {
        run(&format!(
            r#"(version: 1, name: "outage",
            scenario: (duration: "120s", seed: 3,
                faults: [(at: "30s", duration: "20s", node: "q2", effect: Crash)]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                (id: "q1", kind: Queue(capacity: 100)),
                (id: "worker", kind: Consumer(instances: 2, service: Exponential(mean: "10ms"){outbox})),
                (id: "q2", kind: Queue()),
                (id: "reader", kind: Consumer(instances: 4, service: Exponential(mean: "10ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q1"), (from: "q1", to: "worker"), (from: "worker", to: "q2"),
                    (from: "q2", to: "reader"), (from: "reader", to: "out")])"#
        ))
    }

    #[test]
    fn an_outbox_keeps_a_service_working_through_a_broker_outage() {
        let direct = outage("");
        // Sending directly, the worker holds its finished work while q2 is
        // down: its slots fill, q1 fills, and the producer is held back.
        assert!(get(&direct, "worker", "blocked_fraction") > 0.1);
        assert!(get(&direct, "src", "blocked_fraction") > 0.1);
        assert_eq!(get(&direct, "q1", "max_depth"), 100.0);

        let outboxed = outage(r#", outbox: (poll: "200ms", batch: 500, publish: Constant("5ms"))"#);
        // Through an outbox, the worker never waits: the rows pile up in
        // the outbox for the 20 s and the relay catches up afterwards.
        assert_eq!(get(&outboxed, "worker", "blocked_fraction"), 0.0);
        assert_eq!(get(&outboxed, "src", "blocked_fraction"), 0.0);
        let max = get(&outboxed, "worker", "outbox_max");
        assert!((850.0..=1_150.0).contains(&max), "outbox_max {max}");
        assert!(get(&outboxed, "q1", "max_depth") < 30.0);
        // Caught up well before the end; nothing lost or sent twice.
        assert!(outboxed.conservation.in_flight < 20);
        assert_eq!(get(&outboxed, "worker", "outbox_republished"), 0.0);
        assert_eq!(get(&outboxed, "out", "duplicates"), 0.0);
        assert_eq!(outboxed.conservation.dropped, 0);
        // The relay's delay: half a poll plus the publish, on average, and
        // the outage's wait for some.
        let p50 = get(&outboxed, "worker", "outbox_wait_s.p50");
        assert!((0.08..=0.13).contains(&p50), "p50 {p50}");
        assert!(get(&outboxed, "worker", "outbox_wait_s.max") > 19.0);
    }

    /// A producer whose relay publishes a batch every second that takes
    /// 200 ms to reach the broker, crashed at `at` for a second.
    fn crashed_at(at: &str) -> RunResult {
        run(&format!(
            r#"(version: 1, name: "crash",
            scenario: (duration: "30s", seed: 1,
                faults: [(at: "{at}", duration: "1s", node: "src", effect: Crash)]),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 100.0),
                    outbox: (poll: "1s", batch: 1000, publish: Constant("200ms")))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "out")])"#
        ))
    }

    #[test]
    fn a_crash_with_a_batch_on_its_way_publishes_it_again() {
        // The batch polled at 10 s is on its way until 10.2 s.
        let on_its_way = crashed_at("10.1s");
        let again = get(&on_its_way, "src", "outbox_republished");
        assert!((99.0..=101.0).contains(&again), "republished {again}");
        assert_eq!(get(&on_its_way, "out", "duplicates"), again);
        assert_eq!(on_its_way.conservation.redelivered, again as u64);
        // Between two batches, nothing was on its way.
        let between = crashed_at("10.5s");
        assert_eq!(get(&between, "src", "outbox_republished"), 0.0);
        assert_eq!(get(&between, "out", "duplicates"), 0.0);
        // Either way the rows written before the crash all arrive.
        for r in [&on_its_way, &between] {
            assert_eq!(r.conservation.dropped + r.conservation.lost, 0);
        }
    }

    #[test]
    fn a_consumer_crash_loses_what_it_could_not_send_unless_it_has_an_outbox() {
        // q2 is down when the worker crashes: sending directly, the
        // finished work it holds is lost with it.
        let text = |outbox: &str| {
            format!(
                r#"(version: 1, name: "crash",
                scenario: (duration: "60s", seed: 2, faults: [
                    (at: "10s", duration: "20s", node: "q2", effect: Crash),
                    (at: "20s", duration: "1s", node: "worker", effect: Crash)]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
                    (id: "q1", kind: Queue()),
                    (id: "worker", kind: Consumer(instances: 4, service: Constant("10ms"){outbox})),
                    (id: "q2", kind: Queue()),
                    (id: "reader", kind: Consumer(service: Constant("10ms"))),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "src", to: "q1"), (from: "q1", to: "worker"), (from: "worker", to: "q2"),
                        (from: "q2", to: "reader"), (from: "reader", to: "out")])"#
            )
        };
        let direct = run(&text(""));
        assert_eq!(get(&direct, "worker", "drops.crashed"), 4.0);
        let outboxed = run(&text(r#", outbox: (poll: "100ms")"#));
        assert_eq!(
            outboxed.conservation.dropped + outboxed.conservation.lost,
            0
        );
        let written = get(&outboxed, "worker", "outbox_written");
        assert!(written > 1_000.0, "written {written}");
    }

    #[test]
    fn problems_name_the_field() {
        let problems = |outbox: &str| {
            let mut out = Vec::new();
            let o: super::Outbox = ron::from_str(outbox).expect("parses");
            o.problems(&mut out);
            out.join("; ")
        };
        assert!(problems(r#"(poll: "0s")"#).contains("poll interval must be at least 1ms"));
        assert!(problems(r#"(poll: "1s", batch: 0)"#).contains("batch must be at least 1"));
        assert!(
            problems(r#"(poll: "1s", publish: Exponential(mean: "0s"))"#).contains("publish delay")
        );
        assert!(problems(r#"(poll: "1s")"#).is_empty());
        let text = r#"(version: 1, name: "x", nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 1.0))),
            (id: "c", kind: Consumer(service: Constant("1ms"), outbox: (poll: "1s")))],
            edges: [(from: "src", to: "c")])"#;
        let (model, _) = from_str(text).expect("parses");
        let errors = crate::validate::validate(&model);
        assert!(
            errors
                .iter()
                .any(|d| d.message.contains("sends nothing on")),
            "{errors:?}"
        );
    }

    #[test]
    fn a_relay_slower_than_the_writes_is_named_the_bottleneck() {
        let text = r#"(version: 1, name: "slow relay", scenario: (duration: "60s", seed: 4),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 40.0))),
                (id: "q", kind: Queue()),
                (id: "worker", kind: Consumer(instances: 2, service: Exponential(mean: "10ms"),
                    outbox: (poll: "1s", batch: 30))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "out")])"#;
        let (model, _) = from_str(text).expect("parses");
        let report = crate::run_replications(&model)
            .expect("runs")
            .with_insights(&model);
        let insights = report.insights.as_deref().unwrap_or_default();
        let top = insights
            .iter()
            .find(|i| i.kind == crate::insights::InsightKind::Bottleneck)
            .expect("a bottleneck");
        assert_eq!(top.node, "worker");
        assert!(
            top.sentence
                .contains("with an outbox relay of 30 rows every 1s (30/s)"),
            "{}",
            top.sentence
        );
        // About 40/s written against 30/s: ρ ≈ 1.33, and about 57 rows a
        // poll would bring it to 0.70.
        let rows: u32 = top
            .sentence
            .split("a batch of ")
            .nth(1)
            .and_then(|rest| rest.split(' ').next())
            .and_then(|n| n.parse().ok())
            .unwrap_or_else(|| panic!("{}", top.sentence));
        assert!((54..=60).contains(&rows), "{}", top.sentence);
    }

    #[test]
    fn capacity_is_a_batch_per_poll_or_per_polls_a_publish_spans() {
        let o = |poll: u64, batch: u32, publish_ms: u64| super::Outbox {
            poll: crate::time::Duration::from_millis(poll),
            batch,
            publish: crate::dist::Dist::Constant(crate::time::Duration::from_millis(publish_ms)),
        };
        assert!((o(1000, 100, 0).capacity_per_s() - 100.0).abs() < 1e-9);
        assert!((o(1000, 100, 1000).capacity_per_s() - 100.0).abs() < 1e-9);
        assert!((o(500, 100, 600).capacity_per_s() - 100.0).abs() < 1e-9);
    }
}
