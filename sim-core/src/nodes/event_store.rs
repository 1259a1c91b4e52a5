//! Event store: event sourcing's append-only store.
//!
//! Every event that reaches the store is **appended**: each attempt takes
//! the append latency. With `max_rate`, attempts start at most that many
//! per second, evenly spaced; events that cannot start yet wait in the
//! store's backlog, in order. With `backlog`, at most that many wait: a
//! full store refuses new events, so its writers wait (backpressure) —
//! nothing is rejected.
//!
//! An attempt fails with probability `conflict`: an optimistic-concurrency
//! conflict (another writer appended to the same stream first). The writer
//! reads the stream again and retries the append after `retry_delay`; that
//! loop is modelled in the store (the writer's own retry policy, which is
//! about processing failures, is not involved, and its slot is not held).
//! Each conflict is counted (`conflicts`), and the retry takes the rate
//! limit and the latency again, so attempts are `1/(1−p)` per event on
//! average (geometric). With `max_attempts`, an event that conflicts on
//! every attempt is dropped (reason `conflict`).
//!
//! An appended event is stamped with its append time and goes on along
//! every outgoing edge (a copy to each projection or consumer, counted as
//! fan-out copies); a store with no outputs completes it. When a next
//! stage blocks, appended events wait in the store and no new appends
//! start until they have gone.
//!
//! **Replay** (`replay: (at: "5m", rate: 10000.0)`) rebuilds the
//! projections: at `at`, the store sends each connected projection the
//! events stored so far, `rate` per second, as new messages (counted in
//! `conservation.replayed`, apart from live events). The store keeps only
//! counts per event type, never the events, so memory does not grow with
//! the log.
//!
//! A crash stops new appends (writers wait); appends under way finish.

use std::collections::{BTreeMap, VecDeque};

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dist::{Dist, Sampler, to_ns};
use crate::engine::{Ev, Msg, MsgId, NodeIx, Origin, Simulation, Slot};
use crate::export::terraform::Terraform;
use crate::metrics::{DropReason, Latency};
use crate::model::{Model, Node};
use crate::nodes::Kind;
use crate::rng::{Purpose, Stream, stream, unit};
use crate::time::{Duration, SimTime};

/// An event store's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventStoreParams {
    /// How long one append attempt takes.
    #[serde(default = "default_append")]
    pub append: Dist,
    /// Most append attempts started per second; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_rate: Option<f64>,
    /// Most events waiting to be appended; `None` for no limit. A full
    /// store makes its writers wait.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub backlog: Option<u32>,
    /// Probability that an attempt meets an optimistic-concurrency conflict.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub conflict: f64,
    /// How long the writer takes to re-read the stream before appending
    /// again after a conflict.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub retry_delay: Duration,
    /// Attempts per event, the first included; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_attempts: Option<u32>,
    /// Rebuild the connected projections by replaying the stored events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay: Option<Replay>,
    /// Replicas, acknowledgements and persistence; `None` for one store
    /// on disk.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub durability: Option<super::durability::Durability>,
}

/// A replay of the stored events to the store's projections.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Replay {
    /// When it starts.
    pub at: Duration,
    /// Events replayed per second.
    pub rate: f64,
}

fn default_append() -> Dist {
    Dist::Constant(Duration::from_millis(5))
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Default for EventStoreParams {
    fn default() -> Self {
        Self {
            append: default_append(),
            max_rate: None,
            backlog: None,
            conflict: 0.0,
            retry_delay: Duration::ZERO,
            max_attempts: None,
            replay: None,
            durability: None,
        }
    }
}

impl EventStoreParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.append.problems();
        if let Some(rate) = self.max_rate
            && (!rate.is_finite() || rate <= 0.0)
        {
            out.push(format!(
                "max_rate must be a number greater than zero (found {rate}); leave it out for no limit"
            ));
        }
        if self.backlog == Some(0) {
            out.push("the backlog must hold at least 1 (leave it out for no limit)".to_owned());
        }
        super::check_probability("conflict probability", self.conflict, &mut out);
        if self.conflict >= 1.0 && self.max_attempts.is_none() {
            out.push(
                "with a conflict probability of 1 every append conflicts forever; lower it or set max_attempts"
                    .to_owned(),
            );
        }
        if self.max_attempts == Some(0) {
            out.push("max_attempts must be at least 1".to_owned());
        }
        if let Some(rate) = self.max_rate {
            super::check_rate("max_rate", rate, &mut out);
        }
        if let Some(attempts) = self.max_attempts {
            super::check_at_most(
                "max_attempts",
                attempts,
                super::limits::MAX_ATTEMPTS,
                &mut out,
            );
        }
        super::check_durations(&[("the retry delay", self.retry_delay)], &mut out);
        if let Some(replay) = &self.replay {
            super::check_rate("the replay rate", replay.rate, &mut out);
            super::check_durations(&[("the replay's start", replay.at)], &mut out);
        }
        if let Some(replay) = &self.replay
            && (!replay.rate.is_finite() || replay.rate <= 0.0)
        {
            out.push(format!(
                "the replay rate must be a number greater than zero (found {})",
                replay.rate
            ));
        }
        super::durability::check(self.durability.as_ref(), &mut out);
        out
    }
}

/// An event store during a run.
#[derive(Clone, Debug)]
pub(crate) struct StoreRt {
    append: Sampler,
    rng_latency: Stream,
    rng_conflict: Stream,
    /// Nanoseconds between attempt starts (rate limit), if any.
    gap: Option<f64>,
    /// Earliest start of the next attempt, and the rounding carried.
    next_start: SimTime,
    carry: f64,
    /// A `StoreNext` is in the calendar.
    pacing: bool,
    limit: u64,
    backlog: VecDeque<MsgId>,
    /// Appended events waiting for room downstream.
    outbox: VecDeque<MsgId>,
    in_progress: u64,
    conflict: f64,
    retry_delay: Duration,
    max_attempts: u32,
    slow: f64,
    /// Events in the log since the run began, and per event type and
    /// version (its raw `Msg::version`), in that order.
    pub stored: u64,
    stored_by_type: BTreeMap<(u16, u8), u64>,
    replay_rate: f64,
    /// Replay: events left per type and version, and ticks sent so far.
    replay_left: BTreeMap<(u16, u8), u64>,
    replay_sent: u64,
    replay_start: SimTime,
    pub attempts: u64,
    pub conflicts: u64,
    pub appended: u64,
    pub replayed: u64,
    pub append_latency: Latency,
}

impl StoreRt {
    pub fn new(params: &EventStoreParams, seed: u64, id: &str) -> Self {
        Self {
            append: params.append.sampler(),
            rng_latency: stream(seed, id, Purpose::Latency),
            rng_conflict: stream(seed, id, Purpose::Failures),
            gap: params.max_rate.map(|rate| 1e9 / rate),
            next_start: SimTime::ZERO,
            carry: 0.0,
            pacing: false,
            limit: params.backlog.map_or(u64::MAX, u64::from),
            backlog: VecDeque::new(),
            outbox: VecDeque::new(),
            in_progress: 0,
            conflict: params.conflict,
            retry_delay: params.retry_delay,
            max_attempts: params.max_attempts.unwrap_or(u32::MAX),
            slow: 1.0,
            stored: 0,
            stored_by_type: BTreeMap::new(),
            replay_rate: params.replay.as_ref().map_or(1.0, |r| r.rate),
            replay_left: BTreeMap::new(),
            replay_sent: 0,
            replay_start: SimTime::ZERO,
            attempts: 0,
            conflicts: 0,
            appended: 0,
            replayed: 0,
            append_latency: Latency::new(),
        }
    }

    /// Messages the store holds (waiting, being appended, blocked).
    pub fn held(&self) -> u64 {
        self.backlog.len() as u64 + self.in_progress + self.outbox.len() as u64
    }

    /// Multiplies append latencies from now on (slow-down faults).
    pub fn scale_latency(&mut self, factor: f64) {
        self.slow *= factor;
    }

    /// Warm-up deletion of the store's own measurements (the log itself
    /// stays: `stored` counts every event appended since the start).
    pub fn reset(&mut self) {
        self.attempts = 0;
        self.conflicts = 0;
        self.appended = 0;
        self.replayed = 0;
        self.append_latency.clear();
    }
}

impl Simulation {
    fn store_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    /// The store takes an event while its backlog has room and it is up.
    pub(crate) fn store_accepts(&self, node: NodeIx) -> bool {
        let s = &self.stores[self.store_slot(node)];
        (s.backlog.len() as u64) < s.limit && self.broker_open(node)
    }

    pub(crate) fn store_arrive(&mut self, node: NodeIx, msg: MsgId) {
        if self.is_down(node) && self.lost_on_arrival(node, msg) {
            return;
        }
        let s = self.store_slot(node);
        self.stores[s].backlog.push_back(msg);
        let depth = self.stores[s].backlog.len() as u64;
        self.stats[node].depth.set(self.now, depth);
        self.store_start(node);
    }

    /// Starts appends while the rate limit, the node and the downstream allow.
    pub(crate) fn store_start(&mut self, node: NodeIx) {
        let s = self.store_slot(node);
        let now = self.now;
        loop {
            if self.is_down(node) || !self.stores[s].outbox.is_empty() {
                break;
            }
            let store = &mut self.stores[s];
            if store.backlog.is_empty() {
                break;
            }
            if now < store.next_start {
                if !store.pacing {
                    store.pacing = true;
                    let at = store.next_start;
                    self.schedule(at, Ev::StoreNext(node));
                }
                break;
            }
            let Some(msg) = store.backlog.pop_front() else {
                break;
            };
            if let Some(gap) = store.gap {
                let exact = gap + store.carry;
                let whole = exact.floor();
                store.carry = exact - whole;
                store.next_start = now + Duration(to_ns(whole));
            }
            store.attempts += 1;
            store.in_progress += 1;
            let latency =
                crate::dist::scaled(store.append.sample(&mut store.rng_latency), store.slow);
            store.append_latency.record(latency);
            let (depth, busy) = (store.backlog.len() as u64, store.in_progress);
            let waited = now - self.msgs.get(msg).wait_from;
            let stats = &mut self.stats[node];
            stats.depth.set(now, depth);
            stats.busy.set(now, busy);
            stats.wait.record(waited);
            self.schedule(now + latency, Ev::StoreAppended { node, msg });
        }
        self.store_room(node);
    }

    /// The rate limit allows the next attempt.
    pub(crate) fn store_next(&mut self, node: NodeIx) {
        let s = self.store_slot(node);
        self.stores[s].pacing = false;
        self.store_start(node);
    }

    /// An attempt is over: appended, or a conflict to retry.
    pub(crate) fn store_appended(&mut self, node: NodeIx, msg: MsgId) {
        let s = self.store_slot(node);
        let now = self.now;
        let store = &mut self.stores[s];
        store.in_progress -= 1;
        let busy = store.in_progress;
        self.stats[node].busy.set(now, busy);
        let conflicted = store.conflict > 0.0
            && (store.conflict >= 1.0 || unit(&mut store.rng_conflict) < store.conflict);
        if conflicted {
            store.conflicts += 1;
            let m = self.msgs.get_mut(msg);
            m.attempts += 1;
            if m.attempts >= store.max_attempts {
                self.drop_msg(node, msg, DropReason::Conflict);
                self.store_start(node);
                return;
            }
            self.stats[node].retries += 1;
            let delay = store.retry_delay;
            if delay.is_zero() {
                self.store_retry(node, msg);
            } else {
                self.schedule(now + delay, Ev::StoreRetry { node, msg });
            }
            return;
        }
        store.appended += 1;
        store.stored += 1;
        let m = self.msgs.get(msg);
        *store
            .stored_by_type
            .entry((m.event_type, m.version))
            .or_insert(0) += 1;
        let m = self.msgs.get_mut(msg);
        m.stamp = now;
        let node_in = m.node_in;
        self.stats[node].record_sojourn(now - node_in);
        if self.topo[node].out.is_empty() {
            self.stats[node].departed += 1;
            self.complete(node, msg);
        } else {
            self.stores[s].outbox.push_back(msg);
            self.store_flush(node);
        }
        self.store_start(node);
    }

    /// A conflicted event goes back to the end of the backlog.
    pub(crate) fn store_retry(&mut self, node: NodeIx, msg: MsgId) {
        let s = self.store_slot(node);
        self.msgs.get_mut(msg).wait_from = self.now;
        self.stores[s].backlog.push_back(msg);
        let depth = self.stores[s].backlog.len() as u64;
        self.stats[node].depth.set(self.now, depth);
        self.store_start(node);
    }

    /// Sends appended events on, in order, as far as there is room.
    fn store_flush(&mut self, node: NodeIx) -> bool {
        let s = self.store_slot(node);
        while let Some(&msg) = self.stores[s].outbox.front() {
            if !self.send_out(node, msg) {
                self.stats[node]
                    .blocked
                    .set(self.now, self.stores[s].outbox.len() as u64);
                return false;
            }
            self.stores[s].outbox.pop_front();
            self.stats[node].departed += 1;
        }
        self.stats[node].blocked.set(self.now, 0);
        true
    }

    /// Room appeared downstream: send what waits, then append again.
    pub(crate) fn store_wake(&mut self, node: NodeIx) {
        if self.store_flush(node) {
            self.store_start(node);
        }
    }

    /// Takes out the events accepted at or after `since` that have not
    /// gone on: waiting to be appended, or appended and waiting for room
    /// downstream (no longer stored either). A crash lost them; see
    /// `durability`.
    pub(crate) fn store_take_since(&mut self, node: NodeIx, since: SimTime) -> Vec<MsgId> {
        let s = self.store_slot(node);
        let msgs = &self.msgs;
        let store = &mut self.stores[s];
        let (gone, kept): (VecDeque<MsgId>, VecDeque<MsgId>) = store
            .backlog
            .iter()
            .partition(|&&m| msgs.get(m).node_in >= since);
        store.backlog = kept;
        let mut gone: Vec<MsgId> = gone.into();
        let (appended, kept): (VecDeque<MsgId>, VecDeque<MsgId>) = store
            .outbox
            .iter()
            .partition(|&&m| msgs.get(m).node_in >= since);
        store.outbox = kept;
        for &m in &appended {
            let m = msgs.get(m);
            store.stored -= 1;
            if let Some(n) = store.stored_by_type.get_mut(&(m.event_type, m.version)) {
                *n -= 1;
            }
        }
        gone.extend(appended);
        let (depth, blocked) = (store.backlog.len() as u64, store.outbox.len() as u64);
        let stats = &mut self.stats[node];
        stats.depth.set(self.now, depth);
        stats.blocked.set(self.now, blocked);
        gone
    }

    /// Lets blocked writers try again when the backlog has room.
    fn store_room(&mut self, node: NodeIx) {
        if self.store_accepts(node) {
            self.wake_waiters(node);
        }
    }

    /// A replay tick: the first takes stock of the log; each sends one
    /// stored event to every connected projection.
    pub(crate) fn store_replay(&mut self, node: NodeIx) {
        let s = self.store_slot(node);
        let now = self.now;
        if self.stores[s].replay_sent == 0 && self.stores[s].replay_left.is_empty() {
            let store = &mut self.stores[s];
            store.replay_left = store.stored_by_type.clone();
            store.replay_start = now;
            if store.stored == 0 {
                return;
            }
        }
        if !self.is_down(node) {
            let store = &mut self.stores[s];
            let Some((&(event_type, version), left)) =
                store.replay_left.iter_mut().find(|(_, n)| **n > 0)
            else {
                return;
            };
            *left -= 1;
            let n_out = self.topo[node].out.len();
            for k in 0..n_out {
                let e = self.topo[node].out[k];
                let to = self.edges[e].to;
                if self.topo[to].kind != Kind::Projection {
                    continue;
                }
                let lineage = self.ledger.new_id();
                let msg = self.alloc(
                    node,
                    Msg {
                        lineage,
                        created: now,
                        node_in: now,
                        wait_from: now,
                        stamp: now,
                        event_type,
                        version,
                        origin: Origin::PUSHED,
                        flags: Msg::REPLAYED,
                        source: node,
                        ..Msg::default()
                    },
                );
                self.totals.replayed += 1;
                self.stores[s].replayed += 1;
                self.transmit(e, msg);
            }
        }
        let store = &mut self.stores[s];
        store.replay_sent += 1;
        if store.replay_left.values().any(|&n| n > 0) {
            #[expect(clippy::cast_precision_loss, reason = "tick times in ns")]
            let at = store.replay_start
                + Duration(to_ns(store.replay_sent as f64 * 1e9 / store.replay_rate));
            self.schedule(at.max(now), Ev::StoreReplay(node));
        }
    }
}

impl crate::nodes::KindSpec for EventStoreParams {
    const KIND: Kind = Kind::EventStore;
    const KEY: &'static str = "event_store";
    const LABEL: &'static str = "event store";
    const PLURAL: &'static str = "event stores";
    const SERIES: &'static [crate::series::Metric] =
        <crate::nodes::ServiceParams as crate::nodes::KindSpec>::SERIES;
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
    const DOT: (&'static str, &'static str) = ("box3d", "#d1f2eb");
    const MERMAID: (&'static str, &'static str) = ("((", "))");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut out = vec![format!("append {}", crate::export::dist_text(&self.append))];
        if let Some(rate) = self.max_rate {
            out.push(format!("max {rate} appends/s"));
        }
        if let Some(b) = self.backlog {
            out.push(format!("backlog {b}"));
        }
        if self.conflict > 0.0 {
            out.push(format!("conflicts {}%", self.conflict * 100.0));
        }
        if let Some(r) = &self.replay {
            out.push(format!("replay at {} ({}/s)", r.at, r.rate));
        }
        out.extend(
            self.durability
                .as_ref()
                .map(super::durability::Durability::summary),
        );
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        self.max_rate
            .map(|per_s| crate::insights::Limit::Rate {
                per_s,
                metric: "append_attempts",
            })
            .into_iter()
            .collect()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        self.append.mean().is_zero()
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.no_input() || self.replay.is_none() {
            return;
        }
        let graph = w.graph;
        let projections = w
            .downstream()
            .filter(|&m| graph[m].kind.kind() == Kind::Projection)
            .count();
        if projections == 0 {
            w.warning(
                "the replay rebuilds projections, but no projection is connected to this store",
            );
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::Opaque(
            "an event store, with its own throughput limit and conflicts".to_owned(),
        )
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        super::durability::restart_reason(self.durability.as_ref(), new.durability.as_ref())
            .or_else(|| (self != new).then_some("its append settings changed"))
    }
}

impl crate::nodes::Runtime for EventStoreParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        if let Some(replay) = &self.replay {
            cx.replays.push((cx.node, SimTime::ZERO + replay.at));
        }
        cx.durable(sim, self.durability.as_ref());
        sim.stores.push(StoreRt::new(self, cx.seed, cx.id));
        sim.stores.len() - 1
    }

    fn retune(&self, _sim: &mut Simulation, _node: NodeIx, _slot: Slot) {}

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.stores[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.store_wake(node);
    }

    fn slow(sim: &mut Simulation, node: NodeIx, slot: Slot, factor: f64) {
        sim.stores[slot].scale_latency(factor);
        sim.broker_slow(node, factor);
    }

    fn reset(sim: &mut Simulation, _now: SimTime) {
        for store in &mut sim.stores {
            store.reset();
        }
    }

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        let store = &sim.stores[topo.slot];
        r.count("appended", store.appended);
        r.count("append_attempts", store.attempts);
        r.count("conflicts", store.conflicts);
        r.count("retries", st.retries);
        r.count("stored", store.stored);
        r.count("replayed", store.replayed);
        r.real("appends_per_s", r.per_s(store.appended));
        r.level("mean_depth", "max_depth", &st.depth, end);
        r.real("mean_busy", st.busy.mean(end));
        r.real("blocked_fraction", st.blocked.mean(end).min(1.0));
        r.latency("append_latency_s", &store.append_latency.summary());
        r.latency("wait_s", &st.wait.summary());
        r.latency("sojourn_s", &st.sojourn.summary());
        if topo.out.is_empty() {
            r.count("completed", st.completed);
            r.latency("end_to_end_s", &st.end_to_end.summary());
        }
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        (sim.stores[slot].held(), None)
    }
}

impl crate::export::KindExport for EventStoreParams {
    /// No AsyncAPI counterpart: a channel its writers send to, keeping
    /// its parameters in `x-weir-node`.
    const ASYNCAPI_CHANNEL: bool = true;

    fn asyncapi_channel_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = ", which has no AWS mapping (not mapped)";

    /// No AWS mapping: an event store is a database table with conditional writes.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.no_mapping(
            out,
            n,
            "Event store",
            "event sourcing's append-only store; there is no AWS mapping for it (it would be a database table with conditional writes, such as DynamoDB), so no resource is generated",
        );
    }

    /// No Kafka topic: an event store is a database of its own here.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::metric as get;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(store: &str, rate: f64, duration: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "store",
                scenario: (duration: "{duration}", seed: 3),
                nodes: [
                    (id: "cmds", kind: Producer(arrival: Constant(rate: {rate}))),
                    (id: "store", kind: EventStore({store})),
                    (id: "view", kind: Projection(apply: Constant("1ms"))),
                    (id: "audit", kind: Projection(apply: Constant("1ms"))),
                ],
                edges: [(from: "cmds", to: "store"), (from: "store", to: "view"), (from: "store", to: "audit")],
            )"#
        );
        let (model, problems) = from_str(&text).expect("loads");
        assert!(problems.is_empty(), "{problems:?}");
        let r = run_once(&model, 3).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    #[test]
    fn appends_fan_out_to_every_projection_with_staleness() {
        let r = run(r#"append: Constant("5ms")"#, 10.0, "10s");
        // Events at 0.1 s … 9.9 s are appended 5 ms later; the one at
        // 10 s is still being appended.
        assert_eq!(get(&r, "store", "appended"), 99.0);
        assert_eq!(get(&r, "view", "completed"), 99.0);
        assert_eq!(get(&r, "audit", "completed"), 99.0);
        assert_eq!(r.conservation.fanout_copies, 99);
        // Applied 1 ms after the append, with nothing waiting.
        assert!((get(&r, "view", "staleness_s.max") - 0.001).abs() < 1e-9);
        assert!((get(&r, "view", "staleness_s.mean") - 0.001).abs() < 1e-9);
    }

    #[test]
    fn the_rate_limit_spaces_appends_and_writers_wait() {
        // 20 events/s against 10 appends/s and a backlog of 5: the backlog
        // fills and the producer is held back.
        let r = run(
            r#"append: Constant("1ms"), max_rate: 10.0, backlog: 5"#,
            20.0,
            "20s",
        );
        let attempts = get(&r, "store", "append_attempts");
        assert!((attempts - 200.0).abs() <= 1.0, "attempts {attempts}");
        assert_eq!(get(&r, "store", "max_depth"), 5.0);
        assert!(get(&r, "cmds", "blocked_fraction") > 0.4);
        assert_eq!(r.conservation.dropped, 0);
    }

    #[test]
    fn conflicts_retry_until_appended_or_give_up() {
        let r = run(r#"conflict: 0.5, retry_delay: "10ms""#, 50.0, "100s");
        let (appended, attempts) = (
            get(&r, "store", "appended"),
            get(&r, "store", "append_attempts"),
        );
        let conflicts = get(&r, "store", "conflicts");
        assert!(
            (attempts / appended - 2.0).abs() < 0.1,
            "{attempts} attempts for {appended} appends"
        );
        assert!((conflicts - (attempts - appended)).abs() <= 2.0);
        assert_eq!(get(&r, "store", "retries"), conflicts);
        let r = run(r#"conflict: 0.5, max_attempts: 1"#, 50.0, "100s");
        let dropped = get(&r, "store", "drops.conflict");
        assert!(
            (dropped / get(&r, "store", "append_attempts") - 0.5).abs() < 0.03,
            "dropped {dropped}"
        );
    }

    #[test]
    fn a_replay_sends_the_stored_count_to_each_projection() {
        // 100 events stored by 10 s; replayed at 1 000/s from 10 s.
        let r = run(
            r#"append: Constant("1ms"), replay: (at: "10s", rate: 1000.0)"#,
            10.0,
            "12s",
        );
        let stored_at_replay = 99.0;
        assert_eq!(get(&r, "store", "replayed"), 2.0 * stored_at_replay);
        assert_eq!(get(&r, "view", "replayed"), stored_at_replay);
        assert_eq!(get(&r, "audit", "replayed"), stored_at_replay);
        assert_eq!(r.conservation.replayed, 2 * 99);
        // Live events go on as before, counted apart from the replay.
        let live = get(&r, "view", "completed") - get(&r, "view", "replayed");
        assert_eq!(live, get(&r, "store", "appended"));
    }
}
