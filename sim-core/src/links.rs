//! Faults on links: latency spikes, loss and duplication of the messages
//! pushed along a link, on the scenario timeline or at random.
//!
//! ```ron
//! faults: [
//!     (at: "2m", duration: "30s", link: "checkout->orders", effect: Delay(extra: "400ms")),
//!     (at: "5m", duration: "1m", link: "checkout->orders", effect: Loss(probability: 0.05)),
//! ],
//! random_faults: [
//!     (link: "orders->billing", effect: Duplicate(probability: 0.2),
//!      between: Exponential(mean: "2m"), duration: Constant("10s")),
//! ],
//! ```
//!
//! A link is named by its id: `"from->to"` unless it has one of its own.
//! While a fault is in force on it:
//!
//! - `Delay(extra)`: every message sent takes `extra` longer to cross; the
//!   link keeps their order, so those sent after the spike wait behind
//!   those sent during it;
//! - `Loss(probability)`: each message sent is lost with that probability
//!   (drop reason `link_loss`, a loss);
//! - `Duplicate(probability)`: each message sent arrives twice with that
//!   probability, the second a copy of the same message (a redelivery, as
//!   a queue's: consumers that deduplicate see it as a duplicate).
//!
//! Faults may overlap: delays add up, and each loss or duplication fault
//! draws on its own. The draws come from the link's own stream, so faults
//! on one link change no other link's numbers. Faults hit the links that
//! carry pushed messages; a consumer's pull from a queue or log is not one
//! (fault the queue, or the consumer, instead).

use crate::engine::{EdgeIx, Ev, MsgId, NodeIx, Simulation};
use crate::faults::Effect;
use crate::metrics::DropReason;
use crate::model::Model;
use crate::nodes::{EdgeRole, Kind};
use crate::rng::Stream;
use crate::time::{Duration, SimTime};

/// A link's faults in force during a run.
#[derive(Clone, Debug)]
pub(crate) struct LinkRt {
    /// The link's id, as faults and reports name it.
    pub id: String,
    /// The delays in force (their sum is added to the latency).
    delays: Vec<Duration>,
    /// The loss and duplication probabilities in force.
    losses: Vec<f64>,
    duplications: Vec<f64>,
    rng: Stream,
    /// The latest time a message sent along it arrives (it keeps order).
    last_due: SimTime,
}

impl LinkRt {
    fn new(id: String, rng: Stream) -> Self {
        Self {
            id,
            delays: Vec::new(),
            losses: Vec::new(),
            duplications: Vec::new(),
            rng,
            last_due: SimTime::ZERO,
        }
    }

    /// Whether any of `probabilities` strikes this message.
    fn strikes(rng: &mut Stream, probabilities: &[f64]) -> bool {
        // Each fault draws on its own: all are drawn, so the stream moves
        // the same way whichever strikes.
        let mut hit = false;
        for &p in probabilities {
            hit |= crate::rng::unit(rng) < p;
        }
        hit
    }
}

/// The link with id `id` in `model`: its index among the model's edges and
/// the position of its sender in `node_ixs` (the run's order).
pub(crate) fn find(
    model: &Model,
    node_ixs: &[petgraph::stable_graph::NodeIndex],
    id: &str,
) -> Option<(usize, usize)> {
    let g = &model.graph;
    let e = model.edge_by_id(id)?;
    let k = g.edge_indices().position(|x| x == e)?;
    let (from, _) = g.edge_endpoints(e)?;
    Some((k, node_ixs.iter().position(|&n| n == from)?))
}

/// Whether the link from `from` to `to` carries pushed messages (a fault
/// may hit it): not a consumer's pull, a dead-letter link or a call.
pub fn carries_pushes(from: Kind, to: Kind) -> bool {
    matches!(from.connect(to), Ok(EdgeRole::Push))
}

/// The runtime of every link a fault of the scenario may hit, each
/// numbered into its edge's `link`.
pub(crate) fn compile(
    model: &Model,
    edges: &mut [crate::engine::EdgeTopo],
    seed: u64,
) -> Vec<LinkRt> {
    let s = &model.scenario;
    let named: Vec<&str> = s
        .faults
        .iter()
        .filter_map(|f| f.link.as_deref())
        .chain(s.random_faults.iter().filter_map(|f| f.link.as_deref()))
        .collect();
    let mut out = Vec::new();
    if named.is_empty() {
        return out;
    }
    for (k, e) in model.graph.edge_indices().enumerate() {
        let id = model.edge_id(e);
        if !named.contains(&id.as_str()) {
            continue;
        }
        let (Some(edge), Ok(slot)) = (edges.get_mut(k), u32::try_from(out.len())) else {
            continue;
        };
        edge.link = slot;
        let rng = crate::rng::stream(seed, &id, crate::rng::Purpose::Links);
        out.push(LinkRt::new(id, rng));
    }
    out
}

impl Simulation {
    /// A fault with `effect` starts (`on`) or ends on the link of edge
    /// `edge` (its index in the run).
    pub(crate) fn link_fault(&mut self, edge: u32, effect: Effect, on: bool) {
        let Some(link) = self.edges.get(edge as usize).map(|e| e.link) else {
            return;
        };
        let Some(l) = self.links.get_mut(link as usize) else {
            return;
        };
        fn toggle<T: PartialEq>(list: &mut Vec<T>, value: T, on: bool) {
            if on {
                list.push(value);
            } else if let Some(i) = list.iter().position(|v| *v == value) {
                list.remove(i);
            }
        }
        match effect {
            Effect::Delay { extra } => toggle(&mut l.delays, extra, on),
            Effect::Loss { probability } => toggle(&mut l.losses, probability, on),
            Effect::Duplicate { probability } => toggle(&mut l.duplications, probability, on),
            Effect::Crash | Effect::Slow { .. } | Effect::Burst { .. } => {}
        }
    }

    /// When `msg`, sent now along edge `e` into `to`, reaches `to`: after
    /// the link's faults and a replicated broker's replication. `None`: the
    /// link lost it.
    #[cold]
    #[inline(never)]
    pub(crate) fn special_due(&mut self, e: EdgeIx, to: NodeIx, msg: MsgId) -> Option<SimTime> {
        let now = self.now;
        let edge = &self.edges[e];
        let (from, wire, link, replicated) = (edge.from, edge.wire, edge.link, edge.replicated);
        let (to_kind, to_slot) = (edge.to_kind, edge.to_slot);
        let mut latency = wire;
        let mut twice = false;
        if let Some(l) = self.links.get_mut(link as usize) {
            if !l.losses.is_empty() && LinkRt::strikes(&mut l.rng, &l.losses) {
                if to_kind == Kind::Queue {
                    self.queues[to_slot].reserved -= 1;
                }
                self.drop_msg(to, msg, DropReason::LinkLoss);
                return None;
            }
            latency = l.delays.iter().fold(latency, |a, &b| a + b);
            twice = !l.duplications.is_empty() && LinkRt::strikes(&mut l.rng, &l.duplications);
        }
        let mut due = if replicated {
            self.replicated_due(to, latency, msg)
        } else {
            now + latency
        };
        if let Some(l) = self.links.get_mut(link as usize) {
            due = due.max(l.last_due);
            l.last_due = due;
        }
        if twice {
            let copy = self.duplicate(from, msg);
            self.totals.redelivered += 1;
            if to_kind == Kind::Queue {
                self.queues[to_slot].reserved += 1;
            }
            let line = &mut self.transit[e];
            line.push_back((due, copy));
            if line.len() == 1 {
                self.schedule(due, Ev::EdgeArrive(e));
            }
        }
        Some(due)
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    /// A producer pushing 100/s over a 10 ms link into a sink, with `faults`.
    fn run(faults: &str, seed: u64) -> RunResult {
        let text = format!(
            r#"(version: 1, name: "links", scenario: (duration: "100s", warmup: "0s", seed: {seed}, {faults}),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "done", kind: Sink()),
            ],
            edges: [(from: "src", to: "done", latency: "10ms")])"#
        );
        let (model, problems) = from_str(&text).expect("parses");
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        let errors: Vec<_> = crate::validate::validate(&model)
            .into_iter()
            .filter(crate::validate::Diagnostic::is_error)
            .collect();
        assert!(errors.is_empty(), "{errors:?}");
        run_once(&model, seed).expect("runs")
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    #[test]
    fn a_loss_fault_loses_its_share_of_what_crosses_while_it_lasts() {
        let r = run(
            r#"faults: [(at: "20s", duration: "50s", link: "src->done", effect: Loss(probability: 0.2))]"#,
            1,
        );
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        let lost = get(&r, "done", "drops.link_loss");
        // 0.2 × 100/s × 50 s = 1000, give or take a few standard deviations.
        assert!((880.0..=1120.0).contains(&lost), "lost {lost}");
        assert_eq!(r.conservation.lost, lost as u64);
        // Without it, the same seed loses nothing.
        let calm = run("", 1);
        assert_eq!(calm.conservation.lost, 0);
    }

    #[test]
    fn a_duplication_fault_delivers_copies_and_a_delay_holds_the_line() {
        let r = run(
            r#"faults: [(at: "10s", duration: "40s", link: "src->done", effect: Duplicate(probability: 0.5)),
                        (at: "60s", duration: "10s", link: "src->done", effect: Delay(extra: "2s"))]"#,
            2,
        );
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        // Half of 100/s × 40 s arrive twice.
        let copies = r.conservation.redelivered;
        assert!((1800..=2200).contains(&copies), "copies {copies}");
        // The spike: 2 s more than the link's 10 ms, for what crossed then.
        let worst = get(&r, "done", "end_to_end_s.max");
        assert!((2.0..2.1).contains(&worst), "worst {worst}");
        let calm = run("", 2);
        assert!(get(&calm, "done", "end_to_end_s.max") < 0.011);
    }

    #[test]
    fn a_watched_run_remembers_where_its_last_messages_were_lost() {
        use crate::snapshot::Place;
        use crate::time::{NANOS_PER_SEC, SimTime};
        let text = r#"(version: 1, name: "links", scenario: (duration: "10s", seed: 5,
                faults: [(at: "1s", duration: "9s", link: "src->done", effect: Loss(probability: 0.5))]),
            nodes: [(id: "src", kind: Producer(arrival: Poisson(rate: 100.0))), (id: "done", kind: Sink())],
            edges: [(from: "src", to: "done")])"#;
        let (model, _) = from_str(text).expect("parses");
        let lost_places = |watch: bool| {
            let mut sim = crate::engine::Simulation::new(&model, 5).expect("compiles");
            if watch {
                sim.watch_crossings();
            }
            sim.run_until(SimTime(3 * NANOS_PER_SEC)).expect("runs");
            let snap = sim.snapshot();
            let lost: Vec<(u32, u64)> = snap
                .messages
                .iter()
                .filter_map(|m| match m.place {
                    Place::Lost { node, seq, at } => {
                        assert!(at > SimTime(NANOS_PER_SEC) && at <= snap.now);
                        Some((node, seq))
                    }
                    _ => None,
                })
                .collect();
            (lost, snap.totals.lost)
        };
        let (lost, total) = lost_places(true);
        // About 100 lost by 3 s; the last 32 are remembered, all at the sink.
        assert!(total > 60, "lost {total}");
        assert_eq!(lost.len(), crate::engine::RECENT_LOST);
        assert!(lost.iter().all(|&(node, _)| node == 1));
        assert_eq!(lost.last().map(|&(_, seq)| seq), Some(total));
        // Unwatched, nothing is remembered, and the numbers are the same.
        let (unwatched, same) = lost_places(false);
        assert!(unwatched.is_empty());
        assert_eq!(same, total);
    }

    #[test]
    fn random_link_faults_strike_again_and_again() {
        let r = run(
            r#"random_faults: [(link: "src->done", effect: Loss(probability: 1.0), between: Exponential(mean: "10s"), duration: Constant("1s"))]"#,
            3,
        );
        assert!(r.conservation.balanced());
        // Down about 1 s in every 11: about 100/s × 100 s / 11.
        let lost = get(&r, "done", "drops.link_loss");
        assert!((400.0..=1500.0).contains(&lost), "lost {lost}");
    }

    #[test]
    fn link_faults_are_validated() {
        let cases = [
            (
                r#"faults: [(at: "1s", duration: "1s", link: "nowhere", effect: Loss(probability: 0.1))]"#,
                "names link 'nowhere', which does not exist",
            ),
            (
                r#"faults: [(at: "1s", duration: "1s", link: "src->done", effect: Crash)]"#,
                "hits a node, not a link",
            ),
            (
                r#"faults: [(at: "1s", duration: "1s", node: "src", effect: Delay(extra: "1s"))]"#,
                "hits a link, not a node",
            ),
            (
                r#"faults: [(at: "1s", duration: "1s", link: "src->done", effect: Loss(probability: 1.5))]"#,
                "between 0 and 1",
            ),
            (
                r#"faults: [(at: "1s", duration: "1s", effect: Loss(probability: 0.5))]"#,
                "names no node and no link",
            ),
            (
                r#"faults: [(at: "1s", duration: "1s", node: "src", link: "src->done", effect: Loss(probability: 0.5))]"#,
                "names both a node",
            ),
            (
                r#"faults: [(at: "1s", duration: "1s", link: "q->c", effect: Loss(probability: 0.5))]"#,
                "carries no pushed messages",
            ),
        ];
        for (faults, words) in cases {
            let text = format!(
                r#"(version: 1, name: "v", scenario: (duration: "10s", {faults}),
                nodes: [(id: "src", kind: Producer(arrival: Poisson(rate: 1.0))), (id: "done", kind: Sink()),
                        (id: "q", kind: Queue()), (id: "c", kind: Consumer(service: Constant("1ms")))],
                edges: [(from: "src", to: "done"), (from: "q", to: "c")])"#
            );
            let (model, _) = from_str(&text).expect("parses");
            crate::validate::tests::assert_errors_say(&model, &[words]);
        }
    }
}
