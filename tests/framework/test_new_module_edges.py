"""Edges of gremlin_steps, the transport's send failures, the response reader's declines and SQS answers.

Each test here pins a behaviour a mutation run found untested (see tests/mutation); sockets are real
(the raw WebSocket server of test_websocket, an aiohttp server on a free port).
"""

from __future__ import annotations

import struct
import uuid
from collections.abc import AsyncIterator

import pytest
from aiohttp import web
from gremlin_python.process.traversal import Bytecode

from framework.errors import ConnectionLost
from framework.graphbinary_responses import read_response
from framework.gremlin_steps import Steps, __, _converted
from framework.signing import FrozenCredentials
from framework.sqs_api import SqsApi, SqsApiError
from framework.transport import CloseInfo, WebSocketTransport

from .test_sqs_api import posts_served_by
from .test_websocket import expect_close, handshake, raw_server


# ---------------------------------------------------------------- gremlin_steps
def test_steps_keep_their_arguments() -> None:
    assert Steps().both_e("L").instructions == [("bothE", "L")]
    assert Steps().properties("k", "j").instructions == [("properties", "k", "j")]


def test_lists_in_arguments_are_converted_item_by_item() -> None:
    converted = _converted([1, __.identity(), "a"])
    assert converted[0] == 1 and converted[2] == "a"
    assert isinstance(converted[1], Bytecode) and converted[1].step_instructions == [["identity"]]


# ---------------------------------------------------------------- the transport's send
async def test_a_send_that_fails_is_a_reset_saying_why() -> None:
    async def handler(reader, writer):
        await handshake(reader, writer)
        await expect_close(reader, writer)

    async with raw_server(handler) as srv:
        transport = await WebSocketTransport.connect(srv.url(), headers={}, timeout_s=5.0)
        await transport._ws.close()  # the socket ends under the transport (close_info not set by it)
        with pytest.raises(ConnectionLost) as lost:
            await transport.send(b"frame")
        await srv.finished()
    assert str(lost.value) == "connection lost while sending: the WebSocket is closed"
    assert lost.value.cause == "reset"
    assert transport.close_info == CloseInfo("reset", "send failed: the WebSocket is closed")


# ---------------------------------------------------------------- the response reader declines
def response(result: bytes, attributes: bytes = b"\x00\x00\x00\x00") -> bytes:
    return (b"\x81\x00" + uuid.uuid4().bytes + struct.pack(">i", 200) + b"\x01" + attributes
            + b"\x00\x00\x00\x00" + result)


def string(text: str) -> bytes:
    data = text.encode()
    return b"\x03\x00" + struct.pack(">i", len(data)) + data


def test_a_set_result_is_left_to_gremlinpython() -> None:
    set_of_strings = b"\x0b\x00" + struct.pack(">i", 2) + string("a") + string("b")
    assert read_response(response(set_of_strings)) is None
    assert read_response(response(b"\x09\x00" + struct.pack(">i", 2) + string("a") + string("b")))[3] == ["a", "b"]


def test_attribute_keys_that_are_not_present_strings_are_left_to_gremlinpython() -> None:
    empty_list = b"\x09\x00" + struct.pack(">i", 0)
    int_key = struct.pack(">i", 1) + b"\x01\x00" + struct.pack(">i", 0) + string("v")  # Int 0 -> "v"
    null_key = struct.pack(">i", 1) + b"\x03\x01" + string("v")
    assert read_response(response(empty_list, int_key)) is None
    assert read_response(response(empty_list, null_key)) is None


# ---------------------------------------------------------------- SQS answers
class Fixed:
    async def get(self, *, refresh: bool = False) -> FrozenCredentials:
        return FrozenCredentials("AKIDTEST", "secret", None)


@pytest.fixture
async def answering() -> AsyncIterator[tuple[str, list[tuple[int, str]], list[dict[str, str]]]]:
    """A server answering each POST with the next (status, body) queued; it records the request headers."""
    answers: list[tuple[int, str]] = []
    seen: list[dict[str, str]] = []

    async def handle(request: web.Request) -> web.Response:
        seen.append(dict(request.headers))
        status, body = answers.pop(0)
        return web.Response(status=status, text=body, content_type="application/x-amz-json-1.0")

    async with posts_served_by(handle) as url:
        yield url + "//", answers, seen


@pytest.mark.parametrize(("status", "body", "code", "message"), [
    (400, '{"__type": "com.amazon#a#QueueDoesNotExist", "message": "no such queue"}', "QueueDoesNotExist",
     "no such queue"),
    (400, '{"__type": "InvalidParameterValue", "Message": "capitalised"}', "InvalidParameterValue", "capitalised"),
    (500, "", "HTTP 500", ""),
    (503, "<html>busy</html>" + "x" * 300, "HTTP 503", "<html>busy</html>" + "x" * 183),
    (200, "[1, 2]", "InvalidResponse", "[1, 2]"),
    (200, "[" + "1, " * 100 + "1]", "InvalidResponse", ("[" + "1, " * 100)[:200]),
])
async def test_sqs_error_answers_say_code_and_message(answering, status, body, code, message) -> None:
    url, answers, seen = answering
    answers.append((status, body))
    api = SqsApi("eu-west-1", endpoint=url, credentials=Fixed())
    assert api.url == url.rstrip("/") + "/" and api.region == "eu-west-1"
    try:
        with pytest.raises(SqsApiError) as failed:
            await api.call("GetQueueUrl", {"QueueName": "q"})
    finally:
        await api.close()
    assert (failed.value.action, failed.value.code) == ("GetQueueUrl", code)
    assert str(failed.value) == f"SQS GetQueueUrl failed: {code}: {message}"
    assert seen[0]["Content-Type"] == "application/x-amz-json-1.0"
    assert seen[0]["Authorization"].startswith("AWS4-HMAC-SHA256 Credential=AKIDTEST/")


async def test_an_empty_answer_is_an_empty_result(answering) -> None:
    url, answers, _ = answering
    answers.append((200, ""))
    api = SqsApi("eu-west-1", endpoint=url, credentials=Fixed())
    try:
        assert await api.call("GetQueueUrl", {"QueueName": "q"}) == {}
    finally:
        await api.close()


async def test_a_closed_client_says_so() -> None:
    api = SqsApi("eu-west-1", endpoint="http://127.0.0.1:9", credentials=Fixed())
    assert api._timeout.total == 5.0  # the default bound of each call
    assert not api._closed and api._closed is False
    await api.close()
    with pytest.raises(SqsApiError) as failed:
        await api.call("GetQueueUrl", {})
    assert (failed.value.action, failed.value.code) == ("GetQueueUrl", "ClientClosed")
    assert str(failed.value) == "SQS GetQueueUrl failed: ClientClosed: the client was closed"
