//! Log: a Kafka-style partitioned, retained log.
//!
//! A message sent to a log is appended to one of its partitions — chosen by
//! a hash of the message's key, or round-robin — and stays there until it
//! is older than the retention, whether or not anyone read it. A log never
//! refuses a message (there is no size cap; retention alone bounds what it
//! holds), so it never blocks its producers, except while it is down.
//!
//! **Consumer groups.** Each consumer node connected to a log is one
//! consumer group (named by the consumer's id), and every group reads every
//! message: a group receives its own copy of each record (counted as a
//! fan-out copy). Each processing slot of the consumer (instances ×
//! concurrency; a serverless function's concurrency limit) is one member of
//! the group. Partition `p` is assigned to member `p mod members`; a member
//! processes one record at a time from its partitions, and a partition has
//! at most one record in progress per group, so records of a partition are
//! processed in offset order. Members beyond the partition count have no
//! partition and sit idle.
//!
//! **Offsets and failures.** A group commits a record's offset when its
//! consumer is done with it (processed, dead-lettered, or given up). A
//! failed record is retried by the consumer's retry policy from the head of
//! its partition: until it succeeds or runs out of attempts, nothing behind
//! it in that partition is read by that group (head-of-line blocking), while
//! the group's other partitions keep flowing. An at-most-once consumer
//! commits on receipt in Kafka's sense: a failure loses the record
//! (dropped, `failed`) and the partition moves on. A consumer that crashes
//! hands its uncommitted records back; the group reads them again once it
//! is back.
//!
//! **Rebalances.** When the number of members of a group changes
//! (autoscaling, a crash, a recovery), the group rebalances: it fetches
//! nothing for `rebalance_pause`; work already in progress finishes.
//!
//! **Retention.** A record older than `retention` is removed and counted
//! as `expired` in the conservation identity (the record itself; the
//! groups' copies live on independently). A record removed before a group
//! read it is also counted as `missed` by that group, which then continues
//! from the oldest record still held (Kafka's `auto.offset.reset=earliest`).
//! Memory is bounded by rate × retention.
//!
//! **Lag.** Per group and partition: lag in messages (end offset minus
//! committed offset, records in progress included) and lag in seconds (the
//! age of the oldest uncommitted record; zero when caught up), each as the
//! current value, the time-weighted mean and the maximum.

use std::collections::VecDeque;
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::engine::{Ev, MsgId, NodeIx, Origin, Simulation, Slot};
use crate::export::retention_ms;
use crate::export::terraform::{Terraform, one_line, string};
use crate::metrics::Level;
use crate::model::{Model, Node};
use crate::rng::mix64;
use crate::time::{Duration, SimTime};

/// A log's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogParams {
    /// Partitions of the log (Kafka's `num.partitions` defaults to 1).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub partitions: u32,
    /// How a message's partition is chosen.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub partitioner: Partitioner,
    /// How long a record is kept (Kafka's `retention.ms`, 7 days by default).
    #[serde(
        default = "default_retention",
        skip_serializing_if = "is_default_retention"
    )]
    pub retention: Duration,
    /// How long a consumer group fetches nothing after its membership
    /// changes.
    #[serde(
        default = "default_rebalance",
        skip_serializing_if = "is_default_rebalance"
    )]
    pub rebalance_pause: Duration,
    /// Replicas (Kafka's replication factor), `min.insync.replicas`, the
    /// producers' `acks` and persistence; `None` for one broker on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durability: Option<super::durability::Durability>,
    /// How often each consumer group saves its offsets (Kafka's
    /// `auto.commit.interval.ms`, an Event Hubs checkpoint); `None` to
    /// save after every record. A group whose consumer crashes reads
    /// again from its last saved offsets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub checkpoint: Option<Duration>,
    /// Azure Event Hubs' ingress limit (throughput units); `None` for a
    /// log that never throttles.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_hubs: Option<super::event_hubs::EventHubs>,
}

/// How a log picks a message's partition.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Partitioner {
    /// A hash of the message's key: one key always lands in one partition,
    /// so per-key order holds.
    #[default]
    KeyHash,
    /// Partitions in turn, whatever the key.
    RoundRobin,
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
/// Kafka's default `retention.ms`: 7 days.
pub const DEFAULT_RETENTION: Duration = Duration::from_secs(7 * 24 * 3600);
const fn default_retention() -> Duration {
    DEFAULT_RETENTION
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_default_retention(d: &Duration) -> bool {
    *d == DEFAULT_RETENTION
}
/// Kafka's `group.initial.rebalance.delay.ms` default: 3 s.
pub const DEFAULT_REBALANCE_PAUSE: Duration = Duration::from_secs(3);
const fn default_rebalance() -> Duration {
    DEFAULT_REBALANCE_PAUSE
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_default_rebalance(d: &Duration) -> bool {
    *d == DEFAULT_REBALANCE_PAUSE
}

/// The group of a log wake-up that is the throttle's, not a group's.
const THROTTLE_WAKE: u32 = u32::MAX;

/// More partitions than this are refused (each costs state per group).
pub const MAX_PARTITIONS: u32 = 4096;

impl Default for LogParams {
    fn default() -> Self {
        Self {
            partitions: 1,
            partitioner: Partitioner::KeyHash,
            retention: DEFAULT_RETENTION,
            rebalance_pause: DEFAULT_REBALANCE_PAUSE,
            durability: None,
            checkpoint: None,
            event_hubs: None,
        }
    }
}

impl LogParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.partitions == 0 {
            out.push("a log needs at least 1 partition".to_owned());
        }
        if self.partitions > MAX_PARTITIONS {
            out.push(format!(
                "at most {MAX_PARTITIONS} partitions are supported (found {})",
                self.partitions
            ));
        }
        if self.retention.is_zero() {
            out.push("the retention must be longer than zero".to_owned());
        }
        super::check_durations(
            &[
                ("the retention", self.retention),
                ("the rebalance pause", self.rebalance_pause),
            ],
            &mut out,
        );
        if let Some(every) = self.checkpoint {
            if every.is_zero() {
                out.push(
                    "the checkpoint interval must be longer than zero (leave it out to save offsets after every record)"
                        .to_owned(),
                );
            }
            super::check_durations(&[("the checkpoint interval", every)], &mut out);
        }
        super::durability::check(self.durability.as_ref(), &mut out);
        if let Some(hubs) = self.event_hubs {
            hubs.problems(&mut out);
            super::event_hubs::EventHubs::log_problems(self.partitions, self.retention, &mut out);
        }
        out
    }
}

/// The partition a key-hash partitioner gives `key` among `partitions`.
pub fn partition_for_key(key: u32, partitions: u32) -> u32 {
    let p = mix64(u64::from(key) ^ 0x6b61_666b_615f_6c6f) % u64::from(partitions.max(1));
    u32::try_from(p).unwrap_or(0)
}

/// How many members' counts a group keeps: partition `p` belongs to member
/// `p % members`, so members past the partitions' number never get one.
fn member_slots(members: u64, partitions: usize) -> usize {
    usize::try_from(members).map_or(partitions, |m| m.min(partitions))
}

/// The age of a group's oldest uncommitted record, integrated over time.
#[derive(Clone, Debug, Default)]
pub(crate) struct Age {
    /// Append time of the oldest uncommitted record, if any.
    oldest: Option<u64>,
    since: u64,
    start: u64,
    /// ∫ age dt, in s².
    area: f64,
    max: u64,
    /// The highest age since the last [`Self::restart_peak`].
    peak: u64,
}

impl Age {
    fn accrue(&mut self, now: u64) {
        if let Some(a) = self.oldest {
            #[expect(clippy::cast_precision_loss, reason = "ages in seconds")]
            let (x0, x1) = (
                self.since.saturating_sub(a) as f64 / 1e9,
                now.saturating_sub(a) as f64 / 1e9,
            );
            self.area += (x1 * x1 - x0 * x0) / 2.0;
            let age = now.saturating_sub(a);
            self.max = self.max.max(age);
            self.peak = self.peak.max(age);
        }
        self.since = now;
    }

    /// The highest age since the last restart, up to `now`, in seconds.
    fn peak_s(&self, now: u64) -> f64 {
        let current = self.oldest.map_or(0, |a| now.saturating_sub(a));
        #[expect(clippy::cast_precision_loss, reason = "ages in seconds")]
        let peak = self.peak.max(current) as f64 / 1e9;
        peak
    }

    /// Starts a new peak from the age at `now`.
    fn restart_peak(&mut self, now: u64) {
        self.accrue(now);
        self.peak = self.oldest.map_or(0, |a| now.saturating_sub(a));
    }

    fn set(&mut self, now: u64, oldest: Option<u64>) {
        self.accrue(now);
        self.oldest = oldest;
    }

    fn reset(&mut self, now: u64) {
        self.accrue(now);
        self.area = 0.0;
        self.start = now;
        self.max = self.oldest.map_or(0, |a| now.saturating_sub(a));
        self.peak = self.max;
    }

    fn current_s(&self, now: u64) -> f64 {
        #[expect(clippy::cast_precision_loss, reason = "ages in seconds")]
        self.oldest
            .map_or(0.0, |a| now.saturating_sub(a) as f64 / 1e9)
    }

    fn mean_s(&self, now: u64) -> f64 {
        let mut copy = self.clone();
        copy.accrue(now);
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        let span = now.saturating_sub(self.start) as f64 / 1e9;
        if span > 0.0 {
            copy.area / span
        } else {
            copy.current_s(now)
        }
    }

    fn max_s(&self, now: u64) -> f64 {
        let mut copy = self.clone();
        copy.accrue(now);
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        let max = copy.max as f64 / 1e9;
        max
    }
}

/// One partition's records.
#[derive(Clone, Debug, Default)]
struct Partition {
    /// Offset of `records[0]`.
    base: u64,
    /// (append time, record), oldest first.
    records: VecDeque<(SimTime, MsgId)>,
    appended: u64,
}

impl Partition {
    fn end(&self) -> u64 {
        self.base + self.records.len() as u64
    }

    fn append_time(&self, offset: u64) -> Option<SimTime> {
        let i = usize::try_from(offset.checked_sub(self.base)?).ok()?;
        self.records.get(i).map(|&(t, _)| t)
    }
}

/// A group's position in one partition.
#[derive(Clone, Debug, Default)]
struct GroupPart {
    /// Every offset below this is done.
    committed: u64,
    /// The next offset to read.
    next: u64,
    /// A record of this partition is with the consumer.
    busy: bool,
    /// A failed (or abandoned) record waiting to be tried again, and when.
    retry: Option<(MsgId, SimTime)>,
    lag: Level,
    age: Age,
    /// With periodic checkpoints: the offset saved last (every offset
    /// below it is done for good).
    saved: u64,
    /// When `committed` last changed, in nanoseconds: a checkpoint taken
    /// since saved the value it has had since.
    changed: u64,
    /// After a crash: the offsets below this that the group reads again
    /// (it had processed them, but not saved past them).
    replay_to: u64,
    /// The lineage of the group's copy of each offset from `saved` on
    /// that it has read: a record read again keeps its identity, so a
    /// duplicate is counted where it completes.
    lineages: VecDeque<u64>,
    /// Copies a crash took from the consumer before it was done with them
    /// (offset, copy): each goes back to the consumer when the replay
    /// reaches its offset, as itself, not as a duplicate.
    held: Vec<(u64, MsgId)>,
}

impl GroupPart {
    /// Saves `committed` as it stood at the last checkpoint before `now`
    /// (every `every` nanoseconds) if one was taken since it last changed.
    #[inline(always)]
    fn catch_up(&mut self, now: u64, every: u64, ledger: &mut crate::ledger::Ledger) {
        if every == 0 {
            return;
        }
        if now / every > self.changed / every {
            self.save(self.committed, ledger);
        }
        self.changed = now;
    }

    /// Moves the saved offset up to `to`: what lies below is never read
    /// again, so its lineages are let go.
    #[inline(never)]
    fn save(&mut self, to: u64, ledger: &mut crate::ledger::Ledger) {
        if to <= self.saved {
            return;
        }
        let n = usize::try_from(to - self.saved).unwrap_or(usize::MAX);
        for lineage in self.lineages.drain(..n.min(self.lineages.len())) {
            ledger.unpin(lineage);
        }
        self.saved = to;
    }

    /// The offsets below this the group has read (some may be read again
    /// after a crash).
    fn read_to(&self) -> u64 {
        self.next.max(self.replay_to)
    }
}

/// A consumer group: one consumer node reading this log.
#[derive(Clone, Debug)]
pub(crate) struct Group {
    pub consumer: NodeIx,
    parts: Vec<GroupPart>,
    members: u64,
    /// Records in progress per member.
    member_busy: Vec<u32>,
    paused_until: SimTime,
    next: usize,
    lag: Level,
    age: Age,
    members_level: Level,
    idle: Level,
    paused: Level,
    rebalances: u64,
    missed: u64,
    /// Records read again after a crash, from the last checkpoint.
    redelivered: u64,
}

/// A log during a run.
#[derive(Clone, Debug)]
pub(crate) struct LogRt {
    partitions: Vec<Partition>,
    partitioner: Partitioner,
    retention: Duration,
    rebalance_pause: Duration,
    next_partition: u32,
    timer_pending: bool,
    pub groups: Vec<Group>,
    records: u64,
    expired: u64,
    /// Nanoseconds between the groups' checkpoints; 0 to commit after
    /// every record.
    checkpoint: u64,
    /// Event Hubs' ingress limit.
    pub(crate) throttle: Option<super::event_hubs::Throttle>,
}

impl LogRt {
    pub fn new(params: &LogParams) -> Self {
        Self {
            partitions: (0..params.partitions.max(1))
                .map(|_| Partition::default())
                .collect(),
            partitioner: params.partitioner,
            retention: params.retention.max(Duration(1)),
            rebalance_pause: params.rebalance_pause,
            next_partition: 0,
            timer_pending: false,
            groups: Vec::new(),
            records: 0,
            expired: 0,
            checkpoint: params.checkpoint.map_or(0, |d| d.as_nanos().max(1)),
            throttle: params.event_hubs.map(super::event_hubs::Throttle::new),
        }
    }

    /// Adds a consumer group; returns its index.
    pub fn add_group(&mut self, consumer: NodeIx, members: u64) -> u32 {
        let parts = (0..self.partitions.len())
            .map(|_| GroupPart::default())
            .collect();
        let mut group = Group {
            consumer,
            parts,
            members,
            member_busy: vec![0; member_slots(members, self.partitions.len())],
            paused_until: SimTime::ZERO,
            next: 0,
            lag: Level::default(),
            age: Age::default(),
            members_level: Level::default(),
            idle: Level::default(),
            paused: Level::default(),
            rebalances: 0,
            missed: 0,
            redelivered: 0,
        };
        group.members_level.set(SimTime::ZERO, members);
        group.idle.set(
            SimTime::ZERO,
            members.saturating_sub(self.partitions.len() as u64),
        );
        self.groups.push(group);
        u32::try_from(self.groups.len() - 1).unwrap_or(u32::MAX)
    }

    /// Records group `consumer` has yet to commit and is not processing
    /// (its lag less its records in progress): its share of an autoscaler's
    /// backlog.
    pub fn waiting_for(&self, consumer: NodeIx) -> u64 {
        self.group_of(consumer).map_or(0, |g| {
            let group = &self.groups[g];
            let busy = group.parts.iter().filter(|gp| gp.busy).count() as u64;
            group.lag.value().saturating_sub(busy)
        })
    }

    /// The largest lag of any group reading this log, in records.
    pub fn max_lag(&self) -> u64 {
        self.groups.iter().map(|g| g.lag.value()).max().unwrap_or(0)
    }

    /// The highest lag, in records, any group reached since the warm-up
    /// (`peak`: since its last restart).
    pub fn lag_high(&self, peak: bool) -> u64 {
        let high = |l: &Level| if peak { l.peak() } else { l.max() };
        self.groups.iter().map(|g| high(&g.lag)).max().unwrap_or(0)
    }

    /// The highest age of a group's oldest uncommitted record, in
    /// seconds, since the warm-up (`peak`: since the last restart).
    pub fn age_high_s(&self, now: SimTime, peak: bool) -> f64 {
        let now = now.as_nanos();
        self.groups
            .iter()
            .map(|g| {
                if peak {
                    g.age.peak_s(now)
                } else {
                    g.age.max_s(now)
                }
            })
            .fold(0.0, f64::max)
    }

    /// Starts new peaks of lag and age for every group.
    pub fn restart_peaks(&mut self, now: SimTime) {
        for g in &mut self.groups {
            g.lag.restart_peak();
            g.age.restart_peak(now.as_nanos());
        }
    }

    /// Records held.
    pub fn held(&self) -> u64 {
        self.records
    }

    /// Each partition now, into `out` (cleared first; its allocation is
    /// reused).
    pub fn partitions_now(&self, now: SimTime, out: &mut Vec<crate::snapshot::PartitionSnapshot>) {
        out.clear();
        out.extend(self.partitions.iter().enumerate().map(|(p, part)| {
            let (mut lag, mut oldest) = (0, None::<SimTime>);
            for group in &self.groups {
                let gp = &group.parts[p];
                lag = lag.max(gp.lag.value());
                if let Some(at) = part.append_time(gp.committed) {
                    oldest = Some(oldest.map_or(at, |o| o.min(at)));
                }
            }
            crate::snapshot::PartitionSnapshot {
                records: part.records.len() as u64,
                lag,
                oldest_unread: oldest.map_or(Duration::ZERO, |at| now.since(at)),
            }
        }));
    }

    fn group_of(&self, consumer: NodeIx) -> Option<usize> {
        self.groups.iter().position(|g| g.consumer == consumer)
    }

    /// Updates the lag of group `g` in partition `p` after a change.
    fn update_lag(&mut self, now: SimTime, g: usize, p: usize) {
        let part = &self.partitions[p];
        let gp = &mut self.groups[g].parts[p];
        let lag = part.end().saturating_sub(gp.committed);
        gp.lag.set(now, lag);
        let oldest = part.append_time(gp.committed);
        gp.age.set(now.as_nanos(), oldest.map(SimTime::as_nanos));
        let group = &mut self.groups[g];
        let total: u64 = group.parts.iter().map(|gp| gp.lag.value()).sum();
        group.lag.set(now, total);
        let oldest = group
            .parts
            .iter()
            .zip(&self.partitions)
            .filter_map(|(gp, part)| part.append_time(gp.committed))
            .min();
        group.age.set(now.as_nanos(), oldest.map(SimTime::as_nanos));
    }

    /// Forgets statistics before `now` (warm-up deletion).
    pub fn reset(&mut self, now: SimTime) {
        self.expired = 0;
        for part in &mut self.partitions {
            part.appended = 0;
        }
        for group in &mut self.groups {
            group.lag.reset(now);
            group.age.reset(now.as_nanos());
            group.members_level.reset(now);
            group.idle.reset(now);
            group.paused.reset(now);
            group.rebalances = 0;
            group.missed = 0;
            group.redelivered = 0;
            for gp in &mut group.parts {
                gp.lag.reset(now);
                gp.age.reset(now.as_nanos());
            }
        }
    }

    /// The log's metrics (paths and values) at `now`.
    pub fn metrics(&self, now: u64, ids: &[String], out: &mut Vec<(String, f64)>) {
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        let count = |v: u64| v as f64;
        out.push(("records".to_owned(), count(self.records)));
        out.push(("expired".to_owned(), count(self.expired)));
        for (p, part) in self.partitions.iter().enumerate() {
            out.push((format!("partitions.{p}.appended"), count(part.appended)));
        }
        for group in &self.groups {
            // Node ids may hold dots; report paths use them as separators.
            let name = ids[group.consumer.ix()].replace('.', "_");
            let g = format!("groups.{name}");
            out.push((format!("{g}.lag.current"), count(group.lag.value())));
            out.push((format!("{g}.lag.mean"), group.lag.mean(now)));
            out.push((format!("{g}.lag.max"), count(group.lag.max())));
            out.push((format!("{g}.lag_s.current"), group.age.current_s(now)));
            out.push((format!("{g}.lag_s.mean"), group.age.mean_s(now)));
            out.push((format!("{g}.lag_s.max"), group.age.max_s(now)));
            out.push((format!("{g}.members"), group.members_level.mean(now)));
            out.push((format!("{g}.idle_members"), group.idle.mean(now)));
            out.push((format!("{g}.rebalances"), count(group.rebalances)));
            out.push((format!("{g}.rebalancing_fraction"), group.paused.mean(now)));
            out.push((format!("{g}.missed"), count(group.missed)));
            if self.checkpoint > 0 {
                out.push((format!("{g}.redelivered"), count(group.redelivered)));
            }
            for (p, gp) in group.parts.iter().enumerate() {
                let pp = format!("{g}.partitions.{p}");
                out.push((format!("{pp}.lag.current"), count(gp.lag.value())));
                out.push((format!("{pp}.lag.mean"), gp.lag.mean(now)));
                out.push((format!("{pp}.lag.max"), count(gp.lag.max())));
                out.push((format!("{pp}.lag_s.current"), gp.age.current_s(now)));
                out.push((format!("{pp}.lag_s.mean"), gp.age.mean_s(now)));
                out.push((format!("{pp}.lag_s.max"), gp.age.max_s(now)));
            }
        }
    }
}

impl Simulation {
    fn log_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    /// Whether `node` is a log (messages name their origin by node index).
    pub(crate) fn is_log(&self, node: NodeIx) -> bool {
        self.topo
            .get(node.ix())
            .is_some_and(|t| t.kind == super::Kind::Log)
    }

    /// A message is appended to a partition.
    pub(crate) fn log_arrive(&mut self, node: NodeIx, msg: MsgId) {
        if self.is_down(node) && self.lost_on_arrival(node, msg) {
            return;
        }
        let l = self.log_slot(node);
        let now = self.now;
        if let Some(throttle) = self.logs[l].throttle.as_mut() {
            if !throttle.wait && !throttle.admits(now) {
                throttle.refuse(now);
                self.stats[node].throttled += 1;
                self.drop_msg(node, msg, crate::metrics::DropReason::Throttled);
                return;
            }
            throttle.take(now);
        }
        let log = &mut self.logs[l];
        let n = log.partitions.len() as u32;
        let p = match log.partitioner {
            Partitioner::KeyHash => partition_for_key(self.msgs.get(msg).key, n),
            Partitioner::RoundRobin => {
                let p = log.next_partition;
                log.next_partition = if p + 1 >= n { 0 } else { p + 1 };
                p
            }
        } as usize;
        let part = &mut log.partitions[p];
        part.records.push_back((now, msg));
        part.appended += 1;
        log.records += 1;
        let records = log.records;
        let arm = !log.timer_pending;
        log.timer_pending = true;
        let due = now + log.retention;
        let m = self.msgs.get_mut(msg);
        m.origin = Origin::PUSHED;
        m.wait_from = now;
        for g in 0..log.groups.len() {
            log.update_lag(now, g, p);
        }
        let stats = &mut self.stats[node];
        stats.depth.set(now, records);
        if arm {
            self.schedule(due, Ev::LogExpire(node));
        }
        for g in 0..self.logs[l].groups.len() {
            let consumer = self.logs[l].groups[g].consumer;
            self.consumer_fill(consumer);
        }
    }

    /// The next record group `consumer` may process from this log, as its
    /// own copy: a waiting retry first, else the next offset of a
    /// partition that has nothing in progress and whose member is free.
    pub(crate) fn log_receive(&mut self, node: NodeIx, consumer: NodeIx) -> Option<MsgId> {
        self.touch(node);
        let l = self.log_slot(node);
        let now = self.now;
        let g = self.logs[l].group_of(consumer)?;
        let log = &mut self.logs[l];
        let group = &mut log.groups[g];
        if group.members == 0 || now < group.paused_until {
            return None;
        }
        let n = log.partitions.len();
        let members = usize::try_from(group.members).unwrap_or(usize::MAX);
        let start = group.next;
        let mut found = None;
        for k in 0..n {
            let p = crate::engine::wrap(start + k, n);
            let gp = &group.parts[p];
            if gp.busy || group.member_busy[p % members] > 0 {
                continue;
            }
            if let Some((msg, ready)) = gp.retry {
                if ready <= now {
                    found = Some((p, Some(msg)));
                    break;
                }
                continue;
            }
            if gp.next < log.partitions[p].end() {
                found = Some((p, None));
                break;
            }
        }
        let (p, retry) = found?;
        group.next = crate::engine::wrap(p + 1, n);
        group.member_busy[p % members] += 1;
        let gp = &mut group.parts[p];
        gp.busy = true;
        let returned = if let Some(msg) = retry {
            gp.retry = None;
            Some(msg)
        } else if log.checkpoint > 0 && gp.next < gp.replay_to {
            // Replaying after a crash: a copy the crash took back comes
            // again as itself.
            let offset = gp.next;
            gp.held.iter().position(|&(o, _)| o == offset).map(|k| {
                gp.next += 1;
                gp.held.swap_remove(k).1
            })
        } else {
            None
        };
        let msg = if let Some(msg) = returned {
            msg
        } else {
            let part = &log.partitions[p];
            let offset = gp.next;
            gp.next += 1;
            let i = usize::try_from(offset - part.base).unwrap_or(usize::MAX);
            let (appended, record) = part.records[i];
            let checkpoints = log.checkpoint > 0;
            let again = (checkpoints && offset < gp.replay_to)
                .then(|| {
                    let i = usize::try_from(offset - gp.saved).unwrap_or(usize::MAX);
                    gp.lineages.get(i).copied()
                })
                .flatten();
            let copy = if let Some(lineage) = again {
                group.redelivered += 1;
                self.read_again(node, record, lineage)
            } else {
                let copy = self.copy(node, record);
                self.totals.fanout_copies += 1;
                if checkpoints {
                    self.log_remember(node, g, p, copy);
                }
                copy
            };
            let m = self.msgs.get_mut(copy);
            m.wait_from = appended;
            m.attempts = 0;
            let stats = &mut self.stats[node];
            stats.departed += 1;
            stats.wait.record(now - appended);
            copy
        };
        let m = self.msgs.get_mut(msg);
        m.origin = Origin::source(node);
        m.partition = u32::try_from(p).unwrap_or(u32::MAX);
        m.ticket = m.ticket.wrapping_add(1);
        Some(msg)
    }

    /// The consumer is done with its attempt at `partition`'s record: the
    /// group commits past it (processed, dead-lettered or given up).
    pub(crate) fn log_commit(&mut self, node: NodeIx, consumer: NodeIx, partition: u32) {
        self.touch(node);
        let l = self.log_slot(node);
        let now = self.now;
        let log = &mut self.logs[l];
        let Some(g) = log.group_of(consumer) else {
            return;
        };
        let p = partition as usize;
        let group = &mut log.groups[g];
        let members = usize::try_from(group.members.max(1)).unwrap_or(1);
        let gp = &mut group.parts[p];
        if gp.busy {
            gp.busy = false;
            let member = &mut group.member_busy[p % members];
            *member = member.saturating_sub(1);
        }
        gp.catch_up(now.as_nanos(), log.checkpoint, &mut self.ledger);
        gp.committed = gp.committed.max(gp.next);
        log.update_lag(now, g, p);
    }

    /// A copy of `record` with the identity of the group's first copy of
    /// it (`lineage`): a record read again after a crash, a duplicate.
    fn read_again(&mut self, node: NodeIx, record: MsgId, lineage: u64) -> MsgId {
        let original = *self.msgs.get(record);
        self.ledger.redelivered(lineage);
        let again = self.alloc(
            node,
            crate::engine::Msg {
                origin: Origin::PUSHED,
                lineage,
                ..original
            },
        );
        self.journey_fork(node, record, again, crate::journey::ForkKind::Redelivery);
        self.totals.redelivered += 1;
        self.stats[node].redelivered += 1;
        again
    }

    /// Group `g` of log `node` read `copy` from partition `p`: its
    /// identity is kept until a checkpoint saves past it.
    #[cold]
    fn log_remember(&mut self, node: NodeIx, g: usize, p: usize, copy: MsgId) {
        let lineage = self.msgs.get(copy).lineage;
        self.ledger.pin(lineage);
        let l = self.log_slot(node);
        self.logs[l].groups[g].parts[p].lineages.push_back(lineage);
    }

    /// Consumer `consumer` crashed: each group it forms on a log with
    /// periodic checkpoints goes back to its last saved offsets, and reads
    /// again what it had processed since.
    pub(crate) fn log_rewind(&mut self, consumer: NodeIx) {
        let c = self.topo[consumer].slot;
        let now = self.now;
        for k in 0..self.consumers[c].logs.len() {
            let node = self.consumers[c].logs[k].node;
            self.touch(node);
            let l = self.log_slot(node);
            let log = &mut self.logs[l];
            let every = log.checkpoint;
            if every == 0 {
                continue;
            }
            let Some(g) = log.group_of(consumer) else {
                continue;
            };
            for p in 0..log.partitions.len() {
                let gp = &mut log.groups[g].parts[p];
                gp.catch_up(now.as_nanos(), every, &mut self.ledger);
                // The copy it was working on (handed back by the crash,
                // or waiting for a retry) is the one before `next`.
                if let Some((msg, _)) = gp.retry.take() {
                    gp.held.push((gp.next - 1, msg));
                }
                gp.replay_to = gp.replay_to.max(gp.next);
                gp.next = gp.saved;
                gp.committed = gp.saved;
                log.update_lag(now, g, p);
            }
        }
    }

    /// The consumer failed `msg` and will try it again after `delay`: it
    /// stays at the head of its partition, which reads nothing else for
    /// this group meanwhile.
    pub(crate) fn log_retry(
        &mut self,
        node: NodeIx,
        consumer: NodeIx,
        msg: MsgId,
        delay: Duration,
    ) {
        self.touch(node);
        let l = self.log_slot(node);
        let now = self.now;
        let p = self.msgs.get(msg).partition as usize;
        let m = self.msgs.get_mut(msg);
        m.ticket = m.ticket.wrapping_add(1);
        m.wait_from = now;
        let log = &mut self.logs[l];
        let Some(g) = log.group_of(consumer) else {
            return;
        };
        let group = &mut log.groups[g];
        let members = usize::try_from(group.members.max(1)).unwrap_or(1);
        let gp = &mut group.parts[p];
        gp.busy = false;
        gp.retry = Some((msg, now + delay));
        let member = &mut group.member_busy[p % members];
        *member = member.saturating_sub(1);
        if !delay.is_zero() {
            self.schedule(
                now + delay,
                Ev::LogWake {
                    node,
                    group: u32::try_from(g).unwrap_or(u32::MAX),
                },
            );
        }
    }

    /// The consumer holding `msg` crashed: the record is read again from
    /// the committed offset once the group can fetch.
    pub(crate) fn log_abandon(&mut self, node: NodeIx, consumer: NodeIx, msg: MsgId) {
        self.touch(node);
        self.log_retry(node, consumer, msg, Duration::ZERO);
    }

    /// Whether the log lets a send in now. An Event Hubs log beyond its
    /// throughput units refuses when its senders wait (when they fail, the
    /// send is refused where it arrives, see [`Self::log_arrive`]).
    #[inline(always)]
    pub(crate) fn log_admits(&mut self, node: NodeIx, slot: Slot) -> bool {
        self.touch(node);
        match &self.logs[slot].throttle {
            None => true,
            Some(t) => !t.wait || t.admits(self.now) || self.log_throttled(node, slot),
        }
    }

    /// A send to `node` is held back: counted, and the senders waiting
    /// are woken when the quota lets the next one in.
    #[cold]
    #[inline(never)]
    fn log_throttled(&mut self, node: NodeIx, slot: Slot) -> bool {
        self.touch(node);
        let now = self.now;
        self.stats[node].throttled += 1;
        let Some(t) = self.logs[slot].throttle.as_mut() else {
            return true;
        };
        t.refuse(now);
        if !t.wake_pending {
            t.wake_pending = true;
            let due = t.next_admit();
            self.schedule(
                due,
                Ev::LogWake {
                    node,
                    group: THROTTLE_WAKE,
                },
            );
        }
        false
    }

    /// A timer of group `group`: a retry is due or a rebalance is over;
    /// or [`THROTTLE_WAKE`]: an Event Hubs log lets sends in again.
    pub(crate) fn log_wake(&mut self, node: NodeIx, group: u32) {
        let l = self.log_slot(node);
        let now = self.now;
        if group == THROTTLE_WAKE {
            if let Some(t) = self.logs[l].throttle.as_mut() {
                t.wake_pending = false;
            }
            self.wake_waiters(node);
            return;
        }
        let Some(g) = self.logs[l].groups.get_mut(group as usize) else {
            return;
        };
        if now >= g.paused_until {
            g.paused.set(now, 0);
        }
        let consumer = g.consumer;
        self.consumer_fill(consumer);
    }

    /// The consumer's members may have changed (autoscaling, crash,
    /// recovery): each group it forms rebalances and pauses.
    pub(crate) fn log_members_changed(&mut self, consumer: NodeIx) {
        let c = self.topo[consumer].slot;
        let members = if self.is_down(consumer) {
            0
        } else {
            self.consumers[c].slots_total()
        };
        let now = self.now;
        for k in 0..self.consumers[c].logs.len() {
            let node = self.consumers[c].logs[k].node;
            self.touch(node);
            let l = self.log_slot(node);
            let log = &mut self.logs[l];
            let n = log.partitions.len() as u64;
            let pause = log.rebalance_pause;
            let Some(g) = log.group_of(consumer) else {
                continue;
            };
            let group = &mut log.groups[g];
            if group.members == members {
                continue;
            }
            group.members = members;
            group.rebalances += 1;
            group.members_level.set(now, members);
            group.idle.set(now, members.saturating_sub(n));
            let m = usize::try_from(members).unwrap_or(usize::MAX);
            group.member_busy = vec![0; member_slots(members, log.partitions.len())];
            if m > 0 {
                for (p, gp) in group.parts.iter().enumerate() {
                    if gp.busy {
                        group.member_busy[p % m] += 1;
                    }
                }
            }
            if !pause.is_zero() {
                group.paused_until = now + pause;
                group.paused.set(now, 1);
                self.schedule(
                    now + pause,
                    Ev::LogWake {
                        node,
                        group: u32::try_from(g).unwrap_or(u32::MAX),
                    },
                );
            }
        }
    }

    /// Records older than the retention leave the log, counted as expired.
    pub(crate) fn log_expire(&mut self, node: NodeIx) {
        let l = self.log_slot(node);
        let now = self.now;
        self.logs[l].timer_pending = false;
        let retention = self.logs[l].retention;
        let mut gone: Vec<MsgId> = Vec::new();
        let mut stale: Vec<MsgId> = Vec::new();
        for p in 0..self.logs[l].partitions.len() {
            let log = &mut self.logs[l];
            let part = &mut log.partitions[p];
            let before = gone.len();
            while let Some(&(t, record)) = part.records.front() {
                if t + retention > now {
                    break;
                }
                part.records.pop_front();
                part.base += 1;
                gone.push(record);
            }
            if gone.len() == before {
                continue;
            }
            let base = part.base;
            let every = log.checkpoint;
            for g in 0..log.groups.len() {
                let gp = &mut log.groups[g].parts[p];
                if gp.next < base {
                    log.groups[g].missed += base - gp.next;
                    let gp = &mut log.groups[g].parts[p];
                    gp.next = base;
                }
                let gp = &mut log.groups[g].parts[p];
                if every > 0 {
                    gp.catch_up(now.as_nanos(), every, &mut self.ledger);
                }
                gp.committed = gp.committed.max(base);
                if every > 0 {
                    // What is gone cannot be read again; a copy a crash
                    // took back, of a record now gone, expires with it.
                    gp.save(base, &mut self.ledger);
                    gp.held.retain(|&(offset, msg)| {
                        let keep = offset >= base;
                        if !keep {
                            stale.push(msg);
                        }
                        keep
                    });
                }
                log.update_lag(now, g, p);
            }
        }
        let log = &mut self.logs[l];
        log.records -= gone.len() as u64;
        log.expired += gone.len() as u64;
        let records = log.records;
        let next = log
            .partitions
            .iter()
            .filter_map(|part| part.records.front().map(|&(t, _)| t + retention))
            .min();
        if let Some(due) = next {
            log.timer_pending = true;
            self.schedule(due, Ev::LogExpire(node));
        }
        self.stats[node].depth.set(now, records);
        for record in gone.into_iter().chain(stale) {
            self.expire_msg(node, record);
        }
        // Groups whose position moved past expired records may read on.
        for g in 0..self.logs[l].groups.len() {
            let consumer = self.logs[l].groups[g].consumer;
            self.consumer_fill(consumer);
        }
    }

    /// Takes out the records appended at or after `since` that no group
    /// has read yet, from the end of each partition (a crash lost them; a
    /// group that read a record has its copy; see `durability`).
    pub(crate) fn log_take_since(&mut self, node: NodeIx, since: SimTime) -> Vec<MsgId> {
        self.touch(node);
        let l = self.log_slot(node);
        let now = self.now;
        let log = &mut self.logs[l];
        let mut gone = Vec::new();
        for p in 0..log.partitions.len() {
            let read = log
                .groups
                .iter()
                .map(|g| g.parts[p].read_to())
                .max()
                .unwrap_or(0);
            let part = &mut log.partitions[p];
            while let Some(&(t, record)) = part.records.back() {
                if t < since || part.end() <= read.max(part.base) {
                    break;
                }
                part.records.pop_back();
                gone.push(record);
            }
            for g in 0..log.groups.len() {
                log.update_lag(now, g, p);
            }
        }
        log.records -= gone.len() as u64;
        let records = log.records;
        self.stats[node].depth.set(now, records);
        gone
    }

    /// A log back from an outage: its producers may send again and its
    /// groups read again.
    pub(crate) fn log_recover(&mut self, node: NodeIx) {
        self.touch(node);
        self.wake_waiters(node);
        let l = self.log_slot(node);
        for g in 0..self.logs[l].groups.len() {
            let consumer = self.logs[l].groups[g].consumer;
            self.consumer_fill(consumer);
        }
    }
}

impl crate::nodes::KindSpec for LogParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Log;
    const KEY: &'static str = "log";
    const LABEL: &'static str = "log";
    const PLURAL: &'static str = "logs";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Depth, Dropped, Lag, ThroughputIn, ThroughputOut};
        &[ThroughputIn, ThroughputOut, Depth, Lag, Dropped]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit {
        wait: true,
        sojourn: false,
        end_to_end: false,
        lag: true,
        lag_time: true,
        staleness: false,
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("box3d", "#d0ece7");
    const MERMAID: (&'static str, &'static str) = (">", "]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let partitioner = match self.partitioner {
            Partitioner::KeyHash => "by key",
            Partitioner::RoundRobin => "round-robin",
        };
        let mut out: Vec<String> = self
            .event_hubs
            .map(super::event_hubs::EventHubs::summary)
            .into_iter()
            .collect();
        out.push(format!(
            "{} partition{} {partitioner}",
            self.partitions,
            if self.partitions == 1 { "" } else { "s" }
        ));
        out.push(format!("retention {}", self.retention));
        if let Some(every) = self.checkpoint {
            out.push(format!("checkpoint every {every}"));
        }
        out.extend(
            self.durability
                .as_ref()
                .map(super::durability::Durability::summary),
        );
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        self.event_hubs
            .map(|h| crate::insights::Limit::ThroughputUnits {
                units: h.throughput_units,
                per_unit: h.events_per_s() / f64::from(h.throughput_units.max(1)),
            })
            .into_iter()
            .collect()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.inputs == 0 {
            w.error("the log has no input, so nothing is ever appended to it");
        } else if w.data_out == 0 {
            w.warning(
                "no consumer group reads this log: records stay until the retention removes them",
            );
        }
        if self.event_hubs.is_some() && w.data_out > super::event_hubs::MAX_CONSUMER_GROUPS {
            w.error(format!(
                "Event Hubs' standard tier allows at most {} consumer groups per hub; {} consumers read this log, each its own group",
                super::event_hubs::MAX_CONSUMER_GROUPS,
                w.data_out
            ));
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::Opaque(
            "a partitioned log, whose partitions are lines of their own".to_owned(),
        )
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        // Throughput units and what throttled senders do change live; the
        // limit itself cannot come or go mid-run (its chart line is fixed
        // at the start).
        let hubs = |p: &Self| Self {
            event_hubs: p
                .event_hubs
                .map(|_| super::event_hubs::EventHubs::default()),
            ..p.clone()
        };
        super::durability::restart_reason(self.durability.as_ref(), new.durability.as_ref())
            .or_else(|| {
                (self.event_hubs.is_some() != new.event_hubs.is_some())
                    .then_some("its Event Hubs limit was turned on or off")
            })
            .or_else(|| {
                (hubs(self) != hubs(new)).then_some(
                    "its partitions, retention, rebalance pause or checkpoint interval changed",
                )
            })
    }
}

impl crate::nodes::Runtime for LogParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        cx.durable(sim, self.durability.as_ref());
        sim.logs.push(LogRt::new(self));
        sim.logs.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, node: NodeIx, slot: Slot) {
        if let (Some(hubs), Some(t)) = (self.event_hubs, sim.logs[slot].throttle.as_mut()) {
            t.retune(hubs);
            // More units may let waiting senders in at once.
            sim.wake_waiters(node);
        }
    }

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.logs[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.log_recover(node);
    }

    fn slow(sim: &mut Simulation, node: NodeIx, _slot: Slot, factor: f64) {
        sim.broker_slow(node, factor);
    }

    fn reset(sim: &mut Simulation, now: SimTime) {
        for log in &mut sim.logs {
            log.reset(now);
        }
    }

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        r.level("mean_depth", "max_depth", &st.depth, end);
        r.latency("wait_s", &st.wait.summary());
        let log = &sim.logs[topo.slot];
        if log.throttle.is_some() {
            r.count("throttled", st.throttled);
        }
        if log.checkpoint > 0 {
            r.count("redelivered", st.redelivered);
        }
        sim.logs[topo.slot].metrics(end, r.ids, &mut r.metrics);
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        let l = &sim.logs[slot];
        g.lag = l.max_lag();
        l.partitions_now(sim.now, &mut g.partitions);
        (l.held(), None)
    }
}

impl crate::export::KindExport for LogParams {
    const ASYNCAPI_CHANNEL: bool = true;

    /// A Kafka topic: its partitions and retention.
    fn asyncapi_channel_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value> {
        Some(json!({ "kafka": {
            "topic": model.graph[n].id,
            "partitions": self.partitions,
            "topicConfiguration": {
                "cleanup.policy": ["delete"],
                "retention.ms": retention_ms(self.retention),
            },
            "bindingVersion": "0.5.0",
        } }))
    }

    /// Each consumer reading a log is its own consumer group.
    fn asyncapi_receive_bindings(&self, reader: &Node) -> Option<Value> {
        Some(json!({ "kafka": {
            "groupId": { "type": "string", "enum": [reader.id] },
            "bindingVersion": "0.5.0",
        } }))
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = ", a Kafka log (not mapped: no AWS SQS/SNS counterpart)";

    /// No AWS mapping: a Kafka log has no SQS/SNS counterpart (the Kafka
    /// export writes its topic).
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let node = &tf.model.graph[n];
        let what = if self.event_hubs.is_some() {
            "an Azure Event Hubs hub"
        } else {
            "a Kafka log"
        };
        let _ = writeln!(
            out,
            "# Log '{}' ({}): {what} has no AWS SQS/SNS mapping; no resource is generated (weir export --format kafka writes its topic definition). Simulated: {}.",
            one_line(&node.id),
            one_line(node.label()),
            one_line(&node.kind.summary().join("; "))
        );
    }

    /// An Event Hubs namespace, hub and consumer groups for a log with
    /// the Event Hubs limit; a comment for a Kafka log.
    fn gcp(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.outside(
            out,
            n,
            "Log",
            "no Pub/Sub resource: Pub/Sub has no partitioned log with offsets (weir export --format kafka writes its topic, for a managed Kafka cluster)",
        );
    }

    fn azure(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        use crate::export::azure::{namespace_name, readers, retention_days};
        let model = tf.model;
        let node = &model.graph[n];
        let Some(hubs) = self.event_hubs else {
            tf.outside(
                out,
                n,
                "Log",
                "a Kafka log: no Event Hubs resource is generated unless it has `event_hubs` (weir export --format kafka writes its topic)",
            );
            return;
        };
        let name = tf.name_of(n);
        let _ = writeln!(out, "resource \"azurerm_eventhub_namespace\" \"{name}\" {{");
        let _ = writeln!(
            out,
            "  name                = \"{}\"",
            namespace_name(&node.id)
        );
        out.push_str("  location            = var.location\n");
        out.push_str("  resource_group_name = var.resource_group_name\n");
        out.push_str("  sku                 = \"Standard\"\n");
        let _ = writeln!(
            out,
            "  capacity            = {} # simulated: throughput units ({} events/s at {} bytes an event)",
            hubs.throughput_units,
            hubs.events_per_s(),
            hubs.event_bytes
        );
        out.push_str("}\n");
        let _ = writeln!(out, "\nresource \"azurerm_eventhub\" \"{name}\" {{");
        let _ = writeln!(out, "  name              = {}", string(&node.id));
        let _ = writeln!(
            out,
            "  namespace_id      = azurerm_eventhub_namespace.{name}.id"
        );
        let _ = writeln!(
            out,
            "  partition_count   = {} # simulated: partitions",
            self.partitions
        );
        retention_days(out, self.retention);
        let _ = writeln!(
            out,
            "  # Simulated: {}; {}.",
            match self.partitioner {
                Partitioner::KeyHash => "senders give the key as the partition key",
                Partitioner::RoundRobin => "senders give no partition key (round-robin)",
            },
            match hubs.on_throttle {
                super::event_hubs::OnThrottle::Wait =>
                    "a throttled sender retries until it gets through",
                super::event_hubs::OnThrottle::Error =>
                    "a throttled send fails (ServerBusy) and is not retried",
            }
        );
        out.push_str("}\n");
        for c in readers(model, n) {
            let group = tf.new_name(&format!("{}_{}", node.id, model.graph[c].id));
            let _ = writeln!(
                out,
                "\nresource \"azurerm_eventhub_consumer_group\" \"{group}\" {{"
            );
            let _ = writeln!(
                out,
                "  name                = {}",
                string(&model.graph[c].id)
            );
            let _ = writeln!(
                out,
                "  namespace_name      = azurerm_eventhub_namespace.{name}.name"
            );
            let _ = writeln!(out, "  eventhub_name       = azurerm_eventhub.{name}.name");
            out.push_str("  resource_group_name = var.resource_group_name\n");
            match self.checkpoint {
                Some(every) => {
                    let _ = writeln!(
                        out,
                        "  # Simulated: the group's processor checkpoints every {every} (to its own checkpoint store)."
                    );
                }
                None => out.push_str(
                    "  # Simulated: the group's processor checkpoints after every event.\n",
                ),
            }
            out.push_str("}\n");
        }
    }

    /// A topic with its partitions and retention; the consumers reading it
    /// are its consumer groups.
    fn kafka_topic(&self, out: &mut String, model: &Model, n: NodeIndex) -> bool {
        use crate::export::kafka::{one_line, shell_quote, topic_name};
        let graph = &model.graph;
        let node = &graph[n];
        let topic = topic_name(&node.id);
        out.push('\n');
        let _ = writeln!(
            out,
            "# Log '{}' ({}). Simulated: {}.",
            one_line(&node.id),
            one_line(node.label()),
            one_line(&node.kind.summary().join("; "))
        );
        if topic != node.id {
            let _ = writeln!(
                out,
                "# The topic is named '{topic}': Kafka allows only letters, digits, '.', '_' and '-' (at most 249)."
            );
        }
        // The model's replication, when it has one; else the script's.
        let (replicas, min_in_sync) = match &self.durability {
            Some(d) => (
                d.replicas.to_string(),
                format!(" \\\n  --config min.insync.replicas={}", d.in_sync_needed()),
            ),
            None => ("\"$REPLICATION_FACTOR\"".to_owned(), String::new()),
        };
        let _ = writeln!(
            out,
            "kafka-topics.sh --bootstrap-server \"$BOOTSTRAP_SERVER\" --create --if-not-exists \\\n  \
             --topic {} --partitions {} --replication-factor {replicas} \\\n  \
             --config retention.ms={} --config cleanup.policy=delete{min_in_sync}",
            shell_quote(&topic),
            self.partitions,
            retention_ms(self.retention)
        );
        if let Some(d) = &self.durability {
            let _ = writeln!(
                out,
                "# Producers writing to it: acks={} (a producer setting; simulated: {}).",
                d.acks.key(),
                d.acks.label()
            );
            let _ = writeln!(
                out,
                "# Not mapped: leader election {} and replication lag {}: the cluster's controller and \
                 followers decide them; unclean.leader.election.enable=false keeps an out-of-sync replica from leading.",
                crate::export::dist_text(&d.election),
                crate::export::dist_text(&d.replication)
            );
            if !d.persistent {
                let _ = writeln!(
                    out,
                    "# Not mapped: persistent: false: Kafka always writes its logs to disk."
                );
            }
        }
        let _ = writeln!(
            out,
            "# Not mapped: partitioner {}: producers choose partitions ({}).",
            match self.partitioner {
                Partitioner::KeyHash => "KeyHash",
                Partitioner::RoundRobin => "RoundRobin",
            },
            match self.partitioner {
                Partitioner::KeyHash => "Kafka's default partitioner hashes the record key",
                Partitioner::RoundRobin => {
                    "set partitioner.class=org.apache.kafka.clients.producer.RoundRobinPartitioner"
                }
            }
        );
        let _ = writeln!(
            out,
            "# Not mapped: rebalance pause {}: the brokers' group.initial.rebalance.delay.ms and the consumers' session settings decide it.",
            self.rebalance_pause
        );
        for reader in graph.neighbors_directed(n, Direction::Outgoing) {
            let _ = writeln!(
                out,
                "# Consumer group '{}': created by its consumers when they join (consumer '{}').",
                one_line(&graph[reader].id),
                one_line(&graph[reader].id)
            );
        }
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(text: &str, seed: u64) -> RunResult {
        let (model, _) = from_str(text).expect("loads");
        run_once(&model, seed).expect("runs")
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    #[test]
    fn key_hash_spreads_keys_and_is_stable() {
        let mut counts = [0u32; 4];
        for key in 0..4000 {
            counts[partition_for_key(key, 4) as usize] += 1;
        }
        for c in counts {
            assert!((900..1100).contains(&c), "uneven spread {counts:?}");
        }
        assert_eq!(partition_for_key(17, 4), partition_for_key(17, 4));
        assert_eq!(partition_for_key(17, 1), 0);
    }

    #[test]
    fn every_parameter_round_trips_through_the_file_and_defaults_stay_out() {
        use crate::model::file::to_string;
        let text = r#"(
            version: 1,
            name: "logs",
            nodes: [
                (id: "p", kind: Producer(arrival: Poisson(rate: 1.0))),
                (id: "plain", kind: Log()),
                (id: "full", kind: Log(partitions: 12, partitioner: RoundRobin, retention: "36h", rebalance_pause: "250ms", durability: (replicas: 3, min_in_sync: 2, acks: Leader, persistent: false, election: Constant("4s"), replication: Exponential(mean: "30ms")), checkpoint: "5s", event_hubs: (throughput_units: 4, event_bytes: 2000, on_throttle: Error))),
                (id: "c", kind: Consumer(service: Constant("1ms"), poison: ["bad", "worse"])),
            ],
            edges: [(from: "p", to: "plain"), (from: "p", to: "full"), (from: "full", to: "c"), (from: "plain", to: "c")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let once = to_string(&model);
        assert!(
            once.contains("kind: Log(),"),
            "defaults are left out:\n{once}"
        );
        assert!(once.contains("partitioner: RoundRobin"), "{once}");
        assert!(once.contains("poison: ["), "{once}");
        let (again, _) = from_str(&once).expect("reloads");
        assert!(model.same_as(&again));
        assert_eq!(once, to_string(&again), "byte-identical");
        let full = model.find("full").map(|n| model.graph[n].kind.clone());
        assert_eq!(
            full,
            Some(crate::nodes::NodeKind::Log(LogParams {
                partitions: 12,
                partitioner: Partitioner::RoundRobin,
                retention: Duration::from_secs(36 * 3600),
                rebalance_pause: Duration::from_millis(250),
                durability: Some(crate::nodes::durability::Durability {
                    replicas: 3,
                    min_in_sync: Some(2),
                    acks: crate::nodes::durability::Acks::Leader,
                    persistent: false,
                    election: crate::dist::Dist::Constant(Duration::from_secs(4)),
                    replication: crate::dist::Dist::Exponential {
                        mean: Duration::from_millis(30)
                    },
                    standby: None,
                }),
                checkpoint: Some(Duration::from_secs(5)),
                event_hubs: Some(crate::nodes::event_hubs::EventHubs {
                    throughput_units: 4,
                    event_bytes: 2000,
                    on_throttle: crate::nodes::event_hubs::OnThrottle::Error,
                }),
            }))
        );
    }

    #[test]
    fn parameters_are_checked() {
        let bad = LogParams {
            partitions: 0,
            retention: Duration::ZERO,
            ..LogParams::default()
        };
        assert_eq!(bad.problems().len(), 2, "{:?}", bad.problems());
        assert!(LogParams::default().problems().is_empty());
        let hubs = LogParams {
            partitions: 40,
            checkpoint: Some(Duration::ZERO),
            event_hubs: Some(crate::nodes::event_hubs::EventHubs {
                throughput_units: 0,
                ..Default::default()
            }),
            ..LogParams::default()
        };
        let problems = hubs.problems();
        // The checkpoint, the units, the partitions and the default
        // retention (7 days is the standard tier's longest: allowed).
        assert_eq!(problems.len(), 3, "{problems:?}");
    }

    #[test]
    fn round_robin_fills_partitions_evenly_and_groups_read_everything() {
        let r = run(
            r#"(
                version: 1,
                name: "rr",
                scenario: (duration: "100s"),
                nodes: [
                    (id: "p", kind: Producer(arrival: Constant(rate: 10.0))),
                    (id: "log", kind: Log(partitions: 3, partitioner: RoundRobin)),
                    (id: "a", kind: Consumer(service: Constant("10ms"))),
                    (id: "b", kind: Consumer(service: Constant("10ms"))),
                ],
                edges: [(from: "p", to: "log"), (from: "log", to: "a"), (from: "log", to: "b")],
            )"#,
            1,
        );
        let appended: Vec<f64> = (0..3)
            .map(|p| get(&r, "log", &format!("partitions.{p}.appended")))
            .collect();
        assert!(
            appended.iter().all(|&a| (a - appended[0]).abs() <= 1.0),
            "{appended:?}"
        );
        let total: f64 = appended.iter().sum();
        // Each group completes every record (a copy each); the records
        // themselves stay in the log (retention is 7 days).
        // (The last record may still be in progress at the end.)
        for group in ["a", "b"] {
            let completed = get(&r, group, "completed");
            assert!(total - completed <= 1.0, "{group}: {completed} of {total}");
        }
        assert_eq!(get(&r, "log", "records"), total);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }
}

#[cfg(test)]
mod behaviour {
    use super::*;
    use crate::Simulation;
    use crate::model::file::from_str;

    fn model(partitions: u32, consumers: &str, extra_nodes: &str, extra_edges: &str) -> String {
        format!(
            r#"(
                version: 1,
                name: "log",
                scenario: (duration: "200s", seed: 3),
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 40.0), keys: 1000)),
                    (id: "log", kind: Log(partitions: {partitions}, retention: "20s", rebalance_pause: "2s")),
                    {consumers}
                    {extra_nodes}
                ],
                edges: [(from: "p", to: "log"), {extra_edges}],
            )"#
        )
    }

    fn sim(text: &str) -> Simulation {
        let (model, _) = from_str(text).expect("loads");
        Simulation::new(&model, 3).expect("valid")
    }

    fn get(r: &crate::RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    /// Per partition, a group has at most one record in progress, and it
    /// commits offsets one after another: records are processed in order.
    #[test]
    fn a_partition_is_processed_in_order_by_one_member_at_a_time() {
        let text = model(
            3,
            r#"(id: "c", kind: Consumer(instances: 8, service: Exponential(mean: "60ms"),
                    failure: 0.2, retry: Fixed(delay: "50ms", max_attempts: 3))),"#,
            r#"(id: "dlq", kind: DeadLetter()),"#,
            r#"(from: "log", to: "c"), (from: "c", to: "dlq")"#,
        );
        let mut sim = sim(&text);
        let consumer = NodeIx::at(sim.topo.iter().position(|t| t.id == "c").expect("c"));
        let mut committed = [0u64; 3];
        let mut max_busy = 0;
        while !sim.is_finished() {
            sim.step(Duration::from_millis(5)).expect("runs");
            let mut per_partition = [0u32; 3];
            for msg in sim.msgs.in_service_at(consumer) {
                per_partition[sim.msgs.get(msg).partition as usize] += 1;
            }
            assert!(
                per_partition.iter().all(|&n| n <= 1),
                "two records of one partition in progress: {per_partition:?}"
            );
            max_busy = max_busy.max(per_partition.iter().sum::<u32>());
            for (p, last) in committed.iter_mut().enumerate() {
                let now = sim.logs[0].groups[0].parts[p].committed;
                assert!(now >= *last, "partition {p}'s offset went back");
                *last = now;
            }
        }
        assert_eq!(max_busy, 3, "three partitions keep three members busy");
        let r = sim.result();
        assert!(get(&r, "c", "retries") > 100.0);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    #[test]
    fn members_beyond_the_partition_count_sit_idle() {
        let text = model(
            2,
            r#"(id: "c", kind: Consumer(instances: 5, service: Exponential(mean: "20ms"))),"#,
            "",
            r#"(from: "log", to: "c")"#,
        );
        let mut sim = sim(&text);
        sim.run_until(sim.end()).expect("runs");
        let r = sim.result();
        assert_eq!(get(&r, "log", "groups.c.idle_members"), 3.0);
        assert_eq!(get(&r, "log", "groups.c.members"), 5.0);
        // At most two of the five are ever busy.
        assert!(get(&r, "c", "mean_busy") < 2.0);
        assert!(
            get(&r, "c", "utilization") < 0.4,
            "{}",
            get(&r, "c", "utilization")
        );
    }

    #[test]
    fn every_group_reads_every_record_and_retention_expires_them() {
        let text = model(
            4,
            r#"(id: "fast", kind: Consumer(instances: 4, service: Exponential(mean: "10ms"))),
               (id: "slow", kind: Consumer(service: Exponential(mean: "20ms"))),"#,
            "",
            r#"(from: "log", to: "fast"), (from: "log", to: "slow")"#,
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = crate::run_once(&model, 3).expect("runs");
        let emitted = r.conservation.emitted as f64;
        let expired = get(&r, "log", "expired");
        let held = get(&r, "log", "records");
        assert_eq!(expired + held, emitted, "every record is held or expired");
        // 20 s of records at 40/s are held at the end.
        assert!((held - 800.0).abs() < 150.0, "held {held}");
        assert_eq!(r.conservation.expired as f64, expired);
        for group in ["fast", "slow"] {
            let done = get(&r, group, "completed");
            assert!(
                emitted - done < 20.0,
                "{group} completed {done} of {emitted}"
            );
            assert_eq!(get(&r, "log", &format!("groups.{group}.missed")), 0.0);
        }
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    #[test]
    fn records_expired_before_a_group_reads_them_are_missed() {
        // 40/s into one partition read at 10/s: the backlog outgrows the
        // 20 s retention, and the group skips what expired.
        let text = model(
            1,
            r#"(id: "c", kind: Consumer(service: Constant("100ms"))),"#,
            "",
            r#"(from: "log", to: "c")"#,
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = crate::run_once(&model, 3).expect("runs");
        let missed = get(&r, "log", "groups.c.missed");
        let done = get(&r, "c", "completed");
        assert!(missed > 4000.0, "missed {missed}");
        assert!((done - 2000.0).abs() < 2.0, "done {done}");
        // The lag never exceeds what the retention keeps.
        assert!(get(&r, "log", "groups.c.lag_s.max") <= 20.0 + 1e-9);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    #[test]
    fn a_poison_record_blocks_only_its_partition() {
        // One "bad" record (key 0) fails every attempt; it is retried for
        // 4 × 2 s before it goes to the dead-letter queue. Its partition
        // waits behind it; the others flow.
        let bad = partition_for_key(0, 4) as usize;
        let text = r#"(
                version: 1,
                name: "poison",
                scenario: (duration: "60s", seed: 1),
                nodes: [
                    (id: "p", kind: Producer(arrival: Poisson(rate: 40.0), keys: 1000)),
                    (id: "bad", kind: Producer(arrival: Constant(rate: 0.05), events: [(name: "bad")], limit: 1)),
                    (id: "log", kind: Log(partitions: 4)),
                    (id: "c", kind: Consumer(instances: 4, service: Exponential(mean: "10ms"),
                        poison: ["bad"], retry: Fixed(delay: "2s", max_attempts: 5))),
                    (id: "dlq", kind: DeadLetter()),
                ],
                edges: [(from: "p", to: "log"), (from: "bad", to: "log"), (from: "log", to: "c"), (from: "c", to: "dlq")],
            )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = crate::run_once(&model, 1).expect("runs");
        assert_eq!(get(&r, "c", "retries"), 4.0);
        assert_eq!(get(&r, "dlq", "dead_lettered"), 1.0);
        for p in 0..4 {
            let lag_s = get(&r, "log", &format!("groups.c.partitions.{p}.lag_s.max"));
            let lag = get(&r, "log", &format!("groups.c.partitions.{p}.lag.max"));
            if p == bad {
                assert!(lag_s >= 8.0, "the poisoned partition waited {lag_s} s");
                assert!(lag > 50.0, "the poisoned partition's lag {lag}");
            } else {
                assert!(lag_s < 1.0, "partition {p} waited {lag_s} s");
                assert!(lag < 20.0, "partition {p}'s lag {lag}");
            }
        }
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }

    #[test]
    fn a_rebalance_pauses_the_group() {
        // The consumer crashes at 50 s for 10 s: one rebalance when its
        // members leave, one when they come back; the 2 s pause after the
        // return adds to the outage before the backlog drains.
        let text = r#"(
            version: 1,
            name: "rebalance",
            scenario: (duration: "100s", seed: 2, faults: [(at: "50s", duration: "10s", node: "c", effect: Crash)]),
            nodes: [
                (id: "p", kind: Producer(arrival: Constant(rate: 10.0))),
                (id: "log", kind: Log(partitions: 2, rebalance_pause: "2s")),
                (id: "c", kind: Consumer(instances: 2, service: Constant("10ms"))),
            ],
            edges: [(from: "p", to: "log"), (from: "log", to: "c")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = crate::run_once(&model, 2).expect("runs");
        assert_eq!(get(&r, "log", "groups.c.rebalances"), 2.0);
        // Paused 2 s after the crash (moot: nobody reads) and 2 s after the
        // return: 4 s of 100 s.
        let paused = get(&r, "log", "groups.c.rebalancing_fraction");
        assert!((paused - 0.04).abs() < 1e-9, "paused {paused}");
        // The oldest waiting record waited through the outage and the pause.
        let lag_s = get(&r, "log", "groups.c.lag_s.max");
        assert!((lag_s - 12.0).abs() < 0.15, "lag {lag_s}");
        let lag = get(&r, "log", "groups.c.lag.max");
        assert!((lag - 120.0).abs() <= 2.0, "lag {lag}");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }
}

#[cfg(test)]
mod scaling {
    use crate::model::file::from_str;

    /// An autoscaled group: the lag drives scale-out, each change is a
    /// rebalance, and once it has more members than partitions the extra
    /// ones sit idle.
    #[test]
    fn lag_drives_the_autoscaler_and_each_change_rebalances() {
        let text = r#"(
            version: 1,
            name: "scaling group",
            scenario: (duration: "120s", seed: 4),
            nodes: [
                (id: "p", kind: Producer(arrival: Poisson(rate: 60.0), keys: 500)),
                (id: "log", kind: Log(partitions: 4, rebalance_pause: "1s")),
                (id: "c", kind: Consumer(instances: 1, service: Exponential(mean: "40ms"),
                    autoscale: (min: 1, max: 6, target: Backlog(per_instance: 20.0), interval: "2s",
                        scale_out_cooldown: "4s", scale_in_cooldown: "30s", startup: "1s"))),
            ],
            edges: [(from: "p", to: "log"), (from: "log", to: "c")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = crate::run_once(&model, 4).expect("runs");
        let get = |node: &str, path: &str| {
            r.node(node)
                .and_then(|n| n.get(path))
                .unwrap_or_else(|| panic!("{node} has no {path}"))
        };
        // One instance serves 25/s of 60/s: the lag makes it scale out.
        assert!(get("c", "scale_outs") >= 1.0);
        assert!(get("c", "max_instances") >= 3.0);
        // Every instance that joins or leaves is a rebalance; a scaling
        // decision may start several instances.
        let changes = get("c", "scale_outs") + get("c", "scale_ins");
        let rebalances = get("log", "groups.c.rebalances");
        assert!(
            rebalances >= changes,
            "{rebalances} rebalances for {changes} decisions"
        );
        assert!(get("log", "groups.c.rebalancing_fraction") > 0.0);
        // By the end the group keeps up.
        assert!(get("log", "groups.c.lag.current") < 100.0);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
    }
}
