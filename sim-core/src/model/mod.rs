//! The model: the document a user draws, saves and runs.
//!
//! In memory it is a petgraph [`StableGraph`] — indices stay valid through
//! deletions — of [`Node`]s and [`Edge`]s, plus a [`Scenario`]. On disk it
//! is a versioned RON file ([`file`]) with nodes and edges as lists keyed
//! by their string ids.

pub mod commands;
pub mod file;
pub mod origin;

pub use commands::{EditError, ModelCommand};

use petgraph::stable_graph::{EdgeIndex, NodeIndex, StableGraph};
use serde::{Deserialize, Serialize};

use crate::nodes::NodeKind;
use crate::time::Duration;

/// A node: a stable string id (used in files, reports and on the command
/// line), an optional display name, its kind with parameters, and where it
/// sits on the canvas.
#[derive(Clone, Debug, PartialEq)]
pub struct Node {
    pub id: String,
    pub name: Option<String>,
    pub kind: NodeKind,
    pub pos: Option<[f32; 2]>,
    /// The region (or zone: any failure domain) the node runs in; a
    /// region outage on the timeline takes down every node in it.
    pub region: Option<String>,
}

impl Node {
    pub fn new(id: impl Into<String>, kind: NodeKind) -> Self {
        Self {
            id: id.into(),
            name: None,
            kind,
            pos: None,
            region: None,
        }
    }

    /// The name to show: the display name, else the id.
    pub fn label(&self) -> &str {
        self.name.as_deref().unwrap_or(&self.id)
    }
}

/// A link between two nodes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Edge {
    /// A stable id; `None` means the default, `"from->to"`.
    pub id: Option<String>,
    /// Network latency on the link.
    pub latency: Option<Duration>,
    /// For a topic subscription or a router's route: the event types it
    /// accepts (`None`: all).
    pub filter: Option<Vec<String>>,
    /// For a router's route: its share when the router balances by weight
    /// (`None`: 1).
    pub weight: Option<f64>,
}

/// How a model is run: how long, from which seed, how many times.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// Simulated time per run.
    #[serde(default = "default_duration")]
    pub duration: Duration,
    /// Simulated time at the start whose statistics are discarded.
    /// `None` (no `warmup` in the file): found from the replications when
    /// they run ([`crate::warmup`]); `Some("0s")`: explicitly none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub warmup: Option<Duration>,
    /// The seed of the first replication; the others derive from it.
    #[serde(default = "default_seed")]
    pub seed: u64,
    /// Independent runs; with two or more, reports carry 95% confidence
    /// half-widths.
    #[serde(default = "default_replications", skip_serializing_if = "is_one")]
    pub replications: u32,
    /// A run stops with a diagnostic when more messages than this are
    /// alive at once: a guard against runaway models.
    #[serde(
        default = "default_max_in_flight",
        skip_serializing_if = "is_default_max_in_flight"
    )]
    pub max_in_flight: u64,
    /// The timeline: crashes, slow-downs and bursts at given times.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub faults: Vec<crate::faults::Fault>,
    /// Faults that strike at random, again and again (MTBF and MTTR).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub random_faults: Vec<crate::faults::RandomFault>,
    /// Whole regions going down at given times ([`crate::regions`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub region_outages: Vec<crate::regions::RegionOutage>,
}

const fn default_duration() -> Duration {
    Duration::from_secs(600)
}
const fn default_seed() -> u64 {
    1
}
const fn default_replications() -> u32 {
    1
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_one(v: &u32) -> bool {
    *v == 1
}
/// Enough for any sensible model; a million messages take about 100 MiB.
pub const DEFAULT_MAX_IN_FLIGHT: u64 = 1_000_000;
/// The highest `max_in_flight`: twenty million messages take about 2 GiB.
pub const MAX_IN_FLIGHT: u64 = 20_000_000;
/// The most replications a scenario (or a run) may ask for.
pub const MAX_REPLICATIONS: u32 = 100_000;
const fn default_max_in_flight() -> u64 {
    DEFAULT_MAX_IN_FLIGHT
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_default_max_in_flight(v: &u64) -> bool {
    *v == DEFAULT_MAX_IN_FLIGHT
}

impl Scenario {
    /// The warm-up a single run cuts: the one set, or none while it is
    /// still to be found (a live run, a pilot run).
    pub fn warmup_or_zero(&self) -> Duration {
        self.warmup.unwrap_or(Duration::ZERO)
    }
}

impl Default for Scenario {
    fn default() -> Self {
        Self {
            duration: default_duration(),
            warmup: None,
            seed: default_seed(),
            replications: 1,
            max_in_flight: DEFAULT_MAX_IN_FLIGHT,
            faults: Vec::new(),
            random_faults: Vec::new(),
            region_outages: Vec::new(),
        }
    }
}

/// The whole document.
#[derive(Clone, Debug, Default)]
pub struct Model {
    pub name: String,
    /// What the model shows, in a paragraph.
    pub description: String,
    pub scenario: Scenario,
    pub graph: StableGraph<Node, Edge>,
    /// Service level objectives: what the design must achieve.
    pub slos: Vec<crate::slo::Slo>,
    /// Named alternatives to the design: parameters changed on some of
    /// its nodes ([`Model::with_variant`]).
    pub variants: Vec<Variant>,
    /// Alerting rules over the nodes' time series ([`crate::alerts`]).
    pub alerts: Vec<crate::alerts::AlertRule>,
    /// For a model imported from AsyncAPI: what made each node, for
    /// importing again ([`origin`]).
    pub imported: Option<origin::Imported>,
}

/// A named alternative to a design, kept in the same file: some nodes
/// with other parameters (of the same kind).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Variant {
    pub name: String,
    /// What it changes and why, in a sentence.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub description: String,
    /// Nodes whose parameters it replaces, by id; each keeps its kind.
    pub nodes: Vec<VariantNode>,
}

/// One node's parameters in a variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VariantNode {
    pub id: String,
    pub kind: NodeKind,
}

/// Why a variant cannot be applied.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum VariantError {
    #[error("the model has no variant called '{name}'{}", list_names(known))]
    NoSuchVariant { name: String, known: Vec<String> },
    #[error("variant '{variant}' changes node '{id}', which the model does not have")]
    NoSuchNode { variant: String, id: String },
    #[error(
        "variant '{variant}' makes node '{id}' a {to}, but it is a {from}; a variant changes parameters, not kinds"
    )]
    KindChange {
        variant: String,
        id: String,
        from: &'static str,
        to: &'static str,
    },
}

fn list_names(known: &[String]) -> String {
    if known.is_empty() {
        " (it has none)".to_owned()
    } else {
        format!(" (it has: {})", known.join(", "))
    }
}

impl Model {
    /// The design with variant `name` applied: its nodes' parameters
    /// replaced, its name followed by the variant's, and no variants of
    /// its own.
    pub fn with_variant(&self, name: &str) -> Result<Self, VariantError> {
        let Some(variant) = self.variants.iter().find(|v| v.name == name) else {
            return Err(VariantError::NoSuchVariant {
                name: name.to_owned(),
                known: self.variants.iter().map(|v| v.name.clone()).collect(),
            });
        };
        let mut model = self.clone();
        model.variants.clear();
        model.name = format!("{} — {}", self.name, variant.name);
        for change in &variant.nodes {
            let Some(n) = model.find(&change.id) else {
                return Err(VariantError::NoSuchNode {
                    variant: variant.name.clone(),
                    id: change.id.clone(),
                });
            };
            let (from, to) = (model.graph[n].kind.kind(), change.kind.kind());
            if from != to {
                return Err(VariantError::KindChange {
                    variant: variant.name.clone(),
                    id: change.id.clone(),
                    from: from.label(),
                    to: to.label(),
                });
            }
            model.graph[n].kind = change.kind.clone();
        }
        Ok(model)
    }
}

impl Model {
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            ..Self::default()
        }
    }

    /// Adds a node and returns its index.
    pub fn add_node(&mut self, node: Node) -> NodeIndex {
        self.graph.add_node(node)
    }

    /// Adds an edge between two nodes.
    pub fn add_edge(&mut self, from: NodeIndex, to: NodeIndex, edge: Edge) -> EdgeIndex {
        self.graph.add_edge(from, to, edge)
    }

    /// The first node with this id.
    pub fn find(&self, id: &str) -> Option<NodeIndex> {
        self.graph.node_indices().find(|&n| self.graph[n].id == id)
    }

    /// The id of an edge: its own, or `"from->to"`.
    /// The edge whose id ([`Self::edge_id`]) is `id`, if any.
    pub fn edge_by_id(&self, id: &str) -> Option<EdgeIndex> {
        self.graph.edge_indices().find(|&e| self.edge_id(e) == id)
    }

    pub fn edge_id(&self, e: EdgeIndex) -> String {
        if let Some(id) = &self.graph[e].id {
            return id.clone();
        }
        match self.graph.edge_endpoints(e) {
            Some((a, b)) => default_edge_id(&self.graph[a].id, &self.graph[b].id),
            None => String::new(),
        }
    }

    /// Structural equality: same name, description, scenario,
    /// objectives, variants, alert rules, import record, and the same nodes and edges in
    /// the same order.
    pub fn same_as(&self, other: &Self) -> bool {
        let nodes = |m: &Self| {
            m.graph
                .node_indices()
                .map(|n| m.graph[n].clone())
                .collect::<Vec<_>>()
        };
        let edges = |m: &Self| {
            m.graph
                .edge_indices()
                .filter_map(|e| {
                    let (a, b) = m.graph.edge_endpoints(e)?;
                    Some((
                        m.graph[a].id.clone(),
                        m.graph[b].id.clone(),
                        m.graph[e].clone(),
                    ))
                })
                .collect::<Vec<_>>()
        };
        self.name == other.name
            && self.description == other.description
            && self.scenario == other.scenario
            && self.slos == other.slos
            && self.variants == other.variants
            && self.alerts == other.alerts
            && self.imported == other.imported
            && nodes(self) == nodes(other)
            && edges(self) == edges(other)
    }
}

/// The id an edge has when the file gives none.
pub fn default_edge_id(from: &str, to: &str) -> String {
    format!("{from}->{to}")
}
