//! The event calendar: a priority queue of events ordered by
//! `(time, sequence)`. Events at the same instant come out in the order
//! they were scheduled.
//!
//! A four-ary min-heap over one 128-bit key (time in the high half, a
//! running sequence number in the low half): one comparison per step, half
//! the depth of a binary heap, and children side by side in memory.
//!
//! The engine takes the earliest event with [`Calendar::take`], which
//! leaves it at the root: most handlers schedule one event, and the first
//! push after a take replaces the root and sifts it down once, where a pop
//! and a push would sift twice. [`Calendar::settle`] removes the root if
//! nothing replaced it. The order of events is the same either way.

/// An entry: its key and what happens.
#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

/// The calendar.
#[derive(Clone, Debug)]
pub(crate) struct Calendar<E> {
    heap: Vec<Entry<E>>,
    seq: u64,
    /// The root was taken and is no longer an event.
    taken: bool,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Self {
            heap: Vec::new(),
            seq: 0,
            taken: false,
        }
    }
}

const ARITY: usize = 4;

impl<E: Copy> Calendar<E> {
    /// Schedules `event` at `time`.
    #[inline(always)]
    pub fn push(&mut self, time: u64, event: E) {
        self.seq += 1;
        // NOTE: the key and event travel as separate values and the entry
        // is written whole into its final slot; an entry built on the
        // stack and copied from there stalls store forwarding.
        let key = (u128::from(time) << 64) | u128::from(self.seq);
        if self.taken {
            self.taken = false;
            self.sift_down_from_root(key, event);
            return;
        }
        let mut i = self.heap.len();
        self.heap.push(Entry { key, event });
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].key <= key {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = Entry { key, event };
    }

    /// The time of the earliest event.
    #[cfg(test)]
    pub fn peek_time(&self) -> Option<u64> {
        debug_assert!(!self.taken, "peek after take without settle");
        self.heap.first().map(|e| time_of(e.key))
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
    pub fn peek(&self) -> Option<(u64, E)> {
        debug_assert!(!self.taken, "peek after take without settle");
        let top = self.heap.first()?;
        Some((time_of(top.key), top.event))
    }

    /// The earliest event (just peeked) is taken: it stays in place until
    /// the next [`Self::push`] replaces it or [`Self::settle`] removes it.
    #[inline]
    pub fn mark_taken(&mut self) {
        debug_assert!(!self.taken && !self.heap.is_empty(), "nothing to take");
        self.taken = true;
    }

    /// Removes a taken event that no push replaced.
    #[inline]
    pub fn settle(&mut self) {
        if self.taken {
            self.taken = false;
            if let Some(last) = self.heap.pop()
                && !self.heap.is_empty()
            {
                self.sift_down_from_root(last.key, last.event);
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
        let mut i = 0;
        loop {
            let first = ARITY * i + 1;
            if first >= len {
                break;
            }
            let end = (first + ARITY).min(len);
            let mut best = first;
            for c in first + 1..end {
                if self.heap[c].key < self.heap[best].key {
                    best = c;
                }
            }
            if self.heap[best].key >= key {
                break;
            }
            self.heap[i] = self.heap[best];
            i = best;
        }
        self.heap[i] = Entry { key, event };
    }

    /// Events scheduled (a taken one not counted).
    pub fn len(&self) -> usize {
        self.heap.len() - usize::from(self.taken)
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
}
