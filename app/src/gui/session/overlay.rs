//! A live run drawn over the canvas: edge widths by rate, moving dots,
//! the cards' marks and what a card's tooltip says.

use eframe::egui::{Color32, Painter, Pos2, Rect, Stroke, vec2};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef as _;
use sim_core::snapshot::Place;

use super::{LiveView, marks};
use crate::gui::canvas::{EdgePath, Overlay};
use crate::gui::colors;
use crate::gui::kinds;

impl LiveView {
    /// The canvas overlay for this frame, at the view's clock.
    pub fn overlay(&mut self, dark: bool) -> LiveOverlay<'_> {
        LiveOverlay {
            session: self,
            dark,
        }
    }
}

/// Draws a live run over the canvas.
#[derive(Debug)]
pub struct LiveOverlay<'a> {
    session: &'a mut LiveView,
    dark: bool,
}

impl Overlay for LiveOverlay<'_> {
    fn edge_stroke(&self, edge: EdgeIndex, normal: Stroke) -> Stroke {
        let s = &*self.session;
        let Some(&i) = s.edge_ix.get(&edge) else {
            return normal;
        };
        let Some(snap) = s.frame.snapshot.edges.get(i) else {
            return normal;
        };
        if s.edge_blocked(i) {
            return Stroke::new(normal.width * 2.2, colors::BLOCKED);
        }
        let max = s.rate_max;
        let rate = s.rates.get(i).copied().unwrap_or(0.0);
        if rate <= 0.0 || max <= 0.0 {
            return normal;
        }
        let color = if snap.dead_letter {
            normal.color
        } else {
            colors::flow(self.dark).gamma_multiply(0.75)
        };
        // Width grows with the square root of the rate, so a quiet edge
        // stays visible beside a busy one.
        Stroke::new(normal.width * (1.0 + 1.8 * (rate / max).sqrt()), color)
    }

    fn paint_flow(&mut self, painter: &Painter, edges: &[(EdgeIndex, EdgePath)], zoom: f32) {
        let s = &*self.session;
        let mut ends: Vec<Option<&EdgePath>> = vec![None; s.edges.len()];
        for (e, path) in edges {
            if let Some(&i) = s.edge_ix.get(e) {
                ends[i] = Some(path);
            }
        }
        let r = (4.0 * zoom.clamp(0.5, 1.6)).max(2.0);
        let dark = self.dark;
        let s_journeys = &s.frame.journeys;
        let sampled = |id: u64| s_journeys.iter().any(|j| j.msg_id == id);
        let mut hits = Vec::new();
        let mut mark = |at: Pos2, id: u64| {
            if sampled(id) {
                paint_followed(painter, at, r, dark);
                hits.push((at, id));
            }
        };
        let dot = |at: Pos2, color: Color32, marks: DotMarks| {
            paint_dot(painter, at, r, color, marks, dark);
        };
        for d in &s.dots {
            let Some(path) = ends.get(d.edge).copied().flatten() else {
                continue;
            };
            let at = path.point(s.dot_progress(d));
            dot(at, d.color, d.marks);
            mark(at, d.msg_id);
        }
        let snap = &s.frame.snapshot;
        for m in &snap.messages {
            let Place::InTransit { edge, progress } = m.place else {
                continue;
            };
            let e = edge as usize;
            let Some(path) = ends.get(e).copied().flatten() else {
                continue;
            };
            let failed = snap.edges.get(e).is_some_and(|x| x.dead_letter);
            let at = path.point(progress);
            let marks = DotMarks {
                retried: m.retried(),
                failed,
                stale: m.stale,
                lost: false,
            };
            dot(at, colors::event(m.event_type), marks);
            mark(at, m.msg_id);
        }
        // NOTE: a click lands on what the user saw: the previous frame.
        self.session.shown_dots = std::mem::replace(&mut self.session.sampled_dots, hits);
    }

    fn paint_node(&self, painter: &Painter, node: NodeIndex, card: Rect, zoom: f32) {
        let s = &*self.session;
        if let (Some(snap), Some(&i)) = (s.node(node), s.node_ix.get(&node)) {
            let blocked = s.node_blocked(i);
            marks::paint_node_marks(painter, snap, blocked, card, zoom, self.dark);
            // Messages lost here rise from the card's top edge, side by
            // side, the newest few.
            let r = (4.5 * zoom).max(3.0);
            let shown: Vec<_> = s.lost_at(i).collect();
            let newest = shown.len().saturating_sub(LOST_MARKS);
            for (k, &(lost, t)) in shown[newest..].iter().enumerate() {
                #[expect(clippy::cast_precision_loss, reason = "a few marks")]
                let x = card.center().x + (k as f32 - 2.5) * 4.0 * r;
                let at = Pos2::new(x, card.top() - (6.0 + 24.0 * t) * zoom);
                let marks = DotMarks {
                    lost: true,
                    ..DotMarks::default()
                };
                let color = lost.color.gamma_multiply(1.0 - 0.7 * t);
                paint_dot(painter, at, r, color, marks, self.dark);
            }
        }
    }

    fn node_hover_text(&self, node: NodeIndex) -> Option<String> {
        let s = &*self.session;
        let snap = s.node(node)?;
        let i = *s.node_ix.get(&node)?;
        let waiting_on = || {
            if !s.node_blocked(i) {
                return None;
            }
            let graph = &s.model.graph;
            let full: Vec<&str> = graph
                .edges(node)
                .filter(|e| s.edge_ix.get(&e.id()).is_some_and(|&e| s.edge_blocked(e)))
                .filter_map(|e| graph.node_weight(e.target()).map(sim_core::Node::label))
                .collect();
            Some(full.join(", "))
        };
        kinds::of(snap.kind).hover_text(snap, &waiting_on)
    }

    fn region_down(&self, region: &str) -> bool {
        let s = &*self.session;
        let now = s.frame.snapshot.now;
        s.model.scenario.region_outages.iter().any(|o| {
            o.region == region
                && sim_core::time::SimTime(o.at.0) <= now
                && now < sim_core::time::SimTime(o.at.0) + o.duration
        })
    }
}

/// Lost messages shown rising from one card at once.
const LOST_MARKS: usize = 6;

/// What a message's dot shows besides its event type.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct DotMarks {
    /// Tried more than once.
    pub retried: bool,
    /// On its way to a dead letter.
    pub failed: bool,
    /// Nobody waits for it any more: past its deadline, or a send its
    /// client gave up on.
    pub stale: bool,
    /// Lost to a failure (a crash, a failover, a link's loss).
    pub lost: bool,
}

/// A message's dot of radius `r` on the canvas (and in the live marks'
/// legend): a cross over it on its way to a dead letter, a ring round it
/// once retried, hollow and struck through once nobody waits for it, in a
/// red ring and struck out with a red cross when lost.
pub(crate) fn paint_dot(
    painter: &Painter,
    at: Pos2,
    r: f32,
    color: Color32,
    DotMarks {
        retried,
        failed,
        stale,
        lost,
    }: DotMarks,
    dark: bool,
) {
    let outline = if dark {
        Color32::from_gray(20)
    } else {
        Color32::WHITE
    };
    if lost {
        // Lost to a failure: the dot in a ring, struck out with a cross,
        // in the neutral tone of a crash (lighter on a dark background).
        let tone = if dark {
            Color32::from_gray(0xE0)
        } else {
            Color32::from_gray(0x40)
        };
        painter.circle(at, r, color, Stroke::new(1.0, outline));
        painter.circle_stroke(at, r * 1.7, Stroke::new(2.0, tone));
        let d = r * 1.2;
        let stroke = Stroke::new(2.0, tone);
        painter.line_segment([at - vec2(d, d), at + vec2(d, d)], stroke);
        painter.line_segment([at - vec2(d, -d), at + vec2(d, -d)], stroke);
    } else if failed {
        // Failed: a warning-coloured cross over the dot.
        painter.circle_filled(at, r * 1.2, colors::WARN);
        let d = r * 0.8;
        let stroke = Stroke::new(1.6, outline);
        painter.line_segment([at - vec2(d, d), at + vec2(d, d)], stroke);
        painter.line_segment([at - vec2(d, -d), at + vec2(d, -d)], stroke);
    } else if stale {
        // Nobody waits for it: hollow, struck through, work for nobody.
        painter.circle(at, r, outline, Stroke::new(1.6, color));
        let d = r * 0.75;
        painter.line_segment(
            [at + vec2(-d, d), at + vec2(d, -d)],
            Stroke::new(1.4, color),
        );
        if retried {
            painter.circle_stroke(at, r * 1.9, Stroke::new(1.8, colors::WARN));
        }
    } else if retried {
        // Retried: a ring around the dot.
        painter.circle(at, r, color, Stroke::new(1.0, outline));
        painter.circle_stroke(at, r * 1.9, Stroke::new(1.8, colors::WARN));
    } else if r <= 2.0 {
        // Far out, the outline would take half the dot.
        painter.circle_filled(at, r, color);
    } else {
        painter.circle(at, r, color, Stroke::new(1.0, outline));
    }
}

/// The ring round a followed message's dot of radius `r`: it can be
/// clicked for its journey.
pub(crate) fn paint_followed(painter: &Painter, at: Pos2, r: f32, dark: bool) {
    let ring = if dark { Color32::WHITE } else { Color32::BLACK };
    painter.circle_stroke(at, r * 2.4, Stroke::new(1.5, ring));
}
