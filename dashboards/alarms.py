"""The alarms: one definition shared by the template's CloudWatch alarms and the local renderer.

Why one definition: the threshold an operator is paged at in AWS and the red line drawn on the
local charts must be the same number. Each :class:`AlarmDef` gives its template parameter and
default (the parameter's default *is* :attr:`AlarmDef.default`), the signal it watches (a metric
from the catalog or an AWS service metric, or a percentage of request attempts), how many
periods must breach, and, in its description, what an operator should do.

Why percentages for conflicts, retries and throttles: a count per minute means something
different at 10 and at 1,000 messages per second, a share of attempts does not; it is also
independent of the period length, so the local renderer can evaluate the same threshold on a run
that lasts seconds.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from framework.telemetry import catalog as m
from framework.telemetry.catalog import MetricDef

from . import aws
from .aws import AwsMetric

Scope = Literal["function", "cluster"]

PERIOD_S = 60
"""Alarm period (seconds). Powertools EMF metrics are standard resolution: one minute is the finest."""


CLOUDWATCH_MAX_ALARM_METRICS = 10
"""CloudWatch: a metric-math alarm may use at most 10 metrics (``MetricStat`` queries)."""
MAX_ALARM_QUERIES = 5
"""graphworker's own budget per alarm, half CloudWatch's limit. Alarms on a dimensioned metric read
its rolled-up total (see :mod:`framework.telemetry.catalog`) instead of one query per dimension
value, so this holds however many error classes, codes or metrics the catalog grows to; defining
an alarm over budget fails at import, long before a deploy would."""


@dataclass(frozen=True, slots=True)
class Query:
    """One metric at one statistic, with fixed values for the metric's extra dimensions.

    ``id`` is its metric-math id in a ratio. For a catalog metric the ``service`` dimension is
    added per function; an AWS metric is pointed at the function's queue, DLQ or function, or at
    the cluster.
    """

    metric: MetricDef | AwsMetric
    stat: str
    dimensions: tuple[tuple[str, str], ...] = ()
    id: str = "m"

    def __post_init__(self) -> None:
        metric = self.metric
        if isinstance(metric, AwsMetric) or {k for k, _ in self.dimensions} == set(metric.dimensions):
            return
        if not self.dimensions and metric.rollup:
            return  # the service-wide total, one query whatever the dimension values
        raise ValueError(
            f"an alarm query on {metric.name} must fix every one of its dimensions {metric.dimensions} or, "
            "to read the total, use none on a metric with rollup=True in the catalog (enumerating "
            "dimension values would grow with them, towards CloudWatch's 10-metric alarm limit)")


@dataclass(frozen=True, slots=True)
class Ratio:
    """``100 * sum(numerator) / sum(denominator)``; 0 when the denominator is 0 (no traffic)."""

    numerator: tuple[Query, ...]
    denominator: tuple[Query, ...]

    def expression(self, prefix: str = "") -> str:
        """The CloudWatch metric-math expression (missing points count as 0); ``prefix`` is
        prepended to every query id (ids must be unique within a dashboard widget)."""
        num = " + ".join(f"FILL({prefix}{q.id}, 0)" for q in self.numerator)
        den = " + ".join(f"FILL({prefix}{q.id}, 0)" for q in self.denominator)
        return f"IF(({den}) > 0, 100 * ({num}) / ({den}), 0)"

    @property
    def queries(self) -> tuple[Query, ...]:
        return self.numerator + self.denominator


Signal = Query | Ratio


@dataclass(frozen=True, slots=True)
class AlarmDef:
    """One alarm; a ``function`` alarm exists once per function, a ``cluster`` alarm once."""

    key: str
    title: str
    parameter: str
    default: float
    unit: str
    scope: Scope
    signal: Signal
    description: str
    """What it means and what to do; ``{threshold}`` is replaced by the threshold (``${Param}`` in AWS)."""
    evaluation_periods: int = 5
    datapoints_to_alarm: int = 3
    comparison: str = "GreaterThanThreshold"
    treat_missing_data: str = "notBreaching"
    pages: bool = False
    """True: notifies the alarm topic itself. False: reaches an operator through the composite."""
    in_composite: bool = False

    def __post_init__(self) -> None:
        queries = self.signal.queries if isinstance(self.signal, Ratio) else (self.signal,)
        if len(queries) > MAX_ALARM_QUERIES:
            raise ValueError(f"alarm {self.key} uses {len(queries)} metric queries; the budget is "
                             f"{MAX_ALARM_QUERIES} (CloudWatch allows {CLOUDWATCH_MAX_ALARM_METRICS})")
        if not 1 <= self.datapoints_to_alarm <= self.evaluation_periods:
            raise ValueError(f"alarm {self.key}: DatapointsToAlarm must be within 1..EvaluationPeriods")

    @property
    def window(self) -> str:
        """How many periods must breach, in words (e.g. ``3 of 5 periods of 60 s``)."""
        if self.evaluation_periods == 1:
            return f"a {PERIOD_S} s period"
        return f"{self.datapoints_to_alarm} of {self.evaluation_periods} periods of {PERIOD_S} s"

    def describe(self, threshold: str) -> str:
        return self.description.replace("{threshold}", threshold).replace("{window}", self.window)

    def breaches(self, value: float, threshold: float) -> bool:
        """Whether one datapoint breaches, with this alarm's comparison operator."""
        return {
            "GreaterThanThreshold": value > threshold,
            "GreaterThanOrEqualToThreshold": value >= threshold,
            "LessThanThreshold": value < threshold,
            "LessThanOrEqualToThreshold": value <= threshold,
        }[self.comparison]


@dataclass(frozen=True, slots=True)
class CompositeDef:
    """A composite alarm: in ALARM while any of its children is."""

    key: str
    title: str
    children: tuple[AlarmDef, ...]
    description: str
    pages: bool = True


_ATTEMPTS = (Query(m.GREMLIN_REQUEST_LATENCY, "SampleCount", (), "attempts"),)
"""Every Gremlin request attempt records one latency sample (Outcome ok or error); the rolled-up
SampleCount counts them all."""

_LEVER = ("The first lever is the event source's MaximumConcurrency (template parameter): fewer "
          "concurrent writers mean fewer conflicts and less load.")

CONFLICT_RATE = AlarmDef(
    key="ConflictRate", title="Conflict rate", parameter="ConflictRateAlarmPercent", default=5.0, unit="%",
    scope="function",
    signal=Ratio((Query(m.CONCURRENT_MODIFICATIONS, "Sum", (), "conflicts"),), _ATTEMPTS),
    in_composite=True,
    description=(
        "More than {threshold}% of this function's Gremlin request attempts failed with "
        "ConcurrentModificationException in {window}: concurrent batches write the same "
        "vertices or edges (a hot merchant, device or email). Retries absorb it at a cost in Neptune "
        "capacity and latency. " + _LEVER + " If one element is hot, send its messages through a FIFO "
        "queue with MessageGroupId = that element's id so its writes are serialized."),
)

RETRY_RATE = AlarmDef(
    key="RetryRate", title="Retry rate", parameter="RetryRateAlarmPercent", default=10.0, unit="%",
    scope="function",
    signal=Ratio((Query(m.GREMLIN_RETRIES, "Sum", (), "retries"),), _ATTEMPTS),
    in_composite=True,
    description=(
        "More than {threshold}% of this function's Gremlin request attempts were retried in "
        "{window}. See GremlinRetries by ErrorClass on the dashboard: conflict -> the conflict-rate "
        "alarm; throttled -> Neptune is saturated (scale the writer up, lower MaximumConcurrency); "
        "connection or read_only -> check Neptune events for a failover or restart and "
        "GremlinReconnects by Cause; transient -> edges arriving before their vertices (retried "
        "through SQS)."),
)

THROTTLE_RATE = AlarmDef(
    key="ThrottleRate", title="Throttle rate", parameter="ThrottleRateAlarmPercent", default=1.0, unit="%",
    scope="function",
    signal=Ratio((Query(m.GREMLIN_THROTTLES, "Sum", (), "throttles"),), _ATTEMPTS),
    evaluation_periods=3, datapoints_to_alarm=2, in_composite=True,
    description=(
        "More than {threshold}% of this function's Gremlin request attempts were refused by Neptune "
        "(ThrottlingException, TimeLimitExceeded, MemoryLimitExceeded, ...) in {window}: its "
        "request queue is full or requests are too heavy. " + _LEVER + " Then lower BatchSize or "
        "GRAPHWORKER_MAX_UPSERTS_PER_REQUEST, or scale the writer instance up; check the Neptune "
        "pending-queue and CPU charts."),
)

OLDEST_MESSAGE_AGE = AlarmDef(
    key="OldestMessageAge", title="Oldest message age", parameter="OldestMessageAgeAlarmSeconds",
    default=300.0, unit="s", scope="function",
    signal=Query(aws.SQS_OLDEST_AGE, "Maximum"),
    evaluation_periods=3, datapoints_to_alarm=3, pages=True,
    description=(
        "The oldest message in this function's queue has waited more than {threshold} s in "
        "{window}: the graph lags behind its events. If Lambda concurrency sits at "
        "MaximumConcurrency and the database alarms are quiet, raise MaximumConcurrency; if the "
        "database is under pressure, do not - relieve Neptune first. If messages keep failing "
        "(MessagesFailed by Reason), find why in the logs (correlation_id = SQS message id)."),
)

DLQ_NOT_EMPTY = AlarmDef(
    key="DeadLetters", title="Dead-letter queue not empty", parameter="DeadLetterAlarmMessages",
    default=0.0, unit="messages", scope="function",
    signal=Query(aws.DLQ_VISIBLE, "Maximum"),
    evaluation_periods=1, datapoints_to_alarm=1, treat_missing_data="ignore", pages=True,
    description=(
        "More than {threshold} message(s) in this function's dead-letter queue: they failed "
        "maxReceiveCount times and are no longer retried. Find the reason in the function's logs "
        "(search the message id as correlation_id; MessagesFailed by Reason), fix it (bad data, a "
        "mapping bug, an edge whose vertex never arrives), then redrive the DLQ into the source "
        "queue (SQS console: Start DLQ redrive)."),
)

NEPTUNE_PENDING_REQUESTS = AlarmDef(
    key="WriterPendingRequests", title="Neptune writer pending requests",
    parameter="NeptunePendingRequestsAlarmRequests",
    default=10.0, unit="requests", scope="cluster",
    signal=Query(aws.NEPTUNE_PENDING, "Maximum"),
    in_composite=True,
    description=(
        "More than {threshold} requests waited in the Neptune writer's request queue in {window}: the "
        "writer is saturated and throttling comes next. Lower the event sources' MaximumConcurrency, "
        "scale the writer instance class up, and look for slow queries (Neptune slow-query log)."),
)

LAMBDA_THROTTLES = AlarmDef(
    key="LambdaThrottles", title="Lambda throttles", parameter="LambdaThrottlesAlarmInvocations", default=0.0,
    unit="invocations", scope="function",
    signal=Query(aws.LAMBDA_THROTTLES, "Sum"),
    pages=True,
    description=(
        "More than {threshold} invocation(s) of this function were throttled in {window}: the "
        "account's or the function's concurrency is exhausted, so the SQS event source backs off "
        "and messages wait. Check concurrency used by other functions in the account; keep "
        "MaximumConcurrency below the concurrency this function can get."),
)

ALARMS: tuple[AlarmDef, ...] = (
    CONFLICT_RATE, RETRY_RATE, THROTTLE_RATE, OLDEST_MESSAGE_AGE, DLQ_NOT_EMPTY, NEPTUNE_PENDING_REQUESTS,
    LAMBDA_THROTTLES,
)

DATABASE_UNDER_PRESSURE = CompositeDef(
    key="DatabaseUnderPressure", title="Database under pressure",
    children=tuple(a for a in ALARMS if a.in_composite),
    description=(
        "The database is pushing back: Neptune's pending-request alarm or a function's conflict-, "
        "retry- or throttle-rate alarm is firing (the alarm widget shows which). While it is in ALARM "
        "the stack's ConcurrencyControlFunction holds every event source at MaximumConcurrency 2 (the "
        "lowest SQS allows) and restores the parameter's value when it is OK again; each function also "
        "backs off on its own (adaptive limit, circuit breaker, redelivery delays). If it keeps firing, "
        "lower the MaximumConcurrency parameter or move to a larger writer instance. Failed messages "
        "are retried through SQS; watch the DLQ and oldest-message alarms."),
)


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Threshold per alarm parameter: the defaults, optionally overridden (e.g. from the command line)."""

    values: dict[str, float] = field(default_factory=lambda: {a.parameter: a.default for a in ALARMS})

    def __getitem__(self, alarm: AlarmDef) -> float:
        return self.values[alarm.parameter]

    def with_overrides(self, overrides: dict[str, float]) -> Thresholds:
        unknown = set(overrides) - set(self.values)
        if unknown:
            raise KeyError(f"unknown alarm threshold(s): {', '.join(sorted(unknown))}; "
                           f"known: {', '.join(sorted(self.values))}")
        return Thresholds({**self.values, **overrides})
