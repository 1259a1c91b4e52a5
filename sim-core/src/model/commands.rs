//! Edits to a model, as values.
//!
//! Nothing but [`Model::apply`] changes a model that a user edits: the GUI
//! turns gestures into [`ModelCommand`]s and applies them here, so the rules
//! (ids are unique, only valid connections, a node keeps its kind) live in
//! one place. Applying a command returns its inverse, which is how undo and
//! redo work: apply the inverse, keep what *it* returns for redo.
//!
//! Nodes are named by their string ids and edges by their endpoints, not by
//! petgraph indices, so a command stays meaningful across undo, copy and
//! paste. Removing a node and putting it back restores its index and its
//! edges' indices too (petgraph's stable graph reuses the most recently
//! freed slot first), so the saved file keeps its order.

use petgraph::Direction;
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef;

use super::{Edge, Model, Node, Scenario};
use crate::nodes::{Kind, NodeKind};

/// One edit of a model. See the module documentation.
#[derive(Clone, Debug, PartialEq)]
pub enum ModelCommand {
    /// Adds a node; its id must be new.
    AddNode(Node),
    /// Removes a node with every edge touching it.
    RemoveNode { id: String },
    /// Puts back a removed node with its edges: the inverse of
    /// [`RemoveNode`](Self::RemoveNode). Edges are listed in the order they
    /// are re-added.
    RestoreNode {
        node: Node,
        edges: Vec<(String, String, Edge)>,
    },
    /// Moves a node on the canvas (`None`: no position yet).
    MoveNode { id: String, pos: Option<[f32; 2]> },
    /// Renames a node's display name (`None`: show the id).
    Rename { id: String, name: Option<String> },
    /// Places a node in a region (`None`: in none).
    SetRegion { id: String, region: Option<String> },
    /// Changes a node's id; edges follow.
    SetId { id: String, new_id: String },
    /// Replaces a node's parameters; the kind itself cannot change.
    SetParams { id: String, kind: NodeKind },
    /// Adds an edge, if the kinds allow it.
    Connect {
        from: String,
        to: String,
        edge: Edge,
    },
    /// Removes the edge between two nodes.
    Disconnect { from: String, to: String },
    /// Replaces an edge's properties (latency, filter, id).
    SetEdge {
        from: String,
        to: String,
        edge: Edge,
    },
    /// Replaces the scenario.
    SetScenario(Scenario),
    /// Replaces the service level objectives.
    SetSlos(Vec<crate::slo::Slo>),
    /// Replaces the variants.
    SetVariants(Vec<super::Variant>),
    /// Replaces the alerting rules.
    SetAlerts(Vec<crate::alerts::AlertRule>),
    /// Replaces the model's name and description.
    SetInfo { name: String, description: String },
    /// Several edits as one: all apply, or none.
    Batch(Vec<ModelCommand>),
}

/// Why an edit was refused. The model is unchanged.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum EditError {
    #[error("there is no node '{0}'")]
    NoSuchNode(String),
    #[error("there is no edge from '{from}' to '{to}'")]
    NoSuchEdge { from: String, to: String },
    #[error("a node with id '{0}' already exists; ids must be unique")]
    DuplicateId(String),
    #[error("a node needs a non-empty id")]
    EmptyId,
    #[error("cannot connect a {from} to a {to}: {reason}")]
    InvalidConnection {
        from: Kind,
        to: Kind,
        reason: String,
    },
    #[error("'{from}' is already connected to '{to}'")]
    AlreadyConnected { from: String, to: String },
    #[error("a node cannot be connected to itself")]
    SelfLoop,
    #[error("a {from} cannot become a {to}; add a new node instead")]
    KindChange { from: Kind, to: Kind },
}

impl Model {
    /// Applies one edit and returns the command that undoes it. On an
    /// error the model is left exactly as it was.
    pub fn apply(&mut self, cmd: ModelCommand) -> Result<ModelCommand, EditError> {
        match cmd {
            ModelCommand::AddNode(node) => {
                self.check_new_id(&node.id)?;
                let id = node.id.clone();
                self.graph.add_node(node);
                Ok(ModelCommand::RemoveNode { id })
            }
            ModelCommand::RemoveNode { id } => {
                let n = self.node(&id)?;
                // Edges in index order, removed highest first; putting them
                // back lowest first reuses the same slots.
                let mut touching: Vec<EdgeIndex> = self
                    .graph
                    .edges_directed(n, Direction::Outgoing)
                    .chain(self.graph.edges_directed(n, Direction::Incoming))
                    .map(|e| e.id())
                    .collect();
                touching.sort_unstable();
                touching.dedup();
                let mut edges = Vec::with_capacity(touching.len());
                for &e in touching.iter().rev() {
                    let Some((a, b)) = self.graph.edge_endpoints(e) else {
                        continue;
                    };
                    let (from, to) = (self.graph[a].id.clone(), self.graph[b].id.clone());
                    if let Some(edge) = self.graph.remove_edge(e) {
                        edges.push((from, to, edge));
                    }
                }
                edges.reverse();
                let Some(node) = self.graph.remove_node(n) else {
                    return Err(EditError::NoSuchNode(id));
                };
                Ok(ModelCommand::RestoreNode { node, edges })
            }
            ModelCommand::RestoreNode { node, edges } => {
                self.check_new_id(&node.id)?;
                let id = node.id.clone();
                let n = self.graph.add_node(node);
                for (from, to, edge) in edges {
                    let (Some(a), Some(b)) = (self.find(&from), self.find(&to)) else {
                        // Roll back: the node goes, with what was added.
                        self.graph.remove_node(n);
                        return Err(EditError::NoSuchNode(if self.find(&from).is_none() {
                            from
                        } else {
                            to
                        }));
                    };
                    self.graph.add_edge(a, b, edge);
                }
                Ok(ModelCommand::RemoveNode { id })
            }
            ModelCommand::MoveNode { id, pos } => {
                let n = self.node(&id)?;
                let old = std::mem::replace(&mut self.graph[n].pos, pos);
                Ok(ModelCommand::MoveNode { id, pos: old })
            }
            ModelCommand::Rename { id, name } => {
                let n = self.node(&id)?;
                let name = name.filter(|s| !s.trim().is_empty());
                let old = std::mem::replace(&mut self.graph[n].name, name);
                Ok(ModelCommand::Rename { id, name: old })
            }
            ModelCommand::SetRegion { id, region } => {
                let n = self.node(&id)?;
                let region = region
                    .map(|r| r.trim().to_owned())
                    .filter(|r| !r.is_empty());
                let old = std::mem::replace(&mut self.graph[n].region, region);
                Ok(ModelCommand::SetRegion { id, region: old })
            }
            ModelCommand::SetId { id, new_id } => {
                let n = self.node(&id)?;
                if new_id != id {
                    self.check_new_id(&new_id)?;
                }
                // Faults on its links named by their default ids follow
                // the new ids.
                let renamed_links: Vec<(String, String)> = self
                    .graph
                    .edges_directed(n, Direction::Outgoing)
                    .chain(self.graph.edges_directed(n, Direction::Incoming))
                    .filter(|e| e.weight().id.is_none())
                    .map(|e| {
                        let (a, b) = (e.source(), e.target());
                        let name = |x: NodeIndex| {
                            if x == n {
                                new_id.clone()
                            } else {
                                self.graph[x].id.clone()
                            }
                        };
                        (
                            super::default_edge_id(&self.graph[a].id, &self.graph[b].id),
                            super::default_edge_id(&name(a), &name(b)),
                        )
                    })
                    .collect();
                let follow_link = |link: &mut Option<String>| {
                    if let Some(l) = link
                        && let Some((_, new)) = renamed_links.iter().find(|(old, _)| old == l)
                    {
                        l.clone_from(new);
                    }
                };
                self.scenario
                    .faults
                    .iter_mut()
                    .for_each(|fault| follow_link(&mut fault.link));
                self.scenario
                    .random_faults
                    .iter_mut()
                    .for_each(|fault| follow_link(&mut fault.link));
                self.graph[n].id.clone_from(&new_id);
                // Objectives, alert rules, faults and variants follow the
                // node, as its edges do.
                for slo in &mut self.slos {
                    slo.on = slo.on.renamed(&id, &new_id);
                }
                let follow = |node: &mut String| {
                    if *node == id {
                        node.clone_from(&new_id);
                    }
                };
                self.alerts.iter_mut().for_each(|rule| follow(&mut rule.on));
                self.scenario
                    .faults
                    .iter_mut()
                    .for_each(|fault| follow(&mut fault.node));
                self.scenario
                    .random_faults
                    .iter_mut()
                    .for_each(|fault| follow(&mut fault.node));
                self.variants
                    .iter_mut()
                    .flat_map(|v| v.nodes.iter_mut())
                    .for_each(|change| follow(&mut change.id));
                Ok(ModelCommand::SetId {
                    id: new_id,
                    new_id: id,
                })
            }
            ModelCommand::SetParams { id, kind } => {
                let n = self.node(&id)?;
                let (from, to) = (self.graph[n].kind.kind(), kind.kind());
                if from != to {
                    return Err(EditError::KindChange { from, to });
                }
                let old = std::mem::replace(&mut self.graph[n].kind, kind);
                Ok(ModelCommand::SetParams { id, kind: old })
            }
            ModelCommand::Connect { from, to, edge } => {
                let (a, b) = (self.node(&from)?, self.node(&to)?);
                self.check_connection(a, b)?;
                self.graph.add_edge(a, b, edge);
                Ok(ModelCommand::Disconnect { from, to })
            }
            ModelCommand::Disconnect { from, to } => {
                let e = self.edge(&from, &to)?;
                let Some(edge) = self.graph.remove_edge(e) else {
                    return Err(EditError::NoSuchEdge { from, to });
                };
                Ok(ModelCommand::Connect { from, to, edge })
            }
            ModelCommand::SetEdge { from, to, edge } => {
                let e = self.edge(&from, &to)?;
                let old = std::mem::replace(&mut self.graph[e], edge);
                Ok(ModelCommand::SetEdge {
                    from,
                    to,
                    edge: old,
                })
            }
            ModelCommand::SetScenario(scenario) => Ok(ModelCommand::SetScenario(
                std::mem::replace(&mut self.scenario, scenario),
            )),
            ModelCommand::SetSlos(slos) => Ok(ModelCommand::SetSlos(std::mem::replace(
                &mut self.slos,
                slos,
            ))),
            ModelCommand::SetVariants(variants) => Ok(ModelCommand::SetVariants(
                std::mem::replace(&mut self.variants, variants),
            )),
            ModelCommand::SetAlerts(alerts) => Ok(ModelCommand::SetAlerts(std::mem::replace(
                &mut self.alerts,
                alerts,
            ))),
            ModelCommand::SetInfo { name, description } => Ok(ModelCommand::SetInfo {
                name: std::mem::replace(&mut self.name, name),
                description: std::mem::replace(&mut self.description, description),
            }),
            ModelCommand::Batch(cmds) => {
                let mut inverses = Vec::with_capacity(cmds.len());
                for cmd in cmds {
                    match self.apply(cmd) {
                        Ok(inverse) => inverses.push(inverse),
                        Err(err) => {
                            self.undo_all(inverses);
                            return Err(err);
                        }
                    }
                }
                inverses.reverse();
                Ok(ModelCommand::Batch(inverses))
            }
        }
    }

    /// Whether an edge from `from` to `to` would be accepted, and if not,
    /// why: the rule the canvas shows while the user drags a connection.
    pub fn can_connect(&self, from: NodeIndex, to: NodeIndex) -> Result<(), EditError> {
        self.check_connection(from, to)
    }

    /// An id not used by any node: `base`, else `base-2`, `base-3`, …
    pub fn unique_id(&self, base: &str) -> String {
        let base = if base.trim().is_empty() { "node" } else { base };
        if self.find(base).is_none() {
            return base.to_owned();
        }
        (2..)
            .map(|i| format!("{base}-{i}"))
            .find(|id| self.find(id).is_none())
            .unwrap_or_else(|| base.to_owned())
    }

    /// The edge from `from` to `to`, if there is one.
    pub fn find_edge(&self, from: &str, to: &str) -> Option<EdgeIndex> {
        let (a, b) = (self.find(from)?, self.find(to)?);
        self.graph.find_edge(a, b)
    }

    fn undo_all(&mut self, inverses: Vec<ModelCommand>) {
        for inverse in inverses.into_iter().rev() {
            // NOTE: an inverse of a command that just applied cannot fail.
            let _ = self.apply(inverse);
        }
    }

    fn node(&self, id: &str) -> Result<NodeIndex, EditError> {
        self.find(id)
            .ok_or_else(|| EditError::NoSuchNode(id.to_owned()))
    }

    fn edge(&self, from: &str, to: &str) -> Result<EdgeIndex, EditError> {
        self.find_edge(from, to)
            .ok_or_else(|| EditError::NoSuchEdge {
                from: from.to_owned(),
                to: to.to_owned(),
            })
    }

    fn check_new_id(&self, id: &str) -> Result<(), EditError> {
        if id.trim().is_empty() {
            return Err(EditError::EmptyId);
        }
        if self.find(id).is_some() {
            return Err(EditError::DuplicateId(id.to_owned()));
        }
        Ok(())
    }

    fn check_connection(&self, a: NodeIndex, b: NodeIndex) -> Result<(), EditError> {
        if a == b {
            return Err(EditError::SelfLoop);
        }
        let (from, to) = (self.graph[a].kind.kind(), self.graph[b].kind.kind());
        from.connect(to)
            .map_err(|reason| EditError::InvalidConnection { from, to, reason })?;
        if self.graph.find_edge(a, b).is_some() {
            return Err(EditError::AlreadyConnected {
                from: self.graph[a].id.clone(),
                to: self.graph[b].id.clone(),
            });
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::model::file;
    use crate::time::Duration;

    fn node(id: &str, kind: Kind) -> Node {
        Node::new(id, NodeKind::default_for(kind))
    }

    fn chain() -> Model {
        let mut m = Model::new("t");
        for (id, kind) in [
            ("p", Kind::Producer),
            ("q", Kind::Queue),
            ("c", Kind::Consumer),
            ("s", Kind::Sink),
            ("d", Kind::DeadLetter),
        ] {
            m.apply(ModelCommand::AddNode(node(id, kind)))
                .expect("new ids are accepted");
        }
        for (from, to) in [("p", "q"), ("q", "c"), ("c", "s"), ("q", "d")] {
            m.apply(ModelCommand::Connect {
                from: from.into(),
                to: to.into(),
                edge: Edge::default(),
            })
            .expect("valid connections are accepted");
        }
        m
    }

    fn connect(from: &str, to: &str) -> ModelCommand {
        ModelCommand::Connect {
            from: from.into(),
            to: to.into(),
            edge: Edge::default(),
        }
    }

    #[test]
    fn invalid_connections_are_refused_with_the_reason() {
        let mut m = chain();
        let before = file::to_string(&m);
        let err = m
            .apply(connect("s", "c"))
            .expect_err("a sink has no outputs");
        assert!(
            err.to_string().contains("end of a flow"),
            "the reason is the kind rule's: {err}"
        );
        assert_eq!(
            m.apply(connect("c", "c")),
            Err(EditError::SelfLoop),
            "no self-loops"
        );
        assert!(
            matches!(
                m.apply(connect("p", "q")),
                Err(EditError::AlreadyConnected { .. })
            ),
            "no parallel edges"
        );
        assert_eq!(file::to_string(&m), before, "refused edits change nothing");
    }

    #[test]
    fn removing_a_node_takes_its_edges_and_undo_puts_them_back() {
        let mut m = chain();
        let before = m.clone();
        let undo = m
            .apply(ModelCommand::RemoveNode { id: "q".into() })
            .expect("q exists");
        assert_eq!(m.graph.node_count(), 4, "one node fewer");
        assert_eq!(m.graph.edge_count(), 1, "only c->s is left");
        m.apply(undo).expect("the inverse applies");
        assert!(m.same_as(&before), "the model is back, in the same order");
    }

    #[test]
    fn ids_stay_unique_and_non_empty() {
        let mut m = chain();
        assert_eq!(
            m.apply(ModelCommand::AddNode(node("q", Kind::Queue))),
            Err(EditError::DuplicateId("q".into()))
        );
        assert_eq!(
            m.apply(ModelCommand::SetId {
                id: "q".into(),
                new_id: "c".into()
            }),
            Err(EditError::DuplicateId("c".into()))
        );
        assert_eq!(
            m.apply(ModelCommand::AddNode(node(" ", Kind::Queue))),
            Err(EditError::EmptyId)
        );
        m.apply(ModelCommand::SetId {
            id: "q".into(),
            new_id: "orders".into(),
        })
        .expect("a fresh id is fine");
        assert!(
            m.find_edge("p", "orders").is_some(),
            "edges follow a renamed id"
        );
        assert_eq!(m.unique_id("orders"), "orders-2");
    }

    #[test]
    fn a_node_keeps_its_kind() {
        let mut m = chain();
        let err = m
            .apply(ModelCommand::SetParams {
                id: "q".into(),
                kind: NodeKind::default_for(Kind::Sink),
            })
            .expect_err("kinds are fixed");
        assert!(matches!(err, EditError::KindChange { .. }), "{err}");
    }

    #[test]
    fn a_failing_batch_changes_nothing() {
        let mut m = chain();
        let before = m.clone();
        let result = m.apply(ModelCommand::Batch(vec![
            ModelCommand::MoveNode {
                id: "p".into(),
                pos: Some([1.0, 2.0]),
            },
            ModelCommand::RemoveNode { id: "c".into() },
            connect("s", "p"),
        ]));
        assert!(result.is_err(), "the last command is invalid");
        assert!(m.same_as(&before), "the batch rolled back");
    }

    fn arb_kind() -> impl Strategy<Value = Kind> {
        prop::sample::select(Kind::ALL.to_vec())
    }

    /// Commands over a small pool of ids, so they often hit existing nodes.
    fn arb_command() -> impl Strategy<Value = ModelCommand> {
        let id = || prop::sample::select(vec!["a", "b", "c", "d", "e", "f"]).prop_map(String::from);
        prop_oneof![
            (id(), arb_kind()).prop_map(|(id, k)| ModelCommand::AddNode(node(&id, k))),
            id().prop_map(|id| ModelCommand::RemoveNode { id }),
            (id(), -500.0f32..500.0, -500.0f32..500.0).prop_map(|(id, x, y)| {
                ModelCommand::MoveNode {
                    id,
                    pos: Some([x, y]),
                }
            }),
            (id(), "[a-z]{0,4}").prop_map(|(id, name)| ModelCommand::Rename {
                id,
                name: Some(name)
            }),
            (id(), id()).prop_map(|(id, new_id)| ModelCommand::SetId { id, new_id }),
            (id(), "[a-z ]{0,3}").prop_map(|(id, region)| ModelCommand::SetRegion {
                id,
                region: Some(region)
            }),
            (id(), id()).prop_map(|(from, to)| connect(&from, &to)),
            (id(), id()).prop_map(|(from, to)| ModelCommand::Disconnect { from, to }),
            (id(), id(), 0u64..1000).prop_map(|(from, to, ms)| ModelCommand::SetEdge {
                from,
                to,
                edge: Edge {
                    latency: Some(Duration::from_millis(ms)),
                    ..Edge::default()
                }
            }),
            (1u64..100).prop_map(|seed| ModelCommand::SetScenario(Scenario {
                seed,
                ..Scenario::default()
            })),
            (id(), 0.0f64..1.0).prop_map(|(id, failure)| ModelCommand::SetParams {
                id,
                kind: NodeKind::Consumer(crate::nodes::ConsumerParams {
                    failure,
                    ..Default::default()
                }),
            }),
        ]
    }

    proptest! {
        /// Apply a random history, then undo it all: the first model is
        /// back, node and edge order included; redo gives the last one.
        #[test]
        fn apply_then_inverse_is_the_identity(
            history in prop::collection::vec(
                prop_oneof![
                    4 => arb_command(),
                    1 => prop::collection::vec(arb_command(), 1..4).prop_map(ModelCommand::Batch),
                ],
                1..40,
            )
        ) {
            let mut m = chain();
            let start = m.clone();
            let mut undo = Vec::new();
            let mut snapshots = vec![m.clone()];
            for cmd in history {
                if let Ok(inverse) = m.apply(cmd) {
                    undo.push(inverse);
                    snapshots.push(m.clone());
                }
            }
            let end = m.clone();
            let mut redo = Vec::new();
            while let Some(inverse) = undo.pop() {
                snapshots.pop();
                let forward = m.apply(inverse).expect("an inverse always applies");
                let expected = snapshots.last().expect("the start is kept");
                prop_assert!(m.same_as(expected), "undo restores each step");
                prop_assert_eq!(file::to_string(&m), file::to_string(expected));
                redo.push(forward);
            }
            prop_assert!(m.same_as(&start), "all undone: the start again");
            while let Some(forward) = redo.pop() {
                m.apply(forward).expect("redo applies");
            }
            prop_assert!(m.same_as(&end), "all redone: the end again");
        }
    }
}
