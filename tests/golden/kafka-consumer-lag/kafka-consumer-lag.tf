# Kafka partitions and consumer lag — the AWS shape of a Weir model, exported by Weir.
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

variable "analytics_package" {
  description = "The deployment package (zip file) of the function for consumer 'analytics'"
  type        = string
}

# Producer 'orders' (Orders): an application outside these resources; no resource.
# Simulated: Poisson 80/s; order; 10000 key(s); when blocked: Wait.
# It sends to 'orders-log', a Kafka log (not mapped: no AWS SQS/SNS counterpart).

# Producer 'malformed' (Malformed order): an application outside these resources; no resource.
# Simulated: constant 0.01/s; malformed; 1 key(s); when blocked: Wait; stops after 1 events.
# It sends to 'orders-log', a Kafka log (not mapped: no AWS SQS/SNS counterpart).

# Log 'orders-log' (orders (4 partitions)): a Kafka log has no AWS SQS/SNS mapping; no resource is generated (weir export --format kafka writes its topic definition). Simulated: 4 partitions by key; retention 1h.

resource "aws_lambda_function" "billing" {
  function_name                  = "billing"
  role                           = var.lambda_role_arn
  runtime                        = var.lambda_runtime
  handler                        = var.lambda_handler
  filename                       = var.billing_package
  reserved_concurrent_executions = 4 # simulated: instances 4 × concurrency 1
  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.
  dead_letter_config {
    target_arn = aws_sqs_queue.billing_dlq.arn # simulated: the consumer's dead-letter queue (used for asynchronous invocations)
  }
  # Not mapped: service time exp. mean 40ms, failure probability 0: they describe the function's code.
  # Not mapped: delivery AtLeastOnce: Lambda's SQS event sources deliver at least once; idempotency is the code's business.
  # Not mapped: retry policy (retry after 5s, ≤4 attempts): Lambda retries SQS messages through the queue's visibility timeout and redrive policy, asynchronous invocations at most twice.
}
# Not mapped: 'billing' reads the Kafka log 'orders-log' as consumer group 'billing': an event source mapping from Amazon MSK or self-managed Kafka would carry it, and this file has no Kafka cluster to point at.

resource "aws_lambda_function" "analytics" {
  function_name                  = "analytics"
  role                           = var.lambda_role_arn
  runtime                        = var.lambda_runtime
  handler                        = var.lambda_handler
  filename                       = var.analytics_package
  reserved_concurrent_executions = 6 # simulated: instances 6 × concurrency 1
  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.
  # Not mapped: service time exp. mean 10ms, failure probability 0: they describe the function's code.
  # Not mapped: delivery AtLeastOnce: Lambda's SQS event sources deliver at least once; idempotency is the code's business.
}
# Not mapped: 'analytics' reads the Kafka log 'orders-log' as consumer group 'analytics': an event source mapping from Amazon MSK or self-managed Kafka would carry it, and this file has no Kafka cluster to point at.

resource "aws_sqs_queue" "billing_dlq" {
  name = "billing-dlq"
  # A dead-letter queue (simulated).
}

# Not mapped: alert 'BillingLagHigh' (lag > 200 on 'orders-log'): a log's lag has no CloudWatch metric in this export.

resource "aws_cloudwatch_metric_alarm" "alert_BillingDeadLetters" {
  alarm_name          = "BillingDeadLetters"
  alarm_description   = "Orders are reaching the billing dead-letter queue"
  comparison_operator = "GreaterThanThreshold"
  evaluation_periods  = 1 # simulated: for 0s, in periods of 60 s
  treat_missing_data  = "notBreaching"
  tags = {
    severity = "ticket"
  }
  threshold           = 0 # simulated: dead-letter rate, messages per second
  metric_query {
    id          = "result"
    expression  = "RATE(m1)"
    return_data = true
  }
  metric_query {
    id = "m1"
    metric {
      namespace   = "AWS/SQS"
      metric_name = "ApproximateNumberOfMessagesVisible"
      period      = 60
      stat        = "Maximum"
      dimensions = {
        QueueName = aws_sqs_queue.billing_dlq.name
      }
    }
  }
}
