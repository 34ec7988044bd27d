"""The wire layer against the real gremlinpython 3.7 client code.

Requests are built by gremlinpython's own message serializers, exactly as ``DriverRemoteConnection``
builds them; responses are read back by gremlinpython's own ``deserialize_message`` and its
WebSocket protocol handler. The last tests run a real ``DriverRemoteConnection`` against a tiny
aiohttp endpoint that uses nothing but this wire layer.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import queue
import uuid
from collections.abc import Callable
from decimal import Decimal
from types import FunctionType
from typing import Any

import pytest
from aenum import Enum
from aiohttp import WSMsgType, web
from gremlin_python.driver.driver_remote_connection import DriverRemoteConnection
from gremlin_python.driver.protocol import GremlinServerError, GremlinServerWSProtocol
from gremlin_python.driver.request import RequestMessage as ClientRequest
from gremlin_python.driver.resultset import ResultSet
from gremlin_python.driver.serializer import (
    GraphBinarySerializersV1,
    GraphSONSerializersV2d0,
    GraphSONSerializersV3d0,
)
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import GraphTraversalSource, __
from gremlin_python.process.strategies import OptionsStrategy, PartitionStrategy, ReadOnlyStrategy
from gremlin_python.process.traversal import (
    Barrier,
    Binding,
    Bindings,
    Bytecode,
    Cardinality,
    Column,
    Direction,
    Merge,
    Operator,
    Order,
    P,
    Pick,
    Pop,
    Scope,
    T,
    TextP,
    TraversalStrategy,
    Traverser,
)
from gremlin_python.statics import long
from gremlin_python.structure.graph import Edge, Graph, Path, Property, Vertex, VertexProperty

from gwlocal.gremlin_server.errors import NeptuneError
from gwlocal.gremlin_server.wire import (
    SERIALIZERS,
    LambdaArg,
    RequestMessage,
    WireError,
    decode_request,
    enum_from_wire,
    wire_name,
)

GRAPHBINARY = "application/vnd.graphbinary-v1.0"
GRAPHSON3 = "application/vnd.gremlin-v3.0+json"
GRAPHSON2 = "application/vnd.gremlin-v2.0+json"

CLIENT_SERIALIZERS: dict[str, Callable[[], Any]] = {
    GRAPHBINARY: GraphBinarySerializersV1,
    GRAPHSON3: GraphSONSerializersV3d0,
    GRAPHSON2: GraphSONSerializersV2d0,
}
ALL_MIME_TYPES = list(CLIENT_SERIALIZERS)
REQUEST_ID = uuid.UUID("6457e4b9-3c51-4e5f-9a0e-0f1c2d3e4f50")
WHEN = dt.datetime(2024, 2, 29, 13, 14, 15, 678000)  # millisecond precision: what Gremlin Dates carry


def g() -> GraphTraversalSource:
    return traversal().with_graph(Graph())


def client_request(mime: str, bytecode: Bytecode, **extra: Any) -> bytes:
    """Serialize a request exactly as gremlinpython's ``Client.submit_async`` does for bytecode."""
    args: dict[str, Any] = {"gremlin": bytecode, "aliases": {"g": "g"}, **extra}
    frame: bytes = CLIENT_SERIALIZERS[mime]().serialize_message(
        str(REQUEST_ID), ClientRequest(processor="traversal", op="bytecode", args=args)
    )
    return frame


def canon(value: Any, *, sets_as_lists: bool = False) -> Any:
    """A structural, type-aware form for comparing bytecode across a wire round trip.

    Enums compare by Gremlin name (gremlinpython has aliases like ``T.id``/``T.id_``), strategies by
    class and configuration (``TraversalStrategy.__eq__`` only compares classes), lambdas by script.
    """
    def c(v: Any) -> Any:
        return canon(v, sets_as_lists=sets_as_lists)

    if isinstance(value, Bytecode):
        return ("bytecode", c(value.source_instructions), c(value.step_instructions))
    if isinstance(value, Enum):
        return ("enum", type(value).__name__, wire_name(value))
    if isinstance(value, P):
        return (type(value).__name__, value.operator, c(value.value), c(value.other))
    if isinstance(value, TraversalStrategy):
        return ("strategy", value.strategy_name, value.fqcn, c(value.configuration))
    if isinstance(value, type):
        return ("class", value.__name__)
    if isinstance(value, Binding):
        return ("binding", value.key, c(value.value))
    if isinstance(value, FunctionType):
        return ("lambda", value(), "gremlin-groovy")
    if isinstance(value, LambdaArg):
        return ("lambda", value.script, value.language)
    if isinstance(value, dict):
        return ("map", sorted(((c(k), c(v)) for k, v in value.items()), key=repr))
    if isinstance(value, (set, frozenset)):
        items = sorted((c(v) for v in value), key=repr)
        return ("list", items) if sets_as_lists else ("set", items)
    if isinstance(value, (list, tuple)):
        return ("list", [c(v) for v in value])
    if isinstance(value, bool):
        return ("bool", value)
    if isinstance(value, int):
        return ("int", int(value))
    if isinstance(value, float):
        return ("float", value)
    return value


# --------------------------------------------------------------------------- traversals
def _basic() -> Bytecode:
    return g().V().has("person", "name", "marko").out("knows").values("name").bytecode


def _nested() -> Bytecode:
    return (
        g().V().where(__.out("created").count().is_(P.gt(1)))
        .repeat(__.out().simple_path()).times(2).emit()
        .project("id", "friends").by(T.id).by(__.both("knows").fold())
        .bytecode
    )


def _predicates() -> Bytecode:
    return (
        g().V()
        .has("age", P.between(20, 30))
        .has("age", P.gt(5).and_(P.lt(10)))
        .has("score", P.inside(1.5, 2.5).or_(P.outside(10, 20)))
        .has("name", TextP.starting_with("ma").or_(TextP.containing("ko")))
        .has("name", TextP.not_regex("^x").and_(TextP.ending_with("o")))
        .has("kind", P.not_(P.within("a", "b")))
        .has("name", P.within(["alice", "bob", "carol"]))
        .has("n", P.without([1, 2]))
        .has("k", P.within([]))
        .has("x", P.neq(None))
        .has("pair", P.eq([1, 2]))
        .bytecode
    )


def _strategies() -> Bytecode:
    return (
        g().with_("evaluationTimeout", 100)
        .with_strategies(PartitionStrategy(partition_key="_p", write_partition="a", read_partitions=["a"]))
        .V().bytecode
    )


def _values() -> Bytecode:
    return (
        g().inject(long(2**40), 7, -3, 1.25, True, False, "text", WHEN, uuid.UUID(int=42))
        .inject([1, "two", [3]], {"k": 1, "nested": {"a": [1, 2]}})
        .V(Bindings.of("vid", "v1"))
        .order().by("name", Order.desc).by(T.label, Order.asc)
        .select(Pop.last, "a", "b").select(Column.values)
        .count(Scope.local)
        .choose(__.values("k")).option(Pick.none, __.identity()).option(Pick.any_, __.constant(1))
        .sack(Operator.sum_).by("w")
        .barrier(Barrier.norm_sack)
        .property(Cardinality.list_, "tags", "x")
        .property(Cardinality.set_, "tags", "y")
        .property(Cardinality.single, "name", "z")
        .bytecode
    )


def _set_arg() -> Bytecode:
    return g().inject({1, 2, 3}).bytecode


def _merges() -> Bytecode:
    return (
        g().merge_v({T.id: "v1", T.label: "person"})
        .option(Merge.on_create, {"created": WHEN, "n": long(1)})
        .option(Merge.on_match, {"seen": True})
        .merge_e({T.label: "knows", Direction.from_: "v1", Direction.to: "v2"})
        .option(Merge.out_v, {T.id: "v1"})
        .option(Merge.in_v, {T.id: "v2"})
        .element_map()
        .bytecode
    )


def _lambda() -> Bytecode:
    return g().V().map(lambda: "it.get().value('name')").bytecode


TRAVERSALS: dict[str, Callable[[], Bytecode]] = {
    "basic": _basic,
    "nested": _nested,
    "predicates": _predicates,
    "strategies": _strategies,
    "values": _values,
    "set-argument": _set_arg,
    "merges": _merges,
    "lambda": _lambda,
}
#: gremlinpython's GraphSON 2 writer cannot write maps with T/Direction keys at all (it raises
#: "unhashable type: 'dict'"), so no GraphSON 2 client can send mergeV/mergeE with T.id.
CLIENT_CANNOT_SEND = {(GRAPHSON2, "merges")}


@pytest.mark.parametrize("name", list(TRAVERSALS))
@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_bytecode_round_trip(mime: str, name: str) -> None:
    original = TRAVERSALS[name]()
    if (mime, name) in CLIENT_CANNOT_SEND:
        with pytest.raises(TypeError):
            client_request(mime, original)
        return
    request = decode_request(client_request(mime, original))
    assert isinstance(request, RequestMessage)
    assert request.request_id == REQUEST_ID
    assert (request.op, request.processor) == ("bytecode", "traversal")
    assert request.args["aliases"] == {"g": "g"}
    assert request.serializer is SERIALIZERS[mime]
    decoded = request.args["gremlin"]
    assert isinstance(decoded, Bytecode)
    # GraphSON 2 has no set type: gremlinpython writes a set as a JSON array.
    sets_as_lists = mime == GRAPHSON2
    assert canon(decoded) == canon(original, sets_as_lists=sets_as_lists)


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_plain_bytecode_equals_original(mime: str) -> None:
    """Without lambdas, the decoded Bytecode is == to the client's (gremlinpython's __eq__)."""
    for build in (_basic, _nested, _predicates):
        original = build()
        assert decode_request(client_request(mime, original)).args["gremlin"] == original


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_options_strategy_and_request_options(mime: str) -> None:
    """``g.with_('evaluationTimeout', 100)`` arrives both as an OptionsStrategy in the bytecode and,
    as DriverRemoteConnection copies it, as a request argument."""
    bytecode = g().with_("evaluationTimeout", 100).with_("batchSize", 2).V().bytecode
    options = DriverRemoteConnection._extract_request_options(bytecode)
    assert options == {"evaluationTimeout": 100, "batchSize": 2}
    request = decode_request(client_request(mime, bytecode, **options))
    assert request.args["evaluationTimeout"] == 100
    assert request.args["batchSize"] == 2
    source = request.args["gremlin"].source_instructions
    assert source[0][0] == "withStrategies"
    strategy = source[0][1]
    assert type(strategy) is OptionsStrategy
    assert strategy.configuration == {"evaluationTimeout": 100, "batchSize": 2}
    assert strategy.fqcn.endswith("decoration.OptionsStrategy")
    # The check DriverRemoteConnection itself uses works on the decoded bytecode too.
    assert DriverRemoteConnection._extract_request_options(request.args["gremlin"]) == options


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_value_types_are_preserved(mime: str) -> None:
    bytecode = g().inject(long(5), 5, 2.5, WHEN, uuid.UUID(int=7), "s", True).bytecode
    args = decode_request(client_request(mime, bytecode)).args["gremlin"].step_instructions[0][1:]
    assert type(args[0]) is long
    assert type(args[1]) is int
    assert type(args[2]) is float and args[2] == 2.5
    assert args[3] == WHEN and args[3].tzinfo is None
    assert args[4] == uuid.UUID(int=7)
    assert args[5:] == ["s", True]


@pytest.mark.parametrize("mime", [GRAPHBINARY, GRAPHSON3])
def test_enums_decode_to_canonical_members(mime: str) -> None:
    request = decode_request(client_request(mime, _merges()))
    steps = request.args["gremlin"].step_instructions
    assert steps[0][1] == {T.id: "v1", T.label: "person"}
    assert steps[1][1] is Merge.on_create
    assert steps[3][1] == {T.label: "knows", Direction.OUT: "v1", Direction.IN: "v2"}
    assert steps[1][2]["n"] == 1 and type(steps[1][2]["n"]) is long


def test_enum_name_helpers() -> None:
    assert wire_name(Cardinality.list_) == "list"
    assert wire_name(Merge.on_create) == "onCreate"
    assert wire_name(Direction.from_) == "OUT"
    assert wire_name(T.id_) == "id"
    assert enum_from_wire(Cardinality, "set") is Cardinality.set_
    assert enum_from_wire(Scope, "global") is Scope.global_
    assert enum_from_wire(Operator, "sum") is Operator.sum_
    assert enum_from_wire(Operator, "addAll") is Operator.add_all
    assert enum_from_wire(T, "id") is T.id
    with pytest.raises(WireError):
        enum_from_wire(T, "nope")


def test_graphbinary_class_argument_decodes_to_strategy_class() -> None:
    bytecode = g().without_strategies(ReadOnlyStrategy).V().bytecode
    request = decode_request(client_request(GRAPHBINARY, bytecode))
    assert request.args["gremlin"] == bytecode
    assert request.args["gremlin"].source_instructions[0][1] is ReadOnlyStrategy


def test_lambda_is_recognizable() -> None:
    for mime in ALL_MIME_TYPES:
        request = decode_request(client_request(mime, _lambda()))
        arg = request.args["gremlin"].step_instructions[1][1]
        assert arg == LambdaArg(script="it.get().value('name')", language="gremlin-groovy", arguments=-1)


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_eval_request(mime: str) -> None:
    """A script request as ``Client.submit(script, bindings)`` sends it (processor '', op 'eval')."""
    args = {"gremlin": "g.V(x).count()", "aliases": {"g": "g"}, "bindings": {"x": "v1"}}
    frame = CLIENT_SERIALIZERS[mime]().serialize_message(
        str(REQUEST_ID), ClientRequest(processor="", op="eval", args=args)
    )
    request = decode_request(frame)
    assert (request.op, request.processor) == ("eval", "")
    assert request.args == {"gremlin": "g.V(x).count()", "aliases": {"g": "g"}, "bindings": {"x": "v1"}}


def test_java_style_graphson3_request() -> None:
    """Java drivers send the request id as a plain string and args as a g:Map."""
    body = {
        "requestId": str(REQUEST_ID), "op": "bytecode", "processor": "traversal",
        "args": {"@type": "g:Map", "@value": [
            "gremlin", {"@type": "g:Bytecode", "@value": {"step": [
                ["V"], ["has", "age", {"@type": "g:P", "@value": {
                    "predicate": "between",
                    "value": {"@type": "g:List", "@value": [
                        {"@type": "g:Int32", "@value": 1}, {"@type": "g:Int32", "@value": 5}]}}}],
            ]}},
            "aliases", {"@type": "g:Map", "@value": ["g", "g"]},
        ]},
    }
    frame = bytes([len(GRAPHSON3)]) + GRAPHSON3.encode() + json.dumps(body).encode()
    request = decode_request(frame)
    assert request.args["aliases"] == {"g": "g"}
    assert request.args["gremlin"] == g().V().has("age", P.between(1, 5)).bytecode


def test_text_frame_graphson_gets_text_serializer() -> None:
    frame = client_request(GRAPHSON3, _basic())
    text = frame[1 + frame[0]:].decode("utf-8")
    request = decode_request(text)
    assert request.serializer.text_frames is True
    assert request.serializer.mime_type == GRAPHSON3
    assert request.args["gremlin"] == _basic()
    assert all(not s.text_frames for s in SERIALIZERS.values())
    # a text frame that still carries gremlinpython's mime prefix is read by that prefix
    prefixed = decode_request(frame.decode("utf-8"))
    assert prefixed.serializer.text_frames is True
    assert prefixed.args["gremlin"] == _basic()


# --------------------------------------------------------------------------- malformed input
def test_unknown_mime_type() -> None:
    mime = b"application/x-unknown"
    with pytest.raises(WireError) as info:
        decode_request(bytes([len(mime)]) + mime + b"{}")
    assert info.value.serializer is None
    assert info.value.request_id is None
    assert "unsupported mime type" in str(info.value)


@pytest.mark.parametrize("payload", [b"", b"\x00", b"\x20application/vnd.graph"])
def test_broken_prefix(payload: bytes) -> None:
    with pytest.raises(WireError):
        decode_request(payload)


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_every_truncation_is_a_wire_error(mime: str) -> None:
    """Cutting a valid frame anywhere must fail loudly, never decode to a different request."""
    frame = client_request(mime, _predicates())
    prefix = 1 + frame[0]
    for cut in range(1, len(frame)):
        with pytest.raises(WireError) as info:
            decode_request(frame[:cut])
        if cut > prefix:
            assert info.value.serializer is SERIALIZERS[mime]
    # once the request id has been read, the error carries it so the server can answer the client
    with pytest.raises(WireError) as info:
        decode_request(frame[:-3])
    if mime == GRAPHBINARY:
        assert info.value.request_id == REQUEST_ID


def test_graphbinary_unknown_type_code_keeps_request_id() -> None:
    frame = bytearray(client_request(GRAPHBINARY, _basic()))
    # The first argument key starts right after op and processor: flip its type code to garbage.
    header = 1 + frame[0] + 1 + 16
    op_len = int.from_bytes(frame[header:header + 4], "big")
    at = header + 4 + op_len
    proc_len = int.from_bytes(frame[at:at + 4], "big")
    at += 4 + proc_len + 4
    frame[at] = 0x7F
    with pytest.raises(WireError) as info:
        decode_request(bytes(frame))
    assert info.value.request_id == REQUEST_ID
    assert info.value.serializer is SERIALIZERS[GRAPHBINARY]


def test_graphson_unknown_type_keeps_request_id() -> None:
    body = {"requestId": {"@type": "g:UUID", "@value": str(REQUEST_ID)}, "op": "bytecode",
            "processor": "traversal", "args": {"gremlin": {"@type": "g:Nope", "@value": 1}}}
    frame = bytes([len(GRAPHSON3)]) + GRAPHSON3.encode() + json.dumps(body).encode()
    with pytest.raises(WireError) as info:
        decode_request(frame)
    assert info.value.request_id == REQUEST_ID
    assert info.value.serializer is SERIALIZERS[GRAPHSON3]
    assert "g:Nope" in str(info.value)


# --------------------------------------------------------------------------- responses
def _vertex() -> Vertex:
    return Vertex("v1", "person", [VertexProperty("p1", "name", "marko", None)])


def _edge() -> Edge:
    return Edge("e1", Vertex("v1", "person"), "knows", Vertex("v2", "dog"), [Property("since", 2020, None)])


def read_back(mime: str, frame: bytes) -> dict[str, Any]:
    message: dict[str, Any] = CLIENT_SERIALIZERS[mime]().deserialize_message(frame)
    return message


def encode(mime: str, code: int, data: Any, *, message: str | None = "",
           attributes: dict[str, Any] | None = None, meta: dict[str, Any] | None = None) -> bytes:
    return SERIALIZERS[mime].encode_response(REQUEST_ID, code, message, attributes or {}, data, meta or {})


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_success_pages(mime: str) -> None:
    page1 = encode(mime, 206, [Traverser("a", 1), Traverser(long(3), 2)])
    page2 = encode(mime, 200, [Traverser(1.5, 1)], attributes={"host": "/127.0.0.1:5555"})
    first, last = read_back(mime, page1), read_back(mime, page2)
    assert first["requestId"] == str(REQUEST_ID)
    assert first["status"]["code"] == 206
    assert [(t.object, t.bulk) for t in first["result"]["data"]] == [("a", 1), (3, 2)]
    assert last["status"]["code"] == 200
    assert last["status"]["attributes"] == {"host": "/127.0.0.1:5555"}
    assert [(t.object, t.bulk) for t in last["result"]["data"]] == [(1.5, 1)]
    assert all(isinstance(t, Traverser) for t in first["result"]["data"])


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_no_content(mime: str) -> None:
    message = read_back(mime, encode(mime, 204, None))
    assert message["status"]["code"] == 204
    assert message["result"]["data"] is None


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_error_with_neptune_status_message(mime: str) -> None:
    error = NeptuneError("ConcurrentModificationException", "Failed to complete the operation. Please retry.")
    frame = encode(mime, error.http_status, None, message=error.status_message(str(REQUEST_ID)),
                   attributes={"exceptions": [error.code]})
    message = read_back(mime, frame)
    assert message["status"]["code"] == 500
    body = json.loads(message["status"]["message"])
    assert body == {"requestId": str(REQUEST_ID), "code": "ConcurrentModificationException",
                    "detailedMessage": "Failed to complete the operation. Please retry."}
    assert message["status"]["attributes"] == {"exceptions": ["ConcurrentModificationException"]}


def _protocol_results(mime: str, frames: list[bytes]) -> tuple[list[int], ResultSet]:
    """Feed frames to gremlinpython's own WebSocket protocol handler, as its transport would."""
    protocol = GremlinServerWSProtocol(CLIENT_SERIALIZERS[mime]())
    result_set = ResultSet(queue.Queue(), str(REQUEST_ID))
    results = {str(REQUEST_ID): result_set}
    codes = [protocol.data_received(frame, results) for frame in frames]
    return codes, result_set


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_protocol_handler_reads_pages(mime: str) -> None:
    frames = [encode(mime, 206, [Traverser("a", 1)]), encode(mime, 200, [Traverser("b", 1)])]
    codes, result_set = _protocol_results(mime, frames)
    assert codes == [206, 200]
    pages = [result_set.stream.get_nowait(), result_set.stream.get_nowait()]
    assert [[t.object for t in page] for page in pages] == [["a"], ["b"]]


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_protocol_handler_raises_neptune_error(mime: str) -> None:
    error = NeptuneError("MalformedQueryException", "bad query")
    frame = encode(mime, error.http_status, None, message=error.status_message(str(REQUEST_ID)))
    with pytest.raises(GremlinServerError) as info:
        _protocol_results(mime, [frame])
    assert info.value.status_code == error.http_status
    assert json.loads(info.value.status_message)["code"] == "MalformedQueryException"


def _element_checks(value: Any) -> None:
    assert isinstance(value, Vertex) and (value.id, value.label) == ("v1", "person")
    assert [(p.key, p.value) for p in value.properties] == [("name", "marko")]


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_structure_values_round_trip(mime: str) -> None:
    data = [Traverser(v) for v in (
        _vertex(), _edge(), VertexProperty("p1", "name", "marko", Vertex("v1")),
        Property("since", 2020, None),
        Path([{"a"}, set()], [Vertex("v1", "person"), "x"]),
    )]
    values = [t.object for t in read_back(mime, encode(mime, 200, data))["result"]["data"]]
    _element_checks(values[0])
    edge = values[1]
    assert isinstance(edge, Edge) and (edge.id, edge.label) == ("e1", "knows")
    assert (edge.outV.id, edge.outV.label, edge.inV.id, edge.inV.label) == ("v1", "person", "v2", "dog")
    assert [(p.key, p.value) for p in edge.properties] == [("since", 2020)]
    vp = values[2]
    assert isinstance(vp, VertexProperty) and (vp.id, vp.label, vp.value) == ("p1", "name", "marko")
    prop = values[3]
    assert isinstance(prop, Property) and (prop.key, prop.value) == ("since", 2020)
    path = values[4]
    assert isinstance(path, Path) and path.objects[1] == "x" and path.objects[0].id == "v1"
    assert path.labels == [{"a"}, set()]


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_maps_with_token_keys(mime: str) -> None:
    """elementMap()-style results: T and Direction keys. GraphSON 2 maps are JSON objects, so Gremlin
    Server writes the keys as strings ("id", "label", "OUT"); the other formats keep the tokens."""
    element_map = {T.id: "e1", T.label: "knows", Direction.OUT: {T.id: "v1", T.label: "person"},
                   Direction.IN: {T.id: "v2", T.label: "dog"}, "since": 2020}
    value = read_back(mime, encode(mime, 200, [Traverser(element_map)]))["result"]["data"][0].object
    if mime == GRAPHSON2:
        assert value == {"id": "e1", "label": "knows", "OUT": {"id": "v1", "label": "person"},
                         "IN": {"id": "v2", "label": "dog"}, "since": 2020}
    else:
        assert value == element_map


@pytest.mark.parametrize("mime", ALL_MIME_TYPES)
def test_scalar_and_collection_values(mime: str) -> None:
    values: list[Any] = [
        long(2**40), 2**40, 7, -1, 2.5, float("inf"), True, None, "ü", WHEN, uuid.UUID(int=9),
        [1, [2, "x"]], {1, 2}, {"a": [1, 2], "b": {"c": long(3)}}, Decimal("1.25"),
    ]
    out = [t.object for t in read_back(mime, encode(mime, 200, [Traverser(v) for v in values]))["result"]["data"]]
    assert out[:11] == values[:11]
    assert out[11] == [1, [2, "x"]]
    assert out[12] == ([1, 2] if mime == GRAPHSON2 else {1, 2})
    assert out[13] == {"a": [1, 2], "b": {"c": 3}}
    if mime == GRAPHBINARY:  # gremlinpython reads a GraphBinary BigDecimal into its own class
        assert (out[14].scale, out[14].unscaled_value) == (2, 125)
    else:
        assert out[14] == Decimal("1.25")


def test_graphson_long_types_on_the_wire() -> None:
    """Int vs Long matter to Java clients: a statics.long or an int above 2**31 is an Int64."""
    frame = encode(GRAPHSON3, 200, [Traverser(long(1)), Traverser(1), Traverser(2**40)])
    data = json.loads(frame)["result"]["data"]["@value"]
    assert [d["@value"]["value"]["@type"] for d in data] == ["g:Int64", "g:Int32", "g:Int64"]
    assert data[0]["@value"]["bulk"] == {"@type": "g:Int64", "@value": 1}


def test_graphson_request_id_is_a_plain_string() -> None:
    """gremlinpython looks results up by str(requestId): a typed g:UUID would never match."""
    for mime in (GRAPHSON3, GRAPHSON2):
        assert json.loads(encode(mime, 204, None))["requestId"] == str(REQUEST_ID)


def test_unencodable_value_is_a_wire_error() -> None:
    for mime in ALL_MIME_TYPES:
        with pytest.raises(WireError) as info:
            encode(mime, 200, [Traverser(object())])
        assert info.value.request_id == REQUEST_ID
        assert info.value.serializer is SERIALIZERS[mime]


# --------------------------------------------------------------------------- real client
async def _serve(force_text: bool) -> tuple[web.AppRunner, str]:
    async def handler(request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        async for msg in ws:
            if msg.type not in (WSMsgType.BINARY, WSMsgType.TEXT):
                continue
            req = decode_request(msg.data)
            serializer = req.serializer
            steps = req.args["gremlin"].step_instructions
            if steps and steps[0][0] == "inject" and steps[0][1] == "boom":
                error = NeptuneError("ConstraintViolationException", "boom")
                frames = [serializer.encode_response(req.request_id, error.http_status,
                                                     error.status_message(str(req.request_id)), {}, None, {})]
            else:
                results: list[Any] = [_vertex(), {T.id: "v1", T.label: "person"}, long(7), WHEN]
                frames = [
                    serializer.encode_response(req.request_id, 206, "", {}, [Traverser(r) for r in results[:2]], {}),
                    serializer.encode_response(req.request_id, 200, "", {}, [Traverser(r) for r in results[2:]], {}),
                ]
            for frame in frames:
                if serializer.text_frames or (force_text and serializer.mime_type != GRAPHBINARY):
                    await ws.send_str(frame.decode("utf-8"))
                else:
                    await ws.send_bytes(frame)
        return ws

    app = web.Application()
    app.router.add_get("/gremlin", handler)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    return runner, f"ws://127.0.0.1:{port}/gremlin"


def _client_run(url: str, mime: str) -> tuple[list[Any], Exception | None]:
    connection = DriverRemoteConnection(url, "g", message_serializer=CLIENT_SERIALIZERS[mime](), pool_size=1)
    try:
        g_remote = traversal().with_remote(connection)
        results = g_remote.V().to_list()
        failure: Exception | None = None
        try:
            g_remote.inject("boom").to_list()
        except GremlinServerError as exc:
            failure = exc
        return results, failure
    finally:
        connection.close()


@pytest.mark.parametrize(
    ("mime", "force_text"),
    [(GRAPHBINARY, False), (GRAPHSON3, False), (GRAPHSON2, False), (GRAPHSON3, True), (GRAPHSON2, True)],
    ids=["graphbinary", "graphson3", "graphson2", "graphson3-text-frames", "graphson2-text-frames"],
)
async def test_real_driver_remote_connection(mime: str, force_text: bool) -> None:
    """A real DriverRemoteConnection reads our pages, tokens and errors; GraphSON works in binary
    frames (what Gremlin Server sends gremlinpython) and in text frames alike."""
    runner, url = await _serve(force_text)
    try:
        results, failure = await asyncio.wait_for(asyncio.to_thread(_client_run, url, mime), timeout=30)
    finally:
        await runner.cleanup()
    _element_checks(results[0])
    expected_map = {"id": "v1", "label": "person"} if mime == GRAPHSON2 else {T.id: "v1", T.label: "person"}
    assert results[1:] == [expected_map, 7, WHEN]
    assert isinstance(failure, GremlinServerError)
    assert failure.status_code == 400
    assert json.loads(failure.status_message)["code"] == "ConstraintViolationException"
