"""The graph client against the local endpoint's faults, over real sockets.

Each test turns on one Neptune behaviour at the endpoint, drives the client, and checks three
things: the caller's result, what the endpoint saw (its stats), and the telemetry (spans and
EMF metrics) the client recorded.
"""

from __future__ import annotations

import asyncio
import random
import time

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.traversal import Merge, T
from gremlin_python.structure.graph import Graph

from framework.client import GraphClient
from framework.config import Endpoint, GraphConfig
from framework.errors import (
    AuthError,
    ConflictError,
    ConnectionLost,
    DeadlineExceeded,
    EmptyResponse,
    PermanentError,
    RetryBudgetExhausted,
    ThrottledError,
)
from framework.signing import FrozenCredentials
from gwlocal.gremlin_server.server import GremlinEndpoint

g = traversal().with_graph(Graph())


def upsert(vid: str, name: str = "Ada"):
    return (g.merge_v({T.id: vid}).option(Merge.on_create, {T.label: "Customer", "name": name})
            .option(Merge.on_match, {"name": name}).id_())


async def test_one_connection_is_reused_across_requests(endpoint, make_client, captured):
    client = make_client()
    for i in range(5):
        assert await client.submit(upsert(f"c{i}"), expect=1) == [f"c{i}"]
    assert endpoint.stats.connections_total == 1
    assert captured.count("GremlinConnects", Role="writer") == 1
    assert len(captured.values("GremlinRequestLatency", Outcome="ok")) == 5


async def test_concurrent_requests_share_the_one_connection(endpoint, make_client):
    endpoint.apply_settings({"latency_ms": 20.0})  # so the requests overlap at the server
    client = make_client()
    results = await asyncio.gather(*(client.submit(upsert(f"c{i}"), expect=1) for i in range(20)))
    assert sorted(r[0] for r in results) == sorted(f"c{i}" for i in range(20))
    assert endpoint.stats.connections_total == 1
    assert endpoint.stats.in_flight_max > 1


async def test_reconnects_after_server_side_close(endpoint, make_client, captured):
    client = make_client()
    await client.submit(upsert("a"), expect=1)
    await endpoint.close_connections()
    await endpoint.wait_for(lambda e: e.stats.connections_open == 0)
    assert await client.submit(upsert("b"), expect=1) == ["b"]
    assert endpoint.stats.connections_total == 2
    assert captured.count("GremlinReconnects", Cause="closed") == 1


async def test_reconnects_after_idle_timeout(endpoint, make_client, captured):
    endpoint.apply_settings({"idle_timeout_s": 0.05})
    client = make_client()
    await client.submit(upsert("a"), expect=1)
    await endpoint.wait_for(lambda e: e.stats.idle_closes == 1)
    endpoint.apply_settings({"idle_timeout_s": 1200.0})
    assert await client.submit(upsert("b"), expect=1) == ["b"]
    assert captured.count("GremlinReconnects", Cause="idle") == 1
    assert endpoint.stats.connections_total == 2


async def test_proactive_reconnect_when_idle_past_threshold(endpoint, make_client, captured):
    client = make_client(idle_reconnect_s=60)
    await client.submit(upsert("a"), expect=1)
    # Pretend the connection has been idle for longer than the threshold (no sleeping).
    client._connections["writer"].last_used -= 120
    await client.submit(upsert("b"), expect=1)
    assert endpoint.stats.connections_total == 2
    assert endpoint.stats.idle_closes == 0
    assert captured.count("GremlinReconnects", Cause="idle") == 1


@pytest.mark.parametrize(("mode", "cause"), [("before_execute", "reset"), ("after_commit", "reset")])
async def test_dropped_response_is_a_failure_then_retried(endpoint, make_client, captured, mode, cause):
    endpoint.apply_settings({"drop": {"count": 1, "mode": mode}})
    client = make_client()
    assert await client.submit(upsert("x"), expect=1) == ["x"]
    assert endpoint.stats.dropped_responses == 1
    assert endpoint.store.vertex_count() == 1  # the idempotent upsert applied once either way
    assert captured.count("GremlinRetries", ErrorClass="connection") == 1
    assert captured.count("GremlinReconnects", Cause=cause) == 1


async def test_concurrent_modification_retried_then_succeeds(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 2}})
    client = make_client()
    assert await client.submit(upsert("x"), expect=1) == ["x"]
    assert captured.count("ConcurrentModificationConflicts") == 2
    assert captured.count("GremlinRetries", ErrorClass="conflict") == 2
    attempts = captured.spans("gremlin.attempt")
    assert len(attempts) == 3
    parent = captured.spans("gremlin mergeV option id")[0]
    assert parent.attributes["graphworker.attempts"] == 3
    assert parent.attributes["db.system.name"] == "aws.neptune"
    assert [e.name for e in parent.events] == ["retry", "retry"]
    assert all(a.parent.span_id == parent.context.span_id for a in attempts)


async def test_real_lock_conflict_between_two_clients_is_retried(endpoint, make_client, captured):
    endpoint.apply_settings({"hold_ms": 60_000})
    first, second = make_client(), make_client()
    holding = asyncio.create_task(first.submit(upsert("hot", "first"), expect=1))
    await endpoint.wait_for(lambda e: e.holding == 1)
    endpoint.apply_settings({"hold_ms": 0})
    contender = asyncio.create_task(second.submit(upsert("hot", "second"), expect=1))
    await endpoint.wait_for(lambda e: e.stats.errors_by_code["ConcurrentModificationException"] >= 1)
    endpoint.release_holds()
    assert await holding == ["hot"]
    assert await contender == ["hot"]
    assert captured.count("ConcurrentModificationConflicts") >= 1


async def test_failover_reconnects_to_the_writer(endpoint, make_client, captured):
    client = make_client()
    await client.submit(upsert("before"), expect=1)
    await endpoint.failover()
    assert await client.submit(upsert("after"), expect=1) == ["after"]
    assert captured.count("ReadOnlyViolations") == 1
    assert captured.count("GremlinReconnects", Cause="read_only") == 1
    assert endpoint.stats.connections_total == 2
    assert endpoint.stats.errors_by_code == {"ReadOnlyViolationException": 1}


async def test_throttling_is_backed_off_and_retried(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "ThrottlingException", "count": 2}})
    client = make_client()
    assert await client.submit(upsert("x"), expect=1) == ["x"]
    assert captured.count("GremlinThrottles", Code="ThrottlingException") == 2
    assert captured.count("GremlinRetries", ErrorClass="throttled") == 2


async def test_throttling_from_a_full_queue(endpoint, make_client):
    endpoint.apply_settings({"workers": 1, "queue_limit": 1, "hold_ms": 60_000})
    holder, queued, client = make_client(), make_client(), make_client(max_attempts=1)
    running = asyncio.create_task(holder.submit(upsert("a"), expect=1))
    await endpoint.wait_for(lambda e: e.holding == 1)
    waiting = asyncio.create_task(queued.submit(g.V().count(), expect=1))
    await endpoint.wait_for(lambda e: e.stats.queue_depth == 1)
    with pytest.raises(ThrottledError) as err:
        await client.submit(g.V().count(), expect=1)
    assert err.value.code == "ThrottlingException"
    endpoint.release_holds()
    await running
    await waiting


async def test_permanent_error_is_not_retried(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "MalformedQueryException", "count": 1}})
    client = make_client()
    with pytest.raises(PermanentError) as err:
        await client.submit(upsert("x"), expect=1)
    assert err.value.code == "MalformedQueryException"
    assert err.value.request_id is not None
    assert endpoint.stats.requests_total == 1
    assert captured.count("GremlinRetries") == 0
    assert captured.count("GremlinRequestFailures", ErrorClass="permanent") == 1


async def test_attempts_are_bounded(endpoint, make_client):
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 100}})
    client = make_client(max_attempts=3)
    with pytest.raises(ConflictError):
        await client.submit(upsert("x"), expect=1)
    assert endpoint.stats.requests_total == 3


async def test_retry_budget_stops_a_retry_storm(endpoint, make_client, captured):
    endpoint.apply_settings({"inject": {"code": "ConcurrentModificationException", "count": 100}})
    client = make_client(retry_budget=2, max_attempts=10)
    with pytest.raises(RetryBudgetExhausted) as err:
        await client.submit(upsert("x"), expect=1)
    assert isinstance(err.value.last_error, ConflictError)
    assert endpoint.stats.requests_total == 3  # the first try plus two budgeted retries
    # The budget is shared: the next failing request is not retried at all.
    with pytest.raises(RetryBudgetExhausted):
        await client.submit(upsert("y"), expect=1)
    assert endpoint.stats.requests_total == 4
    assert captured.count("RetryBudgetExhausted") == 2


async def test_deadline_stops_retrying(endpoint, make_client, captured):
    """No attempt starts past the deadline.

    Every attempt conflicts after at least 100 ms at the endpoint (its latency is a floor), so at
    most 10 attempts can start in the 1 s before the deadline; a client ignoring the deadline makes
    all 100. That a conflict is seen and retried at all needs one connect and one 100 ms request
    within 1 s: a bound generous enough for a busy machine.
    """
    endpoint.apply_settings({"latency_ms": 100.0,
                             "inject": {"code": "ConcurrentModificationException", "count": 100}})
    client = make_client(max_attempts=100, backoff_base_s=0.02, backoff_max_s=0.05)
    with pytest.raises(DeadlineExceeded) as err:
        await client.submit(upsert("x"), expect=1, deadline=time.monotonic() + 1.0)
    assert 2 <= endpoint.stats.requests_total <= 10
    assert captured.count("ConcurrentModificationConflicts") >= 1
    # The last error: a conflict, or the attempt still waiting at the deadline, cut there.
    assert isinstance(err.value.last_error, ConflictError | ConnectionLost)
    assert captured.count("RetryDeadlineStops") == 1


async def test_attempt_in_flight_at_the_deadline_is_abandoned(endpoint, make_client):
    """The client returns at the deadline, not when the database answers: here it never does (the
    endpoint holds the write's locks until released), and the client returned while it still holds them."""
    endpoint.apply_settings({"hold_ms": 600_000.0})
    client = make_client()
    with pytest.raises(DeadlineExceeded):
        await client.submit(upsert("x"), expect=1, deadline=time.monotonic() + 0.3)
    assert endpoint.holding == 1  # no answer was ever sent
    assert endpoint.release_holds() == 1


async def test_deadline_already_past_sends_nothing(endpoint, make_client):
    client = make_client()
    with pytest.raises(DeadlineExceeded):
        await client.submit(upsert("x"), deadline=time.monotonic() - 1)
    assert endpoint.stats.requests_total == 0


async def test_empty_result_where_one_was_expected_is_a_failure(endpoint, make_client, captured):
    client = make_client(max_attempts=2)
    with pytest.raises(EmptyResponse):
        await client.submit(g.V("missing").id_(), expect=1)
    assert captured.count("GremlinReconnects", Cause="empty_response") == 2
    # Without an expectation, an empty answer to a read is just an empty answer.
    assert await client.submit(g.V("missing").id_()) == []


async def test_request_timeout_closes_the_connection_and_retries(endpoint, make_client, captured):
    endpoint.apply_settings({"latency_ms": 2_000.0})
    client = make_client(request_timeout_s=0.1, max_attempts=2)
    task = asyncio.create_task(client.submit(upsert("slow"), expect=1))
    await endpoint.wait_for(lambda e: e.stats.in_flight == 1)
    await endpoint.wait_for(lambda e: e.stats.connections_total == 2)
    endpoint.apply_settings({"latency_ms": 0.0})
    assert await task == ["slow"]
    assert captured.count("GremlinReconnects", Cause="timeout") == 1


async def test_connection_refused_is_retried_with_backoff(make_client, captured, unused_tcp_port):
    dead = GremlinEndpoint()
    dead.port = unused_tcp_port
    dead.host = "127.0.0.1"
    client = make_client(dead, max_attempts=3)
    with pytest.raises(ConnectionLost) as err:
        await client.submit(g.V().count())
    assert err.value.cause == "refused"
    assert captured.count("GremlinConnectFailures", Cause="refused") == 3
    assert captured.count("GremlinRetries", ErrorClass="connection") == 2


async def test_max_connections_refusal_is_a_connection_failure(endpoint, make_client):
    endpoint.apply_settings({"max_connections": 1})
    first, second = make_client(), make_client(max_attempts=1)
    await first.submit(g.V().count())
    with pytest.raises(ConnectionLost) as err:
        await second.submit(g.V().count())
    assert err.value.cause == "handshake" and err.value.status == 429


async def test_reads_go_to_the_reader_writes_to_the_writer(endpoint, make_client):
    reader = GremlinEndpoint(seed=1)
    reader.apply_settings({"role": "reader"})
    await reader.start("127.0.0.1", 0)
    try:
        client = make_client(reader_endpoints=(f"127.0.0.1:{reader.port}",))
        assert client.reader_endpoint is not None and client.reader_endpoint.port == reader.port
        await client.submit(upsert("w"), expect=1)
        assert await client.submit(g.V().count(), read=True) == [0]
        assert endpoint.stats.requests_total == 1 and reader.stats.requests_total == 1
        assert client.open_connections() == 2
    finally:
        await client.close()
        await reader.stop()


async def test_close_is_idempotent_and_leaks_nothing(endpoint, make_client):
    client = make_client()
    await asyncio.gather(*(client.submit(upsert(f"c{i}"), expect=1) for i in range(5)))
    await client.close()
    await client.close()
    await endpoint.wait_for(lambda e: e.stats.connections_open == 0)
    assert endpoint.stats.connections_total == 1


def test_reader_choice_is_random_per_execution_context():
    config = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "writer", "NEPTUNE_READER_ENDPOINTS": "r1,r2,r3"})
    chosen = {GraphClient(config, rng=random.Random(seed)).reader_endpoint for seed in range(30)}
    assert chosen == {Endpoint("r1", 8182), Endpoint("r2", 8182), Endpoint("r3", 8182)}


async def test_auth_error_when_refresh_does_not_help(endpoint, make_client):
    class Wrong:
        """Credentials the endpoint does not know (an AWS-credentials boundary stand-in)."""

        calls = 0

        async def get(self, *, refresh: bool = False) -> FrozenCredentials:
            Wrong.calls += 1
            return FrozenCredentials("AKIDNOBODY", "wrong")

    endpoint.apply_settings({"iam": {"enabled": True}})
    client = make_client(use_iam=True, region="us-east-1", credentials=Wrong())
    with pytest.raises(AuthError):
        await client.submit(g.V().count())
    assert Wrong.calls == 2  # the first signing and exactly one refresh
    assert endpoint.stats.handshake_auth_failures == 2


@pytest.mark.parametrize("closer", ["client", "server"])
async def test_a_request_in_flight_when_its_connection_closes_says_who_closed_it(endpoint, make_client, closer):
    endpoint.apply_settings({"hold_ms": 60_000})
    client = make_client(max_attempts=1)
    in_flight = asyncio.create_task(client.submit(upsert("x"), expect=1))
    try:
        await endpoint.wait_for(lambda e: e.holding == 1)
        await (client.close() if closer == "client" else endpoint.close_connections())
        with pytest.raises(ConnectionLost) as lost:
            await in_flight
    finally:
        endpoint.apply_settings({"hold_ms": 0})
        endpoint.release_holds()
    if closer == "client":
        assert (str(lost.value), lost.value.cause) == ("connection closed by graphworker", "client")
        return
    url = f"ws://127.0.0.1:{endpoint.port}/gremlin"
    assert str(lost.value) == ("closed by server (code 1001: closed by the endpoint's control API); requests in "
                               f"flight may or may not have been applied ({url})")
    assert lost.value.cause == "closed"
