"""The connect path under faults: the Lambda deadline holds, and refusals fail the batch once.

- A black hole (accepts TCP, never answers the WebSocket handshake) and a connect lock held by
  another request: the invocation still returns before its timeout.
- A handshake refused with HTTP 403 (IAM with the wrong region): one credential refresh, no
  bisection, every message failed once with the server's own reason.
- The endpoint's connection limit (HTTP 429 at the handshake): bounded retries, then the rest
  of the batch fails fast; the deadline holds.

Credentials here are a fixed source (a test double at the AWS credentials boundary: there is
no AWS account); the signing, the handshake and the server's SigV4 check are all real.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from framework.errors import AuthError, DeadlineExceeded
from framework.signing import FrozenCredentials
from framework.upserts import Edge, Vertex
from framework.worker import GraphWorker
from framework.worker_config import WorkerConfig
from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

g = traversal().with_graph(Graph())
KEY, SECRET = "AKIDFAULTS", "faults-secret"


class CountingCredentials:
    """A fixed credential source that counts forced refreshes (AWS credentials boundary)."""

    def __init__(self) -> None:
        self.refreshes = 0

    async def get(self, *, refresh: bool = False) -> FrozenCredentials:
        self.refreshes += int(refresh)
        return FrozenCredentials(KEY, SECRET)


@pytest.fixture
async def black_hole() -> AsyncIterator[int]:
    """A TCP server that accepts connections and never sends a byte."""
    held: list[asyncio.StreamWriter] = []

    async def swallow(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)
        await reader.read()  # until the client gives up and closes

    server = await asyncio.start_server(swallow, "127.0.0.1", 0)
    yield server.sockets[0].getsockname()[1]
    for writer in held:
        writer.close()
    server.close()
    await server.wait_closed()


def messages(n: int) -> list[dict[str, Any]]:
    return [sqs_record(json.dumps({"a": f"a{i}", "b": f"b{i}"}), message_id=f"m{i}") for i in range(n)]


def make_worker(client_factory, captured, **client_config: Any) -> GraphWorker:
    worker = GraphWorker(service="faults", config=WorkerConfig(deadline_margin_s=1.0, max_upserts_per_request=10),
                         telemetry=captured.telemetry, client=client_factory(**client_config))

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["a"], label="A")
        yield Vertex(id=msg["b"], label="B")
        yield Edge(label="TO", from_id=msg["a"], to_id=msg["b"])

    return worker


@pytest.mark.parametrize("timeout_s", [3.0, 6.0])
async def test_black_hole_endpoint_cannot_hold_the_invocation_past_its_timeout(black_hole, captured, make_client,
                                                                                timeout_s):
    client = make_client(endpoint=f"127.0.0.1:{black_hole}", connect_timeout_s=5.0, max_attempts=6)
    worker = GraphWorker(service="faults", config=WorkerConfig(deadline_margin_s=1.0), telemetry=captured.telemetry,
                         client=lambda: client)

    @worker.upserts()
    def to_graph(msg: dict[str, Any]):
        yield Vertex(id=msg["a"], label="A")

    started = time.monotonic()
    response = await worker.process(sqs_event(messages(10)), LocalLambdaContext(timeout_s=timeout_s))
    elapsed = time.monotonic() - started
    # The deadline guard is at timeout - margin; nothing may run past it (a little scheduling slack).
    assert elapsed < timeout_s - 1.0 + 0.5, elapsed
    assert len(response["batchItemFailures"]) == 10
    assert captured.count("MessagesFailed", Reason="deadline") == 10
    assert (captured.count("GremlinConnectFailures", Cause="connect_timeout")
            + captured.count("GremlinConnectFailures", Cause="deadline")) >= 1


async def test_waiting_for_another_requests_connect_is_bounded_by_the_deadline(black_hole, make_client):
    client = make_client(endpoint=f"127.0.0.1:{black_hole}", connect_timeout_s=30.0)
    slow = asyncio.ensure_future(client.submit(g.V().count(), deadline=time.monotonic() + 30))
    await asyncio.sleep(0)  # let it take the connect lock
    started = time.monotonic()
    with pytest.raises(DeadlineExceeded):
        await client.submit(g.V().count(), deadline=time.monotonic() + 0.5)
    assert time.monotonic() - started < 1.5
    slow.cancel()
    with pytest.raises(asyncio.CancelledError):
        await slow


async def test_refused_handshake_fails_the_batch_once_with_the_servers_reason(endpoint, client_factory, captured):
    endpoint.apply_settings({"iam": {"enabled": True, "region": "us-east-1",
                                     "credentials": [{"access_key": KEY, "secret_key": SECRET}]}})
    credentials = CountingCredentials()
    worker = make_worker(client_factory, captured, use_iam=True, region="eu-west-1", credentials=credentials)
    response = await worker.process(sqs_event(messages(100)), LocalLambdaContext(timeout_s=10))
    assert len(response["batchItemFailures"]) == 100
    assert endpoint.stats.handshake_auth_failures == 2  # the first try and one after a refresh
    assert credentials.refreshes == 1
    assert captured.count("Bisections") == 0
    assert captured.count("MessagesFailed", Reason="database_unavailable") == 100
    failed_spans = [s for s in captured.spans() if s.name == "gremlin.connect" and not s.status.is_ok]
    assert len(failed_spans) == 1
    logged = captured.values("GremlinConnectFailures", Cause="auth")
    assert logged == [1.0]


async def test_auth_error_carries_the_servers_reason(endpoint, make_client):
    endpoint.apply_settings({"iam": {"enabled": True, "region": "us-east-1",
                                     "credentials": [{"access_key": KEY, "secret_key": SECRET}]}})
    client = make_client(use_iam=True, region="eu-west-1", credentials=CountingCredentials())
    with pytest.raises(AuthError) as raised:
        await client.submit(g.V().count())
    assert raised.value.code == "AccessDeniedException" and raised.value.status == 403
    assert "eu-west-1" in str(raised.value) and "Invalid response status" not in str(raised.value)
    assert "eu-west-1" in (raised.value.detailed_message or "")


async def test_unknown_access_key_reason_reaches_the_failed_messages(endpoint, client_factory, captured, caplog):
    endpoint.apply_settings({"iam": {"enabled": True, "region": "us-east-1",
                                     "credentials": [{"access_key": "AKIDOTHER", "secret_key": SECRET}]}})
    worker = make_worker(client_factory, captured, use_iam=True, region="us-east-1",
                         credentials=CountingCredentials())
    response = await worker.process(sqs_event(messages(3)), LocalLambdaContext(timeout_s=10))
    assert len(response["batchItemFailures"]) == 3
    reasons = [r.__dict__.get("reason", "") for r in caplog.records if r.getMessage() == "message failed"]
    assert len(reasons) == 3 and all("AccessDeniedException" in r and KEY in r for r in reasons), reasons


async def test_connection_limit_refusals_are_bounded_and_fail_the_batch_fast(endpoint, client_factory, captured,
                                                                              make_client):
    endpoint.apply_settings({"max_connections": 1})
    other_context = make_client()
    await other_context.submit(g.V().count())  # holds the only connection the endpoint allows
    worker = make_worker(client_factory, captured, max_attempts=3)
    started = time.monotonic()
    response = await worker.process(sqs_event(messages(50)), LocalLambdaContext(timeout_s=5))
    assert time.monotonic() - started < 4.0
    assert len(response["batchItemFailures"]) == 50
    # One request's attempts (3), plus at most one for each other request already in flight
    # (initially 4), never one per request of the batch.
    assert 3 <= endpoint.stats.connections_refused <= 3 + 3
    assert captured.count("Bisections") == 0


@pytest.mark.parametrize(("body", "code", "reason"), [
    ('{"code": "AccessDeniedException", "detailedMessage": "Missing Authentication Token"}',
     "AccessDeniedException", "Missing Authentication Token"),
    ('{"code": "BadRequestException"}', "BadRequestException", "BadRequestException"),  # no detail: the code
    ('{"code": "X", "detailedMessage": ""}', "X", "X"),
    ('{"detailedMessage": "no code"}', None, '{"detailedMessage": "no code"}'),         # not Neptune's shape
    ('["a"]', None, '["a"]'),
    ("  Too   many\n connections  ", None, "Too many connections"),                      # plain text, spaces folded
    ("x" * 600, None, "x" * 500),                                                      # and bounded
])
def test_a_refused_handshakes_body_gives_the_code_and_reason(body, code, reason):
    from framework.transport import refusal_reason

    assert refusal_reason(body) == (code, reason)
