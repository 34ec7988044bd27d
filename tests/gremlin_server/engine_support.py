"""Helpers for the engine tests: a seeded store, one-transaction runs, the modern graph, error
codes, snapshots. The ``e`` fixture (an ``Engine`` holding the modern graph) is in ``conftest.py``:
a fixture imported from here would be flagged by ruff (F811) in every test that takes it.

No server: bytecode comes from gremlinpython's own ``GraphTraversalSource`` (never connected).
"""

from __future__ import annotations

import itertools
import random
from typing import Any

import pytest
from gremlin_python.process.anonymous_traversal import traversal
from gremlin_python.structure.graph import Graph

from gwlocal.gremlin_server.engine import execute
from gwlocal.gremlin_server.errors import NeptuneError
from gwlocal.gremlin_server.graph import GraphStore, Transaction
from gwlocal.gremlin_server.modern import modern_traversal

g = traversal().with_graph(Graph())
"""Builds bytecode only."""

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
        self.run(modern_traversal(g).none())


def fails(engine: Engine, t: Any, code: str) -> str:
    """Run ``t``, expecting a Neptune error with ``code``; returns its detailed message."""
    with pytest.raises(NeptuneError) as err:
        engine.run(t)
    assert err.value.code == code, err.value
    return err.value.detailed_message


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
