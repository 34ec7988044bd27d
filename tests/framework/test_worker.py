"""GraphWorker end to end: SQS-shaped events in, graph writes and batchItemFailures out.

Events are built in Lambda's exact shape and parsed by Powertools' own data classes; the
Lambda context is a stand-in with a real deadline; the database is the local endpoint over a
real socket.
"""

from __future__ import annotations

import asyncio
import json
import random
from typing import Any

import pytest
from pydantic import BaseModel

from framework.client import GraphClient
from framework.upserts import Edge, Vertex, edge_id
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record, string_attribute

from .conftest import local_config


class OrderPlaced(BaseModel):
    customer_id: str
    order_id: str
    name: str
    total: float


def order(i: int, customer: str = "c-1", name: str = "Ada") -> str:
    return json.dumps({"customer_id": customer, "order_id": f"o-{i}", "name": name, "total": 10.0 + i})


def make_worker(endpoint, captured, **config: Any) -> tuple[GraphWorker, list[GraphClient]]:
    clients: list[GraphClient] = []

    def client() -> GraphClient:
        if not clients:
            clients.append(GraphClient(local_config(endpoint, max_attempts=4), telemetry=captured.telemetry,
                                       rng=random.Random(3)))
        return clients[0]

    worker = GraphWorker(service="orders", config=WorkerConfig(**config), client=client,
                         telemetry=captured.telemetry)

    @worker.upserts(model=OrderPlaced)
    def to_graph(msg: OrderPlaced):
        yield Vertex(id=msg.customer_id, label="Customer", props={"name": msg.name})
        yield Vertex(id=msg.order_id, label="Order", props={"total": msg.total})
        yield Edge(label="PLACED", from_id=msg.customer_id, to_id=msg.order_id)

    return worker, clients


@pytest.fixture
async def worker(endpoint, captured):
    w, clients = make_worker(endpoint, captured)
    yield w
    for c in clients:
        await c.close()


def failures(response: dict[str, Any]) -> set[str]:
    return {f["itemIdentifier"] for f in response.get("batchItemFailures", [])}


def graph_state(endpoint) -> dict[str, Any]:
    store = endpoint.store
    return {
        "vertices": sorted((v.id, v.label, sorted((k, sorted(map(str, vals))) for k, vals in _props(v).items()))
                           for v in store.vertices()),
        "edges": sorted((e.id, e.label) for e in store.edges()),
    }


def _props(element: Any) -> dict[str, list[Any]]:
    out: dict[str, list[Any]] = {}
    for key, vps in element.properties.items():
        out[key] = [getattr(vp, "value", vp) for vp in (vps if isinstance(vps, list) else [vps])]
    return out


def graph(endpoint) -> dict[str, Any]:
    """What the endpoint holds: vertices by id (label, property values), edges by (label, from, to)."""
    store = endpoint.store
    return {"vertices": {v.id: (v.label, _props(v)) for v in store.vertices()},
            "edges": {(e.label, e.out_v.id, e.in_v.id): _props(e) for e in store.edges()}}


def orders_graph(*orders: tuple[str, int, str]) -> dict[str, Any]:
    """The graph ``to_graph`` should leave for these ``(customer, i, name)`` orders, written out by hand."""
    vertices: dict[str, Any] = {}
    edges: dict[tuple[str, str, str], Any] = {}
    for customer, i, name in orders:
        vertices[customer] = ("Customer", {"name": [name]})
        vertices[f"o-{i}"] = ("Order", {"total": [10.0 + i]})
        edges[("PLACED", customer, f"o-{i}")] = {}
    return {"vertices": vertices, "edges": edges}


async def test_batch_of_messages_merges_into_few_requests(endpoint, worker, captured):
    records = [sqs_record(order(i), message_id=f"m{i}") for i in range(10)]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == set()
    # 1 shared customer + 10 orders + the 10 edges between them: one component, one request
    # (its vertices written before its edges, in one transaction).
    assert endpoint.stats.write_requests == 1
    assert endpoint.store.vertex_count() == 11 and endpoint.store.edge_count() == 10
    assert captured.values("RequestsPerBatch") == [1.0]
    assert captured.count("UpsertsWritten", Kind="vertex") == 11
    assert captured.count("UpsertsWritten", Kind="edge") == 10
    assert captured.count("MessagesSucceeded") == 10


async def test_request_limits_split_the_batch(endpoint, captured):
    worker, clients = make_worker(endpoint, captured, max_upserts_per_request=4)
    records = [sqs_record(order(i), message_id=f"m{i}") for i in range(10)]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == set()
    assert endpoint.stats.write_requests == 3 + 3  # ceil(11/4) vertex + ceil(10/4) edge requests
    await clients[0].close()


async def test_redelivered_batch_changes_nothing(endpoint, worker):
    records = [sqs_record(order(i, name=f"name-{i % 3}"), message_id=f"m{i}") for i in range(6)]
    assert failures(await worker.process(sqs_event(records), LocalLambdaContext())) == set()
    before = graph_state(endpoint)
    assert failures(await worker.process(sqs_event(records), LocalLambdaContext())) == set()
    assert graph_state(endpoint) == before
    # The customer's name converged on the last message's value (single cardinality on match).
    assert [vp.value for vp in endpoint.store.vertex("c-1").properties["name"]] == ["name-2"]


async def test_poison_messages_fail_alone(endpoint, worker, captured):
    records = [
        sqs_record(order(1), message_id="good-1"),
        sqs_record("{not json", message_id="bad-json"),
        sqs_record(json.dumps({"customer_id": "c-9"}), message_id="bad-model"),
        sqs_record(order(2, customer=""), message_id="bad-upsert"),
        sqs_record(order(3), message_id="good-2"),
    ]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == {"bad-json", "bad-model", "bad-upsert"}
    assert captured.count("MessagesFailed", Reason="invalid_message") == 2
    assert captured.count("MessagesFailed", Reason="invalid_upsert") == 1
    # The good messages' elements, with their values; nothing of the rejected ones, not even the valid
    # order vertex and edge that "bad-upsert" yielded next to its invalid customer.
    assert graph(endpoint) == orders_graph(("c-1", 1, "Ada"), ("c-1", 3, "Ada"))


async def test_mapping_errors_fail_alone(endpoint, captured, client_factory):
    worker = GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry,
                         client=client_factory())

    @worker.upserts()
    async def to_graph(msg: dict[str, Any]):
        if msg["n"] == 2:
            raise KeyError("customer")
        valid = Vertex(id=f"v{msg['n']}", label="V", props={"n": msg["n"]})
        if msg["n"] == 3:
            return [valid, Vertex(id="x", label="X", props={"bad": None})]
        if msg["n"] == 4:
            return [valid, "not an upsert"]
        return [valid]

    records = [sqs_record(json.dumps({"n": n}), message_id=f"m{n}") for n in range(1, 6)]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == {"m2", "m3", "m4"}
    assert captured.count("MessagesFailed", Reason="mapping_error") == 1
    assert captured.count("MessagesFailed", Reason="invalid_upsert") == 2
    # Only the good messages' vertices: m3's and m4's valid vertices went down with their message.
    assert graph(endpoint)["vertices"] == {"v1": ("V", {"n": [1]}), "v5": ("V", {"n": [5]})}


async def test_conflict_storm_is_retried_to_success(endpoint, worker, captured):
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 3}})
    records = [sqs_record(order(i), message_id=f"m{i}") for i in range(5)]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == set()
    assert captured.count("ConcurrentModificationConflicts") == 3
    assert endpoint.store.edge_count() == 5


async def test_missing_endpoint_is_isolated_by_bisection_and_retriable(endpoint, captured, client_factory):
    worker = GraphWorker(service="t", config=WorkerConfig(), telemetry=captured.telemetry,
                         client=client_factory(max_attempts=1))

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["a"], label="Account")
        yield Edge(label="SENT", from_id=msg["a"], to_id=msg["b"])

    records = [sqs_record(json.dumps({"a": f"a{i}", "b": "a0" if i != 5 else "ghost"}), message_id=f"m{i}")
               for i in range(8)]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == {"m5"}
    # one request of 8 vertices then 8 edges; the failing edge is isolated in 4 halvings: 16 -> 8 -> 4 -> 2 -> 1
    assert captured.count("Bisections") == 4
    bisects = captured.spans("graphworker.bisect")  # innermost first (in the order they ended)
    assert [s.attributes["graphworker.elements"] for s in bisects] == [2, 4, 8, 16]
    assert {s.attributes["error.type"] for s in bisects} == {"ConstraintViolationException"}
    assert {(s.status.status_code.name, s.status.description) for s in bisects} == {
        ("ERROR", "isolated failing elements")}
    assert captured.spans("graphworker-queue process")[0].attributes["graphworker.bisections"] == 4
    assert captured.count("MessagesFailed", Reason="write_failed") == 1
    assert endpoint.store.edge_count() == 7
    # Later the vertex arrives; the redelivered message then succeeds.
    records2 = [sqs_record(json.dumps({"a": "ghost", "b": "a0"}), message_id="m-ghost"),
                sqs_record(json.dumps({"a": "a5", "b": "ghost"}), message_id="m5", receive_count=2)]
    assert failures(await worker.process(sqs_event(records2), LocalLambdaContext())) == set()
    assert set(graph(endpoint)["edges"]) == {("SENT", f"a{i}", "a0") for i in range(8) if i != 5} | {
        ("SENT", "a5", "ghost"), ("SENT", "ghost", "a0")}


async def test_oversized_element_is_a_permanent_error_isolated_to_its_message(endpoint, worker, captured):
    endpoint.apply_settings({"max_request_bytes": 20_000})
    records = [sqs_record(order(i), message_id=f"m{i}") for i in range(4)]
    records.append(sqs_record(order(9, customer="big", name="x" * 30_000), message_id="m-big"))
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == {"m-big"}
    assert endpoint.stats.errors_by_code["BadRequestException"] >= 1
    # The other messages' elements are all there with their values; the oversized vertex is not (its
    # message's small order vertex may be: a write failure, unlike a rejection, is not all-or-nothing,
    # and the redelivery rewrites it).
    written = graph(endpoint)
    assert "big" not in written["vertices"] and ("PLACED", "big", "o-9") not in written["edges"]
    expected = orders_graph(*(("c-1", i, "Ada") for i in range(4)))
    assert {k: written["vertices"][k] for k in expected["vertices"]} == expected["vertices"]
    assert {k: written["edges"][k] for k in expected["edges"]} == expected["edges"]


async def test_fifo_failure_fails_the_rest_of_its_group_only(endpoint, worker, captured):
    fifo = "orders.fifo"
    records = [
        sqs_record(order(1, customer="a"), message_id="a1", group_id="A", queue=fifo),
        sqs_record(order(1, customer="b"), message_id="b1", group_id="B", queue=fifo),
        sqs_record("{poison", message_id="a2", group_id="A", queue=fifo),
        sqs_record(order(3, customer="a"), message_id="a3", group_id="A", queue=fifo),
        sqs_record(order(2, customer="b"), message_id="b2", group_id="B", queue=fifo),
    ]
    response = await worker.process(sqs_event(records), LocalLambdaContext())
    assert failures(response) == {"a2", "a3"}
    assert captured.count("MessagesFailed", Reason="fifo_blocked") == 1
    # a1, b1 and b2 written (group B went on); a3 was not applied out of order, nothing of a2.
    assert graph(endpoint) == orders_graph(("a", 1, "Ada"), ("b", 1, "Ada"), ("b", 2, "Ada"))


async def test_deadline_guard_reports_uncommitted_messages(endpoint, captured, client_factory):
    """Past the soft deadline no request starts, and every message is reported as what happened to it.

    The endpoint writes normally until three writes are done, then holds every write (its locks, and
    so its answer) until released: the soft deadline (2 s timeout - 1 s margin) passes while one
    request is held, whatever the machine's speed. The only time bound: the first three one-element
    writes must finish within that 1 s.
    """
    worker = GraphWorker(service="t", config=WorkerConfig(max_upserts_per_request=1, deadline_margin_s=1.0),
                         telemetry=captured.telemetry, client=client_factory(max_in_flight=1))

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["id"], label="Item", props={"n": msg["n"]})

    async def hold_after_three_writes() -> None:
        await endpoint.wait_for(lambda e: e.stats.write_requests >= 3)
        endpoint.apply_settings({"hold_ms": 600_000.0})

    holding = asyncio.create_task(hold_after_three_writes())
    records = [sqs_record(json.dumps({"id": f"v{i}", "n": i}), message_id=f"m{i}") for i in range(20)]
    response = await worker.process(sqs_event(records), LocalLambdaContext(timeout_s=2.0))
    await holding
    failed = failures(response)
    succeeded = {f"m{i}" for i in range(20)} - failed
    in_graph = {f"m{i}" for i in range(20) if endpoint.store.vertex(f"v{i}") is not None}
    assert len(succeeded) >= 3 and failed
    assert captured.count("DeadlineStops") == 1
    assert captured.count("MessagesFailed", Reason="deadline") == len(failed)
    # Every message reported succeeded is in the graph, with its values; of the failed ones only the
    # write the endpoint still holds was applied (its outcome unknown to the worker: reported failed).
    assert succeeded <= in_graph
    assert all(_props(endpoint.store.vertex(f"v{m[1:]}")) == {"n": [int(m[1:])]} for m in succeeded)
    assert endpoint.holding == 1 and len(in_graph & failed) == 1
    # The request cut at the deadline took its connection with it (an answer could still arrive on it).
    assert captured.count("GremlinReconnects", Cause="timeout") == 1
    # Released, the held write commits; redelivering the failed messages then writes the rest on a new
    # connection, and the held one's redelivery changes nothing.
    endpoint.release_holds()
    endpoint.apply_settings({"hold_ms": 0.0})
    retry = [r for r in records if r["messageId"] in failed]
    assert failures(await worker.process(sqs_event(retry), LocalLambdaContext())) == set()
    assert {v.id: _props(v) for v in endpoint.store.vertices()} == {f"v{i}": {"n": [i]} for i in range(20)}
    assert endpoint.stats.connections_total == 2


async def test_spans_links_and_metrics(endpoint, worker, captured):
    trace_header = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1"
    traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
    records = [
        sqs_record(order(1), message_id="m1", trace_header=trace_header, sent_timestamp_ms=1),
        sqs_record(order(2), message_id="m2", message_attributes={"traceparent": string_attribute(traceparent)}),
    ]
    context = LocalLambdaContext(function_name="orders-fn")
    await worker.process(sqs_event(records), context)
    invocation = captured.spans("orders-fn")[0]
    assert invocation.attributes["faas.trigger"] == "pubsub"
    assert invocation.attributes["faas.invocation_id"] == context.aws_request_id
    assert invocation.attributes["faas.coldstart"] is True  # the worker's first invocation
    process = captured.spans("graphworker-queue process")[0]
    assert process.parent.span_id == invocation.context.span_id
    assert process.attributes["messaging.system"] == "aws_sqs"
    assert process.attributes["messaging.batch.message_count"] == 2
    linked = {(link.context.trace_id, link.context.span_id) for link in process.links}
    assert linked == {(0x5759E988BD862E3FE1BE46A994272793, 0x53995C3F42CD8AD8),
                      (0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331)}
    requests = captured.spans("gremlin upsert batch of 5")  # c-1, o-1, o-2 and their two edges
    assert requests and all(s.parent.span_id == process.context.span_id for s in requests[:1])
    ages = captured.values("MessageAge")
    assert len(ages) == 2 and max(ages) > 1_000_000  # m1 was "sent" at the epoch
    assert captured.values("BatchSize") == [2.0]


async def test_only_the_first_invocation_is_a_cold_start(endpoint, worker, captured):
    for i in range(3):
        await worker.process(sqs_event([sqs_record(order(i), message_id=f"m{i}")]), LocalLambdaContext())
    assert [s.attributes["faas.coldstart"] for s in captured.spans("graphworker-local")] == [True, False, False]


# Edge ids are stored data: an edge written by one release must get the same id from the next, or a
# redelivery after an upgrade would add a second edge. These are sha256 of the JSON array
# [label, from, to], first 40 hex digits, computed once outside the code under test.
PLACED_C1_O7 = "e-b49ceefa2342aa07b18de2717011203562ee2f60"
PLACED_O7_C1 = "e-9469d71a41eb31b1cda84b532c2808609179a91e"


async def test_mergev_keys_and_edge_ids_are_deterministic(endpoint, worker):
    assert (edge_id("PLACED", "c-1", "o-7"), edge_id("PLACED", "o-7", "c-1")) == (PLACED_C1_O7, PLACED_O7_C1)
    records = [sqs_record(order(7), message_id="m7")]
    for _ in range(2):  # a redelivery merges onto the same ids
        assert failures(await worker.process(sqs_event(records), LocalLambdaContext())) == set()
    assert [(e.id, e.label, e.out_v.id, e.in_v.id) for e in endpoint.store.edges()] == [
        (PLACED_C1_O7, "PLACED", "c-1", "o-7")]
    assert graph(endpoint) == orders_graph(("c-1", 7, "Ada"))


def test_sync_handler_keeps_one_connection_across_invocations(execution_context, monkeypatch):
    from gwlocal.gremlin_server.thread import EndpointThread

    with EndpointThread() as ep:
        monkeypatch.setenv("NEPTUNE_ENDPOINT", f"ws://127.0.0.1:{ep.port}/gremlin")
        monkeypatch.setenv("OTEL_SDK_DISABLED", "true")
        worker = GraphWorker(service="sync")

        @worker.upserts(model=OrderPlaced)
        def to_graph(msg: OrderPlaced):
            yield Vertex(id=msg.order_id, label="Order")

        for i in range(3):
            response = worker.handler(sqs_event([sqs_record(order(i), message_id=f"m{i}")]), LocalLambdaContext())
            assert response == {"batchItemFailures": []}
        assert ep.control.stats()["connections"]["total"] == 1
        assert ep.control.stats()["vertices"] == 3


async def test_map_record_gives_what_one_record_would_write_without_writing(endpoint, worker):
    """``map_record`` (what a local graph check uses) takes Lambda's raw record or Powertools' SQSRecord."""
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    raw = sqs_record(order(7), message_id="m7")
    expected = [Vertex(id="c-1", label="Customer", props={"name": "Ada"}),
                Vertex(id="o-7", label="Order", props={"total": 17.0}),
                Edge(label="PLACED", from_id="c-1", to_id="o-7")]
    assert await worker.map_record(raw) == expected
    assert await worker.map_record(SQSRecord(raw)) == expected
    assert list(endpoint.store.vertices()) == []  # mapped, not written


async def test_map_record_fails_a_record_without_a_body_with_its_reason(worker):
    from framework.mapping import MessageFailed

    raw = sqs_record(order(7), message_id="m7")
    del raw["body"]
    with pytest.raises(MessageFailed) as failed:
        await worker.map_record(raw)
    assert failed.value.kind == "invalid_record"
    assert failed.value.reason == "body is missing or null, expected a string"
    with pytest.raises(MessageFailed) as not_json:
        await worker.map_record({**raw, "body": "{"})
    assert not_json.value.kind == "invalid_message"


def test_the_sync_handler_passes_the_lambda_context_on(execution_context, monkeypatch, captured):
    """The invocation span is named after the function and carries the request id: from the context."""
    from gwlocal.gremlin_server.thread import EndpointThread

    with EndpointThread() as ep:
        monkeypatch.setenv("NEPTUNE_ENDPOINT", f"ws://127.0.0.1:{ep.port}/gremlin")
        worker = GraphWorker(service="sync", telemetry=captured.telemetry)

        @worker.upserts(model=OrderPlaced)
        def to_graph(msg: OrderPlaced):
            yield Vertex(id=msg.order_id, label="Order")

        context = LocalLambdaContext(function_name="orders-sync")
        assert worker.handler(sqs_event([sqs_record(order(1), message_id="m1")]), context) == {"batchItemFailures": []}
        (invocation,) = captured.spans("orders-sync")
        assert invocation.attributes["faas.invocation_id"] == context.aws_request_id


async def test_the_sync_handler_refuses_to_run_inside_an_event_loop(execution_context, worker):
    from framework.errors import GraphWorkerError

    with pytest.raises(GraphWorkerError) as refused:
        worker.handler(sqs_event([sqs_record(order(1), message_id="m1")]), LocalLambdaContext())
    assert str(refused.value) == ("worker.handler is the synchronous Lambda entry point; from async code await "
                                  "worker.process(event, context) instead")
