//! Messages in flight: their fields, and the arena that holds them and
//! reuses freed slots.

/// Index of a message in the arena.
pub(crate) type MsgId = u32;
/// Index of a node in the compiled simulation (model order).
pub(crate) type NodeIx = u32;
/// Index of an edge in the compiled simulation (model order).
pub(crate) type EdgeIx = u32;

/// No node: a message that did not come from a queue.
pub(crate) const NO_NODE: u32 = u32::MAX;
/// A message whose queue receipt expired while a consumer held it.
pub(crate) const DETACHED: u32 = u32::MAX - 1;

/// A message in flight.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Msg {
    /// When its producer created it (end-to-end latency starts here).
    pub created: u64,
    /// When it arrived at the node that holds it (sojourn starts here).
    pub node_in: u64,
    /// When its current wait began (in a queue, an inbox, a backlog).
    pub wait_from: u64,
    pub event_type: u16,
    /// The partitioning key, drawn from the producer's key space.
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
    /// The queue whose receipt covers this message, [`NO_NODE`], or
    /// [`DETACHED`].
    pub origin: u32,
    /// The consumer it is in service at (being fetched or processed), or
    /// [`NO_NODE`]: a crash finds what the consumer loses by this.
    pub held_by: NodeIx,
    /// The consumer waiting for a service's answer about it.
    pub caller: u32,
    /// Its identity: shared by redelivered instances, new for fan-out copies.
    pub lineage: u64,
    /// When an event store appended it (a projection's staleness starts here).
    pub stamp: u64,
    /// Sent by an event store's replay, not by the live flow.
    pub replayed: bool,
}

/// Messages live here; freed slots are reused.
#[derive(Debug, Default)]
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
            let slot = &mut self.slots[id as usize];
            let ticket = slot.ticket.wrapping_add(1);
            *slot = Msg {
                ticket,
                held_by: NO_NODE,
                ..msg
            };
            id
        } else {
            // Ids stay below the sentinels that name no node in `origin`
            // and `held_by`; `max_in_flight` stops a run long before.
            let id = u32::try_from(self.slots.len()).unwrap_or(u32::MAX);
            debug_assert!(id < DETACHED, "message ids overflowed at {id}");
            self.slots.push(Msg {
                held_by: NO_NODE,
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
        let slot = &mut self.slots[id as usize];
        slot.ticket = slot.ticket.wrapping_add(1);
        slot.held_by = NO_NODE;
        let lineage = slot.lineage;
        self.free.push(id);
        lineage
    }

    /// The messages in service at consumer `node`, in slot order.
    pub(crate) fn in_service_at(&self, node: NodeIx) -> Vec<MsgId> {
        (0..)
            .zip(&self.slots)
            .filter(|(_, m)| m.held_by == node)
            .map(|(id, _)| id)
            .collect()
    }

    #[inline]
    pub fn get(&self, id: MsgId) -> &Msg {
        &self.slots[id as usize]
    }

    #[inline]
    pub fn get_mut(&mut self, id: MsgId) -> &mut Msg {
        &mut self.slots[id as usize]
    }
}
