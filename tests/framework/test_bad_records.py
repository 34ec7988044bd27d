"""Every record-level defect of a real-looking but imperfect SQS event, one by one.

Each used to hang the invocation, crash it, or fail the whole batch. Now each bad record fails
alone, with its reason, and the good records of the same batch are committed with their values.
"""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest
from pydantic import BaseModel

from framework.upserts import Vertex
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record, string_attribute

TRACEPARENT = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"


class Item(BaseModel):
    id: str
    name: str


def good(i: int) -> dict[str, Any]:
    return sqs_record(json.dumps({"id": f"good-{i}", "name": f"name-{i}"}), message_id=f"good-{i}")


def with_body(message_id: str, body: Any) -> dict[str, Any]:
    record = sqs_record("{}", message_id=message_id)
    record["body"] = body
    return record


def failures(response: dict[str, Any]) -> list[str]:
    return [f["itemIdentifier"] for f in response["batchItemFailures"]]


@pytest.fixture
def make_worker(endpoint, captured, client_factory):
    def make(model: type[BaseModel] | None = Item, **config: Any) -> GraphWorker:
        config.setdefault("deadline_margin_s", 1.0)
        worker = GraphWorker(service="bad-records", config=WorkerConfig(**config), telemetry=captured.telemetry,
                             client=client_factory())

        @worker.upserts(model=model)
        def to_graph(msg: Any):
            if isinstance(msg, Item):
                return [Vertex(id=msg.id, label="Item", props={"name": msg.name})]
            return [Vertex(id=msg["id"], label="Item", props={"name": msg["name"]})]

        return worker

    return make


def assert_goods_committed(endpoint, count: int) -> None:
    for i in range(count):
        vertex = endpoint.store.vertex(f"good-{i}")
        assert vertex is not None, f"good-{i}"
        assert [vp.value for vp in vertex.properties["name"]] == [f"name-{i}"]


@pytest.mark.parametrize("model", [Item, None], ids=["model", "no-model"])
async def test_each_bad_record_fails_alone_with_its_reason(endpoint, make_worker, captured, model):
    worker = make_worker(model)
    no_body = sqs_record("{}", message_id="no-body")
    del no_body["body"]
    no_attributes = good(3)
    del no_attributes["attributes"]
    null_attributes = good(4)
    null_attributes["attributes"] = None
    binary_traceparent = good(5)
    binary_traceparent["messageAttributes"] = {"traceparent": {"binaryValue": "AAEC", "dataType": "Binary"}}
    null_message_attributes = good(6)
    null_message_attributes["messageAttributes"] = None
    records = [
        good(0), no_body,
        with_body("dict-body", {"id": "x", "name": "y"}),
        with_body("deep", "[" * 50_000 + "]" * 50_000),
        with_body("surrogate-id", '{"id": "bad\\udc00", "name": "n"}'),
        with_body("surrogate-value", '{"id": "sv", "name": "\\ud800"}'),
        good(1), no_attributes, null_attributes, binary_traceparent, null_message_attributes, good(2),
    ]
    started = time.monotonic()
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=5))
    assert time.monotonic() - started < 5
    assert failures(response) == ["no-body", "dict-body", "deep", "surrogate-id", "surrogate-value"]
    assert_goods_committed(endpoint, 7)
    assert endpoint.store.vertex("sv") is None
    assert captured.count("MessagesFailed", Reason="invalid_record") == 2
    # Pydantic's JSON parser refuses a lone surrogate escape; plain json.loads accepts it, and the
    # upsert's validation refuses the text before anything is sent.
    bad_text = "invalid_message" if model else "invalid_upsert"
    assert captured.count("MessagesFailed", Reason="invalid_message") == 1 + (2 if model else 0)
    assert captured.count("MessagesFailed", Reason=bad_text) == 2 + (1 if model else 0)
    assert captured.count("MessagesSucceeded") == 7
    # The surrogate never reached the wire: one request for the seven good vertices.
    assert endpoint.stats.write_requests == 1


async def test_records_without_a_usable_message_id_are_logged_and_the_rest_goes_on(endpoint, make_worker,
                                                                                    captured):
    worker = make_worker()
    no_id = good(9)
    del no_id["messageId"]
    int_id = good(8)
    int_id["messageId"] = 12
    records = [good(0), no_id, "not a record", None, int_id, good(1)]
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=5))
    # They cannot appear in batchItemFailures (an empty or invalid itemIdentifier would make
    # Lambda fail the whole batch); Lambda never sends such records.
    assert response == {"batchItemFailures": []}
    assert_goods_committed(endpoint, 2)
    assert endpoint.store.vertex("good-9") is None and endpoint.store.vertex("good-8") is None
    assert captured.count("MessagesFailed", Reason="invalid_record") == 4


async def test_records_sharing_a_message_id_are_all_written_and_reported_once(endpoint, make_worker):
    worker = make_worker()
    first = good(0)
    second = sqs_record(json.dumps({"id": "good-1", "name": "name-1"}), message_id="good-0")
    response = await worker.process(sqs_event([first, second]), LocalLambdaContext(timeout_s=5))
    assert response == {"batchItemFailures": []}
    assert_goods_committed(endpoint, 2)  # both bodies written, not just one
    bad_twin = sqs_record('{"id": 1}', message_id="good-0")
    response = await worker.process(sqs_event([good(0), bad_twin, good(1)]), LocalLambdaContext(timeout_s=5))
    assert failures(response) == ["good-0"]  # once, because one of its records failed


async def test_a_hanging_async_mapping_function_cannot_outlive_the_deadline(endpoint, captured, client_factory):
    worker = GraphWorker(service="hang", config=WorkerConfig(deadline_margin_s=1.0), telemetry=captured.telemetry,
                         client=client_factory())

    @worker.upserts()
    async def to_graph(msg: dict[str, Any]):
        if msg["id"] == "hang":
            await asyncio.Event().wait()  # never set: a mapping that never returns
        return [Vertex(id=msg["id"], label="Item")]

    records = [sqs_record(json.dumps({"id": i}), message_id=i) for i in ("a", "hang", "b")]
    started = time.monotonic()
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=2.5))
    assert time.monotonic() - started < 2.5
    assert failures(response) == ["hang"]
    assert endpoint.store.vertex("a") is not None and endpoint.store.vertex("b") is not None
    assert captured.count("MessagesFailed", Reason="deadline") == 1


async def test_trace_links_come_from_string_attributes_only(endpoint, make_worker, captured):
    worker = make_worker()
    linked = good(0)
    linked["messageAttributes"] = {"traceparent": string_attribute(TRACEPARENT)}
    binary = good(1)
    binary["messageAttributes"] = {"traceparent": {"binaryValue": "AAEC", "dataType": "Binary"}}
    await worker.process(sqs_event([linked, binary]), LocalLambdaContext(timeout_s=5))
    process = captured.spans("graphworker-queue process")[0]
    assert [(link.context.trace_id, link.context.span_id) for link in process.links] == [
        (0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331)]


def test_sync_handler_returns_for_records_that_used_to_hang(execution_context, monkeypatch):
    """Through the synchronous Lambda entry point, on the execution context's own loop."""
    from gwlocal.gremlin_server.thread import EndpointThread

    with EndpointThread() as ep:
        monkeypatch.setenv("NEPTUNE_ENDPOINT", f"ws://127.0.0.1:{ep.port}/gremlin")
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        worker = GraphWorker(service="sync-bad", config=WorkerConfig(deadline_margin_s=1.0))

        @worker.upserts()
        def to_graph(msg: dict[str, Any]):
            return [Vertex(id=msg["id"], label="Item")]

        no_body = sqs_record("{}", message_id="no-body")
        del no_body["body"]
        null_attributes = sqs_record(json.dumps({"id": "v2"}), message_id="null-attributes")
        null_attributes["attributes"] = None
        records = [sqs_record(json.dumps({"id": "v1"}), message_id="ok"), no_body, with_body("int-body", 5),
                   with_body("deep", "{\"a\":" * 20_000 + "1" + "}" * 20_000), null_attributes]
        started = time.monotonic()
        response = worker.handler(sqs_event(records), LocalLambdaContext(timeout_s=5))
        assert time.monotonic() - started < 5
        assert failures(response) == ["no-body", "int-body", "deep"]
        assert ep.control.stats()["vertices"] == 2
