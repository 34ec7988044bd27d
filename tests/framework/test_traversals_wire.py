"""What ``framework.traversals`` puts on the wire where the graph alone would not show it.

- Property cardinality: vertex properties are written with ``single`` (or ``set`` for ``AddToSet``),
  edge properties with none (an edge property holds one value; ``property(single, ...)`` on an
  edge is a different request, which some TinkerPop versions refuse).
- The late-delete check of a versioned delete compares versions (``has(gw:version, gt(d))``), as
  the module docstring documents.
- ``UpsertRequest.graphbinary_frame``: the directly written frame, with the request arguments it
  is given, for unversioned and versioned requests (each through its own writer); None (the
  generic path) when the writer refuses the request's content.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gremlin_python.driver.request import RequestMessage
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.traversal import Bytecode, Cardinality, P
from gremlin_python.statics import long

from framework.batching import coalesce
from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.traversals import UpsertRequest, element_traversal, request_traversal
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex
from framework.versions import VERSION_KEY, late_delete_token

NOW = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
REQUEST_ID = "6f1c2a8e-3b1d-4f5e-9a7c-0d2e4b6a8c10"


def instructions(bytecode: Bytecode) -> list[list[Any]]:
    """Every step instruction, nested anonymous traversals included, depth first."""
    found: list[list[Any]] = []
    for step in bytecode.step_instructions:
        found.append(step)
        for argument in step[1:]:
            inner = getattr(argument, "bytecode", argument)
            if isinstance(inner, Bytecode):
                found += instructions(inner)
    return found


def property_steps(plan_writes: list[Any]) -> list[list[Any]]:
    [plan] = coalesce([("m0", plan_writes[:1]), *((f"m{i}", [w]) for i, w in enumerate(plan_writes[1:], 1))]).elements
    steps = [s for s in instructions(element_traversal(plan, now=NOW).bytecode) if s[0] == "property"]
    assert steps
    return steps


VERSIONED_EDGE = [Edge("L", "a", "b", {"w": 1.5, "top": KeepMax(3), "low": KeepMin(1)}, version=2),
                  Edge("L", "a", "b", {"w": 2.5, "n": 7, "top": KeepMax(9)}, version=5)]
VERSIONED_VERTEX = [Vertex("a", "U", {"p": 1, "top": KeepMax(3), "tags": AddToSet("x")}, version=2),
                    Vertex("a", "U", {"p": 2, "low": KeepMin(1)}, version=5)]


@pytest.mark.parametrize("writes", [VERSIONED_EDGE, VERSIONED_EDGE[:1], [Edge("L", "a", "b", {"top": KeepMax(3)})]],
                         ids=["versioned-two-groups", "versioned-one-group", "unversioned-merge"])
def test_edge_properties_are_written_without_a_cardinality(writes):
    for step in property_steps(writes):
        assert len(step) == 3, step
        assert not isinstance(step[1], Cardinality), step


@pytest.mark.parametrize("writes", [VERSIONED_VERTEX, VERSIONED_VERTEX[:1]], ids=["two-groups", "one-group"])
def test_versioned_vertex_properties_are_written_with_a_cardinality(writes):
    for step in property_steps(writes):
        assert len(step) == 4, step
        expected = Cardinality.set_ if step[2] == "tags" else Cardinality.single
        assert step[1] is expected, step


@pytest.mark.parametrize(("write", "kind", "start"), [
    (DeleteVertex("a", version=3), "v", "V"),
    (DeleteEdge("L", "a", "b", version=3), "e", "E"),
])
def test_the_late_delete_check_compares_versions(write, kind, start):
    [plan] = coalesce([("m", [write])]).elements
    element_id = plan.element_id
    last = element_traversal(plan, now=NOW).bytecode.step_instructions[-1]
    assert last[0] == "coalesce"
    late = last[2].step_instructions
    assert late == [[start, element_id], ["has", VERSION_KEY, P.gt(long(3))],
                    ["constant", late_delete_token(kind, element_id)]]


def generic_frame(plans: list[Any], **args: Any) -> bytes:
    message = {"gremlin": request_traversal(plans, now=NOW).bytecode, "aliases": {"g": "g"}, **args}
    return bytes(GraphBinarySerializersV1().serialize_message(REQUEST_ID, RequestMessage("traversal", "bytecode",
                                                                                         message)))


@pytest.mark.parametrize(("timeout", "batch"), [(1234, 64), (None, 64), (1234, None), (None, None)])
def test_an_unversioned_request_writes_its_frame_directly_with_its_arguments(timeout, batch):
    plans = coalesce([("m", [Vertex("a", "U", {"n": 1}), Vertex("b", "U"), Edge("L", "a", "b", {"w": 2.5})])]).elements
    frame = UpsertRequest(plans, NOW).graphbinary_frame(REQUEST_ID, evaluation_timeout_ms=timeout, batch_size=batch)
    args = {"evaluationTimeout": timeout, "batchSize": batch}
    assert frame == generic_frame(plans, **{k: v for k, v in args.items() if v is not None})


@pytest.mark.parametrize(("timeout", "batch"), [(None, None), (5, None), (None, 7), (5, 7)])
def test_a_versioned_request_writes_its_frame_directly_with_its_arguments(timeout, batch):
    plans = coalesce([("m", [Vertex("a", "U", {"n": 1}), Vertex("b", "U", {"s": "x"}, version=3),
                             Edge("L", "a", "b", {"w": 2.5}, version=4), DeleteVertex("c", version=2)])]).elements
    frame = UpsertRequest(plans, NOW).graphbinary_frame(REQUEST_ID, evaluation_timeout_ms=timeout, batch_size=batch)
    args = {"evaluationTimeout": timeout, "batchSize": batch}
    assert frame == generic_frame(plans, **{k: v for k, v in args.items() if v is not None})


def test_a_versioned_request_the_writer_refuses_leaves_its_frame_to_the_generic_path():
    class Text(str):
        """A str subclass: gremlinpython's type lookup would not see a str, so it is not guessed at."""

    plans = coalesce([("m", [Vertex("b", "U", {"s": Text("x")}, version=3)])]).elements
    assert UpsertRequest(plans, NOW).graphbinary_frame(REQUEST_ID, evaluation_timeout_ms=5, batch_size=5) is None
