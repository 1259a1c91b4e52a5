//! Queue: an SQS-style point-to-point queue.
//!
//! Consumers connected to it compete for its messages, pulling one whenever
//! they have a free slot. A received message stays in the queue, invisible,
//! until its consumer acknowledges it; if that takes longer than the
//! visibility timeout the queue delivers it again (a duplicate). A message
//! that fails goes back into the queue (after its retry delay); once it has
//! been received `max_receives` times it moves to the dead-letter queue.
//!
//! Capacity counts every message the queue holds: visible, waiting out a
//! retry delay, received but not yet acknowledged, and on its way in over
//! an edge with latency. When it is full, the overflow policy decides:
//! block the sender (backpressure), drop the newest, or drop the oldest.

use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};

use super::pubsub::PubSubDelivery;
use crate::engine::{EdgeIx, Ev, MsgId, NodeIx, Origin, Simulation, Slot, wrap};
use crate::export::asyncapi::whole_seconds;
use crate::export::dead_letter_of;
use crate::export::terraform::{Terraform, one_line, string, visibility};
use crate::fifo::Fifo;
use crate::journey::HopKind;
use crate::metrics::DropReason;
use crate::model::{Model, Node};
use crate::time::{Duration, SimTime};

/// A queue's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueueParams {
    /// Most messages held at once; `None` for unbounded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub capacity: Option<u64>,
    /// What happens when a message arrives at a full queue.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub overflow: Overflow,
    /// How long a received message stays invisible before it is delivered
    /// again if not acknowledged.
    #[serde(
        default = "default_visibility",
        skip_serializing_if = "is_default_visibility"
    )]
    pub visibility_timeout: Duration,
    /// After this many receives a message goes to the dead-letter queue
    /// instead of back into the queue; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_receives: Option<u32>,
    /// A message older than this (since its producer created it) is
    /// removed unread when it reaches the head of the queue, counted as
    /// expired; `None` keeps messages until they are read.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<Duration>,
    /// How the queue sheds load when it cannot keep up.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub shed: Shedding,
    /// Replicas, acknowledgements and persistence; `None` for one broker
    /// on disk (a crash is an outage that loses nothing).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durability: Option<super::durability::Durability>,
    /// Message groups, as an SQS FIFO queue keeps them: `None` for a
    /// standard queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fifo: Option<FifoGroups>,
    /// A Google Cloud Pub/Sub subscription: its delivery (pull or push)
    /// and retry policy; `None` for an SQS-style queue.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pubsub: Option<super::pubsub::PubSub>,
}

/// A FIFO queue's message groups. A message's group is its key. The queue
/// hands out one message of a group at a time, in the order they arrived:
/// the next waits until the one before is acknowledged, dead-lettered or
/// dropped. A message that fails goes back to the head of its group, so a
/// poison message holds its group up until it is dead-lettered, while
/// the other groups go on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FifoGroups {
    /// Most messages a group hands out per second; `None` for no limit
    /// beyond one at a time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_rate: Option<f64>,
}

impl FifoGroups {
    /// The shortest time between two messages of a group.
    fn gap(self) -> Duration {
        self.group_rate
            .filter(|r| r.is_finite() && *r > 0.0)
            .map_or(Duration::ZERO, |r| Duration::from_secs_f64(1.0 / r))
    }

    fn problems(self, out: &mut Vec<String>) {
        if let Some(rate) = self.group_rate {
            if !(rate.is_finite() && rate > 0.0) {
                out.push(format!(
                    "a FIFO queue's group_rate must be a number above 0 (it is {rate}); leave it out for no limit"
                ));
            } else if rate > super::limits::MAX_RATE {
                out.push(format!(
                    "a FIFO queue's group_rate must be at most {} per second",
                    super::limits::MAX_RATE
                ));
            }
        }
    }
}

/// How a queue sheds load when it cannot keep up.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Shedding {
    /// It does not: first in, first out, whatever the wait.
    #[default]
    None,
    /// A message past its deadline (its producer's `ttl`) is removed
    /// unread when it reaches the head, counted as expired: the oldest
    /// that nobody waits for go first, at no cost to the consumers.
    Expired,
    /// Last in, first out while more than `above` messages wait; first in,
    /// first out below. Under overload the newest messages, whose senders
    /// still wait, are served, and the oldest wait on.
    AdaptiveLifo { above: u64 },
    /// CoDel: once every message taken for an `interval` has waited longer
    /// than `target`, the head is dropped (reason `shed`), then again at
    /// shortening intervals (`interval / √n`) until a message waited less
    /// than the target.
    CoDel {
        target: Duration,
        interval: Duration,
    },
}

impl Shedding {
    pub const fn label(self) -> &'static str {
        match self {
            Self::None => "none (first in, first out)",
            Self::Expired => "drop what is past its deadline",
            Self::AdaptiveLifo { .. } => "adaptive LIFO",
            Self::CoDel { .. } => "CoDel (target delay)",
        }
    }
}

/// SQS's default visibility timeout.
const fn default_visibility() -> Duration {
    Duration::from_secs(30)
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_default_visibility(d: &Duration) -> bool {
    *d == default_visibility()
}

impl Default for QueueParams {
    fn default() -> Self {
        Self {
            capacity: None,
            overflow: Overflow::Block,
            visibility_timeout: default_visibility(),
            max_receives: None,
            retention: None,
            shed: Shedding::None,
            durability: None,
            fifo: None,
            pubsub: None,
        }
    }
}

/// What a full queue does with a new message.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Overflow {
    /// Refuse it: the sender waits (backpressure travels upstream).
    #[default]
    Block,
    /// Drop the arriving message.
    DropNewest,
    /// Drop the oldest waiting message to make room.
    DropOldest,
}

impl QueueParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.capacity == Some(0) {
            out.push(
                "capacity must be at least 1 (leave it out for an unbounded queue)".to_owned(),
            );
        }
        if self.visibility_timeout.is_zero() {
            out.push("the visibility timeout must be longer than zero".to_owned());
        }
        if self.max_receives == Some(0) {
            out.push("max_receives must be at least 1".to_owned());
        }
        if let Some(capacity) = self.capacity {
            super::check_at_most("capacity", capacity, super::limits::MAX_CAPACITY, &mut out);
        }
        if let Some(receives) = self.max_receives {
            super::check_at_most(
                "max_receives",
                receives,
                super::limits::MAX_ATTEMPTS,
                &mut out,
            );
        }
        super::check_durations(
            &[("the visibility timeout", self.visibility_timeout)],
            &mut out,
        );
        if let Some(retention) = self.retention {
            if retention.is_zero() {
                out.push(
                    "the retention must be longer than zero (leave it out to keep messages until they are read)"
                        .to_owned(),
                );
            }
            super::check_durations(&[("the retention", retention)], &mut out);
        }
        match self.shed {
            Shedding::AdaptiveLifo { above: 0 } => out.push(
                "adaptive LIFO needs a threshold of at least 1 message (at 0 it is always LIFO)"
                    .to_owned(),
            ),
            Shedding::CoDel { target, interval } => {
                if target.is_zero() || interval.is_zero() {
                    out.push("CoDel's target and interval must be longer than zero".to_owned());
                }
                super::check_durations(
                    &[("CoDel's target", target), ("CoDel's interval", interval)],
                    &mut out,
                );
            }
            _ => {}
        }
        super::durability::check(self.durability.as_ref(), &mut out);
        if let Some(fifo) = self.fifo {
            fifo.problems(&mut out);
        }
        if let Some(pubsub) = self.pubsub {
            super::pubsub::problems(self, pubsub, &mut out);
        }
        out
    }
}

/// CoDel's state: when the sojourn first stayed above the target, and,
/// while dropping, when the next drop is due and how many were dropped.
#[derive(Clone, Copy, Debug, Default)]
struct CoDel {
    first_above: Option<SimTime>,
    dropping: bool,
    drop_next: SimTime,
    count: u32,
}

/// A FIFO queue's groups during a run.
#[derive(Clone, Debug, Default)]
struct Groups {
    /// The groups that have a message out or waiting, by key.
    by_key: std::collections::BTreeMap<u32, Group>,
    /// The shortest time between two messages of a group.
    gap: Duration,
}

impl Groups {
    /// Group `key` has nothing out and nothing waiting: it is forgotten,
    /// unless its rate still holds its next message back.
    fn rest(&mut self, key: u32, now: SimTime) {
        match self.by_key.get_mut(&key) {
            Some(group) if group.next > now => group.out = false,
            _ => {
                self.by_key.remove(&key);
            }
        }
    }
}

/// One message group of a FIFO queue.
#[derive(Clone, Debug, Default)]
struct Group {
    /// One of its messages is out: visible, received, waiting out a retry
    /// delay, or due to be shown (`Ev::GroupDue`).
    out: bool,
    /// Its messages waiting behind the one out, oldest first.
    behind: std::collections::VecDeque<MsgId>,
    /// When it may show its next message (the group rate).
    next: SimTime,
}

/// A queue during a run.
#[derive(Clone, Debug)]
pub(crate) struct QueueRt {
    capacity: u64,
    overflow: Overflow,
    visibility: Duration,
    pub(super) max_receives: u32,
    /// Retention, shedding or a push window: the head is checked before
    /// it is taken.
    sheds: bool,
    retention: Option<Duration>,
    shed: Shedding,
    codel: CoDel,
    pub(super) visible: Fifo<MsgId>,
    /// Waiting out a retry delay.
    delayed: u64,
    /// Received and not yet acknowledged.
    in_flight: u64,
    /// On their way in over edges with latency.
    pub reserved: u64,
    /// Arrivals that may exceed a capacity lowered while they were on
    /// their way (live changes).
    grace: u64,
    /// (deadline, message, ticket) of receipts whose end is not known
    /// (see [`Simulation::queue_watch_receipt`]), oldest first; entries
    /// whose message was acknowledged are skipped when reached.
    receipts: Fifo<(SimTime, MsgId, u32)>,
    timer_pending: bool,
    /// Message groups (a FIFO queue): only the message of each group that
    /// is out is visible; the others wait here.
    groups: Option<Box<Groups>>,
    /// Messages waiting behind their group's (a FIFO queue).
    backlog: u64,
    /// A Pub/Sub subscription's retry policy and push window.
    pub pubsub: Option<Box<super::pubsub::PubSubRt>>,
    /// Message groups or Pub/Sub: a settled message has more to do.
    extras: bool,
    /// Consumers reading this queue (node indices).
    pub consumers: Vec<NodeIx>,
    /// The one consumer reading this queue, when there is exactly one
    /// (the commonest shape): its node and slot.
    pub sole_reader: Option<(NodeIx, Slot)>,
    next_consumer: usize,
}

impl QueueRt {
    pub fn new(params: &QueueParams) -> Self {
        Self {
            grace: 0,
            capacity: params.capacity.unwrap_or(u64::MAX),
            overflow: params.overflow,
            visibility: params.visibility_timeout.max(Duration(1)),
            max_receives: params.max_receives.unwrap_or(u32::MAX),
            sheds: params.retention.is_some()
                || params.shed != Shedding::None
                || params
                    .pubsub
                    .is_some_and(|p| p.delivery == PubSubDelivery::Push),
            retention: params.retention,
            shed: params.shed,
            codel: CoDel::default(),
            visible: Fifo::default(),
            receipts: Fifo::default(),
            timer_pending: false,
            delayed: 0,
            in_flight: 0,
            reserved: 0,
            groups: params.fifo.map(|f| {
                Box::new(Groups {
                    gap: f.gap(),
                    ..Groups::default()
                })
            }),
            backlog: 0,
            pubsub: params
                .pubsub
                .map(|p| Box::new(super::pubsub::PubSubRt::new(p))),
            extras: params.fifo.is_some() || params.pubsub.is_some(),
            consumers: Vec::new(),
            sole_reader: None,
            next_consumer: 0,
        }
    }

    /// Every message the queue is responsible for.
    #[inline(always)]
    pub fn occupancy(&self) -> u64 {
        self.waiting() + self.delayed + self.in_flight + self.reserved
    }

    /// The messages waiting to be received: visible, and behind their
    /// group's (a FIFO queue).
    #[inline(always)]
    pub(super) fn waiting(&self) -> u64 {
        self.visible.len() as u64 + self.backlog
    }

    /// The capacity, if bounded.
    pub fn capacity(&self) -> Option<u64> {
        (self.capacity != u64::MAX).then_some(self.capacity)
    }

    /// Whether a sender may deliver now (only a full blocking queue refuses).
    #[inline(always)]
    pub fn has_room(&self) -> bool {
        self.capacity == u64::MAX
            || self.overflow != Overflow::Block
            || self.occupancy() < self.capacity
    }
}

impl QueueRt {
    /// New limits from now on; what the queue holds stays.
    pub fn retune(&mut self, params: &QueueParams) {
        let fresh = Self::new(params);
        // Messages already crossing a link had room reserved under the old
        // capacity: they are let in even if the new one is lower.
        self.grace = self.reserved;
        self.capacity = fresh.capacity;
        self.overflow = fresh.overflow;
        self.visibility = fresh.visibility;
        self.max_receives = fresh.max_receives;
        self.sheds = fresh.sheds;
        self.retention = fresh.retention;
        self.shed = fresh.shed;
        if let (Some(groups), Some(fresh)) = (self.groups.as_mut(), fresh.groups) {
            groups.gap = fresh.gap;
        }
        self.pubsub = match (self.pubsub.take(), params.pubsub) {
            (Some(mut rt), Some(p)) => {
                rt.retune(p);
                Some(rt)
            }
            (_, p) => p.map(|p| Box::new(super::pubsub::PubSubRt::new(p))),
        };
        self.extras = self.groups.is_some() || self.pubsub.is_some();
    }
}

impl Simulation {
    fn queue_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    #[inline(always)]
    pub(crate) fn queue_arrive(&mut self, node: NodeIx, q: Slot, msg: MsgId) {
        if self.is_down(node) && self.lost_on_arrival(node, msg) {
            return;
        }
        let queue = &self.queues[q];
        if queue.occupancy() >= queue.capacity {
            match queue.overflow {
                Overflow::Block => {
                    // Senders check for room first and edges reserve it, so
                    // this is reached only by messages that reserved room
                    // before a live change lowered the capacity.
                    debug_assert!(
                        self.queues[q].grace > 0,
                        "a blocking queue received a message while full"
                    );
                    let queue = &mut self.queues[q];
                    queue.grace = queue.grace.saturating_sub(1);
                }
                Overflow::DropNewest => {
                    self.drop_msg(node, msg, DropReason::QueueFull);
                    return;
                }
                Overflow::DropOldest => {
                    if let Some(oldest) = self.queues[q].visible.pop_front() {
                        if self.queues[q].groups.is_some() {
                            let key = self.msgs.get(oldest).key;
                            self.queue_group_done(node, q, key);
                        }
                        self.drop_msg(node, oldest, DropReason::EvictedOldest);
                    } else {
                        // Everything held is being processed: nothing to evict.
                        self.drop_msg(node, msg, DropReason::QueueFull);
                        return;
                    }
                }
            }
        }
        if self.queues[q].groups.is_some() {
            self.queue_group_arrive(node, q, msg);
            return;
        }
        // (Its wait started as it arrived.)
        self.queue_enqueue(node, q, msg);
    }

    /// `msg` waits in the queue again from now on.
    #[inline(always)]
    fn queue_push_visible(&mut self, node: NodeIx, q: Slot, msg: MsgId) {
        // (A message handed back by its reader, in the reader's event.)
        self.touch(node);
        self.msgs.get_mut(msg).wait_from = self.now;
        self.queue_enqueue(node, q, msg);
    }

    /// `msg`, waiting since its `wait_from`, joins the visible messages.
    #[inline(always)]
    fn queue_enqueue(&mut self, node: NodeIx, q: Slot, msg: MsgId) {
        self.journey_hop(msg, node, HopKind::Wait);
        self.queue_show(node, q, msg);
    }

    /// `msg` joins the visible messages, and the consumers are offered it.
    #[inline(always)]
    fn queue_show(&mut self, node: NodeIx, q: Slot, msg: MsgId) {
        let now = self.now;
        let queue = &mut self.queues[q];
        queue.visible.push_back(msg);
        let depth = queue.waiting();
        self.stats[node].depth.set(now, depth);
        self.queue_dispatch(node, q);
    }

    /// `msg` arrives at FIFO queue `node`: it is shown if its group has
    /// nothing out, else it waits behind the group's.
    #[cold]
    #[inline(never)]
    fn queue_group_arrive(&mut self, node: NodeIx, q: Slot, msg: MsgId) {
        let now = self.now;
        let key = self.msgs.get(msg).key;
        let queue = &mut self.queues[q];
        let groups = queue.groups.as_deref_mut().expect("a FIFO queue");
        let gap = groups.gap;
        let group = groups.by_key.entry(key).or_default();
        if !group.out && group.next <= now {
            group.out = true;
            group.next = now + gap;
            self.queue_enqueue(node, q, msg);
            return;
        }
        group.behind.push_back(msg);
        let due = (!group.out).then_some(group.next);
        group.out = true;
        queue.backlog += 1;
        let depth = queue.waiting();
        self.stats[node].depth.set(now, depth);
        self.journey_hop(msg, node, HopKind::Wait);
        if let Some(due) = due {
            // Nothing out, but the group rate holds the next one back.
            self.schedule(due, Ev::GroupDue { node, key });
        }
    }

    /// The message of group `key` that was out has left FIFO queue `node`
    /// for good (acknowledged, dead-lettered, dropped or lost): the
    /// group's next, if any, is shown as an event of its own (at once, or
    /// when the group rate allows), so that no receive or crash in
    /// progress sees the queue change under it.
    #[cold]
    #[inline(never)]
    fn queue_group_done(&mut self, node: NodeIx, q: Slot, key: u32) {
        let now = self.now;
        let Some(groups) = self.queues[q].groups.as_deref_mut() else {
            return;
        };
        let Some(group) = groups.by_key.get(&key) else {
            debug_assert!(false, "group {key} had nothing out");
            return;
        };
        if group.behind.is_empty() {
            groups.rest(key, now);
            return;
        }
        let due = group.next.max(now);
        self.schedule(due, Ev::GroupDue { node, key });
    }

    /// The next message of group `key` of FIFO queue `node` is due to be
    /// shown.
    pub(crate) fn queue_group_due(&mut self, node: NodeIx, key: u32) {
        let now = self.now;
        let q = self.queue_slot(node);
        let queue = &mut self.queues[q];
        let Some(groups) = queue.groups.as_deref_mut() else {
            return;
        };
        let gap = groups.gap;
        let Some(group) = groups.by_key.get_mut(&key) else {
            return;
        };
        let Some(msg) = group.behind.pop_front() else {
            // A crash took what waited.
            groups.rest(key, now);
            return;
        };
        group.next = now + gap;
        queue.backlog -= 1;
        self.queue_show(node, q, msg);
    }

    /// Offers waiting messages to the consumers with free slots.
    #[inline(always)]
    pub(crate) fn queue_dispatch(&mut self, node: NodeIx, q: Slot) {
        let queue = &self.queues[q];
        if let Some((reader, c)) = queue.sole_reader {
            // One consumer, the commonest shape: no turn to keep.
            if !queue.visible.is_empty() && !self.is_down(reader) {
                self.consumer_fill_at(reader, c);
            }
            return;
        }
        let n = queue.consumers.len();
        let start = self.queues[q].next_consumer;
        for k in 0..n {
            if self.queues[q].visible.is_empty() {
                break;
            }
            let c = self.queues[q].consumers[wrap(start + k, n)];
            self.consumer_fill(c);
        }
        if n > 0 {
            self.queues[q].next_consumer = wrap(start + 1, n);
            if self.queues[q].pubsub.is_some() {
                self.queue_push_check(node, q);
            }
        }
    }

    /// A push subscription with a message still visible and room in its
    /// window after its consumers took what they could: the next push
    /// finds its endpoint busy or down.
    #[cold]
    #[inline(never)]
    fn queue_push_check(&mut self, node: NodeIx, q: Slot) {
        let queue = &self.queues[q];
        let open = queue
            .pubsub
            .as_deref()
            .is_some_and(|ps| ps.push.is_some() && ps.may_push(queue.in_flight, self.now));
        if open && !queue.visible.is_empty() && !self.is_down(node) {
            self.pubsub_push_refused(node, q);
        }
    }

    /// Consumer `taker` takes the oldest visible message, if any: it is
    /// in service there from now. Returns the message and its new ticket.
    #[inline(always)]
    pub(crate) fn queue_receive(
        &mut self,
        node: NodeIx,
        q: Slot,
        taker: NodeIx,
    ) -> Option<(MsgId, u32)> {
        let now = self.now;
        let queue = &mut self.queues[q];
        let (msg, depth) = if queue.sheds {
            self.queue_take_shedding(node, q)?
        } else {
            let msg = queue.visible.pop_front()?;
            queue.in_flight += 1;
            (msg, queue.waiting())
        };
        let m = self.msgs.get_mut(msg);
        m.receives += 1;
        m.ticket = m.ticket.wrapping_add(1);
        m.origin = Origin::source(node);
        let waited = now - m.wait_from;
        m.wait_from = now;
        m.node_in = now;
        m.held_by = taker;
        let ticket = m.ticket;
        let stats = &mut self.stats[node];
        stats.departed += 1;
        stats.wait.record(waited);
        stats.depth.set(now, depth);
        Some((msg, ticket))
    }

    /// The receipt of `msg` (carrying `ticket`), received from queue
    /// `node` (at slot `q`) just now, is watched from now on. `held_until`
    /// is when its consumer will be done with it, if that is known: the
    /// receipt needs a timer of its own only if it outlives its timeout. A
    /// receipt whose end is not known (the message still crosses a link,
    /// or waits on a call to a service) joins the queue's line of
    /// receipts, checked in deadline order by one timer.
    ///
    /// NOTE: most attempts end well within the timeout; their receipts are
    /// never looked at again, which saves a line entry, and a check, per
    /// message.
    #[inline(always)]
    pub(crate) fn queue_watch_receipt(
        &mut self,
        node: NodeIx,
        q: Slot,
        msg: MsgId,
        ticket: u32,
        held_until: Option<SimTime>,
    ) {
        let deadline = self.now + self.queues[q].visibility;
        match held_until {
            Some(end) if end <= deadline => {}
            Some(_) => self.schedule(deadline, Ev::ReceiptExpiry { node, msg, ticket }),
            None => self.queue_line_receipt(node, q, msg, deadline, ticket),
        }
    }

    fn queue_line_receipt(
        &mut self,
        node: NodeIx,
        q: Slot,
        msg: MsgId,
        deadline: SimTime,
        ticket: u32,
    ) {
        let queue = &mut self.queues[q];
        queue.receipts.push_back((deadline, msg, ticket));
        if !queue.timer_pending {
            queue.timer_pending = true;
            self.schedule(deadline, Ev::VisibilityCheck(node));
        }
    }

    /// The consumer holding a receipt is done with it (acknowledged, or
    /// dead-lettered by the consumer): the queue forgets the message,
    /// whose key was `key`.
    #[inline(always)]
    pub(crate) fn queue_release(&mut self, node: NodeIx, key: u32) {
        let q = self.queue_slot(node);
        self.queue_release_at(node, q, key);
    }

    /// The next message to hand out from a queue with a retention or a
    /// shedding policy, now in flight, and the depth left: what the policy
    /// removes on the way is expired or dropped here.
    #[cold]
    #[inline(never)]
    fn queue_take_shedding(&mut self, node: NodeIx, q: Slot) -> Option<(MsgId, u64)> {
        let now = self.now;
        let queue = &self.queues[q];
        if let Some(ps) = queue.pubsub.as_deref()
            && !ps.may_push(queue.in_flight, now)
        {
            // A push subscription's window is full, or it backs off.
            return None;
        }
        let mut removed = false;
        let taken = loop {
            let queue = &mut self.queues[q];
            let lifo = matches!(queue.shed, Shedding::AdaptiveLifo { above } if queue.visible.len() as u64 > above);
            let Some(msg) = (if lifo {
                queue.visible.pop_back()
            } else {
                queue.visible.pop_front()
            }) else {
                break None;
            };
            let m = self.msgs.get(msg);
            let too_old = self.queues[q]
                .retention
                .is_some_and(|r| now.since(m.created) > r);
            let expired =
                too_old || (self.queues[q].shed == Shedding::Expired && m.deadline.passed(now));
            let shed = !expired && self.queue_codel_drops(q, now.since(m.wait_from));
            if !expired && !shed {
                break Some(msg);
            }
            removed = true;
            let depth = self.queues[q].waiting();
            self.stats[node].depth.set(now, depth);
            let key = self.msgs.get(msg).key;
            self.queue_group_done(node, q, key);
            self.msgs.get_mut(msg).origin = Origin::PUSHED;
            if expired {
                self.stats[node].expired += 1;
                self.expire_msg(node, msg);
            } else {
                self.drop_msg(node, msg, DropReason::Shed);
            }
        };
        if removed {
            // Room appeared: senders waiting for it are woken as an event
            // of this instant, not from inside a consumer's receive.
            self.schedule(now, Ev::WakeWaiters(node));
        }
        let queue = &mut self.queues[q];
        queue.in_flight += u64::from(taken.is_some());
        taken.map(|msg| (msg, queue.waiting()))
    }

    /// CoDel (RFC 8289) at queue slot `q`, for a message about to be taken
    /// after waiting `sojourn`: whether it is dropped instead.
    fn queue_codel_drops(&mut self, q: Slot, sojourn: Duration) -> bool {
        let now = self.now;
        let queue = &mut self.queues[q];
        let Shedding::CoDel { target, interval } = queue.shed else {
            return false;
        };
        let c = &mut queue.codel;
        // Whether the sojourn has stayed above the target for an interval.
        let above = if sojourn < target {
            c.first_above = None;
            false
        } else {
            match c.first_above {
                None => {
                    c.first_above = Some(now + interval);
                    false
                }
                Some(at) => now >= at,
            }
        };
        let next = |count: u32| {
            Duration::from_secs_f64(interval.as_secs_f64() / f64::from(count.max(1)).sqrt())
        };
        if c.dropping {
            if !above {
                c.dropping = false;
                return false;
            }
            if now >= c.drop_next {
                c.count += 1;
                c.drop_next += next(c.count);
                return true;
            }
            return false;
        }
        if !above {
            return false;
        }
        // Start dropping; pick up the previous rate if it ended recently.
        c.dropping = true;
        let recent = now.since(c.drop_next) < Duration(interval.0.saturating_mul(16));
        c.count = if recent && c.count > 2 {
            c.count - 2
        } else {
            1
        };
        c.drop_next = now + next(c.count);
        true
    }

    /// [`Self::queue_release`] for the queue at slot `q`.
    #[inline(always)]
    pub(crate) fn queue_release_at(&mut self, node: NodeIx, q: Slot, key: u32) {
        let queue = &mut self.queues[q];
        queue.in_flight -= 1;
        if queue.extras {
            self.queue_settled_extras(node, q, key);
        }
        self.wake_waiters(node);
    }

    /// A message of a FIFO queue or a Pub/Sub subscription was settled:
    /// its group shows its next, and a push window grows.
    #[cold]
    #[inline(never)]
    fn queue_settled_extras(&mut self, node: NodeIx, q: Slot, key: u32) {
        if self.queues[q].groups.is_some() {
            self.queue_group_done(node, q, key);
        }
        if let Some(ps) = self.queues[q].pubsub.as_deref_mut() {
            ps.acked();
            self.pubsub_poke(node, q);
        }
    }

    /// A consumer failed `msg` and will retry it: it goes back into the
    /// queue after `delay` — or to the dead-letter queue once it has been
    /// received `max_receives` times. Returns whether it went back.
    pub(crate) fn queue_nack(&mut self, node: NodeIx, msg: MsgId, delay: Duration) -> bool {
        let q = self.queue_slot(node);
        self.queues[q].in_flight -= 1;
        // The receipt ends here: its visibility timer must not fire.
        let m = self.msgs.get_mut(msg);
        m.origin = Origin::PUSHED;
        m.ticket = m.ticket.wrapping_add(1);
        if self.msgs.get(msg).receives >= self.queues[q].max_receives {
            self.queue_to_dead_letter(node, msg);
            self.wake_waiters(node);
            return false;
        }
        self.stats[node].retries += 1;
        let mut delay = delay;
        if let Some(ps) = self.queues[q].pubsub.as_deref_mut() {
            // Pub/Sub's retry policy decides when a nacked message is back.
            ps.failed();
            let receives = self.msgs.get(msg).receives;
            delay = ps.backoff(receives).unwrap_or(delay);
            self.pubsub_poke(node, q);
        }
        if delay.is_zero() {
            self.queue_push_visible(node, q, msg);
        } else {
            self.queue_hold_back(node, q, msg, delay);
        }
        true
    }

    /// `msg` waits out `delay` (a retry delay, a backoff) before the queue
    /// shows it again.
    pub(crate) fn queue_hold_back(&mut self, node: NodeIx, q: Slot, msg: MsgId, delay: Duration) {
        let attempt = self.msgs.get(msg).attempts;
        self.journey_hop(msg, node, HopKind::Backoff { attempt });
        self.queues[q].delayed += 1;
        self.schedule(self.now + delay, Ev::QueueVisible { node, msg });
    }

    pub(crate) fn queue_visible(&mut self, node: NodeIx, msg: MsgId) {
        let q = self.queue_slot(node);
        self.queues[q].delayed -= 1;
        if self.msgs.get(msg).receives >= self.queues[q].max_receives {
            // Back from a crashed consumer with no receives left.
            self.queue_to_dead_letter(node, msg);
            self.wake_waiters(node);
            return;
        }
        self.queue_push_visible(node, q, msg);
    }

    /// Moves `msg` (no longer counted by the queue) to the dead-letter
    /// queue, or drops it if there is none.
    pub(crate) fn queue_to_dead_letter(&mut self, node: NodeIx, msg: MsgId) {
        let q = self.queue_slot(node);
        let key = self.msgs.get(msg).key;
        self.queue_group_done(node, q, key);
        self.msgs.get_mut(msg).origin = Origin::PUSHED;
        match self.topo[node].dlq {
            Some(edge) => {
                self.stats[node].dead_lettered += 1;
                self.transmit(edge, msg);
            }
            None => self.drop_msg(node, msg, DropReason::MaxReceives),
        }
    }

    /// The consumer holding `msg` crashed: the message stays invisible
    /// until its visibility timeout ends, then the queue shows it again.
    pub(crate) fn queue_abandon(&mut self, node: NodeIx, msg: MsgId) {
        let q = self.queue_slot(node);
        let queue = &mut self.queues[q];
        queue.in_flight -= 1;
        queue.delayed += 1;
        let deadline = (self.msgs.get(msg).wait_from + queue.visibility).max(self.now);
        let m = self.msgs.get_mut(msg);
        m.origin = Origin::PUSHED;
        m.ticket = m.ticket.wrapping_add(1);
        self.stats[node].redelivered += 1;
        self.journey_hop(msg, node, HopKind::Invisible);
        self.schedule(deadline, Ev::QueueVisible { node, msg });
        self.pubsub_poke(node, q);
    }

    /// Takes out the waiting messages that arrived at or after `since`
    /// (a crash lost them; see `durability`).
    pub(crate) fn queue_take_since(&mut self, node: NodeIx, since: SimTime) -> Vec<MsgId> {
        let q = self.queue_slot(node);
        let msgs = &self.msgs;
        let queue = &mut self.queues[q];
        let mut gone = queue.visible.take_where(|&m| msgs.get(m).node_in >= since);
        let shown = gone.len();
        if let Some(groups) = queue.groups.as_deref_mut() {
            for group in groups.by_key.values_mut() {
                let before = group.behind.len();
                group.behind.retain(|&m| {
                    let lost = msgs.get(m).node_in >= since;
                    if lost {
                        gone.push(m);
                    }
                    !lost
                });
                queue.backlog -= (before - group.behind.len()) as u64;
            }
        }
        let depth = queue.waiting();
        self.stats[node].depth.set(self.now, depth);
        // The groups whose shown message was lost show their next.
        let keys: Vec<u32> = gone[..shown]
            .iter()
            .map(|&m| self.msgs.get(m).key)
            .collect();
        for key in keys {
            self.queue_group_done(node, q, key);
        }
        gone
    }

    /// A queue back from an outage offers what waits to its consumers.
    pub(crate) fn queue_recover(&mut self, node: NodeIx) {
        let q = self.queue_slot(node);
        self.queue_dispatch(node, q);
    }

    /// The dead-letter edge a consumer may use for messages it received
    /// from this queue.
    pub(crate) fn queue_dead_letter_edge(&self, node: NodeIx) -> Option<EdgeIx> {
        self.topo[node].dlq
    }

    /// The visibility timeout of a receipt ran out: unless its consumer
    /// was done with the message meanwhile (it acknowledged, failed or
    /// lost it, or the slot holds another message: the ticket and origin
    /// tell), the queue delivers the message again.
    pub(crate) fn queue_receipt_expired(&mut self, node: NodeIx, msg: MsgId, ticket: u32) {
        if self.queue_receipt_live(node, msg, ticket) {
            let q = self.queue_slot(node);
            self.queue_redeliver(node, q, msg);
        }
    }

    /// Whether the receipt `ticket` still covers `msg` at queue `node`.
    fn queue_receipt_live(&self, node: NodeIx, msg: MsgId, ticket: u32) -> bool {
        let m = self.msgs.get(msg);
        m.ticket == ticket && m.origin == Origin::source(node)
    }

    /// The queue's line of receipts is due: expired ones are delivered
    /// again, and the timer is set for the next live one.
    pub(crate) fn queue_visibility_check(&mut self, node: NodeIx) {
        let q = self.queue_slot(node);
        self.queues[q].timer_pending = false;
        let now = self.now;
        while let Some(&(deadline, msg, ticket)) = self.queues[q].receipts.front() {
            if !self.queue_receipt_live(node, msg, ticket) {
                self.queues[q].receipts.pop_front();
                continue;
            }
            if deadline > now {
                self.queues[q].timer_pending = true;
                self.schedule(deadline, Ev::VisibilityCheck(node));
                return;
            }
            self.queues[q].receipts.pop_front();
            self.queue_redeliver(node, q, msg);
        }
    }

    /// The receipt of `msg` expired while its consumer still holds it: the
    /// consumer keeps its copy, now detached from the queue, and the queue
    /// delivers the message again.
    fn queue_redeliver(&mut self, node: NodeIx, q: Slot, msg: MsgId) {
        self.msgs.get_mut(msg).origin = Origin::DETACHED;
        self.queues[q].in_flight -= 1;
        let again = self.duplicate(node, msg);
        self.totals.redelivered += 1;
        self.stats[node].redelivered += 1;
        let backoff = match self.queues[q].pubsub.as_deref_mut() {
            Some(ps) => {
                // An ack deadline that ran out is a failed delivery.
                ps.failed();
                let backoff = ps.backoff(self.msgs.get(again).receives);
                self.pubsub_poke(node, q);
                backoff
            }
            None => None,
        };
        if self.msgs.get(again).receives >= self.queues[q].max_receives {
            self.queue_to_dead_letter(node, again);
            self.wake_waiters(node);
        } else if let Some(backoff) = backoff.filter(|b| !b.is_zero()) {
            self.queue_hold_back(node, q, again, backoff);
        } else {
            self.queue_push_visible(node, q, again);
        }
    }
}

impl crate::nodes::KindSpec for QueueParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Queue;
    const KEY: &'static str = "queue";
    const LABEL: &'static str = "queue";
    const PLURAL: &'static str = "queues";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Depth, Dropped, ThroughputIn, ThroughputOut};
        &[ThroughputIn, ThroughputOut, Depth, Dropped]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit {
        wait: true,
        sojourn: false,
        end_to_end: false,
        lag: true,
        lag_time: false,
        staleness: false,
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("cds", "#fdebd0");
    const MERMAID: (&'static str, &'static str) = ("[(", ")]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        if let Some(pubsub) = self.pubsub {
            out.push(super::pubsub::summary(self, pubsub));
        } else if let Some(fifo) = self.fifo {
            out.push(match fifo.group_rate {
                Some(rate) => format!("SQS FIFO, groups by key, {rate}/s per group"),
                None => "SQS FIFO, groups by key".to_owned(),
            });
        }
        if let Some(c) = self.capacity {
            let overflow = match self.overflow {
                Overflow::Block => "block",
                Overflow::DropNewest => "drop newest",
                Overflow::DropOldest => "drop oldest",
            };
            out.push(format!("capacity {c}, {overflow}"));
        }
        if let Some(m) = self.max_receives {
            out.push(if self.pubsub.is_some() {
                format!("max delivery attempts {m}")
            } else {
                format!("max receives {m}")
            });
        }
        out.extend(
            self.durability
                .as_ref()
                .map(super::durability::Durability::summary),
        );
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        Vec::new()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.no_input() {
            return;
        }
        if w.data_out == 0 {
            w.warning("no consumer reads this queue: messages pile up until it is full");
        }
        if self.max_receives.is_some() && w.dlq_out == 0 {
            w.warning(
                "max_receives is set but no dead-letter queue is connected: messages over the limit are dropped",
            );
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        if self
            .pubsub
            .is_some_and(|p| p.delivery == PubSubDelivery::Push)
        {
            return crate::theory::Role::Opaque(
                "a push subscription keeps a window of messages outstanding that grows and halves with the consumers' answers, and a busy consumer refuses a push"
                    .to_owned(),
            );
        }
        if self.pubsub.is_some_and(|p| p.retry.is_some()) {
            return crate::theory::Role::Opaque(
                "a Pub/Sub retry policy holds a failed message back for a growing backoff before it is delivered again"
                    .to_owned(),
            );
        }
        if self.fifo.is_some() {
            return crate::theory::Role::Opaque(
                "a FIFO queue hands out one message of a group at a time, so its consumers wait on the groups as well as on the servers"
                    .to_owned(),
            );
        }
        crate::theory::Role::Buffer(crate::theory::Buffer {
            capacity: self.capacity,
            overflow: self.overflow,
            visibility: self.visibility_timeout,
            max_receives: self.max_receives,
        })
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        if self.fifo.is_some() != new.fifo.is_some() {
            return Some("turning message groups (FIFO) on or off");
        }
        if self.pubsub.map(|p| p.delivery) != new.pubsub.map(|p| p.delivery) {
            return Some("changing how a subscription delivers (Pub/Sub push or pull)");
        }
        super::durability::restart_reason(self.durability.as_ref(), new.durability.as_ref())
    }
}

impl crate::nodes::Runtime for QueueParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        cx.durable(sim, self.durability.as_ref());
        sim.queues.push(QueueRt::new(self));
        sim.queues.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, node: NodeIx, slot: Slot) {
        sim.queues[slot].retune(self);
        // More room may let blocked senders go on.
        if sim.queues[slot].has_room() {
            sim.wake_waiters(node);
        }
    }

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.queues[slot].occupancy()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.queue_recover(node);
        sim.wake_waiters(node);
    }

    fn slow(sim: &mut Simulation, node: NodeIx, _slot: Slot, factor: f64) {
        sim.broker_slow(node, factor);
    }

    fn reset(_sim: &mut Simulation, _now: SimTime) {}

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        r.level("mean_depth", "max_depth", &st.depth, end);
        r.latency("wait_s", &st.wait.summary());
        r.count("retries", st.retries);
        r.count("redelivered", st.redelivered);
        r.count("dead_lettered", st.dead_lettered);
        let queue = &sim.queues[topo.slot];
        if queue.pubsub.as_ref().is_some_and(|ps| ps.push.is_some()) {
            r.count("push_refused", st.throttled);
        }
        if queue.retention.is_some() || queue.shed == Shedding::Expired {
            r.count("expired", st.expired);
        }
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        let q = &sim.queues[slot];
        (q.occupancy(), q.capacity())
    }
}

/// A FIFO queue's name (SQS requires the `.fifo` suffix) and attributes:
/// message groups are the simulated keys; with a group rate, the
/// high-throughput mode that limits each group rather than the queue.
fn fifo_attributes(out: &mut String, id: &str, groups: FifoGroups) {
    let _ = writeln!(out, "  name = {}", string(&format!("{id}.fifo")));
    out.push_str("  fifo_queue = true # simulated: message groups by key, one out at a time\n");
    out.push_str("  content_based_deduplication = true\n");
    if let Some(rate) = groups.group_rate {
        out.push_str("  deduplication_scope = \"messageGroup\"\n");
        let _ = writeln!(
            out,
            "  fifo_throughput_limit = \"perMessageGroupId\" # simulated: group_rate {rate}/s"
        );
    }
}

/// Whether the dead-letter queue `dlq` is fed by a FIFO queue (SQS
/// requires a FIFO queue's dead-letter queue to be FIFO too).
pub(crate) fn feeds_fifo_dead_letter(model: &Model, dlq: NodeIndex) -> bool {
    model
        .graph
        .edges_directed(dlq, Direction::Incoming)
        .any(|e| matches!(&model.graph[e.source()].kind, crate::nodes::NodeKind::Queue(q) if q.fifo.is_some()))
}

impl crate::export::KindExport for QueueParams {
    const ASYNCAPI_CHANNEL: bool = true;

    /// An SQS queue: its visibility timeout, and the redrive policy to its
    /// dead-letter queue.
    /// SQS's binding; none for a Pub/Sub subscription (see the topic's).
    fn asyncapi_channel_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value> {
        if self.pubsub.is_some() {
            return None;
        }
        let graph = &model.graph;
        let mut queue = Map::new();
        queue.insert("name".into(), json!(graph[n].id));
        queue.insert("fifoQueue".into(), json!(self.fifo.is_some()));
        if let Some(s) = whole_seconds(self.visibility_timeout, 43_200) {
            queue.insert("visibilityTimeout".into(), json!(s));
        }
        if let Some(dlq) = dead_letter_of(model, n) {
            let mut redrive = Map::new();
            redrive.insert("deadLetterQueue".into(), json!({ "name": graph[dlq].id }));
            if let Some(m) = self.max_receives {
                redrive.insert("maxReceiveCount".into(), json!(m));
            }
            queue.insert("redrivePolicy".into(), Value::Object(redrive));
        }
        Some(json!({ "sqs": { "queue": queue, "bindingVersion": "0.2.0" } }))
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = "; grant it sqs:SendMessage (not generated)";

    /// An `aws_sqs_queue`: visibility timeout, and a redrive policy to its
    /// dead-letter queue with the receive limit (its own, or its
    /// consumers' `max_attempts`).
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let model = tf.model;
        let graph = &model.graph;
        let node = &graph[n];
        let _ = writeln!(out, "resource \"aws_sqs_queue\" \"{}\" {{", tf.name_of(n));
        match self.fifo {
            Some(groups) => fifo_attributes(out, &node.id, groups),
            None => {
                let _ = writeln!(out, "  name = {}", string(&node.id));
            }
        }
        visibility(out, self.visibility_timeout);
        // Without a receive limit, the consumers' max_attempts is the
        // number of receives after which the simulation dead-letters.
        let receives_limit = crate::export::azure::receive_limit(model, n, self.max_receives);
        match (dead_letter_of(model, n), receives_limit) {
            (Some(dlq), Some((count, from))) => {
                out.push_str("  redrive_policy = jsonencode({\n");
                let _ = writeln!(
                    out,
                    "    deadLetterTargetArn = aws_sqs_queue.{}.arn # simulated: dead-letter edge",
                    tf.name_of(dlq)
                );
                let _ = writeln!(
                    out,
                    "    maxReceiveCount     = {count} # simulated: {}",
                    one_line(&from)
                );
                out.push_str("  })\n");
            }
            (Some(dlq), None) => {
                let _ = writeln!(
                    out,
                    "  # Not mapped: dead-letter queue '{}' without a receive limit (no max_receives, no consumer max_attempts): SQS needs maxReceiveCount, so there is no redrive policy.",
                    one_line(&graph[dlq].id)
                );
            }
            (None, _) => {}
        }
        if let Some(c) = self.capacity {
            let overflow = match self.overflow {
                Overflow::Block => "blocks senders",
                Overflow::DropNewest => "drops the newest",
                Overflow::DropOldest => "drops the oldest",
            };
            let _ = writeln!(
                out,
                "  # Not mapped: capacity {c}, {overflow} when full: SQS queues are unbounded."
            );
        }
        out.push_str("}\n");
    }

    /// A Service Bus queue: its lock is the visibility timeout, its
    /// delivery count the receive limit, a FIFO queue has sessions.
    fn azure(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        use crate::export::azure::{
            lock_duration, max_delivery_count, receive_limit, servicebus_queue,
        };
        let model = tf.model;
        servicebus_queue(tf, out, n);
        lock_duration(out, self.visibility_timeout);
        max_delivery_count(out, receive_limit(model, n, self.max_receives));
        match dead_letter_of(model, n) {
            Some(dlq) => {
                let _ = writeln!(
                    out,
                    "  # Simulated: dead-letter edge to '{}': Service Bus moves what reaches max_delivery_count to this queue's dead-letter subqueue.",
                    one_line(&model.graph[dlq].id)
                );
            }
            None => out.push_str(
                "  # Not mapped: no dead-letter edge, so the model drops what runs out of deliveries; Service Bus keeps it in the queue's dead-letter subqueue.\n",
            ),
        }
        if let Some(groups) = self.fifo {
            out.push_str(
                "  requires_session    = true # simulated: FIFO by message group (a session per group: send the key as the session id)\n",
            );
            if let Some(rate) = groups.group_rate {
                let _ = writeln!(
                    out,
                    "  # Not mapped: group_rate {rate}/s: Service Bus has no per-session throughput limit."
                );
            }
        }
        if let Some(c) = self.capacity {
            let _ = writeln!(
                out,
                "  # Not mapped: capacity {c} messages: Service Bus bounds a queue in megabytes (max_size_in_megabytes)."
            );
        }
        out.push_str("}\n");
    }

    /// A Pub/Sub subscription.
    fn gcp(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        crate::export::gcp::subscription(tf, out, n, self);
    }

    /// No Kafka topic: a queue's messages go to one consumer each; it maps to SQS, not to a log.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::metric as get;
    use crate::metric_or_zero;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    /// One event a second through a queue with a 60 ms visibility timeout
    /// to a consumer with a constant service time; `link` is the queue →
    /// consumer edge's latency.
    fn run(service: &str, link: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "receipts",
                scenario: (duration: "100.5s", seed: 1),
                nodes: [
                    (id: "src", kind: Producer(arrival: Constant(rate: 1.0))),
                    (id: "q", kind: Queue(visibility_timeout: "60ms", max_receives: 2)),
                    (id: "srv", kind: Consumer(service: Constant("{service}"))),
                    (id: "out", kind: Sink()),
                    (id: "dlq", kind: DeadLetter()),
                ],
                edges: [
                    (from: "src", to: "q"), (from: "q", to: "srv", latency: "{link}"),
                    (from: "srv", to: "out"), (from: "q", to: "dlq"),
                ],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        run_once(&model, 1).expect("runs")
    }

    #[test]
    fn an_attempt_that_ends_by_the_deadline_keeps_its_receipt() {
        for service in ["50ms", "60ms"] {
            let r = run(service, "0ms");
            assert_eq!(get(&r, "q", "redelivered"), 0.0, "service {service}");
            assert_eq!(get(&r, "out", "completed"), 100.0, "service {service}");
        }
    }

    #[test]
    fn an_attempt_that_outlives_the_deadline_is_delivered_again() {
        // Each event: received at t, shown again at t + 60 ms while the
        // first attempt runs to t + 100 ms (and goes on downstream); the
        // second copy, received at t + 100 ms, expires at t + 160 ms with
        // its two receives used up, and moves to the dead-letter queue
        // while its attempt goes on to t + 200 ms.
        let r = run("100ms", "0ms");
        assert_eq!(get(&r, "q", "redelivered"), 200.0);
        assert_eq!(get(&r, "q", "dead_lettered"), 100.0);
        assert_eq!(get(&r, "out", "completed"), 200.0);
        // A drop reason that never occurred is left out of the report.
        assert_eq!(metric_or_zero(&r, "srv", "drops.receipt_expired"), 0.0);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    #[test]
    fn a_receipt_can_run_out_while_the_message_crosses_the_link() {
        // 80 ms on the link and 10 ms of work: the receipt of t runs out at
        // t + 60 ms, before the work starts.
        let r = run("10ms", "80ms");
        assert_eq!(get(&r, "q", "redelivered"), 200.0);
        assert_eq!(get(&r, "q", "dead_lettered"), 100.0);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    /// 30 messages a second, each worth processing for 1 s, against a
    /// consumer that handles 20: an overloaded queue with `queue` options.
    fn overloaded(queue: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "shedding",
                scenario: (duration: "300s", warmup: "30s", seed: 3),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 30.0), ttl: Constant("1s"))),
                    (id: "q", kind: Queue({queue})),
                    (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "100ms"),
                        on_expired: Process)),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = run_once(&model, 3).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    #[test]
    fn shedding_keeps_an_overloaded_queue_useful() {
        let fifo = overloaded("");
        // First in, first out: every message waits ever longer, and
        // almost nothing finishes within its second.
        let goodput = |r: &RunResult| get(r, "out", "goodput_per_s");
        assert!(goodput(&fifo) < 1.0, "FIFO goodput {}", goodput(&fifo));
        assert!(get(&fifo, "q", "wait_s.mean") > 30.0);

        // Removing what is past its deadline at the head: the consumer
        // works only on messages still in time, though the oldest of them,
        // at the head, often finish just past their second.
        let expired = overloaded("shed: Expired");
        assert!(get(&expired, "q", "expired") > 2_000.0);
        assert_eq!(get(&expired, "srv", "late"), 0.0);
        assert!(goodput(&expired) > 5.0, "{}", goodput(&expired));

        // Adaptive LIFO: the newest are served first under overload.
        let lifo = overloaded("shed: AdaptiveLifo(above: 10)");
        assert!(goodput(&lifo) > 15.0, "LIFO goodput {}", goodput(&lifo));

        // CoDel keeps the standing queue near its target by dropping.
        let codel = overloaded(r#"shed: CoDel(target: "100ms", interval: "500ms")"#);
        assert!(metric_or_zero(&codel, "q", "drops.shed") > 1_000.0);
        let wait = get(&codel, "q", "wait_s.mean");
        assert!(wait < 1.0, "CoDel mean wait {wait}");
        assert!(goodput(&codel) > 10.0, "{}", goodput(&codel));
    }

    #[test]
    fn a_retention_removes_old_messages_unread() {
        let r = overloaded(r#"retention: "2s""#);
        assert!(get(&r, "q", "expired") > 2_000.0);
        // Nothing read was older than the retention when it was taken.
        let oldest = get(&r, "q", "wait_s.max");
        assert!(oldest <= 2.0 + 1e-9, "waited {oldest}");
    }

    /// Keyed events (20 keys, 40/s) through a queue to a consumer with 8
    /// slots and exponential service, then a sink; `queue` is the queue's
    /// parameters and `poison` the share of events of the poison type.
    fn groups(queue: &str, poison: f64) -> RunResult {
        groups_failing(queue, poison, 0.0)
    }

    /// [`groups`] with the consumer failing a share `failure` of its
    /// attempts at random (retried at once).
    fn groups_failing(queue: &str, poison: f64, failure: f64) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "groups",
                scenario: (duration: "300s", seed: 5),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 40.0), keys: 20,
                        events: [(name: "Order", weight: {good}), (name: "Bad", weight: {poison})])),
                    (id: "q", kind: Queue({queue})),
                    (id: "srv", kind: Consumer(service: Exponential(mean: "100ms"), concurrency: 8,
                        failure: {failure}, poison: ["Bad"], retry: Immediate(max_attempts: 100))),
                    (id: "out", kind: Sink()),
                    (id: "dlq", kind: DeadLetter()),
                ],
                edges: [
                    (from: "src", to: "q"), (from: "q", to: "srv"),
                    (from: "srv", to: "out"), (from: "q", to: "dlq"),
                ],
            )"#,
            good = 1.0 - poison,
            poison = poison.max(1e-9),
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = run_once(&model, 5).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    #[test]
    fn message_groups_keep_each_keys_order_through_competing_consumers() {
        // A standard queue: eight slots finish messages of a key out of
        // the order they were made.
        let standard = groups("", 0.0);
        assert!(get(&standard, "srv", "out_of_order") > 100.0);
        // The sink sees them in the order the consumer sends them on.
        assert_eq!(
            get(&standard, "out", "out_of_order"),
            get(&standard, "srv", "out_of_order")
        );
        // FIFO: one message of a key out at a time, so none.
        let fifo = groups("fifo: ()", 0.0);
        assert_eq!(get(&fifo, "srv", "out_of_order"), 0.0);
        assert_eq!(get(&fifo, "out", "out_of_order"), 0.0);
        // Both carry the whole load (ρ = 0.5).
        let done = |r: &RunResult| get(r, "out", "completed");
        assert!((done(&fifo) / done(&standard) - 1.0).abs() < 0.05);
        // Per key the load is 0.2 of one server: groups wait on each
        // other's messages, so FIFO waits longer.
        assert!(get(&fifo, "q", "wait_s.mean") > get(&standard, "q", "wait_s.mean"));
        // A failed attempt goes back to the head of its group: retries
        // reorder a standard queue, not a FIFO one.
        let retried = groups_failing("fifo: ()", 0.0, 0.3);
        assert!(get(&retried, "q", "retries") > 1_000.0);
        assert_eq!(get(&retried, "srv", "out_of_order"), 0.0);
        let standard = groups_failing("", 0.0, 0.3);
        assert!(get(&standard, "srv", "out_of_order") > get(&retried, "q", "retries") / 10.0);
    }

    #[test]
    fn a_poison_message_holds_up_its_group_until_it_is_dead_lettered() {
        let queue = r#"visibility_timeout: "5s", max_receives: 50, fifo: ()"#;
        let r = groups(queue, 0.005);
        // Every poison event ends in the dead-letter queue after its
        // receives, and nothing else does.
        let bad = get(&r, "q", "dead_lettered");
        assert!(bad > 20.0, "{bad}");
        assert_eq!(get(&r, "dlq", "stored"), bad);
        // While a poison message is retried, its group waits behind it:
        // 50 receives of 100 ms each hold the group ~5 s.
        assert!(get(&r, "q", "wait_s.max") > 3.0);
        // Order holds all the same.
        assert_eq!(get(&r, "out", "out_of_order"), 0.0);
        let standard = groups(r#"visibility_timeout: "5s", max_receives: 50"#, 0.005);
        assert!(get(&standard, "q", "wait_s.max") < get(&r, "q", "wait_s.max"));
    }

    #[test]
    fn a_group_rate_caps_each_groups_throughput() {
        let text = r#"(
            version: 1,
            name: "rate",
            scenario: (duration: "100s", seed: 2),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 30.0), keys: 2)),
                (id: "q", kind: Queue(fifo: (group_rate: 5.0))),
                (id: "srv", kind: Consumer(service: Constant("1ms"), concurrency: 4)),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = run_once(&model, 2).expect("runs");
        assert!(r.conservation.balanced());
        // Two groups at 5 a second each: 10 a second of the 30 arriving.
        let done = get(&r, "out", "completed");
        assert!((990.0..=1010.0).contains(&done), "{done}");
        assert!(get(&r, "q", "max_depth") > 1_900.0);
    }

    #[test]
    fn a_fifo_queue_checks_its_group_rate() {
        let bad = super::QueueParams {
            fifo: Some(super::FifoGroups {
                group_rate: Some(0.0),
            }),
            ..super::QueueParams::default()
        };
        assert!(
            bad.problems().iter().any(|p| p.contains("group_rate")),
            "{:?}",
            bad.problems()
        );
    }
}
