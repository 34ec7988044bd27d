"""Conformance: reducing and ordering steps against TinkerPop 3.7's reference examples.

Covers ``count``, ``sum``, ``max``, ``min``, ``mean`` (global and ``local``, with ``null``s),
``fold``/``unfold``, ``group``/``groupCount`` (with the ``by()`` projections of "By Step") and
``order`` (global, multi-key, ``shuffle``, ``local`` on lists, Maps and single values), on the modern
graph, for every serializer, through both clients.
"""

from __future__ import annotations

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Column, Order, Scope, T

from .conformance_support import Modern, same_items, vs


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def test_count(m):
    # "Count Step"
    m.check(lambda g: g.V().count(), [6])
    m.check(lambda g: g.V().has_label("person").count(), [4])
    m.check(lambda g: g.V().has_label("person").out_e("created").count(), [4])
    # count(local) counts the current collection
    m.check(lambda g: g.V().values("age").fold().count(Scope.local), [4])
    m.check(lambda g: g.V().has("nope").count(), [0])


def test_sum_max_min_mean(m):
    # "Sum Step", "Max Step", "Min Step", "Mean Step"
    m.check(lambda g: g.V().values("age").sum_(), [123])
    m.check(lambda g: g.V().values("age").fold().sum_(Scope.local), [123])
    m.check(lambda g: g.V().values("age").max_(), [35])
    m.check(lambda g: g.V().values("name").max_(), ["vadas"])
    m.check(lambda g: g.V().values("age").fold().max_(Scope.local), [35])
    m.check(lambda g: g.V().values("age").min_(), [27])
    m.check(lambda g: g.V().values("name").min_(), ["josh"])
    m.check(lambda g: g.V().values("age").fold().min_(Scope.local), [27])
    m.check(lambda g: g.V().values("age").mean(), [30.75])
    m.check(lambda g: g.V().values("age").fold().mean(Scope.local), [30.75])
    # "null objects are ignored, but if all values are recognized as null the return value is null"
    m.check(lambda g: g.inject(None, 10, 9, None).sum_(), [19])
    m.check(lambda g: g.inject(None, 10, 9, None).max_(), [10])
    m.check(lambda g: g.inject(None, 10, 9, None).min_(), [9])
    m.check(lambda g: g.inject(None, 10, 9, None).mean(), [9.5])
    m.check(lambda g: g.inject([None, None, None]).sum_(Scope.local), [None])
    m.check(lambda g: g.inject([None, None, None]).max_(Scope.local), [None])
    m.check(lambda g: g.inject([None, None, None]).min_(Scope.local), [None])
    m.check(lambda g: g.inject([None, None, None]).mean(Scope.local), [None])
    # nothing to reduce: no result at all
    m.check(lambda g: g.V().has("nope").values("age").sum_(), [])


def test_fold_unfold(m):
    # "Fold Step"
    m.check_items(lambda g: g.V("1").out("knows").values("name"), ["vadas", "josh"])
    [names] = m.read(lambda g: g.V("1").out("knows").values("name").fold())
    same_items(names, ["vadas", "josh"])
    m.check(lambda g: g.V().has("nope").fold(), [[]])
    # "Unfold Step": g.V(1).out().fold().inject('gremlin',[1.23,2.34]) and its unfold()
    folded = m.read(lambda g: g.V("1").out().fold().inject("gremlin", [1.23, 2.34]))
    assert folded[:2] == ["gremlin", [1.23, 2.34]]
    same_items(folded[2], vs("2", "4", "3"))
    unfolded = m.read(lambda g: g.V("1").out().fold().inject("gremlin", [1.23, 2.34]).unfold())
    assert unfolded[:3] == ["gremlin", 1.23, 2.34]
    same_items(unfolded[3:], vs("2", "4", "3"))
    # unfold() does not unroll recursively
    m.check(lambda g: g.inject(1, [2, 3, [4, 5, [6]]]), [1, [2, 3, [4, 5, [6]]]])
    m.check(lambda g: g.inject(1, [2, 3, [4, 5, [6]]]).unfold(), [1, 2, 3, [4, 5, [6]]])
    # a Map unfolds into its entries (each arrives as a one-entry map)
    m.check(lambda g: g.V("1").value_map().unfold(), [{"name": ["marko"]}, {"age": [29]}])


def _by_label(m: Modern, result: list) -> dict:
    [grouped] = result
    assert set(grouped) == {"person", "software"}
    return grouped


def test_group(m):
    # "Group Step"
    grouped = _by_label(m, m.read(lambda g: g.V().group().by(T.label)))
    same_items(grouped["person"], vs("1", "2", "4", "6"))
    same_items(grouped["software"], vs("3", "5"))
    grouped = _by_label(m, m.read(lambda g: g.V().group().by(T.label).by("name")))
    same_items(grouped["person"], ["marko", "vadas", "josh", "peter"])
    same_items(grouped["software"], ["lop", "ripple"])
    m.check(lambda g: g.V().group().by(T.label).by(__.count()), [{"software": 2, "person": 4}])
    # the age of software is not productive: those keys are filtered ...
    m.check(lambda g: g.V().group().by("age").by("name"),
            [{32: ["josh"], 35: ["peter"], 27: ["vadas"], 29: ["marko"]}])
    # ... and here those values are filtered (the key stays, with an empty list)
    m.check(lambda g: g.V().group().by("name").by("age"),
            [{"ripple": [], "peter": [35], "vadas": [27], "josh": [32], "lop": [], "marko": [29]}])


def test_group_by_traversal(m):
    # "By Step": group by the number of incident edges
    [grouped] = m.read(lambda g: g.V().group().by(__.both_e().count()))
    assert set(grouped) == set(m.expect({1: 0, 3: 0}))
    by_edges = m.expect({1: vs("2", "5", "6"), 3: vs("1", "3", "4")})
    for key, members in grouped.items():
        same_items(members, by_edges[key])
    [grouped] = m.read(lambda g: g.V().group().by(__.both_e().count()).by("name"))
    names = m.expect({1: ["vadas", "ripple", "peter"], 3: ["marko", "lop", "josh"]})
    for key, members in grouped.items():
        same_items(members, names[key])
    m.check(lambda g: g.V().group().by(__.both_e().count()).by(__.count()), [{1: 3, 3: 3}])


def test_group_count(m):
    # "GroupCount Step": one person each of 32, 35, 27 and 29
    ages = [{32: 1, 35: 1, 27: 1, 29: 1}]
    m.check(lambda g: g.V().has_label("person").values("age").group_count(), ages)
    m.check(lambda g: g.V().has_label("person").group_count().by("age"), ages)
    m.check(lambda g: g.V().group_count().by("age"), ages)  # software's age is not productive
    m.check(lambda g: g.V().group_count().by(T.label), [{"person": 4, "software": 2}])
    [counts] = m.read(lambda g: g.V().group_count())
    assert sorted(counts.values()) == [1] * 6
    assert sorted(str(k.id) if hasattr(k, "id") else k for k in counts) == ["1", "2", "3", "4", "5", "6"]


def test_order(m):
    # "Order Step"
    m.check(lambda g: g.V().values("name").order(), ["josh", "lop", "marko", "peter", "ripple", "vadas"])
    m.check(lambda g: g.V().values("name").order().by(Order.desc),
            ["vadas", "ripple", "peter", "marko", "lop", "josh"])
    m.check(lambda g: g.V().has_label("person").order().by("age", Order.asc).values("name"),
            ["vadas", "marko", "josh", "peter"])
    m.check(lambda g: g.V().order().by("name", Order.asc).values("name"),
            ["josh", "lop", "marko", "peter", "ripple", "vadas"])
    m.check(lambda g: g.V().order().by("name", Order.desc).values("name"),
            ["vadas", "ripple", "peter", "marko", "lop", "josh"])
    # the age of software is not productive, so those traversers are filtered
    m.check(lambda g: g.V().both().order().by("age"), vs("2", "1", "1", "1", "4", "4", "4", "6"))
    # primary: number of created-edges; secondary: age
    m.check(lambda g: g.V().has_label("person").order().by(__.out_e("created").count(), Order.asc)
            .by("age", Order.asc).values("name"), ["vadas", "marko", "peter", "josh"])
    m.check(lambda g: g.V().has_label("person").order().by(__.out_e("created").count(), Order.asc)
            .by("age", Order.desc).values("name"), ["vadas", "peter", "marko", "josh"])
    # shuffle: some permutation of the people
    m.check_items(lambda g: g.V().has_label("person").order().by(Order.shuffle), vs("1", "2", "4", "6"))


def test_order_local(m):
    # "Order Step": order(local) orders the current collection or Map; anything else is unchanged
    m.check(lambda g: g.V().values("age").fold().order(Scope.local).by(Order.desc), [[35, 32, 29, 27]])
    ages = m.read(lambda g: g.V().values("age"))
    m.check(lambda g: g.V().values("age").order(Scope.local).by(Order.desc), ages)
    # groupCount by in-degree: {0: 2, 1: 3, 3: 1}; a Map's entries are ordered by values or keys
    by_values = m.read(lambda g: g.V().group_count().by(__.in_e().count()).order(Scope.local)
                       .by(Column.values, Order.desc))
    assert [list(x.items()) for x in by_values] == [list(m.expect({1: 3, 0: 2, 3: 1}).items())]
    by_keys = m.read(lambda g: g.V().group_count().by(__.in_e().count()).order(Scope.local)
                     .by(Column.keys, Order.asc))
    assert [list(x.items()) for x in by_keys] == [list(m.expect({0: 2, 1: 3, 3: 1}).items())]


def test_scopes(m):
    # "A Note on Scopes"
    m.check(lambda g: g.V().has("name", "marko").out("knows").count(), [2])  # marko knows 2 people
    m.check(lambda g: g.V().has("name", "marko").out("knows").fold().count(), [1])  # one list
    m.check(lambda g: g.V().has("name", "marko").out("knows").fold().count(Scope.local), [2])
    m.check(lambda g: g.V().has("name", "marko").out("knows").fold().count(Scope.global_), [1])
    [software] = m.read(lambda g: g.V().both().group().by(T.label).select("software").dedup(Scope.local))
    same_items(software, vs("3", "5"))
    m.check(lambda g: g.V().group_count().by(T.label).select(Column.values).min_(Scope.local), [2])
    by_count = m.read(lambda g: g.V().group_count().by(T.label).order(Scope.local).by(Column.values, Order.desc))
    assert [list(x.items()) for x in by_count] == [[("person", 4), ("software", 2)]]
    # local() is a "hard-scoped" step
    m.check(lambda g: g.V().fold().local(__.unfold().count()), [6])
    m.check(lambda g: g.V().fold().count(Scope.local), [6])
