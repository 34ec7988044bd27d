"""EMF metrics through Powertools, buffered by dimension set.

Why buffer: a CloudWatch EMF blob has one dimension set, but graphworker's metrics carry
different dimensions (reconnects by cause, retries by error class). Emitting one blob per data
point would multiply log volume; instead points are grouped by dimension set and each group is
flushed as one Powertools-serialized EMF blob at the end of an invocation (or when a metric
reaches EMF's 100-values limit). Writes go to stdout by default, where Lambda ships them to
CloudWatch Logs and CloudWatch extracts the metrics.

A ``rollup`` metric (see :mod:`.catalog`) is written in a blob of its own whose EMF directive
lists two dimension sets, its own and ``service`` alone: CloudWatch then extracts the same values
under both, which gives alarms a total in one query at no extra log volume.
"""

from __future__ import annotations

import json
import os
import sys
from typing import TextIO

from aws_lambda_powertools.metrics import EphemeralMetrics, MetricUnit

from .catalog import NAMESPACE_DEFAULT, MetricDef

_EMF_MAX_VALUES = 99
"""EMF allows 100 values per metric per blob; Powertools flushes to stdout by itself on the 100th
value, which would bypass this sink's stream, so groups are flushed one value earlier."""


_GroupKey = tuple[tuple[tuple[str, str], ...], bool]
"""(dimension name/value pairs, rollup): one EMF blob per key."""


class MetricsSink:
    """Collects catalog metrics; :meth:`flush` writes one EMF line per dimension set."""

    def __init__(self, *, namespace: str | None = None, service: str | None = None,
                 stream: TextIO | None = None) -> None:
        self.namespace = namespace or os.environ.get("POWERTOOLS_METRICS_NAMESPACE") or NAMESPACE_DEFAULT
        self.service = service or os.environ.get("POWERTOOLS_SERVICE_NAME") or "graphworker"
        self._stream = stream
        self._groups: dict[_GroupKey, dict[str, tuple[MetricDef, list[float]]]] = {}

    def add(self, metric: MetricDef, value: float, **dimensions: str) -> None:
        """Record one data point; ``dimensions`` must be exactly the catalog's for ``metric``."""
        if set(dimensions) != set(metric.dimensions):
            raise ValueError(f"{metric.name} takes dimensions {metric.dimensions}, got {tuple(dimensions)}")
        key = (tuple(sorted((k, str(v)) for k, v in dimensions.items())), metric.rollup)
        group = self._groups.setdefault(key, {})
        _, values = group.setdefault(metric.name, (metric, []))
        values.append(float(value))
        if len(values) >= _EMF_MAX_VALUES:
            self._flush_group(key)

    def pending(self) -> int:
        """Data points not yet flushed."""
        return sum(len(v) for g in self._groups.values() for _, v in g.values())

    def flush(self) -> int:
        """Write every buffered group as an EMF line; returns the number of lines written."""
        keys = list(self._groups)
        for key in keys:
            self._flush_group(key)
        return len(keys)

    def _flush_group(self, key: _GroupKey) -> None:
        group = self._groups.pop(key, None)
        if not group:
            return
        dimensions, rollup = key
        emf = EphemeralMetrics(namespace=self.namespace, service=self.service)
        for name, value in dimensions:
            emf.add_dimension(name, value)
        for metric, values in group.values():
            # Powertools validates the name, unit and value once; the other values of the same
            # metric join its list (one add_metric per value cost more than the write itself).
            emf.add_metric(metric.name, MetricUnit[metric.unit], values[0])
            emf.metric_set[metric.name]["Value"].extend(values[1:])
        blob = emf.serialize_metric_set()
        if rollup and dimensions:
            for directive in blob["_aws"]["CloudWatchMetrics"]:
                directive["Dimensions"].append(["service"])
        stream = self._stream or sys.stdout
        stream.write(json.dumps(blob, separators=(",", ":")) + "\n")
        stream.flush()
