//! The event calendar: a priority queue of events ordered by
//! `(time, sequence)`. Events at the same instant come out in the order
//! they were scheduled.
//!
//! Every event carries one 128-bit key: its time in the high half, a
//! running sequence number in the low half. The calendar has two tiers:
//!
//! - **the heap**: a four-ary min-heap over the keys (one comparison per
//!   step, children side by side), whose root is kept apart from the rest
//!   so that reading the earliest event needs no bounds check. Every event
//!   is scheduled into the heap, whatever its time.
//! - **the blocks**: the far future, cut into blocks of contiguous time
//!   ranges, each an unsorted list. A block covers from its start to the
//!   next block's start (the last one to the end of time).
//!
//! While the blocks hold anything, the heap holds a *marker* whose key
//! falls just before the first block's start: a key whose low half is
//! all ones, a sequence number no event has. When the heap fills up to
//! [`SPILL_AT`], or when the marker comes to the root, the calendar
//! rebalances (off the hot path): the heap's events at or after the
//! first block's start go to their blocks (found by binary search); the
//! first block comes into the heap if no earlier event is left, split
//! first into blocks of equal power-of-two widths if it is bigger than
//! [`BLOCK_MAX`]; and if the heap still holds too many events, its later
//! ones become a new first block. So the heap stays small (a few thousand
//! events, in the cache) however many are pending, and each event is
//! moved a few times on its way instead of sifting through a deep heap.
//! Events at one instant always stay together (a block is split between
//! instants only), so the heap orders them by their sequence numbers and
//! the order is exactly that of an ordered map on `(time, sequence)`. A
//! block whose events are all at one instant is not split: it comes into
//! the heap whole. The splits halve a block's span at least, so an event
//! is moved at most a few dozen times even with years between events.
//! When the blocks are empty (two or three pending events, as in an
//! M/M/1 queue) the calendar is the heap alone.
//!
//! The engine takes the earliest event with [`Calendar::take`], which
//! leaves it at the root: most handlers schedule one event, and the first
//! push after a take replaces the root and sifts it down once, where a pop
//! and a push would sift twice. [`Calendar::settle`] removes the root if
//! nothing replaced it. The order of events is the same either way. An
//! empty calendar also has a hole at its root, with the marker's low half
//! in its key, so that [`Calendar::peek`] tells "empty" and "the marker"
//! from an event with one test.

/// An entry: its key and what happens.
#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

/// A block of the far future: events from `start` on (up to the next
/// block's start), in no order.
#[derive(Clone, Debug)]
struct Block<E> {
    start: u64,
    entries: Vec<Entry<E>>,
}

/// The calendar.
#[derive(Clone, Debug)]
pub(crate) struct Calendar<E> {
    /// The earliest entry of the heap, unless [`Self::hole`].
    root: Entry<E>,
    /// The rest of the heap: the entry at `i` is the heap's node `i + 1`.
    heap: Vec<Entry<E>>,
    /// The root is no event: taken, or the calendar is empty (its key is
    /// then [`EMPTY`]).
    hole: bool,
    seq: u64,
    /// The far future, latest block first: the last block is the next.
    blocks: Vec<Block<E>>,
    /// Events in the blocks.
    far: usize,
    /// Emptied blocks' storage, for new blocks.
    spare: Vec<Vec<Entry<E>>>,
    /// Room for rebalancing.
    scratch: Vec<Entry<E>>,
}

impl<E: Default> Default for Calendar<E> {
    fn default() -> Self {
        Self {
            root: Entry {
                key: EMPTY,
                event: E::default(),
            },
            heap: Vec::new(),
            hole: true,
            seq: 0,
            blocks: Vec::new(),
            far: 0,
            spare: Vec::new(),
            scratch: Vec::new(),
        }
    }
}

const ARITY: usize = 4;
/// The low half of a marker's key: no event has this sequence number.
const MARK: u64 = u64::MAX;
/// The key of an empty calendar's root.
const EMPTY: u128 = u128::MAX;
/// The heap's size from which its later events move to blocks.
const SPILL_AT: usize = 2048;
/// The most events a block may bring into the heap (unless all at one
/// instant).
const BLOCK_MAX: usize = 512;
/// How many emptied blocks' storage is kept.
const SPARE_MAX: usize = 64;

/// The position and key of the earliest of `kids` (one to [`ARITY`]
/// siblings; keys are never equal).
///
/// NOTE: whether one sibling is earlier than another is close to a coin
/// toss; choosing by selects instead of jumps halved the mispredicted
/// branches of a calendar of 10^5 events (callgrind's branch model) for
/// 2 % more instructions. A small heap gains little: its compares are
/// fewer and easier to guess.
#[inline(always)]
fn earliest<E>(kids: &[Entry<E>]) -> (usize, u128) {
    let mut best = 0;
    let mut best_key = kids[0].key;
    // NOTE: an iterator here (enumerated or zipped) compiles to jumps
    // again, or to more instructions: callgrind on M/M/1 counted 1 to 2 %
    // more, and the zipped form more mispredictions than before.
    #[expect(
        clippy::needless_range_loop,
        reason = "the indexed loop is the one that compiles to selects"
    )]
    for c in 1..kids.len() {
        let key = kids[c].key;
        let earlier = key < best_key;
        best = if earlier { c } else { best };
        best_key = if earlier { key } else { best_key };
    }
    (best, best_key)
}

impl<E: Copy + Default> Calendar<E> {
    /// Schedules `event` at `time`.
    #[inline(always)]
    pub fn push(&mut self, time: u64, event: E) {
        self.seq += 1;
        debug_assert!(self.seq < MARK, "sequence numbers ran out");
        // NOTE: the key and event travel as separate values and the entry
        // is written whole into its final slot; an entry built on the
        // stack and copied from there stalls store forwarding.
        let key = (u128::from(time) << 64) | u128::from(self.seq);
        if self.hole {
            self.hole = false;
            self.sift_down_from_root(key, event);
            return;
        }
        if self.heap.len() == self.heap.capacity() {
            self.make_room();
        }
        // Up from the new leaf, whose parent is the heap's node
        // `(i + 1 - 1) / ARITY`, at `i / ARITY - 1` in `heap` or the root.
        let mut i = self.heap.len();
        self.heap.push(Entry { key, event });
        while i >= ARITY {
            let parent = i / ARITY - 1;
            if self.heap[parent].key <= key {
                self.heap[i] = Entry { key, event };
                return;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        if self.root.key <= key {
            self.heap[i] = Entry { key, event };
            return;
        }
        self.heap[i] = self.root;
        self.root = Entry { key, event };
    }

    /// The time of the earliest event.
    #[cfg(test)]
    pub fn peek_time(&mut self) -> Option<u64> {
        self.peek().map(|(t, _)| t)
    }

    /// The earliest event with its time, left in place until the next
    /// [`Self::push`] replaces it or [`Self::settle`] removes it.
    #[cfg(test)]
    pub fn take(&mut self) -> Option<(u64, E)> {
        let top = self.peek()?;
        self.mark_taken();
        Some(top)
    }

    /// The earliest event with its time, still in the calendar.
    #[inline]
    pub fn peek(&mut self) -> Option<(u64, E)> {
        debug_assert!(
            !self.hole || self.root.key == EMPTY,
            "peek after take without settle"
        );
        // NOTE: both ways end at the one read of the root below: returning
        // the cold path's answer instead made the compiler build the
        // answer on the stack on every event, and read it back.
        if self.root.key as u64 == MARK {
            self.bring_in();
            if self.hole {
                return None;
            }
        }
        Some((time_of(self.root.key), self.root.event))
    }

    /// For [`Self::peek`] when the root is no event: the calendar is
    /// empty (it stays so), or the first block's time has come (its
    /// events come into the heap).
    #[cold]
    #[inline(never)]
    fn bring_in(&mut self) {
        while !self.hole && self.root.key as u64 == MARK {
            self.rebalance();
        }
    }

    /// The earliest event (just peeked) is taken: it stays in place until
    /// the next [`Self::push`] replaces it or [`Self::settle`] removes it.
    #[inline]
    pub fn mark_taken(&mut self) {
        debug_assert!(
            !self.hole && self.root.key as u64 != MARK,
            "nothing to take"
        );
        self.hole = true;
    }

    /// Removes a taken event that no push replaced.
    #[inline]
    pub fn settle(&mut self) {
        if self.hole {
            if let Some(last) = self.heap.pop() {
                self.hole = false;
                self.sift_down_from_root(last.key, last.event);
            } else {
                self.root.key = EMPTY;
            }
        }
    }

    /// Removes and returns the earliest event with its time (the engine
    /// takes and settles instead).
    #[cfg(test)]
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let top = self.take()?;
        self.settle();
        Some(top)
    }

    /// Puts an entry in the root's place and sifts it down through a hole.
    #[inline(always)]
    fn sift_down_from_root(&mut self, key: u128, event: E) {
        let len = self.heap.len();
        // The root's children are the first `ARITY` entries of `heap`.
        let end = len.min(ARITY);
        if end == 0 {
            self.root = Entry { key, event };
            return;
        }
        let (best, best_key) = earliest(&self.heap[..end]);
        if best_key >= key {
            self.root = Entry { key, event };
            return;
        }
        self.root = self.heap[best];
        // The hole at `i` is the heap's node `i + 1`, whose children are
        // at `ARITY * i + ARITY` and on in `heap`.
        let mut i = best;
        loop {
            let first = ARITY * i + ARITY;
            if first >= len {
                break;
            }
            let end = (first + ARITY).min(len);
            let (best, best_key) = earliest(&self.heap[first..end]);
            if best_key >= key {
                break;
            }
            self.heap[i] = self.heap[first + best];
            i = first + best;
        }
        self.heap[i] = Entry { key, event };
    }

    /// Events scheduled (a taken one not counted).
    pub fn len(&self) -> usize {
        // The marker is in the heap while the blocks hold events.
        self.heap.len() + usize::from(!self.hole) - usize::from(self.far > 0) + self.far
    }

    /// The heap is full: it grows, or its later events move to blocks.
    #[cold]
    #[inline(never)]
    fn make_room(&mut self) {
        if self.heap.capacity() >= SPILL_AT {
            self.rebalance();
        }
        if self.heap.len() == self.heap.capacity() {
            self.heap.reserve(self.heap.len().max(ARITY));
        }
    }

    /// The start of the first block, if any.
    fn split(&self) -> Option<u64> {
        self.blocks.last().map(|b| b.start)
    }

    /// Moves the heap's events from the first block's start on to their
    /// blocks; brings the first block in if no earlier event is left;
    /// moves the later events of a heap still too big to a new first
    /// block; and rebuilds the heap (with the marker while blocks are
    /// left).
    fn rebalance(&mut self) {
        debug_assert!(!self.hole || self.heap.is_empty());
        let mut near = std::mem::take(&mut self.scratch);
        near.clear();
        if !self.hole && self.root.key as u64 != MARK {
            near.push(self.root);
        }
        near.extend(self.heap.iter().filter(|e| e.key as u64 != MARK));
        self.heap.clear();
        if let Some(split) = self.split() {
            near.retain(|e| {
                if time_of(e.key) >= split {
                    self.file_far(*e);
                    false
                } else {
                    true
                }
            });
        }
        if near.is_empty() {
            while let Some(block) = self.blocks.pop() {
                if block.entries.len() > BLOCK_MAX && self.split_block(&block) {
                    self.recycle(block.entries);
                    continue;
                }
                self.far -= block.entries.len();
                near.extend_from_slice(&block.entries);
                self.recycle(block.entries);
                break;
            }
        }
        if near.len() > SPILL_AT / 2 {
            self.spill_later(&mut near);
        }
        if let Some(split) = self.split() {
            near.push(Entry {
                key: (u128::from(split - 1) << 64) | u128::from(MARK),
                event: E::default(),
            });
        }
        heapify(&mut near);
        match near.split_first() {
            Some((&root, rest)) => {
                self.root = root;
                self.hole = false;
                self.heap.extend_from_slice(rest);
            }
            None => {
                self.root.key = EMPTY;
                self.hole = true;
            }
        }
        // After a burst, give back what the heap and the scratch no
        // longer need.
        if self.heap.capacity() > 2 * SPILL_AT && self.heap.len() < SPILL_AT / 2 {
            self.heap.shrink_to(SPILL_AT);
        }
        if near.capacity() > 2 * SPILL_AT {
            near.clear();
            near.shrink_to(SPILL_AT);
        }
        self.scratch = near;
    }

    /// Puts an entry into its block (the last one starting at or before
    /// its time).
    fn file_far(&mut self, e: Entry<E>) {
        let t = time_of(e.key);
        let i = self.blocks.partition_point(|b| b.start > t);
        debug_assert!(i < self.blocks.len(), "{t} is before every block");
        self.blocks[i].entries.push(e);
        self.far += 1;
    }

    /// Splits a block (taken out of the blocks) into blocks of one
    /// power-of-two width, which go back; `false` if its events are all
    /// at one instant.
    fn split_block(&mut self, block: &Block<E>) -> bool {
        let entries = &block.entries;
        let (lo, hi) = span(entries);
        if lo == hi {
            return false;
        }
        let parts = (entries.len() / (BLOCK_MAX / 2)).clamp(2, 4096) as u64;
        // 2^shift > (hi - lo) / parts, so at most 2 * parts widths.
        let shift = u64::BITS - ((hi - lo) / parts).leading_zeros();
        let widths = ((hi - lo) >> shift) as usize + 1;
        let mut counts = vec![0usize; widths];
        for e in entries {
            counts[((time_of(e.key) - lo) >> shift) as usize] += 1;
        }
        // `slot[w]`: where width `w`'s block is in `parts`.
        let mut slot = vec![usize::MAX; widths];
        let mut parts: Vec<Block<E>> = Vec::new();
        for (w, &n) in counts.iter().enumerate() {
            if n > 0 {
                slot[w] = parts.len();
                let mut v = self.spare.pop().unwrap_or_default();
                v.reserve(n);
                let start = if w == 0 {
                    block.start
                } else {
                    lo + ((w as u64) << shift)
                };
                parts.push(Block { start, entries: v });
            }
        }
        for e in entries {
            let w = ((time_of(e.key) - lo) >> shift) as usize;
            parts[slot[w]].entries.push(*e);
        }
        self.blocks.extend(parts.into_iter().rev());
        true
    }

    /// Moves the later events of `near` (all before the first block) to a
    /// new first block, keeping at least [`BLOCK_MAX`] / 2 of the earliest
    /// in it, and all those at one instant together.
    fn spill_later(&mut self, near: &mut Vec<Entry<E>>) {
        let (lo, hi) = span(near);
        if lo == hi {
            return;
        }
        let keep = BLOCK_MAX / 2;
        near.select_nth_unstable_by_key(keep, |e| time_of(e.key));
        let cut = time_of(near[keep].key).max(lo + 1);
        let mut later = self.spare.pop().unwrap_or_default();
        near.retain(|e| {
            if time_of(e.key) >= cut {
                later.push(*e);
                false
            } else {
                true
            }
        });
        self.far += later.len();
        self.blocks.push(Block {
            start: cut,
            entries: later,
        });
    }

    /// Keeps an emptied block's storage for a new block.
    fn recycle(&mut self, mut entries: Vec<Entry<E>>) {
        if self.spare.len() < SPARE_MAX && entries.capacity() <= 4 * BLOCK_MAX {
            entries.clear();
            self.spare.push(entries);
        }
    }
}

/// The earliest and latest times of some entries (not none).
fn span<E>(entries: &[Entry<E>]) -> (u64, u64) {
    entries.iter().fold((u64::MAX, 0), |(lo, hi), e| {
        let t = time_of(e.key);
        (lo.min(t), hi.max(t))
    })
}

/// Orders a four-ary heap in place (the root at 0, node `i`'s children
/// from `ARITY * i + 1`).
fn heapify<E: Copy>(v: &mut [Entry<E>]) {
    let n = v.len();
    if n < 2 {
        return;
    }
    for start in (0..=(n - 2) / ARITY).rev() {
        let e = v[start];
        let mut i = start;
        loop {
            let first = ARITY * i + 1;
            if first >= n {
                break;
            }
            let end = (first + ARITY).min(n);
            let mut best = first;
            for c in first + 1..end {
                if v[c].key < v[best].key {
                    best = c;
                }
            }
            if v[best].key >= e.key {
                break;
            }
            v[i] = v[best];
            i = best;
        }
        v[i] = e;
    }
}

const fn time_of(key: u128) -> u64 {
    (key >> 64) as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rng::{Purpose, stream};
    use rand::Rng;

    #[test]
    fn pops_in_time_then_schedule_order() {
        let mut cal = Calendar::default();
        let mut rng = stream(1, "calendar", Purpose::Service);
        let mut expected = Vec::new();
        for i in 0..5_000u32 {
            let time = rng.next_u64() % 200;
            cal.push(time, i);
            expected.push((time, i));
        }
        // Stable sort by time keeps the scheduling order within an instant.
        expected.sort_by_key(|&(t, _)| t);
        let mut got = Vec::new();
        while let Some(e) = cal.pop() {
            got.push(e);
        }
        assert_eq!(got, expected);
        assert_eq!(cal.len(), 0);
    }

    /// Taking an event, scheduling from its handler and settling gives
    /// the same events in the same order as popping first.
    #[test]
    fn take_then_push_is_pop_then_push() {
        let mut taken = Calendar::default();
        let mut popped = Calendar::default();
        let mut rng = stream(4, "calendar", Purpose::Service);
        for cal in [&mut taken, &mut popped] {
            cal.push(0, 0u32);
            cal.push(5, 1);
        }
        let mut next = 2u32;
        for _ in 0..20_000 {
            let a = taken.take();
            let b = popped.pop();
            assert_eq!(a, b);
            let Some((now, _)) = a else { break };
            // Zero to three events, some at the same instant.
            let n = rng.next_u64() % 4;
            for _ in 0..n {
                let at = now + rng.next_u64() % 3 * (rng.next_u64() % 50);
                taken.push(at, next);
                popped.push(at, next);
                next += 1;
            }
            taken.settle();
            assert_eq!(taken.len(), popped.len());
            if taken.len() == 0 {
                taken.push(now + 1, next);
                popped.push(now + 1, next);
                next += 1;
            }
        }
    }

    #[test]
    fn interleaved_pushes_and_pops_stay_ordered() {
        let mut cal = Calendar::default();
        let mut rng = stream(2, "calendar", Purpose::Service);
        let mut now = 0;
        cal.push(0, 0u32);
        for i in 1..20_000u32 {
            let (t, _) = cal.pop().expect("never empty here");
            assert!(t >= now, "time went back from {now} to {t}");
            now = t;
            for k in 0..(rng.next_u64() % 3) {
                cal.push(now + rng.next_u64() % 1_000, i * 3 + k as u32);
            }
            if cal.len() == 0 {
                cal.push(now + 1, i);
            }
        }
        assert_eq!(cal.peek_time().map(|t| t >= now), Some(true));
    }

    /// Against a plain ordered map, through sizes that grow and shrink,
    /// with takes and settles as the engine does them.
    #[test]
    fn agrees_with_an_ordered_map() {
        use std::collections::BTreeMap;
        let mut cal = Calendar::default();
        let mut reference = BTreeMap::new();
        let mut rng = stream(9, "calendar", Purpose::Service);
        let mut seq = 0u64;
        let mut now = 0u64;
        for round in 0..200_000u32 {
            // The target size drifts between 0 and 40.
            let target = (round / 2_000 % 20) as usize * 2;
            let pushes = if cal.len() < target {
                2
            } else {
                rng.next_u64() % 2
            };
            let taken = cal.take();
            let expected = reference.pop_first().map(|((t, _), e)| (t, e));
            assert_eq!(taken, expected);
            if let Some((t, _)) = taken {
                now = t;
            }
            for _ in 0..pushes {
                seq += 1;
                let at = now + rng.next_u64() % 4 * (rng.next_u64() % 100);
                cal.push(at, round);
                reference.insert((at, seq), round);
            }
            cal.settle();
            assert_eq!(cal.len(), reference.len());
        }
    }

    /// Drives a calendar as the engine does (peek, take, schedule from
    /// the handler, settle) alongside an ordered map, checking every
    /// event and the size. `delay` gives each new event's delay from now.
    fn drive(
        cal: &mut Calendar<u32>,
        reference: &mut std::collections::BTreeMap<(u64, u64), u32>,
        seq: &mut u64,
        now: &mut u64,
        steps: usize,
        pushes: impl Fn(usize) -> u64,
        mut delay: impl FnMut() -> u64,
    ) {
        for step in 0..steps {
            let taken = cal.take();
            let expected = reference.pop_first().map(|((t, _), e)| (t, e));
            assert_eq!(taken, expected, "step {step}");
            if let Some((t, _)) = taken {
                assert!(t >= *now);
                *now = t;
            }
            for _ in 0..pushes(step) {
                *seq += 1;
                let at = now.saturating_add(delay());
                let id = *seq as u32;
                cal.push(at, id);
                reference.insert((at, *seq), id);
            }
            cal.settle();
            assert_eq!(cal.len(), reference.len(), "step {step}");
        }
    }

    /// Deep: 10⁵ pending with spread-out delays, then a burst at one
    /// instant, events years ahead and at the end of time, and the
    /// calendar drained to empty and filled again.
    #[test]
    fn deep_agrees_with_an_ordered_map() {
        use std::collections::BTreeMap;
        let mut cal = Calendar::default();
        let mut reference = BTreeMap::new();
        let mut rng = stream(11, "calendar", Purpose::Service);
        let (mut seq, mut now) = (0, 0);
        let mut rng2 = stream(12, "calendar", Purpose::Service);
        for round in 0..2 {
            // Grow to 10⁵: two events for each one taken.
            drive(
                &mut cal,
                &mut reference,
                &mut seq,
                &mut now,
                100_000,
                |_| 2,
                || rng.next_u64() % 1_000_000_000,
            );
            assert!(cal.len() >= 100_000);
            // Most of them in blocks, the heap kept small.
            assert!(cal.far > 90_000 && cal.heap.len() < SPILL_AT, "{}", cal.far);
            // Hold: one for one, exponential-like delays (many near, few far).
            drive(
                &mut cal,
                &mut reference,
                &mut seq,
                &mut now,
                100_000,
                |_| 1,
                || {
                    let r = rng.next_u64();
                    (r % 1_000_000) << (r >> 60)
                },
            );
            // A burst of 20,000 at one instant, and some years ahead or
            // at the very end of time.
            let burst = now + 5_000;
            for k in 0..20_000u64 {
                seq += 1;
                let at = match k % 1000 {
                    0 => u64::MAX,
                    1 => now + (1 << 60),
                    2 => u64::MAX - 1,
                    _ => burst,
                };
                cal.push(at, seq as u32);
                reference.insert((at, seq), seq as u32);
            }
            // Shrink: take without scheduling, some scheduled at the
            // instant being run.
            let steps = reference.len();
            drive(
                &mut cal,
                &mut reference,
                &mut seq,
                &mut now,
                steps,
                |s| u64::from(s % 7 == 0),
                || rng2.next_u64() % 3 * 1_000,
            );
            while !reference.is_empty() {
                let steps = reference.len();
                drive(
                    &mut cal,
                    &mut reference,
                    &mut seq,
                    &mut now,
                    steps,
                    |_| 0,
                    || 0,
                );
            }
            assert_eq!(cal.len(), 0);
            assert_eq!(cal.peek(), None);
            // Back to the start of time for the second round.
            if round == 0 {
                now = 0;
                cal = Calendar::default();
            }
        }
    }

    proptest::proptest! {
        #![proptest_config(proptest::prelude::ProptestConfig::with_cases(48))]
        /// Random schedules across the heap's spill size: delays from a
        /// few nanoseconds to the end of time, bursts at one instant,
        /// growing and shrinking.
        #[test]
        fn random_schedules_agree_with_an_ordered_map(
            seed in 0u64..1_000_000,
            scale in 0u32..64,
            target in 0usize..6_000,
            burst in 0u64..4,
        ) {
            use std::collections::BTreeMap;
            let mut cal = Calendar::default();
            let mut reference = BTreeMap::new();
            let mut rng = stream(seed, "calendar", Purpose::Service);
            let (mut seq, mut now) = (0, 0);
            for phase in 0..3 {
                let len = std::cell::Cell::new(cal.len());
                let grow = phase != 2;
                let steps = target + 100;
                let mut k = 0u64;
                drive(&mut cal, &mut reference, &mut seq, &mut now, steps, |_| {
                    let n = if grow && len.get() < target { 2 } else { u64::from(phase == 1) };
                    len.set((len.get() + n as usize).saturating_sub(1));
                    n
                }, || {
                    k += 1;
                    let x = rng.next_u64();
                    if burst > 0 && k.is_multiple_of(burst * 3) {
                        0
                    } else {
                        (x >> 8) >> (64 - scale.max(1)).min(63)
                    }
                });
            }
            let rest = reference.len();
            drive(&mut cal, &mut reference, &mut seq, &mut now, rest + 1, |_| 0, || 0);
            proptest::prop_assert_eq!(cal.len(), 0);
        }
    }
}
