"""Planning a batch: coalesce the messages' upserts into elements, then into few Gremlin requests.

Why coalesce: an SQS batch often mentions the same element many times (a customer in ten
orders). Writing it once per batch saves requests and avoids conflicting with ourselves; the
coalesced element remembers every message that asked for it, so each message can still be
judged on its own ("succeeded only if all of its upserts were committed").

Rules, all deterministic (same batch in, same plan out):

- Elements are keyed by ``("v", id)`` / ``("e", edge_id)`` in first-seen order (message order,
  then yield order).
- Properties of duplicates merge key by key; a later message wins a key.
- A duplicate that disagrees on what the element *is* (a vertex's label, an edge's label or
  endpoints) is a conflict: that whole message is rejected with the reason, and none of its
  upserts are merged in.
- Vertices are written before edges (an edge needs its endpoints).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import CardinalityValue, Direction, Merge, T
from gremlin_python.structure.graph import Graph

from .errors import RequestEncodingError
from .upserts import Edge, Upsert, Vertex

_g = traversal().with_graph(Graph())


@dataclass
class Element:
    """One coalesced element of a batch and the messages that asked for it."""

    upsert: Upsert
    owners: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return self.upsert.key

    @property
    def element_id(self) -> str:
        return self.upsert.id if isinstance(self.upsert, Vertex) else self.upsert.edge_id


@dataclass
class BatchPlan:
    vertices: list[Element]
    edges: list[Element]
    rejected: dict[str, str]
    """Message id -> why its upserts could not be coalesced."""

    @property
    def elements(self) -> list[Element]:
        return self.vertices + self.edges


def coalesce(messages: Sequence[tuple[str, Sequence[Upsert]]]) -> BatchPlan:
    """Merge the upserts of ``(message_id, upserts)`` pairs into one element per key."""
    elements: dict[tuple[str, str], Element] = {}
    rejected: dict[str, str] = {}
    for message_id, upserts in messages:
        staged: dict[tuple[str, str], Upsert] = {}
        conflict = None
        for upsert in upserts:
            key = upsert.key
            current = staged.get(key) or (elements[key].upsert if key in elements else None)
            if current is None:
                staged[key] = upsert
                continue
            conflict = _identity_conflict(current, upsert)
            if conflict:
                break
            staged[key] = _merge(current, upsert)
        if conflict:
            rejected[message_id] = conflict
            continue
        for key, upsert in staged.items():
            element = elements.get(key)
            if element is None:
                elements[key] = Element(upsert, [message_id])
            else:
                element.upsert = upsert
                if message_id not in element.owners:
                    element.owners.append(message_id)
    ordered = list(elements.values())
    return BatchPlan(
        vertices=[e for e in ordered if isinstance(e.upsert, Vertex)],
        edges=[e for e in ordered if isinstance(e.upsert, Edge)],
        rejected=rejected,
    )


def _identity_conflict(current: Upsert, new: Upsert) -> str | None:
    if isinstance(current, Vertex) and isinstance(new, Vertex):
        if current.label != new.label:
            return (f"vertex {new.id!r} is labelled {new.label!r} here but {current.label!r} "
                    "earlier in the batch")
        return None
    assert isinstance(current, Edge) and isinstance(new, Edge)
    if (current.label, current.from_id, current.to_id) != (new.label, new.from_id, new.to_id):
        return (f"edge id {new.edge_id!r} is {new.label} {new.from_id!r}->{new.to_id!r} here but "
                f"{current.label} {current.from_id!r}->{current.to_id!r} earlier in the batch")
    return None


def _merge(current: Upsert, new: Upsert) -> Upsert:
    props = {**current.props, **new.props}
    if isinstance(current, Vertex):
        return Vertex(id=current.id, label=current.label, props=props)
    assert isinstance(current, Edge)
    return Edge(label=current.label, from_id=current.from_id, to_id=current.to_id, props=props, id=current.id)


def element_traversal(element: Element) -> Any:
    """The anonymous traversal that upserts one element and emits its id."""
    upsert = element.upsert
    props = dict(upsert.props)
    if isinstance(upsert, Vertex):
        create: dict[Any, Any] = {T.label: upsert.label, **props}
        # Neptune's default vertex cardinality is set: a plain onMatch value would be *added*
        # next to the old one. Single-cardinality values replace it, so an upsert converges.
        update = {k: CardinalityValue.single(v) for k, v in props.items()}
        return (__.merge_v({T.id: upsert.id}).option(Merge.on_create, create)
                .option(Merge.on_match, update).id_())
    search = {T.id: upsert.edge_id, T.label: upsert.label, Direction.OUT: upsert.from_id,
              Direction.IN: upsert.to_id}
    return __.merge_e(search).option(Merge.on_create, props).option(Merge.on_match, props).id_()


def request_traversal(elements: Sequence[Element]) -> Any:
    """One request that upserts every element and returns every element's id (one each).

    ``union`` runs each upsert once for the single injected traverser, so the answer has
    exactly one id per element: anything less is an incomplete (failed) request.
    """
    return _g.inject(0).union(*(element_traversal(e) for e in elements))


def chunk(elements: Sequence[Element], *, max_upserts: int, max_bytes: int,
          size_of: Callable[[Any], int]) -> list[list[Element]]:
    """Split into requests of at most ``max_upserts`` elements and ``max_bytes`` serialized bytes."""
    out: list[list[Element]] = []
    for start in range(0, len(elements), max_upserts):
        out.extend(_fit(list(elements[start:start + max_upserts]), max_bytes, size_of))
    return out


def estimate_bytes(group: Sequence[Element]) -> int:
    """A generous upper estimate of a request's serialized size, to avoid serializing it twice.

    Only when the estimate exceeds half the limit is the request really serialized to measure it
    (it is serialized again when sent), so the common case pays for one serialization.
    """
    total = 256
    for element in group:
        upsert = element.upsert
        total += 400 + 4 * len(element.element_id) + 2 * len(upsert.label)
        if isinstance(upsert, Edge):
            total += 2 * (len(upsert.from_id) + len(upsert.to_id))
        for key, value in upsert.props.items():
            total += 3 * (48 + 2 * len(key) + (4 * len(value) if isinstance(value, str) else 16))
    return total


def _fit(group: list[Element], max_bytes: int, size_of: Callable[[Any], int]) -> list[list[Element]]:
    if len(group) <= 1 or estimate_bytes(group) <= max_bytes // 2:
        return [group]
    try:
        size = size_of(request_traversal(group).bytecode)
    except RequestEncodingError:  # an element that cannot be serialized: split until it is alone
        size = max_bytes + 1
    if size <= max_bytes:
        return [group]
    middle = len(group) // 2
    return _fit(group[:middle], max_bytes, size_of) + _fit(group[middle:], max_bytes, size_of)
