"""The end-of-run graph check: the graph the committed messages imply, compared with the graph, values included.

Three steps, each its own function:

1. :func:`expected_state`: map every sent body with the handler's own mapping (as the handler
   would); bodies the mapping refuses are the poison ones. The writes of the messages the event
   source mapping *committed* (deleted from the queue) are then applied to a reference graph in
   the order the framework's convergence rules define: unversioned writes first (last writer
   wins: a property they set to different values is *ambiguous*, its value depends on delivery
   order, and is left out of the comparison, reported), then versioned writes in version order
   (a delete after an upsert of the same version), merge rules combined, deletes removing a
   vertex with its edges. That is the state the framework promises, whatever the delivery order.
2. :func:`found_state`: read every vertex and edge back, with its properties (graphworker's
   ``gw:`` bookkeeping and tombstones left out).
3. :func:`compare`: element by element (kind, id, label, edge endpoints: missing, unexpected,
   duplicated) and property by property (value mismatches), with samples.

Why from the committed messages: a worker that reported a message committed without writing it
(its message deleted, never redelivered) leaves the graph without what that message asked for:
``missing`` or a value mismatch. One that wrote for a message it never committed leaves
``unexpected`` elements. Either way the run is not GREEN.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Graph

from framework.client import GraphClient
from framework.merge_rules import MERGE_TYPES, AddToSet, KeepMax, KeepMin
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex, Write
from framework.versions import RESERVED_PREFIX, TOMBSTONE_LABEL, version_number
from framework.worker import GraphWorker, MessageFailed

from ..lambda_events import sqs_record

_g = traversal().with_graph(Graph())
SAMPLE = 10
_EPOCH = dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


@dataclass(frozen=True, order=True)
class ElementKey:
    """What identifies an element for the check: kind, id, label and, for an edge, its endpoints."""

    kind: str
    id: str
    label: str
    out_v: str = ""
    in_v: str = ""

    def as_list(self) -> list[str]:
        return [self.kind, self.id, self.label] + ([self.out_v, self.in_v] if self.kind == "edge" else [])


@dataclass
class _Element:
    key: ElementKey
    props: dict[str, Any] = field(default_factory=dict)
    """Property -> value (a set for AddToSet properties)."""


@dataclass
class ExpectedState:
    elements: dict[ElementKey, dict[str, Any]] = field(default_factory=dict)
    """Element -> its expected (unambiguous) properties, normalized (see :func:`normalize`)."""
    ambiguous: dict[ElementKey, set[str]] = field(default_factory=dict)
    """Properties whose final value depends on delivery order (unversioned, different values)."""
    poison_bodies: set[str] = field(default_factory=set)


@dataclass
class FoundState:
    elements: Counter[ElementKey] = field(default_factory=Counter)
    """Element -> how many times the graph holds it (more than once is a duplicate)."""
    props: dict[ElementKey, dict[str, Any]] = field(default_factory=dict)


async def expected_state(worker: GraphWorker, bodies: Iterable[str], committed: Iterable[str] | None = None
                         ) -> ExpectedState:
    """Map each body once; apply the committed bodies' writes (all valid ones when ``committed`` is None)."""
    state = ExpectedState()
    mapped: dict[str, list[Write]] = {}
    for body in bodies:
        if body in mapped or body in state.poison_bodies:
            continue
        try:
            mapped[body] = await worker.map_record(_record(body))
        except MessageFailed:
            state.poison_bodies.add(body)
    chosen = list(mapped) if committed is None else [b for b in dict.fromkeys(committed) if b in mapped]
    graph = _ReferenceGraph()
    graph.apply([write for body in chosen for write in mapped[body]])
    state.elements = {key: normalize(e.props) for key, e in graph.elements().items()}
    state.ambiguous = {key: keys for key, keys in graph.ambiguous.items() if keys}
    return state


class _ReferenceGraph:
    """The framework's convergence rules, applied in the order they define (see the module docstring)."""

    def __init__(self) -> None:
        self.vertices: dict[str, _Element] = {}
        self.edges: dict[str, _Element] = {}
        self.ambiguous: dict[ElementKey, set[str]] = {}
        self._unversioned_values: dict[tuple[str, str, str], set[Any]] = {}

    def elements(self) -> dict[ElementKey, _Element]:
        return {e.key: e for e in [*self.vertices.values(), *self.edges.values()]}

    def apply(self, writes: Sequence[Write]) -> None:
        unversioned = [w for w in writes if w.version is None]
        versioned = sorted((w for w in writes if w.version is not None),
                           key=lambda w: (version_number(w.version or 0), isinstance(w, DeleteVertex | DeleteEdge)))
        for write in unversioned:
            self._write(write, versioned=False)
        for write in versioned:
            self._write(write, versioned=True)
        for (kind, element_id, prop), values in self._unversioned_values.items():
            element = (self.vertices if kind == "v" else self.edges).get(element_id)
            if element is not None and len(values) > 1:
                self.ambiguous.setdefault(element.key, set()).add(prop)

    def _write(self, write: Write, *, versioned: bool) -> None:
        if isinstance(write, DeleteVertex):
            self.vertices.pop(write.id, None)
            for edge_id in [i for i, e in self.edges.items() if write.id in (e.key.out_v, e.key.in_v)]:
                del self.edges[edge_id]
            return
        if isinstance(write, DeleteEdge):
            self.edges.pop(write.edge_id, None)
            return
        if isinstance(write, Vertex):
            element = self.vertices.get(write.id)
            if element is None:
                element = self.vertices[write.id] = _Element(ElementKey("vertex", write.id, write.label))
            kind, element_id = "v", write.id
        else:
            assert isinstance(write, Edge)
            element = self.edges.get(write.edge_id)
            if element is None:
                key = ElementKey("edge", write.edge_id, write.label, write.from_id, write.to_id)
                element = self.edges[write.edge_id] = _Element(key)
            kind, element_id = "e", write.edge_id
        for prop, value in write.props.items():
            if isinstance(value, MERGE_TYPES):
                element.props[prop] = _merged(element.props.get(prop), value)
                continue
            element.props[prop] = value
            if not versioned:
                self._unversioned_values.setdefault((kind, element_id, prop), set()).add(_hashable(value))


def _merged(current: Any, merge: Any) -> Any:
    if isinstance(merge, AddToSet):
        return (set(current) if isinstance(current, set) else set()) | set(merge.values)
    assert isinstance(merge, KeepMax | KeepMin)
    if current is None:
        return merge.value
    return max(current, merge.value) if isinstance(merge, KeepMax) else min(current, merge.value)


def normalize(props: dict[str, Any]) -> dict[str, Any]:
    """Comparable values: datetimes as epoch milliseconds (the wire keeps milliseconds), sets sorted."""
    out: dict[str, Any] = {}
    for key, value in props.items():
        if isinstance(value, set | frozenset | list | tuple):
            items = [_scalar(v) for v in value]
            out[key] = sorted(items, key=repr) if len(items) != 1 or isinstance(value, set | frozenset) else items
        else:
            out[key] = [_scalar(value)]
    return out


def _scalar(value: Any) -> Any:
    if isinstance(value, dt.datetime):
        aware = value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
        return ("datetime", (aware - _EPOCH) // dt.timedelta(milliseconds=1))
    if isinstance(value, float) and math.isnan(value):
        return ("nan",)
    return value


def _hashable(value: Any) -> Any:
    return _scalar(value)


async def found_state(client: GraphClient) -> FoundState:
    vertices = await client.submit(
        _g.V().not_(__.has_label(TOMBSTONE_LABEL)).project("id", "label", "props")
        .by(T.id).by(T.label).by(__.value_map()), read=True)
    edges = await client.submit(
        _g.E().project("id", "label", "out", "in", "props").by(T.id).by(T.label)
        .by(__.out_v().id_()).by(__.in_v().id_()).by(__.value_map()), read=True)
    state = FoundState()
    for v in vertices:
        key = ElementKey("vertex", v["id"], v["label"])
        state.elements[key] += 1
        state.props[key] = _user_props(v["props"], multi=True)
    for e in edges:
        key = ElementKey("edge", e["id"], e["label"], e["out"], e["in"])
        state.elements[key] += 1
        state.props[key] = _user_props(e["props"], multi=False)
    return state


def _user_props(props: dict[Any, Any], *, multi: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in props.items():
        if not isinstance(key, str) or key.startswith(RESERVED_PREFIX):
            continue
        values = list(value) if multi and isinstance(value, list) else [value]
        items = [_scalar(v) for v in values]
        out[key] = sorted(items, key=repr) if len(items) > 1 else items
    return out


def compare(expected: ExpectedState, found: FoundState) -> dict[str, Any]:
    """The report's ``graph_check``: ``ok`` when the graph holds exactly the expected elements, once,
    with the expected values."""
    want = expected.elements.keys()
    have = found.elements.keys()
    missing = sorted(want - have)
    unexpected = sorted(have - want)
    # A duplicate is an element the graph holds twice: under one id, or an unexpected edge that
    # repeats an expected one (same label and endpoints) under another id, as a redelivered
    # message would leave behind if edge ids were not deterministic.
    expected_edges = {(k.label, k.out_v, k.in_v) for k in want if k.kind == "edge"}
    duplicated = sorted({k for k, n in found.elements.items() if n > 1}
                        | {k for k in unexpected if k.kind == "edge" and (k.label, k.out_v, k.in_v) in expected_edges})
    mismatches: list[list[Any]] = []
    checked = 0
    for key in sorted(want & have):
        skip = expected.ambiguous.get(key, set())
        want_props = {k: v for k, v in expected.elements[key].items() if k not in skip}
        have_props = {k: v for k, v in found.props.get(key, {}).items() if k not in skip}
        checked += len(want_props)
        for prop in sorted(want_props.keys() | have_props.keys()):
            if want_props.get(prop) != have_props.get(prop):
                mismatches.append([*key.as_list(), prop, _show(want_props.get(prop)), _show(have_props.get(prop))])
    return {
        "expected": len(want),
        "found": sum(found.elements.values()),
        "missing": len(missing),
        "unexpected": len(unexpected),
        "duplicates": len(duplicated),
        "values_checked": checked,
        "value_mismatches": len(mismatches),
        "ambiguous_properties": sum(len(v) for v in expected.ambiguous.values()),
        "ok": not missing and not unexpected and not duplicated and not mismatches,
        "missing_sample": [k.as_list() for k in missing[:SAMPLE]],
        "unexpected_sample": [k.as_list() for k in unexpected[:SAMPLE]],
        "duplicates_sample": [k.as_list() for k in duplicated[:SAMPLE]],
        "value_mismatch_sample": mismatches[:SAMPLE],
    }


def _show(value: Any) -> Any:
    if value is None:
        return None
    return [list(v) if isinstance(v, tuple) else v for v in value]


def _record(body: str) -> Any:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    return SQSRecord(sqs_record(body))
