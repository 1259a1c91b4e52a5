//! The window's side of a live run: the latest frame, rates derived from
//! successive snapshots, moving dots, keeping the run in step with the
//! model being edited, and drawing it all over the canvas.
//!
//! Per-kind marks on the cards are in one `match` ([`paint_node_marks`]).

use std::collections::BTreeMap;

use eframe::egui::{self, Align2, Color32, FontId, Painter, Pos2, Rect, Stroke, StrokeKind, vec2};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use petgraph::visit::EdgeRef as _;
use sim_core::faults::Effect;
use sim_core::nodes::Kind;
use sim_core::nodes::breaker::BreakerState;
use sim_core::snapshot::{NodeSnapshot, PartitionSnapshot, Place};
use sim_core::time::Duration;
use sim_core::{Model, RunResult};

use super::canvas::{Overlay, bezier_point};
use super::live::{Command, JourneyRef, LiveFrame, LiveRun, Notice, Speed};

/// Colours that read on a projector and for colour-blind viewers (the
/// Okabe–Ito palette).
pub mod colors {
    use eframe::egui::Color32;

    pub const ORANGE: Color32 = Color32::from_rgb(0xE6, 0x9F, 0x00);
    pub const SKY: Color32 = Color32::from_rgb(0x56, 0xB4, 0xE9);
    pub const GREEN: Color32 = Color32::from_rgb(0x00, 0x9E, 0x73);
    pub const YELLOW: Color32 = Color32::from_rgb(0xF0, 0xE4, 0x42);
    pub const BLUE: Color32 = Color32::from_rgb(0x00, 0x72, 0xB2);
    pub const VERMILLION: Color32 = Color32::from_rgb(0xD5, 0x5E, 0x00);
    pub const PURPLE: Color32 = Color32::from_rgb(0xCC, 0x79, 0xA7);

    /// Event types, in the order of their ids.
    pub const EVENTS: [Color32; 6] = [BLUE, ORANGE, GREEN, PURPLE, SKY, YELLOW];
    /// Blocked, full, down, open: the warning colour.
    pub const WARN: Color32 = VERMILLION;

    pub fn event(ty: u16) -> Color32 {
        EVENTS[usize::from(ty) % EVENTS.len()]
    }

    /// Flowing edges, readable on either background.
    pub fn flow(dark: bool) -> Color32 {
        if dark { SKY } else { BLUE }
    }
}

/// Wall-clock seconds a node or edge stays marked blocked after the last
/// frame that found it so.
// NOTE: a sender that waits most of the time is free for an instant
// between two messages; without the hold its mark would blink.
const BLOCKED_HOLD_S: f64 = 0.4;

/// Wall-clock seconds a dot takes to cross an edge without latency.
const DOT_TRAVEL_S: f64 = 0.9;
/// Dots on screen at most.
const MAX_DOTS: usize = 900;

#[derive(Clone, Copy, Debug)]
struct Dot {
    edge: usize,
    born: f64,
    color: Color32,
    retried: bool,
    failed: bool,
    /// The message's identity (a sampled one opens in the inspector).
    msg_id: u64,
}

/// A live run as the window sees it.
#[derive(Debug)]
pub struct LiveSession {
    run: LiveRun,
    frame: Box<LiveFrame>,
    spare: Option<Box<LiveFrame>>,
    /// What the run was built from: edits are compared with it.
    model: Model,
    pub seed: u64,
    pub speed: Speed,
    /// Simulation order → the model's indices, and back.
    nodes: Vec<NodeIndex>,
    edges: Vec<EdgeIndex>,
    node_ix: BTreeMap<NodeIndex, usize>,
    edge_ix: BTreeMap<EdgeIndex, usize>,
    edge_has_latency: Vec<bool>,
    /// Messages per simulated second on each edge, smoothed.
    rates: Vec<f32>,
    last_counts: Option<(u64, Vec<u64>)>,
    last_seq: Vec<u64>,
    dots: Vec<Dot>,
    run_id: u64,
    /// A message for the user and until when (wall seconds).
    pub notice: Option<(String, f64)>,
    /// The latest full result, after asking for one.
    pub result: Option<Box<RunResult>>,
    watching: (Vec<String>, Vec<(String, String)>),
    /// The sampled message the inspector asked for.
    inspecting: Option<JourneyRef>,
    /// Where the dots of sampled messages were drawn last (screen
    /// positions and message identities), for clicks.
    sampled_dots: Vec<(Pos2, u64)>,
    /// The same, one frame earlier: what was on screen when a click came.
    shown_dots: Vec<(Pos2, u64)>,
    /// Until when (wall seconds) each node and each edge shows as blocked.
    blocked_until: (Vec<f64>, Vec<f64>),
}

impl LiveSession {
    /// Starts `model` paused at zero; `repaint` wakes the window.
    pub fn start(model: &Model, seed: u64, repaint: Box<dyn Fn() + Send>) -> Result<Self, String> {
        let run = LiveRun::start(model, seed, repaint)?;
        let mut session = Self {
            run,
            frame: Box::default(),
            spare: None,
            model: model.clone(),
            seed,
            speed: Speed::Times(1.0),
            nodes: Vec::new(),
            edges: Vec::new(),
            node_ix: BTreeMap::new(),
            edge_ix: BTreeMap::new(),
            edge_has_latency: Vec::new(),
            rates: Vec::new(),
            last_counts: None,
            last_seq: Vec::new(),
            dots: Vec::new(),
            run_id: 0,
            notice: None,
            result: None,
            watching: (Vec::new(), Vec::new()),
            inspecting: None,
            sampled_dots: Vec::new(),
            shown_dots: Vec::new(),
            blocked_until: (Vec::new(), Vec::new()),
        };
        session.map_model();
        Ok(session)
    }

    fn map_model(&mut self) {
        let graph = &self.model.graph;
        self.nodes = graph.node_indices().collect();
        self.edges = graph.edge_indices().collect();
        self.node_ix = self
            .nodes
            .iter()
            .enumerate()
            .map(|(i, &n)| (n, i))
            .collect();
        self.edge_ix = self
            .edges
            .iter()
            .enumerate()
            .map(|(i, &e)| (e, i))
            .collect();
        self.edge_has_latency = self
            .edges
            .iter()
            .map(|&e| graph[e].latency.is_some_and(|d| !d.is_zero()))
            .collect();
        self.rates = vec![0.0; self.edges.len()];
        self.last_seq = vec![0; self.edges.len()];
        self.last_counts = None;
        self.dots.clear();
        self.blocked_until = (Vec::new(), Vec::new());
    }

    pub fn send(&self, cmd: Command) {
        self.run.send(cmd);
    }

    /// The frame on show.
    pub fn frame(&self) -> &LiveFrame {
        &self.frame
    }

    /// Whether a frame from the thread has arrived since the start.
    pub fn playing(&self) -> bool {
        self.frame.playing
    }

    /// Frames the thread skipped because the window held the hand-off.
    pub fn skipped_frames(&self) -> u64 {
        self.run.skipped_frames()
    }

    /// The thread's run, for tests that hold its hand-off.
    pub fn run(&self) -> &LiveRun {
        &self.run
    }

    /// Resets the run from zero with `seed`.
    pub fn reset(&mut self, seed: u64) {
        self.seed = seed;
        self.send(Command::Reset { seed, model: None });
        self.result = None;
    }

    pub fn set_speed(&mut self, speed: Speed) {
        self.speed = speed;
        self.send(Command::SetSpeed(speed));
    }

    /// Picks up the newest frame (never waits); `wall` is the window's
    /// clock in seconds.
    pub fn poll(&mut self, wall: f64) {
        let Some(mut fresh) = self.run.take_frame(&mut self.spare) else {
            return;
        };
        if fresh.run_id != self.run_id {
            self.run_id = fresh.run_id;
            self.last_counts = None;
            self.last_seq = vec![0; self.edges.len()];
            self.rates = vec![0.0; self.edges.len()];
            self.dots.clear();
            self.blocked_until = (Vec::new(), Vec::new());
        }
        for notice in std::mem::take(&mut fresh.notices) {
            match notice {
                Notice::NeedsRestart(why) => {
                    self.restart(&format!("{why}: the run restarted from zero"), wall);
                }
                Notice::Refused(why) | Notice::Failed(why) => self.notice = Some((why, wall + 6.0)),
            }
        }
        if let Some(result) = fresh.result.take() {
            self.result = Some(result);
        }
        self.update_rates(&fresh);
        self.spawn_dots(&fresh, wall);
        self.hold_blocked(&fresh, wall);
        // The previous frame goes back to the thread for reuse.
        self.spare = Some(std::mem::replace(&mut self.frame, fresh));
    }

    fn hold_blocked(&mut self, frame: &LiveFrame, wall: f64) {
        let snap = &frame.snapshot;
        let (nodes, edges) = &mut self.blocked_until;
        nodes.resize(snap.nodes.len(), f64::NEG_INFINITY);
        edges.resize(snap.edges.len(), f64::NEG_INFINITY);
        let blocked = snap.nodes.iter().map(|n| n.blocked);
        for (until, blocked) in nodes.iter_mut().zip(blocked) {
            if blocked {
                *until = wall + BLOCKED_HOLD_S;
            }
        }
        for (until, e) in edges.iter_mut().zip(&snap.edges) {
            if e.blocked {
                *until = wall + BLOCKED_HOLD_S;
            }
        }
    }

    /// Whether the node at `i` (model order) shows as blocked at `wall`.
    fn node_blocked(&self, i: usize, wall: f64) -> bool {
        self.blocked_until.0.get(i).is_some_and(|&t| wall < t)
    }

    /// Whether the edge at `i` (model order) shows as blocked at `wall`.
    fn edge_blocked(&self, i: usize, wall: f64) -> bool {
        self.blocked_until.1.get(i).is_some_and(|&t| wall < t)
    }

    fn update_rates(&mut self, frame: &LiveFrame) {
        let snap = &frame.snapshot;
        if snap.edges.len() != self.rates.len() {
            return;
        }
        let now = snap.now.as_nanos();
        let counts: Vec<u64> = snap.edges.iter().map(|e| e.carried).collect();
        if let Some((then, before)) = &self.last_counts {
            let dt = now.saturating_sub(*then);
            if dt == 0 {
                return;
            }
            #[expect(clippy::cast_precision_loss, reason = "display rates")]
            let dt_s = dt as f32 / 1e9;
            // Smooth over about a simulated second.
            let keep = (-dt_s).exp();
            for (rate, (c, b)) in self.rates.iter_mut().zip(counts.iter().zip(before)) {
                #[expect(clippy::cast_precision_loss, reason = "display rates")]
                let inst = c.saturating_sub(*b) as f32 / dt_s;
                *rate = *rate * keep + inst * (1.0 - keep);
            }
        }
        self.last_counts = Some((now, counts));
    }

    fn spawn_dots(&mut self, frame: &LiveFrame, wall: f64) {
        let snap = &frame.snapshot;
        if snap.edges.len() != self.last_seq.len() {
            return;
        }
        self.dots.retain(|d| wall - d.born < DOT_TRAVEL_S);
        for m in &snap.messages {
            let Place::Crossed { edge, seq, .. } = m.place else {
                continue;
            };
            let e = edge as usize;
            if seq <= self.last_seq[e] || self.edge_has_latency[e] {
                continue;
            }
            if self.dots.len() >= MAX_DOTS {
                break;
            }
            self.dots.push(Dot {
                edge: e,
                born: wall,
                color: colors::event(m.event_type),
                retried: m.retried(),
                failed: snap.edges[e].dead_letter,
                msg_id: m.msg_id,
            });
        }
        for (seq, e) in self.last_seq.iter_mut().zip(&snap.edges) {
            *seq = e.carried;
        }
    }

    /// Keeps the run in step with the model being edited: parameter
    /// changes apply live; anything else restarts the run with a notice.
    pub fn sync(&mut self, model: &Model, wall: f64) {
        if same_structure(&self.model, model) {
            for (i, &n) in self.nodes.iter().enumerate() {
                let (Some(old), Some(new)) =
                    (self.model.graph.node_weight(n), model.graph.node_weight(n))
                else {
                    continue;
                };
                if old.kind != new.kind {
                    self.send(Command::SetParams {
                        id: new.id.clone(),
                        kind: Box::new(new.kind.clone()),
                    });
                }
                let _ = i;
            }
            self.model = model.clone();
            return;
        }
        self.model = model.clone();
        self.restart(
            "The model's structure changed: the run restarted from zero",
            wall,
        );
    }

    fn restart(&mut self, why: &str, wall: f64) {
        self.map_model();
        self.send(Command::Reset {
            seed: self.seed,
            model: Some(Box::new(self.model.clone())),
        });
        let (nodes, edges) = self.watching.clone();
        self.send(Command::Watch { nodes, edges });
        self.notice = Some((why.to_owned(), wall + 6.0));
        self.result = None;
    }

    /// Takes the scenario the user recorded a fault into, without
    /// restarting (the fault is already running).
    pub fn adopt_scenario(&mut self, scenario: &sim_core::Scenario) {
        self.model.scenario = scenario.clone();
    }

    /// Asks for the series of these nodes and edges.
    pub fn watch(&mut self, nodes: Vec<String>, edges: Vec<(String, String)>) {
        if self.watching != (nodes.clone(), edges.clone()) {
            self.watching = (nodes.clone(), edges.clone());
            self.send(Command::Watch { nodes, edges });
        }
    }

    pub fn fault(&self, id: &str, effect: Effect, duration: Duration) {
        self.send(Command::Fault {
            id: id.to_owned(),
            effect,
            duration,
        });
    }

    /// A node's state now, by the model's index.
    pub fn node(&self, n: NodeIndex) -> Option<&NodeSnapshot> {
        let i = *self.node_ix.get(&n)?;
        self.frame.snapshot.nodes.get(i)
    }

    /// Asks for the journey of a sampled message with every frame (or
    /// for none).
    pub fn inspect(&mut self, which: Option<JourneyRef>) {
        if self.inspecting != which {
            self.inspecting = which;
            self.send(Command::Inspect(which));
        }
    }

    /// Where the dots of sampled messages were drawn in the last frame.
    pub fn sampled_dots(&self) -> &[(Pos2, u64)] {
        &self.sampled_dots
    }

    /// The sampled message whose dot was on screen nearest `pos` (in the
    /// frame shown when the click came, or the one painted since), within
    /// `radius` points (the newest journey of that message, if it was
    /// redelivered).
    pub fn message_at(&self, pos: Pos2, radius: f32) -> Option<JourneyRef> {
        let (_, msg_id) = self
            .shown_dots
            .iter()
            .chain(&self.sampled_dots)
            .map(|&(at, id)| (at.distance(pos), id))
            .filter(|&(d, _)| d <= radius)
            .min_by(|a, b| a.0.total_cmp(&b.0))?;
        self.frame
            .journeys
            .iter()
            .find(|j| j.msg_id == msg_id)
            .map(|j| j.at)
    }

    /// The model's index of the node at `i` in simulation (model) order.
    pub fn node_index(&self, i: u32) -> Option<NodeIndex> {
        self.nodes.get(i as usize).copied()
    }

    /// The simulation (model) order of a node of the model.
    pub fn model_order(&self, n: NodeIndex) -> Option<u32> {
        self.node_ix.get(&n).and_then(|&i| u32::try_from(i).ok())
    }

    /// Whether dots are moving (so the window keeps repainting).
    pub fn animating(&self) -> bool {
        !self.dots.is_empty()
    }

    /// The canvas overlay for this frame.
    pub fn overlay(&mut self, dark: bool, wall: f64) -> LiveOverlay<'_> {
        LiveOverlay {
            session: self,
            dark,
            wall,
        }
    }
}

/// Same nodes (ids and kinds, in order), same edges, same scenario.
fn same_structure(a: &Model, b: &Model) -> bool {
    if a.scenario != b.scenario {
        return false;
    }
    let nodes = |m: &Model| -> Vec<(NodeIndex, String, Kind)> {
        m.graph
            .node_indices()
            .map(|n| (n, m.graph[n].id.clone(), m.graph[n].kind.kind()))
            .collect()
    };
    type Link = (EdgeIndex, Option<(NodeIndex, NodeIndex)>, sim_core::Edge);
    let edges = |m: &Model| -> Vec<Link> {
        m.graph
            .edge_indices()
            .map(|e| (e, m.graph.edge_endpoints(e), m.graph[e].clone()))
            .collect()
    };
    nodes(a) == nodes(b) && edges(a) == edges(b)
}

/// Draws a live run over the canvas.
#[derive(Debug)]
pub struct LiveOverlay<'a> {
    session: &'a mut LiveSession,
    dark: bool,
    wall: f64,
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
        if s.edge_blocked(i, self.wall) {
            return Stroke::new(normal.width * 2.2, colors::WARN);
        }
        let max = s.rates.iter().copied().fold(0.0_f32, f32::max);
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

    fn paint_flow(&mut self, painter: &Painter, edges: &[(EdgeIndex, Pos2, Pos2)], zoom: f32) {
        let s = &*self.session;
        let mut ends: Vec<Option<(Pos2, Pos2)>> = vec![None; s.edges.len()];
        for &(e, from, to) in edges {
            if let Some(&i) = s.edge_ix.get(&e) {
                ends[i] = Some((from, to));
            }
        }
        let r = (4.0 * zoom.clamp(0.5, 1.6)).max(2.0);
        let outline = if self.dark {
            Color32::from_gray(20)
        } else {
            Color32::WHITE
        };
        let s_journeys = &s.frame.journeys;
        let sampled = |id: u64| s_journeys.iter().any(|j| j.msg_id == id);
        let mut hits = Vec::new();
        let ring = if self.dark {
            Color32::WHITE
        } else {
            Color32::BLACK
        };
        let mut mark = |at: Pos2, id: u64| {
            if sampled(id) {
                // A followed message: a ring says it can be inspected.
                painter.circle_stroke(at, r * 2.4, Stroke::new(1.5, ring));
                hits.push((at, id));
            }
        };
        let dot = |at: Pos2, color: Color32, retried: bool, failed: bool| {
            if failed {
                // Failed: a warning-coloured cross over the dot.
                painter.circle_filled(at, r * 1.2, colors::WARN);
                let d = r * 0.8;
                let stroke = Stroke::new(1.6, outline);
                painter.line_segment([at - vec2(d, d), at + vec2(d, d)], stroke);
                painter.line_segment([at - vec2(d, -d), at + vec2(d, -d)], stroke);
            } else if retried {
                // Retried: a ring around the dot.
                painter.circle(at, r, color, Stroke::new(1.0, outline));
                painter.circle_stroke(at, r * 1.9, Stroke::new(1.8, colors::WARN));
            } else {
                painter.circle(at, r, color, Stroke::new(1.0, outline));
            }
        };
        for d in &s.dots {
            let Some((from, to)) = ends.get(d.edge).copied().flatten() else {
                continue;
            };
            #[expect(clippy::cast_possible_truncation, reason = "animation phase")]
            let t = ((self.wall - d.born) / DOT_TRAVEL_S).clamp(0.0, 1.0) as f32;
            let at = bezier_point(from, to, t);
            dot(at, d.color, d.retried, d.failed);
            mark(at, d.msg_id);
        }
        let snap = &s.frame.snapshot;
        for m in &snap.messages {
            let Place::InTransit { edge, progress } = m.place else {
                continue;
            };
            let e = edge as usize;
            let Some((from, to)) = ends.get(e).copied().flatten() else {
                continue;
            };
            let failed = snap.edges.get(e).is_some_and(|x| x.dead_letter);
            let at = bezier_point(from, to, progress);
            dot(at, colors::event(m.event_type), m.retried(), failed);
            mark(at, m.msg_id);
        }
        // NOTE: a click lands on what the user saw: the previous frame.
        self.session.shown_dots = std::mem::replace(&mut self.session.sampled_dots, hits);
    }

    fn paint_node(&self, painter: &Painter, node: NodeIndex, card: Rect, zoom: f32) {
        let s = &*self.session;
        if let (Some(snap), Some(&i)) = (s.node(node), s.node_ix.get(&node)) {
            let blocked = s.node_blocked(i, self.wall);
            paint_node_marks(painter, snap, blocked, card, zoom, self.dark);
        }
    }

    fn node_hover_text(&self, node: NodeIndex) -> Option<String> {
        let s = &*self.session;
        let snap = s.node(node)?;
        let i = *s.node_ix.get(&node)?;
        match snap.kind {
            Kind::Log if !snap.partitions.is_empty() => Some(partitions_text(&snap.partitions)),
            Kind::Topic | Kind::Router if s.node_blocked(i, self.wall) => {
                let graph = &s.model.graph;
                let full: Vec<&str> = graph
                    .edges(node)
                    .filter(|e| {
                        s.edge_ix
                            .get(&e.id())
                            .is_some_and(|&e| s.edge_blocked(e, self.wall))
                    })
                    .filter_map(|e| graph.node_weight(e.target()).map(sim_core::Node::label))
                    .collect();
                let why = if snap.kind == Kind::Topic {
                    "a message goes to every matching subscriber at once, so the topic \
                     and its publishers wait for the slowest"
                } else {
                    "the message it holds waits for its route, and so does everything \
                     behind it"
                };
                Some(format!("Waiting for room at {}: {why}.", full.join(", ")))
            }
            _ => None,
        }
    }
}

/// Columns a log card's partition strip draws at most; with more
/// partitions, neighbours share a column.
pub const MAX_PARTITION_COLUMNS: usize = 32;
/// A column's bar is full at the largest lag among the log's partitions,
/// but never below this many records: a few records of lag are a partition
/// flowing, not a hot one.
const LAG_FULL_AT_LEAST: u64 = 20;
/// A partition whose oldest unread record is older than this is behind…
const BEHIND: Duration = Duration::from_secs(1);
/// …and older than this, stuck (a poison message at its head, a group
/// that stopped).
const STUCK: Duration = Duration::from_secs(5);

/// How far behind a partition is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Behind {
    Flowing,
    Behind,
    Stuck,
}

/// One column of a log card's partition strip: one partition, or
/// neighbours sharing a column (their slowest numbers, their records
/// summed).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PartitionColumn {
    /// The partitions it stands for, `first..=last`.
    pub first: usize,
    pub last: usize,
    pub records: u64,
    /// The largest lag among them.
    pub lag: u64,
    /// The oldest unread record among them.
    pub oldest_unread: Duration,
    /// The bar's height, 0 to 1: the lag against the log's largest.
    pub fill: f32,
}

impl PartitionColumn {
    pub fn behind(&self) -> Behind {
        if self.oldest_unread >= STUCK {
            Behind::Stuck
        } else if self.oldest_unread >= BEHIND {
            Behind::Behind
        } else {
            Behind::Flowing
        }
    }

    /// "p3" or "p0–3".
    pub fn name(&self) -> String {
        if self.first == self.last {
            format!("p{}", self.first)
        } else {
            format!("p{}–{}", self.first, self.last)
        }
    }
}

/// A log's partitions as at most `max_columns` columns (at least one),
/// neighbours grouped evenly when there are more partitions than that.
pub fn partition_columns(parts: &[PartitionSnapshot], max_columns: usize) -> Vec<PartitionColumn> {
    let per_column = parts.len().div_ceil(max_columns.max(1)).max(1);
    let mut columns: Vec<PartitionColumn> = parts
        .chunks(per_column)
        .enumerate()
        .map(|(k, chunk)| PartitionColumn {
            first: k * per_column,
            last: k * per_column + chunk.len() - 1,
            records: chunk.iter().map(|p| p.records).sum(),
            lag: chunk.iter().map(|p| p.lag).max().unwrap_or(0),
            oldest_unread: chunk
                .iter()
                .map(|p| p.oldest_unread)
                .max()
                .unwrap_or_default(),
            fill: 0.0,
        })
        .collect();
    let full_at = columns
        .iter()
        .map(|c| c.lag)
        .max()
        .unwrap_or(0)
        .max(LAG_FULL_AT_LEAST);
    for c in &mut columns {
        c.fill = ratio(c.lag, full_at);
    }
    columns
}

/// A log's partitions in words, for the card's tooltip.
pub fn partitions_text(parts: &[PartitionSnapshot]) -> String {
    use std::fmt::Write as _;
    let columns = partition_columns(parts, MAX_PARTITION_COLUMNS);
    let mut out = format!(
        "{} partition{}; the consumer group furthest behind in each:",
        parts.len(),
        if parts.len() == 1 { "" } else { "s" }
    );
    if columns.len() < parts.len() {
        let _ = write!(
            out,
            "\n(each bar stands for {} neighbouring partitions and shows the slowest)",
            parts.len().div_ceil(columns.len())
        );
    }
    for c in &columns {
        let behind = if c.oldest_unread.is_zero() {
            "caught up".to_owned()
        } else {
            format!(
                "{} behind",
                super::charts::seconds(c.oldest_unread.as_secs_f64())
            )
        };
        let _ = write!(
            out,
            "\n{}: {} records · lag {} · {behind}",
            c.name(),
            short(c.records),
            short(c.lag)
        );
    }
    out
}

/// One thin bar per partition (or group of neighbours), filled from the
/// bottom by its lag and coloured by how long its oldest unread record
/// has waited.
fn partition_strip(painter: &Painter, rect: Rect, parts: &[PartitionSnapshot], dark: bool) {
    let gap = if rect.width() / parts.len().max(1) as f32 >= 6.0 {
        2.0
    } else {
        1.0
    };
    // At least 2 points of bar per column.
    #[expect(
        clippy::cast_possible_truncation,
        clippy::cast_sign_loss,
        reason = "a small positive count"
    )]
    let fit = (rect.width() / (2.0 + gap)).floor().max(1.0) as usize;
    let columns = partition_columns(parts, MAX_PARTITION_COLUMNS.min(fit));
    let n = columns.len() as f32;
    let width = (rect.width() - gap * (n - 1.0)) / n;
    let bg = if dark {
        Color32::from_gray(60)
    } else {
        Color32::from_gray(222)
    };
    for (k, c) in columns.iter().enumerate() {
        let left = rect.left() + k as f32 * (width + gap);
        let cell = Rect::from_min_size(Pos2::new(left, rect.top()), vec2(width, rect.height()));
        painter.rect_filled(cell, 1.0, bg);
        if c.lag == 0 {
            continue;
        }
        // Any lag at all shows as a sliver.
        let height = (rect.height() * c.fill).max(1.5);
        let filled = Rect::from_min_max(Pos2::new(cell.left(), cell.bottom() - height), cell.max);
        let color = match c.behind() {
            Behind::Flowing => colors::flow(dark),
            Behind::Behind => colors::ORANGE,
            Behind::Stuck => colors::WARN,
        };
        painter.rect_filled(filled, 1.0, color);
    }
}

/// A small tag with a coloured background, anchored at `at`.
fn tag(painter: &Painter, at: Pos2, anchor: Align2, text: &str, fill: Color32, size: f32) {
    let galley =
        painter.layout_no_wrap(text.to_owned(), FontId::proportional(size), Color32::BLACK);
    let rect = anchor
        .anchor_size(at, galley.size())
        .expand2(vec2(size * 0.35, size * 0.12));
    painter.rect_filled(rect, size * 0.3, fill);
    let text_color = if fill == colors::YELLOW || fill == colors::ORANGE || fill == colors::SKY {
        Color32::BLACK
    } else {
        Color32::WHITE
    };
    painter.galley(
        rect.min + vec2(size * 0.35, size * 0.12),
        galley,
        text_color,
    );
}

/// A horizontal fill bar: `fill` of 0..1.
fn bar(painter: &Painter, rect: Rect, fill: f32, dark: bool) {
    let bg = if dark {
        Color32::from_gray(60)
    } else {
        Color32::from_gray(222)
    };
    painter.rect_filled(rect, 2.0, bg);
    let fill = fill.clamp(0.0, 1.0);
    let color = if fill >= 0.9 {
        colors::WARN
    } else if fill >= 0.6 {
        colors::ORANGE
    } else {
        colors::flow(dark)
    };
    let mut filled = rect;
    filled.set_width(rect.width() * fill);
    if filled.width() > 0.0 {
        painter.rect_filled(filled, 2.0, color);
    }
}

#[expect(clippy::cast_precision_loss, reason = "display ratios")]
fn ratio(a: u64, b: u64) -> f32 {
    if b == 0 { 0.0 } else { a as f32 / b as f32 }
}

/// Marks on and under a node's card: fill, slots, breaker, blocked
/// (`blocked`: now or a moment ago), down, counts. One arm per kind.
pub fn paint_node_marks(
    painter: &Painter,
    n: &NodeSnapshot,
    blocked: bool,
    card: Rect,
    zoom: f32,
    dark: bool,
) {
    let size = (11.5 * zoom).clamp(9.5, 17.0);
    let text_color = if dark {
        Color32::from_gray(225)
    } else {
        Color32::from_gray(40)
    };
    let bar_rect = Rect::from_min_size(
        card.left_bottom() + vec2(0.0, 4.0 * zoom),
        vec2(card.width(), (6.0 * zoom).max(3.0)),
    );
    let mut text_at = bar_rect.left_bottom() + vec2(0.0, 2.0 * zoom);
    let mut line: String;
    let mut line_color = text_color;
    let mut show_bar = None;
    match n.kind {
        Kind::Producer => {
            line = format!("sent {}", short(n.departed));
        }
        Kind::Queue => {
            show_bar = n.capacity.map(|c| ratio(n.held, c));
            line = match n.capacity {
                Some(c) => format!("{} / {}", short(n.held), short(c)),
                None => format!("depth {}", short(n.held)),
            };
            if n.redelivered > 0 {
                line.push_str(&format!(" · {} redelivered", short(n.redelivered)));
            }
        }
        Kind::Topic | Kind::Router => {
            line = format!("out {}", short(n.departed));
            if n.held > 0 {
                line.push_str(&format!(" · holding {}", short(n.held)));
            }
        }
        Kind::Consumer => {
            let slots = n.capacity.unwrap_or(0);
            show_bar = Some(ratio(n.busy, slots));
            line = format!(
                "{} inst · busy {}/{}",
                n.instances,
                short(n.busy),
                short(slots)
            );
            if n.depth > 0 {
                line.push_str(&format!(" · inbox {}", short(n.depth)));
            }
            if n.retries > 0 {
                line.push_str(&format!(" · {} retries", short(n.retries)));
            }
        }
        Kind::Service | Kind::Sink => {
            if let Some(limit) = n.capacity {
                show_bar = Some(ratio(n.busy, limit));
            }
            line = format!("done {}", short(n.departed));
            if n.depth > 0 {
                line.push_str(&format!(" · waiting {}", short(n.depth)));
            }
        }
        Kind::Log => {
            line = format!("{} records · lag {}", short(n.held), short(n.lag));
            if n.partitions.is_empty() {
                // The lag bar: the slowest group's unread share of the records.
                show_bar = Some(ratio(n.lag, n.held.max(1)));
            } else {
                let strip = Rect::from_min_size(
                    bar_rect.min,
                    vec2(bar_rect.width(), (11.0 * zoom).max(5.0)),
                );
                partition_strip(painter, strip, &n.partitions, dark);
                text_at = strip.left_bottom() + vec2(0.0, 2.0 * zoom);
                // The partition furthest behind, when one is.
                let worst = n
                    .partitions
                    .iter()
                    .enumerate()
                    .max_by_key(|(_, p)| p.oldest_unread)
                    .filter(|(_, p)| p.oldest_unread >= BEHIND);
                if let Some((p, part)) = worst {
                    line.push_str(&format!(
                        " · p{p} {} behind",
                        super::charts::seconds(part.oldest_unread.as_secs_f64())
                    ));
                    if part.oldest_unread >= STUCK {
                        line_color = colors::WARN;
                    }
                }
            }
            if n.lag > 0 && n.lag * 2 > n.held {
                line_color = colors::WARN;
            }
        }
        Kind::Cep => {
            line = format!("in {} · derived {}", short(n.arrived), short(n.departed));
        }
        Kind::EventStore => {
            line = format!("appended {}", short(n.departed));
            if n.depth > 0 {
                line.push_str(&format!(" · waiting {}", short(n.depth)));
            }
            if n.retries > 0 {
                line.push_str(&format!(" · {} conflicts", short(n.retries)));
            }
        }
        Kind::Projection => {
            line = format!("applied {}", short(n.completed));
            if n.depth > 0 {
                line.push_str(&format!(" · behind {}", short(n.depth)));
            }
        }
        Kind::DeadLetter => {
            show_bar = n.capacity.map(|c| ratio(n.held, c));
            line = format!("{} dead-lettered", short(n.held));
            if n.held > 0 {
                line_color = colors::WARN;
            }
        }
    }
    if n.dropped > 0 {
        line.push_str(&format!(" · {} dropped", short(n.dropped)));
    }
    if let Some(fill) = show_bar {
        bar(painter, bar_rect, fill, dark);
    }
    // NOTE: the line keeps a readable size (9.5 points at least) as the
    // cards shrink; below 35 % zoom it would dwarf them, so it goes.
    if zoom >= 0.35 && !line.is_empty() {
        // NOTE: tight layouts put the next card right under this line; a
        // backing keeps it readable over it.
        let galley = painter.layout_no_wrap(line, FontId::proportional(size), line_color);
        let back = Rect::from_min_size(text_at, galley.size()).expand(1.5);
        let bg = if dark {
            Color32::from_black_alpha(170)
        } else {
            Color32::from_white_alpha(200)
        };
        painter.rect_filled(back, 3.0, bg);
        painter.galley(text_at, galley, line_color);
    }
    if let Some(state) = n.breaker {
        let (label, fill) = match state {
            BreakerState::Closed => ("breaker closed", colors::GREEN),
            BreakerState::HalfOpen => ("breaker half-open", colors::YELLOW),
            BreakerState::Open => ("breaker OPEN", colors::WARN),
        };
        tag(
            painter,
            card.left_top() + vec2(4.0 * zoom, -4.0 * zoom),
            Align2::LEFT_BOTTOM,
            label,
            fill,
            size,
        );
    }
    if blocked {
        painter.rect_stroke(
            card.expand(2.0),
            8.0 * zoom,
            Stroke::new((3.0 * zoom).max(2.0), colors::WARN),
            StrokeKind::Outside,
        );
        tag(
            painter,
            card.right_top() + vec2(-4.0 * zoom, -4.0 * zoom),
            Align2::RIGHT_BOTTOM,
            "BLOCKED",
            colors::WARN,
            size,
        );
    }
    if n.down {
        painter.rect_filled(card, 8.0 * zoom, Color32::from_black_alpha(110));
        tag(
            painter,
            card.center(),
            Align2::CENTER_CENTER,
            "DOWN",
            colors::WARN,
            size * 1.4,
        );
    }
}

/// 1234 → "1234", 12345 → "12.3k", 1234567 → "1.23M".
fn short(v: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "display value")]
    let x = v as f64;
    if v < 10_000 {
        v.to_string()
    } else if v < 1_000_000 {
        format!("{:.1}k", x / 1e3)
    } else {
        format!("{:.2}M", x / 1e6)
    }
}

/// Keeps painting while a run moves.
pub fn keep_painting(ctx: &egui::Context, session: &LiveSession) {
    if session.playing() || session.animating() {
        ctx.request_repaint();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn part(records: u64, lag: u64, unread_ms: u64) -> PartitionSnapshot {
        PartitionSnapshot {
            records,
            lag,
            oldest_unread: Duration::from_millis(unread_ms),
        }
    }

    #[test]
    fn a_poisoned_partition_fills_its_bar_and_reads_stuck() {
        let parts = [
            part(1000, 2, 40),
            part(1000, 300, 12_000),
            part(1000, 0, 0),
            part(1000, 5, 1_500),
        ];
        let columns = partition_columns(&parts, MAX_PARTITION_COLUMNS);
        assert_eq!(columns.len(), 4, "one column a partition");
        assert_eq!(columns[1].fill, 1.0, "the hottest partition is full");
        assert!(
            columns[0].fill < 0.01 && columns[2].fill == 0.0,
            "{columns:?}"
        );
        let behind: Vec<Behind> = columns.iter().map(PartitionColumn::behind).collect();
        assert_eq!(
            behind,
            [
                Behind::Flowing,
                Behind::Stuck,
                Behind::Flowing,
                Behind::Behind
            ]
        );
        let text = partitions_text(&parts);
        assert!(
            text.contains("p1: 1000 records · lag 300 · 12.0 s behind"),
            "{text}"
        );
        assert!(
            text.contains("p2: 1000 records · lag 0 · caught up"),
            "{text}"
        );
    }

    #[test]
    fn a_few_records_of_lag_stay_low() {
        // No partition is behind: the bars are not scaled up to look full.
        let columns = partition_columns(&[part(10, 2, 5), part(10, 4, 9)], 32);
        assert!((columns[1].fill - 4.0 / 20.0).abs() < 1e-6, "{columns:?}");
    }

    #[test]
    fn many_partitions_share_columns_and_keep_the_slowest() {
        let mut parts: Vec<PartitionSnapshot> = (0..100).map(|_| part(10, 1, 10)).collect();
        parts[57] = part(10, 80, 9_000);
        let columns = partition_columns(&parts, MAX_PARTITION_COLUMNS);
        // 100 partitions, 4 a column: 25 columns.
        assert_eq!(columns.len(), 25);
        assert!(columns.windows(2).all(|w| w[1].first == w[0].last + 1));
        assert_eq!((columns[0].first, columns[24].last), (0, 99));
        let hot = &columns[14];
        assert_eq!(
            (hot.first, hot.last, hot.name().as_str()),
            (56, 59, "p56–59")
        );
        assert_eq!(
            (hot.lag, hot.records, hot.behind()),
            (80, 40, Behind::Stuck)
        );
        assert!(
            partitions_text(&parts).contains("each bar stands for 4 neighbouring partitions"),
            "the tooltip says the bars are grouped"
        );
        // A narrow card draws fewer, wider groups.
        assert_eq!(partition_columns(&parts, 10).len(), 10);
        assert_eq!(partition_columns(&parts[..3], 0).len(), 1);
    }
}
