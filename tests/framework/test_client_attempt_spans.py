"""The per-attempt span and metrics: exact attributes on success, on an error answer and on an
empty answer; no exception events (the request's span records the final failure once)."""

from __future__ import annotations

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Merge, T
from gremlin_python.structure.graph import Graph
from opentelemetry.trace import StatusCode

from framework.errors import EmptyResponse, PermanentError

g = traversal().with_graph(Graph())


def upsert(vid: str):
    return (g.merge_v({T.id: vid}).option(Merge.on_create, {T.label: "Customer", "name": "Ada"})
            .option(Merge.on_match, {"name": "Ada"}).id_())


async def test_successful_attempt_span_and_metrics(endpoint, make_client, captured):
    client = make_client()
    t = upsert("x")
    assert await client.submit(t, expect=1) == ["x"]
    [span] = captured.spans("gremlin.attempt")
    assert span.attributes["graphworker.attempt"] == 1
    assert span.attributes["server.address"] == f"ws://127.0.0.1:{endpoint.port}/gremlin"
    assert span.attributes["db.request.size"] == client.request_size(t.bytecode)
    assert span.attributes["db.response.returned_rows"] == 1
    assert span.status.status_code is StatusCode.UNSET and span.events == ()
    assert captured.values("GremlinRequestSize") == [client.request_size(t.bytecode)]
    [latency] = captured.values("GremlinRequestLatency", Outcome="ok")
    assert 0.001 < latency < 10_000  # milliseconds


async def test_error_answer_on_the_attempt_span(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "MalformedQueryException", "count": 1}})
    client = make_client()
    with pytest.raises(PermanentError) as err:
        await client.submit(upsert("x"), expect=1)
    [span] = captured.spans("gremlin.attempt")
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(err.value)[:200]
    assert span.attributes["error.type"] == "MalformedQueryException"
    assert [e.name for e in span.events] == []  # no exception event per attempt
    [latency] = captured.values("GremlinRequestLatency", Outcome="error")
    assert 0.001 < latency < 10_000
    assert captured.values("GremlinRequestLatency", Outcome="ok") == []


async def test_empty_answer_is_an_error_naming_the_request(endpoint, make_client, captured):
    client = make_client(max_attempts=1)
    with pytest.raises(EmptyResponse) as err:
        await client.submit(g.V("missing").id_(), expect=1)
    rid = err.value.request_id
    assert rid is not None and len(rid) == 36
    message = (f"expected at least 1 result(s) but got 0 for request {rid}: treating it as a failure "
               "(the socket may have closed mid-request)")
    assert str(err.value) == message
    [span] = captured.spans("gremlin.attempt")
    assert span.status.status_code is StatusCode.ERROR and span.status.description == message[:200]
    assert span.attributes["db.response.returned_rows"] == 0
    assert captured.count("GremlinReconnects", Cause="empty_response") == 1
    assert client.open_connections() == 0
