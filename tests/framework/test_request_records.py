"""Neptune's records per element, which bound a request's size: the label, each property, each set
value, and for versioned writes the version plus each property's own version."""

from __future__ import annotations

from framework.batching import coalesce
from framework.merge_rules import AddToSet
from framework.request_planner import records
from framework.upserts import Vertex


def test_records_of_an_element_with_unversioned_and_versioned_writes():
    (plan,) = coalesce([("m1", [Vertex("v", "L", {"a": 1})]),
                        ("m2", [Vertex("v", "L", {"b": 2, "c": 3, "t": AddToSet(1, 2, 3)}, version=5)])]).vertices
    # label 1; unversioned "a" 1; the version 1; versioned "b", "c" 2 each; the set's three values 3
    assert records(plan) == 1 + 1 + 1 + 2 * 2 + 3
