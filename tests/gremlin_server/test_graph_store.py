"""The store and its transactions, used directly: indexes, Neptune data rules, undo, locks."""

from __future__ import annotations

import datetime
import random
import uuid

import pytest
from gremlin_python.process.traversal import Cardinality

from gwlocal.gremlin_server.errors import NeptuneError
from gwlocal.gremlin_server.graph import GraphStore, validate_property

from .engine_support import snapshot


@pytest.fixture
def store() -> GraphStore:
    return GraphStore(random.Random(7))


def _code(exc: pytest.ExceptionInfo[NeptuneError]) -> str:
    return exc.value.code


def test_add_and_count_and_adjacency_by_label(store):
    txn = store.begin("t1")
    a, b, c = txn.add_vertex("person", "a"), txn.add_vertex("person", "b"), txn.add_vertex("software", "c")
    txn.add_edge("knows", a, b, "e1")
    txn.add_edge("created", a, c, "e2")
    txn.add_edge("knows", "a", "c", "e3")  # endpoints by id work too
    txn.commit()
    assert (store.vertex_count(), store.edge_count()) == (3, 3)
    assert [e.id for e in store.out_edges(a, ["knows"])] == ["e1", "e3"]
    assert [e.id for e in store.out_edges(a)] == ["e1", "e3", "e2"]  # grouped by label, like TinkerGraph
    assert [e.id for e in store.in_edges(c)] == ["e2", "e3"]
    assert store.vertex("a") is a and store.edge("e2").in_v is c
    assert store.vertex(1) is None  # non-string ids never match


def test_generated_ids_are_seeded_uuid4_strings():
    ids = []
    for _ in range(2):
        s = GraphStore(random.Random(42))
        txn = s.begin("t")
        ids.append([txn.add_vertex("x").id for _ in range(3)])
        txn.commit()
    assert ids[0] == ids[1]
    assert all(uuid.UUID(i).version == 4 for i in ids[0])


def test_reset_empties_graph_and_locks_and_can_reseed(store):
    txn = store.begin("t")
    first = txn.add_vertex("x").id
    store.reset(seed=7)
    assert store.vertex_count() == 0 and store.open_transactions() == []
    txn2 = store.begin("t")  # the id is free again
    assert txn2.add_vertex("x").id == first
    with pytest.raises(RuntimeError):
        txn.commit()  # abandoned by reset


@pytest.mark.parametrize("bad_id", [1, 1.5, uuid.UUID(int=1), b"x", ""])
def test_user_ids_must_be_non_empty_strings(store, bad_id):
    txn = store.begin("t")
    with pytest.raises(NeptuneError) as err:
        txn.add_vertex("x", bad_id)
    assert _code(err) == "InvalidParameterException"


def test_duplicate_ids_and_missing_endpoints_are_constraint_violations(store):
    txn = store.begin("t")
    a = txn.add_vertex("x", "a")
    txn.add_edge("e", a, a, "e1")
    with pytest.raises(NeptuneError) as err:
        txn.add_vertex("y", "a")
    assert _code(err) == "ConstraintViolationException" and "'a'" in err.value.detailed_message
    with pytest.raises(NeptuneError) as err:
        txn.add_edge("e", a, a, "e1")
    assert _code(err) == "ConstraintViolationException"
    with pytest.raises(NeptuneError) as err:
        txn.add_edge("e", a, "ghost")
    assert _code(err) == "ConstraintViolationException" and "'ghost'" in err.value.detailed_message


@pytest.mark.parametrize(
    "value", [None, [1], {"a": 1}, {1}, (1,), b"x", 2**63, uuid.uuid4(), datetime.date(2024, 1, 1)]
)
def test_property_values_outside_neptunes_types_are_refused(value):
    with pytest.raises(NeptuneError) as err:
        validate_property("k", value)
    assert _code(err) == "InvalidParameterException" and "'k'" in err.value.detailed_message


@pytest.mark.parametrize("value", ["s", True, 0, -(2**63), 2**63 - 1, 1.5, float("nan"), datetime.datetime(2024, 1, 1)])
def test_neptune_property_types_are_accepted(value):
    validate_property("k", value)


def test_cardinalities(store):
    txn = store.begin("t")
    v = txn.add_vertex("x", "v")
    txn.set_vertex_property(v, "k", "a")  # default: set
    txn.set_vertex_property(v, "k", "b")
    txn.set_vertex_property(v, "k", "a")
    assert [vp.value for vp in v.properties["k"]] == ["a", "b"]
    txn.set_vertex_property(v, "n", 1)
    txn.set_vertex_property(v, "n", 1.0)  # 1 == 1.0: already in the set
    txn.set_vertex_property(v, "n", True)  # a boolean is not a number
    assert [vp.value for vp in v.properties["n"]] == [1, True]
    txn.set_vertex_property(v, "k", "c", Cardinality.single)
    assert [vp.value for vp in v.properties["k"]] == ["c"]
    assert list(v.properties) == ["k", "n"]  # single replaces in place
    txn.set_vertex_property(v, "l", "a", Cardinality.list_)
    txn.set_vertex_property(v, "l", "a", Cardinality.list_)
    assert [vp.value for vp in v.properties["l"]] == ["a", "a"]
    assert len({vp.id for vp in v.properties["l"]}) == 2  # each value has its own id


def test_writes_and_locked_keys(store):
    txn = store.begin("t")
    a, b = txn.add_vertex("x", "a"), txn.add_vertex("x", "b")
    e = txn.add_edge("e", a, b, "e1")
    txn.set_edge_property(e, "w", 1)
    assert txn.writes == 4
    assert txn.locked_keys == {("v", "a"), ("v", "b"), ("e", "e1")}
    txn.commit()
    assert store.lock_owner(("v", "a")) is None


def test_conflicting_writer_fails_fast_and_proceeds_after_commit(store):
    setup = store.begin("setup")
    a, b, c = (setup.add_vertex("x", i) for i in "abc")
    setup.commit()
    first, second = store.begin("first"), store.begin("second")
    first.set_vertex_property(a, "k", 1)
    first.set_vertex_property(a, "k", 2)  # re-locking one's own key is fine
    with pytest.raises(NeptuneError) as err:
        second.set_vertex_property(a, "k", 3)
    assert _code(err) == "ConcurrentModificationException" and "'a'" in err.value.detailed_message
    # An edge insert locks both endpoints: b-c does not touch a, a-b does.
    second.add_edge("e", b, c, "bc")
    with pytest.raises(NeptuneError) as err:
        first.add_edge("e", a, b, "ab")
    assert _code(err) == "ConcurrentModificationException"
    second.rollback()
    first.add_edge("e", a, b, "ab")
    first.commit()
    third = store.begin("third")
    third.set_vertex_property(a, "k", 3)
    third.commit()
    assert [vp.value for vp in a.properties["k"]] == [1, 2, 3]
    assert store.edge("bc") is None and store.edge("ab") is not None


def test_read_only_transaction_refuses_every_write(store):
    txn = store.begin("t", read_only=True)
    with pytest.raises(NeptuneError) as err:
        txn.add_vertex("x")
    assert _code(err) == "ReadOnlyViolationException"
    assert txn.writes == 0 and txn.locked_keys == frozenset()


def test_rollback_restores_everything_exactly(store):
    setup = store.begin("setup")
    a, b, c = (setup.add_vertex("x", i) for i in "abc")
    for key, value in [("p", 1), ("q", 2), ("r", 3)]:
        setup.set_vertex_property(a, key, value)
    setup.set_vertex_property(a, "q", 22)
    e1 = setup.add_edge("knows", a, b, "e1")
    setup.add_edge("likes", a, c, "e2")
    setup.add_edge("knows", a, c, "e3")
    setup.set_edge_property(e1, "w", 1)
    setup.set_edge_property(e1, "z", 2)
    setup.commit()
    before = snapshot(store)

    txn = store.begin("t")
    txn.set_vertex_property(a, "q", 9, Cardinality.single)
    txn.remove_vertex_property(a.properties["p"][0])
    txn.set_edge_property(e1, "w", 100)
    txn.remove_edge_property(e1, "w")
    txn.remove_vertex(a)  # drops e1, e2, e3 too
    txn.add_vertex("x", "a")  # the freed id is reused in the same transaction
    txn.remove_vertex(c)
    assert snapshot(store) != before
    txn.rollback()
    assert snapshot(store) == before
    assert store.lock_owner(("v", "a")) is None and txn.locked_keys == frozenset()


def test_closed_transactions_cannot_be_used(store):
    txn = store.begin("t")
    txn.commit()
    with pytest.raises(RuntimeError):
        txn.add_vertex("x")
    with pytest.raises(RuntimeError):
        txn.rollback()
    store.begin("t2")
    with pytest.raises(ValueError):
        store.begin("t2")
