//! Disaster recovery: a durable broker's standby copy in another region.
//!
//! ```ron
//! (id: "orders", region: "eu-west", kind: Log(durability: (
//!     standby: (region: "eu-north", replication: Async, lag: Constant("2s"),
//!               detection: Constant("1m"), switch: Constant("30s")),
//! )))
//! ```
//!
//! The broker serves from its region (the active one) and copies every
//! write to the standby region, a lag later (in the order written: a copy
//! waits for those before it, so a lag distribution with a long tail holds
//! back the writes behind its slow draws):
//!
//! - **asynchronously**: readers do not wait for the copy. When the active
//!   region goes down, the writes of the last lag are not in the standby:
//!   that data is lost (about the lag × the write rate). What the broker
//!   still held of them is lost as messages (`lost`); what its readers had
//!   already taken went on.
//! - **synchronously**: a write reaches the readers only once the standby
//!   has it too, so every write waits for the lag and none is lost.
//!
//! After an outage of the active region the broker is unavailable for the
//! detection time plus the switch time, then serves from the standby
//! region, which becomes the active one; the old region, once back, is the
//! standby (its catch-up is taken as immediate). While the standby region
//! is down the broker runs unprotected: writes are not copied, and a
//! synchronous broker stops waiting for the copy. If the active region
//! goes down then, or while a switch is under way and the standby region
//! fails, the broker waits for its active region to come back, as a broker
//! without a standby does.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, MsgId, NodeIx, Simulation};
use crate::metrics::DropReason;
use crate::rng::Stream;
use crate::time::{Duration, SimTime};

/// How writes are copied to the standby region.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Mirroring {
    /// Readers do not wait for the copy; the writes of the last lag are
    /// lost when the active region fails.
    #[default]
    Async,
    /// A write reaches the readers once the standby has it; nothing is
    /// lost, every write waits for the lag.
    Sync,
}

impl Mirroring {
    pub const ALL: [Self; 2] = [Self::Async, Self::Sync];

    /// In words.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Async => "asynchronous",
            Self::Sync => "synchronous",
        }
    }
}

/// A broker's standby copy in another region.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Standby {
    /// The standby's region (another than the broker's own).
    pub region: String,
    #[serde(default)]
    pub replication: Mirroring,
    /// How far the standby runs behind (asynchronous), or how long a write
    /// waits for it (synchronous): the cross-region replication lag, drawn
    /// for each write. Copies keep the order of the writes, so a write
    /// also waits for the copies of those before it.
    #[serde(default = "default_lag")]
    pub lag: Dist,
    /// How long it takes to notice that the active region is down.
    #[serde(default = "default_detection")]
    pub detection: Dist,
    /// How long switching to the standby takes once noticed.
    #[serde(default = "default_switch")]
    pub switch: Dist,
}

fn default_lag() -> Dist {
    Dist::Constant(Duration::from_millis(500))
}
fn default_detection() -> Dist {
    Dist::Constant(Duration::from_secs(60))
}
fn default_switch() -> Dist {
    Dist::Constant(Duration::from_secs(30))
}

impl Standby {
    /// A standby in `region` with the default lag and failover times.
    pub fn in_region(region: impl Into<String>) -> Self {
        Self {
            region: region.into(),
            replication: Mirroring::Async,
            lag: default_lag(),
            detection: default_detection(),
            switch: default_switch(),
        }
    }

    /// Problems with the parameters, as sentences.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for (name, dist) in [
            ("the standby's lag", &self.lag),
            ("the failure detection time", &self.detection),
            ("the switch time", &self.switch),
        ] {
            out.extend(dist.problems().into_iter().map(|p| format!("{name}: {p}")));
        }
        out
    }

    /// The card's line.
    pub fn summary(&self) -> String {
        format!(
            "standby in {}, {} (lag {})",
            self.region,
            self.replication.label(),
            self.lag.mean()
        )
    }
}

/// Where a broker with a standby is in its failover.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Phase {
    /// Its active region is up and it serves.
    Serving,
    /// Its active region is down and it is switching to the standby.
    Switching,
    /// Its active region is down and no standby can take over: it waits
    /// for the region to come back.
    Stranded,
}

/// A broker's standby during a run.
#[derive(Clone, Debug)]
pub(crate) struct StandbyRt {
    /// The region indices of the broker's home and of its standby; the
    /// active one is `regions[active]`.
    regions: [u32; 2],
    active: usize,
    sync: bool,
    lag: Sampler,
    detection: Sampler,
    switch: Sampler,
    rng: Stream,
    /// Outages holding each of the two regions down now.
    down: [u32; 2],
    phase: Phase,
    /// The writes the standby does not have yet, in the order written:
    /// when it has them, when they reached the active region, and when
    /// they reach the readers.
    pending: VecDeque<(SimTime, SimTime, SimTime)>,
    /// The latest time the standby has a write (copies keep their order).
    last_copy: SimTime,
    /// Switches to the other region since the warm-up.
    failovers: u64,
    /// Writes the standby did not have when the active region failed,
    /// since the warm-up.
    data_lost: u64,
}

impl StandbyRt {
    pub fn new(s: &Standby, home: u32, standby: u32, rng: Stream) -> Self {
        Self {
            regions: [home, standby],
            active: 0,
            sync: s.replication == Mirroring::Sync,
            lag: s.lag.sampler(),
            detection: s.detection.sampler(),
            switch: s.switch.sampler(),
            rng,
            down: [0; 2],
            phase: Phase::Serving,
            pending: VecDeque::new(),
            last_copy: SimTime::ZERO,
            failovers: 0,
            data_lost: 0,
        }
    }

    /// Which of the two regions `region` is, if either.
    fn slot(&self, region: u32) -> Option<usize> {
        self.regions.iter().position(|&r| r == region)
    }

    /// Whether writes are being copied to the standby now.
    fn protecting(&self) -> bool {
        self.phase == Phase::Serving && self.down[1 - self.active] == 0
    }

    /// Whether it is switching to its standby region now.
    pub const fn switching(&self) -> bool {
        matches!(self.phase, Phase::Switching)
    }

    /// A write reaches the active region at `written` and its readers at
    /// `visible`: the time its readers may have it, which a synchronous
    /// copy delays.
    pub fn write(&mut self, now: SimTime, written: SimTime, visible: SimTime) -> SimTime {
        if !self.protecting() {
            return visible;
        }
        let copy = (written + self.lag.sample(&mut self.rng)).max(self.last_copy);
        self.last_copy = copy;
        if self.sync {
            return visible.max(copy);
        }
        while self.pending.front().is_some_and(|&(c, ..)| c <= now) {
            self.pending.pop_front();
        }
        self.pending.push_back((copy, written, visible));
        visible
    }

    /// Warm-up deletion of the measurements.
    pub fn reset(&mut self) {
        self.failovers = 0;
        self.data_lost = 0;
    }

    /// The report's disaster-recovery metrics.
    pub fn report(&self, r: &mut crate::report::Recorder<'_>) {
        r.count("region_failovers", self.failovers);
        r.count("dr_data_lost", self.data_lost);
    }
}

/// What an outage of the active region costs a broker.
struct Loss {
    gone: Vec<MsgId>,
    reason: DropReason,
    /// When the oldest write lost reached the broker.
    oldest: Option<SimTime>,
}

impl Simulation {
    /// A region outage reaches durable broker `node`: `region` is its
    /// active region, its standby's, or (no standby) its own.
    pub(crate) fn broker_region_down(&mut self, node: NodeIx, region: u32) {
        let now = self.now;
        let d = self.durable[node].as_deref_mut().expect("durable");
        let standby = d.standby.as_mut().and_then(|s| Some((s.slot(region)?, s)));
        let can_switch = match standby {
            Some((slot, s)) => {
                s.down[slot] += 1;
                if slot != s.active {
                    // The standby is gone for now: nothing to copy to.
                    s.pending.clear();
                    return;
                }
                if s.down[slot] > 1 || s.phase != Phase::Serving {
                    return;
                }
                s.down[1 - slot] == 0
            }
            None => {
                d.region_out += 1;
                if d.region_out > 1 {
                    return;
                }
                false
            }
        };
        let mut loss = Loss {
            gone: self.replication_take_unacked(node),
            reason: DropReason::Unreplicated,
            oldest: None,
        };
        loss.oldest = loss.gone.iter().map(|&m| self.msgs.get(m).node_in).min();
        let d = self.durable[node].as_deref_mut().expect("durable");
        let persistent = d.persistent();
        let taken = loss.gone.len() as u64;
        if can_switch {
            let s = d.standby.as_mut().expect("standby");
            let time = s.detection.sample(&mut s.rng) + s.switch.sample(&mut s.rng);
            s.phase = Phase::Switching;
            // The writes the standby lacks: those its readers may have
            // had are lost with the region, and so are the ones the
            // leader took from writers it answered (taken above).
            while s.pending.front().is_some_and(|&(c, ..)| c <= now) {
                s.pending.pop_front();
            }
            let seen: Vec<_> = s.pending.iter().filter(|&&(_, _, v)| v <= now).collect();
            let since = seen.first().map(|&&(_, _, visible)| visible);
            let first = seen.first().map(|&&(_, written, _)| written);
            s.data_lost += seen.len() as u64 + taken;
            s.pending.clear();
            loss.oldest = loss.oldest.into_iter().chain(first).min();
            self.schedule(now + time, Ev::Switched(node));
            if let Some(since) = since {
                let held = self.broker_take_since(node, since);
                loss.gone.extend(held);
            }
        } else {
            if let Some(s) = d.standby.as_mut() {
                s.phase = Phase::Stranded;
            }
            if !persistent {
                let held = self.broker_take_since(node, SimTime::ZERO);
                loss.gone.extend(held);
                loss.reason = DropReason::Unpersisted;
            }
        }
        self.broker_lose(node, loss);
        self.node_down(node);
    }

    /// A region outage that reached durable broker `node` ends.
    pub(crate) fn broker_region_up(&mut self, node: NodeIx, region: u32) {
        let d = self.durable[node].as_deref_mut().expect("durable");
        match d.standby.as_mut().and_then(|s| Some((s.slot(region)?, s))) {
            Some((slot, s)) => {
                s.down[slot] -= 1;
                if s.down[slot] == 0 && slot == s.active && s.phase == Phase::Stranded {
                    s.phase = Phase::Serving;
                    self.node_up(node);
                }
            }
            None => {
                d.region_out -= 1;
                if d.region_out == 0 {
                    self.node_up(node);
                }
            }
        }
    }

    /// Durable broker `node` is done switching to its standby region.
    pub(crate) fn broker_switched(&mut self, node: NodeIx) {
        let Some(s) = self.durable[node]
            .as_deref_mut()
            .and_then(|d| d.standby.as_mut())
        else {
            return;
        };
        if s.phase != Phase::Switching {
            return;
        }
        let other = 1 - s.active;
        if s.down[other] == 0 {
            s.active = other;
            s.failovers += 1;
        } else if s.down[s.active] > 0 {
            // The standby region failed meanwhile: wait for the active one.
            s.phase = Phase::Stranded;
            return;
        }
        s.phase = Phase::Serving;
        s.last_copy = self.now;
        self.node_up(node);
    }

    /// Drops what an outage of its region cost durable broker `node`, and
    /// counts the window of writes it lost.
    fn broker_lose(&mut self, node: NodeIx, loss: Loss) {
        let now = self.now;
        for msg in loss.gone {
            self.drop_msg(node, msg, loss.reason);
        }
        let window = loss
            .oldest
            .map_or(0, |t| now.as_nanos().saturating_sub(t.as_nanos()));
        let d = self.durable[node].as_deref_mut().expect("durable");
        d.count_crash(window);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    /// A producer outside any region writes 100/s into a queue in `east`
    /// whose consumer, also in `east`, is down with it.
    fn run(durability: &str, outages: &str, seed: u64) -> RunResult {
        let text = format!(
            r#"(version: 1, name: "dr", scenario: (duration: "120s", seed: {seed}, region_outages: [{outages}]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "q", region: "east", kind: Queue(durability: {durability})),
                (id: "work", kind: Consumer(service: Constant("1ms"))),
                (id: "done", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "work"), (from: "work", to: "done")])"#
        );
        let (model, problems) = from_str(&text).expect("parses");
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        run_once(&model, seed).expect("runs")
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    const OUTAGE: &str = r#"(region: "east", at: "60s", duration: "30s")"#;

    #[test]
    fn an_asynchronous_standby_loses_the_last_lag_of_writes_and_a_synchronous_one_none() {
        let standby = |mode: &str| {
            format!(
                r#"(replicas: 1, standby: (region: "west", replication: {mode}, lag: Constant("500ms"), detection: Constant("10s"), switch: Constant("5s")))"#
            )
        };
        let asynchronous = run(&standby("Async"), OUTAGE, 1);
        assert!(asynchronous.conservation.balanced());
        let data = get(&asynchronous, "q", "dr_data_lost");
        // About 100/s × 0.5 s of writes the standby did not have.
        assert!((25.0..=80.0).contains(&data), "data lost {data}");
        assert_eq!(get(&asynchronous, "q", "region_failovers"), 1.0);
        assert!((get(&asynchronous, "q", "rpo_s") - 0.5).abs() < 0.05);
        // Down for detection + switch, not the outage's 30 s.
        assert!((get(&asynchronous, "q", "rto_s") - 15.0).abs() < 1e-6);
        // The consumer kept up: it had taken nearly all of them.
        assert!(get(&asynchronous, "q", "lost") <= data);

        let synchronous = run(&standby("Sync"), OUTAGE, 1);
        assert!(synchronous.conservation.balanced());
        assert_eq!(get(&synchronous, "q", "dr_data_lost"), 0.0);
        assert_eq!(get(&synchronous, "q", "lost"), 0.0);
        assert_eq!(get(&synchronous, "q", "region_failovers"), 1.0);
        // Every write waited half a second for the standby.
        let e2e = get(&synchronous, "done", "end_to_end_s.p50");
        assert!((0.5..0.6).contains(&e2e), "median end to end {e2e}");
    }

    /// As [`run`], but the consumer is in the failed region too and slow
    /// (50/s against 100/s): a backlog waits in the queue.
    fn backlog(durability: &str) -> RunResult {
        let text = format!(
            r#"(version: 1, name: "dr", scenario: (duration: "120s", seed: 3, region_outages: [{OUTAGE}]),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 100.0))),
                (id: "q", region: "east", kind: Queue(durability: {durability})),
                (id: "work", region: "east", kind: Consumer(service: Constant("20ms"))),
                (id: "done", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "work"), (from: "work", to: "done")])"#
        );
        let (model, problems) = from_str(&text).expect("parses");
        assert!(problems.iter().all(|p| !p.is_error()), "{problems:?}");
        run_once(&model, 3).expect("runs")
    }

    #[test]
    fn what_the_broker_held_of_the_unreplicated_writes_is_lost_as_messages() {
        let r = backlog(
            r#"(replicas: 1, standby: (region: "west", lag: Constant("1s"), detection: Constant("5s"), switch: Constant("5s")))"#,
        );
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        let (data, lost) = (get(&r, "q", "dr_data_lost"), get(&r, "q", "lost"));
        assert!((70.0..=130.0).contains(&data), "data lost {data}");
        assert_eq!(lost, data, "all of it still waited in the queue");
        assert_eq!(r.conservation.lost, lost as u64);
        assert_eq!(get(&r, "q", "drops.unreplicated"), lost);
    }

    #[test]
    fn without_a_standby_the_broker_waits_out_its_region() {
        let r = run("(replicas: 3)", OUTAGE, 2);
        assert!(r.conservation.balanced());
        assert_eq!(get(&r, "q", "lost"), 0.0);
        assert!((get(&r, "q", "rto_s") - 30.0).abs() < 1e-6);
        // The producer waited for the queue the whole outage.
        let blocked = get(&r, "src", "blocked_fraction");
        assert!((blocked - 0.25).abs() < 0.01, "blocked {blocked}");
        // On disk, the backlog survives the region; in memory it is gone
        // with it: about 60 s × (100 − 50)/s.
        let disk = backlog("(replicas: 3)");
        assert_eq!(get(&disk, "q", "lost"), 0.0);
        let memory = backlog("(replicas: 3, persistent: false)");
        assert!(memory.conservation.balanced());
        let lost = get(&memory, "q", "drops.unpersisted");
        assert!((2500.0..=3500.0).contains(&lost), "lost {lost}");
        assert_eq!(get(&memory, "q", "lost"), lost);
    }

    #[test]
    fn the_old_region_comes_back_as_the_standby_and_a_second_outage_fails_back() {
        let standby = r#"(replicas: 1, standby: (region: "west", lag: Constant("200ms"), detection: Constant("2s"), switch: Constant("3s")))"#;
        let r = run(
            standby,
            r#"(region: "east", at: "20s", duration: "20s"), (region: "west", at: "70s", duration: "20s")"#,
            4,
        );
        assert!(r.conservation.balanced());
        assert_eq!(get(&r, "q", "region_failovers"), 2.0);
        assert!((get(&r, "q", "rto_s") - 5.0).abs() < 1e-6);
        // An outage of the standby region alone costs nothing.
        let quiet = run(
            standby,
            r#"(region: "west", at: "20s", duration: "20s")"#,
            4,
        );
        assert_eq!(get(&quiet, "q", "region_failovers"), 0.0);
        assert_eq!(get(&quiet, "q", "availability"), 1.0);
        assert_eq!(get(&quiet, "q", "dr_data_lost"), 0.0);
    }

    #[test]
    fn regions_are_validated() {
        let cases = [
            (
                r#"(id: "q", kind: Queue(durability: (standby: (region: "west"))))"#,
                "",
                "needs the broker placed in a region",
            ),
            (
                r#"(id: "q", region: "west", kind: Queue(durability: (standby: (region: "west"))))"#,
                "",
                "the broker's own region",
            ),
            (
                r#"(id: "q", region: "east", kind: Queue())"#,
                r#"(region: "mars", at: "1s", duration: "1s")"#,
                "where nothing runs (the regions are east)",
            ),
            (
                r#"(id: "q", region: "east", kind: Queue())"#,
                r#"(region: "east", at: "1s", duration: "0s")"#,
                "must last longer than zero",
            ),
        ];
        for (node, outages, words) in cases {
            let text = format!(
                r#"(version: 1, name: "v", scenario: (duration: "10s", region_outages: [{outages}]),
                nodes: [{node}], edges: [])"#
            );
            let (model, _) = from_str(&text).expect("parses");
            crate::validate::tests::assert_errors_say(&model, &[words]);
        }
    }
}
