//! The event calendar: a priority queue of events ordered by
//! `(time, sequence)`. Events at the same instant come out in the order
//! they were scheduled.
//!
//! A four-ary min-heap over one 128-bit key (time in the high half, a
//! running sequence number in the low half): one comparison per step, half
//! the depth of a binary heap, and children side by side in memory.

/// An entry: its key and what happens.
#[derive(Clone, Copy, Debug)]
struct Entry<E> {
    key: u128,
    event: E,
}

/// The calendar.
#[derive(Debug)]
pub(crate) struct Calendar<E> {
    heap: Vec<Entry<E>>,
    seq: u64,
}

impl<E> Default for Calendar<E> {
    fn default() -> Self {
        Self {
            heap: Vec::new(),
            seq: 0,
        }
    }
}

const ARITY: usize = 4;

impl<E: Copy> Calendar<E> {
    /// Schedules `event` at `time`.
    #[inline]
    pub fn push(&mut self, time: u64, event: E) {
        self.seq += 1;
        let entry = Entry {
            key: (u128::from(time) << 64) | u128::from(self.seq),
            event,
        };
        let mut i = self.heap.len();
        self.heap.push(entry);
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].key <= entry.key {
                break;
            }
            self.heap[i] = self.heap[parent];
            i = parent;
        }
        self.heap[i] = entry;
    }

    /// The time of the earliest event.
    #[inline]
    pub fn peek_time(&self) -> Option<u64> {
        self.heap.first().map(|e| time_of(e.key))
    }

    /// Removes and returns the earliest event with its time.
    #[inline]
    pub fn pop(&mut self) -> Option<(u64, E)> {
        let last = self.heap.pop()?;
        let Some(&top) = self.heap.first() else {
            return Some((time_of(last.key), last.event));
        };
        // Sift the last entry down from the root through a hole.
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
            if self.heap[best].key >= last.key {
                break;
            }
            self.heap[i] = self.heap[best];
            i = best;
        }
        self.heap[i] = last;
        Some((time_of(top.key), top.event))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
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
}
