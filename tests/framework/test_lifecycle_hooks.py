"""The execution context's exit hooks in the cases the main lifecycle tests leave out: an ignored
SIGTERM stays ignored (checked in a child process, since getting it wrong terminates the process),
the SIGTERM hook and the exit hook are each installed once, and ``close_on_shutdown`` only calls
back when the client's loop is closed or the client is already gone."""

from __future__ import annotations

import asyncio
import atexit
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from framework import lifecycle
from framework.config import GraphConfig

ROOT = Path(__file__).resolve().parents[2]  # the child imports this checkout's framework (cwd first on sys.path)
CONFIG = GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://127.0.0.1:1/gremlin"})

IGNORED = textwrap.dedent("""
    import signal
    from framework import lifecycle

    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    lifecycle.install_shutdown_hook()
    signal.raise_signal(signal.SIGTERM)      # no client: the hook calls straight back
    print("still running", flush=True)
""")

AT_EXIT = textwrap.dedent("""
    import asyncio, atexit
    from framework import lifecycle
    from framework.config import GraphConfig

    made = []
    atexit.register(lambda: print("closed at exit:", made[0].closed, flush=True))  # runs after later hooks
    loop = asyncio.new_event_loop()          # left open, as a local script leaves it

    async def first_use():
        return lifecycle.get_client(GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://127.0.0.1:1/gremlin"}))

    made.append(loop.run_until_complete(first_use()))
""")

ONE_EXIT_HOOK = textwrap.dedent("""
    import asyncio, atexit
    from framework import lifecycle
    from framework.config import GraphConfig

    async def use():
        lifecycle.get_client(GraphConfig.from_env({"NEPTUNE_ENDPOINT": "ws://127.0.0.1:1/gremlin"}))
        await lifecycle.close_client()

    before = atexit._ncallbacks()
    for _ in range(3):                       # three clients, one after the other
        asyncio.run(use())
    print("exit hooks added:", atexit._ncallbacks() - before, flush=True)
""")


def _child(script: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=60,
                          check=False, env={"PATH": "/usr/bin:/bin", "OTEL_SDK_DISABLED": "true"})


def test_an_ignored_sigterm_does_not_terminate_the_process():
    done = _child(IGNORED)
    assert (done.returncode, done.stdout) == (0, "still running\n"), done.stderr


def test_a_script_that_ends_without_sigterm_closes_the_client_at_exit():
    done = _child(AT_EXIT)
    assert (done.returncode, done.stdout) == (0, "closed at exit: True\n"), done.stderr


def test_the_exit_hook_is_registered_once_however_many_clients_are_made():
    done = _child(ONE_EXIT_HOOK)
    assert (done.returncode, done.stdout) == (0, "exit hooks added: 1\n"), done.stderr


async def test_the_exit_hook_is_registered_with_the_first_client_only(execution_context):
    """In process too (mutmut sees only this process's calls): one exit hook however many clients follow."""
    assert not lifecycle._atexit_installed  # a fresh execution context
    before = atexit._ncallbacks()
    lifecycle.get_client(CONFIG)
    await lifecycle.close_client()
    lifecycle.get_client(CONFIG)  # a second client, after the first was closed
    assert atexit._ncallbacks() == before + 1


def test_the_sigterm_hook_is_installed_once(execution_context, monkeypatch):
    monkeypatch.setattr(lifecycle, "_hook_installed", False)
    lifecycle.install_shutdown_hook()
    hook = signal.getsignal(signal.SIGTERM)
    lifecycle.install_shutdown_hook()
    assert signal.getsignal(signal.SIGTERM) is hook  # not wrapped again


def test_close_on_shutdown_after_the_loop_closed_only_calls_back(execution_context):
    loop = asyncio.new_event_loop()

    async def first_use():
        return lifecycle.get_client(CONFIG)

    client = loop.run_until_complete(first_use())
    loop.close()  # the client's loop is gone: nothing can run the close any more
    called: list[str] = []
    lifecycle.close_on_shutdown(lambda: called.append("then"))
    assert called == ["then"] and lifecycle._client is client and not client.closed


async def test_close_on_shutdown_after_the_client_was_closed_calls_back_at_once(execution_context):
    lifecycle.get_client(CONFIG)
    await lifecycle.close_client()  # the loop still runs, the client is gone
    called: list[str] = []
    lifecycle.close_on_shutdown(lambda: called.append("then"))
    assert called == ["then"]  # synchronously, not from a task scheduled on the loop


def test_the_default_deadline_margin_is_two_seconds():
    class Context:
        def get_remaining_time_in_millis(self) -> int:
            return 10_000

    before = time.monotonic()
    deadline = lifecycle.deadline_from_context(Context())
    assert before + 8.0 <= deadline <= time.monotonic() + 8.0
