"""Fixtures: one local endpoint on a background thread, reset before every test.

The endpoint listens on a port the OS picks; clients are real gremlinpython drivers.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from gremlin_python.driver.aiohttp.transport import AiohttpTransport
from gremlin_python.driver.client import Client
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.process.anonymous_traversal import traversal

from gwlocal.gremlin_server.serializers import SERIALIZERS
from gwlocal.gremlin_server.thread import EndpointThread

from .engine_support import Engine


@pytest.fixture(scope="session")
def _endpoint_thread() -> Iterator[EndpointThread]:
    with EndpointThread(seed=0) as ep:
        yield ep


@pytest.fixture
def ep(_endpoint_thread: EndpointThread) -> Iterator[EndpointThread]:
    _endpoint_thread.call(lambda e: e.close_connections())
    _endpoint_thread.call(lambda e: e.reset(graph=True, stats=True, settings=True, seed=0))
    yield _endpoint_thread


class Remotes:
    """Opens gremlinpython connections and closes them all, with every transport, at the end of the test.

    Why the transports too: gremlinpython's ``Connection.close`` skips a connection whose handshake
    failed (it never became "inited"), and ``Client.close`` only closes the connections back in its
    pool, so a refused handshake (403, wrong signature) leaves an ``AiohttpTransport`` with an open
    ``ClientSession`` and its own event loop. Its ``__del__`` then tries to close them whenever the
    garbage collector runs, often inside a later test's running loop, where it cannot ("coroutine
    'AiohttpTransport.close.<locals>.async_close' was never awaited"). Every transport is made
    through :meth:`transport` and closed here, so nothing is left for ``__del__``.
    """

    def __init__(self, ep: EndpointThread) -> None:
        self.ep = ep
        self._open: list[Any] = []
        self._transports: list[AiohttpTransport] = []

    def transport(self, **kwargs: Any) -> Any:
        """A zero-argument gremlinpython transport factory whose transports this object closes."""
        kwargs.setdefault("max_content_length", 10 * 1024 * 1024)  # gremlinpython's own default

        def make() -> AiohttpTransport:
            made = AiohttpTransport(**kwargs)
            self._transports.append(made)
            return made
        return make

    def g(self, serializer: str = "graphbinary-v1", **kwargs: Any) -> Any:
        kwargs.setdefault("pool_size", 1)  # Neptune + Lambda guidance: one connection
        conn = DriverRemoteConnection(self.ep.url, "g", message_serializer=SERIALIZERS[serializer](),
                                      transport_factory=self.transport(), **kwargs)
        self._open.append(conn)
        return traversal().with_remote(conn)

    def client(self, serializer: str = "graphbinary-v1", **kwargs: Any) -> Client:
        kwargs.setdefault("pool_size", 1)
        client = Client(self.ep.url, "g", message_serializer=SERIALIZERS[serializer](),
                        transport_factory=self.transport(), **kwargs)
        self._open.append(client)
        return client

    def close(self) -> None:
        for c in self._open:
            c.close()
        for t in self._transports:
            t.close()  # a no-op for those the client closed (their loop is closed)


@pytest.fixture
def remotes(ep: EndpointThread) -> Iterator[Remotes]:
    r = Remotes(ep)
    yield r
    r.close()


def objects(results: list[Any]) -> list[Any]:
    """Unwrap the Traversers a raw ``Client.submit(bytecode)`` returns (bulk expanded)."""
    out: list[Any] = []
    for r in results:
        out.extend([r.object] * int(r.bulk) if hasattr(r, "bulk") else [r])
    return out


def handshake_status(exc: BaseException) -> int | None:
    """The HTTP status of a refused WebSocket handshake, however gremlinpython wrapped it."""
    while exc is not None:
        status = getattr(exc, "status", None)
        if isinstance(status, int):
            return status
        exc = exc.__cause__ or exc.__context__  # type: ignore[assignment]
    return None


def submit(client: Client, traversal: Any) -> list[Any]:
    """Submit a traversal's bytecode through a raw client and return plain result objects."""
    return objects(client.submit(traversal.bytecode).all().result())


@pytest.fixture
def e() -> Engine:
    """No server: an engine holding the modern graph (seed 0), for the ``test_engine_*`` modules."""
    engine = Engine(seed=0)
    engine.load_modern()
    return engine


@pytest.fixture(params=list(SERIALIZERS))
def serializer(request: pytest.FixtureRequest) -> str:
    return str(request.param)
