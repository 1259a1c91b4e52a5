//! Service: an external dependency that consumers call, waiting for the
//! answer while they hold their slot — a payment provider, a database, a
//! third-party API.
//!
//! A call takes the service's latency. With a concurrency limit, calls
//! beyond it wait their turn; with a rate limit (a token bucket refilled
//! at `rate_limit` per second, holding up to one second's worth), calls
//! beyond it are rejected at once. A call fails with the failure
//! probability, and every call to a crashed service fails at once. A
//! failed call fails the consumer's attempt, which its retry policy
//! handles — and its circuit breaker, if it has one, counts.
//!
//! A caller may stop waiting (its call timeout ran out, or it crashed).
//! The service does not know: it goes on with the abandoned call, which
//! is work done for nobody (`wasted_fraction`), unless it supports
//! cancellation — of calls still waiting for a slot, or of running ones
//! too (`cancel`).

use std::collections::{BTreeMap, VecDeque};

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::dist::{Dist, Sampler};
use crate::engine::{Ev, MsgId, NodeIx, Simulation, Slot};
use crate::export::terraform::Terraform;
use crate::journey::{HopKind, Outcome};
use crate::model::{Model, Node};
use crate::rng::{Purpose, Stream, stream, unit};
use crate::time::{Duration, SimTime};

/// A service's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServiceParams {
    /// How long a call takes.
    pub latency: Dist,
    /// Most calls served at once; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub concurrency: Option<u32>,
    /// Most calls accepted per second; `None` for no limit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rate_limit: Option<f64>,
    /// Probability that a call fails.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub failure: f64,
    /// What happens to a call its caller stopped waiting for.
    #[serde(default, skip_serializing_if = "super::is_default")]
    pub cancel: Cancel,
}

/// What a service does with a call whose caller stopped waiting (its call
/// timeout ran out, or it crashed).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub enum Cancel {
    /// Nothing: the call runs to its end, waiting for a slot first if it
    /// must (most services: the request is already on its way).
    #[default]
    Never,
    /// A call still waiting for a slot is dropped; a running one runs on.
    IfNotStarted,
    /// The call stops at once, running or not (the caller's cancellation
    /// reaches the service, as with gRPC deadlines).
    AtOnce,
}

impl Cancel {
    pub const ALL: [Self; 3] = [Self::Never, Self::IfNotStarted, Self::AtOnce];

    pub const fn label(self) -> &'static str {
        match self {
            Self::Never => "never (runs on)",
            Self::IfNotStarted => "if not yet started",
            Self::AtOnce => "at once",
        }
    }
}

#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
fn is_zero(v: &f64) -> bool {
    *v == 0.0
}

impl Default for ServiceParams {
    fn default() -> Self {
        Self {
            latency: Dist::Exponential {
                mean: Duration::from_millis(20),
            },
            concurrency: None,
            rate_limit: None,
            failure: 0.0,
            cancel: Cancel::Never,
        }
    }
}

impl ServiceParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = self.latency.problems();
        super::check_optional_concurrency(self.concurrency, &mut out);
        if let Some(rate) = self.rate_limit
            && !(rate.is_finite() && rate > 0.0)
        {
            out.push(format!(
                "the rate limit must be greater than zero (found {rate})"
            ));
        }
        if let Some(rate) = self.rate_limit {
            super::check_rate("the rate limit", rate, &mut out);
        }
        super::check_probability("failure probability", self.failure, &mut out);
        out
    }
}

/// A call in progress.
#[derive(Clone, Copy, Debug)]
struct Running {
    /// Its caller stopped waiting: the service works for nobody.
    abandoned: bool,
}

/// A service during a run.
#[derive(Clone, Debug)]
pub(crate) struct ServiceRt {
    latency: Sampler,
    limit: u64,
    busy: u64,
    /// Calls waiting for a free slot: (message, the call's number, when
    /// it came).
    waiting: VecDeque<(MsgId, u32, SimTime)>,
    /// Calls in progress, by number: when each started and whether its
    /// caller still waits for it.
    running: BTreeMap<u32, Running>,
    /// Calls in progress whose caller stopped waiting.
    abandoned: u64,
    cancel: Cancel,
    /// A caller has a call timeout or may crash: calls can be abandoned,
    /// and the report says how many were and what they cost.
    pub abandonable: bool,
    rate: Option<f64>,
    tokens: f64,
    refilled_at: SimTime,
    failure: f64,
    slow: f64,
    rng_latency: Stream,
    rng_failure: Stream,
}

impl ServiceRt {
    pub fn new(params: &ServiceParams, seed: u64, id: &str) -> Self {
        Self {
            latency: params.latency.sampler(),
            limit: params.concurrency.map_or(u64::MAX, u64::from),
            busy: 0,
            waiting: VecDeque::new(),
            running: BTreeMap::new(),
            abandoned: 0,
            cancel: params.cancel,
            abandonable: false,
            rate: params.rate_limit,
            tokens: params.rate_limit.unwrap_or(0.0),
            refilled_at: SimTime::ZERO,
            failure: params.failure,
            slow: 1.0,
            rng_latency: stream(seed, id, Purpose::Latency),
            rng_failure: stream(seed, id, Purpose::Failures),
        }
    }

    pub fn limit(&self) -> Option<u64> {
        (self.limit != u64::MAX).then_some(self.limit)
    }

    pub fn held(&self) -> u64 {
        self.busy + self.waiting.len() as u64
    }

    /// New latency, failure rate and rate limit from now on.
    pub fn retune(&mut self, params: &ServiceParams) {
        self.latency = params.latency.sampler();
        self.failure = params.failure;
        self.rate = params.rate_limit;
        self.cancel = params.cancel;
    }

    /// Multiplies latencies from now on (slow-down faults).
    pub fn scale_latency(&mut self, factor: f64) {
        self.slow *= factor;
    }

    /// Takes a token from the bucket, if the rate limit allows a call now.
    fn admit(&mut self, now: SimTime) -> bool {
        let Some(rate) = self.rate else { return true };
        let elapsed = (now - self.refilled_at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate).min(rate.max(1.0));
        self.refilled_at = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }
}

impl Simulation {
    /// `caller` calls `service` about `msg`; the answer comes back through
    /// [`Simulation::consumer_call_done`]. With a call timeout, the caller
    /// stops waiting after `timeout` (see [`Simulation::consumer_call_timeout`]).
    pub(crate) fn service_call(
        &mut self,
        service: NodeIx,
        caller: NodeIx,
        msg: MsgId,
        timeout: Option<Duration>,
    ) {
        let s = self.topo[service].slot;
        let now = self.now;
        self.touch(service);
        self.stats[service].arrived += 1;
        if self.is_down(service) {
            self.stats[service].failed_calls += 1;
            self.service_refused(service, msg);
            self.consumer_call_done(caller, msg, false);
            return;
        }
        if !self.services[s].admit(now) {
            self.stats[service].rejected += 1;
            self.stats[service].failed_calls += 1;
            self.service_refused(service, msg);
            self.consumer_call_done(caller, msg, false);
            return;
        }
        self.calls_made = self.calls_made.wrapping_add(1).max(1);
        let call = self.calls_made;
        let m = self.msgs.get_mut(msg);
        m.caller = caller;
        m.call = call;
        if let Some(timeout) = timeout {
            self.schedule(
                now + timeout,
                Ev::CallTimeout {
                    node: caller,
                    msg,
                    call,
                },
            );
        }
        if self.services[s].busy < self.services[s].limit {
            self.service_start(service, msg, call, now, false);
        } else {
            self.journey_hop(msg, service, HopKind::Wait);
            self.services[s].waiting.push_back((msg, call, now));
            let depth = self.services[s].waiting.len() as u64;
            self.stats[service].depth.set(now, depth);
        }
    }

    /// The call about `msg` never started (the service is down or over its
    /// rate limit): a zero-length hop says so.
    fn service_refused(&mut self, service: NodeIx, msg: MsgId) {
        let (attempt, outcome) = (self.next_attempt(msg), Outcome::Rejected);
        self.journey_hop(msg, service, HopKind::Process { attempt, outcome });
    }

    /// Starts `call` about `msg`, waiting since `since`; `abandoned`: its
    /// caller stopped waiting for it meanwhile.
    fn service_start(
        &mut self,
        service: NodeIx,
        msg: MsgId,
        call: u32,
        since: SimTime,
        abandoned: bool,
    ) {
        if !abandoned {
            self.journey_process(msg, service);
        }
        let s = self.topo[service].slot;
        let now = self.now;
        let rt = &mut self.services[s];
        rt.busy += 1;
        let busy = rt.busy;
        rt.running.insert(call, Running { abandoned });
        rt.abandoned += u64::from(abandoned);
        let wasted = rt.abandoned;
        let mut latency = rt.latency.sample(&mut rt.rng_latency);
        latency = crate::dist::scaled(latency, rt.slow);
        let stats = &mut self.stats[service];
        stats.busy.set(now, busy);
        if abandoned {
            stats.wasted.set(now, wasted);
        }
        stats.wait.record(now - since);
        // The whole call, waiting included, is known now.
        stats.record_sojourn((now - since) + latency);
        self.schedule(now + latency, Ev::CallDone { service, msg, call });
    }

    pub(crate) fn service_done(&mut self, service: NodeIx, msg: MsgId, call: u32) {
        let s = self.topo[service].slot;
        let now = self.now;
        let rt = &mut self.services[s];
        // A call cancelled at once is no longer running.
        let Some(running) = rt.running.remove(&call) else {
            return;
        };
        rt.busy -= 1;
        rt.abandoned -= u64::from(running.abandoned);
        let (busy, wasted) = (rt.busy, rt.abandoned);
        let failed =
            rt.failure > 0.0 && (rt.failure >= 1.0 || unit(&mut rt.rng_failure) < rt.failure);
        let stats = &mut self.stats[service];
        stats.busy.set(now, busy);
        if running.abandoned {
            stats.wasted.set(now, wasted);
        }
        stats.departed += 1;
        stats.failed_calls += u64::from(failed);
        if !running.abandoned {
            let m = self.msgs.get_mut(msg);
            m.call = 0;
            let caller = m.caller;
            self.consumer_call_done(caller, msg, !failed);
        }
        self.service_next(service);
    }

    /// A slot is free: the next waiting call starts. A call whose caller
    /// stopped waiting starts all the same, unless the service cancels
    /// such calls.
    fn service_next(&mut self, service: NodeIx) {
        let s = self.topo[service].slot;
        let now = self.now;
        while let Some((next, call, since)) = self.services[s].waiting.pop_front() {
            let depth = self.services[s].waiting.len() as u64;
            self.stats[service].depth.set(now, depth);
            let abandoned = self.msgs.get(next).call != call;
            if abandoned && self.services[s].cancel != Cancel::Never {
                self.stats[service].cancelled += 1;
                continue;
            }
            self.service_start(service, next, call, since, abandoned);
            break;
        }
    }

    /// The caller of `call` stopped waiting for it (a timeout, a crash):
    /// a running call goes on for nobody, or stops if the service cancels
    /// at once; a waiting one is dealt with when its turn comes.
    pub(crate) fn service_abandon(&mut self, service: NodeIx, call: u32) {
        let s = self.topo[service].slot;
        let now = self.now;
        self.stats[service].abandoned += 1;
        let rt = &mut self.services[s];
        // (A call timeout set during a live run makes a service abandonable
        // that was not when the run started.)
        rt.abandonable = true;
        let Some(running) = rt.running.get_mut(&call) else {
            return;
        };
        if rt.cancel == Cancel::AtOnce {
            rt.running.remove(&call);
            rt.busy -= 1;
            let busy = rt.busy;
            let stats = &mut self.stats[service];
            stats.cancelled += 1;
            stats.busy.set(now, busy);
            self.service_next(service);
        } else {
            running.abandoned = true;
            rt.abandoned += 1;
            let wasted = rt.abandoned;
            self.stats[service].wasted.set(now, wasted);
        }
    }
}

impl crate::nodes::KindSpec for ServiceParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Service;
    const KEY: &'static str = "service";
    const LABEL: &'static str = "service";
    const PLURAL: &'static str = "services";
    const SERIES: &'static [crate::series::Metric] = {
        use crate::series::Metric::{
            Busy, Depth, Dropped, LatencyP50, LatencyP99, ThroughputIn, ThroughputOut,
        };
        &[
            ThroughputIn,
            ThroughputOut,
            Depth,
            Busy,
            LatencyP50,
            LatencyP99,
            Dropped,
        ]
    };
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit {
        wait: true,
        sojourn: true,
        end_to_end: false,
        lag: false,
        lag_time: false,
        staleness: false,
    };
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH_SLOW;
    const PROCESSES: bool = false;
    const DOT: (&'static str, &'static str) = ("component", "#d4e6f1");
    const MERMAID: (&'static str, &'static str) = ("[[", "]]");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        let mut out = vec![crate::export::dist_text(&self.latency)];
        if let Some(c) = self.concurrency {
            out.push(format!("concurrency {c}"));
        }
        if let Some(r) = self.rate_limit {
            out.push(format!("rate limit {r}/s"));
        }
        if self.failure > 0.0 {
            out.push(format!("fails {}%", self.failure * 100.0));
        }
        out
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        use crate::insights::Limit;
        let mut limits = Vec::new();
        if let Some(c) = self.concurrency {
            limits.push(Limit::Concurrency(c));
        }
        if let Some(r) = self.rate_limit {
            limits.push(Limit::Rate {
                per_s: r,
                metric: "arrived",
            });
        }
        limits
    }

    fn emitted(&self) -> Option<Vec<String>> {
        None
    }

    fn instant(&self) -> bool {
        false
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.inputs == 0 {
            w.warning("no consumer calls this service");
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::End
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        (self.concurrency != new.concurrency).then_some("its concurrency changed")
    }
}

impl crate::nodes::Runtime for ServiceParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.services.push(ServiceRt::new(self, cx.seed, cx.id));
        sim.services.len() - 1
    }

    fn retune(&self, sim: &mut Simulation, _node: NodeIx, slot: Slot) {
        sim.services[slot].retune(self);
    }

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.services[slot].held()
    }

    fn down(_sim: &mut Simulation, _node: NodeIx) {}

    fn up(_sim: &mut Simulation, _node: NodeIx) {}

    fn slow(sim: &mut Simulation, _node: NodeIx, slot: Slot, factor: f64) {
        sim.services[slot].scale_latency(factor);
    }

    fn reset(_sim: &mut Simulation, _now: SimTime) {}

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        let service = &sim.services[topo.slot];
        r.count("failed_calls", st.failed_calls);
        r.count("rejected", st.rejected);
        r.level("mean_depth", "max_depth", &st.depth, end);
        r.busy(&st.busy, service.limit().map(crate::report::slots), end);
        r.latency("wait_s", &st.wait.summary());
        r.latency("sojourn_s", &st.sojourn.summary());
        if service.abandonable {
            r.count("abandoned", st.abandoned);
            r.count("cancelled", st.cancelled);
            // The share of the busy time spent on calls nobody waits for.
            let busy = st.busy.mean(end);
            r.real(
                "wasted_fraction",
                if busy > 0.0 {
                    st.wasted.mean(end) / busy
                } else {
                    0.0
                },
            );
        }
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        let s = &sim.services[slot];
        (s.held(), s.limit())
    }
}

impl crate::export::KindExport for ServiceParams {
    const ASYNCAPI_CHANNEL: bool = true;

    fn asyncapi_channel_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    fn asyncapi_receive_bindings(&self, _reader: &Node) -> Option<Value> {
        None
    }

    fn asyncapi_send_bindings(&self, _model: &Model, _n: NodeIndex) -> Option<Value> {
        None
    }

    const TERRAFORM_SEND: &'static str = ", outside these resources";

    /// No AWS mapping: a service is an external dependency.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.outside(
            out,
            n,
            "Service",
            "an external dependency that consumers call; no resource",
        );
    }

    /// No Kafka topic: a service answers calls.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::metric as get;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    fn run(consumer: &str, service: &str, faults: &str, duration: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "calls",
                scenario: (duration: "{duration}", seed: 6, faults: [{faults}]),
                nodes: [
                    (id: "src", kind: Producer(arrival: Poisson(rate: 50.0))),
                    (id: "q", kind: Queue()),
                    (id: "srv", kind: Consumer({consumer})),
                    (id: "api", kind: Service({service})),
                    (id: "dlq", kind: DeadLetter()),
                ],
                edges: [(from: "src", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "api"), (from: "srv", to: "dlq")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        run_once(&model, 6).expect("runs")
    }

    #[test]
    fn a_call_holds_the_slot_for_the_service_latency() {
        let r = run(
            r#"instances: 4, service: Constant("10ms")"#,
            r#"latency: Constant("20ms")"#,
            "",
            "100s",
        );
        assert!((get(&r, "srv", "sojourn_s.mean") - 0.030).abs() < 1e-9);
        // 50/s × 30 ms = 1.5 busy slots of 4.
        assert!(
            (get(&r, "srv", "utilization") - 0.375).abs() < 0.02,
            "{}",
            get(&r, "srv", "utilization")
        );
        assert!((get(&r, "api", "sojourn_s.mean") - 0.020).abs() < 1e-9);
    }

    #[test]
    fn a_concurrency_limit_makes_calls_wait() {
        // One call at a time, 15 ms each, 50/s: an M/D/1 at ρ = 0.75 inside
        // the service. Wq = ρ / (2μ(1 − ρ)) = 22.5 ms.
        let r = run(
            r#"instances: 8, service: Constant("1ms")"#,
            r#"latency: Constant("15ms"), concurrency: 1"#,
            "",
            "2000s",
        );
        let wait = get(&r, "api", "wait_s.mean");
        assert!((wait - 0.0225).abs() < 0.002, "wait {wait}");
        assert!((get(&r, "api", "utilization") - 0.75).abs() < 0.02);
    }

    #[test]
    fn a_rate_limit_rejects_the_excess() {
        let r = run(
            r#"instances: 4, service: Constant("1ms")"#,
            r#"latency: Constant("1ms"), rate_limit: 25.0"#,
            "",
            "200s",
        );
        let (calls, rejected) = (get(&r, "api", "arrived"), get(&r, "api", "rejected"));
        // 50/s offered, 25/s allowed.
        assert!(
            (rejected / calls - 0.5).abs() < 0.03,
            "{rejected} of {calls}"
        );
        assert!(r.conservation.balanced());
    }

    #[test]
    fn a_breaker_stops_calls_to_a_service_that_is_down() {
        let consumer = |breaker: &str| {
            format!(
                r#"instances: 4, service: Constant("1ms"),
                retry: Fixed(delay: "100ms", max_attempts: 5){breaker}"#
            )
        };
        let outage = r#"(at: "60s", duration: "60s", node: "api", effect: Crash)"#;
        let plain = run(
            &consumer(""),
            r#"latency: Constant("10ms")"#,
            outage,
            "240s",
        );
        let guarded = run(
            &consumer(
                r#", breaker: (failure_rate: 0.5, window: 20, min_calls: 10, open_for: "5s", probes: 2)"#,
            ),
            r#"latency: Constant("10ms")"#,
            outage,
            "240s",
        );
        // Without a breaker every attempt during the outage hits the service.
        let (plain_calls, guarded_calls) = (
            get(&plain, "api", "arrived"),
            get(&guarded, "api", "arrived"),
        );
        assert!(
            guarded_calls < plain_calls - 5_000.0,
            "calls {guarded_calls} vs {plain_calls}"
        );
        assert!(get(&guarded, "srv", "fast_failed") > 5_000.0);
        let opens = get(&guarded, "srv", "breaker_opens");
        // It opens at the outage and again after each failed probe.
        assert!(opens >= 2.0, "opens {opens}");
        let open = get(&guarded, "srv", "breaker_open_fraction");
        assert!(
            (open - 0.25).abs() < 0.05,
            "open {open} of the time (60 s of 240 s)"
        );
        assert!(plain.conservation.balanced() && guarded.conservation.balanced());
    }

    #[test]
    fn a_call_timeout_abandons_slow_calls_and_the_service_works_on() {
        // Latency uniform on 0–100 ms against a 50 ms call timeout: half the
        // calls are abandoned, and the service spends E[(L − 50 ms)⁺] =
        // 12.5 ms of each call's 50 ms mean on nobody: a quarter of its
        // busy time.
        let r = run(
            r#"instances: 8, service: Constant("1ms"), call_timeout: "50ms",
               retry: Fixed(delay: "10ms", max_attempts: 3)"#,
            r#"latency: Uniform(min: "0ms", max: "100ms")"#,
            "",
            "400s",
        );
        let (calls, abandoned) = (get(&r, "api", "arrived"), get(&r, "api", "abandoned"));
        assert!(
            (abandoned / calls - 0.5).abs() < 0.02,
            "{abandoned} of {calls}"
        );
        assert_eq!(get(&r, "srv", "call_timeouts"), abandoned);
        assert_eq!(get(&r, "api", "cancelled"), 0.0);
        let wasted = get(&r, "api", "wasted_fraction");
        assert!((wasted - 0.25).abs() < 0.02, "wasted {wasted}");
        // Three attempts each timing out with probability ½: ⅛ dead-lettered.
        let lost = get(&r, "srv", "dead_lettered") / get(&r, "src", "arrived");
        assert!((lost - 0.125).abs() < 0.02, "dead-lettered {lost}");
        assert!(r.conservation.balanced());
    }

    #[test]
    fn cancellation_stops_abandoned_calls() {
        let consumer = r#"instances: 8, service: Constant("1ms"), call_timeout: "50ms",
               retry: Fixed(delay: "10ms", max_attempts: 3)"#;
        let service = |cancel: &str| {
            format!(r#"latency: Uniform(min: "0ms", max: "100ms"), cancel: {cancel}"#)
        };
        let at_once = run(consumer, &service("AtOnce"), "", "400s");
        assert_eq!(get(&at_once, "api", "wasted_fraction"), 0.0);
        assert_eq!(
            get(&at_once, "api", "cancelled"),
            get(&at_once, "api", "abandoned")
        );
        // Busy time is the calls' first 50 ms at most: E[min(L, 50 ms)] =
        // 37.5 ms, against 50 ms without cancellation.
        let plain = run(consumer, &service("Never"), "", "400s");
        let ratio = get(&at_once, "api", "mean_busy") / get(&plain, "api", "mean_busy");
        assert!((ratio - 0.75).abs() < 0.03, "busy ratio {ratio}");
        assert!(at_once.conservation.balanced());
    }

    #[test]
    fn calls_queued_past_their_timeout_are_skipped_only_if_the_service_cancels_them() {
        // One call at a time, 25 ms each, 50/s offered: ρ = 1.25, so the
        // line of calls grows and most wait past the 100 ms timeout.
        let consumer = r#"instances: 16, service: Constant("1ms"), call_timeout: "100ms""#;
        let service = |cancel: &str| {
            format!(r#"latency: Constant("25ms"), concurrency: 1, cancel: {cancel}"#)
        };
        let never = run(consumer, &service("Never"), "", "60s");
        let queued = run(consumer, &service("IfNotStarted"), "", "60s");
        // Without cancellation every accepted call is served in turn, for
        // nobody once its caller gave up.
        assert_eq!(get(&never, "api", "cancelled"), 0.0);
        assert!(get(&never, "api", "wasted_fraction") > 0.5);
        // Cancelling the calls that wait frees the service for calls whose
        // callers still wait: it answers many more of them in time.
        assert!(get(&queued, "api", "cancelled") > 100.0);
        let answered = |r: &RunResult| get(r, "srv", "completed");
        assert!(
            answered(&queued) > 2.0 * answered(&never),
            "{} vs {}",
            answered(&queued),
            answered(&never)
        );
        assert!(never.conservation.balanced() && queued.conservation.balanced());
    }
}
