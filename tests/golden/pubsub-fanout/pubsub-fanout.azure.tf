# Pub/sub fan-out — the Azure shape of a Weir model, exported by Weir.
#
# Values marked "# simulated" come from the simulation model. Weir
# parameters with no Azure counterpart are listed in "# Not mapped:"
# comments; nothing else is guessed. What the model does not say (the
# resource group, the region, a prefix for globally unique names) is
# asked for as variables.

terraform {
  required_providers {
    azurerm = {
      source  = "hashicorp/azurerm"
      version = "~> 4.0"
    }
  }
}

provider "azurerm" {
  features {}
}

variable "resource_group_name" {
  description = "The resource group the namespaces go in"
  type        = string
}

variable "location" {
  description = "The Azure region, e.g. westeurope"
  type        = string
}

variable "name_prefix" {
  description = "A prefix that makes the namespaces' names globally unique (letters, digits and hyphens, starting with a letter)"
  type        = string
}

resource "azurerm_servicebus_namespace" "weir" {
  name                = "${var.name_prefix}-bus"
  location            = var.location
  resource_group_name = var.resource_group_name
  sku                 = "Standard" # topics and sessions need Standard
}

# Producer 'orders' (Order service): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: Poisson 50/s; OrderPlaced, OrderCancelled.

resource "azurerm_servicebus_topic" "order_events" {
  name         = "order-events"
  namespace_id = azurerm_servicebus_namespace.weir.id
}

resource "azurerm_servicebus_subscription" "order_events_to_analytics_q" {
  name                = "analytics-q"
  topic_id            = azurerm_servicebus_topic.order_events.id
  max_delivery_count  = 10 # simulated: forwarded at once: the queue counts its own deliveries
  forward_to          = azurerm_servicebus_queue.analytics_q.name # simulated: subscription of queue 'analytics-q'
}

resource "azurerm_servicebus_subscription" "order_events_to_shipping_q" {
  name                = "shipping-q"
  topic_id            = azurerm_servicebus_topic.order_events.id
  max_delivery_count  = 10 # simulated: forwarded at once: the queue counts its own deliveries
  forward_to          = azurerm_servicebus_queue.shipping_q.name # simulated: subscription of queue 'shipping-q'
}

# Service Bus gives a new subscription a $Default rule that takes every message: delete it so that this filter decides.
resource "azurerm_servicebus_subscription_rule" "order_events_to_shipping_q_filter" {
  name            = "event-types"
  subscription_id = azurerm_servicebus_subscription.order_events_to_shipping_q.id
  filter_type     = "SqlFilter"
  sql_filter      = "event_type IN ('OrderPlaced')" # simulated: subscription filter
}

resource "azurerm_servicebus_subscription" "order_events_to_billing_q" {
  name                = "billing-q"
  topic_id            = azurerm_servicebus_topic.order_events.id
  max_delivery_count  = 10 # simulated: forwarded at once: the queue counts its own deliveries
  forward_to          = azurerm_servicebus_queue.billing_q.name # simulated: subscription of queue 'billing-q'
}

resource "azurerm_servicebus_queue" "billing_q" {
  name                = "billing-q"
  namespace_id        = azurerm_servicebus_namespace.weir.id
  lock_duration       = "PT30S" # simulated: visibility_timeout
  max_delivery_count  = 1 # simulated: max_attempts of consumer 'billing'
  # Not mapped: no dead-letter edge, so the model drops what runs out of deliveries; Service Bus keeps it in the queue's dead-letter subqueue.
}

# Consumer 'billing' (Billing): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: exp. mean 8ms.

resource "azurerm_servicebus_queue" "shipping_q" {
  name                = "shipping-q"
  namespace_id        = azurerm_servicebus_namespace.weir.id
  lock_duration       = "PT30S" # simulated: visibility_timeout
  max_delivery_count  = 1 # simulated: max_attempts of consumer 'shipping'
  # Not mapped: no dead-letter edge, so the model drops what runs out of deliveries; Service Bus keeps it in the queue's dead-letter subqueue.
}

# Consumer 'shipping' (Shipping): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: 2 × 1, exp. mean 30ms.

resource "azurerm_servicebus_queue" "analytics_q" {
  name                = "analytics-q"
  namespace_id        = azurerm_servicebus_namespace.weir.id
  lock_duration       = "PT30S" # simulated: visibility_timeout
  max_delivery_count  = 1 # simulated: max_attempts of consumer 'analytics'
  # Not mapped: no dead-letter edge, so the model drops what runs out of deliveries; Service Bus keeps it in the queue's dead-letter subqueue.
}

# Consumer 'analytics' (Analytics): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: 5ms..33ms.
