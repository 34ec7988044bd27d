"""What the server relies on: refusals by name, is_mutating, timeouts, rollback, locks, readers."""

from __future__ import annotations

import time
from dataclasses import dataclass

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.strategies import OptionsStrategy, ReadOnlyStrategy, SubgraphStrategy
from gremlin_python.process.traversal import Bytecode, Merge, P, Pick, T, TextP

from gwlocal.gremlin_server.engine import SUPPORTED_STEPS, evaluation_timeout_ms, execute, is_mutating
from gwlocal.gremlin_server.engine import traverser as traverser_module
from gwlocal.gremlin_server.errors import NeptuneError

from .engine_support import Engine, fails, g, snapshot


# --------------------------------------------------------------------------- refusals
@pytest.mark.parametrize(
    ("t", "name"),
    [
        (g.V().values("age").math("_ + 1"), "math"),
        (g.with_sack(1).V().sack(), "withSack"),
        (g.V().match(__.as_("a").out().as_("b")), "match"),
        (g.V().out().tree(), "tree"),
        (g.V().out().cyclic_path().sack(), "sack"),
        (g.V().values("name").concat("x"), "concat"),
    ],
)
def test_unsupported_steps_are_refused_by_name(e, t, name):
    msg = fails(e, t, "MalformedQueryException")
    assert f"'{name}'" in msg


def test_lambdas_are_refused(e):
    assert "'map'" in fails(e, g.V().map(lambda: "it.get()"), "MalformedQueryException")
    assert "'filter'" in fails(e, g.V().filter_(lambda: "true"), "MalformedQueryException")

    @dataclass(frozen=True)
    class LambdaArg:  # the shape the wire layer decodes a lambda into
        script: str
        language: str
        arguments: int

    bc = Bytecode()
    bc.add_step("V")
    bc.add_step("sideEffect", LambdaArg("{ it }", "gremlin-groovy", 1))
    txn = e.begin()
    with pytest.raises(NeptuneError) as err:
        execute(bc, txn)
    txn.rollback()
    assert err.value.code == "MalformedQueryException" and "lambda" in err.value.detailed_message


def test_strategies_other_than_options_are_refused(e):
    assert "ReadOnlyStrategy" in fails(e, g.with_strategies(ReadOnlyStrategy()).V(), "MalformedQueryException")
    assert "SubgraphStrategy" in fails(
        e, g.with_strategies(SubgraphStrategy(vertices=__.has_label("person"))).V(), "MalformedQueryException"
    )
    assert e.run(g.with_("evaluationTimeout", 1000).V().count()) == [6]


def test_unsupported_predicates_and_forms_are_refused(e):
    assert "regex" in fails(e, g.V().has("name", TextP.regex("m(")), "InvalidParameterException")  # bad pattern
    fails(e, g.V().by("name"), "MalformedQueryException")  # by() with nothing to modulate
    fails(e, g.V().out().option(1, 2), "MalformedQueryException")
    assert "with()" in fails(e, g.V().out().with_("x"), "MalformedQueryException")
    assert "valueMap" in fails(e, g.V().value_map().with_("x", 1), "MalformedQueryException")
    assert "repeat()" in fails(e, g.V().emit(), "MalformedQueryException")  # no repeat traversal
    fails(e, g.V().fold(1), "MalformedQueryException")  # a seed needs an operator
    assert "any-option" in fails(e, g.V().choose(__.label()).option(Pick.any_, __.identity()),
                                 "InvalidParameterException")
    assert "option()" in fails(e, g.V().choose(__.has("age"), __.out()).option(1, __.in_()), "MalformedQueryException")


def test_supported_steps_are_listed():
    assert {"mergeV", "mergeE", "addV", "as", "by", "none", "repeat", "path", "choose", "cap"} <= set(SUPPORTED_STEPS)
    assert "math" not in SUPPORTED_STEPS


def test_a_traversal_must_start_with_a_start_step():
    bc = Bytecode()
    bc.add_step("out")
    txn = Engine().begin()
    with pytest.raises(NeptuneError) as err:
        execute(bc, txn)
    assert err.value.code == "MalformedQueryException"


# --------------------------------------------------------------------------- static checks
@pytest.mark.parametrize(
    ("t", "writes"),
    [
        (g.V().out().values("name"), False),
        (g.V().has("name", "x").where(__.out().count().is_(P.gt(1))), False),
        (g.add_v("x"), True),
        (g.V("1").add_e("x").to(__.V("2")), True),
        (g.V().property("k", 1), True),
        (g.merge_v({T.id: "1"}), True),
        (g.merge_e({T.id: "1"}), True),
        (g.V().drop(), True),
        (g.V().side_effect(__.property("k", 1)), True),
        (g.V().fold().coalesce(__.unfold(), __.add_v("x")), True),
        (g.V().union(__.out(), __.local(__.drop())), True),
    ],
)
def test_is_mutating(t, writes):
    assert is_mutating(t.bytecode) is writes


def test_evaluation_timeout_ms():
    assert evaluation_timeout_ms(g.with_("evaluationTimeout", 100).V().bytecode) == 100
    assert evaluation_timeout_ms(g.with_strategies(OptionsStrategy({"evaluationTimeout": 5})).V().bytecode) == 5
    assert evaluation_timeout_ms(g.with_("other", 1).V().bytecode) is None
    assert evaluation_timeout_ms(g.V().bytecode) is None
    assert evaluation_timeout_ms(g.with_("evaluationTimeout", "soon").V().bytecode) is None


# --------------------------------------------------------------------------- deadline
def test_a_past_deadline_fails_at_once(e):
    with pytest.raises(NeptuneError) as err:
        e.run(g.V().count(), deadline=time.monotonic() - 1)
    assert err.value.code == "TimeLimitExceededException"


def test_the_deadline_is_checked_while_running(e, monkeypatch):
    clock = iter([0.0])  # first look: in time; every later look: long past

    def fake_monotonic() -> float:
        return next(clock, 1e9)

    monkeypatch.setattr(traverser_module.time, "monotonic", fake_monotonic)
    before = snapshot(e.store)
    with pytest.raises(NeptuneError) as err:
        e.run(g.inject(*range(1000)).add_v("x"), deadline=10.0)
    assert err.value.code == "TimeLimitExceededException"
    assert snapshot(e.store) == before  # the run's writes were rolled back


# --------------------------------------------------------------------------- rollback
def test_rollback_after_a_failure_mid_traversal_restores_the_graph_exactly(e):
    before = snapshot(e.store)
    t = (
        g.V("1").property("age", 99).property("nick", "mk")
        .V("4").drop()
        .inject(0).add_v("person").property(T.id, "new")
        .E("7").property("weight", 5.0)
        .V("1").properties("name").drop()
        .inject(0).add_v("person").property(T.id, "2")  # duplicate id: ConstraintViolationException
    )
    fails(e, t, "ConstraintViolationException")
    assert snapshot(e.store) == before
    assert e.run(g.V("1").out().values("name")) == ["vadas", "josh", "lop"]


# --------------------------------------------------------------------------- transactions
def test_conflicting_requests_and_release_on_commit(e):
    first, second = e.begin(), e.begin()
    execute(g.add_v("person").property(T.id, "x").bytecode, first)
    with pytest.raises(NeptuneError) as err:
        execute(g.V("x").property("name", "late").bytecode, second)
    assert err.value.code == "ConcurrentModificationException"
    second.rollback()
    # Edge inserts that share an endpoint vertex conflict too (Neptune).
    third = e.begin()
    execute(g.V("1").add_e("knows").to(__.V("2")).bytecode, first)
    with pytest.raises(NeptuneError) as err:
        execute(g.V("1").add_e("knows").to(__.V("6")).bytecode, third)
    assert err.value.code == "ConcurrentModificationException"
    third.rollback()
    # Unrelated writes proceed while the locks are held.
    assert e.run(g.add_v("person").property(T.id, "y").id_()) == ["y"]
    first.commit()
    assert e.run(g.V("x").property("name", "late").values("name")) == ["late"]


def test_reads_take_no_locks_and_readers_refuse_writes(e):
    reader = e.begin(read_only=True)
    assert execute(g.V("1").out().count().bytecode, reader) == [3]
    assert reader.locked_keys == frozenset()
    with pytest.raises(NeptuneError) as err:
        execute(g.V("1").property("age", 1).bytecode, reader)
    assert err.value.code == "ReadOnlyViolationException"
    reader.rollback()


def test_writes_are_counted(e):
    txn = e.begin()
    execute(g.add_v("x").property(T.id, "w").property("a", 1).property("b", 2).bytecode, txn)
    assert txn.writes == 3
    txn.commit()


def test_very_long_traversals_do_not_exhaust_the_stack():
    e = Engine()
    t = g.inject(0)
    for i in range(1500):
        t = t.merge_v({T.id: f"v{i}"}).option(Merge.on_create, {T.label: "batch", "n": i})
    assert e.run(t.count()) == [1]
    assert e.run(g.V().count()) == [1500]
