"""Gremlin's value semantics: equality, comparability, orderability and equivalence.

Why not Python's ``==``/``<``: Gremlin differs where clients notice. ``1 == 1.0`` but ``True`` is not
``1``; comparing across types (``'a' < 1``) is neither true nor false but an ``ERROR`` that filters the
traverser; ``order()`` needs a *total* order across types (null < boolean < number < date < string <
vertex < edge < ...); and ``dedup()``/``group()`` use equivalence, where ``1`` and ``1.0`` differ.
See TinkerPop's "Gremlin Semantics" provider documentation.
"""

from __future__ import annotations

import datetime
import math
from typing import Any

from aenum import Enum
from gremlin_python.structure.graph import Path

from ..graph import EdgeRecord, VertexPropertyRecord, VertexRecord
from ..wire.tokens import wire_name
from .elements import EdgeProperty, LinkedSet, MapEntry

_EPOCH = datetime.datetime(1970, 1, 1, tzinfo=datetime.UTC)


def is_number(x: object) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _timestamp(d: datetime.datetime) -> float:
    if d.tzinfo is None:
        d = d.replace(tzinfo=datetime.UTC)
    return (d - _EPOCH).total_seconds()


def _element_kind(x: object) -> type | None:
    for kind in (VertexRecord, EdgeRecord, VertexPropertyRecord):
        if isinstance(x, kind):
            return kind
    return None


def compare(a: Any, b: Any) -> int | None:
    """Comparability: -1/0/1, or ``None`` for Gremlin's ``ERROR`` (NaN, cross-type ...)."""
    if a is None or b is None:
        return 0 if a is None and b is None else None
    if is_number(a) and is_number(b):
        if (isinstance(a, float) and math.isnan(a)) or (isinstance(b, float) and math.isnan(b)):
            return None
        return int(a > b) - int(a < b)
    if isinstance(a, bool) and isinstance(b, bool):
        return int(a) - int(b)
    if isinstance(a, str) and isinstance(b, str):
        return int(a > b) - int(a < b)
    if isinstance(a, datetime.datetime) and isinstance(b, datetime.datetime):
        ta, tb = _timestamp(a), _timestamp(b)
        return int(ta > tb) - int(ta < tb)
    kind = _element_kind(a)
    if kind is not None and isinstance(b, kind):
        ida, idb = str(getattr(a, "id", "")), str(getattr(b, "id", ""))
        return int(ida > idb) - int(ida < idb)
    if isinstance(a, list | tuple) and isinstance(b, list | tuple):
        for x, y in zip(a, b, strict=False):
            c = compare(x, y)
            if c != 0:
                return c
        return (len(a) > len(b)) - (len(a) < len(b))
    return None


def equals(a: Any, b: Any) -> bool:
    """Equality (``P.eq``, ``within``, ``has(k, v)``): complete, never ``ERROR``."""
    if isinstance(a, dict) and isinstance(b, dict):
        if len(a) != len(b):
            return False
        return all(any(equals(k, k2) and equals(v, b[k2]) for k2 in b) for k, v in a.items())
    if isinstance(a, MapEntry) and isinstance(b, MapEntry):
        return equals(a.key, b.key) and equals(a.value, b.value)
    if isinstance(a, EdgeProperty) and isinstance(b, EdgeProperty):
        return a.key == b.key and equals(a.value, b.value)
    if isinstance(a, set | frozenset | LinkedSet) and isinstance(b, set | frozenset | LinkedSet):
        return bool(freeze(a) == freeze(b))
    if isinstance(a, Path) and isinstance(b, Path):
        return bool(freeze(a) == freeze(b))
    return compare(a, b) == 0


_RANK_NULL, _RANK_BOOL, _RANK_NUMBER, _RANK_DATE, _RANK_STRING = 0, 1, 2, 3, 4
_RANK_VERTEX, _RANK_EDGE, _RANK_VPROP, _RANK_PROP, _RANK_PATH = 5, 6, 7, 8, 9
_RANK_SET, _RANK_LIST, _RANK_MAP, _RANK_UNKNOWN = 10, 11, 12, 13


def order_key(x: Any) -> tuple[Any, ...]:
    """Orderability: a sort key giving Gremlin's total order across all values."""
    if x is None:
        return (_RANK_NULL,)
    if isinstance(x, bool):
        return (_RANK_BOOL, x)
    if is_number(x):
        if isinstance(x, float) and math.isnan(x):
            return (_RANK_NUMBER, 1, 0)
        return (_RANK_NUMBER, 0, x)
    if isinstance(x, datetime.datetime):
        return (_RANK_DATE, _timestamp(x))
    if isinstance(x, str):
        return (_RANK_STRING, x)
    if isinstance(x, Enum):  # T.id, Direction.OUT ... order by their Gremlin names, among Strings
        return (_RANK_STRING, wire_name(x))
    if isinstance(x, VertexRecord):
        return (_RANK_VERTEX, x.id)
    if isinstance(x, EdgeRecord):
        return (_RANK_EDGE, x.id)
    if isinstance(x, VertexPropertyRecord):
        return (_RANK_VPROP, x.id)
    if isinstance(x, EdgeProperty):
        return (_RANK_PROP, x.key, order_key(x.value))
    if isinstance(x, set | frozenset | LinkedSet):
        return (_RANK_SET, tuple(sorted(order_key(i) for i in x)))
    if isinstance(x, Path):
        return (_RANK_PATH, tuple(order_key(i) for i in x.objects))
    if isinstance(x, list | tuple):
        return (_RANK_LIST, tuple(order_key(i) for i in x))
    if isinstance(x, dict):
        return (_RANK_MAP, tuple(sorted((order_key(k), order_key(v)) for k, v in x.items())))
    if isinstance(x, MapEntry):
        return (_RANK_MAP, ((order_key(x.key), order_key(x.value)),))
    return (_RANK_UNKNOWN, type(x).__name__, str(x))


def freeze(x: Any) -> Any:
    """Equivalence key (``dedup``, ``group``): hashable, and ``1``, ``1.0``, ``True`` all distinct."""
    if x is None:
        return ("null",)
    if isinstance(x, bool):
        return ("bool", x)
    if isinstance(x, int):
        return ("int", x)
    if isinstance(x, float):
        return ("float", "NaN") if math.isnan(x) else ("float", x)
    if isinstance(x, str):
        return x
    if isinstance(x, VertexRecord):
        return ("v", x.id)
    if isinstance(x, EdgeRecord):
        return ("e", x.id)
    if isinstance(x, VertexPropertyRecord):
        return ("vp", x.id)
    if isinstance(x, EdgeProperty):
        # A Property is equal to another with the same key and value, whatever its element (TinkerPop
        # "Dedup Step": g.V().bothE().properties().dedup()); a VertexProperty is a first-class element.
        return ("p", x.key, freeze(x.value))
    if isinstance(x, LinkedSet | set | frozenset):
        return ("set", frozenset(freeze(i) for i in x))
    if isinstance(x, list | tuple):
        return ("list", tuple(freeze(i) for i in x))
    if isinstance(x, Path):
        return ("path", tuple(freeze(i) for i in x.objects), tuple(frozenset(labels) for labels in x.labels))
    if isinstance(x, dict):
        return ("map", frozenset((freeze(k), freeze(v)) for k, v in x.items()))
    if isinstance(x, MapEntry):
        return ("entry", freeze(x.key), freeze(x.value))
    try:
        hash(x)
    except TypeError:
        return ("other", type(x).__name__, repr(x))
    return ("other", type(x).__name__, x)
