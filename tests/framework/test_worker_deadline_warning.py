"""The warning when ``GRAPHWORKER_DEADLINE_MARGIN_S`` leaves an invocation no time to write, and only then."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from typing import Any

import pytest
from aws_lambda_powertools import Logger

from framework.upserts import Vertex
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

LOG = io.StringIO()
LOGGER = Logger(service="deadline-warning", logger_handler=logging.StreamHandler(LOG))
"""Powertools keeps one logger per service name: one for the module, its stream emptied per test."""
WARNING = "GRAPHWORKER_DEADLINE_MARGIN_S leaves no time to write in this invocation"


@pytest.fixture(autouse=True)
def empty_log() -> Iterator[None]:
    LOG.seek(0)
    LOG.truncate()
    yield


def logged() -> list[dict[str, Any]]:
    return [json.loads(line) for line in LOG.getvalue().splitlines() if line.strip()]


def items_worker(captured, client, margin_s: float) -> GraphWorker:
    worker = GraphWorker(service="deadline-warning", config=WorkerConfig(deadline_margin_s=margin_s),
                         client=lambda: client, telemetry=captured.telemetry, logger=LOGGER)

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["id"], label="Item")

    return worker


async def test_a_margin_longer_than_the_timeout_is_logged_with_the_time_left(make_client, captured):
    worker = items_worker(captured, make_client(), margin_s=900.0)
    response = await worker.process(sqs_event([sqs_record(json.dumps({"id": "a"}), message_id="m1")]),
                                    LocalLambdaContext(timeout_s=600.0))
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}  # no time to map: failed, redelivered
    (warning,) = [r for r in logged() if r["message"] == WARNING]
    assert warning["level"] == "WARNING"
    assert warning["deadline_margin_s"] == 900.0
    # Milliseconds left before Lambda's timeout, counted from the context (600 s, less the few ms
    # that passed since it was made).
    assert isinstance(warning["remaining_ms"], int) and 590_000 < warning["remaining_ms"] <= 600_000


async def test_no_warning_while_any_time_is_left_before_the_deadline_guard(make_client, captured):
    """Half a second left before the soft deadline is little, but it is time to write: no warning."""
    worker = items_worker(captured, make_client(), margin_s=1.0)
    await worker.process(sqs_event([sqs_record(json.dumps({"id": "a"}), message_id="m1")]),
                         LocalLambdaContext(timeout_s=1.5))
    assert [r for r in logged() if r["message"] == WARNING] == []


async def test_without_a_lambda_context_there_is_no_deadline_and_no_warning(make_client, captured):
    worker = items_worker(captured, make_client(), margin_s=3.0)
    response = await worker.process(sqs_event([sqs_record(json.dumps({"id": "a"}), message_id="m1")]), None)
    assert response == {"batchItemFailures": []}
    assert [r for r in logged() if r["message"] == WARNING] == []
    assert captured.spans("graphworker")  # the invocation span, named without a function name
