//! Autoscaling of a consumer's instances.
//!
//! Every `interval` the autoscaler compares its metric with the target and
//! works out how many instances it wants, between `min` and `max`:
//!
//! - `Backlog(per_instance: B)`: the messages waiting for or in the
//!   consumer (its queues' visible, delayed and in-flight messages, the
//!   lag of its consumer groups on logs, its inbox and its busy slots)
//!   divided by B, rounded up;
//! - `Utilization(target: U)`: the busy share of its slots over the last
//!   interval, times the instances running, divided by U, rounded up.
//!
//! Scaling out is allowed once `scale_out_cooldown` has passed since the
//! last scale-out; a new instance serves after `startup`. Scaling in is
//! allowed once `scale_in_cooldown` has passed since the last change of
//! either kind; instances still starting are cancelled first, and a
//! removed instance finishes the work it holds.

use std::collections::VecDeque;

use serde::{Deserialize, Serialize};

use crate::engine::{Ev, NodeIx, Simulation};
use crate::time::{Duration, SimTime};

/// A consumer's autoscaling policy.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AutoscaleParams {
    pub min: u32,
    pub max: u32,
    pub target: ScaleTarget,
    /// How often the autoscaler looks.
    #[serde(default = "default_interval")]
    pub interval: Duration,
    #[serde(default = "default_out_cooldown")]
    pub scale_out_cooldown: Duration,
    #[serde(default = "default_in_cooldown")]
    pub scale_in_cooldown: Duration,
    /// How long a new instance takes to start serving.
    #[serde(default)]
    pub startup: Duration,
}

const fn default_interval() -> Duration {
    Duration::from_secs(15)
}
const fn default_out_cooldown() -> Duration {
    Duration::from_secs(60)
}
const fn default_in_cooldown() -> Duration {
    Duration::from_secs(300)
}

/// What the autoscaler keeps at its target.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum ScaleTarget {
    /// Messages waiting for or in the consumer, per instance.
    Backlog { per_instance: f64 },
    /// Busy share of the slots (0–1).
    Utilization { target: f64 },
}

impl AutoscaleParams {
    pub fn problems(&self, instances: u32) -> Vec<String> {
        let mut out = Vec::new();
        if self.min == 0 {
            out.push("autoscaling needs at least one instance (min ≥ 1)".to_owned());
        }
        if self.max < self.min {
            out.push(format!(
                "autoscaling max ({}) is below min ({})",
                self.max, self.min
            ));
        }
        if instances < self.min || instances > self.max {
            out.push(format!(
                "the starting instances ({instances}) must lie between the autoscaling min ({}) and max ({})",
                self.min, self.max
            ));
        }
        if self.interval.is_zero() {
            out.push("the autoscaling interval must be longer than zero".to_owned());
        } else if self.interval < super::limits::MIN_AUTOSCALE_INTERVAL {
            out.push(format!(
                "the autoscaling interval must be at least {} (found {}): the autoscaler looks at the consumer once per interval",
                super::limits::MIN_AUTOSCALE_INTERVAL,
                self.interval
            ));
        }
        super::check_at_most(
            "autoscaling max",
            self.max,
            super::limits::MAX_INSTANCES,
            &mut out,
        );
        super::check_durations(
            &[
                ("the autoscaling interval", self.interval),
                ("the scale-out cooldown", self.scale_out_cooldown),
                ("the scale-in cooldown", self.scale_in_cooldown),
                ("the start-up time", self.startup),
            ],
            &mut out,
        );
        if let ScaleTarget::Backlog { per_instance } = self.target {
            super::check_at_most(
                "the backlog per instance",
                per_instance,
                super::limits::MAX_WEIGHT,
                &mut out,
            );
        }
        match self.target {
            ScaleTarget::Backlog { per_instance }
                if !per_instance.is_finite() || per_instance <= 0.0 =>
            {
                out.push(format!(
                    "the backlog per instance must be greater than zero (found {per_instance})"
                ));
            }
            ScaleTarget::Utilization { target } if !(target > 0.0 && target <= 1.0) => {
                out.push(format!(
                    "the target utilization must be above 0 and at most 1 (found {target})"
                ));
            }
            _ => {}
        }
        out
    }
}

/// An autoscaler during a run.
#[derive(Clone, Debug)]
pub(crate) struct Autoscaler {
    params: AutoscaleParams,
    /// Tokens of instances starting, oldest first.
    starting: VecDeque<u32>,
    next_token: u32,
    last_out: Option<SimTime>,
    last_change: Option<SimTime>,
    /// Busy-slot integral and capacity integral at the last look.
    busy_area: f64,
    capacity_area: f64,
}

impl Autoscaler {
    pub fn new(params: &AutoscaleParams) -> Self {
        Self {
            params: params.clone(),
            starting: VecDeque::new(),
            next_token: 0,
            last_out: None,
            last_change: None,
            busy_area: 0.0,
            capacity_area: 0.0,
        }
    }

    pub fn interval(&self) -> Duration {
        self.params.interval.max(Duration(1))
    }
}

impl Simulation {
    /// One look of the autoscaler of consumer `node`.
    pub(crate) fn autoscale(&mut self, node: NodeIx) {
        let c = self.topo[node].slot;
        let now = self.now;
        let Some(params) = self.consumers[c]
            .autoscaler
            .as_ref()
            .map(|s| s.params.clone())
        else {
            return;
        };
        self.schedule(now + params.interval.max(Duration(1)), Ev::Autoscale(node));
        if self.is_down(node) {
            return;
        }
        let want = match params.target {
            ScaleTarget::Backlog { per_instance } => {
                let queued: u64 = self.consumers[c]
                    .queues
                    .iter()
                    .map(|s| self.queues[self.topo[s.node].slot].occupancy())
                    .sum();
                let lagging: u64 = self.consumers[c]
                    .logs
                    .iter()
                    .map(|s| self.logs[self.topo[s.node].slot].waiting_for(node))
                    .sum();
                let queued = queued + lagging;
                #[expect(clippy::cast_precision_loss, reason = "message counts")]
                let backlog = (queued + self.consumers[c].held()) as f64;
                backlog / per_instance
            }
            ScaleTarget::Utilization { target } => {
                let stats = &self.stats[node];
                let (busy, capacity) = (stats.busy.area_until(now), stats.capacity.area_until(now));
                let active = self.consumers[c].instances();
                let Some(scaler) = self.consumers[c].autoscaler.as_mut() else {
                    return;
                };
                // After the warm-up reset the totals restart from zero.
                if busy < scaler.busy_area || capacity < scaler.capacity_area {
                    scaler.busy_area = 0.0;
                    scaler.capacity_area = 0.0;
                }
                let (busy_window, capacity_window) =
                    (busy - scaler.busy_area, capacity - scaler.capacity_area);
                scaler.busy_area = busy;
                scaler.capacity_area = capacity;
                let utilization = if capacity_window > 0.0 {
                    busy_window / capacity_window
                } else {
                    0.0
                };
                #[expect(clippy::cast_precision_loss, reason = "instance counts")]
                let active = active as f64;
                active * utilization / target
            }
        };
        #[expect(
            clippy::cast_possible_truncation,
            clippy::cast_sign_loss,
            reason = "clamped to the u32 range first"
        )]
        let desired = (want.ceil().clamp(0.0, f64::from(u32::MAX)) as u64)
            .clamp(u64::from(params.min), u64::from(params.max));
        let active = self.consumers[c].instances();
        let Some(scaler) = self.consumers[c].autoscaler.as_mut() else {
            return;
        };
        let current = active + scaler.starting.len() as u64;
        if desired > current {
            if scaler
                .last_out
                .is_some_and(|t| now < t + params.scale_out_cooldown)
            {
                return;
            }
            scaler.last_out = Some(now);
            scaler.last_change = Some(now);
            self.stats[node].scale_outs += 1;
            let mut tokens = Vec::new();
            for _ in current..desired {
                scaler.next_token += 1;
                scaler.starting.push_back(scaler.next_token);
                tokens.push(scaler.next_token);
            }
            for token in tokens {
                self.schedule(now + params.startup, Ev::InstanceReady { node, token });
            }
        } else if desired < current {
            if scaler
                .last_change
                .is_some_and(|t| now < t + params.scale_in_cooldown)
            {
                return;
            }
            scaler.last_change = Some(now);
            self.stats[node].scale_ins += 1;
            // Instances still starting go first.
            let mut remove = current - desired;
            while remove > 0 && scaler.starting.pop_back().is_some() {
                remove -= 1;
            }
            if remove > 0 {
                self.consumer_set_instances(node, active - remove);
            }
        }
    }

    /// A starting instance is ready (unless it was cancelled).
    pub(crate) fn instance_ready(&mut self, node: NodeIx, token: u32) {
        let c = self.topo[node].slot;
        let Some(scaler) = self.consumers[c].autoscaler.as_mut() else {
            return;
        };
        if scaler.starting.front() != Some(&token) {
            return;
        }
        scaler.starting.pop_front();
        let active = self.consumers[c].instances();
        self.consumer_set_instances(node, active + 1);
        self.consumer_fill(node);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(arrival: &str, autoscale: &str, duration: &str, seed: u64) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "autoscale",
                scenario: (duration: "{duration}", seed: {seed}),
                nodes: [
                    (id: "src", kind: Producer(arrival: {arrival})),
                    (id: "q", kind: Queue()),
                    (id: "srv", kind: Consumer(instances: 1, service: Exponential(mean: "50ms"), autoscale: {autoscale})),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        run_once(&model, seed).expect("runs")
    }

    fn get(r: &RunResult, path: &str) -> f64 {
        crate::metric(r, "srv", path)
    }

    #[test]
    fn scales_out_to_meet_the_load() {
        // 100/s at 50 ms each needs five instances at least.
        let r = run(
            "Poisson(rate: 100.0)",
            r#"(min: 1, max: 10, target: Backlog(per_instance: 5.0), interval: "5s", scale_out_cooldown: "10s", startup: "5s")"#,
            "600s",
            1,
        );
        assert!(
            get(&r, "max_instances") >= 6.0,
            "{}",
            get(&r, "max_instances")
        );
        assert!(get(&r, "scale_outs") >= 1.0);
        // The backlog is under control by the end.
        assert!(r.conservation.in_flight < 200, "{:?}", r.conservation);
        // Five busy instances on average, plus headroom: between 5 and 10.
        let mean = get(&r, "instances");
        assert!((5.0..10.0).contains(&mean), "mean instances {mean}");
    }

    #[test]
    fn scales_in_when_the_load_goes_away_and_finishes_its_work() {
        let r = run(
            r#"Bursty(rate: 100.0, on: "60s", off: "240s")"#,
            r#"(min: 1, max: 10, target: Utilization(target: 0.6), interval: "5s", scale_out_cooldown: "10s", scale_in_cooldown: "30s", startup: "2s")"#,
            "900s",
            2,
        );
        assert!(
            get(&r, "scale_ins") >= 2.0,
            "scale-ins {}",
            get(&r, "scale_ins")
        );
        assert!(get(&r, "max_instances") >= 5.0);
        // Mostly idle load: the mean stays well below the maximum.
        assert!(
            get(&r, "instances") < 4.0,
            "mean instances {}",
            get(&r, "instances")
        );
        assert_eq!(r.conservation.dropped, 0, "scaling in never loses work");
        assert!(r.conservation.balanced());
    }

    #[test]
    fn cooldowns_limit_how_often_it_acts() {
        let r = run(
            "Poisson(rate: 100.0)",
            r#"(min: 1, max: 10, target: Backlog(per_instance: 5.0), interval: "1s", scale_out_cooldown: "100s", startup: "1s")"#,
            "250s",
            3,
        );
        // At t = 1 s, 101 s and 201 s at most.
        assert!(get(&r, "scale_outs") <= 3.0, "{}", get(&r, "scale_outs"));
    }

    #[test]
    fn bad_policies_are_explained() {
        let params = super::AutoscaleParams {
            min: 3,
            max: 2,
            target: super::ScaleTarget::Utilization { target: 1.5 },
            interval: crate::time::Duration::ZERO,
            scale_out_cooldown: crate::time::Duration::ZERO,
            scale_in_cooldown: crate::time::Duration::ZERO,
            startup: crate::time::Duration::ZERO,
        };
        let problems = params.problems(1);
        assert_eq!(problems.len(), 4, "{problems:#?}");
    }
}
