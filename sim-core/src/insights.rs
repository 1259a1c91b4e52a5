//! Insights: a report read back as a ranked list of plain sentences about
//! where the model is short of capacity and where its messages go wrong.
//!
//! From a [`Model`] and its [`Report`] over replications:
//!
//! - every **stage** (a node whose kind has a [`Limit`]: a consumer's
//!   instances, a concurrency limit, a rate limit) and its utilisation ρ;
//!   the busiest, when ρ ≥ [`BOTTLENECK_RHO`], is **the bottleneck**, with
//!   the smallest capacity that would bring it to [`TARGET_RHO`] or below;
//! - the stage that **saturates first** as every producer's load is
//!   multiplied by a factor k: each stage's offered load grows with k as
//!   long as nothing before it saturates, so the first to reach ρ = 1 is
//!   the one with the least headroom, at k = 1/ρ (for an autoscaled
//!   consumer, ρ at its maximum of instances);
//! - **retry amplification**: attempts per original message at each
//!   consumer that retries, calls per message at each service;
//! - where messages are **dropped, dead-lettered or expired**, why, and
//!   what share of the node's messages that is;
//! - where **backpressure** holds a producer or consumer back.
//!
//! Pure: no I/O, and the same model and report give the same list.

use petgraph::visit::{Bfs, EdgeRef};
use std::collections::BTreeSet;

use crate::model::Model;
use crate::nodes::{Kind, NodeKind};
use crate::report::{NodeReport, Report};

/// From this utilisation up the busiest stage is called the bottleneck.
/// (Below it, a queue in front of a single server waits less than three
/// service times on average, M/M/1: ρ/(1−ρ) = 3.)
pub const BOTTLENECK_RHO: f64 = 0.75;
/// From this utilisation up a stage is saturated: it serves as fast as it
/// can, and what it was offered can be more than its throughput shows.
pub const SATURATED_RHO: f64 = 0.97;
/// The utilisation the suggested capacity brings a bottleneck to, at most.
pub const TARGET_RHO: f64 = 0.7;
/// Retries are worth a sentence from this many attempts per message.
pub const RETRY_AMPLIFICATION: f64 = 1.01;
/// Backpressure is worth a sentence from this share of time held back.
pub const BLOCKED_SHARE: f64 = 0.05;
/// The share of a node's messages out of order for their key from which
/// it is an insight.
pub const OUT_OF_ORDER_SHARE: f64 = 0.001;

/// What bounds the work a node can take, as its kind states it
/// ([`crate::nodes::KindSpec::limits`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Limit {
    /// `instances × concurrency` slots (the report's `utilization`); an
    /// autoscaler may run up to `max` instances.
    Instances {
        instances: u32,
        concurrency: u32,
        max: Option<u32>,
    },
    /// At most this many messages or calls at once (the report's
    /// `utilization`).
    Concurrency(u32),
    /// At most this many per second of what the report's `metric` counts.
    Rate { per_s: f64, metric: &'static str },
    /// Event Hubs' throughput units, each letting in `per_unit` events a
    /// second (the report's `arrived`, throttled sends included).
    ThroughputUnits { units: u32, per_unit: f64 },
    /// An outbox relay publishing at most `batch` rows per `poll`, so
    /// `per_s` rows a second (the report's `outbox_written`).
    Relay {
        batch: u32,
        poll: crate::time::Duration,
        per_s: f64,
    },
}

/// What an insight is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum InsightKind {
    /// The busiest stage, at ρ ≥ [`BOTTLENECK_RHO`].
    Bottleneck,
    /// The stage that saturates first as the load grows, and when.
    SaturatesFirst,
    /// Messages dropped at a node, for one reason.
    Dropped,
    /// Messages a consumer or queue gave up on and dead-lettered.
    DeadLettered,
    /// Records a log's retention removed before a group read them.
    Expired,
    /// Attempts or calls per original message above 1.
    Retries,
    /// A producer or consumer held back by a full downstream.
    Backpressure,
    /// Messages a consumer finished, or a sink received, after a later
    /// one of their stream (producer and key).
    OutOfOrder,
    /// A stage's utilisation (every stage but the bottleneck).
    Utilisation,
}

impl InsightKind {
    /// Every kind, in ranking order.
    pub const ALL: [Self; 9] = [
        Self::Bottleneck,
        Self::SaturatesFirst,
        Self::Dropped,
        Self::DeadLettered,
        Self::Expired,
        Self::Retries,
        Self::Backpressure,
        Self::OutOfOrder,
        Self::Utilisation,
    ];

    /// The name in the JSON report.
    pub const fn key(self) -> &'static str {
        match self {
            Self::Bottleneck => "bottleneck",
            Self::SaturatesFirst => "saturates_first",
            Self::Dropped => "dropped",
            Self::DeadLettered => "dead_lettered",
            Self::Expired => "expired",
            Self::Retries => "retries",
            Self::Backpressure => "backpressure",
            Self::OutOfOrder => "out_of_order",
            Self::Utilisation => "utilisation",
        }
    }
}

/// One finding, as a sentence.
#[derive(Clone, Debug, PartialEq)]
pub struct Insight {
    pub kind: InsightKind,
    /// The id of the node (or, for calls along one link, the edge) it is
    /// about.
    pub subject: String,
    /// The node to point at on the canvas.
    pub node: String,
    /// How much it matters, from 0 to 1; the list is in falling score.
    pub score: f64,
    /// The number the sentence turns on: ρ for a stage, the load factor
    /// for the first to saturate, attempts or calls per message, the share
    /// lost, the share of time held back.
    pub value: f64,
    pub sentence: String,
}

impl Insight {
    /// As in the JSON report.
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "kind": self.kind.key(),
            "subject": self.subject,
            "score": crate::report::number(round(self.score, 3)),
            "value": crate::report::number(round(self.value, 4)),
            "sentence": self.sentence,
        })
    }
}

fn round(v: f64, digits: i32) -> f64 {
    let f = 10f64.powi(digits);
    (v * f).round() / f
}

/// A stage: a node with limits, and how loaded it is.
struct Stage<'a> {
    ix: petgraph::stable_graph::NodeIndex,
    node: &'a NodeReport,
    label: String,
    /// Utilisation now (the largest over its limits).
    rho: f64,
    /// The load factor at which it saturates: 1/ρ, or for an autoscaled
    /// consumer, its busy slots against its maximum.
    headroom: f64,
    limit: Limit,
}

/// The insights of a model's report, ranked (highest score first; ties in
/// the order of [`InsightKind`], then of the model file).
pub fn insights(model: &Model, report: &Report) -> Vec<Insight> {
    let measured_s = (report.sim_time_s - report.warmup_s).max(0.0);
    let mut out: Vec<(usize, Insight)> = Vec::new();
    let order = |id: &str| report.nodes.iter().position(|n| n.id == id).unwrap_or(0);
    let label = |id: &str| {
        model
            .find(id)
            .map_or_else(|| id.to_owned(), |ix| model.graph[ix].label().to_owned())
    };

    let stages = stages(model, report, measured_s);
    bottleneck_and_utilisation(model, report, &stages, measured_s, &mut out, &order);
    saturates_first(model, &stages, &mut out, &order);
    retries(model, report, &mut out, &order, &label);
    losses(model, report, &mut out, &order, &label);
    backpressure(model, report, &mut out, &order, &label);
    out_of_order(model, report, &mut out, &order, &label);

    out.sort_by(|(a_order, a), (b_order, b)| {
        b.score
            .total_cmp(&a.score)
            .then(a.kind.cmp(&b.kind))
            .then(a_order.cmp(b_order))
            .then(a.subject.cmp(&b.subject))
    });
    out.into_iter().map(|(_, i)| i).collect()
}

fn stages<'a>(model: &Model, report: &'a Report, measured_s: f64) -> Vec<Stage<'a>> {
    let mut stages = Vec::new();
    for node in &report.nodes {
        let Some(ix) = model.find(&node.id) else {
            continue;
        };
        let mut best: Option<(f64, f64, Limit)> = None;
        for limit in model.graph[ix].kind.limits() {
            let Some((rho, headroom)) = load(node, limit, measured_s) else {
                continue;
            };
            if best.is_none_or(|(_, h, _)| headroom < h) {
                best = Some((rho, headroom, limit));
            }
        }
        if let Some((rho, headroom, limit)) = best {
            stages.push(Stage {
                ix,
                node,
                label: model.graph[ix].label().to_owned(),
                rho,
                headroom,
                limit,
            });
        }
    }
    stages
}

/// A limit's utilisation and the load factor at which it saturates.
fn load(node: &NodeReport, limit: Limit, measured_s: f64) -> Option<(f64, f64)> {
    let (rho, headroom) = match limit {
        Limit::Instances {
            concurrency, max, ..
        } => {
            let rho = node.value("utilization")?;
            let headroom = match (max, node.value("mean_busy")) {
                (Some(max), Some(busy)) if busy > 0.0 => {
                    f64::from(max) * f64::from(concurrency) / busy
                }
                _ => 1.0 / rho,
            };
            (rho, headroom)
        }
        Limit::Concurrency(n) => {
            let rho = node
                .value("utilization")
                .or_else(|| node.value("mean_busy").map(|b| b / f64::from(n.max(1))))?;
            (rho, 1.0 / rho)
        }
        Limit::Rate { per_s, metric } => {
            if measured_s <= 0.0 || per_s <= 0.0 {
                return None;
            }
            let rho = node.value(metric)? / measured_s / per_s;
            (rho, 1.0 / rho)
        }
        Limit::ThroughputUnits { units, per_unit } => {
            let per_s = f64::from(units) * per_unit;
            if measured_s <= 0.0 || per_s <= 0.0 {
                return None;
            }
            let rho = node.value("arrived")? / measured_s / per_s;
            (rho, 1.0 / rho)
        }
        Limit::Relay { per_s, .. } => {
            if measured_s <= 0.0 || per_s <= 0.0 {
                return None;
            }
            let rho = node.value("outbox_written")? / measured_s / per_s;
            (rho, 1.0 / rho)
        }
    };
    rho.is_finite().then_some((rho, headroom))
}

/// Two decimals, as ρ is written.
fn two(v: f64) -> String {
    format!("{v:.2}")
}

/// A share as a percentage with sensible digits.
fn percent(share: f64) -> String {
    let p = share * 100.0;
    if p > 0.0 && p < 0.01 {
        "under 0.01%".to_owned()
    } else if p >= 10.0 {
        format!("{p:.0}%")
    } else if p >= 1.0 {
        format!("{p:.1}%")
    } else {
        format!("{p:.2}%")
    }
}

/// A count per run: whole when it is.
fn count(v: f64) -> String {
    if (v - v.round()).abs() < 0.05 || v >= 100.0 {
        format!("{v:.0}")
    } else {
        format!("{v:.1}")
    }
}

/// A rate per second.
fn rate(v: f64) -> String {
    if v >= 10.0 {
        format!("{v:.0}/s")
    } else {
        format!("{v:.1}/s")
    }
}

/// The nodes reachable from `from` along the model's edges (`from`
/// included).
fn downstream(model: &Model, from: petgraph::stable_graph::NodeIndex) -> BTreeSet<usize> {
    let mut seen = BTreeSet::new();
    let mut bfs = Bfs::new(&model.graph, from);
    while let Some(n) = bfs.next(&model.graph) {
        seen.insert(n.index());
    }
    seen
}

/// How much more than it served a saturated stage was offered, and why:
/// producers upstream that wanted more than they sent (held back by
/// backpressure), and queues feeding it that dropped messages for want of
/// room.
fn demand(
    model: &Model,
    report: &Report,
    stage: &Stage<'_>,
    measured_s: f64,
) -> Option<(f64, String)> {
    let mut best: Option<(f64, String)> = None;
    let mut consider = |factor: f64, why: String| {
        if factor > 1.02 && best.as_ref().is_none_or(|(f, _)| factor > *f) {
            best = Some((factor, why));
        }
    };
    for ix in model.graph.node_indices() {
        let node = &model.graph[ix];
        let NodeKind::Producer(p) = &node.kind else {
            continue;
        };
        let Some(r) = report.node(&node.id) else {
            continue;
        };
        let held = r.value("blocked_fraction").unwrap_or(0.0) > 0.01
            || r.value("drops.producer_blocked").unwrap_or(0.0) > 0.0;
        if !held || p.limit.is_some() || measured_s <= 0.0 {
            continue;
        }
        let sent = r.value("departed").unwrap_or(0.0) / measured_s;
        let wanted = p.arrival.mean_rate();
        if sent > 0.0 && downstream(model, ix).contains(&stage.ix.index()) {
            consider(
                wanted / sent,
                format!(
                    "{} wanted {} and sent {}",
                    node.label(),
                    rate(wanted),
                    rate(sent)
                ),
            );
        }
    }
    for edge in model
        .graph
        .edges_directed(stage.ix, petgraph::Direction::Incoming)
    {
        let from = &model.graph[edge.source()];
        if !matches!(from.kind, NodeKind::Queue(_)) {
            continue;
        }
        let Some(q) = report.node(&from.id) else {
            continue;
        };
        let arrived = q.value("arrived").unwrap_or(0.0);
        let lost = q.value("drops.queue_full").unwrap_or(0.0)
            + q.value("drops.evicted_oldest").unwrap_or(0.0);
        if lost > 0.0 && arrived > lost {
            consider(
                arrived / (arrived - lost),
                format!(
                    "{} dropped {} for want of room",
                    from.label(),
                    percent(lost / arrived)
                ),
            );
        }
    }
    best
}

/// The capacity that brings `rho` (on `now` units) to [`TARGET_RHO`] or
/// below, in whole units.
fn needed(rho: f64, now: f64) -> Option<u32> {
    let n = (rho * now / TARGET_RHO - 1e-9).ceil();
    (n.is_finite() && n >= 1.0 && n < f64::from(u32::MAX)).then(|| {
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "whole, positive and checked in range"
        )]
        let n = n as u32;
        n
    })
}

fn plural(n: u32, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

/// What capacity would bring a stage offered `rho` to the target.
fn remedy(stage: &Stage<'_>, rho: f64) -> String {
    match stage.limit {
        Limit::Instances {
            instances,
            concurrency,
            max: None,
        } => {
            let Some(n) = needed(rho, f64::from(instances)) else {
                return String::new();
            };
            let each = if concurrency > 1 {
                format!(" (of {concurrency} slots each)")
            } else {
                String::new()
            };
            format!(
                "{}{each} would bring it to ρ = {}",
                plural(n, "instance", "instances"),
                two(rho * f64::from(instances) / f64::from(n))
            )
        }
        Limit::Instances { max: Some(max), .. } => {
            let now = stage.node.value("instances").unwrap_or(1.0);
            let Some(n) = needed(rho, now) else {
                return String::new();
            };
            if n <= max {
                format!(
                    "{n} would bring it to ρ = {}, and its autoscaler's maximum of {max} allows \
                     that, so its target or timing keeps it this busy",
                    two(rho * now / f64::from(n))
                )
            } else {
                format!(
                    "even its autoscaler's maximum of {max} instances would leave it at ρ = {}; \
                     a maximum of {n} would bring it to ρ = {}",
                    two(rho * now / f64::from(max)),
                    two(rho * now / f64::from(n))
                )
            }
        }
        Limit::Concurrency(c) => {
            let Some(n) = needed(rho, f64::from(c)) else {
                return String::new();
            };
            format!(
                "a concurrency of {n} would bring it to ρ = {}",
                two(rho * f64::from(c) / f64::from(n))
            )
        }
        Limit::ThroughputUnits { units, .. } => {
            let Some(n) = needed(rho, f64::from(units)) else {
                return String::new();
            };
            format!(
                "{} would bring it to ρ = {}",
                plural(n, "throughput unit", "throughput units"),
                two(rho * f64::from(units) / f64::from(n))
            )
        }
        Limit::Rate { per_s, .. } => {
            let wanted = rho * per_s / TARGET_RHO;
            format!(
                "a rate limit of {} would bring it to ρ = {}",
                rate(wanted),
                two(TARGET_RHO)
            )
        }
        Limit::Relay { batch, .. } => {
            let Some(n) = needed(rho, f64::from(batch)) else {
                return String::new();
            };
            format!(
                "a batch of {} per poll would bring it to ρ = {}",
                plural(n, "row", "rows"),
                two(rho * f64::from(batch) / f64::from(n))
            )
        }
    }
}

/// How a stage's capacity is written (`2 instances`, `concurrency 8`).
fn capacity(stage: &Stage<'_>) -> String {
    match stage.limit {
        Limit::Instances {
            instances,
            max: None,
            ..
        } => plural(instances, "instance", "instances"),
        Limit::Instances { max: Some(max), .. } => format!(
            "{} instances on average, at most {max}",
            count(stage.node.value("instances").unwrap_or(0.0))
        ),
        Limit::Concurrency(c) => format!("concurrency {c}"),
        Limit::Rate { per_s, .. } => format!("rate limit {}", rate(per_s)),
        Limit::ThroughputUnits { units, per_unit } => format!(
            "{} ({})",
            plural(units, "throughput unit", "throughput units"),
            rate(f64::from(units) * per_unit)
        ),
        Limit::Relay {
            batch, poll, per_s, ..
        } => format!(
            "an outbox relay of {} every {poll} ({})",
            plural(batch, "row", "rows"),
            rate(per_s)
        ),
    }
}

fn bottleneck_and_utilisation(
    model: &Model,
    report: &Report,
    stages: &[Stage<'_>],
    measured_s: f64,
    out: &mut Vec<(usize, Insight)>,
    order: &dyn Fn(&str) -> usize,
) {
    // The busiest stage now; ties go to the first in the model.
    let top = stages
        .iter()
        .enumerate()
        .fold(None::<(usize, f64)>, |best, (i, s)| match best {
            Some((_, rho)) if rho >= s.rho => best,
            _ => Some((i, s.rho)),
        })
        .map(|(i, _)| i);
    for (i, stage) in stages.iter().enumerate() {
        let id = &stage.node.id;
        let is_top = Some(i) == top && stage.rho >= BOTTLENECK_RHO;
        let sentence = if is_top {
            let saturated = stage.rho >= SATURATED_RHO;
            let offered = if saturated {
                demand(model, report, stage, measured_s)
            } else {
                None
            };
            let fills = model
                .graph
                .edges_directed(stage.ix, petgraph::Direction::Incoming)
                .map(|e| &model.graph[e.source()])
                .find(|n| {
                    matches!(n.kind, NodeKind::Queue(_))
                        && report
                            .node(&n.id)
                            .and_then(|q| q.value("mean_depth"))
                            .is_some_and(|d| d >= 1.0)
                })
                .filter(|_| saturated)
                .map_or_else(String::new, |q| format!("{} fills: ", q.label()));
            let mut s = format!(
                "{fills}{} is the bottleneck: it runs at ρ = {}{} with {}",
                stage.label,
                two(stage.rho),
                if saturated { " (saturated)" } else { "" },
                capacity(stage)
            );
            let rho = match &offered {
                Some((factor, why)) => {
                    s.push_str(&format!(
                        "; it was offered about {factor:.1}× what it served ({why})"
                    ));
                    stage.rho * factor
                }
                None => stage.rho,
            };
            let fix = remedy(stage, rho);
            if !fix.is_empty() {
                s.push_str("; ");
                s.push_str(&fix);
            }
            s.push('.');
            s
        } else {
            format!(
                "{} runs at ρ = {} with {}.",
                stage.label,
                two(stage.rho),
                capacity(stage)
            )
        };
        out.push((
            order(id),
            Insight {
                kind: if is_top {
                    InsightKind::Bottleneck
                } else {
                    InsightKind::Utilisation
                },
                subject: id.clone(),
                node: id.clone(),
                score: stage.rho.clamp(0.0, 1.0),
                value: stage.rho,
                sentence,
            },
        ));
    }
}

fn saturates_first(
    model: &Model,
    stages: &[Stage<'_>],
    out: &mut Vec<(usize, Insight)>,
    order: &dyn Fn(&str) -> usize,
) {
    let mut ranked: Vec<&Stage<'_>> = stages
        .iter()
        .filter(|s| s.headroom.is_finite() && s.headroom > 0.0)
        .collect();
    // Stable: ties stay in model order.
    ranked.sort_by(|a, b| a.headroom.total_cmp(&b.headroom));
    let Some(first) = ranked.first() else {
        return;
    };
    let after = downstream(model, first.ix);
    let sentence = if first.rho >= SATURATED_RHO {
        let later: Vec<String> = ranked[1..]
            .iter()
            .filter(|s| after.contains(&s.ix.index()))
            .map(|s| format!("{} (ρ = {})", s.label, two(s.rho)))
            .collect();
        let mut s = format!(
            "{} is already saturated at today's load: more load only waits longer before it, \
             holds back what sends to it or is dropped",
            first.label
        );
        if !later.is_empty() {
            s.push_str(&format!(
                "; the stages after it see only what it lets through, so their ρ would rise once it \
                 has more capacity: {}",
                later.join(", ")
            ));
        }
        s.push('.');
        s
    } else {
        let autoscaled = matches!(first.limit, Limit::Instances { max: Some(_), .. });
        let mut s = format!(
            "As the load grows, {} saturates first, at {:.2}× today's load ({}",
            first.label,
            first.headroom,
            if autoscaled {
                "with its autoscaler at its maximum".to_owned()
            } else {
                format!("1/ρ, ρ = {}", two(first.rho))
            }
        );
        s.push(')');
        if let Some((peak, producer)) = bursts(model, first) {
            let k = first.headroom / peak;
            if k <= 1.0 {
                s.push_str(&format!(
                    ", on average; but {producer}'s bursts reach {peak:.1}× its mean rate, and at \
                     that rate {} is saturated already",
                    first.label
                ));
            } else {
                s.push_str(&format!(
                    ", on average; {producer}'s bursts reach {peak:.1}× its mean rate, so during \
                     them it saturates from {k:.2}×"
                ));
            }
        }
        if let Some(next) = ranked.get(1) {
            let behind = if after.contains(&next.ix.index()) {
                format!(", once {} has more capacity", first.label)
            } else {
                String::new()
            };
            s.push_str(&format!(
                "; next would be {} at {:.2}×{behind}",
                next.label, next.headroom
            ));
        }
        s.push('.');
        s
    };
    out.push((
        order(&first.node.id),
        Insight {
            kind: InsightKind::SaturatesFirst,
            subject: first.node.id.clone(),
            node: first.node.id.clone(),
            score: first.rho.clamp(0.0, 1.0),
            value: first.headroom,
            sentence,
        },
    ));
}

/// The largest ratio of peak to mean rate among the producers that feed
/// a stage, when it is above 1.05, and that producer's name.
fn bursts(model: &Model, stage: &Stage<'_>) -> Option<(f64, String)> {
    let mut best: Option<(f64, String)> = None;
    for ix in model.graph.node_indices() {
        let node = &model.graph[ix];
        let NodeKind::Producer(p) = &node.kind else {
            continue;
        };
        let mean = p.arrival.mean_rate();
        let ratio = p.arrival.peak_rate() / mean;
        if mean > 0.0
            && ratio > 1.05
            && best.as_ref().is_none_or(|(r, _)| ratio > *r)
            && downstream(model, ix).contains(&stage.ix.index())
        {
            best = Some((ratio, node.label().to_owned()));
        }
    }
    best
}

/// Messages a consumer took for the first time: its attempts less its
/// retries.
fn originals(node: &NodeReport) -> f64 {
    node.value("arrived").unwrap_or(0.0) - node.value("retries").unwrap_or(0.0)
}

fn retries(
    model: &Model,
    report: &Report,
    out: &mut Vec<(usize, Insight)>,
    order: &dyn Fn(&str) -> usize,
    label: &dyn Fn(&str) -> String,
) {
    for node in &report.nodes {
        let Some(ix) = model.find(&node.id) else {
            continue;
        };
        match (&model.graph[ix].kind, node.kind) {
            (NodeKind::Consumer(c), Kind::Consumer) => {
                let first = originals(node);
                let attempts = node.value("arrived").unwrap_or(0.0);
                if first <= 0.0 {
                    continue;
                }
                let amplification = attempts / first;
                if amplification < RETRY_AMPLIFICATION {
                    continue;
                }
                let mut why = Vec::new();
                if c.failure > 0.0 {
                    why.push(format!("it fails {} of attempts", percent(c.failure)));
                }
                if !c.poison.is_empty() {
                    why.push(format!(
                        "poison event types {} fail every attempt",
                        c.poison.join(", ")
                    ));
                }
                if node.value("timeouts").unwrap_or(0.0) > 0.0 {
                    why.push(format!(
                        "{} attempts per run time out",
                        count(node.value("timeouts").unwrap_or(0.0))
                    ));
                }
                if node.value("throttled").unwrap_or(0.0) > 0.0 {
                    why.push(format!(
                        "{} pushes per run are throttled",
                        count(node.value("throttled").unwrap_or(0.0))
                    ));
                }
                let callee = model
                    .graph
                    .edges_directed(ix, petgraph::Direction::Outgoing)
                    .map(|e| &model.graph[e.target()])
                    .find(|n| matches!(n.kind, NodeKind::Service(_)));
                if let Some(service) = callee
                    && report
                        .node(&service.id)
                        .and_then(|s| s.value("failed_calls"))
                        .is_some_and(|f| f > 0.0)
                {
                    why.push(format!("calls to {} fail", service.label()));
                }
                let cap = attempts_cap(c.retry.max_attempts());
                let because = if why.is_empty() {
                    String::new()
                } else {
                    format!(": {}", why.join("; "))
                };
                out.push((
                    order(&node.id),
                    Insight {
                        kind: InsightKind::Retries,
                        subject: node.id.clone(),
                        node: node.id.clone(),
                        score: (0.4 + 0.5 * (amplification - 1.0)).min(1.0),
                        value: amplification,
                        sentence: format!(
                            "{} makes {amplification:.2} attempts per message ({cap}), {} more work \
                             than its messages alone{because}.",
                            label(&node.id),
                            percent(amplification - 1.0)
                        ),
                    },
                ));
            }
            (NodeKind::Service(_), Kind::Service) => {
                let callers: Vec<(petgraph::stable_graph::EdgeIndex, &crate::model::Node)> = model
                    .graph
                    .edges_directed(ix, petgraph::Direction::Incoming)
                    .map(|e| (e.id(), &model.graph[e.source()]))
                    .filter(|(_, n)| matches!(n.kind, NodeKind::Consumer(_)))
                    .collect();
                let mut first = 0.0;
                let mut fast = 0.0;
                for (_, caller) in &callers {
                    if let Some(r) = report.node(&caller.id) {
                        first += originals(r);
                        fast += r.value("fast_failed").unwrap_or(0.0);
                    }
                }
                let calls = node.value("arrived").unwrap_or(0.0);
                if first <= 0.0 {
                    continue;
                }
                let per = calls / first;
                if per < RETRY_AMPLIFICATION && fast <= 0.0 {
                    continue;
                }
                let (subject, whose) = match callers.as_slice() {
                    [(edge, caller)] => (model.edge_id(*edge), caller.label().to_owned()),
                    _ => (node.id.clone(), "its callers".to_owned()),
                };
                let mut sentence = format!(
                    "{} gets {per:.2} calls per message {whose} takes",
                    label(&node.id)
                );
                if fast > 0.0 {
                    sentence.push_str(&format!(
                        "; a circuit breaker failed {} calls per run fast, without calling it",
                        count(fast)
                    ));
                }
                sentence.push('.');
                out.push((
                    order(&node.id),
                    Insight {
                        kind: InsightKind::Retries,
                        subject,
                        node: node.id.clone(),
                        score: (0.4 + 0.5 * (per - 1.0)).clamp(0.4, 1.0),
                        value: per,
                        sentence,
                    },
                ));
            }
            (NodeKind::Producer(p), Kind::Producer) => {
                let Some(client) = &p.client else {
                    continue;
                };
                let Some(per) = node.value("retry_amplification") else {
                    continue;
                };
                if per < RETRY_AMPLIFICATION {
                    continue;
                }
                let cap = attempts_cap(client.retry.max_attempts());
                let mut sentence = format!(
                    "{} sends {per:.2} times per request ({cap}): {} sends per run go unanswered within its {} timeout",
                    label(&node.id),
                    count(node.value("timeouts").unwrap_or(0.0)),
                    client.timeout
                );
                let gave_up = node.value("gave_up").unwrap_or(0.0);
                if gave_up > 0.0 {
                    sentence.push_str(&format!("; it gives up {} requests", count(gave_up)));
                }
                if client.budget.is_none() {
                    sentence.push_str("; a retry budget would stop retries feeding an overload");
                }
                sentence.push('.');
                out.push((
                    order(&node.id),
                    Insight {
                        kind: InsightKind::Retries,
                        subject: node.id.clone(),
                        node: node.id.clone(),
                        score: (0.4 + 0.5 * (per - 1.0)).clamp(0.4, 1.0),
                        value: per,
                        sentence,
                    },
                ));
            }
            _ => {}
        }
    }
}

/// A retry policy's most attempts, as words.
fn attempts_cap(max: u32) -> String {
    if max == u32::MAX {
        "no limit".to_owned()
    } else {
        format!("at most {max}")
    }
}

/// Why a message is dropped at a node of `kind`, as the end of a
/// sentence.
fn why_dropped(reason: &str, kind: Kind) -> &'static str {
    use crate::metrics::DropReason as R;
    let Some(r) = R::ALL.into_iter().find(|r| r.key() == reason) else {
        return "for a reason this version does not know";
    };
    match r {
        R::QueueFull => "the queue was full",
        R::EvictedOldest => "newer messages pushed them out of the full queue",
        R::ProducerBlocked => "downstream was full and it drops rather than waits",
        R::NoSubscriber => "no subscription's filter matched their event type",
        R::RetriesExhausted => "they failed every attempt and no dead-letter queue takes them",
        R::MaxReceives => "they reached the queue's max_receives with no dead-letter queue",
        R::DeadLetterFull => "the dead-letter queue was full",
        R::ReceiptExpired => {
            "they failed after the queue's visibility timeout had already redelivered them"
        }
        R::Crashed => "the consumer crashed while holding them",
        R::NodeDown => "the node was down when they reached it",
        R::Failed => "an attempt failed and at-most-once delivery cannot bring them back",
        R::Duplicate => "they were second deliveries of messages already processed",
        R::NoRoute => "no route took their event type",
        R::Throttled if kind == Kind::Log => {
            "Event Hubs turned the sends away beyond its throughput units, and its senders fail when throttled"
        }
        R::Throttled => "the function was at its concurrency limit and retries ran out",
        R::Conflict => "their append conflicted on every attempt allowed",
        R::Shed => "the queue shed them: messages had waited longer than its CoDel target",
        R::Unreplicated => {
            "the broker lost them before its followers, or its standby region, had them"
        }
        R::Unpersisted => "the broker kept them only in memory and no replica survived its crash",
        R::LinkLoss => "a fault on the link into it lost them",
        R::Version => {
            "they were of a schema version it does not read, and its rule drops them (or rejects them with no dead-letter queue to take them)"
        }
    }
}

fn losses(
    model: &Model,
    report: &Report,
    out: &mut Vec<(usize, Insight)>,
    order: &dyn Fn(&str) -> usize,
    label: &dyn Fn(&str) -> String,
) {
    let loss_score = |share: f64| 0.5 + 0.5 * (10.0 * share).min(1.0);
    for node in &report.nodes {
        let base = if node.kind == Kind::Consumer {
            originals(node)
        } else {
            node.value("arrived").unwrap_or(0.0)
        };
        let share = |n: f64| if base > 0.0 { n / base } else { 0.0 };
        for m in &node.metrics {
            let Some(reason) = m.path.strip_prefix("drops.") else {
                continue;
            };
            if m.mean <= 0.0 {
                continue;
            }
            let s = share(m.mean);
            out.push((
                order(&node.id),
                Insight {
                    kind: InsightKind::Dropped,
                    subject: node.id.clone(),
                    node: node.id.clone(),
                    score: loss_score(s),
                    value: s,
                    sentence: format!(
                        "{} drops {} of its messages ({} per run, `{reason}`): {}.",
                        label(&node.id),
                        percent(s),
                        count(m.mean),
                        why_dropped(reason, node.kind)
                    ),
                },
            ));
        }
        let dead = node.value("dead_lettered").unwrap_or(0.0);
        if dead > 0.0 && matches!(node.kind, Kind::Consumer | Kind::Queue) {
            let Some(ix) = model.find(&node.id) else {
                continue;
            };
            let why = match &model.graph[ix].kind {
                NodeKind::Consumer(c) => {
                    let max = c.retry.max_attempts();
                    let rejected = node.value("version_rejected").unwrap_or(0.0);
                    let mut why = if rejected > 0.0 && rejected >= dead * 0.999 {
                        "they were of a schema version it does not read, rejected unprocessed \
                         (upgrade it before the rollout, or let it read the new version)"
                            .to_owned()
                    } else if rejected > 0.0 {
                        format!(
                            "{} were of a schema version it does not read, rejected unprocessed; the rest failed {}",
                            count(rejected),
                            if max == 1 {
                                "their only attempt".to_owned()
                            } else {
                                format!("all {max} attempts")
                            }
                        )
                    } else if max == 1 {
                        "they failed their only attempt".to_owned()
                    } else {
                        format!("they failed all {max} attempts")
                    };
                    if !c.poison.is_empty() {
                        why.push_str(&format!(
                            " (poison event types {} fail every attempt)",
                            c.poison.join(", ")
                        ));
                    }
                    why
                }
                NodeKind::Queue(q) => {
                    let mut why = match q.max_receives {
                        Some(n) => {
                            format!("they were received {n} times (max_receives) without success")
                        }
                        None => "they reached the queue's receive limit".to_owned(),
                    };
                    let refused = node.value("push_refused").unwrap_or(0.0);
                    if refused > 0.0 {
                        why.push_str(&format!(
                            "; its consumers refused {} pushes, busy or down, and each refusal was a delivery attempt: pull delivery would have let them wait instead",
                            count(refused)
                        ));
                    }
                    why
                }
                _ => String::new(),
            };
            let dlq = model
                .graph
                .edges_directed(ix, petgraph::Direction::Outgoing)
                .map(|e| &model.graph[e.target()])
                .find(|n| matches!(n.kind, NodeKind::DeadLetter(_)))
                .map_or_else(String::new, |d| format!(", into {}", d.label()));
            let s = share(dead);
            out.push((
                order(&node.id),
                Insight {
                    kind: InsightKind::DeadLettered,
                    subject: node.id.clone(),
                    node: node.id.clone(),
                    score: loss_score(s),
                    value: s,
                    sentence: format!(
                        "{} dead-letters {} of its messages ({} per run{dlq}): {why}.",
                        label(&node.id),
                        percent(s),
                        count(dead)
                    ),
                },
            ));
        }
        if node.kind == Kind::Log {
            for m in &node.metrics {
                let Some(group) = m
                    .path
                    .strip_prefix("groups.")
                    .and_then(|p| p.strip_suffix(".missed"))
                else {
                    continue;
                };
                if m.mean <= 0.0 || group.contains('.') {
                    continue;
                }
                let s = share(m.mean);
                // The group is named by its consumer's id (dots replaced).
                let reader = model
                    .graph
                    .node_indices()
                    .map(|ix| &model.graph[ix])
                    .find(|n| n.id.replace('.', "_") == group)
                    .map_or_else(|| group.to_owned(), |n| n.label().to_owned());
                out.push((
                    order(&node.id),
                    Insight {
                        kind: InsightKind::Expired,
                        subject: node.id.clone(),
                        node: node.id.clone(),
                        score: loss_score(s),
                        value: s,
                        sentence: format!(
                            "{}'s retention removed {} records per run ({} of its records) before \
                             {reader} read them: {reader} falls behind by more than the retention.",
                            label(&node.id),
                            count(m.mean),
                            percent(s)
                        ),
                    },
                ));
            }
        }
    }
}

fn backpressure(
    model: &Model,
    report: &Report,
    out: &mut Vec<(usize, Insight)>,
    order: &dyn Fn(&str) -> usize,
    label: &dyn Fn(&str) -> String,
) {
    for node in &report.nodes {
        let Some(blocked) = node.value("blocked_fraction") else {
            continue;
        };
        if blocked < BLOCKED_SHARE || !matches!(node.kind, Kind::Producer | Kind::Consumer) {
            continue;
        }
        let next: Vec<String> = model.find(&node.id).map_or_else(Vec::new, |ix| {
            model
                .graph
                .edges_directed(ix, petgraph::Direction::Outgoing)
                .map(|e| &model.graph[e.target()])
                .filter(|n| !matches!(n.kind, NodeKind::DeadLetter(_) | NodeKind::Service(_)))
                .map(|n| n.label().to_owned())
                .collect()
        });
        let what = if node.kind == Kind::Producer {
            "of the time"
        } else {
            "of its capacity"
        };
        let into = if next.is_empty() {
            String::new()
        } else {
            format!(" ({} full)", next.join(", "))
        };
        out.push((
            order(&node.id),
            Insight {
                kind: InsightKind::Backpressure,
                subject: node.id.clone(),
                node: node.id.clone(),
                score: (0.4 + 0.5 * blocked).min(1.0),
                value: blocked,
                sentence: format!(
                    "{} is held back by backpressure {} {what}: it waits for room downstream{into}.",
                    label(&node.id),
                    percent(blocked)
                ),
            },
        ));
    }
}

/// Consumers and sinks that took messages of a key out of the order they
/// were made, when keys were drawn: a model whose producers make one key
/// each says nothing about which order matters.
fn out_of_order(
    model: &Model,
    report: &Report,
    out: &mut Vec<(usize, Insight)>,
    order: &dyn Fn(&str) -> usize,
    label: &dyn Fn(&str) -> String,
) {
    let keyed = model.graph.node_weights().any(|n| match &n.kind {
        NodeKind::Producer(p) => p.keys > 1,
        _ => false,
    });
    if !keyed {
        return;
    }
    for node in &report.nodes {
        let (Some(late), Some(arrived)) = (node.value("out_of_order"), node.value("arrived"))
        else {
            continue;
        };
        let share = if arrived > 0.0 { late / arrived } else { 0.0 };
        if share < OUT_OF_ORDER_SHARE {
            continue;
        }
        let done = if node.kind == Kind::Sink {
            "received"
        } else {
            "finished"
        };
        out.push((
            order(&node.id),
            Insight {
                kind: InsightKind::OutOfOrder,
                subject: node.id.clone(),
                node: node.id.clone(),
                score: (0.35 + 5.0 * share).min(0.8),
                value: share,
                sentence: format!(
                    "{} {done} {} of its messages out of order for their key ({} per run): \
                     parallel workers, retries or redeliveries let later messages of a key \
                     overtake earlier ones. A FIFO queue (message groups by key), or a log \
                     partitioned by key with one reader per partition, keeps each key's order.",
                    label(&node.id),
                    percent(share),
                    count(late),
                ),
            },
        ));
    }
}

/// The insights as lines for people, the best `top` of them, numbered.
pub fn table(insights: &[Insight], top: usize) -> String {
    if insights.is_empty() {
        return String::new();
    }
    let mut out = String::from("\ninsights (ranked):\n");
    for (i, insight) in insights.iter().take(top).enumerate() {
        out.push_str(&format!("  {}. {}\n", i + 1, insight.sentence));
    }
    if insights.len() > top {
        out.push_str(&format!(
            "  … {} more in the JSON report (`insights`)\n",
            insights.len() - top
        ));
    }
    out
}
