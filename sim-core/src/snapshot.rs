//! What a running simulation looks like right now, for a live view.
//!
//! [`Simulation::snapshot`] copies the current state of every node and
//! edge — how many messages each holds, whether it is blocked or down,
//! its breaker, its counters, each partition of a log — and a bounded
//! sample of recent messages (the last few crossings of each edge, and
//! messages on links with latency with how far along they are). It reads
//! and never changes the simulation, and costs a few microseconds per
//! node and edge: cheap enough to take tens of times a second on a model
//! of hundreds of nodes.
//!
//! A view derives rates by comparing two snapshots' cumulative counters
//! ([`EdgeSnapshot::carried`], [`NodeSnapshot::arrived`], …) over their
//! clocks.

use crate::engine::{EdgeIx, RECENT, RECENT_LOST, Simulation};
use crate::nodes::breaker::BreakerState;
use crate::nodes::{Kind, Runtime, with_kind};
use crate::report::Conservation;
use crate::time::{Duration, SimTime};

/// At most this many messages on links with latency per edge.
pub const MAX_IN_TRANSIT_PER_EDGE: usize = 8;

/// The state of a whole run at one instant.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub now: SimTime,
    pub end: SimTime,
    pub seed: u64,
    /// Engine events processed so far.
    pub events: u64,
    /// Where every message is (since the start, warm-up included).
    pub totals: Conservation,
    /// In model order.
    pub nodes: Vec<NodeSnapshot>,
    /// In model order.
    pub edges: Vec<EdgeSnapshot>,
    /// A bounded sample of messages: recent crossings and messages on
    /// links with latency.
    pub messages: Vec<MessageDot>,
    /// Event type names; [`MessageDot::event_type`] indexes this.
    pub event_types: Vec<String>,
}

/// One node now.
#[derive(Clone, Debug, PartialEq)]
pub struct NodeSnapshot {
    pub id: String,
    pub kind: Kind,
    /// Messages waiting (queue depth, consumer inbox, sink backlog).
    pub depth: u64,
    /// Every message the node is responsible for (waiting, in service,
    /// received and unacknowledged, reserved on its way in).
    pub held: u64,
    /// What it can hold or work on at once, if bounded: a queue's or
    /// dead-letter queue's capacity, a consumer's slots, a sink's or
    /// service's concurrency.
    pub capacity: Option<u64>,
    /// Slots busy (messages in service).
    pub busy: u64,
    /// Slots holding finished work that waits for room downstream (a
    /// consumer's): neither free nor in service.
    pub blocked_slots: u64,
    /// Consumer instances running.
    pub instances: u64,
    /// Waiting for room downstream (a producer holding an event, a
    /// consumer holding finished work, a topic or router whose next
    /// message waits for a full subscriber or route).
    pub blocked: bool,
    /// Down because of a crash fault (a replicated broker: electing a
    /// new leader, or every replica down).
    pub down: bool,
    /// A replicated broker electing a new leader (it is down meanwhile).
    pub electing: bool,
    /// A replicated broker refusing writes for too few in-sync replicas.
    pub refusing: bool,
    /// A broker switching to its standby region (it is down meanwhile).
    pub switching: bool,
    /// An Event Hubs log turning sends away (it refused one within the
    /// last second), or a Pub/Sub push subscription whose consumers
    /// refused a push within the last second.
    pub throttling: bool,
    /// Sends an Event Hubs log refused (dropped, or made to wait); a
    /// serverless consumer's messages refused at its concurrency limit;
    /// pushes a Pub/Sub subscription's consumers refused.
    pub throttled: u64,
    /// A consumer's circuit breaker, if it has one.
    pub breaker: Option<BreakerState>,
    /// A log's largest consumer-group lag, in records (0 for other kinds).
    pub lag: u64,
    /// A producer's rate now, in percent of its designed rate (100 unless
    /// turned while running; 0: it sends only by hand); `None` for other
    /// kinds.
    pub load: Option<u32>,
    /// A log's partitions, in order (empty for other kinds).
    pub partitions: Vec<PartitionSnapshot>,
    /// Counters since the start of the warm-up-free part of the run (they
    /// restart when the warm-up ends, like the report's).
    pub arrived: u64,
    pub departed: u64,
    pub completed: u64,
    pub dropped: u64,
    /// A durable broker's messages its crashes lost (the report's `lost`).
    pub lost: u64,
    /// A producer's or consumer's rows in its outbox, not yet published;
    /// `None` without an outbox.
    pub outbox: Option<u64>,
    /// A consumer's or projection's events of a schema version it does not
    /// read: upcast, and rejected or dropped (the report's `upcast`, and
    /// `version_rejected` + `version_dropped`); 0 without `versions`.
    pub upcast: u64,
    pub wrong_version: u64,
    pub dead_lettered: u64,
    pub retries: u64,
    pub redelivered: u64,
    /// Messages a consumer finished, or a sink received, after a later
    /// one of their producer and key (the report's `out_of_order`).
    pub out_of_order: u64,
    pub timeouts: u64,
    /// Messages received past their deadline and discarded (a
    /// consumer's), and processed anyway.
    pub expired: u64,
    pub late: u64,
    /// A service's calls in progress whose caller stopped waiting: busy
    /// slots working for nobody.
    pub wasted: u64,
}

/// One partition of a log now. Over its consumer groups, the numbers
/// of the group furthest behind: a partition that holds one group back
/// shows, however well the others keep up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PartitionSnapshot {
    /// Records the partition holds (appended and not yet removed by the
    /// retention), read or not.
    pub records: u64,
    /// The largest group lag in this partition, in records: appended and
    /// not yet committed, records in progress included.
    pub lag: u64,
    /// How long the oldest record some group has yet to commit has been
    /// in the partition (zero when every group is caught up): a record
    /// failing again and again at the head of the partition makes this
    /// grow while the partition's other records wait behind it.
    pub oldest_unread: Duration,
}

/// One edge now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EdgeSnapshot {
    /// Messages carried since the start of the run (warm-up included).
    pub carried: u64,
    /// Its sender is waiting for its receiver to have room.
    pub blocked: bool,
    /// Messages crossing a link with latency now.
    pub in_transit: u64,
    /// A dead-letter edge: what crosses it failed.
    pub dead_letter: bool,
}

/// Where a sampled message is.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Place {
    /// On a link with latency, `progress` from 0 (just sent) to 1.
    InTransit { edge: u32, progress: f32 },
    /// Crossed `edge` (instantly, or arrived at its end) at `at`; `seq`
    /// is the edge's carried count after it, so a view can tell new
    /// crossings from ones it has shown.
    Crossed { edge: u32, at: SimTime, seq: u64 },
    /// Lost to a failure at `node` (model order) at `at`: a crash, a
    /// failover, a link's loss. `seq` counts the run's lost messages, so a
    /// view can tell new losses from ones it has shown.
    Lost { node: u32, at: SimTime, seq: u64 },
}

/// A sampled message.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MessageDot {
    /// Its identity (shared by redelivered instances).
    pub msg_id: u64,
    pub event_type: u16,
    /// Processing attempts or receives so far: above 1 means retried.
    pub attempts: u32,
    /// Nobody waits for it any more: past its deadline, or a send its
    /// client stopped waiting for (work on it is wasted).
    pub stale: bool,
    pub place: Place,
}

impl MessageDot {
    pub fn retried(&self) -> bool {
        self.attempts > 1
    }
}

impl Simulation {
    /// The state of the run now; see the [module docs](self).
    pub fn snapshot(&self) -> Snapshot {
        let mut out = Snapshot::default();
        self.snapshot_into(&mut out);
        out
    }

    /// [`Self::snapshot`] into an existing one, reusing its allocations.
    pub fn snapshot_into(&self, out: &mut Snapshot) {
        out.now = self.now;
        out.end = self.end();
        out.seed = self.seed();
        out.events = self.events();
        out.totals = Conservation {
            in_flight: self.msgs.live,
            ..self.totals
        };
        if out.event_types.len() != self.event_types.len() {
            out.event_types.clone_from(&self.event_types);
        }
        out.nodes.truncate(self.topo.len());
        for (i, topo) in self.topo.iter().enumerate() {
            // NOTE: the id and the partitions keep their allocations from
            // the previous snapshot: this runs for every node every frame.
            let (id, partitions) = match out.nodes.get_mut(i) {
                Some(slot) if slot.id == topo.id => (
                    std::mem::take(&mut slot.id),
                    std::mem::take(&mut slot.partitions),
                ),
                Some(slot) => (topo.id.clone(), std::mem::take(&mut slot.partitions)),
                None => (topo.id.clone(), Vec::new()),
            };
            let node = self.node_snapshot(i, id, partitions);
            match out.nodes.get_mut(i) {
                Some(slot) => *slot = node,
                None => out.nodes.push(node),
            }
        }
        out.edges.clear();
        out.messages.clear();
        for (e, edge) in self.edges.iter().enumerate() {
            let from = &self.topo[edge.from];
            let blocked = self.edge_waits(e);
            let transit = &self.transit[e];
            out.edges.push(EdgeSnapshot {
                carried: self.carried[e],
                blocked,
                in_transit: transit.len() as u64,
                dead_letter: from.dlq == Some(EdgeIx::at(e)),
            });
            let edge_ix = u32::try_from(e).unwrap_or(u32::MAX);
            for &(due, msg) in transit.iter().rev().take(MAX_IN_TRANSIT_PER_EDGE) {
                let m = self.msgs.get(msg);
                #[expect(clippy::cast_precision_loss, reason = "display value")]
                let progress = if edge.latency.is_zero() || edge.replicated {
                    // (A replicated write's time to go depends on its lag.)
                    1.0
                } else {
                    1.0 - due.since(self.now).as_nanos() as f32 / edge.latency.as_nanos() as f32
                };
                out.messages.push(MessageDot {
                    msg_id: m.lineage,
                    event_type: m.event_type,
                    attempts: m.attempts.max(m.receives),
                    stale: self.is_stale(msg),
                    place: Place::InTransit {
                        edge: edge_ix,
                        progress: progress.clamp(0.0, 1.0),
                    },
                });
            }
            if !self.watching() {
                continue;
            }
            let last = self.carried[e];
            let first = last.saturating_sub(RECENT as u64 - 1).max(1);
            for seq in first..=last {
                let c = self.recent[e][(seq % RECENT as u64) as usize];
                out.messages.push(MessageDot {
                    msg_id: c.lineage,
                    event_type: c.event_type,
                    attempts: c.attempts,
                    stale: c.stale,
                    place: Place::Crossed {
                        edge: edge_ix,
                        at: c.at,
                        seq: c.seq,
                    },
                });
            }
        }
        if self.watching() {
            let last = self.lost_noted;
            let first = last.saturating_sub(RECENT_LOST as u64 - 1).max(1);
            for seq in first..=last {
                let l = self.recent_lost[(seq % RECENT_LOST as u64) as usize];
                out.messages.push(MessageDot {
                    msg_id: l.lineage,
                    event_type: l.event_type,
                    attempts: 0,
                    stale: false,
                    place: Place::Lost {
                        node: l.node.0,
                        at: l.at,
                        seq: l.seq,
                    },
                });
            }
        }
    }

    /// Whether edge `e`'s sender waits for room at its receiver.
    fn edge_waits(&self, e: usize) -> bool {
        let edge = &self.edges[e];
        self.waiters[edge.to].contains(&edge.from)
    }

    /// One node's state, with `id` and into `partitions` (cleared first).
    fn node_snapshot(
        &self,
        i: usize,
        id: String,
        partitions: Vec<PartitionSnapshot>,
    ) -> NodeSnapshot {
        let topo = &self.topo[i];
        let st = &self.stats[i];
        let mut gauge = Gauge {
            breaker: None,
            lag: 0,
            partitions,
        };
        let slot = topo.slot;
        let (held, capacity) = with_kind!(topo.kind, P => P::gauge(self, slot, st, &mut gauge));
        let Gauge {
            breaker,
            lag,
            mut partitions,
        } = gauge;
        if topo.kind != Kind::Log {
            partitions.clear();
        }
        let reads = match topo.kind {
            Kind::Consumer => self.consumers[topo.slot].reads.as_deref(),
            Kind::Projection => self.projections[topo.slot].reads(),
            _ => None,
        };
        // A topic or router keeps no count of its own: it waits on the
        // receivers that refused it.
        let waiting = matches!(topo.kind, Kind::Topic | Kind::Router)
            && topo.out.iter().any(|&e| self.edge_waits(e.ix()));
        NodeSnapshot {
            id,
            kind: topo.kind,
            depth: st.depth.value(),
            held,
            capacity,
            busy: st.busy.value(),
            blocked_slots: if topo.kind == Kind::Consumer {
                st.blocked.value()
            } else {
                0
            },
            instances: st.instances.value(),
            blocked: st.blocked.value() > 0 || waiting,
            down: self.down[i] > 0,
            electing: self.durable[i].as_ref().is_some_and(|d| d.electing()),
            refusing: self.durable[i].as_ref().is_some_and(|d| d.refusing()),
            switching: self.durable[i].as_ref().is_some_and(|d| d.switching()),
            throttling: match topo.kind {
                Kind::Log => self.logs[topo.slot]
                    .throttle
                    .as_ref()
                    .is_some_and(|t| t.throttling(self.now)),
                Kind::Queue => self.queues[topo.slot]
                    .pubsub
                    .as_ref()
                    .is_some_and(|ps| ps.refusing(self.now)),
                _ => false,
            },
            throttled: st.throttled,
            breaker,
            lag,
            load: (topo.kind == Kind::Producer).then(|| self.producers[topo.slot].load()),
            partitions,
            arrived: st.arrived,
            departed: st.departed,
            completed: st.completed,
            dropped: st.dropped(),
            lost: crate::nodes::durability::lost(st),
            upcast: reads.map_or(0, |r| r.upcast),
            wrong_version: reads.map_or(0, |r| r.rejected + r.dropped),
            outbox: self.outboxes[i]
                .as_deref()
                .map(crate::nodes::outbox::OutboxRt::held),
            dead_lettered: st.dead_lettered,
            retries: st.retries,
            redelivered: st.redelivered,
            out_of_order: st.out_of_order,
            timeouts: st.timeouts,
            expired: st.expired,
            late: st.late,
            wasted: st.wasted.value(),
        }
    }
}

/// What a node's kind reports for its snapshot besides what it holds.
#[derive(Debug)]
pub(crate) struct Gauge {
    pub breaker: Option<BreakerState>,
    pub lag: u64,
    /// A log's partitions (cleared for every other kind).
    pub partitions: Vec<PartitionSnapshot>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;
    use crate::time::NANOS_PER_SEC;

    fn sim(text: &str) -> Simulation {
        let (model, problems) = from_str(text).expect("model");
        assert!(problems.is_empty(), "{problems:?}");
        Simulation::new(&model, 1).expect("sim")
    }

    const CHAIN: &str = r#"(
        version: 1,
        name: "chain",
        scenario: (duration: "60s", seed: 1),
        nodes: [
            (id: "src", kind: Producer(arrival: Constant(rate: 100.0))),
            (id: "q", kind: Queue(capacity: 10)),
            (id: "slow", kind: Consumer(service: Constant("50ms"))),
            (id: "out", kind: Sink()),
        ],
        edges: [
            (from: "src", to: "q"),
            (from: "q", to: "slow"),
            (from: "slow", to: "out", latency: "200ms"),
        ],
    )"#;

    #[test]
    fn a_full_blocking_queue_shows_as_a_blocked_producer_and_edge() {
        let mut s = sim(CHAIN);
        s.run_until(SimTime(5 * NANOS_PER_SEC)).expect("runs");
        let snap = s.snapshot();
        assert_eq!(snap.now, SimTime(5 * NANOS_PER_SEC));
        let src = &snap.nodes[0];
        let q = &snap.nodes[1];
        assert_eq!((src.id.as_str(), q.id.as_str()), ("src", "q"));
        assert_eq!(q.capacity, Some(10));
        assert_eq!(q.held, 10, "the queue is full");
        assert!(src.blocked, "the producer waits for room");
        assert_eq!(src.blocked_slots, 0, "a producer has no slots");
        assert!(snap.edges[0].blocked, "src → q is blocked");
        assert!(!snap.edges[1].blocked);
        // 20 messages per second leave the consumer; every one crossed q → slow.
        assert!(
            (snap.edges[1].carried as i64 - 100).abs() <= 11,
            "{}",
            snap.edges[1].carried
        );
        assert_eq!(snap.totals.in_flight, s.in_flight());
        assert!(snap.totals.balanced(), "{:?}", snap.totals);
    }

    #[test]
    fn messages_on_a_slow_link_have_progress_and_recent_crossings_are_sampled() {
        let mut s = sim(CHAIN);
        let mut unwatched = sim(CHAIN);
        s.watch_crossings();
        for sim in [&mut s, &mut unwatched] {
            sim.run_until(SimTime(3 * NANOS_PER_SEC + 10_000_000))
                .expect("runs");
        }
        let snap = s.snapshot();
        let on_link: Vec<f32> = snap
            .messages
            .iter()
            .filter_map(|m| match m.place {
                Place::InTransit { edge: 2, progress } => Some(progress),
                _ => None,
            })
            .collect();
        // 200 ms latency at 20/s: four messages on the link.
        assert_eq!(on_link.len(), 4, "{on_link:?}");
        assert!(on_link.iter().all(|p| (0.0..=1.0).contains(p)));
        let crossings = snap
            .messages
            .iter()
            .filter(|m| matches!(m.place, Place::Crossed { edge: 0, .. }))
            .count();
        assert_eq!(crossings, RECENT);
        // Unwatched, a run remembers no crossings, and its numbers are
        // the same.
        let plain = unwatched.snapshot();
        assert!(
            plain
                .messages
                .iter()
                .all(|m| !matches!(m.place, Place::Crossed { .. }))
        );
        assert_eq!(plain.totals, snap.totals);
        assert_eq!(plain.edges, snap.edges);
        assert_eq!(snap.event_types, vec!["event".to_owned()]);
    }

    #[test]
    fn snapshot_into_reuses_and_matches() {
        let mut s = sim(CHAIN);
        let mut reused = s.snapshot();
        s.run_until(SimTime(2 * NANOS_PER_SEC)).expect("runs");
        s.snapshot_into(&mut reused);
        assert_eq!(reused, s.snapshot());
    }

    #[test]
    fn a_poisoned_partition_shows_its_lag_while_the_others_flow() {
        // 40 orders a second over 4 partitions, and one poison order at
        // 1 s that fails 4 times, 1 s apart, before the dead-letter queue
        // takes it: its partition reads nothing meanwhile.
        let mut s = sim(r#"(version: 1, name: "poison", scenario: (duration: "20s"),
            nodes: [
                (id: "orders", kind: Producer(arrival: Constant(rate: 40.0), keys: 1000)),
                (id: "bad", kind: Producer(arrival: Constant(rate: 1.0), events: [(name: "bad")], limit: 1)),
                (id: "log", kind: Log(partitions: 4)),
                (id: "billing", kind: Consumer(instances: 4, service: Constant("5ms"),
                    retry: Fixed(delay: "1s", max_attempts: 4), poison: ["bad"])),
                (id: "dlq", kind: DeadLetter()),
            ],
            edges: [(from: "orders", to: "log"), (from: "bad", to: "log"),
                    (from: "log", to: "billing"), (from: "billing", to: "dlq")])"#);
        let lags = |s: &Simulation| {
            let snap = s.snapshot();
            let log = snap.nodes.iter().find(|n| n.id == "log").expect("the log");
            assert_eq!(log.partitions.len(), 4);
            assert_eq!(
                log.partitions.iter().map(|p| p.records).sum::<u64>(),
                log.held,
                "the partitions hold the log's records"
            );
            assert_eq!(
                log.partitions.iter().map(|p| p.lag).sum::<u64>(),
                log.lag,
                "with one group, the partitions' lags add up to the group's"
            );
            log.partitions.clone()
        };
        s.run_until(SimTime(2 * NANOS_PER_SEC)).expect("runs");
        let early = lags(&s);
        s.run_until(SimTime(3 * NANOS_PER_SEC + NANOS_PER_SEC / 2))
            .expect("runs");
        let blocked = lags(&s);
        let hot = (0..4)
            .max_by_key(|&p| blocked[p].lag)
            .expect("four partitions");
        // About 10 records a second pile up behind the poison order.
        assert!(
            blocked[hot].lag > early[hot].lag + 10 && blocked[hot].lag >= 20,
            "the poisoned partition's lag grows: {early:?} then {blocked:?}"
        );
        let stuck = blocked[hot].oldest_unread.0;
        assert!(
            (2 * NANOS_PER_SEC..=3 * NANOS_PER_SEC).contains(&stuck),
            "its head has waited since about 1 s: {stuck} ns"
        );
        for (p, part) in blocked.iter().enumerate().filter(|&(p, _)| p != hot) {
            assert!(
                part.lag <= 1 && part.oldest_unread.0 < NANOS_PER_SEC / 10,
                "partition {p} keeps flowing: {part:?}"
            );
        }
        // Dead-lettered after its fourth attempt (at 4 s), the partition
        // catches up.
        s.run_until(SimTime(6 * NANOS_PER_SEC)).expect("runs");
        let after = lags(&s);
        assert!(after.iter().all(|p| p.lag <= 1), "drained: {after:?}");
        // Other kinds have no partitions.
        let snap = s.snapshot();
        assert!(
            snap.nodes
                .iter()
                .filter(|n| n.id != "log")
                .all(|n| n.partitions.is_empty())
        );
    }

    #[test]
    fn a_consumer_s_blocked_slots_are_apart_from_its_busy_ones() {
        let mut s = sim(r#"(version: 1, name: "stall", scenario: (duration: "20s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 200.0))),
                (id: "in", kind: Queue(capacity: 50)),
                (id: "transform", kind: Consumer(concurrency: 4, service: Constant("5ms"))),
                (id: "out", kind: Queue(capacity: 5)),
                (id: "writer", kind: Consumer(service: Constant("50ms"))),
            ],
            edges: [(from: "src", to: "in"), (from: "in", to: "transform"),
                    (from: "transform", to: "out"), (from: "out", to: "writer")])"#);
        s.run_until(SimTime(3 * NANOS_PER_SEC)).expect("runs");
        let snap = s.snapshot();
        let transform = &snap.nodes[2];
        assert_eq!(transform.id, "transform");
        // 20 per second leave through the writer: the transform's four
        // slots hold finished work far more often than they work.
        assert!(transform.blocked, "the transform waits for the full queue");
        assert!((1..=4).contains(&transform.blocked_slots), "{transform:?}");
        assert!(
            transform.busy + transform.blocked_slots <= 4,
            "a slot is busy or blocked, not both: {transform:?}"
        );
        assert_eq!(snap.nodes[4].blocked_slots, 0, "the writer has room");
    }

    #[test]
    fn a_topic_waiting_for_a_full_subscriber_shows_as_blocked() {
        let mut s = sim(r#"(version: 1, name: "fanout", scenario: (duration: "20s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 100.0))),
                (id: "topic", kind: Topic()),
                (id: "small", kind: Queue(capacity: 5)),
                (id: "slow", kind: Consumer(service: Constant("100ms"))),
                (id: "big", kind: Queue()),
                (id: "fast", kind: Consumer(service: Constant("1ms"))),
            ],
            edges: [(from: "src", to: "topic"), (from: "topic", to: "small"), (from: "small", to: "slow"),
                    (from: "topic", to: "big"), (from: "big", to: "fast")])"#);
        s.run_until(SimTime(NANOS_PER_SEC / 100)).expect("runs");
        assert!(!s.snapshot().nodes[1].blocked, "room everywhere at first");
        s.run_until(SimTime(2 * NANOS_PER_SEC)).expect("runs");
        let snap = s.snapshot();
        let topic = &snap.nodes[1];
        assert_eq!(topic.id, "topic");
        assert!(topic.blocked, "the topic waits for the full queue");
        assert!(
            snap.edges[1].blocked,
            "topic → small is the blocked subscription"
        );
        assert!(!snap.edges[3].blocked, "topic → big has room");
    }

    #[test]
    fn snapshot_into_reuses_the_partitions() {
        let mut s = sim(r#"(version: 1, name: "log", scenario: (duration: "20s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 10.0))),
                (id: "events", kind: Log(partitions: 8)),
                (id: "a", kind: Consumer(service: Constant("1ms"))),
            ],
            edges: [(from: "src", to: "events"), (from: "events", to: "a")])"#);
        let mut reused = s.snapshot();
        let before = reused.nodes[1].partitions.as_ptr();
        s.run_until(SimTime(2 * NANOS_PER_SEC)).expect("runs");
        s.snapshot_into(&mut reused);
        assert_eq!(reused, s.snapshot());
        assert_eq!(
            reused.nodes[1].partitions.as_ptr(),
            before,
            "the same buffer, refilled"
        );
    }

    #[test]
    fn records_read_from_a_log_cross_its_edge_to_each_group() {
        let mut s = sim(r#"(version: 1, name: "log", scenario: (duration: "20s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 10.0))),
                (id: "events", kind: Log(partitions: 2)),
                (id: "a", kind: Consumer(service: Constant("1ms"))),
                (id: "b", kind: Consumer(service: Constant("1ms"))),
            ],
            edges: [(from: "src", to: "events"), (from: "events", to: "a"), (from: "events", to: "b")])"#);
        s.run_until(SimTime(10 * NANOS_PER_SEC)).expect("runs");
        let snap = s.snapshot();
        let sent = snap.edges[0].carried;
        assert!(sent >= 99, "src → events carried {sent}");
        for (e, group) in [(1, "a"), (2, "b")] {
            let arrived = snap
                .nodes
                .iter()
                .find(|n| n.id == group)
                .expect("node")
                .arrived;
            assert_eq!(
                snap.edges[e].carried, arrived,
                "every record group {group} read crossed events → {group}"
            );
            assert!(
                arrived + 1 >= sent,
                "group {group} keeps up: {arrived} of {sent}"
            );
        }
    }
}
