"""One Gremlin connection: a transport plus a reader task that routes responses by request id.

Why multiplex: one connection per Lambda execution context (Neptune's guidance) must still
serve several in-flight requests of one batch; responses are matched to requests by id, so
requests never wait behind each other on the socket.

Safety rules this layer enforces:

- A request whose socket ends before its final frame fails with :class:`ConnectionLost`; it is
  never completed with the results gathered so far (the "empty response" hazard).
- A request with no answer within its timeout fails, and the connection is closed, because a
  socket that stopped answering cannot be trusted with the next request.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from .errors import ConnectionLost, GraphRequestError, parse_neptune_error
from .protocol import GremlinProtocol, ProtocolError
from .transport import WebSocketTransport


@dataclass
class _Pending:
    future: asyncio.Future[list[Any]]
    results: list[Any] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class SubmitResult:
    """What one request returned, plus the numbers telemetry wants."""

    results: list[Any]
    request_bytes: int
    request_id: str


class GremlinConnection:
    """A connected socket to one endpoint. Create with :meth:`open`; :meth:`close` is idempotent."""

    def __init__(self, transport: WebSocketTransport, protocol: GremlinProtocol, *, role: str,
                 url: str) -> None:
        self._transport = transport
        self._protocol = protocol
        self.role = role
        self.url = url
        self.opened_at = time.monotonic()
        self.last_used = self.opened_at
        self._pending: dict[str, _Pending] = {}
        self._closed_error: ConnectionLost | None = None
        self._reader = asyncio.get_running_loop().create_task(self._read_loop())

    @classmethod
    async def open(cls, transport: WebSocketTransport, protocol: GremlinProtocol, *, role: str,
                   url: str) -> GremlinConnection:
        return cls(transport, protocol, role=role, url=url)

    @property
    def closed(self) -> bool:
        return self._closed_error is not None or self._transport.closed

    @property
    def close_cause(self) -> str:
        info = self._transport.close_info
        return info.cause if info is not None else "closed"

    @property
    def in_flight(self) -> int:
        return len(self._pending)

    async def submit(self, bytecode: Any, *, timeout_s: float, evaluation_timeout_ms: int | None = None,
                     batch_size: int | None = None) -> SubmitResult:
        """Send one bytecode request and wait for all its result pages."""
        if self.closed:
            raise self._lost_error()
        request_id = str(uuid.uuid4())
        frame = self._protocol.encode(request_id, bytecode, evaluation_timeout_ms=evaluation_timeout_ms,
                                      batch_size=batch_size)
        pending = _Pending(asyncio.get_running_loop().create_future())
        self._pending[request_id] = pending
        self.last_used = time.monotonic()
        try:
            async with asyncio.timeout(timeout_s):
                await self._transport.send(frame)
                results = await asyncio.shield(pending.future)
        except TimeoutError:
            # This caller raises its own error below: its future leaves the table first, so the
            # close does not set an exception on it that nobody would ever read.
            self._pending.pop(request_id, None)
            await self._fail(ConnectionLost(
                f"no response to request {request_id} within {timeout_s:.3g} s; closing the connection",
                cause="timeout", request_id=request_id))
            raise self._lost_error() from None
        finally:
            self._pending.pop(request_id, None)
            self.last_used = time.monotonic()
        return SubmitResult(results, len(frame), request_id)

    async def close(self) -> None:
        await self._fail(ConnectionLost("connection closed by graphworker", cause="client"))

    # ------------------------------------------------------------------ internals
    def _lost_error(self) -> ConnectionLost:
        err = self._closed_error
        if err is None:
            info = self._transport.close_info
            detail = info.detail if info else "connection closed"
            err = ConnectionLost(f"{detail} ({self.url})", cause=self.close_cause)
        # A fresh instance per raise keeps tracebacks of concurrent callers apart.
        return ConnectionLost(str(err), cause=err.cause, request_id=err.request_id)

    async def _fail(self, error: ConnectionLost) -> None:
        if self._closed_error is None:
            self._closed_error = error
        for pending in list(self._pending.values()):
            if not pending.future.done():
                pending.future.set_exception(self._lost_error())
        await self._transport.close()
        if self._reader is not asyncio.current_task() and not self._reader.done():
            self._reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._reader

    async def _read_loop(self) -> None:
        while True:
            payload = await self._transport.receive()
            if payload is None:
                info = self._transport.close_info
                cause = info.cause if info else "closed"
                detail = info.detail if info else "socket ended"
                await self._fail(ConnectionLost(
                    f"{detail}; requests in flight may or may not have been applied ({self.url})",
                    cause=cause))
                return
            try:
                frame = self._protocol.decode(payload)
            except ProtocolError as exc:
                await self._fail(ConnectionLost(f"{exc} from {self.url}", cause="protocol"))
                return
            pending = self._pending.get(frame.request_id)
            if pending is None or pending.future.done():
                continue  # a late answer to a request that already timed out
            if frame.status == 206:
                pending.results.extend(frame.data)
            elif frame.status in (200, 204):
                pending.results.extend(frame.data)
                pending.future.set_result(pending.results)
            else:
                error: GraphRequestError = parse_neptune_error(frame.status, frame.message)
                pending.future.set_exception(error)
