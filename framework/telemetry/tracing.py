"""OpenTelemetry tracing set-up from the standard ``OTEL_*`` environment variables.

Why configure here: a Lambda function has no agent to set up tracing for it, and the exporter
must be chosen without code changes: OTLP when ``OTEL_TRACES_EXPORTER=otlp`` or an
``OTEL_EXPORTER_OTLP_[TRACES_]ENDPOINT`` is set (the ADOT collector layer listens on
localhost:4318), ``console`` for local debugging, none by default (spans are still created, so
trace context propagates, but nothing is exported). Tests inject their own tracer instead.

Why the SDK is imported inside :func:`configure_tracing`: with no exporter configured (the
default) the API's tracer is all that runs, and a Lambda cold start should not pay for the SDK,
let alone an exporter it does not use. The OTLP exporter is imported only with ``otlp``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING

from opentelemetry import trace

from ..errors import ConfigError

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

TRACER_NAME = "graphworker"

_configured: TracerProvider | None = None


def exporter_name(env: Mapping[str, str]) -> str:
    """Which exporter the environment asks for: ``otlp``, ``console`` or ``none``."""
    if env.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return "none"
    chosen = env.get("OTEL_TRACES_EXPORTER", "").strip().lower()
    if not chosen:
        has_endpoint = env.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or env.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        return "otlp" if has_endpoint else "none"
    if chosen not in ("otlp", "console", "none"):
        raise ConfigError(f"OTEL_TRACES_EXPORTER: graphworker supports otlp, console or none, got {chosen!r}")
    return chosen


def configure_tracing(env: Mapping[str, str] | None = None, service: str | None = None) -> TracerProvider | None:
    """Install a global TracerProvider once, as the environment says; None when exporting nothing.

    ``service`` (a worker's ``service``) names the resource, before ``OTEL_SERVICE_NAME`` and
    ``POWERTOOLS_SERVICE_NAME``. Idempotent: later calls return the provider installed by the
    first one (one worker per Lambda function, so one service per process).
    """
    global _configured
    if _configured is not None:
        return _configured
    env = os.environ if env is None else env
    name = exporter_name(env)
    if name == "none":
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SimpleSpanProcessor

    service = service or env.get("OTEL_SERVICE_NAME") or env.get("POWERTOOLS_SERVICE_NAME") or "graphworker"
    provider = TracerProvider(resource=Resource.create({"service.name": service}))
    if name == "otlp":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    else:
        provider.add_span_processor(SimpleSpanProcessor(ConsoleSpanExporter()))
    trace.set_tracer_provider(provider)
    _configured = provider
    return provider


def get_tracer(service: str | None = None) -> trace.Tracer:
    """graphworker's tracer from the global provider (configured from the environment)."""
    configure_tracing(service=service)
    return trace.get_tracer(TRACER_NAME)


def force_flush(timeout_ms: int = 2000) -> None:
    """Export buffered spans now: call before a Lambda invocation returns (it may freeze)."""
    if _configured is not None:
        _configured.force_flush(timeout_ms)
