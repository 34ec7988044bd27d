"""Conformance: ``repeat``/``times``/``until``/``emit``/``loops``, ``path``/``simplePath``/``cyclicPath``
and ``choose``/``option``, against TinkerPop 3.7's reference examples ("Repeat Step", "Loops Step",
"Path Step", "SimplePath Step", "CyclicPath Step", "Choose Step") on the modern graph, for every
serializer, through both gremlinpython clients.

Ids are strings (Neptune); the documentation's ``v[1]`` is ``Vertex('1')`` (marko). Where the order of
results is left open by Gremlin, they are compared as multisets.
"""

from __future__ import annotations

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Column, P, Pick, T
from gremlin_python.structure.graph import Path

from .conformance_support import Modern, neptune_error, v, vs


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def path(*objects, labels=None) -> Path:
    return Path(labels or [set() for _ in objects], list(objects))


# --------------------------------------------------------------------------- repeat
def test_repeat_times(m):
    # "Repeat Step": g.V(1).repeat(out()).times(2).path().by('name')
    m.check_items(lambda g: g.V("1").repeat(__.out()).times(2).path().by("name"),
                  [path("marko", "josh", "ripple"), path("marko", "josh", "lop")])
    m.check_items(lambda g: g.V("1").repeat(__.out()).times(2).values("name"), ["ripple", "lop"])
    # times() after repeat() is do-while: repeat(x).times(0) still runs x once ...
    m.check_items(lambda g: g.V("1").repeat(__.out()).times(0).values("name"), ["vadas", "josh", "lop"])
    # ... before it, while-do: times(0).repeat(x) passes the traverser through untouched
    m.check(lambda g: g.V("1").times(0).repeat(__.out()).values("name"), ["marko"])


def test_repeat_until(m):
    # "Repeat Step": g.V().until(has('name','ripple')).repeat(out()).path().by('name')
    m.check_items(lambda g: g.V().until(__.has("name", "ripple")).repeat(__.out()).path().by("name"),
                  [path("marko", "josh", "ripple"), path("josh", "ripple"), path("ripple")])
    # until() after repeat() is checked only after a pass: ripple itself has nowhere to go
    m.check_items(lambda g: g.V().repeat(__.out()).until(__.has("name", "ripple")).path().by("name"),
                  [path("marko", "josh", "ripple"), path("josh", "ripple")])
    # repeat(both().simplePath()).until(hasId(6)): the paths from marko to peter
    m.check_items(lambda g: g.V("1").repeat(__.both().simple_path()).until(__.has_id("6")).path().by("name"),
                  [path("marko", "lop", "peter"), path("marko", "josh", "lop", "peter")])


def test_repeat_emit(m):
    # "Repeat Step": g.V(1).repeat(out()).times(2).emit().path().by('name') -- emit after repeat()
    m.check_items(lambda g: g.V("1").repeat(__.out()).times(2).emit().path().by("name"), [
        path("marko", "lop"), path("marko", "vadas"), path("marko", "josh"),
        path("marko", "josh", "ripple"), path("marko", "josh", "lop")])
    # g.V(1).emit().repeat(out()).times(2).path().by('name') -- emit before: marko is emitted too
    m.check_items(lambda g: g.V("1").emit().repeat(__.out()).times(2).path().by("name"), [
        path("marko"), path("marko", "lop"), path("marko", "vadas"), path("marko", "josh"),
        path("marko", "josh", "ripple"), path("marko", "josh", "lop")])
    # g.V(1).repeat(out()).emit(has('lang')).path().by('name'): emit with a predicate traversal,
    # and no times()/until(): the loop ends when out() runs dry
    m.check_items(lambda g: g.V("1").repeat(__.out()).emit(__.has("lang")).path().by("name"), [
        path("marko", "lop"), path("marko", "josh", "ripple"), path("marko", "josh", "lop")])


def test_loops(m):
    # "Loops Step": g.V().emit(__.has("name", "marko").or().loops().is(2)).repeat(__.out()).values("name")
    m.check_items(lambda g: g.V().emit(__.has("name", "marko").or_().loops().is_(2)).repeat(__.out())
                  .values("name"), ["marko", "ripple", "lop"])
    m.check_items(lambda g: g.V("1").repeat(__.out()).until(__.loops().is_(2)).values("name"), ["ripple", "lop"])
    m.check(lambda g: g.V("1").loops(), [0])  # outside any repeat()
    # named loops: loops('a') reads the counter of repeat('a', ...)
    m.check_items(lambda g: g.V("1").repeat("a", __.both().simple_path()).until(__.loops("a").is_(2))
                  .values("name"), ["ripple", "lop", "josh", "peter"])


# --------------------------------------------------------------------------- path
def test_path(m):
    # "Path Step": g.V().out().out().values('name').path()
    m.check_items(lambda g: g.V().out().out().values("name").path(), [
        path(v("1"), v("4"), v("5"), "ripple"), path(v("1"), v("4"), v("3"), "lop")])
    # g.V().out().out().path().by('name').by('age'): the by()s project round-robin
    m.check_items(lambda g: g.V().out().out().path().by("name").by("age"),
                  [path("marko", 32, "ripple"), path("marko", 32, "lop")])
    # a by() that is not productive filters the path (ripple and lop have no age)
    m.check(lambda g: g.V("1").out().out().path().by("age"), [])
    # as() labels travel with the path; from()/to() cut it
    m.check_items(lambda g: g.V("1").as_("a").out().as_("b").out().as_("c").path().by("name"), [
        path("marko", "josh", "ripple", labels=[{"a"}, {"b"}, {"c"}]),
        path("marko", "josh", "lop", labels=[{"a"}, {"b"}, {"c"}])])
    m.check_items(lambda g: g.V("1").as_("a").out().as_("b").out().as_("c").path().from_("b").to("c").by("name"), [
        path("josh", "ripple", labels=[{"b"}, {"c"}]), path("josh", "lop", labels=[{"b"}, {"c"}])])
    # union() children are global: their steps are part of the path
    m.check_items(lambda g: g.union(__.V().out().out(), __.V().has_label("software")).path().by("name"), [
        path("marko", "josh", "ripple"), path("marko", "josh", "lop"), path("lop"), path("ripple")])


def test_path_keys_values_and_unfold(m):
    # a Path's keys are its labels and its values its objects (select(keys|values)); unfold() walks it
    m.check_items(lambda g: g.V("1").as_("a").out("knows").as_("b").path().select(Column.keys),
                  [[{"a"}, {"b"}], [{"a"}, {"b"}]])
    m.check_items(lambda g: g.V("1").out("knows").path().select(Column.values), [vs("1", "2"), vs("1", "4")])
    m.check_items(lambda g: g.V("1").out("knows").path().unfold(), vs("1", "2", "1", "4"))


def test_simple_and_cyclic_path(m):
    # "SimplePath Step": g.V(1).both().both() has marko twice; simplePath() drops the cycles
    m.check(lambda g: g.V("1").both().both().count(), [7])
    m.check_items(lambda g: g.V("1").both().both().simple_path().path().by("name"), [
        path("marko", "lop", "josh"), path("marko", "lop", "peter"), path("marko", "josh", "ripple"),
        path("marko", "josh", "lop")])
    # "CyclicPath Step": the paths that come back to marko
    m.check_items(lambda g: g.V("1").both().both().cyclic_path().path().by("name"), [
        path("marko", "lop", "marko"), path("marko", "vadas", "marko"), path("marko", "josh", "marko")])
    # simplePath().by(): objects are compared after projection (josh and vadas both have a label person)
    m.check(lambda g: g.V("1").out("knows").simple_path().by(T.label).count(), [0])


# --------------------------------------------------------------------------- choose
def test_choose_predicate(m):
    # "Choose Step": g.V().hasLabel('person').choose(values('age').is(lte(30)), __.in(), __.out()).values('name')
    m.check_items(lambda g: g.V().has_label("person").choose(__.values("age").is_(P.lte(30)), __.in_(), __.out())
                  .values("name"), ["marko", "ripple", "lop", "lop"])
    # without a false branch the traverser passes through (choose(p, t) is choose(p, t, identity()))
    m.check_items(lambda g: g.V().has_label("person").choose(__.out("knows").count().is_(P.gt(0)), __.out("knows"))
                  .values("name"), ["vadas", "josh", "vadas", "josh", "peter"])
    # a P as the predicate tests the current object
    m.check(lambda g: g.inject(1, 5).choose(P.gt(3), __.constant("big"), __.constant("small")), ["small", "big"])


def test_choose_options(m):
    # "Choose Step": g.V().hasLabel('person').choose(values('age')).option(27, __.in()).option(32, __.out())
    #   .values('name')
    m.check_items(lambda g: g.V().has_label("person").choose(__.values("age"))
                  .option(27, __.in_()).option(32, __.out()).values("name"), ["marko", "ripple", "lop"])
    # Pick.none takes what no option matched; unmatched traversers are filtered out otherwise
    m.check(lambda g: g.V().has_label("person").choose(__.values("age")).option(27, __.constant("young"))
            .option(Pick.none, __.constant("old")).group_count(), [{"young": 1, "old": 3}])
    # option tokens may be predicates (and traversals) on the choice
    m.check_items(lambda g: g.V().has_label("person").choose(__.values("age")).option(P.lt(30), __.constant("young"))
                  .option(P.gte(30), __.constant("older")), ["young", "young", "older", "older"])
    # a branch holding a barrier sees every traverser routed to it (the branches are global children)
    m.check(lambda g: g.V().has_label("person").choose(__.values("age").is_(P.lt(30)), __.count(), __.fold().count(
        )), [2, 1])


def test_choose_errors(m):
    with pytest.raises(Exception) as err:
        m.read(lambda g: g.V().choose(__.values("age")).option(29, __.identity()))  # software has no age
    assert neptune_error(err.value)["code"] == "InvalidParameterException"
    with pytest.raises(Exception) as err:
        m.read(lambda g: g.V().choose(__.label()).option(Pick.any_, __.identity()))
    assert "any-option" in neptune_error(err.value)["detailedMessage"]


def test_repeat_keeps_step_state_across_passes(m):
    # TinkerPop runs the body as one traversal for every pass: a dedup() in it remembers what it saw
    m.check(lambda g: g.V().repeat(__.dedup()).times(2).count(), [0])
    m.check_items(lambda g: g.V("1").repeat(__.both().dedup()).emit().values("name"),
                  ["vadas", "josh", "lop", "marko", "ripple", "peter"])


def test_union_branches_are_global_children(m):
    # Union.feature: a branch holding a barrier reduces over every incoming traverser
    m.check(lambda g: g.V("1", "2").union(__.out_e().count(), __.in_e().count(), __.out_e().values("weight").sum_()),
            [3, 1, 1.9])
    # as a start step, union's placeholder traverser never reaches the results
    m.check(lambda g: g.union(__.inject(1), __.inject(2)), [1, 2])
