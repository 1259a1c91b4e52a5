//! Queueing theory beside the simulation: the formulas, and which of a
//! model's nodes they describe.
//!
//! A *station* is a consumer with what it reads: a queue in front of it,
//! or its own inbox when messages are pushed to it. [`analyse`] finds every
//! consumer, flows the producers' Poisson rates through the graph (topics
//! copy, routers split by event type or weight, retries feed back) and
//! gives each station the formula its assumptions allow — M/M/c (Erlang
//! C), M/M/c/K, M/G/1 (Pollaczek–Khinchine, M/D/1 as its special case),
//! Erlang B for a serverless function without a queue; chains of
//! exponential stations are a Jackson network, each station on its own —
//! or, when an assumption fails, the sentence that says which. It is
//! conservative: a formula is shown only when every assumption it rests
//! on holds in the engine's behaviour.
//!
//! What each kind is to the analysis is its [`KindSpec::theory`] hook
//! ([`Role`]); the rest of this module treats every kind alike.
//!
//! [`KindSpec::theory`]: crate::nodes::KindSpec::theory

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::EdgeRef as _;

use crate::dist::Dist;
use crate::model::Model;
use crate::nodes::{EdgeRole, Kind, KindSpec as _, Overflow, RouteMode};
use serde_json::{Map, Value};

use crate::report::{Metric, MetricFold, RunResult, number};
use crate::time::Duration;

// ---- the formulas ----

/// Erlang B: the probability that an arrival finds all `c` servers busy
/// in a loss system offered `a` = λ/μ Erlangs. Computed by the recurrence
/// B(k) = a·B(k−1) / (k + a·B(k−1)), which never overflows.
pub fn erlang_b(c: u32, a: f64) -> f64 {
    (1..=c).fold(1.0, |b, k| a * b / (f64::from(k) + a * b))
}

/// Erlang C: the probability that an arrival waits in M/M/c offered `a`
/// Erlangs (`a < c`), from Erlang B: C = B / (1 − ρ(1 − B)).
pub fn erlang_c(c: u32, a: f64) -> f64 {
    let b = erlang_b(c, a);
    let rho = a / f64::from(c);
    b / (1.0 - rho * (1.0 - b))
}

/// A station's steady state: arrival rate λ (per second, offered), server
/// utilisation ρ, mean number in the system L and in the queue Lq, mean
/// time in the system W and in the queue Wq (seconds, of an accepted
/// message), and the share of arrivals turned away, where some are.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Values {
    pub lambda: f64,
    pub rho: f64,
    pub l: f64,
    pub lq: f64,
    pub w: f64,
    pub wq: f64,
    pub p_block: Option<f64>,
}

/// A station with unbounded room from its mean wait: W = Wq + service,
/// and Little's law for L and Lq.
fn unbounded(lambda: f64, rho: f64, wq: f64, mean_s: f64) -> Values {
    let w = wq + mean_s;
    Values {
        lambda,
        rho,
        l: lambda * w,
        lq: lambda * wq,
        w,
        wq,
        p_block: None,
    }
}

/// Why a station with unbounded room has no steady state.
fn unstable(rho: f64) -> String {
    format!("ρ = {rho:.2} ≥ 1: the queue grows without bound; there is no steady state")
}

/// M/M/c: Poisson arrivals at `lambda`/s, `c` servers with exponential
/// service of mean `mean_s` seconds, unbounded room.
pub fn mmc(lambda: f64, mean_s: f64, c: u32) -> Result<Values, String> {
    let a = lambda * mean_s;
    let rho = a / f64::from(c);
    if rho >= 1.0 {
        return Err(unstable(rho));
    }
    let wq = erlang_c(c, a) * mean_s / (f64::from(c) * (1.0 - rho));
    Ok(unbounded(lambda, rho, wq, mean_s))
}

/// M/M/c/K: as [`mmc`] with room for `k` ≥ `c` messages in all (in
/// service and waiting); an arrival that finds `k` is turned away. Stable
/// for any load. Computed relative to the probability of `c` in the
/// system, with the head of the distribution through Erlang B and its
/// tail as geometric sums, so neither factorials nor large `k` overflow.
pub fn mmck(lambda: f64, mean_s: f64, c: u32, k: u64) -> Values {
    let a = lambda * mean_s;
    let rho = a / f64::from(c);
    #[expect(clippy::cast_precision_loss, reason = "capacities are far below 2^52")]
    let m = k.saturating_sub(u64::from(c)) as f64;
    // Relative to P(c): the states 0..=c sum to 1/B(c, a); state c + j is
    // ρ^j. `g` = Σ ρ^j and `h` = Σ j·ρ^j over j = 1..=m, and `top` = ρ^m,
    // each divided by ρ^m when ρ > 1 (then the head is scaled likewise).
    let head = 1.0 / erlang_b(c, a);
    let (head, g, h, top) = if (rho - 1.0).abs() < 1e-12 {
        (head, m, m * (m + 1.0) / 2.0, 1.0)
    } else if rho < 1.0 {
        let rm = rho.powf(m);
        let g = rho * (1.0 - rm) / (1.0 - rho);
        let h = rho * (1.0 - (m + 1.0) * rm + m * rm * rho) / ((1.0 - rho) * (1.0 - rho));
        (head, g, h, rm)
    } else {
        let s = 1.0 / rho;
        let sm = s.powf(m);
        let g = (1.0 - sm) / (1.0 - s);
        // Σ_{i=0}^{m−1} (m − i)·s^i
        let si = s * (1.0 - m * s.powf(m - 1.0) + (m - 1.0) * sm) / ((1.0 - s) * (1.0 - s));
        (head * sm, g, m * g - si, 1.0)
    };
    let total = head + g;
    let p_block = if m == 0.0 {
        // K = c: the loss system itself.
        erlang_b(c, a)
    } else {
        top / total
    };
    let lq = h / total;
    let accepted = lambda * (1.0 - p_block);
    let busy = a * (1.0 - p_block);
    let l = lq + busy;
    let (w, wq) = if accepted > 0.0 {
        (l / accepted, lq / accepted)
    } else {
        (mean_s, 0.0)
    };
    Values {
        lambda,
        rho: busy / f64::from(c),
        l,
        lq,
        w,
        wq,
        p_block: Some(p_block),
    }
}

/// M/G/1 by Pollaczek–Khinchine: Poisson arrivals at `lambda`/s, one
/// server whose service has mean `mean_s` and squared coefficient of
/// variation `scv`: Wq = ρ·(1 + scv)·E[S] / (2(1 − ρ)). M/D/1 is `scv` =
/// 0, M/M/1 is `scv` = 1.
pub fn mg1(lambda: f64, mean_s: f64, scv: f64) -> Result<Values, String> {
    let rho = lambda * mean_s;
    if rho >= 1.0 {
        return Err(unstable(rho));
    }
    let wq = rho * (1.0 + scv) * mean_s / (2.0 * (1.0 - rho));
    Ok(unbounded(lambda, rho, wq, mean_s))
}

/// Erlang's loss system M/G/c/c: what arrives while all `c` servers are
/// busy is lost, with probability B(c, a) whatever the service law.
pub fn loss(lambda: f64, mean_s: f64, c: u32) -> Values {
    let a = lambda * mean_s;
    let b = erlang_b(c, a);
    let busy = a * (1.0 - b);
    Values {
        lambda,
        rho: busy / f64::from(c),
        l: busy,
        lq: 0.0,
        w: mean_s,
        wq: 0.0,
        p_block: Some(b),
    }
}

// ---- what each kind is to the analysis ----

/// What a node is to queueing theory, stated by its kind
/// ([`crate::nodes::KindSpec::theory`]).
#[derive(Clone, Debug)]
pub enum Role<'a> {
    /// Makes events: Poisson at these rates per event type, or why not.
    Source(Result<Vec<(String, f64)>, String>),
    /// Copies each message to every output whose filter takes it.
    Copy,
    /// Routes each message by the rule.
    Route(RouteMode),
    /// Holds messages in line for the consumers that read it.
    Buffer(Buffer),
    /// Serves messages: the servers, or why no formula describes them.
    Serve(Result<Servers<'a>, String>),
    /// The end of a flow.
    End,
    /// Passes on something no formula here describes.
    Opaque(String),
}

/// A queue as the waiting room of a station.
#[derive(Clone, Copy, Debug)]
pub struct Buffer {
    pub capacity: Option<u64>,
    pub overflow: Overflow,
    pub visibility: Duration,
    pub max_receives: Option<u32>,
}

/// A consumer as the servers of a station.
#[derive(Clone, Copy, Debug)]
pub struct Servers<'a> {
    /// Servers: instances × concurrency, or a function's concurrency.
    pub c: u32,
    pub service: &'a Dist,
    /// Probability an attempt fails.
    pub failure: f64,
    /// Failed attempts go straight back to the tail of the line, up to
    /// this many attempts in all (`None`: until one succeeds); `None`
    /// when a failure is final.
    pub feedback: Option<Option<u32>>,
    /// Messages are acknowledged on receipt (they leave their queue then).
    pub acks_on_receipt: bool,
    /// A serverless function: what is pushed to it while every execution
    /// is busy is throttled, not kept.
    pub serverless: bool,
    /// An attempt still running after this long fails.
    pub timeout: Option<Duration>,
    /// What it sends on goes through an outbox relay, in batches.
    pub outbox: bool,
}

// ---- the analysis ----

/// A quantity theory and the simulation both give.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Quantity {
    Rho,
    L,
    Lq,
    W,
    Wq,
    PBlock,
}

impl Quantity {
    pub const ALL: [Self; 6] = [
        Self::Rho,
        Self::L,
        Self::Lq,
        Self::W,
        Self::Wq,
        Self::PBlock,
    ];

    /// Its key in the report.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Rho => "rho",
            Self::L => "l",
            Self::Lq => "lq",
            Self::W => "w_s",
            Self::Wq => "wq_s",
            Self::PBlock => "p_block",
        }
    }

    /// Its symbol for people.
    pub const fn symbol(self) -> &'static str {
        match self {
            Self::Rho => "ρ",
            Self::L => "L",
            Self::Lq => "Lq",
            Self::W => "W",
            Self::Wq => "Wq",
            Self::PBlock => "P(block)",
        }
    }

    /// Whether it is a time in seconds.
    pub const fn is_time(self) -> bool {
        matches!(self, Self::W | Self::Wq)
    }

    /// Its value among `v`.
    pub fn of(self, v: &Values) -> Option<f64> {
        match self {
            Self::Rho => Some(v.rho),
            Self::L => Some(v.l),
            Self::Lq => Some(v.lq),
            Self::W => Some(v.w),
            Self::Wq => Some(v.wq),
            Self::PBlock => v.p_block,
        }
    }

    /// `x` in its unit, briefly: `0.80`, `71.2 ms`, `1.2 %`.
    pub fn text(self, x: f64) -> String {
        if self.is_time() {
            if x.abs() < 1.0 {
                format!("{:.3} ms", x * 1e3)
            } else {
                format!("{x:.3} s")
            }
        } else if self == Self::PBlock {
            format!("{:.2} %", x * 100.0)
        } else {
            format!("{x:.3}")
        }
    }
}

/// How a run measures a quantity: the sum of node metrics, each times a
/// factor, or one metric over another.
#[derive(Clone, Debug, PartialEq)]
pub enum Measure {
    Sum(Vec<(String, &'static str, f64)>),
    Ratio((String, &'static str), (String, &'static str)),
}

impl Measure {
    /// Its value in `run`; `None` when a metric is missing (or the ratio's
    /// denominator is 0).
    pub fn of(&self, run: &RunResult) -> Option<f64> {
        let get = |id: &str, path: &str| run.node(id).and_then(|n| n.get(path));
        match self {
            Self::Sum(terms) => terms
                .iter()
                .map(|(id, path, k)| get(id, path).map(|v| v * k))
                .sum(),
            Self::Ratio((a, pa), (b, pb)) => {
                // A drop count a run never saw is 0.
                let x = get(a, pa).or_else(|| pa.starts_with("drops.").then_some(0.0))?;
                let y = get(b, pb)?;
                (y > 0.0).then(|| x / y)
            }
        }
    }
}

/// A station's formula and values.
#[derive(Clone, Debug, PartialEq)]
pub struct Analytic {
    /// Kendall's notation or the formula's name: "M/M/2", "M/M/1/K",
    /// "M/D/1", "M/G/1", "Erlang B".
    pub formula: String,
    pub values: Values,
    /// Servers, and room in all where bounded.
    pub c: u32,
    pub k: Option<u64>,
    /// Mean service time in seconds.
    pub service_s: f64,
    /// Attempts per message when failures feed back (1 without).
    pub visits: f64,
}

/// One consumer as a station: what theory says of it, or why it says
/// nothing, and how a run measures the same quantities.
#[derive(Clone, Debug, PartialEq)]
pub struct Station {
    /// The consumer.
    pub node: String,
    /// The queue it reads, if it reads one.
    pub queue: Option<String>,
    pub result: Result<Analytic, String>,
    /// Each quantity theory gives, and how a run measures it.
    pub measures: Vec<(Quantity, Measure)>,
}

impl Station {
    /// The station's values in a line: "M/M/2: ρ = 0.80, Wq = 71.1 ms, …",
    /// or its reason.
    pub fn summary(&self) -> String {
        match &self.result {
            Err(reason) => reason.clone(),
            Ok(a) => {
                let mut out = format!("{}:", a.formula);
                let mut first = true;
                for q in Quantity::ALL {
                    if let Some(v) = q.of(&a.values) {
                        let sep = if first { " " } else { ", " };
                        first = false;
                        let _ = write!(out, "{sep}{} = {}", q.symbol(), q.text(v));
                    }
                }
                out
            }
        }
    }
}

/// Every consumer of a model as a station, in model order.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Analysis {
    pub stations: Vec<Station>,
}

impl Analysis {
    /// Every station refused for `reason` (a run changed while it ran).
    #[must_use]
    pub fn refused_all(&self, reason: &str) -> Self {
        Self {
            stations: self
                .stations
                .iter()
                .map(|s| Station {
                    result: Err(reason.to_owned()),
                    measures: Vec::new(),
                    ..s.clone()
                })
                .collect(),
        }
    }

    /// The station of `node` (a consumer, or the queue in front of one).
    pub fn station_of(&self, node: &str) -> Option<&Station> {
        self.stations
            .iter()
            .find(|s| s.node == node || s.queue.as_deref() == Some(node))
    }
}

/// The stream of messages reaching a node: its rate per event type,
/// whether it is Poisson (or why not), and the nodes that made copies of
/// its messages (copies that meet again arrive together).
#[derive(Clone, Debug, Default)]
struct Flow {
    types: BTreeMap<String, f64>,
    not_poisson: Option<String>,
    copies: BTreeSet<NodeIndex>,
}

impl Flow {
    fn rate(&self) -> f64 {
        self.types.values().sum()
    }

    fn refuse(&mut self, reason: String) {
        if self.not_poisson.is_none() {
            self.not_poisson = Some(reason);
        }
    }

    /// This stream scaled by `share` (a Bernoulli thinning).
    fn scaled(&self, share: f64) -> Self {
        Self {
            types: self
                .types
                .iter()
                .map(|(t, r)| (t.clone(), r * share))
                .collect(),
            ..self.clone()
        }
    }

    /// The part of this stream whose types `filter` takes.
    fn filtered(&self, filter: Option<&Vec<String>>) -> Self {
        match filter {
            None => self.clone(),
            Some(types) => Self {
                types: self
                    .types
                    .iter()
                    .filter(|(t, _)| types.contains(t))
                    .map(|(t, r)| (t.clone(), *r))
                    .collect(),
                ..self.clone()
            },
        }
    }

    /// Merges `other` into this stream arriving at `at`.
    fn merge(&mut self, other: &Self, at: &str, model: &Model) {
        if other.types.is_empty() && other.not_poisson.is_none() {
            return;
        }
        if let Some(&common) = self.copies.intersection(&other.copies).next()
            && !self.types.is_empty()
        {
            self.refuse(format!(
                "copies of the same events made at '{}' meet again at '{at}', so they \
                 arrive in correlated pairs, not as a Poisson stream",
                model.graph[common].id
            ));
        }
        for (t, r) in &other.types {
            *self.types.entry(t.clone()).or_insert(0.0) += r;
        }
        if let Some(reason) = &other.not_poisson {
            self.refuse(reason.clone());
        }
        self.copies.extend(other.copies.iter().copied());
    }
}

/// Most servers the formulas are computed for.
pub const MAX_SERVERS: u32 = 100_000;

/// The probability of a service time past a timeout above which the
/// timeout is said to cut service short.
const NEGLIGIBLE: f64 = 1e-6;

/// Analyses every consumer of `model` as a station.
pub fn analyse(model: &Model) -> Analysis {
    let graph = &model.graph;
    let ids: Vec<NodeIndex> = graph.node_indices().collect();
    let roles: BTreeMap<NodeIndex, Role<'_>> = ids
        .iter()
        .map(|&n| {
            (
                n,
                crate::nodes::with_params!(&graph[n].kind, p => p.theory()),
            )
        })
        .collect();
    let role = |n: NodeIndex| &roles[&n];
    let id = |n: NodeIndex| graph[n].id.as_str();
    let edge_role = |e: petgraph::stable_graph::EdgeIndex| {
        let (a, b) = graph.edge_endpoints(e)?;
        graph[a].kind.kind().connect(graph[b].kind.kind()).ok()
    };

    // Nodes on a loop of links (a cycle of the graph) carry streams no
    // formula here describes; strongly connected components come in
    // reverse topological order.
    // NOTE: Kosaraju, not Tarjan: petgraph's Tarjan recurses once per
    // node of a chain, and a model may chain tens of thousands.
    let mut sccs = petgraph::algo::kosaraju_scc(graph);
    sccs.reverse();
    let mut on_loop: BTreeSet<NodeIndex> = BTreeSet::new();
    for scc in &sccs {
        let self_loop = scc.len() == 1 && graph.find_edge(scc[0], scc[0]).is_some();
        if scc.len() > 1 || self_loop {
            on_loop.extend(scc.iter().copied());
        }
    }

    // Whether sending to a node can make the sender wait, and why.
    let mut blocks: BTreeMap<NodeIndex, String> = BTreeMap::new();
    for scc in sccs.iter().rev() {
        for &n in scc {
            let why = match role(n) {
                Role::Buffer(b) if b.capacity.is_some() && b.overflow == Overflow::Block => {
                    Some(format!("'{}' blocks its senders when full", id(n)))
                }
                Role::Copy | Role::Route(_) => graph
                    .edges_directed(n, Direction::Outgoing)
                    .find_map(|e| blocks.get(&e.target()).cloned()),
                // A log takes every record (it refuses only when down).
                Role::Opaque(_) if graph[n].kind.kind() != Kind::Log => Some(format!(
                    "'{}' (a {}) can make its senders wait",
                    id(n),
                    graph[n].kind.kind().label()
                )),
                _ => None,
            };
            if let Some(why) = why {
                blocks.insert(n, why);
            }
        }
    }

    let faults = if !model.scenario.faults.is_empty() || !model.scenario.region_outages.is_empty() {
        Some(
            "the scenario's timeline has faults, so the run never settles into the steady \
             state the formulas describe",
        )
    } else if !model.scenario.random_faults.is_empty() {
        Some(
            "the scenario has random faults: the formulas describe nodes that never fail or \
             slow down",
        )
    } else {
        None
    };
    let mut inflow: BTreeMap<NodeIndex, Flow> = BTreeMap::new();
    let mut stations = BTreeMap::new();
    for scc in &sccs {
        for &n in scc {
            let mut flow = inflow.remove(&n).unwrap_or_default();
            if on_loop.contains(&n) {
                flow.refuse(format!(
                    "'{}' is on a loop of links; loops are covered only as a consumer's \
                     immediate retries",
                    id(n)
                ));
            }
            // What leaves along each outgoing edge.
            let mut out: Vec<(petgraph::stable_graph::EdgeIndex, Flow)> = Vec::new();
            // In model order, as the engine tries them (a router by type
            // takes the first edge that fits).
            let mut push_edges: Vec<_> = graph
                .edges_directed(n, Direction::Outgoing)
                .filter(|e| matches!(edge_role(e.id()), Some(EdgeRole::Push | EdgeRole::Pull)))
                .map(|e| (e.id(), e.weight()))
                .collect();
            push_edges.sort_by_key(|(e, _)| *e);
            let copy_to_each = |flow: &Flow, out: &mut Vec<_>| {
                let mut flow = flow.clone();
                if push_edges.len() > 1 {
                    flow.copies.insert(n);
                }
                for (e, edge) in &push_edges {
                    out.push((*e, flow.filtered(edge.filter.as_ref())));
                }
            };
            match role(n) {
                Role::Source(Ok(types)) => {
                    let mut f = Flow::default();
                    for (t, r) in types {
                        *f.types.entry(t.clone()).or_insert(0.0) += r;
                    }
                    if let Some(reason) = flow.not_poisson.clone() {
                        f.refuse(reason);
                    }
                    copy_to_each(&f, &mut out);
                }
                Role::Source(Err(reason)) => {
                    let mut f = flow.clone();
                    f.refuse(format!("arrivals from '{}' {reason}", id(n)));
                    copy_to_each(&f, &mut out);
                }
                Role::Copy => copy_to_each(&flow, &mut out),
                Role::Route(RouteMode::ByType) => {
                    // Each type takes the first edge whose filter lists it,
                    // else the first edge without a filter.
                    let mut per_edge: Vec<Flow> = push_edges
                        .iter()
                        .map(|_| Flow {
                            types: BTreeMap::new(),
                            ..flow.clone()
                        })
                        .collect();
                    for (t, r) in &flow.types {
                        let pick = push_edges
                            .iter()
                            .position(|(_, e)| e.filter.as_ref().is_some_and(|f| f.contains(t)))
                            .or_else(|| push_edges.iter().position(|(_, e)| e.filter.is_none()));
                        if let Some(i) = pick {
                            per_edge[i].types.insert(t.clone(), *r);
                        }
                    }
                    out.extend(push_edges.iter().map(|(e, _)| *e).zip(per_edge));
                }
                Role::Route(RouteMode::Weighted) => {
                    let total: f64 = push_edges
                        .iter()
                        .map(|(_, e)| e.weight.unwrap_or(1.0))
                        .sum();
                    for (e, edge) in &push_edges {
                        let share = if total > 0.0 {
                            edge.weight.unwrap_or(1.0) / total
                        } else {
                            0.0
                        };
                        out.push((*e, flow.scaled(share)));
                    }
                }
                Role::Route(RouteMode::Split { parts }) => {
                    let mut f = flow.scaled(f64::from(*parts));
                    if *parts > 1 {
                        f.refuse(format!(
                            "'{}' splits each message into {parts} at the same instant: \
                             arrivals come in batches, not as a Poisson stream",
                            id(n)
                        ));
                    }
                    copy_to_each(&f, &mut out);
                }
                Role::Buffer(_) => {
                    // The station at its consumer accounts for it.
                    for (e, _) in &push_edges {
                        out.push((*e, flow.clone()));
                    }
                }
                Role::Serve(servers) => {
                    let station = station(model, n, &flow, servers, &roles, &blocks, faults);
                    let mut departures = match (&station.result, servers) {
                        (Ok(a), Ok(s)) => {
                            let mut f = flow.scaled(departing_share(a, s));
                            let exponential = matches!(s.service, Dist::Exponential { .. });
                            let bounded = a.k.is_some() || s.serverless && station.queue.is_none();
                            // Attempts capped (by the consumer or its
                            // queue): exits depend on the attempt number.
                            let limited_feedback = s.feedback.is_some()
                                && s.failure < 1.0
                                && (a.visits * (1.0 - s.failure) - 1.0).abs() > 1e-12;
                            if s.outbox {
                                f.refuse(format!(
                                    "its arrivals are published by the outbox relay of '{}' \
                                     in batches, not as a Poisson stream",
                                    id(n)
                                ));
                            } else if !exponential || bounded || limited_feedback {
                                f.refuse(format!(
                                    "its arrivals are the departures of '{}' ({}), which \
                                     are not a Poisson stream",
                                    id(n),
                                    a.formula
                                ));
                            }
                            f
                        }
                        (Err(reason), _) => {
                            let mut f = flow.clone();
                            f.refuse(format!(
                                "its arrivals come through '{}', which no formula \
                                 describes ({})",
                                id(n),
                                first_clause(reason)
                            ));
                            f
                        }
                        (Ok(_), Err(_)) => flow.clone(),
                    };
                    if push_edges.len() > 1 {
                        departures.copies.insert(n);
                    }
                    for (e, edge) in &push_edges {
                        out.push((*e, departures.filtered(edge.filter.as_ref())));
                    }
                    stations.insert(n, station);
                }
                Role::End => {}
                Role::Opaque(reason) => {
                    let mut f = flow.clone();
                    f.refuse(format!("its arrivals come through '{}', {reason}", id(n)));
                    copy_to_each(&f, &mut out);
                }
            }
            for (e, f) in out {
                if let Some((_, to)) = graph.edge_endpoints(e) {
                    let target = graph[to].id.clone();
                    inflow.entry(to).or_default().merge(&f, &target, model);
                }
            }
        }
    }
    Analysis {
        stations: ids.iter().filter_map(|n| stations.remove(n)).collect(),
    }
}

/// A reason's first clause, for quoting inside another sentence.
fn first_clause(reason: &str) -> &str {
    reason.split([':', ';']).next().unwrap_or(reason).trim()
}

/// The share of a station's arrivals that leave it along its outputs: those
/// accepted, times the attempts each makes, times the share of attempts
/// that succeed.
fn departing_share(a: &Analytic, s: &Servers<'_>) -> f64 {
    let accepted = 1.0 - a.values.p_block.unwrap_or(0.0);
    accepted * a.visits * (1.0 - s.failure)
}

/// The consumer `n`, reached by `flow`, as a station.
#[expect(
    clippy::too_many_lines,
    reason = "each assumption in turn, in one place"
)]
fn station(
    model: &Model,
    n: NodeIndex,
    flow: &Flow,
    servers: &Result<Servers<'_>, String>,
    roles: &BTreeMap<NodeIndex, Role<'_>>,
    blocks: &BTreeMap<NodeIndex, String>,
    faults: Option<&str>,
) -> Station {
    let graph = &model.graph;
    let id = graph[n].id.clone();
    let mut queues = Vec::new();
    let mut pushed = false;
    let mut pull_latency = false;
    let mut log = None;
    for e in graph.edges_directed(n, Direction::Incoming) {
        match roles.get(&e.source()) {
            Some(Role::Buffer(b)) => {
                queues.push((e.source(), *b));
                pull_latency |= e.weight().latency.is_some_and(|l| l > Duration::ZERO);
            }
            Some(Role::Opaque(_)) if graph[e.source()].kind.kind() == Kind::Log => {
                log = Some(e.source());
            }
            _ => pushed = true,
        }
    }
    let queue = match queues.as_slice() {
        [(q, _)] => Some(graph[*q].id.clone()),
        _ => None,
    };
    let mut st = Station {
        node: id.clone(),
        queue: queue.clone(),
        result: Err(String::new()),
        measures: Vec::new(),
    };
    let refuse = |mut st: Station, reason: String| {
        st.result = Err(reason);
        st
    };
    if let Some(why) = faults {
        return refuse(st, why.to_owned());
    }
    if let Some(log) = log {
        return refuse(
            st,
            format!(
                "'{id}' reads the partitioned log '{}': each partition is a line of its own, \
                 which this analysis does not split",
                graph[log].id
            ),
        );
    }
    let s = match servers {
        Ok(s) => *s,
        Err(reason) => return refuse(st, format!("'{id}' {reason}")),
    };
    if queues.len() > 1 {
        return refuse(
            st,
            format!("'{id}' reads {} queues, not one waiting line", queues.len()),
        );
    }
    if !queues.is_empty() && pushed {
        return refuse(
            st,
            format!("'{id}' reads a queue and is sent messages directly: two waiting lines"),
        );
    }
    if let Some((q, _)) = queues.first() {
        let readers = graph
            .edges_directed(*q, Direction::Outgoing)
            .filter(|e| graph[e.target()].kind.kind() == Kind::Consumer)
            .count();
        if readers > 1 {
            return refuse(
                st,
                format!(
                    "'{}' is read by {readers} consumers competing for its messages",
                    graph[*q].id
                ),
            );
        }
    }
    if let Some(reason) = &flow.not_poisson {
        return refuse(st, reason.clone());
    }
    let lambda = flow.rate();
    if !lambda.is_finite() || lambda <= 0.0 {
        return refuse(st, format!("no messages reach '{id}'"));
    }
    for e in graph.edges_directed(n, Direction::Outgoing) {
        let target = e.target();
        match graph[target].kind.kind() {
            Kind::Service => {
                return refuse(
                    st,
                    format!(
                        "'{id}' calls the service '{}' while it holds a message, which adds \
                         the call (and any wait for it) to the service time",
                        graph[target].id
                    ),
                );
            }
            Kind::DeadLetter => {}
            _ => {
                if let Some(why) = blocks.get(&target) {
                    return refuse(
                        st,
                        format!(
                            "'{id}' waits when its output is full ({why}): blocking, which no \
                             product-form formula covers"
                        ),
                    );
                }
            }
        }
    }
    if s.c == 0 {
        return refuse(st, format!("'{id}' has no servers"));
    }
    if s.c > MAX_SERVERS {
        return refuse(
            st,
            format!(
                "'{id}' has {} servers; the formulas are computed here for up to {MAX_SERVERS}",
                s.c
            ),
        );
    }
    let mean_s = s.service.mean().as_secs_f64();
    if !mean_s.is_finite() || mean_s <= 0.0 {
        return refuse(
            st,
            format!("'{id}' takes no time: there is no queue to describe"),
        );
    }
    if let Some(t) = s.timeout
        && s.service.exceeds(t) > NEGLIGIBLE
    {
        return refuse(
            st,
            format!("'{id}' times attempts out after {t}, which cuts its service times short"),
        );
    }
    let exponential = matches!(s.service, Dist::Exponential { .. });
    let law = service_law(s.service);

    // Jackson feedback: failed attempts return to the tail at once.
    let visits = match s.feedback {
        None => 1.0,
        Some(max_attempts) => {
            if !exponential {
                return refuse(
                    st,
                    format!(
                        "'{id}' retries failures and its service is {law}: feedback is \
                         covered (as a Jackson network) only for exponential service"
                    ),
                );
            }
            let limit = match (
                max_attempts,
                queues.first().and_then(|(_, b)| b.max_receives),
            ) {
                (Some(a), Some(r)) => Some(a.min(r)),
                (a, r) => a.or(r),
            };
            let p = s.failure;
            match limit {
                None if p >= 1.0 => {
                    return refuse(
                        st,
                        format!("'{id}' fails every attempt and retries forever"),
                    );
                }
                None => 1.0 / (1.0 - p),
                Some(m) if p >= 1.0 => f64::from(m),
                Some(m) => (1.0 - p.powi(i32::try_from(m).unwrap_or(i32::MAX))) / (1.0 - p),
            }
        }
    };
    let lambda_eff = lambda * visits;

    let (formula, values, c, k) = if let Some((q, b)) = queues.first() {
        let qid = &graph[*q].id;
        if pull_latency {
            return refuse(
                st,
                format!(
                    "'{id}' fetches from '{qid}' over a link with latency, which holds a \
                     server while the message travels"
                ),
            );
        }
        if !s.acks_on_receipt && s.service.exceeds(b.visibility) > NEGLIGIBLE {
            return refuse(
                st,
                format!(
                    "service at '{id}' can outlast the visibility timeout of '{qid}' ({}), \
                     and the queue then delivers the message again",
                    b.visibility
                ),
            );
        }
        let c = s.c;
        match b.capacity {
            None if c == 1 && !exponential => {
                let v = mg1(lambda_eff, mean_s, s.service.scv());
                (law_formula(s.service), v, 1, None)
            }
            None if exponential => {
                let v = mmc(lambda_eff, mean_s, c);
                (format!("M/M/{c}"), v, c, None)
            }
            None => {
                return refuse(st, no_mgc(&id, c, &law));
            }
            Some(_) if b.overflow == Overflow::Block => {
                return refuse(
                    st,
                    format!(
                        "'{qid}' blocks its upstream when full, which no product-form \
                         formula covers"
                    ),
                );
            }
            Some(_) if b.overflow == Overflow::DropOldest => {
                return refuse(
                    st,
                    format!(
                        "'{qid}' drops its oldest message when full; M/M/c/K turns the \
                         arriving one away"
                    ),
                );
            }
            Some(cap) => {
                if s.feedback.is_some() {
                    return refuse(st, format!("'{id}' retries into the bounded queue '{qid}'"));
                }
                if !exponential {
                    return refuse(
                        st,
                        format!(
                            "'{qid}' is bounded and the service at '{id}' is {law}: there is \
                             no exact formula for M/G/c/K"
                        ),
                    );
                }
                let latency_in = graph
                    .edges_directed(*q, Direction::Incoming)
                    .any(|e| e.weight().latency.is_some_and(|l| l > Duration::ZERO));
                if latency_in {
                    return refuse(
                        st,
                        format!(
                            "messages on their way into '{qid}' over a link with latency \
                             take places in it"
                        ),
                    );
                }
                // Received messages keep their place until acknowledged,
                // unless they are acknowledged on receipt.
                let k = if s.acks_on_receipt {
                    cap.saturating_add(u64::from(c))
                } else {
                    cap
                };
                let c = u32::try_from(u64::from(c).min(k)).unwrap_or(c);
                let formula = if c == 1 {
                    "M/M/1/K".to_owned()
                } else {
                    format!("M/M/{c}/K")
                };
                (formula, Ok(mmck(lambda_eff, mean_s, c, k)), c, Some(k))
            }
        }
    } else if s.serverless {
        if s.feedback.is_some() {
            return refuse(
                st,
                format!("'{id}' retries throttled work, which Erlang's loss formula excludes"),
            );
        }
        let c = s.c;
        (
            "Erlang B".to_owned(),
            Ok(loss(lambda, mean_s, c)),
            c,
            Some(u64::from(c)),
        )
    } else {
        let c = s.c;
        if c == 1 && !exponential {
            let v = mg1(lambda_eff, mean_s, s.service.scv());
            (law_formula(s.service), v, 1, None)
        } else if exponential {
            (format!("M/M/{c}"), mmc(lambda_eff, mean_s, c), c, None)
        } else {
            return refuse(st, no_mgc(&id, c, &law));
        }
    };
    let values = match values {
        Ok(v) => v,
        Err(reason) => return refuse(st, format!("at '{id}', {reason}")),
    };
    st.measures = measures(&id, queue.as_deref(), c, values.p_block.is_some());
    st.result = Ok(Analytic {
        formula,
        values,
        c,
        k,
        service_s: mean_s,
        visits,
    });
    st
}

fn no_mgc(id: &str, c: u32, law: &str) -> String {
    format!(
        "'{id}' has {c} servers and its service is {law}: there is no exact formula for \
         M/G/c (only approximations)"
    )
}

/// The service law in words.
fn service_law(d: &Dist) -> String {
    match d {
        Dist::Constant(_) => "constant".to_owned(),
        Dist::Exponential { .. } => "exponential".to_owned(),
        Dist::Uniform { .. } => "uniform".to_owned(),
        Dist::LogNormal { .. } => "log-normal".to_owned(),
        Dist::Erlang { k, .. } => format!("Erlang-{k}"),
        Dist::Gamma { .. } => "gamma".to_owned(),
        Dist::Empirical { .. } => "empirical".to_owned(),
    }
}

/// The single-server formula's name for a service law.
fn law_formula(d: &Dist) -> String {
    match d {
        Dist::Constant(_) => "M/D/1",
        Dist::Exponential { .. } => "M/M/1",
        _ => "M/G/1",
    }
    .to_owned()
}

/// How a run measures a station's quantities: per attempt at the consumer
/// `id` reading `queue` (or its own inbox) with `c` servers.
fn measures(id: &str, queue: Option<&str>, c: u32, blocking: bool) -> Vec<(Quantity, Measure)> {
    let s = |node: &str, path: &'static str, k: f64| (node.to_owned(), path, k);
    let line = queue.unwrap_or(id);
    let per_server = 1.0 / f64::from(c);
    let mut out = vec![
        (
            Quantity::Rho,
            Measure::Sum(vec![s(id, "mean_busy", per_server)]),
        ),
        (
            Quantity::L,
            Measure::Sum(vec![s(line, "mean_depth", 1.0), s(id, "mean_busy", 1.0)]),
        ),
        (Quantity::Lq, Measure::Sum(vec![s(line, "mean_depth", 1.0)])),
    ];
    // At a queue, the consumer's sojourn starts when it receives the
    // message; in its inbox, when the message arrives.
    let w = match queue {
        Some(q) => vec![s(q, "wait_s.mean", 1.0), s(id, "sojourn_s.mean", 1.0)],
        None => vec![s(id, "sojourn_s.mean", 1.0)],
    };
    out.push((Quantity::W, Measure::Sum(w)));
    out.push((
        Quantity::Wq,
        Measure::Sum(vec![s(line, "wait_s.mean", 1.0)]),
    ));
    if blocking {
        let dropped = if queue.is_some() {
            "dropped"
        } else {
            "drops.throttled"
        };
        out.push((
            Quantity::PBlock,
            Measure::Ratio((line.to_owned(), dropped), (line.to_owned(), "arrived")),
        ));
    }
    out
}

/// A station's analytic values beside the simulated ones over
/// replications: the report's `theory` section.
#[derive(Clone, Debug, PartialEq)]
pub struct Compared {
    pub station: Station,
    /// Each quantity as the replications measured it (mean and 95%
    /// half-width), where they measured it.
    pub simulated: Vec<(Quantity, Metric)>,
}

impl Compared {
    /// The stations of `analysis` with the folds of their measures.
    pub(crate) fn fold(analysis: &Analysis, folds: Vec<Vec<MetricFold>>) -> Vec<Self> {
        analysis
            .stations
            .iter()
            .zip(folds)
            .map(|(station, folds)| Self {
                station: station.clone(),
                simulated: station
                    .measures
                    .iter()
                    .zip(folds)
                    .filter(|(_, fold)| fold.n() > 0)
                    .map(|((q, _), fold)| (*q, fold.finish()))
                    .collect(),
            })
            .collect()
    }

    /// The simulated `q`, if measured.
    pub fn simulated(&self, q: Quantity) -> Option<&Metric> {
        self.simulated.iter().find(|(k, _)| *k == q).map(|(_, m)| m)
    }

    /// Whether the simulated 95% interval of `q` contains the analytic
    /// value; `None` without both (one replication has no interval).
    pub fn covers(&self, q: Quantity) -> Option<bool> {
        let analytic = q.of(&self.station.result.as_ref().ok()?.values)?;
        let m = self.simulated(q)?;
        let h = m.ci95?;
        Some((m.mean - analytic).abs() <= h)
    }

    /// The report's `theory` section: an object keyed by consumer id.
    pub fn json(list: &[Self]) -> Value {
        let mut out = Map::new();
        for c in list {
            let s = &c.station;
            let mut o = Map::new();
            if let Some(q) = &s.queue {
                o.insert("queue".to_owned(), Value::from(q.as_str()));
            }
            match &s.result {
                Err(reason) => {
                    o.insert("applies".to_owned(), Value::Bool(false));
                    o.insert("reason".to_owned(), Value::from(reason.as_str()));
                }
                Ok(a) => {
                    o.insert("applies".to_owned(), Value::Bool(true));
                    o.insert("formula".to_owned(), Value::from(a.formula.as_str()));
                    o.insert("servers".to_owned(), Value::from(a.c));
                    if let Some(k) = a.k {
                        o.insert("capacity".to_owned(), Value::from(k));
                    }
                    o.insert("service_s".to_owned(), number(a.service_s));
                    o.insert("lambda_per_s".to_owned(), number(a.values.lambda));
                    o.insert("visits".to_owned(), number(a.visits));
                    let mut analytic = Map::new();
                    let mut simulated = Map::new();
                    for q in Quantity::ALL {
                        let Some(v) = q.of(&a.values) else { continue };
                        analytic.insert(q.key().to_owned(), number(v));
                        if let Some(m) = c.simulated(q) {
                            let mut sim = Map::new();
                            sim.insert("mean".to_owned(), number(m.mean));
                            if let Some(h) = m.ci95 {
                                sim.insert("ci95".to_owned(), number(h));
                            }
                            if let Some(covers) = c.covers(q) {
                                sim.insert("covers".to_owned(), Value::Bool(covers));
                            }
                            simulated.insert(q.key().to_owned(), Value::Object(sim));
                        }
                    }
                    o.insert("analytic".to_owned(), Value::Object(analytic));
                    o.insert("simulated".to_owned(), Value::Object(simulated));
                }
            }
            out.insert(s.node.clone(), Value::Object(o));
        }
        Value::Object(out)
    }

    /// The stations for people, under the report's table: per station its
    /// formula and each quantity analytic vs simulated ± half-width, or
    /// the reason no formula applies. Empty without stations.
    pub fn table(list: &[Self]) -> String {
        if list.is_empty() {
            return String::new();
        }
        let mut out = String::from("Theory (analytic vs simulated ± 95% CI)\n");
        for c in list {
            let s = &c.station;
            let name = match &s.queue {
                Some(q) => format!("{q} → {}", s.node),
                None => s.node.clone(),
            };
            match &s.result {
                Err(reason) => {
                    let _ = writeln!(out, "  {name}: no formula: {reason}");
                }
                Ok(a) => {
                    let mut parts = Vec::new();
                    for q in Quantity::ALL {
                        let Some(v) = q.of(&a.values) else { continue };
                        let mut part = format!("{} {}", q.symbol(), q.text(v));
                        if let Some(m) = c.simulated(q) {
                            let _ = write!(part, " vs {}", q.text(m.mean));
                            if let Some(h) = m.ci95 {
                                let _ = write!(part, " ± {}", q.text(h));
                            }
                        }
                        parts.push(part);
                    }
                    let _ = writeln!(out, "  {name}: {}: {}", a.formula, parts.join("; "));
                }
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(x: f64, y: f64, rel: f64) -> bool {
        (x - y).abs() <= rel * y.abs().max(1e-300)
    }

    #[test]
    fn erlang_values_match_published_tables() {
        // Erlang C(c = 4, a = 3) = 0.5094; Erlang B(c = 5, a = 3) = 0.1101.
        assert!(
            close(erlang_c(4, 3.0), 0.5094, 1e-3),
            "{}",
            erlang_c(4, 3.0)
        );
        assert!(
            close(erlang_b(5, 3.0), 0.1101, 1e-3),
            "{}",
            erlang_b(5, 3.0)
        );
        // B(1, a) = a/(1 + a); C(1, a) = a.
        assert!(close(erlang_b(1, 0.5), 1.0 / 3.0, 1e-12));
        assert!(close(erlang_c(1, 0.7), 0.7, 1e-12));
        // Large systems do not overflow: B(1000, 950) against the direct
        // sum a^c/c! / Σ a^k/k!, taken in logarithms.
        let log_term =
            |k: u32| f64::from(k) * 950f64.ln() - (1..=k).map(|i| f64::from(i).ln()).sum::<f64>();
        let top = log_term(1000);
        let sum: f64 = (0..=1000).map(|k| (log_term(k) - top).exp()).sum();
        let b = erlang_b(1000, 950.0);
        assert!(close(b, 1.0 / sum, 1e-9), "{b} vs {}", 1.0 / sum);
        let c = erlang_c(10_000, 9_900.0);
        assert!(c.is_finite() && (0.0..=1.0).contains(&c), "{c}");
    }

    #[test]
    fn mm1_and_mmc_match_closed_forms() {
        let v = mmc(50.0, 0.010, 1).expect("stable");
        assert!(
            close(v.w, 0.020, 1e-12) && close(v.wq, 0.010, 1e-12),
            "{v:?}"
        );
        assert!(close(v.l, 1.0, 1e-12) && close(v.lq, 0.5, 1e-12), "{v:?}");
        // M/M/2 at λ = 16/s, μ = 10/s: P0 = 1/9, Lq = 128/45 ≈ 2.844.
        let v = mmc(16.0, 0.1, 2).expect("stable");
        assert!(close(v.lq, 128.0 / 45.0, 1e-12), "{v:?}");
        assert!(close(v.rho, 0.8, 1e-12), "{v:?}");
        assert!(
            mmc(120.0, 0.010, 1)
                .expect_err("unstable")
                .contains("ρ = 1.20 ≥ 1")
        );
    }

    #[test]
    fn mmck_matches_the_birth_death_chain() {
        // Direct sums over the states for small c and K.
        for (lambda, mean, c, k) in [
            (90.0, 0.010, 1, 5),
            (30.0, 0.100, 2, 6),
            (50.0, 0.100, 3, 3),
            (80.0, 0.050, 2, 12),
            (20.0, 0.100, 2, 9),
        ] {
            let a: f64 = lambda * mean;
            let mut p = vec![1.0f64];
            for n in 1..=k {
                let servers = f64::from(n.min(c));
                p.push(p[p.len() - 1] * a / servers);
            }
            let total: f64 = p.iter().sum();
            let p: Vec<f64> = p.iter().map(|x| x / total).collect();
            let lq: f64 = p
                .iter()
                .enumerate()
                .map(|(n, x)| x * (n as f64 - f64::from(c)).max(0.0))
                .sum();
            let l: f64 = p.iter().enumerate().map(|(n, x)| x * n as f64).sum();
            let v = mmck(lambda, mean, c, u64::from(k));
            let pk = p[k as usize];
            assert!(
                close(v.p_block.expect("a blocking probability"), pk, 1e-9),
                "{lambda} {c} {k}: {v:?} vs {pk}"
            );
            assert!(
                close(v.lq + 1e-300, lq + 1e-300, 1e-9),
                "{c} {k}: {v:?} vs {lq}"
            );
            assert!(close(v.l, l, 1e-9), "{c} {k}: {v:?} vs {l}");
            assert!(close(v.w, l / (lambda * (1.0 - pk)), 1e-9), "{v:?}");
        }
        // Overloaded and huge: nearly always full, no overflow.
        let v = mmck(200.0, 0.010, 1, 1_000_000_000_000);
        assert!(
            v.p_block.expect("a blocking probability").is_finite()
                && close(v.p_block.expect("a blocking probability"), 0.5, 1e-6),
            "{v:?}"
        );
        let v = mmck(50.0, 0.010, 1, 1_000_000_000_000);
        assert!(close(v.l, 1.0, 1e-6), "far-away bound is M/M/1: {v:?}");
    }

    #[test]
    fn pollaczek_khinchine() {
        // M/D/1 at ρ = 0.8, 10 ms: Wq = ρ/(2μ(1 − ρ)) = 20 ms.
        let v = mg1(80.0, 0.010, 0.0).expect("stable");
        assert!(close(v.wq, 0.020, 1e-12), "{v:?}");
        // Exponential service gives M/M/1.
        let m = mg1(50.0, 0.010, 1.0).expect("stable");
        assert!(close(m.wq, 0.010, 1e-12), "{m:?}");
        // Log-normal cv 1.5 at λ = 60/s, 10 ms: Wq = λ(1 + cv²)E[S]²/(2(1 − ρ)).
        let v = mg1(60.0, 0.010, 2.25).expect("stable");
        let expected = 60.0 * 3.25 * 1e-4 / (2.0 * 0.4);
        assert!(close(v.wq, expected, 1e-12), "{v:?}");
    }

    #[test]
    fn loss_system_is_erlang_b() {
        let v = loss(80.0, 0.050, 5);
        assert!(close(
            v.p_block.expect("a blocking probability"),
            erlang_b(5, 4.0),
            1e-12
        ));
        assert!(close(v.l, 4.0 * (1.0 - erlang_b(5, 4.0)), 1e-12));
        assert_eq!((v.lq, v.wq), (0.0, 0.0));
    }

    fn analysed(text: &str) -> Analysis {
        let (model, _) = crate::model::file::from_str(text).expect("the model reads");
        analyse(&model)
    }

    fn lambda(a: &Analysis, id: &str) -> f64 {
        match &a.station_of(id).expect("a station").result {
            Ok(x) => x.values.lambda,
            Err(e) => panic!("'{id}' refused: {e}"),
        }
    }

    fn refusal(a: &Analysis, id: &str) -> String {
        a.station_of(id)
            .expect("a station")
            .result
            .clone()
            .expect_err("refused")
    }

    #[test]
    fn rates_flow_through_types_filters_weights_and_copies() {
        // 100/s, types a:b = 3:1. A router by type sends a to the first
        // edge listing it (qa; the later edge listing a too gets none),
        // the rest to its default; a topic copies to two subscriptions,
        // one filtered to b.
        let a = analysed(
            r#"(
            version: 1,
            name: "flows",
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0),
                    events: [(name: "a", weight: 3.0), (name: "b", weight: 1.0)])),
                (id: "r", kind: Router()),
                (id: "qa", kind: Queue()), (id: "ca", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "qa2", kind: Queue()), (id: "ca2", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "qd", kind: Queue()), (id: "cd", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "t", kind: Topic()),
                (id: "all", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "onlyb", kind: Consumer(service: Exponential(mean: "1ms"))),
            ],
            edges: [
                (from: "src", to: "r"),
                (from: "r", to: "qa", filter: ["a"]), (from: "qa", to: "ca"),
                (from: "r", to: "qa2", filter: ["a"]), (from: "qa2", to: "ca2"),
                (from: "r", to: "qd"), (from: "qd", to: "cd"),
                (from: "cd", to: "t"),
                (from: "t", to: "all"), (from: "t", to: "onlyb", filter: ["b"]),
            ],
        )"#,
        );
        assert!((lambda(&a, "ca") - 75.0).abs() < 1e-9);
        assert!(refusal(&a, "ca2").contains("no messages reach 'ca2'"));
        assert!((lambda(&a, "cd") - 25.0).abs() < 1e-9);
        assert!((lambda(&a, "all") - 25.0).abs() < 1e-9);
        assert!((lambda(&a, "onlyb") - 25.0).abs() < 1e-9);
    }

    #[test]
    fn copies_meeting_again_and_split_batches_are_refused() {
        let a = analysed(
            r#"(
            version: 1,
            name: "joins",
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 10.0))),
                (id: "t", kind: Topic()),
                (id: "x", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "y", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "q", kind: Queue()),
                (id: "join", kind: Consumer(service: Exponential(mean: "1ms"))),
                (id: "split", kind: Router(mode: Split(parts: 3))),
                (id: "parts", kind: Consumer(service: Exponential(mean: "1ms"))),
            ],
            edges: [
                (from: "src", to: "t"), (from: "t", to: "x"), (from: "t", to: "y"),
                (from: "x", to: "q"), (from: "y", to: "q"), (from: "q", to: "join"),
                (from: "t", to: "split"), (from: "split", to: "parts"),
            ],
        )"#,
        );
        assert!((lambda(&a, "x") - 10.0).abs() < 1e-9);
        let why = refusal(&a, "join");
        assert!(
            why.contains("copies of the same events made at 't' meet again at 'q'"),
            "{why}"
        );
        let why = refusal(&a, "parts");
        assert!(why.contains("'split' splits each message into 3"), "{why}");
    }

    #[test]
    fn failures_thin_the_departures_and_capped_retries_end_poisson() {
        let text = |retry: &str| {
            format!(
                r#"(
                version: 1,
                name: "failures",
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 40.0))),
                    (id: "q", kind: Queue()),
                    (id: "first", kind: Consumer(service: Exponential(mean: "5ms"),
                        failure: 0.5{retry})),
                    (id: "next", kind: Consumer(service: Exponential(mean: "5ms"))),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "first"), (from: "first", to: "next")],
            )"#
            )
        };
        // A failure is final: half go on.
        let a = analysed(&text(""));
        assert!((lambda(&a, "first") - 40.0).abs() < 1e-9);
        assert!((lambda(&a, "next") - 20.0).abs() < 1e-9);
        // Retried until they succeed: 2 attempts each, all go on.
        let a = analysed(&text(", retry: Immediate()"));
        assert!((lambda(&a, "first") - 80.0).abs() < 1e-9);
        assert!((lambda(&a, "next") - 40.0).abs() < 1e-9);
        // At most 2 attempts: 1.5 each; 3/4 go on, and whether one goes on
        // depends on its attempts, so the next station is not fed Poisson.
        let a = analysed(&text(", retry: Immediate(max_attempts: 2)"));
        assert!((lambda(&a, "first") - 60.0).abs() < 1e-9);
        let why = refusal(&a, "next");
        assert!(why.contains("departures of 'first' (M/M/1)"), "{why}");
    }
}
