//! Where an imported model's nodes came from (`imported:` in the model
//! file): what in the AsyncAPI documents made each node and edge, so that
//! importing the documents again keeps the user's parameters, positions
//! and added nodes, and can say what changed (`docs/export.md`).

use serde::{Deserialize, Serialize};

/// The nodes and edges an import made.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Imported {
    /// Each imported node's id and what made it.
    pub nodes: Vec<ImportedNode>,
    /// The ids of the edges the import made.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<String>,
}

impl Imported {
    /// The origin of the node with this id.
    pub fn origin(&self, id: &str) -> Option<&Origin> {
        self.entry(id).map(|n| &n.from)
    }

    /// The record of the node with this id.
    pub fn entry(&self, id: &str) -> Option<&ImportedNode> {
        self.nodes.iter().find(|n| n.id == id)
    }
}

/// One imported node.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportedNode {
    pub id: String,
    pub from: Origin,
    /// The kind the documents gave it (`"queue"`), so that importing again
    /// tells a kind the documents changed from one the user changed.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub kind: String,
}

/// What in the documents made a node. Addresses are written with their
/// parameters as `{}`, so that `orders/{id}` and `orders/{orderId}` are
/// one channel.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub enum Origin {
    /// A channel's broker: its address, and its key in the first document
    /// that declares it.
    Channel { address: String, key: String },
    /// An operation of a service (a document, by its title).
    Operation {
        service: String,
        key: String,
        action: String,
        address: String,
    },
    /// The stand-in for senders outside the documents.
    Sender { address: String },
    /// The stand-in for receivers outside the documents.
    Receiver { address: String },
    /// A dead-letter queue named by a redrive policy.
    DeadLetter { name: String },
}

impl Origin {
    /// What it is, in words: "channel 'orders'".
    pub fn describe(&self) -> String {
        match self {
            Self::Channel { address, key } if address == key => format!("channel '{address}'"),
            Self::Channel { address, key } => format!("channel '{key}' (address {address})"),
            Self::Operation {
                service,
                key,
                action,
                address,
            } => format!("operation '{key}' of {service} ({action} on {address})"),
            Self::Sender { address } => format!("the external sender to {address}"),
            Self::Receiver { address } => format!("the external receiver from {address}"),
            Self::DeadLetter { name } => format!("dead-letter queue '{name}'"),
        }
    }
}
