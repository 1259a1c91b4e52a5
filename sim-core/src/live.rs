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
//! A live run can also be its own load: a producer's rate turned up or
//! down ([`Simulation::set_producer_load`], to zero for a producer that
//! sends only by hand) and events sent by hand
//! ([`Simulation::send_by_hand`]).
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

/// The most a producer's rate can be turned up to live, in percent of its
/// designed rate.
pub const MAX_LOAD_PERCENT: u32 = 1_000;

/// The most events one send by hand makes.
pub const MAX_SENT_BY_HAND: u32 = 1_000;

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
        // A retune may wake other nodes (a consumer with more room pulls).
        self.touch_all();
        self.params[i] = kind.clone();
        self.unsettle_theory("its parameters changed while it ran");
        Ok(())
    }

    /// The producer `id`, for a change only a producer takes.
    fn live_producer(&self, id: &str, what: &str) -> Result<NodeIx, LiveError> {
        let node = self.live_node(id)?;
        if self.topo[node].kind == crate::nodes::Kind::Producer {
            Ok(node)
        } else {
            Err(LiveError::Invalid {
                node: id.to_owned(),
                why: format!("only a producer {what}"),
            })
        }
    }

    /// Sets producer `id`'s rate to `percent` of its designed rate, from
    /// now on (0: it makes nothing of itself, and sends only by hand);
    /// the scenario's bursts multiply it as they do the designed rate.
    pub fn set_producer_load(&mut self, id: &str, percent: u32) -> Result<(), LiveError> {
        let node = self.live_producer(id, "has a rate to turn")?;
        if percent > MAX_LOAD_PERCENT {
            return Err(LiveError::Invalid {
                node: id.to_owned(),
                why: format!(
                    "its rate can be turned up to {MAX_LOAD_PERCENT} % of the designed one (asked {percent} %)"
                ),
            });
        }
        self.producer_set_load(node, percent);
        self.touch(node);
        self.unsettle_theory("a producer's rate was turned while it ran");
        Ok(())
    }

    /// Producer `id` makes `count` events now, as its arrivals make them
    /// (its client, outbox and versions included), without moving its own
    /// next arrival. A producer that waits for room stops at the first
    /// event the way refuses and holds it: the number made is returned,
    /// and refused when it is none. One that drops when blocked makes
    /// them all.
    pub fn send_by_hand(&mut self, id: &str, count: u32) -> Result<u32, LiveError> {
        let node = self.live_producer(id, "sends by hand")?;
        let invalid = |why: String| LiveError::Invalid {
            node: id.to_owned(),
            why,
        };
        if count == 0 || count > MAX_SENT_BY_HAND {
            return Err(invalid(format!(
                "send between 1 and {MAX_SENT_BY_HAND} events at a time (asked {count})"
            )));
        }
        if self.is_finished() {
            return Err(invalid("the run has ended".to_owned()));
        }
        if self.is_down(node) {
            return Err(invalid("it is down".to_owned()));
        }
        self.touch(node);
        let mut made = 0;
        while made < count && self.producer_by_hand(node) {
            made += 1;
        }
        if made == 0 {
            return Err(invalid(
                "it holds an event its way is full for, and sends nothing more until that goes"
                    .to_owned(),
            ));
        }
        self.unsettle_theory("events were sent by hand while it ran");
        Ok(made)
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
        // (Outside any event: a fault may reach beyond its node.)
        self.touch_all();
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

    fn arrived(sim: &Simulation) -> u64 {
        sim.snapshot().nodes[0].arrived
    }

    #[test]
    fn events_sent_by_hand_come_on_top_of_the_producers_own() {
        let mut plain = Simulation::new(&model(), 4).expect("sim");
        let mut by_hand = Simulation::new(&model(), 4).expect("sim");
        plain.run_until(at(10)).expect("runs");
        by_hand.run_until(at(10)).expect("runs");
        assert_eq!(by_hand.send_by_hand("src", 25), Ok(25));
        assert_eq!(arrived(&by_hand), arrived(&plain) + 25);
        // Its own arrivals keep their times: the counts stay 25 apart.
        plain.run_until(at(60)).expect("runs");
        by_hand.run_until(at(60)).expect("runs");
        assert_eq!(arrived(&by_hand), arrived(&plain) + 25);
        // (The consumers' draws fall to other messages, so what is still
        // in service at an instant may differ by a message or two.)
        let more = completed(&by_hand).abs_diff(completed(&plain) + 25);
        assert!(more <= 3, "{more}");
        let result = by_hand.result();
        assert!(result.conservation.balanced(), "{:?}", result.conservation);
        assert!(
            result.theory.stations[0]
                .result
                .as_ref()
                .is_err_and(|e| e.contains("sent by hand")),
            "theory no longer applies"
        );
    }

    #[test]
    fn a_load_of_zero_leaves_only_what_is_sent_by_hand() {
        let mut sim = Simulation::new(&model(), 4).expect("sim");
        sim.run_until(at(10)).expect("runs");
        sim.set_producer_load("src", 0)
            .expect("a producer's load turns");
        assert_eq!(sim.snapshot().nodes[0].load, Some(0));
        assert_eq!(sim.snapshot().nodes[1].load, None);
        let before = arrived(&sim);
        sim.run_until(at(20)).expect("runs");
        assert_eq!(arrived(&sim), before, "nothing arrives of itself");
        sim.send_by_hand("src", 7).expect("sends");
        sim.run_until(at(30)).expect("runs");
        assert_eq!(arrived(&sim), before + 7);
        // Back to the designed rate: 50/s again.
        sim.set_producer_load("src", 100).expect("turns back");
        sim.run_until(at(130)).expect("runs");
        let again = arrived(&sim) - before - 7;
        assert!((4_500..5_500).contains(&again), "{again} in 100 s");
        assert!(sim.result().conservation.balanced());
    }

    #[test]
    fn turning_the_load_scales_the_rate_and_bursts_still_multiply_it() {
        let longer = from_str(&PIPE.replace("200s", "300s")).expect("model").0;
        let mut sim = Simulation::new(&longer, 4).expect("sim");
        sim.set_producer_load("src", 300).expect("turns up");
        sim.run_until(at(100)).expect("runs");
        // 150/s for 100 s: 15,000, sd 122.
        let tripled = arrived(&sim);
        assert!((14_400..15_600).contains(&tripled), "{tripled}");
        // A burst of ×2 over a load of 50 %: the designed 50/s.
        sim.set_producer_load("src", 50).expect("turns down");
        sim.inject_fault(
            "src",
            Effect::Burst { factor: 2.0 },
            Duration::from_secs(100),
        )
        .expect("bursts");
        sim.run_until(at(200)).expect("runs");
        let burst = arrived(&sim) - tripled;
        assert!((4_600..5_400).contains(&burst), "{burst}");
        // The burst over: 25/s.
        sim.run_until(at(300)).expect("runs");
        let after = arrived(&sim) - tripled - burst;
        assert!((2_250..2_750).contains(&after), "{after}");
        assert!(sim.result().conservation.balanced());
    }

    #[test]
    fn a_producer_that_waits_stops_sending_by_hand_when_the_way_is_full() {
        let text = PIPE
            .replace("Queue(capacity: 500)", "Queue(capacity: 3)")
            .replace(
                "Consumer(instances: 4, service: Exponential(mean: \"10ms\"))",
                "Consumer(instances: 1, service: Constant(\"1s\"))",
            )
            .replace("rate: 50.0", "rate: 0.01");
        let model = from_str(&text).expect("model").0;
        let mut sim = Simulation::new(&model, 4).expect("sim");
        sim.run_until(at(1)).expect("runs");
        let made = sim.send_by_hand("src", 100).expect("some go");
        // Three in the queue (its consumer takes the first at a later
        // event of this instant) and one held by the producer.
        assert_eq!(made, 4, "made {made}");
        assert!(sim.snapshot().nodes[0].blocked);
        let refused = sim.send_by_hand("src", 1).expect_err("held up");
        assert!(refused.to_string().contains("“src”"), "{refused}");
        // They all go through in time, a second each.
        sim.run_until(at(20)).expect("runs");
        assert!(!sim.snapshot().nodes[0].blocked);
        assert!(completed(&sim) >= 4, "{}", completed(&sim));
        assert!(sim.result().conservation.balanced());
    }

    #[test]
    fn loads_and_sends_by_hand_are_refused_where_they_do_not_fit() {
        let mut sim = Simulation::new(&model(), 4).expect("sim");
        sim.run_until(at(1)).expect("runs");
        let kinds = |e: LiveError| e.to_string();
        assert!(kinds(sim.send_by_hand("q", 1).expect_err("a queue")).contains("only a producer"));
        assert!(
            kinds(sim.set_producer_load("worker", 50).expect_err("a consumer"))
                .contains("only a producer")
        );
        assert!(matches!(
            sim.send_by_hand("nope", 1),
            Err(LiveError::UnknownNode(_))
        ));
        assert!(sim.send_by_hand("src", 0).is_err());
        assert!(sim.send_by_hand("src", MAX_SENT_BY_HAND + 1).is_err());
        assert!(sim.set_producer_load("src", MAX_LOAD_PERCENT + 1).is_err());
        sim.inject_fault("src", Effect::Crash, Duration::from_secs(5))
            .expect("crashes");
        assert!(kinds(sim.send_by_hand("src", 1).expect_err("down")).contains("down"));
        sim.run_until(at(200)).expect("runs");
        assert!(kinds(sim.send_by_hand("src", 1).expect_err("ended")).contains("ended"));
    }
}
