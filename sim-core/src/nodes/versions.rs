//! Event versioning and schema evolution.
//!
//! An event type a producer makes carries a schema version (`version: 2`;
//! 1 when left out), and a rollout moves it to another one over time:
//! `rollout: (to: 2, at: "1m", over: "2m")` makes a share of the type's
//! events at version 2 that grows linearly from none at 1 m to all of them
//! at 3 m (drawn from the producer's own stream, so a rollout changes no
//! other draw).
//!
//! A consumer or projection declares the versions it reads,
//! `versions: (min: 2, max: 2)`. An event of another version is, by rule:
//!
//! - **older than `min`**: upcast (`older: Upcast(per_event, per_step)`,
//!   the default), which adds `per_event` plus `per_step` per version it
//!   climbs to its processing; or rejected, or dropped;
//! - **newer than `max`**: rejected (`newer: Reject`, the default) to the
//!   dead-letter queue, the consumer's or its queue's (dropped, counted
//!   under `version`, when there is none); or dropped (`newer: Drop`). A
//!   newer version cannot be upcast: the reader does not know it yet.
//!
//! A rejected or dropped event is never processed: its queue or log hears
//! of it as done. An `upgrade: (at: "4m", max: 2)` deploys a reader of
//! newer versions at a time of the run. A projection has no dead-letter
//! queue: it upcasts or drops. An event store keeps each event's version,
//! so a replay of events stored before a rollout pays for upcasting them.

use serde::{Deserialize, Serialize};

use crate::time::{Duration, SimTime};

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_zero(d: &Duration) -> bool {
    d.is_zero()
}

/// The newest version a schema can have.
pub const MAX_VERSION: u8 = u8::MAX;

/// A rollout of an event type to a new schema version.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rollout {
    /// The version rolled out.
    pub to: u8,
    /// When the rollout starts.
    pub at: Duration,
    /// How long it takes to reach every event (0: all at once).
    #[serde(default, skip_serializing_if = "is_zero")]
    pub over: Duration,
}

impl Rollout {
    /// Problems, for the event type named `what`.
    pub fn problems(&self, from: u8, what: &str, out: &mut Vec<String>) {
        if self.to == 0 {
            out.push(format!("{what}'s rollout must be to version 1 or later"));
        } else if self.to == from {
            out.push(format!(
                "{what}'s rollout is to version {from}, the version it already has"
            ));
        }
        super::check_durations(
            &[
                (&format!("{what}'s rollout start"), self.at),
                (&format!("{what}'s rollout length"), self.over),
            ],
            out,
        );
    }

    /// The share of events made at `to` at time `now`.
    pub fn share(&self, now: SimTime) -> f64 {
        let (at, over) = (self.at.as_nanos(), self.over.as_nanos());
        let now = now.as_nanos();
        if now < at {
            0.0
        } else if over == 0 || now - at >= over {
            1.0
        } else {
            #[expect(clippy::cast_precision_loss, reason = "a share of a time span")]
            let share = (now - at) as f64 / over as f64;
            share
        }
    }
}

/// What a reader does with an event of a version it does not read.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum OnVersion {
    /// Converts it, step by step, to the oldest version it reads: a cost
    /// per event and per step of the chain, added to its processing.
    Upcast {
        #[serde(default, skip_serializing_if = "is_zero")]
        per_event: Duration,
        per_step: Duration,
    },
    /// Sends it to the dead-letter queue unprocessed.
    Reject,
    /// Drops it unprocessed (reason `version`).
    Drop,
}

impl OnVersion {
    pub const fn label(self) -> &'static str {
        match self {
            Self::Upcast { .. } => "upcast",
            Self::Reject => "reject to the dead-letter queue",
            Self::Drop => "drop",
        }
    }
}

fn upcast() -> OnVersion {
    OnVersion::Upcast {
        per_event: Duration::ZERO,
        per_step: Duration::from_millis(1),
    }
}

fn is_upcast_default(v: &OnVersion) -> bool {
    *v == upcast()
}

const fn reject() -> OnVersion {
    OnVersion::Reject
}

fn is_reject(v: &OnVersion) -> bool {
    *v == OnVersion::Reject
}

/// A deployment of a reader of other versions, at a time of the run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Upgrade {
    pub at: Duration,
    /// The newest version it reads from then on.
    pub max: u8,
}

/// The versions a consumer or projection reads, and what it does with
/// the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Reads {
    /// The oldest version it reads as it is.
    pub min: u8,
    /// The newest version it reads.
    pub max: u8,
    /// What it does with an older version.
    #[serde(default = "upcast", skip_serializing_if = "is_upcast_default")]
    pub older: OnVersion,
    /// What it does with a newer version.
    #[serde(default = "reject", skip_serializing_if = "is_reject")]
    pub newer: OnVersion,
    /// A new deployment that reads newer versions, if one comes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub upgrade: Option<Upgrade>,
}

impl Default for Reads {
    fn default() -> Self {
        Self {
            min: 1,
            max: 1,
            older: upcast(),
            newer: reject(),
            upgrade: None,
        }
    }
}

/// What a reader does with one event.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Reads it (after upcasting for this long, if it is older).
    Read(Duration),
    Reject,
    Drop,
}

impl Reads {
    /// Problems with the parameters; `dead_letters`: whether the reader can
    /// reject (a projection cannot).
    pub fn problems(&self, dead_letters: bool, out: &mut Vec<String>) {
        if self.min == 0 {
            out.push("the oldest version read must be 1 or later".to_owned());
        }
        if self.min > self.max {
            out.push(format!(
                "the oldest version read ({}) is newer than the newest ({})",
                self.min, self.max
            ));
        }
        if matches!(self.newer, OnVersion::Upcast { .. }) {
            out.push(
                "a newer version cannot be upcast (the reader does not know it yet): reject or drop it"
                    .to_owned(),
            );
        }
        if let OnVersion::Upcast {
            per_event,
            per_step,
        } = self.older
        {
            super::check_durations(
                &[
                    ("the upcast's cost per event", per_event),
                    ("the upcast's cost per step", per_step),
                ],
                out,
            );
        }
        if !dead_letters && (self.older == OnVersion::Reject || self.newer == OnVersion::Reject) {
            out.push(
                "a projection has no dead-letter queue: it can upcast or drop other versions, not reject them"
                    .to_owned(),
            );
        }
        if let Some(upgrade) = self.upgrade {
            if upgrade.max < self.max {
                out.push(format!(
                    "the upgrade reads up to version {}, older than the {} read before it",
                    upgrade.max, self.max
                ));
            }
            super::check_durations(&[("the upgrade's time", upgrade.at)], out);
        }
    }

    /// The newest version read at `now`.
    pub fn max_at(&self, now: SimTime) -> u8 {
        match self.upgrade {
            Some(u) if now.as_nanos() >= u.at.as_nanos() => u.max,
            _ => self.max,
        }
    }

    /// What happens to an event of `version` at `now`.
    pub fn verdict(&self, version: u8, now: SimTime) -> Verdict {
        let rule = if version < self.min {
            self.older
        } else if version > self.max_at(now) {
            self.newer
        } else {
            return Verdict::Read(Duration::ZERO);
        };
        match rule {
            OnVersion::Upcast {
                per_event,
                per_step,
            } => {
                let steps = u64::from(self.min - version);
                Verdict::Read(Duration(
                    per_event
                        .as_nanos()
                        .saturating_add(per_step.as_nanos().saturating_mul(steps)),
                ))
            }
            OnVersion::Reject => Verdict::Reject,
            OnVersion::Drop => Verdict::Drop,
        }
    }

    /// The card's short mark: "v2", "v1–2".
    pub fn mark(&self) -> String {
        if self.min == self.max {
            format!("reads v{}", self.min)
        } else {
            format!("reads v{}–{}", self.min, self.max)
        }
    }
}

/// A reader's versions during a run, and what it did with other ones.
#[derive(Clone, Debug)]
pub(crate) struct ReadsRt {
    pub reads: Reads,
    pub upcast: u64,
    pub rejected: u64,
    pub dropped: u64,
}

impl ReadsRt {
    pub fn new(reads: Reads) -> Self {
        Self {
            reads,
            upcast: 0,
            rejected: 0,
            dropped: 0,
        }
    }

    /// What happens to an event of `version` now, counted.
    pub fn judge(&mut self, version: u8, now: SimTime) -> Verdict {
        let verdict = self.reads.verdict(version, now);
        match verdict {
            Verdict::Read(_) => self.upcast += u64::from(version < self.reads.min),
            Verdict::Reject => self.rejected += 1,
            Verdict::Drop => self.dropped += 1,
        }
        verdict
    }

    pub fn reset(&mut self) {
        self.upcast = 0;
        self.rejected = 0;
        self.dropped = 0;
    }

    pub fn report(&self, r: &mut crate::report::Recorder<'_>) {
        r.count("upcast", self.upcast);
        r.count("version_rejected", self.rejected);
        r.count("version_dropped", self.dropped);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(text: &str) -> RunResult {
        let (model, problems) = from_str(text).expect("parses");
        assert!(problems.is_empty(), "{problems:?}");
        let diagnostics = crate::validate::validate(&model);
        assert!(diagnostics.is_empty(), "{diagnostics:?}");
        let r = run_once(&model, 1).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    fn get(r: &RunResult, node: &str, path: &str) -> f64 {
        crate::metric(r, node, path)
    }

    /// 100 orders a second, at version 2 from 10 s, into a consumer that
    /// reads `reads`.
    fn rollout(reads: &str) -> RunResult {
        run(&format!(
            r#"(version: 1, name: "rollout", scenario: (duration: "30s", seed: 1),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 100.0),
                    events: [(name: "OrderPlaced", rollout: (to: 2, at: "10s"))])),
                (id: "q", kind: Queue()),
                (id: "c", kind: Consumer(service: Constant("1ms"), versions: {reads})),
                (id: "dlq", kind: DeadLetter()),
                (id: "out", kind: Sink()),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "c"), (from: "q", to: "dlq"),
                    (from: "c", to: "out")])"#
        ))
    }

    #[test]
    fn a_lagging_consumer_rejects_new_versions_until_it_is_upgraded() {
        let r = rollout(r#"(min: 1, max: 1, upgrade: (at: "20s", max: 2))"#);
        // The 10 s of version 2 before the upgrade: 1,000 orders.
        let rejected = get(&r, "c", "version_rejected");
        assert!((999.0..=1_001.0).contains(&rejected), "{rejected}");
        assert_eq!(get(&r, "dlq", "arrived"), rejected);
        assert_eq!(get(&r, "c", "dead_lettered"), rejected);
        assert_eq!(get(&r, "c", "upcast"), 0.0);
        // Never upgraded, it rejects every order of the last 20 s.
        let lagging = rollout("(min: 1, max: 1)");
        let rejected = get(&lagging, "c", "version_rejected");
        assert!((1_999.0..=2_001.0).contains(&rejected), "{rejected}");
        // Told to drop them instead, nothing reaches the dead letters.
        let dropping = rollout("(min: 1, max: 1, newer: Drop)");
        assert_eq!(get(&dropping, "dlq", "arrived"), 0.0);
        let dropped = get(&dropping, "c", "drops.version");
        assert_eq!(get(&dropping, "c", "version_dropped"), dropped);
        assert!((1_999.0..=2_001.0).contains(&dropped), "{dropped}");
    }

    #[test]
    fn an_upgraded_consumer_upcasts_old_versions_at_a_cost_per_step() {
        let r = rollout(r#"(min: 2, max: 2, older: Upcast(per_event: "1ms", per_step: "2ms"))"#);
        // The first 10 s were version 1: upcast one step each, 3 ms on
        // top of the 1 ms of work.
        let upcast = get(&r, "c", "upcast");
        assert!((999.0..=1_001.0).contains(&upcast), "{upcast}");
        assert_eq!(get(&r, "c", "version_rejected"), 0.0);
        let max = get(&r, "c", "sojourn_s.max");
        assert!((max - 0.004).abs() < 1e-6, "sojourn max {max}");
        let p50 = get(&r, "c", "sojourn_s.p50");
        assert!((p50 - 0.001).abs() < 1e-5, "sojourn p50 {p50}");
    }

    #[test]
    fn a_replay_pays_for_upcasting_the_events_stored_before_a_rollout() {
        let r = run(
            r#"(version: 1, name: "replay", scenario: (duration: "30s", seed: 1),
            nodes: [
                (id: "src", kind: Producer(arrival: Constant(rate: 10.0),
                    events: [(name: "OrderPlaced", rollout: (to: 2, at: "10s"))])),
                (id: "store", kind: EventStore(append: Constant("1ms"),
                    replay: (at: "20s", rate: 1000.0))),
                (id: "view", kind: Projection(apply: Constant("1ms"),
                    versions: (min: 2, max: 2, older: Upcast(per_step: "4ms"), newer: Drop))),
            ],
            edges: [(from: "src", to: "store"), (from: "store", to: "view")])"#,
        );
        // 100 live events of version 1, and their 100 replayed copies.
        let upcast = get(&r, "view", "upcast");
        assert!((198.0..=202.0).contains(&upcast), "{upcast}");
        let replayed = get(&r, "view", "replayed");
        assert!((199.0..=201.0).contains(&replayed), "{replayed}");
        assert_eq!(get(&r, "view", "version_dropped"), 0.0);
    }

    #[test]
    fn verdicts_follow_the_rules_and_the_upgrade() {
        let reads = Reads {
            min: 2,
            max: 2,
            older: OnVersion::Upcast {
                per_event: Duration::from_millis(1),
                per_step: Duration::from_millis(3),
            },
            newer: OnVersion::Reject,
            upgrade: Some(Upgrade {
                at: Duration::from_secs(10),
                max: 3,
            }),
        };
        let early = SimTime(0);
        let late = SimTime(10_000_000_000);
        assert_eq!(reads.verdict(2, early), Verdict::Read(Duration::ZERO));
        assert_eq!(
            reads.verdict(1, early),
            Verdict::Read(Duration::from_millis(4))
        );
        assert_eq!(reads.verdict(3, early), Verdict::Reject);
        assert_eq!(reads.verdict(3, late), Verdict::Read(Duration::ZERO));
        assert_eq!(reads.verdict(4, late), Verdict::Reject);
    }

    #[test]
    fn a_rollout_grows_linearly() {
        let r = Rollout {
            to: 2,
            at: Duration::from_secs(10),
            over: Duration::from_secs(20),
        };
        assert_eq!(r.share(SimTime(5_000_000_000)), 0.0);
        assert!((r.share(SimTime(20_000_000_000)) - 0.5).abs() < 1e-12);
        assert_eq!(r.share(SimTime(40_000_000_000)), 1.0);
    }

    #[test]
    fn problems_name_the_rule() {
        let mut out = Vec::new();
        Reads {
            min: 3,
            max: 2,
            newer: OnVersion::Upcast {
                per_event: Duration::ZERO,
                per_step: Duration::ZERO,
            },
            ..Reads::default()
        }
        .problems(false, &mut out);
        let text = out.join("; ");
        assert!(text.contains("newer than the newest"), "{text}");
        assert!(text.contains("cannot be upcast"), "{text}");
        out.clear();
        Reads {
            newer: OnVersion::Reject,
            ..Reads::default()
        }
        .problems(false, &mut out);
        assert!(out.join("; ").contains("no dead-letter queue"));
    }
}
