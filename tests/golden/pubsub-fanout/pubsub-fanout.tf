# Pub/sub fan-out — the AWS shape of a Weir model, exported by Weir.
#
# Values marked "# simulated" come from the simulation model. Weir
# parameters with no AWS counterpart are listed in "# Not mapped:"
# comments; nothing else is guessed. What the model does not say (Lambda
# code, runtime, role) is asked for as variables.

terraform {
  required_providers {
    aws = {
      source = "hashicorp/aws"
    }
  }
}

variable "lambda_role_arn" {
  description = "The IAM role the Lambda functions run as"
  type        = string
}

variable "lambda_runtime" {
  description = "The runtime of the Lambda functions, e.g. python3.12"
  type        = string
}

variable "lambda_handler" {
  description = "The handler of the Lambda functions"
  type        = string
}

variable "billing_package" {
  description = "The deployment package (zip file) of the function for consumer 'billing'"
  type        = string
}

variable "shipping_package" {
  description = "The deployment package (zip file) of the function for consumer 'shipping'"
  type        = string
}

variable "analytics_package" {
  description = "The deployment package (zip file) of the function for consumer 'analytics'"
  type        = string
}

# Producer 'orders' (Order service): an application outside these resources; no resource.
# Simulated: Poisson 50/s; OrderPlaced, OrderCancelled; 1000 key(s); when blocked: Wait.
# It sends to 'order-events'; grant it sns:Publish (not generated).

resource "aws_sns_topic" "order_events" {
  name = "order-events"
}

resource "aws_sns_topic_subscription" "order_events_to_analytics_q" {
  topic_arn            = aws_sns_topic.order_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.analytics_q.arn
  raw_message_delivery = true
  # Not generated: the aws_sqs_queue_policy that lets the topic send to the queue.
}

resource "aws_sns_topic_subscription" "order_events_to_shipping_q" {
  topic_arn            = aws_sns_topic.order_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.shipping_q.arn
  raw_message_delivery = true
  filter_policy        = jsonencode({ "event_type" = ["OrderPlaced"] }) # simulated: subscription filter
  # Not generated: the aws_sqs_queue_policy that lets the topic send to the queue.
}

resource "aws_sns_topic_subscription" "order_events_to_billing_q" {
  topic_arn            = aws_sns_topic.order_events.arn
  protocol             = "sqs"
  endpoint             = aws_sqs_queue.billing_q.arn
  raw_message_delivery = true
  # Not generated: the aws_sqs_queue_policy that lets the topic send to the queue.
}

resource "aws_sqs_queue" "billing_q" {
  name = "billing-q"
  visibility_timeout_seconds = 30 # simulated: visibility_timeout
}

resource "aws_lambda_function" "billing" {
  function_name                  = "billing"
  role                           = var.lambda_role_arn
  runtime                        = var.lambda_runtime
  handler                        = var.lambda_handler
  filename                       = var.billing_package
  reserved_concurrent_executions = 1 # simulated: instances 1 × concurrency 1
  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.
  # Not mapped: service time exp. mean 8ms, failure probability 0: they describe the function's code.
  # Not mapped: delivery AtLeastOnce: Lambda's SQS event sources deliver at least once; idempotency is the code's business.
}

resource "aws_lambda_event_source_mapping" "billing_q_to_billing" {
  event_source_arn = aws_sqs_queue.billing_q.arn
  function_name    = aws_lambda_function.billing.arn
  batch_size       = 1 # simulated: each attempt processes one message
  # Not mapped: 1 slot(s): an event source's maximum concurrency is 2 to 1000.
}

resource "aws_sqs_queue" "shipping_q" {
  name = "shipping-q"
  visibility_timeout_seconds = 30 # simulated: visibility_timeout
}

resource "aws_lambda_function" "shipping" {
  function_name                  = "shipping"
  role                           = var.lambda_role_arn
  runtime                        = var.lambda_runtime
  handler                        = var.lambda_handler
  filename                       = var.shipping_package
  reserved_concurrent_executions = 2 # simulated: instances 2 × concurrency 1
  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.
  # Not mapped: service time exp. mean 30ms, failure probability 0: they describe the function's code.
  # Not mapped: delivery AtLeastOnce: Lambda's SQS event sources deliver at least once; idempotency is the code's business.
}

resource "aws_lambda_event_source_mapping" "shipping_q_to_shipping" {
  event_source_arn = aws_sqs_queue.shipping_q.arn
  function_name    = aws_lambda_function.shipping.arn
  batch_size       = 1 # simulated: each attempt processes one message
  scaling_config {
    maximum_concurrency = 2 # simulated: instances × concurrency
  }
}

resource "aws_sqs_queue" "analytics_q" {
  name = "analytics-q"
  visibility_timeout_seconds = 30 # simulated: visibility_timeout
}

resource "aws_lambda_function" "analytics" {
  function_name                  = "analytics"
  role                           = var.lambda_role_arn
  runtime                        = var.lambda_runtime
  handler                        = var.lambda_handler
  filename                       = var.analytics_package
  reserved_concurrent_executions = 1 # simulated: instances 1 × concurrency 1
  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.
  # Not mapped: service time 5ms..33ms, failure probability 0: they describe the function's code.
  # Not mapped: delivery AtLeastOnce: Lambda's SQS event sources deliver at least once; idempotency is the code's business.
}

resource "aws_lambda_event_source_mapping" "analytics_q_to_analytics" {
  event_source_arn = aws_sqs_queue.analytics_q.arn
  function_name    = aws_lambda_function.analytics.arn
  batch_size       = 1 # simulated: each attempt processes one message
  # Not mapped: 1 slot(s): an event source's maximum concurrency is 2 to 1000.
}
