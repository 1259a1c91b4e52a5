//! Producer: an event source (an API, a sensor, an app).
//!
//! It creates events by its arrival process, gives each an event type (by
//! weight) and a key, and sends it downstream. When the downstream is full
//! and blocks, it either waits — holding the event and creating no more
//! until room appears, which is how backpressure reaches the source — or
//! drops the event and carries on.

use std::fmt::Write as _;

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dist::{Arrival, ArrivalSampler, Dist, Sampler};
use crate::engine::{Deadline, Ev, Msg, MsgId, NodeIx, Origin, Simulation, Slot};
use crate::export::terraform::{Terraform, one_line};
use crate::journey::HopKind;
use crate::metrics::DropReason;
use crate::model::{Model, Node};
use crate::rng::{Purpose, Stream, stream, unit};
use crate::time::SimTime;

/// A producer's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProducerParams {
    /// How events are spaced in time.
    pub arrival: Arrival,
    /// Event types with relative weights; empty means a single type,
    /// `"event"`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub events: Vec<EventType>,
    /// How many distinct keys events carry (uniformly drawn).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub keys: u32,
    /// What to do when the downstream blocks.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub on_block: OnBlock,
    /// Stop after this many events.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limit: Option<u64>,
    /// How long each event stays worth processing after it is created:
    /// its deadline is its creation plus a draw from this law. An event
    /// type's own `ttl` takes its place. None: events never expire.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Dist>,
    /// Act as a client: wait for each event's journey to end, and send it
    /// again when no answer comes in time.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub client: Option<super::client::ClientParams>,
    /// Write each event to a transactional outbox that a relay publishes
    /// (see [`super::outbox`]); `None` sends directly.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outbox: Option<super::outbox::Outbox>,
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

impl Default for ProducerParams {
    fn default() -> Self {
        Self {
            arrival: Arrival::Poisson { rate: 10.0 },
            events: Vec::new(),
            keys: 1,
            on_block: OnBlock::Wait,
            limit: None,
            ttl: None,
            client: None,
            outbox: None,
        }
    }
}

/// An event type a producer emits.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventType {
    pub name: String,
    #[serde(default = "unit_weight")]
    pub weight: f64,
    /// This type's time to live, in place of the producer's `ttl`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ttl: Option<Dist>,
    /// The schema version its events are made at (see
    /// [`super::versions`]).
    #[serde(default = "first_version", skip_serializing_if = "is_first_version")]
    pub version: u8,
    /// A rollout to another version during the run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rollout: Option<super::versions::Rollout>,
}

impl EventType {
    /// A type of weight 1, at version 1, that never expires.
    pub fn named(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            weight: 1.0,
            ttl: None,
            version: 1,
            rollout: None,
        }
    }

    /// Whether its events carry a version other than 1, now or later.
    pub fn versioned(&self) -> bool {
        self.version != 1 || self.rollout.is_some()
    }
}

const fn first_version() -> u8 {
    1
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_first_version(v: &u8) -> bool {
    *v == 1
}

const fn unit_weight() -> f64 {
    1.0
}

/// What a producer does when its downstream is full and blocks.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnBlock {
    /// Hold the event and create no more until room appears (backpressure).
    #[default]
    Wait,
    /// Drop the event (counted, with reason `producer_blocked`) and carry on.
    Drop,
}

/// The name of the event type of a producer without `events`.
pub const DEFAULT_EVENT_TYPE: &str = "event";

impl ProducerParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.arrival.problems();
        for ty in &self.events {
            if !ty.weight.is_finite() || ty.weight <= 0.0 {
                out.push(format!(
                    "event type '{}' needs a weight greater than zero (found {})",
                    ty.name, ty.weight
                ));
            }
            super::check_at_most(
                &format!("event type '{}''s weight", ty.name),
                ty.weight,
                super::limits::MAX_WEIGHT,
                &mut out,
            );
            if ty.name.trim().is_empty() {
                out.push("an event type needs a name".to_owned());
            }
            if let Some(ttl) = &ty.ttl {
                ttl_problems(&format!("event type '{}''s ttl", ty.name), ttl, &mut out);
            }
            if ty.version == 0 {
                out.push(format!(
                    "event type '{}''s version must be 1 or later",
                    ty.name
                ));
            }
            if let Some(rollout) = &ty.rollout {
                rollout.problems(ty.version, &format!("event type '{}'", ty.name), &mut out);
            }
        }
        if let Some(ttl) = &self.ttl {
            ttl_problems("the ttl", ttl, &mut out);
        }
        if let Some(client) = &self.client {
            client.problems(&mut out);
        }
        if let Some(outbox) = &self.outbox {
            outbox.problems(&mut out);
        }
        if self.keys == 0 {
            out.push("keys must be at least 1".to_owned());
        }
        if self.limit == Some(0) {
            out.push(
                "a limit of 0 events produces nothing; remove the limit or raise it".to_owned(),
            );
        }
        if let Some(limit) = self.limit {
            super::check_at_most("the limit", limit, super::limits::MAX_CAPACITY, &mut out);
        }
        out
    }

    /// Whether any of its events has a deadline.
    pub fn has_deadlines(&self) -> bool {
        self.ttl.is_some() || self.events.iter().any(|t| t.ttl.is_some())
    }

    /// The names of the event types this producer emits.
    pub fn event_names(&self) -> Vec<&str> {
        if self.events.is_empty() {
            vec![DEFAULT_EVENT_TYPE]
        } else {
            self.events.iter().map(|t| t.name.as_str()).collect()
        }
    }
}

/// A time to live must be a law of positive durations.
fn ttl_problems(what: &str, ttl: &Dist, out: &mut Vec<String>) {
    for problem in ttl.problems() {
        out.push(format!("{what}: {problem}"));
    }
    if ttl.mean().is_zero() {
        out.push(format!(
            "{what} has a mean of zero: every event would be past its deadline at once; give it a positive mean or remove it"
        ));
    }
}

/// A producer during a run.
#[derive(Clone, Debug)]
pub(crate) struct ProducerRt {
    arrivals: ArrivalSampler,
    rng_arrivals: Stream,
    rng_attrs: Stream,
    /// (global event type, cumulative weight share).
    pub(super) types: Vec<(u16, f64)>,
    /// Each type's time to live, in the order of `types` (`None`: it
    /// never expires).
    ttls: Vec<Option<Sampler>>,
    rng_deadlines: Stream,
    keys: u32,
    on_block: OnBlock,
    limit: Option<u64>,
    created: u64,
    /// The event held while the downstream blocks.
    held: Option<MsgId>,
    /// Bumped to cancel the pending arrival (a crash, a change of rate).
    generation: u32,
    /// The producer's node (its arrivals name the producer by slot).
    pub node: NodeIx,
    /// Its requests, when it acts as a client.
    pub client: Option<super::client::ClientRt>,
    /// Its events go through its outbox.
    outbox: bool,
    /// Each type's version and rollout, in the order of `types` (empty
    /// when every type is at version 1 for good).
    versions: Vec<(u8, Option<super::versions::Rollout>)>,
    rng_versions: Stream,
    /// No client, no outbox and no versions: its arrivals take the short
    /// way (see [`Simulation::producer_arrival`]).
    plain: bool,
    /// The scenario's bursts in force, multiplied: with `load`, what
    /// `arrivals.rate_factor` is.
    bursts: f64,
    /// Its rate set live, in percent of the designed one (100 unless
    /// changed while running; 0: it sends only by hand).
    load: u32,
}

impl ProducerRt {
    pub fn new(
        params: &ProducerParams,
        seed: u64,
        id: &str,
        type_id: &mut dyn FnMut(&str) -> u16,
    ) -> Self {
        let total: f64 = params.events.iter().map(|t| t.weight).sum();
        let mut acc = 0.0;
        let types = if params.events.is_empty() {
            vec![(type_id(DEFAULT_EVENT_TYPE), 1.0)]
        } else {
            params
                .events
                .iter()
                .map(|t| {
                    acc += t.weight / total;
                    (type_id(&t.name), acc)
                })
                .collect()
        };
        let ttls = if !params.has_deadlines() {
            Vec::new()
        } else if params.events.is_empty() {
            vec![params.ttl.as_ref().map(Dist::sampler)]
        } else {
            params
                .events
                .iter()
                .map(|t| t.ttl.as_ref().or(params.ttl.as_ref()).map(Dist::sampler))
                .collect()
        };
        let mut p = Self {
            arrivals: ArrivalSampler::new(&params.arrival),
            rng_arrivals: stream(seed, id, Purpose::Arrivals),
            rng_attrs: stream(seed, id, Purpose::Attributes),
            types,
            ttls,
            rng_deadlines: stream(seed, id, Purpose::Deadlines),
            keys: params.keys.max(1),
            on_block: params.on_block,
            limit: params.limit,
            created: 0,
            held: None,
            generation: 0,
            node: NodeIx::NONE,
            client: params
                .client
                .as_ref()
                .map(|c| super::client::ClientRt::new(c, stream(seed, id, Purpose::Backoff))),
            outbox: params.outbox.is_some(),
            versions: if params.events.iter().any(EventType::versioned) {
                params
                    .events
                    .iter()
                    .map(|t| (t.version, t.rollout))
                    .collect()
            } else {
                Vec::new()
            },
            rng_versions: stream(seed, id, Purpose::Versions),
            plain: false,
            bursts: 1.0,
            load: 100,
        };
        p.set_plain();
        p
    }

    /// Sets `plain` from what it has.
    fn set_plain(&mut self) {
        self.plain = self.client.is_none() && !self.outbox && self.versions.is_empty();
    }

    /// Its rate set live, in percent of the designed one.
    pub(crate) fn load(&self) -> u32 {
        self.load
    }

    /// The rate factor from the bursts in force and the load.
    fn set_rate_factor(&mut self) {
        // (A load of 100 keeps the bursts' product exactly.)
        self.arrivals.rate_factor = if self.load == 100 {
            self.bursts
        } else {
            self.bursts * f64::from(self.load) / 100.0
        };
    }

    /// The version of an event of the type at `at` in `types`, made `now`
    /// (0 for a type without versions).
    fn draw_version(&mut self, at: usize, now: SimTime) -> u8 {
        match self.versions.get(at) {
            None => 0,
            Some(&(version, None)) => version,
            Some(&(version, Some(rollout))) => {
                let share = rollout.share(now);
                if share >= 1.0 || (share > 0.0 && unit(&mut self.rng_versions) < share) {
                    rollout.to
                } else {
                    version
                }
            }
        }
    }

    /// An event type, by weight: its global id and its place in `types`.
    fn draw_type(&mut self) -> (u16, usize) {
        if self.types.len() == 1 {
            return (self.types[0].0, 0);
        }
        let u = unit(&mut self.rng_attrs);
        let at = self
            .types
            .iter()
            .position(|(_, cum)| u < *cum)
            .unwrap_or(self.types.len() - 1);
        (self.types[at].0, at)
    }

    /// The deadline of an event of the type at `at` in `types`, created
    /// `now` ([`SimTime::NEVER`]: none).
    #[inline(always)]
    pub(super) fn draw_deadline(&mut self, at: usize, now: SimTime) -> Deadline {
        // (Empty when no type has a time to live.)
        match self.ttls.get_mut(at) {
            Some(Some(ttl)) => Deadline(now + ttl.sample(&mut self.rng_deadlines)),
            _ => Deadline::default(),
        }
    }

    fn draw_key(&mut self) -> u32 {
        if self.keys == 1 {
            return 0;
        }
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "unit() < 1, so the product is below keys"
        )]
        let key = (unit(&mut self.rng_attrs) * f64::from(self.keys)) as u32;
        key.min(self.keys - 1)
    }
}

impl Simulation {
    /// New parameters from now on: the pending event is drawn again under
    /// them (a burst in progress keeps multiplying the new rate).
    pub(crate) fn producer_retune(&mut self, node: NodeIx, params: &ProducerParams) {
        let slot = self.topo[node].slot;
        let mut types = std::mem::take(&mut self.event_types);
        let mut type_id = |name: &str| -> u16 {
            if let Some(i) = types.iter().position(|t| t == name) {
                return u16::try_from(i).unwrap_or(u16::MAX);
            }
            types.push(name.to_owned());
            u16::try_from(types.len() - 1).unwrap_or(u16::MAX)
        };
        // A time to live set live: the report counts what missed it, and
        // the system's chart shows goodput beside the completions.
        if params.has_deadlines() {
            self.deadlines = true;
            self.series.show_goodput();
        }
        let p = &mut self.producers[slot];
        let fresh = ProducerRt::new(params, 0, "", &mut type_id);
        self.event_types = types;
        let factor = p.arrivals.rate_factor;
        p.arrivals = fresh.arrivals;
        p.arrivals.rate_factor = factor;
        // A type's time to live goes with its place among the types.
        p.types = fresh.types;
        p.ttls = fresh.ttls;
        p.versions = fresh.versions;
        p.set_plain();
        p.keys = fresh.keys;
        p.on_block = fresh.on_block;
        p.limit = fresh.limit;
        p.generation += 1;
        if p.held.is_none() && !self.is_down(node) {
            self.producer_schedule_next(node);
        }
    }

    pub(crate) fn producer_start(&mut self, node: NodeIx) {
        self.producer_schedule_next(node);
    }

    fn producer_schedule_next(&mut self, node: NodeIx) {
        let slot = self.topo[node].slot;
        self.producer_schedule_next_at(slot);
    }

    /// [`Self::producer_schedule_next`] for the producer at `slot`.
    #[inline(always)]
    fn producer_schedule_next_at(&mut self, slot: Slot) {
        let now = self.now;
        let p = &mut self.producers[slot];
        if p.limit.is_some_and(|limit| p.created >= limit) {
            return;
        }
        if let Some(at) = p.arrivals.next(now.as_nanos(), &mut p.rng_arrivals) {
            let generation = p.generation;
            self.schedule(SimTime(at), Ev::Arrival { slot, generation });
        }
    }

    /// A crash stops the producer: its next event is cancelled.
    pub(crate) fn producer_pause(&mut self, node: NodeIx) {
        let slot = self.topo[node].slot;
        self.producers[slot].generation += 1;
    }

    pub(crate) fn producer_resume(&mut self, node: NodeIx) {
        let slot = self.topo[node].slot;
        if self.producers[slot].held.is_none() {
            self.producer_schedule_next(node);
        }
    }

    /// A burst (or its end) changes the rate from now on: the pending
    /// event is drawn again at the new rate.
    pub(crate) fn producer_scale_rate(&mut self, node: NodeIx, factor: f64) {
        let slot = self.topo[node].slot;
        let p = &mut self.producers[slot];
        p.bursts *= factor;
        p.set_rate_factor();
        self.producer_redraw(node);
    }

    /// Its rate set live to `percent` of the designed one, from now on
    /// (0: it sends only by hand): the pending event is drawn again.
    pub(crate) fn producer_set_load(&mut self, node: NodeIx, percent: u32) {
        let slot = self.topo[node].slot;
        let p = &mut self.producers[slot];
        p.load = percent;
        p.set_rate_factor();
        self.producer_redraw(node);
    }

    /// Its pending event cancelled and drawn again at the rate now in
    /// force (unless it is held up or down, when its wake draws it).
    fn producer_redraw(&mut self, node: NodeIx) {
        let slot = self.topo[node].slot;
        let p = &mut self.producers[slot];
        p.generation += 1;
        if p.held.is_none() && !self.is_down(node) {
            self.producer_schedule_next(node);
        }
    }

    /// One event made by hand (a live run's “send”), as an arrival makes
    /// it, while its own arrivals go on as they were; not counted against
    /// its `limit`. False, making nothing, while it holds an event the way
    /// refused.
    pub(crate) fn producer_by_hand(&mut self, node: NodeIx) -> bool {
        let slot = self.topo[node].slot;
        if self.producers[slot].held.is_some() {
            return false;
        }
        self.producer_arrival_dressed(slot, true);
        true
    }

    #[inline(always)]
    pub(crate) fn producer_arrival(&mut self, slot: Slot, generation: u32) {
        let p = &mut self.producers[slot];
        if generation != p.generation {
            return;
        }
        if !p.plain {
            self.producer_arrival_dressed(slot, false);
            return;
        }
        let node = p.node;
        p.created += 1;
        let (event_type, at) = p.draw_type();
        let key = p.draw_key();
        let deadline = p.draw_deadline(at, self.now);
        let msg = self.producer_make(node, event_type, key, deadline, 0);
        self.touch(node);
        self.stats[node].arrived += 1;
        self.producer_send(slot, node, msg, false);
    }

    /// [`Self::producer_arrival`] for a producer with a client, an outbox
    /// or versioned event types, and every event made `by_hand` (which
    /// leaves the producer's own next arrival as it was).
    #[inline(never)]
    fn producer_arrival_dressed(&mut self, slot: Slot, by_hand: bool) {
        let p = &mut self.producers[slot];
        let node = p.node;
        if !by_hand {
            p.created += 1;
        }
        let (event_type, at) = p.draw_type();
        let key = p.draw_key();
        let now = self.now;
        let deadline = p.draw_deadline(at, now);
        let version = p.draw_version(at, now);
        let client = p.client.is_some();
        self.touch(node);
        if client && !self.client_admits_new(node, slot) {
            // Too many requests open, or the client's breaker is open: the
            // request fails at once.
            self.stats[node].arrived += 1;
            if !by_hand {
                self.producer_schedule_next_at(slot);
            }
            return;
        }
        let msg = self.producer_make(node, event_type, key, deadline, version);
        self.stats[node].arrived += 1;
        if client {
            let request = super::client::Request {
                attempt: 1,
                at: u32::try_from(at).unwrap_or(u32::MAX),
                key,
                first: now,
                version,
            };
            self.client_sent(slot, msg, request);
        }
        if self.producers[slot].outbox {
            // Written in the transaction that made it; the relay sends it.
            self.outbox_write(node, msg);
            if !by_hand {
                self.producer_schedule_next_at(slot);
            }
            return;
        }
        self.producer_send(slot, node, msg, by_hand);
    }

    /// Sends the event `msg` producer `node` (at `slot`) just made, or
    /// holds or drops it when the way is blocked; then draws its next
    /// arrival, unless the event was made `by_hand`.
    #[inline(always)]
    fn producer_send(&mut self, slot: Slot, node: NodeIx, msg: MsgId, by_hand: bool) {
        if self.send_out(node, msg) {
            self.stats[node].departed += 1;
            if !by_hand {
                self.producer_schedule_next_at(slot);
            }
            return;
        }
        match self.producers[slot].on_block {
            OnBlock::Wait => {
                self.journey_hop(msg, node, HopKind::Blocked);
                let p = &mut self.producers[slot];
                p.held = Some(msg);
                if by_hand {
                    // Held up, it makes nothing more: its pending arrival
                    // goes, and its wake draws the next one.
                    p.generation += 1;
                }
                self.stats[node].blocked.set(self.now, 1);
            }
            OnBlock::Drop => {
                self.drop_msg(node, msg, DropReason::ProducerBlocked);
                if !by_hand {
                    self.producer_schedule_next(node);
                }
            }
        }
    }

    /// A new message of `event_type` (at schema `version`) with `key` and
    /// `deadline`, created now at producer `node`.
    #[inline(always)]
    pub(crate) fn producer_make(
        &mut self,
        node: NodeIx,
        event_type: u16,
        key: u32,
        deadline: Deadline,
        version: u8,
    ) -> MsgId {
        let now = self.now;
        let lineage = self.ledger.new_id();
        let msg = self.alloc(
            node,
            Msg {
                lineage,
                created: now,
                node_in: now,
                wait_from: now,
                event_type,
                version,
                key,
                origin: Origin::PUSHED,
                source: node,
                deadline,
                ..Msg::default()
            },
        );
        self.totals.emitted += 1;
        self.journey_created(node, msg);
        msg
    }

    pub(crate) fn producer_wake(&mut self, node: NodeIx) {
        let slot = self.topo[node].slot;
        if self.producers[slot].outbox {
            // Its relay is what waits for room.
            self.outbox_flush(node);
            return;
        }
        let Some(msg) = self.producers[slot].held else {
            return;
        };
        if self.send_out(node, msg) {
            self.producers[slot].held = None;
            let now = self.now;
            let stats = &mut self.stats[node];
            stats.departed += 1;
            stats.blocked.set(now, 0);
            if !self.is_down(node) {
                self.producer_schedule_next(node);
            }
        }
    }
}

impl crate::nodes::KindSpec for ProducerParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Producer;
    const KEY: &'static str = "producer";
    const LABEL: &'static str = "producer";
    const PLURAL: &'static str = "producers";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{Dropped, ThroughputOut};
        &[ThroughputOut, Dropped]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit::NONE;
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit {
        crash: true,
        slow: false,
        burst: true,
    };
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("invhouse", "#d6eaf8");
    const MERMAID: (&'static str, &'static str) = ("([", "])");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut out = vec![crate::export::arrival_text(&self.arrival)];
        if !self.events.is_empty() {
            out.push(self.event_names().join(", "));
        }
        out.extend(self.outbox.as_ref().map(super::outbox::Outbox::mark));
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        self.outbox
            .as_ref()
            .map(super::outbox::Outbox::limit)
            .into_iter()
            .collect()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        Some(self.event_names().into_iter().map(str::to_owned).collect())
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.data_out == 0 {
            w.error("the producer is not connected to anything");
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        use crate::dist::Arrival;
        let retries = self
            .client
            .as_ref()
            .is_some_and(|c| c.retry.max_attempts() > 1);
        let why = match self.arrival {
            _ if self.outbox.is_some() => {
                Some("are published by its outbox relay in batches, not as a Poisson stream")
            }
            _ if retries => Some(
                "include a client's retries, sent when answers are late: the load depends on the system's state",
            ),
            Arrival::Poisson { .. } if self.limit.is_some() => {
                Some("stop after a set number of events, so they never settle into a steady stream")
            }
            Arrival::Poisson { .. } => None,
            Arrival::Constant { .. } => Some("are evenly spaced (a constant rate), not Poisson"),
            Arrival::Bursty { .. } => Some("are bursty (on/off), not Poisson"),
            Arrival::Ramp { .. } => {
                Some("follow a ramp: their rate changes over time, not a steady Poisson stream")
            }
        };
        if let Some(why) = why {
            return crate::theory::Role::Source(Err(why.to_owned()));
        }
        let rate = self.arrival.mean_rate();
        let types = if self.events.is_empty() {
            vec![("event".to_owned(), rate)]
        } else {
            let total: f64 = self.events.iter().map(|e| e.weight).sum();
            self.events
                .iter()
                .map(|e| {
                    let share = if total > 0.0 { e.weight / total } else { 0.0 };
                    (e.name.clone(), rate * share)
                })
                .collect()
        };
        crate::theory::Role::Source(Ok(types))
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        // The requests a client waits on were made under its old settings.
        if self.client != new.client {
            Some("its client settings changed")
        } else if self.outbox.is_some() != new.outbox.is_some() {
            Some("its outbox was added or removed")
        } else {
            None
        }
    }
}

impl crate::nodes::Runtime for ProducerParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        let (seed, id, node) = (cx.seed, cx.id, cx.node);
        let mut rt = ProducerRt::new(self, seed, id, &mut |name| cx.type_id(name));
        rt.node = node;
        cx.outbox(sim, self.outbox.as_ref());
        sim.producers.push(rt);
        sim.producers.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, node: NodeIx, _slot: Slot) {
        sim.producer_retune(node, self);
        if let (Some(ob), Some(params)) = (sim.outboxes[node].as_deref_mut(), &self.outbox) {
            ob.retune(params);
        }
    }

    fn held(sim: &Simulation, node: NodeIx, _slot: Slot) -> u64 {
        sim.stats[node].depth.value() + sim.outbox_held(node)
    }

    fn down(sim: &mut Simulation, node: NodeIx) {
        sim.producer_pause(node);
        sim.outbox_down(node);
    }

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.producer_resume(node);
        sim.outbox_up(node);
    }

    fn slow(sim: &mut Simulation, node: NodeIx, _slot: Slot, factor: f64) {
        sim.producer_scale_rate(node, factor);
    }

    fn reset(_sim: &mut Simulation, _now: SimTime) {}

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        r.real("blocked_fraction", st.blocked.mean(end));
        let Some(client) = &sim.producers[topo.slot].client else {
            return;
        };
        // Requests first sent (admission control or a breaker may refuse
        // some outright).
        let sent = st.arrived.saturating_sub(st.fast_failed + st.rejected);
        r.count("retries", st.retries);
        r.count("timeouts", st.timeouts);
        r.count("answered", st.answered);
        r.real("answered_per_s", r.per_s(st.answered));
        r.count("gave_up", st.gave_up);
        #[expect(clippy::cast_precision_loss, reason = "report values")]
        r.real(
            "retry_amplification",
            if sent > 0 {
                (sent + st.retries) as f64 / sent as f64
            } else {
                0.0
            },
        );
        r.real("mean_open_requests", st.busy.mean(end));
        r.latency("answer_s", &st.sojourn.summary());
        if client.has_budget() {
            r.count("budget_denied", st.budget_denied);
        }
        if client.limits_open() {
            r.count("rejected", st.rejected);
        }
        if client.breaker.is_some() {
            r.count("fast_failed", st.fast_failed);
            r.count("breaker_opens", st.breaker_opens);
            r.real("breaker_open_fraction", st.breaker_open.mean(end));
        }
    }

    fn gauge(
        _sim: &Simulation,
        _slot: Slot,
        st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        (st.blocked.value(), None)
    }
}

impl crate::export::KindExport for ProducerParams {
    /// A producer's sends are `send` operations, one per output.
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

    const TERRAFORM_SEND: &'static str = ", outside these resources";

    /// No AWS mapping: a producer is an application outside these
    /// resources; a comment says what the simulation assumed of it.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let node = &tf.model.graph[n];
        let _ = writeln!(
            out,
            "# Producer '{}' ({}): an application outside these resources; no resource.",
            one_line(&node.id),
            one_line(node.label())
        );
        let _ = writeln!(
            out,
            "# Simulated: {}; {} key(s); when blocked: {:?}{}.",
            one_line(&node.kind.summary().join("; ")),
            self.keys,
            self.on_block,
            self.limit
                .map(|l| format!("; stops after {l} events"))
                .unwrap_or_default()
        );
        tf.sends_to(out, n);
    }

    /// No Kafka topic: a producer writes to a log, it is none.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}
