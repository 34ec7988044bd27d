"""A request that failed on a connection the client has since replaced must not close the new one.

Concurrent requests that saw the same socket die each ask the client to discard "their"
connection; by the time a slow one asks, another may already have reconnected. The discard
names the connection it means (``only``), and a stale one leaves the fresh connection alone.
"""

from __future__ import annotations

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

g = traversal().with_graph(Graph())


async def test_discarding_a_replaced_connection_keeps_the_fresh_one(endpoint, make_client, captured):
    client = make_client()
    assert await client.submit(g.V().count()) == [0]
    old = client._connections["writer"]
    await endpoint.close_connections()
    await endpoint.wait_for(lambda e: e.stats.connections_open == 0)
    assert await client.submit(g.V().count()) == [0]  # reconnects
    fresh = client._connections["writer"]
    assert fresh is not old and old.closed

    # What a request that failed on the old socket does when its failure arrives late.
    await client._discard("writer", cause="timeout", only=old)

    assert client._connections["writer"] is fresh and not fresh.closed
    assert client.open_connections() == 1
    assert captured.count("GremlinReconnects", Cause="timeout") == 0
    assert await client.submit(g.V().count()) == [0]
    assert endpoint.stats.connections_total == 2
