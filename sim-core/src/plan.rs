//! The capacity planner: the cheapest setting of the knobs a user picks
//! (instances, partitions, concurrency, capacity, …) that meets every
//! objective of the model, every bound the user adds, and a utilisation
//! headroom on every stage.
//!
//! Each knob is a sweep axis ([`crate::sweep::Axis`]) with a cost per unit
//! of its value (`worker.instances=1..16@12`: 12 per instance). The search
//! assumes that more of a knob never hurts:
//!
//! 1. It starts with every knob at its lowest value.
//! 2. While the setting fails, it tries one step up on each knob and takes
//!    the cheapest step that passes; if none passes, the step that leaves
//!    the fewest requirements failing (then the cheapest). When every knob
//!    is at its highest and the setting still fails, no setting within the
//!    bounds works, and the planner says so.
//! 3. From a setting that passes, it tries one step down on each knob and
//!    takes any that still passes, cheapest first, until none does.
//!
//! Every setting it runs is kept, in order, with why it failed: the
//! search path and what it ruled out. A requirement is met only when the
//! replications' interval says so: an undecided objective fails the
//! setting (more replications may decide it).

use std::collections::BTreeMap;

use crate::Report;
use crate::slo::{Bound, Verdict};
use crate::sweep::{Axis, MetricRef};

/// A knob the planner may turn, and what a unit of it costs.
#[derive(Clone, Debug, PartialEq)]
pub struct Knob {
    pub axis: Axis,
    pub cost: f64,
}

impl Knob {
    /// Reads `NODE.PARAM=RANGE@COST` (the cost per unit of the value; 1
    /// when left out).
    pub fn parse(text: &str, model: &crate::Model) -> Result<Self, String> {
        let (knob, cost) = match text.rsplit_once('@') {
            Some((knob, cost)) => {
                let cost: f64 = cost.trim().parse().map_err(|_| {
                    format!("`{text}`: the cost after @ must be a number, not '{cost}'")
                })?;
                if !cost.is_finite() || cost < 0.0 {
                    return Err(format!("`{text}`: a cost is zero or more, not {cost}"));
                }
                (knob, cost)
            }
            None => (text, 1.0),
        };
        let axis = Axis::parse(knob, model)?;
        if matches!(axis.knob, crate::sweep::Knob::Load) {
            return Err(format!(
                "`{text}`: the load is what the design must carry, not a knob to buy"
            ));
        }
        let mut sorted = axis.values.clone();
        sorted.sort_by(|a, b| a.as_f64().total_cmp(&b.as_f64()));
        if sorted != axis.values {
            return Err(format!(
                "`{text}`: give the values from smallest to largest"
            ));
        }
        Ok(Self { axis, cost })
    }
}

/// A bound the user adds on a metric: `q.wait_s.mean<=0.05`.
#[derive(Clone, Debug, PartialEq)]
pub struct Requirement {
    pub metric: MetricRef,
    pub bound: Bound,
}

impl Requirement {
    /// Reads `NODE.METRIC<=X` or `NODE.METRIC>=X`.
    pub fn parse(text: &str, model: &crate::Model) -> Result<Self, String> {
        let (metric, bound) = if let Some((m, x)) = text.split_once("<=") {
            (m, x.trim().parse().map(Bound::AtMost))
        } else if let Some((m, x)) = text.split_once(">=") {
            (m, x.trim().parse().map(Bound::AtLeast))
        } else {
            return Err(format!(
                "`{text}`: write NODE.METRIC<=X or NODE.METRIC>=X (like q.wait_s.mean<=0.05)"
            ));
        };
        let bound = bound.map_err(|_| format!("`{text}`: the bound must be a number"))?;
        Ok(Self {
            metric: MetricRef::parse(metric, model)?,
            bound,
        })
    }

    fn describe(&self) -> String {
        match self.bound {
            Bound::AtMost(x) => format!("{} ≤ {x}", self.metric.label()),
            Bound::AtLeast(x) => format!("{} ≥ {x}", self.metric.label()),
        }
    }
}

/// What the planner must achieve.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    pub knobs: Vec<Knob>,
    pub requirements: Vec<Requirement>,
    /// Every stage's utilisation at most this (`None`: no headroom asked).
    pub headroom: Option<f64>,
}

/// One setting the planner ran.
#[derive(Clone, Debug, PartialEq)]
pub struct Trial {
    /// Each knob's value index.
    pub setting: Vec<usize>,
    pub cost: f64,
    /// Why the setting fails; empty when it passes.
    pub failures: Vec<String>,
}

impl Trial {
    pub fn passes(&self) -> bool {
        self.failures.is_empty()
    }
}

/// The search's outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Outcome {
    /// Every setting run, in the order the search ran them.
    pub trials: Vec<Trial>,
    /// The cheapest passing setting found; `None`: none within the bounds.
    pub best: Option<usize>,
}

impl Plan {
    /// The setting's cost: each knob's value times its cost per unit.
    pub fn cost(&self, setting: &[usize]) -> f64 {
        self.knobs
            .iter()
            .zip(setting)
            .map(|(k, &i)| k.axis.values[i].as_f64() * k.cost)
            .sum()
    }

    /// The setting in words: `worker.instances = 3, q.capacity = 100`.
    pub fn describe(&self, setting: &[usize]) -> String {
        self.knobs
            .iter()
            .zip(setting)
            .map(|(k, &i)| format!("{} = {}", k.axis.label(), k.axis.values[i]))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Why a run's report fails the plan: objectives not met, bounds not
    /// kept, stages past the headroom. Empty when it passes.
    pub fn failures(&self, report: &Report) -> Vec<String> {
        let mut out = Vec::new();
        for r in &report.slos {
            match r.verdict {
                Verdict::Met => {}
                Verdict::Violated => out.push(format!("{} is violated", r.slo.label())),
                Verdict::Undecided { .. } => {
                    out.push(format!("{} is {}", r.slo.label(), r.verdict.text()));
                }
                Verdict::Unmeasured => out.push(format!("{} was not measured", r.slo.label())),
            }
        }
        for req in &self.requirements {
            match req.metric.read(report) {
                Some(m) if req.bound.holds(m.mean) => {}
                Some(m) => out.push(format!("{} ({:.4})", req.describe(), m.mean)),
                None => out.push(format!("{} was not measured", req.metric.label())),
            }
        }
        if let Some(limit) = self.headroom {
            for node in &report.nodes {
                if let Some(u) = node.get("utilization")
                    && u.mean > limit
                {
                    out.push(format!("{} runs at ρ = {:.2} > {limit}", node.id, u.mean));
                }
            }
        }
        out
    }

    /// Runs the search. `evaluate` runs a batch of settings (each knob's
    /// value index) and gives their reports in the same order; it may run
    /// them in parallel.
    pub fn search(
        &self,
        mut evaluate: impl FnMut(&[Vec<usize>]) -> Result<Vec<Report>, String>,
    ) -> Result<Outcome, String> {
        self.search_with(|settings| {
            Ok(evaluate(settings)?
                .iter()
                .map(|r| self.failures(r))
                .collect())
        })
    }

    /// The search, with each setting judged by `judge` (its failures, in
    /// the order asked).
    fn search_with(
        &self,
        mut judge: impl FnMut(&[Vec<usize>]) -> Result<Vec<Vec<String>>, String>,
    ) -> Result<Outcome, String> {
        let mut trials: Vec<Trial> = Vec::new();
        let mut seen: BTreeMap<Vec<usize>, usize> = BTreeMap::new();
        let mut run =
            |settings: Vec<Vec<usize>>, trials: &mut Vec<Trial>| -> Result<Vec<usize>, String> {
                let fresh: Vec<Vec<usize>> = settings
                    .iter()
                    .filter(|s| !seen.contains_key(*s))
                    .cloned()
                    .collect();
                if !fresh.is_empty() {
                    let judged = judge(&fresh)?;
                    for (setting, failures) in fresh.into_iter().zip(judged) {
                        seen.insert(setting.clone(), trials.len());
                        trials.push(Trial {
                            cost: self.cost(&setting),
                            failures,
                            setting,
                        });
                    }
                }
                Ok(settings.iter().map(|s| seen[s]).collect())
            };
        let mut at = run(vec![vec![0; self.knobs.len()]], &mut trials)?[0];
        // Up until a setting passes.
        while !trials[at].passes() {
            let ups: Vec<Vec<usize>> = (0..self.knobs.len())
                .filter(|&k| trials[at].setting[k] + 1 < self.knobs[k].axis.values.len())
                .map(|k| {
                    let mut s = trials[at].setting.clone();
                    s[k] += 1;
                    s
                })
                .collect();
            if ups.is_empty() {
                return Ok(Outcome { trials, best: None });
            }
            let tried = run(ups, &mut trials)?;
            at = *tried
                .iter()
                .min_by(|&&a, &&b| {
                    let (a, b) = (&trials[a], &trials[b]);
                    (!a.passes(), a.failures.len())
                        .cmp(&(!b.passes(), b.failures.len()))
                        .then(a.cost.total_cmp(&b.cost))
                })
                .unwrap_or(&at);
        }
        // Down while a cheaper neighbour still passes.
        loop {
            let downs: Vec<Vec<usize>> = (0..self.knobs.len())
                .filter(|&k| trials[at].setting[k] > 0)
                .map(|k| {
                    let mut s = trials[at].setting.clone();
                    s[k] -= 1;
                    s
                })
                .collect();
            if downs.is_empty() {
                break;
            }
            let tried = run(downs, &mut trials)?;
            let cheaper = tried
                .iter()
                .copied()
                .filter(|&t| trials[t].passes() && trials[t].cost < trials[at].cost)
                .min_by(|&a, &b| trials[a].cost.total_cmp(&trials[b].cost));
            match cheaper {
                Some(t) => at = t,
                None => break,
            }
        }
        Ok(Outcome {
            trials,
            best: Some(at),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::file;

    fn model() -> crate::Model {
        file::from_str(
            r#"(
            version: 1,
            name: "plan",
            scenario: (duration: "10s", warmup: "0s"),
            nodes: [
                (id: "src", kind: Producer(arrival: Poisson(rate: 80.0))),
                (id: "q", kind: Queue()),
                (id: "a", kind: Consumer(service: Exponential(mean: "10ms"))),
            ],
            edges: [(from: "src", to: "q"), (from: "q", to: "a")],
        )"#,
        )
        .expect("parses")
        .0
    }

    #[test]
    fn knobs_and_requirements_read_their_syntax() {
        let m = model();
        let k = Knob::parse("a.instances=1..8@12.5", &m).expect("valid");
        assert_eq!(k.cost, 12.5);
        assert_eq!(k.axis.values.len(), 8);
        assert_eq!(
            Knob::parse("a.instances=1..2", &m).expect("valid").cost,
            1.0
        );
        for (text, says) in [
            ("a.instances=1..2@x", "must be a number"),
            ("a.instances=1..2@-1", "zero or more"),
            ("load=1..2@1", "not a knob to buy"),
            ("a.instances=4,2", "smallest to largest"),
        ] {
            let e = Knob::parse(text, &m).expect_err(text);
            assert!(e.contains(says), "{text}: {e}");
        }
        let r = Requirement::parse("q.wait_s.mean<=0.05", &m).expect("valid");
        assert_eq!(r.bound, Bound::AtMost(0.05));
        assert!(Requirement::parse("q.wait_s.mean=0.05", &m).is_err());
    }

    /// A made-up world: the setting passes when the knobs' values sum to
    /// at least 5; each value index is the value.
    #[test]
    fn the_search_climbs_then_trims_and_keeps_its_path() {
        let m = model();
        let plan = Plan {
            knobs: vec![
                Knob::parse("a.instances=0..6@3", &m).expect("valid"),
                Knob::parse("a.concurrency=0..6@1", &m).expect("valid"),
            ],
            requirements: Vec::new(),
            headroom: None,
        };
        let outcome = search_by(&plan, |s| {
            if s[0] + s[1] >= 5 {
                Vec::new()
            } else {
                vec!["too little".to_owned()]
            }
        });
        let best = &outcome.trials[outcome.best.expect("found")];
        assert_eq!(best.setting, [0, 5], "the cheap knob carries it all");
        assert_eq!(outcome.trials[0].setting, [0, 0], "from the bottom");
        let none = search_by(&plan, |_| vec!["never".to_owned()]);
        assert_eq!(none.best, None);
        assert_eq!(
            none.trials.last().map(|t| t.setting.clone()),
            Some(vec![6, 6]),
            "up to the top before giving up"
        );
    }

    /// [`Plan::search`] with failures from `fails` instead of runs.
    fn search_by(plan: &Plan, fails: impl Fn(&[usize]) -> Vec<String>) -> Outcome {
        plan.search_with(|settings| Ok(settings.iter().map(|s| fails(s)).collect()))
            .expect("no run to fail")
    }
}
