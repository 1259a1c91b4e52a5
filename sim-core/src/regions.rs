//! Regions: where nodes run, and the outages that take a whole region
//! down at once.
//!
//! A node may name its region (or zone: any failure domain that fails as
//! one). A region outage on the timeline crashes every node placed there
//! for its duration — producers stop, consumers lose their work in
//! progress, brokers are unavailable — and a durable broker with a
//! standby in another region fails over to it
//! ([`crate::nodes::standby`]).
//!
//! ```ron
//! nodes: [(id: "orders", region: "eu-west", kind: Queue(durability: (
//!     standby: (region: "eu-north", replication: Async, lag: Constant("2s")),
//! ))), …],
//! scenario: (region_outages: [(region: "eu-west", at: "10m", duration: "30m")]),
//! ```

use std::collections::BTreeSet;

use serde::{Deserialize, Serialize};

use crate::model::Model;
use crate::nodes::NodeKind;
use crate::time::Duration;
use crate::validate::{Diagnostic, Target};

/// A region going down on the timeline.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionOutage {
    /// The region's name, as nodes give it.
    pub region: String,
    /// When it goes down.
    pub at: Duration,
    /// How long it stays down.
    pub duration: Duration,
}

/// The standby region of a node's broker, if it has one.
pub fn standby_region(kind: &NodeKind) -> Option<&str> {
    kind.durability()
        .and_then(|d| d.standby.as_ref())
        .map(|s| s.region.as_str())
}

/// Every region the model names (nodes' regions and brokers' standby
/// regions), sorted: a region's index in a run is its place here.
pub fn names(model: &Model) -> Vec<String> {
    let g = &model.graph;
    let mut out = BTreeSet::new();
    for n in g.node_indices() {
        out.extend(g[n].region.clone());
        out.extend(standby_region(&g[n].kind).map(str::to_owned));
    }
    out.into_iter().collect()
}

/// Problems with the regions: outages of regions no node names, outages
/// that do not fit the run, standbys without a home region or in it.
pub(crate) fn validate(model: &Model, out: &mut Vec<Diagnostic>) {
    let known = names(model);
    let s = &model.scenario;
    for (i, outage) in s.region_outages.iter().enumerate() {
        let n = i + 1;
        let region = &outage.region;
        let say = |words: String| Diagnostic::error(Target::Scenario, words);
        if !known.contains(region) {
            let listed = if known.is_empty() {
                "no node names a region".to_owned()
            } else {
                format!("the regions are {}", known.join(", "))
            };
            out.push(say(format!(
                "region outage {n} names region '{region}', where nothing runs ({listed})"
            )));
        }
        let mut problems = Vec::new();
        crate::nodes::check_durations(
            &[("its start", outage.at), ("its duration", outage.duration)],
            &mut problems,
        );
        for problem in problems {
            out.push(say(format!("region outage {n} of '{region}': {problem}")));
        }
        if outage.duration.is_zero() {
            out.push(say(format!(
                "region outage {n} of '{region}' must last longer than zero"
            )));
        }
        if outage.at >= s.duration {
            out.push(Diagnostic::warning(
                Target::Scenario,
                format!(
                    "region outage {n} of '{region}' starts at {}, after the run ends ({})",
                    outage.at, s.duration
                ),
            ));
        }
    }
    let g = &model.graph;
    for n in g.node_indices() {
        let node = &g[n];
        if node.region.as_ref().is_some_and(|r| r.trim().is_empty()) {
            out.push(Diagnostic::error(
                Target::Node(node.id.clone()),
                "a region needs a name; leave it out for a node in none",
            ));
        }
        let Some(standby) = standby_region(&node.kind) else {
            continue;
        };
        let target = Target::Node(node.id.clone());
        match &node.region {
            None => out.push(Diagnostic::error(
                target,
                format!(
                    "durability: a standby in '{standby}' needs the broker placed in a region of its own (set its region)"
                ),
            )),
            Some(home) if home == standby => out.push(Diagnostic::error(
                target,
                format!(
                    "durability: the standby is in '{standby}', the broker's own region; a standby must be in another"
                ),
            )),
            Some(_) => {}
        }
        if standby.trim().is_empty() {
            out.push(Diagnostic::error(
                Target::Node(node.id.clone()),
                "durability: the standby needs a region",
            ));
        }
    }
}

/// Region `name`'s index in a run of `model` (see [`names`]).
pub(crate) fn index(names: &[String], name: &str) -> u32 {
    names
        .binary_search_by(|n| n.as_str().cmp(name))
        .ok()
        .and_then(|i| u32::try_from(i).ok())
        .unwrap_or(crate::faults::NO_REGION)
}

/// The scenario's region outages as faults of each node they reach: the
/// nodes placed in the region, and the brokers whose standby is there.
/// `node_ixs` lists the model's nodes in run order.
pub(crate) fn compile_outages(
    model: &Model,
    node_ixs: &[petgraph::stable_graph::NodeIndex],
) -> Vec<crate::faults::CompiledFault> {
    use crate::engine::NodeIx;
    use crate::time::SimTime;
    let names = names(model);
    let g = &model.graph;
    let mut out = Vec::new();
    for outage in &model.scenario.region_outages {
        let region = index(&names, &outage.region);
        if region == crate::faults::NO_REGION {
            continue;
        }
        for (i, &n) in node_ixs.iter().enumerate() {
            let node = &g[n];
            let reached = node.region.as_deref() == Some(outage.region.as_str())
                || standby_region(&node.kind) == Some(outage.region.as_str());
            if !reached {
                continue;
            }
            let Ok(i) = u32::try_from(i) else { continue };
            out.push(crate::faults::CompiledFault {
                node: NodeIx(i),
                effect: crate::faults::Effect::Crash,
                start: SimTime(outage.at.0),
                end: SimTime(outage.at.0) + outage.duration,
                random: crate::faults::NOT_RANDOM,
                region,
                link: crate::faults::NO_LINK,
            });
        }
    }
    out
}
