//! A first-in, first-out line for the engine's hot paths.
//!
//! A vector read from a moving head: a push is a vector push (inlined, its
//! growth out of line), a pop moves the head. The slots before the head are
//! reclaimed once they are at least half the vector, so memory follows the
//! line's length and each element is moved at most once on average.
//!
//! NOTE: `VecDeque::push_back` stayed a call on the hottest path (a queue's
//! line of messages, one push per message); this is a few inlined
//! instructions.

#[derive(Clone, Debug)]
pub(crate) struct Fifo<T> {
    items: Vec<T>,
    head: usize,
}

impl<T> Default for Fifo<T> {
    fn default() -> Self {
        Self {
            items: Vec::new(),
            head: 0,
        }
    }
}

/// Slots before the head worth reclaiming at least.
const RECLAIM: usize = 32;

impl<T: Copy> Fifo<T> {
    #[inline(always)]
    pub fn push_back(&mut self, item: T) {
        self.items.push(item);
    }

    #[inline(always)]
    pub fn front(&self) -> Option<&T> {
        self.items.get(self.head)
    }

    #[inline(always)]
    pub fn pop_front(&mut self) -> Option<T> {
        let item = *self.items.get(self.head)?;
        self.head += 1;
        if self.head == self.items.len() {
            // Empty: start again at the front, at no cost.
            self.items.clear();
            self.head = 0;
        } else if self.head >= RECLAIM && 2 * self.head >= self.items.len() {
            self.reclaim();
        }
        Some(item)
    }

    /// Takes the newest item (last in, first out).
    pub fn pop_back(&mut self) -> Option<T> {
        if self.is_empty() {
            return None;
        }
        let item = self.items.pop();
        if self.head == self.items.len() {
            self.items.clear();
            self.head = 0;
        }
        item
    }

    #[cold]
    fn reclaim(&mut self) {
        self.items.drain(..self.head);
        self.head = 0;
    }

    #[inline(always)]
    pub fn len(&self) -> usize {
        self.items.len() - self.head
    }

    #[inline(always)]
    pub fn is_empty(&self) -> bool {
        self.items.len() == self.head
    }

    /// Removes the items `take` picks, keeping the others in order, and
    /// returns them oldest first.
    pub fn take_where(&mut self, mut take: impl FnMut(&T) -> bool) -> Vec<T> {
        let mut taken = Vec::new();
        let mut kept = Vec::with_capacity(self.len());
        for &item in &self.items[self.head..] {
            if take(&item) {
                taken.push(item);
            } else {
                kept.push(item);
            }
        }
        self.items = kept;
        self.head = 0;
        taken
    }

    /// The items, oldest first.
    #[cfg(test)]
    pub fn iter(&self) -> impl Iterator<Item = &T> {
        self.items[self.head..].iter()
    }
}

#[cfg(test)]
mod tests {
    use std::collections::VecDeque;

    use rand::RngExt;

    use super::*;
    use crate::rng::{Purpose, stream};

    #[test]
    fn take_where_splits_the_line_keeping_both_orders() {
        let mut line = Fifo::default();
        for i in 0..100u32 {
            line.push_back(i);
        }
        for _ in 0..40 {
            line.pop_front();
        }
        let odd = line.take_where(|i| i % 2 == 1);
        assert_eq!(odd, (41..100).step_by(2).collect::<Vec<u32>>());
        assert_eq!(line.len(), 30);
        assert_eq!(line.pop_front(), Some(40));
        let rest = line.take_where(|_| true);
        assert_eq!(rest, (42..100).step_by(2).collect::<Vec<u32>>());
        assert!(line.is_empty() && line.pop_front().is_none());
        line.push_back(7);
        assert_eq!(line.pop_front(), Some(7));
    }

    #[test]
    fn behaves_like_a_deque_used_as_a_line() {
        let mut rng = stream(7, "fifo", Purpose::Attributes);
        let mut fifo = Fifo::default();
        let mut model = VecDeque::new();
        let mut next = 0_u32;
        for _ in 0..200_000 {
            // Bursts of pushes and pops, so the line grows, drains and
            // reclaims its head many times.
            if rng.random_bool(0.5) {
                for _ in 0..rng.random_range(0..40) {
                    fifo.push_back(next);
                    model.push_back(next);
                    next += 1;
                }
            } else {
                for _ in 0..rng.random_range(0..40) {
                    assert_eq!(fifo.pop_front(), model.pop_front());
                }
            }
            assert_eq!(fifo.len(), model.len());
            assert_eq!(fifo.is_empty(), model.is_empty());
            assert_eq!(fifo.front(), model.front());
            assert!(fifo.items.len() <= 2 * model.len() + RECLAIM);
        }
        assert!(fifo.iter().eq(model.iter()));
    }
}
