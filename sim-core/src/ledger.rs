//! Message identity across redeliveries, for counting duplicates.
//!
//! Every message carries a lineage id. A queue's redelivery (a receipt that
//! expired while a consumer still held the message) makes a second instance
//! with the same id; fan-out copies get ids of their own, since each
//! subscriber is meant to get one. The ledger follows only ids that have
//! more than one live instance, so it stays as small as the set of
//! messages in flight: when the last instance of an id is gone, so is its
//! entry. A log whose consumer groups save their offsets periodically pins
//! the ids of what each group read since its last checkpoint, since a
//! crash makes the group read those records again: those stay followed
//! until the checkpoint passes them. It is only ever looked up, never
//! iterated.

use std::collections::BTreeMap;

use crate::engine::NodeIx;
use crate::time::{Duration, SimTime};

/// Whether a consumer had processed an instance of a message already.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Seen {
    /// No: this is the first.
    First,
    /// Yes, within the consumer's dedupe window: an idempotent consumer
    /// discards this instance.
    Within,
    /// Yes, but longer ago than the window: its inbox forgot the id, and
    /// the instance is processed again.
    Beyond,
}

#[derive(Clone, Debug, Default)]
struct Entry {
    alive: u32,
    /// Holders that may make another instance later (a log's consumer
    /// group, until a checkpoint saves past the record): the entry stays
    /// while any holds it, even with no instance alive.
    pins: u32,
    completions: u32,
    /// The consumers that processed an instance, and when they last did.
    processed_by: Vec<(NodeIx, SimTime)>,
}

#[derive(Clone, Debug, Default)]
pub(crate) struct Ledger {
    entries: BTreeMap<u64, Entry>,
    next: u64,
}

impl Ledger {
    /// A fresh lineage id.
    #[inline]
    pub fn new_id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }

    /// A second instance of `id` now exists.
    pub fn redelivered(&mut self, id: u64) {
        let entry = self.entries.entry(id).or_insert(Entry {
            alive: 1,
            ..Entry::default()
        });
        entry.alive += 1;
    }

    /// An instance of `id` left the system.
    #[inline(always)]
    pub fn released(&mut self, id: u64) {
        // NOTE: the map is empty unless a queue redelivered something:
        // the common case costs one comparison, the map work stays out of
        // line.
        if !self.entries.is_empty() {
            self.release_followed(id);
        }
    }

    #[cold]
    fn release_followed(&mut self, id: u64) {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.alive -= 1;
            if entry.alive == 0 && entry.pins == 0 {
                self.entries.remove(&id);
            }
        }
    }

    /// The one live instance of `id` may be made again later: follow it
    /// until [`Self::unpin`], alive or not.
    pub fn pin(&mut self, id: u64) {
        self.entries
            .entry(id)
            .or_insert(Entry {
                alive: 1,
                ..Entry::default()
            })
            .pins += 1;
    }

    /// No new instance of `id` will come from the holder that pinned it.
    pub fn unpin(&mut self, id: u64) {
        if let Some(entry) = self.entries.get_mut(&id) {
            entry.pins = entry.pins.saturating_sub(1);
            if entry.alive == 0 && entry.pins == 0 {
                self.entries.remove(&id);
            }
        }
    }

    /// An instance of `id` completed; whether an earlier one already had.
    #[inline(always)]
    pub fn completed(&mut self, id: u64) -> bool {
        !self.entries.is_empty() && self.complete_followed(id)
    }

    #[cold]
    fn complete_followed(&mut self, id: u64) -> bool {
        self.entries.get_mut(&id).is_some_and(|entry| {
            entry.completions += 1;
            entry.completions > 1
        })
    }

    /// `node` processed an instance of `id` at `now`; whether it already
    /// had one within `window` before (an idempotent consumer then
    /// discards this instance).
    #[inline(always)]
    pub fn processed(&mut self, id: u64, node: NodeIx, now: SimTime, window: Duration) -> Seen {
        if self.entries.is_empty() {
            Seen::First
        } else {
            self.process_followed(id, node, now, window)
        }
    }

    #[cold]
    fn process_followed(&mut self, id: u64, node: NodeIx, now: SimTime, window: Duration) -> Seen {
        let Some(entry) = self.entries.get_mut(&id) else {
            return Seen::First;
        };
        match entry.processed_by.iter_mut().find(|(n, _)| *n == node) {
            Some((_, at)) if now.since(*at) <= window => Seen::Within,
            Some((_, at)) => {
                *at = now;
                Seen::Beyond
            }
            None => {
                entry.processed_by.push((node, now));
                Seen::First
            }
        }
    }

    /// Ids followed now (the ledger must not grow without bound).
    #[cfg(test)]
    pub fn followed(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_only_redelivered_ids_while_alive() {
        let mut ledger = Ledger::default();
        let a = ledger.new_id();
        let b = ledger.new_id();
        assert_ne!(a, b);
        assert!(!ledger.completed(a));
        ledger.redelivered(b);
        assert_eq!(ledger.followed(), 1);
        assert_eq!(
            ledger.processed(b, NodeIx(3), SimTime::ZERO, Duration::MAX),
            Seen::First
        );
        assert!(
            ledger.processed(b, NodeIx(3), SimTime::ZERO, Duration::MAX) == Seen::Within,
            "the second instance at the same consumer is a duplicate"
        );
        assert_eq!(
            ledger.processed(b, NodeIx(4), SimTime::ZERO, Duration::MAX),
            Seen::First
        );
        assert!(!ledger.completed(b));
        assert!(ledger.completed(b));
        ledger.released(b);
        assert_eq!(ledger.followed(), 1);
        ledger.released(b);
        assert_eq!(ledger.followed(), 0, "gone with its last instance");
    }

    #[test]
    fn a_pinned_id_is_followed_after_its_instance_is_gone() {
        let mut ledger = Ledger::default();
        let a = ledger.new_id();
        ledger.pin(a);
        assert_eq!(
            ledger.processed(a, NodeIx(2), SimTime::ZERO, Duration::MAX),
            Seen::First
        );
        assert!(!ledger.completed(a));
        ledger.released(a);
        assert_eq!(ledger.followed(), 1, "kept while pinned");
        ledger.redelivered(a);
        assert!(
            ledger.processed(a, NodeIx(2), SimTime::ZERO, Duration::MAX) == Seen::Within,
            "the same consumer again"
        );
        assert!(ledger.completed(a), "a second completion is a duplicate");
        ledger.unpin(a);
        assert_eq!(ledger.followed(), 1, "its second instance is alive");
        ledger.released(a);
        assert_eq!(ledger.followed(), 0);
    }

    #[test]
    fn an_inbox_forgets_an_id_after_its_window() {
        let mut ledger = Ledger::default();
        let a = ledger.new_id();
        ledger.redelivered(a);
        let window = Duration::from_secs(2);
        let at = |s: u64| SimTime::ZERO + Duration::from_secs(s);
        assert_eq!(ledger.processed(a, NodeIx(1), at(10), window), Seen::First);
        assert_eq!(ledger.processed(a, NodeIx(1), at(12), window), Seen::Within);
        assert_eq!(ledger.processed(a, NodeIx(1), at(15), window), Seen::Beyond);
        // Processed again at 15: the window counts from then.
        assert_eq!(ledger.processed(a, NodeIx(1), at(16), window), Seen::Within);
    }
}
