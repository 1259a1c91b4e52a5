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
//!
//! Faults can also strike at random, again and again, beside the timeline:
//! a [`RandomFault`] starts after a time drawn from `between` (the time to
//! failure; its mean is the MTBF) and lasts a time drawn from `duration`
//! (its mean is the MTTR), then the next one is drawn. The draws come from
//! the node's own stream for faults, so adding random faults to one node
//! changes no other node's numbers.
//!
//! ```ron
//! random_faults: [
//!     (node: "worker", effect: Crash, between: Exponential(mean: "10m"), duration: Exponential(mean: "30s")),
//! ]
//! ```

use serde::{Deserialize, Serialize};

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, NodeIx, Simulation};
use crate::nodes::{Kind, Runtime, with_kind};
use crate::rng::Stream;
use crate::time::{Duration, SimTime};

/// One entry of the timeline.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fault {
    /// When it starts.
    pub at: Duration,
    /// How long it lasts.
    pub duration: Duration,
    /// The id of the node it hits (empty for a link's fault).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The id of the link it hits (`"from->to"` unless the link has an id
    /// of its own), instead of a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub effect: Effect,
}

/// A fault that strikes its node at random, over and over: the time from
/// the start of the run, or from the end of the last one, to the next is
/// drawn from `between`; how long it lasts, from `duration`. With a crash,
/// the node's availability is E\[between\] / (E\[between\] + E\[duration\]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RandomFault {
    /// The id of the node it hits (empty for a link's fault).
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub node: String,
    /// The id of the link it hits, instead of a node.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub link: Option<String>,
    pub effect: Effect,
    /// The time to the next fault (its mean is the MTBF).
    pub between: Dist,
    /// How long each fault lasts (its mean is the MTTR).
    pub duration: Dist,
}

/// The most times a random fault may be expected to strike in one run
/// (the run's duration over its mean cycle): more is refused, a guard
/// against a cycle written in the wrong unit.
pub const MAX_RANDOM_FAULTS_PER_RUN: f64 = 100_000.0;
/// The most times one random fault strikes in a run before the run stops
/// with an error (its draws may fall far below their mean).
pub const RANDOM_FAULT_LIMIT: u32 = 1_000_000;

impl RandomFault {
    /// A random crash of `node` with exponential times between faults
    /// (mean `mtbf`) and to repair (mean `mttr`).
    pub const fn crash(node: String, mtbf: Duration, mttr: Duration) -> Self {
        Self {
            node,
            link: None,
            effect: Effect::Crash,
            between: Dist::Exponential { mean: mtbf },
            duration: Dist::Exponential { mean: mttr },
        }
    }

    /// The long-run fraction of time the fault is not in force:
    /// E\[between\] / (E\[between\] + E\[duration\]) (a crash: the node's
    /// availability).
    pub fn availability(&self) -> f64 {
        let up = self.between.mean().as_secs_f64();
        let down = self.duration.mean().as_secs_f64();
        if up + down > 0.0 {
            up / (up + down)
        } else {
            1.0
        }
    }

    /// Problems with the parameters for a run of `run` simulated time, as
    /// sentences.
    pub fn problems(&self, run: Duration) -> Vec<String> {
        let mut out = self.effect.problems();
        for (name, dist) in [
            ("the time between faults", &self.between),
            ("the duration", &self.duration),
        ] {
            out.extend(dist.problems().into_iter().map(|p| format!("{name}: {p}")));
            if dist.mean().is_zero() {
                out.push(format!("{name} must average more than zero"));
            }
        }
        let cycle = self.between.mean().as_secs_f64() + self.duration.mean().as_secs_f64();
        if cycle > 0.0 && run.as_secs_f64() / cycle > MAX_RANDOM_FAULTS_PER_RUN {
            out.push(format!(
                "it would strike about {:.0} times in the run; at most {MAX_RANDOM_FAULTS_PER_RUN:.0} \
                 can (is the time between faults in the right unit?)",
                run.as_secs_f64() / cycle
            ));
        }
        out
    }
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
    /// `factor`; so are a replicated broker's replication lags.
    Slow { factor: f64 },
    /// A producer's rate is multiplied by `factor`.
    Burst { factor: f64 },
    /// A link's messages take `extra` longer to cross it (a latency
    /// spike); they keep their order.
    Delay { extra: Duration },
    /// Each message sent along a link is lost with `probability`.
    Loss { probability: f64 },
    /// Each message sent along a link arrives twice with `probability`.
    Duplicate { probability: f64 },
}

impl Effect {
    /// The key used in reports.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Crash => "crash",
            Self::Slow { .. } => "slow",
            Self::Burst { .. } => "burst",
            Self::Delay { .. } => "delay",
            Self::Loss { .. } => "loss",
            Self::Duplicate { .. } => "duplicate",
        }
    }

    /// Whether this effect hits a link rather than a node.
    pub const fn on_link(self) -> bool {
        matches!(
            self,
            Self::Delay { .. } | Self::Loss { .. } | Self::Duplicate { .. }
        )
    }

    /// Whether this effect can hit a node of `kind`.
    pub const fn fits(self, kind: Kind) -> bool {
        let fit = kind.faults();
        match self {
            Self::Crash => fit.crash,
            Self::Slow { .. } => fit.slow,
            Self::Burst { .. } => fit.burst,
            Self::Delay { .. } | Self::Loss { .. } | Self::Duplicate { .. } => false,
        }
    }

    /// Why this effect cannot hit a node of `kind`, if it cannot.
    pub fn unfit_for(self, kind: Kind) -> Option<String> {
        if self.fits(kind) {
            return None;
        }
        if self.on_link() {
            return Some(format!(
                "a {} fault hits a link, not a node: name the link with `link:` (\"from->to\")",
                self.key()
            ));
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
            Self::Slow { factor } | Self::Burst { factor } => Some(factor),
            _ => None,
        }
    }

    /// Problems with the parameters, as sentences.
    pub fn problems(self) -> Vec<String> {
        match self {
            Self::Loss { probability: p } | Self::Duplicate { probability: p }
                if !(0.0..=1.0).contains(&p) =>
            {
                return vec![format!(
                    "the probability must be between 0 and 1 (found {p})"
                )];
            }
            Self::Delay { extra } if extra.is_zero() => {
                return vec!["the delay must be longer than zero".to_owned()];
            }
            Self::Delay { extra } => {
                let mut out = Vec::new();
                crate::nodes::check_durations(&[("the delay", extra)], &mut out);
                return out;
            }
            _ => {}
        }
        match self.factor() {
            Some(f) if !f.is_finite() || f <= 0.0 => {
                vec![format!(
                    "the factor must be a number greater than zero (found {f})"
                )]
            }
            _ => Vec::new(),
        }
    }

    /// Why this effect cannot hit a link, if it cannot: only delays, loss
    /// and duplication do.
    pub fn unfit_for_link(self) -> Option<String> {
        (!self.on_link()).then(|| {
            format!(
                "a {} fault hits a node, not a link; a link suffers delay, loss or duplication",
                self.key()
            )
        })
    }
}

/// A fault compiled for a run: one of the timeline's, one injected live,
/// or one strike of a random fault.
#[derive(Clone, Copy, Debug)]
pub(crate) struct CompiledFault {
    pub node: NodeIx,
    pub effect: Effect,
    pub start: SimTime,
    pub end: SimTime,
    /// The random fault this is a strike of ([`NOT_RANDOM`] for the
    /// timeline's and live faults).
    pub random: u32,
    /// The region whose outage this is ([`NO_REGION`] for a fault of the
    /// node alone).
    pub region: u32,
    /// The link it hits, by its edge's index in the run ([`NO_LINK`] for
    /// a node's fault; `node` is then the link's sender).
    pub link: u32,
}

/// [`CompiledFault::link`] of a node's fault.
pub(crate) const NO_LINK: u32 = u32::MAX;

/// [`CompiledFault::random`] of a fault that is not a random one's strike.
pub(crate) const NOT_RANDOM: u32 = u32::MAX;
/// [`CompiledFault::region`] of a fault that is not a region's outage.
pub(crate) const NO_REGION: u32 = u32::MAX;

/// A random fault in a run: its node, its draws and how often it struck.
#[derive(Clone, Debug)]
pub(crate) struct RandomRt {
    pub node: NodeIx,
    /// The link it hits ([`NO_LINK`]: the node).
    pub link: u32,
    pub effect: Effect,
    pub between: Sampler,
    pub duration: Sampler,
    pub rng: Stream,
    pub strikes: u32,
}

impl RandomRt {
    pub fn new(node: NodeIx, link: u32, fault: &RandomFault, rng: Stream) -> Self {
        Self {
            node,
            link,
            effect: fault.effect,
            between: fault.between.sampler(),
            duration: fault.duration.sampler(),
            rng,
            strikes: 0,
        }
    }
}

/// The scenario's random faults for a run seeded `seed`, with `position`
/// finding a node's index by id and `link` a link's index and sender by
/// id (faults on unknown nodes or links are left out: validation names
/// them). The k-th random fault on a node (or link) draws from its k-th
/// stream for outages.
pub(crate) fn compile_random(
    faults: &[RandomFault],
    position: impl Fn(&str) -> Option<usize>,
    link: impl Fn(&str) -> Option<(usize, usize)>,
    seed: u64,
) -> Vec<RandomRt> {
    let mut out = Vec::with_capacity(faults.len());
    for (i, fault) in faults.iter().enumerate() {
        let (target, found) = match &fault.link {
            Some(id) => (id.as_str(), link(id)),
            None => (
                fault.node.as_str(),
                position(&fault.node).map(|n| (usize::MAX, n)),
            ),
        };
        let Some((edge, node)) = found else {
            continue;
        };
        let (Ok(node), edge) = (u32::try_from(node), u32::try_from(edge).unwrap_or(NO_LINK)) else {
            continue;
        };
        let before = faults[..i]
            .iter()
            .filter(|f| f.link.as_deref().unwrap_or(&f.node) == target)
            .count();
        let before = u64::try_from(before).unwrap_or(u64::MAX);
        let rng = crate::rng::nth_stream(seed, target, crate::rng::Purpose::Outages, before);
        out.push(RandomRt::new(NodeIx(node), edge, fault, rng));
    }
    out
}

impl Simulation {
    /// Schedules the timeline's starts and ends, and each random fault's
    /// first strike.
    pub(crate) fn schedule_faults(&mut self) {
        for i in 0..self.faults.len() {
            let fault = self.faults[i];
            let index = u32::try_from(i).unwrap_or(u32::MAX);
            self.schedule(fault.start, Ev::FaultStart(index));
            self.schedule(fault.end, Ev::FaultEnd(index));
        }
        for k in 0..self.random_faults.len() {
            self.next_strike(k);
        }
    }

    /// Draws random fault `k`'s next strike from now (the time to it, then
    /// how long it lasts) and schedules its start and end.
    fn next_strike(&mut self, k: usize) {
        let now = self.now;
        let rt = &mut self.random_faults[k];
        if rt.strikes >= RANDOM_FAULT_LIMIT {
            let id = self.topo[rt.node].id.clone();
            let key = rt.effect.key();
            self.stop_with(crate::RunError::Invalid(format!(
                "the random {key} faults on '{id}' struck {RANDOM_FAULT_LIMIT} times; a run allows no more"
            )));
            return;
        }
        rt.strikes += 1;
        let start = now + rt.between.sample(&mut rt.rng);
        let end = start + rt.duration.sample(&mut rt.rng);
        let fault = CompiledFault {
            node: rt.node,
            effect: rt.effect,
            start,
            end,
            random: u32::try_from(k).unwrap_or(NOT_RANDOM),
            region: NO_REGION,
            link: rt.link,
        };
        let index = u32::try_from(self.faults.len()).unwrap_or(u32::MAX);
        self.faults.push(fault);
        self.schedule(start, Ev::FaultStart(index));
        self.schedule(end, Ev::FaultEnd(index));
    }

    pub(crate) fn fault_start(&mut self, index: u32) {
        let CompiledFault {
            node,
            effect,
            region,
            link,
            ..
        } = self.faults[index as usize];
        if link != NO_LINK {
            self.link_fault(link, effect, true);
            return;
        }
        match effect {
            Effect::Crash if region != NO_REGION && self.durable[node].is_some() => {
                self.broker_region_down(node, region);
            }
            Effect::Crash if self.durable[node].is_some() => self.broker_crash(node),
            Effect::Crash => self.node_down(node),
            Effect::Slow { factor } | Effect::Burst { factor } => self.node_scale(node, factor),
            Effect::Delay { .. } | Effect::Loss { .. } | Effect::Duplicate { .. } => {}
        }
    }

    pub(crate) fn fault_end(&mut self, index: u32) {
        let CompiledFault {
            node,
            effect,
            random,
            region,
            link,
            ..
        } = self.faults[index as usize];
        if link != NO_LINK {
            self.link_fault(link, effect, false);
        } else {
            self.node_fault_end(node, effect, region);
        }
        if random != NOT_RANDOM {
            self.next_strike(random as usize);
        }
    }

    fn node_fault_end(&mut self, node: NodeIx, effect: Effect, region: u32) {
        match effect {
            Effect::Crash if region != NO_REGION && self.durable[node].is_some() => {
                self.broker_region_up(node, region);
            }
            Effect::Crash if self.durable[node].is_some() => self.broker_recover(node),
            Effect::Crash => self.node_up(node),
            Effect::Slow { factor } | Effect::Burst { factor } => {
                self.node_scale(node, 1.0 / factor);
            }
            Effect::Delay { .. } | Effect::Loss { .. } | Effect::Duplicate { .. } => {}
        }
    }

    /// A node goes down (faults may overlap: it is up again when the last
    /// one ends).
    pub(crate) fn node_down(&mut self, node: NodeIx) {
        self.down[node] += 1;
        if self.down[node] > 1 {
            return;
        }
        let now = self.now;
        if let Some(watch) = &mut self.objectives {
            watch.set_down(now, node, true);
        }
        self.nodes_down += 1;
        let stats = &mut self.stats[node];
        stats.down.set(now, 1);
        stats.outages += 1;
        with_kind!(self.topo[node].kind, P => P::down(self, node));
    }

    pub(crate) fn node_up(&mut self, node: NodeIx) {
        self.down[node] -= 1;
        if self.down[node] > 0 {
            return;
        }
        let now = self.now;
        if let Some(watch) = &mut self.objectives {
            watch.set_down(now, node, false);
        }
        self.nodes_down -= 1;
        self.stats[node].down.set(now, 0);
        with_kind!(self.topo[node].kind, P => P::up(self, node));
    }

    fn node_scale(&mut self, node: NodeIx, factor: f64) {
        let topo = &self.topo[node];
        let (kind, slot) = (topo.kind, topo.slot);
        with_kind!(kind, P => P::slow(self, node, slot, factor));
    }

    /// Which nodes a crash may take down: one on the timeline (or
    /// injected live), or a random one. Their consumers keep what they
    /// hold, their services' calls may be abandoned, and they report their
    /// availability and outages.
    pub(crate) fn crashable(&self) -> Vec<bool> {
        let mut out = vec![false; self.topo.len()];
        let crash = |e| matches!(e, Effect::Crash);
        let timeline = self
            .faults
            .iter()
            .filter(|f| crash(f.effect))
            .map(|f| f.node);
        let random = self
            .random_faults
            .iter()
            .filter(|f| crash(f.effect))
            .map(|f| f.node);
        for node in timeline.chain(random) {
            out[node.ix()] = true;
        }
        out
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
    use crate::validate::tests::assert_errors_say;
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
        assert_errors_say(
            &model,
            &[
                "'ghost', which does not exist",
                "applies to queues, topics, consumers, services, sinks, logs, event stores and projections",
                "longer than zero",
                "greater than zero",
            ],
        );
    }

    /// A queue and a consumer with random faults `random` (a list's
    /// entries) for `duration`.
    fn random(random: &str, duration: &str, seed: u64) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "random faults",
                scenario: (duration: "{duration}", seed: {seed}, random_faults: [{random}]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                    (id: "q", kind: Queue(visibility_timeout: "1s")),
                    (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "20ms"))),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
            )"#
        );
        let (model, problems) = from_str(&text).expect("loads");
        assert!(problems.is_empty(), "{problems:?}");
        run_once(&model, seed).expect("runs")
    }

    const CRASHES: &str = r#"(node: "srv", effect: Crash, between: Exponential(mean: "20s"), duration: Exponential(mean: "5s"))"#;

    #[test]
    fn random_crashes_take_the_node_down_for_its_share_of_the_time() {
        let r = random(CRASHES, "2000s", 5);
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        // A = 20 / (20 + 5) = 0.8 over about 80 cycles: one run is within
        // a few points of it.
        let a = get(&r, "srv", "availability");
        assert!((a - 0.8).abs() < 0.05, "availability {a}");
        let outages = get(&r, "srv", "outages");
        assert!((50.0..=110.0).contains(&outages), "outages {outages}");
        // The queue covered the outages: nothing lost, the backlog served.
        assert_eq!(r.conservation.dropped, 0);
        assert!(get(&r, "q", "max_depth") > 200.0);
        // A node no crash can reach reports no availability.
        assert!(r.node("q").and_then(|n| n.get("availability")).is_none());
    }

    #[test]
    fn random_faults_draw_from_the_nodes_own_stream() {
        let (a, b) = (random(CRASHES, "600s", 5), random(CRASHES, "600s", 5));
        assert_eq!(
            get(&a, "srv", "availability"),
            get(&b, "srv", "availability")
        );
        assert_eq!(a.events, b.events);
        let other = random(CRASHES, "600s", 6);
        assert_ne!(
            get(&a, "srv", "availability"),
            get(&other, "srv", "availability")
        );
        // The producer's arrivals are its own: the faults elsewhere do not
        // move them.
        let calm = random("", "600s", 5);
        assert_eq!(get(&a, "src", "arrived"), get(&calm, "src", "arrived"));
    }

    #[test]
    fn a_random_slow_down_stretches_service_for_its_share_of_the_time() {
        // Slowed ×1.5 a third of the time (10 s of every 30 s on average),
        // with room to keep up either way: a third of the services take
        // 30 ms, so the mean is 20 × 2/3 + 30 × 1/3 ≈ 23.3 ms, give or take
        // how the draws fall; calm, it is 20 ms.
        let slow = random(
            r#"(node: "srv", effect: Slow(factor: 1.5), between: Exponential(mean: "20s"), duration: Exponential(mean: "10s"))"#,
            "3000s",
            7,
        );
        let sojourn = get(&slow, "srv", "sojourn_s.mean");
        assert!((0.0215..0.0255).contains(&sojourn), "sojourn {sojourn}");
        assert!(
            slow.node("srv")
                .and_then(|n| n.get("availability"))
                .is_none()
        );
    }

    #[test]
    fn a_firing_a_random_strike_explains_is_no_false_alarm() {
        let text = format!(
            r#"(
                version: 1,
                name: "alarms",
                scenario: (duration: "1000s", seed: 2, random_faults: [{CRASHES}]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                    (id: "q", kind: Queue(visibility_timeout: "1s")),
                    (id: "srv", kind: Consumer(instances: 2, service: Exponential(mean: "20ms"))),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
                alerts: [(name: "Backlog", on: "q", when: Depth(above: 100.0), for: "1s")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = run_once(&model, 2).expect("runs");
        let alerts = r.alerts.expect("a rule");
        assert!(
            alerts.firings.len() > 10,
            "{} firings",
            alerts.firings.len()
        );
        assert!(alerts.firings.iter().all(|f| f.random_fault));
        assert_eq!(alerts.false_alarms_of(0), 0);
        // Random strikes are not the timeline's faults, folded one by one.
        assert!(alerts.faults.is_empty());
    }

    #[test]
    fn random_faults_are_validated() {
        let text = r#"(
            version: 1,
            name: "bad random faults",
            scenario: (duration: "1h", random_faults: [
                (node: "ghost", effect: Crash, between: Exponential(mean: "1m"), duration: Constant("1s")),
                (node: "srv", effect: Burst(factor: 2.0), between: Exponential(mean: "1m"), duration: Constant("1s")),
                (node: "srv", effect: Crash, between: Constant("0s"), duration: Constant("1s")),
                (node: "srv", effect: Crash, between: Exponential(mean: "1ms"), duration: Constant("1ms")),
            ]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
                (id: "srv", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "srv")],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        assert_errors_say(
            &model,
            &[
                "random fault 1 names node 'ghost', which does not exist",
                "random fault 2 (burst): a burst fault applies to producers",
                "random fault 3 (crash): the time between faults must average more than zero",
                "random fault 4 (crash): it would strike about 1800000 times in the run",
            ],
        );
        assert!(run_once(&model, 1).is_err());
    }

    #[test]
    fn random_faults_follow_their_node_when_its_id_changes() {
        let text = format!(
            r#"(
                version: 1,
                name: "renamed",
                scenario: (random_faults: [{CRASHES}]),
                nodes: [(id: "srv", kind: Consumer(service: Exponential(mean: "10ms")))],
                edges: [],
            )"#
        );
        let (mut model, _) = from_str(&text).expect("loads");
        model
            .apply(crate::model::ModelCommand::SetId {
                id: "srv".into(),
                new_id: "worker".into(),
            })
            .expect("renames");
        assert_eq!(model.scenario.random_faults[0].node, "worker");
    }
}
