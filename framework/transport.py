"""WebSocket transport on aiohttp: connect (with handshake headers), send, receive, close.

Why not gremlinpython's transport: its driver runs its own event loop and blocks on futures,
which collides with an async Lambda handler ("event loop is already running"). This transport
lives on the caller's loop and classifies every failure into graphworker's errors: a refused
or timed-out connect is :class:`ConnectionLost`, an HTTP 403 at the handshake is
:class:`CredentialsRejected` (stale SigV4 credentials), other handshake statuses are
:class:`ConnectionLost` with the status in the message.

Why read the refusal's body: Neptune says *why* it refused a handshake in a JSON body
(``{"code": "AccessDeniedException", "detailedMessage": "..."}``: wrong region in the credential
scope, unknown access key, expired token), and aiohttp's handshake error only says "Invalid
response status". A request-end trace hook reads the (small) body of a non-101 answer before
aiohttp discards it, so the error carries the server's own reason.
"""

from __future__ import annotations

import asyncio
import contextvars
import json
import ssl
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import aiohttp

from .errors import ConnectionLost, CredentialsRejected

MAX_REFUSAL_BODY = 8192
"""Bytes of a refused handshake's body kept for the error message."""

_refusal: contextvars.ContextVar[list[str] | None] = contextvars.ContextVar("graphworker_refusal", default=None)


async def _on_request_end(session: aiohttp.ClientSession, ctx: SimpleNamespace,
                          params: aiohttp.TraceRequestEndParams) -> None:
    sink = _refusal.get()
    response = params.response
    if sink is None or response.status == 101:
        return
    try:
        async with asyncio.timeout(1.0):
            body = await response.content.read(MAX_REFUSAL_BODY)
    except (TimeoutError, aiohttp.ClientError, ConnectionError):
        return
    sink.append(body.decode("utf-8", "replace"))


def trace_config() -> aiohttp.TraceConfig:
    """The session hook that keeps a refused handshake's body (pass to ``ClientSession(trace_configs=...)``)."""
    config = aiohttp.TraceConfig()
    config.on_request_end.append(_on_request_end)
    return config


def refusal_reason(body: str) -> tuple[str | None, str]:
    """(Neptune error code, reason) from a refused handshake's body (Neptune JSON or plain text)."""
    try:
        parsed: Any = json.loads(body)
    except ValueError:
        parsed = None
    if isinstance(parsed, dict) and isinstance(parsed.get("code"), str):
        return parsed["code"], str(parsed.get("detailedMessage") or parsed["code"])
    text = " ".join(body.split())[:500]
    return None, text


@dataclass(frozen=True, slots=True)
class CloseInfo:
    """Why a socket ended: ``cause`` is closed (close frame), idle, or reset (no close frame)."""

    cause: str
    detail: str


class WebSocketTransport:
    """One WebSocket. Create with :meth:`connect`."""

    def __init__(self, ws: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = ws
        self.close_info: CloseInfo | None = None

    @classmethod
    async def connect(cls, session: aiohttp.ClientSession, url: str, *, headers: dict[str, str],
                      timeout_s: float, ssl_context: ssl.SSLContext | bool | None = None) -> WebSocketTransport:
        refusal: list[str] = []
        token = _refusal.set(refusal)
        try:
            async with asyncio.timeout(timeout_s):
                ws = await session.ws_connect(
                    url, headers=headers, max_msg_size=0, autoping=True, autoclose=False,
                    ssl=ssl_context if ssl_context is not None else True,
                )
        except aiohttp.WSServerHandshakeError as exc:
            code, reason = refusal_reason(refusal[0]) if refusal else (None, exc.message)
            detail = f"{code}: {reason}" if code else reason
            message = f"handshake refused with HTTP {exc.status} by {url}: {detail}"
            if exc.status == 403:
                err: Exception = CredentialsRejected(message, status=403, code=code, detailed_message=reason)
            else:
                err = ConnectionLost(message, status=exc.status, cause="handshake", code=code,
                                     detailed_message=reason)
            raise err from exc
        except TimeoutError as exc:
            raise ConnectionLost(f"connecting to {url} took longer than {timeout_s:g} s",
                                 cause="connect_timeout") from exc
        except aiohttp.ClientSSLError as exc:
            raise ConnectionLost(f"TLS handshake with {url} failed: {exc}", cause="tls") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise ConnectionLost(f"cannot connect to {url}: {type(exc).__name__}: {exc}",
                                 cause="refused") from exc
        finally:
            _refusal.reset(token)
        return cls(ws)

    @property
    def closed(self) -> bool:
        return self._ws.closed or self.close_info is not None

    async def send(self, frame: bytes) -> None:
        try:
            await self._ws.send_bytes(frame)
        except (ConnectionError, RuntimeError, aiohttp.ClientError) as exc:
            self.close_info = self.close_info or CloseInfo("reset", f"send failed: {exc}")
            raise ConnectionLost(f"connection lost while sending: {exc}", cause="reset") from exc

    async def receive(self) -> bytes | str | None:
        """The next data frame, or None once the socket has ended (see ``close_info``)."""
        while True:
            msg = await self._ws.receive()
            if msg.type in (aiohttp.WSMsgType.BINARY, aiohttp.WSMsgType.TEXT):
                data: bytes | str = msg.data
                return data
            if msg.type == aiohttp.WSMsgType.CLOSE:
                reason = (msg.extra or "").strip() if isinstance(msg.extra, str) else ""
                cause = "idle" if "idle" in reason.lower() else "closed"
                detail = f"closed by server (code {msg.data}: {reason or 'no reason'})"
                self.close_info = CloseInfo(cause, detail)
                await self._ws.close()
                return None
            if msg.type in (aiohttp.WSMsgType.CLOSED, aiohttp.WSMsgType.CLOSING, aiohttp.WSMsgType.ERROR):
                if self.close_info is None:
                    detail = f"socket ended without a close frame ({msg.type.name}"
                    detail += f": {msg.data})" if msg.data else ")"
                    self.close_info = CloseInfo("reset", detail)
                return None
            # PING/PONG are handled by aiohttp (autoping); anything else is ignored.

    async def close(self) -> None:
        if self.close_info is None:
            self.close_info = CloseInfo("client", "closed by graphworker")
        if not self._ws.closed:
            try:
                await self._ws.close()
            except (ConnectionError, aiohttp.ClientError):
                pass
