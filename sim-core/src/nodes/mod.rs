//! The node kinds: one module each, holding the kind's parameters (as
//! written in model files), their checks, and the kind's behaviour in the
//! engine.
//!
//! Everything about a kind lives in its module: the [`KindSpec`] facts
//! (names, checks, card summary, series, fitting faults, diagram shapes,
//! wiring rules) and, for the engine, the [`Runtime`] hooks (compiling,
//! what it holds, faults, warm-up, live changes, its report section, its
//! snapshot) and, for the exports, the
//! [`KindExport`](crate::export::KindExport) mapping (its AsyncAPI
//! channel, Terraform resources, Kafka topic, or why it has none). Code
//! that must treat every kind reaches them through
//! [`with_kind!`] and [`with_params!`], the one list of kinds besides the
//! enums below: adding a kind there makes the compiler name every trait
//! item it must fill in. The engine's hot paths (a message arriving, a
//! receiver's room, a wake-up, an event) match on [`Kind`] themselves.

/// Runs `$body` with the type `$P` naming the parameters of `$kind` (a
/// [`Kind`]).
macro_rules! with_kind {
    ($kind:expr, $P:ident => $body:expr) => {
        match $kind {
            $crate::nodes::Kind::Producer => {
                type $P = $crate::nodes::ProducerParams;
                $body
            }
            $crate::nodes::Kind::Queue => {
                type $P = $crate::nodes::QueueParams;
                $body
            }
            $crate::nodes::Kind::Topic => {
                type $P = $crate::nodes::TopicParams;
                $body
            }
            $crate::nodes::Kind::Consumer => {
                type $P = $crate::nodes::ConsumerParams;
                $body
            }
            $crate::nodes::Kind::Router => {
                type $P = $crate::nodes::RouterParams;
                $body
            }
            $crate::nodes::Kind::Service => {
                type $P = $crate::nodes::ServiceParams;
                $body
            }
            $crate::nodes::Kind::Sink => {
                type $P = $crate::nodes::SinkParams;
                $body
            }
            $crate::nodes::Kind::DeadLetter => {
                type $P = $crate::nodes::DeadLetterParams;
                $body
            }
            $crate::nodes::Kind::Log => {
                type $P = $crate::nodes::LogParams;
                $body
            }
            $crate::nodes::Kind::Cep => {
                type $P = $crate::nodes::CepParams;
                $body
            }
            $crate::nodes::Kind::EventStore => {
                type $P = $crate::nodes::EventStoreParams;
                $body
            }
            $crate::nodes::Kind::Projection => {
                type $P = $crate::nodes::ProjectionParams;
                $body
            }
        }
    };
}
pub(crate) use with_kind;

/// Runs `$body` with `$p` bound to the parameters inside `$node_kind` (a
/// [`NodeKind`] or a reference to one).
macro_rules! with_params {
    ($node_kind:expr, $p:ident => $body:expr) => {
        match $node_kind {
            $crate::nodes::NodeKind::Producer($p) => $body,
            $crate::nodes::NodeKind::Queue($p) => $body,
            $crate::nodes::NodeKind::Topic($p) => $body,
            $crate::nodes::NodeKind::Consumer($p) => $body,
            $crate::nodes::NodeKind::Router($p) => $body,
            $crate::nodes::NodeKind::Service($p) => $body,
            $crate::nodes::NodeKind::Sink($p) => $body,
            $crate::nodes::NodeKind::DeadLetter($p) => $body,
            $crate::nodes::NodeKind::Log($p) => $body,
            $crate::nodes::NodeKind::Cep($p) => $body,
            $crate::nodes::NodeKind::EventStore($p) => $body,
            $crate::nodes::NodeKind::Projection($p) => $body,
        }
    };
}
pub(crate) use with_params;

pub mod autoscale;
pub mod breaker;
pub mod cep;
pub mod client;
pub mod consumer;
pub mod dead_letter;
pub mod durability;
pub mod event_hubs;
pub mod event_store;
pub mod log;
pub mod outbox;
pub mod producer;
pub mod projection;
pub mod pubsub;
pub mod queue;
pub mod router;
pub mod service;
pub mod sink;
pub mod standby;
pub mod topic;
pub mod versions;

use serde::{Deserialize, Serialize};

use crate::engine::{Compile, NodeIx, NodeTopo, Simulation, Slot};
use crate::metrics::NodeStats;
use crate::report::Recorder;
use crate::series::Metric;
use crate::snapshot::Gauge;
use crate::time::SimTime;
pub use crate::validate::Wiring;

pub use autoscale::{AutoscaleParams, ScaleTarget};
pub use breaker::BreakerParams;
pub use cep::{CepParams, CepRule, Pattern, Window};
pub use client::{ClientParams, RetryBudget};
pub use consumer::{ConsumerParams, Delivery, Jitter, OnExpired, RetryPolicy};
pub use dead_letter::DeadLetterParams;
pub use event_store::{EventStoreParams, Replay};
pub use log::{LogParams, Partitioner};
pub use producer::{EventType, OnBlock, ProducerParams};
pub use projection::ProjectionParams;
pub use queue::{FifoGroups, Overflow, QueueParams, Shedding};
pub use router::{RouteMode, RouterParams};
pub use service::{Cancel, ServiceParams};
pub use sink::SinkParams;
pub use topic::TopicParams;

/// What a node is, with the parameters of its kind.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub enum NodeKind {
    Producer(ProducerParams),
    Queue(QueueParams),
    Topic(TopicParams),
    Consumer(ConsumerParams),
    Router(RouterParams),
    Service(ServiceParams),
    Sink(SinkParams),
    DeadLetter(DeadLetterParams),
    Log(LogParams),
    Cep(CepParams),
    EventStore(EventStoreParams),
    Projection(ProjectionParams),
}

/// A node kind without its parameters: for rules, labels and palettes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    Producer,
    Queue,
    Topic,
    Consumer,
    Router,
    Service,
    Sink,
    DeadLetter,
    Log,
    Cep,
    EventStore,
    Projection,
}

impl Kind {
    /// Whether the kind passes a message on within the instant it arrives
    /// (so a chain of them recurses; see `engine::MAX_DEPTH`).
    #[inline(always)]
    pub(crate) const fn relays(self) -> bool {
        matches!(self, Self::Topic | Self::Router | Self::Cep)
    }

    pub const ALL: [Self; 12] = [
        Self::Producer,
        Self::Queue,
        Self::Topic,
        Self::Consumer,
        Self::Router,
        Self::Service,
        Self::Sink,
        Self::DeadLetter,
        Self::Log,
        Self::Cep,
        Self::EventStore,
        Self::Projection,
    ];

    /// The lower-case name used in reports (`"dead_letter"`).
    pub const fn key(self) -> &'static str {
        with_kind!(self, P => P::KEY)
    }

    /// The name people read (`"dead-letter queue"`).
    pub const fn label(self) -> &'static str {
        with_kind!(self, P => P::LABEL)
    }

    /// The name of several (`"dead-letter queues"`).
    pub const fn plural(self) -> &'static str {
        with_kind!(self, P => P::PLURAL)
    }

    /// The time series a node of this kind records.
    pub const fn series(self) -> &'static [Metric] {
        with_kind!(self, P => P::SERIES)
    }

    /// What a node of this kind measures for objectives.
    pub const fn slo(self) -> SloFit {
        with_kind!(self, P => P::SLO)
    }

    /// The faults that can hit a node of this kind.
    pub const fn faults(self) -> FaultFit {
        with_kind!(self, P => P::FAULTS)
    }

    /// Whether a message reaching a node of this kind is processed there
    /// (a producer's events must reach one such node).
    pub const fn processes(self) -> bool {
        with_kind!(self, P => P::PROCESSES)
    }

    /// Graphviz shape and fill colour.
    pub const fn dot_style(self) -> (&'static str, &'static str) {
        with_kind!(self, P => P::DOT)
    }

    /// Mermaid's opening and closing brackets for the node's shape.
    pub const fn mermaid_shape(self) -> (&'static str, &'static str) {
        with_kind!(self, P => P::MERMAID)
    }

    /// What an edge from `self` to `to` means, or why there cannot be one.
    pub fn connect(self, to: Self) -> Result<EdgeRole, String> {
        use Kind::{
            Cep, Consumer, DeadLetter, EventStore, Log, Producer, Projection, Queue, Router,
            Service, Sink, Topic,
        };
        match (self, to) {
            (_, Producer) => {
                Err("nothing can send to a producer: it is where events start".to_owned())
            }
            // Event processing and event sourcing: a CEP node takes pushed
            // events and pushes derived ones; an event store takes appends
            // and pushes what it appended; a projection is fed by a store
            // and is the end of its flow.
            (EventStore, Projection)
            | (
                Cep | EventStore,
                Cep | EventStore | Queue | Topic | Log | Consumer | Sink | Router,
            )
            | (Producer | Topic | Consumer | Router, Cep | EventStore) => Ok(EdgeRole::Push),
            (_, Projection) => Err(
                "a projection is a read model fed by an event store: connect an event store to it"
                    .to_owned(),
            ),
            (Projection, _) => Err(
                "a projection is a read model at the end of its flow; it sends nothing on"
                    .to_owned(),
            ),
            (Cep | EventStore, DeadLetter) => Err(format!(
                "a {} has no failed messages to dead-letter",
                self.label()
            )),
            (Queue, Cep | EventStore) => Err(format!(
                "a queue is read by consumers: put a consumer between the queue and the {}",
                to.label()
            )),
            (Consumer, Service) => Ok(EdgeRole::Call),
            (_, Service) => Err("only a consumer calls a service".to_owned()),
            (Service, _) => {
                Err("a service answers the calls of consumers; it sends nothing on".to_owned())
            }
            (Sink | DeadLetter, _) => Err(format!(
                "a {} is the end of a flow and has no outputs",
                self.label()
            )),
            (Queue | Log, Consumer) => Ok(EdgeRole::Pull),
            (Log, _) => Err(
                "a log is read by consumers (each consumer is a consumer group); it keeps its \
                 records until the retention, so it has no dead-letter queue"
                    .to_owned(),
            ),
            (Queue | Consumer, DeadLetter) => Ok(EdgeRole::DeadLetter),
            (Producer | Topic | Router, DeadLetter) => Err(format!(
                "a {} has no failed messages to dead-letter; connect the dead-letter queue to a queue or consumer",
                self.label()
            )),
            (Queue, _) => Err(
                "a queue is read by consumers: connect it to a consumer (or a dead-letter queue)"
                    .to_owned(),
            ),
            (Topic, Topic) => Err(
                "a topic cannot subscribe to another topic; put a consumer between them".to_owned(),
            ),
            (
                Producer | Topic | Consumer | Router,
                Queue | Topic | Consumer | Sink | Router | Log,
            ) => Ok(EdgeRole::Push),
        }
    }
}

/// What every kind states about itself, implemented by its parameters.
pub trait KindSpec: Default + Into<NodeKind> + Variant {
    const KIND: Kind;
    /// The lower-case name used in reports.
    const KEY: &'static str;
    /// The name people read.
    const LABEL: &'static str;
    /// The name of several.
    const PLURAL: &'static str;
    /// The time series a node of this kind records.
    const SERIES: &'static [Metric];
    /// What it measures that a service level objective can be set on.
    const SLO: SloFit;
    /// The faults that can hit it.
    const FAULTS: FaultFit;
    /// Whether a message reaching it is processed there (a producer's
    /// events must reach such a node).
    const PROCESSES: bool;
    /// Graphviz shape and fill colour.
    const DOT: (&'static str, &'static str);
    /// Mermaid's brackets for its shape.
    const MERMAID: (&'static str, &'static str);

    /// Problems with the parameters, as sentences; empty when valid.
    fn problems(&self) -> Vec<String>;
    /// The main parameters in a few words each.
    fn summary(&self) -> Vec<String>;
    /// What bounds the work it can take, for the insights
    /// ([`crate::insights`]); empty when it does no work of its own or
    /// has no limit.
    fn limits(&self) -> Vec<crate::insights::Limit>;
    /// The event types it makes itself; `None` when it passes on what
    /// reaches it.
    fn emitted(&self) -> Option<Vec<String>>;
    /// Whether it passes a message on in the instant it arrives.
    fn instant(&self) -> bool;
    /// Diagnostics about how the node is connected.
    fn wiring(&self, w: &mut Wiring<'_>);
    /// Why changing a running node's parameters from `self` to `new`
    /// needs a restart; `None` when the change applies live.
    fn restart_reason(&self, new: &Self) -> Option<&'static str>;
    /// What the node is to queueing theory ([`crate::theory`]): a source
    /// of Poisson arrivals, a relay, a waiting line, servers, an end, or
    /// something no formula describes (with the reason).
    fn theory(&self) -> crate::theory::Role<'_>;
}

/// What the engine does with a node of each kind outside the hot path
/// (which matches on [`Kind`] in `engine.rs`).
pub(crate) trait Runtime: KindSpec {
    /// Adds the node's runtime state to its kind's vector in `sim`;
    /// returns its slot there.
    fn compile(&self, sim: &mut Simulation, cx: &mut Compile<'_>) -> usize;
    /// Applies these parameters to a running node, after
    /// [`KindSpec::restart_reason`] allowed the change.
    fn retune(&self, sim: &mut Simulation, node: NodeIx, slot: Slot);
    /// Messages the node holds now (for the runaway diagnostic).
    fn held(sim: &Simulation, node: NodeIx, slot: Slot) -> u64;
    /// A fault takes the node down.
    fn down(sim: &mut Simulation, node: NodeIx);
    /// The node is up again.
    fn up(sim: &mut Simulation, node: NodeIx);
    /// A slow-down fault multiplies its times by `factor`.
    fn slow(sim: &mut Simulation, node: NodeIx, slot: Slot, factor: f64);
    /// The warm-up ends: every node of the kind forgets its own
    /// measurements.
    fn reset(sim: &mut Simulation, now: SimTime);
    /// The kind's section of a node's report.
    fn report(sim: &Simulation, topo: &NodeTopo, st: &NodeStats, r: &mut Recorder<'_>);
    /// What the node holds now and its capacity, for a snapshot (setting
    /// the gauge's breaker, lag and partitions where the kind has them).
    fn gauge(sim: &Simulation, slot: Slot, st: &NodeStats, g: &mut Gauge) -> (u64, Option<u64>);
}

/// What a node of a kind measures that objectives ([`crate::slo`]) can be
/// set on, besides what every node has (throughput, losses, availability).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SloFit {
    /// Time waiting before service (`wait_s`).
    pub wait: bool,
    /// Time at the node (`sojourn_s`).
    pub sojourn: bool,
    /// Time from creation for messages whose journey ends well here
    /// (`end_to_end_s`).
    pub end_to_end: bool,
    /// A backlog in records: a queue's depth, a log's consumer lag.
    pub lag: bool,
    /// A log's lag in seconds: the age of the oldest uncommitted record.
    pub lag_time: bool,
    /// A projection's staleness.
    pub staleness: bool,
}

impl SloFit {
    /// Nothing beyond what every node has.
    pub const NONE: Self = Self {
        wait: false,
        sojourn: false,
        end_to_end: false,
        lag: false,
        lag_time: false,
        staleness: false,
    };
}

/// Which faults fit a kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FaultFit {
    pub crash: bool,
    pub slow: bool,
    pub burst: bool,
}

impl FaultFit {
    /// Crashes only.
    pub const CRASH: Self = Self {
        crash: true,
        slow: false,
        burst: false,
    };
    /// Crashes and slow-downs.
    pub const CRASH_SLOW: Self = Self {
        crash: true,
        slow: true,
        burst: false,
    };
}

impl std::fmt::Display for Kind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.label())
    }
}

/// How messages travel along an edge.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EdgeRole {
    /// The sender delivers (a producer publishing, a topic fanning out, a
    /// consumer emitting downstream).
    Push,
    /// The receiver pulls: consumers read from a queue when they have room.
    Pull,
    /// Failed or poison messages leave this way.
    DeadLetter,
    /// A consumer calls a service and waits for the answer.
    Call,
}

impl NodeKind {
    pub const fn kind(&self) -> Kind {
        match self {
            Self::Producer(_) => Kind::Producer,
            Self::Queue(_) => Kind::Queue,
            Self::Topic(_) => Kind::Topic,
            Self::Consumer(_) => Kind::Consumer,
            Self::Router(_) => Kind::Router,
            Self::Service(_) => Kind::Service,
            Self::Sink(_) => Kind::Sink,
            Self::DeadLetter(_) => Kind::DeadLetter,
            Self::Log(_) => Kind::Log,
            Self::Cep(_) => Kind::Cep,
            Self::EventStore(_) => Kind::EventStore,
            Self::Projection(_) => Kind::Projection,
        }
    }

    /// A broker's durability and replication, if it is a broker that has
    /// them.
    pub const fn durability(&self) -> Option<&durability::Durability> {
        match self {
            Self::Queue(p) => p.durability.as_ref(),
            Self::Topic(p) => p.durability.as_ref(),
            Self::Log(p) => p.durability.as_ref(),
            Self::EventStore(p) => p.durability.as_ref(),
            _ => None,
        }
    }

    /// A node of `kind` with sensible default parameters.
    pub fn default_for(kind: Kind) -> Self {
        with_kind!(kind, P => P::default().into())
    }

    /// Problems with the parameters, as sentences; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        with_params!(self, p => p.problems())
    }

    /// The main parameters in a few words each (card and diagram labels).
    pub fn summary(&self) -> Vec<String> {
        with_params!(self, p => p.summary())
    }

    /// What bounds the work the node can take ([`KindSpec::limits`]).
    pub fn limits(&self) -> Vec<crate::insights::Limit> {
        with_params!(self, p => p.limits())
    }

    /// The event types the node makes itself (a producer's, a CEP node's
    /// derived events); `None` for a node that passes on what reaches it.
    pub fn emitted(&self) -> Option<Vec<String>> {
        with_params!(self, p => p.emitted())
    }

    /// Whether the node passes a message on in the instant it arrives (a
    /// loop of such nodes with no link latency would never let time pass).
    pub fn instant(&self) -> bool {
        with_params!(self, p => p.instant())
    }
}

impl From<ProducerParams> for NodeKind {
    fn from(p: ProducerParams) -> Self {
        Self::Producer(p)
    }
}
impl From<QueueParams> for NodeKind {
    fn from(p: QueueParams) -> Self {
        Self::Queue(p)
    }
}
impl From<TopicParams> for NodeKind {
    fn from(p: TopicParams) -> Self {
        Self::Topic(p)
    }
}
impl From<ConsumerParams> for NodeKind {
    fn from(p: ConsumerParams) -> Self {
        Self::Consumer(p)
    }
}
impl From<RouterParams> for NodeKind {
    fn from(p: RouterParams) -> Self {
        Self::Router(p)
    }
}
impl From<ServiceParams> for NodeKind {
    fn from(p: ServiceParams) -> Self {
        Self::Service(p)
    }
}
impl From<SinkParams> for NodeKind {
    fn from(p: SinkParams) -> Self {
        Self::Sink(p)
    }
}
impl From<DeadLetterParams> for NodeKind {
    fn from(p: DeadLetterParams) -> Self {
        Self::DeadLetter(p)
    }
}
impl From<LogParams> for NodeKind {
    fn from(p: LogParams) -> Self {
        Self::Log(p)
    }
}
impl From<CepParams> for NodeKind {
    fn from(p: CepParams) -> Self {
        Self::Cep(p)
    }
}
impl From<EventStoreParams> for NodeKind {
    fn from(p: EventStoreParams) -> Self {
        Self::EventStore(p)
    }
}
impl From<ProjectionParams> for NodeKind {
    fn from(p: ProjectionParams) -> Self {
        Self::Projection(p)
    }
}

/// A kind's parameters found in a [`NodeKind`].
pub trait Variant: Sized {
    /// The parameters, when `kind` is of this kind.
    fn of(kind: &NodeKind) -> Option<&Self>;
}

impl Variant for ProducerParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Producer(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for QueueParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Queue(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for TopicParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Topic(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for ConsumerParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Consumer(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for RouterParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Router(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for ServiceParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Service(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for SinkParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Sink(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for DeadLetterParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::DeadLetter(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for LogParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Log(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for CepParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Cep(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for EventStoreParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::EventStore(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}
impl Variant for ProjectionParams {
    fn of(kind: &NodeKind) -> Option<&Self> {
        if let NodeKind::Projection(p) = kind {
            Some(p)
        } else {
            None
        }
    }
}

/// Why changing a running node's parameters from `old` to `new` needs a
/// restart; `None` when it applies live.
pub fn restart_reason(old: &NodeKind, new: &NodeKind) -> Option<&'static str> {
    fn same<'a, P: Variant>(old: &'a NodeKind, _: &P) -> Option<&'a P> {
        P::of(old)
    }
    with_params!(new, p => match same(old, p) {
        Some(old) => old.restart_reason(p),
        None => Some("its kind changed"),
    })
}

/// The ranges a model's numbers must lie in, checked by validation and
/// listed in `docs/model-format.md`. They are generous for real designs and
/// keep every run within memory: nothing is allocated per unit of a count
/// beyond these, and no single event does work in proportion to a number
/// larger than them.
pub mod limits {
    use crate::time::Duration;

    /// Events per second of any rate (arrivals, rate limits, replays): time
    /// is counted in nanoseconds, so a faster rate has no gap to space its
    /// events with.
    pub const MAX_RATE: f64 = 1e9;
    /// Any duration in a model: a year.
    pub const MAX_DURATION: Duration = Duration::from_secs(365 * 24 * 3600);
    /// A consumer's instances (and its autoscaler's maximum).
    pub const MAX_INSTANCES: u32 = 10_000;
    /// Messages one instance (or a projection, a sink, a service, a
    /// serverless function) works on at once.
    pub const MAX_CONCURRENCY: u32 = 100_000;
    /// A consumer's instances × concurrency: a log keeps a slot per member
    /// of each consumer group.
    pub const MAX_SLOTS: u64 = 1_000_000;
    /// Copies a split router makes of each message.
    pub const MAX_SPLIT_PARTS: u32 = 1_000;
    /// Phases of an Erlang distribution: each draw sums that many.
    pub const MAX_ERLANG_PHASES: u32 = 1_000;
    /// Capacities of queues and dead-letter queues, and a producer's limit.
    pub const MAX_CAPACITY: u64 = 1_000_000_000_000;
    /// Attempts and receives of one message.
    pub const MAX_ATTEMPTS: u32 = 10_000;
    /// A circuit breaker's window of calls (it remembers each), its minimum
    /// calls and probes.
    pub const MAX_BREAKER_WINDOW: u32 = 100_000;
    /// Keys a CEP node keeps state for at once.
    pub const MAX_CEP_KEYS: u32 = 1_000_000;
    /// A CEP count rule's threshold.
    pub const MAX_CEP_COUNT: u32 = 1_000_000;
    /// Weights of event types and routes, and relative numbers like a
    /// backlog per instance.
    pub const MAX_WEIGHT: f64 = 1e9;
    /// Multipliers: slow-down and burst factors, the backoff multiplier.
    pub const MAX_FACTOR: f64 = 1_000.0;
    /// The coefficient of variation of a log-normal distribution.
    pub const MAX_CV: f64 = 100.0;
    /// The shortest autoscaling interval: each interval is an event.
    pub const MIN_AUTOSCALE_INTERVAL: Duration = Duration::from_millis(1);
    /// The shortest on or off period of a bursty producer.
    pub const MIN_BURST_PERIOD: Duration = Duration::from_micros(1);
    /// How far from the origin a node may sit on the canvas.
    pub const MAX_POSITION: f32 = 1_000_000.0;
}

/// Adds a sentence when `value` is above `max` (a value that is not a
/// number is left to the check of the lower bound, which names it).
pub(crate) fn check_at_most<T: PartialOrd + std::fmt::Display + Copy>(
    name: &str,
    value: T,
    max: T,
    out: &mut Vec<String>,
) {
    if value > max {
        out.push(format!("{name} must be at most {max} (found {value})"));
    }
}

/// Adds a sentence when a rate (events per second) is above
/// [`limits::MAX_RATE`].
pub(crate) fn check_rate(name: &str, rate: f64, out: &mut Vec<String>) {
    if rate.is_finite() && rate > limits::MAX_RATE {
        out.push(format!(
            "{name} must be at most {} per second (found {rate}): time is counted in nanoseconds",
            limits::MAX_RATE
        ));
    }
}

/// Checks an optional concurrency limit (a service's or a sink's): at
/// least 1 when given, and within [`limits::MAX_CONCURRENCY`].
pub(crate) fn check_optional_concurrency(concurrency: Option<u32>, out: &mut Vec<String>) {
    if concurrency == Some(0) {
        out.push("concurrency must be at least 1 (leave it out for no limit)".to_owned());
    }
    if let Some(concurrency) = concurrency {
        check_at_most("concurrency", concurrency, limits::MAX_CONCURRENCY, out);
    }
}

/// Adds a sentence for each duration above [`limits::MAX_DURATION`].
pub(crate) fn check_durations(durations: &[(&str, crate::time::Duration)], out: &mut Vec<String>) {
    for &(name, d) in durations {
        check_at_most(name, d, limits::MAX_DURATION, out);
    }
}

/// Checks a probability in [0, 1].
pub(crate) fn check_probability(name: &str, p: f64, out: &mut Vec<String>) {
    if !(0.0..=1.0).contains(&p) {
        out.push(format!("the {name} must be between 0 and 1 (found {p})"));
    }
}

/// Serde helper: skip a field equal to its type's default.
pub(crate) fn is_default<T: Default + PartialEq>(v: &T) -> bool {
    *v == T::default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::time::Duration;

    #[test]
    fn range_checks_name_the_field_the_bound_and_the_value() {
        let mut out = Vec::new();
        check_at_most("instances", 10_001, limits::MAX_INSTANCES, &mut out);
        check_at_most("instances", 10_000, limits::MAX_INSTANCES, &mut out);
        // Not a number: left to the lower bound's check, which names it.
        check_at_most("cv", f64::NAN, limits::MAX_CV, &mut out);
        check_rate("the rate", 2e9, &mut out);
        check_rate("the rate", f64::INFINITY, &mut out);
        check_durations(
            &[
                ("the delay", limits::MAX_DURATION),
                ("the wait", Duration::from_secs(366 * 24 * 3600)),
            ],
            &mut out,
        );
        assert_eq!(
            out,
            [
                "instances must be at most 10000 (found 10001)",
                "the rate must be at most 1000000000 per second (found 2000000000): time is counted in nanoseconds",
                "the wait must be at most 8760h (found 8784h)",
            ]
        );
    }

    #[test]
    fn every_kind_s_defaults_are_within_range() {
        for kind in Kind::ALL {
            assert_eq!(
                NodeKind::default_for(kind).problems(),
                Vec::<String>::new(),
                "{kind}"
            );
        }
    }
}
