"""Conformance: element accessors and projections against TinkerPop 3.7's reference examples.

Covers ``id``, ``label``, ``key``, ``value``, ``properties``, ``values``, ``valueMap``,
``elementMap``, ``as``/``select`` (labels, ``Pop``, columns), ``project`` and ``by()`` modulation, on
the modern graph, for every serializer (GraphSON v2 gets String map keys, see conformance_support),
through both clients.
"""

from __future__ import annotations

import pytest
from gremlin_python.process.graph_traversal import __
from gremlin_python.process.traversal import Column, Direction, Order, Pop, Scope, T
from gremlin_python.structure.graph import Property, VertexProperty

from .conformance_support import Modern, v, vs


@pytest.fixture
def m(remotes, serializer) -> Modern:
    return Modern(remotes, serializer)


def test_id(m):
    # "Id Step"
    m.check_items(lambda g: g.V().id_(), ["1", "2", "3", "4", "5", "6"])
    m.check(lambda g: g.V("1").out().id_().is_("2"), ["2"])
    m.check_items(lambda g: g.V("1").out_e().id_(), ["7", "8", "9"])
    # vertex property ids are numbers on Neptune ("positive or negative numbers"): the store's, distinct
    ids = m.read(lambda g: g.V("1").properties().id_())
    assert len(ids) == 2 and len(set(ids)) == 2 and all(isinstance(i, int) for i in ids)


def test_label(m):
    # "Label Step"
    m.check_items(lambda g: g.V().label(), ["person", "person", "software", "person", "software", "person"])
    m.check_items(lambda g: g.V("1").out_e().label(), ["created", "knows", "knows"])
    m.check_items(lambda g: g.V("1").properties().label(), ["name", "age"])


def test_properties_key_value_values(m):
    # "Properties Step", "Key Step", "Value Step", "Values Step" (documented on The Crew; here the
    # same steps on the modern graph)
    props = m.read(lambda g: g.V("1").properties())
    assert all(isinstance(p, VertexProperty) for p in props)
    assert sorted((p.label, p.value) for p in props) == [("age", 29), ("name", "marko")]
    [name] = m.read(lambda g: g.V("1").properties("name"))
    assert (name.key, name.value) == ("name", "marko")
    if m.serializer != "graphbinary-v1":  # GraphBinary v1 always writes a VertexProperty's parent as null
        assert name.vertex.id == "1"
    [weight] = m.read(lambda g: g.E("7").properties())
    assert isinstance(weight, Property) and (weight.key, weight.value) == ("weight", 0.5)
    m.check_items(lambda g: g.V("1").properties().key(), ["name", "age"])
    m.check_items(lambda g: g.V("1").properties().value(), ["marko", 29])
    m.check(lambda g: g.E("7").properties().key(), ["weight"])
    m.check(lambda g: g.E("7").properties().value(), [0.5])
    m.check_items(lambda g: g.V("1").values(), ["marko", 29])
    m.check(lambda g: g.V("1").values("name"), ["marko"])
    m.check_items(lambda g: g.V().values("name", "lang"),
                  ["marko", "vadas", "lop", "java", "josh", "ripple", "java", "peter"])


def test_value_map(m):
    # "ValueMap Step": vertex values are lists (multi-properties), edge values are not
    m.check_items(lambda g: g.V().value_map(), [
        {"name": ["marko"], "age": [29]}, {"name": ["vadas"], "age": [27]}, {"name": ["lop"], "lang": ["java"]},
        {"name": ["josh"], "age": [32]}, {"name": ["ripple"], "lang": ["java"]}, {"name": ["peter"], "age": [35]},
    ])
    ages = [{"age": [29]}, {"age": [27]}, {}, {"age": [32]}, {}, {"age": [35]}]
    m.check_items(lambda g: g.V().value_map("age"), ages)
    m.check_items(lambda g: g.V().value_map("age", "blah"), ages)
    m.check_items(lambda g: g.E().value_map(), [{"weight": w} for w in (0.5, 1.0, 0.4, 1.0, 0.4, 0.2)])
    # with tokens (valueMap(true), the form gremlinpython sends for WithOptions.tokens' older spelling)
    m.check(lambda g: g.V("1").value_map(True), [{T.id: "1", T.label: "person", "name": ["marko"], "age": [29]}])
    # "To turn list of values into single items, the by() modulator can be used": valueMap().by(unfold())
    m.check(lambda g: g.V("1").value_map().by(__.unfold()), [{"name": "marko", "age": 29}])


def test_element_map(m):
    # "ElementMap Step"
    m.check_items(lambda g: g.V().element_map(), [
        {T.id: "1", T.label: "person", "name": "marko", "age": 29},
        {T.id: "2", T.label: "person", "name": "vadas", "age": 27},
        {T.id: "3", T.label: "software", "name": "lop", "lang": "java"},
        {T.id: "4", T.label: "person", "name": "josh", "age": 32},
        {T.id: "5", T.label: "software", "name": "ripple", "lang": "java"},
        {T.id: "6", T.label: "person", "name": "peter", "age": 35},
    ])
    ages = [{T.id: "1", T.label: "person", "age": 29}, {T.id: "2", T.label: "person", "age": 27},
            {T.id: "3", T.label: "software"}, {T.id: "4", T.label: "person", "age": 32},
            {T.id: "5", T.label: "software"}, {T.id: "6", T.label: "person", "age": 35}]
    m.check_items(lambda g: g.V().element_map("age"), ages)
    m.check_items(lambda g: g.V().element_map("age", "blah"), ages)

    def edge(eid: str, label: str, out_v: tuple[str, str], in_v: tuple[str, str], weight: float) -> dict:
        return {T.id: eid, T.label: label, Direction.IN: {T.id: in_v[0], T.label: in_v[1]},
                Direction.OUT: {T.id: out_v[0], T.label: out_v[1]}, "weight": weight}

    marko, vadas, lop, josh, ripple, peter = (("1", "person"), ("2", "person"), ("3", "software"),
                                              ("4", "person"), ("5", "software"), ("6", "person"))
    m.check_items(lambda g: g.E().element_map(), [
        edge("7", "knows", marko, vadas, 0.5), edge("8", "knows", marko, josh, 1.0),
        edge("9", "created", marko, lop, 0.4), edge("10", "created", josh, ripple, 1.0),
        edge("11", "created", josh, lop, 0.4), edge("12", "created", peter, lop, 0.2),
    ])


def test_as_and_select(m):
    # "As Step"
    m.check_items(lambda g: g.V().as_("a").out("created").as_("b").select("a", "b"),
                  [{"a": v("1"), "b": v("3")}, {"a": v("4"), "b": v("5")}, {"a": v("4"), "b": v("3")},
                   {"a": v("6"), "b": v("3")}])
    m.check_items(lambda g: g.V().as_("a").out("created").as_("b").select("a", "b").by("name"),
                  [{"a": "marko", "b": "lop"}, {"a": "josh", "b": "ripple"}, {"a": "josh", "b": "lop"},
                   {"a": "peter", "b": "lop"}])
    # a step can have several labels
    m.check_items(lambda g: g.V().has_label("software").as_("a", "b", "c").select("a", "b", "c")
                  .by("name").by("lang").by(__.in_("created").values("name").fold()),
                  [{"a": "lop", "b": "java", "c": ["marko", "josh", "peter"]},
                   {"a": "ripple", "b": "java", "c": ["josh"]}])
    # "Select Step"
    m.check_items(lambda g: g.V().as_("a").out().as_("b").out().as_("c").select("a", "b", "c"),
                  [{"a": v("1"), "b": v("4"), "c": v("5")}, {"a": v("1"), "b": v("4"), "c": v("3")}])
    m.check(lambda g: g.V().as_("a").out().as_("b").out().as_("c").select("a", "b"),
            [{"a": v("1"), "b": v("4")}] * 2)
    m.check(lambda g: g.V().as_("a").out().as_("b").out().as_("c").select("a", "b").by("name"),
            [{"a": "marko", "b": "josh"}] * 2)
    m.check(lambda g: g.V().as_("a").out().as_("b").out().as_("c").select("a"), vs("1", "1"))  # one label: no map
    # the age of lop is not productive, so that traverser is filtered
    m.check_items(lambda g: g.V("1").as_("a").both().as_("b").select("a", "b").by("age"),
                  [{"a": 29, "b": 27}, {"a": 29, "b": 32}])
    m.check_items(lambda g: g.V().out().out(), vs("5", "3"))
    m.check(lambda g: g.V().as_("x").out().out().select("x"), vs("1", "1"))
    m.check(lambda g: g.V().out().as_("x").out().select("x"), vs("4", "4"))
    m.check_items(lambda g: g.V().out().out().as_("x").select("x"), vs("5", "3"))


def test_select_pop_and_columns(m):
    # select(Pop, key) over a label used twice (the documentation's Pop example needs repeat())
    m.check(lambda g: g.V("1").as_("a").out("knows").as_("a").select(Pop.first, "a"), vs("1", "1"))
    m.check_items(lambda g: g.V("1").as_("a").out("knows").as_("a").select(Pop.last, "a"), vs("2", "4"))
    m.check_items(lambda g: g.V("1").as_("a").out("knows").as_("a").select(Pop.all_, "a"),
                  [vs("1", "2"), vs("1", "4")])
    # select(keys) / select(values) of a Map (the documentation's use is a groupCount ranking)
    m.check(lambda g: g.V().group_count().by(T.label).order(Scope.local).by(Column.values, Order.desc)
            .select(Column.values), [[4, 2]])
    # the side-effect form of select
    m.check(lambda g: g.with_side_effect("x", {"a": 1}).inject(0).select("x"), [{"a": 1}])


def test_project(m):
    # "Project Step"
    m.check(lambda g: g.V().has("name", "marko").project("id", "name", "out", "in")
            .by(T.id).by("name").by(__.out_e().count()).by(__.in_e().count()),
            [{"id": "1", "name": "marko", "out": 3, "in": 0}])
    m.check_items(lambda g: g.V().has("name", "marko").project("name", "friendsNames")
                  .by("name").by(__.out("knows").values("name").fold()),
                  [{"name": "marko", "friendsNames": ["vadas", "josh"]}])
    m.check(lambda g: g.V().out("created").project("a", "b").by("name").by(__.in_("created").count())
            .order().by(__.select("b"), Order.desc).select("a"), ["lop", "lop", "lop", "ripple"])
    # the age is not productive for software, so the key is left out of the Map
    m.check_items(lambda g: g.V().project("n", "a").by("name").by("age"),
                  [{"n": "marko", "a": 29}, {"n": "vadas", "a": 27}, {"n": "lop"}, {"n": "josh", "a": 32},
                   {"n": "ripple"}, {"n": "peter", "a": 35}])


def test_unfolded_maps_arrive_as_one_entry_maps(m):
    # "A Note on Maps": remotely, an unfolded Map's entries are returned as Maps with one entry
    m.check_items(lambda g: g.V().value_map("name", "age").unfold(), [
        {"name": ["marko"]}, {"age": [29]}, {"name": ["vadas"]}, {"age": [27]}, {"name": ["lop"]},
        {"name": ["josh"]}, {"age": [32]}, {"name": ["ripple"]}, {"name": ["peter"]}, {"age": [35]}])
    # ... while on the server the next step still sees Map.Entry objects
    m.check_items(lambda g: g.V().value_map("name", "age").unfold().select(Column.keys),
                  ["name", "age"] * 4 + ["name"] * 2)
