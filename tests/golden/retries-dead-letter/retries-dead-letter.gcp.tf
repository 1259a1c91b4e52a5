# Retries and dead letters — the Google Cloud shape of a Weir model, exported by Weir.
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

# Producer 'checkout' (Checkout): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: Poisson 40/s.

# Its senders send to queue 'payments-q' itself; Pub/Sub publishes only to topics, so this one stands in front of its subscription.
resource "google_pubsub_topic" "payments_q_topic" {
  name = "payments-q-topic"
}

resource "google_pubsub_subscription" "payments_q" {
  name  = "payments-q"
  topic = google_pubsub_topic.payments_q_topic.id
  ack_deadline_seconds = 30 # simulated: visibility_timeout (the ack deadline)
  # Not mapped: after 4 deliveries (max_attempts of consumer 'payments') the model drops the message; Pub/Sub without a dead-letter topic delivers it again until it expires.
}

# Consumer 'payments' (Payment service): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: 2 × 1, exp. mean 20ms; fails 20%; backoff 100ms..2s, ≤4 attempts.

# Sink 'ledger' (Ledger): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: 3ms.

resource "google_pubsub_topic" "payments_dlq" {
  name = "payments-dlq"
}

resource "google_pubsub_subscription" "payments_dlq_held" {
  name  = "payments-dlq-held"
  topic = google_pubsub_topic.payments_dlq.id
  # Keeps the dead letters for inspection and replay (simulated: dead-letter queue).
}
