"""Tracing set up from the environment: which exporter, which service name, installed once.

Each test starts from a process without a configured provider and puts OpenTelemetry's global
state back afterwards (the fixture), so the provider a test installs never reaches another test.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import pytest
from opentelemetry import trace
from opentelemetry.util._once import Once

from framework.telemetry import tracing
from tests.otlp_receiver import otlp_receiver


@pytest.fixture
def fresh_tracing(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setattr(tracing, "_configured", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER", None)
    monkeypatch.setattr(trace, "_TRACER_PROVIDER_SET_ONCE", Once())
    yield
    if tracing._configured is not None:
        tracing._configured.shutdown()


@pytest.fixture
def console(monkeypatch: pytest.MonkeyPatch) -> io.StringIO:
    """What the console exporter prints. Its default stream is the ``sys.stdout`` of when the SDK was
    imported, which no capture fixture sees, so the exporter made here prints to this stream instead."""
    from opentelemetry.sdk.trace import export

    printed = io.StringIO()

    class Printing(export.ConsoleSpanExporter):
        def __init__(self) -> None:
            super().__init__(out=printed)

    monkeypatch.setattr(export, "ConsoleSpanExporter", Printing)
    return printed


def _exported(console: io.StringIO) -> list[dict]:
    out = console.getvalue()
    decoder, spans, at = json.JSONDecoder(), [], 0
    while (at := out.find("{", at)) != -1:
        span, end = decoder.raw_decode(out, at)
        spans.append(span)
        at = end
    return spans


@pytest.mark.parametrize(("env", "service", "expected"), [
    ({"OTEL_SERVICE_NAME": "from-otel", "POWERTOOLS_SERVICE_NAME": "from-powertools"}, "orders", "orders"),
    ({"OTEL_SERVICE_NAME": "from-otel", "POWERTOOLS_SERVICE_NAME": "from-powertools"}, None, "from-otel"),
    ({"POWERTOOLS_SERVICE_NAME": "from-powertools"}, None, "from-powertools"),
    ({}, None, "graphworker"),
])
def test_the_console_exporter_prints_spans_under_the_service_name(fresh_tracing, console, env, service, expected):
    provider = tracing.configure_tracing({"OTEL_TRACES_EXPORTER": " Console ", **env}, service=service)
    assert provider is not None and trace.get_tracer_provider() is provider
    with tracing.get_tracer().start_as_current_span("write batch"):
        pass
    (span,) = _exported(console)  # printed at once (a simple processor), not batched
    assert span["name"] == "write batch" and span["resource"]["attributes"]["service.name"] == expected


def test_the_first_configuration_stays(fresh_tracing, console):
    first = tracing.configure_tracing({"OTEL_TRACES_EXPORTER": "console"}, service="a")
    assert tracing.configure_tracing({"OTEL_TRACES_EXPORTER": "console"}, service="b") is first
    assert tracing.configure_tracing({"OTEL_TRACES_EXPORTER": "none"}) is first


@pytest.mark.parametrize("env", [{}, {"OTEL_TRACES_EXPORTER": "none"},
                                 {"OTEL_TRACES_EXPORTER": "console", "OTEL_SDK_DISABLED": "TRUE"}])
def test_nothing_is_installed_when_nothing_is_exported(fresh_tracing, env):
    assert tracing.configure_tracing(env) is None
    assert tracing._configured is None and trace._TRACER_PROVIDER is None


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[bytes]]]:
    with otlp_receiver() as received:
        yield received


def test_an_otlp_endpoint_alone_turns_on_the_otlp_exporter(fresh_tracing, receiver, monkeypatch):
    url, bodies = receiver
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", url)  # the exporter reads its endpoint itself
    provider = tracing.configure_tracing({"OTEL_EXPORTER_OTLP_ENDPOINT": url}, service="otlp-svc")
    assert provider is not None
    with tracing.get_tracer().start_as_current_span("exported over otlp"):
        pass
    assert bodies == []  # batched: nothing is sent per span
    tracing.force_flush()
    assert len(bodies) == 1 and b"exported over otlp" in bodies[0] and b"otlp-svc" in bodies[0]
