"""Helpers for the engine tests: a seeded store, one-transaction runs, the modern graph, snapshots.

No server: bytecode comes from gremlinpython's own ``GraphTraversalSource`` (never connected).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import T
from gremlin_python.structure.graph import Graph

from gwlocal.gremlin_server.engine import execute
from gwlocal.gremlin_server.graph import GraphStore, Transaction

g = traversal().with_graph(Graph())
"""Builds bytecode only."""

PEOPLE = [("1", "marko", 29), ("2", "vadas", 27), ("4", "josh", 32), ("6", "peter", 35)]
SOFTWARE = [("3", "lop", "java"), ("5", "ripple", "java")]
EDGES = [
    ("7", "1", "knows", "2", 0.5),
    ("8", "1", "knows", "4", 1.0),
    ("9", "1", "created", "3", 0.4),
    ("10", "4", "created", "5", 1.0),
    ("11", "4", "created", "3", 0.4),
    ("12", "6", "created", "3", 0.2),
]


class Engine:
    """A seeded store plus "run this traversal as one request" (commit, or roll back and raise)."""

    def __init__(self, seed: int = 0) -> None:
        self.store = GraphStore(random.Random(seed))
        self._ids = itertools.count()

    def begin(self, *, read_only: bool = False) -> Transaction:
        return self.store.begin(f"txn-{next(self._ids)}", read_only=read_only)

    def run(self, t: Any, *, deadline: float | None = None) -> list[Any]:
        txn = self.begin()
        try:
            results = execute(t.bytecode, txn, deadline=deadline)
        except BaseException:
            txn.rollback()
            raise
        txn.commit()
        return results

    def run_in(self, txn: Transaction, t: Any) -> list[Any]:
        return execute(t.bytecode, txn)

    def load_modern(self) -> None:
        """TinkerPop's modern graph, built through the engine itself with addV/addE bytecode."""
        t = g.inject(0)
        for vid, name, age in PEOPLE:
            t = t.add_v("person").property(T.id, vid).property("name", name).property("age", age)
        for vid, name, lang in SOFTWARE:
            t = t.add_v("software").property(T.id, vid).property("name", name).property("lang", lang)
        for eid, out_id, label, in_id, weight in EDGES:
            t = t.add_e(label).from_(__.V(out_id)).to(__.V(in_id)).property(T.id, eid).property("weight", weight)
        self.run(t.none())


def snapshot(store: GraphStore) -> Any:
    """Everything a client could observe, in iteration order (so order changes show up too)."""
    vertices = [
        (
            v.id,
            v.label,
            [(k, [(vp.id, vp.value) for vp in vps]) for k, vps in v.properties.items()],
            [(label, list(by_id)) for label, by_id in v.out_edges.items()],
            [(label, list(by_id)) for label, by_id in v.in_edges.items()],
        )
        for v in store.vertices()
    ]
    edges = [(e.id, e.label, e.out_v.id, e.in_v.id, list(e.properties.items())) for e in store.edges()]
    return vertices, edges
