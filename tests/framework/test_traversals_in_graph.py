"""What ``framework.traversals`` requests do to a graph: versioned deletes and upserts, run in-process.

Each scenario plans writes with the framework's own ``coalesce``, renders them with
``request_traversal`` / ``rendered`` / ``UpsertRequest`` and runs the bytecode in the local
endpoint's engine (one transaction per request, as Neptune would), then checks the answer tokens
and what the graph holds: tombstones and their ``gw:deleted_at`` stamp, ``gw:born``, edges that
outlive an older delete, and one token per element.
"""

from __future__ import annotations

import datetime as dt
import itertools
import random
from typing import Any

import pytest

from framework.batching import ElementPlan, UnversionedPart, VersionedPart, VersionGroup, coalesce
from framework.gremlin_steps import g_inject
from framework.traversals import UpsertRequest, element_steps, element_traversal, rendered, request_traversal
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex, Write, edge_id
from framework.versions import BORN_KEY, DELETED_AT_KEY, late_delete_token, stale_token, tombstone_id
from gwlocal.gremlin_server.engine import execute
from gwlocal.gremlin_server.graph import GraphStore

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
LATER = dt.datetime(2026, 3, 5, tzinfo=dt.UTC)
EDGE = edge_id("L", "a", "b")


class InProcessGraph:
    """The local endpoint's engine without a server: each ``run`` is one committed transaction."""

    def __init__(self) -> None:
        self.store = GraphStore(random.Random(0))
        self._ids = itertools.count()

    def run(self, bytecode: Any) -> list[Any]:
        txn = self.store.begin(f"txn-{next(self._ids)}")
        try:
            results = execute(bytecode, txn)
        except BaseException:
            txn.rollback()
            raise
        txn.commit()
        return results

    def send(self, *messages: list[Write], now: dt.datetime = NOW) -> list[Any]:
        """One request per kind (vertices, then edges), as the batch writer sends a batch."""
        plan = coalesce([(f"m{i}", writes) for i, writes in enumerate(messages)])
        assert not plan.rejected, plan.rejected
        answers: list[Any] = []
        for elements in (plan.vertices, plan.edges):
            if elements:
                answers += self.run(request_traversal(elements, now=now).bytecode)
        return answers

    def vertex_props(self, vid: str) -> dict[str, list[Any]]:
        v = self.store.vertex(vid)
        assert v is not None, f"no vertex {vid!r}"
        return {k: [vp.value for vp in vps] for k, vps in v.properties.items()}

    def edge_props(self, eid: str) -> dict[str, Any]:
        e = self.store.edge(eid)
        assert e is not None, f"no edge {eid!r}"
        return dict(e.properties)


@pytest.fixture
def graph() -> InProcessGraph:
    return InProcessGraph()


def with_edge(graph: InProcessGraph, *, versions: tuple[int, ...]) -> None:
    """Vertices ``a`` and ``b`` at version 1, and the edge ``a -L-> b`` upserted at each of ``versions``."""
    assert graph.send([Vertex("a", "U", version=1), Vertex("b", "U", version=1)]) == ["a", "b"]
    for version in versions:
        assert graph.send([Edge("L", "a", "b", {"w": version}, version=version)]) == [EDGE]


# ---------------------------------------------------------------------------- versioned deletes
def test_an_edge_delete_older_than_the_edge_keeps_it_and_answers_stale(graph):
    with_edge(graph, versions=(5,))
    assert graph.send([DeleteEdge("L", "a", "b", version=3)]) == [stale_token("e", EDGE)]
    assert graph.edge_props(EDGE)["w"] == 5
    assert graph.vertex_props(tombstone_id("e", EDGE))["gw:version"] == [3]


def test_an_edge_delete_newer_than_the_edge_drops_it(graph):
    with_edge(graph, versions=(2,))
    assert graph.send([DeleteEdge("L", "a", "b", version=3)]) == [EDGE]
    assert graph.store.edge(EDGE) is None


def test_an_edge_delete_arriving_after_a_newer_update_of_the_same_life_answers_late(graph):
    """Born at 2, updated at 5: a delete at 3 is late (the edge's life began before it), not stale."""
    with_edge(graph, versions=(2, 5))
    assert graph.edge_props(EDGE)[BORN_KEY] == 2
    assert graph.send([DeleteEdge("L", "a", "b", version=3)]) == [late_delete_token("e", EDGE)]
    assert graph.edge_props(EDGE)["w"] == 5


def test_a_vertex_delete_arriving_after_a_newer_update_of_the_same_life_answers_late(graph):
    assert graph.send([Vertex("a", "U", {"p": 2}, version=2)]) == ["a"]
    assert graph.send([Vertex("a", "U", {"p": 5}, version=5)]) == ["a"]
    assert graph.send([DeleteVertex("a", version=3)]) == [late_delete_token("v", "a")]
    assert graph.vertex_props("a")["p"] == [5]


def test_an_upsert_older_than_both_its_tombstones_answers_one_stale_token(graph):
    """The edge's own tombstone and an endpoint's both outrank the upsert: still exactly one token."""
    with_edge(graph, versions=(2,))
    assert graph.send([DeleteEdge("L", "a", "b", version=5)]) == [EDGE]
    assert graph.send([DeleteVertex("a", version=6)]) == ["a"]
    assert graph.send([Vertex("a", "U", version=7)]) == ["a"]
    assert graph.send([Edge("L", "a", "b", {"w": 4}, version=4)]) == [stale_token("e", EDGE)]
    assert graph.store.edge(EDGE) is None


def test_a_tombstone_records_the_request_time(graph):
    with_edge(graph, versions=(2,))
    assert graph.send([Vertex("c", "U", version=1)]) == ["c"]
    assert graph.send([DeleteVertex("c", version=2)], now=NOW) == ["c"]
    assert graph.vertex_props(tombstone_id("v", "c"))[DELETED_AT_KEY] == [NOW]
    assert graph.send([DeleteEdge("L", "a", "b", version=3)], [DeleteVertex("b", version=4)], now=LATER) == [
        "b", EDGE]
    assert graph.vertex_props(tombstone_id("e", EDGE))[DELETED_AT_KEY] == [LATER]
    assert graph.vertex_props(tombstone_id("v", "b"))[DELETED_AT_KEY] == [LATER]


@pytest.mark.parametrize("build", [
    lambda plans: request_traversal(plans),
    lambda plans: g_inject(0).union(element_traversal(plans[0])),
], ids=["request_traversal", "element_traversal"])
def test_without_a_time_given_a_tombstone_records_the_current_utc_time(graph, build):
    plans = coalesce([("m", [DeleteVertex("a", version=2)])]).elements
    before = dt.datetime.now(dt.UTC)
    assert graph.run(build(plans).bytecode) == ["a"]
    after = dt.datetime.now(dt.UTC)
    [stamp] = graph.vertex_props(tombstone_id("v", "a"))[DELETED_AT_KEY]
    assert stamp.tzinfo is not None and stamp.utcoffset() == dt.timedelta(0)
    assert before <= stamp <= after


def test_element_traversal_stamps_the_time_it_is_given(graph):
    plan = coalesce([("m", [DeleteVertex("a", version=2)])]).elements[0]
    assert graph.run(g_inject(0).union(element_traversal(plan, now=NOW)).bytecode) == ["a"]
    assert graph.vertex_props(tombstone_id("v", "a"))[DELETED_AT_KEY] == [NOW]


def test_rendered_builds_for_the_time_it_is_given_and_rebuilds_for_another():
    plan = coalesce([("m", [DeleteVertex("a", version=2)])]).elements[0]
    first = rendered(plan, NOW)
    assert rendered(plan, NOW) is first  # built once per batch time
    again = rendered(plan, LATER)
    assert again is not first
    for built, stamp in ((first, NOW), (again, LATER)):
        graph = InProcessGraph()
        assert graph.run(g_inject(0).union(built).bytecode) == ["a"]
        assert graph.vertex_props(tombstone_id("v", "a"))[DELETED_AT_KEY] == [stamp]


def test_an_upsert_request_stamps_its_batch_time(graph):
    plans = coalesce([("m", [DeleteVertex("a", version=2)])]).elements
    request = UpsertRequest(plans, NOW)
    assert graph.run(request.bytecode()) == ["a"]
    assert request.bytecode() is request.bytecode()
    assert graph.vertex_props(tombstone_id("v", "a"))[DELETED_AT_KEY] == [NOW]


# ---------------------------------------------------------------------------- versioned upserts
def test_a_new_versioned_vertex_gets_its_label(graph):
    assert graph.send([Vertex("a", "Account", {"p": 1}, version=3)]) == ["a"]
    assert graph.store.vertex("a").label == "Account"
    assert graph.vertex_props("a")[BORN_KEY] == [3]


def test_a_new_versioned_edge_is_born_at_its_oldest_version(graph):
    with_edge(graph, versions=())
    assert graph.send([Edge("L", "a", "b", {"w": 2}, version=2)], [Edge("L", "a", "b", {"w": 6}, version=6)]) == [
        EDGE]
    assert graph.edge_props(EDGE)[BORN_KEY] == 2
    assert graph.edge_props(EDGE)["w"] == 6


@pytest.mark.parametrize("kind", ["vertex", "edge"])
def test_an_older_upsert_arriving_later_moves_the_birth_earlier(graph, kind):
    """Born at 5; an upsert at 3 (no delete between) is part of the same life, which now starts at 3."""
    if kind == "vertex":
        assert graph.send([Vertex("a", "U", {"p": 5}, version=5)]) == ["a"]
        assert graph.send([Vertex("a", "U", {"q": 3}, version=3)]) == [stale_token("v", "a")]
        assert graph.vertex_props("a")[BORN_KEY] == [3]
        assert graph.vertex_props("a")["q"] == [3]
    else:
        with_edge(graph, versions=(5,))
        assert graph.send([Edge("L", "a", "b", {"x": 3}, version=3)]) == [stale_token("e", EDGE)]
        assert graph.edge_props(EDGE)[BORN_KEY] == 3
        assert graph.edge_props(EDGE)["x"] == 3


# ---------------------------------------------------------------------------- plans of both kinds of part
def test_an_unversioned_write_and_a_versioned_delete_of_one_vertex_both_run(graph):
    """The unversioned upsert lands; the older versioned delete then finds a newer vertex and is stale."""
    assert graph.send([Vertex("a", "U", {"p": 1}, version=9)]) == ["a"]
    plan = ElementPlan("v", "a", "U", owners=["m"], unversioned=UnversionedPart(upsert=True, props={"q": 2}),
                       versioned=VersionedPart(delete=3))
    assert graph.run(request_traversal([plan], now=NOW).bytecode) == [stale_token("v", "a")]
    assert graph.vertex_props("a")["q"] == [2]
    assert graph.vertex_props("a")["p"] == [1]


def test_a_plan_with_an_empty_versioned_part_is_refused():
    plan = ElementPlan("v", "a", "U", unversioned=UnversionedPart(upsert=True), versioned=VersionedPart())
    with pytest.raises(AssertionError):
        element_traversal(plan, now=NOW)


def test_a_versioned_edge_without_both_endpoints_is_refused():
    plan = ElementPlan("e", "x", "L", from_id="a", to_id=None,
                       versioned=VersionedPart(groups=[VersionGroup(2, props={"w": 1})]))
    with pytest.raises(AssertionError):
        element_traversal(plan, now=NOW)


# ---------------------------------------------------------------------------- step counting
def test_counting_an_unversioned_element_builds_nothing():
    plan = coalesce([("m", [Vertex("a", "U", {"p": 1})])]).elements[0]
    assert element_steps(plan, NOW) == 4
    assert plan.rendered is None


def test_counting_a_versioned_element_builds_the_traversal_the_request_then_reuses(graph):
    plan = coalesce([("m", [DeleteVertex("a", version=2)])]).elements[0]
    assert element_steps(plan, NOW) > 4
    stamp, built = plan.rendered
    assert stamp == NOW
    assert rendered(plan, NOW) is built
    assert graph.run(request_traversal([plan], now=NOW).bytecode) == ["a"]
    assert graph.vertex_props(tombstone_id("v", "a"))[DELETED_AT_KEY] == [NOW]
