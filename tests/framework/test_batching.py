"""Planning a batch: coalescing rules and request sizing."""

from __future__ import annotations

import datetime as dt
import random

import pytest

from framework.batching import chunk, coalesce, estimate_bytes, request_traversal
from framework.merge_rules import AddToSet, KeepMax, KeepMin
from framework.protocol import GremlinProtocol
from framework.upserts import DeleteEdge, DeleteVertex, Edge, Vertex, edge_id


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


def _ids(groups):
    return [[p.element_id for p in g] for g in groups]


class Measured:
    """A request-size measure for ``chunk``: ``unit`` bytes per element, except ``bad`` ones that cannot be
    serialized at all; it counts the requests it was asked to measure."""

    def __init__(self, bad: frozenset[str] = frozenset(), unit: int = 1000) -> None:
        self.bad = bad
        self.unit = unit
        self.calls = 0

    def __call__(self, bytecode) -> int:
        from framework.errors import RequestEncodingError

        self.calls += 1
        ids = _element_ids(bytecode)
        if ids & self.bad:
            raise RequestEncodingError("cannot serialize")
        return self.unit * len(ids)


def _element_ids(bytecode) -> set[str]:
    found: set[str] = set()
    for instruction in bytecode.step_instructions:
        for argument in instruction[1:]:
            inner = getattr(argument, "bytecode", argument)
            if hasattr(inner, "step_instructions"):
                found |= _element_ids(inner)
            elif isinstance(argument, dict):
                found |= {v for v in argument.values() if isinstance(v, str) and v.startswith("v")}
    return found


def _vertices(n: int):
    return coalesce([("m", [Vertex(f"v{i}", "Doc") for i in range(n)])]).vertices


def test_requests_are_halved_until_each_fits_exactly_at_the_limit():
    size_of = Measured()
    assert _ids(chunk(_vertices(4), max_upserts=10, max_bytes=2000, size_of=size_of)) == [["v0", "v1"], ["v2", "v3"]]
    assert _ids(chunk(_vertices(4), max_upserts=10, max_bytes=1999, size_of=Measured())) == [
        ["v0"], ["v1"], ["v2"], ["v3"]]
    assert _ids(chunk(_vertices(2), max_upserts=10, max_bytes=1000, size_of=Measured())) == [["v0"], ["v1"]]
    assert _ids(chunk(_vertices(5), max_upserts=2, max_bytes=10**6, size_of=Measured())) == [
        ["v0", "v1"], ["v2", "v3"], ["v4"]]


def test_an_element_too_big_or_unserializable_alone_is_still_sent_alone():
    """Its request then fails on its own (the database's or the encoder's error fails its message)."""
    assert _ids(chunk(_vertices(1), max_upserts=10, max_bytes=10, size_of=Measured())) == [["v0"]]
    bad = Measured(frozenset({"v2"}), unit=100)  # pairs fit in 1,200 bytes; a request holding v2 cannot be built
    assert _ids(chunk(_vertices(4), max_upserts=10, max_bytes=1200, size_of=bad)) == [
        ["v0", "v1"], ["v2"], ["v3"]]


def test_small_requests_are_not_serialized_to_measure_them():
    """Below half the byte limit by the (generous) estimate, a request is sent without measuring it."""
    elements = _vertices(3)
    estimate = estimate_bytes(elements)
    for max_bytes in (2 * estimate, 3 * estimate - 1):
        size_of = Measured()
        assert _ids(chunk(elements, max_upserts=10, max_bytes=max_bytes, size_of=size_of)) == [["v0", "v1", "v2"]]
        assert size_of.calls == 0
    size_of = Measured()
    chunk(elements, max_upserts=10, max_bytes=2 * estimate - 1, size_of=size_of)
    assert size_of.calls == 1


@pytest.mark.parametrize(("first", "second", "reason"), [
    (Vertex("c", "Customer"), Vertex("c", "Merchant"),
     "vertex 'c' is labelled 'Merchant' here but 'Customer' earlier in the batch"),
    (Edge("L", "a", "b", id="e1"), Edge("L", "a", "c", id="e1"),
     "edge id 'e1' is L 'a'->'c' here but L 'a'->'b' earlier in the batch"),
    (Vertex("c", "C", version=1), Vertex("c", "C", version=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
     "vertex 'c' has int versions earlier in the batch but a datetime version here: use one kind of version per "
     "element"),
    (Edge("L", "a", "b", version=1), DeleteEdge("L", "a", "b", version=dt.datetime(2026, 1, 1, tzinfo=dt.UTC)),
     f"edge {edge_id('L', 'a', 'b')!r} has int versions earlier in the batch but a datetime version here: use one "
     "kind of version per element"),
    (Vertex("c", "C", {"p": 1}), Vertex("c", "C", {"p": KeepMax(2)}),
     "vertex 'c' property 'p' is KeepMax here but a plain property earlier in the batch"),
    (Vertex("c", "C", {"p": KeepMax(1)}), Vertex("c", "C", {"p": KeepMin(2)}),
     "vertex 'c' property 'p' is KeepMin here but KeepMax earlier in the batch"),
    (Vertex("c", "C", {"p": AddToSet(1)}), Vertex("c", "C", {"p": 3}),
     "vertex 'c' property 'p' is a plain property here but AddToSet earlier in the batch"),
    (Vertex("c", "C", {"p": KeepMin(1)}), Vertex("c", "C", {"p": KeepMin("a")}),
     "vertex 'c' property 'p' compares str values here but int earlier in the batch"),
    (Edge("L", "a", "b", {"p": KeepMax("a")}), Edge("L", "a", "b", {"p": KeepMax(1.5)}),
     f"edge {edge_id('L', 'a', 'b')!r} property 'p' compares float values here but str earlier in the batch"),
])
def test_a_message_contradicting_the_batch_is_rejected_with_the_reason(first, second, reason):
    plan = coalesce([("m1", [first]), ("m2", [second])])
    assert plan.rejected == {"m2": reason}
    assert [p.owners for p in plan.vertices + plan.edges] == [["m1"]]


@pytest.mark.parametrize(("a", "b"), [(1, 2.5), (2.5, 1), (1, 2), ("a", "b"),
                                      (dt.datetime(2026, 1, 1, tzinfo=dt.UTC), dt.datetime(2027, 1, 1, tzinfo=dt.UTC))])
def test_keep_rules_over_comparable_values_coalesce(a, b):
    plan = coalesce([("m1", [Vertex("c", "C", {"p": KeepMax(a), "q": KeepMin(a)})]),
                     ("m2", [Vertex("c", "C", {"p": KeepMax(b), "q": KeepMin(b)})])])
    assert plan.rejected == {}
    merges = plan.vertices[0].unversioned.merges
    assert (merges["p"].value, merges["q"].value) == (max(a, b), min(a, b))


def test_the_estimate_is_an_upper_bound_for_every_kind_of_plan():
    """Versioned upserts and deletes, edges and merge rules cost more bytes than plain vertices: the
    estimate must stay above the real size for each, alone and together (it decides whether a request
    may be sent without measuring it)."""
    from framework.traversals import request_traversal as build

    protocol = GremlinProtocol("graphbinary-v1")
    when = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    rng = random.Random(9)
    kinds = {
        "versioned vertex": lambda i: [Vertex(f"v{i}", "Person" * rng.randrange(1, 4),
                                              {f"k{j}": "x" * rng.randrange(0, 50) for j in range(rng.randrange(4))},
                                              version=rng.randrange(1, 10**6))],
        "versioned delete": lambda i: [DeleteVertex(f"v{i}", version=when)],
        "edge": lambda i: [Edge("KNOWS" * rng.randrange(1, 3), f"a{i}", f"b{i}",
                                {"w": rng.random(), "since": when}, version=rng.choice([None, 5]))],
        "edge delete": lambda i: [DeleteEdge("KNOWS", f"a{i}", f"b{i}", version=rng.choice([None, 7]))],
        "merges": lambda i: [Vertex(f"m{i}", "M", {
            "hi": KeepMax(rng.randrange(100)), "lo": KeepMin("z" * 30),
            "tags": AddToSet(*(f"t{j}" * 5 for j in range(rng.randrange(1, 6))))}, version=rng.choice([None, 3]))],
    }
    mixed: list = []
    for name, make in kinds.items():
        for _ in range(10):
            writes = [w for i in range(rng.randrange(1, 8)) for w in make(i)]
            mixed.extend(writes[:2])
            plan = coalesce([("m", writes)])
            elements = plan.vertices + plan.edges
            real = len(protocol.encode("00000000-0000-0000-0000-000000000000", build(elements, now=when).bytecode))
            assert estimate_bytes(elements) >= real, name
    plan = coalesce([("m", mixed)])
    elements = plan.vertices + plan.edges
    real = len(protocol.encode("00000000-0000-0000-0000-000000000000", build(elements, now=when).bytecode))
    assert estimate_bytes(elements) >= real
