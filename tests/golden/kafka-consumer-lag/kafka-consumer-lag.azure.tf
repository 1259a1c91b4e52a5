# Kafka partitions and consumer lag — the Azure shape of a Weir model, exported by Weir.
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

# Producer 'orders' (Orders): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: Poisson 80/s; order.

# Producer 'malformed' (Malformed order): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: constant 0.01/s; malformed.

# Log 'orders-log' (orders (4 partitions)): a Kafka log: no Event Hubs resource is generated unless it has `event_hubs` (weir export --format kafka writes its topic). Simulated: 4 partitions by key; retention 1h.

# Consumer 'billing' (Billing group): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: 4 × 1, exp. mean 40ms; retry after 5s, ≤4 attempts.

# Consumer 'analytics' (Analytics group): no Azure resource is generated for it (an application, or processing no single Service Bus or Event Hubs resource stands for). Simulated: 6 × 1, exp. mean 10ms.

resource "azurerm_servicebus_queue" "billing_dlq" {
  name                = "billing-dlq"
  namespace_id        = azurerm_servicebus_namespace.weir.id
  # A dead-letter queue its consumers send failed messages to (simulated).
}

# Not mapped: 2 alerting rules (weir export --format prometheus-rules writes them; the AWS file has them as CloudWatch alarms).
