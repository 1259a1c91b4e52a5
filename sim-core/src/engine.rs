//! The discrete-event engine: an event calendar ordered by `(time,
//! sequence)`, messages in an arena, and the moves every node kind shares
//! (sending along edges, blocking, waking, completing, dropping).
//!
//! Node behaviours live in their kinds' modules (`nodes/*.rs`) as `impl
//! Simulation` blocks; this module routes events and messages to them.

use std::collections::VecDeque;

use crate::calendar::Calendar;
use crate::faults::CompiledFault;
use crate::journey::{ForkKind, HopKind, JourneyEnd, Recorder};
use crate::ledger::Ledger;
use crate::metrics::{DropReason, NodeStats};
use crate::model::Model;
use crate::nodes::autoscale::Autoscaler;
use crate::nodes::cep::CepRt;
use crate::nodes::consumer::{ConsumerRt, PullSource};
use crate::nodes::dead_letter::DeadLetterRt;
use crate::nodes::event_store::StoreRt;
use crate::nodes::log::LogRt;
use crate::nodes::producer::ProducerRt;
use crate::nodes::projection::ProjectionRt;
use crate::nodes::queue::QueueRt;
use crate::nodes::router::RouterRt;
use crate::nodes::service::ServiceRt;
use crate::nodes::sink::SinkRt;
use crate::nodes::topic::TopicRt;
use crate::nodes::{EdgeRole, Kind, NodeKind, Runtime, with_kind};
use crate::report::{Conservation, RunResult};
use crate::series::Series;
use crate::time::{Duration, SimTime};

/// Index of a message in the arena.
pub(crate) type MsgId = u32;
/// Index of a node in the compiled simulation (model order).
pub(crate) type NodeIx = u32;
/// Index of an edge in the compiled simulation (model order).
pub(crate) type EdgeIx = u32;

/// No node: a message that did not come from a queue.
pub(crate) const NO_NODE: u32 = u32::MAX;
/// A message whose queue receipt expired while a consumer held it.
pub(crate) const DETACHED: u32 = u32::MAX - 1;

/// `i` modulo `n` for `i < 2n`, without a division (round-robin indices).
#[inline]
pub(crate) fn wrap(i: usize, n: usize) -> usize {
    if i >= n { i - n } else { i }
}

/// A message in flight.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Msg {
    /// When its producer created it (end-to-end latency starts here).
    pub created: u64,
    /// When it arrived at the node that holds it (sojourn starts here).
    pub node_in: u64,
    /// When its current wait began (in a queue, an inbox, a backlog).
    pub wait_from: u64,
    pub event_type: u16,
    /// The partitioning key, drawn from the producer's key space.
    /// The partitioning key, drawn from the producer's key space (CEP
    /// windows are per key).
    pub key: u32,
    /// The log partition a group's copy was read from.
    pub partition: u32,
    /// Processing attempts at the current consumer.
    pub attempts: u32,
    /// Receives from the current queue.
    pub receives: u32,
    /// Bumped on allocation and on every receive, so stale timers and
    /// receipts never match a reused slot.
    pub ticket: u32,
    /// The queue whose receipt covers this message, [`NO_NODE`], or
    /// [`DETACHED`].
    pub origin: u32,
    /// The consumer it is in service at (being fetched or processed), or
    /// [`NO_NODE`]: a crash finds what the consumer loses by this.
    pub held_by: NodeIx,
    /// The consumer waiting for a service's answer about it.
    pub caller: u32,
    /// Its identity: shared by redelivered instances, new for fan-out copies.
    pub lineage: u64,
    /// When an event store appended it (a projection's staleness starts here).
    pub stamp: u64,
    /// Sent by an event store's replay, not by the live flow.
    pub replayed: bool,
}

/// Messages live here; freed slots are reused.
#[derive(Debug, Default)]
pub(crate) struct Arena {
    slots: Vec<Msg>,
    free: Vec<MsgId>,
    pub live: u64,
}

impl Arena {
    #[inline(always)]
    fn alloc(&mut self, msg: Msg) -> MsgId {
        self.live += 1;
        // (Whatever it is made from, a new message is in service nowhere.)
        if let Some(id) = self.free.pop() {
            let slot = &mut self.slots[id as usize];
            let ticket = slot.ticket.wrapping_add(1);
            *slot = Msg {
                ticket,
                held_by: NO_NODE,
                ..msg
            };
            id
        } else {
            // Ids stay below the sentinels that name no node in `origin`
            // and `held_by`; `max_in_flight` stops a run long before.
            let id = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
            debug_assert!(id < DETACHED, "message ids overflowed at {id}");
            self.slots.push(Msg {
                held_by: NO_NODE,
                ..msg
            });
            id
        }
    }

    /// Frees the message's slot; returns its lineage.
    #[inline]
    fn free(&mut self, id: MsgId) -> u64 {
        self.live -= 1;
        // Timers that still name this slot must not match it.
        let slot = &mut self.slots[id as usize];
        slot.ticket = slot.ticket.wrapping_add(1);
        slot.held_by = NO_NODE;
        let lineage = slot.lineage;
        self.free.push(id);
        lineage
    }

    /// The messages in service at consumer `node`, in slot order.
    pub(crate) fn in_service_at(&self, node: NodeIx) -> Vec<MsgId> {
        (0..)
            .zip(&self.slots)
            .filter(|(_, m)| m.held_by == node)
            .map(|(id, _)| id)
            .collect()
    }

    #[inline]
    pub fn get(&self, id: MsgId) -> &Msg {
        &self.slots[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: MsgId) -> &mut Msg {
        &mut self.slots[id as usize]
    }
}

/// What happens at an instant.
// NOTE: every field is four bytes wide, so an event's payload is three
// aligned words: a two-byte field once made the compiler copy events as
// overlapping words, which stalled store forwarding on every event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A producer's next event is due (unless its generation moved on);
    /// the producer is named by its slot.
    Arrival { producer: u32, generation: u32 },
    /// A message pulled over a link with latency reaches its consumer
    /// (unless the consumer crashed meanwhile: the ticket tells).
    Fetched {
        node: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A consumer finished processing a message (ticket as above).
    ServiceDone {
        /// The consumer's slot.
        consumer: u32,
        msg: MsgId,
        ticket: u32,
    },
    /// A consumer's processing timeout ran out before the work was done.
    ServiceTimeout {
        node: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A sink finished with a message.
    SinkDone { node: NodeIx, msg: MsgId },
    /// The message at the head of an edge's transit line arrives.
    EdgeArrive(EdgeIx),
    /// A message waiting out a retry delay in a queue becomes visible.
    QueueVisible { node: NodeIx, msg: MsgId },
    /// A queue checks its line of receipts for expired visibility timeouts.
    VisibilityCheck(NodeIx),
    /// The visibility timeout of a queue's receipt ends (unless the
    /// ticket or the message's origin show that the receipt is gone).
    ReceiptExpiry {
        node: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A pushed message's retry delay at a consumer is over.
    InboxRetry { node: NodeIx, msg: MsgId },
    /// A fault of the scenario timeline starts.
    FaultStart(u32),
    /// A fault of the scenario timeline ends.
    FaultEnd(u32),
    /// A service finished a call (its caller is named in the message).
    CallDone {
        service: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A serverless consumer's idle instances may have outlived their keep-alive.
    KeepAlive(NodeIx),
    /// A consumer's autoscaler looks at the load.
    Autoscale(NodeIx),
    /// A new consumer instance has started (unless cancelled meanwhile).
    InstanceReady { node: NodeIx, token: u32 },
    /// A log's oldest records may have outlived the retention.
    LogExpire(NodeIx),
    /// A log's consumer group may fetch again (a retry is due, or a
    /// rebalance is over).
    LogWake { node: NodeIx, group: u32 },
    /// A CEP rule's timer for a key (unless the window moved on: the
    /// token names the rule's live timer).
    CepTimer { node: NodeIx, key: u32, token: u32 },
    /// An event store's append attempt is over.
    StoreAppended { node: NodeIx, msg: MsgId },
    /// An event store's rate limit allows the next append.
    StoreNext(NodeIx),
    /// A conflicted append is tried again.
    StoreRetry { node: NodeIx, msg: MsgId },
    /// An event store's replay sends its next event.
    StoreReplay(NodeIx),
    /// A projection applied an event.
    ProjectionApplied { node: NodeIx, msg: MsgId },
    /// The warm-up ends: statistics restart.
    WarmupEnd,
}

/// The fixed shape of a compiled model.
#[derive(Debug)]
pub(crate) struct NodeTopo {
    pub id: String,
    pub kind: Kind,
    /// Index into the kind's state vector.
    pub slot: u32,
    /// Data edges out (push or pull), in model order.
    pub out: Vec<EdgeIx>,
    /// The one data edge out, when there is exactly one (the commonest
    /// shape, sent along without a look at `out`).
    pub sole_out: Option<EdgeIx>,
    /// The dead-letter edge, if any.
    pub dlq: Option<EdgeIx>,
    /// The service a consumer calls, if any.
    pub call: Option<EdgeIx>,
}

#[derive(Debug)]
pub(crate) struct EdgeTopo {
    pub from: NodeIx,
    pub to: NodeIx,
    pub latency: u64,
    /// Event types a topic subscription or router route accepts (`None`: all).
    pub filter: Option<Vec<u16>>,
    /// A router's weight for this route.
    pub weight: f64,
    /// The receiver's kind and index into its kind's state (kept here so
    /// a send need not look the receiver up).
    pub to_kind: Kind,
    pub to_slot: u32,
}

impl EdgeTopo {
    /// Whether the edge's filter lets `msg` through.
    #[inline(always)]
    fn passes(&self, msgs: &Arena, msg: MsgId) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|types| types.contains(&msgs.get(msg).event_type))
    }
}

/// Why a run stopped before its end.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RunError {
    #[error("the model has errors and cannot run:\n{0}")]
    Invalid(String),
    #[error(
        "runaway: {limit} messages were in flight at {at}, the scenario's max_in_flight; \
         the most were held at '{node}' ({held}). Something accepts work faster than it can \
         finish it (an unbounded queue under overload, an endless retry loop): add capacity, \
         bound the queue, or raise max_in_flight in the scenario"
    )]
    InFlightLimit {
        limit: u64,
        at: SimTime,
        node: String,
        held: u64,
    },
}

/// A compiled, runnable model.
#[derive(Debug)]
pub struct Simulation {
    pub(crate) now: u64,
    end: u64,
    warmup: u64,
    seed: u64,
    model_name: String,
    calendar: Calendar<Ev>,
    pub(crate) msgs: Arena,
    pub(crate) topo: Vec<NodeTopo>,
    pub(crate) edges: Vec<EdgeTopo>,
    pub(crate) transit: Vec<VecDeque<(u64, MsgId)>>,
    pub(crate) stats: Vec<NodeStats>,
    pub(crate) waiters: Vec<Vec<NodeIx>>,
    pub(crate) producers: Vec<ProducerRt>,
    pub(crate) queues: Vec<QueueRt>,
    pub(crate) topics: Vec<TopicRt>,
    pub(crate) consumers: Vec<ConsumerRt>,
    pub(crate) routers: Vec<RouterRt>,
    pub(crate) services: Vec<ServiceRt>,
    pub(crate) sinks: Vec<SinkRt>,
    pub(crate) dead_letters: Vec<DeadLetterRt>,
    pub(crate) logs: Vec<LogRt>,
    pub(crate) ceps: Vec<CepRt>,
    pub(crate) stores: Vec<StoreRt>,
    pub(crate) projections: Vec<ProjectionRt>,
    pub(crate) totals: Conservation,
    events: u64,
    max_in_flight: u64,
    error: Option<RunError>,
    pub(crate) event_types: Vec<String>,
    pub(crate) faults: Vec<CompiledFault>,
    pub(crate) ledger: Ledger,
    /// How many faults hold each node down right now.
    pub(crate) down: Vec<u32>,
    /// How many nodes are down right now.
    pub(crate) nodes_down: u32,
    /// Sampled message journeys, when recording is on.
    pub(crate) journeys: Option<Box<Recorder>>,
    /// Messages each edge has carried since the start (warm-up included).
    pub(crate) carried: Vec<u64>,
    /// Each edge's last few crossings, for the live view's moving dots
    /// (kept only while `watching`).
    pub(crate) recent: Vec<[Crossing; RECENT]>,
    /// Whether someone watches the run: crossings are remembered.
    watching: bool,
    /// Time series, sampled at fixed intervals of simulated time.
    pub(crate) series: Series,
    /// Each node's parameters as compiled or last changed live.
    pub(crate) params: Vec<NodeKind>,
    /// When the next series point is due (a copy of `series.next_due()`
    /// for the hot loop).
    next_sample: u64,
}

/// Crossings remembered per edge.
pub(crate) const RECENT: usize = 4;

/// A message crossing an edge, remembered for the live view.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Crossing {
    /// The edge's carried count after this crossing (0: no crossing yet).
    pub seq: u64,
    pub at: u64,
    pub lineage: u64,
    pub event_type: u16,
    /// Processing attempts or receives so far: above 1 means retried.
    pub attempts: u32,
}

impl Simulation {
    /// Compiles `model` for a run seeded `seed`. Fails if validation finds
    /// errors.
    pub fn new(model: &Model, seed: u64) -> Result<Self, RunError> {
        let errors: Vec<String> = crate::validate::validate(model)
            .into_iter()
            .filter(crate::validate::Diagnostic::is_error)
            .map(|d| format!("  {d}"))
            .collect();
        if !errors.is_empty() {
            return Err(RunError::Invalid(errors.join("\n")));
        }
        Ok(Self::compile(model, seed))
    }

    fn compile(model: &Model, seed: u64) -> Self {
        let scenario = &model.scenario;
        let graph = &model.graph;
        let node_ixs: Vec<_> = graph.node_indices().collect();
        let position = |ix| node_ixs.iter().position(|&n| n == ix).unwrap_or(0);

        // Event types: every name any producer emits or any filter names,
        // in first-seen order.
        let mut event_types: Vec<String> = Vec::new();
        let type_id = |name: &str, types: &mut Vec<String>| -> u16 {
            if let Some(i) = types.iter().position(|t| t == name) {
                return u16::try_from(i).unwrap_or(u16::MAX);
            }
            types.push(name.to_owned());
            u16::try_from(types.len() - 1).unwrap_or(u16::MAX)
        };

        let mut topo = Vec::with_capacity(node_ixs.len());
        let mut sim_edges = Vec::new();
        let edge_ixs: Vec<_> = graph.edge_indices().collect();
        for &e in &edge_ixs {
            let Some((a, b)) = graph.edge_endpoints(e) else {
                continue;
            };
            let edge = &graph[e];
            let filter = edge.filter.as_ref().map(|names| {
                names
                    .iter()
                    .map(|n| type_id(n, &mut event_types))
                    .collect::<Vec<u16>>()
            });
            sim_edges.push(EdgeTopo {
                from: position(a) as u32,
                to: position(b) as u32,
                latency: edge.latency.map_or(0, |d| d.0),
                filter,
                weight: edge.weight.unwrap_or(1.0),
                // Set below, once the nodes are compiled.
                to_kind: Kind::Sink,
                to_slot: 0,
            });
        }

        let mut producers = Vec::new();
        let mut queues = Vec::new();
        let mut topics = Vec::new();
        let mut consumers = Vec::new();
        let mut routers = Vec::new();
        let mut services = Vec::new();
        let mut sinks = Vec::new();
        let mut dead_letters = Vec::new();
        let mut logs = Vec::new();
        let mut ceps = Vec::new();
        let mut stores = Vec::new();
        let mut projections = Vec::new();
        let mut replays = Vec::new();
        for (i, &n) in node_ixs.iter().enumerate() {
            let node = &graph[n];
            let kind = node.kind.kind();
            let mut out = Vec::new();
            let mut dlq = None;
            let mut call = None;
            for (k, edge) in sim_edges.iter().enumerate() {
                if edge.from as usize == i {
                    let to_kind = graph[node_ixs[edge.to as usize]].kind.kind();
                    match kind.connect(to_kind) {
                        Ok(EdgeRole::DeadLetter) => dlq = Some(k as u32),
                        Ok(EdgeRole::Call) => call = Some(k as u32),
                        Ok(_) => out.push(k as u32),
                        Err(_) => {}
                    }
                }
            }
            let slot = match &node.kind {
                NodeKind::Producer(p) => {
                    let mut rt = ProducerRt::new(p, seed, &node.id, &mut |name| {
                        type_id(name, &mut event_types)
                    });
                    rt.node = i as NodeIx;
                    producers.push(rt);
                    producers.len() - 1
                }
                NodeKind::Queue(q) => {
                    queues.push(QueueRt::new(q));
                    queues.len() - 1
                }
                NodeKind::Topic(_) => {
                    topics.push(TopicRt::default());
                    topics.len() - 1
                }
                NodeKind::Consumer(c) => {
                    let mut rt = ConsumerRt::new(c, seed, &node.id);
                    rt.poison = c
                        .poison
                        .iter()
                        .map(|name| type_id(name, &mut event_types))
                        .collect();
                    rt.calls = call.is_some();
                    rt.node = i as NodeIx;
                    consumers.push(rt);
                    consumers.len() - 1
                }
                NodeKind::Router(r) => {
                    routers.push(RouterRt::new(r, seed, &node.id));
                    routers.len() - 1
                }
                NodeKind::Service(s) => {
                    services.push(ServiceRt::new(s, seed, &node.id));
                    services.len() - 1
                }
                NodeKind::Sink(s) => {
                    sinks.push(SinkRt::new(s, seed, &node.id));
                    sinks.len() - 1
                }
                NodeKind::DeadLetter(d) => {
                    dead_letters.push(DeadLetterRt::new(d));
                    dead_letters.len() - 1
                }
                NodeKind::Log(l) => {
                    logs.push(LogRt::new(l));
                    logs.len() - 1
                }
                NodeKind::Cep(p) => {
                    ceps.push(CepRt::new(p, &mut |name| type_id(name, &mut event_types)));
                    ceps.len() - 1
                }
                NodeKind::EventStore(p) => {
                    if let Some(replay) = &p.replay {
                        replays.push((i as NodeIx, replay.at.0));
                    }
                    stores.push(StoreRt::new(p, seed, &node.id));
                    stores.len() - 1
                }
                NodeKind::Projection(p) => {
                    projections.push(ProjectionRt::new(p, seed, &node.id));
                    projections.len() - 1
                }
            };
            topo.push(NodeTopo {
                id: node.id.clone(),
                kind,
                slot: slot as u32,
                sole_out: (out.len() == 1).then(|| out[0]),
                out,
                dlq,
                call,
            });
        }
        for edge in &mut sim_edges {
            let to = &topo[edge.to as usize];
            (edge.to_kind, edge.to_slot) = (to.kind, to.slot);
        }
        // Wire pull edges: a consumer knows the queues it reads, a queue
        // the consumers that read it.
        for (k, edge) in sim_edges.iter().enumerate() {
            let (from, to) = (&topo[edge.from as usize], &topo[edge.to as usize]);
            if from.kind == Kind::Queue && to.kind == Kind::Consumer {
                let (q, c) = (from.slot as usize, to.slot as usize);
                queues[q].consumers.push(edge.to);
                consumers[c].queues.push(PullSource {
                    node: edge.from,
                    slot: from.slot,
                    latency: edge.latency,
                    edge: k as EdgeIx,
                });
            }
            if from.kind == Kind::Log && to.kind == Kind::Consumer {
                // Each consumer reading a log is a consumer group; each of
                // its slots is a member.
                let (l, c) = (from.slot as usize, to.slot as usize);
                logs[l].add_group(edge.to, consumers[c].slots_total());
                consumers[c].logs.push(PullSource {
                    node: edge.from,
                    slot: from.slot,
                    latency: edge.latency,
                    edge: k as EdgeIx,
                });
            }
        }
        for queue in &mut queues {
            if let [reader] = queue.consumers[..] {
                queue.sole_reader = Some((reader, topo[reader as usize].slot));
            }
        }
        for consumer in &mut consumers {
            if let [source] = consumer.queues[..] {
                consumer.sole_queue = Some(source);
            }
        }
        let series = Series::new(
            &topo,
            &sim_edges,
            scenario.duration.0,
            crate::series::DEFAULT_CAPACITY,
        );

        let n_nodes = topo.len();
        let mut sim = Self {
            now: 0,
            end: scenario.duration.0,
            warmup: scenario.warmup.0,
            seed,
            model_name: model.name.clone(),
            calendar: Calendar::default(),
            msgs: Arena::default(),
            transit: sim_edges.iter().map(|_| VecDeque::new()).collect(),
            carried: vec![0; sim_edges.len()],
            recent: vec![[Crossing::default(); RECENT]; sim_edges.len()],
            watching: false,
            next_sample: series.next_due(),
            params: node_ixs.iter().map(|&n| graph[n].kind.clone()).collect(),
            series,
            edges: sim_edges,
            topo,
            stats: vec![NodeStats::default(); n_nodes],
            waiters: vec![Vec::new(); n_nodes],
            producers,
            queues,
            topics,
            consumers,
            routers,
            services,
            sinks,
            dead_letters,
            logs,
            ceps,
            stores,
            projections,
            totals: Conservation::default(),
            events: 0,
            max_in_flight: scenario.max_in_flight,
            error: None,
            event_types,
            faults: scenario
                .faults
                .iter()
                .filter_map(|f| {
                    let node = node_ixs.iter().position(|&n| graph[n].id == f.node)?;
                    Some(CompiledFault {
                        node: u32::try_from(node).ok()?,
                        effect: f.effect,
                        start: f.at.0,
                        end: f.at.0.saturating_add(f.duration.0),
                    })
                })
                .collect(),
            down: vec![0; n_nodes],
            nodes_down: 0,
            ledger: Ledger::default(),
            journeys: None,
        };
        sim.schedule_faults();
        for (node, at) in replays {
            sim.schedule(at, Ev::StoreReplay(node));
        }
        for i in 0..n_nodes {
            if sim.topo[i].kind != Kind::Consumer {
                continue;
            }
            let node = i as NodeIx;
            let c = sim.topo[i].slot as usize;
            let (instances, slots) = (sim.consumers[c].instances(), sim.consumers[c].slots_total());
            sim.stats[i].capacity.set(0, slots);
            sim.stats[i].instances.set(0, instances);
            if let Some(interval) = sim.consumers[c]
                .autoscaler
                .as_ref()
                .map(Autoscaler::interval)
            {
                sim.schedule(interval, Ev::Autoscale(node));
            }
        }
        if sim.warmup > 0 {
            sim.calendar.push(sim.warmup, Ev::WarmupEnd);
        }
        for i in 0..n_nodes {
            if sim.topo[i].kind == Kind::Producer {
                sim.producer_start(i as NodeIx);
            }
        }
        sim
    }

    /// The simulation clock.
    pub fn now(&self) -> SimTime {
        SimTime(self.now)
    }

    /// When the run ends.
    pub fn end(&self) -> SimTime {
        SimTime(self.end)
    }

    /// Whether the clock has reached the end of the scenario.
    pub fn is_finished(&self) -> bool {
        self.now >= self.end
    }

    /// Engine events processed so far.
    pub fn events(&self) -> u64 {
        self.events
    }

    /// The event types of the run, in the order of their numeric ids.
    pub fn event_types(&self) -> &[String] {
        &self.event_types
    }

    /// Events scheduled and not yet run.
    pub fn pending_events(&self) -> usize {
        self.calendar.len()
    }

    /// Messages alive right now.
    pub fn in_flight(&self) -> u64 {
        self.msgs.live
    }

    /// Runs every event up to and including `until` (capped at the end of
    /// the scenario), then sets the clock there.
    pub fn run_until(&mut self, until: SimTime) -> Result<(), RunError> {
        let until = until.0.min(self.end);
        while let Some((time, ev)) = self.calendar.peek() {
            if time > until {
                break;
            }
            if time > self.next_sample {
                // NOTE: a point at T sees every event up to T and none
                // after, however the run is cut into steps.
                self.sample_series();
                continue;
            }
            // The event stays in the calendar while it is handled: the
            // first event the handler schedules takes its place.
            self.calendar.mark_taken();
            self.now = time;
            self.events += 1;
            self.handle(ev);
            self.calendar.settle();
            debug_assert!(
                self.conserved(),
                "conservation broken after {ev:?} at {time}: {:?} with {} in flight",
                self.totals,
                self.msgs.live
            );
            // (Checked before taking: `take` writes back on every event.)
            if self.error.is_some()
                && let Some(err) = self.error.take()
            {
                return Err(err);
            }
        }
        while self.next_sample <= until {
            self.sample_series();
        }
        self.now = self.now.max(until);
        Ok(())
    }

    /// Records the series point due at `next_sample`.
    fn sample_series(&mut self) {
        let at = self.next_sample;
        let (topo, consumers, logs) = (&self.topo, &self.consumers, &self.logs);
        let breaker = |i: usize| {
            let t = &topo[i];
            if t.kind == Kind::Consumer {
                consumers[t.slot as usize].breaker.as_ref().map(|b| b.state)
            } else {
                None
            }
        };
        let lag = |i: usize| {
            let t = &topo[i];
            if t.kind == Kind::Log {
                logs[t.slot as usize].max_lag()
            } else {
                0
            }
        };
        self.series
            .record(at, &mut self.stats, &self.carried, &breaker, &lag);
        self.next_sample = self.series.next_due();
    }

    /// Remembers each edge's last few crossings from now on, so snapshots
    /// show messages that just crossed (the live view's moving dots).
    /// Headless runs leave it off: it costs time on every send.
    pub fn watch_crossings(&mut self) {
        self.watching = true;
    }

    /// Whether crossings are remembered (see [`Self::watch_crossings`]).
    pub fn watching(&self) -> bool {
        self.watching
    }

    /// The time series recorded so far.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// Re-creates the (still empty) series with at most `capacity` points
    /// per line. Call before running.
    pub fn set_series_capacity(&mut self, capacity: usize) {
        self.series = Series::new(&self.topo, &self.edges, self.end, capacity);
        self.next_sample = self.series.next_due();
    }

    /// Runs for `span` of simulated time from now.
    pub fn step(&mut self, span: Duration) -> Result<(), RunError> {
        self.run_until(SimTime(self.now).after(span))
    }

    /// Runs to the end of the scenario and returns the run's result.
    pub fn run(mut self) -> Result<RunResult, RunError> {
        self.run_until(SimTime(self.end))?;
        Ok(self.result())
    }

    /// The results measured so far (after warm-up, up to now).
    pub fn result(&self) -> RunResult {
        crate::report::collect(self)
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }
    pub(crate) fn model_name(&self) -> &str {
        &self.model_name
    }
    pub(crate) fn warmup(&self) -> u64 {
        self.warmup.min(self.end)
    }

    #[inline(always)]
    fn handle(&mut self, ev: Ev) {
        match ev {
            Ev::Arrival {
                producer,
                generation,
            } => self.producer_arrival(producer as usize, generation),
            Ev::Fetched { node, msg, ticket } => {
                if self.msgs.get(msg).ticket == ticket {
                    self.consumer_fetched(node, msg);
                }
            }
            Ev::ServiceDone {
                consumer,
                msg,
                ticket,
            } => {
                if self.msgs.get(msg).ticket == ticket {
                    let c = consumer as usize;
                    self.consumer_done_at(self.consumers[c].node, c, msg, false);
                }
            }
            Ev::ServiceTimeout { node, msg, ticket } => {
                if self.msgs.get(msg).ticket == ticket {
                    self.consumer_done(node, msg, true);
                }
            }
            Ev::SinkDone { node, msg } => self.sink_done(node, msg),
            Ev::EdgeArrive(edge) => self.edge_arrive(edge),
            Ev::QueueVisible { node, msg } => self.queue_visible(node, msg),
            Ev::VisibilityCheck(node) => self.queue_visibility_check(node),
            Ev::ReceiptExpiry { node, msg, ticket } => {
                self.queue_receipt_expired(node, msg, ticket);
            }
            Ev::InboxRetry { node, msg } => self.consumer_inbox_retry(node, msg),
            Ev::FaultStart(i) => self.fault_start(i),
            Ev::FaultEnd(i) => self.fault_end(i),
            Ev::Autoscale(node) => self.autoscale(node),
            Ev::KeepAlive(node) => self.consumer_keep_alive(node),
            Ev::InstanceReady { node, token } => self.instance_ready(node, token),
            Ev::CallDone {
                service,
                msg,
                ticket,
            } => self.service_done(service, msg, ticket),
            Ev::LogExpire(node) => self.log_expire(node),
            Ev::LogWake { node, group } => self.log_wake(node, group),
            Ev::CepTimer { node, key, token } => self.cep_timer(node, key, token),
            Ev::StoreAppended { node, msg } => self.store_appended(node, msg),
            Ev::StoreNext(node) => self.store_next(node),
            Ev::StoreRetry { node, msg } => self.store_retry(node, msg),
            Ev::StoreReplay(node) => self.store_replay(node),
            Ev::ProjectionApplied { node, msg } => self.projection_applied(node, msg),
            Ev::WarmupEnd => {
                let now = self.now;
                self.series.before_reset(&self.stats);
                for stats in &mut self.stats {
                    stats.reset(now);
                }
                for kind in Kind::ALL {
                    with_kind!(kind, P => P::reset(self, now));
                }
            }
        }
    }

    // ---- services for the node kinds ----

    #[inline(always)]
    pub(crate) fn schedule(&mut self, at: u64, ev: Ev) {
        debug_assert!(
            at >= self.now,
            "{ev:?} scheduled at {at}, in the past (now {})",
            self.now
        );
        self.calendar.push(at, ev);
    }

    /// Whether every message is accounted for: the totals add up with the
    /// messages alive now in flight.
    fn conserved(&self) -> bool {
        Conservation {
            in_flight: self.msgs.live,
            ..self.totals
        }
        .balanced()
    }

    /// A new message in the system (from a producer or a copy).
    #[inline(always)]
    pub(crate) fn alloc(&mut self, at: NodeIx, msg: Msg) -> MsgId {
        self.totals.produced += 1;
        if self.msgs.live >= self.max_in_flight && self.error.is_none() {
            let (node, held) = self.busiest_node();
            self.error = Some(RunError::InFlightLimit {
                limit: self.max_in_flight,
                at: SimTime(self.now),
                node: if node.is_empty() {
                    self.topo[at as usize].id.clone()
                } else {
                    node
                },
                held,
            });
        }
        self.msgs.alloc(msg)
    }

    /// A copy of `msg` as a new message with an identity of its own (a
    /// fan-out copy).
    pub(crate) fn copy(&mut self, at: NodeIx, msg: MsgId) -> MsgId {
        let original = *self.msgs.get(msg);
        let lineage = self.ledger.new_id();
        let copy = self.alloc(
            at,
            Msg {
                origin: NO_NODE,
                lineage,
                ..original
            },
        );
        self.journey_fork(at, msg, copy, ForkKind::FanOut);
        copy
    }

    /// A second instance of `msg` with the same identity (a redelivery).
    pub(crate) fn duplicate(&mut self, at: NodeIx, msg: MsgId) -> MsgId {
        let original = *self.msgs.get(msg);
        self.ledger.redelivered(original.lineage);
        let again = self.alloc(
            at,
            Msg {
                origin: NO_NODE,
                ..original
            },
        );
        self.journey_fork(at, msg, again, ForkKind::Redelivery);
        again
    }

    fn busiest_node(&self) -> (String, u64) {
        let mut best = (String::new(), 0);
        for (i, node) in self.topo.iter().enumerate() {
            let held = with_kind!(node.kind, P => P::held(self, i as NodeIx, node.slot as usize));
            if held > best.1 {
                best = (node.id.clone(), held);
            }
        }
        best
    }

    /// The message's journey ends well at `node`.
    #[inline(always)]
    pub(crate) fn complete(&mut self, node: NodeIx, msg: MsgId) {
        self.complete_passing(node, msg, 0);
    }

    /// [`Self::complete`], counting the message `passing` times as
    /// arriving at and leaving `node` as well (a message that ends where
    /// it arrives).
    #[inline(always)]
    pub(crate) fn complete_passing(&mut self, node: NodeIx, msg: MsgId, passing: u64) {
        let Msg {
            created, lineage, ..
        } = *self.msgs.get(msg);
        let duplicate = self.ledger.completed(lineage);
        let stats = &mut self.stats[node as usize];
        stats.arrived += passing;
        stats.departed += passing;
        stats.completed += 1;
        stats.duplicates += u64::from(duplicate);
        stats.end_to_end.record(self.now - created);
        self.totals.completed += 1;
        let at = SimTime(self.now);
        self.journey_end(msg, JourneyEnd::Completed { node, at });
        self.release(msg);
    }

    pub(crate) fn drop_msg(&mut self, node: NodeIx, msg: MsgId, reason: DropReason) {
        self.stats[node as usize].drops[reason as usize] += 1;
        self.totals.dropped += 1;
        let at = SimTime(self.now);
        self.journey_end(msg, JourneyEnd::Dropped { node, at, reason });
        self.release(msg);
    }

    /// The message is now stored in the dead-letter queue `node` and leaves
    /// the flow.
    pub(crate) fn dead_letter_stored(&mut self, node: NodeIx, msg: MsgId) {
        self.totals.dead_lettered += 1;
        let at = SimTime(self.now);
        self.journey_end(msg, JourneyEnd::DeadLettered { node, at });
        self.release(msg);
    }

    /// A log's record outlived its retention and leaves the log.
    pub(crate) fn expire_msg(&mut self, node: NodeIx, msg: MsgId) {
        self.totals.expired += 1;
        let at = SimTime(self.now);
        self.journey_end(msg, JourneyEnd::Expired { node, at });
        self.release(msg);
    }

    #[inline(always)]
    fn release(&mut self, msg: MsgId) {
        let lineage = self.msgs.free(msg);
        self.ledger.released(lineage);
    }

    /// Whether `node` would take `msg` now. When it would not, the node that
    /// is full has been told that `node`'s sender... is waiting — see
    /// [`Self::send_out`].
    #[inline(always)]
    pub(crate) fn accepts(&mut self, node: NodeIx, msg: MsgId) -> bool {
        let topo = &self.topo[node as usize];
        self.accepts_at(node, topo.kind, topo.slot as usize, msg)
    }

    /// [`Self::accepts`] for a node whose kind and slot are known.
    #[inline(always)]
    fn accepts_at(&mut self, node: NodeIx, kind: Kind, slot: usize, msg: MsgId) -> bool {
        match kind {
            Kind::Queue => !self.is_down(node) && self.queues[slot].has_room(),
            Kind::Topic => self.topic_accepts(node, msg),
            Kind::Router => self.router_accepts(node),
            Kind::Log => !self.is_down(node),
            Kind::Cep => self.cep_accepts(node),
            Kind::EventStore => self.store_accepts(node),
            _ => true,
        }
    }

    #[inline(always)]
    pub(crate) fn edge_matches(&self, edge: EdgeIx, msg: MsgId) -> bool {
        self.edges[edge as usize].passes(&self.msgs, msg)
    }

    pub(crate) fn add_waiter(&mut self, node: NodeIx, waiter: NodeIx) {
        let list = &mut self.waiters[node as usize];
        if !list.contains(&waiter) {
            list.push(waiter);
        }
    }

    /// Sends `msg` from `from` along its data edges: the first matching
    /// edge carries the message itself, every further one a copy. Returns
    /// `false`, without sending anything, when a receiver is full and
    /// blocks; `from` is then woken when room appears. A node with no
    /// matching edge: a topic drops the message, others complete it.
    #[inline(always)]
    pub(crate) fn send_out(&mut self, from: NodeIx, msg: MsgId) -> bool {
        if let Some(e) = self.topo[from as usize].sole_out {
            // The common case: one edge, no copies.
            let edge = &self.edges[e as usize];
            if !edge.passes(&self.msgs, msg) {
                let reason = self.unrouted_reason(from);
                self.drop_msg(from, msg, reason);
                return true;
            }
            let (to, kind, slot, latency) =
                (edge.to, edge.to_kind, edge.to_slot as usize, edge.latency);
            if !self.accepts_at(to, kind, slot, msg) {
                self.add_waiter(to, from);
                return false;
            }
            self.transmit_to(e, to, kind, slot, latency, msg);
            return true;
        }
        let n_out = self.topo[from as usize].out.len();
        let mut any = false;
        for k in 0..n_out {
            let e = self.topo[from as usize].out[k];
            if !self.edge_matches(e, msg) {
                continue;
            }
            any = true;
            let to = self.edges[e as usize].to;
            if !self.accepts(to, msg) {
                self.add_waiter(to, from);
                return false;
            }
        }
        if !any {
            match self.topo[from as usize].kind {
                Kind::Topic | Kind::Router => {
                    let reason = self.unrouted_reason(from);
                    self.drop_msg(from, msg, reason);
                }
                _ => self.complete(from, msg),
            }
            return true;
        }
        // Copies first, so the original's fields are intact when copied.
        let mut first = None;
        for k in 0..n_out {
            let e = self.topo[from as usize].out[k];
            if !self.edge_matches(e, msg) {
                continue;
            }
            if first.is_none() {
                first = Some(e);
            } else {
                let copy = self.copy(from, msg);
                self.totals.fanout_copies += 1;
                self.transmit(e, copy);
            }
        }
        if let Some(e) = first {
            self.transmit(e, msg);
        }
        true
    }

    /// Why a message no outgoing edge accepts is dropped at `node`.
    fn unrouted_reason(&self, node: NodeIx) -> DropReason {
        if self.topo[node as usize].kind == Kind::Router {
            DropReason::NoRoute
        } else {
            DropReason::NoSubscriber
        }
    }

    /// Puts `msg` on edge `e`: it arrives now, or after the edge's latency.
    #[inline(always)]
    pub(crate) fn transmit(&mut self, e: EdgeIx, msg: MsgId) {
        let edge = &self.edges[e as usize];
        let (to, kind, slot, latency) =
            (edge.to, edge.to_kind, edge.to_slot as usize, edge.latency);
        self.transmit_to(e, to, kind, slot, latency, msg);
    }

    /// [`Self::transmit`] along an edge whose receiver (`to`, of `kind`
    /// at `slot`) and latency are known.
    #[inline(always)]
    fn transmit_to(
        &mut self,
        e: EdgeIx,
        to: NodeIx,
        kind: Kind,
        slot: usize,
        latency: u64,
        msg: MsgId,
    ) {
        self.note_crossing(e, msg);
        if latency == 0 {
            self.arrive_at(to, kind, slot, msg);
            return;
        }
        let from = self.edges[e as usize].from;
        self.journey_hop(msg, from, HopKind::Transit { to });
        if kind == Kind::Queue {
            // Room is reserved now, so a blocking queue never overfills.
            self.queues[slot].reserved += 1;
        }
        let due = self.now + latency;
        let line = &mut self.transit[e as usize];
        line.push_back((due, msg));
        if line.len() == 1 {
            self.schedule(due, Ev::EdgeArrive(e));
        }
    }

    /// Counts `msg` crossing edge `e` and remembers it for the live view.
    #[inline(always)]
    pub(crate) fn note_crossing(&mut self, e: EdgeIx, msg: MsgId) {
        let carried = &mut self.carried[e as usize];
        *carried += 1;
        let seq = *carried;
        if self.watching {
            let m = self.msgs.get(msg);
            self.recent[e as usize][(seq % RECENT as u64) as usize] = Crossing {
                seq,
                at: self.now,
                lineage: m.lineage,
                event_type: m.event_type,
                attempts: m.attempts.max(m.receives),
            };
        }
    }

    fn edge_arrive(&mut self, e: EdgeIx) {
        let Some((_, msg)) = self.transit[e as usize].pop_front() else {
            return;
        };
        if let Some(&(due, _)) = self.transit[e as usize].front() {
            self.schedule(due, Ev::EdgeArrive(e));
        }
        let to = self.edges[e as usize].to;
        let to_topo = &self.topo[to as usize];
        if to_topo.kind == Kind::Queue {
            self.queues[to_topo.slot as usize].reserved -= 1;
        }
        self.arrive(to, msg);
    }

    /// `msg` reaches `node`.
    #[inline(always)]
    pub(crate) fn arrive(&mut self, node: NodeIx, msg: MsgId) {
        let topo = &self.topo[node as usize];
        self.arrive_at(node, topo.kind, topo.slot as usize, msg);
    }

    /// [`Self::arrive`] at a node whose kind and slot are known.
    #[inline(always)]
    fn arrive_at(&mut self, node: NodeIx, kind: Kind, slot: usize, msg: MsgId) {
        if self.journeys.is_some() {
            let hop = match kind {
                Kind::Topic | Kind::Router => HopKind::Route,
                _ => HopKind::Wait,
            };
            self.journey_hop(msg, node, hop);
        } else if kind == Kind::Sink && self.sinks[slot].is_instant() && !self.is_down(node) {
            // The journey ends here and now: nothing reads the arrival's
            // times.
            self.complete_passing(node, msg, 1);
            return;
        }
        {
            let m = self.msgs.get_mut(msg);
            m.node_in = self.now;
            m.wait_from = self.now;
            m.attempts = 0;
            m.origin = NO_NODE;
        }
        self.stats[node as usize].arrived += 1;
        match kind {
            Kind::Queue => self.queue_arrive(node, slot, msg),
            Kind::Topic => self.topic_arrive(node, msg),
            Kind::Consumer => self.consumer_arrive(node, msg),
            Kind::Router => self.router_arrive(node, msg),
            Kind::Service => {
                debug_assert!(false, "validation forbids pushing to a service");
                self.complete(node, msg);
            }
            Kind::Sink => self.sink_arrive(node, slot, msg),
            Kind::DeadLetter => self.dead_letter_arrive(node, msg),
            Kind::Log => self.log_arrive(node, msg),
            Kind::Cep => self.cep_arrive(node, msg),
            Kind::EventStore => self.store_arrive(node, msg),
            Kind::Projection => self.projection_arrive(node, msg),
            Kind::Producer => {
                debug_assert!(false, "validation forbids edges into producers");
                self.complete(node, msg);
            }
        }
    }

    /// Room appeared downstream of `node`: let it try again.
    pub(crate) fn wake(&mut self, node: NodeIx) {
        match self.topo[node as usize].kind {
            Kind::Producer => self.producer_wake(node),
            Kind::Consumer => self.consumer_wake(node),
            Kind::Topic => self.topic_wake(node),
            Kind::Router => self.router_wake(node),
            Kind::Cep => self.cep_wake(node),
            Kind::EventStore => self.store_wake(node),
            Kind::Queue
            | Kind::Service
            | Kind::Sink
            | Kind::DeadLetter
            | Kind::Log
            | Kind::Projection => {}
        }
    }

    /// Wakes every node blocked on `node`, in the order they blocked.
    #[inline]
    pub(crate) fn wake_waiters(&mut self, node: NodeIx) {
        if !self.waiters[node as usize].is_empty() {
            self.wake_all(node);
        }
    }

    #[cold]
    fn wake_all(&mut self, node: NodeIx) {
        let waiting = std::mem::take(&mut self.waiters[node as usize]);
        for w in waiting {
            self.wake(w);
        }
    }
}
