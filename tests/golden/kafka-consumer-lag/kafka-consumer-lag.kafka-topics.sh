#!/bin/sh
# Kafka topic definitions for the Weir model Kafka partitions and consumer lag.
# From the simulation: each log's partitions and retention (retention.ms, rounded up
# to whole milliseconds), and cleanup.policy=delete (retention by time).
# Not from the simulation: the replication factor of a log without durability,
# ${REPLICATION_FACTOR:-3} (a common production choice; use 1 on a one-broker
# development cluster), and the cluster, ${BOOTSTRAP_SERVER:-localhost:9092}.
set -eu
BOOTSTRAP_SERVER="${BOOTSTRAP_SERVER:-localhost:9092}"
REPLICATION_FACTOR="${REPLICATION_FACTOR:-3}"

# Log 'orders-log' (orders (4 partitions)). Simulated: 4 partitions by key; retention 1h.
kafka-topics.sh --bootstrap-server "$BOOTSTRAP_SERVER" --create --if-not-exists \
  --topic 'orders-log' --partitions 4 --replication-factor "$REPLICATION_FACTOR" \
  --config retention.ms=3600000 --config cleanup.policy=delete
# Not mapped: partitioner KeyHash: producers choose partitions (Kafka's default partitioner hashes the record key).
# Not mapped: rebalance pause 3s: the brokers' group.initial.rebalance.delay.ms and the consumers' session settings decide it.
# Consumer group 'analytics': created by its consumers when they join (consumer 'analytics').
# Consumer group 'billing': created by its consumers when they join (consumer 'billing').

# No Kafka topic for the other nodes: 'orders' (producer), 'malformed' (producer), 'billing' (consumer), 'analytics' (consumer), 'billing-dlq' (dead-letter queue).
