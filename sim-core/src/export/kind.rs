//! What each node kind contributes to each export format.
//!
//! Every kind implements [`KindExport`] in its own module
//! (`nodes/<kind>.rs`), beside its [`KindSpec`]: its AsyncAPI channel or
//! operations and their bindings, its Terraform resources or the sentence
//! saying why it has none, and its Kafka topic. The exporters reach it
//! through `with_params!`, so a new kind is asked by the compiler for its
//! place in every format, and no exporter names every kind.

use petgraph::stable_graph::NodeIndex;
use serde_json::Value;

use super::terraform::Terraform;
use crate::model::{Model, Node};
use crate::nodes::KindSpec;

/// A kind's part of each export format.
pub(crate) trait KindExport: KindSpec {
    /// AsyncAPI: whether a node of this kind is a channel, the address its
    /// writers send to (brokers, and the nodes with no AsyncAPI
    /// counterpart, which keep their parameters in `x-weir-node`), rather
    /// than operations (a producer's sends, a consumer's receives and
    /// sends).
    const ASYNCAPI_CHANNEL: bool;

    /// AsyncAPI: the bindings of the node's channel (SQS, SNS, Kafka);
    /// `None` when it has none.
    fn asyncapi_channel_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value>;

    /// AsyncAPI: the bindings of `reader`'s receive operation on this
    /// node's channel.
    fn asyncapi_receive_bindings(&self, reader: &Node) -> Option<Value>;

    /// AsyncAPI: the bindings of a send operation to node `n` of this kind.
    fn asyncapi_send_bindings(&self, model: &Model, n: NodeIndex) -> Option<Value>;

    /// Terraform: how a node with no resource of its own sends to a node
    /// of this kind, after the latency note (the permission it needs, or
    /// why there is none).
    const TERRAFORM_SEND: &'static str;

    /// Terraform: node `n`'s resources, or comments saying why it has none
    /// and what the simulation assumed.
    fn terraform(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex);

    /// Terraform for Azure: node `n`'s Service Bus or Event Hubs
    /// resources, or a comment saying why it has none and what the
    /// simulation assumed (the default: an application or processing
    /// that no single Azure resource stands for).
    fn azure(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let mut kind = Self::LABEL.to_owned();
        if let Some(first) = kind.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        tf.outside(
            out,
            n,
            &kind,
            "no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for)",
        );
    }

    /// Terraform for Google Cloud: node `n`'s Pub/Sub resources, or a
    /// comment saying why it has none and what the simulation assumed
    /// (the default: an application or processing that no single Pub/Sub
    /// resource stands for).
    fn gcp(&self, tf: &mut Terraform<'_>, out: &mut String, n: NodeIndex) {
        let mut kind = Self::LABEL.to_owned();
        if let Some(first) = kind.get_mut(..1) {
            first.make_ascii_uppercase();
        }
        tf.outside(
            out,
            n,
            &kind,
            "no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for)",
        );
    }

    /// Kafka: writes node `n`'s topic definition and returns `true`;
    /// `false`, writing nothing, when the kind has no Kafka topic.
    fn kafka_topic(&self, out: &mut String, model: &Model, n: NodeIndex) -> bool;
}
