"""Graph steps: ``V``/``E`` lookups and moving along edges (``out``, ``inE``, ``otherV`` ...).

Lookups by id are dict hits and adjacency is indexed by label, so ``g.V(id).out('knows')`` costs
O(1 + degree('knows')), never a scan.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from gremlin_python.process.traversal import Direction

from ..graph import EdgeRecord, GraphStore, VertexRecord
from ..wire.tokens import wire_name
from .elements import reference_id
from .failures import invalid_parameter, malformed
from .pipeline import Build, Step, no_args
from .traverser import Context, Traverser


def _flatten_ids(args: list[Any]) -> list[Any]:
    ids: list[Any] = []
    for arg in args:
        if isinstance(arg, list | tuple | set):
            ids.extend(reference_id(a) for a in arg)
        else:
            ids.append(reference_id(arg))
    return ids


class GraphStep(Step):
    """``V(ids...)``/``E(ids...)``, as a start step or mid-traversal (once per incoming traverser)."""

    def __init__(self, name: str, ids: list[Any]) -> None:
        super().__init__(name)
        self.ids = ids

    def _lookup(self, store: GraphStore) -> list[Any]:
        if self.name == "V":
            if not self.ids:
                return list(store.vertices())
            found_v = (store.vertex(i) for i in self.ids)
            return [v for v in found_v if v is not None]
        if not self.ids:
            return list(store.edges())
        found_e = (store.edge(i) for i in self.ids)
        return [e for e in found_e if e is not None]

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        tick = ctx.tick
        for t in stream:
            for element in self._lookup(ctx.store):
                tick()
                yield t.split(element)


def _vertex(obj: Any, step: str) -> VertexRecord:
    if not isinstance(obj, VertexRecord):
        raise invalid_parameter(f"{step}() expects a vertex, got {type(obj).__name__} {obj!r}")
    return obj


def _edge(obj: Any, step: str) -> EdgeRecord:
    if not isinstance(obj, EdgeRecord):
        raise invalid_parameter(f"{step}() expects an edge, got {type(obj).__name__} {obj!r}")
    return obj


class VertexStep(Step):
    """``out``/``in``/``both`` (to vertices) and ``outE``/``inE``/``bothE`` (to edges)."""

    def __init__(self, name: str, direction: str, to_edges: bool, labels: list[str]) -> None:
        super().__init__(name)
        self.direction = direction
        self.to_edges = to_edges
        self.edge_labels = labels

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        tick = ctx.tick
        for t in stream:
            v = _vertex(t.obj, self.name)
            if self.direction in ("out", "both"):
                for e in GraphStore.out_edges(v, self.edge_labels):
                    tick()
                    yield t.split(e, came_from=v) if self.to_edges else t.split(e.in_v)
            if self.direction in ("in", "both"):
                for e in GraphStore.in_edges(v, self.edge_labels):
                    tick()
                    yield t.split(e, came_from=v) if self.to_edges else t.split(e.out_v)


class EdgeVertexStep(Step):
    """``outV``/``inV``/``bothV``/``otherV``."""

    def apply(self, ctx: Context, stream: Iterator[Traverser]) -> Iterator[Traverser]:
        for t in stream:
            e = _edge(t.obj, self.name)
            if self.name == "outV":
                yield t.split(e.out_v)
            elif self.name == "inV":
                yield t.split(e.in_v)
            elif self.name == "bothV":
                yield t.split(e.out_v)
                yield t.split(e.in_v)
            else:
                origin = t.came_from
                if not isinstance(origin, VertexRecord):
                    raise invalid_parameter("otherV() needs to know the vertex the edge was reached from")
                yield t.split(e.in_v if origin is e.out_v else e.out_v)


def _graph(b: Build) -> Step:
    return GraphStep(b.name, _flatten_ids(b.args))


def _vertex_step(direction: str, to_edges: bool) -> Callable[[Build], Step]:
    def make(b: Build) -> Step:
        labels = _flatten_ids(b.args)
        if not all(isinstance(label, str) for label in labels):
            raise invalid_parameter(f"{b.name}() takes edge labels (strings), got {b.args!r}")
        return VertexStep(b.name, direction, to_edges, labels)

    return make


_DIRECTIONS = {"OUT": "out", "IN": "in", "BOTH": "both"}


def _direction(b: Build) -> str:
    if not b.args or not isinstance(b.args[0], Direction):
        raise malformed(f"{b.name}() takes a Direction first, got {b.args!r}")
    return _DIRECTIONS[wire_name(b.args[0])]


def to_direction(b: Build) -> Step:
    """``to(Direction, labels...)``/``toE(...)``: ``out``/``in``/``both`` (``outE`` ...) by a Direction
    argument (TinkerPop's ``VertexStep`` with a direction)."""
    direction = _direction(b)
    labels = _flatten_ids(b.args[1:])
    if not all(isinstance(label, str) for label in labels):
        raise invalid_parameter(f"{b.name}() takes edge labels (strings), got {b.args[1:]!r}")
    to_edges = b.name == "toE"
    return VertexStep(f"{direction}E" if to_edges else direction, direction, to_edges, labels)


def _to_v(b: Build) -> Step:
    b.arity(1, 1)
    direction = _direction(b)
    return EdgeVertexStep({"out": "outV", "in": "inV", "both": "bothV"}[direction])


STEPS: dict[str, Callable[[Build], Step]] = {
    "toE": to_direction,
    "toV": _to_v,
    "V": _graph,
    "E": _graph,
    "out": _vertex_step("out", False),
    "in": _vertex_step("in", False),
    "both": _vertex_step("both", False),
    "outE": _vertex_step("out", True),
    "inE": _vertex_step("in", True),
    "bothE": _vertex_step("both", True),
    "outV": no_args(EdgeVertexStep),
    "inV": no_args(EdgeVertexStep),
    "bothV": no_args(EdgeVertexStep),
    "otherV": no_args(EdgeVertexStep),
}
