"""framework/websocket.py edge cases: header checks, the refusal body reader, TLS contexts, how a socket ended.

The refusal body reader is driven through a real ``asyncio.StreamReader`` fed by the test, which
waits for each of the reader's reads before feeding more: the body then arrives in known pieces,
as it can over a socket, without timing. Handshake deadlines go through real sockets.
"""

from __future__ import annotations

import asyncio
import ssl

import pytest

from framework import websocket

from .test_websocket import handshake, raw_server, read_client_frame, server_frame


# ---------------------------------------------------------------- handshake headers
@pytest.mark.parametrize(("name", "value"), [
    ("X-A:B", "v"),        # a colon in the name
    ("X-A\nB", "v"),       # a line break in the name
    (" ", "v"),            # a blank name
    ("X-A", "one\rtwo"),   # a lone CR in the value
    ("X-A", "one\ntwo"),   # a lone LF in the value
])
async def test_a_header_that_would_break_the_request_is_refused_before_connecting(name, value):
    with pytest.raises(ValueError) as refused:
        await websocket.connect("ws://127.0.0.1:9/gremlin", headers={name: value}, timeout_s=5.0)
    assert str(refused.value) == f"invalid handshake header {name!r}"


def test_handshake_refused_says_status_and_phrase_and_keeps_the_headers():
    with_phrase = websocket.HandshakeRefused(403, "Forbidden", {"x-a": "1"}, b"why")
    assert (str(with_phrase), with_phrase.status, with_phrase.phrase) == ("handshake refused with HTTP 403 Forbidden",
                                                                          403, "Forbidden")
    assert (with_phrase.headers, with_phrase.body) == ({"x-a": "1"}, b"why")
    assert str(websocket.HandshakeRefused(500, "", {}, b"")) == "handshake refused with HTTP 500"


# ---------------------------------------------------------------- TLS contexts
def test_tls_contexts_verify_unless_told_not_to_and_are_made_once(monkeypatch):
    monkeypatch.setattr(websocket, "_default_context", None)
    monkeypatch.setattr(websocket, "_unverified_context", None)
    verified = websocket._ssl_context(None)
    assert isinstance(verified, ssl.SSLContext)
    assert (verified.check_hostname, verified.verify_mode) == (True, ssl.CERT_REQUIRED)
    assert websocket._ssl_context(True) is verified and websocket._ssl_context(None) is verified
    unverified = websocket._ssl_context(False)
    assert isinstance(unverified, ssl.SSLContext) and unverified is not verified
    assert (unverified.check_hostname, unverified.verify_mode) == (False, ssl.CERT_NONE)
    assert websocket._ssl_context(False) is unverified
    own = ssl.create_default_context()
    assert websocket._ssl_context(own) is own


# ---------------------------------------------------------------- the refusal body, piece by piece
class SteppedReader(asyncio.StreamReader):
    """A StreamReader that reports each ``read``, so the test feeds the next piece after it."""

    def __init__(self) -> None:
        super().__init__()
        self.reads: asyncio.Queue[int] = asyncio.Queue()

    async def read(self, n: int = -1) -> bytes:
        data = await super().read(n)
        self.reads.put_nowait(len(data))
        return data


async def read_body_in_pieces(answer: dict[str, str], pieces: list[bytes], deadline: float | None = None) -> bytes:
    reader = SteppedReader()
    reader.feed_data(pieces[0])
    body = asyncio.create_task(websocket._read_refusal_body(reader, answer, deadline))
    for piece in pieces[1:]:
        await reader.reads.get()  # the reader took what was there; the next piece arrives later
        reader.feed_data(piece)
    reader.feed_eof()
    return await body


async def test_a_content_length_body_in_pieces_stops_at_its_length():
    body = await read_body_in_pieces({"content-length": "5"}, [b"hel", b"loEXTRA"])
    assert body == b"hello"


async def test_a_content_length_body_cut_short_by_the_server_keeps_what_came():
    body = await read_body_in_pieces({"content-length": "100"}, [b"short", b""])
    assert body == b"short"


async def test_a_body_without_framing_in_pieces_is_read_until_the_server_closes():
    body = await read_body_in_pieces({}, [b"hel", b"lo"])
    assert body == b"hello"


async def test_without_a_connect_deadline_the_body_still_has_its_own_short_timeout():
    # deadline None (connect without timeout_s): REFUSAL_BODY_TIMEOUT_S from now bounds the read
    body = await read_body_in_pieces({"content-length": "10"}, [b"hel", b"lo"], deadline=None)
    assert body == b"hello"


async def test_a_connect_deadline_after_the_short_timeout_leaves_the_body_time_to_arrive():
    deadline = asyncio.get_running_loop().time() + 0.5  # the body's timeout is the earlier of the two
    body = await read_body_in_pieces({"content-length": "10"}, [b"hel", b"lo"], deadline=deadline)
    assert body == b"hello"


async def test_chunk_extensions_and_one_byte_chunks_are_read():
    reader = asyncio.StreamReader()
    reader.feed_data(b"1;name=x;other\r\na\r\n3;ext\r\nbcd\r\n2\r\nef\r\n0\r\n\r\n")
    body = await websocket._read_refusal_body(reader, {"transfer-encoding": "chunked"}, None)
    assert body == b"abcdef"


async def test_a_body_that_stops_arriving_is_cut_by_the_short_timeout(monkeypatch):
    monkeypatch.setattr(websocket, "REFUSAL_BODY_TIMEOUT_S", 0.05)
    reader = asyncio.StreamReader()
    reader.feed_data(b"part")  # of 100 bytes; the rest never comes and the server never closes
    body = await websocket._read_refusal_body(reader, {"content-length": "100"}, None)
    assert body == b"part"


# ---------------------------------------------------------------- how a socket ended
async def test_a_protocol_error_ends_the_socket_without_a_close_frame_reason():
    async def handler(reader, writer):
        await handshake(reader, writer)
        writer.write(server_frame(0x3, b"x"))
        await writer.drain()
        await read_client_frame(reader)
        assert await reader.read() == b""

    async with raw_server(handler) as srv:
        ws = await websocket.connect(srv.url(), timeout_s=5.0)
        assert await ws.receive() is None
        await srv.finished()
    assert ws.ended == websocket.Ended(False, None, "", "protocol error: a frame with the unknown opcode 0x3")
    assert ws.closed
