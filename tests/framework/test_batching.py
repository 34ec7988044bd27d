"""Planning a batch: coalescing rules and request sizing."""

from __future__ import annotations

import random

from framework.batching import chunk, coalesce, estimate_bytes, request_traversal
from framework.protocol import GremlinProtocol
from framework.upserts import Edge, Vertex


def test_coalesce_merges_props_in_message_order_and_tracks_owners():
    plan = coalesce([
        ("m1", [Vertex("c", "Customer", {"name": "A", "tier": 1}), Edge("KNOWS", "c", "d")]),
        ("m2", [Vertex("c", "Customer", {"name": "B"}), Vertex("d", "Customer")]),
    ])
    assert [e.element_id for e in plan.vertices] == ["c", "d"]
    assert plan.vertices[0].unversioned.props == {"name": "B", "tier": 1}
    assert plan.vertices[0].owners == ["m1", "m2"]
    assert [e.owners for e in plan.edges] == [["m1"]]
    assert plan.rejected == {}


def test_conflicting_message_is_rejected_whole():
    plan = coalesce([
        ("m1", [Vertex("c", "Customer")]),
        ("m2", [Vertex("x", "Other"), Vertex("c", "Merchant")]),
    ])
    assert set(plan.rejected) == {"m2"} and "labelled 'Merchant'" in plan.rejected["m2"]
    assert [e.element_id for e in plan.vertices] == ["c"]  # m2's other upsert was not merged in


def test_estimate_is_an_upper_bound_of_the_real_size():
    protocol = GremlinProtocol("graphbinary-v1")
    rng = random.Random(4)
    for _ in range(50):
        elements = coalesce([("m", [Vertex(f"v{rng.randrange(10**6)}", "L" * rng.randrange(1, 20),
                                           {f"k{i}": "x" * rng.randrange(0, 300) for i in range(rng.randrange(5))})
                                    for _ in range(rng.randrange(1, 30))])]).vertices
        real = len(protocol.encode("00000000-0000-0000-0000-000000000000", request_traversal(elements).bytecode))
        assert estimate_bytes(elements) >= real


def test_chunks_respect_count_and_bytes():
    protocol = GremlinProtocol("graphbinary-v1")

    def size_of(bytecode):
        return len(protocol.encode("00000000-0000-0000-0000-000000000000", bytecode))

    elements = coalesce([("m", [Vertex(f"v{i}", "Doc", {"text": "y" * 2000}) for i in range(40)])]).vertices
    groups = chunk(elements, max_upserts=25, max_bytes=20_000, size_of=size_of)
    assert sum(len(g) for g in groups) == 40 and all(len(g) <= 25 for g in groups)
    assert all(size_of(request_traversal(g).bytecode) <= 20_000 for g in groups)
    assert len(groups) > 2
