"""Telemetry: the catalog is the only source of names, EMF output is valid, tracing is env-driven."""

from __future__ import annotations

import ast
import io
import json
import pathlib

import pytest

from framework.errors import ConfigError
from framework.telemetry import CATALOG, MetricsSink, catalog
from framework.telemetry.tracing import exporter_name

FRAMEWORK = pathlib.Path(__file__).resolve().parents[2] / "framework"


def test_catalog_names_are_unique_and_described():
    names = [m.name for m in CATALOG]
    assert len(names) == len(set(names))
    for m in CATALOG:
        assert m.unit in {"Count", "Milliseconds", "Seconds", "Bytes"} and m.description


def test_every_catalog_definition_is_listed():
    defs = {v for v in vars(catalog).values() if isinstance(v, catalog.MetricDef)}
    assert defs == set(CATALOG)


def test_framework_code_never_types_a_metric_name():
    """Metric names appear as strings only in the catalog (no hand-copied names)."""
    names = {m.name for m in CATALOG}
    for path in FRAMEWORK.rglob("*.py"):
        if path.name == "catalog.py" or path == FRAMEWORK / "__init__.py":
            continue  # the package root lists class names (RetryBudgetExhausted is also an error class)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert node.value not in names, f"{path}: metric name {node.value!r} typed outside the catalog"


def test_emf_lines_group_by_dimension_set():
    stream = io.StringIO()
    sink = MetricsSink(namespace="ns", service="orders", stream=stream)
    sink.add(catalog.GREMLIN_RECONNECTS, 1, Cause="idle")
    sink.add(catalog.GREMLIN_RECONNECTS, 1, Cause="idle")
    sink.add(catalog.GREMLIN_RECONNECTS, 1, Cause="closed")
    sink.add(catalog.CONCURRENT_MODIFICATIONS, 3)
    assert sink.pending() == 4
    assert sink.flush() == 3
    blobs = [json.loads(line) for line in stream.getvalue().splitlines()]
    idle = next(b for b in blobs if b.get("Cause") == "idle")
    assert idle["GremlinReconnects"] == [1.0, 1.0] and idle["service"] == "orders"
    directive = idle["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "ns"
    assert sorted(directive["Dimensions"][0]) == ["Cause", "service"]
    assert directive["Metrics"] == [{"Name": "GremlinReconnects", "Unit": "Count"}]
    cme = next(b for b in blobs if "ConcurrentModificationConflicts" in b)
    assert cme["ConcurrentModificationConflicts"] in (3.0, [3.0])
    assert sink.pending() == 0


def test_wrong_dimensions_are_a_programming_error():
    sink = MetricsSink(stream=io.StringIO())
    with pytest.raises(ValueError, match="Cause"):
        sink.add(catalog.GREMLIN_RECONNECTS, 1)


def test_values_flush_before_emfs_limit_of_a_hundred():
    stream = io.StringIO()
    sink = MetricsSink(stream=stream)
    for _ in range(99):
        sink.add(catalog.GREMLIN_REQUEST_SIZE, 10)
    assert len(stream.getvalue().splitlines()) == 1 and sink.pending() == 0


@pytest.mark.parametrize(("env", "expected"), [
    ({}, "none"),
    ({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://localhost:4318"}, "otlp"),
    ({"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT": "http://localhost:4318/v1/traces"}, "otlp"),
    ({"OTEL_TRACES_EXPORTER": "console"}, "console"),
    ({"OTEL_TRACES_EXPORTER": "otlp", "OTEL_SDK_DISABLED": "true"}, "none"),
])
def test_exporter_is_chosen_by_otel_env(env, expected):
    assert exporter_name(env) == expected


def test_unsupported_exporter_is_a_config_error():
    with pytest.raises(ConfigError, match="OTEL_TRACES_EXPORTER"):
        exporter_name({"OTEL_TRACES_EXPORTER": "zipkin"})


SERVICE_PROCESS = """
import json
from framework.upserts import Vertex
from framework.worker import GraphWorker
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

worker = GraphWorker(service="orders")

@worker.upserts()
def to_graph(msg):
    return [Vertex(id=msg["id"], label="Item")]

worker.handler(sqs_event([sqs_record(json.dumps({"id": "v1"}), message_id="m1")]), LocalLambdaContext())
"""


def test_the_workers_service_names_logs_metrics_and_spans():
    """``GraphWorker(service=...)`` reaches every signal, even with POWERTOOLS_SERVICE_NAME unset:
    two workers' metrics must not collide under the default service on the dashboards."""
    import subprocess
    import sys

    from gwlocal.gremlin_server.thread import EndpointThread

    with EndpointThread() as ep:
        env = {"NEPTUNE_ENDPOINT": f"ws://127.0.0.1:{ep.port}/gremlin", "PATH": "/usr/bin:/bin",
               "OTEL_TRACES_EXPORTER": "console"}
        done = subprocess.run([sys.executable, "-c", SERVICE_PROCESS], capture_output=True, text=True, env=env,
                              timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    emf = [json.loads(line) for line in done.stdout.splitlines() if line.startswith('{"_aws"')]
    assert emf and {blob["service"] for blob in emf} == {"orders"}
    assert any("GremlinConnects" in blob for blob in emf)  # the client's metrics too, not only the worker's
    assert '"service.name": "orders"' in done.stdout  # the console span exporter prints each span's resource
