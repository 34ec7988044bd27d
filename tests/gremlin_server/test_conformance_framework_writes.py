"""Conformance: the exact requests graphworker's order-safe writes send, through real gremlinpython.

``framework.traversals`` renders a batch's element plans into one ``inject(0).union(...)`` request
(versions, per-property versions, merge rules, deletes and tombstones). Each scenario here builds
plans with the framework's own coalescing, sends the rendered request with gremlinpython's
``Client`` in each serializer that can carry ``T``-keyed maps, and checks both the answer tokens
and what the graph then holds.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gremlin_python.process.graph_traversal import __

from framework.batching import coalesce
from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.traversals import request_traversal
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex, Write, edge_id
from framework.versions import TOMBSTONE_LABEL, stale_token, tombstone_id

from .conformance_support import TOKEN_MAP_SERIALIZERS, G, Modern

pytestmark = pytest.mark.parametrize("serializer", TOKEN_MAP_SERIALIZERS)
NOW = dt.datetime(2026, 11, 26, tzinfo=dt.UTC)


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer, load=False)


def send(m: Modern, *messages: list[Write]) -> list[Any]:
    """One request for a batch of messages, vertices then edges, as the batch writer sends them."""
    plan = coalesce([(f"m{i}", writes) for i, writes in enumerate(messages)])
    assert not plan.rejected, plan.rejected
    answers: list[Any] = []
    for elements in (plan.vertices, plan.edges):
        if elements:
            answers += m.submit(request_traversal(elements, now=NOW))
    return answers


def props(m: Modern, vid: str) -> dict[str, Any]:
    rows = m.submit(G.V(vid).value_map())
    return {k: sorted(v) if k == "tags" else v[0] for k, v in rows[0].items() if not k.startswith("gw:")} if rows \
        else {}


def test_versions_per_property(m):
    assert send(m, [Vertex("a", "U", {"p": "p6", "q": "q6"}, version=6)]) == ["a"]
    assert send(m, [Vertex("a", "U", {"p": "p5", "r": "r5"}, version=5)]) == [stale_token("v", "a")]
    assert props(m, "a") == {"p": "p6", "q": "q6", "r": "r5"}  # r: no newer write set it
    assert send(m, [Vertex("a", "U", {"p": "p7"}, version=7)], [Vertex("a", "U", {"q": "q4"}, version=4)]) == ["a"]
    assert props(m, "a") == {"p": "p7", "q": "q6", "r": "r5"}


def test_merge_rules(m):
    for n in (5, 2, 9):
        send(m, [Vertex("a", "U", {"max": KeepMax(n), "min": KeepMin(n), "tags": AddToSet(f"t{n}", "all")})])
    assert props(m, "a") == {"max": 9, "min": 2, "tags": ["all", "t2", "t5", "t9"]}


def test_delete_tombstone_and_recreate(m):
    send(m, [Vertex("a", "U", {"p": 1}, version=1), Vertex("b", "U", version=1)])
    send(m, [Edge("L", "a", "b", {"w": 1}, version=2)])
    assert send(m, [DeleteVertex("a", version=3)]) == ["a"]
    assert m.submit(G.V("a").count()) == [0] and m.submit(G.E().count()) == [0]
    assert m.submit(G.V(tombstone_id("v", "a")).label()) == [TOMBSTONE_LABEL]
    # Older upserts of the vertex and of its edge are stale; a newer one recreates it.
    assert send(m, [Vertex("a", "U", {"p": 2}, version=2)], [Edge("L", "a", "b", version=2)]) == [
        stale_token("v", "a"), stale_token("e", edge_id("L", "a", "b"))]
    assert send(m, [Vertex("a", "U", {"p": 4}, version=4)]) == ["a"]
    assert props(m, "a") == {"p": 4}


def test_delete_newer_than_the_element_is_stale_and_edge_delete(m):
    send(m, [Vertex("a", "U", version=9), Vertex("b", "U", version=1)])
    send(m, [Edge("L", "a", "b", version=5)])
    assert send(m, [DeleteVertex("a", version=4)]) == [stale_token("v", "a")]
    assert send(m, [DeleteEdge("L", "a", "b", version=6)]) == [edge_id("L", "a", "b")]
    assert m.submit(G.E().count()) == [0] and m.submit(G.V("a").count()) == [1]


def test_unversioned_reset_in_one_batch(m):
    send(m, [Vertex("a", "U", {"old": 1})])
    assert send(m, [DeleteVertex("a")], [Vertex("a", "U", {"new": 2})]) == ["a"]
    assert props(m, "a") == {"new": 2}


def test_one_answer_per_element_in_a_mixed_batch(m):
    send(m, [Vertex("x", "U", version=10)])
    answers = send(m, [Vertex("x", "U", version=3), Vertex("y", "U", version=3), DeleteVertex("z", version=1)],
                   [Vertex("y", "U", {"k": "v"})])
    assert sorted(answers) == sorted([stale_token("v", "x"), "y", "z"])
    assert m.submit(G.V().not_(__.has_label(TOMBSTONE_LABEL)).id_().fold()) in (
        [["x", "y"]], [["y", "x"]])
