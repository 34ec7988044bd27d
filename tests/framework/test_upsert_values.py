"""What an upsert may hold: values Neptune stores, checked before anything is sent.

A value Neptune cannot store must fail its own message as ``invalid_upsert`` with a reason, not
the request it would be batched into (where bisection would have to find it, at the cost of
requests) nor, worse, reach the database at all.
"""

from __future__ import annotations

import datetime as dt

import pytest

from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.upserts import Edge, UpsertValidationError, Vertex

INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
AWARE = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)


def vertex(value):
    return Vertex(id="v", label="V", props={"p": value})


def edge(value):
    return Edge(label="L", from_id="a", to_id="b", props={"p": value})


@pytest.mark.parametrize("make", [vertex, edge], ids=["vertex", "edge"])
@pytest.mark.parametrize("value", [INT64_MIN, INT64_MAX, 0, -1, True, False, "", "text", 1.5, -0.0, AWARE,
                                   dt.datetime(2026, 1, 1)])
def test_storable_values_pass(make, value):
    make(value).validate()


@pytest.mark.parametrize("make", [vertex, edge], ids=["vertex", "edge"])
@pytest.mark.parametrize("value", [INT64_MAX + 1, INT64_MIN - 1, 2**64, -(2**100)])
def test_integers_outside_64_bits_are_refused(make, value):
    with pytest.raises(UpsertValidationError, match=rf"property 'p': integer {value} does not fit in 64 bits"):
        make(value).validate()


@pytest.mark.parametrize("rule", [KeepMax, KeepMin, lambda value: AddToSet(1, value)],
                         ids=["KeepMax", "KeepMin", "AddToSet"])
def test_merge_rule_integers_outside_64_bits_are_refused(rule):
    vertex(rule(INT64_MAX)).validate()
    with pytest.raises(UpsertValidationError, match="does not fit in 64 bits"):
        vertex(rule(INT64_MAX + 1)).validate()


@pytest.mark.parametrize("value", [float("nan"), float("inf"), float("-inf")])
def test_non_finite_floats_are_refused(value):
    with pytest.raises(UpsertValidationError, match="is not a finite number"):
        vertex(value).validate()


@pytest.mark.parametrize(("value", "kind"), [(None, "None"), ([1], "list"), ({"a": 1}, "dict"), (b"x", "bytes"),
                                             (dt.date(2026, 1, 1), "date")])
def test_other_types_are_refused_by_name(value, kind):
    with pytest.raises(UpsertValidationError, match=rf"property 'p': {kind} is not a type Neptune stores"):
        vertex(value).validate()


def test_text_must_be_valid_unicode():
    with pytest.raises(UpsertValidationError, match=r"lone UTF-16 surrogate \(U\+DC00\) at position 1"):
        vertex("a\udc00").validate()
