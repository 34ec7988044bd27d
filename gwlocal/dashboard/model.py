"""The dashboard of a local run: the widgets of :mod:`dashboards.layout`, filled from local files.

Why the same layout: the local page must show what CloudWatch would show for the same traffic,
so a developer learns to read the production dashboard on a laptop. graphworker's own metrics
come from the EMF lines exactly as CloudWatch would extract them; the AWS service metrics come
from their local stand-ins (``LOCAL_SOURCES``): the local SQS runner's samples, the local
endpoint's ``/stats`` (whose ``neptune_metrics`` carry Neptune's CloudWatch names) and the
invocation spans. Metrics with no local stand-in (Neptune CPU, Lambda throttles) say so.

Time is cut into buckets (a local run lasts seconds to minutes, not hours, so a bucket is not
CloudWatch's 60 s: it is chosen to give about :data:`TARGET_BUCKETS` points). Alarms are
evaluated on those buckets with their real thresholds and their "M of N periods" rule, so an
alarm that would have fired is marked where it would have fired.
"""

from __future__ import annotations

import itertools
import math
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from dashboards import alarms as a
from dashboards import aws
from dashboards.alarms import AlarmDef, CompositeDef, Query, Ratio, Thresholds
from dashboards.aws import AwsMetric
from dashboards.layout import SECTIONS, AlarmLine, AppLine, AwsLine, Widget
from framework.telemetry.catalog import MetricDef

from .rundata import MetricPoint, RunData

BUCKETS_S: tuple[float, ...] = (0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1800, 3600)
TARGET_BUCKETS = 40

Values = list[float | None]
"""One value per time bucket; None where there was no data (drawn as a gap)."""


@dataclass(frozen=True, slots=True)
class Timeline:
    start: float
    """Unix seconds of the run's first instant; x = 0 on the charts."""
    bucket_s: float
    count: int

    @classmethod
    def for_range(cls, start: float, end: float) -> Timeline:
        duration = max(end - start, 1e-6)
        bucket = next((b for b in BUCKETS_S if duration / b <= TARGET_BUCKETS), None)
        if bucket is None:  # a very long run (or a bogus timestamp): still about TARGET_BUCKETS points
            bucket = float(math.ceil(duration / TARGET_BUCKETS))
        return cls(start, bucket, max(1, math.ceil(duration / bucket - 1e-9)))

    def index(self, t: float) -> int:
        return min(max(int((t - self.start) // self.bucket_s), 0), self.count - 1)

    def xs(self) -> list[float]:
        """Each bucket's start, in seconds since the run started."""
        return [i * self.bucket_s for i in range(self.count)]

    def bucketed(self, samples: Iterable[tuple[float, float]], stat: str) -> Values:
        groups: list[list[float]] = [[] for _ in range(self.count)]
        for t, value in samples:
            groups[self.index(t)].append(value)
        return [apply_stat(g, stat) if g else None for g in groups]


def apply_stat(values: list[float], stat: str) -> float:
    """A CloudWatch statistic over one period's values: Sum, Average, Minimum, Maximum,
    SampleCount or a percentile ``pNN`` (nearest rank)."""
    if stat == "Sum":
        return sum(values)
    if stat == "Average":
        return sum(values) / len(values)
    if stat == "Maximum":
        return max(values)
    if stat == "Minimum":
        return min(values)
    if stat == "SampleCount":
        return float(len(values))
    if stat.startswith("p"):
        ordered = sorted(values)
        rank = math.ceil(float(stat[1:]) / 100 * len(ordered))
        return ordered[min(max(rank, 1), len(ordered)) - 1]
    raise ValueError(f"unsupported statistic {stat!r}")


@dataclass
class Series:
    label: str
    values: Values

    @property
    def has_data(self) -> bool:
        return any(v is not None for v in self.values)


@dataclass
class AlarmResult:
    """One alarm (for one function or resource) evaluated over the local run."""

    name: str
    alarm: AlarmDef | CompositeDef
    threshold: float | None
    unit: str
    description: str
    peak: float | None = None
    intervals: list[tuple[float, float]] = field(default_factory=list)
    """When it would have been in ALARM: (from, to) in seconds since the run started."""
    has_data: bool = True
    note: str = ""
    values: Values = field(default_factory=list)
    """The watched value per bucket (empty for the composite)."""

    @property
    def fired(self) -> bool:
        return bool(self.intervals)

    @property
    def first_fired(self) -> float | None:
        return self.intervals[0][0] if self.intervals else None


@dataclass
class Threshold:
    label: str
    value: float
    intervals: list[tuple[float, float]]


@dataclass
class Chart:
    slug: str
    title: str
    unit: str
    series: list[Series]
    thresholds: list[Threshold]
    notes: list[str]

    @property
    def fired(self) -> bool:
        return any(t.intervals for t in self.thresholds)


@dataclass
class SectionCharts:
    title: str
    note: str
    charts: list[Chart]


@dataclass
class Dashboard:
    run: RunData
    timeline: Timeline
    sections: list[SectionCharts]
    alarms: list[AlarmResult]

    def charts(self) -> list[Chart]:
        return [c for s in self.sections for c in s.charts]


# --------------------------------------------------------------------------------- local sources
def _gauge(run: RunData, field_name: str) -> list[tuple[float, float]]:
    return [(float(s["t"]), float(s[field_name])) for s in run.sqs if isinstance(s.get(field_name), int | float)]


def _neptune(run: RunData, name: str) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for sample in run.endpoint:
        value = (sample.get("neptune_metrics") or {}).get(name)
        if isinstance(value, int | float):
            out.append((float(sample["t"]), float(value)))
    return out


def _deltas(samples: list[tuple[float, float]], *, per_second: bool) -> list[tuple[float, float]]:
    """Per-interval increases of a cumulative counter (a restart counts from zero)."""
    out: list[tuple[float, float]] = []
    for (t0, v0), (t1, v1) in itertools.pairwise(samples):
        delta = v1 - v0 if v1 >= v0 else v1
        if per_second:
            if t1 > t0:
                out.append((t1, delta / (t1 - t0)))
        else:
            out.append((t1, delta))
    return out


def _requests_total(run: RunData) -> list[tuple[float, float]]:
    return [(float(s["t"]), float(s["requests_total"])) for s in run.endpoint
            if isinstance(s.get("requests_total"), int | float)]


def _invocations(run: RunData) -> dict[str, list[tuple[float, float]]]:
    """Invocation spans (the handler's CONSUMER span carries ``faas.*``) by function name."""
    out: dict[str, list[tuple[float, float]]] = defaultdict(list)
    for span in run.spans:
        attributes = span.get("attributes") or {}
        if "faas.trigger" in attributes:
            name = str(attributes.get("faas.name") or span.get("name") or "function")
            out[name].append((span["start_ns"] / 1e9, span["end_ns"] / 1e9))
    return dict(out)


def _concurrency(intervals: list[tuple[float, float]], tl: Timeline) -> Values:
    """Most invocations running at once in each bucket (0 when none ran)."""
    peak: Values = [0.0] * tl.count
    events = sorted([(s, 1) for s, _ in intervals] + [(e, -1) for _, e in intervals], key=lambda ev: (ev[0], ev[1]))
    level = 0
    previous: float | None = None
    for t, step in events:
        if previous is not None and level > 0:
            for i in range(tl.index(previous), tl.index(t) + 1):
                peak[i] = max(peak[i] or 0.0, float(level))
        level += step
        previous = t
    return peak


SourceFn = Callable[[RunData, Timeline, str], list[Series]]


def _sqs_source(field_name: str, label: str) -> SourceFn:
    return lambda run, tl, stat: [Series(label, tl.bucketed(_gauge(run, field_name), stat))]


def _neptune_gauge(name: str) -> SourceFn:
    return lambda run, tl, stat: [Series(f"local endpoint {name}", tl.bucketed(_neptune(run, name), stat))]


def _lambda_concurrency(run: RunData, tl: Timeline, stat: str) -> list[Series]:
    return [Series(f"{name} ConcurrentExecutions", _concurrency(spans, tl))
            for name, spans in sorted(_invocations(run).items())]


def _lambda_invocations(run: RunData, tl: Timeline, stat: str) -> list[Series]:
    return [Series(f"{name} Invocations", [v or 0.0 for v in tl.bucketed(((s, 1.0) for s, _ in spans), "Sum")])
            for name, spans in sorted(_invocations(run).items())]


LOCAL_SOURCES: dict[str, SourceFn] = {
    aws.SQS_VISIBLE.key: _sqs_source("queue_visible", "local queue visible"),
    aws.SQS_IN_FLIGHT.key: _sqs_source("queue_in_flight", "local queue in flight"),
    aws.SQS_OLDEST_AGE.key: _sqs_source("oldest_message_age_s", "local queue oldest message (s)"),
    aws.DLQ_VISIBLE.key: _sqs_source("dlq_visible", "local DLQ visible"),
    aws.LAMBDA_CONCURRENCY.key: _lambda_concurrency,
    aws.LAMBDA_INVOCATIONS.key: _lambda_invocations,
    aws.NEPTUNE_PENDING.key: _neptune_gauge("MainRequestQueuePendingRequests"),
    aws.NEPTUNE_WEBSOCKETS.key: _neptune_gauge("GremlinWebSocketOpenConnections"),
    aws.NEPTUNE_GREMLIN_ERRORS.key: lambda run, tl, stat: [Series(
        "local endpoint GremlinErrors", tl.bucketed(_deltas(_neptune(run, "GremlinErrors"), per_second=False), stat))],
    aws.NEPTUNE_GREMLIN_RPS.key: lambda run, tl, stat: [Series(
        "local endpoint GremlinRequestsPerSec", tl.bucketed(_deltas(_requests_total(run), per_second=True), stat))],
}
"""AWS metric -> its local stand-in. Not here (no local equivalent): Neptune CPUUtilization, the
readers' MainRequestQueuePendingRequests (the local endpoint is one writer playing the cluster),
Lambda Throttles (the local runner never refuses an invocation)."""


def no_local_source(metric: AwsMetric) -> str:
    return f"{metric.namespace} {metric.label}: no local equivalent"


# ------------------------------------------------------------------------------------- building
class _Builder:
    def __init__(self, run: RunData, tl: Timeline, thresholds: Thresholds) -> None:
        self.run = run
        self.tl = tl
        self.thresholds = thresholds
        self.by_metric: dict[str, list[MetricPoint]] = defaultdict(list)
        for point in run.points:
            self.by_metric[point.metric].append(point)
        self.services = sorted({p.dimension("service") or "" for p in run.points})
        self.results: dict[str, list[AlarmResult]] = {}

    # -- graphworker metrics
    def app_series(self, metric: MetricDef, stat: str) -> list[Series]:
        """One series per function and dimension value: the dashboard's SEARCH over the metric's exact
        dimension set (a rollup metric's service-only copy is a different dimension set)."""
        groups: dict[tuple[tuple[str, str], ...], list[tuple[float, float]]] = defaultdict(list)
        schema = {"service", *metric.dimensions}
        for point in self.by_metric.get(metric.name, []):
            if {k for k, _ in point.dimensions} == schema:
                groups[point.dimensions].extend((point.t, v) for v in point.values)
        out = []
        for dims, samples in sorted(groups.items()):
            parts = [f"{k}={v}" for k, v in dims if k in metric.dimensions]
            if len(self.services) > 1:
                parts.insert(0, dict(dims).get("service", ""))
            label = " ".join([metric.name, *parts, stat])
            out.append(Series(label, self.tl.bucketed(samples, stat)))
        return out

    def query_values(self, query: Query, service: str) -> Values:
        """The query's values as CloudWatch resolves it: exactly its dimension set (``service`` plus
        the query's own, so a rollup query reads the service-only copy), with its values."""
        wanted = (("service", service), *query.dimensions)
        schema = {k for k, _ in wanted}
        samples = [(p.t, v) for p in self.by_metric.get(query.metric.name, [])
                   if {k for k, _ in p.dimensions} == schema and all(p.dimension(k) == val for k, val in wanted)
                   for v in p.values]
        return self.tl.bucketed(samples, query.stat)

    def ratio_values(self, ratio: Ratio, service: str) -> Values:
        def total(queries: tuple[Query, ...]) -> Values:
            out: Values = [None] * self.tl.count
            for q in queries:
                for i, v in enumerate(self.query_values(q, service)):
                    if v is not None:
                        out[i] = (out[i] or 0.0) + v
            return out

        # Capped at 100: the numerator's events are a subset of the denominator's, but one flush
        # writes one EMF line per dimension set, and with sub-second buckets a bucket edge can fall
        # between the lines of one flush (CloudWatch has the same effect at minute edges, rarely).
        num, den = total(ratio.numerator), total(ratio.denominator)
        return [None if n is None and d is None else (min(100.0, 100.0 * (n or 0.0) / d) if d else 0.0)
                for n, d in zip(num, den, strict=True)]

    # -- AWS metrics
    def aws_series(self, metric: AwsMetric, stat: str) -> list[Series] | None:
        source = LOCAL_SOURCES.get(metric.key)
        return None if source is None else source(self.run, self.tl, stat)

    # -- alarms
    def evaluate(self, alarm: AlarmDef) -> list[AlarmResult]:
        if alarm.key in self.results:
            return self.results[alarm.key]
        threshold = self.thresholds[alarm]
        description = alarm.describe(f"{threshold:g}")
        signal = alarm.signal
        named: list[tuple[str, Values]] = []
        note = ""
        if isinstance(signal, Ratio):
            named = [(f"{service}: {alarm.title}", self.ratio_values(signal, service)) for service in self.services]
        elif isinstance(signal.metric, AwsMetric):
            series = self.aws_series(signal.metric, signal.stat)
            if series is None:
                note = no_local_source(signal.metric)
            else:
                named = [(f"{alarm.title} - {s.label}", s.values) for s in series]
        else:
            named = [(f"{service}: {alarm.title}", self.query_values(signal, service)) for service in self.services]
        results = [self._result(alarm, name, values, threshold, description) for name, values in named]
        if not results:
            results = [AlarmResult(alarm.title, alarm, threshold, alarm.unit, description,
                                   has_data=False, note=note or "no data in this run")]
        self.results[alarm.key] = results
        return results

    def _result(self, alarm: AlarmDef, name: str, values: Values, threshold: float,
                description: str) -> AlarmResult:
        breaching = [v is not None and alarm.breaches(v, threshold) for v in values]
        in_alarm = [sum(breaching[max(0, i - alarm.evaluation_periods + 1):i + 1]) >= alarm.datapoints_to_alarm
                    for i in range(len(values))]
        present = [v for v in values if v is not None]
        return AlarmResult(name, alarm, threshold, alarm.unit, description,
                           peak=max(present) if present else None,
                           intervals=_intervals(in_alarm, self.tl.bucket_s), has_data=bool(present),
                           values=values)

    def composite(self, composite: CompositeDef) -> AlarmResult:
        children = [r for child in composite.children for r in self.evaluate(child)]
        spans = sorted(iv for r in children for iv in r.intervals)
        merged: list[tuple[float, float]] = []
        for lo, hi in spans:
            if merged and lo <= merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], hi))
            else:
                merged.append((lo, hi))
        return AlarmResult(composite.title, composite, None, "", composite.description,
                           intervals=merged, has_data=any(r.has_data for r in children))

    # -- widgets
    def chart(self, widget: Widget, slug: str) -> Chart:
        series: list[Series] = []
        notes: list[str] = []
        for line in widget.lines:
            if isinstance(line, AppLine):
                series.extend(self.app_series(line.metric, line.stat))
            elif isinstance(line, AwsLine):
                found = self.aws_series(line.metric, line.stat)
                if found is None:
                    notes.append(no_local_source(line.metric))
                else:
                    series.extend(found)
            elif isinstance(line, AlarmLine):
                series.extend(Series(r.name, r.values) for r in self.evaluate(line.alarm) if r.has_data)
        thresholds = []
        for alarm in widget.alarms:
            results = self.evaluate(alarm)
            intervals = sorted(iv for r in results for iv in r.intervals)
            thresholds.append(Threshold(f"{alarm.title} alarm (> {self.thresholds[alarm]:g} {alarm.unit})",
                                        self.thresholds[alarm], intervals))
            notes.extend(r.note for r in results if r.note)
        return Chart(slug, widget.title, widget.unit, series, thresholds, notes)


def _intervals(flags: list[bool], bucket_s: float) -> list[tuple[float, float]]:
    out: list[tuple[float, float]] = []
    for i, flag in enumerate(flags):
        if not flag:
            continue
        if out and out[-1][1] == i * bucket_s:
            out[-1] = (out[-1][0], (i + 1) * bucket_s)
        else:
            out.append((i * bucket_s, (i + 1) * bucket_s))
    return out


def slugify(text: str) -> str:
    out = "".join(ch.lower() if ch.isalnum() else "-" for ch in text)
    while "--" in out:
        out = out.replace("--", "-")
    return out.strip("-")


def build_dashboard(run: RunData, thresholds: Thresholds | None = None) -> Dashboard:
    """The local dashboard: every widget of :data:`dashboards.layout.SECTIONS`, and every alarm."""
    span = run.time_range()
    tl = Timeline.for_range(*span) if span else Timeline(0.0, 1.0, 1)
    builder = _Builder(run, tl, thresholds or Thresholds())
    sections = []
    number = 0
    for section in SECTIONS:
        charts = []
        for widget in section.widgets:
            number += 1
            charts.append(builder.chart(widget, f"{number:02d}-{slugify(widget.title)}"))
        sections.append(SectionCharts(section.title, section.note, charts))
    results = [builder.composite(a.DATABASE_UNDER_PRESSURE)]
    for alarm in a.ALARMS:
        results.extend(builder.evaluate(alarm))
    return Dashboard(run, tl, sections, results)


def summary(dashboard: Dashboard) -> dict[str, Any]:
    """A JSON-able digest: which alarms would have fired and when (for the CLI and tests)."""
    return {
        "bucket_s": dashboard.timeline.bucket_s,
        "buckets": dashboard.timeline.count,
        "alarms": [{"name": r.name, "fired": r.fired, "first_fired_s": r.first_fired, "peak": r.peak,
                    "threshold": r.threshold, "has_data": r.has_data} for r in dashboard.alarms],
        "charts": {c.slug: sum(1 for s in c.series if s.has_data) for c in dashboard.charts()},
    }
