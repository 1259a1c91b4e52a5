#!/bin/sh
# Kafka topic definitions for the Weir model Pub/sub fan-out.
# From the simulation: each log's partitions and retention (retention.ms, rounded up
# to whole milliseconds), and cleanup.policy=delete (retention by time).
# Not from the simulation: the replication factor of a log without durability,
# ${REPLICATION_FACTOR:-3} (a common production choice; use 1 on a one-broker
# development cluster), and the cluster, ${BOOTSTRAP_SERVER:-localhost:9092}.
set -eu
BOOTSTRAP_SERVER="${BOOTSTRAP_SERVER:-localhost:9092}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-3}"

# The model has no logs, so there are no Kafka topics to create.

# No Kafka topic for the other nodes: 'orders' (producer), 'order-events' (topic), 'billing-q' (queue), 'billing' (consumer), 'shipping-q' (queue), 'shipping' (consumer), 'analytics-q' (queue), 'analytics' (consumer).
