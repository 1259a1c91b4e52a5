//! The pattern gallery, bundled into the binary so it opens from any
//! directory.

/// What an example is about: the start page groups them by it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Theme {
    /// Queues, topics and logs: how brokers hold and hand out messages.
    Brokers,
    /// Failures and overload: retries, dead letters, crashes, breakers,
    /// backpressure.
    Resilience,
    /// Pipelines, event processing, event sourcing.
    Processing,
    /// Capacity that changes: autoscaling, serverless.
    Scaling,
}

impl Theme {
    /// Every theme, in the order the start page shows them.
    pub const ALL: [Self; 4] = [
        Self::Brokers,
        Self::Resilience,
        Self::Processing,
        Self::Scaling,
    ];

    /// The group's heading.
    pub fn title(self) -> &'static str {
        match self {
            Self::Brokers => "Brokers",
            Self::Resilience => "Resilience",
            Self::Processing => "Processing",
            Self::Scaling => "Scaling",
        }
    }

    /// A line under the heading.
    pub fn blurb(self) -> &'static str {
        match self {
            Self::Brokers => "Queues, topics and logs: how messages are held and handed out",
            Self::Resilience => {
                "Overload and failure: backpressure, retries, dead letters, crashes"
            }
            Self::Processing => "Pipelines, event processing, event sourcing and CQRS",
            Self::Scaling => "Capacity that follows the load, and what it costs",
        }
    }
}

/// A bundled example model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// The file name in `examples/`.
    pub file: &'static str,
    /// The start page's group.
    pub theme: Theme,
    pub text: &'static str,
}

/// Every bundled example, the default first.
pub const EXAMPLES: &[Example] = &[
    Example {
        file: "single-queue.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/single-queue.ron"),
    },
    Example {
        file: "pipeline.ron",
        theme: Theme::Processing,
        text: include_str!("../../examples/pipeline.ron"),
    },
    Example {
        file: "pubsub-fanout.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/pubsub-fanout.ron"),
    },
    Example {
        file: "backpressure.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/backpressure.ron"),
    },
    Example {
        file: "retries-dead-letter.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/retries-dead-letter.ron"),
    },
    Example {
        file: "delivery-guarantees.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/delivery-guarantees.ron"),
    },
    Example {
        file: "consumer-crash.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/consumer-crash.ron"),
    },
    Example {
        file: "flaky-workers.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/flaky-workers.ron"),
    },
    Example {
        file: "broker-failover.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/broker-failover.ron"),
    },
    Example {
        file: "region-outage.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/region-outage.ron"),
    },
    Example {
        file: "outbox-broker-outage.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/outbox-broker-outage.ron"),
    },
    Example {
        file: "fifo-groups.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/fifo-groups.ron"),
    },
    Example {
        file: "event-hubs-throttling.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/event-hubs-throttling.ron"),
    },
    Example {
        file: "pubsub-push-vs-pull.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/pubsub-push-vs-pull.ron"),
    },
    Example {
        file: "content-routing.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/content-routing.ron"),
    },
    Example {
        file: "autoscaling-oscillation.ron",
        theme: Theme::Scaling,
        text: include_str!("../../examples/autoscaling-oscillation.ron"),
    },
    Example {
        file: "circuit-breaker.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/circuit-breaker.ron"),
    },
    Example {
        file: "serverless-cold-starts.ron",
        theme: Theme::Scaling,
        text: include_str!("../../examples/serverless-cold-starts.ron"),
    },
    Example {
        file: "retry-storm.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/retry-storm.ron"),
    },
    Example {
        file: "metastable-retries.ron",
        theme: Theme::Resilience,
        text: include_str!("../../examples/metastable-retries.ron"),
    },
    Example {
        file: "kafka-consumer-lag.ron",
        theme: Theme::Brokers,
        text: include_str!("../../examples/kafka-consumer-lag.ron"),
    },
    Example {
        file: "simple-event-processing.ron",
        theme: Theme::Processing,
        text: include_str!("../../examples/simple-event-processing.ron"),
    },
    Example {
        file: "cep-fraud-detection.ron",
        theme: Theme::Processing,
        text: include_str!("../../examples/cep-fraud-detection.ron"),
    },
    Example {
        file: "event-sourcing-cqrs.ron",
        theme: Theme::Processing,
        text: include_str!("../../examples/event-sourcing-cqrs.ron"),
    },
    Example {
        file: "schema-rollout.ron",
        theme: Theme::Processing,
        text: include_str!("../../examples/schema-rollout.ron"),
    },
];

/// The example the app opens when given no file.
pub fn default_example() -> Example {
    EXAMPLES[0]
}
