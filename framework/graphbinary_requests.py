"""GraphBinary v1 request frames for unversioned upserts, written directly instead of via bytecode.

Why: profiled in the 4-context / 5 ms peer benchmark, more than half of graphworker's client CPU
per message went into building each request's gremlinpython ``GraphTraversal`` (a ``Bytecode``
object per element, every argument converted and copied) and then walking it with gremlinpython's
generic GraphBinary writer (a type lookup and a few small ``bytearray`` extends per value). A
request of unversioned upserts always has the same shape, so its bytes can be written in one pass
straight from the :class:`~framework.batching.ElementPlan` objects.

What it writes is exactly what ``GraphBinarySerializersV1().serialize_message`` writes for the
request :func:`framework.traversals.request_traversal` builds (and :class:`framework.protocol.
GremlinProtocol` frames): ``tests/framework/test_graphbinary_requests.py`` proves the bytes equal,
over random plans, for every shape and value type encoded here. The request is
``g.inject(0).union(<elements>)``, or, where ``request_traversal`` puts a ``fold()`` barrier
between a request's vertices and its edges, ``g.inject(0).union(<vertices>).fold().union(unfold(),
<edges>)``: which one is probed from ``framework.traversals`` on first use (:func:`request_shape`),
and a probe request is checked byte for byte before the fast path turns on. Each element is:

- upsert: ``mergeV([T.id: X]).option(onCreate, [T.label: L, k: v...]).option(onMatch,
  [k: CardinalityValue.single(v)...])`` (``mergeE([T.id, T.label, Direction.OUT, Direction.IN])``
  with the plain props for both options on edges), then one ``sideEffect`` per merge rule
  (``KeepMax``/``KeepMin``: ``not(has(k, gte|lte(x))).property([single,] k, x)``; ``AddToSet``:
  ``identity().property(set, k, x)...``), then ``id()``;
- an unversioned delete before the upsert: ``sideEffect(V(X).drop()).flatMap(<upsert>)``;
- a delete alone: ``sideEffect(V(X).drop()).constant(X)`` (``E`` for edges).

Anything else raises :class:`UnsupportedShape` and the caller uses the generic path: a plan with a
versioned part, a value whose type is not exactly ``str``, ``bool``, ``int`` (a gremlinpython
``long`` included), ``float`` or ``datetime.datetime`` (subclasses are serialized differently by
gremlinpython's type lookup, so they are not guessed at), and content the generic path cannot
serialize either (text that is not valid Unicode, integers beyond 64 bits, datetimes out of range):
falling back then gives the caller the generic path's own error.

Usage (how a protocol layer wires it in)::

    try:
        frame = encode_upsert_request(request_id, plans, evaluation_timeout_ms=..., batch_size=...)
    except UnsupportedShape:
        frame = protocol.encode(request_id, request_traversal(plans, now=now).bytecode, ...)

:func:`element_steps` counts an element's Gremlin steps without building its traversal (for a
request planner's ~1,500-step limit).

Byte layout reference: the GraphBinary v1 section of the Apache TinkerPop IO documentation. Every
value is written fully qualified (type code, a ``0x00`` "not null" flag, then the value); step
names and P operators are bare values (an int32 length and UTF-8 bytes).
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
import math
import struct
import uuid
from collections.abc import Sequence
from typing import Any

from gremlin_python.statics import long

from .batching import ElementPlan, UnversionedPart
from .merge_rules import AddToSet, KeepMax, KeepMin, MergeValue

__all__ = ["RequestShape", "UnsupportedShape", "element_steps", "encode_request_in_shape", "encode_upsert_request",
           "request_shape"]


class UnsupportedShape(Exception):
    """This fast path does not encode the request; build it the generic way (the reason says why)."""


_i32 = struct.Struct(">i").pack
_i64 = struct.Struct(">q").pack
_f64 = struct.Struct(">d").pack
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1
_INT64_MIN, _INT64_MAX = -(2**63), 2**63 - 1
_CANONICAL_NAN = struct.pack(">Q", 0x7FF8000000000000)
"""gremlinpython writes every NaN as Java's canonical NaN."""

# type codes (GraphBinary v1), each followed by the 0x00 "value present" flag
_INT = b"\x01\x00"
_LONG = b"\x02\x00"
_STRING = b"\x03\x00"
_DATE = b"\x04\x00"
_DOUBLE = b"\x07\x00"
_MAP = b"\x0a\x00"
_BYTECODE = b"\x15\x00"
_P = b"\x1e\x00"
_BOOLEAN_TRUE = b"\x27\x00\x01"
_BOOLEAN_FALSE = b"\x27\x00\x00"


def _string(text: str) -> bytes:
    data = text.encode("utf-8")
    return _STRING + _i32(len(data)) + data


def _bare(text: str) -> bytes:
    """A string as a bare value (step names, P operators, the processor and op)."""
    data = text.encode("utf-8")
    return _i32(len(data)) + data


def _enum(code: int, name: str) -> bytes:
    return bytes((code, 0)) + _string(name)


_T_ID = _enum(0x20, "id")
_T_LABEL = _enum(0x20, "label")
_OUT = _enum(0x18, "OUT")
_IN = _enum(0x18, "IN")
_ON_CREATE = _enum(0x2E, "onCreate")
_ON_MATCH = _enum(0x2E, "onMatch")
_SINGLE = _enum(0x16, "single")
_SET = _enum(0x16, "set")

_NO_ARGS = _i32(0)
_ONE_ARG = _i32(1)
_TWO_ARGS = _i32(2)
_NO_SOURCES = _i32(0)
_STEP_MERGE_V = _bare("mergeV") + _ONE_ARG + _MAP + _i32(1) + _T_ID
_STEP_MERGE_E = _bare("mergeE") + _ONE_ARG + _MAP + _i32(4) + _T_ID
_STEP_ON_CREATE = _bare("option") + _TWO_ARGS + _ON_CREATE + _MAP
_STEP_ON_MATCH = _bare("option") + _TWO_ARGS + _ON_MATCH + _MAP
_STEP_ID = _bare("id") + _NO_ARGS
_STEP_SIDE_EFFECT = _bare("sideEffect") + _ONE_ARG + _BYTECODE
_STEP_FLAT_MAP = _bare("flatMap") + _ONE_ARG
_STEP_CONSTANT = _bare("constant") + _ONE_ARG
_STEP_V = _bare("V") + _ONE_ARG
_STEP_E = _bare("E") + _ONE_ARG
_STEP_DROP = _bare("drop") + _NO_ARGS
_STEP_IDENTITY = _bare("identity") + _NO_ARGS
_STEP_NOT = _bare("not") + _ONE_ARG + _BYTECODE
_STEP_HAS = _bare("has") + _TWO_ARGS
_PROPERTY_2 = _bare("property") + _TWO_ARGS
_PROPERTY_3 = _bare("property") + _i32(3)
_GTE = _P + _bare("gte") + _ONE_ARG
_LTE = _P + _bare("lte") + _ONE_ARG
_SINGLE_VALUE = (_BYTECODE + _i32(0) + _i32(1) + _bare("CardinalityValueTraversal") + _TWO_ARGS + _SINGLE)
"""``CardinalityValue.single(v)`` up to its value: a bytecode with one source instruction."""

_FRAME_HEAD = b"\x20" + b"application/vnd.graphbinary-v1.0" + b"\x81"
_OP_AND_PROCESSOR = _bare("bytecode") + _bare("traversal")
_GREMLIN_KEY = _string("gremlin") + _BYTECODE
_INJECT_ZERO = _bare("inject") + _ONE_ARG + _INT + _i32(0)
_STEP_UNION = _bare("union")
_STEP_FOLD = _bare("fold") + _NO_ARGS
_UNFOLD = _BYTECODE + _i32(1) + _bare("unfold") + _NO_ARGS + _NO_SOURCES
_ALIASES = _string("aliases") + _MAP + _i32(1) + _string("g") + _string("g")
_EVALUATION_TIMEOUT = _string("evaluationTimeout") + _INT
_BATCH_SIZE = _string("batchSize") + _INT

_KEY_CACHE: dict[str, bytes] = {}
_KEY_CACHE_LIMIT = 4096


def _key(text: str) -> bytes:
    """Property keys and labels repeat across elements and requests: encode each once (bounded)."""
    found = _KEY_CACHE.get(text)
    if found is None:
        found = _string(text)
        if len(_KEY_CACHE) >= _KEY_CACHE_LIMIT:
            _KEY_CACHE.clear()
        _KEY_CACHE[text] = found
    return found


class RequestShape(enum.Enum):
    """How :func:`framework.traversals.request_traversal` arranges a request's elements."""

    FLAT = "flat"
    """``inject(0).union(<every element, in the given order>)``."""
    VERTICES_THEN_EDGES = "vertices-then-edges"
    """``inject(0).union(<vertices>).fold().union(unfold(), <edges>)`` when a request holds both (a
    ``fold()`` barrier commits every vertex before the first edge); one kind alone: ``FLAT``."""


_shape: RequestShape | str | None = None
"""The probed shape, or why the fast path is off (a ``str``); None until the first request."""


def request_shape() -> RequestShape:
    """The shape ``framework.traversals.request_traversal`` builds, probed on first use.

    Why probe instead of assuming: this encoder must write the very bytes the generic path would,
    and the generic path is whatever ``framework.traversals`` builds on this branch. The probe builds
    one small request (a vertex with a merge rule, an edge, a delete before an upsert, a delete
    alone) through ``request_traversal`` and gremlinpython's serializer, and through this encoder
    in the shape its step names show; unless the bytes are equal the fast path stays off for the
    process (every call raises :class:`UnsupportedShape`), so a change to ``framework.traversals``
    this module does not know can cost speed but never write something else. Done lazily (about a
    millisecond), so a cold start that never writes pays nothing.
    """
    global _shape
    if _shape is None:
        _shape = _probe()
    if isinstance(_shape, str):
        raise UnsupportedShape(_shape)
    return _shape


def _probe() -> RequestShape | str:
    from gremlin_python.driver.request import RequestMessage
    from gremlin_python.driver.serializer import GraphBinarySerializersV1

    from .traversals import request_traversal

    plans = [
        ElementPlan("e", "probe-e", "L", from_id="probe-v", to_id="probe-w", owners=["0"],
                    unversioned=UnversionedPart(upsert=True, props={"w": 1.5})),
        ElementPlan("v", "probe-v", "V", owners=["0"], unversioned=UnversionedPart(
            reset=True, upsert=True, props={"s": "x", "n": 2**40, "b": True, "d": dt.datetime(2024, 1, 1)},
            merges={"m": KeepMax(3), "t": AddToSet("a")})),
        ElementPlan("v", "probe-x", None, owners=["0"], unversioned=UnversionedPart(reset=True)),
    ]
    request_id = "00000000-0000-4000-8000-000000000000"
    bytecode = request_traversal(plans).bytecode
    names = [step[0] for step in bytecode.step_instructions]
    shapes = {("inject", "union"): RequestShape.FLAT,
              ("inject", "union", "fold", "union"): RequestShape.VERTICES_THEN_EDGES}
    shape = shapes.get(tuple(names))
    if shape is None:
        return f"framework.traversals builds requests of an unknown shape ({' '.join(names)})"
    reference = GraphBinarySerializersV1().serialize_message(
        request_id, RequestMessage("traversal", "bytecode", {"gremlin": bytecode, "aliases": {"g": "g"}}))
    try:
        ours = encode_request_in_shape(shape, request_id, plans)
    except UnsupportedShape as exc:
        return f"the probe request could not be encoded directly: {exc}"
    if ours != bytes(reference):
        return "framework.traversals builds elements this encoder does not write byte for byte"
    return shape


def encode_upsert_request(request_id: str | uuid.UUID, plans: Sequence[ElementPlan], *,
                          evaluation_timeout_ms: int | None = None, batch_size: int | None = None) -> bytes:
    """The GraphBinary v1 request frame writing ``plans``, as :class:`framework.protocol.GremlinProtocol`
    would frame ``request_traversal(plans).bytecode`` with the ``graphbinary-v1`` serializer.

    Raises :class:`UnsupportedShape` when a plan or value is outside this fast path (see the module
    docstring), or when the fast path is off (see :func:`request_shape`).
    """
    return encode_request_in_shape(request_shape(), request_id, plans, evaluation_timeout_ms=evaluation_timeout_ms,
                                   batch_size=batch_size)


def encode_request_in_shape(shape: RequestShape, request_id: str | uuid.UUID, plans: Sequence[ElementPlan], *,
                            evaluation_timeout_ms: int | None = None, batch_size: int | None = None) -> bytes:
    """:func:`encode_upsert_request` for a given shape (the probe and the tests use it directly)."""
    out, extras = request_head(request_id, evaluation_timeout_ms, batch_size)
    first: Sequence[ElementPlan] = plans
    then: Sequence[ElementPlan] = ()
    if shape is RequestShape.VERTICES_THEN_EDGES:
        vertices = [p for p in plans if not p.is_edge]
        edges = [p for p in plans if p.is_edge]
        first, then = (vertices, edges) if vertices and edges else (vertices or edges, ())
    out += _GREMLIN_KEY
    out += _i32(4 if then else 2)
    out += _INJECT_ZERO
    try:
        out += _STEP_UNION
        out += _i32(len(first))
        for plan in first:
            _element(out, plan)
        if then:
            out += _STEP_FOLD
            out += _STEP_UNION
            out += _i32(1 + len(then))
            out += _UNFOLD
            for plan in then:
                _element(out, plan)
    except UnicodeEncodeError as exc:
        raise UnsupportedShape(f"text that is not valid Unicode ({exc.reason})") from None
    out += _NO_SOURCES
    out += _ALIASES
    for extra in extras:
        out += extra
    return bytes(out)


def request_head(request_id: str | uuid.UUID, evaluation_timeout_ms: int | None,
                 batch_size: int | None) -> tuple[bytearray, list[bytes]]:
    """A request frame up to its arguments map's entries: the frame head, the request id, the op and
    processor, and the count of arguments; with the encoded optional arguments (they follow the
    ``gremlin`` and ``aliases`` entries, as gremlinpython orders them)."""
    out = bytearray(_FRAME_HEAD)
    out += uuid.UUID(str(request_id)).bytes
    out += _OP_AND_PROCESSOR
    extras: list[bytes] = []
    if evaluation_timeout_ms is not None:
        extras.append(_EVALUATION_TIMEOUT + _int32(int(evaluation_timeout_ms), "evaluationTimeout"))
    if batch_size is not None:
        extras.append(_BATCH_SIZE + _int32(int(batch_size), "batchSize"))
    out += _i32(2 + len(extras))
    return out, extras


def element_steps(plan: ElementPlan) -> int:
    """Gremlin steps of the plan's sub-traversal, nested anonymous traversals included, without building it.

    The count of step instructions over ``element_traversal(plan).bytecode`` and every anonymous
    traversal among their arguments (a request planner keeps requests within Neptune's ~1,500
    steps); ``CardinalityValue`` arguments are bytecode without steps and count nothing. Raises
    :class:`UnsupportedShape` for plans with a versioned part.
    """
    part = plan.unversioned
    if part is None or plan.versioned is not None:
        raise UnsupportedShape(f"element {plan.element_id!r} has a versioned part")
    if not part.upsert:
        return 4  # sideEffect(V(X).drop()).constant(X)
    count = 4  # mergeV|E, option, option, id
    for merge in part.merges.values():
        # sideEffect(identity().property(set, k, x)...) | sideEffect(not(has(k, P)).property(...))
        count += 2 + len(merge.values) if isinstance(merge, AddToSet) else 4
    return count + 4 if part.reset else count  # sideEffect(V(X).drop()).flatMap(<upsert>)


def _int32(value: int, what: str) -> bytes:
    if not _INT32_MIN <= value <= _INT32_MAX:
        raise UnsupportedShape(f"{what} {value} does not fit a GraphBinary Int")
    return _i32(value)


# ---------------------------------------------------------------------------- elements
def _element(out: bytearray, plan: ElementPlan) -> None:
    part = plan.unversioned
    if part is None or plan.versioned is not None:
        raise UnsupportedShape(f"element {plan.element_id!r} has a versioned part")
    if not part.upsert:  # a delete alone: sideEffect(V(X).drop()).constant(X)
        out += _BYTECODE + _i32(2)
        _drop(out, plan)
        out += _STEP_CONSTANT
        out += _string(plan.element_id)
        out += _NO_SOURCES
        return
    if plan.label is None or (plan.is_edge and (plan.from_id is None or plan.to_id is None)):
        raise UnsupportedShape(f"element {plan.element_id!r} has no label or endpoints")
    if part.reset:  # sideEffect(V(X).drop()).flatMap(<upsert>)
        out += _BYTECODE + _i32(2)
        _drop(out, plan)
        out += _STEP_FLAT_MAP
        _upsert(out, plan, part)
        out += _NO_SOURCES
        return
    _upsert(out, plan, part)


def _drop(out: bytearray, plan: ElementPlan) -> None:
    out += _STEP_SIDE_EFFECT + _i32(2)
    out += _STEP_E if plan.is_edge else _STEP_V
    out += _string(plan.element_id)
    out += _STEP_DROP
    out += _NO_SOURCES


def _upsert(out: bytearray, plan: ElementPlan, part: UnversionedPart) -> None:
    props = part.props
    out += _BYTECODE
    out += _i32(4 + len(part.merges))
    if plan.is_edge:
        out += _STEP_MERGE_E
        out += _string(plan.element_id)
        out += _T_LABEL
        out += _key(plan.label or "")
        out += _OUT
        out += _string(plan.from_id or "")
        out += _IN
        out += _string(plan.to_id or "")
        start = len(out)
        out += _STEP_ON_CREATE
        out += _i32(len(props))
        for key, value in props.items():
            out += _key(key)
            _value(out, value)
        same_map = out[start + len(_STEP_ON_CREATE):]
        out += _STEP_ON_MATCH
        out += same_map
    else:
        out += _STEP_MERGE_V
        out += _string(plan.element_id)
        out += _STEP_ON_CREATE
        out += _i32(len(props) + 1)
        out += _T_LABEL
        out += _key(plan.label or "")
        for key, value in props.items():
            out += _key(key)
            _value(out, value)
        out += _STEP_ON_MATCH
        out += _i32(len(props))
        for key, value in props.items():
            out += _key(key)
            out += _SINGLE_VALUE
            _value(out, value)
    for key, merge in part.merges.items():
        _merge(out, key, merge, edge=plan.is_edge)
    out += _STEP_ID
    out += _NO_SOURCES


def _merge(out: bytearray, key: str, merge: MergeValue, *, edge: bool) -> None:
    out += _STEP_SIDE_EFFECT
    if isinstance(merge, AddToSet):  # identity().property(set, k, x)...
        members = merge.sorted_values()
        out += _i32(1 + len(members))
        out += _STEP_IDENTITY
        for member in members:
            out += _PROPERTY_3
            out += _SET
            out += _key(key)
            _value(out, member)
        out += _NO_SOURCES
        return
    if not isinstance(merge, KeepMax | KeepMin):
        raise UnsupportedShape(f"merge rule {type(merge).__name__}")
    # not(has(k, gte|lte(x))).property([single,] k, x)
    out += _i32(2)
    out += _STEP_NOT
    out += _i32(1)
    out += _STEP_HAS
    out += _key(key)
    out += _GTE if isinstance(merge, KeepMax) else _LTE
    _value(out, merge.value)
    out += _NO_SOURCES
    if edge:
        out += _PROPERTY_2
    else:
        out += _PROPERTY_3
        out += _SINGLE
    out += _key(key)
    _value(out, merge.value)
    out += _NO_SOURCES


# ---------------------------------------------------------------------------- values
def _value(out: bytearray, value: Any) -> None:
    """A property value as ``framework.traversals.wire`` sends it and gremlinpython writes it."""
    kind = type(value)
    if kind is str:
        data = value.encode("utf-8")
        out += _STRING
        out += _i32(len(data))
        out += data
    elif kind is float:
        out += _DOUBLE
        out += _CANONICAL_NAN if math.isnan(value) else _f64(value)
    elif kind is int:
        if _INT32_MIN <= value <= _INT32_MAX:
            out += _INT
            out += _i32(value)
        elif _INT64_MIN <= value <= _INT64_MAX:  # wire() sends it as a long
            out += _LONG
            out += _i64(value)
        else:
            raise UnsupportedShape(f"integer {value} does not fit in 64 bits")
    elif kind is bool:
        out += _BOOLEAN_TRUE if value else _BOOLEAN_FALSE
    elif kind is dt.datetime:
        out += _DATE
        out += _i64(_epoch_ms(value))
    elif kind is long:
        if not _INT64_MIN <= value <= _INT64_MAX:
            raise UnsupportedShape(f"integer {value} does not fit in 64 bits")
        out += _LONG
        out += _i64(value)
    else:
        raise UnsupportedShape(f"a property value of type {kind.__module__}.{kind.__qualname__}")


def _epoch_ms(value: dt.datetime) -> int:
    """Milliseconds since the epoch, computed exactly as gremlinpython's ``DateIO`` does (float rounding
    included, and the microseconds of the datetime as given, not of its UTC conversion)."""
    try:
        seconds = calendar.timegm(value.utctimetuple())
    except OverflowError:
        raise UnsupportedShape(f"datetime {value!r} is out of range") from None
    millis = round(seconds * 1e3 + value.microsecond / 1e3)
    if not _INT64_MIN <= millis <= _INT64_MAX:
        raise UnsupportedShape(f"datetime {value!r} is out of range")
    return millis
