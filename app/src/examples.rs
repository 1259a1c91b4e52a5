//! The pattern gallery, bundled into the binary so it opens from any
//! directory.

/// A bundled example model.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Example {
    /// The file name in `examples/`.
    pub file: &'static str,
    pub text: &'static str,
}

/// Every bundled example, the default first.
pub const EXAMPLES: &[Example] = &[
    Example {
        file: "single-queue.ron",
        text: include_str!("../../examples/single-queue.ron"),
    },
    Example {
        file: "pipeline.ron",
        text: include_str!("../../examples/pipeline.ron"),
    },
    Example {
        file: "pubsub-fanout.ron",
        text: include_str!("../../examples/pubsub-fanout.ron"),
    },
    Example {
        file: "backpressure.ron",
        text: include_str!("../../examples/backpressure.ron"),
    },
    Example {
        file: "retries-dead-letter.ron",
        text: include_str!("../../examples/retries-dead-letter.ron"),
    },
    Example {
        file: "delivery-guarantees.ron",
        text: include_str!("../../examples/delivery-guarantees.ron"),
    },
    Example {
        file: "consumer-crash.ron",
        text: include_str!("../../examples/consumer-crash.ron"),
    },
    Example {
        file: "content-routing.ron",
        text: include_str!("../../examples/content-routing.ron"),
    },
    Example {
        file: "autoscaling-oscillation.ron",
        text: include_str!("../../examples/autoscaling-oscillation.ron"),
    },
    Example {
        file: "circuit-breaker.ron",
        text: include_str!("../../examples/circuit-breaker.ron"),
    },
    Example {
        file: "serverless-cold-starts.ron",
        text: include_str!("../../examples/serverless-cold-starts.ron"),
    },
    Example {
        file: "retry-storm.ron",
        text: include_str!("../../examples/retry-storm.ron"),
    },
    Example {
        file: "kafka-consumer-lag.ron",
        text: include_str!("../../examples/kafka-consumer-lag.ron"),
    },
    Example {
        file: "simple-event-processing.ron",
        text: include_str!("../../examples/simple-event-processing.ron"),
    },
    Example {
        file: "cep-fraud-detection.ron",
        text: include_str!("../../examples/cep-fraud-detection.ron"),
    },
    Example {
        file: "event-sourcing-cqrs.ron",
        text: include_str!("../../examples/event-sourcing-cqrs.ron"),
    },
];

/// The example the app opens when given no file.
pub fn default_example() -> Example {
    EXAMPLES[0]
}
