"""WebSocket transport: connect (with handshake headers), send, receive, close, failures classified.

Why not gremlinpython's transport: its driver runs its own event loop and blocks on futures,
which collides with an async Lambda handler ("event loop is already running"). This transport
lives on the caller's loop and classifies every failure into graphworker's errors: a refused
or timed-out connect is :class:`ConnectionLost`, an HTTP 403 at the handshake is
:class:`CredentialsRejected` (stale SigV4 credentials), other handshake statuses are
:class:`ConnectionLost` with the status in the message.

Why not aiohttp (which this transport was built on): importing ``aiohttp.client`` cost ~100 ms
of a ~300 ms cold start (attrs, yarl, multidict, ``email``, ``http.cookies``, ...; measured with
``python -X importtime``), paid by every new execution context for one client WebSocket. The
socket is now :mod:`framework.websocket`, an RFC 6455 client on the standard library (asyncio
streams, ``ssl``): no extensions (no permessage-deflate, which graphworker never negotiated), no
HTTP proxies (aiohttp ran with ``trust_env=False`` and ignored them too), unlimited message size
as before. Importing a handler and writing never imports aiohttp.

Why read the refusal's body: Neptune says *why* it refused a handshake in a JSON body
(``{"code": "AccessDeniedException", "detailedMessage": "..."}``: wrong region in the credential
scope, unknown access key, expired token); the WebSocket client keeps up to
:data:`MAX_REFUSAL_BODY` bytes of a non-101 answer's body, so the error carries the server's own
reason.
"""

from __future__ import annotations

import json
import ssl
from dataclasses import dataclass
from typing import Any

from . import websocket
from .errors import ConnectionLost, CredentialsRejected
from .websocket import MAX_REFUSAL_BODY

__all__ = ["MAX_REFUSAL_BODY", "CloseInfo", "WebSocketTransport", "refusal_reason"]


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

    def __init__(self, ws: websocket.WebSocket) -> None:
        self._ws = ws
        self.close_info: CloseInfo | None = None

    @classmethod
    async def connect(cls, url: str, *, headers: dict[str, str], timeout_s: float,
                      ssl_context: ssl.SSLContext | bool | None = None) -> WebSocketTransport:
        """Open ``url`` (``ws://`` or ``wss://``) within ``timeout_s``. ``ssl_context``: None for
        ``ssl.create_default_context()``, a context, or False for no certificate verification."""
        try:
            ws = await websocket.connect(url, headers=headers, timeout_s=timeout_s, ssl_context=ssl_context)
        except websocket.HandshakeRefused as exc:
            body = exc.body.decode("utf-8", "replace")
            code, reason = refusal_reason(body) if body.strip() else (None, exc.phrase or "no reason given")
            detail = f"{code}: {reason}" if code else reason
            message = f"handshake refused with HTTP {exc.status} by {url}: {detail}"
            if exc.status == 403:
                err: Exception = CredentialsRejected(message, status=403, code=code, detailed_message=reason)
            else:
                err = ConnectionLost(message, status=exc.status, cause="handshake", code=code,
                                     detailed_message=reason)
            raise err from exc
        except websocket.HandshakeError as exc:
            raise ConnectionLost(f"handshake with {url} failed: {exc}", status=exc.status,
                                 cause="handshake") from exc
        except TimeoutError as exc:
            raise ConnectionLost(f"connecting to {url} took longer than {timeout_s:g} s",
                                 cause="connect_timeout") from exc
        except ssl.SSLError as exc:  # before OSError: SSLError is one
            raise ConnectionLost(f"TLS handshake with {url} failed: {exc}", cause="tls") from exc
        except (OSError, ValueError) as exc:
            raise ConnectionLost(f"cannot connect to {url}: {type(exc).__name__}: {exc}",
                                 cause="refused") from exc
        return cls(ws)

    @property
    def closed(self) -> bool:
        return self._ws.closed or self.close_info is not None

    async def send(self, frame: bytes) -> None:
        try:
            await self._ws.send(frame)
        except (ConnectionError, OSError, RuntimeError) as exc:
            self.close_info = self.close_info or CloseInfo("reset", f"send failed: {exc}")
            raise ConnectionLost(f"connection lost while sending: {exc}", cause="reset") from exc

    async def receive(self) -> bytes | str | None:
        """The next data frame, or None once the socket has ended (see ``close_info``)."""
        data = await self._ws.receive()
        if data is not None:
            return data
        ended = self._ws.ended
        if self.close_info is None:
            if ended is not None and ended.close_frame:
                reason = ended.reason.strip()
                cause = "idle" if "idle" in reason.lower() else "closed"
                self.close_info = CloseInfo(cause, f"closed by server (code {ended.code}: {reason or 'no reason'})")
            else:
                how = ended.detail if ended is not None else "closed"
                self.close_info = CloseInfo("reset", f"socket ended without a close frame ({how})")
        return None

    async def close(self) -> None:
        if self.close_info is None:
            self.close_info = CloseInfo("client", "closed by graphworker")
        await self._ws.close()
