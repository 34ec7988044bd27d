"""Execution-context lifecycle: one client per context, closed cleanly on SIGTERM."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time

import pytest

from framework import lifecycle
from framework.config import GraphConfig
from gwlocal.gremlin_server.thread import EndpointThread

WORKER = textwrap.dedent("""
    import asyncio, sys
    from gremlin_python.process.anonymous_traversal import traversal
    from gremlin_python.structure.graph import Graph
    from framework.lifecycle import get_client

    g = traversal().with_graph(Graph())
    loop = asyncio.new_event_loop()          # one loop for the execution context's lifetime

    async def invoke():
        return await get_client().submit(g.V().count(), expect=1)

    print(loop.run_until_complete(invoke()), flush=True)   # first invocation: cold start
    print(loop.run_until_complete(invoke()), flush=True)   # second: same connection
    sys.stdin.read()                          # idle between invocations until SIGTERM
""")


def test_sigterm_closes_the_connection_cleanly_then_terminates():
    with EndpointThread() as ep:
        env = {"NEPTUNE_ENDPOINT": f"ws://127.0.0.1:{ep.port}/gremlin", "PATH": "/usr/bin:/bin",
               "OTEL_SDK_DISABLED": "true"}
        with subprocess.Popen([sys.executable, "-c", WORKER], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              text=True, env=env) as proc:  # closes both pipes when done
            assert proc.stdout is not None
            assert [line for line in (proc.stdout.readline(), proc.stdout.readline())
                    if line.strip() == "[0]"] == ["[0]\n", "[0]\n"]
            assert ep.control.stats()["connections"]["open"] == 1
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=20) == -signal.SIGTERM  # the default action still happens
        ep.call(lambda e: e.wait_for(lambda e: e.stats.connections_open == 0))
        connections = ep.control.stats()["connections"]
        assert connections["total"] == 1
        assert connections["client_closes"] == 1 and connections["client_resets"] == 0


async def test_one_client_per_execution_context(execution_context, monkeypatch):
    monkeypatch.setenv("NEPTUNE_ENDPOINT", "ws://127.0.0.1:1/gremlin")
    first = lifecycle.get_client()
    assert lifecycle.get_client() is first
    await lifecycle.close_client()
    assert first.closed
    second = lifecycle.get_client()
    assert second is not first
    await lifecycle.close_client()


async def test_config_errors_surface_at_first_use(execution_context, monkeypatch):
    from framework.errors import ConfigError

    monkeypatch.delenv("NEPTUNE_ENDPOINT", raising=False)
    with pytest.raises(ConfigError, match="NEPTUNE_ENDPOINT"):
        lifecycle.get_client()


def test_deadline_from_a_lambda_context():
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 10_000

    before = time.monotonic()
    deadline = lifecycle.deadline_from_context(Context(), margin_s=2.5)
    assert before + 7.5 <= deadline <= time.monotonic() + 7.5


async def test_explicit_config_is_used_on_first_call(execution_context, monkeypatch):
    monkeypatch.delenv("NEPTUNE_ENDPOINT", raising=False)
    client = lifecycle.get_client(GraphConfig.from_env({"NEPTUNE_ENDPOINT": "explicit"}))
    assert client.config.endpoint.host == "explicit"
    await lifecycle.close_client()


HANDLER_PROCESS = textwrap.dedent("""
    import json
    from framework.upserts import Vertex
    from framework.worker import GraphWorker
    from gwlocal.lambda_events import LocalLambdaContext, sqs_event, sqs_record

    worker = GraphWorker(service="exit")

    @worker.upserts()
    def to_graph(msg):
        return [Vertex(id=msg["id"], label="Item")]

    print(worker.handler(sqs_event([sqs_record(json.dumps({"id": "v1"}), message_id="m1")]),
                         LocalLambdaContext()), flush=True)
""")


def test_execution_context_closes_its_connection_and_loop_at_exit():
    """A process that ends without SIGTERM (a local script) closes the client, then the loop."""
    with EndpointThread() as ep:
        env = {"NEPTUNE_ENDPOINT": f"ws://127.0.0.1:{ep.port}/gremlin", "PATH": "/usr/bin:/bin",
               "OTEL_SDK_DISABLED": "true", "PYTHONDEVMODE": "1"}  # dev mode reports unclosed loops
        done = subprocess.run([sys.executable, "-W", "always::ResourceWarning", "-c", HANDLER_PROCESS],
                              capture_output=True, text=True, env=env, timeout=60, check=False)
        assert done.returncode == 0, done.stderr
        assert "batchItemFailures" in done.stdout
        assert "ResourceWarning" not in done.stderr and "unclosed" not in done.stderr, done.stderr
        ep.call(lambda e: e.wait_for(lambda e: e.stats.connections_open == 0))
        connections = ep.control.stats()["connections"]
        assert connections["client_closes"] == 1 and connections["client_resets"] == 0
