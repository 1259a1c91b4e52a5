//! Topic: SNS-style publish/subscribe.
//!
//! Every message published to a topic goes to each of its subscriptions
//! (its outgoing edges) whose event-type filter matches — a copy each. A
//! message no subscription wants is dropped (`no_subscriber`). A topic
//! holds nothing itself: when a subscribed queue is full and blocks, the
//! publisher waits until every matching subscriber has room.

use serde::{Deserialize, Serialize};

/// A topic's parameters (subscriptions and their filters are its edges).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TopicParams {}
