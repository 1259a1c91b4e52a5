//! The scenario timeline: faults and changes at given times — a node
//! crashes (or a broker becomes unavailable), a node slows down, a producer
//! bursts. They are part of the model, so a replay tells the same story.
//!
//! ```ron
//! faults: [
//!     (at: "2m", duration: "30s", node: "worker", effect: Crash),
//!     (at: "5m", duration: "1m", node: "db", effect: Slow(factor: 10.0)),
//!     (at: "8m", duration: "20s", node: "orders", effect: Burst(factor: 5.0)),
//! ]
//! ```

use serde::{Deserialize, Serialize};

use crate::engine::{Ev, NodeIx, Simulation};
use crate::nodes::{Kind, Runtime, with_kind};
use crate::time::{Duration, SimTime};

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When it starts.
    pub at: Duration,
    /// How long it lasts.
    pub duration: Duration,
    /// The id of the node it hits.
    pub node: String,
    pub effect: Effect,
}

/// What a fault does to its node.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Effect {
    /// The node is down: a consumer loses what it holds (messages it
    /// received from a queue become visible there again when their
    /// visibility timeout ends) and refuses pushes; a queue or topic is
    /// unavailable, so senders wait; a sink loses what arrives; a producer
    /// stops; a CEP node loses its windows and refuses input; an event
    /// store starts no appends and refuses writers; a projection stops
    /// applying (its inbox waits).
    Crash,
    /// Service times (a consumer) or latencies (a sink) are multiplied by
    /// `factor`.
    Slow { factor: f64 },
    /// A producer's rate is multiplied by `factor`.
    Burst { factor: f64 },
}

impl Effect {
    /// The key used in reports.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Crash => "crash",
            Self::Slow { .. } => "slow",
            Self::Burst { .. } => "burst",
        }
    }

    /// Whether this effect can hit a node of `kind`.
    pub const fn fits(self, kind: Kind) -> bool {
        let fit = kind.faults();
        match self {
            Self::Crash => fit.crash,
            Self::Slow { .. } => fit.slow,
            Self::Burst { .. } => fit.burst,
        }
    }

    /// Why this effect cannot hit a node of `kind`, if it cannot.
    pub fn unfit_for(self, kind: Kind) -> Option<String> {
        if self.fits(kind) {
            return None;
        }
        let fits: Vec<&str> = Kind::ALL
            .into_iter()
            .filter(|&k| self.fits(k))
            .map(Kind::plural)
            .collect();
        let fits = match fits.split_last() {
            Some((last, rest)) if !rest.is_empty() => format!("{} and {last}", rest.join(", ")),
            _ => fits.concat(),
        };
        Some(format!(
            "a {} fault applies to {fits}, not to a {kind}",
            self.key()
        ))
    }

    fn factor(self) -> Option<f64> {
        match self {
            Self::Crash => None,
            Self::Slow { factor } | Self::Burst { factor } => Some(factor),
        }
    }

    /// Problems with the parameters, as sentences.
    pub fn problems(self) -> Vec<String> {
        match self.factor() {
            Some(f) if !f.is_finite() || f <= 0.0 => {
                vec![format!(
                    "the factor must be a number greater than zero (found {f})"
                )]
            }
            _ => Vec::new(),
        }
    }
}

/// A fault compiled for a run.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CompiledFault {
    pub node: NodeIx,
    pub effect: Effect,
    pub start: SimTime,
    pub end: SimTime,
}

impl Simulation {
    /// Schedules the timeline's starts and ends.
    pub(crate) fn schedule_faults(&mut self) {
        for i in 0..self.faults.len() {
            let fault = self.faults[i];
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            self.schedule(fault.start, Ev::FaultStart(index));
            self.schedule(fault.end, Ev::FaultEnd(index));
        }
    }

    pub(crate) fn fault_start(&mut self, index: u32) {
        let CompiledFault { node, effect, .. } = self.faults[index as usize];
        match effect {
            Effect::Crash => self.node_down(node),
            Effect::Slow { factor } | Effect::Burst { factor } => self.node_scale(node, factor),
        }
    }

    pub(crate) fn fault_end(&mut self, index: u32) {
        let CompiledFault { node, effect, .. } = self.faults[index as usize];
        match effect {
            Effect::Crash => self.node_up(node),
            Effect::Slow { factor } | Effect::Burst { factor } => {
                self.node_scale(node, 1.0 / factor);
            }
        }
    }

    /// A node goes down (faults may overlap: it is up again when the last
    /// one ends).
    fn node_down(&mut self, node: NodeIx) {
        self.down[node] += 1;
        if self.down[node] > 1 {
            return;
        }
        let now = self.now;
        if let Some(watch) = &mut self.objectives {
            watch.set_down(now, node, true);
        }
        self.nodes_down += 1;
        with_kind!(self.topo[node].kind, P => P::down(self, node));
    }

    fn node_up(&mut self, node: NodeIx) {
        self.down[node] -= 1;
        if self.down[node] > 0 {
            return;
        }
        let now = self.now;
        if let Some(watch) = &mut self.objectives {
            watch.set_down(now, node, false);
        }
        self.nodes_down -= 1;
        with_kind!(self.topo[node].kind, P => P::up(self, node));
    }

    fn node_scale(&mut self, node: NodeIx, factor: f64) {
        let topo = &self.topo[node];
        let (kind, slot) = (topo.kind, topo.slot);
        with_kind!(kind, P => P::slow(self, node, slot, factor));
    }

    /// Whether `node` is down now.
    #[inline(always)]
    pub(crate) fn is_down(&self, node: NodeIx) -> bool {
        // Checked on every send and fetch: mostly nothing is down.
        self.nodes_down > 0 && self.down[node] > 0
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(faults: &str, duration: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "faults",
                scenario: (duration: "{duration}", seed: 3, faults: [{faults}]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                    (id: "q", kind: Queue(visibility_timeout: "5s")),
                    (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "20ms"))),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
            )"#
        );
        let (model, problems) = from_str(&text).expect("loads");
        assert!(problems.is_empty());
        run_once(&model, 3).expect("runs")
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    #[test]
    fn a_crashed_consumer_loses_nothing_its_queue_covers() {
        let calm = run("", "120s");
        let crashed = run(
            r#"(at: "30s", duration: "20s", node: "srv", effect: Crash)"#,
            "120s",
        );
        assert!(
            crashed.conservation.balanced(),
            "{:?}",
            crashed.conservation
        );
        // The queue holds about 20 s × 50/s while the consumer is down.
        assert!(
            get(&crashed, "q", "max_depth") > 800.0,
            "max depth {}",
            get(&crashed, "q", "max_depth")
        );
        assert!(get(&calm, "q", "max_depth") < 100.0);
        // Nothing is dropped: the queue kept what the consumer held.
        assert_eq!(crashed.conservation.dropped, 0);
        // Everything produced before the last minute has been delivered.
        assert!(
            crashed.conservation.in_flight < 20,
            "{:?}",
            crashed.conservation
        );
        let p99 = get(&crashed, "out", "end_to_end_s.max");
        assert!(
            p99 > 15.0,
            "the longest journey waited out the outage: {p99}"
        );
    }

    #[test]
    fn work_in_progress_returns_after_the_visibility_timeout() {
        // One event a second, each taking 800 ms: the consumer is busy with
        // the event of t = 5 s when it crashes at 5.5 s. The queue shows
        // that event again at 5 + 5 = 10 s, after the consumer is back.
        let text = r#"(
            version: 1,
            name: "in progress",
            scenario: (duration: "30s", seed: 1, faults: [(at: "5.5s", duration: "2s", node: "srv", effect: Crash)]),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 1.0))),
                (id: "q", kind: Queue(visibility_timeout: "5s")),
                (id: "srv", kind: Consumer(service: Constant("800ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = run_once(&model, 1).expect("runs");
        assert_eq!(get(&r, "q", "redelivered"), 1.0);
        assert_eq!(r.conservation.dropped, 0);
        assert_eq!(
            r.conservation.redelivered, 0,
            "no copy: the original came back"
        );
        // Its journey: created at 5 s, shown again at 10 s behind the
        // backlog of the outage (events of 6–9 s are served from 7.5 s, one
        // per 800 ms, until 10.7 s), done at 11.5 s: 6.5 s end to end.
        assert!(
            (get(&r, "out", "end_to_end_s.max") - 6.5).abs() < 1e-6,
            "{}",
            get(&r, "out", "end_to_end_s.max")
        );
        assert!(r.conservation.balanced());
    }

    #[test]
    fn a_down_queue_holds_back_its_producer() {
        let r = run(
            r#"(at: "10s", duration: "30s", node: "q", effect: Crash)"#,
            "100s",
        );
        let blocked = get(&r, "src", "blocked_fraction");
        // Blocked for the 30 s of the outage out of 100 s.
        assert!((blocked - 0.3).abs() < 0.02, "blocked fraction {blocked}");
        assert!(r.conservation.balanced());
        assert_eq!(r.conservation.dropped, 0);
    }

    #[test]
    fn a_burst_multiplies_the_rate_for_its_duration() {
        let r = run(
            r#"(at: "100s", duration: "100s", node: "src", effect: Burst(factor: 3.0))"#,
            "400s",
        );
        // 50/s for 300 s and 150/s for 100 s: 30 000 expected (sd ≈ 173).
        let produced = get(&r, "src", "arrived");
        assert!((produced - 30_000.0).abs() < 900.0, "produced {produced}");
    }

    #[test]
    fn a_slow_down_stretches_service_times() {
        let calm = run("", "200s");
        let slow = run(
            r#"(at: "0s", duration: "200s", node: "srv", effect: Slow(factor: 2.0))"#,
            "200s",
        );
        let (a, b) = (
            get(&calm, "srv", "sojourn_s.mean"),
            get(&slow, "srv", "sojourn_s.mean"),
        );
        assert!((b / a - 2.0).abs() < 0.1, "service {a} → {b}");
    }

    #[test]
    fn a_crashed_consumer_fed_by_pushes_loses_what_it_held() {
        let text = r#"(
            version: 1,
            name: "push",
            scenario: (duration: "60s", seed: 1, faults: [(at: "20s", duration: "10s", node: "srv", effect: Crash)]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
                (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "srv")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = run_once(&model, 1).expect("runs");
        let node = r.node("srv").expect("consumer");
        let down = node.get("drops.node_down").unwrap_or(0.0);
        // About 10 s × 80/s refused while down.
        assert!((down - 800.0).abs() < 120.0, "refused {down}");
        assert!(r.conservation.balanced());
    }

    #[test]
    fn faults_are_validated() {
        let text = r#"(
            version: 1,
            name: "bad faults",
            scenario: (duration: "60s", faults: [
                (at: "1s", duration: "1s", node: "ghost", effect: Crash),
                (at: "1s", duration: "1s", node: "src", effect: Slow(factor: 2.0)),
                (at: "1s", duration: "0s", node: "srv", effect: Crash),
                (at: "1s", duration: "1s", node: "src", effect: Burst(factor: -1.0)),
            ]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
                (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "srv")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let found: Vec<String> = crate::validate::validate(&model)
            .into_iter()
            .filter(crate::validate::Diagnostic::is_error)
            .map(|d| d.to_string())
            .collect();
        for words in [
            "'ghost', which does not exist",
            "applies to consumers, services, sinks, event stores and projections",
            "longer than zero",
            "greater than zero",
        ] {
            assert!(
                found.iter().any(|f| f.contains(words)),
                "missing {words:?} in {found:#?}"
            );
        }
    }
}
