//! The node kinds: one module each, holding the kind's parameters (as
//! written in model files), their checks, and the kind's behaviour in the
//! engine.

pub mod autoscale;
pub mod breaker;
pub mod cep;
pub mod consumer;
pub mod dead_letter;
pub mod event_store;
pub mod log;
pub mod producer;
pub mod projection;
pub mod queue;
pub mod router;
pub mod service;
pub mod sink;
pub mod topic;

use serde::{Deserialize, Serialize};

pub use autoscale::{AutoscaleParams, ScaleTarget};
pub use breaker::BreakerParams;
pub use cep::{CepParams, CepRule, Pattern, Window};
pub use consumer::{ConsumerParams, Delivery, Jitter, RetryPolicy};
pub use dead_letter::DeadLetterParams;
pub use event_store::{EventStoreParams, Replay};
pub use log::{LogParams, Partitioner};
pub use producer::{EventType, OnBlock, ProducerParams};
pub use projection::ProjectionParams;
pub use queue::{Overflow, QueueParams};
pub use router::{RouteMode, RouterParams};
pub use service::ServiceParams;
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
        match self {
            Self::Producer => "producer",
            Self::Queue => "queue",
            Self::Topic => "topic",
            Self::Consumer => "consumer",
            Self::Router => "router",
            Self::Service => "service",
            Self::Sink => "sink",
            Self::DeadLetter => "dead_letter",
            Self::Log => "log",
            Self::Cep => "cep",
            Self::EventStore => "event_store",
            Self::Projection => "projection",
        }
    }

    /// The name people read (`"dead-letter queue"`).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Producer => "producer",
            Self::Queue => "queue",
            Self::Topic => "topic",
            Self::Consumer => "consumer",
            Self::Router => "router",
            Self::Service => "service",
            Self::Sink => "sink",
            Self::DeadLetter => "dead-letter queue",
            Self::Log => "log",
            Self::Cep => "CEP node",
            Self::EventStore => "event store",
            Self::Projection => "projection",
        }
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

    /// A node of `kind` with sensible default parameters.
    pub fn default_for(kind: Kind) -> Self {
        match kind {
            Kind::Producer => Self::Producer(ProducerParams::default()),
            Kind::Queue => Self::Queue(QueueParams::default()),
            Kind::Topic => Self::Topic(TopicParams::default()),
            Kind::Consumer => Self::Consumer(ConsumerParams::default()),
            Kind::Router => Self::Router(RouterParams::default()),
            Kind::Service => Self::Service(ServiceParams::default()),
            Kind::Sink => Self::Sink(SinkParams::default()),
            Kind::DeadLetter => Self::DeadLetter(DeadLetterParams::default()),
            Kind::Log => Self::Log(LogParams::default()),
            Kind::Cep => Self::Cep(CepParams::default()),
            Kind::EventStore => Self::EventStore(EventStoreParams::default()),
            Kind::Projection => Self::Projection(ProjectionParams::default()),
        }
    }

    /// Problems with the parameters, as sentences; empty when valid.
    pub fn problems(&self) -> Vec<String> {
        match self {
            Self::Producer(p) => p.problems(),
            Self::Queue(p) => p.problems(),
            Self::Topic(_) => Vec::new(),
            Self::Consumer(p) => p.problems(),
            Self::Router(p) => p.problems(),
            Self::Service(p) => p.problems(),
            Self::Sink(p) => p.problems(),
            Self::DeadLetter(p) => p.problems(),
            Self::Log(p) => p.problems(),
            Self::Cep(p) => p.problems(),
            Self::EventStore(p) => p.problems(),
            Self::Projection(p) => p.problems(),
        }
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
