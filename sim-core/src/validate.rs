//! Validation: a model's problems as diagnostics — a severity, what they
//! are about, and a sentence. A model with errors does not run; warnings
//! point at designs that run but probably not as meant.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

use petgraph::Direction;
use petgraph::algo::kosaraju_scc;
use petgraph::stable_graph::NodeIndex;
use petgraph::visit::{EdgeIndexable, EdgeRef, NodeIndexable};

use petgraph::stable_graph::StableGraph;

use crate::faults::Effect;
use crate::model::{Edge, MAX_IN_FLIGHT, MAX_REPLICATIONS, Model, Node};
use crate::nodes::{
    EdgeRole, Kind, KindSpec, NodeKind, Overflow, RouteMode, RouterParams, check_at_most,
    check_durations, limits, with_params,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Error,
    Warning,
}

/// What a diagnostic is about.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Target {
    Model,
    Scenario,
    Node(String),
    Edge(String),
    /// An alert rule, by name.
    Alert(String),
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    pub target: Target,
    pub message: String,
}

impl Diagnostic {
    pub fn error(target: Target, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            target,
            message: message.into(),
        }
    }
    pub fn warning(target: Target, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            target,
            message: message.into(),
        }
    }
    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let severity = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        match &self.target {
            Target::Model => write!(f, "{severity}: {}", self.message),
            Target::Scenario => write!(f, "{severity}: scenario: {}", self.message),
            Target::Node(id) => write!(f, "{severity}: node '{id}': {}", self.message),
            Target::Edge(id) => write!(f, "{severity}: edge '{id}': {}", self.message),
            Target::Alert(name) => write!(f, "{severity}: alert '{name}': {}", self.message),
        }
    }
}

/// A node's connections, for its kind's wiring checks
/// ([`KindSpec::wiring`](crate::nodes::KindSpec::wiring)).
#[derive(Debug)]
pub struct Wiring<'a> {
    pub graph: &'a StableGraph<Node, Edge>,
    pub node: NodeIndex,
    /// Edges in.
    pub inputs: usize,
    /// Data edges out (not dead-letter edges or calls).
    pub data_out: usize,
    /// Dead-letter edges out.
    pub dlq_out: usize,
    /// Calls to services.
    pub calls: usize,
    /// Every event type a producer or CEP rule emits.
    pub known_types: &'a [String],
    out: &'a mut Vec<Diagnostic>,
}

impl Wiring<'_> {
    pub fn error(&mut self, message: impl Into<String>) {
        let target = Target::Node(self.graph[self.node].id.clone());
        self.out.push(Diagnostic::error(target, message));
    }

    pub fn warning(&mut self, message: impl Into<String>) {
        let target = Target::Node(self.graph[self.node].id.clone());
        self.out.push(Diagnostic::warning(target, message));
    }

    /// The error of a node that needs an input and has none; `true` when
    /// it was reported.
    pub fn no_input(&mut self) -> bool {
        if self.inputs > 0 {
            return false;
        }
        let kind = self.graph[self.node].kind.kind();
        self.error(format!(
            "the {kind} has no input, so nothing ever reaches it"
        ));
        true
    }

    /// The nodes this node's edges lead to.
    pub fn downstream(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .neighbors_directed(self.node, Direction::Outgoing)
    }

    /// The nodes whose edges lead here.
    pub fn upstream(&self) -> impl Iterator<Item = NodeIndex> + '_ {
        self.graph
            .neighbors_directed(self.node, Direction::Incoming)
    }
}

/// Every problem found in `model`, errors first, in a stable order.
/// The variants' problems: names, nodes they change, and any error in the
/// design a variant makes.
fn variant_problems(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    if model.variants.is_empty() {
        return out;
    }
    // The design's own errors are reported once, not again per variant.
    let base: Vec<Diagnostic> = validate(&Model {
        variants: Vec::new(),
        ..model.clone()
    });
    let mut names = BTreeSet::new();
    for variant in &model.variants {
        let who = format!("variant '{}'", variant.name);
        if variant.name.trim().is_empty() {
            out.push(Diagnostic::error(Target::Model, "a variant needs a name"));
        } else if !names.insert(variant.name.as_str()) {
            out.push(Diagnostic::error(
                Target::Model,
                format!("{who}: another variant has this name; names must differ"),
            ));
            continue;
        }
        match model.with_variant(&variant.name) {
            Err(e) => out.push(Diagnostic::error(Target::Model, e.to_string())),
            Ok(applied) => {
                let mut seen = BTreeSet::new();
                for change in &variant.nodes {
                    if !seen.insert(change.id.as_str()) {
                        out.push(Diagnostic::error(
                            Target::Model,
                            format!("{who} changes node '{}' twice", change.id),
                        ));
                    }
                }
                for d in validate(&applied)
                    .into_iter()
                    .filter(|d| d.is_error() && !base.contains(d))
                {
                    let place = match &d.target {
                        Target::Node(id) => format!(" (node '{id}')"),
                        _ => String::new(),
                    };
                    out.push(Diagnostic::error(
                        Target::Model,
                        format!("{who}{place}: {}", d.message),
                    ));
                }
            }
        }
    }
    out
}

pub fn validate(model: &Model) -> Vec<Diagnostic> {
    let mut out = Vec::new();
    let graph = &model.graph;
    let node_target = |n: NodeIndex| Target::Node(graph[n].id.clone());

    // Scenario.
    let s = &model.scenario;
    if s.duration.is_zero() {
        out.push(Diagnostic::error(
            Target::Scenario,
            "the duration must be longer than zero",
        ));
    }
    if let Some(warmup) = s.warmup
        && warmup >= s.duration
        && !s.duration.is_zero()
    {
        out.push(Diagnostic::error(
            Target::Scenario,
            format!(
                "the warm-up ({warmup}) must be shorter than the duration ({})",
                s.duration
            ),
        ));
    }
    if s.replications == 0 {
        out.push(Diagnostic::error(
            Target::Scenario,
            "replications must be at least 1",
        ));
    }
    if s.max_in_flight == 0 {
        out.push(Diagnostic::error(
            Target::Scenario,
            "max_in_flight must be at least 1",
        ));
    }
    out.extend(crate::slo::problems(model));
    out.extend(variant_problems(model));
    let mut ranges = Vec::new();
    check_durations(&[("the duration", s.duration)], &mut ranges);
    check_at_most(
        "replications",
        s.replications,
        MAX_REPLICATIONS,
        &mut ranges,
    );
    check_at_most("max_in_flight", s.max_in_flight, MAX_IN_FLIGHT, &mut ranges);
    out.extend(
        ranges
            .drain(..)
            .map(|problem| Diagnostic::error(Target::Scenario, problem)),
    );
    // Each id's first node.
    let mut by_id: BTreeMap<&str, NodeIndex> = BTreeMap::new();
    for n in graph.node_indices() {
        by_id.entry(graph[n].id.as_str()).or_insert(n);
    }
    for (i, fault) in s.faults.iter().enumerate() {
        let n = i + 1;
        let name = fault.link.as_deref().unwrap_or(&fault.node);
        match fault_target(
            model,
            &by_id,
            &fault.node,
            fault.link.as_deref(),
            fault.effect,
        ) {
            Ok(()) => {}
            Err((true, why)) => out.push(Diagnostic::error(
                Target::Scenario,
                format!("fault {n} on '{name}': {why}"),
            )),
            Err((false, why)) => {
                out.push(Diagnostic::error(
                    Target::Scenario,
                    format!("fault {n} {why}"),
                ));
            }
        }
        let mut problems = fault.effect.problems();
        if let Effect::Slow { factor } | Effect::Burst { factor } = fault.effect {
            check_at_most("the factor", factor, limits::MAX_FACTOR, &mut problems);
        }
        check_durations(
            &[("its start", fault.at), ("its duration", fault.duration)],
            &mut problems,
        );
        for problem in problems {
            out.push(Diagnostic::error(
                Target::Scenario,
                format!("fault {n} on '{name}': {problem}"),
            ));
        }
        if fault.duration.is_zero() {
            out.push(Diagnostic::error(
                Target::Scenario,
                format!("fault {n} on '{name}' must last longer than zero"),
            ));
        }
        if fault.at >= s.duration {
            out.push(Diagnostic::warning(
                Target::Scenario,
                format!(
                    "fault {n} on '{name}' starts at {}, after the run ends ({})",
                    fault.at, s.duration
                ),
            ));
        }
    }
    random_faults_checked(model, s, &by_id, &mut out);
    crate::regions::validate(model, &mut out);
    if graph.node_count() == 0 {
        out.push(Diagnostic::error(Target::Model, "the model has no nodes"));
    }
    crate::alerts::validate(model, &mut out);

    // Ids.
    let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
    for n in graph.node_indices() {
        let id = graph[n].id.as_str();
        if id.trim().is_empty() {
            out.push(Diagnostic::error(
                Target::Node(id.to_owned()),
                "a node needs a non-empty id",
            ));
        }
        *seen.entry(id).or_default() += 1;
    }
    for (id, count) in &seen {
        if *count > 1 {
            out.push(Diagnostic::error(
                Target::Node((*id).to_owned()),
                format!("{count} nodes share this id; ids must be unique"),
            ));
        }
    }
    let mut edge_ids: BTreeMap<String, usize> = BTreeMap::new();
    for e in graph.edge_indices() {
        *edge_ids.entry(model.edge_id(e)).or_default() += 1;
    }
    for (id, count) in &edge_ids {
        if *count > 1 {
            out.push(Diagnostic::error(
                Target::Edge(id.clone()),
                format!("{count} edges share this id; give parallel edges ids of their own"),
            ));
        }
    }

    // Parameters.
    for n in graph.node_indices() {
        for problem in graph[n].kind.problems() {
            out.push(Diagnostic::error(node_target(n), problem));
        }
        if let Some([x, y]) = graph[n].pos {
            let max = limits::MAX_POSITION;
            if !(x.is_finite() && y.is_finite() && x.abs() <= max && y.abs() <= max) {
                out.push(Diagnostic::error(
                    node_target(n),
                    format!(
                        "the position ({x}, {y}) is off the canvas: each coordinate must be a number between -{max} and {max}"
                    ),
                ));
            }
        }
    }
    run_size(model, &mut out);

    // Edges.
    let known_types: Vec<String> = graph
        .node_indices()
        .flat_map(|n| graph[n].kind.emitted().unwrap_or_default())
        .collect::<BTreeSet<String>>()
        .into_iter()
        .collect();
    for e in graph.edge_indices() {
        let Some((a, b)) = graph.edge_endpoints(e) else {
            continue;
        };
        let target = || Target::Edge(model.edge_id(e));
        let (ka, kb) = (graph[a].kind.kind(), graph[b].kind.kind());
        if kb == Kind::Service && graph[e].latency.is_some_and(|d| !d.is_zero()) {
            out.push(Diagnostic::error(
                target(),
                "a call to a service takes the service's latency; put the network time there",
            ));
        }
        if a == b {
            out.push(Diagnostic::error(
                target(),
                "an edge cannot connect a node to itself",
            ));
            continue;
        }
        if let Err(why) = ka.connect(kb) {
            out.push(Diagnostic::error(
                target(),
                format!("cannot connect a {ka} to a {kb}: {why}"),
            ));
        }
        let edge = &graph[e];
        if let Some(latency) = edge.latency {
            let mut problems = Vec::new();
            check_durations(&[("the latency", latency)], &mut problems);
            out.extend(problems.into_iter().map(|p| Diagnostic::error(target(), p)));
        }
        if let Some(weight) = edge.weight {
            if ka != Kind::Router {
                out.push(Diagnostic::error(
                    target(),
                    "only a router's routes have weights",
                ));
            } else if !weight.is_finite() || weight <= 0.0 {
                out.push(Diagnostic::error(
                    target(),
                    format!("a route's weight must be a number greater than zero (found {weight})"),
                ));
            } else if weight > limits::MAX_WEIGHT {
                out.push(Diagnostic::error(
                    target(),
                    format!(
                        "a route's weight must be at most {} (found {weight})",
                        limits::MAX_WEIGHT
                    ),
                ));
            }
        }
        if let Some(filter) = &edge.filter {
            if !matches!(ka, Kind::Topic | Kind::Router) {
                out.push(Diagnostic::error(
                    target(),
                    "only a topic's subscriptions and a router's routes can filter by event type",
                ));
            } else if filter.is_empty() {
                out.push(Diagnostic::warning(
                    target(),
                    "the filter lists no event types, so this subscription receives nothing",
                ));
            }
            for name in filter {
                if known_types.binary_search(name).is_err() {
                    out.push(Diagnostic::warning(
                        target(),
                        format!("no producer emits event type '{name}'"),
                    ));
                }
            }
        }
    }

    // Per-node wiring.
    for n in graph.node_indices() {
        let kind = graph[n].kind.kind();
        let inputs = graph.edges_directed(n, Direction::Incoming).count();
        let roles: Vec<EdgeRole> = graph
            .neighbors_directed(n, Direction::Outgoing)
            .filter_map(|m| kind.connect(graph[m].kind.kind()).ok())
            .collect();
        let data_out = roles
            .iter()
            .filter(|r| !matches!(r, EdgeRole::DeadLetter | EdgeRole::Call))
            .count();
        let dlq_out = roles.iter().filter(|r| **r == EdgeRole::DeadLetter).count();
        let calls = roles.iter().filter(|r| **r == EdgeRole::Call).count();
        if calls > 1 {
            out.push(Diagnostic::error(
                node_target(n),
                format!("{calls} services are called; a consumer calls at most one"),
            ));
        }
        if dlq_out > 1 {
            out.push(Diagnostic::error(
                node_target(n),
                format!("{dlq_out} dead-letter queues are connected; a node has at most one"),
            ));
        }
        let mut w = Wiring {
            graph,
            node: n,
            inputs,
            data_out,
            dlq_out,
            calls,
            known_types: &known_types,
            out: &mut out,
        };
        with_params!(&graph[n].kind, p => p.wiring(&mut w));
    }

    // Producers whose events reach no consumer or sink: whether each node
    // reaches one, found once for all producers (a node reaches one when
    // it processes or when a node after it reaches one).
    let reaches = reaches_processing(graph);
    for n in graph.node_indices() {
        if graph[n].kind.kind() != Kind::Producer {
            continue;
        }
        if !reaches[n.index()] && graph.neighbors_directed(n, Direction::Outgoing).count() > 0 {
            out.push(Diagnostic::error(
                node_target(n),
                "its events can reach no consumer or sink, so none is ever processed",
            ));
        }
    }

    // Cycles with no exit: a strongly connected group that no edge leaves
    // and in which nothing completes.
    // Routes and subscriptions no message can take.
    let dead = dead_routes(model, &mut out);

    // Which strongly connected group each node is in.
    let sccs = kosaraju_scc(graph);
    let mut group = vec![usize::MAX; graph.node_bound()];
    for (g, scc) in sccs.iter().enumerate() {
        for &m in scc {
            group[m.index()] = g;
        }
    }
    for (g, scc) in sccs.iter().enumerate() {
        let cyclic = scc.len() > 1 || graph.contains_edge(scc[0], scc[0]);
        if !cyclic {
            continue;
        }
        let inside = |m: NodeIndex| group[m.index()] == g;
        // A route no message takes is no way out.
        let exits = scc.iter().any(|&m| {
            graph
                .edges_directed(m, Direction::Outgoing)
                .any(|e| !inside(e.target()) && !dead[e.id().index()])
        });
        let dead_exits: Vec<String> = scc
            .iter()
            .flat_map(|&m| graph.edges_directed(m, Direction::Outgoing))
            .filter(|e| !inside(e.target()) && dead[e.id().index()])
            .map(|e| format!("'{}'", model.edge_id(e.id())))
            .collect();
        // Only a consumer takes time (or a link with latency): a loop of
        // routers and topics alone would pass messages round forever in
        // one instant.
        let instant_only = scc.iter().all(|&m| graph[m].kind.instant());
        let takes_time = !instant_only
            || scc.iter().any(|&m| {
                graph
                    .edges_directed(m, Direction::Outgoing)
                    .any(|e| inside(e.target()) && e.weight().latency.is_some_and(|d| !d.is_zero()))
            });
        if !takes_time {
            let mut ids: Vec<&str> = scc.iter().map(|&m| graph[m].id.as_str()).collect();
            ids.sort_unstable();
            out.push(Diagnostic::error(
                Target::Node(ids[0].to_owned()),
                format!(
                    "the loop {} has no consumer and no link latency, so messages would circle in it without time passing",
                    loop_names(&ids)
                ),
            ));
        }
        if !exits {
            let mut ids: Vec<&str> = scc.iter().map(|&m| graph[m].id.as_str()).collect();
            ids.sort_unstable();
            let because = if dead_exits.is_empty() {
                String::new()
            } else {
                format!(
                    " (no message ever takes its way out, {})",
                    dead_exits.join(", ")
                )
            };
            out.push(Diagnostic::error(
                Target::Node(ids[0].to_owned()),
                format!(
                    "messages in the cycle {} can never leave it{because}: connect it to a sink, a consumer without outputs, or a dead-letter queue",
                    loop_names(&ids)
                ),
            ));
        }
    }
    blocking_loops(model, &dead, &mut out);

    out.sort_by_key(|d| d.severity);
    out
}

/// What is wrong with a fault's target — the node it names, or the link —
/// or whether its effect can hit it: whether the target exists (the
/// sentence is then about the effect on it), and a sentence that follows
/// "fault N".
fn fault_target(
    model: &Model,
    by_id: &BTreeMap<&str, NodeIndex>,
    node: &str,
    link: Option<&str>,
    effect: Effect,
) -> Result<(), (bool, String)> {
    let graph = &model.graph;
    match (node.is_empty(), link) {
        (true, None) => Err((false, "names no node and no link".to_owned())),
        (false, Some(_)) => Err((
            false,
            format!("names both a node ('{node}') and a link; a fault hits one of them"),
        )),
        (false, None) => match by_id.get(node) {
            None => Err((false, format!("names node '{node}', which does not exist"))),
            Some(&ix) => unfit(effect, &graph[ix].kind).map_or(Ok(()), |why| Err((true, why))),
        },
        (true, Some(id)) => {
            let Some(e) = model.edge_by_id(id) else {
                return Err((false, format!("names link '{id}', which does not exist")));
            };
            if let Some(why) = effect.unfit_for_link() {
                return Err((true, why));
            }
            let pushes = graph.edge_endpoints(e).is_some_and(|(a, b)| {
                crate::links::carries_pushes(graph[a].kind.kind(), graph[b].kind.kind())
            });
            if pushes {
                Ok(())
            } else {
                Err((
                    true,
                    "the link carries no pushed messages (a consumer's pull, a dead-letter \
                     link or a call); fault its nodes instead"
                        .to_owned(),
                ))
            }
        }
    }
}

/// Why `effect` cannot hit a node of `kind`, if it cannot: not of its
/// kind, or a slow-down of a broker without replicas.
pub fn unfit(effect: Effect, kind: &NodeKind) -> Option<String> {
    effect.unfit_for(kind.kind()).or_else(|| match effect {
        Effect::Slow { .. } => crate::nodes::durability::slow_unfit(kind),
        _ => None,
    })
}

/// The event types that can reach each node (by index), over-estimated:
/// producers and CEP rules make their own types, every other node passes
/// on what reaches it, and only a topic's subscriptions and a by-type
/// router's routes filter.
fn reaching_types(model: &Model) -> Vec<BTreeSet<String>> {
    let graph = &model.graph;
    let mut types: Vec<BTreeSet<String>> = vec![BTreeSet::new(); graph.node_bound()];
    let mut made: Vec<Option<BTreeSet<String>>> = vec![None; graph.node_bound()];
    let mut stack = Vec::new();
    for n in graph.node_indices() {
        if let Some(emitted) = graph[n].kind.emitted() {
            made[n.index()] = Some(emitted.into_iter().collect());
            stack.push(n);
        }
    }
    while let Some(n) = stack.pop() {
        let leaving = made[n.index()]
            .as_ref()
            .unwrap_or(&types[n.index()])
            .clone();
        for e in graph.edges_directed(n, Direction::Outgoing) {
            let filters = matches!(
                &graph[n].kind,
                NodeKind::Topic(_)
                    | NodeKind::Router(RouterParams {
                        mode: RouteMode::ByType
                    })
            );
            let to = e.target().index();
            let before = types[to].len();
            for ty in &leaving {
                let passes = !filters || e.weight().filter.as_ref().is_none_or(|f| f.contains(ty));
                if passes && !types[to].contains(ty) {
                    types[to].insert(ty.clone());
                }
            }
            if types[to].len() > before && made[to].is_none() {
                stack.push(e.target());
            }
        }
    }
    types
}

/// Warns about the routes of by-type routers and the subscriptions of
/// topics that no message can ever take; returns, by edge index, which
/// edges those are.
fn dead_routes(model: &Model, out: &mut Vec<Diagnostic>) -> Vec<bool> {
    let graph = &model.graph;
    let mut dead = vec![false; graph.edge_bound()];
    let types = reaching_types(model);
    // Types no producer or CEP rule makes have a warning of their own.
    let known: BTreeSet<String> = graph
        .node_indices()
        .flat_map(|n| graph[n].kind.emitted().unwrap_or_default())
        .collect();
    for n in graph.node_indices() {
        let by_type = match &graph[n].kind {
            NodeKind::Router(RouterParams {
                mode: RouteMode::ByType,
            }) => true,
            NodeKind::Topic(_) => false,
            _ => continue,
        };
        let arriving = &types[n.index()];
        if arriving.is_empty() {
            continue;
        }
        let id = &graph[n].id;
        // In the order the router tries them: the file's.
        let mut routes: Vec<_> = graph
            .edges_directed(n, Direction::Outgoing)
            .filter(|e| {
                graph[n]
                    .kind
                    .kind()
                    .connect(graph[e.target()].kind.kind())
                    .is_ok()
            })
            .collect();
        routes.sort_by_key(|e| e.id().index());
        let mut taken: BTreeSet<&String> = BTreeSet::new();
        let mut default_route: Option<String> = None;
        for e in routes {
            let edge_id = model.edge_id(e.id());
            let target = Target::Edge(edge_id.clone());
            let mut never = |why: String| {
                dead[e.id().index()] = true;
                out.push(Diagnostic::warning(target.clone(), why));
            };
            match &e.weight().filter {
                Some(filter) if !filter.is_empty() => {
                    if filter.iter().any(|t| !known.contains(t)) {
                        continue;
                    }
                    let reach: Vec<&String> =
                        filter.iter().filter(|t| arriving.contains(*t)).collect();
                    if reach.is_empty() {
                        never(format!(
                            "no message ever takes this {}: none of its event types ({}) can reach '{id}'",
                            if by_type { "route" } else { "subscription" },
                            filter.join(", ")
                        ));
                    } else if by_type && reach.iter().all(|t| taken.contains(*t)) {
                        never(format!(
                            "no message ever takes this route: routes before it in the file take every event type it lists ({}) that reaches '{id}'",
                            filter.join(", ")
                        ));
                    }
                    if by_type {
                        taken.extend(reach);
                    }
                }
                Some(_) => {}
                None if !by_type => {}
                None => match &default_route {
                    Some(first) => never(format!(
                        "no message ever takes this route: '{id}' sends messages no filter takes along its first route without a filter, '{first}'"
                    )),
                    None => {
                        if arriving.iter().all(|t| taken.contains(t)) {
                            never(format!(
                                "no message ever takes this route: the filtered routes before it take every event type that reaches '{id}' ({})",
                                arriving
                                    .iter()
                                    .map(String::as_str)
                                    .collect::<Vec<_>>()
                                    .join(", ")
                            ));
                        }
                        default_route = Some(edge_id);
                    }
                },
            }
        }
    }
    dead
}

/// Whether a message sent along an edge into `to` may have to wait: the
/// receiver can refuse it while it is full or passing on what it holds.
fn may_refuse(role: EdgeRole, to: &NodeKind) -> bool {
    match to {
        NodeKind::Queue(q) => q.capacity.is_some() && q.overflow == Overflow::Block,
        NodeKind::Topic(_) | NodeKind::Router(_) | NodeKind::Cep(_) => true,
        NodeKind::EventStore(s) => s.backlog.is_some(),
        // A consumer takes every message pushed to it into its inbox, but
        // reads from a queue only when a slot is free: a slot that waits
        // to pass its message on stops it reading.
        NodeKind::Consumer(_) => role == EdgeRole::Pull,
        NodeKind::Producer(_)
        | NodeKind::Service(_)
        | NodeKind::Sink(_)
        | NodeKind::DeadLetter(_)
        | NodeKind::Log(_)
        | NodeKind::Projection(_) => false,
    }
}

/// Warns about loops in which every stage may wait for room in the next:
/// once such a loop fills, each of its stages waits for another and
/// nothing in it moves again.
fn blocking_loops(model: &Model, dead: &[bool], out: &mut Vec<Diagnostic>) {
    let graph = &model.graph;
    let waits = graph.filter_map(
        |_, node| Some(node),
        |e, edge| {
            let (a, b) = graph.edge_endpoints(e)?;
            let role = graph[a].kind.kind().connect(graph[b].kind.kind()).ok()?;
            (role != EdgeRole::Call && !dead[e.index()] && may_refuse(role, &graph[b].kind))
                .then_some(edge)
        },
    );
    for scc in kosaraju_scc(&waits) {
        if scc.len() < 2 {
            continue;
        }
        let mut ids: Vec<&str> = scc.iter().map(|&m| waits[m].id.as_str()).collect();
        ids.sort_unstable();
        let holders: Vec<&str> = {
            let mut full: Vec<&str> = scc
                .iter()
                .filter(|&&m| {
                    matches!(&waits[m].kind, NodeKind::Queue(_) | NodeKind::EventStore(_))
                })
                .map(|&m| waits[m].id.as_str())
                .collect();
            full.sort_unstable();
            full
        };
        let advice = if holders.is_empty() {
            "routers and topics pass on one message at a time, so a message coming round again waits for the one ahead of it; put a queue without a capacity limit in the loop".to_owned()
        } else {
            format!(
                "once {} {} full, every stage waits for the next; give a queue in it no capacity limit or a dropping overflow, or put a log in the loop",
                holders.join(" and "),
                if holders.len() == 1 { "is" } else { "are" }
            )
        };
        out.push(Diagnostic::warning(
            Target::Node(ids[0].to_owned()),
            format!(
                "the loop {} can block for good (a deadlock): {advice}",
                loop_names(&ids)
            ),
        ));
    }
}

/// The nodes of a loop for a sentence: all of them, or for a long loop the
/// first few and how many there are.
fn loop_names(ids: &[&str]) -> String {
    const SHOWN: usize = 12;
    if ids.len() <= SHOWN {
        ids.join(" → ")
    } else {
        format!("{} → … ({} nodes)", ids[..SHOWN].join(" → "), ids.len())
    }
}

/// For each node (by index), whether messages leaving it can reach a node
/// that processes them: one walk backwards from every such node.
fn reaches_processing(graph: &StableGraph<Node, Edge>) -> Vec<bool> {
    let mut reaches = vec![false; graph.node_bound()];
    let mut stack: Vec<NodeIndex> = graph
        .node_indices()
        .filter(|&n| graph[n].kind.kind().processes())
        .collect();
    for &n in &stack {
        reaches[n.index()] = true;
    }
    while let Some(m) = stack.pop() {
        for before in graph.neighbors_directed(m, Direction::Incoming) {
            if !reaches[before.index()] {
                reaches[before.index()] = true;
                stack.push(before);
            }
        }
    }
    reaches
}

/// Events a run may be expected to produce before Weir warns that it will
/// take long: about a minute of work on a fast machine.
pub const MANY_EVENTS: f64 = 1e8;

/// Warns when the producers' rates over the run's duration add up to more
/// events than a run can go through in reasonable time.
fn run_size(model: &Model, out: &mut Vec<Diagnostic>) {
    let secs = model.scenario.duration.as_secs_f64();
    let mut total = 0.0;
    for n in model.graph.node_indices() {
        let NodeKind::Producer(p) = &model.graph[n].kind else {
            continue;
        };
        if !p.arrival.problems().is_empty() {
            continue;
        }
        let mut events = p.arrival.peak_rate() * secs;
        if let Some(limit) = p.limit {
            #[expect(clippy::cast_precision_loss, reason = "an estimate")]
            let limit = limit as f64;
            events = events.min(limit);
        }
        total += events;
    }
    if total > MANY_EVENTS {
        out.push(Diagnostic::warning(
            Target::Scenario,
            format!(
                "the producers make up to about {total:.1e} events in a run of {}, more than {MANY_EVENTS:.0e}: a run may take many minutes; shorten the duration or lower the rates",
                model.scenario.duration
            ),
        ));
    }
}

/// The scenario's random faults: each on a node that exists and that its
/// effect fits, with draws that average more than zero and strike a
/// bounded number of times in the run. Problems are the node's (its
/// inspector lists its random faults); a missing node is the scenario's.
fn random_faults_checked(
    model: &Model,
    s: &crate::model::Scenario,
    by_id: &BTreeMap<&str, NodeIndex>,
    out: &mut Vec<Diagnostic>,
) {
    for (i, fault) in s.random_faults.iter().enumerate() {
        let n = i + 1;
        let key = fault.effect.key();
        let target = match &fault.link {
            Some(id) => Target::Edge(id.clone()),
            None => Target::Node(fault.node.clone()),
        };
        match fault_target(
            model,
            by_id,
            &fault.node,
            fault.link.as_deref(),
            fault.effect,
        ) {
            Ok(()) => {}
            Err((true, why)) => out.push(Diagnostic::error(
                target.clone(),
                format!("random fault {n} ({key}): {why}"),
            )),
            Err((false, why)) => {
                out.push(Diagnostic::error(
                    Target::Scenario,
                    format!("random fault {n} {why}"),
                ));
                continue;
            }
        }
        let mut problems = fault.problems(s.duration);
        if let Effect::Slow { factor } | Effect::Burst { factor } = fault.effect {
            check_at_most("the factor", factor, limits::MAX_FACTOR, &mut problems);
        }
        for problem in problems {
            out.push(Diagnostic::error(
                target.clone(),
                format!("random fault {n} ({key}): {problem}"),
            ));
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::model::file::from_str;

    /// The diagnostics of a model with these nodes and edges.
    pub(crate) fn diagnostics(nodes: &str, edges: &str) -> Vec<Diagnostic> {
        let text = format!("(version: 1, name: \"t\", nodes: [{nodes}], edges: [{edges}])");
        let (model, mut found) = from_str(&text).expect("parses");
        found.extend(validate(&model));
        found
    }

    /// Validation finds errors saying each of `words`.
    pub(crate) fn assert_errors_say(model: &Model, words: &[&str]) {
        let found: Vec<String> = validate(model)
            .into_iter()
            .filter(Diagnostic::is_error)
            .map(|d| d.to_string())
            .collect();
        for words in words {
            assert!(
                found.iter().any(|f| f.contains(words)),
                "missing {words:?} in {found:#?}"
            );
        }
    }

    /// Whether a diagnostic of `severity` names `target` with `words`.
    pub(crate) fn has(found: &[Diagnostic], severity: Severity, target: &str, words: &str) -> bool {
        found.iter().any(|d| {
            d.severity == severity
                && matches!(&d.target, Target::Node(id) | Target::Edge(id) if id == target)
                && d.message.contains(words)
        })
    }

    pub(crate) const P: &str = r#"(id: "p", kind: Producer(arrival: Poisson(rate: 1.0)))"#;
    pub(crate) const Q: &str = r#"(id: "q", kind: Queue())"#;
    const C: &str = r#"(id: "c", kind: Consumer(service: Constant("1s")))"#;

    #[test]
    fn a_clean_pipeline_has_no_diagnostics() {
        let found = diagnostics(
            &format!("{P},{Q},{C}"),
            r#"(from: "p", to: "q"), (from: "q", to: "c")"#,
        );
        assert!(found.is_empty(), "{found:?}");
    }

    #[test]
    fn finds_each_kind_of_problem() {
        let found = diagnostics(
            &format!(
                r#"{P},{Q},{C},(id: "c", kind: Sink()),(id: "bad", kind: Producer(arrival: Poisson(rate: -2.0))),
                   (id: "lonely", kind: Consumer(service: Constant("0s")))"#
            ),
            r#"(from: "p", to: "q"), (from: "q", to: "p"), (from: "bad", to: "q")"#,
        );
        assert!(
            has(&found, Severity::Error, "c", "share this id"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Error, "bad", "greater than zero"),
            "{found:#?}"
        );
        assert!(
            has(
                &found,
                Severity::Error,
                "q->p",
                "cannot connect a queue to a producer"
            ),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Error, "lonely", "no input"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Error, "lonely", "longer than zero"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Error, "p", "reach no consumer or sink"),
            "{found:#?}"
        );
    }

    #[test]
    fn finds_a_cycle_with_no_exit() {
        let found = diagnostics(
            &format!(
                r#"{P},{Q},{C},(id: "q2", kind: Queue()),(id: "c2", kind: Consumer(service: Constant("1s")))"#
            ),
            r#"(from: "p", to: "q"), (from: "q", to: "c"), (from: "c", to: "q2"), (from: "q2", to: "c2"), (from: "c2", to: "q")"#,
        );
        assert!(
            found
                .iter()
                .any(|d| d.is_error() && d.message.contains("can never leave")),
            "{found:#?}"
        );
    }

    #[test]
    fn finds_a_loop_that_takes_no_time() {
        let found = diagnostics(
            &format!(
                r#"{P},(id: "t", kind: Topic()),(id: "r", kind: Router()),(id: "s", kind: Sink())"#
            ),
            r#"(from: "p", to: "t"), (from: "t", to: "r"), (from: "r", to: "t"), (from: "r", to: "s")"#,
        );
        assert!(
            found
                .iter()
                .any(|d| d.is_error() && d.message.contains("without time passing")),
            "{found:#?}"
        );
    }

    #[test]
    fn finds_an_instant_loop_through_a_cep_node_or_an_instant_store() {
        for middle in [
            r#"(id: "m", kind: Cep(rules: [(name: "r", pattern: Count(at_least: 1, window: Sliding(size: "1s")), emit: "event")]))"#,
            r#"(id: "m", kind: EventStore(append: Constant("0s")))"#,
        ] {
            let found = diagnostics(
                &format!(r#"{P},(id: "r", kind: Router()),{middle},(id: "s", kind: Sink())"#),
                r#"(from: "p", to: "r"), (from: "r", to: "m"), (from: "m", to: "r"), (from: "r", to: "s")"#,
            );
            assert!(
                found
                    .iter()
                    .any(|d| d.is_error() && d.message.contains("without time passing")),
                "{middle}: {found:#?}"
            );
        }
        // A store that takes time to append breaks the loop.
        let found = diagnostics(
            &format!(
                r#"{P},(id: "r", kind: Router()),(id: "m", kind: EventStore()),(id: "s", kind: Sink())"#
            ),
            r#"(from: "p", to: "r"), (from: "r", to: "m"), (from: "m", to: "r"), (from: "r", to: "s")"#,
        );
        assert!(
            !found
                .iter()
                .any(|d| d.message.contains("without time passing")),
            "{found:#?}"
        );
    }

    #[test]
    fn warns_about_designs_that_lose_messages() {
        let found = diagnostics(
            &format!(r#"{P},(id: "t", kind: Topic()),(id: "q", kind: Queue(max_receives: 3)),{C}"#),
            r#"(from: "p", to: "t"), (from: "t", to: "q", filter: ["nothing"]), (from: "q", to: "c")"#,
        );
        assert!(
            has(&found, Severity::Warning, "q", "max_receives"),
            "{found:#?}"
        );
        assert!(
            has(&found, Severity::Warning, "t->q", "no producer emits"),
            "{found:#?}"
        );
    }
}
