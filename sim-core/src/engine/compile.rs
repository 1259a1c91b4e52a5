//! A model compiled for a run: dense vectors per kind, edges that know
//! their receivers, and the first events scheduled.

use std::collections::VecDeque;

use super::{Arena, Crossing, EdgeIx, Ev, MsgId, NodeIx, RECENT, RunError, Simulation, Slot};
use crate::calendar::Calendar;
use crate::faults::CompiledFault;
use crate::ledger::Ledger;
use crate::metrics::NodeStats;
use crate::model::Model;
use crate::nodes::autoscale::Autoscaler;
use crate::nodes::consumer::PullSource;
use crate::nodes::durability::{Durability, DurableRt};
use crate::nodes::outbox::{Outbox, OutboxRt};
use crate::nodes::standby::StandbyRt;
use crate::nodes::{EdgeRole, Kind, Runtime, with_params};
use crate::report::Conservation;
use crate::series::Series;
use crate::time::{Duration, SimTime};

/// The fixed shape of a compiled model.
#[derive(Clone, Debug)]
pub(crate) struct NodeTopo {
    pub id: String,
    pub kind: Kind,
    /// Index into the kind's state vector.
    pub slot: Slot,
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

#[derive(Clone, Debug)]
pub(crate) struct EdgeTopo {
    pub from: NodeIx,
    pub to: NodeIx,
    pub latency: Duration,
    /// A write into a replicated broker: it reaches the broker's readers
    /// once replicated, a replication lag after the leader has it (over
    /// the link's own latency, `wire`). Its `latency` is never zero, so
    /// sends along it leave the instant path; only `wire` is its latency.
    pub replicated: bool,
    pub wire: Duration,
    /// The link's faults ([`crate::links`]), if a fault may hit it
    /// ([`crate::faults::NO_LINK`]: none). Such a link, too, never has a
    /// zero `latency`.
    pub link: u32,
    /// Replicated, or with faults: sends along it take the slow way.
    pub special: bool,
    /// Event types a topic subscription or router route accepts (`None`: all).
    pub filter: Option<Vec<u16>>,
    /// A router's weight for this route.
    pub weight: f64,
    /// The receiver's kind and index into its kind's state (kept here so
    /// a send need not look the receiver up).
    pub to_kind: Kind,
    pub to_slot: Slot,
}

impl EdgeTopo {
    /// Whether the edge's filter lets `msg` through.
    #[inline(always)]
    pub(super) fn passes(&self, msgs: &Arena, msg: MsgId) -> bool {
        self.filter
            .as_ref()
            .is_none_or(|types| types.contains(&msgs.get(msg).event_type))
    }
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
        // Each graph index's place in model order (a stable graph's indices
        // may have holes).
        let mut places = vec![0; petgraph::visit::NodeIndexable::node_bound(graph)];
        for (i, &n) in node_ixs.iter().enumerate() {
            places[n.index()] = i;
        }
        let position = |ix: petgraph::stable_graph::NodeIndex| places[ix.index()];

        // Event types: every name any filter names or any node emits, in
        // first-seen order (filters first, then the nodes in model order).
        let mut event_types: Vec<String> = Vec::new();
        let mut sim_edges = Vec::new();
        for e in graph.edge_indices() {
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
                from: NodeIx::at(position(a)),
                to: NodeIx::at(position(b)),
                latency: edge.latency.unwrap_or(Duration::ZERO),
                // Set below, once the nodes are compiled.
                replicated: false,
                wire: edge.latency.unwrap_or(Duration::ZERO),
                link: crate::faults::NO_LINK,
                special: false,
                filter,
                weight: edge.weight.unwrap_or(1.0),
                // Set below, once the nodes are compiled.
                to_kind: Kind::Sink,
                to_slot: Slot(0),
            });
        }

        let n_nodes = node_ixs.len();
        let mut sim = Self {
            now: SimTime::ZERO,
            // The clock's last nanosecond is where delays past its range
            // land: a run ends before it, so what is due then never runs.
            end: SimTime(scenario.duration.0).min(SimTime::LAST),
            warmup: SimTime(scenario.warmup_or_zero().0),
            seed,
            model_name: model.name.clone(),
            theory: std::sync::Arc::new(crate::theory::analyse(model)),
            calendar: Calendar::default(),
            msgs: Arena::default(),
            transit: sim_edges.iter().map(|_| VecDeque::new()).collect(),
            carried: vec![0; sim_edges.len()],
            recent: vec![[Crossing::default(); RECENT]; sim_edges.len()],
            recent_lost: [super::LostMark::default(); super::RECENT_LOST],
            lost_noted: 0,
            watching: false,
            noting: false,
            next_sample: SimTime::ZERO,
            objectives: None,
            deadlines: node_ixs.iter().any(|&n| match &graph[n].kind {
                crate::nodes::NodeKind::Producer(p) => p.has_deadlines(),
                _ => false,
            }),
            calls_made: 0,
            resends: None,
            params: node_ixs.iter().map(|&n| graph[n].kind.clone()).collect(),
            // Made below, once the nodes are compiled.
            series: Series::new(&[], &[], scenario.duration.0, 1, true),
            alerts: crate::alerts::Evaluator::default(),
            edges: Vec::new(),
            topo: Vec::with_capacity(n_nodes),
            stats: vec![NodeStats::default(); n_nodes],
            waiters: vec![Vec::new(); n_nodes],
            waiting_on: vec![NodeIx::NONE; n_nodes],
            suspect: NodeIx::NONE,
            producers: Vec::new(),
            queues: Vec::new(),
            topics: Vec::new(),
            consumers: Vec::new(),
            routers: Vec::new(),
            services: Vec::new(),
            sinks: Vec::new(),
            dead_letters: Vec::new(),
            logs: Vec::new(),
            ceps: Vec::new(),
            stores: Vec::new(),
            projections: Vec::new(),
            totals: Conservation::default(),
            system: crate::series::SystemTally::default(),
            events_before: 0,
            countdown: super::CHECK_EVERY,
            stall: super::Stall::default(),
            cascade: 0,
            depth: 0,
            // Message ids are 32 bits: the arena cannot hold more.
            max_in_flight: scenario.max_in_flight.min(u64::from(u32::MAX - 1)),
            error: None,
            event_types: Vec::new(),
            faults: scenario
                .faults
                .iter()
                .filter_map(|f| {
                    let (link, node) = match &f.link {
                        Some(id) => crate::links::find(model, &node_ixs, id)?,
                        None => (
                            usize::MAX,
                            node_ixs.iter().position(|&n| graph[n].id == f.node)?,
                        ),
                    };
                    Some(CompiledFault {
                        node: NodeIx(u32::try_from(node).ok()?),
                        effect: f.effect,
                        start: SimTime(f.at.0),
                        end: SimTime(f.at.0) + f.duration,
                        random: crate::faults::NOT_RANDOM,
                        region: crate::faults::NO_REGION,
                        link: u32::try_from(link).unwrap_or(crate::faults::NO_LINK),
                    })
                })
                .chain(crate::regions::compile_outages(model, &node_ixs))
                .collect(),
            random_faults: crate::faults::compile_random(
                &scenario.random_faults,
                |id| node_ixs.iter().position(|&n| graph[n].id == id),
                |id| crate::links::find(model, &node_ixs, id),
                seed,
            ),
            links: Vec::new(),
            down: vec![0; n_nodes],
            nodes_down: 0,
            durable: (0..n_nodes).map(|_| None).collect(),
            outboxes: (0..n_nodes).map(|_| None).collect(),
            ledger: Ledger::default(),
            journeys: None,
        };

        let mut replays = Vec::new();
        let regions = crate::regions::names(model);
        // Each node's outgoing edges, in model order.
        let mut leaving: Vec<Vec<usize>> = vec![Vec::new(); n_nodes];
        for (k, edge) in sim_edges.iter().enumerate() {
            leaving[edge.from.ix()].push(k);
        }
        for (i, &n) in node_ixs.iter().enumerate() {
            let node = &graph[n];
            let kind = node.kind.kind();
            let mut out = Vec::new();
            let mut dlq = None;
            let mut call = None;
            for &k in &leaving[i] {
                let to_kind = graph[node_ixs[sim_edges[k].to]].kind.kind();
                match kind.connect(to_kind) {
                    Ok(EdgeRole::DeadLetter) => dlq = Some(EdgeIx::at(k)),
                    Ok(EdgeRole::Call) => call = Some(EdgeIx::at(k)),
                    Ok(_) => out.push(EdgeIx::at(k)),
                    Err(_) => {}
                }
            }
            let mut cx = Compile {
                seed,
                id: &node.id,
                node: NodeIx::at(i),
                calls: call.is_some(),
                event_types: &mut event_types,
                replays: &mut replays,
                region: node.region.as_deref(),
                regions: &regions,
            };
            let slot = with_params!(&node.kind, p => p.compile(&mut sim, &mut cx));
            sim.topo.push(NodeTopo {
                id: node.id.clone(),
                kind,
                slot: Slot::at(slot),
                sole_out: (out.len() == 1).then(|| out[0]),
                out,
                dlq,
                call,
            });
        }
        sim.event_types = event_types;
        for edge in &mut sim_edges {
            let to = &sim.topo[edge.to];
            (edge.to_kind, edge.to_slot) = (to.kind, to.slot);
            edge.replicated = sim.durable[edge.to].as_ref().is_some_and(|d| d.replicates);
        }
        sim.links = crate::links::compile(model, &mut sim_edges, seed);
        for edge in &mut sim_edges {
            edge.special = edge.replicated || edge.link != crate::faults::NO_LINK;
            if edge.special {
                edge.latency = edge.wire.max(Duration(1));
            }
        }
        // Wire pull edges: a consumer knows the queues it reads, a queue
        // the consumers that read it.
        let topo = &sim.topo;
        for (k, edge) in sim_edges.iter().enumerate() {
            let (from, to) = (&topo[edge.from], &topo[edge.to]);
            if from.kind == Kind::Queue && to.kind == Kind::Consumer {
                let (q, c) = (from.slot, to.slot);
                sim.queues[q].consumers.push(edge.to);
                sim.consumers[c].queues.push(PullSource {
                    node: edge.from,
                    slot: from.slot,
                    latency: edge.latency,
                    edge: EdgeIx::at(k),
                });
            }
            if from.kind == Kind::Log && to.kind == Kind::Consumer {
                // Each consumer reading a log is a consumer group; each of
                // its slots is a member.
                let (l, c) = (from.slot, to.slot);
                sim.logs[l].add_group(edge.to, sim.consumers[c].slots_total());
                sim.consumers[c].logs.push(PullSource {
                    node: edge.from,
                    slot: from.slot,
                    latency: edge.latency,
                    edge: EdgeIx::at(k),
                });
            }
        }
        for queue in &mut sim.queues {
            // A push subscription takes the general path, which pushes to
            // a busy consumer when its window allows.
            let push = queue.pubsub.as_ref().is_some_and(|ps| ps.push.is_some());
            if let [reader] = queue.consumers[..]
                && !push
            {
                queue.sole_reader = Some((reader, topo[reader].slot));
            }
        }
        for consumer in &mut sim.consumers {
            if let [source] = consumer.queues[..] {
                consumer.sole_queue = Some(source);
            }
        }
        sim.series = Series::new(
            &sim.topo,
            &sim_edges,
            sim.end.as_nanos(),
            crate::series::DEFAULT_CAPACITY,
            true,
        );
        for i in 0..n_nodes {
            let client = matches!(
                &graph[node_ixs[i]].kind,
                crate::nodes::NodeKind::Producer(p) if p.client.is_some()
            );
            let journeys_end = sim.deadlines
                && match sim.topo[i].kind {
                    Kind::Sink => true,
                    Kind::Consumer => sim.topo[i].out.is_empty(),
                    _ => false,
                };
            if client || journeys_end {
                sim.series.add_line(i, crate::series::Metric::Goodput);
            }
            if matches!(&graph[node_ixs[i]].kind,
                crate::nodes::NodeKind::Log(l) if l.event_hubs.is_some())
            {
                sim.series.add_line(i, crate::series::Metric::Throttled);
            }
            if client || sim.deadlines {
                sim.series.show_goodput();
            }
        }
        let resending = node_ixs.iter().any(|&n| {
            matches!(&graph[n].kind,
                crate::nodes::NodeKind::Producer(p) if p.client.as_ref().is_some_and(|c| c.retry.max_attempts() > 1))
        });
        sim.noting = resending;
        if resending {
            sim.resends = Some(Box::new(super::Resends {
                ids: graph.edge_indices().map(|e| model.edge_id(e)).collect(),
                tally: vec![[0; 2]; sim_edges.len()],
            }));
        }
        sim.next_sample = sim.series.next_due();
        sim.edges = sim_edges;
        let (ids, kinds): (Vec<String>, Vec<Kind>) =
            sim.topo.iter().map(|t| (t.id.clone(), t.kind)).unzip();
        sim.alerts = crate::alerts::Evaluator::new(&model.alerts, &ids, &kinds);

        // A service whose caller may stop waiting (a call timeout, a crash)
        // reports the calls abandoned and the work they cost.
        let crashable = sim.crashable();
        for i in 0..n_nodes {
            let Some(edge) = sim.topo[i].call else {
                continue;
            };
            let times_out = matches!(
                &graph[node_ixs[i]].kind,
                crate::nodes::NodeKind::Consumer(c) if c.call_timeout.is_some()
            );
            if times_out || crashable[i] {
                let service = sim.topo[sim.edges[edge].to].slot;
                sim.services[service].abandonable = true;
            }
        }
        // A consumer a crash may take down keeps the list of what it holds.
        for (topo, _) in sim.topo.iter().zip(&crashable).filter(|(_, c)| **c) {
            if topo.kind == Kind::Consumer {
                sim.consumers[topo.slot].track_held();
            }
        }
        sim.schedule_faults();
        for (node, at) in replays {
            sim.schedule(at, Ev::StoreReplay(node));
        }
        for i in 0..n_nodes {
            if sim.topo[i].kind != Kind::Consumer {
                continue;
            }
            let node = NodeIx::at(i);
            let c = sim.topo[i].slot;
            let (instances, slots) = (sim.consumers[c].instances(), sim.consumers[c].slots_total());
            sim.stats[i].capacity.set(SimTime::ZERO, slots);
            sim.stats[i].instances.set(SimTime::ZERO, instances);
            if let Some(interval) = sim.consumers[c]
                .autoscaler
                .as_ref()
                .map(Autoscaler::interval)
            {
                sim.schedule(SimTime::ZERO + interval, Ev::Autoscale(node));
            }
        }
        sim.objectives = super::objectives::Watch::compile(model, &sim);
        if sim.warmup > SimTime::ZERO {
            sim.schedule(sim.warmup, Ev::WarmupEnd);
        } else {
            sim.objectives_start();
        }
        for i in 0..n_nodes {
            if sim.topo[i].kind == Kind::Producer {
                sim.producer_start(NodeIx::at(i));
            }
        }
        sim
    }
}

/// The id of event type `name`, added if new.
fn type_id(name: &str, types: &mut Vec<String>) -> u16 {
    if let Some(i) = types.iter().position(|t| t == name) {
        return u16::try_from(i).unwrap_or(u16::MAX);
    }
    types.push(name.to_owned());
    u16::try_from(types.len() - 1).unwrap_or(u16::MAX)
}

/// What a node's kind needs to compile its runtime state
/// ([`Runtime::compile`](crate::nodes::Runtime::compile)).
#[derive(Debug)]
pub(crate) struct Compile<'a> {
    pub seed: u64,
    pub id: &'a str,
    pub node: NodeIx,
    /// Whether the node calls a service.
    pub calls: bool,
    event_types: &'a mut Vec<String>,
    /// Event stores' replays: the store and when it starts.
    pub replays: &'a mut Vec<(NodeIx, SimTime)>,
    /// The node's region, if it has one, and the model's regions.
    region: Option<&'a str>,
    regions: &'a [String],
}

impl Compile<'_> {
    /// The id of event type `name` in this run.
    pub fn type_id(&mut self, name: &str) -> u16 {
        type_id(name, self.event_types)
    }

    /// Makes the node a durable broker, if it has `durability`: its
    /// replication draws from the node's own stream.
    pub fn durable(&self, sim: &mut Simulation, durability: Option<&Durability>) {
        sim.durable[self.node] = durability.map(|d| {
            let rng = crate::rng::stream(self.seed, self.id, crate::rng::Purpose::Replication);
            let standby = d.standby.as_ref().and_then(|s| {
                let home = crate::regions::index(self.regions, self.region?);
                let away = crate::regions::index(self.regions, &s.region);
                let rng = crate::rng::stream(self.seed, self.id, crate::rng::Purpose::Standby);
                Some(StandbyRt::new(s, home, away, rng))
            });
            Box::new(DurableRt::new(d, rng, standby))
        });
    }

    /// Gives the node a transactional outbox, if it has one: its relay
    /// draws from the node's own stream.
    pub fn outbox(&self, sim: &mut Simulation, outbox: Option<&Outbox>) {
        sim.outboxes[self.node] = outbox.map(|o| Box::new(OutboxRt::new(o, self.seed, self.id)));
    }
}
