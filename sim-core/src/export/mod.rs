//! Exports: the same model as other tools read it, and a run's report as
//! data. Every exporter is a pure function from a model (or a report) to
//! text; writing files is the caller's business.
//!
//! | format | what | module |
//! | --- | --- | --- |
//! | `asyncapi`, `asyncapi-json` | AsyncAPI 3.0, YAML or JSON; also read back by [`asyncapi::import`] | [`asyncapi`] |
//! | `dot` | a Graphviz diagram | [`dot`] |
//! | `mermaid` | a Mermaid flowchart; also read back by [`mermaid::from_mermaid`] | [`mermaid`] |
//! | `terraform` | the AWS shape of the model (SQS, SNS, Lambda) | [`terraform`] |
//! | `terraform-azure` | the Azure shape of the model (Service Bus, Event Hubs) | [`azure`] |
//! | `terraform-gcp` | the Google Cloud shape of the model (Pub/Sub topics and subscriptions) | [`gcp`] |
//! | `kafka` | Kafka topic definitions for the model's logs (`kafka-topics.sh` lines) | [`kafka`] |
//! | `prometheus-rules` | the model's alerting rules as a Prometheus rules file | [`prometheus`] |
//! | `json` | the run report ([`Report::to_json`]) | — |
//! | `csv` | one row of summary metrics per node | [`csv`] |
//! | `chrome-trace` | sampled message journeys as Chrome trace events (Perfetto) | [`trace`] |
//! | `otlp` | sampled message journeys as OpenTelemetry OTLP/JSON spans | [`trace`] |
//!
//! ```
//! use sim_core::export::{Format, export};
//! use sim_core::model::file;
//!
//! let (model, _) = file::from_str(r#"(
//!     version: 1,
//!     name: "M/M/1",
//!     nodes: [
//!         (id: "orders", kind: Producer(arrival: Poisson(rate: 50.0))),
//!         (id: "inbox", kind: Queue()),
//!         (id: "worker", kind: Consumer(service: Exponential(mean: "10ms"))),
//!     ],
//!     edges: [(from: "orders", to: "inbox"), (from: "inbox", to: "worker")],
//! )"#)?;
//! let dot = export(&model, Format::Dot)?;
//! assert!(dot.contains("\"orders\" -> \"inbox\""));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

pub mod asyncapi;
pub mod azure;
pub mod csv;
pub mod dot;
pub mod gcp;
pub mod kafka;
mod kind;
pub mod mermaid;
pub mod prometheus;
pub mod terraform;
pub mod trace;

use std::fmt;
use std::str::FromStr;

use petgraph::stable_graph::{EdgeIndex, NodeIndex};

use crate::dist::{Arrival, Dist};
use crate::journey::Trace;
use crate::model::Model;
use crate::nodes::{EdgeRole, RetryPolicy};
use crate::report::{Report, RunResult};
use crate::time::Duration;

pub(crate) use kind::KindExport;

/// An export format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Format {
    /// AsyncAPI 3.0 as YAML.
    AsyncApi,
    /// AsyncAPI 3.0 as JSON.
    AsyncApiJson,
    /// Graphviz DOT.
    Dot,
    /// Mermaid flowchart text.
    Mermaid,
    /// The run report as JSON.
    Json,
    /// The run report as CSV, one row per node.
    Csv,
    /// Terraform (HCL) for the AWS shape of the model.
    Terraform,
    /// Terraform (HCL) for the Azure shape of the model: Service Bus and
    /// Event Hubs.
    TerraformAzure,
    /// Terraform (HCL) for the Google Cloud shape of the model: Pub/Sub.
    TerraformGcp,
    /// Kafka topic definitions (a shell script of `kafka-topics.sh`).
    Kafka,
    /// Sampled message journeys as Chrome trace-event JSON.
    ChromeTrace,
    /// Sampled message journeys as OpenTelemetry OTLP/JSON.
    Otlp,
    /// One run's time series as CSV: `sim_time_s,node,metric,value`.
    Series,
    /// The model's alerting rules as a Prometheus rules file (YAML).
    PrometheusRules,
}

impl Format {
    pub const ALL: [Self; 14] = [
        Self::AsyncApi,
        Self::AsyncApiJson,
        Self::Dot,
        Self::Mermaid,
        Self::Json,
        Self::Csv,
        Self::Terraform,
        Self::TerraformAzure,
        Self::TerraformGcp,
        Self::ChromeTrace,
        Self::Otlp,
        Self::Kafka,
        Self::PrometheusRules,
        Self::Series,
    ];

    /// The name on the command line (`--format asyncapi-json`).
    pub const fn name(self) -> &'static str {
        match self {
            Self::AsyncApi => "asyncapi",
            Self::AsyncApiJson => "asyncapi-json",
            Self::Dot => "dot",
            Self::Mermaid => "mermaid",
            Self::Json => "json",
            Self::Csv => "csv",
            Self::Terraform => "terraform",
            Self::TerraformAzure => "terraform-azure",
            Self::TerraformGcp => "terraform-gcp",
            Self::ChromeTrace => "chrome-trace",
            Self::Otlp => "otlp",
            Self::Series => "series",
            Self::Kafka => "kafka",
            Self::PrometheusRules => "prometheus-rules",
        }
    }

    /// The usual file name ending, without the dot.
    pub const fn extension(self) -> &'static str {
        match self {
            Self::AsyncApi => "asyncapi.yaml",
            Self::AsyncApiJson => "asyncapi.json",
            Self::Dot => "dot",
            Self::Mermaid => "mmd",
            Self::Json => "report.json",
            Self::Csv => "csv",
            Self::Terraform => "tf",
            Self::TerraformAzure => "azure.tf",
            Self::TerraformGcp => "gcp.tf",
            Self::ChromeTrace => "trace.json",
            Self::Otlp => "otlp.json",
            Self::Series => "series.csv",
            Self::Kafka => "kafka-topics.sh",
            Self::PrometheusRules => "rules.yml",
        }
    }

    /// Whether the format describes a run's results (so the model must be
    /// run first, and [`export_report`] does the export).
    pub const fn needs_report(self) -> bool {
        matches!(self, Self::Json | Self::Csv)
    }

    /// Whether the format describes sampled message journeys (so the model
    /// must be run with recording on, and [`export_trace`] does the export).
    pub const fn needs_trace(self) -> bool {
        matches!(self, Self::ChromeTrace | Self::Otlp)
    }

    /// Whether the format describes one run as it went (so the model must
    /// be run once, and [`export_run`] does the export).
    pub const fn needs_run(self) -> bool {
        matches!(self, Self::Series)
    }
}

impl fmt::Display for Format {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Format {
    type Err = String;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        Self::ALL
            .into_iter()
            .find(|f| f.name() == text)
            .ok_or_else(|| {
                let names: Vec<&str> = Self::ALL.iter().map(|f| f.name()).collect();
                format!(
                    "unknown export format '{text}'; expected one of: {}",
                    names.join(", ")
                )
            })
    }
}

/// Why an export failed.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ExportError {
    #[error("the {0} export describes a run: run the model and export its report (export_report)")]
    NeedsReport(Format),
    #[error("the {0} export describes a model, not a report")]
    NotAReport(Format),
    #[error("the {0} export describes message journeys: record them and use export_trace")]
    NeedsTrace(Format),
    #[error("the {0} export is not a trace format")]
    NotATrace(Format),
    #[error("the {0} export describes one run: run the model once and use export_run")]
    NeedsRun(Format),
    #[error("the {0} export does not describe one run")]
    NotARun(Format),
    #[error("could not write {format}: {message}")]
    Encode { format: Format, message: String },
}

/// Exports a model. The report formats (`json`, `csv`) need a run: use
/// [`export_report`] for them.
pub fn export(model: &Model, format: Format) -> Result<String, ExportError> {
    match format {
        Format::AsyncApi => asyncapi::to_yaml(model),
        Format::AsyncApiJson => asyncapi::to_json(model),
        Format::Dot => Ok(dot::to_dot(model)),
        Format::Mermaid => Ok(mermaid::to_mermaid(model)),
        Format::Terraform => Ok(terraform::to_terraform(model)),
        Format::TerraformAzure => Ok(azure::to_azure(model)),
        Format::TerraformGcp => Ok(gcp::to_gcp(model)),
        Format::Kafka => Ok(kafka::to_kafka(model)),
        Format::PrometheusRules => Ok(prometheus::to_rules(model)),
        Format::Json | Format::Csv => Err(ExportError::NeedsReport(format)),
        Format::ChromeTrace | Format::Otlp => Err(ExportError::NeedsTrace(format)),
        Format::Series => Err(ExportError::NeedsRun(format)),
    }
}

/// Exports a run's report as JSON or CSV.
pub fn export_report(report: &Report, format: Format) -> Result<String, ExportError> {
    match format {
        Format::Json => Ok(report.to_json_string()),
        Format::Csv => csv::to_csv(report),
        Format::AsyncApi
        | Format::AsyncApiJson
        | Format::Dot
        | Format::Mermaid
        | Format::Terraform
        | Format::TerraformAzure
        | Format::TerraformGcp
        | Format::Kafka
        | Format::PrometheusRules
        | Format::ChromeTrace
        | Format::Otlp
        | Format::Series => Err(ExportError::NotAReport(format)),
    }
}

/// Exports recorded message journeys ([`crate::journey::record`]) as a
/// Chrome trace or OTLP/JSON.
pub fn export_trace(trace: &Trace, format: Format) -> Result<String, ExportError> {
    match format {
        Format::ChromeTrace => Ok(trace::to_chrome(trace)),
        Format::Otlp => Ok(trace::to_otlp(trace)),
        _ => Err(ExportError::NotATrace(format)),
    }
}

/// Exports one run's time series ([`RunResult::series`]) as CSV.
pub fn export_run(run: &RunResult, format: Format) -> Result<String, ExportError> {
    match format {
        Format::Series => Ok(run.series.to_csv()),
        _ => Err(ExportError::NotARun(format)),
    }
}

/// A retention in whole milliseconds (Kafka's `retention.ms`), rounded up.
pub(crate) fn retention_ms(d: Duration) -> u64 {
    d.0.div_ceil(1_000_000)
}

/// The dead-letter queue a node's dead-letter edge leads to.
pub(crate) fn dead_letter_of(model: &Model, n: NodeIndex) -> Option<NodeIndex> {
    model
        .graph
        .edges_directed(n, petgraph::Direction::Outgoing)
        .map(|e| petgraph::visit::EdgeRef::id(&e))
        .find(|&e| edge_role(model, e) == Some(EdgeRole::DeadLetter))
        .and_then(|e| model.graph.edge_endpoints(e))
        .map(|(_, b)| b)
}

/// What an edge means, by the kinds at its ends (`None` for a pair that
/// cannot be connected; validation reports those).
pub(crate) fn edge_role(model: &Model, e: EdgeIndex) -> Option<EdgeRole> {
    let (a, b) = model.graph.edge_endpoints(e)?;
    model.graph[a]
        .kind
        .kind()
        .connect(model.graph[b].kind.kind())
        .ok()
}

/// A CEP pattern in a few words.
pub(crate) fn pattern_text(pattern: &crate::nodes::Pattern) -> String {
    use crate::nodes::{Pattern, Window};
    match pattern {
        Pattern::Count {
            event,
            at_least,
            window,
        } => {
            let what = event.as_deref().unwrap_or("events");
            let window = match window {
                Window::Tumbling { size } => format!("per tumbling {size}"),
                Window::Sliding { size } => format!("within {size}"),
                Window::Session { gap } => format!("per session (gap {gap})"),
            };
            format!("≥{at_least} {what} {window}")
        }
        Pattern::FollowedBy {
            first,
            then,
            within,
        } => format!("{first} then {then} within {within}"),
        Pattern::NotFollowedBy {
            first,
            then,
            within,
        } => format!("{first} without {then} within {within}"),
    }
}

/// A retry policy in a few words (`None` for no retries).
pub(crate) fn retry_text(retry: &RetryPolicy) -> Option<String> {
    match retry {
        RetryPolicy::None => None,
        RetryPolicy::Immediate { max_attempts } => Some(attempts("retry at once", *max_attempts)),
        RetryPolicy::Fixed {
            delay,
            max_attempts,
        } => Some(attempts(&format!("retry after {delay}"), *max_attempts)),
        RetryPolicy::Exponential {
            initial,
            max_delay,
            max_attempts,
            ..
        } => Some(attempts(
            &format!("backoff {initial}..{max_delay}"),
            *max_attempts,
        )),
    }
}

fn attempts(what: &str, max_attempts: Option<u32>) -> String {
    match max_attempts {
        Some(n) => format!("{what}, ≤{n} attempts"),
        None => what.to_owned(),
    }
}

pub(crate) fn arrival_text(arrival: &Arrival) -> String {
    match arrival {
        Arrival::Constant { rate } => format!("constant {rate}/s"),
        Arrival::Poisson { rate } => format!("Poisson {rate}/s"),
        Arrival::Bursty { rate, on, off, .. } => format!("bursts {rate}/s ({on} on, {off} off)"),
        Arrival::Ramp { from, to, over } => format!("ramp {from}→{to}/s over {over}"),
    }
}

pub(crate) fn dist_text(dist: &Dist) -> String {
    match dist {
        Dist::Constant(d) => format!("{d}"),
        Dist::Exponential { mean } => format!("exp. mean {mean}"),
        Dist::Uniform { min, max } => format!("{min}..{max}"),
        Dist::LogNormal { mean, cv } => format!("log-normal {mean}, cv {cv}"),
        Dist::Erlang { k, mean } => format!("Erlang-{k} mean {mean}"),
        Dist::Gamma { mean, cv } => format!("gamma {mean}, cv {cv}"),
        Dist::Empirical { .. } => format!("empirical mean {}", dist.mean()),
    }
}

/// A line describing an edge's link parameters (latency, filter), if any.
pub(crate) fn edge_text(model: &Model, e: EdgeIndex) -> Option<String> {
    let edge = &model.graph[e];
    let mut parts = Vec::new();
    if let Some(filter) = &edge.filter {
        parts.push(filter.join(", "));
    }
    if let Some(latency) = edge.latency {
        parts.push(format!("+{latency}"));
    }
    (!parts.is_empty()).then(|| parts.join(" "))
}
