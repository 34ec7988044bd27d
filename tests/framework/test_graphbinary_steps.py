"""``Steps`` and its direct GraphBinary writer: the same traversal and the same bytes as gremlinpython.

The reference is gremlinpython itself: the ``Bytecode`` its ``__`` builds from the same calls, and
``GraphBinarySerializersV1().serialize_message`` of ``steps.bytecode``. Versioned plans are drawn
at random (versions as ints and datetimes, deletes, several versions of an element in a batch,
merge rules, every value type at its boundaries) and planned by ``batching.coalesce`` as the worker
plans them. Whatever the writer does not know, it must refuse (``UnsupportedShape``) so the caller
uses gremlinpython, never invent bytes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from gremlin_python.driver.request import RequestMessage
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.process.graph_traversal import __ as gp
from gremlin_python.process.traversal import Cardinality, CardinalityValue, Direction, Merge, Order, P, T
from gremlin_python.statics import long
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framework.graphbinary_steps as gbs
from framework.batching import ElementPlan, coalesce
from framework.graphbinary_requests import UnsupportedShape
from framework.gremlin_steps import Steps, __, g_inject
from framework.protocol import GremlinProtocol
from framework.request_planner import steps as counted_steps
from framework.traversals import UpsertRequest, element_steps, request_traversal
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex

from .test_graphbinary_requests import keys, merge_values, values

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
REQUEST_ID = "0f1e2d3c-4b5a-4978-8695-a4b3c2d1e0f9"


def reference(steps: Steps, timeout: int | None = None, batch: int | None = None) -> bytes:
    args: dict[str, Any] = {"gremlin": steps.bytecode, "aliases": {"g": "g"}}
    if timeout is not None:
        args["evaluationTimeout"] = timeout
    if batch is not None:
        args["batchSize"] = batch
    return bytes(GraphBinarySerializersV1().serialize_message(REQUEST_ID, RequestMessage("traversal", "bytecode",
                                                                                         args)))


def assert_same_bytes(plans: list[ElementPlan], timeout: int | None = None, batch: int | None = None) -> None:
    steps = request_traversal(plans, now=NOW)
    try:
        expected = reference(steps, timeout, batch)
    except Exception:  # gremlinpython cannot serialize it: the writer must refuse too
        with pytest.raises(UnsupportedShape):
            gbs.encode_steps_request(REQUEST_ID, steps, evaluation_timeout_ms=timeout, batch_size=batch)
        return
    got = gbs.encode_steps_request(REQUEST_ID, steps, evaluation_timeout_ms=timeout, batch_size=batch)
    if got != expected:
        at = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                  min(len(got), len(expected)))
        pytest.fail(f"bytes differ at {at} of {len(expected)}: got {got[max(0, at - 24):at + 24]!r}, "
                    f"expected {expected[max(0, at - 24):at + 24]!r}")
    # and what the client sends is that frame
    framed = GremlinProtocol("graphbinary-v1").encode(REQUEST_ID, UpsertRequest(plans, NOW),
                                                     evaluation_timeout_ms=timeout, batch_size=batch)
    assert framed == expected


vertex_ids = st.sampled_from(["a", "b", "ü-ñ", "東京"])
int_versions = st.integers(1, 2**62)
datetime_versions = st.datetimes(min_value=dt.datetime(2000, 1, 1), max_value=dt.datetime(2100, 1, 1),
                                 timezones=st.just(dt.UTC))
write_props = st.dictionaries(keys, st.one_of(values, merge_values), max_size=3)


def versioned_writes(versions: st.SearchStrategy[Any]) -> st.SearchStrategy[list[Any]]:
    maybe = st.one_of(st.none(), versions)
    return st.lists(st.one_of(
        st.builds(Vertex, id=vertex_ids, label=st.sampled_from(["A", "Ä"]), props=write_props, version=maybe),
        st.builds(Edge, label=st.sampled_from(["L", "Ł"]), from_id=vertex_ids, to_id=vertex_ids, props=write_props,
                  version=maybe),
        st.builds(DeleteVertex, id=vertex_ids, version=maybe),
        st.builds(DeleteEdge, label=st.sampled_from(["L", "Ł"]), from_id=vertex_ids, to_id=vertex_ids, version=maybe),
    ), min_size=1, max_size=4)


@st.composite
def planned(draw: st.DrawFn) -> list[ElementPlan]:
    """A batch as the worker plans it: a few messages of versioned (and some unversioned) writes."""
    versions = draw(st.sampled_from([int_versions, datetime_versions]))
    messages = draw(st.lists(versioned_writes(versions), min_size=1, max_size=4))
    return coalesce([(str(i), w) for i, w in enumerate(messages)]).elements


limits = st.one_of(st.none(), st.integers(0, 2**31 - 1))


@settings(max_examples=300, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans=planned(), timeout=limits, batch=limits)
def test_versioned_batches_are_written_as_gremlinpythons_bytes(plans: list[ElementPlan], timeout: int | None,
                                                               batch: int | None) -> None:
    assert_same_bytes(plans, timeout, batch)


@settings(max_examples=150, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans=planned())
def test_step_counts_are_those_of_gremlinpythons_bytecode(plans: list[ElementPlan]) -> None:
    for plan in plans:
        assert element_steps(plan, NOW) == counted_steps(request_traversal([plan], now=NOW).bytecode) - 2


def test_steps_build_the_bytecode_gremlinpythons_anonymous_traversals_build() -> None:
    def build(a: Any) -> Any:
        return (a.coalesce(a.V("x", "y").has("k", P.gte(long(3))).limit(1).constant("s"),
                           a.merge_e({T.id: "e", T.label: "L", Direction.OUT: "x", Direction.IN: "y"})
                           .option(Merge.on_create, {"b": long(2)})
                           .option(Merge.on_match, {"c": CardinalityValue.single(1.5)})
                           .side_effect(a.not_(a.has("k", P.lte(2))).property(Cardinality.single, "k", 2))
                           .side_effect(a.identity().property(Cardinality.set_, "t", "x"))
                           .side_effect(a.V("x").both_e().filter_(a.not_(a.has("v", P.gt(1)))).properties().drop())
                           .flat_map(a.merge_v({T.id: "x"}).id_())
                           .fold().unfold().E("e").drop()))

    assert build(__).bytecode == build(gp).bytecode
    assert build(__).step_count() == counted_steps(build(gp).bytecode)
    assert g_inject(0).union(__.constant(1)).bytecode.step_instructions == [
        ["inject", 0], ["union", gp.constant(1).bytecode]]


def cardinality_value_with_a_step() -> CardinalityValue:
    value = CardinalityValue.single("x")
    value.add_step("identity")
    return value


@pytest.mark.parametrize("argument", [
    [1, 2], None, P.between(1, 5), P.within([1, 2]), 2**31, -(2**31) - 1, Order.asc, object(), b"bytes",
    cardinality_value_with_a_step(),
], ids=repr)
def test_arguments_outside_the_writer_are_refused(argument: Any) -> None:
    with pytest.raises(UnsupportedShape):
        gbs.encode_steps_request(REQUEST_ID, g_inject(0).union(__.constant(argument)))


def test_text_that_is_not_unicode_is_refused() -> None:
    with pytest.raises(UnsupportedShape, match="not valid Unicode"):
        gbs.encode_steps_request(REQUEST_ID, g_inject(0).union(__.constant("\ud800")))


def test_the_probe_turns_the_fast_path_on_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gbs, "_state", None)
    gbs.steps_fast_path()
    assert gbs._state is True
    calls: list[int] = []
    monkeypatch.setattr(gbs, "_probe", lambda: calls.append(1) or True)
    gbs.steps_fast_path()
    assert calls == []


def test_bytes_gremlinpython_would_write_differently_turn_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    plans = coalesce([("m", [Vertex("a", "A", {"n": 1}, version=2)])]).elements
    monkeypatch.setattr(gbs, "_state", None)
    monkeypatch.setitem(gbs._ENUMS, Cardinality.single, gbs._ENUMS[Cardinality.set_])  # a writer gone wrong
    with pytest.raises(UnsupportedShape, match="differently"):
        gbs.encode_steps_request(REQUEST_ID, request_traversal(plans, now=NOW))
    # The request then goes the generic way, with gremlinpython's bytes.
    assert UpsertRequest(plans, NOW).graphbinary_frame(REQUEST_ID, evaluation_timeout_ms=None, batch_size=None) is None
    assert GremlinProtocol("graphbinary-v1").encode(REQUEST_ID, UpsertRequest(plans, NOW)) == reference(
        request_traversal(plans, now=NOW))


def test_a_probe_the_writer_refuses_turns_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gbs, "_state", None)
    monkeypatch.delitem(gbs._ENUMS, Merge.on_create)
    with pytest.raises(UnsupportedShape, match="could not be written directly"):
        gbs.steps_fast_path()
    with pytest.raises(UnsupportedShape, match="could not be written directly"):  # and stays off
        gbs.steps_fast_path()


# ---------------------------------------------------------------- arguments only _argument writes
def test_a_traversal_inside_a_map_is_written_as_gremlinpythons_bytes() -> None:
    steps = g_inject(0).union(__.constant({"k": __.constant("v").fold(), T.id: "x"}))
    assert gbs.encode_steps_request(REQUEST_ID, steps) == reference(steps)


def test_ints_at_the_32_bit_bounds_are_written_as_gremlinpythons_bytes() -> None:
    for value in (2**31 - 1, -(2**31)):
        steps = g_inject(0).union(__.constant(value))
        assert gbs.encode_steps_request(REQUEST_ID, steps) == reference(steps)


def test_step_heads_written_afresh_are_gremlinpythons_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(gbs, "_STEP_HEADS", {})  # every (step, arity) encoded here, not taken from earlier tests
    steps = g_inject(0).union(__.V("a", "b").limit(1), __.constant("s").fold())
    assert gbs.encode_steps_request(REQUEST_ID, steps) == reference(steps)
    assert gbs.encode_steps_request(REQUEST_ID, steps) == reference(steps)  # and from the cache


def cardinality_value_with_source(source: list[Any]) -> CardinalityValue:
    value = CardinalityValue.single("x")
    value.source_instructions[0] = source
    return value


@pytest.mark.parametrize(("argument", "message"), [
    (2**31, "an int argument 2147483648 beyond 32 bits (not sent as a long)"),
    (P("eq", 1, 2), "predicate eq(1,2)"),
    (P.eq([1, 2]), "predicate eq([1, 2])"),
    (cardinality_value_with_source(["CardinalityValueTraversal", Cardinality.single]), "cardinality value"),
    (cardinality_value_with_source(["Other", Cardinality.single, "x"]), "cardinality value"),
    (b"bytes", "an argument of type builtins.bytes (b'bytes')"),
], ids=repr)
def test_refusals_say_which_argument(argument: Any, message: str) -> None:
    with pytest.raises(UnsupportedShape) as refused:
        gbs.encode_steps_request(REQUEST_ID, g_inject(0).union(__.constant(argument)))
    assert str(refused.value).startswith(message)
