//! Changing a running simulation: new parameters for a node, and faults
//! injected now.
//!
//! A change takes effect from the current state: messages keep their
//! places, work in progress keeps the times already drawn, and every node
//! keeps its random streams. What cannot change in place — a node's kind,
//! an autoscaler, breaker or serverless set-up added or removed, a
//! router's routes, a sink's or service's concurrency — is refused with
//! [`LiveError::NeedsRestart`], so the caller restarts the run instead of
//! showing a run that no longer matches its model.
//!
//! A live change is not part of the scenario: a run changed live is not
//! the replay of its model. Faults injected here are the same faults as the
//! scenario timeline's ([`crate::faults`]); recording them there makes
//! them part of the replay.

use crate::engine::{Ev, NodeIx, Simulation};
use crate::faults::{CompiledFault, Effect};
use crate::nodes::{NodeKind, Runtime, restart_reason, with_params};
use crate::time::Duration;

/// Why a live change was refused.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LiveError {
    #[error("there is no node “{0}” in this run")]
    UnknownNode(String),
    #[error("“{node}” cannot change this way while running ({what}); restart the run")]
    NeedsRestart { node: String, what: String },
    #[error("“{node}”: {why}")]
    Invalid { node: String, why: String },
}

impl Simulation {
    /// The index of the node with `id` in this run.
    fn live_node(&self, id: &str) -> Result<NodeIx, LiveError> {
        self.topo
            .iter()
            .position(|t| t.id == id)
            .and_then(|i| u32::try_from(i).ok().map(NodeIx))
            .ok_or_else(|| LiveError::UnknownNode(id.to_owned()))
    }

    /// The parameters a node runs with now.
    pub fn node_params(&self, id: &str) -> Option<&NodeKind> {
        let i = self.live_node(id).ok()?;
        self.params.get(i.ix())
    }

    /// Gives node `id` new parameters from now on. Parameters with
    /// problems are refused (as validation would name them), and so are
    /// changes that need a restart (see the [module docs](self)).
    pub fn set_node_params(&mut self, id: &str, kind: &NodeKind) -> Result<(), LiveError> {
        let node = self.live_node(id)?;
        let i = node.ix();
        let restart = |what: &str| LiveError::NeedsRestart {
            node: id.to_owned(),
            what: what.to_owned(),
        };
        let problems = kind.problems();
        if let Some(why) = problems.into_iter().next() {
            return Err(LiveError::Invalid {
                node: id.to_owned(),
                why,
            });
        }
        if let Some(why) = restart_reason(&self.params[i], kind) {
            return Err(restart(why));
        }
        let slot = self.topo[i].slot;
        with_params!(kind, p => p.retune(self, node, slot));
        self.params[i] = kind.clone();
        self.unsettle_theory("its parameters changed while it ran");
        Ok(())
    }

    /// Starts a fault on node `id` now, lasting `duration`: the same
    /// effects as the scenario timeline's.
    pub fn inject_fault(
        &mut self,
        id: &str,
        effect: Effect,
        duration: Duration,
    ) -> Result<(), LiveError> {
        let node = self.live_node(id)?;
        let invalid = |why: String| LiveError::Invalid {
            node: id.to_owned(),
            why,
        };
        if let Some(why) = crate::validate::unfit(effect, &self.params[node]) {
            return Err(invalid(why));
        }
        if let Some(why) = effect.problems().into_iter().next() {
            return Err(invalid(why));
        }
        if duration.is_zero() {
            return Err(invalid("a fault must last longer than zero".to_owned()));
        }
        let index = u32::try_from(self.faults.len()).unwrap_or(u32::MAX);
        let start = self.now;
        let end = start + duration;
        self.faults.push(CompiledFault {
            node,
            effect,
            start,
            end,
            random: crate::faults::NOT_RANDOM,
            region: crate::faults::NO_REGION,
            link: crate::faults::NO_LINK,
        });
        self.fault_start(index);
        self.schedule(end, Ev::FaultEnd(index));
        self.unsettle_theory("a fault was injected while it ran");
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;
    use crate::nodes::producer::ProducerParams;
    use crate::time::{NANOS_PER_SEC, SimTime};
    use crate::{Model, Simulation};

    const PIPE: &str = r#"(
        version: 1,
        name: "pipe",
        scenario: (duration: "200s", seed: 4),
        nodes: [
            (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
            (id: "q", kind: Queue(capacity: 500)),
            (id: "worker", kind: Consumer(instances: 4, service: Exponential(mean: "10ms"))),
            (id: "out", kind: Sink()),
        ],
        edges: [(from: "src", to: "q"), (from: "q", to: "worker"), (from: "worker", to: "out")],
    )"#;

    fn model() -> Model {
        from_str(PIPE).expect("model").0
    }

    fn at(s: u64) -> SimTime {
        SimTime(s * NANOS_PER_SEC)
    }

    fn producer(sim: &Simulation) -> ProducerParams {
        match sim.node_params("src") {
            Some(NodeKind::Producer(p)) => p.clone(),
            other => panic!("src is a producer: {other:?}"),
        }
    }

    fn completed(sim: &Simulation) -> u64 {
        sim.snapshot().nodes[3].completed
    }

    #[test]
    fn raising_a_producers_rate_raises_throughput_from_then_on() {
        let mut sim = Simulation::new(&model(), 4).expect("sim");
        sim.run_until(at(100)).expect("runs");
        let before = completed(&sim);
        let mut p = producer(&sim);
        p.arrival = crate::dist::Arrival::Poisson { rate: 200.0 };
        sim.set_node_params("src", &NodeKind::Producer(p))
            .expect("a rate changes live");
        sim.run_until(at(200)).expect("runs");
        let after = completed(&sim) - before;
        // 50/s for the first 100 s, 200/s for the next 100 s.
        assert!((4_500..5_500).contains(&before), "first half {before}");
        assert!((19_000..21_000).contains(&after), "second half {after}");
        let result = sim.result();
        assert!(result.conservation.balanced(), "{:?}", result.conservation);
        // Theory no longer describes a run changed as it ran.
        let station = &result.theory.stations[0];
        assert_eq!(station.node, "worker");
        assert!(
            station
                .result
                .as_ref()
                .is_err_and(|e| e.contains("parameters changed")),
            "{station:?}"
        );
    }

    #[test]
    fn fewer_instances_build_a_queue_and_more_drain_it() {
        let mut sim = Simulation::new(&model(), 4).expect("sim");
        let consumer = |instances: u32| match sim_params(&model(), "worker") {
            NodeKind::Consumer(mut c) => {
                c.instances = instances;
                c.service = crate::dist::Dist::Exponential {
                    mean: Duration::from_millis(40),
                };
                NodeKind::Consumer(c)
            }
            other => panic!("{other:?}"),
        };
        // 50/s against 1 / 40 ms = 25/s: the queue grows.
        sim.set_node_params("worker", &consumer(1)).expect("live");
        sim.run_until(at(20)).expect("runs");
        let grown = sim.snapshot().nodes[1].held;
        assert!(grown > 300, "the queue grows: {grown}");
        // 4 instances: 100/s against 50/s drains it.
        sim.set_node_params("worker", &consumer(4)).expect("live");
        assert_eq!(sim.snapshot().nodes[2].instances, 4);
        sim.run_until(at(60)).expect("runs");
        let drained = sim.snapshot().nodes[1].held;
        assert!(drained < 20, "the queue drains: {drained}");
        assert!(sim.result().conservation.balanced());
    }

    fn sim_params(model: &Model, id: &str) -> NodeKind {
        let n = model.find(id).expect("node");
        model.graph[n].kind.clone()
    }

    #[test]
    fn an_injected_crash_stops_the_consumer_for_its_duration() {
        let mut sim = Simulation::new(&model(), 4).expect("sim");
        sim.run_until(at(10)).expect("runs");
        sim.inject_fault("worker", Effect::Crash, Duration::from_secs(5))
            .expect("a consumer can crash");
        let done = completed(&sim);
        sim.run_until(at(14)).expect("runs");
        assert_eq!(completed(&sim), done, "nothing completes while down");
        assert!(sim.snapshot().nodes[2].down);
        sim.run_until(at(30)).expect("runs");
        assert!(!sim.snapshot().nodes[2].down, "up again after 5 s");
        assert!(completed(&sim) > done + 500, "the backlog drains");
        assert!(sim.result().conservation.balanced());
    }

    #[test]
    fn refusals_name_the_node_and_change_nothing() {
        let mut sim = Simulation::new(&model(), 4).expect("sim");
        let err = sim
            .inject_fault("q", Effect::Burst { factor: 2.0 }, Duration::from_secs(1))
            .expect_err("a queue cannot burst");
        assert!(err.to_string().contains("“q”"), "{err}");
        let err = sim
            .set_node_params("worker", &sim_params(&model(), "out"))
            .expect_err("kinds are fixed");
        assert!(matches!(err, LiveError::NeedsRestart { .. }), "{err}");
        assert!(matches!(
            sim.set_node_params("nope", &sim_params(&model(), "out")),
            Err(LiveError::UnknownNode(_))
        ));
        let mut bad = producer(&sim);
        bad.arrival = crate::dist::Arrival::Poisson { rate: -1.0 };
        assert!(matches!(
            sim.set_node_params("src", &NodeKind::Producer(bad)),
            Err(LiveError::Invalid { .. })
        ));
        // Nothing changed: the run is the plain run.
        let plain = crate::run_once(&model(), 4).expect("runs");
        assert_eq!(sim.run().expect("runs").nodes, plain.nodes);
    }
}
