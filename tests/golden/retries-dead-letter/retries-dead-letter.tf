# Retries and dead letters — the AWS shape of a Weir model, exported by Weir.
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

variable "payments_package" {
  description = "The deployment package (zip file) of the function for consumer 'payments'"
  type        = string
}

# Producer 'checkout' (Checkout): an application outside these resources; no resource.
# Simulated: Poisson 40/s; 1 key(s); when blocked: Wait.
# It sends to 'payments-q'; grant it sqs:SendMessage (not generated).

resource "aws_sqs_queue" "payments_q" {
  name = "payments-q"
  visibility_timeout_seconds = 30 # simulated: visibility_timeout
}

resource "aws_lambda_function" "payments" {
  function_name                  = "payments"
  role                           = var.lambda_role_arn
  runtime                        = var.lambda_runtime
  handler                        = var.lambda_handler
  filename                       = var.payments_package
  reserved_concurrent_executions = 2 # simulated: instances 2 × concurrency 1
  # Not mapped: no processing timeout in the simulation; Lambda's default (3 s) applies.
  dead_letter_config {
    target_arn = aws_sqs_queue.payments_dlq.arn # simulated: the consumer's dead-letter queue (used for asynchronous invocations)
  }
  # Not mapped: service time exp. mean 20ms, failure probability 0.2: they describe the function's code.
  # Not mapped: delivery AtLeastOnce: Lambda's SQS event sources deliver at least once; idempotency is the code's business.
  # Not mapped: retry policy (backoff 100ms..2s, ≤4 attempts): Lambda retries SQS messages through the queue's visibility timeout and redrive policy, asynchronous invocations at most twice.
  # It sends to 'ledger', outside these resources.
}

resource "aws_lambda_event_source_mapping" "payments_q_to_payments" {
  event_source_arn = aws_sqs_queue.payments_q.arn
  function_name    = aws_lambda_function.payments.arn
  batch_size       = 1 # simulated: each attempt processes one message
  # Not mapped: the consumer's dead-letter queue 'payments-dlq': for messages from SQS, AWS dead-letters through the queue's redrive policy, and 'payments-q' has none.
  scaling_config {
    maximum_concurrency = 2 # simulated: instances × concurrency
  }
}

# Sink 'ledger' (Ledger): an external dependency; no resource. Simulated: 3ms.

resource "aws_sqs_queue" "payments_dlq" {
  name = "payments-dlq"
  # A dead-letter queue (simulated).
}
