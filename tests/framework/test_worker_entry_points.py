"""GraphWorker's entry points and set-up: what they refuse (exact messages), what they name, what they hold.

Covers the synchronous Lambda handler (its logger state per invocation, the one exit hook for the
execution context's loop), ``process`` (refusals, the execution context's client), ``map_record``
(the reason of a record that cannot be mapped), ``aclose`` and the names ``service`` gives.
"""

from __future__ import annotations

import asyncio
import atexit
import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from framework import lifecycle
from framework import worker as worker_module
from framework.client import GraphClient
from framework.config import GraphConfig
from framework.errors import GraphWorkerError
from framework.mapping import MessageFailed
from framework.telemetry import Telemetry
from framework.upserts import Vertex
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

LOG = io.StringIO()
LOGGER = Logger(service="worker-entry-points", logger_handler=logging.StreamHandler(LOG))
"""Powertools keeps one logger per service name: one for the module, its stream emptied per test."""


@pytest.fixture(autouse=True)
def empty_log() -> Iterator[None]:
    LOG.seek(0)
    LOG.truncate()
    yield
    LOGGER.clear_state()


def registered(worker: GraphWorker) -> GraphWorker:
    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["id"], label="Item")

    return worker


# ---------------------------------------------------------------------------- refusals
async def test_process_without_an_upserts_function_says_how_to_register_one(captured):
    worker = GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry)
    with pytest.raises(GraphWorkerError) as refused:
        await worker.process(sqs_event([]), LocalLambdaContext())
    assert str(refused.value) == "no upserts function registered: decorate one with @worker.upserts(...)"
    with pytest.raises(GraphWorkerError) as refused_mapping:
        await worker.map_body("{}")
    assert str(refused_mapping.value) == "no upserts function registered: decorate one with @worker.upserts(...)"


@pytest.mark.parametrize("event", [{}, {"Records": None}, {"Records": {"0": {}}}, [], None, "Records"],
                         ids=["no-records", "null-records", "records-object", "list", "none", "string"])
async def test_process_refuses_anything_but_a_dict_with_a_records_list(captured, event):
    worker = registered(GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry))
    with pytest.raises(ValueError) as refused:
        await worker.process(event, LocalLambdaContext())
    assert type(refused.value) is ValueError
    assert str(refused.value) == "not an SQS event: expected a dict with a 'Records' list"


def test_a_second_upserts_function_is_refused():
    worker = registered(GraphWorker(service="t", config=WorkerConfig(), logger=LOGGER))
    with pytest.raises(GraphWorkerError) as refused:
        worker.upserts()(lambda msg: [])
    assert str(refused.value) == "this worker already has an upserts function"


# ---------------------------------------------------------------------------- map_record
async def test_map_record_names_the_record_as_the_first_of_its_batch():
    """A record with neither messageId nor body: both problems, the record numbered #0 like a one-record batch."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    worker = registered(GraphWorker(service="t", config=WorkerConfig(), logger=LOGGER))
    raw = {"attributes": {}, "eventSourceARN": "arn:aws:sqs:eu-west-1:123456789012:q"}
    expected = "record #0 has no usable messageId (missing or null); body is missing or null, expected a string"
    for record in (raw, SQSRecord(raw)):
        with pytest.raises(MessageFailed) as failed:
            await worker.map_record(record)
        assert (failed.value.kind, failed.value.reason) == ("invalid_record", expected)
    with pytest.raises(MessageFailed) as not_an_object:
        await worker.map_record(["not", "a", "record"])
    assert (not_an_object.value.kind, not_an_object.value.reason) == ("invalid_record",
                                                                      "record #0 is a list, not an object")


# ---------------------------------------------------------------------------- names and resources
def test_service_names_the_worker_its_logger_and_its_default_telemetry(monkeypatch):
    monkeypatch.setenv("OTEL_SDK_DISABLED", "true")  # the default telemetry must not install a global provider
    monkeypatch.delenv("POWERTOOLS_SERVICE_NAME", raising=False)
    worker = GraphWorker(service="orders-entry-points", config=WorkerConfig())
    assert worker.service == "orders-entry-points"
    assert worker.logger.service == "orders-entry-points"
    telemetry = worker.telemetry
    assert isinstance(telemetry, Telemetry)
    assert telemetry.metrics.service == "orders-entry-points"
    assert worker.telemetry is telemetry  # made once


async def test_aclose_without_redelivery_backoff_has_nothing_to_close():
    worker = GraphWorker(service="t", config=WorkerConfig(redelivery_backoff="false"), logger=LOGGER)
    assert worker.redelivery is None
    await worker.aclose()
    assert worker.redelivery is None


async def test_without_a_client_factory_the_execution_context_client_reports_to_the_worker_telemetry(
        execution_context, monkeypatch, endpoint, captured):
    monkeypatch.setenv("NEPTUNE_ENDPOINT", f"ws://127.0.0.1:{endpoint.port}/gremlin")
    worker = registered(GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry))
    try:
        response = await worker.process(sqs_event([sqs_record(json.dumps({"id": "a"}), message_id="m1")]),
                                        LocalLambdaContext())
        assert response == {"batchItemFailures": []}
        assert lifecycle.get_client().telemetry is captured.telemetry
        # The client's own request span went to the worker's tracer, under the batch's process span.
        (request,) = captured.spans("gremlin upsert batch of 1")
        (process,) = captured.spans("graphworker-queue process")
        assert request.parent.span_id == process.context.span_id
    finally:
        await lifecycle.close_client()


# ---------------------------------------------------------------------------- the sync handler
def idle_worker(captured) -> GraphWorker:
    """A worker for empty events: it makes its client but never connects (port 9 is never dialled)."""
    clients: list[GraphClient] = []

    def client() -> GraphClient:
        if not clients:
            clients.append(GraphClient(GraphConfig.from_env({}, endpoint="127.0.0.1:9", tls=False),
                                       telemetry=captured.telemetry))
        return clients[0]

    return registered(GraphWorker(service="worker-entry-points", config=WorkerConfig(), client=client,
                                  telemetry=captured.telemetry, logger=LOGGER))


def test_each_invocation_starts_without_the_previous_invocations_log_keys(execution_context, captured):
    worker = idle_worker(captured)
    LOGGER.append_keys(order_id="o-1")  # what a mapping function adds while handling one message
    assert worker.handler(sqs_event([]), LocalLambdaContext(function_name="fn-1")) == {"batchItemFailures": []}
    LOGGER.info("between invocations")
    (line,) = [json.loads(x) for x in LOG.getvalue().splitlines()]
    assert "order_id" not in line
    assert line["function_name"] == "fn-1"  # the invocation's own keys are there


def test_the_loop_closer_is_registered_once_per_execution_context(execution_context, captured):
    worker = idle_worker(captured)
    installed = worker_module._loop_closer_installed
    worker_module._loop_closer_installed = False  # a context whose handler has not run yet
    before = atexit._ncallbacks()
    try:
        for _ in range(3):
            assert worker.handler(sqs_event([]), LocalLambdaContext()) == {"batchItemFailures": []}
        assert atexit._ncallbacks() - before == 1
        assert worker_module._loop_closer_installed is True
    finally:  # leave the process's exit hooks as they were
        atexit.unregister(worker_module._close_loop)
        if installed:
            atexit.register(worker_module._close_loop)
        worker_module._loop_closer_installed = installed


def test_closing_at_exit_without_a_loop_does_nothing(execution_context):
    assert worker_module._loop is None
    worker_module._close_loop()
    assert worker_module._loop is None


async def test_closing_at_exit_leaves_a_running_loop_alone(execution_context):
    loop = asyncio.get_running_loop()
    worker_module._loop = loop
    worker_module._close_loop()
    assert worker_module._loop is None
    assert not loop.is_closed()
