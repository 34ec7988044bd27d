"""Coalescing versioned writes: a delete wins a tie with an upsert at its version, and merge rules
of upserts at one version are combined."""

from __future__ import annotations

from framework.batching import coalesce
from framework.merge_rules import KeepMax
from framework.upserts import DeleteVertex, Vertex


def test_a_delete_wins_a_tie_with_an_upsert_at_its_version():
    (plan,) = coalesce([("m1", [Vertex("v", "L", {"a": 1}, version=3)]),
                        ("m2", [DeleteVertex("v", version=3)])]).vertices
    assert plan.versioned.delete == 3 and plan.versioned.groups == []
    assert not plan.writes_element


def test_merge_rules_of_upserts_at_one_version_are_combined():
    (plan,) = coalesce([("m1", [Vertex("v", "L", {"p": KeepMax(5)}, version=2)]),
                        ("m2", [Vertex("v", "L", {"p": KeepMax(1)}, version=2)])]).vertices
    (group,) = plan.versioned.groups
    assert (group.number, group.merges) == (2, {"p": KeepMax(5)})
