"""A result sent in several pages (206 ... 200) is gathered into one answer, in order."""

from __future__ import annotations

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from framework.connection import GremlinConnection
from framework.protocol import GremlinProtocol
from framework.transport import WebSocketTransport

g = traversal().with_graph(Graph())


async def test_pages_are_gathered_in_order(endpoint):
    url = f"ws://127.0.0.1:{endpoint.port}/gremlin"
    transport = await WebSocketTransport.connect(url, headers={}, timeout_s=5.0)
    conn = await GremlinConnection.open(transport, GremlinProtocol("graphbinary-v1"), role="writer", url=url)
    try:
        sent = await conn.submit(g.inject(1, 2, 3, 4, 5).bytecode, timeout_s=5.0, batch_size=2)
    finally:
        await conn.close()
    assert sent.results == [1, 2, 3, 4, 5]
