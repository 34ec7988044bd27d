"""The stdlib WebSocket client (framework/websocket.py) against small raw asyncio servers.

Each server here is written on asyncio streams with its own RFC 6455 framing (independent of
the client's code: the server unmasks what the client masked and checks the wire bytes), on
127.0.0.1 with an OS-chosen port. Failures are classified through the transport, as the client
sees them (ConnectionLost causes, CredentialsRejected).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import random
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from dataclasses import dataclass, field
from urllib.parse import parse_qs, urlsplit

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework import websocket
from framework.errors import ConnectionLost, CredentialsRejected
from framework.sigv4 import _host_header
from framework.transport import CloseInfo, WebSocketTransport

MAGIC = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# ---------------------------------------------------------------- a raw server's side of the protocol
@dataclass
class Request:
    target: str
    headers: dict[str, str]  # lower-case names


@dataclass
class ClientFrame:
    fin: bool
    opcode: int
    payload: bytes
    length_code: int  # the 7-bit length field as sent: <126, 126 or 127
    mask: bytes
    masked_wire: bytes  # the payload bytes as they crossed the wire


async def read_request(reader: asyncio.StreamReader) -> Request:
    head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1")
    request_line, *lines = head.split("\r\n")
    method, target, version = request_line.split(" ")
    assert (method, version) == ("GET", "HTTP/1.1")
    headers = {}
    for line in lines:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    return Request(target, headers)


def accept_for(key: str) -> str:
    return base64.b64encode(hashlib.sha1(key.encode() + MAGIC).digest()).decode()


def switching(request: Request, accept: str | None = None, extra: str = "") -> bytes:
    accept = accept_for(request.headers["sec-websocket-key"]) if accept is None else accept
    return (f"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Accept: {accept}\r\n{extra}\r\n").encode()


async def read_client_frame(reader: asyncio.StreamReader) -> ClientFrame:
    b0, b1 = await reader.readexactly(2)
    assert b1 & 0x80, "a client frame must be masked"
    assert not b0 & 0x70
    length_code = b1 & 0x7F
    n = length_code
    if n == 126:
        n = int.from_bytes(await reader.readexactly(2), "big")
    elif n == 127:
        n = int.from_bytes(await reader.readexactly(8), "big")
    mask = await reader.readexactly(4)
    wire = await reader.readexactly(n)
    payload = bytes(b ^ mask[i % 4] for i, b in enumerate(wire)) if n < 4096 else _unmask_slow_but_sure(wire, mask)
    return ClientFrame(bool(b0 & 0x80), b0 & 0x0F, payload, length_code, mask, wire)


def _unmask_slow_but_sure(wire: bytes, mask: bytes) -> bytes:
    out = bytearray(wire)
    for j in range(4):
        out[j::4] = bytes(b ^ mask[j] for b in wire[j::4])
    return bytes(out)


def server_frame(opcode: int, payload: bytes = b"", *, fin: bool = True, mask: bytes | None = None) -> bytes:
    n = len(payload)
    first = bytes([(0x80 if fin else 0) | opcode])
    mask_bit = 0x80 if mask else 0
    if n < 126:
        head = first + bytes([mask_bit | n])
    elif n < 65536:
        head = first + bytes([mask_bit | 126]) + n.to_bytes(2, "big")
    else:
        head = first + bytes([mask_bit | 127]) + n.to_bytes(8, "big")
    if mask:
        return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
    return head + payload


def close_payload(code: int, reason: str = "") -> bytes:
    return code.to_bytes(2, "big") + reason.encode()


Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class RawServer:
    port: int
    done: list[asyncio.Task[None]] = field(default_factory=list)

    def url(self, path: str = "/gremlin") -> str:
        return f"ws://127.0.0.1:{self.port}{path}"

    async def finished(self) -> None:
        """Wait for every connection handler (re-raising a failed server-side assertion)."""
        for task in self.done:
            await task


@contextlib.asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[RawServer]:
    writers: list[asyncio.StreamWriter] = []
    info = RawServer(0)

    async def run(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        writers.append(writer)
        try:
            await handler(reader, writer)
        finally:
            writer.close()

    async def on_connect(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        info.done.append(task)
        await run(reader, writer)

    server = await asyncio.start_server(on_connect, "127.0.0.1", 0)
    info.port = server.sockets[0].getsockname()[1]
    try:
        yield info
    finally:
        for w in writers:
            w.close()
        server.close()
        await server.wait_closed()


async def handshake(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> Request:
    request = await read_request(reader)
    writer.write(switching(request))
    await writer.drain()
    return request


async def expect_close(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> ClientFrame:
    """Read the client's close frame, answer it, and check the client then closes TCP."""
    frame = await read_client_frame(reader)
    assert frame.opcode == 0x8
    writer.write(server_frame(0x8, frame.payload[:2]))
    await writer.drain()
    assert await reader.read() == b""
    return frame


# ---------------------------------------------------------------- handshake
def test_host_header_matches_what_sigv4_signs():
    for url in ["wss://db.cluster-x.us-east-1.neptune.amazonaws.com:8182/gremlin",
                "wss://db.example.com:443/gremlin", "wss://db.example.com/gremlin", "ws://127.0.0.1:80/gremlin",
                "ws://127.0.0.1:8182/gremlin", "ws://[::1]:8182/gremlin", "wss://[::1]/gremlin",
                "ws://LocalHost:9000/gremlin?a=1", "wss://h:80/x"]:
        assert websocket.host_header(url)[1] == _host_header(url)[0], url
    assert websocket.host_header("ws://h:9/p?q=1&r=2")[3] == "/p?q=1&r=2"
    assert websocket.host_header("wss://h")[1:] == ("h", 443, "/")
    with pytest.raises(ValueError):
        websocket.host_header("https://h/")


async def test_handshake_sends_the_upgrade_and_the_callers_headers():
    seen: list[Request] = []

    async def handler(reader, writer):
        seen.append(await handshake(reader, writer))
        await expect_close(reader, writer)

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url("/gremlin?x=1"), headers={"Authorization": "AWS4 sig",
                                                                          "X-Amz-Date": "20260101T000000Z"})
        assert not ws.closed
        await ws.close()
        assert ws.closed and ws.ended == websocket.Ended(True, 1000, "", "close frame (code 1000)")
        await srv.finished()
    request = seen[0]
    assert request.target == "/gremlin?x=1"
    h = request.headers
    assert h["host"] == f"127.0.0.1:{srv.port}"
    assert (h["upgrade"].lower(), h["connection"].lower(), h["sec-websocket-version"]) == ("websocket", "upgrade", "13")
    assert len(base64.b64decode(h["sec-websocket-key"], validate=True)) == 16
    assert (h["authorization"], h["x-amz-date"]) == ("AWS4 sig", "20260101T000000Z")
    assert "sec-websocket-extensions" not in h  # no permessage-deflate offered


def test_accept_key_is_rfc_6455s_example():
    assert websocket.accept_key("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


@pytest.mark.parametrize(("answer", "why"), [
    (lambda r: switching(r, accept="d3JvbmcgYWNjZXB0IGtleSE="), "Sec-WebSocket-Accept"),
    (lambda r: switching(r).replace(b"Upgrade: websocket", b"Upgrade: h2c"), "not websocket"),
    (lambda r: switching(r).replace(b"Connection: Upgrade", b"Connection: keep-alive"), "Connection"),
    (lambda r: switching(r, extra="Sec-WebSocket-Extensions: permessage-deflate\r\n"), "extension"),
    (lambda r: b"SSH-2.0-OpenSSH\r\n\r\n", "not an HTTP/1.1 answer"),
])
async def test_an_invalid_acceptance_is_refused(answer, why):
    async def handler(reader, writer):
        writer.write(answer(await read_request(reader)))
        await writer.drain()
        await reader.read()

    async with raw_server(handler) as srv:
        with pytest.raises(ConnectionLost) as lost:
            await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
        await srv.finished()  # the client closed the socket it refused
    assert lost.value.cause == "handshake" and why in str(lost.value)


async def test_a_403_refusal_carries_neptunes_code_and_reason():
    body = b'{"code": "AccessDeniedException", "detailedMessage": "Credential should be scoped to a valid region"}'

    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 403 Forbidden\r\nContent-Type: application/json\r\n"
                     b"Content-Length: %d\r\n\r\n" % len(body) + body)
        await writer.drain()
        await reader.read()  # keep-alive: the server does not close; Content-Length ends the body

    async with raw_server(handler) as srv:
        with pytest.raises(CredentialsRejected) as rejected:
            await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
    err = rejected.value
    assert (err.status, err.code, err.detailed_message) == (403, "AccessDeniedException",
                                                           "Credential should be scoped to a valid region")
    assert str(err) == (f"handshake refused with HTTP 403 by {srv.url()}: AccessDeniedException: "
                        "Credential should be scoped to a valid region")


@pytest.mark.parametrize("framing", ["chunked", "until-close", "none"])
async def test_other_refusals_are_handshake_failures_with_the_body(framing):
    text = b'{"code": "TooManyRequestsException", "detailedMessage": "at most 1 connection"}'

    async def handler(reader, writer):
        await read_request(reader)
        if framing == "chunked":
            writer.write(b"HTTP/1.1 429 Too Many Requests\r\nTransfer-Encoding: chunked\r\n\r\n"
                         + b"%x\r\n%s\r\n" % (10, text[:10]) + b"%x\r\n%s\r\n0\r\n\r\n" % (len(text) - 10, text[10:]))
        elif framing == "until-close":
            writer.write(b"HTTP/1.1 429 Too Many Requests\r\n\r\n" + text)
        else:
            writer.write(b"HTTP/1.1 429 Too Many Requests\r\nContent-Length: 0\r\n\r\n")
        await writer.drain()

    async with raw_server(handler) as srv:
        with pytest.raises(ConnectionLost) as lost:
            await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
    err = lost.value
    assert (err.cause, err.status) == ("handshake", 429)
    if framing == "none":
        assert (err.code, err.detailed_message) == (None, "Too Many Requests")
    else:
        assert (err.code, err.detailed_message) == ("TooManyRequestsException", "at most 1 connection")


async def test_a_refusal_body_that_never_ends_is_cut_at_the_bound():
    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b"HTTP/1.1 500 Internal Server Error\r\n\r\n" + b"x" * (websocket.MAX_REFUSAL_BODY + 100))
        await writer.drain()
        await reader.read()  # never closes: the bound ends the read, not the timeout

    async with raw_server(handler) as srv:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(websocket.HandshakeRefused) as refused:
            await websocket.connect(srv.url(), timeout_s=5.0)
        assert loop.time() - started < websocket.REFUSAL_BODY_TIMEOUT_S
    assert refused.value.status == 500 and refused.value.body == b"x" * websocket.MAX_REFUSAL_BODY


@pytest.mark.parametrize("timeout_s", [0.2, 0.5])
async def test_a_refusal_whose_body_stalls_is_still_a_refusal_at_the_connect_deadline(timeout_s):
    """The body's read ends before the connect deadline (REFUSAL_BODY_MARGIN_S), so the caller gets the
    refusal with what came of the body, never a connect timeout that hides the status. Real time
    passing is what is tested: the server never sends the rest."""
    async def handler(reader, writer):
        await read_request(reader)
        writer.write(b'HTTP/1.1 403 Forbidden\r\nContent-Length: 100\r\n\r\n{"code": "AccessDenied')
        await writer.drain()
        await reader.read()

    async with raw_server(handler) as srv:
        with pytest.raises(websocket.HandshakeRefused) as refused:
            await websocket.connect(srv.url(), timeout_s=timeout_s)
    assert refused.value.status == 403 and refused.value.body == b'{"code": "AccessDenied'


async def test_a_server_that_never_answers_the_upgrade_times_out():
    arrived = asyncio.Event()

    async def handler(reader, writer):
        await read_request(reader)
        arrived.set()
        await reader.read()  # until the client gives up

    async with raw_server(handler) as srv:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(ConnectionLost) as lost:
            await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=0.3)
        elapsed = loop.time() - started
        await srv.finished()  # the client closed the TCP connection it gave up on
    assert arrived.is_set() and lost.value.cause == "connect_timeout"
    assert 0.3 <= elapsed < 2.0
    assert str(lost.value) == f"connecting to {srv.url()} took longer than 0.3 s"


async def test_a_server_that_closes_before_answering_is_refused():
    async def handler(reader, writer):
        await read_request(reader)

    async with raw_server(handler) as srv:
        with pytest.raises(ConnectionLost) as lost:
            await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
    assert lost.value.cause == "refused"


async def test_nothing_listening_is_refused():
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionLost) as lost:
        await WebSocketTransport.connect(f"ws://127.0.0.1:{port}/gremlin", headers={}, timeout_s=5.0)
    assert lost.value.cause == "refused" and "ConnectionRefusedError" in str(lost.value)


# ---------------------------------------------------------------- frames
@pytest.mark.parametrize(("size", "length_code"), [(0, 0), (125, 125), (126, 126), (65535, 126), (65536, 127),
                                                   (300_000, 127)])
async def test_each_length_class_is_masked_and_round_trips(size, length_code):
    payload = random.Random(size).randbytes(size)
    got: list[ClientFrame] = []

    async def handler(reader, writer):
        await handshake(reader, writer)
        for _ in range(2):
            frame = await read_client_frame(reader)
            got.append(frame)
            writer.write(server_frame(frame.opcode, frame.payload))
            await writer.drain()
        await expect_close(reader, writer)

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url())
        await ws.send(payload)
        assert await ws.receive() == payload
        await ws.send(payload)
        assert await ws.receive() == payload
        await ws.close()
        await srv.finished()
    for frame in got:
        assert (frame.fin, frame.opcode, frame.length_code, frame.payload) == (True, 0x2, length_code, payload)
        if size >= 8:
            assert frame.masked_wire != payload
    assert got[0].mask != got[1].mask  # a fresh key per frame


async def test_text_messages_are_str_and_binary_bytes():
    async def handler(reader, writer):
        await handshake(reader, writer)
        frame = await read_client_frame(reader)
        assert (frame.opcode, frame.payload) == (0x1, "héllo ✓".encode())
        writer.write(server_frame(0x1, "ça va ✓".encode()) + server_frame(0x2, b"\x00\xff"))
        await writer.drain()
        await expect_close(reader, writer)

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url())
        await ws.send("héllo ✓")
        assert await ws.receive() == "ça va ✓"
        assert await ws.receive() == b"\x00\xff"
        await ws.close()
        await srv.finished()


async def test_fragments_are_reassembled_and_a_ping_between_them_is_answered():
    pongs: list[ClientFrame] = []

    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0x2, b"abc", fin=False) + server_frame(0x9, b"ping-1")
                     + server_frame(0x0, b"def", fin=False) + server_frame(0x0, b"", fin=False)
                     + server_frame(0x0, b"g", fin=True)
                     + server_frame(0x1, "é".encode()[:1], fin=False) + server_frame(0x0, "é".encode()[1:]))
        await writer.drain()
        pongs.append(await read_client_frame(reader))
        await expect_close(reader, writer)

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url())
        assert await ws.receive() == b"abcdefg"
        assert await ws.receive() == "é"  # a UTF-8 sequence split across fragments
        await ws.close()
        await srv.finished()
    assert (pongs[0].opcode, pongs[0].payload) == (0xA, b"ping-1")


async def test_ping_is_answered_with_its_payload_and_pong_is_ignored():
    pongs: list[ClientFrame] = []

    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0xA, b"unsolicited") + server_frame(0x9, b"") + server_frame(0x9, b"p" * 125))
        await writer.drain()
        pongs.append(await read_client_frame(reader))
        pongs.append(await read_client_frame(reader))
        writer.write(server_frame(0x2, b"after"))
        await writer.drain()
        await expect_close(reader, writer)

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url())
        assert await ws.receive() == b"after"
        await ws.close()
        await srv.finished()
    assert [(f.opcode, f.payload) for f in pongs] == [(0xA, b""), (0xA, b"p" * 125)]


@pytest.mark.parametrize(("reason", "cause"), [("idle timeout", "idle"), ("closed by the endpoint", "closed"),
                                               ("", "closed")])
async def test_a_server_close_is_echoed_and_classified(reason, cause):
    echoed: list[ClientFrame] = []

    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0x8, close_payload(1001, reason)))
        await writer.drain()
        echoed.append(await read_client_frame(reader))
        assert await reader.read() == b""  # then the client closes the TCP connection

    async with raw_server(handler) as srv:
        transport = await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
        assert await transport.receive() is None
        await srv.finished()
    assert transport.closed
    assert transport.close_info == CloseInfo(cause, f"closed by server (code 1001: {reason or 'no reason'})")
    assert (echoed[0].opcode, echoed[0].payload) == (0x8, close_payload(1001))
    assert await transport.receive() is None  # stays ended
    with pytest.raises(ConnectionLost) as lost:
        await transport.send(b"x")
    assert lost.value.cause == "reset"
    await transport.close()
    assert transport.close_info.cause == cause  # the server's reason stays


async def test_a_close_frame_without_a_code_is_echoed_empty():
    echoed: list[ClientFrame] = []

    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0x8))
        await writer.drain()
        echoed.append(await read_client_frame(reader))

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url())
        assert await ws.receive() is None
        await srv.finished()
    assert ws.ended is not None and (ws.ended.code, ws.ended.reason) == (1005, "")
    assert (echoed[0].opcode, echoed[0].payload) == (0x8, b"")


@pytest.mark.parametrize(("frame", "code", "why"), [
    (server_frame(0x2, b"hidden", mask=b"\x01\x02\x03\x04"), 1002, "masked frame"),
    (bytes([0x82 | 0x40, 1]) + b"x", 1002, "reserved bits"),
    (server_frame(0x3, b"x"), 1002, "unknown opcode"),
    (server_frame(0x9, b"x", fin=False), 1002, "control frame"),
    (server_frame(0x0, b"x"), 1002, "continuation"),
    (server_frame(0x1, b"\xff\xfe"), 1007, "UTF-8"),
    (server_frame(0x8, b"\x03"), 1002, "1-byte"),
])
async def test_a_protocol_violation_ends_the_socket_as_a_reset(frame, code, why):
    closes: list[ClientFrame] = []

    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(frame)
        await writer.drain()
        closes.append(await read_client_frame(reader))
        assert await reader.read() == b""

    async with raw_server(handler) as srv:
        transport = await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
        assert await transport.receive() is None
        await srv.finished()
    assert transport.close_info is not None and transport.close_info.cause == "reset"
    assert why in transport.close_info.detail and "protocol error" in transport.close_info.detail
    assert (closes[0].opcode, closes[0].payload) == (0x8, code.to_bytes(2, "big"))


async def test_a_server_that_drops_the_connection_without_a_close_frame_is_a_reset():
    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0x2, b"partial", fin=False) + server_frame(0x0, b"1234")[:4])  # mid-frame
        await writer.drain()

    async with raw_server(handler) as srv:
        transport = await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
        assert await transport.receive() is None
    assert transport.close_info == CloseInfo("reset", "socket ended without a close frame (EOF)")
    assert transport.closed


async def test_message_size_bound_when_one_is_set():
    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0x2, b"a" * 60, fin=False) + server_frame(0x0, b"b" * 60))
        await writer.drain()
        assert (await read_client_frame(reader)).payload == (1009).to_bytes(2, "big")

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url(), max_message_size=100)
        assert await ws.receive() is None
        await srv.finished()
    assert ws.ended is not None and "exceeds 100 bytes" in ws.ended.detail


# ---------------------------------------------------------------- close from the client
async def test_client_close_while_another_task_reads():
    async def handler(reader, writer):
        await handshake(reader, writer)
        frame = await expect_close(reader, writer)
        assert frame.payload == close_payload(1000)

    async with raw_server(handler) as srv:
        transport = await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
        reading = asyncio.create_task(transport.receive())
        await asyncio.sleep(0)  # the reader is waiting for a frame
        await asyncio.gather(transport.close(), transport.close())  # concurrent closes: one close frame
        assert await reading is None
        await srv.finished()
    assert transport.close_info == CloseInfo("client", "closed by graphworker")


async def test_client_close_does_not_wait_past_its_timeout_for_a_silent_server():
    async def handler(reader, writer):
        await handshake(reader, writer)
        await read_client_frame(reader)  # and never answers it
        assert await reader.read() == b""

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url(), close_timeout_s=0.2)
        loop = asyncio.get_running_loop()
        started = loop.time()
        await ws.close()
        assert loop.time() - started < 1.5
        await srv.finished()
    assert ws.ended == websocket.Ended(False, None, "", "closed by the client")


# ---------------------------------------------------------------- random payloads through an echo server
async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Echo each message; ``?frag=N`` sends the answers in fragments of N bytes."""
    request = await handshake(reader, writer)
    frag = int(parse_qs(urlsplit(request.target).query).get("frag", ["0"])[0])
    while True:
        frame = await read_client_frame(reader)
        if frame.opcode == 0x8:
            writer.write(server_frame(0x8, frame.payload[:2]))
            await writer.drain()
            return
        data = frame.payload
        if frag and len(data) > frag:
            pieces = [data[i:i + frag] for i in range(0, len(data), frag)]
            out = [server_frame(frame.opcode if i == 0 else 0x0, p, fin=i == len(pieces) - 1)
                   for i, p in enumerate(pieces)]
            writer.write(b"".join(out))
        else:
            writer.write(server_frame(frame.opcode, data))
        await writer.drain()


@pytest.fixture(scope="module")
def echo_server() -> Iterator[int]:
    """The echo server on its own loop in a thread, so each hypothesis example runs a fresh loop."""
    loop = asyncio.new_event_loop()
    started = threading.Event()
    port: list[int] = []
    holder: list[contextlib.AbstractAsyncContextManager[RawServer]] = []
    stop = asyncio.Event()

    async def main() -> None:
        cm = raw_server(echo)
        holder.append(cm)
        async with cm as srv:
            port.append(srv.port)
            started.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(main(),), daemon=True)
    thread.start()
    started.wait(10)
    yield port[0]
    loop.call_soon_threadsafe(stop.set)
    thread.join(10)
    loop.close()


payloads = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=200),
    st.tuples(st.integers(0, 200_000), st.integers(0, 2**32)).map(lambda t: random.Random(t[1]).randbytes(t[0])),
)


@settings(max_examples=60, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(messages=st.lists(payloads, min_size=1, max_size=5), frag=st.sampled_from([0, 1, 7, 125, 126, 70_000]))
def test_random_messages_round_trip_through_an_echo_server(echo_server, messages, frag):
    async def run() -> list[bytes | str | None]:
        ws = await websocket.connect(f"ws://127.0.0.1:{echo_server}/echo?frag={frag}", timeout_s=10)
        got: list[bytes | str | None] = []
        try:
            for message in messages:
                await ws.send(message)
                got.append(await ws.receive())
        finally:
            await ws.close()
        assert ws.ended is not None and ws.ended.code == 1000
        return got

    assert asyncio.run(run()) == messages


def test_mask_matches_a_bytewise_xor():
    rng = random.Random(7)
    for n in [0, 1, 3, 4, 5, 8, 1000, 2047, 2048, 2049, 2050, 2051, 65537]:
        data, key = rng.randbytes(n), rng.randbytes(4)
        assert websocket._mask(data, key) == bytes(b ^ key[i % 4] for i, b in enumerate(data))
