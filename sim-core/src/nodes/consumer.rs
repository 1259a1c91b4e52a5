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
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::breaker::BreakerState;
use crate::dist::{Dist, Sampler, to_ns};
use crate::engine::{EdgeIx, Ev, MsgId, NodeIx, Origin, Simulation, Slot, wrap};
use crate::export::terraform::{
    MAX_LAMBDA_TIMEOUT_S, Terraform, latency_note, one_line, send_permission, string,
};
use crate::export::{dead_letter_of, dist_text, edge_role, retry_text};
use crate::journey::{HopKind, Outcome};
use crate::ledger::Seen;
use crate::metrics::DropReason;
use crate::model::{Model, Node};
use crate::nodes::{EdgeRole, Kind};
use crate::rng::{Purpose, Stream, stream, unit};
use crate::time::{Duration, NANOS_PER_SEC, SimTime};

/// How a finished attempt's message is settled with its broker once the
/// consumer's slot is free.
#[derive(Clone, Copy, Debug)]
enum Settle {
    /// Already settled (a failure: dropped, retried or dead-lettered).
    Settled,
    /// The log's consumer group commits past the record.
    Commit(NodeIx),
    /// The queue's receipt, if the message came with one, is released.
    Release,
}

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
    /// When a message pulled from a queue is acknowledged, and what a
    /// second delivery of the same message does.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub delivery: Delivery,
    /// How long an `ExactlyOnce` consumer's idempotent inbox keeps the id
    /// of a message it processed: a second instance that arrives later is
    /// processed again (counted as `inbox_missed`). `None` keeps ids for
    /// good.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub inbox: Option<Duration>,
    /// Write what it sends on to a transactional outbox that a relay
    /// publishes (see [`super::outbox`]); `None` sends on directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<super::outbox::Outbox>,
    /// The schema versions it reads, and what it does with the others
    /// (see [`super::versions`]); `None` reads every version.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<super::versions::Reads>,
    /// An attempt still running after this long fails (and is retried by
    /// the retry policy).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub timeout: Option<Duration>,
    /// A call to the service this consumer calls that has not answered
    /// after this long fails the attempt (its retry policy and breaker
    /// handle it); the service may go on with the abandoned call (see its
    /// `cancel`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_timeout: Option<Duration>,
    /// Change the number of instances with the load.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub autoscale: Option<super::AutoscaleParams>,
    /// A circuit breaker around the calls to the service this consumer calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<super::BreakerParams>,
    /// Run as a serverless function: an instance per message in progress,
    /// up to a concurrency limit (`instances` and `concurrency` then do not
    /// apply).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub serverless: Option<Serverless>,
    /// Event types this consumer fails on every attempt: poison messages
    /// (retried by the retry policy, then dead-lettered or dropped).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub poison: Vec<String>,
    /// What it does with a message it receives past its deadline (see the
    /// producers' `ttl`).
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub on_expired: OnExpired,
}

/// What a consumer does with a message it receives past its deadline.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnExpired {
    /// Discards it unprocessed: it leaves the flow as `expired`, and its
    /// queue or log hears of it as done.
    #[default]
    Discard,
    /// Processes it anyway: work nobody waits for any more, counted as
    /// `late`.
    Process,
}

/// Serverless execution.
///
/// A message starts on a warm idle instance if there is one; otherwise a
/// new instance starts cold, adding `cold_start` to that message's
/// processing. Idle instances stay warm for `keep_alive`. A message pushed
/// while `concurrency` instances are busy is throttled: retried by the
/// retry policy, or dropped (reason `throttled`). A queue is read only as
/// fast as free concurrency allows, so queued messages wait instead.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Serverless {
    pub concurrency: u32,
    #[serde(default)]
    pub cold_start: Duration,
    #[serde(default = "ten_minutes")]
    pub keep_alive: Duration,
}

const fn ten_minutes() -> Duration {
    Duration::from_secs(600)
}

/// Delivery guarantee of a consumer.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Delivery {
    /// Acknowledged on receipt: a failure or crash loses the message
    /// (dropped, reason `failed` or `crashed`); never delivered twice.
    AtMostOnce,
    /// Acknowledged after processing: timeouts, failures and crashes lead
    /// to redelivery, so downstream may see duplicates (counted where they
    /// complete).
    #[default]
    AtLeastOnce,
    /// At-least-once with an idempotent consumer: a second instance of a
    /// message it already processed is recognised and discarded (dropped,
    /// reason `duplicate`).
    ExactlyOnce,
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
            delivery: Delivery::AtLeastOnce,
            inbox: None,
            outbox: None,
            versions: None,
            timeout: None,
            call_timeout: None,
            autoscale: None,
            breaker: None,
            serverless: None,
            poison: Vec::new(),
            on_expired: OnExpired::Discard,
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
    pub(crate) fn delay_ns(&self, attempt: u32, rng: &mut Stream) -> u64 {
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

    pub(crate) fn problems(&self, out: &mut Vec<String>) {
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
        if let Some(attempts) = attempts {
            super::check_at_most("max_attempts", attempts, super::limits::MAX_ATTEMPTS, out);
        }
        match *self {
            Self::None | Self::Immediate { .. } => {}
            Self::Fixed { delay, .. } => super::check_durations(&[("the retry delay", delay)], out),
            Self::Exponential {
                initial,
                multiplier,
                max_delay,
                ..
            } => {
                super::check_at_most(
                    "the backoff multiplier",
                    multiplier,
                    super::limits::MAX_FACTOR,
                    out,
                );
                super::check_durations(
                    &[
                        ("the initial backoff", initial),
                        ("the maximum backoff", max_delay),
                    ],
                    out,
                );
            }
        }
    }
}

impl ConsumerParams {
    /// The consumer as the servers of a queueing station, or why no
    /// formula describes it (a predicate its id goes before).
    fn servers(&self) -> Result<crate::theory::Servers<'_>, String> {
        if self.breaker.is_some() {
            return Err(
                "has a circuit breaker, which fails calls fast while it is open".to_owned(),
            );
        }
        if self.autoscale.is_some() {
            return Err(
                "scales its instances with the load, so the number of servers changes".to_owned(),
            );
        }
        if !self.poison.is_empty() {
            return Err("fails poison messages on every attempt".to_owned());
        }
        if self.versions.is_some() {
            return Err(
                "reads only some schema versions: it turns others away unprocessed, or upcasts them at a cost"
                    .to_owned(),
            );
        }
        let c = match &self.serverless {
            Some(s) if s.cold_start > Duration::ZERO => {
                return Err(format!(
                    "has cold starts of {}, which lengthen some service times",
                    s.cold_start
                ));
            }
            Some(s) => s.concurrency,
            None => self.instances.saturating_mul(self.concurrency),
        };
        let acks_on_receipt = self.delivery == Delivery::AtMostOnce;
        let feedback = if self.failure <= 0.0 || acks_on_receipt {
            None
        } else {
            match self.retry {
                RetryPolicy::None => None,
                RetryPolicy::Immediate { max_attempts } => Some(max_attempts),
                RetryPolicy::Fixed {
                    delay,
                    max_attempts,
                } if delay == Duration::ZERO => Some(max_attempts),
                RetryPolicy::Fixed { .. } | RetryPolicy::Exponential { .. } => {
                    return Err(
                        "retries after a backoff delay, so failed messages come back \
                                later instead of as Jackson feedback"
                            .to_owned(),
                    );
                }
            }
        };
        Ok(crate::theory::Servers {
            c,
            service: &self.service,
            failure: self.failure,
            feedback,
            acks_on_receipt,
            serverless: self.serverless.is_some(),
            timeout: self.timeout,
            outbox: self.outbox.is_some(),
        })
    }

    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.instances == 0 {
            out.push("instances must be at least 1".to_owned());
        }
        if self.concurrency == 0 {
            out.push("concurrency must be at least 1".to_owned());
        }
        if let Some(window) = self.inbox {
            if self.delivery != Delivery::ExactlyOnce {
                out.push(
                    "an inbox window needs delivery: ExactlyOnce (the inbox is what makes a consumer idempotent)"
                        .to_owned(),
                );
            }
            if window.is_zero() {
                out.push(
                    "the inbox window must be longer than zero (leave it out to keep ids for good)"
                        .to_owned(),
                );
            }
            super::check_durations(&[("the inbox window", window)], &mut out);
        }
        if let Some(outbox) = &self.outbox {
            outbox.problems(&mut out);
        }
        if let Some(reads) = &self.versions {
            reads.problems(true, &mut out);
        }
        use super::limits::{MAX_CONCURRENCY, MAX_INSTANCES, MAX_SLOTS};
        super::check_at_most("instances", self.instances, MAX_INSTANCES, &mut out);
        super::check_at_most("concurrency", self.concurrency, MAX_CONCURRENCY, &mut out);
        // A log keeps a slot for each member of a consumer group: every
        // instance's every place, at the most instances it scales to.
        let peak = match (&self.serverless, &self.autoscale) {
            (Some(serverless), _) => u64::from(serverless.concurrency),
            (None, Some(scaling)) => {
                u64::from(scaling.max.max(self.instances)) * u64::from(self.concurrency)
            }
            (None, None) => self.slots(),
        };
        if peak > MAX_SLOTS
            && self.instances <= MAX_INSTANCES
            && self.concurrency <= MAX_CONCURRENCY
        {
            out.push(format!(
                "at most {MAX_SLOTS} messages can be in service at once (instances × concurrency, at the most instances); this consumer allows {peak}"
            ));
        }
        if let Some(timeout) = self.timeout {
            super::check_durations(&[("the processing timeout", timeout)], &mut out);
        }
        if let Some(timeout) = self.call_timeout {
            super::check_durations(&[("the call timeout", timeout)], &mut out);
            if timeout.is_zero() {
                out.push("the call timeout must be longer than zero".to_owned());
            }
        }
        if self.service.mean().is_zero() {
            out.push("the service time must be longer than zero".to_owned());
        }
        out.extend(self.service.problems());
        super::check_probability("failure probability", self.failure, &mut out);
        self.retry.problems(&mut out);
        if let Some(serverless) = &self.serverless {
            if serverless.concurrency == 0 {
                out.push("a serverless function needs a concurrency of at least 1".to_owned());
            }
            if serverless.keep_alive.is_zero() {
                out.push("the keep-alive must be longer than zero".to_owned());
            }
            super::check_durations(
                &[
                    ("the cold start", serverless.cold_start),
                    ("the keep-alive", serverless.keep_alive),
                ],
                &mut out,
            );
            if self.autoscale.is_some() {
                out.push("a serverless function scales by itself: remove autoscale".to_owned());
            }
        }
        if let Some(breaker) = &self.breaker {
            out.extend(breaker.problems());
        }
        if let Some(scaling) = &self.autoscale {
            out.extend(scaling.problems(self.instances));
        }
        if self.poison.iter().any(|t| t.trim().is_empty()) {
            out.push("a poison event type needs a name".to_owned());
        }
        if self.timeout.is_some_and(Duration::is_zero) {
            out.push("the processing timeout must be longer than zero".to_owned());
        }
        out
    }

    /// Messages the consumer can process at once.
    pub fn slots(&self) -> u64 {
        u64::from(self.instances) * u64::from(self.concurrency)
    }
}

/// A message a consumer took from a broker.
#[derive(Clone, Copy, Debug)]
struct Pulled {
    msg: MsgId,
    /// Its ticket, for the events of the attempt.
    ticket: u32,
    /// The link's latency.
    latency: Duration,
    /// The broker.
    from: NodeIx,
    /// The queue's index into the queues' state (`None`: a log).
    queue: Option<Slot>,
}

/// A broker a consumer pulls from: the queue or log, the link's latency,
/// and the edge (counted as crossed by each message pulled).
#[derive(Clone, Copy, Debug)]
pub(crate) struct PullSource {
    pub node: NodeIx,
    /// The broker's index into its kind's state.
    pub slot: Slot,
    pub latency: Duration,
    pub edge: EdgeIx,
}

/// A consumer during a run.
#[derive(Clone, Debug)]
pub(crate) struct ConsumerRt {
    instances: u64,
    concurrency: u64,
    slots: u64,
    pub autoscaler: Option<super::autoscale::Autoscaler>,
    pub breaker: Option<super::breaker::Breaker>,
    serverless: Option<Serverless>,
    /// Serverless: when each idle warm instance went idle, most recent last.
    warm: Vec<SimTime>,
    busy: u64,
    /// Processed messages waiting for room downstream, oldest first.
    blocked: VecDeque<MsgId>,
    inbox: VecDeque<MsgId>,
    /// Service-time multiplier (slow-down faults); 1 normally.
    slow: f64,
    /// Queues this consumer reads.
    pub queues: Vec<PullSource>,
    /// The one queue this consumer reads, when it reads exactly one (the
    /// commonest shape); its logs, if any, are read after it.
    pub sole_queue: Option<PullSource>,
    /// Logs this consumer reads as a consumer group.
    pub logs: Vec<PullSource>,
    /// Messages received from a queue and still crossing the link.
    fetching: u64,
    next_queue: usize,
    service: Sampler,
    failure: f64,
    retry: RetryPolicy,
    max_attempts: u32,
    delivery: Delivery,
    /// An idempotent consumer's dedupe window (`MAX` for good).
    inbox_window: Duration,
    /// What it sends on goes through its outbox.
    outbox: bool,
    /// The versions it reads, and what it did with others.
    pub(crate) reads: Option<Box<super::versions::ReadsRt>>,
    timeout: Option<Duration>,
    call_timeout: Option<Duration>,
    rng_service: Stream,
    rng_failure: Stream,
    rng_backoff: Stream,
    /// Event types that always fail here (ids).
    pub poison: Vec<u16>,
    /// It calls a service: how long an attempt holds its message is not
    /// known when it starts.
    pub calls: bool,
    /// The consumer's node (a finished attempt names the consumer by slot).
    pub node: NodeIx,
    on_expired: OnExpired,
    /// The messages it was given to hold, kept only when a crash of the
    /// scenario may take it down, so the crash need not look through every
    /// message alive (a log keeps all it retains).
    held: Option<Box<Held>>,
}

/// A consumer's messages in service or crossing to it, as a list that may
/// also name messages it no longer holds: they are pruned (by the
/// message's `held_by`) when the list doubles, so keeping it costs a push
/// per message.
#[derive(Clone, Debug, Default)]
struct Held {
    msgs: Vec<MsgId>,
    /// The length past which the list is pruned.
    prune_at: usize,
}

impl Held {
    /// Leaves the messages `node` holds, once each, in slot order.
    fn prune(&mut self, msgs: &crate::engine::Arena, node: NodeIx) {
        self.msgs.retain(|&m| msgs.get(m).held_by == node);
        self.msgs.sort_unstable();
        self.msgs.dedup();
        self.prune_at = (2 * self.msgs.len()).max(64);
    }
}

impl ConsumerRt {
    pub fn new(params: &ConsumerParams, seed: u64, id: &str) -> Self {
        Self {
            instances: if params.serverless.is_some() {
                0
            } else {
                u64::from(params.instances)
            },
            concurrency: u64::from(params.concurrency),
            slots: params
                .serverless
                .as_ref()
                .map_or(params.slots(), |s| u64::from(s.concurrency)),
            autoscaler: params
                .autoscale
                .as_ref()
                .map(super::autoscale::Autoscaler::new),
            breaker: params.breaker.as_ref().map(super::breaker::Breaker::new),
            serverless: params.serverless.clone(),
            warm: Vec::new(),
            busy: 0,
            blocked: VecDeque::new(),
            inbox: VecDeque::new(),
            queues: Vec::new(),
            logs: Vec::new(),
            slow: 1.0,
            fetching: 0,
            next_queue: 0,
            service: params.service.sampler(),
            failure: params.failure,
            retry: params.retry.clone(),
            max_attempts: params.retry.max_attempts(),
            delivery: params.delivery,
            inbox_window: params.inbox.unwrap_or(Duration::MAX),
            outbox: params.outbox.is_some(),
            reads: params
                .versions
                .map(|r| Box::new(super::versions::ReadsRt::new(r))),
            timeout: params.timeout,
            call_timeout: params.call_timeout,
            rng_service: stream(seed, id, Purpose::Service),
            rng_failure: stream(seed, id, Purpose::Failures),
            rng_backoff: stream(seed, id, Purpose::Backoff),
            poison: Vec::new(),
            calls: false,
            node: NodeIx::NONE,
            sole_queue: None,
            on_expired: params.on_expired,
            held: None,
        }
    }

    /// Keeps the list of the messages it holds from now on: a crash may
    /// take it down.
    pub fn track_held(&mut self) {
        self.held.get_or_insert_with(|| {
            Box::new(Held {
                msgs: Vec::new(),
                prune_at: 64,
            })
        });
    }

    fn free(&self) -> u64 {
        self.slots
            .saturating_sub(self.busy + self.fetching + self.blocked.len() as u64)
    }

    /// New processing parameters from now on (instances are set apart);
    /// messages in service keep the times already drawn.
    pub fn retune(&mut self, params: &ConsumerParams) {
        self.concurrency = u64::from(params.concurrency);
        self.service = params.service.sampler();
        self.failure = params.failure;
        self.retry = params.retry.clone();
        self.max_attempts = params.retry.max_attempts();
        self.delivery = params.delivery;
        self.inbox_window = params.inbox.unwrap_or(Duration::MAX);
        self.timeout = params.timeout;
        self.call_timeout = params.call_timeout;
        match (&mut self.reads, params.versions) {
            (Some(rt), Some(reads)) => rt.reads = reads,
            (reads, new) => *reads = new.map(|r| Box::new(super::versions::ReadsRt::new(r))),
        }
    }

    /// Multiplies service times from now on (slow-down faults).
    pub fn scale_service(&mut self, factor: f64) {
        self.slow *= factor;
    }

    pub fn is_serverless(&self) -> bool {
        self.serverless.is_some()
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
    fn consumer_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    /// A pushed message joins the inbox.
    pub(crate) fn consumer_arrive(&mut self, node: NodeIx, msg: MsgId) {
        if self.is_down(node) {
            self.drop_msg(node, msg, DropReason::NodeDown);
            return;
        }
        let c = self.consumer_slot(node);
        if self.consumers[c].serverless.is_some() && self.consumers[c].free() == 0 {
            self.consumer_throttle(node, msg);
            return;
        }
        self.consumers[c].inbox.push_back(msg);
        let depth = self.consumers[c].inbox.len() as u64;
        self.stats[node].depth.set(self.now, depth);
        self.consumer_fill(node);
    }

    /// A serverless function at its concurrency limit refuses a pushed
    /// message: the retry policy may try again later.
    fn consumer_throttle(&mut self, node: NodeIx, msg: MsgId) {
        self.stats[node].throttled += 1;
        let (attempt, outcome) = (self.next_attempt(msg), Outcome::Throttled);
        self.journey_hop(msg, node, HopKind::Process { attempt, outcome });
        if let Some(delay) = self.consumer_retry_delay(node, msg) {
            self.stats[node].retries += 1;
            self.journey_hop(msg, node, HopKind::Backoff { attempt });
            self.schedule(
                self.now + delay.max(Duration(1)),
                Ev::InboxRetry { node, msg },
            );
        } else {
            self.drop_msg(node, msg, DropReason::Throttled);
        }
    }

    /// Counts a failed attempt of `msg`; the delay before the next one, or
    /// `None` when the retry policy has no attempts left.
    fn consumer_retry_delay(&mut self, node: NodeIx, msg: MsgId) -> Option<Duration> {
        let c = self.consumer_slot(node);
        let m = self.msgs.get_mut(msg);
        m.attempts += 1;
        let attempts = m.attempts;
        let consumer = &mut self.consumers[c];
        (attempts < consumer.max_attempts)
            .then(|| Duration(consumer.retry.delay_ns(attempts, &mut consumer.rng_backoff)))
    }

    /// Serverless: instances idle longer than the keep-alive stop.
    pub(crate) fn consumer_keep_alive(&mut self, node: NodeIx) {
        let c = self.consumer_slot(node);
        let now = self.now;
        let consumer = &mut self.consumers[c];
        let Some(keep_alive) = consumer.serverless.as_ref().map(|s| s.keep_alive) else {
            return;
        };
        let expired = consumer
            .warm
            .iter()
            .take_while(|&&idle| idle + keep_alive <= now)
            .count();
        if expired > 0 {
            consumer.warm.drain(..expired);
            consumer.instances = consumer.busy + consumer.warm.len() as u64;
            let instances = consumer.instances;
            self.stats[node].instances.set(now, instances);
        }
    }

    /// Fills free slots: inbox first, then the queues in turn.
    #[inline(always)]
    pub(crate) fn consumer_fill(&mut self, node: NodeIx) {
        if self.is_down(node) {
            return;
        }
        let c = self.consumer_slot(node);
        self.consumer_fill_at(node, c);
    }

    /// [`Self::consumer_fill`] for a consumer that is up, at its slot `c`.
    #[inline(always)]
    pub(crate) fn consumer_fill_at(&mut self, node: NodeIx, c: Slot) {
        loop {
            let consumer = &mut self.consumers[c];
            if consumer.free() == 0 {
                break;
            }
            if let Some(msg) = consumer.inbox.pop_front() {
                let now = self.now;
                let depth = consumer.inbox.len() as u64;
                let m = self.msgs.get_mut(msg);
                let waited = now - m.wait_from;
                m.held_by = node;
                let ticket = m.ticket;
                if self.consumers[c].held.is_some() {
                    self.consumer_holds(node, c, msg);
                }
                let stats = &mut self.stats[node];
                stats.depth.set(now, depth);
                stats.wait.record(waited);
                if !self.consumer_expired(node, c, msg) {
                    self.consumer_begin(node, c, msg, ticket, None, 0);
                }
                continue;
            }
            let Some(Pulled {
                msg,
                ticket,
                latency,
                from,
                queue,
            }) = self.consumer_pull(node, c)
            else {
                break;
            };
            if self.consumers[c].held.is_some() {
                self.consumer_holds(node, c, msg);
            }
            if !latency.is_zero() {
                // The message crosses the link before work starts; its
                // slot is taken meanwhile, and its receipt may run out on
                // the way.
                self.stats[node].arrived += 1;
                self.journey_hop(msg, from, HopKind::Transit { to: node.0 });
                let consumer = &mut self.consumers[c];
                consumer.fetching += 1;
                let delivery = consumer.delivery;
                if let Some(q) = queue
                    && delivery != Delivery::AtMostOnce
                {
                    self.queue_watch_receipt(from, q, msg, ticket, None);
                }
                self.schedule(self.now + latency, Ev::Fetched { node, msg, ticket });
                if delivery == Delivery::AtMostOnce {
                    self.consumer_ack_now(msg);
                }
                continue;
            }
            // (Counted as an arrival here: pulled messages do not pass
            // through `arrive`.)
            if self.msgs.get(msg).deadline.passed(self.now) {
                self.stats[node].arrived += 1;
                if self.consumer_expired_now(node, c, msg) {
                    continue;
                }
                self.consumer_begin(node, c, msg, ticket, queue.map(|q| (from, q)), 0);
                continue;
            }
            self.consumer_begin(node, c, msg, ticket, queue.map(|q| (from, q)), 1);
        }
    }

    /// The next message from the queues this consumer reads, in turn, then
    /// from its logs: the message (in service here from now), the link's
    /// latency, the broker.
    #[inline(always)]
    fn consumer_pull(&mut self, node: NodeIx, c: Slot) -> Option<Pulled> {
        let consumer = &self.consumers[c];
        if let Some(PullSource {
            node: q,
            slot,
            latency,
            edge,
        }) = consumer.sole_queue
        {
            // One queue, the commonest shape: no turn to keep.
            if !self.is_down(q)
                && let Some((msg, ticket)) = self.queue_receive(q, slot, node)
            {
                self.note_crossing(edge, msg);
                return Some(Pulled {
                    msg,
                    ticket,
                    latency,
                    from: q,
                    queue: Some(slot),
                });
            }
        } else {
            let (start, n) = (consumer.next_queue, consumer.queues.len());
            for k in 0..n {
                let PullSource {
                    node: q,
                    slot,
                    latency,
                    edge,
                } = self.consumers[c].queues[wrap(start + k, n)];
                if self.is_down(q) {
                    continue;
                }
                if let Some((msg, ticket)) = self.queue_receive(q, slot, node) {
                    self.note_crossing(edge, msg);
                    self.consumers[c].next_queue = wrap(start + k + 1, n);
                    return Some(Pulled {
                        msg,
                        ticket,
                        latency,
                        from: q,
                        queue: Some(slot),
                    });
                }
            }
        }
        if self.consumers[c].logs.is_empty() {
            None
        } else {
            self.consumer_read_logs(node)
        }
    }

    /// The next record from the logs this consumer reads as a group.
    fn consumer_read_logs(&mut self, node: NodeIx) -> Option<Pulled> {
        let c = self.consumer_slot(node);
        for k in 0..self.consumers[c].logs.len() {
            let PullSource {
                node: log,
                latency,
                edge,
                ..
            } = self.consumers[c].logs[k];
            if self.is_down(log) {
                continue;
            }
            if let Some(msg) = self.log_receive(log, node) {
                self.note_crossing(edge, msg);
                let m = self.msgs.get_mut(msg);
                m.node_in = self.now;
                m.held_by = node;
                return Some(Pulled {
                    msg,
                    ticket: m.ticket,
                    latency,
                    from: log,
                    queue: None,
                });
            }
        }
        None
    }

    /// Where a message's origin is a log, the log's consumer group commits
    /// past it (before the slot is filled again, so the partition is free).
    fn consumer_commit_log(&mut self, node: NodeIx, origin: Origin, partition: u32) {
        if let Some(log) = origin.holder()
            && self.is_log(log)
        {
            self.log_commit(log, node, partition);
        }
    }

    /// Sets the running instances (autoscaling); instances removed finish
    /// the work they hold.
    pub(crate) fn consumer_set_instances(&mut self, node: NodeIx, instances: u64) {
        let c = self.consumer_slot(node);
        let consumer = &mut self.consumers[c];
        consumer.instances = instances;
        consumer.slots = instances * consumer.concurrency;
        let slots = consumer.slots;
        let reads_logs = !consumer.logs.is_empty();
        let stats = &mut self.stats[node];
        stats.capacity.set(self.now, slots);
        stats.instances.set(self.now, instances);
        if reads_logs {
            self.log_members_changed(node);
        }
    }

    /// A message pulled over a link with latency has arrived.
    pub(crate) fn consumer_fetched(&mut self, node: NodeIx, msg: MsgId) {
        let c = self.consumer_slot(node);
        self.consumers[c].fetching -= 1;
        let m = self.msgs.get_mut(msg);
        m.node_in = self.now;
        let ticket = m.ticket;
        // (Its receipt, if any, has been watched since it was received,
        // and its arrival counted.)
        if self.consumer_expired(node, c, msg)
            || !self.consumer_begin(node, c, msg, ticket, None, 0)
        {
            self.consumer_fill(node);
        }
    }

    /// Starts an attempt at `msg`, in service here (`held_by`) and
    /// carrying `ticket`. `receipt`: the queue (node and slot) whose
    /// receipt covers it, to be watched from now on; `arrived`: 1 if the
    /// message is counted as arriving now. `false` if it was turned away
    /// instead, of a schema version the consumer does not read: the slot
    /// is still free.
    #[inline(always)]
    fn consumer_begin(
        &mut self,
        node: NodeIx,
        c: Slot,
        msg: MsgId,
        ticket: u32,
        receipt: Option<(NodeIx, Slot)>,
        arrived: u64,
    ) -> bool {
        if self.consumers[c].reads.is_some() {
            return self.consumer_screened_begin(node, c, msg, ticket, receipt, arrived);
        }
        self.consumer_start(node, c, msg, ticket, receipt, arrived, Duration::ZERO);
        true
    }

    /// [`Self::consumer_begin`] for a consumer that reads only some
    /// versions.
    #[cold]
    #[inline(never)]
    fn consumer_screened_begin(
        &mut self,
        node: NodeIx,
        c: Slot,
        msg: MsgId,
        ticket: u32,
        receipt: Option<(NodeIx, Slot)>,
        arrived: u64,
    ) -> bool {
        match self.consumer_version_screen(node, c, msg) {
            Some(upcast) => {
                self.consumer_start(node, c, msg, ticket, receipt, arrived, upcast);
                true
            }
            None => {
                self.stats[node].arrived += arrived;
                false
            }
        }
    }

    /// [`Self::consumer_begin`] once the message is to be read, `upcast`
    /// added to its processing time.
    #[inline(always)]
    #[expect(clippy::too_many_arguments, reason = "inlined on the hot path")]
    fn consumer_start(
        &mut self,
        node: NodeIx,
        c: Slot,
        msg: MsgId,
        ticket: u32,
        receipt: Option<(NodeIx, Slot)>,
        arrived: u64,
        upcast: Duration,
    ) {
        let now = self.now;
        let consumer = &mut self.consumers[c];
        let stats = &mut self.stats[node];
        stats.arrived += arrived;
        consumer.busy += 1;
        let busy = consumer.busy;
        let mut service = consumer.service.sample(&mut consumer.rng_service);
        if let Some(serverless) = &consumer.serverless {
            if consumer.warm.pop().is_none() {
                stats.cold_starts += 1;
                service = service + serverless.cold_start;
            }
            consumer.instances = consumer.busy + consumer.warm.len() as u64;
            stats.instances.set(now, consumer.instances);
        }
        service = crate::dist::scaled(service, consumer.slow);
        // An older version is upcast first.
        service = service + upcast;
        let (timeout, calls, delivery) = (consumer.timeout, consumer.calls, consumer.delivery);
        stats.busy.set(now, busy);
        self.journey_process(msg, node);
        let (ends, timed_out) = match timeout {
            Some(limit) if service > limit => (now + limit, true),
            _ => (now + service, false),
        };
        if let Some((queue, q)) = receipt
            && delivery != Delivery::AtMostOnce
        {
            // A call to a service holds the message for as long as the
            // service takes to answer. (At-most-once acknowledges on
            // receipt: there is no receipt to watch.)
            self.queue_watch_receipt(queue, q, msg, ticket, (!calls).then_some(ends));
        }
        if timed_out {
            self.schedule(ends, Ev::ServiceTimeout { node, msg, ticket });
        } else {
            self.schedule(
                ends,
                Ev::ServiceDone {
                    slot: c,
                    msg,
                    ticket,
                },
            );
        }
        if delivery == Delivery::AtMostOnce {
            // The queue forgets the message as soon as it is taken.
            self.consumer_ack_now(msg);
        }
    }

    /// `msg`, about to start here, is past its deadline: discarded as
    /// expired (its queue or log hears of it as done; `true`), or
    /// processed anyway and counted as late (`false`). A message in time
    /// gives `false` and nothing else.
    #[inline(always)]
    fn consumer_expired(&mut self, node: NodeIx, c: Slot, msg: MsgId) -> bool {
        if !self.msgs.get(msg).deadline.passed(self.now) {
            return false;
        }
        self.consumer_expired_now(node, c, msg)
    }

    /// What consumer `node` (slot `c`), which reads only some versions,
    /// does with `msg` about to start: how long upcasting it takes, or
    /// `None` when it is of a version it rejects or drops, and gone (to the
    /// dead-letter queue, or dropped; its queue or log hears of it as
    /// done).
    #[cold]
    #[inline(never)]
    fn consumer_version_screen(&mut self, node: NodeIx, c: Slot, msg: MsgId) -> Option<Duration> {
        use super::versions::Verdict;
        let version = self.msgs.get(msg).version();
        let now = self.now;
        let reads = self.consumers[c].reads.as_deref_mut()?;
        let reject = match reads.judge(version, now) {
            Verdict::Read(upcast) => return Some(upcast),
            Verdict::Reject => true,
            Verdict::Drop => false,
        };
        let m = self.msgs.get_mut(msg);
        m.held_by = NodeIx::NONE;
        let (origin, partition, key) = (m.origin, m.partition, m.key);
        m.origin = Origin::PUSHED;
        let edge = if reject {
            self.consumer_dead_letter_edge(node, origin)
        } else {
            None
        };
        self.consumer_dead_letter(node, msg, edge, DropReason::Version);
        match origin.holder() {
            Some(log) if self.is_log(log) => self.log_commit(log, node, partition),
            Some(queue) => self.queue_release(queue, key),
            None => {}
        }
        None
    }

    #[cold]
    #[inline(never)]
    fn consumer_expired_now(&mut self, node: NodeIx, c: Slot, msg: MsgId) -> bool {
        if self.consumers[c].on_expired == OnExpired::Process {
            self.stats[node].late += 1;
            return false;
        }
        self.stats[node].expired += 1;
        let m = self.msgs.get_mut(msg);
        m.held_by = NodeIx::NONE;
        let (origin, partition, key) = (m.origin, m.partition, m.key);
        match origin.holder() {
            Some(log) if self.is_log(log) => self.log_commit(log, node, partition),
            Some(queue) => {
                self.msgs.get_mut(msg).origin = Origin::PUSHED;
                self.queue_release(queue, key);
            }
            None => {}
        }
        self.expire_msg(node, msg);
        true
    }

    fn consumer_ack_now(&mut self, msg: MsgId) {
        let origin = self.msgs.get(msg).origin;
        // NOTE: a log's group commits when the attempt ends (the partition
        // is held until then to keep its order); see `consumer_finish`.
        if let Some(queue) = origin.holder()
            && !self.is_log(queue)
        {
            let m = self.msgs.get_mut(msg);
            m.origin = Origin::PUSHED;
            let key = m.key;
            self.queue_release(queue, key);
        }
    }

    /// The consumer crashes: what it holds is lost, except messages covered
    /// by a queue receipt, which the queue shows again once their
    /// visibility timeout ends.
    /// `msg` is held by the consumer in slot `c` from now (it keeps the
    /// list, [`ConsumerRt::track_held`]).
    #[cold]
    #[inline(never)]
    fn consumer_holds(&mut self, node: NodeIx, c: Slot, msg: MsgId) {
        if let Some(held) = self.consumers[c].held.as_mut() {
            held.msgs.push(msg);
            if held.msgs.len() > held.prune_at {
                held.prune(&self.msgs, node);
            }
        }
    }

    pub(crate) fn consumer_crash(&mut self, node: NodeIx) {
        let c = self.consumer_slot(node);
        let now = self.now;
        // In slot order either way.
        let in_service = match self.consumers[c].held.as_mut() {
            Some(held) => {
                held.prune(&self.msgs, node);
                std::mem::take(&mut held.msgs)
            }
            None => self.msgs.in_service_at(node),
        };
        let consumer = &mut self.consumers[c];
        let inbox = std::mem::take(&mut consumer.inbox);
        let blocked = std::mem::take(&mut consumer.blocked);
        consumer.busy = 0;
        consumer.fetching = 0;
        if let Some(breaker) = consumer.breaker.as_mut() {
            breaker.forget_probes();
        }
        if consumer.serverless.is_some() {
            // Every instance, warm or busy, is gone.
            consumer.warm.clear();
            consumer.instances = 0;
            self.stats[node].instances.set(now, 0);
        }
        let stats = &mut self.stats[node];
        stats.busy.set(now, 0);
        stats.depth.set(now, 0);
        stats.blocked.set(now, 0);
        for msg in in_service {
            self.journey_outcome(msg, Outcome::Crashed);
            let call = std::mem::take(&mut self.msgs.get_mut(msg).call);
            if call != 0 {
                self.consumer_abandon_call(node, call);
            }
            let m = self.msgs.get_mut(msg);
            m.ticket = m.ticket.wrapping_add(1);
            m.held_by = NodeIx::NONE;
            match m.origin.holder() {
                None => self.drop_msg(node, msg, DropReason::Crashed),
                Some(log) if self.is_log(log) => self.log_abandon(log, node, msg),
                Some(queue) => self.queue_abandon(queue, msg),
            }
        }
        for msg in inbox.into_iter().chain(blocked) {
            self.drop_msg(node, msg, DropReason::Crashed);
        }
        if !self.consumers[c].logs.is_empty() {
            self.log_rewind(node);
        }
    }

    /// The attempt at `msg` by the consumer in slot `c` is over (done or
    /// timed out).
    // NOTE: kept out of the event loop: inlined there, the loop holds more
    // values than there are registers and spills on every event.
    #[inline(never)]
    pub(crate) fn consumer_done(&mut self, node: NodeIx, c: Slot, msg: MsgId, timed_out: bool) {
        let consumer = &mut self.consumers[c];
        let failed = timed_out
            || (!consumer.poison.is_empty()
                && consumer.poison.contains(&self.msgs.get(msg).event_type))
            || (consumer.failure > 0.0
                && (consumer.failure >= 1.0 || unit(&mut consumer.rng_failure) < consumer.failure));
        let calls = consumer.calls;
        if timed_out {
            self.stats[node].timeouts += 1;
            self.journey_outcome(msg, Outcome::TimedOut);
        }
        if !failed
            && calls
            && let Some(call) = self.topo[node].call
        {
            self.consumer_call(node, msg, call);
            return;
        }
        self.consumer_finish(node, c, msg, failed);
    }

    /// The work is done except for a call to a service: the circuit
    /// breaker decides whether it goes out; the slot stays taken until the
    /// answer comes.
    fn consumer_call(&mut self, node: NodeIx, msg: MsgId, call: EdgeIx) {
        let c = self.consumer_slot(node);
        let now = self.now;
        let (allowed, change) = match self.consumers[c].breaker.as_mut() {
            Some(breaker) => breaker.allow(now),
            None => (true, None),
        };
        if let Some(state) = change {
            self.breaker_state(node, state);
        }
        if !allowed {
            self.stats[node].fast_failed += 1;
            self.journey_outcome(msg, Outcome::BreakerOpen);
            self.consumer_finish(node, c, msg, true);
            return;
        }
        let service = self.edges[call].to;
        let timeout = self.consumers[c].call_timeout;
        self.service_call(service, node, msg, timeout);
    }

    /// The call about `msg` has not answered within the call timeout: the
    /// consumer stops waiting, and the attempt fails.
    pub(crate) fn consumer_call_timeout(&mut self, node: NodeIx, msg: MsgId, call: u32) {
        self.msgs.get_mut(msg).call = 0;
        self.stats[node].call_timeouts += 1;
        self.journey_outcome(msg, Outcome::TimedOut);
        self.consumer_abandon_call(node, call);
        self.consumer_call_done(node, msg, false);
    }

    /// The consumer stops waiting for `call` to the service it calls. The
    /// service does not know: it goes on unless it cancels.
    fn consumer_abandon_call(&mut self, node: NodeIx, call: u32) {
        if let Some(edge) = self.topo[node].call {
            let service = self.edges[edge].to;
            self.service_abandon(service, call);
        }
    }

    /// The service answered (`ok`: the call succeeded).
    pub(crate) fn consumer_call_done(&mut self, node: NodeIx, msg: MsgId, ok: bool) {
        // (Called from the service's event: the answer reaches the caller.)
        self.touch(node);
        let c = self.consumer_slot(node);
        let now = self.now;
        let change = self.consumers[c]
            .breaker
            .as_mut()
            .and_then(|b| b.record(now, ok));
        if let Some(state) = change {
            self.breaker_state(node, state);
        }
        self.consumer_finish(node, c, msg, !ok);
    }

    /// A node's breaker (a consumer's, or a client producer's) changed
    /// state: its levels and count follow.
    pub(crate) fn breaker_state(&mut self, node: NodeIx, state: BreakerState) {
        let now = self.now;
        let stats = &mut self.stats[node];
        stats
            .breaker_open
            .set(now, u64::from(state == BreakerState::Open));
        stats
            .breaker_half_open
            .set(now, u64::from(state == BreakerState::HalfOpen));
        if state == BreakerState::Open {
            stats.breaker_opens += 1;
        }
    }

    /// The attempt is over: the slot frees, and the message goes on, or is
    /// retried, dead-lettered or lost.
    #[inline(always)]
    fn consumer_finish(&mut self, node: NodeIx, c: Slot, msg: MsgId, failed: bool) {
        let now = self.now;
        let consumer = &mut self.consumers[c];
        consumer.busy -= 1;
        let busy = consumer.busy;
        let delivery = consumer.delivery;
        let outbox = consumer.outbox;
        let reads_logs = !consumer.logs.is_empty();
        let sole_queue = consumer.sole_queue.map(|source| (source.node, source.slot));
        self.stats[node].busy.set(now, busy);
        if let Some(keep_alive) = consumer.serverless.as_ref().map(|s| s.keep_alive) {
            // The instance stays warm for a while.
            consumer.warm.push(now);
            self.schedule(now + keep_alive, Ev::KeepAlive(node));
        }

        let m = self.msgs.get_mut(msg);
        m.held_by = NodeIx::NONE;
        let (origin, partition, lineage, node_in, key) =
            (m.origin, m.partition, m.lineage, m.node_in, m.key);
        let (stream, created) = (m.stream(), m.created);
        if !failed {
            // Done with here, whatever comes next.
            m.origin = Origin::PUSHED;
        }
        // The log whose group waits for this record, if it came from one.
        let from_log = if reads_logs {
            origin.holder().filter(|&source| self.is_log(source))
        } else {
            None
        };
        let settle = if failed {
            self.journey_outcome(msg, Outcome::Failed);
            if delivery == Delivery::AtMostOnce {
                // Acknowledged on receipt: nothing will bring it back.
                self.drop_msg(node, msg, DropReason::Failed);
                self.consumer_commit_log(node, origin, partition);
            } else {
                self.consumer_failed(node, msg, origin);
            }
            Settle::Settled
        } else if delivery == Delivery::ExactlyOnce && self.consumer_seen(node, c, lineage) {
            // Idempotent: this message was processed already.
            self.drop_msg(node, msg, DropReason::Duplicate);
            from_log.map_or(Settle::Release, Settle::Commit)
        } else {
            let stats = &mut self.stats[node];
            stats.record_sojourn(now - node_in);
            let _ = stats.note_order(stream, created);
            if outbox {
                self.outbox_write(node, msg);
            } else if !self.consumer_forward(node, msg) {
                self.journey_hop(msg, node, HopKind::Blocked);
                self.consumers[c].blocked.push_back(msg);
                let blocked = self.consumers[c].blocked.len() as u64;
                self.stats[node].blocked.set(now, blocked);
            }
            from_log.map_or(Settle::Release, Settle::Commit)
        };
        // The one exit: the slot is filled again, and the broker hears of
        // the outcome.
        match settle {
            Settle::Settled => self.consumer_fill(node),
            Settle::Commit(log) => {
                // Nothing waits on a log: commit first, so the partition is
                // free when the slot is filled again.
                self.log_commit(log, node, partition);
                self.consumer_fill(node);
            }
            Settle::Release => {
                // NOTE: take the next message before acknowledging this one,
                // so a blocked sender woken by the acknowledgement finds the
                // slot taken and the queue never shows more waiting than its
                // capacity allows.
                if !self.is_down(node) {
                    self.consumer_fill_at(node, c);
                }
                match sole_queue {
                    Some((queue, q)) if Origin::source(queue) == origin => {
                        self.queue_release_at(queue, q, key);
                    }
                    _ => {
                        if let Some(queue) = origin.holder() {
                            self.queue_release(queue, key);
                        }
                    }
                }
            }
        }
    }

    /// Whether idempotent consumer `node` (slot `c`) processed an instance
    /// of `lineage` within its inbox's window. One it processed longer ago
    /// is processed again, counted as missed by the inbox.
    #[cold]
    #[inline(never)]
    fn consumer_seen(&mut self, node: NodeIx, c: Slot, lineage: u64) -> bool {
        let window = self.consumers[c].inbox_window;
        match self.ledger.processed(lineage, node, self.now, window) {
            Seen::First => false,
            Seen::Within => true,
            Seen::Beyond => {
                self.stats[node].inbox_missed += 1;
                false
            }
        }
    }

    /// Sends a processed message on; `false` if the next stage blocks.
    #[inline(always)]
    fn consumer_forward(&mut self, node: NodeIx, msg: MsgId) -> bool {
        // (A consumer with no outputs ends the flow: `send_out` completes
        // the message.)
        if self.send_out(node, msg) {
            self.stats[node].departed += 1;
            true
        } else {
            false
        }
    }

    fn consumer_failed(&mut self, node: NodeIx, msg: MsgId, origin: Origin) {
        if origin == Origin::DETACHED {
            // The queue already delivered this message again.
            self.drop_msg(node, msg, DropReason::ReceiptExpired);
            return;
        }
        if let Some(delay) = self.consumer_retry_delay(node, msg) {
            let retried = if let Some(source) = origin.holder() {
                if self.is_log(source) {
                    // Back to the head of its partition, which waits for it.
                    self.log_retry(source, node, msg, delay);
                    true
                } else {
                    self.queue_nack(source, msg, delay)
                }
            } else {
                // Pushed: back to this consumer's inbox.
                if delay.is_zero() {
                    self.consumer_requeue(node, msg);
                } else {
                    let attempt = self.msgs.get(msg).attempts;
                    self.journey_hop(msg, node, HopKind::Backoff { attempt });
                    self.schedule(self.now + delay, Ev::InboxRetry { node, msg });
                }
                true
            };
            if retried {
                self.stats[node].retries += 1;
            }
            return;
        }
        // Out of attempts.
        let edge = self.consumer_dead_letter_edge(node, origin);
        let m = self.msgs.get_mut(msg);
        let (partition, key) = (m.partition, m.key);
        m.origin = Origin::PUSHED;
        self.consumer_dead_letter(node, msg, edge, DropReason::RetriesExhausted);
        match origin.holder() {
            Some(log) if self.is_log(log) => {
                // The group gives up on the record and reads on.
                self.log_commit(log, node, partition);
            }
            Some(queue) => self.queue_release(queue, key),
            None => {}
        }
    }

    /// Where consumer `node` sends a message from `origin` it gives up on:
    /// its own dead-letter queue, else that of the queue the message came
    /// from.
    fn consumer_dead_letter_edge(&self, node: NodeIx, origin: Origin) -> Option<EdgeIx> {
        self.topo[node].dlq.or_else(|| {
            origin
                .holder()
                .and_then(|queue| self.queue_dead_letter_edge(queue))
        })
    }

    /// Consumer `node` gives `msg` up: to the dead-letter queue `edge`, or
    /// dropped for `reason` when there is none.
    fn consumer_dead_letter(
        &mut self,
        node: NodeIx,
        msg: MsgId,
        edge: Option<EdgeIx>,
        reason: DropReason,
    ) {
        match edge {
            Some(e) => {
                self.stats[node].dead_lettered += 1;
                self.transmit(e, msg);
            }
            None => self.drop_msg(node, msg, reason),
        }
    }

    /// A pushed message comes back for another attempt: a new arrival.
    fn consumer_requeue(&mut self, node: NodeIx, msg: MsgId) {
        let c = self.consumer_slot(node);
        let m = self.msgs.get_mut(msg);
        m.wait_from = self.now;
        m.node_in = self.now;
        self.journey_hop(msg, node, HopKind::Wait);
        self.consumers[c].inbox.push_back(msg);
        let depth = self.consumers[c].inbox.len() as u64;
        let stats = &mut self.stats[node];
        stats.arrived += 1;
        stats.depth.set(self.now, depth);
    }

    pub(crate) fn consumer_inbox_retry(&mut self, node: NodeIx, msg: MsgId) {
        if self.is_down(node) {
            // Its retry came due while the consumer was down.
            self.drop_msg(node, msg, DropReason::Crashed);
            return;
        }
        self.consumer_requeue(node, msg);
        self.consumer_fill(node);
    }

    /// Room appeared downstream: forward blocked messages in order.
    pub(crate) fn consumer_wake(&mut self, node: NodeIx) {
        let c = self.consumer_slot(node);
        if self.consumers[c].outbox {
            // Its relay is what waits for room.
            self.outbox_flush(node);
            return;
        }
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
            self.stats[node].blocked.set(self.now, blocked);
            self.consumer_fill(node);
        }
    }
}

impl crate::nodes::KindSpec for ConsumerParams {
    const KIND: Kind = Kind::Consumer;
    const KEY: &'static str = "consumer";
    const LABEL: &'static str = "consumer";
    const PLURAL: &'static str = "consumers";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{
            Breaker, Busy, Depth, Dropped, Instances, LatencyP50, LatencyP99, ThroughputIn,
            ThroughputOut,
        };
        &[
            ThroughputIn,
            ThroughputOut,
            Depth,
            Busy,
            LatencyP50,
            LatencyP99,
            Instances,
            Breaker,
            Dropped,
        ]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit {
        wait: true,
        sojourn: true,
        end_to_end: true,
        lag: false,
        lag_time: false,
        staleness: false,
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = true;
    const DOT: (&'static str, &'static str) = ("box", "#d5f5e3");
    const MERMAID: (&'static str, &'static str) = ("[", "]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut out = Vec::new();
        let mut line = dist_text(&self.service);
        if self.instances > 1 || self.concurrency > 1 {
            line = format!("{} × {}, {line}", self.instances, self.concurrency);
        }
        out.push(line);
        if self.failure > 0.0 {
            out.push(format!("fails {}%", self.failure * 100.0));
        }
        if let Some(retry) = retry_text(&self.retry) {
            out.push(retry);
        }
        out.extend(self.outbox.as_ref().map(super::outbox::Outbox::mark));
        out.extend(self.versions.as_ref().map(super::versions::Reads::mark));
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        use crate::insights::Limit;
        let mut limits = vec![match &self.serverless {
            Some(s) => Limit::Concurrency(s.concurrency),
            None => Limit::Instances {
                instances: self.instances,
                concurrency: self.concurrency,
                max: self.autoscale.as_ref().map(|a| a.max),
            },
        }];
        limits.extend(self.outbox.as_ref().map(super::outbox::Outbox::limit));
        limits
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        use crate::nodes::NodeKind;
        if w.no_input() {
            return;
        }
        if self.delivery == Delivery::AtMostOnce && self.retry != RetryPolicy::None {
            w.warning(
                "an at-most-once consumer acknowledges on receipt and never retries: its retry policy has no effect",
            );
        } else if (self.failure > 0.0 || !self.poison.is_empty())
            && w.dlq_out == 0
            && self.delivery != Delivery::AtMostOnce
        {
            let graph = w.graph;
            let queue_dlq = w.upstream().any(|q| {
                matches!(graph[q].kind, NodeKind::Queue(_))
                    && graph
                        .neighbors_directed(q, Direction::Outgoing)
                        .any(|d| matches!(graph[d].kind, NodeKind::DeadLetter(_)))
            });
            if !queue_dlq {
                w.warning(
                    "messages that fail every attempt are dropped: connect a dead-letter queue to keep them",
                );
            }
        } else if self.breaker.is_some() && w.calls == 0 {
            w.warning(
                "the circuit breaker guards calls to a service, but this consumer calls none",
            );
        }
        if self.call_timeout.is_some() && w.calls == 0 {
            w.warning("the call timeout limits calls to a service, but this consumer calls none");
        }
        if let Some(reads) = &self.versions {
            let rejects = reads.older == super::versions::OnVersion::Reject
                || reads.newer == super::versions::OnVersion::Reject;
            let graph = w.graph;
            let queue_dlq = w.upstream().any(|q| {
                matches!(graph[q].kind, NodeKind::Queue(_))
                    && graph
                        .neighbors_directed(q, Direction::Outgoing)
                        .any(|d| matches!(graph[d].kind, NodeKind::DeadLetter(_)))
            });
            if rejects && w.dlq_out == 0 && !queue_dlq {
                w.warning(
                    "versions it rejects are dropped: connect a dead-letter queue to keep them",
                );
            }
        }
        if self.outbox.is_some() && w.data_out == 0 {
            w.error("the outbox's relay publishes what the consumer sends on, but it sends nothing on: connect its output");
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::Serve(self.servers())
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        if self.autoscale != new.autoscale {
            Some("its autoscaling changed")
        } else if self.breaker != new.breaker {
            Some("its circuit breaker changed")
        } else if self.serverless != new.serverless {
            Some("its serverless set-up changed")
        } else if self.outbox.is_some() != new.outbox.is_some() {
            Some("its outbox was added or removed")
        } else {
            None
        }
    }
}

impl crate::nodes::Runtime for ConsumerParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        let mut rt = ConsumerRt::new(self, cx.seed, cx.id);
        rt.poison = self.poison.iter().map(|name| cx.type_id(name)).collect();
        cx.outbox(sim, self.outbox.as_ref());
        rt.calls = cx.calls;
        rt.node = cx.node;
        sim.consumers.push(rt);
        sim.consumers.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, node: NodeIx, slot: Slot) {
        sim.consumers[slot].retune(self);
        if let (Some(ob), Some(params)) = (sim.outboxes[node].as_deref_mut(), &self.outbox) {
            ob.retune(params);
        }
        if self.serverless.is_none() {
            // An autoscaler keeps its own instance count.
            let instances = if self.autoscale.is_some() {
                sim.consumers[slot].instances()
            } else {
                u64::from(self.instances)
            };
            sim.consumer_set_instances(node, instances);
        }
        sim.consumer_fill(node);
    }

    fn held(sim: &Simulation, node: NodeIx, slot: Slot) -> u64 {
        sim.consumers[slot].held() + sim.outbox_held(node)
    }

    fn down(sim: &mut Simulation, node: NodeIx) {
        sim.consumer_crash(node);
        sim.outbox_down(node);
        sim.log_members_changed(node);
    }

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.log_members_changed(node);
        sim.consumer_fill(node);
        sim.outbox_up(node);
    }

    fn slow(sim: &mut Simulation, _node: NodeIx, slot: Slot, factor: f64) {
        sim.consumers[slot].scale_service(factor);
    }

    fn reset(sim: &mut Simulation, _now: SimTime) {
        for reads in sim
            .consumers
            .iter_mut()
            .filter_map(|c| c.reads.as_deref_mut())
        {
            reads.reset();
        }
    }

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        let c = &sim.consumers[topo.slot];
        r.real("instances", st.instances.mean(end));
        if c.is_serverless() {
            r.count("max_instances", st.instances.max());
            r.count("cold_starts", st.cold_starts);
            r.count("throttled", st.throttled);
        }
        if c.autoscaler.is_some() {
            r.count("max_instances", st.instances.max());
            r.count("scale_outs", st.scale_outs);
            r.count("scale_ins", st.scale_ins);
        }
        r.level("mean_depth", "max_depth", &st.depth, end);
        let capacity = st.capacity.mean(end).max(f64::MIN_POSITIVE);
        r.busy(&st.busy, Some(capacity), end);
        r.real("blocked_fraction", st.blocked.mean(end) / capacity);
        r.latency("wait_s", &st.wait.summary());
        r.latency("sojourn_s", &st.sojourn.summary());
        r.count("retries", st.retries);
        r.count("timeouts", st.timeouts);
        if c.call_timeout.is_some() {
            r.count("call_timeouts", st.call_timeouts);
        }
        if c.breaker.is_some() {
            r.count("fast_failed", st.fast_failed);
            r.count("breaker_opens", st.breaker_opens);
            r.real("breaker_open_fraction", st.breaker_open.mean(end));
            r.real("breaker_half_open_fraction", st.breaker_half_open.mean(end));
        }
        r.count("dead_lettered", st.dead_lettered);
        r.count("out_of_order", st.out_of_order);
        if c.inbox_window != Duration::MAX {
            r.count("inbox_missed", st.inbox_missed);
        }
        if let Some(reads) = c.reads.as_deref() {
            reads.report(r);
        }
        if topo.out.is_empty() {
            r.count("completed", st.completed);
            r.count("duplicates", st.duplicates);
            r.latency("end_to_end_s", &st.end_to_end.summary());
        }
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        let c = &sim.consumers[slot];
        g.breaker = c.breaker.as_ref().map(|b| b.state);
        (c.held(), Some(c.slots_total()))
    }
}

impl crate::export::KindExport for ConsumerParams {
    /// A consumer's receives and sends are operations; what is pushed to it
    /// directly arrives on a channel of its own, its inbox.
    const ASYNCAPI_CHANNEL: bool = false;

    fn asyncapi_channel_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = "; grant it lambda:InvokeFunction (not generated)";

    /// An `aws_lambda_function` with reserved concurrency (instances ×
    /// concurrency) and its dead-letter queue, and an
    /// `aws_lambda_event_source_mapping` per queue it reads.
    #[expect(
        clippy::too_many_lines,
        reason = "the function, then its event sources, in file order"
    )]
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let model = tf.model;
        let graph = &model.graph;
        let node = &graph[n];
        let name = tf.name_of(n);
        let _ = writeln!(out, "resource \"aws_lambda_function\" \"{name}\" {{");
        let _ = writeln!(
            out,
            "  function_name                  = {}",
            string(&node.id)
        );
        out.push_str("  role                           = var.lambda_role_arn\n");
        out.push_str("  runtime                        = var.lambda_runtime\n");
        out.push_str("  handler                        = var.lambda_handler\n");
        let _ = writeln!(out, "  filename                       = var.{name}_package");
        let _ = writeln!(
            out,
            "  reserved_concurrent_executions = {} # simulated: instances {} × concurrency {}",
            self.slots(),
            self.instances,
            self.concurrency
        );
        match self.timeout {
            Some(t) => {
                let whole = t.0.div_ceil(NANOS_PER_SEC);
                if (1..=MAX_LAMBDA_TIMEOUT_S).contains(&whole) {
                    let rounded = if whole * NANOS_PER_SEC == t.0 {
                        String::new()
                    } else {
                        format!(" {t}, rounded up to whole seconds")
                    };
                    let _ = writeln!(
                        out,
                        "  timeout                        = {whole} # simulated: timeout{rounded}"
                    );
                } else {
                    let _ = writeln!(
                        out,
                        "  # Not mapped: timeout {t}: a Lambda function's timeout is 1 to {MAX_LAMBDA_TIMEOUT_S} s."
                    );
                }
            }
            None => out.push_str(
                "  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.\n",
            ),
        }
        if let Some(dlq) = dead_letter_of(model, n) {
            out.push_str("  dead_letter_config {\n");
            let _ = writeln!(
                out,
                "    target_arn = aws_sqs_queue.{}.arn # simulated: the consumer's dead-letter queue (used for asynchronous invocations)",
                tf.name_of(dlq)
            );
            out.push_str("  }\n");
        }
        let _ = writeln!(
            out,
            "  # Not mapped: service time {}, failure probability {}: they describe the function's code.",
            one_line(&dist_text(&self.service)),
            self.failure
        );
        let _ = writeln!(
            out,
            "  # Not mapped: delivery {:?}: Lambda's SQS event sources deliver at least once; idempotency is the code's business.",
            self.delivery
        );
        if let Some(retry) = retry_text(&self.retry) {
            let _ = writeln!(
                out,
                "  # Not mapped: retry policy ({}): Lambda retries SQS messages through the queue's visibility timeout and redrive policy, asynchronous invocations at most twice.",
                one_line(&retry)
            );
        }
        for e in graph.edges_directed(n, Direction::Outgoing) {
            if edge_role(model, e.id()) == Some(EdgeRole::Push) {
                let _ = writeln!(
                    out,
                    "  # It sends to '{}'{}{}.",
                    one_line(&graph[e.target()].id),
                    latency_note(e.weight().latency),
                    send_permission(&graph[e.target()].kind)
                );
            }
        }
        out.push_str("}\n");
        for e in graph.edges_directed(n, Direction::Incoming) {
            let source = e.source();
            match edge_role(model, e.id()) {
                Some(EdgeRole::Pull) if graph[source].kind.kind() == Kind::Log => {
                    let _ = writeln!(
                        out,
                        "# Not mapped: '{}' reads the Kafka log '{}' as consumer group '{}': an event source mapping from Amazon MSK or self-managed Kafka would carry it, and this file has no Kafka cluster to point at.",
                        one_line(&node.id),
                        one_line(&graph[source].id),
                        one_line(&node.id)
                    );
                }
                Some(EdgeRole::Pull) => {
                    let mapping = tf.new_name(&format!("{}_to_{}", graph[source].id, node.id));
                    let _ = writeln!(
                        out,
                        "\nresource \"aws_lambda_event_source_mapping\" \"{mapping}\" {{"
                    );
                    let _ = writeln!(
                        out,
                        "  event_source_arn = aws_sqs_queue.{}.arn",
                        tf.name_of(source)
                    );
                    let _ = writeln!(out, "  function_name    = aws_lambda_function.{name}.arn");
                    out.push_str(
                        "  batch_size       = 1 # simulated: each attempt processes one message\n",
                    );
                    if let Some(dlq) = dead_letter_of(model, n)
                        && dead_letter_of(model, source).is_none()
                    {
                        let _ = writeln!(
                            out,
                            "  # Not mapped: the consumer's dead-letter queue '{}': for messages from SQS, AWS dead-letters through the queue's redrive policy, and '{}' has none.",
                            one_line(&graph[dlq].id),
                            one_line(&graph[source].id)
                        );
                    }
                    let slots = self.slots();
                    if (2..=1000).contains(&slots) {
                        out.push_str("  scaling_config {\n");
                        let _ = writeln!(
                            out,
                            "    maximum_concurrency = {slots} # simulated: instances × concurrency"
                        );
                        out.push_str("  }\n");
                    } else {
                        let _ = writeln!(
                            out,
                            "  # Not mapped: {slots} slot(s): an event source's maximum concurrency is 2 to 1000."
                        );
                    }
                    out.push_str("}\n");
                }
                Some(EdgeRole::Push) if graph[source].kind.kind() != Kind::Topic => {
                    let _ = writeln!(
                        out,
                        "# '{}' invokes '{}' directly{}: no event source mapping.",
                        one_line(&graph[source].id),
                        one_line(&node.id),
                        latency_note(e.weight().latency)
                    );
                }
                _ => {}
            }
        }
    }

    /// No Kafka topic: a consumer reading a log is a consumer group, which the log's topic lists.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::metric as get;
    use crate::model::file::from_str;
    use crate::{RunResult, Simulation};

    /// A queue whose visibility timeout (60 ms) is shorter than many service
    /// times (mean 40 ms, exponential): receipts expire and the queue
    /// delivers messages again while the consumer still works on them.
    fn run(consumer_extra: &str) -> (RunResult, usize) {
        let text = format!(
            r#"(
                version: 1,
                name: "delivery",
                scenario: (duration: "300s", seed: 5),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
                    (id: "q", kind: Queue(visibility_timeout: "60ms")),
                    (id: "srv", kind: Consumer(instances: 4, service: Exponential(mean: "40ms"){consumer_extra})),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        let mut sim = Simulation::new(&model, 5).expect("valid");
        sim.run_until(sim.end()).expect("runs");
        let followed = sim.ledger.followed();
        (sim.result(), followed)
    }

    #[test]
    fn at_least_once_lets_duplicates_through() {
        let (r, followed) = run("");
        let redelivered = get(&r, "q", "redelivered");
        let duplicates = get(&r, "out", "duplicates");
        // P(service > 60 ms) = e^-1.5 ≈ 22% of about 6 000 messages.
        assert!(redelivered > 1_000.0, "redelivered {redelivered}");
        assert!(
            duplicates > 0.5 * redelivered,
            "duplicates {duplicates} of {redelivered} redeliveries"
        );
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        assert!(
            followed as u64 <= r.conservation.in_flight,
            "the ledger outlived its messages"
        );
    }

    /// An inbox that forgets ids after 10 ms lets through the copies
    /// finished later than that after the first, and counts each; one
    /// that keeps them an hour catches every copy.
    #[test]
    fn an_inbox_window_lets_late_copies_through_and_counts_them() {
        let (short, _) = run(", delivery: ExactlyOnce, inbox: \"10ms\"");
        let missed = get(&short, "srv", "inbox_missed");
        assert!(missed > 50.0, "missed {missed}");
        assert_eq!(get(&short, "out", "duplicates"), missed);
        assert!(short.conservation.balanced(), "{:?}", short.conservation);
        let (long, _) = run(", delivery: ExactlyOnce, inbox: \"1h\"");
        assert_eq!(get(&long, "srv", "inbox_missed"), 0.0);
        assert_eq!(get(&long, "out", "duplicates"), 0.0);
        // An inbox is what makes a consumer idempotent.
        let (model, _) = from_str(
            r#"(version: 1, name: "x",
                nodes: [(id: "p", kind: Producer(arrival: Poisson(rate: 1.0))),
                        (id: "c", kind: Consumer(service: Constant("1ms"), inbox: "1m"))],
                edges: [(from: "p", to: "c")])"#,
        )
        .expect("parses");
        assert!(
            crate::validate::validate(&model)
                .iter()
                .any(|d| d.message.contains("needs delivery: ExactlyOnce"))
        );
    }

    #[test]
    fn exactly_once_discards_duplicates_before_they_reach_the_sink() {
        let (r, _) = run(", delivery: ExactlyOnce");
        assert_eq!(get(&r, "out", "duplicates"), 0.0);
        let discarded = get(&r, "srv", "drops.duplicate");
        assert!(discarded > 500.0, "discarded {discarded}");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        // Every event reached the sink once (bar those still in flight).
        let emitted = r.conservation.emitted as f64;
        let completed = get(&r, "out", "completed");
        assert!(
            (emitted - completed).abs() <= r.conservation.in_flight as f64,
            "{emitted} vs {completed}"
        );
    }

    #[test]
    fn at_most_once_loses_failures_and_never_duplicates() {
        let (r, _) = run(", failure: 0.1, retry: Immediate(), delivery: AtMostOnce");
        assert_eq!(
            get(&r, "q", "redelivered"),
            0.0,
            "acknowledged on receipt: nothing expires"
        );
        assert_eq!(get(&r, "out", "duplicates"), 0.0);
        assert_eq!(get(&r, "srv", "retries"), 0.0);
        let failed = get(&r, "srv", "drops.failed");
        let received = get(&r, "srv", "arrived");
        assert!(
            (failed / received - 0.1).abs() < 0.015,
            "lost {failed} of {received}"
        );
    }

    #[test]
    fn a_timeout_fails_slow_attempts() {
        // Uniform 0–100 ms against a 50 ms timeout: half the attempts fail
        // and are retried until one is quick enough.
        let text = r#"(
            version: 1,
            name: "timeout",
            scenario: (duration: "200s", seed: 9),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 10.0))),
                (id: "q", kind: Queue()),
                (id: "srv", kind: Consumer(instances: 2, service: Uniform(min: "0ms", max: "100ms"),
                    timeout: "50ms", retry: Immediate())),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = crate::run_once(&model, 9).expect("runs");
        let (timeouts, attempts) = (get(&r, "srv", "timeouts"), get(&r, "srv", "arrived"));
        assert!(
            (timeouts / attempts - 0.5).abs() < 0.03,
            "{timeouts} of {attempts}"
        );
        assert_eq!(get(&r, "srv", "retries"), timeouts);
        // No attempt lasts longer than the timeout.
        assert!(get(&r, "srv", "sojourn_s.max") <= 0.050 + 1e-9);
    }

    #[test]
    fn serverless_cold_starts_and_keep_alive() {
        // One event every 2 s, each taking 100 ms: one instance serves them
        // all if it stays warm for 5 s, but with a 1 s keep-alive every
        // event starts cold.
        let run = |keep_alive: &str| {
            let text = format!(
                r#"(
                    version: 1,
                    name: "serverless",
                    scenario: (duration: "100s", seed: 1),
                    nodes: [
                        (id: "src", kind: Producer(arrival: Constant(rate: 0.5))),
                        (id: "fn", kind: Consumer(service: Constant("100ms"),
                            serverless: (concurrency: 10, cold_start: "400ms", keep_alive: "{keep_alive}"))),
                    ],
                    edges: [(from: "src", to: "fn")],
                )"#
            );
            let (model, _) = from_str(&text).expect("loads");
            crate::run_once(&model, 1).expect("runs")
        };
        let warm = run("5s");
        assert_eq!(get(&warm, "fn", "cold_starts"), 1.0);
        assert_eq!(get(&warm, "fn", "max_instances"), 1.0);
        let cold = run("1s");
        assert_eq!(get(&cold, "fn", "cold_starts"), get(&cold, "fn", "arrived"));
        assert!(
            (get(&cold, "fn", "sojourn_s.mean") - 0.5).abs() < 1e-9,
            "cold starts add 400 ms"
        );
        // Each instance lives 500 ms busy plus 1 s warm of every 2 s (the
        // first 2 s of the run have none).
        let alive = get(&cold, "fn", "instances");
        assert!((alive - 0.75 * 98.0 / 100.0).abs() < 0.01, "{alive}");
    }
}
