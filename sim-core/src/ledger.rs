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

#[derive(Debug, Default)]
struct Entry {
    alive: u32,
    /// Holders that may make another instance later (a log's consumer
    /// group, until a checkpoint saves past the record): the entry stays
    /// while any holds it, even with no instance alive.
    pins: u32,
    completions: u32,
    processed_by: Vec<NodeIx>,
}

#[derive(Debug, Default)]
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

    /// `node` processed an instance of `id`; whether it already had one
    /// (an idempotent consumer then discards this instance).
    #[inline(always)]
    pub fn processed(&mut self, id: u64, node: NodeIx) -> bool {
        !self.entries.is_empty() && self.process_followed(id, node)
    }

    #[cold]
    fn process_followed(&mut self, id: u64, node: NodeIx) -> bool {
        self.entries.get_mut(&id).is_some_and(|entry| {
            if entry.processed_by.contains(&node) {
                true
            } else {
                entry.processed_by.push(node);
                false
            }
        })
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
        assert!(!ledger.processed(b, NodeIx(3)));
        assert!(
            ledger.processed(b, NodeIx(3)),
            "the second instance at the same consumer is a duplicate"
        );
        assert!(!ledger.processed(b, NodeIx(4)));
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
        assert!(!ledger.processed(a, NodeIx(2)));
        assert!(!ledger.completed(a));
        ledger.released(a);
        assert_eq!(ledger.followed(), 1, "kept while pinned");
        ledger.redelivered(a);
        assert!(ledger.processed(a, NodeIx(2)), "the same consumer again");
        assert!(ledger.completed(a), "a second completion is a duplicate");
        ledger.unpin(a);
        assert_eq!(ledger.followed(), 1, "its second instance is alive");
        ledger.released(a);
        assert_eq!(ledger.followed(), 0);
    }
}
