"""Read access to graph elements for the steps, plus the small value types the engine emits.

Steps work on the store's own records (``VertexRecord`` ...) rather than gremlinpython objects so
that a traversal sees its own writes and later steps can mutate what earlier steps found; the
executor converts records to gremlinpython ``Vertex``/``Edge``/... only at the very end.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any

from gremlin_python.structure.graph import Edge, Vertex

from ..graph import EdgeRecord, GraphStore, VertexPropertyRecord, VertexRecord
from .failures import invalid_parameter


@dataclass(frozen=True, slots=True)
class EdgeProperty:
    """An edge's property as a traversal object (``g.E().properties()``)."""

    edge: EdgeRecord
    key: str
    value: Any


@dataclass(frozen=True, slots=True)
class MapEntry:
    """A ``Map.Entry`` (what ``unfold()`` makes of a map); sent to clients as a one-entry map."""

    key: Any
    value: Any


class LinkedSet(list[Any]):
    """A Set that keeps insertion order (Java's ``LinkedHashSet``), e.g. what ``dedup(local)`` makes.

    A list inside the engine, so that iterating it is deterministic (a Python ``set`` of strings is
    not, from one process to the next); the executor hands it to the client as a Set.
    """


Element = VertexRecord | EdgeRecord


def is_element(obj: object) -> bool:
    return isinstance(obj, VertexRecord | EdgeRecord)


def label_matches(actual: str, wanted: object) -> bool:
    """Neptune multi-labels: a vertex added with ``'a::b'`` has labels ``a`` and ``b``."""
    if not isinstance(wanted, str):
        return False
    return actual == wanted or ("::" in actual and wanted in actual.split("::"))


def property_objects(obj: Any, keys: Iterable[str] = ()) -> Iterator[Any]:
    """``properties(keys...)``: vertex-property records or edge properties, in the element's order."""
    wanted = set(keys)
    if isinstance(obj, VertexRecord):
        for key, values in list(obj.properties.items()):
            if not wanted or key in wanted:
                yield from list(values)
    elif isinstance(obj, EdgeRecord):
        for key, value in list(obj.properties.items()):
            if not wanted or key in wanted:
                yield EdgeProperty(obj, key, value)


def property_values(obj: Any, key: str) -> list[Any]:
    """All values of ``key`` on an element (a vertex key may hold several); [] when absent."""
    if isinstance(obj, VertexRecord):
        return [vp.value for vp in obj.properties.get(key, ())]
    if isinstance(obj, EdgeRecord):
        return [obj.properties[key]] if key in obj.properties else []
    return []


def has_property(obj: Any, key: str) -> bool:
    if isinstance(obj, VertexRecord):
        return bool(obj.properties.get(key))
    if isinstance(obj, EdgeRecord):
        return key in obj.properties
    return False


def element_id(obj: Any, step: str) -> Any:
    if isinstance(obj, VertexRecord | EdgeRecord | VertexPropertyRecord):
        return obj.id
    raise invalid_parameter(f"{step}() expects a graph element, got {type(obj).__name__} {obj!r}")


def element_label(obj: Any, step: str) -> str:
    if isinstance(obj, VertexRecord | EdgeRecord):
        return obj.label
    if isinstance(obj, VertexPropertyRecord):
        return obj.key
    raise invalid_parameter(f"{step}() expects a graph element, got {type(obj).__name__} {obj!r}")


def reference_id(value: Any) -> Any:
    """An id given directly, or the id of a gremlinpython/record element given instead."""
    if isinstance(value, Vertex | Edge | VertexRecord | EdgeRecord):
        return value.id
    return value


def attach(store: GraphStore, value: Any) -> Any:
    """Turn a client-side ``Vertex``/``Edge`` (e.g. from ``inject``) into the live record."""
    if isinstance(value, Vertex):
        return store.vertex(value.id) or value
    if isinstance(value, Edge):
        return store.edge(value.id) or value
    return value


def attach_all(store: GraphStore, value: Any) -> Any:
    """:func:`attach`, through lists and maps (``withSideEffect('a', [v1, v2])``)."""
    if isinstance(value, list):
        return [attach_all(store, v) for v in value]
    if isinstance(value, dict):
        return {k: attach_all(store, v) for k, v in value.items()}
    return attach(store, value)
