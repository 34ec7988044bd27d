"""The request-size estimate, term by term: it decides which requests are serialized to be measured.

``estimate_bytes`` is a generous upper bound (see ``test_batching``); its exact value matters too,
because a request is measured (serialized an extra time) only when the estimate exceeds half the
byte limit. These tests pin the cost model: 256 bytes per request; per element 400 + 8 bytes per
character of its ids (element id, label, endpoints); a versioned delete 900 + 8 per id character;
each version group 700 + 8 per id character; each plain property 3 * (48 + 2 per key character +
4 per character of a string value, or 16 for any other value); each merge-rule member 160 + 4 per
key character + 4 per character of a string member, or 16.
"""

from __future__ import annotations

import pytest

from framework.batching import chunk, coalesce, estimate_bytes
from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.upserts import DeleteVertex, Edge, Vertex

REQUEST = 256


def _plans(*writes):
    plan = coalesce([("m", list(writes))])
    return plan.vertices + plan.edges


@pytest.mark.parametrize(("write", "expected"), [
    # ids "v1" + "Doc" = 5 characters; "name": "abc" and "n": 7
    (Vertex("v1", "Doc", {"name": "abc", "n": 7}),
     REQUEST + (400 + 8 * 5) + 3 * (48 + 2 * 4 + 4 * 3) + 3 * (48 + 2 * 1 + 16)),
    # ids "e1" + "KNOWS" + "a" + "bb" = 10 characters
    (Edge("KNOWS", "a", "bb", id="e1"), REQUEST + (400 + 8 * 10)),
    # a versioned delete of a vertex (no label): ids "v2" = 2 characters
    (DeleteVertex("v2", version=3), REQUEST + (400 + 8 * 2) + (900 + 8 * 2)),
    # a versioned upsert without a delete: one version group, its property
    (Vertex("v3", "Doc", {"name": "abc"}, version=5),
     REQUEST + (400 + 8 * 5) + (700 + 8 * 5) + 3 * (48 + 2 * 4 + 4 * 3)),
    # merge rules: each set member, the KeepMax string, the KeepMin number
    (Vertex("v4", "Doc", {"tags": AddToSet("ab", "cde"), "top": KeepMax("xyz"), "low": KeepMin(2)}),
     REQUEST + (400 + 8 * 5) + (160 + 4 * 4 + 4 * 2) + (160 + 4 * 4 + 4 * 3) + (160 + 4 * 3 + 4 * 3)
     + (160 + 4 * 3 + 16)),
    # an AddToSet not validated yet (empty): still estimated, as one non-string member
    (Vertex("v5", "Doc", {"tags": AddToSet()}), REQUEST + (400 + 8 * 5) + (160 + 4 * 4 + 16)),
], ids=["plain-props", "edge", "versioned-delete", "versioned-upsert", "merge-rules", "empty-set"])
def test_the_estimate_of_each_kind_of_element(write, expected):
    assert estimate_bytes(_plans(write)) == expected


def test_a_request_is_measured_only_above_half_the_limit_by_the_estimate():
    """Four plain vertices: 256 + 4 * (400 + 8 * 5) = 2016 bytes estimated, so a 4032-byte limit sends
    them unmeasured and a 4031-byte one measures them first."""
    elements = _plans(*(Vertex(f"v{i}", "Doc") for i in range(4)))
    measured: list[int] = []

    def size_of(bytecode) -> int:
        measured.append(1)
        return 100

    assert len(chunk(elements, max_upserts=10, max_bytes=4032, size_of=size_of)) == 1
    assert measured == []
    assert len(chunk(elements, max_upserts=10, max_bytes=4031, size_of=size_of)) == 1
    assert measured == [1]
