//! Durability and replication of a broker (queue, topic, log, event
//! store): how many replicas keep its messages, how many must be in sync
//! for a write, when a producer's write counts as done (`acks`), whether
//! the broker keeps messages on disk, and how long a failover takes.
//!
//! ```ron
//! (id: "orders", kind: Log(partitions: 6, durability: (
//!     replicas: 3, min_in_sync: 2, acks: Leader,
//!     election: Constant("3s"), replication: Exponential(mean: "20ms"),
//! )))
//! ```
//!
//! With more than one replica, a write reaches the broker's readers once
//! its followers have it: a replication lag after the leader took it, in
//! the order written (Kafka's high watermark).
//!
//! A crash of the broker (on the timeline, at random or injected live)
//! takes down its leader replica:
//!
//! - while another replica is up, a new leader is elected: the broker is
//!   unavailable for the election time, then serves again with one replica
//!   fewer until the crashed one comes back;
//! - with no replica left, it is unavailable until the first one returns;
//! - the writes the leader took that are not replicated yet are **lost**
//!   when their writers did not wait for the followers (`acks: Leader` or
//!   `None`): the new leader never had them. With `acks: All` the writers
//!   were not answered yet and send them again to the new leader;
//! - a broker that does not persist (`persistent: false`) loses everything
//!   it holds when no replica is left;
//! - with `acks: All`, while fewer than `min_in_sync` replicas are up the
//!   broker refuses writes (`NOT_ENOUGH_REPLICAS`): its senders wait or
//!   drop by their own policy, and its readers read on;
//! - with `acks: None`, a writer does not wait for the broker at all: what
//!   it sends while the broker is unavailable is lost (`node_down`)
//!   instead of waiting.

use serde::{Deserialize, Serialize};

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, NodeIx, Simulation};
use crate::metrics::{DropReason, Level};
use crate::nodes::Kind;
use crate::rng::Stream;
use crate::time::{Duration, SimTime};

/// When a producer's write to the broker counts as done.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Acks {
    /// Fire and forget: the writer never waits, so what it sends while the
    /// broker is unavailable is lost, and so are writes not yet replicated
    /// when the leader crashes.
    None,
    /// When the leader has it: writes not yet replicated when the leader
    /// crashes are lost.
    Leader,
    /// When every in-sync replica has it: nothing acknowledged is lost, and
    /// writes are refused while fewer than `min_in_sync` replicas are up.
    #[default]
    All,
}

impl Acks {
    pub const ALL: [Self; 3] = [Self::None, Self::Leader, Self::All];

    /// The name in files and exports (Kafka's `acks` values).
    pub const fn key(self) -> &'static str {
        match self {
            Self::None => "0",
            Self::Leader => "1",
            Self::All => "all",
        }
    }

    /// In words.
    pub const fn label(self) -> &'static str {
        match self {
            Self::None => "none (fire and forget)",
            Self::Leader => "leader",
            Self::All => "all in-sync replicas",
        }
    }
}

/// A broker's durability and replication.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Durability {
    /// Copies of every message (the replication factor), the leader's
    /// included.
    #[serde(default = "three")]
    pub replicas: u32,
    /// Replicas that must be in sync for a write with `acks: All`; `None`
    /// for two, or one with a single replica.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_in_sync: Option<u32>,
    /// When a producer's write counts as done.
    #[serde(default)]
    pub acks: Acks,
    /// Whether the broker keeps messages on disk: one that does not loses
    /// what it holds when no replica survives a crash.
    #[serde(default = "yes", skip_serializing_if = "is_true")]
    pub persistent: bool,
    /// How long electing a new leader takes after the leader crashes.
    #[serde(default = "default_election")]
    pub election: Dist,
    /// How far the followers run behind the leader (the replication lag):
    /// how long after the leader a write reaches the readers, and the
    /// window of writes lost with `acks: Leader` when the leader crashes.
    #[serde(default = "default_replication")]
    pub replication: Dist,
    /// A standby copy in another region, for disaster recovery
    /// ([`super::standby`]).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub standby: Option<super::standby::Standby>,
}

const fn three() -> u32 {
    3
}

const fn yes() -> bool {
    true
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_true(v: &bool) -> bool {
    *v
}
fn default_election() -> Dist {
    Dist::Constant(Duration::from_secs(3))
}
fn default_replication() -> Dist {
    Dist::Exponential {
        mean: Duration::from_millis(10),
    }
}

/// The most replicas a broker may have.
pub const MAX_REPLICAS: u32 = 16;

impl Default for Durability {
    fn default() -> Self {
        Self {
            replicas: three(),
            min_in_sync: None,
            acks: Acks::All,
            persistent: true,
            election: default_election(),
            replication: default_replication(),
            standby: None,
        }
    }
}

impl Durability {
    /// Problems with the parameters, as sentences.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.replicas == 0 {
            out.push("a broker needs at least 1 replica".to_owned());
        }
        super::check_at_most("replicas", self.replicas, MAX_REPLICAS, &mut out);
        match self.min_in_sync {
            Some(0) => out.push("min_in_sync must be at least 1".to_owned()),
            Some(min) if min > self.replicas => out.push(format!(
                "min_in_sync ({min}) exceeds the replicas ({}): no write with acks All could ever be accepted",
                self.replicas
            )),
            _ => {}
        }
        for (name, dist) in [
            ("the election time", &self.election),
            ("the replication lag", &self.replication),
        ] {
            out.extend(dist.problems().into_iter().map(|p| format!("{name}: {p}")));
        }
        if let Some(standby) = &self.standby {
            out.extend(standby.problems());
        }
        out
    }

    /// Replicas that must be in sync for a write with `acks: All`.
    pub fn in_sync_needed(&self) -> u32 {
        self.min_in_sync.unwrap_or(self.replicas.min(2))
    }

    /// The card's line.
    pub fn summary(&self) -> String {
        let copies = if self.replicas == 1 {
            "1 replica".to_owned()
        } else {
            format!(
                "{} replicas (min {} in sync)",
                self.replicas,
                self.in_sync_needed()
            )
        };
        let disk = if self.persistent { "" } else { ", in memory" };
        format!("{copies}, acks {}{disk}", self.acks.key())
    }
}

/// Adds a broker's durability problems to `out`, each naming the setting.
pub(crate) fn check(durability: Option<&Durability>, out: &mut Vec<String>) {
    if let Some(d) = durability {
        out.extend(d.problems().into_iter().map(|p| format!("durability: {p}")));
    }
}

/// Why a slow-down cannot hit the broker `kind`, if it cannot: on a queue,
/// topic or log it slows the replication, so the broker needs replicas.
/// (An event store's slow-down stretches its appends whatever it has.)
pub fn slow_unfit(kind: &super::NodeKind) -> Option<String> {
    let durability = match kind {
        super::NodeKind::Queue(p) => p.durability.as_ref(),
        super::NodeKind::Topic(p) => p.durability.as_ref(),
        super::NodeKind::Log(p) => p.durability.as_ref(),
        _ => return None,
    };
    let replicated = durability.is_some_and(|d| d.replicas > 1);
    (!replicated).then(|| {
        format!(
            "a slow-down of a {} slows its replication, and it has none: give it durability with more than one replica",
            kind.kind()
        )
    })
}

/// Why a live change of durability needs a restart, if it does: the
/// replicas a run started with are the ones it has.
pub(crate) fn restart_reason(
    old: Option<&Durability>,
    new: Option<&Durability>,
) -> Option<&'static str> {
    (old != new).then_some("durability and replication are set when a run starts")
}

/// The messages a durable broker's crashes lost: not replicated yet, or
/// held in memory when no replica was left.
pub(crate) fn lost(st: &crate::metrics::NodeStats) -> u64 {
    st.drops(DropReason::Unreplicated) + st.drops(DropReason::Unpersisted)
}

/// A durable broker during a run.
#[derive(Clone, Debug)]
pub(crate) struct DurableRt {
    replicas: u32,
    min_in_sync: u32,
    acks: Acks,
    persistent: bool,
    election: Sampler,
    replication: Sampler,
    /// Writes reach the readers once replicated (more than one replica).
    pub replicates: bool,
    /// Replication lags drawn now are multiplied by this (a slow broker).
    slow: f64,
    rng: Stream,
    /// Replicas down now.
    down: u32,
    /// Elections under way.
    electing: u32,
    /// Writes refused now for too few in-sync replicas.
    refusing: bool,
    /// Leader elections since the warm-up.
    failovers: u64,
    /// Leader crashes since the warm-up, and the windows of accepted
    /// writes they lost (nanoseconds): their sum and largest.
    crashes: u64,
    rpo_sum: u128,
    rpo_max: u64,
    /// 1 while writes are refused.
    refused: Level,
    /// The latest time a write reaches the broker's readers, over all the
    /// edges into it (replication keeps writes in order).
    last_due: SimTime,
    /// Its standby in another region, if it has one.
    pub(super) standby: Option<super::standby::StandbyRt>,
    /// Outages of its region holding it down now (without a standby).
    pub(super) region_out: u32,
}

impl DurableRt {
    /// `standby`: the standby's runtime, when the broker has one.
    pub fn new(d: &Durability, rng: Stream, standby: Option<super::standby::StandbyRt>) -> Self {
        Self {
            replicas: d.replicas.max(1),
            min_in_sync: d.in_sync_needed(),
            acks: d.acks,
            persistent: d.persistent,
            election: d.election.sampler(),
            replication: d.replication.sampler(),
            replicates: d.replicas > 1 || standby.is_some(),
            slow: 1.0,
            rng,
            down: 0,
            electing: 0,
            refusing: false,
            failovers: 0,
            crashes: 0,
            rpo_sum: 0,
            rpo_max: 0,
            refused: Level::default(),
            last_due: SimTime::ZERO,
            standby,
            region_out: 0,
        }
    }

    /// Whether it keeps messages on disk.
    pub(super) const fn persistent(&self) -> bool {
        self.persistent
    }

    /// Counts a crash (of its leader, or of its region) that lost the
    /// writes of the last `window` nanoseconds.
    pub(super) fn count_crash(&mut self, window: u64) {
        self.crashes += 1;
        self.rpo_sum += u128::from(window);
        self.rpo_max = self.rpo_max.max(window);
    }

    /// Whether it is switching to its standby region now.
    pub fn switching(&self) -> bool {
        self.standby
            .as_ref()
            .is_some_and(super::standby::StandbyRt::switching)
    }

    fn in_sync(&self) -> u32 {
        self.replicas.saturating_sub(self.down)
    }

    /// Whether a writer drops rather than waits while the broker is
    /// unavailable.
    pub const fn fire_and_forget(&self) -> bool {
        matches!(self.acks, Acks::None)
    }

    /// Whether it is electing a new leader now.
    pub const fn electing(&self) -> bool {
        self.electing > 0
    }

    /// Whether it refuses writes now (too few replicas in sync).
    pub const fn refusing(&self) -> bool {
        self.refusing
    }

    /// Warm-up deletion of the measurements.
    pub fn reset(&mut self, now: SimTime) {
        self.failovers = 0;
        self.crashes = 0;
        self.rpo_sum = 0;
        self.rpo_max = 0;
        self.refused.reset(now);
        if let Some(standby) = &mut self.standby {
            standby.reset();
        }
    }

    /// The report's durability metrics.
    pub fn report(&self, st: &crate::metrics::NodeStats, r: &mut crate::report::Recorder<'_>) {
        let end = r.end;
        r.count("lost", lost(st));
        r.count("failovers", self.failovers);
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        let (rpo_mean, rpo_max) = (
            if self.crashes > 0 {
                self.rpo_sum as f64 / self.crashes as f64 / 1e9
            } else {
                0.0
            },
            self.rpo_max as f64 / 1e9,
        );
        r.real("rpo_s", rpo_mean);
        r.real("rpo_max_s", rpo_max);
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        let rto = if st.outages > 0 {
            st.down.mean(end) * r.measured_s() / st.outages as f64
        } else {
            0.0
        };
        r.real("rto_s", rto);
        r.real("writes_refused_fraction", self.refused.mean(end));
        if let Some(standby) = &self.standby {
            standby.report(r);
        }
    }
}

impl Simulation {
    /// A crash takes down the leader of the durable broker `node`.
    pub(crate) fn broker_crash(&mut self, node: NodeIx) {
        let now = self.now;
        let Some(d) = self.durable[node].as_deref_mut() else {
            return;
        };
        let up_before = d.in_sync() > 0;
        d.down += 1;
        let in_sync = d.in_sync();
        // What the crash loses: the acknowledged writes the followers do
        // not have yet, and everything held when no replica is left and
        // nothing is on disk.
        let unreplicated = d.replicas > 1 && !matches!(d.acks, Acks::All);
        let unpersisted = in_sync == 0 && !d.persistent;
        let electing = if in_sync > 0 {
            let time = d.election.sample(&mut d.rng);
            d.electing += 1;
            d.failovers += 1;
            Some(time)
        } else {
            None
        };
        let mut gone = Vec::new();
        if unreplicated || unpersisted {
            gone = self.replication_take(node);
        }
        let reason = if unpersisted {
            gone.extend(self.broker_take_since(node, SimTime::ZERO));
            DropReason::Unpersisted
        } else {
            DropReason::Unreplicated
        };
        let oldest = gone.iter().map(|&m| self.msgs.get(m).node_in).min();
        for msg in gone {
            self.drop_msg(node, msg, reason);
        }
        let window = oldest.map_or(0, |t| now.as_nanos().saturating_sub(t.as_nanos()));
        let d = self.durable[node].as_deref_mut().expect("durable");
        d.count_crash(window);
        if let Some(time) = electing {
            self.node_down(node);
            self.schedule(now + time, Ev::Elected(node));
        } else if up_before {
            self.node_down(node);
        }
        self.broker_refresh(node);
    }

    /// A crashed replica of `node` is back, in sync.
    pub(crate) fn broker_recover(&mut self, node: NodeIx) {
        let Some(d) = self.durable[node].as_deref_mut() else {
            return;
        };
        let was_empty = d.in_sync() == 0;
        d.down = d.down.saturating_sub(1);
        if was_empty && d.in_sync() > 0 {
            self.node_up(node);
        }
        self.broker_refresh(node);
    }

    /// A new leader of `node` is elected.
    pub(crate) fn broker_elected(&mut self, node: NodeIx) {
        let Some(d) = self.durable[node].as_deref_mut() else {
            return;
        };
        d.electing = d.electing.saturating_sub(1);
        self.node_up(node);
    }

    /// A message reaches `node` while it is down: a durable broker whose
    /// writers do not wait for it (`acks: None`) loses it. Returns whether
    /// it did.
    #[cold]
    #[inline(never)]
    pub(crate) fn lost_on_arrival(&mut self, node: NodeIx, msg: crate::engine::MsgId) -> bool {
        if self.durable[node]
            .as_ref()
            .is_some_and(|d| d.fire_and_forget())
        {
            self.drop_msg(node, msg, DropReason::NodeDown);
            return true;
        }
        false
    }

    /// Whether a writer may send to broker `node` now: it is up and
    /// accepts writes, or its writers do not wait for it.
    #[inline(always)]
    pub(crate) fn broker_open(&self, node: NodeIx) -> bool {
        // Checked on every send: mostly nothing is down or refusing.
        self.nodes_down == 0 || self.broker_open_now(node)
    }

    #[cold]
    #[inline(never)]
    fn broker_open_now(&self, node: NodeIx) -> bool {
        match self.durable[node].as_deref() {
            None => self.down[node] == 0,
            Some(d) => !d.refusing && (self.down[node] == 0 || d.fire_and_forget()),
        }
    }

    /// A slow-down of durable broker `node` starts (`factor`) or ends
    /// (its inverse): its followers fall behind by that much more.
    pub(crate) fn broker_slow(&mut self, node: NodeIx, factor: f64) {
        if let Some(d) = self.durable[node].as_deref_mut() {
            d.slow *= factor;
        }
    }

    /// Starts or stops refusing writes as the in-sync replicas change.
    fn broker_refresh(&mut self, node: NodeIx) {
        let now = self.now;
        let Some(d) = self.durable[node].as_deref_mut() else {
            return;
        };
        let in_sync = d.in_sync();
        let refuse = matches!(d.acks, Acks::All) && in_sync > 0 && in_sync < d.min_in_sync;
        if refuse == d.refusing {
            return;
        }
        d.refusing = refuse;
        d.refused.set(now, u64::from(refuse));
        // A refusing broker counts among the nodes down, so that every
        // send looks at it (`is_down` still reads only crashes).
        if refuse {
            self.nodes_down += 1;
        } else {
            self.nodes_down -= 1;
            self.wake_waiters(node);
        }
    }

    /// Takes out what durable broker `node` accepted at or after `since`
    /// (reaching its readers then) and still holds: no reader has taken
    /// it.
    pub(super) fn broker_take_since(
        &mut self,
        node: NodeIx,
        since: SimTime,
    ) -> Vec<crate::engine::MsgId> {
        match self.topo[node].kind {
            Kind::Queue => self.queue_take_since(node, since),
            Kind::Log => self.log_take_since(node, since),
            Kind::Topic => self.topic_take_since(node, since),
            Kind::EventStore => self.store_take_since(node, since),
            _ => Vec::new(),
        }
    }

    /// Takes out the writes the leader of `node` took from writers it
    /// answered before its followers had them (`acks` other than `All`,
    /// with more than one replica): a crash of every replica loses them.
    pub(super) fn replication_take_unacked(&mut self, node: NodeIx) -> Vec<crate::engine::MsgId> {
        let d = self.durable[node].as_deref().expect("durable");
        if d.replicas > 1 && !matches!(d.acks, Acks::All) {
            self.replication_take(node)
        } else {
            Vec::new()
        }
    }

    /// Takes out the writes the leader of `node` has and its followers do
    /// not: those on their way in over its replicated edges that reached
    /// the leader (`node_in`, set when they were sent, is when they did).
    fn replication_take(&mut self, node: NodeIx) -> Vec<crate::engine::MsgId> {
        let now = self.now;
        let mut gone = Vec::new();
        for e in 0..self.edges.len() {
            let edge = &self.edges[e];
            if edge.to != node || !edge.replicated {
                continue;
            }
            let e = crate::engine::EdgeIx::at(e);
            let line = &mut self.transit[e];
            let before = gone.len();
            // Writes reach the leader in the order they are sent (the
            // edge's latency is one for all), so those that did are first.
            while let Some(&(_, msg)) = line.front() {
                if self.msgs.get(msg).node_in > now {
                    break;
                }
                line.pop_front();
                gone.push(msg);
            }
            if let Some(&(due, _)) = line.front() {
                // The event for the old head finds a later head and
                // leaves it; this one is the new head's.
                self.schedule(due, Ev::EdgeArrive(e));
            }
            if self.topo[node].kind == Kind::Queue {
                let slot = self.topo[node].slot;
                self.queues[slot].reserved -= (gone.len() - before) as u64;
            }
        }
        gone
    }

    /// When a write of `msg` over a replicated edge into durable broker
    /// `to` reaches its readers: after the edge's latency (when the leader
    /// has it, kept in its `node_in` until it arrives) and the replication
    /// lag, in the order written.
    pub(crate) fn replicated_due(
        &mut self,
        to: NodeIx,
        latency: Duration,
        msg: crate::engine::MsgId,
    ) -> SimTime {
        let now = self.now;
        self.msgs.get_mut(msg).node_in = now + latency;
        let Some(d) = self.durable[to].as_deref_mut() else {
            return now + latency;
        };
        let written = now + latency;
        let mut due = written;
        if d.replicas > 1 {
            due += crate::dist::scaled(d.replication.sample(&mut d.rng), d.slow);
        }
        let mut due = due.max(d.last_due);
        if let Some(standby) = &mut d.standby {
            due = standby.write(now, written, due);
        }
        d.last_due = due;
        due
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(broker: &str, faults: &str, duration: &str, seed: u64) -> RunResult {
        let text = format!(
            r#"(
            version: 1,
            name: "durable",
            scenario: (duration: "{duration}", seed: {seed}, {faults}),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "q", kind: {broker}),
                (id: "work", kind: Consumer(service: Constant("20ms"))),
                (id: "done", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "work"), (from: "work", to: "done")],
        )"#
        );
        let (model, problems) = from_str(&text).expect("parses");
        assert!(problems.is_empty(), "{problems:?}");
        run_once(&model, seed).expect("runs")
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    const CRASH: &str = r#"faults: [(at: "30s", duration: "20s", node: "q", effect: Crash)]"#;

    #[test]
    fn acks_leader_loses_the_unreplicated_window_and_acks_all_does_not() {
        let leader = run(
            r#"Queue(durability: (replicas: 3, min_in_sync: 2, acks: Leader, election: Constant("2s"), replication: Constant("200ms")))"#,
            CRASH,
            "60s",
            1,
        );
        let lost = get(&leader, "q", "lost");
        // The writes of the last 0.2 s: about 100/s × 0.2 s, though the
        // consumer keeps up with none of them and a backlog waits.
        assert!((8.0..=35.0).contains(&lost), "lost {lost}");
        assert_eq!(get(&leader, "q", "failovers"), 1.0);
        assert!((get(&leader, "q", "rpo_s") - 0.2).abs() < 0.05);
        // Unavailable for the election only, not the crash's 20 s.
        assert!((get(&leader, "q", "rto_s") - 2.0).abs() < 1e-6);
        assert_eq!(leader.conservation.lost, lost as u64);
        assert!(leader.conservation.balanced());

        let all = run(
            r#"Queue(durability: (replicas: 3, min_in_sync: 2, acks: All, election: Constant("2s"), replication: Constant("200ms")))"#,
            CRASH,
            "60s",
            1,
        );
        assert_eq!(get(&all, "q", "lost"), 0.0);
        assert_eq!(all.conservation.lost, 0);
        assert!(all.conservation.balanced());
    }

    #[test]
    fn a_replicated_write_reaches_its_readers_a_replication_lag_later() {
        let e2e = |replicas: u32| {
            let text = format!(
                r#"(version: 1, name: "acks", scenario: (duration: "100s", seed: 5),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 20.0))),
                    (id: "q", kind: Queue(durability: (replicas: {replicas}, acks: Leader, replication: Constant("150ms")))),
                    (id: "work", kind: Consumer(service: Constant("5ms"))),
                    (id: "done", kind: Sink()),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "work"), (from: "work", to: "done")])"#
            );
            let (model, _) = from_str(&text).expect("parses");
            let r = run_once(&model, 5).expect("runs");
            assert!(r.conservation.balanced());
            get(&r, "done", "end_to_end_s.mean")
        };
        let (three, one) = (e2e(3), e2e(1));
        assert!(
            (three - one - 0.15).abs() < 0.005,
            "3 replicas {three} s, 1 replica {one} s"
        );
    }

    #[test]
    fn a_single_broker_in_memory_loses_all_it_holds_and_on_disk_nothing() {
        let memory = run(
            "Queue(durability: (replicas: 1, persistent: false))",
            CRASH,
            "60s",
            2,
        );
        // 30 s of a 50/s backlog waits when it crashes.
        let lost = get(&memory, "q", "lost");
        assert!(lost > 1000.0, "lost {lost}");
        assert_eq!(get(&memory, "q", "failovers"), 0.0);
        assert!((get(&memory, "q", "rto_s") - 20.0).abs() < 1e-6);
        // The oldest waiting message arrived about 15 s before (the
        // consumer had served the first half of the 30 s).
        let rpo = get(&memory, "q", "rpo_s");
        assert!((12.0..=18.0).contains(&rpo), "rpo {rpo}");
        assert!(memory.conservation.balanced());

        let disk = run("Queue(durability: (replicas: 1))", CRASH, "60s", 2);
        assert_eq!(get(&disk, "q", "lost"), 0.0);
        assert!((get(&disk, "q", "rto_s") - 20.0).abs() < 1e-6);
    }

    #[test]
    fn too_few_in_sync_replicas_refuse_writes_while_readers_read_on() {
        let r = run(
            r#"Queue(durability: (replicas: 2, min_in_sync: 2, acks: All, election: Constant("1s")))"#,
            CRASH,
            "60s",
            3,
        );
        // Refused for the crash's 20 s: one replica is left.
        let refused = get(&r, "q", "writes_refused_fraction");
        assert!((refused - 20.0 / 60.0).abs() < 1e-6, "refused {refused}");
        assert_eq!(get(&r, "q", "lost"), 0.0);
        // The producer waited: its blocked time covers the refusal.
        assert!(get(&r, "src", "blocked_fraction") > 0.3);
        // The consumer read the backlog on meanwhile.
        assert!(get(&r, "work", "utilization") > 0.95);
    }

    #[test]
    fn fire_and_forget_writes_to_an_unavailable_broker_are_lost() {
        let r = run(
            r#"Queue(durability: (replicas: 3, min_in_sync: 2, acks: None, election: Constant("5s"), replication: Constant("1ms")))"#,
            CRASH,
            "60s",
            4,
        );
        let down = get(&r, "q", "drops.node_down");
        // About 100/s × 5 s of election, counted where they were sent.
        assert!(
            (400.0..=600.0).contains(&down),
            "lost while electing {down}"
        );
        assert_eq!(get(&r, "src", "blocked_fraction"), 0.0);
        assert!(r.conservation.balanced());
    }

    #[test]
    fn every_broker_kind_loses_its_unreplicated_writes_and_accounts_for_them() {
        for (broker, reader) in [
            ("Queue", "Consumer(service: Constant(\"1ms\"))"),
            ("Log", "Consumer(service: Constant(\"1ms\"))"),
            ("Topic", "Sink()"),
            ("EventStore", "Projection(apply: Constant(\"1ms\"))"),
        ] {
            // Writes cross a 30 ms link, then wait 100 ms for replication:
            // those on the link when the leader crashes are not lost.
            let text = format!(
                r#"(version: 1, name: "kinds", scenario: (duration: "40s", seed: 6,
                    faults: [(at: "10s", duration: "5s", node: "b", effect: Crash),
                             (at: "25s", duration: "5s", node: "b", effect: Crash)]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
                    (id: "b", kind: {broker}(durability: (acks: Leader, election: Constant("1s"), replication: Constant("100ms")))),
                    (id: "r", kind: {reader}),
                ],
                edges: [(from: "src", to: "b", latency: "30ms"), (from: "b", to: "r")])"#
            );
            let (model, problems) = from_str(&text).expect("parses");
            assert!(
                problems.iter().all(|p| !p.is_error()),
                "{broker}: {problems:?}"
            );
            let r = run_once(&model, 6).expect("runs");
            assert!(r.conservation.balanced(), "{broker}: {:?}", r.conservation);
            let lost = get(&r, "b", "lost");
            // Two crashes, each about 200/s × 0.1 s.
            assert!((15.0..=70.0).contains(&lost), "{broker} lost {lost}");
            assert_eq!(r.conservation.lost, lost as u64, "{broker}");
            assert_eq!(get(&r, "b", "failovers"), 2.0, "{broker}");
            let rpo = get(&r, "b", "rpo_s");
            assert!((0.08..=0.1).contains(&rpo), "{broker} rpo {rpo}");
        }
    }

    #[test]
    fn a_slow_broker_falls_behind_and_a_crash_then_loses_more() {
        let run_slow = |slow: &str| {
            let text = format!(
                r#"(version: 1, name: "slow", scenario: (duration: "60s", seed: 8,
                    faults: [{slow}(at: "30s", duration: "20s", node: "b", effect: Crash)]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
                    (id: "b", kind: Log(durability: (acks: Leader, replication: Constant("50ms")))),
                    (id: "r", kind: Consumer(service: Constant("1ms"))),
                ],
                edges: [(from: "src", to: "b"), (from: "b", to: "r")])"#
            );
            let (model, problems) = from_str(&text).expect("parses");
            assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
            run_once(&model, 8).expect("runs")
        };
        let calm = run_slow("");
        let slow =
            run_slow(r#"(at: "20s", duration: "20s", node: "b", effect: Slow(factor: 10.0)),"#);
        // The followers run 0.5 s behind instead of 0.05 s when the leader
        // crashes: ten times the writes are lost.
        let (calm_lost, slow_lost) = (get(&calm, "b", "lost"), get(&slow, "b", "lost"));
        assert!((5.0..=20.0).contains(&calm_lost), "calm {calm_lost}");
        assert!((70.0..=130.0).contains(&slow_lost), "slow {slow_lost}");
        // Readers wait for the replication: the worst write waited about
        // 0.5 s more.
        let worst = |r: &RunResult| get(r, "r", "end_to_end_s.max");
        assert!(worst(&slow) > worst(&calm) + 0.4);
    }

    #[test]
    fn durability_is_validated() {
        for (durability, words) in [
            ("(replicas: 0)", "at least 1 replica"),
            ("(replicas: 2, min_in_sync: 3)", "exceeds the replicas"),
            ("(replicas: 99)", "replicas"),
            ("(min_in_sync: 0)", "min_in_sync must be at least 1"),
        ] {
            let text = format!(
                r#"(version: 1, name: "v", scenario: (duration: "1s"),
                nodes: [(id: "q", kind: Queue(durability: {durability}))], edges: [])"#
            );
            let (model, _) = from_str(&text).expect("parses");
            crate::validate::tests::assert_errors_say(&model, &[words]);
        }
        // A slow-down of a broker slows its replication: one with a single
        // replica, or none at all, has nothing to slow.
        for durability in ["", "durability: (replicas: 1)"] {
            let text = format!(
                r#"(version: 1, name: "v", scenario: (duration: "1s",
                    faults: [(at: "0s", duration: "1s", node: "q", effect: Slow(factor: 2.0))]),
                nodes: [(id: "q", kind: Queue({durability}))], edges: [])"#
            );
            let (model, _) = from_str(&text).expect("parses");
            assert!(
                crate::validate::validate(&model)
                    .iter()
                    .any(|d| d.is_error()
                        && d.to_string()
                            .contains("slows its replication, and it has none")),
                "{durability}"
            );
        }
    }
}
