"""The AWS service metrics the dashboard and the alarms read: SQS, Lambda and Neptune.

Why a module of its own: graphworker's own metrics live in the framework's catalog
(:mod:`framework.telemetry.catalog`); these are published by AWS services about the queues, the
functions and the cluster, so they are the only metric names typed in ``dashboards/``. Each one
says which resource it describes, so the dashboard can point it at the template's queues,
functions or Neptune cluster, and the local renderer can find its stand-in in a local run.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Resource = Literal["queue", "dlq", "function", "cluster"]

AWS_NAMESPACES: tuple[str, ...] = ("AWS/SQS", "AWS/Lambda", "AWS/Neptune")
"""The only namespaces besides graphworker's own that the dashboard and the alarms may use."""

_DIMENSION: dict[str, str] = {
    "queue": "QueueName",
    "dlq": "QueueName",
    "function": "FunctionName",
    "cluster": "DBClusterIdentifier",
}


@dataclass(frozen=True, slots=True)
class AwsMetric:
    """One AWS service metric about one kind of resource (a queue, a DLQ, a function, the cluster)."""

    namespace: str
    name: str
    resource: Resource
    unit: str
    description: str
    extra: tuple[tuple[str, str], ...] = ()
    """Fixed dimensions besides the resource's, e.g. Neptune's ``Role=WRITER``."""

    @property
    def dimension(self) -> str:
        """The CloudWatch dimension that names the resource (QueueName, FunctionName, ...)."""
        return _DIMENSION[self.resource]

    @property
    def key(self) -> str:
        """Unique among the metrics here: the same SQS metric is read on the queue and on the DLQ,
        the same Neptune metric on the writer and on the readers."""
        return ":".join([self.namespace, self.name, self.resource, *(f"{k}={v}" for k, v in self.extra)])

    @property
    def label(self) -> str:
        """The name with its fixed dimensions, for chart legends."""
        return " ".join([self.name, *(v.lower() for _, v in self.extra)])


SQS_VISIBLE = AwsMetric(
    "AWS/SQS", "ApproximateNumberOfMessagesVisible", "queue", "Count",
    "Messages waiting in the queue: a growing backlog means the workers cannot keep up.")
SQS_IN_FLIGHT = AwsMetric(
    "AWS/SQS", "ApproximateNumberOfMessagesNotVisible", "queue", "Count",
    "Messages received by the workers and not yet deleted (being processed, or failed and waiting "
    "for their visibility timeout).")
SQS_OLDEST_AGE = AwsMetric(
    "AWS/SQS", "ApproximateAgeOfOldestMessage", "queue", "Seconds",
    "Age of the oldest message in the queue: how far behind the graph is.")
DLQ_VISIBLE = AwsMetric(
    "AWS/SQS", "ApproximateNumberOfMessagesVisible", "dlq", "Count",
    "Messages in the dead-letter queue: they failed maxReceiveCount times and are no longer retried.")
LAMBDA_CONCURRENCY = AwsMetric(
    "AWS/Lambda", "ConcurrentExecutions", "function", "Count",
    "Invocations running at once (capped by the event source's MaximumConcurrency).")
LAMBDA_INVOCATIONS = AwsMetric(
    "AWS/Lambda", "Invocations", "function", "Count",
    "Invocations (one per SQS batch).")
LAMBDA_THROTTLES = AwsMetric(
    "AWS/Lambda", "Throttles", "function", "Count",
    "Invocations refused for lack of concurrency (account or reserved concurrency exhausted).")
NEPTUNE_PENDING = AwsMetric(
    "AWS/Neptune", "MainRequestQueuePendingRequests", "cluster", "Count",
    "Requests waiting in the writer instance's input queue: the database's own back-pressure signal; "
    "Neptune throttles once the queue is full. Per role (DBClusterIdentifier, Role=WRITER): every "
    "graphworker write goes to the writer, and an aggregate over all instances would let idle readers "
    "hide it.", extra=(("Role", "WRITER"),))
NEPTUNE_PENDING_READERS = AwsMetric(
    "AWS/Neptune", "MainRequestQueuePendingRequests", "cluster", "Count",
    "Requests waiting in the reader instances' input queues (Role=READER): only reads sent with "
    "read=True go there.", extra=(("Role", "READER"),))
NEPTUNE_CPU = AwsMetric(
    "AWS/Neptune", "CPUUtilization", "cluster", "Percent",
    "CPU of the Neptune instances.")
NEPTUNE_GREMLIN_ERRORS = AwsMetric(
    "AWS/Neptune", "GremlinErrors", "cluster", "Count",
    "Gremlin requests that ended in an error, as Neptune counts them.")
NEPTUNE_GREMLIN_RPS = AwsMetric(
    "AWS/Neptune", "GremlinRequestsPerSec", "cluster", "Count/Second",
    "Gremlin requests per second, as Neptune counts them.")
NEPTUNE_WEBSOCKETS = AwsMetric(
    "AWS/Neptune", "GremlinWebSocketOpenConnections", "cluster", "Count",
    "Open Gremlin WebSocket connections: about one per warm Lambda execution context.")

AWS_METRICS: tuple[AwsMetric, ...] = (
    SQS_VISIBLE, SQS_IN_FLIGHT, SQS_OLDEST_AGE, DLQ_VISIBLE,
    LAMBDA_CONCURRENCY, LAMBDA_INVOCATIONS, LAMBDA_THROTTLES,
    NEPTUNE_PENDING, NEPTUNE_PENDING_READERS, NEPTUNE_CPU, NEPTUNE_GREMLIN_ERRORS, NEPTUNE_GREMLIN_RPS,
    NEPTUNE_WEBSOCKETS,
)

