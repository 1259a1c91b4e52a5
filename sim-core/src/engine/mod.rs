//! The discrete-event engine: an event calendar ordered by `(time,
//! sequence)`, messages in an arena, and the moves every node kind shares
//! (sending along edges, blocking, waking, completing, dropping).
//!
//! Node behaviours live in their kinds' modules (`nodes/*.rs`) as `impl
//! Simulation` blocks; this module routes events and messages to them.
//! `arena.rs` holds the messages and the typed indices, `compile.rs`
//! turns a model into a simulation, `events.rs` says where each event goes.
//!
//! # Conventions on the hot path
//!
//! - A function named for a node (`arrive`, `accepts`, `consumer_fill`,
//!   `queue_release`) looks the node's kind and slot up itself; its `_at`
//!   twin (`arrive_at`, `accepts_at`, `consumer_fill_at`,
//!   `queue_release_at`, `transmit_at`) takes them already resolved. The
//!   twins exist for the callers that hold the answer anyway: an edge
//!   keeps its receiver's kind and slot, an event names a slot.
//! - Three shortcuts serve the commonest shape, one link where there could
//!   be several, and each is kept because the M/M/1 benchmark shows it
//!   (callgrind, instructions per message saved): a node's `sole_out`
//!   edge (188), a queue's `sole_reader` (43), a consumer's `sole_queue`
//!   (50). Each falls back to the general loop, which gives the same
//!   result.
//! - Events carry what their handler needs (`Ev::Arrival` and
//!   `Ev::ServiceDone` a slot, the others a node) so that no handler
//!   looks up what its scheduler knew.

mod arena;
mod compile;
mod events;
pub(crate) mod objectives;

pub(crate) use arena::{Arena, Deadline, EdgeIx, Msg, MsgId, NodeIx, Origin, Slot};
pub(crate) use compile::{Compile, EdgeTopo, NodeTopo};
pub(crate) use events::Ev;

use std::collections::VecDeque;

use crate::calendar::Calendar;
use crate::faults::CompiledFault;
use crate::journey::{ForkKind, HopKind, JourneyEnd, Recorder};
use crate::ledger::Ledger;
use crate::metrics::{DropReason, NodeStats};
use crate::nodes::cep::CepRt;
use crate::nodes::consumer::ConsumerRt;
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
use crate::nodes::{Kind, NodeKind, Runtime, with_kind};
use crate::report::{Conservation, RunResult};
use crate::series::{Series, SystemTally};
use crate::time::{Duration, SimTime};

/// `i` modulo `n` for `i < 2n`, without a division (round-robin indices).
#[inline]
pub(crate) fn wrap(i: usize, n: usize) -> usize {
    if i >= n { i - n } else { i }
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
    #[error(
        "no progress: {events} events ran at {at} without the clock moving, most of them at {}. \
         Messages go round a loop of links without latency (a router or topic sending them back \
         where they came from, a retry without delay) and the clock cannot move on: give a link \
         on the loop a latency, or give the messages a way out of it",
        node_list(.nodes)
    )]
    NoProgress {
        at: SimTime,
        events: u64,
        /// The nodes that handled the most of them, with how many.
        nodes: Vec<(String, u64)>,
    },
    #[error(
        "fan-out without end: one event at {at} made more than {copies} copies, the last at \
         '{node}'. Splits and topics feed each other without latency, so every copy is copied \
         again at the same instant: fewer parts, fewer subscribers, or a queue or a link \
         latency between them"
    )]
    FanOutLimit {
        at: SimTime,
        copies: u64,
        node: String,
    },
    #[error(
        "deadlock at {at}: {}. Each waits for room at the next, which can only make room by \
         sending to the first, so nothing on the loop moves again: put a queue with room on \
         the loop, give a link latency so messages wait on the way, or route messages out of it",
        wait_cycle(.nodes)
    )]
    Deadlock {
        at: SimTime,
        /// The nodes of the cycle in order, each waiting on the next (the
        /// last on the first), starting with the first in model order.
        nodes: Vec<String>,
    },
}

/// `'a' waits on 'b', which waits on 'a'`.
fn wait_cycle(nodes: &[String]) -> String {
    let Some(first) = nodes.first() else {
        return "nodes wait on each other".to_owned();
    };
    let mut out = format!("'{first}' waits for room at ");
    for next in &nodes[1..] {
        out.push_str(&format!("'{next}', which waits for room at "));
    }
    out.push_str(&format!("'{first}'"));
    out
}

/// `'a' (12), 'b' (7) and 'c' (2)`.
fn node_list(nodes: &[(String, u64)]) -> String {
    let names: Vec<String> = nodes
        .iter()
        .map(|(id, n)| format!("'{id}' ({n})"))
        .collect();
    match names.as_slice() {
        [] => "no node in particular".to_owned(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A compiled, runnable model.
#[derive(Clone, Debug)]
pub struct Simulation {
    pub(crate) now: SimTime,
    end: SimTime,
    warmup: SimTime,
    seed: u64,
    model_name: String,
    /// The model's stations as queueing theory sees them, for the report.
    theory: std::sync::Arc<crate::theory::Analysis>,
    calendar: Calendar<Ev>,
    pub(crate) msgs: Arena,
    pub(crate) topo: Vec<NodeTopo>,
    pub(crate) edges: Vec<EdgeTopo>,
    pub(crate) transit: Vec<VecDeque<(SimTime, MsgId)>>,
    pub(crate) stats: Vec<NodeStats>,
    pub(crate) waiters: Vec<Vec<NodeIx>>,
    /// The node each node last waited on for room and has not been woken
    /// from since (`NodeIx::NONE`: none): the wait-for graph in which a
    /// deadlock is a cycle.
    waiting_on: Vec<NodeIx>,
    /// The node whose wait closed a cycle during the current event.
    suspect: NodeIx,
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
    /// Events run before the current round of [`CHECK_EVERY`] (see
    /// [`Self::events`]).
    events_before: u64,
    /// Events left in the current round; at zero the engine checks that
    /// the clock still moves ([`Self::check_progress`]).
    countdown: u64,
    /// The progress check's record of an instant the clock stays at.
    stall: Stall,
    /// Fan-out copies made by the event being handled (see
    /// [`FAN_OUT_LIMIT`]).
    cascade: u64,
    /// How deep messages are passed on from relay to relay (routers,
    /// topics, CEP nodes) and waiters woken within the current event; past
    /// [`MAX_DEPTH`] the next step is handed on as an event at the same
    /// instant, so a chain of any length never deepens the stack.
    depth: u32,
    max_in_flight: u64,
    error: Option<RunError>,
    pub(crate) event_types: Vec<String>,
    pub(crate) faults: Vec<CompiledFault>,
    /// The scenario's random faults, each drawing its next strike when the
    /// last one ends.
    pub(crate) random_faults: Vec<crate::faults::RandomRt>,
    pub(crate) ledger: Ledger,
    /// How many faults hold each node down right now.
    pub(crate) down: Vec<u32>,
    /// How many nodes are down right now, and brokers refusing writes
    /// (see `durability`): every send checks that this is zero.
    pub(crate) nodes_down: u32,
    /// The faults' state of each link a fault may hit ([`crate::links`]).
    pub(crate) links: Vec<crate::links::LinkRt>,
    /// Each node's replication, if it is a durable broker.
    pub(crate) durable: Vec<Option<Box<crate::nodes::durability::DurableRt>>>,
    /// Each node's transactional outbox, if it writes through one.
    pub(crate) outboxes: Vec<Option<Box<crate::nodes::outbox::OutboxRt>>>,
    /// Sampled message journeys, when recording is on.
    pub(crate) journeys: Option<Box<Recorder>>,
    /// Messages each edge has carried since the start (warm-up included).
    pub(crate) carried: Vec<u64>,
    /// Each edge's last few crossings, for the live view's moving dots
    /// (kept only while `watching`).
    pub(crate) recent: Vec<[Crossing; RECENT]>,
    /// The last few messages lost (to a failure), for the live view's
    /// marks, while crossings are watched; and how many were noted.
    pub(crate) recent_lost: [LostMark; RECENT_LOST],
    pub(crate) lost_noted: u64,
    /// Whether someone watches the run: crossings are remembered.
    watching: bool,
    /// Whether a crossing records more than its count: the crossing
    /// itself (`watching`), or the sends again it carries (`resends`).
    noting: bool,
    /// Time series, sampled at fixed intervals of simulated time.
    pub(crate) series: Series,
    /// The system's losses and end-to-end latencies, for its series.
    pub(crate) system: SystemTally,
    /// The model's alerting rules, evaluated at every series point.
    pub(crate) alerts: crate::alerts::Evaluator,
    /// Each node's parameters as compiled or last changed live.
    pub(crate) params: Vec<NodeKind>,
    /// The service level objectives, measured as the run goes (`None`
    /// without any).
    pub(crate) objectives: Option<Box<objectives::Watch>>,
    /// When the next series point or objective window step is due (a
    /// copy of [`Self::next_due`] for the hot loop).
    next_sample: SimTime,
    /// Whether messages have deadlines (a producer has a time to live):
    /// the report then counts what expired and what completed in time.
    pub(crate) deadlines: bool,
    /// The number the last call to a service was given (see `Msg::call`).
    pub(crate) calls_made: u32,
    /// What each edge carries of sends again, when a client producer can
    /// send again (`None` otherwise, and nothing is counted).
    pub(crate) resends: Option<Box<Resends>>,
}

/// Per edge since the warm-up: the messages carried, and those of them
/// that were a client's sends again (or copies of one).
#[derive(Clone, Debug)]
pub(crate) struct Resends {
    /// The edges' ids, in model order.
    pub ids: Vec<String>,
    /// Carried, and sent again, per edge.
    pub tally: Vec<[u64; 2]>,
}

/// Events between two checks that the clock still moves.
pub(crate) const CHECK_EVERY: u64 = 1 << 16;

/// Copies one event may make, through splits and topics reached without
/// latency, before the run stops with [`RunError::FanOutLimit`]: the most
/// a model can mean (a split of 1000 into topics of 1000 subscribers) is a
/// quarter of it, and past it one instant would never end.
pub(crate) const FAN_OUT_LIMIT: u64 = 1 << 22;
/// Checks in a row that find the clock at the same instant before the run
/// stops with [`RunError::NoProgress`]: about a million events at one
/// instant. A model that makes progress runs far fewer events at any one
/// instant (each message takes a handful); one caught in a loop of links
/// without latency runs them without end.
const STALL_CHECKS: u32 = 16;
/// Relays (and wakes) passed through within one event before the next
/// one is handed on as an event at the same instant.
pub(crate) const MAX_DEPTH: u32 = 32;
/// The longest cycle of waits the deadlock check follows: each wait looks
/// this far along the nodes waiting on each other, no further.
const MAX_CYCLE: usize = 1_024;
/// Nodes a diagnostic names at most.
const NAMED_NODES: usize = 3;

/// What the progress check knows of the instant the clock stays at.
#[derive(Clone, Debug, Default)]
struct Stall {
    /// The instant of the last check.
    at: SimTime,
    /// Checks in a row at `at`.
    checks: u32,
    /// Each node's arrivals when the clock was first seen stuck.
    arrived: Vec<u64>,
    /// How often each node's event was the one running at a check.
    seen: Vec<u64>,
}

/// Crossings remembered per edge.
pub(crate) const RECENT: usize = 4;
/// Lost messages remembered for the live view, over the whole run.
pub(crate) const RECENT_LOST: usize = 32;

/// A message lost to a failure, remembered for the live view.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct LostMark {
    /// The count of lost messages noted after this one (0: none yet).
    pub seq: u64,
    pub node: NodeIx,
    pub at: SimTime,
    pub lineage: u64,
    pub event_type: u16,
}

/// A message crossing an edge, remembered for the live view.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Crossing {
    /// The edge's carried count after this crossing (0: no crossing yet).
    pub seq: u64,
    pub at: SimTime,
    pub lineage: u64,
    pub event_type: u16,
    /// Processing attempts or receives so far: above 1 means retried.
    pub attempts: u32,
    /// Nobody waits for it any more (see [`Simulation::is_stale`]).
    pub stale: bool,
}

impl Simulation {
    /// Whether nobody waits for `msg` any more: it is past its deadline, or
    /// the client that sent it stopped waiting for this send.
    pub(crate) fn is_stale(&self, msg: MsgId) -> bool {
        let m = self.msgs.get(msg);
        if m.deadline.passed(self.now) {
            return true;
        }
        m.request != 0
            && self.topo.get(m.source.ix()).is_some_and(|t| {
                t.kind == Kind::Producer
                    && self.producers[t.slot]
                        .client
                        .as_ref()
                        .is_some_and(|c| !c.waits_for(m.request))
            })
    }

    /// The simulation clock.
    pub fn now(&self) -> SimTime {
        self.now
    }

    /// When the run ends.
    pub fn end(&self) -> SimTime {
        self.end
    }

    /// Whether the clock has reached the end of the scenario.
    pub fn is_finished(&self) -> bool {
        self.now >= self.end
    }

    /// A copy of the run as it stands, to go on from later (a rewind's
    /// checkpoint): it continues exactly as this one does. The journeys
    /// recorded so far stay here; the copy records none.
    pub fn checkpoint(&mut self) -> Self {
        let journeys = self.journeys.take();
        let copy = self.clone();
        self.journeys = journeys;
        copy
    }

    /// Engine events processed so far.
    pub fn events(&self) -> u64 {
        self.events_before + (CHECK_EVERY - self.countdown)
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

    /// A rough size in bytes of the state a [`Self::checkpoint`] copies,
    /// from what the run holds now: a part per node, and the messages
    /// alive and the events pending. On the examples it is within a
    /// factor of two of the heap a copy takes (0.7 to 25 MB).
    pub fn approx_bytes(&self) -> u64 {
        const BASE: u64 = 640 << 10;
        const PER_NODE: u64 = 160 << 10;
        const PER_MESSAGE: u64 = 128;
        const PER_EVENT: u64 = 48;
        BASE + self.topo.len() as u64 * PER_NODE
            + self.msgs.live * PER_MESSAGE
            + self.calendar.len() as u64 * PER_EVENT
    }

    /// Runs every event up to and including `until` (capped at the end of
    /// the scenario), then sets the clock there.
    pub fn run_until(&mut self, until: SimTime) -> Result<(), RunError> {
        let until = until.min(self.end);
        while let Some((time, ev)) = self.calendar.peek() {
            let time = SimTime(time);
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
            self.cascade = 0;
            self.countdown -= 1;
            if self.countdown == 0 {
                self.check_progress(ev);
            }
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
                let err = match err {
                    // Seen while the event ran: it holds if the cycle is
                    // still there now that the event is over.
                    RunError::Deadlock { .. } => match self.deadlock() {
                        Some(err) => err,
                        None => continue,
                    },
                    err => err,
                };
                self.series.catch_up();
                return Err(err);
            }
        }
        while self.next_sample <= until {
            self.sample_series();
        }
        self.series.catch_up();
        self.now = self.now.max(until);
        Ok(())
    }

    /// Every [`CHECK_EVERY`] events, before `ev` runs: stops the run with
    /// [`RunError::NoProgress`] when the clock has stayed at one instant
    /// for [`STALL_CHECKS`] checks in a row, naming the nodes that handled
    /// the events (by their arrivals meanwhile, else by the events seen at
    /// the checks).
    #[cold]
    #[inline(never)]
    fn check_progress(&mut self, ev: Ev) {
        self.events_before += CHECK_EVERY;
        self.countdown = CHECK_EVERY;
        let stall = &mut self.stall;
        if stall.checks == 0 || stall.at != self.now {
            // The clock moved: the usual case, and all it costs.
            stall.at = self.now;
            stall.checks = 1;
            return;
        }
        stall.checks += 1;
        if stall.checks == 2 {
            // Stuck for a round: count who does the work from here on.
            stall.arrived.clear();
            stall.arrived.extend(self.stats.iter().map(|s| s.arrived));
            stall.seen.clear();
            stall.seen.resize(self.topo.len(), 0);
        }
        if let Some(node) = ev.node(self) {
            self.stall.seen[node] += 1;
        }
        if self.stall.checks <= STALL_CHECKS || self.error.is_some() {
            return;
        }
        let by_arrivals: Vec<u64> = self
            .stats
            .iter()
            .zip(&self.stall.arrived)
            .map(|(s, &before)| s.arrived.saturating_sub(before))
            .collect();
        let counts = if by_arrivals.iter().any(|&n| n > 0) {
            by_arrivals
        } else {
            self.stall.seen.clone()
        };
        let mut busiest: Vec<(usize, u64)> = counts
            .into_iter()
            .enumerate()
            .filter(|&(_, n)| n > 0)
            .collect();
        // The most first; ties in model order.
        busiest.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
        busiest.truncate(NAMED_NODES);
        self.error = Some(RunError::NoProgress {
            at: self.now,
            events: u64::from(self.stall.checks - 1) * CHECK_EVERY,
            nodes: busiest
                .into_iter()
                .map(|(i, n)| (self.topo[i].id.clone(), n))
                .collect(),
        });
    }

    /// Records the series point and takes the objectives' window steps
    /// due at `next_sample`.
    fn sample_series(&mut self) {
        let at = self.next_sample;
        if self.objectives.as_ref().is_some_and(|w| w.next_due <= at) {
            self.objectives_step(at);
        }
        if self.series.next_due() > at {
            self.next_sample = self.next_due();
            return;
        }
        let (topo, consumers, logs) = (&self.topo, &self.consumers, &self.logs);
        let breaker = |i: usize| {
            let t = &topo[i];
            if t.kind == Kind::Consumer {
                consumers[t.slot].breaker.as_ref().map(|b| b.state)
            } else {
                None
            }
        };
        let lag = |i: usize| {
            let t = &topo[i];
            if t.kind == Kind::Log {
                logs[t.slot].max_lag()
            } else {
                0
            }
        };
        let system = (&self.totals, self.msgs.live, &mut self.system);
        self.series
            .record(at, &mut self.stats, &self.carried, &breaker, &lag, system);
        if !self.alerts.is_empty() {
            self.alerts.evaluate(at, self.series.nodes());
        }
        self.next_sample = self.next_due();
    }

    /// The alerting rules' states and firings so far, against the run's
    /// faults; `None` when the model has no rules.
    pub fn alerts(&self) -> Option<crate::alerts::AlertRun> {
        if self.alerts.is_empty() {
            return None;
        }
        let window = |f: &CompiledFault| crate::alerts::FaultWindow {
            // A link's fault is named by its link's id.
            node: match self.edges.get(f.link as usize) {
                Some(edge) if f.link != crate::faults::NO_LINK => {
                    self.links[edge.link as usize].id.clone()
                }
                _ => self.topo[f.node.ix()].id.clone(),
            },
            effect: f.effect.key(),
            start: f.start,
            end: f.end,
        };
        // The timeline's faults are the same in every replication and are
        // folded one by one; random strikes differ, so they only tell a
        // firing they explain from a false alarm.
        let (timeline, strikes): (Vec<_>, Vec<_>) = self
            .faults
            .iter()
            .partition(|f| f.random == crate::faults::NOT_RANDOM);
        let faults = timeline.into_iter().map(window).collect();
        let strikes: Vec<_> = strikes.into_iter().map(window).collect();
        Some(
            self.alerts
                .run(Duration(self.series.interval_ns()), faults, &strikes),
        )
    }

    /// Remembers each edge's last few crossings from now on, so snapshots
    /// show messages that just crossed (the live view's moving dots).
    /// Headless runs leave it off: it costs time on every send.
    pub fn watch_crossings(&mut self) {
        self.watching = true;
        self.noting = true;
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
        let latency = self.series.keeps_latency();
        self.series = Series::new(
            &self.topo,
            &self.edges,
            self.end.as_nanos(),
            capacity,
            latency,
        );
        self.next_sample = self.next_due();
    }

    /// Leaves the latency percentile lines (each node's p50 and p99
    /// latency and staleness, the system's end-to-end p50 and p99) out of
    /// the series, for a run whose series nobody charts: a headless
    /// report, a sweep, a plan. The nodes then skip the interval
    /// histograms behind those lines, a histogram record per message at
    /// every stage. The report is the same either way: it reads the
    /// run-long histograms. Lines an alert rule reads are kept. Call
    /// before running.
    pub fn skip_latency_lines(&mut self) {
        if self.alerts.reads_latency() {
            return;
        }
        for stats in &mut self.stats {
            stats.interval = crate::metrics::IntervalLatency::off();
            stats.interval_staleness = crate::metrics::IntervalLatency::off();
        }
        self.system.end_to_end = crate::metrics::IntervalLatency::off();
        self.series.drop_latency_lines();
        self.next_sample = self.next_due();
    }

    /// Runs for `span` of simulated time from now.
    pub fn step(&mut self, span: Duration) -> Result<(), RunError> {
        self.run_until(self.now + span)
    }

    /// Runs to the end of the scenario and returns the run's result.
    pub fn run(mut self) -> Result<RunResult, RunError> {
        self.run_until(self.end)?;
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
    pub(crate) fn theory(&self) -> &std::sync::Arc<crate::theory::Analysis> {
        &self.theory
    }
    /// The run was changed while it ran (`why`): no formula describes it
    /// any more.
    pub(crate) fn unsettle_theory(&mut self, why: &str) {
        self.theory = std::sync::Arc::new(
            self.theory
                .refused_all(&format!("the run has no single steady state: {why}")),
        );
    }
    pub(crate) fn warmup(&self) -> SimTime {
        self.warmup.min(self.end)
    }

    // ---- services for the node kinds ----

    /// Marks `node` as changed: the next series point works its lines out
    /// (see [`Series::touched`]). Whatever changes a node's counts, levels,
    /// interval latencies, breaker or lag calls this within the same
    /// event; debug builds check, at every point, that a node not marked
    /// has not moved.
    #[inline(always)]
    pub(crate) fn touch(&mut self, node: NodeIx) {
        self.series.touched[node.ix()] = true;
    }

    /// Marks every node as changed (after a change from outside the run:
    /// an edit, a reset).
    pub(crate) fn touch_all(&mut self) {
        self.series.touched.fill(true);
    }

    #[inline(always)]
    pub(crate) fn schedule(&mut self, at: SimTime, ev: Ev) {
        debug_assert!(
            at >= self.now,
            "{ev:?} scheduled at {at}, in the past (now {})",
            self.now
        );
        self.calendar.push(at.as_nanos(), ev);
    }

    /// Whether the run has met an error and stops after this event: loops
    /// within one event that make messages end early.
    #[inline]
    pub(crate) fn stopping(&self) -> bool {
        // (A deadlock seen during the event is only confirmed after it.)
        self.error
            .as_ref()
            .is_some_and(|e| !matches!(e, RunError::Deadlock { .. }))
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
        if self.msgs.live >= self.max_in_flight && !self.stopping() {
            let (node, held) = self.busiest_node();
            self.error = Some(RunError::InFlightLimit {
                limit: self.max_in_flight,
                at: self.now,
                node: if node.is_empty() {
                    self.topo[at].id.clone()
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
        self.cascade += 1;
        if self.cascade > FAN_OUT_LIMIT && !self.stopping() {
            self.error = Some(RunError::FanOutLimit {
                at: self.now,
                copies: FAN_OUT_LIMIT,
                node: self.topo[at].id.clone(),
            });
        }
        let original = *self.msgs.get(msg);
        let lineage = self.ledger.new_id();
        let copy = self.alloc(
            at,
            Msg {
                origin: Origin::PUSHED,
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
                origin: Origin::PUSHED,
                ..original
            },
        );
        self.journey_fork(at, msg, again, ForkKind::Redelivery);
        again
    }

    fn busiest_node(&self) -> (String, u64) {
        let mut best = (String::new(), 0);
        for (i, node) in self.topo.iter().enumerate() {
            let held = with_kind!(node.kind, P => P::held(self, NodeIx::at(i), node.slot));
            if held > best.1 {
                best = (node.id.clone(), held);
            }
        }
        best
    }

    /// The message's journey ends well at `node`.
    #[inline(always)]
    pub(crate) fn complete(&mut self, node: NodeIx, msg: MsgId) {
        let Msg {
            created,
            lineage,
            source,
            deadline,
            request,
            ..
        } = *self.msgs.get(msg);
        let duplicate = self.ledger.completed(lineage);
        let in_time = !deadline.passed(self.now);
        let stats = &mut self.stats[node];
        stats.completed += 1;
        stats.in_time += u64::from(in_time);
        stats.duplicates += u64::from(duplicate);
        self.system.duplicates += u64::from(duplicate);
        stats.end_to_end.record(self.now - created);
        self.system.end_to_end.record(self.now - created);
        if let Some(watch) = &mut self.objectives {
            watch.completed(node, source, self.now - created);
        }
        self.totals.completed += 1;
        if request != 0 {
            self.client_answer(source, request, in_time);
        }
        let at = self.now;
        self.journey_end(msg, JourneyEnd::Completed { node: node.0, at });
        self.release(msg);
    }

    /// `node` (a sink receiving `msg`) counts it out of order if it saw a
    /// message of the same stream (its producer and key) created later.
    #[inline(always)]
    pub(crate) fn note_order(&mut self, node: NodeIx, msg: MsgId) {
        let m = self.msgs.get(msg);
        let (stream, created) = (m.stream(), m.created);
        let _ = self.stats[node].note_order(stream, created);
    }

    pub(crate) fn drop_msg(&mut self, node: NodeIx, msg: MsgId, reason: DropReason) {
        self.touch(node);
        self.stats[node].count_drop(reason);
        if reason.is_loss() {
            self.totals.lost += 1;
            self.system.lost_drops += 1;
            if self.watching {
                self.note_lost(node, msg);
            }
        } else {
            self.totals.dropped += 1;
        }
        let at = self.now;
        self.journey_end(
            msg,
            JourneyEnd::Dropped {
                node: node.0,
                at,
                reason,
            },
        );
        self.release(msg);
    }

    /// Remembers that `msg` was lost at `node` now, for the live view.
    #[cold]
    #[inline(never)]
    fn note_lost(&mut self, node: NodeIx, msg: MsgId) {
        self.lost_noted += 1;
        let m = self.msgs.get(msg);
        self.recent_lost[(self.lost_noted % RECENT_LOST as u64) as usize] = LostMark {
            seq: self.lost_noted,
            node,
            at: self.now,
            lineage: m.lineage,
            event_type: m.event_type,
        };
    }

    /// The message is now stored in the dead-letter queue `node` and leaves
    /// the flow.
    pub(crate) fn dead_letter_stored(&mut self, node: NodeIx, msg: MsgId) {
        self.touch(node);
        self.totals.dead_lettered += 1;
        let at = self.now;
        self.journey_end(msg, JourneyEnd::DeadLettered { node: node.0, at });
        self.release(msg);
    }

    /// A message leaves the flow at `node` past its use: a log's record
    /// that outlived its retention, or a message a consumer received past
    /// its deadline.
    pub(crate) fn expire_msg(&mut self, node: NodeIx, msg: MsgId) {
        self.touch(node);
        self.totals.expired += 1;
        let at = self.now;
        self.journey_end(msg, JourneyEnd::Expired { node: node.0, at });
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
        let topo = &self.topo[node];
        self.accepts_at(node, topo.kind, topo.slot, msg)
    }

    /// [`Self::accepts`] for a node whose kind and slot are known.
    #[inline(always)]
    fn accepts_at(&mut self, node: NodeIx, kind: Kind, slot: Slot, msg: MsgId) -> bool {
        match kind {
            Kind::Queue => self.broker_open(node) && self.queues[slot].has_room(),
            Kind::Topic => self.topic_accepts(node, msg),
            Kind::Router => self.router_accepts(node),
            Kind::Log => self.broker_open(node) && self.log_admits(node, slot),
            Kind::Cep => self.cep_accepts(node),
            Kind::EventStore => self.store_accepts(node),
            _ => true,
        }
    }

    #[inline(always)]
    pub(crate) fn edge_matches(&self, edge: EdgeIx, msg: MsgId) -> bool {
        self.edges[edge].passes(&self.msgs, msg)
    }

    pub(crate) fn add_waiter(&mut self, node: NodeIx, waiter: NodeIx) {
        let list = &mut self.waiters[node];
        if !list.contains(&waiter) {
            list.push(waiter);
        }
        self.waiting_on[waiter] = node;
        if self.error.is_none() && self.wait_cycle_from(waiter).is_some() {
            // Checked again once the event is over (see `run_until`).
            self.suspect = waiter;
            self.error = Some(RunError::Deadlock {
                at: self.now,
                nodes: Vec::new(),
            });
        }
    }

    /// The cycle of waits through `start`, if its waits lead back to it
    /// within [`MAX_CYCLE`] steps: the nodes in order, each waiting on the
    /// next.
    fn wait_cycle_from(&self, start: NodeIx) -> Option<Vec<NodeIx>> {
        let limit = self.topo.len().min(MAX_CYCLE);
        let mut at = self.waiting_on[start];
        let mut len = 1;
        while at != NodeIx::NONE && len <= limit {
            if at == start {
                let mut cycle = Vec::with_capacity(len);
                let mut n = start;
                for _ in 0..len {
                    cycle.push(n);
                    n = self.waiting_on[n];
                }
                return Some(cycle);
            }
            at = self.waiting_on[at];
            len += 1;
        }
        None
    }

    /// Stops the run after the current event with `err` (the first error
    /// raised wins).
    pub(crate) fn stop_with(&mut self, err: RunError) {
        self.error.get_or_insert(err);
    }

    /// The deadlock a wait seen during the last event closed, if its cycle
    /// is still there and no fault of the scenario may yet change one of
    /// its nodes.
    fn deadlock(&self) -> Option<RunError> {
        let mut cycle = self.wait_cycle_from(self.suspect)?;
        let touched = self
            .faults
            .iter()
            .any(|f| f.end > self.now && cycle.contains(&f.node));
        if touched {
            return None;
        }
        // From the first node in model order, so the message is the same
        // whichever node closed the cycle.
        let first = (0..cycle.len()).min_by_key(|&i| cycle[i])?;
        cycle.rotate_left(first);
        Some(RunError::Deadlock {
            at: self.now,
            nodes: cycle.iter().map(|&n| self.topo[n].id.clone()).collect(),
        })
    }

    /// Sends `msg` from `from` along its data edges: the first matching
    /// edge carries the message itself, every further one a copy. Returns
    /// `false`, without sending anything, when a receiver is full and
    /// blocks; `from` is then woken when room appears. A node with no
    /// matching edge: a topic drops the message, others complete it.
    #[inline(always)]
    pub(crate) fn send_out(&mut self, from: NodeIx, msg: MsgId) -> bool {
        if let Some(e) = self.topo[from].sole_out {
            // The common case: one edge, no copies.
            let edge = &self.edges[e];
            if !edge.passes(&self.msgs, msg) {
                let reason = self.unrouted_reason(from);
                self.drop_msg(from, msg, reason);
                return true;
            }
            let (to, kind, slot, latency) = (edge.to, edge.to_kind, edge.to_slot, edge.latency);
            if !self.accepts_at(to, kind, slot, msg) {
                self.add_waiter(to, from);
                return false;
            }
            self.transmit_at(e, to, kind, slot, latency, msg);
            return true;
        }
        let n_out = self.topo[from].out.len();
        let mut any = false;
        for k in 0..n_out {
            let e = self.topo[from].out[k];
            if !self.edge_matches(e, msg) {
                continue;
            }
            any = true;
            let to = self.edges[e].to;
            if !self.accepts(to, msg) {
                self.add_waiter(to, from);
                return false;
            }
        }
        if !any {
            match self.topo[from].kind {
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
            let e = self.topo[from].out[k];
            if !self.edge_matches(e, msg) {
                continue;
            }
            if first.is_none() {
                first = Some(e);
            } else {
                if self.stopping() {
                    // The run stops: more copies would only go on.
                    break;
                }
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
        if self.topo[node].kind == Kind::Router {
            DropReason::NoRoute
        } else {
            DropReason::NoSubscriber
        }
    }

    /// Puts `msg` on edge `e`: it arrives now, or after the edge's latency.
    #[inline(always)]
    pub(crate) fn transmit(&mut self, e: EdgeIx, msg: MsgId) {
        let edge = &self.edges[e];
        let (to, kind, slot, latency) = (edge.to, edge.to_kind, edge.to_slot, edge.latency);
        self.transmit_at(e, to, kind, slot, latency, msg);
    }

    /// [`Self::transmit`] along an edge whose receiver (`to`, of `kind`
    /// at `slot`) and latency are known.
    #[inline(always)]
    fn transmit_at(
        &mut self,
        e: EdgeIx,
        to: NodeIx,
        kind: Kind,
        slot: Slot,
        latency: Duration,
        msg: MsgId,
    ) {
        self.note_crossing(e, msg);
        if latency.is_zero() {
            if kind.relays() && self.depth >= MAX_DEPTH {
                // Deep in a chain of relays: the arrival runs as an event
                // of its own at this instant, on a fresh stack.
                self.schedule(self.now, Ev::Relay { node: to, msg });
                return;
            }
            self.arrive_at(to, kind, slot, msg);
            return;
        }
        let from = self.edges[e].from;
        self.journey_hop(msg, from, HopKind::Transit { to: to.0 });
        if kind == Kind::Queue {
            // Room is reserved now, so a blocking queue never overfills.
            self.queues[slot].reserved += 1;
        }
        let due = if self.edges[e].special {
            // Into a replicated broker, or along a link with faults.
            match self.special_due(e, to, msg) {
                Some(due) => due,
                None => return,
            }
        } else {
            self.now + latency
        };
        let line = &mut self.transit[e];
        line.push_back((due, msg));
        if line.len() == 1 {
            self.schedule(due, Ev::EdgeArrive(e));
        }
    }

    /// Counts `msg` crossing edge `e` and remembers it for the live view.
    #[inline(always)]
    pub(crate) fn note_crossing(&mut self, e: EdgeIx, msg: MsgId) {
        let carried = &mut self.carried[e];
        *carried += 1;
        let seq = *carried;
        if self.noting {
            self.note_crossing_more(e, msg, seq);
        }
    }

    /// What a crossing records beyond its count, when anything does (see
    /// [`Self::note_crossing`]): the sends again it carries for the
    /// report, and the crossing itself for the live view.
    #[inline(never)]
    fn note_crossing_more(&mut self, e: EdgeIx, msg: MsgId, seq: u64) {
        if let Some(resends) = &mut self.resends {
            let tally = &mut resends.tally[e];
            tally[0] += 1;
            tally[1] += u64::from(self.msgs.get(msg).resent());
        }
        if self.watching {
            let m = self.msgs.get(msg);
            self.recent[e][(seq % RECENT as u64) as usize] = Crossing {
                seq,
                at: self.now,
                lineage: m.lineage,
                event_type: m.event_type,
                attempts: m.attempts.max(m.receives),
                stale: false,
            };
            let stale = self.is_stale(msg);
            self.recent[e][(seq % RECENT as u64) as usize].stale = stale;
        }
    }

    fn edge_arrive(&mut self, e: EdgeIx) {
        let Some((due, msg)) = self.transit[e].pop_front() else {
            return;
        };
        if due > self.now {
            // A crash took the head this event was for (see
            // `durability`): this later head waits for its own event.
            self.transit[e].push_front((due, msg));
            return;
        }
        if let Some(&(due, _)) = self.transit[e].front() {
            self.schedule(due, Ev::EdgeArrive(e));
        }
        let to = self.edges[e].to;
        self.touch(to);
        let to_topo = &self.topo[to];
        if to_topo.kind == Kind::Queue {
            self.queues[to_topo.slot].reserved -= 1;
        }
        self.arrive(to, msg);
    }

    /// `msg` reaches `node`.
    #[inline(always)]
    pub(crate) fn arrive(&mut self, node: NodeIx, msg: MsgId) {
        let topo = &self.topo[node];
        self.arrive_at(node, topo.kind, topo.slot, msg);
    }

    /// [`Self::arrive`] at a node whose kind and slot are known.
    #[inline(always)]
    fn arrive_at(&mut self, node: NodeIx, kind: Kind, slot: Slot, msg: MsgId) {
        if self.journeys.is_some() {
            let hop = match kind {
                Kind::Topic | Kind::Router => HopKind::Route,
                _ => HopKind::Wait,
            };
            self.journey_hop(msg, node, hop);
        } else if kind == Kind::Sink && self.sinks[slot].is_instant() && !self.is_down(node) {
            // The journey ends here and now: nothing reads the arrival's
            // times.
            let stats = &mut self.stats[node];
            stats.arrived += 1;
            stats.departed += 1;
            self.note_order(node, msg);
            self.complete(node, msg);
            return;
        }
        {
            let m = self.msgs.get_mut(msg);
            m.node_in = self.now;
            m.wait_from = self.now;
            m.attempts = 0;
            m.origin = Origin::PUSHED;
        }
        self.stats[node].arrived += 1;
        match kind {
            Kind::Queue => self.queue_arrive(node, slot, msg),
            Kind::Topic => self.relay(node, msg, Self::topic_arrive),
            Kind::Consumer => self.consumer_arrive(node, msg),
            Kind::Router => self.relay(node, msg, Self::router_arrive),
            Kind::Service => {
                debug_assert!(false, "validation forbids pushing to a service");
                self.complete(node, msg);
            }
            Kind::Sink => self.sink_arrive(node, slot, msg),
            Kind::DeadLetter => self.dead_letter_arrive(node, msg),
            Kind::Log => self.log_arrive(node, msg),
            Kind::Cep => self.relay(node, msg, Self::cep_arrive),
            Kind::EventStore => self.store_arrive(node, msg),
            Kind::Projection => self.projection_arrive(node, msg),
            Kind::Producer => {
                debug_assert!(false, "validation forbids edges into producers");
                self.complete(node, msg);
            }
        }
    }

    /// A relay's arrival, one level deeper (see [`MAX_DEPTH`]).
    #[inline(never)]
    fn relay(&mut self, node: NodeIx, msg: MsgId, arrive: fn(&mut Self, NodeIx, MsgId)) {
        self.depth += 1;
        arrive(self, node, msg);
        self.depth -= 1;
    }

    /// Room appeared downstream of `node`: let it try again.
    pub(crate) fn wake(&mut self, node: NodeIx) {
        match self.topo[node].kind {
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
        if !self.waiters[node].is_empty() {
            self.wake_all(node);
        }
    }

    #[cold]
    fn wake_all(&mut self, node: NodeIx) {
        if self.depth >= MAX_DEPTH {
            // Deep in a chain of wakes: the rest wake in an event of their
            // own at this instant, on a fresh stack. They are as good as
            // woken: no longer waiting, for the deadlock check.
            for k in 0..self.waiters[node].len() {
                let w = self.waiters[node][k];
                if self.waiting_on[w] == node {
                    self.waiting_on[w] = NodeIx::NONE;
                }
            }
            self.schedule(self.now, Ev::WakeWaiters(node));
            return;
        }
        self.depth += 1;
        let waiting = std::mem::take(&mut self.waiters[node]);
        for w in waiting {
            if self.waiting_on[w] == node {
                self.waiting_on[w] = NodeIx::NONE;
            }
            self.touch(w);
            self.wake(w);
        }
        self.depth -= 1;
    }
}

#[cfg(all(test, debug_assertions))]
mod tests {
    use super::*;
    use crate::time::Duration;

    fn mm1() -> Simulation {
        let (model, problems) = crate::model::file::from_str(
            r#"(
                version: 1,
                name: "m",
                scenario: (duration: "10s"),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                    (id: "q", kind: Queue()),
                    (id: "srv", kind: Consumer(service: Exponential(mean: "5ms"))),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
            )"#,
        )
        .expect("model");
        assert!(problems.is_empty(), "{problems:?}");
        Simulation::new(&model, 1).expect("sim")
    }

    #[test]
    #[should_panic(expected = "in the past")]
    fn scheduling_in_the_past_is_refused() {
        let mut sim = mm1();
        sim.step(Duration::from_millis(1_000)).expect("runs");
        sim.schedule(SimTime(sim.now.as_nanos() - 1), Ev::WarmupEnd);
    }

    #[test]
    #[should_panic(expected = "conservation broken")]
    fn a_message_counted_nowhere_stops_the_run() {
        let mut sim = mm1();
        sim.step(Duration::from_millis(100)).expect("runs");
        // A message that came into being without a place to be.
        sim.totals.produced += 1;
        let _ = sim.step(Duration::from_millis(100));
    }

    /// Two routers sending every message to each other (the exits take a
    /// type nobody emits), the link between them with `latency`.
    fn ping_pong(latency: &str) -> Simulation {
        let text = r#"(
                version: 1,
                name: "m",
                scenario: (duration: "10s"),
                nodes: [
                    (id: "src", kind: Producer(arrival: Constant(rate: 1.0), events: [(name: "A", weight: 1.0)])),
                    (id: "ping", kind: Router()),
                    (id: "pong", kind: Router()),
                    (id: "out", kind: Sink()),
                ],
                edges: [
                    (from: "src", to: "ping"),
                    (from: "ping", to: "pong", filter: ["A"], latency: "LATENCY"),
                    (from: "ping", to: "out", filter: ["B"]),
                    (from: "pong", to: "ping", filter: ["A"]),
                    (from: "pong", to: "out", filter: ["B"]),
                ],
            )"#
        .replace("LATENCY", latency);
        let (model, _) = crate::model::file::from_str(&text).expect("model");
        Simulation::new(&model, 1).expect("sim")
    }

    #[test]
    fn an_instant_loop_stops_with_no_progress_naming_its_nodes() {
        // Validation refuses a loop without latency; the engine stops one
        // of its own accord. The loop's link loses its latency after
        // compiling.
        let mut sim = ping_pong("1ms");
        for edge in &mut sim.edges {
            edge.latency = Duration::ZERO;
        }
        let err = sim.run().expect_err("stops");
        let RunError::NoProgress { at, events, nodes } = &err else {
            panic!("stopped by {err}");
        };
        assert_eq!(*at, SimTime(1_000_000_000), "the first message, at 1 s");
        assert!(*events >= u64::from(STALL_CHECKS) * CHECK_EVERY, "{events}");
        let names: Vec<&str> = nodes.iter().map(|(id, _)| id.as_str()).collect();
        assert_eq!(names.len(), 2, "{nodes:?}");
        assert!(
            names.contains(&"ping") && names.contains(&"pong"),
            "{nodes:?}"
        );
        let text = err.to_string();
        for words in [
            "no progress",
            "without the clock moving",
            "'ping'",
            "'pong'",
            "latency",
        ] {
            assert!(text.contains(words), "{words:?} missing from {text}");
        }
    }

    #[test]
    fn a_loop_with_latency_makes_progress() {
        // The same loop with a millisecond on the way: a message circles
        // a thousand times a second, and the run goes to its end.
        let sim = ping_pong("1ms");
        let r = sim.run().expect("runs");
        assert!(r.conservation.balanced());
        assert_eq!(r.conservation.produced, 10);
    }

    #[test]
    fn a_run_keeps_every_message_accounted_for_after_each_event() {
        let mut sim = mm1();
        sim.step(Duration::from_millis(10_000)).expect("runs");
        assert!(sim.conserved());
        assert!(sim.events() > 1_000, "{} events", sim.events());
    }
}
