"""Neptune behaviours of the local endpoint, each driven through real gremlinpython clients.

Conflicts, roles and failover, back-pressure, timeouts, connection limits, idle closes, dropped
responses, op refusal, paging and atomicity. Waits are on endpoint state (``wait_for``), never
on sleeps.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from typing import Any

import aiohttp
import pytest
from gremlin_python.driver.protocol import GremlinServerError
from gremlin_python.driver.request import RequestMessage
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Graph

from framework.neptune_codes import NEPTUNE_ERROR_CODES
from gwlocal.gremlin_server.control import ControlError

from .conftest import handshake_status, objects, submit

G = traversal().with_graph(Graph())  # builds bytecode only; never connected


def neptune_error(exc: GremlinServerError) -> dict[str, Any]:
    body = json.loads(exc.status_message)
    assert set(body) == {"requestId", "code", "detailedMessage"}
    uuid.UUID(body["requestId"])
    assert exc.status_code == NEPTUNE_ERROR_CODES[body["code"]].http_status
    return body


def wait(ep: Any, predicate: Any) -> None:
    ep.call(lambda e: e.wait_for(predicate))


@pytest.mark.parametrize("code", [
    "ConcurrentModificationException", "ReadOnlyViolationException", "ThrottlingException",
    "TimeLimitExceededException", "MemoryLimitExceededException", "ConstraintViolationException",
    "MalformedQueryException", "InvalidParameterException",
])
def test_injected_errors_have_neptunes_shape(ep, remotes, serializer, code):
    ep.control.settings(inject={"code": code, "count": 1, "writes_only": False})
    g = remotes.g(serializer)
    with pytest.raises(GremlinServerError) as err:
        g.V().count().next()
    body = neptune_error(err.value)
    assert body["code"] == code
    assert g.V().count().next() == 0  # count was 1: the next request is served normally
    assert ep.control.stats()["errors_by_code"] == {code: 1}


def test_error_request_id_is_the_clients(ep, remotes):
    ep.control.settings(inject={"code": "ThrottlingException", "count": 1, "writes_only": False})
    client = remotes.client()
    request_id = str(uuid.uuid4())
    with pytest.raises(GremlinServerError) as err:
        client.submit(G.V().bytecode, request_options={"requestId": request_id}).all().result()
    assert neptune_error(err.value)["requestId"] == request_id


def test_real_write_conflict_while_locks_are_held(ep, remotes):
    ep.control.settings(hold_ms=60_000)
    holder, other = remotes.client(), remotes.client()
    pending = holder.submit_async(G.add_v("person").property(T.id, "x").bytecode)
    wait(ep, lambda e: e.holding == 1)
    with pytest.raises(GremlinServerError) as err:
        submit(other, G.V("x").property("name", "late"))
    assert neptune_error(err.value)["code"] == "ConcurrentModificationException"
    # A write to an unrelated element does not conflict.
    ep.control.settings(hold_ms=0)
    assert submit(other, G.add_v("person").property(T.id, "y").id_()) == ["y"]
    assert ep.control.release_holds()["released"] == 1
    assert [v.id for v in objects(pending.result().all().result())] == ["x"]
    # After commit the other writer proceeds.
    assert submit(other, G.V("x").property("name", "late").values("name")) == ["late"]


def test_conflict_rate_chaos_is_seeded(ep, remotes):
    ep.control.settings(conflict_rate=0.5)
    g = remotes.g()
    outcomes = []
    for i in range(20):
        try:
            g.add_v("n").property(T.id, f"n{i}").iterate()
            outcomes.append("ok")
        except GremlinServerError as exc:
            assert neptune_error(exc)["code"] == "ConcurrentModificationException"
            outcomes.append("cme")
    assert "ok" in outcomes and "cme" in outcomes
    assert g.V().count().next() == outcomes.count("ok")
    # Same seed, same draws.
    ep.call(lambda e: e.reset(graph=True, stats=True, seed=0))
    again = []
    for i in range(20):
        try:
            g.add_v("n").property(T.id, f"n{i}").iterate()
            again.append("ok")
        except GremlinServerError:
            again.append("cme")
    assert again == outcomes


def test_reader_refuses_writes_but_serves_reads(ep, remotes):
    remotes.g().add_v("person").property(T.id, "a").iterate()
    ep.control.settings(role="reader")
    g = remotes.g()
    assert g.V("a").count().next() == 1
    with pytest.raises(GremlinServerError) as err:
        g.add_v("person").property(T.id, "b").iterate()
    assert neptune_error(err.value)["code"] == "ReadOnlyViolationException"
    assert ep.control.call("status")["role"] == "reader"


def test_failover_fails_existing_connections_new_ones_write(ep, remotes):
    old = remotes.g()
    old.add_v("person").property(T.id, "before").iterate()
    assert ep.control.failover()["failed_over_connections"] == 1
    with pytest.raises(GremlinServerError) as err:
        old.add_v("person").property(T.id, "after").iterate()
    assert neptune_error(err.value)["code"] == "ReadOnlyViolationException"
    assert old.V("before").count().next() == 1  # reads still work on the ex-writer
    fresh = remotes.g()  # reconnecting to the cluster endpoint reaches the new writer
    fresh.add_v("person").property(T.id, "after").iterate()
    assert fresh.V("after").count().next() == 1


def test_bounded_queue_throttles(ep, remotes):
    ep.control.settings(workers=1, queue_limit=1, hold_ms=60_000)
    a, b, c = remotes.client(), remotes.client(), remotes.client()
    running = a.submit_async(G.add_v("p").property(T.id, "held").bytecode)
    wait(ep, lambda e: e.holding == 1)
    queued = b.submit_async(G.V().count().bytecode)
    wait(ep, lambda e: e.stats.queue_depth == 1)
    with pytest.raises(GremlinServerError) as err:
        submit(c, G.V().count())
    assert neptune_error(err.value)["code"] == "ThrottlingException"
    stats = ep.control.stats()
    assert stats["neptune_metrics"]["MainRequestQueuePendingRequests"] == 1
    ep.control.release_holds()
    running.result().all().result()
    assert objects(queued.result().all().result()) == [1]


def test_latency_beyond_query_timeout(ep, remotes):
    ep.control.settings(latency_ms=5_000, query_timeout_ms=20)
    with pytest.raises(GremlinServerError) as err:
        remotes.g().V().count().next()
    assert neptune_error(err.value)["code"] == "TimeLimitExceededException"


def test_per_request_evaluation_timeout(ep, remotes, serializer):
    ep.control.settings(latency_ms=5_000)
    g = remotes.g(serializer)
    with pytest.raises(GremlinServerError) as err:
        g.with_("evaluationTimeout", 20).V().count().next()
    assert neptune_error(err.value)["code"] == "TimeLimitExceededException"


def test_max_connections_refused_at_handshake(ep, remotes):
    ep.control.settings(max_connections=1)
    first = remotes.client()
    assert submit(first, G.V().count()) == [0]
    with pytest.raises(Exception, match="429") as err:
        second = remotes.client()
        submit(second, G.V().count())
    assert handshake_status(err.value) == 429
    assert ep.control.stats()["connections"]["refused"] == 1


def test_idle_connections_are_closed(ep, remotes):
    ep.control.settings(idle_timeout_s=0.1)
    client = remotes.client()
    assert submit(client, G.V().count()) == [0]
    wait(ep, lambda e: e.stats.idle_closes == 1 and e.stats.connections_open == 0)
    with pytest.raises(Exception):  # noqa: B017 - gremlinpython surfaces a closed socket variously
        submit(client, G.V().count())


@pytest.mark.parametrize(("mode", "applied"), [("before_execute", 0), ("after_commit", 1)])
def test_dropped_response_hazard(ep, remotes, mode, applied):
    ep.control.settings(drop={"count": 1, "mode": mode})
    client = remotes.client()
    with pytest.raises(Exception) as err:
        submit(client, G.add_v("person").property(T.id, "maybe"))
    assert not isinstance(err.value, AssertionError)
    assert ep.control.stats()["dropped_responses"] == 1
    assert remotes.g().V("maybe").count().next() == applied


def test_server_side_close_and_no_leaked_connections(ep, remotes):
    clients = [remotes.client() for _ in range(3)]
    for c in clients:
        submit(c, G.V().count())
    assert ep.control.stats()["connections"]["open"] == 3
    assert ep.control.close_connections()["closed"] == 3
    wait(ep, lambda e: e.stats.connections_open == 0)
    stats = ep.control.stats()
    assert stats["connections"]["total"] == 3
    assert stats["neptune_metrics"]["GremlinWebSocketOpenConnections"] == 0


def test_client_close_leaves_no_connection(ep, remotes):
    client = remotes.client()
    submit(client, G.V().count())
    client.close()
    wait(ep, lambda e: e.stats.connections_open == 0)


def test_eval_scripts_are_refused_with_a_clear_message(ep, remotes):
    client = remotes.client()
    with pytest.raises(GremlinServerError) as err:
        client.submit("g.V().count()").all().result()
    body = neptune_error(err.value)
    assert body["code"] == "UnsupportedOperationException"
    assert "bytecode" in body["detailedMessage"]


def test_request_is_one_transaction(ep, remotes):
    g = remotes.g()
    g.add_v("person").property(T.id, "x").iterate()
    with pytest.raises(GremlinServerError) as err:
        g.add_v("person").property(T.id, "y").add_v("person").property(T.id, "x").iterate()
    assert neptune_error(err.value)["code"] == "ConstraintViolationException"
    assert g.V("y").count().next() == 0
    assert g.V().count().next() == 1


async def _raw_pages(url: str, bytecode: Any, batch_size: int) -> list[tuple[int, int]]:
    ser = GraphBinarySerializersV1()
    request_id = str(uuid.uuid4())
    message = ser.serialize_message(request_id, RequestMessage(
        "traversal", "bytecode", {"gremlin": bytecode, "aliases": {"g": "g"}, "batchSize": batch_size}))
    pages = []
    async with aiohttp.ClientSession() as session, session.ws_connect(url) as ws:
        await ws.send_bytes(message)
        while True:
            msg = await ws.receive()
            decoded = ser.deserialize_message(msg.data)
            status = decoded["status"]["code"]
            data = decoded["result"]["data"]
            pages.append((status, len(data) if data else 0))
            if status != 206:
                return pages


def test_paging_206_then_200_and_204(ep):
    pages = asyncio.run(_raw_pages(ep.url, G.inject(*range(150)).bytecode, 64))
    assert pages == [(206, 64), (206, 64), (200, 22)]
    assert asyncio.run(_raw_pages(ep.url, G.V().bytecode, 64)) == [(204, 0)]


def test_control_api_refuses_bad_settings(ep):
    with pytest.raises(ControlError, match="conflict_rate"):
        ep.control.settings(conflict_rate=2)
    with pytest.raises(ControlError, match="unknown setting"):
        ep.control.settings(no_such_thing=1)
    with pytest.raises(ControlError, match=r"inject\.code"):
        ep.control.settings(inject={"code": "NoSuchException"})
    assert ep.control.call("get_settings")["conflict_rate"] == 0.0


def test_concurrent_clients_are_all_served(ep, remotes):
    clients = [remotes.client() for _ in range(8)]
    futures = [c.submit_async(G.add_v("n").property(T.id, f"c{i}").bytecode) for i, c in enumerate(clients)]
    for f in futures:
        f.result().all().result()
    assert remotes.g().V().count().next() == 8
