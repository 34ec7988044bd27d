"""What the client records when a request fails for good, retries, trips the breaker, or shares a
failed connect: exact span attributes, span status, events, metrics and the errors callers get.

Real client, real local endpoint over a real socket, real OpenTelemetry and EMF (see conftest).
"""

from __future__ import annotations

import asyncio
import time

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Merge, T
from gremlin_python.structure.graph import Graph
from opentelemetry.trace import StatusCode

from framework.errors import (
    ConflictError,
    ConnectionLost,
    DeadlineExceeded,
    PermanentError,
    RetryBudgetExhausted,
)
from gwlocal.gremlin_server.server import GremlinEndpoint

g = traversal().with_graph(Graph())


def upsert(vid: str):
    return (g.merge_v({T.id: vid}).option(Merge.on_create, {T.label: "Customer", "name": "Ada"})
            .option(Merge.on_match, {"name": "Ada"}).id_())


def exception_event(span):
    [event] = [e for e in span.events if e.name == "exception"]
    return event.attributes


async def test_final_failure_of_a_permanent_error_on_the_span(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "MalformedQueryException", "count": 1}})
    client = make_client()
    with pytest.raises(PermanentError) as err:
        await client.submit(upsert("x"), expect=1, operation="upsert")
    [span] = captured.spans("gremlin upsert")
    assert span.attributes["graphworker.attempts"] == 1
    assert span.attributes["error.type"] == "MalformedQueryException"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == str(err.value)[:200]
    event = exception_event(span)
    assert event["exception.type"] == "framework.errors.PermanentError"
    assert event["exception.message"] == str(err.value)
    assert captured.count("GremlinRequestFailures", ErrorClass="permanent") == 1


async def test_final_failure_after_the_budget_names_the_last_error(endpoint, make_client, captured):
    """A stopped retry reports the error that stopped it (code, class), with its message cut at 200."""
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 10}})
    client = make_client(retry_budget=1, max_attempts=10)
    with pytest.raises(RetryBudgetExhausted) as err:
        await client.submit(upsert("x"), expect=1, operation="upsert")
    assert isinstance(err.value.last_error, ConflictError)
    message = str(err.value)
    assert len(message) > 201  # so the cut at 200 is visible
    [span] = captured.spans("gremlin upsert")
    assert span.attributes["graphworker.attempts"] == 2
    assert span.attributes["error.type"] == "ConcurrentModificationException"
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == message[:200]
    assert exception_event(span)["exception.type"] == "framework.errors.RetryBudgetExhausted"
    assert captured.count("GremlinRequestFailures", ErrorClass="conflict") == 1
    assert captured.count("GremlinRequestFailures", ErrorClass="unknown") == 0
    assert captured.count("RetryBudgetExhausted") == 1


async def test_final_failure_without_a_code_is_named_by_its_type(make_client, captured, unused_tcp_port):
    dead = GremlinEndpoint()
    dead.host, dead.port = "127.0.0.1", unused_tcp_port
    client = make_client(dead, max_attempts=1)
    with pytest.raises(ConnectionLost) as err:
        await client.submit(g.V().count(), operation="count")
    [span] = captured.spans("gremlin count")
    assert span.attributes["error.type"] == "ConnectionLost"
    assert span.attributes["graphworker.attempts"] == 1
    assert span.status.description == str(err.value)[:200]
    assert captured.count("GremlinRequestFailures", ErrorClass="connection") == 1


async def test_deadline_too_close_to_try_is_a_failure_of_unknown_class(endpoint, make_client, captured):
    """No attempt was made, so there is no last error: its class is "unknown", its type the deadline's."""
    client = make_client()
    with pytest.raises(DeadlineExceeded) as err:
        await client.submit(g.V().count(), operation="count", deadline=time.monotonic() + 0.02)
    assert err.value.last_error is None
    assert endpoint.stats.requests_total == 0
    [span] = captured.spans("gremlin count")
    assert span.attributes["graphworker.attempts"] == 0
    assert span.attributes["error.type"] == "DeadlineExceeded"
    assert captured.count("GremlinRequestFailures", ErrorClass="unknown") == 1
    assert captured.count("RetryDeadlineStops") == 1


async def test_retry_event_of_an_error_without_a_code_names_its_type(endpoint, make_client, captured):
    endpoint.apply_settings({"drop": {"count": 1, "mode": "before_execute"}})
    client = make_client()
    assert await client.submit(upsert("x"), expect=1, operation="upsert") == ["x"]
    [span] = captured.spans("gremlin upsert")
    [retry] = [e for e in span.events if e.name == "retry"]
    assert retry.attributes["error.type"] == "ConnectionLost"
    assert retry.attributes["graphworker.attempt"] == 1


async def test_breaker_reason_names_the_last_error_of_a_stopped_retry(endpoint, make_client, captured):
    """The breaker's reason is the error that stopped retrying (its text cut at 160), and the span
    event announcing the open breaker carries that reason cut at 200."""
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 10}})
    client = make_client(retry_budget=0, breaker_failures=1)
    with captured.telemetry.tracer.start_as_current_span("caller"), pytest.raises(RetryBudgetExhausted) as err:
        await client.submit(upsert("x"), expect=1)
    last = err.value.last_error
    assert isinstance(last, ConflictError) and len(str(last)) > 161
    reason = f"1 requests in a row failed: ConflictError: {str(last)[:160]}"
    assert client.breaker.reason == reason
    assert len(reason) > 201
    [caller] = captured.spans("caller")
    [event] = [e for e in caller.events if e.name == "circuit_breaker"]
    assert event.attributes["graphworker.breaker.state"] == "open"
    assert event.attributes["graphworker.breaker.reason"] == reason[:200]


async def test_a_failed_connect_is_shared_with_the_requests_that_waited_for_it(make_client, captured,
                                                                             unused_tcp_port):
    """Requests waiting for another request's connect get that failure (a fresh copy each, with
    the same message and cause) instead of asking the database again."""
    dead = GremlinEndpoint()
    dead.host, dead.port = "127.0.0.1", unused_tcp_port
    client = make_client(dead, max_attempts=1, breaker_failures=100)
    errors = await asyncio.gather(*(client.submit(g.V().count()) for _ in range(3)), return_exceptions=True)
    assert all(isinstance(e, ConnectionLost) for e in errors)
    assert captured.count("GremlinConnectFailures", Cause="refused") == 1  # one connect for all three
    assert {str(e) for e in errors} == {str(errors[0])}
    assert str(errors[0]).startswith(f"cannot connect to ws://127.0.0.1:{unused_tcp_port}/gremlin: ")
    assert [e.cause for e in errors] == ["refused"] * 3
    assert len({id(e) for e in errors}) == 3


async def test_a_shared_handshake_refusal_keeps_its_status_and_code(endpoint, make_client):
    endpoint.apply_settings({"max_connections": 1})
    first = make_client()
    await first.submit(g.V().count())
    second = make_client(max_attempts=1, breaker_failures=100)
    errors = await asyncio.gather(*(second.submit(g.V().count()) for _ in range(2)), return_exceptions=True)
    assert all(isinstance(e, ConnectionLost) for e in errors)
    assert errors[0] is not errors[1]
    assert str(errors[1]) == str(errors[0])
    assert [(e.cause, e.status, e.code, e.detailed_message) for e in errors] == [
        (errors[0].cause, 429, errors[0].code, errors[0].detailed_message)] * 2
    assert errors[0].cause == "handshake" and errors[0].detailed_message


async def test_requests_failing_on_one_socket_reconnect_once(endpoint, make_client, captured):
    """Several requests in flight when the socket dies each retry; only the first discards the
    dead connection, and none of them closes the fresh one another already opened."""
    endpoint.apply_settings({"latency_ms": 300.0})
    client = make_client()
    tasks = [asyncio.create_task(client.submit(g.V().count(), expect=1)) for _ in range(3)]
    try:
        await endpoint.wait_for(lambda e: e.stats.in_flight == 3)
        endpoint.apply_settings({"latency_ms": 0.0})
        await endpoint.close_connections()
        results = await asyncio.gather(*tasks)
    finally:
        endpoint.apply_settings({"latency_ms": 0.0})
    assert results == [[0], [0], [0]]
    assert endpoint.stats.connections_total == 2
    assert captured.count("GremlinReconnects", Cause="closed") == 1
    assert captured.count("GremlinRetries", ErrorClass="connection") == 3
    assert client.open_connections() == 1
