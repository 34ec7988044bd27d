"""Names in graphworker's tracing: ``otlp`` asked for explicitly, the worker's service name passed
through ``get_tracer``, and the instrumentation scope every span is created under."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.util._once import Once

from framework.telemetry import tracing


@pytest.fixture
def printed(monkeypatch: pytest.MonkeyPatch) -> Iterator[io.StringIO]:
    """No provider configured yet, and the console exporter printing here; OpenTelemetry's global
    state is put back afterwards."""
    from opentelemetry.sdk.trace import export

    out = io.StringIO()

    class Printing(export.ConsoleSpanExporter):
        def __init__(self) -> None:
            super().__init__(out=out)

    monkeypatch.setattr(export, "ConsoleSpanExporter", Printing)
    monkeypatch.setattr(tracing, "_configured", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    yield out
    if tracing._configured is not None:
        tracing._configured.shutdown()


@pytest.mark.parametrize("value", ["otlp", " OTLP "])
def test_otlp_can_be_asked_for_explicitly(value):
    assert tracing.exporter_name({"OTEL_TRACES_EXPORTER": value}) == "otlp"


def test_get_tracer_names_the_resource_after_the_worker_and_the_scope_graphworker(printed, monkeypatch):
    monkeypatch.setenv("OTEL_TRACES_EXPORTER", "console")
    monkeypatch.setenv("OTEL_SERVICE_NAME", "from-environment")
    tracer = tracing.get_tracer(service="orders-worker")
    with tracer.start_as_current_span("write batch") as span:
        assert span.instrumentation_scope.name == tracing.TRACER_NAME == "graphworker"
    exported = json.loads(printed.getvalue())
    assert exported["name"] == "write batch"
    assert exported["resource"]["attributes"]["service.name"] == "orders-worker"
