//! Consumer: a service or function that processes events.
//!
//! It has `instances × concurrency` slots; each slot processes one message
//! at a time for a service time drawn from its distribution. It pulls from
//! the queues connected to it whenever a slot is free; messages pushed to
//! it (by a producer, a topic or another consumer) wait in its inbox.
//!
//! A processing attempt fails with the failure probability. A failed
//! message is retried by the retry policy — back to the tail of its queue
//! (or the consumer's inbox) after the policy's delay — until it has had
//! `max_attempts` attempts; then it goes to the dead-letter queue (the
//! consumer's own, else its queue's), or is dropped if there is none.
//!
//! A processed message goes on along the consumer's outputs; a consumer
//! with no outputs is the end of its flow. If the next stage is full and
//! blocks, the slot holds the message until room appears.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::dist::{Dist, Sampler, to_ns};
use crate::engine::{Arena, DETACHED, Ev, MsgId, NO_NODE, NodeIx, Simulation, wrap};
use crate::metrics::DropReason;
use crate::rng::{Purpose, Stream, stream, unit};
use crate::time::Duration;

/// A consumer's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConsumerParams {
    /// Running instances.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub instances: u32,
    /// Messages each instance processes at once.
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub concurrency: u32,
    /// How long one message takes to process.
    pub service: Dist,
    /// Probability that an attempt fails.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failure: f64,
    /// What happens after a failure.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub retry: RetryPolicy,
}

const fn one() -> u32 {
    1
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_one(v: &u32) -> bool {
    *v == 1
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Default for ConsumerParams {
    fn default() -> Self {
        Self {
            instances: 1,
            concurrency: 1,
            service: Dist::Exponential {
                mean: Duration::from_millis(50),
            },
            failure: 0.0,
            retry: RetryPolicy::None,
        }
    }
}

/// How a consumer retries a failed message. `max_attempts` counts every
/// attempt, the first included; leave it out to retry without limit.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum RetryPolicy {
    /// A failure is final: the message is dead-lettered at once.
    #[default]
    None,
    /// Back to the tail of the queue at once.
    Immediate {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_attempts: Option<u32>,
    },
    /// Back after a fixed delay.
    Fixed {
        delay: Duration,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_attempts: Option<u32>,
    },
    /// Back after `initial × multiplier^(attempt−1)`, capped at
    /// `max_delay`, with jitter.
    Exponential {
        initial: Duration,
        #[serde(default = "two")]
        multiplier: f64,
        max_delay: Duration,
        #[serde(default, skip_serializing_if = "super::is_default")]
        jitter: Jitter,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_attempts: Option<u32>,
    },
}

const fn two() -> f64 {
    2.0
}

/// Randomisation of exponential backoff delays.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Jitter {
    /// Exactly the computed delay.
    None,
    /// Uniform between zero and the computed delay.
    #[default]
    Full,
    /// Half the computed delay plus uniform up to the other half.
    Equal,
}

impl RetryPolicy {
    /// Total attempts allowed (`u32::MAX`: unlimited).
    pub fn max_attempts(&self) -> u32 {
        match self {
            Self::None => 1,
            Self::Immediate { max_attempts }
            | Self::Fixed { max_attempts, .. }
            | Self::Exponential { max_attempts, .. } => max_attempts.unwrap_or(u32::MAX),
        }
    }

    /// The delay before the retry that follows failed attempt `attempt`
    /// (1-based), in nanoseconds.
    fn delay_ns(&self, attempt: u32, rng: &mut Stream) -> u64 {
        match *self {
            Self::None | Self::Immediate { .. } => 0,
            Self::Fixed { delay, .. } => delay.0,
            Self::Exponential {
                initial,
                multiplier,
                max_delay,
                jitter,
                ..
            } => {
                #[expect(clippy::cast_precision_loss, reason = "delays in ns")]
                let base = (initial.0 as f64
                    * multiplier
                        .powi(i32::try_from(attempt.saturating_sub(1)).unwrap_or(i32::MAX)))
                .min(max_delay.0 as f64);
                match jitter {
                    Jitter::None => to_ns(base),
                    Jitter::Full => to_ns(base * unit(rng)),
                    Jitter::Equal => to_ns(base / 2.0 + base / 2.0 * unit(rng)),
                }
            }
        }
    }

    fn problems(&self, out: &mut Vec<String>) {
        let attempts = match self {
            Self::None => None,
            Self::Immediate { max_attempts } | Self::Fixed { max_attempts, .. } => *max_attempts,
            Self::Exponential {
                initial,
                multiplier,
                max_delay,
                max_attempts,
                ..
            } => {
                if initial.is_zero() {
                    out.push("the initial backoff must be longer than zero".to_owned());
                }
                if !multiplier.is_finite() || *multiplier < 1.0 {
                    out.push(format!(
                        "the backoff multiplier must be at least 1 (found {multiplier})"
                    ));
                }
                if max_delay < initial {
                    out.push(format!(
                        "the maximum backoff ({max_delay}) is below the initial backoff ({initial})"
                    ));
                }
                *max_attempts
            }
        };
        if let Self::Fixed { delay, .. } = self
            && delay.is_zero()
        {
            out.push(
                "a fixed retry delay must be longer than zero (use Immediate for none)".to_owned(),
            );
        }
        if attempts == Some(0) {
            out.push("max_attempts must be at least 1".to_owned());
        }
    }
}

impl ConsumerParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.instances == 0 {
            out.push("instances must be at least 1".to_owned());
        }
        if self.concurrency == 0 {
            out.push("concurrency must be at least 1".to_owned());
        }
        if self.service.mean().is_zero() {
            out.push("the service time must be longer than zero".to_owned());
        }
        out.extend(self.service.problems());
        super::check_probability("failure probability", self.failure, &mut out);
        self.retry.problems(&mut out);
        out
    }

    /// Messages the consumer can process at once.
    pub fn slots(&self) -> u64 {
        u64::from(self.instances) * u64::from(self.concurrency)
    }
}

/// A consumer during a run.
#[derive(Debug)]
pub(crate) struct ConsumerRt {
    instances: u64,
    slots: u64,
    busy: u64,
    /// Processed messages waiting for room downstream, oldest first.
    blocked: VecDeque<MsgId>,
    inbox: VecDeque<MsgId>,
    /// Messages being fetched or processed; each knows its place here
    /// (`Msg::aux`), so a crash can find them all.
    in_service: Vec<MsgId>,
    /// Service-time multiplier (slow-down faults); 1 normally.
    slow: f64,
    /// Queues this consumer reads (node index, latency of the link).
    pub queues: Vec<(NodeIx, u64)>,
    /// Messages received from a queue and still crossing the link.
    fetching: u64,
    next_queue: usize,
    service: Sampler,
    failure: f64,
    retry: RetryPolicy,
    max_attempts: u32,
    rng_service: Stream,
    rng_failure: Stream,
    rng_backoff: Stream,
}

impl ConsumerRt {
    pub fn new(params: &ConsumerParams, seed: u64, id: &str) -> Self {
        Self {
            instances: u64::from(params.instances),
            slots: params.slots(),
            busy: 0,
            blocked: VecDeque::new(),
            inbox: VecDeque::new(),
            queues: Vec::new(),
            in_service: Vec::new(),
            slow: 1.0,
            fetching: 0,
            next_queue: 0,
            service: params.service.sampler(),
            failure: params.failure,
            retry: params.retry.clone(),
            max_attempts: params.retry.max_attempts(),
            rng_service: stream(seed, id, Purpose::Service),
            rng_failure: stream(seed, id, Purpose::Failures),
            rng_backoff: stream(seed, id, Purpose::Backoff),
        }
    }

    fn free(&self) -> u64 {
        self.slots
            .saturating_sub(self.busy + self.fetching + self.blocked.len() as u64)
    }

    fn track(&mut self, msg: MsgId, msgs: &mut Arena) {
        msgs.get_mut(msg).aux = u32::try_from(self.in_service.len()).unwrap_or(u32::MAX);
        self.in_service.push(msg);
    }

    fn untrack(&mut self, msg: MsgId, msgs: &mut Arena) {
        let pos = msgs.get(msg).aux as usize;
        self.in_service.swap_remove(pos);
        if let Some(&moved) = self.in_service.get(pos) {
            msgs.get_mut(moved).aux = u32::try_from(pos).unwrap_or(u32::MAX);
        }
    }

    /// Multiplies service times from now on (slow-down faults).
    pub fn scale_service(&mut self, factor: f64) {
        self.slow *= factor;
    }

    pub fn instances(&self) -> u64 {
        self.instances
    }

    pub fn slots_total(&self) -> u64 {
        self.slots
    }

    /// Messages this consumer holds (in its inbox, in service, blocked).
    pub fn held(&self) -> u64 {
        self.inbox.len() as u64 + self.busy + self.fetching + self.blocked.len() as u64
    }
}

impl Simulation {
    fn consumer_slot(&self, node: NodeIx) -> usize {
        self.topo[node as usize].slot as usize
    }

    /// A pushed message joins the inbox.
    pub(crate) fn consumer_arrive(&mut self, node: NodeIx, msg: MsgId) {
        if self.is_down(node) {
            self.drop_msg(node, msg, DropReason::NodeDown);
            return;
        }
        let c = self.consumer_slot(node);
        self.consumers[c].inbox.push_back(msg);
        let depth = self.consumers[c].inbox.len() as u64;
        self.stats[node as usize].depth.set(self.now, depth);
        self.consumer_fill(node);
    }

    /// Fills free slots: inbox first, then the queues in turn.
    pub(crate) fn consumer_fill(&mut self, node: NodeIx) {
        if self.is_down(node) {
            return;
        }
        let c = self.consumer_slot(node);
        while self.consumers[c].free() > 0 {
            let msg = if let Some(msg) = self.consumers[c].inbox.pop_front() {
                let now = self.now;
                let depth = self.consumers[c].inbox.len() as u64;
                let waited = now - self.msgs.get(msg).wait_from;
                let stats = &mut self.stats[node as usize];
                stats.depth.set(now, depth);
                stats.wait.record(waited);
                msg
            } else {
                let n = self.consumers[c].queues.len();
                let start = self.consumers[c].next_queue;
                let mut got = None;
                for k in 0..n {
                    let (q, latency) = self.consumers[c].queues[wrap(start + k, n)];
                    if self.is_down(q) {
                        continue;
                    }
                    if let Some(msg) = self.queue_receive(q) {
                        self.consumers[c].next_queue = wrap(start + k + 1, n);
                        got = Some((msg, latency));
                        break;
                    }
                }
                let Some((msg, latency)) = got else { break };
                // Counted as an arrival here: pulled messages do not pass
                // through `arrive`.
                self.msgs.get_mut(msg).node_in = self.now;
                self.stats[node as usize].arrived += 1;
                if latency > 0 {
                    // The message crosses the link before work starts; its
                    // slot is taken meanwhile.
                    self.consumers[c].fetching += 1;
                    self.consumers[c].track(msg, &mut self.msgs);
                    let ticket = self.msgs.get(msg).ticket;
                    self.schedule(self.now + latency, Ev::Fetched { node, msg, ticket });
                    continue;
                }
                msg
            };
            self.consumer_start(node, msg, false);
        }
    }

    /// A message pulled over a link with latency has arrived.
    pub(crate) fn consumer_fetched(&mut self, node: NodeIx, msg: MsgId) {
        let c = self.consumer_slot(node);
        self.consumers[c].fetching -= 1;
        self.msgs.get_mut(msg).node_in = self.now;
        self.consumer_start(node, msg, true);
    }

    fn consumer_start(&mut self, node: NodeIx, msg: MsgId, tracked: bool) {
        let c = self.consumer_slot(node);
        let now = self.now;
        let consumer = &mut self.consumers[c];
        if !tracked {
            consumer.track(msg, &mut self.msgs);
        }
        consumer.busy += 1;
        let busy = consumer.busy;
        let mut service = consumer.service.sample(&mut consumer.rng_service);
        if consumer.slow != 1.0 {
            #[expect(clippy::cast_precision_loss, reason = "service times in ns")]
            let scaled = service as f64 * consumer.slow;
            service = to_ns(scaled);
        }
        self.stats[node as usize].busy.set(now, busy);
        let ticket = self.msgs.get(msg).ticket;
        self.schedule(now + service, Ev::ServiceDone { node, msg, ticket });
    }

    /// The consumer crashes: what it holds is lost, except messages covered
    /// by a queue receipt, which the queue shows again once their
    /// visibility timeout ends.
    pub(crate) fn consumer_crash(&mut self, node: NodeIx) {
        let c = self.consumer_slot(node);
        let now = self.now;
        let consumer = &mut self.consumers[c];
        let in_service = std::mem::take(&mut consumer.in_service);
        let inbox = std::mem::take(&mut consumer.inbox);
        let blocked = std::mem::take(&mut consumer.blocked);
        consumer.busy = 0;
        consumer.fetching = 0;
        let stats = &mut self.stats[node as usize];
        stats.busy.set(now, 0);
        stats.depth.set(now, 0);
        stats.blocked.set(now, 0);
        for msg in in_service {
            let m = self.msgs.get_mut(msg);
            m.ticket = m.ticket.wrapping_add(1);
            let origin = m.origin;
            if origin == NO_NODE || origin == DETACHED {
                self.drop_msg(node, msg, DropReason::Crashed);
            } else {
                self.queue_abandon(origin, msg);
            }
        }
        for msg in inbox.into_iter().chain(blocked) {
            self.drop_msg(node, msg, DropReason::Crashed);
        }
    }

    pub(crate) fn consumer_done(&mut self, node: NodeIx, msg: MsgId) {
        let c = self.consumer_slot(node);
        let now = self.now;
        let consumer = &mut self.consumers[c];
        consumer.untrack(msg, &mut self.msgs);
        consumer.busy -= 1;
        let busy = consumer.busy;
        let failed = consumer.failure > 0.0
            && (consumer.failure >= 1.0 || unit(&mut consumer.rng_failure) < consumer.failure);
        self.stats[node as usize].busy.set(now, busy);

        let origin = self.msgs.get(msg).origin;
        if failed {
            self.consumer_failed(node, msg, origin);
            self.consumer_fill(node);
            return;
        }
        let node_in = self.msgs.get(msg).node_in;
        self.stats[node as usize].sojourn.record(now - node_in);
        self.msgs.get_mut(msg).origin = NO_NODE;
        if !self.consumer_forward(node, msg) {
            self.consumers[c].blocked.push_back(msg);
            let blocked = self.consumers[c].blocked.len() as u64;
            self.stats[node as usize].blocked.set(now, blocked);
        }
        // NOTE: take the next message before acknowledging this one, so a
        // blocked sender woken by the acknowledgement finds the slot taken
        // and the queue never shows more waiting than its capacity allows.
        self.consumer_fill(node);
        if origin != NO_NODE && origin != DETACHED {
            self.queue_release(origin);
        }
    }

    /// Sends a processed message on; `false` if the next stage blocks.
    fn consumer_forward(&mut self, node: NodeIx, msg: MsgId) -> bool {
        if self.topo[node as usize].out.is_empty() {
            self.stats[node as usize].departed += 1;
            self.complete(node, msg);
            return true;
        }
        if self.send_out(node, msg) {
            self.stats[node as usize].departed += 1;
            true
        } else {
            false
        }
    }

    fn consumer_failed(&mut self, node: NodeIx, msg: MsgId, origin: u32) {
        let c = self.consumer_slot(node);
        let attempts = {
            let m = self.msgs.get_mut(msg);
            m.attempts += 1;
            m.attempts
        };
        if origin == DETACHED {
            // The queue already delivered this message again.
            self.drop_msg(node, msg, DropReason::ReceiptExpired);
            return;
        }
        if attempts < self.consumers[c].max_attempts {
            let consumer = &mut self.consumers[c];
            let delay = consumer.retry.delay_ns(attempts, &mut consumer.rng_backoff);
            let retried = if origin == NO_NODE {
                // Pushed: back to this consumer's inbox.
                if delay == 0 {
                    self.consumer_requeue(node, msg);
                } else {
                    self.schedule(self.now + delay, Ev::InboxRetry { node, msg });
                }
                true
            } else {
                self.queue_nack(origin, msg, delay)
            };
            if retried {
                self.stats[node as usize].retries += 1;
            }
            return;
        }
        // Out of attempts: the consumer's dead-letter queue, else the queue's.
        let edge = self.topo[node as usize].dlq.or_else(|| {
            (origin != NO_NODE)
                .then(|| self.queue_dead_letter_edge(origin))
                .flatten()
        });
        self.msgs.get_mut(msg).origin = NO_NODE;
        match edge {
            Some(e) => {
                self.stats[node as usize].dead_lettered += 1;
                self.transmit(e, msg);
            }
            None => self.drop_msg(node, msg, DropReason::RetriesExhausted),
        }
        if origin != NO_NODE {
            self.queue_release(origin);
        }
    }

    /// A pushed message comes back for another attempt: a new arrival.
    fn consumer_requeue(&mut self, node: NodeIx, msg: MsgId) {
        let c = self.consumer_slot(node);
        let m = self.msgs.get_mut(msg);
        m.wait_from = self.now;
        m.node_in = self.now;
        self.consumers[c].inbox.push_back(msg);
        let depth = self.consumers[c].inbox.len() as u64;
        let stats = &mut self.stats[node as usize];
        stats.arrived += 1;
        stats.depth.set(self.now, depth);
    }

    pub(crate) fn consumer_inbox_retry(&mut self, node: NodeIx, msg: MsgId) {
        self.consumer_requeue(node, msg);
        self.consumer_fill(node);
    }

    /// Room appeared downstream: forward blocked messages in order.
    pub(crate) fn consumer_wake(&mut self, node: NodeIx) {
        let c = self.consumer_slot(node);
        let mut freed = false;
        while let Some(msg) = self.consumers[c].blocked.pop_front() {
            if self.consumer_forward(node, msg) {
                freed = true;
            } else {
                self.consumers[c].blocked.push_front(msg);
                break;
            }
        }
        if freed {
            let blocked = self.consumers[c].blocked.len() as u64;
            self.stats[node as usize].blocked.set(self.now, blocked);
            self.consumer_fill(node);
        }
    }
}
