"""The one-pass response reader agrees with gremlinpython on every frame it reads, and declines the rest.

Frames are written by the local endpoint's GraphBinary encoder (the same code that answers the
framework over the socket in the other tests), over random results, statuses, messages and
attributes; the reference is gremlinpython's ``deserialize_message`` as ``GremlinProtocol`` used
it before (``_unwrap`` of its result). Truncated and corrupted frames must never be read into
something gremlinpython would not read.
"""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.traversal import Traverser
from gremlin_python.statics import long
from gremlin_python.structure.graph import Vertex
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from framework.graphbinary_responses import read_response
from framework.protocol import GremlinProtocol, ProtocolError, ResponseFrame, _unwrap
from gwlocal.gremlin_server.wire.graphbinary import GraphBinarySerializer

ENCODER = GraphBinarySerializer()
REQUEST_ID = uuid.UUID("3c0a7e52-4f1d-4b8e-9a61-0d5e2f4c8b17")


def frame(data: Any, *, status: int = 200, message: str | None = "", attributes: dict[str, Any] | None = None,
          meta: dict[str, Any] | None = None, request_id: uuid.UUID | None = REQUEST_ID) -> bytes:
    return ENCODER.encode_response(request_id, status, message, attributes or {}, data, meta or {})


def gremlinpython(payload: bytes) -> ResponseFrame:
    message = GraphBinarySerializersV1().deserialize_message(payload)
    return ResponseFrame(str(message["requestId"]), int(message["status"]["code"]), message["status"]["message"],
                         _unwrap(message["result"]["data"]))


tokens = st.one_of(st.text(max_size=20), st.none())
results = st.one_of(
    st.none(),
    st.lists(tokens, max_size=8),
    st.lists(st.builds(Traverser, tokens, st.integers(0, 3)), max_size=8),
)
simple = st.one_of(st.text(max_size=8), st.integers(-(2**31), 2**31 - 1), st.builds(long, st.integers(0, 2**40)),
                   st.booleans(), st.none())
attributes = st.dictionaries(st.text(max_size=6), st.one_of(simple, st.lists(simple, max_size=3)), max_size=3)


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=results, status=st.sampled_from([200, 204, 206, 500, 597]), message=st.one_of(st.none(), st.text()),
       attrs=attributes, meta=attributes)
def test_frames_of_the_common_shape_read_as_gremlinpython_reads_them(data, status, message, attrs, meta) -> None:
    payload = frame(data, status=status, message=message, attributes=attrs, meta=meta)
    read = read_response(payload)
    assert read is not None
    assert ResponseFrame(*read) == gremlinpython(payload)
    assert GremlinProtocol("graphbinary-v1").decode(payload) == gremlinpython(payload)


@pytest.mark.parametrize("payload", [
    frame("one string, not a list"),
    frame([1, 2]),
    frame([Traverser(5, 2)]),
    frame([Vertex("v1", "L")]),
    frame({"a": "b"}),
    frame(["x"], attributes={"exceptions": [{"nested": "map"}]}),
    frame(["x"], request_id=None),
], ids=["string", "ints", "int-traverser", "vertex", "map", "nested-attribute", "null-id"])
def test_other_frames_are_left_to_gremlinpython(payload: bytes) -> None:
    assert read_response(payload) is None
    assert GremlinProtocol("graphbinary-v1").decode(payload) == gremlinpython(payload)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(data=results, attrs=attributes, cut=st.integers(0, 400),
       flip=st.tuples(st.integers(0, 400), st.integers(0, 255)))
def test_damaged_frames_are_never_read_differently(data, attrs, cut, flip) -> None:
    whole = frame(data, attributes=attrs)
    at, byte = flip
    flipped = bytearray(whole)
    flipped[at % len(whole)] = byte
    for damaged in (whole[:cut % len(whole)], bytes(flipped), whole + b"\x00"):
        read = read_response(damaged)
        if read is None:
            continue
        try:
            expected = gremlinpython(damaged)
        except Exception:  # gremlinpython cannot read it either: then neither may we
            pytest.fail(f"read a frame gremlinpython refuses: {damaged!r}")
        assert ResponseFrame(*read) == expected


def test_a_frame_neither_can_read_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError):
        GremlinProtocol("graphbinary-v1").decode(frame(["x"])[:20])
