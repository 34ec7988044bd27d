"""A client WebSocket (RFC 6455) on the standard library: asyncio streams, ``ssl``, ``hashlib``.

Why not aiohttp: a Lambda cold start pays for every import, and ``import aiohttp`` (its client:
attrs, yarl, multidict, ``email``, ``http.cookies``, ...) was about 100 ms of a 300 ms cold start
measured with ``python -X importtime``, all for one client WebSocket per execution context. The
protocol subset graphworker needs is small, so it is written here; everything it imports is
already loaded by ``asyncio``.

What is implemented:

- The HTTP/1.1 upgrade handshake: ``Host`` (the port omitted when it is the scheme's default,
  exactly what :func:`framework.sigv4._host_header` signs), ``Upgrade``, ``Connection``, a random
  ``Sec-WebSocket-Key``, ``Sec-WebSocket-Version: 13`` and the caller's headers (SigV4's
  ``Authorization``, ``X-Amz-Date``, ``X-Amz-Security-Token``). The answer must be 101 with
  ``Upgrade: websocket``, ``Connection: upgrade`` and the right ``Sec-WebSocket-Accept``; any other
  status is :class:`HandshakeRefused`, carrying up to :data:`MAX_REFUSAL_BODY` bytes of the
  body (``Content-Length``, chunked, or until the server closes; bounded by a short timeout),
  because Neptune says why it refused in that body.
- ``ws://`` and ``wss://`` (TLS with ``ssl.create_default_context()`` unless the caller passes a
  context, or ``False`` for no certificate verification; SNI from the URL's host).
- Frames: client frames masked with a fresh random key each; 7, 16 and 64-bit lengths; binary
  and text messages (text is returned as ``str``, checked as UTF-8); fragmented messages
  reassembled; a ping answered with a pong carrying its payload; pongs ignored; a close frame
  answered with a close frame echoing its code, its code and UTF-8 reason kept in
  :attr:`WebSocket.ended`. A server frame that breaks the protocol (masked, reserved bits,
  unknown opcode, fragmented or oversized control frame, a continuation out of place, invalid
  UTF-8) ends the socket with close code 1002/1007.
- Masking is pure Python (about 1 ns a byte from 2 KB up: ~45 us for a 40 KB request frame, where
  aiohttp's compiled helper took ~1 us; receiving a small answer costs less than aiohttp did):
  under 1% of a handler's CPU per message at graphworker's request sizes.
- Message size: unlimited by default (``max_message_size=0``), as the aiohttp transport was
  configured; a positive bound closes with 1009 when a message exceeds it.

What is not: extensions (no permessage-deflate: none is offered, and an answer that selects one
or a subprotocol is refused), subprotocols, HTTP proxies (aiohttp ignored the environment's proxy
variables too, ``trust_env=False``), redirects, cookies, HTTP authentication other than the
caller's headers, sending fragmented messages or pings, IDNA host names (Neptune endpoints are
ASCII).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import os
import ssl
from dataclasses import dataclass
from urllib.parse import urlsplit

__all__ = [
    "MAX_REFUSAL_BODY", "Ended", "HandshakeError", "HandshakeRefused", "ProtocolError", "WebSocket",
    "WebSocketClosed", "accept_key", "connect", "host_header",
]

GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
MAX_REFUSAL_BODY = 8192
"""Bytes of a refused handshake's body kept (Neptune's JSON reason fits easily)."""
REFUSAL_BODY_TIMEOUT_S = 1.0
REFUSAL_BODY_MARGIN_S = 0.05
"""A refusal's body is read until this long before the connect deadline at the latest, so its own
timeout always fires first and the refusal (with what arrived of the body) is what is raised, not a
connect timeout: with a margin of a millisecond both timeouts could expire in one loop pass."""
"""How long a refused handshake's body may take to arrive (within the connect timeout)."""
MAX_HEAD_BYTES = 65536
"""Bound on the handshake answer's status line and headers."""
CLOSE_TIMEOUT_S = 1.0
"""How long :meth:`WebSocket.close` waits for the server's close frame and the TCP close."""

_STREAM_LIMIT = 1 << 20  # the StreamReader's buffer high-water mark (and readuntil bound)
_DEFAULT_PORTS = {"ws": 80, "wss": 443}

OP_CONTINUATION, OP_TEXT, OP_BINARY = 0x0, 0x1, 0x2
OP_CLOSE, OP_PING, OP_PONG = 0x8, 0x9, 0xA
_DATA_OPCODES = frozenset({OP_TEXT, OP_BINARY})

_default_context: ssl.SSLContext | None = None
_unverified_context: ssl.SSLContext | None = None


class HandshakeError(Exception):
    """The server answered the upgrade, but not with a valid WebSocket acceptance."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class HandshakeRefused(HandshakeError):
    """The server answered the upgrade with a status other than 101; ``body`` is its (bounded) body."""

    def __init__(self, status: int, phrase: str, headers: dict[str, str], body: bytes) -> None:
        super().__init__(f"handshake refused with HTTP {status} {phrase}".rstrip(), status)
        self.phrase = phrase
        self.headers = headers
        self.body = body


class ProtocolError(Exception):
    """A server frame broke RFC 6455; ``code`` is the close code sent for it."""

    def __init__(self, message: str, code: int = 1002) -> None:
        super().__init__(message)
        self.code = code


class WebSocketClosed(ConnectionError):
    """Sending on a socket that is closing or has ended."""


@dataclass(frozen=True, slots=True)
class Ended:
    """How a socket ended. ``close_frame``: the server sent a close frame (``code``, ``reason``);
    otherwise the socket ended without one (``code`` None) and ``detail`` says how."""

    close_frame: bool
    code: int | None
    reason: str
    detail: str


def host_header(url: str) -> tuple[str, str, int, str]:
    """(scheme, host header value, port, request target) of a ``ws://``/``wss://`` URL.

    The ``Host`` value carries the port only when it is not the scheme's default: what aiohttp
    sends and :func:`framework.sigv4._host_header` signs (a test keeps the two equal).
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _DEFAULT_PORTS:
        raise ValueError(f"not a WebSocket URL (ws:// or wss://): {url!r}")
    host = parts.hostname
    if not host:
        raise ValueError(f"no host in {url!r}")
    port = parts.port or _DEFAULT_PORTS[scheme]
    value = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[scheme]:
        value = f"{value}:{port}"
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return scheme, value, port, target


def accept_key(key: str) -> str:
    """The ``Sec-WebSocket-Accept`` a server must answer to ``Sec-WebSocket-Key: key``."""
    return base64.b64encode(hashlib.sha1((key + GUID).encode("ascii")).digest()).decode("ascii")


_IDENTITY = int.from_bytes(bytes(range(256)), "big")
_xor_tables: dict[int, bytes] = {}
_STRIDED_FROM = 2048


def _xor_table(k: int) -> bytes:
    """The ``bytes.translate`` table mapping each byte to itself XOR ``k`` (at most 256, cached)."""
    table = _xor_tables.get(k)
    if table is None:
        table = _xor_tables[k] = (_IDENTITY ^ int.from_bytes(bytes((k,)) * 256, "big")).to_bytes(256, "big")
    return table


def _mask(payload: bytes, key: bytes) -> bytes:
    """``payload`` XOR the repeated 4-byte ``key`` (the payload of what :func:`encode_frame` sends)."""
    return bytes(encode_frame(OP_BINARY, payload, mask_key=key)[-len(payload):]) if payload else b""


def encode_frame(opcode: int, payload: bytes, *, fin: bool = True, mask_key: bytes | None = None) -> bytearray:
    """One client frame, masked with ``mask_key`` (a fresh random key when None).

    Small payloads are masked with one big-integer XOR. From a few KB up, the frame is built in
    one buffer and each of its 4 byte lanes (every 4th byte) goes through ``bytes.translate``
    with that key byte's XOR table: C loops, about 3x faster than the integer XOR.
    """
    key = os.urandom(4) if mask_key is None else mask_key
    n = len(payload)
    first = (0x80 if fin else 0) | opcode
    if n < 126:
        frame = bytearray((first, 0x80 | n))
    elif n < 65536:
        frame = bytearray((first, 0x80 | 126))
        frame += n.to_bytes(2, "big")
    else:
        frame = bytearray((first, 0x80 | 127))
        frame += n.to_bytes(8, "big")
    frame += key
    if n < _STRIDED_FROM:
        if n:
            stream = (key * ((n >> 2) + 1))[:n]
            frame += (int.from_bytes(payload, "little") ^ int.from_bytes(stream, "little")).to_bytes(n, "little")
        return frame
    start = len(frame)
    frame += payload
    for lane in range(4):
        frame[start + lane::4] = frame[start + lane::4].translate(_xor_table(key[lane]))
    return frame


def _ssl_context(verify: ssl.SSLContext | bool | None) -> ssl.SSLContext:
    global _default_context, _unverified_context
    if isinstance(verify, ssl.SSLContext):
        return verify
    if verify is False:
        if _unverified_context is None:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            _unverified_context = ctx
        return _unverified_context
    if _default_context is None:  # loading the CA store costs milliseconds: once per process
        _default_context = ssl.create_default_context()
    return _default_context


def _check_header(name: str, value: str) -> None:
    if any(c in name for c in "\r\n:") or not name.strip() or "\r" in value or "\n" in value:
        raise ValueError(f"invalid handshake header {name!r}")


async def connect(url: str, *, headers: dict[str, str] | None = None, timeout_s: float | None = None,
                  ssl_context: ssl.SSLContext | bool | None = None, max_message_size: int = 0,
                  close_timeout_s: float = CLOSE_TIMEOUT_S) -> WebSocket:
    """Open a client WebSocket to ``url``: TCP (+ TLS for ``wss://``) and the upgrade handshake,
    all within ``timeout_s`` (``TimeoutError``).

    Raises :class:`HandshakeRefused` (a non-101 answer, with its body), :class:`HandshakeError`
    (an invalid acceptance), ``ssl.SSLError`` (TLS), ``OSError`` (refused, unreachable, or the
    server closed the connection before answering).
    """
    scheme, host_value, port, target = host_header(url)
    hostname = urlsplit(url).hostname or ""
    key = base64.b64encode(os.urandom(16)).decode("ascii")
    lines = [f"GET {target} HTTP/1.1"]
    given = {name.lower() for name in (headers or {})}
    if "host" not in given:
        lines.append(f"Host: {host_value}")
    lines += ["Upgrade: websocket", "Connection: Upgrade", f"Sec-WebSocket-Key: {key}",
              "Sec-WebSocket-Version: 13"]
    for name, value in (headers or {}).items():
        _check_header(name, value)
        lines.append(f"{name}: {value}")
    request = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    tls = _ssl_context(ssl_context) if scheme == "wss" else None

    writer: asyncio.StreamWriter | None = None
    try:
        async with asyncio.timeout(timeout_s) as scope:
            reader, writer = await asyncio.open_connection(
                hostname, port, ssl=tls, server_hostname=hostname if tls else None, limit=_STREAM_LIMIT)
            writer.write(request)
            await writer.drain()
            status, phrase, answer = await _read_head(reader)
            if status != 101:
                body = await _read_refusal_body(reader, answer, scope.when())
                raise HandshakeRefused(status, phrase, answer, body)
            _validate_acceptance(answer, key)
    except BaseException:
        if writer is not None:
            writer.close()
        raise
    return WebSocket(reader, writer, max_message_size=max_message_size, close_timeout_s=close_timeout_s)


async def _read_head(reader: asyncio.StreamReader) -> tuple[int, str, dict[str, str]]:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as exc:
        raise ConnectionResetError("the server closed the connection before answering the handshake") from exc
    except asyncio.LimitOverrunError as exc:
        raise HandshakeError("the handshake answer's headers are too long") from exc
    if len(head) > MAX_HEAD_BYTES:
        raise HandshakeError("the handshake answer's headers are too long")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    version, _, rest = status_line.partition(" ")
    code, _, phrase = rest.partition(" ")
    if not version.startswith("HTTP/1.") or len(code) != 3 or not code.isdigit():
        raise HandshakeError(f"not an HTTP/1.1 answer to the handshake: {status_line[:80]!r}")
    answer: dict[str, str] = {}
    for line in header_lines:
        if not line:
            continue
        name, sep, value = line.partition(":")
        if not sep:
            raise HandshakeError(f"malformed header in the handshake answer: {line[:80]!r}")
        name = name.strip().lower()
        value = value.strip()
        answer[name] = f"{answer[name]}, {value}" if name in answer else value
    return int(code), phrase.strip(), answer


async def _read_refusal_body(reader: asyncio.StreamReader, answer: dict[str, str], deadline: float | None) -> bytes:
    """Up to MAX_REFUSAL_BODY bytes of a refusal's body; what arrived when the short timeout ends."""
    loop_deadline = asyncio.get_running_loop().time() + REFUSAL_BODY_TIMEOUT_S
    if deadline is not None:
        loop_deadline = min(loop_deadline, deadline - REFUSAL_BODY_MARGIN_S)
    got = bytearray()
    try:
        async with asyncio.timeout_at(loop_deadline):
            if "chunked" in answer.get("transfer-encoding", "").lower():
                while len(got) < MAX_REFUSAL_BODY:
                    size_line = await reader.readuntil(b"\r\n")
                    size = int(size_line.split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        break
                    got += await reader.readexactly(size)
                    await reader.readexactly(2)
            elif "content-length" in answer:
                length = min(int(answer["content-length"]), MAX_REFUSAL_BODY)
                while len(got) < length:
                    chunk = await reader.read(length - len(got))
                    if not chunk:
                        break
                    got += chunk
            else:
                while len(got) < MAX_REFUSAL_BODY:
                    chunk = await reader.read(MAX_REFUSAL_BODY - len(got))
                    if not chunk:
                        break
                    got += chunk
    except (TimeoutError, ValueError, OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError):
        pass  # the status is the refusal; the body is only its explanation
    return bytes(got[:MAX_REFUSAL_BODY])


def _validate_acceptance(answer: dict[str, str], key: str) -> None:
    if answer.get("upgrade", "").lower() != "websocket":
        raise HandshakeError(f"the answer upgrades to {answer.get('upgrade')!r}, not websocket", 101)
    if "upgrade" not in {t.strip().lower() for t in answer.get("connection", "").split(",")}:
        raise HandshakeError("the answer's Connection header does not say upgrade", 101)
    if answer.get("sec-websocket-accept") != accept_key(key):
        raise HandshakeError("the answer's Sec-WebSocket-Accept does not match the key sent", 101)
    if answer.get("sec-websocket-extensions"):
        raise HandshakeError("the server selected an extension none was offered for", 101)
    if answer.get("sec-websocket-protocol"):
        raise HandshakeError("the server selected a subprotocol none was offered for", 101)


class WebSocket:
    """An open client WebSocket. :meth:`receive` must be called by one task at a time;
    :meth:`send` and :meth:`close` may be called from any task."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, *, max_message_size: int = 0,
                 close_timeout_s: float = CLOSE_TIMEOUT_S) -> None:
        self._reader = reader
        self._writer = writer
        self.max_message_size = max_message_size
        self.close_timeout_s = close_timeout_s
        self.ended: Ended | None = None
        self._close_sent = False
        self._receiving = False
        self._ended_event = asyncio.Event()
        self._shut_event = asyncio.Event()
        self._closing = False

    @property
    def closed(self) -> bool:
        """True once a close frame was sent or the socket ended."""
        return self._close_sent or self.ended is not None

    async def send(self, data: bytes | str) -> None:
        """Send one message (a text frame for ``str``, a binary frame for ``bytes``)."""
        if self.closed:
            raise WebSocketClosed("the WebSocket is closed")
        if isinstance(data, str):
            self._writer.write(encode_frame(OP_TEXT, data.encode("utf-8")))
        else:
            self._writer.write(encode_frame(OP_BINARY, data))
        await self._writer.drain()

    async def receive(self) -> bytes | str | None:
        """The next message, or None once the socket has ended (see :attr:`ended`)."""
        if self.ended is not None:
            return None
        if self._receiving:  # close() is reading until the server's close frame
            await self._ended_event.wait()
            return None
        self._receiving = True
        try:
            return await self._receive()
        finally:
            self._receiving = False

    async def _receive(self) -> bytes | str | None:
        parts: list[bytes] = []
        size = 0
        text = False
        while True:
            try:
                fin, opcode, payload = await self._read_frame()
                if opcode in _DATA_OPCODES or opcode == OP_CONTINUATION:
                    if (opcode == OP_CONTINUATION) != bool(parts):
                        raise ProtocolError("a continuation frame without a message to continue"
                                            if parts == [] else "a new message inside a fragmented one")
                    if opcode != OP_CONTINUATION:
                        text = opcode == OP_TEXT
                    size += len(payload)
                    if self.max_message_size and size > self.max_message_size:
                        raise ProtocolError(f"a message exceeds {self.max_message_size} bytes", 1009)
                    if not fin:
                        parts.append(payload)
                        continue
                    message = b"".join((*parts, payload)) if parts else payload
                    if text:
                        try:
                            return message.decode("utf-8")
                        except UnicodeDecodeError as exc:
                            raise ProtocolError("a text message that is not UTF-8", 1007) from exc
                    return message
                if opcode == OP_PING:
                    if not self._close_sent:
                        self._writer.write(encode_frame(OP_PONG, payload))
                        await self._writer.drain()
                    continue
                if opcode == OP_PONG:
                    continue
                # OP_CLOSE (_read_frame refuses unknown opcodes)
                code, reason = _parse_close(payload)
            except ProtocolError as exc:
                await self._protocol_failure(exc)
                return None
            except (asyncio.IncompleteReadError, OSError) as exc:
                if isinstance(exc, asyncio.IncompleteReadError):
                    how = "EOF"
                else:
                    how = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self._end(Ended(False, None, "", how))
                self._shutdown()
                return None
            if not self._close_sent:
                self._close_sent = True
                echo = b"" if code == 1005 else code.to_bytes(2, "big")
                with contextlib.suppress(OSError, RuntimeError):
                    self._writer.write(encode_frame(OP_CLOSE, echo))
            self._end(Ended(True, code, reason, f"close frame (code {code})"))
            await self._shutdown_and_wait()
            return None

    async def _read_frame(self) -> tuple[bool, int, bytes]:
        read = self._reader.readexactly
        b0, b1 = await read(2)
        if b0 & 0x70:
            raise ProtocolError("a frame with reserved bits set (no extension was negotiated)")
        if b1 & 0x80:
            raise ProtocolError("a masked frame from the server")
        fin, opcode, n = bool(b0 & 0x80), b0 & 0x0F, b1 & 0x7F
        if opcode >= 0x8:
            if opcode not in (OP_CLOSE, OP_PING, OP_PONG):
                raise ProtocolError(f"a frame with the unknown opcode {opcode:#x}")
            if not fin or n > 125:
                raise ProtocolError("a fragmented or oversized control frame")
        elif opcode not in (OP_CONTINUATION, OP_TEXT, OP_BINARY):
            raise ProtocolError(f"a frame with the unknown opcode {opcode:#x}")
        if n == 126:
            n = int.from_bytes(await read(2), "big")
        elif n == 127:
            n = int.from_bytes(await read(8), "big")
            if n >> 63:
                raise ProtocolError("a frame length with the most significant bit set")
        if self.max_message_size and n > self.max_message_size:
            raise ProtocolError(f"a frame exceeds {self.max_message_size} bytes", 1009)
        return fin, opcode, (await read(n) if n else b"")

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """Close: send a close frame, wait (``close_timeout_s``) for the server's, close the socket.
        Idempotent; a second caller waits for the first one's close to finish."""
        if self._closing:
            await self._shut_event.wait()
            return
        self._closing = True
        try:
            if self.ended is None and not self._close_sent:
                self._close_sent = True
                payload = code.to_bytes(2, "big") + reason.encode("utf-8")[:123]
                with contextlib.suppress(TimeoutError, OSError, RuntimeError):
                    async with asyncio.timeout(self.close_timeout_s):
                        self._writer.write(encode_frame(OP_CLOSE, payload))
                        await self._writer.drain()
                        if self._receiving:  # another task reads: it will see the server's close frame
                            await self._ended_event.wait()
                        else:
                            self._receiving = True
                            try:
                                while self.ended is None:
                                    await self._receive()  # data arriving before the close frame is dropped
                            finally:
                                self._receiving = False
            if self.ended is None:
                self._end(Ended(False, None, "", "closed by the client"))
            await self._shutdown_and_wait()
        finally:
            self._shut_event.set()

    # ------------------------------------------------------------------ internals
    def _end(self, ended: Ended) -> None:
        if self.ended is None:
            self.ended = ended
        self._ended_event.set()

    def _shutdown(self) -> None:
        if not self._writer.is_closing():
            self._writer.close()

    async def _shutdown_and_wait(self) -> None:
        self._shutdown()
        with contextlib.suppress(TimeoutError, OSError, RuntimeError):
            async with asyncio.timeout(self.close_timeout_s):
                await self._writer.wait_closed()

    async def _protocol_failure(self, exc: ProtocolError) -> None:
        if not self._close_sent:
            self._close_sent = True
            with contextlib.suppress(OSError, RuntimeError):
                self._writer.write(encode_frame(OP_CLOSE, exc.code.to_bytes(2, "big")))
        self._end(Ended(False, None, "", f"protocol error: {exc}"))
        await self._shutdown_and_wait()


def _parse_close(payload: bytes) -> tuple[int, str]:
    if not payload:
        return 1005, ""
    if len(payload) == 1:
        raise ProtocolError("a close frame with a 1-byte body")
    code = int.from_bytes(payload[:2], "big")
    if code < 1000 or code in (1004, 1005, 1006, 1015) or 1015 < code < 3000 or code >= 5000:
        raise ProtocolError(f"a close frame with the invalid code {code}")
    try:
        reason = payload[2:].decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProtocolError("a close frame whose reason is not UTF-8", 1007) from exc
    return code, reason
