//! A producer acting as a client: it waits for each request's journey to
//! end, and sends it again when no answer comes in time.
//!
//! Each send is a message of its own. The client waits `timeout` for the
//! journey of a send to end well (at a sink or a terminal consumer); past
//! it, it stops waiting for that send — which stays in the system and
//! still takes capacity — and, as its retry policy allows, sends the
//! request again after a backoff. A retry budget (a token bucket, as the
//! AWS SDKs' retry quota: each retry takes `cost` tokens, each answer
//! gives `refund` back) and a circuit breaker (open, requests fail at once
//! without being sent) keep a struggling system from being buried under
//! retries.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::BreakerParams;
use super::breaker::Breaker;
use super::consumer::RetryPolicy;
use crate::engine::{Ev, Msg, MsgId, NodeIx, Simulation, Slot};
use crate::metrics::DropReason;
use crate::rng::Stream;
use crate::time::{Duration, SimTime};

/// How a producer waits for its requests and tries them again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClientParams {
    /// How long the client waits for a send's journey to end.
    pub timeout: Duration,
    /// When and how often a request that got no answer is sent again
    /// (`max_attempts` counts every send, the first included).
    #[serde(default = "three_tries")]
    pub retry: RetryPolicy,
    /// A token bucket of retries: without tokens, a request that got no
    /// answer is given up instead of sent again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub budget: Option<RetryBudget>,
    /// A circuit breaker over the client's requests: open, a request fails
    /// at once without being sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub breaker: Option<BreakerParams>,
    /// Admission control: the most requests open at once (waited on or
    /// about to be sent again); a new request beyond it fails at once
    /// without being sent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_open: Option<u32>,
}

fn three_tries() -> RetryPolicy {
    RetryPolicy::Immediate {
        max_attempts: Some(3),
    }
}

/// A retry budget: a bucket of `capacity` tokens, full at the start; a
/// retry takes `cost`, an answer gives back `refund`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetryBudget {
    #[serde(default = "five_hundred")]
    pub capacity: u32,
    #[serde(default = "five")]
    pub cost: u32,
    #[serde(default = "one")]
    pub refund: u32,
}

const fn five_hundred() -> u32 {
    500
}
const fn five() -> u32 {
    5
}
const fn one() -> u32 {
    1
}

impl Default for RetryBudget {
    fn default() -> Self {
        Self {
            capacity: 500,
            cost: 5,
            refund: 1,
        }
    }
}

impl ClientParams {
    pub fn problems(&self, out: &mut Vec<String>) {
        if self.timeout.is_zero() {
            out.push("the client's timeout must be longer than zero".to_owned());
        }
        super::check_durations(&[("the client's timeout", self.timeout)], out);
        let mut retry = Vec::new();
        self.retry.problems(&mut retry);
        out.extend(
            retry
                .into_iter()
                .map(|p| format!("the client's retry: {p}")),
        );
        if let Some(budget) = &self.budget {
            if budget.cost == 0 {
                out.push(
                    "the retry budget's cost must be at least 1 (a free retry needs no budget)"
                        .to_owned(),
                );
            }
            if budget.capacity < budget.cost {
                out.push(format!(
                    "the retry budget holds {} tokens, less than one retry's cost ({}): no retry could ever go out",
                    budget.capacity, budget.cost
                ));
            }
        }
        if let Some(breaker) = &self.breaker {
            out.extend(breaker.problems());
        }
        if self.max_open == Some(0) {
            out.push(
                "the client's max_open must be at least 1 (at 0 no request could be sent)"
                    .to_owned(),
            );
        }
    }
}

/// A request the client waits on.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Request {
    /// Sends so far, the first included.
    pub attempt: u32,
    /// Its event type's place among the producer's types, and its key.
    pub at: u32,
    pub key: u32,
    /// When the request was first made (the answer time starts here).
    pub first: SimTime,
    /// Its schema version (see `Msg::version`): a resend keeps it.
    pub version: u8,
}

/// A client during a run.
#[derive(Clone, Debug)]
pub(crate) struct ClientRt {
    timeout: Duration,
    retry: RetryPolicy,
    max_attempts: u32,
    /// Sends waited on, by send number (`Msg::request`).
    waiting: BTreeMap<u32, Request>,
    /// Requests whose retry is due after a backoff, by their last send's
    /// number.
    backing_off: BTreeMap<u32, Request>,
    /// The number the last send was given.
    sends: u32,
    budget: Option<(RetryBudget, u32)>,
    pub breaker: Option<Breaker>,
    max_open: u64,
    rng_backoff: Stream,
}

impl ClientRt {
    pub fn new(params: &ClientParams, rng_backoff: Stream) -> Self {
        Self {
            timeout: params.timeout,
            retry: params.retry.clone(),
            max_attempts: params.retry.max_attempts(),
            waiting: BTreeMap::new(),
            backing_off: BTreeMap::new(),
            sends: 0,
            budget: params.budget.clone().map(|b| {
                let full = b.capacity;
                (b, full)
            }),
            breaker: params.breaker.as_ref().map(Breaker::new),
            max_open: params.max_open.map_or(u64::MAX, u64::from),
            rng_backoff,
        }
    }

    /// Whether the client still waits for send number `send`.
    pub fn waits_for(&self, send: u32) -> bool {
        self.waiting.contains_key(&send)
    }

    pub fn limits_open(&self) -> bool {
        self.max_open != u64::MAX
    }

    pub fn has_budget(&self) -> bool {
        self.budget.is_some()
    }

    /// Requests waited on or backing off.
    pub fn open_requests(&self) -> u64 {
        (self.waiting.len() + self.backing_off.len()) as u64
    }

    /// Takes a retry's cost from the budget, if it holds enough.
    fn take_retry(&mut self) -> bool {
        match &mut self.budget {
            None => true,
            Some((budget, tokens)) => {
                if *tokens >= budget.cost {
                    *tokens -= budget.cost;
                    true
                } else {
                    false
                }
            }
        }
    }

    fn refund(&mut self) {
        if let Some((budget, tokens)) = &mut self.budget {
            *tokens = tokens.saturating_add(budget.refund).min(budget.capacity);
        }
    }

    fn next_send(&mut self) -> u32 {
        self.sends = self.sends.wrapping_add(1).max(1);
        self.sends
    }
}

impl Simulation {
    /// Whether the client producer at `slot` may send a new request now:
    /// fewer than `max_open` are open, and its breaker, if any, is not open.
    /// A refused request is counted.
    pub(crate) fn client_admits_new(&mut self, node: NodeIx, slot: Slot) -> bool {
        if let Some(client) = &self.producers[slot].client
            && client.open_requests() >= client.max_open
        {
            self.stats[node].rejected += 1;
            return false;
        }
        self.client_admits(node, slot)
    }

    /// Whether the breaker of the client producer at `slot`, if any, lets a
    /// request through now; a refused request is counted.
    pub(crate) fn client_admits(&mut self, node: NodeIx, slot: Slot) -> bool {
        let now = self.now;
        let Some(breaker) = self.producers[slot]
            .client
            .as_mut()
            .and_then(|c| c.breaker.as_mut())
        else {
            return true;
        };
        let (allowed, change) = breaker.allow(now);
        if let Some(state) = change {
            self.breaker_state(node, state);
        }
        if !allowed {
            self.stats[node].fast_failed += 1;
        }
        allowed
    }

    /// The client at `slot` sent `msg` for `request`: it waits for it
    /// from now on.
    pub(crate) fn client_sent(&mut self, slot: Slot, msg: MsgId, request: Request) {
        let now = self.now;
        let Some(client) = self.producers[slot].client.as_mut() else {
            return;
        };
        let send = client.next_send();
        client.waiting.insert(send, request);
        let (timeout, open) = (client.timeout, client.open_requests());
        self.msgs.get_mut(msg).request = send;
        let node = self.producers[slot].node;
        self.stats[node].busy.set(now, open);
        self.schedule(now + timeout, Ev::ClientTimeout { slot, send });
    }

    /// A message sent by the client at `source` completed its journey
    /// (`in_time`: by its deadline): if the client still waits for that
    /// send, the request is answered; if not, the work was for nobody,
    /// and the system's goodput leaves it out.
    #[cold]
    pub(crate) fn client_answer(&mut self, source: NodeIx, send: u32, in_time: bool) {
        let slot = self.topo[source].slot;
        let now = self.now;
        let waited = self.producers[slot]
            .client
            .as_mut()
            .and_then(|client| client.waiting.remove(&send));
        let (Some(request), Some(client)) = (waited, self.producers[slot].client.as_mut()) else {
            // Answered already, or given up on.
            self.system.unwanted += u64::from(in_time);
            return;
        };
        client.refund();
        let change = client.breaker.as_mut().and_then(|b| b.record(now, true));
        if let Some(state) = change {
            self.breaker_state(source, state);
        }
        let stats = &mut self.stats[source];
        stats.answered += 1;
        stats.record_sojourn(now - request.first);
        let open = self.producers[slot]
            .client
            .as_ref()
            .map_or(0, ClientRt::open_requests);
        self.stats[source].busy.set(now, open);
    }

    /// The client stopped waiting for `send`: it sends the request again
    /// after a backoff, if its retry policy, budget and breaker allow, or
    /// gives it up.
    pub(crate) fn client_timeout(&mut self, slot: Slot, send: u32) {
        let now = self.now;
        let node = self.producers[slot].node;
        let Some(client) = self.producers[slot].client.as_mut() else {
            return;
        };
        let Some(request) = client.waiting.remove(&send) else {
            return;
        };
        let change = client.breaker.as_mut().and_then(|b| b.record(now, false));
        self.stats[node].timeouts += 1;
        if let Some(state) = change {
            self.breaker_state(node, state);
        }
        self.client_retry_or_give_up(slot, node, send, request);
    }

    fn client_retry_or_give_up(&mut self, slot: Slot, node: NodeIx, send: u32, request: Request) {
        let now = self.now;
        let Some(client) = self.producers[slot].client.as_mut() else {
            return;
        };
        if request.attempt >= client.max_attempts {
            self.client_give_up(slot, node);
            return;
        }
        if !client.take_retry() {
            self.stats[node].budget_denied += 1;
            self.client_give_up(slot, node);
            return;
        }
        let delay = client
            .retry
            .delay_ns(request.attempt, &mut client.rng_backoff);
        client.backing_off.insert(send, request);
        self.schedule(now + Duration(delay), Ev::ClientResend { slot, send });
    }

    fn client_give_up(&mut self, slot: Slot, node: NodeIx) {
        let now = self.now;
        let open = self.producers[slot]
            .client
            .as_ref()
            .map_or(0, ClientRt::open_requests);
        let stats = &mut self.stats[node];
        stats.gave_up += 1;
        stats.busy.set(now, open);
    }

    /// A request's backoff is over: it is sent again, unless the producer
    /// is down or its breaker is open (then it is given up). A send the
    /// full downstream refuses is lost at once; the client learns of it
    /// by its timeout, as of any other.
    pub(crate) fn client_resend(&mut self, slot: Slot, send: u32) {
        let node = self.producers[slot].node;
        let Some(request) = self.producers[slot]
            .client
            .as_mut()
            .and_then(|c| c.backing_off.remove(&send))
        else {
            return;
        };
        if self.is_down(node) || !self.client_admits(node, slot) {
            self.client_give_up(slot, node);
            return;
        }
        let now = self.now;
        let at = request.at as usize;
        let p = &mut self.producers[slot];
        let (event_type, deadline) = (p.types[at].0, p.draw_deadline(at, now));
        let msg = self.producer_make(node, event_type, request.key, deadline, request.version);
        self.msgs.get_mut(msg).flags |= Msg::RESENT;
        self.stats[node].retries += 1;
        self.client_sent(
            slot,
            msg,
            Request {
                attempt: request.attempt.saturating_add(1),
                ..request
            },
        );
        if self.send_out(node, msg) {
            self.stats[node].departed += 1;
        } else {
            self.drop_msg(node, msg, DropReason::ProducerBlocked);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::metric as get;
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    /// A client at 20 requests a second before a worker of `service`
    /// (one slot unless `instances` says otherwise).
    fn run(client: &str, worker: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "client",
                scenario: (duration: "200s", seed: 2),
                nodes: [
                    (id: "app", kind: Producer(arrival: Poisson(rate: 20.0), client: ({client}))),
                    (id: "q", kind: Queue()),
                    (id: "srv", kind: Consumer({worker})),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "app", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = run_once(&model, 2).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    #[test]
    fn a_healthy_system_answers_every_request_once() {
        let r = run(
            r#"timeout: "2s""#,
            r#"instances: 4, service: Exponential(mean: "50ms")"#,
        );
        let requests = get(&r, "app", "arrived");
        // Every request but those still open at the end is answered.
        assert!(get(&r, "app", "answered") >= requests - 5.0);
        assert_eq!(get(&r, "app", "retries"), 0.0);
        assert_eq!(get(&r, "app", "retry_amplification"), 1.0);
        // The answer time is the journey: about the 50 ms of service.
        let answer = get(&r, "app", "answer_s.mean");
        assert!((answer - get(&r, "out", "end_to_end_s.mean")).abs() < 0.005);
        assert!((get(&r, "app", "answered_per_s") - 20.0).abs() < 1.0);
    }

    #[test]
    fn a_request_that_is_never_answered_in_time_is_sent_max_attempts_times() {
        // Every send takes 300 ms against a 200 ms timeout: each request is
        // sent three times, all for nobody, then given up.
        let r = run(
            r#"timeout: "200ms", retry: Fixed(delay: "50ms", max_attempts: 3)"#,
            r#"instances: 100, service: Constant("300ms")"#,
        );
        assert_eq!(get(&r, "app", "answered"), 0.0);
        let amplification = get(&r, "app", "retry_amplification");
        assert!((amplification - 3.0).abs() < 0.01, "{amplification}");
        // Each request is open for 700 ms: about 14 are at the end.
        let (requests, gave_up) = (get(&r, "app", "arrived"), get(&r, "app", "gave_up"));
        assert!(
            (0.0..30.0).contains(&(requests - gave_up)),
            "{gave_up} of {requests}"
        );
        // The work was done all the same: three completions per request.
        let done = get(&r, "out", "completed");
        assert!(
            (done / requests - 3.0).abs() < 0.02,
            "{done} for {requests}"
        );
        // Every edge on the way carries the three sends of each request.
        for (node, edge) in [("app", "app->q"), ("q", "q->srv"), ("srv", "srv->out")] {
            let per = get(&r, node, &format!("edges.{edge}.retry_amplification"));
            assert!((per - 3.0).abs() < 0.02, "{edge}: {per}");
        }
    }

    #[test]
    fn each_edge_reports_the_sends_again_it_carries() {
        // Half the requests are "slow" ones, routed to a worker that takes
        // 300 ms against the client's 200 ms timeout: each is sent three
        // times. The "fast" half is answered in 10 ms, sent once.
        let text = r#"(
            version: 1,
            name: "two lanes",
            scenario: (duration: "200s", warmup: "10s", seed: 4),
            nodes: [
                (id: "app", kind: Producer(arrival: Poisson(rate: 20.0),
                    events: [(name: "fast"), (name: "slow")],
                    client: (timeout: "200ms", retry: Immediate(max_attempts: 3)))),
                (id: "split", kind: Router()),
                (id: "quick", kind: Consumer(instances: 100, service: Constant("10ms"))),
                (id: "sluggish", kind: Consumer(instances: 100, service: Constant("300ms"))),
                (id: "out", kind: Sink()),
            ],
            edges: [
                (from: "app", to: "split"),
                (from: "split", to: "quick", filter: ["fast"]),
                (from: "split", to: "sluggish", filter: ["slow"]),
                (from: "quick", to: "out"),
                (from: "sluggish", to: "out"),
            ],
        )"#;
        let (model, _) = from_str(text).expect("loads");
        let r = run_once(&model, 4).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        let at =
            |node: &str, edge: &str| get(&r, node, &format!("edges.{edge}.retry_amplification"));
        // The client's own edge carries every send: two per request on
        // average (one or three).
        let first = at("app", "app->split");
        assert!(
            (first - get(&r, "app", "retry_amplification")).abs() < 1e-9,
            "{first}"
        );
        assert!((first - 2.0).abs() < 0.05, "{first}");
        // Past the router the sends again all go the slow way.
        assert_eq!(at("split", "split->quick"), 1.0);
        assert_eq!(get(&r, "split", "edges.split->quick.resent"), 0.0);
        assert!((at("split", "split->sluggish") - 3.0).abs() < 0.01);
        assert!((at("sluggish", "sluggish->out") - 3.0).abs() < 0.01);
        // Without a client that sends again, no edge reports any.
        let calm = text.replace("max_attempts: 3", "max_attempts: 1");
        let (model, _) = from_str(&calm).expect("loads");
        let r = run_once(&model, 4).expect("runs");
        assert!(
            r.nodes.iter().all(|n| n
                .metrics
                .iter()
                .all(|(path, _)| !path.starts_with("edges."))),
            "no edge metrics without sends again"
        );
    }

    #[test]
    fn a_retry_budget_runs_dry_and_refills_with_answers() {
        let r = run(
            r#"timeout: "200ms", retry: Immediate(max_attempts: 10),
               budget: (capacity: 50, cost: 5, refund: 1)"#,
            r#"instances: 100, service: Constant("300ms")"#,
        );
        // No answers, so no refunds: ten retries in all, then none.
        assert_eq!(get(&r, "app", "retries"), 10.0);
        assert!(get(&r, "app", "budget_denied") > 3_000.0);
    }

    #[test]
    fn admission_control_caps_the_open_requests() {
        // 20/s against a worker of 10/s: the open requests would grow
        // without bound; the client keeps at most 30.
        let r = run(
            r#"timeout: "10s", retry: None, max_open: 30"#,
            r#"service: Constant("100ms")"#,
        );
        assert!(get(&r, "app", "rejected") > 1_000.0);
        assert!(get(&r, "app", "mean_open_requests") <= 30.0);
        // What it admits is answered quickly: at most 30 wait ahead.
        assert!(get(&r, "app", "answer_s.max") < 3.5);
    }

    #[test]
    fn a_live_run_refuses_a_changed_client_and_takes_a_new_time_to_live() {
        use crate::Simulation;
        use crate::nodes::NodeKind;
        use crate::time::{Duration, SimTime};
        let (model, _) = from_str(
            r#"(
                version: 1,
                name: "live",
                scenario: (duration: "200s", seed: 2),
                nodes: [
                    (id: "app", kind: Producer(arrival: Poisson(rate: 20.0), client: (timeout: "1s"))),
                    (id: "q", kind: Queue()),
                    (id: "srv", kind: Consumer(instances: 4, service: Constant("300ms"))),
                    (id: "out", kind: Sink()),
                ],
                edges: [(from: "app", to: "q"), (from: "q", to: "srv"), (from: "srv", to: "out")],
            )"#,
        )
        .expect("loads");
        let mut sim = Simulation::new(&model, 2).expect("compiles");
        sim.run_until(SimTime::ZERO + Duration::from_secs(5))
            .expect("runs");
        // Sends so far, first ones and again: made without a deadline.
        let sent_before = get(&sim.result(), "app", "departed");
        let Some(NodeKind::Producer(before)) = sim.node_params("app").cloned() else {
            panic!("a producer")
        };
        // The requests open were made under the client's settings.
        let mut client = before.clone();
        if let Some(c) = client.client.as_mut() {
            c.timeout = Duration::from_millis(100);
        }
        assert!(
            sim.set_node_params("app", &NodeKind::Producer(client))
                .is_err()
        );
        // A time to live applies from now on: every message made from now
        // expires at a 100 ms deadline, before the 300 ms of service end.
        let mut ttl = before;
        ttl.ttl = Some(crate::dist::Dist::Constant(Duration::from_millis(100)));
        sim.set_node_params("app", &NodeKind::Producer(ttl))
            .expect("a time to live can change live");
        sim.run_until(SimTime::ZERO + Duration::from_secs(100))
            .expect("runs");
        let r = sim.result();
        assert!(get(&r, "srv", "expired") > 100.0);
        let completed = get(&r, "out", "completed");
        let in_time = get(&r, "out", "completed_in_time");
        assert!(completed > sent_before + 500.0);
        assert!(
            in_time <= sent_before,
            "{in_time} of {completed} in time, {sent_before} sent before the change"
        );
    }
}
