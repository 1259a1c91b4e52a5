//! The window's side of a live run: the latest frame, rates derived from
//! successive snapshots, moving dots, and keeping the run in step with the
//! model being edited.
//!
//! [`overlay`] draws it all over the canvas; [`marks`] puts the marks on
//! the cards, each kind's own in its file under `gui::kinds`.

pub mod marks;
mod overlay;

pub(crate) use overlay::{DotMarks, paint_dot, paint_followed};

pub use overlay::LiveOverlay;

use std::collections::BTreeMap;

use eframe::egui::{self, Color32, Pos2};
use petgraph::stable_graph::{EdgeIndex, NodeIndex};
use sim_core::faults::Effect;
use sim_core::nodes::Kind;
use sim_core::snapshot::{NodeSnapshot, Place};
use sim_core::time::{Duration, SimTime};
use sim_core::{Model, RunResult};

use super::colors;
use crate::live::{Command, JourneyRef, LiveFrame, LiveRun, Notice, Speed};

/// Seconds of the session's clock a node or edge stays marked blocked
/// after the last frame that found it so.
// NOTE: a sender that waits most of the time is free for an instant
// between two messages; without the hold its mark would blink.
const BLOCKED_HOLD_S: f64 = 0.4;

/// Wall-clock seconds a dot takes to cross an edge without latency.
const DOT_TRAVEL_S: f64 = 0.9;
/// Dots on screen at most.
const MAX_DOTS: usize = 900;
/// How long a lost message's mark shows (session seconds), and how many
/// show at once.
const LOST_SHOWN_S: f64 = 1.6;
const MAX_LOST_DOTS: usize = 60;

#[derive(Clone, Copy, Debug)]
struct Dot {
    edge: usize,
    born: f64,
    color: Color32,
    marks: DotMarks,
    /// The message's identity (a sampled one opens in the inspector).
    msg_id: u64,
}

/// A message lost to a failure, shown rising from its node's card.
#[derive(Clone, Copy, Debug)]
pub(crate) struct LostDot {
    /// The node, in simulation order.
    pub node: usize,
    pub born: f64,
    pub color: Color32,
}

/// A live run as the window sees it: the run on its thread, what the
/// window asked of it, and the [`LiveView`] it draws.
#[derive(Debug)]
pub struct LiveSession {
    run: LiveRun,
    spare: Option<Box<LiveFrame>>,
    /// The document's run revision the view's model was taken at
    /// (`Document::run_revision`: moving nodes does not count).
    revision: u64,
    pub seed: u64,
    pub speed: Speed,
    /// A message for the user and until when (wall seconds).
    pub notice: Option<(String, f64)>,
    /// The latest full result, after asking for one.
    pub result: Option<Box<RunResult>>,
    watching: (Vec<String>, Vec<(String, String)>),
    /// The sampled message the inspector asked for.
    inspecting: Option<JourneyRef>,
    view: LiveView,
}

/// What a live run looks like at an instant, fed frames one after the
/// other: rates from successive snapshots, moving dots, the blocked marks
/// held for a moment. It starts no thread and reads no clock of its own:
/// the window feeds it the frames of its `weir-live` thread and its own
/// clock, and [`crate::animation`] the frames of a stepper at fixed
/// instants, so both draw the same live view.
#[derive(Debug)]
pub struct LiveView {
    frame: Box<LiveFrame>,
    /// What the run was built from: edits are compared with it.
    // NOTE: its positions may lag the document's (moves do not move the
    // run revision on); nothing here reads them.
    model: Model,
    /// Simulation order → the model's indices, and back.
    nodes: Vec<NodeIndex>,
    edges: Vec<EdgeIndex>,
    node_ix: BTreeMap<NodeIndex, usize>,
    edge_ix: BTreeMap<EdgeIndex, usize>,
    edge_has_latency: Vec<bool>,
    /// Messages per simulated second on each edge, smoothed.
    rates: Vec<f32>,
    /// The highest of `rates`: each edge is drawn as wide as its share.
    rate_max: f32,
    last_counts: Option<(u64, Vec<u64>)>,
    last_seq: Vec<u64>,
    dots: Vec<Dot>,
    /// The run's count of lost messages already shown, and the marks of
    /// those shown now.
    last_lost: u64,
    lost_dots: Vec<LostDot>,
    run_id: u64,
    /// Where the dots of sampled messages were drawn last (screen
    /// positions and message identities), for clicks.
    sampled_dots: Vec<(Pos2, u64)>,
    /// The same, one frame earlier: what was on screen when a click came.
    shown_dots: Vec<(Pos2, u64)>,
    /// Until when (session seconds) each node and each edge shows as
    /// blocked.
    blocked_until: (Vec<f64>, Vec<f64>),
    /// The session's clock in seconds: the window's clock while the run
    /// plays, standing still while it does not, so that every mark timed
    /// by it (blocked marks, dots) shows the paused instant as it was.
    clock: f64,
    /// The window's clock when the session's last moved with it.
    last_wall: Option<f64>,
}

impl LiveSession {
    /// Starts `model` (the document's at run revision `revision`) paused
    /// at zero;
    /// `repaint` wakes the window.
    pub fn start(
        model: &Model,
        revision: u64,
        seed: u64,
        repaint: Box<dyn Fn() + Send>,
    ) -> Result<Self, String> {
        let run = LiveRun::start(model, seed, repaint)?;
        Ok(Self {
            run,
            spare: None,
            revision,
            seed,
            speed: Speed::Times(1.0),
            notice: None,
            result: None,
            watching: (Vec::new(), Vec::new()),
            inspecting: None,
            view: LiveView::new(model),
        })
    }

    pub fn send(&self, cmd: Command) {
        self.run.send(cmd);
    }

    /// What the window draws of the run.
    pub fn view(&self) -> &LiveView {
        &self.view
    }

    /// The frame on show.
    pub fn frame(&self) -> &LiveFrame {
        self.view.frame()
    }

    /// Whether a frame from the thread has arrived since the start.
    pub fn playing(&self) -> bool {
        self.view.frame.playing
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

    /// The session's clock in seconds (see [`Self::poll`]).
    pub fn clock(&self) -> f64 {
        self.view.clock
    }

    /// Picks up the newest frame (never waits); `wall` is the window's
    /// clock in seconds. The marks are timed by the session's clock,
    /// which stands still while the run does not play: a paused run
    /// keeps showing the instant it was paused at. A Step while paused
    /// is a new instant: the previous one's marks make way for its own.
    pub fn poll(&mut self, wall: f64) {
        self.view.tick(wall);
        let Some(mut fresh) = self.run.take_frame(&mut self.spare) else {
            return;
        };
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
        // The previous frame goes back to the thread for reuse.
        self.spare = Some(self.view.show(fresh));
    }

    /// The live marks as they show now (see [`LiveView::marks_shown`]).
    pub fn marks_shown(&self) -> ShownMarks {
        self.view.marks_shown()
    }

    /// Keeps the run in step with the model being edited, the document's
    /// at run revision `revision`: parameter changes apply live; anything
    /// else restarts the run with a notice. Nothing is compared while the
    /// revision stays, as it does while nodes are dragged.
    pub fn sync(&mut self, model: &Model, revision: u64, wall: f64) {
        if revision == self.revision {
            return;
        }
        self.revision = revision;
        if same_structure(&self.view.model, model) {
            for &n in &self.view.nodes {
                let (Some(old), Some(new)) = (
                    self.view.model.graph.node_weight(n),
                    model.graph.node_weight(n),
                ) else {
                    continue;
                };
                if old.kind != new.kind {
                    self.send(Command::SetParams {
                        id: new.id.clone(),
                        kind: Box::new(new.kind.clone()),
                    });
                }
            }
            self.view.model = model.clone();
            return;
        }
        let why = if same_watch(&self.view.model, model) {
            "The model's structure changed: the run restarted from zero"
        } else {
            "The objectives or alert rules changed: the run restarted from zero"
        };
        self.view.model = model.clone();
        self.restart(why, wall);
    }

    fn restart(&mut self, why: &str, wall: f64) {
        self.view.map_model();
        self.send(Command::Reset {
            seed: self.seed,
            model: Some(Box::new(self.view.model.clone())),
        });
        let (nodes, edges) = self.watching.clone();
        self.send(Command::Watch { nodes, edges });
        self.notice = Some((why.to_owned(), wall + 6.0));
        self.result = None;
    }

    /// Takes the scenario the user recorded a fault into, without
    /// restarting (the fault is already running).
    pub fn adopt_scenario(&mut self, scenario: &sim_core::Scenario) {
        self.view.model.scenario = scenario.clone();
    }

    /// Asks for the series of these nodes and edges.
    pub fn watch(&mut self, nodes: Vec<String>, edges: Vec<(String, String)>) {
        if self.watching != (nodes.clone(), edges.clone()) {
            self.watching = (nodes.clone(), edges.clone());
            self.send(Command::Watch { nodes, edges });
        }
    }

    /// Goes back to instant `at` of the run (or forward, as far as it
    /// reached), paused there.
    pub fn seek(&self, at: SimTime) {
        self.send(Command::Seek(at));
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
        self.view.node(n)
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
        &self.view.sampled_dots
    }

    /// The sampled message whose dot was on screen nearest `pos` (see
    /// [`LiveView::message_at`]).
    pub fn message_at(&self, pos: Pos2, radius: f32) -> Option<JourneyRef> {
        self.view.message_at(pos, radius)
    }

    /// The model's index of the node at `i` in simulation (model) order.
    pub fn node_index(&self, i: u32) -> Option<NodeIndex> {
        self.view.nodes.get(i as usize).copied()
    }

    /// The simulation (model) order of a node of the model.
    pub fn model_order(&self, n: NodeIndex) -> Option<u32> {
        self.view.model_order(n)
    }

    /// Whether dots are moving (so the window keeps repainting): only
    /// while the run plays, as the session's clock stands still
    /// otherwise.
    pub fn animating(&self) -> bool {
        self.view.frame.playing && !self.view.dots.is_empty()
    }

    /// The canvas overlay for this frame, at the session's clock.
    pub fn overlay(&mut self, dark: bool) -> LiveOverlay<'_> {
        self.view.overlay(dark)
    }
}

impl LiveView {
    /// A view of `model`'s run with no frame yet, its clock at zero.
    pub fn new(model: &Model) -> Self {
        let mut view = Self {
            frame: Box::default(),
            model: model.clone(),
            nodes: Vec::new(),
            edges: Vec::new(),
            node_ix: BTreeMap::new(),
            edge_ix: BTreeMap::new(),
            edge_has_latency: Vec::new(),
            rates: Vec::new(),
            rate_max: 0.0,
            last_counts: None,
            last_seq: Vec::new(),
            dots: Vec::new(),
            last_lost: 0,
            lost_dots: Vec::new(),
            run_id: 0,
            sampled_dots: Vec::new(),
            shown_dots: Vec::new(),
            blocked_until: (Vec::new(), Vec::new()),
            clock: 0.0,
            last_wall: None,
        };
        view.map_model();
        view
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
        self.reset_rates();
        self.last_seq = vec![0; self.edges.len()];
        self.last_counts = None;
        self.dots.clear();
        self.blocked_until = (Vec::new(), Vec::new());
    }

    /// The frame on show.
    pub fn frame(&self) -> &LiveFrame {
        &self.frame
    }

    /// The view's clock in seconds: it moves with the clock given to
    /// [`Self::tick`] while the run plays, and stands still otherwise.
    pub fn clock(&self) -> f64 {
        self.clock
    }

    /// Moves the view's clock on with the caller's (`wall`, in seconds)
    /// while the run plays; it stands still otherwise.
    pub fn tick(&mut self, wall: f64) {
        let dt = self.last_wall.map_or(0.0, |last| (wall - last).max(0.0));
        self.last_wall = Some(wall);
        if self.frame.playing {
            self.clock += dt;
        }
    }

    /// Shows `fresh`, the run's next frame, at the view's clock; returns
    /// the frame shown before (for reuse). A frame of a paused run at a
    /// new instant (a Step) is a new instant: the previous one's marks
    /// make way for its own.
    pub fn show(&mut self, fresh: Box<LiveFrame>) -> Box<LiveFrame> {
        let stepped = !fresh.playing
            && !self.frame.playing
            && fresh.run_id == self.run_id
            && fresh.snapshot.now != self.frame.snapshot.now;
        if stepped {
            self.clock += DOT_TRAVEL_S;
        }
        if fresh.run_id != self.run_id {
            self.run_id = fresh.run_id;
            self.last_counts = None;
            self.last_seq = vec![0; self.edges.len()];
            self.reset_rates();
            self.dots.clear();
            self.last_lost = 0;
            self.lost_dots.clear();
            self.blocked_until = (Vec::new(), Vec::new());
        }
        self.update_rates(&fresh);
        // NOTE: a step's crossings stand half-way along their edges: at
        // their start they would hide under the ports.
        let born = if stepped {
            self.clock - DOT_TRAVEL_S / 2.0
        } else {
            self.clock
        };
        self.spawn_dots(&fresh, born);
        self.hold_blocked(&fresh, self.clock);
        std::mem::replace(&mut self.frame, fresh)
    }

    fn hold_blocked(&mut self, frame: &LiveFrame, clock: f64) {
        let snap = &frame.snapshot;
        let (nodes, edges) = &mut self.blocked_until;
        nodes.resize(snap.nodes.len(), f64::NEG_INFINITY);
        edges.resize(snap.edges.len(), f64::NEG_INFINITY);
        let blocked = snap.nodes.iter().map(|n| n.blocked);
        for (until, blocked) in nodes.iter_mut().zip(blocked) {
            if blocked {
                *until = clock + BLOCKED_HOLD_S;
            }
        }
        for (until, e) in edges.iter_mut().zip(&snap.edges) {
            if e.blocked {
                *until = clock + BLOCKED_HOLD_S;
            }
        }
    }

    /// Whether the node at `i` (model order) shows as blocked now.
    fn node_blocked(&self, i: usize) -> bool {
        self.blocked_until.0.get(i).is_some_and(|&t| self.clock < t)
    }

    /// Whether the edge at `i` (model order) shows as blocked now.
    fn edge_blocked(&self, i: usize) -> bool {
        self.blocked_until.1.get(i).is_some_and(|&t| self.clock < t)
    }

    /// The live marks as they show now: which nodes and edges are marked
    /// blocked (model order) and where each moving dot is along its edge
    /// (edge, 0 to 1).
    pub fn marks_shown(&self) -> ShownMarks {
        let blocked = |until: &[f64]| {
            until
                .iter()
                .enumerate()
                .filter(|&(_, &t)| self.clock < t)
                .map(|(i, _)| i)
                .collect()
        };
        ShownMarks {
            blocked_nodes: blocked(&self.blocked_until.0),
            blocked_edges: blocked(&self.blocked_until.1),
            dots: self
                .dots
                .iter()
                .map(|d| (d.edge, self.dot_progress(d)))
                .collect(),
        }
    }

    /// The lost messages shown at the node in simulation order `node`,
    /// each with how far through its showing it is (0 to 1).
    pub(crate) fn lost_at(&self, node: usize) -> impl Iterator<Item = (LostDot, f32)> + '_ {
        self.lost_dots
            .iter()
            .filter(move |d| d.node == node)
            .map(|d| {
                #[expect(clippy::cast_possible_truncation, reason = "animation phase")]
                let t = ((self.clock - d.born) / LOST_SHOWN_S).clamp(0.0, 1.0) as f32;
                (*d, t)
            })
    }

    /// How far along its edge a dot is now, 0 to 1.
    fn dot_progress(&self, dot: &Dot) -> f32 {
        #[expect(clippy::cast_possible_truncation, reason = "animation phase")]
        let t = ((self.clock - dot.born) / DOT_TRAVEL_S).clamp(0.0, 1.0) as f32;
        t
    }

    fn reset_rates(&mut self) {
        self.rates = vec![0.0; self.edges.len()];
        self.rate_max = 0.0;
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
            self.rate_max = self.rates.iter().copied().fold(0.0_f32, f32::max);
        }
        self.last_counts = Some((now, counts));
    }

    /// New crossings become dots born at `born` (session seconds).
    fn spawn_dots(&mut self, frame: &LiveFrame, born: f64) {
        let snap = &frame.snapshot;
        if snap.edges.len() != self.last_seq.len() {
            return;
        }
        let now = self.clock;
        self.dots.retain(|d| now - d.born < DOT_TRAVEL_S);
        self.lost_dots.retain(|d| now - d.born < LOST_SHOWN_S);
        let mut last_lost = self.last_lost;
        for m in &snap.messages {
            let Place::Lost { node, seq, .. } = m.place else {
                continue;
            };
            if seq <= self.last_lost {
                continue;
            }
            // Seen, shown or not: a loss over the cap is not shown later.
            last_lost = last_lost.max(seq);
            if self.lost_dots.len() >= MAX_LOST_DOTS {
                continue;
            }
            self.lost_dots.push(LostDot {
                node: node as usize,
                born,
                color: colors::event(m.event_type),
            });
        }
        self.last_lost = last_lost;
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
                born,
                color: colors::event(m.event_type),
                marks: DotMarks {
                    retried: m.retried(),
                    failed: snap.edges[e].dead_letter,
                    stale: m.stale,
                    lost: false,
                },
                msg_id: m.msg_id,
            });
        }
        for (seq, e) in self.last_seq.iter_mut().zip(&snap.edges) {
            *seq = e.carried;
        }
    }

    /// A node's state now, by the model's index.
    pub fn node(&self, n: NodeIndex) -> Option<&NodeSnapshot> {
        let i = *self.node_ix.get(&n)?;
        self.frame.snapshot.nodes.get(i)
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

    /// The simulation (model) order of a node of the model.
    pub fn model_order(&self, n: NodeIndex) -> Option<u32> {
        self.node_ix.get(&n).and_then(|&i| u32::try_from(i).ok())
    }
}

/// The live marks on show, for comparing two frames.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ShownMarks {
    pub blocked_nodes: Vec<usize>,
    pub blocked_edges: Vec<usize>,
    /// Each dot's edge and how far along it is.
    pub dots: Vec<(usize, f32)>,
}

/// Same nodes (ids and kinds, in order), same edges, same scenario, and
/// the same objectives and alert rules to measure.
fn same_structure(a: &Model, b: &Model) -> bool {
    if a.scenario != b.scenario || !same_watch(a, b) {
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

/// Whether the run measures the same objectives and evaluates the same
/// alert rules under both models. An objective's name is read from the
/// document, so renaming one changes nothing the run measures; a rule's
/// name and severity are part of what the run reports.
fn same_watch(a: &Model, b: &Model) -> bool {
    let objectives = |m: &Model| -> Vec<(
        sim_core::slo::SloTarget,
        sim_core::slo::Objective,
        Option<Duration>,
    )> {
        m.slos
            .iter()
            .map(|s| (s.on.clone(), s.objective.clone(), s.window))
            .collect()
    };
    let rules = |m: &Model| -> Vec<(
        String,
        String,
        sim_core::alerts::Condition,
        Duration,
        String,
    )> {
        m.alerts
            .iter()
            .map(|r| {
                (
                    r.name.clone(),
                    r.on.clone(),
                    r.when,
                    r.hold,
                    r.severity.clone(),
                )
            })
            .collect()
    };
    objectives(a) == objectives(b) && rules(a) == rules(b)
}

/// Keeps painting while a run moves. A paused, finished or failed run
/// asks for nothing: the window repaints on input, or when the
/// simulation thread hands over a frame (it wakes the window itself).
pub fn keep_painting(ctx: &egui::Context, session: &LiveSession) {
    if session.playing() {
        ctx.request_repaint();
    }
}
