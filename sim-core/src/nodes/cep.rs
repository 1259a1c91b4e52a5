//! CEP: complex event processing over per-key windows.
//!
//! A CEP node watches the events that reach it, key by key (the key a
//! producer gave each event), and fires **rules**. Each rule, when it
//! matches, emits one **derived event** of the rule's `emit` type
//! downstream.
//!
//! "Within T" always means *less than T apart*: two events exactly T apart
//! are not within T of each other. The rules:
//!
//! - `Count(event, at_least: N, window)`: N or more events of the type (any
//!   type if `event` is left out) in one window of the key.
//!   - `Tumbling(size: T)`: fixed windows `[kT, (k+1)T)` from time zero.
//!     The window is judged when it closes: at `(k+1)T` a window with N or
//!     more events fires once. Result delay: window end − its last event.
//!   - `Sliding(size: T)`: fires the moment the key has had N events less
//!     than T apart (the newest and the N-th newest). Result delay: zero.
//!   - `Session(gap: T)`: a session lasts while the key's events come less
//!     than T apart; T after its last event it closes, and fires once if it
//!     held N or more. Result delay: T.
//! - `FollowedBy(first: A, then: B, within: T)`: a B less than T after the
//!   key's latest unmatched A fires at once (result delay zero). A later A
//!   replaces an earlier one that is still waiting.
//! - `NotFollowedBy(first: A, then: B, within: T)`: an A starts a wait of
//!   T; a B less than T after it cancels the wait; when T has passed with
//!   no B, the rule fires (a timer event; result delay T, counted from the
//!   A). Further A's during a wait join it.
//!
//! A match **consumes** the events that made it: a count starts again from
//! zero, an A that was followed is used up. Each derived event is a new
//! message (counted in `conservation.derived`), created at the emission
//! (end-to-end latency downstream starts there), with the key of the
//! events that made it.
//!
//! **Input events are consumed**: every event that reaches a CEP node ends
//! its journey there and is counted as `completed` at the node, matched or
//! not. Only derived events go on.
//!
//! **Memory** is bounded: a key has state only while one of its windows or
//! waits is open, and expiry timers remove it when that ends. A sliding
//! count keeps at most the N newest times; every other rule a few numbers.
//! At most `max_keys` keys have state at once; events of further keys are
//! not matched and are counted as `untracked`.
//!
//! When a downstream stage is full and blocks, derived events wait in the
//! node, which refuses new input meanwhile (backpressure). A crash loses
//! the windows (the state is in memory) and refuses input until it ends.

use std::collections::{BTreeMap, VecDeque};

use petgraph::stable_graph::NodeIndex;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::{Ev, Msg, MsgId, NodeIx, Origin, Simulation, Slot};
use crate::export::terraform::Terraform;
use crate::metrics::{Latency, Level};
use crate::model::{Model, Node};
use crate::time::{Duration, SimTime};

/// A CEP node's parameters.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CepParams {
    /// The patterns to detect, each with the event type it emits.
    pub rules: Vec<CepRule>,
    /// Most keys with open windows at once (default 10 000).
    #[serde(
        default = "default_max_keys",
        skip_serializing_if = "is_default_max_keys"
    )]
    pub max_keys: u32,
}

const fn default_max_keys() -> u32 {
    10_000
}
#[expect(
    clippy::trivially_copy_pass_by_ref,
    reason = "serde's skip_serializing_if signature"
)]
const fn is_default_max_keys(v: &u32) -> bool {
    *v == default_max_keys()
}

impl Default for CepParams {
    fn default() -> Self {
        Self {
            rules: vec![CepRule {
                name: "burst".to_owned(),
                pattern: Pattern::Count {
                    event: None,
                    at_least: 3,
                    window: Window::Sliding {
                        size: Duration::from_secs(1),
                    },
                },
                emit: "burst".to_owned(),
            }],
            max_keys: default_max_keys(),
        }
    }
}

/// One rule: a pattern, and the type of the event it emits on a match.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CepRule {
    /// Names the rule in the report (`rules.<name>.matches`).
    pub name: String,
    pub pattern: Pattern,
    /// The event type of the derived events.
    pub emit: String,
}

/// What a rule looks for, per key.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Pattern {
    /// At least `at_least` events of type `event` (any type when left out)
    /// in one window.
    Count {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        event: Option<String>,
        at_least: u32,
        window: Window,
    },
    /// A `then` less than `within` after a `first`.
    FollowedBy {
        first: String,
        then: String,
        within: Duration,
    },
    /// A `first` with no `then` in the `within` that follows it.
    NotFollowedBy {
        first: String,
        then: String,
        within: Duration,
    },
}

/// The window a count rule counts in.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub enum Window {
    /// Fixed, back-to-back windows of `size` from time zero.
    Tumbling { size: Duration },
    /// The last `size` before each event.
    Sliding { size: Duration },
    /// Runs of events less than `gap` apart.
    Session { gap: Duration },
}

impl Window {
    /// Its length (the gap of a session).
    pub const fn span(self) -> Duration {
        match self {
            Self::Tumbling { size } | Self::Sliding { size } => size,
            Self::Session { gap } => gap,
        }
    }

    /// The lower-case name (`"tumbling"`).
    pub const fn key(self) -> &'static str {
        match self {
            Self::Tumbling { .. } => "tumbling",
            Self::Sliding { .. } => "sliding",
            Self::Session { .. } => "session",
        }
    }
}

impl Pattern {
    /// The event types the pattern reads.
    pub fn inputs(&self) -> Vec<&str> {
        match self {
            Self::Count { event, .. } => event.iter().map(String::as_str).collect(),
            Self::FollowedBy { first, then, .. } | Self::NotFollowedBy { first, then, .. } => {
                vec![first.as_str(), then.as_str()]
            }
        }
    }
}

impl CepParams {
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.rules.is_empty() {
            out.push("a CEP node needs at least one rule".to_owned());
        }
        if self.max_keys == 0 {
            out.push("max_keys must be at least 1".to_owned());
        }
        super::check_at_most(
            "max_keys",
            self.max_keys,
            super::limits::MAX_CEP_KEYS,
            &mut out,
        );
        let mut names: Vec<&str> = Vec::new();
        for rule in &self.rules {
            let name = rule.name.as_str();
            if name.trim().is_empty() {
                out.push("a rule needs a name".to_owned());
            } else if name.contains('.') {
                out.push(format!(
                    "rule '{name}': a rule's name cannot contain '.' (it names report metrics)"
                ));
            } else if names.contains(&name) {
                out.push(format!(
                    "two rules are named '{name}'; names must be unique"
                ));
            }
            names.push(name);
            if rule.emit.trim().is_empty() {
                out.push(format!(
                    "rule '{name}' needs the event type it emits (emit)"
                ));
            }
            match &rule.pattern {
                Pattern::Count {
                    event,
                    at_least,
                    window,
                } => {
                    if *at_least == 0 {
                        out.push(format!("rule '{name}': at_least must be at least 1"));
                    }
                    super::check_at_most(
                        &format!("rule '{name}': at_least"),
                        *at_least,
                        super::limits::MAX_CEP_COUNT,
                        &mut out,
                    );
                    super::check_durations(
                        &[(
                            &format!("rule '{name}': the {} window", window.key()),
                            window.span(),
                        )],
                        &mut out,
                    );
                    if window.span().is_zero() {
                        out.push(format!(
                            "rule '{name}': the {} window must be longer than zero",
                            window.key()
                        ));
                    }
                    if event.as_ref().is_some_and(|e| e.trim().is_empty()) {
                        out.push(format!(
                            "rule '{name}': name the event type to count, or leave event out to count all"
                        ));
                    }
                }
                Pattern::FollowedBy {
                    first,
                    then,
                    within,
                }
                | Pattern::NotFollowedBy {
                    first,
                    then,
                    within,
                } => {
                    if within.is_zero() {
                        out.push(format!("rule '{name}': within must be longer than zero"));
                    }
                    super::check_durations(
                        &[(&format!("rule '{name}': within"), *within)],
                        &mut out,
                    );
                    if first == then {
                        out.push(format!(
                            "rule '{name}': first and then are both '{first}'; a sequence needs two event types"
                        ));
                    }
                    if first.trim().is_empty() || then.trim().is_empty() {
                        out.push(format!(
                            "rule '{name}': first and then must name event types"
                        ));
                    }
                }
            }
        }
        out
    }
}

/// A compiled pattern: event types as ids, durations of at least 1 ns.
#[derive(Clone, Copy, Debug)]
enum PatternRt {
    Tumbling {
        ty: Option<u16>,
        n: u64,
        size: Duration,
    },
    Sliding {
        ty: Option<u16>,
        n: u64,
        size: Duration,
    },
    Session {
        ty: Option<u16>,
        n: u64,
        gap: Duration,
    },
    FollowedBy {
        a: u16,
        b: u16,
        within: Duration,
    },
    NotFollowedBy {
        a: u16,
        b: u16,
        within: Duration,
    },
}

/// A rule during a run, with its measurements.
#[derive(Clone, Debug)]
pub(crate) struct RuleRt {
    pub name: String,
    pattern: PatternRt,
    emit: u16,
    pub matches: u64,
    pub delay: Latency,
}

/// One key's state for one rule.
#[derive(Clone, Debug, Default)]
struct KeyState {
    /// A window or wait is open.
    active: bool,
    /// Window start (tumbling), session start, or the A that started a wait.
    start: SimTime,
    /// The newest event that counted.
    last: SimTime,
    count: u64,
    /// A sliding count's newest times (at most N).
    times: VecDeque<SimTime>,
    /// The token of the state's live timer in the calendar, if any; a
    /// timer whose token is not this one is stale and ignored.
    timer: Option<u32>,
}

impl KeyState {
    fn clear(&mut self) {
        self.active = false;
        self.count = 0;
        self.times.clear();
        self.timer = None;
    }
}

/// A CEP node during a run.
#[derive(Clone, Debug)]
pub(crate) struct CepRt {
    pub rules: Vec<RuleRt>,
    keys: BTreeMap<u32, Vec<KeyState>>,
    max_keys: usize,
    /// Derived events waiting for room downstream.
    outbox: VecDeque<MsgId>,
    /// Open windows and waits over all keys.
    open: u64,
    /// The next timer token (unique per node, so a stale timer never
    /// matches a later window).
    next_token: u32,
    pub untracked: u64,
    pub active_keys: Level,
    pub open_windows: Level,
}

impl CepRt {
    pub fn new(params: &CepParams, type_id: &mut dyn FnMut(&str) -> u16) -> Self {
        let rules = params
            .rules
            .iter()
            .map(|rule| {
                let pattern = match &rule.pattern {
                    Pattern::Count {
                        event,
                        at_least,
                        window,
                    } => {
                        let ty = event.as_deref().map(&mut *type_id);
                        let n = u64::from(*at_least).max(1);
                        match *window {
                            Window::Tumbling { size } => PatternRt::Tumbling {
                                ty,
                                n,
                                size: size.max(Duration(1)),
                            },
                            Window::Sliding { size } => PatternRt::Sliding {
                                ty,
                                n,
                                size: size.max(Duration(1)),
                            },
                            Window::Session { gap } => PatternRt::Session {
                                ty,
                                n,
                                gap: gap.max(Duration(1)),
                            },
                        }
                    }
                    Pattern::FollowedBy {
                        first,
                        then,
                        within,
                    } => PatternRt::FollowedBy {
                        a: type_id(first),
                        b: type_id(then),
                        within: (*within).max(Duration(1)),
                    },
                    Pattern::NotFollowedBy {
                        first,
                        then,
                        within,
                    } => PatternRt::NotFollowedBy {
                        a: type_id(first),
                        b: type_id(then),
                        within: (*within).max(Duration(1)),
                    },
                };
                RuleRt {
                    name: rule.name.clone(),
                    pattern,
                    emit: type_id(&rule.emit),
                    matches: 0,
                    delay: Latency::new(),
                }
            })
            .collect();
        Self {
            rules,
            keys: BTreeMap::new(),
            max_keys: params.max_keys.max(1) as usize,
            outbox: VecDeque::new(),
            open: 0,
            next_token: 0,
            untracked: 0,
            active_keys: Level::default(),
            open_windows: Level::default(),
        }
    }

    /// Derived events waiting for room downstream.
    pub fn held(&self) -> u64 {
        self.outbox.len() as u64
    }

    /// Warm-up deletion of the node's own measurements.
    pub fn reset(&mut self, now: SimTime) {
        for rule in &mut self.rules {
            rule.matches = 0;
            rule.delay.clear();
        }
        self.untracked = 0;
        self.active_keys.reset(now);
        self.open_windows.reset(now);
    }

    /// Forgets every window (a crash).
    fn forget(&mut self, now: SimTime) {
        self.keys.clear();
        self.open = 0;
        self.active_keys.set(now, 0);
        self.open_windows.set(now, 0);
    }
}

/// What a rule's step asks of the engine.
#[derive(Clone, Copy)]
enum Action {
    Nothing,
    /// Fire with this result delay.
    Fire(Duration),
    /// Schedule the slot's timer at this time.
    Timer(SimTime),
    /// Fire, and schedule a timer for what remains.
    FireThenTimer(Duration, SimTime),
}

impl Simulation {
    fn cep_slot(&self, node: NodeIx) -> Slot {
        self.topo[node].slot
    }

    /// A CEP node takes input unless derived events wait in it or it is down.
    pub(crate) fn cep_accepts(&self, node: NodeIx) -> bool {
        self.ceps[self.cep_slot(node)].outbox.is_empty() && !self.is_down(node)
    }

    /// An event reaches the node: it is consumed here, and each rule looks
    /// at it.
    pub(crate) fn cep_arrive(&mut self, node: NodeIx, msg: MsgId) {
        if self.is_down(node) {
            // It crossed a link with latency while the node went down.
            self.drop_msg(node, msg, crate::metrics::DropReason::NodeDown);
            return;
        }
        let Msg {
            event_type, key, ..
        } = *self.msgs.get(msg);
        self.complete(node, msg);
        let c = self.cep_slot(node);
        let now = self.now;
        let n_rules = self.ceps[c].rules.len();
        let cep = &mut self.ceps[c];
        if !cep.keys.contains_key(&key) {
            if cep.keys.len() >= cep.max_keys {
                cep.untracked += 1;
                return;
            }
            cep.keys.insert(key, vec![KeyState::default(); n_rules]);
        }
        for rule in 0..n_rules {
            let cep = &mut self.ceps[c];
            let pattern = cep.rules[rule].pattern;
            let Some(slot) = cep.keys.get_mut(&key).map(|slots| &mut slots[rule]) else {
                break;
            };
            let was_active = slot.active;
            let action = step_event(pattern, slot, now, event_type);
            let is_active = slot.active;
            self.cep_open_changed(c, was_active, is_active);
            self.cep_act(node, key, rule, action);
        }
        self.cep_tidy(c, key);
    }

    /// A rule's timer for a key is due.
    pub(crate) fn cep_timer(&mut self, node: NodeIx, key: u32, token: u32) {
        let c = self.cep_slot(node);
        let now = self.now;
        let cep = &mut self.ceps[c];
        // Tokens are unique per node: the slot holding this one is the
        // rule's; none holds it if the window moved on.
        let Some(slots) = cep.keys.get_mut(&key) else {
            return;
        };
        let Some(rule) = slots.iter().position(|s| s.timer == Some(token)) else {
            return;
        };
        let Some(pattern) = cep.rules.get(rule).map(|r| r.pattern) else {
            return;
        };
        let slot = &mut slots[rule];
        slot.timer = None;
        let was_active = slot.active;
        let action = step_timer(pattern, slot, now);
        let is_active = slot.active;
        self.cep_open_changed(c, was_active, is_active);
        self.cep_act(node, key, rule, action);
        self.cep_tidy(c, key);
    }

    fn cep_open_changed(&mut self, c: Slot, was: bool, is: bool) {
        let cep = &mut self.ceps[c];
        match (was, is) {
            (false, true) => cep.open += 1,
            (true, false) => cep.open -= 1,
            _ => return,
        }
        let open = cep.open;
        cep.open_windows.set(self.now, open);
    }

    fn cep_act(&mut self, node: NodeIx, key: u32, rule: usize, action: Action) {
        let (fire, timer) = match action {
            Action::Nothing => (None, None),
            Action::Fire(delay) => (Some(delay), None),
            Action::Timer(at) => (None, Some(at)),
            Action::FireThenTimer(delay, at) => (Some(delay), Some(at)),
        };
        if let Some(at) = timer {
            let c = self.cep_slot(node);
            let cep = &mut self.ceps[c];
            let token = cep.next_token;
            cep.next_token = cep.next_token.wrapping_add(1);
            if let Some(slot) = cep.keys.get_mut(&key).and_then(|slots| slots.get_mut(rule)) {
                slot.timer = Some(token);
            }
            self.schedule(at.max(self.now), Ev::CepTimer { node, key, token });
        }
        if let Some(delay) = fire {
            self.cep_fire(node, key, rule, delay);
        }
    }

    /// Drops a key whose windows are all closed; tracks the key count.
    fn cep_tidy(&mut self, c: Slot, key: u32) {
        let now = self.now;
        let cep = &mut self.ceps[c];
        if cep
            .keys
            .get(&key)
            .is_some_and(|slots| slots.iter().all(|s| !s.active && s.timer.is_none()))
        {
            cep.keys.remove(&key);
        }
        let keys = cep.keys.len() as u64;
        if keys != cep.active_keys.value() {
            cep.active_keys.set(now, keys);
        }
    }

    /// A rule matched: count it and emit its derived event.
    fn cep_fire(&mut self, node: NodeIx, key: u32, rule: usize, delay: Duration) {
        let c = self.cep_slot(node);
        let now = self.now;
        let r = &mut self.ceps[c].rules[rule];
        r.matches += 1;
        r.delay.record(delay);
        let event_type = r.emit;
        if self.topo[node].out.is_empty() {
            // Nowhere to send it: the match is counted, no event is made.
            return;
        }
        let lineage = self.ledger.new_id();
        let msg = self.alloc(
            node,
            Msg {
                lineage,
                created: now,
                node_in: now,
                wait_from: now,
                event_type,
                key,
                origin: Origin::PUSHED,
                source: node,
                ..Msg::default()
            },
        );
        self.totals.derived += 1;
        self.ceps[c].outbox.push_back(msg);
        self.cep_wake(node);
    }

    /// Sends waiting derived events on, in order, as far as there is room;
    /// then lets blocked senders try again.
    pub(crate) fn cep_wake(&mut self, node: NodeIx) {
        let c = self.cep_slot(node);
        while let Some(&msg) = self.ceps[c].outbox.front() {
            if !self.send_out(node, msg) {
                break;
            }
            self.ceps[c].outbox.pop_front();
            self.stats[node].departed += 1;
        }
        let held = self.ceps[c].held();
        self.stats[node].depth.set(self.now, held);
        if held == 0 && !self.is_down(node) {
            self.wake_waiters(node);
        }
    }

    /// A crash: the windows are lost.
    pub(crate) fn cep_crash(&mut self, node: NodeIx) {
        let c = self.cep_slot(node);
        let now = self.now;
        self.ceps[c].forget(now);
    }
}

/// Whether an event of type `ty` counts for a count rule on `want`.
fn counts(want: Option<u16>, ty: u16) -> bool {
    want.is_none_or(|w| w == ty)
}

/// A rule's state after an event of type `ty` at `now`.
fn step_event(pattern: PatternRt, slot: &mut KeyState, now: SimTime, ty: u16) -> Action {
    match pattern {
        PatternRt::Tumbling { ty: want, n, size } => {
            if !counts(want, ty) {
                return Action::Nothing;
            }
            let mut fired = None;
            if slot.active && now >= slot.start + size {
                // The window ended at this very instant and its timer has
                // not run yet: judge it now.
                if slot.count >= n {
                    fired = Some((slot.start + size) - slot.last);
                }
                slot.clear();
            }
            let mut timer = None;
            if !slot.active {
                slot.active = true;
                // The window `[kT, (k+1)T)` that holds `now`.
                slot.start = SimTime(now.as_nanos() / size.as_nanos() * size.as_nanos());
                slot.count = 0;
                timer = Some(slot.start + size);
            }
            slot.count += 1;
            slot.last = now;
            match (fired, timer) {
                (Some(d), Some(at)) => Action::FireThenTimer(d, at),
                (None, Some(at)) => Action::Timer(at),
                (Some(d), None) => Action::Fire(d),
                (None, None) => Action::Nothing,
            }
        }
        PatternRt::Sliding { ty: want, n, size } => {
            if !counts(want, ty) {
                return Action::Nothing;
            }
            slot.times.push_back(now);
            while slot.times.front().is_some_and(|&t| now - t >= size) {
                slot.times.pop_front();
            }
            while slot.times.len() as u64 > n {
                slot.times.pop_front();
            }
            if slot.times.len() as u64 >= n {
                slot.clear();
                return Action::Fire(Duration::ZERO);
            }
            slot.active = true;
            slot.last = now;
            match slot.times.front() {
                Some(&oldest) if slot.timer.is_none() => Action::Timer(oldest + size),
                _ => Action::Nothing,
            }
        }
        PatternRt::Session { ty: want, n, gap } => {
            if !counts(want, ty) {
                return Action::Nothing;
            }
            let mut fired = None;
            if slot.active && now - slot.last >= gap {
                // The session's gap ran out at this instant, before its timer.
                if slot.count >= n {
                    fired = Some(now - slot.last);
                }
                slot.clear();
            }
            if !slot.active {
                slot.active = true;
                slot.start = now;
                slot.count = 0;
            }
            slot.count += 1;
            slot.last = now;
            let timer = slot.timer.is_none().then_some(now + gap);
            match (fired, timer) {
                (Some(d), Some(at)) => Action::FireThenTimer(d, at),
                (None, Some(at)) => Action::Timer(at),
                (Some(d), None) => Action::Fire(d),
                (None, None) => Action::Nothing,
            }
        }
        PatternRt::FollowedBy { a, b, within } => {
            if ty == b {
                if slot.active && now - slot.last < within {
                    slot.clear();
                    return Action::Fire(Duration::ZERO);
                }
                return Action::Nothing;
            }
            if ty == a {
                slot.active = true;
                slot.last = now;
                if slot.timer.is_none() {
                    return Action::Timer(now + within);
                }
            }
            Action::Nothing
        }
        PatternRt::NotFollowedBy { a, b, within } => {
            if ty == b {
                if slot.active && now - slot.start < within {
                    // Followed in time: the wait is off.
                    slot.clear();
                }
                return Action::Nothing;
            }
            if ty == a {
                if slot.active {
                    slot.count += 1;
                    slot.last = now;
                    return Action::Nothing;
                }
                slot.active = true;
                slot.start = now;
                slot.last = now;
                slot.count = 1;
                return Action::Timer(now + within);
            }
            Action::Nothing
        }
    }
}

/// A rule's state when its timer for the slot is due at `now`.
fn step_timer(pattern: PatternRt, slot: &mut KeyState, now: SimTime) -> Action {
    if !slot.active {
        return Action::Nothing;
    }
    match pattern {
        PatternRt::Tumbling { n, size, .. } => {
            if now < slot.start + size {
                return Action::Timer(slot.start + size);
            }
            let fired = (slot.count >= n).then(|| now - slot.last);
            slot.clear();
            fired.map_or(Action::Nothing, Action::Fire)
        }
        PatternRt::Sliding { size, .. } => {
            while slot.times.front().is_some_and(|&t| now - t >= size) {
                slot.times.pop_front();
            }
            match slot.times.front() {
                Some(&oldest) => Action::Timer(oldest + size),
                None => {
                    slot.clear();
                    Action::Nothing
                }
            }
        }
        PatternRt::Session { n, gap, .. } => {
            if now - slot.last < gap {
                return Action::Timer(slot.last + gap);
            }
            let fired = (slot.count >= n).then(|| now - slot.last);
            slot.clear();
            fired.map_or(Action::Nothing, Action::Fire)
        }
        PatternRt::FollowedBy { within, .. } => {
            if now - slot.last < within {
                return Action::Timer(slot.last + within);
            }
            slot.clear();
            Action::Nothing
        }
        PatternRt::NotFollowedBy { within, .. } => {
            if now - slot.start < within {
                return Action::Timer(slot.start + within);
            }
            let delay = now - slot.start;
            slot.clear();
            Action::Fire(delay)
        }
    }
}

impl crate::nodes::KindSpec for CepParams {
    const KIND: crate::nodes::Kind = crate::nodes::Kind::Cep;
    const KEY: &'static str = "cep";
    const LABEL: &'static str = "CEP node";
    const PLURAL: &'static str = "CEP nodes";
    const SERIES: &'static [crate::series::Metric] =
        <crate::nodes::QueueParams as crate::nodes::KindSpec>::SERIES;
    const SLO: crate::nodes::SloFit = crate::nodes::SloFit::NONE;
    const FAULTS: crate::nodes::FaultFit = crate::nodes::FaultFit::CRASH;
    const PROCESSES: bool = true;
    const DOT: (&'static str, &'static str) = ("octagon", "#fadbd8");
    const MERMAID: (&'static str, &'static str) = ("(((", ")))");

    fn problems(&self) -> Vec<String> {
        Self::problems(self)
    }

    fn summary(&self) -> Vec<String> {
        self.rules
            .iter()
            .map(|rule| {
                format!(
                    "{}: {} → {}",
                    rule.name,
                    crate::export::pattern_text(&rule.pattern),
                    rule.emit
                )
            })
            .collect()
    }

    fn limits(&self) -> Vec<crate::insights::Limit> {
        Vec::new()
    }

    fn emitted(&self) -> Option<Vec<String>> {
        Some(self.rules.iter().map(|r| r.emit.clone()).collect())
    }

    fn instant(&self) -> bool {
        true
    }

    fn wiring(&self, w: &mut crate::nodes::Wiring<'_>) {
        if w.no_input() {
            return;
        }
        if w.data_out == 0 {
            w.warning(
                "the CEP node has no outputs: matches are counted, but no derived event is sent",
            );
        }
        for rule in &self.rules {
            for name in rule.pattern.inputs() {
                if !w.known_types.iter().any(|t| t == name) {
                    w.warning(format!(
                        "rule '{}' looks for event type '{name}', which no producer or CEP rule emits",
                        rule.name
                    ));
                }
            }
        }
    }

    fn theory(&self) -> crate::theory::Role<'_> {
        crate::theory::Role::Opaque(
            "complex event processing, which emits derived events by its rules".to_owned(),
        )
    }

    fn restart_reason(&self, new: &Self) -> Option<&'static str> {
        (self != new).then_some("its windows or rules changed")
    }
}

impl crate::nodes::Runtime for CepParams {
    fn compile(&self, sim: &mut Simulation, cx: &mut crate::engine::Compile<'_>) -> usize {
        sim.ceps
            .push(CepRt::new(self, &mut |name| cx.type_id(name)));
        sim.ceps.len() - 1
    }

    fn retune(&self, _sim: &mut Simulation, _node: NodeIx, _slot: Slot) {}

    fn held(sim: &Simulation, _node: NodeIx, slot: Slot) -> u64 {
        sim.ceps[slot].held()
    }

    fn down(sim: &mut Simulation, node: NodeIx) {
        sim.cep_crash(node);
    }

    fn up(sim: &mut Simulation, node: NodeIx) {
        sim.cep_wake(node);
    }

    fn slow(_sim: &mut Simulation, _node: NodeIx, _slot: Slot, _factor: f64) {}

    fn reset(sim: &mut Simulation, now: SimTime) {
        for cep in &mut sim.ceps {
            cep.reset(now);
        }
    }

    fn report(
        sim: &Simulation,
        topo: &crate::engine::NodeTopo,
        st: &crate::metrics::NodeStats,
        r: &mut crate::report::Recorder<'_>,
    ) {
        let end = r.end;
        let cep = &sim.ceps[topo.slot];
        r.count("completed", st.completed);
        r.count(
            "matches",
            cep.rules.iter().map(|rule| rule.matches).sum::<u64>(),
        );
        for rule in &cep.rules {
            r.count(&format!("rules.{}.matches", rule.name), rule.matches);
            r.real(
                &format!("rules.{}.matches_per_s", rule.name),
                r.per_s(rule.matches),
            );
            r.latency(
                &format!("rules.{}.result_delay_s", rule.name),
                &rule.delay.summary(),
            );
        }
        r.real("mean_active_keys", cep.active_keys.mean(end));
        r.count("max_active_keys", cep.active_keys.max());
        r.real("mean_open_windows", cep.open_windows.mean(end));
        r.count("max_open_windows", cep.open_windows.max());
        r.count("untracked", cep.untracked);
        r.level("mean_depth", "max_depth", &st.depth, end);
    }

    fn gauge(
        sim: &Simulation,
        slot: Slot,
        _st: &crate::metrics::NodeStats,
        _g: &mut crate::snapshot::Gauge,
    ) -> (u64, Option<u64>) {
        (sim.ceps[slot].held(), None)
    }
}

impl crate::export::KindExport for CepParams {
    /// No AsyncAPI counterpart: a channel its writers send to, keeping
    /// its parameters in `x-weir-node`.
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

    const TERRAFORM_SEND: &'static str = ", which has no AWS mapping (not mapped)";

    /// No AWS mapping: complex event processing is code in a stream processor.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        tf.no_mapping(
            out,
            n,
            "CEP node",
            "complex event processing; there is no AWS mapping for it (it would be code in a stream processor such as Managed Service for Apache Flink), so no resource is generated",
        );
    }

    /// No Kafka topic: a CEP node derives events; it stores none.
    fn kafka_topic(&self, _out: &mut String, _model: &Model, _n: NodeIndex) -> bool {
        false
    }
}

#[cfg(test)]
mod tests {
    use crate::model::file::from_str;
    use crate::{RunResult, run_once};

    /// Runs `nodes` (after a `cep` node with `rules`) for 20 s.
    fn run(nodes: &str, rules: &str, edges: &str) -> RunResult {
        let text = format!(
            r#"(
                version: 1,
                name: "cep",
                scenario: (duration: "20s", seed: 1),
                nodes: [
                    {nodes}
                    (id: "cep", kind: Cep(rules: [{rules}])),
                    (id: "alerts", kind: Sink()),
                ],
                edges: [{edges} (from: "cep", to: "alerts")],
            )"#
        );
        let (model, problems) = from_str(&text).expect("loads");
        assert!(problems.is_empty(), "{problems:?}");
        let r = run_once(&model, 1).expect("runs");
        assert!(r.conservation.balanced(), "{:?}", r.conservation);
        r
    }

    fn get(r: &RunResult, path: &str) -> f64 {
        crate::metric(r, "cep", path)
    }

    /// Events of type F at 1, 2, …, `n` s.
    fn every_second(n: u32) -> String {
        format!(
            r#"(id: "src", kind: Producer(arrival: Constant(rate: 1.0), events: [(name: "F")], limit: {n})),"#
        )
    }

    const FROM_SRC: &str = r#"(from: "src", to: "cep"),"#;

    #[test]
    fn a_sliding_count_needs_its_events_less_than_the_window_apart() {
        // 1 s, 2 s, 3 s: the first and third are exactly 2 s apart.
        let r = run(
            &every_second(3),
            r#"(name: "edge", pattern: Count(event: "F", at_least: 3, window: Sliding(size: "2s")), emit: "A"),
               (name: "inside", pattern: Count(event: "F", at_least: 3, window: Sliding(size: "2001ms")), emit: "B")"#,
            FROM_SRC,
        );
        assert_eq!(
            get(&r, "rules.edge.matches"),
            0.0,
            "exactly T apart is not within T"
        );
        assert_eq!(get(&r, "rules.inside.matches"), 1.0);
        assert_eq!(get(&r, "rules.inside.result_delay_s.max"), 0.0);
        // Every input is consumed at the node; each match made one event.
        assert_eq!(get(&r, "completed"), 3.0);
        assert_eq!(r.conservation.derived, 1);
        assert_eq!(r.node("alerts").and_then(|n| n.get("completed")), Some(1.0));
    }

    #[test]
    fn tumbling_sliding_and_session_windows_differ() {
        // Events at 1 … 6 s, three needed.
        let r = run(
            &every_second(6),
            r#"(name: "tumbling", pattern: Count(at_least: 3, window: Tumbling(size: "3s")), emit: "T"),
               (name: "sliding", pattern: Count(at_least: 3, window: Sliding(size: "3s")), emit: "S"),
               (name: "session", pattern: Count(at_least: 3, window: Session(gap: "1500ms")), emit: "G"),
               (name: "broken", pattern: Count(at_least: 3, window: Session(gap: "1s")), emit: "X")"#,
            FROM_SRC,
        );
        // Tumbling [0,3) holds two, [3,6) three: one match, judged at 6 s,
        // one second after its last event.
        assert_eq!(get(&r, "rules.tumbling.matches"), 1.0);
        assert!((get(&r, "rules.tumbling.result_delay_s.max") - 1.0).abs() < 1e-9);
        // Sliding: 1-2-3 and, those consumed, 4-5-6; each at once.
        assert_eq!(get(&r, "rules.sliding.matches"), 2.0);
        assert_eq!(get(&r, "rules.sliding.result_delay_s.max"), 0.0);
        // One session of six, closed 1.5 s after the last event.
        assert_eq!(get(&r, "rules.session.matches"), 1.0);
        assert!((get(&r, "rules.session.result_delay_s.max") - 1.5).abs() < 1e-9);
        // Gaps of exactly 1 s end every session at one event.
        assert_eq!(get(&r, "rules.broken.matches"), 0.0);
        assert_eq!(get(&r, "matches"), 4.0);
        // All windows closed and their keys forgotten by the end.
        assert_eq!(get(&r, "max_active_keys"), 1.0);
    }

    #[test]
    fn sequences_fire_on_time_and_not_at_the_edge() {
        // A login at 1 s; a withdrawal sent at 1 s arrives at 1.5 s.
        let nodes = r#"
            (id: "logins", kind: Producer(arrival: Constant(rate: 1.0), events: [(name: "Login")], limit: 1)),
            (id: "cash", kind: Producer(arrival: Constant(rate: 1.0), events: [(name: "Withdrawal")], limit: 1)),
            (id: "logouts", kind: Producer(arrival: Constant(rate: 0.01), events: [(name: "Logout")], limit: 1)),"#;
        let edges = r#"(from: "logins", to: "cep"), (from: "cash", to: "cep", latency: "500ms"), (from: "logouts", to: "cep"),"#;
        let r = run(
            nodes,
            r#"(name: "at_edge", pattern: FollowedBy(first: "Login", then: "Withdrawal", within: "500ms"), emit: "A"),
               (name: "in_time", pattern: FollowedBy(first: "Login", then: "Withdrawal", within: "501ms"), emit: "B"),
               (name: "late", pattern: NotFollowedBy(first: "Login", then: "Withdrawal", within: "500ms"), emit: "C"),
               (name: "followed", pattern: NotFollowedBy(first: "Login", then: "Withdrawal", within: "501ms"), emit: "D"),
               (name: "no_logout", pattern: NotFollowedBy(first: "Login", then: "Logout", within: "2s"), emit: "E")"#,
            edges,
        );
        assert_eq!(get(&r, "rules.at_edge.matches"), 0.0);
        assert_eq!(get(&r, "rules.in_time.matches"), 1.0);
        assert_eq!(get(&r, "rules.in_time.result_delay_s.max"), 0.0);
        // A withdrawal exactly 500 ms later does not count as within
        // 500 ms, so the wait runs out and the rule fires.
        assert_eq!(get(&r, "rules.late.matches"), 1.0);
        assert!((get(&r, "rules.late.result_delay_s.max") - 0.5).abs() < 1e-9);
        assert_eq!(get(&r, "rules.followed.matches"), 0.0);
        // No logout at all: the timer fires 2 s after the login.
        assert_eq!(get(&r, "rules.no_logout.matches"), 1.0);
        assert!((get(&r, "rules.no_logout.result_delay_s.max") - 2.0).abs() < 1e-9);
        assert_eq!(r.conservation.derived, 3);
    }

    #[test]
    fn a_match_consumes_its_events() {
        // One login at 1 s; withdrawals at 1.2 s and 1.4 s: the login is
        // used up by the first, so the second matches nothing.
        let nodes = r#"
            (id: "logins", kind: Producer(arrival: Constant(rate: 1.0), events: [(name: "Login")], limit: 1)),
            (id: "cash", kind: Producer(arrival: Constant(rate: 5.0), events: [(name: "Withdrawal")], limit: 2)),"#;
        let edges = r#"(from: "logins", to: "cep"), (from: "cash", to: "cep", latency: "1s"),"#;
        let r = run(
            nodes,
            r#"(name: "seq", pattern: FollowedBy(first: "Login", then: "Withdrawal", within: "1s"), emit: "A")"#,
            edges,
        );
        assert_eq!(get(&r, "rules.seq.matches"), 1.0);
    }

    #[test]
    fn keys_beyond_the_cap_are_untracked_and_state_stays_bounded() {
        let nodes = r#"(id: "src", kind: Producer(arrival: Poisson(rate: 200.0), keys: 1000)),"#;
        let text = format!(
            r#"(
                version: 1,
                name: "cap",
                scenario: (duration: "20s", seed: 2),
                nodes: [
                    {nodes}
                    (id: "cep", kind: Cep(max_keys: 50, rules: [
                        (name: "burst", pattern: Count(at_least: 2, window: Sliding(size: "1s")), emit: "B"),
                    ])),
                    (id: "alerts", kind: Sink()),
                ],
                edges: [(from: "src", to: "cep"), (from: "cep", to: "alerts")],
            )"#
        );
        let (model, _) = from_str(&text).expect("loads");
        let r = run_once(&model, 2).expect("runs");
        let get = |p: &str| r.node("cep").and_then(|n| n.get(p)).unwrap_or(0.0);
        assert_eq!(get("max_active_keys"), 50.0);
        assert!(get("untracked") > 1000.0, "untracked {}", get("untracked"));
        assert!(r.conservation.balanced());
    }

    #[test]
    fn rule_problems_are_named() {
        let p = super::CepParams {
            rules: vec![
                super::CepRule {
                    name: "a.b".to_owned(),
                    pattern: super::Pattern::Count {
                        event: None,
                        at_least: 0,
                        window: super::Window::Tumbling {
                            size: crate::time::Duration::ZERO,
                        },
                    },
                    emit: String::new(),
                },
                super::CepRule {
                    name: "seq".to_owned(),
                    pattern: super::Pattern::FollowedBy {
                        first: "X".to_owned(),
                        then: "X".to_owned(),
                        within: crate::time::Duration::ZERO,
                    },
                    emit: "Y".to_owned(),
                },
            ],
            max_keys: 0,
        };
        let problems = p.problems().join("\n");
        for words in [
            "cannot contain '.'",
            "at_least must be at least 1",
            "tumbling window must be longer than zero",
            "needs the event type it emits",
            "within must be longer than zero",
            "both 'X'",
            "max_keys",
        ] {
            assert!(problems.contains(words), "{words}: {problems}");
        }
    }
}
