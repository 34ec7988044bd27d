"""The invocation span (named after the function): its kind, the batch's outcome and the client's limits.

What an operator reads per invocation in a trace: how many messages came and failed, how many
requests were sent, the concurrency and request-size limits the client ended the batch with, and
the breaker's state. Real worker, real local endpoint, real OpenTelemetry SDK (in-memory exporter).
"""

from __future__ import annotations

import io
import json
import logging
import time
from typing import Any

from aws_lambda_powertools import Logger
from opentelemetry.trace import SpanKind, StatusCode

from framework.upserts import Vertex
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

LOG = io.StringIO()
LOGGER = Logger(service="invocation-span", logger_handler=logging.StreamHandler(LOG))
"""Powertools keeps one logger per service name: one for the module, read from where the test began."""


def logged_since(start: int) -> list[dict[str, Any]]:
    return [json.loads(line) for line in LOG.getvalue()[start:].splitlines() if line.strip()]


def items_worker(captured, client, **config: Any) -> GraphWorker:
    worker = GraphWorker(service="span", config=WorkerConfig(**config), client=lambda: client,
                         telemetry=captured.telemetry, logger=LOGGER)

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        if msg.get("sleep_s"):
            time.sleep(msg["sleep_s"])  # a mapping function that blocks the loop (it should not, but may)
        yield Vertex(id=msg["id"], label="Item", props={"n": 1})

    return worker


async def test_a_batch_with_a_failed_message_is_an_error_span_with_its_counts(endpoint, make_client, captured):
    client = make_client()
    worker = items_worker(captured, client)
    records = [sqs_record(json.dumps({"id": "a"}), message_id="m1"),
               sqs_record("{not json", message_id="m2"),
               sqs_record(json.dumps({"id": "b"}), message_id="m3")]
    context = LocalLambdaContext(function_name="items-fn")
    response = await worker.process(sqs_event(records), context)
    assert response == {"batchItemFailures": [{"itemIdentifier": "m2"}]}
    (span,) = captured.spans("items-fn")
    assert span.kind == SpanKind.CONSUMER
    assert {k: span.attributes[k] for k in ("faas.trigger", "cloud.provider", "faas.name", "faas.invocation_id",
                                            "cloud.resource_id")} == {
        "faas.trigger": "pubsub", "cloud.provider": "aws", "faas.name": "items-fn",
        "faas.invocation_id": context.aws_request_id, "cloud.resource_id": context.invoked_function_arn}
    (process,) = captured.spans("graphworker-queue process")
    assert process.kind == SpanKind.CONSUMER
    assert dict(process.attributes) == {
        "messaging.system": "aws_sqs", "messaging.operation.type": "process", "messaging.operation.name": "process",
        "messaging.destination.name": "graphworker-queue", "messaging.batch.message_count": 2,
        "graphworker.elements": 2, "graphworker.requests": 1, "graphworker.bisections": 0,
        "graphworker.stale_skipped": 0}
    assert (span.status.status_code, span.status.description) == (StatusCode.ERROR, "1 message(s) failed")
    attributes = dict(span.attributes)
    assert {k: attributes[k] for k in ("messaging.batch.message_count", "graphworker.failed_messages",
                                       "graphworker.requests")} == {
        "messaging.batch.message_count": 3, "graphworker.failed_messages": 1, "graphworker.requests": 1}
    assert endpoint.stats.write_requests == 1
    # The limits the client ended the batch with, as the metrics of the same batch report them.
    limits = client.limits
    assert {k: attributes[k] for k in ("graphworker.in_flight_limit", "graphworker.in_flight_peak",
                                       "graphworker.request_size_limit", "graphworker.breaker_state")} == {
        "graphworker.in_flight_limit": limits.limit, "graphworker.in_flight_peak": 1,
        "graphworker.request_size_limit": limits.records, "graphworker.breaker_state": "closed"}
    assert captured.values("InFlightLimit") == [float(limits.limit)]
    assert captured.values("InFlightPeak") == [1.0]
    assert captured.values("RequestSizeLimit") == [float(limits.records)]


async def test_a_batch_without_failures_leaves_the_span_status_unset(make_client, captured):
    worker = items_worker(captured, make_client())
    records = [sqs_record(json.dumps({"id": f"v{i}"}), message_id=f"m{i}") for i in range(4)]
    assert await worker.process(sqs_event(records), LocalLambdaContext()) == {"batchItemFailures": []}
    (span,) = captured.spans("graphworker-local")
    assert span.status.status_code == StatusCode.UNSET
    assert (span.attributes["messaging.batch.message_count"], span.attributes["graphworker.failed_messages"],
            span.attributes["graphworker.requests"]) == (4, 0, 1)


async def test_a_hard_stop_while_mapping_reports_no_requests(endpoint, make_client, captured):
    """A mapping function that blocks the loop past the hard deadline: nothing was written, nothing sent.

    Timeout 0.6 s, margin 0.3 s: mapping may take until 0.15 s, the hard stop is at 0.5 s; the
    function blocks 0.55 s, so when the loop runs again both have passed and the hard stop wins.
    """
    worker = items_worker(captured, make_client(), deadline_margin_s=0.3)
    records = [sqs_record(json.dumps({"id": "slow", "sleep_s": 0.55}), message_id="m1")]
    start = len(LOG.getvalue())
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=0.6))
    assert response == {"batchItemFailures": [{"itemIdentifier": "m1"}]}
    (failed,) = [r for r in logged_since(start) if r["message"] == "message failed"]
    assert (failed["level"], failed["correlation_id"], failed["record_index"], failed["reason_kind"],
            failed["reason"]) == ("WARNING", "m1", 0, "deadline", "abandoned at the invocation's hard deadline "
                                  "before it was confirmed committed; SQS redelivers it")
    (span,) = captured.spans("graphworker-local")
    assert (span.attributes["graphworker.requests"], span.attributes["graphworker.failed_messages"]) == (0, 1)
    assert captured.count("DeadlineStops") == 1
    assert captured.values("RequestsPerBatch") == []  # the write phase never started
    assert endpoint.stats.write_requests == 0 and endpoint.store.vertex_count() == 0


async def test_message_age_and_a_record_that_cannot_be_reported(make_client, captured):
    worker = items_worker(captured, make_client())
    sent = int(time.time() * 1000) - 60_000
    unreportable = sqs_record("{not json", message_id="x", sent_timestamp_ms=sent)
    del unreportable["messageId"]
    start = len(LOG.getvalue())
    response = await worker.process(sqs_event([unreportable]), LocalLambdaContext())
    assert response == {"batchItemFailures": []}  # nothing to name: logged as an error instead
    (age,) = captured.values("MessageAge")
    assert 60_000 <= age < 70_000
    (error,) = [r for r in logged_since(start) if r["level"] == "ERROR"]
    assert (error["message"], error["record_index"], error["reason_kind"], error["reason"]) == (
        "record cannot be reported in batchItemFailures (no usable messageId)", 0, "invalid_record",
        "record #0 has no usable messageId (missing or null)")
