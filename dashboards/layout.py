"""The dashboard, described once: sections of widgets, each a list of lines to draw.

Why a description rather than CloudWatch JSON: the same widgets are rendered for CloudWatch
(:mod:`dashboards.cloudwatch`, a dashboard body with SEARCH expressions and metric math) and for
a local run (``graphworker dashboard``, from EMF lines and the endpoint's stats). Lines name
metrics only through the framework's catalog (:mod:`framework.telemetry.catalog`), the AWS
metrics of :mod:`dashboards.aws` and the alarms of :mod:`dashboards.alarms`, never by hand.
"""

from __future__ import annotations

from dataclasses import dataclass

from framework.telemetry import catalog as m
from framework.telemetry.catalog import MetricDef

from . import alarms as a
from . import aws
from .alarms import AlarmDef
from .aws import AwsMetric


@dataclass(frozen=True, slots=True)
class AppLine:
    """A graphworker metric at one statistic: one line per function and dimension value."""

    metric: MetricDef
    stat: str


@dataclass(frozen=True, slots=True)
class AwsLine:
    """An AWS service metric at one statistic: one line per queue/DLQ/function, or the cluster."""

    metric: AwsMetric
    stat: str


@dataclass(frozen=True, slots=True)
class AlarmLine:
    """The value a ratio alarm watches (e.g. conflict rate %), one line per function."""

    alarm: AlarmDef


Line = AppLine | AwsLine | AlarmLine


@dataclass(frozen=True, slots=True)
class Widget:
    """One chart. ``alarms``: thresholds drawn on it (their signal is one of the lines)."""

    title: str
    unit: str
    lines: tuple[Line, ...]
    alarms: tuple[AlarmDef, ...] = ()


@dataclass(frozen=True, slots=True)
class Section:
    title: str
    note: str
    widgets: tuple[Widget, ...]


def _app(*metrics: MetricDef, stat: str = "Sum") -> tuple[AppLine, ...]:
    return tuple(AppLine(metric, stat) for metric in metrics)


SECTIONS: tuple[Section, ...] = (
    Section("Throughput and failures", "Messages in and out of the handlers, and what was written.", (
        Widget("Messages: received, succeeded, failed (by Reason)", "messages",
               _app(m.MESSAGES_RECEIVED, m.MESSAGES_SUCCEEDED, m.MESSAGES_FAILED, m.DEADLINE_STOPS)),
        Widget("Upserts written (by Kind)", "elements", _app(m.UPSERTS_WRITTEN)),
        Widget("Delivery order: stale writes skipped, deletes, late deletes (by Kind)", "elements",
               _app(m.STALE_WRITES_SKIPPED, m.ELEMENTS_DELETED, m.LATE_DELETES, m.TOMBSTONES_PURGED)),
        Widget("Requests failed for good (by ErrorClass)", "requests",
               _app(m.GREMLIN_REQUEST_FAILURES, m.RETRY_BUDGET_EXHAUSTED, m.RETRY_DEADLINE_STOPS)),
    )),
    Section("Back-pressure seen by the workers",
            "Retries, conflicts, reconnects and throttles, and the alarm rates built on them.", (
        Widget("Retries (by ErrorClass) and conflicts", "count",
               _app(m.GREMLIN_RETRIES, m.CONCURRENT_MODIFICATIONS, m.READ_ONLY_VIOLATIONS)),
        Widget("Reconnects (by Cause) and throttles (by Code)", "count",
               _app(m.GREMLIN_RECONNECTS, m.GREMLIN_THROTTLES, m.GREMLIN_CONNECT_FAILURES)),
        Widget("Conflict rate (% of attempts)", "%", (AlarmLine(a.CONFLICT_RATE),), (a.CONFLICT_RATE,)),
        Widget("Retry rate (% of attempts)", "%", (AlarmLine(a.RETRY_RATE),), (a.RETRY_RATE,)),
        Widget("Throttle rate (% of attempts)", "%", (AlarmLine(a.THROTTLE_RATE),), (a.THROTTLE_RATE,)),
        Widget("Adaptive limits: requests in flight (limit, peak) and request size (records)", "count",
               _app(m.IN_FLIGHT_LIMIT, stat="Minimum") + _app(m.IN_FLIGHT_PEAK, stat="Maximum")
               + _app(m.REQUEST_SIZE_LIMIT, stat="Minimum")),
        Widget("Circuit breaker: transitions (by State) and requests not sent", "count",
               _app(m.BREAKER_TRANSITIONS, m.BREAKER_REJECTED_REQUESTS)),
        Widget("Redelivery backoff: delays set (s) and failed calls", "s",
               _app(m.REDELIVERY_DELAYS, stat="Average") + _app(m.REDELIVERY_DELAYS, stat="Maximum")
               + _app(m.REDELIVERY_ERRORS)),
    )),
    Section("Connections and latency", "Connecting (SigV4 signing cold vs warm) and request latency.", (
        Widget("SigV4 signing time, cold vs warm (by ColdStart)", "ms",
               _app(m.SIGV4_SIGNING_TIME, stat="Average") + _app(m.SIGV4_SIGNING_TIME, stat="Maximum")),
        Widget("Connect latency (by Role)", "ms",
               _app(m.GREMLIN_CONNECT_LATENCY, stat="Average") + _app(m.GREMLIN_CONNECT_LATENCY, stat="Maximum")),
        Widget("Connections opened and held", "connections",
               _app(m.GREMLIN_CONNECTS) + _app(m.GREMLIN_OPEN_CONNECTIONS, stat="Maximum")),
        Widget("Gremlin request latency (by Outcome)", "ms",
               _app(m.GREMLIN_REQUEST_LATENCY, stat="p50") + _app(m.GREMLIN_REQUEST_LATENCY, stat="p99")),
        Widget("Gremlin request size", "bytes",
               _app(m.GREMLIN_REQUEST_SIZE, stat="Average") + _app(m.GREMLIN_REQUEST_SIZE, stat="Maximum")),
    )),
    Section("Batches and messages", "How SQS batches became Gremlin requests, and how old messages were.", (
        Widget("Batch size and requests per batch", "count",
               _app(m.BATCH_SIZE, m.REQUESTS_PER_BATCH, stat="Average")
               + _app(m.BATCH_SIZE, m.REQUESTS_PER_BATCH, stat="Maximum") + _app(m.BISECTIONS)),
        Widget("Message age when processed", "ms",
               _app(m.MESSAGE_AGE, stat="p50") + _app(m.MESSAGE_AGE, stat="Maximum")),
        Widget("Oldest message in the queue", "s", (AwsLine(aws.SQS_OLDEST_AGE, "Maximum"),),
               (a.OLDEST_MESSAGE_AGE,)),
        Widget("Queue depth", "messages",
               (AwsLine(aws.SQS_VISIBLE, "Maximum"), AwsLine(aws.SQS_IN_FLIGHT, "Maximum"))),
        Widget("Dead-letter queue depth", "messages", (AwsLine(aws.DLQ_VISIBLE, "Maximum"),),
               (a.DLQ_NOT_EMPTY,)),
    )),
    Section("Lambda", "Concurrency is capped by the event sources' MaximumConcurrency.", (
        Widget("Lambda concurrency, invocations and throttles", "count",
               (AwsLine(aws.LAMBDA_CONCURRENCY, "Maximum"), AwsLine(aws.LAMBDA_INVOCATIONS, "Sum"),
                AwsLine(aws.LAMBDA_THROTTLES, "Sum")), (a.LAMBDA_THROTTLES,)),
    )),
    Section("Neptune", "The database's own view of the load: its queue, CPU, requests and errors.", (
        Widget("Neptune pending requests (MainRequestQueuePendingRequests)", "requests",
               (AwsLine(aws.NEPTUNE_PENDING, "Maximum"), AwsLine(aws.NEPTUNE_PENDING_READERS, "Maximum")),
               (a.NEPTUNE_PENDING_REQUESTS,)),
        Widget("Neptune CPU", "%", (AwsLine(aws.NEPTUNE_CPU, "Maximum"),)),
        Widget("Neptune Gremlin requests/s and open WebSockets", "count",
               (AwsLine(aws.NEPTUNE_GREMLIN_RPS, "Average"), AwsLine(aws.NEPTUNE_WEBSOCKETS, "Maximum"))),
        Widget("Neptune Gremlin errors", "errors", (AwsLine(aws.NEPTUNE_GREMLIN_ERRORS, "Sum"),)),
    )),
)


def widgets() -> tuple[Widget, ...]:
    return tuple(w for s in SECTIONS for w in s.widgets)

