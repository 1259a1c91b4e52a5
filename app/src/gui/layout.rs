//! Auto-layout: left to right in layers, for "Arrange" and for files
//! without positions.
//!
//! A node's layer is the longest path to it from a node without inputs
//! (edges that close a cycle are ignored); within a layer, nodes are
//! ordered by the average position of their predecessors, which keeps
//! most edges from crossing.

use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use sim_core::Model;
use sim_core::model::ModelCommand;

const COLUMN: f32 = 240.0;
const ROW: f32 = 100.0;

/// Positions for every node, as one command (undoable as one step).
pub fn arrange(model: &Model) -> ModelCommand {
    let moves = positions(model)
        .into_iter()
        .filter(|(n, pos)| model.graph[*n].pos != Some(*pos))
        .map(|(n, pos)| ModelCommand::MoveNode {
            id: model.graph[n].id.clone(),
            pos: Some(pos),
        })
        .collect();
    ModelCommand::Batch(moves)
}

/// Whether any node lacks a position.
pub fn needs_layout(model: &Model) -> bool {
    model.graph.node_weights().any(|n| n.pos.is_none())
}

fn positions(model: &Model) -> Vec<(NodeIndex, [f32; 2])> {
    let graph = &model.graph;
    let nodes: Vec<NodeIndex> = graph.node_indices().collect();
    // Layers by longest path, visiting in Kahn order; nodes left on cycles
    // are released one at a time in file order.
    let mut indegree: std::collections::BTreeMap<NodeIndex, usize> = nodes
        .iter()
        .map(|&n| (n, graph.neighbors_directed(n, Direction::Incoming).count()))
        .collect();
    let mut layer: std::collections::BTreeMap<NodeIndex, usize> = std::collections::BTreeMap::new();
    let mut ready: std::collections::VecDeque<NodeIndex> =
        nodes.iter().copied().filter(|n| indegree[n] == 0).collect();
    // The first node in file order not yet placed is at or after `next_unplaced`
    // (nodes are only ever placed, never taken back), so releasing nodes
    // left on cycles costs one pass in all.
    let mut next_unplaced = 0;
    while layer.len() < nodes.len() {
        let n = match ready.pop_front() {
            Some(n) => n,
            None => {
                while next_unplaced < nodes.len() && layer.contains_key(&nodes[next_unplaced]) {
                    next_unplaced += 1;
                }
                let Some(&n) = nodes.get(next_unplaced) else {
                    break;
                };
                n
            }
        };
        if layer.contains_key(&n) {
            continue;
        }
        let l = graph
            .neighbors_directed(n, Direction::Incoming)
            .filter_map(|p| layer.get(&p).map(|l| l + 1))
            .max()
            .unwrap_or(0);
        layer.insert(n, l);
        for next in graph.neighbors_directed(n, Direction::Outgoing) {
            if let Some(d) = indegree.get_mut(&next) {
                *d = d.saturating_sub(1);
                if *d == 0 && !layer.contains_key(&next) {
                    ready.push_back(next);
                }
            }
        }
    }
    let depth = layer.values().copied().max().unwrap_or(0);
    let mut columns: Vec<Vec<NodeIndex>> = vec![Vec::new(); depth + 1];
    for &n in &nodes {
        columns[layer[&n]].push(n);
    }
    // Order each column by the mean row of its predecessors.
    let mut row: std::collections::BTreeMap<NodeIndex, f32> = std::collections::BTreeMap::new();
    for column in &mut columns {
        let key = |n: &NodeIndex| {
            let rows: Vec<f32> = graph
                .neighbors_directed(*n, Direction::Incoming)
                .filter_map(|p| row.get(&p).copied())
                .collect();
            if rows.is_empty() {
                f32::MAX
            } else {
                #[expect(clippy::cast_precision_loss, reason = "small counts")]
                let len = rows.len() as f32;
                rows.iter().sum::<f32>() / len
            }
        };
        let mut keyed: Vec<(f32, NodeIndex)> = column.iter().map(|n| (key(n), *n)).collect();
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        *column = keyed.into_iter().map(|(_, n)| n).collect();
        for (i, n) in column.iter().enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            row.insert(*n, i as f32);
        }
    }
    let tallest = columns.iter().map(Vec::len).max().unwrap_or(0);
    let mut out = Vec::with_capacity(nodes.len());
    for (c, column) in columns.iter().enumerate() {
        #[expect(clippy::cast_precision_loss, reason = "small counts")]
        let top = (tallest - column.len()) as f32 * ROW / 2.0;
        for (i, &n) in column.iter().enumerate() {
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            let pos = [40.0 + c as f32 * COLUMN, 40.0 + top + i as f32 * ROW];
            out.push((n, pos));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use sim_core::model::{Edge, Node};
    use sim_core::nodes::{Kind, NodeKind};

    use super::*;

    #[test]
    fn layers_go_left_to_right_and_nodes_do_not_overlap() {
        let mut m = Model::new("t");
        let ids = [
            ("p", Kind::Producer),
            ("q", Kind::Queue),
            ("c", Kind::Consumer),
            ("s", Kind::Sink),
            ("d", Kind::DeadLetter),
        ];
        for (id, kind) in ids {
            m.add_node(Node::new(id, NodeKind::default_for(kind)));
        }
        for (a, b) in [("p", "q"), ("q", "c"), ("c", "s"), ("c", "d"), ("c", "q")] {
            let (Some(a), Some(b)) = (m.find(a), m.find(b)) else {
                panic!("test ids exist");
            };
            m.add_edge(a, b, Edge::default());
        }
        assert!(needs_layout(&m));
        m.apply(arrange(&m)).expect("moves apply");
        assert!(!needs_layout(&m), "every node has a position");
        let x = |id: &str| {
            let n = m.find(id).expect("exists");
            m.graph[n].pos.expect("placed")
        };
        assert!(x("p")[0] < x("q")[0] && x("q")[0] < x("c")[0] && x("c")[0] < x("s")[0]);
        assert_ne!(x("s"), x("d"), "siblings get their own rows");
    }
}
