# Retries and dead letters — the Azure shape of a Weir model, exported by Weir.
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

# Producer 'checkout' (Checkout): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: Poisson 40/s.

resource "azurerm_servicebus_queue" "payments_q" {
  name                = "payments-q"
  namespace_id        = azurerm_servicebus_namespace.weir.id
  lock_duration       = "PT30S" # simulated: visibility_timeout
  max_delivery_count  = 4 # simulated: max_attempts of consumer 'payments'
  # Not mapped: no dead-letter edge, so the model drops what runs out of deliveries; Service Bus keeps it in the queue's dead-letter subqueue.
}

# Consumer 'payments' (Payment service): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: 2 × 1, exp. mean 20ms; fails 20%; backoff 100ms..2s, ≤4 attempts.

# Sink 'ledger' (Ledger): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: 3ms.

resource "azurerm_servicebus_queue" "payments_dlq" {
  name                = "payments-dlq"
  namespace_id        = azurerm_servicebus_namespace.weir.id
  # A dead-letter queue its consumers send failed messages to (simulated).
}
