"""Run the local endpoint on a background thread with its own event loop.

Why: gremlinpython's synchronous driver runs its own event loop and cannot be used from a
thread whose loop is running, so sync clients (conformance tests, the bench, the CLI check)
talk to an endpoint that lives on another thread, over a real socket.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from .control import ControlClient
from .server import GremlinEndpoint
from .settings import EndpointSettings

T = TypeVar("T")


class EndpointThread:
    """``with EndpointThread() as ep: ep.url, ep.control.settings(...)``."""

    def __init__(self, settings: EndpointSettings | None = None, *, seed: int | None = 0,
                 host: str = "127.0.0.1", port: int = 0) -> None:
        self._settings = settings
        self._seed = seed
        self._host = host
        self._port = port
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self.endpoint: GremlinEndpoint | None = None

    def start(self) -> EndpointThread:
        self._thread = threading.Thread(target=self._main, name="gremlin-endpoint", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error
        return self

    def _main(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        try:
            self.endpoint = GremlinEndpoint(self._settings, seed=self._seed)
            loop.run_until_complete(self.endpoint.start(self._host, self._port))
        except BaseException as exc:  # surfaced to the starting thread
            self._error = exc
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self.endpoint.stop())
        loop.close()

    def call(self, fn: Callable[[GremlinEndpoint], Any]) -> Any:
        """Run ``fn(endpoint)`` on the endpoint's loop (awaiting it if it is a coroutine)."""
        assert self._loop is not None and self.endpoint is not None
        endpoint = self.endpoint

        async def _run() -> Any:
            result = fn(endpoint)
            if asyncio.iscoroutine(result):
                result = await result
            return result

        return asyncio.run_coroutine_threadsafe(_run(), self._loop).result(timeout=30)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=30)
            self._thread = None

    @property
    def port(self) -> int:
        assert self.endpoint is not None and self.endpoint.port is not None
        return self.endpoint.port

    @property
    def url(self) -> str:
        return f"ws://{self._host}:{self.port}/gremlin"

    @property
    def http_url(self) -> str:
        return f"http://{self._host}:{self.port}"

    @property
    def control(self) -> ControlClient:
        return ControlClient(self.http_url)

    def __enter__(self) -> EndpointThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
