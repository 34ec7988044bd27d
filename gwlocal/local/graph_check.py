"""The end-of-run graph check: the state the valid messages asked for, compared with the graph.

Three steps, each its own function, so a richer comparison (property values under the
framework's convergence rules) slots in without touching the others:

1. :func:`expected_state`: map every sent body with the handler's own mapping (as the handler
   would), and collect the elements the valid messages ask for; bodies the mapping refuses are
   the poison ones.
2. :func:`found_state`: read every vertex and edge back from the endpoint.
3. :func:`compare`: expected -> found, element by element (kind, id, label, edge endpoints):
   missing, unexpected and duplicated elements, with samples.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Graph

from framework.client import GraphClient
from framework.upserts import Upsert, Vertex
from framework.worker import GraphWorker, MessageFailed

from ..lambda_events import sqs_record

_g = traversal().with_graph(Graph())
SAMPLE = 10


@dataclass(frozen=True, order=True)
class ElementKey:
    """What identifies an element for the check: kind, id, label and, for an edge, its endpoints."""

    kind: str
    id: str
    label: str
    out_v: str = ""
    in_v: str = ""

    @classmethod
    def of(cls, upsert: Upsert) -> ElementKey:
        if isinstance(upsert, Vertex):
            return cls("vertex", upsert.id, upsert.label)
        return cls("edge", upsert.edge_id, upsert.label, upsert.from_id, upsert.to_id)

    def as_list(self) -> list[str]:
        return [self.kind, self.id, self.label] + ([self.out_v, self.in_v] if self.kind == "edge" else [])


@dataclass
class ExpectedState:
    elements: dict[ElementKey, int] = field(default_factory=dict)
    """Element -> send index of the first valid message that asked for it."""
    poison_bodies: set[str] = field(default_factory=set)

    def add(self, index: int, upsert: Upsert) -> None:
        self.elements.setdefault(ElementKey.of(upsert), index)


@dataclass
class FoundState:
    elements: Counter[ElementKey] = field(default_factory=Counter)
    """Element -> how many times the graph holds it (more than once is a duplicate)."""


async def expected_state(worker: GraphWorker, bodies: Iterable[str]) -> ExpectedState:
    """Map each body (distinct bodies once) as the handler does; refused bodies are poison."""
    state = ExpectedState()
    seen: set[str] = set()
    for index, body in enumerate(bodies):
        if body in seen:
            continue
        seen.add(body)
        try:
            upserts = await worker.map_record(_record(body))
        except MessageFailed:
            state.poison_bodies.add(body)
            continue
        for upsert in upserts:
            state.add(index, upsert)
    return state


async def found_state(client: GraphClient) -> FoundState:
    vertices = await client.submit(_g.V().project("id", "label").by(T.id).by(T.label), read=True)
    edges = await client.submit(_g.E().project("id", "label", "out", "in").by(T.id).by(T.label)
                                .by(__.out_v().id_()).by(__.in_v().id_()), read=True)
    state = FoundState()
    state.elements.update(ElementKey("vertex", v["id"], v["label"]) for v in vertices)
    state.elements.update(ElementKey("edge", e["id"], e["label"], e["out"], e["in"]) for e in edges)
    return state


def compare(expected: ExpectedState, found: FoundState) -> dict[str, Any]:
    """The report's ``graph_check``: ``ok`` when the graph holds exactly the expected elements, once."""
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
    return {
        "expected": len(want),
        "found": sum(found.elements.values()),
        "missing": len(missing),
        "unexpected": len(unexpected),
        "duplicates": len(duplicated),
        "ok": not missing and not unexpected and not duplicated,
        "missing_sample": [k.as_list() for k in missing[:SAMPLE]],
        "unexpected_sample": [k.as_list() for k in unexpected[:SAMPLE]],
        "duplicates_sample": [k.as_list() for k in duplicated[:SAMPLE]],
    }


def _record(body: str) -> Any:
    from aws_lambda_powertools.utilities.data_classes.sqs_event import SQSRecord

    return SQSRecord(sqs_record(body))
