"""Decoding response frames: results as plain values whatever shape the server sends them in,
and an exact ProtocolError for a frame that cannot be read.

Frames here are GraphSON v3 text written by hand, the wire format a Gremlin server sends. Also:
the contract of a PreparedRequest (its bytecode is required; its fast frame is optional).
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from gremlin_python.process.graph_traversal import __

from framework.protocol import GremlinProtocol, PreparedRequest, ProtocolError

RID = "5f3e0c8e-0000-4000-8000-000000000001"
PROTOCOL = GremlinProtocol("graphson-v3")


def frame(data: Any, code: int = 200) -> str:
    return json.dumps({"requestId": RID,
                       "status": {"code": code, "message": "", "attributes": {"@type": "g:Map", "@value": []}},
                       "result": {"data": data, "meta": {"@type": "g:Map", "@value": []}}})


def int32(n: int) -> dict[str, Any]:
    return {"@type": "g:Int32", "@value": n}


def test_plain_values_in_a_list_are_kept():
    decoded = PROTOCOL.decode(frame({"@type": "g:List", "@value": [int32(1), "a", int32(1)]}))
    assert (decoded.request_id, decoded.status, decoded.data) == (RID, 200, [1, "a", 1])


def test_traversers_are_expanded_by_their_bulk():
    traverser = {"@type": "g:Traverser", "@value": {"bulk": {"@type": "g:Int64", "@value": 3}, "value": "v"}}
    assert PROTOCOL.decode(frame({"@type": "g:List", "@value": [traverser, "w"]})).data == ["v", "v", "v", "w"]


def test_a_single_value_is_one_result():
    assert PROTOCOL.decode(frame(int32(5))).data == [5]
    a_map = {"@type": "g:Map", "@value": ["name", "Ada", "age", int32(36)]}
    assert PROTOCOL.decode(frame(a_map)).data == [{"name": "Ada", "age": 36}]


def test_no_data_is_no_results():
    assert PROTOCOL.decode(frame(None, code=204)).data == []


def test_an_unreadable_frame_is_a_protocol_error_saying_why():
    incomplete = json.dumps({"requestId": RID, "status": {"code": 200}})
    with pytest.raises(ProtocolError) as err:
        PROTOCOL.decode(incomplete)
    assert str(err.value) == "undecodable response frame (KeyError: 'result')"
    assert isinstance(err.value.__cause__, KeyError)


@pytest.mark.parametrize(("frame_text", "why"), [
    (frame(None, code="abc"), "ValueError: invalid literal for int() with base 10: 'abc'"),  # type: ignore[arg-type]
    (json.dumps({"status": {"code": 200}, "result": {"data": None}}), "KeyError: 'requestId'"),
    (json.dumps({"requestId": RID, "status": "ok", "result": {"data": None}}),
     "TypeError: string indices must be integers, not 'str'"),
])
def test_a_frame_with_fields_of_the_wrong_shape_is_a_protocol_error_not_a_crash(frame_text, why):
    """Anything but a ProtocolError here would end the connection's reader task, and the requests
    in flight would wait for their timeout instead of failing at once with cause "protocol"."""
    with pytest.raises(ProtocolError) as err:
        PROTOCOL.decode(frame_text)
    assert str(err.value) == f"undecodable response frame ({why})"


def test_a_prepared_request_must_say_how_it_is_built_and_may_decline_the_fast_path() -> None:
    class Incomplete(PreparedRequest):
        pass

    with pytest.raises(TypeError, match="bytecode"):
        Incomplete()  # type: ignore[abstract]

    class Plain(PreparedRequest):
        def bytecode(self) -> Any:
            return __.inject(1).bytecode

    # Without a fast writer of its own, the request is serialized from its bytecode.
    assert Plain().graphbinary_frame("r", evaluation_timeout_ms=None, batch_size=None) is None
    protocol = GremlinProtocol("graphbinary-v1")
    request_id = "1b4e28ba-2fa1-4d2a-883f-0016d3cca427"
    assert protocol.encode(request_id, Plain()) == protocol.encode(request_id, __.inject(1).bytecode)
