//! The live run: a simulation advancing while the window shows it.
//!
//! [`Stepper`] is the stepping logic and owns the [`Simulation`]: it
//! applies [`Command`]s and advances the clock by a wall-clock budget
//! (real time × speed, or as far as the budget allows). It starts no
//! threads, so a runner without them — advancing a budget per frame — is a
//! matter of calling [`Stepper::advance`] from the frame loop.
//!
//! [`LiveRun`] runs a stepper on its own named thread, fed by a command
//! channel (in the browser, which has no threads, the window steps it as
//! it draws: [`LiveRun::start_inline`]). It publishes a [`LiveFrame`] (a snapshot, the watched nodes'
//! time series, the run's status) through a hand-off where neither side
//! ever waits: each side only `try_lock`s a slot and, if the other holds
//! it, tries again later. The simulation is never slowed by drawing and
//! the window never waits on the simulation.
//!
//! A stepper keeps its run's past on a [`tape::Tape`], so the window can
//! go back to any instant the run reached ([`Command::Seek`]).

pub mod tape;

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, Sender, TryRecvError};
use std::sync::{Arc, Mutex, TryLockError};
use web_time::Instant;

use sim_core::faults::Effect;
use sim_core::journey::{Journey, JourneyEnd, JourneyOptions};
use sim_core::live::LiveError;
use sim_core::nodes::NodeKind;
use sim_core::series::{EdgeSeries, NodeSeries, SystemSeries};
use sim_core::snapshot::Snapshot;
use sim_core::time::{Duration, NANOS_PER_SEC, SimTime};
use sim_core::{Model, RunResult, Simulation};

/// How fast simulated time runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Speed {
    /// Simulated seconds per wall-clock second.
    Times(f64),
    /// As fast as the machine allows.
    Max,
}

impl Speed {
    /// The speeds the toolbar offers.
    pub const CHOICES: [Self; 10] = [
        Self::Times(0.1),
        Self::Times(0.25),
        Self::Times(0.5),
        Self::Times(1.0),
        Self::Times(2.0),
        Self::Times(5.0),
        Self::Times(10.0),
        Self::Times(100.0),
        Self::Times(1000.0),
        Self::Max,
    ];

    pub fn label(self) -> String {
        match self {
            Self::Times(k) => format!("×{k}"),
            Self::Max => "max".to_owned(),
        }
    }
}

/// Simulated time one press of Step advances.
pub const STEP: Duration = Duration::from_millis(100);

/// What the window asks of the simulation.
#[derive(Clone, Debug)]
pub enum Command {
    Play,
    Pause,
    /// Advance [`STEP`] of simulated time, then pause.
    Step,
    /// Start again from zero with this seed (and this model, if given).
    Reset {
        seed: u64,
        model: Option<Box<Model>>,
    },
    /// Run to the end of the scenario as fast as possible.
    RunToEnd,
    SetSpeed(Speed),
    /// New parameters for a node, from now on.
    SetParams {
        id: String,
        kind: Box<NodeKind>,
    },
    /// A fault on a node, starting now.
    Fault {
        id: String,
        effect: Effect,
        duration: Duration,
    },
    /// A producer's rate, in percent of its designed rate, from now on.
    SetLoad {
        id: String,
        percent: u32,
    },
    /// A producer sends this many events now, by hand.
    Send {
        id: String,
        count: u32,
    },
    /// Publish the full result so far (for the results panel).
    Report,
    /// Publish the time series of these nodes and edges (charts).
    Watch {
        nodes: Vec<String>,
        edges: Vec<(String, String)>,
    },
    /// Publish this sampled message's whole journey with every frame
    /// (the message inspector), or none.
    Inspect(Option<JourneyRef>),
    /// Go back (or forward) to this instant of the run, as far as it
    /// reached, and pause there (see [`tape`]).
    Seek(SimTime),
}

/// The live run follows one event in this many (message inspector).
pub const JOURNEY_EVERY: u64 = 50;
/// Sampled messages listed with each frame, newest first.
pub const RECENT_JOURNEYS: usize = 50;

/// A sampled message of a live run: the recording it belongs to (each
/// reset, and each restart of a full recorder, begins a new one) and its
/// id there.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct JourneyRef {
    pub recording: u64,
    pub id: u32,
}

/// A sampled message as the list shows it.
#[derive(Clone, Debug, PartialEq)]
pub struct JourneySummary {
    pub at: JourneyRef,
    /// The message's identity, as the live view's dots carry it.
    pub msg_id: u64,
    pub event_type: String,
    pub key: u32,
    pub created: SimTime,
    /// Where it is now, or its last node (model order).
    pub node: u32,
    /// What it is doing there (`HopKind::key`).
    pub doing: &'static str,
    pub end: JourneyEnd,
    /// Processing attempts so far.
    pub attempts: u32,
    /// Every node it visited, sorted, without repeats (for filtering).
    pub visited: Vec<u32>,
    /// Its recording was restarted while it was in flight: it is no
    /// longer followed.
    pub abandoned: bool,
}

impl JourneySummary {
    fn of(journey: &Journey, recording: u64) -> Self {
        let last = journey.hops.last();
        let mut visited: Vec<u32> = journey.hops.iter().map(|h| h.node).collect();
        visited.sort_unstable();
        visited.dedup();
        Self {
            at: JourneyRef {
                recording,
                id: journey.id,
            },
            msg_id: journey.msg_id,
            event_type: journey.event_type.clone(),
            key: journey.key,
            created: journey.created,
            node: journey
                .end
                .place()
                .map_or_else(|| last.map_or(0, |h| h.node), |(n, _)| n),
            doing: last.map_or("created", |h| h.kind.key()),
            end: journey.end,
            attempts: attempts(journey),
            visited,
            abandoned: false,
        }
    }
}

/// Processing attempts in `journey` (the highest attempt number seen).
pub fn attempts(journey: &Journey) -> u32 {
    journey
        .hops
        .iter()
        .filter_map(|h| match h.kind {
            sim_core::journey::HopKind::Process { attempt, .. } => Some(attempt),
            _ => None,
        })
        .max()
        .unwrap_or(0)
}

/// The journey the window inspects, as published with a frame.
#[derive(Clone, Debug, PartialEq)]
pub struct Inspected {
    pub at: JourneyRef,
    /// Open hops closed at the frame's time.
    pub journey: Journey,
    /// Copies made from it (fan-out, redelivery), in creation order.
    pub children: Vec<JourneyRef>,
    /// No longer followed (its recording was restarted).
    pub abandoned: bool,
}

/// What went wrong applying a command, or how a run ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A live change needs a restart.
    NeedsRestart(String),
    /// A refused change or fault, or one made only in part.
    Refused(String),
    /// The run stopped with an error (a runaway model).
    Failed(String),
}

/// What the simulation publishes for the window.
#[derive(Clone, Debug, Default)]
pub struct LiveFrame {
    pub snapshot: Snapshot,
    pub playing: bool,
    pub speed: Option<Speed>,
    pub finished: bool,
    /// Counts resets, so the window can tell frames of a new run.
    pub run_id: u64,
    /// Series of the watched nodes, in the order asked, with their times.
    pub series: Vec<NodeSeries>,
    pub edge_series: Vec<EdgeSeries>,
    /// The whole system's lines, always (the charts' overview).
    pub system: SystemSeries,
    pub series_times: Vec<f64>,
    /// The alerting rules' states and firings so far (`None`: the model
    /// has none); refreshed with the series, at every point.
    pub alerts: Option<sim_core::alerts::AlertRun>,
    series_stamp: u64,
    /// The latest full result, after a [`Command::Report`].
    pub result: Option<Box<RunResult>>,
    /// Notices since the last frame the window took.
    pub notices: Vec<Notice>,
    /// Engine events per wall-clock second over the last second of play.
    pub events_per_s: f64,
    /// The newest sampled messages, newest first (at most
    /// [`RECENT_JOURNEYS`]).
    pub journeys: Vec<JourneySummary>,
    /// The message asked for with [`Command::Inspect`], if it is known.
    pub inspected: Option<Inspected>,
    /// What the last [`Command::Inspect`] asked for (so the window can
    /// tell a journey on its way from one no longer recorded).
    pub inspect_asked: Option<JourneyRef>,
    /// Each of the model's service level objectives so far, in model
    /// order; with the run and the clock they were read at.
    pub slos: Vec<sim_core::slo::SloRun>,
    slos_at: Option<(u64, SimTime)>,
    /// The furthest instant the run reached: the rewind goes back from
    /// there.
    pub reached: SimTime,
    /// When each change and fault was made live, in order.
    pub changes: Vec<SimTime>,
}

/// The stepping logic: a simulation, its clock pacing and its commands.
#[derive(Debug)]
pub struct Stepper {
    sim: Simulation,
    model: Model,
    seed: u64,
    playing: bool,
    to_end: bool,
    speed: Speed,
    /// Real-time pacing: simulated ns at wall-clock `anchor_wall`.
    anchor: Option<(f64, u64)>,
    /// Simulated ns per chunk when running flat out, tuned to the budget.
    chunk_ns: u64,
    run_id: u64,
    watched: Vec<String>,
    watched_edges: Vec<(String, String)>,
    series_len: usize,
    /// When the objectives were last read for a frame (wall clock).
    slos_read: Option<Instant>,
    series_dirty: bool,
    series_stamp: u64,
    result_wanted: bool,
    notices: Vec<Notice>,
    failed: bool,
    rate: (f64, u64, f64),
    /// Counts journey recordings (resets and restarts of a full recorder).
    recording: u64,
    /// The newest summaries of the previous recording, shown until the
    /// current one has as many.
    previous: Vec<JourneySummary>,
    inspect: Option<JourneyRef>,
    /// The inspected journey, kept when its recording was restarted.
    kept: Option<Inspected>,
    /// The run's past, to go back to.
    tape: tape::Tape,
    /// Where a [`Command::Seek`] asked to go: seeks that come together
    /// make one trip, taken before the next other command or step.
    seek: Option<SimTime>,
}

fn journey_options() -> JourneyOptions {
    JourneyOptions {
        every: JOURNEY_EVERY,
        ..JourneyOptions::default()
    }
}

impl Stepper {
    /// A stepper at time zero, paused.
    pub fn new(model: &Model, seed: u64) -> Result<Self, String> {
        let mut sim = Simulation::new(model, seed).map_err(|e| e.to_string())?;
        sim.watch_crossings();
        sim.record_journeys(journey_options());
        let tape = tape::Tape::new(sim.end());
        Ok(Self {
            sim,
            model: model.clone(),
            seed,
            playing: false,
            to_end: false,
            speed: Speed::Times(1.0),
            anchor: None,
            chunk_ns: NANOS_PER_SEC / 100,
            run_id: 0,
            watched: Vec::new(),
            watched_edges: Vec::new(),
            series_len: 0,
            slos_read: None,
            series_dirty: true,
            series_stamp: 0,
            result_wanted: false,
            notices: Vec::new(),
            failed: false,
            rate: (0.0, 0, 0.0),
            recording: 0,
            previous: Vec::new(),
            inspect: None,
            kept: None,
            tape,
            seek: None,
        })
    }

    pub fn simulation(&self) -> &Simulation {
        &self.sim
    }

    /// Whether the clock should move without being asked.
    pub fn is_active(&self) -> bool {
        (self.playing || self.to_end) && !self.sim.is_finished() && !self.failed
    }

    pub fn apply(&mut self, cmd: Command) {
        if let Command::Seek(to) = cmd {
            self.seek = Some(to);
            return;
        }
        self.settle();
        match cmd {
            Command::Play => {
                self.playing = true;
                self.anchor = None;
            }
            Command::Pause => {
                self.playing = false;
                self.to_end = false;
            }
            Command::Step => {
                self.playing = false;
                self.to_end = false;
                let until = self.sim.now().after(STEP);
                self.run_until(until);
            }
            Command::Reset { seed, model } => {
                if let Some(model) = model {
                    self.model = *model;
                }
                match Simulation::new(&self.model, seed) {
                    Ok(mut sim) => {
                        sim.watch_crossings();
                        sim.record_journeys(journey_options());
                        self.tape = tape::Tape::new(sim.end());
                        self.sim = sim;
                        self.seed = seed;
                        self.failed = false;
                    }
                    Err(e) => {
                        self.failed = true;
                        self.notices.push(Notice::Failed(e.to_string()));
                    }
                }
                self.paused_afresh();
            }
            Command::RunToEnd => self.to_end = true,
            Command::SetSpeed(speed) => {
                self.speed = speed;
                self.anchor = None;
            }
            Command::SetParams { id, kind } => self.change(tape::Change::Params { id, kind }),
            Command::Fault {
                id,
                effect,
                duration,
            } => self.change(tape::Change::Fault {
                id,
                effect,
                duration,
            }),
            Command::SetLoad { id, percent } => self.change(tape::Change::Load { id, percent }),
            Command::Send { id, count } => self.change(tape::Change::Send { id, count }),
            Command::Report => self.result_wanted = true,
            Command::Watch { nodes, edges } => {
                self.watched = nodes;
                self.watched_edges = edges;
                self.series_dirty = true;
            }
            Command::Inspect(which) => {
                if which != self.inspect {
                    self.kept = None;
                }
                self.inspect = which;
            }
            Command::Seek(_) => {}
        }
    }

    /// Makes a change live, and records it on the tape.
    fn change(&mut self, change: tape::Change) {
        match change.make(&mut self.sim) {
            Ok(note) => {
                self.tape.record(self.sim.now(), change);
                if let Some(note) = note {
                    self.notices.push(Notice::Refused(note));
                }
            }
            Err(e @ LiveError::NeedsRestart { .. }) => {
                self.notices.push(Notice::NeedsRestart(e.to_string()));
            }
            Err(e) => self.notices.push(Notice::Refused(e.to_string())),
        }
    }

    /// Takes the trip a [`Command::Seek`] asked for, if one waits: from
    /// the latest checkpoint at or before the instant (or from the model),
    /// forward to it, making the recorded changes again; paused there.
    fn settle(&mut self) {
        let Some(to) = self.seek.take() else {
            return;
        };
        let to = to.min(self.tape.reached());
        let (sim, applied) = match self.tape.start_for(to) {
            Some(start) => start,
            None => match Simulation::new(&self.model, self.seed) {
                Ok(mut sim) => {
                    sim.watch_crossings();
                    (sim, 0)
                }
                Err(e) => {
                    self.notices.push(Notice::Failed(e.to_string()));
                    return;
                }
            },
        };
        self.sim = sim;
        self.sim.record_journeys(journey_options());
        self.tape.rewound(applied);
        self.failed = false;
        self.run_until(to);
        self.paused_afresh();
    }

    /// Paused where the run now is, a run the window starts its rates,
    /// moving dots and journey lists afresh for (after a reset or a seek).
    fn paused_afresh(&mut self) {
        self.playing = false;
        self.to_end = false;
        self.anchor = None;
        self.run_id += 1;
        self.series_dirty = true;
        self.recording += 1;
        self.previous.clear();
        self.kept = None;
    }

    /// A full recorder stops sampling: start a new recording, keeping the
    /// newest summaries and the inspected journey for the window.
    fn renew_recording(&mut self) {
        let max = journey_options().max_journeys;
        if self.sim.journeys().len() < max {
            return;
        }
        let now = self.sim.now();
        let journeys = self.sim.journeys();
        self.previous = journeys
            .iter()
            .rev()
            .take(RECENT_JOURNEYS)
            .map(|j| JourneySummary {
                abandoned: j.is_open(),
                ..JourneySummary::of(j, self.recording)
            })
            .collect();
        if let Some(at) = self.inspect
            && at.recording == self.recording
        {
            self.kept = self.inspected(at, now).map(|i| Inspected {
                abandoned: i.journey.is_open(),
                ..i
            });
        }
        self.recording += 1;
        self.sim.record_journeys(journey_options());
    }

    /// Journey `at` of the current recording, closed at `now`.
    fn inspected(&self, at: JourneyRef, now: SimTime) -> Option<Inspected> {
        if at.recording != self.recording {
            return None;
        }
        let journeys = self.sim.journeys();
        let mut journey = journeys.get(at.id as usize)?.clone();
        if journey.is_open()
            && let Some(last) = journey.hops.last_mut()
        {
            last.end = now;
        }
        let children = journeys[at.id as usize + 1..]
            .iter()
            .filter(|j| j.parent.is_some_and(|f| f.journey == at.id))
            .map(|j| JourneyRef {
                recording: self.recording,
                id: j.id,
            })
            .collect();
        Some(Inspected {
            at,
            journey,
            children,
            abandoned: false,
        })
    }

    /// Runs every event up to `until` (capped at the scenario's end), as
    /// the thread does between frames; a run that fails stops there with
    /// a [`Notice::Failed`] in the next frame.
    pub fn run_to(&mut self, until: SimTime) {
        self.run_until(until);
    }

    fn run_until(&mut self, until: SimTime) {
        // Changes made the first time through are made again on the way.
        while let Some((at, change)) = self.tape.next_change(until) {
            if !self.run_plain(at) {
                return;
            }
            if let Err(e) = change.make(&mut self.sim) {
                self.notices.push(Notice::Refused(e.to_string()));
            }
            self.tape.replayed();
        }
        if self.run_plain(until) {
            self.tape.passed(&mut self.sim);
        }
    }

    /// Runs to `until`; whether the run goes on (`false` once it failed).
    fn run_plain(&mut self, until: SimTime) -> bool {
        if self.failed {
            return false;
        }
        if let Err(e) = self.sim.run_until(until) {
            self.failed = true;
            self.playing = false;
            self.to_end = false;
            self.notices.push(Notice::Failed(e.to_string()));
            return false;
        }
        true
    }

    /// Advances the clock for wall-clock time `wall_s` (seconds on any
    /// monotonic clock), spending at most `budget_s` of wall-clock time.
    /// At ×k the clock aims at k × the wall time since play started (a
    /// run that cannot keep up falls behind rather than catching up in a
    /// rush); flat out, it runs chunks until the budget is spent.
    /// Returns whether the clock caught up with real time (so a caller may
    /// rest until the next frame).
    pub fn advance(&mut self, wall_s: f64, budget_s: f64, clock: &dyn Fn() -> f64) -> bool {
        self.settle();
        if !self.is_active() {
            return true;
        }
        let mut caught_up = false;
        let events_before = self.sim.events();
        let started = clock();
        let flat_out = self.to_end || self.speed == Speed::Max;
        if flat_out {
            loop {
                let t0 = clock();
                let until = SimTime(self.sim.now().as_nanos().saturating_add(self.chunk_ns));
                self.run_until(until);
                let spent = clock() - t0;
                // Aim for chunks of about a millisecond.
                if spent < 0.0005 {
                    self.chunk_ns = self.chunk_ns.saturating_mul(2).min(3600 * NANOS_PER_SEC);
                } else if spent > 0.002 {
                    self.chunk_ns = (self.chunk_ns / 2).max(1000);
                }
                if !self.is_active() || clock() - started >= budget_s {
                    break;
                }
            }
        } else if let Speed::Times(k) = self.speed {
            let now_ns = self.sim.now().as_nanos();
            let (anchor_wall, anchor_sim) = *self.anchor.get_or_insert((wall_s, now_ns));
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "simulated ns from wall seconds"
            )]
            let target = anchor_sim + ((wall_s - anchor_wall) * k * 1e9).max(0.0) as u64;
            // Bounded steps keep one frame's work within the budget.
            let mut at = now_ns;
            while at < target {
                let next = target.min(at.saturating_add(self.chunk_ns.max(NANOS_PER_SEC / 1000)));
                self.run_until(SimTime(next));
                at = self.sim.now().as_nanos();
                if !self.is_active() || clock() - started >= budget_s {
                    break;
                }
            }
            if at < target {
                // Too slow for this speed: drop the debt.
                self.anchor = Some((wall_s, at));
            } else {
                caught_up = true;
            }
        }
        let spent = clock() - started;
        let (acc_wall, acc_events, _) = self.rate;
        let acc = (
            acc_wall + spent,
            acc_events + (self.sim.events() - events_before),
            self.rate.2,
        );
        self.rate = if acc.0 >= 0.5 {
            #[expect(clippy::cast_precision_loss, reason = "a display rate")]
            let per_s = acc.1 as f64 / acc.0;
            (0.0, 0, per_s)
        } else {
            acc
        };
        caught_up
    }

    /// Writes the current state into `frame` (reusing its allocations).
    pub fn publish(&mut self, frame: &mut LiveFrame) {
        self.settle();
        self.sim.snapshot_into(&mut frame.snapshot);
        frame.reached = self.tape.reached();
        frame.changes.clear();
        frame.changes.extend(self.tape.change_times());
        frame.playing = self.is_active();
        frame.speed = Some(if self.to_end { Speed::Max } else { self.speed });
        frame.finished = self.sim.is_finished();
        frame.run_id = self.run_id;
        frame.events_per_s = self.rate.2;
        let series = self.sim.series();
        if self.series_dirty || series.len() != self.series_len {
            self.series_stamp += 1;
            self.series_len = series.len();
            self.series_dirty = false;
        }
        // NOTE: frames are recycled; a stamp tells whether this one holds
        // the current lines.
        if frame.series_stamp != self.series_stamp {
            frame.series_stamp = self.series_stamp;
            frame.series.clear();
            for id in &self.watched {
                if let Some(line) = series.node(id) {
                    frame.series.push(line.clone());
                }
            }
            frame.edge_series.clear();
            for (from, to) in &self.watched_edges {
                if let Some(line) = series.edge(from, to) {
                    frame.edge_series.push(line.clone());
                }
            }
            frame.system.clone_from(series.system());
            frame.series_times.clear();
            frame.series_times.extend(series.times());
            frame.alerts = self.sim.alerts();
        }
        if self.result_wanted {
            frame.result = Some(Box::new(self.sim.result()));
            self.result_wanted = false;
        }
        frame.notices.append(&mut self.notices);
        self.publish_journeys(frame);
        // Read again only once the clock has moved: a reading copies each
        // objective's histograms.
        // A reading copies each objective's histograms: at most ten a
        // second while the run plays, and always once it has stopped or
        // another run began.
        let at = (self.run_id, self.sim.now());
        let due = self
            .slos_read
            .is_none_or(|t| t.elapsed() >= std::time::Duration::from_millis(100));
        let stale = frame.slos_at.is_none_or(|(run, _)| run != self.run_id)
            || self.sim.is_finished()
            || !self.is_active();
        if frame.slos_at != Some(at) && (due || stale) {
            frame.slos = self.sim.objectives();
            frame.slos_at = Some(at);
            self.slos_read = Some(Instant::now());
        }
    }

    /// The newest sampled messages and the inspected one: a bounded
    /// amount of copying per frame, whatever the number recorded.
    fn publish_journeys(&mut self, frame: &mut LiveFrame) {
        self.renew_recording();
        frame.journeys.clear();
        let recording = self.recording;
        frame.journeys.extend(
            self.sim
                .journeys()
                .iter()
                .rev()
                .take(RECENT_JOURNEYS)
                .map(|j| JourneySummary::of(j, recording)),
        );
        let room = RECENT_JOURNEYS.saturating_sub(frame.journeys.len());
        frame
            .journeys
            .extend(self.previous.iter().take(room).cloned());
        frame.inspect_asked = self.inspect;
        frame.inspected = match self.inspect {
            Some(at) if at.recording == self.recording => self.inspected(at, self.sim.now()),
            Some(at) => self.kept.clone().filter(|k| k.at == at),
            None => None,
        };
    }
}

/// The hand-off between the simulation thread and the window: a slot
/// either side takes with `try_lock` only.
#[derive(Debug, Default)]
struct Slot {
    /// The newest frame not yet taken by the window.
    fresh: Option<Box<LiveFrame>>,
    /// A frame the window is done with, for the thread to reuse.
    spare: Option<Box<LiveFrame>>,
}

/// A live run: on its own thread, or (in the browser, which has none)
/// stepped by the window as it draws each frame.
#[derive(Debug)]
pub struct LiveRun {
    backend: Backend,
}

#[derive(Debug)]
enum Backend {
    Thread(Threaded),
    Inline(Box<RefCell<Inline>>),
}

/// A stepper on a thread of its own.
#[derive(Debug)]
struct Threaded {
    tx: Sender<Command>,
    slot: Arc<Mutex<Slot>>,
    /// Frames the thread could not hand over because the window held the
    /// slot (it skipped them and went on).
    skipped: Arc<AtomicU64>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

/// A stepper the window advances by [`BUDGET_S`] of its own time each
/// time it takes a frame.
struct Inline {
    stepper: Stepper,
    epoch: Instant,
    /// Whether something changed that the window has not been shown.
    dirty: bool,
    repaint: Box<dyn Fn()>,
}

impl std::fmt::Debug for Inline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Inline")
            .field("dirty", &self.dirty)
            .finish_non_exhaustive()
    }
}

/// Frames per wall-clock second the thread publishes while running.
const PUBLISH_HZ: f64 = 60.0;
/// Wall-clock time the stepper runs between looks at its commands (on a
/// thread) or per frame drawn (inline).
const BUDGET_S: f64 = 0.008;

impl LiveRun {
    /// Starts `model` paused at time zero: on a thread named `weir-live`
    /// on the desktop, stepped per frame ([`Self::start_inline`]) in the
    /// browser. `repaint` is called after each published frame.
    pub fn start(model: &Model, seed: u64, repaint: Box<dyn Fn() + Send>) -> Result<Self, String> {
        if cfg!(target_arch = "wasm32") {
            Self::start_inline(model, seed, repaint)
        } else {
            Self::start_thread(model, seed, repaint)
        }
    }

    fn start_thread(
        model: &Model,
        seed: u64,
        repaint: Box<dyn Fn() + Send>,
    ) -> Result<Self, String> {
        let mut stepper = Stepper::new(model, seed)?;
        let (tx, rx) = std::sync::mpsc::channel();
        let slot = Arc::new(Mutex::new(Slot::default()));
        let skipped = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (slot, skipped, stop) = (slot.clone(), skipped.clone(), stop.clone());
            std::thread::Builder::new()
                .name("weir-live".to_owned())
                .spawn(move || {
                    sim_thread(&mut stepper, &rx, &slot, &skipped, &stop, &*repaint);
                })
                .map_err(|e| format!("cannot start the simulation thread: {e}"))?
        };
        Ok(Self {
            backend: Backend::Thread(Threaded {
                tx,
                slot,
                skipped,
                stop,
                thread: Some(thread),
            }),
        })
    }

    /// Starts `model` paused at time zero with no thread: each
    /// [`Self::take_frame`] advances the run by a few milliseconds of the
    /// caller's time and hands over a frame when something changed.
    pub fn start_inline(model: &Model, seed: u64, repaint: Box<dyn Fn()>) -> Result<Self, String> {
        Ok(Self {
            backend: Backend::Inline(Box::new(RefCell::new(Inline {
                stepper: Stepper::new(model, seed)?,
                epoch: Instant::now(),
                dirty: true,
                repaint,
            }))),
        })
    }

    pub fn send(&self, cmd: Command) {
        match &self.backend {
            // NOTE: the thread only ends when this run is dropped, so a
            // send cannot fail while `self` lives.
            Backend::Thread(t) => {
                let _ = t.tx.send(cmd);
            }
            Backend::Inline(inline) => {
                let mut inline = inline.borrow_mut();
                inline.stepper.apply(cmd);
                inline.dirty = true;
                (inline.repaint)();
            }
        }
    }

    /// The newest frame, if one came since the last call. Never waits:
    /// when the thread holds the slot, this returns `None` and the frame
    /// is picked up next time. A frame in `spare` goes back to the thread
    /// for reuse when the slot is taken. (Inline, this is when the run
    /// advances.)
    pub fn take_frame(&self, spare: &mut Option<Box<LiveFrame>>) -> Option<Box<LiveFrame>> {
        let t = match &self.backend {
            Backend::Thread(t) => t,
            Backend::Inline(inline) => return inline.borrow_mut().frame(spare),
        };
        let mut slot = match t.slot.try_lock() {
            Ok(slot) => slot,
            Err(TryLockError::Poisoned(p)) => p.into_inner(),
            Err(TryLockError::WouldBlock) => return None,
        };
        if let Some(mut frame) = spare.take() {
            frame.result = None;
            frame.notices.clear();
            slot.spare = Some(frame);
        }
        slot.fresh.take()
    }

    /// Holds the hand-off slot, as a window stuck in a long frame would
    /// (for tests: the simulation must go on regardless).
    pub fn hold_slot<R>(&self, f: impl FnOnce() -> R) -> R {
        match &self.backend {
            Backend::Thread(t) => {
                let _guard = t.slot.lock();
                f()
            }
            Backend::Inline(_) => f(),
        }
    }

    /// Frames the thread skipped because the slot was held.
    pub fn skipped_frames(&self) -> u64 {
        match &self.backend {
            Backend::Thread(t) => t.skipped.load(Ordering::Relaxed),
            Backend::Inline(_) => 0,
        }
    }

    /// Whether the run is stepped by the window (no thread).
    pub fn is_inline(&self) -> bool {
        matches!(self.backend, Backend::Inline(_))
    }
}

impl Inline {
    /// Advances the run by the budget and, if anything changed, publishes
    /// a frame (into `spare` when there is one).
    fn frame(&mut self, spare: &mut Option<Box<LiveFrame>>) -> Option<Box<LiveFrame>> {
        let epoch = self.epoch;
        let clock = move || epoch.elapsed().as_secs_f64();
        let was_active = self.stepper.is_active();
        self.stepper.advance(clock(), BUDGET_S, &clock);
        self.dirty |= was_active;
        if !self.dirty {
            return None;
        }
        let mut frame = spare.take().unwrap_or_default();
        frame.result = None;
        frame.notices.clear();
        self.stepper.publish(&mut frame);
        self.dirty = self.stepper.is_active();
        if self.dirty {
            (self.repaint)();
        }
        Some(frame)
    }
}

impl Drop for LiveRun {
    fn drop(&mut self) {
        let Backend::Thread(t) = &mut self.backend else {
            return;
        };
        t.stop.store(true, Ordering::Relaxed);
        // Wake the thread if it waits for a command.
        let _ = t.tx.send(Command::Pause);
        if let Some(thread) = t.thread.take() {
            let _ = thread.join();
        }
    }
}

fn sim_thread(
    stepper: &mut Stepper,
    rx: &Receiver<Command>,
    slot: &Mutex<Slot>,
    skipped: &AtomicU64,
    stop: &AtomicBool,
    repaint: &dyn Fn(),
) {
    let epoch = Instant::now();
    let clock = move || epoch.elapsed().as_secs_f64();
    let mut pending: Option<Box<LiveFrame>> = None;
    let mut last_publish = f64::NEG_INFINITY;
    let mut dirty = true;
    loop {
        if stop.load(Ordering::Relaxed) {
            return;
        }
        // Commands: wait for one while idle with nothing to hand over.
        let first = if stepper.is_active() || dirty {
            match rx.try_recv() {
                Ok(cmd) => Some(cmd),
                Err(TryRecvError::Empty) => None,
                Err(TryRecvError::Disconnected) => return,
            }
        } else {
            // NOTE: paused, finished or failed, with every frame handed
            // over: nothing moves until a command comes, so the thread
            // sleeps in `recv` (dropping the run sends one to wake it).
            match rx.recv() {
                Ok(cmd) => Some(cmd),
                Err(_) => return,
            }
        };
        if let Some(cmd) = first {
            stepper.apply(cmd);
            while let Ok(cmd) = rx.try_recv() {
                stepper.apply(cmd);
            }
            dirty = true;
        }
        if stop.load(Ordering::Relaxed) {
            return;
        }
        let was_active = stepper.is_active();
        let rest = stepper.advance(clock(), BUDGET_S, &clock);
        dirty |= was_active;
        let now = clock();
        if dirty && now - last_publish >= 1.0 / PUBLISH_HZ {
            let mut frame = pending.take().unwrap_or_default();
            stepper.publish(&mut frame);
            match slot.try_lock() {
                Ok(mut s) => {
                    // An unread frame is replaced; its notices carry over.
                    if let Some(mut old) = s.fresh.take() {
                        old.notices.append(&mut frame.notices);
                        frame.notices = std::mem::take(&mut old.notices);
                        s.spare.get_or_insert(old);
                    }
                    s.fresh = Some(frame);
                    pending = s.spare.take();
                    last_publish = now;
                    dirty = stepper.is_active();
                    repaint();
                }
                Err(_) => {
                    skipped.fetch_add(1, Ordering::Relaxed);
                    pending = Some(frame);
                }
            }
        } else if rest && stepper.is_active() {
            // Real-time pacing: rest until the next frame is due.
            if let Ok(cmd) = rx.recv_timeout(std::time::Duration::from_millis(4)) {
                stepper.apply(cmd);
                dirty = true;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use std::cell::Cell;

    use super::*;

    const PIPE: &str = r#"(
        version: 1,
        name: "pipe",
        scenario: (duration: "1m", seed: 2),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 200.0))),
            (id: "q", kind: Queue()),
            (id: "worker", kind: Consumer(service: Exponential(mean: "2ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
    )"#;

    fn stepper() -> Stepper {
        let (model, _) = sim_core::model::file::from_str(PIPE).expect("model");
        Stepper::new(&model, 2).expect("stepper")
    }

    #[test]
    fn real_time_pacing_follows_the_wall_clock_times_the_speed() {
        let mut s = stepper();
        s.apply(Command::SetSpeed(Speed::Times(10.0)));
        s.apply(Command::Play);
        let clock = || 0.0;
        s.advance(100.0, 1.0, &clock);
        assert_eq!(s.simulation().now(), SimTime::ZERO, "play starts the clock");
        s.advance(101.5, 1.0, &clock);
        assert_eq!(s.simulation().now().as_nanos(), 15 * NANOS_PER_SEC);
        s.apply(Command::Pause);
        s.advance(200.0, 1.0, &clock);
        assert_eq!(
            s.simulation().now().as_nanos(),
            15 * NANOS_PER_SEC,
            "paused"
        );
    }

    #[test]
    fn flat_out_stops_at_the_budget_and_run_to_end_finishes() {
        let mut s = stepper();
        s.apply(Command::SetSpeed(Speed::Max));
        s.apply(Command::Play);
        // A fake clock that moves 1 ms per look: a 5 ms budget allows a
        // handful of chunks, not the whole run.
        let t = Cell::new(0.0);
        let clock = || {
            t.set(t.get() + 0.001);
            t.get()
        };
        s.advance(0.0, 0.005, &clock);
        assert!(!s.simulation().is_finished(), "the budget bounds a frame");
        assert!(s.simulation().now() > SimTime::ZERO);
        s.apply(Command::RunToEnd);
        while s.is_active() {
            s.advance(0.0, 1.0, &clock);
        }
        assert!(s.simulation().is_finished());
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        assert!(frame.finished && !frame.playing);
        assert!(frame.snapshot.totals.balanced());
    }

    #[test]
    fn reset_with_the_same_seed_replays_and_refusals_are_reported() {
        let mut s = stepper();
        for _ in 0..5 {
            s.apply(Command::Step);
        }
        let first = s.simulation().snapshot();
        s.apply(Command::Reset {
            seed: 2,
            model: None,
        });
        assert_eq!(s.simulation().now(), SimTime::ZERO);
        for _ in 0..5 {
            s.apply(Command::Step);
        }
        assert_eq!(s.simulation().snapshot(), first);
        s.apply(Command::Fault {
            id: "q".to_owned(),
            effect: Effect::Slow { factor: 2.0 },
            duration: Duration::from_secs(1),
        });
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        assert!(
            matches!(frame.notices.as_slice(), [Notice::Refused(why)] if why.contains("“q”")),
            "{:?}",
            frame.notices
        );
    }

    #[test]
    fn frames_list_recent_journeys_and_the_inspected_one() {
        let mut s = stepper();
        for _ in 0..10 {
            s.apply(Command::Step);
        }
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        // 200 events/s for 1 s, one in 50 followed.
        let roots = frame
            .journeys
            .iter()
            .filter(|j| j.at.recording == 0)
            .count();
        assert!((3..=RECENT_JOURNEYS).contains(&roots), "{roots} journeys");
        assert!(
            frame.journeys.windows(2).all(|w| w[0].at.id > w[1].at.id),
            "newest first"
        );
        assert!(frame.inspected.is_none(), "nothing asked");
        let oldest = frame.journeys.last().expect("journeys").at;
        s.apply(Command::Inspect(Some(oldest)));
        s.publish(&mut frame);
        let inspected = frame.inspected.as_ref().expect("the journey asked for");
        assert_eq!(inspected.at, oldest);
        assert_eq!(
            inspected.journey,
            s.simulation().trace().expect("recording").journeys[oldest.id as usize],
            "the journey, closed now"
        );
        s.apply(Command::Reset {
            seed: 2,
            model: None,
        });
        s.publish(&mut frame);
        assert!(frame.inspected.is_none(), "a reset starts a new recording");
        assert!(frame.journeys.iter().all(|j| j.at.recording == 1));
    }

    #[test]
    fn a_full_recorder_restarts_and_keeps_the_newest_for_the_list() {
        let busy = PIPE
            .replace("duration: \"1m\"", "duration: \"10m\"")
            .replace("rate: 200.0", "rate: 2000.0")
            .replace("mean: \"2ms\"", "mean: \"0.2ms\"");
        let (model, _) = sim_core::model::file::from_str(&busy).expect("model");
        let mut s = Stepper::new(&model, 2).expect("stepper");
        let max = JourneyOptions::DEFAULT_MAX_JOURNEYS as u64;
        // Enough events to fill the recorder: 2000/s, one in 50.
        let secs = max * JOURNEY_EVERY / 2000 + 5;
        s.apply(Command::Inspect(Some(JourneyRef {
            recording: 0,
            id: 10,
        })));
        let mut frame = LiveFrame::default();
        let mut restarted = false;
        for t in (1..=secs).step_by(2) {
            s.run_until(SimTime(t * NANOS_PER_SEC));
            s.publish(&mut frame);
            restarted |= s.recording > 0;
            assert!(
                s.simulation().journeys().len() <= JourneyOptions::DEFAULT_MAX_JOURNEYS,
                "bounded"
            );
        }
        assert!(restarted, "the recorder was renewed");
        assert_eq!(frame.journeys.len(), RECENT_JOURNEYS, "the list stays full");
        let kept = frame
            .inspected
            .as_ref()
            .expect("the inspected journey is kept");
        assert_eq!(kept.at.id, 10);
        assert!(!kept.journey.is_open(), "long over");
    }

    fn secs(s: u64) -> SimTime {
        SimTime::ZERO + Duration::from_secs(s)
    }

    /// The pipe run to its end, a rate change at 10 s and a crash at 25 s
    /// made on the way.
    fn run_with_changes() -> (Stepper, RunResult) {
        let mut s = stepper();
        s.run_to(secs(10));
        let NodeKind::Producer(mut params) = s.model.graph[s.model.find("src").expect("src")]
            .kind
            .clone()
        else {
            panic!("src is a producer");
        };
        params.arrival = sim_core::dist::Arrival::Poisson { rate: 350.0 };
        s.apply(Command::SetParams {
            id: "src".to_owned(),
            kind: Box::new(NodeKind::Producer(params)),
        });
        s.run_to(secs(25));
        s.apply(Command::Fault {
            id: "worker".to_owned(),
            effect: Effect::Crash,
            duration: Duration::from_secs(5),
        });
        // In uneven slices, as the thread would.
        let mut at = 25_000;
        while at < 60_000 {
            at += 1_237;
            s.run_to(SimTime::ZERO + Duration::from_millis(at));
        }
        let end = s.simulation().result();
        (s, end)
    }

    #[test]
    fn going_back_and_playing_on_replays_the_run_with_its_changes_exactly() {
        let (mut s, end) = run_with_changes();
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        assert_eq!(frame.reached, secs(60));
        assert_eq!(frame.changes, [secs(10), secs(25)]);
        for back in [0, 5, 10, 17, 25, 40, 59] {
            let run_id = frame.run_id;
            s.apply(Command::Seek(secs(back)));
            s.publish(&mut frame);
            assert_eq!(frame.snapshot.now, secs(back));
            assert!(!frame.playing, "paused where it went back to");
            assert!(frame.run_id > run_id, "the window starts its marks afresh");
            assert_eq!(frame.reached, secs(60), "going back forgets nothing");
            s.run_to(secs(60));
            assert_eq!(s.simulation().result(), end, "from {back} s");
        }
        assert!(s.tape.checkpoints() > 0);
    }

    #[test]
    fn seeks_that_come_together_make_one_trip_capped_at_what_was_reached() {
        let mut s = stepper();
        s.run_to(secs(20));
        s.apply(Command::Seek(secs(3)));
        s.apply(Command::Seek(secs(8)));
        s.apply(Command::Seek(secs(45)));
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        assert_eq!(
            frame.snapshot.now,
            secs(20),
            "not past the furthest reached"
        );
        s.apply(Command::Seek(secs(8)));
        s.apply(Command::Step);
        assert_eq!(
            s.simulation().now(),
            secs(8).after(STEP),
            "a step goes from where the seek went"
        );
    }

    #[test]
    fn a_change_made_after_going_back_starts_a_new_future() {
        let (mut s, end) = run_with_changes();
        s.apply(Command::Seek(secs(15)));
        s.apply(Command::Fault {
            id: "q".to_owned(),
            effect: Effect::Crash,
            duration: Duration::from_secs(2),
        });
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        assert_eq!(frame.reached, secs(15), "the old future is gone");
        assert_eq!(
            frame.changes,
            [secs(10), secs(15)],
            "the crash at 25 s with it"
        );
        s.run_to(secs(60));
        let other = s.simulation().result();
        assert_ne!(other, end, "another story from 15 s on");
        // The new future replays as exactly as the first one did.
        s.apply(Command::Seek(secs(12)));
        s.run_to(secs(60));
        assert_eq!(s.simulation().result(), other);
    }

    #[test]
    fn a_load_turned_and_events_sent_by_hand_replay_exactly() {
        let mut s = stepper();
        let load = |s: &mut Stepper, percent| {
            s.apply(Command::SetLoad {
                id: "src".to_owned(),
                percent,
            });
        };
        let send = |s: &mut Stepper, count| {
            s.apply(Command::Send {
                id: "src".to_owned(),
                count,
            });
        };
        s.run_to(secs(5));
        load(&mut s, 0);
        s.run_to(secs(12));
        send(&mut s, 30);
        s.run_to(secs(20));
        load(&mut s, 250);
        s.run_to(secs(33));
        send(&mut s, 5);
        s.run_to(secs(60));
        let end = s.simulation().result();
        let mut frame = LiveFrame::default();
        s.publish(&mut frame);
        assert!(frame.notices.is_empty(), "{:?}", frame.notices);
        assert_eq!(frame.changes, [secs(5), secs(12), secs(20), secs(33)]);
        let src = |frame: &LiveFrame| {
            frame
                .snapshot
                .nodes
                .iter()
                .find(|n| n.id == "src")
                .map(|n| (n.load, n.arrived))
        };
        s.apply(Command::Seek(secs(15)));
        s.publish(&mut frame);
        let (load_then, arrived_then) = src(&frame).expect("src");
        assert_eq!(load_then, Some(0), "by hand only at 15 s");
        s.apply(Command::Seek(secs(11)));
        s.publish(&mut frame);
        let (_, before_send) = src(&frame).expect("src");
        assert_eq!(arrived_then, before_send + 30, "only the 30 sent by hand");
        s.apply(Command::Seek(secs(25)));
        s.publish(&mut frame);
        assert_eq!(src(&frame).and_then(|(l, _)| l), Some(250));
        for back in [3, 12, 30, 40] {
            s.apply(Command::Seek(secs(back)));
            s.run_to(secs(60));
            assert_eq!(s.simulation().result(), end, "from {back} s");
        }
        // A send the run cannot take is refused, and not recorded.
        s.apply(Command::Seek(secs(50)));
        s.apply(Command::Send {
            id: "q".to_owned(),
            count: 1,
        });
        s.publish(&mut frame);
        assert!(
            matches!(frame.notices.as_slice(), [Notice::Refused(why)] if why.contains("only a producer")),
            "{:?}",
            frame.notices
        );
        assert_eq!(frame.reached, secs(60), "the future is kept");
    }
}
