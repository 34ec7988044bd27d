"""The local run's output folder: EMF lines, spans, endpoint and queue samples, the report.

File contract (the local dashboard reads exactly these):

- ``metrics.emf.jsonl``: one CloudWatch EMF object per line, as Lambda would log them;
- ``spans.jsonl``: one finished span per line (name, ids, times, attributes, status, events, links);
- ``endpoint-stats.jsonl``: the Gremlin endpoint's ``/stats`` once a second, plus ``t``;
- ``sqs-stats.jsonl``: queue depth, in-flight and DLQ depth, the oldest message's age, messages
  committed (total and per second) and the handler process's RSS, once a second, plus ``t``;
- ``report.json``: the run's report (the same as ``--report-json``).
"""

from __future__ import annotations

import json
import time
from collections import defaultdict
from collections.abc import Collection, Sequence
from pathlib import Path
from typing import IO, Any, TextIO

from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export import SpanExporter, SpanExportResult

from framework.telemetry import MetricsSink
from framework.telemetry.catalog import MetricDef


class JsonlSpanExporter(SpanExporter):
    """Writes each finished span as one JSON line."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream

    def export(self, spans: Sequence[ReadableSpan]) -> SpanExportResult:
        for span in spans:
            context = span.get_span_context()
            assert context is not None
            self._stream.write(json.dumps({
                "name": span.name,
                "trace_id": f"{context.trace_id:032x}",
                "span_id": f"{context.span_id:016x}",
                "parent_span_id": f"{span.parent.span_id:016x}" if span.parent else None,
                "kind": span.kind.name,
                "start_ns": span.start_time,
                "end_ns": span.end_time,
                "attributes": dict(span.attributes or {}),
                "status": span.status.status_code.name,
                "events": [{"name": e.name, "time_ns": e.timestamp, "attributes": dict(e.attributes or {})}
                           for e in span.events],
                "links": [{"trace_id": f"{link.context.trace_id:032x}", "span_id": f"{link.context.span_id:016x}"}
                          for link in span.links],
            }, default=str) + "\n")
        self._stream.flush()
        return SpanExportResult.SUCCESS

    def shutdown(self) -> None:
        if not self._stream.closed:
            self._stream.flush()


class CountingMetricsSink(MetricsSink):
    """A metrics sink that also keeps running totals, for the live progress line and the report.

    Every value is kept only for the metrics named in ``keep_values`` (the report's percentiles):
    keeping all of them would grow with the run and blur the soak's memory figures.
    """

    def __init__(self, stream: TextIO, *, keep_values: Collection[str] = (), keep_series: Collection[str] = (),
                 **kwargs: Any) -> None:
        super().__init__(stream=stream, **kwargs)
        self.totals: defaultdict[str, float] = defaultdict(float)
        self.counts: defaultdict[str, int] = defaultdict(int)
        """Data points per metric (how many delays were set, not their sum)."""
        self.by_dimension: defaultdict[tuple[str, tuple[tuple[str, str], ...]], float] = defaultdict(float)
        """(metric, its dimensions) -> total: breaker transitions by State and the like."""
        self.keep_values = frozenset(keep_values)
        self.keep_series = frozenset(keep_series)
        self.values: dict[str, list[float]] = {}
        self.series: dict[str, list[tuple[float, float]]] = {}
        """(time.time(), value) for the metrics in ``keep_series`` (the adaptive limit over time)."""

    def add(self, metric: MetricDef, value: float, **dimensions: str) -> None:
        super().add(metric, value, **dimensions)
        self.totals[metric.name] += value
        self.counts[metric.name] += 1
        if dimensions:
            self.by_dimension[(metric.name, tuple(sorted(dimensions.items())))] += value
        if metric.name in self.keep_values:
            self.values.setdefault(metric.name, []).append(float(value))
        if metric.name in self.keep_series:
            self.series.setdefault(metric.name, []).append((time.time(), float(value)))


class OutputDir:
    """Opens the output files; :meth:`close` flushes them."""

    def __init__(self, path: Path) -> None:
        self.path = path
        path.mkdir(parents=True, exist_ok=True)
        self.emf = (path / "metrics.emf.jsonl").open("w")
        self.spans = (path / "spans.jsonl").open("w")
        self.endpoint_stats = (path / "endpoint-stats.jsonl").open("w")
        self.sqs_stats = (path / "sqs-stats.jsonl").open("w")

    def sample(self, stream: IO[str], t: float, data: dict[str, Any]) -> None:
        stream.write(json.dumps({"t": t, **data}) + "\n")
        stream.flush()

    def write_report(self, report: dict[str, Any]) -> Path:
        target = self.path / "report.json"
        target.write_text(json.dumps(report, indent=2, sort_keys=True) + "\n")
        return target

    def close(self) -> None:
        for stream in (self.emf, self.spans, self.endpoint_stats, self.sqs_stats):
            stream.close()
