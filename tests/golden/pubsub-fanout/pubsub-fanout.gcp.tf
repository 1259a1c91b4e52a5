# Pub/sub fan-out — the Google Cloud shape of a Weir model, exported by Weir.
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

# Producer 'orders' (Order service): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: Poisson 50/s; OrderPlaced, OrderCancelled.

resource "google_pubsub_topic" "order_events" {
  name = "order-events"
}

resource "google_pubsub_subscription" "billing_q" {
  name  = "billing-q"
  topic = google_pubsub_topic.order_events.id
  ack_deadline_seconds = 30 # simulated: visibility_timeout (the ack deadline)
  # Not mapped: after 1 deliveries (max_attempts of consumer 'billing') the model drops the message; Pub/Sub without a dead-letter topic delivers it again until it expires.
}

# Consumer 'billing' (Billing): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: exp. mean 8ms.

resource "google_pubsub_subscription" "shipping_q" {
  name  = "shipping-q"
  topic = google_pubsub_topic.order_events.id
  ack_deadline_seconds = 30 # simulated: visibility_timeout (the ack deadline)
  filter = "attributes.event_type = \"OrderPlaced\"" # simulated: subscription filter
  # Not mapped: after 1 deliveries (max_attempts of consumer 'shipping') the model drops the message; Pub/Sub without a dead-letter topic delivers it again until it expires.
}

# Consumer 'shipping' (Shipping): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: 2 × 1, exp. mean 30ms.

resource "google_pubsub_subscription" "analytics_q" {
  name  = "analytics-q"
  topic = google_pubsub_topic.order_events.id
  ack_deadline_seconds = 30 # simulated: visibility_timeout (the ack deadline)
  # Not mapped: after 1 deliveries (max_attempts of consumer 'analytics') the model drops the message; Pub/Sub without a dead-letter topic delivers it again until it expires.
}

# Consumer 'analytics' (Analytics): no Google Cloud resource is generated for it (an application, or processing no single Pub/Sub resource stands for). Simulated: 5ms..33ms.
