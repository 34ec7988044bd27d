"""What the generated parts of ``template.yaml`` need to know about the hand-written parts.

Why: the dashboard and the alarms point at the template's functions, queues and Neptune cluster
by logical id and parameter name. Those names are listed here once; tests check that the
template defines them (with the handler and service each function is said to have), and
cfn-lint checks that every reference resolves.

The SQS visibility timeout is derived here too. CloudFormation has no arithmetic, so the
template looks it up in a generated ``Mappings`` table indexed by the two parameters it depends
on: ``FunctionTimeout`` and ``MaximumBatchingWindow`` (both restricted to the values listed here).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class FunctionDeployment:
    """One Lambda function of the template, its queue and dead-letter queue."""

    logical_id: str
    handler: str
    service: str
    """``POWERTOOLS_SERVICE_NAME`` of the function: the ``service`` dimension of its metrics."""
    queue: str
    dlq: str
    title: str

    def ref(self, resource: str) -> str:
        """A ``Fn::Sub`` placeholder naming this function's queue, DLQ or the function itself."""
        if resource == "queue":
            return f"${{{self.queue}.QueueName}}"
        if resource == "dlq":
            return f"${{{self.dlq}.QueueName}}"
        if resource == "function":
            return f"${{{self.logical_id}}}"
        raise ValueError(f"a function has no {resource!r}")

    def intrinsic(self, resource: str) -> dict[str, object]:
        """The same reference as a CloudFormation intrinsic (for alarm dimensions)."""
        if resource == "queue":
            return {"Fn::GetAtt": [self.queue, "QueueName"]}
        if resource == "dlq":
            return {"Fn::GetAtt": [self.dlq, "QueueName"]}
        if resource == "function":
            return {"Ref": self.logical_id}
        raise ValueError(f"a function has no {resource!r}")


IDENTITY = FunctionDeployment(
    logical_id="IdentityFunction", handler="handlers.identity.handler", service="identity-graph",
    queue="IdentityQueue", dlq="IdentityDeadLetterQueue", title="identity")
TRANSACTIONS = FunctionDeployment(
    logical_id="TransactionsFunction", handler="handlers.transactions.handler", service="transactions-graph",
    queue="TransactionsQueue", dlq="TransactionsDeadLetterQueue", title="transactions")

FUNCTIONS: tuple[FunctionDeployment, ...] = (IDENTITY, TRANSACTIONS)

NAMESPACE_PARAMETER = "MetricsNamespace"
"""Template parameter holding ``POWERTOOLS_METRICS_NAMESPACE`` (the namespace of graphworker's metrics)."""
CLUSTER_PARAMETER = "NeptuneClusterId"
"""Template parameter holding the Neptune ``DBClusterIdentifier`` (dimension of AWS/Neptune metrics)."""
DASHBOARD_LOGICAL_ID = "Dashboard"

FUNCTION_TIMEOUTS_S: tuple[int, ...] = (10, 15, 30, 60, 120, 300, 600, 900)
"""Allowed ``FunctionTimeout`` values (seconds; 900 is Lambda's maximum)."""
BATCHING_WINDOWS_S: tuple[int, ...] = (0, 1, 2, 5, 10, 20, 30, 60)
"""Allowed ``MaximumBatchingWindow`` values (seconds)."""
VISIBILITY_TIMEOUT_FACTOR = 6
"""AWS guidance for SQS event sources: visibility timeout at least 6x the function timeout, so a
batch that is retried after a throttled invocation is not redelivered while it is still held."""
VISIBILITY_MAPPING = "SqsVisibilityTimeout"


def visibility_timeout_s(function_timeout_s: int, batching_window_s: int) -> int:
    """6x the function timeout, plus the batching window (messages are received, and their
    visibility timeout runs, while the event source waits to fill a batch)."""
    return VISIBILITY_TIMEOUT_FACTOR * function_timeout_s + batching_window_s


def visibility_mapping() -> dict[str, dict[str, int]]:
    """``Mappings`` table: function timeout, then batching window (both as the parameters' string
    values, since ``Fn::FindInMap`` keys can only be plain ``Ref`` functions) -> visibility timeout (s)."""
    return {str(t): {str(w): visibility_timeout_s(t, w) for w in BATCHING_WINDOWS_S}
            for t in FUNCTION_TIMEOUTS_S}
