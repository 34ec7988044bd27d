"""Execution-context lifecycle: the process-wide client, deadlines, and closing on shutdown.

Why process-wide: Lambda reuses an execution context (a process) across invocations, and
Neptune's guidance is one connection per context for its lifetime. The client is created
lazily on first use (so a cold start that never reaches the database pays nothing) and bound
to the event loop it was created on; a handler keeps one loop for the context's lifetime.

Why a SIGTERM hook: when the runtime shuts a context down (it sends SIGTERM when an extension
is registered) the socket should be closed with a close frame rather than left for Neptune to
time out, since open connections count against the instance's WebSocket limit.
"""

from __future__ import annotations

import asyncio
import atexit
import os
import signal
import time
from collections.abc import Callable
from types import FrameType
from typing import Any, Protocol

from .client import GraphClient
from .config import GraphConfig

_client: GraphClient | None = None
_client_loop: asyncio.AbstractEventLoop | None = None
_hook_installed = False
_atexit_installed = False


class LambdaContextLike(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


def deadline_from_context(context: LambdaContextLike, margin_s: float = 2.0) -> float:
    """A ``time.monotonic()`` deadline: the invocation's remaining time minus ``margin_s``."""
    return time.monotonic() + context.get_remaining_time_in_millis() / 1000.0 - margin_s


def get_client(config: GraphConfig | None = None, **kwargs: Any) -> GraphClient:
    """The execution context's one :class:`GraphClient`, created on first call.

    ``config`` (default: :meth:`GraphConfig.from_env`) and ``kwargs`` apply only to that first
    call. Call from inside the event loop that will run the handler's requests; a client made
    on another (closed) loop is abandoned and replaced.
    """
    global _client, _client_loop, _atexit_installed
    loop = asyncio.get_running_loop()
    if _client is not None and (_client_loop is not loop or _client.closed):
        _client = None
    if _client is None:
        _client = GraphClient(config or GraphConfig.from_env(), **kwargs)
        _client_loop = loop
        install_shutdown_hook()
        if not _atexit_installed:  # local scripts end without SIGTERM: close at interpreter exit too
            atexit.register(close_on_shutdown)
            _atexit_installed = True
    return _client


async def close_client() -> None:
    """Close the process-wide client (idempotent)."""
    global _client
    client, _client = _client, None
    if client is not None:
        await client.close()


def install_shutdown_hook() -> None:
    """On SIGTERM: close the process-wide client, then do what SIGTERM did before.

    A previous Python handler is called after the close; the default action (terminate) is
    re-delivered once the close has finished; an ignored SIGTERM stays ignored.
    """
    global _hook_installed
    if _hook_installed:
        return
    try:
        previous = signal.getsignal(signal.SIGTERM)
        signal.signal(signal.SIGTERM, lambda signum, frame: _on_sigterm(previous, signum, frame))
    except ValueError:  # not in the main thread: the runtime's own thread owns signals
        return
    _hook_installed = True


def _on_sigterm(previous: Any, signum: int, frame: FrameType | None) -> None:
    def after_close() -> None:
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signal.SIGTERM, signal.SIG_DFL)
            os.kill(os.getpid(), signal.SIGTERM)

    close_on_shutdown(after_close)


def close_on_shutdown(then: Callable[[], None] | None = None) -> None:
    """Close the client from a signal handler, whether or not its loop is running; then ``then()``."""
    client, loop = _client, _client_loop
    if client is None or loop is None or loop.is_closed():
        if then is not None:
            then()
        return
    if loop.is_running():
        task = loop.create_task(close_client())
        if then is not None:
            task.add_done_callback(lambda _: then())
    else:
        loop.run_until_complete(close_client())
        if then is not None:
            then()
