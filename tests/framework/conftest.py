"""Fixtures for framework tests: a local endpoint on the test's own event loop, captured telemetry.

The endpoint is the real local Gremlin server on an OS-chosen port; the client under test talks
to it over a real socket. Telemetry is real OpenTelemetry (in-memory exporter) and real
Powertools EMF serialization written to an in-memory stream.
"""

from __future__ import annotations

import io
import json
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any

import pytest
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import MetricsSink, Telemetry
from gwlocal.gremlin_server.server import GremlinEndpoint


class Captured:
    """Spans and EMF metrics recorded during a test."""

    def __init__(self) -> None:
        self.exporter = InMemorySpanExporter()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(self.exporter))
        self.stream = io.StringIO()
        self.telemetry = Telemetry(tracer=provider.get_tracer("test"),
                                   metrics=MetricsSink(namespace="test", service="svc", stream=self.stream))

    def spans(self, name: str | None = None) -> list[ReadableSpan]:
        return [s for s in self.exporter.get_finished_spans() if name is None or s.name == name]

    def emf(self) -> list[dict[str, Any]]:
        self.telemetry.metrics.flush()
        return [json.loads(line) for line in self.stream.getvalue().splitlines() if line]

    def values(self, metric: str, **dims: str) -> list[float]:
        """All values of ``metric`` whose dimensions include ``dims``."""
        out: list[float] = []
        for blob in self.emf():
            if metric in blob and all(blob.get(k) == v for k, v in dims.items()):
                vals = blob[metric]
                out.extend(vals if isinstance(vals, list) else [vals])
        return out

    def count(self, metric: str, **dims: str) -> float:
        return sum(self.values(metric, **dims))


@pytest.fixture
def captured() -> Iterator[Captured]:
    yield Captured()


@pytest.fixture
async def endpoint() -> AsyncIterator[GremlinEndpoint]:
    ep = GremlinEndpoint(seed=0)
    await ep.start("127.0.0.1", 0)
    yield ep
    ep.release_holds()  # a test that failed while writes were held must not make stop() wait for them
    await ep.stop()


def local_config(ep: GremlinEndpoint, **overrides: Any) -> GraphConfig:
    base: dict[str, Any] = {"endpoint": f"127.0.0.1:{ep.port}", "tls": False, "backoff_base_s": 0.001,
                            "backoff_max_s": 0.01}
    base.update(overrides)
    return GraphConfig.from_env({}, **base)


@pytest.fixture
async def make_client(endpoint: GremlinEndpoint, captured: Captured) -> AsyncIterator[Any]:
    clients: list[GraphClient] = []

    def make(ep: GremlinEndpoint | None = None, **overrides: Any) -> GraphClient:
        kwargs = {k: overrides.pop(k) for k in ("credentials",) if k in overrides}
        client = GraphClient(local_config(ep or endpoint, **overrides), telemetry=captured.telemetry,
                             rng=random.Random(7), **kwargs)
        clients.append(client)
        return client

    yield make
    for c in clients:
        await c.close()


class Discard:
    """A metrics stream that keeps nothing (tests that only look at the graph)."""

    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        pass


@pytest.fixture
async def client_factory(endpoint, captured):
    """``client_factory(**config)`` -> a zero-argument factory returning one shared client."""
    made: list[GraphClient] = []

    def factory(**overrides: Any):
        kwargs = {k: overrides.pop(k) for k in ("credentials",) if k in overrides}

        def client() -> GraphClient:
            if not made:
                made.append(GraphClient(local_config(endpoint, **overrides), telemetry=captured.telemetry,
                                        rng=random.Random(5), **kwargs))
            return made[0]
        return client

    yield factory
    for c in made:
        await c.close()
