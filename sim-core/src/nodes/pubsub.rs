//! Google Cloud Pub/Sub: a topic, and a queue as a Pub/Sub subscription.
//!
//! A Pub/Sub topic is a topic (`Topic(pubsub: true)`): it fans each
//! message out to its subscriptions as any topic does. A subscription is a
//! queue with `pubsub: (…)`: its visibility timeout is the ack deadline
//! (10 s to 10 minutes), its `max_receives` the dead-letter policy's
//! maximum delivery attempts (5 to 100), its retention the message
//! retention (10 minutes to 7 days), and it holds any backlog (no
//! capacity). Two things are Pub/Sub's own:
//!
//! - **The retry policy** (`retry: (min, max)`): a message that is nacked
//!   (its consumer failed it) or whose ack deadline ran out comes back
//!   after an exponential backoff, `min × 2^(n−1)` capped at `max` after
//!   its n-th delivery. Without one it comes back at once (a nack) or as
//!   the deadline runs out, and a consumer's own retry delay applies.
//! - **Push delivery** (`delivery: Push`): the subscription sends each
//!   message to its endpoint (the consumers reading it) rather than
//!   waiting for them to pull. It keeps at most a *push window* of
//!   messages outstanding: the window starts at 3, grows by one with each
//!   acknowledgement (up to [`MAX_PUSH_WINDOW`]), and halves with each
//!   failure (a nack, an ack deadline that ran out, a refused push). An
//!   endpoint with no free slot, or down, refuses the push (HTTP 429 or
//!   503): the refusal counts as a delivery attempt, so it can send a
//!   healthy message to the dead-letter topic, and the subscription stops
//!   pushing for a push backoff that starts at 100 ms and doubles with
//!   each refusal up to 60 s (an acknowledgement starts it over). A pull
//!   subscription's consumers take messages only when they have room, so
//!   they never refuse one.
//!
//! A subscription with message groups (`fifo: ()`) is one with message
//! ordering: the key is the ordering key.

use serde::{Deserialize, Serialize};

use crate::engine::{Ev, NodeIx, Simulation, Slot};
use crate::time::{Duration, SimTime};

/// The shortest ack deadline Pub/Sub takes.
pub const MIN_ACK_DEADLINE: Duration = Duration::from_secs(10);
/// The longest ack deadline Pub/Sub takes: 10 minutes.
pub const MAX_ACK_DEADLINE: Duration = Duration::from_secs(600);
/// The fewest delivery attempts a dead-letter policy takes.
pub const MIN_DELIVERY_ATTEMPTS: u32 = 5;
/// The most delivery attempts a dead-letter policy takes.
pub const MAX_DELIVERY_ATTEMPTS: u32 = 100;
/// The shortest message retention of a subscription: 10 minutes.
pub const MIN_RETENTION: Duration = Duration::from_secs(600);
/// The longest message retention of a subscription: 7 days.
pub const MAX_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
/// The longest backoff a retry policy takes: 10 minutes.
pub const MAX_BACKOFF: Duration = Duration::from_secs(600);
/// A push subscription's window when it starts.
pub const PUSH_WINDOW_START: u64 = 3;
/// The most messages a push subscription keeps outstanding.
pub const MAX_PUSH_WINDOW: u64 = 3_000;
/// The first push backoff after a refusal.
pub const PUSH_BACKOFF_MIN: Duration = Duration::from_millis(100);
/// The longest push backoff.
pub const PUSH_BACKOFF_MAX: Duration = Duration::from_secs(60);

/// A queue as a Google Cloud Pub/Sub subscription.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PubSub {
    /// Whether the consumers pull, or the subscription pushes to them.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub delivery: PubSubDelivery,
    /// The retry policy's exponential backoff; `None` for none (a nacked
    /// message comes back at once).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry: Option<Backoff>,
}

/// How a Pub/Sub subscription hands its messages out.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum PubSubDelivery {
    /// The consumers pull a message whenever they have room.
    #[default]
    Pull,
    /// The subscription pushes to the consumers within its push window;
    /// a busy or down consumer refuses the push.
    Push,
}

impl PubSubDelivery {
    pub const fn label(self) -> &'static str {
        match self {
            Self::Pull => "pull",
            Self::Push => "push",
        }
    }
}

/// A retry policy's exponential backoff.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Backoff {
    /// The backoff after the first delivery.
    pub min: Duration,
    /// The longest backoff.
    pub max: Duration,
}

impl Default for Backoff {
    /// Pub/Sub's defaults: 10 s to 10 minutes.
    fn default() -> Self {
        Self {
            min: Duration::from_secs(10),
            max: MAX_BACKOFF,
        }
    }
}

impl Backoff {
    /// The backoff after the `n`-th delivery (n ≥ 1).
    pub fn after(self, n: u32) -> Duration {
        let doublings = n.saturating_sub(1).min(40);
        let grown = self.min.0.saturating_mul(1u64 << doublings);
        Duration(grown.min(self.max.0.max(self.min.0)))
    }
}

/// The queue parameters a Pub/Sub subscription keeps within the
/// service's limits; `problems` for those outside.
pub(crate) fn problems(queue: &super::QueueParams, pubsub: PubSub, out: &mut Vec<String>) {
    let ack = queue.visibility_timeout;
    if ack < MIN_ACK_DEADLINE || ack > MAX_ACK_DEADLINE {
        out.push(format!(
            "a Pub/Sub subscription's ack deadline (the visibility timeout, {ack}) must be from {MIN_ACK_DEADLINE} to {MAX_ACK_DEADLINE}"
        ));
    }
    if let Some(n) = queue.max_receives
        && !(MIN_DELIVERY_ATTEMPTS..=MAX_DELIVERY_ATTEMPTS).contains(&n)
    {
        out.push(format!(
                "a Pub/Sub dead-letter policy's maximum delivery attempts (max_receives, {n}) must be from {MIN_DELIVERY_ATTEMPTS} to {MAX_DELIVERY_ATTEMPTS}"
            ));
    }
    if let Some(r) = queue.retention
        && (r < MIN_RETENTION || r > MAX_RETENTION)
    {
        out.push(format!(
                "a Pub/Sub subscription keeps messages from {MIN_RETENTION} to {MAX_RETENTION} (the retention is {r})"
            ));
    }
    if queue.capacity.is_some() {
        out.push(
            "a Pub/Sub subscription holds any backlog: leave the capacity out (its retention bounds it)"
                .to_owned(),
        );
    }
    if queue.fifo.is_some_and(|f| f.group_rate.is_some()) {
        out.push(
            "a Pub/Sub subscription with message ordering has no rate per ordering key: leave group_rate out"
                .to_owned(),
        );
    }
    if let Some(b) = pubsub.retry {
        if b.min > MAX_BACKOFF || b.max > MAX_BACKOFF {
            out.push(format!(
                "a Pub/Sub retry policy's backoffs must be at most {MAX_BACKOFF} (they are {} and {})",
                b.min, b.max
            ));
        }
        if b.min > b.max {
            out.push(format!(
                "a Pub/Sub retry policy's minimum backoff ({}) must not be above its maximum ({})",
                b.min, b.max
            ));
        }
    }
}

/// The card's line for a subscription.
pub(crate) fn summary(queue: &super::QueueParams, pubsub: PubSub) -> String {
    let mut line = format!(
        "Pub/Sub {} · ack {}",
        pubsub.delivery.label(),
        queue.visibility_timeout
    );
    if let Some(b) = pubsub.retry {
        line.push_str(&format!(" · backoff {}–{}", b.min, b.max));
    }
    if queue.fifo.is_some() {
        line.push_str(" · ordered");
    }
    line
}

/// A subscription during a run.
#[derive(Clone, Debug)]
pub(crate) struct PubSubRt {
    retry: Option<Backoff>,
    /// Push delivery's state; `None` for pull.
    pub push: Option<Push>,
}

/// A push subscription's flow control.
#[derive(Clone, Debug)]
pub(crate) struct Push {
    /// Most messages outstanding now.
    pub window: u64,
    /// The next push backoff.
    pause: Duration,
    /// No push before this.
    until: SimTime,
    /// A `PushResume` event is on the calendar.
    resume_pending: bool,
    /// When a consumer last refused a push, if one has.
    last_refused: Option<SimTime>,
}

impl PubSubRt {
    pub fn new(params: PubSub) -> Self {
        Self {
            retry: params.retry,
            push: (params.delivery == PubSubDelivery::Push).then_some(Push {
                window: PUSH_WINDOW_START,
                pause: Duration::ZERO,
                until: SimTime::ZERO,
                resume_pending: false,
                last_refused: None,
            }),
        }
    }

    /// New parameters from now on: the push window carries over.
    pub fn retune(&mut self, params: PubSub) {
        let fresh = Self::new(params);
        self.retry = fresh.retry;
        match (&mut self.push, fresh.push) {
            (Some(_), Some(_)) => {}
            (push, fresh) => *push = fresh,
        }
    }

    /// The backoff before a message delivered `n` times comes back, if
    /// the subscription has a retry policy.
    pub fn backoff(&self, n: u32) -> Option<Duration> {
        self.retry.map(|b| b.after(n))
    }

    /// Whether a push subscription may hand out another message now, with
    /// `out` outstanding.
    pub fn may_push(&self, out: u64, now: SimTime) -> bool {
        self.push
            .as_ref()
            .is_none_or(|p| out < p.window && now >= p.until)
    }

    /// Whether a consumer refused a push within the last second (the card
    /// shows PUSH BACKOFF meanwhile, steadily rather than for each 100 ms
    /// pause).
    pub fn refusing(&self, now: SimTime) -> bool {
        self.push
            .as_ref()
            .and_then(|p| p.last_refused)
            .is_some_and(|at| now.since(at) < Duration::from_secs(1))
    }

    /// A message was acknowledged: the push window grows, and the push
    /// backoff starts over.
    pub fn acked(&mut self) {
        if let Some(p) = &mut self.push {
            p.window = (p.window + 1).min(MAX_PUSH_WINDOW);
            p.pause = Duration::ZERO;
        }
    }

    /// A delivery failed (a nack, or an ack deadline that ran out): the
    /// push window halves.
    pub fn failed(&mut self) {
        if let Some(p) = &mut self.push {
            p.window = (p.window / 2).max(1);
        }
    }
}

impl Simulation {
    /// The Pub/Sub state of queue slot `q`, if it is a subscription.
    fn pubsub_at(&mut self, q: Slot) -> Option<&mut PubSubRt> {
        self.queues[q].pubsub.as_deref_mut()
    }

    /// Push subscription `node` (queue slot `q`) has a message visible and
    /// room in its window, but no consumer took it: the push goes to a
    /// busy or down endpoint, which refuses it. The message spends a
    /// delivery attempt and comes back after the retry policy's backoff
    /// (or goes to the dead-letter topic), and pushing stops for the push
    /// backoff.
    pub(crate) fn pubsub_push_refused(&mut self, node: NodeIx, q: Slot) {
        let now = self.now;
        let Some(msg) = self.queues[q].visible.pop_front() else {
            return;
        };
        let depth = self.queues[q].waiting();
        self.stats[node].depth.set(now, depth);
        self.stats[node].throttled += 1;
        let m = self.msgs.get_mut(msg);
        m.receives += 1;
        let receives = m.receives;
        let ps = self.pubsub_at(q).expect("a Pub/Sub subscription");
        ps.failed();
        let backoff = ps.backoff(receives).unwrap_or(Duration::ZERO);
        let p = ps.push.as_mut().expect("a push subscription");
        p.pause = (p.pause + p.pause).clamp(PUSH_BACKOFF_MIN, PUSH_BACKOFF_MAX);
        p.until = now + p.pause;
        p.last_refused = Some(now);
        // Pushing resumes when the push backoff is over.
        self.pubsub_poke(node, q);
        if receives >= self.queues[q].max_receives {
            self.queue_to_dead_letter(node, msg);
            self.wake_waiters(node);
            return;
        }
        self.stats[node].retries += 1;
        self.queue_hold_back(node, q, msg, backoff);
    }

    /// A push subscription's backoff is over, or its window opened: it
    /// offers what waits to its consumers again.
    pub(crate) fn pubsub_push_resume(&mut self, node: NodeIx) {
        let q = self.topo[node].slot;
        let now = self.now;
        let mut paused = false;
        if let Some(p) = self.pubsub_at(q).and_then(|ps| ps.push.as_mut()) {
            p.resume_pending = false;
            paused = now < p.until;
        }
        if paused {
            // A refusal since this resume was set paused pushing again:
            // resume when that pause is over.
            self.pubsub_poke(node, q);
            return;
        }
        if !self.is_down(node) {
            self.queue_dispatch(node, q);
        }
    }

    /// Push subscription `node`'s window may have opened (a message left
    /// it): it pushes again as an event of this instant, not from inside
    /// the settlement in progress.
    pub(crate) fn pubsub_poke(&mut self, node: NodeIx, q: Slot) {
        let now = self.now;
        let Some(p) = self.pubsub_at(q).and_then(|ps| ps.push.as_mut()) else {
            return;
        };
        if p.resume_pending {
            return;
        }
        p.resume_pending = true;
        let at = p.until.max(now);
        self.schedule(at, Ev::PushResume(node));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metric as get;
    use crate::metric_or_zero;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    /// A producer at `rate`/s into subscription `sub` (the queue's
    /// parameters) read by one consumer (its parameters), with a sink and
    /// a dead-letter topic, for `secs` seconds.
    fn run(rate: f64, sub: &str, consumer: &str, secs: f64) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "pubsub",
                scenario: (duration: "{secs}s", seed: 3),
                nodes: [
                    (id: "src", kind: Producer(arrival: Constant(rate: {rate}))),
                    (id: "t", kind: Topic(pubsub: true)),
                    (id: "sub", kind: Queue({sub})),
                    (id: "work", kind: Consumer({consumer})),
                    (id: "out", kind: Sink()),
                    (id: "dlq", kind: DeadLetter()),
                ],
                edges: [
                    (from: "src", to: "t"), (from: "t", to: "sub"), (from: "sub", to: "work"),
                    (from: "work", to: "out"), (from: "sub", to: "dlq"),
                ],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        run_once(&model, 1).expect("runs")
    }

    #[test]
    fn the_backoff_doubles_from_min_and_stops_at_max() {
        let b = Backoff {
            min: Duration::from_secs(10),
            max: Duration::from_secs(60),
        };
        let got: Vec<u64> = (1..=6).map(|n| b.after(n).0 / 1_000_000_000).collect();
        assert_eq!(got, [10, 20, 40, 60, 60, 60]);
        let zero = Backoff {
            min: Duration::ZERO,
            max: Duration::from_secs(5),
        };
        assert_eq!(zero.after(7), Duration::ZERO);
        assert_eq!(b.after(u32::MAX), Duration::from_secs(60));
    }

    #[test]
    fn the_push_window_grows_by_one_and_halves() {
        let mut ps = PubSubRt::new(PubSub {
            delivery: PubSubDelivery::Push,
            retry: None,
        });
        assert!(ps.may_push(2, SimTime::ZERO));
        assert!(!ps.may_push(3, SimTime::ZERO));
        ps.acked();
        assert!(ps.may_push(3, SimTime::ZERO));
        ps.failed();
        assert_eq!(ps.push.as_ref().map(|p| p.window), Some(2));
        for _ in 0..5 {
            ps.failed();
        }
        assert_eq!(ps.push.as_ref().map(|p| p.window), Some(1));
        let pull = PubSubRt::new(PubSub::default());
        assert!(pull.may_push(u64::MAX - 1, SimTime::ZERO));
    }

    /// One message that fails every attempt, nacked by its consumer: it
    /// comes back after 1, 2, 4 and 4 s, and its fifth delivery sends it
    /// to the dead-letter topic, 11 s (plus five 10 ms attempts) after
    /// the first.
    #[test]
    fn a_nacked_message_backs_off_exponentially_until_it_is_dead_lettered() {
        let sub = r#"visibility_timeout: "10s", max_receives: 5, pubsub: (retry: (min: "1s", max: "4s"))"#;
        let consumer =
            r#"service: Constant("10ms"), failure: 1.0, retry: Immediate(max_attempts: 50)"#;
        // The one message is published at 100 s.
        let before = run(0.01, sub, consumer, 111.04);
        assert_eq!(get(&before, "sub", "retries"), 4.0);
        assert_eq!(metric_or_zero(&before, "sub", "dead_lettered"), 0.0);
        let after = run(0.01, sub, consumer, 111.06);
        assert_eq!(get(&after, "sub", "dead_lettered"), 1.0);
        // Without a retry policy the consumer's own (immediate) retry
        // applies: five attempts in 50 ms.
        let plain = run(
            0.01,
            r#"visibility_timeout: "10s", max_receives: 5, pubsub: ()"#,
            consumer,
            100.06,
        );
        assert_eq!(get(&plain, "sub", "dead_lettered"), 1.0);
    }

    /// A consumer that takes 15 s outlives the 10 s ack deadline: the
    /// message is delivered again after the backoff (5 s), not at once.
    #[test]
    fn an_ack_deadline_that_runs_out_waits_out_the_backoff() {
        let sub = r#"visibility_timeout: "10s", pubsub: (retry: (min: "5s", max: "5s"))"#;
        let consumer = r#"service: Constant("15s"), concurrency: 2"#;
        let early = run(0.01, sub, consumer, 114.9);
        assert_eq!(get(&early, "sub", "redelivered"), 1.0);
        assert_eq!(get(&early, "work", "arrived"), 1.0);
        // At 115 s the second delivery starts beside the first attempt.
        let late = run(0.01, sub, consumer, 115.1);
        assert_eq!(get(&late, "work", "arrived"), 2.0);
    }

    /// Two messages a second to a consumer that handles one a second at
    /// most: pushed, the busy consumer refuses pushes, each a delivery
    /// attempt, and some messages reach the dead-letter topic untouched;
    /// pulled, they only wait.
    #[test]
    fn a_push_subscription_to_a_busy_consumer_spends_delivery_attempts() {
        let consumer = r#"service: Constant("1s")"#;
        let push = run(
            2.0,
            r#"visibility_timeout: "60s", max_receives: 5, pubsub: (delivery: Push)"#,
            consumer,
            300.0,
        );
        let refused = get(&push, "sub", "push_refused");
        assert!(refused > 50.0, "{refused} pushes refused");
        assert!(get(&push, "sub", "dead_lettered") > 0.0);
        // Each completion grows the window by one and each refusal halves
        // it, so there is about one refusal per message done, no more.
        let done = get(&push, "out", "arrived");
        assert!(
            refused <= 2.0 * done + 10.0,
            "{refused} refused, {done} done"
        );
        let pull = run(
            2.0,
            r#"visibility_timeout: "60s", max_receives: 5, pubsub: ()"#,
            consumer,
            300.0,
        );
        assert_eq!(metric_or_zero(&pull, "sub", "dead_lettered"), 0.0);
        assert!(
            pull.node("sub")
                .and_then(|n| n.get("push_refused"))
                .is_none()
        );
        assert!(get(&pull, "out", "arrived") >= done);
    }

    /// A consumer that keeps up never refuses: push then delivers what
    /// pull does.
    #[test]
    fn a_push_subscription_that_keeps_up_refuses_nothing() {
        let consumer = r#"service: Constant("10ms")"#;
        let push = run(
            5.0,
            r#"visibility_timeout: "10s", pubsub: (delivery: Push)"#,
            consumer,
            100.0,
        );
        let pull = run(
            5.0,
            r#"visibility_timeout: "10s", pubsub: ()"#,
            consumer,
            100.0,
        );
        assert_eq!(get(&push, "sub", "push_refused"), 0.0);
        assert_eq!(get(&push, "out", "arrived"), get(&pull, "out", "arrived"));
    }

    #[test]
    fn the_service_limits_are_checked() {
        let bad = r#"(
            version: 1, name: "limits",
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 1.0))),
                (id: "sub", kind: Queue(visibility_timeout: "5s", max_receives: 3, capacity: 10,
                    retention: "1m", pubsub: (retry: (min: "20m", max: "1m")))),
                (id: "work", kind: Consumer(service: Constant("1ms"))),
            ],
            edges: [(from: "src", to: "sub"), (from: "sub", to: "work")],
        )"#;
        let (model, _) = from_str(bad).expect("parses");
        let err: String = crate::validate::validate(&model)
            .iter()
            .map(|d| format!("{} ", d.message))
            .collect();
        for part in [
            "ack deadline",
            "maximum delivery attempts",
            "keeps messages from",
            "leave the capacity out",
            "at most 10m",
            "must not be above its maximum",
        ] {
            assert!(err.contains(part), "{part}: {err}");
        }
    }

    /// 200 messages pushed into a slow consumer that fails a third of
    /// its attempts, then nothing more: refusals, nacks and push backoffs
    /// interleave, and still every message is delivered before the end
    /// (a push backoff set while a resume was already due must not leave
    /// the subscription waiting for an arrival that never comes).
    #[test]
    fn a_push_subscription_drains_after_the_last_arrival() {
        let text = r#"(
            version: 1,
            name: "drain",
            scenario: (duration: "600s", seed: 9),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 50.0), limit: 200)),
                (id: "sub", kind: Queue(visibility_timeout: "60s", pubsub: (delivery: Push))),
                (id: "work", kind: Consumer(service: Constant("50ms"), failure: 0.3,
                    retry: Immediate(max_attempts: 1000))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "sub"), (from: "sub", to: "work"), (from: "work", to: "out")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = run_once(&model, 9).expect("runs");
        assert!(get(&r, "sub", "push_refused") > 10.0);
        assert!(get(&r, "sub", "retries") > get(&r, "sub", "push_refused"));
        assert_eq!(get(&r, "out", "arrived"), 200.0);
        assert_eq!(r.conservation.in_flight, 0);
    }
}
