"""Telemetry: the metric catalog, EMF metrics through Powertools, OpenTelemetry spans.

Components take a :class:`Telemetry` so tests can pass an in-memory tracer and a captured
metrics stream, while Lambda code uses :meth:`Telemetry.default`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from opentelemetry import trace

from . import catalog
from .catalog import CATALOG, MetricDef
from .metrics import MetricsSink
from .tracing import configure_tracing, force_flush, get_tracer

__all__ = ["CATALOG", "MetricDef", "MetricsSink", "Telemetry", "catalog", "configure_tracing",
           "force_flush", "get_tracer"]


@dataclass
class Telemetry:
    """A tracer and a metrics sink, passed together to every instrumented component."""

    tracer: trace.Tracer = field(default_factory=get_tracer)
    metrics: MetricsSink = field(default_factory=MetricsSink)

    @classmethod
    def default(cls) -> Telemetry:
        return cls()
