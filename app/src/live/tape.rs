//! A live run's past: copies of the simulation taken as it ran, and the
//! changes made to it while it ran, so that it can go back to any instant
//! it reached and show exactly what happened there ([`super::Command::Seek`]).
//!
//! Going back starts from the latest checkpoint at or before the instant
//! (time zero is built again from the model) and runs forward to it with
//! the same seed, making each recorded change again at the time it was
//! made: the engine is deterministic, so this is the run as it was. Playing
//! on from there replays the rest; a change made there starts another
//! future, and the old one is forgotten.
//!
//! Checkpoints are taken every `every` of simulated time, at most
//! [`MAX_CHECKPOINTS`] of them and [`BUDGET_BYTES`] together (by
//! [`Simulation::approx_bytes`]): past either, every other one is dropped
//! and the interval doubles. A seek then replays at most one interval.

use sim_core::Simulation;
use sim_core::faults::Effect;
use sim_core::nodes::NodeKind;
use sim_core::time::{Duration, NANOS_PER_SEC, SimTime};

/// What one run's checkpoints may hold together, in bytes.
pub const BUDGET_BYTES: u64 = 256 << 20;
/// Checkpoints kept at most.
pub const MAX_CHECKPOINTS: usize = 64;
/// The shortest simulated time between two checkpoints.
const MIN_EVERY: u64 = NANOS_PER_SEC / 10;

/// A change made to a run while it ran.
#[derive(Clone, Debug)]
pub enum Change {
    /// New parameters for a node.
    Params { id: String, kind: Box<NodeKind> },
    /// A fault injected by hand.
    Fault {
        id: String,
        effect: Effect,
        duration: Duration,
    },
    /// A producer's rate turned, in percent of its designed rate.
    Load { id: String, percent: u32 },
    /// Events a producer sent by hand.
    Send { id: String, count: u32 },
}

impl Change {
    /// Makes the change in `sim`, now; with what the user should know of
    /// a change made only in part (a send by hand that stopped short).
    pub fn make(&self, sim: &mut Simulation) -> Result<Option<String>, sim_core::live::LiveError> {
        match self {
            Self::Params { id, kind } => sim.set_node_params(id, kind).map(|()| None),
            Self::Fault {
                id,
                effect,
                duration,
            } => sim.inject_fault(id, *effect, *duration).map(|()| None),
            Self::Load { id, percent } => sim.set_producer_load(id, *percent).map(|()| None),
            Self::Send { id, count } => sim.send_by_hand(id, *count).map(|made| {
                (made < *count).then(|| {
                    format!(
                        "“{id}” sent {made} of {count}: its way is full, and it holds the last until there is room"
                    )
                })
            }),
        }
    }
}

#[derive(Debug)]
struct Checkpoint {
    at: SimTime,
    /// How many of the tape's changes it had had.
    applied: usize,
    bytes: u64,
    sim: Box<Simulation>,
}

/// A run's checkpoints and changes (see the [module](self) docs).
#[derive(Debug)]
pub struct Tape {
    /// Oldest first.
    checkpoints: Vec<Checkpoint>,
    /// Simulated ns between checkpoints (`u64::MAX`: none are taken).
    every: u64,
    /// Each change and when it was made, in order.
    changes: Vec<(SimTime, Change)>,
    /// How many of `changes` the simulation on show has had.
    applied: usize,
    /// The furthest the run has gone.
    reached: SimTime,
}

impl Tape {
    /// An empty tape for a run that ends at `end`.
    pub fn new(end: SimTime) -> Self {
        Self {
            checkpoints: Vec::new(),
            every: (end.as_nanos() / MAX_CHECKPOINTS as u64).max(MIN_EVERY),
            changes: Vec::new(),
            applied: 0,
            reached: SimTime::ZERO,
        }
    }

    /// The furthest instant the run reached: how far it can go back to
    /// and replay.
    pub fn reached(&self) -> SimTime {
        self.reached
    }

    /// When each change was made, in order.
    pub fn change_times(&self) -> impl Iterator<Item = SimTime> + '_ {
        self.changes.iter().map(|&(at, _)| at)
    }

    /// Checkpoints held now.
    pub fn checkpoints(&self) -> usize {
        self.checkpoints.len()
    }

    /// The next recorded change the simulation has not had, if it falls at
    /// or before `until`.
    pub fn next_change(&self, until: SimTime) -> Option<(SimTime, Change)> {
        self.changes
            .get(self.applied)
            .filter(|&&(at, _)| at <= until)
            .cloned()
    }

    /// The change [`Self::next_change`] gave was made again.
    pub fn replayed(&mut self) {
        self.applied += 1;
    }

    /// A new change made `now`: whatever the tape held after this instant
    /// (a future seen before going back) is forgotten.
    pub fn record(&mut self, now: SimTime, change: Change) {
        self.changes.truncate(self.applied);
        self.checkpoints.retain(|c| c.at <= now);
        self.reached = now;
        self.changes.push((now, change));
        self.applied = self.changes.len();
    }

    /// The run is at `sim.now()`: the tape reaches there, and takes a
    /// checkpoint when one is due.
    pub fn passed(&mut self, sim: &mut Simulation) {
        let now = sim.now();
        self.reached = self.reached.max(now);
        let last = self.checkpoints.last().map_or(0, |c| c.at.as_nanos());
        if now.as_nanos() < last.saturating_add(self.every) {
            return;
        }
        self.checkpoints.push(Checkpoint {
            at: now,
            applied: self.applied,
            bytes: sim.approx_bytes(),
            sim: Box::new(sim.checkpoint()),
        });
        self.thin();
    }

    /// Within the limits again: every other checkpoint goes, and they are
    /// taken half as often; none at all if one alone is too big.
    fn thin(&mut self) {
        while self.checkpoints.len() > MAX_CHECKPOINTS
            || self.checkpoints.iter().map(|c| c.bytes).sum::<u64>() > BUDGET_BYTES
        {
            if self.checkpoints.len() <= 1 {
                self.checkpoints.clear();
                self.every = u64::MAX;
                return;
            }
            let mut k = 0;
            self.checkpoints.retain(|_| {
                k += 1;
                k % 2 == 0
            });
            self.every = self.every.saturating_mul(2);
        }
    }

    /// Where to start to show instant `at`: a copy of the latest
    /// checkpoint at or before it, and how many changes it had had; `None`
    /// to start from the model.
    pub fn start_for(&self, at: SimTime) -> Option<(Simulation, usize)> {
        self.checkpoints
            .iter()
            .rev()
            .find(|c| c.at <= at)
            .map(|c| ((*c.sim).clone(), c.applied))
    }

    /// The simulation on show went back to a start that had had `applied`
    /// changes.
    pub fn rewound(&mut self, applied: usize) {
        self.applied = applied;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODEL: &str = r#"(
        version: 1,
        name: "tape",
        scenario: (duration: "20s", seed: 3),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
            (id: "q", kind: Queue()),
            (id: "worker", kind: Consumer(service: Exponential(mean: "5ms"))),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "worker")],
    )"#;

    fn sim() -> Simulation {
        let (model, _) = sim_core::model::file::from_str(MODEL).expect("model");
        Simulation::new(&model, 3).expect("sim")
    }

    fn at(s: f64) -> SimTime {
        SimTime::ZERO + Duration::from_secs_f64(s)
    }

    #[test]
    fn checkpoints_are_thinned_to_the_limit_and_taken_less_often() {
        let mut sim = sim();
        let mut tape = Tape::new(sim.end());
        assert_eq!(tape.every, 20 * NANOS_PER_SEC / 64, "a 64th of the run");
        // More often than the run's length allows for: thinned on the way.
        tape.every = MIN_EVERY;
        let mut t = 0.0;
        while t < 20.0 {
            t += 0.05;
            sim.run_until(at(t)).expect("runs");
            tape.passed(&mut sim);
            assert!(tape.checkpoints() <= MAX_CHECKPOINTS);
        }
        assert_eq!(tape.reached(), sim.end());
        assert!(
            tape.checkpoints() > MAX_CHECKPOINTS / 4,
            "{}",
            tape.checkpoints()
        );
        assert!(tape.every > MIN_EVERY, "thinned at least once");
        // Oldest first, and no gap longer than two intervals.
        let times: Vec<u64> = tape.checkpoints.iter().map(|c| c.at.as_nanos()).collect();
        assert!(
            times
                .windows(2)
                .all(|w| w[0] < w[1] && w[1] - w[0] <= tape.every)
        );
    }

    #[test]
    fn a_change_made_after_going_back_forgets_the_future_it_replaces() {
        let mut sim = sim();
        let mut tape = Tape::new(sim.end());
        let fault = |id: &str| Change::Fault {
            id: id.to_owned(),
            effect: Effect::Crash,
            duration: Duration::from_secs(1),
        };
        sim.run_until(at(2.0)).expect("runs");
        tape.passed(&mut sim);
        tape.record(sim.now(), fault("worker"));
        sim.run_until(at(8.0)).expect("runs");
        tape.passed(&mut sim);
        tape.record(sim.now(), fault("q"));
        sim.run_until(at(12.0)).expect("runs");
        tape.passed(&mut sim);
        assert_eq!(tape.change_times().count(), 2);
        // Back to 5 s: the first change is had, the second is ahead.
        let (_, applied) = tape.start_for(at(5.0)).expect("a checkpoint by 5 s");
        tape.rewound(applied);
        while tape.next_change(at(5.0)).is_some() {
            tape.replayed();
        }
        assert_eq!(tape.applied, 1);
        assert_eq!(tape.next_change(at(12.0)).map(|(t, _)| t), Some(at(8.0)));
        // A change at 5 s: the one at 8 s and what came after are gone.
        tape.record(at(5.0), fault("src"));
        assert_eq!(tape.reached(), at(5.0));
        assert_eq!(tape.change_times().collect::<Vec<_>>(), [at(2.0), at(5.0)]);
        assert!(tape.checkpoints.iter().all(|c| c.at <= at(5.0)));
    }

    #[test]
    fn a_run_too_big_for_the_budget_keeps_no_checkpoint() {
        let mut sim = sim();
        let mut tape = Tape::new(sim.end());
        sim.run_until(at(1.0)).expect("runs");
        tape.passed(&mut sim);
        assert_eq!(tape.checkpoints(), 1);
        tape.checkpoints[0].bytes = BUDGET_BYTES + 1;
        tape.thin();
        assert_eq!(tape.checkpoints(), 0);
        sim.run_until(at(5.0)).expect("runs");
        tape.passed(&mut sim);
        assert_eq!(
            tape.checkpoints(),
            0,
            "none taken once one alone is too big"
        );
        assert!(tape.start_for(at(4.0)).is_none(), "back to the model");
    }
}
