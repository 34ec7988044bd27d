"""Conformance: side effects (``aggregate``/``store``/``cap``, ``group('x')``/``groupCount('x')``), the
reductions of ``group().by(key).by(traversal)``, ``fold(seed, operator)``, ``local``-scoped
``limit``/``range``/``tail``/``skip``, ``sample``, ``TextP.regex``/``notRegex``, ``valueMap().with()``,
``select(traversal)`` and ``to(Direction, ...)``/``toE``/``toV``, against TinkerPop 3.7's reference
examples and semantics on the modern graph, for every serializer, through both gremlinpython clients.
"""

from __future__ import annotations

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Direction, Operator, P, Scope, T, TextP, WithOptions

from .conformance_support import G, Modern, e, es, v, vs


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


# --------------------------------------------------------------------------- side effects
def test_aggregate_and_cap(m):
    # "Aggregate Step": g.V(1).out('created').aggregate('x') -- a barrier: every lop is collected first
    m.check(lambda g: g.V("1").out("created").aggregate("x").in_("created").out("created")
            .where(P.without("x")).values("name"), ["ripple"])
    m.check_items(lambda g: g.V().out("created").aggregate("x").cap("x").unfold(), vs("3", "5", "3", "3"))
    # unproductive by(): left out
    m.check_items(lambda g: g.V().aggregate("x").by("age").cap("x").unfold(), [29, 27, 32, 35])
    # aggregate(local, 'x') and store('x') are lazy: what passed so far
    m.check(lambda g: g.V().has_label("person").aggregate(Scope.local, "x").by("name").limit(1).cap("x"), [["marko"]])
    m.check(lambda g: g.V().has_label("person").store("x").by("name").limit(2).cap("x"), [["marko", "vadas"]])
    # an aggregate nothing reached is empty, not missing
    m.check(lambda g: g.V().has("name", "nobody").aggregate("x").cap("x"), [[]])
    # several keys: a Map
    m.check(lambda g: g.V().has_label("software").aggregate("a").by("name").aggregate("b").by("lang").cap("a", "b"),
            [{"a": ["lop", "ripple"], "b": ["java", "java"]}])


def test_group_and_group_count_side_effects(m):
    # "GroupCount Step": g.V().out('created').groupCount('x').by('name').cap('x')
    m.check(lambda g: g.V().out("created").group_count("x").by("name").cap("x"), [{"lop": 3, "ripple": 1}])
    # "Group Step": g.V().group('x').by(label).by(count()).cap('x')
    m.check(lambda g: g.V().group("x").by(T.label).by(__.count()).cap("x"), [{"person": 4, "software": 2}])
    # the traversers pass through untouched; select('x') reads the side effect too
    m.check(lambda g: g.V().has_label("software").group_count("x").by("lang").count(), [2])
    m.check(lambda g: g.V().has_label("software").group_count("x").by("lang").barrier().select("x").limit(1),
            [{"java": 2}])
    # two steps naming the same key add to the same Map
    m.check(lambda g: g.V().union(__.has_label("software").group_count("m").by("lang"),
                                  __.has("name", "marko").group_count("m").by("name")).cap("m"),
            [{"java": 2, "marko": 1}])


def test_group_value_traversals_reduce_like_tinkerpop(m):
    # a barrier in the value traversal reduces the group: its first result is the value
    m.check(lambda g: g.V().group().by(T.label).by(__.count()), [{"person": 4, "software": 2}])
    m.check(lambda g: g.V().has_label("person").group().by(T.label).by(__.values("age").order().tail()),
            [{"person": 35}])
    [last] = m.read(lambda g: g.V().group().by(T.label).by(__.tail()))  # tail(): the last member itself
    assert set(last) == {m.key("person"), m.key("software")} and all(isinstance(x, type(v("1"))) for x in last.values())
    m.check(lambda g: g.V().has_label("software").group().by(T.label).by(__.values("name").fold()),
            [{"software": ["lop", "ripple"]}])
    # without a barrier, each member's first result, and the last member's wins
    m.check(lambda g: g.V().group().by(T.label).by(__.constant(1)), [{"person": 1, "software": 1}])
    # a key with no productive member is left out
    m.check(lambda g: g.V().group().by(T.label).by(__.values("age").sum_()), [{"person": 123}])
    # by('key') / by(T.id) / by() fold the projections into a list
    m.check(lambda g: g.V().has_label("software").group().by("lang").by(T.id), [{"java": ["3", "5"]}])


def test_fold_with_seed_and_operator(m):
    # "Fold Step": g.V().values('age').fold(0, sum)
    m.check(lambda g: g.V().values("age").fold(0, Operator.sum_), [123])
    m.check(lambda g: g.V().values("age").fold(0, Operator.max_), [35])
    m.check(lambda g: g.V().values("age").fold(1000, Operator.min_), [27])
    m.check(lambda g: g.V().values("age").fold(100, Operator.minus), [-23])
    m.check(lambda g: g.inject([1, 2], [3]).fold([], Operator.add_all), [[1, 2, 3]])
    m.check(lambda g: g.V().has("name", "nobody").values("age").fold(7, Operator.sum_), [7])


# --------------------------------------------------------------------------- local scope, skip, sample
def test_local_range_limit_tail_skip(m):
    # "Range Step" / "Limit Step" / "Tail Step" with Scope.local
    m.check(lambda g: g.V().has_label("person").values("age").fold().limit(Scope.local, 2), [[29, 27]])
    m.check(lambda g: g.V().has_label("person").values("age").fold().range_(Scope.local, 1, 3), [[27, 32]])
    m.check(lambda g: g.V().has_label("person").values("age").fold().tail(Scope.local, 2), [[32, 35]])
    m.check(lambda g: g.V().has_label("person").values("age").fold().skip(Scope.local, 3), [[35]])
    # asking for exactly one item gives the item itself
    m.check(lambda g: g.V().has_label("person").values("age").fold().limit(Scope.local, 1), [29])
    m.check(lambda g: g.V().has_label("person").values("age").fold().tail(Scope.local, 1), [35])
    # a Map keeps the entries in range; a non-collection passes unchanged
    m.check(lambda g: g.V("1").value_map("name", "age").limit(Scope.local, 1), [{"name": ["marko"]}])
    m.check(lambda g: g.V("1").values("name").limit(Scope.local, 1), ["marko"])
    # an empty collection has nothing to give when one item is asked for: filtered
    m.check(lambda g: g.V("2").out().fold().limit(Scope.local, 1), [])
    # skip() globally
    m.check(lambda g: g.V().has_label("person").order().by("age").skip(2).values("name"), ["josh", "peter"])


def test_sample(m):
    # random draws (from the endpoint's seeded rng): each query runs once
    assert m.submit(G.V().sample(2).count()) == [2]
    assert m.submit(G.V().sample(10).count()) == [6]
    drawn = m.submit(G.V().sample(3))
    assert len(drawn) == 3 and len(set(drawn)) == 3
    # weights: a traverser weighing nothing (no age, or age 0) is never drawn
    assert sorted(m.submit(G.V().sample(6).by("age").values("name"))) == ["josh", "marko", "peter", "vadas"]
    [picked] = m.submit(G.V().values("age").fold().sample(Scope.local, 2))
    assert len(picked) == 2 and set(picked) <= {29, 27, 32, 35}


# --------------------------------------------------------------------------- predicates and modulators
def test_regex(m):
    # TextP.regex is a find() anywhere in the string (Java's Matcher.find)
    m.check(lambda g: g.V().has("name", TextP.regex("^m.*o$")).values("name"), ["marko"])
    m.check_items(lambda g: g.V().has("name", TextP.regex("o")).values("name"), ["marko", "josh", "lop"])
    m.check_items(lambda g: g.V().has("name", TextP.not_regex("^[mvj]")).values("name"), ["lop", "ripple", "peter"])
    m.check(lambda g: g.V().values("age").is_(TextP.regex("2")).count(), [0])  # not a String: no match


def test_value_map_with_tokens(m):
    # "ValueMap Step": with(WithOptions.tokens) adds T.id and T.label; with(tokens, labels) just T.label
    m.check(lambda g: g.V("1").value_map("name").with_(WithOptions.tokens),
            [{T.id: "1", T.label: "person", "name": ["marko"]}])
    m.check(lambda g: g.V("1").value_map("name").with_(WithOptions.tokens, WithOptions.labels),
            [{T.label: "person", "name": ["marko"]}])
    m.check(lambda g: g.V("1").value_map("name").with_(WithOptions.tokens, WithOptions.ids).by(__.unfold()),
            [{T.id: "1", "name": "marko"}])
    # by() modulators project the values key by key, round-robin; an unproductive one drops the key
    m.check(lambda g: g.V("1").value_map("name", "age").by(__.is_("x")).by(__.unfold()), [{"age": 29}])


def test_select_traversal(m):
    # select(traversal): the key to select is computed per traverser
    m.check(lambda g: g.V("1").as_("a").out("knows").has("name", "josh").as_("b")
            .select(__.constant("a")).values("name"), ["marko"])
    m.check_items(lambda g: g.with_side_effect("k", "b").V("1").as_("a").out("knows").as_("b")
                  .select(__.select("k")).by("name"), ["vadas", "josh"])


def test_to_direction_steps(m):
    # to(Direction, labels...) / toE(...) / toV(...) are the vertex steps with the direction as argument
    m.check_items(lambda g: g.V("1").to(Direction.OUT, "knows"), vs("2", "4"))
    m.check_items(lambda g: g.V("4").to(Direction.BOTH), vs("1", "5", "3"))
    m.check_items(lambda g: g.V("1").to_e(Direction.OUT, "created"), [e("9")])
    m.check_items(lambda g: g.V("4").to_e(Direction.IN).to_v(Direction.OUT), [v("1")])
    m.check_items(lambda g: g.V("4").to_e(Direction.BOTH, "created"), es("10", "11"))
