//! Message journeys: where sampled messages went, hop by hop.
//!
//! Turn recording on with [`Simulation::record_journeys`] before running.
//! Every `every`-th event a producer creates (the 1st, the `every + 1`-th,
//! … counted over all producers in the order they are created) is followed
//! from its creation to its end: each hop says at which node the message was,
//! doing what, from when to when. Copies made from a followed message (a
//! topic's fan-out, a router's split, a queue's redelivery after an expired
//! visibility timeout) are followed too, as child journeys that name their
//! parent.
//!
//! Sampling goes by the creation count, not by a random draw: recording
//! never touches a random stream, never changes an event, and the run's
//! results are the same byte for byte with recording on or off.
//!
//! The hops of a journey tile its life: the first starts when the message
//! was created, each starts where the previous one ended, and the last ends
//! where the journey ended (for a journey still in flight, the last hop is
//! open: its `end` equals its `start` until the message moves on;
//! [`Simulation::trace`] closes it at the current time). The sum of the hop
//! durations of a message completed at a sink is therefore its end-to-end
//! latency.
//!
//! Memory is bounded: at most [`JourneyOptions::max_journeys`] journeys are
//! kept (sampling stops once they are reached; children of followed
//! messages count too), and a journey keeps at most
//! [`JourneyOptions::max_hops`] hops — past that, one [`HopKind::Elided`]
//! hop covers the rest of its life up to its end, counting what was left
//! out.
//!
//! ```
//! use sim_core::{Simulation, journey::{JourneyEnd, JourneyOptions}, model::file};
//!
//! let (model, _) = file::from_str(r#"(
//!     version: 1,
//!     name: "M/M/1",
//!     scenario: (duration: "60s"),
//!     nodes: [
//!         (id: "orders", kind: Producer(arrival: Poisson(rate: 50.0))),
//!         (id: "inbox", kind: Queue()),
//!         (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
//!     ],
//!     edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
//! )"#)?;
//! let mut sim = Simulation::new(&model, 1)?;
//! sim.record_journeys(JourneyOptions { every: 100, ..JourneyOptions::default() });
//! sim.run_until(sim.end())?;
//! let first = &sim.journeys()[0];
//! // Created at the producer, waited in the queue, processed by the worker.
//! let nodes: Vec<&str> = first.hops.iter().map(|h| sim.node_id(h.node)).collect();
//! assert_eq!(nodes, ["orders", "inbox", "worker"]);
//! assert!(matches!(first.end, JourneyEnd::Completed { .. }));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::collections::BTreeMap;

use crate::engine::{MsgId, NodeIx, Simulation};
use crate::metrics::DropReason;
use crate::model::Model;
use crate::nodes::Kind;
use crate::time::SimTime;

/// How journeys are sampled and bounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct JourneyOptions {
    /// Follow one event in this many created by producers (1: every one).
    pub every: u64,
    /// Keep at most this many journeys (children included).
    pub max_journeys: usize,
    /// Keep at most this many hops per journey (at least 2).
    pub max_hops: usize,
}

impl JourneyOptions {
    /// The default sampling rate: one event in 100.
    pub const DEFAULT_EVERY: u64 = 100;
    /// The default cap on journeys kept.
    pub const DEFAULT_MAX_JOURNEYS: usize = 1_000;
    /// The default cap on hops per journey.
    pub const DEFAULT_MAX_HOPS: usize = 256;
}

impl Default for JourneyOptions {
    fn default() -> Self {
        Self {
            every: Self::DEFAULT_EVERY,
            max_journeys: Self::DEFAULT_MAX_JOURNEYS,
            max_hops: Self::DEFAULT_MAX_HOPS,
        }
    }
}

/// One followed message, from its creation to its end.
#[derive(Clone, Debug, PartialEq)]
pub struct Journey {
    /// Its index in [`Simulation::journeys`].
    pub id: u32,
    /// The message's identity, as [`crate::snapshot::MessageDot::msg_id`]
    /// shows it (a live view finds a moving dot's journey by it). A
    /// redelivery shares it with its parent; a fan-out copy has its own.
    pub msg_id: u64,
    /// The journey it was copied from, if it is a copy.
    pub parent: Option<Fork>,
    /// Its event type's name.
    pub event_type: String,
    /// Its partitioning key.
    pub key: u32,
    /// When it was created (by a producer, or as a copy).
    pub created: SimTime,
    /// Where it was, in time order; they tile `created` to its end.
    pub hops: Vec<Hop>,
    /// How it ended ([`JourneyEnd::InFlight`] while it goes on).
    pub end: JourneyEnd,
}

impl Journey {
    /// Whether the message is still in the system.
    pub fn is_open(&self) -> bool {
        self.end == JourneyEnd::InFlight
    }
}

/// Where a child journey came from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fork {
    /// The parent journey's id.
    pub journey: u32,
    /// The index of the parent's hop during which the copy was made.
    pub hop: u32,
    /// Why there is a copy.
    pub why: ForkKind,
}

/// Why a message was copied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ForkKind {
    /// A topic delivering to several subscriptions, a router splitting, a
    /// consumer sending to several outputs: a new message of its own.
    FanOut,
    /// A queue delivering a message again because its visibility timeout
    /// ran out while a consumer still held it: the same message twice.
    Redelivery,
}

impl ForkKind {
    /// The name used in exports.
    pub const fn key(self) -> &'static str {
        match self {
            Self::FanOut => "fan_out",
            Self::Redelivery => "redelivery",
        }
    }
}

/// A stretch of a message's life at one node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Hop {
    /// The node (its index in model order: [`Simulation::node_id`]).
    pub node: u32,
    pub kind: HopKind,
    pub start: SimTime,
    pub end: SimTime,
}

impl Hop {
    /// How long the hop lasted.
    pub const fn duration(&self) -> crate::time::Duration {
        self.end.since(self.start)
    }
}

/// What a message was doing during a hop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HopKind {
    /// Created here (zero length): by a producer, or as a copy.
    Created,
    /// Waiting: visible in a queue, in a consumer's inbox, in a sink's or
    /// a service's backlog (or at a node kind with no finer hops).
    Wait,
    /// Being processed: a consumer's attempt (`attempt` counts from 1 and
    /// carries on across redeliveries of the same message), a service's
    /// call, a sink's latency.
    Process { attempt: u32, outcome: Outcome },
    /// Waiting out the retry delay after failed attempt `attempt` (in its
    /// queue, or at the consumer for pushed messages).
    Backoff { attempt: u32 },
    /// Processed (or created) and held because the next stage is full.
    Blocked,
    /// Crossing a link with latency from this node to node `to`.
    Transit { to: u32 },
    /// Passing a topic or a router (zero length unless it is held there
    /// by backpressure).
    Route,
    /// Invisible in its queue after the consumer holding it crashed, until
    /// the visibility timeout shows it again.
    Invisible,
    /// The rest of the journey past the hop cap: `hops` hops left out.
    Elided { hops: u32 },
}

impl HopKind {
    /// A short name for labels and exports (`"process"`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Wait => "wait",
            Self::Process { .. } => "process",
            Self::Backoff { .. } => "backoff",
            Self::Blocked => "blocked",
            Self::Transit { .. } => "transit",
            Self::Route => "route",
            Self::Invisible => "invisible",
            Self::Elided { .. } => "elided",
        }
    }
}

/// How a processing hop ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Outcome {
    /// It succeeded (or, on the open last hop of a journey in flight, is
    /// not over yet).
    #[default]
    Ok,
    /// The attempt failed (the consumer's failure probability, a failed
    /// service call).
    Failed,
    /// The attempt ran into the consumer's processing timeout, or its
    /// call to a service into the call timeout.
    TimedOut,
    /// The circuit breaker was open: the call never went out.
    BreakerOpen,
    /// The service refused the call (down, or over its rate limit).
    Rejected,
    /// A serverless function at its concurrency limit refused the message.
    Throttled,
    /// The consumer crashed during the attempt.
    Crashed,
}

impl Outcome {
    /// The name used in exports.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Failed => "failed",
            Self::TimedOut => "timed_out",
            Self::BreakerOpen => "breaker_open",
            Self::Rejected => "rejected",
            Self::Throttled => "throttled",
            Self::Crashed => "crashed",
        }
    }
}

/// How a journey ended.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum JourneyEnd {
    /// The message is still in the system.
    #[default]
    InFlight,
    /// Completed at a sink (or a consumer with no outputs).
    Completed { node: u32, at: SimTime },
    /// Dropped at `node`, for `reason`.
    Dropped {
        node: u32,
        at: SimTime,
        reason: DropReason,
    },
    /// Stored in the dead-letter queue `node`.
    DeadLettered { node: u32, at: SimTime },
    /// Removed by `node`'s retention before anyone took it.
    Expired { node: u32, at: SimTime },
}

impl JourneyEnd {
    /// The name used in exports (`"completed"`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::InFlight => "in_flight",
            Self::Completed { .. } => "completed",
            Self::Dropped { .. } => "dropped",
            Self::DeadLettered { .. } => "dead_lettered",
            Self::Expired { .. } => "expired",
        }
    }

    /// Where and when it ended (`None` in flight).
    pub const fn place(self) -> Option<(u32, SimTime)> {
        match self {
            Self::InFlight => None,
            Self::Completed { node, at }
            | Self::Dropped { node, at, .. }
            | Self::DeadLettered { node, at }
            | Self::Expired { node, at } => Some((node, at)),
        }
    }
}

/// A node as a trace names it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TraceNode {
    pub id: String,
    pub kind: Kind,
}

/// The journeys of a run, closed at the time they were taken, with what
/// the exports need to name things: what [`crate::export::trace`] writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Trace {
    /// The model's name.
    pub model: String,
    /// The run's seed.
    pub seed: u64,
    /// When the trace was taken (open hops end here).
    pub at: SimTime,
    /// Every node, in model order (hops name them by index).
    pub nodes: Vec<TraceNode>,
    pub journeys: Vec<Journey>,
    pub options: JourneyOptions,
    /// Journeys not kept because the cap was reached.
    pub skipped: u64,
}

/// Runs `model`'s scenario once, with its seed, following messages by
/// `options`; returns the trace at the end of the run.
pub fn record(model: &Model, options: JourneyOptions) -> Result<Trace, crate::RunError> {
    let mut sim = Simulation::new(model, model.scenario.seed)?;
    sim.record_journeys(options);
    sim.run_until(sim.end())?;
    Ok(sim.trace().unwrap_or_else(|| Trace {
        model: model.name.clone(),
        seed: model.scenario.seed,
        at: sim.now(),
        nodes: Vec::new(),
        journeys: Vec::new(),
        options,
        skipped: 0,
    }))
}

/// The recorder behind [`Simulation::record_journeys`].
#[derive(Clone, Debug)]
pub(crate) struct Recorder {
    options: JourneyOptions,
    journeys: Vec<Journey>,
    /// Followed messages alive now, by arena slot. Only looked up, never
    /// iterated, so its order never shows.
    live: BTreeMap<MsgId, u32>,
    /// Events created by producers so far.
    created: u64,
    skipped: u64,
}

impl Recorder {
    fn new(options: JourneyOptions) -> Self {
        Self {
            options: JourneyOptions {
                every: options.every.max(1),
                max_journeys: options.max_journeys,
                max_hops: options.max_hops.max(2),
            },
            journeys: Vec::new(),
            live: BTreeMap::new(),
            created: 0,
            skipped: 0,
        }
    }

    fn open(
        &mut self,
        msg: MsgId,
        node: NodeIx,
        now: u64,
        parent: Option<Fork>,
        event_type: &str,
        (key, msg_id): (u32, u64),
    ) {
        if self.journeys.len() >= self.options.max_journeys {
            self.skipped += 1;
            return;
        }
        let id = u32::try_from(self.journeys.len()).unwrap_or(u32::MAX);
        let at = SimTime(now);
        self.journeys.push(Journey {
            id,
            msg_id,
            parent,
            event_type: event_type.to_owned(),
            key,
            created: at,
            hops: vec![Hop {
                node: node.0,
                kind: HopKind::Created,
                start: at,
                end: at,
            }],
            end: JourneyEnd::InFlight,
        });
        self.live.insert(msg, id);
    }

    fn journey(&mut self, msg: MsgId) -> Option<&mut Journey> {
        if self.live.is_empty() {
            return None;
        }
        let &j = self.live.get(&msg)?;
        self.journeys.get_mut(j as usize)
    }

    fn hop(&mut self, msg: MsgId, node: NodeIx, kind: HopKind, now: u64) {
        let max_hops = self.options.max_hops;
        let Some(journey) = self.journey(msg) else {
            return;
        };
        let at = SimTime(now);
        let Some(last) = journey.hops.last_mut() else {
            return;
        };
        if let HopKind::Elided { hops } = &mut last.kind {
            *hops += 1;
            return;
        }
        if last.node == node.0 && last.kind == kind && kind != HopKind::Created {
            // The same stretch goes on (an arrival that is also a wait).
            return;
        }
        last.end = at;
        let kind = if journey.hops.len() + 1 >= max_hops {
            HopKind::Elided { hops: 1 }
        } else {
            kind
        };
        journey.hops.push(Hop {
            node: node.0,
            kind,
            start: at,
            end: at,
        });
    }

    fn outcome(&mut self, msg: MsgId, outcome: Outcome) {
        let Some(journey) = self.journey(msg) else {
            return;
        };
        if let Some(Hop {
            kind: HopKind::Process { outcome: o, .. },
            ..
        }) = journey.hops.last_mut()
            && *o == Outcome::Ok
        {
            *o = outcome;
        }
    }

    fn end(&mut self, msg: MsgId, end: JourneyEnd, now: u64) {
        if self.live.is_empty() {
            return;
        }
        let Some(j) = self.live.remove(&msg) else {
            return;
        };
        if let Some(journey) = self.journeys.get_mut(j as usize) {
            if let Some(last) = journey.hops.last_mut() {
                last.end = SimTime(now);
            }
            journey.end = end;
        }
    }
}

impl Simulation {
    /// Follows sampled messages from now on (see the [module](self)
    /// docs); call it before running. Calling it again starts afresh.
    pub fn record_journeys(&mut self, options: JourneyOptions) {
        self.journeys = Some(Box::new(Recorder::new(options)));
    }

    /// The journeys recorded so far, in the order they began (empty when
    /// recording is off).
    pub fn journeys(&self) -> &[Journey] {
        self.journeys.as_deref().map_or(&[], |r| &r.journeys)
    }

    /// The id of the node at `index` in model order (as hops name nodes);
    /// empty for an index out of range.
    pub fn node_id(&self, index: u32) -> &str {
        self.topo.get(index as usize).map_or("", |n| n.id.as_str())
    }

    /// The journeys so far with their open hops closed now, and the names
    /// the exports need; `None` when recording is off.
    pub fn trace(&self) -> Option<Trace> {
        let recorder = self.journeys.as_deref()?;
        let now = self.now;
        let mut journeys = recorder.journeys.clone();
        for journey in &mut journeys {
            if journey.is_open()
                && let Some(last) = journey.hops.last_mut()
            {
                last.end = now;
            }
        }
        Some(Trace {
            model: self.model_name().to_owned(),
            seed: self.seed(),
            at: now,
            nodes: self
                .topo
                .iter()
                .map(|n| TraceNode {
                    id: n.id.clone(),
                    kind: n.kind,
                })
                .collect(),
            journeys,
            options: recorder.options,
            skipped: recorder.skipped,
        })
    }

    // ---- hooks for the engine and the node kinds; each is one branch when
    // recording is off ----

    /// A producer created `msg` at `node`: follow it if it is sampled.
    #[inline]
    pub(crate) fn journey_created(&mut self, node: NodeIx, msg: MsgId) {
        if let Some(recorder) = self.journeys.as_deref_mut() {
            recorder.created += 1;
            if (recorder.created - 1) % recorder.options.every == 0 {
                let m = self.msgs.get(msg);
                let name = self
                    .event_types
                    .get(m.event_type as usize)
                    .map_or("", String::as_str);
                recorder.open(
                    msg,
                    node,
                    self.now.as_nanos(),
                    None,
                    name,
                    (m.key, m.lineage),
                );
            }
        }
    }

    /// `copy` was made from `original` at `node`.
    #[inline]
    pub(crate) fn journey_fork(
        &mut self,
        node: NodeIx,
        original: MsgId,
        copy: MsgId,
        why: ForkKind,
    ) {
        if let Some(recorder) = self.journeys.as_deref_mut()
            && let Some(&parent) = recorder.live.get(&original)
        {
            let hop = recorder.journeys[parent as usize].hops.len() - 1;
            let fork = Fork {
                journey: parent,
                hop: u32::try_from(hop).unwrap_or(u32::MAX),
                why,
            };
            let m = self.msgs.get(copy);
            let name = self
                .event_types
                .get(m.event_type as usize)
                .map_or("", String::as_str);
            recorder.open(
                copy,
                node,
                self.now.as_nanos(),
                Some(fork),
                name,
                (m.key, m.lineage),
            );
        }
    }

    /// `msg` begins a new stretch at `node`.
    #[inline]
    pub(crate) fn journey_hop(&mut self, msg: MsgId, node: NodeIx, kind: HopKind) {
        if let Some(recorder) = self.journeys.as_deref_mut() {
            recorder.hop(msg, node, kind, self.now.as_nanos());
        }
    }

    /// The processing hop `msg` is in ends with `outcome` (unless another
    /// outcome was already set).
    #[inline]
    pub(crate) fn journey_outcome(&mut self, msg: MsgId, outcome: Outcome) {
        if let Some(recorder) = self.journeys.as_deref_mut() {
            recorder.outcome(msg, outcome);
        }
    }

    /// `msg` leaves the system.
    #[inline]
    pub(crate) fn journey_end(&mut self, msg: MsgId, end: JourneyEnd) {
        if let Some(recorder) = self.journeys.as_deref_mut() {
            recorder.end(msg, end, self.now.as_nanos());
        }
    }

    /// `msg` starts a processing attempt at `node` (its outcome `Ok` until
    /// told otherwise). The attempt's number is looked up only when
    /// journeys are recorded.
    #[inline(always)]
    pub(crate) fn journey_process(&mut self, msg: MsgId, node: NodeIx) {
        if self.journeys.is_some() {
            let attempt = self.next_attempt(msg);
            let outcome = Outcome::Ok;
            self.journey_hop(msg, node, HopKind::Process { attempt, outcome });
        }
    }

    /// The attempt `msg`'s next processing would be.
    #[inline]
    pub(crate) fn next_attempt(&self, msg: MsgId) -> u32 {
        self.msgs.get(msg).attempts.saturating_add(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;
    use crate::report::Report;

    /// Every mechanism a journey can go through: a topic's fan-out, a
    /// router's split, queues with short visibility timeouts
    /// (redeliveries), failures with backoff into a dead-letter queue, a
    /// service call with a rate limit, a push consumer with inbox retries,
    /// links with latency, a crash, a sink with latency and a limit.
    const BUSY: &str = r#"(
        version: 1,
        name: "busy",
        scenario: (duration: "60s", seed: 11, faults: [
            (at: "20s", duration: "5s", node: "pay", effect: Crash),
        ]),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 40.0),
                events: [(name: "A", weight: 3.0), (name: "B", weight: 1.0)], keys: 10)),
            (id: "topic", kind: Topic()),
            (id: "pay-q", kind: Queue(visibility_timeout: "80ms", max_receives: 6)),
            (id: "pay", kind: Consumer(instances: 3, service: Exponential(mean: "30ms"),
                failure: 0.3, retry: Exponential(initial: "20ms", max_delay: "200ms", max_attempts: 4))),
            (id: "api", kind: Service(latency: Exponential(mean: "5ms"), rate_limit: 30.0)),
            (id: "dlq", kind: DeadLetter()),
            (id: "split", kind: Router(mode: Split(parts: 2))),
            (id: "push", kind: Consumer(instances: 2, service: Constant("10ms"), failure: 0.2,
                retry: Fixed(delay: "50ms", max_attempts: 3))),
            (id: "ledger", kind: Sink(latency: Constant("3ms"), concurrency: 2)),
            (id: "audit", kind: Sink()),
        ],
        edges: [
            (from: "src", to: "topic"),
            (from: "topic", to: "pay-q", latency: "2ms"),
            (from: "topic", to: "split", filter: ["A"]),
            (from: "pay-q", to: "pay", latency: "1ms"),
            (from: "pay", to: "api"),
            (from: "pay", to: "ledger"),
            (from: "pay", to: "dlq"),
            (from: "split", to: "push"),
            (from: "push", to: "audit", latency: "4ms"),
        ],
    )"#;

    fn run(text: &str, options: Option<JourneyOptions>) -> (String, Simulation) {
        let (model, problems) = from_str(text).expect("loads");
        assert!(problems.is_empty(), "{problems:?}");
        let mut sim = Simulation::new(&model, model.scenario.seed).expect("valid");
        if let Some(options) = options {
            sim.record_journeys(options);
        }
        sim.run_until(sim.end()).expect("runs");
        let report = Report::from_runs(model.scenario.seed, vec![sim.result()], 0.0);
        (report.to_json_string(), sim)
    }

    fn every(every: u64) -> Option<JourneyOptions> {
        Some(JourneyOptions {
            every,
            ..JourneyOptions::default()
        })
    }

    /// The hops tile the journey: contiguous, in time order, from its
    /// creation to its end.
    fn assert_tiles(journey: &Journey, now: SimTime) {
        let hops = &journey.hops;
        assert!(!hops.is_empty(), "journey {} has no hops", journey.id);
        assert_eq!(hops[0].start, journey.created, "journey {}", journey.id);
        assert_eq!(hops[0].kind, HopKind::Created, "journey {}", journey.id);
        for pair in hops.windows(2) {
            assert_eq!(
                pair[0].end, pair[1].start,
                "journey {}: a gap or overlap between {:?} and {:?}",
                journey.id, pair[0], pair[1]
            );
        }
        for hop in hops {
            assert!(hop.end >= hop.start, "journey {}: {hop:?}", journey.id);
            assert!(
                hop.end <= now,
                "journey {}: {hop:?} ends in the future",
                journey.id
            );
        }
        let last = hops[hops.len() - 1];
        match journey.end.place() {
            Some((_, at)) => {
                assert_eq!(
                    last.end, at,
                    "journey {} ends with its last hop",
                    journey.id
                );
                let total: u64 = hops.iter().map(|h| h.duration().0).sum();
                assert_eq!(total, at.0 - journey.created.0, "journey {}", journey.id);
            }
            // Open: as recorded, or closed now by `trace()`.
            None => assert!(
                last.end == last.start || last.end == now,
                "the open hop of journey {}: {last:?}",
                journey.id
            ),
        }
    }

    #[test]
    fn recording_changes_nothing_in_the_report() {
        let (plain, _) = run(BUSY, None);
        for n in [1, 7, 100] {
            let (traced, sim) = run(BUSY, every(n));
            assert!(!sim.journeys().is_empty());
            assert!(
                plain == traced,
                "recording every {n} changed the report:\n{plain}\n--- became:\n{traced}"
            );
        }
    }

    #[test]
    fn every_journey_tiles_its_life_and_ends_where_the_counts_say() {
        let (_, sim) = run(BUSY, every(1));
        let journeys = sim.journeys();
        let now = sim.now();
        // Every message is followed (none is skipped) until the cap.
        assert_eq!(journeys.len(), JourneyOptions::DEFAULT_MAX_JOURNEYS);
        for journey in journeys {
            assert_tiles(journey, now);
        }
        let ends = |key: &str| journeys.iter().filter(|j| j.end.key() == key).count();
        assert!(ends("completed") > 500, "completed {}", ends("completed"));
        assert!(ends("dead_lettered") > 0, "some exhaust their retries");
        assert!(ends("dropped") > 0, "the crash drops pushed messages");
        // Completed journeys end at a sink, dead-lettered at the DLQ.
        for journey in journeys {
            match journey.end {
                JourneyEnd::Completed { node, .. } => {
                    assert!(
                        ["ledger", "audit"].contains(&sim.node_id(node)),
                        "{journey:?}"
                    );
                }
                JourneyEnd::DeadLettered { node, .. } => assert_eq!(sim.node_id(node), "dlq"),
                _ => {}
            }
        }
        // The trace closes open hops at the end of the run.
        let trace = sim.trace().expect("recording is on");
        for journey in &trace.journeys {
            let last = journey.hops.last().expect("hops");
            if journey.is_open() {
                assert_eq!(last.end, trace.at);
            }
        }
    }

    #[test]
    fn a_retried_message_shows_its_attempts_and_backoff() {
        let (_, sim) = run(BUSY, every(1));
        let node = |id: &str| {
            (0..)
                .find(|&i| sim.node_id(i) == id)
                .expect("the node exists")
        };
        let (pay, pay_q, push) = (node("pay"), node("pay-q"), node("push"));
        let retried = sim
            .journeys()
            .iter()
            .find(|j| {
                j.end.key() == "completed"
                    && j.hops.iter().any(|h| {
                        h.node == pay
                            && matches!(
                                h.kind,
                                HopKind::Process {
                                    attempt: 3,
                                    outcome: Outcome::Ok
                                }
                            )
                    })
            })
            .expect("a payment that succeeded on its third attempt");
        let at_pay: Vec<(u32, HopKind)> = retried
            .hops
            .iter()
            .filter(|h| h.node == pay || h.node == pay_q)
            .map(|h| (h.node, h.kind))
            .collect();
        // wait, fetch, fail, back off in the queue, wait, fetch, fail, …
        let attempts: Vec<(u32, Outcome)> = at_pay
            .iter()
            .filter_map(|&(_, k)| match k {
                HopKind::Process { attempt, outcome } => Some((attempt, outcome)),
                _ => None,
            })
            .collect();
        assert_eq!(attempts.len(), 3, "{at_pay:?}");
        assert_eq!(attempts[2], (3, Outcome::Ok), "{at_pay:?}");
        for (i, &(attempt, outcome)) in attempts[..2].iter().enumerate() {
            assert_eq!(attempt as usize, i + 1);
            assert_ne!(outcome, Outcome::Ok, "{at_pay:?}");
        }
        let backoffs: Vec<u32> = at_pay
            .iter()
            .filter_map(|&(n, k)| match k {
                HopKind::Backoff { attempt } => {
                    assert_eq!(n, pay_q, "pulled messages back off in their queue");
                    Some(attempt)
                }
                _ => None,
            })
            .collect();
        assert_eq!(backoffs, [1, 2], "{at_pay:?}");
        // Pushed messages back off at the consumer.
        assert!(sim.journeys().iter().any(|j| {
            j.hops
                .iter()
                .any(|h| h.node == push && matches!(h.kind, HopKind::Backoff { .. }))
        }));
        // Links with latency show as transits; the service call as its own hop.
        assert!(retried.hops.iter().any(|h| h.node == pay_q
            && matches!(h.kind, HopKind::Transit { to } if to == pay)
            && h.duration().0 == 1_000_000));
        assert!(
            retried
                .hops
                .iter()
                .any(|h| sim.node_id(h.node) == "api" && h.kind.key() == "process")
        );
    }

    #[test]
    fn fan_out_copies_are_children_of_their_message() {
        let (_, sim) = run(BUSY, every(1));
        let journeys = sim.journeys();
        let mut children = 0;
        for child in journeys {
            let Some(fork) = child.parent else { continue };
            children += 1;
            let parent = &journeys[fork.journey as usize];
            assert!(parent.id < child.id, "parents begin first");
            let hop = parent.hops[fork.hop as usize];
            assert!(
                hop.start <= child.created && child.created <= hop.end.max(child.created),
                "the copy is made during the parent's hop {hop:?}"
            );
            assert_eq!(child.event_type, parent.event_type);
            assert_eq!(child.key, parent.key);
            if fork.why == ForkKind::FanOut {
                assert_ne!(child.msg_id, parent.msg_id, "a copy has its own identity");
                assert_eq!(child.hops[0].node, hop.node, "copied where the parent was");
            } else {
                assert_eq!(child.msg_id, parent.msg_id, "the same message again");
                // The queue delivers again while a consumer holds the original.
                assert_eq!(sim.node_id(child.hops[0].node), "pay-q");
                assert!(["pay", "api"].contains(&sim.node_id(hop.node)), "{hop:?}");
            }
        }
        let mut roots: Vec<u64> = journeys
            .iter()
            .filter(|j| j.parent.is_none())
            .map(|j| j.msg_id)
            .collect();
        let followed = roots.len();
        roots.sort_unstable();
        roots.dedup();
        assert_eq!(roots.len(), followed, "each event has its own identity");
        // A-type events go to the topic's two subscriptions (one copy) and
        // the split makes a second part: two children per A event followed.
        let a_roots = journeys
            .iter()
            .filter(|j| j.parent.is_none() && j.event_type == "A")
            .count();
        let fan_out = journeys
            .iter()
            .filter(|j| j.parent.is_some_and(|f| f.why == ForkKind::FanOut))
            .count();
        assert!(fan_out >= a_roots, "{fan_out} copies of {a_roots} A events");
        let redelivered = journeys
            .iter()
            .filter(|j| j.parent.is_some_and(|f| f.why == ForkKind::Redelivery))
            .count();
        assert!(redelivered > 0, "80 ms visibility timeouts expire");
        assert!(children >= fan_out + redelivered);
    }

    #[test]
    fn sampling_follows_one_in_n_by_creation_order() {
        let (_, all) = run(BUSY, every(1));
        let (_, some) = run(BUSY, every(10));
        let roots = |sim: &Simulation| -> Vec<SimTime> {
            sim.journeys()
                .iter()
                .filter(|j| j.parent.is_none())
                .map(|j| j.created)
                .collect()
        };
        let (all, some) = (roots(&all), roots(&some));
        // The 1st, 11th, 21st, … of every event.
        for (k, created) in some.iter().enumerate().take(all.len() / 10) {
            assert_eq!(*created, all[k * 10], "sampled event {k}");
        }
    }

    #[test]
    fn memory_is_bounded_by_the_caps() {
        // Every attempt fails and is retried at once, forever.
        let text = r#"(
            version: 1,
            name: "storm",
            scenario: (duration: "10s", seed: 2),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 5.0))),
                (id: "q", kind: Queue()),
                (id: "w", kind: Consumer(service: Constant("1ms"), failure: 1.0, retry: Immediate())),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "w")],
        )"#;
        let options = JourneyOptions {
            every: 1,
            max_journeys: 20,
            max_hops: 16,
        };
        let (_, sim) = run(text, Some(options));
        let journeys = sim.journeys();
        assert_eq!(journeys.len(), 20, "the journey cap");
        let trace = sim.trace().expect("on");
        assert_eq!(trace.skipped, 50 - 20, "one event per 200 ms for 10 s");
        for journey in &trace.journeys {
            assert_eq!(journey.hops.len(), 16, "the hop cap");
            let HopKind::Elided { hops } = journey.hops[15].kind else {
                panic!("the last hop covers the rest: {:?}", journey.hops[15]);
            };
            assert!(hops > 100, "{hops} hops left out");
            assert_tiles(journey, trace.at);
        }
    }

    #[test]
    fn off_by_default() {
        let (_, sim) = run(BUSY, None);
        assert!(sim.journeys().is_empty());
        assert!(sim.trace().is_none());
    }
}
