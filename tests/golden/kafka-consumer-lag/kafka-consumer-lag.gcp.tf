# Kafka partitions and consumer lag — the Google Cloud shape of a Weir model, exported by Weir.
#
# Values marked "# simulated" come from the simulation model. Weir
# parameters with no Pub/Sub counterpart are listed in "# Not mapped:"
# comments; nothing else is guessed. What the model does not say (the
# project, push endpoints) is asked for as variables.

terraform {
  required_providers {
    google = {
      source  = "hashicorp/google"
      version = "~> 6.0"
    }
  }
}

provider "google" {
  project = var.project
}

variable "project" {
  description = "The Google Cloud project the topics and subscriptions go in"
  type        = string
}

# Producer 'orders' (Orders): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: Poisson 80/s; order.

# Producer 'malformed' (Malformed order): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: constant 0.01/s; malformed.

# Log 'orders-log' (orders (4 partitions)): no Pub/Sub resource: Pub/Sub has no partitioned log with offsets (weir export --format kafka writes its topic, for a managed Kafka cluster). Simulated: 4 partitions by key; retention 1h.

# Consumer 'billing' (Billing group): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: 4 × 1, exp. mean 40ms; retry after 5s, ≤4 attempts.

# Consumer 'analytics' (Analytics group): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: 6 × 1, exp. mean 10ms.

resource "google_pubsub_topic" "billing_dlq" {
  name = "billing-dlq"
}

resource "google_pubsub_subscription" "billing_dlq_held" {
  name  = "billing-dlq-held"
  topic = google_pubsub_topic.billing_dlq.id
  # Keeps the dead letters for inspection and replay (simulated: dead-letter queue).
}

# Not mapped: 2 alerting rules (weir export --format prometheus-rules writes them).
