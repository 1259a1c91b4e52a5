//! What can happen at an instant, and where each event goes.

use super::{EdgeIx, MsgId, NodeIx, Simulation, Slot};
use crate::nodes::{Kind, Runtime, with_kind};

/// What happens at an instant.
// NOTE: every field is four bytes wide, so an event's payload is three
// aligned words: a two-byte field once made the compiler copy events as
// overlapping words, which stalled store forwarding on every event.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) enum Ev {
    /// A producer's next event is due (unless its generation moved on);
    /// the producer is named by its slot.
    Arrival { slot: Slot, generation: u32 },
    /// A message pulled over a link with latency reaches its consumer
    /// (unless the consumer crashed meanwhile: the ticket tells).
    Fetched {
        node: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A consumer finished processing a message (ticket as above).
    ServiceDone {
        /// The consumer's slot.
        slot: Slot,
        msg: MsgId,
        ticket: u32,
    },
    /// A consumer's processing timeout ran out before the work was done.
    ServiceTimeout {
        node: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A sink finished with a message.
    SinkDone { node: NodeIx, msg: MsgId },
    /// The message at the head of an edge's transit line arrives.
    EdgeArrive(EdgeIx),
    /// A message waiting out a retry delay in a queue becomes visible.
    QueueVisible { node: NodeIx, msg: MsgId },
    /// A FIFO queue shows the next message of a group (message key).
    GroupDue { node: NodeIx, key: u32 },
    /// A queue checks its line of receipts for expired visibility timeouts.
    VisibilityCheck(NodeIx),
    /// A Pub/Sub push subscription may push again (its push backoff is
    /// over, or a message left its window).
    PushResume(NodeIx),
    /// The visibility timeout of a queue's receipt ends (unless the
    /// ticket or the message's origin show that the receipt is gone).
    ReceiptExpiry {
        node: NodeIx,
        msg: MsgId,
        ticket: u32,
    },
    /// A pushed message's retry delay at a consumer is over.
    InboxRetry { node: NodeIx, msg: MsgId },
    /// A fault of the scenario timeline starts.
    FaultStart(u32),
    /// A fault of the scenario timeline ends.
    FaultEnd(u32),
    /// A service finished a call (its caller is named in the message;
    /// `call` is the call's number, see `Msg::call`).
    CallDone {
        service: NodeIx,
        msg: MsgId,
        call: u32,
    },
    /// A client producer stops waiting for a send (unless it was answered).
    ClientTimeout { slot: Slot, send: u32 },
    /// A client producer's request is due to be sent again.
    ClientResend { slot: Slot, send: u32 },
    /// A consumer's call timeout ran out (unless the answer came first:
    /// the message then waits on no call, or on another).
    CallTimeout { node: NodeIx, msg: MsgId, call: u32 },
    /// A serverless consumer's idle instances may have outlived their keep-alive.
    KeepAlive(NodeIx),
    /// A consumer's autoscaler looks at the load.
    Autoscale(NodeIx),
    /// A new consumer instance has started (unless cancelled meanwhile).
    InstanceReady { node: NodeIx, token: u32 },
    /// A log's oldest records may have outlived the retention.
    LogExpire(NodeIx),
    /// A log's consumer group may fetch again (a retry is due, or a
    /// rebalance is over).
    LogWake { node: NodeIx, group: u32 },
    /// A CEP rule's timer for a key (unless the window moved on: the
    /// token names the rule's live timer).
    CepTimer { node: NodeIx, key: u32, token: u32 },
    /// An event store's append attempt is over.
    StoreAppended { node: NodeIx, msg: MsgId },
    /// An event store's rate limit allows the next append.
    StoreNext(NodeIx),
    /// A conflicted append is tried again.
    StoreRetry { node: NodeIx, msg: MsgId },
    /// An event store's replay sends its next event.
    StoreReplay(NodeIx),
    /// A projection applied an event.
    ProjectionApplied { node: NodeIx, msg: MsgId },
    /// A message handed on from relay to relay reaches the next one (see
    /// `MAX_DEPTH`).
    Relay { node: NodeIx, msg: MsgId },
    /// The nodes waiting on `node` for room are woken (see `MAX_DEPTH`).
    WakeWaiters(NodeIx),
    /// A durable broker's new leader is elected.
    Elected(NodeIx),
    /// A durable broker is done switching to its standby region.
    Switched(NodeIx),
    /// A service's outbox relay polls for unpublished rows.
    OutboxPoll(NodeIx),
    /// A batch an outbox relay publishes reaches the broker.
    OutboxSent(NodeIx),
    /// The warm-up ends: statistics restart. (Also the filler the
    /// calendar keeps in its empty slots.)
    #[default]
    WarmupEnd,
}

impl Ev {
    /// The node the event happens at, if one.
    pub(super) fn node(self, sim: &Simulation) -> Option<NodeIx> {
        match self {
            Self::Arrival { slot, .. } => Some(sim.producers[slot].node),
            Self::ServiceDone { slot, .. } => Some(sim.consumers[slot].node),
            Self::ClientTimeout { slot, .. } | Self::ClientResend { slot, .. } => {
                Some(sim.producers[slot].node)
            }
            Self::Fetched { node, .. }
            | Self::ServiceTimeout { node, .. }
            | Self::SinkDone { node, .. }
            | Self::QueueVisible { node, .. }
            | Self::GroupDue { node, .. }
            | Self::VisibilityCheck(node)
            | Self::PushResume(node)
            | Self::ReceiptExpiry { node, .. }
            | Self::InboxRetry { node, .. }
            | Self::CallDone { service: node, .. }
            | Self::CallTimeout { node, .. }
            | Self::KeepAlive(node)
            | Self::Autoscale(node)
            | Self::InstanceReady { node, .. }
            | Self::LogExpire(node)
            | Self::LogWake { node, .. }
            | Self::CepTimer { node, .. }
            | Self::StoreAppended { node, .. }
            | Self::StoreNext(node)
            | Self::StoreRetry { node, .. }
            | Self::StoreReplay(node)
            | Self::ProjectionApplied { node, .. }
            | Self::Relay { node, .. }
            | Self::WakeWaiters(node)
            | Self::Elected(node)
            | Self::Switched(node)
            | Self::OutboxPoll(node)
            | Self::OutboxSent(node) => Some(node),
            Self::EdgeArrive(edge) => Some(sim.edges[edge].to),
            Self::FaultStart(i) | Self::FaultEnd(i) => sim.faults.get(i as usize).map(|f| f.node),
            Self::WarmupEnd => None,
        }
    }
}

impl Simulation {
    /// Touches the node `ev` happens at, if one.
    fn touch_at(&mut self, ev: Ev) {
        if let Some(node) = ev.node(self) {
            self.touch(node);
        }
    }

    #[inline(always)]
    pub(super) fn handle(&mut self, ev: Ev) {
        // NOTE: each event touches the node it happens at (see
        // `Simulation::touch`); a producer's arrival and a message at the
        // end of a link touch theirs where they are found.
        match ev {
            Ev::Arrival { slot, generation } => self.producer_arrival(slot, generation),
            Ev::Fetched { node, msg, ticket } => {
                self.touch(node);
                if self.msgs.get(msg).ticket == ticket {
                    self.consumer_fetched(node, msg);
                }
            }
            Ev::ServiceDone { slot, msg, ticket } => {
                if self.msgs.get(msg).ticket == ticket {
                    let node = self.consumers[slot].node;
                    self.touch(node);
                    self.consumer_done(node, slot, msg, false);
                }
            }
            Ev::ServiceTimeout { node, msg, ticket } => {
                self.touch(node);
                if self.msgs.get(msg).ticket == ticket {
                    let slot = self.topo[node].slot;
                    self.consumer_done(node, slot, msg, true);
                }
            }
            Ev::SinkDone { node, msg } => {
                self.touch(node);
                self.sink_done(node, msg);
            }
            Ev::EdgeArrive(edge) => self.edge_arrive(edge),
            Ev::QueueVisible { node, msg } => {
                self.touch(node);
                self.queue_visible(node, msg);
            }
            Ev::GroupDue { node, key } => {
                self.touch(node);
                self.queue_group_due(node, key);
            }
            Ev::VisibilityCheck(node) => {
                self.touch(node);
                self.queue_visibility_check(node);
            }
            Ev::PushResume(node) => {
                self.touch(node);
                self.pubsub_push_resume(node);
            }
            Ev::ReceiptExpiry { node, msg, ticket } => {
                self.touch(node);
                self.queue_receipt_expired(node, msg, ticket);
            }
            Ev::InboxRetry { node, msg } => {
                self.touch(node);
                self.consumer_inbox_retry(node, msg);
            }
            Ev::FaultStart(i) => {
                self.touch_at(ev);
                self.fault_start(i);
            }
            Ev::FaultEnd(i) => {
                self.touch_at(ev);
                self.fault_end(i);
            }
            Ev::Autoscale(node) => {
                self.touch(node);
                self.autoscale(node);
            }
            Ev::KeepAlive(node) => {
                self.touch(node);
                self.consumer_keep_alive(node);
            }
            Ev::InstanceReady { node, token } => {
                self.touch(node);
                self.instance_ready(node, token);
            }
            Ev::ClientTimeout { slot, send } => {
                self.touch_at(ev);
                self.client_timeout(slot, send);
            }
            Ev::ClientResend { slot, send } => {
                self.touch_at(ev);
                self.client_resend(slot, send);
            }
            Ev::CallDone { service, msg, call } => {
                self.touch(service);
                self.service_done(service, msg, call);
            }
            Ev::CallTimeout { node, msg, call } => {
                self.touch(node);
                if self.msgs.get(msg).call == call {
                    self.consumer_call_timeout(node, msg, call);
                }
            }
            Ev::LogExpire(node) => {
                self.touch(node);
                self.log_expire(node);
            }
            Ev::LogWake { node, group } => {
                self.touch(node);
                self.log_wake(node, group);
            }
            Ev::CepTimer { node, key, token } => {
                self.touch(node);
                self.cep_timer(node, key, token);
            }
            Ev::StoreAppended { node, msg } => {
                self.touch(node);
                self.store_appended(node, msg);
            }
            Ev::StoreNext(node) => {
                self.touch(node);
                self.store_next(node);
            }
            Ev::StoreRetry { node, msg } => {
                self.touch(node);
                self.store_retry(node, msg);
            }
            Ev::StoreReplay(node) => {
                self.touch(node);
                self.store_replay(node);
            }
            Ev::ProjectionApplied { node, msg } => {
                self.touch(node);
                self.projection_applied(node, msg);
            }
            Ev::Relay { node, msg } => {
                self.touch(node);
                self.arrive(node, msg);
            }
            Ev::WakeWaiters(node) => {
                self.touch(node);
                self.wake_waiters(node);
            }
            Ev::Elected(node) => {
                self.touch(node);
                self.broker_elected(node);
            }
            Ev::Switched(node) => {
                self.touch(node);
                self.broker_switched(node);
            }
            Ev::OutboxPoll(node) => {
                self.touch(node);
                self.outbox_poll(node);
            }
            Ev::OutboxSent(node) => {
                self.touch(node);
                self.outbox_sent(node);
            }
            Ev::WarmupEnd => {
                let now = self.now;
                self.series.before_reset(&self.stats);
                for stats in &mut self.stats {
                    stats.reset(now);
                }
                for d in self.durable.iter_mut().flatten() {
                    d.reset(now);
                }
                for o in self.outboxes.iter_mut().flatten() {
                    o.reset(now);
                }
                if let Some(resends) = &mut self.resends {
                    resends.tally.fill([0; 2]);
                }
                for kind in Kind::ALL {
                    with_kind!(kind, P => P::reset(self, now));
                }
                self.objectives_start();
            }
        }
    }
}
