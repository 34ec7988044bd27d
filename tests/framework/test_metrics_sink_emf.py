"""The EMF lines the metrics sink writes, exactly: namespace and service from Powertools' variables
or their defaults, the extra ``service``-only dimension set of a roll-up metric with dimensions (and
of no other), compact JSON; and tracing's flush waits its documented 2 s."""

from __future__ import annotations

import io
import json

import pytest
from opentelemetry.sdk.trace import TracerProvider

from framework.telemetry import tracing
from framework.telemetry.catalog import NAMESPACE_DEFAULT, MetricDef
from framework.telemetry.metrics import MetricsSink

ROLLED = MetricDef("Retries", "Count", ("ErrorClass",), "test metric", rollup=True)
PLAIN = MetricDef("Connects", "Count", ("Role",), "test metric")
ROLLED_BARE = MetricDef("Stops", "Count", (), "test metric", rollup=True)


def test_namespace_and_service_come_from_powertools_variables(monkeypatch):
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "ns-from-env")
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "svc-from-env")
    sink = MetricsSink()
    assert (sink.namespace, sink.service) == ("ns-from-env", "svc-from-env")
    assert (MetricsSink(namespace="ns", service="svc").namespace, MetricsSink(service="svc").service) == ("ns", "svc")


def test_without_variables_the_defaults_apply(monkeypatch):
    monkeypatch.delenv("POWERTOOLS_METRICS_NAMESPACE", raising=False)
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    sink = MetricsSink()
    assert (sink.namespace, sink.service) == (NAMESPACE_DEFAULT, "graphworker")


def _lines(*adds: tuple[MetricDef, dict[str, str]]) -> list[str]:
    out = io.StringIO()
    sink = MetricsSink(namespace="ns", service="svc", stream=out)
    for metric, dims in adds:
        sink.add(metric, 1, **dims)
    sink.flush()
    return out.getvalue().splitlines()


@pytest.mark.parametrize(("metric", "dims", "expected"), [
    (ROLLED, {"ErrorClass": "throttled"}, [["ErrorClass", "service"], ["service"]]),
    (PLAIN, {"Role": "writer"}, [["Role", "service"]]),
    (ROLLED_BARE, {}, [["service"]]),
])
def test_only_a_rollup_with_dimensions_gets_the_service_only_set(metric, dims, expected):
    (line,) = _lines((metric, dims))
    blob = json.loads(line)
    (directive,) = blob["_aws"]["CloudWatchMetrics"]
    assert sorted(sorted(d) for d in directive["Dimensions"]) == sorted(sorted(d) for d in expected)
    assert line == json.dumps(blob, separators=(",", ":"))  # compact: no spaces after separators


def test_force_flush_waits_two_seconds_at_most(monkeypatch):
    seen: list[int] = []

    class Recording(TracerProvider):
        def force_flush(self, timeout_millis: int = 30000) -> bool:
            seen.append(timeout_millis)
            return True

    monkeypatch.setattr(tracing, "_configured", Recording())
    tracing.force_flush()
    assert seen == [2000]
