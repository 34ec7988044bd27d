"""The direct GraphBinary encoder writes exactly gremlinpython's bytes for graphworker's unversioned requests.

The reference is gremlinpython itself: ``GraphBinarySerializersV1().serialize_message`` of the
request ``framework.traversals.request_traversal`` builds, and the framework's own
``GremlinProtocol.encode`` of it. Plans are drawn at random (ids, labels and keys of arbitrary
unicode, every value type at its boundaries, merge rules, deletes before upserts, deletes alone),
both constructed directly and planned by ``batching.coalesce`` from random writes. Whatever the
reference cannot serialize, the encoder must refuse (``UnsupportedShape``) rather than invent bytes.
"""

from __future__ import annotations

import datetime as dt
import enum
import struct
import uuid
from typing import Any

import pytest
from gremlin_python.driver.request import RequestMessage
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.statics import long
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import framework.graphbinary_requests as gbr
import framework.traversals
from framework.batching import ElementPlan, UnversionedPart, VersionedPart, coalesce
from framework.graphbinary_requests import (
    RequestShape,
    UnsupportedShape,
    element_steps,
    encode_request_in_shape,
    encode_upsert_request,
    request_shape,
)
from framework.gremlin_steps import __, g_inject
from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.protocol import GremlinProtocol
from framework.traversals import element_traversal, request_traversal
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex

NOW = dt.datetime(2024, 5, 6, 7, 8, 9, 123456, tzinfo=dt.UTC)
INT_BOUNDARIES = [0, -1, 1, 2**31 - 1, 2**31, -(2**31), -(2**31) - 1, 2**63 - 1, -(2**63), 2**32, -(2**32)]

text = st.text(max_size=12)
keys = st.text(min_size=1, max_size=8)
ints = st.one_of(st.integers(-(2**63), 2**63 - 1), st.sampled_from(INT_BOUNDARIES))
ODD_NANS = [-float("nan"), struct.unpack(">d", bytes.fromhex("7ff4000000000001"))[0]]
"""NaNs with the sign bit or a payload: gremlinpython writes Java's canonical NaN for every NaN."""
floats = st.one_of(st.floats(), st.sampled_from([0.0, -0.0, float("inf"), float("-inf"), float("nan"), 5e-324,
                                                *ODD_NANS]))
offsets = st.timedeltas(min_value=-dt.timedelta(hours=23, minutes=59, seconds=59),
                        max_value=dt.timedelta(hours=23, minutes=59, seconds=59))
zones = st.one_of(st.none(), st.just(dt.UTC), st.builds(dt.timezone, offsets))
datetimes = st.one_of(st.datetimes(timezones=zones),
                      st.datetimes(min_value=dt.datetime(1969, 12, 31), max_value=dt.datetime(1970, 1, 2),
                                   timezones=zones))
values: st.SearchStrategy[Any] = st.one_of(text, st.booleans(), ints, floats, datetimes,
                                           st.builds(long, st.integers(-(2**63), 2**63 - 1)))
comparables = st.one_of(text, ints, floats, datetimes)
props = st.dictionaries(keys, values, max_size=5)
merge_values = st.one_of(st.builds(KeepMax, comparables), st.builds(KeepMin, comparables),
                         st.lists(values, min_size=1, max_size=3).map(lambda members: AddToSet(*members)))
merges = st.dictionaries(keys, merge_values, max_size=2)


@st.composite
def direct_plans(draw: st.DrawFn) -> ElementPlan:
    kind = draw(st.sampled_from("ve"))
    part = UnversionedPart(reset=draw(st.booleans()), upsert=draw(st.booleans()), props=draw(props),
                           merges=draw(merges))
    return ElementPlan(kind, draw(text), label=draw(text), from_id=draw(text) if kind == "e" else None,
                       to_id=draw(text) if kind == "e" else None, owners=["0"], unversioned=part)


write_props = st.dictionaries(keys, st.one_of(values, merge_values), max_size=3)
vertex_ids = st.sampled_from(["a", "b", "ü-ñ", "東京"])
writes = st.lists(st.one_of(
    st.builds(Vertex, id=vertex_ids, label=st.sampled_from(["A", "Ä"]), props=write_props),
    st.builds(Edge, label=st.sampled_from(["L", "Ł"]), from_id=vertex_ids, to_id=vertex_ids, props=write_props),
    st.builds(DeleteVertex, id=vertex_ids),
    st.builds(DeleteEdge, label=st.sampled_from(["L", "Ł"]), from_id=vertex_ids, to_id=vertex_ids),
), min_size=1, max_size=4)


@st.composite
def planned(draw: st.DrawFn) -> list[ElementPlan]:
    """Plans as the worker makes them: random unversioned writes of a few messages, coalesced."""
    messages = draw(st.lists(writes, min_size=1, max_size=4))
    return coalesce([(str(i), w) for i, w in enumerate(messages)]).elements


def vertices_then_edges(plans: list[ElementPlan]) -> Any:
    """The ``fold()``-barrier request (``RequestShape.VERTICES_THEN_EDGES``), built with gremlinpython."""
    vertices = [element_traversal(p, now=NOW) for p in plans if not p.is_edge]
    edges = [element_traversal(p, now=NOW) for p in plans if p.is_edge]
    if vertices and edges:
        return g_inject(0).union(*vertices).fold().union(__.unfold(), *edges)
    return g_inject(0).union(*(vertices or edges))


def reference(request_id: str, plans: list[ElementPlan], timeout: int | None, batch: int | None,
              build: Any = None) -> bytes:
    built = (build or (lambda p: request_traversal(p, now=NOW)))(plans)
    args: dict[str, Any] = {"gremlin": built.bytecode, "aliases": {"g": "g"}}
    if timeout is not None:
        args["evaluationTimeout"] = timeout
    if batch is not None:
        args["batchSize"] = batch
    return bytes(GraphBinarySerializersV1().serialize_message(
        request_id, RequestMessage("traversal", "bytecode", args)))


def assert_same_bytes(request_id: str, plans: list[ElementPlan], timeout: int | None = None,
                      batch: int | None = None) -> None:
    try:
        expected = reference(request_id, plans, timeout, batch)
    except Exception:  # gremlinpython cannot serialize it: the fast path must refuse too
        with pytest.raises(UnsupportedShape):
            encode_upsert_request(request_id, plans, evaluation_timeout_ms=timeout, batch_size=batch)
        return
    got = encode_upsert_request(request_id, plans, evaluation_timeout_ms=timeout, batch_size=batch)
    if got != expected:
        at = next((i for i, (a, b) in enumerate(zip(got, expected, strict=False)) if a != b),
                  min(len(got), len(expected)))
        pytest.fail(f"bytes differ at {at} of {len(expected)}: got {got[max(0, at - 24):at + 24]!r}, "
                    f"expected {expected[max(0, at - 24):at + 24]!r}")
    framed = GremlinProtocol("graphbinary-v1").encode(request_id, request_traversal(plans, now=NOW).bytecode,
                                                     evaluation_timeout_ms=timeout, batch_size=batch)
    assert got == framed


request_ids = st.uuids().map(str)
limits = st.one_of(st.none(), st.integers(-(2**31), 2**31 - 1), st.integers(2**31, 2**40))


@settings(max_examples=400, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans=st.lists(direct_plans(), max_size=6), request_id=request_ids, timeout=limits, batch=limits)
def test_direct_plans_encode_to_gremlinpythons_bytes(plans: list[ElementPlan], request_id: str,
                                                     timeout: int | None, batch: int | None) -> None:
    assert_same_bytes(request_id, plans, timeout, batch)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans=planned(), request_id=request_ids)
def test_coalesced_batches_encode_to_gremlinpythons_bytes(plans: list[ElementPlan], request_id: str) -> None:
    assert_same_bytes(request_id, plans, 30_000, None)


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans=st.one_of(planned(), st.lists(direct_plans(), max_size=6)), request_id=request_ids)
def test_the_vertices_before_edges_shape_encodes_to_gremlinpythons_bytes(plans: list[ElementPlan],
                                                                        request_id: str) -> None:
    """Whichever shape this branch's ``request_traversal`` builds, the other one is proven too."""
    try:
        expected = reference(request_id, plans, 500, None, build=vertices_then_edges)
    except Exception:
        with pytest.raises(UnsupportedShape):
            encode_request_in_shape(RequestShape.VERTICES_THEN_EDGES, request_id, plans, evaluation_timeout_ms=500)
        return
    assert encode_request_in_shape(RequestShape.VERTICES_THEN_EDGES, request_id, plans,
                                   evaluation_timeout_ms=500) == expected


def test_the_shape_is_probed_from_framework_traversals(monkeypatch: pytest.MonkeyPatch) -> None:
    bytecode = request_traversal(coalesce([("0", [Vertex("a", "A"), Edge("L", "a", "a")])]).elements).bytecode
    names = [step[0] for step in bytecode.step_instructions]
    expected = RequestShape.VERTICES_THEN_EDGES if "fold" in names else RequestShape.FLAT
    monkeypatch.setattr(gbr, "_shape", None)  # probe now, not whatever an earlier test left cached
    assert request_shape() is expected
    assert gbr._shape is expected  # and the fast path stays on without probing again


def test_an_unknown_request_shape_turns_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    plans = coalesce([("0", [Vertex("a", "A", {"n": 1})])]).elements
    monkeypatch.setattr(gbr, "_shape", None)
    monkeypatch.setattr(framework.traversals, "request_traversal",
                        lambda elements, now=None: g_inject(0).union(
                            *(element_traversal(e) for e in elements)).limit(100))
    with pytest.raises(UnsupportedShape, match="unknown shape"):
        encode_upsert_request(uuid.uuid4(), plans)
    with pytest.raises(UnsupportedShape, match="unknown shape"):  # and stays off
        encode_upsert_request(uuid.uuid4(), plans)


def test_elements_this_encoder_does_not_know_turn_the_fast_path_off(monkeypatch: pytest.MonkeyPatch) -> None:
    plans = coalesce([("0", [Vertex("a", "A", {"n": 1})])]).elements
    monkeypatch.setattr(gbr, "_shape", None)
    monkeypatch.setattr(framework.traversals, "request_traversal",
                        lambda elements, now=None: g_inject(0).union(
                            *(element_traversal(e).identity() for e in elements)))
    with pytest.raises(UnsupportedShape, match="byte for byte"):
        encode_upsert_request(uuid.uuid4(), plans)


def test_every_value_type_and_int_boundary_in_one_request() -> None:
    """A fixed case that names what the random ones cover, so a failure here reads plainly."""
    vertex = Vertex("ñ-1", "Äccount", {"s": "é🙂", "t": True, "f": False, "i32": 2**31 - 1, "i64": 2**31,
                                       "neg32": -(2**31), "neg64": -(2**31) - 1, "max": 2**63 - 1,
                                       "min": -(2**63), "x": -0.0, "d": NOW,
                                       "naive": dt.datetime(1969, 12, 31, 23, 59, 59, 999500), "nan": ODD_NANS[0],
                                       "offset": dt.datetime(2024, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5.5))),
                                       "hi": KeepMax(NOW), "lo": KeepMin("m"), "tags": AddToSet("b", 1, 2.5, NOW)})
    edge = Edge("PAID", "ñ-1", "m-2", {"amount": 12.5, "ref": 2**40, "top": KeepMax(3)})
    plans = coalesce([("0", [DeleteVertex("ñ-1")]), ("1", [vertex, Vertex("m-2", "M"), edge]),
                      ("2", [DeleteEdge("GONE", "a", "b")])]).elements
    assert any(p.unversioned and p.unversioned.reset for p in plans)
    assert_same_bytes(str(uuid.uuid4()), plans, 1000, 64)
    assert_same_bytes("8b5b3ee2-5b1e-4ac5-9f4d-6f0d6c58b9a1", [], None, None)


def test_text_that_is_not_unicode_is_refused_like_the_generic_path() -> None:
    plan = ElementPlan("v", "bad\udc00", "L", owners=["0"], unversioned=UnversionedPart(upsert=True))
    with pytest.raises(UnicodeEncodeError):
        reference(str(uuid.uuid4()), [plan], None, None)
    with pytest.raises(UnsupportedShape, match="not valid Unicode"):
        encode_upsert_request(uuid.uuid4(), [plan])


class Colour(enum.IntEnum):
    RED = 1


class Name(str):
    pass


@pytest.mark.parametrize("value", [Colour.RED, Name("x"), b"bytes", None, [1], NOW.date()])
def test_values_of_other_types_are_left_to_the_generic_path(value: Any) -> None:
    plan = ElementPlan("v", "x", "L", owners=["0"], unversioned=UnversionedPart(upsert=True, props={"k": value}))
    with pytest.raises(UnsupportedShape, match="property value of type"):
        encode_upsert_request(uuid.uuid4(), [plan])


def test_versioned_plans_are_left_to_the_generic_path() -> None:
    plans = coalesce([("0", [Vertex("a", "A", {"n": 1}, version=3)])]).elements
    assert plans[0].versioned is not None
    with pytest.raises(UnsupportedShape, match="versioned"):
        encode_upsert_request(uuid.uuid4(), plans)
    mixed = ElementPlan("v", "b", "B", owners=["0"], unversioned=UnversionedPart(upsert=True),
                        versioned=VersionedPart(delete=2))
    with pytest.raises(UnsupportedShape, match="versioned"):
        encode_upsert_request(uuid.uuid4(), [mixed])


def count_steps(bytecode: Any) -> int:
    """Step instructions, recursing into anonymous traversals among the arguments."""
    total = 0
    for instruction in bytecode.step_instructions:
        total += 1
        for argument in instruction[1:]:
            inner = getattr(argument, "bytecode", argument)
            if hasattr(inner, "step_instructions"):
                total += count_steps(inner)
    return total


@settings(max_examples=200, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(plans=st.one_of(planned(), st.lists(direct_plans(), min_size=1, max_size=4)))
def test_element_steps_count_the_built_traversal(plans: list[ElementPlan]) -> None:
    for plan in plans:
        assert element_steps(plan) == count_steps(element_traversal(plan, now=NOW).bytecode)
    versioned = coalesce([("0", [Vertex("a", "A", {"n": 1}, version=3)])]).elements[0]
    with pytest.raises(UnsupportedShape):
        element_steps(versioned)


def test_versioned_plans_count_the_steps_of_the_traversal_they_build() -> None:
    """Versioned plans are counted by walking the built traversal (the planner's request-size limit
    of about 1,500 steps relies on it), nested anonymous traversals included."""
    from framework.request_planner import steps
    from framework.traversals import element_steps as planned_steps

    aware = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    writes = [Vertex("a", "A", {"n": 1, "m": KeepMax(2), "s": AddToSet("x", "y")}, version=3),
              DeleteVertex("b", version=aware), Vertex("c", "C", {"n": 2}),
              Edge("L", "a", "c", {"w": 1.5}, version=4), DeleteEdge("L", "c", "a", version=1)]
    plans = coalesce([("0", writes)]).elements
    for plan in plans:
        built = element_traversal(plan, now=NOW)
        expected = count_steps(built.bytecode)
        assert expected > 3
        assert steps(built) == steps(built.bytecode) == expected
        assert planned_steps(plan, NOW) == expected
    assert steps(object()) == 0  # not a traversal: nothing to count


@pytest.mark.parametrize("value", [-(2**31), 2**31 - 1, 0])
def test_int32_request_arguments_at_their_limits_encode_like_gremlinpython(value: int) -> None:
    plans = coalesce([("0", [Vertex("a", "A", {"n": 1})])]).elements
    assert_same_bytes("8b5b3ee2-5b1e-4ac5-9f4d-6f0d6c58b9a1", plans, value, value)


@pytest.mark.parametrize(("timeout", "batch", "message"), [
    (2**31, None, "evaluationTimeout 2147483648 does not fit a GraphBinary Int"),
    (None, -(2**31) - 1, "batchSize -2147483649 does not fit a GraphBinary Int"),
])
def test_request_arguments_beyond_int32_are_left_to_the_generic_path(timeout, batch, message) -> None:
    plans = coalesce([("0", [Vertex("a", "A", {"n": 1})])]).elements
    with pytest.raises(UnsupportedShape) as refused:
        encode_upsert_request(uuid.uuid4(), plans, evaluation_timeout_ms=timeout, batch_size=batch)
    assert str(refused.value) == message


def test_a_datetime_beyond_utc_range_is_left_to_the_generic_path() -> None:
    early = dt.datetime(1, 1, 1, tzinfo=dt.timezone(dt.timedelta(hours=5)))  # before year 1 in UTC
    plan = ElementPlan("v", "x", "L", owners=["0"], unversioned=UnversionedPart(upsert=True, props={"k": early}))
    with pytest.raises(UnsupportedShape) as refused:
        encode_upsert_request(uuid.uuid4(), [plan])
    assert str(refused.value) == f"datetime {early!r} is out of range"


def test_a_merge_rule_this_encoder_does_not_know_is_left_to_the_generic_path() -> None:
    class KeepLatest:  # a rule added to framework.merge_rules later, unknown to this encoder
        rule = "keep_latest"
        value = 1

    part = UnversionedPart(upsert=True, merges={"k": KeepLatest()})  # type: ignore[dict-item]
    with pytest.raises(UnsupportedShape) as refused:
        encode_upsert_request(uuid.uuid4(), [ElementPlan("v", "x", "L", owners=["0"], unversioned=part)])
    assert str(refused.value) == "merge rule KeepLatest"


def test_property_keys_and_labels_never_seen_before_encode_like_gremlinpython() -> None:
    """Keys and labels are encoded once, then reused from a bounded cache; new ones are encoded too."""
    fresh = f"k-{uuid.uuid4().hex}"
    plans = coalesce([("0", [Vertex("a", f"L-{fresh}", {fresh: 1, f"{fresh}-2": "x"})])]).elements
    assert_same_bytes(str(uuid.uuid4()), plans)
    assert_same_bytes(str(uuid.uuid4()), plans)  # and again, from the cache
