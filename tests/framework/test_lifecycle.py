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


async def test_close_on_shutdown_from_a_running_loop_closes_then_calls_back(execution_context, monkeypatch):
    import asyncio

    monkeypatch.setenv("NEPTUNE_ENDPOINT", "ws://127.0.0.1:1/gremlin")
    client = lifecycle.get_client()
    done = asyncio.Event()
    lifecycle.close_on_shutdown(done.set)  # as from a signal handler while the handler's loop runs
    await done.wait()
    assert client.closed and lifecycle._client is None


def test_close_on_shutdown_between_invocations_runs_the_loop_to_close(execution_context, monkeypatch):
    import asyncio

    monkeypatch.setenv("NEPTUNE_ENDPOINT", "ws://127.0.0.1:1/gremlin")
    loop = asyncio.new_event_loop()

    async def first_use():
        return lifecycle.get_client()

    try:
        client = loop.run_until_complete(first_use())
        called: list[bool] = []
        lifecycle.close_on_shutdown(lambda: called.append(client.closed))  # the loop is idle, not running
        assert called == [True] and client.closed and lifecycle._client is None
    finally:
        loop.close()


def test_close_on_shutdown_without_a_client_still_calls_back(execution_context):
    called: list[str] = []
    lifecycle.close_on_shutdown(lambda: called.append("then"))
    lifecycle.close_on_shutdown()
    assert called == ["then"]


async def test_sigterm_closes_the_client_then_runs_the_previous_python_handler(execution_context, monkeypatch):
    """The previous handler (here the test's) runs after the close, with the signal's number and frame."""
    import asyncio
    import os

    monkeypatch.setenv("NEPTUNE_ENDPOINT", "ws://127.0.0.1:1/gremlin")
    monkeypatch.setattr(lifecycle, "_hook_installed", False)
    seen: list[tuple[int, bool, bool]] = []
    done = asyncio.Event()

    def previous(signum, frame):
        seen.append((signum, frame is not None, client.closed))
        done.set()

    signal.signal(signal.SIGTERM, previous)  # the fixture puts the original handler back
    client = lifecycle.get_client()
    assert signal.getsignal(signal.SIGTERM) is not previous  # the hook wraps it
    os.kill(os.getpid(), signal.SIGTERM)
    await done.wait()
    assert seen == [(signal.SIGTERM, True, True)]
    assert lifecycle._client is None


async def test_an_ignored_sigterm_stays_ignored_after_the_close(execution_context, monkeypatch):
    import asyncio
    import os

    monkeypatch.setenv("NEPTUNE_ENDPOINT", "ws://127.0.0.1:1/gremlin")
    monkeypatch.setattr(lifecycle, "_hook_installed", False)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    client = lifecycle.get_client()
    os.kill(os.getpid(), signal.SIGTERM)
    for _ in range(100):  # the close is a task on this loop: let it run
        if client.closed:
            break
        await asyncio.sleep(0.01)
    assert client.closed
    assert signal.getsignal(signal.SIGTERM) not in (signal.SIG_IGN, signal.SIG_DFL)  # still our hook, still alive


def test_a_client_made_on_another_loop_is_replaced_and_kwargs_apply_to_the_first(execution_context, monkeypatch,
                                                                                  captured):
    import asyncio

    monkeypatch.setenv("NEPTUNE_ENDPOINT", "ws://127.0.0.1:1/gremlin")
    first_loop, second_loop = asyncio.new_event_loop(), asyncio.new_event_loop()

    async def use(**kwargs):
        return lifecycle.get_client(**kwargs)

    try:
        first = first_loop.run_until_complete(use(telemetry=captured.telemetry))
        assert first.telemetry is captured.telemetry
        assert first_loop.run_until_complete(use()) is first
        second = second_loop.run_until_complete(use())
        assert second is not first and not first.closed  # abandoned, not closed from the wrong loop
        assert second_loop.run_until_complete(use()) is second
        first_loop.run_until_complete(first.close())
    finally:
        first_loop.close()
        # the fixture closes the context's client (second) on its loop, then we close that loop
        second_loop.run_until_complete(lifecycle.close_client())
        second_loop.close()
