"""What the direct GraphBinary encoder refuses (so the generic path runs), with its exact reasons, and
the 64-bit limits of the values it does write.
"""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

import pytest
from gremlin_python.driver.request import RequestMessage
from gremlin_python.driver.serializer import GraphBinarySerializersV1
from gremlin_python.statics import long

from framework.batching import ElementPlan, UnversionedPart, VersionedPart
from framework.graphbinary_requests import UnsupportedShape, element_steps, encode_upsert_request
from framework.traversals import request_traversal

NOW = dt.datetime(2026, 3, 4, tzinfo=dt.UTC)
REQUEST_ID = "0b7e9c52-1d3f-4a6b-8c2d-5e7f9a1b3c4d"


def upsert(kind: str, label: str | None, *, from_id: str | None = None, to_id: str | None = None,
           props: dict[str, Any] | None = None) -> ElementPlan:
    return ElementPlan(kind, "x", label, from_id=from_id, to_id=to_id, owners=["0"],
                       unversioned=UnversionedPart(upsert=True, props=props or {}))


def refusal(plans: list[ElementPlan]) -> str:
    with pytest.raises(UnsupportedShape) as refused:
        encode_upsert_request(uuid.uuid4(), plans)
    return str(refused.value)


@pytest.mark.parametrize("plan", [
    upsert("v", None),
    upsert("e", None, from_id="a", to_id="b"),
    upsert("e", "L", from_id=None, to_id="b"),
    upsert("e", "L", from_id="a", to_id=None),
    upsert("e", "L"),
], ids=["vertex-without-label", "edge-without-label", "edge-without-from", "edge-without-to", "edge-without-both"])
def test_an_upsert_without_a_label_or_an_endpoint_is_refused(plan):
    assert refusal([plan]) == "element 'x' has no label or endpoints"


@pytest.mark.parametrize("value", [2**63, -(2**63) - 1, 2**64, long(2**63), long(-(2**63) - 1)],
                         ids=["int-max+1", "int-min-1", "int-2**64", "long-max+1", "long-min-1"])
def test_an_integer_beyond_64_bits_is_refused(value):
    assert refusal([upsert("v", "L", props={"k": value})]) == f"integer {int(value)} does not fit in 64 bits"


@pytest.mark.parametrize("value", [long(2**63 - 1), long(-(2**63)), long(0), long(-(2**31) - 1)],
                         ids=["long-max", "long-min", "long-zero", "long-below-int32"])
def test_a_long_at_its_64_bit_limits_is_written_like_gremlinpython(value):
    plans = [upsert("v", "L", props={"k": value})]
    reference = GraphBinarySerializersV1().serialize_message(REQUEST_ID, RequestMessage(
        "traversal", "bytecode", {"gremlin": request_traversal(plans, now=NOW).bytecode, "aliases": {"g": "g"}}))
    assert encode_upsert_request(REQUEST_ID, plans) == bytes(reference)


def test_element_steps_refuses_a_plan_with_a_versioned_part():
    mixed = ElementPlan("v", "b", "B", owners=["0"], unversioned=UnversionedPart(upsert=True),
                        versioned=VersionedPart(delete=2))
    with pytest.raises(UnsupportedShape) as refused:
        element_steps(mixed)
    assert str(refused.value) == "element 'b' has a versioned part"
    only_versioned = ElementPlan("v", "c", "C", owners=["0"], versioned=VersionedPart(delete=2))
    with pytest.raises(UnsupportedShape) as refused:
        element_steps(only_versioned)
    assert str(refused.value) == "element 'c' has a versioned part"
