"""GraphBinary v1 request frames for any :class:`~framework.gremlin_steps.Steps` request, in one pass.

Why: versioned writes (see :mod:`framework.traversals`) are too varied in shape for the
hand-laid encoder of :mod:`framework.graphbinary_requests` (which covers unversioned upserts), and
serializing them through gremlinpython's ``Bytecode`` and generic writer cost more CPU than
everything else the handler does. A :class:`Steps` is already plain ``(name, *args)`` tuples, so
its bytes can be written directly: step names as bare strings, arguments fully qualified.

What it writes is exactly what ``GraphBinarySerializersV1().serialize_message`` writes for
``steps.bytecode`` in the ``bytecode`` op of the ``traversal`` processor (as
:class:`framework.protocol.GremlinProtocol` frames it). Two guards keep it so:

- :func:`steps_fast_path` probes once per process, on first use: a request covering every
  argument kind this writer knows (each enum member, operator and value type, nested traversals,
  a ``CardinalityValue``) is written both ways, and unless the bytes are equal the fast path stays off
  (every call raises :class:`~framework.graphbinary_requests.UnsupportedShape`, and the caller
  serializes with gremlinpython): a gremlinpython upgrade that writes differently costs speed,
  never different bytes;
- arguments outside what is written here (a ``list``, ``None``, a ``P`` with two operands, an
  ``int`` beyond 32 bits that ``framework.traversals.wire`` did not mark as a long, a property
  value of another type) raise ``UnsupportedShape`` too, so the caller gets gremlinpython's own
  bytes or its own error.

``tests/framework/test_graphbinary_steps.py`` compares the bytes over random versioned plans.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from gremlin_python.process.traversal import Cardinality, CardinalityValue, Direction, Merge, P, T
from gremlin_python.statics import long

from .graphbinary_requests import (
    _ALIASES,
    _BYTECODE,
    _GREMLIN_KEY,
    _INT32_MAX,
    _INT32_MIN,
    _INT64_MAX,
    _INT64_MIN,
    _LONG,
    _MAP,
    _NO_SOURCES,
    _P,
    _STRING,
    UnsupportedShape,
    _bare,
    _enum,
    _i32,
    _i64,
    _value,
    request_head,
)
from .gremlin_steps import Steps

__all__ = ["encode_steps_request", "steps_fast_path"]

_ENUMS: dict[Any, bytes] = {
    T.id: _enum(0x20, "id"), T.label: _enum(0x20, "label"),
    Direction.OUT: _enum(0x18, "OUT"), Direction.IN: _enum(0x18, "IN"),
    Merge.on_create: _enum(0x2E, "onCreate"), Merge.on_match: _enum(0x2E, "onMatch"),
    Cardinality.single: _enum(0x16, "single"), Cardinality.set_: _enum(0x16, "set"),
    Cardinality.list_: _enum(0x16, "list"),
}
"""The enum members graphworker sends, as gremlinpython writes them (type code, then the name)."""

_OPERATORS = {name: _bare(name) for name in ("eq", "neq", "gt", "gte", "lt", "lte")}
_STEP_HEADS: dict[tuple[str, int], bytes] = {}
"""A step's name and argument count, encoded once per (name, count)."""
_ONE_LONG = _i32(1) + b"\x02\x00"
"""A predicate's one operand, up to its int64: ``gte(long(n))`` is how versions are compared."""
_CARDINALITY_VALUE = _i32(0) + _i32(1) + _bare("CardinalityValueTraversal") + _i32(2)
"""``CardinalityValue(c, v)``'s bytecode up to its two arguments: no steps, one source instruction."""
_SCALARS = frozenset({str, float, bool, dt.datetime, long})
"""Written by :func:`framework.graphbinary_requests._value`, as property values are."""
_ENUM_TYPES = frozenset({T, Direction, Merge, Cardinality})


def encode_steps_request(request_id: str | uuid.UUID, steps: Steps, *, evaluation_timeout_ms: int | None = None,
                         batch_size: int | None = None) -> bytes:
    """The GraphBinary v1 frame of the request ``steps`` (a root traversal), with the ``g`` alias.

    Raises :class:`~framework.graphbinary_requests.UnsupportedShape` when an argument is outside
    this writer (see the module docstring) or the fast path is off (see :func:`steps_fast_path`).
    """
    steps_fast_path()
    return _frame(request_id, steps, evaluation_timeout_ms, batch_size)


_state: bool | str | None = None
"""True once the probe passed, the reason it failed (a ``str``), None before the first request."""


def steps_fast_path() -> None:
    """Probe once (about a millisecond, on the first versioned request) that this writer's bytes are
    gremlinpython's; raise ``UnsupportedShape`` with the reason whenever the probe failed."""
    global _state
    if _state is None:
        _state = _probe()
    if _state is not True:
        raise UnsupportedShape(str(_state))


def _frame(request_id: str | uuid.UUID, steps: Steps, evaluation_timeout_ms: int | None,
           batch_size: int | None) -> bytes:
    out, extras = request_head(request_id, evaluation_timeout_ms, batch_size)
    out += _GREMLIN_KEY
    try:
        _body(out, steps)
    except UnicodeEncodeError as exc:
        raise UnsupportedShape(f"text that is not valid Unicode ({exc.reason})") from None
    out += _ALIASES
    for extra in extras:
        out += extra
    return bytes(out)


def _body(out: bytearray, steps: Steps) -> None:
    """A bytecode value after its type code: the steps, then no source instructions.

    The commonest arguments (strings, nested traversals, longs, one-operand predicates, enum
    members) are written inline: a versioned element has a few hundred arguments, and a call per
    argument was most of this writer's time.
    """
    instructions = steps.instructions
    out += _i32(len(instructions))
    heads = _STEP_HEADS
    enums = _ENUMS
    for instruction in instructions:
        arity = len(instruction) - 1
        head = heads.get((instruction[0], arity))
        if head is None:
            head = heads[(instruction[0], arity)] = _bare(instruction[0]) + _i32(arity)
        out += head
        for index in range(1, arity + 1):
            value = instruction[index]
            kind = type(value)
            if kind is str:
                data = value.encode("utf-8")
                out += _STRING
                out += _i32(len(data))
                out += data
            elif kind is Steps:
                out += _BYTECODE
                _body(out, value)
            elif kind is long and _INT64_MIN <= value <= _INT64_MAX:
                out += _LONG
                out += _i64(value)
            elif kind is P and value.other is None and type(value.value) is long and value.operator in _OPERATORS \
                    and _INT64_MIN <= value.value <= _INT64_MAX:
                out += _P
                out += _OPERATORS[value.operator]
                out += _ONE_LONG
                out += _i64(value.value)
            elif kind in _ENUM_TYPES and value in enums:
                out += enums[value]
            else:
                _argument(out, value)
    out += _NO_SOURCES


def _argument(out: bytearray, value: Any) -> None:
    """Any argument :func:`_body` does not write inline (and the keys and values of maps)."""
    kind = type(value)
    if kind is Steps:
        out += _BYTECODE
        _body(out, value)
    elif kind is int:
        if not _INT32_MIN <= value <= _INT32_MAX:
            raise UnsupportedShape(f"an int argument {value} beyond 32 bits (not sent as a long)")
        _value(out, value)
    elif kind in _SCALARS:
        _value(out, value)
    elif kind is dict:
        out += _MAP
        out += _i32(len(value))
        for key, item in value.items():
            _argument(out, key)
            _argument(out, item)
    elif kind is P:
        operator = _OPERATORS.get(value.operator)
        if operator is None or value.other is not None or type(value.value) in (list, set, tuple):
            raise UnsupportedShape(f"predicate {value!r}")
        out += _P
        out += operator
        out += _i32(1)
        _argument(out, value.value)
    elif kind is CardinalityValue:
        (source,) = value.source_instructions
        if value.step_instructions or len(source) != 3 or source[0] != "CardinalityValueTraversal":
            raise UnsupportedShape(f"cardinality value {value!r}")
        out += _BYTECODE
        out += _CARDINALITY_VALUE
        _argument(out, source[1])
        _argument(out, source[2])
    else:
        encoded = _ENUMS.get(value) if kind in _ENUM_TYPES else None
        if encoded is None:
            raise UnsupportedShape(f"an argument of type {kind.__module__}.{kind.__qualname__} ({value!r})")
        out += encoded


def _probe() -> bool | str:
    """Write one request holding every step shape and argument kind this writer knows (each enum
    member, operator and value type once, nested traversals, a ``CardinalityValue``) both ways.

    Why a synthetic request and not a batch of planned elements: the writer's bytes are those of its
    arguments in bytecode framing, so covering each kind once proves them, at a fraction of the
    cost (this runs in the first versioned request of every execution context: a cold start).
    """
    from gremlin_python.driver.request import RequestMessage
    from gremlin_python.driver.serializer import GraphBinarySerializersV1

    from .gremlin_steps import __, g_inject

    at = dt.datetime(2024, 1, 2, 3, 4, 5, 678000, tzinfo=dt.UTC)
    checks = [__.has("k", P(name, long(2**40))) for name in _OPERATORS]
    steps = g_inject(0).union(
        __.coalesce(__.V("a", "b").has("k", P.gte(7)).limit(1).constant("s"),
                    __.merge_v({T.id: "x"}).option(Merge.on_create, {T.label: "L", "d": at, "f": 1.5, "b": True,
                                                                     "n": long(-(2**63)), "e": ""})
                    .option(Merge.on_match, {"c": CardinalityValue.single("v")})
                    .side_effect(__.not_(__.has("k", P.lte(1.5))).property(Cardinality.single, "k", "v")
                                 .property(Cardinality.set_, "t", False).property(Cardinality.list_, "l", at))
                    .side_effect(__.filter_(*checks[:1]).not_(__.both_e()).drop())),
        __.merge_e({T.id: "e", T.label: "L", Direction.OUT: "x", Direction.IN: "ü"}).property("w", 2.5).id_(),
        *checks[1:]).fold().union(__.unfold())
    request_id = "00000000-0000-4000-8000-000000000000"
    reference = GraphBinarySerializersV1().serialize_message(request_id, RequestMessage(
        "traversal", "bytecode", {"gremlin": steps.bytecode, "aliases": {"g": "g"}, "evaluationTimeout": 5,
                                  "batchSize": 64}))
    try:
        ours = _frame(request_id, steps, 5, 64)
    except UnsupportedShape as exc:
        return f"the probe request could not be written directly: {exc}"
    if ours != bytes(reference):
        return "gremlinpython writes the probe request differently from this writer"
    return True
