//! Auto-layout: left to right in layers, for "Arrange" and for files
//! without positions.
//!
//! A node's layer is the longest path to it from a node without inputs
//! (edges that close a cycle are ignored); within a layer, nodes are
//! ordered by the average position of their predecessors, which keeps
//! most edges from crossing. Layers are a link's room apart
//! ([`LINK_GAP`], wider than the narrowest card). When the canvas is
//! wide and low, or narrow and tall, a long chain of layers wraps onto
//! several bands, one under the other, whichever lets Fit zoom in most.

use eframe::egui::{Vec2, vec2};
use petgraph::Direction;
use petgraph::stable_graph::NodeIndex;
use sim_core::Model;
use sim_core::model::ModelCommand;

use super::canvas::{CARD_HEIGHT, GRID, LINK_GAP, card_size};
#[cfg(test)]
use super::canvas::{CARD_MIN_WIDTH, card_rect};

/// Vertical room between two cards of one layer.
const ROW_GAP: f32 = 40.0;
/// Vertical room between two bands: lanes for links that wrap back.
const BAND_GAP: f32 = 80.0;
/// Where the drawing starts, in canvas units.
const ORIGIN: f32 = 40.0;
/// The editor's canvas at a 1280×800 window, in points.
pub const EDITOR_CANVAS: Vec2 = vec2(764.0, 640.0);
/// The zoom the layout aims for (card names at 13.6 points, summaries at
/// 11.5); wrapping stops once it is reached.
const READABLE_ZOOM: f32 = 0.85;
/// A zoom gain smaller than this does not pay for one more band.
const WRAP_GAIN: f32 = 1.08;
/// Fit's margin the layout plans for, in points.
const PLAN_MARGIN: f32 = 28.0;

/// Positions for every node, laid out for the editor's canvas, as one
/// command (undoable as one step).
pub fn arrange(model: &Model) -> ModelCommand {
    arrange_for(model, EDITOR_CANVAS)
}

/// Positions for every node, laid out for a canvas of `canvas` points,
/// as one command (undoable as one step).
pub fn arrange_for(model: &Model, canvas: Vec2) -> ModelCommand {
    let moves = positions(model, canvas)
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

fn positions(model: &Model, canvas: Vec2) -> Vec<(NodeIndex, [f32; 2])> {
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
    let widths: Vec<f32> = columns
        .iter()
        .map(|column| {
            column
                .iter()
                .map(|&n| card_size(&graph[n]).x)
                .fold(0.0, f32::max)
        })
        .collect();
    let bands = best_bands(&columns, &widths, canvas);
    let mut out = Vec::with_capacity(nodes.len());
    let mut top = ORIGIN;
    for band in columns.chunks(bands).zip(widths.chunks(bands)) {
        let (band_columns, band_widths) = band;
        let tallest = band_columns.iter().map(Vec::len).max().unwrap_or(0);
        let mut x = ORIGIN;
        for (column, width) in band_columns.iter().zip(band_widths) {
            #[expect(clippy::cast_precision_loss, reason = "small counts")]
            let offset = (tallest - column.len()) as f32 * (CARD_HEIGHT + ROW_GAP) / 2.0;
            for (i, &n) in column.iter().enumerate() {
                #[expect(clippy::cast_precision_loss, reason = "small counts")]
                let y = top + offset + i as f32 * (CARD_HEIGHT + ROW_GAP);
                out.push((n, [x, snap(y)]));
            }
            x = snap_up(x + width + LINK_GAP);
        }
        top = snap_up(top + band_height(tallest) + BAND_GAP);
    }
    out
}

/// How many layers go in one band: all of them, unless wrapping lets Fit
/// zoom in clearly further on a canvas of `canvas` points.
fn best_bands(columns: &[Vec<NodeIndex>], widths: &[f32], canvas: Vec2) -> usize {
    let n = columns.len().max(1);
    let room = canvas - vec2(2.0 * PLAN_MARGIN, 2.0 * PLAN_MARGIN);
    let zoom_for = |per_band: usize| {
        let mut width: f32 = 0.0;
        let mut height = 0.0;
        for (band, band_widths) in columns.chunks(per_band).zip(widths.chunks(per_band)) {
            let w: f32 = band_widths
                .iter()
                .map(|w| snap_up(w + LINK_GAP))
                .sum::<f32>()
                - LINK_GAP;
            width = width.max(w);
            let tallest = band.iter().map(Vec::len).max().unwrap_or(0);
            height += band_height(tallest) + BAND_GAP;
        }
        height -= BAND_GAP;
        if per_band < n {
            // Links back to the next band's start run along lanes a stub
            // beyond the cards on either side.
            width += 2.0 * crate::gui::canvas::STUB;
        }
        (room.x / width.max(1.0)).min(room.y / height.max(1.0))
    };
    // The fewest bands that reach a readable zoom; failing that, the
    // zoom's best, a band more only for a clear gain.
    let mut candidates = Vec::new();
    for per_band in (1..=n).rev() {
        // Only the fewest layers per band for a given number of bands.
        if per_band > 1 && n.div_ceil(per_band - 1) == n.div_ceil(per_band) {
            continue;
        }
        candidates.push((per_band, zoom_for(per_band)));
    }
    if let Some(&(per_band, _)) = candidates.iter().find(|(_, zoom)| *zoom >= READABLE_ZOOM) {
        return per_band;
    }
    let mut best = candidates[0];
    for &(per_band, zoom) in &candidates[1..] {
        if zoom > best.1 * WRAP_GAIN {
            best = (per_band, zoom);
        }
    }
    best.0
}

fn band_height(tallest: usize) -> f32 {
    #[expect(clippy::cast_precision_loss, reason = "small counts")]
    let rows = tallest.max(1) as f32;
    rows * CARD_HEIGHT + (rows - 1.0) * ROW_GAP
}

fn snap(v: f32) -> f32 {
    (v / GRID).round() * GRID
}

fn snap_up(v: f32) -> f32 {
    (v / GRID).ceil() * GRID
}

#[cfg(test)]
mod tests {
    use eframe::egui::Rect;
    use sim_core::model::{Edge, Node};
    use sim_core::nodes::{Kind, NodeKind};

    use super::*;

    fn model(ids: &[(&str, Kind)], edges: &[(&str, &str)]) -> Model {
        let mut m = Model::new("t");
        for &(id, kind) in ids {
            m.add_node(Node::new(id, NodeKind::default_for(kind)));
        }
        for &(a, b) in edges {
            let (Some(a), Some(b)) = (m.find(a), m.find(b)) else {
                panic!("test ids exist");
            };
            m.add_edge(a, b, Edge::default());
        }
        m
    }

    fn card(m: &Model, id: &str) -> Rect {
        card_rect(&m.graph[m.find(id).expect("exists")])
    }

    #[test]
    fn layers_go_left_to_right_a_link_apart_and_nodes_do_not_overlap() {
        let mut m = model(
            &[
                ("p", Kind::Producer),
                ("q", Kind::Queue),
                ("c", Kind::Consumer),
                ("s", Kind::Sink),
                ("d", Kind::DeadLetter),
            ],
            &[("p", "q"), ("q", "c"), ("c", "s"), ("c", "d"), ("c", "q")],
        );
        assert!(needs_layout(&m));
        // A wide canvas: one band.
        m.apply(arrange_for(&m, vec2(2400.0, 800.0)))
            .expect("moves apply");
        assert!(!needs_layout(&m), "every node has a position");
        for (a, b) in [("p", "q"), ("q", "c"), ("c", "s")] {
            let gap = card(&m, b).left() - card(&m, a).right();
            assert!(gap >= LINK_GAP - 0.5, "{a} → {b}: {gap}");
            assert!(gap >= CARD_MIN_WIDTH);
        }
        assert_ne!(card(&m, "s"), card(&m, "d"), "siblings get their own rows");
        assert!(!card(&m, "s").intersects(card(&m, "d")));
    }

    #[test]
    fn a_long_chain_wraps_onto_bands_on_a_narrow_canvas() {
        let ids: Vec<(String, Kind)> = (0..8)
            .map(|i| {
                let kind = match i {
                    0 => Kind::Producer,
                    7 => Kind::Sink,
                    _ if i % 2 == 1 => Kind::Queue,
                    _ => Kind::Consumer,
                };
                (format!("n{i}"), kind)
            })
            .collect();
        let refs: Vec<(&str, Kind)> = ids.iter().map(|(id, k)| (id.as_str(), *k)).collect();
        let edges: Vec<(String, String)> = (0..7)
            .map(|i| (format!("n{i}"), format!("n{}", i + 1)))
            .collect();
        let edge_refs: Vec<(&str, &str)> = edges
            .iter()
            .map(|(a, b)| (a.as_str(), b.as_str()))
            .collect();
        let mut wide = model(&refs, &edge_refs);
        wide.apply(arrange_for(&wide, vec2(4000.0, 400.0)))
            .expect("moves apply");
        let ys: std::collections::BTreeSet<i32> = wide
            .graph
            .node_weights()
            .map(|n| n.pos.map_or(0, |p| p[1] as i32))
            .collect();
        assert_eq!(ys.len(), 1, "one row on a wide canvas");

        let mut narrow = model(&refs, &edge_refs);
        narrow
            .apply(arrange_for(&narrow, EDITOR_CANVAS))
            .expect("moves apply");
        let bands: std::collections::BTreeSet<i32> = narrow
            .graph
            .node_weights()
            .map(|n| n.pos.map_or(0, |p| p[1] as i32))
            .collect();
        assert!(bands.len() > 1, "wrapped onto {} bands", bands.len());
        let (zoom_wide, _) = super::super::canvas::fit_view(EDITOR_CANVAS, &wide, false);
        let (zoom_narrow, _) = super::super::canvas::fit_view(EDITOR_CANVAS, &narrow, false);
        assert!(
            zoom_narrow > zoom_wide * 1.5,
            "wrapping zooms in: {zoom_narrow} against {zoom_wide}"
        );
        assert!(zoom_narrow >= READABLE_ZOOM);
        let rects: Vec<_> = narrow.graph.node_weights().map(card_rect).collect();
        for (i, a) in rects.iter().enumerate() {
            for b in &rects[i + 1..] {
                assert!(!a.intersects(*b), "cards overlap");
            }
        }
    }
}
