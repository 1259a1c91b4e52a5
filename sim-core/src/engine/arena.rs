//! Messages in flight: their fields, and the arena that holds them and
//! reuses freed slots.

use crate::time::SimTime;

/// Declares a zero-cost index type: a `u32` that indexes `Vec`s of one
/// role only.
macro_rules! index_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub(crate) struct $name(pub u32);

        impl $name {
            /// The index as a `usize`.
            #[inline(always)]
            pub(crate) const fn ix(self) -> usize {
                self.0 as usize
            }

            /// The index of position `i` (vectors never reach `u32::MAX`
            /// entries: the model's and the arena's sizes are bounded).
            #[inline(always)]
            pub(crate) fn at(i: usize) -> Self {
                debug_assert!(u32::try_from(i).is_ok(), "{} {i} overflows", stringify!($name));
                Self(u32::try_from(i).unwrap_or(u32::MAX))
            }
        }

        impl<T> std::ops::Index<$name> for Vec<T> {
            type Output = T;
            #[inline(always)]
            fn index(&self, i: $name) -> &T {
                &self[i.ix()]
            }
        }

        impl<T> std::ops::IndexMut<$name> for Vec<T> {
            #[inline(always)]
            fn index_mut(&mut self, i: $name) -> &mut T {
                &mut self[i.ix()]
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                self.0.fmt(f)
            }
        }
    };
}

index_type!(
    /// A message's place in the arena.
    MsgId
);
index_type!(
    /// A node of the compiled simulation (model order).
    NodeIx
);
index_type!(
    /// An edge of the compiled simulation (model order).
    EdgeIx
);
index_type!(
    /// A node's place in its kind's state vector (`queues`, `consumers`…).
    Slot
);

impl NodeIx {
    /// No node (a message in service nowhere).
    pub(crate) const NONE: Self = Self(u32::MAX);
}

/// Where a message held by a consumer came from: what its
/// acknowledgement releases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Origin(u32);

impl Origin {
    /// Pushed to the consumer, or not at a consumer: nothing to release.
    pub(crate) const PUSHED: Self = Self(u32::MAX);
    /// Taken from a queue whose receipt expired while the consumer held
    /// it: the queue has let it go (it may be delivered again).
    pub(crate) const DETACHED: Self = Self(u32::MAX - 1);

    /// Taken from the queue or log `node`, which waits for the outcome.
    #[inline(always)]
    pub(crate) const fn source(node: NodeIx) -> Self {
        Self(node.0)
    }

    /// The queue or log holding the message's receipt, if one does.
    #[inline(always)]
    pub(crate) const fn holder(self) -> Option<NodeIx> {
        if self.0 >= Self::DETACHED.0 {
            None
        } else {
            Some(NodeIx(self.0))
        }
    }
}

impl Default for Origin {
    fn default() -> Self {
        Self::PUSHED
    }
}

/// A message in flight.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Msg {
    /// When its producer created it (end-to-end latency starts here).
    pub created: SimTime,
    /// When it arrived at the node that holds it (sojourn starts here).
    pub node_in: SimTime,
    /// When its current wait began (in a queue, an inbox, a backlog).
    pub wait_from: SimTime,
    pub event_type: u16,
    /// The partitioning key, drawn from the producer's key space (CEP
    /// windows are per key).
    pub key: u32,
    /// The log partition a group's copy was read from.
    pub partition: u32,
    /// Processing attempts at the current consumer.
    pub attempts: u32,
    /// Receives from the current queue.
    pub receives: u32,
    /// Bumped on allocation and on every receive, so stale timers and
    /// receipts never match a reused slot.
    pub ticket: u32,
    /// The queue or log whose receipt covers this message, if any.
    pub origin: Origin,
    /// The consumer it is in service at (being fetched or processed), or
    /// [`NodeIx::NONE`]: a crash finds what the consumer loses by this.
    pub held_by: NodeIx,
    /// The consumer waiting for a service's answer about it.
    pub caller: NodeIx,
    /// The call its consumer waits on (a number unique in the run), or 0
    /// while it waits on none: an answer or a call timeout for another
    /// call finds a different number here.
    pub call: u32,
    /// The send of a client producer it belongs to (see `ClientRt`), or 0:
    /// its journey's good end answers that send.
    pub request: u32,
    /// Its identity: shared by redelivered instances, new for fan-out copies.
    pub lineage: u64,
    /// When an event store appended it (a projection's staleness starts here).
    pub stamp: SimTime,
    /// [`Msg::REPLAYED`] and [`Msg::RESENT`].
    pub flags: u8,
    /// The schema version of its event type it was made at (0 for an
    /// event type without versions, which reads as version 1).
    pub version: u8,
    /// The node that made it (a producer, a CEP node's match, an event
    /// store's replay): where a path objective's latency starts.
    pub source: NodeIx,
    /// When it stops being worth processing (its producer's time to live).
    pub deadline: Deadline,
}

impl Msg {
    /// Sent by an event store's replay, not by the live flow.
    pub const REPLAYED: u8 = 1;
    /// Sent again by a client that gave up waiting for an earlier send of
    /// the same request (copies made of it downstream carry the mark).
    pub const RESENT: u8 = 2;

    #[inline(always)]
    pub const fn replayed(&self) -> bool {
        self.flags & Self::REPLAYED != 0
    }

    #[inline(always)]
    pub const fn resent(&self) -> bool {
        self.flags & Self::RESENT != 0
    }

    /// Its schema version: 1 for an event type without versions.
    #[inline(always)]
    pub const fn version(&self) -> u8 {
        if self.version == 0 { 1 } else { self.version }
    }

    /// The stream whose order it belongs to: its maker's and key's.
    #[inline(always)]
    pub const fn stream(&self) -> u64 {
        (self.source.0 as u64) << 32 | self.key as u64
    }
}

/// When a message stops being worth processing; by default never.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Deadline(pub SimTime);

impl Default for Deadline {
    fn default() -> Self {
        Self(SimTime::NEVER)
    }
}

impl Deadline {
    /// Whether it has passed at `now` (a message due exactly now is still
    /// in time).
    #[inline(always)]
    pub fn passed(self, now: SimTime) -> bool {
        now > self.0
    }
}

/// Messages live here; freed slots are reused.
#[derive(Clone, Debug, Default)]
pub(crate) struct Arena {
    slots: Vec<Msg>,
    free: Vec<MsgId>,
    pub live: u64,
}

impl Arena {
    #[inline(always)]
    pub(super) fn alloc(&mut self, msg: Msg) -> MsgId {
        self.live += 1;
        // (Whatever it is made from, a new message is in service nowhere.)
        if let Some(id) = self.free.pop() {
            let slot = &mut self.slots[id];
            let ticket = slot.ticket.wrapping_add(1);
            *slot = Msg {
                ticket,
                held_by: NodeIx::NONE,
                ..msg
            };
            id
        } else {
            // `max_in_flight` stops a run long before ids run out.
            let id = MsgId::at(self.slots.len());
            self.slots.push(Msg {
                held_by: NodeIx::NONE,
                ..msg
            });
            id
        }
    }

    /// Frees the message's slot; returns its lineage.
    #[inline]
    pub(super) fn free(&mut self, id: MsgId) -> u64 {
        self.live -= 1;
        // Timers that still name this slot must not match it.
        let slot = &mut self.slots[id];
        slot.ticket = slot.ticket.wrapping_add(1);
        slot.held_by = NodeIx::NONE;
        let lineage = slot.lineage;
        self.free.push(id);
        lineage
    }

    /// The messages in service at consumer `node`, in slot order.
    pub(crate) fn in_service_at(&self, node: NodeIx) -> Vec<MsgId> {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, m)| m.held_by == node)
            .map(|(id, _)| MsgId::at(id))
            .collect()
    }

    #[inline]
    pub fn get(&self, id: MsgId) -> &Msg {
        &self.slots[id]
    }

    #[inline]
    pub fn get_mut(&mut self, id: MsgId) -> &mut Msg {
        &mut self.slots[id]
    }
}
