//! Streaming metrics: counters, time-weighted levels and latency
//! histograms. Memory depends on the model, never on simulated time.

use crate::histogram::LogHistogram;
use crate::time::{Duration, SimTime};

/// Why a message was dropped. Reported by key in `drops`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum DropReason {
    /// A queue with the drop-newest policy was full when it arrived.
    QueueFull,
    /// Evicted by a newer message from a full drop-oldest queue.
    EvictedOldest,
    /// Its producer's downstream was blocked and the producer drops.
    ProducerBlocked,
    /// A topic had no subscription whose filter matched it.
    NoSubscriber,
    /// It failed on every attempt and there was no dead-letter queue.
    RetriesExhausted,
    /// A queue's receive limit was reached and there was no dead-letter queue.
    MaxReceives,
    /// Its dead-letter queue was full.
    DeadLetterFull,
    /// A consumer's copy whose queue receipt had expired (the queue already
    /// delivered it again) failed; the redelivered copy carries on.
    ReceiptExpired,
    /// Held by a consumer when it crashed (and not covered by a queue receipt).
    Crashed,
    /// Sent to a consumer or sink while it was down.
    NodeDown,
    /// Failed at an at-most-once consumer: acknowledged on receipt, so lost.
    Failed,
    /// Discarded by an exactly-once (idempotent) consumer that had already
    /// processed the same message.
    Duplicate,
    /// A router had no route for it.
    NoRoute,
    /// A serverless function at its concurrency limit refused it, and the
    /// retry policy gave up.
    Throttled,
    /// An event store's append conflicted on every attempt allowed.
    Conflict,
    /// Shed by a queue under overload (its CoDel target delay).
    Shed,
    /// Accepted by a broker's leader that crashed before its followers had
    /// it (`acks: Leader` or `None`).
    Unreplicated,
    /// Held by a broker that keeps nothing on disk when it crashed with no
    /// replica left.
    Unpersisted,
    /// Lost on a link with a loss fault.
    LinkLoss,
    /// Of a schema version its consumer or projection does not read, and
    /// dropped by its rule (or rejected with no dead-letter queue).
    Version,
}

impl DropReason {
    pub const COUNT: usize = 20;
    pub const ALL: [Self; Self::COUNT] = [
        Self::QueueFull,
        Self::EvictedOldest,
        Self::ProducerBlocked,
        Self::NoSubscriber,
        Self::RetriesExhausted,
        Self::MaxReceives,
        Self::DeadLetterFull,
        Self::ReceiptExpired,
        Self::Crashed,
        Self::NodeDown,
        Self::Failed,
        Self::Duplicate,
        Self::NoRoute,
        Self::Throttled,
        Self::Conflict,
        Self::Shed,
        Self::Unreplicated,
        Self::Unpersisted,
        Self::LinkLoss,
        Self::Version,
    ];

    /// Whether the message was lost to a failure (a crash, an outage, an
    /// at-most-once consumer's failed attempt) rather than refused by a
    /// rule of the model.
    pub const fn is_loss(self) -> bool {
        matches!(
            self,
            Self::Crashed
                | Self::NodeDown
                | Self::Failed
                | Self::Unreplicated
                | Self::Unpersisted
                | Self::LinkLoss
        )
    }

    /// The key used in reports.
    pub const fn key(self) -> &'static str {
        match self {
            Self::QueueFull => "queue_full",
            Self::EvictedOldest => "evicted_oldest",
            Self::ProducerBlocked => "producer_blocked",
            Self::NoSubscriber => "no_subscriber",
            Self::RetriesExhausted => "retries_exhausted",
            Self::MaxReceives => "max_receives",
            Self::DeadLetterFull => "dead_letter_full",
            Self::ReceiptExpired => "receipt_expired",
            Self::Crashed => "crashed",
            Self::NodeDown => "node_down",
            Self::Failed => "failed",
            Self::Duplicate => "duplicate",
            Self::NoRoute => "no_route",
            Self::Throttled => "throttled",
            Self::Conflict => "conflict",
            Self::Shed => "shed",
            Self::Unreplicated => "unreplicated",
            Self::Unpersisted => "unpersisted",
            Self::LinkLoss => "link_loss",
            Self::Version => "version",
        }
    }
}

/// A level that changes over time (a queue's depth, busy servers),
/// integrated so its time-weighted mean is exact.
#[derive(Clone, Debug, Default)]
pub struct Level {
    value: u64,
    since: u64,
    area: u128,
    start: u64,
    max: u64,
    /// The highest value since the last [`Self::restart_peak`] (or the
    /// start): never above `max`, so a new maximum is checked only when a
    /// value passes the peak.
    peak: u64,
}

impl Level {
    #[inline]
    pub fn set(&mut self, now: SimTime, value: u64) {
        let now = now.as_nanos();
        self.area += u128::from(self.value) * u128::from(now - self.since);
        self.since = now;
        self.value = value;
        if value > self.peak {
            self.peak = value;
            if value > self.max {
                self.max = value;
            }
        }
    }

    /// The highest value since the last [`Self::restart_peak`].
    pub const fn peak(&self) -> u64 {
        self.peak
    }

    /// Starts a new peak from the current value (an objective's window
    /// step); the maximum is kept.
    pub fn restart_peak(&mut self) {
        self.peak = self.value;
    }

    pub const fn value(&self) -> u64 {
        self.value
    }

    /// Forgets the history before `now` (warm-up deletion).
    pub fn reset(&mut self, now: SimTime) {
        let now = now.as_nanos();
        self.area = 0;
        self.since = now;
        self.start = now;
        self.max = self.value;
        self.peak = self.value;
    }

    /// The time-weighted mean over [start, `end`].
    #[expect(clippy::cast_precision_loss, reason = "report values")]
    pub fn mean(&self, end: u64) -> f64 {
        let area = self.area + u128::from(self.value) * u128::from(end.saturating_sub(self.since));
        let span = end.saturating_sub(self.start);
        if span == 0 {
            self.value as f64
        } else {
            area as f64 / span as f64
        }
    }

    pub const fn max(&self) -> u64 {
        self.max
    }

    /// The integral of the level from its start to `now` (value × ns).
    #[expect(clippy::cast_precision_loss, reason = "autoscaler arithmetic")]
    pub fn area_until(&self, now: SimTime) -> f64 {
        let now = now.as_nanos();
        (self.area + u128::from(self.value) * u128::from(now.saturating_sub(self.since))) as f64
    }
}

/// Latencies in nanoseconds: exact count, mean and max, and a log-linear
/// histogram (three significant digits) for percentiles.
#[derive(Clone, Debug)]
pub struct Latency {
    /// Counts every value (its total is the count).
    hist: LogHistogram,
    sum: u128,
    max: u64,
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

/// Latencies for one time-series interval: two significant digits (1 %
/// resolution, plenty for a chart), so clearing it at every point costs a
/// tenth of a full [`Latency`]. A run whose latency lines nobody charts
/// keeps none ([`Self::off`]): recording into it costs one test.
#[derive(Clone, Debug)]
pub struct IntervalLatency(Option<LogHistogram>);

impl Default for IntervalLatency {
    fn default() -> Self {
        Self(Some(LogHistogram::with_digits(2)))
    }
}

impl IntervalLatency {
    /// One that records nothing: its percentiles are never read.
    pub const fn off() -> Self {
        Self(None)
    }

    #[inline]
    pub fn record(&mut self, d: Duration) {
        if let Some(hist) = &mut self.0 {
            hist.record(d.as_nanos());
        }
    }

    /// Whether nothing was recorded since the last clear (always, when
    /// off).
    pub fn is_empty(&self) -> bool {
        self.0.as_ref().is_none_or(LogHistogram::is_empty)
    }

    pub fn clear(&mut self) {
        if let Some(hist) = &mut self.0
            && !hist.is_empty()
        {
            hist.clear();
        }
    }

    /// The median and the 99th percentile, in seconds (0 when empty or
    /// off): all a chart draws, so no sum or maximum is kept.
    #[expect(clippy::cast_precision_loss, reason = "report values")]
    pub fn p50_p99(&self) -> (f64, f64) {
        let Some(hist) = &self.0 else {
            return (0.0, 0.0);
        };
        let [p50, p99] = hist.values_at_quantiles([0.50, 0.99]);
        (p50 as f64 / 1e9, p99 as f64 / 1e9)
    }
}

/// A latency summary in seconds.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Summary {
    pub count: u64,
    pub mean: f64,
    pub p50: f64,
    pub p95: f64,
    pub p99: f64,
    pub max: f64,
}

impl Latency {
    pub fn new() -> Self {
        Self::with_digits(3)
    }

    /// A histogram keeping `digits` significant digits of each value.
    fn with_digits(digits: u8) -> Self {
        Self {
            hist: LogHistogram::with_digits(digits),
            sum: 0,
            max: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, d: Duration) {
        let ns = d.as_nanos();
        self.sum += u128::from(ns);
        if ns > self.max {
            self.max = ns;
        }
        self.hist.record(ns);
    }

    pub fn clear(&mut self) {
        if self.hist.is_empty() {
            // Nothing recorded: skip zeroing the whole histogram.
            return;
        }
        self.hist.clear();
        self.sum = 0;
        self.max = 0;
    }

    pub const fn count(&self) -> u64 {
        self.hist.len()
    }

    /// The histogram every value is counted in.
    pub const fn histogram(&self) -> &LogHistogram {
        &self.hist
    }

    #[expect(clippy::cast_precision_loss, reason = "report values")]
    pub fn summary(&self) -> Summary {
        let count = self.count();
        if count == 0 {
            return Summary::default();
        }
        let secs = |ns: u64| ns as f64 / 1e9;
        let [p50, p95, p99] = self.hist.values_at_quantiles([0.50, 0.95, 0.99]);
        Summary {
            count,
            mean: self.sum as f64 / count as f64 / 1e9,
            p50: secs(p50),
            p95: secs(p95),
            p99: secs(p99),
            max: secs(self.max),
        }
    }
}

/// The measurements every node keeps; which of them a kind reports is the
/// kind's choice.
#[derive(Clone, Debug, Default)]
pub struct NodeStats {
    pub arrived: u64,
    pub departed: u64,
    pub completed: u64,
    pub retries: u64,
    pub redelivered: u64,
    /// Instances of a message that had already completed (at a sink or
    /// terminal consumer).
    pub duplicates: u64,
    /// Processing attempts cut off by a consumer's timeout.
    pub timeouts: u64,
    pub dead_lettered: u64,
    /// Instances an idempotent consumer processed again because its inbox
    /// had forgotten the id (its window ran out).
    pub inbox_missed: u64,
    /// Messages dropped, by reason ([`Self::drops`]), and in all.
    drops: [u64; DropReason::COUNT],
    dropped: u64,
    /// Messages waiting (queue depth, consumer inbox, sink backlog).
    pub depth: Level,
    /// Messages in service (busy servers).
    pub busy: Level,
    /// Senders held back by a full downstream: a producer's held event, a
    /// consumer's finished messages waiting for room.
    pub blocked: Level,
    /// Slots available (instances × concurrency), and instances running.
    pub capacity: Level,
    pub instances: Level,
    /// A consumer's circuit breaker: 1 while open / half-open.
    pub breaker_open: Level,
    pub breaker_half_open: Level,
    pub breaker_opens: u64,
    /// Calls a breaker failed without sending them.
    pub fast_failed: u64,
    /// A service's calls that failed (errors, rejections, outages).
    pub failed_calls: u64,
    /// Calls a service refused by its rate limit; a client's new requests
    /// refused by its `max_open`.
    pub rejected: u64,
    /// Messages a serverless function refused at its concurrency limit;
    /// sends an Event Hubs log refused; pushes a Pub/Sub subscription's
    /// consumers refused.
    pub throttled: u64,
    /// Serverless instances started cold.
    pub cold_starts: u64,
    /// Autoscaler actions.
    pub scale_outs: u64,
    pub scale_ins: u64,
    /// Messages a consumer received past their deadline and discarded.
    pub expired: u64,
    /// Messages a consumer received past their deadline and processed
    /// anyway (work nobody waits for any more).
    pub late: u64,
    /// Messages whose journey ended well here before their deadline.
    pub in_time: u64,
    /// A client producer's requests answered in time, given up (out of
    /// attempts or budget), and retries its budget refused.
    pub answered: u64,
    pub gave_up: u64,
    pub budget_denied: u64,
    /// A consumer's calls to a service that ran into its call timeout.
    pub call_timeouts: u64,
    /// A service's calls whose caller stopped waiting (a call timeout, a
    /// crash), and those of them it cancelled.
    pub abandoned: u64,
    pub cancelled: u64,
    /// A service's calls in progress whose caller stopped waiting: work
    /// done for nobody.
    pub wasted: Level,
    /// 1 while a crash holds the node down.
    pub down: Level,
    /// Crashes that took the node down.
    pub outages: u64,
    /// Messages a consumer finished, or a sink received, after one of the
    /// same stream (producer and key) created later.
    pub out_of_order: u64,
    /// The newest message seen per stream, for `out_of_order` (kept
    /// through the warm-up reset: it is the stream's state, not a count).
    pub order: StreamOrder,
    pub wait: Latency,
    pub sojourn: Latency,
    pub end_to_end: Latency,
    /// Sojourns finished since the last time-series point (cleared by the
    /// series at each point, kept through the warm-up reset).
    pub interval: IntervalLatency,
    /// A projection's staleness (append to applied) of the live events it
    /// applied since the last time-series point; cleared and kept like
    /// `interval`.
    pub interval_staleness: IntervalLatency,
}

/// The newest creation time seen per stream of messages (a producer's
/// key), to tell a delivery that comes after a newer one of its stream.
///
/// NOTE: the stream seen last is kept out of the map (`last`, `newest`),
/// so a stream of one key (the commonest case) never hashes; the map holds
/// the others, and the one seen last as it was when another took its
/// place. A stream whose newest time is 0 is one not seen (nothing is
/// created before 0), which is how the empty state reads.
#[derive(Clone, Debug, Default)]
pub struct StreamOrder {
    last: u64,
    newest: SimTime,
    others: std::collections::HashMap<u64, SimTime, std::hash::BuildHasherDefault<Mix64>>,
}

impl StreamOrder {
    /// A message of `stream` created at `created` is delivered now:
    /// whether a message of the same stream created later came first.
    /// Messages created at the same instant are in order either way.
    #[inline(always)]
    pub fn out_of_order(&mut self, stream: u64, created: SimTime) -> bool {
        if self.last != stream {
            self.switch(stream);
        }
        let late = created < self.newest;
        self.newest = self.newest.max(created);
        late
    }

    /// `stream` becomes the one kept out of the map.
    #[cold]
    #[inline(never)]
    fn switch(&mut self, stream: u64) {
        if self.newest != SimTime::ZERO {
            self.others.insert(self.last, self.newest);
        }
        self.last = stream;
        self.newest = self.others.get(&stream).copied().unwrap_or(SimTime::ZERO);
    }
}

/// A hasher for the 64-bit stream numbers of [`StreamOrder`]: the
/// finaliser of `SplitMix64`, which spreads every input bit over the output.
#[derive(Clone, Copy, Debug, Default)]
pub struct Mix64(u64);

impl std::hash::Hasher for Mix64 {
    fn finish(&self) -> u64 {
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(b);
        }
    }

    fn write_u64(&mut self, n: u64) {
        self.0 ^= n;
    }
}

impl NodeStats {
    /// Warm-up deletion: forget everything measured before `now`, keeping
    /// the current levels.
    pub fn reset(&mut self, now: SimTime) {
        *self = Self {
            depth: std::mem::take(&mut self.depth),
            busy: std::mem::take(&mut self.busy),
            blocked: std::mem::take(&mut self.blocked),
            capacity: std::mem::take(&mut self.capacity),
            instances: std::mem::take(&mut self.instances),
            breaker_open: std::mem::take(&mut self.breaker_open),
            breaker_half_open: std::mem::take(&mut self.breaker_half_open),
            wasted: std::mem::take(&mut self.wasted),
            down: std::mem::take(&mut self.down),
            wait: std::mem::take(&mut self.wait),
            sojourn: std::mem::take(&mut self.sojourn),
            end_to_end: std::mem::take(&mut self.end_to_end),
            interval: std::mem::take(&mut self.interval),
            interval_staleness: std::mem::take(&mut self.interval_staleness),
            order: std::mem::take(&mut self.order),
            ..Self::default()
        };
        self.depth.reset(now);
        self.busy.reset(now);
        self.blocked.reset(now);
        self.capacity.reset(now);
        self.instances.reset(now);
        self.breaker_open.reset(now);
        self.breaker_half_open.reset(now);
        self.wasted.reset(now);
        self.down.reset(now);
        self.wait.clear();
        self.sojourn.clear();
        self.end_to_end.clear();
    }

    /// A message of `stream` created at `created` is delivered here now
    /// (see [`StreamOrder`]).
    /// Whether it is out of order.
    #[inline(always)]
    pub fn note_order(&mut self, stream: u64, created: SimTime) -> bool {
        let late = self.order.out_of_order(stream, created);
        self.out_of_order += u64::from(late);
        late
    }

    /// A message's time at the node, for the run and the current
    /// time-series interval.
    #[inline(always)]
    pub fn record_sojourn(&mut self, d: Duration) {
        self.sojourn.record(d);
        self.interval.record(d);
    }

    /// Messages dropped for any reason.
    pub const fn dropped(&self) -> u64 {
        self.dropped
    }

    /// Messages dropped for `reason`.
    pub const fn drops(&self, reason: DropReason) -> u64 {
        self.drops[reason as usize]
    }

    /// Counts a message dropped for `reason`.
    #[inline]
    pub fn count_drop(&mut self, reason: DropReason) {
        self.drops[reason as usize] += 1;
        self.dropped += 1;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// [`StreamOrder`] against a plain map of each stream's newest time,
    /// over deliveries that switch between streams at random.
    #[test]
    fn stream_order_counts_what_a_plain_map_counts() {
        use crate::rng::{Purpose, stream, unit};
        let mut rng = stream(3, "order", Purpose::Attributes);
        for streams in [1u64, 2, 7, 300] {
            let mut order = StreamOrder::default();
            let mut model = std::collections::BTreeMap::<u64, SimTime>::new();
            let (mut late, mut expected) = (0, 0);
            for _ in 0..20_000 {
                let s = (unit(&mut rng) * streams as f64) as u64;
                let created = SimTime((unit(&mut rng) * 1_000.0) as u64);
                late += u64::from(order.out_of_order(s, created));
                let newest = model.entry(s).or_insert(created);
                expected += u64::from(created < *newest);
                *newest = (*newest).max(created);
            }
            assert_eq!(late, expected, "{streams} streams");
            assert!(expected > 1_000, "{streams} streams: {expected}");
        }
    }

    #[test]
    fn level_mean_is_time_weighted() {
        let mut level = Level::default();
        level.set(SimTime(0), 2); // 2 for 10 ns
        level.set(SimTime(10), 0); // 0 for 30 ns
        assert!((level.mean(40) - 0.5).abs() < 1e-12);
        assert_eq!(level.max(), 2);
        level.reset(SimTime(40));
        level.set(SimTime(50), 4);
        // 0 for 10 ns then 4 for 10 ns.
        assert!((level.mean(60) - 2.0).abs() < 1e-12);
        assert_eq!(level.max(), 4);
    }

    #[test]
    fn latency_summary_is_exact_where_it_can_be() {
        let mut lat = Latency::new();
        for ms in 1..=1000u64 {
            lat.record(Duration(ms * 1_000_000));
        }
        let s = lat.summary();
        assert_eq!(s.count, 1000);
        assert!((s.mean - 0.5005).abs() < 1e-12, "mean {}", s.mean);
        assert!((s.p50 - 0.5).abs() < 0.001, "p50 {}", s.p50);
        assert!((s.p99 - 0.99).abs() < 0.001, "p99 {}", s.p99);
        assert!((s.max - 1.0).abs() < 1e-12);
        lat.clear();
        assert_eq!(lat.summary(), Summary::default());
    }

    #[test]
    fn reset_keeps_levels_and_clears_counts() {
        let mut stats = NodeStats {
            arrived: 5,
            ..NodeStats::default()
        };
        stats.depth.set(SimTime(0), 3);
        stats.wait.record(Duration(10));
        stats.reset(SimTime(100));
        assert_eq!(stats.arrived, 0);
        assert_eq!(stats.depth.value(), 3);
        assert_eq!(stats.depth.max(), 3);
        assert_eq!(stats.wait.count(), 0);
        assert!((stats.depth.mean(200) - 3.0).abs() < 1e-12);
    }
}
