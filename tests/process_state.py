"""A guard around every test: process-wide state must be as the test found it.

Why: a test that leaves an environment variable, the execution context's shared graph client or
event loop, a global tracer provider, a root logging handler, a signal handler or a running
thread behind makes some *later* test pass or fail depending on the order the suite runs in
(the suite runs in random order). Each test states its changes through fixtures
(``monkeypatch``, ``execution_context``, ...), which undo them; this guard checks that they did,
fails the test that leaked (an error in its teardown, naming what leaked) and puts the state
back, so the leak cannot spread to the next test.
"""

from __future__ import annotations

import atexit
import logging
import os
import signal
import sys
import threading
from collections.abc import Iterator
from types import ModuleType
from typing import Any

import pytest
from opentelemetry import trace

# Imported before any test runs, so state set by a test that imports them first is still a change.
from framework import lifecycle, worker
from framework.telemetry import tracing

PYTEST_OWN = "PYTEST_CURRENT_TEST"  # pytest sets it for each phase of each test


def _environ() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if k != PYTEST_OWN}


# SIGKILL/SIGSTOP cannot be handled; SIGALRM is pytest-timeout's (it arms it around each test).
_SIGNALS = sorted(s for s in signal.valid_signals() if s not in (signal.SIGKILL, signal.SIGSTOP, signal.SIGALRM))


GLOBALS: tuple[tuple[ModuleType, tuple[str, ...]], ...] = (
    (lifecycle, ("_client", "_client_loop", "_hook_installed", "_atexit_installed")),  # the shared client
    (worker, ("_loop", "_loop_closer_installed")),                                     # the context's loop
    (tracing, ("_configured",)),                                                       # OTel from OTEL_*
    (trace, ("_TRACER_PROVIDER",)),                                                    # OTel's global provider
)


def _globals() -> dict[str, Any]:
    """Module globals that hold process-wide state, by dotted name."""
    return {f"{module.__name__}.{name}": getattr(module, name) for module, names in GLOBALS for name in names}


def _root_logging() -> tuple[int, int, list[logging.Handler]]:
    root = logging.getLogger()
    # pytest's own capture handlers come and go around each test phase: not the test's doing.
    ours = [h for h in root.handlers if not type(h).__module__.startswith("_pytest")]
    return root.level, logging.root.manager.disable, ours


def _signals() -> dict[int, Any]:
    return {s: signal.getsignal(s) for s in _SIGNALS}


def _threads() -> set[threading.Thread]:
    return set(threading.enumerate())


def _restore_globals(saved: dict[str, Any]) -> None:
    for dotted, value in saved.items():
        module, name = dotted.rsplit(".", 1)
        setattr(sys.modules[module], name, value)


def _close_execution_context() -> None:
    """Close what the execution context holds: its graph client (on its loop), then the handler's loop.

    What ``close_on_shutdown`` + ``_close_loop`` do at interpreter exit, done now, so the client's
    socket and the loop are not left for the garbage collector to find during a later test.
    """
    client, client_loop, loop = lifecycle._client, lifecycle._client_loop, worker._loop
    if client is not None and not client.closed and client_loop is not None and not client_loop.is_closed():
        client_loop.run_until_complete(lifecycle.close_client())
    lifecycle._client = lifecycle._client_loop = None
    if loop is not None and not loop.is_closed():
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.run_until_complete(loop.shutdown_default_executor())
        loop.close()
    worker._loop = None


EXIT_HOOKS = (("framework.lifecycle._atexit_installed", lifecycle.close_on_shutdown),
              ("framework.worker._loop_closer_installed", worker._close_loop))


def _undo_execution_context(saved: dict[str, Any], sigterm: Any) -> None:
    """Close the context, then undo the process-wide hooks it installed (SIGTERM, atexit) and its globals."""
    _close_execution_context()
    for flag, hook in EXIT_HOOKS:
        if not saved[flag] and _globals()[flag]:
            atexit.unregister(hook)  # registered during the test: the process must not run it at exit
    if not saved["framework.lifecycle._hook_installed"]:
        signal.signal(signal.SIGTERM, sigterm)
    _restore_globals({k: v for k, v in saved.items() if k.startswith(("framework.lifecycle.", "framework.worker."))})


@pytest.fixture
def execution_context() -> Iterator[None]:
    """A fresh Lambda execution context, for tests of ``worker.handler`` or ``lifecycle.get_client``.

    The handler keeps an event loop and a graph client for the process's lifetime (as Lambda
    keeps them between invocations), and the first client installs a SIGTERM hook and exit
    hooks. This gives the test a context of its own (no loop, no client), then closes the client
    on its loop and the loop, removes the hooks the test installed and puts back what was there,
    so no other test sees a client pointing at an endpoint that is gone.
    """
    saved = _globals()
    sigterm = signal.getsignal(signal.SIGTERM)
    lifecycle._client = lifecycle._client_loop = worker._loop = None
    try:
        yield
    finally:
        _undo_execution_context(saved, sigterm)


@pytest.fixture
def environ_restored() -> Iterator[None]:
    """For code that writes ``os.environ`` itself (README examples, the local runner): put it back after.

    Tests that set variables should use ``monkeypatch.setenv``; this is for code under test
    that assigns ``os.environ[...]`` directly, as a user's script does.
    """
    saved = dict(os.environ)
    try:
        yield
    finally:
        for k in set(os.environ) - set(saved):
            del os.environ[k]
        os.environ.update(saved)


@pytest.fixture
def moto_state_reset() -> Iterator[None]:
    """No SQS queues before and after the test.

    moto's servers in one process share one in-memory state (its backends are module globals), so
    the queues and messages a local run leaves outlive the server that held them, and the next run
    with the same queue names finds them (a DLQ already holding a message). ``BackendDict.reset``
    is what moto's ``POST /moto-api/reset`` runs.
    """
    from moto.core.base_backend import BackendDict

    BackendDict.reset()
    try:
        yield
    finally:
        BackendDict.reset()


@pytest.fixture(autouse=True)
def process_state_unchanged() -> Iterator[None]:
    environ = _environ()
    saved_globals = _globals()
    logging_state = _root_logging()
    handlers = _signals()
    threads = _threads()
    yield

    # First see everything that leaked, then put it back.
    leaks: list[str] = []
    now_environ = _environ()
    changed_env = sorted(k for k in set(now_environ) | set(environ) if now_environ.get(k) != environ.get(k))
    if changed_env:
        leaks.append(f"environment variables changed: {', '.join(changed_env)}")
    now_globals = _globals()
    changed_globals = sorted(k for k in now_globals if now_globals[k] is not saved_globals[k])
    if changed_globals:
        leaks.append(f"module state changed: {', '.join(changed_globals)} (use the execution_context fixture)")
    logging_changed = _root_logging() != logging_state
    if logging_changed:
        leaks.append("root logger level, handlers or logging.disable() changed")
    moved = sorted(s for s, h in _signals().items() if h != handlers[s])
    if moved:
        leaks.append(f"signal handlers changed: {', '.join(signal.Signals(s).name for s in moved)}")
    started = [t for t in _threads() - threads if t.is_alive()]
    if started:
        leaks.append(f"threads left running: {', '.join(sorted(t.name for t in started))}")
    if not leaks:
        return

    for k in changed_env:
        if k in environ:
            os.environ[k] = environ[k]
        else:
            del os.environ[k]
    if changed_globals:
        _undo_execution_context(saved_globals, handlers[signal.SIGTERM])  # close a leaked client now
        _restore_globals(saved_globals)
    if logging_changed:
        root = logging.getLogger()
        root.setLevel(logging_state[0])
        logging.disable(logging_state[1])
        for h in root.handlers:
            if not type(h).__module__.startswith("_pytest") and h not in logging_state[2]:
                root.removeHandler(h)
    for s in moved:
        signal.signal(s, handlers[s])
    pytest.fail("the test left process state behind: " + "; ".join(leaks), pytrace=False)
