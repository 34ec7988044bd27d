"""What a closed connection tells its callers, and that closing leaves nothing behind.

Real transport and connection over a real socket to the local endpoint. A connection whose
socket is already gone fails requests at once with a ConnectionLost that says why (the
transport's close reason, or plainly "connection closed"), the cause, and the endpoint URL.
"""

from __future__ import annotations

import asyncio
import gc

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Merge, T
from gremlin_python.structure.graph import Graph

from framework import websocket
from framework.connection import GremlinConnection
from framework.errors import ConnectionLost
from framework.protocol import GremlinProtocol
from framework.transport import CloseInfo, WebSocketTransport

g = traversal().with_graph(Graph())
PROTOCOL = GremlinProtocol("graphbinary-v1")


def readers_running() -> list[asyncio.Task]:
    return [t for t in asyncio.all_tasks() if t.get_coro().__qualname__ == "GremlinConnection._read_loop"]


async def test_transport_close_says_the_client_closed_it(endpoint):
    ws = await websocket.connect(f"ws://127.0.0.1:{endpoint.port}/gremlin")
    transport = WebSocketTransport(ws)
    assert not transport.closed and transport.close_info is None
    await transport.close()
    assert transport.close_info == CloseInfo("client", "closed by graphworker")
    assert transport.closed and ws.closed
    await transport.close()  # idempotent: the first reason stays
    assert transport.close_info == CloseInfo("client", "closed by graphworker")


async def test_request_on_a_transport_the_client_closed(endpoint):
    url = f"ws://127.0.0.1:{endpoint.port}/gremlin"
    transport = await WebSocketTransport.connect(url, headers={}, timeout_s=5.0)
    await transport.close()
    conn = await GremlinConnection.open(transport, PROTOCOL, role="writer", url=url)
    try:
        assert conn.closed and conn.close_cause == "client"
        with pytest.raises(ConnectionLost) as lost:
            await conn.submit(g.V().count().bytecode, timeout_s=5.0)
    finally:
        await conn.close()
    assert (str(lost.value), lost.value.cause, lost.value.request_id) == (
        f"closed by graphworker ({url})", "client", None)
    assert endpoint.stats.requests_total == 0


async def test_request_on_a_socket_that_ended_without_a_reason(endpoint):
    url = f"ws://127.0.0.1:{endpoint.port}/gremlin"
    ws = await websocket.connect(url)
    await ws.close()
    transport = WebSocketTransport(ws)  # a socket gone before the transport learnt why
    assert transport.closed and transport.close_info is None
    conn = await GremlinConnection.open(transport, PROTOCOL, role="writer", url=url)
    try:
        assert conn.close_cause == "closed"
        with pytest.raises(ConnectionLost) as lost:
            await conn.submit(g.V().count().bytecode, timeout_s=5.0)
    finally:
        await conn.close()
    assert (str(lost.value), lost.value.cause, lost.value.request_id) == (
        f"connection closed ({url})", "closed", None)


async def _submit_that_times_out(endpoint) -> tuple[GremlinConnection, ConnectionLost]:
    """A write the endpoint holds for a minute, sent with a 0.2 s timeout."""
    endpoint.apply_settings({"hold_ms": 60_000})
    url = f"ws://127.0.0.1:{endpoint.port}/gremlin"
    transport = await WebSocketTransport.connect(url, headers={}, timeout_s=5.0)
    conn = await GremlinConnection.open(transport, PROTOCOL, role="writer", url=url)
    write = g.merge_v({T.id: "x"}).option(Merge.on_create, {T.label: "A"}).id_()
    try:
        with pytest.raises(ConnectionLost) as lost:
            await conn.submit(write.bytecode, timeout_s=0.2)
    finally:
        endpoint.apply_settings({"hold_ms": 0})
        endpoint.release_holds()
        await conn.close()
    return conn, lost.value


async def test_a_timed_out_request_names_itself(endpoint):
    conn, lost = await _submit_that_times_out(endpoint)
    request_id = lost.request_id
    assert request_id is not None and len(request_id) == 36
    assert str(lost) == f"no response to request {request_id} within 0.2 s; closing the connection"
    assert lost.cause == "timeout"
    assert conn.closed


async def test_a_timed_out_request_leaves_no_unretrieved_future_behind(endpoint, caplog):
    """The caller gets its own ConnectionLost; the request's future must not also hold one that
    nobody reads (asyncio logs "Future exception was never retrieved" when it is collected)."""
    with caplog.at_level("ERROR", logger="asyncio"):
        await _submit_that_times_out(endpoint)
        gc.collect()
        await asyncio.sleep(0)  # let the loop run the exception handler, if one was called
    assert not [r for r in caplog.records if "never retrieved" in r.getMessage()]


async def test_closing_a_connection_stops_its_reader(endpoint):
    url = f"ws://127.0.0.1:{endpoint.port}/gremlin"
    transport = await WebSocketTransport.connect(url, headers={}, timeout_s=5.0)
    conn = await GremlinConnection.open(transport, PROTOCOL, role="writer", url=url)
    assert (await conn.submit(g.V().count().bytecode, timeout_s=5.0)).results == [0]
    assert len(readers_running()) == 1
    await conn.close()
    assert readers_running() == []
    assert conn.closed and conn.close_cause == "client"
