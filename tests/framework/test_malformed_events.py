"""Property: whatever the event holds, the handler returns in time, fails exactly the bad records
(each with a logged reason), and commits every good record with the values it asked for.

Hypothesis builds SQS events that mix good records with records damaged in every way a record
can be: missing, null or wrongly typed fields (``messageId``, ``body``, ``attributes``,
``messageAttributes``), bodies of arbitrary unicode (lone surrogates and NUL included), JSON
nested thousands deep, valid JSON whose strings hold lone surrogates, Binary ``traceparent``
attributes, records that are not objects, duplicated and missing message ids. Each record's fate
is known by construction (the oracle below), and the event goes through the real worker to the
local endpoint over a real socket. Runs derandomized: the same examples every run.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import random
import time
from dataclasses import dataclass
from typing import Any

import pytest
from aws_lambda_powertools import Logger
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.client import GraphClient
from framework.config import GraphConfig
from framework.telemetry import MetricsSink, Telemetry
from framework.upserts import Edge, Vertex, edge_id
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.gremlin_server.thread import EndpointThread
from gwlocal.lambda_events import LocalLambdaContext, sqs_record

from .conftest import Discard

TIMEOUT_S = 4.0
HUB = "hub"


@pytest.fixture(scope="module")
def endpoint_thread():
    with EndpointThread(seed=0) as ep:
        yield ep


# ---------------------------------------------------------------------------- the records
@dataclass
class Case:
    record: Any
    good: bool
    """True when the record must be committed (its message id reported succeeded)."""
    item: str | None = None
    """The good record's own vertex id (its elements are checked in the graph)."""
    name: str | None = None


TEXT = st.text(st.one_of(st.characters(min_codepoint=0, max_codepoint=0x10FFFF),
                         st.sampled_from(["\udc00", "\ud800", "\x00", "\ufffe"])), max_size=12)
"""Any code point, lone surrogates and NUL included (Hypothesis leaves surrogates out by itself)."""

damage = st.sampled_from([
    "no_body", "null_body", "int_body", "dict_body", "text_body", "deep_json", "surrogate_id", "surrogate_value",
    "nul_in_value_ok", "wrong_model", "no_attributes", "null_attributes", "list_attributes", "binary_traceparent",
    "null_message_attributes", "extra_fields", "not_a_record", "no_message_id", "int_message_id",
])
GOOD_DAMAGE = {"nul_in_value_ok", "no_attributes", "null_attributes", "binary_traceparent",
               "null_message_attributes", "extra_fields"}
"""Damage that leaves the record processable: the handler must still commit it."""
UNREPORTABLE = {"not_a_record", "no_message_id", "int_message_id"}


def good_body(item: str, name: str) -> str:
    return json.dumps({"item": item, "name": name})


def build(index: int, kind: str | None, text: str, message_id: str) -> Case:
    item = f"item-{index}"
    name = f"name {index}"
    record = sqs_record(good_body(item, name), message_id=message_id,
                        message_attributes={"traceparent": {
                            "stringValue": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                            "dataType": "String"}})
    if kind is None:
        return Case(record, True, item, name)
    good = kind in GOOD_DAMAGE
    if kind == "no_body":
        del record["body"]
    elif kind == "null_body":
        record["body"] = None
    elif kind == "int_body":
        record["body"] = 7
    elif kind == "dict_body":
        record["body"] = {"item": item, "name": name}
    elif kind == "text_body":
        record["body"] = "x" + text  # never valid JSON for the model
    elif kind == "deep_json":
        record["body"] = "[" * 100_000 + "]" * 100_000
    elif kind == "surrogate_id":
        record["body"] = '{"item": "it\\udc00' + str(index) + '", "name": "n"}'
    elif kind == "surrogate_value":
        record["body"] = '{"item": "' + item + '", "name": "\\ud800' + "" + '"}'
    elif kind == "nul_in_value_ok":
        name = f"nul\x00{index}"
        record["body"] = good_body(item, name)
    elif kind == "wrong_model":
        record["body"] = json.dumps({"item": item})
    elif kind == "no_attributes":
        del record["attributes"]
    elif kind == "null_attributes":
        record["attributes"] = None
    elif kind == "list_attributes":
        record["attributes"] = [1, 2]
    elif kind == "binary_traceparent":
        record["messageAttributes"] = {"traceparent": {"binaryValue": "AAEC", "dataType": "Binary"}}
    elif kind == "null_message_attributes":
        record["messageAttributes"] = None
    elif kind == "extra_fields":
        record["unexpected"] = {"nested": [text]}
        record["attributes"]["SomethingNew"] = text
    elif kind == "not_a_record":
        record = [text]
    elif kind == "no_message_id":
        del record["messageId"]
    elif kind == "int_message_id":
        record["messageId"] = 12
    return Case(record, good, item if good else None, name if good else None)


events = st.lists(
    st.tuples(st.one_of(st.none(), damage), TEXT, st.integers(min_value=0, max_value=2)),
    min_size=1, max_size=8,
)


# ---------------------------------------------------------------------------- the worker
LOG = io.StringIO()
LOGGER = Logger(service="malformed-events", logger_handler=logging.StreamHandler(LOG))
"""Powertools keeps one logger per service name: one for the module, its stream emptied per example."""


def make_worker(port: int) -> tuple[GraphWorker, GraphClient]:
    telemetry = Telemetry(metrics=MetricsSink(stream=Discard()))
    client = GraphClient(GraphConfig.from_env({}, endpoint=f"127.0.0.1:{port}", tls=False, backoff_base_s=0.001,
                                              backoff_max_s=0.002), telemetry=telemetry, rng=random.Random(1))
    worker = GraphWorker(service="malformed", client=lambda: client, telemetry=telemetry, logger=LOGGER,
                         config=WorkerConfig(deadline_margin_s=1.0))

    @worker.upserts()
    def to_graph(body: Any) -> list[Vertex | Edge]:
        item, name = body["item"], body["name"]  # a KeyError here is this message's mapping_error
        return [Vertex(id=item, label="Item", props={"name": name}), Vertex(id=HUB, label="Hub"),
                Edge(label="IN", from_id=item, to_id=HUB, props={"name": name})]

    return worker, client


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(spec=events)
def test_bad_records_fail_alone_and_good_ones_are_committed(endpoint_thread, spec):
    ep = endpoint_thread
    ep.call(lambda e: e.reset(graph=True, stats=True, settings=True, seed=0))
    # Message ids: the slot picks one of a few ids for some records, so duplicates happen.
    cases = [build(i, kind, text, f"m{i}" if slot == 0 else f"dup-{slot}") for i, (kind, text, slot) in
             enumerate(spec)]
    LOG.seek(0)
    LOG.truncate()

    async def run() -> dict[str, Any]:
        worker, client = make_worker(ep.port)
        try:
            return await worker.process({"Records": [c.record for c in cases]}, LocalLambdaContext(timeout_s=TIMEOUT_S))
        finally:
            await client.close()

    started = time.monotonic()
    response = asyncio.run(run())
    assert time.monotonic() - started < TIMEOUT_S, "the invocation outlived its Lambda timeout"
    failed = [f["itemIdentifier"] for f in response["batchItemFailures"]]
    assert len(failed) == len(set(failed)), "a message id reported twice"
    reportable = [c for c in cases if isinstance(c.record, dict) and isinstance(c.record.get("messageId"), str)]
    bad_ids = {c.record["messageId"] for c in reportable if not c.good}
    assert set(failed) == bad_ids, {"reported": failed, "bad": bad_ids}

    logged = [json.loads(line) for line in LOG.getvalue().splitlines() if line.startswith("{")]
    reasons = {entry.get("correlation_id"): entry for entry in logged if entry.get("message") == "message failed"}
    for message_id in bad_ids:
        assert reasons[message_id]["reason"], message_id  # a reason, not just a failure
    unreportable = [c for c in cases if c not in reportable]
    no_id_logs = [e for e in logged if "no usable messageId" in str(e.get("message"))]
    assert len(no_id_logs) == len(unreportable)

    store = ep.endpoint.store
    for case in cases:
        if not case.good or case.item is None or case not in reportable:
            continue
        vertex = store.vertex(case.item)
        assert vertex is not None and vertex.label == "Item", case.item
        names = [vp.value for vp in vertex.properties["name"]]
        # Good records sharing a message id with a bad one are redelivered later; their own
        # write happened, with their own value.
        assert names == [case.name], (case.item, names)
        edge = store.edge(edge_id("IN", case.item, HUB))
        assert edge is not None and edge.properties["name"] == case.name
    bad_items = {f"item-{i}" for i, c in enumerate(cases) if not c.good}
    assert not bad_items & {v.id for v in store.vertices()}, "a bad record's element was written"
